/* proxy — pick the layout for the topology's proxy mode; see proxy.h. */
#include <errno.h>
#include <unistd.h>

#include "proxy/proxy.h"

int proxy_build(struct nft_batch *b, const struct topo *t, size_t node)
{
	switch (t->net.proxy_mode) {
	case TOPO_PROXY_NFTABLES:
		return proxy_nft_build(b, t, node);
	case TOPO_PROXY_IPTABLES:
		return proxy_ipt_build(b, t, node);
	case TOPO_PROXY_IPVS:
		break;
	}
	return -EOPNOTSUPP;
}

static int service(struct nft_batch *b, const struct topo *t, size_t node, size_t svc, bool del)
{
	switch (t->net.proxy_mode) {
	case TOPO_PROXY_NFTABLES:
		return proxy_nft_service(b, t, node, svc, del);
	case TOPO_PROXY_IPTABLES:
		return proxy_ipt_service(b, t, node, svc, del);
	case TOPO_PROXY_IPVS:
		break;
	}
	return -EOPNOTSUPP;
}

int proxy_service_del(struct nft_batch *b, const struct topo *t, size_t node, size_t svc)
{
	return service(b, t, node, svc, true);
}

int proxy_service_add(struct nft_batch *b, const struct topo *t, size_t node, size_t svc)
{
	return service(b, t, node, svc, false);
}

int proxy_mode_check(enum topo_proxy_mode m)
{
	if (m != TOPO_PROXY_IPVS)
		return 0;
	/* The module's directory exists once IP_VS is built in or loaded;
	 * podpath does not load modules (that would change the host). */
	if (access("/sys/module/ip_vs", F_OK) < 0)
		return -ENOENT;
	return -EOPNOTSUPP;
}
