/* capture — libpcap on every interface of a set of network namespaces: one
 * "any" handle per namespace (Linux cooked v2 frames carry the interface
 * index and the direction), opened inside that namespace, with a BPF filter
 * for the probe's flow. The cooked header has the source MAC but not the
 * destination's: a raw packet socket per namespace, with the same filter
 * for Ethernet devices, reads the frames' own headers, matched back to the
 * cooked packets. Packets are decoded to the fields a hop report
 * needs, VXLAN payloads included, and kept raw for the pcapng file. */
#ifndef PODPATH_CAPTURE_H
#define PODPATH_CAPTURE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CAPTURE_SNAPLEN 256

struct capture_pkt {
	uint64_t ts_ns;			/* kernel timestamp, CLOCK_REALTIME */
	size_t ns;			/* index of the namespace (capture_open order) */
	int ifindex;
	char ifname[IF_NAMESIZE];
	bool outgoing;			/* PACKET_OUTGOING: leaving the interface */
	bool otherhost;			/* PACKET_OTHERHOST: a frame for another MAC (a
					 * bridge flooding), not received by this host */
	uint16_t ethertype;		/* ETH_P_IP, ETH_P_ARP */
	/* IPv4 (the inner packet when encapsulated) */
	uint32_t saddr, daddr;
	uint8_t proto, ttl;
	uint16_t ip_id, ip_len;
	uint16_t sport, dport;		/* TCP/UDP; ICMP echo: sport = id */
	uint8_t tcp_flags;
	uint32_t tcp_seq;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_mtu;		/* fragmentation needed (3/4): the next hop's MTU, 0 if none */
	/* ICMP errors: the header of the packet they answer */
	bool has_inner_err;
	uint32_t err_saddr, err_daddr;
	uint8_t err_proto;
	uint16_t err_sport, err_dport;
	/* VXLAN: the outer header around the decoded inner packet */
	bool vxlan;
	uint32_t vni;
	uint32_t outer_saddr, outer_daddr;
	uint16_t outer_sport;
	uint8_t outer_ttl;
	/* ARP */
	uint16_t arp_op;
	uint32_t arp_spa, arp_tpa;
	uint8_t arp_sha[6], arp_tha[6];	/* sender's and target's hardware addresses */
	/* Link layer. hatype: the device's ARPHRD_* (cooked header); only an
	 * Ethernet device (ARPHRD_ETHER) has MACs. src_mac is the cooked
	 * header's; dst_mac is read off the frame itself by a second, raw
	 * socket (the cooked header has none), has_dst_mac false where that
	 * socket did not see the frame (an observer loss, counted). */
	uint16_t hatype;
	bool has_src_mac, has_dst_mac;
	uint8_t src_mac[6], dst_mac[6];
	/* raw frame (Linux cooked v2 header first) for pcapng */
	uint32_t caplen, wirelen;
	uint8_t data[CAPTURE_SNAPLEN];
};

struct capture;

/* Open one handle per namespace in netns[] (names under /run/netns), each
 * with the BPF filter expression. */
int capture_open(struct capture **c, const char *const *netns, size_t n, const char *filter,
		 struct pp_err *e);
/* Read what the handles have buffered; appends to the capture's list,
 * and reads each handle's count of packets the kernel dropped. */
int capture_drain(struct capture *c);
/* Packets handle ns lost before they could be read (its ring was full, or
 * the interface dropped them), as of the last capture_drain. */
unsigned long capture_dropped(const struct capture *c, size_t ns);
/* Frames the Ethernet-header socket of namespace ns lost (its buffer was
 * full), and packets on an Ethernet device whose frame it did not see: the
 * hops whose destination MAC is unknown. As of the last capture_drain. */
unsigned long capture_l2_lost(const struct capture *c, size_t ns);
/* The packets read so far, in arrival order per handle (not sorted). */
const struct capture_pkt *capture_packets(const struct capture *c, size_t *n);
/* Interface name of ifindex in namespace ns (cached at open). */
const char *capture_ifname(const struct capture *c, size_t ns, int ifindex);
/* Close the handles (in parallel); the packets read stay available. */
void capture_stop(struct capture *c);
/* A capture of n packets already read and no handles: what the tests
 * build hops from. NULL without memory. */
struct capture *capture_from_packets(const struct capture_pkt *pkts, size_t n);
/* For the tests, what a drain does with what the sockets read: append
 * packet k as the cooked handle read it; append a frame (Ethernet header
 * first, ts_ns its SO_TIMESTAMPNS) as namespace ns's raw socket read it;
 * then give ns's packets their frames' MACs. -ENOMEM. */
int capture_feed_packet(struct capture *c, const struct capture_pkt *k);
int capture_feed_frame(struct capture *c, size_t ns, int ifindex, bool outgoing, uint64_t ts_ns,
		       const uint8_t *frame, size_t len);
void capture_feed_match(struct capture *c, size_t ns);
/* Close the handles and free everything. Safe with NULL. */
void capture_close(struct capture *c);

#endif
