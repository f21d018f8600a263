#!/usr/bin/env bats
# --proxy-mode iptables, read with iptables (issue 14, item 3): inside a node,
# iptables-save and iptables -L print kube-proxy's rules as kube-proxy writes
# them (tests/fixtures/kube-proxy/iptables-expected-1.txt), because podpath
# encodes them as iptables-nft does. iptables, a scratch namespace loaded by
# iptables-nft-restore, /proc/net/xt_recent, curl and ip are the observers.

LAB=ippt14
SCRATCH=ippt14-scratch
load helpers

FIX="$BATS_TEST_DIRNAME/../fixtures/kube-proxy/iptables-expected-1.txt"
N1=${LAB}_node_node-1

setup_file() {
	lab_cleanup
	ip netns del $SCRATCH 2>/dev/null || true
	"$PODPATH" --lab $LAB setup -f "$TOPOS/good/proxy.json" --proxy-mode iptables >/dev/null
}

teardown_file() {
	lab_cleanup
	ip netns del $SCRATCH 2>/dev/null || true
}

# kube-proxy's chain hash (base32 of SHA-256), computed with coreutils only.
kp_hash() { # TEXT
	printf %s "$1" | sha256sum | cut -c1-64 | tr a-f A-F | basenc --base16 -d | base32 |
		cut -c1-16
}
svc_chain() { echo "KUBE-SVC-$(kp_hash "default/$1:httptcp")"; }	# SERVICE
sep_chain() { echo "KUBE-SEP-$(kp_hash "default/$1:httptcp$2:8080")"; }	# SERVICE IP
ipt() { ip netns exec $N1 iptables "$@"; }
ip_of() { pod_ip "${LAB}_pod_default_$1"; }	# POD, as the kernel has it

@test "iptables-save and iptables -L read every node's nat and filter tables" {
	for n in $(node_netns $LAB); do
		for t in nat filter; do
			run ip netns exec "$n" iptables-save -t $t
			echo "$n $t: $output" | head -3
			[ "$status" -eq 0 ]
			[[ "$output" != *incompatible* ]]
			[[ "$output" == *"*$t"*"COMMIT"* ]]
		done
		run ip netns exec "$n" iptables -t nat -L KUBE-SERVICES -n
		[ "$status" -eq 0 ]
		[[ "$output" != *incompatible* ]]
		[[ "$output" == *"/* default/web:http cluster IP */"* ]]
	done
}

@test "the ClusterIP rule: kube-proxy's comment, match and jump to its KUBE-SVC chain" {
	run ipt -t nat -S KUBE-SERVICES
	[ "$status" -eq 0 ]
	[[ "$output" == *"-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j $(svc_chain web)"* ]]
	# NodePorts last, through addrtype, as the fixture has it.
	last=$(tail -1 <<<"$output")
	[ "$last" = '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS' ]
	grep -qF -- '-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS' "$FIX"
}

@test "the probability cascade: -m statistic as in kube-proxy's fixture" {
	svc=$(svc_chain web)
	run ipt -t nat -S "$svc"
	[ "$status" -eq 0 ]
	# kube-proxy writes 0.5000000000; iptables prints what it holds with one
	# digit more (0.50000000000), so the fixture's text is a prefix of it.
	grep -qF -- '-m statistic --mode random --probability 0.5000000000 ' "$FIX"
	[[ "$output" == *"-A $svc -m comment --comment \"default/web:http -> $(ip_of web-1):8080\" -m statistic --mode random --probability 0.5000000000"*" -j $(sep_chain web "$(ip_of web-1)")"* ]]
	[[ "$output" == *"-A $svc -m comment --comment \"default/web:http -> $(ip_of web-2):8080\" -j $(sep_chain web "$(ip_of web-2)")"* ]]
	[[ "$output" == *"-A $svc ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ"* ]]
}

@test "KUBE-SEP chains DNAT to the endpoint pods' real addresses" {
	for pod in web-1 web-2; do
		ip=$(ip_of $pod)
		[ -n "$ip" ]
		run ipt -t nat -S "$(sep_chain web "$ip")"
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"-s $ip/32 -m comment --comment \"default/web:http\" -j KUBE-MARK-MASQ"* ]]
		[[ "$output" == *"-p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination $ip:8080"* ]]
	done
}

@test "sessionAffinity: -m recent --set and --rcheck, and xt_recent pins the client to one endpoint" {
	svc=$(svc_chain sticky)
	for pod in web-1 web-2; do
		sep=$(sep_chain sticky "$(ip_of $pod)")
		ipt -t nat -S "$svc" | grep -qF -- "-m recent --rcheck --seconds 10800 --reap --name $sep"
		ipt -t nat -S "$sep" | grep -qF -- "-m recent --set --name $sep"
	done
	out=$(pp exec default/client -- sh -c 'for i in $(seq 20); do curl -s -m 2 http://10.96.0.22/; echo; done' | grep .)
	[ "$(wc -l <<<"$out")" -eq 20 ]
	[ "$(awk '{print $1}' <<<"$out" | sort -u | wc -l)" -eq 1 ]
	# The kernel's own record: the client in the chosen endpoint's table.
	pod=$(awk '{print $1}' <<<"$out" | sort -u | sed 's|pod=default/||')
	ip netns exec $N1 cat "/proc/net/xt_recent/$(sep_chain sticky "$(ip_of "$pod")")" |
		grep -q "src=$(ip_of client) "
}

@test "KUBE-MARK-MASQ, KUBE-POSTROUTING and KUBE-FORWARD as iptables spells them" {
	run ipt -t nat -S
	[[ "$output" == *"-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING"* ]]
	# --or-mark 0x4000 and --xor-mark 0x4000, as iptables prints them.
	[[ "$output" == *"-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000"* ]]
	[[ "$output" == *"-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN"* ]]
	[[ "$output" == *"-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0"* ]]
	[[ "$output" == *"-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE"* ]]
	run ipt -S KUBE-FORWARD
	[[ "$output" == *"-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT"* ]]
	[[ "$output" == *"-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"* ]]
	run ipt -S KUBE-SERVICES
	[[ "$output" == *"-A KUBE-SERVICES -d 10.96.0.24/32 -p tcp -m comment --comment \"default/empty:http has no endpoints\" -m tcp --dport 80 -j REJECT"* ]]
}

@test "kube-proxy's own text, restored by iptables-nft, is byte for byte what podpath wrote" {
	web1=$(ip_of web-1) web2=$(ip_of web-2)
	svc=$(svc_chain sticky) s1=$(sep_chain sticky "$web1") s2=$(sep_chain sticky "$web2")
	ip netns add $SCRATCH
	# The lines kube-proxy writes for the sticky Service (the fixture's
	# ns5/svc5 shape, this lab's values).
	ip netns exec $SCRATCH iptables-nft-restore <<EOF
*nat
:KUBE-MARK-MASQ - [0:0]
:$svc - [0:0]
:$s1 - [0:0]
:$s2 - [0:0]
-A $s1 -m comment --comment default/sticky:http -s $web1 -j KUBE-MARK-MASQ
-A $s1 -m comment --comment default/sticky:http -m recent --name $s1 --set -m tcp -p tcp -j DNAT --to-destination $web1:8080
-A $s2 -m comment --comment default/sticky:http -s $web2 -j KUBE-MARK-MASQ
-A $s2 -m comment --comment default/sticky:http -m recent --name $s2 --set -m tcp -p tcp -j DNAT --to-destination $web2:8080
-A $svc -m comment --comment "default/sticky:http cluster IP" -m tcp -p tcp -d 10.96.0.22 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ
-A $svc -m comment --comment "default/sticky:http -> $web1:8080" -m recent --name $s1 --rcheck --seconds 10800 --reap -j $s1
-A $svc -m comment --comment "default/sticky:http -> $web2:8080" -m recent --name $s2 --rcheck --seconds 10800 --reap -j $s2
-A $svc -m comment --comment "default/sticky:http -> $web1:8080" -m statistic --mode random --probability 0.5000000000 -j $s1
-A $svc -m comment --comment "default/sticky:http -> $web2:8080" -j $s2
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
COMMIT
EOF
	# Every expression, match and target name and revision, register
	# value; then the info blobs, through iptables' own reading of them.
	for c in $svc $s1 $s2 KUBE-MARK-MASQ; do
		a=$(ip netns exec $N1 nft --debug=netlink list chain ip nat "$c" 2>/dev/null | grep '^  \[' | sed -E 's/pkts [0-9]+ bytes [0-9]+//')
		b=$(ip netns exec $SCRATCH nft --debug=netlink list chain ip nat "$c" 2>/dev/null | grep '^  \[' | sed -E 's/pkts [0-9]+ bytes [0-9]+//')
		echo "== $c"; diff <(echo "$a") <(echo "$b")
		[ -n "$a" ]
		a=$(ipt -t nat -S "$c")
		b=$(ip netns exec $SCRATCH iptables -t nat -S "$c")
		diff <(echo "$a") <(echo "$b")
	done
	ip netns del $SCRATCH
}

@test "a curl through the ClusterIP reaches both endpoints, and iptables counts it" {
	svc=$(svc_chain web)
	out=$(pp exec default/client -- sh -c 'for i in $(seq 30); do curl -s -m 2 http://10.96.0.20/; echo; done' | grep .)
	[ "$(wc -l <<<"$out")" -eq 30 ]
	grep -q '^pod=default/web-1 ' <<<"$out"
	grep -q '^pod=default/web-2 ' <<<"$out"
	# The jump from KUBE-SERVICES counted the new connections.
	n=$(ipt -t nat -L KUBE-SERVICES -n -v -x | awk "/$svc/ {print \$1; exit}")
	echo "packets: $n"
	[ "$n" -ge 30 ]
}

@test "check is clean; a KUBE-SEP rule deleted with iptables is named; put back with kube-proxy's text, clean again" {
	run "$PODPATH" --lab $LAB check
	echo "$output"
	[ "$status" -eq 0 ]
	ip=$(ip_of web-2)
	sep=$(sep_chain web "$ip")
	ipt -t nat -S "$sep" | grep -q -- "-j DNAT --to-destination $ip:8080"
	ipt -t nat -D "$sep" 2
	run ipt -t nat -S "$sep"
	[[ "$output" != *DNAT* ]]
	run "$PODPATH" --lab $LAB -j check
	[ "$status" -eq 1 ]
	jq -e --arg c "$sep" --arg d "DNAT to $ip:8080" '.differences[] |
		select(.check == "nft-rule-missing" and (.object | contains($c)) and
		       (.expected | contains($d)))' <<<"$output"
	# The command check suggests lists the chain with iptables.
	cmd=$(jq -r '.differences[0].command' <<<"$output")
	[[ "$cmd" == *"iptables -t nat -S $sep"* ]]
	ipt -t nat -A "$sep" -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination "$ip:8080"
	run "$PODPATH" --lab $LAB check
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "trace --netns names the Service and the endpoint from the rules iptables reads" {
	run "$PODPATH" -j trace --netns ${LAB}_pod_default_client 10.96.0.20 -p http --port 80
	echo "$output" | head -c 2000
	svc=$(jq -c '[.hops[] | select(.service != null) | .service][0]' <<<"$output")
	echo "$svc"
	[ "$(jq -r .source <<<"$svc")" = rules ]
	[ "$(jq -r '.namespace + "/" + .name + ":" + .port_name' <<<"$svc")" = default/web:http ]
	[ "$(jq -r .chain <<<"$svc")" = "$(svc_chain web)" ]
	ep=$(jq -r .endpoint.ip <<<"$svc")
	[ "$(jq -r .endpoint.chain <<<"$svc")" = "$(sep_chain web "$ep")" ]
	# iptables agrees: that chain DNATs to that address.
	ipt -t nat -S "$(sep_chain web "$ep")" | grep -q -- "--to-destination $ep:8080"
}

@test "break service-no-endpoints writes kube-proxy's REJECT, iptables shows it, undo removes it" {
	run "$PODPATH" --lab $LAB break service-no-endpoints --on svc/default/web:80
	echo "$output"
	[ "$status" -eq 0 ]
	run ipt -S KUBE-SERVICES
	[[ "$output" == *"-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"default/web:http has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable"* ]]
	run pp exec default/client -- curl -sS -m 3 http://10.96.0.20/
	[ "$status" -eq 7 ]	# refused
	run "$PODPATH" --lab $LAB break --undo
	[ "$status" -eq 0 ]
	run ipt -S KUBE-SERVICES
	[[ "$output" != *"default/web:http has no endpoints"* ]]
	run "$PODPATH" --lab $LAB check
	[ "$status" -eq 0 ]
}

@test "teardown leaves nothing behind" {
	lab_cleanup
	[ -z "$(lab_leftovers $LAB)" ]
}
