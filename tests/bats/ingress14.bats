#!/usr/bin/env bats
# Issue 14, items 4, 7 and 10, checked against the kernel and the processes:
# nginx's connection to the backend goes straight to an endpoint pod
# (nginx's access log, tcpdump in the pod, conntrack in the node: no
# kube-proxy DNAT); an unknown host gets the default backend's 404 and trace
# says so; /api routes to Service default/api; vpc networking's proxy ARP,
# /32 routes and link-local gateway are what trace and explain say; explain
# ingress --live walks connection 2 with its addresses.

bats_require_minimum_version 1.5.0

LAB=ing14x
VPC=ing14v
load helpers

setup_file() {
	lab_cleanup
	lab_cleanup $VPC
	pp setup >/dev/null
	"$PODPATH" --lab $VPC setup --network vpc >/dev/null
}

teardown_file() {
	lab_cleanup
	lab_cleanup $VPC
}

CA() { echo "/run/podpath/$LAB/ca.pem"; }
LOG() { echo "/run/podpath/$LAB/ingress/access.log"; }
lcurl() { pp exec internet/laptop -- curl -s -m 10 --cacert "$(CA)" "$@"; }
ctl_ip() { pod_ip "${LAB}_pod_ingress-nginx_controller"; }
# A Service's ClusterIP as kube-proxy holds it in node-1 (the kernel's word).
cluster_ip() { # PORT-COMMENT, e.g. default/api:http
	ip netns exec "${LAB}_node_node-1" nft list map ip kube-proxy service-ips |
		grep "comment \"$1\"" | grep -o '^[[:space:]]*[0-9.]*' | tr -d '[:space:]'
}
lb_ip() {
	ip netns exec "${LAB}_lb" nft list map ip cloud-lb listeners |
		grep -o '[0-9.]* \. tcp \. 443' | awk '{print $1}' | head -1
}

@test "nginx's upstreams are the Services' endpoint pods (IP:targetPort), never a ClusterIP" {
	conf=/run/podpath/$LAB/ingress/nginx.conf
	cat "$conf"
	for p in web-1 web-2 api-1; do
		grep -q "server $(pod_ip "${LAB}_pod_default_$p"):8080 max_fails=0;" "$conf"
	done
	web=$(cluster_ip default/web:http)
	api=$(cluster_ip default/api:http)
	[ -n "$web" ]
	[ -n "$api" ]
	run ! grep -e "$web" -e "$api" "$conf"
	# nginx itself accepts it.
	nginx -t -q -e /dev/null -c "$conf" -g "pid /run/podpath/$LAB/ingress/test.pid;"
}

@test "connection 2 arrives from nginx at the pod's own address: access log, tcpdump in the pod, no DNAT in conntrack" {
	api1=$(pod_ip "${LAB}_pod_default_api-1")
	ctl=$(ctl_ip)
	api=$(cluster_ip default/api:http)
	tcpdump_start "${LAB}_pod_default_api-1" -n -l -c 1 -i eth0 \
		"tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0 and dst port 8080" \
		>"$BATS_TEST_TMPDIR/syn"
	run lcurl https://web.example.test/api/v1
	echo "$output"
	[[ "$output" == "pod=default/api-1 "*"server=$api1:8080 client=$ctl:"* ]]
	sport=$(sed -n "s/.* client=$ctl:\([0-9]*\) .*/\1/p" <<<"$output")
	wait $TCPDUMP_PID
	cat "$BATS_TEST_TMPDIR/syn"
	grep -q "IP $ctl.$sport > $api1.8080: Flags \[S\]" "$BATS_TEST_TMPDIR/syn"
	# nginx's own log: the upstream it connected to is the pod, not the Service.
	tail -1 "$(LOG)"
	tail -1 "$(LOG)" | grep -q "\"GET /api/v1 HTTP/1.1\" 200 upstream=$api1:8080\$"
	# The controller's node routed it untranslated: conntrack's entry has
	# the pod as its original destination, and none holds the ClusterIP.
	ct=$(ip netns exec "${LAB}_node_node-1" conntrack -L -p tcp -s "$ctl" --sport "$sport" 2>/dev/null)
	echo "conntrack: $ct"
	[[ "$ct" == *"src=$ctl dst=$api1 sport=$sport dport=8080 src=$api1 dst=$ctl sport=8080 dport=$sport"* ]]
	[ -z "$(ip netns exec "${LAB}_node_node-1" conntrack -L -p tcp -s "$ctl" -d "$api" 2>/dev/null)" ]
}

@test "path routing in the default lab: /api reaches Service default/api's pod, the rest default/web's" {
	run lcurl https://web.example.test/api
	[[ "$output" == "pod=default/api-1 "* ]]
	run lcurl https://web.example.test/apiv2	# not a path element of /api
	[[ "$output" == "pod=default/web-"* ]]
	run lcurl https://web.example.test/
	[[ "$output" == "pod=default/web-"* ]]
}

@test "trace through the ingress: connection 2 goes to the endpoint pod, named with its Service, kube-proxy bypassed" {
	api1=$(pod_ip "${LAB}_pod_default_api-1")
	run pp -j trace internet/laptop https://web.example.test/api/x
	[ "$status" -eq 0 ]
	out=$output
	jq -e '.verdict.answer | startswith("pod=default/api-1 ")' <<<"$out"
	jq -e --arg c "$(ctl_ip)" --arg a "$api1" '.upstream.hops[0].packet | .src == $c and .dst == $a and .dport == 8080' <<<"$out"
	jq -e '.upstream.dst.name == "default/api-1:8080"' <<<"$out"
	jq -e '[.upstream.hops[] | select(.service != null)] | length == 0' <<<"$out"
	jq -e --arg a "$api1" '.verdict.ingress_rule | contains("-> default/api:80 endpoint=\($a):8080") and contains("endpoint pod default/api-1 \($a):8080 of Service default/api port 80, bypassing kube-proxy")' <<<"$out"
	# The pod arrived at is the one the kernel holds that address.
	[ "$(pod_ip "${LAB}_pod_default_api-1")" = "$(jq -r '.upstream.hops[-1].packet.src' <<<"$out")" ]
	run pp trace internet/laptop https://web.example.test/api/x
	[[ "$output" == *"bypassing kube-proxy: ingress-nginx balances over the endpoints itself"* ]]
	run pp explain ingress
	[[ "$output" == *"so kube-proxy is bypassed"* ]]
	[[ "$output" == *"path /api (Prefix) -> Service default/api port 80 -> nginx connects to $api1:8080"* ]]
}

@test "an unknown host: curl gets the default backend's 404, trace says no Ingress rule matched" {
	lb=$(lb_ip)
	run pp exec internet/laptop -- curl -s -m 10 -w ' %{http_code}' -H "Host: nothing.example.test" "http://$lb/"
	[ "$output" = "default backend - 404
 404" ]
	tail -1 "$(LOG)" | grep -q '"nothing.example.test" "GET / HTTP/1.1" 404 upstream=-$'
	run pp -j trace internet/laptop "http://$lb/x"
	[ "$status" -eq 0 ]
	jq -e --arg lb "$lb" '.verdict.reason == "no Ingress rule matched host \($lb): the default backend answered 404"' <<<"$output"
	jq -e '.verdict.cause == "default-backend" and .verdict.http_status == 404 and .upstream == null' <<<"$output"
	tail -1 "$(LOG)" | grep -q "\"$lb\" \"GET /x HTTP/1.1\" 404 upstream=-\$"
	run pp trace internet/laptop "http://$lb/x"
	[[ "$output" == *"verdict: delivered: no Ingress rule matched host $lb: the default backend answered 404"* ]]
}

@test "connection 2 dropped or refused: nginx answers 504 (after its 5 s connect timeout) or 502, and trace says where connection 2 died, not delivered" {
	api1=$(pod_ip "${LAB}_pod_default_api-1")
	ns=${LAB}_pod_default_api-1
	ip netns exec "$ns" nft 'add table ip pp-bats-drop; add chain ip pp-bats-drop in { type filter hook input priority 0; }; add rule ip pp-bats-drop in tcp dport 8080 drop'
	run pp exec internet/laptop -- curl -s -m 30 -o /dev/null -w '%{http_code}' --cacert "$(CA)" https://web.example.test/api/x
	code=$output
	log=$(tail -1 "$(LOG)")
	run pp -j trace internet/laptop https://web.example.test/api/x --timeout 30
	st=$status out=$output
	handle=$(ip netns exec "$ns" nft -a list chain ip pp-bats-drop in | sed -nE 's/.*tcp dport 8080 drop # handle ([0-9]+)$/\1/p')
	ip netns exec "$ns" nft delete table ip pp-bats-drop
	# What the client and nginx saw: nginx's own 504, for api-1's address.
	[ "$code" = 504 ]
	[[ "$log" == *" 504 upstream=$api1:8080" ]]
	# trace: no delivery; the verdict is connection 2's drop, in api-1, by
	# the rule nft lists.
	[ "$st" -eq 1 ]
	jq -e '.verdict.result == "dropped" and .verdict.cause == "nft-rule"' <<<"$out"
	jq -e '.verdict.findings[0].connection == 2' <<<"$out"
	jq -e --arg h "$handle" '.verdict.reason | startswith("connection 2, ingress-nginx/controller'"'"'s own to the endpoint (see upstream), for which it answered HTTP 504 Gateway Time-out: dropped by nftables in pod default/api-1: table pp-bats-drop chain in, rule handle \($h): drop")' <<<"$out"
	jq -e '.upstream.verdict.cause == "nft-rule"' <<<"$out"
	# The endpoint refusing it instead: nginx's 502, and the rule that
	# refused it.
	ip netns exec "$ns" nft 'add table ip pp-bats-drop; add chain ip pp-bats-drop in { type filter hook input priority 0; }; add rule ip pp-bats-drop in tcp dport 8080 reject with tcp reset'
	run pp exec internet/laptop -- curl -s -m 30 -o /dev/null -w '%{http_code}' --cacert "$(CA)" https://web.example.test/api/x
	code=$output
	run pp -j trace internet/laptop https://web.example.test/api/x --timeout 30
	st=$status out=$output
	ip netns exec "$ns" nft delete table ip pp-bats-drop
	[ "$code" = 502 ]
	[ "$st" -eq 1 ]
	jq -e '.verdict.findings[0].connection == 2' <<<"$out"
	jq -e '.verdict.reason | startswith("connection 2, ingress-nginx/controller'"'"'s own to the endpoint (see upstream), for which it answered HTTP 502 Bad Gateway: rejected by nftables in pod default/api-1: table pp-bats-drop chain in")' <<<"$out"
	# The same path without the rule is delivered again.
	run pp -j trace internet/laptop https://web.example.test/api/x
	[ "$status" -eq 0 ]
}

@test "explain ingress --live: every hop keeps its addresses, and connection 2 runs nginx -> pod" {
	ctl=$(ctl_ip)
	run pp -j explain ingress --live
	[ "$status" -eq 0 ]
	out=$output
	jq -e '.live.verdict.result == "delivered"' <<<"$out"
	# Each sentence says the addresses its packet had there.
	jq -e 'all(.live.hops[], .live.upstream.hops[]; . as $h | $h.sentence | contains(" as \($h.packet.src):\($h.packet.sport) > \($h.packet.dst):\($h.packet.dport)"))' <<<"$out"
	jq -e --arg c "$ctl" '.live.upstream.kube_proxy_bypassed and .live.upstream.hops[0].packet.src == $c and (.live.upstream.hops | length) > 1' <<<"$out"
	# Connection 2's destination is a web pod's own address (as the kernel has it).
	dst=$(jq -r '.live.upstream.hops[0].packet.dst' <<<"$out")
	[ "$dst" = "$(pod_ip "${LAB}_pod_default_web-1")" ] || [ "$dst" = "$(pod_ip "${LAB}_pod_default_web-2")" ]
	# The text names the same: nginx's address and a web pod's (round robin
	# may pick the other one this time).
	run pp explain ingress --live
	line=$(grep "connection 2: nginx ends connection 1" <<<"$output")
	echo "$line"
	[[ "$line" == *"opens its own, $ctl:"*" > "*":8080, to endpoint pod default/web-"*"(kube-proxy is bypassed):" ]]
	dst=$(sed -n 's/.* > \([0-9.]*\):8080, to endpoint pod.*/\1/p' <<<"$line")
	[ "$dst" = "$(pod_ip "${LAB}_pod_default_web-1")" ] || [ "$dst" = "$(pod_ip "${LAB}_pod_default_web-2")" ]
	[[ "$output" == *"receives the packet on eth0 as $ctl:"*" > $dst:8080"* ]]
}

@test "vpc: the pod's gateway 169.254.1.1 is a static ARP entry for its host veth's MAC, as trace and explain say" {
	ns=${VPC}_pod_default_client
	run "$PODPATH" --lab $VPC -j trace default/client default/web-2
	[ "$status" -eq 0 ]
	out=$output
	neigh=$(ip -n "$ns" neigh show 169.254.1.1 dev eth0)
	echo "$neigh"
	[[ "$neigh" == *PERMANENT* ]]
	mac=$(awk '{print $3}' <<<"$neigh")
	# That MAC is the host-side veth's, the pod's eth0 peer in node-1.
	peer=$(ip -n "$ns" -o link show eth0 | sed -n 's/.*eth0@if\([0-9]*\).*/\1/p')
	ip -n ${VPC}_node_node-1 -o link show | grep "^$peer: " | grep -q "link/ether $mac "
	jq -e --arg m "$mac" '.hops[0].why | contains("169.254.1.1: a link-local gateway nobody holds, mapped by a static ARP entry to the host veth'"'"'s MAC \($m)")' <<<"$out"
	run "$PODPATH" --lab $VPC explain cross-node
	[[ "$output" == *"pods' gateway 169.254.1.1: link-local, held by nobody; in pod default/client a static ARP entry maps it to $mac"* ]]
}

@test "vpc: node-1 reaches a pod on node-2 by proxy ARP on the VPC subnet and node-2's /32 route, as trace says" {
	web2=$(pod_ip ${VPC}_pod_default_web-2)
	n2mac=$(ip -n ${VPC}_node_node-2 link show eth0 | awk '/link\/ether/ {print $2}')
	# node-2 holds a proxy entry for the pod's address (not the proxy_arp
	# sysctl: one entry per secondary IP), and a /32 route to its veth.
	ip -n ${VPC}_node_node-2 neigh show proxy | grep -q "^$web2 dev eth0 proxy"
	[ "$(ip netns exec ${VPC}_node_node-2 sysctl -n net.ipv4.conf.eth0.proxy_arp)" = 0 ]
	ip -n ${VPC}_node_node-2 route show "$web2/32" | grep -q "^$web2 dev veth"
	# The ARP exchange itself, seen on the VPC bridge: node-1 asks for the
	# pod's address, node-2 answers with its own MAC.
	ip -n ${VPC}_node_node-1 neigh flush "$web2" dev eth0 || true
	tcpdump_start ${VPC}_vpc -n -l -e -c 1 -i n-node-2 "arp[6:2] == 2 and arp[14:4] == $(printf '0x%02x%02x%02x%02x' ${web2//./ })" \
		>"$BATS_TEST_TMPDIR/arp"
	run "$PODPATH" --lab $VPC -j trace default/client default/web-2
	[ "$status" -eq 0 ]
	out=$output
	wait $TCPDUMP_PID
	cat "$BATS_TEST_TMPDIR/arp"
	grep -q "Reply $web2 is-at $n2mac" "$BATS_TEST_TMPDIR/arp"
	ip -n ${VPC}_node_node-1 neigh show "$web2" dev eth0 | grep -q "lladdr $n2mac "
	# trace: node-1's hop says the proxy ARP, the VPC hop that it switched
	# (the TTL the same on both sides of the VPC: moved "bridged"), node-2's
	# hop the /32 route.
	jq -e --arg a "$web2" '[.hops[] | select(.direction == "request" and .place == "node node-1" and .io == "out")][0].why |
		contains("\($a) is on the VPC subnet, a secondary IP of node-2'"'"'s ENI: node-2 answers ARP for it")' <<<"$out"
	jq -e '[.hops[] | select(.direction == "request" and .place == "VPC")] | (.[0].packet.ttl == .[-1].packet.ttl) and .[-1].moved == "bridged" and (.[-1].why | startswith("bridged to n-node-2") and contains("the VPC switched it, not routed (TTL kept), to node-2"))' <<<"$out"
	ip -n ${VPC}_vpc -o link show n-node-2 | grep -q "master vpc0"
	jq -e --arg a "$web2" '[.hops[] | select(.direction == "request" and .place == "node node-2" and .io == "out")][0].why |
		startswith("route \($a)/32 dev veth") and contains("the CNI'"'"'s /32 route")' <<<"$out"
	run "$PODPATH" --lab $VPC explain cross-node
	[[ "$output" == *"node node-2 answers ARP for $web2 (pod default/web-2, a secondary IP of its ENI) by proxy"* ]]
	[[ "$output" == *"node node-2 routes $web2 by: $web2/32 dev veth"* ]]
	[[ "$output" == *"secondary IPs from the VPC subnet"* ]]
}

@test "vpc: where the VPC routes (the internet's answer, out of its bridge device) no hop is called switched" {
	run "$PODPATH" --lab $VPC -j trace default/client example.com
	[ "$status" -eq 0 ]
	out=$output
	# The answer's hops in the VPC: in from the gateway, out vpc0, then the
	# port to node-1. The kernel routes that address out of the bridge
	# device, so the port hop is bridged after a route, never "switched".
	dst=$(jq -r '[.hops[] | select(.direction == "reply" and .place == "VPC")][-1].packet.dst' <<<"$out")
	ip -n ${VPC}_vpc route get "$dst" | grep -q " dev vpc0 "
	ip -n ${VPC}_vpc -o link show n-node-1 | grep -q "master vpc0"
	jq -e '[.hops[] | select(.direction == "reply" and .place == "VPC" and .io == "out")] |
		length == 2 and .[0].interface == "vpc0" and .[0].moved == "routed" and
		.[1].interface == "n-node-1" and .[1].moved == "bridged-after-route" and
		all(.why | contains("switched") | not)' <<<"$out"
}

@test "a kube-proxy fault (break stale-endpoint) breaks the ClusterIP, not the Ingress: nginx reads the endpoints itself" {
	web=$(cluster_ip default/web:http)
	pp break stale-endpoint --on svc/default/web >/dev/null
	# The ClusterIP now leads nowhere ...
	run pp exec default/client -- curl -s -m 3 -o /dev/null "http://$web/"
	[ "$status" -ne 0 ]
	# ... while the Ingress still reaches a web pod, at its own address.
	run lcurl https://web.example.test/
	pp break --undo >/dev/null
	echo "$output"
	[[ "$output" == "pod=default/web-"*"client=$(ctl_ip):"* ]]
	tail -1 "$(LOG)" | grep -Eq ' 200 upstream=10\.244\.[12]\.[0-9]+:8080$'
}
