/* rule — build nf_tables rules from typed pieces; see nft.h.
 *
 * Each piece emits the expressions nft itself emits for the same source
 * text (compare `nft --debug=netlink`), so `nft list` prints podpath's
 * rules exactly as if they had been written in nft syntax. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/icmp.h>
#include <linux/rtnetlink.h>

#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>

#include "nft/nft.h"

/* Concatenations start in the 128-bit register 1 and go on in its 32-bit
 * parts, one per component, as nft lays them out. */
#define REG32(i) (NFT_REG32_00 + (i))

static struct nftnl_expr *expr(struct nft_rb *rb, const char *name)
{
	struct nftnl_expr *e;

	if (rb->err)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (!e)
		rb->err = -ENOMEM;
	return e;
}

static void put(struct nft_rb *rb, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(rb->r, e);
}

int nft_rb_start(struct nft_rb *rb, uint32_t family, const char *table, const char *chain)
{
	rb->err = 0;
	rb->family = family;
	rb->r = nftnl_rule_alloc();
	if (!rb->r)
		return rb->err = -ENOMEM;
	nftnl_rule_set_u32(rb->r, NFTNL_RULE_FAMILY, family);
	nftnl_rule_set_str(rb->r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(rb->r, NFTNL_RULE_CHAIN, chain);
	return 0;
}

void nft_rb_free(struct nft_rb *rb)
{
	if (rb->r)
		nftnl_rule_free(rb->r);
	rb->r = NULL;
}

void nft_rb_comment(struct nft_rb *rb, const char *comment)
{
	struct nftnl_udata_buf *ud;

	if (rb->err)
		return;
	ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	if (!ud)
		rb->err = -ENOMEM;
	else if (strlen(comment) > NFT_COMMENT_MAX ||
		 !nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment))
		rb->err = -ENAMETOOLONG;
	else
		nftnl_rule_set_data(rb->r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
				    nftnl_udata_buf_len(ud));
	if (ud)
		nftnl_udata_buf_free(ud);
}

/* ---- loads ------------------------------------------------------------------ */

static void load_payload(struct nft_rb *rb, uint32_t base, uint32_t off, uint32_t len,
			 uint32_t reg)
{
	struct nftnl_expr *e = expr(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	put(rb, e);
}

static void meta(struct nft_rb *rb, uint32_t key, uint32_t reg, bool set)
{
	struct nftnl_expr *e = expr(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, set ? NFTNL_EXPR_META_SREG : NFTNL_EXPR_META_DREG, reg);
	put(rb, e);
}

static void ct_load(struct nft_rb *rb, uint32_t key)
{
	struct nftnl_expr *e = expr(rb, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	put(rb, e);
}

/* Keys the kernel keeps as host-order numbers: compared as they are. */
static bool key_host_order(enum nft_key k)
{
	return k == NFT_KEY_MARK || k == NFT_KEY_CT_MARK || k == NFT_KEY_CT_STATUS;
}

/* Load key k into register 1 (and on, for a concatenation); its length. */
static uint32_t load(struct nft_rb *rb, enum nft_key k)
{
	switch (k) {
	case NFT_KEY_SADDR:
		load_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
		return 4;
	case NFT_KEY_DADDR:
		load_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1);
		return 4;
	case NFT_KEY_L4PROTO:
		meta(rb, NFT_META_L4PROTO, NFT_REG_1, false);
		return 1;
	case NFT_KEY_DPORT:
		load_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
		return 2;
	case NFT_KEY_DADDR_PROTO_DPORT:
		load_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1);
		meta(rb, NFT_META_L4PROTO, REG32(1), false);
		load_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, REG32(2));
		return 12;
	case NFT_KEY_PROTO_DPORT:
		meta(rb, NFT_META_L4PROTO, NFT_REG_1, false);
		load_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, REG32(1));
		return 8;
	case NFT_KEY_MARK:
		meta(rb, NFT_META_MARK, NFT_REG_1, false);
		return 4;
	case NFT_KEY_NFPROTO:
		meta(rb, NFT_META_NFPROTO, NFT_REG_1, false);
		return 1;
	case NFT_KEY_SPORT:
		load_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG_1);
		return 2;
	case NFT_KEY_ICMP_TYPE:
		load_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
		return 1;
	case NFT_KEY_ICMP_ID:
		load_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 4, 2, NFT_REG_1);
		return 2;
	case NFT_KEY_CT_MARK:
		ct_load(rb, NFT_CT_MARK);
		return 4;
	case NFT_KEY_CT_DIRECTION:
		ct_load(rb, NFT_CT_DIRECTION);
		return 1;
	case NFT_KEY_CT_STATUS:
		ct_load(rb, NFT_CT_STATUS);
		return 4;
	case NFT_KEY_NUMGEN:
		break;
	}
	rb->err = -EINVAL;
	return 0;
}

static void cmp(struct nft_rb *rb, enum nft_op op, const void *data, uint32_t len)
{
	static const uint32_t ops[] = { [NFT_EQ] = NFT_CMP_EQ, [NFT_NE] = NFT_CMP_NEQ,
					[NFT_LT] = NFT_CMP_LT, [NFT_GTE] = NFT_CMP_GTE,
					[NFT_LTE] = NFT_CMP_LTE };
	struct nftnl_expr *e = expr(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, ops[op]);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	put(rb, e);
}

/* reg1 = (reg1 & mask) ^ xor over len bytes. */
static void bitwise(struct nft_rb *rb, const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = expr(rb, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
	put(rb, e);
}

/* ---- matches ----------------------------------------------------------------- */

/* A value of a len-byte key in network order (the mark, a host-order
 * number, is the callers' own case). */
static const void *encode(uint32_t len, uint32_t v, uint32_t *be32, uint16_t *be16, uint8_t *u8)
{
	*be32 = htonl(v);
	*be16 = htons((uint16_t)v);
	*u8 = (uint8_t)v;
	return len == 1 ? (const void *)u8 : len == 2 ? (const void *)be16 : (const void *)be32;
}

void nft_rb_match(struct nft_rb *rb, enum nft_key k, enum nft_op op, uint32_t value)
{
	uint32_t len = load(rb, k), b32;
	uint16_t b16;
	uint8_t u8;

	if (len != 1 && len != 2 && len != 4) {
		rb->err = -EINVAL;
		return;
	}
	if (key_host_order(k))
		cmp(rb, op, &value, 4);
	else
		cmp(rb, op, encode(len, value, &b32, &b16, &u8), len);
}

void nft_rb_match_range(struct nft_rb *rb, enum nft_key k, uint32_t from, uint32_t to)
{
	uint32_t len = load(rb, k), f32, t32;
	uint16_t f16, t16;
	uint8_t f8, t8;

	/* Network order compares as numbers byte by byte, as cmp compares. */
	if ((len != 1 && len != 2 && len != 4) || key_host_order(k)) {
		rb->err = -EINVAL;
		return;
	}
	cmp(rb, NFT_GTE, encode(len, from, &f32, &f16, &f8), len);
	cmp(rb, NFT_LTE, encode(len, to, &t32, &t16, &t8), len);
}

void nft_rb_match_net(struct nft_rb *rb, enum nft_key k, enum nft_op op, struct cidr net)
{
	uint32_t mask = htonl(net.len ? 0xffffffffu << (32 - net.len) : 0);
	uint32_t addr = htonl(net.addr) & mask, zero = 0;

	if (net.len == 32) {
		nft_rb_match(rb, k, op, net.addr);
		return;
	}
	load(rb, k);
	bitwise(rb, &mask, &zero, 4);
	cmp(rb, op, &addr, 4);
}

void nft_rb_match_bits(struct nft_rb *rb, enum nft_key k, uint32_t mask, enum nft_op op,
		       uint32_t value)
{
	uint32_t len = load(rb, k), zero = 0, m32, v32;
	uint16_t m16, v16;
	uint8_t m8, v8;

	if (len != 1 && len != 2 && len != 4) {
		rb->err = -EINVAL;
		return;
	}
	if (key_host_order(k)) {
		bitwise(rb, &mask, &zero, 4);
		cmp(rb, op, &value, 4);
		return;
	}
	bitwise(rb, encode(len, mask, &m32, &m16, &m8), &zero, len);
	cmp(rb, op, encode(len, value, &v32, &v16, &v8), len);
}

void nft_rb_ct_state(struct nft_rb *rb, uint32_t bits)
{
	uint32_t zero = 0;

	ct_load(rb, NFT_CT_STATE);
	bitwise(rb, &bits, &zero, 4);
	cmp(rb, NFT_NE, &zero, 4);
}

void nft_rb_match_ifname(struct nft_rb *rb, bool out, const char *name)
{
	char buf[16] = { 0 };

	if (strlen(name) >= sizeof(buf)) {
		rb->err = -ENAMETOOLONG;
		return;
	}
	memcpy(buf, name, strlen(name));
	meta(rb, out ? NFT_META_OIFNAME : NFT_META_IIFNAME, NFT_REG_1, false);
	cmp(rb, NFT_EQ, buf, sizeof(buf));
}

static void fib_type(struct nft_rb *rb, bool daddr, enum nft_op op)
{
	struct nftnl_expr *e = expr(rb, "fib");
	uint32_t local = RTN_LOCAL;

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, daddr ? NFTA_FIB_F_DADDR : NFTA_FIB_F_SADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	put(rb, e);
	cmp(rb, op, &local, 4);
}

void nft_rb_fib_local(struct nft_rb *rb, bool daddr)
{
	fib_type(rb, daddr, NFT_EQ);
}

void nft_rb_fib_not_local(struct nft_rb *rb, bool daddr)
{
	fib_type(rb, daddr, NFT_NE);
}

static void lookup(struct nft_rb *rb, const char *set, uint32_t id, bool map)
{
	struct nftnl_expr *e = expr(rb, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (id)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
	if (map)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	put(rb, e);
}

void nft_rb_lookup(struct nft_rb *rb, enum nft_key k, const char *set, uint32_t id, bool map)
{
	load(rb, k);
	lookup(rb, set, id, map);
}

static void numgen(struct nft_rb *rb, uint32_t mod)
{
	struct nftnl_expr *e = expr(rb, "numgen");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, mod);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, 0);
	put(rb, e);
}

void nft_rb_numgen_vmap(struct nft_rb *rb, uint32_t mod, const char *map, uint32_t id)
{
	numgen(rb, mod);
	lookup(rb, map, id, true);
}

void nft_rb_set_update_saddr(struct nft_rb *rb, const char *set, uint32_t id)
{
	struct nftnl_expr *e;

	load(rb, NFT_KEY_SADDR);
	e = expr(rb, "dynset");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	if (id)
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, id);
	put(rb, e);
}

/* ---- actions ------------------------------------------------------------------ */

void nft_rb_mark_set(struct nft_rb *rb, uint32_t and_mask, uint32_t xor_mask)
{
	load(rb, NFT_KEY_MARK);
	bitwise(rb, &and_mask, &xor_mask, 4);
	meta(rb, NFT_META_MARK, NFT_REG_1, true);
}

static void immediate(struct nft_rb *rb, uint32_t reg, const void *data, uint32_t len);

void nft_rb_ct_mark_set(struct nft_rb *rb, uint32_t value)
{
	struct nftnl_expr *e;

	immediate(rb, NFT_REG_1, &value, 4);
	e = expr(rb, "ct");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	put(rb, e);
}

void nft_rb_verdict(struct nft_rb *rb, int verdict, const char *chain)
{
	struct nftnl_expr *e = expr(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	put(rb, e);
}

static void immediate(struct nft_rb *rb, uint32_t reg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
	put(rb, e);
}

void nft_rb_nftrace(struct nft_rb *rb)
{
	uint8_t one = 1;

	immediate(rb, NFT_REG_1, &one, 1);
	meta(rb, NFT_META_NFTRACE, NFT_REG_1, true);
}

void nft_rb_counter(struct nft_rb *rb)
{
	put(rb, expr(rb, "counter"));
}

void nft_rb_masquerade(struct nft_rb *rb, bool fully_random)
{
	struct nftnl_expr *e = expr(rb, "masq");

	if (!e)
		return;
	if (fully_random)
		nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_FLAGS, NF_NAT_RANGE_PROTO_RANDOM_FULLY);
	put(rb, e);
}

void nft_rb_dnat(struct nft_rb *rb, uint32_t ip, uint16_t port)
{
	uint32_t a = htonl(ip);
	uint16_t p = htons(port);
	struct nftnl_expr *e;

	immediate(rb, NFT_REG_1, &a, 4);
	immediate(rb, NFT_REG_2, &p, 2);
	e = expr(rb, "nat");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	put(rb, e);
}

void nft_rb_nat_map(struct nft_rb *rb, bool snat, const char *map)
{
	struct nftnl_expr *e;

	load(rb, snat ? NFT_KEY_SADDR : NFT_KEY_DADDR);
	e = expr(rb, "lookup");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, map);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
	put(rb, e);
	e = expr(rb, "nat");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, snat ? NFT_NAT_SNAT : NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	put(rb, e);
}

void nft_rb_reject(struct nft_rb *rb)
{
	struct nftnl_expr *e = expr(rb, "reject");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMP_UNREACH);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, ICMP_PORT_UNREACH);
	put(rb, e);
}
