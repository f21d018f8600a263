/* edge — setup's part for the world around the cluster: the cloud gateway
 * (1:1 NAT), the cloud load balancer, the internet router with its hosts,
 * the VPC router's links to the first two, and each node's ip-masq-agent.
 *
 *   node eth0 -- vpc0 [VPC router] igw -- vpc [gateway] internet -- cloud [internet] inet0 -- hosts
 *                                  lb  -- vpc [load balancer]
 *
 * Nothing here is connected to the host: the internet is TEST-NET hosts in
 * lab namespaces, and the internet router has no default route. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include "edge/edge.h"
#include "lab/build.h"
#include "netns/netns.h"

/* Build one edge table in the namespace behind fd and commit it there. */
static int nft_in(struct build *b, int fd, const char *obj,
		  int (*fn)(struct nft_batch *, const struct topo *))
{
	struct nft_batch *nb = nft_batch_new();
	struct nft_err ne = { .code = 0 };
	int ret;

	if (!nb)
		return pp_err_set(b->e, PP_EXIT_FAIL, -ENOMEM, "%s: out of memory", obj);
	ret = fn(nb, b->t);
	if (ret == 0) {
		ret = netns_enter(fd);
		if (ret == 0) {
			ret = nft_batch_commit(nb, &ne);
			netns_enter(b->origin_fd);
		}
	}
	nft_batch_free(nb);
	if (ret < 0)
		return pp_err_set(b->e, PP_EXIT_FAIL, ret, "%s: nftables: %s%s%s%s%s", obj,
				  ne.what[0] ? ne.what : "", ne.what[0] ? ": " : "", strerror(-ret),
				  ne.ext[0] ? " (kernel: " : "", ne.ext[0] ? ne.ext : "");
	return 0;
}

static int nomem(struct build *b, const char *obj)
{
	return pp_err_set(b->e, PP_EXIT_FAIL, -ENOMEM, "%s: out of memory", obj);
}

/* An empty namespace, pinned, whose socket and fd stay open for later steps. */
static int edge_ns(struct build *b, const char *obj, const char *netns, int *fd, struct nl **nl)
{
	int ret = build_ns_begin(b, obj, NS_ROUTER, fd, nl);

	return ret < 0 ? ret : build_ns_finish(b, obj, netns, *nl);
}

/* The internet router: the hosts' bridge, and the link to the gateway over
 * which the whole public range is routed. */
static int build_internet(struct build *b)
{
	const struct lab_plan *p = b->p;
	const struct topo *t = b->t;
	static const char obj[] = "internet router";
	struct nl_link br = { .name = LAB_INET_BRIDGE_NAME, .index = LAB_IFX_BRIDGE,
			      .mtu = t->net.mtu, .mac = p->inet_br_mac, .up = true, .netns_fd = -1 };
	struct nl_link cloud = { .name = EDGE_IF_CLOUD, .index = LAB_IFX_ETH0, .mtu = t->net.mtu,
				 .mac = p->cloud_mac, .up = true, .netns_fd = -1 };
	struct nl_link gw = { .name = EDGE_IF_INET, .index = LAB_IFX_BRIDGE, .mtu = t->net.mtu,
			      .mac = p->gw_inet_mac, .netns_fd = b->gw_fd };
	int ret;

	ret = build_ns_begin(b, obj, NS_ROUTER, &b->inet_fd, &b->inet_nl);
	if (ret < 0)
		return ret;
	if (nl_link_add_bridge(b->inet_nl, &br) < 0 ||
	    nl_addr_add(b->inet_nl, LAB_IFX_BRIDGE, t->inet.router, t->inet.cidr.len) < 0 ||
	    nl_link_add_veth(b->inet_nl, &cloud, &gw) < 0 ||
	    nl_route_add(b->inet_nl, t->net.public_cidr.addr, t->net.public_cidr.len,
			 t->net.gateway_ip, LAB_IFX_ETH0, NL_ROUTE_ONLINK, RT_SCOPE_UNIVERSE) < 0) {
		netns_enter(b->origin_fd);
		return nomem(b, obj);
	}
	return build_ns_finish(b, obj, p->inet_netns, b->inet_nl);
}

/* The VPC router's side: its links to the gateway and the load balancer,
 * the default route to the gateway, each LoadBalancer IP to the load
 * balancer, and the policy rule that returns load-balanced replies. */
static int queue_vpc(struct build *b)
{
	const struct lab_plan *p = b->p;
	const struct topo *t = b->t;
	struct nl *nl = b->vpc_nl;
	struct nl_link igw = { .name = EDGE_IF_IGW, .index = LAB_IFX_VPC_IGW, .mtu = t->net.mtu,
			       .mac = p->igw_mac, .up = true, .netns_fd = -1 };
	struct nl_link gw = { .name = EDGE_IF_VPC, .index = LAB_IFX_ETH0, .mtu = t->net.mtu,
			      .mac = p->gw_vpc_mac, .netns_fd = b->gw_fd };
	struct nl_link lb = { .name = EDGE_IF_LB, .index = LAB_IFX_VPC_LB, .mtu = t->net.mtu,
			      .mac = p->vpclb_mac, .up = true, .netns_fd = -1 };
	struct nl_link lbv = { .name = EDGE_IF_VPC, .index = LAB_IFX_ETH0, .mtu = t->net.mtu,
			       .mac = p->lb_mac, .netns_fd = b->lb_fd };
	int ret;

	ret = nl_link_add_veth(nl, &igw, &gw);
	if (ret == 0)
		ret = nl_link_add_veth(nl, &lb, &lbv);
	if (ret == 0)
		ret = nl_route_add(nl, EDGE_GW_INSIDE, 32, 0, LAB_IFX_VPC_IGW, 0, RT_SCOPE_LINK);
	if (ret == 0)
		ret = nl_route_add(nl, EDGE_LB_INSIDE, 32, 0, LAB_IFX_VPC_LB, 0, RT_SCOPE_LINK);
	if (ret == 0)
		ret = nl_route_add(nl, 0, 0, EDGE_GW_INSIDE, LAB_IFX_VPC_IGW, 0, RT_SCOPE_UNIVERSE);
	for (size_t i = 0; ret == 0 && i < t->nservices; i++)
		if (t->services[i].type == TOPO_SVC_LOADBALANCER)
			ret = nl_route_add(nl, t->services[i].lb_ip, 32, EDGE_LB_INSIDE,
					   LAB_IFX_VPC_LB, 0, RT_SCOPE_UNIVERSE);
	if (ret == 0)
		ret = nl_route_add_table(nl, EDGE_LB_RETURN_TABLE, 0, 0, EDGE_LB_INSIDE,
					 LAB_IFX_VPC_LB, 0);
	if (ret == 0)
		ret = nl_rule_add_fwmark(nl, EDGE_LB_RETURN_MARK, EDGE_LB_RETURN_TABLE,
					 EDGE_LB_RETURN_PREF);
	return ret;
}

/* The gateway: a link-local address towards the VPC, its public one towards
 * the internet; the VPC and the load balancers behind the VPC router; any
 * other public address is unreachable rather than bounced back out. */
static int queue_gateway(struct build *b)
{
	const struct topo *t = b->t;
	struct nl *nl = b->gw_nl;
	struct nl_link vpc = { .index = LAB_IFX_ETH0, .up = true, .netns_fd = -1 };
	struct nl_link inet = { .index = LAB_IFX_BRIDGE, .up = true, .netns_fd = -1 };
	int ret;

	ret = nl_link_set(nl, &vpc);
	if (ret == 0)
		ret = nl_link_set(nl, &inet);
	if (ret == 0)
		ret = nl_addr_add(nl, LAB_IFX_ETH0, EDGE_GW_INSIDE, 32);
	if (ret == 0)
		ret = nl_addr_add(nl, LAB_IFX_BRIDGE, t->net.gateway_ip, 32);
	if (ret == 0)
		ret = nl_route_add(nl, 0, 0, t->inet.router, LAB_IFX_BRIDGE, NL_ROUTE_ONLINK,
				   RT_SCOPE_UNIVERSE);
	if (ret == 0)
		ret = nl_route_add(nl, t->net.vpc_cidr.addr, t->net.vpc_cidr.len,
				   t->net.vpc_router, LAB_IFX_ETH0, NL_ROUTE_ONLINK,
				   RT_SCOPE_UNIVERSE);
	if (ret == 0)
		ret = nl_route_add_unreachable(nl, t->net.public_cidr.addr, t->net.public_cidr.len);
	for (size_t i = 0; ret == 0 && i < t->nservices; i++)
		if (t->services[i].type == TOPO_SVC_LOADBALANCER)
			ret = nl_route_add(nl, t->services[i].lb_ip, 32, t->net.vpc_router,
					   LAB_IFX_ETH0, NL_ROUTE_ONLINK, RT_SCOPE_UNIVERSE);
	return ret;
}

/* The load balancer: its link-local address, the LoadBalancer IPs it
 * answers for (on lo: a port with no listener is refused, not looped), and
 * the VPC router as its next hop to the nodes. */
static int queue_lb(struct build *b)
{
	const struct topo *t = b->t;
	struct nl *nl = b->lb_nl;
	struct nl_link vpc = { .index = LAB_IFX_ETH0, .up = true, .netns_fd = -1 };
	int ret;

	ret = nl_link_set(nl, &vpc);
	if (ret == 0)
		ret = nl_addr_add(nl, LAB_IFX_ETH0, EDGE_LB_INSIDE, 32);
	for (size_t i = 0; ret == 0 && i < t->nservices; i++)
		if (t->services[i].type == TOPO_SVC_LOADBALANCER)
			ret = nl_addr_add(nl, LAB_IFX_LO, t->services[i].lb_ip, 32);
	if (ret == 0)
		ret = nl_route_add(nl, 0, 0, t->net.vpc_router, LAB_IFX_ETH0, NL_ROUTE_ONLINK,
				   RT_SCOPE_UNIVERSE);
	return ret;
}

int build_edge(struct build *b)
{
	const struct lab_plan *p = b->p;
	int ret;

	/* The gateway and the load balancer first: the VPC router's and the
	 * internet router's links end in them. */
	ret = edge_ns(b, "cloud gateway", p->gw_netns, &b->gw_fd, &b->gw_nl);
	if (ret == 0)
		ret = edge_ns(b, "cloud load balancer", p->lb_netns, &b->lb_fd, &b->lb_nl);
	if (ret == 0)
		ret = build_internet(b);
	if (ret < 0)
		return ret;
	if (queue_vpc(b) < 0)
		return nomem(b, "VPC router");
	ret = build_commit(b, b->vpc_nl, "VPC router");
	if (ret == 0 && queue_gateway(b) < 0)
		return nomem(b, "cloud gateway");
	if (ret == 0)
		ret = build_commit(b, b->gw_nl, "cloud gateway");
	if (ret == 0 && queue_lb(b) < 0)
		return nomem(b, "cloud load balancer");
	if (ret == 0)
		ret = build_commit(b, b->lb_nl, "cloud load balancer");
	if (ret == 0)
		ret = nft_in(b, b->gw_fd, "cloud gateway", edge_gateway_build);
	if (ret == 0)
		ret = nft_in(b, b->lb_fd, "cloud load balancer", edge_lb_build);
	if (ret == 0)
		ret = nft_in(b, b->vpc_fd, "VPC router", edge_vpc_build);
	for (size_t i = 0; ret == 0 && i < b->t->nnodes; i++) {
		char obj[TOPO_LABEL_MAX + 32];

		snprintf(obj, sizeof(obj), "node \"%s\": ip-masq-agent", b->t->nodes[i].name);
		ret = nft_in(b, b->node_fd[i], obj, edge_masq_build);
	}
	return ret;
}

/* One internet host: its namespace with eth0 on the internet bridge, a
 * default route to the internet router, and its program. */
_Static_assert(TOPO_MAX_INET_HOSTS <= TOPO_BRIDGE_PORTS, "every host fits on the internet bridge");
static int build_host(struct build *b, size_t i)
{
	const struct topo_inet_host *h = &b->t->inet.hosts[i];
	const struct lab_plan_host *ph = &b->p->hosts[i];
	char obj[TOPO_LABEL_MAX + 32];
	struct nl_link port = { .name = ph->host_if, .index = ph->host_ifindex, .mtu = b->t->net.mtu,
				.mac = ph->host_mac, .master = LAB_IFX_BRIDGE, .up = true,
				.netns_fd = -1 };
	struct nl_link eth = { .name = "eth0", .index = LAB_IFX_ETH0, .mtu = b->t->net.mtu,
			       .mac = ph->mac, .up = true, .netns_fd = -1 };
	struct nl *nl = NULL;
	int fd = -1, ret;

	snprintf(obj, sizeof(obj), "internet host \"%s\"", h->name);
	ret = build_ns_begin(b, obj, NS_POD, &fd, &nl);
	if (ret < 0)
		goto out;
	eth.netns_fd = fd;
	if (nl_link_add_veth(b->inet_nl, &port, &eth) < 0) {
		netns_enter(b->origin_fd);
		ret = nomem(b, obj);
		goto out;
	}
	ret = build_commit(b, b->inet_nl, obj);
	eth.netns_fd = -1;
	eth.name = NULL;
	eth.mac = NULL;
	if (ret == 0 && (nl_link_set(nl, &eth) < 0 ||
			 nl_addr_add(nl, LAB_IFX_ETH0, h->ip, b->t->inet.cidr.len) < 0 ||
			 nl_route_add(nl, 0, 0, b->t->inet.router, LAB_IFX_ETH0, 0,
				      RT_SCOPE_UNIVERSE) < 0))
		ret = nomem(b, obj);
	if (ret < 0) {
		netns_enter(b->origin_fd);
		goto out;
	}
	ret = build_ns_finish(b, obj, ph->netns, nl);
	/* Its program starts on the spawner's thread while setup goes on. */
	if (ret == 0 && lab_spawner_push_host(b->spawner, i) < 0)
		ret = pp_err_set(b->e, PP_EXIT_FAIL, -EPIPE, "%s: cannot queue its program", obj);
out:
	nl_close(nl);
	if (fd >= 0)
		close(fd);
	return ret;
}

int build_inet_hosts(struct build *b)
{
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < b->t->inet.nhosts; i++)
		if ((ret = build_interrupted(b)) == 0)
			ret = build_host(b, i);
	return ret;
}

void build_edge_release(struct build *b)
{
	nl_close(b->gw_nl);
	nl_close(b->lb_nl);
	nl_close(b->inet_nl);
	b->gw_nl = b->lb_nl = b->inet_nl = NULL;
	if (b->gw_fd >= 0)
		close(b->gw_fd);
	if (b->lb_fd >= 0)
		close(b->lb_fd);
	if (b->inet_fd >= 0)
		close(b->inet_fd);
	b->gw_fd = b->lb_fd = b->inet_fd = -1;
}
