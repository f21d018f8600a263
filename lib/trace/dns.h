/* dns — the DNS messages a trace's DNS probe sends and reads: one question
 * (type A, class IN, recursion desired) and the answer's code and A records.
 * Pure functions over buffers, so they are unit-tested and fuzzable. */
#ifndef PODPATH_TRACE_DNS_H
#define PODPATH_TRACE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_MAX_A 8

struct dns_answer {
	int rcode;			/* 0 NOERROR, 3 NXDOMAIN, ... */
	uint32_t a[DNS_MAX_A];		/* A records, host order */
	size_t na;
};

/* Build a query for name (dots between labels, a trailing dot allowed)
 * into buf; its length, or -EINVAL for a bad name, -ENOSPC if buf is short. */
int dns_query_build(uint16_t id, const char *name, uint8_t *buf, size_t len);
/* Parse an answer to query id; 0, or -EINVAL if it is not one. */
int dns_answer_parse(uint16_t id, const uint8_t *buf, size_t len, struct dns_answer *out);
/* "NOERROR", "NXDOMAIN", ... */
const char *dns_rcode_name(int rcode);

/* The stub resolver's side, as glibc's res_search does it: which names a
 * lookup asks for, in which order, and when it stops. Pure, so the order
 * is unit-tested; a trace asks the names in this order from the pod. */
#define DNS_NAME_MAX 253	/* a name's text, without a trailing dot */
#define DNS_SEARCH_MAX 6	/* glibc's MAXDNSRCH: later domains are ignored */
#define DNS_NDOTS_MAX 15	/* glibc's RES_MAXNDOTS: a larger ndots: is cut to it */
#define DNS_TRIES_MAX (DNS_SEARCH_MAX + 1)

struct dns_resolv {
	char search[DNS_SEARCH_MAX][DNS_NAME_MAX + 1];
	size_t nsearch;
	unsigned ndots;			/* default 1 */
	uint32_t nameserver;		/* the first IPv4 nameserver, host order; 0: none */
};

/* Read resolv.conf text as glibc does: the last "search" or "domain" line
 * sets the list (domain: one entry), "options ndots:N" the threshold, the
 * first "nameserver" with an IPv4 address the server; '#' and ';' start
 * comments; anything else is ignored. */
void dns_resolv_parse(const char *text, struct dns_resolv *r);
/* The names a lookup of name asks for, in order, into out (max of them):
 * with a trailing dot, the name alone; with at least ndots dots, the name
 * first, then name.DOMAIN for each search domain; with fewer, the search
 * domains first, then the name. A candidate longer than DNS_NAME_MAX
 * cannot be put in a query and is left out. Returns how many. */
size_t dns_search_order(const char *name, const struct dns_resolv *r,
			char out[][DNS_NAME_MAX + 1], size_t max);
/* After the answer to one of those names (rcode -1: none came), does the
 * lookup go on to the next name? Yes after NXDOMAIN, an answer without an
 * address (NODATA) or SERVFAIL; no once an address came, and no after a
 * timeout or any other error (glibc's res_search gives up then). */
bool dns_search_goes_on(int rcode, size_t naddrs);

#endif
