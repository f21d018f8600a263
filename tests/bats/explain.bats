#!/usr/bin/env bats
# explain: every topic renders without a lab and with one; the "see it
# yourself" commands a topic prints run successfully against the lab (this
# test runs them); --live runs the topic's trace and each hop gets a sentence.

bats_require_minimum_version 1.5.0

LAB=pp-bats-explain
load helpers

TOPICS="model basics container-to-container pod-to-pod cross-node pod-to-service dns egress ingress network-policy summary"

setup_file() {
	lab_cleanup
	lab_cleanup pp-bats-explain-none
	pp setup >/dev/null
}

teardown_file() {
	lab_cleanup
	lab_cleanup $LAB-vxlan
	lab_cleanup $LAB-vpc
}

@test "--list shows the fixed topic names, in order" {
	run "$PODPATH" explain --list
	[ "$status" -eq 0 ]
	[ "$(awk '{print $1}' <<<"$output" | tr '\n' ' ')" = "$TOPICS " ]
	run "$PODPATH" -j explain --list
	[ "$(jq -r '[.topics[].name] | join(" ")' <<<"$output")" = "$TOPICS" ]
}

@test "every topic renders without a lab: the concept, and a note where the lab would be" {
	for t in $TOPICS; do
		run "$PODPATH" --lab pp-bats-explain-none explain "$t"
		[ "$status" -eq 0 ]
		[[ "$output" == *"(podpath explain $t)"* ]]
		[[ "$output" == *"(no lab:"* ]]
		[ "$(wc -l <<<"$output")" -gt 4 ]
	done
	# No topic: the one-page map and the list.
	run "$PODPATH" --lab pp-bats-explain-none explain
	[[ "$output" == *"All layers"*"Topics (podpath explain TOPIC):"*"pod-to-service"* ]]
}

@test "the facts are dated" {
	run "$PODPATH" --lab pp-bats-explain-none explain pod-to-service
	[[ "$output" == *"iptables is still the default"* ]]
	[[ "$output" == *"GA since Kubernetes 1.33"*"kernel 5.13"* ]]
	[[ "$output" == *"deprecated since Kubernetes 1.35"* ]]
	# This kernel has no IP_VS: the lab says it cannot show IPVS.
	if [ ! -d /sys/module/ip_vs ]; then
		run pp explain pod-to-service
		[[ "$output" == *"this kernel has no IP_VS"* ]]
	fi
}

@test "with the lab, every topic names its objects, and every command it prints works" {
	PATH="$BATS_TEST_DIRNAME/../..:$PATH"
	for t in $TOPICS; do
		doc=$(pp -j explain "$t")
		jq -e --arg lab "$LAB" '.lab == $lab and (.in_this_lab | length) > 0' <<<"$doc"
		while IFS= read -r c; do
			[ -n "$c" ] || continue
			echo "$t: $c"
			bash -c "$c" >/dev/null
		done < <(jq -r '.commands[].command' <<<"$doc")
	done
}

@test "in vxlan and vpc labs with the iptables proxy too, every command a topic prints works" {
	PATH="$BATS_TEST_DIRNAME/../..:$PATH"
	for m in vxlan vpc; do
		lab=$LAB-$m
		"$PODPATH" --lab $lab setup --network $m --proxy-mode iptables >/dev/null
		for t in $TOPICS; do
			while IFS= read -r c; do
				[ -n "$c" ] || continue
				echo "$m $t: $c"
				bash -c "$c" >/dev/null
			done < <("$PODPATH" --lab $lab -j explain "$t" | jq -r '.commands[].command')
		done
		"$PODPATH" --lab $lab teardown >/dev/null
	done
}

@test "the lab's objects come from the kernel: the route and the Service's chain as ip and nft show them" {
	run pp explain cross-node
	want=$(ip -n "${LAB}_node_node-1" route get 10.244.2.2 | head -1 | awk '{print $3}')
	[[ "$output" == *"10.244.2.0/24 via $want dev eth0"* ]]
	run pp explain pod-to-service
	chain=$(grep -o "chain service-[^ ,]*" <<<"$output" | head -1 | cut -d' ' -f2)
	# Rule lines are indented twice; the chain's own line once.
	rules=$(ip netns exec "${LAB}_node_node-1" nft -a list chain ip kube-proxy "$chain" | grep -c $'^\t\t.*# handle')
	[[ "$output" == *"kernel holds it now: table ip kube-proxy, chain $chain, $rules rules"* ]]
	# Take a rule away: explain reads the kernel again and says so.
	h=$(ip netns exec "${LAB}_node_node-1" nft -a list chain ip kube-proxy "$chain" | grep $'^\t\t' |
		grep -o '# handle [0-9]*' | head -1 | awk '{print $3}')
	ip netns exec "${LAB}_node_node-1" nft delete rule ip kube-proxy "$chain" handle "$h"
	run pp explain pod-to-service
	[[ "$output" == *"chain $chain, $((rules - 1)) rules"* ]]
}

# The namespace of a place as trace names it ("pod default/web-1", "node
# node-2", "VPC", "internet host laptop", ...).
place_netns() { # PLACE
	local p
	case $1 in
	"pod "*) p=${1#pod }; echo "${LAB}_pod_${p/\//_}" ;;
	"node "*) echo "${LAB}_node_${1#node }" ;;
	VPC) echo "${LAB}_vpc" ;;
	gateway) echo "${LAB}_gateway" ;;
	"load balancer") echo "${LAB}_lb" ;;
	internet) echo "${LAB}_internet" ;;
	"internet host "*) echo "${LAB}_inet_${1#internet host }" ;;
	*) echo "no namespace known for place \"$1\"" >&2; return 1 ;;
	esac
}

@test "--live: each topic's trace is delivered, every hop's sentence names an interface the kernel has there" {
	for t in model container-to-container pod-to-pod cross-node pod-to-service dns egress ingress; do
		run pp -j explain "$t" --live
		echo "$t: $output" | head -c 400
		[ "$status" -eq 0 ]
		jq -e '.live.verdict.result == "delivered" and (.live.hops | length) > 1' <<<"$output"
		# "PLACE (ROLE) sends the packet out of IFACE: ..." or "... receives
		# the answer on IFACE; ...": the packet going, the answer coming back,
		# at an interface that ip finds in that place's namespace.
		while IFS=$'\t' read -r dir sentence; do
			echo "  $dir: $sentence"
			[[ "$sentence" =~ ^(.+)\ \([^\)]*\)\ (sends|receives)\ the\ (packet|answer)\ (out\ of|on)\ ([^:\;\ ]+) ]]
			place=${BASH_REMATCH[1]} what=${BASH_REMATCH[3]} ifc=${BASH_REMATCH[5]}
			if [ "$dir" = request ]; then [ "$what" = packet ]; else [ "$what" = answer ]; fi
			ns=$(place_netns "$place")
			ip -n "$ns" link show "$ifc" >/dev/null
		done < <(jq -r '.live.hops[] | "\(.direction)\t\(.sentence)"' <<<"$output")
	done
	run pp explain pod-to-service --live
	[[ "$output" == *"kube-proxy's DNAT sends it to one of the Service's endpoints"* ]]
}

@test "bad explain arguments exit 2" {
	run "$PODPATH" explain no-such-topic
	[ "$status" -eq 2 ]
	[[ "$output" == *'unknown topic "no-such-topic"'* ]]
	run pp explain basics --live
	[ "$status" -eq 2 ]
	[[ "$output" == *'has no trace to run live; these have: model, '* ]]
	# Refused before the topic is printed: JSON gets one document, the error.
	run --separate-stderr pp -j explain summary --live
	[ "$status" -eq 2 ]
	[ "$(jq -s length <<<"$output")" -eq 1 ]
	jq -e '.error.exit == 2' <<<"$output"
	run "$PODPATH" explain --bogus
	[ "$status" -eq 2 ]
}
