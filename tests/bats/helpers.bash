# Shared by every bats file. Each file sets LAB to its own name before
# loading this, builds in setup_file and always tears down in teardown_file.

PODPATH="${PODPATH:-$BATS_TEST_DIRNAME/../../podpath}"
TOPOS="$BATS_TEST_DIRNAME/../topologies"

pp() { "$PODPATH" --lab "$LAB" "$@"; }

# Remove the lab and anything a failed test could have left of it.
lab_cleanup() {
	local lab=${1:-$LAB} ns
	"$PODPATH" --lab "$lab" teardown >/dev/null 2>&1 || true
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${lab}_" || true); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "/run/podpath/$lab" "/run/podpath/$lab.lock"
	rmdir /run/podpath 2>/dev/null || true
}

# Namespaces, processes, mounts and state files left of lab $1 (one per line).
lab_leftovers() {
	local lab=$1
	ip netns list | awk '{print $1}' | grep "^${lab}_" || true
	grep " /run/netns/${lab}_" /proc/mounts || true
	pgrep -af -- "podpath-responder --lab $lab " || true
	pgrep -af -- "bird -f -c /run/podpath/$lab/" || true
	ls -d "/run/podpath/$lab" "/run/podpath/$lab.lock" 2>/dev/null || true
}

# True once no route in lab $1 says linkdown. A veth's carrier comes up
# asynchronously (the kernel's linkwatch runs up to a second later), so a
# lab just built or a link just brought back up may still say it: a test
# comparing kernel state waits for this first (bounded: 20 s, then it fails
# naming the route).
carriers_settle() { # LAB
	local i n down
	for i in $(seq 80); do
		down=
		for n in $(ip netns list | awk '{print $1}' | grep "^${1}_"); do
			ip -n "$n" route show table all | grep -q ' linkdown' && { down=1; break; }
		done
		[ -z "$down" ] && return 0
		sleep 0.25
	done
	echo "a route in $n still says linkdown after 20 s:" >&2
	ip -n "$n" route show table all | grep ' linkdown' >&2
	return 1
}

# The pod's address as the kernel shows it inside the pod (not podpath's word).
pod_ip() { # NETNS
	ip -n "$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1
}

# All pod namespaces of a lab.
pod_netns() { ip netns list | awk '{print $1}' | grep "^${1}_pod_" | sort; }
node_netns() { ip netns list | awk '{print $1}' | grep "^${1}_node_" | sort; }

# HTTP GET from inside a namespace with the plain kernel tools.
ns_curl() { # NETNS URL
	# -m: a bound for a hang on a loaded machine, not a timing.
	ip netns exec "$1" curl -s -m 30 "$2"
}

# tcpdump ARGS in NETNS, in the background (its pid in TCPDUMP_PID),
# returning once it says it listens: a fixed sleep instead can send the
# packet before the capture is attached on a loaded machine. Both bounds
# are for a hang, not a pace: 30 s to attach, 60 s for the capture (a
# test waits that long only when the packet it expects never comes). Not
# in $(...): only this shell can wait for the child. Redirect stdout at
# the call.
tcpdump_start() { # NETNS TCPDUMP-ARGS...
	local ns=$1 log=$BATS_TEST_TMPDIR/tcpdump.$RANDOM.log i
	shift
	ip netns exec "$ns" timeout 60 tcpdump "$@" 2>"$log" &
	TCPDUMP_PID=$!
	for i in $(seq 600); do
		grep -q "listening on" "$log" && return 0
		kill -0 $TCPDUMP_PID 2>/dev/null || break
		sleep 0.05
	done
	echo "tcpdump in $ns did not start listening:" >&2
	cat "$log" >&2
	return 1
}

# bgp mode. birdc on a BIRD's control socket in lab LAB (SPEAKER: a node's
# name, or vpc.route-reflector): an observer independent of podpath.
bgp_birdc() { # LAB SPEAKER CMD...
	local lab=$1 sp=$2
	shift 2
	birdc -s "/run/podpath/$lab/bgp/$sp.ctl" "$@"
}
# Poll CMD... until it succeeds; bounded at 30 s (BGP needs 1-2 s).
bgp_wait() {
	local i
	for i in $(seq 150); do
		"$@" && return 0
		sleep 0.2
	done
	echo "still not true after 30 s: $*" >&2
	return 1
}
# Does namespace NETNS route PREFIX as proto bird?
bgp_route_in() { # NETNS PREFIX
	ip -n "$1" route show proto bird | grep -q "^$2 "
}
# The pid of BIRD running in namespace NETNS, if any (by the kernel's comm,
# not by podpath's pid file).
bgp_bird_pid() { # NETNS
	local p
	for p in $(ip netns pids "$1"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = bird ] && echo "$p"
	done
	return 0
}

# Does a TCP connection of lab $LAB from namespace $1 (a pod NS_NAME or a full netns
# name) to $2:$3 open? $2 is a pod (NS_NAME) or an address. Denied ones
# are given 3 s (a SYN dropped by policy is never answered); allowed ones
# 30 s, a bound for a loaded machine, not a pace.
lab_netns_of() { [[ "$1" == ${LAB}_* ]] && echo "$1" || echo "${LAB}_pod_$1"; }
lab_addr_of() { [[ "$1" =~ ^[0-9.]+$ ]] && echo "$1" || pod_ip "${LAB}_pod_$1"; }
lab_connects() { # FROM TO PORT [SECONDS]
	local ip
	ip=$(lab_addr_of "$2")
	[ -n "$ip" ] || return 2
	ip netns exec "$(lab_netns_of "$1")" timeout "${4:-30}" bash -c "exec 3<>/dev/tcp/$ip/$3" 2>/dev/null
}

# Does a UDP datagram from $1 to pod $2 port $3 get an answer? bash reads
# a datagram socket a byte at a time and each read(2) takes a whole
# datagram, so read stops at its own bound ($4 s, 30 by default, or 3) with
# the answer's first byte: any byte is an answer.
lab_udp_answered() { # FROM TO PORT [SECONDS]
	local ip
	ip=$(lab_addr_of "$2")
	[ -n "$ip" ] || return 2
	ip netns exec "$(lab_netns_of "$1")" bash -c \
		"exec 3<>/dev/udp/$ip/$3; printf 'hello\n' >&3; read -r -t ${4:-30} -n 1 -u 3 c; [ -n \"\$c\" ]" 2>/dev/null
}
