/* delivered — the probe got its answer. */
#include <string.h>

#include "trace/diag/diag.h"

int diag_delivered(const struct trace *t, struct trace_finding *f)
{
	/* An answer, unless it is the ingress controller's gateway error for
	 * a connection of its own that died (the upstream check says so). */
	if (t->res.outcome != PROBE_OK || diag_upstream_gave_up(t))
		return 0;
	diag_start(f, "delivered", TRACE_DELIVERED, -1);
	/* Through an ingress controller that found no rule: the packets were
	 * delivered, but to the default backend, not to any Service. */
	if (!strncmp(t->res.via, LAB_INGRESS_DEFAULT_BACKEND, strlen(LAB_INGRESS_DEFAULT_BACKEND))) {
		f->cause = "default-backend";
		return diag_say(f, "%s: the default backend answered %d",
				t->res.via + strlen(LAB_INGRESS_DEFAULT_BACKEND), t->res.http_status);
	}
	return diag_say(f, "%s", t->res.answer);
}
