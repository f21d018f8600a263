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
#include "trace/diag/diag.h"
#include "trace/internal.h"
#include "self.h"

/* The captures' clock. */
static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

ssize_t trace_ns_add(struct trace *t, const char *netns, const char *label)
{
	char (*labels)[TRACE_LABEL_MAX], *name;
	const char **ns;

	for (size_t i = 0; i < t->nns; i++)
		if (!strcmp(t->ns[i], netns))
			return (ssize_t)i;
	if (strlen(label) >= TRACE_LABEL_MAX)
		return -ENAMETOOLONG;
	ns = realloc(t->ns, (t->nns + 1) * sizeof(*ns));
	if (ns)
		t->ns = ns;
	labels = realloc(t->ns_label, (t->nns + 1) * sizeof(*labels));
	if (labels)
		t->ns_label = labels;
	name = strdup(netns);
	if (!ns || !labels || !name) {
		free(name);
		return -ENOMEM;
	}
	t->ns[t->nns] = name;
	strcpy(t->ns_label[t->nns], label);
	return (ssize_t)t->nns++;
}

int trace_loss_set(struct trace *t, const char *observer, const char *what, ssize_t ns,
		   size_t left_out, size_t limit)
{
	struct trace_loss *l;

	for (size_t i = 0; i < t->nloss; i++) {
		l = &t->loss[i];
		if (strcmp(l->observer, observer) || strcmp(l->what, what) || l->ns != ns)
			continue;
		if (limit && !left_out) {	/* under the cap after all */
			memmove(l, l + 1, (t->nloss - i - 1) * sizeof(*l));
			t->nloss--;
			return 0;
		}
		l->left_out = left_out;
		l->limit = limit;
		return 0;
	}
	if (limit && !left_out)
		return 0;
	l = realloc(t->loss, (t->nloss + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	t->loss = l;
	t->loss[t->nloss++] = (struct trace_loss){ observer, what, ns, left_out, limit };
	return 0;
}

void trace_loss_clear(struct trace *t, const char *observer, const char *what)
{
	size_t w = 0;

	for (size_t i = 0; i < t->nloss; i++)
		if (strcmp(t->loss[i].observer, observer) || strcmp(t->loss[i].what, what))
			t->loss[w++] = t->loss[i];
	t->nloss = w;
}

/* kind is "pod", "node" or "" (then name alone labels it). 0 or -ENOMEM. */
static int ns_add(struct trace *t, const char *netns, const char *kind, const char *name)
{
	char *label;
	ssize_t i;

	if (!netns)
		return 0;
	/* A namespace on the way that was deleted under the lab (a pod gone,
	 * its endpoint still in kube-proxy's rules) cannot be watched: the
	 * trace goes on without it and says so, and the diagnosis names the
	 * gone pod. The source and destination still must exist. */
	if (t->lab && !netns_is_pinned(netns) && (!t->src.netns || strcmp(netns, t->src.netns)) &&
	    (!t->dst.netns || strcmp(netns, t->dst.netns))) {
		size_t gone = 1;

		for (size_t k = 0; k < t->nloss; k++)
			if (!strcmp(t->loss[k].observer, "lab") && !strcmp(t->loss[k].what, "namespace-gone"))
				gone += t->loss[k].left_out;
		return trace_loss_set(t, "lab", "namespace-gone", -1, gone, 0);
	}
	if (asprintf(&label, "%s%s%s", kind, *kind ? " " : "", name) < 0)
		return -ENOMEM;
	i = trace_ns_add(t, netns, label);
	free(label);
	return i < 0 ? (int)i : 0;
}

/* 0, or -ENOMEM. */
static int ns_add_endpoint(struct trace *t, const struct trace_endpoint *ep, bool node_first)
{
	const struct lab *l = t->lab;
	char pod[TOPO_LABEL_MAX * 2 + 2] = "";

	/* The place is the pod, "NS/NAME", whatever DST added (":8080"). */
	if (ep->kind == TRACE_EP_POD)
		snprintf(pod, sizeof(pod), "%s/%s", l->topo.pods[ep->pod].ns,
			 l->topo.pods[ep->pod].name);
	if (ep->kind == TRACE_EP_POD && !node_first && ns_add(t, ep->netns, "pod", pod) < 0)
		return -ENOMEM;
	if (ep->node >= 0 &&
	    ns_add(t, l->plan.nodes[ep->node].netns, "node", l->topo.nodes[ep->node].name) < 0)
		return -ENOMEM;
	if (ep->kind == TRACE_EP_POD && node_first && ns_add(t, ep->netns, "pod", pod) < 0)
		return -ENOMEM;
	if (ep->kind == TRACE_EP_INTERNET &&
	    ns_add(t, ep->netns, "internet host", l->topo.inet.hosts[ep->host].name) < 0)
		return -ENOMEM;
	return 0;
}

/* Service svc's endpoints (of port pi; SIZE_MAX: of any port) and their
 * nodes. 0, or -ENOMEM. */
static int ns_add_service(struct trace *t, size_t svc, size_t pi)
{
	const struct lab *l = t->lab;
	const struct topo_service *s = &l->topo.services[svc];

	for (size_t e = 0; e < s->nendpoints; e++) {
		size_t p = s->endpoints[e].pod;
		char label[TOPO_LABEL_MAX * 2 + 2];

		if (pi != SIZE_MAX && !s->endpoints[e].port[pi])
			continue;
		snprintf(label, sizeof(label), "%s/%s", l->topo.pods[p].ns, l->topo.pods[p].name);
		if (ns_add(t, l->plan.nodes[l->topo.pods[p].node].netns, "node",
			   l->topo.nodes[l->topo.pods[p].node].name) < 0 ||
		    ns_add(t, l->plan.pods[p].netns, "pod", label) < 0)
			return -ENOMEM;
	}
	return 0;
}

bool trace_is_proxy_pod(const struct lab *l, size_t pod)
{
	for (size_t c = 0; c < l->topo.pods[pod].ncontainers; c++)
		if (l->topo.pods[pod].containers[c].image == TOPO_IMAGE_NGINX)
			return true;
	return false;
}

/* Does the probe go to an ingress controller: the pod itself, or a
 * Service (its LoadBalancer) that has one behind it? */
static bool to_proxy(const struct trace *t)
{
	const struct topo_service *s = t->svc.svc >= 0 ? &t->lab->topo.services[t->svc.svc] : NULL;

	if (t->dst.pod >= 0 && trace_is_proxy_pod(t->lab, (size_t)t->dst.pod))
		return true;
	for (size_t e = 0; s && e < s->nendpoints; e++)
		if (trace_is_proxy_pod(t->lab, s->endpoints[e].pod))
			return true;
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
static int ns_choose(struct trace *t)
{
	const struct lab *l = t->lab;
	bool from_out = t->src.kind == TRACE_EP_INTERNET;
	bool to_out = t->dst.outside;

	if (ns_add_endpoint(t, &t->src, false) < 0)
		return -ENOMEM;
	if (from_out && ns_add(t, l->plan.inet_netns, "", "internet") < 0)
		return -ENOMEM;
	if (from_out && !to_out && ns_add(t, l->plan.gw_netns, "", "gateway") < 0)
		return -ENOMEM;
	if ((!from_out || !to_out) && ns_add(t, l->plan.vpc_netns, "", "VPC") < 0)
		return -ENOMEM;
	/* The load balancer takes what comes from outside for its addresses;
	 * a pod's packet to one is kube-proxy's on the pod's own node. */
	if (from_out && is_lb_ip(&l->topo, t->dst.ip) &&
	    ns_add(t, l->plan.lb_netns, "", "load balancer") < 0)
		return -ENOMEM;
	if (to_out && !from_out && (ns_add(t, l->plan.gw_netns, "", "gateway") < 0 ||
				    ns_add(t, l->plan.inet_netns, "", "internet") < 0))
		return -ENOMEM;
	if (ns_add_endpoint(t, &t->dst, true) < 0)
		return -ENOMEM;
	/* A Service: each endpoint, and its node, is a place it can end up. */
	if (t->svc.svc >= 0 && ns_add_service(t, (size_t)t->svc.svc, t->svc.port) < 0)
		return -ENOMEM;
	/* Behind a LoadBalancer IP or a NodePort any node may take the packet
	 * in (the load balancer picks one) and send it on to an endpoint
	 * elsewhere, under a new source port: unobserved, that node would
	 * leave a gap in the path no later pass could fill. */
	if (t->svc.svc >= 0 && (t->svc.nodeport || t->svc.lb))
		for (size_t i = 0; i < l->topo.nnodes; i++)
			if (ns_add(t, l->plan.nodes[i].netns, "node", l->topo.nodes[i].name) < 0)
				return -ENOMEM;
	/* An HTTP request to an ingress controller goes on in a connection of
	 * its own: every Ingress backend's pods and nodes are on the way. */
	if ((t->probe.proto == PROBE_HTTP || t->probe.proto == PROBE_HTTPS) && to_proxy(t))
		for (size_t i = 0; i < l->topo.ningresses; i++)
			for (size_t r = 0; r < l->topo.ingresses[i].nrules; r++)
				for (size_t k = 0; k < l->topo.ingresses[i].rules[r].npaths; k++)
					if (ns_add_service(t, l->topo.ingresses[i].rules[r].paths[k].svc,
							   SIZE_MAX) < 0)
						return -ENOMEM;
	/* An address on a node that no pod holds may be rewritten there (a
	 * DNAT): every pod of that node is a place it can end up. */
	if (t->dst.kind == TRACE_EP_IP && t->dst.node >= 0)
		for (size_t i = 0; i < l->topo.npods; i++)
			if (l->topo.pods[i].node == (size_t)t->dst.node) {
				char label[TOPO_LABEL_MAX * 2 + 2];

				snprintf(label, sizeof(label), "%s/%s", l->topo.pods[i].ns,
					 l->topo.pods[i].name);
				if (ns_add(t, l->plan.pods[i].netns, "pod", label) < 0)
					return -ENOMEM;
			}
	return 0;
}

/* The addresses of the lab's ingress controllers when t's probe is an
 * HTTP request (it may end at one, which goes on in a connection of its
 * own, upstream.c), into *hosts (malloc'd, *n of them; NULL when none).
 * 0, or -ENOMEM. */
static int proxy_hosts(const struct trace *t, uint32_t **hosts, size_t *n)
{
	*hosts = NULL;
	*n = 0;
	if (!t->lab || (t->probe.proto != PROBE_HTTP && t->probe.proto != PROBE_HTTPS))
		return 0;
	for (size_t i = 0; i < t->lab->topo.npods; i++) {
		uint32_t *h;

		if (!trace_is_proxy_pod(t->lab, i))
			continue;
		h = realloc(*hosts, (*n + 1) * sizeof(**hosts));
		if (!h) {
			free(*hosts);
			*hosts = NULL;
			return -ENOMEM;
		}
		*hosts = h;
		(*hosts)[(*n)++] = t->lab->topo.pods[i].ip;
	}
	return 0;
}

/* The flow's packets, ICMP errors about it, ARP (to see unresolved next
 * hops) and VXLAN (inner packets are matched after decoding), into
 * *filter (malloc'd); what the filter's caps left out is recorded as an
 * observer loss. 0, or -ENOMEM. */
static int filter_make(struct trace *t, char **filter)
{
	struct trace_filter_in in = { .proto = t->probe.proto, .sport = t->probe.sport,
				      .any_flow = !t->lab && t->probe.proto != PROBE_ICMP };
	struct trace_filter_left left = { 0 };
	uint16_t *ports = NULL;
	uint32_t *hosts = NULL;
	int ret = -ENOMEM;

	/* Behind a Service a masquerade may change the source port (NodePort
	 * traffic): the endpoints' own ports. */
	if (t->svc.svc >= 0) {
		const struct topo_service *s = &t->lab->topo.services[t->svc.svc];

		ports = calloc(s->nendpoints ? s->nendpoints : 1, sizeof(*ports));
		if (!ports)
			goto out;
		for (size_t e = 0; e < s->nendpoints; e++)
			ports[in.nports++] = s->endpoints[e].port[t->svc.port];
	}
	/* An HTTP request may end at an ingress controller: its own
	 * connection to the backend (upstream.c). */
	if (proxy_hosts(t, &hosts, &in.nhosts) < 0)
		goto out;
	in.ports = ports;
	in.hosts = hosts;
	ret = trace_filter_build(&in, filter, &left);
	if (ret == 0 && left.ports)
		ret = trace_loss_set(t, "pcap", "filter-ports", -1, left.ports,
				     TRACE_FILTER_MAX_PORTS);
	if (ret == 0 && left.hosts)
		ret = trace_loss_set(t, "pcap", "filter-hosts", -1, left.hosts,
				     TRACE_FILTER_MAX_HOSTS);
out:
	free(ports);
	free(hosts);
	return ret;
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

/* Every waiting trace event of every namespace; a listener whose buffer
 * overflowed (ENOBUFS) or that could not be read is an observer loss of
 * that namespace. 0, or -ENOMEM. */
static int nft_collect(struct trace *t, struct nftrace **armed)
{
	struct nftrace_event ev[64];
	int ret = 0;

	for (size_t i = 0; i < t->nns && ret == 0; i++) {
		bool lost = false;
		int n = 0;

		/* A full buffer lost events; what follows is still worth
		 * reading (the overflow is reported after the events read
		 * before it). A second overflow means the namespace traces
		 * faster than it can be read: stop there. */
		while (armed[i] && ret == 0) {
			n = nftrace_read(armed[i], ev, 64);
			if (n == -ENOBUFS) {
				t->nft_lost = true;
				ret = trace_loss_set(t, "nftrace", "events", (ssize_t)i, 0, 0);
				if (lost)
					break;
				lost = true;
				continue;
			}
			if (n < 0)
				ret = trace_loss_set(t, "nftrace", "read", (ssize_t)i, 0, 0);
			if (n <= 0)
				break;
			if (!grow(&t->nft, t->nnft + (size_t)n, sizeof(*t->nft)) ||
			    !grow(&t->nft_ns, t->nnft + (size_t)n, sizeof(*t->nft_ns)))
				ret = -ENOMEM;
			for (int k = 0; k < n && ret == 0; k++) {
				t->nft[t->nnft] = ev[k];
				t->nft_ns[t->nnft++] = i;
			}
		}
	}
	return ret;
}

/* What each capture handle's ring could not hold. 0, or -ENOMEM. */
static int pcap_losses(struct trace *t)
{
	int ret = 0;

	for (size_t i = 0; i < t->nns && ret == 0; i++) {
		unsigned long n = capture_dropped(t->cap, i);
		unsigned long l2 = capture_l2_lost(t->cap, i);

		if (n)
			ret = trace_loss_set(t, "pcap", "packets", (ssize_t)i, n, 0);
		/* Hops there may lack their destination MAC: said. */
		if (ret == 0 && l2)
			ret = trace_loss_set(t, "pcap", "l2-headers", (ssize_t)i, l2, 0);
	}
	return ret;
}

struct drops_job {
	struct trace *t;
	struct dropwatch *dw;
};

static void *dropwatch_arm_run(void *arg)
{
	struct drops_job *j = arg;

	j->dw = trace_dropwatch_arm(j->t);
	return NULL;
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
	pthread_t *th = calloc(t->nns ? t->nns : 1, sizeof(*th));
	bool *threaded = calloc(t->nns ? t->nns : 1, sizeof(*threaded));

	/* Without memory for the threads, one after another: slower, but
	 * every rule still goes. */
	for (size_t i = 0; armed && i < t->nns; i++) {
		if (!armed[i])
			continue;
		if (th && threaded)
			threaded[i] = pthread_create(&th[i], NULL, disarm_run, armed[i]) == 0;
		if (!threaded || !threaded[i])
			nftrace_disarm(armed[i]);
	}
	capture_stop(t->cap);
	for (size_t i = 0; th && threaded && i < t->nns; i++)
		if (threaded[i])
			pthread_join(th[i], NULL);
	free(th);
	free(threaded);
}

/* conntrack in every namespace: entries whose original direction is the
 * probe as it was seen there; their reply tuple shows any NAT. */
void trace_ct_collect(struct trace *t)
{
	uint8_t proto = probe_ipproto(t->probe.proto);

	for (size_t i = 0; i < t->nns; i++) {
		/* Each hop's tuple and the one the socket sent: each is looked
		 * up exactly, so no more entries than tuples come back. */
		struct ct_tuple want[TRACE_MAX_HOPS + 1];
		struct ct_entry found[TRACE_MAX_HOPS + 1];
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
		if (t->probe.saddr && t->src.netns && !strcmp(t->ns[i], t->src.netns)) {
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
		n = ct_lookup(t->ns[i], proto, want, nwant, found, nwant);
		/* A lookup that failed is not "no entry": said, not skipped. */
		if (n < 0 && trace_loss_set(t, "conntrack", "lookup", (ssize_t)i, 0, 0) < 0)
			return;
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
 * a source NAT that changed the port: 1 if any was new, 0, or -ENOMEM. */
static int aliases_learn(struct trace *t)
{
	bool added = false;
	size_t left = 0;

	for (size_t i = 0; i < t->nct; i++) {
		const struct ct_entry *c = &t->ct[i];
		struct ct_tuple a = { c->reply.dst, c->reply.src, c->reply.dport, c->reply.sport };
		bool known = false;

		if (!c->snat || c->proto == IPPROTO_ICMP || c->reply.dport == c->orig.sport)
			continue;
		for (size_t k = 0; k < t->nalias && !known; k++)
			known = !memcmp(&t->alias[k], &a, sizeof(a));
		if (!known && t->nalias == TRACE_MAX_ALIASES) {
			left++;
		} else if (!known) {
			t->alias[t->nalias++] = a;
			added = true;
		}
	}
	/* Past the cap the flow's further names are not followed: said. */
	if (left && trace_loss_set(t, "conntrack", "nat-aliases", -1, left, TRACE_MAX_ALIASES) < 0)
		return -ENOMEM;
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
				   "damaged? %s --lab %s teardown, then setup)", t->ns_label[i],
				   NETNS_RUN_DIR, t->ns[i], pp_self(), t->lab->name);
			return;
		}
}

int trace_run(struct trace *t, struct pp_err *e)
{
	struct nftrace **armed = NULL;
	struct dropwatch *dw = NULL;
	struct drops_job dj = { t, NULL };
	pthread_t drops_th;
	bool drops_threaded = false;
	struct iptwatch *iw = NULL;
	struct nftrace_match m = { 0 };
	uint32_t *hosts = NULL;
	char *filter = NULL, tag[32];
	uint64_t t0 = now_ns(), t1;
	int ret;

	t->probe.fd = -1;
	t->probe.stop_fd = -1;
	t->last_hop = -1;
	t->proxy_pod = -1;
	trace_service_match(t);
	ret = t->lab ? ns_choose(t) : 0;
	if (ret == 0)
		armed = calloc(t->nns ? t->nns : 1, sizeof(*armed));
	if (ret < 0 || !armed) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
		goto out;
	}
	t->probe.daddr = t->dst.ip;
	ret = probe_prepare(&t->probe, t->src.netns, e);
	if (ret < 0)
		goto out;
	/* --arp: before any observer, so nothing the probe did not cause
	 * is taken for its exchange. */
	if (t->flush_arp && (ret = trace_arp_flush(t, e)) < 0)
		goto out;
	ret = filter_make(t, &filter);
	if (ret < 0) {
		pp_err_set(e, PP_EXIT_FAIL, ret, "out of memory");
		goto out;
	}
	ret = capture_open(&t->cap, t->ns, t->nns, filter, e);
	if (ret < 0)
		goto out;
	m.proto = probe_ipproto(t->probe.proto);
	/* Protocol and source port (echo id) only, both directions: after a
	 * DNAT the destination is another, and those packets count most. */
	m.sport = t->probe.sport;
	/* And an ingress controller's own connections, among them the one it
	 * opens for the probe's request (its events are told apart later). */
	ret = proxy_hosts(t, &hosts, &m.nhosts);
	if (ret < 0) {
		pp_err_set(e, PP_EXIT_FAIL, ret, "out of memory");
		goto out;
	}
	m.hosts = hosts;
	snprintf(tag, sizeof(tag), "%d", (int)getpid());
	/* Kernel drops (where BPF cannot run, t->drops_off says why), loaded
	 * while the trace tables are armed: the verifier and the tables'
	 * commits wait on different things. */
	if (t->no_drops)
		snprintf(t->drops_off, sizeof(t->drops_off), "not watched (--no-kernel-drops)");
	else
		drops_threaded = pthread_create(&drops_th, NULL, dropwatch_arm_run, &dj) == 0;
	for (size_t i = 0; i < t->nns && ret == 0; i++)
		ret = nftrace_arm(t->ns[i], tag, &m, &armed[i], e);
	if (drops_threaded)
		pthread_join(drops_th, NULL);
	else if (!t->no_drops)
		dropwatch_arm_run(&dj);
	dw = dj.dw;
	if (ret < 0)
		goto out;
	iw = trace_iptwatch_arm(t);
	t1 = now_ns();
	t->arm_ns = t1 - t0;
	t->sent_ns = realtime_ns();
	probe_run(&t->probe, t->timeout_ms, &t->res);
	t->wait_ns = now_ns() - t1;
	/* Captures and trace events are queued synchronously on the packet's
	 * path, so all of them are waiting by the time the answer came back. */
	capture_drain(t->cap);
	ret = nft_collect(t, armed);
	if (ret == 0)
		ret = pcap_losses(t);
	if (ret == 0)
		ret = trace_dropwatch_collect(dw);
	if (ret == 0)
		ret = trace_iptwatch_collect(iw, t);
	if (ret < 0) {
		pp_err_set(e, PP_EXIT_FAIL, ret, "out of memory");
		goto out;
	}
	ret = trace_correlate(t, e);
	if (ret == 0)
		trace_ct_collect(t);	/* before the probe's socket closes the flow */
	/* A NAT that changed the source port hid the rest of the way from the
	 * first pass: follow the flow under its new name. */
	if (ret == 0) {
		ret = aliases_learn(t);
		if (ret < 0)
			pp_err_set(e, PP_EXIT_FAIL, ret, "out of memory");
		else if (ret > 0)
			ret = trace_correlate(t, e);
	}
	if (ret == 0 && trace_arp_find(t) < 0)
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	if (ret == 0 && (t->probe.proto == PROBE_HTTP || t->probe.proto == PROBE_HTTPS))
		ret = trace_upstream(t, e);
out:
	if (ret < 0)
		ns_gone(t, e);
	probe_close(&t->probe);
	trace_dropwatch_close(dw);
	trace_iptwatch_close(iw);
	observers_remove(t, armed);
	free(armed);
	free(filter);
	free(hosts);
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
	free(t->arp);
	t->arp = NULL;
	t->narp = 0;
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
	for (size_t i = 0; i < t->nns; i++)
		free((char *)t->ns[i]);
	free(t->ns);
	free(t->ns_label);
	t->ns = NULL;
	t->ns_label = NULL;
	t->nns = 0;
	free(t->reason);
	t->reason = NULL;
	diag_free(t);
	t->cause = NULL;
	trace_policy_free(t);
	free(t->drops);
	t->drops = NULL;
	t->ndrops = 0;
	free(t->ipt);
	t->ipt = NULL;
	t->nipt = 0;
	lab_check_free(&t->plan);
	free(t->loss);
	t->loss = NULL;
	t->nloss = 0;
}
