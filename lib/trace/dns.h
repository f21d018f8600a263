/* dns — the DNS messages a trace's DNS probe sends and reads: one question
 * (type A, class IN, recursion desired) and the answer's code and A records.
 * Pure functions over buffers, so they are unit-tested and fuzzable. */
#ifndef PODPATH_TRACE_DNS_H
#define PODPATH_TRACE_DNS_H

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

#endif
