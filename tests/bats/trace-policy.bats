#!/usr/bin/env bats
# trace names what decided under NetworkPolicy (issue 13, item 4): a probe
# the lab's policies deny exits 1 with cause denied-by-policy, naming the
# direction, the isolated pod, every isolating policy and the nftables rule
# that dropped it; an admitted one names the policy and rule that admitted
# it. Each verdict is checked against the kernel's own account: the pods'
# connections with bash's /dev/tcp, and the rules as nft lists them.

bats_require_minimum_version 1.5.0

LAB=nptr

# node-1: client (app=client), frontend (role=frontend), locked
# (app=locked); node-2: web (app=web) serving TCP 80, behind Service
# default/web port 8080.
#   deny-web        isolates web's ingress, admits nothing;
#   allow-frontend  web admits role=frontend on 80/TCP;
#   lock-egress     isolates locked's egress, admits nothing;
# ingress-nginx/controller (node-1) serves web.example.test from default/web,
# whose policies do not admit it.
# guarded (node-1, app=guarded, role=frontend) serves TCP and UDP 80 and is
# isolated both ways:
#   guard-in        guarded admits app=client on 80/TCP;
#   guard-out       guarded may send only to app=web on 80/TCP.
topology() {
	cat <<'EOF'
{
  "nodes": [ { "name": "node-1" }, { "name": "node-2" } ],
  "pods": [
    { "name": "client", "node": "node-1", "labels": { "app": "client" },
      "containers": [ { "name": "c", "ports": [ { "name": "http", "containerPort": 80 } ] } ] },
    { "name": "frontend", "node": "node-1", "labels": { "role": "frontend" },
      "containers": [ { "name": "c" } ] },
    { "name": "locked", "node": "node-1", "labels": { "app": "locked" },
      "containers": [ { "name": "c" } ] },
    { "name": "guarded", "node": "node-1", "labels": { "app": "guarded", "role": "frontend" },
      "containers": [ { "name": "g", "ports": [ { "name": "http", "containerPort": 80 },
                                                { "name": "echo", "containerPort": 80, "protocol": "UDP" } ] } ] },
    { "namespace": "ingress-nginx", "name": "controller", "node": "node-1",
      "labels": { "app.kubernetes.io/name": "ingress-nginx" },
      "containers": [ { "name": "controller", "image": "nginx",
                        "ports": [ { "name": "http", "containerPort": 80 } ] } ] },
    { "name": "web", "node": "node-2", "labels": { "app": "web" },
      "containers": [ { "name": "web", "ports": [ { "name": "http", "containerPort": 80 } ] } ] }
  ],
  "services": [
    { "name": "web", "type": "NodePort", "selector": { "app": "web" },
      "ports": [ { "name": "http", "port": 8080, "targetPort": "http" } ] },
    { "namespace": "ingress-nginx", "name": "ingress-nginx-controller", "type": "LoadBalancer",
      "externalTrafficPolicy": "Local", "selector": { "app.kubernetes.io/name": "ingress-nginx" },
      "ports": [ { "name": "http", "port": 80, "targetPort": "http" } ] }
  ],
  "ingresses": [
    { "name": "web",
      "rules": [ { "host": "web.example.test",
                   "http": { "paths": [ { "path": "/", "pathType": "Prefix",
                                          "backend": { "service": { "name": "web", "port": { "number": 8080 } } } } ] } } ] }
  ],
  "networkPolicies": [
    { "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
      "metadata": { "namespace": "default", "name": "deny-web" },
      "spec": { "podSelector": { "matchLabels": { "app": "web" } }, "policyTypes": [ "Ingress" ] } },
    { "metadata": { "name": "allow-frontend" },
      "spec": { "podSelector": { "matchLabels": { "app": "web" } },
                "ingress": [ { "from": [ { "podSelector": { "matchLabels": { "role": "frontend" } } } ],
                               "ports": [ { "protocol": "TCP", "port": 80 } ] } ] } },
    { "metadata": { "name": "lock-egress" },
      "spec": { "podSelector": { "matchLabels": { "app": "locked" } }, "policyTypes": [ "Egress" ] } },
    { "metadata": { "name": "guard-in" },
      "spec": { "podSelector": { "matchLabels": { "app": "guarded" } },
                "ingress": [ { "from": [ { "podSelector": { "matchLabels": { "app": "client" } } } ],
                               "ports": [ { "protocol": "TCP", "port": 80 } ] } ] } },
    { "metadata": { "name": "guard-out" },
      "spec": { "podSelector": { "matchLabels": { "app": "guarded" } }, "policyTypes": [ "Egress" ],
                "egress": [ { "to": [ { "podSelector": { "matchLabels": { "app": "web" } } } ],
                              "ports": [ { "protocol": "TCP", "port": 80 } ] } ] } }
  ]
}
EOF
}

setup_file() {
	load helpers
	lab_cleanup $LAB
	topology >"$BATS_FILE_TMPDIR/np.json"
	"$PODPATH" --lab $LAB setup -f "$BATS_FILE_TMPDIR/np.json" >/dev/null
}

teardown_file() {
	load helpers
	lab_cleanup $LAB
}

setup() { load helpers; }

N1=${LAB}_node_node-1
N2=${LAB}_node_node-2

tr() { # ARGS... -> JSON in $out, status in $st
	st=0
	out=$("$PODPATH" --lab $LAB -j trace "$@") || st=$?
}
j() { jq -r "$1" <<<"$out"; }

# Does a TCP connection from pod $1 to $2:$3 open? A denied SYN is never
# answered: 3 s is what it is given; an allowed one 30 s, a bound for a
# loaded machine, not a pace.
connects() { # FROM IP PORT [SECONDS]
	ip netns exec "${LAB}_pod_default_$1" timeout "${4:-30}" \
		bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

web_ip() { pod_ip "${LAB}_pod_default_web"; }

# The rule with handle $3 in chain $2 of node namespace $1, as nft -a lists it.
nft_rule() { # NETNS CHAIN HANDLE
	ip netns exec "$1" nft -a list chain ip network-policy "$2" | grep -E "# handle $3\$"
}

@test "denied ingress: denied-by-policy names the pod, both policies, the peer and port, and the drop rule nft shows" {
	tr client web -p tcp --port 80
	echo "$out" | jq -c '.verdict.findings[0], .policy' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.result)" = dropped ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[ "$(j '.verdict.findings[0].check')" = network-policy ]
	[ "$(j '.verdict.findings[0].policy')" = ingress ]
	[ "$(j '.verdict.findings[0].netns')" = "$N2" ]
	[[ "$(j .verdict.reason)" == *"ingress to default/web is isolated by default/deny-web and default/allow-frontend; no rule admits default/client to port 80/TCP"* ]]
	[ "$(j '.policy.ingress.pod')" = default/web ]
	[ "$(j '.policy.ingress.isolated_by | join(",")')" = "default/deny-web,default/allow-frontend" ]
	[ "$(j '.policy.ingress.allowed')" = false ]
	[ "$(j '.policy.ingress.admitted_by')" = null ]
	[ "$(j '.policy.ingress.nftables.chain')" = cali-tw-default/web ]
	[ "$(j '.policy.ingress.nftables.verdict')" = drop ]
	[ "$(j '.policy.egress.isolated')" = false ]
	# The command it gives lists the chain; the handle it names is the drop.
	cmd=$(j '.verdict.findings[0].command')
	[ "$cmd" = "ip netns exec $N2 nft -a list chain ip network-policy cali-tw-default/web" ]
	run nft_rule "$N2" cali-tw-default/web "$(j '.policy.ingress.nftables.handle')"
	[ "$status" -eq 0 ]
	[[ "$output" == *"drop comment \"ingress to default/web isolated by default/deny-web, default/allow-frontend\""* ]]
	# The prediction ends at the denial: no divergence.
	[ "$(j '.verdict.divergence_at.kind')" = none ]
	[ "$(j '.expected_path[-1].kind')" = policy ]
	[ "$(j '.expected_path[-1].direction')" = ingress ]
	[ "$(j '.expected_path[-1].netns')" = "$N2" ]
	# The kernel agrees: the client cannot connect, the frontend can.
	run connects client "$(web_ip)" 80 3
	[ "$status" -ne 0 ]
	run connects frontend "$(web_ip)" 80
	[ "$status" -eq 0 ]
}

@test "admitted ingress: delivered, naming the policy and rule that admitted it and the rule nft accepted it by" {
	tr frontend web -p tcp --port 80
	echo "$out" | jq -c '.verdict.findings, .policy.ingress' >&2
	[ "$st" -eq 0 ]
	[ "$(j .verdict.result)" = delivered ]
	[ "$(j '.policy.ingress.allowed')" = true ]
	[ "$(j '.policy.ingress.admitted_by.policy')" = default/allow-frontend ]
	[ "$(j '.policy.ingress.admitted_by.path')" = "spec.ingress[0].from[0] ports[0]" ]
	[ "$(j '.policy.ingress.nftables.chain')" = cali-pi-default/allow-frontend ]
	[ "$(j '.policy.ingress.nftables.verdict')" = accept ]
	note=$(j '.verdict.findings[] | select(.check == "network-policy") | .cause')
	[ "$note" = admitted-by-policy ]
	[[ "$(j '.verdict.findings[] | select(.check == "network-policy") | .text')" == "ingress to default/web admitted by default/allow-frontend spec.ingress[0].from[0] ports[0]"* ]]
	run nft_rule "$N2" cali-pi-default/allow-frontend "$(j '.policy.ingress.nftables.handle')"
	[ "$status" -eq 0 ]
	[[ "$output" == *"accept comment \"default/allow-frontend spec.ingress[0].from[0] ports[0]\""* ]]
	# Text: the policy section says the same.
	run "$PODPATH" --lab $LAB trace frontend web -p tcp --port 80
	[ "$status" -eq 0 ]
	[[ "$output" == *"network policy:"* ]]
	[[ "$output" == *"ingress to default/web ("*"isolated by default/deny-web, default/allow-frontend; admitted by default/allow-frontend spec.ingress[0].from[0] ports[0]"* ]]
	run connects frontend "$(web_ip)" 80
	[ "$status" -eq 0 ]
}

@test "denied egress: dropped on the source's node in its cali-fw chain, named as egress" {
	tr locked web -p tcp --port 80
	echo "$out" | jq -c '.verdict.findings[0], .policy' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[ "$(j '.verdict.findings[0].policy')" = egress ]
	[ "$(j '.verdict.findings[0].netns')" = "$N1" ]
	[[ "$(j .verdict.reason)" == *"egress from default/locked is isolated by default/lock-egress; no rule admits it to default/web port 80/TCP"* ]]
	# Web's own side would deny it too: both ends must admit.
	[[ "$(j .verdict.reason)" == *"(ingress to default/web would deny it too)"* ]]
	[ "$(j '.policy.egress.isolated_by | join(",")')" = default/lock-egress ]
	[ "$(j '.policy.egress.nftables.chain')" = cali-fw-default/locked ]
	run nft_rule "$N1" cali-fw-default/locked "$(j '.policy.egress.nftables.handle')"
	[ "$status" -eq 0 ]
	[[ "$output" == *"drop comment \"egress from default/locked isolated by default/lock-egress\""* ]]
	[ "$(j '.verdict.divergence_at.kind')" = none ]
	[ "$(j '.expected_path[-1].direction')" = egress ]
	run connects locked "$(web_ip)" 80 3
	[ "$status" -ne 0 ]
}

@test "a Service: denied after DNAT, on the endpoint's address and target port" {
	cip=$("$PODPATH" --lab $LAB -j status | jq -r '.services[] | select(.name == "web") | .clusterIP')
	[ -n "$cip" ]
	[ "$cip" != null ]
	tr client svc/default/web
	echo "$out" | jq -c '.verdict.findings[0], .policy, .expected_path' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[ "$(j '.policy.ingress.pod')" = default/web ]
	# The policy saw the pod's address and port 80, not the ClusterIP's 8080.
	[ "$(j '.policy.ingress.packet.dst')" = "$(web_ip)" ]
	[ "$(j '.policy.ingress.packet.port')" = 80 ]
	[ "$(j '.policy.ingress.packet_from')" = nftables ]
	[[ "$(j .verdict.reason)" == *"no rule admits default/client to port 80/TCP"* ]]
	[ "$(j '.verdict.divergence_at.kind')" = none ]
	run connects client "$cip" 8080 3
	[ "$status" -ne 0 ]
	run connects frontend "$cip" 8080
	[ "$status" -eq 0 ]
	# Through the Service, the frontend is admitted by the same rule.
	tr frontend svc/default/web
	[ "$st" -eq 0 ]
	[ "$(j '.policy.ingress.admitted_by.policy')" = default/allow-frontend ]
}

@test "isolated both ways and admitted: egress and ingress each name their policy and rule, in text and JSON" {
	tr guarded web -p tcp --port 80
	echo "$out" | jq -c '.verdict.findings, .policy' >&2
	[ "$st" -eq 0 ]
	[ "$(j .verdict.result)" = delivered ]
	[ "$(j '.policy.egress.pod')" = default/guarded ]
	[ "$(j '.policy.egress.isolated_by | join(",")')" = default/guard-out ]
	[ "$(j '.policy.egress.admitted_by.policy')" = default/guard-out ]
	[ "$(j '.policy.egress.admitted_by.path')" = "spec.egress[0].to[0] ports[0]" ]
	[ "$(j '.policy.egress.nftables.chain')" = cali-po-default/guard-out ]
	[ "$(j '.policy.egress.nftables.netns')" = "$N1" ]
	[ "$(j '.policy.egress.nftables.agrees')" = true ]
	[ "$(j '.policy.ingress.admitted_by.policy')" = default/allow-frontend ]
	[ "$(j '.policy.ingress.admitted_by.path')" = "spec.ingress[0].from[0] ports[0]" ]
	[ "$(j '.policy.ingress.nftables.chain')" = cali-pi-default/allow-frontend ]
	[ "$(j '.policy.ingress.nftables.netns')" = "$N2" ]
	[ "$(j '.policy.ingress.nftables.agrees')" = true ]
	text=$(j '.verdict.findings[] | select(.check == "network-policy") | .text')
	[[ "$text" == "egress from default/guarded admitted by default/guard-out spec.egress[0].to[0] ports[0]"*"; ingress to default/web admitted by default/allow-frontend spec.ingress[0].from[0] ports[0]"* ]]
	# The rules nft shows at the handles named are those accepts.
	run nft_rule "$N1" cali-po-default/guard-out "$(j '.policy.egress.nftables.handle')"
	[[ "$output" == *'accept comment "default/guard-out spec.egress[0].to[0] ports[0]"'* ]]
	run nft_rule "$N2" cali-pi-default/allow-frontend "$(j '.policy.ingress.nftables.handle')"
	[[ "$output" == *'accept comment "default/allow-frontend spec.ingress[0].from[0] ports[0]"'* ]]
	run "$PODPATH" --lab $LAB trace guarded web -p tcp --port 80
	[ "$status" -eq 0 ]
	[[ "$output" == *"egress from default/guarded ("*"isolated by default/guard-out; admitted by default/guard-out spec.egress[0].to[0] ports[0]"* ]]
	[[ "$output" == *"ingress to default/web ("*"admitted by default/allow-frontend spec.ingress[0].from[0] ports[0]"* ]]
	run connects guarded "$(web_ip)" 80
	[ "$status" -eq 0 ]
}

@test "a pod isolated both ways: its egress denial is blamed on its egress, on its node, not on its ingress" {
	cl=$(pod_ip "${LAB}_pod_default_client")
	tr guarded client -p tcp --port 80
	echo "$out" | jq -c '.verdict.findings[0], .policy' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[ "$(j '.verdict.findings[0].policy')" = egress ]
	[ "$(j '.verdict.findings[0].netns')" = "$N1" ]
	[[ "$(j .verdict.reason)" == "egress from default/guarded is isolated by default/guard-out; no rule admits it to default/client port 80/TCP;"* ]]
	[[ "$(j .verdict.reason)" != *"ingress to default/guarded"* ]]
	[ "$(j '.policy.egress.nftables.chain')" = cali-fw-default/guarded ]
	[ "$(j '.policy.egress.nftables.verdict')" = drop ]
	[ "$(j '.policy.ingress.pod')" = default/client ]
	[ "$(j '.policy.ingress.isolated')" = false ]
	run nft_rule "$N1" cali-fw-default/guarded "$(j '.policy.egress.nftables.handle')"
	[[ "$output" == *'drop comment "egress from default/guarded isolated by default/guard-out"'* ]]
	# The kernel: the client serves 80 to a pod no egress policy isolates
	# (frontend), but guarded cannot reach it; the client, which guard-in
	# admits, reaches guarded's, and the replies come back through
	# guarded's own egress isolation (conntrack).
	connects frontend "$cl" 80
	run ip netns exec "${LAB}_pod_default_guarded" timeout 3 bash -c "exec 3<>/dev/tcp/$cl/80"
	[ "$status" -ne 0 ]
	run connects client "$(pod_ip "${LAB}_pod_default_guarded")" 80
	[ "$status" -eq 0 ]
}

@test "same node: ingress denial of a pod isolated both ways is blamed on its ingress" {
	tr frontend guarded -p tcp --port 80
	echo "$out" | jq -c '.verdict.findings[0], .policy' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[ "$(j '.verdict.findings[0].policy')" = ingress ]
	[ "$(j '.verdict.findings[0].netns')" = "$N1" ]
	[[ "$(j .verdict.reason)" == "ingress to default/guarded is isolated by default/guard-in; no rule admits default/frontend to port 80/TCP;"* ]]
	[ "$(j '.policy.ingress.nftables.chain')" = cali-tw-default/guarded ]
	[ "$(j '.policy.egress.isolated')" = false ]
	run connects frontend "$(pod_ip "${LAB}_pod_default_guarded")" 80 3
	[ "$status" -ne 0 ]
}

@test "UDP: denied on the same node and across nodes, the port said as UDP" {
	tr client guarded -p udp --port 80
	echo "$out" | jq -c '.verdict.findings[0]' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[ "$(j '.verdict.findings[0].policy')" = ingress ]
	[[ "$(j .verdict.reason)" == "ingress to default/guarded is isolated by default/guard-in; no rule admits default/client to port 80/UDP;"* ]]
	[ "$(j '.policy.ingress.packet.protocol')" = 17 ]
	tr frontend web -p udp --port 80
	echo "$out" | jq -c '.verdict.findings[0]' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[ "$(j '.verdict.findings[0].netns')" = "$N2" ]
	[[ "$(j .verdict.reason)" == "ingress to default/web is isolated by default/deny-web and default/allow-frontend; no rule admits default/frontend to port 80/UDP;"* ]]
	run nft_rule "$N2" cali-tw-default/web "$(j '.policy.ingress.nftables.handle')"
	[[ "$output" == *"drop comment"* ]]
}

@test "--no-kernel-drops: the policy is still named, and the rule" {
	tr client web -p tcp --port 80 --no-kernel-drops
	echo "$out" | jq -c '.verdict.findings[0]' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[[ "$(j .verdict.reason)" == "ingress to default/web is isolated by default/deny-web and default/allow-frontend; no rule admits default/client to port 80/TCP;"* ]]
	[ "$(j '.policy.ingress.nftables.chain')" = cali-tw-default/web ]
	[ "$(j '.verdict.findings[0].command')" = "ip netns exec $N2 nft -a list chain ip network-policy cali-tw-default/web" ]
}

@test "a Service, denied on the way out: egress names the endpoint pod the DNAT chose" {
	tr locked svc/default/web
	echo "$out" | jq -c '.verdict.findings[0], .policy' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[ "$(j '.verdict.findings[0].policy')" = egress ]
	[ "$(j '.verdict.findings[0].netns')" = "$N1" ]
	[ "$(j '.policy.egress.packet.dst')" = "$(web_ip)" ]
	[ "$(j '.policy.egress.packet.port')" = 80 ]
	[ "$(j '.policy.ingress.pod')" = default/web ]
	[[ "$(j .verdict.reason)" == "egress from default/locked is isolated by default/lock-egress; no rule admits it to default/web port 80/TCP"* ]]
}

@test "a NodePort on another node: the masqueraded request is denied at the endpoint's node, named, also without kernel drops" {
	n1=$("$PODPATH" --lab $LAB -j status | jq -r '.nodes[] | select(.name == "node-1") | .ip')
	np=$("$PODPATH" --lab $LAB -j status | jq -r '.services[] | select(.name == "web") | .ports[0].nodePort')
	[ -n "$np" ]
	[ "$np" != null ]
	for opt in "" --no-kernel-drops; do
		tr client "$n1" -p tcp --port "$np" $opt
		echo "$out" | jq -c '.verdict.findings[0], .policy' >&2
		[ "$st" -eq 1 ]
		[ "$(j .verdict.cause)" = denied-by-policy ]
		[ "$(j '.verdict.findings[0].policy')" = ingress ]
		[ "$(j '.verdict.findings[0].netns')" = "$N2" ]
		# kube-proxy masqueraded it to node-1's address: that is what web's
		# policies see, and none admits it.
		[ "$(j '.policy.ingress.pod')" = default/web ]
		[ "$(j '.policy.ingress.packet.src')" = "$n1" ]
		[ "$(j '.policy.ingress.packet.dst')" = "$(web_ip)" ]
		[ "$(j '.policy.ingress.packet.port')" = 80 ]
		[[ "$(j .verdict.reason)" == "ingress to default/web is isolated by default/deny-web and default/allow-frontend; no rule admits node/node-1 ($n1) to port 80/TCP;"* ]]
		# What showed the drop: the kernel's NETFILTER_DROP, or with
		# kernel drops unwatched, where the request vanished
		# (podpath-trace(8) says both).
		if [ -z "$opt" ]; then
			[[ "$(j .verdict.reason)" == *"; the kernel dropped it in node node-2 (NETFILTER_DROP) where the lab's plan puts chain cali-tw-default/web of table network-policy"* ]]
		else
			[[ "$(j .verdict.reason)" == *"kernel drops were not watched (--no-kernel-drops): it vanished in node node-2, where the lab's plan puts chain cali-tw-default/web"* ]]
		fi
		[ "$(j '.verdict.findings[0].command')" = "ip netns exec $N2 nft -a list chain ip network-policy cali-tw-default/web" ]
	done
	# The kernel: through the NodePort even the frontend is refused now.
	run ip netns exec "${LAB}_pod_default_frontend" timeout 3 bash -c "exec 3<>/dev/tcp/$n1/$np"
	[ "$status" -ne 0 ]
}

@test "behind an ingress controller: its own connection denied by policy is the client's verdict, named" {
	tr internet/laptop http://web.example.test/
	echo "$out" | jq -c '.verdict.findings[0], .upstream.policy' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[ "$(j '.verdict.findings[0].policy')" = ingress ]
	[ "$(j '.verdict.findings[0].netns')" = "$N2" ]
	[[ "$(j .verdict.reason)" == "connection 2, ingress-nginx/controller's own to the endpoint (see upstream): ingress to default/web is isolated by default/deny-web and default/allow-frontend; no rule admits ingress-nginx/controller to port 80/TCP;"* ]]
	[ "$(j '.verdict.findings[0].command')" = "ip netns exec $N2 nft -a list chain ip network-policy cali-tw-default/web" ]
	[ "$(j '.upstream.policy.ingress.pod')" = default/web ]
	[ "$(j '.upstream.policy.ingress.nftables.chain')" = cali-tw-default/web ]
	[ "$(j '.upstream.verdict.cause')" = denied-by-policy ]
	# The finding says whose policy details are its own: connection 2's,
	# in upstream.policy; the top level is the client's connection to the
	# controller, whose own ingress is not isolated.
	[ "$(j '.verdict.findings[0].connection')" = 2 ]
	[ "$(j '.upstream.verdict.findings[0].connection')" = 1 ]
	[ "$(j '.policy.ingress.pod')" = ingress-nginx/controller ]
	[ "$(j '.verdict.findings[0] as $f | (if $f.connection == 2 then .upstream.policy else .policy end)[$f.policy] | .pod, .allowed')" = "default/web
false" ]
	# Text: connection 2 has its policy section.
	run "$PODPATH" --lab $LAB trace internet/laptop http://web.example.test/
	[ "$status" -eq 1 ]
	[[ "$output" == *"network policy of connection 2:"*"ingress to default/web ("*"no rule admits it"* ]]
	# The kernel: the controller cannot open a connection to web.
	run ip netns exec "${LAB}_pod_ingress-nginx_controller" timeout 3 bash -c "exec 3<>/dev/tcp/$(web_ip)/80"
	[ "$status" -ne 0 ]
}

@test "behind an ingress controller: its own 504 for a connection denied by policy is still the denial" {
	# The kernel's account first: nginx gives up on connection 2 after its
	# proxy_connect_timeout (5 s, ingress-nginx's) and answers 504 itself.
	run "$PODPATH" --lab $LAB exec internet/laptop -- curl -s -o /dev/null -w '%{http_code}' -m 30 http://web.example.test/
	[ "$output" = 504 ]
	# A --timeout beyond it: the client gets that 504, yet the verdict is
	# the denial of connection 2, not a delivery.
	tr internet/laptop http://web.example.test/ --timeout 20
	echo "$out" | jq -c '.verdict, .upstream.verdict.findings[0]' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	[ "$(j .verdict.result)" = dropped ]
	[[ "$(j .verdict.reason)" == "connection 2, ingress-nginx/controller's own to the endpoint (see upstream), for which it answered HTTP 504 Gateway Time-out: ingress to default/web is isolated by default/deny-web and default/allow-frontend; no rule admits ingress-nginx/controller to port 80/TCP;"* ]]
	[ "$(j '.verdict.findings[0].connection')" = 2 ]
	[ "$(j '.upstream.verdict.cause')" = denied-by-policy ]
	[ "$(j '.upstream.policy.ingress.pod')" = default/web ]
}

@test "egress to the internet denied: the peer is named as the trace was given it" {
	tr locked internet/example.com -p tcp --port 80
	echo "$out" | jq -c '.verdict.findings[0]' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = denied-by-policy ]
	ip=$(j .dst.ip)
	[[ "$(j .verdict.reason)" == "egress from default/locked is isolated by default/lock-egress; no rule admits it to internet/example.com ($ip) port 80/TCP;"* ]]
	run ip netns exec "${LAB}_pod_default_locked" timeout 3 bash -c "exec 3<>/dev/tcp/$ip/80"
	[ "$status" -ne 0 ]
	run ip netns exec "${LAB}_pod_default_client" timeout 30 bash -c "exec 3<>/dev/tcp/$ip/80"
	[ "$status" -eq 0 ]
}

# Every key of the JSON's policy object (both sides isolated and admitted,
# and a denial), and of a policy step of expected_path, is named in the
# row docs/trace-json.md gives it.
@test "docs/trace-json.md names every policy field trace emits" {
	doc="$BATS_TEST_DIRNAME/../../docs/trace-json.md"
	undocumented() { # ROW-NAME JQ-KEYS
		local row k
		row=$(grep -E "^\| \`$1\` \|" "$doc")
		[ -n "$row" ] || { echo "no row $1"; return 0; }
		for k in $(jq -r "$2" <<<"$out"); do
			[[ "$row" =~ (^|[^a-z_])$k([^a-z_]|$) ]] || echo "$1: $k"
		done
	}
	tr guarded web -p tcp --port 80
	[ "$(j '.policy.egress.admitted_by | type')" = object ]
	[ "$(j '.policy.ingress.nftables | type')" = object ]
	run undocumented policy '[.policy | .. | objects | keys[]] | unique[]'
	[ -z "$output" ]
	tr client web -p tcp --port 80
	[ "$(j '.expected_path[-1].kind')" = policy ]
	run undocumented policy '[.policy | .. | objects | keys[]] | unique[]'
	[ -z "$output" ]
	run undocumented 'expected_path\[\]' '.expected_path[-1] | keys[]'
	[ -z "$output" ]
	run undocumented 'verdict.findings\[\]' '.verdict.findings[0] | keys[]'
	[ -z "$output" ]
}

# Last: it changes the lab for good (teardown_file removes it).
@test "the kernel's rules differ from the policies: said so, with podpath check, not a made-up cause" {
	# Delete the frontend's accept rule by hand: the lab's policies still
	# admit it, the kernel now drops it.
	h=$(ip netns exec "$N2" nft -a list chain ip network-policy cali-pi-default/allow-frontend |
		sed -n 's/.*accept comment .* # handle \([0-9]*\)$/\1/p' | head -1)
	[ -n "$h" ]
	ip netns exec "$N2" nft delete rule ip network-policy cali-pi-default/allow-frontend handle "$h"
	tr frontend web -p tcp --port 80
	echo "$out" | jq -c '.verdict.findings[0]' >&2
	[ "$st" -eq 1 ]
	[ "$(j .verdict.cause)" = policy-rules-differ ]
	[ "$(j '.verdict.findings[0].expected')" = accept ]
	[ "$(j '.verdict.findings[0].actual')" = drop ]
	[ "$(j '.verdict.findings[0].command')" = "$PODPATH --lab $LAB check" ]
	[[ "$(j .verdict.reason)" == *"admitted by default/allow-frontend spec.ingress[0].from[0] ports[0]"* ]]
	run connects frontend "$(web_ip)" 80 3
	[ "$status" -ne 0 ]
	# And podpath check, comparing the kernel with the plan, finds the rule gone.
	run "$PODPATH" --lab $LAB check
	[ "$status" -eq 1 ]
	[[ "$output" == *allow-frontend* ]]
}
