/* asymmetric-return — an answer that reached the source from an address it
 * never sent to, and that the source refused: a DNAT on the way (a NodePort
 * on another node, say) whose reply came back by another path, so the
 * conntrack entry that would have undone it never saw it. Named with the
 * hop where the destination became the address the answer came from. */
#include <netinet/in.h>
#include <stdio.h>

#include "trace/diag/diag.h"

#define TCP_RST 0x04

/* The source's kernel turned the stray answer back away: a TCP RST, or for
 * UDP an ICMP port unreachable quoting it, leaving the source namespace.
 * Without that, an answer from another address may be a legitimate one
 * whose DNAT is undone only after the capture (a node's own probe to a
 * ClusterIP is translated back at local-in). */
static bool source_refused(const struct trace *t, size_t src_ns, const struct capture_pkt *back)
{
	size_t n;
	const struct capture_pkt *all = diag_packets(t, &n);

	for (size_t i = 0; i < n; i++) {
		const struct capture_pkt *k = &all[i];

		if (k->ns != src_ns || !k->outgoing || k->ethertype != 0x0800)
			continue;
		if (back->proto == IPPROTO_TCP && k->proto == IPPROTO_TCP && (k->tcp_flags & TCP_RST) &&
		    k->saddr == back->daddr && k->sport == back->dport && k->daddr == back->saddr &&
		    k->dport == back->sport)
			return true;
		if (back->proto == IPPROTO_UDP && k->proto == IPPROTO_ICMP && k->icmp_type == 3 &&
		    k->has_inner_err && k->err_proto == IPPROTO_UDP && k->err_sport == back->sport &&
		    k->err_dport == back->dport)
			return true;
	}
	return false;
}

int diag_asymmetric(const struct trace *t, struct trace_finding *f)
{
	const struct trace_hop *back = NULL, *nat = NULL;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64];
	size_t src_ns = diag_src_ns(t);

	if (t->res.outcome != PROBE_TIMEOUT || t->probe.proto == PROBE_ICMP || src_ns == SIZE_MAX)
		return 0;	/* an echo from elsewhere is simply not delivered */
	for (size_t h = 0; h < t->nhops; h++) {
		const struct capture_pkt *k = t->hops[h].pkt;

		if (t->hops[h].reply && !k->outgoing && !k->has_inner_err && t->hops[h].ns == src_ns &&
		    (k->saddr != t->dst.ip || k->sport != t->probe.dport))
			back = &t->hops[h];
	}
	for (size_t h = 0; back && h < t->nhops && !nat; h++) {
		const struct capture_pkt *k = t->hops[h].pkt;

		if (!t->hops[h].reply && k->daddr == back->pkt->saddr && k->dport == back->pkt->sport)
			nat = &t->hops[h];
	}
	if (!back || !nat || !source_refused(t, src_ns, back->pkt))
		return 0;
	diag_start(f, "asymmetric-return", TRACE_ASYMMETRIC, (ssize_t)nat->ns);
	f->hop = nat - t->hops;
	diag_last_seen(t, seen, sizeof(seen));
	return diag_say(f, "the answer reached %s from %s:%u, not from %s:%u where the probe went: "
			"%s translated the destination and the answer came back another way, not "
			"through it to be translated back, so %s refused it; %s", t->src.label,
			addr_fmt(back->pkt->saddr, a), back->pkt->sport, addr_fmt(t->dst.ip, b),
			t->probe.dport, t->ns_label[nat->ns], t->src.label, seen);
}
