/* observe/listener — listening sockets through inet_diag; see listener.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/observe/listener.h"

struct find_ctx {
	uint8_t proto;
	uint32_t ip;
	uint16_t port;
	struct obs_listener *l;
};

/* The IPv4 address an AF_INET6 socket accepts: true with *a for :: (0,
 * unless v6only) and ::ffff:a.b.c.d; false for a v6-only address. */
static bool v6_as_v4(const uint32_t s[4], bool v6only, uint32_t *a)
{
	if (!s[0] && !s[1] && !s[2] && !s[3]) {
		*a = 0;
		return !v6only;
	}
	if (!s[0] && !s[1] && s[2] == htonl(0xffff)) {
		*a = ntohl(s[3]);
		return true;
	}
	return false;
}

static int diag_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct find_ctx *c = data;
	struct obs_listener *l = c->l;
	const struct nlattr *a;
	bool v6only = false;
	uint32_t addr;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) || ntohs(m->id.idiag_sport) != c->port ||
	    l->found)
		return MNL_CB_OK;
	/* UDP: a connected socket takes datagrams from its peer only. */
	if (c->proto == IPPROTO_UDP && m->id.idiag_dport)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*m))
		if (mnl_attr_get_type(a) == INET_DIAG_SKV6ONLY &&
		    mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
			v6only = mnl_attr_get_u8(a);
	if (m->idiag_family == AF_INET)
		addr = ntohl(m->id.idiag_src[0]);
	else if (!v6_as_v4(m->id.idiag_src, v6only, &addr))
		return MNL_CB_OK;
	if (addr && c->ip && addr != c->ip) {
		if (!l->elsewhere) {
			l->elsewhere = true;
			l->elsewhere_addr = addr;
		}
		return MNL_CB_OK;
	}
	l->found = true;
	l->addr = addr;
	l->v6 = m->idiag_family == AF_INET6;
	l->bound_if = (int)m->id.idiag_if;
	l->inode = m->idiag_inode;
	l->uid = m->idiag_uid;
	return MNL_CB_OK;
}

static int dump_family(struct nl *nl, uint8_t family, struct find_ctx *c)
{
	char req[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct inet_diag_req_v2 *r;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_DUMP;
	r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
	r->sdiag_family = family;
	r->sdiag_protocol = c->proto;
	/* An unconnected UDP socket is in TCP_CLOSE, as ss shows it. */
	r->idiag_states = c->proto == IPPROTO_TCP ? 1u << TCP_LISTEN : 1u << TCP_CLOSE;
	return nl_request(nl, nlh, diag_cb, c);
}

static int find_here(void *arg)
{
	struct find_ctx *c = arg;
	struct nl *nl = nl_open_proto(NETLINK_SOCK_DIAG);
	int ret;

	if (!nl)
		return -errno;
	ret = dump_family(nl, AF_INET, c);
	if (ret == 0 && !c->l->found)
		ret = dump_family(nl, AF_INET6, c);
	nl_close(nl);
	return ret;
}

int obs_listener_find(const char *netns, uint8_t proto, uint32_t ip, uint16_t port,
		      struct obs_listener *l)
{
	struct find_ctx c = { proto, ip, port, l };
	int ret;

	memset(l, 0, sizeof(*l));
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -EPROTONOSUPPORT;
	ret = netns_run(netns, find_here, &c);
	if (ret == 0 && l->found) {
		l->elsewhere = false;
		l->elsewhere_addr = 0;
	}
	return ret;
}

/* Does process dir pid hold "socket:[inode]" among its fds? */
static bool holds_socket(const char *pid, uint32_t inode)
{
	char path[300], link[64], want[32];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	snprintf(want, sizeof(want), "socket:[%u]", inode);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = !strcmp(link, want);
	}
	closedir(d);
	return found;
}

/* The first process (those in namespace ns first, when in_ns; the rest
 * after) holding socket inode. */
static int scan(const struct stat *ns, bool in_ns, uint32_t inode, int *pid, char *comm,
		size_t len)
{
	struct dirent *de;
	struct stat st;
	int ret = -ENOENT;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[300];
		int fd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (stat(path, &st) < 0)
			continue;
		if ((st.st_ino == ns->st_ino && st.st_dev == ns->st_dev) != in_ns)
			continue;
		if (!holds_socket(de->d_name, inode))
			continue;
		*pid = atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		comm[0] = '\0';
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, comm, len - 1);

			comm[n > 0 ? n : 0] = '\0';
			comm[strcspn(comm, "\n")] = '\0';
			close(fd);
		}
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

int obs_listener_process(const char *netns, uint32_t inode, int *pid, char *comm, size_t len)
{
	struct stat ns;
	int fd, ret;

	fd = netns_open(netns);
	if (fd < 0)
		return fd;
	ret = fstat(fd, &ns) < 0 ? -errno : 0;
	close(fd);
	if (ret < 0)
		return ret;
	/* The owner nearly always lives in the namespace; a process that made
	 * the socket there and left (setns and back) is found by the second pass. */
	ret = scan(&ns, true, inode, pid, comm, len);
	if (ret == -ENOENT)
		ret = scan(&ns, false, inode, pid, comm, len);
	return ret;
}
