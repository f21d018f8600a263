/* topo error records and JSON paths: bounded formatting, never overflowing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo_int.h"

#define ELLIPSIS "..."

void topo_strtrunc(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src), keep;

	if (n == 0)
		return;
	if (len < n) {
		memcpy(dst, src, len + 1);
	} else if (n <= sizeof(ELLIPSIS)) {
		memcpy(dst, src, n - 1);
		dst[n - 1] = '\0';
	} else {
		/* Keep the head, which names the object, and mark the cut. */
		keep = n - sizeof(ELLIPSIS);
		memcpy(dst, src, keep);
		memcpy(dst + keep, ELLIPSIS, sizeof(ELLIPSIS));
	}
}

void topo_err_clear(struct topo_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int topo_err_vset(struct topo_error *err, const char *path, const char *value,
		  const char *fmt, va_list ap)
{
	char msg[sizeof(err->msg) + 1];
	int n;

	if (!err)
		return -EINVAL;
	memset(err, 0, sizeof(*err));
	topo_strtrunc(err->path, sizeof(err->path), path ? path : "");
	topo_strtrunc(err->value, sizeof(err->value), value ? value : "");
	/* Format one byte too far so that truncation can be seen and marked. */
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		msg[0] = '\0';
	topo_strtrunc(err->msg, sizeof(err->msg), msg);
	return -EINVAL;
}

int topo_err_set(struct topo_error *err, const char *path, const char *value,
		 const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = topo_err_vset(err, path, value, fmt, ap);
	va_end(ap);
	return ret;
}

void topo_value_str(char *dst, size_t n, const char *s)
{
	json_t *j = json_string(s);
	char *dump = NULL;

	/* Let jansson do the quoting so that a '"' or a control character in
	 * the value cannot make the message ambiguous. */
	if (j)
		dump = json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	if (dump)
		topo_strtrunc(dst, n, dump);
	else
		topo_strtrunc(dst, n, "\"?\"");
	free(dump);
	json_decref(j);
}

int topo_err_str(struct topo_error *err, const char *path, const char *s,
		 const char *fmt, ...)
{
	char value[sizeof(err->value) + 1];
	va_list ap;
	int ret;

	topo_value_str(value, sizeof(value), s);
	va_start(ap, fmt);
	ret = topo_err_vset(err, path, value, fmt, ap);
	va_end(ap);
	return ret;
}

/* A key reads as ".key" when it is an identifier-like word, which covers
 * every field of the schema and common label keys such as "app". */
static bool is_simple_key(const char *k)
{
	const char *p;

	if (!*k || (*k >= '0' && *k <= '9') || *k == '-')
		return false;
	for (p = k; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	}
	return true;
}

/* Append one step of a path at dst + *len, keeping dst terminated. */
static void jpath_step(char *dst, size_t n, size_t *len, const struct topo_jpath *p)
{
	char q[TOPO_PATH_MAX + 1];
	int w;

	if (*len >= n)
		return;
	if (!p->key)
		w = snprintf(dst + *len, n - *len, "[%zu]", p->index);
	else if (is_simple_key(p->key))
		w = snprintf(dst + *len, n - *len, ".%s", p->key);
	else {
		topo_value_str(q, sizeof(q), p->key);
		w = snprintf(dst + *len, n - *len, "[%s]", q);
	}
	*len += w > 0 ? (size_t)w : 0;
}

void topo_jpath_fmt(char *dst, size_t n, const struct topo_jpath *p)
{
	const struct topo_jpath *steps[TOPO_JPATH_DEPTH];
	char buf[TOPO_PATH_MAX + 1];
	size_t depth = 0, len = 0;

	/* The document itself has no steps; call it "." as jq does. */
	strcpy(buf, p ? "" : ".");
	for (; p && depth < TOPO_JPATH_DEPTH; p = p->up)
		steps[depth++] = p;
	while (depth--)
		jpath_step(buf, sizeof(buf), &len, steps[depth]);
	topo_strtrunc(dst, n, buf);
}

int topo_err_nomem(struct topo_error *err)
{
	topo_err_set(err, "", "", "out of memory");
	errno = ENOMEM;
	return -ENOMEM;
}

void topo_path_fmt(char *dst, size_t n, const char *fmt, ...)
{
	char buf[TOPO_PATH_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	topo_strtrunc(dst, n, buf);
}
