/* drops_wire — the records drops.bpf.c and drops.c exchange: the key of the
 * in-kernel flow filter and the event written to the ring buffer. Shared by
 * the BPF program (clang -target bpf) and the host, so only linux/types.h
 * types; addresses and ports in network byte order, as the packet has them. */
#ifndef PODPATH_DROPS_WIRE_H
#define PODPATH_DROPS_WIRE_H

#include <linux/types.h>

#define DROPS_FUNC_MAX 64	/* "%ps" of the drop location: "nf_hook_slow [mod]" */
#define DROPS_IFNAME_MAX 16	/* IFNAMSIZ */

/* A packet matches key {proto, addr 0, port} if its source or destination
 * port (ICMP echo: its id) is port; {proto, addr, port} if (daddr, dport)
 * or (saddr, sport) is (addr, port). */
struct drops_wire_key {
	__u8 proto;
	__u8 pad;
	__u16 port;
	__u32 addr;
};

struct drops_wire_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns: CLOCK_MONOTONIC */
	__u64 location;		/* the tracepoint's location: where kfree_skb was called */
	__u32 netns_ino;
	__s32 ifindex;		/* 0: the skb had no device */
	__u32 reason;		/* enum skb_drop_reason */
	__u32 saddr, daddr;
	__u16 sport, dport;	/* ICMP echo: sport is the id */
	__u16 ip_len, ip_id;
	__u8 proto, ttl, tcp_flags, icmp_type, icmp_code;
	__u8 icmp_err;		/* an ICMP error whose quoted packet matched */
	__u8 err_proto;		/* the quoted packet's header */
	__u8 pad;
	__u32 err_saddr, err_daddr;
	__u16 err_sport, err_dport;
	char ifname[DROPS_IFNAME_MAX];
	char func[DROPS_FUNC_MAX];
};

#endif
