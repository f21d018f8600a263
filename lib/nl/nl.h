/* nl — rtnetlink through libmnl: links, addresses, routes, neighbours, FDB.
 *
 * A struct nl is one NETLINK_ROUTE socket (or, from nl_open_proto, one of
 * another netlink family, for nl_request only); it acts on the network namespace
 * the calling thread was in when nl_open() ran, wherever the thread is later.
 * Requests are queued by the nl_*_add/set builders and sent together by
 * nl_commit(), which maps a kernel error (with its extended-ack text) back to
 * the request that caused it.
 * Queueing many requests and sending them at once is what makes setup fast:
 * one sendmsg carries a pod's whole configuration. */
#ifndef PODPATH_NL_H
#define PODPATH_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl;

struct nl_err {
	int code;		/* negative errno from the kernel */
	char what[112];		/* the request, e.g. "add veth veth3f2a9c01" */
	char ext[160];		/* kernel extended-ack message, may be empty */
};

/* Attributes of a link to create or change. Zero/NULL/-1 fields are left alone. */
struct nl_link {
	const char *name;	/* interface name (<= 15 chars) */
	int index;		/* ifindex: requested on create, the target on set */
	unsigned mtu;
	const uint8_t *mac;	/* 6 bytes */
	int master;		/* bridge ifindex to enslave to */
	bool up;
	const char *alias;	/* IFLA_IFALIAS; podpath's ownership marker */
	int netns_fd;		/* create in this netns (IFLA_NET_NS_FD); -1 = here */
};

#define NL_ROUTE_ONLINK 1u

/* Open a socket in the calling thread's current netns; NULL with errno set. */
struct nl *nl_open(void);
/* The same for another netlink protocol (NETLINK_SOCK_DIAG, ...). */
struct nl *nl_open_proto(int proto);
/* Close it and drop anything queued. */
void nl_close(struct nl *nl);

/* Queue RTM_NEWLINK on an existing link (by l->index): up, mtu, master, alias, mac. */
int nl_link_set(struct nl *nl, const struct nl_link *l);
/* Queue creation of a bridge (STP off). */
int nl_link_add_bridge(struct nl *nl, const struct nl_link *l);
/* Queue creation of a veth pair; the peer may live in another netns. The
 * peer's `up` is ignored: bring it up with nl_link_set from its netns. */
int nl_link_add_veth(struct nl *nl, const struct nl_link *l, const struct nl_link *peer);
/* Queue creation of a VXLAN device (flannel style: no learning, FDB programmed). */
int nl_link_add_vxlan(struct nl *nl, const struct nl_link *l, uint32_t vni,
		      uint32_t local, int dev_index, uint16_t port);
/* Queue an IPv4 address (host byte order) on ifindex. */
int nl_addr_add(struct nl *nl, int ifindex, uint32_t addr, uint8_t plen);
/* Queue an IPv4 route in the main table: dst/plen via gw (0 = none) out oif.
 * scope: RT_SCOPE_UNIVERSE or RT_SCOPE_LINK. */
int nl_route_add(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t gw, int oif,
		 unsigned flags, uint8_t scope);
/* Queue a route in table `table` (policy routing): dst/plen via gw out oif. */
int nl_route_add_table(struct nl *nl, uint8_t table, uint32_t dst, uint8_t plen, uint32_t gw,
		       int oif, unsigned flags);
/* Queue an unreachable route: packets to dst/plen get ICMP net unreachable. */
int nl_route_add_unreachable(struct nl *nl, uint32_t dst, uint8_t plen);
/* Queue a route of type RTN_BLACKHOLE, RTN_PROHIBIT or RTN_UNREACHABLE to
 * dst/plen in the main table (-EINVAL for another type). */
int nl_route_add_type(struct nl *nl, uint8_t type, uint32_t dst, uint8_t plen);
/* Queue a route given as the kernel described it (a message from
 * nl_route_dump): recreated (add) or deleted, as `ip route restore` does. */
int nl_route_raw(struct nl *nl, const void *msg, size_t len, bool add);
/* Queue a policy rule: packets with fwmark `mark` look up table, at priority prio. */
int nl_rule_add_fwmark(struct nl *nl, uint32_t mark, uint8_t table, uint32_t prio);
/* Queue a permanent IPv4 neighbour: ip -> mac on ifindex. */
int nl_neigh_add(struct nl *nl, int ifindex, uint32_t ip, const uint8_t *mac);
/* Queue a proxy-ARP entry: answer ARP for ip on ifindex. */
int nl_neigh_proxy_add(struct nl *nl, int ifindex, uint32_t ip);
/* Queue a change of the ARP proxy_delay of one interface (neighbour table
 * parameters are per device in a non-initial netns; there is no "default"). */
int nl_arp_proxy_delay_set(struct nl *nl, int ifindex, uint64_t ms);
/* Queue: turn hairpin mode of a bridge port on or off (a frame may leave by
 * the port it came in on: a pod reaching its own Service, as kubelet sets). */
int nl_bridge_port_hairpin_set(struct nl *nl, int ifindex, bool on);
/* Queue a permanent bridge FDB entry on a VXLAN device: mac is behind remote dst. */
int nl_fdb_add(struct nl *nl, int ifindex, const uint8_t *mac, uint32_t dst);

/* Queue the removal of the neighbour entry for ip on ifindex. */
int nl_neigh_del(struct nl *nl, int ifindex, uint32_t ip);
/* Queue: set link ifindex administratively up or down. */
int nl_link_set_up(struct nl *nl, int ifindex, bool up);
/* Queue: enslave link ifindex to master (a bridge), or free it (master 0). */
int nl_link_set_master(struct nl *nl, int ifindex, int master);

/* Send everything queued and wait for the kernel's answer; 0, or the first
 * error with the request that caused it (e may be NULL). The queue is empty after. */
int nl_commit(struct nl *nl, struct nl_err *e);

/* The route the kernel picks for dst (the matching FIB entry). */
struct nl_route_info {
	uint32_t dst;		/* prefix of the matching entry */
	uint8_t plen;
	uint32_t gw;		/* 0: directly connected */
	int oif;
	uint8_t type;		/* RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ... */
	uint32_t table;		/* RT_TABLE_*, or any id up to 2^32-1 (RTA_TABLE) */
	uint8_t proto;		/* RTPROT_*: who installed it (RTPROT_BIRD: BIRD) */
};

/* Look up the route to dst in the socket's namespace: 0, or -ENETUNREACH
 * (and other -errno) when there is none. */
int nl_route_get(struct nl *nl, uint32_t dst, struct nl_route_info *r);
/* The same for a packet carrying fwmark `mark` (policy routing rules see it). */
int nl_route_get_mark(struct nl *nl, uint32_t dst, uint32_t mark, struct nl_route_info *r);

/* Call fn for every veth in the socket's namespace whose peer lives in
 * another namespace, with that namespace's id as this one numbers it. */
int nl_veth_peers(struct nl *nl, void (*fn)(void *arg, const char *ifname, int nsid), void *arg);
/* The id this socket's namespace gives the namespace behind fd; -1 if it
 * has none, or -errno. Only reads: RTM_GETNSID assigns nothing. */
int nl_nsid_of(struct nl *nl, int fd);

/* A neighbour entry as the kernel holds it. */
struct nl_neigh_info {
	uint16_t state;		/* NUD_* */
	uint8_t flags;		/* NTF_* */
	bool has_mac;
	uint8_t mac[6];
};

/* The neighbour entry for ip on ifindex: 0, or -ENOENT if there is none. */
int nl_neigh_get(struct nl *nl, int ifindex, uint32_t ip, struct nl_neigh_info *n);

/* A link as the kernel holds it. */
struct nl_link_info {
	char name[16];
	unsigned mtu;
	bool up;		/* IFF_UP: administratively up */
	int master;		/* ifindex of its bridge, 0 if none */
	uint8_t mac[6];
	int hairpin;		/* bridge port hairpin mode 0/1; -1: not a bridge port */
};

/* Link ifindex of the socket's namespace. 0 or -errno (-ENODEV). */
int nl_link_get(struct nl *nl, int ifindex, struct nl_link_info *li);

/* Call fn with every IPv4 route of the main table whose destination is
 * exactly dst/plen (any type, any next hop), as the kernel's own message
 * (header included), for nl_route_raw. Stops at fn's first non-zero
 * result, which it returns; 0 or -errno otherwise. */
int nl_route_dump(struct nl *nl, uint32_t dst, uint8_t plen,
		  int (*fn)(void *arg, const void *msg, size_t len), void *arg);

/* The same for every main-table route out of link oif. */
int nl_route_dump_oif(struct nl *nl, int oif,
		      int (*fn)(void *arg, const void *msg, size_t len), void *arg);

/* Read a link's IFLA_IFALIAS (empty string if none). 0 or -errno. */
int nl_link_alias_get(struct nl *nl, int ifindex, char *buf, size_t len);

struct nlmsghdr;
/* Send one request the caller built (type, NLM_F_DUMP or not, payload; the
 * sequence number is set here) and run cb on every message of its answer:
 * the reply, or each message of a dump up to its end. 0; the kernel's
 * -errno; -ENOBUFS if the dump lost messages; or -errno from a cb that
 * returned MNL_CB_ERROR with errno set. */
int nl_request(struct nl *nl, struct nlmsghdr *nlh,
	       int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);

/* ---- dumps: the namespace's whole table of one kind, one request each ---- */

/* Send dump request req (type and header filled; flags and sequence are
 * set here) and call cb for each answer, to the end. 0, or -errno: the
 * kernel's error, or a receive that lost part of the answer. */
int nl_dump(struct nl *nl, struct nlmsghdr *req, int (*cb)(const struct nlmsghdr *nlh, void *arg),
	    void *arg);

/* A link as the kernel has it. */
struct nl_link_obs {
	int index;
	char name[16];		/* IFNAMSIZ */
	unsigned flags;		/* IFF_* (IFF_UP: administratively up) */
	unsigned mtu;
	int master;		/* ifindex of its bridge; 0: none */
	uint8_t mac[6];
	bool has_mac;
	char kind[16];		/* "veth", "bridge", "vxlan"; "" for lo and others */
	int hairpin;		/* bridge port: 0 or 1; -1: not a bridge port */
	char alias[64];		/* IFLA_IFALIAS, cut to fit */
};

/* An IPv4 address. */
struct nl_addr_obs {
	int index;
	uint32_t addr;		/* host byte order */
	uint8_t plen;
};

/* An IPv4 route of any table (the local table's too: the caller filters). */
struct nl_route_obs {
	uint32_t table;
	uint8_t type;		/* RTN_* */
	uint8_t proto;		/* RTPROT_* */
	uint8_t scope;
	uint8_t tos;
	uint32_t dst;
	uint8_t plen;
	uint32_t gw;		/* first next hop's; 0: none */
	int oif;		/* first next hop's; 0: none */
	uint32_t priority;	/* metric */
	unsigned flags;		/* RTNH_F_* (ONLINK, LINKDOWN) */
	bool multipath;
};

/* An IPv4 policy rule. */
struct nl_rule_obs {
	uint32_t priority;
	uint32_t table;
	uint8_t action;		/* FR_ACT_* */
	uint32_t fwmark, fwmask;
	uint32_t src, dst;
	uint8_t src_len, dst_len;
	char iif[16], oif[16];
	bool other;		/* a selector this struct does not hold (uid, ports, ...) */
};

/* An IPv4 neighbour (ARP) entry, a proxy-ARP entry or a bridge FDB entry. */
struct nl_neigh_obs {
	int index;
	uint32_t ip;		/* IPv4 entries: the address; FDB: the remote (NDA_DST), 0 if none */
	uint8_t mac[6];
	bool has_mac;
	uint16_t state;		/* NUD_* */
	uint8_t flags;		/* NTF_* */
	int master;		/* FDB: the bridge the entry belongs to; 0: the device's own */
};

/* Each fills *v (malloc'd, the caller frees) and *n from one dump of the
 * socket's namespace. 0 or -errno. */
int nl_links_dump(struct nl *nl, struct nl_link_obs **v, size_t *n);
int nl_addrs_dump(struct nl *nl, struct nl_addr_obs **v, size_t *n);
int nl_routes_dump(struct nl *nl, struct nl_route_obs **v, size_t *n);
int nl_rules_dump(struct nl *nl, struct nl_rule_obs **v, size_t *n);
/* IPv4 neighbours; with proxy, the proxy-ARP entries instead. */
int nl_neighs_dump(struct nl *nl, bool proxy, struct nl_neigh_obs **v, size_t *n);
/* Is there a proxy-ARP entry for ip in the calling thread's namespace (any
 * device)? A netns_run callback: arg is a struct nl_proxy_query. */
struct nl_proxy_query {
	uint32_t ip;		/* network order */
	bool found;
};
int nl_proxy_neigh_lookup(void *arg);
/* The calling thread's namespace's neighbour entry for ip on eth0 (a pod's
 * gateway, say). A netns_run callback: arg is a struct nl_eth0_neigh_query;
 * 0, or -ENOENT if there is none. */
struct nl_eth0_neigh_query {
	uint32_t ip;		/* network order */
	struct nl_neigh_info n;
};
int nl_eth0_neigh_lookup(void *arg);
/* Bridge and VXLAN forwarding database entries (AF_BRIDGE neighbours). */
int nl_fdb_dump(struct nl *nl, struct nl_neigh_obs **v, size_t *n);

/* A NETLINK_SOCK_DIAG socket of the calling thread's namespace; NULL with
 * errno set. */
struct nl_diag;
struct nl_diag *nl_diag_open(void);
void nl_diag_close(struct nl_diag *d);
/* Is there a socket that takes IPPROTO_TCP or IPPROTO_UDP packets to
 * addr:port (addr 0: any of the namespace's), a TCP listener or a bound
 * UDP socket, IPv4 or dual-stack? 1, 0, or -errno. One exact lookup. */
int nl_listener_find(struct nl_diag *d, uint8_t proto, uint32_t addr, uint16_t port);

#endif
