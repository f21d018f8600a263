/* probe — ICMP echo, UDP, TCP handshake and HTTP probes; see probe.h. */
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

#include "addr.h"
#include "netns/netns.h"
#include "trace/dns.h"
#include "trace/probe.h"

#define PROBE_PAYLOAD "podpath probe\n"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *probe_proto_name(enum probe_proto p)
{
	static const char *const names[] = { "icmp", "udp", "tcp", "http", "dns", "https" };

	return names[p];
}

uint8_t probe_ipproto(enum probe_proto p)
{
	return p == PROBE_ICMP ? IPPROTO_ICMP : p == PROBE_UDP || p == PROBE_DNS ? IPPROTO_UDP
									       : IPPROTO_TCP;
}

int probe_proto_parse(const char *s, enum probe_proto *out)
{
	for (int p = PROBE_ICMP; p <= PROBE_HTTPS; p++)
		if (!strcmp(s, probe_proto_name(p))) {
			*out = p;
			return 0;
		}
	return -EINVAL;
}

const char *probe_outcome_name(enum probe_outcome o)
{
	static const char *const names[] = { "delivered", "refused", "unreachable", "no-route",
					     "timeout", "tls-failed" };

	return names[o];
}

static struct sockaddr_in dst_sa(const struct probe *p)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(p->dport),
				     .sin_addr.s_addr = htonl(p->daddr) };
}

int probe_prepare(struct probe *p, const char *netns, struct pp_err *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	if (p->proto == PROBE_ICMP) {
		/* Raw, not a ping socket: ping_group_range excludes everyone in
		 * a new namespace. A random echo id marks the probe. */
		p->fd = netns_socket(netns, AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
		p->sport = (uint16_t)((getpid() ^ (unsigned)now_ns()) & 0xffff);
	} else {
		p->fd = netns_socket(netns, AF_INET,
				     (probe_ipproto(p->proto) == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) |
				     SOCK_NONBLOCK, 0);
	}
	if (p->fd < 0)
		return pp_err_set(e, PP_EXIT_ENV, p->fd, "probe: cannot make a socket in %s: %s",
				  netns, strerror(-p->fd));
	if (p->proto == PROBE_ICMP)
		return 0;
	/* Bind now so the source port is known before anything is sent. */
	if (bind(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(p->fd, (struct sockaddr *)&sa, &sl) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "probe: bind in %s: %s", netns,
				  strerror(errno));
	p->sport = ntohs(sa.sin_port);
	if (p->proto == PROBE_HTTPS)
		probe_tls_prepare(p);
	return 0;
}

static uint16_t csum(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* local: the error came from the send/connect call itself (the source's own
 * routing), not from an ICMP error that came back. */
static enum probe_outcome from_errno(int err, bool local)
{
	switch (err) {
	case ECONNREFUSED:
		return PROBE_REFUSED;
	case ENETUNREACH:
		return local ? PROBE_NO_ROUTE : PROBE_UNREACHABLE;
	case EHOSTUNREACH:
	case EACCES:
	case EPERM:
	case EPROTO:
		return PROBE_UNREACHABLE;
	default:
		return PROBE_TIMEOUT;
	}
}

static bool wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pf = { .fd = fd, .events = events };
	long long left = deadline - mono_ms();

	if (left < 0)
		left = 0;
	return poll(&pf, 1, (int)left) > 0;
}

static int run_icmp(struct probe *p, long long deadline, struct probe_result *r)
{
	uint8_t pkt[64] = { 8, 0 }, buf[1500];
	struct sockaddr_in sa = dst_sa(p);

	pkt[4] = (uint8_t)(p->sport >> 8);
	pkt[5] = (uint8_t)p->sport;
	pkt[7] = 1;
	memcpy(pkt + 8, PROBE_PAYLOAD, sizeof(PROBE_PAYLOAD) - 1);
	{
		uint16_t c = csum(pkt, sizeof(pkt));

		pkt[2] = (uint8_t)(c >> 8);
		pkt[3] = (uint8_t)c;
	}
	r->sent_ns = now_ns();
	if (sendto(p->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r->err = errno;
		r->outcome = from_errno(errno, true);
		return 0;
	}
	while (wait_fd(p->fd, POLLIN, deadline)) {
		ssize_t n = recv(p->fd, buf, sizeof(buf), 0);
		size_t ihl;

		if (n < 28)
			continue;
		ihl = (size_t)(buf[0] & 15) * 4;
		if ((size_t)n < ihl + 8)
			continue;
		/* Echo reply with our id, or an error quoting our request. */
		if (buf[ihl] == 0 && (buf[ihl + 4] << 8 | buf[ihl + 5]) == p->sport) {
			r->outcome = PROBE_OK;
			snprintf(r->answer, sizeof(r->answer), "echo reply, ttl %u", buf[8]);
			return 0;
		}
		if ((buf[ihl] == 3 || buf[ihl] == 11) && (size_t)n >= ihl + 8 + 28) {
			const uint8_t *q = buf + ihl + 8;
			size_t qihl = (size_t)(q[0] & 15) * 4;

			if ((size_t)n >= ihl + 8 + qihl + 6 &&
			    (q[qihl + 4] << 8 | q[qihl + 5]) == p->sport) {
				r->outcome = PROBE_UNREACHABLE;
				snprintf(r->answer, sizeof(r->answer), "ICMP type %u code %u from %u.%u.%u.%u",
					 buf[ihl], buf[ihl + 1], buf[12], buf[13], buf[14], buf[15]);
				return 0;
			}
		}
	}
	r->outcome = PROBE_TIMEOUT;
	return 0;
}

/* The answer to DNS query id, in words and as its first address; false
 * when what came back is no answer to it. */
static bool dns_read(const uint8_t *buf, size_t n, uint16_t id, const char *name,
		     struct probe_result *r)
{
	struct dns_answer da;
	char a[ADDR_STRLEN];

	if (dns_answer_parse(id, buf, n, &da) < 0) {
		snprintf(r->answer, sizeof(r->answer), "a UDP answer came back, but not a DNS answer "
			 "to the query (is a DNS server listening there?)");
		return false;
	}
	r->dns_rcode = da.rcode;
	r->dns_a = da.na ? da.a[0] : 0;
	snprintf(r->answer, sizeof(r->answer), "%s %s", dns_rcode_name(da.rcode), name);
	for (size_t i = 0; i < da.na; i++) {
		size_t l = strlen(r->answer);

		snprintf(r->answer + l, sizeof(r->answer) - l, " A %s", addr_fmt(da.a[i], a));
	}
	return true;
}

/* The address the kernel chose for the connected socket: where the probe
 * is NATed before any capture (a node to a ClusterIP), the trace finds its
 * flow by it. */
static void learn_saddr(struct probe *p)
{
	struct sockaddr_in local;
	socklen_t sl = sizeof(local);

	if (getsockname(p->fd, (struct sockaddr *)&local, &sl) == 0)
		p->saddr = ntohl(local.sin_addr.s_addr);
}

static int run_udp(struct probe *p, long long deadline, struct probe_result *r)
{
	struct sockaddr_in sa = dst_sa(p);
	uint8_t q[512], buf[1500];
	uint16_t id = (uint16_t)(now_ns() ^ (uint64_t)getpid());
	const void *payload = PROBE_PAYLOAD;
	size_t plen = sizeof(PROBE_PAYLOAD) - 1;
	ssize_t n;

	r->dns_rcode = -1;
	if (p->proto == PROBE_DNS) {
		int ql = dns_query_build(id, p->host, q, sizeof(q));

		if (ql < 0) {
			r->err = EINVAL;
			r->outcome = PROBE_TIMEOUT;
			snprintf(r->answer, sizeof(r->answer), "bad DNS name \"%s\"", p->host);
			return 0;
		}
		payload = q;
		plen = (size_t)ql;
	}
	r->sent_ns = now_ns();
	if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r->err = errno;
		r->outcome = from_errno(errno, true);
		return 0;
	}
	learn_saddr(p);
	if (send(p->fd, payload, plen, 0) < 0) {
		r->err = errno;
		r->outcome = from_errno(errno, true);
		return 0;
	}
	while (wait_fd(p->fd, POLLIN, deadline)) {
		/* A connected UDP socket reports ICMP errors on the next recv. */
		n = recv(p->fd, buf, sizeof(buf) - 1, 0);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0) {
			r->err = errno;
			r->outcome = from_errno(errno, false);
			return 0;
		}
		if (p->proto == PROBE_DNS) {
			/* Like an HTTP probe answered in another protocol: the
			 * exchange did not happen, whatever the packets did. */
			if (!dns_read(buf, (size_t)n, id, p->host, r)) {
				r->outcome = PROBE_TIMEOUT;
				return 0;
			}
		} else {
			buf[n] = '\0';
			snprintf(r->answer, sizeof(r->answer), "%.*s",
				 (int)strcspn((char *)buf, "\r\n"), (char *)buf);
		}
		r->outcome = PROBE_OK;
		return 0;
	}
	r->outcome = PROBE_TIMEOUT;
	return 0;
}

int probe_http_request(const struct probe *p, char *buf, size_t len)
{
	return snprintf(buf, len, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: podpath-trace\r\n"
			"Connection: close\r\n\r\n", p->path[0] ? p->path : "/", p->host);
}

void probe_http_answer(const char *buf, size_t len, struct probe_result *r)
{
	const char *body = strstr(buf, "\r\n\r\n"), *via = strcasestr(buf, "\r\nX-Podpath-Ingress: ");

	if (sscanf(buf, "HTTP/%*s %d", &r->http_status) != 1) {
		r->outcome = PROBE_TIMEOUT;
		snprintf(r->answer, sizeof(r->answer), "%s, but no HTTP response %s",
			 r->tls[0] ? "TLS handshake completed" : "TCP handshake completed",
			 len ? "(the answer was not HTTP)" : "came back");
		return;
	}
	if (via && (!body || via < body))
		snprintf(r->via, sizeof(r->via), "%.*s", (int)strcspn(via + 21, "\r\n"), via + 21);
	if (r->http_status >= 200 && r->http_status < 300) {
		/* The responder's one line: who served, what it saw. */
		snprintf(r->answer, sizeof(r->answer), "%.*s",
			 (int)strcspn(body ? body + 4 : buf, "\r\n"), body ? body + 4 : buf);
	} else {
		/* Anything else is said by its status line (a body would be an
		 * error page's HTML), a redirect with where it points. */
		const char *loc = strcasestr(buf, "\r\nLocation: ");
		/* After "HTTP/1.1" and its blanks (sscanf took any blank). */
		const char *code = buf + strcspn(buf, " \t\r\n");

		code += strspn(code, " \t");
		snprintf(r->answer, sizeof(r->answer), "HTTP %.*s%s%.*s",
			 (int)strcspn(code, "\r\n"), code,
			 loc && (!body || loc < body) ? ", Location: " : "",
			 loc && (!body || loc < body) ? (int)strcspn(loc + 12, "\r\n") : 0,
			 loc ? loc + 12 : "");
	}
	r->outcome = PROBE_OK;
}

static void http_read(struct probe *p, long long deadline, struct probe_result *r)
{
	char buf[4096];
	size_t len = 0;
	char req[640];
	int n = probe_http_request(p, req, sizeof(req));

	if (send(p->fd, req, (size_t)n, MSG_NOSIGNAL) < 0) {
		r->err = errno;
		r->outcome = from_errno(errno, false);
		return;
	}
	while (len < sizeof(buf) - 1 && wait_fd(p->fd, POLLIN, deadline)) {
		ssize_t got = recv(p->fd, buf + len, sizeof(buf) - 1 - len, 0);

		if (got < 0 && errno == EAGAIN)
			continue;
		if (got < 0 && errno == ECONNRESET && !len) {
			r->err = errno;
			r->outcome = PROBE_REFUSED;
			snprintf(r->answer, sizeof(r->answer),
				 "TCP handshake completed, then the server reset the connection");
			return;
		}
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	buf[len] = '\0';
	probe_http_answer(buf, len, r);
}

static int run_tcp(struct probe *p, long long deadline, struct probe_result *r)
{
	struct sockaddr_in sa = dst_sa(p);
	int err = 0;
	socklen_t el = sizeof(err);

	r->sent_ns = now_ns();
	if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		r->err = errno;
		r->outcome = from_errno(errno, true);
		return 0;
	}
	learn_saddr(p);
	if (!wait_fd(p->fd, POLLOUT, deadline)) {
		r->outcome = PROBE_TIMEOUT;
		return 0;
	}
	getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		r->err = err;
		r->outcome = from_errno(err, false);
		return 0;
	}
	r->outcome = PROBE_OK;
	snprintf(r->answer, sizeof(r->answer), "TCP handshake completed");
	if (p->proto == PROBE_HTTP)
		http_read(p, deadline, r);
	else if (p->proto == PROBE_HTTPS)
		probe_https_run(p, deadline, r);
	return 0;
}

int probe_run(struct probe *p, int timeout_ms, struct probe_result *r)
{
	long long deadline = mono_ms() + timeout_ms;
	int ret;

	memset(r, 0, sizeof(*r));
	switch (p->proto) {
	case PROBE_ICMP:
		ret = run_icmp(p, deadline, r);
		break;
	case PROBE_UDP:
	case PROBE_DNS:
		ret = run_udp(p, deadline, r);
		break;
	default:
		ret = run_tcp(p, deadline, r);
		break;
	}
	r->done_ns = now_ns();
	return ret;
}

void probe_close(struct probe *p)
{
	probe_tls_free(p);
	if (p->fd >= 0) {
		/* An abortive close: the trace is over, no FIN dance needed. */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (probe_ipproto(p->proto) == IPPROTO_TCP)
			setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(p->fd);
	}
	p->fd = -1;
}
