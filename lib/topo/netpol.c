/* NetworkPolicies and namespaces in the model: what topo_resolve checks
 * once the whole document is known (no policy or namespace twice), and the
 * namespaces the API server would have: every namespace an object names
 * exists, declared or not, and carries kubernetes.io/metadata.name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo_int.h"

int topo_policies_check(const struct topo *t, struct topo_error *err)
{
	char path[TOPO_PATH_MAX], v[2 * TOPO_LABEL_MAX];
	struct topo_key *keys = NULL;
	size_t *dup = NULL, i;
	int ret = 0;

	if (t->npolicies > TOPO_MAX_POLICIES) {
		ret = topo_err_set(err, ".networkPolicies", "", "at most %d NetworkPolicies are "
				   "supported (found %zu)", TOPO_MAX_POLICIES, t->npolicies);
		goto out;
	}
	if (!t->npolicies)
		goto out;
	keys = calloc(t->npolicies, sizeof(*keys));
	dup = calloc(t->npolicies, sizeof(*dup));
	if (!keys || !dup) {
		ret = topo_err_nomem(err);
		goto out;
	}
	for (i = 0; i < t->npolicies; i++)
		keys[i] = (struct topo_key){ t->policies[i].ns, t->policies[i].name, 0, i };
	topo_dups(keys, t->npolicies, dup, false);
	for (i = 0; i < t->npolicies; i++) {
		if (dup[i] == i)
			continue;
		topo_path_fmt(path, sizeof(path), ".networkPolicies[%zu].metadata", i);
		snprintf(v, sizeof(v), "%s/%s", t->policies[i].ns, t->policies[i].name);
		ret = topo_err_str(err, path, v, "duplicate NetworkPolicy: .networkPolicies[%zu] "
				   "has the same namespace and name", dup[i]);
		goto out;
	}
out:
	free(keys);
	free(dup);
	return ret;
}

static bool has_name_label(const struct topo_namespace *n)
{
	for (size_t i = 0; i < n->nlabels; i++)
		if (!strcmp(n->labels[i].key, TOPO_NS_NAME_LABEL))
			return true;
	return false;
}

/* labels plus kubernetes.io/metadata.name=name: a new array that shares
 * the old labels' strings, so that the commit only swaps arrays. */
static struct topo_label *with_name_label(const struct topo_label *labels, size_t n,
					  const char *name)
{
	struct topo_label *l = calloc(n + 1, sizeof(*l));

	if (!l)
		return NULL;
	if (n)
		memcpy(l, labels, n * sizeof(*l));
	l[n].key = strdup(TOPO_NS_NAME_LABEL);
	l[n].value = strdup(name);
	if (!l[n].key || !l[n].value) {
		free(l[n].key);
		free(l[n].value);
		free(l);
		l = NULL;
	}
	return l;
}

/* Implied namespaces are added in the order objects first name them. */
static int key_cmp_index(const void *a, const void *b)
{
	const struct topo_key *x = a, *y = b;

	return x->i < y->i ? -1 : x->i > y->i;
}

/* Namespaces: each name once, at most TOPO_MAX_NAMESPACES declared. */
static int check_namespaces(const struct topo *t, struct topo_key *keys, size_t *dup,
			    struct topo_error *err)
{
	char path[TOPO_PATH_MAX];
	size_t i, declared = 0;

	for (i = 0; i < t->nnamespaces; i++) {
		declared += t->namespaces[i].declared;
		keys[i] = (struct topo_key){ t->namespaces[i].name, "", 0, i };
	}
	if (declared > TOPO_MAX_NAMESPACES)
		return topo_err_set(err, ".namespaces", "", "at most %d namespaces are supported "
				    "(found %zu)", TOPO_MAX_NAMESPACES, declared);
	topo_dups(keys, t->nnamespaces, dup, false);
	for (i = 0; i < t->nnamespaces; i++) {
		if (dup[i] == i)
			continue;
		topo_path_fmt(path, sizeof(path), ".namespaces[%zu].name", i);
		return topo_err_str(err, path, t->namespaces[i].name,
				    "duplicate namespace (also .namespaces[%zu])", dup[i]);
	}
	return 0;
}

int topo_namespaces_plan(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	size_t nold = t->nnamespaces, nkeys, nnew = 0, i, k;
	struct topo_key *keys = NULL;
	bool changed = false;
	size_t *dup = NULL;
	int ret = 0;

	nkeys = nold + t->npods + t->nservices + t->ningresses + t->npolicies;
	keys = calloc(nkeys ? nkeys : 1, sizeof(*keys));
	dup = calloc(nold ? nold : 1, sizeof(*dup));
	if (!keys || !dup) {
		ret = topo_err_nomem(err);
		goto out;
	}
	ret = check_namespaces(t, keys, dup, err);
	if (ret)
		goto out;
	/* Every name, the model's namespaces first: sorted by name, then
	 * by index, the first of each run says whether it is known. */
	for (i = 0; i < nold; i++)
		keys[i] = (struct topo_key){ t->namespaces[i].name, "", 0, i };
	k = nold;
	for (i = 0; i < t->npods; i++, k++)
		keys[k] = (struct topo_key){ t->pods[i].ns, "", 0, k };
	for (i = 0; i < t->nservices; i++, k++)
		keys[k] = (struct topo_key){ t->services[i].ns, "", 0, k };
	for (i = 0; i < t->ningresses; i++, k++)
		keys[k] = (struct topo_key){ t->ingresses[i].ns, "", 0, k };
	for (i = 0; i < t->npolicies; i++, k++)
		keys[k] = (struct topo_key){ t->policies[i].ns, "", 0, k };
	qsort(keys, nkeys, sizeof(*keys), topo_key_cmp_name);
	for (i = 0; i < nkeys; i++) {
		if (i && !strcmp(keys[i].ns, keys[i - 1].ns))
			continue;
		if (keys[i].i >= nold)
			keys[nnew++] = keys[i];	/* nnew <= i: overwrites only keys read */
	}
	/* keys[0..nnew) now hold the new names: put them in document order. */
	qsort(keys, nnew, sizeof(*keys), key_cmp_index);
	for (i = 0; i < nold && !changed; i++)
		changed = !has_name_label(&t->namespaces[i]);
	if (!nnew && !changed)
		goto out;

	plan->ns = calloc(nold + nnew, sizeof(*plan->ns));
	if (!plan->ns) {
		ret = topo_err_nomem(err);
		goto out;
	}
	plan->nns = nold + nnew;
	for (i = 0; i < nold; i++) {
		const struct topo_namespace *n = &t->namespaces[i];

		plan->ns[i] = *n;
		if (!has_name_label(n)) {
			plan->ns[i].labels = with_name_label(n->labels, n->nlabels, n->name);
			plan->ns[i].nlabels++;
		}
		if (!plan->ns[i].labels) {
			ret = topo_err_nomem(err);
			goto out;
		}
	}
	for (i = 0; i < nnew; i++) {
		struct topo_namespace *n = &plan->ns[nold + i];

		snprintf(n->name, sizeof(n->name), "%s", keys[i].ns);
		n->labels = with_name_label(NULL, 0, n->name);
		if (!n->labels) {
			ret = topo_err_nomem(err);
			goto out;
		}
		n->nlabels = 1;
	}
out:
	free(keys);
	free(dup);
	return ret;
}

void topo_namespaces_commit(struct topo *t, struct topo_plan *plan)
{
	if (!plan->ns)
		return;
	/* The label strings moved over; the old arrays holding them go. */
	for (size_t i = 0; i < t->nnamespaces; i++)
		if (plan->ns[i].labels != t->namespaces[i].labels)
			free(t->namespaces[i].labels);
	free(t->namespaces);
	t->namespaces = plan->ns;
	t->nnamespaces = plan->nns;
	plan->ns = NULL;
	plan->nns = 0;
}

/* Free only what the plan added: the model still owns the rest. */
void topo_namespaces_plan_free(const struct topo *t, struct topo_plan *plan)
{
	size_t i;

	for (i = 0; plan->ns && i < plan->nns; i++) {
		struct topo_namespace *n = &plan->ns[i];
		bool old = i < t->nnamespaces;

		if (!n->labels || (old && n->labels == t->namespaces[i].labels))
			continue;
		free(n->labels[n->nlabels - 1].key);
		free(n->labels[n->nlabels - 1].value);
		free(n->labels);
	}
	free(plan->ns);
	plan->ns = NULL;
	plan->nns = 0;
}
