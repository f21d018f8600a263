/* break_undo — the record of a fault's changes: appending to it, where a
 * change was made, and reverting each kind of change from what it kept;
 * see break_int.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/break_int.h"

/* Each kind: its name in break.json and the module that reverts it. */
static const struct {
	const char *name;
	int (*revert)(struct lab *l, struct brk_change *ch, struct pp_err *e);
} kinds[BRK_KIND_COUNT] = {
	[BRK_SYSCTL] = { "sysctl", brk_net_revert },
	[BRK_ROUTE_ADDED] = { "route-added", brk_net_revert },
	[BRK_ROUTE_DELETED] = { "route-deleted", brk_net_revert },
	[BRK_LINK_MTU] = { "link-mtu", brk_net_revert },
	[BRK_LINK_UP] = { "link-up", brk_net_revert },
	[BRK_LINK_MASTER] = { "link-master", brk_net_revert },
	[BRK_HAIRPIN] = { "bridge-port-hairpin", brk_net_revert },
	[BRK_NEIGH] = { "neighbour", brk_net_revert },
	[BRK_PROCESS] = { "process-killed", brk_process_revert },
	[BRK_NFT_TABLE] = { "nft-table-added", brk_nft_revert },
	[BRK_NFT_RULE_DELETED] = { "nft-rule-deleted", brk_nft_revert },
	[BRK_NFT_RULE_REPLACED] = { "nft-rule-replaced", brk_nft_revert },
	[BRK_NFT_RULE_ADDED] = { "nft-rule-added", brk_nft_revert },
	[BRK_NFT_ELEM_DELETED] = { "nft-element-deleted", brk_nft_revert },
	[BRK_NFT_ELEM_ADDED] = { "nft-element-added", brk_nft_revert },
	[BRK_IPT_RULE] = { "iptables-legacy-rule-added", brk_ipt_revert },
	[BRK_CT_FILL] = { "conntrack-filled", brk_ct_revert },
	[BRK_POLICY_ADDED] = { "network-policy-added", brk_policy_revert },
	[BRK_BGP_STOPPED] = { "bird-stopped", brk_bgp_revert },
	[BRK_BGP_CONF] = { "bird-configuration", brk_bgp_revert },
};

const char *brk_kind_name(enum brk_kind k)
{
	return k < BRK_KIND_COUNT ? kinds[k].name : "?";
}

int brk_kind_parse(const char *s)
{
	for (int k = 0; s && k < BRK_KIND_COUNT; k++)
		if (!strcmp(kinds[k].name, s))
			return k;
	return -1;
}

int brk_revert(struct lab *l, struct brk_change *ch, struct pp_err *e)
{
	if (ch->kind >= BRK_KIND_COUNT)
		return pp_err_set(e, PP_EXIT_FAIL, -EINVAL, "unknown change in %s",
				  LAB_BREAK_FILE);
	return kinds[ch->kind].revert(l, ch, e);
}

struct brk_change *brk_record(struct brk_ctx *c, enum brk_kind kind, const struct brk_where *w)
{
	struct brk_change *ch;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		struct brk_change *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			pp_err_set(c->e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
			return NULL;
		}
		c->v = v;
		c->cap = cap;
	}
	ch = &c->v[c->n++];
	memset(ch, 0, sizeof(*ch));
	ch->kind = kind;
	snprintf(ch->netns, sizeof(ch->netns), "%s", w->netns);
	snprintf(ch->shown.where, sizeof(ch->shown.where), "%s", w->name);
	return ch;
}

void brk_change_free(struct brk_change *ch)
{
	free(ch->msg);
	ch->msg = NULL;
	ch->len = 0;
}

void brk_where_node(const struct lab *l, size_t node, struct brk_where *w)
{
	snprintf(w->netns, sizeof(w->netns), "%s", l->plan.nodes[node].netns);
	snprintf(w->name, sizeof(w->name), "node %s", l->topo.nodes[node].name);
}

void brk_where_pod(const struct lab *l, size_t pod, struct brk_where *w)
{
	snprintf(w->netns, sizeof(w->netns), "%s", l->plan.pods[pod].netns);
	snprintf(w->name, sizeof(w->name), "pod %s/%s", l->topo.pods[pod].ns,
		 l->topo.pods[pod].name);
}

void brk_where_vpc(const struct lab *l, struct brk_where *w)
{
	snprintf(w->netns, sizeof(w->netns), "%s", l->plan.vpc_netns);
	snprintf(w->name, sizeof(w->name), "VPC router");
}

void brk_where_gateway(const struct lab *l, struct brk_where *w)
{
	snprintf(w->netns, sizeof(w->netns), "%s", l->plan.gw_netns);
	snprintf(w->name, sizeof(w->name), "cloud gateway");
}
