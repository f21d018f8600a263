/* break_faults — the catalogue: each fault a row of small functions (does
 * the lab have what it needs, which targets it can act on, its default
 * target, the changes it makes, the trace that shows it); see break.h.
 *
 * Defaults follow one pair of pods, the default lab's `trace client web-2`:
 * the first pod, and the first pod on another node that serves TCP. Pod
 * faults act on that destination, node faults on its node, so that the
 * suggested trace fails in the default lab. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include <libnftnl/set.h>

#include "edge/edge.h"
#include "lab/bgp.h"
#include "lab/break_int.h"
#include "policy/policy.h"
#include "proxy/names.h"
#include "proxy/proxy.h"

#define NFPROTO_IP NFPROTO_IPV4
#define MTU_SMALL 576	/* what every IPv4 host must take; far below a TLS server's flight */

/* ---- what the topology offers ------------------------------------------------ */

/* The container serving pod p's first TCP port with the responder, and the
 * port; false if none. */
static bool pod_tcp(const struct topo *t, size_t p, size_t *ci, uint16_t *port)
{
	const struct topo_pod *pod = &t->pods[p];

	for (size_t c = 0; c < pod->ncontainers; c++) {
		const struct topo_container *k = &pod->containers[c];

		for (size_t i = 0; k->image == TOPO_IMAGE_RESPONDER && i < k->nports; i++)
			if (k->ports[i].proto == TOPO_PROTO_TCP) {
				if (ci)
					*ci = c;
				if (port)
					*port = k->ports[i].port;
				return true;
			}
	}
	return false;
}

static bool pod_dnsmasq(const struct topo *t, size_t p, size_t *ci)
{
	for (size_t c = 0; c < t->pods[p].ncontainers; c++)
		if (t->pods[p].containers[c].image == TOPO_IMAGE_DNSMASQ) {
			*ci = c;
			return true;
		}
	return false;
}

/* The first pod on node n (serving TCP when tcp), or -1. */
static ssize_t pod_on(const struct topo *t, size_t n, bool tcp)
{
	for (size_t p = 0; p < t->npods; p++)
		if (t->pods[p].node == n && (!tcp || pod_tcp(t, p, NULL, NULL)))
			return (ssize_t)p;
	return -1;
}

/* A pod to start a trace to `dst` from: the first pod on another node, else
 * the first other pod; -1 if dst is the only pod. */
static ssize_t pod_source(const struct topo *t, size_t dst)
{
	ssize_t other = -1;

	for (size_t p = 0; p < t->npods; p++) {
		if (p == dst)
			continue;
		if (t->pods[p].node != t->pods[dst].node)
			return (ssize_t)p;
		if (other < 0)
			other = (ssize_t)p;
	}
	return other;
}

/* A pod on another node than n, or -1. */
static ssize_t pod_off(const struct topo *t, size_t n)
{
	for (size_t p = 0; p < t->npods; p++)
		if (t->pods[p].node != n)
			return (ssize_t)p;
	return -1;
}

/* The default destination: the first pod on another node than the first
 * pod's that serves TCP (web-2), else any other pod serving TCP. */
static ssize_t default_dst(const struct topo *t)
{
	ssize_t any = -1;

	for (size_t p = 1; p < t->npods; p++) {
		if (!pod_tcp(t, p, NULL, NULL))
			continue;
		if (t->pods[p].node != t->pods[0].node)
			return (ssize_t)p;
		if (any < 0)
			any = (ssize_t)p;
	}
	return any;
}

static void pod_label(const struct topo *t, size_t p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->pods[p].ns, t->pods[p].name);
}

/* An internet host serving TCP with the responder, or -1. */
static ssize_t inet_server(const struct topo *t)
{
	for (size_t h = 0; h < t->inet.nhosts; h++)
		for (size_t i = 0; t->inet.hosts[h].image == TOPO_IMAGE_RESPONDER &&
		     i < t->inet.hosts[h].nports; i++)
			if (t->inet.hosts[h].ports[i].proto == TOPO_PROTO_TCP)
				return (ssize_t)h;
	return -1;
}

/* An internet host to start from: a client (runs nothing) if there is one. */
static ssize_t inet_client(const struct topo *t)
{
	for (size_t h = 0; h < t->inet.nhosts; h++)
		if (t->inet.hosts[h].image == TOPO_IMAGE_NONE)
			return (ssize_t)h;
	return t->inet.nhosts ? 0 : -1;
}

/* The first TLS host of an Ingress, or NULL. */
static const char *tls_host(const struct topo *t)
{
	for (size_t i = 0; i < t->ningresses; i++)
		if (t->ingresses[i].ntls)
			return t->ingresses[i].tls_hosts[0];
	return NULL;
}

/* How many endpoints serve port pi of Service s. */
static size_t port_eps(const struct topo_service *s, size_t pi)
{
	return topo_svc_port_endpoints(s, pi);
}

/* A Service port that pod p alone serves: *svc, *pi; false if none. */
static bool sole_endpoint(const struct topo *t, size_t p, size_t *svc, size_t *pi)
{
	for (size_t si = 0; si < t->nservices; si++) {
		const struct topo_service *s = &t->services[si];

		if (s->type == TOPO_SVC_HEADLESS)
			continue;
		for (size_t k = 0; k < s->nports; k++) {
			if (port_eps(s, k) != 1)
				continue;
			for (size_t e = 0; e < s->nendpoints; e++)
				if (s->endpoints[e].pod == p && s->endpoints[e].port[k]) {
					*svc = si;
					*pi = k;
					return true;
				}
		}
	}
	return false;
}

/* Does pod p serve port pi of s? */
static bool serves(const struct topo_service *s, size_t pi, size_t p)
{
	for (size_t e = 0; e < s->nendpoints; e++)
		if (s->endpoints[e].pod == p && s->endpoints[e].port[pi])
			return true;
	return false;
}

/* The cluster DNS Service (kube-dns's ClusterIP), or NULL. */
static const struct topo_service *dns_service(const struct topo *t)
{
	uint32_t ip = topo_dns_ip(t);

	for (size_t i = 0; i < t->nservices; i++)
		if (t->services[i].cluster_ip == ip && t->services[i].type != TOPO_SVC_HEADLESS)
			return &t->services[i];
	return NULL;
}

/* The CIDR that holds node n's pods: its pod CIDR; in vpc networking (no
 * such CIDR) the /32 of the pod a trace to n goes to. */
static struct cidr node_pods(const struct topo *t, size_t n)
{
	ssize_t p;

	if (t->net.mode != TOPO_MODE_VPC)
		return t->nodes[n].pod_cidr;
	p = pod_on(t, n, true);
	if (p < 0)
		p = pod_on(t, n, false);
	return (struct cidr){ p >= 0 ? t->pods[p].ip : 0, 32 };
}

static bool addr_taken(const struct topo *t, uint32_t a, const uint32_t *also, size_t nalso)
{
	for (size_t p = 0; p < t->npods; p++)
		if (t->pods[p].ip == a)
			return true;
	for (size_t n = 0; n < t->nnodes; n++)
		if (t->nodes[n].ip == a || t->nodes[n].gw == a)
			return true;
	for (size_t i = 0; i < nalso; i++)
		if (also[i] == a)
			return true;
	return a == t->net.vpc_router;
}

/* An address of c that nobody in the lab holds (nor any of also[]): where
 * a pod used to be. From the top, below the broadcast address; 0 if none. */
static uint32_t addr_free(const struct topo *t, struct cidr c, const uint32_t *also, size_t nalso)
{
	for (uint32_t a = cidr_last(&c) - 1; a > c.addr; a--)
		if (!addr_taken(t, a, also, nalso))
			return a;
	return 0;
}

/* ---- why not ---------------------------------------------------------------- */

static bool why(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return false;
}

static int needs_nodes(const struct lab *l, char *buf, size_t len)
{
	if (l->topo.nnodes >= 2)
		return 0;
	snprintf(buf, len, "it needs two nodes at least (traffic between nodes)");
	return -EOPNOTSUPP;
}

static int needs_lb(const struct lab *l, char *buf, size_t len)
{
	const struct topo *t = &l->topo;

	for (size_t i = 0; i < t->nservices; i++)
		if (t->services[i].type == TOPO_SVC_LOADBALANCER && t->services[i].nendpoints &&
		    inet_client(t) >= 0)
			return 0;
	snprintf(buf, len, "it needs a LoadBalancer Service with endpoints and an internet host");
	return -EOPNOTSUPP;
}

static int needs_internet(const struct lab *l, char *buf, size_t len)
{
	if (inet_client(&l->topo) >= 0)
		return 0;
	snprintf(buf, len, "it needs an internet host");
	return -EOPNOTSUPP;
}

static int needs_tls_ingress(const struct lab *l, char *buf, size_t len)
{
	const struct topo *t = &l->topo;

	if (topo_ingress_lb(t) && tls_host(t) && topo_inet_dns(t) && inet_client(t) >= 0)
		return 0;
	snprintf(buf, len, "it needs an Ingress with a TLS host behind a LoadBalancer, the "
		 "internet DNS and an internet host");
	return -EOPNOTSUPP;
}

static int needs_web_server(const struct lab *l, char *buf, size_t len)
{
	if (inet_server(&l->topo) >= 0 && l->topo.npods)
		return 0;
	snprintf(buf, len, "it needs an internet host serving TCP");
	return -EOPNOTSUPP;
}

/* Into node n: a pod on it to reach, and one elsewhere to come from. */
static bool node_reachable(const struct lab *l, const struct lab_break_target *t, char *buf,
			   size_t len)
{
	const struct topo *tp = &l->topo;

	if (pod_on(tp, t->index, false) < 0)
		return why(buf, len, "node %s runs no pod to reach", tp->nodes[t->index].name);
	if (pod_off(tp, t->index) < 0)
		return why(buf, len, "no pod runs on another node than %s", tp->nodes[t->index].name);
	return true;
}

/* A pod that another pod can reach. */
static bool pod_reachable(const struct lab *l, const struct lab_break_target *t, char *buf,
			  size_t len)
{
	if (pod_source(&l->topo, t->index) >= 0)
		return true;
	return why(buf, len, "%s", "no other pod to reach it from");
}

static bool pod_serves_tcp(const struct lab *l, const struct lab_break_target *t, char *buf,
			   size_t len)
{
	if (!pod_tcp(&l->topo, t->index, NULL, NULL))
		return why(buf, len, "%s", "it runs no responder container serving TCP");
	return pod_reachable(l, t, buf, len);
}

static bool pod_runs_cluster_dns(const struct lab *l, const struct lab_break_target *t,
				 char *buf, size_t len)
{
	const struct topo_service *s = dns_service(&l->topo);
	size_t ci;

	if (!pod_dnsmasq(&l->topo, t->index, &ci) || !s || !serves(s, 0, t->index))
		return why(buf, len, "%s", "it does not run the cluster DNS (dnsmasq behind kube-dns)");
	if (port_eps(s, 0) != 1)
		return why(buf, len, "%s", "the cluster DNS has other endpoints that still answer");
	return pod_reachable(l, t, buf, len);
}

static bool pod_sole_endpoint(const struct lab *l, const struct lab_break_target *t, char *buf,
			      size_t len)
{
	size_t s, pi;

	if (!sole_endpoint(&l->topo, t->index, &s, &pi))
		return why(buf, len, "%s", "it is not the only endpoint of any Service port (a "
			   "pod reaching its own Service is sent back to itself only then)");
	return true;
}

/* A Service port with endpoints and a pod outside them to come from. */
static bool svc_port_served(const struct lab *l, const struct lab_break_target *t, char *buf,
			    size_t len)
{
	const struct topo_service *s = &l->topo.services[t->index];

	if (s->type == TOPO_SVC_HEADLESS)
		return why(buf, len, "%s", "it is headless (no ClusterIP, no kube-proxy rules)");
	if (!port_eps(s, t->port))
		return why(buf, len, "%s", "that port has no endpoints already");
	for (size_t p = 0; p < l->topo.npods; p++)
		if (!serves(s, t->port, p))
			return true;
	return why(buf, len, "%s", "every pod is one of its endpoints: none to come from");
}

static bool node_masqueraded(const struct lab *l, const struct lab_break_target *t, char *buf,
			     size_t len)
{
	if (pod_on(&l->topo, t->index, false) < 0)
		return why(buf, len, "node %s runs no pod to go out from",
			   l->topo.nodes[t->index].name);
	return true;
}

static bool node_public(const struct lab *l, const struct lab_break_target *t, char *buf,
			size_t len)
{
	if (!l->topo.nodes[t->index].public_ip)
		return why(buf, len, "node %s has no public address", l->topo.nodes[t->index].name);
	return true;
}

/* The node runs the ingress controller behind the LoadBalancer. */
static bool node_ingress(const struct lab *l, const struct lab_break_target *t, char *buf,
			 size_t len)
{
	const struct topo_service *s = topo_ingress_lb(&l->topo);

	for (size_t e = 0; s && e < s->nendpoints; e++)
		if (l->topo.pods[s->endpoints[e].pod].node == t->index)
			return true;
	return why(buf, len, "node %s runs no ingress controller (the TLS handshake through "
		   "it is what a smaller MTU breaks)", l->topo.nodes[t->index].name);
}

/* A pod no policy isolates for ingress yet: a deny-all adds no allow, so
 * there it denies everything; where a policy isolates the pod already, the
 * allows of that policy would still admit what they admit. */
static bool pod_ingress_open(const struct lab *l, const struct lab_break_target *t, char *buf,
			     size_t len)
{
	const struct topo *tp = &l->topo;

	for (size_t i = 0; i < tp->npolicies; i++)
		if (policy_isolates(tp, &tp->policies[i], t->index, POLICY_INGRESS))
			return why(buf, len, "NetworkPolicy %s/%s isolates its ingress already (a "
				   "deny-all would add no deny: the allows of all policies add up)",
				   tp->policies[i].ns, tp->policies[i].name);
	for (size_t i = 0; i < tp->npolicies; i++)
		if (!strcmp(tp->policies[i].ns, tp->pods[t->index].ns) &&
		    !strcmp(tp->policies[i].name, LAB_BREAK_POLICY_NAME))
			return why(buf, len, "its namespace has a NetworkPolicy named %s already",
				   LAB_BREAK_POLICY_NAME);
	return pod_reachable(l, t, buf, len);
}

/* ---- default targets ----------------------------------------------------------- */

static ssize_t default_pod(const struct lab *l)
{
	return default_dst(&l->topo);
}

static ssize_t default_node(const struct lab *l)
{
	ssize_t p = default_dst(&l->topo);

	return p < 0 ? -1 : (ssize_t)l->topo.pods[p].node;
}

static ssize_t default_src_node(const struct lab *l)
{
	return l->topo.npods ? (ssize_t)l->topo.pods[0].node : -1;
}

static ssize_t default_ingress_node(const struct lab *l)
{
	const struct topo_service *s = topo_ingress_lb(&l->topo);

	return s && s->nendpoints ? (ssize_t)l->topo.pods[s->endpoints[0].pod].node : -1;
}

static ssize_t default_dns_pod(const struct lab *l)
{
	const struct topo_service *s = dns_service(&l->topo);

	return s && s->nendpoints ? (ssize_t)s->endpoints[0].pod : -1;
}

static ssize_t default_hairpin_pod(const struct lab *l)
{
	size_t s, pi;

	for (size_t p = 0; p < l->topo.npods; p++)
		if (sole_endpoint(&l->topo, p, &s, &pi))
			return (ssize_t)p;
	return -1;
}

static ssize_t default_svc(const struct lab *l)
{
	for (size_t i = 0; i < l->topo.nservices; i++)
		if (l->topo.services[i].type != TOPO_SVC_HEADLESS && port_eps(&l->topo.services[i], 0))
			return (ssize_t)i;
	return -1;
}

static ssize_t default_vpc(const struct lab *l)
{
	(void)l;
	return 0;
}

/* ---- suggested traces ------------------------------------------------------------ */

static void trace_to_pod(const struct lab *l, const struct lab_break_target *t, char *buf,
			 size_t len)
{
	char s[2 * TOPO_LABEL_MAX + 2], d[2 * TOPO_LABEL_MAX + 2];
	ssize_t src = pod_source(&l->topo, t->index);

	pod_label(&l->topo, t->index, d, sizeof(d));
	if (src < 0) {
		snprintf(buf, len, "trace node/%s %s", l->topo.nodes[l->topo.pods[t->index].node].name,
			 d);
		return;
	}
	pod_label(&l->topo, (size_t)src, s, sizeof(s));
	snprintf(buf, len, "trace %s %s", s, d);
}

static void trace_into_node(const struct lab *l, const struct lab_break_target *t, char *buf,
			    size_t len)
{
	const struct topo *tp = &l->topo;
	ssize_t dst = pod_on(tp, t->index, true), src;
	char s[2 * TOPO_LABEL_MAX + 2], d[2 * TOPO_LABEL_MAX + 2];

	if (dst < 0)
		dst = pod_on(tp, t->index, false);
	src = dst < 0 ? -1 : pod_off(tp, t->index);
	if (src < 0) {
		snprintf(buf, len, "(node %s: no pod to trace between)", tp->nodes[t->index].name);
		return;
	}
	pod_label(tp, (size_t)src, s, sizeof(s));
	pod_label(tp, (size_t)dst, d, sizeof(d));
	snprintf(buf, len, "trace %s %s", s, d);
}

static void trace_egress(const struct lab *l, const struct lab_break_target *t, char *buf,
			 size_t len)
{
	const struct topo *tp = &l->topo;
	ssize_t src = pod_on(tp, t->index, false), h = inet_server(tp);
	char s[2 * TOPO_LABEL_MAX + 2];

	if (src < 0 || h < 0) {
		snprintf(buf, len, "(node %s: no pod or internet server to trace between)",
			 tp->nodes[t->index].name);
		return;
	}
	pod_label(tp, (size_t)src, s, sizeof(s));
	snprintf(buf, len, "trace %s internet/%s", s, tp->inet.hosts[h].name);
}

static void trace_public(const struct lab *l, const struct lab_break_target *t, char *buf,
			 size_t len)
{
	const struct topo *tp = &l->topo;
	ssize_t h = inet_client(tp);
	char a[ADDR_STRLEN];

	snprintf(buf, len, "trace internet/%s %s -p icmp", h >= 0 ? tp->inet.hosts[h].name : "?",
		 addr_fmt(tp->nodes[t->index].public_ip, a));
}

static void trace_tls(const struct lab *l, const struct lab_break_target *t, char *buf,
		      size_t len)
{
	const struct topo *tp = &l->topo;
	ssize_t h = inet_client(tp);
	const char *host = tls_host(tp);

	(void)t;
	snprintf(buf, len, "trace internet/%s https://%s/", h >= 0 ? tp->inet.hosts[h].name : "?",
		 host ? host : "?");
}

static void trace_lb(const struct lab *l, const struct lab_break_target *t, char *buf, size_t len)
{
	const struct topo *tp = &l->topo;
	ssize_t h = inet_client(tp);
	char a[ADDR_STRLEN];

	(void)t;
	for (size_t i = 0; i < tp->nservices; i++) {
		const struct topo_service *s = &tp->services[i];

		if (s->type != TOPO_SVC_LOADBALANCER || !s->nendpoints)
			continue;
		snprintf(buf, len, "trace internet/%s %s:%u", h >= 0 ? tp->inet.hosts[h].name : "?",
			 addr_fmt(s->lb_ip, a), s->ports[0].port);
		return;
	}
	snprintf(buf, len, "(no LoadBalancer Service to trace)");
}

/* From a pod that is not an endpoint of the port, to the Service port. */
static void trace_svc(const struct lab *l, const struct lab_break_target *t, char *buf,
		      size_t len)
{
	const struct topo *tp = &l->topo;
	const struct topo_service *s = &tp->services[t->index];
	char p[2 * TOPO_LABEL_MAX + 2] = "?", ref[3 * TOPO_LABEL_MAX + 16];

	for (size_t i = 0; i < tp->npods; i++)
		if (!serves(s, t->port, i)) {
			pod_label(tp, i, p, sizeof(p));
			break;
		}
	brk_svc_port_ref(s, t->port, ref, sizeof(ref));
	snprintf(buf, len, "trace %s %s", p, ref);
}

static void trace_dns(const struct lab *l, const struct lab_break_target *t, char *buf,
		      size_t len)
{
	const struct topo *tp = &l->topo;
	const struct topo_service *s = dns_service(tp);
	ssize_t src = pod_source(tp, t->index);
	char p[2 * TOPO_LABEL_MAX + 2] = "?";

	if (src >= 0)
		pod_label(tp, (size_t)src, p, sizeof(p));
	snprintf(buf, len, "trace %s svc/%s/%s", p, s ? s->ns : "?", s ? s->name : "?");
}

static void trace_hairpin(const struct lab *l, const struct lab_break_target *t, char *buf,
			  size_t len)
{
	const struct topo *tp = &l->topo;
	char p[2 * TOPO_LABEL_MAX + 2], ref[3 * TOPO_LABEL_MAX + 16];
	size_t si = 0, pi = 0;

	pod_label(tp, t->index, p, sizeof(p));
	if (!sole_endpoint(tp, t->index, &si, &pi)) {
		snprintf(buf, len, "(pod %s serves no Service alone)", p);
		return;
	}
	brk_svc_port_ref(&tp->services[si], pi, ref, sizeof(ref));
	snprintf(buf, len, "trace %s %s", p, ref);
}

/* ---- the faults' changes ----------------------------------------------------------- */

static int forwarding_off(struct brk_ctx *c)
{
	struct brk_where w;

	brk_where_node(c->l, c->t->index, &w);
	return brk_sysctl(c, &w, "net/ipv4/ip_forward", "0");
}

/* A route of `type` to the pod's address in its node, in place of any the
 * node had to exactly that address (vpc networking routes each pod so). */
static int pod_route(struct brk_ctx *c, uint8_t type)
{
	const struct topo_pod *p = &c->l->topo.pods[c->t->index];
	struct brk_where w;
	size_t n;
	int ret;

	brk_where_node(c->l, p->node, &w);
	ret = brk_route_del(c, &w, p->ip, 32, &n);
	return ret ? ret : brk_route_add(c, &w, type, p->ip, 32);
}

static int blackhole_route(struct brk_ctx *c)
{
	return pod_route(c, RTN_BLACKHOLE);
}

static int prohibit_route(struct brk_ctx *c)
{
	return pod_route(c, RTN_PROHIBIT);
}

static int unreachable_route(struct brk_ctx *c)
{
	return pod_route(c, RTN_UNREACHABLE);
}

/* Node n's pod CIDR, gone from every other node and from the VPC's route
 * table (routed), as when a node's routes were never programmed. */
static int missing_pod_cidr_route(struct brk_ctx *c)
{
	const struct topo *t = &c->l->topo;
	struct cidr pc = t->nodes[c->t->index].pod_cidr;
	struct brk_where w;
	size_t n, total = 0;
	int ret = 0;

	for (size_t k = 0; ret == 0 && k < t->nnodes; k++) {
		if (k == c->t->index)
			continue;
		brk_where_node(c->l, k, &w);
		ret = brk_route_del(c, &w, pc.addr, pc.len, &n);
		total += n;
	}
	if (ret == 0 && t->net.mode == TOPO_MODE_ROUTED) {
		brk_where_vpc(c->l, &w);
		ret = brk_route_del(c, &w, pc.addr, pc.len, &n);
		total += n;
	}
	if (ret == 0 && !total)
		ret = pp_err_set(c->e, PP_EXIT_FAIL, -ENOENT, "no route to node %s's pod CIDR is "
				 "left to remove", t->nodes[c->t->index].name);
	return ret;
}

static int rp_filter_strict(struct brk_ctx *c)
{
	struct brk_where w;

	brk_where_vpc(c->l, &w);
	return brk_sysctl(c, &w, "net/ipv4/conf/all/rp_filter", "1");
}

/* The node's device towards its pods: the bridge, or (vpc) the pod's veth. */
static int pod_link(const struct lab *l, size_t p)
{
	return l->topo.net.mode == TOPO_MODE_VPC ? l->plan.pods[p].host_ifindex : LAB_IFX_BRIDGE;
}

static int wrong_neighbour(struct brk_ctx *c)
{
	const struct lab_plan_pod *pp = &c->l->plan.pods[c->t->index];
	const struct topo_pod *p = &c->l->topo.pods[c->t->index];
	/* Locally administered, and no lab MAC (theirs start 02:50). */
	uint8_t mac[6] = { 0x02, 0xde, 0xad, pp->mac[3], pp->mac[4], pp->mac[5] };
	struct brk_where w;

	brk_where_node(c->l, p->node, &w);
	return brk_neigh(c, &w, pod_link(c->l, c->t->index), p->ip, mac);
}

static int veth_down(struct brk_ctx *c)
{
	struct brk_where w;

	brk_where_node(c->l, c->l->topo.pods[c->t->index].node, &w);
	return brk_link_down(c, &w, c->l->plan.pods[c->t->index].host_ifindex);
}

static int veth_detached(struct brk_ctx *c)
{
	struct brk_where w;

	brk_where_node(c->l, c->l->topo.pods[c->t->index].node, &w);
	return brk_link_nomaster(c, &w, c->l->plan.pods[c->t->index].host_ifindex);
}

static int no_listener(struct brk_ctx *c)
{
	size_t ci = 0;

	pod_tcp(&c->l->topo, c->t->index, &ci, NULL);
	return brk_process_kill(c, c->t->index, ci);
}

static int pod_firewall(struct brk_ctx *c)
{
	static const struct cidr any = { 0, 0 };
	struct brk_where w;

	brk_where_pod(c->l, c->t->index, &w);
	return brk_nft_drop_table(c, &w, "firewall", "input", NF_INET_LOCAL_IN, "eth0", any,
				  "drop what comes from the network");
}

static int node_nft_drop(struct brk_ctx *c)
{
	struct brk_where w;

	brk_where_node(c->l, c->t->index, &w);
	return brk_nft_drop_table(c, &w, "host-firewall", "forward", NF_INET_FORWARD, NULL,
				  node_pods(&c->l->topo, c->t->index),
				  "drop forwarded traffic to this node's pods");
}

static int iptables_legacy_drop(struct brk_ctx *c)
{
	struct brk_where w;

	brk_where_node(c->l, c->t->index, &w);
	return brk_ipt_drop(c, &w, "filter", "FORWARD", node_pods(&c->l->topo, c->t->index));
}

static int mtu_mismatch(struct brk_ctx *c)
{
	struct brk_where w;

	brk_where_vpc(c->l, &w);
	return brk_link_mtu(c, &w, c->l->plan.nodes[c->t->index].vpc_ifindex, MTU_SMALL);
}

/* The key of the Service port's ClusterIP in kube-proxy's maps. */
static size_t svc_key(const struct lab *l, const struct lab_break_target *t, uint8_t *key)
{
	const struct topo_service *s = &l->topo.services[t->index];
	const struct topo_svc_port *p = &s->ports[t->port];

	return nft_elem_key(NFT_KEY_DADDR_PROTO_DPORT, s->cluster_ip,
			    p->proto == TOPO_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP, p->port, key);
}

/* kube-proxy's name for a Service port in its comments: "ns/name:port". */
static void svc_label(const struct lab *l, const struct lab_break_target *t, char *buf,
		      size_t len)
{
	const struct topo_service *s = &l->topo.services[t->index];

	snprintf(buf, len, "%s/%s:%s", s->ns, s->name, s->ports[t->port].name);
}

static bool comment_is(const struct nft_rule_msg *r, const void *arg)
{
	return !strcmp(r->comment, arg);
}

/* Every node: the ClusterIP's element of service-ips (nftables) or its
 * KUBE-SERVICES rule (iptables) deleted, as if kube-proxy had lost it. */
static int element_missing_on(struct brk_ctx *c, size_t node)
{
	const struct topo *t = &c->l->topo;
	char label[3 * TOPO_LABEL_MAX + 32];
	struct brk_where w;
	uint8_t key[16];
	size_t klen = svc_key(c->l, c->t, key), n = 0;
	int ret;

	brk_where_node(c->l, node, &w);
	if (t->net.proxy_mode == TOPO_PROXY_NFTABLES)
		return brk_nft_elem_del(c, &w, NFPROTO_IP, PROXY_NFT_TABLE, "service-ips", key, klen);
	svc_label(c->l, c->t, label, sizeof(label));
	strncat(label, " cluster IP", sizeof(label) - strlen(label) - 1);
	ret = brk_nft_rule_del(c, &w, NFPROTO_IP, "nat", "KUBE-SERVICES", comment_is, label, &n);
	if (ret == 0 && !n)
		ret = pp_err_set(c->e, PP_EXIT_FAIL, -ENOENT, "%s: no KUBE-SERVICES rule \"%s\"",
				 w.name, label);
	return ret;
}

static int kube_proxy_element_missing(struct brk_ctx *c)
{
	int ret = 0;

	for (size_t n = 0; ret == 0 && n < c->l->topo.nnodes; n++)
		ret = element_missing_on(c, n);
	return ret;
}

/* What kube-proxy writes for a port without endpoints, on one node. */
static int no_endpoints_on(struct brk_ctx *c, size_t node)
{
	const struct topo *t = &c->l->topo;
	const struct topo_service *s = &t->services[c->t->index];
	const struct topo_svc_port *p = &s->ports[c->t->port];
	uint8_t proto = p->proto == TOPO_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	struct nft_set_spec sp = { .family = NFPROTO_IP, .table = PROXY_NFT_TABLE,
				   .name = "no-endpoint-services", .key = NFT_KEY_DADDR_PROTO_DPORT,
				   .vmap = true };
	char label[3 * TOPO_LABEL_MAX + 32];
	struct nftnl_set *set;
	struct nft_rb rb;
	uint8_t key[16];
	size_t klen = svc_key(c->l, c->t, key);
	int ret = element_missing_on(c, node);
	struct brk_where w;

	brk_where_node(c->l, node, &w);
	svc_label(c->l, c->t, label, sizeof(label));
	if (ret || t->net.proxy_mode == TOPO_PROXY_NFTABLES) {
		if (ret)
			return ret;
		set = nft_set_new(&sp);
		ret = set ? nft_set_elem_add(set, NFT_KEY_DADDR_PROTO_DPORT, s->cluster_ip, proto,
					     p->port, NFT_GOTO, "reject-chain", label) : -ENOMEM;
		if (ret == 0)
			ret = brk_nft_elem_add(c, &w, set, key, klen);
		else
			pp_err_set(c->e, PP_EXIT_FAIL, ret, "out of memory");
		if (set)
			nftnl_set_free(set);
		return ret;
	}
	/* iptables layout: filter KUBE-SERVICES rejects it ("has no endpoints"),
	 * written as kube-proxy's iptables mode writes it. */
	proxy_ipt_no_endpoints_rule(&rb, t, c->t->index, c->t->port);
	return brk_nft_rule_add(c, &w, &rb);
}

static int service_no_endpoints(struct brk_ctx *c)
{
	int ret = 0;

	for (size_t n = 0; ret == 0 && n < c->l->topo.nnodes; n++)
		ret = no_endpoints_on(c, n);
	return ret;
}

/* Every endpoint of the port DNATed to an address nobody holds any more,
 * in every node: the pods were replaced, their EndpointSlice was not. */
static int stale_endpoint(struct brk_ctx *c)
{
	const struct topo *t = &c->l->topo;
	const struct topo_service *s = &t->services[c->t->index];
	const char *table = t->net.proxy_mode == TOPO_PROXY_NFTABLES ? PROXY_NFT_TABLE : "nat";
	uint32_t stale[TOPO_MAX_SVC_PORTS * 4];
	size_t nstale = 0;
	int ret = 0;

	for (size_t e = 0; ret == 0 && e < s->nendpoints; e++) {
		const struct topo_pod *p = &t->pods[s->endpoints[e].pod];
		uint16_t port = s->endpoints[e].port[c->t->port];
		char svc_chain[PROXY_NAME_MAX], ep_chain[PROXY_NAME_MAX];
		struct cidr home = t->net.mode == TOPO_MODE_VPC ? t->net.vpc_cidr :
				   t->nodes[p->node].pod_cidr;
		uint32_t gone;

		if (!port)
			continue;
		gone = addr_free(t, home, stale, nstale);
		if (!gone) {
			char h[CIDR_STRLEN];

			return pp_err_set(c->e, PP_EXIT_FAIL, -ENOSPC, "no free address in %s to "
					  "leave an endpoint at", cidr_fmt(&home, h));
		}
		if (nstale < sizeof(stale) / sizeof(stale[0]))
			stale[nstale++] = gone;
		proxy_chain_names(t, c->t->index, c->t->port, p->ip, port, svc_chain, ep_chain);
		for (size_t n = 0; ret == 0 && n < t->nnodes; n++) {
			struct brk_where w;

			brk_where_node(c->l, n, &w);
			ret = brk_nft_rule_readdress(c, &w, NFPROTO_IP, table, ep_chain, p->ip, gone);
		}
	}
	return ret;
}

static int dns_down(struct brk_ctx *c)
{
	size_t ci = 0;

	pod_dnsmasq(&c->l->topo, c->t->index, &ci);
	return brk_process_kill(c, c->t->index, ci);
}

static bool masquerades(const struct nft_rule_msg *r, const void *arg)
{
	(void)arg;
	return r->flags & NFT_RULE_MASQ;
}

static int masquerade_missing(struct brk_ctx *c)
{
	struct brk_where w;
	size_t n = 0;
	int ret;

	brk_where_node(c->l, c->t->index, &w);
	ret = brk_nft_rule_del(c, &w, NFPROTO_IP, EDGE_MASQ_TABLE, "ip-masq-agent", masquerades,
			       NULL, &n);
	if (ret == 0 && !n)
		ret = pp_err_set(c->e, PP_EXIT_FAIL, -ENOENT, "%s: ip-masq-agent has no masquerade "
				 "rule left to remove", w.name);
	return ret;
}

static int gateway_nat_missing(struct brk_ctx *c)
{
	const struct topo_node *n = &c->l->topo.nodes[c->t->index];
	struct brk_where w;
	uint8_t key[16];
	size_t klen;
	int ret;

	brk_where_gateway(c->l, &w);
	klen = nft_elem_key(NFT_KEY_DADDR, n->public_ip, 0, 0, key);
	ret = brk_nft_elem_del(c, &w, NFPROTO_IP, EDGE_GW_TABLE, EDGE_GW_MAP_IN, key, klen);
	klen = nft_elem_key(NFT_KEY_SADDR, n->ip, 0, 0, key);
	return ret ? ret : brk_nft_elem_del(c, &w, NFPROTO_IP, EDGE_GW_TABLE, EDGE_GW_MAP_OUT, key,
					    klen);
}

static int hairpin_off(struct brk_ctx *c)
{
	struct brk_where w;

	brk_where_node(c->l, c->l->topo.pods[c->t->index].node, &w);
	return brk_hairpin_off(c, &w, c->l->plan.pods[c->t->index].host_ifindex);
}

static int policy_denies(struct brk_ctx *c)
{
	return brk_policy_deny(c, c->t->index);
}

static int conntrack_full(struct brk_ctx *c)
{
	struct brk_where w;

	brk_where_node(c->l, c->t->index, &w);
	return brk_ct_fill(c, &w);
}

/* ---- bgp networking --------------------------------------------------------------- */

/* The peer whose address bgp-wrong-peer writes wrong into node n's
 * configuration: the route reflector when the lab peers through it, else
 * the default destination's node (the first other node if that is n). */
static size_t wrong_peer_of(const struct topo *t, size_t n)
{
	ssize_t d = default_dst(t);

	if (bgp_uses_rr(t))
		return BGP_SPEAKER_RR;
	if (d >= 0 && t->pods[d].node != n)
		return t->pods[d].node;
	return n ? 0 : 1;
}

/* A peer of node n that watches its sessions: the default source's node,
 * or the first other node. */
static size_t watcher_of(const struct topo *t, size_t n)
{
	if (t->npods && t->pods[0].node != n)
		return t->pods[0].node;
	return n ? 0 : 1;
}

/* Node n and its peer each run a pod, to trace from one to the other. */
static bool node_bgp_peer(const struct lab *l, const struct lab_break_target *t, char *buf,
			  size_t len)
{
	const struct topo *tp = &l->topo;
	size_t peer = wrong_peer_of(tp, t->index);

	if (pod_on(tp, t->index, false) < 0)
		return why(buf, len, "node %s runs no pod to trace from", tp->nodes[t->index].name);
	if (peer != BGP_SPEAKER_RR && pod_on(tp, peer, false) < 0)
		return why(buf, len, "its peer %s runs no pod to reach", tp->nodes[peer].name);
	if (pod_off(tp, t->index) < 0)
		return why(buf, len, "no pod runs on another node than %s", tp->nodes[t->index].name);
	return true;
}

/* From node n's first pod to a pod on the peer whose session breaks. */
static void trace_to_peer(const struct lab *l, const struct lab_break_target *t, char *buf,
			  size_t len)
{
	const struct topo *tp = &l->topo;
	size_t peer = wrong_peer_of(tp, t->index);
	ssize_t src = pod_on(tp, t->index, false), dst = -1;
	char s[2 * TOPO_LABEL_MAX + 2], d[2 * TOPO_LABEL_MAX + 2];

	if (peer != BGP_SPEAKER_RR) {
		dst = pod_on(tp, peer, true);
		if (dst < 0)
			dst = pod_on(tp, peer, false);
	} else {
		for (size_t p = 0; p < tp->npods && dst < 0; p++)
			if (tp->pods[p].node != t->index && pod_tcp(tp, p, NULL, NULL))
				dst = (ssize_t)p;
		if (dst < 0)
			dst = pod_off(tp, t->index);
	}
	if (src < 0 || dst < 0) {
		snprintf(buf, len, "(node %s: no pod to trace between)", tp->nodes[t->index].name);
		return;
	}
	pod_label(tp, (size_t)src, s, sizeof(s));
	pod_label(tp, (size_t)dst, d, sizeof(d));
	snprintf(buf, len, "trace %s %s", s, d);
}

/* Every other node's route to node n's pod CIDR, into g; how many. */
static size_t gone_to(const struct topo *t, size_t n, struct brk_bgp_gone *g)
{
	size_t k = 0;

	for (size_t i = 0; i < t->nnodes; i++)
		if (i != n)
			g[k++] = (struct brk_bgp_gone){ i, t->nodes[n].pod_cidr };
	return k;
}

static int bgp_peer_down(struct brk_ctx *c)
{
	const struct topo *t = &c->l->topo;
	struct brk_bgp_gone *g = calloc(t->nnodes, sizeof(*g));
	int ret = g ? brk_bgp_stop(c, c->t->index, watcher_of(t, c->t->index)) : -ENOMEM;

	if (ret == 0)
		ret = brk_bgp_routes_gone(c, g, gone_to(t, c->t->index, g));
	else if (!g)
		pp_err_set(c->e, PP_EXIT_FAIL, ret, "out of memory");
	free(g);
	return ret;
}

static int bgp_wrong_peer(struct brk_ctx *c)
{
	const struct topo *t = &c->l->topo;
	size_t n = c->t->index, ng;
	struct bgp_fault f = { BGP_FAULT_WRONG_PEER, wrong_peer_of(t, n),
			       addr_free(t, t->net.vpc_cidr, NULL, 0) };
	struct brk_bgp_gone *g = calloc(2 * t->nnodes, sizeof(*g));
	int ret;

	if (!g)
		return pp_err_set(c->e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	if (!f.addr) {
		char v[CIDR_STRLEN];

		free(g);
		return pp_err_set(c->e, PP_EXIT_FAIL, -ENOSPC, "no free address in %s to name as "
				  "the peer", cidr_fmt(&t->net.vpc_cidr, v));
	}
	ret = brk_bgp_conf_fault(c, n, &f);
	/* The session is down at both ends: each loses the other's routes
	 * (through the reflector: node n every route, every node n's). */
	if (f.peer != BGP_SPEAKER_RR) {
		g[0] = (struct brk_bgp_gone){ n, t->nodes[f.peer].pod_cidr };
		g[1] = (struct brk_bgp_gone){ f.peer, t->nodes[n].pod_cidr };
		ng = 2;
	} else {
		ng = gone_to(t, n, g);
		for (size_t k = 0; k < t->nnodes; k++)
			if (k != n)
				g[ng++] = (struct brk_bgp_gone){ n, t->nodes[k].pod_cidr };
	}
	if (ret == 0)
		ret = brk_bgp_routes_gone(c, g, ng);
	free(g);
	return ret;
}

static int bgp_announcement_filtered(struct brk_ctx *c)
{
	const struct topo *t = &c->l->topo;
	struct bgp_fault f = { .kind = BGP_FAULT_EXPORT_FILTER };
	struct brk_bgp_gone *g = calloc(t->nnodes, sizeof(*g));
	int ret;

	if (!g)
		return pp_err_set(c->e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	ret = brk_bgp_conf_fault(c, c->t->index, &f);
	if (ret == 0)
		ret = brk_bgp_routes_gone(c, g, gone_to(t, c->t->index, g));
	free(g);
	return ret;
}

/* ---- the catalogue ------------------------------------------------------------------ */

#define BRIDGED (LAB_BREAK_MODE(TOPO_MODE_ROUTED) | LAB_BREAK_MODE(TOPO_MODE_VXLAN))
/* bgp networking bridges pods as routed does; only its routes are BIRD's
 * (so missing-pod-cidr-route is not for it: BIRD puts them back). */
#define BGP LAB_BREAK_MODE(TOPO_MODE_BGP)

const struct brk_fault brk_faults[] = {
	{ { "forwarding-off", "the node stops forwarding: packets to its pods die there",
	    "sysctl net.ipv4.ip_forward = 0 in the node", LAB_BREAK_NODE, LAB_BREAK_ANY_MODE },
	  needs_nodes, node_reachable, default_node, forwarding_off, trace_into_node },
	{ { "blackhole-route", "a blackhole route swallows the pod's traffic without a word",
	    "route blackhole POD_IP/32 in the pod's node", LAB_BREAK_POD, LAB_BREAK_ANY_MODE },
	  NULL, pod_reachable, default_pod, blackhole_route, trace_to_pod },
	{ { "prohibit-route", "a prohibit route refuses the pod's traffic (ICMP administratively "
	    "prohibited)", "route prohibit POD_IP/32 in the pod's node", LAB_BREAK_POD,
	    LAB_BREAK_ANY_MODE },
	  NULL, pod_reachable, default_pod, prohibit_route, trace_to_pod },
	{ { "unreachable-route", "an unreachable route answers for the pod (ICMP host unreachable)",
	    "route unreachable POD_IP/32 in the pod's node", LAB_BREAK_POD, LAB_BREAK_ANY_MODE },
	  NULL, pod_reachable, default_pod, unreachable_route, trace_to_pod },
	{ { "missing-pod-cidr-route", "nobody routes the node's pod CIDR any more",
	    "routes to the node's pod CIDR in the other nodes and the VPC route table",
	    LAB_BREAK_NODE, BRIDGED },
	  needs_nodes, node_reachable, default_node, missing_pod_cidr_route, trace_into_node },
	{ { "rp-filter-strict", "strict reverse-path filtering drops load-balanced requests, which "
	    "arrive from the load balancer while the route back to the client points at the "
	    "internet gateway", "sysctl net.ipv4.conf.all.rp_filter = 1 in the VPC router",
	    LAB_BREAK_VPC, LAB_BREAK_ANY_MODE },
	  needs_lb, NULL, default_vpc, rp_filter_strict, trace_lb },
	{ { "wrong-neighbour", "the node sends the pod's frames to a MAC address nobody has",
	    "permanent neighbour POD_IP -> a wrong MAC in the pod's node", LAB_BREAK_POD,
	    LAB_BREAK_ANY_MODE },
	  NULL, pod_reachable, default_pod, wrong_neighbour, trace_to_pod },
	{ { "veth-down", "the pod's veth is down on the node's side",
	    "link state of the pod's host-side veth", LAB_BREAK_POD, LAB_BREAK_ANY_MODE },
	  NULL, pod_reachable, default_pod, veth_down, trace_to_pod },
	{ { "veth-detached", "the pod's veth is no longer a port of the node's bridge",
	    "master of the pod's host-side veth (cbr0)", LAB_BREAK_POD, BRIDGED | BGP },
	  NULL, pod_reachable, default_pod, veth_detached, trace_to_pod },
	{ { "no-listener", "the pod's server process is gone: connections are refused",
	    "the process of the container serving the pod's first TCP port", LAB_BREAK_POD,
	    LAB_BREAK_ANY_MODE },
	  NULL, pod_serves_tcp, default_pod, no_listener, trace_to_pod },
	{ { "pod-firewall", "a firewall inside the pod drops everything from the network",
	    "nftables table ip firewall in the pod", LAB_BREAK_POD, LAB_BREAK_ANY_MODE },
	  NULL, pod_reachable, default_pod, pod_firewall, trace_to_pod },
	{ { "node-nft-drop", "a host firewall on the node drops traffic forwarded to its pods",
	    "nftables table ip host-firewall in the node", LAB_BREAK_NODE, LAB_BREAK_ANY_MODE },
	  needs_nodes, node_reachable, default_node, node_nft_drop, trace_into_node },
	{ { "iptables-legacy-drop", "an iptables-legacy rule, beside nftables, drops traffic "
	    "forwarded to the node's pods", "iptables-legacy filter FORWARD rule in the node "
	    "(libiptc)", LAB_BREAK_NODE, LAB_BREAK_ANY_MODE },
	  needs_nodes, node_reachable, default_node, iptables_legacy_drop, trace_into_node },
	{ { "mtu-mismatch", "the node's link to the VPC carries 576 bytes while the node sends "
	    "1500: small packets pass, a TLS handshake's larger ones vanish (vxlan: neither do "
	    "full overlay frames fit)", "MTU of the node's port on the VPC bridge",
	    LAB_BREAK_NODE, LAB_BREAK_ANY_MODE },
	  needs_tls_ingress, node_ingress, default_ingress_node, mtu_mismatch, trace_tls },
	{ { "service-no-endpoints", "the Service port's ClusterIP is rejected as a Service "
	    "without endpoints", "kube-proxy's ClusterIP element or rule in every node",
	    LAB_BREAK_SVC, LAB_BREAK_ANY_MODE },
	  NULL, svc_port_served, default_svc, service_no_endpoints, trace_svc },
	{ { "stale-endpoint", "the Service's endpoints point at addresses whose pods are gone",
	    "kube-proxy's DNAT rules of the Service port in every node", LAB_BREAK_SVC,
	    LAB_BREAK_ANY_MODE },
	  NULL, svc_port_served, default_svc, stale_endpoint, trace_svc },
	{ { "kube-proxy-element-missing", "kube-proxy lost the Service port: its ClusterIP is "
	    "not translated", "element of map service-ips (nftables mode) or the KUBE-SERVICES "
	    "rule (iptables mode) in every node", LAB_BREAK_SVC, LAB_BREAK_ANY_MODE },
	  NULL, svc_port_served, default_svc, kube_proxy_element_missing, trace_svc },
	{ { "dns-down", "the cluster DNS is not running: names do not resolve",
	    "the dnsmasq process of the cluster DNS pod", LAB_BREAK_POD, LAB_BREAK_ANY_MODE },
	  NULL, pod_runs_cluster_dns, default_dns_pod, dns_down, trace_dns },
	{ { "masquerade-missing", "pods' traffic leaves the node with their own addresses, which "
	    "nothing outside routes back", "ip-masq-agent's masquerade rule in the node",
	    LAB_BREAK_NODE, BRIDGED | BGP },
	  needs_web_server, node_masqueraded, default_src_node, masquerade_missing, trace_egress },
	{ { "gateway-nat-missing", "the cloud gateway forgot the node's public address: nothing "
	    "from the internet reaches it", "the node's elements of the gateway's maps "
	    "public-to-node and node-to-public", LAB_BREAK_NODE, LAB_BREAK_ANY_MODE },
	  needs_internet, node_public, default_src_node, gateway_nat_missing, trace_public },
	{ { "hairpin-off", "the pod cannot reach its own Service: the bridge will not send a "
	    "frame back out the port it came in on", "hairpin mode of the pod's bridge port",
	    LAB_BREAK_POD, BRIDGED | BGP },
	  NULL, pod_sole_endpoint, default_hairpin_pod, hairpin_off, trace_hairpin },
	{ { "conntrack-full", "the node's conntrack table is full: every new connection through "
	    "it is dropped", "the node's conntrack table, filled to nf_conntrack_max",
	    LAB_BREAK_NODE, LAB_BREAK_ANY_MODE },
	  needs_nodes, node_reachable, default_node, conntrack_full, trace_into_node },
	{ { "policy-denies", "a NetworkPolicy isolates the pod's ingress and admits nothing: "
	    "connections to it time out", "NetworkPolicy NAMESPACE/" LAB_BREAK_POLICY_NAME
	    " selecting the pod's labels, in table ip network-policy of every node",
	    LAB_BREAK_POD, LAB_BREAK_ANY_MODE },
	  NULL, pod_ingress_open, default_pod, policy_denies, trace_to_pod },
	{ { "bgp-peer-down", "the node's BIRD is stopped: its BGP sessions close and every peer "
	    "withdraws the route to its pod CIDR", "the node's BIRD (birdc down)", LAB_BREAK_NODE,
	    BGP },
	  needs_nodes, node_reachable, default_node, bgp_peer_down, trace_into_node },
	{ { "bgp-wrong-peer", "a wrong neighbor address in the node's BIRD configuration: its "
	    "session with a peer never comes up, and neither learns the other's pod CIDR",
	    "one session's neighbor address in the node's BIRD configuration (reloaded)",
	    LAB_BREAK_NODE, BGP },
	  needs_nodes, node_bgp_peer, default_src_node, bgp_wrong_peer, trace_to_peer },
	{ { "bgp-announcement-filtered", "the node's export filter rejects its own pod CIDR: "
	    "its sessions stay established, but no peer learns the route", "the export filter "
	    "podpath_export_to_bgp_peers in the node's BIRD configuration (reloaded)",
	    LAB_BREAK_NODE, BGP },
	  needs_nodes, node_reachable, default_node, bgp_announcement_filtered, trace_into_node },
};

const size_t brk_nfaults = sizeof(brk_faults) / sizeof(brk_faults[0]);
