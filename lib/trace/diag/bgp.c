/* bgp — bgp networking: a node sent the packet elsewhere than to the node
 * owning its destination's pod CIDR (by its default route to the VPC
 * router, which holds no pod routes), because it never learned that CIDR
 * over BGP. The BIRDs on the way (t->ev.bgp, asked over their control
 * sockets) say why, first cause first: the node's own BIRD is not running;
 * a session on the way is missing or down (the far end's BIRD is not
 * running, or a neighbor address is wrong); or every session is
 * established and the announcing node's export filter rejects the CIDR.
 * The verdict comes before whatever later ended the packet beyond the
 * VPC router: that is only where a packet without a route dies. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "trace/diag/diag.h"

/* Where the packet was last seen: a place's label twice, an interface. */
#define BGP_SEEN_MAX (2 * TRACE_LABEL_MAX + IF_NAMESIZE + 128)

/* A speaker in a sentence. */
static const char *who(const struct trace_bgp_end *e)
{
	return e->rr ? "the route reflector" : e->speaker;
}

/* Why a BIRD is taken for not running: what its control socket did. */
static const char *ctl_words(int err)
{
	switch (err) {
	case -ENOENT: return "it has no control socket";
	case -ECONNREFUSED: return "its control socket refuses connections";
	case -ETIMEDOUT: return "its control socket does not answer";
	default: return strerror(-err);
	}
}

/* "shown by" both sides of it: what BIRD says, and the kernel's routes
 * from BIRD on the node. */
static void command(struct trace_finding *f, const struct trace_bgp_evidence *b,
		    const char *ctl, const char *birdc)
{
	snprintf(f->command, sizeof(f->command), "birdc -s %s %s; ip -n %s route show proto bird",
		 ctl, birdc, b->netns);
}

/* How the packet went instead, and where it was last seen. */
static void instead(const struct trace *t, const struct trace_bgp_evidence *b, char *buf,
		    size_t len)
{
	char seen[BGP_SEEN_MAX], p[CIDR_STRLEN], g[ADDR_STRLEN];
	struct cidr c = { b->took_dst, b->took_plen };

	diag_last_seen(t, seen, sizeof(seen));
	/* The answer's way: the request got there; the answer's last hop. */
	if (b->reply) {
		const struct trace_hop *r = NULL;

		for (size_t h = 0; h < t->nhops; h++)
			if (t->hops[h].reply)
				r = &t->hops[h];
		if (r)
			snprintf(seen, sizeof(seen), "the request got there (%s), and the answer "
				 "was last seen at hop %zd, %s %s (%s)", t->last_hop >= 0 ?
				 t->ns_label[t->hops[t->last_hop].ns] : "?", r - t->hops + 1,
				 t->ns_label[r->ns], r->pkt->ifname, r->pkt->outgoing ? "out" : "in");
	}
	if (b->hop < 0) {
		snprintf(buf, len, "; %s", seen);
		return;
	}
	snprintf(buf, len, ", so %s sent it by its %s%s%s%s (hop %zd), not to %s; %s", b->node,
		 b->took_plen ? "route " : "default route", b->took_plen ? cidr_fmt(&c, p) : "",
		 b->took_gw ? " via " : "", b->took_gw ? addr_fmt(b->took_gw, g) : "", b->hop + 1,
		 b->owner, seen);
}

/* The first session on the way that is not established, NULL if all are. */
static const struct trace_bgp_link *down_link(const struct trace_bgp_evidence *b)
{
	for (size_t i = 0; i < b->nlinks; i++)
		if (!b->link[i].near.has_session || !b->link[i].near.established)
			return &b->link[i];
	return NULL;
}

int diag_bgp(const struct trace *t, struct trace_finding *f)
{
	const struct trace_bgp_evidence *b = &t->ev.bgp;
	const struct trace_bgp_link *k, *first = &b->link[0];
	char head[160], tail[BGP_SEEN_MAX + 2 * TOPO_LABEL_MAX + 96], way[600], p[CIDR_STRLEN];
	char o[ADDR_STRLEN];

	if (!b->asked || t->res.outcome == PROBE_OK || !b->nlinks)
		return 0;
	diag_start(f, "bgp", TRACE_NO_ROUTE, (ssize_t)b->ns);
	f->hop = b->hop >= 0 ? b->hop : t->last_hop;
	cidr_fmt(&b->prefix, p);
	snprintf(f->object, sizeof(f->object), "route %s", p);
	snprintf(f->expected, sizeof(f->expected), "via %s proto bird, learned over BGP (%s's pod CIDR)",
		 addr_fmt(b->owner_ip, o), b->owner);
	snprintf(head, sizeof(head), "no route to %s on %s%s", p, b->node,
		 b->reply ? " for the answer" : "");
	instead(t, b, tail, sizeof(tail));

	if (b->local_err) {
		f->cause = "bgp-local-down";
		snprintf(f->actual, sizeof(f->actual), "none: %s's BIRD is not running (%s)", b->node,
			 strerror(-b->local_err));
		command(f, b, b->local_ctl, "show protocols");
		return diag_say(f, "%s: %s's own BIRD is not running (%s)%s", head, b->node,
				ctl_words(b->local_err), tail);
	}
	/* The way the route comes: "its BGP session with node-2" or, through
	 * the reflector, that session and the reflector's with the owner. */
	k = down_link(b);
	if (k == &b->link[1])
		snprintf(way, sizeof(way), "its BGP session with %s is established, but %s's session "
			 "with %s", who(&first->far), who(&k->near), who(&k->far));
	else if (k)
		snprintf(way, sizeof(way), "its BGP session with %s", who(&k->far));
	if (k && !k->near.has_session) {
		f->cause = "bgp-session-missing";
		snprintf(f->actual, sizeof(f->actual), "none: no BGP protocol %s on %s", k->near.proto,
			 who(&k->near));
		command(f, b, k->near.ctl, "show protocols");
		if (k == &b->link[1])
			return diag_say(f, "%s: its BGP session with %s is established, but %s's BIRD "
					"has no session with %s (no protocol %s)%s", head,
					who(&first->far), who(&k->near), who(&k->far), k->near.proto,
					tail);
		return diag_say(f, "%s: its BIRD has no BGP session with %s (no protocol %s)%s", head,
				who(&k->far), k->near.proto, tail);
	}
	if (k) {
		char cmd[72];

		snprintf(f->actual, sizeof(f->actual), "none: %s %s", k->near.proto,
			 k->near.words);
		snprintf(cmd, sizeof(cmd), "show protocols all %s", k->near.proto);
		command(f, b, k->near.ctl, cmd);
		if (k->far.ctl_err) {
			f->cause = "bgp-peer-down";
			return diag_say(f, "%s: %s is %s: %s's BIRD is not running (%s)%s", head,
					way, k->near.words, who(&k->far), ctl_words(k->far.ctl_err),
					tail);
		}
		if (k->near.wrong_address) {
			f->cause = "bgp-wrong-neighbor";
			return diag_say(f, "%s: %s is %s%s", head, way, k->near.words, tail);
		}
		if (k->far.has_session && k->far.wrong_address) {
			f->cause = "bgp-wrong-neighbor";
			snprintf(cmd, sizeof(cmd), "show protocols all %s", k->far.proto);
			command(f, b, k->far.ctl, cmd);
			return diag_say(f, "%s: %s is %s, because %s's end of the session is %s%s",
					head, way, k->near.words, who(&k->far), k->far.words, tail);
		}
		f->cause = "bgp-session-down";
		return diag_say(f, "%s: %s is %s%s", head, way, k->near.words, tail);
	}
	/* Every session is up: the owner did not announce it. */
	if (b->noexport_asked && b->not_exported) {
		char cmd[72];

		f->cause = "bgp-not-exported";
		snprintf(f->actual, sizeof(f->actual), "none: %s's export filter rejects %s", b->owner,
			 p);
		snprintf(cmd, sizeof(cmd), "show route noexport %s", b->noexport_proto);
		command(f, b, b->noexport_ctl, cmd);
		return diag_say(f, "%s: its BGP session with %s is established%s%s%s, but %s does "
				"not announce %s: its export filter rejects it (BIRD lists it under "
				"show route noexport %s)%s", head, who(&first->far),
				b->nlinks > 1 ? ", and the route reflector's with " : "",
				b->nlinks > 1 ? b->owner : "", b->nlinks > 1 ? " too" : "",
				b->owner, p, b->noexport_proto, tail);
	}
	/* Up, announced, and still missing: say what is known, no more. */
	f->cause = "bgp-route-missing";
	snprintf(f->actual, sizeof(f->actual), "none (%s's BIRD %s a route for it)", b->node,
		 b->bird_has_route ? "has" : "has no");
	{
		char cmd[72];

		snprintf(cmd, sizeof(cmd), "show route for %s all", addr_fmt(b->dst, o));
		command(f, b, b->local_ctl, cmd);
	}
	return diag_say(f, "%s: its BGP session with %s is established%s%s%s%s%s%s, yet %s's "
			"BIRD %s%s", head, who(&first->far),
			b->nlinks > 1 ? ", and the route reflector's with " : "",
			b->nlinks > 1 ? b->owner : "", b->nlinks > 1 ? " too" : "",
			b->noexport_asked ? "; " : "", b->noexport_asked ? b->owner : "",
			b->noexport_asked ? "'s export filter passes it" : "", b->node,
			b->bird_has_route ? "has a route for it that is not in the kernel"
					  : "has not learned it (yet?)", tail);
}
