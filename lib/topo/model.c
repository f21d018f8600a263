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
	strcpy(net->domain, "cluster.local");
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

static void pod_free(struct topo_pod *p)
{
	size_t i;

	for (i = 0; i < p->nlabels; i++) {
		free(p->labels[i].key);
		free(p->labels[i].value);
	}
	free(p->labels);
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

ssize_t topo_node_index(const struct topo *t, const char *name)
{
	size_t i;

	for (i = 0; name && i < t->nnodes; i++) {
		if (!strcmp(t->nodes[i].name, name))
			return (ssize_t)i;
	}
	return -1;
}
