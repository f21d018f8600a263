#!/usr/bin/env bash
# Benchmark: arming the kernel drop-reason observer (lib/trace/observe/drops),
# which a trace does for every probe: percentiles of drops_open and its
# parts over RUNS arm/disarm cycles, next to its baselines in the same run
# (libbpf's own parse of the kernel's BTF, which CO-RE costs without kbtf;
# reading /proc/kallsyms, which naming the dropping function in userspace
# would cost). Target: arming in about 10 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-50}
HELPER=build/bench/drops_watch
make -s $HELPER
echo "== drops: arm/disarm x$RUNS"
$HELPER -b "$RUNS"
