/* refused — nothing listens where the probe ended up: a TCP RST or an
 * ICMP port unreachable. Behind a Service that is the endpoint kube-proxy
 * chose, not the ClusterIP the probe was sent to. */
#include <netinet/in.h>
#include <stdio.h>

#include "trace/diag/diag.h"

int diag_refused(const struct trace *t, struct trace_finding *f)
{
	const struct trace_hop *r = diag_first_reply(t);
	const char *how, *from;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], pod[2 * TOPO_LABEL_MAX + 8] = "";

	if (t->res.outcome != PROBE_REFUSED)
		return 0;
	diag_start(f, "refused", TRACE_REFUSED, r ? (ssize_t)r->ns : -1);
	f->cause = "no-listener";
	if (t->res.answer[0])	/* refused after the handshake */
		return diag_say(f, "%s", t->res.answer);
	how = (r && r->pkt->proto == IPPROTO_ICMP) || probe_ipproto(t->probe.proto) == IPPROTO_UDP
		      ? "ICMP port unreachable" : "TCP RST";
	from = r ? t->ns_label[r->ns] : t->dst.label;
	if (r && t->lab)
		snprintf(f->command, sizeof(f->command), "ip netns exec %s ss -lntu", t->ns[r->ns]);
	for (size_t h = 0; h < t->nhops; h++) {
		const struct trace_svc *v = &t->hops[h].svc;

		if (t->hops[h].reply || !v->named || !v->ep_ip)
			continue;
		if (t->lab && v->pod >= 0)
			snprintf(pod, sizeof(pod), " (pod %s/%s)", t->lab->topo.pods[v->pod].ns,
				 t->lab->topo.pods[v->pod].name);
		snprintf(f->object, sizeof(f->object), "listener %s:%u", addr_fmt(v->ep_ip, a),
			 v->ep_port);
		return diag_say(f, "no listener on %s:%u%s, the endpoint kube-proxy chose for %s:%u, "
				"Service %s/%s: %s from %s", addr_fmt(v->ep_ip, a), v->ep_port, pod,
				addr_fmt(t->dst.ip, b), t->probe.dport, v->ns, v->name, how, from);
	}
	snprintf(f->object, sizeof(f->object), "listener %s:%u", addr_fmt(t->dst.ip, a),
		 t->probe.dport);
	return diag_say(f, "no listener on %s:%u: %s from %s", addr_fmt(t->dst.ip, a),
			t->probe.dport, how, from);
}
