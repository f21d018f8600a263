/* lab/bgp — start, stop, reload and wait for the lab's BIRD daemons. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

#include "lab/bgp.h"
#include "lab/internal.h"
#include "netns/netns.h"
#include "nl/nl.h"

bool lab_bgp_mode(const struct lab *l)
{
	return l->topo.net.mode == TOPO_MODE_BGP;
}

size_t lab_bgp_nspeakers(const struct lab *l)
{
	if (!lab_bgp_mode(l))
		return 0;
	return l->topo.nnodes + (bgp_uses_rr(&l->topo) ? 1 : 0);
}

size_t lab_bgp_speaker(const struct lab *l, size_t i)
{
	return i < l->topo.nnodes ? i : BGP_SPEAKER_RR;
}

const char *lab_bgp_speaker_label(const struct lab *l, size_t s)
{
	return s == BGP_SPEAKER_RR ? "the route reflector" : l->topo.nodes[s].name;
}

const char *lab_bgp_netns(const struct lab *l, size_t s)
{
	return s == BGP_SPEAKER_RR ? l->plan.vpc_netns : l->plan.nodes[s].netns;
}

int lab_bgp_file(const struct lab *l, size_t s, const char *ext, char *buf, size_t len)
{
	char name[TOPO_LABEL_MAX + 16];

	snprintf(name, sizeof(name), "bgp/%s.%s",
		 s == BGP_SPEAKER_RR ? LAB_BGP_RR_NAME : l->topo.nodes[s].name, ext);
	if (lab_path(l->name, name, buf, len) < 0)
		return -ENAMETOOLONG;
	/* A control socket's path must fit sockaddr_un. */
	if (!strcmp(ext, "ctl") && strlen(buf) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static int path_err(const struct lab *l, size_t s, struct pp_err *e)
{
	if (s == BGP_SPEAKER_RR)
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "lab \"%s\": the path of the "
				  "route reflector's BIRD control socket is longer than a socket "
				  "path may be (107 bytes): use a shorter lab name", l->name);
	return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "lab \"%s\", node \"%s\": the path of "
			  "its BIRD control socket is longer than a socket path may be (107 "
			  "bytes): use a shorter lab or node name", l->name, l->topo.nodes[s].name);
}

int lab_bgp_paths_check(const struct lab *l, struct pp_err *e)
{
	char ctl[300];

	for (size_t i = 0; i < lab_bgp_nspeakers(l); i++) {
		size_t s = lab_bgp_speaker(l, i);

		if (lab_bgp_file(l, s, "ctl", ctl, sizeof(ctl)) < 0)
			return path_err(l, s, e);
	}
	return 0;
}

int lab_bgp_conf_write(const struct lab *l, size_t s, const struct bgp_fault *f,
		       struct pp_err *e)
{
	char dir[256], conf[300], tmp[310], log[300];
	FILE *out;
	int ret;

	if (lab_path(l->name, "bgp", dir, sizeof(dir)) < 0 ||
	    lab_bgp_file(l, s, "conf", conf, sizeof(conf)) < 0 ||
	    lab_bgp_file(l, s, "log", log, sizeof(log)) < 0 ||
	    lab_bgp_file(l, s, "ctl", tmp, sizeof(tmp)) < 0)
		return path_err(l, s, e);
	if (lab_dir_create(dir, LAB_MODE_DIR, true) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot create %s: %s", dir,
				  strerror(errno));
	/* Written aside and renamed: a BIRD reloading it never reads half. */
	snprintf(tmp, sizeof(tmp), "%s.new", conf);
	out = lab_file_create(tmp, LAB_MODE_FILE);
	if (!out)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot write %s: %s", tmp,
				  strerror(errno));
	ret = bgp_conf_write(out, &l->topo, s, f, log);
	if (fclose(out) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, conf) < 0)
		ret = -errno;
	if (ret < 0) {
		unlink(tmp);
		return pp_err_set(e, PP_EXIT_ENV, ret, "cannot write %s: %s", conf, strerror(-ret));
	}
	return 0;
}

/* Does the control socket accept a connection? */
static bool ctl_listening(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* Non-blocking: a listener whose backlog is full must not stall us. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	size_t n = strlen(path);
	bool ok;

	if (fd < 0)
		return false;
	if (n >= sizeof(sa.sun_path)) {
		close(fd);
		return false;
	}
	memcpy(sa.sun_path, path, n + 1);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

int lab_bgp_start(const struct lab *l, size_t s, struct pp_err *e)
{
	char conf[300], ctl[300], pidf[300], log[300], where[64];
	char *argv[] = { "bird", "-f", "-c", conf, "-s", ctl, "-P", pidf, NULL };
	const char *who = lab_bgp_speaker_label(l, s), *path;
	int origin, fd, ret;
	pid_t pid = 0;

	path = lab_program_find("bird", where, sizeof(where));
	if (!path)
		return pp_err_set(e, PP_EXIT_ENV, -ENOENT, "%s: BIRD is not installed (Debian "
				  "package bird2; make deps installs it)", who);
	if (lab_bgp_file(l, s, "conf", conf, sizeof(conf)) < 0 ||
	    lab_bgp_file(l, s, "ctl", ctl, sizeof(ctl)) < 0 ||
	    lab_bgp_file(l, s, "pid", pidf, sizeof(pidf)) < 0 ||
	    lab_bgp_file(l, s, "log", log, sizeof(log)) < 0)
		return path_err(l, s, e);
	origin = netns_self_fd();
	if (origin < 0)
		return pp_err_set(e, PP_EXIT_ENV, origin, "cannot open own namespace");
	fd = netns_open(lab_bgp_netns(l, s));
	ret = fd < 0 ? fd : netns_enter(fd);
	if (ret == 0) {
		/* -f: BIRD stays our child's process, in this namespace. */
		ret = -lab_spawn(path, argv, NULL, 0, &pid);
		netns_enter(origin);
	}
	if (fd >= 0)
		close(fd);
	close(origin);
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_ENV, ret, "%s: cannot start BIRD in %s: %s", who,
				  lab_bgp_netns(l, s), strerror(-ret));
	/* Ready once its control socket answers; BIRD that exits first
	 * refused its configuration, and its log (or stderr) says why. */
	for (int i = 0; i < 1000; i++) {
		int status;

		if (ctl_listening(ctl))
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return pp_err_set(e, PP_EXIT_FAIL, -ECHILD, "%s: BIRD exited at once "
					  "(check its configuration with: bird -p -c %s)", who, conf);
		usleep(5000);
	}
	/* Not left running unanswered: the caller will say it failed. */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return pp_err_set(e, PP_EXIT_FAIL, -ETIMEDOUT, "%s: BIRD does not answer on %s after "
			  "5 s, so it was stopped again (see %s)", who, ctl, log);
}

int lab_bgp_ctl_open(const struct lab *l, size_t s, struct bgp_ctl **c)
{
	char ctl[300];

	*c = NULL;
	if (lab_bgp_file(l, s, "ctl", ctl, sizeof(ctl)) < 0)
		return -ENAMETOOLONG;
	return bgp_ctl_open(ctl, 3000, c);
}

pid_t lab_bgp_pid(const struct lab *l, size_t s)
{
	char pidf[300], path[64], comm[32] = "";
	struct stat st;
	ino_t ino;
	long pid = 0;
	FILE *f;

	if (lab_bgp_file(l, s, "pid", pidf, sizeof(pidf)) < 0 || !(f = fopen(pidf, "re")))
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0 || netns_inode(lab_bgp_netns(l, s), &ino) < 0)
		return 0;
	/* Only BIRD in the speaker's namespace: a reused pid is someone else. */
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
	if (stat(path, &st) < 0 || st.st_ino != ino)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	return strncmp(comm, "bird", 4) == 0 && (comm[4] == '\n' || comm[4] == '\0') ?
	       (pid_t)pid : 0;
}

int lab_bgp_stop(const struct lab *l, size_t s, struct pp_err *e)
{
	const char *who = lab_bgp_speaker_label(l, s);
	pid_t pid = lab_bgp_pid(l, s);
	struct bgp_ctl *c = NULL;
	int ret;

	ret = lab_bgp_ctl_open(l, s, &c);
	if (ret == 0) {
		ret = bgp_ctl_down(c);
		bgp_ctl_close(c);
	}
	if (ret < 0 && !pid)
		return pp_err_set(e, PP_EXIT_FAIL, ret, "%s: BIRD is not running (%s)", who,
				  strerror(-ret));
	/* Wait until it is gone (its sessions are closed by then); a BIRD that
	 * will not go down is killed. */
	for (int i = 0; pid && i < 1000; i++) {
		/* Our own child (started by this process) must be reaped. */
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return 0;
		/* Gone, or a zombie nobody reaped yet (it has no namespace any
		 * more, so lab_bgp_pid no longer names it): stopped either way. */
		if ((kill(pid, 0) < 0 && errno == ESRCH) || lab_bgp_pid(l, s) != pid)
			return 0;
		usleep(5000);
	}
	if (pid) {
		ret = lab_proc_kill(pid, lab_bgp_netns(l, s));
		if (ret < 0 && ret != -ESRCH)
			return pp_err_set(e, PP_EXIT_FAIL, -ETIMEDOUT, "%s: BIRD (pid %d) does not "
					  "stop", who, (int)pid);
	}
	return 0;
}

int lab_bgp_reload(const struct lab *l, size_t s, struct pp_err *e)
{
	const char *who = lab_bgp_speaker_label(l, s);
	struct bgp_ctl *c = NULL;
	char msg[256] = "";
	int ret;

	ret = lab_bgp_ctl_open(l, s, &c);
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_FAIL, ret, "%s: cannot reach BIRD's control socket: %s",
				  who, strerror(-ret));
	ret = bgp_ctl_configure(c, msg, sizeof(msg));
	bgp_ctl_close(c);
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_FAIL, ret, "%s: BIRD refused its new configuration: %s",
				  who, *msg ? msg : strerror(-ret));
	return 0;
}

/* ---- sessions and routes, as BIRD tells them ---- */

static void peer_fill(const struct lab *l, size_t s, const struct bgp_session *b,
		      struct lab_bgp_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->bird = *b;
	p->established = !strcmp(b->bgp_state, "Established");
	if (bgp_proto_peer(&l->topo, s, b->proto, &p->peer) < 0)
		p->peer = LAB_BGP_NO_PEER;
	else
		p->wrong_address = b->neighbor != bgp_speaker_addr(&l->topo, p->peer);
}

int lab_bgp_peers(const struct lab *l, size_t s, struct lab_bgp_peer **out, size_t *n)
{
	struct bgp_session *v = NULL;
	struct bgp_ctl *c = NULL;
	size_t nv = 0;
	int ret;

	*out = NULL;
	*n = 0;
	ret = lab_bgp_ctl_open(l, s, &c);
	if (ret == 0)
		ret = bgp_sessions(c, &v, &nv);
	bgp_ctl_close(c);
	if (ret < 0)
		return ret;
	*out = calloc(nv ? nv : 1, sizeof(**out));
	if (!*out) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nv; i++)
		peer_fill(l, s, &v[i], &(*out)[i]);
	*n = nv;
	free(v);
	return 0;
}

/* "Socket: Connection refused" -> "connection refused": BIRD's Info says
 * what failed last; the sentence needs only the reason, in lower case. */
static void info_reason(const char *info, char *buf, size_t len)
{
	const char *colon = strrchr(info, ':');
	const char *s = colon ? colon + 1 : info;
	size_t i = 0;

	while (*s == ' ')
		s++;
	for (; *s && i + 1 < len; s++, i++)
		buf[i] = (char)(i == 0 && *s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
	buf[i] = '\0';
}

void lab_bgp_session_words(const struct lab *l, const struct lab_bgp_peer *p, char *buf,
			   size_t len)
{
	char why[128] = "", a[ADDR_STRLEN], b[ADDR_STRLEN], addr[160] = "";
	const char *state = *p->bird.bgp_state ? p->bird.bgp_state : p->bird.state;

	if (p->established) {
		snprintf(buf, len, "established");
		return;
	}
	info_reason(*p->bird.info ? p->bird.info : p->bird.last_error, why, sizeof(why));
	if (p->wrong_address && p->peer != LAB_BGP_NO_PEER)
		snprintf(addr, sizeof(addr), "; its neighbor address is %s, not %s's %s",
			 addr_fmt(p->bird.neighbor, a), lab_bgp_speaker_label(l, p->peer),
			 addr_fmt(bgp_speaker_addr(&l->topo, p->peer), b));
	snprintf(buf, len, "down (%s%s%s%s)", state, *why ? ", " : "", why, addr);
}

/* The node whose address a BGP next hop is. */
static size_t node_by_addr(const struct topo *t, uint32_t a)
{
	for (size_t k = 0; a && k < t->nnodes; k++)
		if (t->nodes[k].ip == a)
			return k;
	return LAB_BGP_NO_PEER;
}

int lab_bgp_origin(const struct lab *l, size_t node, uint32_t dst, struct lab_bgp_origin *o)
{
	struct bgp_session *sv = NULL;
	struct bgp_route *rv = NULL;
	struct bgp_ctl *c = NULL;
	size_t nr = 0, ns = 0, best = 0;
	char args[32], a[ADDR_STRLEN];
	int ret;

	memset(o, 0, sizeof(*o));
	o->learned_from = o->announced_by = LAB_BGP_NO_PEER;
	snprintf(args, sizeof(args), "for %s", addr_fmt(dst, a));
	ret = lab_bgp_ctl_open(l, node, &c);
	if (ret == 0)
		ret = bgp_routes(c, args, &rv, &nr);
	if (ret == 0 && nr == 0)
		ret = -ENOENT;
	if (ret == 0)
		ret = bgp_sessions(c, &sv, &ns);
	bgp_ctl_close(c);
	if (ret < 0)
		goto out;
	best = nr;
	for (size_t i = 0; i < nr; i++)
		if (rv[i].best) {
			best = i;
			break;
		}
	/* No route BIRD marks best is none the kernel got from it. */
	if (best == nr) {
		ret = -ENOENT;
		goto out;
	}
	o->route = rv[best];
	o->announced_by = node_by_addr(&l->topo, o->route.bgp_next_hop ? o->route.bgp_next_hop
								     : o->route.gateway);
	for (size_t i = 0; i < ns; i++) {
		if (strcmp(sv[i].proto, o->route.proto))
			continue;
		peer_fill(l, node, &sv[i], &o->session);
		o->have_session = true;
		o->learned_from = o->session.peer;
	}
out:
	free(rv);
	free(sv);
	return ret;
}

/* ---- convergence ---- */

struct node_routes {
	const struct lab *l;
	size_t node;
	size_t have;		/* peers' pod CIDRs routed via the peer, proto bird */
	size_t missing;		/* the first peer whose route is missing, or nnodes */
};

struct main_routes {
	struct nl_route_obs *v;
	size_t n;
};

static int main_routes_cb(void *arg)
{
	struct main_routes *q = arg;
	struct nl *nl = nl_open();
	size_t k = 0;
	int ret;

	if (!nl)
		return -ENOMEM;
	ret = nl_routes_dump(nl, &q->v, &q->n);
	nl_close(nl);
	for (size_t i = 0; ret == 0 && i < q->n; i++)
		if (q->v[i].table == RT_TABLE_MAIN)
			q->v[k++] = q->v[i];
	q->n = k;
	return ret;
}

int lab_bgp_main_routes(const char *netns, struct nl_route_obs **v, size_t *n)
{
	struct main_routes q = { 0 };
	int ret = netns_run(netns, main_routes_cb, &q);

	if (ret < 0) {
		free(q.v);
		q.v = NULL;
		q.n = 0;
	}
	*v = q.v;
	*n = q.n;
	return ret;
}

static int node_routes_scan(struct node_routes *q)
{
	const struct topo *t = &q->l->topo;
	struct nl_route_obs *v = NULL;
	size_t n = 0;
	int ret;

	ret = lab_bgp_main_routes(q->l->plan.nodes[q->node].netns, &v, &n);
	if (ret < 0)
		return ret;
	q->have = 0;
	q->missing = t->nnodes;
	for (size_t k = 0; k < t->nnodes; k++) {
		const struct topo_node *p = &t->nodes[k];
		bool found = false;

		if (k == q->node)
			continue;
		for (size_t i = 0; i < n && !found; i++)
			found = v[i].proto == BGP_RTPROT_BIRD &&
				v[i].dst == p->pod_cidr.addr && v[i].plen == p->pod_cidr.len &&
				v[i].gw == p->ip;
		if (found)
			q->have++;
		else if (q->missing == t->nnodes)
			q->missing = k;
	}
	free(v);
	return 0;
}

int lab_bgp_routes_present(const struct lab *l, size_t *have, size_t *want)
{
	size_t nn = l->topo.nnodes;

	*have = 0;
	*want = nn > 1 ? nn * (nn - 1) : 0;
	for (size_t i = 0; i < nn; i++) {
		struct node_routes q = { .l = l, .node = i };
		int ret = node_routes_scan(&q);

		if (ret < 0)
			return ret;
		*have += q.have;
	}
	return 0;
}

long lab_bgp_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The session of node i that should have brought node k's route. */
static void session_why(const struct lab *l, size_t i, size_t k, char *buf, size_t len)
{
	const struct topo *t = &l->topo;
	size_t peer = bgp_uses_rr(t) ? BGP_SPEAKER_RR : k;
	struct bgp_session *v = NULL;
	struct bgp_ctl *c = NULL;
	char name[48];
	size_t n = 0;
	int ret;

	bgp_proto_name(t, i, peer, name, sizeof(name));
	ret = lab_bgp_ctl_open(l, i, &c);
	if (ret == 0)
		ret = bgp_sessions(c, &v, &n);
	bgp_ctl_close(c);
	snprintf(buf, len, "%s's BIRD cannot be asked: %s", t->nodes[i].name, strerror(-ret));
	for (size_t j = 0; ret == 0 && j < n; j++)
		if (!strcmp(v[j].proto, name))
			snprintf(buf, len, "its session %s with %s is %s%s%s", name,
				 lab_bgp_speaker_label(l, peer), v[j].bgp_state,
				 *v[j].info ? ": " : "", v[j].info);
	free(v);
}

/* Ask every speaker something harmless. BIRD 2.0 can leave the export of a
 * just-established session queued until its next timer fires (a keepalive,
 * up to a second later) when nothing else wakes its loop: measured here, an
 * idle pair of BIRDs installs the routes ~0.8 s after the session comes up,
 * a pair asked a CLI command meanwhile at once. Best effort: a speaker that
 * does not answer is left to its timers. */
static void bgp_wake(const struct lab *l)
{
	for (size_t i = 0; i < lab_bgp_nspeakers(l); i++) {
		struct bgp_reply r;
		struct bgp_ctl *c;

		char ctl[300];

		/* A short wait: this only hurries BIRD, and a hung one must not
		 * stretch setup's bounded wait. */
		if (lab_bgp_file(l, lab_bgp_speaker(l, i), "ctl", ctl, sizeof(ctl)) < 0 ||
		    bgp_ctl_open(ctl, 200, &c) < 0)
			continue;
		if (bgp_ctl_cmd(c, "show status", &r) == 0)
			bgp_reply_free(&r);
		bgp_ctl_close(c);
	}
}

int lab_bgp_converge(const struct lab *l, long since_ms, int timeout_ms, long *elapsed_ms,
		     struct pp_err *e)
{
	return lab_bgp_converge_until(l, since_ms, timeout_ms, elapsed_ms, NULL, e);
}

int lab_bgp_converge_until(const struct lab *l, long since_ms, int timeout_ms, long *elapsed_ms,
			   volatile sig_atomic_t *interrupted, struct pp_err *e)
{
	const struct topo *t = &l->topo;
	long start = lab_bgp_clock_ms(), woken = 0;
	bool done = false;

	if (!since_ms)
		since_ms = start;
	*elapsed_ms = 0;
	while (!done) {
		size_t miss_node = t->nnodes, miss_peer = t->nnodes;

		done = true;
		for (size_t i = 0; i < t->nnodes; i++) {
			struct node_routes q = { .l = l, .node = i };
			int ret = node_routes_scan(&q);

			if (ret < 0)
				return pp_err_set(e, PP_EXIT_FAIL, ret, "node \"%s\": cannot read its "
						  "routes: %s", t->nodes[i].name, strerror(-ret));
			if (q.missing < t->nnodes) {
				done = false;
				miss_node = i;
				miss_peer = q.missing;
				break;
			}
		}
		*elapsed_ms = lab_bgp_clock_ms() - since_ms;
		if (done)
			break;
		if (interrupted && *interrupted)
			return pp_err_set(e, PP_EXIT_FAIL, -EINTR, "lab \"%s\": interrupted while "
					  "waiting for BGP to converge", l->name);
		if (lab_bgp_clock_ms() - start > timeout_ms) {
			char why[512], cidr[CIDR_STRLEN];

			session_why(l, miss_node, miss_peer, why, sizeof(why));
			return pp_err_set(e, PP_EXIT_FAIL, -ETIMEDOUT, "BGP did not converge in %d s: "
					  "node \"%s\" has no route to %s (node \"%s\") proto bird; %s",
					  timeout_ms / 1000, t->nodes[miss_node].name,
					  cidr_fmt(&t->nodes[miss_peer].pod_cidr, cidr),
					  t->nodes[miss_peer].name, why);
		}
		/* Every 50 ms: often enough to cost little latency, rarely
		 * enough that a lab of many BIRDs is not kept busy answering. */
		if (lab_bgp_clock_ms() - woken >= 50) {
			bgp_wake(l);
			woken = lab_bgp_clock_ms();
		}
		usleep(10000);
	}
	return 0;
}
