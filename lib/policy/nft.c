/* nft — NetworkPolicy enforcement in nf_tables, in Calico's layout; see
 * policy.h for the table's shape.
 *
 * A node's table holds only what its own pods need: the chain of each local
 * pod isolated in a direction, the chains of the policies isolating them,
 * and the sets those policies' rules look up. Selector peers and named
 * ports are named sets of addresses (of every pod in the cluster, as the
 * peer may live on any node), so a packet costs a map look-up, a few jumps
 * and one set look-up per rule, however many pods there are. Identical
 * peers share one set: a namespace selector used by many policies is sent
 * once per node, not once per policy.
 *
 * Everything goes in one batch, tagged with the index of the policy it
 * stands for (the skeleton and pod chains with -1), so a kernel error
 * names the policy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/set.h>

#include "policy/describe.h"
#include "policy/policy.h"

#define FAM NFPROTO_IPV4
#define T POLICY_TABLE
#define BASE (-1L)	/* owner tag of the skeleton and the pod chains */

#define TABLE_COMMENT "NetworkPolicy enforcement, in Calico's layout (podpath)"

/* A set of pod addresses made for a peer; later peers selecting exactly
 * the same pods use it too. */
struct peer_set {
	char name[POLICY_NAME_MAX];
	uint64_t digest;
	size_t *pods;		/* indexes into t->pods, ascending */
	size_t n;
};

struct ctx {
	struct nft_batch *b;
	const struct topo *t;
	size_t node;
	int err;
	/* Per direction: each local pod's isolating policies, flattened:
	 * pod k's are iso[d][off[d][k] .. off[d][k + 1]). */
	size_t *local;		/* indexes of this node's pods */
	size_t nlocal;
	size_t *iso[2], *off[2];
	bool *need[2];		/* per policy: isolates a local pod in that direction */
	struct peer_set *sets;
	size_t nsets, scap;
	char (*ports)[16];	/* named ports whose set is made */
	size_t nports, pcap;
	size_t *scratch;	/* npods */
};

static void ok(struct ctx *c, int ret)
{
	if (ret < 0 && !c->err)
		c->err = ret;
}

static void rule_put(struct ctx *c, struct nft_rb *rb, long tag)
{
	ok(c, rb->err ? rb->err : nft_batch_rule(c->b, rb->r, tag));
	nft_rb_free(rb);
}

static void chain(struct ctx *c, const char *name, const char *kind, int hook, int prio,
		  long tag)
{
	struct nft_chain_spec cs = { .family = FAM, .table = T, .name = name, .kind = kind,
				     .hook = hook, .prio = prio };

	ok(c, nft_batch_chain(c->b, NFT_MSG_NEWCHAIN, &cs, tag));
}

/* Queue set s and the elements it holds, and free it. */
static void set_send(struct ctx *c, struct nftnl_set *s, long tag)
{
	if (!s) {
		ok(c, -ENOMEM);
		return;
	}
	ok(c, nft_batch_set(c->b, NFT_MSG_NEWSET, s, tag));
	ok(c, nft_batch_elems(c->b, NFT_MSG_NEWSETELEM, s, tag));	/* none: nothing sent */
	nftnl_set_free(s);
}

static struct nftnl_set *set_new(const char *name, enum nft_key k, bool vmap,
				 const char *comment)
{
	struct nft_set_spec sp = { .family = FAM, .table = T, .name = name, .key = k,
				   .vmap = vmap, .comment = comment };

	return nft_set_new(&sp);
}

/* ---- which pods and policies this node needs ------------------------------- */

static int isolation(struct ctx *c)
{
	const struct topo *t = c->t;

	c->local = malloc((t->npods ? t->npods : 1) * sizeof(*c->local));
	c->scratch = malloc((t->npods ? t->npods : 1) * sizeof(*c->scratch));
	if (!c->local || !c->scratch)
		return -ENOMEM;
	for (size_t i = 0; i < t->npods; i++)
		if (t->pods[i].node == c->node)
			c->local[c->nlocal++] = i;
	for (int d = 0; d < 2; d++) {
		size_t n = 0, cap = 16;

		c->need[d] = calloc(t->npolicies ? t->npolicies : 1, sizeof(*c->need[d]));
		c->off[d] = calloc(c->nlocal + 1, sizeof(*c->off[d]));
		c->iso[d] = malloc(cap * sizeof(*c->iso[d]));
		if (!c->need[d] || !c->off[d] || !c->iso[d])
			return -ENOMEM;
		for (size_t k = 0; k < c->nlocal; k++) {
			c->off[d][k] = n;
			for (size_t p = 0; p < t->npolicies; p++) {
				if (!policy_isolates(t, &t->policies[p], c->local[k], (enum policy_dir)d))
					continue;
				if (n == cap) {
					size_t *v = realloc(c->iso[d], 2 * cap * sizeof(*v));

					if (!v)
						return -ENOMEM;
					c->iso[d] = v;
					cap *= 2;
				}
				c->iso[d][n++] = p;
				c->need[d][p] = true;
			}
		}
		c->off[d][c->nlocal] = n;
	}
	return 0;
}

/* ---- the skeleton ---------------------------------------------------------- */

/* This node's own addresses: its VPC address, its pod gateway (cbr0) and,
 * in vxlan mode, its flannel.1 address (policy_node_owns). */
static void host_set(struct ctx *c)
{
	const struct topo_node *n = &c->t->nodes[c->node];
	struct nftnl_set *s = set_new(POLICY_SET_HOST, NFT_KEY_SADDR, false,
				      "this node's addresses: never subject to policy");

	if (!s) {
		ok(c, -ENOMEM);
		return;
	}
	ok(c, nft_set_elem_add(s, NFT_KEY_SADDR, n->ip, 0, 0, 0, NULL, NULL));
	if (c->t->net.mode != TOPO_MODE_VPC)
		ok(c, nft_set_elem_add(s, NFT_KEY_SADDR, n->gw, 0, 0, 0, NULL, NULL));
	if (c->t->net.mode == TOPO_MODE_VXLAN)
		ok(c, nft_set_elem_add(s, NFT_KEY_SADDR, n->pod_cidr.addr, 0, 0, 0, NULL, NULL));
	set_send(c, s, BASE);
}

static void skeleton(struct ctx *c)
{
	struct nftnl_set *s;
	struct nft_rb rb;

	ok(c, nft_batch_table(c->b, NFT_MSG_NEWTABLE, FAM, T, TABLE_COMMENT, 0, BASE));
	host_set(c);
	/* The dispatch maps are filled last, once the pod chains exist. */
	s = set_new(POLICY_MAP_FROM, NFT_KEY_SADDR, true,
		    "this node's egress-isolated pods: jump to their cali-fw- chain");
	ok(c, s ? nft_batch_set(c->b, NFT_MSG_NEWSET, s, BASE) : -ENOMEM);
	if (s)
		nftnl_set_free(s);
	s = set_new(POLICY_MAP_TO, NFT_KEY_DADDR, true,
		    "this node's ingress-isolated pods: jump to their cali-tw- chain");
	ok(c, s ? nft_batch_set(c->b, NFT_MSG_NEWSET, s, BASE) : -ENOMEM);
	if (s)
		nftnl_set_free(s);

	chain(c, POLICY_CHAIN_FORWARD, "filter", NF_INET_FORWARD, POLICY_PRIO_FORWARD, BASE);
	chain(c, POLICY_CHAIN_POSTROUTING, "filter", NF_INET_POST_ROUTING, POLICY_PRIO_POSTROUTING,
	      BASE);
	nft_rb_start(&rb, FAM, T, POLICY_CHAIN_FORWARD);
	nft_rb_ct_state(&rb, NFT_CTS_ESTABLISHED | NFT_CTS_RELATED);
	nft_rb_verdict(&rb, NF_ACCEPT, NULL);
	nft_rb_comment(&rb, "replies of allowed connections");
	rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, T, POLICY_CHAIN_FORWARD);
	nft_rb_lookup(&rb, NFT_KEY_SADDR, POLICY_MAP_FROM, 0, true);
	nft_rb_comment(&rb, "egress of this node's isolated pods");
	rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, T, POLICY_CHAIN_POSTROUTING);
	nft_rb_ct_state(&rb, NFT_CTS_ESTABLISHED | NFT_CTS_RELATED);
	nft_rb_verdict(&rb, NF_ACCEPT, NULL);
	nft_rb_comment(&rb, "replies of allowed connections");
	rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, T, POLICY_CHAIN_POSTROUTING);
	nft_rb_lookup(&rb, NFT_KEY_SADDR, POLICY_SET_HOST, 0, false);
	nft_rb_verdict(&rb, NF_ACCEPT, NULL);
	nft_rb_comment(&rb, "from this node (kubelet probes, masqueraded traffic)");
	rule_put(c, &rb, BASE);
	nft_rb_start(&rb, FAM, T, POLICY_CHAIN_POSTROUTING);
	nft_rb_lookup(&rb, NFT_KEY_DADDR, POLICY_MAP_TO, 0, true);
	nft_rb_comment(&rb, "ingress of this node's isolated pods");
	rule_put(c, &rb, BASE);
}

/* ---- sets a policy's rules look up ---------------------------------------- */

static uint64_t digest(const size_t *v, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++) {
		h ^= v[i];
		h *= 1099511628211ull;
	}
	return h ^ n;
}

/* The set of the pods `peer` of policy pi selects: an existing one with the
 * same pods, or a new one named after this peer. NULL when out of memory.
 * The name lives until the next call (the sets may move). */
static const char *peer_set(struct ctx *c, size_t pi, enum policy_dir d, size_t rule, size_t peer)
{
	const struct topo *t = c->t;
	const struct topo_policy *p = &t->policies[pi];
	const struct topo_np_peer *pe = d == POLICY_INGRESS ? &p->in[rule].peers[peer]
							    : &p->out[rule].peers[peer];
	enum nft_key k = d == POLICY_INGRESS ? NFT_KEY_SADDR : NFT_KEY_DADDR;
	struct peer_set *ps;
	struct nftnl_set *s;
	char what[128];
	size_t n = 0;
	uint64_t h;

	for (size_t i = 0; i < t->npods; i++)
		if (policy_peer_selects(t, p, pe, i))
			c->scratch[n++] = i;
	h = digest(c->scratch, n);
	for (size_t i = 0; i < c->nsets; i++) {
		ps = &c->sets[i];
		if (ps->digest == h && ps->n == n &&
		    !memcmp(ps->pods, c->scratch, n * sizeof(*ps->pods)))
			return ps->name;
	}
	if (c->nsets == c->scap) {
		size_t cap = c->scap ? 2 * c->scap : 16;
		struct peer_set *v = realloc(c->sets, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->sets = v;
		c->scap = cap;
	}
	ps = &c->sets[c->nsets];
	ps->pods = malloc((n ? n : 1) * sizeof(*ps->pods));
	if (!ps->pods)
		return NULL;
	c->nsets++;
	memcpy(ps->pods, c->scratch, n * sizeof(*ps->pods));
	ps->n = n;
	ps->digest = h;
	policy_set_peer(ps->name, sizeof(ps->name), d, p, rule, peer);
	/* What it selects, in words, so that nft list says it too (a set
	 * another policy's identical peer shares keeps its first name). */
	policy_desc_peer(p, pe, what, sizeof(what));
	/* Keyed like the rules that look it up: ip saddr (ingress) or daddr. */
	s = set_new(ps->name, k, false, what);
	for (size_t i = 0; s && i < n; i++)
		ok(c, nft_set_elem_add(s, k, t->pods[ps->pods[i]].ip, 0, 0, 0, NULL, NULL));
	set_send(c, s, (long)pi);
	return ps->name;
}

static uint8_t l4proto(enum topo_np_proto p)
{
	return p == TOPO_NP_UDP ? IPPROTO_UDP : p == TOPO_NP_SCTP ? IPPROTO_SCTP : IPPROTO_TCP;
}

/* The set of named port `name`: ip . l4proto . port of every container
 * port of that name, on every pod (the destination decides). */
static void named_port_set(struct ctx *c, const char *name, char *set, size_t len, long tag)
{
	const struct topo *t = c->t;
	struct nftnl_set *s;
	char what[64];

	policy_set_named_port(set, len, name);
	for (size_t i = 0; i < c->nports; i++)
		if (!strcmp(c->ports[i], name))
			return;
	if (c->nports == c->pcap) {
		size_t cap = c->pcap ? 2 * c->pcap : 8;
		char (*v)[16] = realloc(c->ports, cap * sizeof(*v));

		if (!v) {
			ok(c, -ENOMEM);
			return;
		}
		c->ports = v;
		c->pcap = cap;
	}
	snprintf(c->ports[c->nports++], sizeof(c->ports[0]), "%s", name);
	snprintf(what, sizeof(what), "named port %s: each pod's own number", name);
	s = set_new(set, NFT_KEY_DADDR_PROTO_DPORT, false, what);
	for (size_t i = 0; s && i < t->npods; i++) {
		const struct topo_pod *pod = &t->pods[i];

		for (size_t k = 0; k < pod->ncontainers; k++) {
			const struct topo_container *ct = &pod->containers[k];

			for (size_t j = 0; j < ct->nports; j++) {
				if (strcmp(ct->ports[j].name, name))
					continue;
				ok(c, nft_set_elem_add(s, NFT_KEY_DADDR_PROTO_DPORT, pod->ip,
						       ct->ports[j].proto == TOPO_PROTO_UDP ?
						       IPPROTO_UDP : IPPROTO_TCP,
						       ct->ports[j].port, 0, NULL, NULL));
			}
		}
	}
	set_send(c, s, tag);
}

/* ---- a policy's chain --------------------------------------------------------- */

/* One rule of the policy chain: [peer] [port] accept; a selector peer
 * looks up set pset (its pods). */
static void admit(struct ctx *c, size_t pi, enum policy_dir d, size_t ri, size_t peer,
		  const char *pset, size_t port, const char *chain_name)
{
	const struct topo_policy *p = &c->t->policies[pi];
	const struct topo_np_rule *r = d == POLICY_INGRESS ? &p->in[ri] : &p->out[ri];
	enum nft_key k = d == POLICY_INGRESS ? NFT_KEY_SADDR : NFT_KEY_DADDR;
	char comment[NFT_COMMENT_MAX + 1], set[POLICY_NAME_MAX];
	struct nft_rb rb;

	/* policy_chain skips IPv6 blocks: never turn one into an IPv4 match. */
	if (peer != POLICY_ANY && r->peers[peer].block_v6) {
		ok(c, -EAFNOSUPPORT);
		return;
	}
	nft_rb_start(&rb, FAM, T, chain_name);
	if (peer != POLICY_ANY) {
		const struct topo_np_peer *pe = &r->peers[peer];

		if (pe->has_block) {
			nft_rb_match_net(&rb, k, NFT_EQ, pe->block);
			for (size_t e = 0; e < pe->nexcept; e++)
				nft_rb_match_net(&rb, k, NFT_NE, pe->except[e]);
		} else {
			nft_rb_lookup(&rb, k, pset, 0, false);
		}
	}
	if (port != POLICY_ANY) {
		const struct topo_np_port *pp = &r->ports[port];

		nft_rb_match(&rb, NFT_KEY_L4PROTO, NFT_EQ, l4proto(pp->proto));
		if (pp->name[0]) {
			named_port_set(c, pp->name, set, sizeof(set), (long)pi);
			nft_rb_lookup(&rb, NFT_KEY_DADDR_PROTO_DPORT, set, 0, false);
		} else if (pp->port && pp->end_port > pp->port) {
			nft_rb_match_range(&rb, NFT_KEY_DPORT, pp->port, pp->end_port);
		} else if (pp->port) {
			nft_rb_match(&rb, NFT_KEY_DPORT, NFT_EQ, pp->port);
		}
	}
	nft_rb_verdict(&rb, NF_ACCEPT, NULL);
	policy_rule_comment(comment, sizeof(comment), p, d, ri, peer, port);
	nft_rb_comment(&rb, comment);
	rule_put(c, &rb, (long)pi);
}

/* cali-pi-NS/NAME or cali-po-NS/NAME: each peer x each port of each rule
 * accepts; what none accepts returns to the pod's chain. A policy that
 * isolates but has no rules in the direction has an empty chain. */
static void policy_chain(struct ctx *c, size_t pi, enum policy_dir d)
{
	const struct topo_policy *p = &c->t->policies[pi];
	const struct topo_np_rule *rules = d == POLICY_INGRESS ? p->in : p->out;
	size_t nrules = d == POLICY_INGRESS ? p->nin : p->nout;
	char name[POLICY_NAME_MAX];

	policy_chain_policy(name, sizeof(name), d, p);
	chain(c, name, NULL, -1, 0, (long)pi);
	for (size_t ri = 0; ri < nrules && !c->err; ri++) {
		const struct topo_np_rule *r = &rules[ri];
		size_t npeers = r->npeers ? r->npeers : 1, nports = r->nports ? r->nports : 1;

		for (size_t pe = 0; pe < npeers && !c->err; pe++) {
			const char *pset = NULL;

			/* An IPv6 ipBlock gets no rule: table ip sees no IPv6
			 * packet. A rule of IPv6 peers only thus accepts nothing,
			 * never "from anywhere" (npeers counts them, not us). */
			if (r->npeers && r->peers[pe].block_v6)
				continue;
			if (r->npeers && !r->peers[pe].has_block &&
			    !(pset = peer_set(c, pi, d, ri, pe))) {
				ok(c, -ENOMEM);
				return;
			}
			for (size_t po = 0; po < nports; po++)
				admit(c, pi, d, ri, r->npeers ? pe : POLICY_ANY, pset,
				      r->nports ? po : POLICY_ANY, name);
		}
	}
}

/* ---- a pod's chain ------------------------------------------------------------ */

/* The drop's comment, "ingress to x/a isolated by x/p1, x/p2", cut short
 * with "and N more" to fit. */
static void drop_comment(const struct ctx *c, enum policy_dir d, size_t k, char *buf, size_t len)
{
	const struct topo_pod *pod = &c->t->pods[c->local[k]];
	size_t first = c->off[d][k], last = c->off[d][k + 1];
	size_t o;
	int n;

	n = snprintf(buf, len, "%s %s/%s isolated by", d == POLICY_INGRESS ? "ingress to" :
		     "egress from", pod->ns, pod->name);
	o = n > 0 ? (size_t)n : 0;
	for (size_t i = first; i < last && o < len; i++) {
		const struct topo_policy *p = &c->t->policies[c->iso[d][i]];
		/* room for this name and, if more follow, for " and 65535 more" */
		size_t need = 2 + strlen(p->ns) + 1 + strlen(p->name) + (i + 1 < last ? 16 : 0);

		if (o + need >= len) {
			snprintf(buf + o, len - o, " and %zu more", last - i);
			return;
		}
		n = snprintf(buf + o, len - o, "%s %s/%s", i > first ? "," : "", p->ns, p->name);
		o += n > 0 ? (size_t)n : 0;
	}
}

/* cali-tw-NS/POD or cali-fw-NS/POD: a jump to each isolating policy's chain,
 * then drop. Its dispatch element goes into s. */
static void pod_chain(struct ctx *c, enum policy_dir d, size_t k, struct nftnl_set *s)
{
	const struct topo *t = c->t;
	const struct topo_pod *pod = &t->pods[c->local[k]];
	char name[POLICY_NAME_MAX], target[POLICY_NAME_MAX], comment[NFT_COMMENT_MAX + 1];
	struct nft_rb rb;

	policy_chain_pod(name, sizeof(name), d, pod);
	chain(c, name, NULL, -1, 0, BASE);
	for (size_t i = c->off[d][k]; i < c->off[d][k + 1]; i++) {
		const struct topo_policy *p = &t->policies[c->iso[d][i]];

		policy_chain_policy(target, sizeof(target), d, p);
		snprintf(comment, sizeof(comment), "%s/%s", p->ns, p->name);
		nft_rb_start(&rb, FAM, T, name);
		nft_rb_verdict(&rb, NFT_JUMP, target);
		nft_rb_comment(&rb, comment);
		rule_put(c, &rb, (long)c->iso[d][i]);
	}
	drop_comment(c, d, k, comment, sizeof(comment));
	nft_rb_start(&rb, FAM, T, name);
	nft_rb_verdict(&rb, NF_DROP, NULL);
	nft_rb_comment(&rb, comment);
	rule_put(c, &rb, BASE);
	snprintf(comment, sizeof(comment), "%s/%s", pod->ns, pod->name);
	ok(c, nft_set_elem_add(s, d == POLICY_INGRESS ? NFT_KEY_DADDR : NFT_KEY_SADDR, pod->ip, 0, 0,
			       NFT_JUMP, name, comment));
}

/* ---- the whole table ------------------------------------------------------------ */

static void ctx_free(struct ctx *c)
{
	for (int d = 0; d < 2; d++) {
		free(c->iso[d]);
		free(c->off[d]);
		free(c->need[d]);
	}
	for (size_t i = 0; i < c->nsets; i++)
		free(c->sets[i].pods);
	free(c->sets);
	free(c->ports);
	free(c->local);
	free(c->scratch);
}

int policy_build(struct nft_batch *b, const struct topo *t, size_t node)
{
	struct ctx c = { .b = b, .t = t, .node = node };
	struct nftnl_set *maps[2] = { NULL, NULL };

	if (!t->npolicies)
		return 0;
	if (node >= t->nnodes)
		return -EINVAL;
	ok(&c, isolation(&c));
	if (!c.err)
		skeleton(&c);
	for (int d = 0; d < 2 && !c.err; d++)
		for (size_t p = 0; p < t->npolicies && !c.err; p++)
			if (c.need[d][p])
				policy_chain(&c, p, (enum policy_dir)d);
	maps[POLICY_INGRESS] = set_new(POLICY_MAP_TO, NFT_KEY_DADDR, true, NULL);
	maps[POLICY_EGRESS] = set_new(POLICY_MAP_FROM, NFT_KEY_SADDR, true, NULL);
	if (!maps[0] || !maps[1])
		ok(&c, -ENOMEM);
	for (int d = 0; d < 2 && !c.err; d++)
		for (size_t k = 0; k < c.nlocal && !c.err; k++)
			if (c.off[d][k + 1] > c.off[d][k])
				pod_chain(&c, (enum policy_dir)d, k, maps[d]);
	for (int d = 0; d < 2 && !c.err; d++)
		ok(&c, nft_batch_elems(b, NFT_MSG_NEWSETELEM, maps[d], BASE));
	for (int d = 0; d < 2; d++)
		if (maps[d])
			nftnl_set_free(maps[d]);
	ctx_free(&c);
	return c.err;
}

int policy_install(const struct topo *t, size_t node, struct nft_err *ne)
{
	struct nft_batch *b = NULL;
	int exists, ret;

	memset(ne, 0, sizeof(*ne));
	ne->tag = -1;
	exists = nft_table_exists(FAM, T);
	if (exists < 0) {
		snprintf(ne->what, sizeof(ne->what), "look for table ip %s", T);
		return ne->code = exists;
	}
	if (!exists && !t->npolicies)
		return 0;
	b = nft_batch_new();
	if (!b)
		return ne->code = -ENOMEM;
	/* Replaced in the same batch: no moment without the table, nor with
	 * two versions of it. */
	ret = exists ? nft_batch_table(b, NFT_MSG_DELTABLE, FAM, T, NULL, 0, BASE) : 0;
	if (ret == 0)
		ret = policy_build(b, t, node);
	if (ret < 0)
		ne->code = ret;
	else
		ret = nft_batch_commit(b, ne);
	nft_batch_free(b);
	return ret;
}
