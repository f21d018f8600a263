/* verdict — ask the kernel what the checks need to know about the place
 * where the probe was last seen, then let the diagnosis table judge. The
 * asking is here, so every check stays a pure function of the evidence. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/diag/diag.h"
#include "trace/internal.h"

struct ask {
	uint32_t dst;
	struct trace_evidence *ev;
};

static int ask_here(void *arg)
{
	struct ask *q = arg;
	struct trace_evidence *ev = q->ev;
	struct nl_route_info r = { 0 };
	struct nl *nl = nl_open();
	int ret;

	if (!nl)
		return -errno;
	ret = nl_route_get(nl, q->dst, &r);
	ev->route_err = ret < 0 ? ret : 0;
	if (ret == 0) {
		ev->route_type = r.type;
		ev->route_dst = r.dst;
		ev->route_plen = r.plen;
		ev->route_gw = r.gw;
		/* The interface index only means something inside this namespace. */
		if (r.oif)
			if_indextoname((unsigned)r.oif, ev->route_oif);
		ev->next_hop = r.gw ? r.gw : q->dst;
		if (nl_neigh_state(nl, r.oif, ev->next_hop, &ev->neigh_state) < 0)
			ev->neigh_state = 0;
	}
	nl_close(nl);
	return 0;
}

int trace_evidence_collect(struct trace *t)
{
	struct trace_evidence *ev = &t->ev;
	struct ask q = { t->dst.ip, ev };

	memset(ev, 0, sizeof(*ev));
	if (!t->nns || t->res.outcome == PROBE_OK)
		return 0;
	ev->at = t->last_hop >= 0 ? t->hops[t->last_hop].ns : 0;
	ev->next_hop = t->dst.ip;
	/* A namespace that cannot be entered (deleted under the lab) leaves
	 * the questions unasked: the checks that need the answers stay silent. */
	if (netns_run(t->ns[ev->at], ask_here, &q) == 0)
		ev->asked = true;
	return 0;
}

int trace_verdict_find(struct trace *t)
{
	int ret = trace_evidence_collect(t);

	return ret < 0 ? ret : diag_run(t);
}

const char *trace_verdict_name(enum trace_verdict v)
{
	static const char *const names[TRACE_VERDICT_COUNT] = {
		[TRACE_DELIVERED] = "delivered",
		[TRACE_DROPPED] = "dropped",
		[TRACE_REFUSED] = "refused",
		[TRACE_UNREACHABLE] = "unreachable",
		[TRACE_NO_ROUTE] = "no-route",
		[TRACE_NO_NEIGHBOUR] = "no-neighbour",
		[TRACE_TIMEOUT] = "timeout",
		[TRACE_TTL_EXCEEDED] = "ttl-exceeded",
		[TRACE_ASYMMETRIC] = "asymmetric-return",
		[TRACE_TLS_FAILED] = "tls-failed",
	};

	return (unsigned)v < TRACE_VERDICT_COUNT ? names[v] : "?";
}
