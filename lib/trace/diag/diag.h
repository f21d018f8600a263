/* diag — diagnosis as a table of small checks. Each check is a pure
 * function from what a trace collected (hops, captures, nftables trace
 * events, conntrack, kernel drops, the kernel state asked after the probe:
 * struct trace and its evidence) to at most one finding. The table's order
 * is the verdict's precedence: the first check that finds something gives
 * the verdict; later findings are notes. Private to lib/trace/. */
#ifndef PODPATH_TRACE_DIAG_H
#define PODPATH_TRACE_DIAG_H

#include "trace/trace.h"

/* 1: found (f filled), 0: nothing to say, -ENOMEM. */
typedef int diag_check_fn(const struct trace *t, struct trace_finding *f);

struct diag_check {
	const char *name;
	diag_check_fn *fn;
	bool verdict_only;	/* a way to end the trace, not worth a note after another verdict */
};

/* The table, in precedence order, and its length. */
extern const struct diag_check diag_checks[];
extern const size_t diag_nchecks;

/* Run every check over t: t->findings (the first is the verdict),
 * t->verdict, t->reason, t->cause. 0 or -ENOMEM. */
int diag_run(struct trace *t);

/* Free t's findings. */
void diag_free(struct trace *t);

/* The checks (one file each). */
diag_check_fn diag_upstream, diag_delivered, diag_bgp, diag_policy, diag_nft_rule, diag_ttl_exceeded, diag_refused, diag_kernel_drop, diag_mtu, diag_stale_endpoint, diag_missing_snat, diag_route, diag_ipt_legacy, diag_port, diag_forward, diag_plan,
	diag_arp_unanswered, diag_neigh_failed, diag_unreachable, diag_tls_failed,
	diag_no_route, diag_asymmetric, diag_timeout;

/* Behind an ingress controller (upstream.c): nginx gave up on its own
 * connection to the endpoint (t->upstream) and answered the client 504;
 * that connection's verdict is then the client's. */
bool diag_upstream_gave_up(const struct trace *t);
/* f: connection 2's first finding, said as the client's verdict. 1, 0 when
 * its place is not one of t's, or -ENOMEM. */
int diag_from_upstream(const struct trace *t, struct trace_finding *f);
/* Behind an ingress controller: a NetworkPolicy denied its own connection
 * to the endpoint, and the client got no answer. That denial is then the
 * client's verdict (policy.c). */
bool diag_upstream_denied(const struct trace *t);

/* Helpers the checks share (common.c). */
/* f's words, as long as they need to be (owned by f). 1, or -ENOMEM. */
__attribute__((format(printf, 2, 3))) int diag_say(struct trace_finding *f, const char *fmt, ...);
/* Start f as check's finding of verdict v at place ns (-1: none). */
void diag_start(struct trace_finding *f, const char *check, enum trace_verdict v, ssize_t ns);
/* "last seen at hop N, PLACE IF (in|out)" or "never seen leaving SRC". */
void diag_last_seen(const struct trace *t, char *buf, size_t len);
/* The first hop of the answer, NULL if none came back. */
const struct trace_hop *diag_first_reply(const struct trace *t);
/* Index of the source's namespace in t->ns, SIZE_MAX if none. */
size_t diag_src_ns(const struct trace *t);
/* The drop that ended the request: the first one after which the request
 * was seen nowhere. A drop of a copy (a flooded frame another port took
 * too) is followed by the packet's own later hops, and is not the end.
 * NULL if none. */
const struct trace_drop *diag_terminal_drop(const struct trace *t);
/* Every captured packet (not only the flow's hops). */
const struct capture_pkt *diag_packets(const struct trace *t, size_t *n);

#endif
