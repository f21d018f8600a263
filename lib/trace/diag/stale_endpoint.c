/* stale-endpoint — kube-proxy sent the probe to an endpoint that is not
 * there: an address no pod of the Service holds (the rules outlived the
 * pod, or were written by hand), or a pod of the Service whose namespace is
 * gone. Either way the DNAT worked and the packet went nowhere. */
#include <stdio.h>

#include "proxy/proxy.h"
#include "trace/diag/diag.h"

/* The command that lists the endpoint's chain in the rules it came from. */
static void ep_command(const struct trace *t, const struct trace_hop *h, struct trace_finding *f)
{
	const struct trace_svc *v = &h->svc;
	bool ipt = t->lab && t->lab->topo.net.proxy_mode == TOPO_PROXY_IPTABLES;

	if (!t->lab || !v->ep_chain[0])
		return;
	if (ipt)
		snprintf(f->command, sizeof(f->command), "ip netns exec %s iptables -t nat -S %s",
			 t->ns[h->ns], v->ep_chain);
	else
		snprintf(f->command, sizeof(f->command), "ip netns exec %s nft list chain ip %s %s",
			 t->ns[h->ns], PROXY_NFT_TABLE, v->ep_chain);
}

int diag_stale_endpoint(const struct trace *t, struct trace_finding *f)
{
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], a[ADDR_STRLEN];

	if (t->res.outcome == PROBE_OK || !t->lab)
		return 0;
	for (size_t i = 0; i < t->nhops; i++) {
		const struct trace_hop *h = &t->hops[i];
		const struct trace_svc *v = &h->svc;
		const struct topo_pod *p;

		if (h->reply || v->svc < 0 || !v->ep_ip)
			continue;
		if (v->pod >= 0 && !t->ev.ep_pod_gone)
			return 0;
		diag_start(f, "stale-endpoint", TRACE_TIMEOUT, (ssize_t)h->ns);
		f->hop = (ssize_t)i;
		snprintf(f->object, sizeof(f->object), "endpoint %s:%u of Service %s/%s",
			 addr_fmt(v->ep_ip, a), v->ep_port, v->ns, v->name);
		ep_command(t, h, f);
		diag_last_seen(t, seen, sizeof(seen));
		if (v->pod < 0) {
			snprintf(f->actual, sizeof(f->actual), "no pod holds %s", a);
			return diag_say(f, "%s's kube-proxy rules sent it to %s:%u for Service %s/%s, "
					"but no pod of the Service holds that address: a stale "
					"endpoint, left in the rules after its pod went; %s",
					t->ns_label[h->ns], a, v->ep_port, v->ns, v->name, seen);
		}
		p = &t->lab->topo.pods[v->pod];
		snprintf(f->actual, sizeof(f->actual), "pod %s/%s gone", p->ns, p->name);
		return diag_say(f, "%s's kube-proxy rules sent it to %s:%u, pod %s/%s of Service "
				"%s/%s, but that pod is gone (its namespace %s no longer exists); %s",
				t->ns_label[h->ns], a, v->ep_port, p->ns, p->name, v->ns, v->name,
				t->lab->plan.pods[v->pod].netns, seen);
	}
	return 0;
}
