#!/usr/bin/env bash
# Benchmark: how long podpath and the lab take where a test could only say
# "fast enough" with a wall clock (the bats tests keep the behaviour, these
# figures keep the time):
#  1. `trace --timeout T` to an address nobody answers: the whole command
#     against T (target: T plus under a second).
#  2. A connection to a Service without endpoints, both proxy modes: curl's
#     time to "refused" (target: well under curl's 3 s timeout; the rules
#     reject at once rather than drop).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
PODPATH=${PODPATH:-./podpath}
LAB=bench-waits
RUNS=${RUNS:-10}
TOPO=tests/topologies/good/proxy.json

cleanup() {
	for l in $LAB $LAB-nftables $LAB-iptables; do
		$PODPATH --lab $l teardown >/dev/null 2>&1 || true
	done
}
trap cleanup EXIT
cleanup
settle

pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR-1)*p/100)+1; printf "%.1f", a[i]}'; }

$PODPATH --lab $LAB setup >/dev/null
echo "trace --timeout T to an unused pod address (UDP, no neighbour), $RUNS runs each:"
for T in 0.3 1; do
	: >/tmp/pp-bench-waits
	for i in $(seq "$RUNS"); do
		t0=$(now)
		$PODPATH --lab $LAB -j trace default/client 10.244.2.77 -p udp --port 5000 --timeout "$T" >/dev/null || true
		t1=$(now)
		ms "$t0" "$t1" >>/tmp/pp-bench-waits
		echo >>/tmp/pp-bench-waits
	done
	printf '  --timeout %-4s p50 %7.1f ms  p95 %7.1f ms  (target: < %s ms)\n' "$T" \
		"$(pct 50 </tmp/pp-bench-waits)" "$(pct 95 </tmp/pp-bench-waits)" \
		"$(awk -v t="$T" 'BEGIN { print t * 1000 + 1000 }')"
done
$PODPATH --lab $LAB teardown >/dev/null

echo "a Service without endpoints (default/empty), curl until refused, $RUNS runs each:"
for m in nftables iptables; do
	l=$LAB-$m
	$PODPATH --lab $l setup -f $TOPO --proxy-mode $m >/dev/null
	for what in "ClusterIP default/client http://10.96.0.24/" "NodePort node/node-2 http://172.18.0.3:30081/"; do
		set -- $what
		: >/tmp/pp-bench-waits
		for i in $(seq "$RUNS"); do
			st=0
			out=$($PODPATH --lab $l exec "$2" -- curl -s -m 3 -o /dev/null -w '%{time_total}' "$3") || st=$?
			[ "$st" -eq 7 ] || { echo "  $m $1: curl exited $st, not 7 (refused)"; exit 1; }
			awk -v s="$out" 'BEGIN { printf "%.1f\n", s * 1000 }' >>/tmp/pp-bench-waits
		done
		printf '  %-9s %-9s p50 %7.1f ms  p95 %7.1f ms  (target: < 100 ms)\n' "$m" "$1" \
			"$(pct 50 </tmp/pp-bench-waits)" "$(pct 95 </tmp/pp-bench-waits)"
	done
	$PODPATH --lab $l teardown >/dev/null
done
rm -f /tmp/pp-bench-waits
