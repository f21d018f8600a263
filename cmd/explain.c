/* podpath explain — each layer of the networking model, taught against the
 * live lab; without a lab (or without root) the concepts alone. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "explain/explain.h"
#include "lab/lab.h"
#include "lab/bgp_view.h"
#include "out/status.h"
#include "out/explain.h"
#include "lab/break.h"
#include "out/explain_tui.h"
#include "trace/trace.h"
#include "self.h"

/* --live: the topic's own trace, hop by hop with sentences, into doc (JSON)
 * or on stdout. The exit code; *reported when an error was printed instead
 * (then doc must not be: one JSON document). */
static int live(const struct explain_doc *d, struct lab *l, json_t *doc, bool *reported)
{
	struct trace_args a = { .src = d->trace_src, .dst = d->trace_dst };
	struct trace t = { 0 }, dt = { 0 };
	char host[CMD_URL_HOST_MAX];
	bool dns = false;
	int ret;

	*reported = true;
	/* The topic has a trace, but this lab lacks what it would run between. */
	if (!d->trace_src[0])
		return pp_usage_error("explain", "lab \"%s\" has nothing for topic \"%s\" to trace "
				      "(its lab lines say what is missing)", l->name, d->name);
	if (!strncmp(d->trace_opts, "-p ", 3))
		a.proto = d->trace_opts + 3;
	if (cmd_trace_is_url(a.dst) &&
	    (ret = cmd_trace_url_split(&a, host, sizeof(host))) != 0)
		return ret;
	ret = cmd_trace_lab(&a, l, &t, &dt, &dns);
	if (ret > 0)
		goto out;	/* it could not start, and said why */
	*reported = false;
	/* Run, or a name that did not resolve: then the DNS query's trace. */
	if (doc)
		json_object_set_new(doc, "live", out_explain_live_json(ret == 0 ? &t : &dt));
	else
		out_explain_live(stdout, ret == 0 ? &t : &dt, opts.color);
	ret = ret == 0 && t.verdict == TRACE_DELIVERED ? PP_EXIT_OK : PP_EXIT_FAIL;
out:
	trace_free(&t);
	trace_free(&dt);
	return ret;
}

/* --live for a topic without a trace: say which topics have one. */
static int no_live(const struct explain_topic *tp)
{
	size_t n, len = 0;
	const struct explain_topic *all = explain_topics(&n);
	char list[256] = "";

	for (size_t i = 0; i < n; i++)
		if (all[i].traced && len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "",
						all[i].name);
	return pp_usage_error("explain", "topic \"%s\" has no trace to run live; these have: %s",
			      tp->name, list);
}

/* The TUI's tracer: a topic's trace, run on demand (its output, if any
 * error, goes to stderr, which the TUI's screen then repaints over). */
static struct trace *tui_run(void *arg, const struct explain_doc *d)
{
	struct trace_args a = { .src = d->trace_src, .dst = d->trace_dst };
	struct trace *t = calloc(1, sizeof(*t)), dt = { 0 };
	char host[CMD_URL_HOST_MAX];
	bool dns = false;

	if (!t)
		return NULL;
	if (!strncmp(d->trace_opts, "-p ", 3))
		a.proto = d->trace_opts + 3;
	if ((cmd_trace_is_url(a.dst) &&
	     cmd_trace_url_split(&a, host, sizeof(host)) != 0) ||
	    cmd_trace_lab(&a, arg, t, &dt, &dns) != 0) {
		trace_free(t);
		free(t);
		t = NULL;
	}
	trace_free(&dt);
	return t;
}

static void tui_release(void *arg, struct trace *t)
{
	(void)arg;
	trace_free(t);
	free(t);
}

/* The find-the-fault round: a fault of break's catalogue drawn at random
 * and applied hidden, as `podpath break --random` does, then its suggested
 * trace ("trace SRC DST [-p PROTO]") run here; the choices are the fault and
 * three others that apply to the lab, shuffled. */
static struct trace *tui_fault_start(void *arg, struct explain_fault *q, char *why)
{
	struct lab *l = arg;
	const struct lab_break_fault *f, *others[64];
	struct lab_break_target target;
	struct lab_break_state s = { 0 };
	struct pp_err e = { 0 };
	struct trace_args a = { 0 };
	struct trace *t = NULL, dt = { 0 };
	char cmd[512], *tok[8], *save = NULL, host[CMD_URL_HOST_MAX], whyf[256];
	size_t ntok = 0, nothers = 0;
	bool dns = false, seen_trace = false;

	if (lab_break_pick(l, &f, &target) < 0) {
		snprintf(why, 200, "no fault of the catalogue applies to this lab");
		return NULL;
	}
	if (lab_break_apply(l, f, &target, true, &s, &e) < 0) {
		snprintf(why, 200, "%s", e.code == -EEXIST ? "a fault is present already "
			 "(podpath break --undo)" : "the fault could not be applied");
		return NULL;
	}
	/* The suggested trace: its words after "trace". */
	snprintf(cmd, sizeof(cmd), "%s", s.trace);
	snprintf(q->trace_cmd, sizeof(q->trace_cmd), "%s", s.trace);
	snprintf(q->target, sizeof(q->target), "%s", s.target);
	lab_break_state_free(&s);
	/* The words after "trace" ("podpath --lab L trace SRC DST -p P"). */
	for (char *w = strtok_r(cmd, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (!strcmp(w, "trace") && !ntok && !seen_trace)
			seen_trace = true;
		else if (seen_trace && ntok < 8)
			tok[ntok++] = w;
	}
	if (ntok >= 2) {
		a.src = tok[0];
		a.dst = tok[1];
		a.timeout_ms = CMD_TRACE_TIMEOUT_MS;
		for (size_t i = 2; i + 1 < ntok; i++)
			if (!strcmp(tok[i], "-p"))
				a.proto = tok[i + 1];
		t = calloc(1, sizeof(*t));
	}
	if (t && ((cmd_trace_is_url(a.dst) && cmd_trace_url_split(&a, host, sizeof(host)) != 0) ||
		  cmd_trace_lab(&a, l, t, &dt, &dns) != 0)) {
		trace_free(t);
		free(t);
		t = NULL;
	}
	trace_free(&dt);
	if (!t) {
		lab_break_undo(l, &s, &e);
		lab_break_state_free(&s);
		snprintf(why, 200, "its trace could not run (the fault is undone)");
		return NULL;
	}
	/* Three others that apply here, and the fault, in a random order. */
	for (size_t i = 0; i < lab_break_count() && nothers < 64; i++) {
		const struct lab_break_fault *o = lab_break_get(i);

		if (o != f && lab_break_applies(l, o, whyf, sizeof(whyf)) == 0)
			others[nothers++] = o;
	}
	q->right = (int)lab_break_random_below(EXPLAIN_FAULT_CHOICES);
	for (int i = 0; i < EXPLAIN_FAULT_CHOICES; i++) {
		const struct lab_break_fault *c = f;

		if (i != q->right && nothers) {
			size_t k = lab_break_random_below(nothers);

			c = others[k];
			others[k] = others[--nothers];	/* each offered once */
		}
		snprintf(q->choice[i], sizeof(q->choice[i]), "%s", c->name);
		snprintf(q->summary[i], sizeof(q->summary[i]), "%s", c->summary);
	}
	return t;
}

static void tui_fault_end(void *arg, struct trace *t)
{
	struct lab_break_state s = { 0 };
	struct pp_err e = { 0 };

	lab_break_undo(arg, &s, &e);
	lab_break_state_free(&s);
	trace_free(t);
	free(t);
}

/* --tui: every topic built for the lab, stepped through on the terminal. */
static int tui(struct lab *l)
{
	size_t n;
	const struct explain_topic *tp = explain_topics(&n);
	struct explain_doc *docs = calloc(n, sizeof(*docs));
	struct explain_tui x = { .lab = l, .docs = docs, .ndocs = n, .run = l ? tui_run : NULL,
				 .release = tui_release, .fault_start = l ? tui_fault_start : NULL,
				 .fault_end = tui_fault_end, .arg = l };
	int ret;

	if (!docs)
		return pp_usage_error("explain", "out of memory");
	for (size_t i = 0; i < n; i++)
		explain_build(&tp[i], l, &docs[i]);
	ret = out_explain_tui(&x) < 0 ? pp_usage_error("explain", "--tui cannot use this terminal")
				      : 0;
	free(docs);
	return ret;
}

/* The terminal's width for the summary table; 100 when not a terminal. */
static int term_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		return ws.ws_col;
	return 100;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "live", no_argument, NULL, 'L' },
		{ "tui", no_argument, NULL, 'T' },
		{ 0 },
	};
	const struct explain_topic *tp;
	struct explain_doc d;
	struct pp_err e = { 0 };
	bool list = false, want_live = false, want_tui = false, have_lab = false, reported = false;
	struct lab l;
	json_t *doc = NULL;
	struct explain_summary_row rows[EXPLAIN_SUMMARY_ROWS];
	size_t nrows = 0;
	int opt, ret = 0;

	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == 'l')
			list = true;
		else if (opt == 'L')
			want_live = true;
		else if (opt == 'T')
			want_tui = true;
		else
			return pp_usage_error("explain", "unknown option \"%s\"", argv[optind - 1]);
	}
	if (argc - optind > 1)
		return pp_usage_error("explain", "unexpected argument \"%s\"", argv[optind + 1]);
	if (list) {
		if (opts.json)
			return pp_json_out(out_explain_list_json());
		out_explain_list(stdout);
		return 0;
	}
	if (want_tui) {
		if (opts.json || want_live || argc > optind)
			return pp_usage_error("explain", "--tui takes no topic, --live or --json: it "
					      "walks through every topic");
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
			return pp_usage_error("explain", "--tui needs a terminal on stdin and stdout");
		have_lab = geteuid() == 0 && lab_load(&l, opts.lab, &e) == 0;
		ret = tui(have_lab ? &l : NULL);
		if (have_lab)
			lab_free(&l);
		return ret;
	}
	/* Without a topic: the one-page map, then where to go from there. */
	tp = explain_find(optind < argc ? argv[optind] : "summary");
	if (!tp)
		return pp_usage_error("explain", "unknown topic \"%s\" (%s explain --list shows "
				      "them)", argv[optind], pp_self());
	/* Refused before anything is printed: one document, or one error. */
	if (want_live && !tp->traced)
		return no_live(tp);
	/* The lab parts need the kernel's answers: root, and a lab. */
	if (geteuid() == 0 && lab_load(&l, opts.lab, &e) == 0)
		have_lab = true;
	explain_build(tp, have_lab ? &l : NULL, &d);
	if (want_live && !have_lab) {
		if (!e.msg[0])
			pp_err_set(&e, PP_EXIT_ENV, -EPERM, "--live runs a trace: it needs root");
		return pp_report(&e);
	}
	if (!strcmp(tp->name, "summary"))
		nrows = explain_summary(have_lab ? &l : NULL, rows);
	if (opts.json) {
		doc = out_explain_json(&d, have_lab ? l.name : NULL);
		/* cross-node in bgp mode: the sessions and routes as data too. */
		if (doc && have_lab && lab_bgp_mode(&l) && !strcmp(tp->name, "cross-node")) {
			struct lab_bgp_view bv = { 0 };

			if (lab_bgp_view_read(&l, &bv) == 0)
				json_object_set_new(doc, "bgp", out_status_bgp_json(&l, &bv));
			lab_bgp_view_free(&bv);
		}
		if (doc && nrows)
			json_object_set_new(doc, "table", out_explain_summary_json(rows, nrows, have_lab));
		if (want_live)
			ret = live(&d, &l, doc, &reported);
		/* A trace that could not start has printed its error, the one
		 * document; a trace that ran, delivered or not, is in doc. */
		if (!reported)
			pp_json_out(doc);
		else
			json_decref(doc);
	} else if (nrows) {
		out_explain_summary_text(stdout, rows, nrows, have_lab ? l.name : NULL, term_width(),
					 opts.color);
		if (optind >= argc) {
			fputs("\nTopics (podpath explain TOPIC):\n", stdout);
			out_explain_list(stdout);
		}
	} else {
		out_explain_text(stdout, &d, have_lab ? l.name : NULL, opts.color);
		if (optind >= argc) {
			fputs("\nTopics (podpath explain TOPIC):\n", stdout);
			out_explain_list(stdout);
		}
		if (want_live)
			ret = live(&d, &l, NULL, &reported);
	}
	if (have_lab)
		lab_free(&l);
	return ret;
}
