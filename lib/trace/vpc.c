/* vpc — what a hop means in vpc networking, the AWS VPC CNI's model: a
 * pod's address is a secondary IP of its node's ENI, taken from the VPC
 * subnet itself, so there is no pod CIDR, no bridge and no overlay. Here
 * the VPC subnet is the VPC namespace's bridge, and a node "owns" its pods'
 * addresses by proxy ARP (a proxy neighbour entry per pod on its eth0);
 * inside the node a /32 route per pod points at the pod's veth; inside the
 * pod the default route goes via 169.254.1.1, a link-local address nobody
 * holds, which a permanent neighbour entry maps to the host veth's MAC (the
 * CNI's static ARP; Calico answers the same address by proxy ARP on the
 * host veth instead).
 *
 * Each note is read off the kernel, not assumed: the pod's neighbour entry
 * for its gateway, the destination node's proxy entry for the pod address,
 * and (hops.c's trace_hop.moved) whether the VPC namespace switched or
 * routed the frame.
 * A note that does not fit whole in the hop's text is left out, never cut. */
#include <errno.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/plan.h"
#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/internal.h"

/* The lab's pod with address ip, -1 if none. */
static ssize_t pod_of(const struct lab *l, uint32_t ip)
{
	for (size_t i = 0; i < l->topo.npods; i++)
		if (l->topo.pods[i].ip == ip)
			return (ssize_t)i;
	return -1;
}

/* Does node's namespace answer ARP for ip by proxy? */
static bool node_proxies(const struct lab *l, size_t node, uint32_t ip)
{
	struct nl_proxy_query q = { ip, false };

	return netns_run(l->plan.nodes[node].netns, nl_proxy_neigh_lookup, &q) == 0 && q.found;
}

/* Append note to buf only if it fits whole. */
static void append(char *buf, size_t len, const char *note)
{
	size_t n = strlen(buf);

	if (n + strlen(note) < len)
		memcpy(buf + n, note, strlen(note) + 1);
}

static const char *node_name(const struct lab *l, size_t node)
{
	return l->topo.nodes[node].name;
}

/* The node whose namespace is ns, -1 if none. */
static ssize_t node_at(const struct lab *l, const char *ns)
{
	for (size_t i = 0; i < l->topo.nnodes; i++)
		if (!strcmp(l->plan.nodes[i].netns, ns))
			return (ssize_t)i;
	return -1;
}

/* The pod whose namespace is ns, -1 if none. */
static ssize_t pod_at(const struct lab *l, const char *ns)
{
	for (size_t i = 0; i < l->topo.npods; i++)
		if (!strcmp(l->plan.pods[i].netns, ns))
			return (ssize_t)i;
	return -1;
}

/* Leaving a pod by its link-local gateway: what answers for it. */
static void gateway_note(const struct lab *l, const struct trace_hop *hop, size_t pod,
			 char *buf, size_t len)
{
	uint32_t gw = l->topo.nodes[l->topo.pods[pod].node].gw;
	struct nl_eth0_neigh_query q = { .ip = gw };
	char a[ADDR_STRLEN], note[200];
	const uint8_t *m;

	addr_fmt(gw, a);
	if (!hop->route_set || hop->route_gw != gw ||
	    netns_run(l->plan.pods[pod].netns, nl_eth0_neigh_lookup, &q) < 0 || !q.n.has_mac)
		return;
	m = q.n.mac;
	snprintf(note, sizeof(note), "; %s: a link-local gateway nobody holds, %s the host veth's "
		 "MAC %02x:%02x:%02x:%02x:%02x:%02x", a, q.n.state & NUD_PERMANENT ?
		 "mapped by a static ARP entry to" : "answered by proxy ARP with",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	append(buf, len, note);
}

void trace_vpc_why(const struct trace *t, size_t h, char *buf, size_t len)
{
	const struct lab *l = t->lab;
	const struct trace_hop *hop = &t->hops[h];
	const struct capture_pkt *k = hop->pkt;
	const char *ns = t->ns[hop->ns];
	char note[2 * TOPO_LABEL_MAX + 2 * ADDR_STRLEN + 128], a[ADDR_STRLEN];
	ssize_t dst, here;

	if (!l || l->topo.net.mode != TOPO_MODE_VPC || !k->outgoing)
		return;
	here = pod_at(l, ns);
	if (here >= 0) {
		gateway_note(l, hop, (size_t)here, buf, len);
		return;
	}
	dst = pod_of(l, k->daddr);
	if (dst < 0)
		return;
	addr_fmt(k->daddr, a);
	here = node_at(l, ns);
	if (here >= 0 && (size_t)here == l->topo.pods[dst].node) {
		/* Into its own pod: the CNI's host route, no bridge. */
		if (hop->route_set && hop->route_plen == 32 && !hop->route_gw &&
		    !strcmp(k->ifname, l->plan.pods[dst].host_if))
			append(buf, len, "; the CNI's /32 route to the pod's veth, no bridge");
		return;
	}
	if (!node_proxies(l, l->topo.pods[dst].node, k->daddr))
		return;
	if (here >= 0) {
		/* Onto the VPC subnet, to a pod of another node. */
		snprintf(note, sizeof(note), "; %s is on the VPC subnet, a secondary IP of %s's ENI: "
			 "%s answers ARP for it (a proxy neighbour entry on its eth0)", a, node_name(l, l->topo.pods[dst].node),
			 node_name(l, l->topo.pods[dst].node));
		append(buf, len, note);
	} else if (!strcmp(ns, l->plan.vpc_netns) && hop->moved == TRACE_MOVED_BRIDGED) {
		/* Only a frame no IP layer touched: one the VPC routed out of
		 * its bridge device (bridged-after-route) had its TTL cut. */
		snprintf(note, sizeof(note), "; the VPC switched it, not routed (TTL kept), to %s, "
			 "which answers ARP for %s by proxy (its ENI's secondary IP)",
			 node_name(l, l->topo.pods[dst].node), a);
		append(buf, len, note);
	}
}
