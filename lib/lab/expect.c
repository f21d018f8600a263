/* expect — a namespace's kernel state as setup builds it; see expect.h.
 * Each builder below mirrors one part of setup.c or edge.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "bgp/bgp.h"
#include "edge/edge.h"
#include "lab/expect.h"
#include "nft/nft.h"
#include "nft/ruleset.h"
#include "policy/policy.h"
#include "proxy/proxy.h"

/* The metric BIRD's kernel protocol gives the routes it installs (its
 * default: podpath's configuration does not set one). */
#define BIRD_KERNEL_METRIC 32
#define VPC_GW_IP 0xa9fe0101u	/* 169.254.1.1: vpc-mode pods' next hop (setup.c) */
/* The batches made here are read, never sent: small pages (a node's
 * kube-proxy rules for the default lab are some 20 KiB). */
#define EXPECT_BATCH_PAGE (16 * 1024)

static const uint8_t vpc_gw_mac[6] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };

/* Append one record of size sz to *v (count *n); NULL and x->err set when
 * out of memory. Arrays grow by doubling from 8. */
static void *push(struct lab_expect *x, void **v, size_t *n, size_t sz)
{
	if (x->err)
		return NULL;
	if (*n == 0 || (*n >= 8 && !(*n & (*n - 1)))) {
		size_t cap = *n ? *n * 2 : 8;
		void *nv = realloc(*v, cap * sz);

		if (!nv) {
			x->err = -ENOMEM;
			return NULL;
		}
		*v = nv;
	}
	return memset((char *)*v + (*n)++ * sz, 0, sz);
}

static struct exp_link *link_add(struct lab_expect *x, const char *name, const char *kind,
				 unsigned mtu, const uint8_t *mac)
{
	struct exp_link *l = push(x, (void **)&x->links, &x->nlinks, sizeof(*l));

	if (!l)
		return NULL;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->kind = kind;
	l->mtu = mtu;
	l->mac = mac;
	l->hairpin = -1;
	return l;
}

static void port_add(struct lab_expect *x, const char *name, unsigned mtu, const uint8_t *mac,
		     const char *bridge, int hairpin)
{
	struct exp_link *l = link_add(x, name, "veth", mtu, mac);

	if (l && bridge) {
		l->master = bridge;
		l->hairpin = hairpin;
	}
}

static void addr_add(struct lab_expect *x, const char *dev, uint32_t addr, uint8_t plen)
{
	struct exp_addr *a = push(x, (void **)&x->addrs, &x->naddrs, sizeof(*a));

	if (a)
		*a = (struct exp_addr){ dev, addr, plen };
}

static void route_add(struct lab_expect *x, uint32_t table, uint8_t type, uint32_t dst,
		      uint8_t plen, uint32_t gw, const char *dev)
{
	struct exp_route *r = push(x, (void **)&x->routes, &x->nroutes, sizeof(*r));

	if (r)
		*r = (struct exp_route){ table, type, dst, plen, gw, dev, false, 0, 0 };
}

/* An address with room for neighbours has its connected route, made by
 * the kernel. */
static void addr_net_add(struct lab_expect *x, const char *dev, uint32_t addr, uint8_t plen)
{
	struct exp_route *r;

	addr_add(x, dev, addr, plen);
	if (plen >= 32)
		return;
	r = push(x, (void **)&x->routes, &x->nroutes, sizeof(*r));
	if (r)
		*r = (struct exp_route){ RT_TABLE_MAIN, RTN_UNICAST, addr & cidr_mask(plen), plen,
					 0, dev, true, 0, 0 };
}

static void neigh_add(struct lab_expect *x, struct exp_neigh **v, size_t *n, const char *dev,
		      uint32_t ip, const uint8_t *mac)
{
	struct exp_neigh *e = push(x, (void **)v, n, sizeof(**v));

	if (e)
		*e = (struct exp_neigh){ dev, ip, mac };
}

static void sysctl_add(struct lab_expect *x, const char *key, const char *value)
{
	struct exp_sysctl *s = push(x, (void **)&x->sysctls, &x->nsysctls, sizeof(*s));

	if (s) {
		snprintf(s->key, sizeof(s->key), "%s", key);
		snprintf(s->value, sizeof(s->value), "%s", value);
	}
}

static void proc_add(struct lab_expect *x, const char *what, pid_t pid, enum topo_image image,
		     const struct topo_port *ports, size_t nports)
{
	struct exp_proc *p = push(x, (void **)&x->procs, &x->nprocs, sizeof(*p));

	if (!p)
		return;
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->pid = pid;
	p->image = image;
	p->ports = ports;
	p->nports = nports;
}

/* bgp networking: speaker s runs BIRD here, with a session to each of
 * its peers (every other node, or the route reflector; the reflector:
 * every node). */
static void bgp_speaker_add(struct lab_expect *x, const struct lab *l, size_t s)
{
	const struct topo *t = &l->topo;
	bool rr = bgp_uses_rr(t);

	x->bgp = true;
	x->lab = l;
	x->bgp_speaker = s;
	for (size_t k = 0; k < t->nnodes + 1; k++) {
		size_t peer = k < t->nnodes ? k : BGP_SPEAKER_RR;
		struct exp_bgp_session *b;

		if (peer == s || (s != BGP_SPEAKER_RR && rr != (peer == BGP_SPEAKER_RR)))
			continue;
		b = push(x, (void **)&x->sessions, &x->nsessions, sizeof(*b));
		if (!b)
			return;
		b->peer = peer;
		bgp_proto_name(t, s, peer, b->proto, sizeof(b->proto));
	}
	if (s != BGP_SPEAKER_RR) {
		x->announces = true;
		x->announce = t->nodes[s].pod_cidr;
	}
}

/* Every namespace: lo up with the lab's marker, and the kernel's three
 * policy rules (local, main, default). */
static void ns_common(struct lab_expect *x, const struct lab *l)
{
	static const struct exp_rule defaults[] = {
		{ 0, RT_TABLE_LOCAL, 0 }, { 32766, RT_TABLE_MAIN, 0 }, { 32767, RT_TABLE_DEFAULT, 0 },
	};
	struct exp_link *lo = link_add(x, "lo", NULL, 0, NULL);

	if (lo)
		lo->alias = l->plan.marker;
	addr_add(x, "lo", 0x7f000001u, 8);	/* the kernel's, once lo is up */
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		struct exp_rule *r = push(x, (void **)&x->rules, &x->nrules, sizeof(*r));

		if (r)
			*r = defaults[i];
	}
}

/* A router's or node's sysctls (setup.c ns_sysctls), on every interface
 * too: the strictest of "all" and the interface's own rp_filter counts. */
static void router_sysctls(struct lab_expect *x)
{
	char key[sizeof(((struct exp_sysctl *)0)->key)];

	sysctl_add(x, "net/ipv4/ip_forward", "1");
	sysctl_add(x, "net/ipv4/conf/all/rp_filter", "0");
	sysctl_add(x, "net/ipv4/conf/default/rp_filter", "0");
	for (size_t i = 0; i < x->nlinks; i++) {
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/rp_filter", x->links[i].name);
		sysctl_add(x, key, "0");
	}
	sysctl_add(x, "net/ipv4/icmp_ratelimit", "0");
}

static unsigned pod_mtu(const struct topo *t)
{
	return t->net.mode == TOPO_MODE_VXLAN ? t->net.mtu - LAB_VXLAN_OVERHEAD : t->net.mtu;
}

/* setup.c build_vpc, build_vpc_ports; edge.c queue_vpc. */
static void expect_vpc(struct lab_expect *x, const struct lab *l)
{
	const struct lab_plan *p = &l->plan;
	const struct topo *t = &l->topo;
	unsigned mtu = t->net.mtu;
	struct exp_rule *r;

	snprintf(x->place, sizeof(x->place), "VPC router");
	link_add(x, LAB_VPC_BRIDGE_NAME, "bridge", mtu, p->vpc_mac);
	addr_net_add(x, LAB_VPC_BRIDGE_NAME, t->net.vpc_router, t->net.vpc_cidr.len);
	for (size_t i = 0; i < t->nnodes; i++)
		port_add(x, p->nodes[i].vpc_port, mtu, p->nodes[i].vpc_mac, LAB_VPC_BRIDGE_NAME, 0);
	for (size_t i = 0; t->net.mode == TOPO_MODE_ROUTED && i < t->nnodes; i++)
		route_add(x, RT_TABLE_MAIN, RTN_UNICAST, t->nodes[i].pod_cidr.addr,
			  t->nodes[i].pod_cidr.len, t->nodes[i].ip, LAB_VPC_BRIDGE_NAME);
	link_add(x, EDGE_IF_IGW, "veth", mtu, p->igw_mac);
	link_add(x, EDGE_IF_LB, "veth", mtu, p->vpclb_mac);
	route_add(x, RT_TABLE_MAIN, RTN_UNICAST, EDGE_GW_INSIDE, 32, 0, EDGE_IF_IGW);
	route_add(x, RT_TABLE_MAIN, RTN_UNICAST, EDGE_LB_INSIDE, 32, 0, EDGE_IF_LB);
	route_add(x, RT_TABLE_MAIN, RTN_UNICAST, 0, 0, EDGE_GW_INSIDE, EDGE_IF_IGW);
	for (size_t i = 0; i < t->nservices; i++)
		if (t->services[i].type == TOPO_SVC_LOADBALANCER)
			route_add(x, RT_TABLE_MAIN, RTN_UNICAST, t->services[i].lb_ip, 32,
				  EDGE_LB_INSIDE, EDGE_IF_LB);
	route_add(x, EDGE_LB_RETURN_TABLE, RTN_UNICAST, 0, 0, EDGE_LB_INSIDE, EDGE_IF_LB);
	if (t->net.mode == TOPO_MODE_BGP && bgp_uses_rr(t))
		bgp_speaker_add(x, l, BGP_SPEAKER_RR);
	r = push(x, (void **)&x->rules, &x->nrules, sizeof(*r));
	if (r)
		*r = (struct exp_rule){ EDGE_LB_RETURN_PREF, EDGE_LB_RETURN_TABLE,
					EDGE_LB_RETURN_MARK };
	router_sysctls(x);
}

/* edge.c queue_gateway and the veths the VPC and internet routers make. */
static void expect_gateway(struct lab_expect *x, const struct lab *l)
{
	const struct lab_plan *p = &l->plan;
	const struct topo *t = &l->topo;

	snprintf(x->place, sizeof(x->place), "cloud gateway");
	link_add(x, EDGE_IF_VPC, "veth", t->net.mtu, p->gw_vpc_mac);
	link_add(x, EDGE_IF_INET, "veth", t->net.mtu, p->gw_inet_mac);
	addr_add(x, EDGE_IF_VPC, EDGE_GW_INSIDE, 32);
	addr_add(x, EDGE_IF_INET, t->net.gateway_ip, 32);
	route_add(x, RT_TABLE_MAIN, RTN_UNICAST, 0, 0, t->inet.router, EDGE_IF_INET);
	route_add(x, RT_TABLE_MAIN, RTN_UNICAST, t->net.vpc_cidr.addr, t->net.vpc_cidr.len,
		  t->net.vpc_router, EDGE_IF_VPC);
	route_add(x, RT_TABLE_MAIN, RTN_UNREACHABLE, t->net.public_cidr.addr,
		  t->net.public_cidr.len, 0, NULL);
	for (size_t i = 0; i < t->nservices; i++)
		if (t->services[i].type == TOPO_SVC_LOADBALANCER)
			route_add(x, RT_TABLE_MAIN, RTN_UNICAST, t->services[i].lb_ip, 32,
				  t->net.vpc_router, EDGE_IF_VPC);
	router_sysctls(x);
}

/* edge.c queue_lb. */
static void expect_lb(struct lab_expect *x, const struct lab *l)
{
	const struct topo *t = &l->topo;

	snprintf(x->place, sizeof(x->place), "cloud load balancer");
	link_add(x, EDGE_IF_VPC, "veth", t->net.mtu, l->plan.lb_mac);
	addr_add(x, EDGE_IF_VPC, EDGE_LB_INSIDE, 32);
	for (size_t i = 0; i < t->nservices; i++)
		if (t->services[i].type == TOPO_SVC_LOADBALANCER)
			addr_add(x, "lo", t->services[i].lb_ip, 32);
	route_add(x, RT_TABLE_MAIN, RTN_UNICAST, 0, 0, t->net.vpc_router, EDGE_IF_VPC);
	router_sysctls(x);
}

/* edge.c build_internet, build_host (the router's side). */
static void expect_internet(struct lab_expect *x, const struct lab *l)
{
	const struct lab_plan *p = &l->plan;
	const struct topo *t = &l->topo;

	snprintf(x->place, sizeof(x->place), "internet router");
	link_add(x, LAB_INET_BRIDGE_NAME, "bridge", t->net.mtu, p->inet_br_mac);
	addr_net_add(x, LAB_INET_BRIDGE_NAME, t->inet.router, t->inet.cidr.len);
	link_add(x, EDGE_IF_CLOUD, "veth", t->net.mtu, p->cloud_mac);
	route_add(x, RT_TABLE_MAIN, RTN_UNICAST, t->net.public_cidr.addr, t->net.public_cidr.len,
		  t->net.gateway_ip, EDGE_IF_CLOUD);
	for (size_t i = 0; i < t->inet.nhosts; i++)
		port_add(x, p->hosts[i].host_if, t->net.mtu, p->hosts[i].host_mac,
			 LAB_INET_BRIDGE_NAME, 0);
	router_sysctls(x);
}

/* setup.c build_node_ns, build_node_net, queue_vxlan, queue_pod_host. */
static void expect_node(struct lab_expect *x, const struct lab *l, size_t i,
			const char *conntrack_max)
{
	const struct lab_plan *p = &l->plan;
	const struct topo *t = &l->topo;
	const struct topo_node *n = &t->nodes[i];
	const struct lab_plan_node *pn = &p->nodes[i];
	bool vpc = t->net.mode == TOPO_MODE_VPC, vxlan = t->net.mode == TOPO_MODE_VXLAN;
	bool bgp = t->net.mode == TOPO_MODE_BGP;

	snprintf(x->place, sizeof(x->place), "node %s", n->name);
	link_add(x, "eth0", "veth", t->net.mtu, pn->eth_mac);
	addr_net_add(x, "eth0", n->ip, t->net.vpc_cidr.len);
	route_add(x, RT_TABLE_MAIN, RTN_UNICAST, 0, 0, t->net.vpc_router, "eth0");
	if (!vpc) {
		link_add(x, LAB_BRIDGE_NAME, "bridge", pod_mtu(t), pn->br_mac);
		addr_net_add(x, LAB_BRIDGE_NAME, n->gw, n->pod_cidr.len);
	}
	if (vxlan) {
		link_add(x, LAB_VXLAN_NAME, "vxlan", t->net.mtu - LAB_VXLAN_OVERHEAD, pn->vtep_mac);
		addr_add(x, LAB_VXLAN_NAME, n->pod_cidr.addr, 32);
		x->read_fdb = true;
	}
	for (size_t k = 0; k < t->nnodes; k++) {
		const struct topo_node *peer = &t->nodes[k];

		if (k == i || vpc)
			continue;
		if (vxlan) {
			route_add(x, RT_TABLE_MAIN, RTN_UNICAST, peer->pod_cidr.addr,
				  peer->pod_cidr.len, peer->pod_cidr.addr, LAB_VXLAN_NAME);
			neigh_add(x, &x->neighs, &x->nneighs, LAB_VXLAN_NAME, peer->pod_cidr.addr,
				  p->nodes[k].vtep_mac);
			neigh_add(x, &x->fdb, &x->nfdb, LAB_VXLAN_NAME, peer->ip,
				  p->nodes[k].vtep_mac);
		} else {
			route_add(x, RT_TABLE_MAIN, RTN_UNICAST, peer->pod_cidr.addr,
				  peer->pod_cidr.len, peer->ip, "eth0");
			/* bgp: not setup's route but BIRD's, learned from the peer. */
			if (bgp && x->nroutes && !x->err) {
				x->routes[x->nroutes - 1].proto = BGP_RTPROT_BIRD;
				x->routes[x->nroutes - 1].metric = BIRD_KERNEL_METRIC;
			}
		}
	}
	if (bgp)
		bgp_speaker_add(x, l, i);
	for (size_t k = 0; k < t->npods; k++) {
		const struct lab_plan_pod *pp = &p->pods[k];

		if (t->pods[k].node != i)
			continue;
		port_add(x, pp->host_if, pod_mtu(t), pp->host_mac, vpc ? NULL : LAB_BRIDGE_NAME, 1);
		if (vpc) {
			route_add(x, RT_TABLE_MAIN, RTN_UNICAST, t->pods[k].ip, 32, 0, pp->host_if);
			neigh_add(x, &x->proxies, &x->nproxies, "eth0", t->pods[k].ip, NULL);
		}
	}
	x->read_proxies = true;
	router_sysctls(x);
	if (!vpc)
		sysctl_add(x, "net/bridge/bridge-nf-call-iptables", "1");
	if (conntrack_max && conntrack_max[0])
		sysctl_add(x, "net/netfilter/nf_conntrack_max", conntrack_max);
}

/* setup.c queue_pod_inside; its containers. */
static void expect_pod(struct lab_expect *x, const struct lab *l, size_t i)
{
	const struct topo *t = &l->topo;
	const struct topo_pod *tp = &t->pods[i];
	const struct topo_node *n = &t->nodes[tp->node];
	char what[sizeof(((struct exp_proc *)0)->what)];

	snprintf(x->place, sizeof(x->place), "pod %s/%s", tp->ns, tp->name);
	link_add(x, "eth0", "veth", pod_mtu(t), l->plan.pods[i].mac);
	if (t->net.mode != TOPO_MODE_VPC) {
		addr_net_add(x, "eth0", tp->ip, n->pod_cidr.len);
		route_add(x, RT_TABLE_MAIN, RTN_UNICAST, 0, 0, n->gw, "eth0");
	} else {
		addr_add(x, "eth0", tp->ip, 32);
		route_add(x, RT_TABLE_MAIN, RTN_UNICAST, VPC_GW_IP, 32, 0, "eth0");
		neigh_add(x, &x->neighs, &x->nneighs, "eth0", VPC_GW_IP, vpc_gw_mac);
		route_add(x, RT_TABLE_MAIN, RTN_UNICAST, 0, 0, VPC_GW_IP, "eth0");
	}
	for (size_t c = 0; c < tp->ncontainers; c++) {
		const struct topo_container *tc = &tp->containers[c];

		snprintf(what, sizeof(what), "container %s/%s %s", tp->ns, tp->name, tc->name);
		proc_add(x, what, l->pids ? l->pids[i][c] : 0, tc->image, tc->ports, tc->nports);
	}
}

/* edge.c build_host. */
static void expect_host(struct lab_expect *x, const struct lab *l, size_t i)
{
	const struct topo *t = &l->topo;
	const struct topo_inet_host *h = &t->inet.hosts[i];
	char what[sizeof(((struct exp_proc *)0)->what)];

	snprintf(x->place, sizeof(x->place), "internet host %s", h->name);
	link_add(x, "eth0", "veth", t->net.mtu, l->plan.hosts[i].mac);
	addr_net_add(x, "eth0", h->ip, t->inet.cidr.len);
	route_add(x, RT_TABLE_MAIN, RTN_UNICAST, 0, 0, t->inet.router, "eth0");
	if (h->image != TOPO_IMAGE_NONE) {
		snprintf(what, sizeof(what), "internet host %s", h->name);
		proc_add(x, what, l->inet_pids ? l->inet_pids[i] : 0, h->image, h->ports, h->nports);
	}
}

size_t lab_expect_count(const struct lab *l)
{
	return 4 + l->topo.nnodes + l->topo.npods + l->topo.inet.nhosts;
}

const char *lab_expect_netns(const struct lab *l, size_t k)
{
	const struct lab_plan *p = &l->plan;
	const char *edge[] = { p->vpc_netns, p->gw_netns, p->lb_netns, p->inet_netns };

	if (k < 4)
		return edge[k];
	k -= 4;
	if (k < l->topo.nnodes)
		return p->nodes[k].netns;
	k -= l->topo.nnodes;
	if (k < l->topo.npods)
		return p->pods[k].netns;
	k -= l->topo.npods;
	return k < l->topo.inet.nhosts ? p->hosts[k].netns : NULL;
}

int lab_expect_make(const struct lab *l, size_t k, const char *conntrack_max,
		    struct lab_expect *x)
{
	static const enum exp_role edge[] = { EXP_VPC, EXP_GATEWAY, EXP_LB, EXP_INTERNET };
	size_t nn = l->topo.nnodes, np = l->topo.npods;

	memset(x, 0, sizeof(*x));
	x->netns = lab_expect_netns(l, k);
	if (!x->netns)
		return -ENOENT;
	ns_common(x, l);
	if (k < 4) {
		x->role = edge[k];
		x->index = 0;
	} else if (k - 4 < nn) {
		x->role = EXP_NODE;
		x->index = k - 4;
	} else if (k - 4 - nn < np) {
		x->role = EXP_POD;
		x->index = k - 4 - nn;
	} else {
		x->role = EXP_HOST;
		x->index = k - 4 - nn - np;
	}
	switch (x->role) {
	case EXP_VPC:
		expect_vpc(x, l);
		break;
	case EXP_GATEWAY:
		expect_gateway(x, l);
		break;
	case EXP_LB:
		expect_lb(x, l);
		break;
	case EXP_INTERNET:
		expect_internet(x, l);
		break;
	case EXP_NODE:
		expect_node(x, l, x->index, conntrack_max);
		break;
	case EXP_POD:
		expect_pod(x, l, x->index);
		break;
	case EXP_HOST:
		expect_host(x, l, x->index);
		break;
	}
	if (x->err)
		lab_expect_free(x);
	return x->err;
}

/* Build one part with fn into a batch, and add what it would create. */
static int nft_part(struct nft_ruleset *rs, int (*fn)(struct nft_batch *, const struct topo *),
		    const struct topo *t)
{
	struct nft_batch *b = nft_batch_new_sized(EXPECT_BATCH_PAGE);
	int ret = b ? fn(b, t) : -ENOMEM;

	if (ret == 0)
		ret = nft_ruleset_add_batch(rs, b);
	nft_batch_free(b);
	return ret;
}

int lab_expect_nft(const struct lab *l, const struct lab_expect *x, struct nft_ruleset *rs)
{
	const struct topo *t = &l->topo;
	struct nft_batch *b;
	int ret;

	switch (x->role) {
	case EXP_VPC:
		return nft_part(rs, edge_vpc_build, t);
	case EXP_GATEWAY:
		return nft_part(rs, edge_gateway_build, t);
	case EXP_LB:
		return nft_part(rs, edge_lb_build, t);
	case EXP_NODE:
		/* Setup sends kube-proxy's rules in parts (proxy_install); the
		 * parts together are this one batch. */
		b = nft_batch_new_sized(EXPECT_BATCH_PAGE);
		ret = b ? proxy_build(b, t, x->index, 0, t->nservices) : -ENOMEM;
		if (ret == 0)
			ret = nft_ruleset_add_batch(rs, b);
		nft_batch_free(b);
		if (ret == 0)
			ret = nft_part(rs, edge_masq_build, t);
		/* The NetworkPolicy table (setup's build_node_policy). */
		b = ret ? NULL : nft_batch_new_sized(EXPECT_BATCH_PAGE);
		if (ret == 0)
			ret = b ? policy_build(b, t, x->index) : -ENOMEM;
		if (ret == 0)
			ret = nft_ruleset_add_batch(rs, b);
		nft_batch_free(b);
		return ret;
	default:
		return 0;	/* pods, hosts and the internet router have no table */
	}
}

void lab_expect_free(struct lab_expect *x)
{
	free(x->links);
	free(x->addrs);
	free(x->routes);
	free(x->rules);
	free(x->neighs);
	free(x->proxies);
	free(x->fdb);
	free(x->sysctls);
	free(x->procs);
	free(x->sessions);
	x->sessions = NULL;
	x->nsessions = 0;
	x->links = NULL;
	x->addrs = NULL;
	x->routes = NULL;
	x->rules = NULL;
	x->neighs = x->proxies = x->fdb = NULL;
	x->sysctls = NULL;
	x->procs = NULL;
	x->nlinks = x->naddrs = x->nroutes = x->nrules = 0;
	x->nneighs = x->nproxies = x->nfdb = x->nsysctls = x->nprocs = 0;
}
