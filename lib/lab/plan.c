/* plan — deterministic names, ifindexes and MACs of a lab; see plan.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/plan.h"

/* MAC kinds: byte 2 of every podpath MAC, so a capture tells what a frame's
 * source is. All are locally administered unicast (02:...). */
enum { MAC_POD = 1, MAC_HOSTVETH, MAC_NODE_ETH, MAC_VPC_PORT, MAC_BRIDGE, MAC_VTEP, MAC_VPC,
       MAC_EDGE, MAC_INET_HOST, MAC_INET_PORT };

/* The MAC AWS VPC CNI and Calico give every host-side veth in vpc mode: pods
 * reach their gateway 169.254.1.1 through a static neighbour entry for it. */
static const uint8_t vpc_gw_mac[6] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };

static void mac_make(uint8_t mac[6], int kind, unsigned a, unsigned b)
{
	mac[0] = 0x02;
	mac[1] = 0x50;	/* 'P' */
	mac[2] = (uint8_t)kind;
	mac[3] = (uint8_t)a;
	mac[4] = (uint8_t)(b >> 8);
	mac[5] = (uint8_t)b;
}

static uint32_t fnv1a(const char *s, uint32_t salt)
{
	uint32_t h = 2166136261u ^ salt;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

bool lab_name_valid(const char *name)
{
	return strlen(name) <= LAB_NAME_MAX && topo_is_dns1123_label(name);
}

void lab_netns_prefix(const char *lab, char *buf, size_t len)
{
	/* '_' cannot occur in a lab name, so lab "a" never claims lab "a-b". */
	snprintf(buf, len, "%s_", lab);
}

/* Host veth name: "veth" + 8 hex digits of a hash of ns/name, like the CNI
 * bridge plugin's random names but stable; salted again on a clash. */
static void host_if_name(struct lab_plan *p, size_t pod)
{
	const struct topo_pod *tp = &p->t->pods[pod];
	char key[2 * TOPO_LABEL_MAX + 2];
	uint32_t salt = 0;
	bool clash;

	snprintf(key, sizeof(key), "%s/%s", tp->ns, tp->name);
	do {
		snprintf(p->pods[pod].host_if, IF_NAMESIZE, "veth%08x", fnv1a(key, salt++));
		clash = false;
		for (size_t i = 0; i < pod && !clash; i++)
			clash = p->t->pods[i].node == tp->node &&
				!strcmp(p->pods[i].host_if, p->pods[pod].host_if);
	} while (clash);
}

/* The node's port on the VPC bridge: "n-<node>" when it fits, else hashed. */
static void vpc_port_name(struct lab_plan *p, size_t node)
{
	const char *name = p->t->nodes[node].name;
	uint32_t salt = 0;
	bool clash;
	int n;

	n = snprintf(p->nodes[node].vpc_port, IF_NAMESIZE, "n-%s", name);
	if (n < 0 || n >= IF_NAMESIZE)	/* longer than an interface name may be */
		snprintf(p->nodes[node].vpc_port, IF_NAMESIZE, "n-%08x", fnv1a(name, salt++));
	do {
		clash = false;
		for (size_t i = 0; i < node && !clash; i++)
			clash = !strcmp(p->nodes[i].vpc_port, p->nodes[node].vpc_port);
		if (clash)
			snprintf(p->nodes[node].vpc_port, IF_NAMESIZE, "n-%08x",
				 fnv1a(name, salt++));
	} while (clash);
}

/* An internet host's bridge port: "h-<name>" when it fits, else hashed. */
static void inet_port_name(struct lab_plan *p, size_t h)
{
	const char *name = p->t->inet.hosts[h].name;
	uint32_t salt = 0;
	bool clash;
	int n;

	n = strchr(name, '.') ? -1 : snprintf(p->hosts[h].host_if, IF_NAMESIZE, "h-%s", name);
	if (n < 0 || n >= IF_NAMESIZE)	/* a dot, or longer than an interface name may be */
		snprintf(p->hosts[h].host_if, IF_NAMESIZE, "h-%08x", fnv1a(name, salt++));
	do {
		clash = false;
		for (size_t i = 0; i < h && !clash; i++)
			clash = !strcmp(p->hosts[i].host_if, p->hosts[h].host_if);
		if (clash)
			snprintf(p->hosts[h].host_if, IF_NAMESIZE, "h-%08x", fnv1a(name, salt++));
	} while (clash);
}

static void plan_edge(struct lab_plan *p, const char *lab)
{
	const struct topo *t = p->t;

	snprintf(p->gw_netns, sizeof(p->gw_netns), "%s_gateway", lab);
	snprintf(p->lb_netns, sizeof(p->lb_netns), "%s_lb", lab);
	snprintf(p->inet_netns, sizeof(p->inet_netns), "%s_internet", lab);
	mac_make(p->gw_vpc_mac, MAC_EDGE, 1, 1);
	mac_make(p->gw_inet_mac, MAC_EDGE, 1, 2);
	mac_make(p->lb_mac, MAC_EDGE, 2, 1);
	mac_make(p->igw_mac, MAC_EDGE, 3, 1);
	mac_make(p->vpclb_mac, MAC_EDGE, 3, 2);
	mac_make(p->cloud_mac, MAC_EDGE, 4, 1);
	mac_make(p->inet_br_mac, MAC_EDGE, 4, 2);
	for (size_t i = 0; i < t->inet.nhosts; i++) {
		struct lab_plan_host *h = &p->hosts[i];

		snprintf(h->netns, sizeof(h->netns), "%s_inet_%s", lab, t->inet.hosts[i].name);
		inet_port_name(p, i);
		h->host_ifindex = LAB_IFX_PORT0 + (int)i;
		mac_make(h->mac, MAC_INET_HOST, 0, (unsigned)i + 1);
		mac_make(h->host_mac, MAC_INET_PORT, 0, (unsigned)i + 1);
	}
}

int lab_plan_make(struct lab_plan *p, const char *lab, const struct topo *t)
{
	size_t *local = NULL;
	int ret = -ENOMEM;

	memset(p, 0, sizeof(*p));
	p->t = t;
	snprintf(p->lab, sizeof(p->lab), "%s", lab);
	snprintf(p->marker, sizeof(p->marker), "podpath:%s", lab);
	snprintf(p->vpc_netns, sizeof(p->vpc_netns), "%s_vpc", lab);
	mac_make(p->vpc_mac, MAC_VPC, 0, 1);
	p->nodes = calloc(t->nnodes ? t->nnodes : 1, sizeof(*p->nodes));
	p->pods = calloc(t->npods ? t->npods : 1, sizeof(*p->pods));
	p->hosts = calloc(t->inet.nhosts ? t->inet.nhosts : 1, sizeof(*p->hosts));
	local = calloc(t->nnodes ? t->nnodes : 1, sizeof(*local));
	if (!p->nodes || !p->pods || !p->hosts || !local)
		goto out;
	plan_edge(p, lab);
	for (size_t i = 0; i < t->nnodes; i++) {
		struct lab_plan_node *n = &p->nodes[i];

		snprintf(n->netns, sizeof(n->netns), "%s_node_%s", lab, t->nodes[i].name);
		vpc_port_name(p, i);
		n->vpc_ifindex = LAB_IFX_PORT0 + (int)i;
		mac_make(n->eth_mac, MAC_NODE_ETH, 0, (unsigned)i + 1);
		mac_make(n->vpc_mac, MAC_VPC_PORT, 0, (unsigned)i + 1);
		mac_make(n->br_mac, MAC_BRIDGE, 0, (unsigned)i + 1);
		mac_make(n->vtep_mac, MAC_VTEP, 0, (unsigned)i + 1);
	}
	for (size_t i = 0; i < t->npods; i++) {
		struct lab_plan_pod *pp = &p->pods[i];
		size_t node = t->pods[i].node;
		unsigned idx = (unsigned)local[node]++;

		snprintf(pp->netns, sizeof(pp->netns), "%s_pod_%s_%s", lab,
			 t->pods[i].ns, t->pods[i].name);
		host_if_name(p, i);
		pp->host_ifindex = LAB_IFX_PORT0 + (int)idx;
		mac_make(pp->mac, MAC_POD, (unsigned)node + 1, idx + 1);
		if (t->net.mode == TOPO_MODE_VPC)
			memcpy(pp->host_mac, vpc_gw_mac, 6);
		else
			mac_make(pp->host_mac, MAC_HOSTVETH, (unsigned)node + 1, idx + 1);
	}
	ret = 0;
out:
	free(local);
	if (ret)
		lab_plan_free(p);
	return ret;
}

void lab_plan_free(struct lab_plan *p)
{
	free(p->nodes);
	free(p->pods);
	free(p->hosts);
	p->nodes = NULL;
	p->pods = NULL;
	p->hosts = NULL;
}
