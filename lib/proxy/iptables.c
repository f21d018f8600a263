/* iptables — kube-proxy's iptables-mode layout for one node, in tables
 * "ip nat" and "ip filter", written the way iptables-nft writes it; see
 * proxy.h.
 *
 * The chains, their order and their comments follow kube-proxy's iptables
 * proxier (../shared/fixtures/kube-proxy/iptables-expected-1.txt), and every
 * rule is encoded as iptables-nft encodes that rule (lib/nft/compat.h):
 * -p, -s, -d, --dport and -m mark as native expressions, -m comment,
 * statistic, recent, addrtype, conntrack and -j MARK, DNAT, MASQUERADE,
 * REJECT as xtables matches and targets run by the kernel's nft_compat. So
 * in a node, `iptables-save -t nat` and `iptables -t nat -L KUBE-SERVICES`
 * print kube-proxy's rules, and nft shows them as "xt match ...". Session
 * affinity is xt_recent's own table per endpoint (/proc/net/xt_recent/
 * KUBE-SEP-...), as with kube-proxy. What stays the same is the shape:
 * KUBE-SERVICES is a list walked rule by rule, one rule per Service port,
 * so its cost grows with the Services (where the nftables layout does one
 * map lookup).
 *
 * Not built: KUBE-FIREWALL's localhost-NodePort rule (podpath serves no
 * NodePorts on 127.0.0.1) and the nfacct counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_addrtype.h>

#include "nft/compat.h"
#include "proxy/internal.h"

#define NAT "nat"
#define FILTER "filter"
#define FAM PROXY_FAM
#define MARK PROXY_MASQ_MARK
#define BASE PROXY_BASE
/* The longest comment: "WHAT for ns/name:port external destinations". It
 * is kept whole, as iptables keeps it, for trace reads the Service back
 * from it; so every comment buffer here must fit what -m comment takes. */
#define COMMENT_LEN (sizeof(((struct proxy_port *)0)->label) + 64)
_Static_assert(COMMENT_LEN <= NFT_XT_COMMENT_MAX + 1, "iptables-mode comments fit -m comment");

struct names {
	char svc[PROXY_NAME_MAX], ext[PROXY_NAME_MAX], loc[PROXY_NAME_MAX];
};

static void names_init(struct names *nm, const struct proxy_port *pp)
{
	proxy_ipt_service_chain(nm->svc, sizeof(nm->svc), "KUBE-SVC", &pp->id);
	proxy_ipt_service_chain(nm->ext, sizeof(nm->ext), "KUBE-EXT", &pp->id);
	proxy_ipt_service_chain(nm->loc, sizeof(nm->loc), "KUBE-SVL", &pp->id);
}

/* ---- one rule, in iptables-nft's order ---------------------------------------- */

/* Start a rule of table/chain with its -p (0: none); -s and -d follow,
 * then the -m's in the order kube-proxy writes them. */
static void rule_start(struct nft_rb *rb, const char *table, const char *chain, uint8_t proto)
{
	nft_rb_start(rb, FAM, table, chain);
	nft_rb_ipt_proto(rb, proto, false);
}

static void host_addr(struct nft_rb *rb, bool dst, uint32_t ip)
{
	nft_rb_ipt_addr(rb, dst, (struct cidr){ .addr = ip, .len = 32 }, false);
}

/* counter -j VERDICT [chain], and queued. */
static void rule_end(struct proxy_ctx *c, struct nft_rb *rb, int verdict, const char *chain,
		     long tag)
{
	nft_rb_counter(rb);
	nft_rb_verdict(rb, verdict, chain);
	proxy_rule_put(c, rb, tag);
}

/* [-m conntrack --ctstate NEW] [-m comment --comment C] -j target. */
static void jump(struct proxy_ctx *c, const char *table, const char *chain, bool ct_new,
		 const char *target, const char *comment)
{
	struct nft_rb rb;

	rule_start(&rb, table, chain, 0);
	if (ct_new)
		nft_rb_xt_conntrack(&rb, NFT_CTS_NEW);
	if (comment)
		nft_rb_xt_comment(&rb, comment);
	rule_end(c, &rb, NFT_JUMP, target, BASE);
}

/* KUBE-MARK-MASQ sets 0x4000; KUBE-POSTROUTING returns unless it is set,
 * clears it (so a packet that is routed on, or hairpins, is not
 * masqueraded twice) and masquerades fully-random. */
static void masq_rules(struct proxy_ctx *c)
{
	struct nft_rb rb;

	rule_start(&rb, NAT, "KUBE-MARK-MASQ", 0);
	nft_rb_counter(&rb);
	nft_rb_xt_mark(&rb, MARK, MARK);		/* --or-mark 0x4000 */
	proxy_rule_put(c, &rb, BASE);
	rule_start(&rb, NAT, "KUBE-POSTROUTING", 0);
	nft_rb_match_bits(&rb, NFT_KEY_MARK, MARK, NFT_NE, MARK);	/* -m mark ! --mark */
	rule_end(c, &rb, NFT_RETURN, NULL, BASE);
	rule_start(&rb, NAT, "KUBE-POSTROUTING", 0);
	nft_rb_counter(&rb);
	nft_rb_xt_mark(&rb, MARK, 0);			/* --xor-mark 0x4000 */
	proxy_rule_put(c, &rb, BASE);
	rule_start(&rb, NAT, "KUBE-POSTROUTING", 0);
	nft_rb_xt_comment(&rb, "kubernetes service traffic requiring SNAT");
	nft_rb_counter(&rb);
	nft_rb_xt_masquerade(&rb, true);
	proxy_rule_put(c, &rb, BASE);
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
	/* The built-in chains as iptables-nft makes them: it checks their
	 * names, types, hooks and priorities before it lists a table. */
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
	jump(c, NAT, "PREROUTING", false, "KUBE-SERVICES", "kubernetes service portals");
	jump(c, NAT, "OUTPUT", false, "KUBE-SERVICES", "kubernetes service portals");
	jump(c, NAT, "POSTROUTING", false, "KUBE-POSTROUTING", "kubernetes postrouting rules");
	jump(c, FILTER, "INPUT", true, "KUBE-PROXY-FIREWALL", "kubernetes load balancer firewall");
	jump(c, FILTER, "INPUT", false, "KUBE-NODEPORTS", "kubernetes health check service ports");
	jump(c, FILTER, "INPUT", true, "KUBE-EXTERNAL-SERVICES",
	     "kubernetes externally-visible service portals");
	jump(c, FILTER, "INPUT", false, "KUBE-FIREWALL", NULL);
	jump(c, FILTER, "FORWARD", true, "KUBE-PROXY-FIREWALL", "kubernetes load balancer firewall");
	jump(c, FILTER, "FORWARD", false, "KUBE-FORWARD", "kubernetes forwarding rules");
	jump(c, FILTER, "FORWARD", true, "KUBE-SERVICES", "kubernetes service portals");
	jump(c, FILTER, "FORWARD", true, "KUBE-EXTERNAL-SERVICES",
	     "kubernetes externally-visible service portals");
	jump(c, FILTER, "OUTPUT", true, "KUBE-PROXY-FIREWALL", "kubernetes load balancer firewall");
	jump(c, FILTER, "OUTPUT", true, "KUBE-SERVICES", "kubernetes service portals");
	jump(c, FILTER, "OUTPUT", false, "KUBE-FIREWALL", NULL);

	masq_rules(c);

	rule_start(&rb, FILTER, "KUBE-FORWARD", 0);
	nft_rb_xt_conntrack(&rb, NFT_CTS_INVALID);
	rule_end(c, &rb, NF_DROP, NULL, BASE);
	rule_start(&rb, FILTER, "KUBE-FORWARD", 0);
	nft_rb_xt_comment(&rb, "kubernetes forwarding rules");
	nft_rb_match_bits(&rb, NFT_KEY_MARK, MARK, NFT_EQ, MARK);	/* -m mark --mark */
	rule_end(c, &rb, NF_ACCEPT, NULL, BASE);
	rule_start(&rb, FILTER, "KUBE-FORWARD", 0);
	nft_rb_xt_comment(&rb, "kubernetes forwarding conntrack rule");
	nft_rb_xt_conntrack(&rb, NFT_CTS_RELATED | NFT_CTS_ESTABLISHED);
	rule_end(c, &rb, NF_ACCEPT, NULL, BASE);
}

/* ---- the dispatch chains: one rule per Service port, walked in order ---- */

/* -m comment --comment C [-m addrtype --dst-type LOCAL] -m PROTO -p PROTO
 * [-d ip] --dport port, started on table/chain (the verdict to follow). */
static void port_rule(struct nft_rb *rb, const char *table, const char *chain,
		      const struct proxy_port *pp, uint32_t ip, uint16_t port, bool local_dst,
		      const char *comment)
{
	rule_start(rb, table, chain, pp->proto);
	if (ip)
		host_addr(rb, true, ip);
	nft_rb_xt_comment(rb, comment);
	if (local_dst)
		nft_rb_xt_addrtype(rb, true, XT_ADDRTYPE_LOCAL);
	nft_rb_match(rb, NFT_KEY_DPORT, NFT_EQ, port);
}

/* filter CHAIN: ... -j REJECT (drop: -j DROP), commented. */
static void refuse(struct proxy_ctx *c, const struct proxy_port *pp, const char *chain,
		   bool local_dst, uint32_t ip, uint16_t port, bool drop, const char *comment)
{
	struct nft_rb rb;

	port_rule(&rb, FILTER, chain, pp, ip, port, local_dst, comment);
	if (drop) {
		rule_end(c, &rb, NF_DROP, NULL, pp->tag);
		return;
	}
	nft_rb_counter(&rb);
	nft_rb_xt_reject(&rb);
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
	port_rule(&rb, NAT, "KUBE-SERVICES", pp, s->cluster_ip, pp->p->port, false, comment);
	rule_end(c, &rb, NFT_JUMP, nm.svc, pp->tag);
	if (pp->lb_ip) {
		snprintf(comment, sizeof(comment), "%s loadbalancer IP", pp->label);
		port_rule(&rb, NAT, "KUBE-SERVICES", pp, pp->lb_ip, pp->p->port, false, comment);
		rule_end(c, &rb, NFT_JUMP, nm.ext, pp->tag);
	}
	if (pp->p->node_port) {
		port_rule(&rb, NAT, "KUBE-NODEPORTS", pp, 0, pp->p->node_port, false, pp->label);
		rule_end(c, &rb, NFT_JUMP, nm.ext, pp->tag);
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
	rule_start(&rb, NAT, "KUBE-SERVICES", 0);
	nft_rb_xt_comment(&rb, "kubernetes service nodeports; NOTE: this must be the last rule "
			  "in this chain");
	nft_rb_xt_addrtype(&rb, true, XT_ADDRTYPE_LOCAL);
	rule_end(c, &rb, NFT_JUMP, "KUBE-NODEPORTS", BASE);
}

static void dispatch_flush(struct proxy_ctx *c, long tag)
{
	proxy_ok(c, nft_batch_chain_flush(c->b, FAM, NAT, "KUBE-SERVICES", tag));
	proxy_ok(c, nft_batch_chain_flush(c->b, FAM, NAT, "KUBE-NODEPORTS", tag));
	proxy_ok(c, nft_batch_chain_flush(c->b, FAM, FILTER, "KUBE-SERVICES", tag));
	proxy_ok(c, nft_batch_chain_flush(c->b, FAM, FILTER, "KUBE-EXTERNAL-SERVICES", tag));
}

/* ---- one Service port's own chains ------------------------------------------ */

/* KUBE-SEP-: -s ip -j KUBE-MARK-MASQ (hairpin), then [-m recent --set]
 * -m PROTO -p PROTO -j DNAT --to-destination ip:port, both commented with
 * the Service port. */
static void sep_rules(struct proxy_ctx *c, const struct proxy_port *pp, const char *sep,
		      uint32_t ip, uint16_t port)
{
	struct nft_rb rb;

	rule_start(&rb, NAT, sep, 0);
	host_addr(&rb, false, ip);
	nft_rb_xt_comment(&rb, pp->label);
	rule_end(c, &rb, NFT_JUMP, "KUBE-MARK-MASQ", pp->tag);
	rule_start(&rb, NAT, sep, pp->proto);
	nft_rb_xt_comment(&rb, pp->label);
	if (pp->s->affinity)
		nft_rb_xt_recent(&rb, sep, true, 0);
	nft_rb_xt_tcpudp(&rb, pp->proto);
	nft_rb_counter(&rb);
	nft_rb_xt_dnat(&rb, ip, port);
	proxy_rule_put(c, &rb, pp->tag);
}

/* kube-proxy's probability for endpoint i of n, 1/(n-i), as the text it
 * writes ("%0.10f") and iptables reads back. */
static double probability(size_t n, size_t i)
{
	char text[32];

	snprintf(text, sizeof(text), "%0.10f", 1.0 / (double)(n - i));
	return strtod(text, NULL);
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
		rule_start(&rb, NAT, chain, 0);
		nft_rb_xt_comment(&rb, comment);
		nft_rb_xt_recent(&rb, sep, false, pp->s->affinity_timeout);
		rule_end(c, &rb, NFT_JUMP, sep, pp->tag);
	}
	for (size_t e = 0; e < pp->s->nendpoints; e++) {
		if (!proxy_port_ep(pp, c->t, e, local, &ip, &port))
			continue;
		proxy_ipt_endpoint_chain(sep, sizeof(sep), &pp->id, ip, port);
		snprintf(comment, sizeof(comment), "%s -> %s:%u", pp->label, addr_fmt(ip, a), port);
		rule_start(&rb, NAT, chain, 0);
		nft_rb_xt_comment(&rb, comment);
		if (i < n - 1)
			nft_rb_xt_statistic(&rb, probability(n, i));
		rule_end(c, &rb, NFT_JUMP, sep, pp->tag);
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

	rule_start(&rb, NAT, chain, 0);
	if (match == EXT_PODS)
		nft_rb_ipt_addr(&rb, false, c->pods, false);
	if (what) {
		snprintf(comment, sizeof(comment), "%s for %s external destinations", what,
			 pp->label);
		nft_rb_xt_comment(&rb, comment);
	}
	if (match == EXT_LOCAL_SRC)
		nft_rb_xt_addrtype(&rb, false, XT_ADDRTYPE_LOCAL);
	rule_end(c, &rb, NFT_JUMP, target, pp->tag);
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
		proxy_chain(c, NAT, sep, pp->tag);
		sep_rules(c, pp, sep, ip, port);
	}
	proxy_chain(c, NAT, nm->svc, pp->tag);
	snprintf(comment, sizeof(comment), "%s cluster IP", pp->label);
	/* -m comment -m PROTO -p PROTO -d ip --dport port ! -s pods */
	rule_start(&rb, NAT, nm->svc, pp->proto);
	nft_rb_ipt_addr(&rb, false, c->pods, true);
	host_addr(&rb, true, s->cluster_ip);
	nft_rb_xt_comment(&rb, comment);
	nft_rb_match(&rb, NFT_KEY_DPORT, NFT_EQ, pp->p->port);
	rule_end(c, &rb, NFT_JUMP, "KUBE-MARK-MASQ", pp->tag);
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

int proxy_ipt_no_endpoints_rule(struct nft_rb *rb, const struct topo *t, size_t svc, size_t pi)
{
	char comment[COMMENT_LEN];
	struct proxy_port pp;

	proxy_port_init(&pp, t, svc, pi, 0);
	snprintf(comment, sizeof(comment), "%s has no endpoints", pp.label);
	port_rule(rb, FILTER, "KUBE-SERVICES", &pp, pp.s->cluster_ip, pp.p->port, false, comment);
	nft_rb_counter(rb);
	nft_rb_xt_reject(rb);
	return rb->err;
}
