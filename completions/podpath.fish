# fish completion for podpath: commands, options, explain topics, and the
# live lab's pods, nodes, internet hosts and Services (from `podpath -j status`).

# The --lab LAB already on the command line, to ask that lab.
function __podpath_lab
	set -l toks (commandline -opc 2>/dev/null)
	set -l i (contains -i -- --lab $toks); or return
	test (count $toks) -gt $i; and printf "%s\n" --lab $toks[(math $i + 1)]
end

function __podpath_objects
	set -l json (podpath (__podpath_lab) -j status 2>/dev/null); or return
	# Pods have a node after their name; nodes and hosts are told by their netns.
	string match -rag '"namespace":"([^"]*)","name":"([^"]*)","node":"' -- $json | paste -d/ - -
	string match -rag '"name":"([^"]*)","ip":"[^"]*","netns":"[^"]*_node_' -- $json | sed 's/^/node\//'
	string match -rag '"name":"([^"]*)","ip":"[^"]*","netns":"[^"]*_inet_' -- $json | sed 's/^/internet\//'
end

# True once trace has its SRC: the next word is the destination.
function __podpath_trace_has_src
	set -l toks (commandline -opc)
	set -l i (contains -i -- trace $toks); or return 1
	set -l n 0
	set -l skip 0
	for t in $toks[(math $i + 1)..-1]
		if test $skip = 1
			set skip 0
		else if contains -- $t -p --protocol --port --timeout --size --pcap --netns
			set skip 1
		else if not string match -q -- '-*' $t
			set n (math $n + 1)
		end
	end
	test $n -ge 1
end

# Services, as trace destinations: a Service has a type after its name.
function __podpath_services
	set -l json (podpath (__podpath_lab) -j status 2>/dev/null); or return
	string match -rag '"namespace":"([^"]*)","name":"([^"]*)","type":"' -- $json | paste -d/ - - | sed 's/^/svc\//'
end

set -l cmds setup teardown status check break exec trace explain help
complete -c podpath -f
complete -c podpath -n "not __fish_seen_subcommand_from $cmds" -a "$cmds"
complete -c podpath -n "not __fish_seen_subcommand_from $cmds" -s j -l json -d 'one JSON document'
complete -c podpath -n "not __fish_seen_subcommand_from $cmds" -s p -l pretty -d 'indent JSON'
complete -c podpath -n "not __fish_seen_subcommand_from $cmds" -l lab -x -a '(ls /run/podpath 2>/dev/null | string replace .lock "" | sort -u)'
complete -c podpath -n "not __fish_seen_subcommand_from $cmds" -s h -l help
complete -c podpath -n "not __fish_seen_subcommand_from $cmds" -s V -l version

complete -c podpath -n '__fish_seen_subcommand_from setup' -s f -l file -r -F -d 'topology JSON'
complete -c podpath -n '__fish_seen_subcommand_from setup' -l nodes -x
complete -c podpath -n '__fish_seen_subcommand_from setup' -l pods-per-node -x
complete -c podpath -n '__fish_seen_subcommand_from setup' -l services -x
complete -c podpath -n '__fish_seen_subcommand_from setup' -l network -x -a 'routed vxlan vpc bgp'
complete -c podpath -n '__fish_seen_subcommand_from setup' -l proxy-mode -x -a 'nftables iptables'
complete -c podpath -n '__fish_seen_subcommand_from teardown' -l all
complete -c podpath -n '__fish_seen_subcommand_from status' -l dot
set -l faults forwarding-off blackhole-route prohibit-route unreachable-route missing-pod-cidr-route rp-filter-strict wrong-neighbour veth-down veth-detached no-listener pod-firewall node-nft-drop iptables-legacy-drop mtu-mismatch service-no-endpoints stale-endpoint kube-proxy-element-missing dns-down masquerade-missing gateway-nat-missing hairpin-off conntrack-full policy-denies bgp-peer-down bgp-wrong-peer bgp-announcement-filtered
complete -c podpath -n '__fish_seen_subcommand_from break' -l list -d 'the catalogue'
complete -c podpath -n '__fish_seen_subcommand_from break' -l random -d 'a fault, unnamed'
complete -c podpath -n '__fish_seen_subcommand_from break' -l reveal -d 'name the fault present'
complete -c podpath -n '__fish_seen_subcommand_from break' -l undo -d 'restore what it changed'
complete -c podpath -n '__fish_seen_subcommand_from break' -l on -x -a '(__podpath_objects | string match -v "internet/*"; __podpath_services; echo vpc)'
complete -c podpath -n '__fish_seen_subcommand_from break' -a "$faults"
complete -c podpath -n '__fish_seen_subcommand_from exec' -s c -l container -x
complete -c podpath -n '__fish_seen_subcommand_from exec' -a '(__podpath_objects)'
complete -c podpath -n '__fish_seen_subcommand_from trace' -s p -l protocol -x -a 'icmp udp tcp http https dns'
complete -c podpath -n '__fish_seen_subcommand_from trace' -l port -x
complete -c podpath -n '__fish_seen_subcommand_from trace' -l timeout -x
complete -c podpath -n '__fish_seen_subcommand_from trace' -l size -x
complete -c podpath -n '__fish_seen_subcommand_from trace' -l no-kernel-drops
complete -c podpath -n '__fish_seen_subcommand_from trace' -l pcap -r -F
complete -c podpath -n '__fish_seen_subcommand_from trace' -l dot
complete -c podpath -n '__fish_seen_subcommand_from trace' -l tui
complete -c podpath -n '__fish_seen_subcommand_from trace' -l arp -d 'flush neighbour entries first'
complete -c podpath -n '__fish_seen_subcommand_from trace' -s v -l verbose -d 'MACs, every nftables event'
complete -c podpath -n '__fish_seen_subcommand_from trace' -l netns -x -a '(ip netns list 2>/dev/null | string split -f1 " ")'
complete -c podpath -n '__fish_seen_subcommand_from trace' -a '(__podpath_objects)'
complete -c podpath -n '__fish_seen_subcommand_from trace; and __podpath_trace_has_src' -a '(__podpath_services)'
complete -c podpath -n '__fish_seen_subcommand_from explain' -l list
complete -c podpath -n '__fish_seen_subcommand_from explain' -l live
complete -c podpath -n '__fish_seen_subcommand_from explain' -l tui
complete -c podpath -n '__fish_seen_subcommand_from explain' -a 'model basics container-to-container pod-to-pod cross-node pod-to-service dns egress ingress network-policy summary'
complete -c podpath -n '__fish_seen_subcommand_from help' -a "$cmds"
for c in $cmds
	complete -c podpath -n "__fish_seen_subcommand_from $c" -l help
end
