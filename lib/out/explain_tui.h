/* out/explain_tui — `podpath explain --tui`: topics, the lab as boxes, a
 * topic's trace stepped hop by hop, and a quiz on it. */
#ifndef PODPATH_OUT_EXPLAIN_TUI_H
#define PODPATH_OUT_EXPLAIN_TUI_H

#include "explain/explain.h"
#include "trace/trace.h"

/* A "find the fault" round: a fault of podpath break's catalogue applied
 * in secret, the trace that meets it, and the faults to choose from. */
#define EXPLAIN_FAULT_CHOICES 4
struct explain_fault {
	char choice[EXPLAIN_FAULT_CHOICES][32];		/* fault names */
	char summary[EXPLAIN_FAULT_CHOICES][192];	/* what each does */
	int right;					/* the one applied */
	char target[208];				/* where: "node/node-2" */
	char trace_cmd[512];				/* the trace run, as a command */
};

struct explain_tui {
	const struct lab *lab;			/* NULL: no lab (concepts only) */
	const struct explain_doc *docs;		/* every topic, built for lab */
	size_t ndocs;
	/* Run topic d's trace (NULL when no trace can run); release frees it. */
	struct trace *(*run)(void *arg, const struct explain_doc *d);
	void (*release)(void *arg, struct trace *t);
	/* The round: apply a hidden fault and trace it (NULL: it could not,
	 * why in the TUI's message line, up to 200 bytes); end undoes the
	 * fault and frees the trace. fault_start NULL: no round. */
	struct trace *(*fault_start)(void *arg, struct explain_fault *q, char *why);
	void (*fault_end)(void *arg, struct trace *t);
	void *arg;
};

/* Run the walkthrough until the user quits; the terminal is restored on
 * return. 0, or -1 if the terminal cannot be used. */
int out_explain_tui(const struct explain_tui *x);

#endif
