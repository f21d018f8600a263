/* upstream — behind an ingress controller, the controller gave up on its
 * own connection to the endpoint and answered the client with its gateway
 * error: the client's request died on that second connection, so the
 * client's verdict is that connection's, not "delivered". */
#include <stdio.h>
#include <string.h>

#include "trace/diag/diag.h"

bool diag_upstream_gave_up(const struct trace *t)
{
	const struct trace *u = t->upstream;

	/* upstream.c makes connection 2's outcome other than the client's
	 * only for nginx's own gateway error: a 504 for a connection whose
	 * answer never reached nginx, a 502 for one the endpoint refused. */
	return u && t->res.outcome == PROBE_OK &&
	       (t->res.http_status == 502 || t->res.http_status == 504) &&
	       u->res.outcome != PROBE_OK && u->nfindings && u->findings[0].text;
}

int diag_from_upstream(const struct trace *t, struct trace_finding *f)
{
	const struct trace *u = t->upstream;
	const struct trace_finding *uf = &u->findings[0];
	char answered[sizeof(t->res.answer) + 64] = "", *text = f->text;

	/* Its places are t's: the upstream trace has the same namespaces, in
	 * the same order. */
	if (uf->ns >= 0 && ((size_t)uf->ns >= t->nns || strcmp(t->ns[uf->ns], u->ns[uf->ns])))
		return 0;
	/* f keeps its own text, which diag_say replaces (as diag_start does). */
	*f = *uf;
	f->text = text;
	f->hop = t->last_hop;
	f->upstream = true;
	/* nginx gave up on it and said so: its gateway error is no delivery. */
	if (t->res.outcome == PROBE_OK)
		snprintf(answered, sizeof(answered), ", for which it answered %s", t->res.answer);
	return diag_say(f, "connection 2, %s's own to the endpoint (see upstream)%s: %s",
			u->src.label, answered, uf->text);
}

int diag_upstream(const struct trace *t, struct trace_finding *f)
{
	return diag_upstream_gave_up(t) ? diag_from_upstream(t, f) : 0;
}
