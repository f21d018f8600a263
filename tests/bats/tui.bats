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

screen() { tmux capture-pane -p -t ppt-tui-tests; }
# Wait (up to 5 s) until the screen shows TEXT.
wait_for() { for i in $(seq 50); do screen | grep -q "$1" && break; sleep 0.1; done; }
# The screen shows TEXT, within 5 s (a loaded machine redraws late).
see() { wait_for "$1"; screen | grep -q "$1"; }
# Run podpath ARGS in an 80x24 tmux window; afterwards the window says how it
# exited and whether the terminal came back in canonical mode with echo.
tui_start() {
	tmux kill-session -t ppt-tui-tests 2>/dev/null || true
	tmux new-session -d -s ppt-tui-tests -x 80 -y 24 \
		"'$PODPATH' --lab $LAB $*; echo EXITED rc=\$?; stty -a | grep -q ' icanon' && stty -a | grep -q ' echo ' && echo TTY-RESTORED; sleep 60"
}
# Quit with q: podpath exits 0 and the terminal is restored.
tui_quit() {
	tmux send-keys -t ppt-tui-tests q
	wait_for EXITED
	screen
	screen | grep -q "EXITED rc=0"
	screen | grep -q "TTY-RESTORED"
	! screen | grep -q "q: quit"	# the TUI's screen is gone
	tmux kill-session -t ppt-tui-tests
}

@test "trace --tui: step through hops, resize, quit, terminal restored" {
	tui_start trace default/client default/web-2 --tui
	wait_for "hop 1 of"
	screen | grep -q "verdict: delivered"
	screen | grep -q "hop 1 of 20, request"
	tmux send-keys -t ppt-tui-tests j j j
	see "hop 4 of 20"
	screen | grep -q "TTL 64 -> 63"
	screen | grep -q "route 10.244.2.0/24 via 172.18.0.3"
	tmux resize-window -t ppt-tui-tests -x 120 -y 40
	sleep 0.3
	tmux send-keys -t ppt-tui-tests G
	see "hop 20 of 20, answer"
	tmux resize-window -t ppt-tui-tests -x 80 -y 24
	see "hop 20 of 20"
	tui_quit
}

@test "trace --tui through the ingress: c switches to nginx's own connection to the backend" {
	tui_start trace internet/laptop https://web.example.test/ --tui
	wait_for "hop 1 of"
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
	wait_for "layer by layer"
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
	wait_for "hop 1 of"
	screen | grep -q "the packet here"
	# Step to kube-proxy's DNAT: the rule behind it is named.
	for i in $(seq 12); do
		screen | grep -q "rule: kube-proxy chain service-" && break
		tmux send-keys -t ppt-tui-tests n
		sleep 0.2
	done
	screen | grep -q "rule: kube-proxy chain service-"
	tmux send-keys -t ppt-tui-tests z
	see "question 1 of"
	for i in $(seq 8); do tmux send-keys -t ppt-tui-tests 1; sleep 0.1; done
	see "score: [0-9]/[0-9]"
	tmux resize-window -t ppt-tui-tests -x 100 -y 30
	see "score: [0-9]/[0-9]"
	tui_quit
}

@test "explain --tui: the ingress topic's trace steps through nginx's own connection too (c)" {
	tui_start explain --tui
	wait_for "layer by layer"
	# the ninth topic is ingress
	tmux send-keys -t ppt-tui-tests j j j j j j j j
	sleep 0.3
	tmux send-keys -t ppt-tui-tests l
	wait_for "hop 1 of"
	screen
	screen | grep -q "ingress: trace internet/laptop -> web.example.test, hop 1 of"
	tmux send-keys -t ppt-tui-tests c
	see "ingress: trace ingress-nginx/controller -> 10.96.0.1:80, hop 1 of"
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
