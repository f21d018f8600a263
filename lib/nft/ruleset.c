/* ruleset — nf_tables objects as comparable records, from the kernel or
 * from batches, and their differences; see ruleset.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>

#include "nft/internal.h"
#include "nft/nft.h"
#include "nft/ruleset.h"

#define RS_RX 32768		/* MNL_SOCKET_DUMP_SIZE */
#define RS_TEXT 160		/* a rule's or an element's short description */
/* Set flags that say what a set is; the kernel may add others of its own. */
#define SET_FLAGS_KEPT (NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_INTERVAL | NFT_SET_MAP | \
			NFT_SET_TIMEOUT | NFT_SET_EVAL | NFT_SET_OBJECT)

/* ---- digests ------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

#define FNV0 14695981039346656037ull

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* ---- an index by (family, table, name) ------------------------------------ */

struct rs_index {
	uint64_t *keys;
	size_t *slots;		/* position + 1; 0 = free */
	size_t cap, n;
};

static uint64_t obj_key(uint32_t family, const char *table, const char *name)
{
	return fnv_str(fnv_str(fnv(FNV0, &family, sizeof(family)), table), name);
}

static int index_put(struct rs_index *x, uint64_t key, size_t pos)
{
	if ((x->n + 1) * 2 > x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 64;
		uint64_t *nk = calloc(ncap, sizeof(*nk));
		size_t *ns = calloc(ncap, sizeof(*ns));

		if (!nk || !ns) {
			free(nk);
			free(ns);
			return -ENOMEM;
		}
		for (size_t i = 0; i < x->cap; i++) {
			size_t j;

			if (!x->slots[i])
				continue;
			for (j = x->keys[i] & (ncap - 1); ns[j]; j = (j + 1) & (ncap - 1))
				;
			nk[j] = x->keys[i];
			ns[j] = x->slots[i];
		}
		free(x->keys);
		free(x->slots);
		x->keys = nk;
		x->slots = ns;
		x->cap = ncap;
	}
	for (size_t j = key & (x->cap - 1);; j = (j + 1) & (x->cap - 1)) {
		if (!x->slots[j]) {
			x->keys[j] = key;
			x->slots[j] = pos + 1;
			x->n++;
			return 0;
		}
	}
}

/* Call match(pos) for each entry with key until it says yes: that pos, or -1. */
static long index_find(const struct rs_index *x, uint64_t key, bool (*match)(size_t pos, void *arg),
		       void *arg)
{
	if (!x->cap)
		return -1;
	for (size_t j = key & (x->cap - 1); x->slots[j]; j = (j + 1) & (x->cap - 1))
		if (x->keys[j] == key && match(x->slots[j] - 1, arg))
			return (long)(x->slots[j] - 1);
	return -1;
}

static void index_free(struct rs_index *x)
{
	free(x->keys);
	free(x->slots);
	memset(x, 0, sizeof(*x));
}

/* ---- building a ruleset ---------------------------------------------------- */

/* What is being built: the ruleset and its indexes of chains and sets. */
struct rs_build {
	struct nft_ruleset *rs;
	struct rs_index chains, sets;
	int err;
};

static void *grow(void **v, size_t *cap, size_t n, size_t sz)
{
	if (n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *nv = realloc(*v, ncap * sz);

		if (!nv)
			return NULL;
		*v = nv;
		*cap = ncap;
	}
	return memset((char *)*v + n * sz, 0, sz);
}

static char *dup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

struct find_q {
	const struct nft_ruleset *rs;
	uint32_t family;
	const char *table, *name;
};

static bool chain_is(size_t pos, void *arg)
{
	const struct find_q *q = arg;
	const struct nft_rs_chain *c = &q->rs->chains[pos];

	return c->family == q->family && !strcmp(c->table, q->table) && !strcmp(c->name, q->name);
}

static bool set_is(size_t pos, void *arg)
{
	const struct find_q *q = arg;
	const struct nft_rs_set *s = &q->rs->sets[pos];

	return s->family == q->family && !strcmp(s->table, q->table) && !strcmp(s->name, q->name);
}

static struct nft_rs_chain *chain_find(struct rs_build *b, uint32_t family, const char *table,
				       const char *name)
{
	struct find_q q = { b->rs, family, table, name };
	long i = index_find(&b->chains, obj_key(family, table, name), chain_is, &q);

	return i < 0 ? NULL : &b->rs->chains[i];
}

static struct nft_rs_set *set_find(struct rs_build *b, uint32_t family, const char *table,
				   const char *name)
{
	struct find_q q = { b->rs, family, table, name };
	long i = index_find(&b->sets, obj_key(family, table, name), set_is, &q);

	return i < 0 ? NULL : &b->rs->sets[i];
}

static void table_add(struct rs_build *b, struct nftnl_table *t)
{
	struct nft_ruleset *rs = b->rs;
	struct nft_rs_table *x = grow((void **)&rs->tables, &rs->tcap, rs->ntables, sizeof(*x));

	if (!x) {
		b->err = -ENOMEM;
		return;
	}
	rs->ntables++;
	x->family = nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
	x->name = dup_or_null(nftnl_table_get_str(t, NFTNL_TABLE_NAME), &b->err);
	x->flags = nftnl_table_is_set(t, NFTNL_TABLE_FLAGS) ?
		   nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS) : 0;
	if (!x->name && !b->err)
		b->err = -EINVAL;
}

static void chain_add(struct rs_build *b, struct nftnl_chain *c)
{
	struct nft_ruleset *rs = b->rs;
	struct nft_rs_chain *x = grow((void **)&rs->chains, &rs->ccap, rs->nchains, sizeof(*x));

	if (!x) {
		b->err = -ENOMEM;
		return;
	}
	x->family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
	x->table = dup_or_null(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), &b->err);
	x->name = dup_or_null(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), &b->err);
	x->base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	if (x->base) {
		x->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		x->prio = nftnl_chain_is_set(c, NFTNL_CHAIN_PRIO) ?
			  (int32_t)nftnl_chain_get_u32(c, NFTNL_CHAIN_PRIO) : 0;
		x->type = dup_or_null(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), &b->err);
		x->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ?
			    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : NF_ACCEPT;
	}
	if (!x->table || !x->name) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	rs->nchains++;
	if (index_put(&b->chains, obj_key(x->family, x->table, x->name), rs->nchains - 1) < 0)
		b->err = -ENOMEM;
}

static void set_add(struct rs_build *b, struct nftnl_set *s)
{
	struct nft_ruleset *rs = b->rs;
	struct nft_rs_set *x = grow((void **)&rs->sets, &rs->scap, rs->nsets, sizeof(*x));

	if (!x) {
		b->err = -ENOMEM;
		return;
	}
	x->family = nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
	x->table = dup_or_null(nftnl_set_get_str(s, NFTNL_SET_TABLE), &b->err);
	x->name = dup_or_null(nftnl_set_get_str(s, NFTNL_SET_NAME), &b->err);
	x->flags = nftnl_set_is_set(s, NFTNL_SET_FLAGS) ?
		   nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & SET_FLAGS_KEPT : 0;
	/* A set with a default timeout is dynamic even without the flag. */
	if (nftnl_set_is_set(s, NFTNL_SET_TIMEOUT) && nftnl_set_get_u64(s, NFTNL_SET_TIMEOUT))
		x->flags |= NFT_SET_TIMEOUT;
	x->key_type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
	x->key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
	if (x->flags & NFT_SET_MAP) {
		x->data_type = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE);
		/* A verdict's size is the kernel's business (it says 16). */
		x->data_len = x->data_type == NFT_DATA_VERDICT ? 0 :
			      nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
	}
	if (!x->table || !x->name) {
		if (!b->err)
			b->err = -EINVAL;
		return;
	}
	rs->nsets++;
	if (index_put(&b->sets, obj_key(x->family, x->table, x->name), rs->nsets - 1) < 0)
		b->err = -ENOMEM;
}

static void fmt_ip(const uint8_t *p, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

/* A verdict as nft prints it. */
static void fmt_verdict(int32_t v, const char *chain, char *buf, size_t len)
{
	switch (v) {
	case NF_ACCEPT:
		snprintf(buf, len, "accept");
		break;
	case NF_DROP:
		snprintf(buf, len, "drop");
		break;
	case NFT_JUMP:
		snprintf(buf, len, "jump %s", chain ? chain : "?");
		break;
	case NFT_GOTO:
		snprintf(buf, len, "goto %s", chain ? chain : "?");
		break;
	case NFT_RETURN:
		snprintf(buf, len, "return");
		break;
	case NFT_CONTINUE:
		snprintf(buf, len, "continue");
		break;
	default:
		snprintf(buf, len, "verdict %d", v);
		break;
	}
}

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	/* Rules and elements number their comment alike (0). */
	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT && nftnl_udata_len(attr) > 0) {
		const char *v = nftnl_udata_get(attr);

		if (v[nftnl_udata_len(attr) - 1] == '\0')
			*(const char **)data = v;
	}
	return 0;
}

static const char *udata_comment(const void *ud, uint32_t len)
{
	const char *c = NULL;

	if (ud && len)
		nftnl_udata_parse(ud, len, comment_cb, &c);
	return c;
}

struct elem_ctx {
	struct rs_build *b;
	struct nft_rs_set *set;
};

static int elem_cb(struct nftnl_set_elem *e, void *arg)
{
	struct elem_ctx *c = arg;
	struct nft_rs_set *s = c->set;
	struct nft_rs_elem *x = grow((void **)&s->elems, &s->cap, s->nelems, sizeof(*x));
	char text[RS_TEXT] = "";
	const void *p;
	uint32_t len = 0;
	uint64_t h = FNV0;

	if (!x) {
		c->b->err = -ENOMEM;
		return -1;
	}
	s->nelems++;
	c->b->rs->nelems++;
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (p && len <= sizeof(x->key)) {
		memcpy(x->key, p, len);
		x->klen = (uint8_t)len;
	}
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
	if (p && x->klen + len <= sizeof(x->key)) {
		memcpy(x->key + x->klen, p, len);
		x->klen = (uint8_t)(x->klen + len);
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS)) {
		uint32_t f = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);

		h = fnv(h, &f, sizeof(f));
	}
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
	if (p && nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA)) {
		h = fnv(h, p, len);
		if (len == 4)
			fmt_ip(p, text, sizeof(text));
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
		int32_t v = (int32_t)nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT);
		const char *chain = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN) ?
				    nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN) : NULL;

		h = fnv_str(fnv(h, &v, sizeof(v)), chain);
		fmt_verdict(v, chain, text, sizeof(text));
	}
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
	if (p && nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA))
		h = fnv_str(h, udata_comment(p, len));
	x->value = h;
	x->data = text[0] ? dup_or_null(text, &c->b->err) : NULL;
	return c->b->err ? -1 : 0;
}

/* Elements parsed into ns (a libnftnl set) go to the record of their set. */
static void elems_add(struct rs_build *b, struct nftnl_set *ns)
{
	struct elem_ctx c = { b, set_find(b, nftnl_set_get_u32(ns, NFTNL_SET_FAMILY),
					  nftnl_set_get_str(ns, NFTNL_SET_TABLE),
					  nftnl_set_get_str(ns, NFTNL_SET_NAME)) };

	if (!c.set)
		return;	/* elements of a set we did not see: nothing to compare them with */
	/* A batch may add to a set whose content was already summed up. */
	c.set->content = 0;
	nftnl_set_elem_foreach(ns, elem_cb, &c);
}

static int elem_cmp(const void *a, const void *b)
{
	const struct nft_rs_elem *x = a, *y = b;

	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return memcmp(x->key, y->key, x->klen);
}

/* The set's elements sorted and summed up into one digest. */
static uint64_t set_content(struct nft_rs_set *s)
{
	uint64_t h = FNV0;

	if (s->content)
		return s->content;
	if (s->nelems)
		qsort(s->elems, s->nelems, sizeof(*s->elems), elem_cmp);
	h = fnv(h, &s->key_len, sizeof(s->key_len));
	h = fnv(h, &s->flags, sizeof(s->flags));
	for (size_t i = 0; i < s->nelems; i++) {
		h = fnv(h, s->elems[i].key, s->elems[i].klen);
		h = fnv(h, &s->elems[i].value, sizeof(s->elems[i].value));
	}
	return s->content = h ? h : 1;
}

/* Attributes left out of a rule's digest: what the kernel counts (counter
 * values), ids that only link objects inside one batch, and pointers. */
static bool attr_ignored(const char *expr, uint16_t attr)
{
	static const struct { const char *expr; uint16_t attr; } skip[] = {
		{ "counter", NFTNL_EXPR_CTR_PACKETS },
		{ "counter", NFTNL_EXPR_CTR_BYTES },
		{ "lookup", NFTNL_EXPR_LOOKUP_SET_ID },
		{ "dynset", NFTNL_EXPR_DYNSET_SET_ID },
		{ "dynset", NFTNL_EXPR_DYNSET_EXPR },
		{ "dynset", NFTNL_EXPR_DYNSET_EXPRESSIONS },
		{ "immediate", NFTNL_EXPR_IMM_CHAIN_ID },
		{ "numgen", NFTNL_EXPR_NG_SET_ID },
	};

	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (skip[i].attr == attr && !strcmp(skip[i].expr, expr))
			return true;
	return false;
}

/* What the kernel says back that was never sent: a default spelled out
 * (bitwise op, lookup and dynset flags 0, dynset timeout 0), the NAT's upper register when it is the
 * lower one, and the NAT flags it derives from the registers. The value
 * to digest goes to *v (len bytes, which may point at u); false: none. */
static bool attr_value(const char *expr, const struct nftnl_expr *e, uint16_t attr,
		       const void **v, uint32_t *len, uint32_t *u)
{
	*v = nftnl_expr_get(e, attr, len);
	if (!*v)
		return false;
	if ((!strcmp(expr, "bitwise") && attr == NFTNL_EXPR_BITWISE_OP) ||
	    (!strcmp(expr, "lookup") && attr == NFTNL_EXPR_LOOKUP_FLAGS) ||
	    (!strcmp(expr, "dynset") && attr == NFTNL_EXPR_DYNSET_FLAGS))
		return nftnl_expr_get_u32(e, attr) != 0;
	if (!strcmp(expr, "dynset") && attr == NFTNL_EXPR_DYNSET_TIMEOUT)
		return nftnl_expr_get_u64(e, attr) != 0;
	if (strcmp(expr, "nat"))
		return true;
	switch (attr) {
	case NFTNL_EXPR_NAT_REG_ADDR_MAX:
		return !nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_ADDR_MIN) ||
		       nftnl_expr_get_u32(e, attr) !=
		       nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN);
	case NFTNL_EXPR_NAT_REG_PROTO_MAX:
		return !nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_PROTO_MIN) ||
		       nftnl_expr_get_u32(e, attr) !=
		       nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN);
	case NFTNL_EXPR_NAT_FLAGS:
		/* NF_NAT_RANGE_MAP_IPS (1), NF_NAT_RANGE_PROTO_SPECIFIED (2) */
		*u = nftnl_expr_get_u32(e, attr) & ~3u;
		*v = u;
		*len = sizeof(*u);
		return *u != 0;
	}
	return true;
}

/* A rule being digested: its family and table (for its sets), what it
 * loads into registers (for the summary), the digest and the summary. */
struct rule_ctx {
	struct rs_build *b;
	uint32_t family;
	const char *table;
	uint64_t h;
	uint8_t regs[32][16];	/* last immediate load per register (NFT_REG32 ids below 32) */
	uint32_t reglen[32];
	char what[RS_TEXT];
	size_t whatlen;
	char xt_comment[256];	/* `-m comment`, for a rule with no nft comment */
};

static void what_add(struct rule_ctx *c, const char *s)
{
	int n = snprintf(c->what + c->whatlen, sizeof(c->what) - c->whatlen, "%s%s",
			 c->whatlen ? " " : "", s);

	if (n > 0 && c->whatlen + (size_t)n < sizeof(c->what))
		c->whatlen += (size_t)n;
}

static int reg_slot(uint32_t reg)
{
	/* NFT_REG_1..4 are 16-byte registers; NFT_REG32_00.. are 4-byte ones. */
	if (reg >= NFT_REG_1 && reg <= NFT_REG_4)
		return (int)(reg - NFT_REG_1) * 4;
	if (reg >= NFT_REG32_00 && reg < NFT_REG32_00 + 16)
		return (int)(reg - NFT_REG32_00);
	return -1;
}

/* "dnat to 10.244.1.3:8080": the registers the NAT reads, as loaded. */
static void what_nat(struct rule_ctx *c, const struct nftnl_expr *e)
{
	uint32_t type = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE);
	char s[64], ip[16] = "";
	int a = nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_ADDR_MIN) ?
		reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN)) : -1;
	int p = nftnl_expr_is_set(e, NFTNL_EXPR_NAT_REG_PROTO_MIN) ?
		reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN)) : -1;

	if (a >= 0 && c->reglen[a] == 4)
		fmt_ip(c->regs[a], ip, sizeof(ip));
	if (ip[0] && p >= 0 && c->reglen[p] >= 2)
		snprintf(s, sizeof(s), "%s to %s:%u", type == NFT_NAT_DNAT ? "dnat" : "snat", ip,
			 (unsigned)c->regs[p][0] << 8 | c->regs[p][1]);
	else if (ip[0])
		snprintf(s, sizeof(s), "%s to %s", type == NFT_NAT_DNAT ? "dnat" : "snat", ip);
	else
		snprintf(s, sizeof(s), "%s", type == NFT_NAT_DNAT ? "dnat" : "snat");
	what_add(c, s);
}

/* The short description: verdicts, NATs, lookups; the rest is matching. */
static void what_expr(struct rule_ctx *c, const char *name, const struct nftnl_expr *e,
		      const struct nft_rs_set *set)
{
	char s[RS_TEXT];

	if (!strcmp(name, "immediate") && nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT)) {
		int32_t v = (int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);

		if (v == NFT_CONTINUE)
			return;
		fmt_verdict(v, nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN), s, sizeof(s));
		what_add(c, s);
	} else if (!strcmp(name, "immediate")) {
		uint32_t len = 0;
		const void *d = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len);
		int r = reg_slot(nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG));

		if (d && r >= 0 && len <= sizeof(c->regs[r])) {
			memcpy(c->regs[r], d, len);
			c->reglen[r] = len;
		}
	} else if (!strcmp(name, "lookup")) {
		bool map = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG) &&
			   nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG) == NFT_REG_VERDICT;

		if (set && (set->flags & NFT_SET_ANONYMOUS))
			snprintf(s, sizeof(s), "%s{ %zu element%s }", map ? "vmap " : "", set->nelems,
				 set->nelems == 1 ? "" : "s");
		else
			snprintf(s, sizeof(s), "%s@%s", map ? "vmap " : "",
				 nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
		what_add(c, s);
	} else if (!strcmp(name, "nat")) {
		what_nat(c, e);
	} else if (!strcmp(name, "masq")) {
		what_add(c, "masquerade");
	} else if (!strcmp(name, "reject")) {
		what_add(c, "reject");
	} else if (!strcmp(name, "counter")) {
		what_add(c, "counter");
	} else if (!strcmp(name, "numgen")) {
		snprintf(s, sizeof(s), "numgen mod %u", nftnl_expr_get_u32(e, NFTNL_EXPR_NG_MODULUS));
		what_add(c, s);
	} else if (!strcmp(name, "dynset")) {
		snprintf(s, sizeof(s), "update @%s", nftnl_expr_get_str(e, NFTNL_EXPR_DYNSET_SET_NAME));
		what_add(c, s);
	} else if (!strcmp(name, "target") || !strcmp(name, "match")) {
		uint32_t ip;
		uint16_t port;
		char a[16];

		if (nft_xt_comment_of(e, s, sizeof(s)))
			return;	/* the rule's comment, shown as such */
		if (nft_xt_dnat_of(e, &ip, &port) && port)
			snprintf(s, sizeof(s), "xt DNAT to %s:%u", addr_fmt(ip, a), port);
		else if (nft_xt_dnat_of(e, &ip, &port))
			snprintf(s, sizeof(s), "xt DNAT to %s", addr_fmt(ip, a));
		else
			snprintf(s, sizeof(s), "xt %s %s", name,
				 nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME));
		what_add(c, s);
	}
}

static int expr_cb(struct nftnl_expr *e, void *arg)
{
	struct rule_ctx *c = arg;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	const struct nft_rs_set *set = NULL;

	c->h = fnv_str(c->h, name);
	for (uint16_t a = NFTNL_EXPR_BASE; a < 32; a++) {
		const void *p;
		uint32_t len = 0, u = 0;

		if (!nftnl_expr_is_set(e, a) || attr_ignored(name, a))
			continue;
		/* A set is compared by its elements when it is anonymous: its
		 * name is made up anew by every batch. */
		if ((!strcmp(name, "lookup") && a == NFTNL_EXPR_LOOKUP_SET) ||
		    (!strcmp(name, "dynset") && a == NFTNL_EXPR_DYNSET_SET_NAME)) {
			struct nft_rs_set *s = set_find(c->b, c->family, c->table,
							nftnl_expr_get_str(e, a));

			if (s && (s->flags & NFT_SET_ANONYMOUS)) {
				uint64_t content = set_content(s);

				c->h = fnv(c->h, &a, sizeof(a));
				c->h = fnv(c->h, &content, sizeof(content));
				set = s;
				continue;
			}
			set = s;
		}
		if (!attr_value(name, e, a, &p, &len, &u))
			continue;
		c->h = fnv(c->h, &a, sizeof(a));
		c->h = fnv(c->h, p, len);
	}
	what_expr(c, name, e, set);
	return 0;
}

static void rule_add(struct rs_build *b, struct nftnl_rule *r)
{
	struct rule_ctx *c = calloc(1, sizeof(*c));
	struct nft_rs_chain *ch;
	struct nft_rs_rule *x;
	const char *comment;
	const void *ud;
	uint32_t udlen = 0;

	if (!c) {
		b->err = -ENOMEM;
		return;
	}
	c->b = b;
	c->family = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	c->table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	c->h = FNV0;
	ch = c->table ? chain_find(b, c->family, c->table, nftnl_rule_get_str(r, NFTNL_RULE_CHAIN))
		      : NULL;
	if (!ch)
		goto out;	/* a rule of a chain we did not see (it came while reading) */
	nftnl_expr_foreach(r, expr_cb, c);
	ud = nftnl_rule_is_set(r, NFTNL_RULE_USERDATA) ?
	     nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &udlen) : NULL;
	comment = udata_comment(ud, udlen);
	/* iptables-nft's rules keep theirs in `-m comment` (already digested
	 * with the match). */
	if (!comment && nft_xt_rule_comment(r, c->xt_comment, sizeof(c->xt_comment)))
		comment = c->xt_comment;
	c->h = fnv_str(c->h, comment);
	x = grow((void **)&ch->rules, &ch->cap, ch->nrules, sizeof(*x));
	if (!x) {
		b->err = -ENOMEM;
		goto out;
	}
	ch->nrules++;
	b->rs->nrules++;
	x->digest = c->h;
	x->handle = nftnl_rule_is_set(r, NFTNL_RULE_HANDLE) ?
		    nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE) : 0;
	x->comment = dup_or_null(comment, &b->err);
	x->what = dup_or_null(c->whatlen ? c->what : "(matches only)", &b->err);
out:
	free(c);
}

/* ---- from a batch ------------------------------------------------------------ */

/* A copy of an element message as the kernel would echo it: libnftnl
 * numbers the elements it builds 1, 2, 3... (the kernel ignores the type of
 * a list entry) but parses only NFTA_LIST_ELEM entries. */
static struct nlmsghdr *elems_renumbered(const struct nlmsghdr *nlh)
{
	struct nlmsghdr *copy = malloc(nlh->nlmsg_len);
	struct nlattr *a, *el;

	if (!copy)
		return NULL;
	memcpy(copy, nlh, nlh->nlmsg_len);
	mnl_attr_for_each(a, copy, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
			mnl_attr_for_each_nested(el, a)
				el->nla_type = (uint16_t)((el->nla_type & ~NLA_TYPE_MASK) |
							  NFTA_LIST_ELEM);
	return copy;
}

struct batch_pass {
	struct rs_build *b;
	bool rules;		/* pass 2: rules, once every set is known */
};

static int batch_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct batch_pass *p = arg;
	struct rs_build *b = p->b;
	uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);

	if (p->rules != (type == NFT_MSG_NEWRULE))
		return 0;
	switch (type) {
	case NFT_MSG_NEWTABLE: {
		struct nftnl_table *t = nftnl_table_alloc();

		if (t && nftnl_table_nlmsg_parse(nlh, t) >= 0)
			table_add(b, t);
		else
			b->err = -ENOMEM;
		nftnl_table_free(t);
		break;
	}
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (c && nftnl_chain_nlmsg_parse(nlh, c) >= 0)
			chain_add(b, c);
		else
			b->err = -ENOMEM;
		nftnl_chain_free(c);
		break;
	}
	case NFT_MSG_NEWSET: {
		struct nftnl_set *s = nftnl_set_alloc();

		if (s && nftnl_set_nlmsg_parse(nlh, s) >= 0)
			set_add(b, s);
		else
			b->err = -ENOMEM;
		nftnl_set_free(s);
		break;
	}
	case NFT_MSG_NEWSETELEM: {
		struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *copy = elems_renumbered(nlh);

		if (s && copy && nftnl_set_elems_nlmsg_parse(copy, s) >= 0)
			elems_add(b, s);
		else
			b->err = -ENOMEM;
		nftnl_set_free(s);
		free(copy);
		break;
	}
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (r && nftnl_rule_nlmsg_parse(nlh, r) >= 0)
			rule_add(b, r);
		else
			b->err = -ENOMEM;
		nftnl_rule_free(r);
		break;
	}
	default:
		break;	/* deletions and flushes: setup's batches make, they do not undo */
	}
	return b->err;
}

/* The indexes are rebuilt from the records: a ruleset grows batch by batch. */
static int build_start(struct rs_build *b, struct nft_ruleset *rs)
{
	memset(b, 0, sizeof(*b));
	b->rs = rs;
	for (size_t i = 0; i < rs->nchains; i++)
		if (index_put(&b->chains, obj_key(rs->chains[i].family, rs->chains[i].table,
						  rs->chains[i].name), i) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < rs->nsets; i++)
		if (index_put(&b->sets, obj_key(rs->sets[i].family, rs->sets[i].table,
						rs->sets[i].name), i) < 0)
			return -ENOMEM;
	return 0;
}

/* Every set's elements sorted and summed up, for the comparison. */
static void build_end(struct rs_build *b)
{
	for (size_t i = 0; i < b->rs->nsets; i++)
		set_content(&b->rs->sets[i]);
	index_free(&b->chains);
	index_free(&b->sets);
}

int nft_ruleset_add_batch(struct nft_ruleset *rs, struct nft_batch *nb)
{
	struct rs_build b;
	struct batch_pass p = { &b, false };
	int ret = build_start(&b, rs);

	if (ret == 0)
		ret = nft_batch_for_each(nb, batch_msg_cb, &p);
	p.rules = true;
	if (ret == 0)
		ret = nft_batch_for_each(nb, batch_msg_cb, &p);
	build_end(&b);
	return ret ? ret : b.err;
}

/* ---- from the kernel ------------------------------------------------------------ */

static int table_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rs_build *b = arg;
	struct nftnl_table *t = nftnl_table_alloc();

	if (t && nftnl_table_nlmsg_parse(nlh, t) >= 0)
		table_add(b, t);
	else
		b->err = -ENOMEM;
	nftnl_table_free(t);
	return b->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int chain_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rs_build *b = arg;
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (c && nftnl_chain_nlmsg_parse(nlh, c) >= 0)
		chain_add(b, c);
	else
		b->err = -ENOMEM;
	nftnl_chain_free(c);
	return b->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int set_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rs_build *b = arg;
	struct nftnl_set *s = nftnl_set_alloc();

	if (s && nftnl_set_nlmsg_parse(nlh, s) >= 0)
		set_add(b, s);
	else
		b->err = -ENOMEM;
	nftnl_set_free(s);
	return b->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int elem_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rs_build *b = arg;
	struct nftnl_set *s = nftnl_set_alloc();

	if (s && nftnl_set_elems_nlmsg_parse(nlh, s) >= 0)
		elems_add(b, s);
	else
		b->err = -ENOMEM;
	nftnl_set_free(s);
	return b->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int rule_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rs_build *b = arg;
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r && nftnl_rule_nlmsg_parse(nlh, r) >= 0)
		rule_add(b, r);
	else
		b->err = -ENOMEM;
	nftnl_rule_free(r);
	return b->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int gen_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_GEN_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			*(uint32_t *)arg = ntohl(mnl_attr_get_u32(a));
	return MNL_CB_STOP;	/* one answer, no NLMSG_DONE after it */
}

/* The ruleset's generation: it changes with every committed batch. */
static int gen_read(struct mnl_socket *nl, char *buf, uint32_t *gen)
{
	uint32_t seq = (uint32_t)time(NULL);

	nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, NFPROTO_UNSPEC, 0, seq);
	return nft_dump(nl, buf, RS_RX, seq, gen_cb, gen);
}

static int dump_all(struct mnl_socket *nl, char *buf, uint16_t type, mnl_cb_t cb,
		    struct rs_build *b)
{
	uint32_t seq = (uint32_t)time(NULL);
	int ret;

	nftnl_nlmsg_build_hdr(buf, type, NFPROTO_UNSPEC, NLM_F_DUMP, seq);
	ret = nft_dump(nl, buf, RS_RX, seq, cb, b);
	return b->err ? b->err : ret;
}

static int dump_elems(struct mnl_socket *nl, char *buf, struct rs_build *b,
		      const struct nft_rs_set *s)
{
	uint32_t seq = (uint32_t)time(NULL);
	struct nftnl_set *q = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int ret;

	if (!q)
		return -ENOMEM;
	nftnl_set_set_str(q, NFTNL_SET_TABLE, s->table);
	nftnl_set_set_str(q, NFTNL_SET_NAME, s->name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)s->family, NLM_F_DUMP, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, q);
	nftnl_set_free(q);
	ret = nft_dump(nl, buf, RS_RX, seq, elem_dump_cb, b);
	/* A set deleted since the set dump: it is no longer there. */
	return b->err ? b->err : ret == -ENOENT ? 0 : ret;
}

static void ruleset_clear(struct nft_ruleset *rs);

/* One reading of everything; -EAGAIN if a batch was committed meanwhile. */
static int read_once(struct nft_ruleset *rs, struct mnl_socket *nl, char *buf)
{
	uint32_t gen0 = 0, gen1 = 0;
	struct rs_build b;
	int ret = build_start(&b, rs);

	/* Most namespaces (pods) have no table: one question, no more. */
	if (ret == 0)
		ret = dump_all(nl, buf, NFT_MSG_GETTABLE, table_dump_cb, &b);
	if (ret < 0 || !rs->ntables)
		goto out;
	/* Tables there: read them all again between two readings of the
	 * generation, which every commit changes. */
	ruleset_clear(rs);
	ret = gen_read(nl, buf, &gen0);
	if (ret == 0)
		ret = dump_all(nl, buf, NFT_MSG_GETTABLE, table_dump_cb, &b);
	if (ret == 0)
		ret = dump_all(nl, buf, NFT_MSG_GETCHAIN, chain_dump_cb, &b);
	if (ret == 0)
		ret = dump_all(nl, buf, NFT_MSG_GETSET, set_dump_cb, &b);
	/* nf_tables lists the elements of one set per request. */
	for (size_t i = 0; ret == 0 && i < rs->nsets; i++)
		if (!(rs->sets[i].flags & NFT_SET_TIMEOUT) ||
		    (rs->sets[i].flags & NFT_SET_ANONYMOUS))
			ret = dump_elems(nl, buf, &b, &rs->sets[i]);
	if (ret == 0)
		ret = dump_all(nl, buf, NFT_MSG_GETRULE, rule_dump_cb, &b);
	if (ret == 0)
		ret = gen_read(nl, buf, &gen1);
	if (ret == 0 && gen0 != gen1)
		ret = -EAGAIN;
out:
	build_end(&b);
	return ret;
}

int nft_ruleset_read(struct nft_ruleset *rs, struct mnl_socket *nl)
{
	struct mnl_socket *own = NULL;
	char *buf = malloc(RS_RX);
	int ret = -ENOMEM;

	if (!buf)
		return ret;
	if (!nl) {
		nl = own = nft_socket_open();
		if (!nl) {
			ret = -errno;
			goto out;
		}
	}
	/* Someone committing while we read would make a torn picture. */
	for (int tries = 0; tries < 5; tries++) {
		ruleset_clear(rs);
		ret = read_once(rs, nl, buf);
		if (ret != -EAGAIN)
			break;
	}
out:
	if (own)
		mnl_socket_close(own);
	free(buf);
	return ret;
}

static void ruleset_clear(struct nft_ruleset *rs)
{
	nft_ruleset_free(rs);
	memset(rs, 0, sizeof(*rs));
}

void nft_ruleset_free(struct nft_ruleset *rs)
{
	for (size_t i = 0; i < rs->ntables; i++)
		free(rs->tables[i].name);
	for (size_t i = 0; i < rs->nchains; i++) {
		struct nft_rs_chain *c = &rs->chains[i];

		for (size_t k = 0; k < c->nrules; k++) {
			free(c->rules[k].comment);
			free(c->rules[k].what);
		}
		free(c->rules);
		free(c->table);
		free(c->name);
		free(c->type);
	}
	for (size_t i = 0; i < rs->nsets; i++) {
		struct nft_rs_set *s = &rs->sets[i];

		for (size_t k = 0; k < s->nelems; k++)
			free(s->elems[k].data);
		free(s->elems);
		free(s->table);
		free(s->name);
	}
	free(rs->tables);
	free(rs->chains);
	free(rs->sets);
	memset(rs, 0, sizeof(*rs));
}

const char *nft_family_name(uint32_t family)
{
	switch (family) {
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_NETDEV:
		return "netdev";
	}
	return "unknown";
}

/* ---- differences ------------------------------------------------------------------ */

static int name_cmp3(uint32_t fa, const char *ta, const char *na, uint32_t fb, const char *tb,
		     const char *nb)
{
	int c;

	if (fa != fb)
		return fa < fb ? -1 : 1;
	c = strcmp(ta, tb);
	if (c || !na)
		return c;
	return strcmp(na, nb);
}

static int table_cmp(const void *a, const void *b)
{
	const struct nft_rs_table *x = *(const struct nft_rs_table *const *)a;
	const struct nft_rs_table *y = *(const struct nft_rs_table *const *)b;

	return name_cmp3(x->family, x->name, NULL, y->family, y->name, NULL);
}

static int chain_cmp(const void *a, const void *b)
{
	const struct nft_rs_chain *x = *(const struct nft_rs_chain *const *)a;
	const struct nft_rs_chain *y = *(const struct nft_rs_chain *const *)b;

	return name_cmp3(x->family, x->table, x->name, y->family, y->table, y->name);
}

static int set_cmp(const void *a, const void *b)
{
	const struct nft_rs_set *x = *(const struct nft_rs_set *const *)a;
	const struct nft_rs_set *y = *(const struct nft_rs_set *const *)b;

	return name_cmp3(x->family, x->table, x->name, y->family, y->table, y->name);
}

/* Pointers to n records of size sz, sorted by cmp (the records stay put:
 * rules and sets point at each other by name, not position). */
static const void **sorted(const void *v, size_t n, size_t sz, int (*cmp)(const void *, const void *))
{
	const void **p = malloc((n ? n : 1) * sizeof(*p));

	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p[i] = (const char *)v + i * sz;
	qsort(p, n, sizeof(*p), cmp);
	return p;
}

/* Both sides sorted once. */
struct diff_ctx {
	const struct nft_rs_table **wt, **ht;
	const struct nft_rs_chain **wc, **hc;
	const struct nft_rs_set **ws, **hs;
	const struct nft_ruleset *want, *have;
	int (*fn)(const struct nft_diff *d, void *arg);
	void *arg;
	struct nft_rs_counts *n;
};

/* Is table (family, name) in the sorted list? */
static bool has_table(const struct nft_rs_table **v, size_t n, uint32_t family, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = name_cmp3(v[mid]->family, v[mid]->name, NULL, family, name, NULL);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int emit(struct diff_ctx *c, struct nft_diff *d)
{
	return c->fn(d, c->arg);
}

static int diff_tables(struct diff_ctx *c)
{
	size_t i = 0, j = 0, nw = c->want->ntables, nh = c->have->ntables;
	int ret = 0;

	while (ret == 0 && (i < nw || j < nh)) {
		int k = i == nw ? 1 : j == nh ? -1 :
			name_cmp3(c->wt[i]->family, c->wt[i]->name, NULL, c->ht[j]->family,
				  c->ht[j]->name, NULL);
		const struct nft_rs_table *t = k <= 0 ? c->wt[i] : c->ht[j];
		struct nft_diff d = { .what = NFT_DIFF_TABLE, .family = t->family, .table = t->name };

		if (k < 0) {
			d.how = NFT_DIFF_MISSING;
			ret = emit(c, &d);
			i++;
		} else if (k > 0) {
			d.how = NFT_DIFF_EXTRA;
			ret = emit(c, &d);
			j++;
		} else {
			bool wd = c->wt[i]->flags & NFT_TABLE_F_DORMANT;
			bool hd = c->ht[j]->flags & NFT_TABLE_F_DORMANT;

			if (wd != hd) {
				d.how = NFT_DIFF_CHANGED;
				d.expected = wd ? "dormant" : "active";
				d.actual = hd ? "dormant" : "active";
				ret = emit(c, &d);
			}
			i++;
			j++;
		}
	}
	return ret;
}

static const char *hook_name(uint32_t family, uint32_t hook)
{
	static const char *const inet[] = { "prerouting", "input", "forward", "output",
					    "postrouting", "ingress" };

	if (family == NFPROTO_NETDEV)
		return hook == 0 ? "ingress" : "egress";
	return hook < sizeof(inet) / sizeof(inet[0]) ? inet[hook] : "?";
}

static void chain_spec(const struct nft_rs_chain *ch, char *buf, size_t len)
{
	if (!ch->base)
		snprintf(buf, len, "regular chain");
	else
		snprintf(buf, len, "type %s hook %s priority %d; policy %s", ch->type ? ch->type : "?",
			 hook_name(ch->family, ch->hook), ch->prio,
			 ch->policy == NF_DROP ? "drop" : "accept");
}

struct rule_ref {
	uint64_t digest;
	size_t pos;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct rule_ref *x = a, *y = b;

	if (x->digest != y->digest)
		return x->digest < y->digest ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static struct rule_ref *rule_refs(const struct nft_rs_chain *ch)
{
	struct rule_ref *r = malloc((ch->nrules ? ch->nrules : 1) * sizeof(*r));

	if (!r)
		return NULL;
	for (size_t i = 0; i < ch->nrules; i++)
		r[i] = (struct rule_ref){ ch->rules[i].digest, i };
	qsort(r, ch->nrules, sizeof(*r), ref_cmp);
	return r;
}

static const char *rule_item(const struct nft_rs_rule *r)
{
	return r->comment ? r->comment : r->what;
}

/* The rules of a chain both sides have: those missing, those extra, and
 * the same rules in another order. */
static int diff_rules(struct diff_ctx *c, const struct nft_rs_chain *w, const struct nft_rs_chain *h)
{
	struct rule_ref *rw = rule_refs(w), *rh = rule_refs(h);
	size_t i = 0, j = 0;
	bool changed = false;
	int ret = 0;

	if (!rw || !rh) {
		ret = -ENOMEM;
		goto out;
	}
	c->n->rules += w->nrules;
	/* Two walks of the sorted digests: the missing rules, then the extra. */
	for (int pass = 0; pass < 2; pass++) {
		for (i = j = 0; ret == 0 && (i < w->nrules || j < h->nrules);) {
			struct nft_diff d = { .what = NFT_DIFF_RULE, .family = w->family,
					      .table = w->table, .name = w->name };

			if (j == h->nrules || (i < w->nrules && rw[i].digest < rh[j].digest)) {
				const struct nft_rs_rule *r = &w->rules[rw[i].pos];

				d.how = NFT_DIFF_MISSING;
				d.item = rule_item(r);
				d.index = rw[i++].pos + 1;
				d.expected = r->what;
			} else if (i == w->nrules || rh[j].digest < rw[i].digest) {
				const struct nft_rs_rule *r = &h->rules[rh[j].pos];

				d.how = NFT_DIFF_EXTRA;
				d.item = rule_item(r);
				d.index = rh[j++].pos + 1;
				d.handle = r->handle;
				d.actual = r->what;
			} else {
				i++;
				j++;
				continue;
			}
			changed = true;
			if ((d.how == NFT_DIFF_MISSING) == (pass == 0))
				ret = emit(c, &d);
		}
	}
	/* The same rules: in the same order? */
	for (size_t k = 0; ret == 0 && !changed && k < w->nrules; k++) {
		if (w->rules[k].digest == h->rules[k].digest)
			continue;
		struct nft_diff d = { .what = NFT_DIFF_RULE, .how = NFT_DIFF_ORDER,
				      .family = w->family, .table = w->table, .name = w->name,
				      .item = rule_item(&w->rules[k]), .index = k + 1,
				      .handle = h->rules[k].handle,
				      .expected = rule_item(&w->rules[k]),
				      .actual = rule_item(&h->rules[k]) };

		ret = emit(c, &d);
		break;
	}
out:
	free(rw);
	free(rh);
	return ret;
}

static int diff_chains(struct diff_ctx *c)
{
	size_t i = 0, j = 0, nw = c->want->nchains, nh = c->have->nchains;
	int ret = 0;

	while (ret == 0 && (i < nw || j < nh)) {
		int k = i == nw ? 1 : j == nh ? -1 : chain_cmp(&c->wc[i], &c->hc[j]);
		const struct nft_rs_chain *ch = k <= 0 ? c->wc[i] : c->hc[j];
		struct nft_diff d = { .what = NFT_DIFF_CHAIN, .family = ch->family,
				      .table = ch->table, .name = ch->name };
		char ws[128], hs[128];

		if (k < 0) {
			c->n->chains++;
			c->n->rules += ch->nrules;
			i++;
			/* A table gone is one difference, not one per chain. */
			if (!has_table(c->ht, c->have->ntables, ch->family, ch->table))
				continue;
			d.how = NFT_DIFF_MISSING;
			ret = emit(c, &d);
		} else if (k > 0) {
			j++;
			if (!has_table(c->wt, c->want->ntables, ch->family, ch->table))
				continue;
			d.how = NFT_DIFF_EXTRA;
			ret = emit(c, &d);
		} else {
			c->n->chains++;
			chain_spec(c->wc[i], ws, sizeof(ws));
			chain_spec(c->hc[j], hs, sizeof(hs));
			if (strcmp(ws, hs)) {
				d.how = NFT_DIFF_CHANGED;
				d.expected = ws;
				d.actual = hs;
				ret = emit(c, &d);
			}
			if (ret == 0)
				ret = diff_rules(c, c->wc[i], c->hc[j]);
			i++;
			j++;
		}
	}
	return ret;
}

/* An element's key as nft would print it, from the set's key type: a
 * concatenation packs 6-bit type ids, each field a 32-bit register. */
static void elem_key_text(const struct nft_rs_set *s, const struct nft_rs_elem *e, char *buf,
			  size_t len)
{
	uint32_t types[8], nt = 0, t = s->key_type;
	size_t off = 0, o = 0;

	for (; t && nt < 8; t >>= 6)
		types[nt++] = t & 0x3f;
	buf[0] = '\0';
	if (!nt)
		types[nt++] = 0;
	for (uint32_t k = nt; k-- > 0 && off < e->klen;) {
		const uint8_t *p = e->key + off;
		size_t field = e->klen - off >= 4 ? 4 : e->klen - off;
		int n;

		if (types[k] == 7 && field == 4)		/* ipv4_addr */
			n = snprintf(buf + o, len - o, "%s%u.%u.%u.%u", o ? " . " : "", p[0], p[1],
				     p[2], p[3]);
		else if (types[k] == 12)			/* inet_proto */
			n = snprintf(buf + o, len - o, "%s%s", o ? " . " : "", p[0] == IPPROTO_TCP ?
				     "tcp" : p[0] == IPPROTO_UDP ? "udp" : "proto");
		else if (types[k] == 13 && field >= 2)		/* inet_service */
			n = snprintf(buf + o, len - o, "%s%u", o ? " . " : "", p[0] << 8 | p[1]);
		else
			n = snprintf(buf + o, len - o, "%s%u", o ? " . " : "",
				     field == 4 ? (unsigned)(p[0] | p[1] << 8 | p[2] << 16 |
							     (unsigned)p[3] << 24) : p[0]);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
		off += 4;
	}
}

static int diff_elems(struct diff_ctx *c, const struct nft_rs_set *w, const struct nft_rs_set *h)
{
	size_t i = 0, j = 0;
	char key[RS_TEXT];
	int ret = 0;

	c->n->elems += w->nelems;
	while (ret == 0 && (i < w->nelems || j < h->nelems)) {
		int k = i == w->nelems ? 1 : j == h->nelems ? -1 : elem_cmp(&w->elems[i], &h->elems[j]);
		const struct nft_rs_elem *e = k <= 0 ? &w->elems[i] : &h->elems[j];
		struct nft_diff d = { .what = NFT_DIFF_ELEM, .family = w->family, .table = w->table,
				      .name = w->name, .map = w->flags & NFT_SET_MAP, .item = key };

		elem_key_text(w, e, key, sizeof(key));
		if (k < 0) {
			d.how = NFT_DIFF_MISSING;
			d.expected = e->data;
			ret = emit(c, &d);
			i++;
		} else if (k > 0) {
			d.how = NFT_DIFF_EXTRA;
			d.actual = e->data;
			ret = emit(c, &d);
			j++;
		} else {
			if (w->elems[i].value != h->elems[j].value) {
				d.how = NFT_DIFF_CHANGED;
				d.expected = w->elems[i].data ? w->elems[i].data : "(value)";
				d.actual = h->elems[j].data ? h->elems[j].data : "(value)";
				ret = emit(c, &d);
			}
			i++;
			j++;
		}
	}
	return ret;
}

static void set_spec(const struct nft_rs_set *s, char *buf, size_t len)
{
	snprintf(buf, len, "flags 0x%x key %u bytes data %u bytes", s->flags, s->key_len,
		 s->data_len);
}

static int diff_sets(struct diff_ctx *c)
{
	size_t i = 0, j = 0, nw = c->want->nsets, nh = c->have->nsets;
	int ret = 0;

	while (ret == 0 && (i < nw || j < nh)) {
		int k = i == nw ? 1 : j == nh ? -1 : set_cmp(&c->ws[i], &c->hs[j]);
		const struct nft_rs_set *s = k <= 0 ? c->ws[i] : c->hs[j];
		struct nft_diff d = { .what = NFT_DIFF_SET, .family = s->family, .table = s->table,
				      .name = s->name, .map = s->flags & NFT_SET_MAP };
		char ws[96], hs[96];

		if (k < 0)
			i++;
		else if (k > 0)
			j++;
		/* Anonymous sets are compared inside the rules that use them. */
		if (s->flags & NFT_SET_ANONYMOUS) {
			if (k == 0) {
				i++;
				j++;
			}
			continue;
		}
		if (k < 0) {
			c->n->sets++;
			c->n->elems += s->nelems;
			if (!has_table(c->ht, c->have->ntables, s->family, s->table))
				continue;
			d.how = NFT_DIFF_MISSING;
			ret = emit(c, &d);
		} else if (k > 0) {
			if (!has_table(c->wt, c->want->ntables, s->family, s->table))
				continue;
			d.how = NFT_DIFF_EXTRA;
			ret = emit(c, &d);
		} else {
			c->n->sets++;
			set_spec(c->ws[i], ws, sizeof(ws));
			set_spec(c->hs[j], hs, sizeof(hs));
			if (strcmp(ws, hs)) {
				d.how = NFT_DIFF_CHANGED;
				d.expected = ws;
				d.actual = hs;
				ret = emit(c, &d);
			} else if (!(s->flags & NFT_SET_TIMEOUT)) {
				/* Dynamic sets fill with traffic: no elements to expect. */
				ret = diff_elems(c, c->ws[i], c->hs[j]);
			}
			i++;
			j++;
		}
	}
	return ret;
}

int nft_ruleset_diff(const struct nft_ruleset *want, const struct nft_ruleset *have,
		     int (*fn)(const struct nft_diff *d, void *arg), void *arg,
		     struct nft_rs_counts *compared)
{
	struct nft_rs_counts none;
	struct diff_ctx c = { .want = want, .have = have, .fn = fn, .arg = arg,
			      .n = compared ? compared : &none };
	int ret = -ENOMEM;

	memset(c.n, 0, sizeof(*c.n));
	c.wt = (const struct nft_rs_table **)sorted(want->tables, want->ntables, sizeof(*want->tables),
						    table_cmp);
	c.ht = (const struct nft_rs_table **)sorted(have->tables, have->ntables, sizeof(*have->tables),
						    table_cmp);
	c.wc = (const struct nft_rs_chain **)sorted(want->chains, want->nchains, sizeof(*want->chains),
						    chain_cmp);
	c.hc = (const struct nft_rs_chain **)sorted(have->chains, have->nchains, sizeof(*have->chains),
						    chain_cmp);
	c.ws = (const struct nft_rs_set **)sorted(want->sets, want->nsets, sizeof(*want->sets),
						  set_cmp);
	c.hs = (const struct nft_rs_set **)sorted(have->sets, have->nsets, sizeof(*have->sets),
						  set_cmp);
	if (!c.wt || !c.ht || !c.wc || !c.hc || !c.ws || !c.hs)
		goto out;
	c.n->tables = want->ntables;
	ret = diff_tables(&c);
	if (ret == 0)
		ret = diff_chains(&c);
	if (ret == 0)
		ret = diff_sets(&c);
out:
	free(c.wt);
	free(c.ht);
	free(c.wc);
	free(c.hc);
	free(c.ws);
	free(c.hs);
	return ret;
}
