/* endpoint — a trace's SRC and DST resolved against the lab. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "trace/internal.h"

static int from_pod(const struct lab *l, size_t i, struct trace_endpoint *ep)
{
	const struct topo_pod *p = &l->topo.pods[i];

	ep->kind = TRACE_EP_POD;
	ep->pod = (ssize_t)i;
	ep->node = (ssize_t)p->node;
	ep->netns = l->plan.pods[i].netns;
	ep->ip = p->ip;
	snprintf(ep->label, sizeof(ep->label), "%s/%s", p->ns, p->name);
	return 0;
}

static int from_node(const struct lab *l, size_t i, struct trace_endpoint *ep)
{
	ep->kind = TRACE_EP_NODE;
	ep->node = (ssize_t)i;
	ep->netns = l->plan.nodes[i].netns;
	ep->ip = l->topo.nodes[i].ip;
	snprintf(ep->label, sizeof(ep->label), "node/%s", l->topo.nodes[i].name);
	return 0;
}

static int from_host(const struct lab *l, size_t i, struct trace_endpoint *ep)
{
	ep->kind = TRACE_EP_INTERNET;
	ep->host = (ssize_t)i;
	ep->outside = true;
	ep->netns = l->plan.hosts[i].netns;
	ep->ip = l->topo.inet.hosts[i].ip;
	snprintf(ep->label, sizeof(ep->label), "internet/%s", l->topo.inet.hosts[i].name);
	return 0;
}

/* Inside the cloud: the VPC, the pods, the Services. */
static bool in_cluster(const struct topo *t, uint32_t ip)
{
	return cidr_contains(&t->net.vpc_cidr, ip) || cidr_contains(&t->net.cluster_cidr, ip) ||
	       cidr_contains(&t->net.service_cidr, ip);
}

/* A Service's ClusterIP or LoadBalancer IP: the ports a probe without one
 * may take (the trace command picks), and the protocol of the port given
 * (UDP 53 is a DNS query). */
static void service_ports(const struct topo *t, uint32_t ip, struct trace_endpoint *ep)
{
	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *s = &t->services[i];

		if (!s->nports || !((s->cluster_ip && s->cluster_ip == ip) || (s->lb_ip && s->lb_ip == ip)))
			continue;
		for (size_t p = s->nports; p-- > 0;) {
			bool udp = s->ports[p].proto == TOPO_PROTO_UDP;

			*(udp ? &ep->svc_udp_port : &ep->svc_tcp_port) = s->ports[p].port;
			if (ep->port == s->ports[p].port)
				ep->proto_hint = udp ? IPPROTO_UDP : IPPROTO_TCP;
		}
		ep->svc_port = s->ports[0].port;
		ep->svc_proto = s->ports[0].proto == TOPO_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
		return;
	}
}

/* An address: a pod's, node's or internet host's when it is one (so its
 * namespace is observed), a public address of the cloud, else a bare
 * destination. */
static int from_ip(const struct lab *l, uint32_t ip, struct trace_endpoint *ep)
{
	ep->kind = TRACE_EP_IP;
	ep->ip = ip;
	addr_fmt(ip, ep->label);
	if (!l)
		return 0;	/* no lab: just an address */
	for (size_t i = 0; i < l->topo.npods; i++)
		if (l->topo.pods[i].ip == ip)
			return from_pod(l, i, ep);
	for (size_t i = 0; i < l->topo.nnodes; i++)
		if (l->topo.nodes[i].ip == ip)
			return from_node(l, i, ep);
	for (size_t i = 0; i < l->topo.inet.nhosts; i++)
		if (l->topo.inet.hosts[i].ip == ip)
			return from_host(l, i, ep);
	ep->kind = TRACE_EP_IP;
	ep->ip = ip;
	addr_fmt(ip, ep->label);
	service_ports(&l->topo, ip, ep);
	/* An unused address of a node's pod CIDR: that node is on the way. */
	for (size_t i = 0; i < l->topo.nnodes; i++)
		if (l->topo.nodes[i].pod_cidr.len && cidr_contains(&l->topo.nodes[i].pod_cidr, ip))
			ep->node = (ssize_t)i;
	/* A node's public address: the gateway takes it to that node. */
	ep->public_ip = cidr_contains(&l->topo.net.public_cidr, ip);
	for (size_t i = 0; ep->public_ip && i < l->topo.nnodes; i++)
		if (l->topo.nodes[i].public_ip == ip)
			ep->node = (ssize_t)i;
	ep->outside = !ep->public_ip && !in_cluster(&l->topo, ip);
	return 0;
}

/* The first port an internet host serves: what a trace to it aims at. */
static uint16_t host_port(const struct topo_inet_host *h)
{
	return h->nports ? h->ports[0].port : 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* What cannot be a lab object, said plainly rather than as "no such pod":
 * nothing at all, or an IPv6 literal. */
static int literal_check(const char *s, const char *what, struct pp_err *e)
{
	const char *colon = strchr(s, ':');

	if (!s[0])
		return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "%s is empty", what);
	if (s[0] == '[' || (colon && strchr(colon + 1, ':')))
		return pp_err_set(e, PP_EXIT_USAGE, -EAFNOSUPPORT, "%s \"%s\": IPv6 is not supported "
				  "(podpath's labs are IPv4)", what, s);
	return 0;
}

/* Digits and dots that are no IPv4 address ("10.1", "300.1.1.1"); asked
 * only once no pod has that name, since "123" may well be a pod. */
static bool bad_ipv4(const char *host)
{
	uint32_t ip;

	return host[0] && strspn(host, "0123456789.") == strlen(host) && addr_parse(host, &ip) != 0;
}

int trace_endpoint_parse(const struct lab *l, const char *s, bool source,
			 struct trace_endpoint *ep, struct pp_err *e)
{
	const char *what = source ? "SRC" : "DST";
	char buf[320], *colon, ns[TOPO_LABEL_MAX], *slash;
	const struct topo_pod *p;
	uint32_t ip;
	ssize_t idx;

	memset(ep, 0, sizeof(*ep));
	ep->pod = ep->node = ep->container = ep->host = -1;
	if (literal_check(s, what, e) < 0)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	if (!l) {
		colon = strrchr(buf, ':');
		if (colon)
			*colon = '\0';
		if (!source && bad_ipv4(buf))
			return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "%s \"%s\": \"%s\" is not an "
					  "IPv4 address", what, s, buf);
		if (source || addr_parse(buf, &ip) != 0 ||
		    (colon && parse_port(colon + 1, &ep->port) < 0))
			return pp_err_set(e, PP_EXIT_USAGE, -EINVAL,
					  "%s \"%s\": without a lab, a destination is an IP[:PORT], or a URL "
					  "whose host is an IP (names are not resolved: the namespace's "
					  "resolver is not known)", what, s);
		from_ip(NULL, ip, ep);
		snprintf(ep->label, sizeof(ep->label), "%s", s);
		return 0;
	}
	if (!strncmp(buf, "node/", 5)) {
		idx = topo_node_index(&l->topo, buf + 5);
		if (idx < 0)
			return pp_err_set(e, PP_EXIT_USAGE, -ENOENT, "%s \"%s\": no such node in lab \"%s\"",
					  what, s, l->name);
		return from_node(l, (size_t)idx, ep);
	}
	if (!strncmp(buf, "internet/", 9)) {
		const struct topo_inet_host *h;

		colon = strrchr(buf, ':');
		if (colon)
			*colon = '\0';
		h = topo_inet_find(&l->topo, buf + 9);
		if (!h)
			return pp_err_set(e, PP_EXIT_USAGE, -ENOENT, "%s \"%s\": no internet host "
					  "\"%s\" in lab \"%s\"", what, s, buf + 9, l->name);
		from_host(l, (size_t)(h - l->topo.inet.hosts), ep);
		if (colon && (source || parse_port(colon + 1, &ep->port) < 0))
			return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "%s \"%s\": %s", what, s,
					  source ? "an internet host source takes no :PORT" :
					  "bad port");
		if (!source && !ep->port)
			ep->port = host_port(h);
		return 0;
	}
	if (!strncmp(buf, "svc/", 4)) {
		if (source)
			return pp_err_set(e, PP_EXIT_USAGE, -EINVAL,
					  "SRC \"%s\": a Service is a destination, not a source", s);
		return trace_service_endpoint(l, buf, ep, e);
	}
	colon = strrchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (addr_parse(buf, &ip) == 0) {
		if (source)
			return pp_err_set(e, PP_EXIT_USAGE, -EINVAL,
					  "SRC \"%s\": a source is a pod, node/NAME or internet/NAME, "
					  "not an address", s);
		if (colon && parse_port(colon + 1, &ep->port) < 0)
			return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "DST \"%s\": bad port \"%s\"", s,
					  colon + 1);
		from_ip(l, ip, ep);
		if (ep->port) {
			size_t n = strlen(ep->label);

			snprintf(ep->label + n, sizeof(ep->label) - n, ":%u", ep->port);
		}
		return 0;
	}
	slash = strchr(buf, '/');
	if (slash && (size_t)(slash - buf) < sizeof(ns)) {
		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - buf), buf);
		p = topo_pod_find(&l->topo, ns, slash + 1);
	} else {
		p = topo_pod_find(&l->topo, "default", buf);
	}
	if (!p && bad_ipv4(buf))
		return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "%s \"%s\": \"%s\" is not an IPv4 address "
				  "(nor a pod of lab \"%s\")", what, s, buf, l->name);
	if (!p)
		return pp_err_set(e, PP_EXIT_USAGE, -ENOENT, "%s \"%s\": no such pod in lab \"%s\"", what,
				  buf, l->name);
	from_pod(l, (size_t)(p - l->topo.pods), ep);
	if (!colon)
		return 0;
	/* POD:PORT for a destination, POD:CONTAINER for a source. */
	if (!source) {
		if (parse_port(colon + 1, &ep->port) < 0)
			return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "DST \"%s\": bad port \"%s\"", s,
					  colon + 1);
		return 0;
	}
	for (size_t i = 0; i < p->ncontainers; i++)
		if (!strcmp(p->containers[i].name, colon + 1))
			ep->container = (ssize_t)i;
	if (ep->container < 0)
		return pp_err_set(e, PP_EXIT_USAGE, -ENOENT,
				  "SRC \"%s\": pod \"%s\" has no container \"%s\"", s, ep->label, colon + 1);
	return 0;
}
