#!/usr/bin/env bash
# Benchmark: first-packet latency between two isolated pods with 1,000
# NetworkPolicies, against the same lab without policies, in one run
# (issue 13: within 1.5x). (Setup time with policies: policy-setup.sh.)
#
# The lab: 2 nodes x 250 pods in 20 namespaces (labelled team=team-N), pods
# labelled app=app-0..9 and tier=front|back, each serving http 8080/TCP and
# metrics 9090/TCP; plus the probed pair, ns-0/client on node-1 and
# ns-1/server on node-2. The 1,000 policies are of the kinds clusters have
# (allows from an app, from a team's namespaces, by expression, egress to
# the cluster and an ipBlock, per-app denies); 996 select other pods, and
# four select the pair: ns-1's default deny and two allows for the server
# (one of them admits the client on http), and the client's egress to the
# server's http. Both ends are isolated, so the SYN of every connection
# passes the client's egress chain on node-1 and the server's ingress chain
# on node-2.
#
# Both labs stand side by side; ROUNDS alternating rounds of CONNS fresh
# connections each, from inside the client pod (policy_connect), give the
# p50 and p90 of each. GEN=FILE only writes the topology with policies.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
PODPATH=${PODPATH:-./podpath}
HELPER=build/bench/policy_connect
BASE=bench-npl0 POL=bench-npl1
NODES=2 PODS=250 NS=20 APPS=10 POLICIES=1000
ROUNDS=${ROUNDS:-5} CONNS=${CONNS:-400}
TMP=$(mktemp -d)

# The topology; $1 = 1 with the policies.
topology() {
	jq -n --argjson with "$1" --argjson nodes $NODES --argjson pods $PODS --argjson nns $NS \
	      --argjson apps $APPS --argjson npol $POLICIES '
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
		nodes: [ range(1; $nodes + 1) | { name: "node-\(.)" } ],
		namespaces: [ range(0; $nns) | { name: "ns-\(.)", labels: { team: "team-\(. % 4)" } } ],
		pods: ([ range(0; $nodes * $pods - 2) |
			pod("ns-\(. % $nns)"; "pod-\(.)"; "node-\(. % $nodes + 1)";
			    { app: "app-\(. % $apps)", tier: (if . % 2 == 0 then "front" else "back" end) }) ]
		     + [ pod("ns-0"; "client"; "node-1"; { app: "bench-client" }),
			 pod("ns-1"; "server"; "node-2"; { app: "bench-server" }) ]),
		internet: { hosts: [] }
	} + if $with == 1 then { networkPolicies: ([
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
	$PODPATH --lab $BASE teardown >/dev/null 2>&1 || true
	$PODPATH --lab $POL teardown >/dev/null 2>&1 || true
	rm -rf "$TMP"
}

topology 1 >"$TMP/with.json"
if [ -n "${GEN:-}" ]; then
	cp "$TMP/with.json" "$GEN"
	rm -rf "$TMP"
	exit 0
fi
topology 0 >"$TMP/without.json"
trap cleanup EXIT
$PODPATH --lab $BASE teardown >/dev/null 2>&1 || true
$PODPATH --lab $POL teardown >/dev/null 2>&1 || true
make -s $HELPER
settle
$PODPATH --lab $BASE setup -f "$TMP/without.json" >/dev/null
$PODPATH --lab $POL setup -f "$TMP/with.json" >/dev/null

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

for r in $(seq "$ROUNDS"); do
	client $BASE $HELPER "$BIP" 8080 "$CONNS" >>"$TMP/base.us"
	client $POL $HELPER "$PIP" 8080 "$CONNS" >>"$TMP/pol.us"
done

# p50 and p90 of a file of microseconds.
pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; print v[i] }'; }
b50=$(pct "$TMP/base.us" 50) b90=$(pct "$TMP/base.us" 90)
p50=$(pct "$TMP/pol.us" 50) p90=$(pct "$TMP/pol.us" 90)
n=$(wc -l <"$TMP/pol.us")
echo "policy: first-packet latency (TCP handshake of a fresh connection) ns-0/client (node-1) -> ns-1/server:8080 (node-2), both isolated, $n connections each, $ROUNDS alternating rounds:"
printf '  %-26s p50 %7.1f us   p90 %7.1f us\n' "no policies" "$b50" "$b90"
printf '  %-26s p50 %7.1f us   p90 %7.1f us\n' "$POLICIES NetworkPolicies" "$p50" "$p90"
printf '  ratio                      p50 %7.2fx      p90 %7.2fx   (goal: <= 1.5x)\n' \
	"$(awk -v a="$p50" -v b="$b50" 'BEGIN { print a / b }')" "$(awk -v a="$p90" -v b="$b90" 'BEGIN { print a / b }')"
