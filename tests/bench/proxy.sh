#!/usr/bin/env bash
# Benchmark: kube-proxy rules for K synthetic Services x 2 endpoints.
#  1. Install 10,000 Services into a node namespace: podpath's libnftnl
#     batches against iptables-restore of the equivalent iptables-mode rules
#     and `nft -f` of the same nftables ruleset, in the same run.
#  2. Change one Service of 10,000 (it loses an endpoint), both modes.
#  3. First-packet TCP connect latency to a ClusterIP (the last Service)
#     with 10, 1,000 and 10,000 Services, both modes.
# Every namespace here is a scratch one of this script's; none is the host's.
set -euo pipefail
cd "$(dirname "$0")/../.."
K=${K:-10000}
CONNS=${CONNS:-500}
HELPER=build/bench/proxy_rules
NS_PP=pp-bench-proxy-pp NS_IPT=pp-bench-proxy-ipt NS_NFT=pp-bench-proxy-nft
TMP=$(mktemp -d)

cleanup() {
	for n in $NS_PP $NS_IPT $NS_NFT; do ip netns del $n 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
cleanup
TMP=$(mktemp -d)
make -s $HELPER
now_ms() { date +%s%N | awk '{printf "%.1f", $1/1e6}'; }

echo "Service rules, $K Services x 2 endpoints, one node namespace:"
ip netns add $NS_PP
out=$($HELPER install nftables "$K" $NS_PP)
pp_ms=$(sed -n 's/^install: .*: \([0-9.]*\) ms$/\1/p' <<<"$out")
pp_change=$(sed -n 's/^change one Service: \(.*\)$/\1/p' <<<"$out")

$HELPER ipt-restore "$K" >"$TMP/ipt.rules"
ip netns add $NS_IPT
t0=$(now_ms); ip netns exec $NS_IPT iptables-restore <"$TMP/ipt.rules"; t1=$(now_ms)
ipt_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')

# The very ruleset podpath installed, as nft prints it, loaded by nft.
ip netns exec $NS_PP nft list table ip kube-proxy >"$TMP/kube-proxy.nft"
ip netns add $NS_NFT
t0=$(now_ms); ip netns exec $NS_NFT nft -f "$TMP/kube-proxy.nft"; t1=$(now_ms)
nft_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
[ "$(ip netns exec $NS_NFT nft list table ip kube-proxy | wc -l)" -eq \
  "$(wc -l <"$TMP/kube-proxy.nft")" ]

# "podpath is N.Nx faster" or "... slower": baseline time over podpath's.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN{r=a/b; if (r >= 1) printf "podpath is %.1fx faster", r;
		else printf "podpath is %.1fx slower", 1/r}'
}
printf '  podpath (libnftnl)      %9.1f ms  (target: < 250 ms)\n' "$pp_ms"
printf '  iptables-restore        %9.1f ms  %s\n' "$ipt_ms" "$(ratio "$ipt_ms" "$pp_ms")"
printf '  nft -f (same ruleset)   %9.1f ms  %s\n' "$nft_ms" "$(ratio "$nft_ms" "$pp_ms")"
echo "Change one Service of $K (target: < 10 ms):"
echo "  nftables mode: $pp_change"
out=$($HELPER install iptables "$K")
echo "  iptables mode: $(sed -n 's/^change one Service: \(.*\)$/\1/p' <<<"$out")"
# iptables mode is written as iptables-nft writes it (xtables matches and
# targets through nft_compat), so that iptables-save reads it in a node.
echo "Install in iptables mode (podpath, libnftnl): $(sed -n 's/^install: \(.*\)$/\1/p' <<<"$out")"

echo "First-packet TCP connect to a ClusterIP (the last Service), $CONNS connections:"
printf '  %-9s %8s %22s %22s\n' Services "" "nftables p50 / p99" "iptables p50 / p99"
for k in 10 1000 $K; do
	row=""
	for m in nftables iptables; do
		l=$($HELPER latency $m $k "$CONNS" | sed -n 's/^connect: p50 \([0-9.]*\) us p99 \([0-9.]*\) us.*/\1 \2/p')
		row="$row $(awk '{printf "%9.1f / %7.1f us", $1, $2}' <<<"$l")"
	done
	printf '  %-9s %s\n' "$k" "$row"
done
