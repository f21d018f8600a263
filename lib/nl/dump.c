/* dump — a namespace's links, addresses, routes, rules, neighbours, FDB
 * entries and listening sockets, each kind in one dump, parsed into plain
 * records; see nl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "nl/nl.h"

#define NL_DIAG_RX 32768

/* A growing array of records of size sz. */
struct vec {
	void *v;
	size_t n, cap, sz;
};

/* A zeroed new slot, or NULL (errno ENOMEM). */
static void *vec_push(struct vec *x)
{
	if (x->n == x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 16;
		void *nv = realloc(x->v, ncap * x->sz);

		if (!nv) {
			errno = ENOMEM;
			return NULL;
		}
		x->v = nv;
		x->cap = ncap;
	}
	return memset((char *)x->v + x->n++ * x->sz, 0, x->sz);
}

/* Hand the array over, or free it when the dump failed. */
static int vec_done(struct vec *x, int ret, void **v, size_t *n)
{
	if (ret < 0) {
		free(x->v);
		*v = NULL;
		*n = 0;
		return ret;
	}
	*v = x->v;
	*n = x->n;
	return 0;
}

static uint32_t attr_ip(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) >= 4 ? ntohl(mnl_attr_get_u32(a)) : 0;
}

static void attr_str(const struct nlattr *a, char *buf, size_t len)
{
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(buf, len, "%s", mnl_attr_get_str(a));
}

/* ---- links ---------------------------------------------------------------- */

static void link_info(const struct nlattr *info, struct nl_link_obs *l)
{
	const struct nlattr *a, *p;
	bool bridge_port = false;

	mnl_attr_for_each_nested(a, info) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_INFO_KIND:
			attr_str(a, l->kind, sizeof(l->kind));
			break;
		case IFLA_INFO_SLAVE_KIND:
			bridge_port = mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0 &&
				      !strcmp(mnl_attr_get_str(a), "bridge");
			break;
		}
	}
	if (!bridge_port)
		return;
	/* The port's settings (`ip -d link` shows them as bridge_slave). */
	l->hairpin = 0;
	mnl_attr_for_each_nested(a, info)
		if (mnl_attr_get_type(a) == IFLA_INFO_SLAVE_DATA)
			mnl_attr_for_each_nested(p, a)
				if (mnl_attr_get_type(p) == IFLA_BRPORT_MODE &&
				    mnl_attr_get_payload_len(p) >= 1)
					l->hairpin = mnl_attr_get_u8(p) ? 1 : 0;
}

static int link_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nl_link_obs *l;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	l = vec_push(arg);
	if (!l)
		return MNL_CB_ERROR;
	l->index = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->hairpin = -1;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			attr_str(a, l->name, sizeof(l->name));
			break;
		case IFLA_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				l->mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_MASTER:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				l->master = (int)mnl_attr_get_u32(a);
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == 6) {
				memcpy(l->mac, mnl_attr_get_payload(a), 6);
				l->has_mac = true;
			}
			break;
		case IFLA_IFALIAS:
			attr_str(a, l->alias, sizeof(l->alias));
			break;
		case IFLA_LINKINFO:
			link_info(a, l);
			break;
		}
	}
	return MNL_CB_OK;
}

int nl_links_dump(struct nl *nl, struct nl_link_obs **v, size_t *n)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct vec x = { .sz = sizeof(**v) };
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	/* Counters are a third of each answer and nobody here reads them. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return vec_done(&x, nl_dump(nl, nlh, link_cb, &x), (void **)v, n);
}

/* ---- addresses ------------------------------------------------------------- */

static int addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct nl_addr_obs *o;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET)
		return MNL_CB_OK;
	o = vec_push(arg);
	if (!o)
		return MNL_CB_ERROR;
	o->index = (int)ifa->ifa_index;
	o->plen = ifa->ifa_prefixlen;
	mnl_attr_for_each(a, nlh, sizeof(*ifa))
		if (mnl_attr_get_type(a) == IFA_LOCAL)
			o->addr = attr_ip(a);
	return MNL_CB_OK;
}

int nl_addrs_dump(struct nl *nl, struct nl_addr_obs **v, size_t *n)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct vec x = { .sz = sizeof(**v) };
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_GETADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	return vec_done(&x, nl_dump(nl, nlh, addr_cb, &x), (void **)v, n);
}

/* ---- routes ---------------------------------------------------------------- */

static void route_multipath(const struct nlattr *a, struct nl_route_obs *r)
{
	const struct rtnexthop *nh = mnl_attr_get_payload(a);
	size_t len = mnl_attr_get_payload_len(a);

	r->multipath = true;
	if (len < sizeof(*nh) || nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > len)
		return;
	/* The first next hop stands for the route in a report. */
	r->oif = nh->rtnh_ifindex;
	r->flags |= nh->rtnh_flags;
	for (const struct nlattr *na = (const void *)((const char *)nh + RTNH_ALIGN(sizeof(*nh)));
	     (const char *)na + sizeof(*na) <= (const char *)nh + nh->rtnh_len &&
	     na->nla_len >= sizeof(*na);
	     na = (const void *)((const char *)na + MNL_ALIGN(na->nla_len)))
		if (mnl_attr_get_type(na) == RTA_GATEWAY)
			r->gw = attr_ip(na);
}

static int route_obs_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct nl_route_obs *r;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET)
		return MNL_CB_OK;
	r = vec_push(arg);
	if (!r)
		return MNL_CB_ERROR;
	r->table = rtm->rtm_table;
	r->type = rtm->rtm_type;
	r->proto = rtm->rtm_protocol;
	r->scope = rtm->rtm_scope;
	r->tos = rtm->rtm_tos;
	r->plen = rtm->rtm_dst_len;
	r->flags = rtm->rtm_flags;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_DST:
			r->dst = attr_ip(a);
			break;
		case RTA_GATEWAY:
			r->gw = attr_ip(a);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				r->oif = (int)mnl_attr_get_u32(a);
			break;
		case RTA_PRIORITY:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				r->priority = mnl_attr_get_u32(a);
			break;
		case RTA_TABLE:	/* ids above 255 live only here */
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				r->table = mnl_attr_get_u32(a);
			break;
		case RTA_MULTIPATH:
			route_multipath(a, r);
			break;
		}
	}
	return MNL_CB_OK;
}

int nl_routes_dump(struct nl *nl, struct nl_route_obs **v, size_t *n)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct vec x = { .sz = sizeof(**v) };
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	return vec_done(&x, nl_dump(nl, nlh, route_obs_cb, &x), (void **)v, n);
}

/* ---- policy rules ------------------------------------------------------------ */

static int rule_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	struct nl_rule_obs *r;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWRULE || frh->family != AF_INET)
		return MNL_CB_OK;
	r = vec_push(arg);
	if (!r)
		return MNL_CB_ERROR;
	r->table = frh->table;
	r->action = frh->action;
	r->src_len = frh->src_len;
	r->dst_len = frh->dst_len;
	r->other = frh->tos != 0 || (frh->flags & FIB_RULE_INVERT);
	mnl_attr_for_each(a, nlh, sizeof(*frh)) {
		bool u32 = mnl_attr_validate(a, MNL_TYPE_U32) >= 0;

		switch (mnl_attr_get_type(a)) {
		case FRA_PRIORITY:
			r->priority = u32 ? mnl_attr_get_u32(a) : 0;
			break;
		case FRA_TABLE:
			r->table = u32 ? mnl_attr_get_u32(a) : r->table;
			break;
		case FRA_FWMARK:
			r->fwmark = u32 ? mnl_attr_get_u32(a) : 0;
			break;
		case FRA_FWMASK:
			r->fwmask = u32 ? mnl_attr_get_u32(a) : 0;
			break;
		case FRA_SRC:
			r->src = attr_ip(a);
			break;
		case FRA_DST:
			r->dst = attr_ip(a);
			break;
		case FRA_IIFNAME:
			attr_str(a, r->iif, sizeof(r->iif));
			break;
		case FRA_OIFNAME:
			attr_str(a, r->oif, sizeof(r->oif));
			break;
		case FRA_PROTOCOL:	/* who made it: not a selector */
		case FRA_SUPPRESS_PREFIXLEN:	/* the kernel's defaults on every rule */
		case FRA_SUPPRESS_IFGROUP:
			break;
		default:
			r->other = true;
			break;
		}
	}
	return MNL_CB_OK;
}

int nl_rules_dump(struct nl *nl, struct nl_rule_obs **v, size_t *n)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct vec x = { .sz = sizeof(**v) };
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = RTM_GETRULE;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_INET;
	return vec_done(&x, nl_dump(nl, nlh, rule_cb, &x), (void **)v, n);
}

/* ---- neighbours, proxy-ARP entries, FDB ------------------------------------- */

static int neigh_obs_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	struct nl_neigh_obs *o;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWNEIGH ||
	    (nd->ndm_family != AF_INET && nd->ndm_family != AF_BRIDGE))
		return MNL_CB_OK;
	o = vec_push(arg);
	if (!o)
		return MNL_CB_ERROR;
	o->index = nd->ndm_ifindex;
	o->state = nd->ndm_state;
	o->flags = nd->ndm_flags;
	mnl_attr_for_each(a, nlh, sizeof(*nd)) {
		switch (mnl_attr_get_type(a)) {
		case NDA_DST:
			if (mnl_attr_get_payload_len(a) == 4)
				o->ip = attr_ip(a);
			break;
		case NDA_LLADDR:
			if (mnl_attr_get_payload_len(a) == 6) {
				memcpy(o->mac, mnl_attr_get_payload(a), 6);
				o->has_mac = true;
			}
			break;
		case NDA_MASTER:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				o->master = (int)mnl_attr_get_u32(a);
			break;
		}
	}
	return MNL_CB_OK;
}

static int neigh_dump(struct nl *nl, uint8_t family, uint8_t flags, struct nl_neigh_obs **v,
		      size_t *n)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct vec x = { .sz = sizeof(**v) };
	struct ndmsg *nd;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = family;
	nd->ndm_flags = flags;	/* NTF_PROXY: the proxy table instead */
	return vec_done(&x, nl_dump(nl, nlh, neigh_obs_cb, &x), (void **)v, n);
}

int nl_neighs_dump(struct nl *nl, bool proxy, struct nl_neigh_obs **v, size_t *n)
{
	return neigh_dump(nl, AF_INET, proxy ? NTF_PROXY : 0, v, n);
}

int nl_fdb_dump(struct nl *nl, struct nl_neigh_obs **v, size_t *n)
{
	return neigh_dump(nl, AF_BRIDGE, 0, v, n);
}

/* ---- listening sockets -------------------------------------------------------- */

struct nl_diag {
	struct mnl_socket *s;
	uint32_t portid, seq;
};

struct nl_diag *nl_diag_open(void)
{
	struct nl_diag *d = calloc(1, sizeof(*d));
	int saved;

	if (!d)
		return NULL;
	d->s = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!d->s || mnl_socket_bind(d->s, 0, MNL_SOCKET_AUTOPID) < 0) {
		saved = errno;
		nl_diag_close(d);
		errno = saved;
		return NULL;
	}
	d->portid = mnl_socket_get_portid(d->s);
	return d;
}

void nl_diag_close(struct nl_diag *d)
{
	if (!d)
		return;
	if (d->s)
		mnl_socket_close(d->s);
	free(d);
}

static int diag_found_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY)
		*(int *)arg = 1;
	return MNL_CB_STOP;
}

/*
 * One socket asked for by its local port (not a dump: a dump walks the
 * kernel's global listening and UDP hash tables, every namespace's sockets,
 * once per namespace). The kernel looks it up as a packet to that port
 * would be: an IPv4 listener on any address, or a dual-stack IPv6 one.
 * TCP's lookup takes the local end from idiag_src/sport, UDP's from
 * idiag_dst/dport (udp_diag: "src and dst are swapped for historical
 * reasons").
 */
int nl_listener_find(struct nl_diag *d, uint8_t proto, uint32_t addr, uint16_t port)
{
	char buf[NL_DIAG_RX] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *r;
	uint32_t seq = ++d->seq;
	int found = 0, ret;
	ssize_t got;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = AF_INET;
	r->sdiag_protocol = proto;
	r->idiag_states = ~0u;
	r->id.idiag_cookie[0] = r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (proto == IPPROTO_TCP) {
		r->id.idiag_src[0] = htonl(addr);
		r->id.idiag_sport = htons(port);
	} else {
		r->id.idiag_dst[0] = htonl(addr);
		r->id.idiag_dport = htons(port);
	}
	if (mnl_socket_sendto(d->s, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		got = mnl_socket_recvfrom(d->s, buf, sizeof(buf));
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	ret = mnl_cb_run(buf, (size_t)got, seq, d->portid, diag_found_cb, &found);
	/* No such socket: ENOENT. */
	if (ret < 0)
		return errno == ENOENT ? 0 : -errno;
	return found;
}

int nl_proxy_neigh_lookup(void *arg)
{
	struct nl_proxy_query *q = arg;
	struct nl *nl = nl_open();
	struct nl_neigh_obs *v = NULL;
	size_t n = 0;
	int ret;

	if (!nl)
		return -errno;
	ret = nl_neighs_dump(nl, true, &v, &n);
	for (size_t i = 0; ret == 0 && i < n; i++)
		q->found |= v[i].ip == q->ip;
	free(v);
	nl_close(nl);
	return ret;
}

int nl_eth0_neigh_lookup(void *arg)
{
	struct nl_eth0_neigh_query *q = arg;
	struct nl *nl = nl_open();
	int idx = (int)if_nametoindex("eth0");
	int ret;

	if (!nl)
		return -errno;
	ret = idx ? nl_neigh_get(nl, idx, q->ip, &q->n) : -ENODEV;
	nl_close(nl);
	return ret;
}
