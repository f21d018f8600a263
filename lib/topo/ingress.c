/* Ingress in the model: what topo_resolve checks once every Service is
 * known (backends exist and have the port, no host/path twice, a controller
 * to serve them), and the look-ups setup uses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo_int.h"

void topo_ingress_free(struct topo_ingress *g)
{
	for (size_t r = 0; g->rules && r < g->nrules; r++)
		free(g->rules[r].paths);
	free(g->rules);
	free(g->tls_hosts);
	g->rules = NULL;
	g->tls_hosts = NULL;
	g->nrules = g->ntls = 0;
}

static bool runs_nginx(const struct topo_pod *p)
{
	for (size_t c = 0; c < p->ncontainers; c++)
		if (p->containers[c].image == TOPO_IMAGE_NGINX)
			return true;
	return false;
}

const struct topo_service *topo_ingress_lb(const struct topo *t)
{
	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *s = &t->services[i];

		if (s->type != TOPO_SVC_LOADBALANCER)
			continue;
		for (size_t e = 0; e < s->nendpoints; e++)
			if (runs_nginx(&t->pods[s->endpoints[e].pod]))
				return s;
	}
	return NULL;
}

bool topo_ingress_tls(const struct topo *t, const char *host)
{
	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t h = 0; h < t->ingresses[i].ntls; h++)
			if (!strcmp(t->ingresses[i].tls_hosts[h], host))
				return true;
	return false;
}

/* Services sorted by namespace and name, so each of (up to a million)
 * paths finds its backend by binary search, not by a walk over all. */
struct svc_index {
	const struct topo *t;
	size_t *order, n;
};

static int svc_cmp(const void *a, const void *b, void *arg)
{
	const struct topo_service *s = ((const struct topo *)arg)->services;
	const struct topo_service *x = &s[*(const size_t *)a], *y = &s[*(const size_t *)b];
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

static int svc_index_build(const struct topo *t, struct svc_index *ix)
{
	ix->t = t;
	ix->n = t->nservices;
	ix->order = malloc((ix->n ? ix->n : 1) * sizeof(*ix->order));
	if (!ix->order)
		return -ENOMEM;
	for (size_t i = 0; i < ix->n; i++)
		ix->order[i] = i;
	qsort_r(ix->order, ix->n, sizeof(*ix->order), svc_cmp, (void *)t);
	return 0;
}

static const struct topo_service *svc_lookup(const struct svc_index *ix, const char *ns,
					     const char *name)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct topo_service *s = &ix->t->services[ix->order[mid]];
		int c = strcmp(s->ns, ns);

		c = c ? c : strcmp(s->name, name);
		if (!c)
			return s;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The Service port a path's backend names; -ENOENT with err set if none. */
static int backend_find(const struct svc_index *ix, const struct topo_ingress *g,
			const struct topo_ingress_path *p, const char *path, size_t *svc,
			size_t *port, struct topo_error *err)
{
	const struct topo *t = ix->t;
	const struct topo_service *s = svc_lookup(ix, g->ns, p->svc_name);
	char at[TOPO_PATH_MAX + 32], v[2 * TOPO_LABEL_MAX + 2];

	if (!s) {
		snprintf(at, sizeof(at), "%s.backend.service.name", path);
		snprintf(v, sizeof(v), "%s/%s", g->ns, p->svc_name);
		return topo_err_str(err, at, v, "no such Service (an Ingress's backends are in its "
				    "own namespace)");
	}
	if (s->type == TOPO_SVC_HEADLESS) {
		snprintf(at, sizeof(at), "%s.backend.service.name", path);
		snprintf(v, sizeof(v), "%s/%s", g->ns, p->svc_name);
		return topo_err_str(err, at, v, "a headless Service has no ClusterIP to proxy to");
	}
	for (size_t k = 0; k < s->nports; k++)
		if (s->ports[k].proto == TOPO_PROTO_TCP &&
		    (p->port_number ? s->ports[k].port == p->port_number
				    : !strcmp(s->ports[k].name, p->port_name))) {
			*svc = (size_t)(s - t->services);
			*port = k;
			return 0;
		}
	snprintf(at, sizeof(at), "%s.backend.service.port.%s", path,
		 p->port_number ? "number" : "name");
	if (p->port_number)
		snprintf(v, sizeof(v), "%u", p->port_number);
	else
		snprintf(v, sizeof(v), "\"%s\"", p->port_name);
	return topo_err_set(err, at, v, "no such TCP port in Service \"%s/%s\"", s->ns, s->name);
}

/* Where a path sits in the document. */
static void path_at(char *buf, size_t len, size_t i, size_t r, size_t k)
{
	topo_path_fmt(buf, len, ".ingresses[%zu].rules[%zu].http.paths[%zu]", i, r, k);
}

/* One path of one rule, where it stands in the document (i, r, k) and
 * what makes it the same as another to Kubernetes: the host, the type, and
 * the path, for Prefix without trailing slashes ("/api" is "/api/"). */
struct path_ref {
	const char *host, *path;
	size_t len;
	enum topo_path_type type;
	size_t i, r, k, pos;		/* pos: the path's place among all, in document order */
	const struct path_ref *first;	/* the earlier path this one repeats, or NULL */
};

static int ref_cmp(const void *pa, const void *pb)
{
	const struct path_ref *a = pa, *b = pb;
	int c = strcmp(a->host, b->host);

	if (!c)
		c = (int)a->type - (int)b->type;
	if (!c)
		c = a->len != b->len ? (a->len < b->len ? -1 : 1) : strncmp(a->path, b->path, a->len);
	/* then document order: the first of equals is the original */
	return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

static bool ref_same(const struct path_ref *a, const struct path_ref *b)
{
	return a->type == b->type && a->len == b->len && !strcmp(a->host, b->host) &&
	       !strncmp(a->path, b->path, a->len);
}

/* Every path, in document order, with the earlier one it repeats marked:
 * sorted once rather than each path compared with all before it. */
static struct path_ref *paths_index(const struct topo *t, size_t *n, struct path_ref ***by_doc)
{
	struct path_ref *refs, **doc;

	size_t total = 0;

	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++)
			total += t->ingresses[i].rules[r].npaths;
	refs = malloc((total ? total : 1) * sizeof(*refs));
	doc = malloc((total ? total : 1) * sizeof(*doc));
	if (!refs || !doc) {
		free(refs);
		free(doc);
		return NULL;
	}
	*n = 0;
	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++)
			for (size_t k = 0; k < t->ingresses[i].rules[r].npaths; k++) {
				const struct topo_ingress_path *p = &t->ingresses[i].rules[r].paths[k];
				size_t len = strlen(p->path);

				while (p->type == TOPO_PATH_PREFIX && len > 1 && p->path[len - 1] == '/')
					len--;
				refs[*n] = (struct path_ref){ t->ingresses[i].rules[r].host, p->path,
							      len, p->type, i, r, k, *n, NULL };
				(*n)++;
			}
	qsort(refs, *n, sizeof(*refs), ref_cmp);
	for (size_t x = 1; x < *n; x++)
		if (ref_same(&refs[x], &refs[x - 1]))
			refs[x].first = refs[x - 1].first ? refs[x - 1].first : &refs[x - 1];
	/* Back in document order, for the checks that report in it. */
	for (size_t x = 0; x < *n; x++)
		doc[refs[x].pos] = &refs[x];
	*by_doc = doc;
	return refs;
}

/* The same host, path and type twice, anywhere: nginx would take one. */
static int dup_report(const struct topo *t, const struct path_ref *p, struct topo_error *err)
{
	const struct topo_ingress_path *path = &t->ingresses[p->i].rules[p->r].paths[p->k];
	char at[TOPO_PATH_MAX], first[TOPO_PATH_MAX];

	path_at(at, sizeof(at), p->i, p->r, p->k);
	path_at(first, sizeof(first), p->first->i, p->first->r, p->first->k);
	strncat(at, ".path", sizeof(at) - strlen(at) - 1);
	return topo_err_str(err, at, path->path, "duplicate: host \"%s\" already has this %s path "
			    "at %s", p->host, p->type == TOPO_PATH_EXACT ? "Exact" : "Prefix", first);
}

/* The first pod running nginx, or NULL. */
static const struct topo_pod *controller(const struct topo *t)
{
	for (size_t i = 0; i < t->npods; i++)
		if (runs_nginx(&t->pods[i]))
			return &t->pods[i];
	return NULL;
}

/* As topo_ingress_lb, from the endpoints planned but not yet committed. */
static bool lb_planned(const struct topo *t, const struct topo_plan *plan)
{
	for (size_t i = 0; i < t->nservices; i++) {
		if (t->services[i].type != TOPO_SVC_LOADBALANCER)
			continue;
		for (size_t e = 0; e < plan->nendpoints[i]; e++)
			if (runs_nginx(&t->pods[plan->endpoints[i][e].pod]))
				return true;
	}
	return false;
}

int topo_ingress_check(struct topo *t, const struct topo_plan *plan, struct topo_error *err)
{
	const struct topo_pod *ctl = controller(t);
	char at[TOPO_PATH_MAX], v[2 * TOPO_LABEL_MAX + 2];
	struct svc_index ix = { 0 };
	struct path_ref *refs = NULL, **doc = NULL;
	size_t svc, port, npaths = 0;
	int ret = 0;

	if (t->ningresses && !ctl)
		return topo_err_set(err, ".ingresses", "", "no ingress controller: no container has "
				    "image \"nginx\" to serve them");
	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(t->ingresses[i].ns, t->ingresses[j].ns) &&
			    !strcmp(t->ingresses[i].name, t->ingresses[j].name)) {
				topo_path_fmt(at, sizeof(at), ".ingresses[%zu]", i);
				snprintf(v, sizeof(v), "%s/%s", t->ingresses[i].ns, t->ingresses[i].name);
				return topo_err_str(err, at, v, "duplicate Ingress: .ingresses[%zu] has "
						    "the same namespace and name", j);
			}
	/* The internet's DNS answers an Ingress host with the ingress's public
	 * address: a host of the same name would be shadowed, so say so. */
	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++)
			if (topo_inet_find(t, t->ingresses[i].rules[r].host)) {
				topo_path_fmt(at, sizeof(at), ".ingresses[%zu].rules[%zu].host", i, r);
				return topo_err_str(err, at, t->ingresses[i].rules[r].host,
						    "is also the name of an internet host");
			}
	if (!t->ningresses)
		return 0;
	if (svc_index_build(t, &ix) < 0 || !(refs = paths_index(t, &npaths, &doc))) {
		ret = topo_err_nomem(err);
		goto out;
	}
	/* Every check first, so that a failure writes nothing; in document
	 * order, the first problem is the one reported. */
	for (size_t x = 0; x < npaths && !ret; x++) {
		const struct path_ref *p = doc[x];

		path_at(at, sizeof(at), p->i, p->r, p->k);
		ret = backend_find(&ix, &t->ingresses[p->i], &t->ingresses[p->i].rules[p->r].paths[p->k],
				   at, &svc, &port, err);
		if (!ret && p->first)
			ret = dup_report(t, p, err);
	}
	/* Ingress hosts reach the controller through its load balancer: the
	 * internet's DNS gives them its address, as external-dns would. */
	if (!ret && t->ningresses && !lb_planned(t, plan)) {
		snprintf(v, sizeof(v), "%s/%s", t->ingresses[0].ns, t->ingresses[0].name);
		ret = topo_err_str(err, ".ingresses[0]", v, "no Service of type LoadBalancer "
				   "selects the ingress controller (pod \"%s/%s\"), so its hosts "
				   "have no address: a LoadBalancer Service must select the "
				   "controller", ctl->ns, ctl->name);
	}
	for (size_t i = 0; i < t->ningresses && !ret; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++)
			for (size_t k = 0; k < t->ingresses[i].rules[r].npaths; k++) {
				struct topo_ingress_path *p = &t->ingresses[i].rules[r].paths[k];

				backend_find(&ix, &t->ingresses[i], p, "", &p->svc, &p->svc_port, NULL);
			}
out:
	free(ix.order);
	free(refs);
	free(doc);
	return ret;
}
