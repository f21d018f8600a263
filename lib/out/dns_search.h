/* out/dns_search — a pod's name lookup before its DNS trace: the
 * resolv.conf settings it followed and every name asked, in order, with
 * its answer, as text and as JSON (docs/trace-json.md, "dns.search"). */
#ifndef PODPATH_OUT_DNS_SEARCH_H
#define PODPATH_OUT_DNS_SEARCH_H

#include <stddef.h>
#include <stdio.h>

#include "trace/trace.h"

struct json_t;

/* Nothing when s->done is false (not a pod's search). */
void out_dns_search_text(FILE *f, const struct trace_dns_search *s);
/* NULL when s->done is false; caller owns it. */
struct json_t *out_dns_search_json(const struct trace_dns_search *s);
/* "a (NXDOMAIN), b (NXDOMAIN), c (no answer)": the names asked, for a
 * message that says none had an address. */
void out_dns_search_names(char *buf, size_t len, const struct trace_dns_search *s);

#endif
