/* iptables — kube-proxy's iptables-mode layout; see proxy.h. */
#include <errno.h>

#include "proxy/proxy.h"

int proxy_ipt_build(struct nft_batch *b, const struct topo *t, size_t node)
{
	return -EOPNOTSUPP;
}

int proxy_ipt_service(struct nft_batch *b, const struct topo *t, size_t node, size_t svc,
		      bool del)
{
	return -EOPNOTSUPP;
}
