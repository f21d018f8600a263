/* masq — ip-masq-agent on a node: pods keep their own address inside the
 * cluster and the VPC (the Kubernetes model: pod-to-pod and node-to-pod
 * without NAT) and are masqueraded to the node's address beyond it, as GKE's
 * ip-masq-agent and the AWS VPC CNI's SNAT do; see edge.h. */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "edge/internal.h"

#define T EDGE_MASQ_TABLE

static void keep(struct edge_ctx *c, struct cidr net)
{
	struct nft_rb rb;

	nft_rb_start(&rb, EDGE_FAM, T, "ip-masq-agent");
	nft_rb_match_net(&rb, NFT_KEY_DADDR, NFT_EQ, net);
	nft_rb_verdict(&rb, NFT_RETURN, NULL);
	nft_rb_comment(&rb, "ip-masq-agent: local traffic is not subject to MASQUERADE");
	edge_rule_put(c, &rb);
}

int edge_masq_build(struct nft_batch *b, const struct topo *t)
{
	static const struct cidr link_local = { 0xa9fe0000u, 16 };
	struct edge_ctx c = { .b = b, .t = t };
	struct nft_rb rb;

	edge_ok(&c, nft_batch_table(b, NFT_MSG_NEWTABLE, EDGE_FAM, T,
				    "ip-masq-agent: SNAT of pod traffic leaving the cluster", 0, 0));
	edge_base_chain(&c, T, "postrouting", "nat", NF_INET_POST_ROUTING, 100);
	edge_chain(&c, T, "ip-masq-agent");
	nft_rb_start(&rb, EDGE_FAM, T, "postrouting");
	nft_rb_fib_not_local(&rb, true);
	nft_rb_verdict(&rb, NFT_JUMP, "ip-masq-agent");
	nft_rb_comment(&rb, "ip-masq-agent: ensure nat POSTROUTING directs all non-LOCAL "
		       "destination traffic to our custom IP-MASQ-AGENT chain");
	edge_rule_put(&c, &rb);
	keep(&c, t->net.cluster_cidr);
	keep(&c, t->net.vpc_cidr);
	keep(&c, link_local);
	nft_rb_start(&rb, EDGE_FAM, T, "ip-masq-agent");
	nft_rb_masquerade(&rb, false);
	nft_rb_comment(&rb, "ip-masq-agent: outbound traffic is subject to MASQUERADE "
		       "(must be last in chain)");
	edge_rule_put(&c, &rb);
	return c.err;
}
