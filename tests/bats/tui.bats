#!/usr/bin/env bats
# The trace TUI driven in tmux: step through hops, resize, quit; the
# terminal comes back as it was.

LAB=ppt-tui

setup_file() {
	load helpers
	lab_cleanup
	"$PODPATH" --lab $LAB setup >/dev/null
}

teardown_file() {
	load helpers
	tmux kill-session -t ppt-tui-tests 2>/dev/null || true
	lab_cleanup
}

setup() { load helpers; }

# A test that fails in the middle of a find-the-fault round leaves no fault
# (nor TUI) to the next.
teardown() {
	tmux kill-session -t ppt-tui-tests 2>/dev/null || true
	"$PODPATH" --lab $LAB break --undo >/dev/null 2>&1 || true
}

screen() { tmux capture-pane -p -t ppt-tui-tests; }
# Wait until the screen shows TEXT (a grep pattern) somewhere: the TUI
# redraws when it has read a key, so this is how a test knows a keystroke
# took effect. The bound (60 s) is for a hang, not a pace; on failure the
# screen is printed.
see() { see_lines 0 "$1"; }
# Wait until line ROW of the screen shows TEXT, for every ROW TEXT pair at
# once (ROW 0: any line). After a resize, the key line on the new last line
# and the hop on its line prove the TUI redrew: tmux alone, shrinking or
# growing the window, puts neither there.
see_lines() { # ROW TEXT [ROW TEXT...]
	local i
	for i in $(seq 600); do
		screen_has "$(screen)" "$@" && return 0
		sleep 0.1
	done
	echo "never on the screen: $*"
	screen
	return 1
}
screen_has() { # SCREEN ROW TEXT [ROW TEXT...]
	local all=$1
	shift
	while [ $# -ge 2 ]; do
		if [ "$1" -eq 0 ]; then
			grep -q -- "$2" <<<"$all" || return 1
		else
			sed -n "${1}p" <<<"$all" | grep -q -- "$2" || return 1
		fi
		shift 2
	done
}
# The hop the TUI shows now ("hop K of N": K).
hop_now() { screen | grep -o 'hop [0-9]* of' | head -1 | awk '{print $2}'; }
# Run podpath ARGS in an 80x24 tmux window; afterwards the window says how it
# exited and whether the terminal came back in canonical mode with echo, and
# stays open (for capture-pane) until the session is killed.
tui_start() {
	tmux kill-session -t ppt-tui-tests 2>/dev/null || true
	tmux new-session -d -s ppt-tui-tests -x 80 -y 24 \
		"'$PODPATH' --lab $LAB $*; echo EXITED rc=\$?; stty -a | grep -q ' icanon' && stty -a | grep -q ' echo ' && echo TTY-RESTORED; exec sleep infinity"
}
# Quit with q: podpath exits 0 and the terminal is restored.
tui_quit() {
	tmux send-keys -t ppt-tui-tests q
	see EXITED
	screen
	screen | grep -q "EXITED rc=0"
	screen | grep -q "TTY-RESTORED"
	[[ "$(screen)" != *"q: quit"* ]]	# the TUI's screen is gone
	tmux kill-session -t ppt-tui-tests
}

@test "trace --tui: step through hops, resize, quit, terminal restored" {
	tui_start trace default/client default/web-2 --tui
	see "hop 1 of"
	screen | grep -q "verdict: delivered"
	screen | grep -q "hop 1 of 20, request"
	tmux send-keys -t ppt-tui-tests j j j
	see "hop 4 of 20"
	screen | grep -q "TTL 64 -> 63"
	screen | grep -q "route 10.244.2.0/24 via 172.18.0.3"
	# Resized, the TUI redraws to the new size: its key line moves to the
	# last line, and the hop's detail gets the width (one line, not two).
	tmux resize-window -t ppt-tui-tests -x 120 -y 40
	see_lines 4 "hop 4 of 20" 40 "q: quit"
	screen | grep -q "route 10.244.2.0/24 via 172.18.0.3 dev eth0"
	tmux send-keys -t ppt-tui-tests G
	see "hop 20 of 20, answer"
	tmux resize-window -t ppt-tui-tests -x 80 -y 24
	see_lines 4 "hop 20 of 20" 24 "q: quit"
	tui_quit
}

@test "trace --tui through the ingress: c switches to nginx's own connection to the backend" {
	tui_start trace internet/laptop https://web.example.test/ --tui
	see "hop 1 of"
	screen
	screen | grep -q "connection 1 of 2 (client to nginx)"
	screen | grep -q "internet host laptop"
	tmux send-keys -t ppt-tui-tests c
	see "connection 2 of 2 (nginx to backend)"
	screen
	screen | grep -q "pod ingress-nginx/controller, eth0"
	# the backend the responder named is among the second connection's hops
	backend=$(screen | grep -o 'pod=default/web-[12]' | head -1 | cut -d= -f2)
	[ -n "$backend" ]
	screen | grep -q "> pod $backend  *eth0  *in"
	tmux send-keys -t ppt-tui-tests G
	see "answer"
	tmux send-keys -t ppt-tui-tests c
	see "connection 1 of 2"
	tui_quit
}

@test "trace --tui without a terminal exits 2" {
	run "$PODPATH" --lab $LAB trace default/client default/web-2 --tui </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"--tui needs a terminal"* ]]
}

@test "explain --tui: topics, the lab as boxes, a trace stepped, a quiz scored, resize, quit" {
	tui_start explain --tui
	see "layer by layer"
	screen | grep -q "Kubernetes asks three things"
	tmux send-keys -t ppt-tui-tests j j j j j
	see "kube-proxy has three modes"
	# the topic runs past 80x24: PgDn scrolls to its lab lines, PgUp back
	screen | grep -q "(more: PgDn)"
	tmux send-keys -t ppt-tui-tests NPage
	see "In this lab"
	screen | grep -q "(more: PgUp)"
	tmux send-keys -t ppt-tui-tests PPage
	see "kube-proxy has three modes"
	tmux send-keys -t ppt-tui-tests t
	see "the lab as boxes"
	screen | grep -q "node-1 172.18.0.2"
	screen | grep -q "default/web-2 10.244.2.2"
	tmux send-keys -t ppt-tui-tests x l
	see "hop 1 of"
	screen | grep -q "the packet here"
	# Step to kube-proxy's DNAT, one hop per key, each step seen on the
	# screen before the next key: the rule behind the DNAT is named.
	for i in $(seq 12); do
		screen | grep -q "rule: kube-proxy chain service-" && break
		k=$(hop_now)
		tmux send-keys -t ppt-tui-tests n
		see "hop $((k + 1)) of"
	done
	screen | grep -q "rule: kube-proxy chain service-"
	# The quiz: each answer brings the next question, then the score.
	tmux send-keys -t ppt-tui-tests z
	see "question 1 of [0-9]"
	n=$(screen | grep -o 'question 1 of [0-9]*' | awk '{print $4}')
	for q in $(seq "$n"); do
		see "question $q of $n"
		tmux send-keys -t ppt-tui-tests 1
	done
	see "score: [0-9]/$n"
	tmux resize-window -t ppt-tui-tests -x 100 -y 30
	see_lines 0 "score: [0-9]/$n" 30 "b: back  q: quit"
	tui_quit
}

@test "explain --tui: the ingress topic's trace steps through nginx's own connection too (c)" {
	tui_start explain --tui
	see "layer by layer"
	# the ninth topic is ingress: its title shows when it is chosen
	tmux send-keys -t ppt-tui-tests j j j j j j j j
	see "From the internet"
	tmux send-keys -t ppt-tui-tests l
	see "hop 1 of"
	screen
	screen | grep -q "ingress: trace internet/laptop -> web.example.test, hop 1 of"
	tmux send-keys -t ppt-tui-tests c
	# connection 2 goes straight to an endpoint pod of default/web (ingress-nginx's way)
	see "ingress: trace ingress-nginx/controller -> default/web-"
	screen
	screen | grep -q "pod ingress-nginx/controller, eth0 (leaving)"
	tmux send-keys -t ppt-tui-tests c
	see "ingress: trace internet/laptop"
	tui_quit
}

@test "explain --tui without a terminal, or with a topic, exits 2" {
	run "$PODPATH" --lab $LAB explain --tui </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"--tui needs a terminal"* ]]
	run "$PODPATH" --lab $LAB explain dns --tui
	[ "$status" -eq 2 ]
}

@test "explain --tui: find the fault: a hidden fault in the lab, its trace, four choices, the answer revealed, undone on the way out" {
	"$PODPATH" --lab $LAB check >/dev/null
	tui_start explain --tui
	see "layer by layer"
	tmux send-keys -t ppt-tui-tests f
	see "Which fault is it?"
	# The fault is really in the lab, hidden: status says one is present,
	# and check names a difference (conntrack-full aside, which check
	# cannot see: it then still finds the lab as planned).
	run "$PODPATH" --lab $LAB -j status
	[ "$(jq -r '.fault.hidden' <<<"$output")" = true ]
	fault=$(jq -r '.fault' /run/podpath/$LAB/break.json 2>/dev/null || true)
	[ -n "$fault" ]
	screen | grep -q "^ *4) "
	tmux send-keys -t ppt-tui-tests 1
	# The answer wraps at the pane's width: a long target goes to the next
	# line, after "on".
	see "it was $fault"
	screen | grep -Eq "^ *(right|wrong): it was $fault( on|$)"
	tmux send-keys -t ppt-tui-tests b
	see "layer by layer"
	# Undone exactly: no fault, and the lab checks clean again.
	run "$PODPATH" --lab $LAB -j status
	[ "$(jq -r '.fault' <<<"$output")" = null ]
	run "$PODPATH" --lab $LAB check
	[ "$status" -eq 0 ]
	tui_quit
}

@test "explain --tui: quitting in the middle of a round undoes its fault" {
	tui_start explain --tui
	see "layer by layer"
	tmux send-keys -t ppt-tui-tests f
	see "Which fault is it?"
	[ -e /run/podpath/$LAB/break.json ]
	tui_quit
	[ ! -e /run/podpath/$LAB/break.json ]
	run "$PODPATH" --lab $LAB check
	[ "$status" -eq 0 ]
}
