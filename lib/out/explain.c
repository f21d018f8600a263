/* out/explain — explain topics as text and JSON; see explain.h. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "out/explain.h"
#include "out/trace.h"
#include "trace/trace.h"
#include "self.h"

#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RESET "\033[0m"

void out_explain_list(FILE *f)
{
	size_t n;
	const struct explain_topic *tp = explain_topics(&n);

	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-24s %s\n", tp[i].name, tp[i].summary);
}

json_t *out_explain_list_json(void)
{
	size_t n;
	const struct explain_topic *tp = explain_topics(&n);
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "name", tp[i].name, "title",
						   tp[i].title, "summary", tp[i].summary));
	return json_pack("{s:i, s:o}", "schema", 1, "topics", a);
}

/* A paragraph wrapped at 78 columns, indented by two. */
static void para(FILE *f, const char *s)
{
	size_t col = 0;

	fputs("  ", f);
	while (*s) {
		size_t w = strcspn(s, " ");

		if (col && col + 1 + w > 76) {
			fputs("\n  ", f);
			col = 0;
		} else if (col) {
			fputc(' ', f);
			col++;
		}
		fwrite(s, 1, w, f);
		col += w;
		s += w;
		while (*s == ' ')
			s++;
	}
	fputc('\n', f);
}

static void heading(FILE *f, const char *s, bool color)
{
	fprintf(f, "\n%s%s%s\n", color ? BOLD : "", s, color ? RESET : "");
}

void out_explain_text(FILE *f, const struct explain_doc *d, const char *lab, bool color)
{
	fprintf(f, "%s%s%s (podpath explain %s)\n", color ? BOLD : "", d->title, color ? RESET : "",
		d->name);
	for (size_t i = 0; d->concept[i]; i++) {
		fputc('\n', f);
		para(f, d->concept[i]);
	}
	if (!lab) {
		fprintf(f, "\n  (no lab: build one with `%s setup` to see this in its objects)\n", pp_self());
		return;
	}
	if (d->nlab) {
		char h[96];

		snprintf(h, sizeof(h), "In lab \"%s\"", lab);
		heading(f, h, color);
		for (size_t i = 0; i < d->nlab; i++)
			fprintf(f, "  %s\n", d->lab[i]);
	}
	if (d->ncmds) {
		heading(f, "See it yourself", color);
		for (size_t i = 0; i < d->ncmds; i++)
			fprintf(f, "  %s# %s%s\n  %s\n", color ? DIM : "", d->cmds[i].what,
				color ? RESET : "", d->cmds[i].cmd);
	}
	if (d->nleft_out)
		fprintf(f, "\n  (%zu line%s of this topic left out: more than %d, or longer than %d "
			"bytes)\n", d->nleft_out, d->nleft_out == 1 ? "" : "s", EXPLAIN_MAX_LINES,
			EXPLAIN_LINE - 1);
	if (d->trace_src[0]) {
		heading(f, "Trace it", color);
		fprintf(f, "  %s --lab %s trace %s %s%s%s\n", pp_self(), lab, d->trace_src, d->trace_dst,
			d->trace_opts[0] ? " " : "", d->trace_opts);
		fprintf(f, "  (or: %s --lab %s explain %s --live)\n", pp_self(), lab, d->name);
	}
}

json_t *out_explain_json(const struct explain_doc *d, const char *lab)
{
	json_t *concept = json_array(), *lines = json_array(), *cmds = json_array();
	json_t *o;

	for (size_t i = 0; d->concept[i]; i++)
		json_array_append_new(concept, json_string(d->concept[i]));
	for (size_t i = 0; i < d->nlab; i++)
		json_array_append_new(lines, json_string(d->lab[i]));
	for (size_t i = 0; i < d->ncmds; i++)
		json_array_append_new(cmds, json_pack("{s:s, s:s}", "command", d->cmds[i].cmd, "shows",
						      d->cmds[i].what));
	o = json_pack("{s:i, s:s, s:s, s:s?, s:o, s:o, s:o}", "schema", 1, "topic", d->name, "title",
		      d->title, "lab", lab, "concept", concept, "in_this_lab", lines, "commands",
		      cmds);
	if (o && d->nleft_out)
		json_object_set_new(o, "left_out", json_integer((json_int_t)d->nleft_out));
	if (o && d->trace_src[0])
		json_object_set_new(o, "trace", json_pack("{s:s, s:s, s:s}", "src", d->trace_src, "dst",
							  d->trace_dst, "options", d->trace_opts));
	return o;
}

static void live_hops(FILE *f, const struct trace *t)
{
	char s[EXPLAIN_SENTENCE_MAX];
	bool reply = false;

	for (size_t i = 0; i < t->nhops; i++) {
		if (t->hops[i].reply && !reply) {
			fprintf(f, "  and back:\n");
			reply = true;
		}
		explain_hop_sentence(t, i, s, sizeof(s));
		fprintf(f, "  %2zu. %s\n", i + 1, s);
	}
}

/* Did connection 2 go to its destination untranslated (no Service's DNAT
 * on any hop)? Then kube-proxy took no part in it. */
static bool upstream_direct(const struct trace *u)
{
	for (size_t i = 0; i < u->nhops; i++)
		if (u->hops[i].svc.named)
			return false;
	return true;
}

void out_explain_live(FILE *f, const struct trace *t, bool color)
{
	heading(f, "Live: a real probe, hop by hop", color);
	if (t->upstream)
		fprintf(f, "  connection 1, the client's to the ingress controller:\n");
	live_hops(f, t);
	if (t->upstream) {
		const struct trace *u = t->upstream;
		char a[ADDR_STRLEN], b[ADDR_STRLEN];

		fprintf(f, "  connection 2: nginx ends connection 1 and opens its own, %s:%u > %s:%u, to "
			"%s%s%s:\n", addr_fmt(u->probe.saddr, a), u->probe.sport,
			addr_fmt(u->probe.daddr, b), u->probe.dport,
			upstream_direct(u) ? "endpoint pod " : "", u->dst.label,
			upstream_direct(u) ? ", picked by nginx itself (kube-proxy is bypassed)" : "");
		live_hops(f, u);
	}
	fprintf(f, "  verdict: %s: %s\n", trace_verdict_name(t->verdict), t->reason);
	/* What each side's policies decided and the rule that did it, as
	 * trace prints it (network-policy's probe is about exactly that). */
	out_trace_policy_text(f, t);
}

static json_t *live_hops_json(const struct trace *t)
{
	json_t *hops = json_array();
	char s[EXPLAIN_SENTENCE_MAX], a[ADDR_STRLEN], b[ADDR_STRLEN];

	for (size_t i = 0; hops && i < t->nhops; i++) {
		const struct capture_pkt *k = t->hops[i].pkt;

		explain_hop_sentence(t, i, s, sizeof(s));
		json_array_append_new(hops, json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i, s:i}}", "hop",
						      (int)i + 1, "direction",
						      t->hops[i].reply ? "reply" : "request",
						      "sentence", s, "packet", "src", addr_fmt(k->saddr, a),
						      "dst", addr_fmt(k->daddr, b), "sport", k->sport,
						      "dport", k->dport));
	}
	return hops;
}

json_t *out_explain_live_json(const struct trace *t)
{
	json_t *o = json_pack("{s:o, s:{s:s, s:s}}", "hops", live_hops_json(t), "verdict", "result",
			      trace_verdict_name(t->verdict), "reason", t->reason);

	if (o && (t->policy[0].valid || t->policy[1].valid))
		json_object_set_new(o, "policy", out_trace_policy_json(t));
	/* Behind the ingress: nginx's own connection, hop by hop too. */
	if (o && t->upstream)
		json_object_set_new(o, "upstream", json_pack("{s:s, s:b, s:o}", "to",
							     t->upstream->dst.label,
							     "kube_proxy_bypassed",
							     upstream_direct(t->upstream), "hops",
							     live_hops_json(t->upstream)));
	return o;
}

/* ---- explain summary: the table ---- */

/* The bytes of s that fit a cell's line of w columns: up to the last
 * space that fits, or w bytes of a word longer than the cell. */
static size_t cell_line(const char *s, size_t w)
{
	size_t n = strlen(s), cut = 0;

	if (n <= w)
		return n;
	for (size_t i = 0; i <= w; i++)
		if (s[i] == ' ')
			cut = i;
	return cut ? cut : w;
}

void out_explain_summary_text(FILE *f, const struct explain_summary_row *rows, size_t n,
			      const char *lab, int width, bool color)
{
	static const char *const head[4] = { "SCENARIO", "HOW IT WORKS", "KEY MECHANISM",
					     "IN THIS LAB" };
	size_t w[4], rest;

	if (width < 80)
		width = 80;
	/* Scenario narrow, then how, mechanism and the lab by share. */
	w[0] = 16;
	rest = (size_t)width - 2 - w[0] - 3 * 2;
	w[1] = rest * 34 / 100;
	w[2] = rest * 24 / 100;
	w[3] = rest - w[1] - w[2];
	fprintf(f, "%sAll layers: the summary table%s (podpath explain summary)\n\n  How a packet "
		"travels, what does it, and where it is in %s%s%s.\n", color ? BOLD : "",
		color ? RESET : "", lab ? "lab \"" : "a lab", lab ? lab : "", lab ? "\"" : "");
	if (!lab)
		fprintf(f, "  (no lab: build one with `%s setup` to see where each row is in "
			"it)\n", pp_self());
	fprintf(f, "\n  %s", color ? BOLD : "");
	for (int c = 0; c < 4; c++)
		fprintf(f, "%-*s%s", c < 3 ? (int)w[c] : 0, head[c], c < 3 ? "  " : "");
	fprintf(f, "%s\n", color ? RESET : "");
	for (size_t r = 0; r < n; r++) {
		const char *cell[4] = { rows[r].scenario, rows[r].how, rows[r].mechanism,
					lab ? rows[r].lab : "-" };

		fputc('\n', f);
		while (*cell[0] || *cell[1] || *cell[2] || *cell[3]) {
			/* One line of the row: each cell padded to its column,
			 * the trailing blanks not printed. */
			char line[1024];
			size_t o = 0;

			for (int c = 0; c < 4 && o < sizeof(line); c++) {
				size_t k = cell_line(cell[c], w[c]);

				o += (size_t)snprintf(line + o, sizeof(line) - o, "%.*s%*s", (int)k, cell[c],
						      c < 3 ? (int)(w[c] - k + 2) : 0, "");
				cell[c] += k;
				while (*cell[c] == ' ')
					cell[c]++;
			}
			o = strnlen(line, sizeof(line) - 1);
			while (o && line[o - 1] == ' ')
				o--;
			fprintf(f, "  %.*s\n", (int)o, line);
		}
		/* The row's topic as a command to paste: this binary, this lab. */
		fprintf(f, "  %s-> %s%s%s explain %s%s\n", color ? DIM : "", pp_self(),
			lab ? " --lab " : "", lab ? lab : "", rows[r].topic, color ? RESET : "");
	}
}

json_t *out_explain_summary_json(const struct explain_summary_row *rows, size_t n, bool lab)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s?, s:s}", "scenario",
						   rows[i].scenario, "how", rows[i].how, "mechanism",
						   rows[i].mechanism, "in_this_lab",
						   lab ? rows[i].lab : NULL, "topic", rows[i].topic));
	return a;
}
