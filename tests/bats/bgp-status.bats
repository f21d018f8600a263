#!/usr/bin/env bats
# status, status --dot and explain cross-node in bgp mode, checked against
# independent observers: birdc on each BIRD's control socket for the
# sessions and their route counts, `ip route show proto bird` for what the
# kernel holds, graphviz for the drawing.

bats_require_minimum_version 1.5.0

LAB=bgpst
RR=bgpst2

setup_file() {
	load helpers
	lab_cleanup
	lab_cleanup "$RR"
	"$PODPATH" --lab "$LAB" setup --network bgp >/dev/null
	cat > "$BATS_FILE_TMPDIR/rr.json" <<-'JSON'
	{ "network": { "mode": "bgp", "bgp": { "nodeToNodeMeshEnabled": false } },
	  "nodes": [ { "name": "node-1" }, { "name": "node-2" }, { "name": "node-3" } ],
	  "pods": [ { "name": "a", "node": "node-1", "containers": [ { "name": "c", "ports": [ { "containerPort": 8080 } ] } ] },
	            { "name": "b", "node": "node-3", "containers": [ { "name": "c", "ports": [ { "containerPort": 8080 } ] } ] } ] }
	JSON
	"$PODPATH" --lab "$RR" setup -f "$BATS_FILE_TMPDIR/rr.json" >/dev/null
}

teardown_file() {
	load helpers
	lab_cleanup
	lab_cleanup "$RR"
}

setup() {
	load helpers
}

sock() { # LAB SPEAKER
	echo "/run/podpath/$1/bgp/$2.ctl"
}

# One session as birdc describes it: "STATE NEIGHBOR IMPORTED EXPORTED".
birdc_session() { # SOCKET PROTOCOL
	birdc -s "$1" show protocols all "$2" | awk '
		BEGIN { im = 0; ex = 0 }	# a channel that is down lists no routes
		/BGP state:/ { st = $3 }
		/Neighbor address:/ { nb = $3 }
		/Routes:/ { im = $2; ex = $6 }
		END { print st, nb, im, ex }'
}

# The same four fields of every session of every speaker, from status -j,
# compared with birdc's: "SPEAKER PROTOCOL" lines that differ are printed.
sessions_differ_once() { # LAB
	local lab=$1 sp proto ours theirs
	"$PODPATH" --lab "$lab" -j status > "$BATS_TEST_TMPDIR/st.json" || true
	while read -r sp proto ours; do
		theirs=$(birdc_session "$(sock "$lab" "$sp")" "$proto")
		[ "$ours" = "$theirs" ] || echo "$sp $proto: status says '$ours', birdc '$theirs'"
	done < <(jq -r '.bgp.speakers[] | .name as $n | .sessions[] |
		"\($n) \(.protocol) \(.bgpState) \(.neighbor) \(.routesImported) \(.routesExported)"' \
		"$BATS_TEST_TMPDIR/st.json")
}

# A session that is down moves between Active and Connect every second:
# the two looks may straddle a move, so a difference is looked at again
# (bounded: 10 looks); one that stays is printed.
sessions_differ() { # LAB
	local i out
	for i in $(seq 10); do
		out=$(sessions_differ_once "$1")
		[ -z "$out" ] && return 0
		sleep 0.2
	done
	echo "$out"
}

# status -j's learned routes that the kernel has, against ip route show proto bird.
kernel_routes() { # LAB NODE
	ip -n "${1}_node_$2" route show proto bird | awk '{ print $1, $3 }' | sort
}
status_routes() { # LAB NODE
	jq -r --arg n "$2" '.bgp.speakers[] | select(.name == $n) | .routes[] |
		select(.inKernel) | "\(.prefix) \(.nextHop)"' "$BATS_TEST_TMPDIR/st.json" | sort
}

@test "status -j: every BGP session's state, neighbor and route counts are birdc's" {
	run jq -r '.bgp | "\(.asNumber) \(.nodeToNodeMesh) \(.routeReflector) \(.speakers | length)"' \
		< <("$PODPATH" --lab "$LAB" -j status)
	[ "$output" = "64512 true false 2" ]
	run sessions_differ "$LAB"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# Something was compared: one established session each way.
	[ "$(jq '[.bgp.speakers[].sessions[] | select(.bgpState == "Established")] | length' \
		"$BATS_TEST_TMPDIR/st.json")" -eq 2 ]
	[ "$(jq -r '.bgp.speakers[] | select(.name == "node-1") | .sessions[0] |
		"\(.peer) \(.peerAddress) \(.protocol) \(.state)"' "$BATS_TEST_TMPDIR/st.json")" = \
		"node-2 172.18.0.3 Mesh_172_18_0_3 established" ]
}

@test "status: each node's learned routes are the kernel's proto bird routes" {
	local n
	"$PODPATH" --lab "$LAB" -j status > "$BATS_TEST_TMPDIR/st.json"
	for n in node-1 node-2; do
		[ -n "$(kernel_routes "$LAB" "$n")" ]
		[ "$(status_routes "$LAB" "$n")" = "$(kernel_routes "$LAB" "$n")" ]
	done
	# What each node announces is its pod CIDR, as BIRD exports it to its peer.
	run birdc -s "$(sock "$LAB" node-1)" show route export Mesh_172_18_0_3
	[ "$status" -eq 0 ]
	[[ "$output" == *"10.244.1.0/24"* ]]
	[ "$(jq -r '.bgp.speakers[] | select(.name == "node-1") | .announces[]' \
		"$BATS_TEST_TMPDIR/st.json")" = "10.244.1.0/24" ]
	# The text: a session row and the learned route, from whom, in the kernel.
	run "$PODPATH" --lab "$LAB" status
	[ "$status" -eq 0 ]
	[[ "$output" =~ node-1\ +172\.18\.0\.2\ +running\ \(pid\ [0-9]+\)\ +node-2\ +172\.18\.0\.3\ +Mesh_172_18_0_3\ +1\ +1\ +established ]]
	[[ "$output" =~ node-1\ +10\.244\.2\.0/24\ +172\.18\.0\.3\ +node-2\ +Mesh_172_18_0_3\ +proto\ bird ]]
}

@test "status --dot: graphviz takes it, and it draws the session between the nodes" {
	"$PODPATH" --lab "$LAB" status --dot > "$BATS_TEST_TMPDIR/lab.dot"
	run dot -Tsvg -o "$BATS_TEST_TMPDIR/lab.svg" "$BATS_TEST_TMPDIR/lab.dot"
	[ "$status" -eq 0 ]
	[ -s "$BATS_TEST_TMPDIR/lab.svg" ]
	run grep -c '^	"node/node-1" -> "node/node-2" \[label="BGP established".*color=darkgreen' \
		"$BATS_TEST_TMPDIR/lab.dot"
	[ "$output" -eq 1 ]
	# The edge is in graphviz's own rendering too.
	grep -q 'BGP established' "$BATS_TEST_TMPDIR/lab.svg"
}

@test "explain cross-node --live: the routes it names are the ones the kernel has" {
	local n kr
	run "$PODPATH" --lab "$LAB" explain cross-node --live
	[ "$status" -eq 0 ]
	# The concept (wrapped in text: asked of the JSON).
	[[ "$("$PODPATH" --lab "$LAB" -j explain cross-node | jq -r '.concept | join(" ")')" == \
		*"A BGP session is one TCP connection to port 179"* ]]
	[[ "$output" == *"verdict: delivered"* ]]
	for n in node-1 node-2; do
		kr=$(kernel_routes "$LAB" "$n")
		[ -n "$kr" ]
		while read -r prefix via; do
			[[ "$output" == *"$n learned $prefix from "*", next hop $via; the kernel has it: $prefix via $via proto bird"* ]]
		done <<<"$kr"
	done
	[[ "$output" == *"node-1's session Mesh_172_18_0_3 with node-2 (172.18.0.3, TCP port 179): established"* ]]
	[[ "$output" == *"birdc -s /run/podpath/$LAB/bgp/node-1.ctl show protocols"* ]]
	[[ "$output" == *"ip -n ${LAB}_node_node-1 route show proto bird"* ]]
	# The VPC router really holds no pod route, as it says.
	[[ "$output" == *"the VPC router (${LAB}_vpc) holds no pod routes"* ]]
	run ip -n "${LAB}_vpc" route show
	[[ "$output" != *"10.244."* ]]
	# JSON: the same routes as data.
	run "$PODPATH" --lab "$LAB" -j explain cross-node
	[ "$status" -eq 0 ]
	[ "$(jq -r '.bgp.speakers[] | select(.name == "node-1") | .routes[] | select(.inKernel) |
		"\(.prefix) \(.nextHop)"' <<<"$output")" = "$(kernel_routes "$LAB" node-1)" ]
}

@test "explain: the summary's cross-node row names BGP for a bgp lab" {
	run "$PODPATH" --lab "$LAB" -j explain
	[ "$status" -eq 0 ]
	[[ "$(jq -r '.table[] | select(.topic == "cross-node") | .mechanism' <<<"$output")" == *"BGP"* ]]
	[[ "$(jq -r '.table[] | select(.topic == "cross-node") | .in_this_lab' <<<"$output")" == \
		*"node-1 routes 10.244.2.0/24 via 172.18.0.3 (node-2) as proto bird"*"(all 2 routes in place)"* ]]
	[ "$(ip -n "${LAB}_node_node-1" route show proto bird | wc -l)" -eq 1 ]
	[ "$(ip -n "${LAB}_node_node-2" route show proto bird | wc -l)" -eq 1 ]
}

@test "a stopped BIRD shows as not running, its peer's session as down, and status still answers" {
	local i st
	run birdc -s "$(sock "$LAB" node-2)" down
	[ "$status" -eq 0 ]
	# Wait (bounded, 20 s) for node-1's BIRD to see the session go down.
	for i in $(seq 200); do
		st=$(birdc_session "$(sock "$LAB" node-1)" Mesh_172_18_0_3)
		[[ "$st" != Established* ]] && break
		sleep 0.1
	done
	[[ "$st" != Established* ]]
	# ... and its kernel to lose the withdrawn route (bounded, 20 s).
	for i in $(seq 200); do
		[ -z "$(kernel_routes "$LAB" node-1)" ] && break
		sleep 0.1
	done
	run "$PODPATH" --lab "$LAB" -j status
	[ "$status" -le 1 ]
	[ "$(jq -r '.bgp.speakers[] | select(.name == "node-2") | .health' <<<"$output")" = "not running" ]
	[ "$(jq '.bgp.speakers[] | select(.name == "node-2") | .sessions | length' <<<"$output")" -eq 0 ]
	# node-1's side agrees with birdc, and the withdrawn route is gone from both.
	run sessions_differ "$LAB"
	[ -z "$output" ]
	[ "$(jq -r '.bgp.speakers[] | select(.name == "node-1") | .sessions[0].established' \
		"$BATS_TEST_TMPDIR/st.json")" = false ]
	[ -z "$(kernel_routes "$LAB" node-1)" ]
	[ -z "$(status_routes "$LAB" node-1)" ]
	run "$PODPATH" --lab "$LAB" status
	[ "$status" -le 1 ]
	[[ "$output" =~ node-2\ +172\.18\.0\.3\ +not\ running ]]
	[[ "$output" =~ Mesh_172_18_0_3\ +0\ +0\ +down\ \( ]]
	# The drawing: the session red and dashed, saying why.
	"$PODPATH" --lab "$LAB" status --dot > "$BATS_TEST_TMPDIR/down.dot"
	dot -Tsvg -o /dev/null "$BATS_TEST_TMPDIR/down.dot"
	grep -q '"node/node-1" -> "node/node-2" \[label="BGP\\nnode-1: down (.*\\nnode-2: BIRD not running.*color=red.*style=dashed' \
		"$BATS_TEST_TMPDIR/down.dot"
	# explain says what is missing.
	run "$PODPATH" --lab "$LAB" explain cross-node
	[[ "$output" == *"node-1 has learned no route to 10.244.2.0/24 (node-2's pod CIDR)"* ]]
	[[ "$output" == *"node-2's BIRD is not running"* ]]
	# The summary's row counts the routes the kernels hold now: none.
	run "$PODPATH" --lab "$LAB" -j explain
	[[ "$(jq -r '.table[] | select(.topic == "cross-node") | .in_this_lab' <<<"$output")" == \
		*"only 0 of the 2 routes are in place now"* ]]
	[ -z "$(kernel_routes "$LAB" node-2)" ]
}

@test "route reflector: status shows its session per node, as birdc does, and --dot draws them" {
	run jq -r '.bgp | "\(.nodeToNodeMesh) \(.routeReflector)"' < <("$PODPATH" --lab "$RR" -j status)
	[ "$output" = "false true" ]
	run sessions_differ "$RR"
	[ -z "$output" ]
	[ "$(jq -r '.bgp.speakers[] | select(.kind == "route-reflector") | .sessions[] |
		"\(.peer) \(.protocol) \(.bgpState)"' "$BATS_TEST_TMPDIR/st.json")" = \
		"node-1 Node_172_18_0_2 Established
node-2 Node_172_18_0_3 Established
node-3 Node_172_18_0_4 Established" ]
	# A node learns the others' routes from the reflector, announced by their owner.
	[ "$(jq -r '.bgp.speakers[] | select(.name == "node-1") | .routes[] |
		"\(.prefix) \(.from) \(.announcedBy)"' "$BATS_TEST_TMPDIR/st.json" | sort)" = \
		"10.244.2.0/24 vpc.route-reflector node-2
10.244.3.0/24 vpc.route-reflector node-3" ]
	[ "$(status_routes "$RR" node-1)" = "$(kernel_routes "$RR" node-1)" ]
	"$PODPATH" --lab "$RR" status --dot > "$BATS_TEST_TMPDIR/rr.dot"
	dot -Tsvg -o /dev/null "$BATS_TEST_TMPDIR/rr.dot"
	[ "$(grep -c '^	"node/node-[123]" -> "bgp/route-reflector" \[label="BGP established"' \
		"$BATS_TEST_TMPDIR/rr.dot")" -eq 3 ]
	run "$PODPATH" --lab "$RR" explain cross-node
	[[ "$output" == *"every node peers with a route reflector in the VPC router (nodeToNodeMeshEnabled false)"* ]]
	[[ "$output" == *"node-1 learned 10.244.3.0/24 from the route reflector, announced by node-3, next hop 172.18.0.4; the kernel has it: 10.244.3.0/24 via 172.18.0.4 proto bird"* ]]
}

@test "teardown leaves nothing of either lab" {
	"$PODPATH" --lab "$LAB" teardown >/dev/null
	"$PODPATH" --lab "$RR" teardown >/dev/null
	[ -z "$(lab_leftovers "$LAB")" ]
	[ -z "$(lab_leftovers "$RR")" ]
}
