/* timeout — nothing came back and no check found why: it vanished. Always
 * finds, so it ends the table. */
#include "trace/diag/diag.h"

int diag_timeout(const struct trace *t, struct trace_finding *f)
{
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64];

	diag_start(f, "timeout", TRACE_TIMEOUT, t->last_hop >= 0 ? (ssize_t)t->hops[t->last_hop].ns
								 : -1);
	f->hop = t->last_hop;
	diag_last_seen(t, seen, sizeof(seen));
	if (t->res.answer[0])	/* e.g. a handshake without an HTTP answer */
		return diag_say(f, "%s; %s", t->res.answer, seen);
	return diag_say(f, "no answer within %d ms; %s", t->timeout_ms, seen);
}
