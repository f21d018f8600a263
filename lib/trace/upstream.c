/* upstream — behind the ingress controller a request travels in a second
 * TCP connection: nginx (in its pod) opens one to the backend Service's
 * ClusterIP, and kube-proxy takes it to a pod. It is found in the same
 * captures as the first connection — the first SYN nginx's pod sent after
 * the probe's request reached it — and traced like the first, so both
 * connections, and how one leads to the other, are shown. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/internal.h"

#define TCP_SYN 0x02
#define TCP_ACK 0x10

/* The pod, among the ingress controllers, the probe's request reached, and
 * when it arrived there; -1 if none. */
static ssize_t proxy_reached(const struct trace *t, uint64_t *when)
{
	for (size_t h = 0; h < t->nhops; h++) {
		if (t->hops[h].reply)
			continue;
		for (size_t i = 0; i < t->lab->topo.npods; i++)
			if (trace_is_proxy_pod(t->lab, i) &&
			    !strcmp(t->ns[t->hops[h].ns], t->lab->plan.pods[i].netns)) {
				*when = t->hops[h].pkt->ts_ns;
				return (ssize_t)i;
			}
	}
	return -1;
}

/* nginx's SYN: leaving the proxy pod, from its address, after `after`. */
static const struct capture_pkt *upstream_syn(const struct trace *t, size_t pod, uint64_t after)
{
	const struct capture_pkt *all, *best = NULL;
	uint32_t ip = t->lab->topo.pods[pod].ip;
	size_t n;

	all = capture_packets(t->cap, &n);
	for (size_t i = 0; i < n; i++) {
		const struct capture_pkt *k = &all[i];

		if (k->proto != IPPROTO_TCP || !k->outgoing || k->saddr != ip ||
		    (k->tcp_flags & (TCP_SYN | TCP_ACK)) != TCP_SYN || k->ts_ns < after ||
		    strcmp(t->ns[k->ns], t->lab->plan.pods[pod].netns))
			continue;
		if (!best || k->ts_ns < best->ts_ns)
			best = k;
	}
	return best;
}

int trace_upstream(struct trace *t, struct pp_err *e)
{
	const struct capture_pkt *syn;
	const struct topo_pod *p;
	struct trace *u;
	char src[2 * TOPO_LABEL_MAX + 2], dst[32], a[ADDR_STRLEN];
	uint64_t arrived = 0, first;
	ssize_t pod;
	int ret;

	if (!t->lab || !t->nhops)
		return 0;
	pod = proxy_reached(t, &arrived);
	if (pod < 0)
		return 0;
	t->proxy_pod = pod;
	syn = upstream_syn(t, (size_t)pod, arrived);
	if (!syn)
		return 0;	/* nginx answered by itself (a redirect, the default 404) */
	u = calloc(1, sizeof(*u));
	if (!u)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	p = &t->lab->topo.pods[pod];
	snprintf(src, sizeof(src), "%s/%s", p->ns, p->name);
	snprintf(dst, sizeof(dst), "%s:%u", addr_fmt(syn->daddr, a), syn->dport);
	u->lab = t->lab;
	u->timeout_ms = t->timeout_ms;
	ret = trace_endpoint_parse(t->lab, src, true, &u->src, e);
	if (ret == 0)
		ret = trace_endpoint_parse(t->lab, dst, false, &u->dst, e);
	if (ret < 0) {
		free(u);
		return ret;
	}
	/* The same observations: the same namespaces, in the same order. */
	u->cap = t->cap;
	u->shares_capture = true;
	t->upstream = u;	/* freed with t from here on */
	for (size_t i = 0; i < t->nns; i++)
		if (trace_ns_add(u, t->ns[i], t->ns_label[i]) < 0)
			return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	u->proxy_pod = -1;
	u->probe = (struct probe){ .proto = PROBE_HTTP, .fd = -1, .sport = syn->sport,
				   .saddr = syn->saddr, .daddr = syn->daddr, .dport = syn->dport };
	/* Its outcome is the client's: the answer came back through nginx. */
	u->res = t->res;
	u->res.tls[0] = u->res.via[0] = '\0';
	trace_service_match(u);
	ret = trace_correlate(u, e);
	if (ret < 0)
		return ret;
	trace_ct_collect(u);
	/* Its times count from the first connection's first hop: the two
	 * read as one timeline. */
	first = t->hops[0].pkt->ts_ns;
	for (size_t h = 0; h < u->nhops; h++)
		u->hops[h].dt_ns = u->hops[h].pkt->ts_ns - first;
	return 0;
}
