#!/usr/bin/env bats
# podpath break's BGP faults and podpath check in bgp networking, against
# independent observers: `ip route show proto bird` in each node for the
# routes BIRD installed, birdc on each BIRD's control socket for sessions
# and filtered routes, the namespace's processes for BIRD itself, curl from
# a pod for the traffic. Each fault: applied, seen, named by check (exit 1),
# undone, seen gone, check clean again (exit 0).

bats_require_minimum_version 1.5.0

LAB=bgpbk	# the default lab, full mesh
RR=bgpbk2	# three nodes peering through the route reflector
ROUTED=bgpbk3

setup_file() {
	load helpers
	lab_cleanup "$LAB"
	lab_cleanup "$RR"
	lab_cleanup "$ROUTED"
	"$PODPATH" --lab "$LAB" setup --network bgp >/dev/null
}

teardown_file() {
	load helpers
	lab_cleanup "$LAB"
	lab_cleanup "$RR"
	lab_cleanup "$ROUTED"
}

setup() {
	load helpers
	n1=${LAB}_node_node-1 n2=${LAB}_node_node-2
	client=${LAB}_pod_default_client
}

# A test that fails half-way leaves no fault to the next (on the
# reflector's lab too, once a test made it).
teardown() {
	"$PODPATH" --lab "$LAB" break --undo >/dev/null 2>&1 || true
	if [ -d "/run/podpath/$RR" ]; then
		"$PODPATH" --lab "$RR" break --undo >/dev/null 2>&1 || true
	fi
}




established() { # LAB SPEAKER PROTO
	bgp_birdc "$1" "$2" show protocols all "$3" | grep -q "BGP state: *Established"
}


web2_url() {
	echo "http://$(pod_ip "${LAB}_pod_default_web-2"):8080/"
}

# The client reaches web-2 on the other node (the kernel's word: curl).
traffic_works() {
	[[ "$(ns_curl "$client" "$(web2_url)")" == *web-2* ]]
}

traffic_fails() {
	run ip netns exec "$client" curl -s -m 5 "$(web2_url)"
	[ "$status" -ne 0 ]
}

# After an undo: both routes back, the session up, check clean, traffic.
lab_healed() {
	bgp_wait bgp_route_in "$n1" 10.244.2.0/24
	bgp_wait bgp_route_in "$n2" 10.244.1.0/24
	bgp_wait established "$LAB" node-1 Mesh_172_18_0_3
	run "$PODPATH" --lab "$LAB" check
	[ "$status" -eq 0 ]
	[[ "$output" == *"no difference from the plan"* ]]
	traffic_works
}

@test "check: a clean bgp lab has no difference from the plan, with its BGP sessions compared" {
	run "$PODPATH" --lab "$LAB" check
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 BGP speakers, 2 BGP sessions"* ]]
	run "$PODPATH" -j --lab "$LAB" check
	[ "$status" -eq 0 ]
	jq -e '.clean == true and .checked.bgp_sessions == 2 and .checked.bgp_speakers == 2' <<<"$output"
	# What check takes as BGP's is what the kernel holds as BIRD's.
	bgp_route_in "$n1" 10.244.2.0/24
	traffic_works
}

@test "bgp-peer-down: node-2's BIRD stops, node-1 loses the route, check names both; undo heals" {
	run "$PODPATH" --lab "$LAB" break bgp-peer-down
	[ "$status" -eq 0 ]
	[[ "$output" == *"fault bgp-peer-down applied to node/node-2"* ]]
	# Applied means already real: no waiting here.
	run bgp_route_in "$n1" 10.244.2.0/24
	[ "$status" -ne 0 ]
	[ -z "$(bgp_bird_pid "$n2")" ]
	[ -n "$(bgp_bird_pid "$n1")" ]
	run bgp_birdc "$LAB" node-1 show protocols all Mesh_172_18_0_3
	[ "$status" -eq 0 ]
	[[ "$output" != *"BGP state:          Established"* ]]
	run "$PODPATH" --lab "$LAB" check
	[ "$status" -eq 1 ]
	[[ "$output" == *"route 10.244.2.0/24 via 172.18.0.3 proto bird is missing"* ]]
	[[ "$output" == *"see: ip -n $n1 route show proto bird"* ]]
	[[ "$output" == *"BGP session Mesh_172_18_0_3 with node-2 is down ("* ]]
	[[ "$output" == *"see: birdc -s /run/podpath/$LAB/bgp/node-1.ctl show protocols all Mesh_172_18_0_3"* ]]
	[[ "$output" == *"node-2's BIRD is not running"* ]]
	run "$PODPATH" -j --lab "$LAB" check
	[ "$status" -eq 1 ]
	jq -e '[.differences[].check] | index("bgp-route-missing") and index("bgp-session-down") and index("bgp-daemon-down")' <<<"$output"
	traffic_fails
	# Another process reads the record back.
	run "$PODPATH" --lab "$LAB" break --reveal
	[ "$status" -eq 0 ]
	[[ "$output" == *"node node-2: BIRD, the node's BGP daemon: running -> stopped (pid "* ]]
	[[ "$output" == *"birdc -s /run/podpath/$LAB/bgp/node-1.ctl show protocols all Mesh_172_18_0_3; ip -n $n1 route show proto bird"* ]]
	run "$PODPATH" --lab "$LAB" break --undo
	[ "$status" -eq 0 ]
	[ -n "$(bgp_bird_pid "$n2")" ]
	lab_healed
}

@test "bgp-wrong-peer: node-1 names 172.18.0.254 for node-2, the session stays down at both ends" {
	run "$PODPATH" --lab "$LAB" break bgp-wrong-peer
	[ "$status" -eq 0 ]
	[[ "$output" == *"fault bgp-wrong-peer applied to node/node-1"* ]]
	[[ "$output" == *"172.18.0.3 -> 172.18.0.254"* ]]
	grep -q "neighbor 172.18.0.254 as" "/run/podpath/$LAB/bgp/node-1.conf"
	run bgp_birdc "$LAB" node-1 show protocols all Mesh_172_18_0_3
	[[ "$output" == *"Neighbor address: 172.18.0.254"* ]]
	[[ "$output" != *"BGP state:          Established"* ]]
	run bgp_route_in "$n1" 10.244.2.0/24
	[ "$status" -ne 0 ]
	run bgp_route_in "$n2" 10.244.1.0/24
	[ "$status" -ne 0 ]
	run "$PODPATH" --lab "$LAB" check
	[ "$status" -eq 1 ]
	[[ "$output" == *"route 10.244.2.0/24 via 172.18.0.3 proto bird is missing"* ]]
	[[ "$output" == *"route 10.244.1.0/24 via 172.18.0.2 proto bird is missing"* ]]
	[[ "$output" == *"BGP session Mesh_172_18_0_3 with node-2 is down ("*"its neighbor address is 172.18.0.254, not node-2's 172.18.0.3)"* ]]
	traffic_fails
	run "$PODPATH" --lab "$LAB" break --undo
	[ "$status" -eq 0 ]
	grep -q "neighbor 172.18.0.3 as" "/run/podpath/$LAB/bgp/node-1.conf"
	lab_healed
}

@test "bgp-announcement-filtered: node-2 keeps its sessions but announces nothing; undo heals" {
	run "$PODPATH" --lab "$LAB" break bgp-announcement-filtered
	[ "$status" -eq 0 ]
	[[ "$output" == *"fault bgp-announcement-filtered applied to node/node-2"* ]]
	run bgp_birdc "$LAB" node-2 show route noexport Mesh_172_18_0_2
	[ "$status" -eq 0 ]
	[[ "$output" == *"10.244.2.0/24"* ]]
	established "$LAB" node-1 Mesh_172_18_0_3
	run bgp_route_in "$n1" 10.244.2.0/24
	[ "$status" -ne 0 ]
	bgp_route_in "$n2" 10.244.1.0/24
	run "$PODPATH" --lab "$LAB" check
	[ "$status" -eq 1 ]
	[[ "$output" == *"route 10.244.2.0/24 via 172.18.0.3 proto bird is missing"* ]]
	[[ "$output" == *"BGP session Mesh_172_18_0_2 with node-1 does not announce 10.244.2.0/24: its export filter rejects 10.244.2.0/24"* ]]
	[[ "$output" == *"see: birdc -s /run/podpath/$LAB/bgp/node-2.ctl show route noexport Mesh_172_18_0_2"* ]]
	[[ "$output" != *"is down"* ]]
	traffic_fails
	run "$PODPATH" --lab "$LAB" break --undo
	[ "$status" -eq 0 ]
	run bgp_birdc "$LAB" node-2 show route noexport Mesh_172_18_0_2
	[ "$status" -eq 0 ]
	[[ "$output" != *"10.244.2.0/24"* ]]
	lab_healed
}

@test "bridge and masquerade faults apply to bgp networking too: each seen, named by check, undone" {
	local veth
	# veth-detached: web-2's host veth off cbr0, so nothing reaches it.
	run "$PODPATH" -j --lab "$LAB" break veth-detached
	[ "$status" -eq 0 ]
	veth=$(jq -r '.changes[0].what | split(" ")[1]' <<<"$output")
	run ip -n "$n2" -d link show dev "$veth"
	[ "$status" -eq 0 ]
	[[ "$output" != *"master cbr0"* ]]
	traffic_fails
	run "$PODPATH" --lab "$LAB" check
	[ "$status" -eq 1 ]
	[[ "$output" == *"bridge of link $veth: expected cbr0, found none"* ]]
	"$PODPATH" --lab "$LAB" break --undo >/dev/null
	[[ "$(ip -n "$n2" -d link show dev "$veth")" == *"master cbr0"* ]]
	lab_healed
	# hairpin-off: coredns's bridge port.
	run "$PODPATH" -j --lab "$LAB" break hairpin-off
	[ "$status" -eq 0 ]
	veth=$(jq -r '.changes[0].what | split(" ")[2]' <<<"$output")
	[[ "$(ip -n "$n2" -d link show dev "$veth")" == *"hairpin off"* ]]
	run "$PODPATH" --lab "$LAB" check
	[ "$status" -eq 1 ]
	"$PODPATH" --lab "$LAB" break --undo >/dev/null
	[[ "$(ip -n "$n2" -d link show dev "$veth")" == *"hairpin on"* ]]
	# masquerade-missing: the client's traffic leaves node-1 unmasqueraded.
	[[ "$(ns_curl "$client" http://203.0.113.10/)" == *"internet-host=example.com"* ]]
	run "$PODPATH" --lab "$LAB" break masquerade-missing
	[ "$status" -eq 0 ]
	run ip netns exec "$n1" nft list chain ip ip-masq-agent ip-masq-agent
	[[ "$output" != *masquerade* ]]
	run ip netns exec "$client" curl -s -m 5 http://203.0.113.10/
	[ "$status" -ne 0 ]
	"$PODPATH" --lab "$LAB" break --undo >/dev/null
	[[ "$(ns_curl "$client" http://203.0.113.10/)" == *"internet-host=example.com"* ]]
	lab_healed
}

@test "--list names the BGP faults for a bgp lab, with their default targets" {
	run "$PODPATH" -j --lab "$LAB" break --list
	[ "$status" -eq 0 ]
	jq -e '.faults[] | select(.name == "bgp-peer-down") | .modes == ["bgp"] and .applies and .default_target == "node/node-2" and .trace == "trace default/client default/web-2"' <<<"$output"
	jq -e '.faults[] | select(.name == "bgp-wrong-peer") | .default_target == "node/node-1"' <<<"$output"
	jq -e '.faults[] | select(.name == "bgp-announcement-filtered") | .default_target == "node/node-2"' <<<"$output"
	run "$PODPATH" --lab "$LAB" break bgp-peer-down --on default/web-2
	[ "$status" -eq 2 ]
	[[ "$output" == *'--on "default/web-2": no such node'* ]]
}

@test "route reflector: check is clean, then names the reflector's session and the BIRD a fault stops" {
	cat > "$BATS_TEST_TMPDIR/rr.json" <<-'JSON'
	{ "network": { "mode": "bgp", "bgp": { "nodeToNodeMeshEnabled": false } },
	  "nodes": [ { "name": "node-1" }, { "name": "node-2" }, { "name": "node-3" } ],
	  "pods": [ { "name": "a", "node": "node-1", "containers": [ { "name": "c", "ports": [ { "containerPort": 8080 } ] } ] },
	            { "name": "b", "node": "node-3", "containers": [ { "name": "c", "ports": [ { "containerPort": 8080 } ] } ] } ] }
	JSON
	run "$PODPATH" --lab "$RR" setup -f "$BATS_TEST_TMPDIR/rr.json"
	[ "$status" -eq 0 ]
	run "$PODPATH" --lab "$RR" check
	[ "$status" -eq 0 ]
	[[ "$output" == *"4 BGP speakers, 6 BGP sessions"* ]]
	run "$PODPATH" --lab "$RR" break bgp-peer-down --on node-3
	[ "$status" -eq 0 ]
	# The session that shows it is the reflector's with node-3.
	[[ "$output" == *"see: birdc -s /run/podpath/$RR/bgp/vpc.route-reflector.ctl show protocols all Node_172_18_0_4; ip -n ${RR}_node_node-1 route show proto bird"* ]]
	run ip -n "${RR}_node_node-1" route show proto bird
	[[ "$output" == *"10.244.2.0/24 via 172.18.0.3"* ]]
	[[ "$output" != *"10.244.3.0/24"* ]]
	run "$PODPATH" --lab "$RR" check
	[ "$status" -eq 1 ]
	[[ "$output" == *"VPC router (${RR}_vpc)"*"BGP session Node_172_18_0_4 with node-3 is down"* ]]
	[[ "$output" == *"see: birdc -s /run/podpath/$RR/bgp/vpc.route-reflector.ctl show protocols all Node_172_18_0_4"* ]]
	[[ "$output" == *"node-3's BIRD is not running"* ]]
	run ip netns exec "${RR}_pod_default_a" curl -s -m 5 "http://$(pod_ip "${RR}_pod_default_b"):8080/"
	[ "$status" -ne 0 ]
	run "$PODPATH" --lab "$RR" break --undo
	[ "$status" -eq 0 ]
	bgp_wait bgp_route_in "${RR}_node_node-1" 10.244.3.0/24
	run "$PODPATH" --lab "$RR" check
	[ "$status" -eq 0 ]
	[[ "$(ns_curl "${RR}_pod_default_a" "http://$(pod_ip "${RR}_pod_default_b"):8080/")" == *"pod=default/b "* ]]
	# A lab torn down with a fault in place leaves nothing: no BIRD, socket or file.
	run "$PODPATH" --lab "$RR" break bgp-wrong-peer
	[ "$status" -eq 0 ]
	run "$PODPATH" --lab "$RR" teardown
	[ "$status" -eq 0 ]
	[ -z "$(lab_leftovers "$RR")" ]
}

@test "a BGP fault is refused for a routed lab with exit 2, naming the mode it needs" {
	"$PODPATH" --lab "$ROUTED" setup >/dev/null
	for f in bgp-peer-down bgp-wrong-peer bgp-announcement-filtered; do
		run "$PODPATH" --lab "$ROUTED" break "$f"
		[ "$status" -eq 2 ]
		[[ "$output" == *"fault \"$f\" does not apply to lab \"$ROUTED\": it needs bgp networking, and lab \"$ROUTED\" uses routed"* ]]
	done
	run "$PODPATH" --lab "$ROUTED" break --reveal
	[ "$status" -eq 1 ]
	"$PODPATH" --lab "$ROUTED" teardown >/dev/null
}
