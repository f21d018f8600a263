/* plan — the lab's plan against the kernel in the places the probe could
 * cross (podpath check's comparison, lab/check.h): where nothing else
 * explains the failure, a difference there is the likeliest cause, the
 * one at the place the request was last seen first. After another verdict
 * it is a note; the JSON and text list every difference on the path. */
#include <stdio.h>
#include <string.h>

#include "trace/diag/diag.h"

int diag_plan(const struct trace *t, struct trace_finding *f)
{
	const struct lab_finding *x = NULL;
	ssize_t ns = -1;

	if (t->res.outcome == PROBE_OK || !t->plan.n)
		return 0;
	for (size_t i = 0; i < t->plan.n && !x; i++)
		if (t->ev.at < t->nns && !strcmp(t->plan.v[i].netns, t->ns[t->ev.at]))
			x = &t->plan.v[i];
	if (!x)
		x = &t->plan.v[0];
	for (size_t i = 0; i < t->nns; i++)
		if (!strcmp(t->ns[i], x->netns))
			ns = (ssize_t)i;
	diag_start(f, "plan", TRACE_TIMEOUT, ns);
	f->cause = lab_check_kind_name(x->kind);
	snprintf(f->ifname, sizeof(f->ifname), "%s", x->dev);
	snprintf(f->object, sizeof(f->object), "%s", x->object);
	snprintf(f->expected, sizeof(f->expected), "%s", x->expected);
	snprintf(f->actual, sizeof(f->actual), "%s", x->actual);
	lab_check_command(x, f->command, sizeof(f->command));
	return diag_say(f, "%s differs from the lab's plan: %s, expected %s, found %s%s",
			x->place, x->object, x->expected[0] ? x->expected : "none",
			x->actual[0] ? x->actual : "none",
			t->plan.n > 1 ? " (and more: see the differences below)" : "");
}
