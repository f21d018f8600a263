/* jdoc — the topology document as a compact JSON tree; see jdoc.h.
 * One scanner reads the text twice: the first pass checks the syntax and
 * counts values and string bytes, the second fills the arrays the counts
 * sized. Nothing grows while reading, so memory is known before it is
 * taken. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo/jdoc.h"
#include "utf8.h"
#include "topo/topo_int.h"

_Static_assert(TOPO_DOC_MAX <= (1u << 28), "a document offset fits in struct jv's src");
_Static_assert(sizeof(struct jv) == 12, "one value is 12 bytes");

struct scan {
	const char *text, *p, *end;
	struct jdoc *d;		/* NULL in the counting pass */
	size_t nv, nstr;	/* values and arena bytes: counted, then filled */
	size_t max_members;	/* the largest object, for the duplicate check */
	const char **keys;	/* scratch for the duplicate check (fill pass) */
	struct topo_error *err;
};

static int cmp_key(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	int c = strcmp(*x, *y);

	/* Equal keys in document order: their texts lie in arena order. */
	return c ? c : (*x > *y) - (*x < *y);
}

/* The lexeme at p for "near '...'": a punctuator, a string or a word;
 * bytes that are not printable ASCII are shown as '?'. */
static void near_text(const struct scan *s, const char *p, char *buf, size_t n)
{
	const char *q = p;
	size_t k = 0;

	if (p >= s->end) {
		snprintf(buf, n, "end of file");
		return;
	}
	if (*q && strchr("{}[],:", *q)) {
		q++;
	} else if (*q == '"') {
		for (q++; q < s->end && *q != '"' && *q != '\n'; q++)
			;
		q += q < s->end && *q == '"';
	} else {
		while (q < s->end && !(*q && strchr(" \t\r\n{}[],:\"", *q)))
			q++;
	}
	if (q == p)
		q++;
	buf[k++] = '\'';
	for (; p < q && k < n - 5; p++)
		buf[k++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
	if (p < q) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k++] = '\'';
	buf[k] = '\0';
}

/* A syntax error at p, with jansson's wording: "MSG near 'LEXEME'". */
static int __attribute__((format(printf, 3, 4)))
scan_fail(struct scan *s, const char *p, const char *fmt, ...)
{
	char msg[160], near[32];
	const char *q, *line_start = s->text;
	int line = 1;
	va_list ap;

	if (!s->err)
		return -EINVAL;
	if (p > s->end)
		p = s->end;
	for (q = s->text; q < p; q++)
		if (*q == '\n') {
			line++;
			line_start = q + 1;
		}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	near_text(s, p, near, sizeof(near));
	topo_err_set(s->err, "", "", "%s near %s", msg, near);
	s->err->line = line;
	s->err->column = (int)(p - line_start) + 1;
	return -EINVAL;
}

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* The next record: counted in the first pass, filled in the second. */
static struct jv *value_new(struct scan *s, enum jv_type type, const char *src)
{
	struct jv *v = s->d ? &s->d->v[s->nv] : NULL;

	s->nv++;
	if (v) {
		v->type = type;
		v->src = (uint32_t)(src - s->text);
		v->span = 1;
		v->n = 0;
	}
	return v;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
	unsigned u = 0;

	if (end - p < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char ch = p[k];

		u <<= 4;
		if (ch >= '0' && ch <= '9')
			u |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			u |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			u |= (unsigned)(ch - 'A' + 10);
		else
			return -1;
	}
	*out = u;
	return 0;
}


static size_t utf8_put(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at s->p (on its '"'): checked, and decoded into the arena in
 * the fill pass. Never longer decoded than quoted. */
static int scan_string(struct scan *s)
{
	const char *start = s->p++;
	char *out = s->d ? s->d->arena + s->nstr : NULL;
	size_t len = 0, k;
	struct jv *v;
	unsigned cp, lo;
	char buf[4];

	for (;;) {
		if (s->p >= s->end)
			return scan_fail(s, s->p, "premature end of input");
		unsigned char ch = (unsigned char)*s->p;

		if (ch == '"')
			break;
		if (ch == '\n')
			return scan_fail(s, s->p, "unexpected newline");
		if (ch < 0x20)
			return scan_fail(s, s->p, "control character 0x%x", ch);
		if (ch != '\\') {
			k = utf8_char_len((const unsigned char *)s->p, (const unsigned char *)s->end);
			if (!k)
				return scan_fail(s, s->p, "unable to decode byte 0x%x", ch);
			if (out)
				memcpy(out + len, s->p, k);
			len += k;
			s->p += k;
			continue;
		}
		if (s->p + 1 >= s->end)
			return scan_fail(s, s->p + 1, "premature end of input");
		switch (s->p[1]) {
		case '"': case '\\': case '/':
			buf[0] = s->p[1];
			k = 1;
			break;
		case 'b': buf[0] = '\b'; k = 1; break;
		case 'f': buf[0] = '\f'; k = 1; break;
		case 'n': buf[0] = '\n'; k = 1; break;
		case 'r': buf[0] = '\r'; k = 1; break;
		case 't': buf[0] = '\t'; k = 1; break;
		case 'u':
			if (hex4(s->p + 2, s->end, &cp))
				return scan_fail(s, s->p, "invalid Unicode escape '%.*s'",
						 (int)(s->end - s->p < 6 ? s->end - s->p : 6), s->p);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (s->end - s->p < 12 || s->p[6] != '\\' || s->p[7] != 'u' ||
				    hex4(s->p + 8, s->end, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return scan_fail(s, s->p, "invalid Unicode '\\u%04X'", cp);
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s->p += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return scan_fail(s, s->p, "invalid Unicode '\\u%04X'", cp);
			} else if (cp == 0) {
				return scan_fail(s, s->p,
						 "\\u0000 is not allowed without JSON_ALLOW_NUL");
			}
			k = utf8_put(buf, cp);
			s->p += 4;
			break;
		default:
			return scan_fail(s, s->p, "invalid escape '%.2s'", s->p);
		}
		if (out)
			memcpy(out + len, buf, k);
		len += k;
		s->p += 2;
	}
	s->p++;
	v = value_new(s, JV_STRING, start);
	if (v) {
		out[len] = '\0';
		v->str = (uint32_t)s->nstr;
	}
	s->nstr += len + 1;
	return 0;
}

/* A number as JSON spells it; integers must fit in 64 bits, reals in a
 * double, as jansson requires. */
static int scan_number(struct scan *s)
{
	const char *start = s->p, *p = s->p;
	bool real = false;
	char small[64], *copy;
	int ret = 0;

	if (p < s->end && *p == '-')
		p++;
	if (p < s->end && *p == '0')
		p++;
	else if (p < s->end && *p >= '1' && *p <= '9')
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	else
		return scan_fail(s, start, "invalid token");
	if (p < s->end && *p == '.') {
		real = true;
		if (++p >= s->end || *p < '0' || *p > '9')
			return scan_fail(s, start, "invalid token");
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < s->end && (*p == 'e' || *p == 'E')) {
		real = true;
		p++;
		if (p < s->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= s->end || *p < '0' || *p > '9')
			return scan_fail(s, start, "invalid token");
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	}
	/* The text is not NUL-ended: strtoll and strtod read a copy. */
	copy = (size_t)(p - start) < sizeof(small) ? small : malloc((size_t)(p - start) + 1);
	if (!copy)
		return topo_err_nomem(s->err);
	memcpy(copy, start, (size_t)(p - start));
	copy[p - start] = '\0';
	errno = 0;
	if (real) {
		double dv = strtod(copy, NULL);

		if (errno == ERANGE && isinf(dv))
			ret = scan_fail(s, start, "real number overflow");
		else
			value_new(s, JV_REAL, start);
	} else {
		long long iv = strtoll(copy, NULL, 10);

		if (errno == ERANGE)
			ret = scan_fail(s, start,
					iv < 0 ? "too big negative integer" : "too big integer");
		else
			value_new(s, JV_INTEGER, start);
	}
	if (copy != small)
		free(copy);
	s->p = p;
	return ret;
}

static int scan_value(struct scan *s, int depth);

/* In the fill pass: refuse an object naming a key twice, at the second. */
static int object_dups(struct scan *s, const struct jv *o)
{
	const struct jv *v;
	const char *key, *dup = NULL;
	size_t i, n = 0;

	if (!s->d || o->n < 2)
		return 0;
	jv_object_foreach(s->d, o, i, key, v)
		s->keys[n++] = key;
	qsort(s->keys, n, sizeof(*s->keys), cmp_key);
	for (i = 1; i < n; i++)
		if (!strcmp(s->keys[i - 1], s->keys[i]) && (!dup || s->keys[i] < dup))
			dup = s->keys[i];
	if (!dup)
		return 0;
	/* The key's record: the arena is in document order, so is the search. */
	jv_object_foreach(s->d, o, i, key, v)
		if (key == dup)
			return scan_fail(s, s->text + (v - 1)->src, "duplicate object key");
	return 0;
}

static int scan_container(struct scan *s, int depth)
{
	bool object = *s->p == '{';
	const char close = object ? '}' : ']';
	size_t first = s->nv, n = 0;
	struct jv *v = value_new(s, object ? JV_OBJECT : JV_ARRAY, s->p);
	int ret;

	if (depth > JDOC_MAX_DEPTH)
		return scan_fail(s, s->p, "maximum parsing depth reached");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close)
		goto done;
	for (;;) {
		if (object) {
			if (s->p >= s->end || *s->p != '"')
				return scan_fail(s, s->p, "string or '}' expected");
			ret = scan_string(s);
			if (ret)
				return ret;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return scan_fail(s, s->p, "':' expected");
			s->p++;
			skip_ws(s);
		}
		ret = scan_value(s, depth);
		if (ret)
			return ret;
		n++;
		skip_ws(s);
		if (s->p >= s->end || *s->p != ',')
			break;
		s->p++;
		skip_ws(s);
	}
	if (s->p >= s->end || *s->p != close)
		return scan_fail(s, s->p, object ? "'}' expected" : "']' expected");
done:
	s->p++;
	if (object && n > s->max_members)
		s->max_members = n;
	if (!v)
		return 0;
	v->n = (uint32_t)n;
	v->span = (uint32_t)(s->nv - first);
	return object ? object_dups(s, v) : 0;
}

static int scan_literal(struct scan *s, const char *word, enum jv_type type)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return scan_fail(s, s->p, "invalid token");
	value_new(s, type, s->p);
	s->p += n;
	return 0;
}

static int scan_value(struct scan *s, int depth)
{
	if (s->p >= s->end)
		return scan_fail(s, s->p, "unexpected token");
	switch (*s->p) {
	case '{':
	case '[':
		return scan_container(s, depth + 1);
	case '"':
		return scan_string(s);
	case 't':
		return scan_literal(s, "true", JV_TRUE);
	case 'f':
		return scan_literal(s, "false", JV_FALSE);
	case 'n':
		return scan_literal(s, "null", JV_NULL);
	case '-':
	case '0' ... '9':
		return scan_number(s);
	case '}':
	case ']':
	case ',':
	case ':':
		return scan_fail(s, s->p, "unexpected token");
	default:
		return scan_fail(s, s->p, "invalid token");
	}
}

/* One pass over the whole text. */
static int scan_doc(struct scan *s)
{
	int ret;

	s->p = s->text;
	s->nv = s->nstr = 0;
	skip_ws(s);
	if (s->p >= s->end || (*s->p != '{' && *s->p != '['))
		return scan_fail(s, s->p, "'[' or '{' expected");
	ret = scan_value(s, 0);
	if (ret)
		return ret;
	skip_ws(s);
	if (s->p < s->end)
		return scan_fail(s, s->p, "end of file expected");
	return 0;
}

int jdoc_load(struct jdoc *d, const char *text, size_t len, struct topo_error *err)
{
	struct scan s = { .text = text, .end = text + len, .err = err };
	int ret;

	memset(d, 0, sizeof(*d));
	d->text = text;
	d->len = len;
	ret = scan_doc(&s);
	if (ret)
		goto out;
	/* Two records of room past the last: an empty object's members begin
	 * there (jv_object_foreach computes, never reads, that address). */
	d->v = malloc((s.nv + 2) * sizeof(*d->v));
	d->arena = malloc(s.nstr ? s.nstr : 1);
	s.keys = malloc((s.max_members ? s.max_members : 1) * sizeof(*s.keys));
	if (!d->v || !d->arena || !s.keys) {
		ret = topo_err_nomem(err);
		goto out;
	}
	s.d = d;
	ret = scan_doc(&s);
out:
	free(s.keys);
	return ret;
}

void jdoc_free(struct jdoc *d)
{
	free(d->v);
	free(d->arena);
	memset(d, 0, sizeof(*d));
}

long long jv_int(const struct jdoc *d, const struct jv *v)
{
	char buf[24];
	size_t k;

	if (!jv_is(v, JV_INTEGER))
		return 0;
	/* At most "-9223372036854775808": longer texts never loaded. */
	for (k = 0; k < sizeof(buf) - 1 && v->src + k < d->len; k++) {
		char ch = d->text[v->src + k];

		if (ch != '-' && (ch < '0' || ch > '9'))
			break;
		buf[k] = ch;
	}
	buf[k] = '\0';
	return strtoll(buf, NULL, 10);
}

const struct jv *jv_array_get(const struct jv *a, size_t i)
{
	const struct jv *e;
	size_t k;

	if (!jv_is(a, JV_ARRAY) || i >= a->n)
		return NULL;
	for (k = 0, e = a + 1; k < i; k++)
		e = jv_next(e);
	return e;
}

const struct jv *jv_object_get(const struct jdoc *d, const struct jv *o, const char *key)
{
	const struct jv *v;
	const char *k;
	size_t i;

	if (!jv_is(o, JV_OBJECT))
		return NULL;
	jv_object_foreach(d, o, i, k, v)
		if (!strcmp(k, key))
			return v;
	return NULL;
}

/* Append v's compact text to buf (room n, used *k); false once full. */
static bool fmt_value(const struct jdoc *d, const struct jv *v, char *buf, size_t n, size_t *k)
{
	const struct jv *e;
	const char *key;
	char tmp[32];
	size_t i;

#define PUT(str) do { \
		size_t l_ = strlen(str); \
		if (*k + l_ >= n) \
			return false; \
		memcpy(buf + *k, str, l_); \
		*k += l_; \
	} while (0)
	switch (v->type) {
	case JV_NULL: PUT("null"); break;
	case JV_FALSE: PUT("false"); break;
	case JV_TRUE: PUT("true"); break;
	case JV_INTEGER:
		snprintf(tmp, sizeof(tmp), "%lld", jv_int(d, v));
		PUT(tmp);
		break;
	case JV_REAL:
		/* Its own text: as written, at most what fits. */
		for (i = v->src; i < d->len && i - v->src < sizeof(tmp) - 1 && d->text[i] &&
		     strchr("+-.0123456789eE", d->text[i]); i++)
			tmp[i - v->src] = d->text[i];
		tmp[i - v->src] = '\0';
		PUT(tmp);
		break;
	case JV_STRING: {
		char q[TOPO_PATH_MAX], head[TOPO_PATH_MAX];
		const char *str = jv_str(d, v);
		bool cut = strlen(str) >= sizeof(head);

		/* Quoted from its head only (a long one is cut anyway), never
		 * a copy of all of it; cut short, it ends the text too. */
		snprintf(head, sizeof(head), "%s", str);
		for (i = strlen(head); cut && i > 0 && ((unsigned char)head[i - 1] & 0xc0) == 0x80;
		     i--)
			;
		if (cut && i > 0 && (unsigned char)head[i - 1] >= 0xc0)
			head[i - 1] = '\0';	/* not inside a UTF-8 sequence */
		topo_value_str(q, sizeof(q), head);
		PUT(q);
		if (cut || strlen(q) == sizeof(q) - 1)
			return false;
		break;
	}
	case JV_ARRAY:
		PUT("[");
		jv_array_foreach(v, i, e) {
			if (i)
				PUT(",");
			if (!fmt_value(d, e, buf, n, k))
				return false;
		}
		PUT("]");
		break;
	case JV_OBJECT:
		PUT("{");
		jv_object_foreach(d, v, i, key, e) {
			if (i)
				PUT(",");
			if (!fmt_value(d, e - 1, buf, n, k))
				return false;
			PUT(":");
			if (!fmt_value(d, e, buf, n, k))
				return false;
		}
		PUT("}");
		break;
	}
#undef PUT
	return true;
}

void jv_fmt(const struct jdoc *d, const struct jv *v, char *dst, size_t n)
{
	char buf[1024];
	size_t k = 0;
	bool whole = v ? fmt_value(d, v, buf, sizeof(buf), &k) : true;

	/* Cut where it stopped, visibly; topo_strtrunc cuts what is too long. */
	if (!whole) {
		if (k > sizeof(buf) - 4)
			k = sizeof(buf) - 4;
		if (n > 4 && k > n - 4)
			k = n - 4;
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	topo_strtrunc(dst, n, buf);
}
