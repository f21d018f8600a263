/* ttl-exceeded — a router said the TTL ran out: the probe went round in
 * circles (or the path is longer than it may be), whatever the socket
 * reported. */
#include <netinet/in.h>

#include "trace/diag/diag.h"

int diag_ttl_exceeded(const struct trace *t, struct trace_finding *f)
{
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], a[ADDR_STRLEN];

	for (size_t h = 0; h < t->nhops; h++) {
		const struct capture_pkt *k = t->hops[h].pkt;

		if (!t->hops[h].reply || k->proto != IPPROTO_ICMP || k->icmp_type != 11)
			continue;
		diag_start(f, "ttl-exceeded", TRACE_TTL_EXCEEDED, (ssize_t)t->hops[h].ns);
		f->hop = (ssize_t)h;
		diag_last_seen(t, seen, sizeof(seen));
		return diag_say(f, "TTL exceeded: ICMP time exceeded from %s, first seen at %s (a "
				"routing loop? the request hops show where it went round); %s",
				addr_fmt(k->saddr, a), t->ns_label[t->hops[h].ns], seen);
	}
	return 0;
}
