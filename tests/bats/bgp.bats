#!/usr/bin/env bats
# bgp networking (Calico-style) against independent observers: `ip route
# show proto bird` in each node for the routes BIRD installed, birdc on each
# BIRD's control socket for the sessions, ping and curl for the traffic.

bats_require_minimum_version 1.5.0

LAB=bgp15

setup_file() {
	load helpers
	lab_cleanup
	lab_cleanup bgp15r
	lab_cleanup bgp15t
	"$PODPATH" --lab "$LAB" setup --network bgp > "$BATS_FILE_TMPDIR/setup.out"
}

teardown_file() {
	load helpers
	lab_cleanup
	lab_cleanup bgp15r
	lab_cleanup bgp15t
}

setup() {
	load helpers
	n1=${LAB}_node_node-1 n2=${LAB}_node_node-2
}

@test "each node learns the other's pod CIDR from BIRD: proto bird, via the peer's node IP" {
	run ip -n "$n1" route show proto bird
	[ "$status" -eq 0 ]
	[[ "$output" == *"10.244.2.0/24 via 172.18.0.3 dev eth0"* ]]
	run ip -n "$n2" route show proto bird
	[[ "$output" == *"10.244.1.0/24 via 172.18.0.2 dev eth0"* ]]
	# Nothing else is routed by hand: no static peer route in routed style.
	run ip -n "$n1" route show 10.244.2.0/24 proto static
	[ -z "$output" ]
	grep -q "^BGP converged in [0-9.]* s: 2 routes proto bird over 1 iBGP session" \
		"$BATS_FILE_TMPDIR/setup.out"
}

@test "the VPC router holds no pod routes in bgp mode" {
	run ip -n "${LAB}_vpc" route show
	[ "$status" -eq 0 ]
	[[ "$output" == *"172.18.0.0/24 dev vpc0"* ]]
	[[ "$output" != *"10.244."* ]]
}

@test "a BIRD runs in each node's namespace and its mesh session is Established (birdc)" {
	local ns pid
	for ns in "$n1" "$n2"; do
		pid=$(ip netns pids "$ns" | while read -r p; do
			[ "$(cat /proc/$p/comm)" = bird ] && echo "$p"; done)
		[ -n "$pid" ]
	done
	run bgp_birdc "$LAB" node-1 show protocols
	[ "$status" -eq 0 ]
	[[ "$output" =~ Mesh_172_18_0_3\ +BGP\ +---\ +up\ .*Established ]]
	run bgp_birdc "$LAB" node-2 show protocols all Mesh_172_18_0_2
	[[ "$output" == *"BGP state:          Established"* ]]
	[[ "$output" == *"Neighbor address: 172.18.0.2"* ]]
	[[ "$output" == *"Routes:         1 imported, 0 filtered, 1 exported"* ]]
	# Each announces exactly its own pod CIDR.
	run bgp_birdc "$LAB" node-2 show route export Mesh_172_18_0_2
	[[ "$output" == *"10.244.2.0/24"* ]]
	[[ "$output" != *"10.244.1.0/24"* ]]
}

@test "cross-node traffic takes the BGP route: a pod on node-1 reaches a pod on node-2" {
	run ip netns exec "${LAB}_pod_default_client" curl -s -m 10 http://10.244.2.2:8080/
	[ "$status" -eq 0 ]
	[[ "$output" == *"default/web-2"* ]]
	run ip -n "$n1" route get 10.244.2.2
	[[ "$output" == *"via 172.18.0.3 dev eth0"* ]]
}

@test "setup -j reports the peering and the convergence time, and the routes agree with the kernel" {
	local have
	run "$PODPATH" --lab bgp15t -j setup --nodes 3 --pods-per-node 1 --network bgp
	[ "$status" -eq 0 ]
	[ "$(jq -r .bgp.peering <<<"$output")" = full-mesh ]
	[ "$(jq -r .bgp.sessions <<<"$output")" = 3 ]
	[ "$(jq -r .bgp.routes <<<"$output")" = 6 ]
	jq -e '.bgp.convergedSeconds > 0' <<<"$output"
	have=0
	for ns in $(node_netns bgp15t); do
		have=$((have + $(ip -n "$ns" route show proto bird | grep -c ' via 172\.18\.0\.')))
	done
	[ "$have" -eq 6 ]
	"$PODPATH" --lab bgp15t teardown >/dev/null
}

@test "nodeToNodeMeshEnabled false: every node peers with the route reflector in the VPC router" {
	cat > "$BATS_TEST_TMPDIR/rr.json" <<-'JSON'
	{ "network": { "mode": "bgp", "bgp": { "nodeToNodeMeshEnabled": false, "asNumber": 65010 } },
	  "nodes": [ { "name": "node-1" }, { "name": "node-2" }, { "name": "node-3" } ],
	  "pods": [ { "name": "a", "node": "node-1", "containers": [ { "name": "c", "ports": [ { "containerPort": 8080 } ] } ] },
	            { "name": "b", "node": "node-3", "containers": [ { "name": "c", "ports": [ { "containerPort": 8080 } ] } ] } ] }
	JSON
	run "$PODPATH" --lab bgp15r setup -f "$BATS_TEST_TMPDIR/rr.json"
	[ "$status" -eq 0 ]
	run birdc -s /run/podpath/bgp15r/bgp/vpc.route-reflector.ctl show protocols
	[ "$status" -eq 0 ]
	[ "$(grep -cE '^Node_172_18_0_[234] +BGP .* up .*Established' <<<"$output")" -eq 3 ]
	run birdc -s /run/podpath/bgp15r/bgp/node-1.ctl show protocols all Node_172_18_0_1
	[[ "$output" == *"Neighbor AS:      65010"* ]]
	[[ "$output" == *"BGP state:          Established"* ]]
	# Reflected, not rewritten: learned from the reflector, next hop the owner.
	run birdc -s /run/podpath/bgp15r/bgp/node-1.ctl show route 10.244.3.0/24 all
	[[ "$output" == *"from 172.18.0.1]"* ]]
	[[ "$output" == *"BGP.next_hop: 172.18.0.4"* ]]
	run ip -n bgp15r_node_node-1 route show proto bird
	[[ "$output" == *"10.244.3.0/24 via 172.18.0.4 dev eth0"* ]]
	run ip -n bgp15r_vpc route show
	[[ "$output" != *"10.244."* ]]
	run ip netns exec bgp15r_pod_default_a ping -c 1 -W 5 10.244.3.2
	[ "$status" -eq 0 ]
	"$PODPATH" --lab bgp15r teardown >/dev/null
}

@test "beyond 16 nodes the route reflector takes over from the full mesh" {
	run "$PODPATH" --lab bgp15t setup --nodes 17 --pods-per-node 1 --network bgp
	[ "$status" -eq 0 ]
	run birdc -s /run/podpath/bgp15t/bgp/vpc.route-reflector.ctl show protocols
	[ "$(grep -cE '^Node_172_18_0_[0-9]+ +BGP .* up .*Established' <<<"$output")" -eq 17 ]
	run birdc -s /run/podpath/bgp15t/bgp/node-5.ctl show protocols
	[[ "$output" != *Mesh_* ]]
	[ "$(ip -n bgp15t_node_node-5 route show proto bird | wc -l)" -eq 16 ]
	"$PODPATH" --lab bgp15t teardown >/dev/null
}

@test "bad bgp input is refused with exit 2 naming the field, and nothing is built" {
	run "$PODPATH" --lab bgp15t setup --network bgpp
	[ "$status" -eq 2 ]
	[[ "$output" == *'--network "bgpp"'* ]]
	printf '%s' '{ "network": { "bgp": { "asNumber": 65001 } }, "nodes": [ { "name": "n" } ] }' \
		> "$BATS_TEST_TMPDIR/routed.json"
	run "$PODPATH" --lab bgp15t setup -f "$BATS_TEST_TMPDIR/routed.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *".network.bgp"* ]]
	printf '%s' '{ "network": { "mode": "bgp", "bgp": { "asNumber": 0 } }, "nodes": [ { "name": "n" } ] }' \
		> "$BATS_TEST_TMPDIR/asn.json"
	run "$PODPATH" --lab bgp15t setup -f "$BATS_TEST_TMPDIR/asn.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *".network.bgp.asNumber: 0: must be 1..4294967294"* ]]
	# A node name whose BIRD control socket path would not fit sockaddr_un.
	printf '{ "network": { "mode": "bgp" }, "nodes": [ { "name": "%s" } ] }' \
		"$(printf 'n%.0s' $(seq 63))" > "$BATS_TEST_TMPDIR/long.json"
	run "$PODPATH" --lab bgp15tlongerlabname12345 setup -f "$BATS_TEST_TMPDIR/long.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *'node "nnnnnnnn'*'control socket'*'107 bytes'* ]]
	run ip netns list
	[[ "$output" != *bgp15t* ]]
	[ ! -e /run/podpath/bgp15tlongerlabname12345 ]
}

@test "a hung BIRD never hangs podpath: status says it cannot be asked, run after run" {
	local pid i
	pid=$(cat "/run/podpath/$LAB/bgp/node-2.pid")
	kill -STOP "$pid"
	# More runs than BIRD's listen backlog (8): a blocking connect would
	# wait for ever once it is full.
	for i in $(seq 10); do
		run timeout 30 "$PODPATH" --lab "$LAB" -j status
		[ "$status" -eq 0 ] || { kill -CONT "$pid"; false; }
	done
	kill -CONT "$pid"
	jq -e '.bgp.speakers[] | select(.name == "node-2") | .health != "running"' <<<"$output"
	# Once it runs again, it answers again.
	run bgp_birdc "$LAB" node-2 show status
	[ "$status" -eq 0 ]
}

@test "teardown leaves no BIRD process, control socket or file" {
	local pids p
	pids=$(pgrep -f "bird -f -c /run/podpath/$LAB/")
	[ -n "$pids" ]
	run "$PODPATH" --lab "$LAB" teardown
	[ "$status" -eq 0 ]
	for p in $pids; do
		[ ! -e "/proc/$p" ] || [ "$(cat /proc/$p/stat | awk '{print $3}')" = Z ]
	done
	run pgrep -af "bird -f -c /run/podpath/$LAB/"
	[ "$status" -eq 1 ]
	[ ! -e "/run/podpath/$LAB" ]
	run lab_leftovers "$LAB"
	[ -z "$output" ]
}
