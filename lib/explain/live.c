/* live — a sentence per hop of a real trace, for `explain --live`: what the
 * place is, what happened to the packet there, and why it moved on, in the
 * words of the topic rather than of the packet dump. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "explain/explain.h"
#include "trace/trace.h"

/* What kind of place a namespace label names, as the trace labels them. */
static const char *place_role(const char *label)
{
	if (!strncmp(label, "pod ", 4))
		return "the pod";
	if (!strncmp(label, "node ", 5))
		return "the node";
	if (!strcmp(label, "VPC"))
		return "the VPC router";
	if (!strcmp(label, "gateway"))
		return "the cloud's internet gateway";
	if (!strcmp(label, "load balancer"))
		return "the cloud load balancer";
	if (!strcmp(label, "internet"))
		return "the internet router";
	if (!strncmp(label, "internet host ", 14))
		return "the internet host";
	return "the namespace";
}

/* The packet as it was at the hop: addresses and ports, whatever NAT did
 * before (the learner follows them change), at most 64 bytes. */
static void packet_fmt(const struct capture_pkt *k, char *buf, size_t len)
{
	char s[ADDR_STRLEN], d[ADDR_STRLEN];

	addr_fmt(k->saddr, s);
	addr_fmt(k->daddr, d);
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP)
		snprintf(buf, len, "%s:%u > %s:%u", s, k->sport, d, k->dport);
	else
		snprintf(buf, len, "%s > %s", s, d);
}

_Static_assert(EXPLAIN_SENTENCE_MAX >= TRACE_LABEL_MAX + IF_NAMESIZE + 64 +
	       sizeof(((struct trace_hop *)0)->change) + sizeof(((struct trace_hop *)0)->why) + 160,
	       "EXPLAIN_SENTENCE_MAX holds a hop's sentence");

void explain_hop_sentence(const struct trace *t, size_t h, char *buf, size_t len)
{
	const struct trace_hop *hop = &t->hops[h];
	const char *where = t->ns_label[hop->ns];
	const char *what = hop->reply ? "the answer" : "the packet";
	char pkt[64];
	size_t n;

	packet_fmt(hop->pkt, pkt, sizeof(pkt));
	if (hop->pkt->outgoing)
		n = (size_t)snprintf(buf, len, "%s (%s) sends %s out of %s as %s", where,
				     place_role(where), what, hop->pkt->ifname, pkt);
	else
		n = (size_t)snprintf(buf, len, "%s (%s) receives %s on %s as %s", where,
				     place_role(where), what, hop->pkt->ifname, pkt);
	/* What changed is the lesson: a DNAT is kube-proxy (or the cloud), a
	 * SNAT a masquerade, a decrement a router. */
	if (n < len && hop->svc.named)
		n += (size_t)snprintf(buf + n, len - n, "; kube-proxy's DNAT sends it to one of "
				      "the Service's endpoints, picked at random");
	else if (n < len && !hop->reply && (hop->changed & TRACE_CHG_DST))
		n += (size_t)snprintf(buf + n, len - n, "; its destination is rewritten (%s)",
				      hop->change);
	else if (n < len && !hop->reply && (hop->changed & TRACE_CHG_SRC))
		n += (size_t)snprintf(buf + n, len - n, "; its source is rewritten, so the far end "
				      "sees this address (%s)", hop->change);
	else if (n < len && hop->reply && (hop->changed & (TRACE_CHG_DST | TRACE_CHG_SRC)))
		n += (size_t)snprintf(buf + n, len - n, "; conntrack undoes the translation on the "
				      "way back (%s)", hop->change);
	else if (n < len && (hop->changed & TRACE_CHG_ENCAP))
		n += (size_t)snprintf(buf + n, len - n, "; it is wrapped in VXLAN to cross to the "
				      "other node (%s)", hop->change);
	else if (n < len && (hop->changed & TRACE_CHG_DECAP))
		n += (size_t)snprintf(buf + n, len - n, "; the VXLAN wrapping comes off");
	if (n < len && hop->why[0])
		snprintf(buf + n, len - n, ": %s", hop->why);
}
