/* proxy — pick the layout for the topology's proxy mode; see proxy.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "proxy/internal.h"

/* The two layouts, by proxy mode; ipvs has none. */
static const struct layout {
	int (*build)(struct nft_batch *b, const struct topo *t, size_t node, size_t first,
		     size_t count);
	int (*service)(struct nft_batch *b, const struct topo *t, size_t node, size_t svc,
		       bool del);
} layouts[] = {
	[TOPO_PROXY_NFTABLES] = { proxy_nft_build, proxy_nft_service },
	[TOPO_PROXY_IPTABLES] = { proxy_ipt_build, proxy_ipt_service },
};

static const struct layout *layout_of(const struct topo *t)
{
	if ((size_t)t->net.proxy_mode >= sizeof(layouts) / sizeof(layouts[0]) ||
	    !layouts[t->net.proxy_mode].build)
		return NULL;
	return &layouts[t->net.proxy_mode];
}

int proxy_build(struct nft_batch *b, const struct topo *t, size_t node, size_t first,
		size_t count)
{
	const struct layout *l = layout_of(t);

	if (first > t->nservices || count > t->nservices - first)
		return -EINVAL;
	return l ? l->build(b, t, node, first, count) : -EOPNOTSUPP;
}

int proxy_service_del(struct nft_batch *b, const struct topo *t, size_t node, size_t svc)
{
	const struct layout *l = layout_of(t);

	return l ? l->service(b, t, node, svc, true) : -EOPNOTSUPP;
}

int proxy_service_add(struct nft_batch *b, const struct topo *t, size_t node, size_t svc)
{
	const struct layout *l = layout_of(t);

	return l ? l->service(b, t, node, svc, false) : -EOPNOTSUPP;
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

bool proxy_kernel_has_ipvs(void)
{
	/* The module's directory exists once IP_VS is built in or loaded;
	 * podpath does not load modules (that would change the host). */
	return access("/sys/module/ip_vs", F_OK) == 0;
}

void proxy_chain_names(const struct topo *t, size_t svc, size_t pi, uint32_t ip, uint16_t port,
		       char *svc_chain, char *ep_chain)
{
	struct proxy_port pp;

	proxy_port_init(&pp, t, svc, pi, 0);	/* names do not depend on the node */
	ep_chain[0] = '\0';
	if (t->net.proxy_mode == TOPO_PROXY_IPTABLES) {
		proxy_ipt_service_chain(svc_chain, PROXY_NAME_MAX, "KUBE-SVC", &pp.id);
		if (ip)
			proxy_ipt_endpoint_chain(ep_chain, PROXY_NAME_MAX, &pp.id, ip, port);
	} else {
		proxy_nft_service_chain(svc_chain, PROXY_NAME_MAX, "service", &pp.id);
		if (ip)
			proxy_nft_endpoint_chain(ep_chain, PROXY_NAME_MAX, "endpoint", &pp.id, ip,
						 port);
	}
}
