/* netpol — the request under the lab's NetworkPolicies, direction by
 * direction (trace.h, struct trace_policy): which pod's side it is, the
 * packet as that direction's hook saw it, the lab's policies evaluated on
 * it, and the rule of table network-policy that decided in the kernel.
 *
 * Everything here is read from what the trace collected (nftables trace
 * events, captures) and from the topology; nothing asks the kernel, so the
 * diagnosis check that reads the result stays a pure function.
 *
 * The packet is taken from a trace event of the table at that hook when
 * there is one: the events carry the network header as the hook saw it,
 * after kube-proxy's DNAT (forward) and after every SNAT (postrouting at
 * priority srcnat + 10). Without one, the captures say what they can: the
 * request leaving the source's node, or arriving in the destination pod. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>

#include "trace/internal.h"

static ssize_t place_of(const struct trace *t, const char *netns)
{
	for (size_t i = 0; i < t->nns; i++)
		if (!strcmp(t->ns[i], netns))
			return (ssize_t)i;
	return -1;
}

/* The direction an event of table network-policy belongs to (its chain:
 * a base chain, a pod's chain or a policy's), -1 if none. ref is filled
 * when the chain names a pod or a policy. */
static int event_dir(const struct topo *topo, const struct nftrace_event *ev,
		     struct policy_chain_ref *ref, bool *known)
{
	*known = false;
	if (strcmp(ev->table, POLICY_TABLE))
		return -1;
	if (!strcmp(ev->chain, POLICY_CHAIN_FORWARD))
		return POLICY_EGRESS;
	if (!strcmp(ev->chain, POLICY_CHAIN_POSTROUTING))
		return POLICY_INGRESS;
	if (policy_chain_parse(topo, ev->chain, ref) < 0 || ref->kind == POLICY_CHAIN_BASE)
		return -1;
	*known = true;
	return ref->dir;
}

/* The event that carries event i's packet headers: the kernel dumps them
 * once per hook a packet passes, with its first event there; the later
 * events of that pass (same packet id, same place) have none. NULL if
 * none does. */
static const struct nftrace_event *event_header(const struct trace *t, size_t i)
{
	for (size_t k = i + 1; k-- > 0;) {
		const struct nftrace_event *ev = &t->nft[k];

		if (t->nft_ns[k] != t->nft_ns[i] || ev->id != t->nft[i].id)
			continue;
		if (ev->saddr || ev->daddr || ev->proto)
			return ev;
	}
	return NULL;
}

/* The request (not its answer) at side p's hook: it comes from the source
 * pod (egress, before any SNAT), or goes to the destination pod (ingress,
 * after DNAT). ev: the headers of the event. */
static bool event_is_request(const struct trace *t, const struct trace_policy *p,
			     const struct nftrace_event *ev)
{
	uint32_t ip = t->lab->topo.pods[p->pod].ip;

	if (!ev)
		return false;

	if (ev->proto != probe_ipproto(t->probe.proto))
		return false;
	return p->dir == POLICY_EGRESS ? ev->saddr == ip : ev->daddr == ip;
}

/* Does event i belong to side p: its node's namespace, its direction, the
 * request? */
static bool event_of(const struct trace *t, const struct trace_policy *p, size_t i,
		     struct policy_chain_ref *ref, bool *known)
{
	return p->ns >= 0 && t->nft_ns[i] == (size_t)p->ns &&
	       event_dir(&t->lab->topo, &t->nft[i], ref, known) == (int)p->dir &&
	       event_is_request(t, p, event_header(t, i));
}

static void flow_from_event(struct policy_flow *f, const struct nftrace_event *ev)
{
	*f = (struct policy_flow){ .saddr = ev->saddr, .daddr = ev->daddr, .l4proto = ev->proto,
				   .dport = ev->proto == IPPROTO_ICMP ? 0 : ev->dport };
}

/* The ingress side's pod when the destination is a Service: the pod the
 * table's ingress chains saw the request go to, else the endpoint the
 * captures showed kube-proxy choose. -1 if neither. */
static ssize_t endpoint_pod(const struct trace *t)
{
	const struct topo *topo = &t->lab->topo;
	struct policy_chain_ref ref;
	bool known;

	for (size_t i = 0; i < t->nnft; i++) {
		const struct nftrace_event *ev = &t->nft[i];
		ssize_t pod;

		if (event_dir(topo, ev, &ref, &known) != POLICY_INGRESS)
			continue;
		ev = event_header(t, i);
		if (!ev || ev->proto != probe_ipproto(t->probe.proto) || ev->daddr == t->probe.saddr)
			continue;
		pod = policy_pod_by_addr(topo, ev->daddr);
		if (pod >= 0)
			return pod;
	}
	for (size_t h = 0; h < t->nhops; h++)
		if (!t->hops[h].reply && t->hops[h].svc.svc >= 0 && t->hops[h].svc.pod >= 0)
			return t->hops[h].svc.pod;
	return -1;
}

/* The request as it left the source's node (after DNAT), or as it came to
 * the destination pod (after SNAT), from the captures; for ingress, when
 * the pod never saw it, as it arrived in the pod's node already addressed
 * to the pod: kube-proxy's DNAT (and its masquerade) were then another
 * node's (a NodePort or load balancer that picked that node), so this node
 * forwards it unchanged to its postrouting hook. The port of a Service's
 * endpoint is the Service port's target on that pod. */
static bool flow_from_hops(const struct trace *t, struct trace_policy *p, struct policy_flow *f)
{
	const struct trace_policy *out = &t->policy[POLICY_EGRESS];
	const struct lab_plan *plan = &t->lab->plan;
	const struct topo *topo = &t->lab->topo;
	const struct capture_pkt *k = NULL, *at_node = NULL;
	uint32_t ip = topo->pods[p->pod].ip;
	const char *node_ns = plan->nodes[topo->pods[p->pod].node].netns;

	for (size_t h = 0; h < t->nhops && !k; h++) {
		const struct capture_pkt *c = t->hops[h].pkt;
		const char *netns = t->ns[t->hops[h].ns];

		if (t->hops[h].reply || c->has_inner_err)
			continue;
		if (p->dir == POLICY_EGRESS && c->outgoing && c->saddr == ip && !strcmp(netns, node_ns))
			k = c;
		if (p->dir == POLICY_INGRESS && !c->outgoing && c->daddr == ip &&
		    !strcmp(netns, plan->pods[p->pod].netns))
			k = c;
		if (p->dir == POLICY_INGRESS && !c->outgoing && c->daddr == ip && !at_node &&
		    !strcmp(netns, node_ns))
			at_node = c;
	}
	if (!k)
		k = at_node;
	if (k) {
		*f = (struct policy_flow){ .saddr = k->saddr, .daddr = k->daddr, .l4proto = k->proto,
					   .dport = k->proto == IPPROTO_ICMP ? 0 : k->dport };
		return true;
	}
	/* Not seen there: the request as sent, where no Service's DNAT would
	 * change it, or as the egress hook saw it after the DNAT (a Service's
	 * endpoint is known only from a hop or an event). */
	p->flow_sent = true;
	if (p->dir == POLICY_INGRESS && out->valid && out->flow_seen &&
	    out->flow.daddr == topo->pods[p->pod].ip) {
		*f = out->flow;
		return true;
	}
	if (t->svc.svc >= 0 || !t->probe.saddr)
		return false;
	*f = (struct policy_flow){ .saddr = t->probe.saddr, .daddr = t->dst.ip,
				   .l4proto = probe_ipproto(t->probe.proto),
				   .dport = t->probe.proto == PROBE_ICMP ? 0 : t->probe.dport };
	return true;
}

/* The rule that decided in the kernel: the first drop of the request in
 * this direction's chains, else the first accept by a policy's rule. */
static void nft_decision(const struct trace *t, struct trace_policy *p)
{
	const struct nftrace_event *drop = NULL, *accept = NULL;
	struct policy_chain_ref ref, dref = { 0 }, aref = { 0 };
	bool known, dknown = false;

	for (size_t i = 0; i < t->nnft && !drop; i++) {
		const struct nftrace_event *ev = &t->nft[i];

		if (!event_of(t, p, i, &ref, &known))
			continue;
		if ((ev->kind == NFTRACE_RULE || ev->kind == NFTRACE_POLICY) && ev->verdict == NF_DROP) {
			drop = ev;
			dref = ref;
			dknown = known;
		} else if (!accept && ev->kind == NFTRACE_RULE && ev->verdict == NF_ACCEPT && known &&
			   ref.kind == POLICY_CHAIN_POLICY) {
			accept = ev;
			aref = ref;
		}
	}
	if (drop) {
		p->nft = TRACE_POLICY_NFT_DROP;
		p->chain_known = dknown;
		p->ref = dref;
	} else if (accept) {
		drop = accept;
		p->nft = TRACE_POLICY_NFT_ACCEPT;
		p->chain_known = true;
		p->ref = aref;
	} else {
		return;
	}
	memcpy(p->chain, drop->chain, sizeof(p->chain));
	memcpy(p->comment, drop->comment, sizeof(p->comment));
	memcpy(p->rule, drop->rule, sizeof(p->rule));
	p->handle = drop->handle;
	p->nft_policy = drop->kind == NFTRACE_POLICY;
	if (p->nft == TRACE_POLICY_NFT_ACCEPT) {
		enum policy_dir dir;

		p->rule_known = policy_rule_comment_parse(&t->lab->topo, p->comment, &p->rule_policy,
							  &dir, &p->rule_rule, &p->rule_peer,
							  &p->rule_port) == 0 && dir == p->dir;
	}
}

bool trace_policy_kernel_agrees(const struct trace_policy *p)
{
	const struct policy_side *s = &p->side;

	if (p->nft == TRACE_POLICY_NFT_NONE)
		return true;
	if (p->nft == TRACE_POLICY_NFT_DROP)
		return !s->allowed;
	if (!s->allowed || !s->isolated || s->exempt)
		return false;
	if (p->rule_known)
		return p->rule_policy == s->policy && p->rule_rule == s->rule &&
		       p->rule_peer == s->peer && p->rule_port == s->port;
	return p->chain_known && p->ref.index == s->policy;
}

/* Side p (dir and pod set): its node's place, the packet, the evaluation,
 * the kernel's decision. 0 or -ENOMEM. */
static int side_fill(const struct trace *t, struct trace_policy *p)
{
	const struct topo *topo = &t->lab->topo;
	struct policy_chain_ref ref;
	bool known;
	int ret;

	p->ns = place_of(t, t->lab->plan.nodes[topo->pods[p->pod].node].netns);
	for (size_t i = 0; i < t->nnft && !p->flow_seen; i++)
		if (event_of(t, p, i, &ref, &known)) {
			flow_from_event(&p->flow, event_header(t, i));
			p->flow_seen = true;
		}
	if (!p->flow_seen && !flow_from_hops(t, p, &p->flow))
		return 0;
	ret = policy_eval(topo, p->dir, p->pod, &p->flow, &p->side);
	if (ret < 0)
		return ret;
	p->valid = true;
	nft_decision(t, p);
	return 0;
}

void trace_policy_free(struct trace *t)
{
	for (size_t d = 0; d < 2; d++) {
		if (t->policy[d].valid)
			policy_side_free(&t->policy[d].side);
		memset(&t->policy[d], 0, sizeof(t->policy[d]));
		t->policy[d].dir = (enum policy_dir)d;
		t->policy[d].ns = -1;
	}
}

int trace_policy_collect(struct trace *t)
{
	struct trace_policy *in = &t->policy[POLICY_INGRESS], *out = &t->policy[POLICY_EGRESS];
	ssize_t dst = -1;
	int ret = 0;

	trace_policy_free(t);
	if (!t->lab)
		return 0;
	if (t->src.kind == TRACE_EP_POD && t->src.pod >= 0) {
		out->pod = (size_t)t->src.pod;
		ret = side_fill(t, out);
	}
	if (t->dst.kind == TRACE_EP_POD)
		dst = t->dst.pod;
	else if (t->svc.svc >= 0)
		dst = endpoint_pod(t);
	/* Dropped on its way out, after kube-proxy's DNAT: the endpoint is
	 * what the egress hook saw. */
	if (dst < 0 && t->svc.svc >= 0 && out->valid && out->flow_seen)
		dst = policy_pod_by_addr(&t->lab->topo, out->flow.daddr);
	if (ret == 0 && dst >= 0) {
		in->pod = (size_t)dst;
		ret = side_fill(t, in);
	}
	return ret;
}

void trace_policy_rule_path(const struct trace_policy *p, char *buf, size_t len)
{
	const struct policy_side *s = &p->side;
	bool in = p->dir == POLICY_INGRESS;
	size_t n;

	buf[0] = '\0';
	if (!p->valid || !s->isolated || !s->allowed || s->exempt)
		return;
	n = (size_t)snprintf(buf, len, "spec.%s[%zu]", in ? "ingress" : "egress", s->rule);
	if (s->peer != POLICY_ANY && n < len)
		n += (size_t)snprintf(buf + n, len - n, ".%s[%zu]", in ? "from" : "to", s->peer);
	if (s->port != POLICY_ANY && n < len)
		snprintf(buf + n, len - n, " ports[%zu]", s->port);
}

const char *trace_policy_dir_name(enum policy_dir d)
{
	return d == POLICY_INGRESS ? "ingress" : "egress";
}
