/* verdict — ask the kernel what the checks need to know about the place
 * where the probe was last seen, then let the diagnosis table judge. The
 * asking is here, so every check stays a pure function of the evidence. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/diag/diag.h"
#include "trace/internal.h"

struct ask {
	uint32_t dst;
	struct trace_evidence *ev;
};

static int ask_here(void *arg)
{
	struct ask *q = arg;
	struct trace_evidence *ev = q->ev;
	struct nl_route_info r = { 0 };
	struct nl *nl = nl_open();
	int ret;

	if (!nl)
		return -errno;
	ret = nl_route_get(nl, q->dst, &r);
	ev->route_err = ret < 0 ? ret : 0;
	if (ret == 0) {
		ev->route_type = r.type;
		ev->route_dst = r.dst;
		ev->route_plen = r.plen;
		ev->route_gw = r.gw;
		/* The interface index only means something inside this namespace. */
		if (r.oif)
			if_indextoname((unsigned)r.oif, ev->route_oif);
		ev->next_hop = r.gw ? r.gw : q->dst;
		if (nl_neigh_state(nl, r.oif, ev->next_hop, &ev->neigh_state) < 0)
			ev->neigh_state = 0;
	}
	nl_close(nl);
	return 0;
}

/* A number-valued sysctl of this namespace ("net/ipv4/ip_forward"); -1
 * when it is absent (the module that makes it is not loaded) or unreadable.
 * /proc/sys/net shows the namespace of whoever opens it. */
static long sysctl_read(const char *key)
{
	char path[128 + IF_NAMESIZE], buf[32];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

struct ask_drop {
	const char *ifname;
	struct trace_evidence *ev;
};

static int ask_drop_here(void *arg)
{
	struct ask_drop *q = arg;
	struct trace_evidence *ev = q->ev;
	char key[64 + IF_NAMESIZE];
	long v;

	ev->ip_forward = sysctl_read("net/ipv4/ip_forward");
	ev->rp_filter = sysctl_read("net/ipv4/conf/all/rp_filter");
	if (q->ifname[0]) {
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/rp_filter", q->ifname);
		v = sysctl_read(key);
		if (v > ev->rp_filter)
			ev->rp_filter = v;
	}
	ev->ct_count = sysctl_read("net/netfilter/nf_conntrack_count");
	ev->ct_max = sysctl_read("net/netfilter/nf_conntrack_max");
	return 0;
}

int trace_evidence_collect(struct trace *t)
{
	struct trace_evidence *ev = &t->ev;
	struct ask q = { t->dst.ip, ev };
	const struct trace_drop *d;

	memset(ev, 0, sizeof(*ev));
	ev->ip_forward = ev->rp_filter = ev->ct_count = ev->ct_max = -1;
	d = diag_terminal_drop(t);
	if (d && d->ns >= 0 && t->res.outcome != PROBE_OK) {
		struct ask_drop qd = { d->ifname, ev };

		ev->drop_at = (size_t)d->ns;
		ev->drop_asked = netns_run(t->ns[d->ns], ask_drop_here, &qd) == 0;
	}
	if (!t->nns || t->res.outcome == PROBE_OK)
		return 0;
	/* The endpoint kube-proxy chose: is its pod still there? */
	for (size_t h = 0; t->lab && h < t->nhops; h++)
		if (!t->hops[h].reply && t->hops[h].svc.svc >= 0 && t->hops[h].svc.pod >= 0) {
			ev->ep_pod_gone = !netns_is_pinned(t->lab->plan.pods[t->hops[h].svc.pod].netns);
			break;
		}
	ev->at = t->last_hop >= 0 ? t->hops[t->last_hop].ns : 0;
	ev->next_hop = t->dst.ip;
	/* A namespace that cannot be entered (deleted under the lab) leaves
	 * the questions unasked: the checks that need the answers stay silent. */
	if (netns_run(t->ns[ev->at], ask_here, &q) == 0)
		ev->asked = true;
	return 0;
}

int trace_verdict_find(struct trace *t)
{
	int ret = trace_evidence_collect(t);

	return ret < 0 ? ret : diag_run(t);
}

const char *trace_verdict_name(enum trace_verdict v)
{
	static const char *const names[TRACE_VERDICT_COUNT] = {
		[TRACE_DELIVERED] = "delivered",
		[TRACE_DROPPED] = "dropped",
		[TRACE_REFUSED] = "refused",
		[TRACE_UNREACHABLE] = "unreachable",
		[TRACE_NO_ROUTE] = "no-route",
		[TRACE_NO_NEIGHBOUR] = "no-neighbour",
		[TRACE_TIMEOUT] = "timeout",
		[TRACE_TTL_EXCEEDED] = "ttl-exceeded",
		[TRACE_ASYMMETRIC] = "asymmetric-return",
		[TRACE_TLS_FAILED] = "tls-failed",
	};

	return (unsigned)v < TRACE_VERDICT_COUNT ? names[v] : "?";
}
