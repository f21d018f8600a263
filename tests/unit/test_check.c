/* Unit tests for check's comparisons (lib/lab/compare) and the nftables
 * ruleset records (lib/nft/ruleset), without a kernel: a namespace's plan
 * is turned into the state a kernel would report for it, which must compare
 * clean; then one thing at a time is changed, as the faults of `podpath
 * break` change it, and the finding must name it with its command. */
#include <errno.h>
#include <stdlib.h>

#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>

#include "edge/edge.h"
#include "lab/compare.h"
#include "nft/nft.h"
#include "nft/ruleset.h"
#include "out/check.h"
#include "proxy/proxy.h"
#include "unit.h"

static int lab_make(struct lab *l, enum topo_mode mode)
{
	struct topo_error err;

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "t");
	if (topo_from_default(&l->topo, &err) < 0)
		return -1;
	l->topo.net.mode = mode;
	if (topo_resolve(&l->topo, &err) < 0 || lab_plan_make(&l->plan, l->name, &l->topo) < 0)
		return -1;
	return 0;
}

static int link_index(const struct lab_observed *o, const char *name)
{
	for (size_t i = 0; i < o->nlinks; i++)
		if (!strcmp(o->links[i].name, name))
			return o->links[i].index;
	return 0;
}

/* What a kernel holding exactly x reports. */
static void observed_from(const struct lab_expect *x, struct lab_observed *o)
{
	memset(o, 0, sizeof(*o));
	o->links = calloc(x->nlinks + 1, sizeof(*o->links));
	o->nlinks = x->nlinks;
	for (size_t i = 0; i < x->nlinks; i++) {
		struct nl_link_obs *l = &o->links[i];

		l->index = (int)i + 1;
		snprintf(l->name, sizeof(l->name), "%s", x->links[i].name);
		l->flags = IFF_UP;
		l->mtu = x->links[i].mtu ? x->links[i].mtu : 65536;
		if (x->links[i].mac) {
			memcpy(l->mac, x->links[i].mac, 6);
			l->has_mac = true;
		}
		snprintf(l->kind, sizeof(l->kind), "%s", x->links[i].kind ? x->links[i].kind : "");
		l->hairpin = x->links[i].hairpin;
		snprintf(l->alias, sizeof(l->alias), "%s", x->links[i].alias ? x->links[i].alias : "");
	}
	for (size_t i = 0; i < x->nlinks; i++)
		if (x->links[i].master)
			o->links[i].master = link_index(o, x->links[i].master);
	o->addrs = calloc(x->naddrs + 1, sizeof(*o->addrs));
	o->naddrs = x->naddrs;
	for (size_t i = 0; i < x->naddrs; i++)
		o->addrs[i] = (struct nl_addr_obs){ link_index(o, x->addrs[i].dev), x->addrs[i].addr,
						    x->addrs[i].plen };
	o->routes = calloc(x->nroutes + 2, sizeof(*o->routes));
	for (size_t i = 0; i < x->nroutes; i++) {
		const struct exp_route *r = &x->routes[i];

		o->routes[o->nroutes++] = (struct nl_route_obs){
			.table = r->table, .type = r->type, .dst = r->dst, .plen = r->plen,
			.gw = r->gw, .oif = r->dev ? link_index(o, r->dev) : 0,
			.priority = r->metric,
			.proto = r->proto ? r->proto : r->kernel ? RTPROT_KERNEL : RTPROT_STATIC };
	}
	/* The kernel's local table is not the plan's business. */
	o->routes[o->nroutes++] = (struct nl_route_obs){ .table = RT_TABLE_LOCAL,
		.type = RTN_LOCAL, .dst = 0x7f000001u, .plen = 32, .oif = 1 };
	o->rules = calloc(x->nrules + 1, sizeof(*o->rules));
	o->nrules = x->nrules;
	for (size_t i = 0; i < x->nrules; i++)
		o->rules[i] = (struct nl_rule_obs){ .priority = x->rules[i].priority,
			.table = x->rules[i].table, .action = FR_ACT_TO_TBL,
			.fwmark = x->rules[i].fwmark, .fwmask = x->rules[i].fwmark ? 0xffffffffu : 0 };
	o->neighs = calloc(x->nneighs + 4, sizeof(*o->neighs));
	o->nneighs = x->nneighs;
	for (size_t i = 0; i < x->nneighs; i++) {
		o->neighs[i] = (struct nl_neigh_obs){ .index = link_index(o, x->neighs[i].dev),
			.ip = x->neighs[i].ip, .has_mac = true, .state = NUD_PERMANENT };
		memcpy(o->neighs[i].mac, x->neighs[i].mac, 6);
	}
	o->proxies = calloc(x->nproxies + 1, sizeof(*o->proxies));
	o->nproxies = x->nproxies;
	for (size_t i = 0; i < x->nproxies; i++)
		o->proxies[i] = (struct nl_neigh_obs){ .index = link_index(o, x->proxies[i].dev),
			.ip = x->proxies[i].ip, .state = NUD_PERMANENT, .flags = NTF_PROXY };
	o->fdb = calloc(x->nfdb + 1, sizeof(*o->fdb));
	o->nfdb = x->nfdb;
	for (size_t i = 0; i < x->nfdb; i++) {
		o->fdb[i] = (struct nl_neigh_obs){ .index = link_index(o, x->fdb[i].dev),
			.ip = x->fdb[i].ip, .has_mac = true, .state = NUD_PERMANENT, .flags = NTF_SELF };
		memcpy(o->fdb[i].mac, x->fdb[i].mac, 6);
	}
	o->sysctls = calloc(x->nsysctls + 1, sizeof(*o->sysctls));
	for (size_t i = 0; i < x->nsysctls; i++)
		snprintf(o->sysctls[i].value, sizeof(o->sysctls[i].value), "%s", x->sysctls[i].value);
	o->procs = calloc(x->nprocs + 1, sizeof(*o->procs));
	o->listening = calloc(16, sizeof(*o->listening));
	for (size_t i = 0, k = 0; i < x->nprocs; i++)
		for (size_t j = 0; j < x->procs[i].nports && k < 16; j++)
			o->listening[k++] = true;
	/* BIRD, every session established, nothing filtered. */
	o->bgp_peers = calloc(x->nsessions + 1, sizeof(*o->bgp_peers));
	o->bgp_filtered = calloc(x->nsessions + 1, sizeof(*o->bgp_filtered));
	o->nbgp_peers = x->nsessions;
	for (size_t i = 0; i < x->nsessions; i++) {
		struct lab_bgp_peer *p = &o->bgp_peers[i];

		p->peer = x->sessions[i].peer;
		p->established = true;
		snprintf(p->bird.proto, sizeof(p->bird.proto), "%s", x->sessions[i].proto);
		snprintf(p->bird.state, sizeof(p->bird.state), "up");
		snprintf(p->bird.bgp_state, sizeof(p->bird.bgp_state), "Established");
		p->bird.neighbor = bgp_speaker_addr(&x->lab->topo, p->peer);
	}
}

/* Namespace k of lab l, its plan x, its kernel o (as planned) and its rulesets. */
struct ns {
	struct lab_expect x;
	struct lab_observed o;
	struct nft_ruleset want;
	struct lab_check_list d;
};

static int ns_make(struct ns *n, const struct lab *l, const char *netns)
{
	size_t k = 0;

	memset(n, 0, sizeof(*n));
	while (k < lab_expect_count(l) && strcmp(lab_expect_netns(l, k), netns))
		k++;
	if (lab_expect_make(l, k, "262144", &n->x) < 0)
		return -1;
	observed_from(&n->x, &n->o);
	if (lab_expect_nft(l, &n->x, &n->want) < 0 || lab_expect_nft(l, &n->x, &n->o.nft) < 0)
		return -1;
	return 0;
}

static void ns_drop(struct ns *n)
{
	lab_expect_free(&n->x);
	lab_observed_free(&n->o);
	nft_ruleset_free(&n->want);
	lab_check_free(&n->d);
}

static int compare(struct ns *n)
{
	lab_check_free(&n->d);
	return lab_compare(&n->x, &n->o, &n->want, &n->d);
}

/* The only finding is of kind k, about object, with command cmd. */
static void one(const struct ns *n, enum lab_check_kind k, const char *object, const char *cmd)
{
	char got[512];

	if (!CHECKF(n->d.n == 1, "%zu findings, the first %s", n->d.n,
		    n->d.n ? lab_check_kind_name(n->d.v[0].kind) : "-"))
		return;
	CHECK_EQ_STR(lab_check_kind_name(n->d.v[0].kind), lab_check_kind_name(k));
	CHECK_EQ_STR(n->d.v[0].object, object);
	lab_check_command(&n->d.v[0], got, sizeof(got));
	CHECK_EQ_STR(got, cmd);
}

static struct nl_link_obs *link_named(struct lab_observed *o, const char *name)
{
	for (size_t i = 0; i < o->nlinks; i++)
		if (!strcmp(o->links[i].name, name))
			return &o->links[i];
	return NULL;
}

static ssize_t sysctl_at(const struct lab_expect *x, const char *key)
{
	for (size_t i = 0; i < x->nsysctls; i++)
		if (!strcmp(x->sysctls[i].key, key))
			return (ssize_t)i;
	return -1;
}

static void test_every_namespace_of_a_planned_kernel_is_clean(void)
{
	static const enum topo_mode modes[] = { TOPO_MODE_ROUTED, TOPO_MODE_VXLAN, TOPO_MODE_VPC,
						TOPO_MODE_BGP, TOPO_MODE_BGP };

	for (size_t m = 0; m < 5; m++) {
		struct lab l;

		if (!CHECK(lab_make(&l, modes[m]) == 0))
			return;
		if (m == 4) {	/* through the route reflector */
			l.topo.net.bgp.mesh = 0;
			CHECK(bgp_uses_rr(&l.topo));
		}
		for (size_t k = 0; k < lab_expect_count(&l); k++) {
			struct ns n;

			if (!CHECK(ns_make(&n, &l, lab_expect_netns(&l, k)) == 0))
				break;
			CHECK_EQ_INT(compare(&n), 0);
			CHECKF(n.d.n == 0, "mode %zu %s: %zu findings, the first %s %s", m, n.x.netns,
			       n.d.n, n.d.n ? lab_check_kind_name(n.d.v[0].kind) : "",
			       n.d.n ? n.d.v[0].object : "");
			ns_drop(&n);
		}
		lab_free(&l);
	}
}

static void test_node_faults_are_named_with_their_command(void)
{
	struct nl_link_obs *eth0, *port;
	const char *veth;
	struct lab l;
	struct ns n;
	ssize_t fwd;

	if (!CHECK(lab_make(&l, TOPO_MODE_ROUTED) == 0) ||
	    !CHECK(ns_make(&n, &l, "t_node_node-1") == 0))
		return;
	/* forwarding-off */
	fwd = sysctl_at(&n.x, "net/ipv4/ip_forward");
	if (CHECK(fwd >= 0)) {
		strcpy(n.o.sysctls[fwd].value, "0");
		compare(&n);
		one(&n, LAB_CK_SYSCTL, "net.ipv4.ip_forward",
		    "ip netns exec t_node_node-1 sysctl net.ipv4.ip_forward");
		CHECK_EQ_STR(n.d.v[0].expected, "1");
		CHECK_EQ_STR(n.d.v[0].actual, "0");
		strcpy(n.o.sysctls[fwd].value, "1");
	}
	/* blackhole-route: an extra route of that type for a pod /32 */
	n.o.routes[n.o.nroutes++] = (struct nl_route_obs){ .table = RT_TABLE_MAIN,
		.type = RTN_BLACKHOLE, .dst = 0x0af40202u, .plen = 32 };
	compare(&n);
	one(&n, LAB_CK_ROUTE_EXTRA, "route 10.244.2.2/32",
	    "ip -n t_node_node-1 route show table main exact 10.244.2.2/32");
	CHECK_EQ_STR(n.d.v[0].actual, "blackhole");
	n.o.nroutes--;
	/* missing-pod-cidr-route: the route to node-2's pods deleted */
	for (size_t i = 0; i < n.o.nroutes; i++)
		if (n.o.routes[i].dst == 0x0af40200u && n.o.routes[i].plen == 24)
			n.o.routes[i].table = 1000;	/* moved out of the way */
	compare(&n);
	CHECK_EQ_INT(n.d.n, 2);	/* missing from main, extra in table 1000 */
	CHECK(n.d.n == 2 && n.d.v[0].kind == LAB_CK_ROUTE_MISSING &&
	      !strcmp(n.d.v[0].expected, "via 172.18.0.3 dev eth0"));
	for (size_t i = 0; i < n.o.nroutes; i++)
		if (n.o.routes[i].table == 1000)
			n.o.routes[i].table = RT_TABLE_MAIN;
	/* mtu-mismatch */
	eth0 = link_named(&n.o, "eth0");
	if (CHECK(eth0 != NULL)) {
		eth0->mtu = 1400;
		compare(&n);
		one(&n, LAB_CK_LINK_MTU, "MTU of link eth0", "ip -n t_node_node-1 -d link show dev eth0");
		eth0->mtu = 1500;
	}
	/* veth-down, veth-detached, hairpin-off on a pod's host veth */
	veth = l.plan.pods[0].host_if;
	port = link_named(&n.o, veth);
	if (CHECK(port != NULL)) {
		char obj[64];

		char cmd[128];

		port->flags &= ~(unsigned)IFF_UP;
		compare(&n);
		snprintf(obj, sizeof(obj), "link %s", veth);
		snprintf(cmd, sizeof(cmd), "ip -n t_node_node-1 -d link show dev %s", veth);
		one(&n, LAB_CK_LINK_DOWN, obj, cmd);
		port->flags |= IFF_UP;
		port->hairpin = 0;
		compare(&n);
		CHECK(n.d.n == 1 && n.d.v[0].kind == LAB_CK_HAIRPIN &&
		      !strcmp(n.d.v[0].actual, "off"));
		port->hairpin = 1;
		port->master = 0;
		compare(&n);
		CHECK(n.d.n == 1 && n.d.v[0].kind == LAB_CK_LINK_MASTER &&
		      !strcmp(n.d.v[0].expected, "cbr0") && !strcmp(n.d.v[0].actual, "none"));
		port->master = link_index(&n.o, "cbr0");
	}
	/* wrong-neighbour: a permanent entry with a wrong MAC for a pod */
	n.o.neighs[n.o.nneighs++] = (struct nl_neigh_obs){ .index = link_index(&n.o, "cbr0"),
		.ip = 0x0af40103u, .has_mac = true, .mac = { 2, 0, 0, 0, 0, 0x99 },
		.state = NUD_PERMANENT };
	compare(&n);
	one(&n, LAB_CK_NEIGH_EXTRA, "neighbour 10.244.1.3 on cbr0",
	    "ip -n t_node_node-1 neigh show 10.244.1.3 dev cbr0");
	/* ... while a learned one is the kernel's business */
	n.o.neighs[n.o.nneighs - 1].state = NUD_REACHABLE;
	compare(&n);
	CHECK_EQ_INT(n.d.n, 0);
	ns_drop(&n);
	lab_free(&l);
}

/* bgp networking: the routes are BIRD's, and the findings name the route,
 * the session in words and the BIRD that does not run. */
static void test_bgp_faults(void)
{
	struct lab l;
	struct ns n;
	ssize_t r = -1;

	if (!CHECK(lab_make(&l, TOPO_MODE_BGP) == 0) ||
	    !CHECK(ns_make(&n, &l, "t_node_node-1") == 0))
		return;
	CHECK_EQ_INT(n.x.nsessions, 1);
	CHECK_EQ_STR(n.x.sessions[0].proto, "Mesh_172_18_0_3");
	for (size_t i = 0; i < n.o.nroutes; i++)
		if (n.o.routes[i].dst == 0x0af40200u && n.o.routes[i].plen == 24)
			r = (ssize_t)i;
	if (!CHECK(r >= 0))
		goto out;
	CHECK_EQ_INT(n.o.routes[r].proto, BGP_RTPROT_BIRD);
	CHECK_EQ_INT(n.o.routes[r].priority, 32);
	/* routed mode's static route in its place is not BGP's */
	n.o.routes[r].proto = RTPROT_STATIC;
	n.o.routes[r].priority = 0;
	compare(&n);
	CHECK_EQ_INT(n.d.n, 2);	/* BIRD's missing, a static one extra */
	if (CHECK(n.d.n == 2)) {
		char cmd[256];

		CHECK_EQ_STR(lab_check_kind_name(n.d.v[0].kind), "bgp-route-missing");
		CHECK_EQ_STR(n.d.v[0].object, "route 10.244.2.0/24 via 172.18.0.3 proto bird");
		lab_check_command(&n.d.v[0], cmd, sizeof(cmd));
		CHECK_EQ_STR(cmd, "ip -n t_node_node-1 route show proto bird");
		CHECK_EQ_INT(n.d.v[1].kind, LAB_CK_ROUTE_EXTRA);
	}
	n.o.routes[r].proto = BGP_RTPROT_BIRD;
	n.o.routes[r].priority = 32;
	/* the session down: its words */
	n.o.bgp_peers[0].established = false;
	snprintf(n.o.bgp_peers[0].bird.bgp_state, sizeof(n.o.bgp_peers[0].bird.bgp_state),
		 "Active");
	snprintf(n.o.bgp_peers[0].bird.info, sizeof(n.o.bgp_peers[0].bird.info),
		 "Socket: Connection refused");
	compare(&n);
	one(&n, LAB_CK_BGP_SESSION_DOWN, "BGP session Mesh_172_18_0_3 with node-2",
	    "birdc -s /run/podpath/t/bgp/node-1.ctl show protocols all Mesh_172_18_0_3");
	if (n.d.n == 1)
		CHECK_EQ_STR(n.d.v[0].actual, "down (Active, connection refused)");
	n.o.bgp_peers[0].established = true;
	/* the export filter rejects the node's own pod CIDR */
	n.o.bgp_filtered[0] = true;
	compare(&n);
	one(&n, LAB_CK_BGP_EXPORT_FILTERED, "BGP session Mesh_172_18_0_3 with node-2",
	    "birdc -s /run/podpath/t/bgp/node-1.ctl show route noexport Mesh_172_18_0_3");
	if (n.d.n == 1)
		CHECK_EQ_STR(n.d.v[0].actual, "its export filter rejects 10.244.1.0/24");
	n.o.bgp_filtered[0] = false;
	/* BIRD not asked what its filter rejects: a finding, never clean */
	n.o.bgp_filter_err = calloc(n.o.nbgp_peers + 1, sizeof(*n.o.bgp_filter_err));
	if (!CHECK(n.o.bgp_filter_err))
		goto out;
	n.o.bgp_filter_err[0] = -ECONNRESET;
	compare(&n);
	one(&n, LAB_CK_BGP_EXPORT_UNKNOWN, "BGP session Mesh_172_18_0_3 with node-2",
	    "birdc -s /run/podpath/t/bgp/node-1.ctl show route noexport Mesh_172_18_0_3");
	if (n.d.n == 1) {
		char words[512];

		CHECK_EQ_STR(lab_check_kind_name(n.d.v[0].kind), "bgp-export-unknown");
		out_check_sentence(words, sizeof(words), &n.d.v[0]);
		CHECK(strstr(words, "whether it announces 10.244.1.0/24 is unknown: BIRD could not "
			     "be asked what its export filter rejects (Connection reset by peer)"));
	}
	n.o.bgp_filter_err[0] = 0;
	/* the session gone from BIRD's configuration */
	n.o.nbgp_peers = 0;
	compare(&n);
	one(&n, LAB_CK_BGP_SESSION_MISSING, "BGP session Mesh_172_18_0_3 with node-2",
	    "birdc -s /run/podpath/t/bgp/node-1.ctl show protocols");
	/* BIRD not running: said once, its sessions not guessed at */
	n.o.bird_err = -ENOENT;
	compare(&n);
	one(&n, LAB_CK_BGP_DAEMON_DOWN, "node-1's BIRD",
	    "birdc -s /run/podpath/t/bgp/node-1.ctl show status");
	if (n.d.n == 1)
		CHECK_EQ_STR(n.d.v[0].actual, "not running");
out:
	ns_drop(&n);
	lab_free(&l);
}

static void test_legacy_and_listeners(void)
{
	struct legacy_item it = { .kind = LEGACY_RULE, .table = "filter", .chain = "FORWARD",
				  .index = 1, .text = "-A FORWARD -s 10.244.2.2/32 -j DROP" };
	struct lab l;
	struct ns n;

	if (!CHECK(lab_make(&l, TOPO_MODE_ROUTED) == 0) ||
	    !CHECK(ns_make(&n, &l, "t_pod_default_web-2") == 0))
		return;
	/* no-listener: the responder killed; its ports are gone with it */
	n.o.procs[0] = LAB_HEALTH_DOWN;
	n.o.listening[0] = n.o.listening[1] = false;
	compare(&n);
	CHECK(n.d.n == 3 && n.d.v[0].kind == LAB_CK_PROCESS_DOWN &&
	      n.d.v[1].kind == LAB_CK_LISTENER_MISSING);
	if (n.d.n == 3) {
		char cmd[256];

		lab_check_command(&n.d.v[1], cmd, sizeof(cmd));
		CHECK_EQ_STR(cmd, "ip netns exec t_pod_default_web-2 ss -ltnp sport = :8080");
		CHECK_EQ_STR(n.d.v[1].object, "port 8080/tcp of container default/web-2 web");
	}
	ns_drop(&n);
	/* iptables-legacy-drop on a node */
	if (!CHECK(ns_make(&n, &l, "t_node_node-1") == 0))
		return;
	n.o.ipt = malloc(sizeof(it));
	if (n.o.ipt) {
		n.o.ipt[0] = it;
		n.o.nipt = 1;
	}
	compare(&n);
	one(&n, LAB_CK_IPT_LEGACY_RULE, "iptables-legacy rule 1 of chain FORWARD (table filter)",
	    "ip netns exec t_node_node-1 iptables-legacy-save -t filter");
	CHECK(n.d.n == 1 && !strcmp(n.d.v[0].actual, it.text));
	ns_drop(&n);
	lab_free(&l);
}

static struct nft_rs_set *set_named(struct nft_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nsets; i++)
		if (!strcmp(rs->sets[i].name, name))
			return &rs->sets[i];
	return NULL;
}

static struct nft_rs_chain *chain_named(struct nft_ruleset *rs, const char *table, const char *name)
{
	for (size_t i = 0; i < rs->nchains; i++)
		if (!strcmp(rs->chains[i].table, table) && !strcmp(rs->chains[i].name, name))
			return &rs->chains[i];
	return NULL;
}

static void test_nft_faults(void)
{
	struct nft_rs_table *t;
	struct nft_rs_chain *ch;
	struct nft_rs_set *s;
	struct lab l;
	struct ns n;

	if (!CHECK(lab_make(&l, TOPO_MODE_ROUTED) == 0) ||
	    !CHECK(ns_make(&n, &l, "t_node_node-2") == 0))
		return;
	/* Two builds of one ruleset name their anonymous sets apart, and
	 * still compare equal. */
	compare(&n);
	CHECK_EQ_INT(n.d.n, 0);
	CHECK(n.d.checked.nft_rules > 40 && n.d.checked.nft_elements > 5);
	/* kube-proxy-element-missing: a service-ips element deleted */
	s = set_named(&n.o.nft, "service-ips");
	if (CHECK(s != NULL && s->nelems > 1)) {
		struct nft_rs_elem e = s->elems[0];

		/* Elements stay sorted, as a reading leaves them. */
		memmove(&s->elems[0], &s->elems[1], --s->nelems * sizeof(e));
		compare(&n);
		CHECKF(n.d.n == 1 && n.d.v[0].kind == LAB_CK_NFT_ELEM_MISSING, "%zu", n.d.n);
		if (n.d.n == 1) {
			char cmd[256];

			lab_check_command(&n.d.v[0], cmd, sizeof(cmd));
			CHECK_EQ_STR(cmd, "ip netns exec t_node_node-2 nft list map ip kube-proxy "
				     "service-ips");
			CHECK(!strncmp(n.d.v[0].object, "element 10.96.0.", 16));
		}
		memmove(&s->elems[1], &s->elems[0], s->nelems++ * sizeof(e));
		s->elems[0] = e;
	}
	/* masquerade-missing / service-no-endpoints: a chain's last rule gone */
	ch = chain_named(&n.o.nft, "ip-masq-agent", "ip-masq-agent");
	if (CHECK(ch != NULL && ch->nrules == 4)) {
		ch->nrules--;
		compare(&n);
		CHECKF(n.d.n == 1 && n.d.v[0].kind == LAB_CK_NFT_RULE_MISSING &&
		       strstr(n.d.v[0].expected, "masquerade"), "%zu %s", n.d.n,
		       n.d.n ? n.d.v[0].expected : "");
		ch->nrules++;
		/* the same rules in another order */
		struct nft_rs_rule r = ch->rules[0];

		ch->rules[0] = ch->rules[1];
		ch->rules[1] = r;
		compare(&n);
		CHECK(n.d.n == 1 && n.d.v[0].kind == LAB_CK_NFT_RULE_ORDER);
		ch->rules[1] = ch->rules[0];
		ch->rules[0] = r;
	}
	/* node-nft-drop: a table of someone else's */
	t = realloc(n.o.nft.tables, (n.o.nft.ntables + 1) * sizeof(*t));
	if (CHECK(t != NULL)) {
		n.o.nft.tables = t;
		t[n.o.nft.ntables] = (struct nft_rs_table){ .family = 1, .name = strdup("evil") };
		n.o.nft.ntables++;
		compare(&n);
		one(&n, LAB_CK_NFT_TABLE_EXTRA, "table inet evil",
		    "ip netns exec t_node_node-2 nft list tables");
	}
	ns_drop(&n);
	lab_free(&l);
}

static void test_commands_quote_what_the_shell_would_split(void)
{
	struct lab_finding f = { .kind = LAB_CK_NFT_RULE_EXTRA, .netns = "t_node_node-1",
				 .key = "inet", .nft_table = "my table", .nft_name = "it's" };
	char cmd[256];

	lab_check_command(&f, cmd, sizeof(cmd));
	CHECK_EQ_STR(cmd, "ip netns exec t_node_node-1 nft -a list chain inet 'my table' 'it'\\''s'");
	CHECK_EQ_INT(lab_check_kind_how(LAB_CK_ROUTE_EXTRA), LAB_CK_HOW_EXTRA);
	for (int k = 0; k < LAB_CK_NKINDS; k++)
		CHECKF(strcmp(lab_check_kind_name(k), "unknown"), "kind %d has no name", k);
}

int main(void)
{
	RUN(test_every_namespace_of_a_planned_kernel_is_clean);
	RUN(test_node_faults_are_named_with_their_command);
	RUN(test_bgp_faults);
	RUN(test_legacy_and_listeners);
	RUN(test_nft_faults);
	RUN(test_commands_quote_what_the_shell_would_split);
	return unit_summary();
}
