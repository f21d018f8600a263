#!/usr/bin/env bats
# The Kubernetes network model's three rules, in every cross-node mode,
# checked with the kernel's own tools (ip, ping, curl, tcpdump).

MODES="routed vxlan vpc"

setup_file() {
	load helpers
	for m in $MODES; do
		lab_cleanup "ppt-model-$m"
		"$PODPATH" --lab "ppt-model-$m" setup --network "$m" >/dev/null
	done
}

teardown_file() {
	load helpers
	for m in $MODES; do lab_cleanup "ppt-model-$m"; done
}

setup() { load helpers; }

# From every pod to every other pod: the responder on web pods names the
# client address it saw, which must be the source pod's own address;
# pods without a listener are pinged.
@test "every pod reaches every other pod without NAT, same node and across nodes" {
	for m in $MODES; do
		lab=ppt-model-$m
		for src in $(pod_netns $lab); do
			sip=$(pod_ip $src)
			for dst in $(pod_netns $lab); do
				[ "$src" = "$dst" ] && continue
				dip=$(pod_ip $dst)
				if ip netns exec $dst ss -ltn | grep -q ':8080 '; then
					out=$(ns_curl $src "http://$dip:8080/")
					echo "$m: $src -> $dst: $out"
					[[ "$out" == *"client=$sip:"* ]]
				else
					ip netns exec $src ping -c1 -W2 -q "$dip" >/dev/null
				fi
			done
		done
	done
}

@test "a cross-node packet arrives at the destination pod with the source pod's address (tcpdump)" {
	for m in $MODES; do
		lab=ppt-model-$m
		src=${lab}_pod_default_client dst=${lab}_pod_default_web-2
		sip=$(pod_ip $src) dip=$(pod_ip $dst)
		cap=$BATS_TEST_TMPDIR/$m.txt
		tcpdump_start $dst -l -n -c 1 -i eth0 "tcp dst port 8080 and tcp[tcpflags] & tcp-syn != 0" >"$cap"
		pid=$TCPDUMP_PID
		ns_curl $src "http://$dip:8080/" >/dev/null
		wait $pid
		echo "$m: $(cat "$cap")"
		grep -q "IP $sip\.[0-9]* > $dip\.8080:" "$cap"
	done
}

@test "every node reaches every pod without NAT" {
	for m in $MODES; do
		lab=ppt-model-$m
		for node in $(node_netns $lab); do
			mine=$(ip -n $node -4 -o addr show | awk '{print $4}' | cut -d/ -f1)
			for dst in $(pod_netns $lab); do
				dip=$(pod_ip $dst)
				if ip netns exec $dst ss -ltn | grep -q ':8080 '; then
					out=$(ns_curl $node "http://$dip:8080/")
					client=$(sed -n 's/.*client=\([0-9.]*\):.*/\1/p' <<<"$out")
					echo "$m: $node -> $dst saw $client (node has: $mine)"
					grep -qx "$client" <<<"$mine"
				else
					ip netns exec $node ping -c1 -W2 -q "$dip" >/dev/null
				fi
			done
		done
	done
}

@test "a pod's IP seen from inside equals the one seen outside" {
	for m in $MODES; do
		lab=ppt-model-$m
		json=$("$PODPATH" --lab $lab -j status)
		for ns in $(pod_netns $lab); do
			inside=$(pod_ip $ns)
			listed=$(jq -r --arg ns "$ns" '.pods[] | select(.netns == $ns) | .ip' <<<"$json")
			echo "$m: $ns inside=$inside status=$listed"
			[ "$inside" = "$listed" ]
			# The pod's eth0 is paired with the host veth podpath names.
			node=${lab}_node_$(jq -r --arg ns "$ns" '.pods[] | select(.netns == $ns) | .node' <<<"$json")
			host=$(jq -r --arg ns "$ns" '.pods[] | select(.netns == $ns) | .hostVeth' <<<"$json")
			peer=$(ip -n $ns -o link show eth0 | sed -n 's/.*eth0@if\([0-9]*\):.*/\1/p')
			ip -n $node -o link show "$host" | grep -q "^$peer: $host@"
		done
		# Seen from outside: a node connecting to the pod's address reaches a
		# socket whose local address is that same address.
		for ns in ${lab}_pod_default_web-1 ${lab}_pod_default_web-2; do
			inside=$(pod_ip $ns)
			out=$(ns_curl ${lab}_node_node-1 "http://$inside:8080/")
			[[ "$out" == *"server=$inside:8080 "* ]]
		done
	done
}

@test "the containers of one pod talk over localhost" {
	for m in $MODES; do
		out=$(ns_curl ppt-model-${m}_pod_default_web-1 http://127.0.0.1:9090/)
		[[ "$out" == *"container=sidecar"* ]]
		out=$("$PODPATH" --lab ppt-model-$m exec default/web-1 -c sidecar -- curl -s -m 3 http://localhost:8080/)
		[[ "$out" == *"container=web"* && "$out" == *"client=127.0.0.1:"* ]]
	done
}

@test "ip netns list shows every namespace of the lab" {
	for m in $MODES; do
		lab=ppt-model-$m
		run ip netns list
		for ns in ${lab}_vpc ${lab}_node_node-1 ${lab}_node_node-2 ${lab}_pod_default_client \
			${lab}_pod_default_web-1 ${lab}_pod_default_web-2; do
			grep -q "^$ns\b" <<<"$output"
		done
	done
}

@test "ip -n confirms veth, bridge and route objects (routed)" {
	lab=ppt-model-routed
	# cbr0 is a bridge holding the pods' host-side veths.
	ip -n ${lab}_node_node-1 -d link show cbr0 | grep -q "bridge "
	[ "$(ip -n ${lab}_node_node-1 -o link show master cbr0 | grep -c 'veth')" -eq 3 ]	# client, web-1, the ingress controller
	# The pod's eth0 is a veth whose peer lives in the node namespace.
	ip -n ${lab}_pod_default_client -d link show eth0 | grep -q "veth"
	ip -n ${lab}_pod_default_client -d link show eth0 | grep -q "link-netns ${lab}_node_node-1"
	# host-gw routing: the peer's pod CIDR via the peer's node IP.
	ip -n ${lab}_node_node-1 route | grep -q "^10.244.2.0/24 via 172.18.0.3 dev eth0"
	ip -n ${lab}_node_node-2 route | grep -q "^10.244.1.0/24 via 172.18.0.2 dev eth0"
	ip -n ${lab}_pod_default_client route | grep -q "^default via 10.244.1.1 dev eth0"
	[ "$(ip netns exec ${lab}_node_node-1 sysctl -n net.ipv4.ip_forward)" = 1 ]
}

@test "ip -n confirms the flannel-style VXLAN device, FDB and neighbours (vxlan)" {
	lab=ppt-model-vxlan
	n1=${lab}_node_node-1
	ip -n $n1 -d link show flannel.1 | grep -q "vxlan id 1 local 172.18.0.2 dev eth0 .*dstport 8472 nolearning"
	ip -n $n1 link show flannel.1 | grep -q "mtu 1450"
	ip -n $n1 link show cbr0 | grep -q "mtu 1450"
	ip -n ${lab}_pod_default_client link show eth0 | grep -q "mtu 1450"
	ip -n $n1 -4 addr show flannel.1 | grep -q "inet 10.244.1.0/32"
	ip -n $n1 route | grep -q "^10.244.2.0/24 via 10.244.2.0 dev flannel.1 .*onlink"
	mac=$(ip -n ${lab}_node_node-2 link show flannel.1 | awk '/link\/ether/ {print $2}')
	ip -n $n1 neigh show dev flannel.1 | grep -q "^10.244.2.0 lladdr $mac PERMANENT"
	bridge -n $n1 fdb show dev flannel.1 | grep -q "^$mac dst 172.18.0.3 self permanent"
}

@test "a cross-node packet travels VXLAN-encapsulated on the VPC segment (vxlan)" {
	lab=ppt-model-vxlan
	cap=$BATS_TEST_TMPDIR/vx.txt
	tcpdump_start ${lab}_node_node-1 -l -n -c 1 -i eth0 "udp dst port 8472" >"$cap"
	pid=$TCPDUMP_PID
	ns_curl ${lab}_pod_default_client http://10.244.2.2:8080/ >/dev/null
	wait $pid
	cat "$cap"
	# Outer UDP between the node IPs (tcpdump names 8472 OTV), inner TCP between pods.
	grep -q "IP 172.18.0.2\.[0-9]* > 172.18.0.3\.8472: " "$cap"
	grep -q "IP 10.244.1.2\.[0-9]* > 10.244.2.2\.8080: Flags \[S\]" "$cap"
}

@test "ip -n confirms /32 routes, proxy ARP and no bridge (vpc)" {
	lab=ppt-model-vpc
	n1=${lab}_node_node-1
	run ip -n $n1 link show cbr0
	[ "$status" -ne 0 ]
	client=$(pod_ip ${lab}_pod_default_client)
	[[ "$client" == 172.18.0.* ]]
	ip -n ${lab}_pod_default_client -4 addr show eth0 | grep -q "inet $client/32"
	ip -n ${lab}_pod_default_client route | grep -q "^default via 169.254.1.1 dev eth0"
	ip -n ${lab}_pod_default_client neigh show 169.254.1.1 | grep -q "lladdr ee:ee:ee:ee:ee:ee PERMANENT"
	ip -n $n1 route | grep -q "^$client dev veth[0-9a-f]* .*scope link"
	ip -n $n1 neigh show proxy | grep -q "^$client dev eth0 proxy"
}

@test "UDP between pods across nodes keeps the source address (socat)" {
	for m in $MODES; do
		lab=ppt-model-$m
		sip=$(pod_ip ${lab}_pod_default_client) dip=$(pod_ip ${lab}_pod_default_web-2)
		out=$(echo ping | ip netns exec ${lab}_pod_default_client socat -t2 - "udp:$dip:9000")
		echo "$m: $out"
		[[ "$out" == *"proto=udp server=$dip:9000 client=$sip:"* ]]
	done
}

@test "the responder answers a request whose body comes late, and closes without a reset" {
	lab=ppt-model-routed
	dip=$(pod_ip ${lab}_pod_default_web-2)
	# As late as it gets: the body goes once the responder has answered and
	# closed its side (its FIN is here: the client's socket is in
	# CLOSE-WAIT). It takes the body without a reset: acknowledged (Send-Q
	# 0), the connection still there; a reset would have removed it. Each
	# wait is on the socket's state, bounded (20 s) for a hang.
	cat >"$BATS_TEST_TMPDIR/late.sh" <<'EOF'
dip=$1
# Wait until the client's connection to the responder is in CLOSE-WAIT
# with Send-Q $1 or less.
close_wait() {
	local i q
	for i in $(seq 400); do
		q=$(ss -Htn state close-wait "( dport = :8080 and dst $dip )" | awk '{print $2}')
		[ -n "$q" ] && [ "$q" -le "$1" ] && return 0
		sleep 0.05
	done
	echo "no CLOSE-WAIT connection to $dip:8080 with Send-Q <= $1: $(ss -Htn "( dport = :8080 )")" >&2
	exit 3
}
exec 3<>/dev/tcp/$dip/8080
printf "POST /late HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n" >&3
close_wait 0
printf hello >&3
close_wait 0
cat <&3
EOF
	out=$(ip netns exec ${lab}_pod_default_client timeout 60 bash "$BATS_TEST_TMPDIR/late.sh" "$dip")
	echo "$out"
	[[ "$out" == "HTTP/1.1 200 OK"* ]]
	[[ "$out" == *"path=/late"* ]]
}
