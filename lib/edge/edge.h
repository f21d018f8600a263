/* edge — the cloud around the cluster as nftables rules: the internet
 * gateway's 1:1 NAT, the L4 load balancer's listeners, the VPC router's
 * return path for load-balanced connections, and each node's ip-masq-agent.
 * Each builder queues one table into a batch meant for the namespace it
 * belongs to; the caller commits it there. Tables and chains are named so
 * that `nft list ruleset` in each namespace reads as what it does. */
#ifndef PODPATH_EDGE_H
#define PODPATH_EDGE_H

#include <stddef.h>

#include "nft/nft.h"
#include "topo/topo.h"

#define EDGE_GW_TABLE "cloud-gateway"
#define EDGE_LB_TABLE "cloud-lb"
#define EDGE_VPC_TABLE "vpc-router"
#define EDGE_MASQ_TABLE "ip-masq-agent"
/* The cloud gateway's 1:1 NAT maps: inbound (DNAT) and outbound (SNAT). */
#define EDGE_GW_MAP_IN "public-to-node"
#define EDGE_GW_MAP_OUT "node-to-public"
#define EDGE_NAME_MAX 256		/* nftables' chain name limit */

/* The edge's namespaces and links:
 *   VPC router  igw <-> vpc  gateway  internet <-> cloud  internet router
 *   VPC router  lb  <-> vpc  load balancer
 * The gateway and the load balancer reach the VPC router over point-to-point
 * links with link-local addresses: a cloud's route targets have no address
 * in the VPC's subnet. */
#define EDGE_IF_VPC "vpc"		/* gateway and LB: towards the VPC router */
#define EDGE_IF_IGW "igw"		/* VPC router: towards the gateway */
#define EDGE_IF_LB "lb"			/* VPC router: towards the load balancer */
#define EDGE_IF_INET "internet"		/* gateway: towards the internet router */
#define EDGE_IF_CLOUD "cloud"		/* internet router: towards the gateway */
#define EDGE_GW_INSIDE 0xa9fe6401u	/* 169.254.100.1: the gateway, seen from the VPC */
#define EDGE_LB_INSIDE 0xa9fe6402u	/* 169.254.100.2: the load balancer, seen from the VPC */
#define EDGE_LB_RETURN_TABLE 100	/* VPC router: where replies of load-balanced flows go */
#define EDGE_LB_RETURN_MARK 0x1u	/* ... selected by this fwmark, from their ct mark */
#define EDGE_LB_RETURN_PREF 100		/* priority of that policy rule */

/* The gateway: inbound, a node's public address is DNATed to the node;
 * outbound, a node's address is SNATed to its own public one (a node
 * without one shares the gateway's); from the internet only those, the
 * load balancers' addresses and replies get through. */
int edge_gateway_build(struct nft_batch *b, const struct topo *t);
/* The load balancer: each LoadBalancer port's public IP:port picks a target
 * node at random and is DNATed to that node's NodePort (Cluster: every node;
 * Local: nodes with a local endpoint, as health checks find them). */
int edge_lb_build(struct nft_batch *b, const struct topo *t);
/* The VPC router marks connections that come from the load balancer so
 * that their replies (ip rule fwmark) go back through it. */
int edge_vpc_build(struct nft_batch *b, const struct topo *t);
/* A node's ip-masq-agent: traffic to anything outside the cluster CIDR, the
 * VPC and link-local addresses is masqueraded to the node's address. */
int edge_masq_build(struct nft_batch *b, const struct topo *t);

/* Chain names of the load balancer, for trace: the listener of port pi of
 * Service s, and its target chain for node n. */
void edge_lb_listener_chain(char *buf, size_t len, const struct topo_service *s, size_t pi);
void edge_lb_target_chain(char *buf, size_t len, const struct topo_service *s, size_t pi,
			  const char *node);

#endif
