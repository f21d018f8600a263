/* topo error records and JSON paths: bounded formatting, never overflowing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo_int.h"

#define ELLIPSIS "..."

void topo_strtrunc(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (n == 0)
		return;
	if (len < n) {
		memcpy(dst, src, len + 1);
		return;
	}
	/* Too long: keep the head, which names the object, and mark the cut. */
	if (n <= sizeof(ELLIPSIS)) {
		memcpy(dst, src, n - 1);
		dst[n - 1] = '\0';
		return;
	}
	memcpy(dst, src, n - sizeof(ELLIPSIS));
	memcpy(dst + n - sizeof(ELLIPSIS), ELLIPSIS, sizeof(ELLIPSIS));
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

int topo_err_str(struct topo_error *err, const char *path, const char *s,
		 const char *fmt, ...)
{
	char value[sizeof(err->value) + 1];
	json_t *j = json_string(s);
	char *dump = NULL;
	va_list ap;
	int ret;

	/* Let jansson do the quoting so that a '"' or a control character in
	 * the value cannot make the message ambiguous. */
	if (j)
		dump = json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	if (dump)
		topo_strtrunc(value, sizeof(value), dump);
	else
		snprintf(value, sizeof(value), "\"%.*s\"", (int)sizeof(value) - 3, s);
	free(dump);
	json_decref(j);
	va_start(ap, fmt);
	ret = topo_err_vset(err, path, value, fmt, ap);
	va_end(ap);
	return ret;
}

int topo_err_json(struct topo_error *err, const char *path, const json_t *v,
		  const char *fmt, ...)
{
	char *dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = topo_err_vset(err, path, dump ? dump : "", fmt, ap);
	va_end(ap);
	free(dump);
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

void topo_path_key(char *dst, size_t n, const char *parent, const char *key)
{
	char buf[TOPO_PATH_MAX + 1];
	json_t *j;
	char *q;

	if (is_simple_key(key)) {
		snprintf(buf, sizeof(buf), "%s.%s", parent, key);
		topo_strtrunc(dst, n, buf);
		return;
	}
	j = json_string(key);
	q = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
	snprintf(buf, sizeof(buf), "%s[%s]", parent, q ? q : "\"?\"");
	topo_strtrunc(dst, n, buf);
	free(q);
	json_decref(j);
}

void topo_path_index(char *dst, size_t n, const char *parent, size_t i)
{
	char buf[TOPO_PATH_MAX + 1];

	snprintf(buf, sizeof(buf), "%s[%zu]", parent, i);
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
