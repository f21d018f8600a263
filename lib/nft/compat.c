/* compat — iptables-nft's encoding of iptables rules; see compat.h, and
 * internal.h for the readers the rest of lib/nft uses on dumped rules.
 *
 * The info structs are the kernel's UAPI ones (what iptables' extensions
 * fill in), sent XT_ALIGNed as x_tables demands, zeroed where iptables
 * leaves zeros. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_recent.h>
#include <linux/netfilter/xt_statistic.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "nft/compat.h"
#include "nft/internal.h"

/* ---- building --------------------------------------------------------------- */

/* libnftnl keeps the info buffer it is given (and frees it with the
 * expression): a copy of its own, then. */
static int set_info(struct nftnl_expr *e, uint16_t attr, const void *info, size_t size,
		    size_t len)
{
	uint8_t *buf = calloc(1, len);

	if (!buf)
		return -ENOMEM;
	memcpy(buf, info, size < len ? size : len);
	nftnl_expr_set(e, attr, buf, (uint32_t)len);
	return 0;
}

static void put_ext(struct nft_rb *rb, bool target, const char *name, uint32_t rev,
		    const void *info, size_t size)
{
	struct nftnl_expr *e;

	if (rb->err)
		return;
	e = nftnl_expr_alloc(target ? "target" : "match");
	if (!e) {
		rb->err = -ENOMEM;
		return;
	}
	nftnl_expr_set_str(e, target ? NFTNL_EXPR_TG_NAME : NFTNL_EXPR_MT_NAME, name);
	nftnl_expr_set_u32(e, target ? NFTNL_EXPR_TG_REV : NFTNL_EXPR_MT_REV, rev);
	/* x_tables checks the size it is given against XT_ALIGN(its own). */
	if (set_info(e, target ? NFTNL_EXPR_TG_INFO : NFTNL_EXPR_MT_INFO, info, size,
		     XT_ALIGN(size)) < 0) {
		nftnl_expr_free(e);
		rb->err = -ENOMEM;
		return;
	}
	nftnl_rule_add_expr(rb->r, e);
}

static void payload(struct nft_rb *rb, uint32_t off, uint32_t len)
{
	struct nftnl_expr *e = rb->err ? NULL : nftnl_expr_alloc("payload");

	if (!e) {
		rb->err = rb->err ? rb->err : -ENOMEM;
		return;
	}
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_rule_add_expr(rb->r, e);
}

static void reg1_expr(struct nft_rb *rb, const char *name, uint32_t op, const void *data,
		      const void *mask, uint32_t len)
{
	static const uint32_t zero[4];
	struct nftnl_expr *e = rb->err ? NULL : nftnl_expr_alloc(name);

	if (!e) {
		rb->err = rb->err ? rb->err : -ENOMEM;
		return;
	}
	if (mask) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	} else {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	nftnl_rule_add_expr(rb->r, e);
}

void nft_rb_ipt_proto(struct nft_rb *rb, uint8_t proto, bool inv)
{
	if (rb->err)
		return;
	nftnl_rule_set_u32(rb->r, NFTNL_RULE_COMPAT_PROTO, proto);
	nftnl_rule_set_u32(rb->r, NFTNL_RULE_COMPAT_FLAGS, inv ? NFT_RULE_COMPAT_F_INV : 0);
	if (proto)
		nft_rb_match(rb, NFT_KEY_L4PROTO, inv ? NFT_NE : NFT_EQ, proto);
}

void nft_rb_ipt_addr(struct nft_rb *rb, bool dst, struct cidr net, bool inv)
{
	uint32_t mask = htonl(net.len ? 0xffffffffu << (32 - net.len) : 0);
	uint32_t addr = htonl(net.addr) & mask;
	uint32_t len = net.len % 8 ? 4 : net.len / 8;

	/* 0.0.0.0/0 matches every address: iptables writes no expression
	 * for it, and "! -s 0.0.0.0/0" (no address) is not a rule anyone
	 * writes, so it is refused rather than silently made true. */
	if (!len && inv)
		rb->err = rb->err ? rb->err : -EINVAL;
	if (!len)
		return;
	payload(rb, dst ? 16 : 12, len);
	if (net.len % 8)
		reg1_expr(rb, "bitwise", 0, NULL, &mask, len);
	reg1_expr(rb, "cmp", inv ? NFT_CMP_NEQ : NFT_CMP_EQ, &addr, NULL, len);
}

void nft_rb_xt_comment(struct nft_rb *rb, const char *text)
{
	struct xt_comment_info ci = { { 0 } };

	if (strlen(text) > NFT_XT_COMMENT_MAX) {
		rb->err = rb->err ? rb->err : -ENAMETOOLONG;
		return;
	}
	memcpy(ci.comment, text, strlen(text));
	put_ext(rb, false, "comment", 0, &ci, sizeof(ci));
}

void nft_rb_xt_tcpudp(struct nft_rb *rb, uint8_t proto)
{
	struct xt_tcp tcp = { .spts = { 0, 0xffff }, .dpts = { 0, 0xffff } };
	struct xt_udp udp = { .spts = { 0, 0xffff }, .dpts = { 0, 0xffff } };

	if (proto == IPPROTO_TCP)
		put_ext(rb, false, "tcp", 0, &tcp, sizeof(tcp));
	else if (proto == IPPROTO_UDP)
		put_ext(rb, false, "udp", 0, &udp, sizeof(udp));
	else if (!rb->err)
		rb->err = -EINVAL;
}

void nft_rb_xt_statistic(struct nft_rb *rb, double p)
{
	struct xt_statistic_info si = { .mode = XT_STATISTIC_MODE_RANDOM };

	if (!(p > 0 && p <= 1)) {
		rb->err = rb->err ? rb->err : -EINVAL;
		return;
	}
	/* iptables: lround(0x80000000 * p); and 1.8.x leaves the same number
	 * in u.nth.count, which the kernel keeps and dumps back. */
	si.u.random.probability = (uint32_t)(0x80000000 * p + 0.5);
	si.u.nth.count = si.u.random.probability;
	put_ext(rb, false, "statistic", 0, &si, sizeof(si));
}

void nft_rb_xt_recent(struct nft_rb *rb, const char *name, bool set, uint32_t seconds)
{
	struct xt_recent_mtinfo_v1 ri = { .side = XT_RECENT_SOURCE };

	if (strlen(name) >= sizeof(ri.name)) {
		rb->err = rb->err ? rb->err : -ENAMETOOLONG;
		return;
	}
	memcpy(ri.name, name, strlen(name));
	if (set) {
		ri.check_set = XT_RECENT_SET;
	} else {
		ri.check_set = XT_RECENT_CHECK | XT_RECENT_REAP;
		ri.seconds = seconds;
	}
	memset(&ri.mask, 0xff, sizeof(ri.mask));
	put_ext(rb, false, "recent", 1, &ri, sizeof(ri));
}

void nft_rb_xt_addrtype(struct nft_rb *rb, bool dst, uint16_t type)
{
	struct xt_addrtype_info_v1 ai = { 0 };

	if (dst)
		ai.dest = type;
	else
		ai.source = type;
	put_ext(rb, false, "addrtype", 1, &ai, sizeof(ai));
}

void nft_rb_xt_conntrack(struct nft_rb *rb, uint32_t states)
{
	struct xt_conntrack_mtinfo3 ci = { .match_flags = XT_CONNTRACK_STATE,
					   .state_mask = (uint16_t)states };

	put_ext(rb, false, "conntrack", 3, &ci, sizeof(ci));
}

void nft_rb_xt_mark(struct nft_rb *rb, uint32_t value, uint32_t mask)
{
	struct xt_mark_tginfo2 mi = { .mark = value, .mask = mask };

	put_ext(rb, true, "MARK", 2, &mi, sizeof(mi));
}

void nft_rb_xt_dnat(struct nft_rb *rb, uint32_t ip, uint16_t port)
{
	struct nf_nat_range2 r = { .flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED };

	r.min_addr.ip = r.max_addr.ip = htonl(ip);
	r.min_proto.all = r.max_proto.all = htons(port);
	put_ext(rb, true, "DNAT", 2, &r, sizeof(r));
}

void nft_rb_xt_masquerade(struct nft_rb *rb, bool fully_random)
{
	struct nf_nat_ipv4_multi_range_compat m = { .rangesize = 1 };

	if (fully_random)
		m.range[0].flags = NF_NAT_RANGE_PROTO_RANDOM_FULLY;
	put_ext(rb, true, "MASQUERADE", 0, &m, sizeof(m));
}

void nft_rb_xt_reject(struct nft_rb *rb)
{
	struct ipt_reject_info ri = { .with = IPT_ICMP_PORT_UNREACHABLE };

	put_ext(rb, true, "REJECT", 0, &ri, sizeof(ri));
}

/* ---- reading dumped rules ------------------------------------------------------ */

static bool ext_is(const struct nftnl_expr *e, const char *kind, const char *name)
{
	const char *k = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	/* NFTNL_EXPR_MT_NAME and NFTNL_EXPR_TG_NAME are the same attribute. */
	return k && !strcmp(k, kind) && nftnl_expr_is_set(e, NFTNL_EXPR_MT_NAME) &&
	       !strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME), name);
}

bool nft_xt_comment_of(const struct nftnl_expr *e, char *buf, size_t len)
{
	uint32_t ilen = 0;
	const char *info;

	if (!ext_is(e, "match", "comment"))
		return false;
	info = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &ilen);
	if (!info)
		return false;
	snprintf(buf, len, "%.*s", (int)strnlen(info, ilen), info);
	return true;
}

bool nft_xt_rule_comment(struct nftnl_rule *r, char *buf, size_t len)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	bool found = false;

	while (it && !found && (e = nftnl_expr_iter_next(it)))
		found = nft_xt_comment_of(e, buf, len);
	if (it)
		nftnl_expr_iter_destroy(it);
	return found;
}

unsigned nft_xt_rule_flags(const struct nftnl_expr *e)
{
	if (ext_is(e, "target", "DNAT") || ext_is(e, "target", "SNAT"))
		return NFT_RULE_NAT;
	if (ext_is(e, "target", "MASQUERADE"))
		return NFT_RULE_MASQ;
	return 0;
}

bool nft_xt_dnat_of(const struct nftnl_expr *e, uint32_t *ip, uint16_t *port)
{
	uint32_t ilen = 0;
	const struct nf_nat_range2 *r;

	if (!ext_is(e, "target", "DNAT") || !nftnl_expr_is_set(e, NFTNL_EXPR_TG_REV) ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV) != 2)
		return false;
	r = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &ilen);
	if (!r || ilen < sizeof(*r))
		return false;
	*ip = ntohl(r->min_addr.ip);
	*port = (r->flags & NF_NAT_RANGE_PROTO_SPECIFIED) ? ntohs(r->min_proto.all) : 0;
	return true;
}

void nft_xt_rule_compat(struct nftnl_rule *r)
{
	struct nftnl_expr_iter *it;
	struct nftnl_expr *e, *prev = NULL;
	uint32_t proto = 0, flags = 0;
	bool ext = false;

	if (nftnl_rule_is_set(r, NFTNL_RULE_COMPAT_PROTO))
		return;
	it = nftnl_expr_iter_create(r);
	while (it && (e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		if (!strcmp(name, "match") || !strcmp(name, "target"))
			ext = true;
		/* -p: meta l4proto, then a one-byte cmp == or != on it. */
		if (prev && !strcmp(name, "cmp") && !proto &&
		    !strcmp(nftnl_expr_get_str(prev, NFTNL_EXPR_NAME), "meta") &&
		    nftnl_expr_is_set(prev, NFTNL_EXPR_META_DREG) &&
		    nftnl_expr_get_u32(prev, NFTNL_EXPR_META_KEY) == NFT_META_L4PROTO) {
			uint32_t dlen = 0;
			const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &dlen);
			uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP);

			if (d && dlen == 1 && (op == NFT_CMP_EQ || op == NFT_CMP_NEQ)) {
				proto = d[0];
				flags = op == NFT_CMP_NEQ ? NFT_RULE_COMPAT_F_INV : 0;
			}
		}
		prev = e;
	}
	if (it)
		nftnl_expr_iter_destroy(it);
	if (!ext)
		return;
	nftnl_rule_set_u32(r, NFTNL_RULE_COMPAT_PROTO, proto);
	nftnl_rule_set_u32(r, NFTNL_RULE_COMPAT_FLAGS, flags);
}

void nft_text_readdress(const char *text, char *out, size_t olen, uint32_t from, uint32_t to)
{
	char f[16], t[16];
	size_t o = 0, fl;
	const char *p;

	inet_ntop(AF_INET, &from, f, sizeof(f));
	inet_ntop(AF_INET, &to, t, sizeof(t));
	fl = strlen(f);
	for (p = text; *p && o + 1 < olen;) {
		if (!strncmp(p, f, fl) && (p[fl] < '0' || p[fl] > '9') &&
		    (p == text || p[-1] < '0' || p[-1] > '9')) {
			int n = snprintf(out + o, olen - o, "%s", t);

			o = n > 0 && o + (size_t)n < olen ? o + (size_t)n : olen - 1;
			p += fl;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

int nft_xt_readdress(struct nftnl_rule *r, uint32_t from, uint32_t to)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	int n = 0;

	if (!it)
		return -ENOMEM;
	while ((e = nftnl_expr_iter_next(it))) {
		uint32_t ilen = 0;
		const void *info;

		if (ext_is(e, "target", "DNAT") && nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV) == 2) {
			uint8_t copy[XT_ALIGN(sizeof(struct nf_nat_range2))] = { 0 };
			struct nf_nat_range2 *rg = (struct nf_nat_range2 *)copy;

			info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &ilen);
			if (!info || ilen != sizeof(copy))
				continue;
			memcpy(copy, info, sizeof(copy));
			if (rg->min_addr.ip != from)
				continue;
			rg->min_addr.ip = to;
			if (rg->max_addr.ip == from)
				rg->max_addr.ip = to;
			if (set_info(e, NFTNL_EXPR_TG_INFO, copy, sizeof(copy), sizeof(copy)) < 0)
				n = -ENOMEM;
			else if (n >= 0)
				n++;
		} else if (ext_is(e, "match", "comment")) {
			struct xt_comment_info ci = { { 0 } };
			char old[XT_MAX_COMMENT_LEN];

			if (!nft_xt_comment_of(e, old, sizeof(old)))
				continue;
			nft_text_readdress(old, ci.comment, sizeof(ci.comment), from, to);
			if (set_info(e, NFTNL_EXPR_MT_INFO, &ci, sizeof(ci), sizeof(ci)) < 0)
				n = -ENOMEM;
		}
	}
	nftnl_expr_iter_destroy(it);
	return n;
}
