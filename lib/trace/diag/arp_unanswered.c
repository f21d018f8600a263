/* arp-unanswered — the next hop never answered ARP: an unanswered request
 * for it, in the namespace where the probe was last seen (other ARP, e.g. a
 * neighbour still being retried for an earlier probe, is not this trace's
 * business). A host unreachable is what the kernel says once ARP gave up,
 * so the neighbour is named rather than the ICMP error. */
#include <stdio.h>

#include "trace/diag/diag.h"

int diag_arp_unanswered(const struct trace *t, struct trace_finding *f)
{
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], a[ADDR_STRLEN];
	const struct capture_pkt *all;
	size_t n;

	if ((t->res.outcome != PROBE_UNREACHABLE && t->res.outcome != PROBE_TIMEOUT) ||
	    !t->ev.asked || !t->nns)
		return 0;
	all = diag_packets(t, &n);
	for (size_t i = 0; i < n; i++) {
		bool answered = false;

		if (all[i].ethertype != 0x0806 || all[i].arp_op != 1 || !all[i].outgoing ||
		    all[i].ns != t->ev.at || all[i].arp_tpa != t->ev.next_hop)
			continue;
		for (size_t j = 0; j < n && !answered; j++)
			answered = all[j].ethertype == 0x0806 && all[j].arp_op == 2 &&
				   all[j].arp_spa == t->ev.next_hop;
		if (answered)
			continue;
		diag_start(f, "arp-unanswered", TRACE_NO_NEIGHBOUR, (ssize_t)t->ev.at);
		snprintf(f->ifname, sizeof(f->ifname), "%s", all[i].ifname);
		snprintf(f->object, sizeof(f->object), "neighbour %s dev %s",
			 addr_fmt(t->ev.next_hop, a), all[i].ifname);
		if (t->lab)
			snprintf(f->command, sizeof(f->command), "ip -n %s neigh show %s",
				 t->ns[t->ev.at], a);
		diag_last_seen(t, seen, sizeof(seen));
		return diag_say(f, "neighbour %s not resolved: ARP on %s %s unanswered; %s", a,
				t->ns_label[t->ev.at], all[i].ifname, seen);
	}
	return 0;
}
