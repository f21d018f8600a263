/* Private to lib/trace/. */
#ifndef PODPATH_TRACE_INTERNAL_H
#define PODPATH_TRACE_INTERNAL_H

#include "trace/trace.h"

/* Turn the captured packets and trace events into hops, explain them and
 * reach the verdict. */
int trace_correlate(struct trace *t, struct pp_err *e);

/* Ask the kernel what the diagnosis checks need about the place the
 * probe was last seen (t->ev), then run the checks: t->findings, verdict,
 * reason, cause (verdict.c). 0 or -ENOMEM. */
int trace_verdict_find(struct trace *t);
/* Only the asking: fill t->ev. 0 or -errno. */
int trace_evidence_collect(struct trace *t);

/* The request under the lab's NetworkPolicies, direction by direction:
 * t->policy[] from the trace events, the captures and the topology (no
 * kernel asked; netpol.c). 0 or -ENOMEM. */
int trace_policy_collect(struct trace *t);
/* Free and clear t->policy[]. */
void trace_policy_free(struct trace *t);

/* Which Service t's destination and probe port address (a ClusterIP port,
 * or a node's IP and a NodePort): fills t->svc (svc -1 when none). */
void trace_service_match(struct trace *t);
/* Fill hop h's Service record when the packet was DNATed there from t's
 * Service to one of its endpoints (prev: the packet one hop before). */
void trace_service_hop(const struct trace *t, const struct capture_pkt *prev,
		       struct trace_hop *h);
/* Without lab state: when hop h shows a DNAT, name the Service and endpoint
 * behind it from kube-proxy's chain names and rule comments among t's
 * trace events in that namespace (kube_rules.c). */
void trace_service_from_rules(const struct trace *t, const struct capture_pkt *prev,
			      struct trace_hop *h);
/* "svc/NS/NAME[:PORT]" as a destination. */
int trace_service_endpoint(const struct lab *l, const char *s, struct trace_endpoint *ep,
			   struct pp_err *e);

/* What the capture filter is made of: the probe's protocol and source
 * port (echo id), other ports and hosts its flow may take (repeats and
 * zeros allowed), and whether to take every handshake or datagram (no lab
 * says where the flow may go). */
struct trace_filter_in {
	enum probe_proto proto;
	uint16_t sport;
	const uint16_t *ports;
	size_t nports;
	const uint32_t *hosts;
	size_t nhosts;
	bool any_flow;
};
/* Distinct ports and hosts the filter left out, past the caps in trace.h. */
struct trace_filter_left {
	size_t ports, hosts;
};
/* The BPF expression for in into *filter (malloc'd): 0, or -ENOMEM (filter.c). */
int trace_filter_build(const struct trace_filter_in *in, char **filter,
		       struct trace_filter_left *left);

/* Build the path the topology predicts for t's request into t->expect,
 * walk the hops against it and fill t->div and t->divergence; when the
 * answer came back over steps nobody saw, record a "pcap"/"path" loss.
 * 0, or -ENOMEM (expect.c). */
int trace_divergence_find(struct trace *t);
/* Remove t's loss records of observer and what, in any namespace: before
 * a recount that may find none (run.c). */
void trace_loss_clear(struct trace *t, const char *observer, const char *what);

/* The ARP exchanges the probe's packets waited for, from the captures
 * and the hops, and the neighbour entries they made (asked of the
 * requesters' namespaces): t->arp. 0 or -ENOMEM (arp.c). */
int trace_arp_find(struct trace *t);
/* trace --arp: delete the source's neighbour entry for its next hop
 * towards t->dst, and the next hop's entry for the source (in whichever
 * observed namespace holds that address), so the probe's first packets
 * must ARP. 0, or <0 with e set (arp.c). */
int trace_arp_flush(struct trace *t, struct pp_err *e);
/* For every hop marked bridged (fdb.asked, fdb.mac its frame's
 * destination MAC): the bridge FDB entry for that MAC on the bridge its
 * port belongs to, one dump per namespace, and the entry appended to the
 * hop's why; asked cleared where the kernel would not say (arp.c). */
void trace_fdb_annotate(struct trace *t);
/* How hop h moved, as its packets and the hop before it in the same
 * direction show (TRACE_MOVED_ROUTED: the route lookup, not asked here, may
 * yet say LOCAL or nothing). */
enum trace_moved trace_moved_seen(const struct trace *t, size_t h);
/* TRACE_CHG_* bits: how k differs from prev (0 if prev is NULL). */
unsigned trace_changed(const struct capture_pkt *prev, const struct capture_pkt *k);

/* conntrack in every observed namespace for t's flow (run.c). */
void trace_ct_collect(struct trace *t);
/* The kernel-drop observer (dropwatch.c): armed for t's namespaces and
 * flow, it ends the probe's wait on a final drop of the request. NULL when
 * it cannot run here (t->drops_off says why; the trace goes on without). */
struct dropwatch;
struct dropwatch *trace_dropwatch_arm(struct trace *t);
/* Read the drops that are left into t->drops; a lost event is an observer
 * loss. 0 or -ENOMEM. */
int trace_dropwatch_collect(struct dropwatch *w);
/* Detach and free; NULL is fine. */
void trace_dropwatch_close(struct dropwatch *w);

/* iptables-legacy counters in every place, before the probe and after
 * (iptwatch.c): arm reads them (NULL without memory: then nothing is
 * compared); collect puts the rules that counted the probe in t->ipt. */
struct iptwatch;
struct iptwatch *trace_iptwatch_arm(struct trace *t);
/* 0 or -ENOMEM. */
int trace_iptwatch_collect(struct iptwatch *w, struct trace *t);
void trace_iptwatch_close(struct iptwatch *w);

/* Does pod run nginx (an ingress controller)? */
bool trace_is_proxy_pod(const struct lab *l, size_t pod);
/* After t's own correlation: when the probe ended at an ingress controller,
 * trace the connection it opened to the backend into t->upstream (upstream.c). */
int trace_upstream(struct trace *t, struct pp_err *e);
/* vpc networking: append to hop h's why (buf) what the kernel says of the
 * pod's link-local gateway, the ENI's secondary IP answered by proxy ARP,
 * the per-pod /32 route, the VPC switching the frame (vpc.c). */
void trace_vpc_why(const struct trace *t, size_t h, char *buf, size_t len);

/* bgp networking (bgp.c): when hop's route is proto bird on a lab node,
 * ask that node's BIRD where it came from into hop->bgp and append it to
 * the route's words in buf (whole, or not at all). */
void trace_bgp_hop(const struct trace *t, struct trace_hop *hop, char *buf, size_t len);
/* A failed trace in bgp networking whose packet left a node by another
 * route than BIRD's to the pod CIDR it was going to: what the BIRDs on the
 * way say, into t->ev.bgp (asked false when there is nothing to ask). 0. */
int trace_bgp_collect(struct trace *t);

#endif
