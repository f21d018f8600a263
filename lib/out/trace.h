/* out/trace — a trace as aligned text or as a JSON document
 * (docs/trace-json.md). */
#ifndef PODPATH_OUT_TRACE_H
#define PODPATH_OUT_TRACE_H

#include <stdbool.h>
#include <stdio.h>

#include "trace/trace.h"

/* Hops, their explanations, nftables events, the verdict and timing. */
void out_trace_text(FILE *f, const struct trace *t, bool color);
/* The same; verbose adds each hop's MAC addresses and every nftables
 * event (without it only those that changed the packet or decided). */
void out_trace_text_verbose(FILE *f, const struct trace *t, bool color, bool verbose);
/* The same as one JSON object (schema 1); caller owns it. */
struct json_t *out_trace_json(const struct trace *t);
/* The "network policy:" section alone (each direction's policies and the
 * nftables rule that decided; nothing when neither side has one), and its
 * JSON, the document's "policy"; for explain --live. */
void out_trace_policy_text(FILE *f, const struct trace *t);
struct json_t *out_trace_policy_json(const struct trace *t);
/* One packet as a short line: "10.244.1.2:40512 > 10.244.2.2:8080 SYN ttl 64". */
void out_packet_fmt(const struct capture_pkt *k, char *buf, size_t len);

#endif
