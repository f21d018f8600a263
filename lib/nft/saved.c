/* saved — single rules and set elements read from the kernel, kept as the
 * kernel's own messages and given back later exactly: the pieces a change
 * that must be undone (podpath break) is made of; see nft.h.
 *
 * A rule or element is re-sent as nft itself does it: the dumped message
 * parsed by libnftnl and built again, so that every expression the kernel
 * described (counters included) goes back as it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "nft/internal.h"

#define DUMP_BUF 32768	/* MNL_SOCKET_DUMP_SIZE */
#define MSG_MAX 8192	/* one rule or one element, rebuilt */

struct udata_text {
	uint8_t type;
	char *buf;
	size_t len;
};

static int udata_cb(const struct nftnl_udata *attr, void *data)
{
	struct udata_text *u = data;

	if (nftnl_udata_type(attr) == u->type)
		snprintf(u->buf, u->len, "%.*s", (int)nftnl_udata_len(attr),
			 (const char *)nftnl_udata_get(attr));
	return 0;
}

/* The comment kept in user data (type: the object's comment tag). */
static void comment_get(const void *ud, uint32_t len, uint8_t type, char *buf, size_t blen)
{
	struct udata_text u = { type, buf, blen };

	buf[0] = '\0';
	if (ud && len)
		nftnl_udata_parse(ud, len, udata_cb, &u);
}

/* What nft_rule_msg says about a rule's expressions. */
static void rule_exprs(struct nftnl_rule *r, struct nft_rule_msg *m)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;

	while (it && (e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		m->flags |= nft_xt_rule_flags(e);
		if (!strcmp(name, "nat"))
			m->flags |= NFT_RULE_NAT;
		else if (!strcmp(name, "masq"))
			m->flags |= NFT_RULE_MASQ;
		else if (!strcmp(name, "immediate") &&
			 nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
			snprintf(m->target, sizeof(m->target), "%s",
				 nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN));
	}
	if (it)
		nftnl_expr_iter_destroy(it);
}

struct rules_ctx {
	int (*fn)(void *arg, const struct nft_rule_msg *r);
	void *arg;
	int ret;
};

static int rules_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rules_ctx *c = data;
	struct nftnl_rule *r;
	struct nft_rule_msg m = { .msg = nlh, .len = nlh->nlmsg_len };
	const void *ud;
	uint32_t udlen = 0;

	if (c->ret)
		return MNL_CB_OK;
	r = nftnl_rule_alloc();
	if (!r) {
		c->ret = -ENOMEM;
		return MNL_CB_OK;
	}
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		c->ret = -EINVAL;
		goto out;
	}
	m.handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	if (nftnl_rule_is_set(r, NFTNL_RULE_POSITION))
		m.position = nftnl_rule_get_u64(r, NFTNL_RULE_POSITION);
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &udlen);
	comment_get(ud, udlen, NFTNL_UDATA_RULE_COMMENT, m.comment, sizeof(m.comment));
	/* iptables-nft keeps it in `-m comment` instead. */
	if (!m.comment[0])
		nft_xt_rule_comment(r, m.comment, sizeof(m.comment));
	rule_exprs(r, &m);
	c->ret = c->fn(c->arg, &m);
out:
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

int nft_chain_rules(uint32_t family, const char *table, const char *chain,
		    int (*fn)(void *arg, const struct nft_rule_msg *r), void *arg)
{
	struct rules_ctx c = { fn, arg, 0 };
	struct nftnl_rule *r = nftnl_rule_alloc();
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	/* Zeroed: libnftnl leaves padding unwritten, and it is sent. */
	char *buf = calloc(1, DUMP_BUF);
	int ret = -ENOMEM;

	if (!r || !buf)
		goto out;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, (uint16_t)family, NLM_F_DUMP, seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	ret = nft_query_run(buf, DUMP_BUF, seq, rules_cb, &c);
	if (ret == 0)
		ret = c.ret;
out:
	if (r)
		nftnl_rule_free(r);
	free(buf);
	return ret;
}

int nft_batch_rule_del(struct nft_batch *b, uint32_t family, const char *table,
		       const char *chain, uint64_t handle, long tag)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	nlh = nft_batch_msg_start(b, NFT_MSG_DELRULE, family, 0, tag);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nft_batch_msg_end(b);
	}
	nftnl_rule_free(r);
	return nlh ? 0 : -ENOMEM;
}

/* A dumped rule message parsed; NULL with *err set if it is not one. */
static struct nftnl_rule *rule_parse(const void *msg, size_t len, int *err)
{
	const struct nlmsghdr *nlh = msg;
	struct nftnl_rule *r;

	*err = -EINVAL;
	if (len < sizeof(*nlh) || nlh->nlmsg_len > len)
		return NULL;
	r = nftnl_rule_alloc();
	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	/* Never carried over: the kernel gives a new rule its own. */
	nftnl_rule_unset(r, NFTNL_RULE_HANDLE);
	nftnl_rule_unset(r, NFTNL_RULE_POSITION);
	nft_xt_rule_compat(r);
	*err = 0;
	return r;
}

/* Queue r: in place of rule `replace` (it keeps that handle), else after
 * rule `after`, else at the head of its chain (the kernel's NEWRULE
 * semantics: APPEND with a position inserts after it, neither inserts first). */
static int rule_queue(struct nft_batch *b, struct nftnl_rule *r, uint64_t after,
		      uint64_t replace, long tag)
{
	uint16_t flags = NLM_F_CREATE;
	struct nlmsghdr *nlh;

	if (replace) {
		nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, replace);
		flags = NLM_F_REPLACE;
	} else if (after) {
		nftnl_rule_set_u64(r, NFTNL_RULE_POSITION, after);
		flags |= NLM_F_APPEND;
	}
	nlh = nft_batch_msg_start(b, NFT_MSG_NEWRULE, nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
				  flags, tag);
	if (!nlh)
		return -ENOMEM;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nft_batch_msg_end(b);
	return 0;
}

int nft_batch_rule_msg(struct nft_batch *b, const void *msg, size_t len, uint64_t after,
		       uint64_t replace, long tag)
{
	int ret;
	struct nftnl_rule *r = rule_parse(msg, len, &ret);

	if (!r)
		return ret;
	ret = rule_queue(b, r, after, replace, tag);
	nftnl_rule_free(r);
	return ret;
}

/* Every 4-byte immediate value `from` becomes `to` (network order both). */
static int readdress_exprs(struct nftnl_rule *r, uint32_t from, uint32_t to)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	int n = 0;

	if (!it)
		return -ENOMEM;
	while ((e = nftnl_expr_iter_next(it))) {
		uint32_t dlen = 0;
		const void *d;

		if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "immediate") ||
		    !nftnl_expr_is_set(e, NFTNL_EXPR_IMM_DATA))
			continue;
		d = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &dlen);
		if (dlen == 4 && !memcmp(d, &from, 4)) {
			nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &to, 4);
			n++;
		}
	}
	nftnl_expr_iter_destroy(it);
	return n;
}

/* The comment with every dotted `from` written as `to`. */
static int readdress_comment(struct nftnl_rule *r, uint32_t from, uint32_t to)
{
	char old[NFT_COMMENT_MAX + 1], out[NFT_COMMENT_MAX + 1];
	const void *ud;
	uint32_t udlen = 0;
	struct nftnl_udata_buf *nb;

	if (!nftnl_rule_is_set(r, NFTNL_RULE_USERDATA))
		return 0;
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &udlen);
	comment_get(ud, udlen, NFTNL_UDATA_RULE_COMMENT, old, sizeof(old));
	if (!old[0])
		return 0;
	nft_text_readdress(old, out, sizeof(out), from, to);
	nb = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	if (!nb)
		return -ENOMEM;
	if (!nftnl_udata_put_strz(nb, NFTNL_UDATA_RULE_COMMENT, out)) {
		nftnl_udata_buf_free(nb);
		return -ENAMETOOLONG;
	}
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(nb),
			    nftnl_udata_buf_len(nb));
	nftnl_udata_buf_free(nb);
	return 0;
}

int nft_batch_rule_readdress(struct nft_batch *b, const void *msg, size_t len, uint64_t handle,
			     uint32_t from, uint32_t to, long tag)
{
	int ret;
	struct nftnl_rule *r = rule_parse(msg, len, &ret);

	if (!r)
		return ret;
	ret = readdress_exprs(r, htonl(from), htonl(to));
	if (ret >= 0) {
		/* An iptables-nft rule: -j DNAT and -m comment. */
		int x = nft_xt_readdress(r, htonl(from), htonl(to));

		ret = x < 0 ? x : ret + x;
	}
	if (ret == 0)
		ret = -ENOENT;	/* nothing held that address */
	if (ret > 0)
		ret = readdress_comment(r, htonl(from), htonl(to));
	if (ret == 0)
		ret = rule_queue(b, r, 0, handle, tag);
	nftnl_rule_free(r);
	return ret;
}

/* ---- set elements ---------------------------------------------------------- */

struct elems_ctx {
	int (*fn)(void *arg, const struct nft_elem_msg *e);
	void *arg;
	char *msgbuf;		/* one element's message, rebuilt */
	int ret;
};

/* A copy of el's plain attributes (what podpath's sets hold: no
 * per-element expressions); NULL if out of memory. */
static struct nftnl_set_elem *elem_copy(struct nftnl_set_elem *el)
{
	static const uint16_t attrs[] = {
		NFTNL_SET_ELEM_FLAGS, NFTNL_SET_ELEM_KEY, NFTNL_SET_ELEM_KEY_END,
		NFTNL_SET_ELEM_VERDICT, NFTNL_SET_ELEM_CHAIN, NFTNL_SET_ELEM_DATA,
		NFTNL_SET_ELEM_TIMEOUT, NFTNL_SET_ELEM_USERDATA, NFTNL_SET_ELEM_OBJREF,
	};
	struct nftnl_set_elem *c = nftnl_set_elem_alloc();

	for (size_t i = 0; c && i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		uint32_t len = 0;
		const void *v;

		if (!nftnl_set_elem_is_set(el, attrs[i]))
			continue;
		v = nftnl_set_elem_get(el, attrs[i], &len);
		if (v && nftnl_set_elem_set(c, attrs[i], v, len) < 0) {
			nftnl_set_elem_free(c);
			c = NULL;
		}
	}
	return c;
}

/* A NEWSETELEM message adding just element el of s (table, set, family). */
static size_t elem_msg_build(const struct nftnl_set *s, struct nftnl_set_elem *el, char *buf)
{
	struct nftnl_set *one = nftnl_set_alloc();
	struct nftnl_set_elem *copy = elem_copy(el);
	struct nlmsghdr *nlh;
	size_t len = 0;

	if (!one || !copy)
		goto out;
	/* Kept and compared as bytes: no padding left as it was. */
	memset(buf, 0, MSG_MAX);
	nftnl_set_set_str(one, NFTNL_SET_TABLE, nftnl_set_get_str(s, NFTNL_SET_TABLE));
	nftnl_set_set_str(one, NFTNL_SET_NAME, nftnl_set_get_str(s, NFTNL_SET_NAME));
	nftnl_set_set_u32(one, NFTNL_SET_FAMILY, nftnl_set_get_u32(s, NFTNL_SET_FAMILY));
	nftnl_set_elem_add(one, copy);
	copy = NULL;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSETELEM,
				    (uint16_t)nftnl_set_get_u32(s, NFTNL_SET_FAMILY), NLM_F_CREATE, 0);
	nftnl_set_elems_nlmsg_build_payload(nlh, one);
	len = nlh->nlmsg_len <= MSG_MAX ? nlh->nlmsg_len : 0;
out:
	if (copy)
		nftnl_set_elem_free(copy);
	if (one)
		nftnl_set_free(one);
	return len;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elems_ctx *c = data;
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *el;

	if (!s) {
		c->ret = -ENOMEM;
		return MNL_CB_OK;
	}
	if (c->ret || nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		goto out;
	it = nftnl_set_elems_iter_create(s);
	while (it && !c->ret && (el = nftnl_set_elems_iter_next(it))) {
		struct nft_elem_msg m = { 0 };
		uint32_t klen = 0, udlen = 0;
		const void *ud;

		m.key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &klen);
		m.key_len = klen;
		ud = nftnl_set_elem_get(el, NFTNL_SET_ELEM_USERDATA, &udlen);
		comment_get(ud, udlen, NFTNL_UDATA_SET_ELEM_COMMENT, m.comment, sizeof(m.comment));
		m.len = elem_msg_build(s, el, c->msgbuf);
		m.msg = c->msgbuf;
		c->ret = m.len ? c->fn(c->arg, &m) : -ENOMEM;
	}
out:
	if (it)
		nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

int nft_set_elems(uint32_t family, const char *table, const char *set,
		  int (*fn)(void *arg, const struct nft_elem_msg *e), void *arg)
{
	struct elems_ctx c = { fn, arg, malloc(MSG_MAX + 4096), 0 };
	struct nftnl_set *s = nftnl_set_alloc();
	uint32_t seq = (uint32_t)time(NULL);
	char *buf = calloc(1, DUMP_BUF);
	struct nlmsghdr *nlh;
	int ret = -ENOMEM;

	if (!s || !buf || !c.msgbuf)
		goto out;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, (uint16_t)family, NLM_F_DUMP, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	ret = nft_query_run(buf, DUMP_BUF, seq, elems_cb, &c);
	if (ret == 0)
		ret = c.ret;
out:
	if (s)
		nftnl_set_free(s);
	free(buf);
	free(c.msgbuf);
	return ret;
}

int nft_batch_elem_msg(struct nft_batch *b, uint16_t type, const void *msg, size_t len, long tag)
{
	const struct nlmsghdr *nlh = msg;
	struct nftnl_set *s = NULL, *keys = NULL;
	struct nftnl_set_elems_iter *it = NULL;
	struct nftnl_set_elem *el;
	int ret = -EINVAL;

	if (len < sizeof(*nlh) || nlh->nlmsg_len > len ||
	    (type != NFT_MSG_NEWSETELEM && type != NFT_MSG_DELSETELEM))
		return -EINVAL;
	s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
		goto out;
	if (type == NFT_MSG_NEWSETELEM) {
		ret = nft_batch_elems(b, type, s, tag);
		goto out;
	}
	/* A removal names the element by its key alone. */
	ret = -ENOMEM;
	keys = nftnl_set_alloc();
	it = nftnl_set_elems_iter_create(s);
	if (!keys || !it)
		goto out;
	nftnl_set_set_str(keys, NFTNL_SET_TABLE, nftnl_set_get_str(s, NFTNL_SET_TABLE));
	nftnl_set_set_str(keys, NFTNL_SET_NAME, nftnl_set_get_str(s, NFTNL_SET_NAME));
	nftnl_set_set_u32(keys, NFTNL_SET_FAMILY, nftnl_set_get_u32(s, NFTNL_SET_FAMILY));
	while ((el = nftnl_set_elems_iter_next(it))) {
		struct nftnl_set_elem *k = nftnl_set_elem_alloc();
		uint32_t klen = 0;
		const void *key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &klen);

		if (!k)
			goto out;
		nftnl_set_elem_set(k, NFTNL_SET_ELEM_KEY, key, klen);
		nftnl_set_elem_add(keys, k);
	}
	ret = nft_batch_elems(b, type, keys, tag);
out:
	if (it)
		nftnl_set_elems_iter_destroy(it);
	if (keys)
		nftnl_set_free(keys);
	nftnl_set_free(s);
	return ret;
}
