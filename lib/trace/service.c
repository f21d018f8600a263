/* service — a trace through a Service: which Service the probe addresses,
 * and on the hop where kube-proxy's DNAT shows, which endpoint it chose and
 * the chains that did it (named the way kube-proxy names them, for the
 * lab's proxy mode). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "proxy/proxy.h"
#include "trace/internal.h"

static uint8_t ipproto(enum topo_proto p)
{
	return p == TOPO_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
}

/* The chains kube-proxy would use, and the names the report shows. */
static void chain_names(const struct lab *l, struct trace_svc *v)
{
	const struct topo_service *s = &l->topo.services[v->svc];
	const struct topo_svc_port *p = &s->ports[v->port];

	proxy_chain_names(&l->topo, (size_t)v->svc, v->port, v->ep_ip, v->ep_port, v->chain,
			  v->ep_chain);
	v->named = true;
	snprintf(v->ns, sizeof(v->ns), "%s", s->ns);
	snprintf(v->name, sizeof(v->name), "%s", s->name);
	snprintf(v->port_name, sizeof(v->port_name), "%s", p->name);
	v->port_number = p->port;
	v->node_port = v->nodeport ? p->node_port : 0;
	v->proto = ipproto(p->proto);
	v->rules_from = "";
}

static bool is_node_ip(const struct topo *t, uint32_t ip)
{
	for (size_t i = 0; i < t->nnodes; i++)
		if (t->nodes[i].ip == ip)
			return true;
	return false;
}

/* The Service port behind ip:port/proto, if any: ClusterIPs, LoadBalancer
 * IPs, then NodePorts on the nodes' addresses, private or public. */
static bool lookup(const struct topo *t, uint32_t ip, uint16_t port, uint8_t proto,
		   struct trace_svc *v)
{
	bool node_ip = is_node_ip(t, ip);

	for (size_t i = 0; i < t->nnodes; i++)
		node_ip |= t->nodes[i].public_ip && t->nodes[i].public_ip == ip;
	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *s = &t->services[i];

		for (size_t p = 0; p < s->nports; p++) {
			bool lb = s->lb_ip && s->lb_ip == ip && s->ports[p].port == port;

			if (ipproto(s->ports[p].proto) != proto)
				continue;
			if ((s->cluster_ip && s->cluster_ip == ip && s->ports[p].port == port) || lb ||
			    (node_ip && s->ports[p].node_port && s->ports[p].node_port == port)) {
				v->svc = (ssize_t)i;
				v->port = p;
				v->nodeport = node_ip;
				v->lb = lb;
				return true;
			}
		}
	}
	return false;
}

void trace_service_match(struct trace *t)
{
	uint8_t proto = t->probe.proto == PROBE_ICMP ? 0 : probe_ipproto(t->probe.proto);

	memset(&t->svc, 0, sizeof(t->svc));
	t->svc.svc = -1;
	t->svc.pod = -1;
	if (!t->lab || !proto || !lookup(&t->lab->topo, t->dst.ip, t->probe.dport, proto, &t->svc))
		return;
	chain_names(t->lab, &t->svc);
}

void trace_service_hop(const struct trace *t, const struct capture_pkt *prev,
		       struct trace_hop *h)
{
	const struct capture_pkt *k = h->pkt;
	const struct topo *topo;
	struct trace_svc v = { .svc = -1, .pod = -1 };
	bool from_svc, from_nodeport;

	h->svc = v;
	if (h->reply)
		return;
	if (!t->lab && prev) {
		trace_service_from_rules(t, prev, h);
		return;
	}
	if (!t->lab || t->svc.svc < 0 || !prev)
		return;
	topo = &t->lab->topo;
	if (k->daddr == prev->daddr && k->dport == prev->dport)
		return;
	/* A DNAT to a node is the cloud's (the gateway's 1:1 NAT, the load
	 * balancer's pick of a NodePort); kube-proxy's comes after it. */
	if (is_node_ip(topo, k->daddr))
		return;
	/* kube-proxy's DNAT: a new destination where the old one was the
	 * Service's address, or a node's address and the NodePort. */
	from_svc = prev->daddr == t->dst.ip && prev->dport == t->probe.dport;
	from_nodeport = is_node_ip(topo, prev->daddr) &&
			prev->dport == topo->services[t->svc.svc].ports[t->svc.port].node_port;
	if (!from_svc && !from_nodeport)
		return;
	v = t->svc;
	v.nodeport = v.nodeport || from_nodeport;
	v.ep_ip = k->daddr;
	v.ep_port = k->dport;
	for (size_t e = 0; e < topo->services[v.svc].nendpoints; e++) {
		const struct topo_endpoint *ep = &topo->services[v.svc].endpoints[e];

		if (topo->pods[ep->pod].ip == k->daddr && ep->port[v.port] == k->dport)
			v.pod = (ssize_t)ep->pod;
	}
	chain_names(t->lab, &v);
	h->svc = v;
}

int trace_service_endpoint(const struct lab *l, const char *s, struct trace_endpoint *ep,
			   struct pp_err *e)
{
	char ns[TOPO_LABEL_MAX], name[TOPO_LABEL_MAX], port[32] = "";
	const struct topo_service *sv;
	const char *body = s + 4, *slash = strchr(body, '/'), *colon;
	size_t pi = 0;

	colon = slash ? strchr(slash, ':') : NULL;
	if (!slash || (size_t)(slash - body) >= sizeof(ns) || slash == body ||
	    (colon ? (size_t)(colon - slash - 1) : strlen(slash + 1)) >= sizeof(name))
		return pp_err_set(e, PP_EXIT_USAGE, -EINVAL,
				  "DST \"%s\": a Service is svc/NAMESPACE/NAME[:PORT]", s);
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - body), body);
	snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - slash - 1) : (int)strlen(slash + 1),
		 slash + 1);
	if (colon)
		snprintf(port, sizeof(port), "%s", colon + 1);
	sv = topo_service_find(&l->topo, ns, name);
	if (!sv)
		return pp_err_set(e, PP_EXIT_USAGE, -ENOENT, "DST \"%s\": no Service %s/%s in lab \"%s\"",
				  s, ns, name, l->name);
	if (sv->type == TOPO_SVC_HEADLESS)
		return pp_err_set(e, PP_EXIT_USAGE, -EINVAL,
				  "DST \"%s\": Service %s/%s is headless (no ClusterIP, no kube-proxy "
				  "rules): trace one of its pods, or its DNS name", s, ns, name);
	if (port[0]) {
		char *end;
		unsigned long n = strtoul(port, &end, 10);

		for (pi = 0; pi < sv->nports; pi++)
			if (*end ? !strcmp(sv->ports[pi].name, port) : sv->ports[pi].port == n)
				break;
		if (pi == sv->nports)
			return pp_err_set(e, PP_EXIT_USAGE, -ENOENT,
					  "DST \"%s\": Service %s/%s has no port \"%s\"", s, ns, name,
					  port);
	}
	memset(ep, 0, sizeof(*ep));
	ep->kind = TRACE_EP_IP;
	ep->ip = sv->cluster_ip;
	ep->port = sv->ports[pi].port;
	ep->pod = ep->node = ep->container = -1;
	ep->proto_hint = ipproto(sv->ports[pi].proto);
	snprintf(ep->label, sizeof(ep->label), "svc/%s/%s:%u", ns, name, ep->port);
	return 0;
}
