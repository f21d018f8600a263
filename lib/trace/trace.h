/* trace — send a real probe through a lab and report every hop it took:
 * resolve the endpoints, arm observers (pcap in every namespace on the way,
 * nftables trace events), send, collect, order the observations into hops,
 * explain each move, and give a verdict with the drop point and reason. */
#ifndef PODPATH_TRACE_H
#define PODPATH_TRACE_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "lab/check.h"
#include "lab/lab.h"
#include "policy/policy.h"
#include "proxy/names.h"
#include "trace/capture.h"
#include "trace/ct.h"
#include "trace/dns.h"
#include "trace/nftrace.h"
#include "trace/probe.h"

#define TRACE_MAX_HOPS 64
/* A place's label: "netns NAME" (a name under /run/netns, NAME_MAX) is the
 * longest; "pod NS/NAME" and "internet host NAME" are shorter. */
#define TRACE_LABEL_MAX (sizeof("netns ") + NAME_MAX)
/* The capture filter names each port and host a flow may take besides its
 * own (Service endpoints' ports, ingress controllers' addresses); past
 * these the classic BPF program would near the kernel's 4096 instructions.
 * What is left out is reported as an observer loss. */
#define TRACE_FILTER_MAX_PORTS 128
#define TRACE_FILTER_MAX_HOSTS 64
#define TRACE_MAX_ALIASES 8

enum trace_ep_kind { TRACE_EP_POD, TRACE_EP_NODE, TRACE_EP_IP, TRACE_EP_INTERNET };

struct trace_endpoint {
	enum trace_ep_kind kind;
	/* "default/client", "node/node-1", "internet/laptop", "10.0.0.1:80",
	 * "cluster DNS (query NAME)" with NAME up to a DNS name's 253 */
	char label[TOPO_SUBDOMAIN_MAX + 64];
	const char *netns;	/* lab namespace, NULL for a bare IP outside the lab */
	uint32_t ip;
	uint16_t port;		/* 0: not given */
	ssize_t pod, node;	/* indexes into the topology, -1 if none */
	ssize_t host;		/* internet host, -1 if none */
	bool outside;		/* beyond the gateway: the internet (or nowhere) */
	bool public_ip;		/* a public address of the cloud (node or load balancer) */
	ssize_t container;	/* source container, -1 if none */
	uint8_t proto_hint;	/* svc/...: the Service port's IPPROTO_*, else 0 */
	/* A Service's ClusterIP or LoadBalancer IP: its first port (and that
	 * port's IPPROTO_*), its first TCP and UDP ports; 0 where none. */
	uint16_t svc_port, svc_tcp_port, svc_udp_port;
	uint8_t svc_proto;
};

/* Where one observation was made. */
enum trace_place_kind { TRACE_PLACE_POD, TRACE_PLACE_NODE, TRACE_PLACE_VPC };

/* A Service a packet was addressed to, and what kube-proxy's rules chose. */
struct trace_svc {
	ssize_t svc;			/* index into the topology; -1: none */
	size_t port;			/* index of the Service port */
	bool nodeport;			/* reached by a node's IP and the NodePort */
	bool lb;			/* addressed to its LoadBalancer IP */
	/* What the report names, from the lab's topology or, for namespaces
	 * podpath did not build, from kube-proxy's own chain names and rule
	 * comments (rules_from: "" or the proxy layout they were read from). */
	bool named;
	char ns[TOPO_LABEL_MAX], name[TOPO_LABEL_MAX], port_name[TOPO_LABEL_MAX];
	uint16_t port_number;		/* the Service port (0: unknown) */
	uint16_t node_port;		/* when reached through it */
	uint8_t proto;			/* IPPROTO_TCP, IPPROTO_UDP */
	const char *rules_from;		/* "", "nftables", "iptables" */
	char chain[PROXY_NAME_MAX];	/* kube-proxy chain: service-... or KUBE-SVC-... */
	/* After the DNAT: the endpoint picked. */
	ssize_t pod;			/* the endpoint's pod, -1 if not one of the Service's */
	uint32_t ep_ip;
	uint16_t ep_port;
	char ep_chain[PROXY_NAME_MAX];	/* endpoint-... or KUBE-SEP-... */
};

/* The bridge forwarding database entry for a frame's destination MAC, in
 * the namespace a hop was bridged in, as the kernel holds it after the
 * probe: the port it names is the one the bridge chose. */
struct trace_fdb {
	bool asked;			/* a bridged hop with a known destination MAC */
	bool found;			/* the bridge has an entry for mac */
	uint8_t mac[6];
	char port[IF_NAMESIZE];		/* the port the entry names */
	char bridge[IF_NAMESIZE];
	const char *kind;		/* "learned", "permanent" (the bridge's own), "static" */
};

/* How the packet moved at a hop, decided by hops.c from the packets (a TTL
 * kept or decremented, the bridge device seen or not) and the kernel's
 * route lookup, so that readers ask this, never the hop's prose. */
enum trace_moved {
	TRACE_MOVED_NONE,		/* not known: nothing before it to compare, no route now */
	TRACE_MOVED_LINK,		/* arrived over the link from another namespace */
	TRACE_MOVED_UP,			/* a bridge handed it up to its namespace's IP layer */
	TRACE_MOVED_BRIDGED,		/* switched port to port by a bridge, no IP layer (TTL kept) */
	TRACE_MOVED_ROUTED,		/* sent out by the IP layer's route lookup (or its sender's) */
	TRACE_MOVED_ROUTED_BRIDGED,	/* routed out of a bridge device, then the bridge chose the port */
	TRACE_MOVED_LOCAL,		/* the route lookup names a local address: delivered here */
};

/* What differs from the previous hop in the same direction (or, on the
 * first request hop, from what the probe's socket sent): the facts the
 * text in trace_hop.change says. On a reply hop a changed address is
 * conntrack undoing the request's NAT. */
enum {
	TRACE_CHG_DST = 1 << 0,		/* destination address or port */
	TRACE_CHG_SRC = 1 << 1,		/* source address or port */
	TRACE_CHG_TTL = 1 << 2,
	TRACE_CHG_ENCAP = 1 << 3,	/* wrapped in VXLAN here */
	TRACE_CHG_DECAP = 1 << 4,	/* unwrapped from VXLAN here */
};

/* Where a route BIRD installed came from, as the node's BIRD tells it
 * over its control socket (bgp mode). Names, not indexes, so that the
 * renderers need no lab. */
struct trace_hop_bgp {
	bool asked;			/* the hop's route is proto bird, on a node of a bgp lab */
	int err;			/* 0, or -errno asking BIRD: -ENOENT no route for the
					 * address (or no socket), -ECONNREFUSED not running */
	char learned_from[TOPO_LABEL_MAX];	/* the session's peer: a node, or LAB_BGP_RR_NAME */
	bool via_rr;			/* learned from the route reflector */
	char announced_by[TOPO_LABEL_MAX];	/* the node whose pod CIDR it is (BGP next hop), "" */
	char session[48];		/* BIRD's protocol for the session: "Mesh_172_18_0_3" */
	char state[16];			/* its BGP state: "Established", "Active", ... */
	bool established;
	char words[192];		/* the session's state in words (lab_bgp_session_words) */
};

struct trace_hop {
	const struct capture_pkt *pkt;
	size_t ns;			/* index into trace.ns */
	bool reply;			/* on the way back */
	uint64_t dt_ns;			/* since the first hop */
	int repeats;			/* retransmissions seen at the same place */
	char change[160];		/* what changed since the previous hop */
	unsigned changed;		/* TRACE_CHG_* bits: what change says */
	char why[320];			/* why it moved on: route, bridge, nft verdict */
	enum trace_moved moved;		/* how: what why says, for readers */
	/* moved routed: the route the kernel picked there (route_set false
	 * elsewhere), so readers need not parse why. */
	bool route_set;
	uint32_t route_dst;		/* the route's prefix (route_plen bits) */
	uint32_t route_gw;		/* 0: directly connected */
	uint8_t route_plen;
	uint8_t route_proto;		/* RTPROT_*: who installed it (BGP_RTPROT_BIRD: BIRD) */
	struct trace_hop_bgp bgp;	/* a proto bird route on a lab node: where it came from */
	struct trace_svc svc;		/* on the hop where a Service's DNAT shows; svc -1 elsewhere */
	struct trace_fdb fdb;		/* a hop a bridge forwarded: the entry that chose the port */
};

/* An ARP exchange one of the probe's packets waited for (its next hop had
 * no neighbour entry), one observation at a time: the request at every
 * place a capture saw it, the answer likewise, and the neighbour entry
 * the requester holds after it. Only what was captured: an exchange is
 * the probe's when its answer's MAC is the destination MAC of the probe's
 * packet that left the requester next, on the same interface, after the
 * probe was sent. */
enum trace_arp_kind { TRACE_ARP_WHO_HAS, TRACE_ARP_IS_AT, TRACE_ARP_NEIGH };

struct trace_arp {
	enum trace_arp_kind kind;
	size_t exchange;		/* which exchange (0, 1, ...) */
	size_t ns;			/* the place (index into trace.ns) */
	const struct capture_pkt *pkt;	/* WHO_HAS, IS_AT: the frame there; NULL for NEIGH */
	uint64_t ts_ns;			/* CLOCK_REALTIME (NEIGH: when the answer reached the requester) */
	size_t before_hop;		/* the first hop after it in time (nhops: after every hop) */
	int repeats;			/* the same frame again at the same place (a retried request) */
	/* A copy of the broadcast request at a place that did not lead to the
	 * target: the bridge flooded it to every port (and to its own stack). */
	bool flooded;
	/* NEIGH: the requester's entry for ip on ifname. */
	char ifname[IF_NAMESIZE];
	uint32_t ip;
	bool has_mac;
	uint8_t mac[6];
	uint16_t state;			/* NUD_*; 0: none (queried, absent) */
	int neigh_err;			/* 0, or -errno of the query */
};

enum trace_verdict {
	TRACE_DELIVERED,
	TRACE_DROPPED,		/* an nft rule dropped or rejected it */
	TRACE_REFUSED,		/* reached the host, nothing listens (RST, port unreachable) */
	TRACE_UNREACHABLE,	/* ICMP unreachable from a router or host */
	TRACE_NO_ROUTE,		/* the source has no route */
	TRACE_NO_NEIGHBOUR,	/* ARP for the next hop went unanswered */
	TRACE_TIMEOUT,		/* vanished: nothing came back */
	TRACE_TTL_EXCEEDED,	/* ICMP time exceeded: a routing loop, or too far */
	TRACE_ASYMMETRIC,	/* the answer came back another way, its DNAT not undone */
	TRACE_TLS_FAILED,	/* connected, but TLS failed or the server was not trusted */
	TRACE_VERDICT_COUNT
};

/* What one diagnosis check concluded from the evidence (lib/trace/diag/):
 * structured, so JSON, explain and the TUI read fields, never words. The
 * first finding of a trace is its verdict; the others are notes. */
struct trace_finding {
	const char *check;		/* the check's name: "nft-rule", "kernel-drop", ... */
	const char *cause;		/* what it found: "forwarding-off", "rp-filter", ... (= check if none finer) */
	enum trace_verdict verdict;
	ssize_t ns;			/* the place (index into trace.ns), -1: none */
	ssize_t hop;			/* the hop it concerns, -1: none */
	char ifname[IF_NAMESIZE];	/* the interface there, "" if none */
	char object[640];		/* the kernel object: "sysctl net.ipv4.ip_forward", "route 10.244.2.0/24" */
	char expected[LAB_CHECK_TEXT], actual[LAB_CHECK_TEXT];	/* what the lab or the path needs, what the kernel has ("" if n/a) */
	char command[384];		/* the command that shows it, "" if none */
	char drop_reason[64], drop_func[64];	/* the kernel's drop reason and function, "" if none */
	ssize_t policy_dir;		/* a NetworkPolicy finding: the direction (enum policy_dir) it is about, -1: none */
	/* About the ingress controller's own connection (t->upstream), not the
	 * trace's: its policy details are connection 2's (upstream->policy). */
	bool upstream;
	char *text;			/* the finding in words (owned) */
};

/* A packet of the probe's flow that the kernel freed as dropped, as its
 * skb:kfree_skb tracepoint told it (observe/drops). */
struct trace_drop {
	uint64_t ts_ns;			/* CLOCK_REALTIME, as the captures */
	ssize_t ns;			/* the place (index into trace.ns), -1: not observed */
	char ifname[IF_NAMESIZE];	/* the device it was on, "" if none */
	char reason[64];		/* the kernel's name, "IP_INADDRERRORS" */
	char func[64];			/* where it was freed, "ip_error" ("" if unknown) */
	bool reply;			/* the answer, not the request */
	/* A frame for another MAC in a namespace that does not hold its
	 * destination: a flooded copy, never the probe's end. */
	bool copy;
	uint16_t ip_len;		/* the packet's length */
	uint8_t proto;
	uint32_t saddr, daddr;
	uint16_t sport, dport;
};

/* An iptables-legacy rule (or a chain's policy) that counted the probe. */
struct trace_ipt_hit {
	size_t ns;			/* the place */
	char table[32], chain[32];
	unsigned num;			/* rule number in its chain; 0: the policy */
	char text[256];			/* as iptables-legacy-save prints it */
	char target[32];		/* DROP, REJECT, ACCEPT, a chain, ... */
	uint64_t pkts;			/* how many of the probe's packets it counted */
};

/* bgp mode: one end of a BGP session on the way a pod CIDR's route
 * should have come to a node, as that end's BIRD tells it. */
struct trace_bgp_end {
	char speaker[TOPO_LABEL_MAX];	/* a node's name, or LAB_BGP_RR_NAME */
	bool rr;			/* the route reflector */
	char ctl[108];			/* its BIRD's control socket */
	int ctl_err;			/* 0: BIRD answered; -ENOENT (no socket: stopped),
					 * -ECONNREFUSED (not running), other -errno */
	char proto[48];			/* its protocol for the session, as podpath names it */
	bool has_session;		/* BIRD reports that protocol */
	bool established, wrong_address;
	char state[16];			/* BGP state ("Active"), or the protocol's if none */
	uint32_t neighbor;		/* the neighbor address its configuration names */
	char words[192];		/* the session in words (lab_bgp_session_words) */
};

/* A session: near is the end that should learn the route (towards the
 * node that lacks it), far the end that should announce it. */
struct trace_bgp_link {
	struct trace_bgp_end near, far;
};

/* bgp mode, a failed trace: a packet left a node by another route than
 * BIRD's to the pod CIDR it was going to (or found none there), so the
 * node did not learn that CIDR. What the BIRDs on the way say why. */
struct trace_bgp_evidence {
	bool asked;
	ssize_t hop;			/* the hop that left by the other route; -1: the node's
					 * route lookup failed (ev.at) */
	size_t ns;			/* the node's place (index into trace.ns) */
	bool reply;			/* on the answer's way back */
	char node[TOPO_LABEL_MAX];	/* the node without the route */
	char netns[LAB_NETNS_MAX];	/* its namespace */
	char owner[TOPO_LABEL_MAX];	/* the node whose pod CIDR the destination is in */
	uint32_t dst;			/* the packet's destination */
	struct cidr prefix;		/* the owner's pod CIDR */
	uint32_t owner_ip;		/* the owner's address: the next hop BIRD would install */
	uint32_t took_dst, took_gw;	/* the route it took instead: prefix, gateway (0: none) */
	uint8_t took_plen;		/* and prefix length */
	/* The node's own BIRD: -ENOENT, -ECONNREFUSED when it does not run. */
	int local_err;
	char local_ctl[108];
	/* The sessions the route comes over: node-owner (full mesh), or
	 * node-reflector then reflector-owner. */
	struct trace_bgp_link link[2];
	size_t nlinks;
	/* The owner's export filter towards the next speaker on the way:
	 * BIRD's `show route noexport PROTO` lists the prefix. */
	bool noexport_asked, not_exported;
	char noexport_ctl[108], noexport_proto[48];
	/* The node's BIRD has a route for dst now (show route for DST). */
	bool bird_has_route;
};

/* What was asked of the kernel after the probe, for the checks to read:
 * the checks never ask it themselves, so each is a pure function of the
 * evidence, testable with fixtures. */
struct trace_evidence {
	bool asked;			/* the questions below were put */
	size_t at;			/* where: the place the request was last seen (0: the source) */
	int route_err;			/* the route lookup towards DST there: 0 or -errno */
	uint8_t route_type;		/* RTN_* of the route found */
	uint32_t route_dst, route_gw;
	uint8_t route_plen;
	char route_oif[IF_NAMESIZE];
	uint32_t next_hop;		/* the address `at` ARPs for to send towards DST */
	uint16_t neigh_state;		/* its neighbour entry's NUD_* state, 0: none */
	/* At the place of the drop that ended the probe, or else at `at`: the
	 * sysctls that decide, -1 where unknown. */
	bool sys_asked;
	size_t sys_at;
	long ip_forward;		/* net.ipv4.ip_forward */
	long rp_filter;			/* the stricter of conf.all and conf.IF (the kernel takes the max) */
	long ct_count, ct_max;		/* net.netfilter.nf_conntrack_{count,max} */
	/* The lookup a packet arriving where it was last seen made, with its
	 * source and input interface (as `ip route get ... iif` asks): it
	 * shows forwarding off on that interface and the reverse-path filter. */
	bool iif_asked;
	char iif[IF_NAMESIZE];
	uint32_t iif_src;
	int iif_err;
	bool iif_rp_filter, iif_forwarding_off;
	/* The pod kube-proxy chose as the endpoint has no namespace any more. */
	bool ep_pod_gone;
	/* The pod the request was going to (the destination, or the endpoint
	 * kube-proxy chose), when it vanished on that pod's node: its
	 * bridge port on the node and its own eth0. */
	bool port_asked;
	ssize_t port_pod;		/* topology index of that pod */
	size_t port_node_ns;		/* the node's place, SIZE_MAX if not observed */
	bool port_exists, port_up, port_in_bridge, port_forwarding, port_hairpin;
	char port_if[IF_NAMESIZE], port_master[IF_NAMESIZE];
	uint8_t port_state;		/* BR_STATE_* */
	bool eth_exists, eth_up;
	/* A frame for another MAC: the neighbour entry the sender used for the
	 * address, against the MAC of the link that holds the address. */
	bool neigh_asked;
	size_t neigh_at;		/* the sender's place */
	char neigh_if[IF_NAMESIZE];
	uint32_t neigh_ip;
	uint16_t neigh_nud;
	bool neigh_has_mac, owner_known;
	uint8_t neigh_mac[6], owner_mac[6];
	/* bgp mode: what the BIRDs on the way say of a pod CIDR's route a
	 * node did not have (trace_bgp_collect). */
	struct trace_bgp_evidence bgp;
};

/* Something an observer could not see or keep: a cap that was hit, a
 * buffer that overflowed. A trace never hides one (its verdict may rest on
 * what was left out), so each is a record in the result that the
 * renderers print. Keyed by (observer, what, ns). */
struct trace_loss {
	const char *observer;		/* "pcap", "nftrace", "conntrack", "correlate" */
	const char *what;		/* what was left out: "filter-ports", "hops", ... */
	ssize_t ns;			/* index into trace.ns, -1: not one namespace's */
	size_t left_out;		/* how many were left out; 0: unknown */
	size_t limit;			/* the cap that was hit; 0: none (a lost buffer) */
};

/* One direction of the request under the lab's NetworkPolicies: the pod
 * whose side it is (egress: the source; ingress: the destination, or the
 * endpoint kube-proxy chose), the packet as that direction's hook saw it
 * (egress: after DNAT, on the source's node; ingress: after SNAT, on the
 * destination's), the lab's policies evaluated on it (lib/policy), and
 * what the rules of table network-policy did with it, as their nftables
 * trace events tell. */
enum trace_policy_nft {
	TRACE_POLICY_NFT_NONE,		/* no decisive event seen */
	TRACE_POLICY_NFT_ACCEPT,	/* a policy chain's rule accepted it */
	TRACE_POLICY_NFT_DROP,		/* dropped (a pod chain's final drop) */
};

struct trace_policy {
	bool valid;			/* a pod of the lab on this side, evaluated */
	enum policy_dir dir;
	size_t pod;			/* index into the topology */
	ssize_t ns;			/* its node's place (index into trace.ns), -1: not observed */
	struct policy_flow flow;	/* the packet as the hook saw it */
	bool flow_seen;			/* from a trace event at the hook */
	bool flow_sent;			/* neither event nor capture there: the request as sent
					 * (after the DNAT the egress hook saw, for a Service) */
	struct policy_side side;	/* the lab's verdict (owned: side.isolating) */
	/* The kernel's: the rule that decided (NONE: no such event). */
	enum trace_policy_nft nft;
	char chain[256], comment[256], rule[256];
	uint64_t handle;
	bool nft_policy;		/* the chain's policy decided, not a rule */
	bool chain_known;		/* chain parsed back into ref */
	struct policy_chain_ref ref;
	/* An accept's comment parsed back (policy_rule_comment_parse): the
	 * policy, rule, peer and port the kernel's rule stands for. */
	bool rule_known;
	size_t rule_policy, rule_rule, rule_peer, rule_port;
};

/* The path the topology predicts for the request, one step at a time: a
 * place it passes (namespace, interface, direction), or a rewrite it must
 * undergo in a namespace (kube-proxy's DNAT to one of the Service's
 * endpoints). Choices the topology leaves open (the load balancer's node,
 * kube-proxy's endpoint) are taken from what was observed. */
enum trace_expect_kind { TRACE_EXPECT_HOP, TRACE_EXPECT_DNAT, TRACE_EXPECT_POLICY };

/* A POLICY step ends the prediction: the lab's NetworkPolicies deny the
 * request in direction dir of pod, in the namespace of that pod's node (the
 * forward hook for egress, postrouting for ingress), so nothing past it is
 * predicted. */
struct trace_expect {
	enum trace_expect_kind kind;
	size_t ns;			/* index into trace.ns */
	char ifname[IF_NAMESIZE];	/* HOP only */
	bool outgoing;			/* HOP only */
	enum policy_dir dir;		/* POLICY only */
	size_t pod;			/* POLICY only: the isolated pod */
	ssize_t seen;			/* index of the hop that showed it, -1: never */
};

/* Where the observed request first left that prediction. */
enum trace_div_kind {
	TRACE_DIV_NONE,			/* every step seen, in order, nothing else on the way */
	TRACE_DIV_NO_PREDICTION,	/* no topology, or it predicts no step */
	TRACE_DIV_MISSING_HOP,		/* a predicted place never seen (in its turn) */
	TRACE_DIV_UNEXPECTED_HOP,	/* seen where the prediction does not go */
	TRACE_DIV_NO_DNAT,		/* left (or stayed in) the NAT's namespace unchanged */
};

struct trace_divergence {
	enum trace_div_kind kind;
	ssize_t expect;			/* the step not met (index into trace.expect), -1 */
	ssize_t hop;			/* the hop that showed the divergence, -1: none */
	/* The place: the step's for a missing hop, the hop's otherwise;
	 * meaningless for NONE and NO_PREDICTION. */
	size_t ns;
	char ifname[IF_NAMESIZE];
	bool outgoing;
};

/* A pod's lookup of a name, as its resolver makes it (trace_dns_setup):
 * the resolv.conf read, and each name asked in order with its answer. */
struct trace_dns_try {
	char name[DNS_NAME_MAX + 1];
	int rcode;			/* -1: no answer in time (or not asked) */
	uint32_t a;			/* the first A record; 0: none */
	size_t an;			/* answer records of any type */
	enum dns_result res;		/* how glibc's search reads it */
};

struct trace_dns_search {
	bool done;			/* a pod's search was made (else all below is empty) */
	char name[DNS_NAME_MAX + 2];	/* as asked for (a trailing dot kept) */
	char conf[PATH_MAX];		/* the resolv.conf its settings come from */
	struct dns_resolv rv;
	size_t dots;			/* in the name asked for */
	bool rooted;			/* it ends in a dot */
	struct trace_dns_try tried[DNS_TRIES_MAX];
	size_t ntried;
	ssize_t answered;		/* index of the name found (answer records: glibc's
					 * search stops there, address or not); -1 */
	size_t traced;			/* index of the query traced: the found one, else the
					 * one that ended the search list, else the first */
};

struct trace {
	/* request */
	const struct lab *lab;
	struct trace_endpoint src, dst;
	struct probe probe;
	int timeout_ms;
	bool no_drops;			/* do not watch kernel drops (the fallback, on purpose) */
	/* Delete the source's neighbour entry for its next hop, and that
	 * next hop's entry for the source, before the probe: its ARP is then
	 * part of the path (trace --arp). */
	bool flush_arp;
	/* observed namespaces: as many as the path needs, grown by
	 * trace_ns_add(); ns_label[i] is "pod default/client", "node node-1",
	 * "VPC"; both arrays and their strings are owned (trace_free) */
	const char **ns;
	char (*ns_label)[TRACE_LABEL_MAX];
	size_t nns;
	/* results */
	struct capture *cap;
	struct trace_hop hops[TRACE_MAX_HOPS];
	size_t nhops;
	struct trace_arp *arp;		/* ARP exchanges the probe waited for, in time order (owned) */
	size_t narp;
	uint64_t sent_ns;		/* CLOCK_REALTIME just before the probe was sent */
	struct nftrace_event *nft;	/* with the namespace index in nft_ns[] */
	size_t *nft_ns;
	size_t nnft;
	bool nft_lost;			/* a full buffer lost some trace events */
	struct ct_entry *ct;		/* conntrack entries of the probe's flow... */
	size_t *ct_ns;			/* ...and the namespace each is in */
	size_t nct;
	struct trace_svc svc;		/* the Service DST addresses (svc -1: none) */
	/* The probe's flow after a source NAT that also changed its port
	 * (masquerade fully-random), learnt from conntrack: request direction. */
	struct ct_tuple alias[TRACE_MAX_ALIASES];
	size_t nalias;
	struct trace_dns_search search;	/* a DNS name's lookup (the DNS trace only) */
	struct probe_result res;
	enum trace_verdict verdict;
	char *reason;			/* why, as long as it needs (owned; trace_free) */
	/* The prediction, how the hops met it, and the same in words: the
	 * first divergence names a place, a Service, an address and a
	 * neighbour's state. Filled whatever the verdict. */
	struct trace_expect expect[TRACE_MAX_HOPS];
	size_t nexpect;
	/* The namespace of the first predicted step no observer was armed
	 * in (the prediction stops there: nothing can be seen there), NULL. */
	const char *expect_unobserved;
	struct trace_divergence div;
	char divergence[2 * TRACE_LABEL_MAX + 2 * TOPO_LABEL_MAX + IF_NAMESIZE + 256];
	ssize_t last_hop;		/* last request hop seen, -1 if none */
	struct trace_loss *loss;	/* observer losses and caps hit (owned) */
	size_t nloss;
	struct trace_evidence ev;	/* kernel state asked after the probe */
	/* The lab's NetworkPolicies and the kernel's rules for the request,
	 * [POLICY_INGRESS] and [POLICY_EGRESS] (owned; trace_policy_collect). */
	struct trace_policy policy[2];
	struct trace_drop *drops;	/* the flow's packets the kernel dropped, in time order (owned) */
	size_t ndrops;
	/* A failed trace: how the kernel differs from the lab's plan in the
	 * namespaces the probe could cross (lab/check.h; owned). */
	struct lab_check_list plan;
	/* iptables-legacy rules whose counters grew while the probe passed,
	 * read before and after in every place (owned). */
	struct trace_ipt_hit *ipt;
	size_t nipt;
	/* Why kernel drops could not be watched ("" when they were): said once
	 * in the output, and the diagnosis falls back to asking the kernel. */
	char drops_off[sizeof(((struct pp_err *)0)->msg)];
	/* Findings of the diagnosis checks; [0] is the verdict, the rest notes
	 * (owned). cause: findings[0].cause, the verdict's cause. */
	struct trace_finding *findings;
	size_t nfindings;
	const char *cause;
	uint64_t arm_ns, wait_ns, total_ns;	/* wall time arming, waiting, overall */
	/* Behind the ingress controller: the second TCP connection, the one
	 * nginx opened to the backend Service for the probe's request, traced
	 * from the same captures (NULL if the probe met no proxy). */
	struct trace *upstream;
	ssize_t proxy_pod;		/* the pod whose nginx terminated the probe, -1 */
	bool shares_capture;		/* an upstream: its capture is its parent's */
};

/* Parse SRC and DST (the forms podpath-trace.8 lists: a pod
 * "NS/NAME[:CONTAINER]" or "NAME", "node/NAME", "internet/NAME[:PORT]", an
 * "IP[:PORT]", and for a destination "svc/NS/NAME[:PORT]", PORT a number
 * or a port name). With l
 * NULL (no lab) only a destination "IP[:PORT]" is accepted. */
int trace_endpoint_parse(const struct lab *l, const char *s, bool source,
			 struct trace_endpoint *ep, struct pp_err *e);
/* A DNS name: labels of letters, digits and inner hyphens (1-63 each, at
 * least one letter in all), one trailing dot allowed. */
bool trace_is_dns_name(const char *s);
/* Set up dt to trace the DNS query src's resolver would make for name: a
 * pod reads its resolv.conf (kubelet's: search NS.svc.D svc.D D, ndots:5)
 * and asks its nameserver each name glibc would ask, in its order, up to
 * where glibc stops (dns_search_walk); dt->search records every name asked
 * and its answer, and the query traced is the one found (none: the one that
 * ended the search list, else the first); a node or internet host asks the
 * internet's DNS for the name itself.
 * Run it with trace_run; its res.dns_a is the address to trace next. */
int trace_dns_setup(const struct lab *l, const struct trace_endpoint *src, const char *name,
		    struct trace *dt, struct pp_err *e);
/* Without a lab (t->lab NULL): make namespace src (a name under /run/netns
 * or a PID) the source and observe every namespace reachable from it over
 * veth pairs, as the kernel shows them. */
int trace_discover(struct trace *t, const char *src, struct pp_err *e);
/* Run the trace: arm, send, collect, correlate, judge. t->lab (or
 * trace_discover()), src, dst, probe.proto/dport and timeout_ms are set by
 * the caller. Returns 0 when a
 * verdict was reached (delivered or not), <0 with e set when it could not run. */
int trace_run(struct trace *t, struct pp_err *e);
/* Add namespace netns (copied) labelled label to those t observes, unless
 * it is there already: its index, -ENAMETOOLONG (label longer than
 * TRACE_LABEL_MAX) or -ENOMEM. */
ssize_t trace_ns_add(struct trace *t, const char *netns, const char *label);
/* Record that observer lost left_out of what (limit: the cap hit, 0 if
 * none; left_out 0 without a limit: an unknown number) in namespace ns
 * (-1: none), replacing an earlier record with the same key: a recount
 * never counts twice, and one that left nothing out under a limit removes
 * the record. 0 or -ENOMEM. */
int trace_loss_set(struct trace *t, const char *observer, const char *what, ssize_t ns,
		   size_t left_out, size_t limit);
/* "none", "no-prediction", "missing-hop", "unexpected-hop", "no-dnat". */
const char *trace_div_kind_name(enum trace_div_kind k);
/* Where in its policy the rule that admitted side p is, as the rules'
 * comments say it: "spec.ingress[0].from[1] ports[0]" ("" if none did). */
void trace_policy_rule_path(const struct trace_policy *p, char *buf, size_t len);
/* Does the kernel's decision for side p (its nftables rule) agree with
 * the lab's policies: a drop where they deny, an accept by the very rule
 * that admits it where they admit; true when the kernel said nothing. */
bool trace_policy_kernel_agrees(const struct trace_policy *p);
/* "ingress" or "egress". */
const char *trace_policy_dir_name(enum policy_dir d);
/* Release what trace_run allocated. */
void trace_free(struct trace *t);
const char *trace_verdict_name(enum trace_verdict v);
/* "link", "bridged", "routed", ...; NULL for TRACE_MOVED_NONE. */
const char *trace_moved_name(enum trace_moved m);
/* Write every packet the ntr traces captured, trace by trace (the DNS
 * query's before the connection's), each in time order, as pcapng: one
 * interface block per capture point ("node node-1:eth0"), each packet's
 * hop in its comment, prefixed with its trace's phase ("DNS query " or ""). */
int trace_pcapng_write(const struct trace *const *tr, const char *const *phase, size_t ntr,
		       const char *path, struct pp_err *e);

#endif
