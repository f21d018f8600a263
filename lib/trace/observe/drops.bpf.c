/* drops.bpf — report the kernel's packet drops (the kfree_skb tracepoint)
 * of one probe's packets only.
 *
 * raw_tp attaches by the tracepoint's name, so neither tracefs nor BTF
 * program types (fentry, tp_btf) are needed. The kernel structures read
 * are declared here with the few members used and relocated by libbpf
 * (CO-RE) against the running kernel's BTF, so the build needs no
 * vmlinux.h. The filter runs here, before anything is copied: the skb's
 * network namespace must be one of the set userspace gave, the packet
 * IPv4, and its transport header (or, for an ICMP error, the header it
 * quotes) must match one of the keys. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "drops_wire.h"

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
struct ns_common {
	unsigned int inum;
};
struct net {
	struct ns_common ns;
};
typedef struct {
	struct net *net;
} possible_net_t;
struct sock_common {
	possible_net_t skc_net;
};
struct sock {
	struct sock_common __sk_common;
};
struct net_device {
	char name[16];
	int ifindex;
	possible_net_t nd_net;
};
struct sk_buff {
	struct sock *sk;
	struct net_device *dev;
	unsigned char *head;
	__u16 network_header;
	__be16 protocol;
};
#pragma clang attribute pop

/* ICMP types (linux/icmp.h would pull in libc headers). */
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

/* Values relocated against the kernel's own enum. */
enum skb_drop_reason {
	SKB_NOT_DROPPED_YET = 0,
	SKB_CONSUMED = 1,
};

/* Set before load: 0 means every namespace (no netns filter). */
const volatile __u8 filter_netns = 1;

__u64 lost;	/* events the ring had no room for */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 128 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} netns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, struct drops_wire_key);
	__type(value, __u8);
} keys SEC(".maps");

/* The start of a transport header: ports and TCP flags (byte 13), or ICMP
 * type, code and echo id. */
struct l4_head {
	__u8 b[16];
};

static __always_inline int key_has(__u8 proto, __u32 addr, __u16 port)
{
	struct drops_wire_key k = { .proto = proto, .addr = addr, .port = port };

	return bpf_map_lookup_elem(&keys, &k) != NULL;
}

/* Does (proto, saddr:sport -> daddr:dport) match a key? */
static __always_inline int flow_match(__u8 proto, __u32 saddr, __u32 daddr, __u16 sport,
				      __u16 dport)
{
	return key_has(proto, 0, sport) || key_has(proto, 0, dport) ||
	       key_has(proto, daddr, dport) || key_has(proto, saddr, sport);
}

static __always_inline int icmp_is_echo(__u8 type)
{
	return type == ICMP_ECHO || type == ICMP_ECHOREPLY;
}

static __always_inline int icmp_is_error(__u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETERPROB;
}

/* Ports of a transport header (network order); ICMP echo: the id both ways,
 * so that a key's port matches it on either side. */
static __always_inline void l4_ports(__u8 proto, const struct l4_head *h, __u16 *sport,
				     __u16 *dport)
{
	*sport = *dport = 0;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		*sport = h->b[0] | h->b[1] << 8;
		*dport = h->b[2] | h->b[3] << 8;
	} else if (proto == IPPROTO_ICMP && icmp_is_echo(h->b[0])) {
		*sport = *dport = h->b[4] | h->b[5] << 8;
	}
}

static __always_inline __u32 skb_netns(struct sk_buff *skb, struct net_device *dev)
{
	struct sock *sk;

	if (dev)
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	sk = BPF_CORE_READ(skb, sk);
	if (!sk)
		return 0;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

SEC("raw_tp/kfree_skb")
int drops_kfree_skb(struct bpf_raw_tracepoint_args *ctx)
{
	/* TP_PROTO(struct sk_buff *skb, void *location,
	 *          enum skb_drop_reason reason, struct sock *rx_sk) */
	struct sk_buff *skb = (struct sk_buff *)ctx->args[0];
	__u64 location = ctx->args[1];
	__u32 reason = (__u32)ctx->args[2];
	struct drops_wire_event *ev;
	struct net_device *dev;
	struct iphdr ip, in;
	struct l4_head h, ih;
	unsigned char *head;
	__u16 nh, sport, dport, isport = 0, idport = 0;
	__u32 ino;
	__u8 icmp_err = 0;

	if (reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_NOT_DROPPED_YET) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_NOT_DROPPED_YET))
		return 0;

	dev = BPF_CORE_READ(skb, dev);
	ino = skb_netns(skb, dev);
	if (filter_netns && !bpf_map_lookup_elem(&netns, &ino))
		return 0;

	nh = BPF_CORE_READ(skb, network_header);
	head = BPF_CORE_READ(skb, head);
	if (nh == (__u16)~0U || !head)
		return 0;
	if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh) || ip.version != 4 || ip.ihl < 5)
		return 0;
	/* skb->protocol is still 0 on some local output paths; the version
	 * nibble alone decides then. */
	if (BPF_CORE_READ(skb, protocol) != bpf_htons(ETH_P_IP) && BPF_CORE_READ(skb, protocol))
		return 0;
	__builtin_memset(&h, 0, sizeof(h));
	__builtin_memset(&in, 0, sizeof(in));
	if (!(ip.frag_off & bpf_htons(0x1fff)))	/* a later fragment has no L4 header */
		bpf_probe_read_kernel(&h, sizeof(h), head + nh + ip.ihl * 4);
	l4_ports(ip.protocol, &h, &sport, &dport);

	if (!flow_match(ip.protocol, ip.saddr, ip.daddr, sport, dport)) {
		if (ip.protocol != IPPROTO_ICMP || !icmp_is_error(h.b[0]))
			return 0;
		/* An ICMP error about the probe: its payload quotes the
		 * probe's IP header and first 8 bytes of transport. */
		if (bpf_probe_read_kernel(&in, sizeof(in), head + nh + ip.ihl * 4 + 8) ||
		    in.version != 4 || in.ihl < 5)
			return 0;
		__builtin_memset(&ih, 0, sizeof(ih));
		bpf_probe_read_kernel(&ih, sizeof(ih), head + nh + ip.ihl * 4 + 8 + in.ihl * 4);
		l4_ports(in.protocol, &ih, &isport, &idport);
		if (!flow_match(in.protocol, in.saddr, in.daddr, isport, idport))
			return 0;
		icmp_err = 1;
	}

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->location = location;
	ev->netns_ino = ino;
	ev->reason = reason;
	ev->saddr = ip.saddr;
	ev->daddr = ip.daddr;
	ev->proto = ip.protocol;
	ev->ttl = ip.ttl;
	ev->ip_len = ip.tot_len;
	ev->ip_id = ip.id;
	ev->sport = sport;
	ev->dport = ip.protocol == IPPROTO_ICMP ? 0 : dport;
	ev->tcp_flags = ip.protocol == IPPROTO_TCP ? h.b[13] : 0;
	ev->icmp_type = ev->icmp_code = 0;
	if (ip.protocol == IPPROTO_ICMP) {
		ev->icmp_type = h.b[0];
		ev->icmp_code = h.b[1];
	}
	ev->icmp_err = icmp_err;
	ev->err_proto = icmp_err ? in.protocol : 0;
	ev->pad = 0;
	ev->err_saddr = icmp_err ? in.saddr : 0;
	ev->err_daddr = icmp_err ? in.daddr : 0;
	ev->err_sport = isport;
	ev->err_dport = in.protocol == IPPROTO_ICMP ? 0 : idport;
	ev->ifindex = 0;
	ev->ifname[0] = '\0';
	if (dev) {
		ev->ifindex = BPF_CORE_READ(dev, ifindex);
		bpf_core_read_str(ev->ifname, sizeof(ev->ifname), &dev->name);
	}
	/* The kernel's own symbol lookup names the function: no
	 * /proc/kallsyms to read and search in userspace. */
	ev->func[0] = '\0';
	BPF_SNPRINTF(ev->func, sizeof(ev->func), "%ps", location);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/* bpf_probe_read_kernel and bpf_snprintf are for GPL-compatible programs. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
