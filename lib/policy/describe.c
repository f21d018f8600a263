/* policy/describe — NetworkPolicies in words; see describe.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/describe.h"

/* Text appended to a buffer of fixed size: what does not fit is cut, and
 * the text then ends in "..." so that a cut is never silent. */
struct sb {
	char *b;
	size_t len, n;
	bool cut;
};

__attribute__((format(printf, 2, 3)))
static void put(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (s->cut || !s->len)
		return;
	va_start(ap, fmt);
	w = vsnprintf(s->b + s->n, s->len - s->n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= s->len - s->n) {
		s->cut = true;
		s->n = s->len - 1;
		if (s->len > 4)
			memcpy(s->b + s->len - 4, "...", 4);
		return;
	}
	s->n += (size_t)w;
}

static struct sb sb_init(char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
	return (struct sb){ buf, len, 0, false };
}

static void selector_put(struct sb *s, const struct topo_selector *sel)
{
	size_t n = 0;

	for (size_t i = 0; i < sel->nmatch; i++)
		put(s, "%s%s=%s", n++ ? "," : "", sel->match[i].key, sel->match[i].value);
	for (size_t i = 0; i < sel->nexprs; i++) {
		const struct topo_sel_expr *x = &sel->exprs[i];

		switch (x->op) {
		case TOPO_SEL_IN:
		case TOPO_SEL_NOT_IN:
			put(s, "%s%s %s (", n++ ? "," : "", x->key,
			    x->op == TOPO_SEL_IN ? "in" : "notin");
			for (size_t v = 0; v < x->nvalues; v++)
				put(s, "%s%s", v ? "," : "", x->values[v]);
			put(s, ")");
			break;
		case TOPO_SEL_EXISTS:
			put(s, "%s%s", n++ ? "," : "", x->key);
			break;
		case TOPO_SEL_DOES_NOT_EXIST:
			put(s, "%s!%s", n++ ? "," : "", x->key);
			break;
		}
	}
}

void policy_desc_selector(const struct topo_selector *sel, char *buf, size_t len)
{
	struct sb s = sb_init(buf, len);

	selector_put(&s, sel);
}

static bool selector_empty(const struct topo_selector *sel)
{
	return !sel->nmatch && !sel->nexprs;
}

const char *policy_desc_types(const struct topo_policy *p)
{
	if (p->ingress && p->egress)
		return "Ingress,Egress";
	return p->ingress ? "Ingress" : p->egress ? "Egress" : "";
}

const char *policy_desc_dir(enum policy_dir dir)
{
	return dir == POLICY_INGRESS ? "ingress" : "egress";
}

static void peer_put(struct sb *s, const struct topo_policy *p, const struct topo_np_peer *peer)
{
	char c[CIDR6_STRLEN];

	if (peer->has_block && peer->block_v6) {
		put(s, "ipBlock %s", cidr6_fmt(&peer->block6, c));
		for (size_t i = 0; i < peer->nexcept; i++)
			put(s, "%s%s", i ? ", " : " except ", cidr6_fmt(&peer->except6[i], c));
		put(s, " (IPv6: never matches in this IPv4 lab)");
		return;
	}
	if (peer->has_block) {
		put(s, "ipBlock %s", cidr_fmt(&peer->block, c));
		for (size_t i = 0; i < peer->nexcept; i++)
			put(s, "%s%s", i ? ", " : " except ", cidr_fmt(&peer->except[i], c));
		return;
	}
	if (!peer->has_pods || selector_empty(&peer->pods)) {
		put(s, "every pod");
	} else {
		put(s, "pods ");
		selector_put(s, &peer->pods);
	}
	if (!peer->has_namespaces) {
		put(s, " in namespace %s", p->ns);
	} else if (selector_empty(&peer->namespaces)) {
		put(s, " in every namespace");
	} else {
		put(s, " in namespaces ");
		selector_put(s, &peer->namespaces);
	}
}

void policy_desc_peer(const struct topo_policy *p, const struct topo_np_peer *peer, char *buf,
		      size_t len)
{
	struct sb s = sb_init(buf, len);

	peer_put(&s, p, peer);
}

static void port_put(struct sb *s, const struct topo_np_port *port)
{
	const char *proto = topo_np_proto_name(port->proto);

	if (port->name[0])
		put(s, "%s/%s", port->name, proto);
	else if (!port->port)
		put(s, "every %s port", proto);
	else if (port->end_port && port->end_port != port->port)
		put(s, "%u-%u/%s", port->port, port->end_port, proto);
	else
		put(s, "%u/%s", port->port, proto);
}

void policy_desc_port(const struct topo_np_port *port, char *buf, size_t len)
{
	struct sb s = sb_init(buf, len);

	port_put(&s, port);
}

/* Peers all IPv6 ipBlocks: the rule can admit no packet of the lab. */
static bool all_v6(const struct topo_np_rule *rule)
{
	for (size_t i = 0; i < rule->npeers; i++)
		if (!rule->peers[i].block_v6)
			return false;
	return true;
}

void policy_desc_rule(const struct topo_policy *p, enum policy_dir dir, size_t r, char *buf,
		      size_t len)
{
	const struct topo_np_rule *rule = dir == POLICY_INGRESS ? &p->in[r] : &p->out[r];
	struct sb s = sb_init(buf, len);

	put(&s, "%s ", dir == POLICY_INGRESS ? "from" : "to");
	if (!rule->npeers)
		put(&s, "anywhere");
	for (size_t i = 0; i < rule->npeers; i++) {
		if (i)
			put(&s, " or ");
		peer_put(&s, p, &rule->peers[i]);
	}
	if (!rule->nports)
		put(&s, ", every port");
	else
		put(&s, ", %s ", rule->nports == 1 ? "port" : "ports");
	for (size_t i = 0; i < rule->nports; i++) {
		if (i)
			put(&s, " or ");
		port_put(&s, &rule->ports[i]);
	}
	if (rule->npeers && all_v6(rule))
		put(&s, "; admits nothing here");
}

size_t policy_desc_selected(const struct topo *t, const struct topo_policy *p)
{
	size_t n = 0;

	for (size_t i = 0; i < t->npods; i++)
		n += policy_selects(t, p, i);
	return n;
}

size_t policy_desc_isolated(const struct topo *t, const struct topo_policy *p,
			    enum policy_dir dir)
{
	size_t n = 0;

	for (size_t i = 0; i < t->npods; i++)
		n += policy_isolates(t, p, i, dir);
	return n;
}
