# Shared by the benchmarks (sourced).

# The kernel frees network namespaces in the background; measuring while it
# is still tearing down the last lab measures the teardown. Wait until the
# count of live namespaces (the net_namespace slab) holds still.
# Where /run is not a tmpfs (this VM's /run is ext4), creating files right
# after deleting many also pays ext4's scan past recently deleted inodes for
# a few seconds; both sides of each comparison get the same pause.
settle() {
	local prev=-1 cur i
	if [ "$(stat -f -c %T /run/netns 2>/dev/null)" != tmpfs ]; then sleep 6; fi
	for i in $(seq 100); do
		cur=$(awk '$1 == "net_namespace" {print $2}' /proc/slabinfo 2>/dev/null || echo 0)
		[ "$cur" = "$prev" ] && return
		prev=$cur
		sleep 0.3
	done
}

now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
