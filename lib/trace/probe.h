/* probe — the packet a trace sends: an ordinary socket made inside the
 * source's network namespace, so the kernel routes, NATs and answers it
 * exactly as it would any application's traffic. */
#ifndef PODPATH_PROBE_H
#define PODPATH_PROBE_H

#include <stdint.h>

#include "err.h"

/* DNS: a query over UDP for probe.host, type A. */
enum probe_proto { PROBE_ICMP, PROBE_UDP, PROBE_TCP, PROBE_HTTP, PROBE_DNS };

enum probe_outcome {
	PROBE_OK,		/* echo reply, UDP answer, TCP handshake, HTTP response */
	PROBE_REFUSED,		/* TCP RST or ICMP port unreachable: no listener */
	PROBE_UNREACHABLE,	/* ICMP host/net unreachable or similar from a router */
	PROBE_NO_ROUTE,		/* the source itself has no route (ENETUNREACH at send) */
	PROBE_TIMEOUT,		/* nothing came back in time */
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
};

struct probe_result {
	enum probe_outcome outcome;
	int err;		/* errno behind the outcome, 0 if none */
	uint64_t sent_ns, done_ns;	/* CLOCK_REALTIME */
	int http_status;
	char answer[512];	/* first line of the application's answer */
	uint32_t dns_a;		/* DNS: the first A record of the answer, 0 if none */
	int dns_rcode;		/* DNS: the answer's code (-1: no answer) */
};

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
const char *probe_outcome_name(enum probe_outcome o);

#endif
