/* break_ct — a node's conntrack table made full, so that every new
 * connection through the node is dropped ("nf_conntrack: table full,
 * dropping packet"); see break_int.h.
 *
 * nf_conntrack_max is one limit for the whole host, and outside the host's
 * own namespace the kernel shows it read-only: lowering it would change the
 * host. Each namespace counts its own entries against it, though, so the
 * node's table is filled up to the limit instead, with assured entries
 * (which the kernel's early drop never evicts for a new flow), all carrying
 * one mark by which undo removes exactly them. On a kernel that lets a
 * namespace lower its own limit, the limit is lowered to the count instead
 * (a few assured entries first, so that the table holds some). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct/conntrack.h"
#include "lab/break_int.h"
#include "netns/netns.h"

#define CT_MAX_KEY "net/netfilter/nf_conntrack_max"
#define CT_COUNT_KEY "net/netfilter/nf_conntrack_count"
#define CT_MARK 0x62726bu		/* "brk" */
#define CT_TIMEOUT (7 * 24 * 3600)	/* outlives any practice session */
#define CT_FEW 16			/* with a limit of our own to lower */
/* A limit above this takes too long and too much kernel memory to reach
 * (an entry is some 300 bytes: 300 MiB here). */
#define CT_FILL_MAX (1u << 20)

struct fill_op {
	long max, count;
	bool writable;
	int full;		/* ct_fill's answer: 1 the kernel refused one, full */
	size_t added;
	size_t evicted;		/* entries the kernel would evict anyway, removed first */
};

static long read_long(const char *key)
{
	char buf[32];

	return netns_sysctl_get(key, buf, sizeof(buf)) < 0 ? -1 : strtol(buf, NULL, 10);
}

static int fill_here(void *arg)
{
	struct fill_op *o = arg;
	char path[64];
	int ret;

	o->max = read_long(CT_MAX_KEY);
	o->count = read_long(CT_COUNT_KEY);
	if (o->max < 0 || o->count < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/sys/%s", CT_MAX_KEY);
	o->writable = access(path, W_OK) == 0;
	if (!o->writable && o->max > (long)CT_FILL_MAX)
		return -E2BIG;
	/* What the kernel's garbage collector evicts from a nearly full
	 * table (unassured entries, closing TCP connections) goes first:
	 * left in, each would free a slot for a new connection some time
	 * after the table filled, and the fault would hold or not by chance.
	 * Then past the limit by a few: the kernel evicts unassured entries
	 * for new ones before it refuses. */
	ret = ct_evict_early_droppable(&o->evicted);
	if (ret < 0)
		return ret;
	o->full = ct_fill(CT_MARK, CT_TIMEOUT, o->writable ? CT_FEW : (size_t)o->max + CT_FEW,
			  &o->added);
	return o->full < 0 ? o->full : 0;
}

static int count_here(void *arg)
{
	long *count = arg;

	*count = read_long(CT_COUNT_KEY);
	return *count < 0 ? -ENOENT : 0;
}

struct flush_op {
	uint32_t mark;
};

static int flush_here(void *arg)
{
	return ct_flush_mark(((struct flush_op *)arg)->mark);
}

int brk_ct_fill(struct brk_ctx *c, const struct brk_where *w)
{
	struct fill_op o = { 0 };
	struct flush_op f = { CT_MARK };
	struct brk_change *ch;
	char limit[32];
	long count = 0;
	int ret = netns_run(w->netns, fill_here, &o);

	if (ret < 0 || (!o.writable && o.full != 1)) {
		/* Whatever was added goes again; a table that never filled
		 * counts against another limit than the one it shows. */
		netns_run(w->netns, flush_here, &f);
		return pp_err_set(c->e, ret == -ENOENT || ret == -E2BIG ? PP_EXIT_ENV : PP_EXIT_FAIL,
				  ret < 0 ? ret : -EOPNOTSUPP, "%s: cannot fill the conntrack "
				  "table: %s", w->name, ret == -ENOENT ? "no conntrack in this kernel "
				  "(CONFIG_NF_CONNTRACK)" : ret == -E2BIG ? "nf_conntrack_max is larger "
				  "than podpath fills (1048576 entries), and lowering it would change "
				  "the host" : ret < 0 ? strerror(-ret) :
				  "it did not fill at nf_conntrack_max");
	}
	ch = brk_record(c, BRK_CT_FILL, w);
	if (!ch) {
		netns_run(w->netns, flush_here, &f);
		return -ENOMEM;
	}
	ch->num = (long long)o.added;
	ch->num2 = CT_MARK;
	netns_run(w->netns, count_here, &count);
	snprintf(ch->shown.what, sizeof(ch->shown.what), "conntrack table (nf_conntrack_max %ld)",
		 o.max);
	snprintf(ch->shown.before, sizeof(ch->shown.before), "%ld entries", o.count);
	snprintf(ch->shown.after, sizeof(ch->shown.after), "%ld entries, %zu of them assured UDP "
		 "flows 198.18.0.0/15 -> 198.19.255.254:9 with mark 0x%x", count, o.added, CT_MARK);
	snprintf(ch->shown.show, sizeof(ch->shown.show), "ip netns exec %s sysctl "
		 "net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max", w->netns);
	if (!o.writable)
		return 0;
	/* A limit of its own: lowered to what the table holds now. */
	snprintf(limit, sizeof(limit), "%ld", count);
	return brk_sysctl(c, w, CT_MAX_KEY, limit);
}

int brk_ct_revert(struct lab *l, struct brk_change *ch, struct pp_err *e)
{
	struct flush_op f = { (uint32_t)ch->num2 };
	int ret = netns_run(ch->netns, flush_here, &f);

	(void)l;
	if (ret < 0)
		return pp_err_set(e, PP_EXIT_FAIL, ret, "%s: cannot remove the conntrack entries "
				  "with mark 0x%x: %s", ch->shown.where, f.mark, strerror(-ret));
	return 0;
}
