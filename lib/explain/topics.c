/* topics — what each explain topic teaches and how it reads the lab; see
 * explain.h. The concept text is about Kubernetes as it is (dated facts say
 * since when); the lab parts name this lab's own objects, asked of the
 * kernel where the kernel holds them. */
#include <errno.h>
#include <limits.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "explain/explain.h"
#include "explain/summary.h"
#include "lab/bgp_view.h"
#include <linux/netfilter.h>

#include "netns/netns.h"
#include "nft/nft.h"
#include "nl/nl.h"
#include "policy/describe.h"
#include "policy/policy.h"
#include "proxy/names.h"
#include "proxy/proxy.h"
#include "self.h"

/* ---- the concepts ---- */

static const char *const model_text[] = {
	"Kubernetes asks three things of a cluster's network, and leaves how to the network "
	"plugin (CNI): every pod can reach every other pod, on any node, without NAT; agents "
	"on a node (the kubelet, system daemons) can reach every pod on that node; and the "
	"address a pod sees itself as is the address the others see it as (IP-per-pod).",
	"So a pod is a host on a flat network: no port mapping, no address translation between "
	"pods. Services, DNS, egress and ingress are layers built on top of that model.",
	NULL,
};

static const char *const basics_text[] = {
	"The API server is the cluster's front door and etcd its memory: every object (Pod, "
	"Service, EndpointSlice, Ingress) is desired state stored there. Controllers watch it and "
	"reconcile the world towards it: a Deployment's controller makes ReplicaSets, theirs make "
	"Pods, the EndpointSlice controller lists the ready pods behind each Service.",
	"The scheduler picks a node for each new pod. On that node the kubelet starts it through "
	"the container runtime, which calls the CNI plugin to give the pod's network namespace an "
	"interface and an address. kube-proxy, on every node, turns Services and EndpointSlices "
	"into packet-rewriting rules.",
	"podpath plays these parts itself: the topology file is the desired state, setup is the "
	"scheduler, kubelet, CNI plugin and kube-proxy at once. There is no API server; the kernel "
	"objects are real.",
	NULL,
};

static const char *const c2c_text[] = {
	"The containers of one pod share one network namespace (the pause container holds it "
	"open): one IP address, one set of ports, one loopback. Two containers of a pod reach "
	"each other on localhost, and cannot both listen on the same port.",
	"In the kernel a pod is exactly that namespace; a container is a process inside it.",
	NULL,
};

static const char *const p2p_text[] = {
	"Each pod's eth0 is one end of a veth pair; the other end sits in the node's namespace, "
	"attached to a bridge (cbr0 here, cni0 with the bridge plugin). The bridge holds the "
	"node's first address of its pod CIDR, which is every pod's default gateway.",
	"Two pods on one node talk through the bridge: an Ethernet switch inside the kernel, no "
	"routing, no NAT. With br_netfilter the bridged frames still pass the node's netfilter "
	"hooks, which kube-proxy's rules rely on.",
	NULL,
};

/* Shared by the generic cross-node concept and the bgp-mode one. */
#define CROSS_INTRO \
	"Every node owns a pod CIDR (its block of the cluster CIDR). To reach a pod on another " \
	"node, a packet must get to that node: routed (host-gw: a route to each peer's pod CIDR " \
	"via the peer's node address, which needs the nodes on one L2 segment or the cloud's " \
	"route table), an overlay (VXLAN: the pod packet wrapped in UDP between the nodes, as " \
	"flannel's vxlan backend does), VPC-native (pods get addresses of the VPC itself, as " \
	"the AWS VPC CNI does, so the cloud's network carries them unchanged), or learned over BGP " \
	"(Calico: each node announces its pod CIDR to the others, this lab's bgp mode)."
#define CROSS_PLUGINS \
	"Plugins choose among these: Flannel defaults to VXLAN and offers host-gw; Calico routes " \
	"with BGP (each node's BIRD announces its pod CIDR) and can encapsulate in IP-in-IP or " \
	"VXLAN where routing cannot reach; Weave " \
	"Net uses VXLAN in the kernel (fastdp) or its own encapsulation (sleeve). Whatever the " \
	"mode, the pod's address is never translated."

static const char *const cross_text[] = {
	CROSS_INTRO,
	"VPC-native, as the AWS VPC CNI does it: a node gets extra network interfaces (ENIs) "
	"with secondary IPs from the VPC subnet, and hands each pod one of them. The cloud "
	"delivers an address to the instance whose ENI holds it, so a node reaches a pod on "
	"another node like any VPC address: no route per node, no overlay. In this lab the VPC "
	"subnet is a bridge, and a node claims its pods' addresses on it by proxy ARP (a proxy "
	"neighbour entry per pod on its eth0), as the ENI's secondary IPs. Inside the node there "
	"is no bridge: a /32 route per pod points at the pod's veth. Inside the pod the default "
	"route goes via 169.254.1.1, a link-local address nobody holds: a static ARP entry in the "
	"pod maps it to the host veth's MAC (the CNI's way; Calico answers the same address by "
	"proxy ARP on the host veth), so every packet leaves for the node, which routes it.",
	CROSS_PLUGINS,
	NULL,
};

/* bgp mode: what a session is, what is announced, how the routes land. */
static const char *const cross_bgp_text[] = {
	CROSS_INTRO,
	"This lab is in bgp mode, Calico's native routing: the nodes share one L2 subnet and each "
	"runs BIRD, a routing daemon, which tells its peers over BGP that its pod CIDR is reached "
	"via its node address. A BGP session is one TCP connection to port 179 between two "
	"speakers. They open it with an OPEN message naming each side's AS number, then send "
	"UPDATEs (a prefix announced, or withdrawn) and a KEEPALIVE every second here (BIRD's "
	"default: 80 s, a third of its 240 s hold time); nothing heard for the hold time (9 s "
	"here) and the session is declared down and every route it brought is withdrawn. All nodes are in one AS (64512 unless "
	"network.bgp.asNumber says otherwise), so the sessions are internal BGP (iBGP).",
	"iBGP never passes a route learned from one iBGP peer on to another (that is how it "
	"avoids loops), so each node must hear every other one directly: a full mesh, n(n-1)/2 "
	"sessions, growing with the square of the node count. Beyond a threshold (Calico advises "
	"about 100 nodes; this lab 16, as all its sessions run on one machine, or when "
	"network.bgp.nodeToNodeMeshEnabled is false) every node peers only with a route "
	"reflector, which may pass its clients' routes on (RFC 4456) and keeps the announcing "
	"node as the next hop. Here the reflector is a BIRD in the VPC router's namespace with no "
	"kernel protocol: it passes routes on, it routes no pod packet.",
	"What a node announces is its pod CIDR: a static route (BIRD's protocol pod_cidr) that "
	"the export filter podpath_export_to_bgp_peers lets out, and nothing else. What it learns "
	"BIRD's kernel protocol installs in the main table as proto bird, via the peer node on "
	"the shared subnet. No cloud route table and no overlay carries pod routes: the VPC "
	"router holds none (routed mode writes a static route per peer into each node and, as "
	"kubenet's cloud routes, into the VPC router; vxlan wraps pod packets between the nodes; "
	"vpc gives pods VPC addresses). When a session goes down its routes are withdrawn, and a "
	"packet for that pod CIDR follows the node's default route to the VPC router, which has "
	"nowhere to send it but the internet gateway.",
	CROSS_PLUGINS,
	NULL,
};

static const char *const svc_text[] = {
	"A Service gives a set of pods one stable virtual address, the ClusterIP, which no "
	"interface holds. kube-proxy, on every node, rewrites a packet to that address (DNAT) "
	"into one of the Service's endpoints, chosen at random, before it is routed; conntrack "
	"undoes the rewrite on the answer. NodePort opens the Service on every node's address.",
	"kube-proxy has three modes. iptables is still the default: a chain per Service, walked "
	"rule by rule, so lookup cost grows with the number of Services. nftables mode is GA "
	"since Kubernetes 1.33 (it needs kernel 5.13 or later): one verdict-map lookup, whatever "
	"the number of Services. IPVS mode, an in-kernel load balancer, is deprecated since "
	"Kubernetes 1.35.",
	"Both layouts name what they serve: the nftables one in its chain names "
	"(service-HASH-NAMESPACE/NAME/PROTOCOL/PORT), the iptables one in its rule comments. "
	"So on a real node, where podpath knows no lab, podpath trace --netns PID still names "
	"the Service and the endpoint chosen, read from kube-proxy's own rules. A packet a node "
	"sends itself is rewritten in OUTPUT, before it reaches any interface.",
	NULL,
};

static const char *const dns_text[] = {
	"Cluster DNS (CoreDNS, behind Service kube-system/kube-dns) answers for Services "
	"(NAME.NAMESPACE.svc.cluster.local: the ClusterIP, or the pods of a headless Service), "
	"named ports (SRV records) and pods. The kubelet writes each pod a resolv.conf naming "
	"kube-dns's ClusterIP, with a search path (NAMESPACE.svc.cluster.local svc.cluster.local "
	"cluster.local) and ndots:5, so a short name like \"web\" resolves within the pod's "
	"namespace, at the price of a few failed lookups for names outside.",
	"A DNS query is ordinary traffic: it goes to the kube-dns ClusterIP and kube-proxy DNATs "
	"it to a DNS pod. Names outside the cluster are forwarded upstream.",
	NULL,
};

static const char *const egress_text[] = {
	"A pod's address means nothing outside the cluster. Leaving it, traffic is SNATed to "
	"the node's address (ip-masq-agent, or the CNI's own rule: never for pod-to-pod traffic, "
	"which keeps its source), and then the cloud translates the node's private address into "
	"a public one: 1:1 for an instance with a public IP (an AWS internet gateway with an "
	"Elastic IP), or many-to-one behind a NAT gateway.",
	"So an internet server sees the node's public address, never the pod's; the replies are "
	"translated back step by step by conntrack.",
	NULL,
};

static const char *const ingress_text[] = {
	"From outside, a LoadBalancer Service gets a public address from the cloud's L4 load "
	"balancer, which spreads connections over the nodes' NodePorts. With "
	"externalTrafficPolicy Cluster any node takes it, and kube-proxy may forward it to "
	"another node, masquerading the client's address away; with Local only nodes with a "
	"local endpoint get traffic (the load balancer's health checks tell which) and the pod "
	"sees the real client. Pods are the exception: kube-proxy lets their traffic to a Local "
	"Service's NodePort through to any endpoint, unmasqueraded, so a pod that reaches another "
	"node's NodePort while an endpoint shares its own node gets the answer straight from that "
	"endpoint, not back through the node that translated it (podpath trace calls it an "
	"asymmetric return).",
	"An Ingress adds L7 on top: an ingress controller (nginx here, as ingress-nginx) behind "
	"a LoadBalancer Service routes by host and path to Services, terminates TLS, and passes "
	"the client's address in X-Forwarded-For. That is two TCP connections: the client's to "
	"the controller (connection 1), and the controller's own to the backend (connection 2).",
	"Connection 2 does not go to the Service's ClusterIP. ingress-nginx watches the "
	"Service's EndpointSlices and its balancer (Lua, in nginx) connects straight to an "
	"endpoint pod's IP and targetPort, so kube-proxy is bypassed there: no DNAT, no conntrack "
	"translation, no random pick by kube-proxy. It does so to choose the endpoint itself: "
	"session affinity by cookie, retrying a failed request on another endpoint, its own "
	"load-balancing algorithms (round robin, EWMA), and to spare a second NAT hop. The "
	"Service is only where it reads the endpoints from. So a kube-proxy fault (a stale or "
	"missing rule) does not break the Ingress path, and a pod reached through the Ingress "
	"sees nginx's pod address as the client.",
	"A request whose host no Ingress names, or whose path no rule of its host matches, goes "
	"to the default backend, which answers 404.",
	NULL,
};

static const char *const policy_text[] = {
	"A NetworkPolicy (networking.k8s.io/v1, stable since Kubernetes 1.7) selects pods of its "
	"own namespace with spec.podSelector and isolates them, each direction on its own: a pod "
	"is isolated for ingress once any policy with Ingress in its policyTypes selects it, for "
	"egress once any policy with Egress does. A pod no policy selects is open in that "
	"direction. policyTypes defaults to Ingress, plus Egress when the policy has egress rules.",
	"Policies never deny; their rules only allow. A rule names peers (a podSelector for pods "
	"of the policy's namespace, a namespaceSelector, both in one entry for pods matching both, "
	"or an ipBlock with its exceptions; every namespace carries the label "
	"kubernetes.io/metadata.name, set by the API server since 1.22) and ports (a number, a "
	"range with endPort, stable since 1.25, or a name). The allows of every policy that "
	"isolates a pod add up: order does not matter, and a packet no rule admits is dropped. A "
	"connection needs both ends: the sender's egress and the receiver's ingress must each "
	"allow it.",
	"Policies judge connections, not packets: the replies of an allowed connection pass "
	"(conntrack), whatever the policies say of the other direction. A named port is resolved "
	"per destination pod, so \"http\" may be 8080 on one pod and 80 on another; a rule for "
	"SCTP never admits TCP or UDP on the same number.",
	"Policies see the packet as the pod does. Service traffic is matched after kube-proxy's "
	"DNAT, on the endpoint pod's address and port, never on the ClusterIP. An ipBlock matches "
	"the address the pod actually sees, after any SNAT: through a LoadBalancer with "
	"externalTrafficPolicy Cluster the client's address is masqueraded to a node's, so an "
	"ipBlock for the client does not match (Local keeps it). ipBlock is meant for addresses "
	"outside the cluster; pod addresses come and go.",
	"Traffic between a pod and its own node is always allowed: the kubelet's liveness and "
	"readiness probes come from the node, and Kubernetes lets implementations allow it, as "
	"Calico and Cilium do. podpath allows it too, so an isolated pod stays healthy.",
	"Enforcement is the network plugin's job; kube-proxy takes no part, and a plugin without "
	"policy support (flannel alone) ignores policies. podpath follows Calico's nftables "
	"dataplane, in table ip network-policy of every node: chain cali-FORWARD (after DNAT) "
	"sends a pod's outgoing packets, found by source address, to cali-fw-NS/POD (from "
	"workload); chain cali-POSTROUTING (after SNAT) sends its incoming ones to cali-tw-NS/POD "
	"(to workload). Each jumps to one chain per policy and direction, cali-po-NS/NAME for "
	"egress rules and cali-pi-NS/NAME for ingress rules, and drops what none accepted. "
	"Selectors are named sets of pod addresses, so a packet costs the same with ten pods or "
	"ten thousand. Rules carry their policy's name in comments: nft list table ip "
	"network-policy in a node tells the story.",
	NULL,
};

static const char *const summary_text[] = {
	"Layer by layer, who does what, and which podpath object shows it:",
	"container-to-container: one network namespace per pod; localhost.",
	"pod-to-pod: a veth pair per pod, the node's bridge; no NAT.",
	"cross-node: pod CIDR per node; routes, VXLAN or VPC addresses; no NAT.",
	"pod-to-service: kube-proxy's DNAT of the ClusterIP (iptables, nftables; IPVS deprecated).",
	"dns: CoreDNS behind the kube-dns ClusterIP; the kubelet's resolv.conf.",
	"egress: SNAT to the node (ip-masq-agent), then to a public address (the cloud's NAT).",
	"ingress: the cloud L4 load balancer to NodePorts; nginx for host, path and TLS.",
	"network-policy: isolation per pod and direction, allows that add up; the CNI's nftables.",
	NULL,
};

static const struct explain_topic topics[] = {
	{ "model", "The Kubernetes network model", "the three rules: pod-to-pod and node-to-pod "
	  "without NAT, one IP per pod", true },
	{ "basics", "The cluster's parts", "API server and etcd, controllers, scheduler, kubelet, "
	  "pods and nodes", false },
	{ "container-to-container", "Containers of one pod", "one network namespace, localhost", true },
	{ "pod-to-pod", "Pods on one node", "veth pairs and the node's bridge", true },
	{ "cross-node", "Pods on different nodes", "pod CIDRs; routed, VXLAN, VPC-native", true },
	{ "pod-to-service", "Services", "ClusterIP and kube-proxy's iptables, nftables and IPVS "
	  "modes", true },
	{ "dns", "Cluster DNS", "CoreDNS behind kube-dns, resolv.conf, search path", true },
	{ "egress", "To the internet", "SNAT on the node, NAT at the cloud's gateway", true },
	{ "ingress", "From the internet", "the L4 load balancer and the L7 Ingress with TLS", true },
	{ "network-policy", "NetworkPolicy", "isolation per direction, allows that add up, "
	  "Calico-style nftables", true },
	{ "summary", "All layers", "the one-page table", false },
};

#define NTOPICS (sizeof(topics) / sizeof(topics[0]))

const struct explain_topic *explain_topics(size_t *n)
{
	*n = NTOPICS;
	return topics;
}

const struct explain_topic *explain_find(const char *name)
{
	for (size_t i = 0; i < NTOPICS; i++)
		if (!strcmp(topics[i].name, name))
			return &topics[i];
	return NULL;
}

/* ---- the lab parts ---- */

__attribute__((format(printf, 2, 3)))
static void line(struct explain_doc *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->nlab == EXPLAIN_MAX_LINES) {
		d->nleft_out++;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(d->lab[d->nlab], EXPLAIN_LINE, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= EXPLAIN_LINE)
		d->nleft_out++;
	else
		d->nlab++;
}

__attribute__((format(printf, 3, 4)))
static void cmd(struct explain_doc *d, const char *what, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->ncmds == EXPLAIN_MAX_LINES) {
		d->nleft_out++;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(d->cmds[d->ncmds].cmd, EXPLAIN_LINE, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= EXPLAIN_LINE) {
		d->nleft_out++;
		return;
	}
	snprintf(d->cmds[d->ncmds++].what, sizeof(d->cmds[0].what), "%s", what);
}

static void trace_it(struct explain_doc *d, const char *src, const char *dst, const char *opts)
{
	snprintf(d->trace_src, sizeof(d->trace_src), "%s", src);
	snprintf(d->trace_dst, sizeof(d->trace_dst), "%s", dst);
	snprintf(d->trace_opts, sizeof(d->trace_opts), "%s", opts);
}

struct route_ask {
	uint32_t dst;
	struct nl_route_info r;
	char ifname[IF_NAMESIZE];
};

static int route_here(void *arg)
{
	struct route_ask *q = arg;
	struct nl *nl = nl_open();
	int ret = nl ? nl_route_get(nl, q->dst, &q->r) : -errno;

	if (ret == 0 && !if_indextoname((unsigned)q->r.oif, q->ifname))
		snprintf(q->ifname, sizeof(q->ifname), "?");
	nl_close(nl);
	return ret;
}

/* The route namespace netns picks for dst, as `ip route get` would say it. */
static void route_line(struct explain_doc *d, const char *who, const char *netns, uint32_t dst)
{
	struct route_ask q = { .dst = dst };
	char a[ADDR_STRLEN], p[CIDR_STRLEN], g[ADDR_STRLEN + 8];
	struct cidr c;

	addr_fmt(dst, a);
	if (netns_run(netns, route_here, &q) < 0) {
		line(d, "%s has no route to %s", who, a);
		return;
	}
	c = (struct cidr){ q.r.dst, q.r.plen };
	if (q.r.gw)
		snprintf(g, sizeof(g), " via %s", addr_fmt(q.r.gw, (char[ADDR_STRLEN]){ 0 }));
	else
		g[0] = '\0';
	line(d, "%s routes %s by: %s%s dev %s (the kernel's own answer)", who, a,
	     q.r.plen ? cidr_fmt(&c, p) : "default", g, q.ifname);
}

static const struct topo_pod *pod(const struct lab *l, const char *ns, const char *name)
{
	return topo_pod_find(&l->topo, ns, name);
}

static size_t pod_index(const struct lab *l, const struct topo_pod *p)
{
	return (size_t)(p - l->topo.pods);
}

/* A pod with a responder port (a place to send traffic to), not `not`. */
static const struct topo_pod *server_pod(const struct lab *l, const struct topo_pod *not,
					 ssize_t node, bool other_node, uint16_t *port)
{
	for (size_t i = 0; i < l->topo.npods; i++) {
		const struct topo_pod *p = &l->topo.pods[i];

		if (p == not || (node >= 0 && (other_node ? p->node == (size_t)node
							  : p->node != (size_t)node)))
			continue;
		for (size_t c = 0; c < p->ncontainers; c++)
			if (p->containers[c].image == TOPO_IMAGE_RESPONDER &&
			    p->containers[c].nports && p->containers[c].ports[0].proto == TOPO_PROTO_TCP) {
				*port = p->containers[c].ports[0].port;
				return p;
			}
	}
	return NULL;
}

/* The client the lab's examples start from: default/client, or the first pod. */
static const struct topo_pod *client(const struct lab *l)
{
	const struct topo_pod *p = pod(l, "default", "client");

	return p ? p : l->topo.npods ? &l->topo.pods[0] : NULL;
}

static void build_model(struct explain_doc *d, const struct lab *l)
{
	const struct topo_pod *c = client(l), *s;
	char a[ADDR_STRLEN];
	uint16_t port;

	for (size_t i = 0; i < l->topo.npods && i < 8; i++)
		line(d, "pod %s/%s on %s has %s", l->topo.pods[i].ns, l->topo.pods[i].name,
		     l->topo.nodes[l->topo.pods[i].node].name, addr_fmt(l->topo.pods[i].ip, a));
	if (!c || !(s = server_pod(l, c, (ssize_t)c->node, true, &port)))
		return;
	cmd(d, "the pod's own address, as it sees itself", "ip -n %s -4 addr show eth0",
	    l->plan.pods[pod_index(l, c)].netns);
	cmd(d, "the server answers with the client address it saw: the pod's own",
	    "%s --lab %s exec %s/%s -- curl -s -m 3 http://%s:%u/", pp_self(), l->name, c->ns, c->name,
	    addr_fmt(s->ip, a), port);
	{
		char dst[2 * TOPO_LABEL_MAX + 2], src[2 * TOPO_LABEL_MAX + 2];

		snprintf(src, sizeof(src), "%s/%s", c->ns, c->name);
		snprintf(dst, sizeof(dst), "%s/%s", s->ns, s->name);
		trace_it(d, src, dst, "");
	}
}

static void build_basics(struct explain_doc *d, const struct lab *l)
{
	line(d, "%zu nodes, %zu pods, %zu Services, %zu Ingresses; %s networking, kube-proxy "
	     "mode %s", l->topo.nnodes, l->topo.npods, l->topo.nservices, l->topo.ningresses,
	     topo_mode_name(l->topo.net.mode), topo_proxy_mode_name(l->topo.net.proxy_mode));
	for (size_t i = 0; i < l->topo.nnodes; i++)
		line(d, "node %s (namespace %s) runs %zu pods", l->topo.nodes[i].name,
		     l->plan.nodes[i].netns, l->topo.nodes[i].npods);
	cmd(d, "the lab's objects and their health", "%s --lab %s status", pp_self(), l->name);
	cmd(d, "every namespace of the lab", "ip netns list | grep '^%s_'", l->name);
	cmd(d, "the desired state setup was given, fully resolved",
	    "jq .topology /run/podpath/%s/state.json", l->name);
}

static void build_c2c(struct explain_doc *d, const struct lab *l)
{
	const struct topo_pod *p = NULL;
	char a[ADDR_STRLEN];

	for (size_t i = 0; i < l->topo.npods && !p; i++)
		if (l->topo.pods[i].ncontainers > 1)
			p = &l->topo.pods[i];
	if (!p) {
		line(d, "no pod of this lab has more than one container");
		return;
	}
	line(d, "pod %s/%s (%s, namespace %s) holds %zu containers:", p->ns, p->name,
	     addr_fmt(p->ip, a), l->plan.pods[pod_index(l, p)].netns, p->ncontainers);
	for (size_t c = 0; c < p->ncontainers; c++) {
		const struct topo_container *ct = &p->containers[c];
		char listen[40] = "";

		if (ct->nports)
			snprintf(listen, sizeof(listen), ", listening on port %u", ct->ports[0].port);
		line(d, "  %s (pid %d, %s)%s", ct->name, l->pids ? (int)l->pids[pod_index(l, p)][c] : 0,
		     lab_health_name(lab_container_health(l, pod_index(l, p), c)), listen);
	}
	cmd(d, "the processes in the pod's one namespace", "ip netns pids %s",
	    l->plan.pods[pod_index(l, p)].netns);
	if (p->ncontainers > 1 && p->containers[0].nports) {
		char src[3 * TOPO_LABEL_MAX], dst[32];

		cmd(d, "one container reaches the other on localhost",
		    "%s --lab %s exec %s/%s -c %s -- curl -s -m 3 http://127.0.0.1:%u/", pp_self(), l->name,
		    p->ns, p->name, p->containers[1].name, p->containers[0].ports[0].port);
		snprintf(src, sizeof(src), "%s/%s:%s", p->ns, p->name, p->containers[1].name);
		snprintf(dst, sizeof(dst), "127.0.0.1:%u", p->containers[0].ports[0].port);
		trace_it(d, src, dst, "");
	}
}

static void build_p2p(struct explain_doc *d, const struct lab *l)
{
	const struct topo_pod *c = client(l), *s;
	const struct lab_plan *p = &l->plan;
	char a[ADDR_STRLEN], g[ADDR_STRLEN], src[2 * TOPO_LABEL_MAX + 2], dst[2 * TOPO_LABEL_MAX + 2];
	uint16_t port;

	if (!c)
		return;
	if (l->topo.net.mode == TOPO_MODE_VPC) {
		line(d, "vpc mode has no bridge: each pod's veth is routed by its node (/32 routes, "
		     "gateway 169.254.1.1)");
	} else {
		const struct topo_node *n = &l->topo.nodes[c->node];

		line(d, "node %s: bridge %s holds %s/%u, the gateway of its pods", n->name,
		     LAB_BRIDGE_NAME, addr_fmt(n->gw, g), n->pod_cidr.len);
	}
	line(d, "pod %s/%s: eth0 %s, the peer of %s on node %s", c->ns, c->name, addr_fmt(c->ip, a),
	     p->pods[pod_index(l, c)].host_if, l->topo.nodes[c->node].name);
	route_line(d, "the pod", p->pods[pod_index(l, c)].netns, 0x08080808u);
	if (l->topo.net.mode == TOPO_MODE_VPC) {
		cmd(d, "the node's /32 route to each of its pods, over the pod's veth",
		    "ip -n %s route show %s", p->nodes[c->node].netns, addr_fmt(c->ip, a));
		cmd(d, "the pod's own routes: the default via 169.254.1.1, its node's veth",
		    "ip -n %s route", p->pods[pod_index(l, c)].netns);
	} else {
		cmd(d, "the pod's veth peers on the node's bridge", "ip -n %s link show master %s",
		    p->nodes[c->node].netns, LAB_BRIDGE_NAME);
		cmd(d, "the pod's own routes: the default is the bridge", "ip -n %s route",
		    p->pods[pod_index(l, c)].netns);
	}
	cmd(d, "which node interface is the pod's peer", "ip -n %s -d link show eth0",
	    p->pods[pod_index(l, c)].netns);
	s = server_pod(l, c, (ssize_t)c->node, false, &port);
	if (!s)
		return;
	snprintf(src, sizeof(src), "%s/%s", c->ns, c->name);
	snprintf(dst, sizeof(dst), "%s/%s", s->ns, s->name);
	trace_it(d, src, dst, "");
}

/* vpc: how client c's node reaches server s on another node, and what the
 * pod's gateway is, read from the kernel. */
static void vpc_lines(struct explain_doc *d, const struct lab *l, const struct topo_pod *c,
		      const struct topo_pod *s)
{
	const struct lab_plan *p = &l->plan;
	const char *sn = l->topo.nodes[s->node].name;
	struct nl_proxy_query q = { .ip = s->ip };
	struct nl_eth0_neigh_query gq = { 0 };
	char a[ADDR_STRLEN], g[ADDR_STRLEN], who[TOPO_LABEL_MAX + 8];

	addr_fmt(s->ip, a);
	addr_fmt(l->topo.nodes[c->node].gw, g);
	if (netns_run(p->nodes[s->node].netns, nl_proxy_neigh_lookup, &q) == 0 && q.found)
		line(d, "node %s answers ARP for %s (pod %s/%s, a secondary IP of its ENI) by proxy: "
		     "a proxy neighbour entry on its eth0", sn, a, s->ns, s->name);
	else
		line(d, "node %s holds no proxy neighbour entry for %s: nothing answers ARP for it",
		     sn, a);
	snprintf(who, sizeof(who), "node %s", sn);
	route_line(d, who, p->nodes[s->node].netns, s->ip);
	gq.ip = l->topo.nodes[c->node].gw;
	if (netns_run(p->pods[pod_index(l, c)].netns, nl_eth0_neigh_lookup, &gq) == 0 && gq.n.has_mac)
		line(d, "pods' gateway %s: link-local, held by nobody; in pod %s/%s %s it to "
		     "%02x:%02x:%02x:%02x:%02x:%02x, the MAC of its host veth %s", g, c->ns, c->name,
		     gq.n.state & NUD_PERMANENT ? "a static ARP entry maps" : "proxy ARP answered",
		     gq.n.mac[0], gq.n.mac[1], gq.n.mac[2], gq.n.mac[3], gq.n.mac[4], gq.n.mac[5],
		     p->pods[pod_index(l, c)].host_if);
	else
		line(d, "pods' gateway %s: pod %s/%s has no ARP entry for it", g, c->ns, c->name);
	cmd(d, "the proxy neighbour entries: the pod addresses this node answers ARP for",
	    "ip -n %s neigh show proxy", p->nodes[s->node].netns);
	cmd(d, "after a trace, the client's node has learned the pod's address at the other "
	    "node's MAC", "ip -n %s neigh show %s", p->nodes[c->node].netns, a);
	cmd(d, "the pod's static ARP entry for its gateway", "ip -n %s neigh show %s",
	    p->pods[pod_index(l, c)].netns, g);
}

/* The VPC router's routes into the cluster CIDR: in bgp mode there are none. */
struct vpc_pod_routes {
	struct cidr cluster;
	size_t n, total;
	struct cidr first;
	uint32_t first_gw;
};

static int vpc_pod_routes_read(const char *netns, struct vpc_pod_routes *q)
{
	struct nl_route_obs *v = NULL;
	size_t n = 0;
	int ret;

	ret = lab_bgp_main_routes(netns, &v, &n);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++) {
		struct cidr c = { v[i].dst, v[i].plen };

		q->total++;
		if (c.len >= q->cluster.len && cidr_contains(&q->cluster, c.addr)) {
			if (!q->n++) {
				q->first = c;
				q->first_gw = v[i].gw;
			}
		}
	}
	free(v);
	return 0;
}

/* A node's announcement: what BIRD exports on its established sessions. */
static void bgp_announce_line(struct explain_doc *d, const struct lab *l,
			      const struct lab_bgp_speaker_view *sv)
{
	const char *who = lab_bgp_speaker_label(l, sv->s);
	char cb[CIDR_STRLEN];

	cidr_fmt(&l->topo.nodes[sv->s].pod_cidr, cb);
	if (sv->routes_err)
		line(d, "%s's BIRD routes cannot be read: whether it announces %s is unknown", who, cb);
	else if (sv->announce == LAB_BGP_ANN_YES)
		line(d, "%s announces %s: the static protocol pod_cidr, let out by the export filter "
		     "podpath_export_to_bgp_peers", who, cb);
	else
		line(d, "%s's pod CIDR %s: %s", who, cb, lab_bgp_announce_words(sv->announce));
}

static void bgp_session_line(struct explain_doc *d, const struct lab *l, size_t s,
			     const struct lab_bgp_peer *p)
{
	char w[256], a[ADDR_STRLEN];

	lab_bgp_session_words(l, p, w, sizeof(w));
	line(d, "%s's session %s with %s (%s, TCP port 179): %s; %u route%s received, %u announced",
	     lab_bgp_speaker_label(l, s), p->bird.proto, p->peer == LAB_BGP_NO_PEER ? "?"
	     : lab_bgp_speaker_label(l, p->peer), addr_fmt(p->bird.neighbor, a), w,
	     p->bird.imported, p->bird.imported == 1 ? "" : "s", p->bird.exported);
}

/* A route node sv learned, and the kernel route it became. */
static void bgp_learned_line(struct explain_doc *d, const struct lab *l,
			     const struct lab_bgp_speaker_view *sv, const struct lab_bgp_learned *x)
{
	const char *who = lab_bgp_speaker_label(l, sv->s);
	const char *from = x->from == LAB_BGP_NO_PEER ? "?" : lab_bgp_speaker_label(l, x->from);
	char a[ADDR_STRLEN], cb[CIDR_STRLEN], by[96] = "";

	if (x->from == BGP_SPEAKER_RR && x->announced_by != LAB_BGP_NO_PEER)
		snprintf(by, sizeof(by), ", announced by %s", l->topo.nodes[x->announced_by].name);
	cidr_fmt(&x->route.prefix, cb);
	addr_fmt(x->route.gateway, a);
	if (x->in_kernel)
		line(d, "%s learned %s from %s%s, next hop %s; the kernel has it: %s via %s proto bird",
		     who, cb, from, by, a, cb, a);
	else
		line(d, "%s learned %s from %s%s, next hop %s; the kernel %s", who, cb, from, by, a,
		     sv->kernel_err ? "routes could not be read" : "has no such route proto bird");
}

/* The peers' pod CIDRs node sv has not learned: always said. */
static void bgp_missing_lines(struct explain_doc *d, const struct lab *l,
			      const struct lab_bgp_speaker_view *sv)
{
	const struct topo *t = &l->topo;
	char cb[CIDR_STRLEN];

	for (size_t k = 0; k < t->nnodes; k++) {
		bool have = false;

		if (k == sv->s)
			continue;
		for (size_t j = 0; j < sv->nlearned; j++)
			have |= sv->learned[j].route.prefix.addr == t->nodes[k].pod_cidr.addr &&
				sv->learned[j].route.prefix.len == t->nodes[k].pod_cidr.len;
		if (!have)
			line(d, "%s has learned no route to %s (%s's pod CIDR): a packet for it takes "
			     "the default route to the VPC router", lab_bgp_speaker_label(l, sv->s),
			     cidr_fmt(&t->nodes[k].pod_cidr, cb), t->nodes[k].name);
	}
}

/* In a small lab (up to 3 nodes and a reflector) everything is told; in a
 * bigger one, only what the trace between c and srv relies on: the client
 * node's session towards the server's node (or the reflector), its own
 * announcement and its route to the server's pod CIDR. The rest is
 * counted, and whatever is wrong with it told. */
struct bgp_focus {
	bool all;
	size_t node, peer, dst;		/* client node, its session's peer, server node */
};

static bool focus_session(const struct bgp_focus *f, size_t s, const struct lab_bgp_peer *p)
{
	return f->all || !p->established || (s == f->node && p->peer == f->peer);
}

static bool focus_route(const struct bgp_focus *f, const struct lab *l, size_t s,
			const struct lab_bgp_learned *x)
{
	const struct cidr *c = f->dst < l->topo.nnodes ? &l->topo.nodes[f->dst].pod_cidr : NULL;

	return f->all || (s == f->node && c && x->route.prefix.addr == c->addr &&
			  x->route.prefix.len == c->len);
}

/* bgp mode, read from every BIRD and from the kernel: the sessions, what
 * each node announces, who learned what and the kernel route it became,
 * and the VPC router without pod routes. */
static void bgp_lines(struct explain_doc *d, const struct lab *l, const struct topo_pod *c,
		      const struct topo_pod *srv)
{
	const struct topo *t = &l->topo;
	struct lab_bgp_view bv = { 0 };
	struct vpc_pod_routes vq = { .cluster = t->net.cluster_cidr };
	char w[256], h[96], b[ADDR_STRLEN], cb[CIDR_STRLEN], ctl[300];
	size_t running = 0, sess = 0, est = 0, learned = 0, kern = 0, want = 0;
	struct bgp_focus f = { .node = c ? c->node : 0, .dst = srv ? srv->node : (size_t)-1 };

	lab_bgp_peering_words(l, w, sizeof(w));
	line(d, "BGP: AS %u, %s", t->net.bgp.asn, w);
	if (lab_bgp_view_read(l, &bv) < 0) {
		line(d, "the BIRDs could not be asked: out of memory");
		return;
	}
	f.all = bv.n <= 4;
	f.peer = bgp_uses_rr(t) ? BGP_SPEAKER_RR : f.dst;
	for (size_t i = 0; i < bv.n; i++) {
		const struct lab_bgp_speaker_view *sv = &bv.v[i];

		if (sv->s != BGP_SPEAKER_RR)
			want += t->nnodes - 1;
		if (sv->err)
			continue;
		running++;
		sess += sv->npeers;
		for (size_t k = 0; k < sv->npeers; k++)
			est += sv->peers[k].established;
		if (sv->s == BGP_SPEAKER_RR)
			continue;
		learned += sv->nlearned;
		for (size_t k = 0; k < sv->nlearned; k++)
			kern += sv->learned[k].in_kernel;
	}
	line(d, "%zu of %zu BIRDs running, %zu of %zu sessions established (each counted from both "
	     "ends); the nodes learned %zu of the %zu peer pod CIDRs, %zu in the kernel as proto "
	     "bird", running, bv.n, est, sess, learned, want, kern);
	for (size_t i = 0; i < bv.n; i++) {
		const struct lab_bgp_speaker_view *sv = &bv.v[i];

		if (sv->err) {
			line(d, "%s's BIRD is %s: it has no session, and its peers withdrew what it "
			     "announced", lab_bgp_speaker_label(l, sv->s),
			     lab_bgp_view_health(sv, h, sizeof(h)));
			continue;
		}
		for (size_t k = 0; k < sv->npeers; k++)
			if (focus_session(&f, sv->s, &sv->peers[k]))
				bgp_session_line(d, l, sv->s, &sv->peers[k]);
		if (sv->s != BGP_SPEAKER_RR && (f.all || sv->s == f.node ||
						 sv->announce != LAB_BGP_ANN_YES))
			bgp_announce_line(d, l, sv);
	}
	/* Who learned what, node by node; a peer's pod CIDR not learned is said too. */
	for (size_t i = 0; i < bv.n; i++) {
		const struct lab_bgp_speaker_view *sv = &bv.v[i];

		if (sv->s == BGP_SPEAKER_RR || sv->err)
			continue;
		for (size_t k = 0; k < sv->nlearned; k++)
			if (focus_route(&f, l, sv->s, &sv->learned[k]) || !sv->learned[k].in_kernel)
				bgp_learned_line(d, l, sv, &sv->learned[k]);
		bgp_missing_lines(d, l, sv);
	}
	if (vpc_pod_routes_read(l->plan.vpc_netns, &vq) < 0)
		line(d, "the VPC router's routes could not be read");
	else if (!vq.n)
		line(d, "the VPC router (%s) holds no pod routes: none of its %zu routes is in the "
		     "cluster CIDR %s", l->plan.vpc_netns, vq.total, cidr_fmt(&t->net.cluster_cidr, cb));
	else
		line(d, "the VPC router (%s) holds %zu route%s into the cluster CIDR, e.g. %s via %s: "
		     "not what bgp mode builds", l->plan.vpc_netns, vq.n, vq.n == 1 ? "" : "s",
		     cidr_fmt(&vq.first, cb), addr_fmt(vq.first_gw, b));
	/* The commands, for the client's node and the reflector. */
	if (lab_bgp_file(l, c ? c->node : 0, "ctl", ctl, sizeof(ctl)) == 0) {
		cmd(d, "the BGP sessions of the node's BIRD (state, since when)",
		    "birdc -s %s show protocols", ctl);
		cmd(d, "one session in full: neighbor, hold and keepalive timers, routes received and "
		    "announced", "birdc -s %s show protocols all", ctl);
		cmd(d, "BIRD's routes: its own pod_cidr and what BGP brought, with next hop and peer",
		    "birdc -s %s show route all", ctl);
	}
	cmd(d, "the routes BIRD installed in the node's kernel", "ip -n %s route show proto bird",
	    l->plan.nodes[c ? c->node : 0].netns);
	cmd(d, "the BGP sessions as TCP connections to port 179",
	    "ip netns exec %s ss -tn '( sport = :179 or dport = :179 )'",
	    l->plan.nodes[c ? c->node : 0].netns);
	if (bgp_uses_rr(t) && lab_bgp_file(l, BGP_SPEAKER_RR, "ctl", ctl, sizeof(ctl)) == 0)
		cmd(d, "the route reflector's sessions, one per node", "birdc -s %s show protocols",
		    ctl);
	cmd(d, "the VPC router: no pod routes in bgp mode", "ip -n %s route", l->plan.vpc_netns);
	lab_bgp_view_free(&bv);
}

static void build_cross(struct explain_doc *d, const struct lab *l)
{
	const struct topo_pod *c = client(l), *s = NULL;
	char cb[CIDR_STRLEN], src[2 * TOPO_LABEL_MAX + 2], dst[2 * TOPO_LABEL_MAX + 2];
	uint16_t port;

	if (lab_bgp_mode(l))
		d->concept = cross_bgp_text;
	line(d, "networking: %s", topo_mode_name(l->topo.net.mode));
	for (size_t i = 0; i < l->topo.nnodes; i++)
		line(d, "node %s: %s", l->topo.nodes[i].name,
		     l->topo.net.mode == TOPO_MODE_VPC ? "pods take VPC addresses" :
		     cidr_fmt(&l->topo.nodes[i].pod_cidr, cb));
	if (c)
		s = server_pod(l, c, (ssize_t)c->node, true, &port);
	if (s)
		route_line(d, "the client's node", l->plan.nodes[c->node].netns, s->ip);
	if (lab_bgp_mode(l))
		bgp_lines(d, l, c, s);
	if (!s)
		return;
	cmd(d, "the node's routes: one per peer node (routed), via flannel.1 (vxlan), /32s "
	    "(vpc) or proto bird (bgp)", "ip -n %s route", l->plan.nodes[c->node].netns);
	if (l->topo.net.mode == TOPO_MODE_VXLAN)
		cmd(d, "the VXLAN device and the peer VTEPs it knows",
		    "bridge -n %s fdb show dev %s", l->plan.nodes[c->node].netns, LAB_VXLAN_NAME);
	if (l->topo.net.mode == TOPO_MODE_VPC)
		vpc_lines(d, l, c, s);
	snprintf(src, sizeof(src), "%s/%s", c->ns, c->name);
	snprintf(dst, sizeof(dst), "%s/%s", s->ns, s->name);
	trace_it(d, src, dst, "");
}

struct chain_ask {
	const char *table, *chain;
	size_t n;
};

static int chain_here(void *arg)
{
	struct chain_ask *q = arg;

	return nft_chain_rule_count(NFPROTO_IPV4, q->table, q->chain, &q->n);
}

/* The chain as the node's kernel holds it now (a netlink dump). */
static void kernel_chain(struct explain_doc *d, const char *netns, const char *node,
			 const char *table, const char *chain)
{
	struct chain_ask q = { table, chain, 0 };

	if (netns_run(netns, chain_here, &q) < 0)
		line(d, "node %s's kernel has no chain %s in table ip %s", node, chain, table);
	else
		line(d, "node %s's kernel holds it now: table ip %s, chain %s, %zu rules", node, table,
		     chain, q.n);
}

static void build_svc(struct explain_doc *d, const struct lab *l)
{
	const struct topo_pod *c = client(l);
	const struct topo_service *s = NULL;
	char a[ADDR_STRLEN], chain[PROXY_NAME_MAX], ep[PROXY_NAME_MAX], dst[160];
	bool ipt = l->topo.net.proxy_mode == TOPO_PROXY_IPTABLES;

	for (size_t i = 0; i < l->topo.nservices && !s; i++)
		if (l->topo.services[i].type != TOPO_SVC_HEADLESS && l->topo.services[i].nendpoints &&
		    l->topo.services[i].ports[0].proto == TOPO_PROTO_TCP)
			s = &l->topo.services[i];
	line(d, "kube-proxy mode: %s; IPVS: %s", topo_proxy_mode_name(l->topo.net.proxy_mode),
	     !proxy_kernel_has_ipvs() ?
	     "this kernel has no IP_VS, so the lab cannot show it" : "IP_VS is present, but podpath "
	     "builds only the nftables and iptables layouts");
	if (!s || !c)
		return;
	proxy_chain_names(&l->topo, (size_t)(s - l->topo.services), 0, 0, 0, chain, ep);
	line(d, "Service %s/%s: ClusterIP %s port %u, %zu endpoints; its chain: %s", s->ns, s->name,
	     addr_fmt(s->cluster_ip, a), s->ports[0].port, s->nendpoints, chain);
	for (size_t e = 0; e < s->nendpoints; e++)
		line(d, "  endpoint %s/%s %s:%u", l->topo.pods[s->endpoints[e].pod].ns,
		     l->topo.pods[s->endpoints[e].pod].name,
		     addr_fmt(l->topo.pods[s->endpoints[e].pod].ip, a), s->endpoints[e].port[0]);
	kernel_chain(d, l->plan.nodes[c->node].netns, l->topo.nodes[c->node].name,
		     ipt ? "nat" : PROXY_NFT_TABLE, chain);
	/* iptables mode is read with iptables, as on a real node: nft would
	 * list its xtables matches without their comments. */
	if (ipt)
		cmd(d, "the Service's chain: the random choice among its endpoints",
		    "ip netns exec %s iptables -t nat -S %s", l->plan.nodes[c->node].netns, chain);
	else
		cmd(d, "the Service's chain: the random choice among its endpoints",
		    "ip netns exec %s nft list chain ip " PROXY_NFT_TABLE " '%s'",
		    l->plan.nodes[c->node].netns, chain);
	cmd(d, ipt ? "the dispatch chain kube-proxy walks rule by rule"
		   : "the one verdict map every Service is looked up in",
	    ipt ? "ip netns exec %s iptables -t nat -L KUBE-SERVICES -n"
		: "ip netns exec %s nft list map ip " PROXY_NFT_TABLE " service-ips",
	    l->plan.nodes[c->node].netns);
	cmd(d, "connect, then see conntrack's record of the DNAT on the client's node",
	    "%s --lab %s exec %s/%s -- curl -s -m 3 -o /dev/null http://%s:%u/ && "
	    "ip netns exec %s conntrack -L -d %s", pp_self(), l->name, c->ns, c->name, addr_fmt(s->cluster_ip, a),
	    s->ports[0].port, l->plan.nodes[c->node].netns, a);
	snprintf(dst, sizeof(dst), "svc/%s/%s", s->ns, s->name);
	{
		char src[2 * TOPO_LABEL_MAX + 2];

		snprintf(src, sizeof(src), "%s/%s", c->ns, c->name);
		trace_it(d, src, dst, "");
	}
}

static void build_dns(struct explain_doc *d, const struct lab *l)
{
	const struct topo_service *kd = topo_service_find(&l->topo, "kube-system", "kube-dns");
	const struct topo_pod *c = client(l);
	char a[ADDR_STRLEN], path[256], src[2 * TOPO_LABEL_MAX + 2];

	if (!kd || !c) {
		line(d, "this lab has no cluster DNS (Service kube-system/kube-dns)");
		return;
	}
	line(d, "Service kube-system/kube-dns: %s, %zu endpoints", addr_fmt(kd->cluster_ip, a),
	     kd->nendpoints);
	for (size_t e = 0; e < kd->nendpoints; e++) {
		size_t pi = kd->endpoints[e].pod;

		line(d, "  DNS pod %s/%s %s, dnsmasq pid %d (%s)", l->topo.pods[pi].ns,
		     l->topo.pods[pi].name, addr_fmt(l->topo.pods[pi].ip, a),
		     l->pids ? (int)l->pids[pi][0] : 0, lab_health_name(lab_container_health(l, pi, 0)));
	}
	lab_resolv_conf_path(l, c->ns, path, sizeof(path));
	line(d, "pods of namespace %s get %s", c->ns, path);
	cmd(d, "the resolv.conf the kubelet would write", "%s --lab %s exec %s/%s -- cat "
	    "/etc/resolv.conf", pp_self(), l->name, c->ns, c->name);
	cmd(d, "a Service's A record, through the search path", "%s --lab %s exec %s/%s -- "
	    "getent hosts kube-dns.kube-system", pp_self(), l->name, c->ns, c->name);
	cmd(d, "the same over UDP with dig, straight to kube-dns", "%s --lab %s exec %s/%s -- "
	    "dig +short @%s kube-dns.kube-system.svc.%s", pp_self(), l->name, c->ns, c->name,
	    addr_fmt(kd->cluster_ip, a), l->topo.net.domain);
	snprintf(src, sizeof(src), "%s/%s", c->ns, c->name);
	trace_it(d, src, "svc/kube-system/kube-dns:53", "");
}

static void build_egress(struct explain_doc *d, const struct lab *l)
{
	const struct topo_inet_host *h = NULL;
	const struct topo_pod *c = client(l);
	char a[ADDR_STRLEN], b[ADDR_STRLEN], src[2 * TOPO_LABEL_MAX + 2], dst[TOPO_LABEL_MAX + 16];

	for (size_t i = 0; i < l->topo.inet.nhosts && !h; i++)
		if (l->topo.inet.hosts[i].image == TOPO_IMAGE_RESPONDER)
			h = &l->topo.inet.hosts[i];
	for (size_t i = 0; i < l->topo.nnodes; i++)
		line(d, "node %s %s leaves as %s", l->topo.nodes[i].name, addr_fmt(l->topo.nodes[i].ip, a),
		     l->topo.nodes[i].public_ip ? addr_fmt(l->topo.nodes[i].public_ip, b) :
		     "the gateway's own address");
	if (!c || !h) {
		line(d, "this lab has no internet host that serves anything");
		return;
	}
	route_line(d, "the client's node", l->plan.nodes[c->node].netns, h->ip);
	cmd(d, "the node's SNAT of pod traffic (ip-masq-agent)", "ip netns exec %s nft list table ip "
	    "ip-masq-agent", l->plan.nodes[c->node].netns);
	cmd(d, "the gateway's 1:1 NAT map", "ip netns exec %s nft list map ip cloud-gateway "
	    "node-to-public", l->plan.gw_netns);
	cmd(d, "the internet host names the address it saw", "%s --lab %s exec %s/%s -- curl -s "
	    "-m 3 http://%s/", pp_self(), l->name, c->ns, c->name, addr_fmt(h->ip, a));
	snprintf(src, sizeof(src), "%s/%s", c->ns, c->name);
	snprintf(dst, sizeof(dst), "internet/%s", h->name);
	trace_it(d, src, dst, "-p http");
}

/* "  path /api (Prefix) -> Service default/api port 80 -> endpoints
 * 10.244.2.4:8080": what nginx's upstream holds, from the lab's endpoints. */
static void ingress_path_line(struct explain_doc *d, const struct topo *t,
			      const struct topo_ingress_path *p)
{
	const struct topo_service *s = &t->services[p->svc];
	char eps[EXPLAIN_LINE / 2] = "", a[ADDR_STRLEN];
	size_t n = 0, shown = 0;

	for (size_t e = 0; e < s->nendpoints; e++) {
		const struct topo_endpoint *ep = &s->endpoints[e];
		int w;

		if (!ep->port[p->svc_port])
			continue;
		w = snprintf(eps + n, sizeof(eps) - n, "%s%s:%u", shown ? ", " : "",
			     addr_fmt(t->pods[ep->pod].ip, a), ep->port[p->svc_port]);
		if (w < 0 || (size_t)w >= sizeof(eps) - n) {
			eps[n] = '\0';		/* never a cut address */
			snprintf(eps + n, sizeof(eps) - n, "%s...", shown ? ", " : "");
			break;
		}
		n += (size_t)w;
		shown++;
	}
	line(d, "  path %s (%s) -> Service %s/%s port %u -> nginx connects to %s", p->path,
	     p->type == TOPO_PATH_EXACT ? "Exact" : "Prefix", s->ns, s->name,
	     s->ports[p->svc_port].port, shown ? eps : "no endpoint: 503");
}

static void build_ingress(struct explain_doc *d, const struct lab *l)
{
	const struct topo_service *lb = topo_ingress_lb(&l->topo);
	const struct topo_inet_host *client_host = NULL;
	const struct topo_pod *ctl = NULL;
	char a[ADDR_STRLEN], url[300], src[TOPO_LABEL_MAX + 16];

	for (size_t i = 0; i < l->topo.nservices; i++) {
		const struct topo_service *s = &l->topo.services[i];

		if (s->type == TOPO_SVC_LOADBALANCER)
			line(d, "LoadBalancer %s/%s: %s (externalTrafficPolicy %s)", s->ns, s->name,
			     addr_fmt(s->lb_ip, a), s->ext_local ? "Local" : "Cluster");
	}
	for (size_t i = 0; i < l->topo.inet.nhosts && !client_host; i++)
		if (l->topo.inet.hosts[i].image == TOPO_IMAGE_NONE)
			client_host = &l->topo.inet.hosts[i];
	if (!lb || !l->topo.ningresses || !client_host) {
		line(d, "this lab has no Ingress behind a LoadBalancer, or no internet client");
		return;
	}
	for (size_t i = 0; i < l->topo.npods && !ctl; i++)
		for (size_t c = 0; c < l->topo.pods[i].ncontainers; c++)
			if (l->topo.pods[i].containers[c].image == TOPO_IMAGE_NGINX)
				ctl = &l->topo.pods[i];
	for (size_t i = 0; i < l->topo.ningresses; i++)
		for (size_t r = 0; r < l->topo.ingresses[i].nrules; r++) {
			const struct topo_ingress_rule *rule = &l->topo.ingresses[i].rules[r];

			line(d, "Ingress %s/%s: host %s%s", l->topo.ingresses[i].ns,
			     l->topo.ingresses[i].name, rule->host, topo_ingress_tls(&l->topo, rule->host) ?
			     " (TLS, signed by the lab CA)" : "");
			for (size_t k = 0; k < rule->npaths; k++)
				ingress_path_line(d, &l->topo, &rule->paths[k]);
		}
	line(d, "any other host or path: the default backend's 404");
	line(d, "the lab CA: %s/%s/%s", LAB_RUN_DIR, l->name, LAB_CA_FILE);
	snprintf(url, sizeof(url), "%s://%s/", topo_ingress_tls(&l->topo, l->topo.ingresses[0].rules[0].host)
		 ? "https" : "http", l->topo.ingresses[0].rules[0].host);
	cmd(d, "the load balancer's listeners and targets", "ip netns exec %s nft list table ip "
	    "cloud-lb", l->plan.lb_netns);
	cmd(d, "nginx's configuration: an upstream per Service port, listing its endpoints",
	    "cat %s/%s/ingress/nginx.conf", LAB_RUN_DIR, l->name);
	cmd(d, "nginx's access log: upstream= is the endpoint pod it connected to",
	    "tail %s/%s/ingress/access.log", LAB_RUN_DIR, l->name);
	if (ctl)
		cmd(d, "conntrack in the controller's node: its connections keep the pod address "
		    "(no DNAT)", "ip netns exec %s conntrack -L -p tcp -s %s", l->plan.nodes[ctl->node].netns,
		    addr_fmt(ctl->ip, a));
	cmd(d, "from the internet, verified against the lab CA",
	    "%s --lab %s exec internet/%s -- curl -s -m 3 --cacert %s/%s/%s %s", pp_self(), l->name,
	    client_host->name, LAB_RUN_DIR, l->name, LAB_CA_FILE, url);
	snprintf(src, sizeof(src), "internet/%s", client_host->name);
	trace_it(d, src, url, "");
}

/* ---- network-policy ---- */

/* The lab's first pods are enough for the examples: a big lab's pairs are
 * not all looked at. */
#define NP_SCAN_PODS 64
#define NP_SHOW_POLICIES 6
#define NP_SHOW_RULES 3

/* A connection to a responder's TCP port, and the evaluator's word on each
 * of its ends. */
struct np_pair {
	bool found;
	size_t src, dst;
	uint16_t port;
	struct policy_side out, in;	/* src's egress, dst's ingress */
};

/* The k-th source to try: `first` (the lab's client), then the others in order. */
static size_t np_nth(size_t first, size_t k)
{
	return k == 0 ? first : k <= first ? k - 1 : k;
}

/* Judge src -> dst:port/TCP on both ends into pr; 0 or -ENOMEM. */
static int np_judge(const struct topo *t, size_t src, size_t dst, uint16_t port,
		    struct np_pair *pr)
{
	struct policy_flow f = { t->pods[src].ip, t->pods[dst].ip, IPPROTO_TCP, port };

	memset(pr, 0, sizeof(*pr));
	if (policy_eval(t, POLICY_EGRESS, src, &f, &pr->out) < 0)
		return -ENOMEM;
	if (policy_eval(t, POLICY_INGRESS, dst, &f, &pr->in) < 0) {
		policy_side_free(&pr->out);
		return -ENOMEM;
	}
	pr->found = true;
	pr->src = src;
	pr->dst = dst;
	pr->port = port;
	return 0;
}

static void np_pair_free(struct np_pair *pr)
{
	if (!pr->found)
		return;
	policy_side_free(&pr->out);
	policy_side_free(&pr->in);
	pr->found = false;
}

/* The first connection between the lab's pods (to a responder's TCP port,
 * so that curl gets an answer) that a policy isolates an end of and that is
 * admitted, and the first that is denied. */
static void np_pairs(const struct topo *t, size_t first, struct np_pair *ok, struct np_pair *no)
{
	size_t n = t->npods < NP_SCAN_PODS ? t->npods : NP_SCAN_PODS;

	for (size_t k = 0; k < n && !(ok->found && no->found); k++) {
		size_t src = np_nth(first < n ? first : 0, k);

		for (size_t dst = 0; dst < n; dst++) {
			const struct topo_pod *p = &t->pods[dst];

			for (size_t c = 0; dst != src && c < p->ncontainers; c++) {
				const struct topo_container *ct = &p->containers[c];

				for (size_t i = 0; ct->image == TOPO_IMAGE_RESPONDER && i < ct->nports;
				     i++) {
					struct np_pair pr;
					bool allowed;

					if (ct->ports[i].proto != TOPO_PROTO_TCP ||
					    np_judge(t, src, dst, ct->ports[i].port, &pr) < 0)
						continue;
					allowed = pr.out.allowed && pr.in.allowed;
					if ((pr.out.isolated || pr.in.isolated) &&
					    !(allowed ? ok : no)->found)
						*(allowed ? ok : no) = pr;
					else
						np_pair_free(&pr);
				}
			}
		}
	}
}

static const char *np_pod(const struct topo *t, size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->pods[i].ns, t->pods[i].name);
	return buf;
}

/* One end of a connection in words: not isolated, exempt, admitted by a
 * policy's rule, or isolated with nothing admitting it. */
static void np_side_text(const struct topo *t, const struct policy_side *sd, char *buf,
			 size_t len)
{
	const char *dir = policy_desc_dir(sd->dir);
	char pod[2 * TOPO_LABEL_MAX + 2];
	size_t n;

	np_pod(t, sd->pod, pod, sizeof(pod));
	if (sd->exempt) {
		snprintf(buf, len, "%s of %s: its own node, never subject to policy", dir, pod);
	} else if (!sd->isolated) {
		snprintf(buf, len, "%s of %s is not isolated", dir, pod);
	} else if (sd->allowed) {
		const struct topo_policy *p = &t->policies[sd->policy];

		snprintf(buf, len, "%s of %s is admitted by %s/%s spec.%s[%zu]", dir, pod, p->ns,
			 p->name, dir, sd->rule);
	} else {
		n = (size_t)snprintf(buf, len, "%s of %s is isolated by", dir, pod);
		for (size_t i = 0; i < sd->nisolating && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s %s/%s", i ? "," : "",
					      t->policies[sd->isolating[i]].ns,
					      t->policies[sd->isolating[i]].name);
		if (n < len)
			snprintf(buf + n, len - n, ", and no rule admits it");
	}
}

static void np_pair_line(struct explain_doc *d, const struct topo *t, const struct np_pair *pr)
{
	char s[2 * TOPO_LABEL_MAX + 2], o[2 * TOPO_LABEL_MAX + 2], a[ADDR_STRLEN];
	char out[EXPLAIN_LINE], in[EXPLAIN_LINE];
	bool allowed = pr->out.allowed && pr->in.allowed;

	np_side_text(t, &pr->out, out, sizeof(out));
	np_side_text(t, &pr->in, in, sizeof(in));
	line(d, "%s -> %s (%s:%u/TCP) is %s: %s; %s", np_pod(t, pr->src, s, sizeof(s)),
	     np_pod(t, pr->dst, o, sizeof(o)), addr_fmt(t->pods[pr->dst].ip, a), pr->port,
	     allowed ? "admitted" : "denied", out, in);
}

/* "ingress of default/web-1, default/web-2" (at most a few named). */
static void np_isolated_text(const struct topo *t, const struct topo_policy *p,
			     enum policy_dir dir, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s of", policy_desc_dir(dir)), shown = 0, all;

	all = policy_desc_isolated(t, p, dir);
	for (size_t i = 0; i < t->npods && shown < 4 && n < len; i++)
		if (policy_isolates(t, p, i, dir))
			n += (size_t)snprintf(buf + n, len - n, "%s %s/%s", shown++ ? "," : "",
					      t->pods[i].ns, t->pods[i].name);
	if (!all && n < len)
		snprintf(buf + n, len - n, " no pod");
	else if (all > shown && n < len)
		snprintf(buf + n, len - n, " and %zu more", all - shown);
}

static void np_policy_lines(struct explain_doc *d, const struct topo *t)
{
	char sel[128], in[160], out[160], rule[EXPLAIN_LINE - 16];

	for (size_t i = 0; i < t->npolicies && i < NP_SHOW_POLICIES; i++) {
		const struct topo_policy *p = &t->policies[i];

		policy_desc_selector(&p->pods, sel, sizeof(sel));
		np_isolated_text(t, p, POLICY_INGRESS, in, sizeof(in));
		np_isolated_text(t, p, POLICY_EGRESS, out, sizeof(out));
		line(d, "policy %s/%s (podSelector %s, policyTypes %s) isolates %s%s%s", p->ns,
		     p->name, sel[0] ? sel : "{}: every pod of its namespace", policy_desc_types(p),
		     p->ingress ? in : "", p->ingress && p->egress ? "; " : "", p->egress ? out : "");
		for (size_t r = 0; r < p->nin && r < NP_SHOW_RULES; r++) {
			policy_desc_rule(p, POLICY_INGRESS, r, rule, sizeof(rule));
			line(d, "  ingress[%zu]: %s", r, rule);
		}
		for (size_t r = 0; r < p->nout && r < NP_SHOW_RULES; r++) {
			policy_desc_rule(p, POLICY_EGRESS, r, rule, sizeof(rule));
			line(d, "  egress[%zu]: %s", r, rule);
		}
		if (p->ingress && !p->nin)
			line(d, "  no ingress rule: what it isolates takes no ingress but what "
			     "other policies admit");
	}
	if (t->npolicies > NP_SHOW_POLICIES)
		line(d, "... and %zu more policies (podpath status lists them all)",
		     t->npolicies - NP_SHOW_POLICIES);
}

/* Can rule rl (ingress rule of p when ingress, else egress) reach pod pi as
 * its destination? An ingress rule's destinations are the pods p isolates
 * for ingress; an egress rule's are the pods its peers admit (every pod
 * with no peers). A named port only resolves on those. */
static bool np_rule_dest(const struct topo *t, const struct topo_policy *p,
			 const struct topo_np_rule *rl, bool ingress, size_t pi)
{
	if (ingress)
		return policy_isolates(t, p, pi, POLICY_INGRESS);
	if (!rl->npeers)
		return true;
	for (size_t k = 0; k < rl->npeers; k++)
		if (policy_peer_matches_addr(t, p, &rl->peers[k], t->pods[pi].ip))
			return true;
	return false;
}

/* The first named port a rule uses, resolved on each pod the rule can
 * reach that declares it. */
static void np_named_port_line(struct explain_doc *d, const struct topo *t)
{
	for (size_t i = 0; i < t->npolicies; i++) {
		const struct topo_policy *p = &t->policies[i];

		for (size_t r = 0; r < p->nin + p->nout; r++) {
			const struct topo_np_rule *rl = r < p->nin ? &p->in[r] : &p->out[r - p->nin];

			for (size_t k = 0; k < rl->nports; k++) {
				const struct topo_np_port *np = &rl->ports[k];
				char buf[EXPLAIN_LINE - 64], a[2 * TOPO_LABEL_MAX + 2];
				size_t n = 0, shown = 0;

				if (!np->name[0] || np->proto == TOPO_NP_SCTP)
					continue;
				buf[0] = '\0';
				for (size_t pi = 0; pi < t->npods && shown < 4; pi++) {
					if (!np_rule_dest(t, p, rl, r < p->nin, pi))
						continue;
					for (size_t c = 0; c < t->pods[pi].ncontainers; c++)
						for (size_t q = 0; q < t->pods[pi].containers[c].nports; q++) {
							const struct topo_port *cp =
								&t->pods[pi].containers[c].ports[q];

							if (strcmp(cp->name, np->name) ||
							    (cp->proto == TOPO_PROTO_TCP) !=
							    (np->proto == TOPO_NP_TCP) || n >= sizeof(buf))
								continue;
							n += (size_t)snprintf(buf + n, sizeof(buf) - n,
									      "%s%u on %s", shown++ ?
									      ", " : "", cp->port,
									      np_pod(t, pi, a,
										     sizeof(a)));
						}
				}
				line(d, "named port %s/%s (%s/%s %s[%zu]) resolves per pod: %s",
				     np->name, topo_np_proto_name(np->proto), p->ns, p->name,
				     r < p->nin ? "ingress" : "egress", r < p->nin ? r : r - p->nin,
				     shown ? buf : "no pod the rule reaches declares it, so it admits nothing");
				return;
			}
		}
	}
}

/* Where the shipped policy example is on this machine, into buf ("" if
 * nowhere): beside the binary in podpath's source tree (docs/examples/), or
 * where make install put it (PREFIX/share/doc/podpath/examples/, the binary
 * in PREFIX/sbin), so the suggested setup runs as printed. */
static void np_example_path(char *buf, size_t len)
{
	char exe[PATH_MAX], cand[PATH_MAX + 64], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	buf[0] = '\0';
	if (n <= 0)
		return;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return;
	*slash = '\0';		/* the binary's directory */
	snprintf(cand, sizeof(cand), "%s/docs/examples/network-policy.json", exe);
	if (!access(cand, R_OK)) {
		snprintf(buf, len, "%s", cand);
		return;
	}
	if (!(slash = strrchr(exe, '/')))
		return;
	*slash = '\0';		/* PREFIX */
	snprintf(cand, sizeof(cand), "%s/share/doc/podpath/examples/network-policy.json", exe);
	if (!access(cand, R_OK))
		snprintf(buf, len, "%s", cand);
}

static void np_no_policies(struct explain_doc *d, const struct lab *l)
{
	char example[PATH_MAX + 64];

	line(d, "lab %s has no NetworkPolicy: no pod is isolated, every pod reaches every other",
	     l->name);
	for (size_t i = 0; i < l->topo.nnamespaces && i < 6; i++) {
		const struct topo_namespace *n = &l->topo.namespaces[i];
		char labels[200] = "";
		size_t o = 0;

		for (size_t k = 0; k < n->nlabels && o < sizeof(labels); k++)
			o += (size_t)snprintf(labels + o, sizeof(labels) - o, "%s%s=%s", k ? "," : "",
					      n->labels[k].key, n->labels[k].value);
		line(d, "namespace %s: labels %s", n->name, labels[0] ? labels : "none");
	}
	np_example_path(example, sizeof(example));
	if (example[0])
		line(d, "the shipped example is the default lab with three policies: %s --lab np "
		     "setup -f %s", pp_self(), example);
	else
		line(d, "the shipped example is the default lab with three policies: %s --lab np "
		     "setup -f docs/examples/network-policy.json (podpath's source; installed "
		     "under PREFIX/share/doc/podpath/examples)", pp_self());
	line(d, "or isolate one pod here: %s --lab %s break policy-denies (undo: %s "
	     "--lab %s break --undo)", pp_self(), l->name, pp_self(), l->name);
	cmd(d, "every namespace's labels, which namespaceSelectors match",
	    "%s --lab %s -j status | jq -c '.namespaces[]'", pp_self(), l->name);
}

static void build_policy(struct explain_doc *d, const struct lab *l)
{
	const struct topo *t = &l->topo;
	const struct topo_pod *c = client(l);
	struct np_pair ok = { 0 }, no = { 0 };
	const struct np_pair *show;
	char chain[POLICY_NAME_MAX], a[ADDR_STRLEN], src[2 * TOPO_LABEL_MAX + 2];
	char dst[2 * TOPO_LABEL_MAX + 8];
	const char *node_ns;
	size_t node;

	if (!t->npolicies || !c) {
		np_no_policies(d, l);
		return;
	}
	np_policy_lines(d, t);
	np_pairs(t, pod_index(l, c), &ok, &no);
	np_named_port_line(d, t);
	if (ok.found)
		np_pair_line(d, t, &ok);
	if (no.found)
		np_pair_line(d, t, &no);
	show = ok.found ? &ok : &no;
	if (!show->found) {
		line(d, "no policy isolates a pod that serves TCP here: nothing to probe");
		goto out;
	}
	/* The chain that decided: the receiver's, if it is isolated. */
	if (show->in.isolated) {
		node = t->pods[show->dst].node;
		policy_chain_pod(chain, sizeof(chain), POLICY_INGRESS, &t->pods[show->dst]);
	} else {
		node = t->pods[show->src].node;
		policy_chain_pod(chain, sizeof(chain), POLICY_EGRESS, &t->pods[show->src]);
	}
	node_ns = l->plan.nodes[node].netns;
	kernel_chain(d, node_ns, t->nodes[node].name, POLICY_TABLE, chain);
	line(d, "node %s's own addresses reach its pods whatever the policies (set %s): the "
	     "kubelet's probes", t->nodes[node].name, POLICY_SET_HOST);
	cmd(d, "the node's whole policy table: dispatch maps, a chain per isolated pod and per "
	    "policy, the selectors' sets", "ip netns exec %s nft list table ip %s", node_ns,
	    POLICY_TABLE);
	cmd(d, show->in.isolated ? "the chain to the pod: a jump per policy isolating it, then "
	    "the drop" : "the chain from the pod: a jump per policy isolating it, then the drop",
	    "ip netns exec %s nft list chain ip %s '%s'", node_ns, POLICY_TABLE, chain);
	if (ok.found && (ok.in.isolated || ok.out.isolated)) {
		const struct policy_side *sd = ok.in.isolated ? &ok.in : &ok.out;

		policy_chain_policy(chain, sizeof(chain), sd->dir, &t->policies[sd->policy]);
		cmd(d, "the rules of the policy that admitted it, each naming its spec path",
		    "ip netns exec %s nft list chain ip %s '%s'",
		    l->plan.nodes[t->pods[sd->pod].node].netns, POLICY_TABLE, chain);
		cmd(d, "a connection a rule admits: the answer comes back",
		    "%s --lab %s exec %s -- curl -s -m 3 http://%s:%u/", pp_self(), l->name,
		    np_pod(t, ok.src, src, sizeof(src)), addr_fmt(t->pods[ok.dst].ip, a), ok.port);
	}
	if (no.found)
		cmd(d, "a connection no rule admits: the SYN is dropped, so curl gets no answer",
		    "%s --lab %s exec %s -- curl -s -m 2 http://%s:%u/ || echo 'no answer'",
		    pp_self(), l->name, np_pod(t, no.src, src, sizeof(src)), addr_fmt(t->pods[no.dst].ip, a),
		    no.port);
	cmd(d, "the pod's own node reaches it all the same, as the kubelet's probes do",
	    "%s --lab %s exec node/%s -- curl -s -m 3 http://%s:%u/", pp_self(), l->name,
	    t->nodes[t->pods[show->dst].node].name, addr_fmt(t->pods[show->dst].ip, a),
	    show->port);
	np_pod(t, show->src, src, sizeof(src));
	snprintf(dst, sizeof(dst), "%s/%s:%u", t->pods[show->dst].ns, t->pods[show->dst].name,
		 show->port);
	trace_it(d, src, dst, "");
out:
	np_pair_free(&ok);
	np_pair_free(&no);
}

static void build_summary(struct explain_doc *d, const struct lab *l)
{
	line(d, "lab %s: %s networking, kube-proxy %s, %zu Services, %zu Ingresses, %zu internet "
	     "hosts", l->name, topo_mode_name(l->topo.net.mode),
	     topo_proxy_mode_name(l->topo.net.proxy_mode), l->topo.nservices, l->topo.ningresses,
	     l->topo.inet.nhosts);
	/* The article's table, a row per line, so the TUI's summary topic
	 * shows it too (the text command lays it out as columns). */
	struct explain_summary_row rows[EXPLAIN_SUMMARY_ROWS];
	size_t n = explain_summary(l, rows);

	for (size_t r = 0; r < n; r++)
		line(d, "%s: %s; in this lab: %s (explain %s)", rows[r].scenario, rows[r].mechanism,
		     rows[r].lab, rows[r].topic);
	cmd(d, "each layer in depth", "%s explain --list", pp_self());
}

static void (*const builders[])(struct explain_doc *, const struct lab *) = {
	build_model, build_basics, build_c2c, build_p2p, build_cross, build_svc, build_dns,
	build_egress, build_ingress, build_policy, build_summary,
};

static const char *const *const concepts[] = {
	model_text, basics_text, c2c_text, p2p_text, cross_text, svc_text, dns_text, egress_text,
	ingress_text, policy_text, summary_text,
};

_Static_assert(sizeof(builders) / sizeof(builders[0]) == NTOPICS, "a builder per topic");
_Static_assert(sizeof(concepts) / sizeof(concepts[0]) == NTOPICS, "a concept per topic");

void explain_build(const struct explain_topic *tp, const struct lab *l, struct explain_doc *d)
{
	size_t i = (size_t)(tp - topics);

	memset(d, 0, sizeof(*d));
	d->name = tp->name;
	d->title = tp->title;
	d->concept = concepts[i];
	if (l)
		builders[i](d, l);
}
