#!/usr/bin/env bash
# Benchmark: diagnosis on the default lab, each side by side with its
# baseline in the same run.
#  1. A delivered trace (client -> web-2, TCP, across nodes) with every
#     observer armed, kernel drops included, against the same trace with
#     --no-kernel-drops: what watching the kernel's drops costs.
#     Target: p50 <= 60 ms.
#  2. A failed trace, node-2's forwarding off: with kernel drops the trace
#     ends when the kernel drops the SYN; the baseline (--no-kernel-drops,
#     the behaviour before them) waits out --timeout (2 s) to find it
#     vanished. Target: <= 150 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
PODPATH=${PODPATH:-./podpath}
LAB=bench-diag
RUNS=${RUNS:-20}
SLOW_RUNS=${SLOW_RUNS:-5}
N2=${LAB}_node_node-2

cleanup() {
	ip netns exec $N2 sysctl -qw net.ipv4.ip_forward=1 2>/dev/null || true
	$PODPATH --lab $LAB teardown >/dev/null 2>&1 || true
}
trap cleanup EXIT
. tests/bench/lib.sh
cleanup
settle
$PODPATH --lab $LAB setup >/dev/null
# Let the kernel finish what setup started (namespaces, routes) before timing.
settle

pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR-1)*p/100)+1; printf "%.1f", a[i]}'; }
now_ms() { date +%s%N | awk '{printf "%.3f", $1/1e6}'; }

# RUNS traces; wall times to FILE; the verdicts seen to FILE.verdicts.
run() { # FILE RUNS ARGS...
	local f=$1 n=$2 t0 t1 out
	shift 2
	: >"$f"
	: >"$f.verdicts"
	for i in $(seq "$n"); do
		t0=$(now_ms)
		out=$($PODPATH --lab $LAB -j trace "$@" || true)
		t1=$(now_ms)
		awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}' >>"$f"
		jq -r '"\(.verdict.result)/\(.verdict.cause)"' <<<"$out" >>"$f.verdicts"
	done
}
line() { # LABEL FILE
	printf '  %-40s p50 %7.1f ms  p95 %7.1f ms  (%s)\n' "$1" "$(pct 50 <"$2")" "$(pct 95 <"$2")" \
		"$(sort "$2.verdicts" | uniq -c | awk '{printf "%s%s x%s", s, $2, $1; s=", "}')"
}

T=$(mktemp -d)
run "$T/d-on" "$RUNS" default/client default/web-2 -p tcp
run "$T/d-off" "$RUNS" default/client default/web-2 -p tcp --no-kernel-drops
echo "delivered trace client -> web-2 (TCP, across nodes), $RUNS runs:"
line "all observers, kernel drops watched" "$T/d-on"
line "baseline: --no-kernel-drops" "$T/d-off"
printf '  %-40s %+7.1f ms at p50  (target: delivered p50 <= 60 ms)\n' "cost of watching kernel drops" \
	"$(awk -v a="$(pct 50 <"$T/d-on")" -v b="$(pct 50 <"$T/d-off")" 'BEGIN{print a-b}')"

ip netns exec $N2 sysctl -qw net.ipv4.ip_forward=0
run "$T/f-on" "$RUNS" default/client default/web-2 -p tcp --timeout 2
run "$T/f-off" "$SLOW_RUNS" default/client default/web-2 -p tcp --timeout 2 --no-kernel-drops
ip netns exec $N2 sysctl -qw net.ipv4.ip_forward=1
echo "failed trace, node-2 forwarding off (--timeout 2):"
line "kernel drop ends the wait ($RUNS runs)" "$T/f-on"
line "baseline: waits the timeout ($SLOW_RUNS runs)" "$T/f-off"
printf '  %-40s %7.1fx sooner  (target: <= 150 ms)\n' "ratio" \
	"$(awk -v a="$(pct 50 <"$T/f-off")" -v b="$(pct 50 <"$T/f-on")" 'BEGIN{print a/b}')"
rm -rf "$T"
