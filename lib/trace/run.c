/* run — arm the observers, send the probe, collect what was seen; the
 * observations become hops in hops.c. */
#include <errno.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netns/netns.h"
#include "trace/internal.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* kind is "pod", "node" or "" (then name alone labels it). */
static void ns_add(struct trace *t, const char *netns, const char *kind, const char *name)
{
	if (!netns || t->nns == TRACE_MAX_NS)
		return;
	for (size_t i = 0; i < t->nns; i++)
		if (!strcmp(t->ns[i], netns))
			return;
	t->ns[t->nns] = netns;
	snprintf(t->ns_label[t->nns], sizeof(t->ns_label[0]), "%s%s%s", kind, *kind ? " " : "", name);
	t->nns++;
}

static void ns_add_endpoint(struct trace *t, const struct trace_endpoint *ep, bool node_first)
{
	const struct lab *l = t->lab;
	char pod[TOPO_LABEL_MAX * 2 + 2] = "";

	/* The place is the pod, "NS/NAME", whatever DST added (":8080"). */
	if (ep->kind == TRACE_EP_POD)
		snprintf(pod, sizeof(pod), "%s/%s", l->topo.pods[ep->pod].ns,
			 l->topo.pods[ep->pod].name);
	if (ep->kind == TRACE_EP_POD && !node_first)
		ns_add(t, ep->netns, "pod", pod);
	if (ep->node >= 0)
		ns_add(t, l->plan.nodes[ep->node].netns, "node", l->topo.nodes[ep->node].name);
	if (ep->kind == TRACE_EP_POD && node_first)
		ns_add(t, ep->netns, "pod", pod);
	if (ep->kind == TRACE_EP_INTERNET)
		ns_add(t, ep->netns, "internet host", l->topo.inet.hosts[ep->host].name);
}

/* Service svc's endpoints (of port pi; SIZE_MAX: of any port) and their nodes. */
static void ns_add_service(struct trace *t, size_t svc, size_t pi)
{
	const struct lab *l = t->lab;
	const struct topo_service *s = &l->topo.services[svc];

	for (size_t e = 0; e < s->nendpoints; e++) {
		size_t p = s->endpoints[e].pod;
		char label[TOPO_LABEL_MAX * 2 + 2];

		if (pi != SIZE_MAX && !s->endpoints[e].port[pi])
			continue;
		snprintf(label, sizeof(label), "%s/%s", l->topo.pods[p].ns, l->topo.pods[p].name);
		ns_add(t, l->plan.nodes[l->topo.pods[p].node].netns, "node",
		       l->topo.nodes[l->topo.pods[p].node].name);
		ns_add(t, l->plan.pods[p].netns, "pod", label);
	}
}

size_t trace_proxy_pods(const struct lab *l, size_t *pods, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < l->topo.npods && n < max; i++)
		for (size_t c = 0; c < l->topo.pods[i].ncontainers; c++)
			if (l->topo.pods[i].containers[c].image == TOPO_IMAGE_NGINX) {
				pods[n++] = i;
				break;
			}
	return n;
}

/* Does the probe go to an ingress controller: the pod itself, or a
 * Service (its LoadBalancer) that has one behind it? */
static bool to_proxy(const struct trace *t)
{
	size_t pods[8], n = trace_proxy_pods(t->lab, pods, 8);

	for (size_t i = 0; i < n; i++) {
		if (t->dst.pod == (ssize_t)pods[i])
			return true;
		for (size_t e = 0; t->svc.svc >= 0 &&
				   e < t->lab->topo.services[t->svc.svc].nendpoints; e++)
			if (t->lab->topo.services[t->svc.svc].endpoints[e].pod == pods[i])
				return true;
	}
	return false;
}

/* Any Service's LoadBalancer IP, whatever the port: the load balancer
 * answers there, also for a port it has no listener on. */
static bool is_lb_ip(const struct topo *t, uint32_t ip)
{
	for (size_t i = 0; i < t->nservices; i++)
		if (t->services[i].lb_ip && t->services[i].lb_ip == ip)
			return true;
	return false;
}

/* Every namespace the packet can cross, in path order: the source, its
 * node (or, from the internet, the internet router and the gateway), the
 * VPC (and the load balancer), the gateway and the internet router towards
 * the internet, the destination's node, the destination. */
static void ns_choose(struct trace *t)
{
	const struct lab *l = t->lab;
	bool from_out = t->src.kind == TRACE_EP_INTERNET;
	bool to_out = t->dst.outside;

	ns_add_endpoint(t, &t->src, false);
	if (from_out)
		ns_add(t, l->plan.inet_netns, "", "internet");
	if (from_out && !to_out)
		ns_add(t, l->plan.gw_netns, "", "gateway");
	if (!from_out || !to_out)
		ns_add(t, l->plan.vpc_netns, "", "VPC");
	/* The load balancer takes what comes from outside for its addresses;
	 * a pod's packet to one is kube-proxy's on the pod's own node. */
	if (from_out && is_lb_ip(&l->topo, t->dst.ip))
		ns_add(t, l->plan.lb_netns, "", "load balancer");
	if (to_out && !from_out) {
		ns_add(t, l->plan.gw_netns, "", "gateway");
		ns_add(t, l->plan.inet_netns, "", "internet");
	}
	ns_add_endpoint(t, &t->dst, true);
	/* A Service: each endpoint, and its node, is a place it can end up. */
	if (t->svc.svc >= 0)
		ns_add_service(t, (size_t)t->svc.svc, t->svc.port);
	/* An HTTP request to an ingress controller goes on in a connection of
	 * its own: every Ingress backend's pods and nodes are on the way. */
	if ((t->probe.proto == PROBE_HTTP || t->probe.proto == PROBE_HTTPS) && to_proxy(t))
		for (size_t i = 0; i < l->topo.ningresses; i++)
			for (size_t r = 0; r < l->topo.ingresses[i].nrules; r++)
				for (size_t k = 0; k < l->topo.ingresses[i].rules[r].npaths; k++)
					ns_add_service(t, l->topo.ingresses[i].rules[r].paths[k].svc, SIZE_MAX);
	/* An address on a node that no pod holds may be rewritten there (a
	 * DNAT): every pod of that node is a place it can end up. */
	if (t->dst.kind == TRACE_EP_IP && t->dst.node >= 0)
		for (size_t i = 0; i < l->topo.npods; i++)
			if (l->topo.pods[i].node == (size_t)t->dst.node) {
				char label[TOPO_LABEL_MAX * 2 + 2];

				snprintf(label, sizeof(label), "%s/%s", l->topo.pods[i].ns,
					 l->topo.pods[i].name);
				ns_add(t, l->plan.pods[i].netns, "pod", label);
			}
}

/* The flow's packets, ICMP errors about it, ARP (to see unresolved next
 * hops) and VXLAN (inner packets are matched after decoding). */
static void filter_build(const struct trace *t, char *buf, size_t len)
{
	const char *err = "(icmp and icmp[0] != 0 and icmp[0] != 8)";
	unsigned p = t->probe.sport;

	char more[320] = "";
	size_t proxies[8], np = t->lab ? trace_proxy_pods(t->lab, proxies, 8) : 0;

	/* Behind a Service a masquerade may change the source port (NodePort
	 * traffic): the endpoints' own ports catch the flow's rewritten form. */
	if (t->svc.svc >= 0) {
		const struct topo_service *s = &t->lab->topo.services[t->svc.svc];

		for (size_t e = 0; e < s->nendpoints; e++) {
			uint16_t ep = s->endpoints[e].port[t->svc.port];
			char one[24];

			snprintf(one, sizeof(one), " or port %u", ep);
			if (ep && !strstr(more, one) && strlen(more) + strlen(one) < sizeof(more))
				strcat(more, one);
		}
	}
	/* An HTTP request may end at an ingress controller: its own connection
	 * to the backend is part of the path (upstream.c). */
	for (size_t i = 0; (t->probe.proto == PROBE_HTTP || t->probe.proto == PROBE_HTTPS) && i < np;
	     i++) {
		char one[48], a[ADDR_STRLEN];

		snprintf(one, sizeof(one), " or host %s", addr_fmt(t->lab->topo.pods[proxies[i]].ip, a));
		if (strlen(more) + strlen(one) < sizeof(more))
			strcat(more, one);
	}
	/* Without a lab nothing says where a DNAT may send the flow and under
	 * which port a masquerade goes on: take every handshake (TCP) or
	 * datagram (UDP) while the probe runs; classifying the packets and the
	 * aliases conntrack gives keep only the probe's. */
	if (!t->lab && t->probe.proto != PROBE_ICMP)
		snprintf(more, sizeof(more), "%s", t->probe.proto == PROBE_UDP ||
			 t->probe.proto == PROBE_DNS ? " or not port 0" :
			 " or tcp[tcpflags] & (tcp-syn|tcp-rst) != 0");
	switch (t->probe.proto) {
	case PROBE_ICMP:
		snprintf(buf, len, "(icmp and (icmp[0] = 8 or icmp[0] = 0) and icmp[4:2] = %u) or %s "
			 "or arp or udp port 8472 or udp port 4789", p, err);
		break;
	case PROBE_UDP:
	case PROBE_DNS:
		snprintf(buf, len, "(udp and (port %u%s)) or %s or arp or udp port 8472 or udp port 4789", p,
			 more, err);
		break;
	default:
		snprintf(buf, len, "(tcp and (port %u%s)) or %s or arp or udp port 8472 or udp port 4789", p,
			 more, err);
		break;
	}
}

/* Room for n elements of size bytes in *pp; false when out of memory. */
static bool grow(void *pp, size_t n, size_t size)
{
	void **p = pp, *np = realloc(*p, n * size);

	if (!np)
		return false;
	*p = np;
	return true;
}

static void nft_collect(struct trace *t, struct nftrace **armed)
{
	struct nftrace_event ev[64];

	for (size_t i = 0; i < t->nns; i++) {
		bool lost = false;

		while (armed[i]) {
			int n = nftrace_read(armed[i], ev, 64);

			/* A full buffer lost events; what follows is still worth reading. */
			if (n == -ENOBUFS && !lost) {
				lost = true;
				t->nft_lost = true;
				continue;
			}
			if (n <= 0)
				break;
			if (!grow(&t->nft, t->nnft + (size_t)n, sizeof(*t->nft)) ||
			    !grow(&t->nft_ns, t->nnft + (size_t)n, sizeof(*t->nft_ns)))
				return;
			for (int k = 0; k < n; k++) {
				t->nft[t->nnft] = ev[k];
				t->nft_ns[t->nnft++] = i;
			}
		}
	}
}

static void *disarm_run(void *arg)
{
	nftrace_disarm(arg);
	return NULL;
}

/* Closing a trace listener waits for an RCU grace period, as closing a
 * capture does: disarm every namespace at once and close the captures
 * meanwhile, so the grace periods overlap. */
static void observers_remove(struct trace *t, struct nftrace **armed)
{
	pthread_t th[TRACE_MAX_NS];
	bool threaded[TRACE_MAX_NS] = { false };

	for (size_t i = 0; i < t->nns; i++) {
		if (!armed[i])
			continue;
		threaded[i] = pthread_create(&th[i], NULL, disarm_run, armed[i]) == 0;
		if (!threaded[i])
			nftrace_disarm(armed[i]);
	}
	capture_stop(t->cap);
	for (size_t i = 0; i < t->nns; i++)
		if (threaded[i])
			pthread_join(th[i], NULL);
}

/* conntrack in every namespace: entries whose original direction is the
 * probe as it was seen there; their reply tuple shows any NAT. */
void trace_ct_collect(struct trace *t)
{
	uint8_t proto = probe_ipproto(t->probe.proto);

	for (size_t i = 0; i < t->nns; i++) {
		struct ct_tuple want[TRACE_MAX_HOPS];
		struct ct_entry found[8];
		size_t nwant = 0;
		int n;

		for (size_t h = 0; h < t->nhops; h++) {
			const struct capture_pkt *k = t->hops[h].pkt;

			struct ct_tuple tu = { k->saddr, k->daddr, k->sport,
					       proto == IPPROTO_ICMP ? 0 : k->dport };
			bool dup = false;

			if (t->hops[h].ns != i || t->hops[h].reply || k->has_inner_err)
				continue;
			/* The same packet seen on two interfaces is one flow. */
			for (size_t w = 0; w < nwant && !dup; w++)
				dup = !memcmp(&want[w], &tu, sizeof(tu));
			if (!dup)
				want[nwant++] = tu;
		}
		/* The flow as the socket sent it: a node's probe to a Service is
		 * DNATed in OUTPUT and may be masqueraded to another port before
		 * any capture sees it, so only conntrack can tell its new name. */
		if (t->probe.saddr && t->src.netns && !strcmp(t->ns[i], t->src.netns) &&
		    nwant < TRACE_MAX_HOPS) {
			struct ct_tuple sent = { t->probe.saddr, t->dst.ip, t->probe.sport,
						 proto == IPPROTO_ICMP ? 0 : t->probe.dport };
			bool dup = false;

			for (size_t w = 0; w < nwant && !dup; w++)
				dup = !memcmp(&want[w], &sent, sizeof(sent));
			if (!dup)
				want[nwant++] = sent;
		}
		if (!nwant)
			continue;
		n = ct_lookup(t->ns[i], proto, want, nwant, found, 8);
		if (n <= 0)
			continue;
		if (!grow(&t->ct, t->nct + (size_t)n, sizeof(*t->ct)) ||
		    !grow(&t->ct_ns, t->nct + (size_t)n, sizeof(*t->ct_ns)))
			return;
		for (int k = 0; k < n; k++) {
			t->ct[t->nct] = found[k];
			t->ct_ns[t->nct++] = i;
		}
	}
}

/* From conntrack, the request-direction tuples of the probe's flow after
 * a source NAT that changed the port; true if any was new. */
static bool aliases_learn(struct trace *t)
{
	bool added = false;

	for (size_t i = 0; i < t->nct && t->nalias < sizeof(t->alias) / sizeof(t->alias[0]); i++) {
		const struct ct_entry *c = &t->ct[i];
		struct ct_tuple a = { c->reply.dst, c->reply.src, c->reply.dport, c->reply.sport };
		bool known = false;

		if (!c->snat || c->proto == IPPROTO_ICMP || c->reply.dport == c->orig.sport)
			continue;
		for (size_t k = 0; k < t->nalias && !known; k++)
			known = !memcmp(&t->alias[k], &a, sizeof(a));
		if (!known) {
			t->alias[t->nalias++] = a;
			added = true;
		}
	}
	return added;
}

/* A trace that could not arm or send, in a lab one of whose namespaces
 * was deleted by hand: that is the lab's fault, not the machine's, so exit
 * 1 saying so, as exec does, rather than the failure's own exit 3. */
static void ns_gone(const struct trace *t, struct pp_err *e)
{
	for (size_t i = 0; t->lab && i < t->nns; i++)
		if (!netns_is_pinned(t->ns[i])) {
			pp_err_set(e, PP_EXIT_FAIL, -ENOENT, "%s: namespace %s/%s is gone (lab "
				   "damaged? podpath --lab %s teardown, then setup)", t->ns_label[i],
				   NETNS_RUN_DIR, t->ns[i], t->lab->name);
			return;
		}
}

int trace_run(struct trace *t, struct pp_err *e)
{
	struct nftrace *armed[TRACE_MAX_NS] = { 0 };
	struct nftrace_match m = { 0 };
	char filter[512], tag[32];
	uint64_t t0 = now_ns(), t1;
	int ret;

	t->probe.fd = -1;
	t->last_hop = -1;
	t->proxy_pod = -1;
	trace_service_match(t);
	if (t->lab)
		ns_choose(t);
	t->probe.daddr = t->dst.ip;
	ret = probe_prepare(&t->probe, t->src.netns, e);
	if (ret < 0)
		goto out;
	filter_build(t, filter, sizeof(filter));
	ret = capture_open(&t->cap, t->ns, t->nns, filter, e);
	if (ret < 0)
		goto out;
	m.proto = probe_ipproto(t->probe.proto);
	/* Protocol and source port (echo id) only, both directions: after a
	 * DNAT the destination is another, and those packets count most. */
	m.sport = t->probe.sport;
	snprintf(tag, sizeof(tag), "%d", (int)getpid());
	for (size_t i = 0; i < t->nns; i++) {
		ret = nftrace_arm(t->ns[i], tag, &m, &armed[i], e);
		if (ret < 0)
			goto out;
	}
	t1 = now_ns();
	t->arm_ns = t1 - t0;
	probe_run(&t->probe, t->timeout_ms, &t->res);
	t->wait_ns = now_ns() - t1;
	/* Captures and trace events are queued synchronously on the packet's
	 * path, so all of them are waiting by the time the answer came back. */
	capture_drain(t->cap);
	nft_collect(t, armed);
	ret = trace_correlate(t, e);
	if (ret == 0)
		trace_ct_collect(t);	/* before the probe's socket closes the flow */
	/* A NAT that changed the source port hid the rest of the way from the
	 * first pass: follow the flow under its new name. */
	if (ret == 0 && aliases_learn(t))
		ret = trace_correlate(t, e);
	if (ret == 0 && (t->probe.proto == PROBE_HTTP || t->probe.proto == PROBE_HTTPS))
		ret = trace_upstream(t, e);
out:
	if (ret < 0)
		ns_gone(t, e);
	probe_close(&t->probe);
	observers_remove(t, armed);
	t->total_ns = now_ns() - t0;
	return ret;
}

void trace_free(struct trace *t)
{
	if (t->upstream) {
		trace_free(t->upstream);
		free(t->upstream);
		t->upstream = NULL;
	}
	if (!t->shares_capture)
		capture_close(t->cap);
	t->cap = NULL;
	/* The hops pointed into the capture: forget them with it. */
	t->nhops = 0;
	t->last_hop = -1;
	free(t->nft);
	free(t->nft_ns);
	t->nft = NULL;
	t->nft_ns = NULL;
	t->nnft = 0;
	free(t->ct);
	free(t->ct_ns);
	t->ct = NULL;
	t->ct_ns = NULL;
	t->nct = 0;
}

const char *trace_verdict_name(enum trace_verdict v)
{
	static const char *const names[] = {
		"delivered", "dropped", "refused", "unreachable", "no-route", "no-neighbour", "timeout",
		"ttl-exceeded", "asymmetric-return", "tls-failed",
	};

	return names[v];
}
