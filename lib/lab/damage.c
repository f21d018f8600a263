/* damage — what status finds missing of what setup built: namespaces no
 * longer pinned, processes gone or running in an unpinned namespace,
 * nftables tables deleted. Each check adds structured findings; the words
 * are the renderer's. Cheap by design: a stat per namespace, a kill(0) per
 * process (measured by health), one netlink request per table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>

#include "edge/edge.h"
#include "lab/lab.h"
#include "netns/netns.h"
#include "nft/nft.h"
#include "proxy/proxy.h"

static struct lab_damage *damage_add(struct lab_damage_list *d, enum lab_damage_kind kind,
				     const char *netns)
{
	struct lab_damage *f;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		void *nv = realloc(d->v, ncap * sizeof(*d->v));

		if (!nv)
			return NULL;
		d->v = nv;
		d->cap = ncap;
	}
	f = &d->v[d->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	snprintf(f->netns, sizeof(f->netns), "%s", netns);
	return f;
}

/* One namespace: a finding if it is not pinned. */
static int netns_check(struct lab_damage_list *d, const char *netns, const char *object)
{
	struct lab_damage *f;

	if (netns_is_pinned(netns))
		return 0;
	f = damage_add(d, LAB_DAMAGE_NETNS, netns);
	if (!f)
		return -ENOMEM;
	snprintf(f->object, sizeof(f->object), "%s", object);
	return 0;
}

int lab_damage_netns(const struct lab *l, struct lab_damage_list *d)
{
	const struct lab_plan *p = &l->plan;
	const struct topo *t = &l->topo;
	char o[sizeof(((struct lab_damage *)0)->object)];
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
static int proc_check(struct lab_damage_list *d, enum lab_health h, const char *netns, int pid,
		      const char *object)
{
	struct lab_damage *f;

	if (h != LAB_HEALTH_DOWN && h != LAB_HEALTH_NO_NETNS)
		return 0;
	f = damage_add(d, h == LAB_HEALTH_DOWN ? LAB_DAMAGE_PROCESS : LAB_DAMAGE_UNPINNED, netns);
	if (!f)
		return -ENOMEM;
	f->pid = pid;
	snprintf(f->object, sizeof(f->object), "%s", object);
	return 0;
}

int lab_damage_procs(const struct lab *l, enum lab_health *const *health,
		     const enum lab_health *inet_health, struct lab_damage_list *d)
{
	const struct topo *t = &l->topo;
	char o[sizeof(((struct lab_damage *)0)->object)];
	int ret = 0;

	for (size_t i = 0; ret == 0 && health && i < t->npods; i++)
		for (size_t j = 0; ret == 0 && health[i] && j < t->pods[i].ncontainers; j++) {
			snprintf(o, sizeof(o), "container %s/%s %s", t->pods[i].ns, t->pods[i].name,
				 t->pods[i].containers[j].name);
			ret = proc_check(d, health[i][j], l->plan.pods[i].netns,
					 l->pids ? l->pids[i][j] : 0, o);
		}
	for (size_t i = 0; ret == 0 && inet_health && i < t->inet.nhosts; i++) {
		if (t->inet.hosts[i].image == TOPO_IMAGE_NONE)
			continue;
		snprintf(o, sizeof(o), "internet host %s", t->inet.hosts[i].name);
		ret = proc_check(d, inet_health[i], l->plan.hosts[i].netns,
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
static int table_check(struct lab_damage_list *d, const char *netns, const char *table,
		       const char *object)
{
	struct table_q q = { .table = table };
	struct lab_damage *f;
	int ret;

	if (!netns_is_pinned(netns))
		return 0;
	ret = netns_run(netns, table_here, &q);
	if (ret < 0)
		return ret == -ENOENT ? 0 : ret;
	if (q.found)
		return 0;
	f = damage_add(d, LAB_DAMAGE_NFT_TABLE, netns);
	if (!f)
		return -ENOMEM;
	snprintf(f->object, sizeof(f->object), "%s", object);
	snprintf(f->table, sizeof(f->table), "ip %s", table);
	return 0;
}

int lab_damage_tables(const struct lab *l, struct lab_damage_list *d)
{
	static const char *const ipt[] = { "nat", "filter" };
	static const char *const nft[] = { PROXY_NFT_TABLE };
	const struct lab_plan *p = &l->plan;
	const struct topo *t = &l->topo;
	bool iptables = t->net.proxy_mode == TOPO_PROXY_IPTABLES;
	const char *const *proxy = iptables ? ipt : nft;
	size_t nproxy = iptables ? 2 : 1;

	char o[sizeof(((struct lab_damage *)0)->object)];
	int ret;

	ret = table_check(d, p->gw_netns, EDGE_GW_TABLE, "cloud gateway");
	if (ret == 0)
		ret = table_check(d, p->lb_netns, EDGE_LB_TABLE, "cloud load balancer");
	if (ret == 0)
		ret = table_check(d, p->vpc_netns, EDGE_VPC_TABLE, "VPC router");
	for (size_t i = 0; ret == 0 && i < t->nnodes; i++) {
		snprintf(o, sizeof(o), "node %s: kube-proxy", t->nodes[i].name);
		for (size_t k = 0; ret == 0 && k < nproxy; k++)
			ret = table_check(d, p->nodes[i].netns, proxy[k], o);
		snprintf(o, sizeof(o), "node %s: ip-masq-agent", t->nodes[i].name);
		if (ret == 0)
			ret = table_check(d, p->nodes[i].netns, EDGE_MASQ_TABLE, o);
	}
	return ret;
}

void lab_damage_command(const struct lab_damage *f, char *buf, size_t len)
{
	switch (f->kind) {
	case LAB_DAMAGE_NETNS:
		snprintf(buf, len, "ip netns list");
		break;
	case LAB_DAMAGE_PROCESS:
		snprintf(buf, len, "ps -p %d", f->pid);
		break;
	case LAB_DAMAGE_UNPINNED:
		snprintf(buf, len, "ip netns identify %d", f->pid);
		break;
	case LAB_DAMAGE_NFT_TABLE:
		snprintf(buf, len, "ip netns exec %s nft list tables", f->netns);
		break;
	}
}

const char *lab_damage_kind_name(enum lab_damage_kind k)
{
	switch (k) {
	case LAB_DAMAGE_NETNS:
		return "netns-missing";
	case LAB_DAMAGE_PROCESS:
		return "process-down";
	case LAB_DAMAGE_UNPINNED:
		return "process-unpinned";
	case LAB_DAMAGE_NFT_TABLE:
		return "nft-table-missing";
	}
	return "unknown";
}

void lab_damage_free(struct lab_damage_list *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
