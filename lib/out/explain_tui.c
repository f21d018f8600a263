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

static void draw_topology(struct ui *u)
{
	const struct lab *l = u->x->lab;
	const struct topo *t = l ? &l->topo : NULL;
	/* A box's line: "NS/NAME IP" of a pod, or a list of LB addresses. */
	char s[2 * TOPO_LABEL_MAX + 2 * ADDR_STRLEN + 64], a[ADDR_STRLEN];
	int h, w, y = 2, bw, n;

	getmaxyx(stdscr, h, w);
	title("the lab as boxes: every box is a network namespace", " any key: back  q: quit");
	if (!t) {
		mvaddnstr(3, 2, "no lab: build one with podpath setup", w - 4);
		return;
	}
	/* The internet and the cloud's edge, then the VPC, then the nodes. */
	if (t->inet.nhosts) {
		box_at(y, 1, 3, w - 2, "internet");
		s[0] = '\0';
		for (size_t i = 0; i < t->inet.nhosts; i++)
			snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s%s %s", i ? "  " : "",
				 t->inet.hosts[i].name, addr_fmt(t->inet.hosts[i].ip, a));
		mvaddnstr(y + 1, 3, s, w - 6);
		y += 3;
		snprintf(s, sizeof(s), "gateway %s", addr_fmt(t->net.gateway_ip, a));
		box_at(y, 1, 3, (w - 2) / 2, s);
		mvaddnstr(y + 1, 3, "1:1 NAT node <-> public", (w - 2) / 2 - 4);
		box_at(y, 1 + (w - 2) / 2, 3, (w - 2) - (w - 2) / 2, "load balancer");
		s[0] = '\0';
		for (size_t i = 0; i < t->nservices; i++)
			if (t->services[i].type == TOPO_SVC_LOADBALANCER)
				snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s ",
					 addr_fmt(t->services[i].lb_ip, a));
		mvaddnstr(y + 1, 3 + (w - 2) / 2, s, (w - 2) - (w - 2) / 2 - 4);
		y += 3;
	}
	snprintf(s, sizeof(s), "VPC router %s", addr_fmt(t->net.vpc_router, a));
	box_at(y, 1, 3, w - 2, s);
	snprintf(s, sizeof(s), "%s networking, kube-proxy %s", topo_mode_name(t->net.mode),
		 topo_proxy_mode_name(t->net.proxy_mode));
	mvaddnstr(y + 1, 3, s, w - 6);
	y += 3;
	n = (int)t->nnodes < 4 ? (int)t->nnodes : 4;
	bw = n ? (w - 2) / n : w - 2;
	for (int i = 0; i < n; i++) {
		const struct topo_node *nd = &t->nodes[i];
		int row = y + 1, bh = h - 1 - y;

		snprintf(s, sizeof(s), "%s %s", nd->name, addr_fmt(nd->ip, a));
		box_at(y, 1 + i * bw, bh, bw, s);
		for (size_t p = 0; p < t->npods && row < y + bh - 1; p++) {
			if (t->pods[p].node != (size_t)i)
				continue;
			snprintf(s, sizeof(s), "%s/%s %s", t->pods[p].ns, t->pods[p].name,
				 addr_fmt(t->pods[p].ip, a));
			mvaddnstr(row++, 3 + i * bw, s, bw - 4);
		}
	}
	if ((int)t->nnodes > n)
		mvaddnstr(h - 2, 2, "(more nodes than fit: podpath status lists them all)", w - 4);
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

/* The connection being stepped: the probe's, or nginx's own behind it. */
static const struct trace *stepped(const struct ui *u)
{
	return u->second && u->tr->upstream ? u->tr->upstream : u->tr;
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
	title(s, u->tr->upstream ? " n/j: next hop  p/k: previous  c: other connection  z: quiz  b: back  q: quit"
	      : " n/j: next hop  p/k: previous  z: quiz  b: back  q: quit");
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
		else if (c == 'z') {
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
