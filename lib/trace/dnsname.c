/* dnsname — a DNS name as a trace's destination: find the name the pod's
 * resolver would end up asking for (the search list of the resolv.conf
 * kubelet writes, ndots:5), and set up a trace of that query to the cluster
 * DNS, so its own path (pod -> kube-dns ClusterIP -> DNAT -> the DNS pod)
 * is shown before the connection to the address it answered. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "trace/internal.h"

#define NDOTS 5
#define TRY_MS 500

/* One untraced query from the source pod: the answer's code, or -1. */
static int ask(const struct trace_endpoint *src, uint32_t server, const char *fqdn)
{
	struct probe p = { .proto = PROBE_DNS, .fd = -1, .daddr = server, .dport = 53 };
	struct probe_result r;
	struct pp_err e;

	if ((size_t)snprintf(p.host, sizeof(p.host), "%s", fqdn) >= sizeof(p.host))
		return -1;
	if (probe_prepare(&p, src->netns, &e) < 0)
		return -1;
	probe_run(&p, TRY_MS, &r);
	probe_close(&p);
	return r.outcome == PROBE_OK && r.dns_a ? r.dns_rcode : r.outcome == PROBE_OK ? 3 : -1;
}

bool trace_is_dns_name(const char *s)
{
	bool alpha = false;
	size_t label = 0;

	if (!*s || *s == '.' || strlen(s) > 253)
		return false;
	for (const char *c = s; *c; c++) {
		if (*c == '.') {
			/* Labels of 1 to 63, neither starting nor ending with a
			 * hyphen; one trailing dot (a rooted name) is fine. */
			if (!label || c[-1] == '-' || c[1] == '.')
				return false;
			label = 0;
			continue;
		}
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
			alpha = true;
		else if (!(*c >= '0' && *c <= '9') && *c != '-')
			return false;
		if ((*c == '-' && !label) || ++label > 63)
			return false;
	}
	return alpha && (!label || s[strlen(s) - 1] != '-');
}

/* Nodes and internet hosts ask the internet's DNS (their resolv.conf
 * names it), for the name as it is: no search list. */
static int internet_dns_setup(const struct lab *l, const struct trace_endpoint *src,
			      const char *name, struct trace *dt, struct pp_err *e)
{
	const struct topo_inet_host *dns = topo_inet_dns(&l->topo);

	if (!dns)
		return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "DST \"%s\": %s resolves names with "
				  "the internet's DNS, and lab \"%s\" has none (give an address)",
				  name, src->label, l->name);
	memset(dt, 0, sizeof(*dt));
	dt->lab = l;
	dt->src = *src;
	dt->timeout_ms = 2000;
	dt->dst.kind = TRACE_EP_INTERNET;
	dt->dst.ip = dns->ip;
	dt->dst.port = 53;
	dt->dst.pod = dt->dst.node = dt->dst.container = -1;
	dt->dst.host = dns - l->topo.inet.hosts;
	dt->dst.outside = true;
	dt->dst.netns = l->plan.hosts[dt->dst.host].netns;
	snprintf(dt->dst.label, sizeof(dt->dst.label), "internet DNS (query %s)", name);
	dt->probe.proto = PROBE_DNS;
	dt->probe.dport = 53;
	snprintf(dt->probe.host, sizeof(dt->probe.host), "%s", name);
	return 0;
}

/* A search candidate into c (TOPO_SUBDOMAIN_MAX bytes): false when the
 * name would be longer than a DNS name may be. */
__attribute__((format(printf, 2, 3)))
static bool cand_put(char *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c, TOPO_SUBDOMAIN_MAX, fmt, ap);
	va_end(ap);
	return n >= 0 && n < TOPO_SUBDOMAIN_MAX;
}

int trace_dns_setup(const struct lab *l, const struct trace_endpoint *src, const char *name,
		    struct trace *dt, struct pp_err *e)
{
	const struct topo_pod *pod;
	const char *dom = l->topo.net.domain;
	char cand[4][TOPO_SUBDOMAIN_MAX];
	size_t ncand = 0, dots = 0, pick;
	uint32_t server = topo_dns_ip(&l->topo);

	if (src->kind == TRACE_EP_INTERNET || src->kind == TRACE_EP_NODE)
		return internet_dns_setup(l, src, name, dt, e);
	if (src->kind != TRACE_EP_POD)
		return pp_err_set(e, PP_EXIT_USAGE, -EINVAL,
				  "DST \"%s\": a DNS name is resolved by a pod's cluster DNS; %s is "
				  "not a pod (give an address)", name, src->label);
	pod = &l->topo.pods[src->pod];
	for (const char *c = name; *c; c++)
		dots += *c == '.';
	/* What glibc does with "search NS.svc.D svc.D D" and ndots:5: the
	 * search list first unless the name has five dots or ends in one. */
	/* A candidate longer than a DNS name (253) is never asked: glibc
	 * skips it, and so does this. */
	if (name[strlen(name) - 1] != '.' && dots < NDOTS) {
		if (cand_put(cand[ncand], "%s.%s.svc.%s", name, pod->ns, dom))
			ncand++;
		if (cand_put(cand[ncand], "%s.svc.%s", name, dom))
			ncand++;
		if (cand_put(cand[ncand], "%s.%s", name, dom))
			ncand++;
	}
	if (cand_put(cand[ncand], "%s", name))
		ncand++;
	if (!ncand)
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "DST \"%s\": longer than a DNS "
				  "name may be (%d)", name, TOPO_SUBDOMAIN_MAX - 1);
	/* The first candidate that has an address; else the first one (the
	 * name in the pod's own namespace, as a user would read it). */
	pick = 0;
	for (size_t i = 0; i < ncand; i++) {
		int rc = ask(src, server, cand[i]);

		if (rc == 0) {
			pick = i;
			break;
		}
		if (rc < 0) {
			pick = i;	/* no answer at all: trace that one */
			break;
		}
	}
	memset(dt, 0, sizeof(*dt));
	dt->lab = l;
	dt->src = *src;
	dt->timeout_ms = 2000;
	dt->dst.kind = TRACE_EP_IP;
	dt->dst.ip = server;
	dt->dst.port = 53;
	dt->dst.pod = dt->dst.node = dt->dst.container = -1;
	dt->probe.proto = PROBE_DNS;
	dt->probe.dport = 53;
	/* Both hold a DNS name (cand_put() kept each within 253). */
	if ((size_t)snprintf(dt->dst.label, sizeof(dt->dst.label), "cluster DNS (query %s)",
			     cand[pick]) >= sizeof(dt->dst.label) ||
	    (size_t)snprintf(dt->probe.host, sizeof(dt->probe.host), "%s", cand[pick]) >=
		    sizeof(dt->probe.host))
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "DST \"%s\": longer than a DNS "
				  "name may be (%d)", cand[pick], TOPO_SUBDOMAIN_MAX - 1);
	return 0;
}
