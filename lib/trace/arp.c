/* arp — the link layer of a trace: the ARP exchanges the probe's packets
 * waited for, the neighbour entries they left, the bridge FDB entry that
 * chose a port, and trace --arp's flush of the entries that would have
 * spared the exchange. Every exchange reported was captured; the kernel is
 * only asked what it holds now (a neighbour entry, an FDB entry). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/neighbour.h>

#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/internal.h"
#include "trace/observe/neigh.h"

#define ETH_P_ARP_ 0x0806
#define ARP_REQUEST 1
#define ARP_REPLY 2

static bool is_arp(const struct capture_pkt *k, uint16_t op)
{
	return k->ethertype == ETH_P_ARP_ && k->arp_op == op;
}

/* The same request (or answer) seen at another place: same operation,
 * addresses and sender. */
static bool arp_same(const struct capture_pkt *a, const struct capture_pkt *b)
{
	return a->ethertype == ETH_P_ARP_ && a->arp_op == b->arp_op && a->arp_spa == b->arp_spa &&
	       a->arp_tpa == b->arp_tpa && !memcmp(a->arp_sha, b->arp_sha, 6);
}

static bool at_place(const struct capture_pkt *k, size_t ns, int ifindex, bool outgoing)
{
	return k->ns == ns && k->ifindex == ifindex && k->outgoing == outgoing;
}

/* Room for one more record; NULL without memory. */
static struct trace_arp *arp_add(struct trace *t)
{
	struct trace_arp *a = realloc(t->arp, (t->narp + 1) * sizeof(*a));

	if (!a)
		return NULL;
	t->arp = a;
	memset(&a[t->narp], 0, sizeof(*a));
	return &a[t->narp++];
}

/* Did a copy of the request at (ns, ifindex, outgoing) lead to the target:
 * leaving, the answer came back in there; arriving, the answer left that
 * way again, or this is the namespace that answered (it sent the answer
 * and never received it). Anything else is the bridge's flooding. */
static bool toward_target(const struct capture_pkt *all, size_t n, const struct capture_pkt *rep,
			  const struct capture_pkt *c)
{
	bool sent_here = false, got_here = false;

	for (size_t i = 0; i < n; i++) {
		const struct capture_pkt *k = &all[i];

		if (!arp_same(k, rep) || k->ns != c->ns)
			continue;
		if (c->outgoing && !k->outgoing && k->ifindex == c->ifindex)
			return true;
		if (!c->outgoing && k->outgoing && k->ifindex == c->ifindex)
			return true;
		sent_here |= k->outgoing;
		got_here |= !k->outgoing;
	}
	return !c->outgoing && sent_here && !got_here;
}

/* One exchange: every copy of request req and answer rep between the two
 * (each place once, repeats counted), then the requester's entry. With
 * rep NULL, a request nobody answered: its copies to the end of the
 * capture, every one but the asker's own a broadcast that led nowhere. */
static int exchange_add(struct trace *t, const struct capture_pkt *all, size_t n,
			const struct capture_pkt *req, const struct capture_pkt *rep,
			const struct capture_pkt *hop, size_t x)
{
	uint64_t last = req->ts_ns;
	struct obs_neigh ne;
	int fd;
	struct trace_arp *a;

	for (size_t i = 0; i < n; i++) {
		const struct capture_pkt *k = &all[i];
		bool dup = false;

		if (k->ts_ns < req->ts_ns || (rep && k->ts_ns > rep->ts_ns) ||
		    (!arp_same(k, req) && !(rep && arp_same(k, rep))))
			continue;
		if (k->ts_ns > last)
			last = k->ts_ns;
		for (size_t j = 0; j < t->narp && !dup; j++)
			if (t->arp[j].exchange == x && t->arp[j].pkt &&
			    arp_same(t->arp[j].pkt, k) &&
			    at_place(t->arp[j].pkt, k->ns, k->ifindex, k->outgoing)) {
				t->arp[j].repeats++;
				dup = true;
			}
		if (dup)
			continue;
		a = arp_add(t);
		if (!a)
			return -ENOMEM;
		a->kind = k->arp_op == ARP_REQUEST ? TRACE_ARP_WHO_HAS : TRACE_ARP_IS_AT;
		a->exchange = x;
		a->ns = k->ns;
		a->pkt = k;
		a->ts_ns = k->ts_ns;
		a->flooded = k->arp_op == ARP_REQUEST &&
			     (rep ? !toward_target(all, n, rep, k)
				  : !at_place(k, req->ns, req->ifindex, true));
	}
	a = arp_add(t);
	if (!a)
		return -ENOMEM;
	a->kind = TRACE_ARP_NEIGH;
	a->exchange = x;
	a->ns = hop->ns;
	a->ts_ns = rep ? rep->ts_ns : last;
	a->ip = req->arp_tpa;
	snprintf(a->ifname, sizeof(a->ifname), "%s", hop->ifname);
	a->neigh_err = obs_neigh_get(t->ns[hop->ns], hop->ifname, req->arp_tpa, &ne);
	if (a->neigh_err == 0) {
		a->state = ne.state;
		a->has_mac = ne.has_lladdr;
		memcpy(a->mac, ne.lladdr, 6);
	} else if (a->neigh_err == -ENOENT && (fd = netns_open(t->ns[hop->ns])) >= 0) {
		/* Asked: there is none (it expired, or was deleted). Not when
		 * the namespace itself is gone: that is not asking. */
		close(fd);
		a->neigh_err = 0;
	}
	return 0;
}

static int arp_cmp(const void *pa, const void *pb)
{
	const struct trace_arp *a = pa, *b = pb;

	if (a->ts_ns != b->ts_ns)
		return a->ts_ns < b->ts_ns ? -1 : 1;
	/* The entry is made by the answer it follows. */
	if (a->kind != b->kind)
		return a->kind == TRACE_ARP_NEIGH ? 1 : b->kind == TRACE_ARP_NEIGH ? -1 : 0;
	return a->pkt && b->pkt && a->pkt->outgoing != b->pkt->outgoing ? (a->pkt->outgoing ? -1 : 1)
									   : 0;
}

int trace_arp_find(struct trace *t)
{
	const struct capture_pkt *all;
	size_t n, nx = 0;

	free(t->arp);
	t->arp = NULL;
	t->narp = 0;
	if (!t->cap || t->shares_capture)
		return 0;
	all = capture_packets(t->cap, &n);
	for (size_t h = 0; h < t->nhops; h++) {
		const struct capture_pkt *k = t->hops[h].pkt, *rep = NULL, *req = NULL;
		bool before = false;

		if (!k->outgoing || !k->has_dst_mac)
			continue;
		/* The first packet to that MAC out of there is the one that waited. */
		for (size_t j = 0; j < h && !before; j++)
			before = at_place(t->hops[j].pkt, k->ns, k->ifindex, true) &&
				 !memcmp(t->hops[j].pkt->dst_mac, k->dst_mac, 6);
		if (before)
			continue;
		/* The last answer giving that MAC that came in there before it... */
		for (size_t i = 0; i < n; i++) {
			const struct capture_pkt *r = &all[i];

			if (is_arp(r, ARP_REPLY) && at_place(r, k->ns, k->ifindex, false) &&
			    !memcmp(r->arp_sha, k->dst_mac, 6) && r->ts_ns <= k->ts_ns &&
			    r->ts_ns >= t->sent_ns && (!rep || r->ts_ns > rep->ts_ns))
				rep = r;
		}
		/* ...and the first request it answers that left there after the
		 * probe was sent. */
		for (size_t i = 0; rep && i < n; i++) {
			const struct capture_pkt *q = &all[i];

			if (is_arp(q, ARP_REQUEST) && at_place(q, k->ns, k->ifindex, true) &&
			    q->arp_spa == rep->arp_tpa && q->arp_tpa == rep->arp_spa &&
			    q->ts_ns <= rep->ts_ns && q->ts_ns >= t->sent_ns &&
			    (!req || q->ts_ns < req->ts_ns))
				req = q;
		}
		if (!req)
			continue;
		/* Another packet of the probe waited for the same exchange. */
		for (size_t j = 0; j < t->narp && req; j++)
			if (t->arp[j].pkt == req)
				req = NULL;
		if (req && exchange_add(t, all, n, req, rep, k, nx++) < 0)
			return -ENOMEM;
	}
	/* ARP for the next hop went unanswered (the verdict's evidence): the
	 * request the place where the probe was last seen sent for it, after
	 * the probe was. */
	if (t->verdict == TRACE_NO_NEIGHBOUR && t->ev.asked && t->ev.next_hop) {
		const struct capture_pkt *req = NULL;
		bool answered = false;

		for (size_t i = 0; i < n; i++) {
			const struct capture_pkt *q = &all[i];

			answered |= is_arp(q, ARP_REPLY) && q->arp_spa == t->ev.next_hop;
			if (is_arp(q, ARP_REQUEST) && q->outgoing && q->ns == t->ev.at &&
			    q->arp_tpa == t->ev.next_hop && q->ts_ns >= t->sent_ns &&
			    (!req || q->ts_ns < req->ts_ns))
				req = q;
		}
		if (req && !answered && exchange_add(t, all, n, req, NULL, req, nx++) < 0)
			return -ENOMEM;
	}
	if (t->narp)
		qsort(t->arp, t->narp, sizeof(*t->arp), arp_cmp);
	for (size_t i = 0; i < t->narp; i++) {
		size_t h = 0;

		while (h < t->nhops && t->hops[h].pkt->ts_ns <= t->arp[i].ts_ns)
			h++;
		t->arp[i].before_hop = h;
	}
	return 0;
}

/* In one namespace: the bridge FDB once, then for each hop b->ns holds
 * that waits for it (fdb.asked), the entry for its frame's destination
 * MAC on the bridge its port belongs to. */
struct fdb_batch {
	struct trace *t;
	size_t ns;
};

static int fdb_here(void *arg)
{
	struct fdb_batch *b = arg;
	struct nl_neigh_obs *v = NULL;
	size_t n = 0;
	struct nl *nl = nl_open();
	int ret = nl ? nl_fdb_dump(nl, &v, &n) : -errno;

	for (size_t h = 0; ret == 0 && h < b->t->nhops; h++) {
		struct trace_fdb *f = &b->t->hops[h].fdb;
		struct nl_link_info li;

		if (b->t->hops[h].ns != b->ns || !f->asked)
			continue;
		/* A port of a bridge: the bridge's table decided. */
		if (nl_link_get(nl, b->t->hops[h].pkt->ifindex, &li) < 0 || !li.master ||
		    !if_indextoname((unsigned)li.master, f->bridge)) {
			f->asked = false;
			continue;
		}
		for (size_t i = 0; i < n && !f->found; i++) {
			if (!v[i].has_mac || v[i].master != li.master || memcmp(v[i].mac, f->mac, 6))
				continue;
			f->found = true;
			if (!if_indextoname((unsigned)v[i].index, f->port))
				snprintf(f->port, sizeof(f->port), "?");
			f->kind = v[i].state & NUD_PERMANENT ? "permanent"
				: v[i].state & NUD_NOARP ? "static" : "learned";
		}
	}
	free(v);
	nl_close(nl);
	return ret;
}

void trace_fdb_annotate(struct trace *t)
{
	for (size_t ns = 0; ns < t->nns; ns++) {
		struct fdb_batch b = { t, ns };
		bool any = false;

		for (size_t h = 0; h < t->nhops && !any; h++)
			any = t->hops[h].ns == ns && t->hops[h].fdb.asked;
		/* The kernel would not say: nothing is claimed. */
		if (any && netns_run(t->ns[ns], fdb_here, &b) < 0)
			for (size_t h = 0; h < t->nhops; h++)
				if (t->hops[h].ns == ns)
					t->hops[h].fdb.asked = false;
	}
	for (size_t h = 0; h < t->nhops; h++) {
		const struct trace_fdb *f = &t->hops[h].fdb;
		char *buf = t->hops[h].why;
		size_t len = sizeof(t->hops[h].why), n = strlen(buf);
		const uint8_t *m = f->mac;

		if (!f->asked)
			continue;
		if (f->found)
			snprintf(buf + n, len - n, ": fdb %02x:%02x:%02x:%02x:%02x:%02x on port %s (%s)",
				 m[0], m[1], m[2], m[3], m[4], m[5], f->port, f->kind);
		else
			snprintf(buf + n, len - n, ": %s holds no fdb entry for "
				 "%02x:%02x:%02x:%02x:%02x:%02x now (a frame for a MAC it does not know "
				 "is flooded to every port)", f->bridge, m[0], m[1], m[2], m[3], m[4], m[5]);
	}
}

struct flush_query {
	uint32_t dst;		/* towards whom */
	uint32_t next;		/* out: the next hop's address (the gateway, or dst) */
	int err;
	char what[64];
};

/* In the calling namespace: delete the entry for the next hop towards
 * q->dst, unless it is one the lab set by hand (permanent, static). */
static int flush_here(void *arg)
{
	struct flush_query *q = arg;
	struct nl_route_info r;
	struct nl_neigh_info ni;
	struct nl_err ne = { 0 };
	struct nl *nl = nl_open();
	int ret = nl ? nl_route_get(nl, q->dst, &r) : -errno;

	snprintf(q->what, sizeof(q->what), "route lookup");
	if (ret < 0)
		goto out;
	q->next = r.gw ? r.gw : q->dst;
	snprintf(q->what, sizeof(q->what), "neighbour entry");
	ret = nl_neigh_get(nl, r.oif, q->next, &ni);
	if (ret == -ENOENT) {
		ret = 0;	/* nothing to flush */
		goto out;
	}
	if (ret < 0 || (ni.state & (NUD_PERMANENT | NUD_NOARP)))
		goto out;
	ret = nl_neigh_del(nl, r.oif, q->next);
	if (ret == 0)
		ret = nl_commit(nl, &ne);
	if (ret == -ENOENT)
		ret = 0;
out:
	nl_close(nl);
	return ret;
}

int trace_arp_flush(struct trace *t, struct pp_err *e)
{
	struct flush_query q = { .dst = t->dst.ip };
	uint32_t src = t->probe.saddr ? t->probe.saddr : t->src.ip;
	char a[ADDR_STRLEN];
	int ret;

	if (!t->src.netns)
		return 0;
	ret = netns_run(t->src.netns, flush_here, &q);
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_ENV, ret, "--arp: %s towards %s in %s: %s", q.what,
				  addr_fmt(t->dst.ip, a), t->src.label, strerror(-ret));
	/* The answer's way: the next hop's entry for the source, wherever
	 * among the observed namespaces that address lives. */
	for (size_t i = 0; src && i < t->nns; i++) {
		struct obs_addr_owner o;
		struct flush_query back = { .dst = src };

		if (!strcmp(t->ns[i], t->src.netns) || obs_neigh_owner(t->ns[i], q.next, &o) < 0)
			continue;
		ret = netns_run(t->ns[i], flush_here, &back);
		if (ret < 0)
			return pp_err_set(e, PP_EXIT_ENV, ret, "--arp: %s towards %s in %s: %s",
					  back.what, addr_fmt(src, a), t->ns_label[i], strerror(-ret));
		break;
	}
	return 0;
}
