#!/usr/bin/env bats
# Dual-stack NetworkPolicies (issue 13, item 1): the ipBlocks `kubectl get
# -o json` prints for both families paste in. The lab is IPv4-only, so an
# IPv6 peer admits nothing: an egress allow to ::/0 alone leaves the pod
# isolated, one to 0.0.0.0/0 and ::/0 lets it out. Probed from inside the
# pods with bash's /dev/tcp; nft shows no IPv6 in table ip network-policy.

LAB=hvds
load helpers

# default/v6only may send only to ::/0; default/dual to 0.0.0.0/0 and ::/0;
# default/web serves TCP 80 and is isolated by nothing.
topology() {
	cat <<'EOF2'
{
  "nodes": [ { "name": "node-1" }, { "name": "node-2" } ],
  "pods": [
    { "name": "v6only", "node": "node-1", "labels": { "role": "v6only" },
      "containers": [ { "name": "c" } ] },
    { "name": "dual", "node": "node-1", "labels": { "role": "dual" },
      "containers": [ { "name": "c" } ] },
    { "name": "web", "node": "node-2", "labels": { "role": "web" },
      "containers": [ { "name": "c", "ports": [ { "name": "http", "containerPort": 80 } ] } ] }
  ],
  "networkPolicies": [
    { "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
      "metadata": { "namespace": "default", "name": "egress-v6-only" },
      "spec": { "podSelector": { "matchLabels": { "role": "v6only" } },
                "policyTypes": [ "Egress" ],
                "egress": [ { "to": [ { "ipBlock": { "cidr": "::/0" } } ] } ] } },
    { "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
      "metadata": { "namespace": "default", "name": "egress-dual" },
      "spec": { "podSelector": { "matchLabels": { "role": "dual" } },
                "policyTypes": [ "Egress" ],
                "egress": [ { "to": [ { "ipBlock": { "cidr": "0.0.0.0/0" } },
                                      { "ipBlock": { "cidr": "::/0", "except": [ "fd00::/8" ] } } ] } ] } }
  ]
}
EOF2
}

setup_file() {
	lab_cleanup
	topology >"$BATS_FILE_TMPDIR/ds.json"
	pp setup -f "$BATS_FILE_TMPDIR/ds.json"
}

teardown_file() {
	lab_cleanup
}

N1=${LAB}_node_node-1

@test "setup accepts the dual-stack policies and keeps the IPv6 CIDRs in the saved topology" {
	run jq -r '.topology.networkPolicies[] | .spec.egress[].to[].ipBlock | .cidr, (.except // [] | .[])' \
		"/run/podpath/$LAB/state.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "0.0.0.0/0 ::/0 ::/0 fd00::/8 " ]
}

@test "an egress allow to ::/0 only admits nothing: the pod cannot reach another pod" {
	# The path itself works: the dual-stack pod on the same node gets through.
	lab_connects default_dual default_web 80
	run lab_connects default_v6only default_web 80 3
	[ "$status" -ne 0 ]
}

@test "an egress allow to 0.0.0.0/0 and ::/0 lets the pod reach another pod, across nodes" {
	lab_connects default_dual default_web 80
}

@test "table ip network-policy has no IPv6 text; the ::/0-only policy's chain accepts nothing" {
	run ip netns exec "$N1" nft list table ip network-policy
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == *"chain cali-po-default/egress-v6-only {"* ]]
	[[ "$output" == *"chain cali-fw-default/v6only {"* ]]
	run grep -E '::|fd00|([0-9a-fA-F]{1,4}:){2,}|ip6' <<<"$output"
	[ "$status" -ne 0 ]
	run ip netns exec "$N1" nft list chain ip network-policy cali-po-default/egress-v6-only
	[ "$status" -eq 0 ]
	echo "$output"
	run grep -cE '^\s+(ip|meta|tcp|udp|accept|jump|counter)' <<<"$output"
	[ "$output" = 0 ]
	# The mixed rule: one accept, for its IPv4 peer.
	run ip netns exec "$N1" nft list chain ip network-policy cali-po-default/egress-dual
	echo "$output"
	[ "$(grep -c ' accept' <<<"$output")" -eq 1 ]
	[[ "$output" == *'ip daddr 0.0.0.0/0 accept comment "default/egress-dual spec.egress[0].to[0]"'* ]]
}

@test "podpath check is clean" {
	run pp check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "explain network-policy names the IPv6 peers as never matching, and the ::/0-only rule as admitting nothing" {
	run pp explain network-policy
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"egress[0]: to ipBlock ::/0 (IPv6: never matches in this IPv4 lab), every port; admits nothing here"* ]]
	[[ "$output" == *"egress[0]: to ipBlock 0.0.0.0/0 or ipBlock ::/0 except fd00::/8 (IPv6: never matches in this IPv4 lab), every port"* ]]
}

@test "trace agrees with the kernel: the ::/0-only pod is denied by its policy, exit 1" {
	run pp -j trace default/v6only default/web:80 --timeout 2
	echo "$output" | head -c 2000
	[ "$status" -eq 1 ]
	[ "$(jq -r .verdict.cause <<<"$output")" = denied-by-policy ]
	jq -e '.verdict.reason | startswith("egress from default/v6only is isolated by default/egress-v6-only; no rule admits it")' <<<"$output"
}
