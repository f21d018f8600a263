/* The document's "namespaces" and "networkPolicies" sections. Namespaces are
 * v1 Namespaces cut to name and labels; NetworkPolicies have the shape of
 * networking.k8s.io/v1, so that the items of `kubectl get networkpolicy -o
 * json` paste in: the metadata the API server adds (uid, resourceVersion,
 * ...) and a "status" are read and ignored. Each object is checked as the
 * API server validates it (pkg/apis/networking/validation); duplicates and
 * the namespaces the policies imply are topo_resolve's job (netpol.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topo/jparse.h"

#define MSG_POLICY_NAME "not a valid NetworkPolicy name (a DNS-1123 subdomain: lowercase " \
	"letters, digits, '-' and '.', starting and ending with a letter or digit; podpath " \
	"allows at most 63 characters)"
#define API_VERSION "networking.k8s.io/v1"

/* ---- namespaces ---- */

static int ns_labels(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_namespace *n = obj;

	return jp_want_labels(c, v, at, &n->labels, &n->nlabels);
}

static const struct field ns_fields[] = {
	FIELD_AT("name", true, F_LABEL, struct topo_namespace, name),
	FIELD_FN("labels", false, ns_labels),
};

/* kubernetes.io/metadata.name belongs to the API server, which sets it to
 * the namespace's name: a document may repeat it, not change it. */
static int finish_namespace(struct parse_ctx *c, const struct topo_namespace *n,
			    const struct jv *o, const struct topo_jpath *at)
{
	struct topo_jpath labels = { at, "labels", 0 }, key = { &labels, TOPO_NS_NAME_LABEL, 0 };
	const struct jv *lv = jv_object_get(c->doc, o, "labels");

	for (size_t i = 0; i < n->nlabels; i++)
		if (!strcmp(n->labels[i].key, TOPO_NS_NAME_LABEL) &&
		    strcmp(n->labels[i].value, n->name))
			return jp_fail(c, &key, jv_object_get(c->doc, lv, TOPO_NS_NAME_LABEL),
				       "set by the API server to the namespace's name \"%s\"; "
				       "it may hold no other value", n->name);
	return 0;
}

int topo_parse_namespaces(struct parse_ctx *c, void *obj, const struct jv *v,
			  const struct topo_jpath *at)
{
	struct topo_jpath sub = { .up = at };
	struct topo *t = obj;
	const struct jv *o;
	size_t i, n;
	int ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_NAMESPACES, "namespaces", &n);

	if (ret)
		return ret;
	t->namespaces = n ? calloc(n, sizeof(*t->namespaces)) : NULL;
	if (n && !t->namespaces)
		return topo_err_nomem(c->err);
	t->nnamespaces = n;
	jv_array_foreach(v, i, o) {
		t->namespaces[i].declared = true;
		sub.index = i;
		ret = jp_parse_object(c, o, &sub, ns_fields, NFIELDS(ns_fields), &t->namespaces[i]);
		if (!ret)
			ret = finish_namespace(c, &t->namespaces[i], o, &sub);
		if (ret)
			break;
	}
	return ret;
}

/* ---- label selectors ---- */

static int expr_key(struct parse_ctx *c, void *obj, const struct jv *v,
		    const struct topo_jpath *at)
{
	struct topo_sel_expr *e = obj;
	const char *s;
	int ret = jp_want_string(c, v, at, &s);

	if (!ret && !topo_is_label_key(s))
		ret = jp_fail(c, at, v, TOPO_MSG_LABEL_KEY);
	if (!ret && !(e->key = strdup(s)))
		ret = topo_err_nomem(c->err);
	return ret;
}

static int expr_operator(struct parse_ctx *c, void *obj, const struct jv *v,
			 const struct topo_jpath *at)
{
	static const char *const names[] = { "In", "NotIn", "Exists", "DoesNotExist" };
	static const enum topo_sel_op ops[] = { TOPO_SEL_IN, TOPO_SEL_NOT_IN, TOPO_SEL_EXISTS,
						TOPO_SEL_DOES_NOT_EXIST };
	struct topo_sel_expr *e = obj;
	size_t i;

	if (jp_want_choice(c, v, at, "operator", names, NFIELDS(names), &i))
		return -EINVAL;
	e->op = ops[i];
	return 0;
}

static int expr_values(struct parse_ctx *c, void *obj, const struct jv *v,
		       const struct topo_jpath *at)
{
	struct topo_jpath sub = { .up = at };
	struct topo_sel_expr *e = obj;
	const struct jv *ev;
	const char *s;
	size_t i, n;
	int ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_SEL_VALUES, "values", &n);

	if (ret)
		return ret;
	e->values = n ? calloc(n, sizeof(*e->values)) : NULL;
	if (n && !e->values)
		return topo_err_nomem(c->err);
	e->nvalues = n;
	jv_array_foreach(v, i, ev) {
		sub.index = i;
		ret = jp_want_string(c, ev, &sub, &s);
		if (!ret && !topo_is_label_value(s))
			ret = jp_fail(c, &sub, ev, TOPO_MSG_LABEL_VALUE);
		if (!ret && !(e->values[i] = strdup(s)))
			ret = topo_err_nomem(c->err);
		if (ret)
			break;
	}
	return ret;
}

static const struct field expr_fields[] = {
	FIELD_FN("key", true, expr_key),
	FIELD_FN("operator", true, expr_operator),
	FIELD_FN("values", false, expr_values),
};

/* What needs the whole expression: values go with In and NotIn only. */
static int finish_expr(struct parse_ctx *c, const struct topo_sel_expr *e, const struct jv *o,
		       const struct topo_jpath *at)
{
	struct topo_jpath values = { at, "values", 0 };
	const struct jv *vv = jv_object_get(c->doc, o, "values");
	bool set_op = e->op == TOPO_SEL_IN || e->op == TOPO_SEL_NOT_IN;

	if (set_op && !vv)
		return jp_fail(c, at, NULL, "missing required field \"values\" (operator \"%s\" "
			       "needs at least one value)", topo_sel_op_name(e->op));
	if (set_op && !e->nvalues)
		return jp_fail(c, &values, vv, "operator \"%s\" needs at least one value",
			       topo_sel_op_name(e->op));
	if (!set_op && e->nvalues)
		return jp_fail(c, &values, vv, "must be empty for operator \"%s\"",
			       topo_sel_op_name(e->op));
	return 0;
}

static int sel_match_labels(struct parse_ctx *c, void *obj, const struct jv *v,
			    const struct topo_jpath *at)
{
	struct topo_selector *s = obj;

	return jp_want_labels(c, v, at, &s->match, &s->nmatch);
}

static int sel_match_exprs(struct parse_ctx *c, void *obj, const struct jv *v,
			   const struct topo_jpath *at)
{
	struct topo_jpath sub = { .up = at };
	struct topo_selector *s = obj;
	const struct jv *o;
	size_t i, n;
	int ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_SEL_EXPRS,
				    "matchExpressions per selector", &n);

	if (ret)
		return ret;
	s->exprs = n ? calloc(n, sizeof(*s->exprs)) : NULL;
	if (n && !s->exprs)
		return topo_err_nomem(c->err);
	s->nexprs = n;
	jv_array_foreach(v, i, o) {
		sub.index = i;
		ret = jp_parse_object(c, o, &sub, expr_fields, NFIELDS(expr_fields), &s->exprs[i]);
		if (!ret)
			ret = finish_expr(c, &s->exprs[i], o, &sub);
		if (ret)
			break;
	}
	return ret;
}

static const struct field selector_fields[] = {
	FIELD_FN("matchLabels", false, sel_match_labels),
	FIELD_FN("matchExpressions", false, sel_match_exprs),
};

static int want_selector(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
			 struct topo_selector *s)
{
	return jp_parse_object(c, v, at, selector_fields, NFIELDS(selector_fields), s);
}

/* ---- ports ---- */

static int port_protocol(struct parse_ctx *c, void *obj, const struct jv *v,
			 const struct topo_jpath *at)
{
	static const char *const names[] = { "TCP", "UDP", "SCTP" };
	static const enum topo_np_proto protos[] = { TOPO_NP_TCP, TOPO_NP_UDP, TOPO_NP_SCTP };
	struct topo_np_port *p = obj;
	size_t i;

	if (jp_want_choice(c, v, at, "protocol", names, NFIELDS(names), &i))
		return -EINVAL;
	p->proto = protos[i];
	return 0;
}

/* A number, or a named port (Kubernetes' IntOrString), resolved per pod. */
static int port_port(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_np_port *p = obj;

	if (jv_is(v, JV_STRING))
		return jp_want_name(c, v, at, topo_is_port_name, TOPO_MSG_PORT_NAME, p->name,
				    sizeof(p->name));
	if (!jv_is(v, JV_INTEGER))
		return jp_fail(c, at, v, "expected integer or string (a container port's name)");
	return jp_want_port(c, v, at, &p->port);
}

static int port_end(struct parse_ctx *c, void *obj, const struct jv *v,
		    const struct topo_jpath *at)
{
	struct topo_np_port *p = obj;

	return jp_want_port(c, v, at, &p->end_port);
}

static const struct field port_fields[] = {
	FIELD_FN("protocol", false, port_protocol),
	FIELD_FN("port", false, port_port),
	FIELD_FN("endPort", false, port_end),
};

/* endPort closes a range that a numeric port opens. */
static int finish_port(struct parse_ctx *c, const struct topo_np_port *p, const struct jv *o,
		       const struct topo_jpath *at)
{
	struct topo_jpath end = { at, "endPort", 0 };
	const struct jv *ev = jv_object_get(c->doc, o, "endPort");

	if (!p->end_port)
		return 0;
	if (p->name[0])
		return jp_fail(c, &end, ev, "not allowed with a named port (\"%s\"): a range "
			       "needs a numeric port", p->name);
	if (!p->port)
		return jp_fail(c, &end, ev, "not allowed without \"port\", where the range starts");
	if (p->end_port < p->port)
		return jp_fail(c, &end, ev, "must be at least port %u", (unsigned)p->port);
	return 0;
}

static int rule_ports(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_jpath sub = { .up = at };
	struct topo_np_rule *r = obj;
	const struct jv *o;
	size_t i, n;
	int ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_POLICY_PORTS, "ports per rule", &n);

	if (ret)
		return ret;
	r->ports = n ? calloc(n, sizeof(*r->ports)) : NULL;
	if (n && !r->ports)
		return topo_err_nomem(c->err);
	r->nports = n;
	jv_array_foreach(v, i, o) {
		r->ports[i].proto = TOPO_NP_TCP;
		sub.index = i;
		ret = jp_parse_object(c, o, &sub, port_fields, NFIELDS(port_fields), &r->ports[i]);
		if (!ret)
			ret = finish_port(c, &r->ports[i], o, &sub);
		if (ret)
			break;
	}
	return ret;
}

/* ---- peers ---- */

/* The lab is IPv4-only, but dual-stack policies are everyday `kubectl get
 * -o json` output (an egress allow to 0.0.0.0/0 and ::/0): an IPv6 prefix
 * is read and validated as the API server does, kept for the round trip,
 * and matches nothing here (topo.h). The family is the text's: a ':'. */
static bool text_is_v6(const struct parse_ctx *c, const struct jv *v)
{
	const char *s = jv_str(c->doc, v);

	return s && strchr(s, ':');
}

/* An IPv6 prefix, with the same refusals as the IPv4 path: malformed, and
 * host bits set (the API server's legacy check would mask them; podpath
 * refuses them for both families, so that what runs is what was written). */
static int want_cidr6(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		      struct cidr6 *out)
{
	char buf[CIDR6_STRLEN];
	const char *s;
	int ret = jp_want_string(c, v, at, &s);

	if (ret)
		return ret;
	ret = cidr6_parse(s, out);
	if (ret == -EADDRNOTAVAIL)
		return jp_fail(c, at, v, "host bits set; did you mean %s?", cidr6_fmt(out, buf));
	if (ret)
		return jp_fail(c, at, v, "not a valid IPv6 CIDR (expected e.g. 2001:db8::/64, "
			       "prefix length 0..128)");
	return 0;
}

/* An IPv4 CIDR of any length (0.0.0.0/0 is common), or an IPv6 one. */
static int block_cidr(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_np_peer *p = obj;

	if (text_is_v6(c, v)) {
		p->block_v6 = true;
		return want_cidr6(c, v, at, &p->block6);
	}
	return jp_want_cidr(c, v, at, 0, 32, false, &p->block);
}

/* Each entry is read in its own family, into except or except6 (the cidr
 * may come later in the document); peer_block then checks the families
 * agree and keeps only the array of the cidr's. */
static int block_except(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at)
{
	struct topo_jpath sub = { .up = at };
	struct topo_np_peer *p = obj;
	const struct jv *e;
	size_t i, n;
	int ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_EXCEPT, "except entries", &n);

	if (ret)
		return ret;
	p->except = n ? calloc(n, sizeof(*p->except)) : NULL;
	p->except6 = n ? calloc(n, sizeof(*p->except6)) : NULL;
	if (n && (!p->except || !p->except6))
		return topo_err_nomem(c->err);
	p->nexcept = n;
	jv_array_foreach(v, i, e) {
		sub.index = i;
		if (text_is_v6(c, e))
			ret = want_cidr6(c, e, &sub, &p->except6[i]);
		else
			ret = jp_want_cidr(c, e, &sub, 0, 32, false, &p->except[i]);
		if (ret)
			break;
	}
	return ret;
}

static const struct field block_fields[] = {
	FIELD_FN("cidr", true, block_cidr),
	FIELD_FN("except", false, block_except),
};

/* As the API server: each except entry a strict subset of cidr. Checked
 * once the whole ipBlock is read, whatever the order of its fields. */
static int peer_block(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_jpath except = { at, "except", 0 }, sub = { &except, NULL, 0 };
	struct topo_np_peer *p = obj;
	char buf[CIDR6_STRLEN];
	int ret;

	p->has_block = true;
	ret = jp_parse_object(c, v, at, block_fields, NFIELDS(block_fields), p);
	for (size_t i = 0; !ret && i < p->nexcept; i++) {
		const struct jv *e = jv_array_get(jv_object_get(c->doc, v, "except"), i);
		bool v6 = text_is_v6(c, e);

		/* An entry of the other family is never inside cidr: the API
		 * server refuses it as not a strict subset, and so do we. */
		if (v6 == p->block_v6 &&
		    (v6 ? p->except6[i].len > p->block6.len &&
			  cidr6_within(&p->except6[i], &p->block6)
			: p->except[i].len > p->block.len &&
			  cidr_within(&p->except[i], &p->block)))
			continue;
		sub.index = i;
		ret = jp_fail(c, &sub, e, "must be a strict subset of cidr %s%s",
			      p->block_v6 ? cidr6_fmt(&p->block6, buf) : cidr_fmt(&p->block, buf),
			      v6 == p->block_v6 ? "" : v6 ? " (an IPv6 prefix, cidr is IPv4)"
			      : " (an IPv4 prefix, cidr is IPv6)");
	}
	/* Only the cidr's family stays: consumers read one array (topo.h). */
	if (p->block_v6) {
		free(p->except);
		p->except = NULL;
	} else {
		free(p->except6);
		p->except6 = NULL;
	}
	return ret;
}

static int peer_pods(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_np_peer *p = obj;

	p->has_pods = true;
	return want_selector(c, v, at, &p->pods);
}

static int peer_namespaces(struct parse_ctx *c, void *obj, const struct jv *v,
			   const struct topo_jpath *at)
{
	struct topo_np_peer *p = obj;

	p->has_namespaces = true;
	return want_selector(c, v, at, &p->namespaces);
}

static const struct field peer_fields[] = {
	FIELD_FN("podSelector", false, peer_pods),
	FIELD_FN("namespaceSelector", false, peer_namespaces),
	FIELD_FN("ipBlock", false, peer_block),
};

static int finish_peer(struct parse_ctx *c, const struct topo_np_peer *p, const struct jv *o,
		       const struct topo_jpath *at)
{
	if (!p->has_pods && !p->has_namespaces && !p->has_block)
		return jp_fail(c, at, o, "a peer needs \"podSelector\", \"namespaceSelector\" "
			       "or \"ipBlock\" (the API server refuses an empty one)");
	if (p->has_block && (p->has_pods || p->has_namespaces))
		return jp_fail(c, at, o, "\"ipBlock\" cannot be combined with \"%s\" in one "
			       "peer (give them as two peers)",
			       p->has_pods ? "podSelector" : "namespaceSelector");
	return 0;
}

static int rule_peers(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_jpath sub = { .up = at };
	struct topo_np_rule *r = obj;
	const struct jv *o;
	size_t i, n;
	int ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_POLICY_PEERS, "peers per rule", &n);

	if (ret)
		return ret;
	r->peers = n ? calloc(n, sizeof(*r->peers)) : NULL;
	if (n && !r->peers)
		return topo_err_nomem(c->err);
	r->npeers = n;
	jv_array_foreach(v, i, o) {
		sub.index = i;
		ret = jp_parse_object(c, o, &sub, peer_fields, NFIELDS(peer_fields), &r->peers[i]);
		if (!ret)
			ret = finish_peer(c, &r->peers[i], o, &sub);
		if (ret)
			break;
	}
	return ret;
}

/* ---- rules ---- */

static const struct field ingress_rule_fields[] = {
	FIELD_FN("from", false, rule_peers),
	FIELD_FN("ports", false, rule_ports),
};

static const struct field egress_rule_fields[] = {
	FIELD_FN("to", false, rule_peers),
	FIELD_FN("ports", false, rule_ports),
};

static int want_rules(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		      bool ingress, struct topo_np_rule **out, size_t *nout)
{
	size_t n;
	int ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_POLICY_RULES,
				    ingress ? "ingress rules" : "egress rules", &n);

	if (ret)
		return ret;
	*out = n ? calloc(n, sizeof(**out)) : NULL;
	if (n && !*out)
		return topo_err_nomem(c->err);
	*nout = n;
	return ingress ? jp_parse_elements(c, v, at, ingress_rule_fields,
					   NFIELDS(ingress_rule_fields), *out, sizeof(**out))
		       : jp_parse_elements(c, v, at, egress_rule_fields,
					   NFIELDS(egress_rule_fields), *out, sizeof(**out));
}

/* ---- spec ---- */

static int spec_pods(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_policy *p = obj;

	return want_selector(c, v, at, &p->pods);
}

static int spec_types(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	static const char *const names[] = { "Ingress", "Egress" };
	struct topo_jpath sub = { .up = at };
	struct topo_policy *p = obj;
	const struct jv *e;
	size_t i, k, n, first[2] = { 0, 0 };
	bool seen[2] = { false, false };
	int ret = jp_want_array_len(c, v, at, NULL, NFIELDS(names), "policyTypes", &n);

	if (ret)
		return ret;
	jv_array_foreach(v, i, e) {
		sub.index = i;
		if (jp_want_choice(c, e, &sub, "policy type", names, NFIELDS(names), &k))
			return -EINVAL;
		if (seen[k])
			return jp_fail(c, &sub, e, "duplicate policy type (also [%zu])", first[k]);
		seen[k] = true;
		first[k] = i;
	}
	/* An empty list is no list: the API server defaults it (policy_spec). */
	if (n) {
		p->ingress = seen[0];
		p->egress = seen[1];
	}
	return 0;
}

static int spec_ingress(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at)
{
	struct topo_policy *p = obj;

	return want_rules(c, v, at, true, &p->in, &p->nin);
}

static int spec_egress(struct parse_ctx *c, void *obj, const struct jv *v,
		       const struct topo_jpath *at)
{
	struct topo_policy *p = obj;

	return want_rules(c, v, at, false, &p->out, &p->nout);
}

static const struct field spec_fields[] = {
	/* Optional since the API made it so: left out, it is the empty
	 * selector, every pod of the namespace (NetworkPolicySpec). */
	FIELD_FN("podSelector", false, spec_pods),
	FIELD_FN("policyTypes", false, spec_types),
	FIELD_FN("ingress", false, spec_ingress),
	FIELD_FN("egress", false, spec_egress),
};

/* policyTypes left out (or empty) defaults as the API server defaults it:
 * Ingress, and Egress too when there are egress rules. Rules of a type
 * the list leaves out are kept, and count for nothing. */
static int policy_spec(struct parse_ctx *c, void *obj, const struct jv *v,
		       const struct topo_jpath *at)
{
	struct topo_policy *p = obj;
	const struct jv *types;
	int ret = jp_parse_object(c, v, at, spec_fields, NFIELDS(spec_fields), obj);

	if (ret)
		return ret;
	types = jv_object_get(c->doc, v, "policyTypes");
	if (!types || !types->n) {
		p->ingress = true;
		p->egress = p->nout > 0;
	}
	return 0;
}

/* ---- metadata and the object ---- */

static int meta_name(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_policy *p = obj;

	return jp_want_name(c, v, at, topo_is_pod_name, MSG_POLICY_NAME, p->name, sizeof(p->name));
}

/* The rest of a v1 ObjectMeta, as `kubectl get -o json` prints a stored
 * object: written by the API server or by controllers (uid, selfLink,
 * ownerReferences, finalizers...) or by the user for the user (labels,
 * annotations, generateName, which the API server only uses when "name" is
 * missing, and "name" is required here). None of it changes what a policy
 * selects or admits: read, not used. */
static int ignored(struct parse_ctx *c, void *obj, const struct jv *v,
		   const struct topo_jpath *at)
{
	(void)c;
	(void)obj;
	(void)v;
	(void)at;
	return 0;
}

static const struct field meta_fields[] = {
	FIELD_AT("namespace", false, F_LABEL, struct topo_policy, ns),
	FIELD_FN("name", true, meta_name),
	FIELD_FN("generateName", false, ignored),
	FIELD_FN("selfLink", false, ignored),
	FIELD_FN("uid", false, ignored),
	FIELD_FN("resourceVersion", false, ignored),
	FIELD_FN("generation", false, ignored),
	FIELD_FN("creationTimestamp", false, ignored),
	FIELD_FN("deletionTimestamp", false, ignored),
	FIELD_FN("deletionGracePeriodSeconds", false, ignored),
	FIELD_FN("labels", false, ignored),
	FIELD_FN("annotations", false, ignored),
	FIELD_FN("ownerReferences", false, ignored),
	FIELD_FN("finalizers", false, ignored),
	FIELD_FN("managedFields", false, ignored),
};

static int policy_meta(struct parse_ctx *c, void *obj, const struct jv *v,
		       const struct topo_jpath *at)
{
	return jp_parse_object(c, v, at, meta_fields, NFIELDS(meta_fields), obj);
}

/* A string that, if given, must be exactly want. */
static int want_const(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		      const char *what, const char *want)
{
	const char *s;
	int ret = jp_want_string(c, v, at, &s);

	if (!ret && strcmp(s, want))
		ret = jp_fail(c, at, v, "unsupported %s (expected \"%s\")", what, want);
	return ret;
}

static int policy_api_version(struct parse_ctx *c, void *obj, const struct jv *v,
			      const struct topo_jpath *at)
{
	(void)obj;
	return want_const(c, v, at, "apiVersion", API_VERSION);
}

static int policy_kind(struct parse_ctx *c, void *obj, const struct jv *v,
		       const struct topo_jpath *at)
{
	(void)obj;
	return want_const(c, v, at, "kind", "NetworkPolicy");
}

static int policy_status(struct parse_ctx *c, void *obj, const struct jv *v,
			 const struct topo_jpath *at)
{
	(void)obj;
	if (!jv_is(v, JV_OBJECT))
		return jp_fail(c, at, v, "expected object");
	return 0;
}

static const struct field policy_fields[] = {
	FIELD_FN("apiVersion", false, policy_api_version),
	FIELD_FN("kind", false, policy_kind),
	FIELD_FN("metadata", true, policy_meta),
	FIELD_FN("spec", false, policy_spec),	/* optional too: see topo_parse_policies */
	FIELD_FN("status", false, policy_status),
};

int topo_parse_policies(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at)
{
	struct topo *t = obj;
	size_t i, n;
	int ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_POLICIES, "NetworkPolicies", &n);

	if (ret)
		return ret;
	t->policies = n ? calloc(n, sizeof(*t->policies)) : NULL;
	if (n && !t->policies)
		return topo_err_nomem(c->err);
	t->npolicies = n;
	/* What an object without "spec" is to the API server: the empty
	 * spec, so podSelector {} and policyTypes defaulted to [Ingress], an
	 * ingress deny for every pod of its namespace. policy_spec sets both
	 * again when there is a spec. */
	for (i = 0; i < n; i++) {
		strcpy(t->policies[i].ns, "default");
		t->policies[i].ingress = true;
	}
	return jp_parse_elements(c, v, at, policy_fields, NFIELDS(policy_fields), t->policies,
				 sizeof(*t->policies));
}
