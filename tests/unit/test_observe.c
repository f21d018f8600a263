/* The observers against the kernel: three namespaces of our own (a client,
 * a router, a server; ppt-obs-PID-*), a known state set with ip, sysctl,
 * bridge and iptables-legacy (a test may fork them; the product never
 * does), and each observer must read exactly that state back: rp_filter
 * refusing a forwarded lookup, a blackhole found as blackhole, forwarding
 * off, a link down, a bridge port disabled and blocking, a static
 * neighbour with the wrong MAC next to its owner's real one, listeners
 * found and not found, and the iptables-legacy rule that dropped a packet
 * named by the counter diff, its text as iptables-legacy-save prints it.
 *
 * Needs root; skipped without. The tests run in a child; the parent
 * removes the namespaces whatever the child did (a failed check, a
 * sanitizer abort, a signal). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "netns/netns.h"
#include "trace/observe/iptlegacy.h"
#include "trace/observe/link.h"
#include "trace/observe/listener.h"
#include "trace/observe/neigh.h"
#include "trace/observe/route.h"
#include "trace/observe/sysctl.h"
#include "unit.h"

/* The namespaces: client (c0, 10.10.1.2) - (a0, 10.10.1.1) router (a1,
 * 10.10.2.1) - (s0, 10.10.2.2) server. */
static char prefix[32], ns_c[48], ns_r[48], ns_s[48];


static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	addr_parse(s, &a);
	return a;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int setup(void)
{
	return unit_sh("set -e; for n in %s %s %s; do ip netns add $n; ip -n $n link set lo up; done\n"
		  "ip -n %s link add a0 type veth peer name c0 netns %s\n"
		  "ip -n %s link add a1 type veth peer name s0 netns %s\n"
		  "ip -n %s link set s0 address 02:00:00:00:00:11\n"
		  "ip -n %s addr add 10.10.1.1/24 dev a0; ip -n %s addr add 10.10.2.1/24 dev a1\n"
		  "ip -n %s addr add 10.10.1.2/24 dev c0; ip -n %s addr add 10.10.2.2/24 dev s0\n"
		  "ip -n %s link set a0 up; ip -n %s link set a1 up\n"
		  "ip -n %s link set c0 up; ip -n %s link set s0 up\n"
		  "ip -n %s route add default via 10.10.1.1; ip -n %s route add default via 10.10.2.1\n"
		  "ip netns exec %s sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 "
		  "net.ipv4.conf.a0.rp_filter=0",
		  ns_c, ns_r, ns_s, ns_r, ns_c, ns_r, ns_s, ns_s, ns_r, ns_r, ns_c, ns_s, ns_r, ns_r,
		  ns_c, ns_s, ns_c, ns_s, ns_r);
}

static void test_route(void)
{
	struct obs_route_query q = { .dst = ip("10.10.2.2") };
	struct obs_route r;
	char buf[16];

	/* Sent from here: the connected route out a1, its source. */
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_STR(obs_route_type_name(r.type, buf), "unicast");
	CHECK_EQ_INT(r.table, RT_TABLE_MAIN);
	CHECK_EQ_INT(r.protocol, RTPROT_KERNEL);
	CHECK_EQ_INT(r.dst, ip("10.10.2.0"));
	CHECK_EQ_INT(r.plen, 24);
	CHECK_EQ_INT(r.gw, 0);
	CHECK_EQ_STR(r.oif_name, "a1");
	CHECK_EQ_INT(r.prefsrc, ip("10.10.2.1"));

	/* Forwarded: in a0 from the client. */
	q.src = ip("10.10.1.2");
	q.iif = "a0";
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECK_EQ_INT(r.err, 0);
	CHECK_EQ_STR(r.oif_name, "a1");
	CHECK_EQ_INT(r.plen, 24);

	/* The server's default route: a gateway, prefix 0. */
	q = (struct obs_route_query){ .dst = ip("10.10.1.2") };
	CHECK(obs_route_get(ns_s, &q, &r) == 0);
	CHECK_EQ_INT(r.gw, ip("10.10.2.1"));
	CHECK_EQ_INT(r.plen, 0);
	CHECK_EQ_STR(r.oif_name, "s0");

	/* A local address. (Its table reads main until a policy rule is
	 * added: the kernel keeps local and main merged until then.) */
	q.dst = ip("10.10.1.1");
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECK_EQ_INT(r.type, RTN_LOCAL);
	CHECK_EQ_INT(r.plen, 32);

	/* No route at all. */
	q.dst = ip("203.0.113.9");
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECK_EQ_INT(r.err, -ENETUNREACH);
	CHECK(!r.matched);

	/* Questions that cannot be asked. */
	q.iif = "nope0";
	CHECK_EQ_INT(obs_route_get(ns_r, &q, &r), -ENODEV);
	q.iif = NULL;
	CHECK_EQ_INT(obs_route_get("ppt-obs-no-such-ns", &q, &r), -ENOENT);
}

/* The kernel refused with the filter's error: -EXDEV before 6.13, -EINVAL since. */
static bool rp_refused(const struct obs_route *r)
{
	return r->rp_filter && (r->err == -EXDEV || r->err == -EINVAL);
}

static void test_route_rp_filter(void)
{
	struct obs_route_query q = { .dst = ip("10.10.2.2"), .src = ip("192.0.2.7"), .iif = "a0" };
	struct obs_sysctls s;
	struct obs_route r;

	/* Off: a source with no route back passes. */
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECK_EQ_INT(r.err, 0);
	CHECK(!r.rp_filter);

	/* Loose mode, no route back at all: refused, and the route the
	 * packet would have taken is still named. */
	if (!CHECK(unit_sh("ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=2 "
		      "net.ipv4.conf.a0.rp_filter=2", ns_r) == 0))
		return;
	CHECK(obs_sysctl_read(ns_r, "a0", &s) == 0);
	CHECK_EQ_INT(s.rp_filter.num, 2);
	CHECK_EQ_INT(obs_sysctl_rp_filter_mode(&s), 2);
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECKF(rp_refused(&r), "err %d rp_filter %d", r.err, r.rp_filter);
	CHECK_EQ_INT(r.type, RTN_UNICAST);
	CHECK_EQ_STR(r.oif_name, "a1");

	/* An asymmetric route back (via a1): loose mode accepts it, strict
	 * mode refuses it, as the kernel's fib_validate_source has it. */
	CHECK(unit_sh("ip -n %s route add 192.0.2.0/24 via 10.10.2.2", ns_r) == 0);
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECK_EQ_INT(r.err, 0);
	CHECK(!r.rp_filter);
	CHECK(unit_sh("ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=1 "
		 "net.ipv4.conf.a0.rp_filter=1", ns_r) == 0);
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECKF(rp_refused(&r), "err %d rp_filter %d", r.err, r.rp_filter);
	/* A symmetric source passes strict mode; a packet the router sends
	 * itself is never filtered. */
	q.src = ip("10.10.1.2");
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECK_EQ_INT(r.err, 0);
	q.iif = NULL;
	q.src = 0;
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECK_EQ_INT(r.err, 0);
	CHECK(unit_sh("ip netns exec %s sysctl -qw net.ipv4.conf.all.rp_filter=0 "
		 "net.ipv4.conf.a0.rp_filter=0", ns_r) == 0);
}

static void test_route_error_routes(void)
{
	static const struct {
		const char *add, *dst;
		uint8_t type;
		int err;
		const char *prefix;
	} cases[] = {
		{ "blackhole 10.99.0.0/16", "10.99.1.1", RTN_BLACKHOLE, -EINVAL, "10.99.0.0" },
		{ "prohibit 10.98.0.0/16", "10.98.1.1", RTN_PROHIBIT, -EACCES, "10.98.0.0" },
		{ "unreachable 10.97.0.0/16", "10.97.1.1", RTN_UNREACHABLE, -EHOSTUNREACH, "10.97.0.0" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct obs_route_query q = { .dst = ip(cases[i].dst) };
		struct obs_route r;

		if (!CHECK(unit_sh("ip -n %s route add %s", ns_r, cases[i].add) == 0))
			continue;
		/* Sent from here and forwarded: the kernel's error, and the
		 * entry behind it, which the lookup itself does not name. */
		for (int fwd = 0; fwd < 2; fwd++) {
			q.src = fwd ? ip("10.10.1.2") : 0;
			q.iif = fwd ? "a0" : NULL;
			CHECK(obs_route_get(ns_r, &q, &r) == 0);
			CHECKF(r.err == cases[i].err, "%s fwd=%d: err %d", cases[i].add, fwd, r.err);
			CHECKF(r.matched && r.type == cases[i].type, "%s: type %u", cases[i].add,
			       r.type);
			CHECK_EQ_INT(r.dst, ip(cases[i].prefix));
			CHECK_EQ_INT(r.plen, 16);
			CHECK_EQ_INT(r.table, RT_TABLE_MAIN);
			CHECK(!r.forwarding_off);
		}
		CHECK(obs_route_match(ns_r, &q, &r) == 0);
		CHECK_EQ_INT(r.type, cases[i].type);
	}
}

static void test_route_policy_and_forwarding(void)
{
	struct obs_route_query q = { .dst = ip("10.10.2.2"), .mark = 0x7 };
	struct obs_sysctls s;
	struct obs_route r;

	/* Marked packets look in table 100, where 10.10.2.0/24 is unreachable. */
	if (CHECK(unit_sh("ip -n %s rule add fwmark 0x7 lookup 100 pref 100 && "
		     "ip -n %s route add unreachable 10.10.2.0/24 table 100", ns_r, ns_r) == 0)) {
		CHECK(obs_route_get(ns_r, &q, &r) == 0);
		CHECK_EQ_INT(r.err, -EHOSTUNREACH);
		CHECK_EQ_INT(r.type, RTN_UNREACHABLE);
		CHECK_EQ_INT(r.table, 100);
		CHECK_EQ_INT(r.rule_prio, 100);
		q.mark = 0;
		CHECK(obs_route_get(ns_r, &q, &r) == 0);
		CHECK_EQ_INT(r.err, 0);
		CHECK_EQ_STR(r.oif_name, "a1");
		unit_sh("ip -n %s rule del pref 100", ns_r);
	}

	/* Forwarding off on the input device: the route exists, the kernel
	 * refuses to forward in from a0. */
	if (!CHECK(unit_sh("ip netns exec %s sysctl -qw net.ipv4.conf.a0.forwarding=0", ns_r) == 0))
		return;
	CHECK(obs_sysctl_read(ns_r, "a0", &s) == 0);
	CHECK(s.forwarding.present && s.forwarding.num == 0);
	CHECK(s.ip_forward.present && s.ip_forward.num == 1);
	q = (struct obs_route_query){ .dst = ip("10.10.2.2"), .src = ip("10.10.1.2"), .iif = "a0" };
	CHECK(obs_route_get(ns_r, &q, &r) == 0);
	CHECK_EQ_INT(r.err, -EHOSTUNREACH);
	CHECK(r.forwarding_off);
	CHECK_EQ_INT(r.type, RTN_UNICAST);
	CHECK_EQ_STR(r.oif_name, "a1");
	CHECK(unit_sh("ip netns exec %s sysctl -qw net.ipv4.conf.a0.forwarding=1", ns_r) == 0);
}

static void test_sysctl(void)
{
	struct obs_sysctl_val v;
	struct obs_sysctls s;
	bool brnf = access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) == 0;

	/* A fresh namespace does not forward: read 0, present. */
	CHECK(obs_sysctl_read(ns_s, "s0", &s) == 0);
	CHECK(s.ip_forward.present && s.ip_forward.numeric);
	CHECK_EQ_INT(s.ip_forward.num, 0);
	CHECK(obs_sysctl_read(ns_r, "a0", &s) == 0);
	CHECK_EQ_INT(s.ip_forward.num, 1);
	CHECK(s.rp_filter_all.present && s.rp_filter.present && s.forwarding.present);
	/* Present exactly where br_netfilter is (loaded or built in). */
	CHECK_EQ_INT(s.bridge_nf_call_iptables.present, brnf);
	CHECK(s.conntrack_max.present && s.conntrack_max.num > 0);
	CHECK(s.conntrack_count.present && s.conntrack_count.numeric);

	/* Absent is absent, not 0; a per-interface key of no interface too. */
	CHECK(obs_sysctl_read(ns_r, "nope0", &s) == 0);
	CHECK(!s.rp_filter.present && !s.forwarding.present);
	CHECK(s.ip_forward.present);
	CHECK(obs_sysctl_get(ns_r, "net.ipv4.conf.nope0.rp_filter", &v) == 0);
	CHECK(!v.present);
	CHECK(obs_sysctl_get(ns_r, "net.ipv4.ip_local_port_range", &v) == 0);
	CHECK(v.present && !v.numeric);
	CHECK(obs_sysctl_get(ns_r, "net/ipv4/conf/a0/forwarding", &v) == 0);
	CHECK(v.present && v.numeric && v.num == 1);
	CHECK_EQ_INT(obs_sysctl_get(ns_r, "kernel.hostname", &v), -EINVAL);
	CHECK_EQ_INT(obs_sysctl_read(ns_r, "../x", &s), -EINVAL);
}

/* Wait (bounded) for a link's field to become what a test set. */
static bool link_wait(const char *ns, const char *ifname, bool (*ok)(const struct obs_link *),
		      struct obs_link *l)
{
	for (int i = 0; i < 500; i++) {
		if (obs_link_get(ns, ifname, l) == 0 && ok(l))
			return true;
		usleep(10000);
	}
	return false;
}

static bool carrier_on(const struct obs_link *l) { return l->carrier; }
static bool carrier_off(const struct obs_link *l) { return !l->carrier; }
static bool forwarding(const struct obs_link *l) { return l->port_state == BR_STATE_FORWARDING; }

static void test_link(void)
{
	struct obs_link l, peer;
	char name[64];

	CHECK(obs_link_get(ns_r, "a0", &l) == 0);
	CHECK(l.admin_up && l.carrier);
	CHECK_EQ_STR(obs_link_operstate_name(l.operstate), "up");
	CHECK_EQ_INT(l.mtu, 1500);
	CHECK_EQ_STR(l.kind, "veth");
	CHECK(!l.bridge_port && l.master == 0);
	/* The peer: its index in the client namespace, which is found by name. */
	CHECK(obs_link_get(ns_c, "c0", &peer) == 0);
	CHECK_EQ_INT(l.peer_ifindex, peer.ifindex);
	CHECK(l.peer_nsid >= 0);
	CHECK(obs_link_nsid_name(ns_r, l.peer_nsid, prefix, name, sizeof(name)) == 0);
	CHECK_EQ_STR(name, ns_c);

	CHECK(unit_sh("ip -n %s link set a0 mtu 1400", ns_r) == 0);
	CHECK(obs_link_get(ns_r, "a0", &l) == 0);
	CHECK_EQ_INT(l.mtu, 1400);
	unit_sh("ip -n %s link set a0 mtu 1500", ns_r);

	/* Down: admin and oper state here, carrier at the far end. */
	CHECK(unit_sh("ip -n %s link set a1 down", ns_r) == 0);
	CHECK(obs_link_get(ns_r, "a1", &l) == 0);
	CHECK(!l.admin_up);
	CHECK_EQ_STR(obs_link_operstate_name(l.operstate), "down");
	CHECK(link_wait(ns_s, "s0", carrier_off, &l));
	CHECK(l.admin_up && l.operstate != IF_OPER_UP);
	CHECK(unit_sh("ip -n %s link set a1 up", ns_r) == 0);
	CHECK(link_wait(ns_s, "s0", carrier_on, &l));

	CHECK_EQ_INT(obs_link_get(ns_r, "nope0", &l), -ENODEV);
}

static void test_bridge_port(void)
{
	const char *blocked = NULL, *other = NULL;
	struct obs_link l, q0, q1;

	if (!CHECK(unit_sh("set -e; ip -n %s link add br0 type bridge\n"
		      "ip -n %s link add p0 type veth peer name p1\n"
		      "ip -n %s link set p0 master br0\n"
		      "ip -n %s link set br0 up; ip -n %s link set p1 up; ip -n %s link set p0 up",
		      ns_r, ns_r, ns_r, ns_r, ns_r, ns_r) == 0))
		return;
	/* No STP: a port forwards once it has carrier. */
	CHECK(link_wait(ns_r, "p0", forwarding, &l));
	CHECK(l.bridge_port);
	CHECK_EQ_STR(l.master_name, "br0");
	CHECK(!l.hairpin);
	CHECK(obs_link_get(ns_r, "br0", &l) == 0);
	CHECK_EQ_STR(l.kind, "bridge");
	CHECK(!l.bridge_port);

	CHECK(unit_sh("ip netns exec %s bridge link set dev p0 hairpin on", ns_r) == 0);
	CHECK(obs_link_get(ns_r, "p0", &l) == 0);
	CHECK(l.hairpin);
	/* A port whose link is down is disabled. */
	CHECK(unit_sh("ip -n %s link set p0 down", ns_r) == 0);
	CHECK(obs_link_get(ns_r, "p0", &l) == 0);
	CHECK_EQ_STR(obs_link_port_state_name(l.port_state), "disabled");

	/* Blocking needs STP, and STP holds it only on a loop: both ends of
	 * one veth on one bridge. (Without STP the kernel puts a port set
	 * to blocking straight back to forwarding.) */
	if (!CHECK(unit_sh("set -e; ip -n %s link add br1 type bridge stp_state 1 forward_delay 200\n"
		      "ip -n %s link add q0 type veth peer name q1\n"
		      "ip -n %s link set q0 master br1; ip -n %s link set q1 master br1\n"
		      "ip -n %s link set br1 up; ip -n %s link set q0 up; ip -n %s link set q1 up",
		      ns_r, ns_r, ns_r, ns_r, ns_r, ns_r, ns_r) == 0))
		return;
	for (int i = 0; i < 1500 && !blocked; i++) {
		if (obs_link_get(ns_r, "q0", &q0) == 0 && obs_link_get(ns_r, "q1", &q1) == 0) {
			if (q0.port_state == BR_STATE_BLOCKING)
				blocked = "q0", other = "q1";
			else if (q1.port_state == BR_STATE_BLOCKING)
				blocked = "q1", other = "q0";
		}
		if (!blocked)
			usleep(10000);
	}
	if (!CHECK(blocked != NULL))
		return;
	/* bridge(8) agrees, and the loop's other end is not blocked. */
	CHECK(unit_sh("ip netns exec %s bridge link show dev %s | grep -q 'state blocking'",
		 ns_r, blocked) == 0);
	CHECK(obs_link_get(ns_r, other, &l) == 0);
	CHECK(l.bridge_port && l.port_state != BR_STATE_BLOCKING);
	unit_sh("ip -n %s link del br1; ip -n %s link del q0", ns_r, ns_r);
}

static void test_neigh(void)
{
	static const uint8_t wrong[6] = { 2, 0, 0, 0, 0, 0x99 }, real[6] = { 2, 0, 0, 0, 0, 0x11 };
	struct obs_addr_owner o;
	struct obs_neigh n;
	char buf[16];

	if (!CHECK(unit_sh("ip -n %s neigh replace 10.10.2.2 lladdr 02:00:00:00:00:99 dev a1 "
		      "nud permanent", ns_r) == 0))
		return;
	/* The router's static entry, and the server's real MAC beside it. */
	CHECK(obs_neigh_get(ns_r, "a1", ip("10.10.2.2"), &n) == 0);
	CHECK_EQ_STR(obs_neigh_state_name(n.state, buf), "permanent");
	CHECK(n.has_lladdr && !memcmp(n.lladdr, wrong, 6));
	CHECK(obs_neigh_owner(ns_s, ip("10.10.2.2"), &o) == 0);
	CHECK_EQ_STR(o.ifname, "s0");
	CHECK_EQ_INT(o.plen, 24);
	CHECK(!memcmp(o.mac, real, 6));

	CHECK_EQ_INT(obs_neigh_owner(ns_c, ip("10.10.2.2"), &o), -ENOENT);
	CHECK_EQ_INT(obs_neigh_get(ns_r, "a1", ip("10.10.2.77"), &n), -ENOENT);
	CHECK_EQ_INT(obs_neigh_get(ns_r, "nope0", ip("10.10.2.2"), &n), -ENODEV);
	unit_sh("ip -n %s neigh del 10.10.2.2 dev a1", ns_r);
}

/* A socket of ours, made inside ns, bound to addr:port (v6: [::]). */
static int sock_in(const char *ns, int family, int type, const char *addr, uint16_t port,
		   int v6only)
{
	int fd = netns_socket(ns, family, type, 0), one = 1;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				     .sin6_addr = IN6ADDR_ANY_INIT };
	int ret;

	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
		ret = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));
	} else {
		sin.sin_addr.s_addr = htonl(ip(addr));
		ret = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	}
	if (ret == 0 && type == SOCK_STREAM)
		ret = listen(fd, 4);
	if (ret < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_listener(void)
{
	int fds[5] = {
		sock_in(ns_s, AF_INET, SOCK_STREAM, "10.10.2.2", 8080, 0),
		sock_in(ns_s, AF_INET, SOCK_STREAM, "127.0.0.1", 9090, 0),
		sock_in(ns_s, AF_INET, SOCK_DGRAM, "0.0.0.0", 5353, 0),
		sock_in(ns_s, AF_INET6, SOCK_STREAM, NULL, 7070, 0),
		sock_in(ns_s, AF_INET6, SOCK_STREAM, NULL, 7071, 1),
	};
	struct obs_listener l;
	char comm[32];
	int pid = 0;

	for (size_t i = 0; i < 5; i++)
		CHECKF(fds[i] >= 0, "socket %zu", i);

	CHECK(obs_listener_find(ns_s, IPPROTO_TCP, ip("10.10.2.2"), 8080, &l) == 0);
	CHECK(l.found && !l.v6);
	CHECK_EQ_INT(l.addr, ip("10.10.2.2"));
	CHECK(l.inode != 0);
	/* Its owner: this process (it made the socket there and came back). */
	CHECK(obs_listener_process(ns_s, l.inode, &pid, comm, sizeof(comm)) == 0);
	CHECK_EQ_INT(pid, getpid());
	/* Nothing on 8081; nothing on 8080 in the router. */
	CHECK(obs_listener_find(ns_s, IPPROTO_TCP, ip("10.10.2.2"), 8081, &l) == 0);
	CHECK(!l.found && !l.elsewhere);
	CHECK(obs_listener_find(ns_r, IPPROTO_TCP, 0, 8080, &l) == 0);
	CHECK(!l.found);

	/* Loopback only: not found on the pod address, and said why. */
	CHECK(obs_listener_find(ns_s, IPPROTO_TCP, ip("10.10.2.2"), 9090, &l) == 0);
	CHECK(!l.found && l.elsewhere);
	CHECK_EQ_INT(l.elsewhere_addr, ip("127.0.0.1"));
	CHECK(obs_listener_find(ns_s, IPPROTO_TCP, ip("127.0.0.1"), 9090, &l) == 0);
	CHECK(l.found);

	/* UDP bound to the wildcard counts for any address; not for TCP. */
	CHECK(obs_listener_find(ns_s, IPPROTO_UDP, ip("10.10.2.2"), 5353, &l) == 0);
	CHECK(l.found && l.addr == 0);
	CHECK(obs_listener_find(ns_s, IPPROTO_TCP, ip("10.10.2.2"), 5353, &l) == 0);
	CHECK(!l.found);

	/* [::] takes IPv4 too, unless IPV6_V6ONLY. */
	CHECK(obs_listener_find(ns_s, IPPROTO_TCP, ip("10.10.2.2"), 7070, &l) == 0);
	CHECK(l.found && l.v6 && l.addr == 0);
	CHECK(obs_listener_find(ns_s, IPPROTO_TCP, ip("10.10.2.2"), 7071, &l) == 0);
	CHECK(!l.found);
	CHECK_EQ_INT(obs_listener_find(ns_s, IPPROTO_ICMP, 0, 1, &l), -EPROTONOSUPPORT);

	for (size_t i = 0; i < 5; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Compare a snapshot with what iptables-legacy-save prints in ns: every
 * "-A" line, table by table, in order, and every built-in chain's policy. */
static void compare_with_save(const char *ns, const struct obs_ipt_snapshot *s)
{
	char cmd[256], line[2048], table[32] = "";
	size_t i = 0, lines = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s iptables-legacy-save", ns);
	f = popen(cmd, "r");
	if (!CHECK(f != NULL))
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '*') {
			snprintf(table, sizeof(table), "%.31s", line + 1);
			continue;
		}
		if (line[0] == ':') {	/* ":FORWARD ACCEPT [0:0]" */
			char chain[32], policy[32], want[80];

			if (sscanf(line, ":%31s %31s", chain, policy) != 2 || !strcmp(policy, "-"))
				continue;
			snprintf(want, sizeof(want), "-P %s %s", chain, policy);
			for (size_t j = 0; j < s->n; j++)
				if (!strcmp(s->rules[j].table, table) &&
				    !strcmp(s->rules[j].chain, chain) && s->rules[j].num == 0)
					CHECK_EQ_STR(s->rules[j].text, want);
			continue;
		}
		if (strncmp(line, "-A ", 3))
			continue;
		while (i < s->n && s->rules[i].num == 0)
			i++;
		if (!CHECKF(i < s->n, "no rule for \"%s\"", line))
			break;
		CHECK_EQ_STR(s->rules[i].table, table);
		CHECK_EQ_STR(s->rules[i].text, line);
		i++;
		lines++;
	}
	pclose(f);
	while (i < s->n && s->rules[i].num == 0)
		i++;
	CHECKF(i == s->n, "%zu rules more than iptables-legacy-save printed", s->n - i);
	CHECK(lines > 0);
}

static void test_ipt_render_matches_save(void)
{
	struct obs_ipt_snapshot s;

	/* Rules of every kind the renderer knows, in the server, where no
	 * probe passes; the text must be iptables-legacy-save's, byte for byte. */
	if (!CHECK(unit_sh("ip netns exec %s sh -e -c '"
		      "ipt=iptables-legacy\n"
		      "$ipt -N KUBE-SVC-X; $ipt -N KUBE-SEP-A\n"
		      "$ipt -A INPUT -s 10.244.1.0/24 -i eth0 -p tcp -j DROP\n"
		      "$ipt -A INPUT ! -s 10.0.0.0/8 -d 10.0.1.0/255.0.255.0 -i veth+ ! -p udp -j ACCEPT\n"
		      "$ipt -A INPUT -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-X\n"
		      "$ipt -A INPUT -p tcp -m tcp --sport 1024:2048 ! --dport 80 --tcp-flags SYN,RST,ACK SYN -j ACCEPT\n"
		      "$ipt -A INPUT -m mark --mark 0x4000/0x4000 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
		      "$ipt -A INPUT -m state --state NEW -m comment --comment plain -j ACCEPT\n"
		      "$ipt -A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT\n"
		      "$ipt -A INPUT -m addrtype --dst-type LOCAL -p tcp -m multiport --dports 80,443,8000:8080 -j REJECT --reject-with icmp-port-unreachable\n"
		      "$ipt -A OUTPUT -f -o lo -g KUBE-SVC-X\n"
		      "$ipt -A INPUT -s 192.0.2.1\n"
		      "$ipt -A OUTPUT -j MARK --set-xmark 0x4000/0x4000\n"
		      "$ipt -A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A\n"
		      "$ipt -P FORWARD DROP\n"
		      "$ipt -t nat -N KUBE-SEP-A\n"
		      "$ipt -t nat -A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080\n"
		      "$ipt -t nat -A POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE --random-fully\n"
		      "$ipt -t nat -A POSTROUTING -s 10.244.0.0/16 -j SNAT --to-source 172.18.0.2-172.18.0.3 --persistent\n"
		      "'", ns_s) == 0))
		return;
	CHECK(obs_ipt_snapshot_take(ns_s, &s) == 0);
	CHECK(s.ntables >= 2);
	compare_with_save(ns_s, &s);
	obs_ipt_snapshot_free(&s);
}

/* Snapshot ns until the diff against before is not empty (bounded). */
static bool wait_diff(const char *ns, const struct obs_ipt_snapshot *before,
		      struct obs_ipt_snapshot *after, struct obs_ipt_delta **d, size_t *n)
{
	for (int i = 0; i < 500; i++) {
		if (obs_ipt_snapshot_take(ns, after) < 0)
			return false;
		if (obs_ipt_diff(before, after, d, n) < 0) {
			obs_ipt_snapshot_free(after);
			return false;
		}
		if (*n)
			return true;
		free(*d);
		obs_ipt_snapshot_free(after);
		usleep(10000);
	}
	return false;
}

static void send_udp(const char *ns, const char *dst, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = netns_socket(ns, AF_INET, SOCK_DGRAM, 0);

	sin.sin_addr.s_addr = htonl(ip(dst));
	if (CHECK(fd >= 0)) {
		CHECK(sendto(fd, "probe", 5, 0, (struct sockaddr *)&sin, sizeof(sin)) == 5);
		close(fd);
	}
}

static void test_ipt_counts_probe(void)
{
	struct obs_ipt_snapshot before, after;
	struct obs_ipt_delta *d = NULL;
	size_t n = 0;

	/* Reading creates nothing: the client has no table before or after. */
	CHECK(obs_ipt_snapshot_take(ns_c, &before) == 0);
	CHECK_EQ_INT(before.ntables, 0);
	CHECK_EQ_INT(before.n, 0);
	obs_ipt_snapshot_free(&before);
	CHECK(unit_sh("ip netns exec %s sh -c '! grep -q . /proc/net/ip_tables_names'", ns_c) == 0);

	if (!CHECK(unit_sh("ip netns exec %s sh -e -c '"
		      "iptables-legacy -A FORWARD -s 192.0.2.0/24 -j ACCEPT\n"
		      "iptables-legacy -A FORWARD -s 10.10.1.0/24 -i a0 -p udp -j DROP'", ns_r) == 0))
		return;
	if (!CHECK(obs_ipt_snapshot_take(ns_r, &before) == 0))
		return;
	CHECK_EQ_INT(before.ntables, 1);
	send_udp(ns_c, "10.10.2.2", 9999);
	if (CHECK(wait_diff(ns_r, &before, &after, &d, &n))) {
		if (CHECK(n == 1)) {
			CHECK_EQ_STR(d[0].rule->table, "filter");
			CHECK_EQ_STR(d[0].rule->chain, "FORWARD");
			CHECK_EQ_INT(d[0].rule->num, 2);
			CHECK_EQ_STR(d[0].rule->text,
				     "-A FORWARD -s 10.10.1.0/24 -i a0 -p udp -j DROP");
			CHECK_EQ_INT(d[0].pkts, 1);
			CHECK_EQ_INT(d[0].bytes, 20 + 8 + 5);
		}
		free(d);
		obs_ipt_snapshot_free(&before);
		before = after;
	}

	/* A TCP SYN matches no rule: the FORWARD policy counted it. */
	{
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(80) };
		int fd = netns_socket(ns_c, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

		sin.sin_addr.s_addr = htonl(ip("10.10.2.2"));
		if (CHECK(fd >= 0)) {
			connect(fd, (struct sockaddr *)&sin, sizeof(sin));
			if (CHECK(wait_diff(ns_r, &before, &after, &d, &n))) {
				CHECK(n >= 1);
				for (size_t i = 0; i < n; i++) {
					CHECK_EQ_INT(d[i].rule->num, 0);
					CHECK_EQ_STR(d[i].rule->text, "-P FORWARD ACCEPT");
				}
				free(d);
				obs_ipt_snapshot_free(&after);
			}
			close(fd);
		}
	}
	obs_ipt_snapshot_free(&before);
}

/* What one read costs here (under the sanitizers: the release build is
 * faster; tests/bench/observe.sh measures that). Printed, never asserted. */
static void report_costs(void)
{
	struct obs_route_query q = { .dst = ip("10.10.2.2"), .src = ip("10.10.1.2"), .iif = "a0" };
	struct obs_ipt_snapshot s;
	struct obs_listener li;
	struct obs_sysctls sy;
	struct obs_neigh ne;
	struct obs_route r;
	struct obs_link l;
	double t0 = now_ms();
	const int n = 50;

	for (int i = 0; i < n; i++) {
		obs_route_get(ns_r, &q, &r);
		obs_sysctl_read(ns_r, "a0", &sy);
		obs_link_get(ns_r, "a0", &l);
		obs_neigh_get(ns_r, "a1", ip("10.10.2.2"), &ne);
		obs_listener_find(ns_s, IPPROTO_TCP, ip("10.10.2.2"), 80, &li);
		if (obs_ipt_snapshot_take(ns_r, &s) == 0)
			obs_ipt_snapshot_free(&s);
	}
	printf("unit: observe: one hop's six reads %.2f ms (ASan build, mean of %d)\n",
	       (now_ms() - t0) / n, n);
}

static int run_tests(void)
{
	if (!CHECK(setup() == 0))
		return unit_summary();
	RUN(test_route);
	RUN(test_route_rp_filter);
	RUN(test_route_error_routes);
	RUN(test_route_policy_and_forwarding);
	RUN(test_sysctl);
	RUN(test_link);
	RUN(test_bridge_port);
	RUN(test_neigh);
	RUN(test_listener);
	RUN(test_ipt_render_matches_save);
	RUN(test_ipt_counts_probe);
	report_costs();
	return unit_summary();
}

static volatile sig_atomic_t child_pid;

/* SIGTERM whatever came: the child ignores SIGINT while system() runs. */
static void forward_signal(int sig)
{
	(void)sig;
	if (child_pid > 0)
		kill(child_pid, SIGTERM);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = forward_signal };
	int st = 0, ret;
	pid_t pid;

	if (geteuid() != 0) {
		printf("unit: skip test_observe (needs root)\n");
		return 0;
	}
	snprintf(prefix, sizeof(prefix), "ppt-obs-%d-", (int)getpid());
	snprintf(ns_c, sizeof(ns_c), "%sc", prefix);
	snprintf(ns_r, sizeof(ns_r), "%sr", prefix);
	snprintf(ns_s, sizeof(ns_s), "%ss", prefix);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		exit(run_tests());
	/* The namespaces go whatever happens to the child: a signal to us is
	 * passed on, and we remove them once it has ended. */
	child_pid = pid;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while ((ret = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	unit_sh("for n in %s %s %s; do ! ip netns list | grep -qw \"^$n\" || ip netns del $n; done",
	   ns_c, ns_r, ns_s);
	if (ret < 0 || !WIFEXITED(st)) {
		fprintf(stderr, "unit: test_observe: the test process died (status 0x%x)\n", st);
		return 1;
	}
	return WEXITSTATUS(st);
}
