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
