/* jdoc — the topology document as a compact, read-only JSON tree.
 * A general JSON library's tree takes 20 to 80 times its text (an object of
 * its own for every value, a hash table for every object); this one is one
 * 12-byte record per value in one array plus the decoded strings, counted
 * in a first pass over the text and allocated once, so that reading a
 * document, valid or not, takes at most about 7 times its size. It accepts
 * what jansson's json_loadb(JSON_REJECT_DUPLICATES) accepts and reports
 * errors with its wording, line and column. */
#ifndef PODPATH_TOPO_JDOC_H
#define PODPATH_TOPO_JDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topo/topo.h"

enum jv_type { JV_NULL, JV_FALSE, JV_TRUE, JV_INTEGER, JV_REAL, JV_STRING, JV_ARRAY, JV_OBJECT };

/* One value. An array's elements follow it, an object's members follow it
 * as key (a string) then value; span counts the records of its subtree,
 * itself included, so the next sibling is v + v->span. */
struct jv {
	uint32_t type : 4;
	uint32_t src : 28;	/* offset of its text in the document */
	uint32_t span;
	union {
		uint32_t n;		/* containers: elements or members */
		uint32_t str;		/* strings: offset of the NUL-ended text in the arena */
	};
};

struct jdoc {
	struct jv *v;		/* v[0] is the root */
	char *arena;		/* decoded strings */
	const char *text;	/* the document (not owned) */
	size_t len;
};

/* The deepest nesting read, as jansson's JSON_PARSER_MAX_DEPTH. */
#define JDOC_MAX_DEPTH 2048

/* Read text (len bytes, at most TOPO_DOC_MAX) into d. 0, or -EINVAL with a
 * syntax error in err (msg, line, column), or -ENOMEM. d needs jdoc_free
 * either way. */
int jdoc_load(struct jdoc *d, const char *text, size_t len, struct topo_error *err);
void jdoc_free(struct jdoc *d);

static inline bool jv_is(const struct jv *v, enum jv_type t)
{
	return v && v->type == t;
}

/* A string's text, NULL for any other value. */
static inline const char *jv_str(const struct jdoc *d, const struct jv *v)
{
	return jv_is(v, JV_STRING) ? d->arena + v->str : NULL;
}

/* An integer's value (read from its text, which the loader checked), 0
 * for any other value. */
long long jv_int(const struct jdoc *d, const struct jv *v);

static inline const struct jv *jv_next(const struct jv *v)
{
	return v + v->span;
}

/* Elements of array a: e runs over them, i counts. */
#define jv_array_foreach(a, i, e) \
	for ((i) = 0, (e) = (a) + 1; (i) < (a)->n; (i)++, (e) = jv_next(e))
/* Members of object o in document order: key (text) and value v. */
#define jv_object_foreach(d, o, i, key, v) \
	for ((i) = 0, (v) = (o) + 2; (i) < (o)->n && ((key) = jv_str(d, (v) - 1)); \
	     (i)++, (v) = jv_next(v) + 1)

/* Element i of array a (NULL past its end); walks the elements before it. */
const struct jv *jv_array_get(const struct jv *a, size_t i);
/* The value of key in object o, NULL if absent or o is not an object. */
const struct jv *jv_object_get(const struct jdoc *d, const struct jv *o, const char *key);
/* v as compact JSON text, non-ASCII and control characters escaped, into
 * dst (n bytes); a long value is cut and ends in "...". */
void jv_fmt(const struct jdoc *d, const struct jv *v, char *dst, size_t n);

#endif
