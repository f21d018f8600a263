/* break_net — the changes of faults made with rtnetlink and sysctls:
 * sysctls, routes, link state, bridge ports and neighbours; each records
 * what it replaced, read from the kernel just before; see break_int.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "lab/break_int.h"
#include "netns/netns.h"
#include "nl/nl.h"

static void fmt_mac(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* The failure of a change made in w, reported once. */
static int fail(struct brk_ctx *c, const struct brk_where *w, const char *what, int ret,
		const struct nl_err *ne)
{
	return pp_err_set(c->e, ret == -EPERM ? PP_EXIT_ENV : PP_EXIT_FAIL, ret,
			  "%s: cannot %s: %s%s%s%s", w->name, what, strerror(-ret),
			  ne && ne->ext[0] ? " (kernel: " : "", ne ? ne->ext : "",
			  ne && ne->ext[0] ? ")" : "");
}

/* ---- sysctls ------------------------------------------------------------- */

struct sysctl_op {
	const char *key, *value;
	char old[64];
};

static int sysctl_here(void *arg)
{
	struct sysctl_op *o = arg;
	int ret = netns_sysctl_get(o->key, o->old, sizeof(o->old));

	return ret < 0 ? ret : netns_sysctl_set(o->key, o->value);
}

/* "net/ipv4/ip_forward" -> "net.ipv4.ip_forward", as sysctl(8) names it. */
static void dotted(const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s", key);
	for (char *p = buf; *p; p++)
		if (*p == '/')
			*p = '.';
}

int brk_sysctl(struct brk_ctx *c, const struct brk_where *w, const char *key, const char *value)
{
	struct sysctl_op o = { key, value, "" };
	struct brk_change *ch;
	char name[128], what[160];
	int ret;

	dotted(key, name, sizeof(name));
	ret = netns_run(w->netns, sysctl_here, &o);
	if (ret < 0) {
		snprintf(what, sizeof(what), "set %s", name);
		return fail(c, w, what, ret, NULL);
	}
	ch = brk_record(c, BRK_SYSCTL, w);
	if (!ch)
		return -ENOMEM;
	snprintf(ch->key, sizeof(ch->key), "%s", key);
	snprintf(ch->old, sizeof(ch->old), "%s", o.old);
	snprintf(ch->shown.what, sizeof(ch->shown.what), "sysctl %s", name);
	snprintf(ch->shown.before, sizeof(ch->shown.before), "%s", o.old);
	snprintf(ch->shown.after, sizeof(ch->shown.after), "%s", value);
	snprintf(ch->shown.show, sizeof(ch->shown.show), "ip netns exec %s sysctl %s", w->netns,
		 name);
	return 0;
}

/* ---- routes ---------------------------------------------------------------- */

struct route_op {
	uint8_t type, plen;
	uint32_t dst;
	bool del;
	struct nl *nl;
	/* the routes found (dump) before deleting them, or after adding */
	uint8_t *msgs[8];
	size_t lens[8], n;
	struct nl_err ne;
};

static int route_keep(void *arg, const void *msg, size_t len)
{
	struct route_op *o = arg;
	const struct rtmsg *rtm = (const struct rtmsg *)((const char *)msg + NLMSG_HDRLEN);

	/* After an add, only the route of the type added is ours. */
	if (!o->del && rtm->rtm_type != o->type)
		return 0;
	if (o->n == sizeof(o->msgs) / sizeof(o->msgs[0]))
		return -E2BIG;
	o->msgs[o->n] = malloc(len);
	if (!o->msgs[o->n])
		return -ENOMEM;
	memcpy(o->msgs[o->n], msg, len);
	o->lens[o->n++] = len;
	return 0;
}

static int route_here(void *arg)
{
	struct route_op *o = arg;
	int ret;

	o->nl = nl_open();
	if (!o->nl)
		return -errno;
	if (o->del) {
		ret = nl_route_dump(o->nl, o->dst, o->plen, route_keep, o);
		for (size_t i = 0; ret == 0 && i < o->n; i++)
			ret = nl_route_raw(o->nl, o->msgs[i], o->lens[i], false);
		if (ret == 0 && o->n)
			ret = nl_commit(o->nl, &o->ne);
	} else {
		ret = nl_route_add_type(o->nl, o->type, o->dst, o->plen);
		if (ret == 0)
			ret = nl_commit(o->nl, &o->ne);
		if (ret == 0)
			ret = nl_route_dump(o->nl, o->dst, o->plen, route_keep, o);
	}
	nl_close(o->nl);
	return ret;
}

static const char *route_type_name(uint8_t type)
{
	switch (type) {
	case RTN_BLACKHOLE: return "blackhole";
	case RTN_PROHIBIT: return "prohibit";
	case RTN_UNREACHABLE: return "unreachable";
	default: return "unicast";
	}
}

/* Hand the kept messages to changes of kind (they own them from here). */
static int routes_record(struct brk_ctx *c, const struct brk_where *w, struct route_op *o,
			 enum brk_kind kind)
{
	char d[ADDR_STRLEN];
	int ret = 0;

	addr_fmt(o->dst, d);
	for (size_t i = 0; i < o->n; i++) {
		struct brk_change *ch = ret == 0 ? brk_record(c, kind, w) : NULL;
		const struct rtmsg *rtm = (const struct rtmsg *)(o->msgs[i] + NLMSG_HDRLEN);

		if (!ch) {
			free(o->msgs[i]);
			ret = -ENOMEM;
			continue;
		}
		ch->msg = o->msgs[i];
		ch->len = o->lens[i];
		snprintf(ch->shown.what, sizeof(ch->shown.what), "route %s/%u", d, o->plen);
		snprintf(ch->shown.before, sizeof(ch->shown.before), "%s",
			 kind == BRK_ROUTE_ADDED ? "none" : route_type_name(rtm->rtm_type));
		snprintf(ch->shown.after, sizeof(ch->shown.after), "%s",
			 kind == BRK_ROUTE_ADDED ? route_type_name(rtm->rtm_type) : "none");
		snprintf(ch->shown.show, sizeof(ch->shown.show), "ip -n %s route show %s/%u",
			 w->netns, d, o->plen);
	}
	o->n = 0;
	return ret;
}

int brk_route_add(struct brk_ctx *c, const struct brk_where *w, uint8_t type, uint32_t dst,
		  uint8_t plen)
{
	struct route_op o = { .type = type, .dst = dst, .plen = plen };
	char what[96], d[ADDR_STRLEN];
	int ret = netns_run(w->netns, route_here, &o);

	if (ret < 0) {
		for (size_t i = 0; i < o.n; i++)
			free(o.msgs[i]);
		snprintf(what, sizeof(what), "add route %s %s/%u", route_type_name(type),
			 addr_fmt(dst, d), plen);
		return fail(c, w, what, ret, &o.ne);
	}
	return routes_record(c, w, &o, BRK_ROUTE_ADDED);
}

int brk_route_del(struct brk_ctx *c, const struct brk_where *w, uint32_t dst, uint8_t plen,
		  size_t *n)
{
	struct route_op o = { .dst = dst, .plen = plen, .del = true };
	char what[96], d[ADDR_STRLEN];
	int ret = netns_run(w->netns, route_here, &o);

	*n = o.n;
	if (ret < 0) {
		for (size_t i = 0; i < o.n; i++)
			free(o.msgs[i]);
		snprintf(what, sizeof(what), "delete route %s/%u", addr_fmt(dst, d), plen);
		return fail(c, w, what, ret, &o.ne);
	}
	return routes_record(c, w, &o, BRK_ROUTE_DELETED);
}

/* ---- links ------------------------------------------------------------------ */

enum link_verb { LINK_MTU, LINK_DOWN, LINK_NOMASTER, LINK_HAIRPIN_OFF };

/* The routes out of a link, as the kernel described them. */
struct route_list {
	uint8_t *msg[16];
	size_t len[16], n;
};

static int route_list_add(void *arg, const void *msg, size_t len)
{
	struct route_list *r = arg;

	if (r->n == sizeof(r->msg) / sizeof(r->msg[0]))
		return -E2BIG;
	r->msg[r->n] = malloc(len);
	if (!r->msg[r->n])
		return -ENOMEM;
	memcpy(r->msg[r->n], msg, len);
	r->len[r->n++] = len;
	return 0;
}

static void route_list_free(struct route_list *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->msg[i]);
	r->n = 0;
}

/* A route's destination, as prefix bytes: (dst << 8) | plen. */
static uint64_t route_key(const uint8_t *msg)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)msg;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t dst = 0;

	mnl_attr_for_each(a, nlh, sizeof(*rtm))
		if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			dst = ntohl(mnl_attr_get_u32(a));
	return (uint64_t)dst << 8 | rtm->rtm_dst_len;
}

/* Keep in r only the routes that are not in now: those the kernel removed. */
static void route_list_gone(struct route_list *r, struct route_list *now)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n; i++) {
		bool there = false;

		for (size_t j = 0; j < now->n && !there; j++)
			there = route_key(now->msg[j]) == route_key(r->msg[i]);
		if (there) {
			free(r->msg[i]);
			continue;
		}
		r->msg[k] = r->msg[i];
		r->len[k++] = r->len[i];
	}
	r->n = k;
}

struct link_op {
	enum link_verb verb;
	int ifindex;
	unsigned mtu;
	struct nl_link_info before;
	struct route_list gone;		/* LINK_DOWN: routes the kernel removed with it */
	struct nl_err ne;
};

static int link_here(void *arg)
{
	struct link_op *o = arg;
	struct nl *nl = nl_open();
	struct nl_link set = { .index = o->ifindex, .mtu = o->mtu, .netns_fd = -1 };
	int ret;

	if (!nl)
		return -errno;
	ret = nl_link_get(nl, o->ifindex, &o->before);
	/* A link set down takes its routes with it (fib_disable_ip): they
	 * are part of what the fault changed. */
	if (ret == 0 && o->verb == LINK_DOWN)
		ret = nl_route_dump_oif(nl, o->ifindex, route_list_add, &o->gone);
	if (ret == 0) {
		switch (o->verb) {
		case LINK_MTU:
			ret = nl_link_set(nl, &set);
			break;
		case LINK_DOWN:
			ret = nl_link_set_up(nl, o->ifindex, false);
			break;
		case LINK_NOMASTER:
			ret = o->before.master ? nl_link_set_master(nl, o->ifindex, 0) : -ENOLINK;
			break;
		case LINK_HAIRPIN_OFF:
			ret = o->before.hairpin >= 0 ?
			      nl_bridge_port_hairpin_set(nl, o->ifindex, false) : -ENOLINK;
			break;
		}
	}
	if (ret == 0)
		ret = nl_commit(nl, &o->ne);
	if (ret == 0 && o->verb == LINK_DOWN) {
		struct route_list now = { .n = 0 };

		ret = nl_route_dump_oif(nl, o->ifindex, route_list_add, &now);
		route_list_gone(&o->gone, &now);
		route_list_free(&now);
	}
	nl_close(nl);
	return ret;
}

static int link_change(struct brk_ctx *c, const struct brk_where *w, struct link_op *o)
{
	static const char *const verbs[] = { "set the MTU of", "set down", "take off its bridge",
					     "turn hairpin off on" };
	static const enum brk_kind kinds[] = { BRK_LINK_MTU, BRK_LINK_UP, BRK_LINK_MASTER,
					       BRK_HAIRPIN };
	struct route_op gone = { .n = 0 };
	struct brk_change *ch;
	char what[96];
	int ret = netns_run(w->netns, link_here, o);

	if (ret < 0) {
		route_list_free(&o->gone);
		snprintf(what, sizeof(what), "%s link %s (ifindex %d)", verbs[o->verb],
			 o->before.name[0] ? o->before.name : "?", o->ifindex);
		return fail(c, w, what, ret == -ENOLINK ? -EINVAL : ret, &o->ne);
	}
	/* Recorded before the link: reverted after it is up again. */
	for (size_t i = 0; i < o->gone.n; i++) {
		const uint8_t *m = o->gone.msg[i];

		gone.msgs[0] = o->gone.msg[i];
		gone.lens[0] = o->gone.len[i];
		gone.n = 1;
		gone.plen = (uint8_t)(route_key(m) & 0xff);
		gone.dst = (uint32_t)(route_key(m) >> 8);
		o->gone.msg[i] = NULL;
		if (ret)
			free(gone.msgs[0]);	/* routes_record frees what it cannot keep */
		else
			ret = routes_record(c, w, &gone, BRK_ROUTE_DELETED);
	}
	o->gone.n = 0;
	if (ret)
		return ret;
	ch = brk_record(c, kinds[o->verb], w);
	if (!ch)
		return -ENOMEM;
	ch->ifindex = o->ifindex;
	switch (o->verb) {
	case LINK_MTU:
		ch->num = o->before.mtu;
		snprintf(ch->shown.what, sizeof(ch->shown.what), "link %s MTU", o->before.name);
		snprintf(ch->shown.before, sizeof(ch->shown.before), "%u", o->before.mtu);
		snprintf(ch->shown.after, sizeof(ch->shown.after), "%u", o->mtu);
		break;
	case LINK_DOWN:
		ch->num = o->before.up;
		snprintf(ch->shown.what, sizeof(ch->shown.what), "link %s state", o->before.name);
		snprintf(ch->shown.before, sizeof(ch->shown.before), "%s",
			 o->before.up ? "up" : "down");
		snprintf(ch->shown.after, sizeof(ch->shown.after), "down");
		break;
	case LINK_NOMASTER:
		ch->num = o->before.master;
		ch->num2 = o->before.hairpin;
		snprintf(ch->shown.what, sizeof(ch->shown.what), "link %s master", o->before.name);
		snprintf(ch->shown.before, sizeof(ch->shown.before), "ifindex %d (%s)",
			 o->before.master, LAB_BRIDGE_NAME);
		snprintf(ch->shown.after, sizeof(ch->shown.after), "none");
		break;
	case LINK_HAIRPIN_OFF:
		ch->num = o->before.hairpin;
		snprintf(ch->shown.what, sizeof(ch->shown.what), "bridge port %s hairpin",
			 o->before.name);
		snprintf(ch->shown.before, sizeof(ch->shown.before), "%s",
			 o->before.hairpin ? "on" : "off");
		snprintf(ch->shown.after, sizeof(ch->shown.after), "off");
		break;
	}
	snprintf(ch->shown.show, sizeof(ch->shown.show), "ip -n %s -d link show %s", w->netns,
		 o->before.name);
	return 0;
}

int brk_link_mtu(struct brk_ctx *c, const struct brk_where *w, int ifindex, unsigned mtu)
{
	struct link_op o = { .verb = LINK_MTU, .ifindex = ifindex, .mtu = mtu };

	return link_change(c, w, &o);
}

int brk_link_down(struct brk_ctx *c, const struct brk_where *w, int ifindex)
{
	struct link_op o = { .verb = LINK_DOWN, .ifindex = ifindex };

	return link_change(c, w, &o);
}

int brk_link_nomaster(struct brk_ctx *c, const struct brk_where *w, int ifindex)
{
	struct link_op o = { .verb = LINK_NOMASTER, .ifindex = ifindex };

	return link_change(c, w, &o);
}

int brk_hairpin_off(struct brk_ctx *c, const struct brk_where *w, int ifindex)
{
	struct link_op o = { .verb = LINK_HAIRPIN_OFF, .ifindex = ifindex };

	return link_change(c, w, &o);
}

/* ---- neighbours ------------------------------------------------------------ */

struct neigh_op {
	int ifindex;
	uint32_t ip;
	const uint8_t *mac;
	struct nl_neigh_info before;
	bool had;
	struct nl_err ne;
};

static int neigh_here(void *arg)
{
	struct neigh_op *o = arg;
	struct nl *nl = nl_open();
	int ret;

	if (!nl)
		return -errno;
	ret = nl_neigh_get(nl, o->ifindex, o->ip, &o->before);
	o->had = ret == 0;
	ret = ret == -ENOENT ? 0 : ret;
	if (ret == 0)
		ret = nl_neigh_add(nl, o->ifindex, o->ip, o->mac);
	if (ret == 0)
		ret = nl_commit(nl, &o->ne);
	nl_close(nl);
	return ret;
}

int brk_neigh(struct brk_ctx *c, const struct brk_where *w, int ifindex, uint32_t ip,
	      const uint8_t *mac)
{
	struct neigh_op o = { .ifindex = ifindex, .ip = ip, .mac = mac };
	struct brk_change *ch;
	char a[ADDR_STRLEN], m[24], what[96];
	int ret = netns_run(w->netns, neigh_here, &o);

	addr_fmt(ip, a);
	if (ret < 0) {
		snprintf(what, sizeof(what), "set neighbour %s", a);
		return fail(c, w, what, ret, &o.ne);
	}
	ch = brk_record(c, BRK_NEIGH, w);
	if (!ch)
		return -ENOMEM;
	ch->ifindex = ifindex;
	ch->num2 = ip;
	/* A learnt entry comes back by ARP on its own; only a configured one
	 * (permanent or noarp) is a thing to restore. */
	if (o.had && (o.before.state & (NUD_PERMANENT | NUD_NOARP)) && o.before.has_mac) {
		ch->state = o.before.state;
		memcpy(ch->mac, o.before.mac, 6);
	}
	snprintf(ch->shown.what, sizeof(ch->shown.what), "neighbour %s", a);
	if (o.had && o.before.has_mac) {
		fmt_mac(o.before.mac, m, sizeof(m));
		snprintf(ch->shown.before, sizeof(ch->shown.before), "%s (%s)", m,
			 ch->state ? "permanent" : "learnt by ARP");
	} else {
		snprintf(ch->shown.before, sizeof(ch->shown.before), "none (learnt by ARP)");
	}
	fmt_mac(mac, m, sizeof(m));
	snprintf(ch->shown.after, sizeof(ch->shown.after), "%s permanent", m);
	snprintf(ch->shown.show, sizeof(ch->shown.show), "ip -n %s neigh show %s", w->netns, a);
	return 0;
}

/* ---- revert ----------------------------------------------------------------- */

struct revert_op {
	struct brk_change *ch;
	struct nl_err ne;
};

static int revert_here(void *arg)
{
	struct revert_op *o = arg;
	struct brk_change *ch = o->ch;
	struct nl_link set = { .index = ch->ifindex, .mtu = (unsigned)ch->num, .netns_fd = -1 };
	struct nl *nl;
	int ret = 0;

	if (ch->kind == BRK_SYSCTL)
		return netns_sysctl_set(ch->key, ch->old);
	nl = nl_open();
	if (!nl)
		return -errno;
	switch (ch->kind) {
	case BRK_ROUTE_ADDED:
	case BRK_ROUTE_DELETED:
		ret = nl_route_raw(nl, ch->msg, ch->len, ch->kind == BRK_ROUTE_DELETED);
		break;
	case BRK_LINK_MTU:
		ret = nl_link_set(nl, &set);
		break;
	case BRK_LINK_UP:
		ret = nl_link_set_up(nl, ch->ifindex, ch->num != 0);
		break;
	case BRK_LINK_MASTER:
		/* Enslaving resets the port's settings: hairpin goes back too. */
		ret = nl_link_set_master(nl, ch->ifindex, (int)ch->num);
		if (ret == 0 && ch->num2 >= 0)
			ret = nl_bridge_port_hairpin_set(nl, ch->ifindex, ch->num2 != 0);
		break;
	case BRK_HAIRPIN:
		ret = nl_bridge_port_hairpin_set(nl, ch->ifindex, ch->num != 0);
		break;
	case BRK_NEIGH:
		ret = nl_neigh_del(nl, ch->ifindex, (uint32_t)ch->num2);
		if (ret == 0 && ch->state)
			ret = nl_neigh_add(nl, ch->ifindex, (uint32_t)ch->num2, ch->mac);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = nl_commit(nl, &o->ne);
	nl_close(nl);
	return ret;
}

int brk_net_revert(struct lab *l, struct brk_change *ch, struct pp_err *e)
{
	struct revert_op o = { .ch = ch };
	int ret = netns_run(ch->netns, revert_here, &o);

	(void)l;
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_FAIL, ret, "%s: cannot restore %s (%s): %s%s%s%s",
				  ch->shown.where, ch->shown.what, ch->shown.before, strerror(-ret),
				  o.ne.ext[0] ? " (kernel: " : "", o.ne.ext,
				  o.ne.ext[0] ? ")" : "");
	return 0;
}
