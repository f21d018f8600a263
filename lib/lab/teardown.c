/* teardown — remove a lab by ownership: every /run/netns entry named
 * "LAB_..." whose lo carries the marker "podpath:LAB", every process living
 * in those namespaces or in any unpinned namespace with the marker (one
 * whose entry was deleted by hand), and /run/podpath/LAB*. Needs no state, so it works
 * after a crash or a SIGKILL at any point of setup; it never touches a
 * namespace without the marker, whatever its name. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/internal.h"
#include "netns/netns.h"
#include "nl/nl.h"

struct found {
	char (*names)[LAB_NETNS_MAX];
	ino_t *inodes;
	size_t n, cap;
	const char *lab;
	size_t stray_files;
};

struct marker_buf {
	char *buf;
	size_t len;
};

static int marker_here(void *arg)
{
	struct marker_buf *m = arg;
	struct nl *nl = nl_open();
	int ret = nl ? nl_link_alias_get(nl, LAB_IFX_LO, m->buf, m->len) : -errno;

	nl_close(nl);
	return ret;
}

/* Read the marker on lo inside namespace `name`. */
static int marker_read(const char *name, char *buf, size_t len)
{
	buf[0] = '\0';
	return netns_run(name, marker_here, &(struct marker_buf){ buf, len });
}

static bool marker_matches(const char *marker, const char *lab)
{
	char want[LAB_MARKER_MAX];

	snprintf(want, sizeof(want), "podpath:%s", lab);
	return !strcmp(marker, want);
}

static int found_add(struct found *f, const char *name, ino_t ino)
{
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 64;
		void *nn = realloc(f->names, ncap * sizeof(*f->names));
		void *ni;

		if (!nn)
			return -ENOMEM;
		f->names = nn;
		ni = realloc(f->inodes, ncap * sizeof(*f->inodes));
		if (!ni)
			return -ENOMEM;
		f->inodes = ni;
		f->cap = ncap;
	}
	snprintf(f->names[f->n], sizeof(f->names[0]), "%s", name);
	f->inodes[f->n++] = ino;
	return 0;
}

static int collect_cb(const char *name, void *arg)
{
	struct found *f = arg;
	char marker[LAB_MARKER_MAX + 8], path[LAB_NETNS_MAX + 16];
	struct stat st;
	ino_t ino;

	if (!netns_is_pinned(name)) {
		/* Setup creates the file just before the bind mount; a kill in
		 * between leaves it empty and unmounted. */
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
		    unlink(path) == 0)
			f->stray_files++;
		return 0;
	}
	if (marker_read(name, marker, sizeof(marker)) < 0 ||
	    !marker_matches(marker, f->lab) || netns_inode(name, &ino) < 0)
		return 0;
	return found_add(f, name, ino);
}

static bool ino_in(const ino_t *set, size_t n, ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == ino)
			return true;
	return false;
}

static int ino_add(ino_t **set, size_t *n, size_t *cap, ino_t ino)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		ino_t *ns = realloc(*set, ncap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		*set = ns;
		*cap = ncap;
	}
	(*set)[(*n)++] = ino;
	return 0;
}

/* Every namespace pinned in /run/netns, by inode (none is entered). */
static int pinned_cb(const char *name, void *arg)
{
	void **a = arg;
	ino_t ino;

	if (netns_is_pinned(name) && netns_inode(name, &ino) == 0)
		return ino_add(a[0], a[1], a[2], ino);
	return 0;
}

/* A namespace of the lab whose /run/netns entry was removed by hand (ip
 * netns del) lives on while a process is in it, unseen by the walk over
 * /run/netns: find it through its processes, by the marker on its lo.
 * Only namespaces pinned nowhere in /run/netns are entered to read it. */
static int collect_unpinned(struct found *f)
{
	ino_t *known = NULL;
	size_t nknown = 0, cap = 0;
	void *arg[3] = { &known, &nknown, &cap };
	struct dirent *de;
	struct stat self;
	DIR *d;
	int ret;

	if (stat("/proc/self/ns/net", &self) < 0)
		return -errno;
	ret = ino_add(&known, &nknown, &cap, self.st_ino);
	if (ret == 0)
		ret = netns_for_each("", pinned_cb, arg);
	d = ret == 0 ? opendir("/proc") : NULL;
	if (ret == 0 && !d)
		ret = -errno;
	while (ret == 0 && (de = readdir(d))) {
		char path[64], marker[LAB_MARKER_MAX + 8];
		struct stat st;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/ns/net", de->d_name);
		if (stat(path, &st) < 0 || ino_in(known, nknown, st.st_ino) ||
		    ino_in(f->inodes, f->n, st.st_ino))
			continue;
		ret = ino_add(&known, &nknown, &cap, st.st_ino);
		if (ret == 0 && marker_read(path, marker, sizeof(marker)) == 0 &&
		    marker_matches(marker, f->lab))
			ret = found_add(f, "", st.st_ino);	/* no name: nothing to unpin */
	}
	if (d)
		closedir(d);
	free(known);
	return ret;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int lab_remove_objects(const char *lab, struct lab_teardown_report *r)
{
	struct found f = { .lab = lab };
	char prefix[LAB_NAME_MAX + 2] = "", dir[256];
	int ret, killed;

	lab_netns_prefix(lab, prefix, sizeof(prefix));
	ret = netns_for_each(prefix, collect_cb, &f);
	if (ret == 0)
		ret = collect_unpinned(&f);
	if (ret < 0)
		goto out;
	/* Processes first: a namespace lives on while a process is in it. */
	killed = lab_procs_kill(f.inodes, f.n);
	for (size_t i = 0; i < f.n; i++)
		if (f.names[i][0])
			netns_remove(f.names[i]);
	if (lab_path(lab, NULL, dir, sizeof(dir)) == 0 && access(dir, F_OK) == 0) {
		if (nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS) < 0)
			ret = -errno;
		else if (r)
			r->files++;
	}
	if (r) {
		r->netns += f.n;
		r->processes += killed > 0 ? (size_t)killed : 0;
		r->files += f.stray_files;
	}
out:
	free(f.names);
	free(f.inodes);
	return ret;
}

/* Lab names that have anything in /run/podpath (state dir or lock). */
static int labs_in_run_dir(char (**names)[LAB_NAME_MAX + 1], size_t *n)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *d;

	*names = NULL;
	*n = 0;
	d = opendir(LAB_RUN_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char name[LAB_NAME_MAX + 8];
		char *dot;
		int len = snprintf(name, sizeof(name), "%s", de->d_name);

		/* Longer than a lab's name and ".lock": not a lab's, and cut
		 * short it could read as another lab's name. */
		if (len < 0 || (size_t)len >= sizeof(name))
			continue;
		dot = strstr(name, ".lock");
		if (dot && !dot[5])
			*dot = '\0';
		if (!lab_name_valid(name))
			continue;
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			void *nn = realloc(*names, ncap * sizeof(**names));

			if (!nn)
				break;
			*names = nn;
			cap = ncap;
		}
		/* Valid, so it fits. */
		if ((size_t)snprintf((*names)[*n], sizeof((*names)[0]), "%s", name) < sizeof((*names)[0]))
			(*n)++;
	}
	closedir(d);
	return 0;
}

static int teardown_one(const char *name, struct lab_teardown_report *r, struct pp_err *e)
{
	int lock, ret;

	lock = lab_lock(name, "teardown", 30000, NULL, e);
	if (lock < 0)
		return lock;
	ret = lab_remove_objects(name, r);
	if (ret < 0)
		pp_err_set(e, PP_EXIT_FAIL, ret, "lab \"%s\": teardown incomplete: %s", name,
			   strerror(-ret));
	lab_unlock(name, lock, true);
	return ret;
}

struct marked_labs {
	char (**names)[LAB_NAME_MAX + 1];
	size_t *n, cap;
};

/* The lab named by a namespace's marker joins the list (once). */
static int marked_cb(const char *name, void *arg)
{
	struct marked_labs *m = arg;
	char marker[LAB_MARKER_MAX + 8];
	const char *lab;

	if (!netns_is_pinned(name) || marker_read(name, marker, sizeof(marker)) < 0 ||
	    strncmp(marker, "podpath:", 8) || !lab_name_valid(marker + 8))
		return 0;
	lab = marker + 8;
	for (size_t i = 0; i < *m->n; i++)
		if (!strcmp((*m->names)[i], lab))
			return 0;
	if (*m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 8;
		void *nn = realloc(*m->names, ncap * sizeof(**m->names));

		if (!nn)
			return -ENOMEM;
		*m->names = nn;
		m->cap = ncap;
	}
	/* lab_name_valid() bounds it: it fits. */
	if ((size_t)snprintf((*m->names)[*m->n], sizeof((*m->names)[0]), "%s", lab) >=
	    sizeof((*m->names)[0]))
		return -ENAMETOOLONG;
	(*m->n)++;
	return 0;
}

int lab_teardown(const char *name, bool all, struct lab_teardown_report *r, struct pp_err *e)
{
	char (*names)[LAB_NAME_MAX + 1] = NULL;
	size_t n = 0;
	int ret;

	if (r)
		memset(r, 0, sizeof(*r));
	if (!all)
		return teardown_one(name, r, e);
	/* Every lab with a state dir or lock, and every lab a marked namespace
	 * names: each removed under its own lock, so a setup running for one
	 * of them is waited for, never cut into. */
	ret = labs_in_run_dir(&names, &n);
	if (ret == 0) {
		struct marked_labs m = { &names, &n, n };

		ret = netns_for_each("", marked_cb, &m);
	}
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = teardown_one(names[i], r, e);
	free(names);
	if (ret < 0 && e && !e->msg[0])
		pp_err_set(e, PP_EXIT_FAIL, ret, "teardown --all incomplete: %s", strerror(-ret));
	return ret;
}

struct exists_ctx {
	const char *lab;
};

/* 1 if name is one of the lab's namespaces (marked), or a stray empty file a
 * killed setup left; a foreign namespace with the same prefix does not count. */
static int owned_cb(const char *name, void *arg)
{
	struct exists_ctx *x = arg;
	char marker[LAB_MARKER_MAX + 8], path[LAB_NETNS_MAX + 16];
	struct stat st;

	if (!netns_is_pinned(name)) {
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
		return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
	}
	return marker_read(name, marker, sizeof(marker)) == 0 &&
	       marker_matches(marker, x->lab);
}

bool lab_exists(const char *name)
{
	struct exists_ctx x = { .lab = name };
	char dir[256], prefix[LAB_NAME_MAX + 2];
	bool found;

	if (lab_path(name, NULL, dir, sizeof(dir)) == 0 && access(dir, F_OK) == 0)
		return true;
	lab_netns_prefix(name, prefix, sizeof(prefix));
	found = netns_for_each(prefix, owned_cb, &x) == 1;
	return found;
}
