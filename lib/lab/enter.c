/* enter — TARGET resolution and entering a pod or node; see enter.h. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lab/enter.h"
#include "netns/netns.h"
#include "self.h"

int lab_target_parse(const struct lab *l, const char *s, const char *container,
		     struct lab_target *t, struct pp_err *e)
{
	char ns[TOPO_LABEL_MAX], name[TOPO_SUBDOMAIN_MAX];
	const char *slash = strchr(s, '/');
	const struct topo_pod *p;
	ssize_t idx;

	memset(t, 0, sizeof(*t));
	t->container = -1;
	if (!strncmp(s, "node/", 5)) {
		idx = topo_node_index(&l->topo, s + 5);
		if (idx < 0)
			return pp_err_set(e, PP_EXIT_USAGE, -ENOENT, "node \"%s\": no such node in lab \"%s\"",
					  s + 5, l->name);
		if (container)
			return pp_err_set(e, PP_EXIT_USAGE, -EINVAL,
					  "-c \"%s\": a node has no containers (only pods do)", container);
		t->kind = LAB_TARGET_NODE;
		t->index = (size_t)idx;
		return 0;
	}
	if (!strncmp(s, "internet/", 9)) {
		const struct topo_inet_host *h = topo_inet_find(&l->topo, s + 9);

		if (!h)
			return pp_err_set(e, PP_EXIT_USAGE, -ENOENT, "internet host \"%s\": no such "
					  "host in lab \"%s\"", s + 9, l->name);
		if (container)
			return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "-c \"%s\": an internet host "
					  "has no containers (only pods do)", container);
		t->kind = LAB_TARGET_INTERNET;
		t->index = (size_t)(h - l->topo.inet.hosts);
		return 0;
	}
	if (slash && (size_t)(slash - s) < sizeof(ns)) {
		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - s), s);
		snprintf(name, sizeof(name), "%s", slash + 1);
	} else {
		snprintf(ns, sizeof(ns), "default");
		snprintf(name, sizeof(name), "%s", s);
	}
	p = topo_pod_find(&l->topo, ns, name);
	if (!p)
		return pp_err_set(e, PP_EXIT_USAGE, -ENOENT, "pod \"%s/%s\": no such pod in lab \"%s\"",
				  ns, name, l->name);
	t->kind = LAB_TARGET_POD;
	t->index = (size_t)(p - l->topo.pods);
	if (!container)
		return 0;
	for (size_t i = 0; i < p->ncontainers; i++)
		if (!strcmp(p->containers[i].name, container))
			t->container = (ssize_t)i;
	if (t->container < 0)
		return pp_err_set(e, PP_EXIT_USAGE, -ENOENT,
				  "container \"%s\": pod \"%s/%s\" has no such container", container,
				  ns, name);
	return 0;
}

/* Best effort, as `ip netns exec` does: /sys then shows the namespace's own
 * interfaces (ls /sys/class/net). */
static void sysfs_remount(void)
{
	if (umount2("/sys", MNT_DETACH) == 0)
		mount("podpath", "/sys", "sysfs", 0, NULL);
}

int lab_target_enter(const struct lab *l, const struct lab_target *t, struct pp_err *e)
{
	const char *netns, *host;
	char resolv[256];
	int fd, ret;

	if (t->kind == LAB_TARGET_NODE) {
		netns = l->plan.nodes[t->index].netns;
		host = l->topo.nodes[t->index].name;
	} else if (t->kind == LAB_TARGET_INTERNET) {
		netns = l->plan.hosts[t->index].netns;
		host = l->topo.inet.hosts[t->index].name;
	} else {
		netns = l->plan.pods[t->index].netns;
		host = l->topo.pods[t->index].name;
	}
	fd = netns_open(netns);
	if (fd < 0)
		return pp_err_set(e, PP_EXIT_FAIL, fd, "%s: namespace %s/%s is gone: %s (lab damaged? "
				  "%s --lab %s teardown)", host, NETNS_RUN_DIR, netns,
				  strerror(-fd), pp_self(), l->name);
	ret = netns_enter(fd);
	close(fd);
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_ENV, ret, "cannot enter %s: %s", netns, strerror(-ret));
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot make mount namespace: %s",
				  strerror(errno));
	/* Nothing mounted below may leak back to the host. */
	if (mount("", "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot make / a slave mount: %s",
				  strerror(errno));
	sysfs_remount();
	lab_resolv_conf_path(l, t->kind == LAB_TARGET_POD ? l->topo.pods[t->index].ns :
			     LAB_RESOLV_INTERNET, resolv, sizeof(resolv));
	if (mount(resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot bind %s over /etc/resolv.conf: %s",
				  resolv, strerror(errno));
	/* Only what is true of this target: none of the caller's own (an exec
	 * run from inside another pod) may pass for it. */
	for (const char *const *v = (const char *const[]){ "POD_NAMESPACE", "POD_NAME", "POD_IP",
							     "NODE_NAME", "CONTAINER_NAME", NULL };
	     *v; v++)
		unsetenv(*v);
	if (t->kind == LAB_TARGET_POD) {
		const struct topo_pod *p = &l->topo.pods[t->index];

		setenv("POD_NAMESPACE", p->ns, 1);
		setenv("POD_NAME", p->name, 1);
		setenv("POD_IP", addr_fmt(p->ip, (char[ADDR_STRLEN]){ 0 }), 1);
		setenv("NODE_NAME", l->topo.nodes[p->node].name, 1);
		if (t->container >= 0)
			setenv("CONTAINER_NAME", p->containers[t->container].name, 1);
	} else if (t->kind == LAB_TARGET_NODE) {
		setenv("NODE_NAME", host, 1);
	}
	sethostname(host, strlen(host));
	setenv("HOSTNAME", host, 1);
	setenv("PODPATH_LAB", l->name, 1);
	return 0;
}
