/* expect — what one namespace of a lab holds when setup has built it: its
 * links, addresses, routes, policy rules, permanent neighbours, proxy-ARP
 * and FDB entries, sysctls, nftables ruleset, processes and their ports.
 * Derived from the plan and the topology as setup.c and edge.c build them
 * (a change there is a change here; check.bats proves a fresh lab clean).
 * Private to lib/lab/. */
#ifndef PODPATH_LAB_EXPECT_H
#define PODPATH_LAB_EXPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lab/lab.h"

struct nft_ruleset;

struct exp_link {
	char name[16];
	const char *kind;	/* "veth", "bridge", "vxlan"; NULL: lo */
	unsigned mtu;		/* 0: not set by setup (lo) */
	const uint8_t *mac;	/* NULL: the kernel's */
	const char *master;	/* its bridge; NULL: none */
	int hairpin;		/* a bridge port: 0 or 1; -1: not one */
	const char *alias;	/* lo's ownership marker; NULL: none */
};

struct exp_addr {
	const char *dev;
	uint32_t addr;
	uint8_t plen;
};

struct exp_route {
	uint32_t table;		/* RT_TABLE_MAIN or a policy table */
	uint8_t type;		/* RTN_UNICAST, RTN_UNREACHABLE */
	uint32_t dst;
	uint8_t plen;
	uint32_t gw;		/* 0: none */
	const char *dev;	/* NULL: none (unreachable) */
	bool kernel;		/* made by the kernel for an address (proto kernel) */
	uint8_t proto;		/* BGP_RTPROT_BIRD: learned over BGP; 0: setup's own */
	uint32_t metric;	/* 0 for setup's; BIRD's kernel protocol sets its own */
};

struct exp_rule {
	uint32_t priority, table, fwmark;
};

/* A permanent neighbour, a proxy-ARP entry (mac NULL) or an FDB entry (ip:
 * its remote). */
struct exp_neigh {
	const char *dev;
	uint32_t ip;
	const uint8_t *mac;
};

struct exp_sysctl {
	char key[64];		/* "net/ipv4/ip_forward", as under /proc/sys */
	char value[24];
};

struct exp_proc {
	char what[3 * TOPO_LABEL_MAX + 16];	/* "container default/web-1 web" */
	pid_t pid;
	enum topo_image image;
	const struct topo_port *ports;
	size_t nports;
};

/* A BGP session the speaker of a namespace has (bgp networking). */
struct exp_bgp_session {
	size_t peer;		/* node index, or BGP_SPEAKER_RR */
	char proto[48];		/* BIRD's protocol name: "Mesh_172_18_0_3" */
};

enum exp_role { EXP_VPC, EXP_GATEWAY, EXP_LB, EXP_INTERNET, EXP_NODE, EXP_POD, EXP_HOST };

struct lab_expect {
	const char *netns;
	char place[2 * TOPO_LABEL_MAX + 24];	/* "node node-1", "pod default/web-1" */
	enum exp_role role;
	size_t index;		/* node, pod or host index */
	struct exp_link *links;
	size_t nlinks;
	struct exp_addr *addrs;
	size_t naddrs;
	struct exp_route *routes;
	size_t nroutes;
	struct exp_rule *rules;
	size_t nrules;
	struct exp_neigh *neighs, *proxies, *fdb;
	size_t nneighs, nproxies, nfdb;
	bool read_proxies, read_fdb;	/* worth a dump here */
	struct exp_sysctl *sysctls;
	size_t nsysctls;
	struct exp_proc *procs;
	size_t nprocs;
	/* bgp networking: the BIRD that runs here (a node's, or the route
	 * reflector in the VPC router), its sessions, the CIDR it announces. */
	bool bgp;
	const struct lab *lab;		/* the sessions' words need it */
	size_t bgp_speaker;		/* node index, or BGP_SPEAKER_RR */
	struct exp_bgp_session *sessions;
	size_t nsessions;
	bool announces;
	struct cidr announce;		/* its pod CIDR */
	int err;		/* first failure while building (-ENOMEM) */
};

/* How many namespaces lab l has: the edge's, the nodes', the pods', the
 * internet hosts'. Namespace k of them is, in this order: VPC router,
 * gateway, load balancer, internet router, nodes, pods, hosts. */
size_t lab_expect_count(const struct lab *l);
/* The name of namespace k. */
const char *lab_expect_netns(const struct lab *l, size_t k);
/* What namespace k holds; conntrack_max is the host's nf_conntrack_max
 * ("" when unknown), which nodes must have too. 0 or -ENOMEM; free with
 * lab_expect_free. */
int lab_expect_make(const struct lab *l, size_t k, const char *conntrack_max,
		    struct lab_expect *x);
/* The nftables ruleset namespace k holds, made by the same builders setup
 * sends (kube-proxy's, ip-masq-agent's, NetworkPolicy's, the edge's). 0 or -errno. */
int lab_expect_nft(const struct lab *l, const struct lab_expect *x, struct nft_ruleset *rs);
void lab_expect_free(struct lab_expect *x);

#endif
