/* The observers' pure parts, from fixtures: an iptables-legacy rule as
 * iptables-save prints it (hand-built ipt_entry buffers, the layout the
 * kernel hands libiptc), the difference of two counter snapshots (which
 * rule counted the probe, also when rules moved), the FIB walk that names
 * the entry behind a refused lookup, and the name tables. test_observe.c
 * checks the same code against the kernel. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_statistic.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/rtnetlink.h>

#include "addr.h"
#include "trace/observe/iptlegacy.h"
#include "trace/observe/iptrule.h"
#include "trace/observe/link.h"
#include "trace/observe/neigh.h"
#include "trace/observe/route.h"
#include "trace/observe/sysctl.h"
#include "unit.h"

/* An ipt_entry under construction: header, matches, then the target. */
struct rule {
	union {
		struct ipt_entry e;
		char buf[2048];
	} u __attribute__((aligned(8)));
	size_t off;
};

static struct ipt_entry *rule_init(struct rule *r)
{
	memset(r, 0, sizeof(*r));
	r->off = sizeof(struct ipt_entry);
	return &r->u.e;
}

static uint32_t ip4(const char *s)
{
	uint32_t a = 0;

	addr_parse(s, &a);
	return htonl(a);
}

static void rule_addr(struct rule *r, bool src, const char *a, uint8_t len)
{
	struct ipt_ip *ip = &r->u.e.ip;
	uint32_t m = htonl(len ? 0xffffffffu << (32 - len) : 0);

	if (src) {
		ip->src.s_addr = ip4(a);
		ip->smsk.s_addr = m;
	} else {
		ip->dst.s_addr = ip4(a);
		ip->dmsk.s_addr = m;
	}
}

/* As xtables_parse_interface stores "eth0" (mask covers the NUL) or "eth+". */
static void rule_iface(char *name, unsigned char *mask, const char *v)
{
	size_t n = strlen(v);

	strcpy(name, v);
	memset(mask, 0xff, v[n - 1] == '+' ? n - 1 : n + 1);
}

static void rule_match(struct rule *r, const char *name, uint8_t rev, const void *data, size_t size)
{
	struct xt_entry_match *m = (struct xt_entry_match *)(r->u.buf + r->off);
	uint16_t total = (uint16_t)XT_ALIGN(sizeof(*m) + size);

	m->u.match_size = total;
	snprintf(m->u.user.name, sizeof(m->u.user.name), "%s", name);
	m->u.user.revision = rev;
	memcpy(m->data, data, size);
	r->off += total;
}

/* name "" is the standard target (verdict from the caller's label). */
static void rule_target(struct rule *r, const char *name, uint8_t rev, const void *data, size_t size)
{
	struct xt_entry_target *t = (struct xt_entry_target *)(r->u.buf + r->off);
	uint16_t total = (uint16_t)XT_ALIGN(sizeof(*t) + (size ? size : sizeof(int)));

	r->u.e.target_offset = (uint16_t)r->off;
	t->u.target_size = total;
	snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", name);
	t->u.user.revision = rev;
	if (size)
		memcpy(t->data, data, size);
	r->off += total;
	r->u.e.next_offset = (uint16_t)r->off;
}

static const char *render(struct rule *r, const char *chain, const char *target)
{
	static char out[1024];

	obs_iptrule_render(chain, &r->u.e, target, out, sizeof(out));
	return out;
}

static void test_render_basic(void)
{
	struct rule r;
	struct ipt_entry *e = rule_init(&r);

	/* The brief's example, as iptables-legacy-save prints it. */
	rule_addr(&r, true, "10.244.1.0", 24);
	rule_iface(e->ip.iniface, e->ip.iniface_mask, "eth0");
	e->ip.proto = IPPROTO_TCP;
	rule_target(&r, "", 0, NULL, 0);
	CHECK_EQ_STR(render(&r, "FORWARD", "DROP"), "-A FORWARD -s 10.244.1.0/24 -i eth0 -p tcp -j DROP");

	/* A fall-through rule has no -j; a host address keeps its /32. */
	e = rule_init(&r);
	rule_addr(&r, false, "10.96.0.10", 32);
	rule_target(&r, "", 0, NULL, 0);
	CHECK_EQ_STR(render(&r, "OUTPUT", ""), "-A OUTPUT -d 10.96.0.10/32");

	/* Negations, a wildcard interface, a protocol by number, fragments,
	 * a mask that is not a prefix, goto. */
	e = rule_init(&r);
	rule_addr(&r, true, "10.0.0.0", 8);
	e->ip.invflags = IPT_INV_SRCIP | IPT_INV_VIA_OUT | IPT_INV_PROTO;
	rule_iface(e->ip.outiface, e->ip.outiface_mask, "veth+");
	e->ip.proto = IPPROTO_UDP;
	e->ip.flags = IPT_F_FRAG | IPT_F_GOTO;
	e->ip.dst.s_addr = ip4("10.0.1.0");
	e->ip.dmsk.s_addr = ip4("255.0.255.0");
	rule_target(&r, "", 0, NULL, 0);
	CHECK_EQ_STR(render(&r, "FORWARD", "KUBE-X"),
		     "-A FORWARD ! -s 10.0.0.0/8 -d 10.0.1.0/255.0.255.0 ! -o veth+ ! -p udp -f -g KUBE-X");
	e->ip.proto = 47;
	e->ip.invflags = 0;
	e->ip.flags = 0;
	CHECK_HAS_STR(render(&r, "FORWARD", "ACCEPT"), " -o veth+ -p 47 -j ACCEPT");
}

static void test_render_matches(void)
{
	struct xt_comment_info c = { .comment = "kube-system/kube-dns:dns cluster IP" };
	struct xt_udp u = { .spts = { 0, 0xffff }, .dpts = { 53, 53 } };
	struct xt_tcp t = { .spts = { 1024, 2048 }, .dpts = { 80, 80 }, .flg_mask = 0x17,
			    .flg_cmp = 0x02, .invflags = XT_TCP_INV_DSTPT };
	struct xt_mark_mtinfo1 mk = { .mark = 0x4000, .mask = 0x4000 };
	struct xt_conntrack_mtinfo3 ct = { .match_flags = XT_CONNTRACK_STATE,
		.state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
			      XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) };
	struct xt_statistic_info st = { .mode = XT_STATISTIC_MODE_RANDOM,
					.u.random.probability = 0x40000000u };
	struct rule r;
	struct ipt_entry *e = rule_init(&r);

	rule_addr(&r, false, "10.96.0.10", 32);
	e->ip.proto = IPPROTO_UDP;
	rule_match(&r, "comment", 0, &c, sizeof(c));
	rule_match(&r, "udp", 0, &u, sizeof(u));
	rule_target(&r, "", 0, NULL, 0);
	CHECK_EQ_STR(render(&r, "KUBE-SERVICES", "KUBE-SVC-TCOU7JCQXEZGVUNU"),
		     "-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "
		     "\"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU");

	/* A bare word is not quoted; quotes and backslashes are escaped. */
	e = rule_init(&r);
	snprintf(c.comment, sizeof(c.comment), "kube-dns");
	rule_match(&r, "comment", 0, &c, sizeof(c));
	rule_target(&r, "", 0, NULL, 0);
	CHECK_EQ_STR(render(&r, "X", ""), "-A X -m comment --comment kube-dns");
	e = rule_init(&r);
	snprintf(c.comment, sizeof(c.comment), "a \"b\" c\\");
	rule_match(&r, "comment", 0, &c, sizeof(c));
	rule_target(&r, "", 0, NULL, 0);
	CHECK_EQ_STR(render(&r, "X", ""), "-A X -m comment --comment \"a \\\"b\\\" c\\\\\"");

	e = rule_init(&r);
	e->ip.proto = IPPROTO_TCP;
	rule_match(&r, "tcp", 0, &t, sizeof(t));
	rule_match(&r, "mark", 1, &mk, sizeof(mk));
	rule_match(&r, "conntrack", 3, &ct, sizeof(ct));
	rule_match(&r, "statistic", 0, &st, sizeof(st));
	rule_target(&r, "", 0, NULL, 0);
	CHECK_EQ_STR(render(&r, "F", "ACCEPT"),
		     "-A F -p tcp -m tcp --sport 1024:2048 ! --dport 80 --tcp-flags FIN,SYN,RST,ACK SYN"
		     " -m mark --mark 0x4000/0x4000 -m conntrack --ctstate RELATED,ESTABLISHED"
		     " -m statistic --mode random --probability 0.50000000000 -j ACCEPT");

	/* `-m state` is conntrack with the alias flag (iptables 1.8). */
	e = rule_init(&r);
	ct.match_flags = XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS;
	ct.state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_NEW);
	rule_match(&r, "conntrack", 3, &ct, sizeof(ct));
	rule_target(&r, "", 0, NULL, 0);
	CHECK_EQ_STR(render(&r, "F", "ACCEPT"), "-A F -m state --state NEW -j ACCEPT");
	ct.match_flags = XT_CONNTRACK_STATE;

	/* What is not rendered is still named: a conntrack match with other
	 * selectors, an unknown match, a known match of another revision. */
	e = rule_init(&r);
	ct.match_flags |= XT_CONNTRACK_ORIGDST;
	rule_match(&r, "conntrack", 3, &ct, sizeof(ct));
	rule_match(&r, "physdev", 0, "x", 2);
	rule_match(&r, "mark", 0, &mk, sizeof(mk));
	rule_target(&r, "", 0, NULL, 0);
	CHECK_EQ_STR(render(&r, "F", "DROP"), "-A F -m conntrack -m physdev -m mark -j DROP");
}

static void test_render_targets(void)
{
	struct nf_nat_range2 dn = { .flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED };
	struct nf_nat_ipv4_multi_range_compat mq = { .rangesize = 1 };
	struct xt_mark_tginfo2 mt = { .mark = 0x4000, .mask = 0x4000 };
	struct ipt_reject_info rj = { .with = IPT_ICMP_PORT_UNREACHABLE };
	struct rule r;
	struct ipt_entry *e = rule_init(&r);

	dn.min_addr.ip = dn.max_addr.ip = ip4("10.244.1.2");
	dn.min_proto.all = dn.max_proto.all = htons(8080);
	e->ip.proto = IPPROTO_TCP;
	rule_target(&r, "DNAT", 2, &dn, sizeof(dn));
	CHECK_EQ_STR(render(&r, "KUBE-SEP-A", "DNAT"),
		     "-A KUBE-SEP-A -p tcp -j DNAT --to-destination 10.244.1.2:8080");
	e = rule_init(&r);
	dn.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PERSISTENT;
	dn.max_addr.ip = ip4("10.244.1.9");
	rule_target(&r, "SNAT", 1, &dn, sizeof(struct nf_nat_range));
	CHECK_EQ_STR(render(&r, "P", "SNAT"),
		     "-A P -j SNAT --to-source 10.244.1.2-10.244.1.9 --persistent");

	e = rule_init(&r);
	mq.range[0].flags = NF_NAT_RANGE_PROTO_RANDOM_FULLY;
	rule_target(&r, "MASQUERADE", 0, &mq, sizeof(mq));
	CHECK_EQ_STR(render(&r, "KUBE-POSTROUTING", "MASQUERADE"),
		     "-A KUBE-POSTROUTING -j MASQUERADE --random-fully");
	e = rule_init(&r);
	rule_target(&r, "MARK", 2, &mt, sizeof(mt));
	CHECK_EQ_STR(render(&r, "KUBE-MARK-MASQ", "MARK"),
		     "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000");
	e = rule_init(&r);
	rule_target(&r, "REJECT", 0, &rj, sizeof(rj));
	CHECK_EQ_STR(render(&r, "KUBE-SERVICES", "REJECT"),
		     "-A KUBE-SERVICES -j REJECT --reject-with icmp-port-unreachable");
	/* An extension without a printer, and a target too short to read. */
	e = rule_init(&r);
	rule_target(&r, "CT", 0, "zz", 2);
	CHECK_EQ_STR(render(&r, "PREROUTING", "CT"), "-A PREROUTING -j CT");
	e = rule_init(&r);
	rule_target(&r, "DNAT", 2, &dn, 4);
	CHECK_EQ_STR(render(&r, "X", "DNAT"), "-A X -j DNAT");
	(void)e;
}

static void test_render_bounds(void)
{
	struct rule r;
	struct ipt_entry *e = rule_init(&r);
	struct xt_entry_match *m;
	char small[12];
	size_t need;

	rule_addr(&r, true, "10.244.1.0", 24);
	rule_target(&r, "", 0, NULL, 0);
	/* Cut like snprintf: NUL-terminated, and the length it needed. */
	need = obs_iptrule_render("FORWARD", e, "DROP", small, sizeof(small));
	CHECK_EQ_INT(need, strlen("-A FORWARD -s 10.244.1.0/24 -j DROP"));
	CHECK_EQ_STR(small, "-A FORWARD ");
	CHECK_EQ_INT(obs_iptrule_render("FORWARD", e, "DROP", NULL, 0), need);

	/* A match of size 0 (or past the target) ends the walk, not the program. */
	e = rule_init(&r);
	m = (struct xt_entry_match *)(r.u.buf + r.off);
	snprintf(m->u.user.name, sizeof(m->u.user.name), "tcp");
	r.off += 64;
	rule_target(&r, "", 0, NULL, 0);
	CHECK_EQ_STR(render(&r, "F", "DROP"), "-A F -j DROP");
	m->u.match_size = 4096;
	CHECK_EQ_STR(render(&r, "F", "DROP"), "-A F -j DROP");
}

static void snap(struct obs_ipt_snapshot *s, const char *chain, unsigned num, uint64_t pkts,
		 const char *text)
{
	CHECK(obs_ipt_snapshot_add(s, "filter", chain, num, pkts, pkts * 100, text) == 0);
}

static void test_diff(void)
{
	struct obs_ipt_snapshot a = { 0 }, b = { 0 };
	struct obs_ipt_delta *d;
	size_t n;

	snap(&a, "FORWARD", 0, 5, "-P FORWARD ACCEPT");
	snap(&a, "FORWARD", 1, 3, "-A FORWARD -s 192.0.2.0/24 -j ACCEPT");
	snap(&a, "FORWARD", 2, 7, "-A FORWARD -s 10.10.1.0/24 -i a0 -p udp -j DROP");
	snap(&a, "FORWARD", 3, 1, "-A FORWARD -j LOG");
	snap(&a, "FORWARD", 4, 1, "-A FORWARD -j LOG");

	/* The same rules, one DROP packet later: the DROP rule alone. */
	snap(&b, "FORWARD", 0, 5, "-P FORWARD ACCEPT");
	snap(&b, "FORWARD", 1, 3, "-A FORWARD -s 192.0.2.0/24 -j ACCEPT");
	snap(&b, "FORWARD", 2, 8, "-A FORWARD -s 10.10.1.0/24 -i a0 -p udp -j DROP");
	snap(&b, "FORWARD", 3, 1, "-A FORWARD -j LOG");
	snap(&b, "FORWARD", 4, 1, "-A FORWARD -j LOG");
	CHECK(obs_ipt_diff(&a, &b, &d, &n) == 0);
	if (CHECK(n == 1)) {
		CHECK_EQ_INT(d[0].rule->num, 2);
		CHECK_EQ_STR(d[0].rule->chain, "FORWARD");
		CHECK_EQ_INT(d[0].pkts, 1);
		CHECK_EQ_INT(d[0].bytes, 100);
		CHECK(!d[0].new_rule);
	}
	free(d);
	obs_ipt_snapshot_free(&b);

	/* A rule inserted at the top shifts every number: counts still pair
	 * by text, the new rule counts from 0, and of two identical rules
	 * the second grew (k-th pairs with k-th), with the policy. */
	snap(&b, "FORWARD", 0, 6, "-P FORWARD ACCEPT");
	snap(&b, "FORWARD", 1, 2, "-A FORWARD -p icmp -j ACCEPT");
	snap(&b, "FORWARD", 2, 3, "-A FORWARD -s 192.0.2.0/24 -j ACCEPT");
	snap(&b, "FORWARD", 3, 7, "-A FORWARD -s 10.10.1.0/24 -i a0 -p udp -j DROP");
	snap(&b, "FORWARD", 4, 1, "-A FORWARD -j LOG");
	snap(&b, "FORWARD", 5, 4, "-A FORWARD -j LOG");
	CHECK(obs_ipt_diff(&a, &b, &d, &n) == 0);
	if (CHECK(n == 3)) {
		CHECK_EQ_STR(d[0].rule->text, "-P FORWARD ACCEPT");
		CHECK_EQ_INT(d[0].pkts, 1);
		CHECK_EQ_INT(d[1].rule->num, 1);
		CHECK(d[1].new_rule);
		CHECK_EQ_INT(d[1].pkts, 2);
		CHECK_EQ_INT(d[2].rule->num, 5);
		CHECK_EQ_INT(d[2].pkts, 3);
	}
	free(d);
	obs_ipt_snapshot_free(&b);

	/* Counters zeroed in between: what the rule holds now is new. A
	 * policy that changed (ACCEPT -> DROP) is still that chain's policy. */
	snap(&b, "FORWARD", 0, 9, "-P FORWARD DROP");
	snap(&b, "FORWARD", 1, 2, "-A FORWARD -s 192.0.2.0/24 -j ACCEPT");
	CHECK(obs_ipt_diff(&a, &b, &d, &n) == 0);
	if (CHECK(n == 2)) {
		CHECK_EQ_INT(d[0].pkts, 4);
		CHECK_EQ_INT(d[1].pkts, 2);
		CHECK(!d[1].new_rule);
	}
	free(d);

	/* Nothing moved: nothing named. Empty against empty: nothing. */
	CHECK(obs_ipt_diff(&a, &a, &d, &n) == 0);
	CHECK_EQ_INT(n, 0);
	free(d);
	obs_ipt_snapshot_free(&b);
	CHECK(obs_ipt_diff(&b, &b, &d, &n) == 0);
	CHECK_EQ_INT(n, 0);
	free(d);
	obs_ipt_snapshot_free(&a);
}

/* The default rule list: local 0, main 32766, default 32767. */
static size_t default_rules(struct obs_fib_rule *r)
{
	static const uint32_t prio[] = { 0, 32766, 32767 }, table[] = { 255, 254, 253 };

	for (size_t i = 0; i < 3; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].prio = prio[i];
		r[i].action = FR_ACT_TO_TBL;
		r[i].table = table[i];
		r[i].suppress_plen = -1;
		r[i].mask = 0xffffffffu;
	}
	return 3;
}

static struct obs_fib_entry ent(uint32_t table, const char *dst, uint8_t plen, uint8_t type,
				uint32_t metric)
{
	struct obs_fib_entry e = { .table = table, .plen = plen, .type = type, .metric = metric,
				   .protocol = RTPROT_STATIC };

	addr_parse(dst, &e.dst);
	return e;
}

static uint32_t hip(const char *s)
{
	uint32_t a = 0;

	addr_parse(s, &a);
	return a;
}

static void test_fib_walk(void)
{
	struct obs_fib_rule rules[6];
	struct obs_fib_entry ents[] = {
		ent(255, "10.10.1.1", 32, RTN_LOCAL, 0),
		ent(254, "0.0.0.0", 0, RTN_UNICAST, 0),
		ent(254, "10.99.0.0", 16, RTN_BLACKHOLE, 0),
		ent(254, "10.99.7.0", 24, RTN_UNICAST, 0),
		ent(254, "10.98.0.0", 16, RTN_PROHIBIT, 0),
		ent(254, "10.98.0.0", 16, RTN_UNICAST, 100),
		ent(100, "10.10.2.0", 24, RTN_UNREACHABLE, 0),
		ent(100, "10.20.0.0", 16, RTN_THROW, 0),
	};
	size_t nr = default_rules(rules), ne = sizeof(ents) / sizeof(ents[0]);
	struct obs_route_query q = { .dst = hip("10.99.1.1") };
	struct obs_route r;

	/* Longest prefix: the blackhole /16, not the default route. */
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.type, RTN_BLACKHOLE);
	CHECK_EQ_INT(r.err, -EINVAL);
	CHECK_EQ_INT(r.plen, 16);
	CHECK_EQ_INT(r.table, 254);
	CHECK_EQ_INT(r.rule_prio, 32766);
	/* ... and a longer unicast inside it wins. */
	q.dst = hip("10.99.7.5");
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.type, RTN_UNICAST);
	CHECK_EQ_INT(r.err, 0);
	/* Same prefix: the lower metric. */
	q.dst = hip("10.98.3.3");
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.type, RTN_PROHIBIT);
	CHECK_EQ_INT(r.err, -EACCES);
	/* The local table first. */
	q.dst = hip("10.10.1.1");
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.type, RTN_LOCAL);
	CHECK_EQ_INT(r.table, 255);

	/* A fwmark rule before main sends marked packets to table 100. */
	memmove(&rules[2], &rules[1], 2 * sizeof(rules[0]));
	rules[1] = rules[0];
	rules[1].prio = 100;
	rules[1].table = 100;
	rules[1].has_mark = true;
	rules[1].mark = 0x7;
	rules[1].mask = 0xff;
	nr = 4;
	q.dst = hip("10.10.2.2");
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.type, RTN_UNICAST);	/* unmarked: main's default */
	q.mark = 0x107;				/* the mask keeps 0x07 */
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.type, RTN_UNREACHABLE);
	CHECK_EQ_INT(r.err, -EHOSTUNREACH);
	CHECK_EQ_INT(r.table, 100);
	CHECK_EQ_INT(r.rule_prio, 100);
	/* throw: on to the next rule (main). */
	q.dst = hip("10.20.1.1");
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.table, 254);
	/* Inverted: everything but the mark. */
	rules[1].invert = true;
	q.dst = hip("10.10.2.2");
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.table, 254);
	q.mark = 0;
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.table, 100);
	rules[1].invert = false;

	/* A rule's own action; an iif selector; an unmodeled selector skips. */
	rules[1].action = FR_ACT_PROHIBIT;
	rules[1].has_mark = false;
	snprintf(rules[1].iif, sizeof(rules[1].iif), "a0");
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.table, 254);	/* sent from here: iif is lo */
	q.iif = "a0";
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.type, RTN_PROHIBIT);
	CHECK_EQ_INT(r.err, -EACCES);
	CHECK_EQ_INT(r.rule_prio, 100);
	CHECK(!r.plen && !r.table);
	rules[1].action = FR_ACT_UNREACHABLE;
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.err, -ENETUNREACH);
	rules[1].unmodeled = true;
	CHECK(obs_fib_walk(rules, nr, ents, ne, &q, &r) == 0);
	CHECK_EQ_INT(r.table, 254);

	/* suppress_prefixlength 0: main's default route does not count. */
	rules[2].suppress_plen = 0;
	q.dst = hip("192.0.2.1");
	CHECK_EQ_INT(obs_fib_walk(rules, nr, ents, ne, &q, &r), -ENOENT);
	/* Nothing anywhere. */
	CHECK_EQ_INT(obs_fib_walk(rules, nr, ents, 0, &q, &r), -ENOENT);
	CHECK(!r.matched);
}

static void test_names(void)
{
	char buf[16];
	struct obs_sysctls s = { 0 };
	char path[64];

	CHECK_EQ_STR(obs_route_type_name(RTN_BLACKHOLE, buf), "blackhole");
	CHECK_EQ_STR(obs_route_type_name(RTN_UNICAST, buf), "unicast");
	CHECK_EQ_STR(obs_route_type_name(200, buf), "type 200");
	CHECK_EQ_INT(obs_route_type_err(RTN_UNREACHABLE), -EHOSTUNREACH);
	CHECK_EQ_INT(obs_route_type_err(RTN_LOCAL), 0);
	CHECK_EQ_STR(obs_link_operstate_name(IF_OPER_DOWN), "down");
	CHECK_EQ_STR(obs_link_operstate_name(99), "unknown");
	CHECK_EQ_STR(obs_link_port_state_name(BR_STATE_BLOCKING), "blocking");
	CHECK_EQ_STR(obs_link_port_state_name(9), "?");
	CHECK_EQ_STR(obs_neigh_state_name(NUD_PERMANENT, buf), "permanent");
	CHECK_EQ_STR(obs_neigh_state_name(0, buf), "none");
	CHECK_EQ_STR(obs_neigh_state_name(NUD_STALE | NUD_DELAY, buf), "0xc");

	CHECK(obs_sysctl_path("net.ipv4.ip_forward", path, sizeof(path)) == 0);
	CHECK_EQ_STR(path, "net/ipv4/ip_forward");
	/* A slash form is taken as it is: an interface name may hold a dot. */
	CHECK(obs_sysctl_path("net/ipv4/conf/eth0.10/rp_filter", path, sizeof(path)) == 0);
	CHECK_EQ_STR(path, "net/ipv4/conf/eth0.10/rp_filter");
	CHECK_EQ_INT(obs_sysctl_path("kernel.hostname", path, sizeof(path)), -EINVAL);
	CHECK_EQ_INT(obs_sysctl_path("net/../kernel/hostname", path, sizeof(path)), -EINVAL);
	CHECK_EQ_INT(obs_sysctl_path("net.", path, sizeof(path)), -EINVAL);
	CHECK_EQ_INT(obs_sysctl_path("net.ipv4.neigh.default.gc_thresh1", path, 8), -EINVAL);

	/* The kernel applies max(all, dev); unknown halves do not count. */
	CHECK_EQ_INT(obs_sysctl_rp_filter_mode(&s), -1);
	s.rp_filter_all = (struct obs_sysctl_val){ .present = true, .numeric = true, .num = 2 };
	CHECK_EQ_INT(obs_sysctl_rp_filter_mode(&s), 2);
	s.rp_filter = (struct obs_sysctl_val){ .present = true, .numeric = true, .num = 1 };
	CHECK_EQ_INT(obs_sysctl_rp_filter_mode(&s), 2);
	s.rp_filter_all.num = 0;
	CHECK_EQ_INT(obs_sysctl_rp_filter_mode(&s), 1);
}

int main(void)
{
	RUN(test_render_basic);
	RUN(test_render_matches);
	RUN(test_render_targets);
	RUN(test_render_bounds);
	RUN(test_diff);
	RUN(test_fib_walk);
	RUN(test_names);
	return unit_summary();
}
