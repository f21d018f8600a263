#!/usr/bin/env bats
# Review fixes of bgp mode (issue 15), against independent observers: birdc
# on each BIRD's control socket (what it exports, to whom), ip route in each
# node, the namespace's processes for BIRD itself.
#   - status and explain say a pod CIDR is announced only when BIRD exports
#     it on an established session;
#   - undoing a configuration fault works even if BIRD died since;
#   - a configuration fault whose reload fails leaves the clean file, and
#     says so.

bats_require_minimum_version 1.5.0

LAB=bgpfx1	# the default lab, full mesh of two nodes
ONE=bgpfx2	# one node: no session at all
DEAD=bgpfx3	# a node whose BIRD was killed before a fault

setup_file() {
	load helpers
	lab_cleanup "$LAB"
	lab_cleanup "$ONE"
	lab_cleanup "$DEAD"
	"$PODPATH" --lab "$LAB" setup --network bgp >/dev/null
}

teardown_file() {
	load helpers
	lab_cleanup "$LAB"
	lab_cleanup "$ONE"
	lab_cleanup "$DEAD"
}

setup() {
	load helpers
	n1=${LAB}_node_node-1 n2=${LAB}_node_node-2
}

teardown() {
	"$PODPATH" --lab "$LAB" break --undo >/dev/null 2>&1 || true
}




exports() { # LAB SPEAKER PROTO PREFIX: BIRD answers, and exports PREFIX on PROTO
	local out
	out=$(bgp_birdc "$1" "$2" show route export "$3") || return 1
	[[ "$out" == *"$4"* ]]
}


no_bird_in() { [ -z "$(bgp_bird_pid "$1")" ]; }

announces_of() { # LAB NODE: status's JSON announces of NODE, one a line
	"$PODPATH" --lab "$1" -j status | jq -r --arg n "$2" \
		'.bgp.speakers[] | select(.name == $n) | .announces[]'
}

@test "status: a CIDR the export filter rejects is not announced, as birdc's export shows" {
	exports "$LAB" node-2 Mesh_172_18_0_2 10.244.2.0/24
	[ "$(announces_of "$LAB" node-2)" = 10.244.2.0/24 ]
	run "$PODPATH" --lab "$LAB" break bgp-announcement-filtered
	[ "$status" -eq 0 ]
	# BIRD still holds the route, but exports it to nobody.
	run bgp_birdc "$LAB" node-2 show route protocol pod_cidr
	[ "$status" -eq 0 ]
	[[ "$output" == *"10.244.2.0/24"* ]]
	run bgp_birdc "$LAB" node-2 show route export Mesh_172_18_0_2
	[ "$status" -eq 0 ]
	[[ "$output" != *"10.244.2.0/24"* ]]
	run "$PODPATH" --lab "$LAB" -j status
	[ "$status" -eq 0 ]
	[ -z "$(jq -r '.bgp.speakers[] | select(.name == "node-2") | .announces[]' <<<"$output")" ]
	[ "$(jq -r '.bgp.speakers[] | select(.name == "node-2") | .notAnnounced' <<<"$output")" = \
		"not announced: its export filter rejects it" ]
	# node-1 still exports its own.
	exports "$LAB" node-1 Mesh_172_18_0_3 10.244.1.0/24
	[ "$(jq -r '.bgp.speakers[] | select(.name == "node-1") | .announces[]' <<<"$output")" = \
		10.244.1.0/24 ]
	run "$PODPATH" --lab "$LAB" status
	[ "$status" -eq 0 ]
	[[ "$output" =~ node-2\ +10\.244\.2\.0/24\ +-\ +itself\ +pod_cidr\ +not\ announced:\ its\ export\ filter\ rejects\ it ]]
	[[ "$output" =~ node-1\ +10\.244\.1\.0/24\ +-\ +itself\ +pod_cidr\ +announced\ \(its\ pod\ CIDR\) ]]
	# explain cross-node says the same, never "node-2 announces".
	run "$PODPATH" --lab "$LAB" explain cross-node --live
	[[ "$output" != *"node-2 announces 10.244.2.0/24"* ]]
	[[ "$output" == *"10.244.2.0/24: not announced: its export filter rejects it"* ]]
	[[ "$output" == *"node-1 announces 10.244.1.0/24"* ]]
}

@test "status: a one-node lab has no session to announce its CIDR on" {
	cat > "$BATS_TEST_TMPDIR/one.json" <<-'JSON'
	{ "network": { "mode": "bgp" }, "nodes": [ { "name": "node-1" } ],
	  "pods": [ { "name": "a", "node": "node-1", "containers": [ { "name": "c" } ] } ] }
	JSON
	run "$PODPATH" --lab "$ONE" setup -f "$BATS_TEST_TMPDIR/one.json"
	[ "$status" -eq 0 ]
	# BIRD runs, holds the route, and has no BGP protocol to export it on.
	run bgp_birdc "$ONE" node-1 show route protocol pod_cidr
	[ "$status" -eq 0 ]
	[[ "$output" == *"10.244.1.0/24"* ]]
	run bgp_birdc "$ONE" node-1 show protocols
	[ "$status" -eq 0 ]
	[[ "$output" != *" BGP "* ]]
	run "$PODPATH" --lab "$ONE" -j status
	[ "$status" -eq 0 ]
	[ -z "$(jq -r '.bgp.speakers[] | select(.name == "node-1") | .announces[]' <<<"$output")" ]
	[ "$(jq -r '.bgp.speakers[] | select(.name == "node-1") | .notAnnounced' <<<"$output")" = \
		"not announced: no session to announce it on" ]
	run "$PODPATH" --lab "$ONE" status
	[[ "$output" == *"not announced: no session to announce it on"* ]]
	[[ "$output" != *"announced (its pod CIDR)"* ]]
	lab_cleanup "$ONE"
}

@test "undo of bgp-announcement-filtered after BIRD was killed: BIRD started on the clean file" {
	local pid
	run "$PODPATH" --lab "$LAB" break bgp-announcement-filtered
	[ "$status" -eq 0 ]
	pid=$(bgp_bird_pid "$n2")
	[ -n "$pid" ]
	kill -9 "$pid"
	bgp_wait no_bird_in "$n2"
	run "$PODPATH" --lab "$LAB" break --undo
	[ "$status" -eq 0 ]
	[ -n "$(bgp_bird_pid "$n2")" ]
	run grep -c "bgp-announcement-filtered" "/run/podpath/$LAB/bgp/node-2.conf"
	[ "$output" = 0 ]
	# Undone means converged: both routes back, node-2's CIDR exported again.
	bgp_route_in "$n1" 10.244.2.0/24
	bgp_route_in "$n2" 10.244.1.0/24
	exports "$LAB" node-2 Mesh_172_18_0_2 10.244.2.0/24
}

@test "undo of bgp-wrong-peer after BIRD was killed: BIRD started on the clean file" {
	local pid
	run "$PODPATH" --lab "$LAB" break bgp-wrong-peer
	[ "$status" -eq 0 ]
	pid=$(bgp_bird_pid "$n1")
	[ -n "$pid" ]
	kill -9 "$pid"
	bgp_wait no_bird_in "$n1"
	run "$PODPATH" --lab "$LAB" break --undo
	[ "$status" -eq 0 ]
	[ -n "$(bgp_bird_pid "$n1")" ]
	grep -q "neighbor 172.18.0.3 as" "/run/podpath/$LAB/bgp/node-1.conf"
	bgp_route_in "$n1" 10.244.2.0/24
	bgp_route_in "$n2" 10.244.1.0/24
}

@test "a configuration fault whose reload fails puts the clean file back and says so" {
	local pid
	"$PODPATH" --lab "$DEAD" setup --network bgp >/dev/null
	pid=$(bgp_bird_pid "${DEAD}_node_node-2")
	[ -n "$pid" ]
	kill -9 "$pid"
	bgp_wait no_bird_in "${DEAD}_node_node-2"
	run "$PODPATH" --lab "$DEAD" break bgp-announcement-filtered
	[ "$status" -ne 0 ]
	[[ "$output" == *"the clean configuration could not be put back and reloaded either ("* ]]
	run grep -c "bgp-announcement-filtered" "/run/podpath/$DEAD/bgp/node-2.conf"
	[ "$output" = 0 ]
	# Nothing recorded: there is no fault to reveal.
	run "$PODPATH" --lab "$DEAD" break --reveal
	[[ "$output" != *"export filter"* ]]
	lab_cleanup "$DEAD"
}
