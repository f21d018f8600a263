/* break_nft — the changes of faults made in nftables: a table with a drop
 * rule, rules deleted, added or rewritten in place, set elements deleted or
 * added. A deleted rule or element is kept as the kernel's own message and
 * given back from it; see break_int.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "lab/break_int.h"
#include "netns/netns.h"

static const char *family_name(uint32_t family)
{
	return family == NFPROTO_INET ? "inet" : family == NFPROTO_IPV4 ? "ip" : "?";
}

static int fail(struct brk_ctx *c, const struct brk_where *w, const char *what, int ret,
		const struct nft_err *ne)
{
	return pp_err_set(c->e, ret == -EPERM ? PP_EXIT_ENV : PP_EXIT_FAIL, ret,
			  "%s: cannot %s: %s%s%s%s", w->name, what, strerror(-ret),
			  ne && ne->ext[0] ? " (kernel: " : "", ne ? ne->ext : "",
			  ne && ne->ext[0] ? ")" : "");
}

static uint8_t *dup_msg(const void *msg, size_t len)
{
	uint8_t *m = malloc(len ? len : 1);

	if (m)
		memcpy(m, msg, len);
	return m;
}

struct commit_op {
	struct nft_batch *b;
	struct nft_err ne;
};

static int commit_here(void *arg)
{
	struct commit_op *o = arg;

	return nft_batch_commit(o->b, &o->ne);
}

/* Commit b in w's namespace; b is freed. */
static int commit_in(const struct brk_where *w, struct nft_batch *b, struct nft_err *ne)
{
	struct commit_op o = { .b = b };
	int ret = netns_run(w->netns, commit_here, &o);

	*ne = o.ne;
	nft_batch_free(b);
	return ret;
}

/* ---- a table of its own ------------------------------------------------------ */

int brk_nft_drop_table(struct brk_ctx *c, const struct brk_where *w, const char *table,
		       const char *chain, int hook, const char *iif, struct cidr net,
		       const char *comment)
{
	struct nft_chain_spec cs = { .family = NFPROTO_IPV4, .table = table, .name = chain,
				     .kind = "filter", .hook = hook, .prio = 0 };
	struct nft_batch *b = nft_batch_new();
	struct nft_err ne = { 0 };
	struct brk_change *ch;
	struct nft_rb rb = { 0 };
	char what[96];
	int ret = b ? 0 : -ENOMEM;

	if (ret == 0)
		ret = nft_batch_table(b, NFT_MSG_NEWTABLE, NFPROTO_IPV4, table, NULL, 0, 0);
	if (ret == 0)
		ret = nft_batch_chain(b, NFT_MSG_NEWCHAIN, &cs, 0);
	if (ret == 0)
		ret = nft_rb_start(&rb, NFPROTO_IPV4, table, chain);
	if (ret == 0) {
		if (iif)
			nft_rb_match_ifname(&rb, false, iif);
		if (net.len)
			nft_rb_match_net(&rb, NFT_KEY_DADDR, NFT_EQ, net);
		nft_rb_counter(&rb);
		nft_rb_verdict(&rb, NF_DROP, NULL);
		nft_rb_comment(&rb, comment);
		ret = rb.err ? rb.err : nft_batch_rule(b, rb.r, 0);
	}
	nft_rb_free(&rb);
	if (ret == 0)
		ret = commit_in(w, b, &ne);
	else
		nft_batch_free(b);
	if (ret < 0) {
		snprintf(what, sizeof(what), "add table ip %s", table);
		return fail(c, w, what, ret, &ne);
	}
	ch = brk_record(c, BRK_NFT_TABLE, w);
	if (!ch)
		return -ENOMEM;
	ch->family = NFPROTO_IPV4;
	snprintf(ch->key, sizeof(ch->key), "%s", table);
	snprintf(ch->shown.what, sizeof(ch->shown.what), "nftables table ip %s", table);
	snprintf(ch->shown.before, sizeof(ch->shown.before), "none");
	snprintf(ch->shown.after, sizeof(ch->shown.after), "chain %s: %s", chain, comment);
	snprintf(ch->shown.show, sizeof(ch->shown.show), "ip netns exec %s nft list table ip %s",
		 w->netns, table);
	return 0;
}

/* ---- rules --------------------------------------------------------------------- */

/* The rules a change is about, copied out of a dump. */
struct kept_rule {
	uint64_t handle, position;
	char comment[NFT_COMMENT_MAX + 1];
	uint8_t *msg;
	size_t len;
};

struct rules_op {
	bool (*match)(const struct nft_rule_msg *r, const void *arg);
	const void *arg;
	uint32_t family;
	const char *table, *chain;
	struct kept_rule v[8];
	size_t n;
};

static int rule_keep(void *arg, const struct nft_rule_msg *r)
{
	struct rules_op *o = arg;
	struct kept_rule *k;

	if (!o->match(r, o->arg))
		return 0;
	if (o->n == sizeof(o->v) / sizeof(o->v[0]))
		return -E2BIG;
	k = &o->v[o->n];
	k->msg = dup_msg(r->msg, r->len);
	if (!k->msg)
		return -ENOMEM;
	k->len = r->len;
	k->handle = r->handle;
	k->position = r->position;
	snprintf(k->comment, sizeof(k->comment), "%s", r->comment);
	o->n++;
	return 0;
}

static int rules_find_here(void *arg)
{
	struct rules_op *o = arg;

	return nft_chain_rules(o->family, o->table, o->chain, rule_keep, o);
}

static void rules_free(struct rules_op *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].msg);
	o->n = 0;
}

static void rule_shown(struct brk_change *ch, const struct brk_where *w, uint32_t family,
		       const char *table, const char *chain, const char *comment)
{
	snprintf(ch->shown.what, sizeof(ch->shown.what), "rule of chain %s %s %s%s%s%s",
		 family_name(family), table, chain, comment[0] ? " (comment \"" : "", comment,
		 comment[0] ? "\")" : "");
	if (family == NFPROTO_IPV4 && (!strcmp(table, "nat") || !strcmp(table, "filter")))
		/* iptables' own tables (iptables proxy mode): as iptables shows them. */
		snprintf(ch->shown.show, sizeof(ch->shown.show), "ip netns exec %s iptables -t %s "
			 "-S '%s'", w->netns, table, chain);
	else
		snprintf(ch->shown.show, sizeof(ch->shown.show),
			 "ip netns exec %s nft list chain %s %s '%s'", w->netns,
			 family_name(family), table, chain);
}

/* Record kept rule k (its message handed over to the change) as a change
 * of kind in chain family/table/chain, shown as that rule; NULL without
 * memory. */
static struct brk_change *rule_record(struct brk_ctx *c, const struct brk_where *w,
				      enum brk_kind kind, uint32_t family, const char *table,
				      const char *chain, struct kept_rule *k)
{
	struct brk_change *ch = brk_record(c, kind, w);

	if (!ch)
		return NULL;
	ch->family = family;
	snprintf(ch->key, sizeof(ch->key), "%s", table);
	snprintf(ch->name, sizeof(ch->name), "%s", chain);
	ch->handle = k->handle;
	ch->msg = k->msg;
	ch->len = k->len;
	k->msg = NULL;
	rule_shown(ch, w, family, table, chain, k->comment);
	return ch;
}

int brk_nft_rule_del(struct brk_ctx *c, const struct brk_where *w, uint32_t family,
		     const char *table, const char *chain,
		     bool (*match)(const struct nft_rule_msg *r, const void *arg), const void *arg,
		     size_t *n)
{
	struct rules_op o = { .match = match, .arg = arg, .family = family, .table = table,
			      .chain = chain };
	struct nft_err ne = { 0 };
	struct nft_batch *b = NULL;
	char what[320];
	int ret;

	*n = 0;
	ret = netns_run(w->netns, rules_find_here, &o);
	if (ret == 0 && o.n) {
		b = nft_batch_new();
		ret = b ? 0 : -ENOMEM;
		for (size_t i = 0; ret == 0 && i < o.n; i++)
			ret = nft_batch_rule_del(b, family, table, chain, o.v[i].handle, 0);
		if (ret == 0)
			ret = commit_in(w, b, &ne);
		else
			nft_batch_free(b);
	}
	if (ret < 0) {
		rules_free(&o);
		snprintf(what, sizeof(what), "delete rules of chain %s %s %s", family_name(family),
			 table, chain);
		return fail(c, w, what, ret, &ne);
	}
	*n = o.n;
	for (size_t i = 0; i < o.n; i++) {
		struct brk_change *ch = rule_record(c, w, BRK_NFT_RULE_DELETED, family, table, chain,
						    &o.v[i]);

		if (!ch) {
			rules_free(&o);
			return -ENOMEM;
		}
		ch->position = o.v[i].position;
		snprintf(ch->shown.before, sizeof(ch->shown.before), "present (handle %llu)",
			 (unsigned long long)o.v[i].handle);
		snprintf(ch->shown.after, sizeof(ch->shown.after), "deleted");
	}
	return 0;
}

static bool has_nat(const struct nft_rule_msg *r, const void *arg)
{
	(void)arg;
	return r->flags & NFT_RULE_NAT;
}

int brk_nft_rule_readdress(struct brk_ctx *c, const struct brk_where *w, uint32_t family,
			   const char *table, const char *chain, uint32_t from, uint32_t to)
{
	struct rules_op o = { .match = has_nat, .family = family, .table = table, .chain = chain };
	struct nft_err ne = { 0 };
	struct nft_batch *b = NULL;
	char what[320], f[ADDR_STRLEN], t[ADDR_STRLEN];
	int ret;

	addr_fmt(from, f);
	addr_fmt(to, t);
	ret = netns_run(w->netns, rules_find_here, &o);
	if (ret == 0 && !o.n)
		ret = -ENOENT;
	if (ret == 0) {
		b = nft_batch_new();
		ret = b ? 0 : -ENOMEM;
		for (size_t i = 0; ret == 0 && i < o.n; i++)
			ret = nft_batch_rule_readdress(b, o.v[i].msg, o.v[i].len, o.v[i].handle,
						       from, to, 0);
		if (ret == 0)
			ret = commit_in(w, b, &ne);
		else
			nft_batch_free(b);
	}
	if (ret < 0) {
		rules_free(&o);
		snprintf(what, sizeof(what), "rewrite the DNAT to %s in chain %s %s %s", f,
			 family_name(family), table, chain);
		return fail(c, w, what, ret, &ne);
	}
	for (size_t i = 0; i < o.n; i++) {
		struct brk_change *ch = rule_record(c, w, BRK_NFT_RULE_REPLACED, family, table, chain,
						    &o.v[i]);

		if (!ch) {
			rules_free(&o);
			return -ENOMEM;
		}
		snprintf(ch->shown.before, sizeof(ch->shown.before), "dnat to %s", f);
		snprintf(ch->shown.after, sizeof(ch->shown.after), "dnat to %s", t);
	}
	return 0;
}

/* A chain and its last rule: the one just appended. */
struct last_op {
	uint32_t family;
	const char *table, *chain;
	struct kept_rule last;
};

static int last_keep(void *arg, const struct nft_rule_msg *r)
{
	struct kept_rule *k = arg;

	k->handle = r->handle;
	snprintf(k->comment, sizeof(k->comment), "%s", r->comment);
	return 0;
}

static int last_here(void *arg)
{
	struct last_op *o = arg;

	return nft_chain_rules(o->family, o->table, o->chain, last_keep, &o->last);
}

int brk_nft_rule_add(struct brk_ctx *c, const struct brk_where *w, struct nft_rb *rb)
{
	struct last_op o = { 0 };
	struct nft_batch *b = nft_batch_new();
	struct nft_err ne = { 0 };
	struct brk_change *ch;
	char what[320];
	int ret = b ? rb->err : -ENOMEM;

	o.family = nftnl_rule_get_u32(rb->r, NFTNL_RULE_FAMILY);
	o.table = nftnl_rule_get_str(rb->r, NFTNL_RULE_TABLE);
	o.chain = nftnl_rule_get_str(rb->r, NFTNL_RULE_CHAIN);
	if (ret == 0)
		ret = nft_batch_rule(b, rb->r, 0);
	if (ret == 0) {
		ret = commit_in(w, b, &ne);
		b = NULL;
	}
	/* Its handle, to remove exactly it: the chain's last rule now. */
	if (ret == 0)
		ret = netns_run(w->netns, last_here, &o);
	nft_batch_free(b);
	if (ret < 0) {
		snprintf(what, sizeof(what), "add a rule to chain %s %s %s",
			 family_name(o.family), o.table, o.chain);
		nft_rb_free(rb);
		return fail(c, w, what, ret, &ne);
	}
	ch = brk_record(c, BRK_NFT_RULE_ADDED, w);
	if (ch) {
		ch->family = o.family;
		snprintf(ch->key, sizeof(ch->key), "%s", o.table);
		snprintf(ch->name, sizeof(ch->name), "%s", o.chain);
		ch->handle = o.last.handle;
		rule_shown(ch, w, o.family, o.table, o.chain, o.last.comment);
		snprintf(ch->shown.before, sizeof(ch->shown.before), "none");
		snprintf(ch->shown.after, sizeof(ch->shown.after), "added (handle %llu)",
			 (unsigned long long)o.last.handle);
	}
	nft_rb_free(rb);
	return ch ? 0 : -ENOMEM;
}

/* ---- set elements ----------------------------------------------------------- */

struct elem_op {
	uint32_t family;
	const char *table, *set;
	const uint8_t *key;
	size_t klen;
	uint8_t *msg;
	size_t len;
	char comment[NFT_COMMENT_MAX + 1];
};

static int elem_keep(void *arg, const struct nft_elem_msg *m)
{
	struct elem_op *o = arg;

	if (m->key_len != o->klen || memcmp(m->key, o->key, o->klen))
		return 0;
	o->msg = dup_msg(m->msg, m->len);
	if (!o->msg)
		return -ENOMEM;
	o->len = m->len;
	snprintf(o->comment, sizeof(o->comment), "%s", m->comment);
	return 1;	/* found: stop */
}

static int elem_find_here(void *arg)
{
	struct elem_op *o = arg;
	int ret = nft_set_elems(o->family, o->table, o->set, elem_keep, o);

	return ret < 0 ? ret : o->msg ? 0 : -ENOENT;
}

static void elem_shown(struct brk_change *ch, const struct brk_where *w, const struct elem_op *o)
{
	snprintf(ch->shown.what, sizeof(ch->shown.what), "element of %s %s %s%s%s%s",
		 family_name(o->family), o->table, o->set, o->comment[0] ? " (comment \"" : "",
		 o->comment, o->comment[0] ? "\")" : "");
	snprintf(ch->shown.show, sizeof(ch->shown.show), "ip netns exec %s nft list set %s %s %s",
		 w->netns, family_name(o->family), o->table, o->set);
}

int brk_nft_elem_del(struct brk_ctx *c, const struct brk_where *w, uint32_t family,
		     const char *table, const char *set, const uint8_t *key, size_t klen)
{
	struct elem_op o = { .family = family, .table = table, .set = set, .key = key,
			     .klen = klen };
	struct nft_err ne = { 0 };
	struct brk_change *ch;
	struct nft_batch *b;
	char what[320];
	int ret = netns_run(w->netns, elem_find_here, &o);

	if (ret == 0) {
		b = nft_batch_new();
		ret = b ? nft_batch_elem_msg(b, NFT_MSG_DELSETELEM, o.msg, o.len, 0) : -ENOMEM;
		if (ret == 0)
			ret = commit_in(w, b, &ne);
		else
			nft_batch_free(b);
	}
	if (ret < 0) {
		free(o.msg);
		snprintf(what, sizeof(what), "delete an element of %s %s %s", family_name(family),
			 table, set);
		return fail(c, w, what, ret, &ne);
	}
	ch = brk_record(c, BRK_NFT_ELEM_DELETED, w);
	if (!ch) {
		free(o.msg);
		return -ENOMEM;
	}
	ch->family = family;
	snprintf(ch->key, sizeof(ch->key), "%s", table);
	snprintf(ch->name, sizeof(ch->name), "%s", set);
	ch->msg = o.msg;
	ch->len = o.len;
	elem_shown(ch, w, &o);
	snprintf(ch->shown.before, sizeof(ch->shown.before), "present");
	snprintf(ch->shown.after, sizeof(ch->shown.after), "deleted");
	return 0;
}

int brk_nft_elem_add(struct brk_ctx *c, const struct brk_where *w, struct nftnl_set *s,
		     const uint8_t *key, size_t klen)
{
	struct elem_op o = { .family = nftnl_set_get_u32(s, NFTNL_SET_FAMILY),
			     .table = nftnl_set_get_str(s, NFTNL_SET_TABLE),
			     .set = nftnl_set_get_str(s, NFTNL_SET_NAME), .key = key, .klen = klen };
	struct nft_batch *b = nft_batch_new();
	struct nft_err ne = { 0 };
	struct brk_change *ch;
	char what[320];
	int ret = b ? nft_batch_elems(b, NFT_MSG_NEWSETELEM, s, 0) : -ENOMEM;

	if (ret == 0) {
		ret = commit_in(w, b, &ne);
		b = NULL;
	}
	/* Read back: the element as the kernel holds it, to remove it by. */
	if (ret == 0)
		ret = netns_run(w->netns, elem_find_here, &o);
	nft_batch_free(b);
	if (ret < 0) {
		free(o.msg);
		snprintf(what, sizeof(what), "add an element to %s %s %s", family_name(o.family),
			 o.table, o.set);
		return fail(c, w, what, ret, &ne);
	}
	ch = brk_record(c, BRK_NFT_ELEM_ADDED, w);
	if (!ch) {
		free(o.msg);
		return -ENOMEM;
	}
	ch->family = o.family;
	snprintf(ch->key, sizeof(ch->key), "%s", o.table);
	snprintf(ch->name, sizeof(ch->name), "%s", o.set);
	ch->msg = o.msg;
	ch->len = o.len;
	elem_shown(ch, w, &o);
	snprintf(ch->shown.before, sizeof(ch->shown.before), "none");
	snprintf(ch->shown.after, sizeof(ch->shown.after), "added");
	return 0;
}

/* ---- revert -------------------------------------------------------------------- */

int brk_nft_revert(struct lab *l, struct brk_change *ch, struct pp_err *e)
{
	struct nft_batch *b = nft_batch_new();
	struct nft_err ne = { 0 };
	struct brk_where w;
	int ret = b ? 0 : -ENOMEM;

	(void)l;
	snprintf(w.netns, sizeof(w.netns), "%s", ch->netns);
	snprintf(w.name, sizeof(w.name), "%s", ch->shown.where);
	switch (ret ? BRK_KIND_COUNT : ch->kind) {
	case BRK_NFT_TABLE:
		ret = nft_batch_table(b, NFT_MSG_DELTABLE, ch->family, ch->key, NULL, 0, 0);
		break;
	case BRK_NFT_RULE_DELETED:
		ret = nft_batch_rule_msg(b, ch->msg, ch->len, ch->position, 0, 0);
		break;
	case BRK_NFT_RULE_REPLACED:
		ret = nft_batch_rule_msg(b, ch->msg, ch->len, 0, ch->handle, 0);
		break;
	case BRK_NFT_RULE_ADDED:
		ret = nft_batch_rule_del(b, ch->family, ch->key, ch->name, ch->handle, 0);
		break;
	case BRK_NFT_ELEM_DELETED:
	case BRK_NFT_ELEM_ADDED:
		ret = nft_batch_elem_msg(b, ch->kind == BRK_NFT_ELEM_DELETED ? NFT_MSG_NEWSETELEM :
					 NFT_MSG_DELSETELEM, ch->msg, ch->len, 0);
		break;
	default:
		ret = ret ? ret : -EINVAL;
	}
	if (ret == 0) {
		ret = commit_in(&w, b, &ne);
		b = NULL;
	}
	nft_batch_free(b);
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_FAIL, ret, "%s: cannot restore %s: %s%s%s%s",
				  ch->shown.where, ch->shown.what, strerror(-ret),
				  ne.ext[0] ? " (kernel: " : "", ne.ext, ne.ext[0] ? ")" : "");
	return 0;
}
