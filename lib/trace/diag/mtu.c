/* mtu — a DF probe of --size bytes met a link too small for it: the
 * source's own route refused it (EMSGSIZE), a router sent "fragmentation
 * needed" with its next hop's MTU, or the kernel dropped it as too big
 * where nothing answered (a veth or bridge port of a smaller MTU drops
 * silently: the black hole path-MTU discovery cannot see). */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "trace/diag/diag.h"

static const struct trace_hop *frag_needed(const struct trace *t)
{
	for (size_t h = 0; h < t->nhops; h++) {
		const struct capture_pkt *k = t->hops[h].pkt;

		if (t->hops[h].reply && k->proto == IPPROTO_ICMP && k->icmp_type == 3 &&
		    k->icmp_code == 4)
			return &t->hops[h];
	}
	return NULL;
}

/* A drop for size: the kernel's reason says so, or a veth refused to
 * pass a frame larger than its peer takes (__dev_forward_skb). */
static bool too_big(const struct trace_drop *d)
{
	return strstr(d->reason, "TOO_BIG") || strstr(d->reason, "MTU") ||
	       strstr(d->reason, "FRAG") || !strncmp(d->func, "__dev_forward_skb", 17);
}

/* The first drop for size, of the request or of the answer. */
static const struct trace_drop *size_drop(const struct trace *t)
{
	for (size_t i = 0; i < t->ndrops; i++)
		if (too_big(&t->drops[i]))
			return &t->drops[i];
	return NULL;
}

int diag_mtu(const struct trace *t, struct trace_finding *f)
{
	const struct trace_drop *d = size_drop(t);
	const struct trace_hop *r = frag_needed(t);
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], a[ADDR_STRLEN];
	size_t src = diag_src_ns(t);

	if (t->res.outcome == PROBE_OK)
		return 0;
	diag_last_seen(t, seen, sizeof(seen));
	if (t->probe.size && t->res.err == EMSGSIZE && !r) {
		diag_start(f, "mtu", TRACE_UNREACHABLE, src == SIZE_MAX ? -1 : (ssize_t)src);
		snprintf(f->object, sizeof(f->object), "route to %s", addr_fmt(t->dst.ip, a));
		snprintf(f->expected, sizeof(f->expected), "mtu >= %u", t->probe.size);
		if (t->res.path_mtu)
			snprintf(f->actual, sizeof(f->actual), "mtu %d", t->res.path_mtu);
		if (t->src.netns)
			snprintf(f->command, sizeof(f->command), "ip -n %s route get %s", t->src.netns, a);
		return diag_say(f, "%s cannot send %u bytes with DF set towards %s: its route's MTU "
				"is %d, so the packet needs fragmenting before it leaves", t->src.label,
				t->probe.size, a, t->res.path_mtu);
	}
	if (t->probe.size && r) {
		diag_start(f, "mtu", TRACE_UNREACHABLE, (ssize_t)r->ns);
		f->hop = r - t->hops;
		snprintf(f->object, sizeof(f->object), "path MTU at %s", addr_fmt(r->pkt->saddr, a));
		snprintf(f->expected, sizeof(f->expected), "mtu >= %u", t->probe.size);
		snprintf(f->actual, sizeof(f->actual), "mtu %u", r->pkt->icmp_mtu);
		if (t->lab)
			snprintf(f->command, sizeof(f->command), "ip -n %s link show", t->ns[r->ns]);
		return diag_say(f, "%u bytes with DF set need fragmenting at %s (%s): its next hop's "
				"MTU is %u (ICMP fragmentation needed, first seen at %s); %s",
				t->probe.size, a, t->ns_label[r->ns], r->pkt->icmp_mtu,
				t->ns_label[r->ns], seen);
	}
	if (d) {
		diag_start(f, "mtu", TRACE_DROPPED, d->ns);
		snprintf(f->ifname, sizeof(f->ifname), "%s", d->ifname);
		snprintf(f->drop_reason, sizeof(f->drop_reason), "%s", d->reason);
		snprintf(f->drop_func, sizeof(f->drop_func), "%s", d->func);
		snprintf(f->object, sizeof(f->object), "link %s", d->ifname);
		if (t->probe.size)
			snprintf(f->expected, sizeof(f->expected), "mtu >= %u", t->probe.size);
		if (t->lab && d->ns >= 0)
			snprintf(f->command, sizeof(f->command), "ip -n %s link show %s", t->ns[d->ns],
				 d->ifname);
		return diag_say(f, "%s %s dropped the %s's packets of %u bytes as too big for the "
				"link beyond it (its peer's MTU is smaller), without a word: a path-MTU "
				"black hole; kernel drop reason %s in %s; %s",
				d->ns >= 0 ? t->ns_label[d->ns] : "?", d->ifname,
				d->reply ? "answer" : "request", d->ip_len, d->reason, d->func, seen);
	}
	return 0;
}
