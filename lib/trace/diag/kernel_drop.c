/* kernel-drop — the kernel itself dropped the probe (skb:kfree_skb with a
 * drop reason), where no nftables rule did: forwarding off, the reverse-path
 * filter, a netfilter hook nft trace cannot see (iptables-legacy, a full
 * conntrack table), a frame for another MAC, no route. The reason and the
 * function come from the kernel; the sysctls asked at that place say which
 * setting made it so. */
#include <stdio.h>
#include <string.h>

#include "trace/diag/diag.h"
#include "trace/observe/neigh.h"

static void mac_fmt(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* The sysctls, when asked at the drop's place. */
static long at_drop(const struct trace *t, const struct trace_drop *d, long v)
{
	return t->ev.sys_asked && d->ns >= 0 && t->ev.sys_at == (size_t)d->ns ? v : -1;
}

static void sysctl_object(struct trace_finding *f, const struct trace *t, const char *key,
			  const char *expected, long actual)
{
	snprintf(f->object, sizeof(f->object), "sysctl %s", key);
	snprintf(f->expected, sizeof(f->expected), "%s", expected);
	snprintf(f->actual, sizeof(f->actual), "%ld", actual);
	if (t->lab && f->ns >= 0)
		snprintf(f->command, sizeof(f->command), "ip netns exec %s sysctl %s", t->ns[f->ns], key);
}

int diag_kernel_drop(const struct trace *t, struct trace_finding *f)
{
	const struct trace_drop *d = diag_terminal_drop(t);
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], key[64 + IF_NAMESIZE], src[ADDR_STRLEN];
	const char *place;
	long v;

	if (!d || t->res.outcome == PROBE_OK)
		return 0;
	diag_start(f, "kernel-drop", TRACE_DROPPED, d->ns);
	snprintf(f->ifname, sizeof(f->ifname), "%s", d->ifname);
	snprintf(f->drop_reason, sizeof(f->drop_reason), "%s", d->reason);
	snprintf(f->drop_func, sizeof(f->drop_func), "%s", d->func);
	place = d->ns >= 0 ? t->ns_label[d->ns] : "an unobserved namespace";
	diag_last_seen(t, seen, sizeof(seen));
	if (!strcmp(d->reason, "IP_INADDRERRORS") && (v = at_drop(t, d, t->ev.ip_forward)) == 0) {
		f->cause = "forwarding-off";
		sysctl_object(f, t, "net.ipv4.ip_forward", "1", v);
		return diag_say(f, "%s did not forward it: IPv4 forwarding is off "
				"(net.ipv4.ip_forward=0); kernel drop reason %s in %s; %s", place,
				d->reason, d->func, seen);
	}
	if (!strcmp(d->reason, "IP_RPFILTER")) {
		f->cause = "rp-filter";
		snprintf(key, sizeof(key), "net.ipv4.conf.%s.rp_filter", d->ifname[0] ? d->ifname : "all");
		v = at_drop(t, d, t->ev.rp_filter);
		if (v >= 0)
			sysctl_object(f, t, key, "0", v);
		/* The lookup the filter made, which fails with EXDEV ("Invalid
		 * cross-device link") while the return route leaves elsewhere. */
		if (t->lab && d->ns >= 0 && d->ifname[0]) {
			char dst[ADDR_STRLEN];

			snprintf(f->command, sizeof(f->command), "ip -n %s route get %s from %s iif %s",
				 t->ns[d->ns], addr_fmt(d->daddr, dst), addr_fmt(d->saddr, src), d->ifname);
		}
		return diag_say(f, "%s refused it on %s: the reverse-path filter (%s=%s) found that "
				"the route back to %s does not leave by %s; kernel drop reason %s in %s; "
				"%s", place, d->ifname, key, v >= 0 ? f->actual : "strict",
				addr_fmt(d->saddr, src), d->ifname, d->reason, d->func, seen);
	}
	if (!strcmp(d->reason, "NETFILTER_DROP") &&
	    (v = at_drop(t, d, t->ev.ct_max)) >= 0 && t->ev.ct_count >= v) {
		f->cause = "conntrack-full";
		sysctl_object(f, t, "net.netfilter.nf_conntrack_max", "more than in use", v);
		return diag_say(f, "%s dropped it: its conntrack table is full (%ld entries, "
				"net.netfilter.nf_conntrack_max=%ld), so a new connection cannot be "
				"tracked; kernel drop reason %s in %s; %s", place, t->ev.ct_count, v,
				d->reason, d->func, seen);
	}
	if (!strcmp(d->reason, "NETFILTER_DROP")) {
		f->cause = "netfilter-hook";
		snprintf(f->object, sizeof(f->object), "a netfilter hook outside nftables");
		if (t->lab && d->ns >= 0)
			snprintf(f->command, sizeof(f->command), "ip netns exec %s iptables-legacy-save -c",
				 t->ns[d->ns]);
		return diag_say(f, "%s dropped it in a netfilter hook that no nftables rule "
				"accounts for (iptables-legacy, or conntrack); kernel drop reason %s in "
				"%s; %s", place, d->reason, d->func, seen);
	}
	if (!strncmp(d->reason, "NEIGH_", 6)) {
		char nh[ADDR_STRLEN];

		f->verdict = TRACE_NO_NEIGHBOUR;
		f->cause = "arp-unanswered";
		snprintf(f->object, sizeof(f->object), "neighbour %s dev %s",
			 addr_fmt(t->ev.asked && t->ev.at == (size_t)d->ns ? t->ev.next_hop : d->daddr, nh),
			 d->ifname);
		if (t->lab && d->ns >= 0)
			snprintf(f->command, sizeof(f->command), "ip -n %s neigh show %s", t->ns[d->ns], nh);
		return diag_say(f, "%s could not resolve the next hop %s on %s: no ARP answer, so it "
				"dropped the packets waiting for it; kernel drop reason %s in %s; %s",
				place, nh, d->ifname, d->reason, d->func, seen);
	}
	if (!strcmp(d->reason, "OTHERHOST") && t->ev.neigh_asked && t->ev.neigh_has_mac &&
	    t->ev.owner_known && memcmp(t->ev.neigh_mac, t->ev.owner_mac, 6)) {
		const struct trace_evidence *ev = &t->ev;
		char ip[ADDR_STRLEN], state[16];

		f->cause = "wrong-neighbour";
		f->ns = (ssize_t)ev->neigh_at;
		snprintf(f->ifname, sizeof(f->ifname), "%s", ev->neigh_if);
		snprintf(f->object, sizeof(f->object), "neighbour %s dev %s in %s",
			 addr_fmt(ev->neigh_ip, ip), ev->neigh_if, t->ns_label[ev->neigh_at]);
		mac_fmt(ev->owner_mac, f->expected, sizeof(f->expected));
		mac_fmt(ev->neigh_mac, f->actual, sizeof(f->actual));
		if (t->lab)
			snprintf(f->command, sizeof(f->command), "ip -n %s neigh show %s dev %s",
				 t->ns[ev->neigh_at], ip, ev->neigh_if);
		return diag_say(f, "%s sent it to MAC %s for %s (its neighbour entry, %s), but the "
				"link holding %s has MAC %s: %s threw the frame away as addressed to "
				"another host; kernel drop reason %s in %s; %s",
				t->ns_label[ev->neigh_at], f->actual, ip,
				obs_neigh_state_name(ev->neigh_nud, state), ip, f->expected, place,
				d->reason, d->func, seen);
	}
	if (!strcmp(d->reason, "OTHERHOST")) {
		f->cause = "wrong-mac";
		return diag_say(f, "%s threw it away on %s: the frame was addressed to another "
				"host's MAC (a wrong neighbour entry where it was sent from?); kernel "
				"drop reason %s in %s; %s", place, d->ifname, d->reason, d->func, seen);
	}
	return diag_say(f, "the kernel dropped it in %s%s%s: drop reason %s in %s; %s", place,
			d->ifname[0] ? " on " : "", d->ifname, d->reason, d->func[0] ? d->func : "?",
			seen);
}
