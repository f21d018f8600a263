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

#include "proxy/names.h"
#include "proxy/proxy.h"

#define T PROXY_NFT_TABLE
#define FAM NFPROTO_IPV4
#define MARK PROXY_MASQ_MARK
#define BASE (-1L)		/* tag of the skeleton's messages */

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
	struct nft_batch *b;
	const struct topo *t;
	size_t node;
	bool del;			/* remove the Service's objects instead */
	struct nftnl_set *m[M_COUNT];	/* element holders (names only) */
	struct cidr pods;		/* what counts as pod traffic */
	int err;
};

static struct nftnl_set *map_obj(int i)
{
	struct nft_set_spec sp = { .family = FAM, .table = T, .name = maps[i].name,
				   .key = maps[i].key, .vmap = maps[i].vmap,
				   .comment = maps[i].comment };

	return nft_set_new(&sp);
}

static void ok(struct ctx *c, int ret)
{
	if (ret < 0 && !c->err)
		c->err = ret;
}

/* Queue a finished rule and release it. */
static void rule_put(struct ctx *c, struct nft_rb *rb, long tag)
{
	if (rb->err)
		ok(c, rb->err);
	else
		ok(c, nft_batch_rule(c->b, rb->r, tag));
	nft_rb_free(rb);
}

static void chain(struct ctx *c, const char *name, long tag)
{
	struct nft_chain_spec cs = { .family = FAM, .table = T, .name = name, .hook = -1 };

	ok(c, nft_batch_chain(c->b, c->del ? NFT_MSG_DELCHAIN : NFT_MSG_NEWCHAIN, &cs, tag));
}

static void base_chain(struct ctx *c, const char *name, const char *kind, int hook, int prio)
{
	struct nft_chain_spec cs = { .family = FAM, .table = T, .name = name, .kind = kind,
				     .hook = hook, .prio = prio };

	ok(c, nft_batch_chain(c->b, NFT_MSG_NEWCHAIN, &cs, BASE));
}

/* chain: [ct state new] jump target. */
static void jump_rule(struct ctx *c, const char *chain_name, bool ct_new, const char *target)
{
	struct nft_rb rb;

	nft_rb_start(&rb, FAM, T, chain_name);
	if (ct_new)
		nft_rb_ct_new(&rb);
	nft_rb_verdict(&rb, NFT_JUMP, target);
	rule_put(c, &rb, BASE);
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
	const struct topo_node *n = &c->t->nodes[c->node];
	struct nft_rb rb;

	ok(c, nft_batch_table(c->b, NFT_MSG_NEWTABLE, FAM, T, "rules for kube-proxy", BASE));
	for (int i = 0; i < M_COUNT; i++)
		ok(c, nft_batch_set(c->b, NFT_MSG_NEWSET, c->m[i], BASE));
	chain(c, "cluster-ips-check", BASE);
	base_chain(c, "filter-prerouting-pre-dnat", "filter", NF_INET_PRE_ROUTING, -110);
	base_chain(c, "filter-output-pre-dnat", "filter", NF_INET_LOCAL_OUT, -110);
	base_chain(c, "filter-forward", "filter", NF_INET_FORWARD, 0);
	base_chain(c, "filter-input", "filter", NF_INET_LOCAL_IN, 0);
	base_chain(c, "filter-output", "filter", NF_INET_LOCAL_OUT, 0);
	chain(c, "firewall-check", BASE);
	chain(c, "mark-for-masquerade", BASE);
	chain(c, "masquerading", BASE);
	base_chain(c, "nat-output", "nat", NF_INET_LOCAL_OUT, -100);
	base_chain(c, "nat-postrouting", "nat", NF_INET_POST_ROUTING, 100);
	base_chain(c, "nat-prerouting", "nat", NF_INET_PRE_ROUTING, -100);
	chain(c, "nodeport-endpoints-check", BASE);
	{
		struct nft_chain_spec cs = {
			.family = FAM, .table = T, .name = "reject-chain", .hook = -1,
			.comment = "helper for @no-endpoint-services / @no-endpoint-nodeports" };

		ok(c, nft_batch_chain(c->b, NFT_MSG_NEWCHAIN, &cs, BASE));
	}
	chain(c, "services", BASE);
	chain(c, "service-endpoints-check", BASE);

	nft_rb_start(&rb, FAM, T, "cluster-ips-check");
	nft_rb_lookup(&rb, NFT_KEY_DADDR, "cluster-ips", 0, false);
	nft_rb_reject(&rb);
	nft_rb_comment(&rb, "Reject traffic to invalid ports of ClusterIPs");
	rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, T, "cluster-ips-check");
	nft_rb_match_net(&rb, NFT_KEY_DADDR, NFT_EQ, c->t->net.service_cidr);
	nft_rb_verdict(&rb, NF_DROP, NULL);
	nft_rb_comment(&rb, "Drop traffic to unallocated ClusterIPs");
	rule_put(c, &rb, BASE);

	jump_rule(c, "filter-prerouting-pre-dnat", true, "firewall-check");
	jump_rule(c, "filter-output-pre-dnat", true, "firewall-check");
	jump_rule(c, "filter-forward", true, "service-endpoints-check");
	jump_rule(c, "filter-forward", true, "cluster-ips-check");
	jump_rule(c, "filter-input", true, "nodeport-endpoints-check");
	jump_rule(c, "filter-input", true, "service-endpoints-check");
	jump_rule(c, "filter-output", true, "service-endpoints-check");
	jump_rule(c, "filter-output", true, "cluster-ips-check");
	vmap_rule(c, "firewall-check", false, NFT_KEY_DADDR_PROTO_DPORT, "firewall-ips");

	nft_rb_start(&rb, FAM, T, "mark-for-masquerade");
	nft_rb_mark_set(&rb, ~MARK, MARK);
	rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, T, "masquerading");
	nft_rb_match_mark(&rb, MARK, NFT_EQ, 0);
	nft_rb_verdict(&rb, NFT_RETURN, NULL);
	rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, T, "masquerading");
	nft_rb_mark_set(&rb, 0xffffffffu, MARK);
	rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, T, "masquerading");
	nft_rb_masquerade(&rb, true);
	rule_put(c, &rb, BASE);

	jump_rule(c, "nat-output", false, "services");
	jump_rule(c, "nat-postrouting", false, "masquerading");
	jump_rule(c, "nat-prerouting", false, "services");
	vmap_rule(c, "nodeport-endpoints-check", true, NFT_KEY_PROTO_DPORT, "no-endpoint-nodeports");

	nft_rb_start(&rb, FAM, T, "reject-chain");
	nft_rb_reject(&rb);
	rule_put(c, &rb, BASE);
	vmap_rule(c, "services", false, NFT_KEY_DADDR_PROTO_DPORT, "service-ips");
	vmap_rule(c, "services", true, NFT_KEY_PROTO_DPORT, "service-nodeports");
	vmap_rule(c, "service-endpoints-check", false, NFT_KEY_DADDR_PROTO_DPORT,
		  "no-endpoint-services");
	ok(c, nft_set_elem_add(c->m[M_NODEPORT_IPS], NFT_KEY_DADDR, n->ip, 0, 0, 0, NULL, NULL));
}

/* ---- one Service port -------------------------------------------------------- */

struct svc_port {
	const struct topo_service *s;
	const struct topo_svc_port *p;
	size_t pi;
	long tag;
	uint8_t proto;
	struct proxy_svc_port id;
	char svc_chain[PROXY_NAME_MAX], ext_chain[PROXY_NAME_MAX];
	char label[2 * TOPO_LABEL_MAX + 24];	/* "ns/name:port" as kube-proxy comments */
};

static void ep_names(const struct svc_port *sp, uint32_t ip, uint16_t port,
		     char *chain_name, char *set_name)
{
	proxy_nft_endpoint_chain(chain_name, PROXY_NAME_MAX, "endpoint", &sp->id, ip, port);
	proxy_nft_endpoint_chain(set_name, PROXY_NAME_MAX, "affinity", &sp->id, ip, port);
}

static const struct topo_pod *ep_pod(const struct ctx *c, const struct topo_endpoint *e)
{
	return &c->t->pods[e->pod];
}

/* A map element. Added ones are gathered and sent after the chains they
 * point to; removed ones go at once, before the chains are removed. */
static void elem(struct ctx *c, int m, uint32_t ip, uint16_t port, uint8_t proto, int verdict,
		 const char *target, const char *comment, long tag)
{
	struct nftnl_set *one;

	if (!c->del) {
		ok(c, nft_set_elem_add(c->m[m], maps[m].key, ip, proto, port, verdict, target,
				       comment));
		return;
	}
	one = map_obj(m);
	if (!one || nft_set_elem_add(one, maps[m].key, ip, proto, port, verdict, target, NULL))
		ok(c, -ENOMEM);
	else
		ok(c, nft_batch_elems(c->b, NFT_MSG_DELSETELEM, one, tag));
	if (one)
		nftnl_set_free(one);
}

/* endpoint-...: hairpin mark, affinity update, DNAT. */
static void endpoint_rules(struct ctx *c, const struct svc_port *sp, uint32_t ip, uint16_t port,
			   const char *chain_name, const char *aff_set)
{
	struct nft_rb rb;
	char comment[sizeof(sp->label) + 32], a[16];

	/* A pod reaching its own Service is DNATed back to itself: masquerade,
	 * or its reply to itself would skip the un-DNAT. */
	nft_rb_start(&rb, FAM, T, chain_name);
	nft_rb_match(&rb, NFT_KEY_SADDR, NFT_EQ, ip);
	nft_rb_verdict(&rb, NFT_JUMP, "mark-for-masquerade");
	rule_put(c, &rb, sp->tag);
	if (sp->s->affinity) {
		nft_rb_start(&rb, FAM, T, chain_name);
		nft_rb_set_update_saddr(&rb, aff_set, 0);
		rule_put(c, &rb, sp->tag);
	}
	nft_rb_start(&rb, FAM, T, chain_name);
	nft_rb_match(&rb, NFT_KEY_L4PROTO, NFT_EQ, sp->proto);
	nft_rb_dnat(&rb, ip, port);
	snprintf(comment, sizeof(comment), "%s -> %s:%u", sp->label, addr_fmt(ip, a), port);
	nft_rb_comment(&rb, comment);
	rule_put(c, &rb, sp->tag);
}

/* The endpoints of this port: chains (and affinity sets) first, then the
 * service chain whose random vmap picks one. */
static void service_port_add(struct ctx *c, struct svc_port *sp, size_t neps)
{
	const struct topo_service *s = sp->s;
	struct nftnl_set *vm = NULL;
	char ep_chain[PROXY_NAME_MAX], aff[PROXY_NAME_MAX];
	uint32_t id = nft_batch_set_id(c->b);
	struct nft_rb rb;
	uint32_t k = 0;

	for (size_t e = 0; e < s->nendpoints; e++) {
		uint16_t port = s->endpoints[e].port[sp->pi];
		uint32_t ip = ep_pod(c, &s->endpoints[e])->ip;

		if (!port)
			continue;
		ep_names(sp, ip, port, ep_chain, aff);
		if (s->affinity) {
			struct nft_set_spec ss = { .family = FAM, .table = T, .name = aff,
						   .key = NFT_KEY_SADDR, .size = 65535,
						   .timeout_ms = (uint64_t)s->affinity_timeout * 1000 };
			struct nftnl_set *as = nft_set_new(&ss);

			ok(c, as ? nft_batch_set(c->b, NFT_MSG_NEWSET, as, sp->tag) : -ENOMEM);
			if (as)
				nftnl_set_free(as);
		}
		chain(c, ep_chain, sp->tag);
		endpoint_rules(c, sp, ip, port, ep_chain, aff);
	}

	chain(c, sp->svc_chain, sp->tag);
	nft_rb_start(&rb, FAM, T, sp->svc_chain);
	nft_rb_match(&rb, NFT_KEY_DADDR, NFT_EQ, s->cluster_ip);
	nft_rb_match_net(&rb, NFT_KEY_SADDR, NFT_NE, c->pods);
	nft_rb_verdict(&rb, NFT_JUMP, "mark-for-masquerade");
	rule_put(c, &rb, sp->tag);
	{
		struct nft_set_spec ss = { .family = FAM, .table = T, .name = "__map%d",
					   .key = NFT_KEY_NUMGEN, .vmap = true, .anonymous = true,
					   .id = id };

		vm = nft_set_new(&ss);
		if (!vm)
			ok(c, -ENOMEM);
	}
	for (size_t e = 0; vm && e < s->nendpoints; e++) {
		uint16_t port = s->endpoints[e].port[sp->pi];
		uint32_t ip = ep_pod(c, &s->endpoints[e])->ip;

		if (!port)
			continue;
		ep_names(sp, ip, port, ep_chain, aff);
		/* Returning clients go where they went before (sessionAffinity). */
		if (s->affinity) {
			nft_rb_start(&rb, FAM, T, sp->svc_chain);
			nft_rb_lookup(&rb, NFT_KEY_SADDR, aff, 0, false);
			nft_rb_verdict(&rb, NFT_GOTO, ep_chain);
			rule_put(c, &rb, sp->tag);
		}
		ok(c, nft_set_elem_add(vm, NFT_KEY_NUMGEN, k++, 0, 0, NFT_GOTO, ep_chain, NULL));
	}
	if (vm) {
		ok(c, nft_batch_set(c->b, NFT_MSG_NEWSET, vm, sp->tag));
		ok(c, nft_batch_elems(c->b, NFT_MSG_NEWSETELEM, vm, sp->tag));
		nftnl_set_free(vm);
	}
	nft_rb_start(&rb, FAM, T, sp->svc_chain);
	nft_rb_numgen_vmap(&rb, (uint32_t)neps, "__map%d", id);
	rule_put(c, &rb, sp->tag);

	/* NodePort (and LoadBalancer) traffic comes from outside the cluster:
	 * always masqueraded (externalTrafficPolicy Cluster). */
	if (sp->p->node_port) {
		chain(c, sp->ext_chain, sp->tag);
		nft_rb_start(&rb, FAM, T, sp->ext_chain);
		nft_rb_verdict(&rb, NFT_JUMP, "mark-for-masquerade");
		rule_put(c, &rb, sp->tag);
		nft_rb_start(&rb, FAM, T, sp->ext_chain);
		nft_rb_verdict(&rb, NFT_GOTO, sp->svc_chain);
		rule_put(c, &rb, sp->tag);
	}
}

/* Remove what service_port_add made: references first (map elements, the
 * rules that jump), then the chains and sets they pointed to. */
static void service_port_del(struct ctx *c, struct svc_port *sp)
{
	const struct topo_service *s = sp->s;
	char ep_chain[PROXY_NAME_MAX], aff[PROXY_NAME_MAX];

	if (sp->p->node_port)
		ok(c, nft_batch_chain_flush(c->b, FAM, T, sp->ext_chain, sp->tag));
	ok(c, nft_batch_chain_flush(c->b, FAM, T, sp->svc_chain, sp->tag));
	for (size_t e = 0; e < s->nendpoints; e++) {
		uint16_t port = s->endpoints[e].port[sp->pi];

		if (!port)
			continue;
		ep_names(sp, ep_pod(c, &s->endpoints[e])->ip, port, ep_chain, aff);
		ok(c, nft_batch_chain_flush(c->b, FAM, T, ep_chain, sp->tag));
	}
	if (sp->p->node_port)
		chain(c, sp->ext_chain, sp->tag);
	chain(c, sp->svc_chain, sp->tag);
	for (size_t e = 0; e < s->nendpoints; e++) {
		uint16_t port = s->endpoints[e].port[sp->pi];

		if (!port)
			continue;
		ep_names(sp, ep_pod(c, &s->endpoints[e])->ip, port, ep_chain, aff);
		chain(c, ep_chain, sp->tag);
		if (s->affinity) {
			struct nft_set_spec ss = { .family = FAM, .table = T, .name = aff,
						   .key = NFT_KEY_SADDR };
			struct nftnl_set *as = nft_set_new(&ss);

			ok(c, as ? nft_batch_set(c->b, NFT_MSG_DELSET, as, sp->tag) : -ENOMEM);
			if (as)
				nftnl_set_free(as);
		}
	}
}

static void service(struct ctx *c, size_t si)
{
	const struct topo_service *s = &c->t->services[si];

	if (s->type == TOPO_SVC_HEADLESS)
		return;		/* DNS only: kube-proxy ignores headless Services */
	elem(c, M_CLUSTER_IPS, s->cluster_ip, 0, 0, 0, NULL, NULL, (long)si);
	for (size_t pi = 0; pi < s->nports; pi++) {
		struct svc_port sp = { .s = s, .p = &s->ports[pi], .pi = pi, .tag = (long)si };
		size_t neps = 0;

		sp.proto = sp.p->proto == TOPO_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
		sp.id = (struct proxy_svc_port){ s->ns, s->name, sp.p->name,
						 sp.proto == IPPROTO_UDP ? "udp" : "tcp" };
		proxy_nft_service_chain(sp.svc_chain, sizeof(sp.svc_chain), "service", &sp.id);
		proxy_nft_service_chain(sp.ext_chain, sizeof(sp.ext_chain), "external", &sp.id);
		snprintf(sp.label, sizeof(sp.label), "%s/%s:%s", s->ns, s->name,
			 sp.p->name[0] ? sp.p->name : "");
		for (size_t e = 0; e < s->nendpoints; e++)
			neps += s->endpoints[e].port[pi] != 0;
		if (!neps) {
			/* No endpoints: refused at once instead of timing out. */
			elem(c, M_NOEP_SERVICES, s->cluster_ip, sp.p->port, sp.proto, NFT_GOTO,
			     "reject-chain", sp.label, sp.tag);
			if (sp.p->node_port)
				elem(c, M_NOEP_NODEPORTS, 0, sp.p->node_port, sp.proto, NFT_GOTO,
				     "reject-chain", sp.label, sp.tag);
			continue;
		}
		elem(c, M_SERVICE_IPS, s->cluster_ip, sp.p->port, sp.proto, NFT_GOTO, sp.svc_chain,
		     sp.label, sp.tag);
		if (sp.p->node_port)
			elem(c, M_SERVICE_NODEPORTS, 0, sp.p->node_port, sp.proto, NFT_GOTO,
			     sp.ext_chain, sp.label, sp.tag);
		if (c->del)
			service_port_del(c, &sp);
		else
			service_port_add(c, &sp, neps);
	}
}

/* Send the gathered elements, after the chains they point to. */
static void elems_flush(struct ctx *c, long tag)
{
	for (int i = 0; i < M_COUNT; i++)	/* an empty set sends nothing */
		ok(c, nft_batch_elems(c->b, NFT_MSG_NEWSETELEM, c->m[i], tag));
}

static int ctx_init(struct ctx *c, struct nft_batch *b, const struct topo *t, size_t node,
		    bool del)
{
	memset(c, 0, sizeof(*c));
	c->b = b;
	c->t = t;
	c->node = node;
	c->del = del;
	c->pods = t->net.mode == TOPO_MODE_VPC ? t->net.vpc_cidr : t->net.cluster_cidr;
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

int proxy_nft_build(struct nft_batch *b, const struct topo *t, size_t node)
{
	struct ctx c;
	int ret = ctx_init(&c, b, t, node, false);

	if (ret == 0) {
		skeleton(&c);
		for (size_t i = 0; i < t->nservices; i++)
			service(&c, i);
		elems_flush(&c, BASE);
		ret = c.err;
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
		ret = c.err;
	}
	ctx_free(&c);
	return ret;
}
