#!/usr/bin/env bash
# Benchmark: the default lab ready — every namespace, link, route and
# nftables table, the cluster DNS and the internet's DNS answering, every
# container and internet host passing its health check — measured from the
# start of `podpath setup` to the first `podpath status` that reports all of
# it healthy. Target (issue 5): under 1 s.
#
# Baseline in the same run: a shell script that builds the same lab with
# `ip`, loads the very rulesets podpath installed (dumped per namespace with
# `nft list ruleset`) with `nft -f`, starts both dnsmasqs and nginx on the
# same configuration (certificates included) and waits until dig and curl
# get answers. It starts no responders and makes no certificates, which only
# favours the baseline.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
PODPATH=${PODPATH:-./podpath}
LAB=bench-ready
SH=bench-rsh
TMP=$(mktemp -d)


cleanup() {
	$PODPATH --lab $LAB teardown >/dev/null 2>&1 || true
	for ns in $(ip netns list | awk '{print $1}' | grep "^${SH}_" || true); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9
		ip netns del "$ns"
	done
}
trap 'cleanup; rm -rf "$TMP"' EXIT
cleanup
settle

all_ok() {
	$PODPATH -j --lab $LAB status 2>/dev/null | jq -e '
		([.pods[].containers[].health] + [.internet.hosts[].health]) | all(. == "ok")' >/dev/null
}

t0=$(now)
$PODPATH --lab $LAB setup >/dev/null
t1=$(now)
until all_ok; do sleep 0.01; done
t2=$(now)
st=$($PODPATH -j --lab $LAB status)
# What the baseline must rebuild: each namespace's rules as the kernel holds them.
for ns in $(ip netns list | awk '{print $1}' | grep "^${LAB}_"); do
	ip netns exec "$ns" nft list ruleset >"$TMP/${ns#${LAB}_}.nft"
done
cp -r /run/podpath/$LAB/dns "$TMP/dns"
sed -i "s|/run/podpath/$LAB/dns|$TMP/dns|g" "$TMP"/dns/*.conf
cp -r /run/podpath/$LAB/ingress "$TMP/ingress"
sed -i "s|/run/podpath/$LAB/ingress|$TMP/ingress|g" "$TMP"/ingress/nginx.conf
$PODPATH --lab $LAB teardown >/dev/null
settle

j() { jq -r "$1" <<<"$st"; }
N() { echo "${SH}_$1"; }
mkns() { ip netns add "$(N "$1")"; ip -n "$(N "$1")" link set lo up; }
fwd() { ip netns exec "$(N "$1")" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0; }
rules() { [ ! -s "$TMP/$1.nft" ] || ip netns exec "$(N "$1")" nft -f "$TMP/$1.nft"; }

baseline() {
	local n i pod node ip gw cidr host
	mkns vpc; fwd vpc
	ip -n "$(N vpc)" link add vpc0 type bridge
	ip -n "$(N vpc)" addr add "$(j .network.vpcRouter)/24" dev vpc0
	ip -n "$(N vpc)" link set vpc0 up
	for i in $(seq 0 $(($(j '.nodes|length') - 1))); do
		n=$(j ".nodes[$i].name"); ip=$(j ".nodes[$i].ip"); cidr=$(j ".nodes[$i].podCIDR")
		mkns "node_$n"; fwd "node_$n"
		ip netns exec "$(N "node_$n")" sysctl -qw net.bridge.bridge-nf-call-iptables=1
		ip -n "$(N vpc)" link add "n-$n" master vpc0 up type veth peer name eth0 netns "$(N "node_$n")"
		ip -n "$(N "node_$n")" addr add "$ip/24" dev eth0
		ip -n "$(N "node_$n")" link set eth0 up
		ip -n "$(N "node_$n")" route add default via "$(j .network.vpcRouter)"
		ip -n "$(N "node_$n")" link add cbr0 type bridge
		ip -n "$(N "node_$n")" addr add "${cidr%.0/*}.1/${cidr#*/}" dev cbr0
		ip -n "$(N "node_$n")" link set cbr0 up
		ip -n "$(N vpc)" route add "$cidr" via "$ip"
	done
	for i in $(seq 0 $(($(j '.pods|length') - 1))); do
		pod="$(j ".pods[$i].namespace")_$(j ".pods[$i].name")"; node=$(j ".pods[$i].node")
		ip=$(j ".pods[$i].ip"); gw="${ip%.*}.1"
		mkns "pod_$pod"
		ip -n "$(N "node_$node")" link add "v$i" master cbr0 up type veth peer name eth0 \
			netns "$(N "pod_$pod")"
		ip -n "$(N "pod_$pod")" addr add "$ip/24" dev eth0
		ip -n "$(N "pod_$pod")" link set eth0 up
		ip -n "$(N "pod_$pod")" route add default via "$gw"
	done
	# The edge: gateway, load balancer, internet router and hosts.
	mkns gateway; fwd gateway; mkns lb; fwd lb; mkns internet; fwd internet
	ip -n "$(N vpc)" link add igw up type veth peer name vpc netns "$(N gateway)"
	ip -n "$(N vpc)" link add lb up type veth peer name vpc netns "$(N lb)"
	ip -n "$(N internet)" link add cloud up type veth peer name internet netns "$(N gateway)"
	ip -n "$(N vpc)" route add 169.254.100.1/32 dev igw
	ip -n "$(N vpc)" route add 169.254.100.2/32 dev lb
	ip -n "$(N vpc)" route add default via 169.254.100.1
	ip -n "$(N vpc)" route add default via 169.254.100.2 dev lb table 100
	ip -n "$(N vpc)" rule add fwmark 1 lookup 100 pref 100
	ip -n "$(N gateway)" link set vpc up
	ip -n "$(N gateway)" link set internet up
	ip -n "$(N gateway)" addr add 169.254.100.1/32 dev vpc
	ip -n "$(N gateway)" addr add "$(j .internet.gateway)/32" dev internet
	ip -n "$(N gateway)" route add default via "$(j .internet.router)" dev internet onlink
	ip -n "$(N gateway)" route add "$(j .network.vpcCIDR)" via "$(j .network.vpcRouter)" dev vpc onlink
	ip -n "$(N gateway)" route add unreachable "$(j .internet.publicCIDR)"
	ip -n "$(N lb)" link set vpc up
	ip -n "$(N lb)" addr add 169.254.100.2/32 dev vpc
	ip -n "$(N lb)" route add default via "$(j .network.vpcRouter)" dev vpc onlink
	ip -n "$(N internet)" link add inet0 type bridge
	ip -n "$(N internet)" addr add "$(j .internet.router)/24" dev inet0
	ip -n "$(N internet)" link set inet0 up
	ip -n "$(N internet)" route add "$(j .internet.publicCIDR)" via "$(j .internet.gateway)" dev cloud onlink
	for i in $(seq 0 $(($(j '.internet.hosts|length') - 1))); do
		host=$(j ".internet.hosts[$i].name"); ip=$(j ".internet.hosts[$i].ip")
		mkns "inet_$host"
		ip -n "$(N internet)" link add "h$i" master inet0 up type veth peer name eth0 \
			netns "$(N "inet_$host")"
		ip -n "$(N "inet_$host")" addr add "$ip/24" dev eth0
		ip -n "$(N "inet_$host")" link set eth0 up
		ip -n "$(N "inet_$host")" route add default via "$(j .internet.router)"
	done
	for f in "$TMP"/*.nft; do f=${f##*/}; rules "${f%.nft}"; done
	ip netns exec "$(N inet_dns)" dnsmasq --conf-file="$TMP/dns/internet.conf"
	ip netns exec "$(N pod_kube-system_coredns)" dnsmasq --conf-file="$TMP/dns/dnsmasq.conf"
	until ip netns exec "$(N inet_dns)" dig +short +time=1 +tries=1 @127.0.0.1 example.com \
		>/dev/null 2>&1; do sleep 0.01; done
	until ip netns exec "$(N pod_kube-system_coredns)" dig +short +time=1 +tries=1 \
		@127.0.0.1 kube-dns.kube-system.svc.cluster.local >/dev/null 2>&1; do sleep 0.01; done
	ip netns exec "$(N pod_ingress-nginx_controller)" nginx -e "$TMP/ingress/error.log" \
		-c "$TMP/ingress/nginx.conf" -g "pid $TMP/ingress/bench.pid;" >/dev/null 2>&1 &
	disown
	until ip netns exec "$(N pod_ingress-nginx_controller)" curl -s -o /dev/null -m 1 \
		http://127.0.0.1/; do sleep 0.01; done
}

t3=$(now)
baseline
t4=$(now)
pp=$(ms "$t0" "$t2"); base=$(ms "$t3" "$t4")
echo "default lab ready (2 nodes, 5 pods, 3 internet hosts, gateway, load balancer, 2 dnsmasq, nginx):"
printf '  podpath setup returned   %8.1f ms\n' "$(ms "$t0" "$t1")"
printf '  podpath all healthy      %8.1f ms  (target: < 1000 ms)\n' "$pp"
printf '  ip/nft/dnsmasq/nginx script %5.1f ms  (same namespaces, links, rules, DNS, nginx; no responders)\n' "$base"
printf '  ratio                    %8.1fx faster\n' "$(awk -v a="$base" -v b="$pp" 'BEGIN{print a/b}')"
