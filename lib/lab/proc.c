/* proc — container processes: start them inside a pod, find and stop them
 * by the network namespace they live in. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/internal.h"
#include "lab/responder.h"
#include "netns/netns.h"

/* Source fds are moved above this before being dup2()ed to 3, 4, ... in the
 * child, so no dup2 overwrites a source that is still to be copied. */
#define FD_PARK 200

static int port_socket(const struct topo_port *p)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(p->port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1, fd, parked, ret;

	fd = socket(AF_INET, (p->proto == TOPO_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (p->proto == TOPO_PROTO_TCP && listen(fd, 128) < 0)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	parked = fcntl(fd, F_DUPFD_CLOEXEC, FD_PARK);
	ret = parked < 0 ? -errno : parked;
	close(fd);
	return ret;
}

int lab_spawn(const char *path, char *const argv[], const int *fds, size_t nfds, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, deflt;
	int ret;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, 0, 1);
	posix_spawn_file_actions_adddup2(&fa, 0, 2);
	for (size_t i = 0; i < nfds; i++)
		posix_spawn_file_actions_adddup2(&fa, fds[i], 3 + (int)i);
	/* Nothing else of ours leaks in: not the lab lock, not netlink sockets,
	 * not the caller's pipes (a test's output would never close). */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3 + (int)nfds);
	sigemptyset(&none);
	sigfillset(&deflt);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	/* Its own session: the user's Ctrl-C in this terminal is not for it. */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	ret = posix_spawn(pid, path, &fa, &attr, argv, NULL);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return ret;
}

/* The responder with identity arguments `ident` (NULL-terminated), serving
 * ports; who names it in errors. */
static int responder_start(struct lab *l, char *const *ident, const struct topo_port *ports,
			   size_t nports, const char *who, pid_t *pid, struct pp_err *e)
{
	char listen[RESPONDER_MAX_PORTS][32], user[32];
	char *argv[18 + 2 * RESPONDER_MAX_PORTS];
	int fds[RESPONDER_MAX_PORTS] = { 0 };
	size_t nfds = 0, a = 0;
	int ret = 0;

	argv[a++] = "podpath-responder";
	argv[a++] = "--lab";
	argv[a++] = l->name;
	for (size_t i = 0; ident[i] && a < 14; i++)
		argv[a++] = ident[i];
	/* It needs no root: its sockets are bound here, ports below 1024 too. */
	snprintf(user, sizeof(user), "%u:%u", (unsigned)l->run_uid, (unsigned)l->run_gid);
	argv[a++] = "--user";
	argv[a++] = user;
	for (size_t i = 0; i < nports && i < RESPONDER_MAX_PORTS; i++) {
		int fd = port_socket(&ports[i]);

		if (fd < 0) {
			ret = pp_err_set(e, PP_EXIT_FAIL, fd, "%s: cannot listen on %u/%s: %s", who,
					 ports[i].port, topo_proto_name(ports[i].proto),
					 strerror(-fd));
			goto out;
		}
		fds[nfds] = fd;
		snprintf(listen[nfds], sizeof(listen[0]), "%zu:%s:%u", 3 + nfds,
			 topo_proto_name(ports[i].proto), ports[i].port);
		argv[a++] = "--listen";
		argv[a++] = listen[nfds];
		nfds++;
	}
	argv[a] = NULL;
	ret = lab_spawn(l->responder, argv, fds, nfds, pid);
	if (ret)
		ret = pp_err_set(e, PP_EXIT_ENV, -ret, "%s: cannot start: %s", who, strerror(ret));
out:
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	return ret;
}

static int spawn_responder(struct lab *l, size_t pod, size_t ci, pid_t *pid, struct pp_err *e)
{
	const struct topo_pod *p = &l->topo.pods[pod];
	const struct topo_container *c = &p->containers[ci];
	char podname[2 * TOPO_LABEL_MAX + 2], who[3 * TOPO_LABEL_MAX + 32];
	char *ident[] = { "--pod", podname, "--container", (char *)c->name, "--node",
			  (char *)l->topo.nodes[p->node].name, NULL };

	snprintf(podname, sizeof(podname), "%s/%s", p->ns, p->name);
	snprintf(who, sizeof(who), "pod \"%s\" container \"%s\"", podname, c->name);
	return responder_start(l, ident, c->ports, c->nports, who, pid, e);
}

/* Ready once it accepts on TCP port inside the pod (the calling thread is
 * there); a server that exits first failed, and its log says why. */
static int port_wait(pid_t pid, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	for (int i = 0; i < 600; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

		if (fd < 0)
			return -errno;
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -ECHILD;
		usleep(5000);
	}
	return -ETIMEDOUT;
}

const char *lab_program_find(const char *name, char *path, size_t len)
{
	snprintf(path, len, "/usr/sbin/%s", name);
	if (access(path, X_OK) == 0)
		return path;
	snprintf(path, len, "/usr/local/sbin/%s", name);
	return access(path, X_OK) == 0 ? path : NULL;
}

/* dnsmasq with configuration dns/CONF; who names it in errors. */
static int dnsmasq_start(struct lab *l, const char *conf_name, const char *log_name,
			 const char *who, pid_t *pid, struct pp_err *e)
{
	char conf[300], log[256], confarg[sizeof("--conf-file=") + sizeof(conf)];
	char *argv[] = { "dnsmasq", "--keep-in-foreground", confarg, NULL };
	char where[64];
	const char *path = lab_program_find("dnsmasq", where, sizeof(where));
	int ret;

	if (!path)
		return pp_err_set(e, PP_EXIT_ENV, -ENOENT, "%s: dnsmasq is not installed (Debian "
				  "package dnsmasq-base; make deps installs it)", who);
	if (lab_dns_path(l->name, conf_name, conf, sizeof(conf)) < 0 ||
	    lab_dns_path(l->name, log_name, log, sizeof(log)) < 0)
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "%s: the paths of lab \"%s\"'s "
				  "DNS files are too long", who, l->name);
	snprintf(confarg, sizeof(confarg), "--conf-file=%s", conf);
	ret = lab_spawn(path, argv, NULL, 0, pid);
	if (ret)
		return pp_err_set(e, PP_EXIT_ENV, -ret, "%s: cannot start dnsmasq: %s", who,
				  strerror(ret));
	ret = port_wait(*pid, TOPO_DNS_PORT);
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_FAIL, ret, "%s: dnsmasq %s (see %s)", who,
				  ret == -ECHILD ? "exited at once" : "does not answer on port 53", log);
	return 0;
}

static int spawn_dnsmasq(struct lab *l, size_t pod, size_t ci, pid_t *pid, struct pp_err *e)
{
	const struct topo_pod *p = &l->topo.pods[pod];
	char who[3 * TOPO_LABEL_MAX + 32];

	snprintf(who, sizeof(who), "pod \"%s/%s\" container \"%s\"", p->ns, p->name,
		 p->containers[ci].name);
	return dnsmasq_start(l, "dnsmasq.conf", "dnsmasq.log", who, pid, e);
}

/* nginx as the ingress controller, on the configuration setup rendered. */
static int spawn_nginx(struct lab *l, size_t pod, size_t ci, pid_t *pid, struct pp_err *e)
{
	const struct topo_pod *p = &l->topo.pods[pod];
	char conf[256], errlog[256], pidline[320], pidfile[256], name[2 * TOPO_LABEL_MAX + 32];
	char *argv[] = { "nginx", "-e", errlog, "-c", conf, "-g", pidline, NULL };
	char where[64];
	const char *path = lab_program_find("nginx", where, sizeof(where));
	int ret;

	if (!path)
		return pp_err_set(e, PP_EXIT_ENV, -ENOENT, "pod \"%s/%s\" container \"%s\": nginx is "
				  "not installed (Debian package nginx; make deps installs it)",
				  p->ns, p->name, p->containers[ci].name);
	lab_path(l->name, "ingress/nginx.conf", conf, sizeof(conf));
	lab_path(l->name, "ingress/error.log", errlog, sizeof(errlog));
	/* Each controller pod its own pid file: they share the configuration. */
	snprintf(name, sizeof(name), "ingress/%s_%s.pid", p->ns, p->name);
	lab_path(l->name, name, pidfile, sizeof(pidfile));
	snprintf(pidline, sizeof(pidline), "pid %s;", pidfile);
	ret = lab_spawn(path, argv, NULL, 0, pid);
	if (ret)
		return pp_err_set(e, PP_EXIT_ENV, -ret, "pod \"%s/%s\": cannot start nginx: %s",
				  p->ns, p->name, strerror(ret));
	ret = port_wait(*pid, TOPO_HTTP_PORT);
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_FAIL, ret, "pod \"%s/%s\": nginx %s (see %s)", p->ns,
				  p->name, ret == -ECHILD ? "exited at once" : "does not answer on "
				  "port 80", errlog);
	return 0;
}

int lab_host_spawn(struct lab *l, size_t h, struct pp_err *e)
{
	const struct topo_inet_host *host = &l->topo.inet.hosts[h];
	char who[TOPO_LABEL_MAX + 32];
	char *ident[] = { "--host", (char *)host->name, NULL };

	snprintf(who, sizeof(who), "internet host \"%s\"", host->name);
	switch (host->image) {
	case TOPO_IMAGE_RESPONDER:
		return responder_start(l, ident, host->ports, host->nports, who, &l->inet_pids[h], e);
	case TOPO_IMAGE_DNSMASQ:
		return dnsmasq_start(l, "internet.conf", "internet.log", who, &l->inet_pids[h], e);
	case TOPO_IMAGE_NONE:
	case TOPO_IMAGE_NGINX:	/* refused for hosts by the topology */
		break;
	}
	return 0;
}

int lab_responder_find(struct lab *l, struct pp_err *e)
{
	char self[sizeof(l->responder)];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct passwd *pw;
	char *slash;

	if (n < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot read /proc/self/exe: %s",
				  strerror(errno));
	/* readlink cuts a longer path short without saying so. */
	if ((size_t)n == sizeof(self) - 1)
		return pp_err_set(e, PP_EXIT_ENV, -ENAMETOOLONG, "the path of podpath itself is "
				  "longer than %zu bytes", sizeof(self) - 2);
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	/* Installed side by side (make install), or both in the build tree. */
	n = snprintf(l->responder, sizeof(l->responder), "%s/podpath-responder", self);
	if (n < 0 || (size_t)n >= sizeof(l->responder))
		return pp_err_set(e, PP_EXIT_ENV, -ENAMETOOLONG, "the container program's path "
				  "%s/podpath-responder is longer than %zu bytes", self,
				  sizeof(l->responder) - 1);
	if (access(l->responder, X_OK) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno,
				  "the container program %s is missing (build it with make, "
				  "or install both with make install)", l->responder);
	errno = 0;
	pw = getpwnam(LAB_RUN_USER);
	if (!pw || !pw->pw_uid)
		return pp_err_set(e, PP_EXIT_ENV, errno ? -errno : -ENOENT, "user \"%s\", whom "
				  "containers run as, %s", LAB_RUN_USER, errno ? strerror(errno) :
				  pw ? "is root" : "does not exist");
	l->run_uid = pw->pw_uid;
	l->run_gid = pw->pw_gid;
	return 0;
}

static int pidfd_open(pid_t pid);

int lab_container_spawn(struct lab *l, size_t pod, size_t ci, struct pp_err *e)
{
	enum topo_image im = l->topo.pods[pod].containers[ci].image;

	return (im == TOPO_IMAGE_DNSMASQ ? spawn_dnsmasq : im == TOPO_IMAGE_NGINX ? spawn_nginx
									 : spawn_responder)
		(l, pod, ci, &l->pids[pod][ci], e);
}

int lab_pod_spawn(struct lab *l, size_t pod, struct pp_err *e)
{
	const struct topo_pod *p = &l->topo.pods[pod];
	int ret = 0;

	for (size_t ci = 0; ci < p->ncontainers && ret == 0; ci++)
		ret = lab_container_spawn(l, pod, ci, e);
	return ret;
}

int lab_proc_kill(pid_t pid, const char *netns)
{
	char path[64];
	struct stat st;
	ino_t ino;
	int pfd, ret;

	ret = netns_inode(netns, &ino);
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	/* Only the lab's own process: a pid that was reused is left alone. */
	if (pid <= 0 || stat(path, &st) < 0 || st.st_ino != ino)
		return -ESRCH;
	pfd = pidfd_open(pid);
	if (pfd < 0)
		return -errno;
	if (syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) < 0) {
		ret = -errno;
	} else {
		struct pollfd p = { .fd = pfd, .events = POLLIN };

		/* Gone, not dying: its listening sockets are closed when this returns. */
		ret = poll(&p, 1, 5000) == 1 ? 0 : -ETIMEDOUT;
	}
	close(pfd);
	return ret;
}

static int ino_cmp(const void *a, const void *b)
{
	ino_t x = *(const ino_t *)a, y = *(const ino_t *)b;

	return x < y ? -1 : x > y;
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int lab_procs_kill(const ino_t *inodes, size_t n)
{
	ino_t *sorted = NULL;
	int *pidfds = NULL;
	size_t npid = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int killed = 0;

	if (!n)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, inodes, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), ino_cmp);
	/* Whatever a marker says, never the namespace podpath itself runs in
	 * (the host's): every process of the machine lives there. */
	{
		struct stat self;

		if (stat("/proc/self/ns/net", &self) == 0 &&
		    bsearch(&self.st_ino, sorted, n, sizeof(*sorted), ino_cmp)) {
			killed = -EPERM;
			goto out;
		}
	}
	d = opendir("/proc");
	if (!d) {
		killed = -errno;
		goto out;
	}
	while ((de = readdir(d))) {
		char path[64];
		struct stat st;
		pid_t pid;
		int pfd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = (pid_t)atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		if (pid == getpid() || stat(path, &st) < 0 ||
		    !bsearch(&st.st_ino, sorted, n, sizeof(*sorted), ino_cmp))
			continue;
		/* A pidfd makes the kill race-free against pid reuse and lets us
		 * wait for a process that is not our child. */
		pfd = pidfd_open(pid);
		if (pfd < 0)
			continue;
		if (syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) < 0) {
			close(pfd);
			continue;
		}
		killed++;
		if (npid == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			int *np = realloc(pidfds, ncap * sizeof(*np));

			if (!np) {
				close(pfd);
				continue;
			}
			pidfds = np;
			cap = ncap;
		}
		pidfds[npid++] = pfd;
	}
	/* A pidfd polls readable once its process has exited. */
	for (size_t i = 0; i < npid; i++) {
		struct pollfd p = { .fd = pidfds[i], .events = POLLIN };

		poll(&p, 1, 2000);
		close(pidfds[i]);
	}
out:
	if (d)
		closedir(d);
	free(pidfds);
	free(sorted);
	return killed;
}

/*
 * The spawner: container processes are started by a second thread while the
 * main one goes on building namespaces, so the two costs overlap on two
 * cores instead of adding up. The builder hands over pod indexes through a
 * pipe once a pod's namespace is pinned.
 */
/* A queued index with this bit is an internet host's, not a pod's. */
#define SPAWN_HOST ((size_t)1 << (sizeof(size_t) * 8 - 1))

struct lab_spawner {
	struct lab *l;
	pthread_t thread;
	int pipe[2];
	int ret;
	struct pp_err err;
};

static void *spawner_main(void *arg)
{
	struct lab_spawner *s = arg;
	int origin = netns_self_fd();
	const char *netns;
	size_t pod, host;

	if (origin < 0)
		s->ret = pp_err_set(&s->err, PP_EXIT_ENV, origin, "cannot open own namespace");
	for (;;) {
		ssize_t n = read(s->pipe[0], &pod, sizeof(pod));
		int fd;

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			break;	/* the builder is done */
		if (n != (ssize_t)sizeof(pod)) {
			s->ret = pp_err_set(&s->err, PP_EXIT_FAIL, n < 0 ? -errno : -EIO,
					    "container queue broken");
			break;
		}
		if (s->ret < 0)
			continue;	/* drain: the builder will roll back */
		host = pod & SPAWN_HOST;
		pod &= ~SPAWN_HOST;
		netns = host ? s->l->plan.hosts[pod].netns : s->l->plan.pods[pod].netns;
		fd = netns_open(netns);
		if (fd < 0 || netns_enter(fd) < 0) {
			s->ret = pp_err_set(&s->err, PP_EXIT_FAIL, fd < 0 ? fd : -errno,
					    "cannot enter %s to start its containers", netns);
		} else {
			s->ret = host ? lab_host_spawn(s->l, pod, &s->err)
				      : lab_pod_spawn(s->l, pod, &s->err);
			netns_enter(origin);
		}
		if (fd >= 0)
			close(fd);
	}
	if (origin >= 0)
		close(origin);
	return NULL;
}

int lab_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int ret;

	/* Signals are the builder's: Ctrl-C rolls setup back there. Blocked
	 * before the thread exists, so none lands on it even at its start. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int lab_spawner_start(struct lab *l, struct lab_spawner **out, struct pp_err *e)
{
	struct lab_spawner *s = calloc(1, sizeof(*s));
	int ret;

	*out = NULL;
	if (!s)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	s->l = l;
	if (pipe2(s->pipe, O_CLOEXEC) < 0) {
		ret = pp_err_set(e, PP_EXIT_ENV, -errno, "pipe: %s", strerror(errno));
		free(s);
		return ret;
	}
	ret = lab_thread_start(&s->thread, spawner_main, s);
	if (ret) {
		close(s->pipe[0]);
		close(s->pipe[1]);
		free(s);
		return pp_err_set(e, PP_EXIT_ENV, -ret, "cannot start thread: %s", strerror(ret));
	}
	*out = s;
	return 0;
}

int lab_spawner_push(struct lab_spawner *s, size_t pod)
{
	return write(s->pipe[1], &pod, sizeof(pod)) == (ssize_t)sizeof(pod) ? 0 : -errno;
}

int lab_spawner_push_host(struct lab_spawner *s, size_t h)
{
	return lab_spawner_push(s, h | SPAWN_HOST);
}

int lab_spawner_finish(struct lab_spawner *s, struct pp_err *e)
{
	int ret;

	if (!s)
		return 0;
	close(s->pipe[1]);
	pthread_join(s->thread, NULL);
	close(s->pipe[0]);
	ret = s->ret;
	if (ret < 0 && e)
		*e = s->err;
	free(s);
	return ret;
}
