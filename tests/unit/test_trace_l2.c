/* The link layer of a trace from fixture captures: which ARP frames are
 * the probe's exchange (and which are not: before the probe, another MAC,
 * a warm cache), which copies were flooded, and the nftables section's
 * choice of the rules that decided. No namespace is entered: the
 * neighbour query of a fixture fails, and says so. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <pcap/sll.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if_arp.h>

#include "addr.h"
#include "out/trace.h"
#include "trace/internal.h"
#include "unit.h"

static const uint8_t CMAC[6] = { 2, 0x50, 1, 1, 0, 1 }, WMAC[6] = { 2, 0x50, 1, 1, 0, 2 },
		     DMAC[6] = { 2, 0x50, 1, 1, 0, 3 }, BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define CIP 0x0af40102u
#define WIP 0x0af40103u

enum { NS_CLIENT, NS_NODE, NS_WEB };
enum { IF_ETH0 = 2, IF_VC = 10, IF_VW = 11, IF_VD = 12 };

static struct capture_pkt arp(uint64_t ts, size_t ns, int ifindex, bool out, uint16_t op)
{
	struct capture_pkt k = { .ts_ns = ts, .ns = ns, .ifindex = ifindex, .outgoing = out,
				 .ethertype = 0x0806, .arp_op = op, .hatype = ARPHRD_ETHER,
				 .has_src_mac = true, .has_dst_mac = true };

	snprintf(k.ifname, sizeof(k.ifname), "%s", ifindex == IF_ETH0 ? "eth0" : ifindex == IF_VC ?
		 "vethc" : ifindex == IF_VW ? "vethw" : "vethd");
	k.arp_spa = op == 1 ? CIP : WIP;
	k.arp_tpa = op == 1 ? WIP : CIP;
	memcpy(k.arp_sha, op == 1 ? CMAC : WMAC, 6);
	memcpy(k.src_mac, op == 1 ? CMAC : WMAC, 6);
	memcpy(k.dst_mac, op == 1 ? BCAST : CMAC, 6);
	if (op == 2)
		memcpy(k.arp_tha, CMAC, 6);
	return k;
}

static struct capture_pkt syn(uint64_t ts, size_t ns, int ifindex, bool out, const uint8_t *dst)
{
	struct capture_pkt k = { .ts_ns = ts, .ns = ns, .ifindex = ifindex, .outgoing = out,
				 .ethertype = 0x0800, .saddr = CIP, .daddr = WIP, .proto = 6,
				 .ttl = 64, .sport = 40000, .dport = 8080, .tcp_flags = 2,
				 .hatype = ARPHRD_ETHER, .has_src_mac = true, .has_dst_mac = true };

	snprintf(k.ifname, sizeof(k.ifname), "%s", ifindex == IF_ETH0 ? "eth0" : "vethc");
	memcpy(k.src_mac, CMAC, 6);
	memcpy(k.dst_mac, dst, 6);
	return k;
}

/* A trace over pkts whose hops are the SYNs among them; sent at sent. */
static void trace_make(struct trace *t, const struct capture_pkt *pkts, size_t n, uint64_t sent)
{
	const struct capture_pkt *all;
	size_t na;

	memset(t, 0, sizeof(*t));
	CHECK(trace_ns_add(t, "l2unit-no-such-ns-c", "pod default/client") == 0);
	CHECK(trace_ns_add(t, "l2unit-no-such-ns-n", "node node-1") == 1);
	CHECK(trace_ns_add(t, "l2unit-no-such-ns-w", "pod default/web-1") == 2);
	t->cap = capture_from_packets(pkts, n);
	t->sent_ns = sent;
	t->last_hop = -1;
	all = capture_packets(t->cap, &na);
	for (size_t i = 0; i < na; i++)
		if (all[i].ethertype == 0x0800)
			t->hops[t->nhops++] = (struct trace_hop){ .pkt = &all[i], .ns = all[i].ns };
}

static size_t count(const struct trace *t, enum trace_arp_kind k, bool flooded)
{
	size_t n = 0;

	for (size_t i = 0; i < t->narp; i++)
		n += t->arp[i].kind == k && t->arp[i].flooded == flooded;
	return n;
}

/* One node, the article's step: the client asks, the bridge floods, web-1
 * answers to the client alone, and the SYN leaves for web-1's MAC. */
static void test_exchange(void)
{
	struct capture_pkt p[] = {
		arp(100, NS_CLIENT, IF_ETH0, true, 1), arp(101, NS_NODE, IF_VC, false, 1),
		arp(102, NS_NODE, IF_VW, true, 1), arp(102, NS_NODE, IF_VD, true, 1),
		arp(103, NS_WEB, IF_ETH0, false, 1), arp(110, NS_WEB, IF_ETH0, true, 2),
		arp(111, NS_NODE, IF_VW, false, 2), arp(112, NS_NODE, IF_VC, true, 2),
		arp(113, NS_CLIENT, IF_ETH0, false, 2), syn(120, NS_CLIENT, IF_ETH0, true, WMAC),
		syn(121, NS_NODE, IF_VC, false, WMAC),
	};
	struct trace t;

	trace_make(&t, p, sizeof(p) / sizeof(p[0]), 50);
	CHECK_EQ_INT(trace_arp_find(&t), 0);
	CHECK_EQ_INT(count(&t, TRACE_ARP_WHO_HAS, false), 4);
	CHECK_EQ_INT(count(&t, TRACE_ARP_WHO_HAS, true), 1);	/* out vethd: flooded */
	CHECK_EQ_INT(count(&t, TRACE_ARP_IS_AT, false), 4);
	CHECK_EQ_INT(count(&t, TRACE_ARP_NEIGH, false), 1);
	CHECK_EQ_INT(t.narp, 10);
	for (size_t i = 0; i < t.narp; i++) {
		CHECK_EQ_INT(t.arp[i].before_hop, 0);
		CHECK(!i || t.arp[i].ts_ns >= t.arp[i - 1].ts_ns);
	}
	/* The entry comes last, after the answer that made it; a fixture's
	 * namespace cannot be asked, and that is said, not taken for none. */
	CHECK_EQ_INT(t.arp[t.narp - 1].kind, TRACE_ARP_NEIGH);
	CHECK_EQ_INT(t.arp[t.narp - 1].ip, WIP);
	CHECK(t.arp[t.narp - 1].neigh_err != 0);
	trace_free(&t);

	/* The request went out before the probe was sent: not its exchange. */
	trace_make(&t, p, sizeof(p) / sizeof(p[0]), 105);
	CHECK_EQ_INT(trace_arp_find(&t), 0);
	CHECK_EQ_INT(t.narp, 0);
	trace_free(&t);
}

/* ARP for another MAC than the SYN left for, and a warm cache. */
static void test_not_ours(void)
{
	struct capture_pkt p[] = {
		arp(100, NS_CLIENT, IF_ETH0, true, 1), arp(113, NS_CLIENT, IF_ETH0, false, 2),
		syn(120, NS_CLIENT, IF_ETH0, true, DMAC),
	};
	struct capture_pkt warm[] = { syn(120, NS_CLIENT, IF_ETH0, true, WMAC) };
	struct trace t;

	trace_make(&t, p, 3, 50);
	CHECK_EQ_INT(trace_arp_find(&t), 0);
	CHECK_EQ_INT(t.narp, 0);
	trace_free(&t);
	trace_make(&t, warm, 1, 50);
	CHECK_EQ_INT(trace_arp_find(&t), 0);
	CHECK_EQ_INT(t.narp, 0);
	trace_free(&t);
}

static struct nftrace_event ev(const char *chain, int verdict, const char *rule, const char *target,
			       enum nftrace_kind kind, uint64_t handle)
{
	struct nftrace_event e = { .kind = kind, .verdict = verdict, .handle = handle };

	snprintf(e.table, sizeof(e.table), "kube-proxy");
	snprintf(e.chain, sizeof(e.chain), "%s", chain);
	snprintf(e.rule, sizeof(e.rule), "%s", rule);
	snprintf(e.jump_target, sizeof(e.jump_target), "%s", target);
	return e;
}

static char *render(const struct trace *t, bool verbose)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	out_trace_text_verbose(f, t, false, verbose);
	fclose(f);
	return buf;
}

/* Without -v: the DNAT, the Service and endpoint choice, a drop; not the
 * jumps, returns and policy accepts, which are counted. */
static void test_nft_section(void)
{
	struct nftrace_event e[] = {
		ev("filter-prerouting-pre-dnat", NFT_JUMP, "handle 26: jump firewall-check",
		   "firewall-check", NFTRACE_RULE, 26),
		ev("firewall-check", NFT_CONTINUE, "", "", NFTRACE_RETURN, 0),
		ev("services", NFT_GOTO, "handle 44: vmap @service-ips",
		   "service-SUSTUHLJ-default/web/tcp/http", NFTRACE_RULE, 44),
		ev("filter-forward", NFT_JUMP, "handle 28: jump service-endpoints-check",
		   "service-endpoints-check", NFTRACE_RULE, 28),
		ev("endpoint-QYTGA46O-default/web/tcp/http__10.244.1.3/8080", NF_ACCEPT,
		   "handle 49: dnat", "", NFTRACE_RULE, 49),
		ev("nat-postrouting", NF_ACCEPT, "", "", NFTRACE_POLICY, 0),
		ev("masquerading", NFT_CONTINUE, "handle 37: meta mark set masquerade", "", NFTRACE_RULE, 37),
	};
	size_t ns[sizeof(e) / sizeof(e[0])] = { 0 };
	struct trace t;
	char *text;

	memset(&t, 0, sizeof(t));
	t.last_hop = -1;
	t.svc.svc = -1;
	CHECK(trace_ns_add(&t, "n1", "node node-1") == 0);
	t.nft = e;
	t.nft_ns = ns;
	t.nnft = sizeof(e) / sizeof(e[0]);
	t.reason = strdup("x");
	text = render(&t, false);
	if (CHECK(text)) {
		CHECKF(strstr(text, "handle 49: dnat -> accept"), "%s", text);
		CHECKF(strstr(text, "goto service-SUSTUHLJ-default/web/tcp/http"), "%s", text);
		CHECKF(strstr(text, "meta mark set masquerade"), "%s", text);
		CHECKF(!strstr(text, "firewall-check"), "%s", text);
		CHECKF(!strstr(text, "service-endpoints-check"), "%s", text);
		CHECKF(strstr(text, "  4 more rule evaluations"), "%s", text);
	}
	free(text);
	text = render(&t, true);
	if (CHECK(text)) {
		CHECKF(strstr(text, "jump firewall-check"), "%s", text);
		CHECKF(strstr(text, "jump service-endpoints-check"), "%s", text);
		CHECKF(!strstr(text, "more rule evaluation"), "%s", text);
	}
	free(text);
	t.nft = NULL;
	t.nft_ns = NULL;
	t.nnft = 0;
	trace_free(&t);
}

/* The neighbour entry's note says what was seen: "the entry the answer
 * made" only when an is-at was captured and the entry read holds a
 * resolved MAC; the JSON says the same (answer_seen, error). */
static char *neigh_line(struct trace *t)
{
	char *text = render(t, false), *at = text ? strstr(text, "neighbour ") : NULL;
	char *r = at ? strdup(at) : NULL;

	free(text);
	return r;
}

static json_t *neigh_json(const struct trace *t)
{
	json_t *j = out_trace_json(t), *a = json_object_get(j, "arp"), *x, *r = NULL;
	size_t i;

	json_array_foreach(a, i, x)
		if (!strcmp(json_string_value(json_object_get(x, "kind")), "neighbour"))
			r = json_incref(x);
	json_decref(j);
	return r;
}

static void test_neigh_note(void)
{
	struct capture_pkt p[] = {
		arp(100, NS_CLIENT, IF_ETH0, true, 1), arp(113, NS_CLIENT, IF_ETH0, false, 2),
		syn(120, NS_CLIENT, IF_ETH0, true, WMAC),
	};
	struct trace t;
	struct trace_arp *n;
	char *line;
	json_t *j;
	size_t keep = 0;

	trace_make(&t, p, 3, 50);
	t.reason = strdup("x");
	t.svc.svc = -1;
	t.proxy_pod = -1;
	CHECK_EQ_INT(trace_arp_find(&t), 0);
	CHECK_EQ_INT(t.narp, 3);
	n = &t.arp[t.narp - 1];
	if (!CHECK(n->kind == TRACE_ARP_NEIGH))
		goto out;
	/* Answered, entry read and resolved: the answer made it. */
	n->neigh_err = 0;
	n->state = NUD_REACHABLE;
	n->has_mac = true;
	memcpy(n->mac, WMAC, 6);
	line = neigh_line(&t);
	CHECKF(line && strstr(line, "the entry the answer made"), "%s", line);
	free(line);
	j = neigh_json(&t);
	CHECK(json_is_true(json_object_get(j, "answer_seen")));
	CHECK(json_is_null(json_object_get(j, "error")));
	json_decref(j);
	/* Answered, but the entry is gone: not "made". */
	n->state = 0;
	line = neigh_line(&t);
	CHECKF(line && !strstr(line, "answer made") && strstr(line, "no entry any more") &&
	       strstr(line, "the answer came, but the entry is gone"), "%s", line);
	free(line);
	/* Answered, the entry could not be read. */
	n->neigh_err = -EPERM;
	line = neigh_line(&t);
	CHECKF(line && !strstr(line, "answer made") && strstr(line, "not known"), "%s", line);
	free(line);
	j = neigh_json(&t);
	CHECK(json_is_null(json_object_get(j, "neighbour")));
	CHECK_EQ_STR(json_string_value(json_object_get(j, "error")), strerror(EPERM));
	json_decref(j);

	/* No is-at captured (the who-has went unanswered). */
	for (size_t i = 0; i < t.narp; i++)
		if (t.arp[i].kind != TRACE_ARP_IS_AT)
			t.arp[keep++] = t.arp[i];
	t.narp = keep;
	n = &t.arp[t.narp - 1];
	n->neigh_err = 0;
	n->state = 0;		/* its FAILED entry already cleaned up */
	line = neigh_line(&t);
	CHECKF(line && !strstr(line, "answer made") && strstr(line, "no entry any more") &&
	       strstr(line, "no answer seen, and the entry is gone"), "%s", line);
	free(line);
	j = neigh_json(&t);
	CHECK(json_is_false(json_object_get(j, "answer_seen")));
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(j, "neighbour"), "state")),
		     "NONE");
	json_decref(j);
	n->state = NUD_FAILED;
	line = neigh_line(&t);
	CHECKF(line && strstr(line, "FAILED") && strstr(line, "no answer came: the entry stays "
							      "unresolved"), "%s", line);
	free(line);
	n->neigh_err = -EPERM;
	line = neigh_line(&t);
	CHECKF(line && !strstr(line, "answer made") && strstr(line, "cannot ask") &&
	       strstr(line, "no answer seen; what the entry holds now is not known"), "%s", line);
	free(line);
	n->neigh_err = 0;
	n->state = NUD_STALE;	/* resolved, by nothing the capture saw */
	line = neigh_line(&t);
	CHECKF(line && !strstr(line, "answer made") && strstr(line, "not captured"), "%s", line);
	free(line);
out:
	trace_free(&t);
}

/* A cooked ARP request at ts on eth0, out, as libpcap reads it. */
static struct capture_pkt cooked(uint64_t ts)
{
	struct capture_pkt k = arp(ts, 0, IF_ETH0, true, 1);
	const size_t sll = sizeof(struct sll2_header);
	uint8_t *a = k.data + sll;

	k.has_src_mac = k.has_dst_mac = false;
	memset(k.src_mac, 0, 6);
	memset(k.dst_mac, 0, 6);
	memset(k.data, 0, sizeof(k.data));
	a[0] = 0; a[1] = 1; a[2] = 8; a[3] = 0; a[4] = 6; a[5] = 4; a[6] = 0; a[7] = 1;
	memcpy(a + 8, CMAC, 6);
	a[14] = 10; a[15] = 244; a[16] = 1; a[17] = 2;
	a[24] = 10; a[25] = 244; a[26] = 1; a[27] = 3;
	k.caplen = k.wirelen = (uint32_t)(sll + 28);
	return k;
}

/* Its frame as the raw socket reads it: for dst, stamped ts. */
static int frame(struct capture *c, const uint8_t *dst, uint64_t ts)
{
	struct capture_pkt k = cooked(0);
	uint8_t f[ETH_HLEN + 28];

	memcpy(f, dst, 6);
	memcpy(f + 6, CMAC, 6);
	f[12] = 8; f[13] = 6;
	memcpy(f + ETH_HLEN, k.data + sizeof(struct sll2_header), 28);
	return capture_feed_frame(c, 0, IF_ETH0, true, ts, f, sizeof(f));
}

static const struct capture_pkt *pkt_at(const struct capture *c, size_t i)
{
	size_t n;
	const struct capture_pkt *all = capture_packets(c, &n);

	return i < n ? &all[i] : NULL;
}

#define SEC 1000000000ull

/* The same bytes again (a retried request: the kernel's unicast probe to
 * the old MAC, then its broadcast) must never take a frame that was not
 * its own; a frame late for its packet still finds it at the next drain. */
static void test_l2_match(void)
{
	struct capture *c = capture_from_packets(NULL, 0);
	struct capture_pkt k;

	if (!CHECK(c))
		return;
	/* Drain 1: the unicast probe read, its frame not yet. */
	k = cooked(1 * SEC);
	CHECK_EQ_INT(capture_feed_packet(c, &k), 0);
	CHECK_EQ_INT(frame(c, WMAC, 0), 0);	/* unstamped: never taken */
	capture_feed_match(c, 0);
	CHECK(!pkt_at(c, 0)->has_dst_mac);
	CHECK_EQ_INT(capture_l2_lost(c, 0), 1);
	/* Drain 2: its frame comes, with the broadcast retry and its frame. */
	k = cooked(2 * SEC);
	CHECK_EQ_INT(capture_feed_packet(c, &k), 0);
	CHECK_EQ_INT(frame(c, WMAC, 1 * SEC + 700), 0);
	CHECK_EQ_INT(frame(c, BCAST, 2 * SEC), 0);
	capture_feed_match(c, 0);
	CHECK(pkt_at(c, 0)->has_dst_mac && !memcmp(pkt_at(c, 0)->dst_mac, WMAC, 6));
	CHECK(pkt_at(c, 1)->has_dst_mac && !memcmp(pkt_at(c, 1)->dst_mac, BCAST, 6));
	CHECK_EQ_INT(capture_l2_lost(c, 0), 0);

	/* A frame whose cooked copy was never read (the ring dropped it),
	 * then the retry whose frame the raw socket missed: no MAC, counted;
	 * not the old frame's. */
	CHECK_EQ_INT(frame(c, WMAC, 3 * SEC), 0);
	capture_feed_match(c, 0);
	k = cooked(4 * SEC);
	CHECK_EQ_INT(capture_feed_packet(c, &k), 0);
	capture_feed_match(c, 0);
	CHECK(!pkt_at(c, 2)->has_dst_mac);
	CHECK_EQ_INT(capture_l2_lost(c, 0), 1);
	/* Two copies close together: each its own, in arrival order; the old
	 * unused frame before them is dropped, and never taken. */
	k = cooked(5 * SEC);
	CHECK_EQ_INT(capture_feed_packet(c, &k), 0);
	k = cooked(5 * SEC + 100000);
	CHECK_EQ_INT(capture_feed_packet(c, &k), 0);
	CHECK_EQ_INT(frame(c, WMAC, 5 * SEC), 0);
	CHECK_EQ_INT(frame(c, BCAST, 5 * SEC + 100000), 0);
	capture_feed_match(c, 0);
	CHECK(pkt_at(c, 3)->has_dst_mac && !memcmp(pkt_at(c, 3)->dst_mac, WMAC, 6));
	CHECK(pkt_at(c, 4)->has_dst_mac && !memcmp(pkt_at(c, 4)->dst_mac, BCAST, 6));
	CHECK(!pkt_at(c, 2)->has_dst_mac);
	CHECK_EQ_INT(capture_l2_lost(c, 0), 1);
	capture_close(c);
}

int main(void)
{
	RUN(test_exchange);
	RUN(test_not_ours);
	RUN(test_nft_section);
	RUN(test_neigh_note);
	RUN(test_l2_match);
	return unit_summary();
}
