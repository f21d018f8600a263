/* observe/iptrule — an ipt_entry as iptables-save prints it; see iptrule.h.
 * The option spellings and orders follow iptables' own extensions
 * (libxt_tcp.c, libxt_conntrack.c, libipt_DNAT.c, ...), so the text reads
 * the same as `iptables-legacy-save`. */
#include <limits.h>	/* INT_MAX, before ip_tables.h */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/xt_statistic.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>

#include "trace/observe/iptrule.h"

/* Text that grows; counts what would not fit, as snprintf does. */
struct sb {
	char *buf;
	size_t len, pos;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sb *s, const char *fmt, ...)
{
	size_t room = s->pos < s->len ? s->len - s->pos : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? s->buf + s->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->pos += (size_t)n;
}

/* Literal text without printf's cost: a snapshot renders every rule. */
static void sb_putc(struct sb *s, char c)
{
	if (s->pos + 1 < s->len) {
		s->buf[s->pos] = c;
		s->buf[s->pos + 1] = '\0';
	}
	s->pos++;
}

static void sb_puts(struct sb *s, const char *v)
{
	while (*v)
		sb_putc(s, *v++);
}

static void sb_not(struct sb *s, bool inv)
{
	if (inv)
		sb_puts(s, " !");
}

/* A value quoted as xtables_save_string does: bare if only [A-Za-z0-9_-]. */
static void sb_string(struct sb *s, const char *v)
{
	size_t n = strspn(v, "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

	sb_putc(s, ' ');
	if (n > 0 && !v[n]) {
		sb_puts(s, v);
		return;
	}
	sb_putc(s, '"');
	for (; *v; v++) {
		if (strchr("\"\\'", *v))
			sb_putc(s, '\\');
		sb_putc(s, *v);
	}
	sb_putc(s, '"');
}

/* Payload of a match or target if it holds at least size bytes. */
static const void *payload(const void *hdr, size_t hdr_size, uint16_t total, size_t size)
{
	return total >= hdr_size + size ? (const char *)hdr + hdr_size : NULL;
}

static int mask_len(uint32_t m)	/* host order; -1 if not contiguous */
{
	int n = 0;

	while (n < 32 && (m & (0x80000000u >> n)))
		n++;
	return (n == 32 ? 0xffffffffu : ~(0xffffffffu >> n)) == m ? n : -1;
}

static void put_addr(struct sb *s, const char *opt, struct in_addr a, struct in_addr m, bool inv)
{
	char ab[INET_ADDRSTRLEN], mb[INET_ADDRSTRLEN];
	int len = mask_len(ntohl(m.s_addr));

	if (!m.s_addr && !a.s_addr && !inv)
		return;
	inet_ntop(AF_INET, &a, ab, sizeof(ab));
	sb_printf(s, "%s %s %s", inv ? " !" : "", opt, ab);
	if (len >= 0)
		sb_printf(s, "/%d", len);
	else
		sb_printf(s, "/%s", inet_ntop(AF_INET, &m, mb, sizeof(mb)));
}

/* As iptables prints it: the bytes the mask covers; "+" when the mask ends
 * before the name's NUL ("eth+" is stored as "eth+" with a 3-byte mask). */
static void put_iface(struct sb *s, const char *opt, const char *name, const unsigned char *mask,
		      bool inv)
{
	if (!mask[0])
		return;
	sb_printf(s, "%s %s ", inv ? " !" : "", opt);
	for (size_t i = 0; i < IFNAMSIZ; i++) {
		if (!mask[i]) {
			if (name[i - 1])
				sb_putc(s, '+');
			break;
		}
		if (name[i])
			sb_putc(s, name[i]);
	}
}

static const char *proto_name(uint16_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_AH:
		return "ah";
	}
	return NULL;
}

static void put_ports(struct sb *s, const char *opt, const uint16_t pts[2], bool inv)
{
	if (pts[0] == 0 && pts[1] == 0xffff)
		return;
	sb_not(s, inv);
	if (pts[0] == pts[1])
		sb_printf(s, " %s %u", opt, pts[0]);
	else
		sb_printf(s, " %s %u:%u", opt, pts[0], pts[1]);
}

static void put_tcp_flags(struct sb *s, uint8_t flags)
{
	static const struct { uint8_t bit; const char *name; } names[] = {
		{ 0x01, "FIN" }, { 0x02, "SYN" }, { 0x04, "RST" },
		{ 0x08, "PSH" }, { 0x10, "ACK" }, { 0x20, "URG" },
	};
	bool any = false;

	sb_puts(s, " ");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit) {
			sb_printf(s, "%s%s", any ? "," : "", names[i].name);
			any = true;
		}
	if (!any)
		sb_puts(s, "NONE");
}

/* One extension: name, revision (-1 any), the size its data needs, its
 * printer, and (may be NULL) the name iptables shows for it when that
 * differs, as conntrack's for `-m state`. */
struct ext {
	const char *name;
	int revision;
	size_t size;
	void (*put)(struct sb *s, const void *data);
	const char *(*shown)(const void *data);
};

static void m_tcp(struct sb *s, const void *d)
{
	const struct xt_tcp *t = d;

	put_ports(s, "--sport", t->spts, t->invflags & XT_TCP_INV_SRCPT);
	put_ports(s, "--dport", t->dpts, t->invflags & XT_TCP_INV_DSTPT);
	if (t->option) {
		sb_not(s, t->invflags & XT_TCP_INV_OPTION);
		sb_printf(s, " --tcp-option %u", t->option);
	}
	if (t->flg_mask || (t->invflags & XT_TCP_INV_FLAGS)) {
		sb_not(s, t->invflags & XT_TCP_INV_FLAGS);
		sb_puts(s, " --tcp-flags");
		put_tcp_flags(s, t->flg_mask);
		put_tcp_flags(s, t->flg_cmp);
	}
}

static void m_udp(struct sb *s, const void *d)
{
	const struct xt_udp *u = d;

	put_ports(s, "--sport", u->spts, u->invflags & XT_UDP_INV_SRCPT);
	put_ports(s, "--dport", u->dpts, u->invflags & XT_UDP_INV_DSTPT);
}

static void m_icmp(struct sb *s, const void *d)
{
	const struct ipt_icmp *i = d;

	sb_not(s, i->invflags & IPT_ICMP_INV);
	if (i->type == 0xff) {
		sb_puts(s, " --icmp-type any");
		return;
	}
	sb_printf(s, " --icmp-type %u", i->type);
	if (i->code[0] != 0 || i->code[1] != 0xff)
		sb_printf(s, "/%u", i->code[0]);
}

static void m_comment(struct sb *s, const void *d)
{
	const struct xt_comment_info *c = d;
	char text[XT_MAX_COMMENT_LEN + 1];

	snprintf(text, sizeof(text), "%.*s", XT_MAX_COMMENT_LEN, c->comment);
	sb_puts(s, " --comment");
	sb_string(s, text);
}

static void put_mark(struct sb *s, const char *opt, uint32_t mark, uint32_t mask)
{
	if (mask == 0xffffffffu)
		sb_printf(s, " %s 0x%x", opt, mark);
	else
		sb_printf(s, " %s 0x%x/0x%x", opt, mark, mask);
}

static void m_mark(struct sb *s, const void *d)
{
	const struct xt_mark_mtinfo1 *m = d;

	sb_not(s, m->invert);
	put_mark(s, "--mark", m->mark, m->mask);
}

/* The connection states of a state or ctstate mask, in conntrack's order. */
static void put_ctstates(struct sb *s, unsigned mask, unsigned untracked)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ XT_CONNTRACK_STATE_INVALID, "INVALID" },
		{ XT_CONNTRACK_STATE_BIT(IP_CT_NEW), "NEW" },
		{ XT_CONNTRACK_STATE_BIT(IP_CT_RELATED), "RELATED" },
		{ XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED), "ESTABLISHED" },
	};
	bool any = false;

	sb_puts(s, " ");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mask & names[i].bit) {
			sb_printf(s, "%s%s", any ? "," : "", names[i].name);
			any = true;
		}
	if (mask & untracked) {
		sb_printf(s, "%sUNTRACKED", any ? "," : "");
		any = true;
	}
	if (untracked != XT_STATE_UNTRACKED) {	/* conntrack: NAT states too */
		if (mask & XT_CONNTRACK_STATE_SNAT) {
			sb_printf(s, "%sSNAT", any ? "," : "");
			any = true;
		}
		if (mask & XT_CONNTRACK_STATE_DNAT) {
			sb_printf(s, "%sDNAT", any ? "," : "");
			any = true;
		}
	}
	if (!any)
		sb_puts(s, "none");
}

static void m_state(struct sb *s, const void *d)
{
	const struct xt_state_info *st = d;

	sb_puts(s, " --state");
	put_ctstates(s, st->statemask, XT_STATE_UNTRACKED);
}

/* conntrack: revisions 1..3 keep the flags at the same offset; only the
 * width of the state mask differs. `-m state` is conntrack with
 * XT_CONNTRACK_STATE_ALIAS since iptables 1.8, and shows as state. Only a
 * state-only match is spelled out: the other selectors are not rendered,
 * and a partial rule would mislead. */
static void put_conntrack(struct sb *s, uint16_t flags, uint16_t inv, unsigned states)
{
	bool alias = flags & XT_CONNTRACK_STATE_ALIAS;

	if (flags & ~(XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS))
		return;
	sb_not(s, inv & XT_CONNTRACK_STATE);
	sb_printf(s, alias ? " --state" : " --ctstate");
	put_ctstates(s, states, XT_CONNTRACK_STATE_UNTRACKED);
}

static const char *conntrack_shown(uint16_t flags)
{
	return flags & XT_CONNTRACK_STATE_ALIAS ? "state" : "conntrack";
}

static void m_conntrack1(struct sb *s, const void *d)
{
	const struct xt_conntrack_mtinfo1 *c = d;

	put_conntrack(s, c->match_flags, c->invert_flags, c->state_mask);
}

static void m_conntrack2(struct sb *s, const void *d)
{
	const struct xt_conntrack_mtinfo2 *c = d;

	put_conntrack(s, c->match_flags, c->invert_flags, c->state_mask);
}

static void m_conntrack3(struct sb *s, const void *d)
{
	const struct xt_conntrack_mtinfo3 *c = d;

	put_conntrack(s, c->match_flags, c->invert_flags, c->state_mask);
}

/* The flags sit at one offset in all three revisions. */
static const char *conntrack_name(const void *d)
{
	return conntrack_shown(((const struct xt_conntrack_mtinfo1 *)d)->match_flags);
}

static void m_statistic(struct sb *s, const void *d)
{
	const struct xt_statistic_info *st = d;
	bool inv = st->flags & XT_STATISTIC_INVERT;

	if (st->mode == XT_STATISTIC_MODE_RANDOM) {
		sb_puts(s, " --mode random");
		sb_not(s, inv);
		sb_printf(s, " --probability %.11f", 1.0 * st->u.random.probability / 0x80000000u);
	} else if (st->mode == XT_STATISTIC_MODE_NTH) {
		sb_puts(s, " --mode nth");
		sb_not(s, inv);
		sb_printf(s, " --every %u", st->u.nth.every + 1);
		if (st->u.nth.packet)
			sb_printf(s, " --packet %u", st->u.nth.packet);
	}
}

static void put_addrtypes(struct sb *s, uint16_t mask)
{
	static const char *const names[] = {
		"UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST",
		"BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE",
	};
	bool any = false;

	sb_puts(s, " ");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mask & (1u << i)) {
			sb_printf(s, "%s%s", any ? "," : "", names[i]);
			any = true;
		}
}

static void m_addrtype1(struct sb *s, const void *d)
{
	const struct xt_addrtype_info_v1 *a = d;

	if (a->source) {
		sb_not(s, a->flags & XT_ADDRTYPE_INVERT_SOURCE);
		sb_puts(s, " --src-type");
		put_addrtypes(s, a->source);
	}
	if (a->dest) {
		sb_not(s, a->flags & XT_ADDRTYPE_INVERT_DEST);
		sb_puts(s, " --dst-type");
		put_addrtypes(s, a->dest);
	}
	if (a->flags & XT_ADDRTYPE_LIMIT_IFACE_IN)
		sb_puts(s, " --limit-iface-in");
	if (a->flags & XT_ADDRTYPE_LIMIT_IFACE_OUT)
		sb_puts(s, " --limit-iface-out");
}

static void m_multiport1(struct sb *s, const void *d)
{
	static const char *const opt[] = { "--sports", "--dports", "--ports" };
	const struct xt_multiport_v1 *mp = d;

	if (mp->flags > XT_MULTIPORT_EITHER || mp->count > XT_MULTI_PORTS)
		return;
	sb_not(s, mp->invert);
	sb_printf(s, " %s ", opt[mp->flags]);
	for (unsigned i = 0; i < mp->count; i++) {
		sb_printf(s, "%s%u", i ? "," : "", mp->ports[i]);
		if (mp->pflags[i] && i + 1 < mp->count)
			sb_printf(s, ":%u", mp->ports[++i]);
	}
}

static const struct ext matches[] = {
	{ "tcp", -1, sizeof(struct xt_tcp), m_tcp, NULL },
	{ "udp", -1, sizeof(struct xt_udp), m_udp, NULL },
	{ "icmp", -1, sizeof(struct ipt_icmp), m_icmp, NULL },
	{ "comment", -1, sizeof(struct xt_comment_info), m_comment, NULL },
	{ "mark", 1, sizeof(struct xt_mark_mtinfo1), m_mark, NULL },
	{ "state", 0, sizeof(struct xt_state_info), m_state, NULL },
	{ "conntrack", 1, sizeof(struct xt_conntrack_mtinfo1), m_conntrack1, conntrack_name },
	{ "conntrack", 2, sizeof(struct xt_conntrack_mtinfo2), m_conntrack2, conntrack_name },
	{ "conntrack", 3, sizeof(struct xt_conntrack_mtinfo3), m_conntrack3, conntrack_name },
	{ "statistic", -1, sizeof(struct xt_statistic_info), m_statistic, NULL },
	{ "addrtype", 1, sizeof(struct xt_addrtype_info_v1), m_addrtype1, NULL },
	{ "multiport", 1, sizeof(struct xt_multiport_v1), m_multiport1, NULL },
};

/* A NAT range as iptables prints it: ip[-ip][:port[-port]] and flags. */
static void put_nat(struct sb *s, const char *opt, unsigned flags, uint32_t min_ip,
		    uint32_t max_ip, uint16_t min_port, uint16_t max_port)
{
	char a[INET_ADDRSTRLEN];
	struct in_addr ia;

	if (flags & (NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED))
		sb_printf(s, " %s ", opt);
	if (flags & NF_NAT_RANGE_MAP_IPS) {
		ia.s_addr = min_ip;
		sb_printf(s, "%s", inet_ntop(AF_INET, &ia, a, sizeof(a)));
		if (max_ip != min_ip) {
			ia.s_addr = max_ip;
			sb_printf(s, "-%s", inet_ntop(AF_INET, &ia, a, sizeof(a)));
		}
	}
	if (flags & NF_NAT_RANGE_PROTO_SPECIFIED) {
		sb_printf(s, "%s%u", flags & NF_NAT_RANGE_MAP_IPS ? ":" : "", ntohs(min_port));
		if (max_port != min_port)
			sb_printf(s, "-%u", ntohs(max_port));
	}
	if (flags & NF_NAT_RANGE_PROTO_RANDOM)
		sb_puts(s, " --random");
	if (flags & NF_NAT_RANGE_PERSISTENT)
		sb_puts(s, " --persistent");
	if (flags & NF_NAT_RANGE_PROTO_RANDOM_FULLY)
		sb_puts(s, " --random-fully");
}

static void put_nat_compat(struct sb *s, const char *opt, const void *d)
{
	const struct nf_nat_ipv4_multi_range_compat *mr = d;
	const struct nf_nat_ipv4_range *r = &mr->range[0];

	put_nat(s, opt, r->flags, r->min_ip, r->max_ip, r->min.all, r->max.all);
}

/* Revisions 1 and 2 share nf_nat_range's head; 2 adds base_proto. */
static void put_nat_range(struct sb *s, const char *opt, const void *d)
{
	const struct nf_nat_range *r = d;

	put_nat(s, opt, r->flags, r->min_addr.ip, r->max_addr.ip, r->min_proto.all,
		r->max_proto.all);
}

static void t_dnat0(struct sb *s, const void *d) { put_nat_compat(s, "--to-destination", d); }
static void t_dnat(struct sb *s, const void *d) { put_nat_range(s, "--to-destination", d); }
static void t_snat0(struct sb *s, const void *d) { put_nat_compat(s, "--to-source", d); }
static void t_snat(struct sb *s, const void *d) { put_nat_range(s, "--to-source", d); }

/* MASQUERADE names ports only: --to-ports, never addresses. */
static void masq(struct sb *s, unsigned flags, uint16_t min, uint16_t max)
{
	put_nat(s, "--to-ports", flags & ~NF_NAT_RANGE_MAP_IPS, 0, 0, min, max);
}

static void t_masq0(struct sb *s, const void *d)
{
	const struct nf_nat_ipv4_multi_range_compat *mr = d;

	masq(s, mr->range[0].flags, mr->range[0].min.all, mr->range[0].max.all);
}

static void t_masq1(struct sb *s, const void *d)
{
	const struct nf_nat_range *r = d;

	masq(s, r->flags, r->min_proto.all, r->max_proto.all);
}

static void t_mark2(struct sb *s, const void *d)
{
	const struct xt_mark_tginfo2 *m = d;

	sb_printf(s, " --set-xmark 0x%x/0x%x", m->mark, m->mask);
}

static void t_reject(struct sb *s, const void *d)
{
	static const char *const names[] = {
		[IPT_ICMP_NET_UNREACHABLE] = "icmp-net-unreachable",
		[IPT_ICMP_HOST_UNREACHABLE] = "icmp-host-unreachable",
		[IPT_ICMP_PROT_UNREACHABLE] = "icmp-proto-unreachable",
		[IPT_ICMP_PORT_UNREACHABLE] = "icmp-port-unreachable",
		[IPT_ICMP_ECHOREPLY] = "icmp-echo-reply",
		[IPT_ICMP_NET_PROHIBITED] = "icmp-net-prohibited",
		[IPT_ICMP_HOST_PROHIBITED] = "icmp-host-prohibited",
		[IPT_TCP_RESET] = "tcp-reset",
		[IPT_ICMP_ADMIN_PROHIBITED] = "icmp-admin-prohibited",
	};
	const struct ipt_reject_info *r = d;

	if ((size_t)r->with < sizeof(names) / sizeof(names[0]) && names[r->with])
		sb_printf(s, " --reject-with %s", names[r->with]);
}

static const struct ext targets[] = {
	{ "DNAT", 0, sizeof(struct nf_nat_ipv4_multi_range_compat), t_dnat0, NULL },
	{ "DNAT", 1, sizeof(struct nf_nat_range), t_dnat, NULL },
	{ "DNAT", 2, sizeof(struct nf_nat_range2), t_dnat, NULL },
	{ "SNAT", 0, sizeof(struct nf_nat_ipv4_multi_range_compat), t_snat0, NULL },
	{ "SNAT", 1, sizeof(struct nf_nat_range), t_snat, NULL },
	{ "SNAT", 2, sizeof(struct nf_nat_range2), t_snat, NULL },
	{ "MASQUERADE", 0, sizeof(struct nf_nat_ipv4_multi_range_compat), t_masq0, NULL },
	{ "MASQUERADE", 1, sizeof(struct nf_nat_range), t_masq1, NULL },
	{ "MARK", 2, sizeof(struct xt_mark_tginfo2), t_mark2, NULL },
	{ "REJECT", 0, sizeof(struct ipt_reject_info), t_reject, NULL },
};

static const struct ext *ext_find(const struct ext *tab, size_t n, const char *name, int rev)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tab[i].name, name) && (tab[i].revision < 0 || tab[i].revision == rev))
			return &tab[i];
	return NULL;
}

static void put_match(struct sb *s, const struct xt_entry_match *m)
{
	char name[XT_EXTENSION_MAXNAMELEN + 1];
	const struct ext *x;
	const void *d;

	snprintf(name, sizeof(name), "%.*s", XT_EXTENSION_MAXNAMELEN, m->u.user.name);
	x = ext_find(matches, sizeof(matches) / sizeof(matches[0]), name, m->u.user.revision);
	d = x ? payload(m, sizeof(*m), m->u.match_size, x->size) : NULL;
	sb_puts(s, " -m ");
	sb_puts(s, d && x->shown ? x->shown(d) : name);
	if (d)
		x->put(s, d);
}

static void put_target(struct sb *s, const struct ipt_entry *e, const char *target)
{
	const struct xt_entry_target *t;
	char name[XT_EXTENSION_MAXNAMELEN + 1];
	const struct ext *x;
	const void *d;

	if (e->target_offset + sizeof(*t) > e->next_offset) {
		if (*target) {
			sb_puts(s, " -j ");
			sb_puts(s, target);
		}
		return;
	}
	t = (const struct xt_entry_target *)((const char *)e + e->target_offset);
	snprintf(name, sizeof(name), "%.*s", XT_EXTENSION_MAXNAMELEN, t->u.user.name);
	if (!*name) {	/* the standard target: a verdict, a jump, or nothing */
		if (*target) {
			sb_puts(s, e->ip.flags & IPT_F_GOTO ? " -g " : " -j ");
			sb_puts(s, target);
		}
		return;
	}
	sb_puts(s, " -j ");
	sb_puts(s, name);
	x = ext_find(targets, sizeof(targets) / sizeof(targets[0]), name, t->u.user.revision);
	d = x ? payload(t, sizeof(*t), t->u.target_size, x->size) : NULL;
	if (d)
		x->put(s, d);
}

size_t obs_iptrule_render(const char *chain, const struct ipt_entry *e, const char *target,
			  char *buf, size_t len)
{
	struct sb s = { buf, len, 0 };
	const struct ipt_ip *ip = &e->ip;
	const char *pname;
	size_t off;

	if (len)
		buf[0] = '\0';
	sb_puts(&s, "-A ");
	sb_puts(&s, chain);
	put_addr(&s, "-s", ip->src, ip->smsk, ip->invflags & IPT_INV_SRCIP);
	put_addr(&s, "-d", ip->dst, ip->dmsk, ip->invflags & IPT_INV_DSTIP);
	put_iface(&s, "-i", ip->iniface, ip->iniface_mask, ip->invflags & IPT_INV_VIA_IN);
	put_iface(&s, "-o", ip->outiface, ip->outiface_mask, ip->invflags & IPT_INV_VIA_OUT);
	if (ip->proto || (ip->invflags & IPT_INV_PROTO)) {
		pname = proto_name(ip->proto);
		sb_not(&s, ip->invflags & IPT_INV_PROTO);
		if (pname) {
			sb_puts(&s, " -p ");
			sb_puts(&s, pname);
		} else
			sb_printf(&s, " -p %u", ip->proto);
	}
	if (ip->flags & IPT_F_FRAG) {
		sb_not(&s, ip->invflags & IPT_INV_FRAG);
		sb_puts(&s, " -f");
	}
	/* A zero-sized match would never end the walk; a cut one is not read. */
	for (off = sizeof(*e); off + sizeof(struct xt_entry_match) <= e->target_offset;) {
		const struct xt_entry_match *m =
			(const struct xt_entry_match *)((const char *)e + off);

		if (m->u.match_size < sizeof(*m) || off + m->u.match_size > e->target_offset)
			break;
		put_match(&s, m);
		off += m->u.match_size;
	}
	put_target(&s, e, target);
	return s.pos;
}
