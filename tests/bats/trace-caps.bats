#!/usr/bin/env bats
# The trace's caps: a Service with 130 endpoints on one node, each listening
# on its own port. Every namespace on the way is observed (there used to be
# room for 48), every interface is named (there used to be room for 64 a
# namespace, and the node has one per pod), and the capture filter, which
# names at most 128 other ports, says how many it left out. Checked against
# nft's own ruleset, ip's namespaces and links, and the backend's answer.

LAB=pp-bats-trace-caps
load helpers

NPODS=130

setup_file() {
	lab_cleanup
	local topo=$BATS_FILE_TMPDIR/caps.json i
	{
		printf '{"nodes": [{"name": "node-1"}], "pods": ['
		printf '{"namespace": "default", "name": "client", "node": "node-1", '
		printf '"containers": [{"name": "client"}]}'
		for i in $(seq "$NPODS"); do
			printf ', {"namespace": "default", "name": "web-%d", "node": "node-1", ' "$i"
			printf '"labels": {"app": "many"}, "containers": [{"name": "web", '
			printf '"ports": [{"name": "http", "containerPort": %d}]}]}' $((8000 + i))
		done
		printf '], "services": [{"namespace": "default", "name": "many", '
		printf '"selector": {"app": "many"}, '
		printf '"ports": [{"name": "http", "port": 80, "targetPort": "http"}]}]}\n'
	} >"$topo"
	pp setup -f "$topo" >/dev/null
}

teardown_file() {
	lab_cleanup
}

# Each hop's "NETNS INTERFACE" that ip does not list in that namespace
# (a "?" among them): none is the answer wanted.
hops_unnamed() { # TRACE-JSON
	jq -r '.hops[] | "\(.netns) \(.interface)"' <<<"$1" | sort -u |
		while read -r ns ifname; do
			ip -n "$ns" -o link show dev "$ifname" >/dev/null 2>&1 || echo "$ns $ifname"
		done
}

# Distinct endpoint ports in kube-proxy's rules on the node, as nft lists them.
nft_endpoint_ports() {
	ip netns exec "${LAB}_node_node-1" nft list table ip kube-proxy |
		grep -o 'dnat to [0-9.]*:[0-9]*' | cut -d: -f2 | sort -u | wc -l
}

@test "a Service of 130 endpoints: the backend is observed wherever it is, and the filter's cap is reported, not silent" {
	ports=$(nft_endpoint_ports)
	[ "$ports" -eq "$NPODS" ]
	run pp -j trace default/client svc/default/many -p http
	[ "$status" -eq 0 ]
	[ "$(jq -r .verdict.result <<<"$output")" = delivered ]
	# Every endpoint's namespace, as ip lists them, was observed: all 130,
	# not the first 48 that once fitted.
	want=$(ip netns list | awk '{print $1}' | grep "^${LAB}_pod_default_web-" | sort)
	[ "$(wc -l <<<"$want")" -eq "$NPODS" ]
	got=$(jq -r '.observed[].netns' <<<"$output" | grep "^${LAB}_pod_default_web-" | sort)
	[ "$got" = "$want" ]
	# Every hop's interface is one ip lists there (never "?").
	[ -z "$(hops_unnamed "$output")" ]
	# The backend names itself; its namespace is among the hops, whichever
	# of the 130 kube-proxy picked.
	answer=$(jq -r .verdict.answer <<<"$output")
	pod=$(sed -n 's/^pod=default\/\(web-[0-9]*\) .*/\1/p' <<<"$answer")
	[ -n "$pod" ]
	jq -e --arg ns "${LAB}_pod_default_$pod" '[.hops[] | select(.netns == $ns)] | length > 0' <<<"$output"
	# 130 distinct ports, 128 in the filter: 2 reported as left out.
	loss=$(jq -c '[.observer_losses[] | select(.observer == "pcap" and .what == "filter-ports")]' <<<"$output")
	[ "$(jq length <<<"$loss")" -eq 1 ]
	[ "$(jq '.[0].left_out' <<<"$loss")" -eq $((ports - 128)) ]
	[ "$(jq '.[0].limit' <<<"$loss")" -eq 128 ]
	[ "$(jq -r '.[0].netns' <<<"$loss")" = null ]
}

@test "the last pod's hop on the node names its veth, the node's 130th and more" {
	pod=${LAB}_pod_default_web-$NPODS node=${LAB}_node_node-1
	# The node-side end of the pod's eth0, as ip shows the pair: past the
	# 64 interfaces a capture once named.
	peer=$(ip -n "$pod" -o link show dev eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p')
	[ "$peer" -gt 64 ]
	veth=$(ip -n "$node" -o link show | sed -n "s/^$peer: \([^@:]*\)[@:].*/\1/p")
	[ -n "$veth" ]
	run pp -j trace default/client "default/web-$NPODS" -p http
	[ "$status" -eq 0 ]
	[ "$(jq -r .verdict.result <<<"$output")" = delivered ]
	[ -z "$(hops_unnamed "$output")" ]
	jq -e --arg ns "$node" --arg dev "$veth" \
		'[.hops[] | select(.netns == $ns and .interface == $dev)] | length > 0' <<<"$output"
}

@test "the text report lists the observer loss" {
	run pp trace default/client svc/default/many -p http
	[ "$status" -eq 0 ]
	grep -qx 'observer losses (the trace may miss what they left out):' <<<"$output"
	grep -qx "  pcap filter-ports: $((NPODS - 128)) left out past the limit of 128" <<<"$output"
}

@test "a trace under the caps: nothing is reported lost" {
	run pp -j trace default/client default/web-1 -p http
	[ "$status" -eq 0 ]
	[ "$(jq '.observer_losses | length' <<<"$output")" -eq 0 ]
	run pp trace default/client default/web-1 -p http
	[ "$status" -eq 0 ]
	[[ "$output" != *"observer losses"* ]]
}
