#!/usr/bin/env bash
# Benchmark: `podpath trace` of a pod-to-pod cross-node TCP connection and of
# a pod-to-Service one on the default lab, each against its baseline in the
# same run: the same observation by hand (tcpdump started in each namespace
# on the path, curl, tcpdump stopped). Then 100 traces in one process (fds,
# memory) and valgrind's verdict on one trace.
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
# Baseline: tcpdump in every namespace of the path, ready before curl.
bench_pair() { # TITLE DST TARGET_MS URL NETNS...
	local title=$1 dst=$2 target=$3 url=$4 out t0 t1 pids n
	shift 4
	: >/tmp/pp-bench-wall; : >/tmp/pp-bench-arm; : >/tmp/pp-bench-wait; : >/tmp/pp-bench-base
	for i in $(seq $RUNS); do
		t0=$(now_ms)
		out=$($PODPATH --lab $LAB -j trace default/client "$dst")
		t1=$(now_ms)
		awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}' >>/tmp/pp-bench-wall
		jq -r .timing.arm_ms <<<"$out" >>/tmp/pp-bench-arm
		jq -r .timing.wait_ms <<<"$out" >>/tmp/pp-bench-wait
	done
	for i in $(seq $RUNS); do
		t0=$(now_ms)
		pids=""
		for n in "$@"; do
			ip netns exec "$n" tcpdump -i any -n -l -c 2 "tcp port 8080 or tcp port 80" \
				>/dev/null 2>/tmp/pp-bench-td.$n &
			pids="$pids $!"
		done
		for n in "$@"; do
			until grep -q listening /tmp/pp-bench-td.$n 2>/dev/null; do sleep 0.001; done
		done
		ip netns exec ${LAB}_pod_default_client curl -s -m 2 -o /dev/null "$url"
		kill $pids 2>/dev/null || true
		wait $pids 2>/dev/null || true
		t1=$(now_ms)
		awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}' >>/tmp/pp-bench-base
	done
	rm -f /tmp/pp-bench-td.*
	local p50 p95 b50
	p50=$(pct 50 </tmp/pp-bench-wall) p95=$(pct 95 </tmp/pp-bench-wall)
	b50=$(pct 50 </tmp/pp-bench-base)
	echo "$title, $RUNS runs:"
	printf '  podpath trace      p50 %7.1f ms  p95 %7.1f ms  (target: < %s ms)\n' "$p50" "$p95" "$target"
	printf '    arming observers p50 %7.1f ms; waiting for packets p50 %5.1f ms\n' \
		"$(pct 50 </tmp/pp-bench-arm)" "$(pct 50 </tmp/pp-bench-wait)"
	printf '  tcpdump x%s + curl  p50 %7.1f ms\n' "$#" "$b50"
	printf '  ratio              %7.1fx faster than observing by hand\n' \
		"$(awk -v a="$b50" -v b="$p50" 'BEGIN{print a/b}')"
	rm -f /tmp/pp-bench-wall /tmp/pp-bench-arm /tmp/pp-bench-wait /tmp/pp-bench-base
}

bench_pair "trace default/client -> default/web-2 (TCP, across nodes, routed)" \
	default/web-2 150 http://10.244.2.2:8080/ \
	${LAB}_pod_default_client ${LAB}_node_node-1 ${LAB}_vpc ${LAB}_node_node-2 ${LAB}_pod_default_web-2
# A Service: the endpoint may be on either node, so every place is watched.
bench_pair "trace default/client -> svc/default/web (TCP, ClusterIP, nftables proxy)" \
	svc/default/web 200 http://10.96.0.1/ \
	${LAB}_pod_default_client ${LAB}_node_node-1 ${LAB}_vpc ${LAB}_node_node-2 \
	${LAB}_pod_default_web-1 ${LAB}_pod_default_web-2

make -s $LOOP
echo "100 traces in one process:"
printf '  '; $LOOP $LAB default/client default/web-2 100
if command -v valgrind >/dev/null; then
	printf '  valgrind (10 traces): '
	# valgrind does not know the bpf syscall ("unhandled eBPF command"):
	# these traces leave the kernel-drop observer out.
	PP_NO_KERNEL_DROPS=1 valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 \
		--track-fds=yes $LOOP $LAB default/client default/web-2 10 >/tmp/pp-vg.out 2>&1 &&
		grep -E "ERROR SUMMARY|definitely lost|FILE DESCRIPTORS" /tmp/pp-vg.out | sed 's/^==[0-9]*== //' | tr '\n' ';' ||
		{ echo "FAILED"; tail -30 /tmp/pp-vg.out; exit 1; }
	echo
	rm -f /tmp/pp-vg.out
fi
