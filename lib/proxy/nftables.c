/* nftables — kube-proxy's nftables-mode layout for one node; see proxy.h.
 *
 * The skeleton, its sets and maps, the base chains with their priorities and
 * every per-Service chain read the same under `nft list table ip kube-proxy`
 * as on a real node (../shared/fixtures/kube-proxy). podpath adds comments
 * naming the Service on map elements and the endpoint on DNAT rules.
 *
 * Pod traffic is told from other traffic by the cluster CIDR (kube-proxy's
 * --cluster-cidr; in vpc mode pods live in the VPC subnet). NodePorts answer
 * on the node's own IP (--nodeport-addresses primary, the default). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/set.h>

#include "proxy/internal.h"

#define T PROXY_NFT_TABLE
#define FAM PROXY_FAM
#define MARK PROXY_MASQ_MARK
#define BASE PROXY_BASE

/* Maps and sets shared by all Services; elements are gathered while
 * Services are built and sent once, after the chains they point to. */
enum { M_CLUSTER_IPS, M_NODEPORT_IPS, M_FIREWALL_IPS, M_NOEP_NODEPORTS, M_NOEP_SERVICES,
       M_SERVICE_IPS, M_SERVICE_NODEPORTS, M_COUNT };

static const struct {
	const char *name, *comment;
	enum nft_key key;
	bool vmap;
} maps[M_COUNT] = {
	[M_CLUSTER_IPS] = { "cluster-ips", "Active ClusterIPs", NFT_KEY_DADDR, false },
	[M_NODEPORT_IPS] = { "nodeport-ips", "IPs that accept NodePort traffic",
			     NFT_KEY_DADDR, false },
	[M_FIREWALL_IPS] = { "firewall-ips",
			     "destinations that are subject to LoadBalancerSourceRanges",
			     NFT_KEY_DADDR_PROTO_DPORT, true },
	[M_NOEP_NODEPORTS] = { "no-endpoint-nodeports",
			       "vmap to drop or reject packets to service nodeports with no endpoints",
			       NFT_KEY_PROTO_DPORT, true },
	[M_NOEP_SERVICES] = { "no-endpoint-services",
			      "vmap to drop or reject packets to services with no endpoints",
			      NFT_KEY_DADDR_PROTO_DPORT, true },
	[M_SERVICE_IPS] = { "service-ips", "ClusterIP, ExternalIP and LoadBalancer IP traffic",
			    NFT_KEY_DADDR_PROTO_DPORT, true },
	[M_SERVICE_NODEPORTS] = { "service-nodeports", "NodePort traffic",
				  NFT_KEY_PROTO_DPORT, true },
};

struct ctx {
	struct proxy_ctx pc;
	struct nftnl_set *m[M_COUNT];	/* gathered elements */
};

static struct nftnl_set *map_obj(int i)
{
	struct nft_set_spec sp = { .family = FAM, .table = T, .name = maps[i].name,
				   .key = maps[i].key, .vmap = maps[i].vmap,
				   .comment = maps[i].comment };

	return nft_set_new(&sp);
}

static void rule_put(struct ctx *c, struct nft_rb *rb, long tag)
{
	proxy_rule_put(&c->pc, rb, tag);
}

/* chain: KEY vmap @map (after daddr @nodeport-ips when nodeport). */
static void vmap_rule(struct ctx *c, const char *chain_name, bool nodeport, enum nft_key k,
		      const char *map)
{
	struct nft_rb rb;

	nft_rb_start(&rb, FAM, T, chain_name);
	if (nodeport)
		nft_rb_lookup(&rb, NFT_KEY_DADDR, "nodeport-ips", 0, false);
	nft_rb_lookup(&rb, k, map, 0, true);
	rule_put(c, &rb, BASE);
}

static void skeleton(struct ctx *c)
{
	struct proxy_ctx *pc = &c->pc;
	const struct topo_node *n = &pc->t->nodes[pc->node];
	struct nft_chain_spec reject = {
		.family = FAM, .table = T, .name = "reject-chain", .hook = -1,
		.comment = "helper for @no-endpoint-services / @no-endpoint-nodeports" };
	struct nft_rb rb;

	proxy_ok(pc, nft_batch_table(pc->b, NFT_MSG_NEWTABLE, FAM, T, "rules for kube-proxy", 0, BASE));
	for (int i = 0; i < M_COUNT; i++)
		proxy_ok(pc, nft_batch_set(pc->b, NFT_MSG_NEWSET, c->m[i], BASE));
	proxy_chain(pc, T, "cluster-ips-check", BASE);
	proxy_base_chain(pc, T, "filter-prerouting-pre-dnat", "filter", NF_INET_PRE_ROUTING, -110);
	proxy_base_chain(pc, T, "filter-output-pre-dnat", "filter", NF_INET_LOCAL_OUT, -110);
	proxy_base_chain(pc, T, "filter-forward", "filter", NF_INET_FORWARD, 0);
	proxy_base_chain(pc, T, "filter-input", "filter", NF_INET_LOCAL_IN, 0);
	proxy_base_chain(pc, T, "filter-output", "filter", NF_INET_LOCAL_OUT, 0);
	proxy_chain(pc, T, "firewall-check", BASE);
	proxy_chain(pc, T, "mark-for-masquerade", BASE);
	proxy_chain(pc, T, "masquerading", BASE);
	proxy_base_chain(pc, T, "nat-output", "nat", NF_INET_LOCAL_OUT, -100);
	proxy_base_chain(pc, T, "nat-postrouting", "nat", NF_INET_POST_ROUTING, 100);
	proxy_base_chain(pc, T, "nat-prerouting", "nat", NF_INET_PRE_ROUTING, -100);
	proxy_chain(pc, T, "nodeport-endpoints-check", BASE);
	proxy_ok(pc, nft_batch_chain(pc->b, NFT_MSG_NEWCHAIN, &reject, BASE));
	proxy_chain(pc, T, "services", BASE);
	proxy_chain(pc, T, "service-endpoints-check", BASE);

	nft_rb_start(&rb, FAM, T, "cluster-ips-check");
	nft_rb_lookup(&rb, NFT_KEY_DADDR, "cluster-ips", 0, false);
	nft_rb_reject(&rb);
	nft_rb_comment(&rb, "Reject traffic to invalid ports of ClusterIPs");
	rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, T, "cluster-ips-check");
	nft_rb_match_net(&rb, NFT_KEY_DADDR, NFT_EQ, pc->t->net.service_cidr);
	nft_rb_verdict(&rb, NF_DROP, NULL);
	nft_rb_comment(&rb, "Drop traffic to unallocated ClusterIPs");
	rule_put(c, &rb, BASE);

	proxy_jump(pc, T, "filter-prerouting-pre-dnat", true, "firewall-check", NULL);
	proxy_jump(pc, T, "filter-output-pre-dnat", true, "firewall-check", NULL);
	proxy_jump(pc, T, "filter-forward", true, "service-endpoints-check", NULL);
	proxy_jump(pc, T, "filter-forward", true, "cluster-ips-check", NULL);
	proxy_jump(pc, T, "filter-input", true, "nodeport-endpoints-check", NULL);
	proxy_jump(pc, T, "filter-input", true, "service-endpoints-check", NULL);
	proxy_jump(pc, T, "filter-output", true, "service-endpoints-check", NULL);
	proxy_jump(pc, T, "filter-output", true, "cluster-ips-check", NULL);
	vmap_rule(c, "firewall-check", false, NFT_KEY_DADDR_PROTO_DPORT, "firewall-ips");

	proxy_masq_rules(pc, T, "mark-for-masquerade", "masquerading", NULL);

	proxy_jump(pc, T, "nat-output", false, "services", NULL);
	proxy_jump(pc, T, "nat-postrouting", false, "masquerading", NULL);
	proxy_jump(pc, T, "nat-prerouting", false, "services", NULL);
	vmap_rule(c, "nodeport-endpoints-check", true, NFT_KEY_PROTO_DPORT, "no-endpoint-nodeports");

	nft_rb_start(&rb, FAM, T, "reject-chain");
	nft_rb_reject(&rb);
	rule_put(c, &rb, BASE);
	vmap_rule(c, "services", false, NFT_KEY_DADDR_PROTO_DPORT, "service-ips");
	vmap_rule(c, "services", true, NFT_KEY_PROTO_DPORT, "service-nodeports");
	vmap_rule(c, "service-endpoints-check", false, NFT_KEY_DADDR_PROTO_DPORT,
		  "no-endpoint-services");
	proxy_ok(pc, nft_set_elem_add(c->m[M_NODEPORT_IPS], NFT_KEY_DADDR, n->ip, 0, 0, 0, NULL,
				      NULL));
}

/* ---- one Service port -------------------------------------------------------- */

struct names {
	char svc[PROXY_NAME_MAX], ext[PROXY_NAME_MAX], loc[PROXY_NAME_MAX];
};

static void ep_names(const struct proxy_port *pp, uint32_t ip, uint16_t port,
		     char *chain_name, char *set_name)
{
	proxy_nft_endpoint_chain(chain_name, PROXY_NAME_MAX, "endpoint", &pp->id, ip, port);
	proxy_nft_endpoint_chain(set_name, PROXY_NAME_MAX, "affinity", &pp->id, ip, port);
}

/* A map element. Added ones are gathered and sent after the chains they
 * point to; removed ones go at once, before the chains are removed. */
static void elem_v(struct ctx *c, int m, uint32_t ip, uint16_t port, uint8_t proto,
		   int verdict, const char *target, const char *comment, long tag)
{
	char cut[PROXY_NFT_COMMENT_MAX + 1];
	struct nftnl_set *one;

	if (!c->pc.del) {
		/* Cut as kube-proxy cuts, on purpose. */
		snprintf(cut, sizeof(cut), "%.*s", PROXY_NFT_COMMENT_MAX, comment ? comment : "");
		proxy_ok(&c->pc, nft_set_elem_add(c->m[m], maps[m].key, ip, proto, port, verdict,
						  target, comment ? cut : NULL));
		return;
	}
	one = map_obj(m);
	if (!one || nft_set_elem_add(one, maps[m].key, ip, proto, port, verdict, target, NULL))
		proxy_ok(&c->pc, -ENOMEM);
	else
		proxy_ok(&c->pc, nft_batch_elems(c->pc.b, NFT_MSG_DELSETELEM, one, tag));
	if (one)
		nftnl_set_free(one);
}

/* An element whose verdict is `goto target`. */
static void elem(struct ctx *c, int m, uint32_t ip, uint16_t port, uint8_t proto,
		 const char *target, const char *comment, long tag)
{
	elem_v(c, m, ip, port, proto, NFT_GOTO, target, comment, tag);
}

/* endpoint-...: hairpin mark, affinity update, DNAT. */
static void endpoint_rules(struct ctx *c, const struct proxy_port *pp, uint32_t ip,
			   uint16_t port, const char *chain_name, const char *aff_set)
{
	struct nft_rb rb;
	char full[sizeof(pp->label) + 32], comment[PROXY_NFT_COMMENT_MAX + 1], a[16];

	/* A pod reaching its own Service is DNATed back to itself: masquerade,
	 * or its reply to itself would skip the un-DNAT. */
	nft_rb_start(&rb, FAM, T, chain_name);
	nft_rb_match(&rb, NFT_KEY_SADDR, NFT_EQ, ip);
	nft_rb_verdict(&rb, NFT_JUMP, "mark-for-masquerade");
	rule_put(c, &rb, pp->tag);
	if (pp->s->affinity) {
		nft_rb_start(&rb, FAM, T, chain_name);
		nft_rb_set_update_saddr(&rb, aff_set, 0);
		rule_put(c, &rb, pp->tag);
	}
	nft_rb_start(&rb, FAM, T, chain_name);
	nft_rb_match(&rb, NFT_KEY_L4PROTO, NFT_EQ, pp->proto);
	nft_rb_dnat(&rb, ip, port);
	snprintf(full, sizeof(full), "%s -> %s:%u", pp->label, addr_fmt(ip, a), port);
	/* Cut as kube-proxy cuts (PROXY_NFT_COMMENT_MAX), on purpose. */
	snprintf(comment, sizeof(comment), "%.*s", PROXY_NFT_COMMENT_MAX, full);
	nft_rb_comment(&rb, comment);
	rule_put(c, &rb, pp->tag);
}

/* chain: [affinity look-ups] numgen random mod N vmap { i : goto endpoint-... }
 * over the port's endpoints, or only those on this node (a local- chain). */
static void endpoint_dispatch(struct ctx *c, const struct proxy_port *pp, const char *chain,
			      bool local)
{
	struct proxy_ctx *pc = &c->pc;
	struct nft_set_spec ss = { .family = FAM, .table = T, .key = NFT_KEY_NUMGEN, .vmap = true,
				   .anonymous = true, .id = nft_batch_set_id(pc->b) };
	char map[32], ep_chain[PROXY_NAME_MAX], aff[PROXY_NAME_MAX];
	struct nftnl_set *vm;
	struct nft_rb rb;
	uint32_t ip, k = 0;
	uint16_t port;

	nft_batch_anon_name(pc->b, map, sizeof(map));
	ss.name = map;
	vm = nft_set_new(&ss);
	if (!vm) {
		proxy_ok(pc, -ENOMEM);
		return;
	}
	/* Returning clients go where they went before (sessionAffinity). */
	for (size_t e = 0; e < pp->s->nendpoints; e++) {
		if (!proxy_port_ep(pp, pc->t, e, local, &ip, &port))
			continue;
		ep_names(pp, ip, port, ep_chain, aff);
		proxy_ok(pc, nft_set_elem_add(vm, NFT_KEY_NUMGEN, k++, 0, 0, NFT_GOTO, ep_chain, NULL));
		if (!pp->s->affinity)
			continue;
		nft_rb_start(&rb, FAM, T, chain);
		nft_rb_lookup(&rb, NFT_KEY_SADDR, aff, 0, false);
		nft_rb_verdict(&rb, NFT_GOTO, ep_chain);
		rule_put(c, &rb, pp->tag);
	}
	proxy_ok(pc, nft_batch_set(pc->b, NFT_MSG_NEWSET, vm, pp->tag));
	proxy_ok(pc, nft_batch_elems(pc->b, NFT_MSG_NEWSETELEM, vm, pp->tag));
	nftnl_set_free(vm);
	nft_rb_start(&rb, FAM, T, chain);
	nft_rb_numgen_vmap(&rb, k, map, ss.id);
	rule_put(c, &rb, pp->tag);
}

/* external-...: traffic from outside (NodePort, LoadBalancer IP). Cluster
 * policy masquerades all of it; Local keeps the client's address and uses
 * only this node's endpoints, except for pods and the node itself, which
 * are sent to the whole Service as kube-proxy does. */
static void external_rules(struct ctx *c, const struct proxy_port *pp, const struct names *nm)
{
	struct proxy_ctx *pc = &c->pc;
	struct nft_rb rb;

	proxy_chain(pc, T, nm->ext, pp->tag);
	if (!pp->local) {
		nft_rb_start(&rb, FAM, T, nm->ext);
		nft_rb_verdict(&rb, NFT_JUMP, "mark-for-masquerade");
		rule_put(c, &rb, pp->tag);
		nft_rb_start(&rb, FAM, T, nm->ext);
		nft_rb_verdict(&rb, NFT_GOTO, nm->svc);
		rule_put(c, &rb, pp->tag);
		return;
	}
	nft_rb_start(&rb, FAM, T, nm->ext);
	nft_rb_match_net(&rb, NFT_KEY_SADDR, NFT_EQ, pc->pods);
	nft_rb_verdict(&rb, NFT_GOTO, nm->svc);
	nft_rb_comment(&rb, "short-circuit pod traffic");
	rule_put(c, &rb, pp->tag);
	nft_rb_start(&rb, FAM, T, nm->ext);
	nft_rb_fib_local(&rb, false);
	nft_rb_verdict(&rb, NFT_JUMP, "mark-for-masquerade");
	nft_rb_comment(&rb, "masquerade local traffic");
	rule_put(c, &rb, pp->tag);
	nft_rb_start(&rb, FAM, T, nm->ext);
	nft_rb_fib_local(&rb, false);
	nft_rb_verdict(&rb, NFT_GOTO, nm->svc);
	nft_rb_comment(&rb, "short-circuit local traffic");
	rule_put(c, &rb, pp->tag);
	if (!pp->nlocal)
		return;		/* the rest is dropped by @no-endpoint-* first */
	proxy_chain(pc, T, nm->loc, pp->tag);
	endpoint_dispatch(c, pp, nm->loc, true);
	nft_rb_start(&rb, FAM, T, nm->ext);
	nft_rb_verdict(&rb, NFT_GOTO, nm->loc);
	rule_put(c, &rb, pp->tag);
}

/* The endpoints of this port: chains (and affinity sets) first, then the
 * service chain whose random vmap picks one, then the external chain. */
static void service_port_add(struct ctx *c, const struct proxy_port *pp, const struct names *nm)
{
	struct proxy_ctx *pc = &c->pc;
	const struct topo_service *s = pp->s;
	char ep_chain[PROXY_NAME_MAX], aff[PROXY_NAME_MAX];
	struct nft_rb rb;
	uint32_t ip;
	uint16_t port;

	for (size_t e = 0; e < s->nendpoints; e++) {
		if (!proxy_port_ep(pp, pc->t, e, false, &ip, &port))
			continue;
		ep_names(pp, ip, port, ep_chain, aff);
		if (s->affinity)
			proxy_affinity_set(pc, T, aff, s->affinity_timeout, pp->tag);
		proxy_chain(pc, T, ep_chain, pp->tag);
		endpoint_rules(c, pp, ip, port, ep_chain, aff);
	}
	proxy_chain(pc, T, nm->svc, pp->tag);
	nft_rb_start(&rb, FAM, T, nm->svc);
	nft_rb_match(&rb, NFT_KEY_DADDR, NFT_EQ, s->cluster_ip);
	nft_rb_match_net(&rb, NFT_KEY_SADDR, NFT_NE, pc->pods);
	nft_rb_verdict(&rb, NFT_JUMP, "mark-for-masquerade");
	rule_put(c, &rb, pp->tag);
	endpoint_dispatch(c, pp, nm->svc, false);
	if (pp->p->node_port)
		external_rules(c, pp, nm);
}

/* Remove what service_port_add made: the rules that jump first, then the
 * chains and sets they pointed to. */
static void service_port_del(struct ctx *c, const struct proxy_port *pp, const struct names *nm)
{
	struct proxy_ctx *pc = &c->pc;
	char ep_chain[PROXY_NAME_MAX], aff[PROXY_NAME_MAX];
	uint32_t ip;
	uint16_t port;

	bool loc = pp->local && pp->nlocal;

	if (pp->p->node_port)
		proxy_ok(pc, nft_batch_chain_flush(pc->b, FAM, T, nm->ext, pp->tag));
	if (loc)
		proxy_ok(pc, nft_batch_chain_flush(pc->b, FAM, T, nm->loc, pp->tag));
	proxy_ok(pc, nft_batch_chain_flush(pc->b, FAM, T, nm->svc, pp->tag));
	for (size_t e = 0; e < pp->s->nendpoints; e++) {
		if (!proxy_port_ep(pp, pc->t, e, false, &ip, &port))
			continue;
		ep_names(pp, ip, port, ep_chain, aff);
		proxy_ok(pc, nft_batch_chain_flush(pc->b, FAM, T, ep_chain, pp->tag));
	}
	if (pp->p->node_port)
		proxy_chain(pc, T, nm->ext, pp->tag);
	if (loc)
		proxy_chain(pc, T, nm->loc, pp->tag);
	proxy_chain(pc, T, nm->svc, pp->tag);
	for (size_t e = 0; e < pp->s->nendpoints; e++) {
		if (!proxy_port_ep(pp, pc->t, e, false, &ip, &port))
			continue;
		ep_names(pp, ip, port, ep_chain, aff);
		proxy_chain(pc, T, ep_chain, pp->tag);
		if (pp->s->affinity)
			proxy_affinity_set(pc, T, aff, 0, pp->tag);
	}
}

static void service(struct ctx *c, size_t si)
{
	const struct topo_service *s = &c->pc.t->services[si];

	if (s->type == TOPO_SVC_HEADLESS)
		return;		/* DNS only: kube-proxy ignores headless Services */
	if (!c->pc.del)
		proxy_ok(&c->pc, nft_set_elem_add(c->m[M_CLUSTER_IPS], NFT_KEY_DADDR, s->cluster_ip,
						  0, 0, 0, NULL, NULL));
	for (size_t pi = 0; pi < s->nports; pi++) {
		struct proxy_port pp;
		struct names nm;
		char why[sizeof(pp.label) + 32];

		proxy_port_init(&pp, c->pc.t, si, pi, c->pc.node);
		proxy_nft_service_chain(nm.svc, sizeof(nm.svc), "service", &pp.id);
		proxy_nft_service_chain(nm.ext, sizeof(nm.ext), "external", &pp.id);
		proxy_nft_service_chain(nm.loc, sizeof(nm.loc), "local", &pp.id);
		if (!pp.neps) {
			/* No endpoints: refused at once instead of timing out. */
			elem(c, M_NOEP_SERVICES, s->cluster_ip, pp.p->port, pp.proto,
			     "reject-chain", pp.label, pp.tag);
			if (pp.lb_ip)
				elem(c, M_NOEP_SERVICES, pp.lb_ip, pp.p->port, pp.proto,
				     "reject-chain", pp.label, pp.tag);
			if (pp.p->node_port)
				elem(c, M_NOEP_NODEPORTS, 0, pp.p->node_port, pp.proto,
				     "reject-chain", pp.label, pp.tag);
			continue;
		}
		elem(c, M_SERVICE_IPS, s->cluster_ip, pp.p->port, pp.proto, nm.svc, pp.label, pp.tag);
		if (pp.lb_ip)
			elem(c, M_SERVICE_IPS, pp.lb_ip, pp.p->port, pp.proto, nm.ext, pp.label,
			     pp.tag);
		if (pp.p->node_port)
			elem(c, M_SERVICE_NODEPORTS, 0, pp.p->node_port, pp.proto, nm.ext, pp.label,
			     pp.tag);
		/* Local without endpoints here: traffic from outside is dropped
		 * (the cloud LB's health check keeps it from coming). */
		if (pp.local && !pp.nlocal) {
			snprintf(why, sizeof(why), "%s has no local endpoints", pp.label);
			elem_v(c, M_NOEP_NODEPORTS, 0, pp.p->node_port, pp.proto, NF_DROP, NULL,
			       why, pp.tag);
			if (pp.lb_ip)
				elem_v(c, M_NOEP_SERVICES, pp.lb_ip, pp.p->port, pp.proto, NF_DROP,
				       NULL, why, pp.tag);
		}
		if (c->pc.del)
			service_port_del(c, &pp, &nm);
		else
			service_port_add(c, &pp, &nm);
	}
	/* The ClusterIP leaves cluster-ips last: until then it is still known. */
	if (c->pc.del) {
		struct nftnl_set *one = map_obj(M_CLUSTER_IPS);

		if (!one || nft_set_elem_add(one, NFT_KEY_DADDR, s->cluster_ip, 0, 0, 0, NULL, NULL))
			proxy_ok(&c->pc, -ENOMEM);
		else
			proxy_ok(&c->pc, nft_batch_elems(c->pc.b, NFT_MSG_DELSETELEM, one, (long)si));
		if (one)
			nftnl_set_free(one);
	}
}

/* Send the gathered elements, after the chains they point to. */
static void elems_flush(struct ctx *c, long tag)
{
	for (int i = 0; i < M_COUNT; i++)	/* an empty set sends nothing */
		proxy_ok(&c->pc, nft_batch_elems(c->pc.b, NFT_MSG_NEWSETELEM, c->m[i], tag));
}

static int ctx_init(struct ctx *c, struct nft_batch *b, const struct topo *t, size_t node,
		    bool del)
{
	memset(c, 0, sizeof(*c));
	proxy_ctx_init(&c->pc, b, t, node, del);
	for (int i = 0; i < M_COUNT; i++)
		if (!(c->m[i] = map_obj(i)))
			return -ENOMEM;
	return 0;
}

static void ctx_free(struct ctx *c)
{
	for (int i = 0; i < M_COUNT; i++)
		if (c->m[i])
			nftnl_set_free(c->m[i]);
}

int proxy_nft_build(struct nft_batch *b, const struct topo *t, size_t node, size_t first,
		    size_t count)
{
	struct ctx c;
	int ret = ctx_init(&c, b, t, node, false);

	if (ret == 0) {
		if (first == 0)
			skeleton(&c);
		for (size_t i = first; i < first + count; i++)
			service(&c, i);
		elems_flush(&c, BASE);
		ret = c.pc.err;
	}
	ctx_free(&c);
	return ret;
}

int proxy_nft_service(struct nft_batch *b, const struct topo *t, size_t node, size_t svc,
		      bool del)
{
	struct ctx c;
	int ret = ctx_init(&c, b, t, node, del);

	if (ret == 0) {
		service(&c, svc);
		if (!del)
			elems_flush(&c, (long)svc);
		ret = c.pc.err;
	}
	ctx_free(&c);
	return ret;
}
