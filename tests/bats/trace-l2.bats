#!/usr/bin/env bats
# The link layer of a trace against independent observers: tcpdump -e for
# ARP frames and MACs, `ip link` for the interfaces' own MACs, `ip neigh`
# for the entry ARP made, `bridge fdb` for the bridge's forwarding table,
# `nft -a` for the rules the nftables section names.

bats_require_minimum_version 1.5.0

LAB=l2tr14

setup_file() {
	load helpers
	lab_cleanup
	"$PODPATH" --lab "$LAB" setup >/dev/null
	carriers_settle "$LAB"
}

teardown_file() {
	load helpers
	lab_cleanup
}

setup() {
	load helpers
	client=${LAB}_pod_default_client web=${LAB}_pod_default_web-1 node=${LAB}_node_node-1
}

mac_of() { # NETNS IFACE
	ip -n "$1" -o link show dev "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p'
}

# The node-side end of a pod's eth0: the interface whose index the pod's
# eth0@ifN names, in the node's namespace.
host_veth() { # POD-NETNS NODE-NETNS
	local idx
	idx=$(ip -n "$1" -o link show dev eth0 | sed -n 's/.*eth0@if\([0-9]*\).*/\1/p')
	ip -n "$2" -o link show | awk -F': ' -v i="$idx" '$1 == i { sub(/@.*/, "", $2); print $2 }'
}

@test "trace --arp on one node: who-has and is-at as tcpdump saw them, the MACs the interfaces' own, the FDB entry and the neighbour entry exist" {
	local cmac wmac cip wip veth req rep out
	cmac=$(mac_of "$client" eth0) wmac=$(mac_of "$web" eth0)
	cip=$(pod_ip "$client") wip=$(pod_ip "$web")
	veth=$(host_veth "$client" "$node")
	[ -n "$cmac" ]
	[ -n "$wmac" ]
	[ -n "$veth" ]
	# The request arriving at the bridge port and the answer leaving it.
	tcpdump_start "$node" -e -n -l -c 1 -Q in -i "$veth" "arp and arp[6:2] = 1 and arp[24:4] = 0x$(printf '%02x' ${wip//./ })" \
		>"$BATS_TEST_TMPDIR/req"
	local reqpid=$TCPDUMP_PID
	tcpdump_start "$node" -e -n -l -c 1 -Q out -i "$veth" "arp and arp[6:2] = 2" >"$BATS_TEST_TMPDIR/rep"
	local reppid=$TCPDUMP_PID
	run -0 "$PODPATH" --lab "$LAB" -j trace --arp default/client default/web-1
	out=$output
	wait $reqpid $reppid || true
	req=$(cat "$BATS_TEST_TMPDIR/req") rep=$(cat "$BATS_TEST_TMPDIR/rep")
	echo "tcpdump request: $req"
	echo "tcpdump reply:   $rep"
	# tcpdump: the client asked, by broadcast, and web-1 answered its MAC.
	[[ "$req" == *"$cmac > ff:ff:ff:ff:ff:ff"*"Request who-has $wip tell $cip"* ]]
	[[ "$rep" == *"$wmac > $cmac"*"Reply $wip is-at $wmac"* ]]
	# podpath: the same request leaving the client and arriving at that port...
	jq -e --arg ip "$wip" --arg cip "$cip" --arg m "$cmac" --arg v "$veth" '
		[.arp[] | select(.kind == "who-has" and .packet.target_ip == $ip and
			.packet.sender_ip == $cip and .packet.sender_mac == $m and
			.packet.dst_mac == "ff:ff:ff:ff:ff:ff")] as $w |
		($w | map(select(.place == "pod default/client" and .interface == "eth0" and .io == "out")) | length) == 1 and
		($w | map(select(.place == "node node-1" and .interface == $v and .io == "in")) | length) == 1' <<<"$out"
	# ...the answer with web-1's MAC, to the client's MAC only...
	jq -e --arg ip "$wip" --arg wm "$wmac" --arg cm "$cmac" --arg v "$veth" '
		[.arp[] | select(.kind == "is-at" and .packet.sender_ip == $ip and
			.packet.sender_mac == $wm and .packet.src_mac == $wm and .packet.dst_mac == $cm)] as $a |
		($a | map(select(.place == "pod default/web-1" and .io == "out")) | length) == 1 and
		($a | map(select(.place == "node node-1" and .interface == $v and .io == "out")) | length) == 1 and
		($a | map(select(.place == "pod default/client" and .io == "in")) | length) == 1' <<<"$out"
	# ...all before the first hop, which waited for it...
	jq -e '[.arp[] | select(.before_hop != 1)] | length == 0' <<<"$out"
	# ...and the entry it made, as ip neigh shows it.
	jq -e --arg ip "$wip" --arg wm "$wmac" '[.arp[] | select(.kind == "neighbour")] |
		length == 1 and .[0].place == "pod default/client" and .[0].neighbour.ip == $ip and
		.[0].neighbour.lladdr == $wm' <<<"$out"
	run -0 ip -n "$client" neigh show "$wip" dev eth0
	[[ "$output" == *"lladdr $wmac"* ]]
	# Every hop's frame: client to web-1 on the way there, back on the way back.
	jq -e --arg cm "$cmac" --arg wm "$wmac" '(.hops | length) > 0 and all(.hops[];
		.packet.l2 == "ethernet" and
		if .direction == "request" then .packet.src_mac == $cm and .packet.dst_mac == $wm
		else .packet.src_mac == $wm and .packet.dst_mac == $cm end)' <<<"$out"
	# The bridge chose each port by an FDB entry that bridge fdb lists.
	run -0 jq -r '.hops[] | select(.fdb != null) | "\(.fdb.mac) \(.fdb.port) \(.fdb.bridge) \(.fdb.found)"' <<<"$out"
	[ -n "$output" ]
	local fdb
	fdb=$(bridge -n "$node" fdb show)
	while read -r mac port br found; do
		[ "$found" = true ]
		grep -q "^$mac dev $port master $br" <<<"$fdb"
	done <<<"$output"
	# The text: the exchange as lines of their own, the MACs with -v only.
	run -0 "$PODPATH" --lab "$LAB" trace --arp default/client default/web-1
	[[ "$output" == *"ARP who-has $wip tell $cip"* ]]
	[[ "$output" == *"ARP $wip is-at $wmac"* ]]
	[[ "$output" == *"neighbour $wip lladdr $wmac REACHABLE"* ]]
	[[ "$output" != *"frame $cmac > $wmac"* ]]
	run -0 "$PODPATH" --lab "$LAB" trace -v default/client default/web-1
	[[ "$output" == *"frame $cmac > $wmac"* ]]
}

@test "a warm neighbour cache: no ARP hop, and tcpdump sees the client send no ARP either" {
	local wip st out
	wip=$(pod_ip "$web")
	run -0 "$PODPATH" --lab "$LAB" -j trace default/client default/web-1
	# The condition: the client holds web-1 as REACHABLE, so it asks no one.
	run -0 ip -n "$client" neigh show "$wip" dev eth0
	[[ "$output" == *REACHABLE* ]]
	# The first frame the client sends that is ARP or the marker after the
	# trace: the marker, if the trace made it send no ARP.
	tcpdump_start "$client" -n -l -c 1 -Q out -i eth0 "arp or (udp dst port 9)" >"$BATS_TEST_TMPDIR/first"
	local pid=$TCPDUMP_PID
	run -0 "$PODPATH" --lab "$LAB" -j trace default/client default/web-1
	out=$output
	ip netns exec "$client" bash -c "echo marker >/dev/udp/$wip/9"
	wait $pid || true
	cat "$BATS_TEST_TMPDIR/first"
	grep -q "UDP" "$BATS_TEST_TMPDIR/first"
	jq -e '.arp == [] and (.hops | length) > 0' <<<"$out"
}

@test "the nftables section: the DNAT rule without -v, every jump with -v, each the rule nft -a lists" {
	local chain handle sec node
	run -0 "$PODPATH" --lab "$LAB" trace default/client svc/default/web
	sec=$(sed -n '/^nftables:/,/^$/p' <<<"$output")
	echo "$sec"
	[[ "$sec" == *": dnat -> accept"* ]]
	[[ "$sec" != *"jump firewall-check"* ]]
	[[ "$sec" == *"more rule evaluations"*"-v shows all"* ]]
	# The DNAT line names its place, chain and handle: nft lists that very rule.
	read -r node chain handle < <(sed -n 's|^  node \(node-[0-9]*\) .*kube-proxy/\(endpoint-[^ ]*\) handle \([0-9]*\): dnat -> accept.*|\1 \2 \3|p' <<<"$sec" | head -1)
	[ -n "$node" ]
	[ -n "$chain" ]
	[ -n "$handle" ]
	run -0 ip netns exec "${LAB}_node_$node" nft -a list chain ip kube-proxy "$chain"
	grep -E "dnat to .* # handle $handle\$" <<<"$output"
	# -v: the jumps too, each one nft lists with its handle.
	run -0 "$PODPATH" --lab "$LAB" trace -v default/client svc/default/web
	sec=$(sed -n '/^nftables:/,/^$/p' <<<"$output")
	[[ "$sec" == *"jump firewall-check"* ]]
	[[ "$sec" != *"more rule evaluations"* ]]
	read -r chain handle < <(sed -n 's|.*node node-1 *rule *kube-proxy/\([^ ]*\) handle \([0-9]*\): jump firewall-check.*|\1 \2|p' <<<"$sec" | head -1)
	[ -n "$chain" ]
	[ -n "$handle" ]
	run -0 ip netns exec "${LAB}_node_node-1" nft -a list chain ip kube-proxy "$chain"
	grep -E "jump firewall-check # handle $handle\$" <<<"$output"
	# JSON keeps every event, as before.
	run -0 "$PODPATH" --lab "$LAB" -j trace default/client svc/default/web
	jq -e '[.nftables[] | select(.target == "firewall-check")] | length > 0' <<<"$output"
}

@test "trace --arp with a name that does not exist is a usage error, nothing flushed" {
	local wip
	wip=$(pod_ip "$web")
	run -0 "$PODPATH" --lab "$LAB" trace default/client default/web-1
	run -0 ip -n "$client" neigh show "$wip" dev eth0
	[[ "$output" == *lladdr* ]]
	run -2 "$PODPATH" --lab "$LAB" trace --arp default/client default/no-such-pod
	[[ "$output" == *"no-such-pod"* ]]
	run -0 ip -n "$client" neigh show "$wip" dev eth0
	[[ "$output" == *lladdr* ]]
}

@test "an address nobody holds: the unanswered who-has tcpdump saw, and the entry left unresolved" {
	local cip seen out
	cip=$(pod_ip "$client")
	tcpdump_start "$client" -e -n -l -c 1 -Q out -i eth0 "arp and arp[24:4] = 0x0af4014d" >"$BATS_TEST_TMPDIR/req"
	local pid=$TCPDUMP_PID
	run -1 "$PODPATH" --lab "$LAB" -j trace default/client 10.244.1.77 -p icmp --timeout 1
	out=$output
	wait $pid || true
	seen=$(cat "$BATS_TEST_TMPDIR/req")
	echo "$seen"
	[[ "$seen" == *"Request who-has 10.244.1.77 tell $cip"* ]]
	jq -e '.verdict.result == "no-neighbour" and ([.arp[] | select(.kind == "is-at")] | length) == 0' <<<"$out"
	jq -e --arg cip "$cip" 'any(.arp[]; .kind == "who-has" and .place == "pod default/client" and
		.io == "out" and .packet.target_ip == "10.244.1.77" and .packet.sender_ip == $cip and
		.flooded == false)' <<<"$out"
	state=$(jq -r '.arp[] | select(.kind == "neighbour") | .neighbour.state' <<<"$out")
	[[ "$state" == INCOMPLETE || "$state" == FAILED ]]
	run -0 ip -n "$client" neigh show 10.244.1.77
	[[ "$output" == *INCOMPLETE* || "$output" == *FAILED* ]]
}
