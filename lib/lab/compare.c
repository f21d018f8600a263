/* compare — one namespace's plan against its kernel, a check per kind of
 * object; see compare.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lab/compare.h"

/* A record's key for sorted lookups: two numbers and where it is. */
struct keyed {
	uint64_t k1, k2;
	size_t pos;
};

struct cmp {
	const struct lab_expect *x;
	const struct lab_observed *o;
	const struct nft_ruleset *want;
	struct lab_check_list *out;
	const struct nl_link_obs **by_name, **by_index;	/* the observed links, sorted */
};

static struct lab_finding *fadd(struct cmp *c, enum lab_check_kind k)
{
	return lab_check_add(c->out, k, c->x->netns, c->x->place);
}

static void ip_text(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void mac_text(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct nl_link_obs *const *)a)->name,
		      (*(const struct nl_link_obs *const *)b)->name);
}

static int index_cmp(const void *a, const void *b)
{
	int x = (*(const struct nl_link_obs *const *)a)->index;
	int y = (*(const struct nl_link_obs *const *)b)->index;

	return x < y ? -1 : x > y;
}

/* The observed link with ifindex, or NULL. */
static const struct nl_link_obs *link_by_index(const struct cmp *c, int index)
{
	struct nl_link_obs key = { .index = index };
	const struct nl_link_obs *kp = &key, **hit;

	hit = bsearch(&kp, c->by_index, c->o->nlinks, sizeof(*c->by_index), index_cmp);
	return hit ? *hit : NULL;
}

/* The observed link named name, or NULL. */
static const struct nl_link_obs *link_by_name(const struct cmp *c, const char *name)
{
	struct nl_link_obs key;
	const struct nl_link_obs *kp = &key, **hit;

	snprintf(key.name, sizeof(key.name), "%s", name);
	hit = bsearch(&kp, c->by_name, c->o->nlinks, sizeof(*c->by_name), name_cmp);
	return hit ? *hit : NULL;
}

/* The ifindex of the link the plan names; 0 (no link has it) if none. */
static int dev_index(const struct cmp *c, const char *name)
{
	const struct nl_link_obs *l = name ? link_by_name(c, name) : NULL;

	return l ? l->index : 0;
}

/* An interface's name for a report: its name, or "ifN". */
static const char *dev_name(const struct cmp *c, int index, char *buf, size_t len)
{
	const struct nl_link_obs *l = link_by_index(c, index);

	if (l)
		return l->name;
	snprintf(buf, len, "if%d", index);	/* fits an interface name */
	return buf;
}

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->k1 != y->k1)
		return x->k1 < y->k1 ? -1 : 1;
	return x->k2 < y->k2 ? -1 : x->k2 > y->k2;
}

/* Sort v (n keys) for keyed_find. */
static void keyed_sort(struct keyed *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), keyed_cmp);
}

/* The first record with key (k1, k2) not yet seen: its position, which is
 * marked seen; or -1. */
static long keyed_find(const struct keyed *v, size_t n, uint64_t k1, uint64_t k2, bool *seen)
{
	struct keyed key = { k1, k2, 0 };
	size_t lo = 0, hi = n;

	while (lo < hi) {	/* the first not below the key */
		size_t mid = (lo + hi) / 2;

		if (keyed_cmp(&v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && !keyed_cmp(&v[lo], &key); lo++)
		if (!seen[v[lo].pos]) {
			seen[v[lo].pos] = true;
			return (long)v[lo].pos;
		}
	return -1;
}

/* ---- links ------------------------------------------------------------------ */


/* A finding about link xl: object "WHAT NAME" ("link", "MTU of link"). */
static struct lab_finding *link_finding(struct cmp *c, enum lab_check_kind k, const char *what,
					const struct exp_link *xl)
{
	struct lab_finding *f = fadd(c, k);

	if (f) {
		snprintf(f->object, sizeof(f->object), "%s %s", what, xl->name);
		snprintf(f->dev, sizeof(f->dev), "%s", xl->name);
	}
	return f;
}

static void link_state(struct cmp *c, const struct exp_link *xl, const struct nl_link_obs *a)
{
	const char *have_master = NULL;
	char buf[32];
	struct lab_finding *f;

	/* Another kind of link by that name: nothing else of it compares. */
	if (xl->kind && strcmp(a->kind, xl->kind)) {
		if ((f = link_finding(c, LAB_CK_LINK_KIND, "link", xl))) {
			snprintf(f->expected, sizeof(f->expected), "%s", xl->kind);
			snprintf(f->actual, sizeof(f->actual), "%s", a->kind[0] ? a->kind : "none");
		}
		return;
	}
	if (!(a->flags & IFF_UP) && (f = link_finding(c, LAB_CK_LINK_DOWN, "link", xl))) {
		snprintf(f->expected, sizeof(f->expected), "up");
		snprintf(f->actual, sizeof(f->actual), "down");
	}
	if (xl->mtu && a->mtu != xl->mtu && (f = link_finding(c, LAB_CK_LINK_MTU, "MTU of link", xl))) {
		snprintf(f->expected, sizeof(f->expected), "%u", xl->mtu);
		snprintf(f->actual, sizeof(f->actual), "%u", a->mtu);
	}
	if (xl->mac && (!a->has_mac || memcmp(a->mac, xl->mac, 6)) &&
	    (f = link_finding(c, LAB_CK_LINK_MAC, "MAC address of link", xl))) {
		mac_text(xl->mac, f->expected, sizeof(f->expected));
		if (a->has_mac)
			mac_text(a->mac, f->actual, sizeof(f->actual));
	}
	if (a->master)
		have_master = dev_name(c, a->master, buf, sizeof(buf));
	if ((xl->master || have_master) &&
	    (!xl->master || !have_master || strcmp(xl->master, have_master)) &&
	    (f = link_finding(c, LAB_CK_LINK_MASTER, "bridge of link", xl))) {
		snprintf(f->expected, sizeof(f->expected), "%s", xl->master ? xl->master : "none");
		snprintf(f->actual, sizeof(f->actual), "%s", have_master ? have_master : "none");
	}
	if (xl->hairpin >= 0 && a->hairpin >= 0 && a->hairpin != xl->hairpin &&
	    (f = link_finding(c, LAB_CK_HAIRPIN, "hairpin mode of bridge port", xl))) {
		snprintf(f->expected, sizeof(f->expected), "%s", xl->hairpin ? "on" : "off");
		snprintf(f->actual, sizeof(f->actual), "%s", a->hairpin ? "on" : "off");
	}
	if (xl->alias && strcmp(a->alias, xl->alias) &&
	    (f = link_finding(c, LAB_CK_LINK_ALIAS, "alias of link", xl))) {
		snprintf(f->expected, sizeof(f->expected), "%s", xl->alias);
		snprintf(f->actual, sizeof(f->actual), "%s", a->alias);
	}
}

static int ck_links(struct cmp *c)
{
	const struct lab_observed *o = c->o;
	bool *seen = calloc(o->nlinks ? o->nlinks : 1, sizeof(*seen));
	struct lab_finding *f;
	int ret = -ENOMEM;

	if (!seen)
		return ret;
	for (size_t i = 0; i < c->x->nlinks; i++) {
		const struct exp_link *xl = &c->x->links[i];
		const struct nl_link_obs *hit = link_by_name(c, xl->name);

		if (hit) {
			seen[hit - o->links] = true;
			link_state(c, xl, hit);
			continue;
		}
		f = fadd(c, LAB_CK_LINK_MISSING);
		if (!f)
			goto out;
		snprintf(f->object, sizeof(f->object), "link %s", xl->name);
		snprintf(f->expected, sizeof(f->expected), "%s", xl->kind ? xl->kind : "loopback");
		snprintf(f->dev, sizeof(f->dev), "%s", xl->name);
	}
	for (size_t i = 0; i < o->nlinks; i++) {
		if (seen[i])
			continue;
		f = fadd(c, LAB_CK_LINK_EXTRA);
		if (!f)
			goto out;
		snprintf(f->object, sizeof(f->object), "link %s", o->links[i].name);
		snprintf(f->actual, sizeof(f->actual), "%s", o->links[i].kind[0] ?
			 o->links[i].kind : "link");
		snprintf(f->dev, sizeof(f->dev), "%s", o->links[i].name);
	}
	c->out->checked.links += c->x->nlinks;
	ret = 0;
out:
	free(seen);
	return ret;
}

/* ---- addresses ----------------------------------------------------------------- */

static int ck_addrs(struct cmp *c)
{
	const struct lab_observed *o = c->o;
	bool *seen = calloc(o->naddrs ? o->naddrs : 1, sizeof(*seen));
	char a[16], b[32];
	struct lab_finding *f;
	int ret = -ENOMEM;

	if (!seen)
		return ret;
	for (size_t i = 0; i < c->x->naddrs; i++) {
		const struct exp_addr *xa = &c->x->addrs[i];
		int dev = dev_index(c, xa->dev);
		bool found = false;

		/* A handful per namespace: no index needed. */
		for (size_t k = 0; k < o->naddrs && !found; k++) {
			const struct nl_addr_obs *oa = &o->addrs[k];

			if (!seen[k] && oa->addr == xa->addr && oa->plen == xa->plen && oa->index == dev)
				seen[k] = found = true;
		}
		if (found)
			continue;
		f = fadd(c, LAB_CK_ADDR_MISSING);
		if (!f)
			goto out;
		ip_text(xa->addr, a, sizeof(a));
		snprintf(f->object, sizeof(f->object), "address %s/%u on %s", a, xa->plen, xa->dev);
		snprintf(f->expected, sizeof(f->expected), "%s/%u", a, xa->plen);
		snprintf(f->dev, sizeof(f->dev), "%s", xa->dev);
	}
	for (size_t k = 0; k < o->naddrs; k++) {
		const char *dev;

		if (seen[k])
			continue;
		f = fadd(c, LAB_CK_ADDR_EXTRA);
		if (!f)
			goto out;
		dev = dev_name(c, o->addrs[k].index, b, sizeof(b));
		ip_text(o->addrs[k].addr, a, sizeof(a));
		snprintf(f->object, sizeof(f->object), "address %s/%u on %s", a, o->addrs[k].plen, dev);
		snprintf(f->actual, sizeof(f->actual), "%s/%u", a, o->addrs[k].plen);
		snprintf(f->dev, sizeof(f->dev), "%.15s", dev);
	}
	c->out->checked.addresses += c->x->naddrs;
	ret = 0;
out:
	free(seen);
	return ret;
}

/* ---- routes --------------------------------------------------------------------- */

static const char *rtn_name(uint8_t type)
{
	static const char *const names[] = {
		[RTN_UNICAST] = "unicast", [RTN_LOCAL] = "local", [RTN_BROADCAST] = "broadcast",
		[RTN_ANYCAST] = "anycast", [RTN_MULTICAST] = "multicast",
		[RTN_BLACKHOLE] = "blackhole", [RTN_UNREACHABLE] = "unreachable",
		[RTN_PROHIBIT] = "prohibit", [RTN_THROW] = "throw", [RTN_NAT] = "nat",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "other";
}

/* What a route does, as `ip route` says it: "via 172.18.0.3 dev eth0",
 * "dev cbr0", "blackhole". */
static void route_text(char *buf, size_t len, uint8_t type, uint32_t gw, const char *dev,
		       uint8_t proto)
{
	char g[16];
	int n = 0;

	buf[0] = '\0';
	if (type != RTN_UNICAST)
		n = snprintf(buf, len, "%s", rtn_name(type));
	if (gw) {
		ip_text(gw, g, sizeof(g));
		n += snprintf(buf + n, len - (size_t)n, "%svia %s", n ? " " : "", g);
	}
	if (dev && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "%sdev %s", n ? " " : "", dev);
	/* BIRD's: whoever else made it, it is not what BGP learned. */
	if (proto == BGP_RTPROT_BIRD && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%sproto bird", n ? " " : "");
}

static void route_prefix(char *buf, size_t len, uint32_t dst, uint8_t plen)
{
	char d[16];

	ip_text(dst, d, sizeof(d));
	snprintf(buf, len, "%s/%u", d, plen);
}

static void route_object(struct lab_finding *f, uint32_t table, uint32_t dst, uint8_t plen,
			 uint32_t metric)
{
	char t[24] = "", m[24] = "";

	route_prefix(f->key, sizeof(f->key), dst, plen);
	f->rt_table = table;
	if (table != RT_TABLE_MAIN)
		snprintf(t, sizeof(t), " table %u", table);
	if (metric)
		snprintf(m, sizeof(m), " metric %u", metric);
	snprintf(f->object, sizeof(f->object), "route %s%s%s", plen ? f->key : "default", t, m);
}

static uint64_t route_k1(uint32_t table, uint32_t dst)
{
	return (uint64_t)table << 32 | dst;
}

static uint64_t route_k2(uint8_t plen, uint8_t tos, uint32_t priority)
{
	return (uint64_t)plen << 40 | (uint64_t)tos << 32 | priority;
}

static int ck_routes(struct cmp *c)
{
	const struct lab_observed *o = c->o;
	bool *seen = calloc(o->nroutes ? o->nroutes : 1, sizeof(*seen));
	struct keyed *by = malloc((o->nroutes ? o->nroutes : 1) * sizeof(*by));
	char b[32], want[96], have[96];
	struct lab_finding *f;
	int ret = -ENOMEM;

	if (!seen || !by)
		goto out;
	/* A route is known by table, destination, TOS and metric, as the
	 * kernel knows it; the plan's have TOS 0 and metric 0. */
	for (size_t k = 0; k < o->nroutes; k++) {
		const struct nl_route_obs *r = &o->routes[k];

		by[k] = (struct keyed){ route_k1(r->table, r->dst),
					route_k2(r->plen, r->tos, r->priority), k };
	}
	keyed_sort(by, o->nroutes);
	for (size_t i = 0; i < c->x->nroutes; i++) {
		const struct exp_route *xr = &c->x->routes[i];
		long k = keyed_find(by, o->nroutes, route_k1(xr->table, xr->dst),
				    route_k2(xr->plen, 0, xr->metric), seen);
		const struct nl_route_obs *hit = k >= 0 ? &o->routes[k] : NULL;
		bool bird = xr->proto == BGP_RTPROT_BIRD;

		route_text(want, sizeof(want), xr->type, xr->gw, xr->dev, xr->proto);
		if (hit) {
			const char *dev = hit->oif ? dev_name(c, hit->oif, b, sizeof(b)) : NULL;

			route_text(have, sizeof(have), hit->type, hit->gw, dev, hit->proto);
			if (!strcmp(want, have))
				continue;
		}
		f = fadd(c, hit ? LAB_CK_ROUTE_CHANGED : bird ? LAB_CK_BGP_ROUTE_MISSING :
			 LAB_CK_ROUTE_MISSING);
		if (!f)
			goto out;
		route_object(f, xr->table, xr->dst, xr->plen, xr->metric);
		if (bird && !hit) {
			char g[16];

			/* "route 10.244.2.0/24 via 172.18.0.3 proto bird": what BGP
			 * should have installed, as `ip route show proto bird` has it. */
			ip_text(xr->gw, g, sizeof(g));
			snprintf(f->object, sizeof(f->object), "route %s via %s proto bird", f->key, g);
		}
		snprintf(f->expected, sizeof(f->expected), "%s", want);
		if (hit)
			snprintf(f->actual, sizeof(f->actual), "%s", have);
	}
	for (size_t k = 0; k < o->nroutes; k++) {
		const struct nl_route_obs *r = &o->routes[k];

		/* The local table is the kernel's, made from the addresses. */
		if (seen[k] || r->table == RT_TABLE_LOCAL)
			continue;
		f = fadd(c, LAB_CK_ROUTE_EXTRA);
		if (!f)
			goto out;
		route_object(f, r->table, r->dst, r->plen, r->priority);
		route_text(f->actual, sizeof(f->actual), r->type, r->gw,
			   r->oif ? dev_name(c, r->oif, b, sizeof(b)) : NULL, r->proto);
	}
	c->out->checked.routes += c->x->nroutes;
	ret = 0;
out:
	free(seen);
	free(by);
	return ret;
}

/* ---- policy rules ------------------------------------------------------------------ */

static void rule_text(char *buf, size_t len, uint32_t prio, uint32_t table, uint32_t fwmark)
{
	char m[32] = "";

	if (fwmark)
		snprintf(m, sizeof(m), "fwmark 0x%x ", fwmark);
	snprintf(buf, len, "%u: from all %slookup %u", prio, m, table);
}

static bool rule_plain(const struct nl_rule_obs *r)
{
	return r->action == FR_ACT_TO_TBL && !r->src_len && !r->dst_len && !r->iif[0] &&
	       !r->oif[0] && !r->other;
}

static int ck_rules(struct cmp *c)
{
	const struct lab_observed *o = c->o;
	bool *seen = calloc(o->nrules ? o->nrules : 1, sizeof(*seen));
	struct lab_finding *f;
	int ret = -ENOMEM;

	if (!seen)
		return ret;
	for (size_t i = 0; i < c->x->nrules; i++) {
		const struct exp_rule *xr = &c->x->rules[i];
		bool found = false;

		for (size_t k = 0; k < o->nrules && !found; k++) {
			const struct nl_rule_obs *r = &o->rules[k];

			if (!seen[k] && rule_plain(r) && r->priority == xr->priority &&
			    r->table == xr->table && r->fwmark == xr->fwmark &&
			    r->fwmask == (xr->fwmark ? 0xffffffffu : 0))
				seen[k] = found = true;
		}
		if (found)
			continue;
		f = fadd(c, LAB_CK_RULE_MISSING);
		if (!f)
			goto out;
		rule_text(f->expected, sizeof(f->expected), xr->priority, xr->table, xr->fwmark);
		snprintf(f->object, sizeof(f->object), "policy rule %u", xr->priority);
	}
	for (size_t k = 0; k < o->nrules; k++) {
		const struct nl_rule_obs *r = &o->rules[k];

		if (seen[k])
			continue;
		f = fadd(c, LAB_CK_RULE_EXTRA);
		if (!f)
			goto out;
		if (rule_plain(r))
			rule_text(f->actual, sizeof(f->actual), r->priority, r->table, r->fwmark);
		else
			snprintf(f->actual, sizeof(f->actual), "%u: a rule with other selectors or "
				 "action %u", r->priority, r->action);
		snprintf(f->object, sizeof(f->object), "policy rule %u", r->priority);
	}
	c->out->checked.rules += c->x->nrules;
	ret = 0;
out:
	free(seen);
	return ret;
}

/* ---- neighbours, proxy-ARP and FDB entries ------------------------------------------ */

static const char *nud_name(uint16_t s)
{
	return s & NUD_PERMANENT ? "permanent" : s & NUD_REACHABLE ? "reachable" :
	       s & NUD_STALE ? "stale" : s & NUD_DELAY ? "delay" : s & NUD_PROBE ? "probe" :
	       s & NUD_FAILED ? "failed" : s & NUD_INCOMPLETE ? "incomplete" :
	       s & NUD_NOARP ? "noarp" : "none";
}

static void neigh_value(const struct nl_neigh_obs *n, char *buf, size_t len)
{
	char m[18] = "";

	if (n->has_mac)
		mac_text(n->mac, m, sizeof(m));
	snprintf(buf, len, "%s%s%s", m[0] ? "lladdr " : "", m, m[0] ? " " : "");
	snprintf(buf + strlen(buf), len - strlen(buf), "%s", nud_name(n->state));
}

static void neigh_object(struct lab_finding *f, const char *what, uint32_t ip, const char *dev)
{
	char a[16];

	ip_text(ip, a, sizeof(a));
	snprintf(f->object, sizeof(f->object), "%s %s on %s", what, a, dev);
	snprintf(f->key, sizeof(f->key), "%s", a);
	snprintf(f->dev, sizeof(f->dev), "%s", dev);
}

/* Neighbour entries sorted by interface and address, for keyed_find. */
static struct keyed *neigh_index(const struct nl_neigh_obs *v, size_t n)
{
	struct keyed *by = malloc((n ? n : 1) * sizeof(*by));

	for (size_t k = 0; by && k < n; k++)
		by[k] = (struct keyed){ (uint64_t)v[k].index, v[k].ip, k };
	if (by)
		keyed_sort(by, n);
	return by;
}

static int ck_neighs(struct cmp *c)
{
	const struct lab_observed *o = c->o;
	bool *seen = calloc(o->nneighs ? o->nneighs : 1, sizeof(*seen));
	struct keyed *by = neigh_index(o->neighs, o->nneighs);
	char b[32];
	struct lab_finding *f;
	int ret = -ENOMEM;

	if (!seen || !by)
		goto out;
	for (size_t i = 0; i < c->x->nneighs; i++) {
		const struct exp_neigh *xn = &c->x->neighs[i];
		long k = keyed_find(by, o->nneighs, (uint64_t)dev_index(c, xn->dev), xn->ip, seen);
		const struct nl_neigh_obs *hit = k >= 0 ? &o->neighs[k] : NULL;

		if (hit && (hit->state & NUD_PERMANENT) && hit->has_mac && !memcmp(hit->mac, xn->mac, 6))
			continue;
		f = fadd(c, hit && (hit->state & NUD_PERMANENT) ? LAB_CK_NEIGH_CHANGED :
			 LAB_CK_NEIGH_MISSING);
		if (!f)
			goto out;
		neigh_object(f, "neighbour", xn->ip, xn->dev);
		mac_text(xn->mac, b, sizeof(b));
		snprintf(f->expected, sizeof(f->expected), "lladdr %s permanent", b);
		if (hit)
			neigh_value(hit, f->actual, sizeof(f->actual));
	}
	/* Learned entries come and go; a permanent one someone added stays. */
	for (size_t k = 0; k < o->nneighs; k++) {
		const struct nl_neigh_obs *n = &o->neighs[k];

		if (seen[k] || !(n->state & NUD_PERMANENT) || (n->flags & NTF_PROXY))
			continue;
		f = fadd(c, LAB_CK_NEIGH_EXTRA);
		if (!f)
			goto out;
		neigh_object(f, "neighbour", n->ip, dev_name(c, n->index, b, sizeof(b)));
		neigh_value(n, f->actual, sizeof(f->actual));
	}
	c->out->checked.neighbours += c->x->nneighs;
	ret = 0;
out:
	free(seen);
	free(by);
	return ret;
}

static int ck_proxies(struct cmp *c)
{
	const struct lab_observed *o = c->o;
	bool *seen = calloc(o->nproxies ? o->nproxies : 1, sizeof(*seen));
	struct keyed *by = neigh_index(o->proxies, o->nproxies);
	char b[32];
	struct lab_finding *f;
	int ret = -ENOMEM;

	if (!seen || !by)
		goto out;
	if (!c->x->read_proxies)
		goto done;
	for (size_t i = 0; i < c->x->nproxies; i++) {
		const struct exp_neigh *xn = &c->x->proxies[i];

		if (keyed_find(by, o->nproxies, (uint64_t)dev_index(c, xn->dev), xn->ip, seen) >= 0)
			continue;
		f = fadd(c, LAB_CK_PROXY_MISSING);
		if (!f)
			goto out;
		neigh_object(f, "proxy-ARP entry", xn->ip, xn->dev);
	}
	for (size_t k = 0; k < o->nproxies; k++) {
		if (seen[k])
			continue;
		f = fadd(c, LAB_CK_PROXY_EXTRA);
		if (!f)
			goto out;
		neigh_object(f, "proxy-ARP entry", o->proxies[k].ip,
			     dev_name(c, o->proxies[k].index, b, sizeof(b)));
		snprintf(f->actual, sizeof(f->actual), "proxy");
	}
	c->out->checked.neighbours += c->x->nproxies;
done:
	ret = 0;
out:
	free(seen);
	free(by);
	return ret;
}

/* FDB entries on VXLAN devices: the permanent ones podpath programs (the
 * bridge's own and learned entries are the kernel's). */
static bool fdb_ours(const struct cmp *c, const struct nl_neigh_obs *n)
{
	const struct nl_link_obs *l = link_by_index(c, n->index);

	return l && !strcmp(l->kind, "vxlan") && (n->state & NUD_PERMANENT) && n->has_mac;
}

static void fdb_object(struct lab_finding *f, const uint8_t *mac, const char *dev)
{
	char m[18];

	mac_text(mac, m, sizeof(m));
	snprintf(f->object, sizeof(f->object), "FDB entry %s on %s", m, dev);
	snprintf(f->key, sizeof(f->key), "%s", m);
	snprintf(f->dev, sizeof(f->dev), "%s", dev);
}

static int ck_fdb(struct cmp *c)
{
	const struct lab_observed *o = c->o;
	bool *seen = calloc(o->nfdb ? o->nfdb : 1, sizeof(*seen));
	char b[32], a[16];
	struct lab_finding *f;
	int ret = -ENOMEM;

	if (!seen)
		return ret;
	if (!c->x->read_fdb)
		goto done;
	for (size_t i = 0; i < c->x->nfdb; i++) {
		const struct exp_neigh *xf = &c->x->fdb[i];
		const struct nl_neigh_obs *hit = NULL;
		int dev = dev_index(c, xf->dev);

		/* One entry per peer node: no index needed. */
		for (size_t k = 0; k < o->nfdb && !hit; k++)
			if (!seen[k] && fdb_ours(c, &o->fdb[k]) && o->fdb[k].index == dev &&
			    !memcmp(o->fdb[k].mac, xf->mac, 6)) {
				seen[k] = true;
				hit = &o->fdb[k];
			}
		if (hit && hit->ip == xf->ip)
			continue;
		f = fadd(c, hit ? LAB_CK_FDB_CHANGED : LAB_CK_FDB_MISSING);
		if (!f)
			goto out;
		fdb_object(f, xf->mac, xf->dev);
		ip_text(xf->ip, a, sizeof(a));
		snprintf(f->expected, sizeof(f->expected), "dst %s permanent", a);
		if (hit) {
			ip_text(hit->ip, a, sizeof(a));
			snprintf(f->actual, sizeof(f->actual), "dst %s", a);
		}
	}
	for (size_t k = 0; k < o->nfdb; k++) {
		if (seen[k] || !fdb_ours(c, &o->fdb[k]))
			continue;
		f = fadd(c, LAB_CK_FDB_EXTRA);
		if (!f)
			goto out;
		fdb_object(f, o->fdb[k].mac, dev_name(c, o->fdb[k].index, b, sizeof(b)));
		ip_text(o->fdb[k].ip, a, sizeof(a));
		snprintf(f->actual, sizeof(f->actual), "dst %s permanent", a);
	}
	c->out->checked.fdb += c->x->nfdb;
done:
	ret = 0;
out:
	free(seen);
	return ret;
}

/* ---- sysctls -------------------------------------------------------------------------- */

/* net/ipv4/conf/flannel.1/rp_filter -> net.ipv4.conf.flannel/1.rp_filter,
 * as sysctl(8) names it. */
static void sysctl_name(const char *key, char *buf, size_t len)
{
	size_t o = 0;

	for (; *key && o + 1 < len; key++)
		buf[o++] = *key == '/' ? '.' : *key == '.' ? '/' : *key;
	buf[o] = '\0';
}

static int ck_sysctls(struct cmp *c)
{
	struct lab_finding *f;

	for (size_t i = 0; i < c->x->nsysctls; i++) {
		const struct exp_sysctl *xs = &c->x->sysctls[i];
		const struct lab_sysctl_obs *os = &c->o->sysctls[i];

		if (os->absent || !strcmp(os->value, xs->value))
			continue;
		f = fadd(c, LAB_CK_SYSCTL);
		if (!f)
			return -ENOMEM;
		sysctl_name(xs->key, f->key, sizeof(f->key));
		snprintf(f->object, sizeof(f->object), "%s", f->key);
		snprintf(f->expected, sizeof(f->expected), "%s", xs->value);
		snprintf(f->actual, sizeof(f->actual), "%s", os->value);
	}
	/* A table full to its limit drops every new flow: not a setting that
	 * differs, but the state the plan's limit was meant to leave room in. */
	for (size_t i = 0; !c->o->ct_count.absent && i < c->x->nsysctls; i++) {
		const struct exp_sysctl *xs = &c->x->sysctls[i];
		long max = strtol(c->o->sysctls[i].value, NULL, 10);
		long cnt = strtol(c->o->ct_count.value, NULL, 10);

		if (strcmp(xs->key, "net/netfilter/nf_conntrack_max") || c->o->sysctls[i].absent ||
		    max <= 0 || cnt < max)
			continue;
		f = fadd(c, LAB_CK_CONNTRACK_FULL);
		if (!f)
			return -ENOMEM;
		snprintf(f->key, sizeof(f->key), "net.netfilter.nf_conntrack_count");
		snprintf(f->object, sizeof(f->object), "conntrack table");
		snprintf(f->expected, sizeof(f->expected), "fewer than %ld entries "
			 "(net.netfilter.nf_conntrack_max)", max);
		snprintf(f->actual, sizeof(f->actual), "%ld entries: full", cnt);
	}
	c->out->checked.sysctls += c->x->nsysctls;
	return 0;
}

/* ---- nftables ------------------------------------------------------------------------- */

static const enum lab_check_kind nft_kinds[][4] = {
	[NFT_DIFF_TABLE] = { LAB_CK_NFT_TABLE_MISSING, LAB_CK_NFT_TABLE_EXTRA,
			     LAB_CK_NFT_TABLE_CHANGED, LAB_CK_NFT_TABLE_CHANGED },
	[NFT_DIFF_CHAIN] = { LAB_CK_NFT_CHAIN_MISSING, LAB_CK_NFT_CHAIN_EXTRA,
			     LAB_CK_NFT_CHAIN_CHANGED, LAB_CK_NFT_CHAIN_CHANGED },
	[NFT_DIFF_RULE] = { LAB_CK_NFT_RULE_MISSING, LAB_CK_NFT_RULE_EXTRA,
			    LAB_CK_NFT_RULE_ORDER, LAB_CK_NFT_RULE_ORDER },
	[NFT_DIFF_SET] = { LAB_CK_NFT_SET_MISSING, LAB_CK_NFT_SET_EXTRA,
			   LAB_CK_NFT_SET_CHANGED, LAB_CK_NFT_SET_CHANGED },
	[NFT_DIFF_ELEM] = { LAB_CK_NFT_ELEM_MISSING, LAB_CK_NFT_ELEM_EXTRA,
			    LAB_CK_NFT_ELEM_CHANGED, LAB_CK_NFT_ELEM_CHANGED },
};

/* A rule in words: what it does, and its comment when it has one. */
static void rule_desc(char *buf, size_t len, const char *what, const char *item)
{
	if (!what)
		snprintf(buf, len, "%s", item ? item : "");
	else if (item && strcmp(item, what))
		snprintf(buf, len, "%s (comment \"%s\")", what, item);
	else
		snprintf(buf, len, "%s", what);
}

static int nft_finding(const struct nft_diff *d, void *arg)
{
	struct cmp *c = arg;
	const char *fam = nft_family_name(d->family);
	const char *settype = d->map ? "map" : "set";
	struct lab_finding *f;
	char desc[LAB_CHECK_TEXT];

	/* A trace's own observer table, there while it runs: not the lab's. */
	if (!strncmp(d->table, LAB_TRACE_TABLE_PREFIX, strlen(LAB_TRACE_TABLE_PREFIX)))
		return 0;
	f = fadd(c, nft_kinds[d->what][d->how]);
	if (!f)
		return -ENOMEM;
	snprintf(f->key, sizeof(f->key), "%s", fam);
	snprintf(f->nft_table, sizeof(f->nft_table), "%s", d->table);
	if (d->name)
		snprintf(f->nft_name, sizeof(f->nft_name), "%s", d->name);
	f->nft_map = d->map;
	switch (d->what) {
	case NFT_DIFF_TABLE:
		snprintf(f->object, sizeof(f->object), "table %s %s", fam, d->table);
		break;
	case NFT_DIFF_CHAIN:
		snprintf(f->object, sizeof(f->object), "chain %s %s %s", fam, d->table, d->name);
		break;
	case NFT_DIFF_RULE:
		if (d->how == NFT_DIFF_ORDER) {
			snprintf(f->object, sizeof(f->object), "rule order of chain %s %s %s", fam,
				 d->table, d->name);
			snprintf(f->expected, sizeof(f->expected), "rule %zu: %s", d->index,
				 d->expected);
			snprintf(f->actual, sizeof(f->actual), "rule %zu: %s", d->index, d->actual);
			return 0;
		}
		snprintf(f->object, sizeof(f->object), "rule of chain %s %s %s", fam, d->table,
			 d->name);
		rule_desc(desc, sizeof(desc), d->how == NFT_DIFF_MISSING ? d->expected : d->actual,
			  d->item);
		if (d->how == NFT_DIFF_MISSING)
			snprintf(f->expected, sizeof(f->expected), "%s", desc);
		else
			snprintf(f->actual, sizeof(f->actual), "handle %llu: %.*s",
				 (unsigned long long)d->handle, (int)sizeof(f->actual) - 32, desc);
		return 0;
	case NFT_DIFF_SET:
		snprintf(f->object, sizeof(f->object), "%s %s %s %s", settype, fam, d->table, d->name);
		break;
	case NFT_DIFF_ELEM:
		snprintf(f->object, sizeof(f->object), "element %s of %s %s %s %s", d->item, settype,
			 fam, d->table, d->name);
		if (d->how == NFT_DIFF_MISSING)
			snprintf(f->expected, sizeof(f->expected), "%s", d->expected ? d->expected :
				 "present");
		else if (d->how == NFT_DIFF_EXTRA)
			snprintf(f->actual, sizeof(f->actual), "%s", d->actual ? d->actual : "present");
		else {
			snprintf(f->expected, sizeof(f->expected), "%s", d->expected);
			snprintf(f->actual, sizeof(f->actual), "%s", d->actual);
		}
		return 0;
	}
	if (d->how == NFT_DIFF_CHANGED) {
		snprintf(f->expected, sizeof(f->expected), "%s", d->expected);
		snprintf(f->actual, sizeof(f->actual), "%s", d->actual);
	}
	return 0;
}

static int ck_nft(struct cmp *c)
{
	struct nft_rs_counts n;
	int ret = nft_ruleset_diff(c->want, &c->o->nft, nft_finding, c, &n);

	c->out->checked.nft_tables += n.tables;
	c->out->checked.nft_chains += n.chains;
	c->out->checked.nft_rules += n.rules;
	c->out->checked.nft_sets += n.sets;
	c->out->checked.nft_elements += n.elems;
	return ret;
}

/* ---- iptables-legacy ----------------------------------------------------------------- */

static int ck_legacy(struct cmp *c)
{
	static const enum lab_check_kind kinds[] = {
		[LEGACY_RULE] = LAB_CK_IPT_LEGACY_RULE, [LEGACY_POLICY] = LAB_CK_IPT_LEGACY_POLICY,
		[LEGACY_CHAIN] = LAB_CK_IPT_LEGACY_CHAIN,
	};

	for (size_t i = 0; i < c->o->nipt; i++) {
		const struct legacy_item *it = &c->o->ipt[i];
		struct lab_finding *f = fadd(c, kinds[it->kind]);

		if (!f)
			return -ENOMEM;
		snprintf(f->key, sizeof(f->key), "%s", it->table);
		switch (it->kind) {
		case LEGACY_RULE:
			snprintf(f->object, sizeof(f->object), "iptables-legacy rule %u of chain %s "
				 "(table %s)", it->index, it->chain, it->table);
			snprintf(f->actual, sizeof(f->actual), "%s", it->text);
			break;
		case LEGACY_POLICY:
			snprintf(f->object, sizeof(f->object), "iptables-legacy policy of chain %s "
				 "(table %s)", it->chain, it->table);
			snprintf(f->expected, sizeof(f->expected), "ACCEPT");
			snprintf(f->actual, sizeof(f->actual), "%s", it->text);
			break;
		case LEGACY_CHAIN:
			snprintf(f->object, sizeof(f->object), "iptables-legacy chain %s (table %s)",
				 it->chain, it->table);
			snprintf(f->actual, sizeof(f->actual), "%s", it->text);
			break;
		}
	}
	c->out->checked.iptables_tables += c->o->ipt_tables;
	return 0;
}

/* ---- processes and their ports ---------------------------------------------------- */

static int ck_procs(struct cmp *c)
{
	struct lab_finding *f;
	size_t port = 0;

	for (size_t i = 0; i < c->x->nprocs; i++) {
		const struct exp_proc *xp = &c->x->procs[i];
		enum lab_health h = c->o->procs ? c->o->procs[i] : LAB_HEALTH_OK;

		if (h == LAB_HEALTH_DOWN || h == LAB_HEALTH_NO_NETNS) {
			f = fadd(c, h == LAB_HEALTH_DOWN ? LAB_CK_PROCESS_DOWN :
				 LAB_CK_PROCESS_UNPINNED);
			if (!f)
				return -ENOMEM;
			snprintf(f->object, sizeof(f->object), "%s", xp->what);
			f->pid = xp->pid;
			snprintf(f->expected, sizeof(f->expected), "running");
			snprintf(f->actual, sizeof(f->actual), "%s", h == LAB_HEALTH_DOWN ?
				 "not running" : "running in a namespace no longer pinned");
		}
		for (size_t k = 0; k < xp->nports; k++) {
			const struct topo_port *p = &xp->ports[k];
			const char *proto = p->proto == TOPO_PROTO_UDP ? "udp" : "tcp";

			if (!c->o->listening || c->o->listening[port++])
				continue;
			f = fadd(c, LAB_CK_LISTENER_MISSING);
			if (!f)
				return -ENOMEM;
			snprintf(f->object, sizeof(f->object), "port %u/%s of %s", p->port, proto,
				 xp->what);
			snprintf(f->expected, sizeof(f->expected), "listening");
			snprintf(f->actual, sizeof(f->actual), "no socket bound to %s port %u", proto,
				 p->port);
			f->pid = xp->pid;
			f->port = p->port;
			f->proto = p->proto == TOPO_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
		}
		c->out->checked.listeners += xp->nports;
	}
	c->out->checked.processes += c->x->nprocs;
	return 0;
}

/* ---- BGP: the speaker's BIRD and its sessions ------------------------------------ */

static struct lab_finding *bgp_fadd(struct cmp *c, enum lab_check_kind k,
				    const struct exp_bgp_session *s)
{
	struct lab_finding *f = fadd(c, k);

	if (!f)
		return NULL;
	if (lab_bgp_file(c->x->lab, c->x->bgp_speaker, "ctl", f->bird_ctl, sizeof(f->bird_ctl)) < 0)
		f->bird_ctl[0] = '\0';
	if (s) {
		snprintf(f->bgp_proto, sizeof(f->bgp_proto), "%s", s->proto);
		snprintf(f->object, sizeof(f->object), "BGP session %s with %s", s->proto,
			 lab_bgp_speaker_label(c->x->lab, s->peer));
	}
	return f;
}

static int ck_bgp(struct cmp *c)
{
	const struct lab_expect *x = c->x;
	const struct lab_observed *o = c->o;
	char cidr[CIDR_STRLEN];
	struct lab_finding *f;

	if (!x->bgp)
		return 0;
	c->out->checked.bgp_speakers++;
	c->out->checked.bgp_sessions += x->nsessions;
	if (o->bird_err) {
		f = bgp_fadd(c, LAB_CK_BGP_DAEMON_DOWN, NULL);
		if (!f)
			return -ENOMEM;
		snprintf(f->object, sizeof(f->object), "%s's BIRD",
			 lab_bgp_speaker_label(x->lab, x->bgp_speaker));
		snprintf(f->expected, sizeof(f->expected), "running");
		if (o->bird_err == -ENOENT || o->bird_err == -ECONNREFUSED)
			snprintf(f->actual, sizeof(f->actual), "not running");
		else
			snprintf(f->actual, sizeof(f->actual), "not answering on its control "
				 "socket (%s)", strerror(-o->bird_err));
		return 0;	/* its sessions cannot be asked about */
	}
	for (size_t i = 0; i < x->nsessions; i++) {
		const struct exp_bgp_session *s = &x->sessions[i];
		const struct lab_bgp_peer *p = NULL;

		for (size_t k = 0; k < o->nbgp_peers && !p; k++)
			if (!strcmp(o->bgp_peers[k].bird.proto, s->proto))
				p = &o->bgp_peers[k];
		int ferr = o->bgp_filter_err ? o->bgp_filter_err[i] : 0;

		if (p && p->established && !ferr && !(o->bgp_filtered && o->bgp_filtered[i]))
			continue;
		f = bgp_fadd(c, !p ? LAB_CK_BGP_SESSION_MISSING : !p->established ?
			     LAB_CK_BGP_SESSION_DOWN : ferr ? LAB_CK_BGP_EXPORT_UNKNOWN
			     : LAB_CK_BGP_EXPORT_FILTERED, s);
		if (!f)
			return -ENOMEM;
		if (!p) {
			snprintf(f->expected, sizeof(f->expected), "established");
			snprintf(f->actual, sizeof(f->actual), "not configured");
		} else if (!p->established) {
			snprintf(f->expected, sizeof(f->expected), "established");
			lab_bgp_session_words(x->lab, p, f->actual, sizeof(f->actual));
		} else if (ferr) {
			/* Not a clean result: BIRD did not say what it rejects. */
			cidr_fmt(&x->announce, cidr);
			snprintf(f->expected, sizeof(f->expected), "announces %s", cidr);
			snprintf(f->actual, sizeof(f->actual), "BIRD could not be asked what its "
				 "export filter rejects (%s)", strerror(-ferr));
		} else {
			cidr_fmt(&x->announce, cidr);
			snprintf(f->expected, sizeof(f->expected), "announces %s", cidr);
			snprintf(f->actual, sizeof(f->actual), "its export filter rejects %s", cidr);
		}
	}
	return 0;
}

/* The checks, in the order their findings are listed. */
static const struct {
	const char *name;
	int (*fn)(struct cmp *c);
} checks[] = {
	{ "processes", ck_procs },
	{ "links", ck_links },
	{ "addresses", ck_addrs },
	{ "routes", ck_routes },
	{ "rules", ck_rules },
	{ "neighbours", ck_neighs },
	{ "proxy-arp", ck_proxies },
	{ "fdb", ck_fdb },
	{ "sysctls", ck_sysctls },
	{ "nftables", ck_nft },
	{ "iptables-legacy", ck_legacy },
	{ "bgp", ck_bgp },
};

int lab_compare(const struct lab_expect *x, const struct lab_observed *o,
		const struct nft_ruleset *nft_want, struct lab_check_list *out)
{
	size_t n = o->nlinks ? o->nlinks : 1;
	struct cmp c = { x, o, nft_want, out, malloc(n * sizeof(*c.by_name)),
			 malloc(n * sizeof(*c.by_index)) };
	int ret = c.by_name && c.by_index ? 0 : -ENOMEM;

	/* Links are looked up by name (the plan's) and by index (the
	 * kernel's other objects name them so). */
	for (size_t i = 0; ret == 0 && i < o->nlinks; i++)
		c.by_name[i] = c.by_index[i] = &o->links[i];
	if (ret == 0 && o->nlinks) {
		qsort(c.by_name, o->nlinks, sizeof(*c.by_name), name_cmp);
		qsort(c.by_index, o->nlinks, sizeof(*c.by_index), index_cmp);
	}
	for (size_t i = 0; ret == 0 && i < sizeof(checks) / sizeof(checks[0]); i++)
		ret = checks[i].fn(&c);
	free(c.by_name);
	free(c.by_index);
	return ret;
}

void lab_observed_free(struct lab_observed *o)
{
	free(o->links);
	free(o->addrs);
	free(o->routes);
	free(o->rules);
	free(o->neighs);
	free(o->proxies);
	free(o->fdb);
	free(o->sysctls);
	nft_ruleset_free(&o->nft);
	free(o->ipt);
	free(o->listening);
	free(o->procs);
	free(o->bgp_peers);
	free(o->bgp_filtered);
	free(o->bgp_filter_err);
	memset(o, 0, sizeof(*o));
}
