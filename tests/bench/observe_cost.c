/* observe_cost — what each kernel-state observer (lib/trace/observe) costs
 * against a live namespace: RUNS reads of each, mean and p95 in
 * microseconds, then one hop's whole set. Wall time and CPU time (user +
 * kernel, this process): on a loaded machine the wall time is mostly the
 * wait for a CPU, and the CPU time is what a read costs. Usage:
 *   observe_cost NODE_NS IIF SRC DST POD_NS [RUNS]
 * NODE_NS forwards the packet SRC -> DST that came in on IIF; POD_NS is
 * where a listener is looked for and SRC's owner lives. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include "addr.h"
#include "trace/observe/iptlegacy.h"
#include "trace/observe/link.h"
#include "trace/observe/listener.h"
#include "trace/observe/neigh.h"
#include "trace/observe/route.h"
#include "trace/observe/sysctl.h"

struct args {
	const char *node, *iif, *pod;
	uint32_t src, dst;
};

static double now_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int r_route(const struct args *a)
{
	struct obs_route_query q = { .dst = a->dst, .src = a->src, .iif = a->iif };
	struct obs_route r;

	return obs_route_get(a->node, &q, &r);
}

static int r_match(const struct args *a)
{
	struct obs_route_query q = { .dst = a->dst, .src = a->src, .iif = a->iif };
	struct obs_route r;

	return obs_route_match(a->node, &q, &r);
}

static int r_sysctl(const struct args *a)
{
	struct obs_sysctls s;

	return obs_sysctl_read(a->node, a->iif, &s);
}

static int r_link(const struct args *a)
{
	struct obs_link l;

	return obs_link_get(a->node, a->iif, &l);
}

static int r_neigh(const struct args *a)
{
	struct obs_neigh n;
	int ret = obs_neigh_get(a->node, a->iif, a->src, &n);

	return ret == -ENOENT ? 0 : ret;	/* no entry is an answer */
}

static int r_owner(const struct args *a)
{
	struct obs_addr_owner o;

	return obs_neigh_owner(a->pod, a->src, &o);
}

static int r_listener(const struct args *a)
{
	struct obs_listener l;

	return obs_listener_find(a->pod, IPPROTO_TCP, 0, 8080, &l);
}

static int r_ipt(const struct args *a)
{
	struct obs_ipt_snapshot s;
	int ret = obs_ipt_snapshot_take(a->node, &s);

	obs_ipt_snapshot_free(&s);
	return ret;
}

static int r_ipt_diff(const struct args *a)
{
	struct obs_ipt_snapshot s, t;
	struct obs_ipt_delta *d = NULL;
	size_t n;
	int ret = obs_ipt_snapshot_take(a->node, &s);

	if (ret == 0 && (ret = obs_ipt_snapshot_take(a->node, &t)) == 0) {
		ret = obs_ipt_diff(&s, &t, &d, &n);
		free(d);
		obs_ipt_snapshot_free(&t);
	}
	obs_ipt_snapshot_free(&s);
	return ret;
}

static int r_hop(const struct args *a)
{
	int ret = r_route(a);

	ret = ret ? ret : r_sysctl(a);
	ret = ret ? ret : r_link(a);
	ret = ret ? ret : r_neigh(a);
	ret = ret ? ret : r_listener(a);
	return ret ? ret : r_ipt(a);
}

static const struct {
	const char *name;
	int (*fn)(const struct args *a);
} reads[] = {
	{ "route_get (iif, src)", r_route },
	{ "route_match (rule+route dump)", r_match },
	{ "sysctl_read (7 keys)", r_sysctl },
	{ "link_get", r_link },
	{ "neigh_get", r_neigh },
	{ "neigh_owner", r_owner },
	{ "listener_find (tcp)", r_listener },
	{ "ipt_snapshot_take", r_ipt },
	{ "ipt 2 snapshots + diff", r_ipt_diff },
	{ "one hop: route+sysctl+link+neigh+listener+ipt", r_hop },
};

int main(int argc, char **argv)
{
	struct args a;
	int runs = argc > 6 ? atoi(argv[6]) : 200;
	double *t, *c;

	if (argc < 6 || runs < 1 || addr_parse(argv[3], &a.src) || addr_parse(argv[4], &a.dst)) {
		fprintf(stderr, "usage: observe_cost NODE_NS IIF SRC DST POD_NS [RUNS]\n");
		return 2;
	}
	a.node = argv[1];
	a.iif = argv[2];
	a.pod = argv[5];
	t = calloc((size_t)runs, sizeof(*t));
	c = calloc((size_t)runs, sizeof(*c));
	if (!t || !c)
		return 1;
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		int ret = reads[i].fn(&a);	/* warm, and check it works */

		if (ret < 0) {
			fprintf(stderr, "observe_cost: %s: %s\n", reads[i].name, strerror(-ret));
			return 1;
		}
		for (int j = 0; j < runs; j++) {
			double t0 = now_us(CLOCK_MONOTONIC), c0 = now_us(CLOCK_PROCESS_CPUTIME_ID);

			reads[i].fn(&a);
			t[j] = now_us(CLOCK_MONOTONIC) - t0;
			c[j] = now_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
		}
		qsort(t, (size_t)runs, sizeof(*t), cmp);
		qsort(c, (size_t)runs, sizeof(*c), cmp);
		printf("  %-48s wall p50 %7.1f p95 %7.1f us   cpu p50 %7.1f p95 %7.1f us\n",
		       reads[i].name, t[runs / 2], t[(runs * 95) / 100], c[runs / 2],
		       c[(runs * 95) / 100]);
	}
	free(t);
	free(c);
	return 0;
}
