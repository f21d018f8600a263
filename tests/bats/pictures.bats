#!/usr/bin/env bats
# Pictures for learners: trace --dot drawn by Graphviz with the probe's
# hops on the lab's graph, and explain summary's table of topics.

bats_require_minimum_version 1.5.0

LAB=pic14

setup_file() {
	load helpers
	lab_cleanup
	"$PODPATH" --lab $LAB setup >/dev/null
	carriers_settle $LAB
}

teardown_file() {
	load helpers
	"$PODPATH" --lab $LAB break --undo >/dev/null 2>&1 || true
	lab_cleanup
}

setup() { load helpers; }

# The dot vertex a hop seen in NETNS must be drawn at: the pod, the node
# (its bridge for cbr0 and the bridge's ports), the VPC.
vertex_for() { # NETNS IFNAME
	case $1 in
	${LAB}_pod_*) local p=${1#${LAB}_pod_}; echo "\"${p/_//}\"" ;;
	${LAB}_node_*)
		local n=${1#${LAB}_node_}
		if [ "$2" = cbr0 ] || [ "$(ip -n "$1" -o link show "$2" | grep -o 'master [^ ]*')" = "master cbr0" ]; then
			echo "\"node/$n/cbr0\""
		else
			echo "\"node/$n\""
		fi ;;
	${LAB}_vpc) echo vpc ;;
	*) echo "?$1" ;;
	esac
}

@test "trace --dot: dot renders it; every hop the JSON trace lists is numbered at its place; the crossed veths are the kernel's pairs" {
	pp -j trace default/client default/web-2 >"$BATS_TEST_TMPDIR/t.json"
	run pp trace default/client default/web-2 --dot
	[ "$status" -eq 0 ]
	g=$output
	dot -Tsvg <<<"$g" >"$BATS_TEST_TMPDIR/t.svg"
	grep -q '<svg' "$BATS_TEST_TMPDIR/t.svg"
	n=$(jq '.hops | length' "$BATS_TEST_TMPDIR/t.json")
	[ "$n" -ge 8 ]
	# Every hop, numbered, in the vertex of its namespace, and in the SVG.
	while IFS=' ' read -r hop netns ifname io; do
		ip -n "$netns" link show "$ifname" >/dev/null
		want=$(vertex_for "$netns" "$ifname")
		line=$(grep -F "\\n#$hop $ifname $io" <<<"$g")
		echo "hop $hop $netns $ifname $io: $line"
		[ "$(wc -l <<<"$line")" -eq 1 ]
		[[ $line == *"$want [label="* ]]
		grep -qF ">$(sed 's/-/\&#45;/g' <<<"#$hop $ifname $io")<" "$BATS_TEST_TMPDIR/t.svg"
	done < <(jq -r '.hops[] | "\(.hop) \(.netns) \(.interface) \(.io)"' "$BATS_TEST_TMPDIR/t.json")
	# Each move between places is a highlighted edge between those two
	# vertices, labelled with its hop numbers; a veth's edge names the
	# node's end the kernel pairs with the pod's eth0.
	mapfile -t hops < <(jq -r '.hops[] | "\(.netns) \(.interface)"' "$BATS_TEST_TMPDIR/t.json")
	for ((i = 1; i < n; i++)); do
		read -r ns1 if1 <<<"${hops[i - 1]}"
		read -r ns2 if2 <<<"${hops[i]}"
		v1=$(vertex_for "$ns1" "$if1")
		v2=$(vertex_for "$ns2" "$if2")
		[ "$v1" != "$v2" ] || continue
		e=$(grep -E -- "^	($v1 -> $v2|$v2 -> $v1) \[" <<<"$g")
		echo "hops $i->$((i + 1)): $e"
		[[ $e == *"$i->$((i + 1))"* ]]
		[[ $e == *"penwidth=3"* ]]
		if [[ $ns1 == *_pod_* && $ns2 == *_node_* ]]; then
			peer=$(ip -n "$ns1" -o link show eth0 | grep -o 'eth0@if[0-9]*' | sed 's/.*@if//')
			idx=$(ip -n "$ns2" -o link show "$if2" | cut -d: -f1)
			[ "$peer" = "$idx" ]
			[[ $e == *"$if2 <-> eth0 (veth)"* ]]
		fi
	done
	# No edge is highlighted that the probe did not cross.
	[ "$(grep -c 'penwidth=3' <<<"$g")" -eq "$(grep -c 'hops [0-9]' <<<"$g")" ]
}

@test "trace --dot of a failed probe: the path up to the drop, and the drop marked where the JSON trace last saw it" {
	pp break forwarding-off --on node/node-2 >/dev/null
	run pp -j trace default/client default/web-2 --timeout 1
	[ "$status" -eq 1 ]
	last=$(jq -r '.verdict.last_hop' <<<"$output")
	at=$(jq -r --argjson h "$last" '.hops[] | select(.hop == $h) | "\(.netns) \(.interface) \(.io)"' <<<"$output")
	read -r ns ifname io <<<"$at"
	run pp trace default/client default/web-2 --timeout 1 --dot
	[ "$status" -eq 1 ]
	g=$output
	pp break --undo >/dev/null
	dot -Tsvg <<<"$g" >"$BATS_TEST_TMPDIR/f.svg"
	grep -q '<svg' "$BATS_TEST_TMPDIR/f.svg"
	grep -q '^	drop \[label="the probe ended here' <<<"$g"
	v=$(vertex_for "$ns" "$ifname")
	grep -q -- "^	$v -> drop \[" <<<"$g"
	grep -qF "\\n#$last $ifname $io" <<<"$g"
	# Nothing past the drop: no hop numbered after the last one seen.
	run grep -F "\\n#$((last + 1)) " <<<"$g"
	[ "$status" -ne 0 ]
	grep -q '>the probe ended here<' "$BATS_TEST_TMPDIR/f.svg"
}

@test "trace --dot with --json, --tui, --pcap - or --netns exits 2 and says why" {
	run pp -j trace default/client default/web-2 --dot
	[ "$status" -eq 2 ]
	[[ $output == *"--dot"*"--json"* ]]
	run pp trace default/client default/web-2 --dot --tui
	[ "$status" -eq 2 ]
	[[ $output == *"--dot"*"--tui"* ]]
	run bash -c "set -o pipefail; '$PODPATH' --lab $LAB trace default/client default/web-2 --dot --pcap - | cat"
	[ "$status" -eq 2 ]
	[[ $output == *"--dot"*"--pcap -"* ]]
	run pp trace --netns ${LAB}_pod_default_client 10.244.2.2 --dot
	[ "$status" -eq 2 ]
	[[ $output == *"--netns"* ]]
}

@test "status --dot: each node's bridge, and every pod's veth as the kernel pairs it" {
	run pp status --dot
	[ "$status" -eq 0 ]
	g=$output
	dot -Tsvg <<<"$g" | grep -q '<svg'
	for ns in $(pod_netns $LAB); do
		p=${ns#${LAB}_pod_}
		peer=$(ip -n "$ns" -o link show eth0 | grep -o 'eth0@if[0-9]*' | sed 's/.*@if//')
		line=$(grep -E -- "^	\"node/[^\"]*/cbr0\" -> \"${p/_//}\" \[" <<<"$g")
		node=$(sed -E 's/^	"node\/([^/]*)\/cbr0".*/\1/' <<<"$line")
		veth=$(ip -n ${LAB}_node_$node -o link | awk -F': ' -v i="$peer" '$1 == i { sub(/@.*/, "", $2); print $2 }')
		echo "$p: $line (kernel: $veth on $node)"
		[ -n "$veth" ]
		[[ $line == *"label=\"$veth <-> eth0 (veth)"* ]]
		ip -n ${LAB}_node_$node -o link show "$veth" | grep -q 'master cbr0'
	done
}

@test "explain summary: the article's table, each row pointing to a topic that exists; its lab column is the kernel's" {
	run pp explain summary
	[ "$status" -eq 0 ]
	txt=$output
	[[ $txt == *"SCENARIO"*"HOW IT WORKS"*"KEY MECHANISM"*"IN THIS LAB"* ]]
	# Each row ends with the command to paste: this binary, this lab.
	mapfile -t cmds < <(grep -o -- '-> [^ ]* --lab [^ ]* explain [a-z-]*$' <<<"$txt" | cut -c4-)
	[ "${#cmds[@]}" -eq 8 ]
	topics=()
	for c in "${cmds[@]}"; do
		[[ $c == "$PODPATH --lab $LAB explain "* ]]
		topics+=("${c##* }")
		run eval "$c"
		[ "$status" -eq 0 ]
	done
	# the rows the article has, in its order
	run pp -j explain summary
	[ "$status" -eq 0 ]
	doc=$output
	[ "$(jq -r '[.table[].topic] | join(" ")' <<<"$doc")" = "${topics[*]}" ]
	[ "$(jq -r '[.table[].scenario] | join("|")' <<<"$doc")" = "container to container|pod to pod, same node|pod to pod, other node|pod to Service|DNS|egress (pod to internet)|ingress (internet to pod)|NetworkPolicy" ]
	jq -e '.table | all(.how != "" and .mechanism != "" and .in_this_lab != "")' <<<"$doc"
	# Where in this lab, as the kernel has it: node-1's route to node-2's
	# pod CIDR; the veth on the bridge paired with the pod's eth0; the
	# Service's ClusterIP in kube-proxy's table.
	cross=$(jq -r '.table[] | select(.topic == "cross-node") | .in_this_lab' <<<"$doc")
	re='routes ([0-9./]+) via ([0-9.]+)'
	[[ $cross =~ $re ]]
	ip -n ${LAB}_node_node-1 route show "${BASH_REMATCH[1]}" | grep -q "via ${BASH_REMATCH[2]} "
	p2p=$(jq -r '.table[] | select(.topic == "pod-to-pod") | .in_this_lab' <<<"$doc")
	re="^([a-z0-9-]+): bridge cbr0 ([0-9./]+); pod ([a-z0-9-]+)/([a-z0-9-]+)'s eth0 pairs with ([a-z0-9]+),"
	[[ $p2p =~ $re ]]
	node=${BASH_REMATCH[1]} br=${BASH_REMATCH[2]} pns=${LAB}_pod_${BASH_REMATCH[3]}_${BASH_REMATCH[4]} veth=${BASH_REMATCH[5]}
	ip -n ${LAB}_node_$node -o addr show cbr0 | grep -q "inet $br "
	ip -n ${LAB}_node_$node -o link show "$veth" | grep -q 'master cbr0'
	peer=$(ip -n "$pns" -o link show eth0 | grep -o 'eth0@if[0-9]*' | sed 's/.*@if//')
	[ "$(ip -n ${LAB}_node_$node -o link show "$veth" | cut -d: -f1)" = "$peer" ]
	svc=$(jq -r '.table[] | select(.topic == "pod-to-service") | .in_this_lab' <<<"$doc")
	re='^svc [a-z0-9/-]+ ([0-9.]+):'
	[[ $svc =~ $re ]]
	ip netns exec ${LAB}_node_node-1 nft list table ip kube-proxy | grep -q "${BASH_REMATCH[1]}"
}

@test "trace --dot to a name that does not resolve: the DNS query's path, and why in the title; exit 1" {
	run --separate-stderr pp trace default/client nosuch.default.svc.cluster.local --dot
	[ "$status" -eq 1 ]
	g=$output
	dot -Tsvg <<<"$g" | grep -q '<svg'
	grep -q '^	label="trace dns default/client -> cluster DNS.*did not resolve: NXDOMAIN' <<<"$g"
	# the query went to the cluster DNS pod: its hops are numbered there
	dns=$(ip -n ${LAB}_pod_kube-system_coredns -o -4 addr show eth0 | awk '{print $4}' | cut -d/ -f1)
	grep -E "^		\"kube-system/coredns\" \[label=\"kube-system/coredns\\\\n$dns\\\\n#[0-9]+ eth0 in" <<<"$g"
}
