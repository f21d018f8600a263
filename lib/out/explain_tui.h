/* out/explain_tui — `podpath explain --tui`: topics, the lab as boxes, a
 * topic's trace stepped hop by hop, and a quiz on it. */
#ifndef PODPATH_OUT_EXPLAIN_TUI_H
#define PODPATH_OUT_EXPLAIN_TUI_H

#include "explain/explain.h"
#include "trace/trace.h"

struct explain_tui {
	const struct lab *lab;			/* NULL: no lab (concepts only) */
	const struct explain_doc *docs;		/* every topic, built for lab */
	size_t ndocs;
	/* Run topic d's trace (NULL when no trace can run); release frees it. */
	struct trace *(*run)(void *arg, const struct explain_doc *d);
	void (*release)(void *arg, struct trace *t);
	void *arg;
};

/* Run the walkthrough until the user quits; the terminal is restored on
 * return. 0, or -1 if the terminal cannot be used. */
int out_explain_tui(const struct explain_tui *x);

#endif
