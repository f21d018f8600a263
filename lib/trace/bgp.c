/* bgp — what the nodes' BIRDs say about the routes a trace met, in bgp
 * networking. Only BIRD's control socket is asked (lib/lab/bgp.h), never
 * birdc:
 * - a hop routed by a `proto bird` route: the session it was learned
 *   over, the peer (a node, or the route reflector in the VPC router) and
 *   the node that announced it;
 * - a failed trace whose packet left a node by another route than BIRD's
 *   to the pod CIDR it was going to: every session on the way that route
 *   should have come over, both ends of each, each end's BIRD running or
 *   not, and whether the announcing node's export filter rejects the
 *   CIDR (BIRD's `show route noexport`). The diagnosis (diag/bgp.c) reads
 *   only these facts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/bgp.h"
#include "trace/internal.h"

/* The lab's node whose namespace is netns, SIZE_MAX if none. */
static size_t node_of_netns(const struct lab *l, const char *netns)
{
	for (size_t k = 0; k < l->topo.nnodes; k++)
		if (!strcmp(l->plan.nodes[k].netns, netns))
			return k;
	return SIZE_MAX;
}

/* The node whose pod CIDR holds a, SIZE_MAX if none. */
static size_t node_of_pod_ip(const struct lab *l, uint32_t a)
{
	for (size_t k = 0; k < l->topo.nnodes; k++)
		if (l->topo.nodes[k].pod_cidr.len && cidr_contains(&l->topo.nodes[k].pod_cidr, a))
			return k;
	return SIZE_MAX;
}

/* A speaker's name: the node's, or LAB_BGP_RR_NAME. */
static const char *speaker_name(const struct lab *l, size_t s)
{
	return s == BGP_SPEAKER_RR ? LAB_BGP_RR_NAME : l->topo.nodes[s].name;
}

void trace_bgp_hop(const struct trace *t, struct trace_hop *hop, char *buf, size_t len)
{
	const struct lab *l = t->lab;
	struct trace_hop_bgp *b = &hop->bgp;
	const struct capture_pkt *k = hop->pkt;
	struct lab_bgp_origin o;
	char ctl[108], s[512];
	size_t node;
	int ret;

	if (!l || !lab_bgp_mode(l) || !hop->route_set || hop->route_proto != BGP_RTPROT_BIRD)
		return;
	node = node_of_netns(l, t->ns[hop->ns]);
	if (node == SIZE_MAX)
		return;
	memset(b, 0, sizeof(*b));
	b->asked = true;
	ret = lab_bgp_origin(l, node, k->vxlan ? k->outer_daddr : k->daddr, &o);
	/* lab_bgp_origin's -ENOENT is "no socket" or "no route": the file tells. */
	if (ret == -ENOENT && lab_bgp_file(l, node, "ctl", ctl, sizeof(ctl)) == 0 &&
	    access(ctl, F_OK) < 0)
		ret = -ECONNREFUSED;
	b->err = ret;
	if (ret == -ENOENT) {
		snprintf(s, sizeof(s), ": %s's BIRD holds no route for the address now",
			 l->topo.nodes[node].name);
	} else if (ret < 0) {
		snprintf(s, sizeof(s), ": %s's BIRD does not answer on its control socket (%s), so "
			 "where it learned the route cannot be asked", l->topo.nodes[node].name,
			 strerror(-ret));
	} else {
		if (o.learned_from != LAB_BGP_NO_PEER) {
			snprintf(b->learned_from, sizeof(b->learned_from), "%s",
				 speaker_name(l, o.learned_from));
			b->via_rr = o.learned_from == BGP_SPEAKER_RR;
		}
		if (o.announced_by != LAB_BGP_NO_PEER)
			snprintf(b->announced_by, sizeof(b->announced_by), "%s",
				 l->topo.nodes[o.announced_by].name);
		snprintf(b->session, sizeof(b->session), "%s", o.route.proto);
		if (o.have_session) {
			snprintf(b->state, sizeof(b->state), "%s",
				 *o.session.bird.bgp_state ? o.session.bird.bgp_state
							   : o.session.bird.state);
			b->established = o.session.established;
			lab_bgp_session_words(l, &o.session, b->words, sizeof(b->words));
		}
		if (!o.route.bgp || !b->learned_from[0])
			snprintf(s, sizeof(s), ": BIRD's best route for the address is from its "
				 "protocol %s, not a BGP session", o.route.proto);
		else
			snprintf(s, sizeof(s), ": learned over BGP from %s (session %s)%s%s",
				 b->via_rr ? "the route reflector in the VPC router" : b->learned_from,
				 o.have_session ? b->words : "state unknown",
				 b->announced_by[0] && strcmp(b->announced_by, b->learned_from)
				 ? ", announced by " : "", b->announced_by[0] &&
				 strcmp(b->announced_by, b->learned_from) ? b->announced_by : "");
	}
	/* Whole, or not at all: a cut sentence could say the opposite. */
	if (strlen(buf) + strlen(s) < len)
		strcat(buf, s);
}

/* End s of its session with peer p, as s's BIRD tells it. */
static void end_fill(const struct lab *l, size_t s, size_t p, struct trace_bgp_end *e)
{
	struct lab_bgp_peer *v = NULL;
	size_t n = 0;

	memset(e, 0, sizeof(*e));
	snprintf(e->speaker, sizeof(e->speaker), "%s", speaker_name(l, s));
	e->rr = s == BGP_SPEAKER_RR;
	if (lab_bgp_file(l, s, "ctl", e->ctl, sizeof(e->ctl)) < 0)
		e->ctl[0] = '\0';
	bgp_proto_name(&l->topo, s, p, e->proto, sizeof(e->proto));
	e->ctl_err = lab_bgp_peers(l, s, &v, &n);
	/* No socket file: BIRD went down (birdc down deletes it), or never ran. */
	for (size_t i = 0; e->ctl_err == 0 && i < n; i++) {
		if (v[i].peer != p && strcmp(v[i].bird.proto, e->proto))
			continue;
		e->has_session = true;
		snprintf(e->proto, sizeof(e->proto), "%s", v[i].bird.proto);
		e->established = v[i].established;
		e->wrong_address = v[i].wrong_address;
		snprintf(e->state, sizeof(e->state), "%s",
			 *v[i].bird.bgp_state ? v[i].bird.bgp_state : v[i].bird.state);
		e->neighbor = v[i].bird.neighbor;
		lab_bgp_session_words(l, &v[i], e->words, sizeof(e->words));
		break;
	}
	free(v);
}

/* The session between speakers a (near: towards the node without the
 * route) and b (far: towards its announcer). */
static void link_fill(const struct lab *l, size_t a, size_t b, struct trace_bgp_link *k)
{
	end_fill(l, a, b, &k->near);
	end_fill(l, b, a, &k->far);
}

/* Does speaker s's BIRD list prefix among the routes its export filter
 * rejects towards protocol proto? */
static void noexport_ask(const struct lab *l, size_t s, const char *proto,
			 const struct cidr *prefix, struct trace_bgp_evidence *b)
{
	struct bgp_route *v = NULL;
	struct bgp_ctl *c = NULL;
	char args[64];
	size_t n = 0;

	snprintf(b->noexport_proto, sizeof(b->noexport_proto), "%s", proto);
	if (lab_bgp_file(l, s, "ctl", b->noexport_ctl, sizeof(b->noexport_ctl)) < 0)
		b->noexport_ctl[0] = '\0';
	snprintf(args, sizeof(args), "noexport %s", proto);
	if (lab_bgp_ctl_open(l, s, &c) == 0 && bgp_routes(c, args, &v, &n) == 0) {
		b->noexport_asked = true;
		for (size_t i = 0; i < n; i++)
			if (v[i].prefix.addr == prefix->addr && v[i].prefix.len == prefix->len)
				b->not_exported = true;
	}
	bgp_ctl_close(c);
	free(v);
}

/* The node's own BIRD: running? a route for dst now? */
static void local_ask(const struct lab *l, size_t node, uint32_t dst, struct trace_bgp_evidence *b)
{
	struct bgp_route *v = NULL;
	struct bgp_ctl *c = NULL;
	char args[32], a[ADDR_STRLEN];
	size_t n = 0;

	if (lab_bgp_file(l, node, "ctl", b->local_ctl, sizeof(b->local_ctl)) < 0)
		b->local_ctl[0] = '\0';
	b->local_err = lab_bgp_ctl_open(l, node, &c);
	snprintf(args, sizeof(args), "for %s", addr_fmt(dst, a));
	if (b->local_err == 0 && bgp_routes(c, args, &v, &n) == 0)
		b->bird_has_route = n > 0;
	bgp_ctl_close(c);
	free(v);
}

/* The first hop that left a node by another route than the one to the
 * node owning its destination, the packet never reaching that node after
 * it: -1 if none. *owner set. */
static ssize_t wrong_hop(const struct trace *t, size_t *owner)
{
	const struct lab *l = t->lab;

	for (size_t h = 0; h < t->nhops; h++) {
		const struct trace_hop *x = &t->hops[h];
		size_t node = node_of_netns(l, t->ns[x->ns]), o;
		bool reached = false;

		if (node == SIZE_MAX || !x->pkt->outgoing || !x->route_set ||
		    (x->moved != TRACE_MOVED_ROUTED && x->moved != TRACE_MOVED_ROUTED_BRIDGED))
			continue;
		o = node_of_pod_ip(l, x->pkt->daddr);
		if (o == SIZE_MAX || o == node || x->route_gw == l->topo.nodes[o].ip)
			continue;
		for (size_t j = h + 1; j < t->nhops && !reached; j++)
			reached = t->hops[j].reply == x->reply &&
				  !strcmp(t->ns[t->hops[j].ns], l->plan.nodes[o].netns);
		if (reached)
			continue;
		*owner = o;
		return (ssize_t)h;
	}
	return -1;
}

int trace_bgp_collect(struct trace *t)
{
	struct trace_bgp_evidence *b = &t->ev.bgp;
	const struct lab *l = t->lab;
	size_t node = SIZE_MAX, owner = SIZE_MAX;
	ssize_t h;

	memset(b, 0, sizeof(*b));
	b->hop = -1;
	if (!l || !lab_bgp_mode(l) || t->res.outcome == PROBE_OK)
		return 0;
	h = wrong_hop(t, &owner);
	if (h >= 0) {
		const struct trace_hop *x = &t->hops[h];

		node = node_of_netns(l, t->ns[x->ns]);
		b->ns = x->ns;
		b->reply = x->reply;
		b->dst = x->pkt->daddr;
		b->took_dst = x->route_dst;
		b->took_gw = x->route_gw;
		b->took_plen = x->route_plen;
	} else if (t->ev.asked && t->ev.route_err && t->last_hop >= 0) {
		/* No route at all where the request was last seen: a node
		 * without even a default route. */
		const struct trace_hop *x = &t->hops[t->last_hop];

		node = node_of_netns(l, t->ns[t->ev.at]);
		owner = node_of_pod_ip(l, x->pkt->daddr);
		b->ns = t->ev.at;
		b->dst = x->pkt->daddr;
		if (owner == node)
			owner = SIZE_MAX;
	}
	if (node == SIZE_MAX || owner == SIZE_MAX)
		return 0;
	b->asked = true;
	b->hop = h;
	snprintf(b->node, sizeof(b->node), "%s", l->topo.nodes[node].name);
	snprintf(b->netns, sizeof(b->netns), "%s", l->plan.nodes[node].netns);
	snprintf(b->owner, sizeof(b->owner), "%s", l->topo.nodes[owner].name);
	b->owner_ip = l->topo.nodes[owner].ip;
	b->prefix = l->topo.nodes[owner].pod_cidr;
	local_ask(l, node, b->dst, b);
	if (bgp_uses_rr(&l->topo)) {
		char proto[48];

		link_fill(l, node, BGP_SPEAKER_RR, &b->link[0]);
		link_fill(l, BGP_SPEAKER_RR, owner, &b->link[1]);
		b->nlinks = 2;
		bgp_proto_name(&l->topo, owner, BGP_SPEAKER_RR, proto, sizeof(proto));
		noexport_ask(l, owner, proto, &b->prefix, b);
	} else {
		char proto[48];

		link_fill(l, node, owner, &b->link[0]);
		b->nlinks = 1;
		bgp_proto_name(&l->topo, owner, node, proto, sizeof(proto));
		noexport_ask(l, owner, proto, &b->prefix, b);
	}
	return 0;
}
