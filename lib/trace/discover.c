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

/* Namespaces are as many as the machine holds: every list here grows, and
 * a candidate holds no descriptor (a thousand of them would pass
 * RLIMIT_NOFILE): it is known by its inode and opened only to be asked
 * about. */
struct candidate {
	char *path;		/* netns_open() argument */
	char *label;
	ino_t ino;
};

struct discovery {
	struct candidate *c;
	size_t n;
	int *peers;		/* nsids seen in the namespace being walked */
	size_t npeers, peers_cap;
	bool oom;		/* a list could not grow: the walk is incomplete */
	size_t unseen;		/* candidates neither queued nor given up */
	size_t lost;		/* namespaces that exist but could not be looked at */
};

/* A namespace that went away (its process exited, it was unpinned) is no
 * longer on any path; any other failure hides one that may be, and is
 * counted as an observer loss. */
static bool vanished(int err)
{
	return err == -ENOENT || err == -ESRCH;
}

/* path: a name under /run/netns or an absolute path; labelled label. */
static void candidate_add(struct discovery *d, const char *path, const char *label, ino_t root)
{
	struct candidate *c, nc = { 0 };
	struct stat st;
	char *full;
	int bad;

	if (asprintf(&full, "%s%s", path[0] == '/' ? "" : NETNS_RUN_DIR "/", path) < 0) {
		d->oom = true;
		return;
	}
	bad = stat(full, &st) < 0 ? -errno : 0;
	free(full);
	if (bad && !vanished(bad))
		d->lost++;
	if (bad || st.st_ino == root)
		return;
	for (size_t i = 0; i < d->n; i++)
		if (d->c[i].ino == st.st_ino)
			return;
	c = realloc(d->c, (d->n + 1) * sizeof(*c));
	if (c)
		d->c = c;
	nc.path = strdup(path);
	nc.label = strdup(label);
	if (!c || !nc.path || !nc.label) {
		d->oom = true;
		goto fail;
	}
	nc.ino = st.st_ino;
	d->c[d->n++] = nc;
	return;
fail:
	free(nc.path);
	free(nc.label);
}

struct pinned_ctx {
	struct discovery *d;
	ino_t root;
};

static int add_pinned(const char *name, void *arg)
{
	struct pinned_ctx *p = arg;
	char *label;

	if (asprintf(&label, "netns %s", name) < 0) {
		p->d->oom = true;
		return 0;
	}
	/* Never the host's own namespace, even if someone pinned it. */
	candidate_add(p->d, name, label, p->root);
	free(label);
	return 0;
}

static void candidates_collect(struct discovery *d, ino_t root)
{
	struct dirent *de;
	DIR *p;

	netns_for_each("", add_pinned, &(struct pinned_ctx){ d, root });
	p = opendir("/proc");
	while (p && (de = readdir(p))) {
		char path[64], label[32], *end;
		unsigned long pid;

		/* A process: all digits, so its number is what it is named by.
		 * Not pid 1: its namespace is the host's by definition, also
		 * where a sandbox will not let it be looked at. */
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		errno = 0;
		pid = strtoul(de->d_name, &end, 10);
		if (*end || errno || pid == 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%lu/ns/net", pid);
		snprintf(label, sizeof(label), "pid %lu", pid);
		candidate_add(d, path, label, root);
	}
	if (p)
		closedir(p);
}

static void peer_cb(void *arg, const char *ifname, int nsid)
{
	struct discovery *d = arg;

	for (size_t k = 0; k < d->npeers; k++)
		if (d->peers[k] == nsid)
			return;	/* another veth to the same namespace */
	if (d->npeers == d->peers_cap) {
		size_t cap = d->peers_cap ? 2 * d->peers_cap : 32;
		int *np = realloc(d->peers, cap * sizeof(*np));

		if (!np) {
			d->oom = true;
			return;
		}
		d->peers = np;
		d->peers_cap = cap;
	}
	d->peers[d->npeers++] = nsid;
}

struct walk_ctx {
	struct discovery *d;
	bool *seen;
	size_t *queue, *nq;
};

/* Inside one namespace: the candidates its veths lead to join the queue.
 * Each candidate not yet queued is asked its id here once, not once per
 * peer: one round trip each, and none when no peer or candidate is left.
 * One that cannot be opened is given up, and counted once if it is still
 * there. */
static int walk_here(void *arg)
{
	struct walk_ctx *w = arg;
	struct discovery *d = w->d;
	struct nl *nl = nl_open();
	size_t found = 0;
	int ret;

	if (!nl)
		return -errno;
	d->npeers = 0;
	ret = nl_veth_peers(nl, peer_cb, d);
	for (size_t i = 0; ret == 0 && i < d->n && found < d->npeers && d->unseen; i++) {
		int fd, nsid;

		if (w->seen[i])
			continue;
		fd = netns_open(d->c[i].path);
		if (fd < 0) {
			d->lost += !vanished(fd);
			w->seen[i] = true;
			d->unseen--;
			continue;
		}
		nsid = nl_nsid_of(nl, fd);
		close(fd);
		if (nsid < -1) {
			d->lost++;
			w->seen[i] = true;
			d->unseen--;
			continue;
		}
		for (size_t k = 0; nsid >= 0 && k < d->npeers; k++)
			if (d->peers[k] == nsid) {
				w->seen[i] = true;
				w->queue[(*w->nq)++] = i;
				d->unseen--;
				found++;
				break;
			}
	}
	nl_close(nl);
	return ret;
}

int trace_discover(struct trace *t, const char *src, struct pp_err *e)
{
	struct discovery *d = calloc(1, sizeof(*d));
	size_t *queue = NULL, nq = 0, head = 0;
	bool *seen = NULL;
	struct stat root_st, src_st;
	char *path = NULL, *label = NULL, *full = NULL;
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
	if (strspn(src, "0123456789") == strlen(src))
		ret = asprintf(&path, "/proc/%s/ns/net", src) < 0 ||
		      asprintf(&label, "pid %s", src) < 0 ? -ENOMEM : 0;
	else
		ret = !(path = strdup(src)) || asprintf(&label, "netns %s", src) < 0 ? -ENOMEM : 0;
	if (ret == 0 && asprintf(&full, "%s%s", path[0] == '/' ? "" : NETNS_RUN_DIR "/", path) < 0)
		ret = -ENOMEM;
	if (ret < 0) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
		goto out;
	}
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
	if (d->oom) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
		goto out;
	}
	if (d->n != 1) {
		ret = pp_err_set(e, PP_EXIT_USAGE, -ENOENT,
				 "--netns \"%s\": no such network namespace (a name under %s or a PID)",
				 src, NETNS_RUN_DIR);
		goto out;
	}
	candidates_collect(d, root_st.st_ino);
	queue = calloc(d->n, sizeof(*queue));
	seen = calloc(d->n, sizeof(*seen));
	if (!queue || !seen) {
		d->oom = true;
		goto oom;
	}
	seen[0] = true;
	queue[nq++] = 0;
	d->unseen = d->n - 1;
	while (head < nq && !d->oom) {
		const struct candidate *c = &d->c[queue[head++]];

		ssize_t i = trace_ns_add(t, c->path, c->label);

		if (i == -ENAMETOOLONG) {
			ret = pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "--netns: %s: the name is "
					 "longer than a namespace's (%d)", c->label, NAME_MAX);
			goto out;
		}
		if (i < 0) {
			d->oom = true;
			break;
		}
		ret = netns_run(c->path, walk_here, &(struct walk_ctx){ d, seen, queue, &nq });
		if (ret < 0) {
			pp_err_set(e, PP_EXIT_ENV, ret, "--netns: cannot look into %s: %s", c->label,
				   strerror(-ret));
			goto out;
		}
	}
oom:
	/* A namespace left out of the walk could be where the packet goes:
	 * never a partial picture. */
	if (d->oom) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
		goto out;
	}
	/* What could not be looked at may be on the way: said, not hidden. */
	if (d->lost && trace_loss_set(t, "discover", "namespaces", -1, d->lost, 0) < 0) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
		goto out;
	}
	t->src.kind = TRACE_EP_POD;
	t->src.pod = t->src.node = t->src.container = -1;
	t->src.netns = t->ns[0];
	snprintf(t->src.label, sizeof(t->src.label), "%s", d->c[0].label);
out:
	for (size_t i = 0; i < d->n; i++) {
		free(d->c[i].path);
		free(d->c[i].label);
	}
	if (origin >= 0)
		close(origin);
	free(d->c);
	free(d->peers);
	free(d);
	free(queue);
	free(seen);
	free(path);
	free(label);
	free(full);
	return ret;
}
