# bash completion for podpath

# The live lab's objects: pods (they have a node after their name), nodes and
# internet hosts (told by their netns).
_podpath_objects() {
	local json
	json=$(podpath "$@" -j status 2>/dev/null) || return
	grep -o '"namespace":"[^"]*","name":"[^"]*","node":"' <<<"$json" |
		sed 's/"namespace":"\([^"]*\)","name":"\([^"]*\)".*/\1\/\2/'
	grep -o '"name":"[^"]*","ip":"[^"]*","netns":"[^"]*_node_' <<<"$json" |
		sed 's/"name":"\([^"]*\)".*/node\/\1/'
	grep -o '"name":"[^"]*","ip":"[^"]*","netns":"[^"]*_inet_' <<<"$json" |
		sed 's/"name":"\([^"]*\)".*/internet\/\1/'
}

# Services, as trace destinations: a Service has a type after its name.
_podpath_services() {
	podpath "$@" -j status 2>/dev/null |
		grep -o '"namespace":"[^"]*","name":"[^"]*","type":"' |
		sed 's/"namespace":"\([^"]*\)","name":"\([^"]*\)".*/svc\/\1\/\2/'
}

# podpath break's catalogue (podpath break --list).
_podpath_faults="forwarding-off blackhole-route prohibit-route unreachable-route missing-pod-cidr-route rp-filter-strict wrong-neighbour veth-down veth-detached no-listener pod-firewall node-nft-drop iptables-legacy-drop mtu-mismatch service-no-endpoints stale-endpoint kube-proxy-element-missing dns-down masquerade-missing gateway-nat-missing hairpin-off conntrack-full policy-denies bgp-peer-down bgp-wrong-peer bgp-announcement-filtered"

_podpath() {
	local cur prev words cword cmd i labopt
	_init_completion || return
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--lab) labopt="--lab ${words[i + 1]}"; ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $prev == --lab ]]; then
			COMPREPLY=($(compgen -W "$(ls /run/podpath 2>/dev/null | sed 's/\.lock$//' | sort -u)" -- "$cur"))
			return
		fi
		COMPREPLY=($(compgen -W "setup teardown status check break exec trace explain help -j --json -p --pretty --lab -h --help -V --version" -- "$cur"))
		return
	fi
	case $cmd in
	setup)
		case $prev in
		-f | --file) _filedir json; return ;;
		--network) COMPREPLY=($(compgen -W "routed vxlan vpc bgp" -- "$cur")); return ;;
		--proxy-mode) COMPREPLY=($(compgen -W "nftables iptables" -- "$cur")); return ;;
		--nodes | --pods-per-node | --services) return ;;
		esac
		COMPREPLY=($(compgen -W "-f --file --nodes --pods-per-node --services --network --proxy-mode --help" -- "$cur")) ;;
	teardown) COMPREPLY=($(compgen -W "--all --help" -- "$cur")) ;;
	status) COMPREPLY=($(compgen -W "--dot --help" -- "$cur")) ;;
	check) COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
	break)
		if [[ $prev == --on ]]; then
			COMPREPLY=($(compgen -W "$(_podpath_objects $labopt | grep -v '^internet/') $(_podpath_services $labopt) vpc" -- "$cur"))
			return
		fi
		COMPREPLY=($(compgen -W "$_podpath_faults --list --on --random --reveal --undo --help" -- "$cur")) ;;
	exec)
		COMPREPLY=($(compgen -W "$(_podpath_objects $labopt) -c --container --" -- "$cur")) ;;
	trace)
		case $prev in
		-p | --protocol) COMPREPLY=($(compgen -W "icmp udp tcp http https dns" -- "$cur")); return ;;
		--pcap) _filedir; return ;;
		--netns) COMPREPLY=($(compgen -W "$(ip netns list 2>/dev/null | awk '{print $1}')" -- "$cur")); return ;;
		--port | --timeout | --size) return ;;
		esac
		# A Service is a destination only: offered once SRC is given.
		local j npos=0 svcs=
		for ((j = i + 1; j < cword; j++)); do
			case ${words[j]} in
			-p | --protocol | --port | --timeout | --size | --pcap | --netns) ((j++)) ;;
			-*) ;;
			*) ((npos++)) ;;
			esac
		done
		((npos >= 1)) && svcs=$(_podpath_services $labopt)
		COMPREPLY=($(compgen -W "$(_podpath_objects $labopt) $svcs -p --protocol --port --timeout --size --no-kernel-drops --pcap --dot --tui --arp -v --verbose --netns --help" -- "$cur")) ;;
	explain) COMPREPLY=($(compgen -W "model basics container-to-container pod-to-pod cross-node pod-to-service dns egress ingress network-policy summary --list --live --tui --help" -- "$cur")) ;;
	help) COMPREPLY=($(compgen -W "setup teardown status check break exec trace explain help" -- "$cur")) ;;
	esac
}
complete -F _podpath podpath
