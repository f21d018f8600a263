/* proxy — pick the layout for the topology's proxy mode; see proxy.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "proxy/proxy.h"

int proxy_build(struct nft_batch *b, const struct topo *t, size_t node, size_t first,
		size_t count)
{
	if (first > t->nservices || count > t->nservices - first)
		return -EINVAL;
	switch (t->net.proxy_mode) {
	case TOPO_PROXY_NFTABLES:
		return proxy_nft_build(b, t, node, first, count);
	case TOPO_PROXY_IPTABLES:
		return proxy_ipt_build(b, t, node, first, count);
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

/* The kernel walks the whole transaction each time a rule binds an
 * anonymous map (__nft_set_trans_bind), and every Service port has one (its
 * numgen vmap): one transaction for 10,000 Services takes half a minute,
 * parts of a few hundred take a fraction of a second all told. */
int proxy_install(const struct topo *t, size_t node, size_t part, struct nft_err *ne)
{
	size_t first = 0;
	int ret;

	memset(ne, 0, sizeof(*ne));
	ne->tag = -1;
	if (!part)
		part = PROXY_PART;
	do {
		size_t n = t->nservices - first < part ? t->nservices - first : part;
		struct nft_batch *b = nft_batch_new();

		ret = b ? proxy_build(b, t, node, first, n) : -ENOMEM;
		if (ret < 0)
			ne->code = ret;
		else
			ret = nft_batch_commit(b, ne);
		nft_batch_free(b);
		first += n;
	} while (ret == 0 && first < t->nservices);
	return ret;
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
