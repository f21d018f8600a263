#!/usr/bin/env bash
# drops_reasons.sh — which drop reason and function the kernel reports for
# each fault podpath can meet, observed with lib/trace/observe/drops (through
# build/bench/drops_watch). Builds its own namespaces (ppt-dropsm-*), injects
# one fault at a time, sends one probe from a, prints one line per fault:
#   fault | reason | function | namespace | device
# and removes everything at exit. Needs root.
#
#   make build/bench/drops_watch && tests/manual/drops_reasons.sh
#
# a 10.99.1.2 --(eth0 | b-a 10.99.1.1)-- b --(b-c 10.99.2.1 | eth0)-- c 10.99.2.2
#                                        b: br0 10.99.3.1, port b-d --(eth0)-- d 10.99.3.2
set -u
cd "$(dirname "$0")/../.."
W=build/bench/drops_watch
P=ppt-dropsm
NS=(a b c d)

cleanup() { for n in "${NS[@]}"; do ip netns del $P-$n 2>/dev/null; done; rm -f /tmp/$P.out; }
trap cleanup EXIT
cleanup

A() { ip -n $P-a "$@"; }
B() { ip -n $P-b "$@"; }
inb() { ip netns exec $P-b "$@"; }
ina() { ip netns exec $P-a "$@"; }

set -e
for n in "${NS[@]}"; do ip netns add $P-$n; ip -n $P-$n link set lo up; done
A link add eth0 type veth peer name b-a netns $P-b
ip -n $P-c link add eth0 type veth peer name b-c netns $P-b
ip -n $P-d link add eth0 type veth peer name b-d netns $P-b
B link add br0 type bridge
B link set b-d master br0
A addr add 10.99.1.2/24 dev eth0
B addr add 10.99.1.1/24 dev b-a
B addr add 10.99.2.1/24 dev b-c
B addr add 10.99.3.1/24 dev br0
ip -n $P-c addr add 10.99.2.2/24 dev eth0
ip -n $P-d addr add 10.99.3.2/24 dev eth0
for l in b-a b-c b-d br0; do B link set $l up; done
for n in a c d; do ip -n $P-$n link set eth0 up; done
A route add default via 10.99.1.1
ip -n $P-c route add default via 10.99.2.1
ip -n $P-d route add default via 10.99.3.1
inb sysctl -qw net.ipv4.ip_forward=1
# every host known: a packet is dropped by the fault, not by an ARP round
ina ping -c1 -W2 10.99.2.2 >/dev/null
ina ping -c1 -W2 10.99.3.2 >/dev/null
set +e

ns_args=()
for n in "${NS[@]}"; do ns_args+=(-n "$P-$n"); done
ino_name() { for n in "${NS[@]}"; do [ "$(stat -c %i /run/netns/$P-$n)" = "$1" ] && echo "$n"; done; }

# observe TITLE TIMEOUT KEY SEND-COMMAND...: arm, wait until armed, send,
# print the first event (or "no event").
observe() {
	local title=$1 timeout=$2 key=$3 line
	shift 3
	$W "${ns_args[@]}" -k "$key" -t "$timeout" -c 1 >/tmp/$P.out 2>&1 &
	local pid=$!
	for _ in $(seq 500); do grep -q '^armed' /tmp/$P.out && break; sleep 0.01; done
	"$@" >/dev/null 2>&1
	wait $pid
	line=$(grep -m1 'reason=' /tmp/$P.out)
	if [ -z "$line" ]; then
		printf '%-34s | %s\n' "$title" "no event"
		return
	fi
	local reason func netns dev
	reason=$(sed 's/.* reason=\([^ ]*\)(.*/\1/' <<<"$line")
	func=$(sed 's/.* func=\([^ ]*\) .*/\1/' <<<"$line")
	netns=$(ino_name "$(sed 's/.* netns=\([0-9]*\) .*/\1/' <<<"$line")")
	dev=$(sed 's/.* if=\([^ ]*\) .*/\1/' <<<"$line")
	printf '%-34s | %-18s | %-22s | %-2s | %s\n' "$title" "$reason" "$func" "$netns" "$dev"
}

udp() { # SPORT DST DPORT [socat options]
	ina bash -c "echo podpath | socat -u - UDP4-SENDTO:$2:$3,sourceport=$1${4:+,$4}"
}
udpd() { # from d
	ip netns exec $P-d bash -c "echo podpath | socat -u - UDP4-SENDTO:$2:$3,sourceport=$1"
}

printf '%-34s | %-18s | %-22s | %-2s | %s\n' fault reason function ns device

inb sysctl -qw net.ipv4.ip_forward=0
observe "forwarding off in b" 5 udp:41001 udp 41001 10.99.2.2 5555
inb sysctl -qw net.ipv4.ip_forward=1

inb nft 'add table ip t; add chain ip t fw { type filter hook forward priority 0; }; add rule ip t fw udp dport 5555 drop'
observe "nft rule drop (forward)" 5 udp:41002 udp 41002 10.99.2.2 5555
inb nft 'flush chain ip t fw; add rule ip t fw udp dport 5555 reject'
observe "nft rule reject (forward)" 5 udp:41003 udp 41003 10.99.2.2 5555
inb nft 'delete table ip t; add table ip t; add chain ip t fw { type filter hook forward priority 0; policy drop; }'
observe "nft chain policy drop (forward)" 5 udp:41004 udp 41004 10.99.2.2 5555
inb nft 'delete table ip t'
ip netns exec $P-c nft 'add table ip t; add chain ip t in { type filter hook input priority 0; }; add rule ip t in udp dport 5555 drop'
observe "nft rule drop (input, c)" 5 udp:41005 udp 41005 10.99.2.2 5555
ip netns exec $P-c nft 'delete table ip t'

inb iptables-legacy -A FORWARD -p udp --dport 5555 -j DROP
observe "iptables-legacy DROP (forward)" 5 udp:41006 udp 41006 10.99.2.2 5555
inb iptables-legacy -F FORWARD

inb sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.b-a.rp_filter=1
A addr add 10.99.2.50/32 dev eth0
observe "rp_filter strict, asymmetric" 5 udp:41007 \
	ina bash -c "echo podpath | socat -u - UDP4-SENDTO:10.99.2.2:5555,bind=10.99.2.50:41007"
A addr del 10.99.2.50/32 dev eth0
inb sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.b-a.rp_filter=0

B route add blackhole 10.99.8.0/24
observe "blackhole route in b" 5 udp:41008 udp 41008 10.99.8.8 5555
B route add unreachable 10.99.7.0/24
observe "unreachable route in b" 5 udp:41009 udp 41009 10.99.7.7 5555
B route add prohibit 10.99.6.0/24
observe "prohibit route in b" 5 udp:41010 udp 41010 10.99.6.6 5555
observe "no route in b" 5 udp:41011 udp 41011 10.99.9.9 5555
observe "TTL 1 (expires in b)" 5 udp:41012 udp 41012 10.99.2.2 5555 ttl=1

mac=$(A neigh show 10.99.1.1 | awk '{print $5}')
A neigh replace 10.99.1.1 lladdr 02:00:00:00:09:09 dev eth0 nud permanent
observe "wrong static neighbour MAC in a" 5 udp:41013 udp 41013 10.99.2.2 5555
A neigh replace 10.99.1.1 lladdr "$mac" dev eth0 nud reachable

observe "no such host (ARP fails in b)" 10 udp:41014 udp 41014 10.99.2.77 5555
observe "no UDP listener in c" 5 udp:41015 udp 41015 10.99.2.2 5599
observe "no TCP listener in c" 5 tcp:41016 ina socat -u - TCP4:10.99.2.2:5598,sourceport=41016,connect-timeout=1

ip -n $P-c link set eth0 down
observe "veth peer down (c's eth0)" 5 udp:41017 udp 41017 10.99.2.2 5555
B neigh replace 10.99.2.2 lladdr "$(ip -n $P-c link show eth0 | awk '/ether/ {print $2}')" dev b-c nud permanent
observe "veth peer down, static neighbour" 5 udp:41021 udp 41021 10.99.2.2 5555
ip -n $P-c link set eth0 up

B link set b-d down
observe "bridge port admin down (b-d)" 10 udp:41018 udp 41018 10.99.3.2 5555
B link set b-d up
# static neighbours both ways: the frame meets the port, not a failed ARP
B neigh replace 10.99.3.2 lladdr "$(ip -n $P-d link show eth0 | awk '/ether/ {print $2}')" dev br0 nud permanent
ip -n $P-d neigh replace 10.99.3.1 lladdr "$(B link show br0 | awk '/ether/ {print $2}')" dev eth0 nud permanent
ip netns exec $P-b bridge link set dev b-d state 0
observe "bridge port STP disabled, out" 10 udp:41019 udp 41019 10.99.3.2 5555
observe "bridge port STP disabled, in" 5 udp:41020 udpd 41020 10.99.1.2 5555
ip netns exec $P-b bridge link set dev b-d state 3
