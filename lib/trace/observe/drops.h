/* drops — the kernel's own account of why it dropped a probe's packets.
 *
 * A small BPF program on the kfree_skb tracepoint (raw_tp, CO-RE against
 * the running kernel's BTF) filters in the kernel: only packets in the
 * given network namespaces, IPv4, whose ports (ICMP: echo id) match a key,
 * or ICMP errors quoting such a packet, reach userspace, through a ring
 * buffer. Each event says what the kernel says: the drop reason by its
 * enum name, the function that dropped, the namespace and device, and the
 * packet's headers. Keys can be added while armed (the probe's NATed
 * forms, once known). Addresses and ports are in host byte order.
 *
 * What Linux 6.18 reports (tests/manual/drops_reasons.sh), fault: reason in func
 *   forwarding off           IP_INADDRERRORS in ip_error (no ICMP error sent)
 *   no route                 IP_INNOROUTES in ip_error
 *   blackhole/unreachable/prohibit route   NOT_SPECIFIED in ip_error
 *   TTL expired              IP_INHDR in ip_forward
 *   rp_filter strict         IP_RPFILTER in ip_rcv_finish_core
 *   frame to another MAC     OTHERHOST in ip_rcv_core
 *   nft drop/reject/policy   NETFILTER_DROP in nft_do_chain
 *   iptables(-legacy) DROP   NETFILTER_DROP in nf_hook_slow
 *   neighbour unresolved     NEIGH_FAILED in neigh_invalidate (~3 s later)
 *   veth peer down           QDISC_DROP in __dev_queue_xmit (static neighbour)
 *   no listener              NO_SOCKET in __udp4_lib_rcv / tcp_v4_rcv
 *   bridge port down         NO_TX_TARGET in br_dev_xmit
 *   bridge port STP disabled NOT_SPECIFIED in br_dev_xmit (out),
 *                            BRIDGE_INGRESS_STP_STATE in br_handle_frame (in)
 * ARP is not IPv4: a dropped ARP request is not reported, only what
 * follows from it (NEIGH_FAILED). */
#ifndef PODPATH_DROPS_H
#define PODPATH_DROPS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct drops;

/* addr 0: port alone, as source or destination port (ICMP: echo id);
 * otherwise (daddr, dport) or (saddr, sport) must be (addr, port). */
struct drop_key {
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	uint32_t addr;
	uint16_t port;
};

struct drop_event {
	uint64_t ts_ns;			/* CLOCK_MONOTONIC */
	uint64_t netns_ino;		/* as stat("/run/netns/NAME").st_ino */
	int ifindex;			/* the skb's device when dropped, 0 if none */
	char ifname[IF_NAMESIZE];
	uint32_t reason;		/* enum skb_drop_reason */
	char reason_name[64];		/* "IP_INADDRERRORS": the kernel's name without
					 * SKB_DROP_REASON_; "" if its BTF has none */
	uint64_t location;		/* the address kfree_skb was called from */
	char func[64];			/* the function holding location: "ip_error" */
	char module[64];		/* its module, "" for the kernel proper */
	/* The dropped packet's own IPv4 header. */
	uint8_t proto;
	uint32_t saddr, daddr;
	uint16_t sport, dport;		/* ICMP echo: sport is the id, dport 0 */
	uint8_t tcp_flags, icmp_type, icmp_code, ttl;
	uint16_t ip_len, ip_id;
	/* An ICMP error (type 3, 11, 12) that matched by the packet it quotes:
	 * that packet's header. */
	bool icmp_err;
	uint8_t err_proto;
	uint32_t err_saddr, err_daddr;
	uint16_t err_sport, err_dport;	/* ICMP echo: err_sport is the id */
};

/* What arming cost, in microseconds. */
struct drops_times {
	uint64_t btf_us;	/* the kernel types and reason names from its BTF */
	uint64_t open_us;	/* parse the embedded BPF object */
	uint64_t load_us;	/* CO-RE relocation, verify, create maps */
	uint64_t attach_us;	/* raw tracepoint attach */
	uint64_t total_us;	/* the whole drops_open */
};

/* Arm: load and attach the BPF program, watching drops in the namespaces
 * netns_ino[0..nns) (nns 0: every namespace) of packets matching keys.
 * PP_EXIT_ENV with a one-line reason where BPF cannot run here. */
int drops_open(struct drops **d, const uint64_t *netns_ino, size_t nns,
	       const struct drop_key *keys, size_t nkeys, struct pp_err *e);
/* Match k too from now on (while armed). 0 or -errno. */
int drops_key_add(struct drops *d, const struct drop_key *k);
/* Watch namespace ino too from now on. 0 or -errno (-EINVAL if opened with nns 0). */
int drops_netns_add(struct drops *d, uint64_t ino);
/* An fd that poll() reports readable when events wait. */
int drops_fd(const struct drops *d);
/* Up to max waiting events, oldest first, without blocking: how many, or
 * -errno. Fewer than max means none are left. */
int drops_read(struct drops *d, struct drop_event *ev, size_t max);
/* Events lost: the ring buffer or the queue here was full. */
size_t drops_lost(const struct drops *d);
/* What drops_open cost. */
void drops_timing(const struct drops *d, struct drops_times *t);
/* Detach and free everything; NULL is fine. */
void drops_close(struct drops *d);

/* The enum skb_drop_reason name of reason in the running kernel's BTF,
 * without SKB_DROP_REASON_, into buf; 0, -ENOENT if unnamed, or -errno.
 * Reads the BTF each call (about 1 ms); drops_read names events itself. */
int drops_reason_name(uint32_t reason, char *buf, size_t len);

#endif
