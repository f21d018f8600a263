/* jparse — the typed readers of the topology document; see jparse.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo/jparse.h"

static int jp_parse_at(struct parse_ctx *c, const struct field *f, void *obj, const struct jv *v,
		       const struct topo_jpath *at);


static int jp_vfail(struct parse_ctx *c, const struct topo_jpath *at, const char *value,
		 const char *fmt, va_list ap)
{
	char path[TOPO_PATH_MAX];

	topo_jpath_fmt(path, sizeof(path), at);
	return topo_err_vset(c->err, path, value, fmt, ap);
}

/* Report an error at `at`; the value is v as JSON text (none if NULL). */
int jp_fail(struct parse_ctx *c, const struct topo_jpath *at, const struct jv *v,
		const char *fmt, ...)
{
	char value[sizeof(c->err->value) + 1];
	va_list ap;
	int ret;

	jv_fmt(c->doc, v, value, sizeof(value));
	va_start(ap, fmt);
	ret = jp_vfail(c, at, value, fmt, ap);
	va_end(ap);
	return ret;
}

/* The same with a C string as the value, quoted. */
int jp_fail_str(struct parse_ctx *c, const struct topo_jpath *at, const char *s,
		    const char *fmt, ...)
{
	char value[sizeof(c->err->value) + 1];
	va_list ap;
	int ret;

	topo_value_str(value, sizeof(value), s);
	va_start(ap, fmt);
	ret = jp_vfail(c, at, value, fmt, ap);
	va_end(ap);
	return ret;
}

int jp_want_string(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		       const char **out)
{
	/* Set before the check so that callers never see an unset pointer. */
	*out = jv_str(c->doc, v);
	if (!*out)
		return jp_fail(c, at, v, "expected string");
	return 0;
}

int jp_want_int(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		    long long min, long long max, long long *out)
{
	int ret = 0;

	*out = jv_int(c->doc, v);
	if (!jv_is(v, JV_INTEGER))
		ret = jp_fail(c, at, v, "expected integer");
	else if (*out < min || *out > max)
		ret = jp_fail(c, at, v, "must be %lld..%lld", min, max);
	return ret;
}

int jp_want_choice(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		   const char *what, const char *const *choices, size_t n, size_t *idx)
{
	char expected[160] = "";
	size_t len = 0;
	const char *s;
	int ret = jp_want_string(c, v, at, &s);

	if (ret)
		return ret;
	for (*idx = 0; *idx < n; (*idx)++)
		if (!strcmp(s, choices[*idx]))
			return 0;
	for (size_t i = 0; i < n && len < sizeof(expected); i++)
		len += (size_t)snprintf(expected + len, sizeof(expected) - len, "%s\"%s\"",
					!i ? "" : i + 1 == n ? " or " : ", ", choices[i]);
	return jp_fail(c, at, v, "unknown %s (expected %s)", what, expected);
}

int jp_want_array(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at)
{
	if (!jv_is(v, JV_ARRAY))
		return jp_fail(c, at, v, "expected array");
	return 0;
}

/* An array of at least one (when one is given: "at least one ONE is
 * required") and at most max elements ("at most MAX MANY are supported");
 * its length in *n. */
int jp_want_array_len(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
			  const char *one, size_t max, const char *many, size_t *n)
{
	int ret = jp_want_array(c, v, at);

	if (ret)
		return ret;
	*n = v->n;
	if (one && *n == 0)
		return jp_fail(c, at, v, "at least one %s is required", one);
	if (*n > max)
		return jp_fail(c, at, NULL, "at most %zu %s are supported (found %zu)", max, many, *n);
	return 0;
}

/* A string that must pass ok(); copied into out (len bytes; ok() bounds it). */
int jp_want_name(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		     bool (*ok)(const char *), const char *msg, char *out, size_t len)
{
	const char *s;
	int ret;

	ret = jp_want_string(c, v, at, &s);
	if (!ret && !ok(s))
		ret = jp_fail(c, at, v, "%s", msg);
	if (!ret)
		snprintf(out, len, "%s", s);
	return ret;
}

int jp_want_label(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		      char out[TOPO_LABEL_MAX])
{
	return jp_want_name(c, v, at, topo_is_dns1123_label, TOPO_MSG_LABEL, out, TOPO_LABEL_MAX);
}

int jp_want_labels(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		   struct topo_label **out, size_t *nout)
{
	struct topo_jpath sub = { .up = at };
	struct topo_label *labels;
	const char *key, *s;
	const struct jv *lv;
	size_t i = 0, k, n;
	int ret = 0;

	if (!jv_is(v, JV_OBJECT)) {
		ret = jp_fail(c, at, v, "expected object");
		goto out;
	}
	n = v->n;
	labels = n ? calloc(n, sizeof(*labels)) : NULL;
	if (n && !labels) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	/* Handed over at once, so that topo_free() frees it after an error. */
	*out = labels;
	*nout = n;
	jv_object_foreach(c->doc, v, k, key, lv) {
		sub.key = key;
		if (!topo_is_label_key(key)) {
			ret = jp_fail_str(c, &sub, key, TOPO_MSG_LABEL_KEY);
			goto out;
		}
		ret = jp_want_string(c, lv, &sub, &s);
		if (ret)
			goto out;
		if (!topo_is_label_value(s)) {
			ret = jp_fail(c, &sub, lv, TOPO_MSG_LABEL_VALUE);
			goto out;
		}
		labels[i].key = strdup(key);
		labels[i].value = strdup(s);
		if (!labels[i].key || !labels[i].value) {
			ret = topo_err_nomem(c->err);
			goto out;
		}
		i++;
	}
out:
	return ret;
}

int jp_want_addr(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		 uint32_t *out)
{
	const char *s;
	int ret;

	ret = jp_want_string(c, v, at, &s);
	if (ret)
		goto out;
	if (addr_parse(s, out)) {
		ret = jp_fail(c, at, v, "not a valid IPv4 address (expected a.b.c.d)");
		goto out;
	}
	/* 0 means "assign one" in the model, and no lab could use it anyway. */
	if (*out == 0)
		ret = jp_fail(c, at, v, "0.0.0.0 is not a usable address");
out:
	return ret;
}

int jp_want_cidr(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		     unsigned min, unsigned max, bool unicast, struct cidr *out)
{
	char buf[CIDR_STRLEN];
	const char *s, *which;
	int ret;

	ret = jp_want_string(c, v, at, &s);
	if (ret)
		goto out;
	ret = cidr_parse(s, out);
	if (ret && ret != -EADDRNOTAVAIL) {
		ret = jp_fail(c, at, v, "not a valid CIDR (expected a.b.c.d/len)");
		goto out;
	}
	/* The length first: no "did you mean 0.0.0.0/0?" for a /0. */
	if (out->len < min || out->len > max) {
		ret = jp_fail(c, at, v, "prefix length must be %u..%u", min, max);
		goto out;
	}
	if (ret == -EADDRNOTAVAIL) {
		ret = jp_fail(c, at, v, "host bits set; did you mean %s?", cidr_fmt(out, buf));
		goto out;
	}
	if (unicast && topo_cidr_reserved(out, &which))
		ret = jp_fail(c, at, v, "overlaps the reserved range %s", which);
out:
	return ret;
}

/* Parse the object o at `at` with the given fields, in document order so
 * that the first error reported is the first one a reader meets. */
int jp_parse_object(struct parse_ctx *c, const struct jv *o, const struct topo_jpath *at,
			const struct field *fields, size_t nfields, void *obj)
{
	struct topo_jpath sub = { .up = at };
	unsigned long seen = 0;
	const char *key;
	const struct jv *v;
	size_t i, k;
	int ret = 0;

	if (!jv_is(o, JV_OBJECT)) {
		ret = jp_fail(c, at, o, "expected object");
		goto out;
	}
	jv_object_foreach(c->doc, o, k, key, v) {
		sub.key = key;
		for (i = 0; i < nfields && strcmp(fields[i].key, key); i++)
			;
		if (i == nfields) {
			ret = jp_fail(c, &sub, v, "unknown field");
			goto out;
		}
		seen |= 1ul << i;
		ret = fields[i].parse ? fields[i].parse(c, obj, v, &sub)
				      : jp_parse_at(c, &fields[i], obj, v, &sub);
		if (ret)
			goto out;
	}
	for (i = 0; i < nfields; i++) {
		if (fields[i].required && !(seen & 1ul << i)) {
			ret = jp_fail(c, at, NULL, "missing required field \"%s\"", fields[i].key);
			goto out;
		}
	}
out:
	return ret;
}

/* Parse each element of the array v with fields, into elems[i * size]. */
int jp_parse_elements(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
			  const struct field *fields, size_t nfields, void *elems, size_t size)
{
	struct topo_jpath sub = { .up = at };
	const struct jv *e;
	size_t i;
	int ret = 0;

	if (!jv_is(v, JV_ARRAY))
		return jp_want_array(c, v, at);
	jv_array_foreach(v, i, e) {
		sub.index = i;
		ret = jp_parse_object(c, e, &sub, fields, nfields, (char *)elems + i * size);
		if (ret)
			break;
	}
	return ret;
}

/* A TCP/UDP port number, 1..65535. */
int jp_want_port(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		 uint16_t *out)
{
	long long n;
	int ret = jp_want_int(c, v, at, 1, 65535, &n);

	if (!ret)
		*out = (uint16_t)n;
	return ret;
}

int jp_want_proto(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		      enum topo_proto *out)
{
	const char *s;
	int ret;

	ret = jp_want_string(c, v, at, &s);
	if (ret)
		goto out;
	/* Kubernetes spells protocols in capitals and so does the schema. */
	if (!strcmp(s, "TCP"))
		*out = TOPO_PROTO_TCP;
	else if (!strcmp(s, "UDP"))
		*out = TOPO_PROTO_UDP;
	else if (!strcmp(s, "SCTP"))
		ret = jp_fail(c, at, v, "not supported by podpath (expected \"TCP\" or \"UDP\")");
	else
		ret = jp_fail(c, at, v, "unknown protocol (expected \"TCP\" or \"UDP\")");
out:
	return ret;
}

/* F_PORT_NAME reads either port struct's name with one size. */
_Static_assert(sizeof(((struct topo_port *)0)->name) == sizeof(((struct topo_svc_port *)0)->name),
	       "container and Service port names have one size");

static int jp_parse_at(struct parse_ctx *c, const struct field *f, void *obj, const struct jv *v,
		       const struct topo_jpath *at)
{
	char *p = (char *)obj + f->off;

	switch (f->kind) {
	case F_LABEL:
		return jp_want_label(c, v, at, p);
	case F_ADDR:
		return jp_want_addr(c, v, at, (uint32_t *)(void *)p);
	case F_PORT:
		return jp_want_port(c, v, at, (uint16_t *)(void *)p);
	case F_PORT_NAME:
		return jp_want_name(c, v, at, topo_is_port_name, TOPO_MSG_PORT_NAME, p,
				 sizeof(((struct topo_port *)0)->name));
	case F_PROTO:
		return jp_want_proto(c, v, at, (enum topo_proto *)(void *)p);
	case F_FN:
		break;
	}
	return jp_fail(c, at, v, "internal: field without a parser");
}

