#!/usr/bin/env bash
# Benchmark: NetworkPolicy against the same lab without policies, each
# pair side by side in one run (issue 13):
#  1. setup of 1,000 pods with 100 NetworkPolicies (goal: <= 1.5x);
#  2. first-packet latency between two isolated pods with 1,000
#     NetworkPolicies (goal: within 1.5x).
#
# The lab: 2 nodes x 500 pods in 20 namespaces (labelled team=team-N), pods
# labelled app=app-0..9 and tier=front|back, each serving http 8080/TCP and
# metrics 9090/TCP; plus the probed pair, ns-0/client on node-1 and
# ns-1/server on node-2. The policies are of the kinds clusters have
# (allows from an app, from a team's namespaces, by expression, egress to
# the cluster and an ipBlock, per-app denies), spread over the namespaces
# and apps; four of them select the pair: ns-1's default deny and two allows
# for the server (one of them admits the client on http), and the client's
# egress to the server's http. All others select other pods. Both ends are
# isolated, so the SYN of every connection passes the client's egress chain
# on node-1 and the server's ingress chain on node-2.
#
# Setup: ROUNDS alternating setups of each (median). Latency: both labs
# stand side by side; LROUNDS alternating rounds of CONNS fresh connections
# each, from inside the client pod (policy_connect), give each one's p50
# and p90. GEN=FILE only writes the topology with 1,000 policies.
set -euo pipefail
shopt -s inherit_errexit	# a failed setup inside $(...) ends the run
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
PODPATH=${PODPATH:-./podpath}
HELPER=build/bench/policy_connect
LAB=bench-np BASE=bench-npl0 POL=bench-npl1
NODES=2 PODS=500 NS=20 APPS=10
ROUNDS=${ROUNDS:-3} LROUNDS=${LROUNDS:-5} CONNS=${CONNS:-400}
TMP=$(mktemp -d)

# The topology with $1 policies (0: none). 500 pods a node need more than a
# /24 of pod addresses: each node gets a /23.
topology() {
	jq -n --argjson npol "$1" --argjson nodes $NODES --argjson pods $PODS --argjson nns $NS \
	      --argjson apps $APPS '
	def ports: [ { name: "http", containerPort: 8080 }, { name: "metrics", containerPort: 9090 } ];
	def pod($ns; $name; $node; $labels):
		{ namespace: $ns, name: $name, node: $node, labels: $labels,
		  containers: [ { name: "app", ports: ports } ] };
	def np($ns; $name; $spec): { metadata: { namespace: $ns, name: $name }, spec: $spec };
	def app($a): { matchLabels: { app: $a } };
	# Policy i of the others: in namespace ns-(i mod nns); the j-th there
	# selects app-(j mod apps), and its kind and peers vary with i + j.
	def other($i):
		"ns-\($i % $nns)" as $ns | ($i / $nns | floor) as $j | "app-\($j % $apps)" as $a |
		(($i + $j) % 5) as $kind |
		if $kind == 0 then np($ns; "allow-\($i)"; { podSelector: app($a),
			ingress: [ { from: [ { podSelector: app("app-\(($j + 1) % $apps)") } ],
				     ports: [ { port: "http" } ] } ] })
		elif $kind == 1 then np($ns; "team-\($i)"; { podSelector: app($a),
			ingress: [ { from: [ { namespaceSelector: { matchLabels: { team: "team-\(($i + $j) % 4)" } } } ],
				     ports: [ { port: 8080 }, { protocol: "TCP", port: 9000, endPort: 9100 } ] } ] })
		elif $kind == 2 then np($ns; "front-\($i)"; {
			podSelector: { matchLabels: { app: $a },
				       matchExpressions: [ { key: "tier", operator: "In", values: [ "back" ] } ] },
			ingress: [ { from: [ { namespaceSelector: { matchLabels: { team: "team-\(($i + $j) % 4)" } },
					       podSelector: { matchLabels: { tier: "front" } } } ],
				     ports: [ { port: "metrics" } ] } ] })
		elif $kind == 3 then np($ns; "egress-\($i)"; { podSelector: app($a), policyTypes: [ "Egress" ],
			egress: [ { to: [ { podSelector: {} },
					  { ipBlock: { cidr: "203.0.113.0/24", except: [ "203.0.113.128/25" ] } } ] },
				  { ports: [ { protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 } ] } ] })
		else np($ns; "deny-\($i)"; { podSelector: { matchLabels: { app: $a, tier: "front" } },
			policyTypes: [ "Ingress", "Egress" ] })
		end;
	{
		network: { nodeCIDRMaskSize: 23 },
		nodes: [ range(1; $nodes + 1) | { name: "node-\(.)" } ],
		namespaces: [ range(0; $nns) | { name: "ns-\(.)", labels: { team: "team-\(. % 4)" } } ],
		pods: ([ range(0; $nodes * $pods - 2) |
			pod("ns-\(. % $nns)"; "pod-\(.)"; "node-\(. % $nodes + 1)";
			    { app: "app-\(. % $apps)", tier: (if . % 2 == 0 then "front" else "back" end) }) ]
		     + [ pod("ns-0"; "client"; "node-1"; { app: "bench-client" }),
			 pod("ns-1"; "server"; "node-2"; { app: "bench-server" }) ]),
		internet: { hosts: [] }
	} + if $npol > 0 then { networkPolicies: ([
		np("ns-1"; "default-deny"; { podSelector: {} }),
		np("ns-1"; "server-from-client"; { podSelector: app("bench-server"),
			ingress: [ { from: [ { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ns-0" } },
					       podSelector: app("bench-client") } ],
				     ports: [ { port: "http" } ] } ] }),
		np("ns-1"; "server-metrics"; { podSelector: app("bench-server"),
			ingress: [ { from: [ { namespaceSelector: { matchLabels: { team: "monitoring" } } } ],
				     ports: [ { port: 9090 } ] } ] }),
		np("ns-0"; "client-egress"; { podSelector: app("bench-client"), policyTypes: [ "Egress" ],
			egress: [ { to: [ { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ns-1" } },
					    podSelector: app("bench-server") } ],
				    ports: [ { port: 8080 } ] },
				  { ports: [ { protocol: "UDP", port: 53 } ] } ] })
		] + [ range(0; $npol - 4) | other(.) ]) } else {} end'
}

cleanup() {
	local l
	for l in $LAB $BASE $POL; do $PODPATH --lab $l teardown >/dev/null 2>&1 || true; done
	rm -rf "$TMP"
}

topology 1000 >"$TMP/1000.json"
if [ -n "${GEN:-}" ]; then
	cp "$TMP/1000.json" "$GEN"
	rm -rf "$TMP"
	exit 0
fi
topology 100 >"$TMP/100.json"
topology 0 >"$TMP/0.json"
trap cleanup EXIT
for l in $LAB $BASE $POL; do $PODPATH --lab $l teardown >/dev/null 2>&1 || true; done
make -s $HELPER
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# ---- 1. setup -----------------------------------------------------------
# One setup of topology $1, its time in ms; the lab is torn down again.
one() {
	local t0 t1 tables
	settle
	t0=$(now); $PODPATH --lab $LAB setup -f "$1" >/dev/null; t1=$(now)
	# The policies were really installed (or, without, no table exists).
	tables=$(ip netns exec ${LAB}_node_node-2 nft list tables)
	case $1 in
	*/0.json) [[ $tables != *network-policy* ]] ;;
	*) [[ $tables == *network-policy* ]] ;;
	esac
	$PODPATH --lab $LAB teardown >/dev/null
	ms "$t0" "$t1"
}
base=() pol=()
for r in $(seq "$ROUNDS"); do
	base+=("$(one "$TMP/0.json")")
	pol+=("$(one "$TMP/100.json")")
done
b=$(printf '%s\n' "${base[@]}" | median)
p=$(printf '%s\n' "${pol[@]}" | median)
echo "policy: setup of $((NODES * PODS)) pods ($NODES nodes), median of $ROUNDS alternating runs:"
printf '  %-26s %8.1f ms  (runs: %s)\n' "no policies" "$b" "${base[*]}"
printf '  %-26s %8.1f ms  (runs: %s)\n' "100 NetworkPolicies" "$p" "${pol[*]}"
printf '  ratio                      %8sx     (goal: <= 1.5x)\n' "$(ratio "$p" "$b")"

# ---- 2. first-packet latency ---------------------------------------------
settle
$PODPATH --lab $BASE setup -f "$TMP/0.json" >/dev/null
$PODPATH --lab $POL setup -f "$TMP/1000.json" >/dev/null

server_ip() { ip -n "${1}_pod_ns-1_server" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }
client() { local lab=$1; shift; ip netns exec "${lab}_pod_ns-0_client" "$@"; }
BIP=$(server_ip $BASE) PIP=$(server_ip $POL)

# The pair really is isolated in the policy lab, as nft and the packets
# show it: both pods are in their node's dispatch maps, the allowed port
# connects and the other one does not; in the base lab, both connect.
m1=$(ip netns exec ${POL}_node_node-1 nft list map ip network-policy cali-from-wl-dispatch)
m2=$(ip netns exec ${POL}_node_node-2 nft list map ip network-policy cali-to-wl-dispatch)
if [[ $m1 != *'"ns-0/client"'* || $m2 != *'"ns-1/server"'* ]]; then
	echo "policy: the pair is not in the dispatch maps of its nodes: not isolated" >&2
	exit 1
fi
client $POL $HELPER "$PIP" 8080 1 >/dev/null
if client $POL timeout 2 bash -c "exec 3<>/dev/tcp/$PIP/9090" 2>/dev/null; then
	echo "policy: ns-0/client reached ns-1/server:9090, which no policy admits: not enforced" >&2
	exit 1
fi
client $BASE $HELPER "$BIP" 9090 1 >/dev/null

for r in $(seq "$LROUNDS"); do
	client $BASE $HELPER "$BIP" 8080 "$CONNS" >>"$TMP/base.us"
	client $POL $HELPER "$PIP" 8080 "$CONNS" >>"$TMP/pol.us"
done

# p50 and p90 of a file of microseconds.
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; print v[i] }'; }
b50=$(pct "$TMP/base.us" 50) b90=$(pct "$TMP/base.us" 90)
p50=$(pct "$TMP/pol.us" 50) p90=$(pct "$TMP/pol.us" 90)
n=$(wc -l <"$TMP/pol.us")
echo "policy: first-packet latency (TCP handshake of a fresh connection), ns-0/client (node-1) -> ns-1/server:8080 (node-2), both isolated; $n connections each, $LROUNDS alternating rounds:"
printf '  %-26s p50 %7.1f us   p90 %7.1f us\n' "no policies" "$b50" "$b90"
printf '  %-26s p50 %7.1f us   p90 %7.1f us\n' "1000 NetworkPolicies" "$p50" "$p90"
printf '  ratio                      p50 %7sx      p90 %7sx   (goal: <= 1.5x)\n' "$(ratio "$p50" "$b50")" "$(ratio "$p90" "$b90")"
