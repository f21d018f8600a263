/* nl — queued rtnetlink requests over one libmnl socket; see nl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include "nl/nl.h"

/* A chunk stays well under the default socket send buffer (208 KiB) so one
 * sendmsg never fails with EMSGSIZE; acks are drained between chunks. */
#define NL_CHUNK (32 * 1024)
#define NL_MSG_MAX 1024
#define NL_RX 16384
/* A dump answer: the kernel fills up to 32 KiB per message batch. */
#define NL_DUMP_RX 32768

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq_base;	/* seq of queued request 0 */
	char *buf;		/* queued requests, back to back */
	size_t len, cap;
	size_t nreq;		/* requests queued since seq_base */
	char (*what)[sizeof(((struct nl_err *)0)->what)];
	size_t what_cap;
	struct nl_err first;	/* first failure among the acks */
	bool failed;
};

struct nl *nl_open(void)
{
	return nl_open_proto(NETLINK_ROUTE);
}

struct nl *nl_open_proto(int proto)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	int one = 1, rcvbuf = 1 << 20, saved;

	if (!nl)
		return NULL;
	nl->sock = mnl_socket_open(proto);
	if (!nl->sock)
		goto fail;
	/* Best effort: extended acks give the kernel's reason in words,
	 * capped acks keep the echoed request out of the reply. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Errors of a whole chunk arrive during our sendmsg; the kernel drops
	 * what does not fit the receive buffer (ENOBUFS), ~1 KiB each. */
	setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVBUFFORCE,
		   &rcvbuf, sizeof(rcvbuf));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq_base = (uint32_t)time(NULL) << 8;
	return nl;
fail:
	saved = errno;
	nl_close(nl);
	errno = saved;
	return NULL;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl->what);
	free(nl);
}

/* Start a request in the queue; the caller fills it with mnl_attr_put*. */
static struct nlmsghdr *req_start(struct nl *nl, uint16_t type, uint16_t flags,
				  const char *what)
{
	struct nlmsghdr *nlh;

	if (nl->cap - nl->len < NL_MSG_MAX) {
		size_t ncap = nl->cap ? nl->cap * 2 : 16 * 1024;
		char *nbuf = realloc(nl->buf, ncap);

		if (!nbuf)
			return NULL;
		nl->buf = nbuf;
		nl->cap = ncap;
	}
	if (nl->nreq == nl->what_cap) {
		size_t ncap = nl->what_cap ? nl->what_cap * 2 : 64;
		void *nw = realloc(nl->what, ncap * sizeof(*nl->what));

		if (!nw)
			return NULL;
		nl->what = nw;
		nl->what_cap = ncap;
	}
	snprintf(nl->what[nl->nreq], sizeof(nl->what[0]), "%s", what);
	memset(nl->buf + nl->len, 0, NL_MSG_MAX);
	nlh = mnl_nlmsg_put_header(nl->buf + nl->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = nl->seq_base + (uint32_t)nl->nreq;
	return nlh;
}

static void req_end(struct nl *nl, struct nlmsghdr *nlh)
{
	nl->len += NLMSG_ALIGN(nlh->nlmsg_len);
	nl->nreq++;
}

/* What a link is set to, on creation and after: not its name or netns. */
static void put_link_settings(struct nlmsghdr *nlh, const struct nl_link *l)
{
	if (l->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
	if (l->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, l->mac);
	if (l->master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)l->master);
	if (l->alias)
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, l->alias);
}

static void put_link_attrs(struct nlmsghdr *nlh, const struct nl_link *l)
{
	if (l->name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	put_link_settings(nlh, l);
	if (l->netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)l->netns_fd);
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, const struct nl_link *l)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = l->index;
	if (l->up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	return ifi;
}

int nl_link_set(struct nl *nl, const struct nl_link *l)
{
	char what[112];
	struct nlmsghdr *nlh;

	snprintf(what, sizeof(what), "configure link %s (ifindex %d)",
		 l->name ? l->name : "", l->index);
	nlh = req_start(nl, RTM_NEWLINK, 0, what);
	if (!nlh)
		return -ENOMEM;
	put_ifinfo(nlh, l);
	/* On an existing link the name would rename it; set by index only. */
	put_link_settings(nlh, l);
	req_end(nl, nlh);
	return 0;
}

/* A link creation in progress: the request and its open
 * IFLA_LINKINFO/IFLA_INFO_DATA nests, which the caller fills in between. */
struct link_req {
	struct nlmsghdr *nlh;
	struct nlattr *info, *data;
};

static int link_create_start(struct nl *nl, const struct nl_link *l, const char *kind,
			     struct link_req *r)
{
	char what[112];

	snprintf(what, sizeof(what), "add %s %s", kind, l->name ? l->name : "link");
	r->nlh = req_start(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, what);
	if (!r->nlh)
		return -ENOMEM;
	put_ifinfo(r->nlh, l);
	put_link_attrs(r->nlh, l);
	r->info = mnl_attr_nest_start(r->nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(r->nlh, IFLA_INFO_KIND, kind);
	r->data = mnl_attr_nest_start(r->nlh, IFLA_INFO_DATA);
	return 0;
}

static int link_create_end(struct nl *nl, struct link_req *r)
{
	mnl_attr_nest_end(r->nlh, r->data);
	mnl_attr_nest_end(r->nlh, r->info);
	req_end(nl, r->nlh);
	return 0;
}

int nl_link_add_bridge(struct nl *nl, const struct nl_link *l)
{
	struct link_req r;

	if (link_create_start(nl, l, "bridge", &r) < 0)
		return -ENOMEM;
	/* No STP: ports forward the moment they come up, as with CNI's bridge. */
	mnl_attr_put_u32(r.nlh, IFLA_BR_STP_STATE, 0);
	mnl_attr_put_u32(r.nlh, IFLA_BR_FORWARD_DELAY, 0);
	return link_create_end(nl, &r);
}

int nl_link_add_veth(struct nl *nl, const struct nl_link *l, const struct nl_link *peer)
{
	struct ifinfomsg *pifi;
	struct nlattr *pn;
	struct link_req r;

	if (link_create_start(nl, l, "veth", &r) < 0)
		return -ENOMEM;
	pn = mnl_attr_nest_start(r.nlh, VETH_INFO_PEER);
	/* The peer is described by its own ifinfomsg + attributes. It cannot
	 * be brought up here: veth_open() refuses (ENOTCONN) until the pair is
	 * joined, which happens after the peer is configured. */
	pifi = (struct ifinfomsg *)mnl_attr_get_payload(pn);
	r.nlh->nlmsg_len += MNL_ALIGN(sizeof(struct ifinfomsg));
	pifi->ifi_family = AF_UNSPEC;
	pifi->ifi_index = peer->index;
	put_link_attrs(r.nlh, peer);
	mnl_attr_nest_end(r.nlh, pn);
	return link_create_end(nl, &r);
}

int nl_link_add_vxlan(struct nl *nl, const struct nl_link *l, uint32_t vni,
		      uint32_t local, int dev_index, uint16_t port)
{
	struct link_req r;

	if (link_create_start(nl, l, "vxlan", &r) < 0)
		return -ENOMEM;
	mnl_attr_put_u32(r.nlh, IFLA_VXLAN_ID, vni);
	mnl_attr_put_u32(r.nlh, IFLA_VXLAN_LOCAL, htonl(local));
	mnl_attr_put_u32(r.nlh, IFLA_VXLAN_LINK, (uint32_t)dev_index);
	mnl_attr_put_u16(r.nlh, IFLA_VXLAN_PORT, htons(port));
	/* flannel's vxlan backend: the daemon programs FDB and neighbours,
	 * so the device neither learns nor floods. */
	mnl_attr_put_u8(r.nlh, IFLA_VXLAN_LEARNING, 0);
	return link_create_end(nl, &r);
}

static void fmt_ip(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

int nl_addr_add(struct nl *nl, int ifindex, uint32_t addr, uint8_t plen)
{
	char what[112], ip[16];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	fmt_ip(addr, ip, sizeof(ip));
	snprintf(what, sizeof(what), "add address %s/%u on ifindex %d", ip, plen, ifindex);
	nlh = req_start(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, what);
	if (!nlh)
		return -ENOMEM;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(addr));
	mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(addr));
	req_end(nl, nlh);
	return 0;
}

/* RTM_NEWROUTE: a route of type in table; gw/oif 0 = none. */
static int route_put(struct nl *nl, uint8_t table, uint8_t type, uint32_t dst, uint8_t plen,
		     uint32_t gw, int oif, unsigned flags, uint8_t scope)
{
	char what[112], d[16], g[16];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	fmt_ip(dst, d, sizeof(d));
	fmt_ip(gw, g, sizeof(g));
	snprintf(what, sizeof(what), "add %sroute %s/%u%s%s dev ifindex %d table %u",
		 type == RTN_UNREACHABLE ? "unreachable " : "", d, plen, gw ? " via " : "",
		 gw ? g : "", oif, table);
	nlh = req_start(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, what);
	if (!nlh)
		return -ENOMEM;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = table;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = scope;
	rtm->rtm_type = type;
	if (flags & NL_ROUTE_ONLINK)
		rtm->rtm_flags |= RTNH_F_ONLINK;
	if (plen)
		mnl_attr_put_u32(nlh, RTA_DST, htonl(dst));
	if (gw)
		mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gw));
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	req_end(nl, nlh);
	return 0;
}

int nl_route_add(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t gw, int oif,
		 unsigned flags, uint8_t scope)
{
	return route_put(nl, RT_TABLE_MAIN, RTN_UNICAST, dst, plen, gw, oif, flags, scope);
}

int nl_route_add_table(struct nl *nl, uint8_t table, uint32_t dst, uint8_t plen, uint32_t gw,
		       int oif, unsigned flags)
{
	return route_put(nl, table, RTN_UNICAST, dst, plen, gw, oif, flags, RT_SCOPE_UNIVERSE);
}

int nl_route_add_unreachable(struct nl *nl, uint32_t dst, uint8_t plen)
{
	return route_put(nl, RT_TABLE_MAIN, RTN_UNREACHABLE, dst, plen, 0, 0, 0,
			 RT_SCOPE_UNIVERSE);
}

int nl_route_add_type(struct nl *nl, uint8_t type, uint32_t dst, uint8_t plen)
{
	if (type != RTN_BLACKHOLE && type != RTN_PROHIBIT && type != RTN_UNREACHABLE)
		return -EINVAL;
	return route_put(nl, RT_TABLE_MAIN, type, dst, plen, 0, 0, 0, RT_SCOPE_UNIVERSE);
}

int nl_route_raw(struct nl *nl, const void *msg, size_t len, bool add)
{
	const struct nlmsghdr *src = msg;
	const struct rtmsg *rtm;
	struct nlmsghdr *nlh;
	char what[112], d[16];
	uint32_t dst = 0;
	const struct nlattr *a;

	if (len < NLMSG_SPACE(sizeof(*rtm)) || src->nlmsg_len > len || src->nlmsg_len > NL_MSG_MAX)
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(src);
	if (rtm->rtm_family != AF_INET)
		return -EINVAL;
	mnl_attr_for_each(a, src, sizeof(*rtm))
		if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			dst = ntohl(mnl_attr_get_u32(a));
	fmt_ip(dst, d, sizeof(d));
	snprintf(what, sizeof(what), "%s route %s/%u table %u", add ? "restore" : "delete", d,
		 rtm->rtm_dst_len, rtm->rtm_table);
	/* As `ip route restore` does: the kernel's own description of the
	 * route, sent back as a request, recreates exactly that route. */
	nlh = req_start(nl, add ? RTM_NEWROUTE : RTM_DELROUTE,
			add ? NLM_F_CREATE | NLM_F_EXCL : 0, what);
	if (!nlh)
		return -ENOMEM;
	memcpy((char *)nlh + sizeof(*nlh), (const char *)src + sizeof(*src),
	       src->nlmsg_len - sizeof(*src));
	nlh->nlmsg_len = src->nlmsg_len;
	req_end(nl, nlh);
	return 0;
}

int nl_rule_add_fwmark(struct nl *nl, uint32_t mark, uint8_t table, uint32_t prio)
{
	char what[112];
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;

	snprintf(what, sizeof(what), "add rule fwmark 0x%x lookup %u pref %u", mark, table, prio);
	nlh = req_start(nl, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, what);
	if (!nlh)
		return -ENOMEM;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_INET;
	frh->table = table;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_FWMARK, mark);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffffu);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	req_end(nl, nlh);
	return 0;
}

static int neigh_put(struct nl *nl, uint8_t family, int ifindex, uint8_t flags,
		     uint16_t state, uint32_t ip, const uint8_t *mac, const char *what)
{
	struct nlmsghdr *nlh = req_start(nl, RTM_NEWNEIGH,
					 NLM_F_CREATE | NLM_F_REPLACE, what);
	struct ndmsg *nd;

	if (!nlh)
		return -ENOMEM;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = family;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = state;
	nd->ndm_flags = flags;
	if (ip)
		mnl_attr_put_u32(nlh, NDA_DST, htonl(ip));
	if (mac)
		mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	req_end(nl, nlh);
	return 0;
}

int nl_neigh_add(struct nl *nl, int ifindex, uint32_t ip, const uint8_t *mac)
{
	char what[112], a[16];

	fmt_ip(ip, a, sizeof(a));
	snprintf(what, sizeof(what), "add neighbour %s on ifindex %d", a, ifindex);
	return neigh_put(nl, AF_INET, ifindex, 0, NUD_PERMANENT, ip, mac, what);
}

int nl_neigh_proxy_add(struct nl *nl, int ifindex, uint32_t ip)
{
	char what[112], a[16];

	fmt_ip(ip, a, sizeof(a));
	snprintf(what, sizeof(what), "add proxy-ARP entry %s on ifindex %d", a, ifindex);
	return neigh_put(nl, AF_INET, ifindex, NTF_PROXY, NUD_PERMANENT, ip, NULL, what);
}

int nl_arp_proxy_delay_set(struct nl *nl, int ifindex, uint64_t ms)
{
	char what[112];
	struct nlmsghdr *nlh;
	struct ndtmsg *ndt;
	struct nlattr *parms;

	snprintf(what, sizeof(what), "set ARP proxy_delay %llu ms on ifindex %d",
		 (unsigned long long)ms, ifindex);
	nlh = req_start(nl, RTM_SETNEIGHTBL, 0, what);
	if (!nlh)
		return -ENOMEM;
	ndt = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndt));
	ndt->ndtm_family = AF_INET;
	mnl_attr_put_strz(nlh, NDTA_NAME, "arp_cache");
	parms = mnl_attr_nest_start(nlh, NDTA_PARMS);
	mnl_attr_put_u32(nlh, NDTPA_IFINDEX, (uint32_t)ifindex);
	mnl_attr_put_u64(nlh, NDTPA_PROXY_DELAY, ms);
	mnl_attr_nest_end(nlh, parms);
	req_end(nl, nlh);
	return 0;
}

int nl_bridge_port_hairpin_set(struct nl *nl, int ifindex, bool on)
{
	char what[112];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *pi;

	snprintf(what, sizeof(what), "set hairpin %s on bridge port ifindex %d",
		 on ? "on" : "off", ifindex);
	nlh = req_start(nl, RTM_SETLINK, 0, what);
	if (!nlh)
		return -ENOMEM;
	/* AF_BRIDGE + IFLA_PROTINFO reaches the bridge's port settings, as
	 * `bridge link set dev X hairpin on` does. */
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_index = ifindex;
	pi = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, on ? 1 : 0);
	mnl_attr_nest_end(nlh, pi);
	req_end(nl, nlh);
	return 0;
}

int nl_neigh_del(struct nl *nl, int ifindex, uint32_t ip)
{
	char what[112], a[16];
	struct nlmsghdr *nlh;
	struct ndmsg *nd;

	fmt_ip(ip, a, sizeof(a));
	snprintf(what, sizeof(what), "delete neighbour %s on ifindex %d", a, ifindex);
	nlh = req_start(nl, RTM_DELNEIGH, 0, what);
	if (!nlh)
		return -ENOMEM;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_INET;
	nd->ndm_ifindex = ifindex;
	mnl_attr_put_u32(nlh, NDA_DST, htonl(ip));
	req_end(nl, nlh);
	return 0;
}

int nl_link_set_up(struct nl *nl, int ifindex, bool up)
{
	char what[112];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	snprintf(what, sizeof(what), "set link ifindex %d %s", ifindex, up ? "up" : "down");
	nlh = req_start(nl, RTM_NEWLINK, 0, what);
	if (!nlh)
		return -ENOMEM;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	req_end(nl, nlh);
	return 0;
}

int nl_link_set_master(struct nl *nl, int ifindex, int master)
{
	char what[112];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	snprintf(what, sizeof(what), "set master of link ifindex %d to %d", ifindex, master);
	nlh = req_start(nl, RTM_NEWLINK, 0, what);
	if (!nlh)
		return -ENOMEM;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	/* IFLA_MASTER 0 is `ip link set X nomaster`. */
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	req_end(nl, nlh);
	return 0;
}

int nl_fdb_add(struct nl *nl, int ifindex, const uint8_t *mac, uint32_t dst)
{
	char what[112], a[16];

	fmt_ip(dst, a, sizeof(a));
	snprintf(what, sizeof(what),
		 "add FDB entry %02x:%02x:%02x:%02x:%02x:%02x dst %s on ifindex %d",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], a, ifindex);
	return neigh_put(nl, AF_BRIDGE, ifindex, NTF_SELF, NUD_PERMANENT, dst, mac, what);
}

/* Parse one receive buffer; records the first failure and notes when the
 * ack of request `last` (the end of the chunk) has arrived. */
static bool acks_parse(struct nl *nl, const char *buf, size_t len, uint32_t last)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rem = (int)len;
	bool done = false;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		const struct nlmsgerr *me;
		const struct nlattr *attr;
		size_t idx;

		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		me = mnl_nlmsg_get_payload(nlh);
		if (nlh->nlmsg_seq == last)
			done = true;
		if (me->error == 0 || nl->failed)
			continue;
		nl->failed = true;
		nl->first.code = me->error;
		nl->first.ext[0] = '\0';
		idx = nlh->nlmsg_seq - nl->seq_base;
		snprintf(nl->first.what, sizeof(nl->first.what), "%s",
			 idx < nl->nreq ? nl->what[idx] : "netlink request");
		if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
			continue;
		/* With NETLINK_CAP_ACK only the request's header is echoed. */
		mnl_attr_for_each(attr, nlh, sizeof(*me)) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
				snprintf(nl->first.ext, sizeof(nl->first.ext), "%s",
					 mnl_attr_get_str(attr));
		}
	}
	return done;
}

static void err_from_errno(struct nl_err *e, int code, const char *what)
{
	if (!e)
		return;
	e->code = code;
	snprintf(e->what, sizeof(e->what), "%s", what);
	e->ext[0] = '\0';
}

/* Forget the queue: the next request starts a fresh round. */
static void queue_reset(struct nl *nl)
{
	nl->seq_base += (uint32_t)nl->nreq + 1;
	nl->len = 0;
	nl->nreq = 0;
	nl->failed = false;
}

/*
 * The kernel handles a sendmsg's requests one after another inside that
 * sendmsg, answering a failed request with an error even without NLM_F_ACK.
 * So only a chunk's last request asks for an ack: when it arrives, every
 * error of the chunk has arrived before it, and a 100-request chunk costs one
 * sendmsg and one recvmsg instead of a hundred of each.
 */
int nl_commit(struct nl *nl, struct nl_err *e)
{
	char rx[NL_RX];
	size_t off = 0;
	int ret = 0;

	while (off < nl->len) {
		struct nlmsghdr *h, *lasth = NULL;
		size_t end = off;
		bool done = false;

		while (end < nl->len) {
			h = (struct nlmsghdr *)(nl->buf + end);
			if (end > off && end + NLMSG_ALIGN(h->nlmsg_len) - off > NL_CHUNK)
				break;
			h->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
			lasth = h;
			end += NLMSG_ALIGN(h->nlmsg_len);
		}
		lasth->nlmsg_flags |= NLM_F_ACK;
		if (mnl_socket_sendto(nl->sock, nl->buf + off, end - off) < 0) {
			ret = -errno;
			err_from_errno(e, ret, "send netlink requests");
			goto out;
		}
		while (!done) {
			ssize_t n = mnl_socket_recvfrom(nl->sock, rx, sizeof(rx));

			if (n < 0) {
				if (errno == EINTR)
					continue;
				ret = -errno;
				err_from_errno(e, ret, "receive netlink acks");
				goto out;
			}
			done = acks_parse(nl, rx, (size_t)n, lasth->nlmsg_seq);
		}
		off = end;
	}
	if (nl->failed) {
		ret = nl->first.code;
		if (e)
			*e = nl->first;
	}
out:
	queue_reset(nl);
	return ret;
}

struct alias_ctx {
	char *buf;
	size_t len;
};

static int alias_attr_cb(const struct nlattr *attr, void *data)
{
	struct alias_ctx *ctx = data;

	if (mnl_attr_get_type(attr) == IFLA_IFALIAS &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(ctx->buf, ctx->len, "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int alias_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), alias_attr_cb, data);
}

/*
 * The one receive loop. A dump ends with NLMSG_DONE; a single request asks
 * for an ack, which follows its reply, so both end in MNL_CB_STOP and one
 * loop serves them. ENOBUFS means the kernel dropped messages for this
 * socket: a dump that lost some is an error, never a shorter answer.
 */
int nl_request(struct nl *nl, struct nlmsghdr *nlh,
	       int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	/* A dump answer comes in batches of up to 32 KiB: a smaller buffer
	 * would truncate them. */
	char rx[NL_DUMP_RX] __attribute__((aligned(8)));
	uint32_t seq = nl->seq_base++;
	ssize_t n;
	int ret;

	nlh->nlmsg_flags |= NLM_F_REQUEST;
	if (!(nlh->nlmsg_flags & NLM_F_DUMP))
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, rx, sizeof(rx));
		if (n < 0 && errno == EINTR) {
			ret = MNL_CB_OK;
			continue;
		}
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(rx, (size_t)n, seq, nl->portid, cb, data);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? (errno ? -errno : -EIO) : 0;
}

/* One request, one answer (not a dump): send nlh, run cb on the reply. */
static int query(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_flags = NLM_F_REQUEST;
	return nl_request(nl, nlh, cb, data);
}

int nl_link_alias_get(struct nl *nl, int ifindex, char *buf, size_t len)
{
	char req[256] __attribute__((aligned(8)));
	struct alias_ctx ctx = { buf, len };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;

	buf[0] = '\0';
	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return query(nl, nlh, alias_cb, &ctx);
}

static int slave_cb(const struct nlattr *attr, void *data)
{
	struct nl_link_info *li = data;
	const struct nlattr *info, *brport;
	bool bridge = false;

	mnl_attr_for_each_nested(info, attr) {
		if (mnl_attr_get_type(info) == IFLA_INFO_SLAVE_KIND &&
		    mnl_attr_validate(info, MNL_TYPE_NUL_STRING) >= 0)
			bridge = !strcmp(mnl_attr_get_str(info), "bridge");
		if (mnl_attr_get_type(info) != IFLA_INFO_SLAVE_DATA || !bridge)
			continue;
		mnl_attr_for_each_nested(brport, info)
			if (mnl_attr_get_type(brport) == IFLA_BRPORT_MODE &&
			    mnl_attr_validate(brport, MNL_TYPE_U8) >= 0)
				li->hairpin = mnl_attr_get_u8(brport);
	}
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_link_info *li = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(li->name, sizeof(li->name), "%s", mnl_attr_get_str(attr));
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			li->mtu = mnl_attr_get_u32(attr);
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			li->master = (int)mnl_attr_get_u32(attr);
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(attr) == 6)
			memcpy(li->mac, mnl_attr_get_payload(attr), 6);
		break;
	case IFLA_LINKINFO:
		return slave_cb(attr, li);
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nl_link_info *li = data;

	li->up = ifi->ifi_flags & IFF_UP;
	return mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, li);
}

int nl_link_get(struct nl *nl, int ifindex, struct nl_link_info *li)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;

	memset(li, 0, sizeof(*li));
	li->hairpin = -1;
	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return query(nl, nlh, link_cb, li);
}

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_route_info *r = data;

	switch (mnl_attr_get_type(attr)) {
	case RTA_DST:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			r->dst = ntohl(mnl_attr_get_u32(attr));
		break;
	case RTA_GATEWAY:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			r->gw = ntohl(mnl_attr_get_u32(attr));
		break;
	case RTA_OIF:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			r->oif = (int)mnl_attr_get_u32(attr);
		break;
	case RTA_TABLE:	/* the full id; rtm_table holds only ids below 256 */
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			r->table = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct nl_route_info *r = data;

	r->plen = rtm->rtm_dst_len;
	r->type = rtm->rtm_type;
	r->table = rtm->rtm_table;
	r->proto = rtm->rtm_protocol;
	return mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, r);
}

int nl_route_get(struct nl *nl, uint32_t dst, struct nl_route_info *r)
{
	return nl_route_get_mark(nl, dst, 0, r);
}

int nl_route_get_mark(struct nl *nl, uint32_t dst, uint32_t mark, struct nl_route_info *r)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct rtmsg *rtm;

	memset(r, 0, sizeof(*r));
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	/* The FIB entry that matched (prefix, gateway), as `ip route get fibmatch`. */
	rtm->rtm_flags = RTM_F_FIB_MATCH | RTM_F_LOOKUP_TABLE;	/* and the table it is in */
	mnl_attr_put_u32(nlh, RTA_DST, htonl(dst));
	if (mark)
		mnl_attr_put_u32(nlh, RTA_MARK, mark);
	return query(nl, nlh, route_cb, r);
}

static int neigh_info_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct nl_neigh_info *n = data;
	const struct nlattr *a;

	n->state = ndm->ndm_state;
	n->flags = ndm->ndm_flags;
	mnl_attr_for_each(a, nlh, sizeof(*ndm))
		if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6) {
			memcpy(n->mac, mnl_attr_get_payload(a), 6);
			n->has_mac = true;
		}
	return MNL_CB_OK;
}

int nl_neigh_get(struct nl *nl, int ifindex, uint32_t ip, struct nl_neigh_info *n)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ndmsg *ndm;

	memset(n, 0, sizeof(*n));
	nlh->nlmsg_type = RTM_GETNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	mnl_attr_put_u32(nlh, NDA_DST, htonl(ip));
	return query(nl, nlh, neigh_info_cb, n);
}

struct route_dump_ctx {
	uint32_t dst;
	int plen;		/* -1: any destination, through oif */
	int oif;
	int (*fn)(void *arg, const void *msg, size_t len);
	void *arg;
	int ret;
};

static int route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_dump_ctx *c = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	uint32_t dst = 0, table = rtm->rtm_table;
	int oif = 0;

	if (rtm->rtm_family != AF_INET || c->ret ||
	    (c->plen >= 0 && rtm->rtm_dst_len != c->plen))
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			dst = ntohl(mnl_attr_get_u32(a));
		if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			table = mnl_attr_get_u32(a);
		if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			oif = (int)mnl_attr_get_u32(a);
	}
	if (table == RT_TABLE_MAIN && (c->plen < 0 ? oif == c->oif : dst == c->dst))
		c->ret = c->fn(c->arg, nlh, nlh->nlmsg_len);
	return MNL_CB_OK;
}

static int route_dump(struct nl *nl, struct route_dump_ctx *ctx)
{
	char buf[NL_RX] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	uint32_t seq = nl->seq_base++;
	ssize_t n;
	int ret;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, nl->portid, route_dump_cb, ctx);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return -errno;
	return ctx->ret;
}

int nl_route_dump(struct nl *nl, uint32_t dst, uint8_t plen,
		  int (*fn)(void *arg, const void *msg, size_t len), void *arg)
{
	struct route_dump_ctx ctx = { .dst = dst, .plen = plen, .fn = fn, .arg = arg };

	return route_dump(nl, &ctx);
}

int nl_route_dump_oif(struct nl *nl, int oif,
		      int (*fn)(void *arg, const void *msg, size_t len), void *arg)
{
	struct route_dump_ctx ctx = { .plen = -1, .oif = oif, .fn = fn, .arg = arg };

	return route_dump(nl, &ctx);
}

struct veth_ctx {
	void (*fn)(void *arg, const char *ifname, int nsid);
	void *arg;
};

static int veth_cb(const struct nlmsghdr *nlh, void *data)
{
	struct veth_ctx *ctx = data;
	const struct nlattr *attr, *info;
	const char *name = NULL;
	bool veth = false;
	int nsid = -1;

	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg)) {
		switch (mnl_attr_get_type(attr)) {
		case IFLA_IFNAME:
			name = mnl_attr_get_str(attr);
			break;
		case IFLA_LINK_NETNSID:
			nsid = (int)mnl_attr_get_u32(attr);
			break;
		case IFLA_LINKINFO:
			mnl_attr_for_each_nested(info, attr)
				if (mnl_attr_get_type(info) == IFLA_INFO_KIND &&
				    !strcmp(mnl_attr_get_str(info), "veth"))
					veth = true;
			break;
		}
	}
	if (veth && name && nsid >= 0)
		ctx->fn(ctx->arg, name, nsid);
	return MNL_CB_OK;
}

int nl_veth_peers(struct nl *nl, void (*fn)(void *arg, const char *ifname, int nsid), void *arg)
{
	char req[256] __attribute__((aligned(8)));
	struct veth_ctx ctx = { fn, arg };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return nl_dump(nl, nlh, veth_cb, &ctx);
}

/* A dump is a request with NLM_F_DUMP: the one receive loop, nl_request. */
int nl_dump(struct nl *nl, struct nlmsghdr *req, int (*cb)(const struct nlmsghdr *nlh, void *arg),
	    void *arg)
{
	req->nlmsg_flags = NLM_F_DUMP;
	return nl_request(nl, req, cb, arg);
}

static int nsid_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct rtgenmsg))
		if (mnl_attr_get_type(attr) == NETNSA_NSID)
			*(int *)data = (int)mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

int nl_nsid_of(struct nl *nl, int fd)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct rtgenmsg *g;
	int nsid = -1, ret;

	nlh->nlmsg_type = RTM_GETNSID;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	ret = query(nl, nlh, nsid_cb, &nsid);
	return ret < 0 ? ret : nsid;
}
