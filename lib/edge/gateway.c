/* gateway — the cloud's internet gateway: 1:1 NAT between each node's VPC
 * address and its public address, like an AWS internet gateway with an
 * Elastic IP per instance; see edge.h. */
#include <errno.h>
#include <stdio.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/set.h>

#include "edge/internal.h"

#define T EDGE_GW_TABLE

static void maps(struct edge_ctx *c)
{
	const struct topo *t = c->t;
	struct nft_set_spec in = { .family = EDGE_FAM, .table = T, .name = EDGE_GW_MAP_IN,
				   .key = NFT_KEY_DADDR, .addr_map = true,
				   .comment = "1:1 NAT: a node's public address -> the node" };
	struct nft_set_spec out = { .family = EDGE_FAM, .table = T, .name = EDGE_GW_MAP_OUT,
				    .key = NFT_KEY_SADDR, .addr_map = true,
				    .comment = "1:1 NAT: a node -> its public address" };
	struct nft_set_spec lbs = { .family = EDGE_FAM, .table = T, .name = "load-balancers",
				    .key = NFT_KEY_DADDR,
				    .comment = "public addresses of the cloud load balancer" };
	struct nftnl_set *m[3] = { nft_set_new(&in), nft_set_new(&out), nft_set_new(&lbs) };

	for (size_t i = 0; i < 3; i++)
		edge_ok(c, m[i] ? nft_batch_set(c->b, NFT_MSG_NEWSET, m[i], 0) : -ENOMEM);
	for (size_t i = 0; m[0] && m[1] && i < t->nnodes; i++) {
		const struct topo_node *n = &t->nodes[i];

		if (!n->public_ip)
			continue;
		edge_ok(c, nft_set_elem_add_addr(m[0], n->public_ip, n->ip, n->name));
		edge_ok(c, nft_set_elem_add_addr(m[1], n->ip, n->public_ip, n->name));
	}
	for (size_t i = 0; m[2] && i < t->nservices; i++) {
		const struct topo_service *s = &t->services[i];
		char who[2 * TOPO_LABEL_MAX + 2];

		if (s->type != TOPO_SVC_LOADBALANCER)
			continue;
		snprintf(who, sizeof(who), "%s/%s", s->ns, s->name);
		edge_ok(c, nft_set_elem_add(m[2], NFT_KEY_DADDR, s->lb_ip, 0, 0, 0, NULL, who));
	}
	for (size_t i = 0; i < 3; i++) {
		if (!m[i])
			continue;
		edge_ok(c, nft_batch_elems(c->b, NFT_MSG_NEWSETELEM, m[i], 0));
		nftnl_set_free(m[i]);
	}
}

/* What a rule of the gateway's forward chain lets in from the internet. */
enum inbound { IN_REPLIES, IN_NODE_PUBLIC, IN_LOAD_BALANCER, IN_ANYTHING_ELSE };

/* from the internet: [match] accept|drop, commented. */
static void inbound(struct edge_ctx *c, enum inbound what, int verdict, const char *comment)
{
	struct nft_rb rb;

	nft_rb_start(&rb, EDGE_FAM, T, "forward");
	nft_rb_match_ifname(&rb, false, EDGE_IF_INET);
	switch (what) {
	case IN_REPLIES:
		nft_rb_ct_state(&rb, NFT_CTS_ESTABLISHED | NFT_CTS_RELATED);
		break;
	case IN_NODE_PUBLIC:	/* the prerouting DNAT took it to a node */
		nft_rb_match_bits(&rb, NFT_KEY_CT_STATUS, IPS_DST_NAT, NFT_NE, 0);
		break;
	case IN_LOAD_BALANCER:
		nft_rb_lookup(&rb, NFT_KEY_DADDR, "load-balancers", 0, false);
		break;
	case IN_ANYTHING_ELSE:
		nft_rb_counter(&rb);	/* so a test, or a user, can see it work */
		break;
	}
	nft_rb_verdict(&rb, verdict, NULL);
	nft_rb_comment(&rb, comment);
	edge_rule_put(c, &rb);
}

int edge_gateway_build(struct nft_batch *b, const struct topo *t)
{
	struct edge_ctx c = { .b = b, .t = t };
	struct nft_rb rb;

	edge_ok(&c, nft_batch_table(b, NFT_MSG_NEWTABLE, EDGE_FAM, T,
				    "the cloud's internet gateway (1:1 NAT)", 0, 0));
	maps(&c);
	edge_base_chain(&c, T, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);
	edge_base_chain(&c, T, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
	edge_base_chain(&c, T, "forward", "filter", NF_INET_FORWARD, 0);

	nft_rb_start(&rb, EDGE_FAM, T, "prerouting");
	nft_rb_match_ifname(&rb, false, EDGE_IF_INET);
	nft_rb_nat_map(&rb, false, EDGE_GW_MAP_IN);
	nft_rb_comment(&rb, "inbound: a node's public address -> the node");
	edge_rule_put(&c, &rb);

	nft_rb_start(&rb, EDGE_FAM, T, "postrouting");
	nft_rb_match_ifname(&rb, true, EDGE_IF_INET);
	nft_rb_nat_map(&rb, true, EDGE_GW_MAP_OUT);
	nft_rb_comment(&rb, "outbound: a node -> its public address");
	edge_rule_put(&c, &rb);
	nft_rb_start(&rb, EDGE_FAM, T, "postrouting");
	nft_rb_match_ifname(&rb, true, EDGE_IF_INET);
	nft_rb_match_net(&rb, NFT_KEY_SADDR, NFT_EQ, t->net.vpc_cidr);
	nft_rb_masquerade(&rb, false);
	nft_rb_comment(&rb, "outbound: nodes without a public address share the gateway's");
	edge_rule_put(&c, &rb);

	inbound(&c, IN_REPLIES, NF_ACCEPT, "replies");
	inbound(&c, IN_NODE_PUBLIC, NF_ACCEPT, "to a node's public address");
	inbound(&c, IN_LOAD_BALANCER, NF_ACCEPT, "to a load balancer");
	inbound(&c, IN_ANYTHING_ELSE, NF_DROP, "nothing else of the VPC is reachable from the internet");
	return c.err;
}
