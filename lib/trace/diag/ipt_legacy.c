/* iptables-legacy — a legacy x_tables rule (or a chain's DROP policy)
 * counted the probe and refused it: the rule nftables' trace never sees,
 * named from the counters read before and after the probe. */
#include <stdio.h>
#include <string.h>

#include "trace/diag/diag.h"

int diag_ipt_legacy(const struct trace *t, struct trace_finding *f)
{
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64];

	if (t->res.outcome == PROBE_OK)
		return 0;
	for (size_t i = 0; i < t->nipt; i++) {
		const struct trace_ipt_hit *h = &t->ipt[i];
		bool reject = !strcmp(h->target, "REJECT");

		if (!reject && strcmp(h->target, "DROP"))
			continue;
		diag_start(f, "iptables-legacy-rule", TRACE_DROPPED, (ssize_t)h->ns);
		snprintf(f->object, sizeof(f->object), "iptables-legacy table %s chain %s %s %u: %s",
			 h->table, h->chain, h->num ? "rule" : "policy", h->num, h->text);
		snprintf(f->actual, sizeof(f->actual), "%s", reject ? "reject" : "drop");
		if (t->lab)
			snprintf(f->command, sizeof(f->command), "ip netns exec %s iptables-legacy -t %s "
				 "-L %s -v -n --line-numbers", t->ns[h->ns], h->table, h->chain);
		diag_last_seen(t, seen, sizeof(seen));
		if (!h->num)
			return diag_say(f, "dropped by iptables-legacy in %s: table %s chain %s has "
					"policy DROP (%s), which nftables' trace cannot see; %s",
					t->ns_label[h->ns], h->table, h->chain, h->text, seen);
		return diag_say(f, "%s by iptables-legacy in %s: table %s chain %s rule %u, \"%s\", "
				"counted %llu of the probe's packets (a legacy rule: nftables' trace "
				"cannot see it); %s", reject ? "rejected" : "dropped",
				t->ns_label[h->ns], h->table, h->chain, h->num, h->text,
				(unsigned long long)h->pkts, seen);
	}
	return 0;
}
