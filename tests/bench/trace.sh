#!/usr/bin/env bash
# Benchmark: `podpath trace` of a pod-to-pod cross-node TCP connection on the
# default lab, against its baseline in the same run: the same observation by
# hand (tcpdump started in each of the five namespaces on the path, curl,
# tcpdump stopped). Then 100 traces in one process (fds, memory) and
# valgrind's verdict on one trace.
set -euo pipefail
cd "$(dirname "$0")/../.."
PODPATH=${PODPATH:-./podpath}
LAB=bench-trace
RUNS=${RUNS:-20}
LOOP=build/bench/trace_loop

cleanup() { $PODPATH --lab $LAB teardown >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
$PODPATH --lab $LAB setup >/dev/null

pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int((NR-1)*p/100)+1; printf "%.1f", a[i]}'; }
now_ms() { date +%s%N | awk '{printf "%.3f", $1/1e6}'; }

# podpath: whole command, wall clock; arm/wait split from its own JSON.
: >/tmp/pp-bench-wall; : >/tmp/pp-bench-arm; : >/tmp/pp-bench-wait
for i in $(seq $RUNS); do
	t0=$(now_ms)
	out=$($PODPATH --lab $LAB -j trace default/client default/web-2)
	t1=$(now_ms)
	awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}' >>/tmp/pp-bench-wall
	jq -r .timing.arm_ms <<<"$out" >>/tmp/pp-bench-arm
	jq -r .timing.wait_ms <<<"$out" >>/tmp/pp-bench-wait
done

# Baseline: tcpdump in every namespace of the path, ready before curl.
ns="${LAB}_pod_default_client ${LAB}_node_node-1 ${LAB}_vpc ${LAB}_node_node-2 ${LAB}_pod_default_web-2"
: >/tmp/pp-bench-base
for i in $(seq $RUNS); do
	t0=$(now_ms)
	pids=""
	for n in $ns; do
		ip netns exec $n tcpdump -i any -n -l -c 2 "tcp port 8080" >/dev/null 2>/tmp/pp-bench-td.$n &
		pids="$pids $!"
	done
	for n in $ns; do
		until grep -q listening /tmp/pp-bench-td.$n 2>/dev/null; do sleep 0.001; done
	done
	ip netns exec ${LAB}_pod_default_client curl -s -m 2 -o /dev/null http://10.244.2.2:8080/
	kill $pids 2>/dev/null || true
	wait $pids 2>/dev/null || true
	t1=$(now_ms)
	awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}' >>/tmp/pp-bench-base
done
rm -f /tmp/pp-bench-td.*

p50=$(pct 50 </tmp/pp-bench-wall) p95=$(pct 95 </tmp/pp-bench-wall)
b50=$(pct 50 </tmp/pp-bench-base)
echo "trace default/client -> default/web-2 (TCP, across nodes, routed), $RUNS runs:"
printf '  podpath trace      p50 %7.1f ms  p95 %7.1f ms  (target: < 150 ms)\n' "$p50" "$p95"
printf '    arming observers p50 %7.1f ms; waiting for packets p50 %5.1f ms\n' \
	"$(pct 50 </tmp/pp-bench-arm)" "$(pct 50 </tmp/pp-bench-wait)"
printf '  tcpdump x5 + curl  p50 %7.1f ms\n' "$b50"
printf '  ratio              %7.1fx faster than observing by hand\n' "$(awk -v a="$b50" -v b="$p50" 'BEGIN{print a/b}')"
rm -f /tmp/pp-bench-wall /tmp/pp-bench-arm /tmp/pp-bench-wait /tmp/pp-bench-base

make -s $LOOP
echo "100 traces in one process:"
printf '  '; $LOOP $LAB default/client default/web-2 100
if command -v valgrind >/dev/null; then
	printf '  valgrind (10 traces): '
	valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
		--track-fds=yes $LOOP $LAB default/client default/web-2 10 >/tmp/pp-vg.out 2>&1 &&
		grep -E "ERROR SUMMARY|definitely lost|FILE DESCRIPTORS" /tmp/pp-vg.out | sed 's/^==[0-9]*== //' | tr '\n' ';' ||
		{ echo "FAILED"; tail -30 /tmp/pp-vg.out; exit 1; }
	echo
	rm -f /tmp/pp-vg.out
fi
