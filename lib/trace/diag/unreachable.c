/* unreachable — an ICMP unreachable came back from a router or host. */
#include <string.h>

#include "trace/diag/diag.h"

int diag_unreachable(const struct trace *t, struct trace_finding *f)
{
	const struct trace_hop *r = diag_first_reply(t);
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64];

	if (t->res.outcome != PROBE_UNREACHABLE)
		return 0;
	diag_start(f, "unreachable", TRACE_UNREACHABLE, r ? (ssize_t)r->ns : -1);
	diag_last_seen(t, seen, sizeof(seen));
	return diag_say(f, "%s%s%s; %s", t->res.answer[0] ? t->res.answer : strerror(t->res.err),
			r ? ", first seen at " : "", r ? t->ns_label[r->ns] : "", seen);
}
