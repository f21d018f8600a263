/* iptwatch — iptables-legacy, which nftables' trace cannot see: every
 * place's tables and counters read before the probe and after, and the
 * rules whose counters grew become t->ipt. A namespace without legacy
 * tables costs one read of its /proc/net/ip_tables_names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"
#include "trace/observe/iptlegacy.h"

struct iptwatch {
	struct obs_ipt_snapshot *before;	/* per place */
	size_t n;
};

struct iptwatch *trace_iptwatch_arm(struct trace *t)
{
	struct iptwatch *w = calloc(1, sizeof(*w));

	if (!w || !(w->before = calloc(t->nns ? t->nns : 1, sizeof(*w->before)))) {
		free(w);
		return NULL;
	}
	w->n = t->nns;
	/* A place that cannot be read now has no "before": nothing to compare. */
	for (size_t i = 0; i < t->nns; i++)
		if (obs_ipt_snapshot_take(t->ns[i], &w->before[i]) < 0)
			memset(&w->before[i], 0, sizeof(w->before[i]));
	return w;
}

static int hit_add(struct trace *t, size_t ns, const struct obs_ipt_delta *d)
{
	struct trace_ipt_hit *h = realloc(t->ipt, (t->nipt + 1) * sizeof(*h));

	if (!h)
		return -ENOMEM;
	t->ipt = h;
	h = &t->ipt[t->nipt++];
	memset(h, 0, sizeof(*h));
	h->ns = ns;
	snprintf(h->table, sizeof(h->table), "%s", d->rule->table);
	snprintf(h->chain, sizeof(h->chain), "%s", d->rule->chain);
	h->num = d->rule->num;
	snprintf(h->text, sizeof(h->text), "%s", d->rule->text);
	snprintf(h->target, sizeof(h->target), "%s", d->rule->target);
	h->pkts = d->pkts;
	return 0;
}

int trace_iptwatch_collect(struct iptwatch *w, struct trace *t)
{
	int ret = 0;

	for (size_t i = 0; w && i < w->n && ret == 0; i++) {
		struct obs_ipt_snapshot after;
		struct obs_ipt_delta *d = NULL;
		size_t nd = 0;

		if (!w->before[i].ntables)	/* no legacy tables before: none to count */
			continue;
		if (obs_ipt_snapshot_take(t->ns[i], &after) < 0)
			continue;
		ret = obs_ipt_diff(&w->before[i], &after, &d, &nd);
		for (size_t k = 0; k < nd && ret == 0; k++)
			ret = hit_add(t, i, &d[k]);
		free(d);
		obs_ipt_snapshot_free(&after);
	}
	return ret;
}

void trace_iptwatch_close(struct iptwatch *w)
{
	for (size_t i = 0; w && i < w->n; i++)
		obs_ipt_snapshot_free(&w->before[i]);
	if (w)
		free(w->before);
	free(w);
}
