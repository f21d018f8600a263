#!/usr/bin/env bats
# NetworkPolicy in status, status --dot and explain network-policy, on the
# shipped example (docs/examples/network-policy.json: the default lab with
# three policies). What they say a policy isolates is held against the
# kernel (each isolated pod's chain in its node's table ip network-policy,
# as nft lists it) and against traffic (TCP connections opened with bash's
# /dev/tcp from inside the pods); the commands explain prints are run.

LAB=ppt-npsurf
load helpers

EXAMPLE=$BATS_TEST_DIRNAME/../../docs/examples/network-policy.json

setup_file() {
	lab_cleanup
	pp setup -f "$EXAMPLE" >/dev/null
}

teardown_file() {
	lab_cleanup
}

ns() { echo "${LAB}_$1"; }
pod_ns() { ns "pod_${1/\//_}"; }
addr() { pod_ip "$(pod_ns "$1")"; }
node_of() { pp -j status | jq -r --arg p "$1" '.pods[] | select("\(.namespace)/\(.name)" == $p) | .node'; }

connects() { # NETNS IP PORT [SECONDS]
	ip netns exec "$1" timeout "${4:-30}" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

# The pods whose chain cali-tw-/cali-fw- (DIR in|out) exists in their
# node's table, as nft lists it: NS/NAME, sorted.
kernel_isolated() { # tw|fw
	local n
	for n in $(node_netns "$LAB"); do
		ip netns exec "$n" nft list table ip network-policy |
			grep -oE "chain cali-$1-[^ ]+ \{" | sed -E "s/chain cali-$1-(.*) \{/\1/"
	done | sort
}

@test "status lists the three policies, what each selects and isolates, and the namespaces' labels" {
	run pp status
	echo "$output"
	[ "$status" -eq 0 ]
	grep -E '^NAMESPACE +POLICY +POD-SELECTOR +POLICY-TYPES +PODS +INGRESS +EGRESS +SELECTS$' <<<"$output"
	grep -E '^default +default-deny-ingress +<none> +Ingress +3 +3 pods, 0 rules +- +client,web-1,web-2$' <<<"$output"
	grep -E '^default +allow-web +app in \(web\) +Ingress +2 +2 pods, 1 rule +- +web-1,web-2$' <<<"$output"
	grep -E '^default +client-egress +app=client +Egress +1 +- +1 pod, 3 rules +client$' <<<"$output"
	grep -E '^ingress-nginx +kubernetes.io/metadata.name=ingress-nginx,role=ingress$|^ingress-nginx +role=ingress,kubernetes.io/metadata.name=ingress-nginx$' <<<"$output"
	run pp -j status
	jq -e '[.namespaces[] | select(.name == "default") | .labels] == [{"team": "web", "kubernetes.io/metadata.name": "default"}]' <<<"$output"
	jq -e '.networkPolicies[1] | .podSelector == {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]} and .policyTypes == ["Ingress"] and .rules == {"ingress": 1, "egress": 0}' <<<"$output"
	# What status says is isolated is what the kernel isolates: a chain to
	# (from) each pod some policy isolates for ingress (egress), no other.
	want_in=$(jq -r '[.networkPolicies[].isolates.ingress[]] | unique | .[]' <<<"$output")
	want_out=$(jq -r '[.networkPolicies[].isolates.egress[]] | unique | .[]' <<<"$output")
	[ "$want_in" = "$(printf '%s\n' default/client default/web-1 default/web-2)" ]
	[ "$want_out" = default/client ]
	[ "$(kernel_isolated tw)" = "$want_in" ]
	[ "$(kernel_isolated fw)" = "$want_out" ]
}

@test "what status says the policies do is what the traffic does" {
	client=$(pod_ns default/client)
	web1=$(addr default/web-1)
	web2=$(addr default/web-2)
	# allow-web admits the client on its named port http (8080), across nodes too
	connects "$client" "$web1" 8080
	connects "$client" "$web2" 8080
	# nothing admits the sidecar's 9090, nor web-1 to web-2
	run connects "$client" "$web1" 9090 3
	[ "$status" -ne 0 ]
	run connects "$(pod_ns default/web-1)" "$web2" 8080 3
	[ "$status" -ne 0 ]
	# the pod's own node is never subject to policy (the kubelet's probes)
	connects "$(ns "node_$(node_of default/web-2)")" "$web2" 8080
}

@test "status --dot: a note per policy and an edge to each pod it isolates; dot renders it" {
	run pp status --dot
	[ "$status" -eq 0 ]
	dotsrc=$output
	grep -q '"netpol/default/allow-web" \[label="netpol default/allow-web\\npodSelector app in (web)\\nIngress"' <<<"$dotsrc"
	edges=$(grep -oE '"netpol/[^"]+" -> "[^"]+" \[label="(ingress|egress)"' <<<"$dotsrc" |
		sed -E 's/"netpol\/([^"]+)" -> "([^"]+)" \[label="(.*)"/\1 \2 \3/' | sort)
	# the same as status -j's isolates, edge for edge
	want=$(pp -j status | jq -r '.networkPolicies[] | "\(.namespace)/\(.name)" as $p |
		(.isolates.ingress[] | "\($p) \(.) ingress"), (.isolates.egress[] | "\($p) \(.) egress")' | sort)
	echo "$edges"
	[ "$edges" = "$want" ]
	[ "$(wc -l <<<"$edges")" -eq 6 ]
	# each edge ends at the pod's own node of the graph, not at a stray one
	for p in $(awk '{print $2}' <<<"$edges" | sort -u); do
		grep -qE "^\s+\"$p\" \[label=\"$p\\\\n[0-9.]+\", shape=component" <<<"$dotsrc"
	done
	dot -Tsvg <<<"$dotsrc" >"$BATS_TEST_TMPDIR/lab.svg"
	grep -q '<svg' "$BATS_TEST_TMPDIR/lab.svg"
	grep -q '>netpol default/client&#45;egress<' "$BATS_TEST_TMPDIR/lab.svg"
}

@test "explain network-policy: the policies, a named port per pod, an admitted and a denied connection, the chain the kernel holds; every command works" {
	run pp -j explain network-policy
	echo "$output" | jq -r '.in_this_lab[]'
	[ "$status" -eq 0 ]
	lines=$(jq -r '.in_this_lab[]' <<<"$output")
	grep -qx 'policy default/default-deny-ingress (podSelector {}: every pod of its namespace, policyTypes Ingress) isolates ingress of default/client, default/web-1, default/web-2' <<<"$lines"
	grep -qx '  ingress\[0\]: from pods app=client in namespace default or every pod in namespaces role=ingress, port http/TCP' <<<"$lines"
	grep -qx '  egress\[2\]: to ipBlock 203.0.113.0/24 except 203.0.113.20/32, port 80/TCP' <<<"$lines"
	# on the pods the rule reaches only: the ingress controller's own
	# port http (80) is no destination of allow-web's ingress rule
	grep -qx 'named port http/TCP (default/allow-web ingress\[0\]) resolves per pod: 8080 on default/web-1, 8080 on default/web-2' <<<"$lines"
	grep -qx "default/client -> default/web-1 ($(addr default/web-1):8080/TCP) is admitted: egress of default/client is admitted by default/client-egress spec.egress\[0\]; ingress of default/web-1 is admitted by default/allow-web spec.ingress\[0\]" <<<"$lines"
	grep -q "^default/client -> default/web-1 ($(addr default/web-1):9090/TCP) is denied: " <<<"$lines"
	n1=$(ns "node_$(node_of default/web-1)")
	rules=$(ip netns exec "$n1" nft -a list chain ip network-policy cali-tw-default/web-1 | grep -c $'^\t\t.*# handle')
	grep -qx "node $(node_of default/web-1)'s kernel holds it now: table ip network-policy, chain cali-tw-default/web-1, $rules rules" <<<"$lines"
	jq -e '.trace.src == "default/client" and .trace.dst == "default/web-1:8080"' <<<"$output"
	PATH="$BATS_TEST_DIRNAME/../..:$PATH"
	while IFS= read -r c; do
		echo "$c"
		bash -c "$c" >"$BATS_TEST_TMPDIR/out"
		if [[ $c == *"|| echo 'no answer'" ]]; then
			grep -qx 'no answer' "$BATS_TEST_TMPDIR/out"
		elif [[ $c == *" curl "* ]]; then
			grep -q '^pod=default/web-1 ' "$BATS_TEST_TMPDIR/out"
		fi
	done < <(jq -r '.commands[].command' <<<"$output")
}

@test "explain network-policy --live: the admitted connection, delivered, hop by hop" {
	run pp -j explain network-policy --live
	[ "$status" -eq 0 ]
	jq -e '.live.verdict.result == "delivered" and (.live.hops | length) > 1' <<<"$output"
	# and what decided it on each side: the policy's rule, and the nftables
	# rule that accepted it, which the node's kernel holds under that handle
	# with the rule's spec path as its comment
	jq -e '.live.policy.egress.admitted_by.policy == "default/client-egress" and
		.live.policy.egress.admitted_by.path == "spec.egress[0].to[0] ports[0]" and
		.live.policy.ingress.isolated_by == ["default/default-deny-ingress", "default/allow-web"] and
		.live.policy.ingress.admitted_by.policy == "default/allow-web" and
		.live.policy.ingress.nftables.verdict == "accept"' <<<"$output"
	n1=$(ns "node_$(node_of default/web-1)")
	for dir in egress ingress; do
		chain=$(jq -r ".live.policy.$dir.nftables.chain" <<<"$output")
		handle=$(jq -r ".live.policy.$dir.nftables.handle" <<<"$output")
		path=$(jq -r ".live.policy.$dir.admitted_by | \"\(.policy) \(.path)\"" <<<"$output")
		ip netns exec "$n1" nft -a list chain ip network-policy "$chain" |
			grep -F " accept comment \"$path\" # handle $handle"
	done
	run pp explain network-policy --live
	[ "$status" -eq 0 ]
	grep -qx 'network policy:' <<<"$output"
	grep -q '^  ingress to default/web-1 (.*): isolated by default/default-deny-ingress, default/allow-web; admitted by default/allow-web spec.ingress\[0\].from\[0\] ports\[0\] ' <<<"$output"
	run pp explain network-policy
	[[ "$output" == *"$PODPATH --lab $LAB trace default/client default/web-1:8080"* ]]
}
