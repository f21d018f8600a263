#!/usr/bin/env bats
# Cluster DNS: a real dnsmasq in kube-system/coredns behind Service
# kube-system/kube-dns (10.96.0.10). Answers are checked with dig and getent
# from inside pods, against addresses the kernel shows (ip addr), not
# against podpath's report.

LAB=pp-bats-dns
load helpers

setup_file() {
	lab_cleanup
	pp setup -f "$TOPOS/good/dns.json" >/dev/null
}

teardown_file() {
	lab_cleanup
	lab_cleanup pp-bats-dns-ip	# the kube-dns clusterIP test's own lab, if it failed
	[ -z "$(pgrep -af -- "--conf-file=/run/podpath/$LAB/dns/")" ]
}

q() { pp exec default/client -- dig +short +time=2 +tries=1 "$@"; }

@test "dnsmasq runs inside the coredns pod and kube-dns has its ClusterIP" {
	run ip netns pids "${LAB}_pod_kube-system_coredns"
	[ "$status" -eq 0 ]
	pid=$output
	[[ "$(cat /proc/$pid/comm)" == dnsmasq ]]
	grep -q "nameserver 10.96.0.10" <(pp exec default/client -- cat /etc/resolv.conf)
	ip netns exec "${LAB}_node_node-1" nft list map ip kube-proxy service-ips |
		grep -q "10.96.0.10 . udp . 53"
}

@test "A record of a Service: its ClusterIP, over UDP and TCP" {
	[ "$(q @10.96.0.10 web.default.svc.cluster.local)" = 10.96.0.80 ]
	[ "$(q +tcp @10.96.0.10 web.default.svc.cluster.local)" = 10.96.0.80 ]
}

@test "SRV record of a named port" {
	run q @10.96.0.10 SRV _http._tcp.web.default.svc.cluster.local
	[ "$status" -eq 0 ]
	[[ "$output" == "0 0 80 web.default.svc.cluster.local." ]]
}

@test "headless Service: the pods' own addresses, and SRV per pod" {
	want=$( (pod_ip "${LAB}_pod_db_db-0"; pod_ip "${LAB}_pod_db_db-1") | sort)
	got=$(q @10.96.0.10 db.db.svc.cluster.local | sort)
	[ "$got" = "$want" ]
	run q @10.96.0.10 SRV _pg._tcp.db.db.svc.cluster.local
	[[ "$output" == *"5432 10-244-1-20.db.db.svc.cluster.local."* ]]
	[[ "$output" == *"5432 10-244-2-20.db.db.svc.cluster.local."* ]]
	[ "$(q @10.96.0.10 10-244-2-20.db.db.svc.cluster.local)" = 10.244.2.20 ]
}

@test "pod A records: a-b-c-d.NAMESPACE.pod.cluster.local" {
	ip=$(pod_ip "${LAB}_pod_default_web-1")
	[ "$(q @10.96.0.10 "${ip//./-}.default.pod.cluster.local")" = "$ip" ]
}

@test "unknown names in the cluster domain are NXDOMAIN" {
	run pp exec default/client -- dig +time=2 +tries=1 @10.96.0.10 nope.default.svc.cluster.local
	[[ "$output" == *"status: NXDOMAIN"* ]]
}

@test "the search path resolves short names the kubelet way, and curl reaches the Service" {
	run pp exec default/client -- getent hosts web
	[ "$status" -eq 0 ]
	[[ "$output" == "10.96.0.80"*"web.default.svc.cluster.local"* ]]
	run pp exec db/db-0 -- getent hosts web.default
	[[ "$output" == "10.96.0.80"* ]]
	run pp exec default/client -- curl -s -m 3 http://web/
	[[ "$output" == "pod=default/web-1 "* ]]
}

@test "status shows the dnsmasq container healthy, at the pid the kernel has in the pod" {
	run pp status
	[[ "$output" == *"coredns(pid "*", ok)"* ]]
	pid=$(grep -o 'coredns(pid [0-9]*' <<<"$output" | awk '{print $2}')
	ip netns pids "${LAB}_pod_kube-system_coredns" | grep -qx "$pid"
	[ "$(cat /proc/$pid/comm)" = dnsmasq ]
}

@test "kube-dns with a clusterIP of its own: resolv.conf, getent and trace use it" {
	local lab=pp-bats-dns-ip
	lab_cleanup $lab
	"$PODPATH" --lab $lab setup -f "$TOPOS/good/dns-clusterip.json" >/dev/null
	run "$PODPATH" --lab $lab exec default/client -- cat /etc/resolv.conf
	echo "$output"
	[[ "$output" == *"nameserver 10.96.0.3"* ]]
	[[ "$output" != *"10.96.0.10"* ]]
	run "$PODPATH" --lab $lab exec default/client -- getent hosts web
	[[ "$output" == "10.96.0.1"*"web.default.svc.cluster.local"* ]]
	run "$PODPATH" --lab $lab trace default/client web.default.svc.cluster.local
	echo "$output"
	[[ "$output" == *"(10.96.0.3:53)"* ]]
	run "$PODPATH" --lab $lab explain dns --live
	[[ "$output" == *"kube-system/kube-dns: 10.96.0.3"* ]]
	lab_cleanup $lab
}
