/* iptables — kube-proxy's iptables-mode layout for one node, built as
 * nf_tables rules in tables "ip nat" and "ip filter"; see proxy.h.
 *
 * The chains, their order and their comments follow kube-proxy's iptables
 * proxier (../shared/fixtures/kube-proxy/iptables-expected-1.txt), with
 * native expressions where iptables uses matches:
 *   -m statistic --probability p   numgen random mod 1000000 < p * 1000000
 *   -m recent --set / --rcheck     update @KUBE-SEP-X / ip saddr @KUBE-SEP-X
 *   -m addrtype --dst-type LOCAL   fib daddr type local
 * What stays the same is the shape: KUBE-SERVICES is a list walked rule by
 * rule, one rule per Service port, so its cost grows with the Services
 * (where the nftables layout does one map lookup).
 *
 * Not built: KUBE-FIREWALL's localhost-NodePort rule (podpath serves no
 * NodePorts on 127.0.0.1) and the nfacct counters. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "proxy/internal.h"

#define NAT "nat"
#define FILTER "filter"
#define FAM PROXY_FAM
#define MARK PROXY_MASQ_MARK
#define BASE PROXY_BASE
/* numgen's range for a probability; 6 digits as iptables-save prints 10. */
#define PROB_SCALE 1000000u
/* The longest comment: "WHAT for ns/name:port external destinations". It
 * is kept whole, as iptables keeps it, for trace reads the Service back
 * from it; so every comment buffer here must fit what the kernel takes. */
#define COMMENT_LEN (sizeof(((struct proxy_port *)0)->label) + 64)
_Static_assert(COMMENT_LEN <= NFT_COMMENT_MAX + 1, "iptables-mode comments fit a rule's user data");

struct names {
	char svc[PROXY_NAME_MAX], ext[PROXY_NAME_MAX], loc[PROXY_NAME_MAX];
};

static void names_init(struct names *nm, const struct proxy_port *pp)
{
	proxy_ipt_service_chain(nm->svc, sizeof(nm->svc), "KUBE-SVC", &pp->id);
	proxy_ipt_service_chain(nm->ext, sizeof(nm->ext), "KUBE-EXT", &pp->id);
	proxy_ipt_service_chain(nm->loc, sizeof(nm->loc), "KUBE-SVL", &pp->id);
}

/* -m tcp -p tcp [-d ip] --dport port */
static void match_port(struct nft_rb *rb, const struct proxy_port *pp, uint32_t ip,
		       uint16_t port)
{
	nft_rb_match(rb, NFT_KEY_L4PROTO, NFT_EQ, pp->proto);
	if (ip)
		nft_rb_match(rb, NFT_KEY_DADDR, NFT_EQ, ip);
	nft_rb_match(rb, NFT_KEY_DPORT, NFT_EQ, port);
}

static void skeleton(struct proxy_ctx *c)
{
	static const char *const nat_chains[] = { "KUBE-SERVICES", "KUBE-NODEPORTS",
						  "KUBE-MARK-MASQ", "KUBE-POSTROUTING" };
	static const char *const filter_chains[] = {
		"KUBE-NODEPORTS", "KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FIREWALL",
		"KUBE-FORWARD", "KUBE-PROXY-FIREWALL" };
	struct nft_rb rb;

	proxy_ok(c, nft_batch_table(c->b, NFT_MSG_NEWTABLE, FAM, NAT, NULL, 0, BASE));
	proxy_ok(c, nft_batch_table(c->b, NFT_MSG_NEWTABLE, FAM, FILTER, NULL, 0, BASE));
	/* The built-in chains as iptables-nft makes them. */
	proxy_base_chain(c, NAT, "PREROUTING", "nat", NF_INET_PRE_ROUTING, -100);
	proxy_base_chain(c, NAT, "INPUT", "nat", NF_INET_LOCAL_IN, 100);
	proxy_base_chain(c, NAT, "OUTPUT", "nat", NF_INET_LOCAL_OUT, -100);
	proxy_base_chain(c, NAT, "POSTROUTING", "nat", NF_INET_POST_ROUTING, 100);
	proxy_base_chain(c, FILTER, "INPUT", "filter", NF_INET_LOCAL_IN, 0);
	proxy_base_chain(c, FILTER, "FORWARD", "filter", NF_INET_FORWARD, 0);
	proxy_base_chain(c, FILTER, "OUTPUT", "filter", NF_INET_LOCAL_OUT, 0);
	for (size_t i = 0; i < sizeof(nat_chains) / sizeof(nat_chains[0]); i++)
		proxy_chain(c, NAT, nat_chains[i], BASE);
	for (size_t i = 0; i < sizeof(filter_chains) / sizeof(filter_chains[0]); i++)
		proxy_chain(c, FILTER, filter_chains[i], BASE);

	/* kube-proxy's iptablesJumpChains. */
	proxy_jump(c, NAT, "PREROUTING", false, "KUBE-SERVICES", "kubernetes service portals");
	proxy_jump(c, NAT, "OUTPUT", false, "KUBE-SERVICES", "kubernetes service portals");
	proxy_jump(c, NAT, "POSTROUTING", false, "KUBE-POSTROUTING", "kubernetes postrouting rules");
	proxy_jump(c, FILTER, "INPUT", true, "KUBE-PROXY-FIREWALL",
		   "kubernetes load balancer firewall");
	proxy_jump(c, FILTER, "INPUT", false, "KUBE-NODEPORTS",
		   "kubernetes health check service ports");
	proxy_jump(c, FILTER, "INPUT", true, "KUBE-EXTERNAL-SERVICES",
		   "kubernetes externally-visible service portals");
	proxy_jump(c, FILTER, "INPUT", false, "KUBE-FIREWALL", NULL);
	proxy_jump(c, FILTER, "FORWARD", true, "KUBE-PROXY-FIREWALL",
		   "kubernetes load balancer firewall");
	proxy_jump(c, FILTER, "FORWARD", false, "KUBE-FORWARD", "kubernetes forwarding rules");
	proxy_jump(c, FILTER, "FORWARD", true, "KUBE-SERVICES", "kubernetes service portals");
	proxy_jump(c, FILTER, "FORWARD", true, "KUBE-EXTERNAL-SERVICES",
		   "kubernetes externally-visible service portals");
	proxy_jump(c, FILTER, "OUTPUT", true, "KUBE-PROXY-FIREWALL",
		   "kubernetes load balancer firewall");
	proxy_jump(c, FILTER, "OUTPUT", true, "KUBE-SERVICES", "kubernetes service portals");
	proxy_jump(c, FILTER, "OUTPUT", false, "KUBE-FIREWALL", NULL);

	proxy_masq_rules(c, NAT, "KUBE-MARK-MASQ", "KUBE-POSTROUTING",
			 "kubernetes service traffic requiring SNAT");

	nft_rb_start(&rb, FAM, FILTER, "KUBE-FORWARD");
	nft_rb_ct_state(&rb, NFT_CTS_INVALID);
	nft_rb_verdict(&rb, NF_DROP, NULL);
	proxy_rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, FILTER, "KUBE-FORWARD");
	nft_rb_match_bits(&rb, NFT_KEY_MARK, MARK, NFT_EQ, MARK);
	nft_rb_verdict(&rb, NF_ACCEPT, NULL);
	nft_rb_comment(&rb, "kubernetes forwarding rules");
	proxy_rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, FILTER, "KUBE-FORWARD");
	nft_rb_ct_state(&rb, NFT_CTS_RELATED | NFT_CTS_ESTABLISHED);
	nft_rb_verdict(&rb, NF_ACCEPT, NULL);
	nft_rb_comment(&rb, "kubernetes forwarding conntrack rule");
	proxy_rule_put(c, &rb, BASE);
}

/* ---- the dispatch chains: one rule per Service port, walked in order ---- */

/* filter CHAIN: [-m addrtype --dst-type LOCAL] -p proto [-d ip] --dport port
 * -j REJECT|DROP, with comment. */
static void refuse(struct proxy_ctx *c, const struct proxy_port *pp, const char *chain,
		   bool local_dst, uint32_t ip, uint16_t port, bool drop, const char *comment)
{
	struct nft_rb rb;

	nft_rb_start(&rb, FAM, FILTER, chain);
	if (local_dst)
		nft_rb_fib_local(&rb, true);
	match_port(&rb, pp, ip, port);
	if (drop)
		nft_rb_verdict(&rb, NF_DROP, NULL);
	else
		nft_rb_reject(&rb);
	nft_rb_comment(&rb, comment);
	proxy_rule_put(c, &rb, pp->tag);
}

static void dispatch_port(struct proxy_ctx *c, const struct proxy_port *pp)
{
	const struct topo_service *s = pp->s;
	char comment[COMMENT_LEN];
	struct names nm;
	struct nft_rb rb;

	names_init(&nm, pp);
	if (!pp->neps) {
		/* Refused at once: filter KUBE-SERVICES (ClusterIP) and
		 * KUBE-EXTERNAL-SERVICES (LoadBalancer IP, NodePort). */
		snprintf(comment, sizeof(comment), "%s has no endpoints", pp->label);
		refuse(c, pp, "KUBE-SERVICES", false, s->cluster_ip, pp->p->port, false, comment);
		if (pp->lb_ip)
			refuse(c, pp, "KUBE-EXTERNAL-SERVICES", false, pp->lb_ip, pp->p->port, false,
			       comment);
		if (pp->p->node_port)
			refuse(c, pp, "KUBE-EXTERNAL-SERVICES", true, 0, pp->p->node_port, false,
			       comment);
		return;
	}
	if (pp->local && !pp->nlocal) {
		/* Local without endpoints on this node: outside traffic is dropped. */
		snprintf(comment, sizeof(comment), "%s has no local endpoints", pp->label);
		if (pp->lb_ip)
			refuse(c, pp, "KUBE-EXTERNAL-SERVICES", false, pp->lb_ip, pp->p->port, true,
			       comment);
		refuse(c, pp, "KUBE-EXTERNAL-SERVICES", true, 0, pp->p->node_port, true, comment);
	}
	snprintf(comment, sizeof(comment), "%s cluster IP", pp->label);
	nft_rb_start(&rb, FAM, NAT, "KUBE-SERVICES");
	match_port(&rb, pp, s->cluster_ip, pp->p->port);
	nft_rb_verdict(&rb, NFT_JUMP, nm.svc);
	nft_rb_comment(&rb, comment);
	proxy_rule_put(c, &rb, pp->tag);
	if (pp->lb_ip) {
		snprintf(comment, sizeof(comment), "%s loadbalancer IP", pp->label);
		nft_rb_start(&rb, FAM, NAT, "KUBE-SERVICES");
		match_port(&rb, pp, pp->lb_ip, pp->p->port);
		nft_rb_verdict(&rb, NFT_JUMP, nm.ext);
		nft_rb_comment(&rb, comment);
		proxy_rule_put(c, &rb, pp->tag);
	}
	if (pp->p->node_port) {
		nft_rb_start(&rb, FAM, NAT, "KUBE-NODEPORTS");
		match_port(&rb, pp, 0, pp->p->node_port);
		nft_rb_verdict(&rb, NFT_JUMP, nm.ext);
		nft_rb_comment(&rb, pp->label);
		proxy_rule_put(c, &rb, pp->tag);
	}
}

/* Fill the dispatch chains from Services [first, end); the NodePort jump
 * closes KUBE-SERVICES after the last Service. */
static void dispatch(struct proxy_ctx *c, size_t first, size_t end)
{
	struct nft_rb rb;

	for (size_t si = first; si < end; si++) {
		if (c->t->services[si].type == TOPO_SVC_HEADLESS)
			continue;
		for (size_t pi = 0; pi < c->t->services[si].nports; pi++) {
			struct proxy_port pp;

			proxy_port_init(&pp, c->t, si, pi, c->node);
			dispatch_port(c, &pp);
		}
	}
	if (end < c->t->nservices)
		return;
	nft_rb_start(&rb, FAM, NAT, "KUBE-SERVICES");
	nft_rb_fib_local(&rb, true);
	nft_rb_verdict(&rb, NFT_JUMP, "KUBE-NODEPORTS");
	nft_rb_comment(&rb, "kubernetes service nodeports; NOTE: this must be the last rule "
		       "in this chain");
	proxy_rule_put(c, &rb, BASE);
}

static void dispatch_flush(struct proxy_ctx *c, long tag)
{
	proxy_ok(c, nft_batch_chain_flush(c->b, FAM, NAT, "KUBE-SERVICES", tag));
	proxy_ok(c, nft_batch_chain_flush(c->b, FAM, NAT, "KUBE-NODEPORTS", tag));
	proxy_ok(c, nft_batch_chain_flush(c->b, FAM, FILTER, "KUBE-SERVICES", tag));
	proxy_ok(c, nft_batch_chain_flush(c->b, FAM, FILTER, "KUBE-EXTERNAL-SERVICES", tag));
}

/* ---- one Service port's own chains ------------------------------------------ */

static void sep_rules(struct proxy_ctx *c, const struct proxy_port *pp, const char *sep,
		      uint32_t ip, uint16_t port)
{
	char comment[COMMENT_LEN], a[16];
	struct nft_rb rb;

	nft_rb_start(&rb, FAM, NAT, sep);
	nft_rb_match(&rb, NFT_KEY_SADDR, NFT_EQ, ip);
	nft_rb_verdict(&rb, NFT_JUMP, "KUBE-MARK-MASQ");
	nft_rb_comment(&rb, pp->label);
	proxy_rule_put(c, &rb, pp->tag);
	nft_rb_start(&rb, FAM, NAT, sep);
	if (pp->s->affinity)
		nft_rb_set_update_saddr(&rb, sep, 0);	/* -m recent --set */
	nft_rb_match(&rb, NFT_KEY_L4PROTO, NFT_EQ, pp->proto);
	nft_rb_dnat(&rb, ip, port);
	snprintf(comment, sizeof(comment), "%s -> %s:%u", pp->label, addr_fmt(ip, a), port);
	nft_rb_comment(&rb, comment);
	proxy_rule_put(c, &rb, pp->tag);
}

/* chain: [recent --rcheck jumps] then the probability cascade over the
 * port's endpoints, or only this node's (KUBE-SVL-). Endpoint i of n is
 * taken with 1/(n-i) of what is left, so each gets 1/n; the last takes the
 * rest. */
static void cascade(struct proxy_ctx *c, const struct proxy_port *pp, const char *chain,
		    bool local)
{
	char sep[PROXY_NAME_MAX], comment[COMMENT_LEN], a[16];
	size_t n = local ? pp->nlocal : pp->neps, i = 0;
	struct nft_rb rb;
	uint32_t ip;
	uint16_t port;

	for (size_t e = 0; pp->s->affinity && e < pp->s->nendpoints; e++) {
		if (!proxy_port_ep(pp, c->t, e, local, &ip, &port))
			continue;
		proxy_ipt_endpoint_chain(sep, sizeof(sep), &pp->id, ip, port);
		snprintf(comment, sizeof(comment), "%s -> %s:%u", pp->label, addr_fmt(ip, a), port);
		nft_rb_start(&rb, FAM, NAT, chain);
		nft_rb_lookup(&rb, NFT_KEY_SADDR, sep, 0, false);	/* -m recent --rcheck */
		nft_rb_verdict(&rb, NFT_JUMP, sep);
		nft_rb_comment(&rb, comment);
		proxy_rule_put(c, &rb, pp->tag);
	}
	for (size_t e = 0; e < pp->s->nendpoints; e++) {
		if (!proxy_port_ep(pp, c->t, e, local, &ip, &port))
			continue;
		proxy_ipt_endpoint_chain(sep, sizeof(sep), &pp->id, ip, port);
		snprintf(comment, sizeof(comment), "%s -> %s:%u", pp->label, addr_fmt(ip, a), port);
		nft_rb_start(&rb, FAM, NAT, chain);
		if (i < n - 1)
			nft_rb_numgen_below(&rb, PROB_SCALE, (uint32_t)(PROB_SCALE / (n - i)));
		nft_rb_verdict(&rb, NFT_JUMP, sep);
		nft_rb_comment(&rb, comment);
		proxy_rule_put(c, &rb, pp->tag);
		i++;
	}
}

/* What a KUBE-EXT- rule matches first. */
enum ext_match { EXT_ALL, EXT_PODS, EXT_LOCAL_SRC };

/* One rule of KUBE-EXT-: [match] -j target, commented "WHAT for ns/svc:port
 * external destinations" as kube-proxy does (what NULL: no comment). */
static void ext_rule(struct proxy_ctx *c, const struct proxy_port *pp, const char *chain,
		     enum ext_match match, const char *target, const char *what)
{
	char comment[COMMENT_LEN];
	struct nft_rb rb;

	nft_rb_start(&rb, FAM, NAT, chain);
	if (match == EXT_PODS)
		nft_rb_match_net(&rb, NFT_KEY_SADDR, NFT_EQ, c->pods);
	else if (match == EXT_LOCAL_SRC)
		nft_rb_fib_local(&rb, false);
	nft_rb_verdict(&rb, NFT_JUMP, target);
	if (what) {
		snprintf(comment, sizeof(comment), "%s for %s external destinations", what,
			 pp->label);
		nft_rb_comment(&rb, comment);
	}
	proxy_rule_put(c, &rb, pp->tag);
}

/* KUBE-EXT-: Cluster policy masquerades everything from outside; Local keeps
 * the client's address and goes to this node's endpoints (KUBE-SVL-), but
 * pods and the node itself still reach the whole Service. */
static void ext_rules(struct proxy_ctx *c, const struct proxy_port *pp, const struct names *nm)
{
	proxy_chain(c, NAT, nm->ext, pp->tag);
	if (!pp->local) {
		ext_rule(c, pp, nm->ext, EXT_ALL, "KUBE-MARK-MASQ", "masquerade traffic");
		ext_rule(c, pp, nm->ext, EXT_ALL, nm->svc, NULL);
		return;
	}
	ext_rule(c, pp, nm->ext, EXT_PODS, nm->svc, "pod traffic");
	ext_rule(c, pp, nm->ext, EXT_LOCAL_SRC, "KUBE-MARK-MASQ", "masquerade LOCAL traffic");
	ext_rule(c, pp, nm->ext, EXT_LOCAL_SRC, nm->svc, "route LOCAL traffic");
	if (!pp->nlocal)
		return;
	proxy_chain(c, NAT, nm->loc, pp->tag);
	cascade(c, pp, nm->loc, true);
	ext_rule(c, pp, nm->ext, EXT_ALL, nm->loc, NULL);
}

static void port_add(struct proxy_ctx *c, const struct proxy_port *pp, const struct names *nm)
{
	const struct topo_service *s = pp->s;
	char sep[PROXY_NAME_MAX], comment[COMMENT_LEN];
	struct nft_rb rb;
	uint32_t ip;
	uint16_t port;

	for (size_t e = 0; e < s->nendpoints; e++) {
		if (!proxy_port_ep(pp, c->t, e, false, &ip, &port))
			continue;
		proxy_ipt_endpoint_chain(sep, sizeof(sep), &pp->id, ip, port);
		if (s->affinity)
			proxy_affinity_set(c, NAT, sep, s->affinity_timeout, pp->tag);
		proxy_chain(c, NAT, sep, pp->tag);
		sep_rules(c, pp, sep, ip, port);
	}
	proxy_chain(c, NAT, nm->svc, pp->tag);
	snprintf(comment, sizeof(comment), "%s cluster IP", pp->label);
	nft_rb_start(&rb, FAM, NAT, nm->svc);
	match_port(&rb, pp, s->cluster_ip, pp->p->port);
	nft_rb_match_net(&rb, NFT_KEY_SADDR, NFT_NE, c->pods);
	nft_rb_verdict(&rb, NFT_JUMP, "KUBE-MARK-MASQ");
	nft_rb_comment(&rb, comment);
	proxy_rule_put(c, &rb, pp->tag);
	cascade(c, pp, nm->svc, false);
	if (pp->p->node_port)
		ext_rules(c, pp, nm);
}

static void port_del(struct proxy_ctx *c, const struct proxy_port *pp, const struct names *nm)
{
	bool loc = pp->local && pp->nlocal;
	char sep[PROXY_NAME_MAX];
	uint32_t ip;
	uint16_t port;

	if (pp->p->node_port)
		proxy_ok(c, nft_batch_chain_flush(c->b, FAM, NAT, nm->ext, pp->tag));
	if (loc)
		proxy_ok(c, nft_batch_chain_flush(c->b, FAM, NAT, nm->loc, pp->tag));
	proxy_ok(c, nft_batch_chain_flush(c->b, FAM, NAT, nm->svc, pp->tag));
	for (size_t e = 0; e < pp->s->nendpoints; e++) {
		if (!proxy_port_ep(pp, c->t, e, false, &ip, &port))
			continue;
		proxy_ipt_endpoint_chain(sep, sizeof(sep), &pp->id, ip, port);
		proxy_ok(c, nft_batch_chain_flush(c->b, FAM, NAT, sep, pp->tag));
	}
	if (pp->p->node_port)
		proxy_chain(c, NAT, nm->ext, pp->tag);
	if (loc)
		proxy_chain(c, NAT, nm->loc, pp->tag);
	proxy_chain(c, NAT, nm->svc, pp->tag);
	for (size_t e = 0; e < pp->s->nendpoints; e++) {
		if (!proxy_port_ep(pp, c->t, e, false, &ip, &port))
			continue;
		proxy_ipt_endpoint_chain(sep, sizeof(sep), &pp->id, ip, port);
		proxy_chain(c, NAT, sep, pp->tag);
		if (pp->s->affinity)
			proxy_affinity_set(c, NAT, sep, 0, pp->tag);
	}
}

static void service(struct proxy_ctx *c, size_t si)
{
	const struct topo_service *s = &c->t->services[si];

	if (s->type == TOPO_SVC_HEADLESS)
		return;
	for (size_t pi = 0; pi < s->nports; pi++) {
		struct proxy_port pp;
		struct names nm;

		proxy_port_init(&pp, c->t, si, pi, c->node);
		if (!pp.neps)
			continue;	/* only a reject rule in the dispatch chains */
		names_init(&nm, &pp);
		if (c->del)
			port_del(c, &pp, &nm);
		else
			port_add(c, &pp, &nm);
	}
}

int proxy_ipt_build(struct nft_batch *b, const struct topo *t, size_t node, size_t first,
		    size_t count)
{
	struct proxy_ctx c;

	proxy_ctx_init(&c, b, t, node, false);
	if (first == 0)
		skeleton(&c);
	for (size_t i = first; i < first + count; i++)
		service(&c, i);
	dispatch(&c, first, first + count);
	return c.err;
}

/* iptables mode has no per-Service entry point into its dispatch chains:
 * like kube-proxy's iptables-restore, a change rewrites them whole (from t,
 * when adding) around the Service's own chains. */
int proxy_ipt_service(struct nft_batch *b, const struct topo *t, size_t node, size_t svc,
		      bool del)
{
	struct proxy_ctx c;

	proxy_ctx_init(&c, b, t, node, del);
	if (del) {
		dispatch_flush(&c, (long)svc);
		service(&c, svc);
	} else {
		dispatch_flush(&c, (long)svc);
		service(&c, svc);
		dispatch(&c, 0, t->nservices);
	}
	return c.err;
}
