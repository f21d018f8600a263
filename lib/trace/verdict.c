/* verdict — ask the kernel what the checks need to know (lib/trace/observe/),
 * then let the diagnosis table judge. The asking is here, so every check
 * stays a pure function of the evidence:
 * - where the request was last seen: the route towards DST and its next
 *   hop's neighbour entry;
 * - where the kernel dropped it: the sysctls that decide (forwarding,
 *   rp_filter, conntrack's table);
 * - on the node of the pod it was going to: that pod's bridge port and eth0;
 * - for a frame for another MAC: the sender's neighbour entry against the
 *   MAC of the link that holds the address;
 * - in bgp networking, a node that did not route the packet to the node
 *   owning its destination: the BGP sessions that route comes over. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_bridge.h>
#include <linux/rtnetlink.h>

#include "netns/netns.h"
#include "trace/diag/diag.h"
#include "trace/internal.h"
#include "trace/observe/link.h"
#include "trace/observe/neigh.h"
#include "trace/observe/route.h"
#include "trace/observe/sysctl.h"

static long num(const struct obs_sysctl_val *v)
{
	return v->present && v->numeric ? v->num : -1;
}

/* Where the request was last seen: the route towards DST, its next hop. */
static void ask_route(const struct trace *t, struct trace_evidence *ev)
{
	struct obs_route_query q = { .dst = t->dst.ip };
	struct obs_route r;
	struct obs_neigh n;

	if (obs_route_get(t->ns[ev->at], &q, &r) < 0)
		return;
	ev->asked = true;
	ev->route_err = r.err;
	ev->next_hop = t->dst.ip;
	if (r.matched) {
		ev->route_type = r.type;
		ev->route_dst = r.dst;
		ev->route_plen = r.plen;
	}
	if (r.err)
		return;
	ev->route_gw = r.gw;
	snprintf(ev->route_oif, sizeof(ev->route_oif), "%s", r.oif_name);
	ev->next_hop = r.gw ? r.gw : t->dst.ip;
	if (obs_neigh_get(t->ns[ev->at], r.oif_name, ev->next_hop, &n) == 0)
		ev->neigh_state = n.state;
}

/* The lookup the packet made arriving where it was last seen: with its
 * source and input interface, so forwarding and rp_filter take part. */
static void ask_iif(const struct trace *t, const struct capture_pkt *k, struct trace_evidence *ev)
{
	struct obs_route_query q = { .dst = k->daddr, .src = k->saddr, .iif = k->ifname };
	struct obs_route r;

	if (obs_route_get(t->ns[ev->at], &q, &r) < 0)
		return;
	ev->iif_asked = true;
	snprintf(ev->iif, sizeof(ev->iif), "%s", k->ifname);
	ev->iif_src = k->saddr;
	ev->iif_err = r.err;
	ev->iif_rp_filter = r.rp_filter;
	ev->iif_forwarding_off = r.forwarding_off;
}

/* Where the kernel dropped it (or where it was last seen), as it came in
 * on ifname: the sysctls behind the kernel's reasons. */
static void ask_sysctls(const struct trace *t, size_t ns, const char *ifname,
			struct trace_evidence *ev)
{
	struct obs_sysctls s;
	int rp;

	if (obs_sysctl_read(t->ns[ns], ifname[0] ? ifname : NULL, &s) < 0)
		return;
	ev->sys_asked = true;
	ev->sys_at = ns;
	ev->ip_forward = num(&s.ip_forward);
	rp = obs_sysctl_rp_filter_mode(&s);
	ev->rp_filter = rp;
	ev->ct_count = num(&s.conntrack_count);
	ev->ct_max = num(&s.conntrack_max);
}

static ssize_t place_of(const struct trace *t, const char *netns)
{
	for (size_t i = 0; i < t->nns; i++)
		if (!strcmp(t->ns[i], netns))
			return (ssize_t)i;
	return -1;
}

/* The pod the request was going to: the destination, or the endpoint
 * kube-proxy chose for it. -1 if none. */
static ssize_t target_pod(const struct trace *t)
{
	if (t->dst.kind == TRACE_EP_POD)
		return t->dst.pod;
	for (size_t h = 0; h < t->nhops; h++)
		if (!t->hops[h].reply && t->hops[h].svc.svc >= 0 && t->hops[h].svc.pod >= 0)
			return t->hops[h].svc.pod;
	/* No DNAT seen: br_netfilter rewrites on the bridge, before any
	 * capture past it. A pod to a Service it serves itself may have been
	 * sent back to itself: that pod's port is the one to ask about. */
	if (t->lab && t->svc.svc >= 0 && t->src.kind == TRACE_EP_POD) {
		const struct topo_service *s = &t->lab->topo.services[t->svc.svc];

		for (size_t e = 0; e < s->nendpoints; e++)
			if ((ssize_t)s->endpoints[e].pod == t->src.pod)
				return t->src.pod;
	}
	return -1;
}

/* That pod's bridge port (or routed veth) on its node, and its eth0. */
static void ask_port(const struct trace *t, struct trace_evidence *ev)
{
	const struct lab *l = t->lab;
	ssize_t p = target_pod(t), node_ns;
	struct obs_link k;

	if (!l || p < 0)
		return;
	node_ns = place_of(t, l->plan.nodes[l->topo.pods[p].node].netns);
	ev->port_asked = true;
	ev->port_pod = p;
	ev->port_node_ns = node_ns < 0 ? SIZE_MAX : (size_t)node_ns;
	snprintf(ev->port_if, sizeof(ev->port_if), "%s", l->plan.pods[p].host_if);
	if (obs_link_get(l->plan.nodes[l->topo.pods[p].node].netns, ev->port_if, &k) == 0) {
		ev->port_exists = true;
		ev->port_up = k.admin_up;
		ev->port_in_bridge = k.master != 0;
		snprintf(ev->port_master, sizeof(ev->port_master), "%s", k.master_name);
		ev->port_state = k.port_state;
		ev->port_forwarding = !k.bridge_port || k.port_state == BR_STATE_FORWARDING;
		ev->port_hairpin = k.hairpin;
	}
	if (obs_link_get(l->plan.pods[p].netns, "eth0", &k) == 0) {
		ev->eth_exists = true;
		ev->eth_up = k.admin_up;
	}
}

/* A frame for another MAC dropped at d: what the namespace that sent it
 * holds as the address's MAC, and the MAC of the link that has it. */
static void ask_neigh(const struct trace *t, const struct trace_drop *d, struct trace_evidence *ev)
{
	const struct trace_hop *sender = NULL;
	struct obs_route_query q = { .dst = d->daddr };
	struct obs_addr_owner o;
	struct obs_route r;
	struct obs_neigh n;
	const char *sns;

	for (size_t h = 0; h < t->nhops; h++)
		if (!t->hops[h].reply && t->hops[h].pkt->outgoing && t->hops[h].ns != (size_t)d->ns &&
		    t->hops[h].pkt->ts_ns <= d->ts_ns)
			sender = &t->hops[h];
	if (!sender)
		return;
	sns = t->ns[sender->ns];
	if (obs_route_get(sns, &q, &r) < 0 || r.err)
		return;
	ev->neigh_asked = true;
	ev->neigh_at = sender->ns;
	ev->neigh_ip = r.gw ? r.gw : d->daddr;
	snprintf(ev->neigh_if, sizeof(ev->neigh_if), "%s", r.oif_name);
	if (obs_neigh_get(sns, r.oif_name, ev->neigh_ip, &n) == 0) {
		ev->neigh_nud = n.state;
		ev->neigh_has_mac = n.has_lladdr;
		memcpy(ev->neigh_mac, n.lladdr, 6);
	}
	/* The address's owner: where the frame was dropped, or the
	 * destination's own namespace. */
	if (obs_neigh_owner(t->ns[d->ns], ev->neigh_ip, &o) == 0 ||
	    (t->dst.netns && obs_neigh_owner(t->dst.netns, ev->neigh_ip, &o) == 0)) {
		ev->owner_known = true;
		memcpy(ev->owner_mac, o.mac, 6);
	}
}

int trace_evidence_collect(struct trace *t)
{
	struct trace_evidence *ev = &t->ev;
	const struct trace_drop *d;

	memset(ev, 0, sizeof(*ev));
	ev->ip_forward = ev->rp_filter = ev->ct_count = ev->ct_max = -1;
	ev->port_pod = -1;
	lab_check_free(&t->plan);
	if (!t->nns || t->res.outcome == PROBE_OK)
		return 0;
	/* The lab's plan against the kernel in every place on the way: a
	 * failed trace cites what differs there. A place that cannot be
	 * checked leaves the list as it got. */
	if (t->lab) {
		struct pp_err e = { 0 };

		if (lab_check_run(t->lab, t->ns, t->nns, &t->plan, &e) < 0 && !t->plan.n)
			lab_check_free(&t->plan);
	}
	d = diag_terminal_drop(t);
	if (d && d->ns >= 0)
		ask_sysctls(t, (size_t)d->ns, d->ifname, ev);
	if (d && d->ns >= 0 && !strcmp(d->reason, "OTHERHOST"))
		ask_neigh(t, d, ev);
	ev->at = t->last_hop >= 0 ? t->hops[t->last_hop].ns : 0;
	/* A namespace that cannot be entered (deleted under the lab) leaves
	 * the questions unasked: the checks that need the answers stay silent. */
	ask_route(t, ev);
	if (t->last_hop >= 0 && !t->hops[t->last_hop].pkt->outgoing) {
		const struct capture_pkt *k = t->hops[t->last_hop].pkt;

		if (!ev->sys_asked)
			ask_sysctls(t, ev->at, k->ifname, ev);
		ask_iif(t, k, ev);
	}
	ask_port(t, ev);
	/* The endpoint kube-proxy chose: is its pod still there? */
	for (size_t h = 0; t->lab && h < t->nhops; h++)
		if (!t->hops[h].reply && t->hops[h].svc.svc >= 0 && t->hops[h].svc.pod >= 0) {
			ev->ep_pod_gone = !netns_is_pinned(t->lab->plan.pods[t->hops[h].svc.pod].netns);
			break;
		}
	/* bgp networking: a node that sent the packet elsewhere than to the
	 * node owning its destination; its BIRDs say why (bgp.c). */
	return trace_bgp_collect(t);
}

int trace_verdict_find(struct trace *t)
{
	int ret = trace_policy_collect(t);

	if (ret == 0)
		ret = trace_evidence_collect(t);

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
