/* policy/eval — the evaluator: is one direction of a packet admitted for a
 * pod, and by which policy and rule, as upstream Kubernetes specifies it
 * (the API reference of NetworkPolicySpec and the e2e truth tables): a pod
 * is isolated in a direction once any policy selecting it has that
 * policyType; then a packet passes only if some rule of some isolating
 * policy admits its peer and port; the allows of all policies add up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/* Does rule r (of p, direction dir) admit the peer address and the port?
 * The first peer and port that do are *peer and *port, POLICY_ANY where the
 * rule lists none (every peer, every port, ICMP included). */
static bool rule_admits(const struct topo *t, const struct topo_policy *p,
			const struct topo_np_rule *r, uint32_t peer_addr, ssize_t peer_pod,
			const struct policy_flow *f, ssize_t dst_pod, size_t *peer, size_t *port)
{
	*peer = *port = POLICY_ANY;
	if (r->npeers) {
		size_t k;

		/* The peer's pod is looked up once per evaluation, not per peer
		 * (policy_peer_matches_addr would, for every selector peer). */
		for (k = 0; k < r->npeers; k++) {
			const struct topo_np_peer *pe = &r->peers[k];

			if (pe->has_block ? policy_peer_matches_addr(t, p, pe, peer_addr)
					  : peer_pod >= 0 && policy_peer_selects(t, p, pe, (size_t)peer_pod))
				break;
		}
		if (k == r->npeers)
			return false;
		*peer = k;
	}
	if (r->nports) {
		size_t q;

		for (q = 0; q < r->nports; q++) {
			if (policy_port_matches(t, &r->ports[q], f->l4proto, f->dport, dst_pod))
				break;
		}
		if (q == r->nports)
			return false;
		*port = q;
	}
	return true;
}

int policy_eval(const struct topo *t, enum policy_dir dir, size_t pod,
		const struct policy_flow *f, struct policy_side *out)
{
	bool in = dir == POLICY_INGRESS;
	uint32_t peer_addr = in ? f->saddr : f->daddr;
	/* Named ports resolve on the packet's destination: the pod itself for
	 * its ingress, whatever pod has the address it sends to for egress. */
	ssize_t dst_pod = in ? (ssize_t)pod : policy_pod_by_addr(t, f->daddr);
	ssize_t peer_pod = policy_pod_by_addr(t, peer_addr);
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	out->dir = dir;
	out->pod = pod;
	out->policy = out->rule = out->peer = out->port = POLICY_ANY;
	for (size_t i = 0; i < t->npolicies; i++)
		n += policy_isolates(t, &t->policies[i], pod, dir);
	if (n) {
		out->isolating = calloc(n, sizeof(*out->isolating));
		if (!out->isolating)
			return -ENOMEM;
		for (size_t i = 0; i < t->npolicies; i++) {
			if (policy_isolates(t, &t->policies[i], pod, dir))
				out->isolating[out->nisolating++] = i;
		}
	}
	out->isolated = n > 0;
	/* Traffic between a pod and its own node is never subject to policy
	 * (policy.h): the postrouting chain lets the node's addresses pass and
	 * the forward hook never sees what the node sends or receives itself. */
	out->exempt = policy_node_owns(t, t->pods[pod].node, peer_addr);
	if (!out->isolated || out->exempt) {
		out->allowed = true;
		return 0;
	}
	for (size_t k = 0; k < out->nisolating; k++) {
		const struct topo_policy *p = &t->policies[out->isolating[k]];
		const struct topo_np_rule *rules = in ? p->in : p->out;
		size_t nrules = in ? p->nin : p->nout;

		for (size_t r = 0; r < nrules; r++) {
			size_t peer, port;

			if (!rule_admits(t, p, &rules[r], peer_addr, peer_pod, f, dst_pod, &peer, &port))
				continue;
			out->allowed = true;
			out->policy = out->isolating[k];
			out->rule = r;
			out->peer = peer;
			out->port = port;
			return 0;
		}
	}
	return 0;
}

void policy_side_free(struct policy_side *s)
{
	free(s->isolating);
	s->isolating = NULL;
	s->nisolating = 0;
}
