/* tls-failed — HTTPS: connected, but the TLS handshake failed or the
 * server's certificate was not to be trusted. */
#include "trace/diag/diag.h"

int diag_tls_failed(const struct trace *t, struct trace_finding *f)
{
	char a[ADDR_STRLEN];

	if (t->res.outcome != PROBE_TLS_FAILED)
		return 0;
	diag_start(f, "tls-failed", TRACE_TLS_FAILED, -1);
	return diag_say(f, "%s (server %s:%u)", t->res.answer, addr_fmt(t->probe.daddr, a),
			t->probe.dport);
}
