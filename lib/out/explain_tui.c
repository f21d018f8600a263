/* out/explain_tui — `podpath explain --tui`: a walkthrough for learners.
 * The topic list beside the topic; the lab drawn as boxes; a topic's trace
 * stepped hop by hop with the packet's header fields that changed lit up
 * and the rule behind the change; and a quiz on that trace (which hop comes
 * next, what the packet looks like after a NAT), scored at the end. Works in
 * 80x24, follows resizes, and puts the terminal back on any exit. */
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "out/explain_tui.h"
#include "out/quiz.h"
#include "out/term.h"
#include "out/trace.h"

enum mode { M_TOPICS, M_TOPOLOGY, M_STEP, M_QUIZ, M_FAULT };

struct ui {
	const struct explain_tui *x;
	enum mode mode;
	size_t topic, hop;
	struct trace *tr;	/* the selected topic's trace, once run */
	bool second;		/* stepping through its second connection (behind nginx) */
	int scroll;		/* rows of the topic's text scrolled away */
	bool tmark;		/* the lab view shows the stepped trace's packet */
	int tscroll;		/* rows of the lab view's nodes scrolled away */
	bool tmore;		/* and more of them below */
	bool more;		/* the topic's text goes on below the window */
	char msg[200];		/* a one-line note (a trace that could not run) */
	struct quiz_question q[QUIZ_MAX];
	size_t nq, cur;		/* cur: the question shown (nq: the score) */
	/* The find-the-fault round: its trace (the fault is in the lab while
	 * it is set), the choices, and the answer (-1 until given). */
	struct trace *ftr;
	struct explain_fault fq;
	int fanswer;
};


/* Text wrapped into the box (y, x, w) from row y, drawn only on rows miny
 * to maxy - 1 (scrolled out above, or cut below); the rows it takes. */
static int wrap_from(int y, int x, int w, int miny, int maxy, const char *s, int attr)
{
	int row = y;
	size_t len = strlen(s), off = 0;

	attron(attr);
	while (off < len && w > 4) {
		size_t n = out_term_row_len(s + off, (size_t)w);

		if (row >= miny && row < maxy)
			mvaddnstr(row, x, s + off, (int)n);
		row++;
		off += n;
		while (s[off] == ' ')
			off++;
	}
	attroff(attr);
	return row - y;
}

/* The same from row y on; the rows drawn. */
static int wrap(int y, int x, int w, int maxy, const char *s, int attr)
{
	int n = wrap_from(y, x, w, 0, maxy, s, attr);

	return n < maxy - y ? n : maxy - y > 0 ? maxy - y : 0;
}

static void title(const char *s, const char *keys)
{
	int w = getmaxx(stdscr), h = getmaxy(stdscr);

	attron(COLOR_PAIR(OUT_C_TITLE) | A_BOLD);
	mvhline(0, 0, ' ', w);
	mvaddnstr(0, 1, s, w - 2);
	attroff(COLOR_PAIR(OUT_C_TITLE) | A_BOLD);
	attron(COLOR_PAIR(OUT_C_DIM));
	mvaddnstr(h - 1, 0, keys, w);
	attroff(COLOR_PAIR(OUT_C_DIM));
}

/* ---- topics ---- */

/* Rows the topic's text takes at width w (measured, nothing drawn). */
static int topic_rows(const struct ui *u, const struct explain_doc *d, int w)
{
	int rows = 0;

	for (size_t i = 0; d->concept[i]; i++)
		rows += wrap_from(0, 0, w, 0, 0, d->concept[i], A_NORMAL) + 1;
	if (u->x->lab && d->nlab) {
		rows++;
		for (size_t i = 0; i < d->nlab; i++)
			rows += wrap_from(0, 0, w, 0, 0, d->lab[i], A_NORMAL);
	}
	return rows;
}

static void draw_topics(struct ui *u)
{
	const struct explain_doc *d = &u->x->docs[u->topic];
	int h, w, lw = 26, y = 2, top = 4, bottom, end, rows;

	getmaxyx(stdscr, h, w);
	title("podpath explain: the Kubernetes networking model, layer by layer",
	      " j/k: topic  PgDn/PgUp: scroll  t: boxes  l: step the trace  z: quiz  f: fault  q: quit");
	for (size_t i = 0; i < u->x->ndocs && (int)i + 2 < h - 1; i++) {
		if (i == u->topic)
			attron(COLOR_PAIR(OUT_C_SEL) | A_BOLD);
		mvaddnstr(2 + (int)i, 1, u->x->docs[i].name, lw - 2);
		if (i == u->topic)
			attroff(COLOR_PAIR(OUT_C_SEL) | A_BOLD);
	}
	mvvline(1, lw, ACS_VLINE, h - 2);
	attron(A_BOLD);
	mvaddnstr(y, lw + 2, d->title, w - lw - 3);
	attroff(A_BOLD);
	/* The text below the title scrolls (u->scroll rows up) where it does
	 * not fit: rows top..bottom-1 hold it, the row below says when there
	 * is more. end: the row after the last one the text takes. */
	bottom = h - 2;
	/* Never further than the last row at the bottom (after a resize too). */
	rows = topic_rows(u, d, w - lw - 3);
	if (u->scroll > rows - (bottom - top))
		u->scroll = rows - (bottom - top);
	if (u->scroll < 0)
		u->scroll = 0;
	y = end = top - u->scroll;
	for (size_t i = 0; d->concept[i]; i++) {
		end = y + wrap_from(y, lw + 2, w - lw - 3, top, bottom, d->concept[i], A_NORMAL);
		y = end + 1;
	}
	if (u->x->lab && d->nlab) {
		if (y >= top && y < bottom) {
			attron(A_BOLD);
			mvaddnstr(y, lw + 2, "In this lab", w - lw - 3);
			attroff(A_BOLD);
		}
		end = ++y;
		for (size_t i = 0; i < d->nlab; i++)
			end = y += wrap_from(y, lw + 2, w - lw - 3, top, bottom, d->lab[i],
					     COLOR_PAIR(OUT_C_HOT));
	}
	u->more = end > bottom;
	if (u->more)
		mvaddnstr(bottom, w - 16, "(more: PgDn)", 14);
	if (u->scroll)
		mvaddnstr(top - 1, w - 16, "(more: PgUp)", 14);
	if (u->msg[0])
		mvaddnstr(h - 2, lw + 2, u->msg, w - lw - 3);
}

/* ---- the lab as boxes ---- */

/* The connection being stepped: the probe's, or nginx's own behind it. */
static const struct trace *stepped(const struct ui *u)
{
	return u->second && u->tr->upstream ? u->tr->upstream : u->tr;
}


static void box_at(int y, int x, int bh, int bw, const char *label)
{
	int h, w;

	getmaxyx(stdscr, h, w);
	if (y + bh > h - 1 || x + bw > w || bh < 2 || bw < 4)
		return;
	mvaddch(y, x, ACS_ULCORNER);
	mvhline(y, x + 1, ACS_HLINE, bw - 2);
	mvaddch(y, x + bw - 1, ACS_URCORNER);
	mvvline(y + 1, x, ACS_VLINE, bh - 2);
	mvvline(y + 1, x + bw - 1, ACS_VLINE, bh - 2);
	mvaddch(y + bh - 1, x, ACS_LLCORNER);
	mvhline(y + bh - 1, x + 1, ACS_HLINE, bw - 2);
	mvaddch(y + bh - 1, x + bw - 1, ACS_LRCORNER);
	attron(A_BOLD);
	mvaddnstr(y, x + 2, label, bw - 4);
	attroff(A_BOLD);
}

/* One row of the lab view: its text, and the place it stands for (a
 * namespace, and an interface there; ifname NULL: any of it), so that the
 * packet of a stepped trace can be marked where a hop saw it. */
struct lrow {
	char text[2 * TOPO_LABEL_MAX + 2 * ADDR_STRLEN + 64];
	const char *netns, *ifname;
	int attr;
};

/* Does row r stand for where hop i of t was seen? */
static bool row_is_hop(const struct lrow *r, const struct trace *t, size_t i)
{
	const struct trace_hop *h = &t->hops[i];

	if (!r->netns || h->ns >= t->nns || strcmp(r->netns, t->ns[h->ns]))
		return false;
	return !r->ifname || !strcmp(r->ifname, h->pkt->ifname);
}

/* A node's column: its links, CIDRs, bridge, and each pod with its veth. */
static size_t node_rows(const struct lab *l, size_t n, struct lrow *r, int w)
{
	const struct topo *t = &l->topo;
	const struct topo_node *nd = &t->nodes[n];
	char a[ADDR_STRLEN], c[CIDR_STRLEN];
	size_t k = 0;
	bool vpc = t->net.mode == TOPO_MODE_VPC;

	snprintf(r[k].text, sizeof(r[k].text), "eth0 %s/%u <-> %s", addr_fmt(nd->ip, a),
		 t->net.vpc_cidr.len, l->plan.nodes[n].vpc_port);
	r[k].netns = l->plan.nodes[n].netns;
	r[k++].ifname = "eth0";
	/* bgp: no device of its own, BIRD in the node's namespace speaks BGP on eth0. */
	if (t->net.mode == TOPO_MODE_BGP) {
		snprintf(r[k].text, sizeof(r[k].text), "BIRD: iBGP AS %u on eth0, announces its pod CIDR",
			 t->net.bgp.asn);
		r[k++].attr = COLOR_PAIR(OUT_C_DIM);
	}
	if (t->net.mode == TOPO_MODE_VXLAN) {
		snprintf(r[k].text, sizeof(r[k].text), "%s VTEP, VNI %d", LAB_VXLAN_NAME, LAB_VXLAN_VNI);
		r[k].netns = l->plan.nodes[n].netns;
		r[k++].ifname = LAB_VXLAN_NAME;
	}
	if (vpc) {
		snprintf(r[k].text, sizeof(r[k].text), "no bridge: a /32 route per pod");
		r[k++].attr = COLOR_PAIR(OUT_C_DIM);
	} else {
		struct cidr gw = { .addr = nd->gw, .len = nd->pod_cidr.len };

		snprintf(r[k].text, sizeof(r[k].text), "pod CIDR %s", cidr_fmt(&nd->pod_cidr, c));
		r[k++].attr = COLOR_PAIR(OUT_C_DIM);
		snprintf(r[k].text, sizeof(r[k].text), "bridge %s %s", LAB_BRIDGE_NAME, cidr_fmt(&gw, c));
		r[k].netns = l->plan.nodes[n].netns;
		r[k].ifname = LAB_BRIDGE_NAME;
		r[k++].attr = A_BOLD;
	}
	for (size_t p = 0; p < t->npods; p++) {
		if (t->pods[p].node != n)
			continue;
		snprintf(r[k].text, sizeof(r[k].text), "%s %s <-> eth0", vpc ? "+" : "|-",
			 l->plan.pods[p].host_if);
		r[k].netns = l->plan.nodes[n].netns;
		r[k++].ifname = l->plan.pods[p].host_if;
		snprintf(r[k].text, sizeof(r[k].text), "   %s/%s %s", t->pods[p].ns, t->pods[p].name,
			 addr_fmt(t->pods[p].ip, a));
		if ((int)strlen(r[k].text) > w)	/* the address matters more than the namespace */
			snprintf(r[k].text, sizeof(r[k].text), "   %s %s", t->pods[p].name,
				 addr_fmt(t->pods[p].ip, a));
		r[k].netns = l->plan.pods[p].netns;
		r[k++].attr = COLOR_PAIR(OUT_C_OK);
	}
	return k;
}

/* Row r drawn at (y, x), w wide; with the packet's mark when hop i of t
 * (t NULL: no trace) was seen there. True if it was. */
static bool row_draw(const struct lrow *r, int y, int x, int w, const struct trace *t, size_t i)
{
	bool here = t && row_is_hop(r, t, i);
	char mark[32];
	int len = (int)strlen(r->text);

	attron(r->attr);
	mvaddnstr(y, x, r->text, w);
	attroff(r->attr);
	if (!here)
		return false;
	snprintf(mark, sizeof(mark), "<#%zu %s", i + 1, t->hops[i].pkt->outgoing ? "out" : "in");
	if (len + 1 + (int)strlen(mark) > w)	/* no room after it: over its end */
		len = w - (int)strlen(mark) - 1;
	attron(COLOR_PAIR(OUT_C_HOT) | A_BOLD | A_REVERSE);
	mvaddnstr(y, x + len + 1, mark, w - len - 1);
	attroff(COLOR_PAIR(OUT_C_HOT) | A_BOLD | A_REVERSE);
	return true;
}

/* The lab: the internet and the cloud's edge, the VPC, and the nodes side
 * by side, each with its links, pod CIDR, bridge, veths and pods. With a
 * trace being stepped, the packet is marked where hop u->hop saw it, and
 * the node area scrolls to keep it in sight (PgDn/PgUp scroll by hand). */
static void draw_topology(struct ui *u)
{
	const struct lab *l = u->x->lab;
	const struct topo *t = l ? &l->topo : NULL;
	const struct trace *tr = u->tmark && u->tr ? stepped(u) : NULL;
	char s[2 * TOPO_LABEL_MAX + 2 * ADDR_STRLEN + 96], a[ADDR_STRLEN], c[CIDR_STRLEN];
	int h, w, y = 1, cols, bw, area, tallest = 0, want = -1;
	struct lrow top;
	struct lrow **col = NULL;
	size_t *ncol = NULL;

	getmaxyx(stdscr, h, w);
	if (tr) {
		snprintf(s, sizeof(s), "the lab, hop %zu of %zu: %s, %s (%s)", u->hop + 1, tr->nhops,
			 tr->ns_label[tr->hops[u->hop].ns], tr->hops[u->hop].pkt->ifname,
			 tr->hops[u->hop].pkt->outgoing ? "out" : "in");
		title(s, " n/p: hop  PgDn/PgUp: scroll  l: the hop  b: back  q: quit");
	} else {
		title("the lab: every box is a network namespace", " PgDn/PgUp: scroll  any key: back  "
		      "q: quit");
	}
	if (!t) {
		mvaddnstr(3, 2, "no lab: build one with podpath setup", w - 4);
		return;
	}
	/* The internet and the cloud's edge on one line each, then the VPC. */
	if (t->inet.nhosts) {
		box_at(y, 0, 3, w, "internet");
		memset(&top, 0, sizeof(top));
		snprintf(top.text, sizeof(top.text), "%s", cidr_fmt(&t->inet.cidr, c));
		for (size_t i = 0; i < t->inet.nhosts; i++)
			snprintf(top.text + strlen(top.text), sizeof(top.text) - strlen(top.text),
				 "  %s %s", t->inet.hosts[i].name, addr_fmt(t->inet.hosts[i].ip, a));
		top.netns = l->plan.inet_netns;
		if (!row_draw(&top, y + 1, 2, w - 4, tr, u->hop) && tr)
			for (size_t i = 0; i < t->inet.nhosts; i++) {
				top.netns = l->plan.hosts[i].netns;
				if (row_draw(&top, y + 1, 2, w - 4, tr, u->hop))
					break;
			}
		y += 3;
		box_at(y, 0, 3, w / 2, "cloud gateway");
		memset(&top, 0, sizeof(top));
		snprintf(top.text, sizeof(top.text), "%s 1:1 NAT", addr_fmt(t->net.gateway_ip, a));
		top.netns = l->plan.gw_netns;
		row_draw(&top, y + 1, 2, w / 2 - 4, tr, u->hop);
		box_at(y, w / 2, 3, w - w / 2, "load balancer");
		memset(&top, 0, sizeof(top));
		for (size_t i = 0; i < t->nservices; i++)
			if (t->services[i].type == TOPO_SVC_LOADBALANCER)
				snprintf(top.text + strlen(top.text), sizeof(top.text) - strlen(top.text),
					 "%s ", addr_fmt(t->services[i].lb_ip, a));
		top.netns = l->plan.lb_netns;
		row_draw(&top, y + 1, w / 2 + 2, w - w / 2 - 4, tr, u->hop);
		y += 3;
	}
	snprintf(s, sizeof(s), "VPC %s", cidr_fmt(&t->net.vpc_cidr, c));
	box_at(y, 0, 3, w, s);
	memset(&top, 0, sizeof(top));
	snprintf(top.text, sizeof(top.text), "router %s, bridge %s; %s networking, kube-proxy %s",
		 addr_fmt(t->net.vpc_router, a), LAB_VPC_BRIDGE_NAME, topo_mode_name(t->net.mode),
		 topo_proxy_mode_name(t->net.proxy_mode));
	top.netns = l->plan.vpc_netns;
	row_draw(&top, y + 1, 2, w - 4, tr, u->hop);
	y += 3;
	/* The nodes: as many side by side as 36 columns each allow; below
	 * them, the next row of nodes. */
	cols = w / 36 < 1 ? 1 : w / 36;
	if (cols > (int)t->nnodes)
		cols = (int)t->nnodes;
	if (!cols)
		return;
	bw = w / cols;
	col = calloc(t->nnodes, sizeof(*col));
	ncol = calloc(t->nnodes, sizeof(*ncol));
	for (size_t n = 0; col && ncol && n < t->nnodes; n++) {
		col[n] = calloc(2 * t->nodes[n].npods + 4, sizeof(**col));
		if (col[n])
			ncol[n] = node_rows(l, n, col[n], bw - 4);
	}
	/* Rows of the node area: each band of nodes as tall as its tallest
	 * box; where the packet is (to scroll it into sight). */
	area = h - 1 - y;
	{
		int band = 0, ry = 0;

		for (size_t n = 0; col && ncol && n < t->nnodes; n++) {
			if ((int)ncol[n] + 2 > band)
				band = (int)ncol[n] + 2;
			for (size_t r = 0; tr && col[n] && r < ncol[n]; r++)
				if (row_is_hop(&col[n][r], tr, u->hop))
					want = ry + 1 + (int)r;
			if ((int)(n % (size_t)cols) == cols - 1 || n + 1 == t->nnodes) {
				ry += band;
				band = 0;
			}
		}
		tallest = ry;
	}
	if (want >= 0 && (want < u->tscroll || want >= u->tscroll + area))
		u->tscroll = want - area / 2;
	if (u->tscroll > tallest - area)
		u->tscroll = tallest - area;
	if (u->tscroll < 0)
		u->tscroll = 0;
	{
		int band = 0, ry = 0;

		for (size_t n = 0; col && ncol && n < t->nnodes; n++) {
			int x = (int)(n % (size_t)cols) * bw, top_y = y + ry - u->tscroll;
			int bh = (int)ncol[n] + 2;

			if ((int)ncol[n] + 2 > band)
				band = (int)ncol[n] + 2;
			snprintf(s, sizeof(s), "%s %s", t->nodes[n].name, addr_fmt(t->nodes[n].ip, a));
			/* The box where its rows are in view, the rows that are. */
			if (top_y >= y && top_y + bh <= h - 1)
				box_at(top_y, x, bh, bw, s);
			else if (top_y >= y && top_y < h - 1)
				mvaddnstr(top_y, x + 1, s, bw - 2);
			for (size_t r = 0; col[n] && r < ncol[n]; r++) {
				int ry2 = top_y + 1 + (int)r;

				if (ry2 >= y && ry2 < h - 1)
					row_draw(&col[n][r], ry2, x + 2, bw - 4, tr, u->hop);
			}
			if ((int)(n % (size_t)cols) == cols - 1 || n + 1 == t->nnodes) {
				ry += band;
				band = 0;
			}
		}
	}
	u->tmore = tallest > area + u->tscroll;
	if (u->tmore)
		mvaddnstr(h - 2, w - 14, "(more: PgDn)", 13);
	if (u->tscroll)
		mvaddnstr(y, w - 14, "(more: PgUp)", 13);
	for (size_t n = 0; col && n < t->nnodes; n++)
		free(col[n]);
	free(col);
	free(ncol);
}

/* ---- stepping a trace ---- */

/* The hop before i in the same direction: what "changed" compares with. */
static const struct trace_hop *prev_same_dir(const struct trace *t, size_t i)
{
	for (size_t k = i; k-- > 0;)
		if (t->hops[k].reply == t->hops[i].reply)
			return &t->hops[k];
	return NULL;
}

/* One header field, lit when it differs from the hop before. */
static int field(int y, int x, const char *name, const char *val, bool changed)
{
	mvaddstr(y, x, name);
	if (changed)
		attron(COLOR_PAIR(OUT_C_HOT) | A_BOLD | A_REVERSE);
	mvaddstr(y, x + (int)strlen(name) + 1, val);
	if (changed)
		attroff(COLOR_PAIR(OUT_C_HOT) | A_BOLD | A_REVERSE);
	return (int)(strlen(name) + strlen(val)) + 3;
}


static void draw_step(struct ui *u)
{
	const struct trace *t = stepped(u);
	const struct trace_hop *hop = &t->hops[u->hop], *pv = u->hop ? prev_same_dir(t, u->hop) : NULL;
	const struct capture_pkt *k = hop->pkt, *p = pv ? pv->pkt : NULL;
	/* Holds the title (both endpoints' labels) and a hop's sentence. */
	char s[EXPLAIN_SENTENCE_MAX > 2 * sizeof(t->src.label) + 256 ? EXPLAIN_SENTENCE_MAX
								     : 2 * sizeof(t->src.label) + 256];
	char a[ADDR_STRLEN], v[32];
	int h, w, y = 2, x = 3;

	getmaxyx(stdscr, h, w);
	snprintf(s, sizeof(s), "%s: trace %s -> %s, hop %zu of %zu (%s)%s", u->x->docs[u->topic].name,
		 t->src.label, t->dst.label, u->hop + 1, t->nhops, hop->reply ? "the answer" : "the request",
		 !u->tr->upstream ? "" : u->second ? ", connection 2 of 2 (nginx to backend)"
		 : ", connection 1 of 2 (client to nginx)");
	title(s, u->tr->upstream ? " n/p: hop  c: other connection  t: the lab  z: quiz  b: back  q: quit"
	      : " n/j: next hop  p/k: previous  t: the lab  z: quiz  b: back  q: quit");
	snprintf(s, sizeof(s), "%s, %s (%s)", t->ns_label[hop->ns], k->ifname,
		 k->outgoing ? "leaving" : "arriving");
	attron(A_BOLD);
	mvaddnstr(y++, 1, s, w - 2);
	attroff(A_BOLD);
	box_at(++y, 1, 4, w - 2, "the packet here");
	y++;
	x += field(y, x, "src", addr_fmt(k->saddr, a), p && p->saddr != k->saddr);
	snprintf(v, sizeof(v), "%u", k->sport);
	x += field(y, x, "sport", v, p && p->sport != k->sport);
	x += field(y, x, "dst", addr_fmt(k->daddr, a), p && p->daddr != k->daddr);
	snprintf(v, sizeof(v), "%u", k->dport);
	x += field(y, x, "dport", v, p && p->dport != k->dport);
	snprintf(v, sizeof(v), "%u", k->ttl);
	field(y, x, "ttl", v, p && p->ttl != k->ttl);
	y += 3;
	explain_hop_sentence(t, u->hop, s, sizeof(s));
	y += wrap(y, 2, w - 4, h - 1, s, A_NORMAL) + 1;
	/* The rule behind a change: kube-proxy's chain, or the nft rule seen here. */
	if (hop->svc.named) {
		snprintf(s, sizeof(s), "rule: kube-proxy chain %s -> %s", hop->svc.chain, hop->svc.ep_chain);
		y += wrap(y, 2, w - 4, h - 1, s, COLOR_PAIR(OUT_C_HOT) | A_BOLD);
	}
	for (size_t i = 0; i < t->nnft && y < h - 1; i++)
		if (t->nft_ns[i] == hop->ns && t->nft[i].kind == NFTRACE_RULE &&
		    (t->nft[i].comment[0] || !hop->svc.chain[0])) {
			const struct nftrace_event *ev = &t->nft[i];
			/* Room for each field in full; wrap() fits it to the screen. */
			char nft[sizeof(ev->table) + sizeof(ev->chain) + sizeof(ev->rule) +
				 sizeof(ev->comment) + 8];

			snprintf(nft, sizeof(nft), "nft %s/%s: %s %s", ev->table, ev->chain, ev->rule,
				 ev->comment);
			y += wrap(y, 2, w - 4, h - 1, nft, hop->change[0] ? COLOR_PAIR(OUT_C_HOT) : COLOR_PAIR(OUT_C_DIM));
		}
	if (u->hop + 1 == t->nhops && y < h - 2) {
		char *why = NULL;	/* the reason is as long as it needs to be */

		if (asprintf(&why, "verdict: %s: %s", trace_verdict_name(t->verdict), t->reason) >= 0)
			wrap(y + 1, 2, w - 4, h - 1, why,
			     COLOR_PAIR(t->verdict == TRACE_DELIVERED ? OUT_C_OK : OUT_C_BAD));
		free(why);
	}
}

/* ---- the quiz ---- */

/* Questions on the trace, in the order of its hops (quiz.c). */
static void quiz_begin(struct ui *u)
{
	u->nq = quiz_make(u->tr, u->q, rand);
	u->cur = 0;
}

/* The question, its options, and once answered each option's reason: the
 * one chosen marked, the right one said. Every answer, the last one too,
 * gets this before the next question (or the score). */
static void draw_quiz(struct ui *u)
{
	int h, w, y = 2, score = 0;
	char s[QUIZ_TEXT_MAX + QUIZ_WHY_MAX + 32];

	getmaxyx(stdscr, h, w);
	for (size_t i = 0; i < u->nq; i++)
		score += u->q[i].answer == u->q[i].right;
	if (!u->nq) {
		title("quiz", " b: back  q: quit");
		mvaddnstr(3, 2, "this trace has too few steps for a quiz", w - 4);
		return;
	}
	if (u->cur >= u->nq) {
		title("quiz: done", " b: back  q: quit");
		snprintf(s, sizeof(s), "score: %d/%zu", score, u->nq);
		attron(A_BOLD | COLOR_PAIR(score * 2 >= (int)u->nq ? OUT_C_OK : OUT_C_BAD));
		mvaddnstr(y++, 2, s, w - 4);
		attroff(A_BOLD | COLOR_PAIR(score * 2 >= (int)u->nq ? OUT_C_OK : OUT_C_BAD));
		y++;
		for (size_t i = 0; i < u->nq && y < h - 1; i++) {
			const struct quiz_question *q = &u->q[i];

			snprintf(s, sizeof(s), "%zu. hop %zu: %s %s", i + 1, q->hop + 1,
				 q->answer == q->right ? "right:" : "wrong, it was", q->opt[q->right]);
			y += wrap(y, 2, w - 4, h - 1, s, COLOR_PAIR(q->answer == q->right ? OUT_C_OK
								       : OUT_C_BAD));
		}
		return;
	}
	const struct quiz_question *q = &u->q[u->cur];
	bool done = q->answer >= 0;

	snprintf(s, sizeof(s), "quiz on %s's trace: question %zu of %zu", u->x->docs[u->topic].name,
		 u->cur + 1, u->nq);
	title(s, done ? (u->cur + 1 < u->nq ? " n/space: next question  b: back  q: quit"
			 : " n/space: the score  b: back  q: quit")
		      : " 1/2/3: answer  b: back  q: quit");
	y += wrap(y, 2, w - 4, h - 1, q->text, A_BOLD) + 1;
	for (int i = 0; i < QUIZ_OPTS && y < h - 1; i++) {
		int attr = !done ? A_NORMAL : i == q->right ? COLOR_PAIR(OUT_C_OK) | A_BOLD
			   : i == q->answer ? COLOR_PAIR(OUT_C_BAD) | A_BOLD : A_NORMAL;

		snprintf(s, sizeof(s), "%s%d) %s", done && i == q->answer ? "> " : "  ", i + 1, q->opt[i]);
		y += wrap(y, 2, w - 4, h - 1, s, attr);
		if (done)
			y += wrap(y, 7, w - 9, h - 1, q->why[i], COLOR_PAIR(OUT_C_DIM));
	}
	if (done && y + 1 < h - 1) {
		if (q->answer == q->right)
			snprintf(s, sizeof(s), "your answer, %d: right", q->answer + 1);
		else
			snprintf(s, sizeof(s), "your answer, %d: wrong; the right one is %d", q->answer + 1,
				 q->right + 1);
		wrap(y + 1, 2, w - 4, h - 1, s, A_BOLD | COLOR_PAIR(q->answer == q->right ? OUT_C_OK
								    : OUT_C_BAD));
	}
}

/* ---- find the fault ---- */

static void fault_end(struct ui *u)
{
	if (u->ftr && u->x->fault_end)
		u->x->fault_end(u->x->arg, u->ftr);
	u->ftr = NULL;
}

/* The trace without its diagnosis (that would give the answer away):
 * where it was seen, and how it ended; after the answer, the diagnosis. */
static void draw_fault(struct ui *u)
{
	const struct trace *t = u->ftr;
	const struct explain_fault *q = &u->fq;
	int h = getmaxy(stdscr), w = getmaxx(stdscr), y = 2, need;
	char s[TRACE_LABEL_MAX + IF_NAMESIZE + 96];
	bool compact;

	title("find the fault", u->fanswer < 0 ? " 1-4: your answer  b: give up (undo)  q: quit (undo)"
						: " b: back (the fault is undone)  q: quit");
	y += wrap(y, 2, w - 4, h - 1, "podpath break put one fault of its catalogue in the lab, "
		  "and this probe meets it:", A_NORMAL);
	y += wrap(y, 4, w - 6, h - 1, q->trace_cmd, A_BOLD);
	/* The question and its four choices must fit below the hops: each
	 * choice wrapped if the screen has the rows, else one line each (its
	 * words cut); the hops get what is left. */
	need = 4;	/* blank, verdict, blank, question */
	for (int i = 0; i < EXPLAIN_FAULT_CHOICES; i++) {
		int lead = (int)strlen(q->choice[i]) + 6;

		need += u->fanswer < 0 ? wrap_from(0, 0, w - 6 - lead, 0, 0, q->summary[i], A_NORMAL) : 0;
	}
	compact = u->fanswer < 0 && y + need + 3 > h - 1;
	if (compact)
		need = 4 + EXPLAIN_FAULT_CHOICES;
	for (size_t i = 0; i < t->nhops && y < h - 1 - need; i++) {
		const struct trace_hop *hp = &t->hops[i];

		snprintf(s, sizeof(s), "%2zu %-7s %s %s (%s)", i + 1, hp->reply ? "answer" : "request",
			 t->ns_label[hp->ns], hp->pkt->ifname, hp->pkt->outgoing ? "out" : "in");
		mvaddnstr(y++, 4, s, w - 6);
	}
	snprintf(s, sizeof(s), "verdict: %s (%zu hops seen)", trace_verdict_name(t->verdict), t->nhops);
	mvaddnstr(++y, 2, s, w - 4);
	y += 2;
	if (u->fanswer < 0) {
		mvaddnstr(y++, 2, "Which fault is it?", w - 4);
		for (int i = 0; i < EXPLAIN_FAULT_CHOICES && y < h - 1; i++) {
			snprintf(s, sizeof(s), "%d) %s: ", i + 1, q->choice[i]);
			mvaddnstr(y, 4, s, w - 6);
			if (compact) {
				mvaddnstr(y++, 4 + (int)strlen(s), q->summary[i],
					  w - 6 - (int)strlen(s));
				continue;
			}
			y += wrap(y, 4 + (int)strlen(s), w - 6 - (int)strlen(s), h - 1, q->summary[i],
				  A_NORMAL);
		}
		return;
	}
	snprintf(s, sizeof(s), "%s: it was %s on %s", u->fanswer == q->right ? "right" : "wrong",
		 q->choice[q->right], q->target);
	y += wrap(y, 2, w - 4, h - 1, s, COLOR_PAIR(u->fanswer == q->right ? OUT_C_OK : OUT_C_BAD));
	y += wrap(y, 2, w - 4, h - 1, q->summary[q->right], A_NORMAL);
	if (t->reason)
		y += wrap(y + 1, 2, w - 4, h - 1, t->reason, A_BOLD) + 1;
	if (t->nfindings && t->findings[0].command[0]) {
		snprintf(s, sizeof(s), "see it: ");
		mvaddnstr(y, 2, s, w - 4);
		wrap(y, 2 + (int)strlen(s), w - 4 - (int)strlen(s), h - 1, t->findings[0].command, A_NORMAL);
	}
}

static void fault_begin(struct ui *u)
{
	char why[200] = "";

	if (!u->x->fault_start) {
		snprintf(u->msg, sizeof(u->msg), "no lab (or not root): no fault to find");
		return;
	}
	mvaddstr(getmaxy(stdscr) - 2, 28, "breaking something...");
	refresh();
	memset(&u->fq, 0, sizeof(u->fq));
	u->ftr = u->x->fault_start(u->x->arg, &u->fq, why);
	if (!u->ftr) {
		snprintf(u->msg, sizeof(u->msg), "no round: %.180s", why);
		return;
	}
	u->fanswer = -1;
	u->mode = M_FAULT;
}

/* ---- the loop ---- */

static void drop_trace(struct ui *u);

static bool trace_ready(struct ui *u)
{
	const struct explain_doc *d = &u->x->docs[u->topic];

	if (u->tr)
		return true;
	if (!u->x->run || !d->trace_src[0]) {
		snprintf(u->msg, sizeof(u->msg), "%s", !d->trace_src[0] ? "this topic has no trace"
			 : "no lab (or not root): nothing to trace");
		return false;
	}
	mvaddstr(getmaxy(stdscr) - 2, 28, "tracing...");
	refresh();
	u->tr = u->x->run(u->x->arg, d);
	if (!u->tr || !u->tr->nhops) {
		snprintf(u->msg, sizeof(u->msg), "the trace of %s could not run%s", d->name,
			 u->tr ? ": no packet of it was seen" : "");
		drop_trace(u);	/* nothing to step through: never keep it */
		return false;
	}
	return true;
}

static void drop_trace(struct ui *u)
{
	if (u->tr && u->x->release)
		u->x->release(u->x->arg, u->tr);
	u->tr = NULL;
	u->second = false;
}

static bool key(struct ui *u, int c)
{
	if (c == 'q' || c == 'Q' || c == ERR)
		return false;
	if (c == KEY_RESIZE)
		return true;
	switch (u->mode) {
	case M_TOPICS:
		u->msg[0] = '\0';
		if ((c == 'j' || c == KEY_DOWN) && u->topic + 1 < u->x->ndocs) {
			drop_trace(u);
			u->topic++;
			u->scroll = 0;
		} else if ((c == 'k' || c == KEY_UP) && u->topic) {
			drop_trace(u);
			u->topic--;
			u->scroll = 0;
		} else if ((c == KEY_NPAGE || c == ' ') && u->more) {
			u->scroll += getmaxy(stdscr) / 2;
		} else if (c == KEY_PPAGE || c == KEY_BACKSPACE) {
			u->scroll = u->scroll > getmaxy(stdscr) / 2 ? u->scroll - getmaxy(stdscr) / 2 : 0;
		} else if (c == 't') {
			u->mode = M_TOPOLOGY;
			u->tmark = false;
		} else if ((c == 'l' || c == '\n') && trace_ready(u)) {
			u->mode = M_STEP;
			u->hop = 0;
			u->second = false;
		} else if (c == 'z' && trace_ready(u)) {
			quiz_begin(u);
			u->mode = M_QUIZ;
		} else if (c == 'f') {
			fault_begin(u);
		}
		break;
	case M_FAULT:
		if (c >= '1' && c < '1' + EXPLAIN_FAULT_CHOICES && u->fanswer < 0) {
			u->fanswer = c - '1';
		} else if (c == 'b' || c == 27) {
			fault_end(u);
			u->mode = M_TOPICS;
		}
		break;
	case M_TOPOLOGY:
		if (c == KEY_NPAGE && u->tmore)
			u->tscroll += getmaxy(stdscr) / 3;
		else if (c == KEY_PPAGE)
			u->tscroll = u->tscroll > getmaxy(stdscr) / 3 ? u->tscroll - getmaxy(stdscr) / 3 : 0;
		else if (!u->tmark)
			u->mode = M_TOPICS;	/* any other key: back */
		else if ((c == 'n' || c == 'j' || c == ' ' || c == KEY_DOWN) &&
			 u->hop + 1 < stepped(u)->nhops)
			u->hop++;
		else if ((c == 'p' || c == 'k' || c == KEY_UP) && u->hop)
			u->hop--;
		else if (c == 'l' || c == 't' || c == '\n')
			u->mode = M_STEP;
		else if (c == 'b' || c == 27)
			u->mode = M_TOPICS;
		break;
	case M_STEP:
		if ((c == 'n' || c == 'j' || c == ' ' || c == KEY_DOWN) && u->hop + 1 < stepped(u)->nhops)
			u->hop++;
		else if (c == 'c' && u->tr->upstream && u->tr->upstream->nhops) {
			u->second = !u->second;
			u->hop = 0;
		}
		else if ((c == 'p' || c == 'k' || c == KEY_UP) && u->hop)
			u->hop--;
		else if (c == 't') {
			u->mode = M_TOPOLOGY;
			u->tmark = true;
		} else if (c == 'z') {
			quiz_begin(u);
			u->mode = M_QUIZ;
		} else if (c == 'b' || c == 27)
			u->mode = M_TOPICS;
		break;
	case M_QUIZ:
		if (c >= '1' && c < '1' + QUIZ_OPTS && u->cur < u->nq && u->q[u->cur].answer < 0)
			u->q[u->cur].answer = c - '1';
		else if ((c == 'n' || c == ' ' || c == '\n' || c == KEY_RIGHT) && u->cur < u->nq &&
			 u->q[u->cur].answer >= 0)
			u->cur++;
		else if (c == 'b' || c == 27)
			u->mode = M_TOPICS;
		break;
	}
	return true;
}

int out_explain_tui(const struct explain_tui *x)
{
	struct out_term term;
	struct ui u = { .x = x };

	srand((unsigned)time(NULL));
	if (out_term_start(&term) < 0)
		return -1;
	do {
		erase();
		if (u.mode == M_TOPICS)
			draw_topics(&u);
		else if (u.mode == M_TOPOLOGY)
			draw_topology(&u);
		else if (u.mode == M_STEP)
			draw_step(&u);
		else if (u.mode == M_FAULT)
			draw_fault(&u);
		else
			draw_quiz(&u);
		refresh();
	} while (key(&u, getch()));
	drop_trace(&u);
	fault_end(&u);	/* never leave the fault behind */
	out_term_end(&term);
	return 0;
}
