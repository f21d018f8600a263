/* The trace's caps and what it says when one is hit: the capture filter
 * names every port and host a flow may take (ports compared as numbers:
 * port 80 is not part of 8080), as many as a kernel BPF program holds, and
 * counts what it leaves out; the observer-loss list replaces a recount and
 * drops a record that fell back under its cap; the namespace list grows
 * past the old 48 and refuses a label longer than a netns name allows; the
 * hops past TRACE_MAX_HOPS are counted, not dropped unsaid; a capture names
 * every interface of a namespace, however many (there used to be room for
 * 64, and a node has one per pod). */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns/netns.h"
#include "nl/nl.h"
#include "trace/capture.h"
#include "trace/internal.h"
#include "unit.h"

/* Does filter name port p in a "port N" term (as a number, whole)? */
static bool has_port(const char *filter, unsigned p)
{
	for (const char *s = strstr(filter, "port "); s; s = strstr(s + 1, "port ")) {
		char *end;
		unsigned long n = strtoul(s + 5, &end, 10);

		if (end != s + 5 && n == p)
			return true;
	}
	return false;
}

static size_t count(const char *filter, const char *word)
{
	size_t n = 0;

	for (const char *s = strstr(filter, word); s; s = strstr(s + 1, word))
		n++;
	return n;
}

/* The kernel takes the program: it compiles for Linux cooked v2 frames
 * (what capture.c opens) within BPF_MAXINSNS (4096). */
static bool compiles(const char *filter, unsigned *len)
{
	struct bpf_program prog;
	pcap_t *p = pcap_open_dead(DLT_LINUX_SLL2, 256);
	bool ok = p && pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == 0;

	*len = ok ? prog.bf_len : 0;
	if (ok)
		pcap_freecode(&prog);
	if (p)
		pcap_close(p);
	return ok && *len <= 4096;
}

/* The bug this replaced: " or port 80" was found inside " or port 8080",
 * so an endpoint port 80 after one 8080 was dropped. */
static void test_port_80_after_8080(void)
{
	const uint16_t ports[] = { 8080, 80, 8080, 80, 0 };
	struct trace_filter_in in = { .proto = PROBE_TCP, .sport = 40000, .ports = ports,
				      .nports = 5 };
	struct trace_filter_left left = { 7, 7 };
	char *f = NULL;
	unsigned len;

	CHECK_EQ_INT(trace_filter_build(&in, &f, &left), 0);
	if (!CHECK(f))
		return;
	CHECKF(has_port(f, 80), "%s", f);
	CHECKF(has_port(f, 8080), "%s", f);
	CHECKF(has_port(f, 40000), "%s", f);
	CHECK_EQ_INT(count(f, "port 8080"), 1);	/* repeats once */
	CHECK_EQ_INT(count(f, "port 80 ") + count(f, "port 80)"), 1);
	CHECK_EQ_INT(left.ports, 0);
	CHECK_EQ_INT(left.hosts, 0);
	CHECKF(compiles(f, &len), "%s", f);
	free(f);
}

/* More distinct ports than the cap: every one up to it is in, the rest
 * counted (each once, however often repeated), and the program still
 * loads. Below the cap, all of them and none counted. */
static void test_many_ports(void)
{
	size_t n = 3 * TRACE_FILTER_MAX_PORTS;
	uint16_t *ports = calloc(2 * n, sizeof(*ports));
	uint32_t hosts[TRACE_FILTER_MAX_HOSTS + 5];
	struct trace_filter_in in = { .proto = PROBE_HTTP, .sport = 50000, .ports = ports,
				      .nports = 2 * n, .hosts = hosts,
				      .nhosts = TRACE_FILTER_MAX_HOSTS + 5 };
	struct trace_filter_left left;
	char *f = NULL;
	unsigned len;

	if (!CHECK(ports))
		return;
	for (size_t i = 0; i < n; i++)
		ports[i] = ports[n + i] = (uint16_t)(1000 + i);	/* each twice */
	for (size_t i = 0; i < TRACE_FILTER_MAX_HOSTS + 5; i++)
		hosts[i] = 0x0af40000u + (uint32_t)i + 1;	/* 10.244.0.x */
	CHECK_EQ_INT(trace_filter_build(&in, &f, &left), 0);
	if (!CHECK(f))
		goto out;
	CHECK_EQ_INT(left.ports, n - TRACE_FILTER_MAX_PORTS);
	CHECK_EQ_INT(left.hosts, 5);
	CHECK_EQ_INT(count(f, " or port "), TRACE_FILTER_MAX_PORTS);
	CHECK_EQ_INT(count(f, " or host "), TRACE_FILTER_MAX_HOSTS);
	CHECKF(has_port(f, 1000) && has_port(f, 1000 + TRACE_FILTER_MAX_PORTS - 1), "first ports");
	CHECK(!has_port(f, 1000 + TRACE_FILTER_MAX_PORTS));
	CHECKF(compiles(f, &len), "%u instructions", len);
	free(f);
	f = NULL;
	/* Under the cap: every port, nothing left out. */
	in.nports = 100;
	in.nhosts = 3;
	CHECK_EQ_INT(trace_filter_build(&in, &f, &left), 0);
	if (CHECK(f)) {
		CHECK_EQ_INT(left.ports, 0);
		CHECK_EQ_INT(left.hosts, 0);
		CHECK_EQ_INT(count(f, " or port "), 100);
		CHECK(has_port(f, 1099));
	}
out:
	free(f);
	free(ports);
}

static void test_forms(void)
{
	struct trace_filter_in in = { .proto = PROBE_ICMP, .sport = 77 };
	struct trace_filter_left left;
	char *f = NULL;
	unsigned len;

	CHECK_EQ_INT(trace_filter_build(&in, &f, &left), 0);
	CHECK_HAS_STR(f, "icmp[4:2] = 77");
	CHECKF(f && compiles(f, &len), "%s", f ? f : "");
	free(f);
	/* No lab: every datagram while the probe runs. */
	in = (struct trace_filter_in){ .proto = PROBE_DNS, .sport = 5353, .any_flow = true };
	CHECK_EQ_INT(trace_filter_build(&in, &f, &left), 0);
	CHECK_HAS_STR(f, "(udp and (port 5353 or not port 0))");
	CHECKF(f && compiles(f, &len), "%s", f ? f : "");
	free(f);
	in.proto = PROBE_TCP;
	CHECK_EQ_INT(trace_filter_build(&in, &f, &left), 0);
	CHECK_HAS_STR(f, "tcp[tcpflags] & (tcp-syn|tcp-rst) != 0");
	CHECKF(f && compiles(f, &len), "%s", f ? f : "");
	free(f);
}

static void test_losses(void)
{
	struct trace t = { 0 };

	CHECK_EQ_INT(trace_loss_set(&t, "pcap", "filter-ports", -1, 3, 128), 0);
	CHECK_EQ_INT(trace_loss_set(&t, "correlate", "hops", -1, 2, 64), 0);
	CHECK_EQ_INT(t.nloss, 2);
	/* A recount replaces, never adds. */
	CHECK_EQ_INT(trace_loss_set(&t, "pcap", "filter-ports", -1, 5, 128), 0);
	CHECK_EQ_INT(t.nloss, 2);
	CHECK_EQ_INT(t.loss[0].left_out, 5);
	/* Another namespace is another record. */
	CHECK_EQ_INT(trace_loss_set(&t, "pcap", "filter-ports", 0, 1, 128), 0);
	CHECK_EQ_INT(t.nloss, 3);
	/* Back under the cap: the record goes. */
	CHECK_EQ_INT(trace_loss_set(&t, "correlate", "hops", -1, 0, 64), 0);
	CHECK_EQ_INT(t.nloss, 2);
	CHECK_EQ_STR(t.loss[1].what, "filter-ports");
	CHECK_EQ_INT(t.loss[1].ns, 0);
	/* A buffer that lost an unknown number has no limit: kept. */
	CHECK_EQ_INT(trace_loss_set(&t, "nftrace", "events", 0, 0, 0), 0);
	CHECK_EQ_INT(t.nloss, 3);
	trace_free(&t);
	CHECK_EQ_INT(t.nloss, 0);
}

/* More namespaces than the old TRACE_MAX_NS (48) all fit; each once. */
static void test_many_namespaces(void)
{
	struct trace t = { 0 };
	char name[32], label[TRACE_LABEL_MAX + 1];

	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "lab_pod_%d", i);
		snprintf(label, sizeof(label), "pod default/p-%d", i);
		CHECK_EQ_INT(trace_ns_add(&t, name, label), i);
	}
	CHECK_EQ_INT(trace_ns_add(&t, "lab_pod_7", "again"), 7);
	CHECK_EQ_INT(t.nns, 300);
	CHECK_EQ_STR(t.ns[299], "lab_pod_299");
	CHECK_EQ_STR(t.ns_label[299], "pod default/p-299");
	CHECK_EQ_STR(t.ns_label[7], "pod default/p-7");
	/* "netns NAME" with the longest name a namespace can have fits... */
	memset(label, 'n', sizeof(label));
	memcpy(label, "netns ", 6);
	label[6 + NAME_MAX] = '\0';
	CHECK_EQ_INT(trace_ns_add(&t, "long", label), 300);
	/* ...one byte more is refused, not cut. */
	label[6 + NAME_MAX] = 'n';
	label[7 + NAME_MAX] = '\0';
	CHECK_EQ_INT(trace_ns_add(&t, "longer", label), -ENAMETOOLONG);
	CHECK_EQ_INT(t.nns, 301);
	trace_free(&t);
	CHECK(!t.ns && !t.nns);
}

/* A flow seen at more places than TRACE_MAX_HOPS: the first 64 are hops,
 * the rest counted as an observer loss, and a recount that stays under
 * the cap removes the record. */
static void test_hops_cap(void)
{
	size_t n = TRACE_MAX_HOPS + 16;
	struct capture_pkt *k = calloc(n, sizeof(*k));
	struct trace t = { 0 };
	struct pp_err e = { 0 };

	if (!CHECK(k))
		return;
	CHECK_EQ_INT(trace_ns_add(&t, "a", "netns a"), 0);
	CHECK_EQ_INT(trace_ns_add(&t, "b", "netns b"), 1);
	t.probe.proto = PROBE_UDP;
	t.probe.sport = 40000;
	t.probe.dport = 7;
	t.src.pod = t.src.node = t.src.container = t.dst.pod = t.dst.node = -1;
	t.res.outcome = PROBE_OK;
	snprintf(t.res.answer, sizeof(t.res.answer), "echo");
	/* Arriving (no route to ask the kernel for), each at its own place. */
	for (size_t i = 0; i < n; i++) {
		k[i] = (struct capture_pkt){ .ts_ns = 1000 + i, .ns = i % 2, .ifindex = (int)i + 1,
					     .ethertype = 0x0800, .saddr = 0x0a000001,
					     .daddr = 0x0a000002, .proto = 17, .ttl = 64,
					     .sport = 40000, .dport = 7 };
		snprintf(k[i].ifname, sizeof(k[i].ifname), "if%zu", i);
	}
	t.cap = capture_from_packets(k, n);
	if (!CHECK(t.cap))
		goto out;
	CHECK_EQ_INT(trace_correlate(&t, &e), 0);
	CHECK_EQ_INT(t.nhops, TRACE_MAX_HOPS);
	CHECK_EQ_INT(t.nloss, 1);
	if (t.nloss == 1) {
		CHECK_EQ_STR(t.loss[0].observer, "correlate");
		CHECK_EQ_STR(t.loss[0].what, "hops");
		CHECK_EQ_INT(t.loss[0].left_out, 16);
		CHECK_EQ_INT(t.loss[0].limit, TRACE_MAX_HOPS);
	}
	CHECK_EQ_STR(t.reason, "echo");
	/* Under the cap: every place a hop, nothing reported. */
	capture_close(t.cap);
	t.cap = capture_from_packets(k, TRACE_MAX_HOPS);
	if (!CHECK(t.cap))
		goto out;
	CHECK_EQ_INT(trace_correlate(&t, &e), 0);
	CHECK_EQ_INT(t.nhops, TRACE_MAX_HOPS);
	CHECK_EQ_INT(t.nloss, 0);
out:
	trace_free(&t);
	free(k);
}

/* A namespace of its own (never the host's) with more interfaces than
 * the old table held: a capture there names the last one as the kernel
 * does. Needs root (a namespace, a packet socket); skipped without. */
static void test_capture_many_ifs(void)
{
	enum { NBR = 150 };
	const char *self = "/proc/self/ns/net";
	struct capture *c = NULL;
	struct pp_err e = { 0 };
	struct nl *nl = NULL;
	char name[IF_NAMESIZE];
	int origin = -1;
	unsigned idx;

	if (geteuid() != 0) {
		printf("unit: skip test_capture_many_ifs (needs root)\n");
		return;
	}
	origin = netns_self_fd();
	if (!CHECK(origin >= 0) || !CHECK(unshare(CLONE_NEWNET) == 0))
		goto out;
	nl = nl_open();
	if (!CHECK(nl))
		goto out;
	for (int i = 0; i < NBR; i++) {
		int ret;

		snprintf(name, sizeof(name), "ppbr%d", i);
		ret = nl_link_add_bridge(nl, &(struct nl_link){ .name = name, .netns_fd = -1 });
		if (ret == 0)
			ret = nl_commit(nl, NULL);
		if (!CHECKF(ret == 0, "%s: %s", name, strerror(-ret)))
			goto out;
	}
	snprintf(name, sizeof(name), "ppbr%d", NBR - 1);
	idx = if_nametoindex(name);
	if (!CHECK(idx > 64))
		goto out;
	if (!CHECKF(capture_open(&c, &self, 1, "arp", &e) == 0, "%s", e.msg))
		goto out;
	CHECK_EQ_STR(capture_ifname(c, 0, (int)idx), name);
	CHECK_EQ_STR(capture_ifname(c, 0, 1), "lo");
	CHECK_EQ_STR(capture_ifname(c, 0, (int)idx + 1000), "?");
out:
	capture_close(c);
	if (nl)
		nl_close(nl);
	/* Back to where the other tests ran; the namespace goes with its
	 * last user. */
	if (origin >= 0) {
		CHECK(netns_enter(origin) == 0);
		close(origin);
	}
}

int main(void)
{
	RUN(test_port_80_after_8080);
	RUN(test_many_ports);
	RUN(test_forms);
	RUN(test_losses);
	RUN(test_many_namespaces);
	RUN(test_hops_cap);
	RUN(test_capture_many_ifs);
	return unit_summary();
}
