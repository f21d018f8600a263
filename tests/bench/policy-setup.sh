#!/usr/bin/env bash
# Benchmark: setup of 1,000 pods (2 nodes x 500, in 10 namespaces) with 100
# NetworkPolicies, against the same lab without them, in one run (issue 13:
# at most 1.5x). The policies are of the kinds clusters have: a default
# deny per namespace, allows from pods of an app, from other namespaces by
# label, to named and numbered ports and port ranges, and egress to
# ipBlocks with excepts. Prints both medians and the ratio.
#
# GEN=FILE only writes the topology with policies to FILE and exits.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
PODPATH=${PODPATH:-./podpath}
LAB=bench-np
NODES=2 PODS=500 NS=10 APPS=20 POLICIES=100

# The topology: pods ns-N/pod-I labelled app=app-(I mod APPS), tier
# front|back, one container serving "http" 8080/TCP and "metrics" 9090/TCP.
topology() {
	local with=$1 i n ns app tier k p=0
	printf '{\n "nodes": ['
	for n in $(seq 1 $NODES); do printf '%s{"name":"node-%d"}' "$([ "$n" = 1 ] || echo ,)" "$n"; done
	printf '],\n "namespaces": ['
	for k in $(seq 0 $((NS - 1))); do
		printf '%s{"name":"ns-%d","labels":{"team":"team-%d"}}' "$([ "$k" = 0 ] || echo ,)" \
		       "$k" $((k % 3))
	done
	printf '],\n "pods": [\n'
	for i in $(seq 0 $((NODES * PODS - 1))); do
		ns=ns-$((i % NS)) app=app-$((i % APPS)) tier=$([ $((i % 2)) = 0 ] && echo front || echo back)
		printf '%s  {"namespace":"%s","name":"pod-%d","node":"node-%d","labels":{"app":"%s","tier":"%s"},' \
		       "$([ "$i" = 0 ] || echo ,)" "$ns" "$i" $((i % NODES + 1)) "$app" "$tier"
		printf '"containers":[{"name":"app","ports":[{"name":"http","containerPort":8080},'
		printf '{"name":"metrics","containerPort":9090}]}]}\n'
	done
	printf ' ]'
	if [ "$with" = 1 ]; then
		printf ',\n "networkPolicies": [\n'
		for k in $(seq 0 $((NS - 1))); do
			# A default deny of ingress per namespace.
			printf '%s  {"metadata":{"namespace":"ns-%d","name":"default-deny"},' \
			       "$([ "$k" = 0 ] || echo ,)" "$k"
			printf '"spec":{"podSelector":{},"policyTypes":["Ingress"]}}\n'
			p=$((p + 1))
		done
		while [ $p -lt $POLICIES ]; do
			ns=ns-$((p % NS)) app=app-$((p % APPS))
			case $((p % 4)) in
			0)	# from the pods of another app of the namespace, to a named port
				printf ' ,{"metadata":{"namespace":"%s","name":"allow-%d"},"spec":{"podSelector":{"matchLabels":{"app":"%s"}},' "$ns" "$p" "$app"
				printf '"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"app-%d"}}}],"ports":[{"port":"http"}]}]}}\n' $(((p + NS) % APPS)) ;;
			1)	# from every namespace of a team, numbered ports and a range
				printf ' ,{"metadata":{"namespace":"%s","name":"allow-%d"},"spec":{"podSelector":{"matchLabels":{"app":"%s"}},' "$ns" "$p" "$app"
				printf '"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"team-%d"}}}],' $((p % 3))
				printf '"ports":[{"port":8080},{"protocol":"TCP","port":9000,"endPort":9100}]}]}}\n' ;;
			2)	# front pods of a team's namespaces, by expression
				printf ' ,{"metadata":{"namespace":"%s","name":"allow-%d"},"spec":{"podSelector":{"matchExpressions":[{"key":"tier","operator":"In","values":["back"]}]},' "$ns" "$p"
				printf '"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"team-%d"}},"podSelector":{"matchLabels":{"tier":"front"}}}],' $((p % 3))
				printf '"ports":[{"port":"metrics"}]}]}}\n' ;;
			3)	# egress to the cluster's pods and an outside block
				printf ' ,{"metadata":{"namespace":"%s","name":"egress-%d"},"spec":{"podSelector":{"matchLabels":{"app":"%s"}},"policyTypes":["Egress"],' "$ns" "$p" "$app"
				printf '"egress":[{"to":[{"podSelector":{}},{"ipBlock":{"cidr":"203.0.113.0/24","except":["203.0.113.128/25"]}}]},'
				printf '{"ports":[{"protocol":"UDP","port":53},{"protocol":"TCP","port":53}]}]}}\n' ;;
			esac
			p=$((p + 1))
		done
		printf ' ]'
	fi
	printf '\n}\n'
}

WITH=$(mktemp) WITHOUT=$(mktemp)
topology 1 >"$WITH"
topology 0 >"$WITHOUT"
if [ -n "${GEN:-}" ]; then
	cp "$WITH" "$GEN"
	rm -f "$WITH" "$WITHOUT"
	exit 0
fi

cleanup() {
	$PODPATH --lab $LAB teardown >/dev/null 2>&1 || true
	rm -f "$WITH" "$WITHOUT"
}
trap cleanup EXIT
cleanup

ROUNDS=${ROUNDS:-3}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
one() {
	local t0 t1
	settle
	t0=$(now); $PODPATH --lab $LAB setup -f "$1" >/dev/null; t1=$(now)
	$PODPATH --lab $LAB teardown >/dev/null
	ms "$t0" "$t1"
}
base=() pol=()
for r in $(seq "$ROUNDS"); do
	base+=("$(one "$WITHOUT")")
	pol+=("$(one "$WITH")")
done
b=$(printf '%s\n' "${base[@]}" | median)
p=$(printf '%s\n' "${pol[@]}" | median)
printf 'policy-setup: %d pods, %d NetworkPolicies: %s ms; without policies: %s ms; ratio %s (goal <= 1.5)\n' \
       $((NODES * PODS)) $POLICIES "$p" "$b" "$(awk -v a="$p" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
