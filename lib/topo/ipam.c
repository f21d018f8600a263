/* Address assignment for topo_resolve: node IPs, node pod CIDRs, pod IPs.
 * Deterministic: the same document always gets the same addresses, in
 * document order, skipping every address or block the document fixes. */
#include <errno.h>
#include <stdlib.h>

#include "topo/topo_int.h"

struct cidr topo_vpc_pod_pool(const struct topo_network *net)
{
	struct cidr pool = net->vpc_cidr;

	pool.len++;
	pool.addr += (uint32_t)(cidr_size(&pool));
	return pool;
}

/* Highest address a node may get: vpc mode keeps the upper half for pods. */
static uint32_t node_ip_last(const struct topo_network *net)
{
	if (net->mode == TOPO_MODE_VPC)
		return topo_vpc_pod_pool(net).addr - 1;
	return cidr_last(&net->vpc_cidr) - 1;
}

static bool node_ip_given(const struct topo *t, uint32_t ip)
{
	size_t i;

	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].ip == ip)
			return true;
	}
	return false;
}

static int assign_node_ips(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	const struct topo_network *net = &t->net;
	uint64_t next = (uint64_t)net->vpc_cidr.addr + 2, last = node_ip_last(net);
	char path[TOPO_PATH_MAX], c[CIDR_STRLEN];
	size_t i;
	int ret = 0;

	for (i = 0; i < t->nnodes; i++) {
		plan->node_ip[i] = t->nodes[i].ip;
		if (t->nodes[i].ip)
			continue;
		while (next <= last && node_ip_given(t, (uint32_t)next))
			next++;
		if (next > last) {
			topo_path_fmt(path, sizeof(path), ".nodes[%zu]", i);
			ret = topo_err_str(err, path, t->nodes[i].name,
					   "no free address left for this node in .network.vpcCIDR %s%s",
					   cidr_fmt(&net->vpc_cidr, c),
					   net->mode == TOPO_MODE_VPC ?
					   " (vpc mode keeps the upper half for pods)" : "");
			goto out;
		}
		plan->node_ip[i] = (uint32_t)next++;
	}
out:
	return ret;
}

/* The given pod CIDR that overlaps blk, if any. */
static const struct cidr *given_block_overlap(const struct topo *t, const struct cidr *blk)
{
	size_t i;

	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].pod_cidr.len && cidr_overlaps(&t->nodes[i].pod_cidr, blk))
			return &t->nodes[i].pod_cidr;
	}
	return NULL;
}

/* Blocks of nodeCIDRMaskSize are handed out from index 1 so that node-1
 * gets 10.244.1.0/24 as people expect; block 0 is the last resort. Step s
 * of the walk is block (s + 1) mod nblocks. */
static int assign_pod_cidrs(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	const struct topo_network *net = &t->net;
	uint64_t nblocks = (uint64_t)1 << (net->node_mask - net->cluster_cidr.len);
	uint64_t bsize = (uint64_t)1 << (32 - net->node_mask), s = 0, k, after;
	char path[TOPO_PATH_MAX], c[CIDR_STRLEN];
	const struct cidr *g;
	struct cidr blk;
	size_t i;
	int ret = 0;

	for (i = 0; i < t->nnodes; i++) {
		plan->node_cidr[i] = t->nodes[i].pod_cidr;
		if (t->nodes[i].pod_cidr.len)
			continue;
		for (;;) {
			if (s >= nblocks) {
				topo_path_fmt(path, sizeof(path), ".nodes[%zu]", i);
				ret = topo_err_str(err, path, t->nodes[i].name,
						   "no free /%u block left in .network.clusterCIDR %s "
						   "for this node's podCIDR", net->node_mask,
						   cidr_fmt(&net->cluster_cidr, c));
				goto out;
			}
			k = (s + 1) % nblocks;
			blk.addr = net->cluster_cidr.addr + (uint32_t)(k * bsize);
			blk.len = (uint8_t)net->node_mask;
			g = given_block_overlap(t, &blk);
			if (!g)
				break;
			/* Jump past the given prefix rather than walking it block
			 * by block: a /8 cut into /30s has four million blocks. */
			after = ((uint64_t)cidr_last(g) - net->cluster_cidr.addr) / bsize + 1;
			s = k && after - 1 > s + 1 ? after - 1 : s + 1;
		}
		plan->node_cidr[i] = blk;
		s++;
	}
out:
	return ret;
}

int topo_ipam_nodes(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	size_t i;
	int ret;

	ret = assign_node_ips(t, plan, err);
	if (ret)
		goto out;
	if (t->net.mode == TOPO_MODE_VPC) {
		for (i = 0; i < t->nnodes; i++)
			plan->node_cidr[i] = (struct cidr){ 0, 0 };
		goto out;
	}
	ret = assign_pod_cidrs(t, plan, err);
out:
	return ret;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static bool pod_ip_given(const struct topo_plan *plan, uint64_t ip)
{
	uint32_t key = (uint32_t)ip;

	return bsearch(&key, plan->used, plan->nused, sizeof(*plan->used), cmp_u32) != NULL;
}

static int pod_exhausted(const struct topo *t, size_t i, const struct topo_plan *plan,
			 struct topo_error *err)
{
	const struct topo_pod *p = &t->pods[i];
	const struct topo_node *n = &t->nodes[p->node];
	char path[TOPO_PATH_MAX], c[CIDR_STRLEN], v[2 * TOPO_LABEL_MAX];
	struct cidr pool = topo_vpc_pod_pool(&t->net);
	int ret;

	topo_path_fmt(path, sizeof(path), ".pods[%zu]", i);
	snprintf(v, sizeof(v), "%s/%s", p->ns, p->name);
	if (t->net.mode == TOPO_MODE_VPC)
		ret = topo_err_str(err, path, v, "the VPC pod pool %s is exhausted (%llu pod addresses)",
				   cidr_fmt(&pool, c), (unsigned long long)cidr_size(&pool) - 1);
	else
		ret = topo_err_str(err, path, v, "pod CIDR %s of node \"%s\" is exhausted (%llu pod addresses)",
				   cidr_fmt(&plan->node_cidr[p->node], c), n->name,
				   (unsigned long long)cidr_size(&plan->node_cidr[p->node]) - 3);
	return ret;
}

/* The sorted pod IPs the document fixes, which assignment skips. */
static int collect_used(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	size_t i, n = 0;

	plan->used = calloc(t->npods ? t->npods : 1, sizeof(*plan->used));
	if (!plan->used)
		return topo_err_nomem(err);
	for (i = 0; i < t->npods; i++) {
		if (t->pods[i].ip)
			plan->used[n++] = t->pods[i].ip;
	}
	qsort(plan->used, n, sizeof(*plan->used), cmp_u32);
	plan->nused = n;
	return 0;
}

int topo_ipam_pods(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	uint64_t *next = NULL, *last = NULL;
	struct cidr pool;
	size_t i, n, slot;
	int ret;

	ret = collect_used(t, plan, err);
	if (ret)
		goto out;

	/* One cursor per node, or a single shared one for the VPC pod pool. */
	n = t->net.mode == TOPO_MODE_VPC ? 1 : t->nnodes;
	next = calloc(n, sizeof(*next));
	last = calloc(n, sizeof(*last));
	if (!next || !last) {
		ret = topo_err_nomem(err);
		goto out;
	}
	if (t->net.mode == TOPO_MODE_VPC) {
		pool = topo_vpc_pod_pool(&t->net);
		next[0] = pool.addr;
		last[0] = (uint64_t)cidr_last(&pool) - 1;
	} else {
		for (i = 0; i < n; i++) {
			/* network, gateway (cbr0) and broadcast are not for pods */
			next[i] = (uint64_t)plan->node_cidr[i].addr + 2;
			last[i] = (uint64_t)cidr_last(&plan->node_cidr[i]) - 1;
		}
	}
	for (i = 0; i < t->npods; i++) {
		plan->pod_ip[i] = t->pods[i].ip;
		if (t->pods[i].ip)
			continue;
		slot = t->net.mode == TOPO_MODE_VPC ? 0 : t->pods[i].node;
		while (next[slot] <= last[slot] && pod_ip_given(plan, next[slot]))
			next[slot]++;
		if (next[slot] > last[slot]) {
			ret = pod_exhausted(t, i, plan, err);
			goto out;
		}
		plan->pod_ip[i] = (uint32_t)next[slot]++;
	}
out:
	free(next);
	free(last);
	return ret;
}
