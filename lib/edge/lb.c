/* lb — the cloud's L4 load balancer (an AWS NLB with instance targets): a
 * LoadBalancer Service's public IP:port is a listener that picks a target
 * node and DNATs to its NodePort, keeping the client's address; see edge.h. */
#include <errno.h>
#include <stdio.h>

#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/set.h>

#include "edge/internal.h"

#define T EDGE_LB_TABLE

static const char *proto_name(enum topo_proto p)
{
	return p == TOPO_PROTO_UDP ? "udp" : "tcp";
}

void edge_lb_listener_chain(char *buf, size_t len, const struct topo_service *s, size_t pi)
{
	snprintf(buf, len, "listener-%s/%s/%s/%u", s->ns, s->name, proto_name(s->ports[pi].proto),
		 s->ports[pi].port);
}

void edge_lb_target_chain(char *buf, size_t len, const struct topo_service *s, size_t pi,
			  const char *node)
{
	snprintf(buf, len, "target-%s/%s/%s/%u/%s", s->ns, s->name,
		 proto_name(s->ports[pi].proto), s->ports[pi].port, node);
}

/* target-...: the DNAT to one node's NodePort. */
static void target(struct edge_ctx *c, const struct topo_service *s, size_t pi, size_t n,
		   const char *chain)
{
	const struct topo_node *node = &c->t->nodes[n];
	char comment[TOPO_LABEL_MAX + 48];
	struct nft_rb rb;

	edge_chain(c, T, chain);
	nft_rb_start(&rb, EDGE_FAM, T, chain);
	nft_rb_match(&rb, NFT_KEY_L4PROTO, NFT_EQ,
		     s->ports[pi].proto == TOPO_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP);
	nft_rb_dnat(&rb, node->ip, s->ports[pi].node_port);
	snprintf(comment, sizeof(comment), "node %s, NodePort %u", node->name,
		 s->ports[pi].node_port);
	nft_rb_comment(&rb, comment);
	edge_rule_put(c, &rb);
}

/* listener-...: numgen random mod N vmap over the healthy targets, or a
 * drop when no node passes the health check. */
static void listener(struct edge_ctx *c, const struct topo_service *s, size_t pi,
		     const char *chain)
{
	struct nft_set_spec ss = { .family = EDGE_FAM, .table = T, .key = NFT_KEY_NUMGEN,
				   .vmap = true, .anonymous = true, .id = nft_batch_set_id(c->b) };
	char map[32], tchain[EDGE_NAME_MAX];
	struct nftnl_set *vm;
	struct nft_rb rb;
	uint32_t k = 0;

	edge_chain(c, T, chain);
	nft_batch_anon_name(c->b, map, sizeof(map));
	ss.name = map;
	vm = nft_set_new(&ss);
	if (!vm) {
		edge_ok(c, -ENOMEM);
		return;
	}
	for (size_t n = 0; n < c->t->nnodes; n++) {
		if (!topo_lb_targets_node(c->t, s, pi, n))
			continue;
		edge_lb_target_chain(tchain, sizeof(tchain), s, pi, c->t->nodes[n].name);
		target(c, s, pi, n, tchain);
		edge_ok(c, nft_set_elem_add(vm, NFT_KEY_NUMGEN, k++, 0, 0, NFT_GOTO, tchain, NULL));
	}
	nft_rb_start(&rb, EDGE_FAM, T, chain);
	if (k) {
		edge_ok(c, nft_batch_set(c->b, NFT_MSG_NEWSET, vm, 0));
		edge_ok(c, nft_batch_elems(c->b, NFT_MSG_NEWSETELEM, vm, 0));
		nft_rb_numgen_vmap(&rb, k, map, ss.id);
		nft_rb_comment(&rb, s->ext_local ? "healthy targets: nodes with a local endpoint "
			       "(externalTrafficPolicy Local)" : "healthy targets: every node "
			       "(externalTrafficPolicy Cluster)");
	} else {
		nft_rb_counter(&rb);
		nft_rb_verdict(&rb, NF_DROP, NULL);
		nft_rb_comment(&rb, "no healthy target: no node has a local endpoint");
	}
	edge_rule_put(c, &rb);
	nftnl_set_free(vm);
}

int edge_lb_build(struct nft_batch *b, const struct topo *t)
{
	struct edge_ctx c = { .b = b, .t = t };
	struct nft_set_spec ls = { .family = EDGE_FAM, .table = T, .name = "listeners",
				   .key = NFT_KEY_DADDR_PROTO_DPORT, .vmap = true,
				   .comment = "LoadBalancer Services: public IP . protocol . port" };
	struct nftnl_set *m = nft_set_new(&ls);
	char chain[EDGE_NAME_MAX], who[2 * TOPO_LABEL_MAX + 24];
	struct nft_rb rb;

	if (!m)
		return -ENOMEM;
	edge_ok(&c, nft_batch_table(b, NFT_MSG_NEWTABLE, EDGE_FAM, T,
				    "the cloud's L4 load balancer", 0, 0));
	edge_ok(&c, nft_batch_set(b, NFT_MSG_NEWSET, m, 0));
	edge_base_chain(&c, T, "prerouting", "nat", NF_INET_PRE_ROUTING, -100);
	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *s = &t->services[i];

		if (s->type != TOPO_SVC_LOADBALANCER)
			continue;
		for (size_t pi = 0; pi < s->nports; pi++) {
			edge_lb_listener_chain(chain, sizeof(chain), s, pi);
			listener(&c, s, pi, chain);
			snprintf(who, sizeof(who), "%s/%s:%u", s->ns, s->name, s->ports[pi].port);
			edge_ok(&c, nft_set_elem_add(m, NFT_KEY_DADDR_PROTO_DPORT, s->lb_ip,
						     s->ports[pi].proto == TOPO_PROTO_UDP ?
						     IPPROTO_UDP : IPPROTO_TCP, s->ports[pi].port,
						     NFT_GOTO, chain, who));
		}
	}
	edge_ok(&c, nft_batch_elems(b, NFT_MSG_NEWSETELEM, m, 0));
	nftnl_set_free(m);
	nft_rb_start(&rb, EDGE_FAM, T, "prerouting");
	nft_rb_lookup(&rb, NFT_KEY_DADDR_PROTO_DPORT, "listeners", 0, true);
	edge_rule_put(&c, &rb);
	return c.err;
}
