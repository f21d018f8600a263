/* explain/summary — the summary table's rows; see summary.h. The "how"
 * and "mechanism" columns say what Kubernetes does; the lab column names
 * this lab's own objects (from its resolved topology and plan, the names
 * setup gave the kernel), so a learner can go and look. */
#include <stdio.h>
#include <string.h>

#include "bgp/bgp.h"
#include "lab/bgp.h"
#include "explain/summary.h"

static void lab_c2c(const struct topo *t, char *s, size_t len)
{
	char a[ADDR_STRLEN];

	for (size_t i = 0; i < t->npods; i++) {
		const struct topo_pod *p = &t->pods[i];
		size_t o;

		if (p->ncontainers < 2)
			continue;
		o = (size_t)snprintf(s, len, "pod %s/%s: containers", p->ns, p->name);
		for (size_t c = 0; c < p->ncontainers && o < len; c++)
			o += (size_t)snprintf(s + o, len - o, "%s %s%s", c ? "," : "",
					      p->containers[c].name,
					      p->containers[c].nports ? "" : " (no port)");
		for (size_t c = 0, n = 0; c < p->ncontainers && o < len; c++)
			if (p->containers[c].nports)
				o += (size_t)snprintf(s + o, len - o, "%s:%u", n++ ? ", " : " (ports ",
						      p->containers[c].ports[0].port);
		if (o < len)
			snprintf(s + o, len - o, ") share %s and one eth0", addr_fmt(p->ip, a));
		return;
	}
	snprintf(s, len, "every pod here has one container; a second would share its eth0");
}

static void lab_p2p(const struct lab *l, char *s, size_t len)
{
	const struct topo *t = &l->topo;
	char a[ADDR_STRLEN], c[CIDR_STRLEN];

	for (size_t i = 0; i < t->npods; i++) {
		const struct topo_pod *p = &t->pods[i];
		const struct topo_node *n = &t->nodes[p->node];
		struct cidr gw = { .addr = n->gw, .len = n->pod_cidr.len };

		if (t->net.mode == TOPO_MODE_VPC)
			snprintf(s, len, "%s: no bridge; route %s/32 dev %s; the pods' gateway "
				 "169.254.1.1 is a static ARP entry to the host veth's MAC", n->name,
				 addr_fmt(p->ip, a), l->plan.pods[i].host_if);
		else
			snprintf(s, len, "%s: bridge %s %s; pod %s/%s's eth0 pairs with %s, a port "
				 "of %s", n->name, LAB_BRIDGE_NAME, cidr_fmt(&gw, c), p->ns, p->name,
				 l->plan.pods[i].host_if, LAB_BRIDGE_NAME);
		return;
	}
	snprintf(s, len, "no pods in this lab");
}

static void lab_cross(const struct lab *l, char *s, size_t len)
{
	const struct topo *t = &l->topo;
	const struct topo_node *a0, *b0;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], c[CIDR_STRLEN];

	if (t->nnodes < 2) {
		snprintf(s, len, "one node: nothing crosses");
		return;
	}
	a0 = &t->nodes[0];
	b0 = &t->nodes[1];
	if (t->net.mode == TOPO_MODE_ROUTED) {
		snprintf(s, len, "%s routes %s via %s (%s)", a0->name, cidr_fmt(&b0->pod_cidr, c),
			 addr_fmt(b0->ip, a), b0->name);
	} else if (t->net.mode == TOPO_MODE_BGP) {
		size_t have = 0, want = 0;
		const char *rr = bgp_uses_rr(t) ? " through the route reflector" : "";

		cidr_fmt(&b0->pod_cidr, c);
		addr_fmt(b0->ip, a);
		/* Said as it is now: one look at every node's proto bird routes. */
		if (lab_bgp_routes_present(l, &have, &want) < 0)
			snprintf(s, len, "BGP should give %s a route to %s via %s (%s) as proto bird, "
				 "from %s's BIRD%s; the nodes' routes cannot be read", a0->name, c, a,
				 b0->name, b0->name, rr);
		else if (have < want)
			snprintf(s, len, "BGP should give %s a route to %s via %s (%s) as proto bird, "
				 "from %s's BIRD%s; only %zu of the %zu routes are in place now "
				 "(explain cross-node names the sessions); the VPC router holds no pod "
				 "routes", a0->name, c, a, b0->name, b0->name, rr, have, want);
		else
			snprintf(s, len, "%s routes %s via %s (%s) as proto bird, learned over BGP from "
				 "%s's BIRD%s (all %zu routes in place); the VPC router holds no pod "
				 "routes", a0->name, c, a, b0->name, b0->name, rr, want);
	} else if (t->net.mode == TOPO_MODE_VXLAN) {
		snprintf(s, len, "%s routes %s through %s; VXLAN (UDP %d, VNI %d) to %s (%s)", a0->name,
			 cidr_fmt(&b0->pod_cidr, c), LAB_VXLAN_NAME, LAB_VXLAN_PORT, LAB_VXLAN_VNI,
			 addr_fmt(b0->ip, a), b0->name);
	} else {
		for (size_t i = 0; i < t->npods; i++)
			if (t->pods[i].node == 1) {
				/* setup's vpc mode: no VPC routes; the VPC segment
				 * switches, the owning node answers ARP by proxy. */
				snprintf(s, len, "pod IPs are VPC addresses (ENI secondary IPs): %s ARPs "
					 "for %s (pod %s/%s), %s (%s) answers by proxy ARP and routes "
					 "the /32 to the pod's veth", a0->name, addr_fmt(t->pods[i].ip, a),
					 t->pods[i].ns, t->pods[i].name, b0->name, addr_fmt(b0->ip, b));
				return;
			}
		snprintf(s, len, "pod IPs are VPC addresses; each node answers ARP for its own pods "
			 "by proxy");
	}
}

/* The first ClusterIP Service with endpoints, not the cluster DNS. */
static void lab_svc(const struct topo *t, char *s, size_t len)
{
	char a[ADDR_STRLEN];

	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *sv = &t->services[i];
		size_t o;

		if (!sv->cluster_ip || !sv->nendpoints || !sv->nports || !strcmp(sv->name, "kube-dns"))
			continue;
		o = (size_t)snprintf(s, len, "svc %s/%s %s:%u -> ", sv->ns, sv->name,
				     addr_fmt(sv->cluster_ip, a), sv->ports[0].port);
		for (size_t e = 0; e < sv->nendpoints && o < len; e++)
			o += (size_t)snprintf(s + o, len - o, "%s%s:%u", e ? ", " : "",
					      addr_fmt(t->pods[sv->endpoints[e].pod].ip, a),
					      sv->endpoints[e].port[0]);
		if (o < len)
			snprintf(s + o, len - o, "; %s in every node", t->net.proxy_mode ==
				 TOPO_PROXY_IPTABLES ? "iptables chain KUBE-SERVICES (table nat)"
				 : "nftables table ip kube-proxy");
		return;
	}
	snprintf(s, len, "no ClusterIP Service with endpoints in this lab");
}

static void lab_dns(const struct topo *t, char *s, size_t len)
{
	const struct topo_service *sv = topo_service_find(t, "kube-system", "kube-dns");
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (!sv || !sv->cluster_ip) {
		snprintf(s, len, "no kube-dns Service in this lab");
		return;
	}
	snprintf(s, len, "kube-dns %s:53 -> %s%s%s; resolv.conf: nameserver %s, search "
		 "NS.svc.%s svc.%s %s, ndots:5", addr_fmt(sv->cluster_ip, a),
		 sv->nendpoints ? t->pods[sv->endpoints[0].pod].ns : "no endpoint",
		 sv->nendpoints ? "/" : "", sv->nendpoints ? t->pods[sv->endpoints[0].pod].name : "",
		 addr_fmt(sv->cluster_ip, b), t->net.domain, t->net.domain, t->net.domain);
}

static void lab_egress(const struct topo *t, char *s, size_t len)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN], c[ADDR_STRLEN];

	if (!t->nnodes || !t->inet.nhosts) {
		snprintf(s, len, "no internet in this lab");
		return;
	}
	snprintf(s, len, "%s masquerades pods to %s; the cloud gateway %s maps it to %s",
		 t->nodes[0].name, addr_fmt(t->nodes[0].ip, a), addr_fmt(t->net.gateway_ip, b),
		 addr_fmt(t->nodes[0].public_ip, c));
}

static void lab_ingress(const struct topo *t, char *s, size_t len)
{
	const struct topo_service *lb = topo_ingress_lb(t);
	char a[ADDR_STRLEN];
	size_t o;

	if (!lb || !lb->nports) {
		snprintf(s, len, "no ingress controller behind a load balancer in this lab");
		return;
	}
	o = (size_t)snprintf(s, len, "load balancer %s:%u -> NodePort %u -> %s%s%s",
			     addr_fmt(lb->lb_ip, a), lb->ports[0].port, lb->ports[0].node_port,
			     lb->nendpoints ? t->pods[lb->endpoints[0].pod].ns : "no endpoint",
			     lb->nendpoints ? "/" : "",
			     lb->nendpoints ? t->pods[lb->endpoints[0].pod].name : "");
	for (size_t i = 0, n = 0; i < t->ningresses && o < len; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules && o < len; r++)
			if (t->ingresses[i].rules[r].host[0])
				o += (size_t)snprintf(s + o, len - o, "%s%s", n++ ? ", " : " (nginx); hosts ",
						      t->ingresses[i].rules[r].host);
}

static void lab_policy(const struct topo *t, char *s, size_t len)
{
	size_t o;

	if (!t->npolicies) {
		snprintf(s, len, "no NetworkPolicy: every pod accepts from everywhere");
		return;
	}
	o = (size_t)snprintf(s, len, "%zu polic%s:", t->npolicies, t->npolicies == 1 ? "y" : "ies");
	for (size_t i = 0; i < t->npolicies && i < 3 && o < len; i++)
		o += (size_t)snprintf(s + o, len - o, " %s/%s", t->policies[i].ns, t->policies[i].name);
	if (o < len)
		snprintf(s + o, len - o, "%s; table ip network-policy in every node",
			 t->npolicies > 3 ? " ..." : "");
}

size_t explain_summary(const struct lab *l, struct explain_summary_row *rows)
{
	static const struct {
		const char *scenario, *how, *mechanism, *topic;
	} fixed[EXPLAIN_SUMMARY_ROWS] = {
		{ "container to container", "containers of a pod share one network namespace: one IP, "
		  "one set of ports; they talk over localhost", "the pod's shared network namespace",
		  "container-to-container" },
		{ "pod to pod, same node", "each pod's eth0 is one end of a veth pair; the other end is "
		  "a port of the node's bridge, which forwards by MAC (found by ARP)",
		  "veth pair and the Linux bridge, ARP", "pod-to-pod" },
		{ "pod to pod, other node", "each node owns a pod CIDR; the packet goes to the node that "
		  "owns the destination's, unchanged (no NAT)", "", "cross-node" },
		{ "pod to Service", "a ClusterIP is virtual: kube-proxy's rules in every node DNAT it "
		  "to one endpoint pod; conntrack undoes it on the answer", "", "pod-to-service" },
		{ "DNS", "pods ask the cluster DNS at the kube-dns ClusterIP (the kubelet writes "
		  "resolv.conf); a Service's name answers with its ClusterIP",
		  "CoreDNS behind the kube-dns Service; the search list", "dns" },
		{ "egress (pod to internet)", "the node SNATs the pod's address to its own; the "
		  "cloud's gateway NATs the node's address to a public one",
		  "masquerade on the node, 1:1 NAT at the gateway", "egress" },
		{ "ingress (internet to pod)", "a cloud load balancer sends to a NodePort; kube-proxy "
		  "sends it on to the ingress controller, which routes by host and path to the "
		  "backend pods", "L4 load balancer, NodePort, the Ingress controller (L7)", "ingress" },
		{ "NetworkPolicy", "a pod a policy selects is isolated in that direction; the allows "
		  "of all policies add up", "the CNI's rules (nftables) per pod", "network-policy" },
	};
	const struct topo *t = l ? &l->topo : NULL;

	for (size_t i = 0; i < EXPLAIN_SUMMARY_ROWS; i++) {
		struct explain_summary_row *r = &rows[i];

		memset(r, 0, sizeof(*r));
		r->scenario = fixed[i].scenario;
		r->how = fixed[i].how;
		r->topic = fixed[i].topic;
		snprintf(r->mechanism, sizeof(r->mechanism), "%s", fixed[i].mechanism);
	}
	/* Where the mechanism depends on the lab's modes, this lab's (all of
	 * them without a lab). */
	if (!t)
		snprintf(rows[2].mechanism, sizeof(rows[2].mechanism), "routes to each pod CIDR, "
			 "an overlay (VXLAN), VPC-native pod addresses, or routes learned over BGP");
	else if (t->net.mode == TOPO_MODE_ROUTED)
		snprintf(rows[2].mechanism, sizeof(rows[2].mechanism), "a route per node's pod CIDR");
	else if (t->net.mode == TOPO_MODE_VXLAN)
		snprintf(rows[2].mechanism, sizeof(rows[2].mechanism), "VXLAN overlay (flannel)");
	else if (t->net.mode == TOPO_MODE_BGP)
		snprintf(rows[2].mechanism, sizeof(rows[2].mechanism), "routes learned over BGP "
			 "(Calico: BIRD in every node)");
	else
		snprintf(rows[2].mechanism, sizeof(rows[2].mechanism), "VPC-native pod IPs (AWS VPC "
			 "CNI): /32 routes, proxy ARP");
	snprintf(rows[3].mechanism, sizeof(rows[3].mechanism), "kube-proxy's DNAT (%s), conntrack",
		 !t ? "iptables or nftables" : t->net.proxy_mode == TOPO_PROXY_IPTABLES ? "iptables"
		 : "nftables");
	if (!t)
		return EXPLAIN_SUMMARY_ROWS;
	lab_c2c(t, rows[0].lab, sizeof(rows[0].lab));
	lab_p2p(l, rows[1].lab, sizeof(rows[1].lab));
	lab_cross(l, rows[2].lab, sizeof(rows[2].lab));
	lab_svc(t, rows[3].lab, sizeof(rows[3].lab));
	lab_dns(t, rows[4].lab, sizeof(rows[4].lab));
	lab_egress(t, rows[5].lab, sizeof(rows[5].lab));
	lab_ingress(t, rows[6].lab, sizeof(rows[6].lab));
	lab_policy(t, rows[7].lab, sizeof(rows[7].lab));
	return EXPLAIN_SUMMARY_ROWS;
}
