/* route — where the request was last seen, the kernel's own route lookup
 * towards the destination fails: a blackhole, unreachable or prohibit
 * route, or no route at all. Said with or without a drop event (the
 * lookup is the evidence), and before the ICMP error it caused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "edge/edge.h"
#include "trace/diag/diag.h"

struct route_fail {
	int err;
	const char *cause, *what;
};

/* What ip route get answers for each kind of route that refuses. */
static const struct route_fail fails[] = {
	{ -EINVAL, "blackhole-route", "a blackhole route" },
	{ -EHOSTUNREACH, "unreachable-route", "an unreachable route" },
	{ -EACCES, "prohibit-route", "a prohibit route" },
	{ -ENETUNREACH, "no-route", "no route" },
};

int diag_route(const struct trace *t, struct trace_finding *f)
{
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], a[ADDR_STRLEN];
	const struct route_fail *r = NULL;
	const struct trace_hop *rep = diag_first_reply(t);
	size_t src = diag_src_ns(t);

	if (t->res.outcome == PROBE_OK || t->res.outcome == PROBE_REFUSED || !t->ev.asked ||
	    !t->ev.route_err)
		return 0;
	/* The source's own lookup failing is the no-route check's. */
	if (t->ev.at == src && t->res.outcome == PROBE_NO_ROUTE)
		return 0;
	for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]) && !r; i++)
		if (fails[i].err == t->ev.route_err)
			r = &fails[i];
	if (!r)
		return 0;
	/* A router that said so (ICMP unreachable, prohibited) keeps the
	 * verdict its answer gave; one that said nothing has no route. */
	diag_start(f, "route", t->res.outcome == PROBE_UNREACHABLE ? TRACE_UNREACHABLE : TRACE_NO_ROUTE,
		   (ssize_t)t->ev.at);
	/* A node's public address that the gateway routes as its own: its
	 * 1:1 NAT lost the address (the plan's element is missing there). */
	if (t->lab && t->dst.public_ip && !strcmp(t->ns[t->ev.at], t->lab->plan.gw_netns))
		for (size_t i = 0; i < t->plan.n; i++)
			if (!strcmp(t->plan.v[i].netns, t->lab->plan.gw_netns) &&
			    t->plan.v[i].kind == LAB_CK_NFT_ELEM_MISSING &&
			    !strcmp(t->plan.v[i].nft_name, EDGE_GW_MAP_IN)) {
				f->cause = "gateway-nat-missing";
				snprintf(f->object, sizeof(f->object), "%s", t->plan.v[i].object);
				snprintf(f->expected, sizeof(f->expected), "%s", t->plan.v[i].expected);
				snprintf(f->actual, sizeof(f->actual), "none");
				lab_check_command(&t->plan.v[i], f->command, sizeof(f->command));
				diag_last_seen(t, seen, sizeof(seen));
				return diag_say(f, "the cloud gateway has no 1:1 NAT for %s any more "
						"(%s: missing), so it routed the address as its own and "
						"found %s; %s", addr_fmt(t->dst.ip, a), t->plan.v[i].object,
						r->what, seen);
			}
	f->cause = r->cause;
	f->hop = t->last_hop;
	snprintf(f->object, sizeof(f->object), "route to %s", addr_fmt(t->dst.ip, a));
	snprintf(f->actual, sizeof(f->actual), "%s (%s)", r->what, strerror(-r->err));
	snprintf(f->expected, sizeof(f->expected), "a route that forwards it");
	if (t->lab)
		snprintf(f->command, sizeof(f->command), "ip -n %s route get %s", t->ns[t->ev.at], a);
	diag_last_seen(t, seen, sizeof(seen));
	/* Said with the router's own answer, when it gave one. */
	if (t->res.outcome == PROBE_UNREACHABLE && rep)
		return diag_say(f, "%s has %s to %s (the kernel's route lookup there answers \"%s\"): "
				"%s, first seen at %s; %s", t->ns_label[t->ev.at], r->what, a,
				strerror(-r->err), t->res.answer[0] ? t->res.answer : strerror(t->res.err),
				t->ns_label[rep->ns], seen);
	return diag_say(f, "%s has %s to %s (the kernel's route lookup there answers \"%s\"), so "
			"it cannot forward it; %s", t->ns_label[t->ev.at], r->what, a,
			strerror(-r->err), seen);
}
