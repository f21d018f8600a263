/* upstream — behind the ingress controller a request travels in a second
 * TCP connection: nginx (in its pod) opens one straight to an endpoint pod
 * of the backend Service (its IP and targetPort, as ingress-nginx's
 * balancer does: lab/ingress.c), so kube-proxy's DNAT takes no part. It is
 * found in the same captures as the first connection and traced like it,
 * so both connections, and how one leads to the other, are shown; the
 * Service and the endpoint are named from the lab's Ingresses, and
 * "bypassed" is said only when no hop of the connection was DNATed.
 *
 * Which of nginx's connections carried the probe's request? Other clients
 * (another trace at the same time) make nginx open others, so "the first
 * SYN after the request arrived" is a guess. The backend says it: podpath's
 * responder answers with the client address and port it saw (client=...),
 * and that answer came back to the probe through nginx, so it names the
 * connection that carried this very request. Only an answer without it (a
 * backend that is not the responder, an error page) falls back to timing,
 * and a guess among several candidates is reported as one. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/diag/diag.h"
#include "trace/internal.h"

#define TCP_SYN 0x02
#define TCP_RST 0x04
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

/* A connection's SYN leaving the proxy pod from its address, after `after`. */
static bool proxy_syn(const struct trace *t, size_t pod, uint64_t after,
		      const struct capture_pkt *k)
{
	return k->proto == IPPROTO_TCP && k->outgoing && k->saddr == t->lab->topo.pods[pod].ip &&
	       (k->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && k->ts_ns >= after &&
	       !strcmp(t->ns[k->ns], t->lab->plan.pods[pod].netns);
}

/* nginx's own gateway error: it answered 502 (every endpoint it tried
 * refused) or 504 (it gave up connecting), and no backend answered (the
 * lab's responder says client= in every answer of its own). */
static bool gateway_error(const struct trace *t)
{
	return t->res.outcome == PROBE_OK && !t->res.seen_client &&
	       (t->res.http_status == 502 || t->res.http_status == 504);
}

/* nginx's SYN for the probe's request; *others: how many other
 * connections nginx opened in the same time that it could have been
 * (0 when the backend named it). NULL if none. */
static const struct capture_pkt *upstream_syn(const struct trace *t, size_t pod, uint64_t after,
					      size_t *others)
{
	const struct capture_pkt *all, *best = NULL;
	uint64_t until = t->res.done_ns ? t->res.done_ns : UINT64_MAX;
	size_t n, cand = 0;

	*others = 0;
	all = capture_packets(t->cap, &n);
	/* The backend's word: the connection it was asked on. */
	for (size_t i = 0; t->res.seen_client && i < n; i++) {
		const struct capture_pkt *k = &all[i];

		if (proxy_syn(t, pod, after, k) && k->saddr == t->res.seen_client &&
		    k->sport == t->res.seen_client_port && (!best || k->ts_ns < best->ts_ns))
			best = k;
	}
	if (best)
		return best;
	/* Else the first after the request arrived, before the answer left;
	 * after nginx's own gateway error the last: nginx tries the endpoints
	 * one after another and answers for the try it gave up on last. */
	for (size_t i = 0; i < n; i++) {
		const struct capture_pkt *k = &all[i];
		bool dup = false;

		if (!proxy_syn(t, pod, after, k) || k->ts_ns > until)
			continue;
		/* A retransmitted SYN is the same connection. */
		for (size_t j = 0; j < i && !dup; j++)
			dup = proxy_syn(t, pod, after, &all[j]) && all[j].sport == k->sport &&
			      all[j].daddr == k->daddr;
		if (dup)
			continue;
		cand++;
		if (!best || (gateway_error(t) ? k->ts_ns > best->ts_ns : k->ts_ns < best->ts_ns))
			best = k;
	}
	*others = cand ? cand - 1 : 0;
	return best;
}

/* What came back to nginx for its SYN, seen arriving in nginx's own
 * namespace (an answer lost on its way back never reached nginx):
 * SYN_ANSWER_NONE, _ACCEPTED (a SYN-ACK) or _REFUSED (a RST). */
enum { SYN_ANSWER_NONE, SYN_ANSWER_ACCEPTED, SYN_ANSWER_REFUSED };

static int syn_answer(const struct trace *t, size_t pod, const struct capture_pkt *syn)
{
	const struct capture_pkt *all;
	size_t n;

	all = capture_packets(t->cap, &n);
	for (size_t i = 0; i < n; i++) {
		const struct capture_pkt *k = &all[i];

		if (k->proto == IPPROTO_TCP && !k->outgoing && k->saddr == syn->daddr &&
		    k->sport == syn->dport && k->daddr == syn->saddr && k->dport == syn->sport &&
		    k->ts_ns >= syn->ts_ns && !strcmp(t->ns[k->ns], t->lab->plan.pods[pod].netns))
			return k->tcp_flags & TCP_RST ? SYN_ANSWER_REFUSED : SYN_ANSWER_ACCEPTED;
	}
	return SYN_ANSWER_NONE;
}

/* Which connection a traced packet (its headers in ev) belongs to. */
enum { FLOW_OTHER, FLOW_PROBE, FLOW_UPSTREAM, FLOW_PROXY };

static bool is_proxy_ip(const struct trace *t, uint32_t ip)
{
	for (size_t i = 0; i < t->lab->topo.npods; i++)
		if (trace_is_proxy_pod(t->lab, i) && t->lab->topo.pods[i].ip == ip)
			return true;
	return false;
}

static int event_flow(const struct trace *t, const struct trace *u, const struct nftrace_event *ev)
{
	uint16_t p = t->probe.sport;

	if (ev->proto != probe_ipproto(t->probe.proto))
		return FLOW_OTHER;
	if (u && ((ev->saddr == u->probe.saddr && ev->sport == u->probe.sport) ||
		  (ev->daddr == u->probe.saddr && ev->dport == u->probe.sport)))
		return FLOW_UPSTREAM;
	if (ev->sport == p || ev->dport == p)
		return FLOW_PROBE;
	for (size_t i = 0; i < t->nalias; i++)
		if ((ev->saddr == t->alias[i].src && ev->sport == t->alias[i].sport) ||
		    (ev->daddr == t->alias[i].src && ev->dport == t->alias[i].sport))
			return FLOW_PROBE;
	if (is_proxy_ip(t, ev->saddr) || is_proxy_ip(t, ev->daddr))
		return FLOW_PROXY;
	return FLOW_OTHER;
}

/* t's trace events were armed for the probe and for every connection of
 * the ingress controllers: keep the probe's in t, move the upstream
 * connection's (u, may be NULL) to u, drop the other connections of the
 * controllers. An event without headers (not the first of its chain) goes
 * with the last one of the same packet (namespace and id) that had them. */
static int nft_split(struct trace *t, struct trace *u)
{
	int *flow = calloc(t->nnft ? t->nnft : 1, sizeof(*flow));
	size_t keep = 0, nu = 0;
	int ret = -ENOMEM;

	if (!flow)
		return -ENOMEM;
	for (size_t i = 0; i < t->nnft; i++) {
		flow[i] = FLOW_OTHER;
		if (t->nft[i].proto) {
			flow[i] = event_flow(t, u, &t->nft[i]);
			continue;
		}
		for (size_t j = i; j-- > 0;)
			if (t->nft_ns[j] == t->nft_ns[i] && t->nft[j].id == t->nft[i].id) {
				flow[i] = flow[j];
				break;
			}
	}
	for (size_t i = 0; i < t->nnft; i++)
		nu += flow[i] == FLOW_UPSTREAM;
	if (u && nu) {
		u->nft = calloc(nu, sizeof(*u->nft));
		u->nft_ns = calloc(nu, sizeof(*u->nft_ns));
		if (!u->nft || !u->nft_ns)
			goto out;
	}
	for (size_t i = 0; i < t->nnft; i++) {
		if (flow[i] == FLOW_UPSTREAM && u) {
			u->nft[u->nnft] = t->nft[i];
			u->nft_ns[u->nnft++] = t->nft_ns[i];
		} else if (flow[i] != FLOW_PROXY && flow[i] != FLOW_UPSTREAM) {
			/* What the probe's own rules marked stays, as before. */
			t->nft[keep] = t->nft[i];
			t->nft_ns[keep++] = t->nft_ns[i];
		}
	}
	t->nnft = keep;
	ret = 0;
out:
	free(flow);
	return ret;
}

/* The Ingress backend (Service s, port k) that has endpoint ip:port; false
 * if none. */
static bool backend_of(const struct topo *t, uint32_t ip, uint16_t port, size_t *s, size_t *k,
		       size_t *pod)
{
	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++)
			for (size_t p = 0; p < t->ingresses[i].rules[r].npaths; p++) {
				const struct topo_ingress_path *ip_ = &t->ingresses[i].rules[r].paths[p];
				const struct topo_service *sv = &t->services[ip_->svc];

				for (size_t e = 0; e < sv->nendpoints; e++)
					if (t->pods[sv->endpoints[e].pod].ip == ip &&
					    sv->endpoints[e].port[ip_->svc_port] == port) {
						*s = ip_->svc;
						*k = ip_->svc_port;
						*pod = sv->endpoints[e].pod;
						return true;
					}
			}
	return false;
}

/* Say, after the Ingress rule nginx named, which endpoint of which Service
 * connection 2 went to, and that kube-proxy was bypassed: when the lab's
 * Ingresses have that endpoint and no hop of u shows a Service's DNAT. */
static void name_endpoint(struct trace *t, const struct trace *u)
{
	const struct topo *tp = &t->lab->topo;
	const struct topo_service *s;
	const struct topo_pod *p;
	size_t si, k, pod, n = strlen(t->res.via);
	char a[ADDR_STRLEN];

	for (size_t h = 0; h < u->nhops; h++)
		if (u->hops[h].svc.named)
			return;
	if (!backend_of(tp, u->probe.daddr, u->probe.dport, &si, &k, &pod))
		return;
	s = &tp->services[si];
	p = &tp->pods[pod];
	snprintf(t->res.via + n, sizeof(t->res.via) - n, "%s(connection 2 went straight to endpoint "
		 "pod %s/%s %s:%u of Service %s/%s port %u, bypassing kube-proxy: ingress-nginx "
		 "balances over the endpoints itself)", n ? " " : "", p->ns, p->name,
		 addr_fmt(p->ip, a), u->probe.dport, s->ns, s->name, s->ports[k].port);
}

int trace_upstream(struct trace *t, struct pp_err *e)
{
	const struct capture_pkt *syn = NULL;
	const struct topo_pod *p;
	struct trace *u = NULL;
	char src[2 * TOPO_LABEL_MAX + 2], dst[32], a[ADDR_STRLEN];
	uint64_t arrived = 0, first;
	size_t others = 0;
	ssize_t pod = -1;
	int ret;

	if (t->lab && t->nhops)
		pod = proxy_reached(t, &arrived);
	if (pod >= 0) {
		t->proxy_pod = pod;
		syn = upstream_syn(t, (size_t)pod, arrived, &others);
	}
	/* nginx answered by itself (a redirect, the default 404), or the
	 * probe met no proxy: the proxy's other connections are not ours. */
	if (!syn) {
		ret = t->lab ? nft_split(t, NULL) : 0;
		return ret < 0 ? pp_err_set(e, PP_EXIT_FAIL, ret, "out of memory") : 0;
	}
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
	/* Unless it is nginx's own gateway error for connection 2: a 504
	 * after it gave up connecting (its proxy_connect_timeout,
	 * lab/ingress.c) to an endpoint whose answer never reached it, whose
	 * outcome is a timeout of that length; a 502 after the endpoint
	 * refused it. */
	if (gateway_error(t)) {
		int answer = syn_answer(t, (size_t)pod, syn);

		if (t->res.http_status == 504 && answer == SYN_ANSWER_NONE) {
			u->res.outcome = PROBE_TIMEOUT;
			u->timeout_ms = LAB_INGRESS_CONNECT_TIMEOUT_S * 1000;
		} else if (t->res.http_status == 502 && answer == SYN_ANSWER_REFUSED) {
			u->res.outcome = PROBE_REFUSED;
		}
		if (u->res.outcome != PROBE_OK) {
			u->res.http_status = 0;
			u->res.answer[0] = '\0';
		}
	}
	/* Its nftables events were caught by the first connection's listeners. */
	if (nft_split(t, u) < 0)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	u->nft_lost = t->nft_lost;
	/* What the shared observers lost (a capture's ring, a listener's
	 * buffer, the filter's caps) is the second connection's loss too;
	 * what the first connection's correlation found is its own. */
	for (size_t i = 0; i < t->nloss; i++) {
		const struct trace_loss *l = &t->loss[i];

		if (!strcmp(l->observer, "correlate") || !strcmp(l->what, "path") ||
		    !strcmp(l->what, "unobserved-namespace") || !strcmp(l->observer, "conntrack"))
			continue;
		if (trace_loss_set(u, l->observer, l->what, l->ns, l->left_out, l->limit) < 0)
			return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	}
	/* Chosen by time among several: a guess, and said to be one. */
	if (others && trace_loss_set(u, "correlate", "upstream-connection", -1, others, 0) < 0)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
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
	name_endpoint(t, u);
	/* The first connection's verdict was found before the events were
	 * split, by whatever rule dropped the second one (or, nginx having
	 * answered 504, as delivered). A NetworkPolicy denial of the second,
	 * or any death of it nginx answered 504 for, is the client's verdict,
	 * named as the second connection's (diag/policy.c, diag/upstream.c
	 * read t->upstream), so it is found again. */
	if (diag_upstream_denied(t) || diag_upstream_gave_up(t))
		return trace_correlate(t, e);
	return 0;
}
