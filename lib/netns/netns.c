/* netns — iproute2-compatible network namespaces; see netns.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "netns/netns.h"

static int netns_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", NETNS_RUN_DIR, name);

	if (n < 0 || (size_t)n >= len || strchr(name, '/') || !*name)
		return -EINVAL;
	return 0;
}

int netns_run_dir_prepare(void)
{
	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	/* Shared, so a namespace pinned here also appears in mount namespaces
	 * made later (ip netns exec makes one per command); if the directory
	 * is not a mount point yet, bind it onto itself first. */
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

int netns_unshare(void)
{
	return unshare(CLONE_NEWNET) < 0 ? -errno : 0;
}

int netns_self_fd(void)
{
	/* thread-self, not self: podpath may move one thread at a time. */
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int netns_pin(const char *name)
{
	char path[PATH_MAX];
	int fd, ret;

	ret = netns_path(name, path, sizeof(path));
	if (ret < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0) {
		ret = -errno;
		unlink(path);
		return ret;
	}
	return 0;
}

int netns_open(const char *name)
{
	char path[PATH_MAX];
	int fd, ret;

	/* An absolute path (/proc/PID/ns/net) names a namespace nobody pinned. */
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else if ((ret = netns_path(name, path, sizeof(path))) < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

int netns_remove(const char *name)
{
	char path[PATH_MAX];
	int ret;

	ret = netns_path(name, path, sizeof(path));
	if (ret < 0)
		return ret;
	/* Lazy: processes that still hold the namespace keep it alive, the
	 * name goes away now (as ip netns delete). */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0)
		return -errno;
	return 0;
}

bool netns_is_pinned(const char *name)
{
	char path[PATH_MAX];
	struct statfs sfs;
	struct stat st;

	if (netns_path(name, path, sizeof(path)) < 0)
		return false;
	/* A symlink is not a pin: it could point anywhere, /proc/1/ns/net too. */
	if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode))
		return false;
	return statfs(path, &sfs) == 0 && sfs.f_type == NSFS_MAGIC;
}

int netns_inode(const char *name, ino_t *ino)
{
	char path[PATH_MAX];
	struct stat st;
	int ret;

	ret = netns_path(name, path, sizeof(path));
	if (ret < 0)
		return ret;
	if (stat(path, &st) < 0)
		return -errno;
	*ino = st.st_ino;
	return 0;
}

int netns_host_stat(struct stat *st)
{
	char comm[32] = "";
	int err;
	FILE *f;

	if (stat("/proc/1/ns/net", st) == 0)
		return 0;
	err = -errno;
	f = fopen("/proc/2/comm", "re");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	if (!strcmp(comm, "kthreadd\n") && stat("/proc/2/ns/net", st) == 0)
		return 0;
	return err;
}

int netns_for_each(const char *prefix, int (*fn)(const char *name, void *arg), void *arg)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	d = opendir(NETNS_RUN_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, plen))
			continue;
		ret = fn(de->d_name, arg);
		if (ret)
			break;
	}
	closedir(d);
	return ret;
}

int netns_sysctl_set(const char *key, const char *val)
{
	char path[PATH_MAX];
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "/proc/sys/%s", key) >= sizeof(path))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : 0;
}

int netns_sysctl_get(const char *key, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (len < 2 || (size_t)snprintf(path, sizeof(path), "/proc/sys/%s", key) >= sizeof(path))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	/* One value per line: the value, without its newline. */
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int netns_run(const char *name, int (*fn)(void *arg), void *arg)
{
	int origin, fd, ret;

	origin = netns_self_fd();
	if (origin < 0)
		return origin;
	fd = netns_open(name);
	if (fd < 0) {
		close(origin);
		return fd;
	}
	ret = netns_enter(fd);
	close(fd);
	if (ret == 0) {
		ret = fn(arg);
		/* Not getting back would leave everything after running in the
		 * wrong namespace: that outranks fn's own result. */
		if (netns_enter(origin) < 0)
			ret = -errno;
	}
	close(origin);
	return ret;
}

struct socket_args {
	int domain, type, protocol, fd;
};

static int socket_here(void *arg)
{
	struct socket_args *a = arg;

	a->fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->protocol);
	return a->fd < 0 ? -errno : 0;
}

int netns_socket(const char *name, int domain, int type, int protocol)
{
	struct socket_args a = { domain, type, protocol, -1 };
	int ret;

	/* A socket belongs to the namespace it was made in, wherever it is used. */
	ret = netns_run(name, socket_here, &a);
	if (ret < 0 && a.fd >= 0)
		close(a.fd);	/* made, but the way back failed */
	return ret < 0 ? ret : a.fd;
}
