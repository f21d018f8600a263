# The NetworkPolicy conformance harness (sourced by netpol-conformance.bats
# after helpers.bash). The set-up of the upstream Kubernetes e2e suite:
# namespaces x, y and z (labelled ns=<name>), pods a, b and c in each
# (labelled pod=<name>) spread over two nodes, each serving TCP and UDP on
# ports 80 and 81 under the names serve-80-tcp, serve-80-udp, serve-81-tcp
# and serve-81-udp.
#
# A case declares its policies (np_policy) and, by hand, the connectivity it
# expects (np_expect, like upstream's reachability.Expect*); np_verify builds
# the lab, probes every ordered pair of pods on every port and protocol from
# inside the source pod with bash's /dev/tcp and /dev/udp (never through
# podpath), compares, and asks `podpath trace` about every denied pair and
# about allowed ones through the sides the kernel isolates.
#
# Two uses of this one file: bats loads it, and the np_* calls of a test
# only write the case down (in $NP_DIR); np_verify then runs this file as a
# plain bash script (`bash netpol.bash run LAB DIR`), which does the work.
# bats traces every command of a test with a DEBUG trap, which makes the
# thousands of small steps of a case take a minute instead of a second.

NP_PODS=(x/a x/b x/c y/a y/b y/c z/a z/b z/c)
NP_KINDS=(80/tcp 81/tcp 80/udp 81/udp)

# Fixed addresses, so a case can write an ipBlock before the lab exists;
# np_verify checks that the kernel agrees. Pods alternate between the
# nodes: node-1 holds x/a x/c y/b z/a z/c, node-2 x/b y/a y/c z/b.
declare -gA NP_IP NP_NODE
np_init_addresses() {
	local i=0 pod node
	for pod in "${NP_PODS[@]}"; do
		node=$((i % 2 + 1))
		NP_NODE[$pod]=node-$node
		NP_IP[$pod]=10.244.$node.$((i / 2 + 10))
		i=$((i + 1))
	done
}
np_init_addresses

# ---- what a test calls (under bats) ---------------------------------------

# A new case: nothing declared, everything expected to connect.
np_reset() {
	NP_DIR=$BATS_TEST_TMPDIR/np
	rm -rf "$NP_DIR"
	mkdir -p "$NP_DIR"
	: >"$NP_DIR/policies"
	: >"$NP_DIR/nslabels"
	echo "* * allow *" >"$NP_DIR/expect"
}

# A networking.k8s.io/v1 NetworkPolicy (JSON) for this case's topology.
np_policy() { jq -c . <<<"$1" >>"$NP_DIR/policies"; }

# Add label KEY=VALUE to namespace NS for this case (besides ns=<name>).
np_ns_label() { echo "$1 $2 $3" >>"$NP_DIR/nslabels"; }

# np_expect FROM TO allow|deny [KIND...]: what the case expects for every
# pair whose source matches glob FROM and destination glob TO ("*", "x/*",
# "[yz]/*", "x/a"), on the kinds matching the KIND globs ("81/tcp", "*/udp";
# default: all four). Later calls override earlier ones, as upstream's
# Expect calls do. Self pairs are always allowed (AllowLoopback: a pod
# talking to its own address never leaves its namespace).
np_expect() {
	case $3 in allow | deny) ;; *) echo "np_expect: \"$3\": allow or deny" >&2; return 2 ;; esac
	[ $# -gt 3 ] || set -- "$@" '*'
	echo "$*" >>"$NP_DIR/expect"
}

# Build, probe, compare, trace (see the top of this file).
np_verify() {
	PODPATH=$PODPATH bash "$BATS_TEST_DIRNAME/netpol.bash" run "$NPLAB" "$NP_DIR"
}

# ---- the work (plain bash) --------------------------------------------------

declare -gA NP_EXP NP_OBS

# The topology: the nine pods, the three namespaces, this case's policies;
# no internet hosts (nothing here needs them, and the lab builds faster).
np_topology() {
	local pods='[]' nss='[]' pod ns k v labels
	for pod in "${NP_PODS[@]}"; do
		pods=$(jq -c --arg ns "${pod%/*}" --arg name "${pod#*/}" \
			--arg node "${NP_NODE[$pod]}" --arg ip "${NP_IP[$pod]}" '. + [{
				namespace: $ns, name: $name, node: $node, ip: $ip,
				labels: { pod: $name },
				containers: [ { name: "serve", ports: [
					{ name: "serve-80-tcp", containerPort: 80, protocol: "TCP" },
					{ name: "serve-80-udp", containerPort: 80, protocol: "UDP" },
					{ name: "serve-81-tcp", containerPort: 81, protocol: "TCP" },
					{ name: "serve-81-udp", containerPort: 81, protocol: "UDP" } ] } ] }]' <<<"$pods")
	done
	for ns in x y z; do
		labels=$(jq -cn --arg ns $ns '{ ns: $ns }')
		while read -r n k v; do
			[ "$n" != "$ns" ] || labels=$(jq -c --arg k "$k" --arg v "$v" '. + { ($k): $v }' <<<"$labels")
		done <"$NP_DIR/nslabels"
		nss=$(jq -c --arg ns $ns --argjson l "$labels" '. + [{ name: $ns, labels: $l }]' <<<"$nss")
	done
	jq -s --argjson pods "$pods" --argjson nss "$nss" '{
		nodes: [ { name: "node-1" }, { name: "node-2" } ],
		namespaces: $nss,
		pods: $pods,
		networkPolicies: .,
		internet: { hosts: [] } }' "$NP_DIR/policies"
}

# Does glob PATTERN ("*", "x/*", "*/a", "x/a"; "80/*", "*/udp") match S?
np_match() { [[ $2 == $1 ]]; }

# One line of $NP_DIR/expect into NP_EXP.
np_expect_apply() { # FROM TO allow|deny KIND...
	local from=$1 to=$2 verdict=$3 s d k pat
	shift 3
	[ "$verdict" = allow ] && verdict=1 || verdict=0
	for s in "${NP_PODS[@]}"; do
		np_match "$from" "$s" || continue
		for d in "${NP_PODS[@]}"; do
			np_match "$to" "$d" || continue
			for k in "${NP_KINDS[@]}"; do
				for pat in "$@"; do
					if np_match "$pat" "$k"; then
						NP_EXP[$k $s $d]=$verdict
						[ "$s" != "$d" ] || NP_EXP[$k $s $d]=1
					fi
				done
			done
		done
	done
}

# Run inside a source pod: probe each target KEY:IP:PORT:PROTO, writing 1
# to OUT/KEY when it got through, all at once and in few processes (a
# process per probe costs seconds on a loaded machine):
# - TCP: one curl for all of them, in parallel: the responder answers HTTP
#   on its TCP ports, and an answer (any HTTP status) means the connection
#   was made and carried data both ways; none within BOUND seconds, not.
# - UDP: bash's /dev/udp, every socket opened and its datagram sent first,
#   then each echo awaited until one common deadline BOUND seconds on.
NP_PROBE_SCRIPT='
out=$1 bound=$2
shift 2
urls=() udp=()
for t in "$@"; do
	key=${t%%:*} t=${t#*:}
	ip=${t%%:*} t=${t#*:}
	port=${t%%:*} proto=${t#*:}
	if [ "$proto" = tcp ]; then
		urls+=("http://$ip:$port/$key")
	else
		udp+=("$key:$ip:$port")
	fi
done
if [ ${#urls[@]} -gt 0 ]; then
	curl -s --no-progress-meter -o /dev/null --parallel --parallel-immediate --parallel-max 100 \
		-m "$bound" -w "%{http_code} %{url}\n" "${urls[@]}" >"$out/tcp.$$" &
fi
fds=() keys=()
for u in "${udp[@]}"; do
	key=${u%%:*} u=${u#*:}
	ip=${u%%:*} port=${u#*:}
	exec {fd}<>"/dev/udp/$ip/$port" || continue
	printf "netpol %s\n" "$key" >&$fd 2>/dev/null
	fds+=($fd) keys+=($key)
done
deadline=$(( ${EPOCHREALTIME/./} + bound * 1000000 ))
for i in "${!fds[@]}"; do
	left=$(( deadline - ${EPOCHREALTIME/./} ))
	[ $left -gt 1000 ] || left=1000
	printf -v left "%d.%06d" $((left / 1000000)) $((left % 1000000))
	if read -t "$left" -r -N 1 _ <&${fds[i]} 2>/dev/null; then
		echo 1 >"$out/${keys[i]}"
	fi
done
wait
if [ -f "$out/tcp.$$" ]; then
	while read -r code url; do
		[ "$code" = 000 ] || echo 1 >"$out/${url##*/}"
	done <"$out/tcp.$$"
	rm -f "$out/tcp.$$"
fi
exit 0
'

# Every probe of a case: "KIND SRC DST" lines.
np_all_probes() {
	local k s d
	for k in "${NP_KINDS[@]}"; do
		for s in "${NP_PODS[@]}"; do
			for d in "${NP_PODS[@]}"; do echo "$k $s $d"; done
		done
	done
}

np_netns() { echo "${NPLAB}_pod_${1%/*}_${1#*/}"; }

# Probe "KIND SRC DST" lines from stdin (not a pipe: NP_OBS is this shell's)
# with a bound of $1 seconds, all sources at once, one `ip netns exec`
# each. A probe's file is SRC.DST.KIND with "-" for "/" (x-a.y-b.80-tcp).
np_probe() {
	local bound=$1 out=$NP_DIR/probe.$RANDOM k s d key pid
	local -A targets=()
	local -a keys=() pids=()
	mkdir -p "$out"
	while read -r k s d; do
		key=${s/\//-}.${d/\//-}.${k/\//-}
		keys+=("$k $s $d $key")
		targets[$s]+=" $key:${NP_IP[$d]}:${k%/*}:${k#*/}"
	done
	for s in "${!targets[@]}"; do
		# shellcheck disable=SC2086
		timeout 120 ip netns exec "$(np_netns "$s")" \
			bash -c "$NP_PROBE_SCRIPT" netpol-probe "$out" "$bound" ${targets[$s]} &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid" || true; done
	for key in "${keys[@]}"; do
		set -- $key
		if [ -f "$out/$4" ]; then NP_OBS[$1 $2 $3]=1; else NP_OBS[$1 $2 $3]=0; fi
	done
	rm -rf "$out"
}

# One kind's matrix, expected and observed side by side (. allowed,
# X denied), rows are sources; * marks a cell that differs.
np_matrix() { # KIND
	local k=$1 s d row e o
	printf '%s  expected%*sobserved\n' "$k" $((4 * ${#NP_PODS[@]} - 6)) ''
	row='      '
	for d in "${NP_PODS[@]}"; do row+="$d "; done
	printf '%s   %s\n' "$row" "${row# * }"
	for s in "${NP_PODS[@]}"; do
		row="$s  "
		local orow=''
		for d in "${NP_PODS[@]}"; do
			e=${NP_EXP[$k $s $d]}
			o=${NP_OBS[$k $s $d]:-?}
			if [ "$e" = 1 ]; then row+=' .  '; else row+=' X  '; fi
			if [ "$o" = 1 ]; then orow+=' .'; else orow+=' X'; fi
			if [ "$o" = "$e" ]; then orow+='  '; else orow+='* '; fi
		done
		printf '%s  %s\n' "$row" "$orow"
	done
}

np_word() { if [ "$1" = 1 ]; then echo allowed; else echo denied; fi; }

# Build the lab of the case in NP_DIR, probe everything, compare with what
# the case expects; then trace one denied probe of every denied pair.
# Fails with the matrices and the list of differences.
np_run() {
	local topo=$NP_DIR/topology.json k s d out line
	local -a f
	while read -r -a f; do
		np_expect_apply "${f[@]}"
	done <"$NP_DIR/expect"
	np_topology >"$topo" || return 1
	if ! out=$("$PODPATH" --lab "$NPLAB" setup -f "$topo" 2>&1); then
		echo "setup failed: $out"
		echo "topology: $topo"
		jq -c '.networkPolicies[]' "$topo"
		return 1
	fi
	# The addresses the policies were written with are the pods' real ones.
	for s in "${NP_PODS[@]}"; do
		out=$(pod_ip "$(np_netns "$s")")
		if [ "$out" != "${NP_IP[$s]}" ]; then
			echo "pod $s has address '$out' in its namespace, expected ${NP_IP[$s]}"
			return 1
		fi
	done

	# The traces run while the probes wait out their bound: each trace
	# follows its own marked packet, and neither changes what the other sees.
	local tpid tst=0
	{
		local st_d=0 st_a=0
		np_trace_denied "$topo" || st_d=$?
		np_trace_allowed "$topo" || st_a=$?
		[ $((st_d + st_a)) -eq 0 ]
	} >"$NP_DIR/traces" 2>&1 &
	tpid=$!
	np_probe 3 < <(np_all_probes)
	# A probe that should have passed but did not gets one more chance with
	# a generous bound: a loaded machine must not fail the case.
	local retry=()
	for k in "${NP_KINDS[@]}"; do
		for s in "${NP_PODS[@]}"; do
			for d in "${NP_PODS[@]}"; do
				[ "${NP_EXP[$k $s $d]}" = 1 ] || continue
				[ "${NP_OBS[$k $s $d]}" = 1 ] || retry+=("$k $s $d")
			done
		done
	done
	if [ ${#retry[@]} -gt 0 ]; then
		echo "retrying ${#retry[@]} probe(s) expected to pass: ${retry[*]}"
		np_probe 10 < <(printf '%s\n' "${retry[@]}")
	fi

	local diffs=()
	for k in "${NP_KINDS[@]}"; do
		for s in "${NP_PODS[@]}"; do
			for d in "${NP_PODS[@]}"; do
				[ "${NP_EXP[$k $s $d]}" = "${NP_OBS[$k $s $d]}" ] ||
					diffs+=("$s -> $d $k: expected $(np_word "${NP_EXP[$k $s $d]}"), observed $(np_word "${NP_OBS[$k $s $d]}")")
			done
		done
	done
	wait "$tpid" || tst=$?
	if [ ${#diffs[@]} -gt 0 ]; then
		for k in "${NP_KINDS[@]}"; do np_matrix "$k"; echo; done
		printf '%s\n' "${diffs[@]}"
		echo "policies:"
		jq -c '.networkPolicies[]' "$topo"
		return 1
	fi
	cat "$NP_DIR/traces"
	return "$tst"
}

# The names ("ns/name") of this case's policies, as a JSON array.
np_policy_names() { jq -c '[.networkPolicies[] | "\(.metadata.namespace // "default")/\(.metadata.name)"]' "$1"; }

# For every denied pod pair, trace its first denied kind: trace must exit 1
# with cause denied-by-policy, naming one of this case's policies.
np_trace_denied() { # TOPOLOGY
	local names k s d kind st out fails=0 n=0
	names=$(np_policy_names "$1")
	for s in "${NP_PODS[@]}"; do
		for d in "${NP_PODS[@]}"; do
			kind=''
			for k in "${NP_KINDS[@]}"; do
				if [ "${NP_EXP[$k $s $d]}" = 0 ]; then kind=$k; break; fi
			done
			[ -n "$kind" ] || continue
			n=$((n + 1))
			st=0
			out=$("$PODPATH" --lab "$NPLAB" -j trace "$s" "$d" -p "${kind#*/}" --port "${kind%/*}") || st=$?
			if [ "$st" -ne 1 ]; then
				echo "trace $s $d $kind: exit $st, expected 1 (denied): $(jq -c .verdict <<<"$out" 2>/dev/null || echo "$out")"
				fails=$((fails + 1))
				continue
			fi
			# docs/trace-json.md: the first finding's "policy" is the
			# direction that denied; its details are policy.<dir>, or
			# upstream.policy.<dir> for connection 2 (an ingress
			# controller's own): its pod the destination (ingress) or
			# the source (egress), isolated_by its policies; the reason
			# says it in words.
			if ! jq -e --argjson names "$names" --arg src "$s" --arg dst "$d" '
				.verdict.findings[0].policy as $dir |
				(if .verdict.findings[0].connection == 2 then .upstream.policy
				 else .policy end) as $pol |
				.verdict.cause == "denied-by-policy" and
				($dir == "ingress" or $dir == "egress") and
				$pol[$dir].pod == (if $dir == "ingress" then $dst else $src end) and
				any($pol[$dir].isolated_by[]; . as $p | $names | index($p)) and
				(.verdict.reason as $r | any($names[]; . as $n | $r | contains($n)))' \
				<<<"$out" >/dev/null; then
				echo "trace $s $d $kind: not denied-by-policy naming one of $names: $(jq -c '[.verdict.cause, .verdict.reason, .policy]' <<<"$out")"
				fails=$((fails + 1))
			fi
		done
	done
	echo "traced $n denied pair(s), $fails wrong"
	[ "$fails" -eq 0 ]
}

# The pods the nodes' kernels isolate for DIR (tw: ingress, fw: egress):
# those with a chain cali-tw-NS/POD (cali-fw-) in their node's table ip
# network-policy, as nft lists it; NS/POD, one a line.
np_kernel_isolated() { # tw|fw
	local n out
	for n in 1 2; do
		out=$(ip netns exec "${NPLAB}_node_node-$n" nft list table ip network-policy) || return 1
		sed -nE "s/^\tchain cali-$1-([^ ]+) \{\$/\1/p" <<<"$out"
	done
}
np_trace_allowed() { # TOPOLOGY
	local names dir chain pods pod s d k kind st out fails=0 n=0 m iso=0
	names=$(np_policy_names "$1")
	[ "$names" != "[]" ] || return 0
	for dir in ingress egress; do
		[ $dir = ingress ] && chain=tw || chain=fw
		m=0
		if ! pods=$(np_kernel_isolated $chain); then
			echo "nft list table ip network-policy failed in $NPLAB's nodes"
			return 1
		fi
		iso=$((iso + $(wc -w <<<"$pods")))
		for pod in $(sort -u <<<"$pods"); do
			[ $m -lt 3 ] || break
			kind=''
			for s in "${NP_PODS[@]}"; do
				d=$s
				if [ $dir = ingress ]; then d=$pod; else s=$pod; fi
				[ "$s" != "$d" ] || continue
				for k in "${NP_KINDS[@]}"; do
					if [ "${NP_EXP[$k $s $d]}" = 1 ]; then kind=$k; break; fi
				done
				[ -z "$kind" ] || break
			done
			[ -n "$kind" ] || continue
			m=$((m + 1)) n=$((n + 1)) st=0
			out=$("$PODPATH" --lab "$NPLAB" -j trace "$s" "$d" -p "${kind#*/}" --port "${kind%/*}") || st=$?
			if [ "$st" -ne 0 ] || ! jq -e --argjson names "$names" --arg dir $dir --arg pod "$pod" '
				.verdict.result == "delivered" and .policy[$dir].pod == $pod and
				.policy[$dir].isolated and .policy[$dir].allowed and
				(.policy[$dir].admitted_by.policy as $p | $names | index($p)) and
				.policy[$dir].nftables.verdict == "accept"' <<<"$out" >/dev/null; then
				echo "trace $s $d $kind: exit $st, expected delivered with $dir of $pod admitted by one of $names: $(jq -c '[.verdict.result, .verdict.reason, .policy]' <<<"$out" 2>/dev/null || echo "$out")"
				fails=$((fails + 1))
			fi
		done
	done
	echo "traced $n allowed pair(s) through an isolated side, $fails wrong"
	# Every case with policies isolates some pod: none found in nft means
	# the listing or its parsing broke, not that there was nothing to trace.
	if [ "$iso" -eq 0 ]; then
		echo "the case has policies $names, but nft shows no cali-tw-/cali-fw- chain"
		return 1
	fi
	[ "$fails" -eq 0 ]
}

# `bash netpol.bash run LAB DIR`: np_verify's worker.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ "$1" = run ] || { echo "usage: $0 run LAB DIR" >&2; exit 2; }
	NPLAB=$2 NP_DIR=$3
	BATS_TEST_DIRNAME=$(dirname "$0")
	. "$BATS_TEST_DIRNAME/helpers.bash"
	np_run
fi
