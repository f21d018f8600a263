#!/usr/bin/env bats
# The edge: pods reach the simulated internet through the node's
# ip-masq-agent and the cloud gateway's 1:1 NAT; the internet reaches
# LoadBalancer Services through the cloud L4 load balancer and NodePorts
# through a node's public address; nothing else of the lab is reachable.
# Claims are checked with curl, dig, tcpdump, conntrack and `nft list` in
# the namespaces involved, never with podpath's own report.

LAB=pp-bats-edge
IPT=pp-bats-edge-ipt
load helpers

setup_file() {
	lab_cleanup
	lab_cleanup "$IPT"
	ip link show | grep -c '^[0-9]' >"$BATS_FILE_TMPDIR/host-links"
	pp setup -f "$TOPOS/good/edge.json" >/dev/null
	"$PODPATH" --lab "$IPT" setup -f "$TOPOS/good/edge.json" --proxy-mode iptables >/dev/null
}

teardown_file() {
	lab_cleanup
	lab_cleanup "$IPT"
}

NS() { echo "${2:-$LAB}_$1"; }
laptop() { ip netns exec "$(NS inet_laptop "${1:-$LAB}")" curl -s -m 3 "${@:2}"; }
# The address a node's traffic leaves the gateway with, as the kernel's NAT
# map holds it (not podpath's report).
public_of() { # NODE-IP [LAB]
	ip netns exec "$(NS gateway "${2:-$LAB}")" nft list map ip cloud-gateway node-to-public |
		grep -o "$1 comment \"[^\"]*\" : [0-9.]*" | awk '{print $NF}'
}
# A LoadBalancer Service's public IP, as the load balancer's listener map holds it.
lb_ip_of() { # NS/NAME [LAB]
	ip netns exec "$(NS lb "${2:-$LAB}")" nft list map ip cloud-lb listeners |
		grep -o "[0-9.]* \. tcp \. 80 comment \"$1:80\"" | awk '{print $1}'
}
node_ip() { ip -n "$(NS "node_$1" "${2:-$LAB}")" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }
# Connections conntrack saw on a node to a NodePort.
ct_count() { # NODE PORT [LAB]
	ip netns exec "$(NS "node_$1" "${3:-$LAB}")" conntrack -L -p tcp --dport "$2" 2>/dev/null | grep -c . || true
}

@test "the internet is TEST-NET hosts only, with no way out of the lab" {
	[ "$(pod_ip "$(NS inet_example.com)")" = 203.0.113.10 ]
	# The internet router knows its own segment and the cloud's public
	# range, nothing else: no default route, so nothing can leave.
	[ -z "$(ip -n "$(NS internet)" route show default)" ]
	run ip -n "$(NS internet)" route get 8.8.8.8
	[ "$status" -ne 0 ]
	# No link was added to the host's namespace.
	[ "$(ip link show | grep -c '^[0-9]')" = "$(cat "$BATS_FILE_TMPDIR/host-links")" ]
}

@test "internet DNS answers for internet hosts; the cluster DNS forwards to it" {
	run ip netns exec "$(NS inet_laptop)" dig +short +time=2 +tries=1 @203.0.113.53 example.com
	[ "$output" = 203.0.113.10 ]
	run ip netns exec "$(NS inet_laptop)" dig +time=2 +tries=1 @203.0.113.53 nothing.example.org
	[[ "$output" == *"status: NXDOMAIN"* ]]
	# A pod asks kube-dns, which asks the internet's DNS through the edge.
	run pp exec default/client -- dig +short +time=2 +tries=1 example.com
	[ "$output" = 203.0.113.10 ]
	# exec gives internet hosts and nodes the internet's resolver.
	run pp exec internet/laptop -- getent hosts example.com
	[[ "$output" == "203.0.113.10"* ]]
	run pp exec node/node-1 -- getent hosts example.com
	[[ "$output" == "203.0.113.10"* ]]
}

@test "pod to internet: SNAT to the node, then to the node's public address; the host sees the latter" {
	pub=$(public_of "$(node_ip node-1)")
	[[ "$pub" == 198.51.100.* ]]
	# Captured inside the namespaces: the VPC router's link to the gateway,
	# then the internet host's own interface.
	tcpdump_start "$(NS vpc)" -Q out -i igw -n -c 1 -w "$BATS_TEST_TMPDIR/vpc.pcap" tcp dst port 80
	vpc=$TCPDUMP_PID
	tcpdump_start "$(NS inet_example.com)" -Q in -i eth0 -n -c 1 \
		-w "$BATS_TEST_TMPDIR/host.pcap" tcp dst port 80
	host=$TCPDUMP_PID
	out=$(pp exec default/client -- curl -s -m 3 http://example.com/)
	wait $vpc $host
	# The host answered and saw node-1's public address...
	[[ "$out" == *"internet-host=example.com"* ]]
	[[ "$out" == *"client=$pub:"* ]]
	# ...which the packet had only after the gateway: inside the VPC its
	# source was node-1's own address (ip-masq-agent), after it the public one.
	tcpdump -n -r "$BATS_TEST_TMPDIR/vpc.pcap" 2>/dev/null | grep -q "$(node_ip node-1)\.[0-9]* > 203.0.113.10.80"
	tcpdump -n -r "$BATS_TEST_TMPDIR/host.pcap" 2>/dev/null | grep -q "$pub\.[0-9]* > 203.0.113.10.80"
	# A pod on node-2 leaves with node-2's public address.
	pub2=$(public_of "$(node_ip node-2)")
	[ "$pub2" != "$pub" ]
	run pp exec default/web-2 -- curl -s -m 3 http://example.com/
	[[ "$output" == *"client=$pub2:"* ]]
}

@test "pod to pod is never masqueraded, with ip-masq-agent in place" {
	ip netns exec "$(NS node_node-1)" nft list chain ip ip-masq-agent ip-masq-agent |
		grep -q "ip daddr 10.244.0.0/16 return"
	client=$(pod_ip "$(NS pod_default_client)")
	run pp exec default/client -- curl -s -m 3 "http://$(pod_ip "$(NS pod_default_web-2)"):8080/"
	[[ "$output" == *"client=$client:"* ]]
}

@test "the internet cannot reach a pod, nor a node except through its public address" {
	run laptop "$LAB" "http://$(pod_ip "$(NS pod_default_web-2)"):8080/"
	[ "$status" -ne 0 ]
	# Even with a route to the cluster forced into the internet router,
	# the gateway lets through only its public addresses: the drop rule counts it.
	ip -n "$(NS internet)" route add 10.244.0.0/16 via 198.51.100.1 dev cloud onlink
	run laptop "$LAB" -m 1 "http://$(pod_ip "$(NS pod_default_web-2)"):8080/"
	ip -n "$(NS internet)" route del 10.244.0.0/16
	[ "$status" -ne 0 ]
	ip netns exec "$(NS gateway)" nft list chain ip cloud-gateway forward |
		grep "nothing else" | grep -qv "packets 0 "
}

@test "NodePort from the internet through a node's public address" {
	pub=$(public_of "$(node_ip node-1)")
	np=$(ip netns exec "$(NS node_node-1)" nft list map ip kube-proxy service-nodeports |
		grep -o "tcp \. [0-9]* comment \"default/web-lb:http\"" | awk '{print $3}')
	[ -n "$np" ]
	run laptop "$LAB" "http://$pub:$np/"
	[[ "$output" == *"pod=default/web-"* ]]
}

lb_checks() { # LAB
	local lab=$1 lb local_lb np np_local n1 n2 out
	lb=$(lb_ip_of default/web-lb "$lab")
	local_lb=$(lb_ip_of default/local-lb "$lab")
	[[ "$lb" == 198.51.100.* && "$local_lb" == 198.51.100.* ]]
	# Cluster: spread over both nodes' NodePorts (conntrack on each node
	# counts the connections that entered it), and the client's address is
	# not kept (kube-proxy masquerades).
	np=$(ip netns exec "$(NS lb "$lab")" nft list table ip cloud-lb |
		grep -A1 "target-default/web-lb/tcp/80/node-1 {" | grep -o "NodePort [0-9]*" | awk '{print $2}')
	for i in $(seq 1 40); do
		out=$(laptop "$lab" "http://$lb/")
		[[ "$out" == *"pod=default/web-"* ]]
		[[ "$out" != *"client=203.0.113.20:"* ]]
	done
	n1=$(ct_count node-1 "$np" "$lab")
	n2=$(ct_count node-2 "$np" "$lab")
	echo "connections entering node-1: $n1, node-2: $n2"
	[ "$n1" -ge 5 ]
	[ "$n2" -ge 5 ]
	# Local: the client's own address reaches the pod, and only node-2
	# (where local-1 runs) is ever sent traffic.
	np_local=$(ip netns exec "$(NS lb "$lab")" nft list table ip cloud-lb |
		grep -A1 "target-default/local-lb/tcp/80/node-2 {" | grep -o "NodePort [0-9]*" | awk '{print $2}')
	for i in $(seq 1 10); do
		out=$(laptop "$lab" "http://$local_lb/")
		[[ "$out" == *"pod=default/local-1"* ]]
		[[ "$out" == *"client=203.0.113.20:"* ]]
	done
	[ "$(ct_count node-1 "$np_local" "$lab")" -eq 0 ]
	[ "$(ct_count node-2 "$np_local" "$lab")" -ge 10 ]
	# Sent to node-1 anyway (its public address), Local traffic is dropped
	# there: node-1 sees the client's SYN twice (the retransmission says the
	# first went unanswered), and curl, still waiting then, got nothing. A
	# wait for the retransmission, not a timeout: a reset or an answer would
	# end curl at once, and tcpdump would never see a second SYN.
	tcpdump_start "$(NS node_node-1 "$lab")" -l -n -c 2 -i eth0 \
		"tcp dst port $np_local and tcp[tcpflags] & tcp-syn != 0" >"$BATS_TEST_TMPDIR/syn"
	cap=$TCPDUMP_PID
	laptop "$lab" -m 60 "http://$(public_of "$(node_ip node-1 "$lab")" "$lab"):$np_local/" >"$BATS_TEST_TMPDIR/curl" 2>&1 &
	cpid=$!
	wait $cap || true
	curl_ran=0
	kill $cpid 2>/dev/null && curl_ran=1
	wait $cpid || true
	cat "$BATS_TEST_TMPDIR/syn"
	[ "$(grep -c 'Flags \[S\]' "$BATS_TEST_TMPDIR/syn")" -eq 2 ]
	[ "$curl_ran" -eq 1 ]
	[ ! -s "$BATS_TEST_TMPDIR/curl" ]
}

@test "LoadBalancer (nftables mode): Cluster spreads over nodes and hides the client, Local keeps it" {
	lb_checks "$LAB"
}

@test "LoadBalancer (iptables mode): the same behaviour from kube-proxy's iptables layout" {
	lb_checks "$IPT"
	ip netns exec "$(NS node_node-1 "$IPT")" iptables-save -t nat |
		grep -q -- "--comment \"default/web-lb:http loadbalancer IP\""
}

@test "a pod reaching a LoadBalancer IP is served by kube-proxy on its own node" {
	lb=$(lb_ip_of default/local-lb)
	client=$(pod_ip "$(NS pod_default_client)")
	run pp exec default/client -- curl -s -m 3 "http://$lb/"
	# Short-circuited by kube-proxy (externalTrafficPolicy Local keeps pod
	# traffic on the whole Service, unmasqueraded): the LB never sees it.
	[[ "$output" == *"client=$client:"* ]]
	[ "$(ip netns exec "$(NS lb)" conntrack -L -s "$client" 2>/dev/null | grep -c .)" -eq 0 ]
}

@test "exec and status know internet hosts; bad ones are refused" {
	run pp exec internet/laptop -- cat /proc/sys/kernel/hostname
	[ "$output" = laptop ]
	run pp exec internet/nope -- true
	[ "$status" -eq 2 ]
	[[ "$output" == *'internet host "nope"'* ]]
	run pp exec internet/laptop -c x -- true
	[ "$status" -eq 2 ]
	# The internet's DNS process lives in its host's namespace.
	pid=$(ip netns pids "$(NS inet_dns)")
	[[ "$(cat /proc/$pid/comm)" == dnsmasq ]]
}

@test "bad edge definitions exit 2 naming the field and build nothing" {
	run "$PODPATH" --lab pp-bats-edge-bad setup -f "$TOPOS/bad/edge-public-not-testnet.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *".network.publicCIDR"*"TEST-NET"* ]]
	run "$PODPATH" --lab pp-bats-edge-bad setup -f "$TOPOS/bad/edge-lbip-taken.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *".services[0].loadBalancerIP"* ]]
	[ -z "$(lab_leftovers pp-bats-edge-bad)" ]
}

@test "teardown removes the edge: namespaces, dnsmasq and responders" {
	lab_cleanup "$IPT"
	[ -z "$(lab_leftovers "$IPT")" ]
	[ -z "$(pgrep -af -- "--conf-file=/run/podpath/$IPT/")" ]
}

# ---- trace across the edge ----

tj() { pp -j trace "$@"; }

@test "trace pod -> internet host: both SNAT hops, and the host's view agrees with tcpdump" {
	pub=$(public_of "$(node_ip node-1)")
	tcpdump_start "$(NS inet_example.com)" -Q in -i eth0 -n -c 1 \
		-w "$BATS_TEST_TMPDIR/host.pcap" tcp dst port 80
	cap=$TCPDUMP_PID
	run tj default/client internet/example.com -p http
	wait $cap
	[ "$status" -eq 0 ]
	out=$output
	jq -e '.verdict.result == "delivered"' <<<"$out"
	# First SNAT on node-1 (pod -> node address), second at the gateway
	# (node address -> public address).
	jq -e --arg n "$(node_ip node-1)" 'any(.hops[]; .place == "node node-1" and .interface == "eth0"
		and .direction == "request" and .packet.src == $n)' <<<"$out"
	jq -e --arg p "$pub" 'any(.hops[]; .place == "gateway" and .interface == "internet"
		and .direction == "request" and .packet.src == $p)' <<<"$out"
	# The host's answer names the public address, as the capture at the host shows it.
	jq -e --arg p "$pub" '.verdict.answer | test("client=" + $p + ":")' <<<"$out"
	tcpdump -n -r "$BATS_TEST_TMPDIR/host.pcap" 2>/dev/null | grep -q "$pub\.[0-9]* > 203.0.113.10.80"
}

@test "trace internet -> LoadBalancer (Local): the LB's DNAT to a NodePort, then kube-proxy's to the pod" {
	lb=$(lb_ip_of default/local-lb)
	run tj internet/laptop "$lb:80" -p http
	[ "$status" -eq 0 ]
	out=$output
	jq -e '.verdict.answer | test("pod=default/local-1 .*client=203.0.113.20:")' <<<"$out"
	jq -e --arg n "$(node_ip node-2)" 'any(.hops[]; .place == "load balancer" and .direction == "request"
		and .packet.dst == $n)' <<<"$out"
	jq -e 'any(.hops[]; .service.endpoint.pod == "local-1" and .service.nodeport)' <<<"$out"
	# The reply goes back through the load balancer: the VPC's policy rule.
	jq -e 'any(.hops[]; .place == "VPC" and .interface == "lb" and .direction == "reply"
		and (.why | test("fwmark")))' <<<"$out"
	# conntrack in the load balancer holds the same translation: the
	# reply comes from node-2.
	ip netns exec "$(NS lb)" conntrack -L -d "$lb" 2>/dev/null |
		grep -q "src=$(node_ip node-2) dst=203.0.113.20 "
}

@test "trace internet -> pod address: unreachable at the internet router, as ip route get says" {
	ip=$(pod_ip "$(NS pod_default_web-2)")
	run ip -n "$(NS internet)" route get "$ip"
	[ "$status" -ne 0 ]
	run tj internet/laptop "$ip:8080" --timeout 2
	[ "$status" -eq 1 ]
	jq -e '.verdict.result == "unreachable" and (.verdict.reason | test("first seen at internet"))' <<<"$output"
}

@test "trace from an internet host by name: the internet DNS's answer, then the connection" {
	run pp trace internet/laptop http://example.com/
	[ "$status" -eq 0 ]
	[[ "$output" == *"internet DNS (query example.com)"* ]]
	[[ "$output" == *"verdict: delivered: internet-host=example.com"*"client=203.0.113.20:"* ]]
	[ "$(ip netns exec "$(NS inet_laptop)" dig +short @203.0.113.53 example.com)" = 203.0.113.10 ]
	run pp trace internet/nope default/client
	[ "$status" -eq 2 ]
}
