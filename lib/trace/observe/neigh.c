/* observe/neigh — neighbour entries and address owners; see neigh.h. */
#include <net/if.h>	/* before any linux/if.h, whose libc-compat then defers to it */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/observe/neigh.h"

static int neigh_attr_cb(const struct nlattr *a, void *data)
{
	struct obs_neigh *n = data;

	if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6) {
		n->has_lladdr = true;
		memcpy(n->lladdr, mnl_attr_get_payload(a), 6);
	}
	return MNL_CB_OK;
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct obs_neigh *n = data;

	n->state = ndm->ndm_state;
	n->flags = ndm->ndm_flags;
	return mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr_cb, n);
}

struct neigh_ctx {
	const char *ifname;
	uint32_t ip;
	struct obs_neigh *n;
};

static int neigh_here(void *arg)
{
	char req[256] __attribute__((aligned(8)));
	struct neigh_ctx *c = arg;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	unsigned ifindex = if_nametoindex(c->ifname);
	struct ndmsg *ndm;
	struct nl *nl;
	int ret;

	if (!ifindex)
		return -ENODEV;
	nl = nl_open();
	if (!nl)
		return -errno;
	nlh->nlmsg_type = RTM_GETNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = (int)ifindex;	/* a single get needs the device */
	mnl_attr_put_u32(nlh, NDA_DST, htonl(c->ip));
	ret = nl_request(nl, nlh, neigh_cb, c->n);
	nl_close(nl);
	return ret;
}

int obs_neigh_get(const char *netns, const char *ifname, uint32_t ip, struct obs_neigh *n)
{
	struct neigh_ctx c = { ifname, ip, n };

	memset(n, 0, sizeof(*n));
	return netns_run(netns, neigh_here, &c);
}

struct owner_ctx {
	uint32_t ip;
	struct obs_addr_owner *o;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct owner_ctx *c = data;
	const struct nlattr *a;

	if (ifa->ifa_family != AF_INET || c->o->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		/* IFA_LOCAL is the address itself (IFA_ADDRESS the peer's on
		 * a point-to-point link). */
		if (mnl_attr_get_type(a) == IFA_LOCAL && mnl_attr_validate(a, MNL_TYPE_U32) >= 0 &&
		    ntohl(mnl_attr_get_u32(a)) == c->ip) {
			c->o->ifindex = (int)ifa->ifa_index;
			c->o->plen = ifa->ifa_prefixlen;
		}
	}
	return MNL_CB_OK;
}

static int mac_attr_cb(const struct nlattr *a, void *data)
{
	struct obs_addr_owner *o = data;

	if (mnl_attr_get_type(a) == IFLA_ADDRESS && mnl_attr_get_payload_len(a) == 6)
		memcpy(o->mac, mnl_attr_get_payload(a), 6);
	else if (mnl_attr_get_type(a) == IFLA_IFNAME &&
		 mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(o->ifname, sizeof(o->ifname), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int mac_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), mac_attr_cb, data);
}

static int owner_here(void *arg)
{
	char req[256] __attribute__((aligned(8)));
	struct owner_ctx *c = arg;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifaddrmsg *ifa;
	struct ifinfomsg *ifi;
	struct nl *nl = nl_open();
	int ret;

	if (!nl)
		return -errno;
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ret = nl_request(nl, nlh, addr_cb, c);
	if (ret < 0)
		goto out;
	if (!c->o->ifindex) {
		ret = -ENOENT;
		goto out;
	}
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = c->o->ifindex;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	ret = nl_request(nl, nlh, mac_cb, c->o);
out:
	nl_close(nl);
	return ret;
}

int obs_neigh_owner(const char *netns, uint32_t ip, struct obs_addr_owner *o)
{
	struct owner_ctx c = { ip, o };

	memset(o, 0, sizeof(*o));
	return netns_run(netns, owner_here, &c);
}

const char *obs_neigh_state_name(uint16_t state, char *buf)
{
	static const struct { uint16_t bit; const char *name; } names[] = {
		{ NUD_INCOMPLETE, "incomplete" }, { NUD_REACHABLE, "reachable" },
		{ NUD_STALE, "stale" },		  { NUD_DELAY, "delay" },
		{ NUD_PROBE, "probe" },		  { NUD_FAILED, "failed" },
		{ NUD_NOARP, "noarp" },		  { NUD_PERMANENT, "permanent" },
	};

	if (!state)
		return "none";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (state == names[i].bit)
			return names[i].name;
	/* The kernel keeps one bit set; anything else is shown as it is. */
	snprintf(buf, 16, "0x%x", state);
	return buf;
}
