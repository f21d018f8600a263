/* discover — the namespaces of a trace outside any lab: the source and every
 * namespace reachable from it over veth pairs, as the kernel shows them.
 * Candidates are the namespaces pinned under /run/netns and those of running
 * processes; a veth's peer is matched to one by the namespace id the source
 * side gives it. The host's own namespace is never observed: arming a trace
 * there would change it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/internal.h"

#define MAX_CANDIDATES 512

struct candidate {
	char path[64];		/* netns_open() argument */
	char label[96];
	ino_t ino;
	int fd;
};

struct discovery {
	struct candidate c[MAX_CANDIDATES];
	size_t n;
	int peers[32];		/* nsids seen in the namespace being walked */
	size_t npeers;
};

static void candidate_add(struct discovery *d, const char *path, const char *label, ino_t root)
{
	struct stat st;
	char full[96];

	snprintf(full, sizeof(full), "%s%s", path[0] == '/' ? "" : NETNS_RUN_DIR "/", path);
	if (d->n == MAX_CANDIDATES || stat(full, &st) < 0 || st.st_ino == root)
		return;
	for (size_t i = 0; i < d->n; i++)
		if (d->c[i].ino == st.st_ino)
			return;
	snprintf(d->c[d->n].path, sizeof(d->c[0].path), "%s", path);
	snprintf(d->c[d->n].label, sizeof(d->c[0].label), "%s", label);
	d->c[d->n].ino = st.st_ino;
	d->c[d->n].fd = netns_open(path);
	if (d->c[d->n].fd >= 0)
		d->n++;
}

struct pinned_ctx {
	struct discovery *d;
	ino_t root;
};

static int add_pinned(const char *name, void *arg)
{
	struct pinned_ctx *p = arg;
	char label[96];

	snprintf(label, sizeof(label), "netns %s", name);
	/* Never the host's own namespace, even if someone pinned it. */
	candidate_add(p->d, name, label, p->root);
	return 0;
}

static void candidates_collect(struct discovery *d, ino_t root)
{
	struct dirent *de;
	DIR *p;

	netns_for_each("", add_pinned, &(struct pinned_ctx){ d, root });
	p = opendir("/proc");
	while (p && (de = readdir(p))) {
		char path[64], label[96];

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		snprintf(label, sizeof(label), "pid %s", de->d_name);
		candidate_add(d, path, label, root);
	}
	if (p)
		closedir(p);
}

static void peer_cb(void *arg, const char *ifname, int nsid)
{
	struct discovery *d = arg;

	if (d->npeers < sizeof(d->peers) / sizeof(d->peers[0]))
		d->peers[d->npeers++] = nsid;
}

struct walk_ctx {
	struct discovery *d;
	bool *seen;
	size_t *queue, *nq;
};

/* Inside one namespace: the candidates its veths lead to join the queue. */
static int walk_here(void *arg)
{
	struct walk_ctx *w = arg;
	struct discovery *d = w->d;
	struct nl *nl = nl_open();

	if (!nl)
		return -errno;
	d->npeers = 0;
	nl_veth_peers(nl, peer_cb, d);
	for (size_t k = 0; k < d->npeers; k++)
		for (size_t i = 0; i < d->n; i++)
			if (!w->seen[i] && nl_nsid_of(nl, d->c[i].fd) == d->peers[k]) {
				w->seen[i] = true;
				w->queue[(*w->nq)++] = i;
				break;
			}
	nl_close(nl);
	return 0;
}

int trace_discover(struct trace *t, const char *src, struct pp_err *e)
{
	struct discovery *d = calloc(1, sizeof(*d));
	size_t queue[MAX_CANDIDATES], nq = 0, head = 0;
	bool seen[MAX_CANDIDATES] = { false };
	struct stat root_st, src_st;
	char path[64], label[96], full[96];
	int origin = -1, ret = 0;

	if (!d)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	origin = netns_self_fd();
	if (origin < 0) {
		ret = pp_err_set(e, PP_EXIT_ENV, -errno, "cannot open own namespace");
		goto out;
	}
	/* The host's namespace is init's, not ours: podpath may itself run
	 * inside a lab's namespace (ip netns exec). */
	ret = netns_host_stat(&root_st);
	if (ret < 0) {
		pp_err_set(e, PP_EXIT_ENV, ret, "--netns: cannot tell the host's network "
			   "namespace (/proc/1/ns/net: %s)", strerror(-ret));
		goto out;
	}
	/* The source first, so that it is candidate 0. */
	if (strspn(src, "0123456789") == strlen(src)) {
		snprintf(path, sizeof(path), "/proc/%s/ns/net", src);
		snprintf(label, sizeof(label), "pid %s", src);
	} else {
		snprintf(path, sizeof(path), "%s", src);
		snprintf(label, sizeof(label), "netns %s", src);
	}
	snprintf(full, sizeof(full), "%s%s", path[0] == '/' ? "" : NETNS_RUN_DIR "/", path);
	/* pid 1's is the host's by definition, even where it is hidden. */
	if (!strcmp(src + strspn(src, "0"), "1") ||
	    (stat(full, &src_st) == 0 && src_st.st_dev == root_st.st_dev &&
	     src_st.st_ino == root_st.st_ino)) {
		ret = pp_err_set(e, PP_EXIT_USAGE, -EPERM,
				 "--netns \"%s\": it is the host's own network namespace (pid "
				 "1's), which podpath never observes", src);
		goto out;
	}
	candidate_add(d, path, label, root_st.st_ino);
	if (d->n != 1) {
		ret = pp_err_set(e, PP_EXIT_USAGE, -ENOENT,
				 "--netns \"%s\": no such network namespace (a name under %s or a PID)",
				 src, NETNS_RUN_DIR);
		goto out;
	}
	candidates_collect(d, root_st.st_ino);
	seen[0] = true;
	queue[nq++] = 0;
	while (head < nq && t->nns < TRACE_MAX_NS) {
		const struct candidate *c = &d->c[queue[head++]];

		snprintf(t->ns_store[t->nns], sizeof(t->ns_store[0]), "%s", c->path);
		t->ns[t->nns] = t->ns_store[t->nns];
		snprintf(t->ns_label[t->nns], sizeof(t->ns_label[0]), "%s", c->label);
		t->nns++;
		ret = netns_run(c->path, walk_here, &(struct walk_ctx){ d, seen, queue, &nq });
		if (ret < 0) {
			pp_err_set(e, PP_EXIT_ENV, ret, "--netns: cannot look into %s: %s", c->label,
				   strerror(-ret));
			goto out;
		}
	}
	t->src.kind = TRACE_EP_POD;
	t->src.pod = t->src.node = t->src.container = -1;
	t->src.netns = t->ns[0];
	snprintf(t->src.label, sizeof(t->src.label), "%s", d->c[0].label);
out:
	for (size_t i = 0; i < d->n; i++)
		close(d->c[i].fd);
	if (origin >= 0)
		close(origin);
	free(d);
	return ret;
}
