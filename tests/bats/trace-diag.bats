#!/usr/bin/env bats
# Diagnosis against the kernel's own account: faults made by hand with ip,
# sysctl and nft, as an operator would, and the verdict's cause, place and
# command checked against what those tools show.

bats_require_minimum_version 1.5.0

LAB=ppt-diag

setup_file() {
	load helpers
	lab_cleanup $LAB
	"$PODPATH" --lab $LAB setup >/dev/null
}

teardown_file() {
	load helpers
	lab_cleanup $LAB
}

setup() { load helpers; }

tr() { # ARGS... -> JSON in $out, status in $st
	st=0
	out=$("$PODPATH" --lab $LAB -j trace "$@") || st=$?
}
v() { jq -r ".verdict.$1" <<<"$out"; }

@test "--size: a router's smaller MTU is named with its next-hop MTU, as ping -M do sees it" {
	n1=${LAB}_node_node-1
	ip -n $n1 link set eth0 mtu 1400
	tr client web-2 --size 1450
	ip -n $n1 link set eth0 mtu 1500
	[ "$st" -eq 1 ]
	[ "$(v result)" = unreachable ]
	[ "$(v cause)" = mtu ]
	[ "$(v 'findings[0].actual')" = "mtu 1400" ]
	[ "$(v 'findings[0].place')" = "node node-1" ]
	[[ "$(v reason)" == *"1450 bytes with DF set need fragmenting at 10.244.1.1"* ]]
	# The same with ping, and the hop the ICMP error came from.
	ip -n $n1 link set eth0 mtu 1400
	run ip netns exec ${LAB}_pod_default_client ping -n -c 1 -W 5 -M do -s 1422 10.244.2.2
	ip -n $n1 link set eth0 mtu 1500
	[[ "$output" =~ mtu\ ?=\ ?1400 ]]
	[ "$(jq '[.hops[] | select(.direction == "reply" and .packet.icmp.type == 3 and .packet.icmp.code == 4)] | length' <<<"$out")" -ge 1 ]
	# Below the MTU it gets through.
	tr client web-2 --size 1350
	[ "$st" -eq 0 ]
	[ "$(v result)" = delivered ]
}

@test "--size past the source's own route MTU: EMSGSIZE, named with the route's MTU" {
	tr client 203.0.113.10 -p udp --port 53 --size 1600
	[ "$st" -eq 1 ]
	[ "$(v cause)" = mtu ]
	mtu=$(ip -n ${LAB}_pod_default_client -j link show eth0 | jq '.[0].mtu')
	[ "$(v 'findings[0].actual')" = "mtu $mtu" ]
	[ "$(v 'findings[0].command')" = "ip -n ${LAB}_pod_default_client route get 203.0.113.10" ]
}

@test "--size: bad values and stream protocols exit 2" {
	run -2 "$PODPATH" --lab $LAB trace client web-2 --size 27
	[[ "$output" == *'--size "27"'* ]]
	run -2 "$PODPATH" --lab $LAB trace client web-2 --size 65536
	run -2 "$PODPATH" --lab $LAB trace client web-2 --size 1e3
	run -2 "$PODPATH" --lab $LAB trace client web-2 -p tcp --size 1000
	[[ "$output" == *"-p icmp or -p udp"* ]]
}

# The issue's own example: the kernel drops it (IP_INADDRERRORS in
# ip_error) and says nothing on the wire; the verdict names the sysctl,
# and the trace returns when the drop is seen, not at the timeout.
@test "forwarding off on node-2: kernel drop reason and the sysctl, named by the command it gives" {
	n2=${LAB}_node_node-2
	ip netns exec $n2 sysctl -qw net.ipv4.ip_forward=0
	tr client web-2 -p tcp --timeout 10
	ip netns exec $n2 sysctl -qw net.ipv4.ip_forward=1
	[ "$st" -eq 1 ]
	[ "$(v result)" = dropped ]
	[ "$(v cause)" = forwarding-off ]
	[ "$(v 'findings[0].place')" = "node node-2" ]
	[ "$(v 'findings[0].drop_reason')" = IP_INADDRERRORS ]
	[ "$(v 'findings[0].drop_function')" = ip_error ]
	[ "$(v wait_ended_by)" = kernel-drop ]
	[[ "$(v reason)" == *"node node-2 did not forward it: IPv4 forwarding is off (net.ipv4.ip_forward=0)"* ]]
	# The command it names shows the fault while it is there.
	cmd=$(v 'findings[0].command')
	[ "$cmd" = "ip netns exec $n2 sysctl net.ipv4.ip_forward" ]
	ip netns exec $n2 sysctl -qw net.ipv4.ip_forward=0
	run $cmd
	ip netns exec $n2 sysctl -qw net.ipv4.ip_forward=1
	[ "$output" = "net.ipv4.ip_forward = 0" ]
	# The last hop seen is node-2's eth0 (in): where the kernel dropped it.
	[ "$(jq -r '.hops[-1] | "\(.place) \(.interface) \(.io)"' <<<"$out")" = "node node-2 eth0 in" ]
}

@test "a blackhole route on node-1: named with ip route get, which agrees" {
	n1=${LAB}_node_node-1
	ip -n $n1 route add blackhole 10.244.2.2/32
	tr client web-2 -p tcp --timeout 10
	run ip -n $n1 route get 10.244.2.2
	ip -n $n1 route del blackhole 10.244.2.2/32
	[[ "$output" == *"Invalid argument"* ]]
	[ "$st" -eq 1 ]
	[ "$(v cause)" = blackhole-route ]
	[ "$(v 'findings[0].place')" = "node node-1" ]
	[ "$(v 'findings[0].command')" = "ip -n $n1 route get 10.244.2.2" ]
	[ "$(v wait_ended_by)" = kernel-drop ]
}

@test "masquerade rule deleted on node-1: the private source seen on the internet names ip-masq-agent" {
	n1=${LAB}_node_node-1
	h=$(ip netns exec $n1 nft -a list chain ip ip-masq-agent ip-masq-agent | awk '/masquerade/ { print $NF }')
	[ -n "$h" ]
	ip netns exec $n1 nft delete rule ip ip-masq-agent ip-masq-agent handle "$h"
	tr client internet/example.com -p http --timeout 3
	ip netns exec $n1 nft add rule ip ip-masq-agent ip-masq-agent masquerade
	[ "$st" -eq 1 ]
	[ "$(v cause)" = masquerade-missing ]
	[ "$(v 'findings[0].actual')" = "source 10.244.1.2" ]
	[ "$(v 'findings[0].command')" = "ip netns exec $n1 nft list table ip ip-masq-agent" ]
	# The internet host did see the pod's own address.
	[ "$(jq -r '[.hops[] | select(.direction == "request" and .place == "internet host example.com")][0].packet.src' <<<"$out")" = 10.244.1.2 ]
	# Back in place, it gets through.
	tr client internet/example.com -p http
	[ "$st" -eq 0 ]
}

@test "strict rp_filter with an asymmetric route on node-2: IP_RPFILTER, and the lookup it names fails" {
	n2=${LAB}_node_node-2
	ip netns exec $n2 sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.eth0.rp_filter=1
	ip -n $n2 route add 10.244.1.2/32 dev cbr0
	tr client web-2 -p tcp --timeout 10
	cmd=$(v 'findings[0].command')
	run $cmd
	ip -n $n2 route del 10.244.1.2/32 dev cbr0
	ip netns exec $n2 sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
	[ "$status" -ne 0 ]	# the route lookup the filter made fails
	[ "$cmd" = "ip -n $n2 route get 10.244.2.2 from 10.244.1.2 iif eth0" ]
	[ "$st" -eq 1 ]
	[ "$(v cause)" = rp-filter ]
	[ "$(v 'findings[0].drop_reason')" = IP_RPFILTER ]
	[ "$(v 'findings[0].object')" = "sysctl net.ipv4.conf.eth0.rp_filter" ]
	[ "$(v 'findings[0].actual')" = 1 ]
	[ "$(v wait_ended_by)" = kernel-drop ]
}

@test "a wrong static neighbour on node-2: its MAC against the pod's, as ip neigh and ip link show them" {
	n2=${LAB}_node_node-2
	real=$(ip -n ${LAB}_pod_default_web-2 -j link show eth0 | jq -r '.[0].address')
	ip -n $n2 neigh replace 10.244.2.2 lladdr 02:00:00:00:00:99 dev cbr0 nud permanent
	tr client web-2 -p tcp --timeout 10
	run ip -n $n2 neigh show 10.244.2.2 dev cbr0
	ip -n $n2 neigh del 10.244.2.2 dev cbr0
	[[ "$output" == *"lladdr 02:00:00:00:00:99 PERMANENT"* ]]
	[ "$st" -eq 1 ]
	[ "$(v cause)" = wrong-neighbour ]
	[ "$(v 'findings[0].place')" = "node node-2" ]
	[ "$(v 'findings[0].actual')" = 02:00:00:00:00:99 ]
	[ "$(v 'findings[0].expected')" = "$real" ]
	[ "$(v 'findings[0].drop_reason')" = OTHERHOST ]
	[ "$(v 'findings[0].command')" = "ip -n $n2 neigh show 10.244.2.2 dev cbr0" ]
}

@test "an iptables-legacy DROP on node-2: the rule and its counter, as iptables-legacy shows them" {
	n2=${LAB}_node_node-2
	ip netns exec $n2 iptables-legacy -I FORWARD -s 10.244.1.2 -j DROP
	tr client web-2 -p tcp --timeout 10
	run ip netns exec $n2 iptables-legacy -t filter -L FORWARD -v -n --line-numbers
	ip netns exec $n2 iptables-legacy -D FORWARD -s 10.244.1.2 -j DROP
	# The legacy counter did count it: the first rule, at least one packet.
	[ "$(awk '$1 == 1 && $4 == "DROP" { print ($2 > 0) }' <<<"$output")" = 1 ]
	[ "$st" -eq 1 ]
	[ "$(v cause)" = iptables-legacy-rule ]
	[ "$(v 'findings[0].object')" = "iptables-legacy table filter chain FORWARD rule 1: -A FORWARD -s 10.244.1.2/32 -j DROP" ]
	[ "$(v 'findings[0].drop_reason')" = NETFILTER_DROP ]
	[ "$(v 'findings[0].command')" = "ip netns exec $n2 iptables-legacy -t filter -L FORWARD -v -n --line-numbers" ]
	# nft sees no rule of its own that dropped it.
	[ "$(jq '[.nftables[] | select(.verdict == "drop")] | length' <<<"$out")" -eq 0 ]
}

# The pod's veth on node-2: which one is it? The peer of web-2's eth0.
web2_port() {
	local idx
	idx=$(ip -n ${LAB}_pod_default_web-2 -j link show eth0 | jq '.[0].link_index')
	ip -n ${LAB}_node_node-2 -j link show | jq -r --argjson i "$idx" '.[] | select(.ifindex == $i) | .ifname'
}

@test "web-2's veth down, then detached from cbr0: the port check names it, ip link agrees" {
	n2=${LAB}_node_node-2
	port=$(web2_port)
	[ -n "$port" ]
	ip -n $n2 link set "$port" down
	tr client web-2 -p tcp --timeout 3
	run ip -n $n2 -j link show "$port"
	ip -n $n2 link set "$port" up
	[ "$(jq -r '.[0].flags | index("UP") != null' <<<"$output")" = false ]
	[ "$st" -eq 1 ]
	[ "$(v cause)" = veth-down ]
	[ "$(v 'findings[0].interface')" = "$port" ]
	[ "$(v 'findings[0].command')" = "ip -n $n2 -d link show $port" ]
	ip -n $n2 link set "$port" nomaster
	tr client web-2 -p tcp --timeout 3
	run ip -n $n2 -j link show "$port"
	ip -n $n2 link set "$port" master cbr0
	[ "$(jq -r '.[0].master // "none"' <<<"$output")" = none ]
	[ "$st" -eq 1 ]
	[ "$(v cause)" = veth-detached ]
	[ "$(v 'findings[0].actual')" = "no master" ]
}

@test "hairpin off on web-1's port: web-1 to its own Service fails when kube-proxy picks web-1" {
	n1=${LAB}_node_node-1
	idx=$(ip -n ${LAB}_pod_default_web-1 -j link show eth0 | jq '.[0].link_index')
	port=$(ip -n $n1 -j link show | jq -r --argjson i "$idx" '.[] | select(.ifindex == $i) | .ifname')
	w1=$(ip -n ${LAB}_pod_default_web-1 -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family == "inet") | .local')
	ip -n $n1 link set "$port" type bridge_slave hairpin off
	# kube-proxy picks at random: until a trace fails, which is when it
	# picked web-1 itself (bounded). node-1 knowing web-1's MAC makes
	# br_netfilter send the DNATed frame straight back to the bridge, where
	# only hairpin mode lets it out of the port it came in.
	failed=
	for i in $(seq 1 60); do
		ip netns exec $n1 ping -c 1 -W 2 "$w1" >/dev/null
		tr web-1 svc/default/web --timeout 2
		if [ "$st" -ne 0 ]; then
			failed=1
			break
		fi
	done
	run ip -n $n1 -d -j link show "$port"
	ip -n $n1 link set "$port" type bridge_slave hairpin on
	[ "$(jq -r '.[0].linkinfo.info_slave_data.hairpin' <<<"$output")" = false ]
	[ -n "$failed" ]
	[ "$(v cause)" = hairpin-off ]
	[ "$(v 'findings[0].interface')" = "$port" ]
	[ "$(v 'findings[0].command')" = "ip -n $n1 -d link show $port" ]
}
