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
	see "the lab: every box"
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
	# The quiz: each answer gets its feedback, then the next question,
	# then the score.
	tmux send-keys -t ppt-tui-tests z
	see "question 1 of [0-9]"
	n=$(screen | grep -o 'question 1 of [0-9]*' | awk '{print $4}')
	for q in $(seq "$n"); do
		see "question $q of $n"
		tmux send-keys -t ppt-tui-tests 1
		see "your answer, 1:"
		tmux send-keys -t ppt-tui-tests n
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

# The namespace a TUI place names: "pod NS/NAME", "node NAME", "VPC".
place_netns() {
	case $1 in
	"pod "*) local p=${1#pod }; echo "${LAB}_pod_${p/\//_}" ;;
	"node "*) echo "${LAB}_node_${1#node }" ;;
	VPC) echo "${LAB}_vpc" ;;
	*) echo "?" ;;
	esac
}

@test "explain --tui lab view: each node's eth0, pod CIDR, bridge and veths as ip shows them, each veth above its pod" {
	tui_start explain --tui
	see "layer by layer"
	tmux send-keys -t ppt-tui-tests t
	see "the lab: every box"
	sc=$(screen)
	echo "$sc"
	for node in $(node_netns $LAB); do
		eth=$(ip -n "$node" -o -4 addr show eth0 | awk '{print $4}')
		br=$(ip -n "$node" -o -4 addr show cbr0 | awk '{print $4}')
		cidr=$(ip -n "$node" route show dev cbr0 proto kernel | awk '{print $1}')
		echo "$node: eth0 $eth, cbr0 $br, pod CIDR $cidr"
		grep -q "eth0 $eth <-> " <<<"$sc"
		grep -q "bridge cbr0 $br" <<<"$sc"
		grep -q "pod CIDR $cidr" <<<"$sc"
		# every port of the bridge, and under it the pod at its other end
		for veth in $(ip -n "$node" -o link show master cbr0 type veth | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
			# the pod at its other end, as the kernel names it: its
			# eth0's peer index is this veth's
			pod=$(ip -n "$node" -o link show "$veth" | grep -o 'link-netns [^ ]*' | awk '{print $2}')
			idx=$(ip -n "$node" -o link show "$veth" | cut -d: -f1)
			[ "$(ip -n "$pod" -o link show eth0 | grep -o 'eth0@if[0-9]*' | sed 's/.*@if//')" = "$idx" ]
			[ -n "$pod" ]
			ip=$(pod_ip "$pod")
			row=$(grep -n -- "|- $veth <-> eth0" <<<"$sc" | cut -d: -f1)
			[ -n "$row" ]
			col=$(sed -n "${row}p" <<<"$sc" | awk -v v="|- $veth" '{print index($0, v)}')
			under=$(sed -n "$((row + 1))p" <<<"$sc" | awk -v c="$col" '{print substr($0, c, 36)}')
			echo "$veth ($pod $ip): under it: $under"
			[[ $under == *" $ip"* ]]
		done
	done
	tmux send-keys -t ppt-tui-tests x
	see "layer by layer"
	tui_quit
}

@test "explain --tui lab view: stepping a trace moves the packet's mark to each hop's place, an interface the kernel has there" {
	tui_start explain --tui
	see "layer by layer"
	# the fourth topic, pod-to-pod: its trace, then the lab view
	tmux send-keys -t ppt-tui-tests j j j
	see "Pods on one node"
	tmux send-keys -t ppt-tui-tests l
	see "hop 1 of"
	tmux send-keys -t ppt-tui-tests t
	see "the lab, hop 1 of"
	n=$(screen | grep -o 'the lab, hop 1 of [0-9]*' | awk '{print $6}')
	[ "$n" -ge 4 ]
	prev= prevat=
	for k in $(seq "$n"); do
		see "the lab, hop $k of $n:"
		sc=$(screen)
		hdr=$(sed -n 1p <<<"$sc")
		re="hop $k of $n: (.*), ([^ ,]+) \((in|out)\)"
		[[ $hdr =~ $re ]]
		place=${BASH_REMATCH[1]} ifname=${BASH_REMATCH[2]}
		ns=$(place_netns "$place")
		ip -n "$ns" link show "$ifname" >/dev/null
		mark=$(grep -n -- "<#$k " <<<"$sc")
		echo "hop $k: $place $ifname: $mark"
		[ "$(wc -l <<<"$mark")" -eq 1 ]
		case $place in
		"pod "*) p=${place#pod }; [[ $mark == *"${p#*/} "* ]] ;;
		"node "*) [[ $mark == *"$ifname"* ]] ;;
		VPC) [[ $mark == *router* ]] ;;
		esac
		# the mark moved with the hop (another row or column than the
		# last) unless the hop is at the same place and interface
		pos="${mark%%:*}:$(cut -d: -f2- <<<"$mark" | awk -v m="<#$k " '{print index($0, m)}')"
		if [ "$pos" = "$prev" ] && [ "$place $ifname" != "$prevat" ] && [[ $place != VPC ]]; then
			echo "the mark stayed at $pos"
			false
		fi
		prev=$pos prevat="$place $ifname"
		tmux send-keys -t ppt-tui-tests n
	done
	# Smaller than 80x24, one node per row: the view scrolls to keep the
	# packet (the last hop, back in the client) in sight.
	tmux resize-window -t ppt-tui-tests -x 60 -y 20
	see_lines 1 "the lab, hop $n of $n" 20 "q: quit" 0 "<#$n "
	screen | grep -q "(more: Pg"
	tui_quit
}

@test "explain --tui quiz: places and mechanisms, never a veth's name; questions in hop order; every answer, the last too, gets its reason" {
	# the generated names: the pods' veths on the nodes, the nodes' on the
	# VPC (eth0, which every pod and node has, is a place's name)
	veths=$(for ns in $(node_netns $LAB) ${LAB}_vpc; do ip -n "$ns" -o link show type veth; done |
		awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep -vx eth0)
	[ -n "$veths" ]
	tui_start explain --tui
	see "layer by layer"
	# pod-to-service: a DNAT on the way there, conntrack's undoing on the way back
	tmux send-keys -t ppt-tui-tests j j j j j
	see "kube-proxy has three modes"
	tmux send-keys -t ppt-tui-tests z
	see "question 1 of [0-9]"
	n=$(screen | grep -o 'question 1 of [0-9]*' | awk '{print $4}')
	[ "$n" -ge 4 ]
	last=0 all=
	for q in $(seq "$n"); do
		see "question $q of $n"
		see "3) "
		sc=$(screen)
		all+=$sc
		hop=$(grep -o 'Hop [0-9]* of' <<<"$sc" | awk '{print $2}')
		echo "question $q: hop $hop"
		[ "$hop" -ge "$last" ]
		last=$hop
		# the options: no interface name of the kernel's veths in them
		opts=$(sed -n '/^ *1) /,$p' <<<"$sc" | sed '$d')
		for v in $veths; do
			if grep -q -- "$v" <<<"$opts"; then
				echo "an option names $v: $opts"
				false
			fi
		done
		tmux send-keys -t ppt-tui-tests 1
		see "your answer, 1: "
		sc=$(screen)
		echo "$sc"
		# every option followed by its reason; the answer judged
		for o in 1 2 3; do
			grep -A1 -E "^ *(> )?$o\) " <<<"$sc" | sed -n 2p | grep -Eq '^ +(right: seen next|no: |not yet: )'
		done
		grep -Eq "your answer, 1: (right|wrong; the right one is [23])" <<<"$sc"
		if grep -q "your answer, 1: wrong" <<<"$sc"; then
			grep -A1 -E "^ *> 1\) " <<<"$sc" | sed -n 2p | grep -Eq '^ +(no: |not yet: )'
		fi
		tmux send-keys -t ppt-tui-tests n
	done
	see "score: [0-9]/$n"
	# the path's mechanisms were asked about
	grep -q "kube-proxy's DNAT in node-" <<<"$all"
	tui_quit
}
