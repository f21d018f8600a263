/* The document's "ingresses" section, in the shape of networking.k8s.io/v1
 * Ingress: tls[].hosts, rules[].host, rules[].http.paths[] with path,
 * pathType and backend.service.{name, port.{number|name}}. References to
 * Services are checked by topo_resolve (ingress.c), once all are known. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topo/jparse.h"

#define MSG_HOST "not a valid host (a DNS-1123 subdomain such as \"web.example.test\"; " \
	"podpath takes no wildcard hosts)"
#define MSG_PATH "not a valid path (it starts with '/' and holds only letters, digits and " \
	"/ . _ ~ - %; podpath writes it into nginx's configuration)"

static bool host_ok(const char *s)
{
	return topo_is_dns1123_subdomain(s);
}

/* What a path may hold: it is written into nginx's configuration verbatim,
 * so nothing that could end a token there. */
static bool path_ok(const char *s)
{
	if (s[0] != '/' || strlen(s) >= TOPO_INGRESS_PATH_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("/._~-%", *s)))
			return false;
	return true;
}

static int path_path(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_ingress_path *p = obj;

	return jp_want_name(c, v, at, path_ok, MSG_PATH, p->path, sizeof(p->path));
}

static int path_type(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	static const char *const names[] = { "Prefix", "Exact" };
	struct topo_ingress_path *p = obj;
	size_t i;

	if (jv_is(v, JV_STRING) && !strcmp(jv_str(c->doc, v), "ImplementationSpecific"))
		return jp_fail(c, at, v, "not supported by podpath (expected \"Prefix\" or \"Exact\")");
	if (jp_want_choice(c, v, at, "pathType", names, NFIELDS(names), &i))
		return -EINVAL;
	p->type = i == 1 ? TOPO_PATH_EXACT : TOPO_PATH_PREFIX;
	return 0;
}

static const struct field port_fields[] = {
	FIELD_AT("number", false, F_PORT, struct topo_ingress_path, port_number),
	FIELD_AT("name", false, F_PORT_NAME, struct topo_ingress_path, port_name),
};

static int service_port(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at)
{
	struct topo_ingress_path *p = obj;
	int ret = jp_parse_object(c, v, at, port_fields, NFIELDS(port_fields), obj);

	if (!ret && !p->port_number == !p->port_name[0])
		ret = jp_fail(c, at, v, "give the Service port's \"number\" or its \"name\", one of them");
	return ret;
}

static const struct field service_fields[] = {
	FIELD_AT("name", true, F_LABEL, struct topo_ingress_path, svc_name),
	FIELD_FN("port", true, service_port),
};

static int backend_service(struct parse_ctx *c, void *obj, const struct jv *v,
			   const struct topo_jpath *at)
{
	return jp_parse_object(c, v, at, service_fields, NFIELDS(service_fields), obj);
}

static const struct field backend_fields[] = {
	FIELD_FN("service", true, backend_service),
};

static int path_backend(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at)
{
	return jp_parse_object(c, v, at, backend_fields, NFIELDS(backend_fields), obj);
}

static const struct field path_fields[] = {
	FIELD_FN("path", true, path_path),
	FIELD_FN("pathType", true, path_type),
	FIELD_FN("backend", true, path_backend),
};

static int http_paths(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_ingress_rule *r = obj;
	size_t n;
	int ret = jp_want_array_len(c, v, at, "path", TOPO_MAX_INGRESS_PATHS, "paths per rule", &n);

	if (ret)
		return ret;
	r->paths = calloc(n, sizeof(*r->paths));
	if (!r->paths)
		return topo_err_nomem(c->err);
	r->npaths = n;
	return jp_parse_elements(c, v, at, path_fields, NFIELDS(path_fields), r->paths,
				 sizeof(*r->paths));
}

static const struct field http_fields[] = {
	FIELD_FN("paths", true, http_paths),
};

static int rule_http(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	return jp_parse_object(c, v, at, http_fields, NFIELDS(http_fields), obj);
}

/* A host into out: a DNS name, and not an IPv4 address, which is one to
 * the syntax (Kubernetes refuses IP addresses in Ingress hosts). */
static int want_host(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		     char *out, size_t len)
{
	uint32_t a;
	int ret = jp_want_name(c, v, at, host_ok, MSG_HOST, out, len);

	if (!ret && !addr_parse(out, &a))
		ret = jp_fail(c, at, v, "must be a DNS name, not an IP address (as Kubernetes "
			      "requires of an Ingress host)");
	return ret;
}

static int rule_host(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_ingress_rule *r = obj;

	return want_host(c, v, at, r->host, sizeof(r->host));
}

static const struct field rule_fields[] = {
	FIELD_FN("host", true, rule_host),
	FIELD_FN("http", true, rule_http),
};

static int ing_rules(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_ingress *g = obj;
	size_t n;
	int ret = jp_want_array_len(c, v, at, "rule", TOPO_MAX_INGRESS_RULES, "rules per Ingress",
				    &n);

	if (ret)
		return ret;
	g->rules = calloc(n, sizeof(*g->rules));
	if (!g->rules)
		return topo_err_nomem(c->err);
	g->nrules = n;
	return jp_parse_elements(c, v, at, rule_fields, NFIELDS(rule_fields), g->rules,
				 sizeof(*g->rules));
}

/* tls[].hosts, gathered into one list; secretName is accepted and not
 * used: the lab's own CA signs every TLS host's certificate. */
static int tls_entry(struct parse_ctx *c, struct topo_ingress *g, const struct jv *o,
		     const struct topo_jpath *at)
{
	struct topo_jpath sub = { .up = at }, h = { .up = &sub };
	const char *key;
	const struct jv *v;
	size_t k, n;
	int ret = 0;

	if (!jv_is(o, JV_OBJECT))
		return jp_fail(c, at, o, "expected object");
	jv_object_foreach(c->doc, o, k, key, v) {
		sub.key = key;
		if (!strcmp(key, "secretName")) {
			const char *s;

			ret = jp_want_string(c, v, &sub, &s);
		} else if (!strcmp(key, "hosts")) {
			ret = jp_want_array_len(c, v, &sub, "host", TOPO_MAX_INGRESS_RULES, "TLS hosts", &n);
			for (size_t i = 0; !ret && i < n; i++) {
				void *np = realloc(g->tls_hosts, (g->ntls + 1) * sizeof(*g->tls_hosts));

				if (!np)
					return topo_err_nomem(c->err);
				g->tls_hosts = np;
				h.index = i;
				ret = want_host(c, jv_array_get(v, i), &h, g->tls_hosts[g->ntls],
						sizeof(g->tls_hosts[0]));
				g->ntls += !ret;
			}
		} else {
			ret = jp_fail(c, &sub, v, "unknown field");
		}
		if (ret)
			break;
	}
	return ret;
}

static int ing_tls(struct parse_ctx *c, void *obj, const struct jv *v, const struct topo_jpath *at)
{
	struct topo_jpath sub = { .up = at };
	size_t n;
	int ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_INGRESS_RULES, "TLS entries", &n);

	for (size_t i = 0; !ret && i < n; i++) {
		sub.index = i;
		ret = tls_entry(c, obj, jv_array_get(v, i), &sub);
	}
	return ret;
}

static int ing_class(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	const char *s;
	int ret = jp_want_string(c, v, at, &s);

	if (!ret && strcmp(s, "nginx"))
		ret = jp_fail(c, at, v, "unknown ingress class (the lab's controller is \"nginx\")");
	return ret;
}

static const struct field ingress_fields[] = {
	FIELD_AT("namespace", false, F_LABEL, struct topo_ingress, ns),
	FIELD_AT("name", true, F_LABEL, struct topo_ingress, name),
	FIELD_FN("ingressClassName", false, ing_class),
	FIELD_FN("tls", false, ing_tls),
	FIELD_FN("rules", true, ing_rules),
};

int topo_parse_ingresses(struct parse_ctx *c, void *obj, const struct jv *v,
			 const struct topo_jpath *at)
{
	struct topo *t = obj;
	struct topo_jpath sub = { .up = at };
	size_t n;
	int ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_INGRESSES, "Ingresses", &n);

	if (ret)
		return ret;
	t->ingresses = n ? calloc(n, sizeof(*t->ingresses)) : NULL;
	if (n && !t->ingresses)
		return topo_err_nomem(c->err);
	t->ningresses = n;
	for (size_t i = 0; i < n && !ret; i++) {
		strcpy(t->ingresses[i].ns, "default");
		sub.index = i;
		ret = jp_parse_object(c, jv_array_get(v, i), &sub, ingress_fields,
				      NFIELDS(ingress_fields), &t->ingresses[i]);
	}
	return ret;
}
