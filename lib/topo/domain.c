/* The cluster domain against the rest of the model, for topo_resolve.
 *
 * Length: the cluster DNS serves names under the domain that Kubernetes
 * lets grow to 154 characters before it, the longest being a named port's
 * SRV record _PORT._PROTO.SERVICE.NAMESPACE.svc.DOMAIN (a 15-character
 * IANA_SVC_NAME, 63-character Service and namespace). The domain must leave
 * room for it in a DNS name's 253, for every Service a cluster may ever get,
 * not only the ones this topology has: 99 characters.
 *
 * Shadowing: the cluster DNS answers every name at or under the domain
 * itself (NXDOMAIN for what it does not know) and forwards only the rest to
 * the internet. So an internet host or an Ingress host at or under the
 * domain could not be reached by name from a pod. A domain under such a
 * host (cluster.example.com beside example.com) hides nothing. */
#include <string.h>

#include "topo/topo_int.h"

#define LONGEST_SRV_PREFIX (1 + 15 + 6 + TOPO_LABEL_MAX - 1 + 1 + TOPO_LABEL_MAX - 1 + 5)
#define DOMAIN_MAX (TOPO_SUBDOMAIN_MAX - 1 - LONGEST_SRV_PREFIX)

/* name is domain or lies under it. */
static bool under(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	return n >= d && !strcmp(name + n - d, domain) && (n == d || name[n - d - 1] == '.');
}

/* A host at hpath that the domain shadows. The clash is reported where the
 * document wrote it: at the domain if it was changed from the default, at
 * the host if not. */
static int shadowed(const struct topo *t, const char *what, const char *host, const char *hpath,
		    struct topo_error *err)
{
	const char *dom = t->net.domain;

	if (strcmp(dom, TOPO_DEFAULT_DOMAIN))
		return topo_err_str(err, ".network.clusterDomain", dom, "shadows %s \"%s\" (%s): the "
				    "cluster DNS answers every name at or under the cluster domain, "
				    "so pods could not resolve it", what, host, hpath);
	return topo_err_str(err, hpath, host, "lies under .network.clusterDomain \"%s\": the "
			    "cluster DNS answers every name there, so pods could not resolve this "
			    "%s", dom, what);
}

int topo_domain_check(const struct topo *t, struct topo_error *err)
{
	char path[TOPO_PATH_MAX];

	if (strlen(t->net.domain) > DOMAIN_MAX)
		return topo_err_str(err, ".network.clusterDomain", t->net.domain, "too long: at most "
				    "%d characters, so that the longest name the cluster DNS serves, "
				    "_PORT._PROTO.SERVICE.NAMESPACE.svc.DOMAIN (%d characters before "
				    "DOMAIN), fits in 253", DOMAIN_MAX, LONGEST_SRV_PREFIX);
	for (size_t i = 0; i < t->inet.nhosts; i++)
		if (under(t->inet.hosts[i].name, t->net.domain)) {
			topo_path_fmt(path, sizeof(path), ".internet.hosts[%zu].name", i);
			return shadowed(t, "internet host", t->inet.hosts[i].name, path, err);
		}
	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++)
			if (under(t->ingresses[i].rules[r].host, t->net.domain)) {
				topo_path_fmt(path, sizeof(path), ".ingresses[%zu].rules[%zu].host", i, r);
				return shadowed(t, "Ingress host", t->ingresses[i].rules[r].host, path,
						err);
			}
	return 0;
}
