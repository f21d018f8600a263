/* out/explain — an explain topic as text or JSON, and the --live trace's
 * hops as sentences. */
#ifndef PODPATH_OUT_EXPLAIN_H
#define PODPATH_OUT_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "explain/explain.h"
#include "explain/summary.h"

struct trace;

/* The topic list (--list). */
void out_explain_list(FILE *f);
struct json_t *out_explain_list_json(void);
/* One topic: concept, in this lab, see it yourself, trace it. lab: the lab's
 * name, or NULL when there is none (the lab parts then say so). */
void out_explain_text(FILE *f, const struct explain_doc *d, const char *lab, bool color);
struct json_t *out_explain_json(const struct explain_doc *d, const char *lab);
/* --live: every hop of t with the sentence that explains it, and the verdict. */
void out_explain_live(FILE *f, const struct trace *t, bool color);
struct json_t *out_explain_live_json(const struct trace *t);

/* explain summary: the table (rows from explain_summary), its cells
 * wrapped to width columns (80 at least), each row followed by the
 * command of its topic; lab NULL: no lab column's content. */
void out_explain_summary_text(FILE *f, const struct explain_summary_row *rows, size_t n,
			      const char *lab, int width, bool color);
/* The rows as a JSON array: scenario, how, mechanism, in_this_lab (when
 * lab), topic. */
struct json_t *out_explain_summary_json(const struct explain_summary_row *rows, size_t n, bool lab);

#endif
