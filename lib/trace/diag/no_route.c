/* no-route — the source itself has no route (ENETUNREACH when sending). */
#include <stdio.h>

#include "trace/diag/diag.h"

int diag_no_route(const struct trace *t, struct trace_finding *f)
{
	size_t src = diag_src_ns(t);
	char a[ADDR_STRLEN];

	if (t->res.outcome != PROBE_NO_ROUTE)
		return 0;
	diag_start(f, "no-route", TRACE_NO_ROUTE, src == SIZE_MAX ? -1 : (ssize_t)src);
	snprintf(f->object, sizeof(f->object), "route to %s", addr_fmt(t->dst.ip, a));
	if (t->src.netns)
		snprintf(f->command, sizeof(f->command), "ip -n %s route get %s", t->src.netns, a);
	return diag_say(f, "%s has no route to %s", t->src.label, a);
}
