/* state — /run/podpath/LAB/: the lock, state.json and resolv.conf files. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "lab/internal.h"
#include "self.h"

int lab_path(const char *lab, const char *file, char *buf, size_t len)
{
	int n = file ? snprintf(buf, len, "%s/%s/%s", LAB_RUN_DIR, lab, file)
		     : snprintf(buf, len, "%s/%s", LAB_RUN_DIR, lab);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* open's and mkdir's modes pass through the umask; fchmod and chmod do not. */
FILE *lab_file_create(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	FILE *f = NULL;
	int err;

	if (fd < 0)
		goto out;
	if (fchmod(fd, mode) == 0)
		f = fdopen(fd, "w");
	if (!f) {
		err = errno;
		close(fd);
		errno = err;
	}
out:
	return f;
}

int lab_dir_create(const char *path, mode_t mode, bool exist_ok)
{
	struct stat st;
	int fd, ret = -1;

	if (mkdir(path, mode) < 0 && (errno != EEXIST || !exist_ok))
		return -1;
	/* The mode goes to the directory itself, never through a symlink
	 * to somewhere else, and never to a file that sits at the path. */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_uid != geteuid())
		errno = EPERM;	/* not ours: leave its mode alone */
	else
		ret = fchmod(fd, mode);
	close(fd);
	return ret;
}

static int lock_path(const char *lab, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s.lock", LAB_RUN_DIR, lab);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Say in the lock file who holds it ("PID WHAT"), for lab_lock_holder. */
static void lock_owner_write(int fd, const char *what)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%d %s\n", (int)getpid(), what);

	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) != n)
		(void)ftruncate(fd, 0);	/* no owner rather than half of one */
}

int lab_lock(const char *lab, const char *what, int timeout_ms,
	     volatile sig_atomic_t *interrupted, struct pp_err *e)
{
	char path[256];
	struct stat a, b;
	int fd = -1, waited = 0;

	if (lock_path(lab, path, sizeof(path)) < 0)
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "lab name \"%s\" is too long", lab);
	if (lab_dir_create(LAB_RUN_DIR, LAB_MODE_DIR, true) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot create %s: %s",
				  LAB_RUN_DIR, strerror(errno));
	/* The file stays open while we wait: a waiting podpath is seen
	 * holding it open (/proc/PID/fd), and a signal ends the wait. */
	for (;;) {
		if (fd < 0) {
			fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, LAB_MODE_SECRET);
			if (fd < 0 || fchmod(fd, LAB_MODE_SECRET) < 0) {
				int ret = pp_err_set(e, PP_EXIT_ENV, -errno, "cannot open lock %s: %s",
						     path, strerror(errno));

				if (fd >= 0)
					close(fd);
				return ret;
			}
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* Teardown unlinks the lock file while holding it: if
			 * ours is no longer the file at the path, start over. */
			if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
			    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
				lock_owner_write(fd, what);
				return fd;
			}
			close(fd);
			fd = -1;
			continue;
		}
		if (errno != EWOULDBLOCK) {
			int err = errno;

			close(fd);
			return pp_err_set(e, PP_EXIT_ENV, -err, "cannot lock %s: %s", path,
					  strerror(err));
		}
		if (interrupted && *interrupted) {
			close(fd);
			return pp_err_set(e, PP_EXIT_FAIL, -EINTR, "lab \"%s\": interrupted while "
					  "waiting for its lock %s", lab, path);
		}
		if (waited >= timeout_ms) {
			close(fd);
			return pp_err_set(e, PP_EXIT_FAIL, -EBUSY,
					  "lab \"%s\" is busy: another podpath holds %s", lab, path);
		}
		usleep(10 * 1000);	/* a signal cuts it short */
		waited += 10;
	}
}

int lab_lock_holder(const char *lab, pid_t *pid, char *what, size_t len)
{
	char path[256], buf[64] = "";
	int fd, held = 0, p = 0;
	ssize_t n;

	*pid = 0;
	what[0] = '\0';
	if (lock_path(lab, path, sizeof(path)) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* Held only if it cannot be taken: a pid in a file proves nothing. */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
		goto out;
	}
	held = errno == EWOULDBLOCK;
	n = held ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
	if (n > 0) {
		char w[32];

		buf[n] = '\0';
		/* The holder may be gone while the lock is kept by another
		 * process: name it only while it is alive. */
		if (sscanf(buf, "%d %31s", &p, w) == 2 && p > 0 &&
		    (kill(p, 0) == 0 || errno == EPERM)) {
			*pid = p;
			snprintf(what, len, "%s", w);
		}
	}
out:
	close(fd);
	return held;
}

void lab_unlock(const char *lab, int fd, bool remove)
{
	char path[256];

	if (fd < 0)
		return;
	if (remove && lock_path(lab, path, sizeof(path)) == 0) {
		unlink(path);
		rmdir(LAB_RUN_DIR);	/* only if no other lab is left */
	}
	close(fd);
}

static json_t *pids_to_json(const struct lab *l)
{
	json_t *pods = json_array();

	for (size_t i = 0; i < l->topo.npods; i++) {
		const struct topo_pod *p = &l->topo.pods[i];
		json_t *c = json_object();

		for (size_t j = 0; j < p->ncontainers; j++)
			json_object_set_new(c, p->containers[j].name,
					    json_integer(l->pids ? l->pids[i][j] : 0));
		json_array_append_new(pods, json_pack("{s:s, s:s, s:o}", "namespace", p->ns,
						      "name", p->name, "containers", c));
	}
	return pods;
}

/* Internet hosts' programs: [{"name": ..., "pid": ...}]. */
static json_t *inet_pids_to_json(const struct lab *l)
{
	json_t *hosts = json_array();

	for (size_t i = 0; hosts && i < l->topo.inet.nhosts; i++)
		json_array_append_new(hosts, json_pack("{s:s, s:i}", "name",
						       l->topo.inet.hosts[i].name, "pid",
						       l->inet_pids ? (int)l->inet_pids[i] : 0));
	return hosts;
}

int lab_state_write(const struct lab *l, struct pp_err *e)
{
	char path[256], tmp[272];
	json_t *root = NULL;
	FILE *f;
	int ret = 0;

	if (lab_path(l->name, "state.json", path, sizeof(path)) < 0)
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "lab name too long");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	root = json_pack("{s:i, s:s, s:I, s:o, s:o, s:o}", "schema", 1, "lab", l->name,
			 "created", (json_int_t)l->created, "topology", topo_to_json(&l->topo),
			 "pods", pids_to_json(l), "internet", inet_pids_to_json(l));
	if (!root) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "cannot build lab state");
		goto out;
	}
	/* Write then rename: a reader never sees half a file. */
	errno = 0;
	f = lab_file_create(tmp, LAB_MODE_FILE);
	if (f && json_dumpf(root, f, JSON_COMPACT) < 0) {
		fclose(f);
		f = NULL;
		errno = errno ? errno : EIO;
	}
	if (!f || fclose(f) != 0 || rename(tmp, path) < 0) {
		ret = pp_err_set(e, PP_EXIT_ENV, -errno ? -errno : -EIO,
				 "cannot write %s: %s", path, strerror(errno ? errno : EIO));
		unlink(tmp);
	}
out:
	json_decref(root);
	return ret;
}

static int pids_from_json(struct lab *l, json_t *pods)
{
	l->pids = calloc(l->topo.npods ? l->topo.npods : 1, sizeof(*l->pids));
	if (!l->pids)
		return -ENOMEM;
	for (size_t i = 0; i < l->topo.npods; i++) {
		const struct topo_pod *p = &l->topo.pods[i];
		json_t *c = json_object_get(json_array_get(pods, i), "containers");

		l->pids[i] = calloc(p->ncontainers ? p->ncontainers : 1, sizeof(pid_t));
		if (!l->pids[i])
			return -ENOMEM;
		for (size_t j = 0; j < p->ncontainers; j++)
			l->pids[i][j] = (pid_t)json_integer_value(json_object_get(c, p->containers[j].name));
	}
	return 0;
}

static int inet_pids_from_json(struct lab *l, json_t *hosts)
{
	l->inet_pids = calloc(l->topo.inet.nhosts ? l->topo.inet.nhosts : 1,
			      sizeof(*l->inet_pids));
	if (!l->inet_pids)
		return -ENOMEM;
	for (size_t i = 0; i < l->topo.inet.nhosts; i++)
		l->inet_pids[i] = (pid_t)json_integer_value(json_object_get(json_array_get(hosts, i),
									    "pid"));
	return 0;
}

int lab_load(struct lab *l, const char *name, struct pp_err *e)
{
	char path[256], *topo_text = NULL;
	struct topo_error te;
	json_error_t je;
	json_t *root = NULL;
	int ret;

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	if (lab_path(name, "state.json", path, sizeof(path)) < 0)
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "lab name too long");
	root = json_load_file(path, 0, &je);
	if (!root) {
		if (access(path, F_OK) < 0) {
			pid_t holder;
			char what[32];

			/* State is written last: while a setup builds, its
			 * objects exist without it, and must be left alone. */
			if (lab_lock_holder(name, &holder, what, sizeof(what)) && holder > 0)
				ret = pp_err_set(e, PP_EXIT_FAIL, -EBUSY,
						 "lab \"%s\": %s in progress (pid %d); try again when "
						 "it has finished", name, what, (int)holder);
			else if (lab_lock_holder(name, &holder, what, sizeof(what)))
				/* Held, by a process that has not written (or
				 * no longer runs as) the pid in the file: still
				 * never the advice to tear the lab down. */
				ret = pp_err_set(e, PP_EXIT_FAIL, -EBUSY,
						 "lab \"%s\": setup or teardown in progress (its lock "
						 "%s/%s.lock is held); try again when it has finished",
						 name, LAB_RUN_DIR, name);
			else if (lab_exists(name))
				ret = pp_err_set(e, PP_EXIT_FAIL, -ENOENT,
						 "lab \"%s\" has objects but no state (a setup was "
						 "interrupted?): remove them with: %s --lab %s "
						 "teardown", name, pp_self(), name);
			else
				ret = pp_err_set(e, PP_EXIT_FAIL, -ENOENT,
						 "lab \"%s\" does not exist (set it up with: %s "
						 "--lab %s setup)", name, pp_self(), name);
		} else {
			ret = pp_err_set(e, PP_EXIT_FAIL, -EIO, "%s: line %d: %s", path,
					 je.line, je.text);
		}
		goto out;
	}
	l->created = json_integer_value(json_object_get(root, "created"));
	topo_text = json_dumps(json_object_get(root, "topology"), JSON_COMPACT);
	if (!topo_text || topo_from_json(&l->topo, topo_text, strlen(topo_text), &te) < 0 ||
	    topo_resolve(&l->topo, &te) < 0) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -EIO, "%s: damaged topology: %s: %s", path,
				 te.path, te.msg);
		goto out;
	}
	ret = lab_plan_make(&l->plan, name, &l->topo);
	if (ret == 0)
		ret = pids_from_json(l, json_object_get(root, "pods"));
	if (ret == 0)
		ret = inet_pids_from_json(l, json_object_get(root, "internet"));
	if (ret < 0)
		pp_err_set(e, PP_EXIT_FAIL, ret, "cannot load lab \"%s\": %s", name, strerror(-ret));
out:
	free(topo_text);
	json_decref(root);
	if (ret < 0)
		lab_free(l);
	return ret;
}

void lab_free(struct lab *l)
{
	if (l->pids)
		for (size_t i = 0; i < l->topo.npods; i++)
			free(l->pids[i]);
	free(l->pids);
	l->pids = NULL;
	free(l->inet_pids);
	l->inet_pids = NULL;
	lab_plan_free(&l->plan);
	topo_free(&l->topo);
}

int lab_resolv_conf_path(const struct lab *l, const char *ns, char *buf, size_t len)
{
	char file[TOPO_LABEL_MAX + 16];

	snprintf(file, sizeof(file), "resolv/%s.conf", ns);
	return lab_path(l->name, file, buf, len);
}

/* Nodes and internet hosts ask the internet's DNS, as instances ask their
 * cloud's resolver; without one they have no resolver at all. */
static int resolv_internet_write(const struct lab *l, struct pp_err *e)
{
	const struct topo_inet_host *dns = topo_inet_dns(&l->topo);
	char path[256], a[ADDR_STRLEN];
	FILE *f;

	lab_resolv_conf_path(l, LAB_RESOLV_INTERNET, path, sizeof(path));
	f = lab_file_create(path, LAB_MODE_FILE);
	if (!f)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot write %s: %s", path,
				  strerror(errno));
	if (dns)
		fprintf(f, "nameserver %s\n", addr_fmt(dns->ip, a));
	else
		fprintf(f, "# lab \"%s\" has no internet DNS\n", l->name);
	if (fclose(f) != 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot write %s", path);
	return 0;
}

int lab_resolv_write(const struct lab *l, struct pp_err *e)
{
	char dir[256], path[256], dns[ADDR_STRLEN];
	int ret = 0;

	if (lab_path(l->name, "resolv", dir, sizeof(dir)) < 0 ||
	    lab_dir_create(dir, LAB_MODE_DIR, true) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot create %s", dir);
	addr_fmt(topo_dns_ip(&l->topo), dns);	/* kube-dns's ClusterIP */
	for (size_t i = 0; i < l->topo.npods; i++) {
		const char *ns = l->topo.pods[i].ns;
		FILE *f;

		lab_resolv_conf_path(l, ns, path, sizeof(path));
		if (access(path, F_OK) == 0)
			continue;
		f = lab_file_create(path, LAB_MODE_FILE);
		if (!f)
			return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot write %s: %s", path,
					  strerror(errno));
		/* What kubelet writes for dnsPolicy ClusterFirst. */
		fprintf(f, "search %s.svc.%s svc.%s %s\nnameserver %s\noptions ndots:5\n",
			ns, l->topo.net.domain, l->topo.net.domain, l->topo.net.domain, dns);
		if (fclose(f) != 0)
			ret = pp_err_set(e, PP_EXIT_ENV, -errno, "cannot write %s", path);
	}
	return ret ? ret : resolv_internet_write(l, e);
}
