/* damage — status's part of check: namespaces no longer pinned, processes
 * gone or running in an unpinned namespace, nftables tables deleted. Each
 * adds findings of lib/lab/check.h; the words are the renderer's. Cheap
 * by design: a stat per namespace, a kill(0) per process (measured by
 * health), one netlink request per table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>

#include "edge/edge.h"
#include "lab/check.h"
#include "netns/netns.h"
#include "nft/nft.h"
#include "proxy/proxy.h"

/* One namespace: a finding if it is not pinned. */
static int netns_check(struct lab_check_list *d, const char *netns, const char *place)
{
	struct lab_finding *f;

	if (netns_is_pinned(netns))
		return 0;
	f = lab_check_add(d, LAB_CK_NETNS_MISSING, netns, place);
	if (!f)
		return -ENOMEM;
	snprintf(f->object, sizeof(f->object), "namespace %s", netns);
	return 0;
}

int lab_check_netns(const struct lab *l, struct lab_check_list *d)
{
	const struct lab_plan *p = &l->plan;
	const struct topo *t = &l->topo;
	char o[sizeof(((struct lab_finding *)0)->place)];
	int ret;

	ret = netns_check(d, p->vpc_netns, "VPC router");
	if (ret == 0)
		ret = netns_check(d, p->gw_netns, "cloud gateway");
	if (ret == 0)
		ret = netns_check(d, p->lb_netns, "cloud load balancer");
	if (ret == 0)
		ret = netns_check(d, p->inet_netns, "internet router");
	for (size_t i = 0; ret == 0 && i < t->nnodes; i++) {
		snprintf(o, sizeof(o), "node %s", t->nodes[i].name);
		ret = netns_check(d, p->nodes[i].netns, o);
	}
	for (size_t i = 0; ret == 0 && i < t->npods; i++) {
		snprintf(o, sizeof(o), "pod %s/%s", t->pods[i].ns, t->pods[i].name);
		ret = netns_check(d, p->pods[i].netns, o);
	}
	for (size_t i = 0; ret == 0 && i < t->inet.nhosts; i++) {
		snprintf(o, sizeof(o), "internet host %s", t->inet.hosts[i].name);
		ret = netns_check(d, p->hosts[i].netns, o);
	}
	return ret;
}

/* One process, as health measured it. */
static int proc_check(struct lab_check_list *d, enum lab_health h, const char *netns,
		      const char *place, int pid, const char *object)
{
	struct lab_finding *f;

	if (h != LAB_HEALTH_DOWN && h != LAB_HEALTH_NO_NETNS)
		return 0;
	f = lab_check_add(d, h == LAB_HEALTH_DOWN ? LAB_CK_PROCESS_DOWN : LAB_CK_PROCESS_UNPINNED,
			  netns, place);
	if (!f)
		return -ENOMEM;
	f->pid = pid;
	snprintf(f->object, sizeof(f->object), "%s", object);
	snprintf(f->expected, sizeof(f->expected), "running");
	snprintf(f->actual, sizeof(f->actual), "%s", h == LAB_HEALTH_DOWN ? "not running" :
		 "running in a namespace no longer pinned");
	return 0;
}

int lab_check_procs(const struct lab *l, enum lab_health *const *health,
		    const enum lab_health *inet_health, struct lab_check_list *d)
{
	const struct topo *t = &l->topo;
	char o[sizeof(((struct lab_finding *)0)->object)];
	char place[sizeof(((struct lab_finding *)0)->place)];
	int ret = 0;

	for (size_t i = 0; ret == 0 && health && i < t->npods; i++)
		for (size_t j = 0; ret == 0 && health[i] && j < t->pods[i].ncontainers; j++) {
			snprintf(place, sizeof(place), "pod %s/%s", t->pods[i].ns, t->pods[i].name);
			snprintf(o, sizeof(o), "container %s/%s %s", t->pods[i].ns, t->pods[i].name,
				 t->pods[i].containers[j].name);
			ret = proc_check(d, health[i][j], l->plan.pods[i].netns, place,
					 l->pids ? l->pids[i][j] : 0, o);
		}
	for (size_t i = 0; ret == 0 && inet_health && i < t->inet.nhosts; i++) {
		if (t->inet.hosts[i].image == TOPO_IMAGE_NONE)
			continue;
		snprintf(o, sizeof(o), "internet host %s", t->inet.hosts[i].name);
		ret = proc_check(d, inet_health[i], l->plan.hosts[i].netns, o,
				 l->inet_pids ? l->inet_pids[i] : 0, o);
	}
	return ret;
}

struct table_q {
	const char *table;
	int found;
};

static int table_here(void *arg)
{
	struct table_q *q = arg;

	q->found = nft_table_exists(NFPROTO_IPV4, q->table);	/* every one setup makes is "ip" */
	return q->found < 0 ? q->found : 0;
}

/* The table in netns, if the namespace is there (a missing one is its own
 * finding). */
static int table_check(struct lab_check_list *d, const char *netns, const char *table,
		       const char *place)
{
	struct table_q q = { .table = table };
	struct lab_finding *f;
	int ret;

	if (!netns_is_pinned(netns))
		return 0;
	ret = netns_run(netns, table_here, &q);
	if (ret < 0)
		return ret == -ENOENT ? 0 : ret;
	if (q.found)
		return 0;
	f = lab_check_add(d, LAB_CK_NFT_TABLE_MISSING, netns, place);
	if (!f)
		return -ENOMEM;
	snprintf(f->object, sizeof(f->object), "table ip %s", table);
	snprintf(f->key, sizeof(f->key), "ip");
	snprintf(f->nft_table, sizeof(f->nft_table), "%s", table);
	return 0;
}

int lab_check_tables(const struct lab *l, struct lab_check_list *d)
{
	static const char *const ipt[] = { "nat", "filter" };
	static const char *const nft[] = { PROXY_NFT_TABLE };
	const struct lab_plan *p = &l->plan;
	const struct topo *t = &l->topo;
	bool iptables = t->net.proxy_mode == TOPO_PROXY_IPTABLES;
	const char *const *proxy = iptables ? ipt : nft;
	size_t nproxy = iptables ? 2 : 1;
	char o[sizeof(((struct lab_finding *)0)->place)];
	int ret;

	ret = table_check(d, p->gw_netns, EDGE_GW_TABLE, "cloud gateway");
	if (ret == 0)
		ret = table_check(d, p->lb_netns, EDGE_LB_TABLE, "cloud load balancer");
	if (ret == 0)
		ret = table_check(d, p->vpc_netns, EDGE_VPC_TABLE, "VPC router");
	for (size_t i = 0; ret == 0 && i < t->nnodes; i++) {
		snprintf(o, sizeof(o), "node %s", t->nodes[i].name);
		for (size_t k = 0; ret == 0 && k < nproxy; k++)
			ret = table_check(d, p->nodes[i].netns, proxy[k], o);
		if (ret == 0)
			ret = table_check(d, p->nodes[i].netns, EDGE_MASQ_TABLE, o);
	}
	return ret;
}
