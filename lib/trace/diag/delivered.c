/* delivered — the probe got its answer. */
#include "trace/diag/diag.h"

int diag_delivered(const struct trace *t, struct trace_finding *f)
{
	if (t->res.outcome != PROBE_OK)
		return 0;
	diag_start(f, "delivered", TRACE_DELIVERED, -1);
	return diag_say(f, "%s", t->res.answer);
}
