/* jparse — reading the topology document: the parse context, field tables
 * and the typed readers every section uses. Each reader checks one value
 * and reports the first problem at its JSON path (struct topo_error). */
#ifndef PODPATH_TOPO_JPARSE_H
#define PODPATH_TOPO_JPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "topo/jdoc.h"
#include "topo/topo_int.h"

/* What a Service's fields say that its model keeps in another form, kept
 * for the checks that need the whole Service. */
struct svc_seen {
	bool headless;		/* clusterIP "None" */
	bool affinity_config;	/* sessionAffinityConfig given */
	bool ext_policy;	/* externalTrafficPolicy given */
};

struct parse_ctx {
	const struct jdoc *doc;
	struct topo *t;
	struct topo_error *err;
	const char **pod_node;	/* each pod's node name, pointing into the document */
	struct svc_seen *svc;	/* per Service */
	bool inet_seen;		/* the document has an "internet" section */
};

/* One field of an object: its key and how to parse its value into obj. */
/* What a field holds when it needs no function of its own: read with the
 * want_* of its kind into the object at offset off. */
enum field_kind { F_FN, F_LABEL, F_ADDR, F_PORT, F_PORT_NAME, F_PROTO };

struct field {
	const char *key;
	bool required;
	int (*parse)(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at);
	enum field_kind kind;	/* when parse is NULL */
	size_t off;
};

#define FIELD_FN(key, required, fn) { key, required, fn, F_FN, 0 }
#define FIELD_AT(key, required, kind, type, member) \
	{ key, required, NULL, kind, offsetof(type, member) }

#define NFIELDS(f) (sizeof(f) / sizeof((f)[0]))

/* Report an error at `at`; the value is v as JSON text (none if NULL). */
int jp_fail(struct parse_ctx *c, const struct topo_jpath *at, const struct jv *v,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same with a C string as the value, quoted. */
int jp_fail_str(struct parse_ctx *c, const struct topo_jpath *at, const char *s,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Readers: each checks v's type and range and stores it in *out. */
int jp_want_string(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		   const char **out);
int jp_want_int(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		long long min, long long max, long long *out);
int jp_want_array(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at);
/* A string that is one of choices[0..n): its index in *idx. Anything else is
 * reported as "unknown WHAT (expected ...)" listing the choices. */
int jp_want_choice(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		   const char *what, const char *const *choices, size_t n, size_t *idx);
/* An array of at least one (when one is given) and at most max elements. */
int jp_want_array_len(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		      const char *one, size_t max, const char *many, size_t *n);
/* A string that must pass ok() (else msg), copied into out of len bytes. */
int jp_want_name(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		 bool (*ok)(const char *), const char *msg, char *out, size_t len);
int jp_want_label(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		  char out[TOPO_LABEL_MAX]);
/* A label map (pod labels, a selector's matchLabels, a namespace's labels):
 * keys and values in Kubernetes label syntax, into *out (allocated, handed
 * over at once so that topo_free() frees it after an error) and *nout. */
int jp_want_labels(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		   struct topo_label **out, size_t *nout);
int jp_want_addr(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		 uint32_t *out);
/* A CIDR with prefix length min..max; unicast: not in a reserved range. */
int jp_want_cidr(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at, unsigned min,
		 unsigned max, bool unicast, struct cidr *out);
int jp_want_port(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		 uint16_t *out);
int jp_want_proto(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		  enum topo_proto *out);
/* Parse object o with fields, in document order, into obj. */
int jp_parse_object(struct parse_ctx *c, const struct jv *o, const struct topo_jpath *at,
		    const struct field *fields, size_t nfields, void *obj);
/* Parse each element of array v with fields into elems[i * size]. */
int jp_parse_elements(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		      const struct field *fields, size_t nfields, void *elems, size_t size);

/* Sections (parse.c, parse_edge.c, parse_ingress.c, parse_policy.c). */
/* A container's or internet host's "ports" array, into *ports (allocated). */
int topo_parse_ports(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		     struct topo_port **ports, size_t *nports);
/* An "image" value; none: whether "none" (no program) is allowed. */
int topo_parse_image(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		     bool none, enum topo_image *out);
/* The document's "ingresses" section into the model (obj: struct topo). */
int topo_parse_ingresses(struct parse_ctx *c, void *obj, const struct jv *v,
			 const struct topo_jpath *at);
/* The document's "internet" section into the model (obj: struct topo). */
int topo_parse_internet(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at);
/* The document's "namespaces" and "networkPolicies" sections (parse_policy.c;
 * obj: struct topo). */
int topo_parse_namespaces(struct parse_ctx *c, void *obj, const struct jv *v,
			  const struct topo_jpath *at);
int topo_parse_policies(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at);

#endif
