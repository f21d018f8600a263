# bash completion for podpath

# The lab's internet hosts, as internet/NAME.
_podpath_hosts() {
	podpath -j status 2>/dev/null | grep -o '"hosts":\[.*' | grep -o '"name":"[^"]*","ip"' |
		sed 's/"name":"\([^"]*\)".*/internet\/\1/'
}

_podpath() {
	local cur prev words cword cmd i
	_init_completion || return
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--lab) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $prev == --lab ]]; then
			COMPREPLY=($(compgen -W "$(ls /run/podpath 2>/dev/null | sed 's/\.lock$//' | sort -u)" -- "$cur"))
			return
		fi
		COMPREPLY=($(compgen -W "setup teardown status exec trace explain help -j --json -p --pretty --lab -h --help -V --version" -- "$cur"))
		return
	fi
	case $cmd in
	setup)
		case $prev in
		-f | --file) _filedir json; return ;;
		--network) COMPREPLY=($(compgen -W "routed vxlan vpc" -- "$cur")); return ;;
		--proxy-mode) COMPREPLY=($(compgen -W "nftables iptables ipvs" -- "$cur")); return ;;
		--nodes | --pods-per-node | --services) return ;;
		esac
		COMPREPLY=($(compgen -W "-f --file --nodes --pods-per-node --services --network --proxy-mode --help" -- "$cur")) ;;
	teardown) COMPREPLY=($(compgen -W "--all --help" -- "$cur")) ;;
	status) COMPREPLY=($(compgen -W "--dot --help" -- "$cur")) ;;
	exec)
		local pods nodes hosts
		pods=$(podpath -j status 2>/dev/null | grep -o '"namespace":"[^"]*","name":"[^"]*"' |
			sed 's/"namespace":"\([^"]*\)","name":"\([^"]*\)"/\1\/\2/')
		nodes=$(podpath -j status 2>/dev/null | grep -o '"name":"[^"]*","ip"' | sed 's/"name":"\([^"]*\)".*/node\/\1/')
		hosts=$(_podpath_hosts)
		COMPREPLY=($(compgen -W "$pods $nodes $hosts -c --container --" -- "$cur")) ;;
	trace)
		case $prev in
		-p | --protocol) COMPREPLY=($(compgen -W "icmp udp tcp http https dns" -- "$cur")); return ;;
		--pcap) _filedir; return ;;
		--netns) COMPREPLY=($(compgen -W "$(ip netns list 2>/dev/null | awk '{print $1}')" -- "$cur")); return ;;
		--port | --timeout) return ;;
		esac
		local pods nodes
		pods=$(podpath -j status 2>/dev/null | grep -o '"namespace":"[^"]*","name":"[^"]*"' |
			sed 's/"namespace":"\([^"]*\)","name":"\([^"]*\)"/\1\/\2/')
		nodes=$(podpath -j status 2>/dev/null | grep -o '"name":"[^"]*","ip"' | sed 's/"name":"\([^"]*\)".*/node\/\1/')
		COMPREPLY=($(compgen -W "$pods $nodes $(_podpath_hosts) -p --protocol --port --timeout --pcap --tui --netns --help" -- "$cur")) ;;
	explain) COMPREPLY=($(compgen -W "model basics container-to-container pod-to-pod cross-node pod-to-service dns egress ingress summary --list --live --help" -- "$cur")) ;;
	help) COMPREPLY=($(compgen -W "setup teardown status exec trace explain help" -- "$cur")) ;;
	esac
}
complete -F _podpath podpath
