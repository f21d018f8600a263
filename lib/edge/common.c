/* common — pieces every edge table is built from; see internal.h. */
#include <linux/netfilter/nf_tables.h>

#include "edge/internal.h"

void edge_ok(struct edge_ctx *c, int ret)
{
	if (ret < 0 && !c->err)
		c->err = ret;
}

void edge_rule_put(struct edge_ctx *c, struct nft_rb *rb)
{
	edge_ok(c, rb->err ? rb->err : nft_batch_rule(c->b, rb->r, 0));
	nft_rb_free(rb);
}

void edge_base_chain(struct edge_ctx *c, const char *table, const char *name, const char *kind,
		     int hook, int prio)
{
	struct nft_chain_spec cs = { .family = EDGE_FAM, .table = table, .name = name,
				     .kind = kind, .hook = hook, .prio = prio };

	edge_ok(c, nft_batch_chain(c->b, NFT_MSG_NEWCHAIN, &cs, 0));
}

void edge_chain(struct edge_ctx *c, const char *table, const char *name)
{
	struct nft_chain_spec cs = { .family = EDGE_FAM, .table = table, .name = name,
				     .hook = -1 };

	edge_ok(c, nft_batch_chain(c->b, NFT_MSG_NEWCHAIN, &cs, 0));
}
