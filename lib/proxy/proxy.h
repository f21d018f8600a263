/* proxy — kube-proxy's Service rules for one node, as nf_tables objects
 * queued on an nft batch: the nftables layout (table "ip kube-proxy") or the
 * iptables layout (KUBE-* chains in tables "ip nat" and "ip filter").
 *
 * Every message is tagged with the index of the Service it belongs to (-1 for
 * the shared skeleton), so a kernel error names its Service. */
#ifndef PODPATH_PROXY_H
#define PODPATH_PROXY_H

#include <stddef.h>

#include "nft/nft.h"
#include "topo/topo.h"

#define PROXY_NFT_TABLE "kube-proxy"
#define PROXY_MASQ_MARK 0x4000u

/* Can this kernel and podpath run mode m? 0; -ENOENT: ipvs, and the kernel
 * has no IP_VS; -EOPNOTSUPP: ipvs, which podpath does not build. */
int proxy_mode_check(enum topo_proxy_mode m);
/* Queue the whole ruleset of node `node` (skeleton and every Service) for
 * the topology's proxy mode. 0 or -ENOMEM. */
int proxy_build(struct nft_batch *b, const struct topo *t, size_t node);
/* Queue the removal of Service `svc`'s own objects, as built from t. */
int proxy_service_del(struct nft_batch *b, const struct topo *t, size_t node, size_t svc);
/* Queue Service `svc`'s own objects (the skeleton must exist). */
int proxy_service_add(struct nft_batch *b, const struct topo *t, size_t node, size_t svc);

/* The nftables-mode and iptables-mode builders behind the calls above. */
int proxy_nft_build(struct nft_batch *b, const struct topo *t, size_t node);
int proxy_nft_service(struct nft_batch *b, const struct topo *t, size_t node, size_t svc,
		      bool del);
int proxy_ipt_build(struct nft_batch *b, const struct topo *t, size_t node);
int proxy_ipt_service(struct nft_batch *b, const struct topo *t, size_t node, size_t svc,
		      bool del);

#endif
