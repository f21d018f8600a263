/* forward — without the kernel's own word (kernel drops not watched, or
 * nothing seen), the question the packet asked where it was last seen,
 * asked again: the route lookup with its source and input interface says
 * whether that place forwards from there at all, and whether the
 * reverse-path filter accepts the source on that interface. */
#include <stdio.h>
#include <string.h>

#include "trace/diag/diag.h"

int diag_forward(const struct trace *t, struct trace_finding *f)
{
	const struct trace_evidence *ev = &t->ev;
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], key[64 + IF_NAMESIZE];
	char a[ADDR_STRLEN], s[ADDR_STRLEN];
	const char *place;

	if (t->res.outcome == PROBE_OK || !ev->iif_asked || diag_terminal_drop(t) ||
	    (!ev->iif_forwarding_off && !ev->iif_rp_filter))
		return 0;
	/* The destination itself receives, it does not forward. */
	if (t->dst.netns && !strcmp(t->ns[ev->at], t->dst.netns))
		return 0;
	place = t->ns_label[ev->at];
	diag_last_seen(t, seen, sizeof(seen));
	diag_start(f, "forward", TRACE_DROPPED, (ssize_t)ev->at);
	f->hop = t->last_hop;
	snprintf(f->ifname, sizeof(f->ifname), "%s", ev->iif);
	addr_fmt(t->dst.ip, a);
	addr_fmt(ev->iif_src, s);
	if (ev->iif_forwarding_off) {
		/* Off for the whole namespace, or only on the interface it came in on. */
		bool global = ev->sys_asked && ev->sys_at == ev->at && ev->ip_forward == 0;

		f->cause = "forwarding-off";
		snprintf(key, sizeof(key), global ? "net.ipv4.ip_forward" : "net.ipv4.conf.%s.forwarding",
			 ev->iif);
		snprintf(f->object, sizeof(f->object), "sysctl %s", key);
		snprintf(f->expected, sizeof(f->expected), "1");
		snprintf(f->actual, sizeof(f->actual), "0");
		if (t->lab)
			snprintf(f->command, sizeof(f->command), "ip netns exec %s sysctl %s", t->ns[ev->at],
				 key);
		return diag_say(f, "%s did not forward it: IPv4 forwarding is off (%s=0), so the "
				"kernel's route lookup for %s from %s in on %s fails; %s", place, key, a,
				s, ev->iif, seen);
	}
	f->cause = "rp-filter";
	snprintf(key, sizeof(key), "net.ipv4.conf.%s.rp_filter", ev->iif);
	snprintf(f->object, sizeof(f->object), "sysctl %s", key);
	snprintf(f->expected, sizeof(f->expected), "0");
	if (ev->sys_asked && ev->sys_at == ev->at && ev->rp_filter >= 0)
		snprintf(f->actual, sizeof(f->actual), "%ld", ev->rp_filter);
	if (t->lab)
		snprintf(f->command, sizeof(f->command), "ip -n %s route get %s from %s iif %s",
			 t->ns[ev->at], a, s, ev->iif);
	return diag_say(f, "%s refused it on %s: the reverse-path filter (%s=%s) finds that the "
			"route back to %s does not leave by %s; %s", place, ev->iif, key,
			f->actual[0] ? f->actual : "on", s, ev->iif, seen);
}
