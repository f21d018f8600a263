#!/usr/bin/env bats
# A synthetic lab's cluster DNS, and names resolved the way a pod's glibc
# resolves them: the search list of its resolv.conf and ndots:5. The
# observers are the pod's own resolver (getent, curl) and dig, run in the
# pod's namespace with the pod's resolv.conf mounted on /etc/resolv.conf,
# and tcpdump on the DNS pod's interface, which sees the names asked in the
# order they were asked.

LAB=dns14s
load helpers

setup_file() {
	lab_cleanup "$LAB"
	"$PODPATH" --lab "$LAB" setup --nodes 2 --pods-per-node 2 --services 2 >/dev/null
}

teardown_file() {
	lab_cleanup "$LAB"
}

POD=dns14s_pod_default_pod-1-1
DNSPOD=dns14s_pod_kube-system_coredns
CONF=/run/podpath/dns14s/resolv/default.conf

# CMD... in pod-1-1's namespace with its resolv.conf, in a mount namespace
# of its own (the host's /etc/resolv.conf is never touched).
in_pod() {
	ip netns exec "$POD" unshare -m --propagation private \
		sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$CONF" "$@"
}

# svc-K's ClusterIP as kube-proxy's map in node-1 has it.
cluster_ip() { # SERVICE
	ip netns exec "${LAB}_node_node-1" nft list table ip kube-proxy |
		grep -oE "[0-9.]+ \. tcp \. 80 comment \"default/$1:http\"" | cut -d' ' -f1
}

# The A queries tcpdump saw in FILE, in order, a retransmission once.
queries() { # PCAP
	tcpdump -n -r "$1" 2>/dev/null | grep -oE ' A\? [^ ]+' | awk '{print $2}' |
		sed 's/\.$//' | uniq
}

# Capture the DNS pod's queries while CMD... runs; the names into $BATS_TEST_TMPDIR/NAME.
capture() { # NAME CMD...
	local name=$1 pcap=$BATS_TEST_TMPDIR/$1.pcap
	shift
	# --immediate-mode: a packet still in the ring block when SIGINT comes
	# would be lost (the lookups take milliseconds).
	tcpdump_start "$DNSPOD" -i eth0 -n -U --immediate-mode -w "$pcap" udp dst port 53
	"$@" >"$BATS_TEST_TMPDIR/$name.out" 2>&1 || true
	kill -INT "$TCPDUMP_PID"
	wait "$TCPDUMP_PID" || true
	queries "$pcap" >"$BATS_TEST_TMPDIR/$name"
}

@test "a synthetic lab has a cluster DNS: pods' resolv.conf names it, and it is there" {
	grep -qx 'nameserver 10.96.0.10' "$CONF"
	grep -qx 'search default.svc.cluster.local svc.cluster.local cluster.local' "$CONF"
	# kube-proxy sends 10.96.0.10:53 to a pod that runs dnsmasq.
	ip netns exec "${LAB}_node_node-1" nft list table ip kube-proxy |
		grep -qF '10.96.0.10 . udp . 53 comment "kube-system/kube-dns:dns"'
	pid=$(ip netns pids "$DNSPOD" | head -1)
	[ "$(cat /proc/$pid/comm)" = dnsmasq ]
}

@test "a pod of a synthetic lab curls http://svc-1/ by name, and dig resolves it the same" {
	run in_pod curl -s -m 10 http://svc-1/
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "pod=default/pod-1-"[12]" "* ]]
	[[ "$output" == *" host=svc-1" ]]
	run in_pod dig +search +short +time=5 svc-1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cluster_ip svc-1)" ]
}

@test "trace by name goes to the address glibc and dig resolve, and says which query answered" {
	run "$PODPATH" --lab "$LAB" -j trace default/pod-1-1 svc-2
	[ "$status" -eq 0 ]
	traced=$(jq -r .dst.ip <<<"$output")
	[ "$(jq -r .dns.search.answered <<<"$output")" = svc-2.default.svc.cluster.local ]
	[ "$(jq -r '.dns.search.tried | length' <<<"$output")" = 1 ]
	[ "$traced" = "$(cluster_ip svc-2)" ]
	[ "$traced" = "$(in_pod getent ahostsv4 svc-2 | awk 'NR == 1 {print $1}')" ]
	[ "$traced" = "$(in_pod dig +search +short +time=5 svc-2)" ]
	run "$PODPATH" --lab "$LAB" trace default/pod-1-1 svc-2
	echo "$output"
	grep -qE '^  1\. svc-2\.default\.svc\.cluster\.local +NOERROR [0-9.]+  <- answered' <<<"$output"
}

@test "a name only the second search domain has: the same queries, in glibc's order, on the DNS pod's wire" {
	capture glibc in_pod getent ahostsv4 svc-2.default
	capture podpath "$PODPATH" --lab "$LAB" -j trace default/pod-1-1 svc-2.default
	echo "glibc:   $(cat "$BATS_TEST_TMPDIR/glibc")"
	echo "podpath: $(cat "$BATS_TEST_TMPDIR/podpath")"
	printf '%s\n' svc-2.default.default.svc.cluster.local svc-2.default.svc.cluster.local >"$BATS_TEST_TMPDIR/want"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/glibc"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/podpath"
	# podpath's report says the same: the first NXDOMAIN, the second answered.
	out=$BATS_TEST_TMPDIR/podpath.out
	jq -e '[.dns.search.tried[] | [.name, .rcode]] == [["svc-2.default.default.svc.cluster.local", "NXDOMAIN"], ["svc-2.default.svc.cluster.local", "NOERROR"]]' "$out"
	[ "$(jq -r .dst.ip "$out")" = "$(in_pod getent ahostsv4 svc-2.default | awk 'NR == 1 {print $1}')" ]
}

@test "ndots:5: a name with five dots is asked as it is first; an unresolved one lists every name asked" {
	capture glibc in_pod getent ahostsv4 a.b.c.d.e.f
	capture podpath "$PODPATH" --lab "$LAB" trace default/pod-1-1 a.b.c.d.e.f
	cat "$BATS_TEST_TMPDIR/podpath.out"
	printf '%s\n' a.b.c.d.e.f a.b.c.d.e.f.default.svc.cluster.local a.b.c.d.e.f.svc.cluster.local \
		a.b.c.d.e.f.cluster.local >"$BATS_TEST_TMPDIR/want"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/glibc"
	# podpath asks them in that order, then traces the first again.
	diff "$BATS_TEST_TMPDIR/want" <(awk '!seen[$0]++' "$BATS_TEST_TMPDIR/podpath")
	grep -qF '"a.b.c.d.e.f" did not resolve: NXDOMAIN a.b.c.d.e.f; names asked, in order: a.b.c.d.e.f (NXDOMAIN), a.b.c.d.e.f.default.svc.cluster.local (NXDOMAIN), a.b.c.d.e.f.svc.cluster.local (NXDOMAIN), a.b.c.d.e.f.cluster.local (NXDOMAIN)' "$BATS_TEST_TMPDIR/podpath.out"
	# And the pod's resolver agrees that nothing answered.
	run in_pod getent ahostsv4 a.b.c.d.e.f
	[ "$status" -ne 0 ]
}

@test "a rooted name is asked as it is and only so" {
	capture glibc in_pod getent ahostsv4 svc-1.default.svc.cluster.local.
	capture podpath "$PODPATH" --lab "$LAB" -j trace default/pod-1-1 svc-1.default.svc.cluster.local.
	echo svc-1.default.svc.cluster.local >"$BATS_TEST_TMPDIR/want"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/glibc"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/podpath"
	[ "$(jq -r .dst.ip "$BATS_TEST_TMPDIR/podpath.out")" = "$(cluster_ip svc-1)" ]
}

# In the DNS pod's namespace, VERDICT (drop, reject) the queries for
# zq.default.svc.cluster.local only: its QNAME starts the UDP payload at
# byte 12 (bit 160 from the UDP header), "\2zq\7default" is 11 bytes.
block_first_domain() { # VERDICT
	ip netns exec "$DNSPOD" nft -f - <<EOF
table inet dns14sblk
delete table inet dns14sblk
table inet dns14sblk {
	chain in {
		type filter hook input priority 0;
		udp dport 53 @th,160,88 0x027a710764656661756c74 $1
	}
}
EOF
}

@test "the first search domain's query gets no answer: glibc ends the list but asks the bare name, and so does podpath" {
	block_first_domain drop
	capture glibc in_pod getent ahostsv4 zq
	capture podpath "$PODPATH" --lab "$LAB" -j trace default/pod-1-1 zq
	ip netns exec "$DNSPOD" nft delete table inet dns14sblk
	echo "glibc:   $(cat "$BATS_TEST_TMPDIR/glibc")"
	echo "podpath: $(cat "$BATS_TEST_TMPDIR/podpath")"
	cat "$BATS_TEST_TMPDIR/podpath.out"
	printf '%s\n' zq.default.svc.cluster.local zq >"$BATS_TEST_TMPDIR/want"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/glibc"
	# podpath asks them in that order, then traces the unanswered one again.
	diff "$BATS_TEST_TMPDIR/want" <(awk '!seen[$0]++' "$BATS_TEST_TMPDIR/podpath")
	jq -e '[.search.tried[] | .name] == ["zq.default.svc.cluster.local", "zq"]' \
		"$BATS_TEST_TMPDIR/podpath.out"
	jq -e '.search.tried[0].rcode == null and .search.tried[0].traced' \
		"$BATS_TEST_TMPDIR/podpath.out"
}

@test "the first search domain's query is rejected (port unreachable): glibc gives up at once, and so does podpath" {
	block_first_domain reject
	capture glibc in_pod getent ahostsv4 zq
	capture podpath "$PODPATH" --lab "$LAB" -j trace default/pod-1-1 zq
	ip netns exec "$DNSPOD" nft delete table inet dns14sblk
	echo "glibc:   $(cat "$BATS_TEST_TMPDIR/glibc")"
	echo "podpath: $(cat "$BATS_TEST_TMPDIR/podpath")"
	cat "$BATS_TEST_TMPDIR/podpath.out"
	echo zq.default.svc.cluster.local >"$BATS_TEST_TMPDIR/want"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/glibc"
	diff "$BATS_TEST_TMPDIR/want" <(awk '!seen[$0]++' "$BATS_TEST_TMPDIR/podpath")
	jq -e '[.search.tried[] | .name] == ["zq.default.svc.cluster.local"]' \
		"$BATS_TEST_TMPDIR/podpath.out"
}

@test "teardown leaves nothing of the lab" {
	run "$PODPATH" --lab "$LAB" teardown
	[ "$status" -eq 0 ]
	[ -z "$(lab_leftovers "$LAB")" ]
}
