/* common — what the diagnosis checks share: a finding's start and words,
 * and the few facts about a trace most of them need. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/diag/diag.h"

int diag_say(struct trace_finding *f, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	free(f->text);
	f->text = s;
	return 1;
}

void diag_start(struct trace_finding *f, const char *check, enum trace_verdict v, ssize_t ns)
{
	char *text = f->text;

	memset(f, 0, sizeof(*f));
	f->text = text;
	f->check = check;
	f->cause = check;
	f->verdict = v;
	f->ns = ns;
	f->hop = -1;
	f->policy_dir = -1;
}

void diag_last_seen(const struct trace *t, char *buf, size_t len)
{
	const struct trace_hop *h;

	if (t->last_hop < 0) {
		snprintf(buf, len, "never seen leaving %s", t->src.label);
		return;
	}
	h = &t->hops[t->last_hop];
	snprintf(buf, len, "last seen at hop %zd, %s %s (%s)", t->last_hop + 1, t->ns_label[h->ns],
		 h->pkt->ifname, h->pkt->outgoing ? "out" : "in");
}

const struct trace_hop *diag_first_reply(const struct trace *t)
{
	for (size_t h = 0; h < t->nhops; h++)
		if (t->hops[h].reply)
			return &t->hops[h];
	return NULL;
}

size_t diag_src_ns(const struct trace *t)
{
	for (size_t i = 0; t->src.netns && i < t->nns; i++)
		if (!strcmp(t->ns[i], t->src.netns))
			return i;
	return SIZE_MAX;
}

const struct capture_pkt *diag_packets(const struct trace *t, size_t *n)
{
	if (!t->cap) {
		*n = 0;
		return NULL;
	}
	return capture_packets(t->cap, n);
}

const struct trace_drop *diag_terminal_drop(const struct trace *t)
{
	for (size_t i = 0; i < t->ndrops; i++) {
		const struct trace_drop *d = &t->drops[i];
		bool later = false;

		if (d->reply || d->copy)
			continue;
		for (size_t h = 0; h < t->nhops && !later; h++)
			later = !t->hops[h].reply && t->hops[h].pkt->ts_ns > d->ts_ns;
		if (!later)
			return d;
	}
	return NULL;
}
