#!/usr/bin/env bats
# trace through Services and cluster DNS on the default lab. podpath's
# report is checked against what others say: the backend's own answer (which
# pod served, which client it saw), `nft list` in the node, dig, ip addr.

LAB=pp-bats-trace-svc
load helpers

setup_file() {
	lab_cleanup
	pp setup >/dev/null
}

teardown_file() {
	lab_cleanup
}

@test "svc/NS/NAME: the DNAT hop names the Service, its chain and the endpoint that answered" {
	run pp -j trace default/client svc/default/web -p http
	[ "$status" -eq 0 ]
	[ "$(jq -r .verdict.result <<<"$output")" = delivered ]
	[ "$(jq -r .service.name <<<"$output")" = web ]
	hop=$(jq -c '[.hops[] | select(.service != null)][0]' <<<"$output")
	ep_ip=$(jq -r .service.endpoint.ip <<<"$hop")
	ep_pod=$(jq -r .service.endpoint.pod <<<"$hop")
	# The backend says who it is and where it listens.
	answer=$(jq -r .verdict.answer <<<"$output")
	[[ "$answer" == "pod=default/$ep_pod "*"server=$ep_ip:8080 "* ]]
	# The chains it names are the node's real ones.
	rules=$(ip netns exec "${LAB}_node_node-1" nft list table ip kube-proxy)
	grep -qF "chain $(jq -r .service.chain <<<"$hop") {" <<<"$rules"
	grep -qF "chain $(jq -r .service.endpoint.chain <<<"$hop") {" <<<"$rules"
	# And the endpoint's own namespace saw the packet.
	jq -e --arg ns "${LAB}_pod_default_$ep_pod" '[.hops[] | select(.netns == $ns)] | length > 0' <<<"$output"
}

@test "node to Service: DNATed and masqueraded in the node before any capture; the first hop says so, the backend and conntrack agree" {
	for i in 1 2 3; do
		run pp -j trace node/node-1 svc/default/web -p http
		echo "$output"
		[ "$status" -eq 0 ]
		hop=$(jq -c '.hops[0]' <<<"$output")
		# the socket's flow is 172.18.0.2 -> 10.96.0.1:80; hop 1 is already rewritten
		jq -e '.direction == "request" and .netns == "'"${LAB}"'_node_node-1" and
			(.change | contains("destination NAT: 10.96.0.1:80 ->")) and
			.service.name == "web" and .service.endpoint.pod != null' <<<"$hop"
		ep_ip=$(jq -r .service.endpoint.ip <<<"$hop")
		src=$(jq -r .packet.src <<<"$hop")
		sport=$(jq -r .packet.sport <<<"$hop")
		# the backend saw the masqueraded source hop 1 shows
		[[ "$(jq -r .verdict.answer <<<"$output")" == *"server=$ep_ip:8080 client=$src:$sport"* ]]
		# conntrack in the node: the reply goes to that address and port
		ip netns exec "${LAB}_node_node-1" conntrack -L -p tcp --reply-src "$ep_ip" --reply-port-dst "$sport" 2>/dev/null |
			grep -q "dst=10.96.0.1 "
		# the answer path reaches the node again
		jq -e '[.hops[] | select(.direction == "reply")] | last | .netns == "'"${LAB}"'_node_node-1"' <<<"$output"
	done
	# Its answers are translated back only at local-in, after the capture:
	# an HTTP request to a port that does not speak HTTP times out, and is
	# not taken for an asymmetric return (nothing was refused)
	run pp -j trace node/node-1 10.96.0.10:53 -p http --timeout 2
	[ "$status" -eq 1 ]
	jq -e '.verdict.result == "timeout"' <<<"$output"
	# UDP the same: the node's DNS query to kube-dns, to the coredns pod
	run pp -j trace node/node-1 svc/kube-system/kube-dns:dns
	[ "$status" -eq 0 ]
	jq -e --arg ip "$(pod_ip "${LAB}_pod_kube-system_coredns")" '.hops[0].service |
		.name == "kube-dns" and .protocol == "UDP" and .endpoint.ip == $ip' <<<"$output"
	jq -e '[.hops[] | select(.netns == "'"${LAB}"'_pod_kube-system_coredns")] | length >= 2' <<<"$output"
}

@test "a pod to another node's NodePort of a Local Service: the answer returns another way, the client resets it (tcpdump)" {
	# default/client and the ingress controller share node-1; node-2 has no
	# endpoint of the Local LoadBalancer Service, yet pod traffic is let
	# through to the endpoint on node-1, unmasqueraded.
	ctrl=$(pod_ip "${LAB}_pod_ingress-nginx_controller")
	node2=$(pod_ip "${LAB}_node_node-2")
	tcpdump_start "${LAB}_pod_default_client" -n -i eth0 -c 2 -w "$BATS_TEST_TMPDIR/c.pcap" \
		"tcp and host $ctrl"
	dump=$TCPDUMP_PID
	run pp -j trace default/client "$node2:30000" --timeout 2
	wait $dump
	echo "$output"
	[ "$status" -eq 1 ]
	jq -e '.verdict.result == "asymmetric-return"' <<<"$output"
	jq -r .verdict.reason <<<"$output" | grep -q "from $ctrl:80, not from $node2:30000.*node node-2 translated"
	# The client got a SYN-ACK from the controller itself and reset it.
	tcpdump -n -r "$BATS_TEST_TMPDIR/c.pcap" 2>/dev/null | tee /dev/stderr | grep -q "$ctrl.80 > .*Flags \[S\.\]"
	tcpdump -n -r "$BATS_TEST_TMPDIR/c.pcap" 2>/dev/null | grep -q "> $ctrl.80: Flags \[R\]"
}

@test "a DNS name: the query's own path to the cluster DNS first, then the connection" {
	ip=$(pp exec default/client -- dig +short @10.96.0.10 web.default.svc.cluster.local)
	dns_pod_ip=$(pod_ip "${LAB}_pod_kube-system_coredns")
	run pp -j trace default/client web -p http
	[ "$status" -eq 0 ]
	[ "$(jq -r .dns.protocol <<<"$output")" = dns ]
	[ "$(jq -r .dns.verdict.result <<<"$output")" = delivered ]
	[[ "$(jq -r .dns.verdict.answer <<<"$output")" == "NOERROR web.default.svc.cluster.local A $ip" ]]
	[ "$(jq -r '[.dns.hops[] | select(.service != null)][0].service.endpoint.ip' <<<"$output")" = "$dns_pod_ip" ]
	[ "$(jq -r .dst.ip <<<"$output")" = "$ip" ]
	[ "$(jq -r .verdict.result <<<"$output")" = delivered ]
	[[ "$(jq -r .verdict.answer <<<"$output")" == *"host=web"* ]]
}

@test "a Service by name or ClusterIP, no -p: TCP to its first port, as svc/NS/NAME (tcpdump sees the SYN)" {
	for dst in web 10.96.0.1 198.51.100.4; do
		tcpdump_start "${LAB}_pod_default_client" -l -n -c 1 -i eth0 \
			"tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0 and not port 53" >"$BATS_TEST_TMPDIR/syn"
		cap=$TCPDUMP_PID
		run pp -j trace default/client $dst
		wait $cap || true
		echo "$dst: $output" | head -c 600
		[ "$status" -eq 0 ]
		[ "$(jq -r .protocol <<<"$output")" = tcp ]
		[ "$(jq -r .verdict.result <<<"$output")" = delivered ]
		jq -e '.service.name != null' <<<"$output"
		grep -q "> [0-9.]*\.80: Flags \[S\]" "$BATS_TEST_TMPDIR/syn"
	done
	# kube-dns's ClusterIP: its first port is UDP 53, so a DNS query; and
	# --port 53 on its address or name picks that port's protocol too.
	for args in "10.96.0.10" "10.96.0.10 --port 53" "kube-dns.kube-system --port 53"; do
		tcpdump_start "${LAB}_pod_default_client" -l -n -c 1 -i eth0 \
			"udp dst port 53 and dst host 10.96.0.10" >"$BATS_TEST_TMPDIR/q"
		cap=$TCPDUMP_PID
		run pp -j trace default/client $args
		wait $cap || true
		[ "$status" -eq 0 ]
		[ "$(jq -r .protocol <<<"$output")" = dns ]
		# tcpdump saw a DNS query go to kube-dns (the last one, for a name)
		grep -q "10.96.0.10.53: .* A? " "$BATS_TEST_TMPDIR/q"
	done
}

@test "a URL: the scheme in any case, the path sent percent-encoded as a browser would (the backend saw it)" {
	run pp -j trace default/client 'HTTP://web/a b"c'
	[ "$status" -eq 0 ]
	[[ "$(jq -r .verdict.answer <<<"$output")" == *" path=/a%20b%22c "* ]]
	# a query goes with the path, a fragment stays behind, as with curl
	want=$(pp exec default/client -- curl -s 'http://web?q=2#frag' | grep -o ' path=[^ ]*')
	[ "$want" = " path=/?q=2" ]
	run pp -j trace default/client 'http://web?q=2#frag'
	[[ "$(jq -r .verdict.answer <<<"$output")" == *"$want "* ]]
}

@test "a UDP port 53 Service is probed with a DNS query" {
	run pp -j trace default/client svc/kube-system/kube-dns:dns
	[ "$status" -eq 0 ]
	[ "$(jq -r .protocol <<<"$output")" = dns ]
	[[ "$(jq -r .verdict.answer <<<"$output")" == "NOERROR kube-dns.kube-system.svc.cluster.local A 10.96.0.10" ]]
	# dig, asking the same server from the same pod, gets the same answer.
	[ "$(pp exec default/client -- dig +short +time=2 +tries=1 @10.96.0.10 kube-dns.kube-system.svc.cluster.local)" = 10.96.0.10 ]
}

@test "a name the cluster DNS does not know: NXDOMAIN, exit 1" {
	# dig agrees that the name the pod's search path tries first is unknown.
	pp exec default/client -- dig +time=2 +tries=1 @10.96.0.10 nope-nothing.default.svc.cluster.local |
		grep -q "status: NXDOMAIN"
	run pp -j trace default/client nope-nothing
	[ "$status" -eq 1 ]
	# exit 1, and the JSON says it was not delivered
	jq -e '.verdict.result == "unresolved" and .unresolved == "nope-nothing"' <<<"$output"
	run pp trace default/client nope-nothing
	[ "$status" -eq 1 ]
	[[ "$output" == *"NXDOMAIN nope-nothing.default.svc.cluster.local"* ]]
	[[ "$output" == *'"nope-nothing" did not resolve'* ]]
}

@test "bad Service destinations exit 2 naming the value" {
	run pp trace default/client svc/default/nope
	[ "$status" -eq 2 ]
	[[ "$output" == *'no Service default/nope'* ]]
	run pp trace default/client svc/default/web:9999
	[ "$status" -eq 2 ]
	[[ "$output" == *'has no port "9999"'* ]]
	run pp trace svc/default/web default/client
	[ "$status" -eq 2 ]
}

# Last in this file: it stops web-2's responder.
@test "an endpoint without a listener: refused, naming the endpoint kube-proxy chose, not the ClusterIP" {
	pid=$(pp -j status | jq -r '.pods[] | select(.name == "web-2") | .containers[0].pid')
	kill "$pid"
	# Gone from the pod (the kernel's word) before the first trace.
	for i in $(seq 100); do
		ip netns pids "${LAB}_pod_default_web-2" | grep -qx "$pid" || break
		sleep 0.1
	done
	web2=$(pod_ip "${LAB}_pod_default_web-2")
	# kube-proxy picks at random: try until it picks web-2.
	for i in $(seq 20); do
		run pp -j trace default/client svc/default/web
		[ "$status" -eq 1 ] && break
	done
	echo "$output" | jq -c .verdict
	[ "$status" -eq 1 ]
	jq -e --arg ip "$web2" '.verdict.result == "refused" and (.verdict.reason | startswith("no listener on \($ip):8080 (pod default/web-2), the endpoint kube-proxy chose for 10.96.0.1:80"))' <<<"$output"
	# ss agrees that nothing listens there any more.
	listening=$(ip netns exec "${LAB}_pod_default_web-2" ss -Hltn)
	[[ "$listening" != *":8080 "* ]]
}
