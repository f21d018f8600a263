/* hops — from captured packets to an ordered, explained path and a verdict.
 *
 * Each observation of the probe (or its answer) at one interface of one
 * namespace is a hop. Hops are ordered by the kernel's capture timestamps;
 * what changed between two hops (addresses, ports, TTL, encapsulation) is
 * read off the packets, and why the packet moved on is asked of the kernel
 * itself: the route it picks in that namespace, or the bridge that carried it. */
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <netinet/in.h>

#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edge/edge.h"
#include "lab/plan.h"
#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/internal.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

enum { NOT_OURS, REQUEST, REPLY };

/* REQUEST or REPLY if k is the probe's flow as a source NAT rewrote it. */
static int classify_alias(const struct trace *t, const struct capture_pkt *k)
{
	for (size_t i = 0; i < t->nalias; i++) {
		const struct ct_tuple *a = &t->alias[i];

		if (k->saddr == a->src && k->sport == a->sport && k->daddr == a->dst &&
		    k->dport == a->dport)
			return REQUEST;
		if (k->saddr == a->dst && k->sport == a->dport && k->daddr == a->src &&
		    k->dport == a->sport)
			return REPLY;
	}
	return NOT_OURS;
}

static int classify(const struct trace *t, const struct capture_pkt *k)
{
	uint16_t p = t->probe.sport;
	int alias;

	if (k->ethertype != 0x0800)
		return NOT_OURS;
	if (k->proto == IPPROTO_ICMP && k->has_inner_err) {
		/* An error about our flow: the quoted header is our request. */
		uint8_t want = probe_ipproto(t->probe.proto);

		return k->err_proto == want && k->err_sport == p ? REPLY : NOT_OURS;
	}
	switch (t->probe.proto) {
	case PROBE_ICMP:
		if (k->proto != IPPROTO_ICMP || k->sport != p)
			return NOT_OURS;
		return k->icmp_type == 8 ? REQUEST : k->icmp_type == 0 ? REPLY : NOT_OURS;
	case PROBE_UDP:
	case PROBE_DNS:
		if (k->proto != IPPROTO_UDP)
			return NOT_OURS;
		alias = classify_alias(t, k);
		if (alias != NOT_OURS)
			return alias;
		return k->sport == p ? REQUEST : k->dport == p ? REPLY : NOT_OURS;
	default:
		if (k->proto != IPPROTO_TCP)
			return NOT_OURS;
		/* The handshake is the path; data and teardown add nothing. */
		alias = classify_alias(t, k);
		if ((k->sport == p || alias == REQUEST) &&
		    (k->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
			return REQUEST;
		if ((k->dport == p || alias == REPLY) && ((k->tcp_flags & TCP_RST) ||
				      (k->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)))
			return REPLY;
		return NOT_OURS;
	}
}

static int pkt_cmp(const void *a, const void *b)
{
	const struct capture_pkt *x = *(const struct capture_pkt *const *)a;
	const struct capture_pkt *y = *(const struct capture_pkt *const *)b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	/* Same tick: the earlier namespace on the path first, leaving before arriving. */
	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return (int)y->outgoing - (int)x->outgoing;
}

static void tuple_fmt(const struct capture_pkt *k, char *buf, size_t len)
{
	char s[ADDR_STRLEN], d[ADDR_STRLEN];

	addr_fmt(k->saddr, s);
	addr_fmt(k->daddr, d);
	if (k->proto == IPPROTO_ICMP)
		snprintf(buf, len, "%s > %s", s, d);
	else
		snprintf(buf, len, "%s:%u > %s:%u", s, k->sport, d, k->dport);
}

unsigned trace_changed(const struct capture_pkt *prev, const struct capture_pkt *k)
{
	unsigned c = 0;

	if (!prev)
		return 0;
	if (k->daddr != prev->daddr || k->dport != prev->dport)
		c |= TRACE_CHG_DST;
	if (k->saddr != prev->saddr || k->sport != prev->sport)
		c |= TRACE_CHG_SRC;
	if (k->ttl != prev->ttl)
		c |= TRACE_CHG_TTL;
	if (k->vxlan && !prev->vxlan)
		c |= TRACE_CHG_ENCAP;
	if (!k->vxlan && prev->vxlan)
		c |= TRACE_CHG_DECAP;
	return c;
}

/* What is different about the packet here compared with the hop before. */
static void change_fmt(const struct capture_pkt *prev, const struct capture_pkt *k, bool reply,
		       unsigned *changed, char *buf, size_t len)
{
	char a[64], b[64], oa[ADDR_STRLEN], ob[ADDR_STRLEN];
	size_t n = 0;

	buf[0] = '\0';
	/* The facts whole, whatever of the text fits. */
	*changed = trace_changed(prev, k);
	if (!prev)
		return;
	if (k->daddr != prev->daddr || k->dport != prev->dport) {
		tuple_fmt(prev, a, sizeof(a));
		tuple_fmt(k, b, sizeof(b));
		n += (size_t)snprintf(buf + n, len - n, "%s%s: %s -> %s", n ? "; " : "",
				      reply ? "NAT undone (conntrack), destination" : "destination NAT",
				      strchr(a, '>') + 2, strchr(b, '>') + 2);
	}
	if (n < len && (k->saddr != prev->saddr || k->sport != prev->sport)) {
		tuple_fmt(prev, a, sizeof(a));
		tuple_fmt(k, b, sizeof(b));
		*strchr(a, ' ') = '\0';
		*strchr(b, ' ') = '\0';
		/* On the way back conntrack reverses the request's NAT. */
		n += (size_t)snprintf(buf + n, len - n, "%s%s: %s -> %s", n ? "; " : "",
				      reply ? "NAT undone (conntrack), source" : "source NAT", a, b);
	}
	if (n < len && k->ttl != prev->ttl)
		n += (size_t)snprintf(buf + n, len - n, "%sTTL %u -> %u", n ? "; " : "", prev->ttl,
				      k->ttl);
	if (n < len && k->vxlan && !prev->vxlan)
		n += (size_t)snprintf(buf + n, len - n, "%sencapsulated: VXLAN VNI %u, outer %s -> %s udp/8472",
				      n ? "; " : "", k->vni, addr_fmt(k->outer_saddr, oa),
				      addr_fmt(k->outer_daddr, ob));
	if (n < len && !k->vxlan && prev->vxlan)
		snprintf(buf + n, len - n, "%sdecapsulated from VXLAN VNI %u", n ? "; " : "", prev->vni);
}

struct route_query {
	uint32_t dst, mark;
	struct nl_route_info *r;
	char *ifname;
};

static int route_here(void *arg)
{
	struct route_query *q = arg;
	struct nl *nl = nl_open();
	int ret = nl ? nl_route_get_mark(nl, q->dst, q->mark, q->r) : -errno;

	/* The interface index only means something inside this namespace. */
	if (ret == 0 && q->r->oif)
		if_indextoname((unsigned)q->r->oif, q->ifname);
	nl_close(nl);
	return ret;
}

/* Ask namespace netns which route it picks for dst (for a packet with
 * fwmark mark), and the output interface's name. */
static int route_in(const char *netns, uint32_t dst, uint32_t mark, struct nl_route_info *r,
		    char *ifname)
{
	struct route_query q = { dst, mark, r, ifname };

	memset(r, 0, sizeof(*r));
	snprintf(ifname, IF_NAMESIZE, "?");
	return netns_run(netns, route_here, &q);
}

/* The kernel's own answer: which route does namespace ns pick for dst?
 * out is the interface the packet was seen leaving: when the plain route
 * goes elsewhere, policy routing chose it — the VPC router sends replies of
 * load-balanced connections back through the load balancer by fwmark. */
static enum trace_moved route_fmt(const char *netns, uint32_t dst, const char *out,
				  struct trace_hop *hop, char *buf, size_t len)
{
	struct nl_route_info r;
	char ifname[IF_NAMESIZE], d[CIDR_STRLEN + 8], g[ADDR_STRLEN];
	int ret = route_in(netns, dst, 0, &r, ifname);
	char marked[IF_NAMESIZE];
	struct nl_route_info mr;
	bool by_mark = false;

	if (ret == 0 && out && strcmp(ifname, out) &&
	    route_in(netns, dst, EDGE_LB_RETURN_MARK, &mr, marked) == 0 && !strcmp(marked, out)) {
		r = mr;
		memcpy(ifname, marked, sizeof(ifname));
		by_mark = true;
	}

	buf[0] = '\0';
	if (ret == -ENETUNREACH || ret == -EHOSTUNREACH) {
		snprintf(buf, len, "no route to %s", addr_fmt(dst, d));
		return TRACE_MOVED_NONE;
	}
	if (ret < 0) {
		snprintf(buf, len, "route lookup failed: %s", strerror(-ret));
		return TRACE_MOVED_NONE;
	}
	if (r.type == RTN_LOCAL) {
		snprintf(buf, len, "local address: delivered to this namespace");
		return TRACE_MOVED_LOCAL;
	}
	hop->route_set = true;
	hop->route_dst = r.dst;
	hop->route_gw = r.gw;
	hop->route_plen = r.plen;
	hop->route_proto = r.proto;
	if (r.plen == 0)
		snprintf(d, sizeof(d), "default");
	else
		snprintf(d, sizeof(d), "%s", addr_fmt(r.dst, g));
	if (r.plen)
		snprintf(d + strlen(d), sizeof(d) - strlen(d), "/%u", r.plen);
	if (r.gw)
		snprintf(buf, len, "route %s via %s dev %s", d, addr_fmt(r.gw, g), ifname);
	else
		snprintf(buf, len, "route %s dev %s (connected)", d, ifname);
	/* Learned, not configured: bgp.c says from whom. */
	if (r.proto == RTPROT_BIRD)
		snprintf(buf + strlen(buf), len - strlen(buf), " proto bird");
	if (by_mark)
		snprintf(buf + strlen(buf), len - strlen(buf), " table %u (fwmark 0x%x: a reply of "
			 "a connection the load balancer forwarded goes back through it)", r.table,
			 EDGE_LB_RETURN_MARK);
	return TRACE_MOVED_ROUTED;
}

static bool is_bridge(const char *ifname)
{
	return !strcmp(ifname, LAB_BRIDGE_NAME) || !strcmp(ifname, LAB_VPC_BRIDGE_NAME) ||
	       !strcmp(ifname, LAB_INET_BRIDGE_NAME);
}

/* A bridged hop: its FDB entry is asked for afterwards, with every other
 * hop's of its namespace in one dump (trace_fdb_annotate). */
static void fdb_want(struct trace_hop *hop)
{
	if (!hop->pkt->has_dst_mac)
		return;
	hop->fdb.asked = true;
	memcpy(hop->fdb.mac, hop->pkt->dst_mac, 6);
}

/* The hop before h in the same direction, NULL if none. */
static const struct trace_hop *prev_hop(const struct trace *t, size_t h)
{
	for (size_t i = h; i-- > 0;)
		if (t->hops[i].reply == t->hops[h].reply)
			return &t->hops[i];
	return NULL;
}

enum trace_moved trace_moved_seen(const struct trace *t, size_t h)
{
	const struct trace_hop *hop = &t->hops[h], *prev = prev_hop(t, h);
	const struct capture_pkt *k = hop->pkt, *p = prev ? prev->pkt : NULL;

	if (!k->outgoing) {
		if (prev && prev->ns != hop->ns)
			return TRACE_MOVED_LINK;
		if (prev && is_bridge(k->ifname))
			return TRACE_MOVED_UP;
		return TRACE_MOVED_NONE;
	}
	/* Leaving: bridged (TTL unchanged inside this namespace) or routed.
	 * For a VXLAN frame the outer header is what a bridge or router on
	 * the underlay handles. */
	if (prev && prev->ns == hop->ns && !is_bridge(p->ifname) && !is_bridge(k->ifname) &&
	    p->vxlan == k->vxlan && (k->vxlan ? p->outer_ttl == k->outer_ttl : p->ttl == k->ttl))
		return TRACE_MOVED_BRIDGED;
	/* Seen leaving by the bridge device itself, so the IP layer sent it
	 * there (routed it, or made it): the bridge then only picked the port. */
	if (prev && prev->ns == hop->ns && p->ifname[0] && is_bridge(p->ifname) && p->outgoing &&
	    p->ttl == k->ttl)
		return TRACE_MOVED_ROUTED_BRIDGED;
	return TRACE_MOVED_ROUTED;
}

/* Why the packet is where it is: for a packet leaving a namespace, the route
 * or the bridge that sent it; for one arriving, the link it came over.
 * Returns how it moved (the route lookup has the last word on ROUTED). */
static enum trace_moved why_fmt(struct trace *t, size_t h, char *buf, size_t len)
{
	struct trace_hop *hop = &t->hops[h];
	const struct trace_hop *prev = prev_hop(t, h);
	const struct capture_pkt *k = hop->pkt;
	enum trace_moved m = trace_moved_seen(t, h);

	buf[0] = '\0';
	switch (m) {
	case TRACE_MOVED_LINK:
		snprintf(buf, len, "over the link from %s %s", t->ns_label[prev->ns], prev->pkt->ifname);
		return m;
	case TRACE_MOVED_UP:
		snprintf(buf, len, "bridge %s hands it to the IP layer (addressed to a router MAC)",
			 k->ifname);
		return m;
	case TRACE_MOVED_BRIDGED:
		snprintf(buf, len, "bridged to %s by its bridge's forwarding table", k->ifname);
		fdb_want(hop);
		return m;
	case TRACE_MOVED_ROUTED_BRIDGED:
		snprintf(buf, len, "bridge %s forwards to port %s", prev->pkt->ifname, k->ifname);
		fdb_want(hop);
		return m;
	case TRACE_MOVED_ROUTED:
		break;
	default:
		return m;
	}
	m = route_fmt(t->ns[hop->ns], k->vxlan ? k->outer_daddr : k->daddr, k->ifname, hop, buf,
		      len);
	trace_bgp_hop(t, hop, buf, len);
	if (!prev)
		snprintf(buf + strlen(buf), len - strlen(buf), " (where the %s starts)",
			 hop->reply ? "answer" : t->shares_capture ? "proxy's connection" : "probe");
	return m;
}

const char *trace_moved_name(enum trace_moved m)
{
	switch (m) {
	case TRACE_MOVED_LINK: return "link";
	case TRACE_MOVED_UP: return "up";
	case TRACE_MOVED_BRIDGED: return "bridged";
	case TRACE_MOVED_ROUTED: return "routed";
	case TRACE_MOVED_ROUTED_BRIDGED: return "bridged-after-route";
	case TRACE_MOVED_LOCAL: return "local";
	case TRACE_MOVED_NONE: break;
	}
	return NULL;
}

static int hops_build(struct trace *t)
{
	const struct capture_pkt *all, **mine = NULL;
	size_t n, nmine = 0, left = 0;
	uint64_t first = 0;

	t->nhops = 0;
	t->last_hop = -1;
	all = capture_packets(t->cap, &n);
	mine = calloc(n ? n : 1, sizeof(*mine));
	if (!mine)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (classify(t, &all[i]) != NOT_OURS)
			mine[nmine++] = &all[i];
	qsort(mine, nmine, sizeof(*mine), pkt_cmp);
	for (size_t i = 0; i < nmine; i++) {
		const struct capture_pkt *k = mine[i];
		bool reply = classify(t, k) == REPLY;
		struct trace_hop *dup = NULL;

		for (size_t j = 0; j < t->nhops && !dup; j++)
			if (t->hops[j].ns == k->ns && t->hops[j].pkt->ifindex == k->ifindex &&
			    t->hops[j].pkt->outgoing == k->outgoing && t->hops[j].reply == reply &&
			    t->hops[j].pkt->tcp_flags == k->tcp_flags)
				dup = &t->hops[j];
		if (dup) {
			dup->repeats++;	/* a retransmission seen at the same place */
			continue;
		}
		if (t->nhops == TRACE_MAX_HOPS) {
			left++;		/* counted, and reported below */
			continue;
		}
		if (!t->nhops)
			first = k->ts_ns;
		t->hops[t->nhops] = (struct trace_hop){ .pkt = k, .ns = k->ns, .reply = reply,
						       .dt_ns = k->ts_ns - first };
		t->nhops++;
	}
	for (size_t h = 0; h < t->nhops; h++) {
		const struct capture_pkt *prev = NULL, *k = t->hops[h].pkt;
		struct capture_pkt sent;

		for (size_t i = h; i-- > 0;)
			if (t->hops[i].reply == t->hops[h].reply) {
				prev = t->hops[i].pkt;
				break;
			}
		/* A probe from the namespace that NATs it (a node to a ClusterIP:
		 * DNAT in OUTPUT, perhaps a masquerade) is rewritten before any
		 * capture: the first hop is compared with what the socket sent. */
		if (!prev && !t->hops[h].reply && t->probe.saddr &&
		    (k->saddr != t->probe.saddr || k->sport != t->probe.sport ||
		     k->daddr != t->dst.ip || (t->probe.dport && k->dport != t->probe.dport))) {
			sent = *k;
			sent.saddr = t->probe.saddr;
			sent.sport = t->probe.sport;
			sent.daddr = t->dst.ip;
			sent.dport = t->probe.dport ? t->probe.dport : k->dport;
			prev = &sent;
		}
		change_fmt(prev, t->hops[h].pkt, t->hops[h].reply, &t->hops[h].changed,
			   t->hops[h].change, sizeof(t->hops[h].change));
		trace_service_hop(t, prev, &t->hops[h]);
		t->hops[h].moved = why_fmt(t, h, t->hops[h].why, sizeof(t->hops[h].why));
		if (!t->hops[h].reply)
			t->last_hop = (ssize_t)h;
	}
	trace_fdb_annotate(t);
	/* After the FDB entry, which belongs to the bridge sentence. */
	for (size_t h = 0; h < t->nhops; h++)
		trace_vpc_why(t, h, t->hops[h].why, sizeof(t->hops[h].why));
	free(mine);
	/* A recount (after conntrack named the flow anew) replaces the last. */
	return trace_loss_set(t, "correlate", "hops", -1, left, TRACE_MAX_HOPS);
}

int trace_correlate(struct trace *t, struct pp_err *e)
{
	if (hops_build(t) < 0)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	if (trace_verdict_find(t) < 0)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	/* Whatever the verdict: a delivered answer with hops missing from
	 * its path is an observer loss, said (expect.c). */
	if (trace_divergence_find(t) < 0)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	if (t->nft_lost) {
		char *r;

		if (asprintf(&r, "%s (some nftables trace events were lost to a full buffer)",
			     t->reason) < 0)
			return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
		free(t->reason);
		t->reason = r;
	}
	return 0;
}
