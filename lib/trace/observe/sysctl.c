/* observe/sysctl — net.* sysctls read inside a namespace; see sysctl.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns/netns.h"
#include "trace/observe/sysctl.h"

int obs_sysctl_path(const char *key, char *buf, size_t len)
{
	bool slashed = strchr(key, '/') != NULL;
	size_t n = strlen(key);

	/* Only the per-namespace tree: anything else would read the host's. */
	if (strncmp(key, slashed ? "net/" : "net.", 4) || n + 1 > len || strstr(key, "..") ||
	    strstr(key, "//") || key[n - 1] == '/' || key[n - 1] == '.')
		return -EINVAL;
	for (size_t i = 0; i <= n; i++)
		buf[i] = !slashed && key[i] == '.' ? '/' : key[i];
	return 0;
}

/* Read /proc/sys/<path> of the calling thread's namespace into v. */
static int read_here(const char *path, struct obs_sysctl_val *v)
{
	char full[PATH_MAX], *end;
	ssize_t n;
	int fd, ret = 0;

	memset(v, 0, sizeof(*v));
	if ((size_t)snprintf(full, sizeof(full), "/proc/sys/%s", path) >= sizeof(full))
		return -EINVAL;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, v->str, sizeof(v->str) - 1);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	v->str[n] = '\0';
	v->str[strcspn(v->str, "\n")] = '\0';
	v->present = true;
	errno = 0;
	v->num = strtol(v->str, &end, 10);
	v->numeric = end != v->str && !*end && errno == 0;
	if (!v->numeric)
		v->num = 0;
out:
	close(fd);
	return ret;
}

struct get_ctx {
	const char *path;
	struct obs_sysctl_val *v;
};

static int get_here(void *arg)
{
	struct get_ctx *c = arg;

	return read_here(c->path, c->v);
}

int obs_sysctl_get(const char *netns, const char *key, struct obs_sysctl_val *v)
{
	char path[PATH_MAX];
	struct get_ctx c = { path, v };
	int ret;

	memset(v, 0, sizeof(*v));
	ret = obs_sysctl_path(key, path, sizeof(path));
	if (ret < 0)
		return ret;
	return netns_run(netns, get_here, &c);
}

int obs_sysctl_get_here(const char *key, struct obs_sysctl_val *v)
{
	char path[PATH_MAX];
	int ret;

	memset(v, 0, sizeof(*v));
	ret = obs_sysctl_path(key, path, sizeof(path));
	return ret < 0 ? ret : read_here(path, v);
}

struct read_ctx {
	const char *ifname;
	struct obs_sysctls *s;
};

static int read_set_here(void *arg)
{
	struct read_ctx *c = arg;
	struct obs_sysctls *s = c->s;
	char path[PATH_MAX];
	int ret = 0;

	ret = read_here("net/ipv4/ip_forward", &s->ip_forward);
	if (!ret)
		ret = read_here("net/ipv4/conf/all/rp_filter", &s->rp_filter_all);
	if (!ret)
		ret = read_here("net/bridge/bridge-nf-call-iptables", &s->bridge_nf_call_iptables);
	if (!ret)
		ret = read_here("net/netfilter/nf_conntrack_max", &s->conntrack_max);
	if (!ret)
		ret = read_here("net/netfilter/nf_conntrack_count", &s->conntrack_count);
	/* An interface name is one path component whatever it holds (a VLAN's
	 * "eth0.10" too): put it in as it is, never through dot-splitting. */
	if (ret || !c->ifname)
		return ret;
	if (!*c->ifname || strlen(c->ifname) >= IF_NAMESIZE || strchr(c->ifname, '/') ||
	    !strcmp(c->ifname, ".") || !strcmp(c->ifname, ".."))
		return -EINVAL;
	snprintf(path, sizeof(path), "net/ipv4/conf/%s/rp_filter", c->ifname);
	ret = read_here(path, &s->rp_filter);
	if (!ret) {
		snprintf(path, sizeof(path), "net/ipv4/conf/%s/forwarding", c->ifname);
		ret = read_here(path, &s->forwarding);
	}
	return ret;
}

int obs_sysctl_read(const char *netns, const char *ifname, struct obs_sysctls *s)
{
	struct read_ctx c = { ifname, s };

	memset(s, 0, sizeof(*s));
	return netns_run(netns, read_set_here, &c);
}

int obs_sysctl_rp_filter_mode(const struct obs_sysctls *s)
{
	long all = s->rp_filter_all.numeric ? s->rp_filter_all.num : -1;
	long dev = s->rp_filter.numeric ? s->rp_filter.num : -1;

	/* IN_DEV_RPFILTER: IN_DEV_MAXCONF(in_dev, RP_FILTER). */
	return (int)(all > dev ? all : dev);
}
