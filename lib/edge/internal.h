/* Private to lib/edge/: the builders' shared context and pieces. */
#ifndef PODPATH_EDGE_INTERNAL_H
#define PODPATH_EDGE_INTERNAL_H

#include "edge/edge.h"

#define EDGE_FAM 2		/* NFPROTO_IPV4 */

struct edge_ctx {
	struct nft_batch *b;
	const struct topo *t;
	int err;		/* the first failure */
};

/* Record a failure (the first one stays). */
void edge_ok(struct edge_ctx *c, int ret);
/* Queue a finished rule and release it. */
void edge_rule_put(struct edge_ctx *c, struct nft_rb *rb);
/* A base chain of kind on hook at priority prio. */
void edge_base_chain(struct edge_ctx *c, const char *table, const char *name, const char *kind,
		     int hook, int prio);
/* A regular chain. */
void edge_chain(struct edge_ctx *c, const char *table, const char *name);

#endif
