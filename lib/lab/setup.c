/* setup — build a lab's kernel objects from its plan.
 *
 * Order matters for crash safety: a namespace gets its ownership marker (lo's
 * ifalias) before it is pinned under /run/netns, and until it is pinned only
 * this thread holds it, so a setup killed at any point leaves either nothing
 * of a namespace or a marked one that teardown will find.
 *
 * Order matters for speed too: interface indexes are fixed by the plan, so a
 * pod's whole configuration goes to the kernel in two netlink round trips
 * (host side, pod side) without asking what was created. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include "lab/bgp.h"
#include "lab/build.h"
#include "lab/nsfactory.h"
#include "netns/netns.h"
#include "nl/nl.h"
#include "policy/policy.h"
#include "proxy/proxy.h"
#include "self.h"

#define VPC_GW_IP 0xa9fe0101u	/* 169.254.1.1: vpc-mode pods' next hop */


static int nl_fail(struct build *b, const char *obj, int ret, const struct nl_err *ne)
{
	static const struct { const char *req, *config; } kinds[] = {
		{ "add veth ", "CONFIG_VETH, module veth" },
		{ "add bridge ", "CONFIG_BRIDGE, module bridge" },
		{ "add vxlan ", "CONFIG_VXLAN, module vxlan" },
	};
	enum pp_exit kind = PP_EXIT_FAIL;

	/* A link kind the kernel does not know is a missing feature, not a bug:
	 * say which kernel option provides it. */
	if (ret == -EOPNOTSUPP || ret == -EAFNOSUPPORT) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (!strncmp(ne->what, kinds[i].req, strlen(kinds[i].req)))
				return pp_err_set(b->e, PP_EXIT_ENV, ret,
						  "%s: %s: this kernel cannot create %.*sdevices (%s)",
						  obj, ne->what, (int)strlen(kinds[i].req) - 4,
						  kinds[i].req + 4, kinds[i].config);
		kind = PP_EXIT_ENV;
	}
	return pp_err_set(b->e, kind, ret, "%s: %s: %s%s%s%s", obj, ne->what, strerror(-ret),
			  ne->ext[0] ? " (kernel: " : "", ne->ext, ne->ext[0] ? ")" : "");
}

int build_interrupted(struct build *b)
{
	if (!b->interrupted || !*b->interrupted)
		return 0;
	return pp_err_set(b->e, PP_EXIT_FAIL, -EINTR, "lab \"%s\": setup interrupted",
			  b->l->name);
}

int build_commit(struct build *b, struct nl *nl, const char *obj)
{
	struct nl_err ne = { 0 };
	int ret = nl_commit(nl, &ne);

	return ret < 0 ? nl_fail(b, obj, ret, &ne) : 0;
}

/* Sysctls of a fresh namespace; only ever run inside lab namespaces. */
static int ns_sysctls(enum ns_role role)
{
	int ret = 0;

	/* The lab is IPv4: links made from here on get no IPv6, so no router
	 * and neighbour solicitations add noise to captures (and no kernel
	 * time goes to addrconf). Best effort: IPv6 may be compiled out. */
	netns_sysctl_set("net/ipv6/conf/default/disable_ipv6", "1");
	if (role == NS_POD)
		return 0;	/* one interface: nothing to forward, nothing more to set */
	/* Every ICMP error a probe earns from a router, also past the kernel's
	 * burst of six per address and one a second after: traces run again
	 * and again must get the same answer, not a timeout. (Pods only send
	 * port unreachables; their write would cost setup 0.1 ms a pod.) */
	netns_sysctl_set("net/ipv4/icmp_ratelimit", "0");
	/* Set explicitly: a new namespace inherits IPv4 settings from the
	 * host, so the host's ip_forward must not decide the lab's routing. */
	ret = netns_sysctl_set("net/ipv4/ip_forward", "1");
	netns_sysctl_set("net/ipv6/conf/all/disable_ipv6", "1");
	/* Load-balanced flows are asymmetric on purpose (the client's packets
	 * come from the load balancer, the default route points elsewhere):
	 * no reverse-path filter, whatever the host has. */
	if (ret == 0)
		ret = netns_sysctl_set("net/ipv4/conf/all/rp_filter", "0");
	if (ret == 0)
		ret = netns_sysctl_set("net/ipv4/conf/default/rp_filter", "0");
	return ret;
}

/* Enter a new namespace and open its socket and fd; lo's up + marker are
 * queued. The thread stays inside until ns_finish() or a failure. */
int build_ns_begin(struct build *b, const char *obj, enum ns_role role, int *fd, struct nl **nl)
{
	struct nl_link lo = { .index = LAB_IFX_LO, .up = true, .alias = b->p->marker,
			      .netns_fd = -1 };
	int ret;

	*fd = -1;
	*nl = NULL;
	ret = netns_unshare();
	if (ret < 0)
		return pp_err_set(b->e, PP_EXIT_ENV, ret, "%s: cannot create network namespace: %s",
				  obj, strerror(-ret));
	ret = ns_sysctls(role);
	if (ret < 0) {
		pp_err_set(b->e, PP_EXIT_ENV, ret, "%s: cannot set sysctls: %s", obj, strerror(-ret));
		goto fail;
	}
	*nl = nl_open();
	if (!*nl) {
		ret = pp_err_set(b->e, PP_EXIT_ENV, -errno, "%s: cannot open netlink socket: %s",
				 obj, strerror(errno));
		goto fail;
	}
	*fd = netns_self_fd();
	if (*fd < 0) {
		ret = pp_err_set(b->e, PP_EXIT_ENV, *fd, "%s: cannot open namespace: %s", obj,
				 strerror(-*fd));
		goto fail;
	}
	ret = nl_link_set(*nl, &lo);
	if (ret < 0) {
		pp_err_set(b->e, PP_EXIT_FAIL, ret, "%s: out of memory", obj);
		goto fail;
	}
	return 0;
fail:
	netns_enter(b->origin_fd);
	return ret;
}

/* Commit what was queued, pin the namespace under its name, return home. */
int build_ns_finish(struct build *b, const char *obj, const char *netns, struct nl *nl)
{
	int ret = build_commit(b, nl, obj);

	if (ret == 0) {
		ret = netns_pin(netns);
		if (ret < 0)
			pp_err_set(b->e, ret == -EEXIST ? PP_EXIT_FAIL : PP_EXIT_ENV, ret,
				   "%s: cannot pin namespace %s/%s: %s", obj, NETNS_RUN_DIR, netns,
				   strerror(-ret));
	}
	netns_enter(b->origin_fd);
	return ret;
}

static int build_vpc(struct build *b)
{
	const struct topo_network *n = &b->t->net;
	struct nl_link br = { .name = LAB_VPC_BRIDGE_NAME, .index = LAB_IFX_BRIDGE,
			      .mtu = n->mtu, .mac = b->p->vpc_mac, .up = true, .netns_fd = -1 };
	int ret;

	ret = build_ns_begin(b, "VPC router", NS_ROUTER, &b->vpc_fd, &b->vpc_nl);
	if (ret < 0)
		return ret;
	if (nl_link_add_bridge(b->vpc_nl, &br) < 0 ||
	    nl_addr_add(b->vpc_nl, LAB_IFX_BRIDGE, n->vpc_router, n->vpc_cidr.len) < 0) {
		netns_enter(b->origin_fd);
		return pp_err_set(b->e, PP_EXIT_FAIL, -ENOMEM, "VPC router: out of memory");
	}
	return build_ns_finish(b, "VPC router", b->p->vpc_netns, b->vpc_nl);
}

static unsigned pod_mtu(const struct topo *t)
{
	return t->net.mode == TOPO_MODE_VXLAN ? t->net.mtu - LAB_VXLAN_OVERHEAD : t->net.mtu;
}

static int build_node_ns(struct build *b, size_t i)
{
	const struct lab_plan_node *pn = &b->p->nodes[i];
	char obj[TOPO_LABEL_MAX + 16];
	struct nl_link br = { .name = LAB_BRIDGE_NAME, .index = LAB_IFX_BRIDGE,
			      .mtu = pod_mtu(b->t), .mac = pn->br_mac, .up = true, .netns_fd = -1 };
	int ret;

	snprintf(obj, sizeof(obj), "node \"%s\"", b->t->nodes[i].name);
	ret = build_ns_begin(b, obj, NS_NODE, &b->node_fd[i], &b->node_nl[i]);
	if (ret < 0)
		return ret;
	if (b->t->net.mode != TOPO_MODE_VPC && nl_link_add_bridge(b->node_nl[i], &br) < 0) {
		netns_enter(b->origin_fd);
		return pp_err_set(b->e, PP_EXIT_FAIL, -ENOMEM, "%s: out of memory", obj);
	}
	/* kubelet requires it: bridged pod-to-pod frames pass the node's
	 * conntrack and nat hooks, so a reply from a same-node Service endpoint
	 * is un-DNATed. A per-namespace setting, absent without br_netfilter
	 * (which podpath will not load: that would change the host). */
	if (b->t->net.mode != TOPO_MODE_VPC) {
		ret = netns_sysctl_set("net/bridge/bridge-nf-call-iptables", "1");
		if (ret < 0) {
			netns_enter(b->origin_fd);
			return pp_err_set(b->e, PP_EXIT_ENV, ret,
					  "%s: cannot set net.bridge.bridge-nf-call-iptables: %s%s",
					  obj, strerror(-ret), ret == -ENOENT ?
					  " (this kernel lacks br_netfilter: CONFIG_BRIDGE_NETFILTER, "
					  "module br_netfilter; Services on a bridge need it)" : "");
		}
	}
	return build_ns_finish(b, obj, pn->netns, b->node_nl[i]);
}

/* Every node's eth0 is one end of a veth whose other end is a port of the
 * VPC bridge: one L2 segment, like instances in one subnet. */
_Static_assert(TOPO_MAX_NODES <= TOPO_BRIDGE_PORTS, "every node fits on the VPC bridge");
static int build_vpc_ports(struct build *b)
{
	for (size_t i = 0; i < b->t->nnodes; i++) {
		const struct lab_plan_node *pn = &b->p->nodes[i];
		struct nl_link port = { .name = pn->vpc_port, .index = pn->vpc_ifindex,
					.mtu = b->t->net.mtu, .mac = pn->vpc_mac,
					.master = LAB_IFX_BRIDGE, .up = true, .netns_fd = -1 };
		struct nl_link eth = { .name = "eth0", .index = LAB_IFX_ETH0, .mtu = b->t->net.mtu,
				       .mac = pn->eth_mac, .up = true, .netns_fd = b->node_fd[i] };

		if (nl_link_add_veth(b->vpc_nl, &port, &eth) < 0)
			return pp_err_set(b->e, PP_EXIT_FAIL, -ENOMEM, "VPC: out of memory");
	}
	/* routed: the VPC route table knows each node's pod CIDR, as a cloud
	 * route table does for kubenet (GCE routes, AWS route tables). */
	for (size_t i = 0; b->t->net.mode == TOPO_MODE_ROUTED && i < b->t->nnodes; i++) {
		const struct topo_node *n = &b->t->nodes[i];

		if (nl_route_add(b->vpc_nl, n->pod_cidr.addr, n->pod_cidr.len, n->ip, LAB_IFX_BRIDGE,
				 0, RT_SCOPE_UNIVERSE) < 0)
			return pp_err_set(b->e, PP_EXIT_FAIL, -ENOMEM, "VPC: out of memory");
	}
	return build_commit(b, b->vpc_nl, "VPC");
}

/* flannel's vxlan backend: flannel.1 holds the node's subnet address as a
 * /32; each peer subnet is routed onlink via the peer's flannel.1 address,
 * whose MAC is a permanent neighbour, whose VTEP is a permanent FDB entry. */
static int queue_vxlan(struct build *b, size_t i)
{
	const struct topo *t = b->t;
	struct nl *nl = b->node_nl[i];
	struct nl_link vx = { .name = LAB_VXLAN_NAME, .index = LAB_IFX_VXLAN,
			      .mtu = t->net.mtu - LAB_VXLAN_OVERHEAD,
			      .mac = b->p->nodes[i].vtep_mac, .up = true, .netns_fd = -1 };
	int ret;

	ret = nl_link_add_vxlan(nl, &vx, LAB_VXLAN_VNI, t->nodes[i].ip, LAB_IFX_ETH0,
				LAB_VXLAN_PORT);
	if (ret == 0)
		ret = nl_addr_add(nl, LAB_IFX_VXLAN, t->nodes[i].pod_cidr.addr, 32);
	for (size_t k = 0; k < t->nnodes && ret == 0; k++) {
		const struct topo_node *peer = &t->nodes[k];

		if (k == i)
			continue;
		ret = nl_route_add(nl, peer->pod_cidr.addr, peer->pod_cidr.len,
				   peer->pod_cidr.addr, LAB_IFX_VXLAN, NL_ROUTE_ONLINK,
				   RT_SCOPE_UNIVERSE);
		if (ret == 0)
			ret = nl_neigh_add(nl, LAB_IFX_VXLAN, peer->pod_cidr.addr,
					   b->p->nodes[k].vtep_mac);
		if (ret == 0)
			ret = nl_fdb_add(nl, LAB_IFX_VXLAN, b->p->nodes[k].vtep_mac, peer->ip);
	}
	return ret;
}

static int build_node_net(struct build *b, size_t i)
{
	const struct topo *t = b->t;
	const struct topo_node *n = &t->nodes[i];
	struct nl *nl = b->node_nl[i];
	char obj[TOPO_LABEL_MAX + 16];
	int ret;

	struct nl_link eth = { .index = LAB_IFX_ETH0, .up = true, .netns_fd = -1 };

	snprintf(obj, sizeof(obj), "node \"%s\"", n->name);
	ret = nl_link_set(nl, &eth);
	if (ret == 0)
		ret = nl_addr_add(nl, LAB_IFX_ETH0, n->ip, t->net.vpc_cidr.len);
	if (ret == 0)
		ret = nl_route_add(nl, 0, 0, t->net.vpc_router, LAB_IFX_ETH0, 0, RT_SCOPE_UNIVERSE);
	if (ret == 0 && t->net.mode != TOPO_MODE_VPC)
		ret = nl_addr_add(nl, LAB_IFX_BRIDGE, n->gw, n->pod_cidr.len);
	/* vpc: the node answers ARP for its pods' VPC addresses at once
	 * (proxy replies are otherwise delayed by up to 0.8 s). */
	if (ret == 0 && t->net.mode == TOPO_MODE_VPC)
		ret = nl_arp_proxy_delay_set(nl, LAB_IFX_ETH0, 0);
	if (ret == 0 && t->net.mode == TOPO_MODE_VXLAN)
		ret = queue_vxlan(b, i);
	/* routed (host-gw): each peer's pod CIDR via the peer's node IP. */
	for (size_t k = 0; ret == 0 && t->net.mode == TOPO_MODE_ROUTED && k < t->nnodes; k++)
		if (k != i)
			ret = nl_route_add(nl, t->nodes[k].pod_cidr.addr, t->nodes[k].pod_cidr.len,
					   t->nodes[k].ip, LAB_IFX_ETH0, 0, RT_SCOPE_UNIVERSE);
	if (ret < 0)
		return pp_err_set(b->e, PP_EXIT_FAIL, ret, "%s: out of memory", obj);
	return build_commit(b, nl, obj);
}

/* Host side of a pod, queued on its node's socket. */
static int queue_pod_host(struct build *b, size_t i, int pod_fd)
{
	const struct topo *t = b->t;
	const struct topo_pod *tp = &t->pods[i];
	const struct lab_plan_pod *pp = &b->p->pods[i];
	struct nl *nl = b->node_nl[tp->node];
	bool vpc = t->net.mode == TOPO_MODE_VPC;
	struct nl_link host = { .name = pp->host_if, .index = pp->host_ifindex, .mtu = pod_mtu(t),
				.mac = pp->host_mac, .master = vpc ? 0 : LAB_IFX_BRIDGE,
				.up = true, .netns_fd = -1 };
	struct nl_link eth = { .name = "eth0", .index = LAB_IFX_ETH0, .mtu = pod_mtu(t),
			       .mac = pp->mac, .up = true, .netns_fd = pod_fd };
	int ret;

	ret = nl_link_add_veth(nl, &host, &eth);
	/* kubelet's hairpin-veth: a pod that reaches its own Service is DNATed
	 * back to itself, and the bridge must send the frame out the port it
	 * came in on. */
	if (ret == 0 && !vpc)
		ret = nl_bridge_port_hairpin_set(nl, pp->host_ifindex, true);
	/* vpc (AWS VPC CNI): the pod's VPC address is routed to its veth, and
	 * the node answers ARP for it on the VPC segment like an ENI would. */
	if (ret == 0 && vpc)
		ret = nl_route_add(nl, tp->ip, 32, 0, pp->host_ifindex, 0, RT_SCOPE_LINK);
	if (ret == 0 && vpc)
		ret = nl_neigh_proxy_add(nl, LAB_IFX_ETH0, tp->ip);
	return ret;
}

/* Pod side, queued on the pod's own socket (lo is up already). */
static int queue_pod_inside(struct build *b, size_t i, struct nl *nl)
{
	static const uint8_t gw_mac[6] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };
	const struct topo *t = b->t;
	const struct topo_pod *tp = &t->pods[i];
	const struct topo_node *n = &t->nodes[tp->node];
	struct nl_link eth = { .index = LAB_IFX_ETH0, .up = true, .netns_fd = -1 };
	int ret;

	ret = nl_link_set(nl, &eth);
	if (ret < 0)
		return ret;
	if (t->net.mode != TOPO_MODE_VPC) {
		ret = nl_addr_add(nl, LAB_IFX_ETH0, tp->ip, n->pod_cidr.len);
		if (ret == 0)
			ret = nl_route_add(nl, 0, 0, n->gw, LAB_IFX_ETH0, 0, RT_SCOPE_UNIVERSE);
		return ret;
	}
	/* vpc: a /32 and a link-local next hop with a static neighbour entry. */
	ret = nl_addr_add(nl, LAB_IFX_ETH0, tp->ip, 32);
	if (ret == 0)
		ret = nl_route_add(nl, VPC_GW_IP, 32, 0, LAB_IFX_ETH0, 0, RT_SCOPE_LINK);
	if (ret == 0)
		ret = nl_neigh_add(nl, LAB_IFX_ETH0, VPC_GW_IP, gw_mac);
	if (ret == 0)
		ret = nl_route_add(nl, 0, 0, VPC_GW_IP, LAB_IFX_ETH0, 0, RT_SCOPE_UNIVERSE);
	return ret;
}

/* Pod i from its namespace, which the factory made (pinned, marked, lo up):
 * the veth pair from the node's side, then the pod's side, from home. */
static int build_pod(struct build *b, struct ns_factory *f, size_t i)
{
	const struct topo_pod *tp = &b->t->pods[i];
	char obj[2 * TOPO_LABEL_MAX + 16];
	struct nl *nl = NULL;
	int fd = -1, ret;

	snprintf(obj, sizeof(obj), "pod \"%s/%s\"", tp->ns, tp->name);
	ret = ns_factory_take(f, i, &fd, &nl, b->e);
	if (ret < 0)
		goto out;
	ret = queue_pod_host(b, i, fd);
	if (ret == 0)
		ret = queue_pod_inside(b, i, nl);
	if (ret < 0) {
		pp_err_set(b->e, PP_EXIT_FAIL, ret, "%s: out of memory", obj);
		goto out;
	}
	ret = build_commit(b, b->node_nl[tp->node], obj);
	if (ret == 0)
		ret = build_commit(b, nl, obj);
	if (ret == 0 && lab_spawner_push(b->spawner, i) < 0)
		ret = pp_err_set(b->e, PP_EXIT_FAIL, -EPIPE, "%s: cannot queue its containers", obj);
out:
	nl_close(nl);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* kube-proxy's rules for node i, sent from inside the node; a kernel error
 * names the Service whose object it refused. */
static int build_node_proxy(struct build *b, size_t i)
{
	struct nft_err ne = { .code = 0 };
	int ret;

	ret = netns_enter(b->node_fd[i]);
	if (ret == 0) {
		ret = proxy_install(b->t, i, 0, &ne);
		netns_enter(b->origin_fd);
	} else {
		ne.code = ret;
		ne.tag = -1;
		snprintf(ne.what, sizeof(ne.what), "enter the node's namespace");
	}
	return ret < 0 ? lab_proxy_err(b->e, b->t, b->t->nodes[i].name, &ne) : 0;
}

/* Node i's NetworkPolicy table, likewise; a kernel error names the policy.
 * Enforcement is by address, so it may exist before the pods do. */
static int build_node_policy(struct build *b, size_t i)
{
	struct nft_err ne = { .code = 0 };
	int ret;

	ret = netns_enter(b->node_fd[i]);
	if (ret == 0) {
		ret = policy_install(b->t, i, &ne);
		netns_enter(b->origin_fd);
	} else {
		ne.code = ret;
		ne.tag = -1;
		snprintf(ne.what, sizeof(ne.what), "enter the node's namespace");
	}
	return ret < 0 ? lab_policy_err(b->e, b->t, b->t->nodes[i].name, &ne) : 0;
}

static int build_bgp_speaker(struct build *b, size_t s)
{
	int ret = lab_bgp_conf_write(b->l, s, NULL, b->e);

	return ret < 0 ? ret : lab_bgp_start(b->l, s, b->e);
}

static int alloc_pids(struct lab *l)
{
	l->pids = calloc(l->topo.npods ? l->topo.npods : 1, sizeof(*l->pids));
	l->inet_pids = calloc(l->topo.inet.nhosts ? l->topo.inet.nhosts : 1,
			      sizeof(*l->inet_pids));
	if (!l->pids || !l->inet_pids)
		return -ENOMEM;
	for (size_t i = 0; i < l->topo.npods; i++) {
		l->pids[i] = calloc(l->topo.pods[i].ncontainers + 1, sizeof(pid_t));
		if (!l->pids[i])
			return -ENOMEM;
	}
	return 0;
}

static void build_release(struct build *b)
{
	if (b->origin_fd >= 0) {
		netns_enter(b->origin_fd);
		close(b->origin_fd);
	}
	nl_close(b->vpc_nl);
	if (b->vpc_fd >= 0)
		close(b->vpc_fd);
	for (size_t i = 0; b->node_fd && b->node_nl && i < b->t->nnodes; i++) {
		nl_close(b->node_nl[i]);
		if (b->node_fd[i] >= 0)
			close(b->node_fd[i]);
	}
	free(b->node_fd);
	free(b->node_nl);
	build_edge_release(b);
}

static int build_all(struct build *b, const struct lab_setup_opts *o)
{
	const struct topo *t = b->t;
	struct ns_factory *f = NULL;
	int ret;

	ret = netns_run_dir_prepare();
	if (ret < 0)
		return pp_err_set(b->e, PP_EXIT_ENV, ret, "cannot prepare %s: %s", NETNS_RUN_DIR,
				  strerror(-ret));
	/* Pods' namespaces are made on the factory's thread from now on,
	 * while this one builds the nodes, the edge and then wires pods.
	 * Every step first asks whether a signal came (build_interrupted). */
	ret = ns_factory_start(b, &f);
	if (ret == 0 && (ret = build_interrupted(b)) == 0)
		ret = build_vpc(b);
	for (size_t i = 0; ret == 0 && i < t->nnodes; i++)
		if ((ret = build_interrupted(b)) == 0)
			ret = build_node_ns(b, i);
	if (ret == 0 && (ret = build_interrupted(b)) == 0)
		ret = build_vpc_ports(b);
	for (size_t i = 0; ret == 0 && i < t->nnodes; i++)
		if ((ret = build_interrupted(b)) == 0)
			ret = build_node_net(b, i);
	/* bgp: BIRD starts now, so that its sessions come up while the pods
	 * are built; setup waits for the routes at its end. */
	b->l->bgp_started_ms = lab_bgp_clock_ms();
	for (size_t i = 0; ret == 0 && i < lab_bgp_nspeakers(b->l); i++)
		if ((ret = build_interrupted(b)) == 0)
			ret = build_bgp_speaker(b, lab_bgp_speaker(b->l, i));
	for (size_t i = 0; ret == 0 && i < t->nnodes; i++)
		if ((ret = build_interrupted(b)) == 0)
			ret = build_node_proxy(b, i);
	for (size_t i = 0; ret == 0 && t->npolicies && i < t->nnodes; i++)
		if ((ret = build_interrupted(b)) == 0)
			ret = build_node_policy(b, i);
	if (ret == 0 && (ret = build_interrupted(b)) == 0)
		ret = build_edge(b);
	if (ret == 0 && (ret = build_interrupted(b)) == 0)
		ret = lab_dns_write(b->l, b->e);	/* before dnsmasq starts */
	if (ret == 0 && (ret = build_interrupted(b)) == 0)
		ret = lab_ingress_write(b->l, b->e);	/* before nginx starts */
	if (ret == 0 && (ret = build_interrupted(b)) == 0)
		ret = lab_spawner_start(b->l, &b->spawner, b->e);
	if (ret == 0 && (ret = build_interrupted(b)) == 0)
		ret = build_inet_hosts(b);	/* the cluster DNS forwards to the internet's */
	for (size_t i = 0; ret == 0 && i < t->npods; i++) {
		if ((ret = build_interrupted(b)) == 0)
			ret = build_pod(b, f, i);
		if (ret == 0 && o && o->progress)
			o->progress(o->progress_arg, i + 1, t->npods);
	}
	ns_factory_stop(f);	/* before any rollback: nothing is made after it */
	if (b->spawner) {
		struct pp_err se;
		int sret = lab_spawner_finish(b->spawner, &se);

		b->spawner = NULL;
		if (ret == 0 && sret < 0) {
			ret = sret;
			*b->e = se;
		}
	}
	if (ret == 0 && lab_bgp_mode(b->l) && (ret = build_interrupted(b)) == 0) {
		long wait_from = lab_bgp_clock_ms();

		ret = lab_bgp_converge_until(b->l, b->l->bgp_started_ms, LAB_BGP_CONVERGE_MS,
					     &b->l->bgp_converge_ms, b->interrupted, b->e);
		b->l->bgp_wait_ms = lab_bgp_clock_ms() - wait_from;
	}
	if (ret == 0 && (ret = build_interrupted(b)) == 0)
		ret = lab_resolv_write(b->l, b->e);
	if (ret == 0 && (ret = build_interrupted(b)) == 0)
		ret = lab_state_write(b->l, b->e);
	return ret;
}

int lab_setup(struct lab *l, const struct lab_setup_opts *o, struct pp_err *e)
{
	struct build b = { .l = l, .t = &l->topo, .origin_fd = -1, .vpc_fd = -1, .gw_fd = -1,
			   .lb_fd = -1, .inet_fd = -1, .e = e,
			   .interrupted = o ? o->interrupted : NULL };
	char dir[256];
	int lock, ret;

	lock = lab_lock(l->name, "setup", 30000, b.interrupted, e);
	if (lock < 0)
		return lock;
	if (lab_exists(l->name)) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -EEXIST,
				 "lab \"%s\" already exists (remove it with: %s --lab %s teardown)",
				 l->name, pp_self(), l->name);
		lab_unlock(l->name, lock, false);
		return ret;
	}
	l->created = (long long)time(NULL);
	ret = lab_responder_find(l, e);
	if (ret < 0) {
		lab_unlock(l->name, lock, false);
		return ret;
	}
	ret = lab_plan_make(&l->plan, l->name, &l->topo);
	if (ret == 0)
		ret = alloc_pids(l);
	if (ret < 0) {
		pp_err_set(e, PP_EXIT_FAIL, ret, "out of memory");
		goto out;
	}
	ret = lab_bgp_paths_check(l, e);
	if (ret < 0)
		goto out;
	b.p = &l->plan;
	b.node_fd = malloc(l->topo.nnodes * sizeof(*b.node_fd));
	b.node_nl = calloc(l->topo.nnodes, sizeof(*b.node_nl));
	for (size_t i = 0; b.node_fd && i < l->topo.nnodes; i++)
		b.node_fd[i] = -1;
	b.origin_fd = netns_self_fd();
	if (!b.node_fd || !b.node_nl || b.origin_fd < 0) {
		ret = pp_err_set(e, PP_EXIT_ENV, -ENOMEM, "cannot start setup: %s",
				 b.origin_fd < 0 ? strerror(-b.origin_fd) : "out of memory");
		goto out;
	}
	if (lab_path(l->name, NULL, dir, sizeof(dir)) < 0 ||
	    lab_dir_create(dir, LAB_MODE_DIR, false) < 0) {
		ret = pp_err_set(e, PP_EXIT_ENV, -errno, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	ret = build_all(&b, o);
	/* A signal during the last step still undoes the lab, under the lock. */
	if (ret == 0)
		ret = build_interrupted(&b);
out:
	build_release(&b);
	if (ret < 0) {	/* roll back; a failure to is the error that counts */
		int rb = lab_remove_objects(l->name, NULL);

		if (rb < 0) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e ? e->msg : strerror(-ret));
			ret = pp_err_set(e, PP_EXIT_ENV, rb, "lab \"%s\": setup failed (%s), and "
					 "removing what it built failed too: %s (remove the rest "
					 "with: %s --lab %s teardown)", l->name, why,
					 strerror(-rb), pp_self(), l->name);
		}
	}
	lab_unlock(l->name, lock, ret < 0);
	return ret;
}
