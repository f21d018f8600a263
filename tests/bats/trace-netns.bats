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
	# the PID test's process, if the test ended before it killed it
	[ ! -f "$BATS_FILE_TMPDIR/holder.pid" ] || kill "$(cat "$BATS_FILE_TMPDIR/holder.pid")" 2>/dev/null || true
	for n in $NS; do ip netns del $n 2>/dev/null || true; done
}

setup() { load helpers; }

@test "trace --netns follows veth pairs through namespaces podpath did not build" {
	root_before=$(nft list ruleset 2>&1)
	tcpdump_start ppt-tn-b -l -n -c 1 -i eth0 "icmp[0] = 8" >"$BATS_TEST_TMPDIR/echo"
	cap=$TCPDUMP_PID
	run "$PODPATH" -j trace --netns ppt-tn-a 10.77.2.2 -p icmp
	wait $cap || true
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e '.verdict.result == "delivered"' <<<"$output"
	path=$(jq -r '[.hops[] | select(.direction == "request") | "\(.place)|\(.interface)|\(.io)"] | join(",")' <<<"$output")
	[ "$path" = "netns ppt-tn-a|eth0|out,netns ppt-tn-r|a0|in,netns ppt-tn-r|b0|out,netns ppt-tn-b|eth0|in" ]
	jq -e 'any(.hops[].why; . == "route 10.77.2.0/24 dev b0 (connected)")' <<<"$output"
	# ip route get in the router names the same route; tcpdump in b saw the echo request arrive.
	ip -n ppt-tn-r route get 10.77.2.2 | grep -q "dev b0"
	grep -q "IP 10.77.1.2 > 10.77.2.2: ICMP echo request" "$BATS_TEST_TMPDIR/echo"
	# The host's own ruleset was never touched, not even for a moment's trace table.
	[ "$root_before" = "$(nft list ruleset 2>&1)" ]
	for n in $NS; do
		tables=$(ip netns exec $n nft list tables)
		[[ "$tables" != *podpath-trace* ]]
	done
}

@test "trace --netns names a drop rule added with nft, and takes a PID as the source" {
	ip netns exec ppt-tn-r nft add table inet ppt_t
	ip netns exec ppt-tn-r nft add chain inet ppt_t f '{ type filter hook forward priority 0; }'
	ip netns exec ppt-tn-r nft add rule inet ppt_t f icmp type echo-request counter drop comment '"block ping"'
	# A process in b (ip netns exec execs it: $! is its pid), used once it is
	# in b's namespace, as the kernel shows it.
	ip netns exec ppt-tn-b sleep infinity &
	pid=$!
	echo $pid >"$BATS_FILE_TMPDIR/holder.pid"
	want=$(stat -L -c %i /run/netns/ppt-tn-b)
	for i in $(seq 100); do
		[ "$(stat -L -c %i /proc/$pid/ns/net 2>/dev/null)" = "$want" ] && break
		sleep 0.1
	done
	[ "$(stat -L -c %i /proc/$pid/ns/net)" = "$want" ]
	run "$PODPATH" -j trace --netns "$pid" 10.77.1.2 -p icmp --timeout 2
	counter=$(ip netns exec ppt-tn-r nft list table inet ppt_t | grep -o 'packets [0-9]*' | awk '{print $2}')
	ip netns exec ppt-tn-r nft delete table inet ppt_t
	kill "$pid"
	echo "$output" | jq .verdict
	[ "$counter" -ge 1 ]	# the rule did drop it
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
