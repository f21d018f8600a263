#!/usr/bin/env bats
# podpath check: a fresh lab (routed, vxlan, vpc; nftables and iptables
# proxy modes) checks clean; a fault made by hand with ip, bridge, sysctl,
# nft, iptables-legacy or kill is named, with a command that, run here,
# shows the fault; undone by hand, the lab checks clean again.

bats_require_minimum_version 1.5.0

LAB=ppt-check		# the default topology, faulted and mended test by test
IPT=ppt-check-ipt	# iptables proxy mode
VX=ppt-check-vx		# vxlan networking
VPC=ppt-check-vpc	# vpc networking
TOPO=ppt-check-topo	# each good topology in turn

setup_file() {
	load helpers
	for l in $LAB $IPT $VX $VPC $TOPO; do lab_cleanup $l; done
	"$PODPATH" --lab $LAB setup >/dev/null
}

teardown_file() {
	load helpers
	for l in $LAB $IPT $VX $VPC $TOPO; do lab_cleanup $l; done
}

setup() {
	load helpers
	N1=${LAB}_node_node-1
	N2=${LAB}_node_node-2
}

# The lab checks clean: exit 0, and the JSON says so.
clean() { # [LAB]
	local lab=${1:-$LAB}
	run "$PODPATH" -j --lab "$lab" check
	jq '.differences' <<<"$output"
	[ "$status" -eq 0 ]
	jq -e '.schema == 1 and .clean == true and .differences == [] and .checked.namespaces > 0' <<<"$output"
}

# check exits 1 and names a difference of kind KIND whose object matches
# the regex OBJECT; its command goes to CMD, the whole document to DOC.
named() { # KIND OBJECT [LAB]
	local lab=${3:-$LAB}
	run "$PODPATH" -j --lab "$lab" check
	DOC=$output
	jq '.differences' <<<"$DOC"
	[ "$status" -eq 1 ]
	jq -e '.clean == false' <<<"$DOC"
	CMD=$(jq -r --arg k "$1" --arg o "$2" \
		'[.differences[] | select(.check == $k and (.object | test($o)))][0].command // ""' <<<"$DOC")
	echo "command: $CMD"
	[ -n "$CMD" ]
}

# Poll until "$@" succeeds; fail after a minute (a bound, not a timing).
wait_until() {
	local i
	for i in $(seq 6000); do
		"$@" && return 0
		sleep 0.01
	done
	echo "never true: $*" >&2
	return 1
}

# pid has exited (a zombie not yet reaped counts as exited).
gone() { local st; st=$(ps -o stat= -p "$1") || return 0; [[ "$st" == Z* ]]; }

# The host-side veth of pod NS/NAME in its node's namespace.
host_veth() { # NODE-NETNS POD-NETNS
	ip -n "$1" -o link show | awk -v p="link-netns $2" 'index($0, p) {sub(/@.*/, "", $2); print $2}'
}

@test "a fresh lab checks clean; the text names what was compared" {
	clean
	jq -e '.checked.links > 30 and .checked.routes > 20 and .checked.nft_rules > 100 and
	       .checked.processes == 9 and (.elapsed_ms | type) == "number"' <<<"$output"
	# As many namespaces as ip lists for the lab.
	nns=$(ip netns list | awk '{print $1}' | grep -c "^${LAB}_")
	run "$PODPATH" --lab $LAB check
	[ "$status" -eq 0 ]
	[[ "$output" == "lab $LAB: no difference from the plan (${nns} namespaces"*" ms)" ]]
}

@test "bad arguments exit 2 and read nothing" {
	run "$PODPATH" --lab $LAB check --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *'check: unknown option "--bogus"'* ]]
	run "$PODPATH" --lab $LAB check node-1
	[ "$status" -eq 2 ]
	[[ "$output" == *'check: unexpected argument "node-1"'* ]]
	run "$PODPATH" -j --lab $LAB check --bogus
	[ "$status" -eq 2 ]
	jq -e '.error.exit == 2' <<<"$output"
	run "$PODPATH" --lab ppt-check-none check
	[ "$status" -eq 1 ]
}

@test "forwarding off on a node: the sysctl is named; sysctl shows it" {
	ip netns exec $N1 sysctl -qw net.ipv4.ip_forward=0
	named sysctl '^net\.ipv4\.ip_forward$'
	jq -e --arg ns $N1 '.differences[] | select(.check == "sysctl") |
		.netns == $ns and .expected == "1" and .actual == "0" and .place == "node node-1"' <<<"$DOC"
	run bash -c "$CMD"
	[ "$status" -eq 0 ]
	[ "$output" = "net.ipv4.ip_forward = 0" ]
	ip netns exec $N1 sysctl -qw net.ipv4.ip_forward=1
	clean
}

@test "an extra blackhole route to a pod: the route is named; ip route shows it" {
	ip -n $N2 route add blackhole 10.244.1.3/32
	named route-extra '^route 10\.244\.1\.3/32$'
	jq -e '.differences[] | select(.check == "route-extra") | .actual == "blackhole"' <<<"$DOC"
	run bash -c "$CMD"
	[ "$status" -eq 0 ]
	[[ "$output" == "blackhole 10.244.1.3"* ]]
	ip -n $N2 route del blackhole 10.244.1.3/32
	clean
}

@test "the route to a peer's pod CIDR deleted, and a prohibit route: both named" {
	ip -n $N1 route del 10.244.2.0/24
	ip -n $N1 route add prohibit 10.244.2.0/25
	named route-missing '^route 10\.244\.2\.0/24$'
	jq -e '.differences[] | select(.check == "route-missing") | .expected == "via 172.18.0.3 dev eth0"' <<<"$DOC"
	run bash -c "$CMD"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	named route-extra '^route 10\.244\.2\.0/25$'
	run bash -c "$CMD"
	[[ "$output" == "prohibit 10.244.2.0/25"* ]]
	ip -n $N1 route del prohibit 10.244.2.0/25
	ip -n $N1 route add 10.244.2.0/24 via 172.18.0.3 dev eth0 proto static
	clean
}

@test "a kube-proxy service-ips element deleted: the element is named; nft no longer lists it" {
	elem='10.96.0.1 . tcp . 80'
	line=$(ip netns exec $N1 nft list map ip kube-proxy service-ips | grep -o "$elem comment [^,}]*" | sed 's/[[:space:]]*$//')
	[ -n "$line" ]
	ip netns exec $N1 nft delete element ip kube-proxy service-ips "{ $elem }"
	named nft-element-missing "^element 10\\.96\\.0\\.1 \\. tcp \\. 80 of map ip kube-proxy service-ips\$"
	jq -e '.differences[] | select(.check == "nft-element-missing") |
		.expected == "goto service-SUSTUHLJ-default/web/tcp/http"' <<<"$DOC"
	run bash -c "$CMD"
	[ "$status" -eq 0 ]
	[[ "$output" == *"map service-ips"* ]]
	[[ "$output" != *"$elem "* ]]
	ip netns exec $N1 nft add element ip kube-proxy service-ips "{ $line }"
	clean
}

@test "an iptables-legacy DROP in a node: the rule is named; iptables-legacy-save shows it" {
	ip netns exec $N1 iptables-legacy -I FORWARD -s 10.244.2.2 -j DROP
	named iptables-legacy-rule '^iptables-legacy rule 1 of chain FORWARD \(table filter\)$'
	jq -e '.differences[] | select(.check == "iptables-legacy-rule") |
		.actual == "-A FORWARD -s 10.244.2.2/32 -j DROP"' <<<"$DOC"
	run bash -c "$CMD"
	[ "$status" -eq 0 ]
	[[ "$output" == *"-A FORWARD -s 10.244.2.2/32 -j DROP"* ]]
	ip netns exec $N1 iptables-legacy -D FORWARD -s 10.244.2.2 -j DROP
	# The filter table stays, empty and accepting: no difference.
	clean
	ip netns exec $N1 iptables-legacy -P FORWARD DROP
	named iptables-legacy-policy '^iptables-legacy policy of chain FORWARD'
	run bash -c "$CMD"
	[[ "$output" == *":FORWARD DROP"* ]]
	ip netns exec $N1 iptables-legacy -P FORWARD ACCEPT
	clean
}

@test "a pod's bridge port down, off its bridge, hairpin off, another MTU: each named; ip shows it" {
	veth=$(host_veth $N1 ${LAB}_pod_default_client)
	[ -n "$veth" ]
	ip -n $N1 link set "$veth" down
	named link-down "^link $veth\$"
	run bash -c "$CMD"
	[[ "$output" == *"state DOWN"* ]]
	[[ "$output" != *",UP"* ]]
	ip -n $N1 link set "$veth" up
	clean
	ip -n $N1 link set "$veth" nomaster
	named link-master "^bridge of link $veth\$"
	jq -e '.differences[] | select(.check == "link-master") | .expected == "cbr0" and .actual == "none"' <<<"$DOC"
	run bash -c "$CMD"
	[[ "$output" != *"master cbr0"* ]]
	ip -n $N1 link set "$veth" master cbr0
	bridge -n $N1 link set dev "$veth" hairpin on
	clean
	bridge -n $N1 link set dev "$veth" hairpin off
	named hairpin "^hairpin mode of bridge port $veth\$"
	run bash -c "$CMD"
	[[ "$output" == *"hairpin off"* ]]
	bridge -n $N1 link set dev "$veth" hairpin on
	clean
	ip -n $N2 link set eth0 mtu 1400
	named link-mtu '^MTU of link eth0$'
	run bash -c "$CMD"
	[[ "$output" == *" mtu 1400 "* ]]
	ip -n $N2 link set eth0 mtu 1500
	clean
}

@test "a permanent neighbour with a wrong MAC, rp_filter strict: each named" {
	ip -n $N2 neigh replace 10.244.2.2 lladdr 02:00:00:00:00:99 dev cbr0 nud permanent
	named neighbour-extra '^neighbour 10\.244\.2\.2 on cbr0$'
	run bash -c "$CMD"
	[[ "$output" == "10.244.2.2 lladdr 02:00:00:00:00:99 PERMANENT"* ]]
	ip -n $N2 neigh del 10.244.2.2 dev cbr0
	clean
	ip netns exec $N2 sysctl -qw net.ipv4.conf.eth0.rp_filter=1
	named sysctl '^net\.ipv4\.conf\.eth0\.rp_filter$'
	run bash -c "$CMD"
	[ "$output" = "net.ipv4.conf.eth0.rp_filter = 1" ]
	ip netns exec $N2 sysctl -qw net.ipv4.conf.eth0.rp_filter=0
	clean
}

@test "a firewall table in a pod, a drop rule in a node, ip-masq-agent's masquerade and a gateway NAT element deleted: each named" {
	pod=${LAB}_pod_default_web-2
	ip netns exec $pod nft add table inet fw
	ip netns exec $pod nft add chain inet fw input '{ type filter hook input priority 0; policy drop; }'
	named nft-table-extra '^table inet fw$'
	[ "$(jq -r '.differences[] | select(.check == "nft-table-extra") | .netns' <<<"$DOC")" = "$pod" ]
	run bash -c "$CMD"
	[[ "$output" == *"table inet fw"* ]]
	ip netns exec $pod nft delete table inet fw
	ip netns exec $N2 nft insert rule ip kube-proxy filter-forward ip daddr 10.244.2.3 drop
	named nft-rule-extra '^rule of chain ip kube-proxy filter-forward$'
	jq -e '.differences[] | select(.check == "nft-rule-extra") | .actual | test("^handle [0-9]+: drop$")' <<<"$DOC"
	run bash -c "$CMD"
	[[ "$output" == *"ip daddr 10.244.2.3 drop # handle"* ]]
	h=$(ip netns exec $N2 nft -a list chain ip kube-proxy filter-forward | awk '/10.244.2.3 drop/ {print $NF}')
	ip netns exec $N2 nft delete rule ip kube-proxy filter-forward handle "$h"
	clean
	rule=$(ip netns exec $N1 nft -a list chain ip ip-masq-agent ip-masq-agent | grep 'masquerade comment')
	h=${rule##* }
	ip netns exec $N1 nft delete rule ip ip-masq-agent ip-masq-agent handle "$h"
	named nft-rule-missing '^rule of chain ip ip-masq-agent ip-masq-agent$'
	jq -e '.differences[] | select(.check == "nft-rule-missing") | .expected | startswith("masquerade")' <<<"$DOC"
	run bash -c "$CMD"
	[[ "$output" != *masquerade* ]]
	ip netns exec $N1 nft add rule ip ip-masq-agent ip-masq-agent masquerade \
		comment '"ip-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)"'
	clean
	gw=${LAB}_gateway
	ip netns exec $gw nft delete element ip cloud-gateway node-to-public '{ 172.18.0.2 }'
	named nft-element-missing '^element 172\.18\.0\.2 of map ip cloud-gateway node-to-public$'
	jq -e '.differences[] | select(.check == "nft-element-missing") | .expected == "198.51.100.2"' <<<"$DOC"
	run bash -c "$CMD"
	[[ "$output" != *"172.18.0.2 "* ]]
	ip netns exec $gw nft add element ip cloud-gateway node-to-public '{ 172.18.0.2 comment "node-1" : 198.51.100.2 }'
	clean
}

@test "a killed responder: its process and its ports are named; ps and ss show them gone" {
	pid=$("$PODPATH" -j --lab $LAB status | jq -r '.pods[] | select(.name == "web-2") | .containers[0].pid')
	kill -9 "$pid"
	wait_until gone "$pid"
	named process-down '^container default/web-2 web$'
	[ "$CMD" = "ps -p $pid" ]
	run bash -c "$CMD -o stat="
	[[ "$status" -eq 1 || "$output" == Z* ]]
	named listener-missing '^port 8080/tcp of container default/web-2 web$'
	run bash -c "$CMD"
	[ "$status" -eq 0 ]
	[[ "$output" != *":8080 "* ]]
	# Nothing brings the process back by hand with the pid the lab knows:
	# a new lab is the mend.
	lab_cleanup $LAB
	"$PODPATH" --lab $LAB setup >/dev/null
	clean
}

@test "iptables proxy mode checks clean; a KUBE-SERVICES rule deleted is named" {
	"$PODPATH" --lab $IPT setup --proxy-mode iptables >/dev/null
	clean $IPT
	n=${IPT}_node_node-1
	# As an operator would: iptables itself reads kube-proxy's rules and
	# deletes one by its number.
	h=$(ip netns exec $n iptables -t nat -L KUBE-SERVICES -n --line-numbers |
		awk '/default\/web:http cluster IP/ {print $1; exit}')
	[ -n "$h" ]
	ip netns exec $n iptables -t nat -D KUBE-SERVICES "$h"
	named nft-rule-missing '^rule of chain ip nat KUBE-SERVICES$' $IPT
	jq -e '.differences[] | select(.check == "nft-rule-missing") | .expected | test("default/web:http cluster IP")' <<<"$DOC"
	run bash -c "$CMD"
	[ "$status" -eq 0 ]
	[[ "$output" != *"default/web:http cluster IP"* ]]
	lab_cleanup $IPT
}

@test "vxlan and vpc networking check clean; a vxlan FDB entry deleted is named" {
	"$PODPATH" --lab $VX setup --network vxlan >/dev/null
	clean $VX
	[ "$(jq '.checked.fdb' <<<"$output")" -eq 2 ]
	n=${VX}_node_node-1
	bridge -n $n fdb del 02:50:06:00:00:02 dev flannel.1 dst 172.18.0.3
	named fdb-missing '^FDB entry 02:50:06:00:00:02 on flannel\.1$' $VX
	run bash -c "$CMD"
	[ "$status" -eq 0 ]
	[[ "$output" != *"02:50:06:00:00:02"* ]]
	bridge -n $n fdb append 02:50:06:00:00:02 dev flannel.1 dst 172.18.0.3 self permanent
	clean $VX
	lab_cleanup $VX
	"$PODPATH" --lab $VPC setup --network vpc >/dev/null
	clean $VPC
	lab_cleanup $VPC
}

@test "every good topology checks clean; those with sessionAffinity in both proxy modes" {
	for f in "$TOPOS"/good/*.json; do
		echo "topology $f"
		"$PODPATH" --lab $TOPO setup -f "$f" >/dev/null
		clean $TOPO
		lab_cleanup $TOPO
	done
	for f in proxy services; do
		echo "topology $f, iptables mode"
		"$PODPATH" --lab $TOPO setup -f "$TOPOS/good/$f.json" --proxy-mode iptables >/dev/null
		clean $TOPO
		lab_cleanup $TOPO
	done
}
