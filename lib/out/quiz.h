/* out/quiz — a quiz on a finished trace, for explain --tui. The trace's
 * hops become steps in path order, each named as a place or a mechanism a
 * learner knows ("node-1's bridge cbr0", "kube-proxy's DNAT in node-1",
 * "the VPC route table", "conntrack reverses the DNAT"), never as a bare
 * interface name. Each question asks what comes after a step, in the
 * order of the hops; every option carries the reason it is right or not. */
#ifndef PODPATH_OUT_QUIZ_H
#define PODPATH_OUT_QUIZ_H

#include <stddef.h>

#include "trace/trace.h"

#define QUIZ_STEPS_MAX (2 * TRACE_MAX_HOPS)
#define QUIZ_MAX 8
#define QUIZ_OPTS 3
#define QUIZ_TEXT_MAX 160
#define QUIZ_WHY_MAX 320

/* One step of the path: a place the packet passes or a mechanism acting
 * on it there, at hop `hop` (0-based). */
struct quiz_step {
	char what[QUIZ_TEXT_MAX];
	char why[QUIZ_WHY_MAX];		/* what the trace saw there */
	size_t hop;
	bool reply;
	bool nat;			/* a rewrite (DNAT, SNAT, undone NAT, VXLAN) */
};

struct quiz_question {
	char text[2 * QUIZ_TEXT_MAX + 96];
	char opt[QUIZ_OPTS][QUIZ_TEXT_MAX];
	char why[QUIZ_OPTS][QUIZ_WHY_MAX + 64];	/* why each is right, or not */
	int right;				/* index into opt */
	int answer;				/* -1 until answered */
	size_t hop;				/* the hop it asks about (0-based) */
};

/* The steps of t in hop order (consecutive ones that read alike merged);
 * how many, at most max. */
size_t quiz_steps(const struct trace *t, struct quiz_step *s, size_t max);
/* Up to QUIZ_MAX questions in path order into q, the options shuffled with
 * rnd (returns 0..RAND_MAX, as rand); how many. */
size_t quiz_make(const struct trace *t, struct quiz_question *q, int (*rnd)(void));

#endif
