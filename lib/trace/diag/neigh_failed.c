/* neigh-failed — the same failure as arp-unanswered with its ARP outside
 * this trace's window: the namespace where the request was last seen holds
 * the next hop as FAILED, or still INCOMPLETE, from an earlier try whose
 * end also failed this probe (queued behind it); the host unreachable came
 * from there. */
#include <stdio.h>

#include <linux/neighbour.h>

#include "trace/diag/diag.h"

int diag_neigh_failed(const struct trace *t, struct trace_finding *f)
{
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], a[ADDR_STRLEN];

	if (t->res.outcome != PROBE_UNREACHABLE || !t->ev.asked || t->ev.route_err ||
	    !(t->ev.neigh_state & (NUD_FAILED | NUD_INCOMPLETE)))
		return 0;
	diag_start(f, "neigh-failed", TRACE_NO_NEIGHBOUR, (ssize_t)t->ev.at);
	f->cause = "arp-unanswered";
	snprintf(f->ifname, sizeof(f->ifname), "%s", t->ev.route_oif);
	snprintf(f->object, sizeof(f->object), "neighbour %s dev %s", addr_fmt(t->ev.next_hop, a),
		 t->ev.route_oif);
	snprintf(f->actual, sizeof(f->actual), "%s",
		 t->ev.neigh_state & NUD_FAILED ? "FAILED" : "INCOMPLETE");
	if (t->lab)
		snprintf(f->command, sizeof(f->command), "ip -n %s neigh show %s", t->ns[t->ev.at], a);
	diag_last_seen(t, seen, sizeof(seen));
	return diag_say(f, "neighbour %s not resolved: %s holds it unresolved on %s (its ARP, begun "
			"before this trace, went unanswered), whence the host unreachable; %s", a,
			t->ns_label[t->ev.at], t->ev.route_oif, seen);
}
