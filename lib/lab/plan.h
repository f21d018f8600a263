/* plan — the names, interface indexes and MAC addresses of a lab's kernel
 * objects, derived deterministically from the lab name and the resolved
 * topology. setup builds from it, status and teardown find objects with it,
 * so nothing of it needs to be stored. */
#ifndef PODPATH_LAB_PLAN_H
#define PODPATH_LAB_PLAN_H

#include <net/if.h>
#include <stdint.h>

#include "topo/topo.h"

#define LAB_NAME_MAX 24
#define LAB_NETNS_MAX (LAB_NAME_MAX + 8 + 2 * TOPO_LABEL_MAX)
#define LAB_MARKER_MAX (LAB_NAME_MAX + 16)

/* Fixed interface indexes inside lab namespaces: requesting them at creation
 * lets one batch refer to links it has not seen created yet. */
enum {
	LAB_IFX_LO = 1,
	LAB_IFX_ETH0 = 2,	/* pod eth0, node eth0 */
	LAB_IFX_BRIDGE = 3,	/* node cbr0, VPC vpc0 */
	LAB_IFX_VXLAN = 4,	/* node flannel.1 */
	LAB_IFX_VPC_IGW = 5,	/* VPC router: the link to the cloud gateway */
	LAB_IFX_VPC_LB = 6,	/* VPC router: the link to the cloud load balancer */
	LAB_IFX_PORT0 = 16,	/* node: pod host veths; VPC: node ports; internet: hosts */
};

#define LAB_INET_BRIDGE_NAME "inet0"

#define LAB_VXLAN_VNI 1
#define LAB_VXLAN_PORT 8472	/* flannel's vxlan port (Linux legacy default) */
#define LAB_VXLAN_OVERHEAD 50	/* outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 */
#define LAB_BRIDGE_NAME "cbr0"
#define LAB_VPC_BRIDGE_NAME "vpc0"
#define LAB_VXLAN_NAME "flannel.1"

struct lab_plan_node {
	char netns[LAB_NETNS_MAX];
	char vpc_port[IF_NAMESIZE];	/* this node's port on the VPC bridge */
	int vpc_ifindex;
	uint8_t eth_mac[6], vpc_mac[6], br_mac[6], vtep_mac[6];
};

struct lab_plan_pod {
	char netns[LAB_NETNS_MAX];
	char host_if[IF_NAMESIZE];	/* host-side veth in the node netns */
	int host_ifindex;
	uint8_t mac[6], host_mac[6];
};

/* An internet host: its namespace and its port on the internet bridge. */
struct lab_plan_host {
	char netns[LAB_NETNS_MAX];
	char host_if[IF_NAMESIZE];	/* bridge port in the internet router */
	int host_ifindex;
	uint8_t mac[6], host_mac[6];
};

struct lab_plan {
	char lab[LAB_NAME_MAX + 1];
	char marker[LAB_MARKER_MAX];	/* lo's ifalias in every lab netns */
	char vpc_netns[LAB_NETNS_MAX];
	char gw_netns[LAB_NETNS_MAX];	/* the cloud gateway (1:1 NAT) */
	char lb_netns[LAB_NETNS_MAX];	/* the cloud L4 load balancer */
	char inet_netns[LAB_NETNS_MAX];	/* the internet router */
	uint8_t gw_vpc_mac[6], gw_inet_mac[6], lb_mac[6], igw_mac[6], vpclb_mac[6];
	uint8_t cloud_mac[6], inet_br_mac[6];
	uint8_t vpc_mac[6];
	const struct topo *t;
	struct lab_plan_node *nodes;	/* t->nnodes */
	struct lab_plan_pod *pods;	/* t->npods */
	struct lab_plan_host *hosts;	/* t->inet.nhosts */
};

/* True if name is a valid lab name (DNS-1123 label of at most LAB_NAME_MAX). */
bool lab_name_valid(const char *name);
/* Derive the plan of lab `lab` over resolved topology t. 0 or -ENOMEM. */
int lab_plan_make(struct lab_plan *p, const char *lab, const struct topo *t);
void lab_plan_free(struct lab_plan *p);
/* The netns name prefix every namespace of the lab starts with ("LAB_"). */
void lab_netns_prefix(const char *lab, char *buf, size_t len);

#endif
