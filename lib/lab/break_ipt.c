/* break_ipt — a rule in a node's iptables-legacy table through libiptc, as
 * an old tool or a forgotten script adds one beside nftables: the kernel's
 * x_tables hooks drop packets whatever nftables accepts; see break_int.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libiptc/libiptc.h>

#include "lab/break_int.h"
#include "netns/netns.h"

/* -d NET -j DROP, as iptables builds it: no matches, a standard target. */
struct drop_entry {
	struct ipt_entry e;
	struct xt_standard_target t;
};

static void entry_make(struct drop_entry *d, struct cidr net)
{
	uint32_t mask = net.len ? ~0u << (32 - net.len) : 0;

	memset(d, 0, sizeof(*d));
	d->e.ip.dst.s_addr = htonl(net.addr & mask);
	d->e.ip.dmsk.s_addr = htonl(mask);
	d->e.target_offset = sizeof(d->e);
	d->e.next_offset = sizeof(d->e) + XT_ALIGN(sizeof(d->t));
	d->t.target.u.user.target_size = XT_ALIGN(sizeof(d->t));
	snprintf(d->t.target.u.user.name, sizeof(d->t.target.u.user.name), "%s",
		 IPTC_LABEL_DROP);
}

struct ipt_op {
	const char *table, *chain;
	struct cidr net;
	bool del;
	const char *failed;	/* the libiptc step that failed */
	int err;
};

/* The number (from 1) of the chain's first rule that is ours: -d NET,
 * nothing else, -j DROP; 0 if none. */
static unsigned rule_find(struct xtc_handle *h, const char *chain, struct cidr net)
{
	struct drop_entry want;
	unsigned n = 1;

	entry_make(&want, net);
	for (const struct ipt_entry *e = iptc_first_rule(chain, h); e;
	     e = iptc_next_rule(e, h), n++) {
		const char *target = iptc_get_target(e, h);

		if (e->ip.dst.s_addr == want.e.ip.dst.s_addr &&
		    e->ip.dmsk.s_addr == want.e.ip.dmsk.s_addr && !e->ip.src.s_addr &&
		    !e->ip.smsk.s_addr && !e->ip.proto && !e->ip.iniface[0] && !e->ip.outiface[0] &&
		    !e->ip.invflags && e->target_offset == sizeof(struct ipt_entry) &&
		    target && !strcmp(target, IPTC_LABEL_DROP))
			return n;
	}
	return 0;
}

static int ipt_here(void *arg)
{
	struct ipt_op *o = arg;
	struct xtc_handle *h = iptc_init(o->table);
	struct drop_entry d;
	unsigned num;
	int ok;

	if (!h) {
		o->failed = "open the table";
		return o->err = errno ? -errno : -ENOENT;
	}
	if (o->del) {
		num = rule_find(h, o->chain, o->net);
		o->failed = "find its rule";
		ok = num ? iptc_delete_num_entry(o->chain, num - 1, h) : (errno = ENOENT, 0);
	} else {
		entry_make(&d, o->net);
		o->failed = "append the rule";
		ok = iptc_append_entry(o->chain, &d.e, h);
	}
	if (ok) {
		o->failed = "commit";
		ok = iptc_commit(h);
	}
	o->err = ok ? 0 : errno ? -errno : -EINVAL;
	iptc_free(h);
	return o->err;
}

int brk_ipt_drop(struct brk_ctx *c, const struct brk_where *w, const char *table,
		 const char *chain, struct cidr net)
{
	struct ipt_op o = { .table = table, .chain = chain, .net = net };
	struct brk_change *ch;
	char n[CIDR_STRLEN];
	int ret = netns_run(w->netns, ipt_here, &o);

	cidr_fmt(&net, n);
	if (ret < 0)
		return pp_err_set(c->e, o.err == -ENOENT && !strcmp(o.failed, "open the table") ?
				  PP_EXIT_ENV : PP_EXIT_FAIL, ret,
				  "%s: iptables-legacy table %s: cannot %s: %s%s", w->name, table,
				  o.failed ? o.failed : "enter the namespace", iptc_strerror(-ret),
				  ret == -ENOENT ? " (a kernel with ip_tables, "
				  "CONFIG_IP_NF_IPTABLES_LEGACY, is needed)" : "");
	ch = brk_record(c, BRK_IPT_RULE, w);
	if (!ch)
		return -ENOMEM;
	snprintf(ch->key, sizeof(ch->key), "%s", table);
	snprintf(ch->name, sizeof(ch->name), "%s", chain);
	ch->num = net.addr;
	ch->num2 = net.len;
	snprintf(ch->shown.what, sizeof(ch->shown.what), "iptables-legacy rule in table %s "
		 "chain %s", table, chain);
	snprintf(ch->shown.before, sizeof(ch->shown.before), "none");
	snprintf(ch->shown.after, sizeof(ch->shown.after), "-A %s -d %s -j DROP", chain, n);
	snprintf(ch->shown.show, sizeof(ch->shown.show),
		 "ip netns exec %s iptables-legacy -t %s -S %s", w->netns, table, chain);
	return 0;
}

int brk_ipt_revert(struct lab *l, struct brk_change *ch, struct pp_err *e)
{
	struct ipt_op o = { .table = ch->key, .chain = ch->name, .del = true,
			    .net = { (uint32_t)ch->num, (uint8_t)ch->num2 } };
	int ret = netns_run(ch->netns, ipt_here, &o);

	(void)l;
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_FAIL, ret, "%s: cannot remove %s (%s): %s: %s",
				  ch->shown.where, ch->shown.what, ch->shown.after,
				  o.failed ? o.failed : "enter the namespace", iptc_strerror(-ret));
	return 0;
}
