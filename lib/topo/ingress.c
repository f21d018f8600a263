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

/* The Service port a path's backend names; -ENOENT with err set if none. */
static int backend_find(const struct topo *t, const struct topo_ingress *g,
			const struct topo_ingress_path *p, const char *path, size_t *svc,
			size_t *port, struct topo_error *err)
{
	const struct topo_service *s = topo_service_find(t, g->ns, p->svc_name);
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

/* Two paths that are one to Kubernetes: the same type, and for Prefix the
 * same but for trailing slashes ("/api" and "/api/"). */
static bool same_path(const struct topo_ingress_path *a, const struct topo_ingress_path *b)
{
	size_t la = strlen(a->path), lb = strlen(b->path);

	if (a->type != b->type)
		return false;
	if (a->type == TOPO_PATH_EXACT)
		return !strcmp(a->path, b->path);
	while (la > 1 && a->path[la - 1] == '/')
		la--;
	while (lb > 1 && b->path[lb - 1] == '/')
		lb--;
	return la == lb && !strncmp(a->path, b->path, la);
}

/* The same host, path and type twice, anywhere: nginx would take one. */
static int dup_check(const struct topo *t, size_t i, size_t r, size_t k, struct topo_error *err)
{
	const struct topo_ingress_rule *rule = &t->ingresses[i].rules[r];
	const struct topo_ingress_path *p = &rule->paths[k];
	char at[TOPO_PATH_MAX], first[TOPO_PATH_MAX];

	for (size_t i2 = 0; i2 <= i; i2++)
		for (size_t r2 = 0; r2 < t->ingresses[i2].nrules && (i2 < i || r2 <= r); r2++) {
			const struct topo_ingress_rule *o = &t->ingresses[i2].rules[r2];

			if (strcmp(o->host, rule->host))
				continue;
			for (size_t k2 = 0; k2 < o->npaths; k2++) {
				if (i2 == i && r2 == r && k2 >= k)
					break;
				if (!same_path(&o->paths[k2], p))
					continue;
				path_at(at, sizeof(at), i, r, k);
				path_at(first, sizeof(first), i2, r2, k2);
				strncat(at, ".path", sizeof(at) - strlen(at) - 1);
				return topo_err_str(err, at, p->path, "duplicate: host \"%s\" already has "
						    "this %s path at %s", rule->host,
						    p->type == TOPO_PATH_EXACT ? "Exact" : "Prefix", first);
			}
		}
	return 0;
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
	size_t svc, port;
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
	/* Every check first, so that a failure writes nothing. */
	for (size_t i = 0; i < t->ningresses && !ret; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules && !ret; r++)
			for (size_t k = 0; k < t->ingresses[i].rules[r].npaths && !ret; k++) {
				path_at(at, sizeof(at), i, r, k);
				ret = backend_find(t, &t->ingresses[i], &t->ingresses[i].rules[r].paths[k],
						   at, &svc, &port, err);
				if (!ret)
					ret = dup_check(t, i, r, k, err);
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

				backend_find(t, &t->ingresses[i], p, "", &p->svc, &p->svc_port, NULL);
			}
	return ret;
}
