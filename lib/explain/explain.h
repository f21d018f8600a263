/* explain — each layer of the Kubernetes networking model taught against
 * the live lab: the concept in short paragraphs, the lab's own objects read
 * from the kernel (or the lab's state when there is no kernel to ask), the
 * commands to see them by hand, and the podpath trace that proves it.
 * Without a lab the concept and the commands' shapes still stand. */
#ifndef PODPATH_EXPLAIN_H
#define PODPATH_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "lab/lab.h"

#define EXPLAIN_MAX_LINES 24
#define EXPLAIN_LINE 320

struct explain_cmd {
	char cmd[EXPLAIN_LINE];		/* a shell command for this lab */
	char what[160];			/* what it shows */
};

struct explain_doc {
	const char *name, *title;
	const char *const *concept;	/* paragraphs, NULL-terminated */
	char lab[EXPLAIN_MAX_LINES][EXPLAIN_LINE];	/* "in this lab", from the kernel */
	size_t nlab;
	struct explain_cmd cmds[EXPLAIN_MAX_LINES];	/* "see it yourself" */
	size_t ncmds;
	/* Lines and commands left out (past EXPLAIN_MAX_LINES, or longer than
	 * EXPLAIN_LINE: a cut command would not run): said, never silent. */
	size_t nleft_out;
	/* "trace it" ("" if the topic has none); a SRC is at most NS/NAME:CONTAINER */
	char trace_src[3 * TOPO_LABEL_MAX], trace_dst[320];
	char trace_opts[64];			/* e.g. "-p http" */
};

struct explain_topic {
	const char *name;		/* the fixed topic name: "pod-to-service" */
	const char *title;
	const char *summary;		/* one line, for --list */
	bool traced;			/* has a trace to run (--live), given a lab */
};

/* Every topic, in teaching order. */
const struct explain_topic *explain_topics(size_t *n);
const struct explain_topic *explain_find(const char *name);
/* Fill d for topic tp: the concept always; the lab's objects, the commands
 * and the trace when l is a loaded lab (NULL: none). Where the lab lacks
 * what the topic shows, d's lab lines say so and its trace stays empty. */
void explain_build(const struct explain_topic *tp, const struct lab *l, struct explain_doc *d);

/* --live: one sentence that explains hop h of a finished trace, whole in
 * EXPLAIN_SENTENCE_MAX bytes: a place's label, what changed, why, and the
 * words around them (live.c checks the sum). */
#define EXPLAIN_SENTENCE_MAX 1024
struct trace;
void explain_hop_sentence(const struct trace *t, size_t h, char *buf, size_t len);

#endif
