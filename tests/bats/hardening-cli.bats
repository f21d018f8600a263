#!/usr/bin/env bats
# Defects found by adversarial testing of the command line: a setup in
# progress is not "interrupted", signals stop a setup anywhere and roll it
# back, status reports damage, messages keep their reason and never pass
# control characters raw, trace --netns refuses the host's namespace.

bats_require_minimum_version 1.5.0

LAB=ppt-hard-cli	# the default topology, damaged test by test
BIG=ppt-hard-big	# a synthetic lab large enough to be caught mid-build
NS=ppt-hard-ns		# a plain namespace podpath did not build

setup_file() {
	load helpers
	for l in $LAB $BIG; do lab_cleanup $l; done
	ip netns del $NS 2>/dev/null || true
}

teardown_file() {
	load helpers
	for l in $LAB $BIG; do lab_cleanup $l; done
	ip netns del $NS 2>/dev/null || true
}

setup() { load helpers; }

# A process a test leaves running on purpose is killed even when an
# assertion failed before the test's own kill.
teardown() { [ -z "${KILL_PID:-}" ] || kill -9 "$KILL_PID" 2>/dev/null || true; }

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

# pid has exited (a zombie not yet reaped by init counts as exited).
gone() { local st; st=$(ps -o stat= -p "$1") || return 0; [[ "$st" == Z* ]]; }
has_netns() { ip netns list | awk '{print $1}' | grep -q "^$1"; }
holds_open() { ls -l /proc/$1/fd 2>/dev/null | grep -q -- "$2"; }
# Run in the background as `big_setup &`: exec makes $! podpath's own pid.
big_setup() { exec "$PODPATH" --lab $BIG setup --nodes 2 --pods-per-node 200 >"$BATS_TEST_TMPDIR/out" 2>&1; }

fresh_lab() {
	lab_cleanup $LAB
	pp setup >/dev/null
}

@test "while setup builds, status, trace and exec say \"setup in progress (pid N)\"; the lab completes intact" {
	big_setup &
	pid=$!
	# Mid-build, proven: a pod namespace exists, state.json does not yet.
	wait_until has_netns ${BIG}_pod_
	kill -STOP $pid
	[ ! -e /run/podpath/$BIG/state.json ]
	# Its lock is held (by it: the lock file names it, and it is alive).
	run flock -n /run/podpath/$BIG.lock true
	[ "$status" -ne 0 ]
	for args in "status" "exec default/pod-1-1 -- true" "trace default/pod-1-1 default/pod-2-1"; do
		run "$PODPATH" --lab $BIG $args
		echo "$args -> $status: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"setup in progress (pid $pid)"* ]]
		[[ "$output" != *teardown* ]]
	done
	kill -CONT $pid
	st=0
	wait $pid || st=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$st" -eq 0 ]
	# Intact: 400 pods and the cluster DNS's, 2 nodes and the edge, every
	# one still pinned.
	[ "$(pod_netns $BIG | wc -l)" -eq 401 ]
	[ "$(node_netns $BIG | wc -l)" -eq 2 ]
	run "$PODPATH" --lab $BIG -j status
	[ "$status" -eq 0 ]
	jq -e '(.damage | length) == 0 and ([.pods[] | select(.ready)] | length) == 401' <<<"$output"
	"$PODPATH" --lab $BIG teardown
	[ -z "$(lab_leftovers $BIG)" ]
}

@test "a setup killed with SIGKILL is not \"in progress\": status still advises teardown" {
	big_setup &
	pid=$!
	wait_until has_netns ${BIG}_pod_
	kill -KILL $pid
	wait $pid || true
	# The dead setup's pid is still in the lock file; nobody holds the lock.
	grep -q "^$pid setup" /run/podpath/$BIG.lock
	flock -n /run/podpath/$BIG.lock true
	run "$PODPATH" --lab $BIG status
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"has objects but no state"*"$PODPATH --lab $BIG teardown"* ]]
	[[ "$output" != *"in progress"* ]]
	"$PODPATH" --lab $BIG teardown
	[ -z "$(lab_leftovers $BIG)" ]
}

@test "SIGINT while setup waits for the lab lock: exit 130 at once, nothing built" {
	mkdir -p /run/podpath
	exec {lockfd}>/run/podpath/$BIG.lock
	flock -n $lockfd
	big_setup &
	pid=$!
	# Waiting: it holds the lock file open while the lock is ours.
	wait_until holds_open $pid /run/podpath/$BIG.lock
	kill -INT $pid
	st=0
	wait $pid || st=$?
	exec {lockfd}>&-
	cat "$BATS_TEST_TMPDIR/out"
	[ "$st" -eq 130 ]
	grep -q "setup interrupted by SIGINT" "$BATS_TEST_TMPDIR/out"
	run ! has_netns ${BIG}_
	[ ! -e /run/podpath/$BIG ]
	rm -f /run/podpath/$BIG.lock
	[ -z "$(lab_leftovers $BIG)" ]
}

# A container of the big lab runs: pods are wired to their nodes.
has_responder() { pgrep -f -- "podpath-responder --lab $BIG " >/dev/null; }
has_vpc() { has_netns ${BIG}_vpc; }

@test "SIGTERM once the VPC namespace exists, SIGINT once containers run: rolled back, exit 143 and 130" {
	for point in "has_vpc:TERM:143" "has_responder:INT:130"; do
		IFS=: read -r ns sig code <<<"$point"
		big_setup &
		pid=$!
		wait_until $ns
		kill -STOP $pid
		[ ! -e /run/podpath/$BIG/state.json ]
		kill -$sig $pid
		kill -CONT $pid
		st=0
		wait $pid || st=$?
		cat "$BATS_TEST_TMPDIR/out"
		echo "at $ns, SIG$sig: exit $st"
		[ "$st" -eq "$code" ]
		grep -q "setup interrupted by SIG$sig" "$BATS_TEST_TMPDIR/out"
		run ! grep -q ready "$BATS_TEST_TMPDIR/out"
		left=$(lab_leftovers $BIG)
		echo "$left"
		[ -z "$left" ]
	done
}

@test "status of an intact lab exits 0 and reports no damage" {
	fresh_lab
	run pp -j status
	[ "$status" -eq 0 ]
	jq -e '.damage == [] and all(.pods[]; .ready)' <<<"$output"
	run pp status
	[ "$status" -eq 0 ]
	[[ "$output" != *damage* ]]
}

@test "status: a deleted pod namespace is named, and its running process is not \"down\"" {
	fresh_lab
	pid=$(pp -j status | jq -r '.pods[] | select(.name == "web-2") | .containers[0].pid')
	KILL_PID=$pid
	ip netns del ${LAB}_pod_default_web-2
	# The process runs on, in a namespace no longer pinned anywhere.
	kill -0 "$pid"
	[ -z "$(ip netns identify "$pid")" ]
	run pp -j status
	echo "$output" | jq .damage
	[ "$status" -eq 1 ]
	jq -e --arg ns ${LAB}_pod_default_web-2 --argjson pid "$pid" '
		(.damage | length) == 2 and
		any(.damage[]; .kind == "netns-missing" and .netns == $ns and .object == "pod default/web-2") and
		any(.damage[]; .kind == "process-unpinned" and .pid == $pid and .netns == $ns) and
		(.pods[] | select(.name == "web-2") | .containers[0].health != "down")' <<<"$output"
	run pp status
	[ "$status" -eq 1 ]
	[[ "$output" == *"pod default/web-2: namespace ${LAB}_pod_default_web-2 is missing (see: ip netns list)"* ]]
	[[ "$output" == *"process $pid runs"*"(see: ip netns identify $pid)"* ]]
	kill -9 "$pid"
}

@test "status: a deleted node namespace and a killed container are named; exit 1" {
	fresh_lab
	pid=$(pp -j status | jq -r '.pods[] | select(.name == "web-1") | .containers[1].pid')
	ip netns del ${LAB}_node_node-1
	kill -9 "$pid"
	wait_until gone "$pid"
	run ! has_netns ${LAB}_node_node-1
	run pp -j status
	echo "$output" | jq .damage
	[ "$status" -eq 1 ]
	jq -e --arg ns ${LAB}_node_node-1 --argjson pid "$pid" '
		(.damage | length) == 2 and
		any(.damage[]; .kind == "netns-missing" and .netns == $ns and .object == "node node-1") and
		any(.damage[]; .kind == "process-down" and .pid == $pid and .object == "container default/web-1 sidecar")' <<<"$output"
}

@test "status: each deleted nftables table is named with the namespace it is missing from" {
	fresh_lab
	deleted="node_node-2:kube-proxy node_node-1:ip-masq-agent gateway:cloud-gateway lb:cloud-lb vpc:vpc-router"
	for d in $deleted; do
		ip netns exec ${LAB}_${d%%:*} nft delete table ip ${d#*:}
		run ! bash -c "ip netns exec ${LAB}_${d%%:*} nft list tables | grep -qx 'table ip ${d#*:}'"
	done
	run pp -j status
	[ "$status" -eq 1 ]
	want=$(for d in $deleted; do echo "${LAB}_${d%%:*} ip ${d#*:}"; done | sort)
	got=$(jq -r '.damage[] | select(.kind == "nft-table-missing") | "\(.netns) \(.table)"' <<<"$output" | sort)
	diff <(echo "$want") <(echo "$got")
	jq -e '[.damage[] | select(.kind != "nft-table-missing")] == []' <<<"$output"
	run pp status
	[ "$status" -eq 1 ]
	[[ "$output" == *"nftables table ip kube-proxy is missing from ${LAB}_node_node-2 (see: ip netns exec ${LAB}_node_node-2 nft list tables)"* ]]
}

@test "status inside a user namespace without privilege says so and exits 3" {
	fresh_lab
	run unshare -U -r --net "$PODPATH" --lab $LAB status
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no privilege over its namespaces"*"user namespace"* ]]
	[[ "$output" != *down* ]]
	run unshare -U "$PODPATH" --lab $LAB status
	[ "$status" -eq 3 ]
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$PODPATH" --lab $LAB status
	[ "$status" -eq 3 ]
	[[ "$output" == *"needs root"* ]]
}

@test "a long argument is shortened in the message; the reason after it stays whole" {
	long="http://web/$(printf 'a%.0s' $(seq 3000))"
	run "$PODPATH" --lab $LAB trace default/client "$long"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *'DST "http://web/aaa'*'...'*'aaa": the path, percent-encoded, is longer than 255 bytes (see: '"$PODPATH"' trace --help)' ]]
	[ "${#output}" -lt 300 ]
	run "$PODPATH" --lab "$(printf 'x%.0s' $(seq 2000))" status
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a valid lab name"*"at most 24 characters) (see: $PODPATH --help)" ]]
	run "$PODPATH" --lab $LAB setup -f "$BATS_TEST_TMPDIR/$(printf 'f%.0s' $(seq 3000))"
	[ "$status" -eq 2 ]
	[[ "$output" == *"/fff"*"fff...fff"*"fff: cannot read: File name too long" ]]
	[ "${#output}" -lt 200 ]
}

@test "control characters from arguments and files are escaped in every message" {
	bad=$'x\e[31mred\a\r\ny'
	run "$PODPATH" --lab "$bad" status
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" != *$'\e'* && "$output" != *$'\a'* && "$output" != *$'\r'* ]]
	[[ "$output" == *'x\x1b[31mred\x07\x0d\x0ay'* ]]
	run "$PODPATH" -j --lab "$bad" status
	jq -e '.error.message | contains("x\\x1b[31mred\\x07")' <<<"$output"
	# From a file: a topology whose node name holds ESC and BEL.
	printf '{"nodes": [{"name": "n\\u001b]0;owned\\u0007"}]}' >"$BATS_TEST_TMPDIR/t.json"
	run "$PODPATH" --lab $LAB setup -f "$BATS_TEST_TMPDIR/t.json"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" != *$'\e'* && "$output" != *$'\a'* ]]
	[[ "$output" == *'.nodes[0].name: "n'*']0;owned'*'": not a valid DNS-1123 label'* ]]
	# A file's name holding ESC, with the reason after it.
	run "$PODPATH" --lab $LAB setup -f "$BATS_TEST_TMPDIR/no"$'\e'"such"
	[ "$status" -eq 2 ]
	[[ "$output" != *$'\e'* ]]
	[[ "$output" == *'/no\x1bsuch: cannot read: No such file or directory' ]]
	# exec's own message about the command it could not run.
	fresh_lab
	run -127 pp exec default/client -- $'no\esuch'
	[[ "$output" != *$'\e'* ]]
	[[ "$output" == *'no\x1bsuch'* ]]
}

@test "trace --netns refuses the host's namespace (pid 1's), also when run inside another" {
	ip netns add $NS
	# From inside a plain namespace: pid 1 and this shell are in the host's.
	for target in 1 $$; do
		run ip netns exec $NS "$PODPATH" trace --netns $target 10.0.0.1
		echo "$target: $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"it is the host's own network namespace"* ]]
	done
	# The caller's own namespace is not the host's: it is traced.
	run ip netns exec $NS "$PODPATH" -j trace --netns $NS 10.0.0.1
	echo "$output"
	[ "$status" -eq 1 ]
	jq -e --arg ns $NS '.verdict.result == "no-route" and .src.name == "netns \($ns)"' <<<"$output"
	[ -z "$(ip -n $NS route show)" ]
	ip netns del $NS
}
