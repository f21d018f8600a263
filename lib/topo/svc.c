/* Services for topo_resolve: the rules of one Service, the checks across
 * Services (names, clusterIPs, nodePorts), clusterIP and nodePort
 * assignment, and endpoints. Deterministic like the rest of IPAM: Service
 * order, then port order, skipping whatever the document fixes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo_int.h"

static bool is_kube_dns(const struct topo_service *s)
{
	return !strcmp(s->ns, "kube-system") && !strcmp(s->name, "kube-dns");
}

/* The tenth address of the Service CIDR, kube-dns's by kubeadm's convention:
 * kept for kube-dns, which gets it unless it gives a clusterIP of its own. */
static uint32_t dns_tenth(const struct topo *t)
{
	return t->net.service_cidr.addr + 10;
}

uint32_t topo_dns_ip(const struct topo *t)
{
	const struct topo_service *kd = topo_service_find(t, "kube-system", "kube-dns");

	return kd && kd->cluster_ip ? kd->cluster_ip : dns_tenth(t);
}

/* The tenth address is held back only while kube-dns may take it: not
 * once kube-dns names a clusterIP of its own elsewhere. */
static bool tenth_reserved(const struct topo *t)
{
	return topo_dns_ip(t) == dns_tenth(t);
}

static bool has_node_ports(const struct topo_service *s)
{
	return s->type == TOPO_SVC_NODEPORT || s->type == TOPO_SVC_LOADBALANCER;
}

/* ---- one Service ---- */

static int check_svc_port(const struct topo_service *s, size_t i, size_t k,
			  struct topo_error *err)
{
	const struct topo_svc_port *p = &s->ports[k], *q;
	char path[TOPO_PATH_MAX], v[TOPO_PATH_MAX];
	size_t l;
	int ret = 0;

	if (p->port == 0) {
		topo_path_fmt(path, sizeof(path), ".services[%zu].ports[%zu].port", i, k);
		ret = topo_err_set(err, path, "0", "must be 1..65535");
		goto out;
	}
	if ((unsigned)p->proto > TOPO_PROTO_UDP) {
		topo_path_fmt(path, sizeof(path), ".services[%zu].ports[%zu].protocol", i, k);
		ret = topo_err_set(err, path, "", "unknown protocol");
		goto out;
	}
	if (p->target_name[0] && (p->target_port || !topo_is_port_name(p->target_name))) {
		topo_path_fmt(path, sizeof(path), ".services[%zu].ports[%zu].targetPort", i, k);
		ret = topo_err_str(err, path, p->target_name, "%s", p->target_port ?
				   "both a number and a name" : TOPO_MSG_PORT_NAME);
		goto out;
	}
	if (!p->name[0] && s->nports > 1) {
		topo_path_fmt(path, sizeof(path), ".services[%zu].ports[%zu]", i, k);
		ret = topo_err_set(err, path, "", "missing required field \"name\" "
				   "(each port of a Service with several ports needs one)");
		goto out;
	}
	if (p->name[0] && !topo_is_port_name(p->name)) {
		topo_path_fmt(path, sizeof(path), ".services[%zu].ports[%zu].name", i, k);
		ret = topo_err_str(err, path, p->name, TOPO_MSG_PORT_NAME);
		goto out;
	}
	for (l = 0; l < k; l++) {
		q = &s->ports[l];
		if (p->name[0] && !strcmp(p->name, q->name)) {
			topo_path_fmt(path, sizeof(path), ".services[%zu].ports[%zu].name", i, k);
			ret = topo_err_str(err, path, p->name,
					   "duplicate port name in this Service (also .ports[%zu])", l);
			goto out;
		}
		if (p->port == q->port && p->proto == q->proto) {
			topo_path_fmt(path, sizeof(path), ".services[%zu].ports[%zu].port", i, k);
			snprintf(v, sizeof(v), "%u", (unsigned)p->port);
			ret = topo_err_set(err, path, v, "port %u/%s is listed twice in this Service "
					   "(also .ports[%zu])", (unsigned)p->port,
					   topo_proto_name(p->proto), l);
			goto out;
		}
	}
	if (!p->node_port)
		goto out;
	topo_path_fmt(path, sizeof(path), ".services[%zu].ports[%zu].nodePort", i, k);
	snprintf(v, sizeof(v), "%u", (unsigned)p->node_port);
	if (!has_node_ports(s))
		ret = topo_err_set(err, path, v, "only allowed for type NodePort or LoadBalancer "
				   "(this Service is %s)", s->type == TOPO_SVC_HEADLESS ?
				   "headless" : "of type ClusterIP");
	else if (p->node_port < TOPO_NODEPORT_MIN || p->node_port > TOPO_NODEPORT_MAX)
		ret = topo_err_set(err, path, v, "must be %d..%d", TOPO_NODEPORT_MIN,
				   TOPO_NODEPORT_MAX);
out:
	return ret;
}

int topo_svc_check(const struct topo_service *s, size_t i, struct topo_error *err)
{
	char path[TOPO_PATH_MAX], v[TOPO_PATH_MAX];
	size_t k;
	int ret = 0;

	if ((unsigned)s->type > TOPO_SVC_HEADLESS) {
		topo_path_fmt(path, sizeof(path), ".services[%zu].type", i);
		ret = topo_err_set(err, path, "", "unknown type");
		goto out;
	}
	if (s->type == TOPO_SVC_HEADLESS && s->cluster_ip) {
		topo_path_fmt(path, sizeof(path), ".services[%zu].clusterIP", i);
		ret = topo_err_str(err, path, addr_fmt(s->cluster_ip, v),
				   "a headless Service has no clusterIP");
		goto out;
	}
	if (s->nports == 0 || s->nports > TOPO_MAX_SVC_PORTS) {
		topo_path_fmt(path, sizeof(path), ".services[%zu].ports", i);
		ret = topo_err_set(err, path, "", "must have 1..%d ports (found %zu)",
				   TOPO_MAX_SVC_PORTS, s->nports);
		goto out;
	}
	if (s->affinity && s->affinity_timeout > TOPO_AFFINITY_MAX) {
		topo_path_fmt(path, sizeof(path),
			      ".services[%zu].sessionAffinityConfig.clientIP.timeoutSeconds", i);
		snprintf(v, sizeof(v), "%u", s->affinity_timeout);
		ret = topo_err_set(err, path, v, "must be 1..%d", TOPO_AFFINITY_MAX);
		goto out;
	}
	for (k = 0; k < s->nports && !ret; k++)
		ret = check_svc_port(s, i, k, err);
out:
	return ret;
}

/* ---- across Services ---- */

/* For bsearch: only the address counts. */
static int cmp_ip_only(const void *a, const void *b)
{
	const struct topo_key *x = a, *y = b;

	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

struct svc_work {
	struct topo_key *by_name;	/* every Service */
	struct topo_key *by_ip;		/* Services with a given clusterIP, sorted */
	size_t nby_ip;
	size_t *dup_name, *dup_ip;
	/* Owner of each given nodePort: Service index + 1 (0 = free) and port. */
	struct {
		size_t svc;
		size_t port;
	} *owner;
};

static void find_dups(const struct topo *t, struct svc_work *w)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *sv = &t->services[i];

		w->by_name[i] = (struct topo_key){ sv->ns, sv->name, 0, i };
		w->dup_ip[i] = i;
		if (sv->cluster_ip)
			w->by_ip[n++] = (struct topo_key){ sv->ns, sv->name, sv->cluster_ip, i };
	}
	w->nby_ip = n;
	topo_dups(w->by_name, t->nservices, w->dup_name, false);
	topo_dups(w->by_ip, n, w->dup_ip, true);
}

static int check_cluster_ip(const struct topo *t, size_t i, const struct svc_work *w,
			    struct topo_error *err)
{
	const struct cidr *sc = &t->net.service_cidr;
	const struct topo_service *s = &t->services[i], *o;
	char path[TOPO_PATH_MAX], a[ADDR_STRLEN], c[CIDR_STRLEN];
	const char *what = NULL;
	int ret = 0;

	topo_path_fmt(path, sizeof(path), ".services[%zu].clusterIP", i);
	addr_fmt(s->cluster_ip, a);
	cidr_fmt(sc, c);
	if (!cidr_contains(sc, s->cluster_ip))
		what = "not inside";
	else if (s->cluster_ip == sc->addr)
		what = "is the network address of";
	else if (s->cluster_ip == cidr_last(sc))
		what = "is the broadcast address of";
	if (what) {
		ret = topo_err_str(err, path, a, "%s .network.serviceCIDR %s", what, c);
		goto out;
	}
	if (s->cluster_ip == dns_tenth(t) && !is_kube_dns(s) && tenth_reserved(t)) {
		ret = topo_err_str(err, path, a, "reserved for kube-system/kube-dns "
				   "(the tenth address of .network.serviceCIDR %s)", c);
		goto out;
	}
	if (w->dup_ip[i] != i) {
		o = &t->services[w->dup_ip[i]];
		ret = topo_err_str(err, path, a, "already used by .services[%zu] \"%s/%s\"",
				   w->dup_ip[i], o->ns, o->name);
	}
out:
	return ret;
}

static int check_node_ports(const struct topo *t, size_t i, struct svc_work *w,
			    struct topo_error *err)
{
	const struct topo_service *s = &t->services[i], *o;
	char path[TOPO_PATH_MAX], v[16];
	size_t k, slot;
	int ret = 0;

	for (k = 0; k < s->nports; k++) {
		if (!s->ports[k].node_port)
			continue;
		/* topo_svc_check has held it to the range */
		slot = s->ports[k].node_port - TOPO_NODEPORT_MIN;
		if (!w->owner[slot].svc) {
			w->owner[slot].svc = i + 1;
			w->owner[slot].port = k;
			continue;
		}
		o = &t->services[w->owner[slot].svc - 1];
		topo_path_fmt(path, sizeof(path), ".services[%zu].ports[%zu].nodePort", i, k);
		snprintf(v, sizeof(v), "%u", (unsigned)s->ports[k].node_port);
		ret = topo_err_set(err, path, v, "already used by .services[%zu].ports[%zu] \"%s/%s\"",
				   w->owner[slot].svc - 1, w->owner[slot].port, o->ns, o->name);
		goto out;
	}
out:
	return ret;
}

static int check_services(const struct topo *t, struct svc_work *w, struct topo_error *err)
{
	const struct topo_service *s;
	char path[TOPO_PATH_MAX], v[2 * TOPO_LABEL_MAX];
	size_t i;
	int ret = 0;

	find_dups(t, w);
	for (i = 0; i < t->nservices; i++) {
		s = &t->services[i];
		/* a model built by code may hold anything */
		if (!topo_is_dns1123_label(s->ns)) {
			topo_path_fmt(path, sizeof(path), ".services[%zu].namespace", i);
			ret = topo_err_str(err, path, s->ns, TOPO_MSG_LABEL);
			goto out;
		}
		if (!topo_is_dns1123_label(s->name)) {
			topo_path_fmt(path, sizeof(path), ".services[%zu].name", i);
			ret = topo_err_str(err, path, s->name, TOPO_MSG_LABEL);
			goto out;
		}
		if (w->dup_name[i] != i) {
			topo_path_fmt(path, sizeof(path), ".services[%zu]", i);
			snprintf(v, sizeof(v), "%s/%s", s->ns, s->name);
			ret = topo_err_str(err, path, v, "duplicate Service: .services[%zu] has the "
					   "same namespace and name", w->dup_name[i]);
			goto out;
		}
		ret = topo_svc_check(s, i, err);
		if (!ret && s->cluster_ip)
			ret = check_cluster_ip(t, i, w, err);
		if (!ret)
			ret = check_node_ports(t, i, w, err);
		if (ret)
			goto out;
	}
out:
	return ret;
}

/* ---- assignment ---- */

/* An error about Service i as a whole: path .services[i], value "ns/name". */
__attribute__((format(printf, 4, 5)))
static int svc_fail(const struct topo *t, size_t i, struct topo_error *err, const char *fmt, ...)
{
	char path[TOPO_PATH_MAX], name[2 * TOPO_LABEL_MAX], v[TOPO_PATH_MAX];
	va_list ap;
	int ret;

	topo_path_fmt(path, sizeof(path), ".services[%zu]", i);
	snprintf(name, sizeof(name), "%s/%s", t->services[i].ns, t->services[i].name);
	topo_value_str(v, sizeof(v), name);
	va_start(ap, fmt);
	ret = topo_err_vset(err, path, v, fmt, ap);
	va_end(ap);
	return ret;
}

static bool ip_given(const struct svc_work *w, uint64_t ip)
{
	struct topo_key key = { NULL, NULL, (uint32_t)ip, 0 };

	return bsearch(&key, w->by_ip, w->nby_ip, sizeof(*w->by_ip), cmp_ip_only) != NULL;
}

/* The lowest free address from the network address + 1 up, never the
 * kube-dns address, which kube-system/kube-dns gets when it has none. */
static int assign_cluster_ips(const struct topo *t, struct topo_plan *plan,
			      const struct svc_work *w, struct topo_error *err)
{
	const struct cidr *sc = &t->net.service_cidr;
	uint64_t next = (uint64_t)sc->addr + 1, last = (uint64_t)cidr_last(sc) - 1;
	uint32_t dns = dns_tenth(t);
	const struct topo_service *s;
	char c[CIDR_STRLEN];
	size_t i;
	int ret = 0;

	for (i = 0; i < t->nservices; i++) {
		s = &t->services[i];
		plan->svc_ip[i] = s->cluster_ip;
		if (s->cluster_ip || s->type == TOPO_SVC_HEADLESS)
			continue;
		if (is_kube_dns(s)) {
			if (dns > last) {
				ret = svc_fail(t, i, err, ".network.serviceCIDR %s has no tenth address "
					       "for kube-dns; give it a clusterIP", cidr_fmt(sc, c));
				goto out;
			}
			plan->svc_ip[i] = dns;
			continue;
		}
		while (next <= last && ((next == dns && tenth_reserved(t)) || ip_given(w, next)))
			next++;
		if (next > last) {
			ret = svc_fail(t, i, err, "no free address left for this Service in "
				       ".network.serviceCIDR %s", cidr_fmt(sc, c));
			goto out;
		}
		plan->svc_ip[i] = (uint32_t)next++;
	}
out:
	return ret;
}

static int assign_node_ports(const struct topo *t, struct topo_plan *plan,
			     const struct svc_work *w, struct topo_error *err)
{
	const struct topo_service *s;
	size_t i, k, next = 0;
	int ret = 0;

	for (i = 0; i < t->nservices; i++) {
		s = &t->services[i];
		for (k = 0; k < s->nports; k++) {
			plan->node_port[i][k] = s->ports[k].node_port;
			if (s->ports[k].node_port || !has_node_ports(s))
				continue;
			/* Ports handed out here are above next, so never owned. */
			while (next < TOPO_NODEPORTS && w->owner[next].svc)
				next++;
			if (next >= TOPO_NODEPORTS) {
				ret = svc_fail(t, i, err, "no free nodePort left in %d..%d for "
					       ".ports[%zu]", TOPO_NODEPORT_MIN, TOPO_NODEPORT_MAX, k);
				goto out;
			}
			plan->node_port[i][k] = (uint16_t)(TOPO_NODEPORT_MIN + next++);
		}
	}
out:
	return ret;
}

/* The pod carries every label of the selector; no selector selects nothing. */
static bool svc_selects(const struct topo_service *s, const struct topo_pod *p)
{
	size_t j, l;

	if (!s->nselector || strcmp(s->ns, p->ns))
		return false;
	for (j = 0; j < s->nselector; j++) {
		for (l = 0; l < p->nlabels; l++) {
			if (!strcmp(s->selector[j].key, p->labels[l].key))
				break;
		}
		if (l == p->nlabels || strcmp(s->selector[j].value, p->labels[l].value))
			return false;
	}
	return true;
}

/* Port k of s on pod p: a number as it is, a name looked up among the pod's
 * container ports of the same protocol, 0 if the pod has none by that name. */
static uint16_t svc_target(const struct topo_svc_port *sp, const struct topo_pod *p)
{
	const struct topo_port *cp;
	size_t c, k;

	if (!sp->target_name[0])
		return sp->target_port ? sp->target_port : sp->port;
	for (c = 0; c < p->ncontainers; c++) {
		for (k = 0; k < p->containers[c].nports; k++) {
			cp = &p->containers[c].ports[k];
			if (cp->proto == sp->proto && !strcmp(cp->name, sp->target_name))
				return cp->port;
		}
	}
	return 0;
}

/* Every label of every pod with the pod's namespace, sorted, so that a
 * Service's candidates are found by binary search rather than by asking
 * every pod: 65536 Services over 65536 pods would otherwise be 4 billion
 * comparisons. */
struct label_ref {
	const char *ns, *key, *value;
	size_t pod;
};

static int label_cmp(const struct label_ref *a, const char *ns, const char *key, const char *value)
{
	int c = strcmp(a->ns, ns);

	if (!c)
		c = strcmp(a->key, key);
	return c ? c : strcmp(a->value, value);
}

static int ref_cmp(const void *pa, const void *pb)
{
	const struct label_ref *a = pa, *b = pb;
	int c = label_cmp(a, b->ns, b->key, b->value);

	return c ? c : (a->pod > b->pod) - (a->pod < b->pod);	/* pods in order */
}

/* The run of refs carrying namespace ns and label key=value: [*first, end). */
static size_t label_run(const struct label_ref *refs, size_t n, const char *ns,
			const struct topo_label *l, size_t *first)
{
	size_t lo = 0, hi = n;

	/* Both ends by binary search: a label on most pods (app=web) must not
	 * cost a walk over them for every Service. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (label_cmp(&refs[mid], ns, l->key, l->value) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (label_cmp(&refs[mid], ns, l->key, l->value) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct label_ref *labels_index(const struct topo *t, size_t *n)
{
	struct label_ref *refs;
	size_t total = 0;

	for (size_t i = 0; i < t->npods; i++)
		total += t->pods[i].nlabels;
	refs = malloc((total ? total : 1) * sizeof(*refs));
	if (!refs)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < t->npods; i++)
		for (size_t l = 0; l < t->pods[i].nlabels; l++)
			refs[(*n)++] = (struct label_ref){ t->pods[i].ns, t->pods[i].labels[l].key,
							   t->pods[i].labels[l].value, i };
	qsort(refs, *n, sizeof(*refs), ref_cmp);
	return refs;
}

/* The pods s selects, in pod order, into match; how many. Candidates are
 * the pods with the selector's rarest label; each is then checked whole. */
static size_t svc_matches(const struct topo *t, const struct topo_service *s,
			  const struct label_ref *refs, size_t nrefs, size_t *match)
{
	size_t best = 0, best_end = 0, n = 0;

	if (!s->nselector)
		return 0;
	for (size_t j = 0; j < s->nselector; j++) {
		size_t first, end = label_run(refs, nrefs, s->ns, &s->selector[j], &first);

		if (j == 0 || end - first < best_end - best) {
			best = first;
			best_end = end;
		}
	}
	for (size_t r = best; r < best_end; r++)
		if (svc_selects(s, &t->pods[refs[r].pod]))
			match[n++] = refs[r].pod;
	return n;
}

static int plan_endpoints(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	const struct topo_service *s;
	struct topo_endpoint *ep;
	struct label_ref *refs = NULL;
	size_t *match, i, j, k, n, nrefs = 0, total = 0;
	int ret = 0;

	/* The pods one Service selects, gathered once and then copied. */
	match = calloc(t->npods ? t->npods : 1, sizeof(*match));
	refs = match ? labels_index(t, &nrefs) : NULL;
	if (!refs) {
		ret = topo_err_nomem(err);
		goto out;
	}
	for (i = 0; i < t->nservices; i++) {
		s = &t->services[i];
		n = svc_matches(t, s, refs, nrefs, match);
		total += n;
		if (total > TOPO_MAX_ENDPOINTS) {
			ret = svc_fail(t, i, err, "selects %zu pods, which takes the endpoints of all "
				       "Services past podpath's limit of %d", n, TOPO_MAX_ENDPOINTS);
			goto out;
		}
		if (!n)
			continue;
		plan->endpoints[i] = calloc(n, sizeof(*plan->endpoints[i]));
		if (!plan->endpoints[i]) {
			ret = topo_err_nomem(err);
			goto out;
		}
		plan->nendpoints[i] = n;
		for (j = 0; j < n; j++) {
			ep = &plan->endpoints[i][j];
			ep->pod = match[j];
			for (k = 0; k < s->nports; k++)
				ep->port[k] = svc_target(&s->ports[k], &t->pods[match[j]]);
		}
	}
out:
	free(refs);
	free(match);
	return ret;
}

int topo_svc_plan(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	size_t n = t->nservices ? t->nservices : 1;
	struct svc_work w = { 0 };
	int ret;

	if (t->nservices > TOPO_MAX_SERVICES) {
		ret = topo_err_set(err, ".services", "", "at most %d Services are supported "
				   "(found %zu)", TOPO_MAX_SERVICES, t->nservices);
		goto out;
	}
	plan->svc_ip = calloc(n, sizeof(*plan->svc_ip));
	plan->node_port = calloc(n, sizeof(*plan->node_port));
	plan->endpoints = calloc(n, sizeof(*plan->endpoints));
	plan->nendpoints = calloc(n, sizeof(*plan->nendpoints));
	w.by_name = calloc(n, sizeof(*w.by_name));
	w.by_ip = calloc(n, sizeof(*w.by_ip));
	w.dup_name = calloc(n, sizeof(*w.dup_name));
	w.dup_ip = calloc(n, sizeof(*w.dup_ip));
	w.owner = calloc(TOPO_NODEPORTS, sizeof(*w.owner));
	if (!plan->svc_ip || !plan->node_port || !plan->endpoints || !plan->nendpoints ||
	    !w.by_name || !w.by_ip || !w.dup_name || !w.dup_ip || !w.owner) {
		ret = topo_err_nomem(err);
		goto out;
	}
	ret = check_services(t, &w, err);
	if (!ret)
		ret = assign_cluster_ips(t, plan, &w, err);
	if (!ret)
		ret = assign_node_ports(t, plan, &w, err);
	if (!ret)
		ret = plan_endpoints(t, plan, err);
out:
	free(w.by_name);
	free(w.by_ip);
	free(w.dup_name);
	free(w.dup_ip);
	free(w.owner);
	return ret;
}

void topo_svc_commit(struct topo *t, struct topo_plan *plan)
{
	struct topo_service *s;
	struct topo_svc_port *p;
	size_t i, k;

	for (i = 0; i < t->nservices; i++) {
		s = &t->services[i];
		s->cluster_ip = plan->svc_ip[i];
		for (k = 0; k < s->nports; k++) {
			p = &s->ports[k];
			p->node_port = plan->node_port[i][k];
			/* 0 means "default" in a model built by code, as for addresses */
			if (!p->target_name[0] && !p->target_port)
				p->target_port = p->port;
		}
		if (s->affinity && !s->affinity_timeout)
			s->affinity_timeout = TOPO_AFFINITY_DEFAULT;
		free(s->endpoints);
		s->endpoints = plan->endpoints[i];
		s->nendpoints = plan->nendpoints[i];
		plan->endpoints[i] = NULL;
	}
}

void topo_svc_plan_free(const struct topo *t, struct topo_plan *plan)
{
	size_t i;

	for (i = 0; plan->endpoints && i < t->nservices; i++)
		free(plan->endpoints[i]);
	free(plan->endpoints);
	free(plan->svc_ip);
	free(plan->node_port);
	free(plan->nendpoints);
	plan->endpoints = NULL;
	plan->svc_ip = NULL;
	plan->node_port = NULL;
	plan->nendpoints = NULL;
}

size_t topo_svc_port_endpoints(const struct topo_service *s, size_t pi)
{
	size_t n = 0;

	for (size_t e = 0; e < s->nendpoints; e++)
		n += s->endpoints[e].port[pi] != 0;
	return n;
}
