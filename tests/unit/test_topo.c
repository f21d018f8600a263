/* Unit tests for lib/topo: the default and synthetic topologies, IPAM, every
 * file under tests/topologies/ (run from the repository root), error
 * records and the JSON round trip. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "topo/jdoc.h"
#include "topo/topo.h"
#include "unit.h"

#define TOPO_DIR "tests/topologies"

/* ---- helpers ---- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc((size_t)n + 1);
	if (!buf)
		goto out;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = (size_t)n;
out:
	fclose(f);
	return buf;
}

static int parse_str(struct topo *t, const char *s, struct topo_error *err)
{
	return topo_from_json(t, s, strlen(s), err);
}

/* Parse and resolve; on failure t is freed. */
static int load_str(struct topo *t, const char *s, struct topo_error *err)
{
	int ret = parse_str(t, s, err);

	if (!ret) {
		ret = topo_resolve(t, err);
		if (ret)
			topo_free(t);
	}
	return ret;
}

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	addr_parse(s, &a);
	return a;
}

static struct cidr pfx(const char *s)
{
	struct cidr c = { 0, 0 };

	cidr_parse(s, &c);
	return c;
}

static bool cidr_eq(struct cidr a, struct cidr b)
{
	return a.addr == b.addr && a.len == b.len;
}

static bool err_terminated(const struct topo_error *e)
{
	return memchr(e->path, 0, sizeof(e->path)) && memchr(e->value, 0, sizeof(e->value)) &&
	       memchr(e->msg, 0, sizeof(e->msg));
}

static bool is_zeroed(const struct topo *t)
{
	static const struct topo zero;

	return !memcmp(t, &zero, sizeof(zero));
}

/* ---- NetworkPolicy model equality ---- */

static bool labels_eq(const struct topo_label *a, size_t na, const struct topo_label *b,
		      size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].key, b[i].key) || strcmp(a[i].value, b[i].value))
			return false;
	return true;
}

static bool selector_eq(const struct topo_selector *a, const struct topo_selector *b)
{
	if (!labels_eq(a->match, a->nmatch, b->match, b->nmatch) || a->nexprs != b->nexprs)
		return false;
	for (size_t i = 0; i < a->nexprs; i++) {
		const struct topo_sel_expr *x = &a->exprs[i], *y = &b->exprs[i];

		if (strcmp(x->key, y->key) || x->op != y->op || x->nvalues != y->nvalues)
			return false;
		for (size_t k = 0; k < x->nvalues; k++)
			if (strcmp(x->values[k], y->values[k]))
				return false;
	}
	return true;
}

static bool rules_eq(const struct topo_np_rule *a, const struct topo_np_rule *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].npeers != b[i].npeers || a[i].nports != b[i].nports)
			return false;
		for (size_t k = 0; k < a[i].npeers; k++) {
			const struct topo_np_peer *p = &a[i].peers[k], *q = &b[i].peers[k];

			if (p->has_pods != q->has_pods || p->has_namespaces != q->has_namespaces ||
			    p->has_block != q->has_block || !selector_eq(&p->pods, &q->pods) ||
			    !selector_eq(&p->namespaces, &q->namespaces) ||
			    !cidr_eq(p->block, q->block) || p->nexcept != q->nexcept ||
			    p->block_v6 != q->block_v6 || !cidr6_eq(&p->block6, &q->block6))
				return false;
			for (size_t e = 0; e < p->nexcept; e++)
				if (p->block_v6 ? !cidr6_eq(&p->except6[e], &q->except6[e])
						: !cidr_eq(p->except[e], q->except[e]))
					return false;
		}
		for (size_t k = 0; k < a[i].nports; k++) {
			const struct topo_np_port *p = &a[i].ports[k], *q = &b[i].ports[k];

			if (p->proto != q->proto || p->port != q->port || strcmp(p->name, q->name) ||
			    p->end_port != q->end_port)
				return false;
		}
	}
	return true;
}

static bool policies_eq(const struct topo *a, const struct topo *b, const char **why)
{
	*why = "namespaces";
	if (a->nnamespaces != b->nnamespaces)
		return false;
	for (size_t i = 0; i < a->nnamespaces; i++) {
		const struct topo_namespace *n = &a->namespaces[i], *m = &b->namespaces[i];

		if (strcmp(n->name, m->name) || n->declared != m->declared ||
		    !labels_eq(n->labels, n->nlabels, m->labels, m->nlabels))
			return false;
	}
	*why = "policies";
	if (a->npolicies != b->npolicies)
		return false;
	for (size_t i = 0; i < a->npolicies; i++) {
		const struct topo_policy *p = &a->policies[i], *q = &b->policies[i];

		*why = "policy";
		if (strcmp(p->ns, q->ns) || strcmp(p->name, q->name) || p->ingress != q->ingress ||
		    p->egress != q->egress || p->nin != q->nin || p->nout != q->nout ||
		    !selector_eq(&p->pods, &q->pods))
			return false;
		*why = "policy rules";
		if (!rules_eq(p->in, q->in, p->nin) || !rules_eq(p->out, q->out, p->nout))
			return false;
	}
	return true;
}

/* Two models are equal when every field a user can see is. */
static bool topo_equal(const struct topo *a, const struct topo *b, const char **why)
{
	const struct topo_network *x = &a->net, *y = &b->net;
	size_t i, j, k;

	*why = "network";
	if (x->mode != y->mode || !cidr_eq(x->vpc_cidr, y->vpc_cidr) ||
	    x->vpc_router != y->vpc_router || !cidr_eq(x->cluster_cidr, y->cluster_cidr) ||
	    !cidr_eq(x->service_cidr, y->service_cidr) || x->node_mask != y->node_mask ||
	    x->mtu != y->mtu || strcmp(x->domain, y->domain) ||
	    !cidr_eq(x->public_cidr, y->public_cidr) || x->gateway_ip != y->gateway_ip)
		return false;
	*why = "internet";
	if (!cidr_eq(a->inet.cidr, b->inet.cidr) || a->inet.router != b->inet.router ||
	    a->inet.nhosts != b->inet.nhosts)
		return false;
	for (i = 0; i < a->inet.nhosts; i++) {
		const struct topo_inet_host *h = &a->inet.hosts[i], *g = &b->inet.hosts[i];

		if (strcmp(h->name, g->name) || h->ip != g->ip || h->image != g->image ||
		    h->nports != g->nports)
			return false;
		for (k = 0; k < h->nports; k++)
			if (h->ports[k].port != g->ports[k].port || h->ports[k].proto != g->ports[k].proto)
				return false;
	}
	*why = "nodes";
	if (a->nnodes != b->nnodes)
		return false;
	for (i = 0; i < a->nnodes; i++) {
		const struct topo_node *n = &a->nodes[i], *m = &b->nodes[i];

		if (strcmp(n->name, m->name) || n->ip != m->ip || !cidr_eq(n->pod_cidr, m->pod_cidr) ||
		    n->gw != m->gw || n->npods != m->npods || n->public_ip != m->public_ip)
			return false;
	}
	*why = "pods";
	if (a->npods != b->npods)
		return false;
	for (i = 0; i < a->npods; i++) {
		const struct topo_pod *p = &a->pods[i], *q = &b->pods[i];

		*why = "pod";
		if (strcmp(p->ns, q->ns) || strcmp(p->name, q->name) || p->node != q->node ||
		    p->ip != q->ip || p->nlabels != q->nlabels || p->ncontainers != q->ncontainers)
			return false;
		*why = "labels";
		for (j = 0; j < p->nlabels; j++) {
			if (strcmp(p->labels[j].key, q->labels[j].key) ||
			    strcmp(p->labels[j].value, q->labels[j].value))
				return false;
		}
		*why = "containers";
		for (j = 0; j < p->ncontainers; j++) {
			const struct topo_container *c = &p->containers[j], *d = &q->containers[j];

			if (strcmp(c->name, d->name) || c->nports != d->nports)
				return false;
			for (k = 0; k < c->nports; k++) {
				if (strcmp(c->ports[k].name, d->ports[k].name) ||
				    c->ports[k].port != d->ports[k].port ||
				    c->ports[k].proto != d->ports[k].proto)
					return false;
			}
		}
	}
	*why = "services";
	if (a->nservices != b->nservices)
		return false;
	for (i = 0; i < a->nservices; i++) {
		const struct topo_service *s = &a->services[i], *r = &b->services[i];

		*why = "service";
		if (strcmp(s->ns, r->ns) || strcmp(s->name, r->name) || s->type != r->type ||
		    s->cluster_ip != r->cluster_ip || s->affinity != r->affinity ||
		    s->affinity_timeout != r->affinity_timeout || s->nselector != r->nselector ||
		    s->nports != r->nports || s->nendpoints != r->nendpoints ||
		    s->lb_ip != r->lb_ip || s->ext_local != r->ext_local)
			return false;
		*why = "selector";
		for (j = 0; j < s->nselector; j++) {
			if (strcmp(s->selector[j].key, r->selector[j].key) ||
			    strcmp(s->selector[j].value, r->selector[j].value))
				return false;
		}
		*why = "service ports";
		for (j = 0; j < s->nports; j++) {
			const struct topo_svc_port *p = &s->ports[j], *q = &r->ports[j];

			if (strcmp(p->name, q->name) || p->port != q->port ||
			    p->target_port != q->target_port || strcmp(p->target_name, q->target_name) ||
			    p->proto != q->proto || p->node_port != q->node_port)
				return false;
		}
		*why = "endpoints";
		for (j = 0; j < s->nendpoints; j++) {
			if (s->endpoints[j].pod != r->endpoints[j].pod)
				return false;
			for (k = 0; k < s->nports; k++) {
				if (s->endpoints[j].port[k] != r->endpoints[j].port[k])
					return false;
			}
		}
	}
	*why = "ingresses";
	if (a->ningresses != b->ningresses)
		return false;
	for (i = 0; i < a->ningresses; i++) {
		const struct topo_ingress *g = &a->ingresses[i], *h = &b->ingresses[i];

		if (strcmp(g->ns, h->ns) || strcmp(g->name, h->name) || g->nrules != h->nrules ||
		    g->ntls != h->ntls)
			return false;
		for (j = 0; j < g->ntls; j++)
			if (strcmp(g->tls_hosts[j], h->tls_hosts[j]))
				return false;
		for (j = 0; j < g->nrules; j++) {
			if (strcmp(g->rules[j].host, h->rules[j].host) ||
			    g->rules[j].npaths != h->rules[j].npaths)
				return false;
			for (k = 0; k < g->rules[j].npaths; k++) {
				const struct topo_ingress_path *u = &g->rules[j].paths[k];
				const struct topo_ingress_path *w = &h->rules[j].paths[k];

				if (strcmp(u->path, w->path) || u->type != w->type ||
				    strcmp(u->svc_name, w->svc_name) || u->port_number != w->port_number ||
				    strcmp(u->port_name, w->port_name) || u->svc != w->svc ||
				    u->svc_port != w->svc_port)
					return false;
			}
		}
	}
	if (!policies_eq(a, b, why))
		return false;
	*why = "";
	return true;
}

/* t is resolved: its JSON must read back to an identical model, and
 * resolving t again must change nothing. */
static void check_roundtrip(const struct topo *t, const char *what)
{
	struct topo back;
	struct topo_error err;
	const char *why = "";
	json_t *j = topo_to_json(t);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int ret;

	if (!CHECKF(s != NULL, "%s: topo_to_json", what))
		goto out;
	ret = parse_str(&back, s, &err);
	if (!CHECKF(ret == 0, "%s: reparse: %s: %s %s", what, err.path, err.value, err.msg))
		goto out;
	ret = topo_resolve(&back, &err);
	CHECKF(ret == 0, "%s: re-resolve: %s: %s %s", what, err.path, err.value, err.msg);
	CHECKF(topo_equal(t, &back, &why), "%s: round trip differs in %s", what, why);
	/* Idempotence: resolving a resolved model changes nothing. */
	ret = topo_resolve(&back, &err);
	CHECKF(ret == 0, "%s: second resolve: %s: %s %s", what, err.path, err.value, err.msg);
	CHECKF(topo_equal(t, &back, &why), "%s: second resolve changed %s", what, why);
	topo_free(&back);
out:
	free(s);
	json_decref(j);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every pod IP and every node IP distinct, and each where its mode puts it. */
static void check_addresses(const struct topo *t, const char *what)
{
	uint32_t *ips = calloc(t->npods + t->nnodes + 1, sizeof(*ips));
	struct cidr pool = t->net.vpc_cidr;
	size_t i, n = 0, dups = 0, misplaced = 0;

	if (!CHECK(ips != NULL))
		return;
	pool.len++;
	pool.addr += (uint32_t)cidr_size(&pool);
	for (i = 0; i < t->nnodes; i++) {
		const struct topo_node *nd = &t->nodes[i];

		ips[n++] = nd->ip;
		if (!cidr_contains(&t->net.vpc_cidr, nd->ip) || nd->ip == t->net.vpc_router)
			misplaced++;
		if (t->net.mode == TOPO_MODE_VPC &&
		    (nd->pod_cidr.len || nd->gw != ip("169.254.1.1") || cidr_contains(&pool, nd->ip)))
			misplaced++;
		if (t->net.mode != TOPO_MODE_VPC &&
		    (!cidr_within(&nd->pod_cidr, &t->net.cluster_cidr) ||
		     nd->gw != nd->pod_cidr.addr + 1))
			misplaced++;
	}
	for (i = 0; i < t->npods; i++) {
		const struct topo_pod *p = &t->pods[i];
		const struct topo_node *nd = &t->nodes[p->node];

		ips[n++] = p->ip;
		if (t->net.mode == TOPO_MODE_VPC) {
			if (!cidr_contains(&pool, p->ip) || p->ip == cidr_last(&pool))
				misplaced++;
		} else if (!cidr_contains(&nd->pod_cidr, p->ip) || p->ip == nd->gw ||
			   p->ip == nd->pod_cidr.addr || p->ip == cidr_last(&nd->pod_cidr)) {
			misplaced++;
		}
	}
	qsort(ips, n, sizeof(*ips), cmp_u32);
	for (i = 1; i < n; i++)
		dups += ips[i] == ips[i - 1];
	CHECKF(dups == 0, "%s: %zu duplicate addresses", what, dups);
	CHECKF(misplaced == 0, "%s: %zu misplaced addresses", what, misplaced);
	free(ips);
}

/* ---- the default topology ---- */

static void test_default(void)
{
	struct topo t;
	struct topo_error err;
	const struct topo_pod *p;
	const struct topo_service *sv;

	if (!CHECK(topo_from_default(&t, &err) == 0))
		return;
	CHECK(t.net.mode == TOPO_MODE_ROUTED);
	CHECK_EQ_INT(t.nnodes, 2);
	CHECK_EQ_INT(t.npods, 6);
	/* Addresses are IPAM's job, so --network can still change the mode. */
	CHECK(t.nodes[0].ip == 0 && t.nodes[0].pod_cidr.len == 0 && t.pods[0].ip == 0);
	if (!CHECKF(topo_resolve(&t, &err) == 0, "%s %s", err.path, err.msg))
		goto out;
	CHECK(cidr_eq(t.net.vpc_cidr, pfx("172.18.0.0/24")));
	CHECK_EQ_INT(t.net.vpc_router, ip("172.18.0.1"));
	CHECK(cidr_eq(t.net.cluster_cidr, pfx("10.244.0.0/16")));
	CHECK(cidr_eq(t.net.service_cidr, pfx("10.96.0.0/12")));
	CHECK_EQ_INT(t.net.node_mask, 24);
	CHECK_EQ_INT(t.net.mtu, 1500);
	CHECK_EQ_STR(t.net.domain, "cluster.local");
	CHECK_EQ_STR(t.nodes[0].name, "node-1");
	CHECK_EQ_STR(t.nodes[1].name, "node-2");
	CHECK_EQ_INT(t.nodes[0].ip, ip("172.18.0.2"));
	CHECK_EQ_INT(t.nodes[1].ip, ip("172.18.0.3"));
	CHECK(cidr_eq(t.nodes[0].pod_cidr, pfx("10.244.1.0/24")));
	CHECK(cidr_eq(t.nodes[1].pod_cidr, pfx("10.244.2.0/24")));
	CHECK_EQ_INT(t.nodes[0].gw, ip("10.244.1.1"));
	CHECK_EQ_INT(t.nodes[1].gw, ip("10.244.2.1"));
	CHECK_EQ_INT(t.nodes[0].npods, 3);
	CHECK_EQ_INT(t.nodes[1].npods, 3);

	p = topo_pod_find(&t, NULL, "client");
	if (CHECK(p != NULL)) {
		CHECK_EQ_INT(p->ip, ip("10.244.1.2"));
		CHECK_EQ_INT(p->node, 0);
		CHECK(p->nlabels == 1 && !strcmp(p->labels[0].key, "app") &&
		      !strcmp(p->labels[0].value, "client"));
		CHECK(p->ncontainers == 1 && !strcmp(p->containers[0].name, "client") &&
		      p->containers[0].nports == 0);
	}
	p = topo_pod_find(&t, "default", "web-1");
	if (CHECK(p != NULL)) {
		CHECK_EQ_INT(p->ip, ip("10.244.1.3"));
		CHECK_EQ_INT(p->node, 0);
		CHECK(p->nlabels == 1 && !strcmp(p->labels[0].value, "web"));
		if (CHECK(p->ncontainers == 2)) {
			const struct topo_container *w = &p->containers[0], *s = &p->containers[1];

			CHECK_EQ_STR(w->name, "web");
			CHECK(w->nports == 2 && !strcmp(w->ports[0].name, "http") &&
			      w->ports[0].port == 8080 && w->ports[0].proto == TOPO_PROTO_TCP &&
			      !strcmp(w->ports[1].name, "echo") && w->ports[1].port == 9000 &&
			      w->ports[1].proto == TOPO_PROTO_UDP);
			CHECK_EQ_STR(s->name, "sidecar");
			CHECK(s->nports == 1 && !strcmp(s->ports[0].name, "metrics") &&
			      s->ports[0].port == 9090 && s->ports[0].proto == TOPO_PROTO_TCP);
		}
	}
	p = topo_pod_find(&t, "default", "web-2");
	if (CHECK(p != NULL)) {
		CHECK_EQ_INT(p->ip, ip("10.244.2.2"));
		CHECK_EQ_INT(p->node, 1);
		CHECK(p->ncontainers == 1 && p->containers[0].nports == 2);
	}
	CHECK(topo_pod_find(&t, "kube-system", "web-1") == NULL);
	CHECK(topo_pod_find(&t, NULL, "nope") == NULL);

	CHECK_EQ_INT(t.nservices, 4);
	/* The ingress controller: nginx behind a Local LoadBalancer, and the
	 * Ingress for web.example.test over TLS to Service default/web. */
	p = topo_pod_find(&t, "ingress-nginx", "controller");
	if (CHECK(p != NULL))
		CHECK(p->ip == ip("10.244.1.4") && p->containers[0].image == TOPO_IMAGE_NGINX);
	sv = topo_ingress_lb(&t);
	if (CHECK(sv != NULL))
		CHECK(!strcmp(sv->name, "ingress-nginx-controller") && sv->ext_local &&
		      sv->lb_ip == ip("198.51.100.4"));
	/* Path routing: / to web, /api to api (its own pod, on node-2). */
	if (CHECK(t.ningresses == 1 && t.ingresses[0].nrules == 1 &&
		  t.ingresses[0].rules[0].npaths == 2)) {
		CHECK_EQ_STR(t.ingresses[0].rules[0].host, "web.example.test");
		CHECK(topo_ingress_tls(&t, "web.example.test") && !topo_ingress_tls(&t, "x.test"));
		CHECK_EQ_INT(t.ingresses[0].rules[0].paths[0].svc, 0);
		CHECK_EQ_STR(t.ingresses[0].rules[0].paths[1].path, "/api");
		CHECK_EQ_INT(t.ingresses[0].rules[0].paths[1].svc, 3);
	}
	sv = topo_service_find(&t, "default", "api");
	if (CHECK(sv != NULL))
		CHECK(sv->cluster_ip == ip("10.96.0.3") && sv->nendpoints == 1 &&
		      !strcmp(t.pods[sv->endpoints[0].pod].name, "api-1") &&
		      t.pods[sv->endpoints[0].pod].ip == ip("10.244.2.4") &&
		      sv->endpoints[0].port[0] == 8080);
	/* kube-dns, not given an address, gets the one resolv.conf names. */
	sv = topo_service_find(&t, "kube-system", "kube-dns");
	if (CHECK(sv != NULL))
		CHECK(sv->cluster_ip == ip("10.96.0.10") && sv->nendpoints == 1 &&
		      sv->nports == 2 && t.pods[sv->endpoints[0].pod].containers[0].image ==
		      TOPO_IMAGE_DNSMASQ);
	sv = topo_service_find(&t, NULL, "web");
	if (CHECK(sv != NULL)) {
		CHECK(sv == topo_service_find(&t, "default", "web"));
		CHECK(sv->type == TOPO_SVC_CLUSTERIP);
		CHECK_EQ_INT(sv->cluster_ip, ip("10.96.0.1"));
		CHECK(sv->nselector == 1 && !strcmp(sv->selector[0].key, "app") &&
		      !strcmp(sv->selector[0].value, "web"));
		CHECK(sv->nports == 1 && !strcmp(sv->ports[0].name, "http") && sv->ports[0].port == 80 &&
		      !strcmp(sv->ports[0].target_name, "http") && sv->ports[0].target_port == 0 &&
		      sv->ports[0].proto == TOPO_PROTO_TCP && sv->ports[0].node_port == 0);
		CHECK(!sv->affinity);
		if (CHECK(sv->nendpoints == 2)) {
			CHECK_EQ_STR(t.pods[sv->endpoints[0].pod].name, "web-1");
			CHECK_EQ_STR(t.pods[sv->endpoints[1].pod].name, "web-2");
			CHECK_EQ_INT(sv->endpoints[0].port[0], 8080);
			CHECK_EQ_INT(sv->endpoints[1].port[0], 8080);
		}
	}
	CHECK(topo_service_find(&t, "kube-system", "web") == NULL);
	CHECK(topo_service_find(&t, NULL, NULL) == NULL);
	CHECK_EQ_INT(topo_dns_ip(&t), ip("10.96.0.10"));
	CHECK(topo_node_index(&t, "node-2") == 1);
	CHECK(topo_node_index(&t, "node-3") == -1);
	check_addresses(&t, "default");
	check_roundtrip(&t, "default");
out:
	topo_free(&t);
	CHECK(is_zeroed(&t));
}

/* The command line may switch the mode between parse and resolve. */
static void test_default_modes(void)
{
	struct topo t;
	struct topo_error err;

	if (!CHECK(topo_from_default(&t, &err) == 0))
		return;
	t.net.mode = TOPO_MODE_VPC;
	if (CHECKF(topo_resolve(&t, &err) == 0, "%s %s", err.path, err.msg)) {
		CHECK_EQ_INT(t.nodes[0].ip, ip("172.18.0.2"));
		CHECK_EQ_INT(t.nodes[1].ip, ip("172.18.0.3"));
		CHECK_EQ_INT(t.nodes[0].pod_cidr.len, 0);
		CHECK_EQ_INT(t.nodes[0].gw, ip("169.254.1.1"));
		CHECK_EQ_INT(t.nodes[1].gw, ip("169.254.1.1"));
		CHECK_EQ_INT(t.pods[0].ip, ip("172.18.0.128"));
		CHECK_EQ_INT(t.pods[1].ip, ip("172.18.0.129"));
		CHECK_EQ_INT(t.pods[2].ip, ip("172.18.0.130"));
		/* Services do not depend on the mode. */
		CHECK(t.nservices == 4 && t.services[0].cluster_ip == ip("10.96.0.1") &&
		      t.services[0].nendpoints == 2);
		check_addresses(&t, "default vpc");
		check_roundtrip(&t, "default vpc");
	}
	topo_free(&t);

	if (!CHECK(topo_from_default(&t, &err) == 0))
		return;
	t.net.mode = TOPO_MODE_VXLAN;
	if (CHECKF(topo_resolve(&t, &err) == 0, "%s %s", err.path, err.msg)) {
		CHECK_EQ_INT(t.pods[2].ip, ip("10.244.2.2"));
		check_roundtrip(&t, "default vxlan");
	}
	topo_free(&t);
}

/* ---- synthetic topologies ---- */

static void test_synth(void)
{
	static const struct {
		unsigned nodes, pods;
	} sizes[] = { { 2, 50 }, { 4, 250 }, { 1, 0 }, { 256, 1 }, { 3, 300 }, { 256, 256 },
		      { 1, 65533 }, { 2, 32768 }, { 1, TOPO_BRIDGE_PORTS },
		      { 2, TOPO_BRIDGE_PORTS + 1 } };
	static const enum topo_mode modes[] = { TOPO_MODE_ROUTED, TOPO_MODE_VXLAN, TOPO_MODE_VPC };
	struct topo_error err;
	struct topo t;
	char what[64];
	size_t i, m;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (m = 0; m < 3; m++) {
			snprintf(what, sizeof(what), "synth %ux%u %s", sizes[i].nodes, sizes[i].pods,
				 topo_mode_name(modes[m]));
			/* More pods than a bridge's ports: vpc only (test_synth_errors). */
			if (sizes[i].pods > TOPO_BRIDGE_PORTS && modes[m] != TOPO_MODE_VPC)
				continue;
			if (!CHECKF(topo_from_synth(&t, sizes[i].nodes, sizes[i].pods, modes[m],
						    &err) == 0, "%s: %s %s %s", what, err.path,
				    err.value, err.msg))
				continue;
			CHECKF(t.nnodes == sizes[i].nodes && t.npods == (size_t)sizes[i].nodes * sizes[i].pods,
			       "%s", what);
			CHECK(t.net.mode == modes[m]);
			if (CHECKF(topo_resolve(&t, &err) == 0, "%s: %s %s %s", what, err.path,
				   err.value, err.msg)) {
				check_addresses(&t, what);
				/* Round trips of 65536 pods take seconds under ASan:
				 * one is enough. */
				if ((size_t)sizes[i].nodes * sizes[i].pods <= 1000 ||
				    (m == 0 && sizes[i].nodes == 256))
					check_roundtrip(&t, what);
			}
			topo_free(&t);
		}
	}
	CHECK(topo_from_synth(&t, 2, 3, TOPO_MODE_ROUTED, &err) == 0);
	if (CHECK(t.npods == 6)) {
		CHECK_EQ_STR(t.nodes[1].name, "node-2");
		CHECK_EQ_STR(t.pods[4].name, "pod-2-2");
		CHECK_EQ_STR(t.pods[4].ns, "default");
		CHECK_EQ_INT(t.pods[4].node, 1);
		CHECK(t.pods[4].nlabels == 1 && !strcmp(t.pods[4].labels[0].key, "app") &&
		      !strcmp(t.pods[4].labels[0].value, "synth"));
		CHECK(t.pods[4].ncontainers == 1 && !strcmp(t.pods[4].containers[0].name, "app"));
		CHECK(t.pods[4].containers[0].nports == 1 &&
		      !strcmp(t.pods[4].containers[0].ports[0].name, "http") &&
		      t.pods[4].containers[0].ports[0].port == 8080);
		CHECK(cidr_eq(t.net.cluster_cidr, pfx("10.244.0.0/16")) && t.net.node_mask == 24);
		CHECK(topo_resolve(&t, &err) == 0);
		CHECK(cidr_eq(t.nodes[0].pod_cidr, pfx("10.244.1.0/24")));
		CHECK_EQ_INT(t.pods[0].ip, ip("10.244.1.2"));
	}
	topo_free(&t);
}

static void test_synth_errors(void)
{
	struct topo_error err;
	struct topo t;

	CHECK(topo_from_synth(&t, 0, 1, TOPO_MODE_ROUTED, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, "--nodes");
	CHECK_EQ_STR(err.value, "0");
	CHECK(is_zeroed(&t));
	CHECK(topo_from_synth(&t, 257, 1, TOPO_MODE_VPC, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, "--nodes");
	CHECK_HAS_STR(err.msg, "1..256");
	CHECK(topo_from_synth(&t, 3, 30000, TOPO_MODE_VPC, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, "--pods-per-node");
	CHECK_EQ_STR(err.value, "30000");
	CHECK_HAS_STR(err.msg, "65536");
	CHECK(topo_from_synth(&t, 256, 257, TOPO_MODE_ROUTED, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, "--pods-per-node");
	CHECK(topo_from_synth(&t, 1, 65534, TOPO_MODE_ROUTED, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, "--pods-per-node");
	/* A node's pods are ports of its bridge cbr0, which holds 1023. */
	for (enum topo_mode m = TOPO_MODE_ROUTED; m <= TOPO_MODE_VXLAN; m++) {
		CHECK(topo_from_synth(&t, 1, TOPO_BRIDGE_PORTS + 1, m, &err) == -EINVAL);
		CHECK_EQ_STR(err.path, "--pods-per-node");
		CHECK_EQ_STR(err.value, "1024");
		CHECK_HAS_STR(err.msg, "at most 1023 pods per node in ");
		CHECK_HAS_STR(err.msg, topo_mode_name(m));
		CHECK_HAS_STR(err.msg, "vpc networking has no bridge (--network vpc)");
		CHECK(is_zeroed(&t));
	}
	CHECK(topo_from_synth(&t, 1, 4000000000u, TOPO_MODE_ROUTED, &err) == -EINVAL);
	CHECK(topo_from_synth(&t, 1, 1, (enum topo_mode)7, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, "--network");
	/* 1 x 65534 fits the VPC pool of vpc mode, which has no per-node block. */
	CHECK(topo_from_synth(&t, 1, 65534, TOPO_MODE_VPC, &err) == 0);
	topo_free(&t);
}

/* A synthetic lab's cluster DNS: the default lab's coredns pod and kube-dns
 * Service, on the last node, at kube-dns's address, its pod the endpoint. */
static void test_synth_dns(void)
{
	struct topo_error err;
	struct topo t;

	if (CHECK(topo_from_synth(&t, 2, 3, TOPO_MODE_ROUTED, &err) == 0 &&
		  topo_synth_services(&t, 3, &err) == 0 && topo_synth_dns(&t, &err) == 0)) {
		const struct topo_pod *p = &t.pods[6];
		const struct topo_service *kd = &t.services[3];

		CHECK_EQ_INT(t.npods, 7);
		CHECK_EQ_INT(t.nservices, 4);
		CHECK_EQ_STR(p->ns, "kube-system");
		CHECK_EQ_STR(p->name, "coredns");
		CHECK_EQ_INT(p->node, 1);
		CHECK(p->ncontainers == 1 && p->containers[0].image == TOPO_IMAGE_DNSMASQ &&
		      p->containers[0].nports == 2);
		/* No Service of the synthetic ones selects it. */
		CHECK(p->nlabels == 1 && !strcmp(p->labels[0].key, "k8s-app"));
		CHECK_EQ_STR(kd->ns, "kube-system");
		CHECK_EQ_STR(kd->name, "kube-dns");
		if (CHECKF(topo_resolve(&t, &err) == 0, "%s %s %s", err.path, err.value, err.msg)) {
			CHECK_EQ_INT(kd->cluster_ip, ip("10.96.0.10"));
			CHECK_EQ_INT(topo_dns_ip(&t), ip("10.96.0.10"));
			CHECK(kd->nendpoints == 1 && kd->endpoints[0].pod == 6 &&
			      kd->endpoints[0].port[0] == 53 && kd->endpoints[0].port[1] == 53);
			for (size_t i = 0; i < 3; i++)
				CHECK_EQ_INT(t.services[i].nendpoints, 2);
			CHECK(cidr_eq(t.nodes[1].pod_cidr, pfx("10.244.2.0/24")));
			check_addresses(&t, "synth dns");
			check_roundtrip(&t, "synth dns");
		}
		topo_free(&t);
	}
	/* The blocks are sized for the extra pod: 2 x 253 would fill a /24. */
	if (CHECK(topo_from_synth(&t, 2, 253, TOPO_MODE_VXLAN, &err) == 0 &&
		  topo_synth_dns(&t, &err) == 0)) {
		CHECK_EQ_INT(t.net.node_mask, 23);
		CHECK(topo_resolve(&t, &err) == 0);
		topo_free(&t);
	}
	/* A full bridge has no port for it; vpc has no bridge. */
	if (CHECK(topo_from_synth(&t, 1, TOPO_BRIDGE_PORTS, TOPO_MODE_ROUTED, &err) == 0)) {
		CHECK(topo_synth_dns(&t, &err) == -EINVAL);
		CHECK_EQ_STR(err.path, "--pods-per-node");
		CHECK_EQ_STR(err.value, "1023");
		CHECK_HAS_STR(err.msg, "at most 1022 pods per node in routed networking");
		CHECK_HAS_STR(err.msg, "kube-system/coredns");
		topo_free(&t);
	}
	if (CHECK(topo_from_synth(&t, 1, TOPO_BRIDGE_PORTS, TOPO_MODE_VPC, &err) == 0)) {
		CHECK(topo_synth_dns(&t, &err) == 0 && topo_resolve(&t, &err) == 0);
		check_addresses(&t, "synth dns vpc");
		topo_free(&t);
	}
	/* At the pod limit there is no room for one more. */
	if (CHECK(topo_from_synth(&t, 256, 256, TOPO_MODE_VPC, &err) == 0)) {
		CHECK(topo_synth_dns(&t, &err) == -EINVAL);
		CHECK_HAS_STR(err.msg, "at most 65535 pods");
		topo_free(&t);
	}
}

/* The bridge's limit holds for any model, also one whose mode changes after
 * it was made (setup -f FILE --network routed): the pod that would be the
 * bridge's 1024th port is named. */
static void test_bridge_ports(void)
{
	struct topo_error err;
	struct topo t;
	size_t i;

	/* node-1 has pods 0..1023, node-2 pods 1024..2047. */
	if (!CHECK(topo_from_synth(&t, 2, TOPO_BRIDGE_PORTS + 1, TOPO_MODE_VPC, &err) == 0))
		return;
	t.net.mode = TOPO_MODE_VXLAN;
	t.net.node_mask = 21;
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".pods[1023].node");
	CHECK_EQ_STR(err.value, "\"node-1\"");
	CHECK_HAS_STR(err.msg, "pod 1024 of node \"node-1\" in vxlan networking");
	CHECK_HAS_STR(err.msg, "at most 1023 ports");
	t.pods[TOPO_BRIDGE_PORTS].node = 1;	/* node-1: 1023, node-2: 1025 */
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".pods[2046].node");
	CHECK_EQ_STR(err.value, "\"node-2\"");
	t.npods -= 2;				/* node-2: 1023 */
	if (CHECKF(topo_resolve(&t, &err) == 0, "%s %s %s", err.path, err.value, err.msg))
		CHECK(t.nodes[0].npods == TOPO_BRIDGE_PORTS &&
		      t.nodes[1].npods == TOPO_BRIDGE_PORTS);
	t.npods += 2;
	/* vpc has no bridge: 1024 pods and more on a node. */
	t.net.mode = TOPO_MODE_VPC;
	t.pods[TOPO_BRIDGE_PORTS].node = 0;
	for (i = 0; i < t.npods; i++)
		t.pods[i].ip = 0;
	for (i = 0; i < t.nnodes; i++)
		t.nodes[i].pod_cidr.len = 0;
	if (CHECKF(topo_resolve(&t, &err) == 0, "%s %s %s", err.path, err.value, err.msg))
		CHECK(t.nodes[0].npods == TOPO_BRIDGE_PORTS + 1);
	topo_free(&t);
}

/* ---- files ---- */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Names of the *.json files in dir, sorted; NULL-terminated. */
static char **list_json(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, **tmp;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (!has_suffix(de->d_name, ".json"))
			continue;
		if (*n + 2 > cap) {
			cap = cap ? 2 * cap : 16;
			tmp = realloc(names, cap * sizeof(*names));
			if (!tmp)
				break;
			names = tmp;
		}
		names[(*n)++] = strdup(de->d_name);
		names[*n] = NULL;
	}
	closedir(d);
	return names;
}

static void free_list(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void test_good_files(void)
{
	char path[512], **names;
	struct topo_error err;
	struct topo t;
	size_t i, n, len;
	char *buf;

	names = list_json(TOPO_DIR "/good", &n);
	if (!CHECKF(n >= 4, "%zu good topologies in " TOPO_DIR "/good (run from the repo root)", n))
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), TOPO_DIR "/good/%s", names[i]);
		buf = read_file(path, &len);
		if (!CHECKF(buf != NULL, "%s", path))
			continue;
		if (CHECKF(topo_from_json(&t, buf, len, &err) == 0, "%s: %s: %s %s", path,
			   err.path, err.value, err.msg)) {
			if (CHECKF(topo_resolve(&t, &err) == 0, "%s: %s: %s %s", path, err.path,
				   err.value, err.msg)) {
				check_addresses(&t, path);
				check_roundtrip(&t, path);
			}
			topo_free(&t);
		}
		free(buf);
	}
out:
	free_list(names, n);
}

static void test_bad_files(void)
{
	char path[1100], line[1024], **names, *file, *want_path, *want_msg, *want_value, *buf, *nl;
	size_t i, n, len, lines = 0, matched = 0;
	struct topo_error err;
	struct topo t;
	FILE *tsv;
	int ret;

	tsv = fopen(TOPO_DIR "/bad/expect.tsv", "r");
	if (!CHECKF(tsv != NULL, TOPO_DIR "/bad/expect.tsv: %s (run from the repo root)",
		    strerror(errno)))
		return;
	names = list_json(TOPO_DIR "/bad", &n);
	while (fgets(line, sizeof(line), tsv)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		lines++;
		file = line;
		want_path = strchr(file, '\t');
		want_msg = want_path ? strchr(want_path + 1, '\t') : NULL;
		if (!CHECKF(want_msg != NULL, "expect.tsv: malformed line \"%s\"", line))
			continue;
		*want_path++ = '\0';
		*want_msg++ = '\0';
		/* An optional fourth column: a part of the value the error shows. */
		want_value = strchr(want_msg, '\t');
		if (want_value)
			*want_value++ = '\0';
		for (i = 0; i < n; i++)
			matched += !strcmp(names[i], file);
		snprintf(path, sizeof(path), TOPO_DIR "/bad/%s", file);
		buf = read_file(path, &len);
		if (!CHECKF(buf != NULL, "%s", path))
			continue;
		ret = topo_from_json(&t, buf, len, &err);
		if (ret)
			CHECKF(is_zeroed(&t), "%s: model not reset after failed parse", file);
		else
			ret = topo_resolve(&t, &err);
		topo_free(&t);
		free(buf);
		if (!CHECKF(ret == -EINVAL, "%s: accepted (ret %d)", file, ret))
			continue;
		CHECKF(err_terminated(&err), "%s", file);
		CHECKF(strstr(err.path, want_path) != NULL, "%s: path \"%s\" lacks \"%s\" (msg: %s)",
		       file, err.path, want_path, err.msg);
		CHECKF(strstr(err.msg, want_msg) != NULL, "%s: msg \"%s\" lacks \"%s\"", file,
		       err.msg, want_msg);
		if (want_value)
			CHECKF(strstr(err.value, want_value) != NULL, "%s: value \"%s\" lacks \"%s\"",
			       file, err.value, want_value);
		CHECKF(err.msg[0] && err.msg[strlen(err.msg) - 1] != '.' &&
		       !(err.msg[0] >= 'A' && err.msg[0] <= 'Z'),
		       "%s: msg \"%s\" should be lower case without a trailing period", file, err.msg);
		/* Syntax errors carry a position, everything else a path. */
		if (!err.path[0])
			CHECKF(err.line > 0, "%s: no line for a syntax error", file);
	}
	fclose(tsv);
	CHECKF(lines >= 20, "only %zu lines in expect.tsv", lines);
	CHECKF(matched == n, "%zu bad files, %zu listed in expect.tsv", n, matched);
	free_list(names, n);
}

/* ---- focused cases ---- */

#define DOC_NODES "\"nodes\": [{\"name\": \"node-1\"}, {\"name\": \"node-2\"}]"

static void expect_error(const char *doc, const char *path, const char *msg_part)
{
	struct topo_error err;
	struct topo t;
	int ret;

	ret = load_str(&t, doc, &err);
	if (!CHECKF(ret == -EINVAL, "accepted: %s", doc)) {
		topo_free(&t);
		return;
	}
	CHECKF(!strcmp(err.path, path), "path \"%s\", want \"%s\" (msg %s) for %s", err.path, path,
	       err.msg, doc);
	CHECKF(strstr(err.msg, msg_part) != NULL, "msg \"%s\" lacks \"%s\"", err.msg, msg_part);
	CHECK(err_terminated(&err));
}

static void test_syntax_errors(void)
{
	struct topo_error err;
	struct topo t;

	CHECK(parse_str(&t, "{\n  \"nodes\": [\n    {\"name\": \"a\"}\n  ]\n  \"pods\": []\n}", &err) == -EINVAL);
	CHECK_EQ_INT(err.line, 5);
	CHECK(err.column > 0);
	CHECK_EQ_STR(err.path, "");
	CHECK(err.msg[0] != '\0');
	CHECK(is_zeroed(&t));
	CHECK(topo_from_json(&t, "", 0, &err) == -EINVAL);
	CHECK(topo_from_json(&t, "{\"nodes\": [{\"name\": \"a\"}]}\0junk", 31, &err) == -EINVAL);
	CHECK(topo_from_json(&t, "{\"nodes\":[{\"name\":\"a\"}], \"x\": \"\\u0000\"}", 39, &err) == -EINVAL);
	expect_error("{\"nodes\": [{\"name\": \"a\", \"name\": \"b\"}]}", "", "duplicate object key");
	expect_error("null", "", "");
	expect_error("[]", ".", "expected object");
	/* Past the size limit nothing is read: the length alone decides. */
	CHECK(topo_from_json(&t, "{}", TOPO_DOC_MAX + 1, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".");
	CHECK(strstr(err.msg, "larger than 64 MiB") != NULL);
	CHECK(is_zeroed(&t));
}

/* The compact reader accepts exactly what jansson's json_loadb with
 * JSON_REJECT_DUPLICATES accepts, and reads what it accepts right. */
static void jdoc_vs_jansson(const char *text, size_t len)
{
	struct topo_error err;
	json_error_t jerr;
	struct jdoc d;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	int ret = jdoc_load(&d, text, len, &err);

	CHECKF((ret == 0) == (j != NULL), "%.40s: jdoc %s (%s), jansson %s (%s)", text,
	       ret ? "refuses" : "accepts", ret ? err.msg : "", j ? "accepts" : "refuses",
	       j ? "" : jerr.text);
	if (ret && !j)
		CHECKF(err.line == jerr.line, "%.40s: line %d, jansson's %d", text, err.line,
		       jerr.line);
	jdoc_free(&d);
	json_decref(j);
}

static void test_jdoc(void)
{
	static const char *const texts[] = {
		"[]", "{}", " [ ] ", "\n\t{ }\r\n", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}",
		"{1:2}", "{\"a\":}", "[01]", "[-0]", "[-]", "[1.]", "[.5]", "[1e5]", "[1E+5]",
		"[1e]", "[1.5e-3]", "[-1.5E3]", "[9223372036854775807]", "[9223372036854775808]",
		"[-9223372036854775808]", "[-9223372036854775809]", "[1e400]", "[1e-400]",
		"[\"\\u0000\"]", "[\"\\ud800\"]", "[\"\\ud800\\udc00\"]", "[\"\\udc00\"]",
		"[\"\\uD834\\uDD1E\"]", "[\"\\ud800\\u0041\"]", "[\"\\u00e9\"]", "[\"\\uZZZZ\"]",
		"[\"\\u12\"]", "[\"\\x\"]", "[\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"]", "[\"a\nb\"]",
		"[\"\x01\"]", "[\"\x7f\"]", "[\"\xc3\xa9\"]", "[\"\xc3\"]", "[\"\xed\xa0\x80\"]",
		"[\"\xf4\x90\x80\x80\"]", "[\"\xf0\x9f\x98\x80\"]", "[\"\xc0\xaf\"]",
		"[\"\xe0\x80\xaf\"]", "[\"\xff\"]", "[\xc3\xa9]", "[tru]", "[true]", "[truex]",
		"[nul]", "[null,false]", "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":2}}",
		"{\"a\":1,\"b\":{\"a\":2}}", "{\"b\":1,\"a\":2,\"c\":3,\"a\":4}", "{\"\":1,\"\":2}",
		"{\"a\\u0062\":1,\"ab\":2}", "1", "\"x\"", "null", "", "   ", "[] x", "[]]",
		"{\"a\":[1,{\"b\":[]}],\"c\":\"d\"}", "[\n1,\n2\n,]", "{\n\"a\":1\n\"b\":2}", "[\"abc",
		"[\"abc\\", "{\"a", "{\"a\":", "[1", "[1,", "{\"a\":1", "[-", "[1e+", "[1.5",
	};
	char deep[2 * JDOC_MAX_DEPTH + 4];
	struct topo_error err;
	struct jdoc d;
	size_t i, k;
	const struct jv *v, *e;
	const char *key;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		jdoc_vs_jansson(texts[i], strlen(texts[i]));
	jdoc_vs_jansson("[]\0", 3);
	jdoc_vs_jansson("[\"a\0b\"]", 6);
	/* As deep as jansson reads, and one deeper. */
	for (k = JDOC_MAX_DEPTH; k <= JDOC_MAX_DEPTH + 1; k++) {
		memset(deep, '[', k);
		memset(deep + k, ']', k);
		jdoc_vs_jansson(deep, 2 * k);
	}
	/* What it reads: types, values, order, skipping over subtrees. */
	static const char doc[] = "{\"a\": [1, {\"x\": [2, 3]}, \"s\\u00e9\"], \"b\": -7, "
				  "\"c\": null, \"d\": 1.5}";

	if (CHECK(jdoc_load(&d, doc, sizeof(doc) - 1, &err) == 0)) {
		CHECK(jv_is(d.v, JV_OBJECT) && d.v->n == 4);
		v = jv_object_get(&d, d.v, "a");
		CHECK(jv_is(v, JV_ARRAY) && v->n == 3);
		CHECK(jv_is(jv_array_get(v, 0), JV_INTEGER) && jv_int(&d, jv_array_get(v, 0)) == 1);
		CHECK_EQ_STR(jv_str(&d, jv_array_get(v, 2)), "s\xc3\xa9");
		CHECK(jv_array_get(v, 3) == NULL);
		CHECK(jv_int(&d, jv_object_get(&d, d.v, "b")) == -7);
		CHECK(jv_is(jv_object_get(&d, d.v, "c"), JV_NULL));
		CHECK(jv_is(jv_object_get(&d, d.v, "d"), JV_REAL));
		CHECK(jv_object_get(&d, d.v, "e") == NULL);
		k = 0;
		jv_object_foreach(&d, d.v, i, key, e)
			k = k * 10 + (size_t)(key[0] - 'a' + 1);
		CHECK_EQ_INT(k, 1234);
		char buf[64];

		jv_fmt(&d, d.v, buf, sizeof(buf));
		CHECK_EQ_STR(buf, "{\"a\":[1,{\"x\":[2,3]},\"s\\u00E9\"],\"b\":-7,\"c\":null,\"d\":1.5}");
		jv_fmt(&d, d.v, buf, 20);
		CHECK_EQ_STR(buf, "{\"a\":[1,{\"x\":[2,...");
	}
	jdoc_free(&d);
	/* A long string is quoted from its head, never cut inside a character. */
	char text[1100], buf[161];

	strcpy(text, "[\"");
	for (i = 0; i < 500; i++)
		strcat(text, "\xc3\xa9");
	strcat(text, "\"]");
	if (CHECK(jdoc_load(&d, text, strlen(text), &err) == 0)) {
		jv_fmt(&d, d.v + 1, buf, sizeof(buf));
		CHECK_EQ_INT(strlen(buf), 160);
		CHECK(!strncmp(buf, "\"\\u00E9\\u00E9", 13));
		CHECK(!strcmp(buf + 157, "..."));
	}
	jdoc_free(&d);
}

static void test_types_and_fields(void)
{
	expect_error("{\"schema\": \"1\", " DOC_NODES "}", ".schema", "expected integer");
	expect_error("{\"schema\": 1.0, " DOC_NODES "}", ".schema", "expected integer");
	expect_error("{\"network\": [], " DOC_NODES "}", ".network", "expected object");
	expect_error("{\"network\": {\"mode\": null}, " DOC_NODES "}", ".network.mode", "expected string");
	expect_error("{\"network\": {\"nodeCIDRMaskSize\": true}, " DOC_NODES "}",
		     ".network.nodeCIDRMaskSize", "expected integer");
	expect_error("{\"network\": {\"vpccidr\": \"10.0.0.0/8\"}, " DOC_NODES "}",
		     ".network.vpccidr", "unknown field");
	expect_error("{\"nodes\": [\"node-1\"]}", ".nodes[0]", "expected object");
	expect_error("{\"nodes\": [{\"name\": \"a\", \"labels\": {}}]}", ".nodes[0].labels", "unknown field");
	expect_error("{\"nodes\": [{\"ip\": \"172.18.0.9\"}]}", ".nodes[0]", "missing required field \"name\"");
	expect_error("{" DOC_NODES ", \"pods\": [{\"name\": \"a\", \"node\": \"node-1\", "
		     "\"containers\": [{\"name\": \"c\", \"ports\": [{\"port\": 80}]}]}]}",
		     ".pods[0].containers[0].ports[0].port", "unknown field");
	expect_error("{" DOC_NODES ", \"pods\": [{\"name\": \"a\", \"node\": \"node-1\", "
		     "\"containers\": [{\"name\": \"c\", \"ports\": [{\"name\": \"x\"}]}]}]}",
		     ".pods[0].containers[0].ports[0]", "missing required field \"containerPort\"");
	expect_error("{" DOC_NODES ", \"pods\": [{\"name\": \"a\", \"node\": \"node-1\"}]}",
		     ".pods[0]", "missing required field \"containers\"");
	expect_error("{" DOC_NODES ", \"pods\": [{\"name\": \"a\", \"node\": \"node-1\", "
		     "\"containers\": [{\"name\": \"c\", \"ports\": [{\"containerPort\": 80, \"protocol\": \"tcp\"}]}]}]}",
		     ".pods[0].containers[0].ports[0].protocol", "unknown protocol");
	expect_error("{" DOC_NODES ", \"pods\": [{\"name\": \"a\", \"node\": \"node-1\", "
		     "\"containers\": [{\"name\": \"c\", \"ports\": [{\"containerPort\": -1}]}]}]}",
		     ".pods[0].containers[0].ports[0].containerPort", "must be 1..65535");
	expect_error("{" DOC_NODES ", \"pods\": {}}", ".pods", "expected array");
	/* the first error in document order wins */
	expect_error("{\"bogus\": 1, \"nodes\": []}", ".bogus", "unknown field");
	expect_error("{\"nodes\": [], \"bogus\": 1}", ".nodes", "at least one node");
}

static void test_error_values(void)
{
	char doc[2048], key[600];
	struct topo_error err;
	struct topo t;

	/* Values are quoted JSON text; long ones end in "...", never overflow. */
	memset(key, 'x', 500);
	key[500] = '\0';
	snprintf(doc, sizeof(doc), "{\"nodes\": [{\"name\": \"%s\"}]}", key);
	CHECK(parse_str(&t, doc, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".nodes[0].name");
	CHECK(strlen(err.value) == sizeof(err.value) - 1);
	CHECK(err.value[0] == '"');
	CHECK(has_suffix(err.value, "..."));
	/* A long unknown key truncates the path the same way. */
	snprintf(doc, sizeof(doc), "{\"nodes\": [{\"name\": \"a\", \"%s\": 1}]}", key);
	CHECK(parse_str(&t, doc, &err) == -EINVAL);
	CHECK(strlen(err.path) == sizeof(err.path) - 1);
	CHECK(has_suffix(err.path, "..."));
	CHECK(!strncmp(err.path, ".nodes[0].xxx", 13));
	CHECK_EQ_STR(err.msg, "unknown field");
	/* Quotes and control characters in a value stay escaped. */
	CHECK(parse_str(&t, "{\"nodes\": [{\"name\": \"a\\\"b\\n\"}]}", &err) == -EINVAL);
	CHECK_EQ_STR(err.value, "\"a\\\"b\\n\"");
	/* Odd keys are quoted in the path. */
	CHECK(parse_str(&t, "{\"nodes\": [{\"name\": \"a\", \"na me\": 1}]}", &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".nodes[0][\"na me\"]");
	/* Objects are dumped compactly. */
	CHECK(parse_str(&t, "{\"nodes\": [{\"name\": {\"a\": [1, 2]}}]}", &err) == -EINVAL);
	CHECK_EQ_STR(err.value, "{\"a\":[1,2]}");
	CHECK_EQ_STR(err.msg, "expected string");
	/* A NULL error record is allowed. */
	CHECK(parse_str(&t, "{}", NULL) == -EINVAL);
}

static void test_names(void)
{
	char s63[64], s64[65], sub[300];

	memset(s63, 'a', 63);
	s63[63] = '\0';
	memset(s64, 'a', 64);
	s64[64] = '\0';
	CHECK(topo_is_dns1123_label("a"));
	CHECK(topo_is_dns1123_label("node-1"));
	CHECK(topo_is_dns1123_label("1node"));
	CHECK(topo_is_dns1123_label(s63));
	CHECK(!topo_is_dns1123_label(s64));
	CHECK(!topo_is_dns1123_label(""));
	CHECK(!topo_is_dns1123_label(NULL));
	CHECK(!topo_is_dns1123_label("-a"));
	CHECK(!topo_is_dns1123_label("a-"));
	CHECK(!topo_is_dns1123_label("A"));
	CHECK(!topo_is_dns1123_label("a.b"));
	CHECK(!topo_is_dns1123_label("a_b"));
	CHECK(topo_is_dns1123_subdomain("cluster.local"));
	CHECK(topo_is_dns1123_subdomain("a"));
	CHECK(topo_is_dns1123_subdomain("a-1.b-2.c"));
	CHECK(!topo_is_dns1123_subdomain("a..b"));
	CHECK(!topo_is_dns1123_subdomain(".a"));
	CHECK(!topo_is_dns1123_subdomain("a."));
	CHECK(!topo_is_dns1123_subdomain("a.-b"));
	CHECK(!topo_is_dns1123_subdomain(""));
	CHECK(!topo_is_dns1123_subdomain("Cluster.local"));
	snprintf(sub, sizeof(sub), "%s.%s", s64, "b");
	CHECK(!topo_is_dns1123_subdomain(sub));
	memset(sub, 'a', 253);
	for (int i = 63; i < 253; i += 64)
		sub[i] = '.';
	sub[253] = '\0';
	CHECK(topo_is_dns1123_subdomain(sub));
	sub[253] = 'a';
	sub[254] = '\0';
	CHECK(!topo_is_dns1123_subdomain(sub));

	CHECK_EQ_STR(topo_mode_name(TOPO_MODE_ROUTED), "routed");
	CHECK_EQ_STR(topo_mode_name(TOPO_MODE_VXLAN), "vxlan");
	CHECK_EQ_STR(topo_mode_name(TOPO_MODE_VPC), "vpc");
	CHECK_EQ_STR(topo_proto_name(TOPO_PROTO_TCP), "TCP");
	CHECK_EQ_STR(topo_proto_name(TOPO_PROTO_UDP), "UDP");
	enum topo_mode m = TOPO_MODE_ROUTED;
	CHECK(topo_mode_parse("vpc", &m) == 0 && m == TOPO_MODE_VPC);
	CHECK(topo_mode_parse("vxlan", &m) == 0 && m == TOPO_MODE_VXLAN);
	CHECK(topo_mode_parse("VPC", &m) == -EINVAL);
	CHECK(topo_mode_parse("", &m) == -EINVAL);
	CHECK(topo_mode_parse(NULL, &m) == -EINVAL);
}

static void test_label_and_port_names(void)
{
	static const char *const good_keys[] = { "app", "app.kubernetes.io/name", "k8s-app",
		"a_b.c-D", "example.com/Tier_1", "A" };
	static const char *const bad_keys[] = { "-app", "app-", "/app", "example.com/", "a/b/c",
		"Example.com/app", "a b", "é" };
	static const char *const good_values[] = { "", "web", "Web_1.x-y", "0" };
	static const char *const bad_values[] = { "-web", "web ", "a/b", "_x" };
	static const char *const good_ports[] = { "http", "a", "dns-tcp", "h2c", "abcdefghijklmno" };
	static const char *const bad_ports[] = { "HTTP", "8080", "-http", "http-", "ht--tp",
		"abcdefghijklmnop", "h_p" };
	char doc[512];
	struct topo_error err;
	struct topo t;
	size_t i;

#define POD_DOC(labels, port) \
	"{" DOC_NODES ", \"pods\": [{\"name\": \"a\", \"node\": \"node-1\", \"labels\": " labels \
	", \"containers\": [{\"name\": \"c\", \"ports\": [{\"name\": \"" port "\", \"containerPort\": 80}]}]}]}"
	for (i = 0; i < sizeof(good_keys) / sizeof(*good_keys); i++) {
		snprintf(doc, sizeof(doc), POD_DOC("{\"%s\": \"v\"}", "p"), good_keys[i]);
		if (CHECKF(load_str(&t, doc, &err) == 0, "key %s: %s", good_keys[i], err.msg))
			topo_free(&t);
	}
	for (i = 0; i < sizeof(bad_keys) / sizeof(*bad_keys); i++) {
		snprintf(doc, sizeof(doc), POD_DOC("{\"%s\": \"v\"}", "p"), bad_keys[i]);
		CHECKF(load_str(&t, doc, &err) == -EINVAL && strstr(err.msg, "label key"),
		       "key %s", bad_keys[i]);
	}
	for (i = 0; i < sizeof(good_values) / sizeof(*good_values); i++) {
		snprintf(doc, sizeof(doc), POD_DOC("{\"k\": \"%s\"}", "p"), good_values[i]);
		if (CHECKF(load_str(&t, doc, &err) == 0, "value %s: %s", good_values[i], err.msg))
			topo_free(&t);
	}
	for (i = 0; i < sizeof(bad_values) / sizeof(*bad_values); i++) {
		snprintf(doc, sizeof(doc), POD_DOC("{\"k\": \"%s\"}", "p"), bad_values[i]);
		CHECKF(load_str(&t, doc, &err) == -EINVAL && strstr(err.msg, "label value") &&
		       !strcmp(err.path, ".pods[0].labels.k"), "value %s", bad_values[i]);
	}
	for (i = 0; i < sizeof(good_ports) / sizeof(*good_ports); i++) {
		snprintf(doc, sizeof(doc), POD_DOC("{}", "%s"), good_ports[i]);
		if (CHECKF(load_str(&t, doc, &err) == 0, "port %s: %s", good_ports[i], err.msg))
			topo_free(&t);
	}
	for (i = 0; i < sizeof(bad_ports) / sizeof(*bad_ports); i++) {
		snprintf(doc, sizeof(doc), POD_DOC("{}", "%s"), bad_ports[i]);
		CHECKF(load_str(&t, doc, &err) == -EINVAL && strstr(err.msg, "port name"),
		       "port %s", bad_ports[i]);
	}
#undef POD_DOC
	/* Pod names are subdomains, capped at 63 by podpath. */
	expect_error("{" DOC_NODES ", \"pods\": [{\"name\": \"a..b\", \"node\": \"node-1\", "
		     "\"containers\": [{\"name\": \"c\"}]}]}", ".pods[0].name", "not a valid pod name");
	if (CHECK(load_str(&t, "{" DOC_NODES ", \"pods\": [{\"name\": \"db-0.primary\", "
			   "\"node\": \"node-1\", \"containers\": [{\"name\": \"c\"}]}]}", &err) == 0))
		topo_free(&t);
}

/* An image's ports count whether or not the document lists them. */
static void test_image_ports(void)
{
	struct topo_error err;
	struct topo t;

#define CT_DOC(cts) \
	"{" DOC_NODES ", \"pods\": [{\"name\": \"a\", \"node\": \"node-1\", \"containers\": [" cts "]}]}"
	expect_error(CT_DOC("{\"name\": \"r\", \"ports\": [{\"containerPort\": 53, \"protocol\": \"UDP\"}]},"
			    "{\"name\": \"d\", \"image\": \"dnsmasq\"}"),
		     ".pods[0].containers[1].image",
		     "dnsmasq listens on 53/UDP, already used by container \"r\" in this pod");
	expect_error(CT_DOC("{\"name\": \"r\", \"ports\": [{\"containerPort\": 53}]},"
			    "{\"name\": \"d\", \"image\": \"dnsmasq\"}"),
		     ".pods[0].containers[1].image", "dnsmasq listens on 53/TCP");
	expect_error(CT_DOC("{\"name\": \"n\", \"image\": \"nginx\"},"
			    "{\"name\": \"r\", \"ports\": [{\"containerPort\": 443}]}"),
		     ".pods[0].containers[1].ports[0].containerPort",
		     "port 443/TCP already used by container \"n\" in this pod (nginx listens on it unlisted");
	expect_error(CT_DOC("{\"name\": \"n\", \"image\": \"nginx\"}, {\"name\": \"m\", \"image\": \"nginx\"}"),
		     ".pods[0].containers[1].image", "nginx listens on 80/TCP");
	/* Listed by the image's own container, or on other ports: fine. */
	if (CHECK(load_str(&t, CT_DOC("{\"name\": \"d\", \"image\": \"dnsmasq\", \"ports\": "
				      "[{\"containerPort\": 53, \"protocol\": \"UDP\"}]},"
				      "{\"name\": \"n\", \"image\": \"nginx\"},"
				      "{\"name\": \"r\", \"ports\": [{\"containerPort\": 8080}, "
				      "{\"containerPort\": 80, \"protocol\": \"UDP\"}]}"), &err) == 0))
		topo_free(&t);
#undef CT_DOC
}

/* The cluster domain: room for the longest name its DNS serves, and no
 * internet or Ingress host at or under it. */
static void test_cluster_domain(void)
{
#define LONG_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"	/* 63 */
	char doc[512], dom[128];
	struct topo_error err;
	struct topo t;

	/* 99 characters: _PORT._PROTO.SVC.NS.svc. of 154 still fits 253. */
	snprintf(dom, sizeof(dom), "%.63s.%.35s", LONG_A, LONG_A);
	snprintf(doc, sizeof(doc), "{\"network\": {\"clusterDomain\": \"%s\"}, " DOC_NODES "}", dom);
	if (CHECKF(load_str(&t, doc, &err) == 0, "%s", err.msg))
		topo_free(&t);
	snprintf(dom, sizeof(dom), "%.63s.%.36s", LONG_A, LONG_A);
	snprintf(doc, sizeof(doc), "{\"network\": {\"clusterDomain\": \"%s\"}, " DOC_NODES "}", dom);
	expect_error(doc, ".network.clusterDomain", "too long: at most 99 characters");
	/* A parent of a host shadows it; a child of one hides nothing. */
	expect_error("{\"network\": {\"clusterDomain\": \"com\"}, " DOC_NODES "}",
		     ".network.clusterDomain", "shadows internet host \"example.com\"");
	if (CHECK(load_str(&t, "{\"network\": {\"clusterDomain\": \"cluster.example.com\"}, "
			   DOC_NODES "}", &err) == 0))
		topo_free(&t);
	/* Only whole labels count: notexample.com is not under example.com. */
	if (CHECK(load_str(&t, "{\"network\": {\"clusterDomain\": \"local\"}, " DOC_NODES ", "
			   "\"internet\": {\"hosts\": [{\"name\": \"notlocal\"}]}}", &err) == 0))
		topo_free(&t);
	expect_error("{\"network\": {\"clusterDomain\": \"local\"}, " DOC_NODES ", "
		     "\"internet\": {\"hosts\": [{\"name\": \"a.local\"}]}}",
		     ".network.clusterDomain", "shadows internet host \"a.local\" (.internet.hosts[0].name)");
#undef LONG_A
}

static void test_ipam(void)
{
	struct topo_error err;
	struct topo t;

	/* Given addresses are skipped, whatever their position in the document. */
	if (CHECK(load_str(&t, "{\"nodes\": [{\"name\": \"a\"}, {\"name\": \"b\", \"ip\": \"172.18.0.2\"}, "
			   "{\"name\": \"c\"}], \"pods\": ["
			   "{\"name\": \"p1\", \"node\": \"a\", \"containers\": [{\"name\": \"c\"}]},"
			   "{\"name\": \"p2\", \"node\": \"a\", \"ip\": \"10.244.1.2\", \"containers\": [{\"name\": \"c\"}]},"
			   "{\"name\": \"p3\", \"node\": \"a\", \"containers\": [{\"name\": \"c\"}]}]}", &err) == 0)) {
		CHECK_EQ_INT(t.nodes[0].ip, ip("172.18.0.3"));
		CHECK_EQ_INT(t.nodes[1].ip, ip("172.18.0.2"));
		CHECK_EQ_INT(t.nodes[2].ip, ip("172.18.0.4"));
		CHECK_EQ_INT(t.pods[0].ip, ip("10.244.1.3"));
		CHECK_EQ_INT(t.pods[1].ip, ip("10.244.1.2"));
		CHECK_EQ_INT(t.pods[2].ip, ip("10.244.1.4"));
		CHECK_EQ_INT(t.nodes[0].npods, 3);
		CHECK_EQ_INT(t.nodes[1].npods, 0);
		topo_free(&t);
	}
	/* A given podCIDR is skipped by the block walk, even a large one. */
	if (CHECK(load_str(&t, "{\"nodes\": [{\"name\": \"a\", \"podCIDR\": \"10.244.0.0/20\"}, "
			   "{\"name\": \"b\"}, {\"name\": \"c\", \"podCIDR\": \"10.244.17.0/24\"}, {\"name\": \"d\"}]}",
			   &err) == 0)) {
		CHECK(cidr_eq(t.nodes[1].pod_cidr, pfx("10.244.16.0/24")));
		CHECK(cidr_eq(t.nodes[3].pod_cidr, pfx("10.244.18.0/24")));
		CHECK_EQ_INT(t.nodes[1].gw, ip("10.244.16.1"));
		topo_free(&t);
	}
	/* Block 0 is the last resort. */
	if (CHECK(load_str(&t, "{\"network\": {\"clusterCIDR\": \"10.244.0.0/23\"}, "
			   "\"nodes\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}", &err) == 0)) {
		CHECK(cidr_eq(t.nodes[0].pod_cidr, pfx("10.244.1.0/24")));
		CHECK(cidr_eq(t.nodes[1].pod_cidr, pfx("10.244.0.0/24")));
		topo_free(&t);
	}
	/* A /8 cut into /30 blocks, most of it given: the walk must stay fast. */
	if (CHECK(load_str(&t, "{\"network\": {\"clusterCIDR\": \"10.0.0.0/8\", \"serviceCIDR\": \"172.20.0.0/16\", "
			   "\"nodeCIDRMaskSize\": 30}, \"nodes\": [{\"name\": \"a\", \"podCIDR\": \"10.0.0.0/9\"}, "
			   "{\"name\": \"b\"}, {\"name\": \"c\", \"podCIDR\": \"10.128.0.4/30\"}, {\"name\": \"d\"}], "
			   "\"pods\": [{\"name\": \"x\", \"node\": \"b\", \"containers\": [{\"name\": \"c\"}]}]}",
			   &err) == 0)) {
		CHECK(cidr_eq(t.nodes[1].pod_cidr, pfx("10.128.0.0/30")));
		CHECK(cidr_eq(t.nodes[3].pod_cidr, pfx("10.128.0.8/30")));
		CHECK_EQ_INT(t.pods[0].ip, ip("10.128.0.2"));
		topo_free(&t);
	}
	/* Files of tests/topologies/good with known answers. */
	{
		size_t len;
		char *buf = read_file(TOPO_DIR "/good/fixed-ips.json", &len);

		if (CHECK(buf != NULL) && CHECK(load_str(&t, buf, &err) == 0)) {
			CHECK_EQ_INT(topo_pod_find(&t, NULL, "pinned")->ip, ip("10.244.7.2"));
			CHECK_EQ_INT(topo_pod_find(&t, NULL, "auto-1")->ip, ip("10.244.1.3"));
			CHECK_EQ_INT(topo_pod_find(&t, NULL, "auto-2")->ip, ip("10.244.1.2"));
			CHECK_EQ_INT(topo_pod_find(&t, NULL, "auto-3")->ip, ip("10.244.7.3"));
			CHECK_EQ_INT(topo_pod_find(&t, NULL, "auto-4")->ip, ip("10.244.0.2"));
			CHECK_EQ_INT(t.nodes[2].ip, ip("172.18.0.2"));
			CHECK_EQ_INT(t.nodes[3].ip, ip("172.18.0.4"));
			CHECK(cidr_eq(t.nodes[0].pod_cidr, pfx("10.244.1.0/24")));
			CHECK(cidr_eq(t.nodes[3].pod_cidr, pfx("10.244.2.0/24")));
			topo_free(&t);
		}
		free(buf);
		buf = read_file(TOPO_DIR "/good/vpc.json", &len);
		if (CHECK(buf != NULL) && CHECK(load_str(&t, buf, &err) == 0)) {
			CHECK_EQ_INT(t.nodes[1].ip, ip("172.31.0.2"));
			CHECK_EQ_INT(t.pods[0].ip, ip("172.31.0.40"));
			CHECK_EQ_INT(t.pods[1].ip, ip("172.31.0.33"));
			CHECK_EQ_INT(t.pods[2].ip, ip("172.31.0.32"));
			CHECK_EQ_INT(t.pods[3].ip, ip("172.31.0.34"));
			CHECK_EQ_INT(t.nodes[0].gw, ip("169.254.1.1"));
			CHECK_EQ_INT(t.nodes[0].npods, 2);
			topo_free(&t);
		}
		free(buf);
	}
	/* The VPC pool's last address is its broadcast. */
	expect_error("{\"network\": {\"mode\": \"vpc\"}, " DOC_NODES ", \"pods\": [{\"name\": \"a\", "
		     "\"node\": \"node-1\", \"ip\": \"172.18.0.255\", \"containers\": [{\"name\": \"c\"}]}]}",
		     ".pods[0].ip", "broadcast");
	expect_error("{" DOC_NODES ", \"pods\": [{\"name\": \"a\", \"node\": \"node-1\", "
		     "\"ip\": \"10.244.1.255\", \"containers\": [{\"name\": \"c\"}]}]}", ".pods[0].ip", "broadcast");
	expect_error("{" DOC_NODES ", \"pods\": [{\"name\": \"a\", \"node\": \"node-1\", "
		     "\"ip\": \"10.244.1.0\", \"containers\": [{\"name\": \"c\"}]}]}", ".pods[0].ip", "network address");
	expect_error("{\"nodes\": [{\"name\": \"a\", \"ip\": \"172.18.0.0\"}]}", ".nodes[0].ip", "network address");
}

/* A failed resolve leaves the model as it was; mode checks follow the mode. */
static void test_resolve_atomic(void)
{
	static const char doc[] = "{\"nodes\": [{\"name\": \"a\", \"podCIDR\": \"10.244.5.0/24\"}, {\"name\": \"b\"}], "
		"\"pods\": [{\"name\": \"p\", \"node\": \"b\", \"containers\": [{\"name\": \"c\"}]}]}";
	struct topo_error err;
	struct topo t;

	if (!CHECK(parse_str(&t, doc, &err) == 0))
		return;
	t.net.mode = TOPO_MODE_VPC;
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".nodes[0].podCIDR");
	CHECK_HAS_STR(err.msg, "vpc mode");
	CHECK(t.nodes[1].ip == 0 && t.pods[0].ip == 0 && t.nodes[1].pod_cidr.len == 0);
	t.net.mode = TOPO_MODE_ROUTED;
	if (CHECK(topo_resolve(&t, &err) == 0)) {
		CHECK(cidr_eq(t.nodes[1].pod_cidr, pfx("10.244.1.0/24")));
		CHECK_EQ_INT(t.pods[0].ip, ip("10.244.1.2"));
		CHECK(err.path[0] == '\0' && err.msg[0] == '\0');
	}
	/* A model built by code is checked too. */
	t.pods[0].node = 7;
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".pods[0].node");
	t.pods[0].node = 1;
	t.net.node_mask = 8;
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".network.nodeCIDRMaskSize");
	t.net.node_mask = 24;
	t.net.cluster_cidr.addr |= 1;
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_HAS_STR(err.msg, "host bits set");
	topo_free(&t);
}

static void test_order(void)
{
	struct topo_error err;
	struct topo t;

	/* Pods may come before the nodes they name. */
	if (CHECK(load_str(&t, "{\"pods\": [{\"name\": \"a\", \"node\": \"n\", \"containers\": [{\"name\": \"c\"}]}], "
			   "\"nodes\": [{\"name\": \"n\"}]}", &err) == 0))
		topo_free(&t);
	/* Duplicates are reported at the later occurrence, the earliest such. */
	expect_error("{" DOC_NODES ", \"pods\": ["
		     "{\"name\": \"x\", \"node\": \"node-1\", \"containers\": [{\"name\": \"c\"}]},"
		     "{\"name\": \"y\", \"node\": \"node-1\", \"containers\": [{\"name\": \"c\"}]},"
		     "{\"name\": \"y\", \"node\": \"node-1\", \"containers\": [{\"name\": \"c\"}]},"
		     "{\"name\": \"x\", \"node\": \"node-1\", \"containers\": [{\"name\": \"c\"}]}]}",
		     ".pods[2]", "duplicate pod: .pods[1]");
	/* Same name in different namespaces is fine. */
	if (CHECK(load_str(&t, "{" DOC_NODES ", \"pods\": ["
			   "{\"name\": \"x\", \"node\": \"node-1\", \"containers\": [{\"name\": \"c\"}]},"
			   "{\"namespace\": \"other\", \"name\": \"x\", \"node\": \"node-1\", \"containers\": [{\"name\": \"c\"}]}]}",
			   &err) == 0)) {
		CHECK(topo_pod_find(&t, "other", "x") == &t.pods[1]);
		topo_free(&t);
	}
	/* Same port number with another protocol is fine. */
	if (CHECK(load_str(&t, "{" DOC_NODES ", \"pods\": [{\"name\": \"x\", \"node\": \"node-1\", \"containers\": ["
			   "{\"name\": \"a\", \"ports\": [{\"containerPort\": 53}]},"
			   "{\"name\": \"b\", \"ports\": [{\"containerPort\": 53, \"protocol\": \"UDP\"}]}]}]}",
			   &err) == 0))
		topo_free(&t);
}

/* ---- Services ---- */

/* The Services of tests/topologies/good/services.json, by name. */
static const struct topo_service *svc(const struct topo *t, const char *ns, const char *name)
{
	const struct topo_service *s = topo_service_find(t, ns, name);

	CHECKF(s != NULL, "no Service %s/%s", ns ? ns : "default", name);
	return s;
}

static const char *ep_pod(const struct topo *t, const struct topo_service *s, size_t e)
{
	return e < s->nendpoints ? t->pods[s->endpoints[e].pod].name : "(none)";
}

static void test_services_file(void)
{
	const struct topo_service *s;
	struct topo_error err;
	struct topo t;
	size_t len;
	char *buf = read_file(TOPO_DIR "/good/services.json", &len);

	if (!CHECK(buf != NULL))
		return;
	if (!CHECKF(load_str(&t, buf, &err) == 0, "%s: %s %s", err.path, err.value, err.msg))
		goto out;
	CHECK_EQ_INT(t.nservices, 7);
	/* Named targetPort: per pod, from the container port of that name and
	 * protocol; 0 where the pod has none. */
	if ((s = svc(&t, NULL, "web"))) {
		CHECK_EQ_INT(s->cluster_ip, ip("10.96.0.1"));
		CHECK_EQ_STR(s->ports[1].target_name, "metrics");
		if (CHECK(s->nendpoints == 3)) {
			CHECK_EQ_STR(ep_pod(&t, s, 0), "web-1");
			CHECK_EQ_STR(ep_pod(&t, s, 1), "web-2");
			CHECK_EQ_STR(ep_pod(&t, s, 2), "web-canary");
			CHECK_EQ_INT(s->endpoints[0].port[0], 8080);
			CHECK_EQ_INT(s->endpoints[0].port[1], 9090);
			CHECK_EQ_INT(s->endpoints[1].port[0], 8081);
			CHECK_EQ_INT(s->endpoints[1].port[1], 0);
			CHECK_EQ_INT(s->endpoints[2].port[0], 8080);
		}
	}
	/* kube-dns gets the tenth address; the name is looked up per protocol. */
	if ((s = svc(&t, "kube-system", "kube-dns"))) {
		CHECK_EQ_INT(s->cluster_ip, topo_dns_ip(&t));
		CHECK_EQ_INT(s->cluster_ip, ip("10.96.0.10"));
		CHECK(s->nendpoints == 1 && s->endpoints[0].port[0] == 53 &&
		      s->endpoints[0].port[1] == 53);
		CHECK(s->ports[0].proto == TOPO_PROTO_UDP && s->ports[1].proto == TOPO_PROTO_TCP);
	}
	/* NodePort: the given one is kept, the others from 30000 up, skipping it;
	 * ClientIP affinity without a config takes the Kubernetes default. */
	if ((s = svc(&t, NULL, "web-front"))) {
		CHECK(s->type == TOPO_SVC_NODEPORT);
		CHECK_EQ_STR(topo_svc_type_name(s->type), "NodePort");
		/* 10.96.0.2 is given to web-lb, later in the file */
		CHECK_EQ_INT(s->cluster_ip, ip("10.96.0.3"));
		CHECK_EQ_INT(s->ports[0].node_port, 30000);
		CHECK_EQ_INT(s->ports[1].node_port, 30001);
		CHECK_EQ_INT(s->ports[1].target_port, 8080);
		CHECK(s->affinity && s->affinity_timeout == TOPO_AFFINITY_DEFAULT);
		CHECK(s->nendpoints == 2 && s->endpoints[1].port[0] == 8080);
	}
	if ((s = svc(&t, NULL, "web-lb"))) {
		CHECK(s->type == TOPO_SVC_LOADBALANCER);
		CHECK_EQ_STR(topo_svc_type_name(s->type), "LoadBalancer");
		CHECK_EQ_INT(s->cluster_ip, ip("10.96.0.2"));
		CHECK_EQ_INT(s->ports[0].node_port, 30002);
		CHECK(s->affinity && s->affinity_timeout == 60);
		CHECK(s->nendpoints == 3 && s->endpoints[1].port[0] == 8081);
	}
	/* Headless: no clusterIP, endpoints all the same. */
	if ((s = svc(&t, "db", "db"))) {
		CHECK(s->type == TOPO_SVC_HEADLESS);
		CHECK_EQ_STR(topo_svc_type_name(s->type), "ClusterIP");
		CHECK_EQ_INT(s->cluster_ip, 0);
		CHECK(s->nendpoints == 1 && s->endpoints[0].port[0] == 5432);
		CHECK_EQ_STR(ep_pod(&t, s, 0), "db-0");
	}
	/* No selector, or one nothing matches: no endpoints. */
	if ((s = svc(&t, NULL, "external"))) {
		CHECK(s->nselector == 0 && s->nendpoints == 0 && s->endpoints == NULL);
		CHECK_EQ_INT(s->cluster_ip, ip("10.96.0.4"));
		CHECK_EQ_INT(s->ports[0].target_port, 443);
	}
	if ((s = svc(&t, NULL, "nobody")))
		CHECK(s->nselector == 1 && s->nendpoints == 0);
	CHECK_EQ_STR(topo_svc_type_name((enum topo_svc_type)9), "?");
	topo_free(&t);
out:
	free(buf);
}

#define SVC_POD "{\"name\": \"w\", \"node\": \"node-1\", \"labels\": {\"app\": \"w\"}, " \
	"\"containers\": [{\"name\": \"c\", \"ports\": [{\"name\": \"http\", \"containerPort\": 8080}]}]}"
#define SVC_DOC(services) "{" DOC_NODES ", \"pods\": [" SVC_POD "], \"services\": [" services "]}"

static void test_services_ipam(void)
{
	struct topo_error err;
	struct topo t;
	char *doc, *p;
	size_t i, k, cap = 1 << 20;

	/* kube-dns with a clusterIP of its own: the tenth address stays free. */
	if (CHECK(load_str(&t, SVC_DOC(
			   "{\"name\": \"a\", \"clusterIP\": \"10.96.0.9\", \"ports\": [{\"port\": 1}]},"
			   "{\"namespace\": \"kube-system\", \"name\": \"kube-dns\", \"clusterIP\": \"10.96.0.53\", "
			   "\"ports\": [{\"port\": 53}]},"
			   "{\"name\": \"b\", \"ports\": [{\"port\": 1}]}"), &err) == 0)) {
		CHECK_EQ_INT(t.services[1].cluster_ip, ip("10.96.0.53"));
		CHECK_EQ_INT(t.services[2].cluster_ip, ip("10.96.0.1"));
		/* ... and it, not the tenth, is what resolv.conf names. */
		CHECK_EQ_INT(topo_dns_ip(&t), ip("10.96.0.53"));
		topo_free(&t);
	}
	/* ... so another Service may take the tenth itself. */
	if (CHECK(load_str(&t, SVC_DOC(
			   "{\"name\": \"ten\", \"clusterIP\": \"10.96.0.10\", \"ports\": [{\"port\": 1}]},"
			   "{\"namespace\": \"kube-system\", \"name\": \"kube-dns\", \"clusterIP\": \"10.96.0.53\", "
			   "\"ports\": [{\"port\": 53}]}"), &err) == 0)) {
		CHECK_EQ_INT(t.services[0].cluster_ip, ip("10.96.0.10"));
		topo_free(&t);
	}
	/* Ten Services without kube-dns: the tenth address is skipped. */
	if (CHECK(load_str(&t, SVC_DOC(
			   "{\"name\": \"s1\", \"ports\": [{\"port\": 1}]}, {\"name\": \"s2\", \"ports\": [{\"port\": 1}]},"
			   "{\"name\": \"s3\", \"ports\": [{\"port\": 1}]}, {\"name\": \"s4\", \"ports\": [{\"port\": 1}]},"
			   "{\"name\": \"s5\", \"ports\": [{\"port\": 1}]}, {\"name\": \"s6\", \"ports\": [{\"port\": 1}]},"
			   "{\"name\": \"s7\", \"ports\": [{\"port\": 1}]}, {\"name\": \"s8\", \"ports\": [{\"port\": 1}]},"
			   "{\"name\": \"s9\", \"ports\": [{\"port\": 1}]}, {\"name\": \"s10\", \"ports\": [{\"port\": 1}]}"),
			   &err) == 0)) {
		CHECK_EQ_INT(t.services[8].cluster_ip, ip("10.96.0.9"));
		CHECK_EQ_INT(t.services[9].cluster_ip, ip("10.96.0.11"));
		check_roundtrip(&t, "ten services");
		topo_free(&t);
	}
	/* NodePorts: Service and port order, skipping given ones anywhere. */
	if (CHECK(load_str(&t, SVC_DOC(
			   "{\"name\": \"a\", \"type\": \"NodePort\", \"ports\": [{\"name\": \"x\", \"port\": 1}, "
			   "{\"name\": \"y\", \"port\": 2, \"nodePort\": 30001}, {\"name\": \"z\", \"port\": 3}]},"
			   "{\"name\": \"c\", \"ports\": [{\"port\": 1}]},"
			   "{\"name\": \"b\", \"type\": \"LoadBalancer\", \"ports\": [{\"name\": \"t\", \"port\": 1}, "
			   "{\"name\": \"u\", \"port\": 1, \"protocol\": \"UDP\", \"nodePort\": 30002}]}"), &err) == 0)) {
		CHECK_EQ_INT(t.services[0].ports[0].node_port, 30000);
		CHECK_EQ_INT(t.services[0].ports[1].node_port, 30001);
		CHECK_EQ_INT(t.services[0].ports[2].node_port, 30003);
		CHECK_EQ_INT(t.services[1].ports[0].node_port, 0);
		CHECK_EQ_INT(t.services[2].ports[0].node_port, 30004);
		CHECK_EQ_INT(t.services[2].ports[1].node_port, 30002);
		check_roundtrip(&t, "node ports");
		topo_free(&t);
	}
	/* Every nodePort taken: 173 Services of 16 ports use 2768, the range. */
	doc = malloc(cap);
	if (!CHECK(doc != NULL))
		return;
	p = doc + sprintf(doc, "{" DOC_NODES ", \"services\": [");
	for (i = 0; i < 174; i++) {
		p += sprintf(p, "%s{\"name\": \"s%zu\", \"type\": \"NodePort\", \"ports\": [", i ? "," : "", i);
		for (k = 0; k < 16; k++)
			p += sprintf(p, "%s{\"name\": \"p%c\", \"port\": %zu}", k ? "," : "",
				     (char)('a' + k), k + 1);
		p += sprintf(p, "]}");
	}
	sprintf(p, "]}");
	expect_error(doc, ".services[173]", "no free nodePort left in 30000..32767 for .ports[0]");
	free(doc);
	/* Session affinity. */
	if (CHECK(load_str(&t, SVC_DOC(
			   "{\"name\": \"a\", \"sessionAffinity\": \"ClientIP\", \"sessionAffinityConfig\": "
			   "{\"clientIP\": {\"timeoutSeconds\": 86400}}, \"ports\": [{\"port\": 1}]},"
			   "{\"name\": \"b\", \"sessionAffinityConfig\": {\"clientIP\": {}}, "
			   "\"sessionAffinity\": \"ClientIP\", \"ports\": [{\"port\": 1}]},"
			   "{\"name\": \"c\", \"sessionAffinity\": \"None\", \"ports\": [{\"port\": 1}]}"), &err) == 0)) {
		CHECK(t.services[0].affinity && t.services[0].affinity_timeout == 86400);
		CHECK(t.services[1].affinity && t.services[1].affinity_timeout == 10800);
		CHECK(!t.services[2].affinity && t.services[2].affinity_timeout == 0);
		check_roundtrip(&t, "affinity");
		topo_free(&t);
	}
	expect_error(SVC_DOC("{\"name\": \"a\", \"sessionAffinity\": \"ClientIP\", \"sessionAffinityConfig\": "
			     "{\"clientIP\": {\"timeoutSeconds\": 0}}, \"ports\": [{\"port\": 1}]}"),
		     ".services[0].sessionAffinityConfig.clientIP.timeoutSeconds", "must be 1..86400");
	expect_error(SVC_DOC("{\"name\": \"a\", \"sessionAffinity\": \"ClientIP\", \"sessionAffinityConfig\": "
			     "{\"clientIp\": {}}, \"ports\": [{\"port\": 1}]}"),
		     ".services[0].sessionAffinityConfig.clientIp", "unknown field");
	/* Headless Services may name their type, if it is ClusterIP. */
	if (CHECK(load_str(&t, SVC_DOC("{\"name\": \"h\", \"clusterIP\": \"None\", \"type\": \"ClusterIP\", "
				       "\"selector\": {\"app\": \"w\"}, \"ports\": [{\"port\": 80, \"targetPort\": \"http\"}]}"),
			   &err) == 0)) {
		CHECK(t.services[0].type == TOPO_SVC_HEADLESS && t.services[0].cluster_ip == 0);
		CHECK(t.services[0].nendpoints == 1 && t.services[0].endpoints[0].port[0] == 8080);
		check_roundtrip(&t, "headless");
		topo_free(&t);
	}
	expect_error(SVC_DOC("{\"type\": \"LoadBalancer\", \"name\": \"h\", \"clusterIP\": \"None\", "
			     "\"ports\": [{\"port\": 80}]}"), ".services[0].type", "headless");
	expect_error(SVC_DOC("{\"name\": \"h\", \"clusterIP\": \"None\", \"ports\": [{\"port\": 80, "
			     "\"nodePort\": 30000}]}"), ".services[0].ports[0].nodePort", "headless");
	/* A named targetPort is matched with the Service port's protocol. */
	if (CHECK(load_str(&t, SVC_DOC("{\"name\": \"u\", \"selector\": {\"app\": \"w\"}, "
				       "\"ports\": [{\"port\": 80, \"targetPort\": \"http\", \"protocol\": \"UDP\"}]}"),
			   &err) == 0)) {
		CHECK(t.services[0].nendpoints == 1 && t.services[0].endpoints[0].port[0] == 0);
		topo_free(&t);
	}
	/* Namespaces: a selector selects only in its Service's namespace. */
	if (CHECK(load_str(&t, SVC_DOC("{\"namespace\": \"other\", \"name\": \"w\", \"selector\": {\"app\": \"w\"}, "
				       "\"ports\": [{\"port\": 80}]}, {\"name\": \"w\", \"selector\": {\"app\": \"w\"}, "
				       "\"ports\": [{\"port\": 80}]}"), &err) == 0)) {
		CHECK(t.services[0].nendpoints == 0 && t.services[1].nendpoints == 1);
		CHECK(topo_service_find(&t, "other", "w") == &t.services[0]);
		topo_free(&t);
	}
	/* The same nodePort twice in one Service is a duplicate too. */
	expect_error(SVC_DOC("{\"name\": \"a\", \"type\": \"NodePort\", \"ports\": [{\"name\": \"a\", \"port\": 1, "
			     "\"nodePort\": 30000}, {\"name\": \"b\", \"port\": 2, \"nodePort\": 30000}]}"),
		     ".services[0].ports[1].nodePort", "already used by .services[0].ports[0]");
	expect_error(SVC_DOC("{\"name\": \"a\", \"ports\": {}}"), ".services[0].ports", "expected array");
	expect_error("{" DOC_NODES ", \"services\": {}}", ".services", "expected array");
	expect_error(SVC_DOC("{\"name\": \"a\", \"clusterIP\": \"0.0.0.0\", \"ports\": [{\"port\": 1}]}"),
		     ".services[0].clusterIP", "not a usable address");
	/* The same port number with the other protocol is fine. */
	if (CHECK(load_str(&t, SVC_DOC("{\"name\": \"a\", \"ports\": [{\"name\": \"u\", \"port\": 53, \"protocol\": \"UDP\"}, "
				       "{\"name\": \"t\", \"port\": 53}]}"), &err) == 0))
		topo_free(&t);
}

/* Services from code are checked; resolve recomputes endpoints and a failed
 * one leaves the model as it was. */
static void test_services_resolve(void)
{
	struct topo_error err;
	struct topo t;
	struct topo_service *s;
	char *old;

	if (!CHECK(topo_from_default(&t, &err) == 0))
		return;
	s = &t.services[0];
	if (!CHECK(topo_resolve(&t, &err) == 0) || !CHECK(s->nendpoints == 2))
		goto out;
	/* web-2 leaves the Service: the next resolve drops its endpoint. */
	old = t.pods[2].labels[0].value;
	t.pods[2].labels[0].value = strdup("gone");
	free(old);
	if (CHECK(topo_resolve(&t, &err) == 0)) {
		CHECK(s->nendpoints == 1 && s->endpoints[0].pod == 1);
		check_roundtrip(&t, "relabelled");
	}
	/* A failed resolve keeps the endpoints and addresses it had. */
	s->type = TOPO_SVC_HEADLESS;
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".services[0].clusterIP");
	CHECK_HAS_STR(err.msg, "headless");
	CHECK(s->nendpoints == 1 && s->cluster_ip == ip("10.96.0.1"));
	s->type = TOPO_SVC_NODEPORT;
	s->ports[0].node_port = 29999;
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".services[0].ports[0].nodePort");
	CHECK_HAS_STR(err.msg, "30000..32767");
	s->ports[0].node_port = 0;
	/* The ingress controller's LoadBalancer already holds 30000 and 30001. */
	if (CHECK(topo_resolve(&t, &err) == 0))
		CHECK_EQ_INT(s->ports[0].node_port, 30002);
	s->type = TOPO_SVC_CLUSTERIP;
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".services[0].ports[0].nodePort");
	s->ports[0].node_port = 0;
	s->nports = TOPO_MAX_SVC_PORTS + 1;
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".services[0].ports");
	s->nports = 1;
	s->type = (enum topo_svc_type)7;
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".services[0].type");
	s->type = TOPO_SVC_CLUSTERIP;
	strcpy(s->name, "Web");
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".services[0].name");
	strcpy(s->name, "web");
	/* Zero means "default" for a targetPort and an affinity timeout. */
	s->ports[0].target_name[0] = '\0';
	s->affinity = true;
	if (CHECK(topo_resolve(&t, &err) == 0)) {
		CHECK_EQ_INT(s->ports[0].target_port, 80);
		CHECK_EQ_INT(s->affinity_timeout, TOPO_AFFINITY_DEFAULT);
		CHECK(s->nendpoints == 1 && s->endpoints[0].port[0] == 80);
		check_roundtrip(&t, "from code");
	}
	/* A clusterIP of the model is checked against serviceCIDR at resolve
	 * time, which the command line cannot change but code can. */
	t.net.service_cidr = (struct cidr){ ip("10.100.0.0"), 16 };
	CHECK(topo_resolve(&t, &err) == -EINVAL);
	CHECK_EQ_STR(err.path, ".services[0].clusterIP");
	CHECK_HAS_STR(err.msg, "not inside .network.serviceCIDR 10.100.0.0/16");
	for (size_t i = 0; i < t.nservices; i++)
		t.services[i].cluster_ip = 0;
	if (CHECK(topo_resolve(&t, &err) == 0))
		CHECK_EQ_INT(s->cluster_ip, ip("10.100.0.1"));
out:
	topo_free(&t);
	CHECK(is_zeroed(&t));
}

/* The edge: the default internet, public addresses in document order with
 * room kept for LoadBalancers, and the look-ups trace and the lab use. */
static void test_edge(void)
{
	struct topo_error err;
	struct topo t;
	char *buf;
	size_t len;

	if (CHECK(topo_from_default(&t, &err) == 0 && topo_resolve(&t, &err) == 0)) {
		CHECK_EQ_INT(t.inet.nhosts, 3);
		CHECK(topo_inet_find(&t, "example.com") &&
		      topo_inet_find(&t, "example.com")->ip == ip("203.0.113.10"));
		CHECK(topo_inet_dns(&t) && topo_inet_dns(&t)->ip == ip("203.0.113.53"));
		CHECK(topo_inet_find(&t, "laptop") &&
		      topo_inet_find(&t, "laptop")->image == TOPO_IMAGE_NONE);
		CHECK_EQ_INT(t.net.gateway_ip, ip("198.51.100.1"));
		CHECK_EQ_INT(t.nodes[0].public_ip, ip("198.51.100.2"));
		CHECK_EQ_INT(t.nodes[1].public_ip, ip("198.51.100.3"));
		topo_free(&t);
	}
	buf = read_file(TOPO_DIR "/good/edge.json", &len);
	if (CHECK(buf != NULL) && CHECK(topo_from_json(&t, buf, len, &err) == 0) &&
	    CHECKF(topo_resolve(&t, &err) == 0, "%s: %s", err.path, err.msg)) {
		const struct topo_service *lb = topo_service_find(&t, NULL, "web-lb");
		const struct topo_service *loc = topo_service_find(&t, NULL, "local-lb");

		CHECK(lb && lb->lb_ip == ip("198.51.100.4") && !lb->ext_local);
		CHECK(loc && loc->lb_ip == ip("198.51.100.5") && loc->ext_local);
		/* Cluster: every node; Local: node-2 only, where local-1 runs. */
		CHECK(lb && topo_lb_targets_node(&t, lb, 0, 0) && topo_lb_targets_node(&t, lb, 0, 1));
		CHECK(loc && !topo_lb_targets_node(&t, loc, 0, 0) &&
		      topo_lb_targets_node(&t, loc, 0, 1));
		check_roundtrip(&t, "edge");
		topo_free(&t);
	}
	free(buf);
	/* A /29 public range: 5 usable after the gateway; two LoadBalancers keep
	 * theirs and the nodes beyond the rest go without. */
	if (CHECK(load_str(&t, "{\"network\": {\"publicCIDR\": \"198.51.100.8/29\"}, "
			   "\"nodes\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\"}, "
			   "{\"name\": \"d\"}, {\"name\": \"e\"}], "
			   "\"services\": [{\"name\": \"x\", \"type\": \"LoadBalancer\", "
			   "\"ports\": [{\"port\": 1}]}, {\"name\": \"y\", \"type\": \"LoadBalancer\", "
			   "\"ports\": [{\"port\": 1}]}]}", &err) == 0)) {
		CHECK_EQ_INT(t.nodes[2].public_ip, ip("198.51.100.12"));
		CHECK_EQ_INT(t.nodes[3].public_ip, 0);
		CHECK_EQ_INT(t.services[0].lb_ip, ip("198.51.100.13"));
		CHECK_EQ_INT(t.services[1].lb_ip, ip("198.51.100.14"));
		topo_free(&t);
	}
	/* A host named as resolvers read an IPv4 address could not be reached
	 * by name: every form inet_aton takes is refused, names are not. */
	static const struct {
		const char *name, *as;
	} like_ip[] = { { "203.0.113.9", "203.0.113.9" }, { "10", "0.0.0.10" },
			{ "127.1", "127.0.0.1" }, { "0x7f.1", "127.0.0.1" },
			{ "1.2.3", "1.2.0.3" }, { "0300.0.0.1", "192.0.0.1" } };
	char doc[256], want[160];

	for (size_t i = 0; i < sizeof(like_ip) / sizeof(like_ip[0]); i++) {
		snprintf(doc, sizeof(doc), "{" DOC_NODES ", \"internet\": {\"hosts\": "
			 "[{\"name\": \"%s\"}]}}", like_ip[i].name);
		snprintf(want, sizeof(want), "not an IPv4 address (resolvers read it as %s,",
			 like_ip[i].as);
		expect_error(doc, ".internet.hosts[0].name", want);
	}
	if (CHECK(load_str(&t, "{" DOC_NODES ", \"internet\": {\"hosts\": [{\"name\": "
			   "\"1.2.3.4.example\"}, {\"name\": \"0x7g\"}, {\"name\": \"1e3\"}]}}",
			   &err) == 0))
		topo_free(&t);
}

/* ---- namespaces and NetworkPolicies ---- */

#define NP_POD(ns, name, node, label) \
	"{\"namespace\": \"" ns "\", \"name\": \"" name "\", \"node\": \"" node "\", " \
	"\"labels\": {\"pod\": \"" label "\"}, \"containers\": [{\"name\": \"c\", \"ports\": " \
	"[{\"name\": \"serve-80-tcp\", \"containerPort\": 80}]}]}"

/* A label's value in a list, or NULL. */
static const char *label_of(const struct topo_label *l, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i].key, key))
			return l[i].value;
	return NULL;
}

static size_t label_count(const struct topo_label *l, size_t n, const char *key)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += !strcmp(l[i].key, key);
	return k;
}

static void test_namespaces(void)
{
	static const char doc[] = "{" DOC_NODES ", "
		"\"namespaces\": [{\"name\": \"x\", \"labels\": {\"ns\": \"x\"}}, "
		"{\"name\": \"y\", \"labels\": {\"kubernetes.io/metadata.name\": \"y\", \"ns\": \"y\"}}, "
		"{\"name\": \"empty\"}], "
		"\"pods\": [" NP_POD("x", "a", "node-1", "a") ", " NP_POD("q", "a", "node-2", "a") ", "
		NP_POD("x", "b", "node-2", "b") "], "
		"\"services\": [{\"namespace\": \"svcs\", \"name\": \"s\", \"ports\": [{\"port\": 80}]}, "
		"{\"name\": \"d\", \"ports\": [{\"port\": 80}]}], "
		"\"networkPolicies\": [{\"metadata\": {\"namespace\": \"pols\", \"name\": \"p\"}, "
		"\"spec\": {\"podSelector\": {}}}, {\"metadata\": {\"namespace\": \"q\", \"name\": \"p\"}, "
		"\"spec\": {\"podSelector\": {}}}]}";
	static const char *const want[] = { "x", "y", "empty", "q", "svcs", "default", "pols" };
	const struct topo_namespace *n;
	struct topo_error err;
	struct topo t;
	size_t i;

	if (!CHECKF(parse_str(&t, doc, &err) == 0, "%s: %s %s", err.path, err.value, err.msg))
		return;
	/* Parsed: only the declared ones, with their own labels. */
	CHECK_EQ_INT(t.nnamespaces, 3);
	CHECK(t.namespaces[0].declared && t.namespaces[0].nlabels == 1);
	CHECK(topo_namespace_find(&t, "q") == NULL);
	if (!CHECKF(topo_resolve(&t, &err) == 0, "%s: %s %s", err.path, err.value, err.msg)) {
		topo_free(&t);
		return;
	}
	/* Resolved: declared first, then the implied ones in the order the
	 * document first names them (pods, Services, Ingresses, policies). */
	if (CHECKF(t.nnamespaces == sizeof(want) / sizeof(want[0]), "%zu", t.nnamespaces)) {
		for (i = 0; i < t.nnamespaces; i++) {
			n = &t.namespaces[i];
			CHECKF(!strcmp(n->name, want[i]), "namespace %zu is %s, want %s", i, n->name,
			       want[i]);
			CHECKF(n->declared == (i < 3), "%s declared %d", n->name, n->declared);
			/* Exactly one kubernetes.io/metadata.name, holding the name. */
			CHECKF(label_count(n->labels, n->nlabels, TOPO_NS_NAME_LABEL) == 1, "%s",
			       n->name);
			CHECKF(label_of(n->labels, n->nlabels, TOPO_NS_NAME_LABEL) &&
			       !strcmp(label_of(n->labels, n->nlabels, TOPO_NS_NAME_LABEL), n->name),
			       "%s", n->name);
		}
	}
	n = topo_namespace_find(&t, "x");
	CHECK(n && n->nlabels == 2 && !strcmp(label_of(n->labels, n->nlabels, "ns"), "x"));
	n = topo_namespace_find(&t, "y");
	CHECK(n && n->nlabels == 2);
	n = topo_namespace_find(&t, "empty");
	CHECK(n && n->nlabels == 1);
	CHECK(topo_namespace_find(&t, "nope") == NULL && topo_namespace_find(&t, NULL) == NULL);
	check_roundtrip(&t, "namespaces");
	/* Idempotent: resolving again adds nothing. */
	if (CHECK(topo_resolve(&t, &err) == 0)) {
		CHECK_EQ_INT(t.nnamespaces, sizeof(want) / sizeof(want[0]));
		CHECK_EQ_INT(topo_namespace_find(&t, "x")->nlabels, 2);
	}
	topo_free(&t);

	/* A model from code: the default topology implies its namespaces. */
	if (CHECK(topo_from_default(&t, &err) == 0 && topo_resolve(&t, &err) == 0)) {
		CHECK_EQ_INT(t.nnamespaces, 3);
		CHECK(topo_namespace_find(&t, "default") && topo_namespace_find(&t, "kube-system") &&
		      topo_namespace_find(&t, "ingress-nginx"));
		CHECK(!t.namespaces[0].declared);
		CHECK_EQ_INT(t.npolicies, 0);
		topo_free(&t);
	}
	if (CHECK(topo_from_synth(&t, 2, 2, TOPO_MODE_ROUTED, &err) == 0 &&
		  topo_resolve(&t, &err) == 0)) {
		CHECK(t.nnamespaces == 1 && !strcmp(t.namespaces[0].name, "default"));
		CHECK_EQ_INT(t.npolicies, 0);
		check_roundtrip(&t, "synth namespaces");
		topo_free(&t);
	}
	/* A failed resolve leaves the namespace list as it was. */
	if (CHECK(parse_str(&t, "{" DOC_NODES ", \"namespaces\": [{\"name\": \"x\"}], \"pods\": ["
			    NP_POD("y", "a", "node-1", "a") "], \"networkPolicies\": ["
			    "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}}}, "
			    "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}}}]}",
			    &err) == 0)) {
		CHECK(topo_resolve(&t, &err) == -EINVAL);
		CHECK_EQ_STR(err.path, ".networkPolicies[1].metadata");
		CHECK(t.nnamespaces == 1 && t.namespaces[0].nlabels == 0);
		topo_free(&t);
	}

	expect_error("{" DOC_NODES ", \"namespaces\": [{\"name\": \"x\"}, {\"name\": \"y\"}, "
		     "{\"name\": \"x\"}]}", ".namespaces[2].name", "duplicate namespace (also .namespaces[0])");
	expect_error("{" DOC_NODES ", \"namespaces\": [{\"name\": \"X\"}]}", ".namespaces[0].name",
		     "not a valid DNS-1123 label");
	expect_error("{" DOC_NODES ", \"namespaces\": [{\"labels\": {}}]}", ".namespaces[0]",
		     "missing required field \"name\"");
	expect_error("{" DOC_NODES ", \"namespaces\": [{\"name\": \"x\", \"labels\": {\"a b\": \"c\"}}]}",
		     ".namespaces[0].labels[\"a b\"]", "not a valid label key");
	expect_error("{" DOC_NODES ", \"namespaces\": [{\"name\": \"x\", \"labels\": {\"a\": \"-c\"}}]}",
		     ".namespaces[0].labels.a", "not a valid label value");
	expect_error("{" DOC_NODES ", \"namespaces\": [{\"name\": \"x\", \"labels\": "
		     "{\"kubernetes.io/metadata.name\": \"y\"}}]}",
		     ".namespaces[0].labels[\"kubernetes.io/metadata.name\"]",
		     "set by the API server to the namespace's name \"x\"");
	expect_error("{" DOC_NODES ", \"namespaces\": [{\"name\": \"x\", \"uid\": \"1\"}]}",
		     ".namespaces[0].uid", "unknown field");
	expect_error("{" DOC_NODES ", \"namespaces\": {}}", ".namespaces", "expected array");
}

/* A policy document: nodes, pods x/a, x/b, y/a, and the policies given. */
#define NP_DOC(policies) \
	"{" DOC_NODES ", \"namespaces\": [{\"name\": \"x\", \"labels\": {\"ns\": \"x\"}}], " \
	"\"pods\": [" NP_POD("x", "a", "node-1", "a") ", " NP_POD("x", "b", "node-2", "b") ", " \
	NP_POD("y", "a", "node-2", "a") "], \"networkPolicies\": [" policies "]}"

/* Dual-stack ipBlocks, as `kubectl get -o json` prints them: the IPv6
 * prefixes are read (canonical form), kept apart from the IPv4 ones, and
 * written back. */
static void test_policies_dualstack(void)
{
	char b6[CIDR6_STRLEN], *buf, *s = NULL;
	const struct topo_np_rule *r;
	struct topo_error err;
	json_t *j = NULL;
	struct topo t;
	size_t len;

	buf = read_file(TOPO_DIR "/good/network-policy-dualstack.json", &len);
	if (!CHECK(buf != NULL))
		return;
	if (!CHECKF(topo_from_json(&t, buf, len, &err) == 0, "%s: %s %s", err.path, err.value,
		    err.msg))
		goto out_buf;
	if (!CHECK(t.npolicies == 2))
		goto out;
	r = &t.policies[0].out[0];
	CHECK(r->npeers == 2 && !r->peers[0].block_v6 && r->peers[1].block_v6 &&
	      r->peers[1].has_block && r->peers[1].nexcept == 0 && !r->peers[1].except &&
	      cidr_eq(r->peers[0].block, pfx("0.0.0.0/0")));
	CHECK_EQ_STR(cidr6_fmt(&r->peers[1].block6, b6), "::/0");
	r = &t.policies[1].in[0];
	CHECK(r->npeers == 2 && r->peers[0].block_v6 && r->peers[0].nexcept == 1 &&
	      r->peers[0].except6 && !r->peers[0].except &&
	      !r->peers[1].block_v6 && r->peers[1].except && !r->peers[1].except6);
	CHECK_EQ_STR(cidr6_fmt(&r->peers[0].block6, b6), "2001:db8::/32");
	CHECK_EQ_STR(cidr6_fmt(&r->peers[0].except6[0], b6), "2001:db8:1::/48");
	/* written back: the IPv6 text survives */
	j = topo_to_json(&t);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (CHECK(s != NULL)) {
		CHECKF(strstr(s, "{\"cidr\":\"::/0\"}") != NULL, "%s", s);
		CHECKF(strstr(s, "{\"cidr\":\"2001:db8::/32\",\"except\":[\"2001:db8:1::/48\"]}"),
		       "%s", s);
		CHECKF(strstr(s, "{\"cidr\":\"fd00::/8\"}") != NULL, "%s", s);
	}
	if (CHECKF(topo_resolve(&t, &err) == 0, "%s: %s %s", err.path, err.value, err.msg))
		check_roundtrip(&t, "dual-stack policies");
out:
	free(s);
	json_decref(j);
	topo_free(&t);
out_buf:
	free(buf);
}

static void test_policies(void)
{
	static const char doc[] = NP_DOC(
		/* every feature, pasted as kubectl prints it */
		"{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\", "
		" \"metadata\": {\"namespace\": \"x\", \"name\": \"all.features\", \"uid\": \"0f\", "
		"  \"resourceVersion\": \"42\", \"creationTimestamp\": \"2024-01-01T00:00:00Z\", "
		"  \"generation\": 1, \"annotations\": {\"a\": \"b\"}, \"labels\": {\"x\": \"y\"}, "
		"  \"managedFields\": [{\"manager\": \"kubectl\"}], \"generateName\": \"all.\", "
		"  \"selfLink\": \"/apis/networking.k8s.io/v1/namespaces/x/networkpolicies/all.features\", "
		"  \"ownerReferences\": [{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"name\": \"o\", "
		"   \"uid\": \"1\"}], \"finalizers\": [\"example.com/keep\"], "
		"  \"deletionTimestamp\": \"2024-01-02T00:00:00Z\", \"deletionGracePeriodSeconds\": 0}, "
		" \"spec\": {\"podSelector\": {\"matchLabels\": {\"pod\": \"a\"}, \"matchExpressions\": "
		"   [{\"key\": \"pod\", \"operator\": \"NotIn\", \"values\": [\"b\", \"c\"]}, "
		"    {\"key\": \"example.com/tier\", \"operator\": \"DoesNotExist\"}]}, "
		"  \"policyTypes\": [\"Egress\", \"Ingress\"], "
		"  \"ingress\": [{\"from\": [{\"podSelector\": {}}, "
		"     {\"namespaceSelector\": {\"matchLabels\": {\"ns\": \"y\"}}}, "
		"     {\"namespaceSelector\": {\"matchExpressions\": [{\"key\": \"ns\", \"operator\": "
		"       \"Exists\", \"values\": []}]}, \"podSelector\": {\"matchLabels\": {\"pod\": \"a\"}}}, "
		"     {\"ipBlock\": {\"except\": [\"10.0.1.0/24\", \"10.0.2.128/25\"], \"cidr\": \"10.0.0.0/16\"}}], "
		"    \"ports\": [{\"port\": 80}, {\"protocol\": \"UDP\", \"port\": \"serve-80-udp\"}, "
		"     {\"protocol\": \"SCTP\", \"port\": 1000, \"endPort\": 2000}, {\"protocol\": \"UDP\"}, "
		"     {\"port\": 81, \"endPort\": 81}]}, {}], "
		"  \"egress\": [{\"to\": [{\"ipBlock\": {\"cidr\": \"0.0.0.0/0\"}}]}, {\"ports\": []}]}, "
		" \"status\": {}}, "
		/* defaults: no policyTypes, no egress: Ingress */
		"{\"metadata\": {\"name\": \"deny\", \"namespace\": \"x\"}, \"spec\": {\"podSelector\": {}}}, "
		/* no policyTypes, egress rules: Ingress and Egress */
		"{\"metadata\": {\"name\": \"both\"}, \"spec\": {\"podSelector\": {}, "
		" \"egress\": [{}]}}, "
		/* an empty list is no list */
		"{\"metadata\": {\"name\": \"empty-types\"}, \"spec\": {\"podSelector\": {}, "
		" \"policyTypes\": [], \"egress\": []}}, "
		/* ingress rules without Ingress: kept, and the type stays off */
		"{\"metadata\": {\"name\": \"egress-only\"}, \"spec\": {\"podSelector\": {}, "
		" \"policyTypes\": [\"Egress\"], \"ingress\": [{\"ports\": [{\"port\": 1}]}]}}");
	const struct topo_policy *p;
	const struct topo_np_rule *r;
	struct topo_error err;
	struct topo t;

	if (!CHECKF(load_str(&t, doc, &err) == 0, "%s: %s %s", err.path, err.value, err.msg))
		return;
	if (!CHECKF(t.npolicies == 5, "%zu", (size_t)t.npolicies))
		goto out;
	p = &t.policies[0];
	CHECK_EQ_STR(p->ns, "x");
	CHECK_EQ_STR(p->name, "all.features");
	CHECK(p->ingress && p->egress);
	CHECK(p->pods.nmatch == 1 && !strcmp(p->pods.match[0].key, "pod") &&
	      !strcmp(p->pods.match[0].value, "a"));
	if (CHECKF(p->pods.nexprs == 2, "%zu", (size_t)p->pods.nexprs)) {
		CHECK(!strcmp(p->pods.exprs[0].key, "pod") && p->pods.exprs[0].op == TOPO_SEL_NOT_IN &&
		      p->pods.exprs[0].nvalues == 2 && !strcmp(p->pods.exprs[0].values[1], "c"));
		CHECK(!strcmp(p->pods.exprs[1].key, "example.com/tier") &&
		      p->pods.exprs[1].op == TOPO_SEL_DOES_NOT_EXIST && p->pods.exprs[1].nvalues == 0);
	}
	if (CHECK(p->nin == 2) && CHECK(p->in[0].npeers == 4) && CHECK(p->in[0].nports == 5)) {
		r = &p->in[0];
		CHECK(r->peers[0].has_pods && !r->peers[0].has_namespaces && !r->peers[0].has_block &&
		      r->peers[0].pods.nmatch == 0 && r->peers[0].pods.nexprs == 0);
		CHECK(!r->peers[1].has_pods && r->peers[1].has_namespaces &&
		      r->peers[1].namespaces.nmatch == 1);
		CHECK(r->peers[2].has_pods && r->peers[2].has_namespaces &&
		      r->peers[2].namespaces.nexprs == 1 &&
		      r->peers[2].namespaces.exprs[0].op == TOPO_SEL_EXISTS);
		CHECK(r->peers[3].has_block && !r->peers[3].has_pods &&
		      cidr_eq(r->peers[3].block, pfx("10.0.0.0/16")) && r->peers[3].nexcept == 2 &&
		      cidr_eq(r->peers[3].except[1], pfx("10.0.2.128/25")));
		CHECK(r->ports[0].proto == TOPO_NP_TCP && r->ports[0].port == 80 &&
		      !r->ports[0].name[0] && !r->ports[0].end_port);
		CHECK(r->ports[1].proto == TOPO_NP_UDP && r->ports[1].port == 0 &&
		      !strcmp(r->ports[1].name, "serve-80-udp"));
		CHECK(r->ports[2].proto == TOPO_NP_SCTP && r->ports[2].port == 1000 &&
		      r->ports[2].end_port == 2000);
		CHECK(r->ports[3].proto == TOPO_NP_UDP && !r->ports[3].port && !r->ports[3].name[0]);
		CHECK(r->ports[4].port == 81 && r->ports[4].end_port == 81);
		CHECK(p->in[1].npeers == 0 && p->in[1].nports == 0);
	}
	if (CHECKF(p->nout == 2, "%zu", (size_t)p->nout)) {
		CHECK(p->out[0].npeers == 1 && cidr_eq(p->out[0].peers[0].block, pfx("0.0.0.0/0")));
		CHECK(p->out[1].npeers == 0 && p->out[1].nports == 0);
	}
	/* policyTypes as the API server defaults them. */
	CHECK(t.policies[1].ingress && !t.policies[1].egress && !strcmp(t.policies[1].ns, "x"));
	CHECK(t.policies[2].ingress && t.policies[2].egress && !strcmp(t.policies[2].ns, "default"));
	CHECK(t.policies[3].ingress && !t.policies[3].egress);
	CHECK(!t.policies[4].ingress && t.policies[4].egress && t.policies[4].nin == 1);
	CHECK_EQ_STR(topo_np_proto_name(TOPO_NP_SCTP), "SCTP");
	CHECK_EQ_STR(topo_np_proto_name(TOPO_NP_TCP), "TCP");
	CHECK_EQ_STR(topo_sel_op_name(TOPO_SEL_DOES_NOT_EXIST), "DoesNotExist");
	CHECK_EQ_STR(topo_sel_op_name(TOPO_SEL_NOT_IN), "NotIn");
	check_roundtrip(&t, "policies");
	/* The document written carries the Kubernetes shape, policyTypes explicit. */
	{
		json_t *j = topo_to_json(&t), *np = json_object_get(j, "networkPolicies");
		json_t *p4 = json_array_get(np, 3);

		CHECK(json_array_size(np) == 5);
		CHECK(json_is_string(json_object_get(p4, "kind")) &&
		      !strcmp(json_string_value(json_object_get(p4, "kind")), "NetworkPolicy"));
		CHECK(json_array_size(json_object_get(json_object_get(p4, "spec"), "policyTypes")) == 1);
		CHECK(json_array_size(json_object_get(j, "namespaces")) == 1);
		json_decref(j);
	}
out:
	topo_free(&t);
}

/* spec and spec.podSelector are optional in networking.k8s.io/v1 (the
 * type's own words: "If it is not specified, it defaults to an empty
 * selector"): left out, the policy selects every pod of its namespace and
 * isolates them for ingress, as policyTypes defaults; and it is written
 * back with both, so the state file says what the lab enforces. */
static void test_policy_optional_spec(void)
{
	static const char doc[] = NP_DOC(
		"{\"metadata\": {\"namespace\": \"x\", \"name\": \"no-spec\"}}, "
		"{\"metadata\": {\"namespace\": \"x\", \"name\": \"no-selector\"}, "
		" \"spec\": {\"egress\": [{}]}}, "
		"{\"metadata\": {\"namespace\": \"x\", \"name\": \"egress-only\"}, "
		" \"spec\": {\"policyTypes\": [\"Egress\"]}}");
	struct topo_error err;
	struct topo t, back;
	json_t *j;
	char *s;

	if (!CHECKF(load_str(&t, doc, &err) == 0, "%s: %s %s", err.path, err.value, err.msg))
		return;
	if (!CHECKF(t.npolicies == 3, "%zu", (size_t)t.npolicies))
		goto out;
	for (size_t i = 0; i < 3; i++) {
		const struct topo_policy *p = &t.policies[i];

		CHECKF(p->pods.nmatch == 0 && p->pods.nexprs == 0, "%s selects all", p->name);
		CHECKF(p->nin == 0, "%s", p->name);
	}
	CHECK(t.policies[0].ingress && !t.policies[0].egress);
	CHECK(t.policies[1].ingress && t.policies[1].egress && t.policies[1].nout == 1);
	CHECK(!t.policies[2].ingress && t.policies[2].egress);
	j = topo_to_json(&t);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (CHECK(s != NULL)) {
		CHECKF(strstr(s, "\"name\":\"no-spec\"},\"spec\":{\"podSelector\":{},"
			      "\"policyTypes\":[\"Ingress\"]}") != NULL, "%s", s);
		if (CHECKF(load_str(&back, s, &err) == 0, "%s: %s %s", err.path, err.value, err.msg)) {
			CHECK(back.npolicies == 3 && back.policies[0].ingress &&
			      !back.policies[0].egress);
			topo_free(&back);
		}
	}
	free(s);
out:
	topo_free(&t);
}

static void test_policy_errors(void)
{
	static const struct {
		const char *policy, *path, *msg;
	} bad[] = {
		{ "{\"apiVersion\": \"networking.k8s.io/v1beta1\", \"metadata\": {\"name\": \"p\"}, "
		  "\"spec\": {\"podSelector\": {}}}", ".networkPolicies[0].apiVersion",
		  "unsupported apiVersion (expected \"networking.k8s.io/v1\")" },
		{ "{\"kind\": \"Policy\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}}}",
		  ".networkPolicies[0].kind", "unsupported kind (expected \"NetworkPolicy\")" },
		{ "{\"spec\": {\"podSelector\": {}}}", ".networkPolicies[0]",
		  "missing required field \"metadata\"" },
		{ "{\"metadata\": {\"namespace\": \"x\"}, \"spec\": {\"podSelector\": {}}}",
		  ".networkPolicies[0].metadata", "missing required field \"name\"" },
		{ "{\"metadata\": {\"name\": \"P\"}, \"spec\": {\"podSelector\": {}}}",
		  ".networkPolicies[0].metadata.name", "not a valid NetworkPolicy name" },
		{ "{\"metadata\": {\"name\": \"a234567890123456789012345678901234567890123456789012345678901234\"}, "
		  "\"spec\": {\"podSelector\": {}}}", ".networkPolicies[0].metadata.name",
		  "at most 63 characters" },
		{ "{\"metadata\": {\"name\": \"p\", \"namespace\": \"a.b\"}, \"spec\": {\"podSelector\": {}}}",
		  ".networkPolicies[0].metadata.namespace", "not a valid DNS-1123 label" },
		{ "{\"metadata\": {\"name\": \"p\", \"nmae\": \"q\"}, \"spec\": {\"podSelector\": {}}}",
		  ".networkPolicies[0].metadata.nmae", "unknown field" },
		{ "{\"metadata\": {\"generateName\": \"p-\"}, \"spec\": {\"podSelector\": {}}}",
		  ".networkPolicies[0].metadata", "missing required field \"name\"" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}}, \"status\": 1}",
		  ".networkPolicies[0].status", "expected object" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingres\": []}}",
		  ".networkPolicies[0].spec.ingres", "unknown field" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, "
		  "\"policyTypes\": [\"Ingress\", \"Egress\", \"Ingress\"]}}",
		  ".networkPolicies[0].spec.policyTypes", "at most 2 policyTypes" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, "
		  "\"policyTypes\": [\"Egress\", \"Egress\"]}}",
		  ".networkPolicies[0].spec.policyTypes[1]", "duplicate policy type (also [0])" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, "
		  "\"policyTypes\": [\"ingress\"]}}", ".networkPolicies[0].spec.policyTypes[0]",
		  "unknown policy type (expected \"Ingress\" or \"Egress\")" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {\"matchLabels\": "
		  "{\"a\": 1}}}}", ".networkPolicies[0].spec.podSelector.matchLabels.a",
		  "expected string" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {\"matchExpressions\": "
		  "[{\"key\": \"-a\", \"operator\": \"Exists\"}]}}}",
		  ".networkPolicies[0].spec.podSelector.matchExpressions[0].key", "not a valid label key" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {\"matchExpressions\": "
		  "[{\"key\": \"a\", \"operator\": \"Gt\", \"values\": [\"1\"]}]}}}",
		  ".networkPolicies[0].spec.podSelector.matchExpressions[0].operator",
		  "unknown operator (expected \"In\", \"NotIn\", \"Exists\" or \"DoesNotExist\")" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {\"matchExpressions\": "
		  "[{\"key\": \"a\", \"operator\": \"In\"}]}}}",
		  ".networkPolicies[0].spec.podSelector.matchExpressions[0]",
		  "missing required field \"values\" (operator \"In\" needs at least one value)" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {\"matchExpressions\": "
		  "[{\"key\": \"a\", \"operator\": \"NotIn\", \"values\": []}]}}}",
		  ".networkPolicies[0].spec.podSelector.matchExpressions[0].values",
		  "operator \"NotIn\" needs at least one value" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {\"matchExpressions\": "
		  "[{\"key\": \"a\", \"operator\": \"Exists\", \"values\": [\"x\"]}]}}}",
		  ".networkPolicies[0].spec.podSelector.matchExpressions[0].values",
		  "must be empty for operator \"Exists\"" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {\"matchExpressions\": "
		  "[{\"key\": \"a\", \"operator\": \"In\", \"values\": [\"ok\", \"not ok\"]}]}}}",
		  ".networkPolicies[0].spec.podSelector.matchExpressions[0].values[1]",
		  "not a valid label value" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {\"matchExpressions\": "
		  "[{\"operator\": \"Exists\"}]}}}",
		  ".networkPolicies[0].spec.podSelector.matchExpressions[0]",
		  "missing required field \"key\"" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"podSelector\": {}}, {}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[1]",
		  "a peer needs \"podSelector\", \"namespaceSelector\" or \"ipBlock\"" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"egress\": "
		  "[{\"to\": [{\"namespaceSelector\": {}, \"ipBlock\": {\"cidr\": \"10.0.0.0/8\"}}]}]}}",
		  ".networkPolicies[0].spec.egress[0].to[0]",
		  "\"ipBlock\" cannot be combined with \"namespaceSelector\"" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"egress\": "
		  "[{\"from\": []}]}}", ".networkPolicies[0].spec.egress[0].from", "unknown field" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"cidr\": \"10.0.0.0/16\", \"except\": [\"10.0.1.0/24\", "
		  "\"10.1.0.0/24\"]}}]}]}}", ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.except[1]",
		  "must be a strict subset of cidr 10.0.0.0/16" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"except\": [\"10.0.0.0/16\"], \"cidr\": \"10.0.0.0/16\"}}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.except[0]",
		  "must be a strict subset of cidr 10.0.0.0/16" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"cidr\": \"fd00::/129\"}}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.cidr",
		  "not a valid IPv6 CIDR" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"cidr\": \"fd00:::1/64\"}}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.cidr",
		  "not a valid IPv6 CIDR" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"cidr\": \"10.0.0.0/8\", \"except\": [\"::1/128\"]}}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.except[0]",
		  "must be a strict subset of cidr 10.0.0.0/8 (an IPv6 prefix, cidr is IPv4)" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"except\": [\"10.0.0.0/8\"], \"cidr\": \"::/0\"}}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.except[0]",
		  "must be a strict subset of cidr ::/0 (an IPv4 prefix, cidr is IPv6)" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"cidr\": \"2001:db8::/32\", \"except\": "
		  "[\"2001:db8:1::/48\", \"2001:db8::/32\"]}}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.except[1]",
		  "must be a strict subset of cidr 2001:db8::/32" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"cidr\": \"2001:db8::/32\", \"except\": "
		  "[\"2001:db9::/48\"]}}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.except[0]",
		  "must be a strict subset of cidr 2001:db8::/32" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"cidr\": \"2001:db8::/32\", \"except\": "
		  "[\"2001:db8::1/48\"]}}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.except[0]",
		  "host bits set; did you mean 2001:db8::/48?" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"cidr\": \"10.0.0.1/8\"}}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.cidr",
		  "host bits set; did you mean 10.0.0.0/8?" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"except\": []}}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].from[0].ipBlock",
		  "missing required field \"cidr\"" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"ports\": [{\"protocol\": \"ICMP\"}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].ports[0].protocol",
		  "unknown protocol (expected \"TCP\", \"UDP\" or \"SCTP\")" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"ports\": [{\"port\": 0}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].ports[0].port", "must be 1..65535" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"ports\": [{\"port\": \"Serve_80\"}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].ports[0].port", "not a valid port name" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"ports\": [{\"port\": true}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].ports[0].port", "expected integer or string" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"ports\": [{\"port\": \"http\", \"endPort\": 90}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].ports[0].endPort",
		  "not allowed with a named port" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"ports\": [{\"endPort\": 90}]}]}}",
		  ".networkPolicies[0].spec.ingress[0].ports[0].endPort", "not allowed without \"port\"" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"egress\": "
		  "[{\"ports\": [{\"endPort\": 79, \"port\": 80}]}]}}",
		  ".networkPolicies[0].spec.egress[0].ports[0].endPort", "must be at least port 80" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"egress\": "
		  "[{\"ports\": [{\"port\": 80, \"endPort\": 65536}]}]}}",
		  ".networkPolicies[0].spec.egress[0].ports[0].endPort", "must be 1..65535" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": []}}",
		  ".networkPolicies[0].spec.podSelector", "expected object" },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}}}, "
		  "{\"metadata\": {\"name\": \"q\"}, \"spec\": {\"podSelector\": {}}}, "
		  "{\"metadata\": {\"name\": \"p\", \"namespace\": \"default\"}, \"spec\": {\"podSelector\": {}}}",
		  ".networkPolicies[2].metadata", "duplicate NetworkPolicy: .networkPolicies[0] has the "
		  "same namespace and name" },
	};
	char doc[4096];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc), NP_DOC("%s"), bad[i].policy);
		expect_error(doc, bad[i].path, bad[i].msg);
	}
	/* The same policy name in two namespaces is two policies. */
	{
		struct topo_error err;
		struct topo t;

		if (CHECK(load_str(&t, NP_DOC("{\"metadata\": {\"name\": \"p\"}, \"spec\": "
					      "{\"podSelector\": {}}}, {\"metadata\": {\"name\": \"p\", "
					      "\"namespace\": \"x\"}, \"spec\": {\"podSelector\": {}}}"),
				   &err) == 0))
			topo_free(&t);
	}
}

/* The limits of topo.h, each refused at the array it bounds. */
static void test_policy_limits(void)
{
	/* Each policy is pre, n items, post. */
	static const struct {
		const char *pre, *post, *item, *path, *msg;
		size_t n;
	} lim[] = {
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": [", "]}}",
		  "{}", ".networkPolicies[0].spec.ingress", "at most 256 ingress rules",
		  TOPO_MAX_POLICY_RULES + 1 },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"egress\": "
		  "[{\"to\": [", "]}]}}", "{\"podSelector\": {}}", ".networkPolicies[0].spec.egress[0].to",
		  "at most 256 peers per rule", TOPO_MAX_POLICY_PEERS + 1 },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"egress\": "
		  "[{\"ports\": [", "]}]}}", "{}", ".networkPolicies[0].spec.egress[0].ports",
		  "at most 256 ports per rule", TOPO_MAX_POLICY_PORTS + 1 },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {\"matchExpressions\": "
		  "[", "]}}}", "{\"key\": \"a\", \"operator\": \"Exists\"}",
		  ".networkPolicies[0].spec.podSelector.matchExpressions",
		  "at most 64 matchExpressions per selector", TOPO_MAX_SEL_EXPRS + 1 },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {\"matchExpressions\": "
		  "[{\"key\": \"a\", \"operator\": \"In\", \"values\": [", "]}]}}}", "\"v\"",
		  ".networkPolicies[0].spec.podSelector.matchExpressions[0].values",
		  "at most 256 values", TOPO_MAX_SEL_VALUES + 1 },
		{ "{\"metadata\": {\"name\": \"p\"}, \"spec\": {\"podSelector\": {}, \"ingress\": "
		  "[{\"from\": [{\"ipBlock\": {\"cidr\": \"10.0.0.0/8\", \"except\": [", "]}}]}]}}",
		  "\"10.1.0.0/16\"", ".networkPolicies[0].spec.ingress[0].from[0].ipBlock.except",
		  "at most 64 except entries", TOPO_MAX_EXCEPT + 1 },
	};
	size_t len, cap = 1 << 16;
	char *items = malloc(cap), *doc = malloc(2 * cap), *policy = malloc(cap + 512);

	if (!CHECK(items && doc && policy))
		goto out;
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		len = 0;
		for (size_t k = 0; k < lim[i].n; k++)
			len += (size_t)snprintf(items + len, cap - len, "%s%s", k ? ", " : "",
						lim[i].item);
		snprintf(policy, cap + 512, "%s%s%s", lim[i].pre, items, lim[i].post);
		snprintf(doc, 2 * cap, NP_DOC("%s"), policy);
		expect_error(doc, lim[i].path, lim[i].msg);
		/* one fewer is fine */
		len = 0;
		for (size_t k = 0; k + 1 < lim[i].n; k++)
			len += (size_t)snprintf(items + len, cap - len, "%s%s", k ? ", " : "",
						lim[i].item);
		snprintf(policy, cap + 512, "%s%s%s", lim[i].pre, items, lim[i].post);
		snprintf(doc, 2 * cap, NP_DOC("%s"), policy);
		{
			struct topo_error err;
			struct topo t;

			if (CHECKF(load_str(&t, doc, &err) == 0, "limit %zu: %s: %s", i, err.path,
				   err.msg))
				topo_free(&t);
		}
	}
	/* The top-level arrays, refused by their length before any element is read. */
	{
		static const struct {
			const char *key, *item, *msg;
			size_t n;
		} top[] = {
			{ "namespaces", "{\"name\": \"x\"}", "at most 4096 namespaces",
			  TOPO_MAX_NAMESPACES + 1 },
			{ "networkPolicies", "{}", "at most 65536 NetworkPolicies", TOPO_MAX_POLICIES + 1 },
		};
		char *big, path[32];

		for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
			size_t bcap = top[i].n * (strlen(top[i].item) + 2) + 256;

			big = malloc(bcap);
			if (!CHECK(big != NULL))
				break;
			len = (size_t)snprintf(big, bcap, "{" DOC_NODES ", \"%s\": [", top[i].key);
			for (size_t k = 0; k < top[i].n; k++)
				len += (size_t)snprintf(big + len, bcap - len, "%s%s", k ? "," : "",
							top[i].item);
			snprintf(big + len, bcap - len, "]}");
			snprintf(path, sizeof(path), ".%s", top[i].key);
			expect_error(big, path, top[i].msg);
			free(big);
		}
	}
out:
	free(items);
	free(doc);
	free(policy);
}

int main(void)
{
	RUN(test_default);
	RUN(test_default_modes);
	RUN(test_synth);
	RUN(test_synth_errors);
	RUN(test_synth_dns);
	RUN(test_bridge_ports);
	RUN(test_good_files);
	RUN(test_policies_dualstack);
	RUN(test_bad_files);
	RUN(test_syntax_errors);
	RUN(test_jdoc);
	RUN(test_types_and_fields);
	RUN(test_error_values);
	RUN(test_names);
	RUN(test_label_and_port_names);
	RUN(test_image_ports);
	RUN(test_cluster_domain);
	RUN(test_ipam);
	RUN(test_resolve_atomic);
	RUN(test_order);
	RUN(test_services_file);
	RUN(test_services_ipam);
	RUN(test_services_resolve);
	RUN(test_edge);
	RUN(test_namespaces);
	RUN(test_policies);
	RUN(test_policy_optional_spec);
	RUN(test_policy_errors);
	RUN(test_policy_limits);
	return unit_summary();
}
