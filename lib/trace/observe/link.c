/* observe/link — one interface's kernel state; see link.h. */
#include <net/if.h>	/* before any linux/if.h, whose libc-compat then defers to it */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/observe/link.h"

static void brport_parse(const struct nlattr *data, struct obs_link *l)
{
	const struct nlattr *a;

	l->bridge_port = true;
	mnl_attr_for_each_nested(a, data) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_BRPORT_STATE:
			if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
				l->port_state = mnl_attr_get_u8(a);
			break;
		case IFLA_BRPORT_MODE:
			if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
				l->hairpin = mnl_attr_get_u8(a);
			break;
		}
	}
}

static void linkinfo_parse(const struct nlattr *info, struct obs_link *l)
{
	const struct nlattr *a, *slave_data = NULL;
	bool bridge_slave = false;

	mnl_attr_for_each_nested(a, info) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_INFO_KIND:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
				snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(a));
			break;
		case IFLA_INFO_SLAVE_KIND:
			bridge_slave = mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0 &&
				       !strcmp(mnl_attr_get_str(a), "bridge");
			break;
		case IFLA_INFO_SLAVE_DATA:
			slave_data = a;
			break;
		}
	}
	if (bridge_slave && slave_data)
		brport_parse(slave_data, l);
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct obs_link *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(a));
		break;
	case IFLA_OPERSTATE:
		if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
			l->operstate = mnl_attr_get_u8(a);
		break;
	case IFLA_CARRIER:
		if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
			l->carrier = mnl_attr_get_u8(a);
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			l->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(a) == sizeof(l->mac))
			memcpy(l->mac, mnl_attr_get_payload(a), sizeof(l->mac));
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			l->master = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_LINK:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			l->peer_ifindex = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_LINK_NETNSID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			l->peer_nsid = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_LINKINFO:
		linkinfo_parse(a, l);
		break;
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct obs_link *l = data;

	l->ifindex = ifi->ifi_index;
	l->admin_up = ifi->ifi_flags & IFF_UP;
	l->lower_up = ifi->ifi_flags & IFF_LOWER_UP;
	return mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, l);
}

struct link_ctx {
	const char *ifname;
	struct obs_link *l;
};

static int link_here(void *arg)
{
	char req[256] __attribute__((aligned(8)));
	struct link_ctx *c = arg;
	struct obs_link *l = c->l;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;
	struct nl *nl = nl_open();
	int ret;

	if (!nl)
		return -errno;
	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, c->ifname);
	/* Counters are not asked for: they are most of the answer's size. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	ret = nl_request(nl, nlh, link_cb, l);
	/* The veth's peer is "IFLA_LINK" here too; for other kinds it means
	 * the lower device, which is not a peer. */
	if (ret == 0 && strcmp(l->kind, "veth")) {
		l->peer_ifindex = 0;
		l->peer_nsid = -1;
	}
	if (ret == 0 && l->master && !if_indextoname((unsigned)l->master, l->master_name))
		l->master_name[0] = '\0';
	nl_close(nl);
	return ret;
}

int obs_link_get(const char *netns, const char *ifname, struct obs_link *l)
{
	struct link_ctx c = { ifname, l };

	memset(l, 0, sizeof(*l));
	l->peer_nsid = -1;
	if (!*ifname || strlen(ifname) >= OBS_IFNAMSIZ)
		return -EINVAL;
	return netns_run(netns, link_here, &c);
}

struct nsid_ctx {
	struct nl *nl;
	int nsid;
	char *name;
	size_t len;
};

static int nsid_try(const char *name, void *arg)
{
	char path[sizeof(NETNS_RUN_DIR) + 256];
	struct nsid_ctx *c = arg;
	int fd, id;

	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	id = nl_nsid_of(c->nl, fd);
	close(fd);
	if (id != c->nsid)
		return 0;
	snprintf(c->name, c->len, "%s", name);
	return 1;
}

struct nsid_args {
	int nsid;
	const char *prefix;
	char *name;
	size_t len;
};

static int nsid_here(void *arg)
{
	struct nsid_args *a = arg;
	struct nsid_ctx c = { nl_open(), a->nsid, a->name, a->len };
	int ret;

	if (!c.nl)
		return -errno;
	ret = netns_for_each(a->prefix, nsid_try, &c);
	nl_close(c.nl);
	return ret == 1 ? 0 : ret < 0 ? ret : -ENOENT;
}

int obs_link_nsid_name(const char *netns, int nsid, const char *prefix, char *name, size_t len)
{
	struct nsid_args a = { nsid, prefix, name, len };

	if (nsid < 0)
		return -ENOENT;
	return netns_run(netns, nsid_here, &a);
}

const char *obs_link_operstate_name(uint8_t operstate)
{
	static const char *const names[] = {
		[IF_OPER_UNKNOWN] = "unknown",	 [IF_OPER_NOTPRESENT] = "notpresent",
		[IF_OPER_DOWN] = "down",	 [IF_OPER_LOWERLAYERDOWN] = "lowerlayerdown",
		[IF_OPER_TESTING] = "testing",	 [IF_OPER_DORMANT] = "dormant",
		[IF_OPER_UP] = "up",
	};

	return operstate < sizeof(names) / sizeof(names[0]) ? names[operstate] : "unknown";
}

const char *obs_link_port_state_name(uint8_t state)
{
	static const char *const names[] = {
		[BR_STATE_DISABLED] = "disabled",   [BR_STATE_LISTENING] = "listening",
		[BR_STATE_LEARNING] = "learning",   [BR_STATE_FORWARDING] = "forwarding",
		[BR_STATE_BLOCKING] = "blocking",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}
