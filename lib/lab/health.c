/* health — is a container running, and does it answer? Checked from inside
 * its pod, the way a kubelet probe reaches a container's port. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/lab.h"
#include "netns/netns.h"

#define PROBE_TIMEOUT_MS 500

static bool wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, PROBE_TIMEOUT_MS) == 1 && (p.revents & events);
}

/* A DNS query over UDP: id 0x7064, recursion desired, one question for
 * kubernetes.default's A record (any answer, even NXDOMAIN, is health). */
static const char dns_query[] =
	"\x70\x64\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	"\x0a" "kubernetes" "\x07" "default" "\x00\x00\x01\x00\x01";

/* TCP: connect to 127.0.0.1:port and expect an HTTP 200 or an identity line.
 * UDP: send a datagram and expect a reply. dnsmasq: a DNS answer to our id. */
static bool probe(const char *netns, enum topo_image image, const struct topo_port *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port->port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bool dns = image == TOPO_IMAGE_DNSMASQ;
	bool udp = dns || port->proto == TOPO_PROTO_UDP;
	const char *req = dns ? dns_query : udp ? "health\n" : "GET /healthz HTTP/1.0\r\n\r\n";
	size_t reqlen = dns ? sizeof(dns_query) - 1 : strlen(req);
	char buf[256];
	ssize_t n;
	bool ok = false;
	int fd;

	fd = netns_socket(netns, AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
		goto out;
	if (!wait_fd(fd, POLLOUT) || send(fd, req, reqlen, MSG_NOSIGNAL) < 0)
		goto out;
	if (!wait_fd(fd, POLLIN))
		goto out;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0 && dns) {
		ok = n >= 12 && !memcmp(buf, dns_query, 2) && (buf[2] & 0x80);	/* QR: a response */
	} else if (n > 0) {
		buf[n] = '\0';
		/* nginx's default backend answers 404: an answer is health. */
		ok = !strncmp(buf, "HTTP/1.1 200", 12) || !strncmp(buf, "pod=", 4) ||
		     !strncmp(buf, "internet-host=", 14) ||
		     (image == TOPO_IMAGE_NGINX && !strncmp(buf, "HTTP/1.1 ", 9));
	}
out:
	close(fd);
	return ok;
}

/* Whether pid runs the image's program: argv[0] as it shows itself (the
 * responder names its thread after its container, so comm cannot tell;
 * nginx rewrites argv[0] to "nginx: master process ..."). The one check of
 * identity left when the namespace it ran in is no longer pinned. */
static bool runs_image(pid_t pid, enum topo_image image)
{
	static const char *const prog[] = {
		[TOPO_IMAGE_RESPONDER] = "podpath-responder",
		[TOPO_IMAGE_DNSMASQ] = "dnsmasq",
		[TOPO_IMAGE_NGINX] = "nginx",
	};
	char path[64], buf[256];
	const char *base;
	ssize_t n;
	int fd;

	if ((size_t)image >= sizeof(prog) / sizeof(prog[0]) || !prog[image])
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, ": ")] = '\0';
	base = strrchr(buf, '/');
	return !strcmp(base ? base + 1 : buf, prog[image]);
}

enum lab_health lab_process_state(const char *netns, pid_t pid, enum topo_image image)
{
	char path[64];
	struct stat st, self;
	ino_t ino;

	if (pid <= 0 || kill(pid, 0) < 0)
		return LAB_HEALTH_DOWN;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (stat(path, &st) < 0)
		return LAB_HEALTH_DOWN;
	/* `ip netns del` unpins the namespace but the process runs on in it:
	 * not down, and nothing to compare its namespace with. A pid reused
	 * by a process in our namespace, or by another program, is not it. */
	if (netns_inode(netns, &ino) < 0)
		return stat("/proc/thread-self/ns/net", &self) == 0 && self.st_ino != st.st_ino &&
		       runs_image(pid, image) ? LAB_HEALTH_NO_NETNS : LAB_HEALTH_DOWN;
	return st.st_ino == ino ? LAB_HEALTH_OK : LAB_HEALTH_DOWN;
}

/* pid is alive, still in netns (not a reused pid), and answers on its
 * first port. */
static enum lab_health process_health(const char *netns, pid_t pid, enum topo_image image,
				      const struct topo_port *ports, size_t nports)
{
	enum lab_health h = lab_process_state(netns, pid, image);

	if (h != LAB_HEALTH_OK)
		return h;
	if (nports && !probe(netns, image, &ports[0]))
		return LAB_HEALTH_UNRESPONSIVE;
	return LAB_HEALTH_OK;
}

enum lab_health lab_container_health(const struct lab *l, size_t pod, size_t container)
{
	const struct topo_container *c = &l->topo.pods[pod].containers[container];

	return process_health(l->plan.pods[pod].netns, l->pids ? l->pids[pod][container] : 0,
			      c->image, c->ports, c->nports);
}

enum lab_health lab_host_health(const struct lab *l, size_t h)
{
	const struct topo_inet_host *host = &l->topo.inet.hosts[h];

	if (host->image == TOPO_IMAGE_NONE)
		return LAB_HEALTH_OK;	/* a client: nothing to run */
	return process_health(l->plan.hosts[h].netns, l->inet_pids ? l->inet_pids[h] : 0,
			      host->image, host->ports, host->nports);
}

const char *lab_health_name(enum lab_health h)
{
	switch (h) {
	case LAB_HEALTH_OK:
		return "ok";
	case LAB_HEALTH_DOWN:
		return "down";
	case LAB_HEALTH_UNRESPONSIVE:
		return "unresponsive";
	case LAB_HEALTH_NO_NETNS:
		return "netns-gone";
	}
	return "unknown";
}

/* Say whether podpath runs in a user namespace other than the host's: its
 * uid_map then maps a range other than the whole "0 0 4294967295". */
static bool in_user_ns(char *map, size_t len)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long inside, outside, count;
	bool ret = false;

	map[0] = '\0';
	if (!f)
		return false;
	if (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3) {
		ret = !(inside == 0 && outside == 0 && count == 4294967295UL);
		snprintf(map, len, "uid_map: %lu %lu %lu", inside, outside, count);
	}
	fclose(f);
	return ret;
}

static int nothing(void *arg)
{
	return 0;
}

int lab_access_check(const struct lab *l, struct pp_err *e)
{
	const struct lab_plan *p = &l->plan;
	const char *first[] = { p->vpc_netns, p->gw_netns, p->lb_netns, p->inet_netns };
	const char *name = NULL;
	char map[96];
	int ret = -ENOENT;

	/* The first namespace that is there says: entering it needs
	 * CAP_SYS_ADMIN over it, as every check after this one does. */
	for (size_t i = 0; ret == -ENOENT && i < sizeof(first) / sizeof(first[0]); i++)
		ret = netns_run(name = first[i], nothing, NULL);
	for (size_t i = 0; ret == -ENOENT && i < l->topo.nnodes; i++)
		ret = netns_run(name = p->nodes[i].netns, nothing, NULL);
	if (ret != -EPERM && ret != -EACCES)
		return 0;
	if (in_user_ns(map, sizeof(map)))
		return pp_err_set(e, PP_EXIT_ENV, ret, "lab \"%s\": no privilege over its "
				  "namespaces (entering %s: %s): podpath runs in a user namespace "
				  "(%s); run it as root in the host's", l->name, name,
				  strerror(-ret), map);
	return pp_err_set(e, PP_EXIT_ENV, ret, "lab \"%s\": no privilege over its namespaces "
			  "(entering %s: %s); podpath needs CAP_SYS_ADMIN and CAP_NET_ADMIN",
			  l->name, name, strerror(-ret));
}
