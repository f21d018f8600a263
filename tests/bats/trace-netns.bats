#!/usr/bin/env bats
# trace --netns on namespaces podpath did not build: plain `ip netns`
# namespaces, a router between two of them, a drop rule added with nft.

NS="ppt-tn-a ppt-tn-r ppt-tn-b"

setup_file() {
	for n in $NS; do ip netns del $n 2>/dev/null || true; ip netns add $n; done
	ip -n ppt-tn-a link add eth0 type veth peer name a0 netns ppt-tn-r
	ip -n ppt-tn-b link add eth0 type veth peer name b0 netns ppt-tn-r
	ip -n ppt-tn-a addr add 10.77.1.2/24 dev eth0
	ip -n ppt-tn-b addr add 10.77.2.2/24 dev eth0
	ip -n ppt-tn-r addr add 10.77.1.1/24 dev a0
	ip -n ppt-tn-r addr add 10.77.2.1/24 dev b0
	for l in "ppt-tn-a eth0" "ppt-tn-b eth0" "ppt-tn-r a0" "ppt-tn-r b0"; do
		set -- $l
		ip -n $1 link set $2 up
	done
	ip -n ppt-tn-a route add default via 10.77.1.1
	ip -n ppt-tn-b route add default via 10.77.2.1
	ip netns exec ppt-tn-r sysctl -qw net.ipv4.ip_forward=1
}

teardown_file() {
	pkill -f "ppt-tn-holder" 2>/dev/null || true
	for n in $NS; do ip netns del $n 2>/dev/null || true; done
}

setup() { load helpers; }

@test "trace --netns follows veth pairs through namespaces podpath did not build" {
	root_before=$(nft list ruleset 2>&1)
	run "$PODPATH" -j trace --netns ppt-tn-a 10.77.2.2 -p icmp
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e '.verdict.result == "delivered"' <<<"$output"
	path=$(jq -r '[.hops[] | select(.direction == "request") | "\(.place)|\(.interface)|\(.io)"] | join(",")' <<<"$output")
	[ "$path" = "netns ppt-tn-a|eth0|out,netns ppt-tn-r|a0|in,netns ppt-tn-r|b0|out,netns ppt-tn-b|eth0|in" ]
	jq -e 'any(.hops[].why; . == "route 10.77.2.0/24 dev b0 (connected)")' <<<"$output"
	# The host's own ruleset was never touched, not even for a moment's trace table.
	[ "$root_before" = "$(nft list ruleset 2>&1)" ]
	for n in $NS; do ! ip netns exec $n nft list tables | grep -q podpath-trace; done
}

@test "trace --netns names a drop rule added with nft, and takes a PID as the source" {
	ip netns exec ppt-tn-r nft add table inet ppt_t
	ip netns exec ppt-tn-r nft add chain inet ppt_t f '{ type filter hook forward priority 0; }'
	ip netns exec ppt-tn-r nft add rule inet ppt_t f icmp type echo-request drop comment '"block ping"'
	ip netns exec ppt-tn-b bash -c 'exec -a ppt-tn-holder sleep 60' &
	sleep 0.3
	pid=$(pgrep -f ppt-tn-holder)
	run "$PODPATH" -j trace --netns "$pid" 10.77.1.2 -p icmp --timeout 0.5
	ip netns exec ppt-tn-r nft delete table inet ppt_t
	kill "$pid"
	echo "$output" | jq .verdict
	[ "$status" -eq 1 ]
	jq -e '.verdict.result == "dropped" and (.verdict.reason | test("netns ppt-tn-r: table ppt_t chain f.*block ping"))' <<<"$output"
	jq -e '.src.name == "pid '"$pid"'"' <<<"$output"
}

@test "trace --netns with a bad namespace or destination exits 2" {
	run "$PODPATH" trace --netns ppt-tn-nope 10.77.2.2
	[ "$status" -eq 2 ]
	[[ "$output" == *'--netns "ppt-tn-nope": no such network namespace'* ]]
	run "$PODPATH" trace --netns ppt-tn-a default/web-1
	[ "$status" -eq 2 ]
	[[ "$output" == *"without a lab, a destination is an IP[:PORT], or a URL whose host is an IP"* ]]
	run "$PODPATH" trace --netns ppt-tn-a http://example.test/
	[ "$status" -eq 2 ]
	[[ "$output" == *'DST "example.test"'*"names are not resolved"* ]]
	run "$PODPATH" trace --netns ppt-tn-a 10.77.2.300
	[ "$status" -eq 2 ]
	[[ "$output" == *'"10.77.2.300" is not an IPv4 address'* ]]
	run "$PODPATH" trace --netns 1 10.77.2.2
	[ "$status" -eq 2 ]
	[[ "$output" == *"it is the host's own"* ]]
}
