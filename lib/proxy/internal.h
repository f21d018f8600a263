/* Private to lib/proxy/: what the nftables and iptables layouts share. */
#ifndef PODPATH_PROXY_INTERNAL_H
#define PODPATH_PROXY_INTERNAL_H

#include <stdbool.h>

#include "proxy/names.h"
#include "proxy/proxy.h"

#define PROXY_FAM 2		/* NFPROTO_IPV4 */
#define PROXY_BASE (-1L)	/* owner tag of the shared skeleton */
/* kube-proxy's nftables mode cuts its comments to 128 characters (knftables'
 * CommentLengthMax, what nft itself accepts), so a Service whose
 * "ns/name:port" is longer still syncs. Its iptables mode keeps them whole
 * (xt_comment holds 255), and so does podpath's. */
#define PROXY_NFT_COMMENT_MAX 128

struct proxy_ctx {
	struct nft_batch *b;
	const struct topo *t;
	size_t node;
	bool del;			/* remove a Service's objects instead */
	struct cidr pods;		/* what counts as pod traffic (--cluster-cidr) */
	int err;			/* first failure */
};

/* One port of a Service, with the names kube-proxy derives from it. */
struct proxy_port {
	const struct topo_service *s;
	const struct topo_svc_port *p;
	size_t pi;
	long tag;			/* the Service's index */
	uint8_t proto;			/* IPPROTO_TCP/UDP */
	size_t neps;			/* endpoints that have this port */
	size_t nlocal;			/* ... of them on this node (externalTrafficPolicy Local) */
	bool local;			/* externalTrafficPolicy Local */
	struct proxy_svc_port id;
	char label[2 * TOPO_LABEL_MAX + 24];	/* "ns/name:port", kube-proxy's comment */
	size_t node;			/* the node the rules are for */
	uint32_t lb_ip;			/* LoadBalancer: its IP; 0 otherwise */
};

void proxy_ctx_init(struct proxy_ctx *c, struct nft_batch *b, const struct topo *t,
		    size_t node, bool del);
/* Port pi of Service svc as node `node` sees it. */
void proxy_port_init(struct proxy_port *pp, const struct topo *t, size_t svc, size_t pi,
		     size_t node);
/* Endpoint e of the port: false if that pod lacks the port, or when
 * local_only, if it runs on another node. */
bool proxy_port_ep(const struct proxy_port *pp, const struct topo *t, size_t e, bool local_only,
		   uint32_t *ip, uint16_t *port);
/* Record a failure (the first one stays). */
void proxy_ok(struct proxy_ctx *c, int ret);
/* Queue a finished rule and release it. */
void proxy_rule_put(struct proxy_ctx *c, struct nft_rb *rb, long tag);
/* A regular chain: added, or deleted when c->del. */
void proxy_chain(struct proxy_ctx *c, const char *table, const char *name, long tag);
/* A base chain of the skeleton. */
void proxy_base_chain(struct proxy_ctx *c, const char *table, const char *name,
		      const char *kind, int hook, int prio);
/* table chain: [ct state new] jump target [comment]. */
void proxy_jump(struct proxy_ctx *c, const char *table, const char *chain, bool ct_new,
		const char *target, const char *comment);
/* The masquerade mark and its use: mark_chain sets 0x4000; masq_chain
 * returns unless it is set, clears it and masquerades fully-random. */
void proxy_masq_rules(struct proxy_ctx *c, const char *table, const char *mark_chain,
		      const char *masq_chain, const char *comment);
/* A dynamic set of client addresses for sessionAffinity (or its removal). */
void proxy_affinity_set(struct proxy_ctx *c, const char *table, const char *name,
			unsigned timeout_s, long tag);

#endif
