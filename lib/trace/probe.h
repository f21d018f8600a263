/* probe — the packet a trace sends: an ordinary socket made inside the
 * source's network namespace, so the kernel routes, NATs and answers it
 * exactly as it would any application's traffic. */
#ifndef PODPATH_PROBE_H
#define PODPATH_PROBE_H

#include <stdint.h>

#include "err.h"

/* DNS: a query over UDP for probe.host, type A. HTTPS: HTTP over TLS with
 * SNI probe.host, the server verified against probe.ca_file. */
enum probe_proto { PROBE_ICMP, PROBE_UDP, PROBE_TCP, PROBE_HTTP, PROBE_DNS, PROBE_HTTPS };

enum probe_outcome {
	PROBE_OK,		/* echo reply, UDP answer, TCP handshake, HTTP response */
	PROBE_REFUSED,		/* TCP RST or ICMP port unreachable: no listener */
	PROBE_UNREACHABLE,	/* ICMP host/net unreachable or similar from a router */
	PROBE_NO_ROUTE,		/* the source itself has no route (ENETUNREACH at send) */
	PROBE_TIMEOUT,		/* nothing came back in time */
	PROBE_TLS_FAILED,	/* HTTPS: connected, but the TLS handshake failed or the
				 * certificate was not to be trusted */
};

struct probe {
	enum probe_proto proto;
	int fd;
	uint16_t sport;		/* TCP/UDP source port; ICMP echo identifier */
	uint32_t saddr;		/* source address once known (0 before) */
	uint32_t daddr;
	uint16_t dport;
	char host[256];		/* HTTP Host header; DNS: the name asked for */
	char path[256];		/* HTTP path */
	char ca_file[256];	/* HTTPS: the CA to verify the server with ("" = the system's) */
	void *tls_ctx;		/* HTTPS: libssl's SSL_CTX, made (CA loaded) before arming */
	const char *tls_err;	/* HTTPS: why it could not be made, for the verdict */
	/* ICMP and UDP: the packet's whole IP length with DF set (0: the
	 * default small probe), to find where a path needs fragmenting. */
	uint16_t size;
	/* While waiting: when stop_fd is readable, stop(stop_arg) says whether
	 * an observer has seen enough (a kernel drop) to end the wait early.
	 * stop_fd -1: none. */
	int stop_fd;
	bool (*stop)(void *stop_arg);
	void *stop_arg;
};

struct probe_result {
	enum probe_outcome outcome;
	int err;		/* errno behind the outcome, 0 if none */
	uint64_t sent_ns, done_ns;	/* CLOCK_REALTIME */
	int http_status;
	char answer[512];	/* first line of the application's answer */
	uint32_t dns_a;		/* DNS: the first A record of the answer, 0 if none */
	int dns_rcode;		/* DNS: the answer's code (-1: no answer) */
	size_t dns_an;		/* DNS: the answer's records of any type (ANCOUNT) */
	/* HTTPS: the handshake's outcome and the verification; room for the
	 * certificate's CN (127), the host (255) and the CA file (255) */
	char tls[768];
	char via[1024];		/* HTTP: the X-Podpath-Ingress header (the rule that matched) */
	int path_mtu;		/* --size: the MTU the source's route allows (EMSGSIZE), 0 if unknown */
	bool stopped;		/* the wait was ended by an observer (p->stop), not by the answer */
	/* HTTP answered by podpath's responder: the connection it was asked
	 * on, as it saw it (its server= and client= fields); 0 if it did not
	 * say. Behind a proxy, client is the proxy's own connection. */
	uint32_t seen_server, seen_client;
	uint16_t seen_server_port, seen_client_port;
};
/* The smallest and largest --size: an IP header and an ICMP or UDP header,
 * and an IPv4 packet's length. */
#define PROBE_SIZE_MIN 28
#define PROBE_SIZE_MAX 65535

/* Make the socket in /run/netns/NETNS and learn the source port (or pick
 * the echo id), so observers can be armed for exactly this flow. */
int probe_prepare(struct probe *p, const char *netns, struct pp_err *e);
/* Send and wait up to timeout_ms for the outcome. */
int probe_run(struct probe *p, int timeout_ms, struct probe_result *r);
void probe_close(struct probe *p);
const char *probe_proto_name(enum probe_proto p);
/* IPPROTO_ICMP, _UDP or _TCP: what the probe travels as. */
uint8_t probe_ipproto(enum probe_proto p);
int probe_proto_parse(const char *s, enum probe_proto *out);
/* For the HTTP and HTTPS probes (probe.c, tls.c): the request to send, and
 * the outcome read off a response of len bytes in buf (NUL-terminated). */
int probe_http_request(const struct probe *p, char *buf, size_t len);
void probe_http_answer(const char *buf, size_t len, struct probe_result *r);
/* HTTPS (tls.c): the TLS context with its CA, made by probe_prepare so that
 * loading certificates is not timed as the probe; then, after the TCP
 * handshake, TLS and the HTTP exchange; and the context's release. */
void probe_tls_prepare(struct probe *p);
void probe_https_run(struct probe *p, long long deadline_ms, struct probe_result *r);
void probe_tls_free(struct probe *p);
const char *probe_outcome_name(enum probe_outcome o);

#endif
