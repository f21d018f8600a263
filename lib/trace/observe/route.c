/* observe/route — the kernel's route lookup, asked as the packet asked it;
 * see route.h. */
#include <net/if.h>	/* before any linux/if.h, whose libc-compat then defers to it */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/observe/route.h"
#include "trace/observe/sysctl.h"

/* The reply of RTM_GETROUTE (a lookup) or one message of a route dump. */
static int route_attr_cb(const struct nlattr *attr, void *data)
{
	struct obs_fib_entry *e = data;

	switch (mnl_attr_get_type(attr)) {
	case RTA_DST:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			e->dst = ntohl(mnl_attr_get_u32(attr));
		break;
	case RTA_GATEWAY:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			e->gw = ntohl(mnl_attr_get_u32(attr));
		break;
	case RTA_PREFSRC:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			e->prefsrc = ntohl(mnl_attr_get_u32(attr));
		break;
	case RTA_OIF:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			e->oif = (int)mnl_attr_get_u32(attr);
		break;
	case RTA_PRIORITY:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			e->metric = mnl_attr_get_u32(attr);
		break;
	case RTA_TABLE:	/* the full id; rtm_table holds only ids below 256 */
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			e->table = mnl_attr_get_u32(attr);
		break;
	case RTA_MULTIPATH: {
		/* A multipath entry: its first next hop stands for it. */
		const struct rtnexthop *nh = mnl_attr_get_payload(attr);
		const struct nlattr *a;

		if (mnl_attr_get_payload_len(attr) < sizeof(*nh) || nh->rtnh_len < sizeof(*nh) ||
		    nh->rtnh_len > mnl_attr_get_payload_len(attr))
			break;
		e->oif = nh->rtnh_ifindex;
		for (a = (const struct nlattr *)RTNH_DATA(nh);
		     mnl_attr_ok(a, (int)((const char *)nh + nh->rtnh_len - (const char *)a));
		     a = mnl_attr_next(a))
			if (mnl_attr_get_type(a) == RTA_GATEWAY &&
			    mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				e->gw = ntohl(mnl_attr_get_u32(a));
		break;
	}
	}
	return MNL_CB_OK;
}

static void entry_parse(const struct nlmsghdr *nlh, struct obs_fib_entry *e)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	memset(e, 0, sizeof(*e));
	e->plen = rtm->rtm_dst_len;
	e->type = rtm->rtm_type;
	e->protocol = rtm->rtm_protocol;
	e->scope = rtm->rtm_scope;
	e->tos = rtm->rtm_tos;
	e->table = rtm->rtm_table;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, e);
}

static int entry_cb(const struct nlmsghdr *nlh, void *data)
{
	entry_parse(nlh, data);
	return MNL_CB_OK;
}

/* One RTM_GETROUTE lookup of q (iif already an index); flags RTM_F_*. */
static int lookup(struct nl *nl, const struct obs_route_query *q, int iif, unsigned flags,
		  struct obs_fib_entry *e)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct rtmsg *rtm;

	memset(e, 0, sizeof(*e));
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_flags = flags | RTM_F_LOOKUP_TABLE;
	mnl_attr_put_u32(nlh, RTA_DST, htonl(q->dst));
	if (q->src) {
		rtm->rtm_src_len = 32;
		mnl_attr_put_u32(nlh, RTA_SRC, htonl(q->src));
	}
	if (iif)
		mnl_attr_put_u32(nlh, RTA_IIF, (uint32_t)iif);
	if (q->mark)
		mnl_attr_put_u32(nlh, RTA_MARK, q->mark);
	return nl_request(nl, nlh, entry_cb, e);
}

static void result_from_entry(struct obs_route *r, const struct obs_fib_entry *e)
{
	r->matched = true;
	r->type = e->type;
	r->table = e->table;
	r->protocol = e->protocol;
	r->scope = e->scope;
	r->dst = e->dst;
	r->plen = e->plen;
	r->gw = e->gw;
	r->oif = e->oif;
	r->prefsrc = e->prefsrc;
}

/* Growing arrays of what the dumps return. */
struct fib_dump {
	struct obs_fib_rule *rules;
	size_t nrules, crules;
	struct obs_fib_entry *ents;
	size_t nents, cents;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *np;

	if (n < *cap)
		return p;
	ncap = *cap ? *cap * 2 : 32;
	np = realloc(p, ncap * size);
	if (np)
		*cap = ncap;
	return np;
}

static int dump_route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct fib_dump *d = data;
	void *p;

	/* IPv4 FIB entries only: not cached clones, not other families. */
	if (rtm->rtm_family != AF_INET || (rtm->rtm_flags & RTM_F_CLONED))
		return MNL_CB_OK;
	p = grow(d->ents, &d->cents, d->nents, sizeof(*d->ents));
	if (!p) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	d->ents = p;
	entry_parse(nlh, &d->ents[d->nents++]);
	return MNL_CB_OK;
}

static int rule_attr_cb(const struct nlattr *attr, void *data)
{
	struct obs_fib_rule *fr = data;
	uint16_t type = mnl_attr_get_type(attr);

	switch (type) {
	case FRA_DST:
	case FRA_SRC:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			break;
		*(type == FRA_DST ? &fr->dst : &fr->src) = ntohl(mnl_attr_get_u32(attr));
		break;
	case FRA_IIFNAME:
	case FRA_OIFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(type == FRA_IIFNAME ? fr->iif : fr->oif, OBS_IFNAMSIZ, "%s",
				 mnl_attr_get_str(attr));
		break;
	case FRA_PRIORITY:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			fr->prio = mnl_attr_get_u32(attr);
		break;
	case FRA_FWMARK:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
			fr->has_mark = true;
			fr->mark = mnl_attr_get_u32(attr);
		}
		break;
	case FRA_FWMASK:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			fr->mask = mnl_attr_get_u32(attr);
		break;
	case FRA_TABLE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			fr->table = mnl_attr_get_u32(attr);
		break;
	case FRA_SUPPRESS_PREFIXLEN:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			fr->suppress_plen = (int)mnl_attr_get_u32(attr);
		break;
	case FRA_L3MDEV:
	case FRA_UID_RANGE:
	case FRA_IP_PROTO:
	case FRA_SPORT_RANGE:
	case FRA_DPORT_RANGE:
	case FRA_TUN_ID:
	case FRA_GOTO:
		fr->unmodeled = true;
		break;
	}
	return MNL_CB_OK;
}

static int dump_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	struct fib_dump *d = data;
	struct obs_fib_rule *fr;
	void *p;

	if (frh->family != AF_INET)
		return MNL_CB_OK;
	p = grow(d->rules, &d->crules, d->nrules, sizeof(*d->rules));
	if (!p) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	d->rules = p;
	fr = &d->rules[d->nrules++];
	memset(fr, 0, sizeof(*fr));
	fr->action = frh->action;
	fr->table = frh->table;
	fr->src_len = frh->src_len;
	fr->dst_len = frh->dst_len;
	fr->tos = frh->tos;
	fr->invert = frh->flags & FIB_RULE_INVERT;
	fr->suppress_plen = -1;
	fr->mask = 0xffffffffu;
	mnl_attr_parse(nlh, sizeof(*frh), rule_attr_cb, fr);
	/* The kernel reports "none" as 0xffffffff. */
	if (fr->suppress_plen > 32)
		fr->suppress_plen = -1;
	return MNL_CB_OK;
}

static int dump(struct nl *nl, uint16_t type, mnl_cb_t cb, struct fib_dump *d)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct rtmsg *rtm;

	/* struct fib_rule_hdr and struct rtmsg are the same size and both
	 * start with the family, which is all a dump request reads. */
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	return nl_request(nl, nlh, cb, d);
}

static uint32_t mask_of(uint8_t len)
{
	return len ? 0xffffffffu << (32 - len) : 0;
}

static bool rule_matches(const struct obs_fib_rule *fr, const struct obs_route_query *q)
{
	/* A packet this namespace sends comes "from" lo, as the kernel's
	 * output lookup (flowi4_iif = LOOPBACK_IFINDEX) has it. */
	const char *iif = q->iif ? q->iif : "lo";
	bool m = true;

	if (fr->unmodeled || fr->tos)
		return false;
	if (fr->src_len && ((q->src ^ fr->src) & mask_of(fr->src_len)))
		m = false;
	if (fr->dst_len && ((q->dst ^ fr->dst) & mask_of(fr->dst_len)))
		m = false;
	if (fr->has_mark && ((q->mark ^ fr->mark) & fr->mask))
		m = false;
	if (fr->iif[0] && strcmp(fr->iif, iif))
		m = false;
	if (fr->oif[0])		/* the query names no output interface */
		m = false;
	return fr->invert ? !m : m;
}

/* The best entry of table for dst: longest prefix, then lowest metric. */
static const struct obs_fib_entry *table_lookup(const struct obs_fib_entry *ents, size_t n,
						uint32_t table, uint32_t dst)
{
	const struct obs_fib_entry *best = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct obs_fib_entry *e = &ents[i];

		if (e->table != table || e->tos || ((dst ^ e->dst) & mask_of(e->plen)))
			continue;
		if (!best || e->plen > best->plen ||
		    (e->plen == best->plen && e->metric < best->metric))
			best = e;
	}
	return best;
}

static int rule_action_type(uint8_t action)
{
	switch (action) {
	case FR_ACT_BLACKHOLE:
		return RTN_BLACKHOLE;
	case FR_ACT_UNREACHABLE:
		return RTN_UNREACHABLE;
	case FR_ACT_PROHIBIT:
		return RTN_PROHIBIT;
	}
	return -1;
}

int obs_fib_walk(const struct obs_fib_rule *rules, size_t nrules,
		 const struct obs_fib_entry *ents, size_t nents,
		 const struct obs_route_query *q, struct obs_route *r)
{
	memset(r, 0, sizeof(*r));
	r->rule_prio = -1;
	for (size_t i = 0; i < nrules; i++) {
		const struct obs_fib_rule *fr = &rules[i];
		const struct obs_fib_entry *e;
		int t;

		if (!rule_matches(fr, q))
			continue;
		t = rule_action_type(fr->action);
		if (t >= 0) {
			r->matched = true;
			r->type = (uint8_t)t;
			r->rule_prio = fr->prio;
			/* A rule's unreachable is ENETUNREACH, unlike a route's. */
			r->err = t == RTN_UNREACHABLE ? -ENETUNREACH : obs_route_type_err((uint8_t)t);
			return 0;
		}
		if (fr->action != FR_ACT_TO_TBL)
			continue;
		e = table_lookup(ents, nents, fr->table, q->dst);
		if (!e || e->type == RTN_THROW)
			continue;
		if (fr->suppress_plen >= 0 && e->plen <= fr->suppress_plen)
			continue;
		result_from_entry(r, e);
		r->rule_prio = fr->prio;
		r->err = obs_route_type_err(e->type);
		return 0;
	}
	return -ENOENT;
}

struct route_ctx {
	const struct obs_route_query *q;
	struct obs_route *r;
	bool get;		/* obs_route_get, else obs_route_match only */
};

static int match_here(struct nl *nl, const struct obs_route_query *q, struct obs_route *r)
{
	struct fib_dump d = { 0 };
	int ret;

	ret = dump(nl, RTM_GETRULE, dump_rule_cb, &d);
	if (ret == 0)
		ret = dump(nl, RTM_GETROUTE, dump_route_cb, &d);
	if (ret == 0)
		ret = obs_fib_walk(d.rules, d.nrules, d.ents, d.nents, q, r);
	free(d.rules);
	free(d.ents);
	return ret;
}

/* The larger of conf.all.NAME and conf.IF.NAME, as the kernel's
 * IN_DEV_MAXCONF reads it; 0 if neither is known. */
static long conf_max(const char *ifname, const char *name)
{
	struct obs_sysctl_val all, dev;
	char key[96];

	snprintf(key, sizeof(key), "net/ipv4/conf/all/%s", name);
	obs_sysctl_get_here(key, &all);
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/%s", ifname, name);
	obs_sysctl_get_here(key, &dev);
	return all.num > dev.num ? all.num : dev.num;
}

/*
 * Would the reverse-path filter on iif refuse q->src? The question
 * fib_validate_source asks: is there a route back to src at all (loose,
 * 2), and does it leave by iif (strict, 1)? Kernels before 6.13 answer a
 * refused input lookup with -EXDEV; later ones answer every input drop
 * with -EINVAL, so the question is asked again here. The way back is an
 * output lookup (the kernel's carries iif's index as the input device: an
 * iif rule could tell them apart); a multipath way back counts by its
 * first hop.
 */
static bool rpf_refuses(struct nl *nl, const struct obs_route_query *q, int iif)
{
	struct obs_route_query back = { .dst = q->src };
	long mode = conf_max(q->iif, "rp_filter");
	struct obs_fib_entry e;

	if (mode <= 0 || !q->src)
		return false;
	if (conf_max(q->iif, "src_valid_mark") > 0)
		back.mark = q->mark;
	if (lookup(nl, &back, 0, RTM_F_FIB_MATCH, &e) < 0)
		return true;
	/* A source that is local, broadcast, ...: a martian, not the filter. */
	if (e.type != RTN_UNICAST)
		return false;
	return mode == 1 && e.oif != iif;
}

/* The kernel refused q: find the entry it met and say why, as far as the
 * kernel's answer and a second look allow. */
static void refused(struct nl *nl, const struct obs_route_query *q, int iif, struct obs_route *r)
{
	int err = r->err;
	struct obs_route m;
	bool found = match_here(nl, q, &m) == 0;

	/* An error entry for dst is met before the source is validated. */
	if (found) {
		*r = m;
		r->err = err;
	}
	if (err == -EXDEV)
		r->rp_filter = true;
	else if (iif && err == -EINVAL && (!found || m.err == 0))
		r->rp_filter = rpf_refuses(nl, q, iif);
	/* Input lookups meet a route yet fail when iif does not forward. */
	r->forwarding_off = iif && err == -EHOSTUNREACH && found && m.err == 0;
}

static int route_here(void *arg)
{
	struct route_ctx *c = arg;
	struct obs_route *r = c->r;
	struct obs_fib_entry e, fm;
	struct nl *nl = NULL;
	int iif = 0, ret;

	if (c->q->iif) {
		iif = (int)if_nametoindex(c->q->iif);
		if (!iif) {
			ret = -ENODEV;
			goto out;
		}
	}
	nl = nl_open();
	if (!nl) {
		ret = -errno;
		goto out;
	}
	if (!c->get) {
		ret = match_here(nl, c->q, r);
		goto names;
	}
	/* The kernel's choice (next hop, source), then the entry it matched:
	 * a plain answer reports the destination as a /32. */
	r->err = lookup(nl, c->q, iif, 0, &e);
	if (r->err == 0) {
		result_from_entry(r, &e);
		if (lookup(nl, c->q, iif, RTM_F_FIB_MATCH, &fm) == 0) {
			r->dst = fm.dst;
			r->plen = fm.plen;
			r->protocol = fm.protocol;
			r->scope = fm.scope;
		}
	} else {
		refused(nl, c->q, iif, r);
	}
	ret = 0;
names:
	/* An ifindex only means something inside this namespace. */
	if (ret == 0 && r->oif && !if_indextoname((unsigned)r->oif, r->oif_name))
		r->oif_name[0] = '\0';
out:
	nl_close(nl);
	return ret;
}

int obs_route_get(const char *netns, const struct obs_route_query *q, struct obs_route *r)
{
	struct route_ctx c = { q, r, true };

	memset(r, 0, sizeof(*r));
	r->rule_prio = -1;
	return netns_run(netns, route_here, &c);
}

int obs_route_match(const char *netns, const struct obs_route_query *q, struct obs_route *r)
{
	struct route_ctx c = { q, r, false };

	memset(r, 0, sizeof(*r));
	r->rule_prio = -1;
	return netns_run(netns, route_here, &c);
}

static const char *const type_names[] = {
	[RTN_UNSPEC] = "none",	      [RTN_UNICAST] = "unicast",
	[RTN_LOCAL] = "local",	      [RTN_BROADCAST] = "broadcast",
	[RTN_ANYCAST] = "anycast",    [RTN_MULTICAST] = "multicast",
	[RTN_BLACKHOLE] = "blackhole", [RTN_UNREACHABLE] = "unreachable",
	[RTN_PROHIBIT] = "prohibit",  [RTN_THROW] = "throw",
	[RTN_NAT] = "nat",	      [RTN_XRESOLVE] = "xresolve",
};

const char *obs_route_type_name(uint8_t type, char *buf)
{
	if (type < sizeof(type_names) / sizeof(type_names[0]) && type_names[type])
		return type_names[type];
	snprintf(buf, 16, "type %u", type);
	return buf;
}

int obs_route_type_err(uint8_t type)
{
	/* net/ipv4/fib_semantics.c fib_props[].error */
	switch (type) {
	case RTN_BLACKHOLE:
		return -EINVAL;
	case RTN_UNREACHABLE:
		return -EHOSTUNREACH;
	case RTN_PROHIBIT:
		return -EACCES;
	case RTN_THROW:
		return -EAGAIN;
	case RTN_NAT:
	case RTN_XRESOLVE:
		return -EINVAL;
	}
	return 0;
}
