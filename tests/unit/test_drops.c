/* The kernel drop-reason observer against real drops: three namespaces in
 * a row, a -- b -- c (b routes), built with ip(8), and packets sent from a
 * that b or a drops. Each case asserts what the observer reports (reason,
 * function, namespace, device, headers) and, with an independent tool
 * (b's IP counters, nft rule counters), that the drop really happened;
 * and that the in-kernel filter keeps other ports and other namespaces out.
 *
 * Needs root and a kernel with BTF, raw tracepoints and drop reasons
 * (5.17+); where BPF cannot load, that is a failure, not a skip. The
 * namespaces (ppt-drops-*) are removed at exit, also after a failed check,
 * and any left by a crashed run are removed first. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trace/observe/drops.h"
#include "unit.h"

#define NS_A "ppt-drops-a"
#define NS_B "ppt-drops-b"
#define NS_C "ppt-drops-c"
#define A_IP "10.99.1.2"
#define C_IP "10.99.2.2"
#define NOWHERE "10.99.9.9"	/* b has no route there */
#define WAIT_MS 5000
#define MAX_EV 64


static void lab_remove(void)
{
	if (system("for n in " NS_A " " NS_B " " NS_C "; do ip netns del $n 2>/dev/null; done; true"))
		fprintf(stderr, "test_drops: removing the namespaces failed\n");
}

static void on_signal(int sig)
{
	exit(128 + sig);	/* runs lab_remove (atexit) */
}

/* a (10.99.1.2/24, eth0) -- (b-a 10.99.1.1/24) b (b-c 10.99.2.1/24) -- (eth0 10.99.2.2/24) c */
static int lab_build(void)
{
	static const char *const cmds[] = {
		"ip netns add " NS_A, "ip netns add " NS_B, "ip netns add " NS_C,
		"ip -n " NS_A " link add eth0 type veth peer name b-a netns " NS_B,
		"ip -n " NS_C " link add eth0 type veth peer name b-c netns " NS_B,
		"ip -n " NS_A " addr add " A_IP "/24 dev eth0",
		"ip -n " NS_B " addr add 10.99.1.1/24 dev b-a",
		"ip -n " NS_B " addr add 10.99.2.1/24 dev b-c",
		"ip -n " NS_C " addr add " C_IP "/24 dev eth0",
		"ip -n " NS_B " link set b-a address 02:00:00:00:01:01",
		"ip -n " NS_A " link set eth0 up", "ip -n " NS_A " link set lo up",
		"ip -n " NS_B " link set b-a up", "ip -n " NS_B " link set b-c up",
		"ip -n " NS_C " link set eth0 up", "ip -n " NS_C " link set lo up",
		"ip -n " NS_A " route add default via 10.99.1.1",
		"ip -n " NS_C " route add default via 10.99.2.1",
		/* static neighbours: no ARP round before the first packet */
		"ip -n " NS_A " neigh replace 10.99.1.1 lladdr 02:00:00:00:01:01 dev eth0",
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (unit_sh("%s", cmds[i]))
			return -1;
	return 0;
}

static uint64_t ns_ino(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

/* A socket made inside namespace name; the test goes back to its own. */
static int ns_socket(const char *name, int type, int proto)
{
	char path[128];
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd, s = -1;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (self >= 0 && fd >= 0 && setns(fd, CLONE_NEWNET) == 0) {
		s = socket(AF_INET, type | SOCK_CLOEXEC, proto);
		if (setns(self, CLONE_NEWNET) < 0) {
			perror("test_drops: setns back");
			exit(1);
		}
	}
	if (fd >= 0)
		close(fd);
	if (self >= 0)
		close(self);
	return s;
}

/* One UDP datagram from a, source port sport, to dst:dport. */
static int udp_send(uint16_t sport, const char *dst, uint16_t dport)
{
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(sport) };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(dport) };
	int s = ns_socket(NS_A, SOCK_DGRAM, 0), one = 1, ret = -1;

	if (s < 0)
		return -1;
	inet_pton(AF_INET, dst, &to.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&src, sizeof(src)) == 0 &&
	    sendto(s, "podpath", 7, 0, (struct sockaddr *)&to, sizeof(to)) == 7)
		ret = 0;
	close(s);
	return ret;
}

/* One ICMP echo request from a with echo id. */
static int ping_send(uint16_t id, const char *dst)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned char pkt[16] = { ICMP_ECHO, 0 };
	uint32_t sum = 0;
	int s = ns_socket(NS_A, SOCK_RAW, IPPROTO_ICMP), ret = -1;

	if (s < 0)
		return -1;
	inet_pton(AF_INET, dst, &to.sin_addr);
	pkt[4] = id >> 8;
	pkt[5] = id & 0xff;
	pkt[7] = 1;	/* sequence */
	for (size_t i = 0; i < sizeof(pkt); i += 2)
		sum += (uint32_t)(pkt[i] << 8 | pkt[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	pkt[2] = sum >> 8;
	pkt[3] = sum & 0xff;
	if (sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(pkt))
		ret = 0;
	close(s);
	return ret;
}

/* A number read by a command (a counter): -1 if it printed none. */
static long long cmd_number(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	long long v = -1;

	if (!p)
		return -1;
	if (fscanf(p, "%lld", &v) != 1)
		v = -1;
	pclose(p);
	return v;
}

/* b's Ip InAddrErrors, from /proc/net/snmp read inside b. */
static long long b_inaddrerrors(void)
{
	return cmd_number("ip netns exec " NS_B " awk '$1 == \"Ip:\" { if (!h) { for (i = 1; i <= NF; i++)"
			  " if ($i == \"InAddrErrors\") c = i; h = 1 } else print $c }' /proc/net/snmp");
}

/* The packet count of the nft rule commented `comment` in namespace ns. */
static long long nft_packets(const char *ns, const char *comment)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "ip netns exec %s nft -a list ruleset | "
		 "sed -n 's/.*counter packets \\([0-9]*\\) .*comment \"%s\".*/\\1/p'", ns, comment);
	return cmd_number(cmd);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Wait (WAIT_MS at most) until fn() reaches at least want. */
static int wait_counter(long long (*fn)(void), long long want)
{
	double end = now_ms() + WAIT_MS;

	while (fn() < want) {
		if (now_ms() > end)
			return -1;
		usleep(10000);
	}
	return 0;
}

struct seen {
	struct drop_event ev[MAX_EV];
	size_t n;
};

typedef bool (*ev_pred)(const struct drop_event *ev, const void *arg);

/* The first event of s, read so far or from now on, that satisfies pred;
 * NULL if none comes within WAIT_MS. */
static const struct drop_event *wait_event(struct drops *d, struct seen *s, ev_pred pred,
					   const void *arg)
{
	double end = now_ms() + WAIT_MS;

	for (;;) {
		struct pollfd p = { .fd = drops_fd(d), .events = POLLIN };
		int n;

		do {
			n = drops_read(d, s->ev + s->n, MAX_EV - s->n);
			if (n > 0)
				s->n += (size_t)n;
		} while (n > 0 && s->n < MAX_EV);
		for (size_t i = 0; i < s->n; i++)
			if (pred(&s->ev[i], arg))
				return &s->ev[i];
		if (n < 0 || s->n == MAX_EV || now_ms() > end)
			return NULL;
		poll(&p, 1, (int)(end - now_ms()) + 1);
	}
}

static bool udp_from(const struct drop_event *ev, const void *arg)
{
	return ev->proto == IPPROTO_UDP && ev->sport == *(const uint16_t *)arg;
}

static bool any_sport(const struct seen *s, uint16_t sport)
{
	for (size_t i = 0; i < s->n; i++)
		if ((s->ev[i].sport == sport && !s->ev[i].icmp_err) ||
		    (s->ev[i].icmp_err && s->ev[i].err_sport == sport))
			return true;
	return false;
}

static void seen_dump(const struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		fprintf(stderr, "  event: netns %" PRIu64 " %s %s in %s proto %u sport %u dport %u"
			" icmp %u/%u%s err sport %u dport %u\n",
			s->ev[i].netns_ino, s->ev[i].ifname, s->ev[i].reason_name, s->ev[i].func,
			s->ev[i].proto, s->ev[i].sport, s->ev[i].dport, s->ev[i].icmp_type,
			s->ev[i].icmp_code, s->ev[i].icmp_err ? " (icmp error)" : "",
			s->ev[i].err_sport, s->ev[i].err_dport);
}

static uint64_t ino_a, ino_b, ino_c;

/* Where netfilter frees what a rule dropped: nf_hook_slow for a drop
 * verdict; nftables drops in nft_do_chain itself on recent kernels (6.18). */
#define CHECK_NF_FUNC(f) \
	CHECKF(!strcmp((f), "nft_do_chain") || !strcmp((f), "nf_hook_slow"), "%s", (f))

static struct drops *arm(const uint64_t *ns, size_t nns, const struct drop_key *k, size_t nk)
{
	struct drops *d = NULL;
	struct pp_err e = { 0 };

	if (!CHECKF(drops_open(&d, ns, nns, k, nk, &e) == 0, "%s", e.msg))
		return NULL;
	return d;
}

/* Forwarding off in b: the packet meets ip_error (no route for it there),
 * IP_INADDRERRORS. A packet of another port, dropped just before, is not
 * reported: the in-kernel filter keeps it out. */
static void test_forwarding_off(void)
{
	const uint64_t ns[] = { ino_a, ino_b, ino_c };
	const struct drop_key k = { .proto = IPPROTO_UDP, .port = 40001 };
	uint16_t sport = 40001;
	const struct drop_event *ev;
	struct seen s = { .n = 0 };
	struct drops *d;
	long long before;

	if (unit_sh("ip netns exec " NS_B " sysctl -qw net.ipv4.ip_forward=0"))
		return;
	d = arm(ns, 3, &k, 1);
	if (!d)
		return;
	before = b_inaddrerrors();
	CHECK(before >= 0);
	/* the other port first, and seen dropped by b's own counter */
	CHECK_EQ_INT(udp_send(40002, C_IP, 5555), 0);
	CHECK_EQ_INT(wait_counter(b_inaddrerrors, before + 1), 0);
	CHECK_EQ_INT(udp_send(40001, C_IP, 5555), 0);
	ev = wait_event(d, &s, udp_from, &sport);
	if (CHECK(ev)) {
		CHECK_EQ_STR(ev->reason_name, "IP_INADDRERRORS");
		CHECK_EQ_STR(ev->func, "ip_error");
		CHECK_EQ_STR(ev->module, "");
		CHECK_EQ_INT(ev->netns_ino, ino_b);
		CHECK_EQ_STR(ev->ifname, "b-a");
		CHECK(ev->ifindex > 0);
		CHECK_EQ_INT(ev->saddr, ntohl(inet_addr(A_IP)));
		CHECK_EQ_INT(ev->daddr, ntohl(inet_addr(C_IP)));
		CHECK_EQ_INT(ev->dport, 5555);
		CHECK_EQ_INT(ev->ttl, 64);
		CHECK(!ev->icmp_err);
		CHECK(ev->ts_ns > 0);
		CHECK(ev->location != 0);
	}
	CHECK_EQ_INT(wait_counter(b_inaddrerrors, before + 2), 0);
	CHECKF(!any_sport(&s, 40002), "port 40002 was reported");
	CHECK_EQ_INT(drops_lost(d), 0);
	if (unit_nfailed)
		seen_dump(&s);
	drops_close(d);
}

static bool icmp_err_from(const struct drop_event *ev, const void *arg)
{
	return ev->icmp_err && ev->err_sport == *(const uint16_t *)arg;
}

static bool echo_id(const struct drop_event *ev, const void *arg)
{
	return ev->proto == IPPROTO_ICMP && ev->icmp_type == ICMP_ECHO &&
	       ev->sport == *(const uint16_t *)arg;
}

/* No route in b (it has none to 10.99.9.0/24): ip_error, IP_INNOROUTES,
 * and b answers with a net-unreachable. An echo request is matched by its
 * id; the ICMP error b sends back for a UDP packet, dropped by nft in a, is
 * matched by the packet it quotes. Keys are added after arming. (With
 * forwarding off b would send no ICMP error at all.) */
static void test_icmp(void)
{
	const uint64_t ns[] = { ino_a, ino_b, ino_c };
	const struct drop_key echo = { .proto = IPPROTO_ICMP, .port = 777 };
	const struct drop_key udp = { .proto = IPPROTO_UDP, .addr = ntohl(inet_addr(NOWHERE)),
				      .port = 5557 };
	uint16_t id = 777, sport = 40004;
	const struct drop_event *ev;
	struct seen s = { .n = 0 };
	struct drops *d;

	if (unit_sh("ip netns exec " NS_B " sysctl -qw net.ipv4.ip_forward=1") ||
	    unit_sh("ip netns exec " NS_A " nft 'add table ip ppt_drops; add chain ip ppt_drops in "
	       "{ type filter hook input priority 0; }; add rule ip ppt_drops in icmp type "
	       "destination-unreachable counter drop comment \"unreach\"'"))
		return;
	d = arm(ns, 3, NULL, 0);
	if (!d)
		return;
	CHECK_EQ_INT(drops_key_add(d, &echo), 0);
	CHECK_EQ_INT(drops_key_add(d, &udp), 0);
	CHECK_EQ_INT(ping_send(777, NOWHERE), 0);
	ev = wait_event(d, &s, echo_id, &id);
	if (CHECK(ev)) {
		CHECK_EQ_STR(ev->reason_name, "IP_INNOROUTES");
		CHECK_EQ_STR(ev->func, "ip_error");
		CHECK_EQ_INT(ev->netns_ino, ino_b);
		CHECK_EQ_INT(ev->dport, 0);
	}
	/* source port 40004 is no key: matched by (10.99.9.9, 5557) as destination */
	CHECK_EQ_INT(udp_send(40004, NOWHERE, 5557), 0);
	ev = wait_event(d, &s, udp_from, &sport);
	if (CHECK(ev))
		CHECK_EQ_STR(ev->reason_name, "IP_INNOROUTES");
	ev = wait_event(d, &s, icmp_err_from, &sport);
	if (CHECK(ev)) {
		CHECK_EQ_STR(ev->reason_name, "NETFILTER_DROP");
		CHECK_NF_FUNC(ev->func);
		CHECK_EQ_INT(ev->netns_ino, ino_a);
		CHECK_EQ_STR(ev->ifname, "eth0");
		CHECK_EQ_INT(ev->proto, IPPROTO_ICMP);
		CHECK_EQ_INT(ev->icmp_type, ICMP_DEST_UNREACH);
		CHECK_EQ_INT(ev->icmp_code, ICMP_NET_UNREACH);
		CHECK_EQ_INT(ev->daddr, ntohl(inet_addr(A_IP)));
		CHECK_EQ_INT(ev->err_proto, IPPROTO_UDP);
		CHECK_EQ_INT(ev->err_saddr, ntohl(inet_addr(A_IP)));
		CHECK_EQ_INT(ev->err_daddr, ntohl(inet_addr(NOWHERE)));
		CHECK_EQ_INT(ev->err_dport, 5557);
	}
	CHECK(nft_packets(NS_A, "unreach") >= 1);
	if (unit_nfailed)
		seen_dump(&s);
	drops_close(d);
	unit_sh("ip netns exec " NS_A " nft delete table ip ppt_drops");
}

static long long b_fwd_drops(void)
{
	return nft_packets(NS_B, "fwd-drop");
}

static bool netns_is(const struct drop_event *ev, const void *arg)
{
	return ev->netns_ino == *(const uint64_t *)arg;
}

/* An nft drop rule in b's forward chain: NETFILTER_DROP.
 * Then the namespace filter: watching a and c only, b's drop of the same
 * flow is not reported while c's is. */
static void test_nft_drop(void)
{
	const uint64_t ns[] = { ino_a, ino_b, ino_c }, ac[] = { ino_a, ino_c };
	const struct drop_key k = { .proto = IPPROTO_UDP, .port = 5556 };
	uint16_t sport = 40003;
	const struct drop_event *ev;
	struct seen s = { .n = 0 }, s2 = { .n = 0 };
	struct drops *d;

	if (unit_sh("ip netns exec " NS_B " sysctl -qw net.ipv4.ip_forward=1") ||
	    unit_sh("ip netns exec " NS_B " nft 'add table ip ppt_drops; add chain ip ppt_drops fw "
	       "{ type filter hook forward priority 0; }; add rule ip ppt_drops fw udp dport 5556 "
	       "counter drop comment \"fwd-drop\"'") ||
	    unit_sh("ip netns exec " NS_C " nft 'add table ip ppt_drops; add chain ip ppt_drops in "
	       "{ type filter hook input priority 0; }; add rule ip ppt_drops in udp dport 5558 "
	       "counter drop comment \"in-drop\"'"))
		return;
	d = arm(ns, 3, &k, 1);
	if (!d)
		return;
	CHECK_EQ_INT(udp_send(40003, C_IP, 5556), 0);
	ev = wait_event(d, &s, udp_from, &sport);
	if (CHECK(ev)) {
		CHECK_EQ_STR(ev->reason_name, "NETFILTER_DROP");
		CHECK_NF_FUNC(ev->func);
		CHECK_EQ_INT(ev->netns_ino, ino_b);
		CHECK_EQ_INT(ev->sport, 40003);
		CHECK_EQ_INT(ev->dport, 5556);
	}
	CHECK_EQ_INT(b_fwd_drops(), 1);
	drops_close(d);

	/* a and c watched, keys for both ports: b's drop is not c's */
	const struct drop_key both[] = { { .proto = IPPROTO_UDP, .port = 5556 },
					 { .proto = IPPROTO_UDP, .port = 5558 } };

	d = arm(ac, 2, both, 2);
	if (!d)
		return;
	CHECK_EQ_INT(udp_send(40005, C_IP, 5556), 0);
	CHECK_EQ_INT(wait_counter(b_fwd_drops, 2), 0);
	CHECK_EQ_INT(udp_send(40006, C_IP, 5558), 0);
	ev = wait_event(d, &s2, netns_is, &ino_c);
	if (CHECK(ev)) {
		CHECK_EQ_STR(ev->reason_name, "NETFILTER_DROP");
		CHECK_EQ_INT(ev->sport, 40006);
		CHECK_EQ_STR(ev->ifname, "eth0");
	}
	CHECKF(!any_sport(&s2, 40005), "b's drop was reported though b is not watched");
	if (unit_nfailed) {
		seen_dump(&s);
		seen_dump(&s2);
	}
	drops_close(d);
	unit_sh("ip netns exec " NS_B " nft delete table ip ppt_drops");
	unit_sh("ip netns exec " NS_C " nft delete table ip ppt_drops");
}

/* Every reason has its kernel name; SKB_CONSUMED is no drop reason. */
static void test_reason_names(void)
{
	char name[64];

	CHECK_EQ_INT(drops_reason_name(2, name, sizeof(name)), 0);
	CHECK_EQ_STR(name, "NOT_SPECIFIED");
	CHECK_EQ_INT(drops_reason_name(1, name, sizeof(name)), 0);
	CHECK_EQ_STR(name, "SKB_CONSUMED");
	CHECK_EQ_INT(drops_reason_name(0xfffff, name, sizeof(name)), -ENOENT);
}

/* A namespace inode that cannot be one is bad input, not a kernel limit. */
static void test_bad_netns(void)
{
	const uint64_t bad = 1ull << 40;
	struct drops *d = NULL;
	struct pp_err e = { 0 };

	CHECK_EQ_INT(drops_open(&d, &bad, 1, NULL, 0, &e), -EINVAL);
	CHECK(d == NULL);
	CHECK_EQ_INT(e.kind, PP_EXIT_USAGE);
}

int main(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	lab_remove();
	atexit(lab_remove);
	if (!CHECK(lab_build() == 0))
		return unit_summary();
	ino_a = ns_ino(NS_A);
	ino_b = ns_ino(NS_B);
	ino_c = ns_ino(NS_C);
	if (!CHECK(ino_a && ino_b && ino_c))
		return unit_summary();
	RUN(test_reason_names);
	RUN(test_bad_netns);
	RUN(test_forwarding_off);
	RUN(test_icmp);
	RUN(test_nft_drop);
	return unit_summary();
}
