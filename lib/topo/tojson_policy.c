/* topo_to_json's namespaces and networkPolicies: the declared namespaces
 * with their labels (kubernetes.io/metadata.name among them once resolved,
 * which reads back unchanged), and each policy as a networking.k8s.io/v1
 * object with policyTypes written out, so that the document reads back to
 * the same model. Implied namespaces are not written: resolving the
 * document implies them again, in the same order. */
#include <jansson.h>

#include "topo/topo_int.h"

/* Each builder returns NULL when out of memory; json_object_set_new() and
 * json_array_append_new() take (and fail on) NULL, so one check per
 * container catches every failure below it. */
static bool set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) == 0;
}

static bool append(json_t *a, json_t *v)
{
	return json_array_append_new(a, v) == 0;
}

static json_t *done(json_t *v, bool ok)
{
	if (!ok) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static json_t *labels_json(const struct topo_label *l, size_t n)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	for (size_t i = 0; ok && i < n; i++)
		ok = set(o, l[i].key, json_string(l[i].value));
	return done(o, ok);
}

static json_t *expr_json(const struct topo_sel_expr *e)
{
	json_t *o = json_object(), *values = json_array();
	bool ok = o && values;

	for (size_t i = 0; ok && i < e->nvalues; i++)
		ok = append(values, json_string(e->values[i]));
	ok = ok && set(o, "key", json_string(e->key));
	ok = ok && set(o, "operator", json_string(topo_sel_op_name(e->op)));
	if (ok && e->nvalues) {
		ok = set(o, "values", values);
		values = NULL;
	}
	json_decref(values);
	return done(o, ok);
}

static json_t *selector_json(const struct topo_selector *s)
{
	json_t *o = json_object(), *exprs = NULL;
	bool ok = o != NULL;

	if (ok && s->nmatch)
		ok = set(o, "matchLabels", labels_json(s->match, s->nmatch));
	if (ok && s->nexprs) {
		exprs = json_array();
		for (size_t i = 0; exprs && ok && i < s->nexprs; i++)
			ok = append(exprs, expr_json(&s->exprs[i]));
		ok = ok && set(o, "matchExpressions", exprs);
	}
	return done(o, ok);
}

/* The prefix in its own family: an IPv6 one is written back unchanged
 * (canonical form) though it matches nothing in the lab. */
static const char *block_fmt(const struct topo_np_peer *p, const struct cidr *c4,
			     const struct cidr6 *c6, char *buf)
{
	return p->block_v6 ? cidr6_fmt(c6, buf) : cidr_fmt(c4, buf);
}

static json_t *block_json(const struct topo_np_peer *p)
{
	char buf[CIDR6_STRLEN];
	json_t *o = json_object(), *except;
	bool ok = o && set(o, "cidr", json_string(block_fmt(p, &p->block, &p->block6, buf)));

	if (ok && p->nexcept) {
		except = json_array();
		for (size_t i = 0; except && ok && i < p->nexcept; i++)
			ok = append(except, json_string(block_fmt(p, p->except ? &p->except[i] : NULL,
								  p->except6 ? &p->except6[i] : NULL,
								  buf)));
		ok = ok && set(o, "except", except);
	}
	return done(o, ok);
}

static json_t *peer_json(const struct topo_np_peer *p)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (p->has_pods)
		ok = ok && set(o, "podSelector", selector_json(&p->pods));
	if (p->has_namespaces)
		ok = ok && set(o, "namespaceSelector", selector_json(&p->namespaces));
	if (p->has_block)
		ok = ok && set(o, "ipBlock", block_json(p));
	return done(o, ok);
}

static json_t *port_json(const struct topo_np_port *p)
{
	json_t *o = json_object();
	bool ok = o && set(o, "protocol", json_string(topo_np_proto_name(p->proto)));

	if (p->name[0])
		ok = ok && set(o, "port", json_string(p->name));
	else if (p->port)
		ok = ok && set(o, "port", json_integer(p->port));
	if (p->end_port)
		ok = ok && set(o, "endPort", json_integer(p->end_port));
	return done(o, ok);
}

/* One rule; peers_key is "from" (ingress) or "to" (egress). */
static json_t *rule_json(const struct topo_np_rule *r, const char *peers_key)
{
	json_t *o = json_object(), *a;
	bool ok = o != NULL;

	if (ok && r->npeers) {
		a = json_array();
		for (size_t i = 0; a && ok && i < r->npeers; i++)
			ok = append(a, peer_json(&r->peers[i]));
		ok = ok && set(o, peers_key, a);
	}
	if (ok && r->nports) {
		a = json_array();
		for (size_t i = 0; a && ok && i < r->nports; i++)
			ok = append(a, port_json(&r->ports[i]));
		ok = ok && set(o, "ports", a);
	}
	return done(o, ok);
}

static json_t *rules_json(const struct topo_np_rule *r, size_t n, const char *peers_key)
{
	json_t *a = json_array();
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < n; i++)
		ok = append(a, rule_json(&r[i], peers_key));
	return done(a, ok);
}

static json_t *policy_json(const struct topo_policy *p)
{
	json_t *o = json_object(), *meta = json_object(), *spec = json_object();
	json_t *types = json_array();
	bool ok = o && meta && spec && types;

	ok = ok && set(o, "apiVersion", json_string("networking.k8s.io/v1"));
	ok = ok && set(o, "kind", json_string("NetworkPolicy"));
	ok = ok && set(meta, "namespace", json_string(p->ns));
	ok = ok && set(meta, "name", json_string(p->name));
	ok = ok && set(spec, "podSelector", selector_json(&p->pods));
	/* Written out whatever the document said: no default to apply again. */
	if (p->ingress)
		ok = ok && append(types, json_string("Ingress"));
	if (p->egress)
		ok = ok && append(types, json_string("Egress"));
	if (ok) {
		ok = set(spec, "policyTypes", types);
		types = NULL;
	}
	if (p->nin)
		ok = ok && set(spec, "ingress", rules_json(p->in, p->nin, "from"));
	if (p->nout)
		ok = ok && set(spec, "egress", rules_json(p->out, p->nout, "to"));
	if (ok) {
		ok = set(o, "metadata", meta);
		meta = NULL;
	}
	if (ok) {
		ok = set(o, "spec", spec);
		spec = NULL;
	}
	json_decref(meta);
	json_decref(spec);
	json_decref(types);
	return done(o, ok);
}

json_t *topo_namespaces_json(const struct topo *t)
{
	json_t *a = json_array();
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < t->nnamespaces; i++) {
		const struct topo_namespace *n = &t->namespaces[i];
		json_t *o;

		if (!n->declared)
			continue;
		o = json_object();
		ok = o && set(o, "name", json_string(n->name)) &&
		     set(o, "labels", labels_json(n->labels, n->nlabels));
		ok = append(a, done(o, ok)) && ok;
	}
	return done(a, ok);
}

json_t *topo_policies_json(const struct topo *t)
{
	json_t *a = json_array();
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < t->npolicies; i++)
		ok = append(a, policy_json(&t->policies[i]));
	return done(a, ok);
}
