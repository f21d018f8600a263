#!/usr/bin/env bats
# Services through kube-proxy's rules, in both proxy modes: one lab per mode,
# every test runs against both. What is checked is what the backends saw
# (their answer names the pod and the client address), what curl and socat
# got, and what `nft list` shows, never podpath's own report.

LAB=pp-bats-proxy
load helpers

MODES="nftables iptables"
TOPO_FILE="$BATS_TEST_DIRNAME/../topologies/good/proxy.json"

lab_of() { echo "$LAB-$1"; }
# Run a command in a pod or node of the lab of mode $1.
in_lab() { local m=$1; shift; "$PODPATH" --lab "$(lab_of "$m")" exec "$@"; }

setup_file() {
	for m in $MODES; do
		lab_cleanup "$(lab_of "$m")"
		"$PODPATH" --lab "$(lab_of "$m")" setup -f "$TOPO_FILE" --proxy-mode "$m" >/dev/null
	done
}

teardown_file() {
	for m in $MODES; do lab_cleanup "$(lab_of "$m")"; done
}

# N HTTP requests from TARGET to URL, one answer line each.
requests() { # MODE TARGET URL N
	in_lab "$1" "$2" -- sh -c "for i in \$(seq $4); do curl -s -m 2 $3; echo; done" | grep .
}

# The base32 SHA-256 prefix kube-proxy names chains with, computed here
# with coreutils only.
kp_hash() { # TEXT LEN
	printf %s "$1" | sha256sum | cut -c1-64 | tr a-f A-F | basenc --base16 -d | base32 |
		cut -c1-"$2"
}

@test "ClusterIP: 200 connections split between the two endpoints within 35-65%" {
	for m in $MODES; do
		out=$(requests "$m" default/client http://10.96.0.20/ 200)
		n1=$(grep -c '^pod=default/web-1 ' <<<"$out" || true)
		n2=$(grep -c '^pod=default/web-2 ' <<<"$out" || true)
		echo "$m: web-1 $n1, web-2 $n2"
		[ $((n1 + n2)) -eq 200 ]
		[ "$n1" -ge 70 ]
		[ "$n1" -le 130 ]
		[ "$n2" -ge 70 ]
		[ "$n2" -le 130 ]
	done
}

@test "ClusterIP: every pod reaches every endpoint, and backends see the client pod's IP" {
	for m in $MODES; do
		for pod in client web-1 web-2; do
			ns="$(lab_of "$m")_pod_default_$pod"
			ip=$(pod_ip "$ns")
			out=$(requests "$m" "default/$pod" http://10.96.0.20/ 40)
			grep -q '^pod=default/web-1 ' <<<"$out"
			grep -q '^pod=default/web-2 ' <<<"$out"
			# No SNAT for pod clients: the answer carries the pod's own address,
			# except where a pod reached itself (hairpin, masqueraded).
			others=$(grep -v "^pod=default/$pod " <<<"$out")
			echo "$m $pod: $(wc -l <<<"$others") answers from other pods"
			[ -n "$others" ]
			[ -z "$(grep -v "client=$ip:" <<<"$others")" ]
		done
	done
}

@test "hairpin: a pod reaching its own Service lands on itself" {
	for m in $MODES; do
		out=$(in_lab "$m" default/web-1 -- curl -s -m 2 http://10.96.0.23/)
		echo "$m: $out"
		[[ "$out" == "pod=default/web-1 "* ]]
	done
}

@test "NodePort: every node's IP reaches endpoints on both nodes" {
	for m in $MODES; do
		for from in node/node-1 node/node-2 default/client; do
			for nip in 172.18.0.2 172.18.0.3; do
				out=$(requests "$m" "$from" "http://$nip:30080/" 30)
				grep -q '^pod=default/web-1 ' <<<"$out"
				grep -q '^pod=default/web-2 ' <<<"$out"
			done
		done
	done
}

@test "sessionAffinity ClientIP keeps one client on one endpoint" {
	for m in $MODES; do
		out=$(requests "$m" default/client http://10.96.0.22/ 30)
		[ "$(wc -l <<<"$out")" -eq 30 ]
		[ "$(awk '{print $1}' <<<"$out" | sort -u | wc -l)" -eq 1 ]
		# Without affinity the same client spreads (the control).
		out=$(requests "$m" default/client http://10.96.0.20/ 30)
		[ "$(awk '{print $1}' <<<"$out" | sort -u | wc -l)" -eq 2 ]
	done
}

# Refused, not dropped: curl says so (7, not 28), and tcpdump sees the
# reject come back. How fast: tests/bench/waits.sh (make bench).
@test "a Service without endpoints is refused, ClusterIP and NodePort" {
	for m in $MODES; do
		ns="$(lab_of "$m")_pod_default_client"
		tcpdump_start "$ns" -l -n -c 1 -i eth0 "icmp[0] = 3 or (src host 10.96.0.24 and tcp[tcpflags] & tcp-rst != 0)" \
			>"$BATS_TEST_TMPDIR/rej"
		cap=$TCPDUMP_PID
		run in_lab "$m" default/client -- curl -sS -m 3 http://10.96.0.24/
		wait $cap || true
		echo "$m: $output; tcpdump: $(cat "$BATS_TEST_TMPDIR/rej")"
		[ "$status" -eq 7 ]	# curl: could not connect (refused), not 28 (timeout)
		grep -q "ICMP 10.96.0.24 tcp port 80 unreachable" "$BATS_TEST_TMPDIR/rej"
		run in_lab "$m" node/node-2 -- curl -sS -m 3 http://172.18.0.3:30081/
		[ "$status" -eq 7 ]
	done
}

@test "UDP Service: a datagram reaches an endpoint and the answer comes back" {
	for m in $MODES; do
		out=$(echo ping | in_lab "$m" default/client -- socat -t 1 - UDP:10.96.0.20:53)
		echo "$m: $out"
		[[ "$out" == "pod=default/web-"[12]" "*"proto=udp "*"client=10.244.1.10:"* ]]
	done
}

@test "nftables mode: nft shows kube-proxy's chain names with independently computed hashes" {
	ns="$(lab_of nftables)_node_node-1"
	run ip netns exec "$ns" nft list table ip kube-proxy
	[ "$status" -eq 0 ]
	h=$(kp_hash default/web/tcp/http 8)
	[[ "$output" == *"chain service-$h-default/web/tcp/http {"* ]]
	h=$(kp_hash default/web/udp/echo 8)
	[[ "$output" == *"chain service-$h-default/web/udp/echo {"* ]]
	h=$(kp_hash default/web/tcp/http__10.244.2.11/8080 8)
	[[ "$output" == *"chain endpoint-$h-default/web/tcp/http__10.244.2.11/8080 {"* ]]
	h=$(kp_hash default/web-np/tcp/http 8)
	[[ "$output" == *"chain external-$h-default/web-np/tcp/http {"* ]]
	h=$(kp_hash default/sticky/tcp/http__10.244.1.11/8080 8)
	[[ "$output" == *"set affinity-$h-default/sticky/tcp/http__10.244.1.11/8080 {"* ]]
	[[ "$output" == *"numgen random mod 2 vmap"* ]]
	[[ "$output" == *"10.96.0.24 . tcp . 80 comment \"default/empty:http\" : goto reject-chain"* ]]
	[[ "$output" == *"masquerade fully-random"* ]]
	[[ "$output" == *"elements = { 172.18.0.2 }"* ]]	# nodeport-ips: this node
}

@test "iptables mode: iptables-save shows KUBE-SVC/KUBE-SEP chains and the probability cascade" {
	ns="$(lab_of iptables)_node_node-1"
	run ip netns exec "$ns" iptables-save -t nat
	[ "$status" -eq 0 ]
	svc=KUBE-SVC-$(kp_hash "default/web:httptcp" 16)
	sep=KUBE-SEP-$(kp_hash "default/web:httptcp10.244.1.11:8080" 16)
	[[ "$output" == *"-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j $svc"* ]]
	[[ "$output" == *":$svc - [0:0]"* ]]
	[[ "$output" == *"-A $svc -m comment --comment \"default/web:http -> 10.244.1.11:8080\" -m statistic --mode random --probability 0.5000000000"*" -j $sep"* ]]
	[[ "$output" == *":$sep - [0:0]"* ]]
	[[ "$output" == *"-A $sep -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.244.1.11:8080"* ]]
	[[ "$output" == *"--dport 30080 -j KUBE-EXT-$(kp_hash "default/web-np:httptcp" 16)"* ]]
	run ip netns exec "$ns" iptables-save -t filter
	[ "$status" -eq 0 ]
	[[ "$output" == *"-A KUBE-SERVICES -d 10.96.0.24/32 -p tcp -m comment --comment \"default/empty:http has no endpoints\" -m tcp --dport 80 -j REJECT"* ]]
}

@test "--proxy-mode: a bad value is a usage error, and so is ipvs, which podpath does not build" {
	run "$PODPATH" --lab "$LAB-bad" setup --proxy-mode bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *'--proxy-mode "bogus"'* ]]
	run "$PODPATH" --lab "$LAB-bad" setup --proxy-mode ipvs
	[ "$status" -eq 2 ]
	[[ "$output" == *'--proxy-mode "ipvs": not supported by podpath'* ]]
	[ -z "$(lab_leftovers "$LAB-bad")" ]
}

@test "trace a NodePort: both NATs shown, the Service named, the backend saw the SNATed client" {
	for m in $MODES; do
		run "$PODPATH" --lab "$(lab_of "$m")" -j trace node/node-1 172.18.0.3:30080 -p http
		echo "$m: $(jq -c '.verdict' <<<"$output")"
		[ "$status" -eq 0 ]
		hop=$(jq -c '[.hops[] | select(.service != null)][0]' <<<"$output")
		[ "$(jq -r .service.name <<<"$hop")" = web-np ]
		[ "$(jq -r .service.nodeport <<<"$hop")" = true ]
		[[ "$(jq -r .change <<<"$hop")" == *"destination NAT: 172.18.0.3:30080 -> "*"source NAT: 172.18.0.2:"* ]]
		pod=$(jq -r .service.endpoint.pod <<<"$hop")
		answer=$(jq -r .verdict.answer <<<"$output")
		[[ "$answer" == "pod=default/$pod "* ]]
		[[ "$answer" != *"client=172.18.0.2:"* ]]	# masqueraded on node-2
	done
}

@test "trace a Service without endpoints: rejected at the client's node, the reason says why (tcpdump sees the reject)" {
	for m in $MODES; do
		tcpdump_start "$(lab_of "$m")_pod_default_client" -l -n -c 1 -i eth0 "icmp[0] = 3" >"$BATS_TEST_TMPDIR/rej"
		cap=$TCPDUMP_PID
		run "$PODPATH" --lab "$(lab_of "$m")" trace default/client svc/default/empty
		wait $cap || true
		echo "$m: $output" | grep verdict
		[ "$status" -eq 1 ]
		[[ "$output" == *"verdict: dropped: Service default/empty port 80 has no endpoints: rejected by nftables in node node-1"* ]]
		# node-1 (the client's gateway, 10.244.1.1) sent the reject
		grep -q "IP 10.244.1.1 > 10.244.1.10: ICMP 10.96.0.24 tcp port 80 unreachable" "$BATS_TEST_TMPDIR/rej"
	done
}
