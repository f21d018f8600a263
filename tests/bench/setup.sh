#!/usr/bin/env bash
# Benchmark: `podpath setup --nodes 2 --pods-per-node 50` against a shell
# script that builds the same 100 pods (namespaces, veth pairs, bridge,
# addresses, routes) with `ip` commands, in one run; then teardown, and a
# 1,000-pod lab across 4 nodes. Prints times and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
PODPATH=${PODPATH:-./podpath}
LAB=bench-setup
IPLAB=bench-ip
NODES=2
PODS=50


cleanup() {
	$PODPATH --lab $LAB teardown >/dev/null 2>&1 || true
	$PODPATH --lab $LAB-1k teardown >/dev/null 2>&1 || true
	for ns in $(ip netns list | awk '{print $1}' | grep "^${IPLAB}_" || true); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9
		ip netns del "$ns"
	done
}

trap cleanup EXIT
cleanup
settle

# The baseline: what a careful shell script does for the same lab (routed
# mode: VPC bridge, node eth0s, cbr0, pod veths on it, addresses, routes).
ip_script() {
	local v=${IPLAB}_vpc n p ns host
	ip netns add $v
	ip -n $v link add vpc0 type bridge
	ip -n $v addr add 172.18.0.1/24 dev vpc0
	ip -n $v link set vpc0 up
	ip netns exec $v sysctl -qw net.ipv4.ip_forward=1
	for n in $(seq 1 $NODES); do
		ns=${IPLAB}_node_node-$n
		ip netns add $ns
		ip netns exec $ns sysctl -qw net.ipv4.ip_forward=1
		ip -n $v link add n-node-$n master vpc0 up type veth peer name eth0 netns $ns
		ip -n $ns link set eth0 up
		ip -n $ns link set lo up
		ip -n $ns addr add 172.18.0.$((n + 1))/24 dev eth0
		ip -n $ns link add cbr0 type bridge
		ip -n $ns addr add 10.244.$n.1/24 dev cbr0
		ip -n $ns link set cbr0 up
		for p in $(seq 1 $PODS); do
			host=veth$n$p
			ip netns add ${IPLAB}_pod_$n-$p
			ip -n ${IPLAB}_pod_$n-$p link set lo up
			ip -n $ns link add $host master cbr0 up type veth peer name eth0 netns ${IPLAB}_pod_$n-$p
			ip -n ${IPLAB}_pod_$n-$p addr add 10.244.$n.$((p + 1))/24 dev eth0
			ip -n ${IPLAB}_pod_$n-$p link set eth0 up
			ip -n ${IPLAB}_pod_$n-$p route add default via 10.244.$n.1
		done
	done
	for n in $(seq 1 $NODES); do
		for p in $(seq 1 $NODES); do
			[ "$n" = "$p" ] || ip -n ${IPLAB}_node_node-$n route add 10.244.$p.0/24 via 172.18.0.$((p + 1))
		done
	done
}

# One sample of each is at the mercy of the kernel's background work (netns
# cleanup, ext4): take ROUNDS of each, alternating, and compare medians.
ROUNDS=${ROUNDS:-5}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
pps=() tds=() ips=()
for r in $(seq "$ROUNDS"); do
	settle
	t0=$(now); $PODPATH --lab $LAB setup --nodes $NODES --pods-per-node $PODS >/dev/null; t1=$(now)
	$PODPATH --lab $LAB teardown >/dev/null; t2=$(now)
	settle
	t3=$(now); ip_script; t4=$(now)
	cleanup
	pps+=("$(ms "$t0" "$t1")") tds+=("$(ms "$t1" "$t2")") ips+=("$(ms "$t3" "$t4")")
done
pp=$(printf '%s\n' "${pps[@]}" | median)
td=$(printf '%s\n' "${tds[@]}" | median)
ipt=$(printf '%s\n' "${ips[@]}" | median)
pods=$((NODES * PODS))
echo "setup $NODES nodes x $PODS pods ($pods pods), median of $ROUNDS alternating runs:"
printf '  podpath setup      %8.1f ms  (%.2f ms/pod, including %d container processes; runs: %s)\n' "$pp" "$(awk -v a="$pp" -v n=$pods 'BEGIN{print a/n}')" $pods "${pps[*]}"
printf '  ip script          %8.1f ms  (%.2f ms/pod, no processes; runs: %s)\n' "$ipt" "$(awk -v a="$ipt" -v n=$pods 'BEGIN{print a/n}')" "${ips[*]}"
printf '  ratio              %8.1fx faster (target: >= 10x)\n' "$(awk -v a="$ipt" -v b="$pp" 'BEGIN{print a/b}')"
printf '  podpath teardown   %8.1f ms  (target: < 300 ms)\n' "$td"

settle
t0=$(now); $PODPATH --lab $LAB-1k setup --nodes 4 --pods-per-node 250 >/dev/null; t1=$(now)
$PODPATH --lab $LAB-1k teardown >/dev/null; t2=$(now)
left=$(ip netns list | grep -c "^$LAB-1k_" || true)
printf 'setup 4 nodes x 250 pods (1000 pods): setup %.1f ms, teardown %.1f ms, namespaces left: %d\n' \
	"$(ms "$t0" "$t1")" "$(ms "$t1" "$t2")" "$left"
