/* dnsname — a DNS name as a trace's destination: ask the names the pod's
 * resolver would ask, in glibc's order (the search list and ndots of the
 * pod's resolv.conf, kubelet's: ndots:5), and set up a trace of the query
 * that answered to the cluster DNS, so its own path (pod -> kube-dns
 * ClusterIP -> DNAT -> the DNS pod) is shown before the connection to the
 * address it answered. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "trace/internal.h"

/* How long one name's answer is waited for: a name outside the cluster
 * domain is forwarded to the internet's DNS, slower on a loaded host; a
 * lookup given up early would be reported as "no answer". */
#define TRY_MS 2000

/* One lookup's queries: from the source pod to the server, each recorded. */
struct asker {
	const struct trace_endpoint *src;
	uint32_t server;
	struct trace_dns_search *s;
};

/* One untraced query from the source pod, its answer recorded; how glibc
 * reads it. A query podpath could not send is recorded as not asked, and
 * ends the lookup: nothing after it is claimed. */
static enum dns_result ask(void *ctx, const char *qname)
{
	struct asker *k = ctx;
	struct probe p = { .proto = PROBE_DNS, .fd = -1, .daddr = k->server, .dport = 53 };
	struct trace_dns_try *t;
	struct probe_result r;
	struct pp_err e;

	if (k->s->ntried >= DNS_TRIES_MAX)
		return DNS_NOT_ASKED;	/* cannot be: glibc asks at most 1 + MAXDNSRCH */
	t = &k->s->tried[k->s->ntried++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", qname);
	t->rcode = -1;
	t->res = DNS_NOT_ASKED;
	if ((size_t)snprintf(p.host, sizeof(p.host), "%s", qname) >= sizeof(p.host) ||
	    probe_prepare(&p, k->src->netns, &e) < 0)
		return t->res;
	probe_run(&p, TRY_MS, &r);
	probe_close(&p);
	switch (r.outcome) {
	case PROBE_OK:
		t->rcode = r.dns_rcode;
		t->a = r.dns_a;
		t->an = r.dns_an;
		t->res = dns_result_of(t->rcode, t->an);
		break;
	case PROBE_TIMEOUT:
		t->res = DNS_TIMEOUT;
		break;
	case PROBE_REFUSED:
	case PROBE_UNREACHABLE:
	case PROBE_NO_ROUTE:
		/* res_send: no server reached, errno ECONNREFUSED */
		t->res = DNS_CONNREFUSED;
		break;
	default:
		break;
	}
	return t->res;
}

/* The resolver's settings of a pod in namespace ns: its resolv.conf as the
 * lab wrote it (what podpath exec mounts on /etc/resolv.conf); if it
 * cannot be read, what kubelet writes for dnsPolicy ClusterFirst. */
static void resolv_of(const struct lab *l, const char *ns, struct trace_dns_search *s)
{
	const char *dom = l->topo.net.domain;
	char text[4096];
	size_t n = 0;
	FILE *f;

	if (lab_resolv_conf_path(l, ns, s->conf, sizeof(s->conf)) == 0 &&
	    (f = fopen(s->conf, "re"))) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	if (!n)
		snprintf(text, sizeof(text), "search %s.svc.%s svc.%s %s\noptions ndots:5\n", ns, dom,
			 dom, dom);
	dns_resolv_parse(text, &s->rv);
	if (!n)
		snprintf(s->conf, sizeof(s->conf), "kubelet's (no resolv.conf in the lab's state)");
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

int trace_dns_setup(const struct lab *l, const struct trace_endpoint *src, const char *name,
		    struct trace *dt, struct pp_err *e)
{
	struct trace_dns_search *s = &dt->search;
	struct asker k = { .src = src, .s = s };

	if (src->kind == TRACE_EP_INTERNET || src->kind == TRACE_EP_NODE)
		return internet_dns_setup(l, src, name, dt, e);
	if (src->kind != TRACE_EP_POD)
		return pp_err_set(e, PP_EXIT_USAGE, -EINVAL,
				  "DST \"%s\": a DNS name is resolved by a pod's cluster DNS; %s is "
				  "not a pod (give an address)", name, src->label);
	memset(dt, 0, sizeof(*dt));
	resolv_of(l, l->topo.pods[src->pod].ns, s);
	k.server = s->rv.nameserver ? s->rv.nameserver : topo_dns_ip(&l->topo);
	s->done = true;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->rooted = name[strlen(name) - 1] == '.';
	for (const char *c = name; *c; c++)
		s->dots += *c == '.';
	/* The names glibc would ask, in its order, each asked from the pod
	 * (dns_search_walk stops where glibc stops). The query traced is the
	 * one found, else the one that ended the search list (no answer,
	 * REFUSED...), else the first (the name in the pod's own namespace,
	 * as a user reads it). */
	dns_search_walk(name, &s->rv, ask, &k);
	if (!s->ntried)
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "DST \"%s\": longer than a DNS "
				  "name may be (%d)", name, DNS_NAME_MAX);
	s->answered = -1;
	s->traced = 0;
	for (size_t i = s->ntried; i-- > 0;) {
		enum dns_result r = s->tried[i].res;

		if (r == DNS_FOUND) {
			s->answered = (ssize_t)i;
			s->traced = i;
			break;
		}
		if (r == DNS_TIMEOUT || r == DNS_REFUSED || r == DNS_OTHER || r == DNS_CONNREFUSED)
			s->traced = i;	/* the earliest such, as the loop goes down */
	}
	dt->lab = l;
	dt->src = *src;
	dt->timeout_ms = 2000;
	dt->dst.kind = TRACE_EP_IP;
	dt->dst.ip = k.server;
	dt->dst.port = 53;
	dt->dst.pod = dt->dst.node = dt->dst.container = -1;
	dt->probe.proto = PROBE_DNS;
	dt->probe.dport = 53;
	/* Both hold a DNS name (dns_search_walk kept each within 253). */
	if ((size_t)snprintf(dt->dst.label, sizeof(dt->dst.label), "cluster DNS (query %s)",
			     s->tried[s->traced].name) >= sizeof(dt->dst.label) ||
	    (size_t)snprintf(dt->probe.host, sizeof(dt->probe.host), "%s", s->tried[s->traced].name) >=
		    sizeof(dt->probe.host))
		return pp_err_set(e, PP_EXIT_USAGE, -ENAMETOOLONG, "DST \"%s\": longer than a DNS "
				  "name may be (%d)", s->tried[s->traced].name, DNS_NAME_MAX);
	return 0;
}
