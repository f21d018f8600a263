#!/usr/bin/env bats
# NetworkPolicy enforcement in nftables (issue 13, item 3): each node's
# table "ip network-policy" as nft shows it, and what it lets through,
# probed from inside the pods with bash's /dev/tcp; `check` knows the
# table and names what was deleted from it.

LAB=npnft
load helpers

# x/a, x/c, y/a on node-1; x/b, x/d, y/b on node-2. Each pod serves TCP 80
# and 81 (named serve-80-tcp, serve-81-tcp) but x/d, whose serve-81-tcp is
# port 82 and whose port 81 is named other.
#   x/deny-ingress   isolates every pod of x for ingress, admits nothing;
#   x/allow-b        x/a admits x/b on 80/TCP;
#   x/allow-named    x/c and x/d admit every namespace's pods on
#                    serve-81-tcp (81 on x/c, 82 on x/d);
#   x/sctp-only      x/d admits every pod on SCTP 81 (and so no TCP or UDP);
#   x/range          x/c admits x/a on TCP 80-81 and on every UDP port;
#   y/egress-node-2  y/a may send only to 10.244.0.0/16 minus node-1's pods.
topology() {
	cat <<'EOF'
{
  "nodes": [ { "name": "node-1", "podCIDR": "10.244.1.0/24" },
             { "name": "node-2", "podCIDR": "10.244.2.0/24" } ],
  "namespaces": [ { "name": "x", "labels": { "team": "blue" } }, { "name": "y" } ],
  "pods": [
    { "namespace": "x", "name": "a", "node": "node-1", "labels": { "pod": "a" },
      "containers": [ { "name": "c", "ports": [ { "name": "serve-80-tcp", "containerPort": 80 },
                                                { "name": "serve-81-tcp", "containerPort": 81 } ] } ] },
    { "namespace": "x", "name": "b", "node": "node-2", "labels": { "pod": "b" },
      "containers": [ { "name": "c", "ports": [ { "name": "serve-80-tcp", "containerPort": 80 },
                                                { "name": "serve-81-tcp", "containerPort": 81 } ] } ] },
    { "namespace": "x", "name": "c", "node": "node-1", "labels": { "pod": "c" },
      "containers": [ { "name": "c", "ports": [ { "name": "serve-80-tcp", "containerPort": 80 },
                                                { "name": "serve-81-tcp", "containerPort": 81 } ] } ] },
    { "namespace": "x", "name": "d", "node": "node-2", "labels": { "pod": "d" },
      "containers": [ { "name": "c", "ports": [ { "name": "other", "containerPort": 81 },
                                                { "name": "serve-81-tcp", "containerPort": 82 } ] } ] },
    { "namespace": "y", "name": "a", "node": "node-1", "labels": { "pod": "a" },
      "containers": [ { "name": "c", "ports": [ { "name": "serve-80-tcp", "containerPort": 80 },
                                                { "name": "serve-81-tcp", "containerPort": 81 } ] } ] },
    { "namespace": "y", "name": "b", "node": "node-2", "labels": { "pod": "b" },
      "containers": [ { "name": "c", "ports": [ { "name": "serve-80-tcp", "containerPort": 80 },
                                                { "name": "serve-81-tcp", "containerPort": 81 } ] } ] }
  ],
  "networkPolicies": [
    { "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
      "metadata": { "namespace": "x", "name": "deny-ingress" },
      "spec": { "podSelector": {}, "policyTypes": [ "Ingress" ] } },
    { "metadata": { "namespace": "x", "name": "allow-b" },
      "spec": { "podSelector": { "matchLabels": { "pod": "a" } },
                "ingress": [ { "from": [ { "podSelector": { "matchLabels": { "pod": "b" } } } ],
                               "ports": [ { "protocol": "TCP", "port": 80 } ] } ] } },
    { "metadata": { "namespace": "x", "name": "allow-named" },
      "spec": { "podSelector": { "matchExpressions": [ { "key": "pod", "operator": "In", "values": [ "c", "d" ] } ] },
                "ingress": [ { "from": [ { "namespaceSelector": {} } ],
                               "ports": [ { "port": "serve-81-tcp" } ] } ] } },
    { "metadata": { "namespace": "x", "name": "sctp-only" },
      "spec": { "podSelector": { "matchLabels": { "pod": "d" } },
                "ingress": [ { "from": [ { "namespaceSelector": {} } ],
                               "ports": [ { "protocol": "SCTP", "port": 81 } ] } ] } },
    { "metadata": { "namespace": "x", "name": "range" },
      "spec": { "podSelector": { "matchLabels": { "pod": "c" } },
                "ingress": [ { "from": [ { "podSelector": { "matchLabels": { "pod": "a" } } } ],
                               "ports": [ { "port": 80, "endPort": 81 }, { "protocol": "UDP" } ] } ] } },
    { "metadata": { "namespace": "y", "name": "egress-node-2" },
      "spec": { "podSelector": { "matchLabels": { "pod": "a" } }, "policyTypes": [ "Egress" ],
                "egress": [ { "to": [ { "ipBlock": { "cidr": "10.244.0.0/16",
                                                     "except": [ "10.244.1.0/24" ] } } ] } ] } }
  ]
}
EOF
}

setup_file() {
	lab_cleanup
	topology >"$BATS_FILE_TMPDIR/np.json"
	pp setup -f "$BATS_FILE_TMPDIR/np.json"
}

teardown_file() {
	lab_cleanup
}

N1=${LAB}_node_node-1
N2=${LAB}_node_node-2

# The answer of pod $2's responder on port $3, read through the connection:
# proof that replies come back, not only that the SYN went through.
answer() { # FROM TO PORT
	local ip
	ip=$(pod_ip "${LAB}_pod_$2")
	ip netns exec "${LAB}_pod_$1" timeout 30 bash -c \
		"exec 3<>/dev/tcp/$ip/$3; printf 'GET / HTTP/1.0\r\n\r\n' >&3; cat <&3"
}

@test "each node has table ip network-policy with Calico's chains named after the pods and policies" {
	run ip netns exec "$N1" nft list table ip network-policy
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == *"chain cali-FORWARD"* ]]
	[[ "$output" == *"type filter hook forward priority filter; policy accept;"* ]]
	[[ "$output" == *"chain cali-POSTROUTING"* ]]
	[[ "$output" == *"hook postrouting priority srcnat + 10"* ]]
	[[ "$output" == *"ct state established,related accept"* ]]
	# Replies pass before any policy is looked at: in both base chains the
	# conntrack rule comes first.
	run ip netns exec "$N1" nft list chain ip network-policy cali-FORWARD
	[ "$(grep -E '^\s+(ct|ip|meta|jump|drop|accept)' <<<"$output" | head -1 | awk '{ print $1, $2, $3 }')" = "ct state established,related" ]
	run ip netns exec "$N1" nft list chain ip network-policy cali-POSTROUTING
	[ "$(grep -E '^\s+(ct|ip|meta|jump|drop|accept)' <<<"$output" | head -1 | awk '{ print $1, $2, $3 }')" = "ct state established,related" ]
	run ip netns exec "$N1" nft list table ip network-policy
	[[ "$output" == *"ip saddr vmap @cali-from-wl-dispatch"* ]]
	[[ "$output" == *"ip daddr vmap @cali-to-wl-dispatch"* ]]
	# node-1's isolated pods: x/a, x/c (ingress), y/a (egress).
	[[ "$output" == *"chain cali-tw-x/a {"* ]]
	[[ "$output" == *"chain cali-tw-x/c {"* ]]
	[[ "$output" == *"chain cali-fw-y/a {"* ]]
	[[ "$output" != *"chain cali-tw-x/b {"* ]]
	[[ "$output" != *"chain cali-tw-y/a {"* ]]
	[[ "$output" == *"chain cali-pi-x/deny-ingress {"* ]]
	[[ "$output" == *"chain cali-pi-x/allow-b {"* ]]
	[[ "$output" == *"chain cali-po-y/egress-node-2 {"* ]]
	# The rules name their policy and the spec path they stand for.
	[[ "$output" == *'ip saddr @cali-s-x/allow-b.in0.from0 tcp dport 80 accept comment "x/allow-b spec.ingress[0].from[0] ports[0]"'* ]]
	[[ "$output" == *'jump cali-pi-x/allow-b comment "x/allow-b"'* ]]
	[[ "$output" == *'drop comment "ingress to x/a isolated by x/deny-ingress, x/allow-b"'* ]]
	[[ "$output" == *'ip daddr 10.244.0.0/16 ip daddr != 10.244.1.0/24 accept comment "y/egress-node-2 spec.egress[0].to[0]"'* ]]
	[[ "$output" == *"set cali-np-serve-81-tcp"* ]]
	[[ "$output" == *'ip saddr @cali-s-x/range.in0.from0 tcp dport 80-81 accept comment "x/range spec.ingress[0].from[0] ports[0]"'* ]]
	[[ "$output" == *'ip saddr @cali-s-x/range.in0.from0 meta l4proto udp accept comment "x/range spec.ingress[0].from[0] ports[1]"'* ]]
	[[ "$output" == *'@cali-np-serve-81-tcp accept comment "x/allow-named spec.ingress[0].from[0] ports[0]"'* ]]
	# node-2 has x/b's chain, not x/a's.
	run ip netns exec "$N2" nft list table ip network-policy
	[ "$status" -eq 0 ]
	[[ "$output" == *"chain cali-tw-x/b {"* ]]
	[[ "$output" != *"chain cali-tw-x/a {"* ]]
	[[ "$output" != *"chain cali-pi-x/allow-b {"* ]]
}

@test "the peer set holds the selected pod's address, the dispatch map this node's pods" {
	local b a
	b=$(pod_ip "${LAB}_pod_x_b")
	a=$(pod_ip "${LAB}_pod_x_a")
	run ip netns exec "$N1" nft list set ip network-policy cali-s-x/allow-b.in0.from0
	[ "$status" -eq 0 ]
	[[ "$output" == *"elements = { $b }"* ]]
	# nft list says what the set selects, and what a named-port set is.
	[[ "$output" == *'comment "pods pod=b in namespace x"'* ]]
	run ip netns exec "$N1" nft list set ip network-policy cali-np-serve-81-tcp
	[[ "$output" == *'comment "named port serve-81-tcp: each pod'"'"'s own number"'* ]]
	run ip netns exec "$N1" nft list map ip network-policy cali-to-wl-dispatch
	[ "$status" -eq 0 ]
	[[ "$output" == *"$a"*"jump cali-tw-x/a"* ]]
}

@test "an allowed connection opens and its replies come back (across nodes)" {
	lab_connects x_b x_a 80
	run answer x_b x_a 80
	[ "$status" -eq 0 ]
	# The responder says who answered and whom it saw.
	[[ "$output" == *"pod=x/a "* ]]
	[[ "$output" == *"client=$(pod_ip "${LAB}_pod_x_b"):"* ]]
}

@test "a port the rule does not name is denied" {
	run lab_connects x_b x_a 81 3
	[ "$status" -ne 0 ]
}

@test "a pod the rule does not select is denied, also on the same node" {
	run lab_connects x_c x_a 80 3
	[ "$status" -ne 0 ]
}

@test "a named port admits the port of that name and no other" {
	lab_connects x_b x_c 81
	run lab_connects x_b x_c 80 3
	[ "$status" -ne 0 ]
}

@test "a named port resolves per destination pod: serve-81-tcp is 81 on x/c, 82 on x/d" {
	local c d
	c=$(pod_ip "${LAB}_pod_x_c")
	d=$(pod_ip "${LAB}_pod_x_d")
	run ip netns exec "$N2" nft list set ip network-policy cali-np-serve-81-tcp
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == *"$d . tcp . 82"* ]]
	[[ "$output" == *"$c . tcp . 81"* ]]
	[[ "$output" != *"$d . tcp . 81"* ]]
	lab_connects x_b x_d 82
	lab_connects y_a x_d 82
	# Port 81 is serve-81-tcp elsewhere, not on x/d.
	run lab_connects x_b x_d 81 3
	[ "$status" -ne 0 ]
}

@test "an SCTP rule matches SCTP only: TCP to that port is denied" {
	run ip netns exec "$N2" nft list chain ip network-policy cali-pi-x/sctp-only
	[ "$status" -eq 0 ]
	echo "$output"
	# nft prints the l4proto match the dport rests on as "sctp dport".
	[[ "$output" == *'sctp dport 81 accept comment "x/sctp-only spec.ingress[0].from[0] ports[0]"'* ]]
	[[ "$output" != *"tcp dport 81"* ]]
	[[ "$output" != *"udp dport 81"* ]]
	# x/d serves TCP 81 (its port "other"): no rule admits TCP there.
	run lab_connects x_b x_d 81 3
	[ "$status" -ne 0 ]
}

@test "the pod's own node reaches it (kubelet probes); another node is subject to policy" {
	local a
	a=$(pod_ip "${LAB}_pod_x_a")
	# x/a admits only x/b on 80; its node still reaches port 81.
	ip netns exec "$N1" timeout 30 bash -c "exec 3<>/dev/tcp/$a/81"
	run ip netns exec "$N2" timeout 3 bash -c "exec 3<>/dev/tcp/$a/81"
	[ "$status" -ne 0 ]
}

@test "a port range admits both ends of it, on the same node" {
	lab_connects x_a x_c 80
	lab_connects x_a x_c 81
}

@test "egress: ipBlock except denies node-1's pods and admits node-2's" {
	lab_connects y_a y_b 80
	run lab_connects y_a x_c 81 3
	[ "$status" -ne 0 ]
}

@test "pods no policy isolates talk freely" {
	lab_connects y_b y_a 80
}

@test "podpath check is clean on the fresh lab" {
	run pp check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "check names a deleted policy rule and a deleted set element" {
	local h b
	h=$(ip netns exec "$N1" nft -a list chain ip network-policy cali-pi-x/allow-b |
	    awk '/x\/allow-b spec.ingress/ { print $NF }')
	[ -n "$h" ]
	ip netns exec "$N1" nft delete rule ip network-policy cali-pi-x/allow-b handle "$h"
	run pp check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cali-pi-x/allow-b"* ]]
	[[ "$output" == *"x/allow-b spec.ingress[0].from[0] ports[0]"* ]]
	# The rule gone, x/b is denied what it was allowed.
	run lab_connects x_b x_a 80 3
	[ "$status" -ne 0 ]

	b=$(pod_ip "${LAB}_pod_x_b")
	ip netns exec "$N1" nft delete element ip network-policy cali-s-x/allow-b.in0.from0 "{ $b }"
	run pp check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cali-s-x/allow-b.in0.from0"* ]]
	[[ "$output" == *"$b"* ]]
}
