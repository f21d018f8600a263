/* health — is a container running, and does it answer? Checked from inside
 * its pod, the way a kubelet probe reaches a container's port. */
#include <arpa/inet.h>
#include <errno.h>
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

/* pid is alive, still in netns (not a reused pid), and answers on its
 * first port. */
static enum lab_health process_health(const char *netns, pid_t pid, enum topo_image image,
				      const struct topo_port *ports, size_t nports)
{
	char path[64];
	struct stat st;
	ino_t ino;

	if (pid <= 0 || kill(pid, 0) < 0)
		return LAB_HEALTH_DOWN;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (stat(path, &st) < 0 || netns_inode(netns, &ino) < 0 || st.st_ino != ino)
		return LAB_HEALTH_DOWN;
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
	}
	return "unknown";
}
