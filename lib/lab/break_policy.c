/* break_policy — a NetworkPolicy as a fault: one added to the lab's
 * topology and installed on every node the way setup installs policies
 * (lab_policies_apply: each node's table replaced in one batch, the lab's
 * state written), and taken out again the same way. What it replaced is
 * the lab's policies without it, so the record keeps only its name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/break_int.h"
#include "policy/describe.h"
#include "policy/policy.h"

/* Take policy i out of t (freed), keeping the others' order. */
static void policy_remove(struct topo *t, size_t i)
{
	topo_policy_free(&t->policies[i]);
	memmove(&t->policies[i], &t->policies[i + 1],
		(t->npolicies - i - 1) * sizeof(t->policies[0]));
	t->npolicies--;
}

/* A policy of pod's namespace selecting pod by every label it has (all the
 * namespace's pods if it has none), isolating their ingress, with no rule. */
static int deny_policy_make(const struct topo *t, size_t pod, struct topo_policy *p)
{
	const struct topo_pod *tp = &t->pods[pod];

	memset(p, 0, sizeof(*p));
	snprintf(p->ns, sizeof(p->ns), "%s", tp->ns);
	snprintf(p->name, sizeof(p->name), "%s", LAB_BREAK_POLICY_NAME);
	p->ingress = true;
	p->pods.match = tp->nlabels ? calloc(tp->nlabels, sizeof(*p->pods.match)) : NULL;
	if (tp->nlabels && !p->pods.match)
		return -ENOMEM;
	for (size_t i = 0; i < tp->nlabels; i++) {
		p->pods.match[i].key = strdup(tp->labels[i].key);
		p->pods.match[i].value = strdup(tp->labels[i].value);
		p->pods.nmatch++;
		if (!p->pods.match[i].key || !p->pods.match[i].value) {
			topo_policy_free(p);
			return -ENOMEM;
		}
	}
	return 0;
}

/* The policies as they were, in the kernel and the state, after a failure
 * half-way; its own error is secondary to the one being reported. */
static void restore(struct lab *l, const char *ns, const char *name)
{
	ssize_t i = topo_policy_index(&l->topo, ns, name);
	struct pp_err ignored;

	if (i >= 0)
		policy_remove(&l->topo, (size_t)i);
	lab_policies_apply(l, &ignored);
}

int brk_policy_deny(struct brk_ctx *c, size_t pod)
{
	struct lab *l = c->l;
	struct topo *t = &l->topo;
	const struct topo_pod *tp = &t->pods[pod];
	struct topo_policy *v, p;
	struct topo_error te = { 0 };
	struct brk_change *ch;
	struct brk_where w;
	char sel[96], chain[POLICY_NAME_MAX];
	int ret;

	if (topo_policy_index(t, tp->ns, LAB_BREAK_POLICY_NAME) >= 0)
		return pp_err_set(c->e, PP_EXIT_USAGE, -EEXIST, "lab \"%s\" has a NetworkPolicy "
				  "%s/%s already", l->name, tp->ns, LAB_BREAK_POLICY_NAME);
	if (deny_policy_make(t, pod, &p) < 0)
		return pp_err_set(c->e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	v = realloc(t->policies, (t->npolicies + 1) * sizeof(*v));
	if (!v) {
		topo_policy_free(&p);
		return pp_err_set(c->e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	}
	t->policies = v;
	t->policies[t->npolicies++] = p;
	/* Whatever the model derives from its policies, derived again. */
	if (topo_resolve(t, &te) < 0) {
		restore(l, tp->ns, LAB_BREAK_POLICY_NAME);
		return pp_err_set(c->e, PP_EXIT_FAIL, -EINVAL, "NetworkPolicy %s/%s: %s%s%s",
				  tp->ns, LAB_BREAK_POLICY_NAME, te.path, te.path[0] ? ": " : "",
				  te.msg);
	}
	ret = lab_policies_apply(l, c->e);
	if (ret < 0) {
		restore(l, tp->ns, LAB_BREAK_POLICY_NAME);
		return ret;
	}
	snprintf(w.netns, sizeof(w.netns), "%s", l->plan.nodes[tp->node].netns);
	snprintf(w.name, sizeof(w.name), "every node");
	ch = brk_record(c, BRK_POLICY_ADDED, &w);
	if (!ch) {
		restore(l, tp->ns, LAB_BREAK_POLICY_NAME);
		return -ENOMEM;
	}
	snprintf(ch->key, sizeof(ch->key), "%s", tp->ns);
	snprintf(ch->name, sizeof(ch->name), "%s", LAB_BREAK_POLICY_NAME);
	snprintf(ch->shown.what, sizeof(ch->shown.what), "NetworkPolicy %s/%s", tp->ns,
		 LAB_BREAK_POLICY_NAME);
	snprintf(ch->shown.before, sizeof(ch->shown.before), "none");
	policy_desc_selector(&t->policies[t->npolicies - 1].pods, sel, sizeof(sel));
	snprintf(ch->shown.after, sizeof(ch->shown.after), "ingress of pods %s isolated, no rule",
		 sel[0] ? sel : "of the namespace");
	policy_chain_pod(chain, sizeof(chain), POLICY_INGRESS, tp);
	snprintf(ch->shown.show, sizeof(ch->shown.show), "ip netns exec %s nft list chain ip %s '%s'",
		 l->plan.nodes[tp->node].netns, POLICY_TABLE, chain);
	return 0;
}

int brk_policy_revert(struct lab *l, struct brk_change *ch, struct pp_err *e)
{
	ssize_t i = topo_policy_index(&l->topo, ch->key, ch->name);

	/* Gone from the state already: the kernel is made to agree all the same. */
	if (i >= 0)
		policy_remove(&l->topo, (size_t)i);
	return lab_policies_apply(l, e);
}
