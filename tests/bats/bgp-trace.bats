#!/usr/bin/env bats
# trace in bgp networking: a cross-node hop explained from BIRD, and the
# BGP cause of a missing route as the verdict. Faults are made with BIRD's
# own tools (birdc down, a rewritten bird.conf and birdc configure), never
# with podpath; what trace says is held against birdc and ip, which see the
# sessions and the routes independently of podpath.

bats_require_minimum_version 1.5.0

LAB=bgptr	# full mesh, the embedded topology
RR=bgptr2	# nodeToNodeMeshEnabled false: every node peers with the reflector

setup_file() {
	load helpers
	lab_cleanup
	lab_cleanup "$RR"
	"$PODPATH" --lab "$LAB" setup --network bgp >/dev/null
	cat > "$BATS_FILE_TMPDIR/rr.json" <<-'JSON'
	{ "network": { "mode": "bgp", "bgp": { "nodeToNodeMeshEnabled": false } },
	  "nodes": [ { "name": "node-1" }, { "name": "node-2" } ],
	  "pods": [ { "name": "a", "node": "node-1", "containers": [ { "name": "c", "ports": [ { "containerPort": 8080 } ] } ] },
	            { "name": "b", "node": "node-2", "containers": [ { "name": "c", "ports": [ { "containerPort": 8080 } ] } ] } ] }
	JSON
	"$PODPATH" --lab "$RR" setup -f "$BATS_FILE_TMPDIR/rr.json" >/dev/null
	# The configurations as setup wrote them: every test starts from these.
	local lab f
	for lab in "$LAB" "$RR"; do
		mkdir -p "$BATS_FILE_TMPDIR/$lab"
		for f in /run/podpath/"$lab"/bgp/*.conf; do
			cp "$f" "$BATS_FILE_TMPDIR/$lab/"
		done
	done
}

teardown_file() {
	load helpers
	lab_cleanup
	lab_cleanup "$RR"
	[ -z "$(lab_leftovers "$LAB")" ]
	[ -z "$(lab_leftovers "$RR")" ]
	# The BIRDs heal() started (daemonized) went with the namespaces too.
	run pgrep -f "bird -c /run/podpath/($LAB|$RR)/"
	[ "$status" -eq 1 ]
}

setup() {
	load helpers
	n1=${LAB}_node_node-1 n2=${LAB}_node_node-2
}

# Wait up to 20 s for a condition (BIRD sends its UPDATEs on its next
# timer tick, and a session needs a second or two to come back).
wait_for() {
	local i
	for i in $(seq 200); do
		"$@" && return 0
		sleep 0.1
	done
	echo "still not true after 20 s: $*" >&2
	return 1
}

bird_ctl() { echo "/run/podpath/$1/bgp/$2.ctl"; }	# LAB SPEAKER
birdc_of() { # LAB SPEAKER CMD...
	local ctl
	ctl=$(bird_ctl "$1" "$2")
	shift 2
	birdc -s "$ctl" "$@"
}
speaker_netns() { # LAB SPEAKER
	[ "$2" = vpc.route-reflector ] && echo "${1}_vpc" || echo "${1}_node_$2"
}

has_bird_route() { ip -n "${1}_node_$2" route show proto bird | grep -q "^$3 "; }	# LAB NODE PREFIX
no_bird_route() { if has_bird_route "$@"; then return 1; fi; return 0; }

# Put every BIRD of lab $1 back as setup left it: its configuration file,
# reloaded; a BIRD that is not running is started the way podpath starts
# it (daemonized here, so it outlives the test; teardown stops it with the
# lab's namespaces). Then wait for both routes.
heal() { # LAB
	local lab=$1 conf sp d=/run/podpath/$1/bgp
	for conf in "$BATS_FILE_TMPDIR/$lab"/*.conf; do
		sp=$(basename "$conf" .conf)
		cp "$conf" "$d/$sp.conf"
		if birdc_of "$lab" "$sp" show status >/dev/null 2>&1; then
			birdc_of "$lab" "$sp" configure >/dev/null
		else
			ip netns exec "$(speaker_netns "$lab" "$sp")" bird -c "$d/$sp.conf" \
				-s "$d/$sp.ctl" -P "$d/$sp.pid"
		fi
	done
	wait_for has_bird_route "$lab" node-1 10.244.2.0/24
	wait_for has_bird_route "$lab" node-2 10.244.1.0/24
}

# Add a reject of PREFIX in front of SPEAKER's export filter, and reload.
reject_export() { # LAB SPEAKER PREFIX
	local conf=/run/podpath/$1/bgp/$2.conf
	sed -i "s|^\tif proto = \"pod_cidr\" then accept;|\tif net = $3 then reject;\n&|" "$conf"
	grep -q "if net = $3 then reject;" "$conf"
	birdc_of "$1" "$2" configure >/dev/null
}

# A failed trace: exit 1 and a JSON document.
trace_fails() { # LAB SRC DST
	run "$PODPATH" --lab "$1" -j trace "$2" "$3" --timeout 2
	[ "$status" -eq 1 ]
	jq -e . <<<"$output" >/dev/null
}

# The hop the verdict names left NODE by its default route, and the
# request never reached NODE2's namespace.
left_by_default() { # JSON NETNS NOT_NETNS
	local hop
	hop=$(jq -r '.verdict.bgp.hop' <<<"$1")
	[ "$(jq -r --argjson h "$hop" '.hops[$h - 1] | [.netns, .io, .route.dst, .route.proto] | join(" ")' <<<"$1")" \
		= "$2 out default static" ]
	[ "$(jq --arg n "$3" '[.hops[] | select(.direction == "request" and .netns == $n)] | length' <<<"$1")" -eq 0 ]
}

@test "a healthy cross-node hop is explained from BIRD: learned from node-2, as birdc and ip route get say" {
	heal "$LAB"
	run "$PODPATH" --lab "$LAB" -j trace default/client default/web-2
	[ "$status" -eq 0 ]
	json=$output
	[ "$(jq -r .verdict.result <<<"$json")" = delivered ]
	hop=$(jq -c --arg n "$n1" '[.hops[] | select(.netns == $n and .io == "out" and .direction == "request")][0]' <<<"$json")
	[ "$(jq -r '.route.dst, .route.gateway, .route.proto' <<<"$hop" | paste -sd' ')" = "10.244.2.0/24 172.18.0.3 bird" ]
	[ "$(jq -r '.route.bgp | .learned_from, .announced_by, .established' <<<"$hop" | paste -sd' ')" = "node-2 node-2 true" ]
	[[ "$(jq -r .why <<<"$hop")" == "route 10.244.2.0/24 via 172.18.0.3 dev eth0 proto bird: learned over BGP from node-2 (session established)"* ]]
	# The kernel: the route the lookup matches was installed by BIRD.
	run ip -n "$n1" route get fibmatch 10.244.2.2
	[[ "$output" == "10.244.2.0/24 via 172.18.0.3 dev eth0 proto bird"* ]]
	# BIRD: its best route came over the very session trace names, and
	# that session is Established.
	proto=$(jq -r .route.bgp.session <<<"$hop")
	run birdc_of "$LAB" node-1 show route for 10.244.2.2 all
	[[ "$output" == *"unicast [$proto "*"] * "* ]]
	[[ "$output" == *"BGP.next_hop: 172.18.0.3"* ]]
	run birdc_of "$LAB" node-1 show protocols all "$proto"
	[[ "$output" == *"BGP state:          Established"* ]]
	[[ "$output" == *"Description:    node-2"* ]]
	# The answer's way back: node-2's route, learned from node-1.
	hop=$(jq -c --arg n "$n2" '[.hops[] | select(.netns == $n and .io == "out" and .direction == "reply" and .route.proto == "bird")][0]' <<<"$json")
	[ "$(jq -r '.route.dst, .route.bgp.learned_from' <<<"$hop" | paste -sd' ')" = "10.244.1.0/24 node-1" ]
	# Routes not from BIRD carry no BGP record.
	[ "$(jq '[.hops[] | select(.route != null and .route.proto != "bird" and .route.bgp != null)] | length' <<<"$json")" -eq 0 ]
}

@test "the peer's BIRD stopped (birdc down): the verdict names the down session and node-2's BIRD" {
	heal "$LAB"
	birdc_of "$LAB" node-2 down >/dev/null
	wait_for no_bird_route "$LAB" node-1 10.244.2.0/24
	trace_fails "$LAB" default/client default/web-2
	json=$output
	[ "$(jq -r '.verdict.result, .verdict.cause' <<<"$json" | paste -sd' ')" = "no-route bgp-peer-down" ]
	reason=$(jq -r .verdict.reason <<<"$json")
	[[ "$reason" == "no route to 10.244.2.0/24 on node-1: its BGP session with node-2 is down ("*"): node-2's BIRD is not running"* ]]
	left_by_default "$json" "$n1" "$n2"
	# The kernel and BIRD agree: no route, the session not Established,
	# node-2's control socket gone.
	run ip -n "$n1" route show proto bird
	[[ "$output" != *10.244.2.0/24* ]]
	run birdc_of "$LAB" node-1 show protocols all Mesh_172_18_0_3
	[[ "$output" != *"BGP state:          Established"* ]]
	state=$(jq -r '.verdict.bgp.sessions[0].near.state' <<<"$json")
	[[ "$output" == *"BGP state:          $state"* ]]
	[ ! -S "$(bird_ctl "$LAB" node-2)" ]
	# The command the finding gives runs and shows it.
	cmd=$(jq -r '.verdict.findings[0].command' <<<"$json")
	[[ "$cmd" == "birdc -s /run/podpath/$LAB/bgp/node-1.ctl show protocols all Mesh_172_18_0_3; ip -n $n1 route show proto bird" ]]
	run bash -c "$cmd"
	[[ "$output" == *"Mesh_172_18_0_3"* ]]
}

@test "a wrong neighbor address in node-1's bird.conf: the verdict names it and the address it should be" {
	heal "$LAB"
	sed -i 's/neighbor 172.18.0.3 as/neighbor 172.18.0.254 as/' "/run/podpath/$LAB/bgp/node-1.conf"
	birdc_of "$LAB" node-1 configure >/dev/null
	wait_for no_bird_route "$LAB" node-1 10.244.2.0/24
	trace_fails "$LAB" default/client default/web-2
	json=$output
	[ "$(jq -r .verdict.cause <<<"$json")" = bgp-wrong-neighbor ]
	[[ "$(jq -r .verdict.reason <<<"$json")" == "no route to 10.244.2.0/24 on node-1: its BGP session with node-2 is down ("*"its neighbor address is 172.18.0.254, not node-2's 172.18.0.3)"* ]]
	left_by_default "$json" "$n1" "$n2"
	run birdc_of "$LAB" node-1 show protocols all Mesh_172_18_0_3
	[[ "$output" == *"Neighbor address: 172.18.0.254"* ]]
	[[ "$output" != *"BGP state:          Established"* ]]
	run ip -n "$n1" route show proto bird
	[[ "$output" != *10.244.2.0/24* ]]
}

@test "node-2's export filter rejects its pod CIDR: session established, route not announced, and trace says so" {
	heal "$LAB"
	reject_export "$LAB" node-2 10.244.2.0/24
	wait_for no_bird_route "$LAB" node-1 10.244.2.0/24
	trace_fails "$LAB" default/client default/web-2
	json=$output
	[ "$(jq -r .verdict.cause <<<"$json")" = bgp-not-exported ]
	[[ "$(jq -r .verdict.reason <<<"$json")" == "no route to 10.244.2.0/24 on node-1: its BGP session with node-2 is established, but node-2 does not announce 10.244.2.0/24: its export filter rejects it"* ]]
	left_by_default "$json" "$n1" "$n2"
	# BIRD: the session is up, and node-2 lists the CIDR as not exported.
	run birdc_of "$LAB" node-1 show protocols all Mesh_172_18_0_3
	[[ "$output" == *"BGP state:          Established"* ]]
	run birdc_of "$LAB" node-2 show route noexport Mesh_172_18_0_2
	[[ "$output" == *"10.244.2.0/24"* ]]
	[ "$(jq -r '.verdict.findings[0].command' <<<"$json")" = \
		"birdc -s /run/podpath/$LAB/bgp/node-2.ctl show route noexport Mesh_172_18_0_2; ip -n $n1 route show proto bird" ]
}

@test "node-1's own BIRD stopped: the verdict names the local BIRD" {
	heal "$LAB"
	birdc_of "$LAB" node-1 down >/dev/null
	wait_for no_bird_route "$LAB" node-1 10.244.2.0/24
	trace_fails "$LAB" default/client default/web-2
	json=$output
	[ "$(jq -r '.verdict.result, .verdict.cause' <<<"$json" | paste -sd' ')" = "no-route bgp-local-down" ]
	[[ "$(jq -r .verdict.reason <<<"$json")" == "no route to 10.244.2.0/24 on node-1: node-1's own BIRD is not running"* ]]
	left_by_default "$json" "$n1" "$n2"
	[ ! -S "$(bird_ctl "$LAB" node-1)" ]
	run birdc_of "$LAB" node-1 show protocols
	[ "$status" -ne 0 ]
}

@test "the answer's way: node-2 never learned node-1's CIDR, the request got there, the verdict says so" {
	heal "$LAB"
	reject_export "$LAB" node-1 10.244.1.0/24
	wait_for no_bird_route "$LAB" node-2 10.244.1.0/24
	has_bird_route "$LAB" node-1 10.244.2.0/24
	trace_fails "$LAB" default/client default/web-2
	json=$output
	[ "$(jq -r '.verdict.cause, .verdict.bgp.reply, .verdict.bgp.node' <<<"$json" | paste -sd' ')" = "bgp-not-exported true node-2" ]
	[[ "$(jq -r .verdict.reason <<<"$json")" == "no route to 10.244.1.0/24 on node-2 for the answer: "* ]]
	# The request did reach the pod; the answer left node-2 by its default route.
	[ "$(jq '[.hops[] | select(.direction == "request" and .netns == "'"${LAB}_pod_default_web-2"'")] | length' <<<"$json")" -gt 0 ]
	hop=$(jq -r '.verdict.bgp.hop' <<<"$json")
	[ "$(jq -r --argjson h "$hop" '.hops[$h - 1] | [.direction, .netns, .route.dst] | join(" ")' <<<"$json")" = "reply $n2 default" ]
	run ip -n "$n2" route get fibmatch 10.244.1.2
	[[ "$output" == "default via 172.18.0.1"* ]]
}

@test "route reflector: the hop is learned from the reflector and announced by node-2, as birdc says" {
	heal "$RR"
	run "$PODPATH" --lab "$RR" -j trace default/a default/b
	[ "$status" -eq 0 ]
	hop=$(jq -c --arg n "${RR}_node_node-1" '[.hops[] | select(.netns == $n and .io == "out" and .direction == "request")][0]' <<<"$output")
	[ "$(jq -r '.route.proto, .route.bgp.learned_from, .route.bgp.via_route_reflector, .route.bgp.announced_by, .route.bgp.session' <<<"$hop" | paste -sd' ')" \
		= "bird vpc.route-reflector true node-2 Node_172_18_0_1" ]
	[[ "$(jq -r .why <<<"$hop")" == *"proto bird: learned over BGP from the route reflector in the VPC router (session established), announced by node-2"* ]]
	run birdc_of "$RR" node-1 show route for 10.244.2.2 all
	[[ "$output" == *"unicast [Node_172_18_0_1 "*"from 172.18.0.1]"* ]]
	[[ "$output" == *"BGP.next_hop: 172.18.0.3"* ]]
	run ip -n "${RR}_node_node-1" route get fibmatch 10.244.2.2
	[[ "$output" == "10.244.2.0/24 via 172.18.0.3 dev eth0 proto bird"* ]]
}

@test "route reflector: node-2's BIRD stopped, the reflector's session with it is down, and the verdict says so" {
	heal "$RR"
	birdc_of "$RR" node-2 down >/dev/null
	wait_for no_bird_route "$RR" node-1 10.244.2.0/24
	trace_fails "$RR" default/a default/b
	json=$output
	[ "$(jq -r .verdict.cause <<<"$json")" = bgp-peer-down ]
	[[ "$(jq -r .verdict.reason <<<"$json")" == "no route to 10.244.2.0/24 on node-1: its BGP session with the route reflector is established, but the route reflector's session with node-2 is down ("*"): node-2's BIRD is not running"* ]]
	left_by_default "$json" "${RR}_node_node-1" "${RR}_node_node-2"
	run birdc_of "$RR" node-1 show protocols all Node_172_18_0_1
	[[ "$output" == *"BGP state:          Established"* ]]
	run birdc_of "$RR" vpc.route-reflector show protocols all Node_172_18_0_3
	[[ "$output" != *"BGP state:          Established"* ]]
	[[ "$(jq -r '.verdict.findings[0].command' <<<"$json")" == "birdc -s /run/podpath/$RR/bgp/vpc.route-reflector.ctl show protocols all Node_172_18_0_3; "* ]]
}

@test "route reflector: the reflector's own BIRD stopped" {
	heal "$RR"
	birdc_of "$RR" vpc.route-reflector down >/dev/null
	wait_for no_bird_route "$RR" node-1 10.244.2.0/24
	trace_fails "$RR" default/a default/b
	json=$output
	[ "$(jq -r .verdict.cause <<<"$json")" = bgp-peer-down ]
	[[ "$(jq -r .verdict.reason <<<"$json")" == "no route to 10.244.2.0/24 on node-1: its BGP session with the route reflector is down ("*"): the route reflector's BIRD is not running"* ]]
	[ ! -S "$(bird_ctl "$RR" vpc.route-reflector)" ]
	heal "$RR"
}
