#!/usr/bin/env bash
# Benchmark: what the kernel-state observers (lib/trace/observe) cost at one
# hop of a live lab: node-1 forwarding client -> web-2, read RUNS times each
# (target: each read well under 1 ms, one hop's whole set a few ms). The
# iptables-legacy snapshot is measured with 0, 100 and 1000 rules loaded
# into the node with iptables-legacy-restore (the lab itself uses nftables).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
PODPATH=${PODPATH:-./podpath}
LAB=bench-observe
RUNS=${RUNS:-200}

cleanup() { $PODPATH --lab $LAB teardown >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
settle
make -s build/bench/observe_cost

$PODPATH --lab $LAB setup >/dev/null
NODE=${LAB}_node_node-1
POD=${LAB}_pod_default_client
SRC=$(ip -n "$POD" -4 -o addr show dev eth0 | awk '{sub("/.*", "", $4); print $4}')
DST=$(ip -n "${LAB}_pod_default_web-2" -4 -o addr show dev eth0 | awk '{sub("/.*", "", $4); print $4}')
# The client's host-side veth: the ifindex its eth0 names as its peer.
PEER=$(ip -n "$POD" -o link show dev eth0 | sed -n 's/.*eth0@if\([0-9]*\):.*/\1/p')
IIF=$(ip -n "$NODE" -o link show | awk -F': ' -v i="$PEER" '$1 == i {sub("@.*", "", $2); print $2}')

for n in 0 100 1000; do
	if [ "$n" -gt 0 ]; then
		{
			echo '*filter'
			echo ':FORWARD ACCEPT [0:0]'
			for i in $(seq "$n"); do
				echo "-A FORWARD -s 10.$((i / 250)).$((i % 250)).0/24 -p tcp -m comment --comment \"rule $i\" -m tcp --dport 80 -j DROP"
			done
			echo 'COMMIT'
		} | ip netns exec "$NODE" iptables-legacy-restore
	fi
	echo "observers on $NODE ($IIF, $SRC -> $DST), $n iptables-legacy rules, $RUNS runs:"
	build/bench/observe_cost "$NODE" "$IIF" "$SRC" "$DST" "$POD" "$RUNS"
done
