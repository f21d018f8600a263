#!/usr/bin/env bats
# Every other feature in bgp mode (issue 15, item 5): Services in both proxy
# modes, session affinity, DNS, the edge (egress SNAT, NodePort, the cloud
# L4 load balancer), Ingress, NetworkPolicy, explain and trace, each on a lab
# whose cross-node routes exist only because BIRD learned them. Checked with
# curl, dig, bash /dev/tcp, conntrack, nft / iptables-save and
# `ip route show proto bird`, never with podpath's own report (except where
# podpath's own verdict is the feature: trace and explain).

bats_require_minimum_version 1.5.0

LAB=bgpft		# the default topology, nftables proxy
IPT=bgpfi		# tests/topologies/good/edge.json, iptables proxy
AFF=bgpfa		# tests/topologies/good/proxy.json (session affinity), through
			# the route reflector (nodeToNodeMeshEnabled false)
POL=bgpfp		# a small NetworkPolicy topology

# node-1: client (app=client), frontend (role=frontend); node-2: web
# (app=web) on TCP 80. deny-web isolates web's ingress; allow-frontend
# admits role=frontend on 80/TCP. Every pair crosses nodes.
policy_topology() {
	cat <<'EOF'
{
  "network": { "mode": "bgp" },
  "nodes": [ { "name": "node-1" }, { "name": "node-2" } ],
  "pods": [
    { "name": "client", "node": "node-1", "labels": { "app": "client" },
      "containers": [ { "name": "c" } ] },
    { "name": "frontend", "node": "node-1", "labels": { "role": "frontend" },
      "containers": [ { "name": "c" } ] },
    { "name": "web", "node": "node-2", "labels": { "app": "web" },
      "containers": [ { "name": "web", "ports": [ { "name": "http", "containerPort": 80 } ] } ] }
  ],
  "services": [
    { "name": "web", "selector": { "app": "web" },
      "ports": [ { "name": "http", "port": 8080, "targetPort": "http" } ] }
  ],
  "networkPolicies": [
    { "metadata": { "name": "deny-web" },
      "spec": { "podSelector": { "matchLabels": { "app": "web" } }, "policyTypes": [ "Ingress" ] } },
    { "metadata": { "name": "allow-frontend" },
      "spec": { "podSelector": { "matchLabels": { "app": "web" } },
                "ingress": [ { "from": [ { "podSelector": { "matchLabels": { "role": "frontend" } } } ],
                               "ports": [ { "protocol": "TCP", "port": 80 } ] } ] } }
  ]
}
EOF
}

setup_file() {
	load helpers
	for l in $LAB $IPT $AFF $POL; do lab_cleanup $l; done
	"$PODPATH" --lab $LAB setup --network bgp >/dev/null
	"$PODPATH" --lab $IPT setup -f "$TOPOS/good/edge.json" --network bgp --proxy-mode iptables >/dev/null
	jq '.network += { "mode": "bgp", "bgp": { "nodeToNodeMeshEnabled": false } }' \
		"$TOPOS/good/proxy.json" >"$BATS_FILE_TMPDIR/rr.json"
	"$PODPATH" --lab $AFF setup -f "$BATS_FILE_TMPDIR/rr.json" >/dev/null
	policy_topology >"$BATS_FILE_TMPDIR/policy.json"
	"$PODPATH" --lab $POL setup -f "$BATS_FILE_TMPDIR/policy.json" >/dev/null
}

teardown_file() {
	load helpers
	for l in $LAB $IPT $AFF $POL; do lab_cleanup $l; done
}

setup() { load helpers; }

NS() { echo "${2:-$LAB}_$1"; }
# The ClusterIP of Service NS/NAME:PORT as kube-proxy's rules in node-1 hold it.
cluster_ip() { # SVC-PORT-NAME [LAB]
	ip netns exec "$(NS node_node-1 "${2:-$LAB}")" nft list map ip kube-proxy service-ips |
		grep -o "10\.9[6-9]\.[0-9.]* \. tcp \. [0-9]* comment \"$1\"" | awk '{print $1}'
}
ipt_cluster_ip() { # SVC-PORT-NAME [LAB]
	ip netns exec "$(NS node_node-1 "${2:-$IPT}")" iptables-save |
		grep -- "--comment \"$1 cluster IP\"" | grep -o -- '-d [0-9.]*/32' | head -1 | cut -d' ' -f2 | cut -d/ -f1
}
# N HTTP requests from a namespace, one `pod=...` word per answer.
answers() { # NETNS URL N [CURL-ARGS...]
	local ns=$1 url=$2 n=$3 i
	shift 3
	for i in $(seq "$n"); do
		ip netns exec "$ns" curl -s -m 5 "$@" "$url" | grep -o '^pod=[^ ]*' || true
	done
}
public_of() { # NODE-IP LAB
	ip netns exec "$(NS gateway "$2")" nft list map ip cloud-gateway node-to-public |
		grep -o "$1 comment \"[^\"]*\" : [0-9.]*" | awk '{print $NF}'
}
node_ip() { ip -n "$(NS "node_$1" "${2:-$LAB}")" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }
lb_ip_of() { # NS/NAME PORT LAB
	ip netns exec "$(NS lb "$3")" nft list map ip cloud-lb listeners |
		grep -o "[0-9.]* \. tcp \. $2 comment \"$1:$2\"" | awk '{print $1}'
}
ct_count() { # NODE PORT LAB
	ip netns exec "$(NS "node_$1" "$3")" conntrack -L -p tcp --dport "$2" 2>/dev/null | grep -c . || true
}

@test "every lab routes across nodes only by BIRD: proto bird routes, no static peer routes, none in the VPC router" {
	for l in $LAB $IPT $AFF $POL; do
		echo "lab $l"
		run ip -n "$(NS node_node-1 $l)" route show proto bird
		[[ "$output" == *"10.244.2.0/24 via $(node_ip node-2 $l) dev eth0"* ]]
		run ip -n "$(NS node_node-2 $l)" route show proto bird
		[[ "$output" == *"10.244.1.0/24 via $(node_ip node-1 $l) dev eth0"* ]]
		[ -z "$(ip -n "$(NS node_node-1 $l)" route show proto static 10.244.2.0/24)" ]
		[ -z "$(ip -n "$(NS vpc $l)" route show | grep '^10\.244\.')" ]
		run birdc -s "/run/podpath/$l/bgp/node-1.ctl" show protocols
		[[ "$output" =~ Mesh_[0-9_]+\ +BGP\ .*\ up\ .*Established ]] || [ $l = $AFF ]
		# and check finds the kernel as planned, in every proxy mode and peering
		run "$PODPATH" --lab $l check
		[ "$status" -eq 0 ]
	done
	# $AFF: node-1's one session is with the route reflector in the VPC router
	run birdc -s "/run/podpath/$AFF/bgp/node-1.ctl" show protocols
	[[ "$output" =~ Node_172_18_0_1\ +BGP\ .*\ up\ .*Established ]]
	[[ "$output" != *Mesh_* ]]
}

@test "nftables proxy: a ClusterIP reaches both endpoints from a pod on either node, with the client's own IP" {
	ip=$(cluster_ip default/web:http)
	[ -n "$ip" ]
	# client runs on node-1, api-1 on node-2: each reaches the endpoint on
	# the other node through BIRD's route.
	for src in default_client default_api-1; do
		ns=$(NS "pod_$src")
		out=$(answers "$ns" "http://$ip/" 30)
		echo "$src: $(sort <<<"$out" | uniq -c | tr '\n' ' ')"
		grep -qx 'pod=default/web-1' <<<"$out"
		grep -qx 'pod=default/web-2' <<<"$out"
		[ "$(wc -l <<<"$out")" -eq 30 ]
	done
	run ip netns exec "$(NS pod_default_client)" curl -s -m 5 "http://$ip/"
	[[ "$output" == *"client=$(pod_ip "$(NS pod_default_client)"):"* ]]
	# kube-proxy's nftables rules in the node name the Service.
	run ip netns exec "$(NS node_node-2)" nft list table ip kube-proxy
	[[ "$output" == *"comment \"default/web:http\""* ]]
	[[ "$output" == *"numgen random mod 2 vmap"* ]]
}

@test "iptables proxy: a ClusterIP reaches both endpoints across nodes; iptables-save shows the KUBE-SVC cascade" {
	ip=$(ipt_cluster_ip default/web-lb:http)
	[ -n "$ip" ]
	for src in default_client default_local-1; do
		out=$(answers "$(NS "pod_$src" $IPT)" "http://$ip/" 30)
		echo "$src: $(sort <<<"$out" | uniq -c | tr '\n' ' ')"
		grep -qx 'pod=default/web-1' <<<"$out"
		grep -qx 'pod=default/web-2' <<<"$out"
	done
	run ip netns exec "$(NS node_node-2 $IPT)" iptables-save
	[[ "$output" == *"-A KUBE-SERVICES -d $ip/32 -p tcp -m comment --comment \"default/web-lb:http cluster IP\""* ]]
	[[ "$output" == *"--mode random --probability 0.50000000000 -j KUBE-SEP-"* ]]
	# and no kube-proxy table of the nftables mode there
	run ip netns exec "$(NS node_node-2 $IPT)" nft list table ip kube-proxy
	[ "$status" -ne 0 ]
}

@test "through the route reflector: a ClusterIP reaches both nodes; sessionAffinity ClientIP keeps one client on one endpoint" {
	out=$(answers "$(NS pod_default_client $AFF)" http://10.96.0.22/ 20)
	echo "sticky: $(sort <<<"$out" | uniq -c | tr '\n' ' ')"
	[ "$(wc -l <<<"$out")" -eq 20 ]
	[ "$(sort -u <<<"$out" | wc -l)" -eq 1 ]
	# the control: without affinity the same client spreads over both nodes
	out=$(answers "$(NS pod_default_client $AFF)" http://10.96.0.20/ 30)
	[ "$(sort -u <<<"$out" | wc -l)" -eq 2 ]
}

@test "DNS: kube-dns on node-2 answers a pod on node-1, cluster names and internet names" {
	ns=$(NS pod_default_client)
	run ip netns exec "$ns" dig +short +time=2 +tries=3 @10.96.0.10 web.default.svc.cluster.local
	[ "$output" = "$(cluster_ip default/web:http)" ]
	run ip netns exec "$ns" dig +short +time=2 +tries=3 @10.96.0.10 example.com
	[ "$output" = 203.0.113.10 ]
	# over TCP too (the kube-dns Service's second port)
	run ip netns exec "$ns" dig +tcp +short +time=2 +tries=3 @10.96.0.10 web.default.svc.cluster.local
	[ "$output" = "$(cluster_ip default/web:http)" ]
}

@test "egress: a pod reaches the internet; the internet host sees its node's public address" {
	for l in $LAB $IPT; do
		pub=$(public_of "$(node_ip node-1 $l)" $l)
		[[ "$pub" == 198.51.100.* ]]
		run ip netns exec "$(NS pod_default_client $l)" curl -s -m 5 http://example.com/ --resolve example.com:80:203.0.113.10
		echo "$l: $output"
		[[ "$output" == "internet-host=example.com "*"client=$pub:"* ]]
	done
	# a pod on node-2 leaves with node-2's address
	pub=$(public_of "$(node_ip node-2)" $LAB)
	run ip netns exec "$(NS pod_default_web-2)" curl -s -m 5 http://203.0.113.10/
	[[ "$output" == *"client=$pub:"* ]]
}

@test "NodePort from the internet: each node's public address reaches the endpoints on both nodes" {
	np=$(ip netns exec "$(NS node_node-1 $IPT)" iptables-save |
		grep -o -- '--comment "default/web-lb:http" -m tcp --dport [0-9]*' | awk '{print $NF}' | head -1)
	[ -n "$np" ]
	for n in node-1 node-2; do
		pub=$(public_of "$(node_ip $n $IPT)" $IPT)
		out=$(answers "$(NS inet_laptop $IPT)" "http://$pub:$np/" 30)
		echo "$n $pub:$np: $(sort <<<"$out" | uniq -c | tr '\n' ' ')"
		grep -qx 'pod=default/web-1' <<<"$out"
		grep -qx 'pod=default/web-2' <<<"$out"
	done
}

@test "the cloud L4 load balancer: Cluster spreads over both nodes, Local keeps the client's address" {
	lb=$(lb_ip_of default/web-lb 80 $IPT)
	local_lb=$(lb_ip_of default/local-lb 80 $IPT)
	[[ "$lb" == 198.51.100.* && "$local_lb" == 198.51.100.* ]]
	np=$(ip netns exec "$(NS lb $IPT)" nft list table ip cloud-lb |
		grep -A1 "target-default/web-lb/tcp/80/node-1 {" | grep -o "NodePort [0-9]*" | awk '{print $2}')
	# conntrack still holds the NodePort test's connections: count the new ones
	b1=$(ct_count node-1 "$np" $IPT)
	b2=$(ct_count node-2 "$np" $IPT)
	out=$(answers "$(NS inet_laptop $IPT)" "http://$lb/" 40)
	[ "$(wc -l <<<"$out")" -eq 40 ]
	grep -qx 'pod=default/web-1' <<<"$out"
	grep -qx 'pod=default/web-2' <<<"$out"
	n1=$(($(ct_count node-1 "$np" $IPT) - b1))
	n2=$(($(ct_count node-2 "$np" $IPT) - b2))
	echo "connections entering node-1: $n1, node-2: $n2"
	[ "$n1" -ge 5 ]
	[ "$n2" -ge 5 ]
	run ip netns exec "$(NS inet_laptop $IPT)" curl -s -m 5 "http://$local_lb/"
	[[ "$output" == "pod=default/local-1 "*"client=203.0.113.20:"* ]]
}

@test "Ingress: https from the laptop through the LB and nginx on node-1 reaches web pods on both nodes" {
	lb=$(lb_ip_of ingress-nginx/ingress-nginx-controller 443 $LAB)
	[[ "$lb" == 198.51.100.* ]]
	out=$(answers "$(NS inet_laptop)" https://web.example.test/ 30 \
		--cacert "/run/podpath/$LAB/ca.pem" --resolve "web.example.test:443:$lb")
	echo "$(sort <<<"$out" | uniq -c | tr '\n' ' ')"
	[ "$(wc -l <<<"$out")" -eq 30 ]
	grep -qx 'pod=default/web-1' <<<"$out"
	grep -qx 'pod=default/web-2' <<<"$out"
	# the certificate verified against the lab CA (curl would fail otherwise)
	run ip netns exec "$(NS inet_laptop)" curl -s -m 5 --cacert "/run/podpath/$LAB/ca.pem" \
		--resolve "web.example.test:443:$lb" -o /dev/null -w '%{ssl_verify_result}' https://web.example.test/
	[ "$output" = 0 ]
}

@test "NetworkPolicy across nodes: the denied pair fails, the admitted one connects; trace names the policy" {
	web=$(pod_ip "$(NS pod_default_web $POL)")
	# a denied SYN is never answered: 3 s is what it gets; the admitted
	# one 30 s, a bound for a loaded machine.
	run ip netns exec "$(NS pod_default_client $POL)" timeout 3 bash -c "exec 3<>/dev/tcp/$web/80"
	[ "$status" -ne 0 ]
	run ip netns exec "$(NS pod_default_frontend $POL)" timeout 30 bash -c "exec 3<>/dev/tcp/$web/80"
	[ "$status" -eq 0 ]
	run "$PODPATH" --lab $POL -j trace client web -p tcp --port 80
	echo "$output" | jq -c '.verdict | {result, cause, reason}' >&2
	[ "$status" -eq 1 ]
	[ "$(jq -r .verdict.cause <<<"$output")" = denied-by-policy ]
	[[ "$(jq -r .verdict.reason <<<"$output")" == *"default/deny-web"* ]]
	run "$PODPATH" --lab $POL -j trace frontend web -p tcp --port 80
	[ "$status" -eq 0 ]
	[ "$(jq -r .verdict.result <<<"$output")" = delivered ]
	[ "$(jq -r .policy.ingress.admitted_by.policy <<<"$output")" = default/allow-frontend ]
}

@test "trace: a Service across nodes is delivered, through node-1's proto bird route" {
	# retry until kube-proxy's random choice picks web-2, on node-2
	for i in $(seq 20); do
		run "$PODPATH" --lab $LAB -j trace default/client svc/default/web -p http
		[ "$status" -eq 0 ]
		[ "$(jq -r .verdict.result <<<"$output")" = delivered ]
		[[ "$(jq -r .verdict.reason <<<"$output")" == *"pod=default/web-2 "* ]] && break
	done
	[[ "$(jq -r .verdict.reason <<<"$output")" == *"pod=default/web-2 "* ]]
	run "$PODPATH" --lab $LAB trace default/client default/web-2 -p http
	[ "$status" -eq 0 ]
	[[ "$output" == *"route 10.244.2.0/24 via $(node_ip node-2)"* ]]
}

@test "explain: every topic runs on a bgp lab" {
	for t in model container-to-container pod-to-pod cross-node pod-to-service dns egress ingress; do
		run "$PODPATH" --lab $LAB explain "$t" --live
		echo "$t: status $status, ${#output} bytes"
		[ "$status" -eq 0 ]
		[ -n "$output" ]
	done
	# no live trace for these two
	for t in basics summary; do
		run "$PODPATH" --lab $LAB explain "$t"
		[ "$status" -eq 0 ]
		[ -n "$output" ]
	done
	# the policy topic needs a lab with a policy
	run "$PODPATH" --lab $POL explain network-policy --live
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	# cross-node teaches BGP on this lab: what it says of the session and the
	# learned route, checked against birdc and the kernel
	run "$PODPATH" --lab $LAB explain cross-node --live
	[ "$status" -eq 0 ]
	[[ "$output" == *BGP*BIRD* ]]
	birdc -s "/run/podpath/$LAB/bgp/node-1.ctl" show protocols | grep -q 'Mesh_172_18_0_3 .* up .*Established'
	[[ "$output" == *"node-1's session Mesh_172_18_0_3 with node-2 "*": established"* ]]
	ip -n "$(NS node_node-1)" route show proto bird | grep -q "^10.244.2.0/24 via $(node_ip node-2) "
	[[ "$output" == *"node-1 learned 10.244.2.0/24 from node-2, next hop $(node_ip node-2)"* ]]
	[[ "$output" == *"10.244.2.0/24 via $(node_ip node-2) dev eth0"* ]]
}

@test "teardown of a bgp lab leaves no BIRD, socket, file or namespace" {
	"$PODPATH" --lab $AFF teardown >/dev/null
	[ -z "$(lab_leftovers $AFF)" ]
	[ -z "$(pgrep -af -- "/run/podpath/$AFF/bgp/")" ]
}
