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

/* The chain t's proxy mode gives port pi of Service svc (service-... or
 * KUBE-SVC-...) and, when ip is not 0, the one of its endpoint ip:port
 * (endpoint-... or KUBE-SEP-...); each PROXY_NAME_MAX bytes. */
void proxy_chain_names(const struct topo *t, size_t svc, size_t pi, uint32_t ip, uint16_t port,
		       char *svc_chain, char *ep_chain);
/* Has this kernel IP_VS (built in or loaded)? Said where ipvs comes up;
 * podpath builds no ipvs layout either way (the topology refuses it). */
bool proxy_kernel_has_ipvs(void);
/* Queue node `node`'s ruleset for the topology's proxy mode: Services
 * [first, first + count), and the shared skeleton when first is 0. Parts
 * queued in order, one batch each, make the whole ruleset. 0 or -ENOMEM. */
int proxy_build(struct nft_batch *b, const struct topo *t, size_t node, size_t first,
		size_t count);
/* Install node `node`'s whole ruleset into the calling thread's network
 * namespace: a batch for the skeleton and the first Services, then one per
 * further PROXY_PART Services (see proxy.c for why not one). On failure ne
 * names the object and its Service; what was committed stays (the caller
 * removes the namespace). 0 or -errno. */
int proxy_install(const struct topo *t, size_t node, size_t part, struct nft_err *ne);
#define PROXY_PART 256

/* Queue the removal of Service `svc`'s own objects, as built from t. */
int proxy_service_del(struct nft_batch *b, const struct topo *t, size_t node, size_t svc);
/* Queue Service `svc`'s own objects (the skeleton must exist). */
int proxy_service_add(struct nft_batch *b, const struct topo *t, size_t node, size_t svc);

/* The nftables-mode and iptables-mode builders behind the calls above. */
int proxy_nft_build(struct nft_batch *b, const struct topo *t, size_t node, size_t first,
		    size_t count);
int proxy_nft_service(struct nft_batch *b, const struct topo *t, size_t node, size_t svc,
		      bool del);
int proxy_ipt_build(struct nft_batch *b, const struct topo *t, size_t node, size_t first,
		    size_t count);
int proxy_ipt_service(struct nft_batch *b, const struct topo *t, size_t node, size_t svc,
		      bool del);
/* Into rb (started here, freed by the caller): the rule kube-proxy's
 * iptables mode writes in filter KUBE-SERVICES for port pi of Service svc
 * when it has no endpoints (-j REJECT, "NS/NAME:PORT has no endpoints").
 * 0 or rb->err. */
int proxy_ipt_no_endpoints_rule(struct nft_rb *rb, const struct topo *t, size_t svc, size_t pi);

#endif
