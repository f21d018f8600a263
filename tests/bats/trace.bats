#!/usr/bin/env bats
# podpath trace against independent observers: tcpdump on the same
# interfaces, nft's own view of rules, the kernel's view of sockets.

bats_require_minimum_version 1.5.0

MODES="routed vxlan vpc"

setup_file() {
	load helpers
	for m in $MODES; do
		lab_cleanup ppt-trace-$m
		"$PODPATH" --lab ppt-trace-$m setup --network $m >/dev/null
	done
}

teardown_file() {
	load helpers
	for m in $MODES; do lab_cleanup ppt-trace-$m; done
}

setup() { load helpers; }

tr() { # LAB ARGS... -> JSON in $out, status in $st
	st=0
	out=$("$PODPATH" --lab "$1" -j trace "${@:2}") || st=$?
}

# tcpdump in NETNS on IFACE, until it has seen one packet matching FILTER.
watch_start() { # NETNS IFACE FILTER
	cap=$BATS_TEST_TMPDIR/cap.$RANDOM
	tcpdump_start "$1" -l -n -c 1 -i "$2" "$3" >"$cap"
	wpid=$TCPDUMP_PID
}
# Not in $(...): only this shell can wait for its own child.
watch_end() { wait $wpid || true; seen=$(cat "$cap"); }

@test "pod to pod on one node: the hops are the two veth pairs and the bridge, tcpdump agrees" {
	lab=ppt-trace-routed
	watch_start ${lab}_pod_default_web-1 eth0 "tcp dst port 8080 and tcp[tcpflags] & tcp-syn != 0"
	tr $lab default/client default/web-1
	watch_end
	[ "$st" -eq 0 ]
	jq -e '.verdict.result == "delivered"' <<<"$out"
	sport=$(jq -r '.hops[0].packet.sport' <<<"$out")
	[[ "$seen" == *"10.244.1.2.$sport > 10.244.1.3.8080"* ]]
	path=$(jq -r '[.hops[] | select(.direction == "request") | "\(.place)|\(.interface)|\(.io)"] | join(",")' <<<"$out")
	echo "$path"
	host_client=$(pp_host_veth $lab client) host_web=$(pp_host_veth $lab web-1)
	[ "$path" = "pod default/client|eth0|out,node node-1|$host_client|in,node node-1|$host_web|out,pod default/web-1|eth0|in" ]
	jq -e '[.hops[] | select(.direction == "reply")] | length == 4' <<<"$out"
}

pp_host_veth() { "$PODPATH" --lab "$1" -j status | jq -r --arg p "$2" '.pods[] | select(.name == $p) | .hostVeth'; }

@test "pod to pod across nodes in every mode: each hop tcpdump can see, in order" {
	for m in $MODES; do
		lab=ppt-trace-$m
		dip=$(pod_ip ${lab}_pod_default_web-2)
		watch_start ${lab}_node_node-2 eth0 "$([ $m = vxlan ] && echo 'udp dst port 8472' || echo "tcp dst port 8080 and dst host $dip")"
		tr $lab default/client default/web-2
		watch_end
		echo "$m: tcpdump: $seen"
		[ "$st" -eq 0 ]
		jq -e '.verdict.result == "delivered"' <<<"$out"
		[ -n "$seen" ]
		# The trace saw it on node-2's eth0 too, and last in web-2.
		jq -e '[.hops[] | select(.direction == "request" and .place == "node node-2" and .interface == "eth0")] | length == 1' <<<"$out"
		jq -e '[.hops[] | select(.direction == "request")] | last | .place == "pod default/web-2" and .interface == "eth0"' <<<"$out"
		# Times never go backwards.
		jq -e '[.hops[].time_ms] as $t | [range(1; $t | length) | $t[.] >= $t[. - 1]] | all' <<<"$out"
	done
	# vxlan: the hop on the VPC wire carries the encapsulation.
	tr ppt-trace-vxlan default/client default/web-2
	jq -e '[.hops[] | select(.place == "VPC" and .direction == "request")] | all(.packet.vxlan.vni == 1)' <<<"$out"
	jq -e '[.hops[] | select(.interface == "flannel.1")] | length >= 2' <<<"$out"
	jq -e 'any(.hops[].change; test("encapsulated: VXLAN VNI 1"))' <<<"$out"
	# routed: the node's hop names the route the kernel picked.
	tr ppt-trace-routed default/client default/web-2
	jq -e 'any(.hops[].why; . == "route 10.244.2.0/24 via 172.18.0.3 dev eth0")' <<<"$out"
	jq -e 'any(.hops[].change; . == "TTL 64 -> 63")' <<<"$out"
}

@test "node to pod, HTTP: the responder names the backend and the client address it saw" {
	lab=ppt-trace-routed
	tr $lab node/node-1 http://10.244.2.2:8080/hello
	[ "$st" -eq 0 ]
	jq -e '.protocol == "http" and .verdict.http_status == 200' <<<"$out"
	jq -e '.verdict.answer | test("pod=default/web-2 .*client=172.18.0.2:.*path=/hello")' <<<"$out"
}

@test "UDP and ICMP probes are delivered and their answers traced back" {
	lab=ppt-trace-vpc
	tr $lab default/client default/web-2 -p udp
	[ "$st" -eq 0 ]
	jq -e '.dst.port == 9000 and (.verdict.answer | test("proto=udp"))' <<<"$out"
	tr $lab default/web-2 default/client -p icmp
	[ "$st" -eq 0 ]
	jq -e '[.hops[] | select(.direction == "reply")] | length >= 4' <<<"$out"
}

@test "container to container over localhost" {
	tr ppt-trace-routed default/web-1:sidecar 127.0.0.1:8080
	[ "$st" -eq 0 ]
	jq -e '[.hops[] | select(.direction == "request")] | map(.interface) | unique == ["lo"]' <<<"$out"
}

@test "a stopped responder: refused, with the RST coming from the pod" {
	lab=ppt-trace-routed
	pid=$("$PODPATH" --lab $lab -j status | jq -r '.pods[] | select(.name == "web-2") | .containers[0].pid')
	kill -9 $pid
	tr $lab default/client default/web-2
	[ "$st" -eq 1 ]
	jq -e '.verdict.result == "refused" and (.verdict.reason | test("TCP RST from pod default/web-2"))' <<<"$out"
	# The path itself was right: the divergence says so and names its end.
	jq -e '.verdict.divergence | test("^none: .* the last at pod default/web-2 eth0 \\(in\\)")' <<<"$out"
}

@test "a deleted route: no-route at the source, and the trace exits 1" {
	lab=ppt-trace-vxlan
	ip -n ${lab}_pod_default_client route del default
	tr $lab default/client default/web-2
	ip -n ${lab}_pod_default_client route add default via 10.244.1.1
	[ "$st" -eq 1 ]
	jq -e '.verdict.result == "no-route" and .verdict.last_hop == null' <<<"$out"
}

@test "an unreachable address: past the gateway, the internet router's ICMP error is the answer" {
	# 10.9.9.9 is nobody's: the VPC sends it to the gateway, the internet
	# router has no route for it and says so.
	tr ppt-trace-routed default/client 10.9.9.9 -p icmp --timeout 1
	[ "$st" -eq 1 ]
	jq -e '.verdict.result == "unreachable"' <<<"$out"
	jq -e 'any(.hops[]; .direction == "reply" and .packet.icmp.type == 3 and .packet.src == "203.0.113.1")' <<<"$out"
}

@test "a router's ICMP errors are not rate-limited: ten traces in a row to a closed port, ten refusals" {
	# The kernel's default (icmp_ratelimit 1000) lets a burst of six through
	# and then one a second; lab routers set it to 0, the host keeps its own.
	for i in $(seq 10); do
		tr ppt-trace-routed default/client 203.0.113.1:9 -p udp --timeout 1
		[ "$st" -eq 1 ]
		jq -e '.verdict.result == "refused"' <<<"$out"
	done
	[ "$(ip netns exec ppt-trace-routed_internet sysctl -n net.ipv4.icmp_ratelimit)" -eq 0 ]
	[ "$(sysctl -n net.ipv4.icmp_ratelimit)" -ne 0 ]
}

@test "a routing loop: TTL exceeded, the loop's hops repeated, tcpdump sees the ICMP error" {
	lab=ppt-trace-routed
	# The VPC router sends 10.250.0.0/16 to the load balancer, whose
	# default route sends it back: round and round until the TTL runs out.
	ip -n ${lab}_vpc route add 10.250.0.0/16 via 169.254.100.2 dev lb
	watch_start ${lab}_pod_default_client eth0 "icmp[0] = 11"
	tr $lab default/client 10.250.0.1 -p icmp --timeout 1
	ip -n ${lab}_vpc route del 10.250.0.0/16
	watch_end
	[[ "$seen" == *"time exceeded"* ]]
	[ "$st" -eq 1 ]
	jq -e '.verdict.result == "ttl-exceeded" and (.verdict.reason | test("routing loop"))' <<<"$out"
	jq -e 'any(.hops[]; .place == "VPC" and .interface == "lb" and .repeats > 10)' <<<"$out"
}

@test "an unused pod address: the destination node's ARP goes unanswered" {
	tr ppt-trace-routed default/client 10.244.2.77 -p icmp --timeout 0.5
	[ "$st" -eq 1 ]
	jq -e '.verdict.result == "no-neighbour" and (.verdict.reason | test("10.244.2.77 not resolved.*node node-2"))' <<<"$out"
	# On the pod's own subnet, the pod itself asks, and ip neigh agrees.
	tr ppt-trace-routed default/client 10.244.1.77 --timeout 0.5
	[ "$st" -eq 1 ]
	jq -e '.verdict.result == "no-neighbour" and (.verdict.reason | test("ARP on pod default/client eth0 unanswered"))' <<<"$out"
	ip -n ppt-trace-routed_pod_default_client neigh show 10.244.1.77 | grep -Eq "INCOMPLETE|FAILED"
}

@test "an nft drop rule added with nft: dropped, naming the rule, the chain and the node" {
	lab=ppt-trace-routed
	n2=${lab}_node_node-2
	ip netns exec $n2 nft add table ip ppt_test
	ip netns exec $n2 nft add chain ip ppt_test ppt_fwd '{ type filter hook forward priority 0; }'
	ip netns exec $n2 nft add rule ip ppt_test ppt_fwd tcp dport 8080 counter drop comment '"ppt test drop"'
	tr $lab default/client 10.244.2.2:8080 --timeout 0.5
	counter=$(ip netns exec $n2 nft list table ip ppt_test | grep -o 'packets [0-9]*' | awk '{print $2}')
	ip netns exec $n2 nft delete table ip ppt_test
	echo "$out" | jq .verdict
	[ "$st" -eq 1 ]
	[ "$counter" -ge 1 ]
	jq -e '.verdict.result == "dropped"' <<<"$out"
	jq -e '.verdict.reason | test("node node-2.*table ppt_test chain ppt_fwd.*ppt test drop")' <<<"$out"
	jq -e '[.hops[] | select(.direction == "request")] | last | .place == "node node-2"' <<<"$out"
	jq -e '.verdict.divergence | test("node node-2")' <<<"$out"
}

@test "--timeout bounds the wait" {
	start=$(date +%s%N)
	tr ppt-trace-routed default/client 10.244.2.77 -p udp --port 5000 --timeout 0.3
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "took $ms ms"
	[ "$st" -eq 1 ]
	[ "$ms" -lt 1500 ]
}

@test "--pcap writes every capture point's packets; tcpdump reads the file" {
	f=$BATS_TEST_TMPDIR/t.pcapng
	run "$PODPATH" --lab ppt-trace-vxlan trace default/client default/web-2 --pcap "$f"
	[ "$status" -eq 0 ]
	n=$(tcpdump -r "$f" -n 2>/dev/null | wc -l)
	hops=$("$PODPATH" --lab ppt-trace-vxlan -j trace default/client default/web-2 | jq '.hops | length')
	echo "packets in file: $n, hops: $hops"
	[ "$n" -ge "$hops" ]
	tcpdump -r "$f" -n 2>/dev/null | grep -q "Flags \[S\]"
	# A DNS name: the query's packets are in the file too, before the
	# connection's, and the file reads as one timeline.
	run "$PODPATH" --lab ppt-trace-vxlan trace default/client http://web/ --pcap "$f"
	[ "$status" -eq 0 ]
	tcpdump -r "$f" -n 2>/dev/null | head -1 | grep -q "A? web.default.svc.cluster.local"
	tcpdump -r "$f" -n 2>/dev/null | grep -q "Flags \[S\]"
	tcpdump -tt -r "$f" -n 2>/dev/null | awk '/^[0-9]/ {print $1}' | sort -c -n
}

@test "no trace leaves a rule, a capture socket or a process behind" {
	before=$(pgrep -c podpath || true)
	for i in 1 2 3; do
		"$PODPATH" --lab ppt-trace-routed trace default/client default/web-1 >/dev/null || true
	done
	for ns in $(ip netns list | awk '{print $1}' | grep '^ppt-trace-'); do
		! ip netns exec $ns nft list tables | grep -q podpath-trace
		[ "$(ip netns exec $ns cat /proc/net/packet | wc -l)" -le 1 ]
	done
	[ "$(pgrep -c podpath || true)" -eq "$before" ]
}

@test "bad trace arguments exit 2 and name the argument" {
	lab=ppt-trace-routed
	for c in "default/nope default/web-1|no such pod" "default/client|needs SRC and DST" \
		"default/client default/web-1 -p sctp|-p \"sctp\"" "default/client default/web-1 --port 0|--port \"0\"" \
		"default/client default/web-1 --timeout x|--timeout \"x\"" "10.0.0.1 default/web-1|a source is a pod" \
		"default/client default/client:nope|bad port" "default/client node/node-9|no such node" \
		"default/client default/client -p udp|has no UDP port" \
		"default/client 10.244.1.300|\"10.244.1.300\" is not an IPv4 address" \
		"default/client fd00::1|IPv6 is not supported" "default/client http://[fd00::1]/|IPv6 is not supported" \
		"default/client https://|the URL has no host" \
		"default/client ftp://example.com/|scheme \"ftp\" is not one trace speaks" \
		"default/client http://web:99999/|bad port \"99999\"" \
		"default/client http://u@web/|credentials" \
		"default/client a..b|\"a..b\" is neither a pod" \
		"default/client web-.x|\"web-.x\" is neither a pod" \
		"default/client default/web-1:8080 --port 9000|names port 8080 and --port 9000: give it once" \
		"default/client http://web:80/ --port 81|DST \"http://web:80/\" names port 80" \
		"default/client svc/default/web --port 8080|has no port \"8080\"" \
		"default/client https://web/ -p http|is an https URL and -p says \"http\""; do
		args=${c%%|*} want=${c#*|}
		run "$PODPATH" --lab $lab trace $args
		echo "trace $args -> $status $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"$want"* ]]
	done
}

@test "a DNAT rule added with nft: the hop shows the rewrite, conntrack the translation (conntrack -L agrees)" {
	lab=ppt-trace-vxlan	# routed's web-2 was stopped above
	n2=${lab}_node_node-2
	ip netns exec $n2 nft add table ip ppt_nat
	ip netns exec $n2 nft add chain ip ppt_nat pre '{ type nat hook prerouting priority dstnat; }'
	ip netns exec $n2 nft add rule ip ppt_nat pre ip daddr 10.244.2.99 tcp dport 80 dnat to 10.244.2.2:8080
	tr $lab default/client 10.244.2.99:80
	sport=$(jq -r '.hops[0].packet.sport' <<<"$out")
	ctl=$(ip netns exec $n2 conntrack -L -p tcp --orig-port-src "$sport" 2>/dev/null)
	# Behind the DNAT, a firewall in the pod itself: traced there too.
	w=${lab}_pod_default_web-2
	ip netns exec $w nft add table ip ppt_fw
	ip netns exec $w nft add chain ip ppt_fw in '{ type filter hook input priority 0; }'
	ip netns exec $w nft add rule ip ppt_fw in tcp dport 8080 drop comment '"pod firewall"'
	st2=0
	out2=$("$PODPATH" --lab $lab -j trace default/client 10.244.2.99:80 --timeout 0.5) || st2=$?
	ip netns exec $w nft delete table ip ppt_fw
	ip netns exec $n2 nft delete table ip ppt_nat
	echo "$ctl"
	[ "$st2" -eq 1 ]
	jq -e '.verdict.result == "dropped" and (.verdict.reason | test("pod default/web-2: table ppt_fw chain in.*pod firewall"))' <<<"$out2"
	[ "$st" -eq 0 ]
	jq -e 'any(.hops[]; .place == "node node-2" and (.change | test("destination NAT: 10.244.2.99:80 -> 10.244.2.2:8080")))' <<<"$out"
	jq -e '.conntrack[] | select(.netns | endswith("node_node-2")) | .dnat and .reply.src == "10.244.2.2" and .reply.sport == 8080' <<<"$out"
	[[ "$ctl" == *"dst=10.244.2.99"*"dport=80"*"src=10.244.2.2"*"sport=8080"* ]]
}
