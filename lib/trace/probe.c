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
	/* --size: DF set whatever the route's cached path MTU, as `ping -M
	 * probe` does, so the packet meets every link's real MTU. */
	if (p->size) {
		int pmtu = IP_PMTUDISC_PROBE;

		if (setsockopt(p->fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) < 0)
			return pp_err_set(e, PP_EXIT_ENV, -errno, "probe: DF on the socket in %s: %s",
					  netns, strerror(errno));
	}
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

/* Wait until fd is ready (true) or the deadline passed (false); an
 * observer that has seen the probe die (p->stop) ends the wait too. */
static bool wait_fd(struct probe *p, int fd, short events, long long deadline,
		    struct probe_result *r)
{
	struct pollfd pf[2] = { { .fd = fd, .events = events }, { .fd = p->stop_fd, .events = POLLIN } };
	nfds_t n = p->stop && p->stop_fd >= 0 ? 2 : 1;

	for (;;) {
		long long left = deadline - mono_ms();

		if (left < 0)
			left = 0;
		if (poll(pf, n, (int)left) <= 0)
			return false;
		if (pf[0].revents)
			return true;
		if (n == 2 && (pf[1].revents & POLLIN) && p->stop(p->stop_arg)) {
			r->stopped = true;
			return false;
		}
	}
}

/* A send that failed for its size (DF and --size past the route's MTU):
 * the MTU the source's route allows, learnt from the connected socket. */
static void too_big(struct probe *p, struct probe_result *r)
{
	int mtu = 0;
	socklen_t ml = sizeof(mtu);

	if (getsockopt(p->fd, IPPROTO_IP, IP_MTU, &mtu, &ml) == 0)
		r->path_mtu = mtu;
	r->err = EMSGSIZE;
	r->outcome = PROBE_UNREACHABLE;
	snprintf(r->answer, sizeof(r->answer), "the source cannot send %u bytes with DF set: its "
		 "route's MTU is %d (EMSGSIZE)", p->size, r->path_mtu);
}

/* Fill buf (len bytes) with the probe's payload, repeated. */
static void payload_fill(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)PROBE_PAYLOAD[i % (sizeof(PROBE_PAYLOAD) - 1)];
}

static int run_icmp(struct probe *p, long long deadline, struct probe_result *r)
{
	/* The IP header is the kernel's: the echo is the size less 20. */
	size_t len = p->size ? (size_t)p->size - 20 : 64;
	uint8_t *pkt = calloc(1, len), buf[1500];
	struct sockaddr_in sa = dst_sa(p);
	int ret = 0;

	if (!pkt) {
		r->err = ENOMEM;
		r->outcome = PROBE_TIMEOUT;
		snprintf(r->answer, sizeof(r->answer), "out of memory for a %zu-byte probe", len);
		return -ENOMEM;
	}
	pkt[0] = 8;
	pkt[4] = (uint8_t)(p->sport >> 8);
	pkt[5] = (uint8_t)p->sport;
	pkt[7] = 1;
	payload_fill(pkt + 8, len - 8);
	{
		uint16_t c = csum(pkt, len);

		pkt[2] = (uint8_t)(c >> 8);
		pkt[3] = (uint8_t)c;
	}
	r->sent_ns = now_ns();
	if (sendto(p->fd, pkt, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* Connected only now, to learn the route's MTU: a connected raw
		 * socket hears only its peer, not a router's ICMP error. */
		if (errno == EMSGSIZE) {
			if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				r->path_mtu = 0;
			too_big(p, r);
		} else {
			r->err = errno;
			r->outcome = from_errno(errno, true);
		}
		goto out;
	}
	while (wait_fd(p, p->fd, POLLIN, deadline, r)) {
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
			goto out;
		}
		if ((buf[ihl] == 3 || buf[ihl] == 11) && (size_t)n >= ihl + 8 + 28) {
			const uint8_t *q = buf + ihl + 8;
			size_t qihl = (size_t)(q[0] & 15) * 4;

			if ((size_t)n >= ihl + 8 + qihl + 6 &&
			    (q[qihl + 4] << 8 | q[qihl + 5]) == p->sport) {
				r->outcome = PROBE_UNREACHABLE;
				snprintf(r->answer, sizeof(r->answer), "ICMP type %u code %u from %u.%u.%u.%u",
					 buf[ihl], buf[ihl + 1], buf[12], buf[13], buf[14], buf[15]);
				goto out;
			}
		}
	}
	r->outcome = PROBE_TIMEOUT;
out:
	free(pkt);
	return ret;
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
	r->dns_an = da.an;
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
	uint8_t *big = NULL;
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
	} else if (p->size) {
		/* The UDP payload is the size less the IP and UDP headers. */
		plen = (size_t)p->size - 28;
		big = malloc(plen ? plen : 1);
		if (!big) {
			r->err = ENOMEM;
			r->outcome = PROBE_TIMEOUT;
			snprintf(r->answer, sizeof(r->answer), "out of memory for a %zu-byte probe", plen);
			return -ENOMEM;
		}
		payload_fill(big, plen);
		payload = big;
	}
	r->sent_ns = now_ns();
	if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r->err = errno;
		r->outcome = from_errno(errno, true);
		return 0;
	}
	learn_saddr(p);
	n = send(p->fd, payload, plen, 0);
	free(big);
	if (n < 0 && errno == EMSGSIZE) {
		too_big(p, r);
		return 0;
	}
	if (n < 0) {
		r->err = errno;
		r->outcome = from_errno(errno, true);
		return 0;
	}
	while (wait_fd(p, p->fd, POLLIN, deadline, r)) {
		/* A connected UDP socket reports ICMP errors on the next recv. */
		n = recv(p->fd, buf, sizeof(buf) - 1, 0);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0 && errno == EMSGSIZE) {	/* a router's "fragmentation needed" */
			r->err = errno;
			r->outcome = PROBE_UNREACHABLE;
			snprintf(r->answer, sizeof(r->answer), "ICMP fragmentation needed: %u bytes "
				 "with DF set do not fit the path", p->size);
			return 0;
		}
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

/* The responder's " KEY=A.B.C.D:PORT" field in its one-line answer (a
 * protocol of podpath's own, lib/lab/responder.c): 0, or -ENOENT. */
static int answer_field(const char *line, const char *key, uint32_t *ip, uint16_t *port)
{
	char want[16], a[ADDR_STRLEN];
	const char *f;
	unsigned p;
	int n = 0;

	snprintf(want, sizeof(want), " %s=", key);
	f = strstr(line, want);
	if (!f || sscanf(f + strlen(want), "%15[0-9.]:%u%n", a, &p, &n) != 2 || !n || p > 65535 ||
	    addr_parse(a, ip) < 0)
		return -ENOENT;
	*port = (uint16_t)p;
	return 0;
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
		if (answer_field(r->answer, "server", &r->seen_server, &r->seen_server_port) < 0 ||
		    answer_field(r->answer, "client", &r->seen_client, &r->seen_client_port) < 0)
			r->seen_server = r->seen_client = r->seen_server_port = r->seen_client_port = 0;
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
	while (len < sizeof(buf) - 1 && wait_fd(p, p->fd, POLLIN, deadline, r)) {
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
	if (!wait_fd(p, p->fd, POLLOUT, deadline, r)) {
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
