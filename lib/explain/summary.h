/* explain/summary — the article's summary table: one row per way a packet
 * travels (container to container, pod to pod on one node and across
 * nodes, to a Service, DNS, egress, ingress, NetworkPolicy), how it works,
 * the mechanism that does it, where it is in this lab, and the topic that
 * teaches it. */
#ifndef PODPATH_EXPLAIN_SUMMARY_H
#define PODPATH_EXPLAIN_SUMMARY_H

#include <stddef.h>

#include "lab/lab.h"

#define EXPLAIN_SUMMARY_ROWS 8

struct explain_summary_row {
	const char *scenario;		/* "pod to pod, same node" */
	const char *how;		/* how it works, a sentence */
	char mechanism[160];		/* the key mechanism (the lab's modes where they differ) */
	char lab[1024];			/* where in this lab ("" without a lab) */
	const char *topic;		/* an explain topic's name */
};

/* Fill rows (EXPLAIN_SUMMARY_ROWS of them) for lab l (NULL: no lab, the
 * lab column empty). The number filled. */
size_t explain_summary(const struct lab *l, struct explain_summary_row *rows);

#endif
