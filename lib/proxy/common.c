/* common — pieces both kube-proxy layouts are made of; see internal.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/set.h>

#include "proxy/internal.h"

void proxy_ctx_init(struct proxy_ctx *c, struct nft_batch *b, const struct topo *t,
		    size_t node, bool del)
{
	memset(c, 0, sizeof(*c));
	c->b = b;
	c->t = t;
	c->node = node;
	c->del = del;
	/* In vpc mode pods take their addresses from the VPC subnet. */
	c->pods = t->net.mode == TOPO_MODE_VPC ? t->net.vpc_cidr : t->net.cluster_cidr;
}

void proxy_port_init(struct proxy_port *pp, const struct topo *t, size_t svc, size_t pi,
		     size_t node)
{
	const struct topo_service *s = &t->services[svc];

	memset(pp, 0, sizeof(*pp));
	pp->s = s;
	pp->p = &s->ports[pi];
	pp->pi = pi;
	pp->tag = (long)svc;
	pp->proto = pp->p->proto == TOPO_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	pp->id = (struct proxy_svc_port){ s->ns, s->name, pp->p->name,
					  pp->proto == IPPROTO_UDP ? "udp" : "tcp" };
	snprintf(pp->label, sizeof(pp->label), "%s/%s:%s", s->ns, s->name, pp->p->name);
	pp->neps = topo_svc_port_endpoints(s, pi);
	pp->node = node;
	pp->local = s->ext_local && pp->p->node_port;
	pp->nlocal = topo_svc_port_local_endpoints(t, s, pi, node);
	pp->lb_ip = s->type == TOPO_SVC_LOADBALANCER ? s->lb_ip : 0;
}

bool proxy_port_ep(const struct proxy_port *pp, const struct topo *t, size_t e, bool local_only,
		   uint32_t *ip, uint16_t *port)
{
	const struct topo_endpoint *ep = &pp->s->endpoints[e];

	*port = ep->port[pp->pi];
	*ip = t->pods[ep->pod].ip;
	return *port != 0 && (!local_only || t->pods[ep->pod].node == pp->node);
}

void proxy_ok(struct proxy_ctx *c, int ret)
{
	if (ret < 0 && !c->err)
		c->err = ret;
}

void proxy_rule_put(struct proxy_ctx *c, struct nft_rb *rb, long tag)
{
	proxy_ok(c, rb->err ? rb->err : nft_batch_rule(c->b, rb->r, tag));
	nft_rb_free(rb);
}

void proxy_chain(struct proxy_ctx *c, const char *table, const char *name, long tag)
{
	struct nft_chain_spec cs = { .family = PROXY_FAM, .table = table, .name = name,
				     .hook = -1 };

	proxy_ok(c, nft_batch_chain(c->b, c->del ? NFT_MSG_DELCHAIN : NFT_MSG_NEWCHAIN, &cs, tag));
}

void proxy_base_chain(struct proxy_ctx *c, const char *table, const char *name,
		      const char *kind, int hook, int prio)
{
	struct nft_chain_spec cs = { .family = PROXY_FAM, .table = table, .name = name,
				     .kind = kind, .hook = hook, .prio = prio };

	proxy_ok(c, nft_batch_chain(c->b, NFT_MSG_NEWCHAIN, &cs, PROXY_BASE));
}

void proxy_jump(struct proxy_ctx *c, const char *table, const char *chain, bool ct_new,
		const char *target, const char *comment)
{
	struct nft_rb rb;

	nft_rb_start(&rb, PROXY_FAM, table, chain);
	if (ct_new)
		nft_rb_ct_state(&rb, NFT_CTS_NEW);
	nft_rb_verdict(&rb, NFT_JUMP, target);
	if (comment)
		nft_rb_comment(&rb, comment);
	proxy_rule_put(c, &rb, PROXY_BASE);
}

void proxy_affinity_set(struct proxy_ctx *c, const char *table, const char *name,
			unsigned timeout_s, long tag)
{
	struct nft_set_spec ss = { .family = PROXY_FAM, .table = table, .name = name,
				   .key = NFT_KEY_SADDR, .size = 65535,
				   .timeout_ms = (uint64_t)timeout_s * 1000 };
	struct nftnl_set *s = nft_set_new(&ss);

	proxy_ok(c, s ? nft_batch_set(c->b, c->del ? NFT_MSG_DELSET : NFT_MSG_NEWSET, s, tag)
		      : -ENOMEM);
	if (s)
		nftnl_set_free(s);
}

void proxy_masq_rules(struct proxy_ctx *c, const char *table, const char *mark_chain,
		      const char *masq_chain, const char *comment)
{
	struct nft_rb rb;

	nft_rb_start(&rb, PROXY_FAM, table, mark_chain);
	nft_rb_mark_set(&rb, ~PROXY_MASQ_MARK, PROXY_MASQ_MARK);
	proxy_rule_put(c, &rb, PROXY_BASE);
	nft_rb_start(&rb, PROXY_FAM, table, masq_chain);
	nft_rb_match_bits(&rb, NFT_KEY_MARK, PROXY_MASQ_MARK, NFT_EQ, 0);
	nft_rb_verdict(&rb, NFT_RETURN, NULL);
	proxy_rule_put(c, &rb, PROXY_BASE);
	/* Cleared, so a packet that is routed on (or hairpins) is not
	 * masqueraded twice. */
	nft_rb_start(&rb, PROXY_FAM, table, masq_chain);
	nft_rb_mark_set(&rb, 0xffffffffu, PROXY_MASQ_MARK);
	proxy_rule_put(c, &rb, PROXY_BASE);
	nft_rb_start(&rb, PROXY_FAM, table, masq_chain);
	nft_rb_masquerade(&rb, true);
	if (comment)
		nft_rb_comment(&rb, comment);
	proxy_rule_put(c, &rb, PROXY_BASE);
}
