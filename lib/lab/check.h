/* check — the kernel's state in a lab's namespaces against the lab's plan
 * (what setup built): namespaces, links (up, bridge, MTU, MAC, hairpin),
 * addresses, routes, policy rules, permanent neighbours, proxy-ARP and FDB
 * entries, sysctls, nftables tables, chains, rules and set elements,
 * iptables-legacy rules (the lab makes none), container processes and
 * their listening ports. Each difference is a finding: structured, with
 * the kernel's own command that shows it (lab_check_command); the words
 * are the renderer's (lib/out/check.h).
 *
 * Dynamic state is not a difference: learned neighbours and FDB entries,
 * conntrack entries, elements of sets with timeouts (sessionAffinity).
 *
 * status runs the cheap part (lab_check_netns, _procs, _tables: a stat per
 * namespace, a kill(0) per process, a request per table); `check` and a
 * failed trace run lab_check_run: one dump per kind of object per
 * namespace, namespaces in parallel. */
#ifndef PODPATH_LAB_CHECK_H
#define PODPATH_LAB_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "lab/lab.h"

enum lab_check_kind {
	/* status's part too */
	LAB_CK_NETNS_MISSING,		/* a namespace is not pinned under /run/netns */
	LAB_CK_PROCESS_DOWN,		/* a container's or internet host's process is gone */
	LAB_CK_PROCESS_UNPINNED,	/* it runs, in a namespace no longer pinned */
	LAB_CK_NFT_TABLE_MISSING,
	/* check's */
	LAB_CK_LISTENER_MISSING,	/* nothing listens on a port the topology gives a container */
	LAB_CK_LINK_MISSING,
	LAB_CK_LINK_EXTRA,
	LAB_CK_LINK_KIND,
	LAB_CK_LINK_DOWN,
	LAB_CK_LINK_MTU,
	LAB_CK_LINK_MAC,
	LAB_CK_LINK_MASTER,		/* not on its bridge, or on another */
	LAB_CK_LINK_ALIAS,		/* lo's ownership marker */
	LAB_CK_HAIRPIN,
	LAB_CK_ADDR_MISSING,
	LAB_CK_ADDR_EXTRA,
	LAB_CK_ROUTE_MISSING,
	LAB_CK_ROUTE_EXTRA,
	LAB_CK_ROUTE_CHANGED,		/* same destination, another type, gateway or device */
	LAB_CK_RULE_MISSING,		/* policy routing rules */
	LAB_CK_RULE_EXTRA,
	LAB_CK_NEIGH_MISSING,		/* permanent neighbours setup made */
	LAB_CK_NEIGH_CHANGED,
	LAB_CK_NEIGH_EXTRA,		/* a permanent one setup did not make */
	LAB_CK_PROXY_MISSING,		/* proxy-ARP entries (vpc networking) */
	LAB_CK_PROXY_EXTRA,
	LAB_CK_FDB_MISSING,		/* VXLAN FDB entries (vxlan networking) */
	LAB_CK_FDB_CHANGED,
	LAB_CK_FDB_EXTRA,
	LAB_CK_SYSCTL,
	LAB_CK_CONNTRACK_FULL,		/* nf_conntrack_count at nf_conntrack_max: no new flow fits */
	LAB_CK_NFT_TABLE_EXTRA,
	LAB_CK_NFT_TABLE_CHANGED,	/* dormant */
	LAB_CK_NFT_CHAIN_MISSING,
	LAB_CK_NFT_CHAIN_EXTRA,
	LAB_CK_NFT_CHAIN_CHANGED,	/* hook, priority, type or policy */
	LAB_CK_NFT_RULE_MISSING,
	LAB_CK_NFT_RULE_EXTRA,
	LAB_CK_NFT_RULE_ORDER,
	LAB_CK_NFT_SET_MISSING,
	LAB_CK_NFT_SET_EXTRA,
	LAB_CK_NFT_SET_CHANGED,
	LAB_CK_NFT_ELEM_MISSING,
	LAB_CK_NFT_ELEM_EXTRA,
	LAB_CK_NFT_ELEM_CHANGED,
	LAB_CK_IPT_LEGACY_RULE,
	LAB_CK_IPT_LEGACY_POLICY,
	LAB_CK_IPT_LEGACY_CHAIN,
	/* bgp networking */
	LAB_CK_BGP_ROUTE_MISSING,	/* a route BIRD should have learned is not in the kernel */
	LAB_CK_BGP_DAEMON_DOWN,		/* a speaker's BIRD does not answer: not running */
	LAB_CK_BGP_SESSION_MISSING,	/* BIRD has no such protocol */
	LAB_CK_BGP_SESSION_DOWN,	/* the session is not Established */
	LAB_CK_BGP_EXPORT_FILTERED,	/* the export filter rejects the speaker's own pod CIDR */
	LAB_CK_BGP_EXPORT_UNKNOWN,	/* BIRD could not be asked what its export filter rejects */
	LAB_CK_NKINDS
};

/* What a kind of finding says about its object. */
enum lab_check_how {
	LAB_CK_HOW_MISSING,	/* the plan has it, the kernel does not */
	LAB_CK_HOW_EXTRA,	/* the kernel has it, the plan does not */
	LAB_CK_HOW_CHANGED,	/* both, with another value (expected, actual) */
};

#define LAB_CHECK_TEXT 256

struct lab_finding {
	enum lab_check_kind kind;
	char netns[LAB_NETNS_MAX];		/* where */
	char place[2 * TOPO_LABEL_MAX + 24];	/* "node node-1", "pod default/web-1", "VPC router" */
	char object[LAB_CHECK_TEXT + 96];	/* "link veth86bbd2e9", "route 10.244.2.0/24" */
	char expected[LAB_CHECK_TEXT];		/* "" = none (extra) */
	char actual[LAB_CHECK_TEXT];		/* "" = none (missing) */
	/* What names it to the kernel's tools (lab_check_command). */
	int pid;				/* processes */
	char dev[16];				/* links, addresses, neighbours, FDB */
	char key[96];				/* sysctl key (/proc/sys path), route or
						 * neighbour address, iptables table,
						 * nftables family */
	uint32_t rt_table;			/* routes */
	char nft_table[128], nft_name[256];	/* nftables table, chain or set */
	bool nft_map;				/* the set is a map */
	uint8_t proto;				/* listeners: IPPROTO_TCP or _UDP */
	uint16_t port;
	char bird_ctl[108];			/* BGP: the speaker's BIRD control socket */
	char bgp_proto[48];			/* BGP: the session's protocol name */
};

/* How much was compared, by kind of object (the plan's side). */
struct lab_check_counts {
	size_t namespaces, links, addresses, routes, rules, neighbours, fdb, sysctls;
	size_t nft_tables, nft_chains, nft_rules, nft_sets, nft_elements;
	size_t iptables_tables, processes, listeners;
	size_t bgp_speakers, bgp_sessions;
};

struct lab_check_list {
	struct lab_finding *v;
	size_t n, cap;
	struct lab_check_counts checked;
};

/* Compare the kernel's state in lab l's namespaces with its plan: the n
 * namespaces named in netns (names as under /run/netns), or all of them
 * when netns is NULL. Findings are appended to out in namespace order (the
 * edge, nodes, pods, internet hosts). 0; -ENOENT with e set when a name is
 * not one of the lab's namespaces; -EPERM (PP_EXIT_ENV) without privilege
 * over them; another -errno when the kernel could not be read. */
int lab_check_run(const struct lab *l, const char *const *netns, size_t n,
		  struct lab_check_list *out, struct pp_err *e);

/* status's part: every namespace of l's plan that is not pinned. 0 or -ENOMEM. */
int lab_check_netns(const struct lab *l, struct lab_check_list *out);
/* Every process health[pod][container] and inet_health[host] (as measured)
 * show down or unpinned. 0 or -ENOMEM. */
int lab_check_procs(const struct lab *l, enum lab_health *const *health,
		    const enum lab_health *inet_health, struct lab_check_list *out);
/* Every nftables table setup made (kube-proxy's, ip-masq-agent, the cloud
 * gateway's, the load balancer's, the VPC router's) that is gone from a
 * namespace that is still there. 0, -ENOMEM or -EPERM. */
int lab_check_tables(const struct lab *l, struct lab_check_list *out);

/* The command that shows finding f with the kernel's own tools (ip, nft,
 * sysctl, ss, bridge, iptables-legacy-save), ready for a shell. */
void lab_check_command(const struct lab_finding *f, char *buf, size_t len);
/* "netns-missing", "route-extra", ...: the JSON "check" field. */
const char *lab_check_kind_name(enum lab_check_kind k);
enum lab_check_how lab_check_kind_how(enum lab_check_kind k);
/* A new finding of kind k in netns at place, zeroed otherwise; NULL if out
 * of memory. For the checks' own use and their tests. */
struct lab_finding *lab_check_add(struct lab_check_list *out, enum lab_check_kind k,
				  const char *netns, const char *place);
void lab_check_free(struct lab_check_list *out);

#endif
