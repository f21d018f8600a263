#!/usr/bin/env bats
# podpath trace never reports a path that did not happen: a delivered trace
# comes with its hops, the divergence is "none" only when every predicted
# hop was seen in order (a Service's DNAT included), nginx's own connection
# is the one that carried this trace's request, and what the observers lost
# is said. Each claim is checked against conntrack, tcpdump, nft and ip in
# the namespaces involved, or against the backend's own answer.

bats_require_minimum_version 1.5.0

LB=ppt-truth-lb		# a LoadBalancer (Cluster) whose one endpoint is on node-2
ING=ppt-truth-ing	# the default lab: ingress, default/web on both nodes

setup_file() {
	load helpers
	lab_cleanup $LB
	lab_cleanup $ING
	"$PODPATH" --lab $LB setup -f "$TOPOS/good/lb-remote-endpoint.json" >/dev/null
	"$PODPATH" --lab $ING setup >/dev/null
}

teardown_file() {
	load helpers
	lab_cleanup $LB
	lab_cleanup $ING
}

setup() { load helpers; }

# A test that took kube-proxy's table away puts it back, also when it failed.
teardown() {
	[ -f "$BATS_TEST_TMPDIR/kube-proxy.nft" ] || return 0
	if ip netns exec ${LB}_node_node-1 nft list table ip kube-proxy >/dev/null 2>&1; then
		return 0
	fi
	ip netns exec ${LB}_node_node-1 nft -f "$BATS_TEST_TMPDIR/kube-proxy.nft"
}

# tcpdump in NETNS on IFACE, until it has seen one packet matching FILTER.
watch_start() { # NETNS IFACE FILTER
	cap=$BATS_TEST_TMPDIR/cap.$RANDOM
	tcpdump_start "$1" -l -n -c 1 -i "$2" "$3" >"$cap"
	wpid=$TCPDUMP_PID
}
# Not in $(...): only this shell can wait for its own child.
watch_end() { wait $wpid || true; seen=$(cat "$cap"); }

trj() { # LAB ARGS... -> JSON in $out, status in $st
	st=0
	out=$("$PODPATH" --lab "$1" -j trace "${@:2}") || st=$?
}

# The LoadBalancer IP and NodePort of default/web-lb, as the load
# balancer's own nftables hold them (not podpath's report).
lb_ip() {
	ip netns exec ${LB}_lb nft list map ip cloud-lb listeners |
		grep -o "[0-9.]* \. tcp \. 80 comment \"default/web-lb:80\"" | awk '{print $1}'
}
lb_nodeport() {
	ip netns exec ${LB}_lb nft list table ip cloud-lb |
		grep -A1 "target-default/web-lb/tcp/80/node-1 {" | grep -o "NodePort [0-9]*" | awk '{print $2}'
}
node_ip() { ip -n "${1}_node_$2" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }
cluster_ip() { "$PODPATH" --lab "$1" -j status | jq -r --arg s "$2" '.services[] | select(.name == $s) | .clusterIP'; }

@test "LoadBalancer (Cluster), endpoint on node-2: every trace has hops on the node the LB chose and at the endpoint; conntrack agrees on the node" {
	lb=$(lb_ip)
	np=$(lb_nodeport)
	[[ "$lb" == 198.51.100.* ]]
	[ -n "$np" ]
	laptop=$(pod_ip ${LB}_inet_laptop)
	chosen=""
	for i in $(seq 12); do
		# Each run's conntrack of its own: the check below finds one entry.
		for n in node-1 node-2; do ip netns exec ${LB}_node_$n conntrack -F 2>/dev/null; done
		trj $LB internet/laptop "$lb:80" -p http
		echo "run $i: $(jq -c '[.verdict.result, .verdict.divergence, [.hops[] | select(.direction == "request") | .place] | unique]' <<<"$out")"
		[ "$st" -eq 0 ]
		jq -e '.verdict.result == "delivered"' <<<"$out"
		# The node the load balancer sent it to, as the hops show it...
		node=$(jq -r '[.hops[] | select(.direction == "request" and (.place | startswith("node ")) and .interface == "eth0" and .io == "in")][0].place | sub("^node "; "")' <<<"$out")
		[[ "$node" == node-[12] ]]
		# ...and as that node's conntrack does: the laptop's connection to
		# the node's own address and the NodePort, on that node only.
		sport=$(jq -r '.hops[0].packet.sport' <<<"$out")
		for n in node-1 node-2; do
			c=$(ip netns exec ${LB}_node_$n conntrack -L -p tcp -s "$laptop" --sport "$sport" \
				-d "$(node_ip $LB $n)" --dport "$np" 2>/dev/null | grep -c . || true)
			if [ "$n" = "$node" ]; then [ "$c" -eq 1 ]; else [ "$c" -eq 0 ]; fi
		done
		# The answer came from the endpoint, and the hops reached it.
		jq -e '.verdict.answer | test("^pod=default/web-2 ")' <<<"$out"
		jq -e '[.hops[] | select(.direction == "request" and .place == "pod default/web-2" and .interface == "eth0" and .io == "in")] | length == 1' <<<"$out"
		# The way was the predicted one: nothing missing, nothing lost.
		jq -e '.verdict.divergence_at.kind == "none" and .verdict.divergence == ""' <<<"$out"
		jq -e '[.expected_path[] | select(.seen_at_hop == null)] | length == 0' <<<"$out"
		jq -e '[.observer_losses[] | select(.what == "path" or .what == "unobserved-namespace")] | length == 0' <<<"$out"
		chosen="$chosen $node"
	done
	echo "nodes chosen:$chosen"
	# Both nodes were taken (12 fair coin flips all alike: 1 in 2048).
	[[ "$chosen" == *node-1* ]]
	[[ "$chosen" == *node-2* ]]
}

@test "kube-proxy's table deleted on node-1: the divergence is the missing DNAT, at the hop that left node-1 for the ClusterIP (tcpdump sees it leave)" {
	n1=${LB}_node_node-1
	cip=$(cluster_ip $LB web-lb)
	[[ "$cip" == 10.96.* ]]
	ip netns exec $n1 nft list table ip kube-proxy >"$BATS_TEST_TMPDIR/kube-proxy.nft"
	ip netns exec $n1 nft delete table ip kube-proxy
	watch_start $n1 eth0 "tcp[tcpflags] & tcp-syn != 0 and dst host $cip and dst port 80"
	trj $LB default/client svc/default/web-lb --timeout 2
	watch_end
	ip netns exec $n1 nft -f "$BATS_TEST_TMPDIR/kube-proxy.nft"
	echo "$out" | jq -c '.verdict'
	echo "tcpdump on node-1 eth0: $seen"
	# The kernel's word: the SYN left node-1 still for the ClusterIP.
	[[ "$seen" == *" > $cip.80: Flags [S]"* ]]
	[ "$st" -eq 1 ]
	jq -e '.verdict.divergence_at | .kind == "no-dnat" and .place == "node node-1" and .interface == "eth0" and .io == "out"' <<<"$out"
	jq -e --arg c "$cip" '.verdict.divergence | startswith("expected DNAT to an endpoint of Service default/web-lb at node node-1, but it left node node-1 on eth0 for \($c):80 unchanged")' <<<"$out"
	# The hop it names is that packet.
	jq -e --arg c "$cip" '.hops[.verdict.divergence_at.hop - 1] | .packet.dst == $c and .place == "node node-1" and .io == "out"' <<<"$out"
	# Restored: the same trace is delivered again, the way predicted.
	trj $LB default/client svc/default/web-lb
	[ "$st" -eq 0 ]
	jq -e '.verdict.divergence_at.kind == "none"' <<<"$out"
}

@test "a neighbour already INCOMPLETE: the divergence names the hop that never left node-2 and the neighbour's state, not none" {
	n2=${LB}_node_node-2
	ip -n $n2 neigh replace 10.244.2.77 dev cbr0 nud incomplete
	trj $LB default/client 10.244.2.77:80 --timeout 1
	state=$(ip -n $n2 neigh show 10.244.2.77 dev cbr0)
	ip -n $n2 neigh del 10.244.2.77 dev cbr0
	echo "$out" | jq -c '.verdict'
	echo "ip neigh: $state"
	[[ "$state" == *INCOMPLETE* || "$state" == *FAILED* ]]
	[ "$st" -eq 1 ]
	# It reached node-2 and went no further: never on cbr0.
	jq -e '[.hops[] | select(.direction == "request")] | last | .place == "node node-2" and .interface == "eth0"' <<<"$out"
	jq -e '[.hops[] | select(.direction == "request" and .interface == "cbr0" and .place == "node node-2")] | length == 0' <<<"$out"
	jq -e '.verdict.divergence_at | .kind == "missing-hop" and .place == "node node-2" and .interface == "cbr0" and .io == "out"' <<<"$out"
	jq -e '.verdict.divergence | test("^expected next at node node-2 cbr0 \\(out\\), never seen there: node node-2 holds neighbour 10.244.2.77 on cbr0 (INCOMPLETE|FAILED)")' <<<"$out"
}

@test "a busy namespace: pcap ring drops and nftables trace-event overflow are observer losses there, in JSON and text" {
	n2=${LB}_node_node-2
	# A user's own nftrace rule and a flood it traces: more trace events
	# than a listener's buffer holds, more packets than a capture ring.
	ip netns exec $n2 nft add table ip ppt_truth_flood
	ip netns exec $n2 nft add chain ip ppt_truth_flood out '{ type filter hook output priority -400; }'
	ip netns exec $n2 nft add rule ip ppt_truth_flood out udp dport 4789 meta nftrace set 1
	before=$(ip -n $n2 -s -j link show lo | jq '.[0].stats64.tx.packets')
	ip netns exec $n2 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sys.stdout.write("go\n"); sys.stdout.flush()
for _ in range(3000000):
    s.sendto(b"x" * 64, ("127.0.0.1", 4789))
' >"$BATS_TEST_TMPDIR/flood" &
	fpid=$!
	# Flooding (the kernel counts it) before the trace arms.
	for i in $(seq 600); do
		[ "$(ip -n $n2 -s -j link show lo | jq '.[0].stats64.tx.packets')" -gt $((before + 10000)) ] && break
		sleep 0.05
	done
	trj $LB default/client 10.244.2.78:80 --timeout 1
	text=$("$PODPATH" --lab $LB trace default/client 10.244.2.78:80 --timeout 1 || true)
	kill $fpid 2>/dev/null || true
	wait $fpid || true
	ip netns exec $n2 nft delete table ip ppt_truth_flood
	after=$(ip -n $n2 -s -j link show lo | jq '.[0].stats64.tx.packets')
	echo "lo tx packets: $before -> $after"
	echo "$out" | jq -c '.observer_losses'
	echo "$text" | tail -8
	[ "$after" -gt $((before + 10000)) ]
	jq -e --arg n "$n2" '[.observer_losses[] | select(.observer == "pcap" and .what == "packets" and .netns == $n and .left_out > 0)] | length == 1' <<<"$out"
	jq -e --arg n "$n2" '[.observer_losses[] | select(.observer == "nftrace" and .what == "events" and .netns == $n)] | length == 1' <<<"$out"
	jq -e '.verdict.events_lost' <<<"$out"
	[[ "$text" == *"observer losses (the trace may miss what they left out):"* ]]
	[[ "$text" == *"  pcap packets in node node-2: "*" left out"* ]]
	[[ "$text" == *"  nftrace events in node node-2: some lost"* ]]
}

@test "8 HTTPS ingress traces at once: each names the upstream connection the backend saw for its own request, never another's" {
	for i in $(seq 8); do
		"$PODPATH" --lab $ING -j trace internet/laptop https://web.example.test/ >"$BATS_TEST_TMPDIR/t$i.json" &
	done
	wait
	ctl=$(pod_ip ${ING}_pod_ingress-nginx_controller)
	ups=""
	for i in $(seq 8); do
		f=$BATS_TEST_TMPDIR/t$i.json
		jq -c '[.verdict.answer, .upstream.hops[0].packet, .upstream.observer_losses]' "$f"
		jq -e '.verdict.result == "delivered"' "$f"
		# The backend's own word: the pod that answered, the address it
		# answered on and the client (nginx's connection) it saw.
		answer=$(jq -r '.verdict.answer' "$f")
		pod=$(sed -n 's/^pod=\([^ ]*\) .*/\1/p' <<<"$answer")
		server=$(sed -n 's/.* server=\([0-9.]*\):.*/\1/p' <<<"$answer")
		client=$(sed -n 's/.* client=\([0-9.]*:[0-9]*\) .*/\1/p' <<<"$answer")
		[[ "$client" == "$ctl":* ]]
		# The trace's connection 2 is that one, and its endpoint that pod,
		# reached directly (ingress-nginx's balancer), never the ClusterIP.
		[ "$(jq -r '.upstream.hops[0].packet | "\(.src):\(.sport)"' "$f")" = "$client" ]
		[ "$(jq -r '.upstream.hops[0].packet | "\(.dst):\(.dport)"' "$f")" = "$server:8080" ]
		jq -e --arg p "$pod" '.upstream.dst.name == "\($p):8080" and ([.upstream.hops[] | select(.service != null)] | length == 0)' "$f"
		# conntrack on node-1 (the controller's node) agrees: it never
		# saw the connection addressed to the ClusterIP; to web-2 (routed
		# through node-1) it went untranslated. (To web-1 it is bridged on
		# cbr0, which conntrack does not see without br_netfilter.)
		ct=$(ip netns exec ${ING}_node_node-1 conntrack -L -p tcp -s "$ctl" --sport "${client#*:}" 2>/dev/null)
		echo "conntrack: $ct"
		[[ "$ct" != *"dst=10.96.0.1 "* ]]
		if [ "$pod" = default/web-2 ]; then
			[[ "$ct" == *"dst=$server sport=${client#*:} dport=8080 "*"src=$server dst=$ctl sport=8080 dport=${client#*:}"* ]]
		fi
		# No kube-proxy DNAT among its own nftables events.
		jq -e '[.upstream.nftables[] | select(.comment | test("^default/web:http -> "))] | length == 0' "$f"
		jq -e '[.upstream.observer_losses[] | select(.what == "upstream-connection")] | length == 0' "$f"
		ups="$ups $client"
	done
	echo "upstream connections:$ups"
	# Never the same upstream for two traces.
	[ "$(tr ' ' '\n' <<<"$ups" | grep -c .)" -eq 8 ]
	[ "$(tr ' ' '\n' <<<"$ups" | grep . | sort -u | grep -c .)" -eq 8 ]
}

@test "connection 2 in text: its nftables events, and its observer losses section when it has any" {
	# -v: every rule evaluation, not only those that changed or decided.
	text=$("$PODPATH" --lab $ING trace -v internet/laptop https://web.example.test/)
	echo "$text" | sed -n '/^connection 2/,/^verdict/p'
	[[ "$text" == *"connection 2: nginx in pod ingress-nginx/controller"* ]]
	[[ "$text" == *"  nftables of connection 2:"* ]]
	sect=$(sed -n '/^  nftables of connection 2:/,/^  conntrack of connection 2:/p' <<<"$text")
	# nginx connects to the endpoint pod itself: kube-proxy's chains see the
	# connection and translate nothing.
	[[ "$sect" == *"kube-proxy/"* ]]
	[[ "$sect" != *": dnat -> "* ]]
}
