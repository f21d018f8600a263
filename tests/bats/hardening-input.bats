#!/usr/bin/env bats
# Defects adversarial testing found (issue 11): a node with more pods than
# its bridge holds, internet hosts named like addresses, the files setup
# writes and the users its programs run as, and the parser's memory.

LAB=ppt-defa-in

setup_file() { load helpers; lab_cleanup; }
teardown_file() { load helpers; lab_cleanup; }
setup() { load helpers; }
teardown() { lab_cleanup; }

nothing_built() {
	[ -z "$(lab_leftovers $LAB)" ]
}

@test "a node takes 1023 pods, the ports of its bridge (a synthetic lab's include its DNS pod); the 1024th is refused with exit 2 before anything is built" {
	for mode in routed vxlan; do
		run pp setup --nodes 1 --pods-per-node 1024 --network $mode
		echo "$mode: $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *'--pods-per-node: 1024: at most 1023 pods per node in '$mode' networking'* ]]
		[[ "$output" == *"cbr0 holds at most 1023 ports"*"vpc networking has no bridge (--network vpc)"* ]]
		nothing_built
	done
	# A file whose mode is changed on the command line is checked too.
	run pp setup -f "$TOPOS/bad/bridge-ports-full.json" --network vxlan
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *'.pods[1023].node: "node-1": pod 1024 of node "node-1" in vxlan networking'* ]]
	nothing_built

	# The node also runs the cluster DNS pod: 1023 of its own leave it no port.
	run pp setup --nodes 1 --pods-per-node 1023
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *'--pods-per-node: 1023: at most 1022 pods per node in routed networking: node-1 also runs the cluster DNS pod kube-system/coredns'* ]]
	nothing_built

	run pp setup --nodes 1 --pods-per-node 1022
	echo "$output"
	[ "$status" -eq 0 ]
	node=${LAB}_node_node-1
	[ "$(ip -n $node -o link show master cbr0 | wc -l)" -eq 1023 ]
	# The kernel agrees: the bridge takes no 1024th port.
	ip -n $node link add ppt-extra type veth peer name ppt-extra-p
	run ip -n $node link set ppt-extra master cbr0
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Exchange full"* ]]
	ip -n $node link del ppt-extra
	# The last pod answers the first.
	run ns_curl ${LAB}_pod_default_pod-1-1 "http://$(pod_ip ${LAB}_pod_default_pod-1-1022):8080/"
	echo "$output"
	[[ "$output" == "pod=default/pod-1-1022 "* ]]
	run pp teardown
	[ "$status" -eq 0 ]
	nothing_built
}

@test "vpc networking has no bridge: a node with more than 1023 pods builds and answers" {
	run pp setup --nodes 1 --pods-per-node 1100 --network vpc
	echo "$output"
	[ "$status" -eq 0 ]
	node=${LAB}_node_node-1
	run ip -n $node link show cbr0
	[ "$status" -ne 0 ]
	# 1100 pods and the cluster DNS's, one veth each.
	[ "$(ip -n $node -o link show type veth | grep -vc ' eth0@')" -eq 1101 ]
	run ns_curl ${LAB}_pod_default_pod-1-1 "http://$(pod_ip ${LAB}_pod_default_pod-1-1100):8080/"
	echo "$output"
	[[ "$output" == "pod=default/pod-1-1100 "* ]]
	run pp teardown
	[ "$status" -eq 0 ]
	nothing_built
}

@test "the docs state the bridge's limit that setup enforces" {
	grep -q 'Linux bridge holds at most 1023 ports' "$BATS_TEST_DIRNAME/../../docs/topology.md"
	grep -q 'at most 1022 pods per node, for node-N also runs the DNS pod' "$BATS_TEST_DIRNAME/../../docs/topology.md"
	grep -q 'and a bridge `cbr0` has 1023 ports' "$BATS_TEST_DIRNAME/../../docs/topology.md"
	grep -q 'a Linux bridge holds at most 1023 ports' "$BATS_TEST_DIRNAME/../../docs/podpath-setup.8"
}

@test "an internet host named like an IPv4 address is refused with exit 2, naming the field and value" {
	for name in 203.0.113.9 10 127.1; do
		printf '{"nodes":[{"name":"node-1"}],"internet":{"hosts":[{"name":"laptop"},{"name":"%s"}]}}' \
			"$name" >"$BATS_TEST_TMPDIR/t.json"
		run pp setup -f "$BATS_TEST_TMPDIR/t.json"
		echo "$output"
		[ "$status" -eq 2 ]
		[[ "$output" == *".internet.hosts[1].name: \"$name\": must be a DNS name, not an IPv4 address"* ]]
		nothing_built
	done
}

# The effective, real, saved and filesystem uids of pid, from the kernel.
uids() { awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status"; }

@test "under umask 000 every file setup writes has its own mode; containers run unprivileged and the lab answers" {
	(umask 000 && "$PODPATH" --lab $LAB setup >/dev/null)
	run="/run/podpath/$LAB"
	want=(
		"$run 755" "$run/dns 755" "$run/resolv 755" "$run/ingress 755" "$run/ingress/tmp 755"
		"/run/podpath 755" "/run/podpath/$LAB.lock 600"
		"$run/state.json 644" "$run/ca.pem 644"
		"$run/dns/hosts 644" "$run/dns/dnsmasq.conf 644"
		"$run/dns/internet.hosts 644" "$run/dns/internet.conf 644"
		"$run/ingress/nginx.conf 644" "$run/ingress/tls.crt 644" "$run/ingress/tls.key 600"
		"$run/resolv/_internet.conf 644" "$run/resolv/default.conf 644"
		"$run/resolv/kube-system.conf 644" "$run/resolv/ingress-nginx.conf 644"
	)
	for w in "${want[@]}"; do
		got=$(stat -c %a "${w% *}")
		echo "${w% *}: $got, want ${w#* }"
		[ "$got" = "${w#* }" ]
	done
	# Nothing under the lab's directory is writable by others, also what
	# nginx and dnsmasq made (logs, pid file, temporary directories).
	[ -z "$(find "$run" -perm /o+w -print)" ]
	[ "$(find "$run" -type f | wc -l)" -ge 18 ]

	# Responders, nginx's worker and dnsmasq: no uid of theirs is 0.
	resp=$(pgrep -f -- "^podpath-responder --lab $LAB ")
	[ "$(wc -w <<<"$resp")" -eq 6 ]	# client, web-1 (two), web-2, api-1, example.com
	ctl=${LAB}_pod_ingress-nginx_controller
	workers=$(ip netns pids $ctl | xargs -r ps -o pid=,args= -p | awk '/nginx: worker/ { print $1 }')
	masters=$(ip netns pids $ctl | xargs -r ps -o pid=,args= -p | awk '/nginx: master/ { print $1 }')
	dns=$( (ip netns pids ${LAB}_pod_kube-system_coredns; ip netns pids ${LAB}_inet_dns) |
		xargs -r ps -o pid=,comm= -p | awk '$2 == "dnsmasq" { print $1 }')
	[ -n "$workers" ]
	[ -n "$masters" ]
	[ "$(wc -w <<<"$dns")" -eq 2 ]
	for pid in $resp $workers $dns; do
		echo "$pid $(ps -o user=,args= -p $pid): uids $(uids $pid)"
		[ "$(ps -o user= -p $pid)" != root ]
		[[ " $(uids $pid) " != *" 0 "* ]]
	done
	[ "$(ps -o user= -p $masters)" = root ]	# it binds 80 and 443 and reads the key
	grep -q "^user nobody " "$run/ingress/nginx.conf"

	# The lab still answers: through the ingress and nginx's worker (TLS),
	# a Service by its DNS name (dnsmasq), the internet's port 80.
	run pp exec internet/laptop -- curl -s -m 5 --cacert "$run/ca.pem" https://web.example.test/
	echo "$output"
	[[ "$output" == "pod=default/web-"*" xff=203.0.113.20" ]]
	run pp exec default/client -- curl -s -m 5 http://web/
	echo "$output"
	[[ "$output" == "pod=default/web-"*" host=web" ]]
	run pp exec default/client -- curl -s -m 5 http://example.com/
	echo "$output"
	[[ "$output" == "internet-host=example.com proto=http server=203.0.113.10:80 "* ]]
}

# Reading a topology takes a small multiple of its size, whatever its shape:
# each 15 MB document below is refused for what is wrong with it (not for
# running out of memory) with the address space limited to 32 MiB for the
# program plus 10 times the document. A general JSON library's tree needs
# 20 to 80 times the text.
@test "a 15 MB invalid topology is refused in a small multiple of its size" {
	size=15000000
	f=$BATS_TEST_TMPDIR/big.json
	shapes=(
		'array|.x: [1,1,1|unknown field'
		'objects|.pods: |at most 65536 pods are supported (found 5000001)'
		'pods|.pods[65535].bogus: 1|unknown field'
		'keys|.x: {"k1":0,"k2":0|unknown field'
		'deep|.x: [[[[|unknown field'
		'strings|.x: ["","",""|unknown field'
		'labels|.pods[0].bogus: 1|unknown field'
		'long|.x: "\u00E9\u00E9|unknown field'
	)
	for shape in "${shapes[@]}"; do
		IFS='|' read -r name where msg <<<"$shape"
		{
			printf '{"nodes":[{"name":"node-1"}],'
			case $name in
			array) printf '"x":['; yes '1,' | tr -d '\n' | head -c $size; printf '1]' ;;
			objects) printf '"pods":['; yes '{},' | tr -d '\n' | head -c $size; printf '{}]' ;;
			pods) printf '"pods":['
				awk 'BEGIN { for (i = 0; i < 65535; i++)
					printf "{\"name\":\"p-%d\",\"node\":\"node-1\",\"labels\":{\"app\":\"web\",\"tier\":\"t%d\",\"l\":\"%060d\",\"m\":\"%060d\"},\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":8080}]}]},", i, i, i, i }'
				printf '{"name":"last","node":"node-1","containers":[{"name":"c"}],"bogus":1}]' ;;
			keys) printf '"x":{'; awk -v n=$((size / 11)) 'BEGIN { for (i = 1; i < n; i++) printf "\"k%d\":0,", i; printf "\"k%d\":0", n }'; printf '}' ;;
			deep) printf '"x":['; awk -v n=$((size / 2000)) 'BEGIN { a = sprintf("%1000s", ""); b = a; gsub(/ /, "[", a); gsub(/ /, "]", b); for (i = 1; i < n; i++) printf "%s%s,", a, b; printf "%s%s", a, b }'; printf ']' ;;
			strings) printf '"x":['; yes '"",' | tr -d '\n' | head -c $size; printf '""]' ;;
			labels) printf '"pods":[{"name":"p","node":"node-1","labels":{'
				awk -v n=$((size / 13)) 'BEGIN { for (i = 1; i < n; i++) printf "\"k%d\":\"v\",", i; printf "\"k%d\":\"v\"", n }'
				printf '},"containers":[{"name":"c"}],"bogus":1}]' ;;
			long) printf '"x":"'; yes 'é' | tr -d '\n' | head -c $size; printf '"' ;;
			esac
			printf '}'
		} >"$f"
		bytes=$(stat -c %s "$f")
		[ "$bytes" -ge 9000000 ]
		limit_kb=$(( 32 * 1024 + 10 * bytes / 1024 ))
		run bash -c "ulimit -v $limit_kb && exec '$PODPATH' --lab $LAB setup -f '$f'"
		echo "$name: $bytes bytes, limit $limit_kb KiB: status $status: ${output:0:200}"
		[ "$status" -eq 2 ]
		[[ "$output" == "podpath: topology $f: $where"*"$msg"* ]]
		[[ "$output" != *"out of memory"* ]]
		nothing_built
	done
}
