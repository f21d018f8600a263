/* out/tui — step through a trace's hops in an ncurses view: the hop list on
 * one side, the packet as it is at the selected hop, what changed there and
 * why it moved on the other, the verdict on top. Works in 80x24 and follows
 * resizes; the terminal is restored however the view ends. */
#include <ncurses.h>
#include <netinet/in.h>
#include <string.h>

#include "out/term.h"
#include "out/trace.h"
#include "out/tui.h"



static void put_wrapped(int y, int x, int w, int maxy, const char *label, const char *text, int attr,
			int *used)
{
	size_t len = strlen(text), off = 0;
	int row = y;

	if (!len || w <= 2)
		return;
	if (label && row < maxy) {
		attron(A_BOLD);
		mvaddnstr(row++, x, label, w);
		attroff(A_BOLD);
	}
	attron(attr);
	while (off < len && row < maxy) {
		size_t n = out_term_row_len(text + off, (size_t)(w - 2));

		mvaddnstr(row++, x + 2, text + off, (int)n);
		off += n;
		while (text[off] == ' ')
			off++;
	}
	attroff(attr);
	*used = row - y;
}

/* conn: "" for a trace of one connection, else which one is shown. */
static void draw(const struct trace *t, size_t sel, size_t top, const char *conn)
{
	int h, w, list_w, y, used = 0;
	const struct trace_hop *hop = t->nhops ? &t->hops[sel] : NULL;
	bool ok = t->verdict == TRACE_DELIVERED;
	char line[2 * sizeof(t->src.label) + 128], a[ADDR_STRLEN];	/* the title holds both */

	getmaxyx(stdscr, h, w);
	erase();
	attron(COLOR_PAIR(OUT_C_TITLE) | A_BOLD);
	snprintf(line, sizeof(line), " podpath trace %s %s -> %s (%s) ",
		 probe_proto_name(t->probe.proto), t->src.label, t->dst.label, addr_fmt(t->dst.ip, a));
	mvaddnstr(0, 0, line, w);
	attroff(COLOR_PAIR(OUT_C_TITLE) | A_BOLD);
	attron(COLOR_PAIR(ok ? OUT_C_OK : OUT_C_BAD) | A_BOLD);
	snprintf(line, sizeof(line), "verdict: %s", trace_verdict_name(t->verdict));
	mvaddnstr(1, 0, line, w);
	attroff(COLOR_PAIR(ok ? OUT_C_OK : OUT_C_BAD) | A_BOLD);
	mvaddnstr(1, (int)strlen(line) + 1, t->reason, w - (int)strlen(line) - 1);
	if (conn[0]) {
		attron(COLOR_PAIR(OUT_C_HOT) | A_BOLD);
		mvaddnstr(2, 0, conn, w);
		attroff(COLOR_PAIR(OUT_C_HOT) | A_BOLD);
	}
	/* The list takes about half the width, at least what a row needs. */
	list_w = w / 2 + 2 < 42 ? 42 : w / 2 + 2;
	if (list_w > 46)
		list_w = 46;
	if (list_w > w)
		list_w = w;
	/* Hop list. */
	for (size_t i = top; i < t->nhops && (int)(i - top) + 3 < h - 1; i++) {
		const struct trace_hop *x = &t->hops[i];

		snprintf(line, sizeof(line), "%2zu %s %-18.18s %-12s %s", i + 1, x->reply ? "<" : ">",
			 t->ns_label[x->ns], x->pkt->ifname, x->pkt->outgoing ? "out" : "in");
		if (i == sel)
			attron(COLOR_PAIR(OUT_C_SEL) | A_BOLD);
		mvaddnstr(3 + (int)(i - top), 0, line, list_w - 1);
		if (i == sel)
			attroff(COLOR_PAIR(OUT_C_SEL) | A_BOLD);
	}
	mvvline(3, list_w - 1, ACS_VLINE, h - 4);
	/* Details of the selected hop. */
	y = 3;
	if (hop) {
		char pkt[256];
		int dw = w - list_w - 1;

		snprintf(line, sizeof(line), "hop %zu of %zu, %s, +%.3f ms", sel + 1, t->nhops,
			 hop->reply ? "answer" : "request", (double)hop->dt_ns / 1e6);
		attron(A_BOLD);
		mvaddnstr(y++, list_w + 1, line, dw);
		attroff(A_BOLD);
		snprintf(line, sizeof(line), "%s, %s %s", t->ns_label[hop->ns], hop->pkt->ifname,
			 hop->pkt->outgoing ? "(leaving)" : "(arriving)");
		mvaddnstr(y++, list_w + 1, line, dw);
		y++;
		out_packet_fmt(hop->pkt, pkt, sizeof(pkt));
		put_wrapped(y, list_w + 1, dw, h - 1, "packet", pkt, A_NORMAL, &used);
		y += used + 1;
		used = 0;
		put_wrapped(y, list_w + 1, dw, h - 1, "changed here", hop->change,
			    COLOR_PAIR(OUT_C_HOT) | A_BOLD, &used);
		y += used ? used + 1 : 0;
		used = 0;
		put_wrapped(y, list_w + 1, dw, h - 1, "why", hop->why, A_NORMAL, &used);
		y += used ? used + 1 : 0;
		for (size_t i = 0; i < t->nnft && y < h - 1; i++) {
			const struct nftrace_event *ev = &t->nft[i];
			/* Room for each field in full; the screen's width cuts it. */
			char nft[sizeof(ev->table) + sizeof(ev->chain) + sizeof(ev->rule) +
				 sizeof(ev->comment) + 8];

			if (t->nft_ns[i] != hop->ns)
				continue;
			snprintf(nft, sizeof(nft), "nft %s/%s %s %s", ev->table, ev->chain, ev->rule,
				 ev->comment);
			/* NF_DROP is 0: a dropping rule stands out. */
			attron(ev->verdict == 0 ? COLOR_PAIR(OUT_C_BAD) | A_BOLD : COLOR_PAIR(OUT_C_DIM));
			mvaddnstr(y++, list_w + 1, nft, dw);
			attroff(ev->verdict == 0 ? COLOR_PAIR(OUT_C_BAD) | A_BOLD : COLOR_PAIR(OUT_C_DIM));
		}
	} else {
		mvaddnstr(y, list_w + 1, "no packet of the probe was seen", w - list_w - 1);
	}
	attron(COLOR_PAIR(OUT_C_DIM));
	mvaddnstr(h - 1, 0, conn[0] ? " j/k or arrows: step   g/G: first/last   c: other connection   q: quit"
		  : " j/k or arrows: step   g/G: first/last   q: quit", w);
	attroff(COLOR_PAIR(OUT_C_DIM));
	refresh();
}

int out_trace_tui(const struct trace *t)
{
	/* Behind an ingress controller there are two connections, the
	 * client's to nginx and nginx's own to the backend: 'c' switches. */
	const struct trace *shown = t;
	struct out_term term;
	size_t sel = 0, top = 0;
	bool done = false;

	if (out_term_start(&term) < 0)
		return -1;
	while (!done) {
		int h = getmaxy(stdscr), rows = h - 4 > 1 ? h - 4 : 1;

		/* Keep the selection inside the visible part of the list. */
		if (sel < top)
			top = sel;
		if (sel >= top + (size_t)rows)
			top = sel - (size_t)rows + 1;
		draw(shown, sel, top, !t->upstream ? "" : shown == t ? "connection 1 of 2 (client to nginx)"
		     : "connection 2 of 2 (nginx to backend)");
		switch (getch()) {
		case 'c':
		case '\t':
			if (t->upstream) {
				shown = shown == t ? t->upstream : t;
				sel = top = 0;
			}
			break;
		case 'q':
		case 'Q':
		case 27:
		case ERR:
			done = true;
			break;
		case 'j':
		case KEY_DOWN:
		case ' ':
		case 'n':
			if (sel + 1 < shown->nhops)
				sel++;
			break;
		case 'k':
		case KEY_UP:
		case 'p':
			if (sel)
				sel--;
			break;
		case 'g':
		case KEY_HOME:
			sel = 0;
			break;
		case 'G':
		case KEY_END:
			sel = shown->nhops ? shown->nhops - 1 : 0;
			break;
		case KEY_RESIZE:
			break;
		}
	}
	out_term_end(&term);
	return 0;
}
