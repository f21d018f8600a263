#!/usr/bin/env bats
# NetworkPolicy conformance, after the truth tables of the upstream
# Kubernetes e2e suite (test/e2e/network/netpol): namespaces x, y, z with
# pods a, b, c, every ordered pair probed on 80 and 81, TCP and UDP, from
# inside the source pod with bash's /dev/tcp and /dev/udp, against a matrix
# each case writes by hand. Every denied pair is then traced: podpath must
# say denied-by-policy and name a policy of the case; and for up to three
# pods a direction that nft shows isolated, an allowed pair through that
# side must be delivered, trace naming a policy of the case as what
# admitted it. The harness is
# netpol.bash. Each case builds its own lab (about 0.1 s for nine pods).

bats_require_minimum_version 1.5.0

NPLAB=npconf

setup_file() {
	load helpers
	lab_cleanup $NPLAB
}

teardown_file() {
	load helpers
	lab_cleanup $NPLAB
	left=$(lab_leftovers $NPLAB)
	if [ -n "$left" ]; then
		echo "left behind: $left" >&2
		return 1
	fi
}

setup() {
	load helpers
	load netpol
	np_reset
}

teardown() { lab_cleanup $NPLAB; }

# A selector on label pod=NAME, as JSON.
pod_is() { printf '{"matchLabels":{"pod":"%s"}}' "$1"; }
ns_is() { printf '{"matchLabels":{"ns":"%s"}}' "$1"; }

@test "netpol: no policies: every pair connects on every port and protocol" {
	np_verify
}

@test "netpol: default deny ingress" {
	# policyTypes left out: Ingress, as the API server defaults it.
	np_policy '{"metadata":{"namespace":"x","name":"deny-ingress"},"spec":{"podSelector":{}}}'
	np_expect '*' 'x/*' deny
	np_verify
}

@test "netpol: default deny egress" {
	# x's pods still accept connections: the replies pass their isolated egress.
	np_policy '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
		"metadata":{"namespace":"x","name":"deny-egress"},
		"spec":{"podSelector":{},"policyTypes":["Egress"]}}'
	np_expect 'x/*' '*' deny
	np_verify
}

@test "netpol: default deny ingress and egress" {
	np_policy '{"metadata":{"namespace":"x","name":"deny-all"},
		"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}}'
	np_expect '*' 'x/*' deny
	np_expect 'x/*' '*' deny
	np_verify
}

@test "netpol: allow-all ingress stacked on a default deny admits everything" {
	np_policy '{"metadata":{"namespace":"x","name":"deny-ingress"},"spec":{"podSelector":{}}}'
	np_policy '{"metadata":{"namespace":"x","name":"allow-all-ingress"},"spec":{"podSelector":{},"ingress":[{}]}}'
	np_verify
}

@test "netpol: allow-all egress stacked on a default deny admits everything" {
	np_policy '{"metadata":{"namespace":"x","name":"deny-egress"},
		"spec":{"podSelector":{},"policyTypes":["Egress"]}}'
	np_policy '{"metadata":{"namespace":"x","name":"allow-all-egress"},
		"spec":{"podSelector":{},"policyTypes":["Egress"],"egress":[{}]}}'
	np_verify
}

@test "netpol: a policy isolates only the pods it selects, in its own namespace" {
	np_policy '{"metadata":{"namespace":"y","name":"deny-a"},"spec":{"podSelector":'"$(pod_is a)"'}}'
	np_expect '*' 'y/a' deny
	np_verify
}

@test "netpol: podSelector peer admits pods of the policy's namespace only" {
	np_policy '{"metadata":{"namespace":"x","name":"a-from-b"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"from":[{"podSelector":'"$(pod_is b)"'}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect 'x/b' 'x/a' allow
	np_verify
}

@test "netpol: namespaceSelector peer admits every pod of the selected namespaces" {
	np_policy '{"metadata":{"namespace":"x","name":"a-from-ns-y"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"from":[{"namespaceSelector":'"$(ns_is y)"'}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect 'y/*' 'x/a' allow
	np_verify
}

@test "netpol: namespaceSelector by kubernetes.io/metadata.name, the label every namespace carries" {
	np_policy '{"metadata":{"namespace":"x","name":"from-z-by-name"},
		"spec":{"podSelector":{},"ingress":[{"from":[{"namespaceSelector":
			{"matchLabels":{"kubernetes.io/metadata.name":"z"}}}]}]}}'
	np_expect '*' 'x/*' deny
	np_expect 'z/*' 'x/*' allow
	np_verify
}

@test "netpol: podSelector and namespaceSelector in one peer admit pods matching both" {
	np_policy '{"metadata":{"namespace":"x","name":"a-from-y-b"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"from":[
			{"namespaceSelector":'"$(ns_is y)"',"podSelector":'"$(pod_is b)"'}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect 'y/b' 'x/a' allow
	np_verify
}

@test "netpol: podSelector and namespaceSelector as two peers admit pods matching either" {
	np_policy '{"metadata":{"namespace":"x","name":"a-from-y-or-b"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"from":[
			{"namespaceSelector":'"$(ns_is y)"'},{"podSelector":'"$(pod_is b)"'}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect 'y/*' 'x/a' allow
	np_expect 'x/b' 'x/a' allow
	np_verify
}

@test "netpol: empty podSelector peer admits the own namespace, empty namespaceSelector every namespace" {
	np_policy '{"metadata":{"namespace":"x","name":"a-from-own-ns"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"from":[{"podSelector":{}}]}]}}'
	np_policy '{"metadata":{"namespace":"x","name":"b-from-all-ns"},
		"spec":{"podSelector":'"$(pod_is b)"',"ingress":[{"from":[{"namespaceSelector":{}}]}]}}'
	np_expect '[yz]/*' 'x/a' deny
	np_verify
}

@test "netpol: matchExpressions In and NotIn" {
	np_policy '{"metadata":{"namespace":"x","name":"ab-from-not-x-z"},
		"spec":{"podSelector":{"matchExpressions":[{"key":"pod","operator":"In","values":["a","b"]}]},
			"ingress":[{"from":[{"namespaceSelector":{"matchExpressions":
				[{"key":"ns","operator":"NotIn","values":["x","z"]}]}}]}]}}'
	np_expect '*' 'x/[ab]' deny
	np_expect 'y/*' 'x/[ab]' allow
	np_verify
}

@test "netpol: matchExpressions Exists and DoesNotExist" {
	np_ns_label z quarantine yes
	np_policy '{"metadata":{"namespace":"x","name":"from-unquarantined"},
		"spec":{"podSelector":{"matchExpressions":[{"key":"pod","operator":"Exists"}]},
			"ingress":[{"from":[{"namespaceSelector":{"matchExpressions":
				[{"key":"quarantine","operator":"DoesNotExist"}]}}]}]}}'
	np_policy '{"metadata":{"namespace":"y","name":"from-quarantined"},
		"spec":{"podSelector":{},
			"ingress":[{"from":[{"namespaceSelector":{"matchExpressions":
				[{"key":"quarantine","operator":"Exists"}]}}]}]}}'
	np_expect 'z/*' 'x/*' deny
	np_expect '*' 'y/*' deny
	np_expect 'z/*' 'y/*' allow
	np_verify
}

@test "netpol: numeric port admits that port and protocol only" {
	# protocol left out: TCP.
	np_policy '{"metadata":{"namespace":"x","name":"a-on-81"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"ports":[{"port":81}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect '*' 'x/a' allow 81/tcp
	np_verify
}

@test "netpol: named ports on ingress resolve on the destination pod, protocol included" {
	# serve-81-udp asked for as TCP (the default) names no port: it admits nothing.
	np_policy '{"metadata":{"namespace":"x","name":"a-named"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"ports":[
			{"port":"serve-81-tcp"},{"port":"serve-80-udp","protocol":"UDP"},{"port":"serve-81-udp"}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect '*' 'x/a' allow 81/tcp 80/udp
	np_verify
}

@test "netpol: named ports on egress resolve on the destination pod" {
	np_policy '{"metadata":{"namespace":"x","name":"a-out-named"},
		"spec":{"podSelector":'"$(pod_is a)"',"policyTypes":["Egress"],"egress":[{"ports":[
			{"port":"serve-80-tcp","protocol":"TCP"},{"port":"serve-81-udp","protocol":"UDP"}]}]}}'
	np_expect 'x/a' '*' deny
	np_expect 'x/a' '*' allow 80/tcp 81/udp
	np_verify
}

@test "netpol: endPort admits a range of ports" {
	np_policy '{"metadata":{"namespace":"x","name":"a-ranges"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"ports":[
			{"protocol":"UDP","port":80,"endPort":81},{"protocol":"TCP","port":81,"endPort":90}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect '*' 'x/a' allow 80/udp 81/udp 81/tcp
	np_verify
}

@test "netpol: protocol-only rule admits every port of that protocol" {
	np_policy '{"metadata":{"namespace":"x","name":"udp-only"},
		"spec":{"podSelector":{},"ingress":[{"ports":[{"protocol":"UDP"}]}]}}'
	np_expect '*' 'x/*' deny '*/tcp'
	np_verify
}

@test "netpol: SCTP rules admit neither TCP nor UDP" {
	np_policy '{"metadata":{"namespace":"x","name":"sctp-only"},
		"spec":{"podSelector":{},"ingress":[{"ports":[
			{"protocol":"SCTP","port":80},{"protocol":"SCTP","port":81,"endPort":90},{"protocol":"SCTP"}]}]}}'
	np_expect '*' 'x/*' deny
	np_verify
}

@test "netpol: several peers and ports in one rule admit every peer on every port" {
	np_policy '{"metadata":{"namespace":"x","name":"a-cross"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{
			"from":[{"podSelector":'"$(pod_is b)"'},{"namespaceSelector":'"$(ns_is z)"'}],
			"ports":[{"protocol":"UDP","port":80},{"port":"serve-81-tcp"}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect 'x/b' 'x/a' allow 80/udp 81/tcp
	np_expect 'z/*' 'x/a' allow 80/udp 81/tcp
	np_verify
}

@test "netpol: ipBlock with except on egress" {
	# node-2's pod CIDR, computed from a pod's address there, less y/a.
	local cidr=${NP_IP[x/b]%.*}.0/24
	np_policy '{"metadata":{"namespace":"x","name":"a-out-block"},
		"spec":{"podSelector":'"$(pod_is a)"',"policyTypes":["Egress"],"egress":[{"to":[
			{"ipBlock":{"cidr":"'"$cidr"'","except":["'"${NP_IP[y/a]}"'/32"]}}]}]}}'
	np_expect 'x/a' '*' deny
	np_expect 'x/a' 'x/b' allow
	np_expect 'x/a' 'y/c' allow
	np_expect 'x/a' 'z/b' allow
	np_verify
}

@test "netpol: ipBlock with except on ingress" {
	# A /28 around node-1's pods, computed from their addresses, less y/b.
	local cidr=${NP_IP[z/a]%.*}.0/28
	np_policy '{"metadata":{"namespace":"x","name":"a-in-block"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"from":[
			{"ipBlock":{"cidr":"'"$cidr"'","except":["'"${NP_IP[y/b]}"'/32"]}}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect 'x/c' 'x/a' allow
	np_expect 'z/a' 'x/a' allow
	np_expect 'z/c' 'x/a' allow
	np_verify
}

@test "netpol: an address an ipBlock excepts is admitted by another rule's ipBlock" {
	# upstream: "should ensure an IP overlapping both IPBlock.CIDR and
	# IPBlock.Except is allowed". Rules add up: y/a, excepted from the first
	# rule's block, is the whole of the second's.
	local cidr=${NP_IP[x/b]%.*}.0/24
	np_policy '{"metadata":{"namespace":"x","name":"a-out-overlap"},
		"spec":{"podSelector":'"$(pod_is a)"',"policyTypes":["Egress"],"egress":[
			{"to":[{"ipBlock":{"cidr":"'"$cidr"'","except":["'"${NP_IP[y/a]}"'/32"]}}]},
			{"to":[{"ipBlock":{"cidr":"'"${NP_IP[y/a]}"'/32"}}],"ports":[{"port":80}]}]}}'
	np_expect 'x/a' '*' deny
	np_expect 'x/a' 'x/b' allow
	np_expect 'x/a' 'y/c' allow
	np_expect 'x/a' 'z/b' allow
	np_expect 'x/a' 'y/a' allow 80/tcp
	np_verify
}

@test "netpol: egress to pods matching both podSelector and namespaceSelector in one peer" {
	# upstream: "should enforce egress policy allowing traffic to a server in
	# a different namespace based on PodSelector and NamespaceSelector"
	np_policy '{"metadata":{"namespace":"x","name":"a-out-to-z-b"},
		"spec":{"podSelector":'"$(pod_is a)"',"policyTypes":["Egress"],"egress":[{"to":[
			{"namespaceSelector":'"$(ns_is z)"',"podSelector":'"$(pod_is b)"'}]}]}}'
	np_expect 'x/a' '*' deny
	np_expect 'x/a' 'z/b' allow
	np_verify
}

@test "netpol: stacked policies add up" {
	np_policy '{"metadata":{"namespace":"x","name":"a-from-b"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"from":[{"podSelector":'"$(pod_is b)"'}]}]}}'
	np_policy '{"metadata":{"namespace":"x","name":"a-from-y-on-81"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"from":[{"namespaceSelector":'"$(ns_is y)"'}],
			"ports":[{"port":81}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect 'x/b' 'x/a' allow
	np_expect 'y/*' 'x/a' allow 81/tcp
	np_verify
}

@test "netpol: ingress and egress are controlled independently" {
	np_policy '{"metadata":{"namespace":"x","name":"a-in-from-y"},
		"spec":{"podSelector":'"$(pod_is a)"',"ingress":[{"from":[{"namespaceSelector":'"$(ns_is y)"'}]}]}}'
	np_policy '{"metadata":{"namespace":"x","name":"a-out-to-z"},
		"spec":{"podSelector":'"$(pod_is a)"',"policyTypes":["Egress"],
			"egress":[{"to":[{"namespaceSelector":'"$(ns_is z)"'}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect 'y/*' 'x/a' allow
	np_expect 'x/a' '*' deny
	np_expect 'x/a' 'z/*' allow
	np_verify
}

@test "netpol: egress is denied on the client side even where the server allows it" {
	np_policy '{"metadata":{"namespace":"x","name":"a-out-to-b"},
		"spec":{"podSelector":'"$(pod_is a)"',"policyTypes":["Egress"],
			"egress":[{"to":[{"podSelector":'"$(pod_is b)"'}]}]}}'
	np_policy '{"metadata":{"namespace":"y","name":"allow-all-in"},"spec":{"podSelector":{},"ingress":[{}]}}'
	np_expect 'x/a' '*' deny
	np_expect 'x/a' 'x/b' allow
	np_verify
}

@test "netpol: ingress is denied on the server side even where the client allows it" {
	np_policy '{"metadata":{"namespace":"x","name":"a-out-anywhere"},
		"spec":{"podSelector":'"$(pod_is a)"',"policyTypes":["Egress"],"egress":[{}]}}'
	np_policy '{"metadata":{"namespace":"y","name":"deny-in"},"spec":{"podSelector":{}}}'
	np_expect '*' 'y/*' deny
	np_verify
}

@test "netpol: policyTypes defaults to Ingress and Egress when egress rules are given" {
	np_policy '{"metadata":{"namespace":"x","name":"a-out-to-y"},
		"spec":{"podSelector":'"$(pod_is a)"',"egress":[{"to":[{"namespaceSelector":'"$(ns_is y)"'}]}]}}'
	np_expect '*' 'x/a' deny
	np_expect 'x/a' '*' deny
	np_expect 'x/a' 'y/*' allow
	np_verify
}

@test "netpol: policyTypes Ingress alone leaves egress open, egress rules or not" {
	np_policy '{"metadata":{"namespace":"x","name":"ingress-only"},
		"spec":{"podSelector":{},"policyTypes":["Ingress"],
			"ingress":[{"from":[{"podSelector":{}}]}],
			"egress":[{"to":[{"podSelector":'"$(pod_is b)"'}]}]}}'
	np_expect '[yz]/*' 'x/*' deny
	np_verify
}
