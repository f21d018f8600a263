#!/usr/bin/env bash
# Benchmark: bgp networking (issue 15, item 6), in one run.
#
# (a) `podpath setup --nodes 2 --pods-per-node 50` in bgp mode next to the
#     same lab in routed mode (the baseline: identical build, static peer
#     routes instead of BIRD), ROUNDS of each, alternating, medians:
#       routed setup   wall time of the routed setup (the command, end to end);
#       bgp setup      wall time of the bgp setup (the command, end to end,
#                      including its wait for every route: setup returns
#                      only once the lab routes across nodes);
#       ratio          bgp setup / routed setup (the issue's target: <= 2x);
#       convergence    `setup -j` .bgp.convergedSeconds: from the moment
#                      the first BIRD is started to the moment every node
#                      holds every peer's pod CIDR as proto bird. Most of
#                      it runs while the pods are being built; its floor
#                      is BIRD's first connect (connect delay time 1,
#                      which BIRD jitters to 0.75-1 s);
#       waited         .bgp.waitedSeconds: the part of the convergence that
#                      setup spent waiting after it had built everything
#                      (BIRD's timers: connect delay and the first UPDATE);
#       bgp build      bgp setup - waited: the setup's own work in bgp mode
#                      (rendering configurations, starting BIRDs, the same
#                      build as routed), i.e. what it costs apart from
#                      waiting for BGP; its ratio to routed is printed too.
# (b) Withdrawal: on a 2-node bgp lab, node-2's BIRD is stopped (`birdc
#     down`: it closes its session, then exits) and the time is taken from
#     just before birdc runs ($EPOCHREALTIME, no fork) to the timestamp
#     `ip -ts monitor route` in node-1 gives the kernel's deletion of
#     node-2's pod CIDR (proto bird): the whole withdrawal, birdc's start
#     included. Then BIRD is started again the way
#     podpath starts it (bird -f -c CONF -s SOCK -P PID in the node's
#     namespace) and the route waited back before the next repetition.
#     The same for a BIRD killed with SIGKILL (the kernel closes its TCP
#     session; the peer sees the close at once, no hold timer).
# A restart of BIRD here is only a benchmark's: teardown kills it by the
# lab's namespace and pid file like the one setup started.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
PODPATH=${PODPATH:-./podpath}
LAB=bench-bgp
WLAB=bench-bgp-wd
NODES=2
PODS=50
ROUNDS=${ROUNDS:-5}
REPS=${REPS:-7}

cleanup() {
	$PODPATH --lab $LAB teardown >/dev/null 2>&1 || true
	$PODPATH --lab $WLAB teardown >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

command -v birdc >/dev/null || { echo "bgp bench: birdc (Debian bird2) is not installed" >&2; exit 3; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ---- (a) setup: bgp vs routed --------------------------------------------
rts=() bgs=() cvs=() wts=() bls=()
for r in $(seq "$ROUNDS"); do
	settle
	t0=$(now); $PODPATH --lab $LAB setup --nodes $NODES --pods-per-node $PODS --network routed >/dev/null; t1=$(now)
	$PODPATH --lab $LAB teardown >/dev/null
	settle
	t2=$(now); js=$($PODPATH -j --lab $LAB setup --nodes $NODES --pods-per-node $PODS --network bgp); t3=$(now)
	$PODPATH --lab $LAB teardown >/dev/null
	conv=$(jq -r '.bgp.convergedSeconds * 1000' <<<"$js")
	wait=$(jq -r '.bgp.waitedSeconds * 1000' <<<"$js")
	bg=$(ms "$t2" "$t3")
	rts+=("$(ms "$t0" "$t1")") bgs+=("$bg") cvs+=("$conv") wts+=("$wait")
	bls+=("$(awk -v a="$bg" -v w="$wait" 'BEGIN { printf "%.1f", a - w }')")
done
rt=$(printf '%s\n' "${rts[@]}" | median)
bg=$(printf '%s\n' "${bgs[@]}" | median)
cv=$(printf '%s\n' "${cvs[@]}" | median)
wt=$(printf '%s\n' "${wts[@]}" | median)
bl=$(printf '%s\n' "${bls[@]}" | median)
echo "bgp: setup $NODES nodes x $PODS pods, bgp vs routed, median of $ROUNDS alternating runs:"
printf '  routed setup       %8.1f ms  (runs: %s)\n' "$rt" "${rts[*]}"
printf '  bgp setup          %8.1f ms  (runs: %s)\n' "$bg" "${bgs[*]}"
printf '  ratio              %8.2fx routed (target: <= 2x)\n' "$(awk -v a="$bg" -v b="$rt" 'BEGIN{print a/b}')"
printf '  convergence        %8.1f ms  (first BIRD started -> every route proto bird; runs: %s)\n' "$cv" "${cvs[*]}"
printf '  waited             %8.1f ms  (of it, after the build was done; runs: %s)\n' "$wt" "${wts[*]}"
printf '  bgp build          %8.1f ms  (bgp setup - waited: %.2fx routed; runs: %s)\n' "$bl" \
	"$(awk -v a="$bl" -v b="$rt" 'BEGIN{print a/b}')" "${bls[*]}"

# ---- (b) withdrawal after a peer stops -----------------------------------
settle
$PODPATH --lab $WLAB setup --network bgp >/dev/null
N1=${WLAB}_node_node-1 N2=${WLAB}_node_node-2
DIR=/run/podpath/$WLAB/bgp
CIDR=$(ip -n "$N2" route show dev cbr0 proto kernel | awk '{print $1}')
MON=$(mktemp)
have_route() { [ -n "$(ip -n "$N1" route show proto bird "$CIDR")" ]; }
wait_route_back() { # bounded: 30 s, a hang, not a pace
	local i
	for i in $(seq 300); do have_route && return 0; sleep 0.1; done
	echo "bgp bench: node-1's route to $CIDR did not come back in 30 s" >&2
	return 1
}
# `ip -ts monitor route` in node-1, subscribed before the stop: it stamps
# the kernel's RTM_DELROUTE as it reads it. Subscribed once its netlink
# socket shows multicast groups in /proc/PID/net/netlink.
monitor_start() {
	local i ino
	: >"$MON"
	ip -n "$N1" -ts monitor route >"$MON" 2>&1 &
	MPID=$!
	for i in $(seq 500); do
		for ino in $(ls -l /proc/$MPID/fd 2>/dev/null | grep -o 'socket:\[[0-9]*\]' | tr -dc '0-9\n'); do
			awk -v i="$ino" '$NF == i && $4 != "00000000" { f = 1 } END { exit !f }' \
				/proc/$MPID/net/netlink 2>/dev/null && return 0
		done
		sleep 0.01
	done
	echo "bgp bench: ip monitor did not subscribe" >&2
	return 1
}
# Milliseconds from T0 (an $EPOCHREALTIME) to the monitor's Deleted line
# for node-2's CIDR (waited for: 30 s bound).
withdrawn_ms() { # T0
	local i ts
	for i in $(seq 3000); do
		ts=$(grep -m1 "^\[.*\] Deleted $CIDR .*proto bird" "$MON" | sed 's/^\[\([^]]*\)\].*/\1/')
		[ -n "$ts" ] && break
		sleep 0.01
	done
	kill "$MPID" 2>/dev/null; wait "$MPID" 2>/dev/null || true
	[ -n "$ts" ] || { echo "bgp bench: node-1 kept its route to $CIDR" >&2; return 1; }
	awk -v a="$1" -v b="$(date -d "$ts" +%s.%6N)" 'BEGIN { printf "%.1f", (b - a) * 1000 }'
}
start_bird() {
	ip netns exec "$N2" setsid bird -f -c "$DIR/node-2.conf" -s "$DIR/node-2.ctl" -P "$DIR/node-2.pid" \
		</dev/null >/dev/null 2>&1 &
	disown
}
restart_bird() { # OLD-PID: once it is gone, start another, wait for it and the route
	local i
	for i in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.01; done
	start_bird
	wait_route_back
	for i in $(seq 300); do
		[ -s "$DIR/node-2.pid" ] && [ "$(cat "$DIR/node-2.pid")" != "$1" ] && return 0
		sleep 0.01
	done
}
downs=() kills=()
wait_route_back
for r in $(seq "$REPS"); do
	pid=$(cat "$DIR/node-2.pid")
	monitor_start
	t0=$EPOCHREALTIME; birdc -s "$DIR/node-2.ctl" down >/dev/null
	downs+=("$(withdrawn_ms "$t0")")
	restart_bird "$pid"
	pid=$(cat "$DIR/node-2.pid")
	monitor_start
	t0=$EPOCHREALTIME; kill -9 "$pid"
	kills+=("$(withdrawn_ms "$t0")")
	restart_bird "$pid"
done
rm -f "$MON"
printf 'bgp: withdrawal of node-2'"'"'s route %s from node-1 after its BIRD stops, median of %d:\n' "$CIDR" "$REPS"
printf '  birdc down         %8.1f ms  (runs: %s)\n' "$(printf '%s\n' "${downs[@]}" | median)" "${downs[*]}"
printf '  SIGKILL            %8.1f ms  (runs: %s)\n' "$(printf '%s\n' "${kills[@]}" | median)" "${kills[*]}"
$PODPATH --lab $WLAB teardown >/dev/null
left=$(pgrep -af -- "bird -f -c /run/podpath/$WLAB/" | grep -c . || true)
printf '  BIRD processes left after teardown: %d\n' "$left"
