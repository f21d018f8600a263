#!/usr/bin/env bats
# podpath break policy-denies: a real NetworkPolicy put into a lab. In the
# default lab (no policies) it isolates web-2 and every pod with its labels:
# a TCP connection from the client, opened with bash's /dev/tcp inside the
# client's namespace, times out; nft shows the policy's chains in the node;
# the node itself still reaches its pod (as the kubelet's probes must);
# trace exits 1 naming the policy; --undo brings back exactly the kernel
# state before. In a lab whose policies isolate a pod already, the fault is
# refused there (a deny-all would deny nothing an allow admits).

LAB=ppt-brkpol
load helpers

setup_file() {
	lab_cleanup "$LAB"
	lab_cleanup "$LAB-np"
	"$PODPATH" --lab "$LAB" setup >/dev/null
}

teardown_file() {
	lab_cleanup "$LAB"
	lab_cleanup "$LAB-np"
}

# A test that fails half-way leaves no fault to the next.
teardown() {
	"$PODPATH" --lab "$LAB" break --undo >/dev/null 2>&1 || true
}

ns() { echo "${LAB}_$1"; }
N1=${LAB}_node_node-1
N2=${LAB}_node_node-2

# Does a TCP connection from namespace $1 to $2:$3 open? bash's /dev/tcp,
# no podpath. A SYN dropped by policy is never answered: 3 s decide that;
# an open one gets 30 s, a bound for a loaded machine, not a pace.
connects() { # NETNS IP PORT [SECONDS]
	ip netns exec "$1" timeout "${4:-30}" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}
eventually() {
	local i
	for i in $(seq 40); do
		"$@" && return 0
		sleep 0.5
	done
	"$@"
}

# The kernel's state a fault may touch, every namespace of the lab.
snapshot() { # FILE
	local n
	carriers_settle "$LAB"
	for n in $(ip netns list | awk '{print $1}' | grep "^${LAB}_" | sort); do
		echo "== $n"
		ip netns exec "$n" nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
		# A veth's carrier comes up asynchronously (linkwatch), so a
		# route may still say linkdown just after setup: not state the
		# fault or its undo owns.
		ip -n "$n" route show table all | sed 's/ linkdown//'
	done >"$1" 2>/dev/null
}

@test "policy-denies: web-2's ingress isolated by a real policy; the client's connection dies in node-2, the node's own still opens; undo restores the kernel" {
	web1=$(pod_ip "$(ns pod_default_web-1)")
	web2=$(pod_ip "$(ns pod_default_web-2)")
	client=$(ns pod_default_client)
	eventually connects "$client" "$web2" 8080
	snapshot "$BATS_TEST_TMPDIR/before"
	run ip netns exec "$N2" nft list table ip network-policy
	[ "$status" -ne 0 ]

	run "$PODPATH" --lab "$LAB" break policy-denies
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "fault policy-denies applied to default/web-2 in lab \"$LAB\":"* ]]
	grep -q "^  every node: NetworkPolicy default/podpath-break-deny: none -> ingress of pods app=web isolated, no rule$" <<<"$output"
	grep -qxF "try:  $PODPATH --lab $LAB trace default/client default/web-2" <<<"$output"

	# nft: each node isolates its pods with label app=web; the chain to
	# web-2 names the policy.
	ip netns exec "$N2" nft list table ip network-policy >"$BATS_TEST_TMPDIR/n2"
	grep -q 'chain cali-tw-default/web-2 {' "$BATS_TEST_TMPDIR/n2"
	grep -q 'podpath-break-deny' "$BATS_TEST_TMPDIR/n2"
	ip netns exec "$N1" nft list table ip network-policy | grep -q 'chain cali-tw-default/web-1 {'
	run bash -c "ip netns exec $N1 nft list table ip network-policy | grep -c 'chain cali-tw-default/client {'"
	[ "$output" = 0 ]
	# Traffic: the client's SYN is dropped; the node reaches its pod.
	run connects "$client" "$web2" 8080 3
	[ "$status" -ne 0 ]
	run connects "$client" "$web1" 8080 3
	[ "$status" -ne 0 ]
	connects "$N2" "$web2" 8080
	# The chain to web-2 ends in the drop that names the policy.
	ip netns exec "$N2" nft list chain ip network-policy cali-tw-default/web-2 |
		grep -q 'drop comment "ingress to default/web-2 isolated by default/podpath-break-deny"'

	# trace: exit 1, and the policy named as what decided.
	run "$PODPATH" --lab "$LAB" -j trace default/client default/web-2 --timeout 2
	echo "$output" | head -c 2000
	[ "$status" -eq 1 ]
	[ "$(jq -r .verdict.cause <<<"$output")" = denied-by-policy ]
	jq -e '.verdict.reason | startswith("ingress to default/web-2 is isolated by default/podpath-break-deny; no rule admits default/client")' <<<"$output"

	# status and check see the policy as the lab's own: status lists it with
	# what it isolates; check finds the kernel as the policies want it.
	run "$PODPATH" --lab "$LAB" -j status
	jq -e '.networkPolicies == [{"namespace": "default", "name": "podpath-break-deny", "podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"], "selects": ["default/web-1", "default/web-2"], "isolates": {"ingress": ["default/web-1", "default/web-2"], "egress": []}, "rules": {"ingress": 0, "egress": 0}}]' <<<"$output"
	run "$PODPATH" --lab "$LAB" check
	echo "$output"
	[ "$status" -eq 0 ]
	run "$PODPATH" --lab "$LAB" break --reveal
	[ "$status" -eq 0 ]
	grep -q "^  every node: NetworkPolicy default/podpath-break-deny: none -> " <<<"$output"
	grep -q "see: ip netns exec $N2 nft list chain ip network-policy 'cali-tw-default/web-2'" <<<"$output"

	run "$PODPATH" --lab "$LAB" break --undo
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "/run/podpath/$LAB/break.json" ]
	run ip netns exec "$N2" nft list table ip network-policy
	[ "$status" -ne 0 ]
	snapshot "$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	eventually connects "$client" "$web2" 8080
	"$PODPATH" --lab "$LAB" -j status | jq -e '.networkPolicies == []'
	run "$PODPATH" --lab "$LAB" trace default/client default/web-2 --timeout 2
	[ "$status" -eq 0 ]
}

@test "explain network-policy: no policy in the default lab, then the fault's policy with its chain as the kernel holds it" {
	run "$PODPATH" --lab "$LAB" explain network-policy
	[ "$status" -eq 0 ]
	[[ "$output" == *"lab $LAB has no NetworkPolicy"* ]]
	[[ "$output" == *"docs/examples/network-policy.json"* ]]
	# by a path that is there: the shipped example itself
	f=$(grep -o -- '--lab np setup -f [^ ]*' <<<"$output" | head -1 | cut -d' ' -f5)
	cmp "$f" "$BATS_TEST_DIRNAME/../../docs/examples/network-policy.json"
	[[ "$output" == *"$PODPATH --lab $LAB break policy-denies"* ]]
	run "$PODPATH" --lab "$LAB" explain network-policy --live
	[ "$status" -eq 2 ]
	"$PODPATH" --lab "$LAB" break policy-denies >/dev/null
	run "$PODPATH" --lab "$LAB" -j explain network-policy
	[ "$status" -eq 0 ]
	jq -e '.in_this_lab | any(startswith("policy default/podpath-break-deny (podSelector app=web, policyTypes Ingress) isolates ingress of default/web-1, default/web-2"))' <<<"$output"
	# the denied connection, and the chain that denies it as nft counts it
	jq -r '.in_this_lab[]' <<<"$output" | grep -q '^default/client -> default/web-1 (.*:8080/TCP) is denied: egress of default/client is not isolated; ingress of default/web-1 is isolated by default/podpath-break-deny, and no rule admits it$'
	n=$(ip netns exec "$N1" nft -a list chain ip network-policy cali-tw-default/web-1 | grep -c $'^\t\t.*# handle')
	jq -e --arg n "$n" '.in_this_lab | any(. == "node node-1'"'"'s kernel holds it now: table ip network-policy, chain cali-tw-default/web-1, \($n) rules")' <<<"$output"
	PATH="$BATS_TEST_DIRNAME/../..:$PATH"
	while IFS= read -r c; do
		echo "$c"
		bash -c "$c" >"$BATS_TEST_TMPDIR/out"
		cat "$BATS_TEST_TMPDIR/out"
		if [[ $c == *"|| echo 'no answer'" ]]; then grep -qx 'no answer' "$BATS_TEST_TMPDIR/out"; fi
	done < <(jq -r '.commands[].command' <<<"$output")
	# --live traces the denied connection: exit 1
	run "$PODPATH" --lab "$LAB" -j explain network-policy --live
	[ "$status" -eq 1 ]
	jq -e '.live.verdict.result != "delivered"' <<<"$output"
	# the side that denied it, named as trace names it
	jq -e '.live.policy.ingress | .pod == "default/web-1" and .isolated_by == ["default/podpath-break-deny"] and
		.allowed == false and .nftables.verdict == "drop"' <<<"$output"
	jq -e '.live.policy.egress | .isolated == false and .allowed == true' <<<"$output"
}

@test "a pod a policy isolates already is refused (exit 2); the fault then picks one no policy isolates" {
	"$PODPATH" --lab "$LAB-np" setup -f "$BATS_TEST_DIRNAME/../../docs/examples/network-policy.json" >/dev/null
	run "$PODPATH" --lab "$LAB-np" break policy-denies --on default/web-2
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *'fault policy-denies cannot act on default/web-2: NetworkPolicy default/default-deny-ingress isolates its ingress already'* ]]
	[ ! -e "/run/podpath/$LAB-np/break.json" ]
	run "$PODPATH" --lab "$LAB-np" -j break --list
	jq -e '.faults[] | select(.name == "policy-denies") | .default_target == "kube-system/coredns" and .trace == "trace default/client kube-system/coredns"' <<<"$output"
	coredns=$(pod_ip "${LAB}-np_pod_kube-system_coredns")
	client=${LAB}-np_pod_default_client
	eventually connects "$client" "$coredns" 53
	"$PODPATH" --lab "$LAB-np" break policy-denies >/dev/null
	run connects "$client" "$coredns" 53 3
	[ "$status" -ne 0 ]
	"$PODPATH" --lab "$LAB-np" -j status | jq -e '[.networkPolicies[].name] == ["default-deny-ingress", "allow-web", "client-egress", "podpath-break-deny"]'
	"$PODPATH" --lab "$LAB-np" break --undo >/dev/null
	"$PODPATH" --lab "$LAB-np" -j status | jq -e '[.networkPolicies[].name] == ["default-deny-ingress", "allow-web", "client-egress"]'
	eventually connects "$client" "$coredns" 53
	"$PODPATH" --lab "$LAB-np" teardown >/dev/null
}

@test "on every pod --random could draw, the fault's suggested trace fails, and the undo brings it back" {
	for pod in $("$PODPATH" --lab "$LAB" -j status | jq -r '.pods[] | "\(.namespace)/\(.name)"'); do
		run "$PODPATH" --lab "$LAB" -j break policy-denies --on "$pod"
		[ "$status" -eq 0 ]
		t=$(jq -r .trace <<<"$output")
		echo "$pod: $t"
		run "$PODPATH" --lab "$LAB" $t --timeout 2
		[ "$status" -eq 1 ]
		"$PODPATH" --lab "$LAB" break --undo >/dev/null
		run "$PODPATH" --lab "$LAB" $t --timeout 5
		[ "$status" -eq 0 ]
	done
}
