#!/usr/bin/env bats
# Every example command in README.md and in the man pages runs against a real
# lab and behaves as documented. The examples are read from the documents,
# never copied here, so an example added later is run too:
#  - README.md: a line "$ CMD" inside a fenced code block; the lines after it,
#    up to the next "$ " line or the fence, are the output it documents;
#  - docs/*.8: each line of a .nf block in the EXAMPLES section, as groff
#    renders it (so an escape that prints wrong, such as \\-, is caught).
# Each must exit 0 (none documents a failure), and where it shows output the
# output must read the same, apart from what differs from run to run (pids,
# times, ephemeral ports, column widths, the lab's name; a line "..." elides
# lines); an answer through a Service, whose endpoint kube-proxy picks at
# random, is run until the documented one answers (at most 20 times). Facts
# in the output are checked against ip, nft, tcpdump and the listener's log.
# An example that needs more (a lab to remove, a topology file, a namespace
# "mybox") gets it from example_before, keyed by what the example does; an
# example on lab "np" gets the lab docs/examples/network-policy.json builds.
#
# `podpath` in an example is a function here: the default lab becomes $LAB
# and --lab NAME becomes $LAB-NAME, so no user's lab is ever touched.
# `teardown --all` runs in a mount namespace of its own with empty
# /run/netns and /run/podpath, so it removes the labs it is shown and no
# other test's.

LAB=ppt-examples
MYBOX=$LAB-mybox	# the namespace "mybox" of the --netns example

setup_file() {
	load helpers
	lab_cleanup "$LAB"
	"$PODPATH" --lab "$LAB" setup >/dev/null
}

teardown_file() {
	load helpers
	local l p
	for l in "$LAB" "$LAB-big" "$LAB-mine" "$LAB-np" "$LAB-ipt" "$LAB-calico"; do
		lab_cleanup "$l"
	done
	# teardown --all's labs live in a mount namespace gone by now; a
	# process of theirs would still show here.
	for p in $(pgrep -f -- "podpath-responder --lab $LAB-all" || true); do
		kill -9 "$p" 2>/dev/null || true
	done
	for l in "$MYBOX" "$MYBOX-peer"; do
		ip netns pids "$l" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$l" 2>/dev/null || true
	done
}

setup() {
	load helpers
	ROOT=$BATS_TEST_DIRNAME/../..
	EX=$BATS_TEST_TMPDIR/examples
	mkdir -p "$EX"
}

# --- finding the examples -------------------------------------------------

# README.md's examples into DIR as NAME-NNN.cmd (the command), .out (the
# documented output) and .src (FILE:LINE).
readme_examples() { # FILE DIR
	awk -v dir="$2" -v src="$(basename "$1")" '
	function done_ex() { if (cur != "") close(cur ".out"); cur = "" }
	/^```/ { done_ex(); fence = !fence; next }
	fence && /^\$ / {
		done_ex()
		cur = sprintf("%s/%s-%03d", dir, src, ++n)
		print substr($0, 3) > (cur ".cmd"); close(cur ".cmd")
		print src ":" NR > (cur ".src"); close(cur ".src")
		printf "" > (cur ".out")
		next
	}
	fence && cur != "" { print > (cur ".out") }
	' "$1"
}

# A man page's examples into DIR, each line rendered by groff as man shows it.
man_examples() { # FILE DIR
	local src n=0 ln line base
	src=$(basename "$1")
	while IFS=: read -r ln line; do
		n=$((n + 1))
		base=$(printf "%s/%s-%03d" "$2" "$src" "$n")
		printf '.nf\n%s\n' "$line" | groff -Tascii -P-c -P-b -P-u -P-o 2>/dev/null |
			sed -e '/^[[:space:]]*$/d' -e 's/[[:space:]]*$//' >"$base.cmd"
		echo "$src:$ln" >"$base.src"
		: >"$base.out"
	done < <(awk '/^\.SH/ { ex = ($2 == "EXAMPLES") }
		ex && /^\.nf/ { nf = 1; next }
		ex && /^\.fi/ { nf = 0; next }
		ex && nf && !/^[.\x27]/ { print FNR ":" $0 }' "$1")
}

all_examples() { # DIR
	local f
	readme_examples "$ROOT/README.md" "$1"
	for f in "$ROOT"/docs/*.8; do
		man_examples "$f" "$1"
	done
}

# --- running one ----------------------------------------------------------

podpath() {
	local g=() lab=$LAB

	while [[ $# -gt 0 && $1 == -* ]]; do
		if [ "$1" = --lab ]; then
			lab=$LAB-$2
			shift 2
		else
			g+=("$1")
			shift
		fi
	done
	"$PODPATH" "${g[@]}" --lab "$lab" "$@"
}

# The lab an example acts on, as the podpath function above maps it.
lab_of() { # CMD
	local re='--lab ([a-z0-9-]+)'

	if [[ $1 =~ $re ]]; then echo "$LAB-${BASH_REMATCH[1]}"; else echo "$LAB"; fi
}

# The default lab's name in namespace names and state paths is the test lab's;
# /tmp is the test's own.
map_cmd() { # CMD
	local c=$1

	c=${c//\/run\/podpath\/podpath\//\/run\/podpath\/$LAB\/}
	c=${c//podpath_/${LAB}_}
	c=${c// ipt_/ ${LAB}-ipt_}
	c=${c// calico_/ ${LAB}-calico_}
	c=${c//\/tmp\//$EX\/tmp\/}
	c=${c//--netns mybox/--netns $MYBOX}
	c=${c//docs\/examples\//$ROOT\/docs\/examples\/}
	printf '%s' "$c"
}

main_lab_up() {
	lab_leftovers "$LAB" | grep -q "_node_node-1" || "$PODPATH" --lab "$LAB" setup >/dev/null
}

# The namespace the --netns example starts in: "mybox" with a veth to a
# peer at 10.0.0.2 that listens on port 80 (socat), built with ip.
mybox_up() {
	local i

	for i in "$MYBOX" "$MYBOX-peer"; do
		ip netns del "$i" 2>/dev/null || true
		ip netns add "$i"
	done
	ip -n "$MYBOX" link add eth0 type veth peer name eth0 netns "$MYBOX-peer"
	ip -n "$MYBOX" addr add 10.0.0.1/24 dev eth0
	ip -n "$MYBOX-peer" addr add 10.0.0.2/24 dev eth0
	ip -n "$MYBOX" link set eth0 up
	ip -n "$MYBOX-peer" link set eth0 up
	ip netns exec "$MYBOX-peer" socat -d -d TCP-LISTEN:80,fork,reuseaddr \
		SYSTEM:'printf "HTTP/1.0 200 OK\r\n\r\nok\n"' >/dev/null 2>"$EX/socat.log" &
	for i in $(seq 200); do
		[ -n "$(ip netns exec "$MYBOX-peer" ss -Hltn 'sport = :80')" ] && return 0
		sleep 0.05
	done
	return 1
}

# What an example needs before it runs, keyed by what it does.
example_before() { # CMD
	local lab

	lab=$(lab_of "$1")
	case "$1" in
	*"teardown --all"*) ;;
	*" setup"*)
		lab_cleanup "$lab"
		[[ $1 != *lab.json* ]] ||
			awk '/^```json/ { f = 1; next } /^```/ { if (f) exit } f' \
				"$ROOT/docs/topology.md" >"$EX/cwd/lab.json"
		;;
	*" teardown"*)
		lab_leftovers "$lab" | grep -q . || "$PODPATH" --lab "$lab" setup >/dev/null
		;;
	*)
		if [ "$lab" = "$LAB-np" ]; then
			lab_leftovers "$lab" | grep -q "_node_node-1" ||
				"$PODPATH" --lab "$lab" setup -f "$ROOT/docs/examples/network-policy.json" >/dev/null
		elif [[ $1 == *" ipt_node_"* ]]; then
			lab="$LAB-ipt"
			lab_leftovers "$lab" | grep -q "_node_node-1" ||
				"$PODPATH" --lab "$lab" setup --proxy-mode iptables >/dev/null
		elif [[ $1 == *" calico_node_"* || $lab == "$LAB-calico" ]]; then
			lab="$LAB-calico"
			lab_leftovers "$lab" | grep -q "_node_node-1" ||
				"$PODPATH" --lab "$lab" setup --network bgp >/dev/null
		else
			main_lab_up
		fi
		;;
	esac
	if [[ $1 == *"--netns mybox"* ]]; then mybox_up; fi
	return 0
}

# Run CMD as bash would, podpath being the function above; output in $EX/got.
example_run() { # CMD
	(cd "$EX/cwd" && set -o pipefail && eval "$1") >"$EX/got" 2>"$EX/got.err"
}

# teardown --all, shown two labs of its own in a private /run/netns and
# /run/podpath; exit status 1 when anything of them is left there.
example_run_private() { # CMD
	mkdir -p /run/netns /run/podpath
	unshare -m --propagation private bash -c '
		set -e
		mount -t tmpfs ppt-examples /run/netns
		mount -t tmpfs ppt-examples /run/podpath
		'"$(declare -f podpath)"'
		LAB=$1 PODPATH=$2
		"$PODPATH" --lab "$LAB-all-1" setup --nodes 1 --pods-per-node 1 >/dev/null
		"$PODPATH" --lab "$LAB-all-2" setup --nodes 2 --pods-per-node 1 >/dev/null
		[ "$(ip netns list | wc -l)" -gt 0 ]
		set +e
		(cd "$3" && set -o pipefail && eval "$4")
		st=$?
		echo "left: $(ip netns list | wc -l) namespaces, $(ls /run/podpath | wc -l) files" >&2
		[ "$st" -eq 0 ] || exit "$st"
		[ -z "$(ip netns list)" ] || exit 1
		[ -z "$(ls /run/podpath)" ]
	' private "$LAB" "$PODPATH" "$EX/cwd" "$1" >"$EX/got" 2>"$EX/got.err"
}

# The parts of an output that differ from run to run, made alike.
normalize() {
	LAB=$LAB perl -pe '
		s/\Q$ENV{LAB}\E-([a-z0-9])/$1/g;
		s/\Q$ENV{LAB}\E/podpath/g;
		s/\bpid \d+/pid N/g;
		s/(?<![\d.])\d+(?:\.\d+)? ms\b/T ms/g;
		s/(?<![\d.])\d+\.\d+ s\b/T s/g;
		s/(?<![\d.])\d+\.\d{3}(?![\d.])/T/g;
		s/:(?:3[2-9]\d{3}|[45]\d{4}|60\d{3})\b/:P/g;
		s/[ \t]+/ /g; s/^ //; s/ $//;'
}

# The documented output (in blocks; a line "..." elides lines, a line
# ending in " ..." the rest of that line) matches the actual output from
# its first line to its last.
doc_matches() { # DOC GOT
	awk '
	function eq(d, a) {
		if (d ~ / \.\.\.$/) return substr(a, 1, length(d) - 4) == substr(d, 1, length(d) - 4)
		return d == a
	}
	function at(s, p,    k) {	# segment s is the output from line p on
		if (p < 1) return 0
		for (k = 0; k < len[s]; k++)
			if (p + k > na || !eq(seg[s, k], got[p + k])) return 0
		return 1
	}
	BEGIN { ns = 0; cur = 0 }
	FNR == 1 { f++ }
	f == 1 && /^\.\.\.( |$)/ { if (cur) { ns++; cur = 0 } gap[ns] = 1; next }
	f == 1 { seg[ns, cur++] = $0; len[ns] = cur; next }
	{ got[++na] = $0 }
	END {
		nseg = cur ? ns + 1 : ns	# gap[s]: lines may be left out before segment s
		p = 1
		for (s = 0; s < nseg; s++) {
			if (!gap[s]) q = p
			else if (s == nseg - 1 && !gap[nseg]) q = na - len[s] + 1
			else for (q = p; q <= na && !at(s, q); q++) ;
			if (q < p || !at(s, q) || (s == nseg - 1 && !gap[nseg] && q + len[s] - 1 != na)) {
				print "documented lines not in the output:"
				for (k = 0; k < len[s]; k++) print "  | " seg[s, k]
				exit 1
			}
			p = q + len[s]
		}
	}' "$1" "$2"
}

# --- what the kernel says --------------------------------------------------

# The namespace of a place as trace names it.
place_netns() { # LAB PLACE
	case "$2" in
	"pod "*) local p=${2#pod }; echo "$1_pod_${p/\//_}" ;;
	"node "*) echo "$1_node_${2#node }" ;;
	"internet host "*) echo "$1_inet_${2#internet host }" ;;
	VPC) echo "$1_vpc" ;;
	"load balancer") echo "$1_lb" ;;
	gateway) echo "$1_gateway" ;;
	internet) echo "$1_internet" ;;
	"netns "*) echo "${2#netns }" ;;	# trace --netns: a namespace by its name
	*) return 1 ;;
	esac
}

# Every IPv4 address an interface of the lab has, and the gateway's public
# addresses of the nodes (its 1:1 NAT map).
lab_addrs() { # LAB
	local ns

	for ns in $(ip netns list | awk '{print $1}' | grep "^$1_"); do
		ip -n "$ns" -4 -o addr show | awk '{print $4}' | cut -d/ -f1
	done
	ip netns exec "$1_gateway" nft list ruleset 2>/dev/null |
		grep -oE ': 198\.51\.100\.[0-9]+' | cut -c3-
}

# Facts in an example's output checked against the kernel; prints what is
# wrong, returns 1 then.
example_observe() { # CMD GOT
	local lab got=$2 bad=0 n c w ns ip pid pids if place addrs tok m re
	lab=$(lab_of "$1")

	# setup: the counts it reports are the kernel's namespaces, processes
	# and rules, and the networking and proxy it names exist.
	re='ready: ([0-9]+) nodes?, ([0-9]+) pods?, ([0-9]+) containers?, ([0-9]+) services?, ([a-z]+) networking, ([a-z]+) proxy'
	if [[ $(cat "$got") =~ $re ]]; then
		m=("${BASH_REMATCH[@]}")
		n=$(ip netns list | awk '{print $1}' | grep -c "^${lab}_node_")
		[ "$n" = "${m[1]}" ] || { echo "nodes: $n namespaces"; bad=1; }
		n=$(ip netns list | awk '{print $1}' | grep -c "^${lab}_pod_")
		[ "$n" = "${m[2]}" ] || { echo "pods: $n namespaces"; bad=1; }
		# a container is a process whose parent is outside its pod (nginx's
		# workers are not containers)
		c=0
		for ns in $(ip netns list | awk '{print $1}' | grep "^${lab}_pod_"); do
			pids=" $(ip netns pids "$ns" | tr '\n' ' ')"
			for pid in $pids; do
				[[ $pids == *" $(awk '{print $4}' "/proc/$pid/stat") "* ]] || c=$((c + 1))
			done
		done
		[ "$c" = "${m[3]}" ] || { echo "containers: $c processes in pods"; bad=1; }
		if [ "${m[6]}" = nftables ]; then
			n=$(ip netns exec "${lab}_node_node-1" nft list table ip kube-proxy |
				grep -oE 'chain service-[A-Z0-9]{8}-[^/]+/[^/]+/' | sed -E 's/.{23}//' | sort -u | wc -l)
		else
			n=$(ip netns exec "${lab}_node_node-1" iptables -t nat -S KUBE-SERVICES |
				grep -oE 'comment "[^":]+:[^" ]* cluster IP"' | cut -d: -f1 | sort -u | wc -l)
		fi
		[ "$n" = "${m[4]}" ] || { echo "services: $n in node-1's rules"; bad=1; }
		case ${m[5]} in
		vxlan)
			ip -n "${lab}_node_node-1" -d link show flannel.1 | grep -q "vxlan id 1 " ||
				{ echo "no flannel.1 VXLAN device"; bad=1; }
			;;
		routed)
			[ "${m[1]}" = 1 ] || ip -n "${lab}_node_node-1" route | grep -q " via 172\.18\." ||
				{ echo "node-1 has no route to a peer's pods"; bad=1; }
			;;
		bgp)
			[ "${m[1]}" = 1 ] ||
				ip -n "${lab}_node_node-1" route show proto bird | grep -q " via 172\.18\." ||
				{ echo "node-1 has no proto bird route to a peer's pods"; bad=1; }
			;;
		esac
	fi
	# A synthetic lab's pods are default/pod-<node>-<i> (podpath-setup.8).
	if [[ $1 == *--pods-per-node* ]]; then
		ip netns list | awk '{print $1}' | grep -qx "${lab}_pod_default_pod-1-1" ||
			{ echo "no pod default/pod-1-1"; bad=1; }
	fi
	# status and other tables: a namespace named on a line has the address
	# named before it, and a pid named after it is in it.
	while read -r ip ns; do
		ip -n "$ns" -4 -o addr show | grep -q " $ip/" || { echo "$ns has no address $ip"; bad=1; }
	done < <(grep -oE "([0-9]+\.){3}[0-9]+ .* ${lab}_[^ ]+" "$got" |
		awk '{print $1, $NF}' | grep -v '^$')
	while read -r ns pid; do
		ip netns identify "$pid" | grep -qx "$ns" || { echo "pid $pid is not in $ns"; bad=1; }
	done < <(LAB=$lab perl -ne 'if (/ (\Q$ENV{LAB}\E_\S+)\s+(.*)/) { my ($n, $r) = ($1, $2);
		print "$n $1\n" while $r =~ /pid (\d+)/g }' "$got")
	# A responder's answer: the server address is the pod's or host's own,
	# the client address and X-Forwarded-For the lab's.
	addrs=$(lab_addrs "$lab")
	while read -r tok; do
		case $tok in
		pod=*" server="*)
			w=${tok#pod=}; w=${w%% *}; ip=${tok##*server=}; ip=${ip%%:*}
			ip -n "${lab}_pod_${w/\//_}" -4 -o addr show | grep -q " $ip/" ||
				{ echo "pod $w has no address $ip"; bad=1; }
			;;
		internet-host=*" server="*)
			w=${tok#internet-host=}; w=${w%% *}; ip=${tok##*server=}; ip=${ip%%:*}
			ip -n "${lab}_inet_$w" -4 -o addr show | grep -q " $ip/" ||
				{ echo "internet host $w has no address $ip"; bad=1; }
			;;
		esac
	done < <(grep -oE '(pod|internet-host)=[^ ]+ .*server=[0-9.]+' "$got")
	for ip in $(grep -oE '(client|xff)=([0-9]+\.){3}[0-9]+' "$got" | cut -d= -f2); do
		grep -qx "$ip" <<<"$addrs" || { echo "$ip is no address of the lab"; bad=1; }
	done
	# kube-proxy chains named in the output are in node-1's ruleset.
	for tok in $(grep -oE '(service|endpoint)-[A-Z0-9]{8}-[^] ,)"'"'"']+' "$got" | sort -u); do
		ip netns exec "${lab}_node_node-1" nft list table ip kube-proxy | grep -qF "chain $tok {" ||
			{ echo "no chain $tok on node-1"; bad=1; }
	done
	# trace: every hop's interface exists in its namespace (the report is
	# on stderr with --pcap -).
	cat "$got" "$got.err" >"$got.all"
	n=0
	while IFS='|' read -r place if; do
		ns=$(place_netns "$lab" "$place") || { echo "unknown place \"$place\""; bad=1; continue; }
		ip -n "$ns" link show dev "$if" >/dev/null 2>&1 || { echo "no $if in $ns"; bad=1; }
		n=$((n + 1))
	done < <(perl -ne 'print "$1|$2\n" if /^\s*\d+\s+\d+\.\d{3}\s+(pod \S+|node \S+|internet host \S+|netns \S+|VPC|load balancer|gateway|internet)\s+(\S+)\s+(in|out)\s/' "$got.all")
	if grep -q '^verdict: ' "$got.all"; then
		grep -q '^verdict: delivered' "$got.all" || { echo "not delivered"; bad=1; }
		[ "$n" -gt 0 ] || { echo "a trace without hops"; bad=1; }
	fi
	# JSON is JSON; a traced JSON verdict is delivered.
	if [[ $1 == *" -j "* ]]; then
		jq -e . "$got" >/dev/null || { echo "not JSON"; bad=1; }
		if [[ $1 == *" trace "* ]]; then
			jq -e '.verdict.result == "delivered"' "$got" >/dev/null || { echo "not delivered"; bad=1; }
		fi
	fi
	# --pcap FILE: tcpdump reads it and sees the probe go to DST.
	re='--pcap ([^ ]+)'
	if [[ $1 =~ $re ]]; then
		w=$(map_cmd "${BASH_REMATCH[1]}")
		[[ $w == /* || $w == - ]] || w=$EX/cwd/$w
		# --pcap -: the report is on stderr, tcpdump's reading on stdout
		ip=$(cat "$got" "$got.err" | grep -oE '^trace [a-z]+ .*\(([0-9.]+):([0-9]+)\)' | head -1 |
			sed -E 's/.*\(([0-9.]+):([0-9]+)\)/\1.\2/')
		if [ "$w" = - ]; then
			grep -q "> $ip: Flags \[S\]" "$got" || { echo "tcpdump saw no SYN to $ip"; bad=1; }
		else
			tcpdump -n -r "$w" 2>/dev/null | grep -q "> $ip: Flags \[S\]" ||
				{ echo "$w: no SYN to $ip in it"; bad=1; }
		fi
	fi
	# status --dot | dot -Tsvg > FILE: an SVG with every pod's address in it.
	re='-Tsvg > ([^ ]+)'
	if [[ $1 =~ $re ]]; then
		w=$EX/cwd/${BASH_REMATCH[1]}
		grep -q '<svg' "$w" || { echo "$w is no SVG"; bad=1; }
		for ns in $(pod_netns "$lab"); do
			ip=$(pod_ip "$ns")
			grep -q ">$ip<" "$w" || { echo "$w lacks $ns's address $ip"; bad=1; }
		done
	fi
	# --netns: the listener in the peer accepted the probe's connection.
	if [[ $1 == *"--netns mybox"* ]]; then
		for n in $(seq 200); do
			grep -q "accepting connection" "$EX/socat.log" && break
			sleep 0.05
		done
		grep -q "accepting connection" "$EX/socat.log" ||
			{ echo "socat in $MYBOX-peer accepted no connection"; bad=1; }
	fi
	return $bad
}

# What must hold after an example, and what it leaves to clean up.
example_after() { # CMD
	local lab bad=0

	lab=$(lab_of "$1")
	case "$1" in
	*"teardown --all"*)
		if pgrep -af -- "podpath-responder --lab $LAB-all"; then
			echo "processes left of teardown --all's labs"; bad=1
		fi
		;;
	*" teardown"*)
		if lab_leftovers "$lab" | grep -q .; then
			echo "left of $lab:"; lab_leftovers "$lab"; bad=1
		fi
		;;
	*" setup"*)
		[ "$lab" = "$LAB" ] || lab_cleanup "$lab"
		;;
	esac
	if [[ $1 == *"--netns mybox"* ]]; then
		for l in "$MYBOX" "$MYBOX-peer"; do
			ip netns pids "$l" | xargs -r kill 2>/dev/null
			ip netns del "$l"
		done
	fi
	return $bad
}

# Run every example in DIR; print each and why it failed; 1 if any did.
run_examples() { # DIR
	local f cmd src tries failed=0 ran=0 ok why
	local -A seen	# a command two pages show runs once: "ok|SRC" or "FAIL|SRC"

	for f in "$1"/*.cmd; do
		cmd=$(cat "$f")
		src=$(cat "${f%.cmd}.src")
		if [ -n "${seen[$cmd]:-}" ]; then
			ran=$((ran + 1))
			[ "${seen[$cmd]%%|*}" = ok ] || failed=$((failed + 1))
			echo "${seen[$cmd]%%|*}   $src: $cmd (as ${seen[$cmd]#*|})"
			continue
		fi
		mkdir -p "$EX/cwd" "$EX/tmp"
		example_before "$cmd" || { echo "FAIL $src: $cmd: its setup failed"; failed=$((failed + 1)); continue; }
		ok=1 why=
		# An answer through a Service names the endpoint kube-proxy picked at
		# random: the documented one comes within a few runs.
		for tries in $(seq 20); do
			if [[ $cmd == *"teardown --all"* ]]; then
				example_run_private "$cmd"
			else
				example_run "$(map_cmd "$cmd")"
			fi
			st=$?
			[ "$st" -eq 0 ] || { ok=0 why="exit $st, documented 0"; break; }
			[ -s "${f%.cmd}.out" ] || break
			normalize <"${f%.cmd}.out" >"$EX/want.n"
			normalize <"$EX/got" >"$EX/got.n"
			if why=$(doc_matches "$EX/want.n" "$EX/got.n"); then
				why=
				break
			fi
			ok=0
			[[ $cmd != *setup* && $cmd != *teardown* ]] || break
		done
		[ -n "$why" ] || ok=1
		if [ "$ok" = 1 ] && ! why=$(example_observe "$cmd" "$EX/got"); then
			ok=0
		fi
		if ! w=$(example_after "$cmd"); then
			ok=0 why="$why $w"
		fi
		ran=$((ran + 1))
		seen[$cmd]="$([ "$ok" = 1 ] && echo ok || echo FAIL)|$src"
		if [ "$ok" = 1 ]; then
			echo "ok   $src: $cmd$([ "$tries" -gt 1 ] && echo " (run $tries)")"
		else
			failed=$((failed + 1))
			echo "FAIL $src: $cmd"
			echo "     $why" | head -40
			sed 's/^/     out: /' "$EX/got" | head -30
			sed 's/^/     err: /' "$EX/got.err" | head -10
		fi
		rm -rf "$EX/cwd" "$EX/tmp"
	done
	echo "$ran examples, $failed failed"
	[ "$ran" -gt 0 ] || return 1
	[ "$failed" -eq 0 ]
}

# --- the tests -------------------------------------------------------------

@test "examples are found in README.md and in every man page" {
	all_examples "$EX"
	n=$(ls "$EX"/README.md-*.cmd 2>/dev/null | wc -l)
	echo "README.md: $n"
	[ "$n" -gt 0 ]
	for f in "$ROOT"/docs/*.8; do
		n=$(ls "$EX/$(basename "$f")"-*.cmd 2>/dev/null | wc -l)
		echo "$(basename "$f"): $n"
		[ "$n" -gt 0 ]
	done
	# Each is one command line that starts with a program, not roff or prose,
	# and prints as typed: no roff escape shows through (a shell would eat
	# the "\" of "\-\-all", a reader copies it).
	for f in "$EX"/*.cmd; do
		echo "$(cat "${f%.cmd}.src"): $(cat "$f")"
		[ "$(wc -l <"$f")" -eq 1 ]
		grep -qE '^(podpath|ip) ' "$f"
		[ -z "$(tr -d -c '\\' <"$f")" ]
	done
}

@test "the output comparison fails when the documented output is not what ran" {
	printf 'a 1\n...\nc\n' >"$EX/d"
	printf 'a 1\nb\nc\n' >"$EX/g"
	doc_matches "$EX/d" "$EX/g"
	printf 'a 1\nc\n' >"$EX/d"
	run doc_matches "$EX/d" "$EX/g"	# b is neither shown nor elided
	[ "$status" -eq 1 ]
	printf 'a 1\n' >"$EX/d"
	run doc_matches "$EX/d" "$EX/g"	# the rest is not elided
	[ "$status" -eq 1 ]
	printf 'a ...\nb\n...\n' >"$EX/d"
	doc_matches "$EX/d" "$EX/g"
	printf 'a 2\n...\n' >"$EX/d"
	run doc_matches "$EX/d" "$EX/g"
	[ "$status" -eq 1 ]
	printf '...\nb\n' >"$EX/d"
	run doc_matches "$EX/d" "$EX/g"	# c is not elided
	[ "$status" -eq 1 ]
}

@test "every example in README.md runs and behaves as documented" {
	readme_examples "$ROOT/README.md" "$EX"
	run_examples "$EX"
}

@test "every example in the man pages runs and behaves as documented" {
	for f in "$ROOT"/docs/*.8; do
		man_examples "$f" "$EX"
	done
	run_examples "$EX"
}

@test "--pcap - writes the pcapng to stdout and the report to stderr; -j with it is refused" {
	main_lab_up
	"$PODPATH" --lab "$LAB" trace default/client default/web-2 --pcap - >"$EX/t.pcapng" 2>"$EX/report"
	grep -q '^verdict: delivered' "$EX/report"
	# stdout is pcapng from its first byte (a section header block)
	[ "$(head -c 4 "$EX/t.pcapng" | od -An -tx1 | tr -d ' \n')" = 0a0d0d0a ]
	client=$(pod_ip "${LAB}_pod_default_client")
	web2=$(pod_ip "${LAB}_pod_default_web-2")
	tcpdump -n -r - <"$EX/t.pcapng" >"$EX/read" 2>/dev/null
	grep -qE "$client\.[0-9]+ > $web2\.8080: Flags \[S\]" "$EX/read"
	grep -qE "$web2\.8080 > $client\.[0-9]+: Flags \[S\.\]" "$EX/read"
	run "$PODPATH" --lab "$LAB" -j trace default/client default/web-2 --pcap -
	[ "$status" -eq 2 ]
	jq -e '.error.exit == 2 and (.error.message | test("--pcap -"))' <<<"$output"
}
