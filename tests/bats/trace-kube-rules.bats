#!/usr/bin/env bats
# trace --netns through a node that runs exactly what real kube-proxy writes
# (tests/fixtures/kube-proxy, loaded with nft -f and iptables-restore): the
# Service and endpoint behind each DNAT are named from kube-proxy's own
# chain names and rule comments, with no lab state. conntrack, nft and
# iptables in the node check what trace says.

FIX="$BATS_TEST_DIRNAME/../fixtures/kube-proxy"
P=ppkr
# Per layout: a client, the node with kube-proxy's rules, the endpoints.
NS="${P}n_client ${P}n_node ${P}n_ep ${P}i_client ${P}i_node ${P}i_ep"
HOLDER="ppkr-socat-holder"

# The fixture's world: pods in 10.0.0.0/8, node IP 192.168.0.2, endpoints
# 10.180.0.1-5 (here all in one namespace), listening on port 80.
world() {
	local p=$1
	for n in client node ep; do ip netns add ${p}_$n; ip -n ${p}_$n link set lo up; done
	ip -n ${p}_node link add cli0 type veth peer name eth0 netns ${p}_client
	ip -n ${p}_node link add ep0 type veth peer name eth0 netns ${p}_ep
	ip -n ${p}_node addr add 10.0.1.1/24 dev cli0
	ip -n ${p}_node addr add 10.180.0.254/24 dev ep0
	ip -n ${p}_node addr add 192.168.0.2/32 dev lo
	ip -n ${p}_node link set cli0 up
	ip -n ${p}_node link set ep0 up
	ip -n ${p}_node route add default via 10.180.0.5
	ip netns exec ${p}_node sysctl -qw net.ipv4.ip_forward=1
	ip -n ${p}_client addr add 10.0.1.2/24 dev eth0
	ip -n ${p}_client link set eth0 up
	ip -n ${p}_client route add default via 10.0.1.1
	for a in 1 2 3 4 5; do ip -n ${p}_ep addr add 10.180.0.$a/24 dev eth0; done
	ip -n ${p}_ep link set eth0 up
	ip -n ${p}_ep route add default via 10.180.0.254
	# argv[0] names the listener so teardown finds it
	ip netns exec ${p}_ep bash -c "exec -a $HOLDER socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello'" \
		</dev/null >/dev/null 2>&1 &
}

# kube-proxy's iptables jumps from the built-in chains (it installs them
# apart from the dump: see the fixture's README).
ipt_jumps() {
	local x="ip netns exec $1 iptables" c
	$x -t nat -A PREROUTING -j KUBE-SERVICES
	$x -t nat -A OUTPUT -j KUBE-SERVICES
	$x -t nat -A POSTROUTING -j KUBE-POSTROUTING
	for c in INPUT FORWARD; do $x -A $c -m conntrack --ctstate NEW -j KUBE-EXTERNAL-SERVICES; done
	for c in FORWARD OUTPUT; do $x -A $c -m conntrack --ctstate NEW -j KUBE-SERVICES; done
	$x -A FORWARD -j KUBE-FORWARD
	$x -A INPUT -j KUBE-NODEPORTS
	for c in INPUT FORWARD OUTPUT; do $x -A $c -j KUBE-PROXY-FIREWALL; done
	for c in INPUT OUTPUT; do $x -A $c -j KUBE-FIREWALL; done
}

cleanup() {
	pkill -f "^$HOLDER" 2>/dev/null || true
	for n in $NS; do ip netns del $n 2>/dev/null || true; done
}

setup_file() {
	cleanup
	world ${P}n
	ip netns exec ${P}n_node nft -f "$FIX/nftables-expected-1.listed.nft"
	world ${P}i
	grep -v nfacct "$FIX/iptables-expected-1.txt" | ip netns exec ${P}i_node iptables-restore
	ipt_jumps ${P}i_node
	# The endpoints' listener is up before any test (bounded, for a hang).
	for p in ${P}n ${P}i; do
		for i in $(seq 300); do ip netns exec ${p}_ep ss -Hltn | grep -q ':80 ' && break; sleep 0.1; done
		ip netns exec ${p}_ep ss -Hltn | grep -q ':80 '
	done
}

teardown_file() { cleanup; }

setup() { load helpers; }

# The endpoint conntrack in NODE gives the flow from client port SPORT:
# the reply direction's source (the second src=).
ct_endpoint() {
	ip netns exec "$1" conntrack -L -p tcp --orig-port-src "$2" 2>/dev/null |
		grep -o 'src=[0-9.]*' | sed -n 2p | cut -d= -f2
}

trace_json() {
	run "$PODPATH" -j trace --netns "$@"
	echo "$output"
}

# A ClusterIP through layout L (ppkrn, ppkri) whose chains begin SVC_CHAIN
# and EP_CHAIN: the Service and endpoint trace names are the fixture's, and
# conntrack in the node DNATed this very flow to that endpoint. Leaves the
# hop's service object in $svc and the endpoint in $ep.
clusterip_case() {
	local l=$1 svc_chain=$2 ep_chain=$3 dst=$4 sport name
	trace_json ${l}_client $dst:80
	[ "$status" -eq 0 ]
	svc=$(jq -c '[.hops[].service | select(. != null)] | first' <<<"$output")
	sport=$(jq -r '.hops[0].packet.sport' <<<"$output")
	jq -e --arg s "$svc_chain" --arg e "$ep_chain" '.source == "rules" and .protocol == "TCP" and
		.port == 80 and .port_name == "p80" and (.chain | startswith($s)) and
		(.endpoint.chain | startswith($e))' <<<"$svc"
	ep=$(jq -r '.endpoint.ip' <<<"$svc")
	name=$(jq -r '"\(.namespace)/\(.name)"' <<<"$svc")
	case $dst in
	172.30.0.41) [ "$name" = ns1/svc1 ]; [ "$ep" = 10.180.0.1 ] ;;
	172.30.0.44) [ "$name" = ns4/svc4 ]; [[ $ep == 10.180.0.[45] ]] ;;
	esac
	[ "$(ct_endpoint ${l}_node "$sport")" = "$ep" ]
}

@test "nftables layout: a ClusterIP's Service and endpoint named from kube-proxy's chains, as conntrack saw it" {
	for dst in 172.30.0.41 172.30.0.44; do
		clusterip_case ${P}n service- endpoint- $dst
		# and the chains named are in the node's ruleset, the endpoint's DNATing there
		ip netns exec ${P}n_node nft list chain ip kube-proxy "$(jq -r .chain <<<"$svc")" >/dev/null
		ip netns exec ${P}n_node nft list chain ip kube-proxy "$(jq -r .endpoint.chain <<<"$svc")" |
			grep -q "dnat to $ep:80"
	done
}

@test "from the node itself (DNAT in OUTPUT, before any capture): the first hop is named, in both layouts" {
	for l in ${P}n ${P}i; do
		trace_json ${l}_node 172.30.0.41:80
		[ "$status" -eq 0 ]
		jq -e '.hops[0].service | .name == "svc1" and .endpoint.ip == "10.180.0.1" and .port == 80' <<<"$output"
		jq -e '.hops[0].change | contains("destination NAT: 172.30.0.41:80 -> 10.180.0.1:80")' <<<"$output"
		sport=$(jq -r '.hops[0].packet.sport' <<<"$output")
		ip netns exec ${l}_node conntrack -L -p tcp --reply-src 10.180.0.1 --reply-port-dst "$sport" 2>/dev/null |
			grep -q 'dst=172.30.0.41 '
	done
}

@test "nftables layout: a NodePort, masqueraded on the way, followed to its endpoint" {
	trace_json ${P}n_client 192.168.0.2:3003
	[ "$status" -eq 0 ]
	jq -e '[.hops[].service | select(. != null)] | first |
		.namespace == "ns3" and .name == "svc3" and .nodeport and .node_port == 3003 and
		.port == null and .endpoint.ip == "10.180.0.3"' <<<"$output"
	# the hop after the node shows the masqueraded source, as conntrack has it
	jq -e 'any(.hops[]; .netns == "ppkrn_ep" and .direction == "request" and .packet.src == "10.180.0.254")' <<<"$output"
	sport=$(jq -r '.hops[0].packet.sport' <<<"$output")
	ip netns exec ${P}n_node conntrack -L -p tcp --orig-port-src "$sport" 2>/dev/null | grep -q 'dst=10.180.0.254'
}

@test "nftables layout: a Service without endpoints is rejected, and said to have none" {
	trace_json ${P}n_client 172.30.0.46:80
	[ "$status" -eq 1 ]
	jq -e '.verdict.result == "dropped"' <<<"$output"
	jq -r .verdict.reason <<<"$output" | grep -q "without endpoints.*reject-chain"
	ip netns exec ${P}n_node nft list map ip kube-proxy no-endpoint-services | grep -q '172.30.0.46 . tcp . 80'
}

@test "iptables layout (iptables-restore): Services named from the rule comments, endpoints from KUBE-SEP" {
	for dst in 172.30.0.41 172.30.0.44; do
		clusterip_case ${P}i KUBE-SVC- KUBE-SEP- $dst
		# iptables itself says the KUBE-SEP chain named DNATs to that endpoint
		ip netns exec ${P}i_node iptables -t nat -S "$(jq -r .endpoint.chain <<<"$svc")" |
			grep -q -- "--to-destination $ep:80"
	done
	trace_json ${P}i_client 192.168.0.2:3003
	[ "$status" -eq 0 ]
	jq -e '[.hops[].service | select(. != null)] | first |
		.name == "svc3" and .nodeport and .node_port == 3003 and .endpoint.ip == "10.180.0.3"' <<<"$output"
}

@test "iptables layout: the REJECT for no endpoints and the load balancer's source-range drop, with their comments" {
	trace_json ${P}i_client 172.30.0.46:80
	[ "$status" -eq 1 ]
	jq -r .verdict.reason <<<"$output" | grep -q 'rejected .*KUBE-SERVICES.*ns6/svc6:p80 has no endpoints'
	trace_json ${P}i_client 5.6.7.8:80
	[ "$status" -eq 1 ]
	jq -r .verdict.reason <<<"$output" | grep -q 'dropped .*KUBE-PROXY-FIREWALL.*ns5/svc5:p80 traffic not accepted'
	# no trace table stayed behind in any namespace
	for n in $NS; do
		tables=$(ip netns exec $n nft list tables)
		[[ "$tables" != *podpath-trace* ]]
	done
}
