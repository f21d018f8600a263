/* expect — the path the topology predicts for a trace's request, and the
 * first place where the observed hops left it.
 *
 * The prediction is a list of steps: places the request passes (namespace,
 * interface, direction) and rewrites it must undergo (kube-proxy's DNAT to
 * one of a Service's endpoints, in the namespace that runs the rules).
 * Where the topology leaves a choice open — the node a load balancer
 * forwards to, the endpoint kube-proxy picks — the choice the packet was
 * seen to take is used, so that the rest of the way is predicted too.
 *
 * The observed request hops are then walked in time order against the
 * steps: every step must be met in its turn, a hop in a namespace the
 * prediction does not include (while steps remain) is a wrong turn, and a
 * packet that leaves the NAT's namespace still addressed to the Service was
 * not rewritten. "none" is said only when all of that holds. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "edge/edge.h"
#include "lab/plan.h"
#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/internal.h"
#include "trace/observe/neigh.h"
#include "trace/observe/route.h"

static ssize_t ns_index(const struct trace *t, const char *netns)
{
	for (size_t i = 0; i < t->nns; i++)
		if (!strcmp(t->ns[i], netns))
			return (ssize_t)i;
	return -1;
}

/* The index of netns among the observed namespaces, or -1 when it is not
 * one: the prediction stops at a step nothing could see (and says so), it
 * never skips it. */
static ssize_t step_ns(struct trace *t, const char *netns)
{
	ssize_t i;

	if (t->expect_unobserved || t->nexpect >= TRACE_MAX_HOPS)
		return -1;
	/* A denial by the lab's policies ends the prediction. */
	if (t->nexpect && t->expect[t->nexpect - 1].kind == TRACE_EXPECT_POLICY)
		return -1;
	i = ns_index(t, netns);
	if (i < 0)
		t->expect_unobserved = netns;
	return i;
}

/* A place the request passes. */
static void hop_add(struct trace *t, const char *netns, const char *ifname, bool out)
{
	ssize_t i = step_ns(t, netns);
	struct trace_expect *x = &t->expect[t->nexpect];

	if (i < 0)
		return;
	*x = (struct trace_expect){ .kind = TRACE_EXPECT_HOP, .ns = (size_t)i, .outgoing = out,
				    .seen = -1 };
	snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
	t->nexpect++;
}

static void dnat_add(struct trace *t, const char *netns)
{
	ssize_t i = step_ns(t, netns);

	if (i < 0)
		return;
	t->expect[t->nexpect++] = (struct trace_expect){ .kind = TRACE_EXPECT_DNAT,
							 .ns = (size_t)i, .seen = -1 };
}

/* Do the lab's NetworkPolicies deny the request in direction dir? Their
 * verdict on the packet as that hook saw it (netpol.c): the choices the
 * topology leaves open (kube-proxy's endpoint, a SNAT's address) as the
 * packets show them. */
static bool policy_denies(const struct trace *t, enum policy_dir dir)
{
	return t->policy[dir].valid && !t->policy[dir].side.allowed;
}

/* The denial in direction dir, on the node of that side's pod: the
 * prediction stops there. */
static void policy_add(struct trace *t, enum policy_dir dir)
{
	const struct trace_policy *p = &t->policy[dir];
	ssize_t i = step_ns(t, t->lab->plan.nodes[t->lab->topo.pods[p->pod].node].netns);

	if (i < 0)
		return;
	t->expect[t->nexpect++] = (struct trace_expect){ .kind = TRACE_EXPECT_POLICY,
							 .ns = (size_t)i, .dir = dir,
							 .pod = p->pod, .seen = -1 };
}

/* Egress from a source pod denied: after the source's node took the
 * request in (and kube-proxy's DNAT, before the forward hook). */
static void egress_check(struct trace *t)
{
	if (t->src.kind == TRACE_EP_POD && policy_denies(t, POLICY_EGRESS))
		policy_add(t, POLICY_EGRESS);
}

/* Leaving node `node` towards another node, or arriving from one; overlay:
 * the VXLAN device is on the way too. */
static void node_wire(struct trace *t, size_t node, bool leaving, bool overlay)
{
	const struct lab_plan *p = &t->lab->plan;
	const char *ns = p->nodes[node].netns;

	if (leaving) {
		if (overlay)
			hop_add(t, ns, LAB_VXLAN_NAME, true);
		hop_add(t, ns, "eth0", true);
		hop_add(t, p->vpc_netns, p->nodes[node].vpc_port, false);
	} else {
		hop_add(t, p->vpc_netns, p->nodes[node].vpc_port, true);
		hop_add(t, ns, "eth0", false);
		if (overlay)
			hop_add(t, ns, LAB_VXLAN_NAME, false);
	}
}

/* Pod-to-pod across nodes rides the overlay; a node's own address does not. */
static bool overlay(const struct trace *t)
{
	return t->lab->topo.net.mode == TOPO_MODE_VXLAN && t->dst.kind != TRACE_EP_NODE &&
	       t->src.kind != TRACE_EP_NODE;
}

/* Through the cloud's edge, from the VPC router out to the internet (or
 * the other way), and on to an internet host. */
static void edge(struct trace *t, bool outbound)
{
	const struct lab_plan *p = &t->lab->plan;
	const struct trace_endpoint *h = outbound ? &t->dst : &t->src;

	if (outbound) {
		hop_add(t, p->vpc_netns, EDGE_IF_IGW, true);
		hop_add(t, p->gw_netns, EDGE_IF_VPC, false);
		hop_add(t, p->gw_netns, EDGE_IF_INET, true);
		hop_add(t, p->inet_netns, EDGE_IF_CLOUD, false);
		if (h->kind == TRACE_EP_INTERNET) {
			hop_add(t, p->inet_netns, p->hosts[h->host].host_if, true);
			hop_add(t, h->netns, "eth0", false);
		}
		return;
	}
	hop_add(t, h->netns, "eth0", true);
	hop_add(t, p->inet_netns, p->hosts[h->host].host_if, false);
	/* Another internet host is across the router's own bridge; anything
	 * else outside the cloud, the router has no route for. */
	if (t->dst.outside) {
		if (t->dst.kind == TRACE_EP_INTERNET) {
			hop_add(t, p->inet_netns, p->hosts[t->dst.host].host_if, true);
			hop_add(t, t->dst.netns, "eth0", false);
		}
		return;
	}
	hop_add(t, p->inet_netns, EDGE_IF_CLOUD, true);
	hop_add(t, p->gw_netns, EDGE_IF_INET, false);
	hop_add(t, p->gw_netns, EDGE_IF_VPC, true);
	hop_add(t, p->vpc_netns, EDGE_IF_IGW, false);
}

/* From pod's node into pod; bridge: routed onto the node's bridge first. */
static void to_pod(struct trace *t, size_t pod, bool bridge)
{
	const struct lab_plan *p = &t->lab->plan;
	const char *ns = p->nodes[t->lab->topo.pods[pod].node].netns;

	/* Ingress denied: postrouting drops it before it leaves for the pod. */
	if (policy_denies(t, POLICY_INGRESS) && t->policy[POLICY_INGRESS].pod == pod) {
		policy_add(t, POLICY_INGRESS);
		return;
	}
	if (bridge)
		hop_add(t, ns, LAB_BRIDGE_NAME, true);
	hop_add(t, ns, p->pods[pod].host_if, true);
	hop_add(t, p->pods[pod].netns, "eth0", false);
}

/* The request's hops as the walk sees them: not answers, not ICMP errors,
 * not a copy a bridge flooded to a host it is not for. Every frame a
 * bridge port receives is for another MAC than the port's own; a lab's
 * eth0 (a pod's, a node's, an internet host's) is never a bridge port,
 * so there a frame for another MAC is one that host drops. */
static bool request_hop(const struct trace_hop *h)
{
	const struct capture_pkt *k = h->pkt;

	return !h->reply && !k->has_inner_err &&
	       !(k->otherhost && !k->outgoing && !strcmp(k->ifname, "eth0"));
}

static ssize_t endpoint_by_policy(const struct trace *t);

/* The endpoint (pod index) of t's Service port the request was seen going
 * to, -1 if none: kube-proxy's choice, as the packets show it. */
static ssize_t endpoint_seen(const struct trace *t)
{
	const struct topo *topo = &t->lab->topo;
	const struct topo_service *s = &topo->services[t->svc.svc];

	for (size_t h = 0; h < t->nhops; h++) {
		const struct capture_pkt *k = t->hops[h].pkt;

		if (!request_hop(&t->hops[h]))
			continue;
		for (size_t e = 0; e < s->nendpoints; e++)
			if (topo->pods[s->endpoints[e].pod].ip == k->daddr &&
			    s->endpoints[e].port[t->svc.port] == k->dport)
				return (ssize_t)s->endpoints[e].pod;
	}
	return endpoint_by_policy(t);
}

static bool is_endpoint_addr(const struct trace *t, uint32_t daddr, uint16_t dport)
{
	const struct topo *topo = &t->lab->topo;
	const struct topo_service *s = &topo->services[t->svc.svc];

	for (size_t e = 0; e < s->nendpoints; e++)
		if (topo->pods[s->endpoints[e].pod].ip == daddr &&
		    s->endpoints[e].port[t->svc.port] == dport)
			return true;
	return false;
}

static bool is_endpoint(const struct trace *t, const struct capture_pkt *k)
{
	return is_endpoint_addr(t, k->daddr, k->dport);
}

/* A packet dropped by policy right after kube-proxy's DNAT shows its
 * endpoint in no capture, but the policy table's trace events carry it:
 * the endpoint that side's hook saw (netpol.c), -1 if none. */
static ssize_t endpoint_by_policy(const struct trace *t)
{
	for (size_t d = 0; d < 2; d++) {
		const struct trace_policy *p = &t->policy[d];

		if (p->valid && p->flow_seen && is_endpoint_addr(t, p->flow.daddr, p->flow.dport))
			return policy_pod_by_addr(&t->lab->topo, p->flow.daddr);
	}
	return -1;
}

/* The node the load balancer forwarded the request to (its DNAT to the
 * node's address and the NodePort), -1 if it was not seen. */
static ssize_t lb_node_seen(const struct trace *t)
{
	const struct topo *topo = &t->lab->topo;
	ssize_t lb = ns_index(t, t->lab->plan.lb_netns);

	for (size_t h = 0; lb >= 0 && h < t->nhops; h++) {
		if (!request_hop(&t->hops[h]) || t->hops[h].ns != (size_t)lb)
			continue;
		for (size_t n = 0; n < topo->nnodes; n++)
			if (topo->nodes[n].ip == t->hops[h].pkt->daddr)
				return (ssize_t)n;
	}
	return -1;
}

/* kube-proxy's part: the DNAT in node's namespace to an endpoint, then the
 * way to the endpoint seen chosen. arrived: the packet came to the node
 * from elsewhere than a pod on its bridge, so a local endpoint is reached
 * through the node's routing (a pod's packet DNATed on the bridge is
 * bridged straight back out by br_netfilter). */
static void service_leg(struct trace *t, size_t node, bool arrived)
{
	const struct topo *topo = &t->lab->topo;
	bool bridge = topo->net.mode != TOPO_MODE_VPC;
	ssize_t ep;
	size_t epn;

	/* Without endpoints kube-proxy rejects: there is no rewrite to expect. */
	if (!topo_svc_port_endpoints(&topo->services[t->svc.svc], t->svc.port))
		return;
	dnat_add(t, t->lab->plan.nodes[node].netns);
	if (t->src.node == (ssize_t)node)
		egress_check(t);
	ep = endpoint_seen(t);
	if (ep < 0)
		return;
	epn = topo->pods[ep].node;
	if (epn != node) {
		/* The overlay device is not predicted: eth0 carries the
		 * encapsulated packet, decoded, in either mode. */
		node_wire(t, node, true, false);
		node_wire(t, epn, false, false);
		arrived = true;
	}
	to_pod(t, (size_t)ep, bridge && arrived);
}

struct route_ask {
	uint32_t dst;
	struct nl_route_info r;
	char ifname[IF_NAMESIZE];
	uint16_t neigh;		/* NUD_* of the next hop; 0: no entry */
};

/* Namespace netns's route to dst, as its kernel answers now, and its next
 * hop's neighbour state (the observers of lib/trace/observe). 0 or -errno. */
static int route_ask(const char *netns, uint32_t dst, struct route_ask *q)
{
	struct obs_route_query rq = { .dst = dst };
	struct obs_route r;
	struct obs_neigh n;
	int ret;

	memset(q, 0, sizeof(*q));
	q->dst = dst;
	ret = obs_route_get(netns, &rq, &r);
	if (ret == 0 && r.err)
		ret = r.err;
	if (ret < 0)
		return ret;
	q->r = (struct nl_route_info){ .dst = r.dst, .plen = r.plen, .gw = r.gw, .oif = r.oif,
				       .type = r.type, .table = r.table };
	snprintf(q->ifname, sizeof(q->ifname), "%s", r.oif_name);
	if (r.oif && obs_neigh_get(netns, r.oif_name, r.gw ? r.gw : dst, &n) == 0)
		q->neigh = n.state;
	return 0;
}

/* An address of a node's pod CIDR that no pod holds: the node's own route
 * takes it on (onto the bridge, where it is ARPed for). */
static void unused_pod_ip(struct trace *t)
{
	const char *ns = t->lab->plan.nodes[t->dst.node].netns;
	struct route_ask q;

	if (route_ask(ns, t->dst.ip, &q) == 0 && q.r.type == RTN_UNICAST && q.ifname[0])
		hop_add(t, ns, q.ifname, true);
}

/* The path the topology says a request from src to dst takes, into t->expect. */
static void expect_build(struct trace *t)
{
	const struct lab_plan *p = &t->lab->plan;
	bool bridge = t->lab->topo.net.mode != TOPO_MODE_VPC;
	const struct trace_endpoint *s = &t->src, *d = &t->dst;
	bool svc = t->svc.svc >= 0;

	t->nexpect = 0;
	if (s->kind == TRACE_EP_INTERNET) {
		ssize_t node = d->node;

		edge(t, false);
		if (d->outside)
			return;
		/* A LoadBalancer IP: the load balancer forwards to a node of its
		 * choosing, the one it was seen to pick. */
		if (svc && t->svc.lb) {
			hop_add(t, p->vpc_netns, EDGE_IF_LB, true);
			hop_add(t, p->lb_netns, EDGE_IF_VPC, false);
			hop_add(t, p->lb_netns, EDGE_IF_VPC, true);
			hop_add(t, p->vpc_netns, EDGE_IF_LB, false);
			node = lb_node_seen(t);
		}
		/* Else a node's public address: the gateway's DNAT takes it there. */
		if (node < 0)
			return;
		node_wire(t, (size_t)node, false, !svc && overlay(t));
		if (svc)
			service_leg(t, (size_t)node, true);
		else if (d->kind == TRACE_EP_POD)
			to_pod(t, (size_t)d->pod, bridge);
		return;
	}
	if (s->kind == TRACE_EP_POD) {
		hop_add(t, s->netns, "eth0", true);
		hop_add(t, p->nodes[s->node].netns, p->pods[s->pod].host_if, false);
	}
	/* A Service: kube-proxy's DNAT on the source's node, or for a NodePort
	 * on the node whose address it is. */
	if (svc) {
		ssize_t node = t->svc.nodeport ? d->node : s->node;

		if (node < 0 || s->node < 0)
			return;
		if (node != s->node) {
			egress_check(t);
			node_wire(t, (size_t)s->node, true, false);
			node_wire(t, (size_t)node, false, false);
		}
		service_leg(t, (size_t)node, node != s->node || s->kind != TRACE_EP_POD);
		return;
	}
	/* An address in the Service range that no Service holds: nothing
	 * routes it anywhere but out by the default route. No prediction. */
	if (d->kind == TRACE_EP_IP && cidr_contains(&t->lab->topo.net.service_cidr, d->ip))
		return;
	if (d->kind == TRACE_EP_POD && s->node == d->node && s->kind == TRACE_EP_POD) {
		/* Same node: bridged (routed by the node in vpc mode); the
		 * forward hook and postrouting see it on the way. */
		egress_check(t);
		if (policy_denies(t, POLICY_INGRESS) && t->policy[POLICY_INGRESS].pod == (size_t)d->pod)
			policy_add(t, POLICY_INGRESS);
		hop_add(t, p->nodes[d->node].netns, p->pods[d->pod].host_if, true);
		hop_add(t, d->netns, "eth0", false);
		return;
	}
	if (s->kind == TRACE_EP_POD && bridge)
		hop_add(t, p->nodes[s->node].netns, LAB_BRIDGE_NAME, false);
	egress_check(t);
	/* Out of the cluster by the node's default route, not the overlay. */
	if (d->outside) {
		if (s->node >= 0)
			node_wire(t, (size_t)s->node, true, false);
		edge(t, true);
		return;
	}
	if (d->node >= 0 && s->node >= 0 && d->node != s->node) {
		node_wire(t, (size_t)s->node, true, overlay(t));
		node_wire(t, (size_t)d->node, false, overlay(t));
	}
	if (d->kind == TRACE_EP_POD)
		to_pod(t, (size_t)d->pod, bridge);
	else if (d->kind == TRACE_EP_IP && d->node >= 0 && !d->public_ip)
		unused_pod_ip(t);
}

static bool hop_meets(const struct trace *t, size_t h, const struct trace_expect *x)
{
	const struct capture_pkt *k = t->hops[h].pkt;

	return x->kind == TRACE_EXPECT_HOP && t->hops[h].ns == x->ns &&
	       k->outgoing == x->outgoing && !strcmp(k->ifname, x->ifname);
}

static bool ns_predicted(const struct trace *t, size_t ns)
{
	for (size_t i = 0; i < t->nexpect; i++)
		if (t->expect[i].ns == ns)
			return true;
	return false;
}

static void div_set(struct trace *t, enum trace_div_kind kind, ssize_t x, ssize_t h)
{
	struct trace_divergence *d = &t->div;

	if (d->kind != TRACE_DIV_NONE)
		return;		/* the first one stands */
	*d = (struct trace_divergence){ .kind = kind, .expect = x, .hop = h };
	if (h >= 0) {
		d->ns = t->hops[h].ns;
		d->outgoing = t->hops[h].pkt->outgoing;
		snprintf(d->ifname, sizeof(d->ifname), "%s", t->hops[h].pkt->ifname);
	} else if (x >= 0) {
		d->ns = t->expect[x].ns;
		d->outgoing = t->expect[x].outgoing;
		snprintf(d->ifname, sizeof(d->ifname), "%s", t->expect[x].ifname);
	}
}

/* The DNAT step x waits at hop h: met when the packet is addressed to an
 * endpoint; not met when it leaves the step's namespace still addressed
 * as it came in (to, the first address it was seen with there). */
static int dnat_step(struct trace *t, size_t xi, size_t h, const struct capture_pkt **to)
{
	const struct trace_expect *x = &t->expect[xi];
	const struct capture_pkt *k = t->hops[h].pkt;

	if (is_endpoint(t, k))
		return 1;
	if (t->hops[h].ns == x->ns && !*to)
		*to = k;
	if (*to && k->daddr == (*to)->daddr && k->dport == (*to)->dport &&
	    (t->hops[h].ns != x->ns || k->outgoing))
		return -1;
	return 0;
}

/* Past the denial of step j, is hop h still short of it: a place passed
 * before (seen again), or the request coming into the namespace of the
 * denial (the hooks that deny come after every way in, and before every
 * way out)? */
static bool short_of_denial(const struct trace *t, size_t h, size_t j)
{
	if (t->hops[h].ns == t->expect[j].ns && !t->hops[h].pkt->outgoing)
		return true;
	for (size_t i = 0; i < j; i++)
		if (hop_meets(t, h, &t->expect[i]))
			return true;
	return false;
}

/* The last request hop in namespace ns, -1 if none. */
static ssize_t last_hop_in(const struct trace *t, size_t ns)
{
	ssize_t last = -1;

	for (size_t h = 0; h < t->nhops; h++)
		if (request_hop(&t->hops[h]) && t->hops[h].ns == ns)
			last = (ssize_t)h;
	return last;
}

/* The policy step j ends the walk: a DNAT step just before it that no
 * capture could show (the packet was dropped right after it) is met by the
 * policy table's trace events, which saw the endpoint; the denial itself is
 * met where the request was last seen, on that node, unless it went on. */
static size_t policy_end(struct trace *t, size_t j, bool went_on)
{
	struct trace_expect *x = &t->expect[j];

	if (x->kind == TRACE_EXPECT_DNAT && j + 1 < t->nexpect &&
	    t->expect[j + 1].kind == TRACE_EXPECT_POLICY && endpoint_by_policy(t) >= 0) {
		x->seen = last_hop_in(t, x->ns);
		x = &t->expect[++j];
	}
	if (x->kind != TRACE_EXPECT_POLICY || went_on)
		return j;
	x->seen = last_hop_in(t, x->ns);
	return x->seen >= 0 ? j + 1 : j;
}

/* Walk the request hops in time order against the steps; fills each step's
 * seen and t->div (the first divergence). */
static void walk(struct trace *t)
{
	const struct capture_pkt *dnat_from = NULL;
	bool went_on = false;
	size_t j = 0;

	t->div = (struct trace_divergence){ .kind = TRACE_DIV_NONE, .expect = -1, .hop = -1 };
	for (size_t h = 0; h < t->nhops; h++) {
		size_t later;

		if (!request_hop(&t->hops[h]))
			continue;
		/* Past a denial, anything but a place already passed is a
		 * place the prediction does not go. */
		if (j < t->nexpect && t->expect[j].kind == TRACE_EXPECT_POLICY) {
			if (!short_of_denial(t, h, j)) {
				went_on = true;
				div_set(t, TRACE_DIV_UNEXPECTED_HOP, (ssize_t)j, (ssize_t)h);
			}
			continue;
		}
		if (j < t->nexpect && t->expect[j].kind == TRACE_EXPECT_DNAT) {
			int r = dnat_step(t, j, h, &dnat_from);

			if (r > 0) {
				t->expect[j++].seen = (ssize_t)h;
			} else if (r < 0) {
				div_set(t, TRACE_DIV_NO_DNAT, (ssize_t)j, (ssize_t)h);
				continue;
			}
		}
		if (j < t->nexpect && hop_meets(t, h, &t->expect[j])) {
			t->expect[j++].seen = (ssize_t)h;
			continue;
		}
		/* Seen further on: the steps between were skipped. */
		for (later = j; later < t->nexpect; later++)
			if (t->expect[later].seen < 0 && hop_meets(t, h, &t->expect[later]))
				break;
		if (later < t->nexpect) {
			div_set(t, t->expect[j].kind == TRACE_EXPECT_DNAT ? TRACE_DIV_NO_DNAT
									 : TRACE_DIV_MISSING_HOP,
				(ssize_t)j, -1);
			t->expect[later].seen = (ssize_t)h;
			j = later + 1;
			continue;
		}
		/* Somewhere the prediction does not go, while it still had steps. */
		if (j < t->nexpect && !ns_predicted(t, t->hops[h].ns))
			div_set(t, TRACE_DIV_UNEXPECTED_HOP, (ssize_t)j, (ssize_t)h);
	}
	if (j < t->nexpect)
		j = policy_end(t, j, went_on);
	if (j < t->nexpect && t->expect[j].kind == TRACE_EXPECT_POLICY && went_on)
		j = t->nexpect;	/* said: it went on where the policies deny it */
	if (j < t->nexpect)
		div_set(t, t->expect[j].kind == TRACE_EXPECT_DNAT ? TRACE_DIV_NO_DNAT
								 : TRACE_DIV_MISSING_HOP,
			(ssize_t)j, -1);
	/* Every step met, but the way went on where nobody looked. */
	if (t->expect_unobserved)
		div_set(t, TRACE_DIV_MISSING_HOP, -1, -1);
	else if (!t->nexpect)
		t->div.kind = TRACE_DIV_NO_PREDICTION;
}

static const char *dir_name(bool out)
{
	return out ? "out" : "in";
}

/* ", neighbour A on IF is INCOMPLETE ..." when the kernel in x's namespace
 * holds the next hop towards the request's destination unresolved: why a
 * packet that reached a namespace never left it. */
static void neigh_note(const struct trace *t, const struct trace_expect *x, char *buf, size_t len)
{
	struct route_ask q;
	char a[ADDR_STRLEN];
	uint32_t dst = t->dst.ip;

	buf[0] = '\0';
	if (x->kind != TRACE_EXPECT_HOP || !x->outgoing)
		return;
	/* The destination as the request last had it there (after a DNAT). */
	for (size_t h = 0; h < t->nhops; h++)
		if (request_hop(&t->hops[h]) && t->hops[h].ns == x->ns)
			dst = t->hops[h].pkt->daddr;
	if (route_ask(t->ns[x->ns], dst, &q) < 0 || strcmp(q.ifname, x->ifname) ||
	    !(q.neigh & (NUD_INCOMPLETE | NUD_FAILED)))
		return;
	snprintf(buf, len, ": %s holds neighbour %s on %s %s (ARP unanswered), so the packet "
		 "waits there or is dropped", t->ns_label[x->ns], addr_fmt(q.r.gw ? q.r.gw : dst, a),
		 x->ifname, q.neigh & NUD_INCOMPLETE ? "INCOMPLETE" : "FAILED");
}

/* The Service the DNAT step is for, "default/web". */
static void svc_name(const struct trace *t, char *buf, size_t len)
{
	const struct topo_service *s = &t->lab->topo.services[t->svc.svc];

	snprintf(buf, len, "%s/%s", s->ns, s->name);
}

/* "ingress to default/web-2 at node node-2". */
static void policy_step_words(const struct trace *t, const struct trace_expect *x, char *buf,
			      size_t len)
{
	const struct topo_pod *pod = &t->lab->topo.pods[x->pod];

	snprintf(buf, len, "%s %s %s/%s at %s", trace_policy_dir_name(x->dir),
		 x->dir == POLICY_INGRESS ? "to" : "from", pod->ns, pod->name, t->ns_label[x->ns]);
}

static void text_make(struct trace *t)
{
	const struct trace_divergence *d = &t->div;
	const struct trace_expect *x = d->expect >= 0 ? &t->expect[d->expect] : NULL;
	bool delivered = t->verdict == TRACE_DELIVERED;
	char a[ADDR_STRLEN], svc[2 * TOPO_LABEL_MAX + 2] = "", note[TRACE_LABEL_MAX + 2 * TOPO_LABEL_MAX + 160];
	size_t n = sizeof(t->divergence);

	if (t->lab && t->svc.svc >= 0)
		svc_name(t, svc, sizeof(svc));
	switch (d->kind) {
	case TRACE_DIV_NO_PREDICTION:
		if (t->lab && !delivered)
			snprintf(t->divergence, n, "none: the topology predicts no hop from %s to "
				 "this destination", t->src.label);
		else
			t->divergence[0] = '\0';	/* no topology, no prediction */
		return;
	case TRACE_DIV_NONE:
		/* Delivered the way predicted: the hops say it all. */
		if (delivered) {
			t->divergence[0] = '\0';
			return;
		}
		x = &t->expect[t->nexpect - 1];
		if (x->kind == TRACE_EXPECT_POLICY) {
			policy_step_words(t, x, note, sizeof(note));
			snprintf(t->divergence, n, "none: the request was seen at every hop the "
				 "topology predicts, in order and nowhere else, up to where the lab's "
				 "NetworkPolicies deny it: %s", note);
		} else if (x->kind == TRACE_EXPECT_DNAT)
			snprintf(t->divergence, n, "none: the request was seen at every hop the "
				 "topology predicts, in order and nowhere else, the last the DNAT to "
				 "an endpoint of Service %s at %s; it failed there or beyond", svc,
				 t->ns_label[x->ns]);
		else
			snprintf(t->divergence, n, "none: the request was seen at every hop the "
				 "topology predicts, in order and nowhere else, the last at %s %s (%s); "
				 "it failed there or beyond", t->ns_label[x->ns], x->ifname,
				 dir_name(x->outgoing));
		return;
	case TRACE_DIV_MISSING_HOP:
		if (!x) {
			snprintf(t->divergence, n, "expected next in namespace %s, where no observer "
				 "was armed: nothing past it could be seen (an observer loss)",
				 t->expect_unobserved);
			return;
		}
		if (x->kind == TRACE_EXPECT_POLICY) {
			policy_step_words(t, x, note, sizeof(note));
			snprintf(t->divergence, n, "expected next at %s, where the lab's "
				 "NetworkPolicies deny it (%s), never seen there", t->ns_label[x->ns],
				 note);
			return;
		}
		neigh_note(t, x, note, sizeof(note));
		snprintf(t->divergence, n, "expected next at %s %s (%s), never seen there%s%s",
			 t->ns_label[x->ns], x->ifname, dir_name(x->outgoing), note,
			 delivered ? ", yet the answer came back: it passed there unseen (an "
				     "observer loss)" : "");
		return;
	case TRACE_DIV_UNEXPECTED_HOP:
		if (x->kind == TRACE_EXPECT_POLICY) {
			char w[sizeof(note) - 64];

			policy_step_words(t, x, w, sizeof(w));
			snprintf(note, sizeof(note), "its denial by the lab's NetworkPolicies (%s)", w);
		} else if (x->kind == TRACE_EXPECT_DNAT)
			snprintf(note, sizeof(note), "the DNAT to an endpoint of Service %s at %s",
				 svc, t->ns_label[x->ns]);
		else
			snprintf(note, sizeof(note), "at %s %s (%s)", t->ns_label[x->ns], x->ifname,
				 dir_name(x->outgoing));
		snprintf(t->divergence, n, "expected next %s, but it went to %s %s (%s) (hop %zd), "
			 "where the topology does not predict it", note, t->ns_label[d->ns], d->ifname,
			 dir_name(d->outgoing), d->hop + 1);
		return;
	case TRACE_DIV_NO_DNAT:
		if (d->hop >= 0) {
			const struct capture_pkt *k = t->hops[d->hop].pkt;

			snprintf(t->divergence, n, "expected DNAT to an endpoint of Service %s at %s, "
				 "but it left %s on %s for %s:%u unchanged (hop %zd)", svc,
				 t->ns_label[x->ns], t->ns_label[d->ns], d->ifname,
				 addr_fmt(k->daddr, a), k->dport, d->hop + 1);
		} else {
			snprintf(t->divergence, n, "expected DNAT to an endpoint of Service %s at %s, "
				 "never seen", svc, t->ns_label[x->ns]);
		}
		return;
	}
}

int trace_divergence_find(struct trace *t)
{
	size_t missing = 0;
	int ret = 0;

	t->nexpect = 0;
	t->expect_unobserved = NULL;
	if (t->lab)
		expect_build(t);
	walk(t);
	text_make(t);
	for (size_t i = 0; i < t->nexpect; i++)
		missing += t->expect[i].seen < 0;
	/* The answer proves the request got there: steps never seen on the
	 * way are what the observers missed, and the trace says so. */
	trace_loss_clear(t, "pcap", "path");
	trace_loss_clear(t, "pcap", "unobserved-namespace");
	if (t->verdict == TRACE_DELIVERED && t->div.kind == TRACE_DIV_MISSING_HOP && missing)
		ret = trace_loss_set(t, "pcap", "path", (ssize_t)t->div.ns, missing, 0);
	if (ret == 0 && t->expect_unobserved)
		ret = trace_loss_set(t, "pcap", "unobserved-namespace", -1, 1, 0);
	return ret;
}

const char *trace_div_kind_name(enum trace_div_kind k)
{
	static const char *const names[] = {
		"none", "no-prediction", "missing-hop", "unexpected-hop", "no-dnat",
	};

	return names[k];
}
