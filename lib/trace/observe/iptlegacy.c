/* observe/iptlegacy — iptables-legacy snapshots and their difference; see
 * iptlegacy.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libiptc/libiptc.h>

#include "netns/netns.h"
#include "trace/observe/iptlegacy.h"
#include "trace/observe/iptrule.h"

#define MAX_TABLES 16

int obs_ipt_snapshot_add(struct obs_ipt_snapshot *s, const char *table, const char *chain,
			 unsigned num, uint64_t pkts, uint64_t bytes, const char *text)
{
	struct obs_ipt_rule *r;

	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		void *p = realloc(s->rules, ncap * sizeof(*s->rules));

		if (!p)
			return -ENOMEM;
		s->rules = p;
		s->cap = ncap;
	}
	r = &s->rules[s->n];
	memset(r, 0, sizeof(*r));
	/* Names from the kernel fit (XT_TABLE_MAXNAMELEN); cut, never overrun. */
	strncpy(r->table, table, sizeof(r->table) - 1);
	strncpy(r->chain, chain, sizeof(r->chain) - 1);
	r->num = num;
	r->pkts = pkts;
	r->bytes = bytes;
	r->text = strdup(text);
	if (!r->text)
		return -ENOMEM;
	s->n++;
	return 0;
}

void obs_ipt_snapshot_free(struct obs_ipt_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rules[i].text);
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

/* The tables that exist in the calling thread's namespace. /proc/net is
 * the process's (its main thread's) namespace; thread-self is this
 * thread's, the one netns_run entered. No file: no ip_tables at all. */
static int tables_here(char names[MAX_TABLES][OBS_IPT_NAME_MAX], unsigned *n)
{
	FILE *f = fopen("/proc/thread-self/net/ip_tables_names", "re");
	char line[OBS_IPT_NAME_MAX];

	*n = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (*n < MAX_TABLES && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (*line)
			memcpy(names[(*n)++], line, sizeof(line));
	}
	fclose(f);
	return 0;
}

/* Render into buf, or into a larger allocation when a rule is long. */
static int add_rule(struct obs_ipt_snapshot *s, const char *table, const char *chain,
		    unsigned num, const struct ipt_entry *e, const char *target)
{
	char buf[1024], *text = buf;
	size_t need = obs_iptrule_render(chain, e, target, buf, sizeof(buf));
	int ret;

	if (need >= sizeof(buf)) {
		text = malloc(need + 1);
		if (!text)
			return -ENOMEM;
		obs_iptrule_render(chain, e, target, text, need + 1);
	}
	ret = obs_ipt_snapshot_add(s, table, chain, num, e->counters.pcnt, e->counters.bcnt, text);
	if (ret == 0)
		snprintf(s->rules[s->n - 1].target, sizeof(s->rules[0].target), "%s", target ? target : "");
	if (text != buf)
		free(text);
	return ret;
}

static int table_read(struct obs_ipt_snapshot *s, const char *table)
{
	struct xtc_handle *h = iptc_init(table);
	const char *chain;
	int ret = 0;

	if (!h)
		return errno ? -errno : -EPROTO;	/* errno 0: a version mismatch */
	for (chain = iptc_first_chain(h); chain && !ret; chain = iptc_next_chain(h)) {
		const struct ipt_entry *e;
		unsigned num = 0;

		if (iptc_builtin(chain, h)) {
			struct xt_counters c = { 0 };
			const char *policy = iptc_get_policy(chain, &c, h);
			char text[2 * OBS_IPT_NAME_MAX + 8];

			snprintf(text, sizeof(text), "-P %s %s", chain, policy ? policy : "?");
			ret = obs_ipt_snapshot_add(s, table, chain, 0, c.pcnt, c.bcnt, text);
			if (ret == 0)
				snprintf(s->rules[s->n - 1].target, sizeof(s->rules[0].target), "%s",
					 policy ? policy : "");
		}
		for (e = iptc_first_rule(chain, h); e && !ret; e = iptc_next_rule(e, h))
			ret = add_rule(s, table, chain, ++num, e, iptc_get_target(e, h));
	}
	iptc_free(h);
	return ret;
}

static int snapshot_here(void *arg)
{
	char names[MAX_TABLES][OBS_IPT_NAME_MAX];
	struct obs_ipt_snapshot *s = arg;
	unsigned n;
	int ret;

	ret = tables_here(names, &n);
	for (unsigned i = 0; i < n && !ret; i++)
		ret = table_read(s, names[i]);
	s->ntables = n;
	return ret;
}

int obs_ipt_snapshot_take(const char *netns, struct obs_ipt_snapshot *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = netns_run(netns, snapshot_here, s);
	if (ret < 0)
		obs_ipt_snapshot_free(s);
	return ret;
}

static bool same_rule(const struct obs_ipt_rule *a, const struct obs_ipt_rule *b)
{
	/* A policy pairs by chain only: its text holds the policy, which may change. */
	if (strcmp(a->table, b->table) || strcmp(a->chain, b->chain) || (a->num == 0) != (b->num == 0))
		return false;
	return a->num == 0 || !strcmp(a->text, b->text);
}

/* The rule of before that pairs with after->rules[i]: the one at *next (the
 * one after the last pair) if it is the same rule, which keeps the walk
 * linear when rules were added or removed elsewhere; else the k-th rule of
 * before equal to it, where after's is the k-th of its equals. */
static const struct obs_ipt_rule *pair(const struct obs_ipt_snapshot *before,
				       const struct obs_ipt_snapshot *after, size_t i, size_t *next)
{
	const struct obs_ipt_rule *r = &after->rules[i];
	size_t k = 0;

	if (*next < before->n && same_rule(&before->rules[*next], r))
		return &before->rules[(*next)++];
	for (size_t j = 0; j < i; j++)
		if (same_rule(&after->rules[j], r))
			k++;
	for (size_t j = 0; j < before->n; j++)
		if (same_rule(&before->rules[j], r) && k-- == 0) {
			*next = j + 1;
			return &before->rules[j];
		}
	return NULL;
}

int obs_ipt_diff(const struct obs_ipt_snapshot *before, const struct obs_ipt_snapshot *after,
		 struct obs_ipt_delta **out, size_t *n)
{
	struct obs_ipt_delta *d = NULL;
	size_t nd = 0, cap = 0, next = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < after->n; i++) {
		const struct obs_ipt_rule *r = &after->rules[i];
		const struct obs_ipt_rule *b = pair(before, after, i, &next);
		uint64_t base = b ? b->pkts : 0, bbase = b ? b->bytes : 0;

		/* A counter below its earlier value was zeroed (or the rule
		 * replaced) in between: what it holds now is all new. */
		if (r->pkts < base) {
			base = 0;
			bbase = 0;
		}
		if (r->pkts == base)
			continue;
		if (nd == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			void *p = realloc(d, ncap * sizeof(*d));

			if (!p) {
				free(d);
				return -ENOMEM;
			}
			d = p;
			cap = ncap;
		}
		d[nd].rule = r;
		d[nd].pkts = r->pkts - base;
		d[nd].bytes = r->bytes >= bbase ? r->bytes - bbase : r->bytes;
		d[nd].new_rule = !b;
		nd++;
	}
	*out = d;
	*n = nd;
	return 0;
}
