#!/usr/bin/env bats
# NetworkPolicy semantics that follow from the topology (issue 13, items 1
# and 2; docs/topology.md, "How policies are enforced"), probed from inside
# the lab's namespaces with bash's /dev/tcp and /dev/udp, never through
# podpath:
#   - every namespace, also one only a pod implies, carries
#     kubernetes.io/metadata.name, and a namespaceSelector on it works;
#   - policyTypes left out with egress rules isolates both directions;
#   - a pod's own node reaches it, another node does not;
#   - ingress is judged after SNAT: what a NodePort with
#     externalTrafficPolicy Cluster masquerades arrives from the node that
#     did it, which an ipBlock can admit;
#   - a named port resolves by name and protocol.

LAB=htnp
load helpers

# default/web-1 (node-1), default/web-2 (node-2): app=web, isolated for
#   ingress by deny-web; named-udp admits app=client to the ports named
#   "http" and "dns" over UDP: "http" is 8080/TCP, so that admits nothing,
#   "dns" is 5353/UDP.
#   Both also serve 8080/UDP, named "alt".
# default/web-3 (node-2): admits only 172.18.0.2/32 (node-1) on 8080.
# default/free (node-2): no policy selects it.
# default/client (node-1): client-egress has egress rules and no
#   policyTypes, so it is isolated both ways; it may send to namespace
#   "other" (by the label the API server sets) and to app=web.
# other/o (node-2): namespace "other" is implied by the pod alone; by-name
#   admits default's app=client only, picking "default" by that label too.
# quiet/q (node-2): quiet/no-spec has no spec at all, which the API server
#   takes as the empty spec: podSelector {} and policyTypes [Ingress].
# NodePorts 30081..30083 (externalTrafficPolicy Cluster) lead to web-1..3.
topology() {
	cat <<'EOF'
{
  "nodes": [ { "name": "node-1", "ip": "172.18.0.2" }, { "name": "node-2", "ip": "172.18.0.3" } ],
  "pods": [
    { "name": "web-1", "node": "node-1", "labels": { "app": "web", "pod": "web-1" },
      "containers": [ { "name": "web", "ports": [ { "name": "http", "containerPort": 8080 },
        { "name": "dns", "containerPort": 5353, "protocol": "UDP" },
        { "name": "alt", "containerPort": 8080, "protocol": "UDP" } ] } ] },
    { "name": "web-2", "node": "node-2", "labels": { "app": "web", "pod": "web-2" },
      "containers": [ { "name": "web", "ports": [ { "name": "http", "containerPort": 8080 },
        { "name": "dns", "containerPort": 5353, "protocol": "UDP" },
        { "name": "alt", "containerPort": 8080, "protocol": "UDP" } ] } ] },
    { "name": "web-3", "node": "node-2", "labels": { "app": "open", "pod": "web-3" },
      "containers": [ { "name": "web", "ports": [ { "name": "http", "containerPort": 8080 } ] } ] },
    { "name": "free", "node": "node-2", "labels": { "app": "free" },
      "containers": [ { "name": "c", "ports": [ { "name": "http", "containerPort": 8080 } ] } ] },
    { "name": "client", "node": "node-1", "labels": { "app": "client" },
      "containers": [ { "name": "c", "ports": [ { "name": "http", "containerPort": 8080 } ] } ] },
    { "namespace": "other", "name": "o", "node": "node-2", "labels": { "app": "o" },
      "containers": [ { "name": "c", "ports": [ { "name": "http", "containerPort": 8080 } ] } ] },
    { "namespace": "quiet", "name": "q", "node": "node-2", "labels": { "app": "q" },
      "containers": [ { "name": "c", "ports": [ { "name": "http", "containerPort": 8080 } ] } ] }
  ],
  "services": [
    { "name": "s1", "type": "NodePort", "externalTrafficPolicy": "Cluster",
      "selector": { "pod": "web-1" }, "ports": [ { "port": 80, "targetPort": 8080, "nodePort": 30081 } ] },
    { "name": "s2", "type": "NodePort", "externalTrafficPolicy": "Cluster",
      "selector": { "pod": "web-2" }, "ports": [ { "port": 80, "targetPort": 8080, "nodePort": 30082 } ] },
    { "name": "s3", "type": "NodePort", "externalTrafficPolicy": "Cluster",
      "selector": { "pod": "web-3" }, "ports": [ { "port": 80, "targetPort": 8080, "nodePort": 30083 } ] }
  ],
  "networkPolicies": [
    { "metadata": { "name": "deny-web" },
      "spec": { "podSelector": { "matchLabels": { "app": "web" } } } },
    { "metadata": { "name": "named-udp" },
      "spec": { "podSelector": { "matchLabels": { "app": "web" } },
        "ingress": [ { "from": [ { "podSelector": { "matchLabels": { "app": "client" } } } ],
          "ports": [ { "protocol": "UDP", "port": "http" }, { "protocol": "UDP", "port": "dns" } ] } ] } },
    { "metadata": { "name": "from-node-1" },
      "spec": { "podSelector": { "matchLabels": { "pod": "web-3" } },
        "ingress": [ { "from": [ { "ipBlock": { "cidr": "172.18.0.2/32" } } ],
          "ports": [ { "port": 8080 } ] } ] } },
    { "metadata": { "name": "client-egress" },
      "spec": { "podSelector": { "matchLabels": { "app": "client" } },
        "egress": [ { "to": [
          { "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "other" } } },
          { "podSelector": { "matchLabels": { "app": "web" } } } ] } ] } },
    { "metadata": { "namespace": "other", "name": "by-name" },
      "spec": { "podSelector": {},
        "ingress": [ { "from": [ {
          "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "default" } },
          "podSelector": { "matchLabels": { "app": "client" } } } ] } ] } },
    { "metadata": { "namespace": "quiet", "name": "no-spec" } }
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

@test "a namespace only a pod implies carries kubernetes.io/metadata.name: namespaceSelectors pick it and default by that label" {
	# client may send to namespace "other" (egress), and other/by-name
	# admits default's client (ingress): both by the label.
	lab_connects default_client other_o 8080
	# by-name admits only app=client from default: web-3 is refused.
	run lab_connects default_web-3 other_o 8080 3
	[ "$status" -ne 0 ]
	# The same pod reached from its own node: the pod serves.
	lab_connects "$N2" other_o 8080
}

@test "egress rules without policyTypes isolate both directions (Ingress, Egress), as the API server defaults it" {
	# Ingress to client: no ingress rule admits web-1 ...
	run lab_connects default_web-1 default_client 8080 3
	[ "$status" -ne 0 ]
	# ... while client itself serves (its own node reaches it).
	lab_connects "$N1" default_client 8080
	# Egress from client: free (app=free, default) is not in its rules,
	# and no policy isolates free, whose port web-1 reaches: the egress
	# side alone stops it.
	lab_connects default_web-1 default_free 8080
	run lab_connects default_client default_free 8080 3
	[ "$status" -ne 0 ]
}

@test "a policy without spec (so without podSelector) isolates every pod of its namespace for ingress, as the API server defaults it" {
	run lab_connects default_web-3 quiet_q 8080 3
	[ "$status" -ne 0 ]
	lab_connects "$N2" quiet_q 8080
}

@test "a pod's own node reaches it through every policy; another node's address is an ordinary source" {
	lab_connects "$N1" default_web-1 8080
	lab_connects "$N2" default_web-2 8080
	run lab_connects "$N1" default_web-2 8080 3
	[ "$status" -ne 0 ]
	run lab_connects "$N2" default_web-1 8080 3
	[ "$status" -ne 0 ]
}

@test "ingress is judged after SNAT: a NodePort (Cluster) masquerades to the node that took it, and ipBlock sees that address" {
	# node-2 -> node-1:30081 -> web-1 on node-1, masqueraded to node-1's
	# own address: from the pod's own node, so it passes deny-web.
	lab_connects "$N2" 172.18.0.2 30081
	# node-2 -> node-1:30082 -> web-2 on node-2, masqueraded to
	# 172.18.0.2: another node, and nothing admits it.
	run lab_connects "$N2" 172.18.0.2 30082 3
	[ "$status" -ne 0 ]
	# node-2 -> node-1:30083 -> web-3 on node-2 from 172.18.0.2, which
	# from-node-1's ipBlock admits; web-1 on node-1, sending directly from
	# its pod address, is not admitted by it.
	lab_connects "$N2" 172.18.0.2 30083
	run lab_connects default_web-1 default_web-3 8080 3
	[ "$status" -ne 0 ]
}

@test "a named port resolves per pod by name and protocol: UDP \"http\" admits nothing, UDP \"dns\" admits 5353/UDP" {
	run lab_connects default_client default_web-1 8080 3
	[ "$status" -ne 0 ]
	run lab_connects default_client default_web-2 8080 3
	[ "$status" -ne 0 ]
	lab_udp_answered default_client default_web-1 5353
	lab_udp_answered default_client default_web-2 5353
	# Not to 8080/UDP, which web-1 serves under another name ("alt"),
	# as its own node sees.
	lab_udp_answered "$N1" default_web-1 8080
	run lab_udp_answered default_client default_web-1 8080 3
	[ "$status" -ne 0 ]
}

@test "the lab leaves nothing when torn down" {
	pp teardown
	[ -z "$(lab_leftovers $LAB)" ]
	pp setup -f "$BATS_FILE_TMPDIR/np.json"
}
