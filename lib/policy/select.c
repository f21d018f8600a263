/* policy/select — which pods, namespaces, addresses and ports a
 * NetworkPolicy's selectors and rules stand for, with the API's semantics
 * (k8s.io/apimachinery labels.Selector for label selectors). */
#include <netinet/in.h>
#include <string.h>

#include "policy/policy.h"

static const char *label_get(const struct topo_label *labels, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(labels[i].key, key))
			return labels[i].value;
	}
	return NULL;
}

static bool value_in(const struct topo_sel_expr *e, const char *v)
{
	for (size_t i = 0; i < e->nvalues; i++) {
		if (!strcmp(e->values[i], v))
			return true;
	}
	return false;
}

static bool expr_holds(const struct topo_sel_expr *e, const struct topo_label *labels,
		       size_t nlabels)
{
	const char *v = label_get(labels, nlabels, e->key);

	switch (e->op) {
	case TOPO_SEL_IN:
		return v && value_in(e, v);
	case TOPO_SEL_NOT_IN:		/* an absent key is not in any set */
		return !v || !value_in(e, v);
	case TOPO_SEL_EXISTS:
		return v != NULL;
	case TOPO_SEL_DOES_NOT_EXIST:
		return v == NULL;
	}
	return false;
}

bool policy_selector_matches(const struct topo_selector *s, const struct topo_label *labels,
			     size_t nlabels)
{
	for (size_t i = 0; i < s->nmatch; i++) {
		const char *v = label_get(labels, nlabels, s->match[i].key);

		if (!v || strcmp(v, s->match[i].value))
			return false;
	}
	for (size_t i = 0; i < s->nexprs; i++) {
		if (!expr_holds(&s->exprs[i], labels, nlabels))
			return false;
	}
	return true;
}

bool policy_selects(const struct topo *t, const struct topo_policy *p, size_t pod)
{
	const struct topo_pod *tp = &t->pods[pod];

	return !strcmp(tp->ns, p->ns) && policy_selector_matches(&p->pods, tp->labels, tp->nlabels);
}

bool policy_isolates(const struct topo *t, const struct topo_policy *p, size_t pod,
		     enum policy_dir dir)
{
	if (!(dir == POLICY_INGRESS ? p->ingress : p->egress))
		return false;
	return policy_selects(t, p, pod);
}

/* Does the namespace selector hold for namespace ns? Its labels are the
 * model's; a namespace the model lacks (a topology not yet resolved) still
 * carries the label the API server always sets. */
static bool ns_matches(const struct topo *t, const struct topo_selector *s, const char *ns)
{
	const struct topo_namespace *n = topo_namespace_find(t, ns);
	struct topo_label implied = { (char *)TOPO_NS_NAME_LABEL, (char *)ns };

	if (!n)
		return policy_selector_matches(s, &implied, 1);
	return policy_selector_matches(s, n->labels, n->nlabels);
}

bool policy_peer_selects(const struct topo *t, const struct topo_policy *p,
			 const struct topo_np_peer *peer, size_t pod)
{
	const struct topo_pod *tp = &t->pods[pod];

	if (peer->has_block || (!peer->has_pods && !peer->has_namespaces))
		return false;
	if (peer->has_namespaces) {
		if (!ns_matches(t, &peer->namespaces, tp->ns))
			return false;
	} else if (strcmp(tp->ns, p->ns)) {	/* a bare podSelector: p's namespace */
		return false;
	}
	return !peer->has_pods || policy_selector_matches(&peer->pods, tp->labels, tp->nlabels);
}

bool policy_peer_matches_addr(const struct topo *t, const struct topo_policy *p,
			      const struct topo_np_peer *peer, uint32_t addr)
{
	ssize_t pod;

	if (peer->has_block) {
		/* An IPv6 ipBlock in an IPv4-only lab: no packet is ever in it. */
		if (peer->block_v6 || !cidr_contains(&peer->block, addr))
			return false;
		for (size_t i = 0; i < peer->nexcept; i++) {
			if (cidr_contains(&peer->except[i], addr))
				return false;
		}
		return true;
	}
	pod = policy_pod_by_addr(t, addr);
	return pod >= 0 && policy_peer_selects(t, p, peer, (size_t)pod);
}

/* The NetworkPolicy protocol of an IP protocol number, or -1 (ICMP...). */
static int np_proto(uint8_t l4proto)
{
	switch (l4proto) {
	case IPPROTO_TCP:
		return TOPO_NP_TCP;
	case IPPROTO_UDP:
		return TOPO_NP_UDP;
	case IPPROTO_SCTP:
		return TOPO_NP_SCTP;
	}
	return -1;
}

/* Does pod declare a container port named name for protocol proto, number
 * dport? Containers serve TCP and UDP only, so an SCTP name never resolves. */
static bool named_port_is(const struct topo_pod *tp, const char *name,
			  enum topo_np_proto proto, uint16_t dport)
{
	enum topo_proto want;

	if (proto == TOPO_NP_SCTP)
		return false;
	want = proto == TOPO_NP_TCP ? TOPO_PROTO_TCP : TOPO_PROTO_UDP;
	for (size_t c = 0; c < tp->ncontainers; c++) {
		const struct topo_container *k = &tp->containers[c];

		for (size_t i = 0; i < k->nports; i++) {
			if (k->ports[i].proto == want && k->ports[i].port == dport &&
			    !strcmp(k->ports[i].name, name))
				return true;
		}
	}
	return false;
}

bool policy_port_matches(const struct topo *t, const struct topo_np_port *port,
			 uint8_t l4proto, uint16_t dport, ssize_t dst_pod)
{
	int proto = np_proto(l4proto);

	if (proto < 0 || (enum topo_np_proto)proto != port->proto)
		return false;
	if (port->name[0])
		return dst_pod >= 0 && (size_t)dst_pod < t->npods &&
		       named_port_is(&t->pods[dst_pod], port->name, port->proto, dport);
	if (!port->port)	/* protocol only: every port */
		return true;
	if (port->end_port)
		return dport >= port->port && dport <= port->end_port;
	return dport == port->port;
}

ssize_t policy_pod_by_addr(const struct topo *t, uint32_t ip)
{
	if (!ip)
		return -1;
	for (size_t i = 0; i < t->npods; i++) {
		if (t->pods[i].ip == ip)
			return (ssize_t)i;
	}
	return -1;
}

/* The addresses a node's namespace holds (lib/lab/setup.c; lab/expect.c
 * lists them): eth0's VPC address in every mode; in routed and vxlan the
 * bridge cbr0's, the pods' gateway; in vxlan also flannel.1's, the pod
 * CIDR's network address, which the node sources packets to other nodes'
 * pods from. In vpc mode the pods' gateway 169.254.1.1 is a next hop
 * answered by proxy ARP, an address no interface of the node holds, so no
 * packet comes from it. */
bool policy_node_owns(const struct topo *t, size_t node, uint32_t ip)
{
	const struct topo_node *n = &t->nodes[node];

	if (!ip)
		return false;
	if (ip == n->ip)
		return true;
	if (t->net.mode != TOPO_MODE_VPC && ip == n->gw)
		return true;
	return t->net.mode == TOPO_MODE_VXLAN && ip == n->pod_cidr.addr;
}
