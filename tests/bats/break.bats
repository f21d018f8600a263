#!/usr/bin/env bats
# podpath break: every fault of the catalogue on the default lab. Each
# scenario applies one fault, sees it with the kernel's own tools, sees the
# connection it breaks fail from inside a pod (curl, dig, ping: never
# podpath's word), sees `podpath trace` exit 1, undoes it, and compares the
# lab's whole kernel state (links, addresses, routes, rules, permanent
# neighbours, nftables rulesets, the sysctls faults touch, iptables-legacy
# rules, listening sockets) with the state before: it must be the same. One
# lab for the file; every test leaves it as it found it.

LAB=ppt-break
load helpers

setup_file() {
	lab_cleanup "$LAB"
	lab_cleanup "$LAB-vpc"
	"$PODPATH" --lab "$LAB" setup >/dev/null
}

teardown_file() {
	lab_cleanup "$LAB"
	lab_cleanup "$LAB-vpc"
}

# A test that fails half-way leaves no fault to the next.
teardown() {
	"$PODPATH" --lab "$LAB" break --undo >/dev/null 2>&1 || true
}

ns() { echo "${LAB}_$1"; }	# ns node_node-2 -> ppt-break_node_node-2
pod_ns() { ns "pod_${1/\//_}"; }	# pod_ns default/web-2
node_ns() { ns "node_$1"; }
pod_addr() { pod_ip "$(pod_ns "$1")"; }

# Every part of the lab's kernel state a fault may touch, in a form that
# traffic alone does not change (counters, timers and learnt neighbours
# left out; iptables-legacy: its rules, for the kernel keeps a table once
# anything has read it).
snapshot() { # FILE
	local n
	carriers_settle "$LAB"
	for n in $(ip netns list | awk '{print $1}' | grep "^${LAB}_" | sort); do
		echo "== $n"
		ip -n "$n" -d link show | sed -E 's/ (hold|message_age|forward_delay|hello|tcn|topology_change|gc)_timer +[0-9.]+//g'
		ip -n "$n" -4 addr show
		ip -n "$n" route show table all
		ip -n "$n" rule show
		ip -n "$n" neigh show nud permanent
		ip netns exec "$n" nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
		ip netns exec "$n" sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter \
			net.netfilter.nf_conntrack_max 2>/dev/null
		ip netns exec "$n" iptables-legacy-save 2>/dev/null | grep '^-' || true
		ip netns exec "$n" ss -lntuH | awk '{print $1, $5}' | unbound_udp_out | sort
	done >"$1" 2>/dev/null
}

# Listeners without the UDP sockets a client binds to an ephemeral port
# (ip_local_port_range starts at 32768): dnsmasq forwards each query from
# one and keeps it until the answer or its timeout, so a fault that cut the
# answer's way (a route to coredns) leaves one open a while after undo.
unbound_udp_out() {
	awk '{ n = split($2, a, ":"); if ($1 == "udp" && a[n] + 0 >= 32768) next; print }'
}

# Bounded waits for a condition (never a fixed sleep): up to 20 s.
eventually() {
	local i
	for i in $(seq 40); do
		"$@" && return 0
		sleep 0.5
	done
	"$@"
}

# ---- the connections faults break, from inside the lab -------------------

http_from() { # NETNS URL: an HTTP answer (any status)
	ip netns exec "$1" curl -s -m 4 -o /dev/null -w '%{http_code}' "$2" | grep -qE '^[1-5][0-9][0-9]$'
}
client_to_web2() { http_from "$(pod_ns default/client)" "http://$(pod_addr default/web-2):8080/"; }
client_to_web_svc() { http_from "$(pod_ns default/client)" http://10.96.0.1/; }
client_to_internet() { http_from "$(pod_ns default/client)" http://203.0.113.10/; }
laptop_to_lb() { http_from "$(ns inet_laptop)" http://198.51.100.4/; }
laptop_tls() {
	ip netns exec "$(ns inet_laptop)" curl -s -m 5 -o /dev/null --cacert "/run/podpath/$LAB/ca.pem" \
		--resolve web.example.test:443:198.51.100.4 https://web.example.test/
}
laptop_pings_node1() { ip netns exec "$(ns inet_laptop)" ping -c 1 -W 2 198.51.100.2 >/dev/null; }
dns_from() { # POD: an answer from the cluster DNS's ClusterIP
	ip netns exec "$(pod_ns "$1")" dig +time=2 +tries=1 +short @10.96.0.10 \
		kube-dns.kube-system.svc.cluster.local | grep -qx 10.96.0.10
}
client_dns() { dns_from default/client; }
coredns_to_itself() { dns_from kube-system/coredns; }

# The host-side veth of a pod, in its node.
pod_veth() { # POD NODE
	ip -n "$(node_ns "$2")" -o link show | grep "link-netns $(pod_ns "$1")\$" |
		awk -F': ' '{print $2}' | cut -d@ -f1
}

# ---- what the diagnosis must say of each fault ------------------------------

# The cause a failed trace names (verdict.cause; | separates accepted ones:
# the stale endpoint a trace meets bridged on its own node is named by the
# rule that differs from the plan) and the kind of difference check lists.
declare -gA CAUSE=(
	[forwarding-off]=forwarding-off [blackhole-route]=blackhole-route
	[prohibit-route]=prohibit-route [unreachable-route]=unreachable-route
	[missing-pod-cidr-route]=route-missing [rp-filter-strict]=rp-filter
	[wrong-neighbour]=wrong-neighbour [veth-down]=veth-down [veth-detached]=veth-detached
	[no-listener]=no-listener [pod-firewall]=nft-rule [node-nft-drop]=nft-rule
	[iptables-legacy-drop]=iptables-legacy-rule [mtu-mismatch]=mtu
	[service-no-endpoints]=service-no-endpoints
	[stale-endpoint]="stale-endpoint|nft-rule-missing|nft-rule-extra"
	[kube-proxy-element-missing]=kube-proxy-element-missing [dns-down]=no-listener
	[masquerade-missing]=masquerade-missing [gateway-nat-missing]=gateway-nat-missing
	[hairpin-off]=hairpin-off [conntrack-full]=conntrack-full
)
declare -gA DIFF=(
	[forwarding-off]=sysctl [blackhole-route]=route-extra [prohibit-route]=route-extra
	[unreachable-route]=route-extra [missing-pod-cidr-route]=route-missing
	[rp-filter-strict]=sysctl [wrong-neighbour]=neighbour-extra [veth-down]=link-down
	[veth-detached]=link-master [no-listener]=listener-missing [pod-firewall]=nft-table-extra
	[node-nft-drop]=nft-table-extra [iptables-legacy-drop]=iptables-legacy-rule
	[mtu-mismatch]=link-mtu [service-no-endpoints]=nft-element-missing
	[stale-endpoint]=nft-rule-missing [kube-proxy-element-missing]=nft-element-missing
	[dns-down]=listener-missing [masquerade-missing]=nft-rule-missing
	[gateway-nat-missing]=nft-element-missing [hairpin-off]=hairpin
	[conntrack-full]=conntrack-full
)

# The trace's JSON ($output) names the fault: its cause, a place, and for a
# cause with a kernel object the command that shows it; check lists the
# difference, with a command.
diagnosed() { # FAULT
	local cause trace=$output
	cause=$(jq -r .verdict.cause <<<"$output")
	echo "trace: cause $cause; $(jq -r .verdict.reason <<<"$output")"
	[[ "|${CAUSE[$1]}|" == *"|$cause|"* ]]
	[ -n "$(jq -r '.verdict.findings[0].place // empty' <<<"$output")" ]
	run "$PODPATH" --lab "$LAB" -j check
	echo "check: $(jq -c '[.differences[] | [.check, .place, .object]]' <<<"$output")"
	[ "$status" -eq 1 ]
	jq -e --arg d "${DIFF[$1]}" 'any(.differences[]; .check == $d and .command != "")' <<<"$output"
	output=$trace	# for on_trace
}

# ---- one scenario ----------------------------------------------------------

# scenario FAULT TARGET TRACE-ARGS...: the connection `probe` works; FAULT
# applied on TARGET ("" for its default) makes `present` (the fault seen
# with the kernel's tools) true and `probe` fail, and the trace of
# TRACE-ARGS exit 1; --undo brings back exactly the state before, and
# `probe` works again. The test defines present and probe, and may define
# more checks of the fault while it is there: `on_trace` (the trace's
# output is in $output, e.g. that it names the cause) and `on_fault` (e.g.
# that podpath check names the difference).
scenario() {
	local fault=$1 on=$2
	shift 2
	snapshot "$BATS_TEST_TMPDIR/before"
	eventually probe
	if [ -n "$on" ]; then
		run "$PODPATH" --lab "$LAB" break "$fault" --on "$on"
	else
		run "$PODPATH" --lab "$LAB" break "$fault"
	fi
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "fault $fault applied to "* ]]
	grep -qxF "try:  $PODPATH --lab $LAB trace $*" <<<"$output"
	present
	run probe
	[ "$status" -ne 0 ]
	run "$PODPATH" --lab "$LAB" -j trace "$@" --timeout 2
	[ "$status" -eq 1 ]
	diagnosed "$fault"
	if declare -F on_trace >/dev/null; then on_trace; fi
	if declare -F on_fault >/dev/null; then on_fault; fi
	run "$PODPATH" --lab "$LAB" break --undo
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "/run/podpath/$LAB/break.json" ]
	snapshot "$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	eventually probe
	run "$PODPATH" --lab "$LAB" trace "$@" --timeout 2
	[ "$status" -eq 0 ]
}

sysctl_in() { ip netns exec "$1" sysctl -n "$2"; }

@test "forwarding-off: node-2 forwards nothing (net.ipv4.ip_forward 0)" {
	present() { [ "$(sysctl_in "$(node_ns node-2)" net.ipv4.ip_forward)" = 0 ]; }
	probe() { client_to_web2; }
	scenario forwarding-off "" default/client default/web-2
}

@test "blackhole-route: node-2 swallows web-2's traffic" {
	present() { ip -n "$(node_ns node-2)" route show "$(pod_addr default/web-2)/32" | grep -q '^blackhole'; }
	probe() { client_to_web2; }
	scenario blackhole-route default/web-2 default/client default/web-2
}

@test "prohibit-route: node-2 refuses web-2's traffic" {
	present() { ip -n "$(node_ns node-2)" route show "$(pod_addr default/web-2)/32" | grep -q '^prohibit'; }
	probe() { client_to_web2; }
	scenario prohibit-route "" default/client default/web-2
}

@test "unreachable-route: node-2 answers host unreachable for web-2" {
	present() { ip -n "$(node_ns node-2)" route show "$(pod_addr default/web-2)/32" | grep -q '^unreachable'; }
	probe() { client_to_web2; }
	scenario unreachable-route "" default/client default/web-2
}

@test "missing-pod-cidr-route: node-2's pod CIDR is routed by neither node-1 nor the VPC" {
	present() {
		[ -z "$(ip -n "$(node_ns node-1)" route show 10.244.2.0/24)" ]
		[ -z "$(ip -n "$(ns vpc)" route show 10.244.2.0/24)" ]
	}
	probe() { client_to_web2; }
	scenario missing-pod-cidr-route node/node-2 default/client default/web-2
}

@test "rp-filter-strict: the VPC router drops load-balanced requests (rp_filter 1)" {
	present() { [ "$(sysctl_in "$(ns vpc)" net.ipv4.conf.all.rp_filter)" = 1 ]; }
	probe() { laptop_to_lb; }
	scenario rp-filter-strict vpc internet/laptop 198.51.100.4:80
}

@test "wrong-neighbour: node-2 sends web-2's frames to a MAC nobody has" {
	present() {
		ip -n "$(node_ns node-2)" neigh show "$(pod_addr default/web-2)" | grep -q 'lladdr 02:de:ad:.* PERMANENT'
	}
	probe() { client_to_web2; }
	scenario wrong-neighbour "" default/client default/web-2
}

@test "veth-down: web-2's host-side veth is down" {
	present() { ip -n "$(node_ns node-2)" -o link show "$(pod_veth default/web-2 node-2)" | grep -q 'state DOWN'; }
	probe() { client_to_web2; }
	scenario veth-down "" default/client default/web-2
}

@test "veth-detached: web-2's host-side veth is off the bridge, and its hairpin comes back with it" {
	present() {
		run ip -n "$(node_ns node-2)" -o link show "$(pod_veth default/web-2 node-2)"
		[[ "$output" != *"master cbr0"* ]]
	}
	probe() { client_to_web2; }
	scenario veth-detached "" default/client default/web-2
	ip -n "$(node_ns node-2)" -d link show "$(pod_veth default/web-2 node-2)" | grep -q 'hairpin on'
}

@test "no-listener: web-2's server is killed, then started again as setup starts it" {
	pid=$(pgrep -f -- "podpath-responder --lab $LAB --pod default/web-2 ")
	present() {
		run ip netns exec "$(pod_ns default/web-2)" ss -lntH 'sport = :8080'
		[ -z "$output" ]
	}
	probe() { client_to_web2; }
	scenario no-listener "" default/client default/web-2
	new=$(pgrep -f -- "podpath-responder --lab $LAB --pod default/web-2 ")
	[ "$new" != "$pid" ]
	[ "$(stat -L -c %i "/proc/$new/ns/net")" = "$(stat -L -c %i "/run/netns/$(pod_ns default/web-2)")" ]
	[ "$(stat -c %U "/proc/$new")" = nobody ]
	# the lab's state knows the new process: status finds the container ok
	"$PODPATH" --lab "$LAB" -j status | jq -e --arg p "$new" \
		'.pods[] | select(.name == "web-2") | .containers[0] | (.pid | tostring) == $p and .health == "ok"'
}

@test "pod-firewall: a table in web-2 drops what comes from eth0" {
	present() { ip netns exec "$(pod_ns default/web-2)" nft list table ip firewall | grep -q 'iifname "eth0" counter packets [0-9]* bytes [0-9]* drop'; }
	probe() { client_to_web2; }
	scenario pod-firewall "" default/client default/web-2
}

@test "node-nft-drop: a table in node-2 drops traffic forwarded to its pods" {
	present() { ip netns exec "$(node_ns node-2)" nft list table ip host-firewall | grep -q 'ip daddr 10.244.2.0/24 counter packets [0-9]* bytes [0-9]* drop'; }
	probe() { client_to_web2; }
	scenario node-nft-drop "" default/client default/web-2
}

@test "iptables-legacy-drop: a legacy FORWARD rule in node-2, invisible to nft" {
	present() {
		ip netns exec "$(node_ns node-2)" iptables-legacy-save -t filter | grep -qx -- '-A FORWARD -d 10.244.2.0/24 -j DROP'
		run ip netns exec "$(node_ns node-2)" nft list ruleset
		[[ "$output" != *"10.244.2.0/24 counter"* ]]
	}
	probe() { client_to_web2; }
	scenario iptables-legacy-drop node/node-2 default/client default/web-2
}

@test "mtu-mismatch: node-1's VPC port takes 576 bytes: a DF packet larger dies, the TLS handshake fails" {
	present() {
		ip -n "$(ns vpc)" link show n-node-1 | grep -q 'mtu 576 '
		ip netns exec "$(node_ns node-1)" ping -c 1 -W 2 -M do -s 400 172.18.0.1 >/dev/null
		run ip netns exec "$(node_ns node-1)" ping -c 1 -W 2 -M do -s 1000 172.18.0.1
		[ "$status" -ne 0 ]
	}
	probe() { laptop_tls; }
	scenario mtu-mismatch "" internet/laptop https://web.example.test/
}

@test "service-no-endpoints: default/web's ClusterIP is rejected as a Service without endpoints" {
	present() {
		ip netns exec "$(node_ns node-1)" nft list map ip kube-proxy no-endpoint-services | grep -q '10.96.0.1 . tcp . 80 comment "default/web:http" : goto reject-chain'
		run ip netns exec "$(node_ns node-2)" nft list map ip kube-proxy service-ips
		[[ "$output" != *"10.96.0.1 . tcp . 80"* ]]
	}
	probe() { client_to_web_svc; }
	scenario service-no-endpoints svc/default/web default/client svc/default/web:80
}

@test "stale-endpoint: default/web's endpoints are DNATed to addresses nobody holds" {
	present() {
		local rules
		rules=$(ip netns exec "$(node_ns node-1)" nft list table ip kube-proxy | grep 'dnat to' | grep 'default/web')
		[[ "$rules" != *"10.244.1.3:8080"* ]]
		[[ "$rules" != *"10.244.2.2:8080"* ]]
		[ "$(grep -c 'dnat to 10\.244\.[12]\.254:8080' <<<"$rules")" -eq 2 ]
		run ip -n "$(node_ns node-2)" -4 -o addr
		[[ "$output" != *"10.244.2.254"* ]]
	}
	probe() { client_to_web_svc; }
	scenario stale-endpoint "" default/client svc/default/web:80
}

@test "kube-proxy-element-missing: default/web's element of service-ips is gone" {
	present() {
		run ip netns exec "$(node_ns node-1)" nft list map ip kube-proxy service-ips
		[[ "$output" != *"10.96.0.1 . tcp . 80"* ]]
		[[ "$output" == *"10.96.0.10 . udp . 53"* ]]
	}
	probe() { client_to_web_svc; }
	scenario kube-proxy-element-missing "" default/client svc/default/web:80
}

@test "dns-down: the cluster DNS's dnsmasq is killed, then started again" {
	present() {
		run ip netns exec "$(pod_ns kube-system/coredns)" ss -lnuH 'sport = :53'
		[ -z "$output" ]
	}
	probe() { client_dns; }
	scenario dns-down kube-system/coredns default/client svc/kube-system/kube-dns
}

@test "masquerade-missing: node-1's ip-masq-agent no longer masquerades" {
	present() {
		run ip netns exec "$(node_ns node-1)" nft list chain ip ip-masq-agent ip-masq-agent
		[ "$status" -eq 0 ]
		[[ "$output" != *masquerade\ comment* ]]
	}
	probe() { client_to_internet; }
	scenario masquerade-missing "" default/client internet/example.com
}

@test "gateway-nat-missing: the gateway forgot node-1's public address" {
	present() {
		run ip netns exec "$(ns gateway)" nft list map ip cloud-gateway public-to-node
		[[ "$output" != *"198.51.100.2 "* ]]
		[[ "$output" == *"198.51.100.3 "* ]]
		run ip netns exec "$(ns gateway)" nft list map ip cloud-gateway node-to-public
		[[ "$output" != *"172.18.0.2 "* ]]
	}
	probe() { laptop_pings_node1; }
	scenario gateway-nat-missing node/node-1 internet/laptop 198.51.100.2 -p icmp
}

@test "hairpin-off: coredns cannot reach its own Service" {
	present() { ip -n "$(node_ns node-2)" -d link show "$(pod_veth kube-system/coredns node-2)" | grep -q 'hairpin off'; }
	probe() { coredns_to_itself; }
	scenario hairpin-off "" kube-system/coredns svc/kube-system/kube-dns:dns
}

@test "conntrack-full: node-2's conntrack table is full of assured entries" {
	present() {
		local max count
		max=$(sysctl_in "$(node_ns node-2)" net.netfilter.nf_conntrack_max)
		count=$(sysctl_in "$(node_ns node-2)" net.netfilter.nf_conntrack_count)
		[ "$count" -ge "$max" ]
		ip netns exec "$(node_ns node-2)" conntrack -L -p udp --dst 198.19.255.254 2>/dev/null | head -1 | grep -q ASSURED
	}
	probe() { client_to_web2; }
	# Entries of earlier tests' flows that expire while the table is full
	# would free room for the probe: start from an empty table, so every
	# slot is the fault's own (assured, long-lived).
	ip netns exec "$(node_ns node-2)" conntrack -F
	scenario conntrack-full "" default/client default/web-2
	[ "$(sysctl_in "$(node_ns node-2)" net.netfilter.nf_conntrack_count)" -lt 1000 ]
}

# ---- the command around the faults -----------------------------------------

@test "--list: the 26 faults, what they touch, where and in which modes, the default lab's targets and traces" {
	run "$PODPATH" --lab "$LAB" -j break --list
	[ "$status" -eq 0 ]
	[ "$(jq '.faults | length' <<<"$output")" -eq 26 ]
	[ "$(jq -r '[.faults[].name] | join(" ")' <<<"$output")" = "forwarding-off blackhole-route prohibit-route unreachable-route missing-pod-cidr-route rp-filter-strict wrong-neighbour veth-down veth-detached no-listener pod-firewall node-nft-drop iptables-legacy-drop mtu-mismatch service-no-endpoints stale-endpoint kube-proxy-element-missing dns-down masquerade-missing gateway-nat-missing hairpin-off conntrack-full policy-denies bgp-peer-down bgp-wrong-peer bgp-announcement-filtered" ]
	jq -e '[.faults[] | select(.modes != ["bgp"])] | all(.applies and (.summary | length > 0) and (.touches | length > 0) and (.trace | startswith("trace ")))' <<<"$output"
	# The BGP faults are for bgp networking only (bgp-break.bats applies them).
	jq -e '[.faults[] | select(.modes == ["bgp"])] | length == 3 and all(.applies == false and (.why | contains("needs bgp networking")))' <<<"$output"
	jq -e '.faults[] | select(.name == "veth-detached") | .modes == ["routed", "vxlan", "bgp"] and .place == "pod" and .default_target == "default/web-2"' <<<"$output"
	jq -e '.faults[] | select(.name == "forwarding-off") | .default_target == "node/node-2" and .trace == "trace default/client default/web-2"' <<<"$output"
	run "$PODPATH" --lab "$LAB" break --list
	[ "$status" -eq 0 ]
	grep -q '^conntrack-full (on a node; any networking)$' <<<"$output"
	grep -qF "default: --on svc/default/web:80; try: $PODPATH --lab $LAB trace default/client svc/default/web:80" <<<"$output"
}

@test "a named fault: its JSON report, status names it, --reveal shows every change" {
	run "$PODPATH" --lab "$LAB" -j break forwarding-off --on node/node-1
	[ "$status" -eq 0 ]
	jq -e '.action == "applied" and .fault == "forwarding-off" and .target == "node/node-1" and .hidden == false' <<<"$output"
	jq -e --arg ns "$(node_ns node-1)" '.changes == [{"where": "node node-1", "what": "sysctl net.ipv4.ip_forward", "before": "1", "after": "0", "show": ("ip netns exec " + $ns + " sysctl net.ipv4.ip_forward")}]' <<<"$output"
	run "$PODPATH" --lab "$LAB" status
	grep -qxF "fault: forwarding-off on node/node-1, injected by podpath break ($PODPATH --lab $LAB break --undo removes it)" <<<"$output"
	"$PODPATH" --lab "$LAB" -j status | jq -e '.fault == {"hidden": false, "name": "forwarding-off", "target": "node/node-1"}'
	run "$PODPATH" --lab "$LAB" break --reveal
	[ "$status" -eq 0 ]
	grep -q '^  node node-1: sysctl net.ipv4.ip_forward: 1 -> 0$' <<<"$output"
	run "$PODPATH" --lab "$LAB" break --undo
	[ "$status" -eq 0 ]
	[ "$(sysctl_in "$(node_ns node-1)" net.ipv4.ip_forward)" = 1 ]
	"$PODPATH" --lab "$LAB" -j status | jq -e '.fault == null'
}

@test "--random hides the fault: status says one is present, not which; --reveal names it; --undo restores" {
	snapshot "$BATS_TEST_TMPDIR/before"
	run "$PODPATH" --lab "$LAB" break --random
	echo "$output"
	[ "$status" -eq 0 ]
	names=$("$PODPATH" --lab "$LAB" -j break --list | jq -r '.faults[].name')
	for n in $names; do
		[[ "$output" != *"$n"* ]]
	done
	run "$PODPATH" --lab "$LAB" status
	grep -qxF "fault: one injected by podpath break --random ($PODPATH --lab $LAB break --reveal names it)" <<<"$output"
	for n in $names; do
		[[ "$output" != *"$n"* ]]
	done
	"$PODPATH" --lab "$LAB" -j status | jq -e '.fault == {"hidden": true}'
	run "$PODPATH" --lab "$LAB" -j break --reveal
	[ "$status" -eq 0 ]
	fault=$(jq -r .fault <<<"$output")
	grep -qx "$fault" <<<"$names"
	jq -e '.hidden == true and (.changes | length > 0)' <<<"$output"
	run "$PODPATH" --lab "$LAB" break --undo
	[ "$status" -eq 0 ]
	[[ "$output" == "fault $fault on "* ]]
	snapshot "$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

@test "one fault at a time: a second is refused with exit 2, and nothing changes" {
	"$PODPATH" --lab "$LAB" break pod-firewall >/dev/null
	snapshot "$BATS_TEST_TMPDIR/during"
	for f in forwarding-off pod-firewall; do
		run "$PODPATH" --lab "$LAB" break "$f"
		[ "$status" -eq 2 ]
		[[ "$output" == *'has a fault already (pod-firewall): one at a time'* ]]
	done
	run "$PODPATH" --lab "$LAB" break --random
	[ "$status" -eq 2 ]
	snapshot "$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/during" "$BATS_TEST_TMPDIR/after"
	"$PODPATH" --lab "$LAB" break --undo >/dev/null
}

@test "bad input exits 2 naming the field and value, and changes nothing" {
	snapshot "$BATS_TEST_TMPDIR/before"
	while IFS='|' read -r args want; do
		run "$PODPATH" --lab "$LAB" break $args
		echo "[$args] $status $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"$want"* ]]
	done <<-'EOF'
	no-such-fault|fault "no-such-fault": no such fault
	forwarding-off --on node/node-9|--on "node/node-9": no such node in lab
	forwarding-off --on default/web-2|--on "default/web-2": no such node
	blackhole-route --on default/nope|--on "default/nope": no such pod
	stale-endpoint --on svc/default/web:81|--on "svc/default/web:81": no such Service port
	rp-filter-strict --on node/node-1|fault rp-filter-strict acts on the VPC router: vpc
	no-listener --on kube-system/coredns|fault no-listener cannot act on kube-system/coredns: it runs no responder
	hairpin-off --on default/web-2|fault hairpin-off cannot act on default/web-2: it is not the only endpoint
	forwarding-off --on|--on needs a TARGET
	--list --undo|--list and --undo exclude each other
	--random --on node/node-1|--on goes with a fault's NAME, not --random
	forwarding-off extra|unexpected argument "extra"
	--bogus|unknown option "--bogus"
	|say what to do
	EOF
	[ ! -e "/run/podpath/$LAB/break.json" ]
	run "$PODPATH" --lab "$LAB" -j break no-such-fault
	[ "$status" -eq 2 ]
	jq -e '.error.exit == 2' <<<"$output"
	run "$PODPATH" --lab "$LAB" break --undo
	[ "$status" -eq 1 ]
	[[ "$output" == *'has no fault to undo'* ]]
	run "$PODPATH" --lab "$LAB" break --reveal
	[ "$status" -eq 1 ]
	run "$PODPATH" --lab no-such-lab break forwarding-off
	[ "$status" -eq 1 ]
	snapshot "$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

@test "a fault that needs another networking mode is refused for a vpc lab with exit 2" {
	"$PODPATH" --lab "$LAB-vpc" setup --nodes 2 --pods-per-node 1 --network vpc >/dev/null
	for f in veth-detached hairpin-off missing-pod-cidr-route masquerade-missing; do
		run "$PODPATH" --lab "$LAB-vpc" break "$f"
		echo "$output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"fault \"$f\" does not apply to lab \"$LAB-vpc\": it needs routed"*" or "*" networking"* ]]
	done
	[ ! -e "/run/podpath/$LAB-vpc/break.json" ]
	"$PODPATH" --lab "$LAB-vpc" -j break --list | jq -e '.faults[] | select(.name == "veth-detached") | .applies == false'
	"$PODPATH" --lab "$LAB-vpc" teardown >/dev/null
}

@test "the catalogue, the man page and the completions name the same faults" {
	ROOT=$BATS_TEST_DIRNAME/../..
	for f in $("$PODPATH" --lab "$LAB" -j break --list | jq -r '.faults[].name'); do
		echo "$f"
		grep -q "^\.BR\? .*$(sed 's/-/\\\\-/g' <<<"$f")" "$ROOT/docs/podpath-break.8"
		grep -q "\b$f\b" "$ROOT/completions/podpath.bash"
		grep -q "\b$f\b" "$ROOT/completions/_podpath"
		grep -q "\b$f\b" "$ROOT/completions/podpath.fish"
	done
}

@test "teardown with a fault present leaves nothing of the lab or the fault" {
	"$PODPATH" --lab "$LAB" break iptables-legacy-drop >/dev/null
	[ -e "/run/podpath/$LAB/break.json" ]
	"$PODPATH" --lab "$LAB" teardown >/dev/null
	[ -z "$(lab_leftovers "$LAB")" ]
	[ ! -e "/run/podpath/$LAB/break.json" ]
}
