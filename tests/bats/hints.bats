#!/usr/bin/env bats
# Copy-paste works: every command podpath suggests (try:, undo:, error
# hints, explain's "see it yourself") names the binary as it was invoked, so
# that the line, pasted into the same shell, runs. Each test runs podpath
# from a path of its own (a copy outside the checkout, or found on PATH),
# takes the suggested command from the output and runs it with eval: its
# effect is then checked with the kernel's tools, not with podpath's word.

LAB=dns14h
load helpers

setup_file() {
	lab_cleanup "$LAB"
}

teardown_file() {
	lab_cleanup "$LAB"
}

# A copy of podpath (and its container program) in a directory of the test's own (not the checkout).
copy_bin() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cp "$PODPATH" "$PODPATH-responder" "$BATS_TEST_TMPDIR/bin/"
	BIN=$BATS_TEST_TMPDIR/bin/podpath
}

# The command after "PREFIX" on the line of output that starts with it.
hint() { # PREFIX
	local line
	line=$(grep -m1 -F -- "$1" <<<"$output") || return 1
	printf '%s\n' "${line#*"$1"}"
}

@test "an error's hint names the copy that printed it, and pasted, builds the lab it names" {
	copy_bin
	run "$BIN" --lab "$LAB" status
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"set it up with: $BIN --lab $LAB setup)"* ]]
	cmd=$(hint "set it up with: ")
	cmd=${cmd%)}
	[ "$cmd" = "$BIN --lab $LAB setup" ]
	run eval "$cmd"
	echo "$output"
	[ "$status" -eq 0 ]
	# The kernel has the lab now: its nodes' namespaces exist.
	ip netns list | awk '{print $1}' | grep -qx "${LAB}_node_node-1"
	# Its programs run from this test's copy: the later tests build their own.
	"$PODPATH" --lab "$LAB" teardown >/dev/null
	# A usage error's hint runs too: it is the command's help.
	run "$BIN" --lab "$LAB" trace --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"(see: $BIN trace --help)" ]]
	cmd=$(hint "(see: ")
	run eval "${cmd%)}"
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: podpath trace "* ]]
}

@test "break's try: and undo: lines start with the invoked path, and pasted, they run" {
	copy_bin
	[ -d "/run/podpath/$LAB" ] || "$PODPATH" --lab "$LAB" setup >/dev/null
	node=${LAB}_node_node-1
	run "$BIN" --lab "$LAB" break forwarding-off --on node/node-1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "^try:  $BIN --lab $LAB trace " <<<"$output"
	grep -qxF "undo: $BIN --lab $LAB break --undo" <<<"$output"
	try=$(hint "try:  ")
	undo=$(hint "undo: ")
	[ "$(ip netns exec "$node" sysctl -n net.ipv4.ip_forward)" = 0 ]
	# The suggested trace runs, and sees the fault: the probe is dropped.
	run eval "$try"
	echo "$output"
	[ "$status" -eq 1 ]
	run eval "$undo"
	echo "$output"
	[ "$status" -eq 0 ]
	# The kernel's own word: node-1 forwards again.
	[ "$(ip netns exec "$node" sysctl -n net.ipv4.ip_forward)" = 1 ]
	run eval "$try"
	[ "$status" -eq 0 ]
}

@test "explain's commands name the invoked path, and pasted, print what the pod sees" {
	copy_bin
	[ -d "/run/podpath/$LAB" ] || "$PODPATH" --lab "$LAB" setup >/dev/null
	run "$BIN" --lab "$LAB" explain dns
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "^  $BIN --lab $LAB exec default/client -- cat /etc/resolv.conf\$" <<<"$output"
	grep -q "^  $BIN --lab $LAB trace default/client " <<<"$output"
	cmd=$(grep -m1 -- "-- cat /etc/resolv.conf\$" <<<"$output")
	run eval "$cmd"
	echo "$output"
	[ "$status" -eq 0 ]
	# The same file the pod's resolver reads, seen from outside podpath.
	[ "$output" = "$(cat "/run/podpath/$LAB/resolv/default.conf")" ]
	[[ "$output" == *"search default.svc.cluster.local svc.cluster.local cluster.local"* ]]
}

@test "found on PATH, the hints say plain podpath, and pasted, run the same binary" {
	copy_bin
	[ -d "/run/podpath/$LAB" ] || "$PODPATH" --lab "$LAB" setup >/dev/null
	run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" podpath --lab "$LAB" break forwarding-off --on node/node-1
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qxF "undo: podpath --lab $LAB break --undo" <<<"$output"
	undo=$(hint "undo: ")
	PATH="$BATS_TEST_TMPDIR/bin:$PATH" run eval "$undo"
	[ "$status" -eq 0 ]
	[ "$(ip netns exec "${LAB}_node_node-1" sysctl -n net.ipv4.ip_forward)" = 1 ]
}

@test "a path a shell would split is never printed: the hint falls back to plain podpath" {
	mkdir -p "$BATS_TEST_TMPDIR/my bin"
	cp "$PODPATH" "$BATS_TEST_TMPDIR/my bin/podpath"
	run "$BATS_TEST_TMPDIR/my bin/podpath" --lab nosuch-dns14h status
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"set it up with: podpath --lab nosuch-dns14h setup)"* ]]
}

@test "the lab is gone after teardown" {
	run "$PODPATH" --lab "$LAB" teardown
	[ "$status" -eq 0 ]
	[ -z "$(lab_leftovers "$LAB")" ]
}
