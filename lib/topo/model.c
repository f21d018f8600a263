/* The topo model's memory and look-ups. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo_int.h"

void topo_network_default(struct topo_network *net)
{
	memset(net, 0, sizeof(*net));
	net->mode = TOPO_MODE_ROUTED;
	net->vpc_cidr = (struct cidr){ 0xac120000u, 24 };	/* 172.18.0.0/24 */
	net->vpc_router = 0xac120001u;
	net->cluster_cidr = (struct cidr){ 0x0af40000u, 16 };	/* 10.244.0.0/16 */
	net->service_cidr = (struct cidr){ 0x0a600000u, 12 };	/* 10.96.0.0/12 */
	net->node_mask = 24;
	net->mtu = 1500;
	strcpy(net->domain, TOPO_DEFAULT_DOMAIN);
	net->public_cidr = (struct cidr){ 0xc6336400u, 24 };	/* 198.51.100.0/24 */
	net->gateway_ip = 0xc6336401u;
	net->bgp.mesh = -1;
	net->bgp.asn = TOPO_BGP_DEFAULT_ASN;
}

int topo_alloc_nodes(struct topo *t, size_t n)
{
	t->nodes = n ? calloc(n, sizeof(*t->nodes)) : NULL;
	if (n && !t->nodes)
		return -ENOMEM;
	t->nnodes = n;
	return 0;
}

int topo_alloc_pods(struct topo *t, size_t n)
{
	t->pods = n ? calloc(n, sizeof(*t->pods)) : NULL;
	if (n && !t->pods)
		return -ENOMEM;
	t->npods = n;
	return 0;
}

int topo_alloc_services(struct topo *t, size_t n)
{
	t->services = n ? calloc(n, sizeof(*t->services)) : NULL;
	if (n && !t->services)
		return -ENOMEM;
	t->nservices = n;
	return 0;
}

static void labels_free(struct topo_label *labels, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(labels[i].key);
		free(labels[i].value);
	}
	free(labels);
}

void topo_svc_free(struct topo_service *s)
{
	labels_free(s->selector, s->nselector);
	s->selector = NULL;
	s->nselector = 0;
	free(s->endpoints);
	s->endpoints = NULL;
	s->nendpoints = 0;
}

static void selector_free(struct topo_selector *s)
{
	labels_free(s->match, s->nmatch);
	for (size_t i = 0; s->exprs && i < s->nexprs; i++) {
		free(s->exprs[i].key);
		for (size_t k = 0; s->exprs[i].values && k < s->exprs[i].nvalues; k++)
			free(s->exprs[i].values[k]);
		free(s->exprs[i].values);
	}
	free(s->exprs);
}

static void rules_free(struct topo_np_rule *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++) {
		for (size_t k = 0; r[i].peers && k < r[i].npeers; k++) {
			selector_free(&r[i].peers[k].pods);
			selector_free(&r[i].peers[k].namespaces);
			free(r[i].peers[k].except);
			free(r[i].peers[k].except6);
		}
		free(r[i].peers);
		free(r[i].ports);
	}
	free(r);
}

void topo_policy_free(struct topo_policy *p)
{
	selector_free(&p->pods);
	rules_free(p->in, p->nin);
	rules_free(p->out, p->nout);
	memset(p, 0, sizeof(*p));
}

static void pod_free(struct topo_pod *p)
{
	size_t i;

	labels_free(p->labels, p->nlabels);
	for (i = 0; i < p->ncontainers; i++)
		free(p->containers[i].ports);
	free(p->containers);
}

void topo_free(struct topo *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; t->pods && i < t->npods; i++)
		pod_free(&t->pods[i]);
	free(t->pods);
	free(t->nodes);
	for (i = 0; t->services && i < t->nservices; i++)
		topo_svc_free(&t->services[i]);
	free(t->services);
	topo_internet_free(&t->inet);
	for (i = 0; t->ingresses && i < t->ningresses; i++)
		topo_ingress_free(&t->ingresses[i]);
	free(t->ingresses);
	for (i = 0; t->namespaces && i < t->nnamespaces; i++)
		labels_free(t->namespaces[i].labels, t->namespaces[i].nlabels);
	free(t->namespaces);
	for (i = 0; t->policies && i < t->npolicies; i++)
		topo_policy_free(&t->policies[i]);
	free(t->policies);
	memset(t, 0, sizeof(*t));
}

const struct topo_pod *topo_pod_find(const struct topo *t, const char *ns, const char *name)
{
	size_t i;

	if (!ns)
		ns = "default";
	for (i = 0; name && i < t->npods; i++) {
		if (!strcmp(t->pods[i].ns, ns) && !strcmp(t->pods[i].name, name))
			return &t->pods[i];
	}
	return NULL;
}

const struct topo_namespace *topo_namespace_find(const struct topo *t, const char *name)
{
	size_t i;

	for (i = 0; name && i < t->nnamespaces; i++) {
		if (!strcmp(t->namespaces[i].name, name))
			return &t->namespaces[i];
	}
	return NULL;
}

const struct topo_service *topo_service_find(const struct topo *t, const char *ns,
					    const char *name)
{
	size_t i;

	if (!ns)
		ns = "default";
	for (i = 0; name && i < t->nservices; i++) {
		if (!strcmp(t->services[i].ns, ns) && !strcmp(t->services[i].name, name))
			return &t->services[i];
	}
	return NULL;
}

ssize_t topo_policy_index(const struct topo *t, const char *ns, const char *name)
{
	for (size_t i = 0; i < t->npolicies; i++) {
		if (!strcmp(t->policies[i].ns, ns) && !strcmp(t->policies[i].name, name))
			return (ssize_t)i;
	}
	return -1;
}

ssize_t topo_node_index(const struct topo *t, const char *name)
{
	size_t i;

	for (i = 0; name && i < t->nnodes; i++) {
		if (!strcmp(t->nodes[i].name, name))
			return (ssize_t)i;
	}
	return -1;
}
