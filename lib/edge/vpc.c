/* vpc — the VPC router's part of the load balancer: connections the load
 * balancer forwards get a conntrack mark, and their replies a packet mark
 * that a policy rule (fwmark -> table EDGE_LB_RETURN_TABLE) sends back
 * through the load balancer, which undoes its DNAT. A cloud does the same
 * with flow state in its fabric (AWS Hyperplane); see edge.h. */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "edge/internal.h"

#define T EDGE_VPC_TABLE

int edge_vpc_build(struct nft_batch *b, const struct topo *t)
{
	struct edge_ctx c = { .b = b, .t = t };
	struct nft_rb rb;

	edge_ok(&c, nft_batch_table(b, NFT_MSG_NEWTABLE, EDGE_FAM, T,
				    "the VPC's return path for load-balanced connections", 0, 0));
	edge_base_chain(&c, T, "prerouting", "filter", NF_INET_PRE_ROUTING, -150);
	nft_rb_start(&rb, EDGE_FAM, T, "prerouting");
	nft_rb_match_ifname(&rb, false, EDGE_IF_LB);
	nft_rb_ct_state(&rb, NFT_CTS_NEW);
	nft_rb_ct_mark_set(&rb, EDGE_LB_RETURN_MARK);
	nft_rb_comment(&rb, "a connection the load balancer forwards");
	edge_rule_put(&c, &rb);
	nft_rb_start(&rb, EDGE_FAM, T, "prerouting");
	nft_rb_match(&rb, NFT_KEY_CT_DIRECTION, NFT_EQ, 1);	/* IP_CT_DIR_REPLY */
	nft_rb_match(&rb, NFT_KEY_CT_MARK, NFT_EQ, EDGE_LB_RETURN_MARK);
	nft_rb_mark_set(&rb, 0, EDGE_LB_RETURN_MARK);
	nft_rb_comment(&rb, "its replies go back through the load balancer (ip rule fwmark)");
	edge_rule_put(&c, &rb);
	return c.err;
}
