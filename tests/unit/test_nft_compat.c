/* nft/compat: iptables rules as iptables-nft 1.8.9 encodes them. The
 * expected bytes were read from the kernel after `iptables-nft-restore` of
 * kube-proxy's own text (tests/fixtures/kube-proxy/iptables-expected-1.txt
 * lines) in a scratch namespace: NFTA_MATCH_INFO / NFTA_TARGET_INFO as
 * dumped, trailing zeros left out. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_addrtype.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "nft/compat.h"
#include "nft/internal.h"
#include "unit.h"

/* The n-th expression of r. */
static struct nftnl_expr *nth(struct nftnl_rule *r, int n)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e = NULL;

	for (int i = 0; it && i <= n; i++)
		e = nftnl_expr_iter_next(it);
	if (it)
		nftnl_expr_iter_destroy(it);
	return e;
}

static int nexprs(struct nftnl_rule *r)
{
	int n = 0;

	while (nth(r, n))
		n++;
	return n;
}

/* Expression e is NAME (match or target kind), revision rev, info of
 * exactly len bytes beginning with want[0..wlen) and zero after. */
static bool ext_is(struct nftnl_expr *e, const char *kind, const char *name, uint32_t rev,
		   uint32_t len, const uint8_t *want, size_t wlen)
{
	uint32_t ilen = 0;
	const uint8_t *info;

	if (!e || strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), kind) ||
	    strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME), name) ||
	    nftnl_expr_get_u32(e, NFTNL_EXPR_MT_REV) != rev)
		return false;
	info = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &ilen);
	if (!info || ilen != len || memcmp(info, want, wlen))
		return false;
	for (size_t i = wlen; i < len; i++)
		if (info[i])
			return false;
	return true;
}

static void test_statistic(void)
{
	/* --probability 0.5000000000 and 0.3333333333 (kube-proxy's text). */
	static const uint8_t half[] = { 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x40,
					0, 0, 0, 0, 0x00, 0x00, 0x00, 0x40 };
	static const uint8_t third[] = { 0, 0, 0, 0, 0xab, 0xaa, 0xaa, 0x2a,
					 0, 0, 0, 0, 0xab, 0xaa, 0xaa, 0x2a };
	struct nft_rb rb;

	nft_rb_start(&rb, NFPROTO_IPV4, "nat", "KUBE-SVC-X");
	nft_rb_xt_statistic(&rb, 0.5);
	nft_rb_xt_statistic(&rb, 0.3333333333);
	CHECK(rb.err == 0);
	CHECK(ext_is(nth(rb.r, 0), "match", "statistic", 0, 24, half, sizeof(half)));
	CHECK(ext_is(nth(rb.r, 1), "match", "statistic", 0, 24, third, sizeof(third)));
	nft_rb_xt_statistic(&rb, 0);
	CHECK(rb.err == -EINVAL);
	nft_rb_free(&rb);
}

static void test_recent(void)
{
	/* --name KUBE-SEP-A --rcheck --seconds 10800 --reap / --set. */
	uint8_t rcheck[228] = { 0x30, 0x2a, 0, 0, 0, 0, 0, 0, 0x21, 0 }, set[228] = { [8] = 0x02 };
	struct nft_rb rb;

	memcpy(rcheck + 10, "KUBE-SEP-A", 10);
	memcpy(set + 10, "KUBE-SEP-A", 10);
	memset(rcheck + 212, 0xff, 16);
	memset(set + 212, 0xff, 16);
	nft_rb_start(&rb, NFPROTO_IPV4, "nat", "KUBE-SVC-X");
	nft_rb_xt_recent(&rb, "KUBE-SEP-A", false, 10800);
	nft_rb_xt_recent(&rb, "KUBE-SEP-A", true, 0);
	CHECK(rb.err == 0);
	CHECK(ext_is(nth(rb.r, 0), "match", "recent", 1, 232, rcheck, sizeof(rcheck)));
	CHECK(ext_is(nth(rb.r, 1), "match", "recent", 1, 232, set, sizeof(set)));
	nft_rb_free(&rb);
}

static void test_targets(void)
{
	/* -j DNAT --to-destination 10.180.0.3:80; MARK --or-mark 0x4000,
	 * --xor-mark 0x4000; MASQUERADE --random-fully; REJECT. */
	static const uint8_t dnat[] = { 3, 0, 0, 0, 10, 180, 0, 3, [20] = 10, 180, 0, 3,
					[36] = 0x00, 0x50, 0x00, 0x50 };
	static const uint8_t or_mark[] = { 0x00, 0x40, 0, 0, 0x00, 0x40 };
	static const uint8_t xor_mark[] = { 0x00, 0x40 };
	static const uint8_t masq[] = { 1, 0, 0, 0, 0x10 };
	static const uint8_t reject[] = { 3 };
	struct nft_rb rb;

	nft_rb_start(&rb, NFPROTO_IPV4, "nat", "KUBE-SEP-A");
	nft_rb_xt_dnat(&rb, 0x0ab40003, 80);
	nft_rb_xt_mark(&rb, 0x4000, 0x4000);
	nft_rb_xt_mark(&rb, 0x4000, 0);
	nft_rb_xt_masquerade(&rb, true);
	nft_rb_xt_reject(&rb);
	CHECK(rb.err == 0);
	CHECK(ext_is(nth(rb.r, 0), "target", "DNAT", 2, 48, dnat, sizeof(dnat)));
	CHECK(ext_is(nth(rb.r, 1), "target", "MARK", 2, 8, or_mark, sizeof(or_mark)));
	CHECK(ext_is(nth(rb.r, 2), "target", "MARK", 2, 8, xor_mark, sizeof(xor_mark)));
	CHECK(ext_is(nth(rb.r, 3), "target", "MASQUERADE", 0, 24, masq, sizeof(masq)));
	CHECK(ext_is(nth(rb.r, 4), "target", "REJECT", 0, 8, reject, sizeof(reject)));
	nft_rb_free(&rb);
}

static void test_matches(void)
{
	static const uint8_t dst_local[] = { 0, 0, 4 }, src_local[] = { 4 };
	static const uint8_t tcp[] = { 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff };
	uint8_t ct_new[164] = { 0 }, ct_est[164] = { 0 };
	struct nft_rb rb;

	/* match_flags XT_CONNTRACK_STATE, state_mask NEW / RELATED|ESTABLISHED. */
	ct_new[146] = 1, ct_new[150] = 8;
	ct_est[146] = 1, ct_est[150] = 6;
	nft_rb_start(&rb, NFPROTO_IPV4, "filter", "INPUT");
	nft_rb_xt_addrtype(&rb, true, XT_ADDRTYPE_LOCAL);
	nft_rb_xt_addrtype(&rb, false, XT_ADDRTYPE_LOCAL);
	nft_rb_xt_tcpudp(&rb, IPPROTO_TCP);
	nft_rb_xt_conntrack(&rb, NFT_CTS_NEW);
	nft_rb_xt_conntrack(&rb, NFT_CTS_RELATED | NFT_CTS_ESTABLISHED);
	nft_rb_xt_comment(&rb, "default/web:http cluster IP");
	CHECK(rb.err == 0);
	CHECK(ext_is(nth(rb.r, 0), "match", "addrtype", 1, 8, dst_local, sizeof(dst_local)));
	CHECK(ext_is(nth(rb.r, 1), "match", "addrtype", 1, 8, src_local, sizeof(src_local)));
	CHECK(ext_is(nth(rb.r, 2), "match", "tcp", 0, 16, tcp, sizeof(tcp)));
	CHECK(ext_is(nth(rb.r, 3), "match", "conntrack", 3, 168, ct_new, sizeof(ct_new)));
	CHECK(ext_is(nth(rb.r, 4), "match", "conntrack", 3, 168, ct_est, sizeof(ct_est)));
	CHECK(ext_is(nth(rb.r, 5), "match", "comment", 0, 256,
		     (const uint8_t *)"default/web:http cluster IP", 27));
	nft_rb_free(&rb);

	/* 255 characters fit, 256 do not. */
	char long_text[NFT_XT_COMMENT_MAX + 2];

	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	nft_rb_start(&rb, NFPROTO_IPV4, "filter", "INPUT");
	nft_rb_xt_comment(&rb, long_text + 1);
	CHECK(rb.err == 0);
	nft_rb_xt_comment(&rb, long_text);
	CHECK(rb.err == -ENAMETOOLONG);
	nft_rb_free(&rb);
}

/* -s/-d: whole bytes of a byte-aligned prefix, else four bytes masked. */
static void test_addr(void)
{
	static const struct { uint8_t len; uint32_t loadlen; bool bitwise; } cases[] = {
		{ 32, 4, false }, { 16, 2, false }, { 8, 1, false }, { 12, 4, true },
		{ 25, 4, true },
	};
	struct nft_rb rb;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr net = { .addr = 0x0a000000, .len = cases[i].len };
		struct nftnl_expr *e;

		nft_rb_start(&rb, NFPROTO_IPV4, "nat", "X");
		nft_rb_ipt_addr(&rb, false, net, true);
		e = nth(rb.r, 0);
		CHECK(e && !strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "payload"));
		CHECK(e && nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET) == 12);
		CHECK_EQ_INT((long long)e ? nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN) : 0, cases[i].loadlen);
		CHECK_EQ_INT((long long)nexprs(rb.r), cases[i].bitwise ? 3 : 2);
		e = nth(rb.r, cases[i].bitwise ? 2 : 1);
		CHECK(e && nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) == NFT_CMP_NEQ);
		nft_rb_free(&rb);
	}
}

/* Read back: the comment, the DNAT, NFTA_RULE_COMPAT, a readdress. */
static void test_read_back(void)
{
	struct nft_rb rb;
	char text[256];
	uint32_t ip;
	uint16_t port;

	nft_rb_start(&rb, NFPROTO_IPV4, "nat", "KUBE-SEP-A");
	nft_rb_ipt_proto(&rb, IPPROTO_TCP, false);
	nft_rb_xt_comment(&rb, "ns5/svc5:p80 -> 10.180.0.3:80");
	nft_rb_xt_tcpudp(&rb, IPPROTO_TCP);
	nft_rb_counter(&rb);
	nft_rb_xt_dnat(&rb, 0x0ab40003, 80);
	CHECK(rb.err == 0);
	CHECK_EQ_INT((long long)nftnl_rule_get_u32(rb.r, NFTNL_RULE_COMPAT_PROTO), IPPROTO_TCP);
	CHECK(nft_xt_rule_comment(rb.r, text, sizeof(text)));
	CHECK_EQ_STR(text, "ns5/svc5:p80 -> 10.180.0.3:80");
	CHECK(nft_xt_dnat_of(nth(rb.r, 5), &ip, &port));
	CHECK_EQ_INT((long long)ip, 0x0ab40003);
	CHECK_EQ_INT((long long)port, 80);
	CHECK(nft_xt_rule_flags(nth(rb.r, 5)) == NFT_RULE_NAT);

	/* The kernel does not dump NFTA_RULE_COMPAT: found again from -p. */
	nftnl_rule_unset(rb.r, NFTNL_RULE_COMPAT_PROTO);
	nftnl_rule_unset(rb.r, NFTNL_RULE_COMPAT_FLAGS);
	nft_xt_rule_compat(rb.r);
	CHECK_EQ_INT((long long)nftnl_rule_get_u32(rb.r, NFTNL_RULE_COMPAT_PROTO), IPPROTO_TCP);

	/* 10.180.0.3 -> 10.180.0.254; 10.180.0.30 would be left alone. */
	CHECK_EQ_INT((long long)nft_xt_readdress(rb.r, htonl(0x0ab40003), htonl(0x0ab400fe)), 1);
	CHECK(nft_xt_dnat_of(nth(rb.r, 5), &ip, &port));
	CHECK_EQ_INT((long long)ip, 0x0ab400fe);
	CHECK(nft_xt_rule_comment(rb.r, text, sizeof(text)));
	CHECK_EQ_STR(text, "ns5/svc5:p80 -> 10.180.0.254:80");
	CHECK_EQ_INT((long long)nft_xt_readdress(rb.r, htonl(0x0ab40003), htonl(0x0ab400fe)), 0);
	nft_rb_free(&rb);
}

int main(void)
{
	RUN(test_statistic);
	RUN(test_recent);
	RUN(test_targets);
	RUN(test_matches);
	RUN(test_addr);
	RUN(test_read_back);
	return unit_summary();
}
