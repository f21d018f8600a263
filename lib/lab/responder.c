/* responder — the container process; see responder.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lab/responder.h"

#define MAX_CONNS 128
#define REQ_MAX 4096
/* A client that says nothing (nc, a TCP probe) gets the identity line after
 * this long; one that starts an HTTP request gets an HTTP answer. */
#define QUIET_MS 150
#define REQ_TIMEOUT_MS 2000
#define LINGER_MS 1000

/* The request buffer is allocated per connection: an idle responder (most
 * of a lab, most of the time) touches only a few pages of memory. */
struct conn {
	int fd;
	size_t len;
	long long deadline;
	bool closing;		/* answered: reading what is left until the client's FIN */
	char *req;		/* REQ_MAX bytes while fd >= 0 */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sockaddr_fmt(const struct sockaddr_in *sa, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ntohs(sa->sin_port));
}

static void endpoints(int fd, char *server, char *client, size_t len)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	sockaddr_fmt(&sa, server, len);
	sl = sizeof(sa);
	memset(&sa, 0, sizeof(sa));
	getpeername(fd, (struct sockaddr *)&sa, &sl);
	sockaddr_fmt(&sa, client, len);
}

int responder_identity(const struct responder_cfg *cfg, const char *proto,
		       const char *server, const char *client, char *buf, size_t len)
{
	if (cfg->host && cfg->host[0])
		return snprintf(buf, len, "internet-host=%s proto=%s server=%s client=%s",
				cfg->host, proto, server, client);
	return snprintf(buf, len, "pod=%s container=%s node=%s proto=%s server=%s client=%s",
			cfg->pod, cfg->container, cfg->node, proto, server, client);
}

static const char *const methods[] = {
	"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
};

/* 1: an HTTP method starts the request; 0: it cannot be HTTP; -1: too short to tell. */
static int looks_http(const char *req, size_t len)
{
	bool maybe = false;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t ml = strlen(methods[i]);

		if (len >= ml && !memcmp(req, methods[i], ml))
			return 1;
		if (len < ml && !memcmp(req, methods[i], len))
			maybe = true;
	}
	return maybe ? -1 : 0;
}

/* Copy the value of header `name` (case-insensitive) into out. */
static void header_get(const char *req, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name);
	const char *p = strstr(req, "\r\n");

	out[0] = '\0';
	while (p && p[2] != '\r' && p[2]) {
		const char *line = p + 2, *end = strstr(line, "\r\n");

		if (!end)
			break;
		if (!strncasecmp(line, name, nl) && line[nl] == ':') {
			const char *v = line + nl + 1;

			while (*v == ' ')
				v++;
			snprintf(out, len, "%.*s", (int)(end - v), v);
			return;
		}
		p = end;
	}
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void conn_answer(const struct responder_cfg *cfg, struct conn *c, bool http)
{
	char server[64], client[64], line[640], host[128], path[256], xff[128], resp[1200];
	int n;

	endpoints(c->fd, server, client, sizeof(server));
	if (!http) {
		n = responder_identity(cfg, "tcp", server, client, line, sizeof(line) - 1);
		if (n > 0 && (size_t)n < sizeof(line) - 1) {
			line[n++] = '\n';
			send_all(c->fd, line, (size_t)n);
		}
		return;
	}
	c->req[c->len < REQ_MAX ? c->len : REQ_MAX - 1] = '\0';
	header_get(c->req, "Host", host, sizeof(host));
	/* Behind a proxy (the ingress): who the client was. */
	header_get(c->req, "X-Forwarded-For", xff, sizeof(xff));
	for (char *r = xff, *w = xff;; r++)	/* "a, b" -> "a,b": one field of the line */
		if (*r != ' ' && !(*w++ = *r))
			break;
	{
		const char *sp = strchr(c->req, ' ');
		const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;

		snprintf(path, sizeof(path), "%.*s", sp && sp2 ? (int)(sp2 - sp - 1) : 1,
			 sp && sp2 ? sp + 1 : "/");
	}
	n = responder_identity(cfg, "http", server, client, line, sizeof(line));
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)strlen(line);
	snprintf(line + n, sizeof(line) - (size_t)n, " path=%s host=%s%s%s\n", path,
		 host[0] ? host : "-", xff[0] ? " xff=" : "", xff);
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\nX-Podpath-%s: %s\r\nX-Podpath-Container: %s\r\n\r\n%s",
		     strlen(line), cfg->host && cfg->host[0] ? "Host" : "Pod",
		     cfg->host && cfg->host[0] ? cfg->host : cfg->pod, cfg->container,
		     strncmp(c->req, "HEAD ", 5) ? line : "");
	if (n > 0)
		send_all(c->fd, resp, (size_t)n < sizeof(resp) ? (size_t)n : sizeof(resp) - 1);
}

static void conn_free(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->closing = false;
	free(c->req);
	c->req = NULL;
}

/* Answered: send our FIN, then keep reading what the client still sends
 * (a request body, its own FIN) for up to LINGER_MS. Closing with unread
 * data would answer the client with an RST that can destroy our reply. */
static void conn_close(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	c->closing = true;
	c->deadline = now_ms() + LINGER_MS;
}

static void conn_drain(struct conn *c)
{
	char drain[512];
	ssize_t n;

	while ((n = recv(c->fd, drain, sizeof(drain), MSG_DONTWAIT)) > 0)
		;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		conn_free(c);
}

/* Read what is there; answer when the request is complete or cannot be HTTP. */
static void conn_readable(const struct responder_cfg *cfg, struct conn *c)
{
	ssize_t n = recv(c->fd, c->req + c->len, REQ_MAX - 1 - c->len, MSG_DONTWAIT);
	int http;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {		/* EOF before a full request: answer plainly */
		if (n == 0 && c->len == 0)
			conn_answer(cfg, c, false);
		else if (n == 0)
			conn_answer(cfg, c, looks_http(c->req, c->len) == 1);
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	http = looks_http(c->req, c->len);
	if (http == -1)
		return;
	if (http == 1 && !strstr(c->req, "\r\n\r\n") && c->len < REQ_MAX - 1) {
		c->deadline = now_ms() + REQ_TIMEOUT_MS;
		return;
	}
	conn_answer(cfg, c, http == 1);
	conn_close(c);
}

/* UDP: answer from the address the datagram was sent to (IP_PKTINFO), so
 * the identity names the pod address even though the socket is unbound. */
static void udp_readable(const struct responder_cfg *cfg, int fd)
{
	char buf[2048], server[64], client[64], line[512];
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct sockaddr_in peer, local = { .sin_family = AF_INET };
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_name = &peer, .msg_namelen = sizeof(peer), .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	socklen_t ll = sizeof(local);
	struct cmsghdr *cm;
	int len;

	if (recvmsg(fd, &mh, MSG_DONTWAIT) < 0)
		return;
	getsockname(fd, (struct sockaddr *)&local, &ll);
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
			local.sin_addr = ((struct in_pktinfo *)CMSG_DATA(cm))->ipi_addr;
	sockaddr_fmt(&local, server, sizeof(server));
	sockaddr_fmt(&peer, client, sizeof(client));
	len = responder_identity(cfg, "udp", server, client, line, sizeof(line) - 1);
	if (len < 0 || (size_t)len >= sizeof(line) - 1)
		return;
	line[len++] = '\n';
	sendto(fd, line, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&peer, mh.msg_namelen);
}

static void accept_one(int lfd, struct conn *conns)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < MAX_CONNS; i++) {
		if (conns[i].fd < 0) {
			conns[i].req = malloc(REQ_MAX);
			if (!conns[i].req)
				break;
			conns[i].req[0] = '\0';
			conns[i].fd = fd;
			conns[i].len = 0;
			conns[i].deadline = now_ms() + QUIET_MS;
			return;
		}
	}
	close(fd);		/* full: the client sees a reset, as from a busy server */
}

int responder_run(const struct responder_cfg *cfg, volatile sig_atomic_t *stop)
{
	struct pollfd pfd[RESPONDER_MAX_PORTS + MAX_CONNS];
	size_t map[MAX_CONNS];
	struct conn *conns = calloc(MAX_CONNS, sizeof(*conns));
	int ret = 0;

	if (!conns)
		return -ENOMEM;
	for (size_t i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	for (size_t i = 0; i < cfg->nports; i++) {
		int one = 1;

		if (cfg->ports[i].udp)
			setsockopt(cfg->ports[i].fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	}
	while (!*stop) {
		long long now = now_ms(), next = now + 1000;
		size_t np = 0, nc = 0;
		int r;

		for (size_t i = 0; i < cfg->nports; i++)
			pfd[np++] = (struct pollfd){ .fd = cfg->ports[i].fd, .events = POLLIN };
		for (size_t i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &conns[i];

			if (c->fd < 0)
				continue;
			if (c->deadline <= now && c->closing) {	/* the client never closed */
				conn_free(c);
				continue;
			}
			if (c->deadline <= now) {	/* quiet client or stalled request */
				conn_answer(cfg, c, looks_http(c->req, c->len) == 1);
				conn_close(c);
			}
			if (c->deadline < next)
				next = c->deadline;
			map[nc++] = i;
			pfd[np++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		}
		r = poll(pfd, np, (int)(next - now));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		for (size_t i = 0; i < cfg->nports; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (cfg->ports[i].udp)
				udp_readable(cfg, cfg->ports[i].fd);
			else
				accept_one(cfg->ports[i].fd, conns);
		}
		for (size_t k = 0; k < nc; k++) {
			struct conn *c = &conns[map[k]];

			if (!pfd[cfg->nports + k].revents || c->fd < 0)
				continue;
			if (c->closing)
				conn_drain(c);
			else
				conn_readable(cfg, c);
		}
	}
	for (size_t i = 0; i < MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_free(&conns[i]);
	free(conns);
	return ret;
}
