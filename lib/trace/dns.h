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
	size_t an;			/* answer records of any type (ANCOUNT) */
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
/* How one query of a lookup ended, as glibc's res_search tells them apart
 * (resolv/res_query.c, __res_context_search, glibc 2.36). */
enum dns_result {
	DNS_FOUND,		/* NOERROR with answer records: the lookup ends there */
	DNS_NXDOMAIN,		/* HOST_NOT_FOUND: next name */
	DNS_NODATA,		/* NOERROR, no answer records: next name */
	DNS_SERVFAIL,		/* TRY_AGAIN with rcode SERVFAIL: next name */
	DNS_TIMEOUT,		/* TRY_AGAIN, no answer (ETIMEDOUT): search list ends */
	DNS_REFUSED,		/* REFUSED or NOTIMP (res_send: TRY_AGAIN): list ends */
	DNS_OTHER,		/* FORMERR, any other rcode (NO_RECOVERY): list ends */
	DNS_CONNREFUSED,	/* port/host unreachable (ECONNREFUSED): lookup ends */
	DNS_NOT_ASKED,		/* the query could not be sent: lookup ends, unasked */
};

/* The result of an answer with code rcode (-1: none came in time) and
 * ancount answer records. */
enum dns_result dns_result_of(int rcode, size_t ancount);
/* Asks one name (the text of a query, no trailing dot) and says how it ended. */
typedef enum dns_result (*dns_ask_fn)(void *ctx, const char *qname);
/* A lookup of name as glibc does it: ask() called for each name glibc would
 * ask, in its order, and only those. With a trailing dot: the name once.
 * With at least ndots dots: the name first; if it is not found, each search
 * domain. With fewer: each search domain. In the search list NXDOMAIN,
 * NODATA and SERVFAIL go on; a timeout, REFUSED, FORMERR... end the list;
 * ECONNREFUSED ends the lookup. After the list, the name as it is unless
 * it was asked already (or "." was on the list). A candidate longer than
 * DNS_NAME_MAX cannot be put in a query (glibc: NO_RECOVERY, never sent):
 * it ends the list without a call. Returns the number of ask() calls. */
size_t dns_search_walk(const char *name, const struct dns_resolv *r, dns_ask_fn ask, void *ctx);
/* The names a lookup of name asks when none is found (each NXDOMAIN), in
 * order, into out (max of them); returns how many. */
size_t dns_search_order(const char *name, const struct dns_resolv *r,
			char out[][DNS_NAME_MAX + 1], size_t max);

#endif
