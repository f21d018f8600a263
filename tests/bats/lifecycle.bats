#!/usr/bin/env bats
# setup, status, exec and teardown over a lab's life, including crashes,
# concurrent setups, a second lab beside the first, and the host left as it was.

bats_require_minimum_version 1.5.0

LAB=ppt-life
LAB2=ppt-life2
CRASH=ppt-crash

setup_file() {
	load helpers
	for l in $LAB $LAB2 $CRASH; do lab_cleanup $l; done
}

teardown_file() {
	load helpers
	for l in $LAB $LAB2 $CRASH; do lab_cleanup $l; done
	ip netns del ppt-foreign_node_x 2>/dev/null || true
}

setup() { load helpers; }

root_snapshot() {
	{
		ip -d link show
		ip addr show
		ip route show table all
		ip rule show
		nft list ruleset 2>&1
		sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter \
			net.ipv6.conf.all.disable_ipv6 net.ipv6.conf.default.disable_ipv6 \
			net.ipv4.conf.all.proxy_arp net.ipv4.conf.all.forwarding
	} 2>&1
}

@test "setup and teardown leave the root network namespace exactly as it was" {
	before=$(root_snapshot)
	for m in routed vxlan vpc; do
		pp setup --network $m
		pp exec default/client -- ping -c1 -W2 -q "$(pod_ip ${LAB}_pod_default_web-2)"
		pp teardown
	done
	after=$(root_snapshot)
	diff <(echo "$before") <(echo "$after")
	[ -z "$(lab_leftovers $LAB)" ]
}

@test "status lists nodes, pods, IPs, namespaces and healthy containers (text, JSON, DOT)" {
	pp setup
	run pp status
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"6/6 pods ready"* ]]
	[[ "$output" == *"node-1"*"172.18.0.2"*"10.244.1.0/24"*"${LAB}_node_node-1"* ]]
	run pp -j status
	[ "$status" -eq 0 ]
	jq -e '.schema == 1 and .network.mode == "routed" and (.pods | length) == 6' <<<"$output"
	# Every pid it reports is a live process inside that pod's namespace.
	for row in $(jq -r '.pods[] | .netns as $n | .containers[] | "\($n):\(.pid):\(.health)"' <<<"$output"); do
		IFS=: read -r ns pid health <<<"$row"
		[ "$health" = ok ]
		ip netns pids "$ns" | grep -qx "$pid"
	done
	pp status --dot | dot -Tsvg >/dev/null
	# The graph has the edge and the Services too, default/web pointing at
	# exactly the pods kube-proxy's rules in node-1 send it to.
	g=$(pp status --dot)
	grep -q '^	internet -> gateway' <<<"$g"
	grep -q '^	gateway -> vpc' <<<"$g"
	eps=$(ip netns exec ${LAB}_node_node-1 nft list table ip kube-proxy |
		grep -o 'chain endpoint-[A-Z0-9]*-default/web/tcp/[a-z0-9-]*__[0-9.]*' | sed 's/.*__//' | sort -u)
	[ -n "$eps" ]
	want=$(for ns in $(pod_netns $LAB); do
		pod=${ns#${LAB}_pod_}
		grep -qx "$(pod_ip $ns)" <<<"$eps" && echo "${pod/_//}"
	done | sort)
	got=$(grep -o '^	"svc/default/web" -> "[^"]*"' <<<"$g" | sed 's/.* -> "\(.*\)"/\1/' | sort)
	echo "kube-proxy's endpoints: $want; the graph's: $got"
	[ -n "$want" ]
	[ "$got" = "$want" ]
}

@test "status lists Services with the endpoints their selector picks, at the pods' real addresses" {
	run pp -j status
	[ "$status" -eq 0 ]
	jq -e '.services[] | select(.namespace == "default" and .name == "web") | .type == "ClusterIP" and .clusterIP == "10.96.0.1"' <<<"$output"
	eps=$(jq -r '.services[] | select(.name == "web") | .endpoints[] | "\(.pod) \(.ip) \(.ports[0])"' <<<"$output")
	echo "$eps"
	[ "$(wc -l <<<"$eps")" -eq 2 ]
	while read -r pod ip port; do
		[ "$(pod_ip ${LAB}_pod_${pod/\//_})" = "$ip" ]
		# the target port is one the pod really listens on
		ip netns exec ${LAB}_pod_${pod/\//_} ss -ltn | grep -q ":$port "
	done <<<"$eps"
	[[ "$eps" != *default/client* ]]
	# ...and exactly the addresses kube-proxy's rules in the node send it to.
	rules=$(ip netns exec ${LAB}_node_node-1 nft list table ip kube-proxy |
		grep -o 'chain endpoint-[A-Z0-9]*-default/web/tcp/[a-z0-9-]*__[0-9.]*' | sed 's/.*__//' | sort -u)
	[ "$(awk '{print $2}' <<<"$eps" | sort -u)" = "$rules" ]
	# The text ENDPOINTS column: every address:port, the controller's 80 and 443,
	# each one the pod really listens on.
	line=$(pp status | grep '^ingress-nginx  *ingress-nginx-controller ')
	ctrl=$(pod_ip ${LAB}_pod_ingress-nginx_controller)
	[[ "$line" == *" $ctrl:80,$ctrl:443" ]]
	for port in 80 443; do
		ip netns exec ${LAB}_pod_ingress-nginx_controller ss -ltn | grep -q ":$port "
	done
}

@test "status reports a container that stopped" {
	pid=$(pp -j status | jq -r '.pods[] | select(.name == "web-2") | .containers[0].pid')
	ip netns pids ${LAB}_pod_default_web-2 | grep -qx "$pid"
	kill -9 "$pid"
	# Gone from the pod's namespace (the kernel's word) before status is asked.
	for i in $(seq 100); do
		ip netns pids ${LAB}_pod_default_web-2 | grep -qx "$pid" || break
		sleep 0.1
	done
	[ -z "$(ip netns pids ${LAB}_pod_default_web-2 | grep -x "$pid")" ]
	run pp -j status
	jq -e '.pods[] | select(.name == "web-2") | .ready == false and .containers[0].health == "down"' <<<"$output"
}

@test "exec runs in the pod: its netns, hostname, kubelet's resolv.conf; exit status passes through" {
	[ "$(pp exec default/web-1 -- ip -4 -o addr show dev eth0 | awk '{print $4}')" = "$(ip -n ${LAB}_pod_default_web-1 -4 -o addr show dev eth0 | awk '{print $4}')" ]
	[ "$(pp exec web-1 -- hostname)" = web-1 ]
	run pp exec default/client -- cat /etc/resolv.conf
	[[ "$output" == *"nameserver 10.96.0.10"* ]]
	[[ "$output" == *"search default.svc.cluster.local svc.cluster.local cluster.local"* ]]
	[[ "$output" == *"options ndots:5"* ]]
	[ "$(pp exec node/node-2 -- ip -4 -o addr show dev eth0 | awk '{print $4}')" = 172.18.0.3/24 ]
	run pp exec default/client -- sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run -127 pp exec default/client -- /no/such/command
	[ "$status" -eq 127 ]
	run pp exec default/web-9 -- true
	[ "$status" -eq 2 ]
	[[ "$output" == *'pod "default/web-9": no such pod in lab "ppt-life"'* ]]
	run pp exec default/web-1 -c nope -- true
	[ "$status" -eq 2 ]
	[[ "$output" == *'container "nope"'* ]]
	run pp exec node/node-9 -- true
	[ "$status" -eq 2 ]
	# The host's own resolv.conf and hostname are untouched by exec.
	[ "$(hostname)" != web-1 ]
	run ! grep -q "10.96.0.10" /etc/resolv.conf
	# The pod's own variables, none of the caller's: no container named, none passed on.
	env=$(CONTAINER_NAME=zzz POD_NAME=x pp exec default/web-1 -- env)
	grep -qx "POD_NAME=web-1" <<<"$env"
	run ! grep -q "^CONTAINER_NAME=" <<<"$env"
	[ "$(CONTAINER_NAME=zzz pp exec default/web-1 -c sidecar -- printenv CONTAINER_NAME)" = sidecar ]
}

@test "a second lab coexists with the first and its teardown leaves the first alone" {
	"$PODPATH" --lab $LAB2 setup --network vxlan
	ns_curl ${LAB2}_pod_default_client http://10.244.2.2:8080/ | grep -q "pod=default/web-2"
	ns_curl ${LAB}_pod_default_client http://10.244.1.3:8080/ | grep -q "pod=default/web-1"
	"$PODPATH" --lab $LAB2 teardown
	[ -z "$(lab_leftovers $LAB2)" ]
	ns_curl ${LAB}_pod_default_client http://10.244.1.3:8080/ | grep -q "pod=default/web-1"
}

@test "setup of an existing lab fails without touching it" {
	run pp setup
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	ns_curl ${LAB}_pod_default_client http://10.244.1.3:8080/ | grep -q "pod=default/web-1"
}

@test "teardown is idempotent and works with the state file deleted" {
	rm -f /run/podpath/$LAB/state.json
	run pp teardown
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed"* ]]
	[ -z "$(lab_leftovers $LAB)" ]
	run pp teardown
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to remove"* ]]
}

@test "teardown never removes a namespace it did not create, even with the lab's prefix" {
	ip netns add ${LAB}_node_foreign
	pp setup
	pp teardown
	ip netns list | grep -q "^${LAB}_node_foreign"
	ip netns del ${LAB}_node_foreign
}

@test "a pod's namespace deleted by hand (ip netns del): teardown still ends its processes" {
	pp setup
	ip netns del ${LAB}_pod_default_client
	# The namespace lives on in the client's process, pinned nowhere now.
	pgrep -f -- "podpath-responder --lab $LAB --pod default/client "
	# A trace through it says the lab is damaged: exit 1, not an environment error.
	run pp trace default/web-1 default/client
	[ "$status" -eq 1 ]
	[[ "$output" == *"namespace /run/netns/${LAB}_pod_default_client is gone (lab damaged?"* ]]
	pp teardown
	run ! pgrep -af -- "podpath-responder --lab $LAB "
	[ -z "$(lab_leftovers $LAB)" ]
}

@test "teardown --all never removes a namespace it did not create" {
	# --all removes every lab on the host: never a user's, so only where
	# there is none (the clean machine CI runs on).
	others=$(ls /run/podpath 2>/dev/null | grep -v '\.lock$' || true)
	[ -z "$others" ] || skip "labs on this host that --all would remove: $others"
	ip netns add ppt-foreign_node_x
	"$PODPATH" teardown --all
	ip netns list | grep -q "^ppt-foreign_node_x"
	ip netns del ppt-foreign_node_x
}

@test "two setups of one lab at once: exactly one builds it, the lab is whole" {
	pp setup --nodes 2 --pods-per-node 10 >"$BATS_TEST_TMPDIR/a" 2>&1 &
	a=$!
	pp setup --nodes 2 --pods-per-node 10 >"$BATS_TEST_TMPDIR/b" 2>&1 &
	b=$!
	sa=0; sb=0
	wait $a || sa=$?
	wait $b || sb=$?
	cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	[ $((sa + sb)) -eq 1 ]
	grep -q "already exists" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	# 20 pods and kube-system/coredns, the synthetic lab's cluster DNS.
	[ "$(pod_netns $LAB | wc -l)" -eq 21 ]
	run pp -j status
	jq -e '[.pods[] | select(.ready)] | length == 21' <<<"$output"
	pp teardown
	[ -z "$(lab_leftovers $LAB)" ]
}

# How far a setup of lab $1 has got: its namespaces, or its pods'
# processes that are running.
built() { # LAB ns|procs
	if [ "$2" = ns ]; then
		ls /run/netns 2>/dev/null | grep -c "^${1}_" || true
	else
		pgrep -fc -- "podpath-responder --lab $1 " || true
	fi
}
# Wait until the setup PID of LAB has built N of WHAT (ns, procs), or has
# ended; bounded (60 s) for a hang. Where a setup is interrupted is told by
# what it has built, never by a delay: a loaded machine stretches delays.
wait_built() { # PID LAB WHAT N
	local i
	for i in $(seq 6000); do
		[ "$(built "$2" "$3")" -ge "$4" ] && return 0
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.01
	done
	echo "setup $1 of lab $2: $4 $3 never came, and it still runs" >&2
	return 1
}

@test "setup killed with SIGKILL at any point, then teardown: nothing is left" {
	# From before its first namespace (at once) to after its last pod's
	# process started; 3 nodes x 30 pods.
	for at in "ns 0" "ns 1" "ns 4" "ns 15" "ns 40" "ns 80" "procs 1" "procs 30" "procs 89"; do
		set -- $at
		"$PODPATH" --lab $CRASH setup --nodes 3 --pods-per-node 30 >/dev/null 2>&1 &
		pid=$!
		wait_built $pid $CRASH "$1" "$2"
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		echo "killed at $at: $(built $CRASH ns) namespaces, $(built $CRASH procs) processes"
		"$PODPATH" --lab $CRASH teardown
		left=$(lab_leftovers $CRASH)
		echo "$left"
		[ -z "$left" ]
	done
}

@test "--services K adds K Services, two pods behind each, at those pods' addresses" {
	pp setup --nodes 2 --pods-per-node 3 --services 3
	run pp -j status
	# What the kernel holds: kube-proxy's rules in a node, the pods' addresses.
	rules=$(ip netns exec ${LAB}_node_node-1 nft list table ip kube-proxy)
	addrs=$(for ns in $(pod_netns $LAB); do pod_ip $ns; done | sort)
	pp teardown
	[ "$status" -eq 0 ]
	# The K Services, then the cluster DNS every synthetic lab has.
	jq -e '[.services[] | .namespace + "/" + .name] == ["default/svc-1", "default/svc-2", "default/svc-3", "kube-system/kube-dns"]' <<<"$output"
	jq -e 'all(.services[] | select(.namespace == "default"); (.endpoints | length) == 2 and .ports[0].port == 80 and all(.endpoints[]; .ports[0] == 8080))' <<<"$output"
	jq -e '[.services[].clusterIP] | unique | length == 4' <<<"$output"
	# Each Service's ClusterIP is in kube-proxy's map, and its endpoint
	# chains DNAT to two distinct pod addresses, the ones status lists.
	for k in 1 2 3; do
		cip=$(jq -r --arg n svc-$k '.services[] | select(.name == $n) | .clusterIP' <<<"$output")
		grep -qF "$cip . tcp . 80 comment \"default/svc-$k:http\"" <<<"$rules"
		eps=$(grep -o "dnat to [0-9.]*:8080 comment \"default/svc-$k:http -> " <<<"$rules" |
			awk '{print $3}' | cut -d: -f1 | sort -u)
		echo "svc-$k: $cip -> $(echo $eps)"
		[ "$(wc -l <<<"$eps")" -eq 2 ]
		[ "$eps" = "$(jq -r --arg n svc-$k '.services[] | select(.name == $n) | .endpoints[].ip' <<<"$output" | sort)" ]
		[ -z "$(comm -23 <(echo "$eps") <(echo "$addrs"))" ]
	done
}

@test "a synthetic topology builds and every pod answers" {
	pp setup --nodes 3 --pods-per-node 4 --network vxlan
	[ "$(pod_netns $LAB | grep -c _pod_default_)" -eq 12 ]
	for ns in $(pod_netns $LAB | grep _pod_default_); do
		ns_curl ${LAB}_pod_default_pod-1-1 "http://$(pod_ip $ns):8080/" | grep -q "client=$(pod_ip ${LAB}_pod_default_pod-1-1):"
	done
	# And the cluster DNS on node-3 answers pod-1-1 across the overlay.
	[ "$(ip netns exec ${LAB}_pod_default_pod-1-1 dig +short +time=5 @10.96.0.10 kube-dns.kube-system.svc.cluster.local)" = 10.96.0.10 ]
	pp teardown
}

@test "a setup that fails part-way rolls back everything it built" {
	# A foreign namespace holds the name node-2's namespace needs.
	ip netns add ${CRASH}_node_node-2
	run "$PODPATH" --lab $CRASH setup
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"${CRASH}_node_node-2"*"File exists"* ]]
	ip netns del ${CRASH}_node_node-2
	[ -z "$(lab_leftovers $CRASH)" ]
}

@test "Ctrl-C during setup rolls back without a teardown" {
	"$PODPATH" --lab $CRASH setup --nodes 2 --pods-per-node 60 >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	# Interrupted among its pods: 10 of 120 pod namespaces made.
	for i in $(seq 6000); do
		[ "$(ls /run/netns 2>/dev/null | grep -c "^${CRASH}_pod_")" -ge 10 ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.01
	done
	echo "interrupted with $(ls /run/netns | grep -c "^${CRASH}_pod_") pod namespaces"
	kill -INT $pid
	st=0
	wait $pid || st=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$st" -ne 0 ]
	grep -q "interrupted" "$BATS_TEST_TMPDIR/err"
	[ -z "$(lab_leftovers $CRASH)" ]
}
