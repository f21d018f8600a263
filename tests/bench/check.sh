#!/usr/bin/env bash
# Benchmark: `podpath check` on the default lab and on a 1,000-pod lab
# (`setup --nodes 10 --pods-per-node 100`), against the shell's way of
# reading the same kernel state: for every lab namespace `ip -j` dumps of
# links, addresses, routes (all tables), rules and neighbours, plus
# `nft -j list ruleset` -- reading only, no comparison, which favours the
# baseline. Both in one run, alternating: the median of ROUNDS runs of
# each on the default lab; on the big one ROUNDS of podpath and
# SHELL_ROUNDS_BIG (1) of the baseline, whose 6,000 processes take minutes.
# Prints the times, podpath's CPU time, and the ratio. Targets: <= 100 ms on the
# default lab, <= 1 s on 1,000 pods. Each check must also find the fresh
# lab clean (exit 0).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
PODPATH=${PODPATH:-./podpath}
LAB=bench-check
BIG=bench-check-1k
ROUNDS=${ROUNDS:-5}

cleanup() {
	$PODPATH --lab $LAB teardown >/dev/null 2>&1 || true
	$PODPATH --lab $BIG teardown >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
settle

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The baseline: every kind of object of every namespace of the lab, dumped.
shell_read() { # LAB
	local ns
	for ns in $(ip netns list | awk '{print $1}' | grep "^${1}_"); do
		ip -n "$ns" -j -d link show
		ip -n "$ns" -j addr show
		ip -n "$ns" -j route show table all
		ip -n "$ns" -j rule show
		ip -n "$ns" -j neigh show
		ip netns exec "$ns" nft -j list ruleset
	done >/dev/null
}

# podpath check's wall time and CPU time (user + sys), in ms.
pp_check() { # LAB
	local t0 t1 tf
	tf=$(mktemp)
	t0=$(now)
	/usr/bin/time -f '%U %S' -o "$tf" $PODPATH --lab "$1" check >/dev/null || {
		echo "podpath check: lab $1 is not clean" >&2
		$PODPATH --lab "$1" check >&2 || true
		rm -f "$tf"
		exit 1
	}
	t1=$(now)
	echo "$(ms "$t0" "$t1") $(awk '{ printf "%.1f", ($1 + $2) * 1000 }' "$tf")"
	rm -f "$tf"
}

# ROUNDS runs of podpath check, SHELL_ROUNDS of them each followed by the
# baseline (thousands of ip and nft processes on a big lab take minutes).
bench() { # LAB WHAT ROUNDS SHELL-ROUNDS TARGET-MS
	local pps=() cpus=() shs=() r t0 t1 pp sh cpu nns
	nns=$(ip netns list | awk '{print $1}' | grep -c "^${1}_")
	for r in $(seq "$3"); do
		read -r t0 t1 < <(pp_check "$1")
		[ -n "$t0" ] || exit 1
		pps+=("$t0")
		cpus+=("$t1")
		[ "$r" -le "$4" ] || continue
		t0=$(now); shell_read "$1"; t1=$(now)
		shs+=("$(ms "$t0" "$t1")")
	done
	pp=$(printf '%s\n' "${pps[@]}" | median)
	cpu=$(printf '%s\n' "${cpus[@]}" | median)
	sh=$(printf '%s\n' "${shs[@]}" | median)
	echo "check $2 ($nns namespaces), median of $3 runs (the baseline: of $4, alternating):"
	printf '  podpath check      %8.1f ms  (cpu %.1f ms; runs: %s)  target: <= %d ms\n' \
		"$pp" "$cpu" "${pps[*]}" "$5"
	printf '  ip -j + nft -j     %8.1f ms  (dumps only, nothing compared; runs: %s)\n' \
		"$sh" "${shs[*]}"
	printf '  ratio              %8.1fx faster\n' "$(awk -v a="$sh" -v b="$pp" 'BEGIN{print a/b}')"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
$PODPATH --lab $LAB setup >/dev/null
bench $LAB "the default lab" "$ROUNDS" "$ROUNDS" 100
$PODPATH --lab $LAB teardown >/dev/null
settle
$PODPATH --lab $BIG setup --nodes 10 --pods-per-node 100 >/dev/null
bench $BIG "10 nodes x 100 pods (1000 pods)" "$ROUNDS" "${SHELL_ROUNDS_BIG:-1}" 1000
