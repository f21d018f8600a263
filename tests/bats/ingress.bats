#!/usr/bin/env bats
# The L7 ingress: a real nginx in pod ingress-nginx/controller, rendered from
# the topology's Ingresses, behind a LoadBalancer Service; TLS signed by the
# lab CA. Checked from an internet host and from a pod with curl, dig and
# openssl, and with nginx's own configuration test.

LAB=pp-bats-ingress
load helpers

setup_file() {
	lab_cleanup
	pp setup -f "$TOPOS/good/ingress.json" >/dev/null
}

teardown_file() {
	lab_cleanup
	[ -z "$(pgrep -af -- "-c /run/podpath/$LAB/ingress/")" ]
}

CA() { echo "/run/podpath/$LAB/ca.pem"; }
# curl from the internet host laptop, which resolves names through the internet's DNS.
lcurl() { pp exec internet/laptop -- curl -s -m 3 --cacert "$(CA)" "$@"; }
lb_ip() {
	ip netns exec "${LAB}_lb" nft list map ip cloud-lb listeners |
		grep -o '[0-9.]* \. tcp \. 443 comment "ingress-nginx/ingress-nginx-controller:443"' |
		awk '{print $1}'
}

@test "nginx runs in the controller pod, and nginx itself accepts its configuration" {
	pid=$(ip netns pids "${LAB}_pod_ingress-nginx_controller" | head -1)
	[[ "$(cat /proc/$pid/comm)" == nginx ]]
	nginx -t -q -e /dev/null -c "/run/podpath/$LAB/ingress/nginx.conf" \
		-g "pid /run/podpath/$LAB/ingress/test.pid;"
	# nothing of it listens on the host
	host=$(ss -Hltn)
	[[ "$host" != *":443 "* ]]
}

@test "the internet's DNS resolves ingress hosts to the load balancer's address" {
	lb=$(lb_ip)
	[[ "$lb" == 198.51.100.* ]]
	[ "$(ip netns exec "${LAB}_inet_laptop" dig +short @203.0.113.53 shop.example.test)" = "$lb" ]
	[ "$(ip netns exec "${LAB}_inet_laptop" dig +short @203.0.113.53 blog.example.test)" = "$lb" ]
}

@test "host routing: each host reaches its own Service" {
	run lcurl https://shop.example.test/
	[[ "$output" == *"pod=default/web-1"* ]]
	run lcurl http://blog.example.test/
	[[ "$output" == *"pod=default/api-1"* ]]
}

@test "path routing: Prefix matches by path element, Exact only the path itself" {
	route() { lcurl "https://shop.example.test$1" | grep -o 'pod=[^ ]*'; }
	[ "$(route /api)" = pod=default/api-1 ]
	[ "$(route /api/v1/items)" = pod=default/api-1 ]
	[ "$(route /apiv1)" = pod=default/web-1 ]	# not a path element of /api
	[ "$(route /exact)" = pod=default/api-1 ]
	[ "$(route /exact/more)" = pod=default/web-1 ]	# Exact takes no sub-path
	[ "$(route /other)" = pod=default/web-1 ]
	# The response names the rule that matched.
	run lcurl -D- -o /dev/null https://shop.example.test/api/v1
	[[ "$output" == *"X-Podpath-Ingress: default/shop host=shop.example.test path=/api (Prefix) -> default/api:8000 endpoint=$(pod_ip "${LAB}_pod_default_api-1"):8080"* ]]
}

@test "TLS: verified against the lab CA, refused without it; HTTP is redirected" {
	run lcurl https://shop.example.test/
	[ "$status" -eq 0 ]
	run pp exec internet/laptop -- curl -s -m 3 https://shop.example.test/
	[ "$status" -eq 60 ]	# peer certificate cannot be authenticated
	openssl verify -CAfile "$(CA)" "/run/podpath/$LAB/ingress/tls.crt"
	openssl x509 -noout -ext subjectAltName -in "/run/podpath/$LAB/ingress/tls.crt" |
		grep -q "DNS:shop.example.test"
	run lcurl -o /dev/null -w '%{http_code} %{redirect_url}' http://shop.example.test/x
	[ "$output" = "308 https://shop.example.test/x" ]
	# trace says the same: the status line and where it points, not the page's HTML.
	run pp -j trace internet/laptop http://shop.example.test/x
	[ "$status" -eq 0 ]
	jq -e '.verdict.answer == "HTTP 308 Permanent Redirect, Location: https://shop.example.test/x"' <<<"$output"
}

@test "unknown hosts get the default backend's 404" {
	run lcurl -w ' %{http_code}' -H "Host: nothing.example.test" "http://$(lb_ip)/"
	[ "$output" = "default backend - 404
 404" ]
}

@test "X-Forwarded-For carries the client's address, from the internet and from a pod" {
	run lcurl https://shop.example.test/
	[[ "$output" == *"xff=203.0.113.20"* ]]
	# A pod reaches the ingress through kube-proxy, which serves the
	# LoadBalancer IP on its own node (this lab has no cluster DNS: the name
	# is pinned to the address the internet's DNS gives).
	client=$(pod_ip "${LAB}_pod_default_web-1")
	run pp exec default/web-1 -- curl -s -m 3 --cacert "$(CA)" \
		--resolve "shop.example.test:443:$(lb_ip)" https://shop.example.test/api
	[[ "$output" == *"pod=default/api-1"*"xff=$client"* ]]
}

@test "status lists the Ingress with its hosts and address" {
	run pp -j status
	jq -e --arg lb "$(lb_ip)" '.ingresses[] | select(.name == "shop") |
		.hosts == ["shop.example.test"] and .address == $lb and .tls == ["shop.example.test"]' <<<"$output"
}

@test "bad Ingresses exit 2 naming the field, and build nothing" {
	for f in ingress-unknown-service ingress-bad-path-type ingress-dup-host-path; do
		run "$PODPATH" --lab pp-bats-ingress-bad setup -f "$TOPOS/bad/$f.json"
		[ "$status" -eq 2 ]
		[[ "$output" == *".ingresses["* ]]
	done
	[ -z "$(lab_leftovers pp-bats-ingress-bad)" ]
}

@test "trace https through the ingress: TLS verified, the rule named, nginx's own connection to the endpoint pod" {
	run pp -j trace internet/laptop https://shop.example.test/api/v1 --timeout 3
	[ "$status" -eq 0 ]
	out=$output
	jq -e '.verdict.result == "delivered" and (.verdict.answer | test("pod=default/api-1 .*xff=203.0.113.20"))' <<<"$out"
	jq -e '.verdict.tls | test("verified by /run/podpath/")' <<<"$out"
	jq -e '.verdict.ingress_rule | test("^default/shop host=shop.example.test path=/api \\(Prefix\\) -> default/api:8000")' <<<"$out"
	jq -e '.proxy == "ingress-nginx/controller"' <<<"$out"
	# Connection 1 ends at the controller pod (after the LB's and kube-proxy's DNATs) ...
	jq -e 'any(.hops[]; .place == "pod ingress-nginx/controller" and .direction == "request" and .packet.dport == 443)' <<<"$out"
	# ... connection 2 leaves it straight for api-1's address and targetPort
	# (ingress-nginx's balancer), naming the Service and the endpoint.
	ctrl=$(pod_ip "${LAB}_pod_ingress-nginx_controller")
	api1=$(pod_ip "${LAB}_pod_default_api-1")
	jq -e --arg c "$ctrl" --arg a "$api1" '.upstream.hops[0] | .packet.src == $c and .packet.dst == $a and .packet.dport == 8080' <<<"$out"
	jq -e '.upstream.dst.name == "default/api-1:8080"' <<<"$out"
	jq -e --arg a "$api1" '.verdict.ingress_rule | contains("endpoint=\($a):8080") and contains("Service default/api port 8000, bypassing kube-proxy")' <<<"$out"
	# No kube-proxy DNAT on it: no hop names a Service, and the kernel's
	# conntrack on the controller's node holds it untranslated.
	jq -e '[.upstream.hops[] | select(.service != null)] | length == 0' <<<"$out"
	sport=$(jq -r '.upstream.hops[0].packet.sport' <<<"$out")
	ct=$(ip netns exec "${LAB}_node_node-1" conntrack -L -p tcp --sport "$sport" -s "$ctrl" 2>/dev/null)
	echo "conntrack: $ct"
	[[ "$ct" == *"dst=$api1 sport=$sport dport=8080"*"src=$api1 dst=$ctrl sport=8080 dport=$sport"* ]]
	svc=$(ip netns exec "${LAB}_node_node-1" nft list map ip kube-proxy service-ips |
		grep -o '[0-9.]* \. tcp \. 8000' | awk '{print $1}')
	[ -n "$svc" ]
	[[ "$ct" != *"$svc"* ]]
}

@test "trace https to a name the certificate does not hold, or to a plain HTTP port: tls-failed, exit 1, no request sent (curl agrees)" {
	lb=$(lb_ip)
	# curl refuses the certificate for the bare address (60: peer certificate not verified).
	run lcurl -o /dev/null "https://$lb/"
	[ "$status" -eq 60 ]
	log=/run/podpath/$LAB/ingress/access.log
	before=$(wc -l <"$log")
	run pp -j trace internet/laptop "https://$lb/" --timeout 3
	echo "$output" | jq -c .verdict
	[ "$status" -eq 1 ]
	jq -e '.verdict.result == "tls-failed" and (.verdict.reason | test("not verified"))' <<<"$output"
	# Like curl, the probe sent no request: nginx logged none (and one
	# request that does arrive is logged, so the log is watching).
	[ "$(wc -l <"$log")" -eq "$before" ]
	lcurl -o /dev/null https://shop.example.test/
	[ "$(wc -l <"$log")" -eq $((before + 1)) ]
	# A plain HTTP port spoken to in TLS: curl fails the handshake (35), and so does the trace.
	api1=$(pod_ip "${LAB}_pod_default_api-1")
	run pp exec default/web-1 -- curl -s -m 3 -o /dev/null "https://$api1:8080/"
	[ "$status" -eq 35 ]
	run pp -j trace default/web-1 "https://$api1:8080/"
	[ "$status" -eq 1 ]
	jq -e '.verdict.result == "tls-failed" and (.verdict.reason | test("TLS failed"))' <<<"$output"
}
