/* nftrace — nftables trace events for one probe in one namespace; see nftrace.h.
 *
 * Two NETLINK_NETFILTER sockets are made inside the namespace: `nl` sends the
 * batch that adds the trace table and answers the dumps that name rules and
 * chains, `mon` listens on NFNLGRP_NFTRACE. A socket keeps acting in the
 * namespace it was made in, so after arming no call enters the namespace
 * again: disarm still works while the namespace's name is being removed. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/trace.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "lab/lab.h"
#include "netns/netns.h"
#include "nft/nft.h"
#include "trace/nftrace.h"

#define TRACE_PREFIX	LAB_TRACE_TABLE_PREFIX
/* The trace table is a few small messages: a batch page of 16 KiB holds
 * them (more pages come if not), where the default megabyte would be
 * faulted in twice per namespace per trace, a third of a trace's CPU. */
#define NFTRACE_BATCH_PAGE (16 * 1024)
#define TRACE_COMMENT	"podpath trace probe"
/* Before raw (-300), conntrack (-200) and DNAT (-100): the packet is marked
 * before anything else in the namespace can change or drop it. */
#define TRACE_PRIO	(-350)
#define TRACE_RCVBUF	(4 << 20)
/* Large enough for one datagram of a dump (the kernel fills up to 32 KiB). */
#define TRACE_BUF	(64 * 1024)
/* Packet ids our own rules marked; a probe has a handful in flight. */
#define TRACE_IDS	64
/* One GET or dump request: a table and a chain name at most. */
#define REQ_SIZE	4096

struct rule_info {
	uint64_t handle;
	char comment[256];
	char text[256];
};

/* One chain as looked up during the current nftrace_read(). */
struct chain_info {
	uint32_t family;
	char table[NFT_TABLE_MAXNAMELEN];
	char chain[NFT_CHAIN_MAXNAMELEN];
	bool base;
	uint32_t hook;
	struct rule_info *rules;
	size_t nrules;
};

struct nftrace {
	struct mnl_socket *nl;		/* batch, dumps, ifindex names */
	struct mnl_socket *mon;		/* NFNLGRP_NFTRACE listener; NULL in sweep */
	uint32_t portid;		/* of nl */
	uint32_t seq;
	char table[NFT_TABLE_MAXNAMELEN];
	char *buf;			/* TRACE_BUF bytes, for answers and events */
	struct chain_info *chains;	/* cache, emptied at each read */
	size_t nchains, chains_cap;
	struct nftrace_match match;	/* the probe's flow (hosts: the copy below) */
	uint32_t *hosts;
	uint32_t ids[TRACE_IDS];	/* ring of ids marked by our rules */
	size_t nids;
	uint32_t last_id, last_hook;	/* hook of the last base-chain event */
	int pending;			/* -errno to report at the next read */
};

/* ---- sockets ---------------------------------------------------------- */

static void nftrace_free(struct nftrace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nchains; i++)
		free(t->chains[i].rules);
	free(t->chains);
	free(t->hosts);
	if (t->nl)
		mnl_socket_close(t->nl);
	if (t->mon)
		mnl_socket_close(t->mon);
	free(t->buf);
	free(t);
}

static struct nftrace *nftrace_alloc(void)
{
	struct nftrace *t = calloc(1, sizeof(*t));

	if (t && !(t->buf = malloc(TRACE_BUF))) {
		free(t);
		t = NULL;
	}
	if (t)
		t->seq = (uint32_t)time(NULL);
	return t;
}

/* Open t->nl (and t->mon if listen) on the calling thread, which is inside
 * the target namespace. */
static int sockets_open(struct nftrace *t, bool listen)
{
	int one = 1, rcvbuf = TRACE_RCVBUF, ret = 0;

	t->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!t->nl || mnl_socket_bind(t->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	t->portid = mnl_socket_get_portid(t->nl);
	/* Best effort: the kernel's reason in words, without the echoed request. */
	mnl_socket_setsockopt(t->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(t->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (!listen)
		goto out;
	t->mon = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!t->mon)
		goto fail;
	/* A busy namespace traces more than the probe; what does not fit the
	 * buffer is lost (ENOBUFS). FORCE ignores rmem_max; root has it. */
	if (setsockopt(mnl_socket_get_fd(t->mon), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(t->mon), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	/* Binding to the group needs CAP_NET_ADMIN in the namespace. */
	if (mnl_socket_bind(t->mon, 1 << (NFNLGRP_NFTRACE - 1), MNL_SOCKET_AUTOPID) < 0)
		goto fail;
out:
	return ret;
fail:
	ret = -errno;
	goto out;
}

/* Make t's sockets inside NETNS; the calling thread ends where it started.
 * what says which step failed. */
static int sockets_open_in(struct nftrace *t, const char *netns, bool listen,
			   const char **what)
{
	int origin, fd = -1, ret;

	*what = "cannot open own namespace";
	origin = netns_self_fd();
	if (origin < 0)
		return origin;
	*what = "cannot enter namespace";
	fd = netns_open(netns);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	ret = netns_enter(fd);
	if (ret < 0)
		goto out;
	*what = "cannot open a netfilter netlink socket";
	ret = sockets_open(t, listen);
	if (netns_enter(origin) < 0 && ret == 0) {
		*what = "cannot return to own namespace";
		ret = -errno;
	}
out:
	if (fd >= 0)
		close(fd);
	close(origin);
	return ret;
}

/* ---- requests ------------------------------------------------------------ */

/* Send req on t->nl and pass every answer to cb until the dump is done or
 * the request is acked. -EINTR if the ruleset changed during a dump (the
 * caller retries); a kernel error as -errno. */
static int nft_query(struct nftrace *t, const struct nlmsghdr *req,
		     int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	bool done = false, intr = false;
	int ret = 0;

	if (mnl_socket_sendto(t->nl, req, req->nlmsg_len) < 0)
		return -errno;
	while (!done) {
		ssize_t len = mnl_socket_recvfrom(t->nl, t->buf, TRACE_BUF);
		const struct nlmsghdr *nlh = (const void *)t->buf;
		int left = (int)len;

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			ret = -errno;
			break;
		}
		/* Not mnl_cb_run(): it stops at the first NLM_F_DUMP_INTR
		 * message and would leave the rest of the dump unread. */
		for (; !done && mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq || nlh->nlmsg_pid != t->portid)
				continue;	/* a late answer to an earlier request */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *me = mnl_nlmsg_get_payload(nlh);

				if (me->error && !ret)
					ret = me->error;
				done = true;
			} else if (!ret) {
				ret = cb(nlh, data);
			}
		}
	}
	return ret ? ret : intr ? -EINTR : 0;
}

/* ---- the trace table ------------------------------------------------------ */

/* The tuple one rule matches, host byte order, 0 = any. */
struct tuple {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
};

/* Message tags of the arm batch, so an error says which step failed. */
enum { TAG_TABLE, TAG_CHAIN, TAG_RULE };

/* `meta nfproto ipv4 meta l4proto P ip saddr S ip daddr D <ports or icmp
 * echo id> meta nftrace set 1 comment "podpath trace probe"`. */
static int rule_add(struct nft_batch *b, const char *table, const char *chain, uint8_t proto,
		    const struct tuple *tp)
{
	struct nft_rb rb;
	int ret;

	if (nft_rb_start(&rb, NFPROTO_INET, table, chain) < 0)
		return -ENOMEM;
	/* An inet chain sees IPv6 too, where offsets 12/16 are other bytes. */
	nft_rb_match(&rb, NFT_KEY_NFPROTO, NFT_EQ, NFPROTO_IPV4);
	if (proto)
		nft_rb_match(&rb, NFT_KEY_L4PROTO, NFT_EQ, proto);
	if (tp->saddr)
		nft_rb_match(&rb, NFT_KEY_SADDR, NFT_EQ, tp->saddr);
	if (tp->daddr)
		nft_rb_match(&rb, NFT_KEY_DADDR, NFT_EQ, tp->daddr);
	if (proto == IPPROTO_ICMP) {
		/* Echo request (8) and reply (0) only, i.e. type & ~8 == 0:
		 * in other ICMP types offset 4 is not an id. */
		nft_rb_match_bits(&rb, NFT_KEY_ICMP_TYPE, 0xf7, NFT_EQ, 0);
		if (tp->sport)
			nft_rb_match(&rb, NFT_KEY_ICMP_ID, NFT_EQ, tp->sport);
	} else if (proto) {
		/* Ports only mean something once the protocol is known. */
		if (tp->sport)
			nft_rb_match(&rb, NFT_KEY_SPORT, NFT_EQ, tp->sport);
		if (tp->dport)
			nft_rb_match(&rb, NFT_KEY_DPORT, NFT_EQ, tp->dport);
	}
	nft_rb_nftrace(&rb);
	nft_rb_comment(&rb, TRACE_COMMENT);
	ret = rb.err ? rb.err : nft_batch_rule(b, rb.r, TAG_RULE);
	nft_rb_free(&rb);
	return ret;
}

/* The forward tuple and, if it differs, the reversed one. */
static int rules_add(struct nft_batch *b, const char *table, const char *chain,
		     const struct nftrace_match *m)
{
	struct tuple tp[2] = {
		{ m->saddr, m->daddr, m->sport, m->dport },
		{ m->daddr, m->saddr, m->dport, m->sport },
	};
	size_t n = 2;
	int ret = 0;

	/* ICMP: request and reply carry the same echo id. */
	if (m->proto == IPPROTO_ICMP) {
		tp[1].sport = m->sport;
		tp[1].dport = 0;
	}
	if (!memcmp(&tp[0], &tp[1], sizeof(tp[0])))
		n = 1;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = rule_add(b, table, chain, m->proto, &tp[i]);
	/* Each host: what it sends and what it is sent. */
	for (size_t i = 0; i < m->nhosts && ret == 0; i++) {
		struct tuple from = { .saddr = m->hosts[i] }, to = { .daddr = m->hosts[i] };

		ret = rule_add(b, table, chain, m->proto, &from);
		if (ret == 0)
			ret = rule_add(b, table, chain, m->proto, &to);
	}
	return ret;
}

/* Does a traced packet (its headers in ev) belong to what t matches? */
static bool event_matches(const struct nftrace *t, const struct nftrace_event *ev)
{
	if (ev->proto != t->match.proto)
		return false;
	if (ev->sport == t->match.sport || ev->dport == t->match.sport)
		return true;
	for (size_t i = 0; i < t->match.nhosts; i++)
		if (ev->saddr == t->match.hosts[i] || ev->daddr == t->match.hosts[i])
			return true;
	return false;
}

static int chain_add(struct nft_batch *b, const char *table, const char *name, int hook)
{
	struct nft_chain_spec cs = { .family = NFPROTO_INET, .table = table, .name = name,
				     .kind = "filter", .hook = hook, .prio = TRACE_PRIO };

	return nft_batch_chain(b, NFT_MSG_NEWCHAIN, &cs, TAG_CHAIN);
}

/* Delete table NAME in one batch of its own, on t's socket (the owner of
 * the table); 0, or -errno (not ENOENT). */
static int table_delete(struct nftrace *t, const char *name)
{
	struct nft_batch *b = nft_batch_new_sized(NFTRACE_BATCH_PAGE);
	struct nft_err ne;
	int ret;

	if (!b)
		return -ENOMEM;
	ret = nft_batch_table(b, NFT_MSG_DELTABLE, NFPROTO_INET, name, NULL, 0, TAG_TABLE);
	if (ret == 0)
		ret = nft_batch_commit_on(b, t->nl, &ne);
	nft_batch_free(b);
	return ret == -ENOENT ? 0 : ret;
}

/* ---- naming rules and chains --------------------------------------------- */

static void text_add(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append to buf, space separated. */
static void text_add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used && used + 1 < len)
		buf[used++] = ' ';
	buf[used] = '\0';
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void verdict_text(char *buf, size_t len, int verdict, const char *chain)
{
	switch (verdict) {
	case NFT_CONTINUE:	text_add(buf, len, "continue"); break;
	case NFT_BREAK:		text_add(buf, len, "break"); break;
	case NFT_JUMP:		text_add(buf, len, "jump %s", chain ? chain : "?"); break;
	case NFT_GOTO:		text_add(buf, len, "goto %s", chain ? chain : "?"); break;
	case NFT_RETURN:	text_add(buf, len, "return"); break;
	default:
		switch (verdict & NF_VERDICT_MASK) {
		case NF_DROP:	text_add(buf, len, "drop"); break;
		case NF_ACCEPT:	text_add(buf, len, "accept"); break;
		case NF_QUEUE:	text_add(buf, len, "queue"); break;
		default:	text_add(buf, len, "verdict %d", verdict); break;
		}
	}
}

static int udata_comment_cb(const struct nftnl_udata *attr, void *data)
{
	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT)
		snprintf(data, sizeof(((struct rule_info *)0)->comment), "%.*s",
			 (int)nftnl_udata_len(attr), (const char *)nftnl_udata_get(attr));
	return 0;
}

/* iptables-nft keeps `-m comment --comment` as an xtables match whose
 * payload is struct xt_comment_info: the text, NUL-padded to 256 bytes.
 * Real kube-proxy in iptables mode names its Services only there. */
static void xt_match_comment(const struct nftnl_expr *e, struct rule_info *ri)
{
	const char *mt = nftnl_expr_get_str(e, NFTNL_EXPR_MT_NAME);
	uint32_t len = 0;
	const char *info = nftnl_expr_get(e, NFTNL_EXPR_MT_INFO, &len);

	if (!mt || strcmp(mt, "comment") || !info || !len || ri->comment[0])
		return;
	snprintf(ri->comment, sizeof(ri->comment), "%.*s", (int)strnlen(info, len), info);
}

/* "vmap @service-ips"; an anonymous map ("__map0", as kube-proxy's
 * numgen vmap { ... } makes) has no name nft would print. */
static void vmap_text(const struct nftnl_expr *e, struct rule_info *ri)
{
	const char *set = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_SET) ?
			  nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET) : NULL;

	if (set && strncmp(set, "__", 2))
		text_add(ri->text, sizeof(ri->text), "vmap @%s", set);
	else
		text_add(ri->text, sizeof(ri->text), "vmap");
}

/* Statements and verdict of a rule in nft's words, e.g. "counter drop";
 * matches are left out, a trace shows which packet matched. */
static void rule_describe(const struct nftnl_rule *r, struct rule_info *ri)
{
	static const struct { const char *expr, *text; } stmts[] = {
		{ "counter", "counter" }, { "log", "log" }, { "limit", "limit" },
		{ "reject", "reject" }, { "masq", "masquerade" }, { "redir", "redirect" },
		{ "queue", "queue" }, { "notrack", "notrack" }, { "fwd", "fwd" },
		{ "dup", "dup" }, { "tproxy", "tproxy" }, { "synproxy", "synproxy" },
	};
	struct nftnl_expr_iter *it;
	struct nftnl_expr *e;
	uint32_t len;
	const void *ud;

	ri->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
	ri->comment[0] = '\0';
	snprintf(ri->text, sizeof(ri->text), "handle %" PRIu64 ":", ri->handle);
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	if (ud)
		nftnl_udata_parse(ud, len, udata_comment_cb, ri->comment);
	it = nftnl_expr_iter_create(r);
	if (!it)
		return;
	while ((e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		if (!name)
			continue;
		for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
			if (!strcmp(name, stmts[i].expr))
				text_add(ri->text, sizeof(ri->text), "%s", stmts[i].text);
		if (!strcmp(name, "meta") && nftnl_expr_is_set(e, NFTNL_EXPR_META_SREG))
			text_add(ri->text, sizeof(ri->text), "%s",
				 nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY) == NFT_META_MARK ?
				 "meta mark set" : "meta set");
		else if (!strcmp(name, "nat"))
			text_add(ri->text, sizeof(ri->text), "%s",
				 nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE) == NFT_NAT_SNAT ?
				 "snat" : "dnat");
		else if (!strcmp(name, "lookup") && nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG) &&
			 nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG) == NFT_REG_VERDICT)
			vmap_text(e, ri);
		else if (!strcmp(name, "match"))
			xt_match_comment(e, ri);
		else if (!strcmp(name, "target") && nftnl_expr_is_set(e, NFTNL_EXPR_TG_NAME))
			text_add(ri->text, sizeof(ri->text), "%s",
				 nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME));
		else if (!strcmp(name, "immediate") &&
			 nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT)
			verdict_text(ri->text, sizeof(ri->text),
				     (int)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT),
				     nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN));
	}
	nftnl_expr_iter_destroy(it);
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_info *ci = data;
	struct nftnl_rule *r;
	struct rule_info *nr;
	int ret = 0;

	r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto out;	/* not one we can read; the trace still names the handle */
	nr = realloc(ci->rules, (ci->nrules + 1) * sizeof(*ci->rules));
	if (!nr) {
		ret = -ENOMEM;
		goto out;
	}
	ci->rules = nr;
	rule_describe(r, &ci->rules[ci->nrules++]);
out:
	nftnl_rule_free(r);
	return ret;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_info *ci = data;
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 && nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
		ci->base = true;
		ci->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
	}
	nftnl_chain_free(c);
	return 0;
}

/* Fill ci (family, table, chain set) from the kernel: base chain and hook,
 * and every rule. Best effort: a failure leaves it without rules. */
static void chain_lookup(struct nftrace *t, struct chain_info *ci)
{
	char req[REQ_SIZE];
	struct nlmsghdr *nlh;
	struct nftnl_chain *c;
	struct nftnl_rule *r;
	int tries = 0, ret;

	/* Padding after odd-length names is not written by the builders. */
	memset(req, 0, sizeof(req));
	c = nftnl_chain_alloc();
	if (!c)
		return;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, ci->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, ci->chain);
	nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETCHAIN, (uint16_t)ci->family, NLM_F_ACK,
				    t->seq++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	nft_query(t, nlh, chain_cb, ci);

	r = nftnl_rule_alloc();
	if (!r)
		return;
	/* The kernel filters the dump by table and chain. */
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, ci->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, ci->chain);
	do {
		ci->nrules = 0;
		nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETRULE, (uint16_t)ci->family,
					    NLM_F_DUMP, t->seq++);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		ret = nft_query(t, nlh, rule_cb, ci);
	} while (ret == -EINTR && ++tries < 3);
	nftnl_rule_free(r);
}

/* The chain (looked up once per read), or NULL without memory. */
static struct chain_info *chain_get(struct nftrace *t, uint32_t family, const char *table,
				    const char *chain)
{
	struct chain_info *ci;

	for (size_t i = 0; i < t->nchains; i++) {
		ci = &t->chains[i];
		if (ci->family == family && !strcmp(ci->table, table) && !strcmp(ci->chain, chain))
			return ci;
	}
	if (t->nchains == t->chains_cap) {
		size_t ncap = t->chains_cap ? t->chains_cap * 2 : 8;

		ci = realloc(t->chains, ncap * sizeof(*ci));
		if (!ci)
			return NULL;
		t->chains = ci;
		t->chains_cap = ncap;
	}
	ci = &t->chains[t->nchains++];
	memset(ci, 0, sizeof(*ci));
	ci->family = family;
	snprintf(ci->table, sizeof(ci->table), "%s", table);
	snprintf(ci->chain, sizeof(ci->chain), "%s", chain);
	chain_lookup(t, ci);
	return ci;
}

static void chains_forget(struct nftrace *t)
{
	for (size_t i = 0; i < t->nchains; i++)
		free(t->chains[i].rules);
	t->nchains = 0;
}

/* ---- events -------------------------------------------------------------- */

static bool id_marked(const struct nftrace *t, uint32_t id)
{
	size_t n = t->nids < TRACE_IDS ? t->nids : TRACE_IDS;

	for (size_t i = 0; i < n; i++)
		if (t->ids[i] == id)
			return true;
	return false;
}

static void id_mark(struct nftrace *t, uint32_t id)
{
	if (!id_marked(t, id))
		t->ids[t->nids++ % TRACE_IDS] = id;
}

/* The name of ifindex in the traced namespace: SIOCGIFNAME works on any
 * socket and answers for the socket's namespace, so nl does. */
static void ifname_get(const struct nftrace *t, uint32_t ifindex, char *buf, size_t len)
{
	struct ifreq ifr = { .ifr_ifindex = (int)ifindex };

	if (ioctl(mnl_socket_get_fd(t->nl), SIOCGIFNAME, &ifr) == 0)
		snprintf(buf, len, "%s", ifr.ifr_name);
	else
		snprintf(buf, len, "#%u", ifindex);	/* gone since */
}

static void headers_decode(const struct nftnl_trace *tr, struct nftrace_event *ev)
{
	const uint8_t *nh, *th;
	uint32_t nlen = 0, tlen = 0;

	nh = nftnl_trace_get_data(tr, NFTNL_TRACE_NETWORK_HEADER, &nlen);
	if (!nh || nlen < 20 || (nh[0] >> 4) != 4)
		return;
	ev->saddr = (uint32_t)nh[12] << 24 | (uint32_t)nh[13] << 16 | (uint32_t)nh[14] << 8 | nh[15];
	ev->daddr = (uint32_t)nh[16] << 24 | (uint32_t)nh[17] << 16 | (uint32_t)nh[18] << 8 | nh[19];
	ev->proto = nh[9];
	th = nftnl_trace_get_data(tr, NFTNL_TRACE_TRANSPORT_HEADER, &tlen);
	if (!th)
		return;
	if (ev->proto == IPPROTO_ICMP) {
		if (tlen >= 6 && (th[0] == 0 || th[0] == 8))
			ev->sport = (uint16_t)(th[4] << 8 | th[5]);
	} else if (tlen >= 4 && (ev->proto == IPPROTO_TCP || ev->proto == IPPROTO_UDP ||
				 ev->proto == IPPROTO_UDPLITE || ev->proto == IPPROTO_SCTP)) {
		ev->sport = (uint16_t)(th[0] << 8 | th[1]);
		ev->dport = (uint16_t)(th[2] << 8 | th[3]);
	}
}

static void rule_fill(struct nftrace *t, struct nftrace_event *ev)
{
	const struct chain_info *ci = chain_get(t, ev->family, ev->table, ev->chain);

	snprintf(ev->rule, sizeof(ev->rule), "handle %" PRIu64, ev->handle);
	for (size_t i = 0; ci && i < ci->nrules; i++) {
		if (ci->rules[i].handle != ev->handle)
			continue;
		snprintf(ev->rule, sizeof(ev->rule), "%s", ci->rules[i].text);
		snprintf(ev->comment, sizeof(ev->comment), "%s", ci->rules[i].comment);
		break;
	}
}

/* Fill ev from one trace message; 1 if it is an event of the probe, 0 if
 * it is skipped. */
static int event_parse(struct nftrace *t, const struct nlmsghdr *nlh, struct nftrace_event *ev)
{
	struct nftnl_trace *tr = nftnl_trace_alloc();
	const struct chain_info *ci;
	const char *table, *chain, *s;
	struct timespec ts;
	int ret = 0;

	if (!tr || nftnl_trace_nlmsg_parse(nlh, tr) < 0)
		goto out;
	table = nftnl_trace_get_str(tr, NFTNL_TRACE_TABLE);
	chain = nftnl_trace_get_str(tr, NFTNL_TRACE_CHAIN);
	if (!table || !chain)
		goto out;
	/* Our own chains are noise, but their rule event is how we know the
	 * packet is the probe's: anything else traced here (another trace's
	 * probe, a user's nftrace rule) carries other ids. */
	if (!strncmp(table, TRACE_PREFIX, strlen(TRACE_PREFIX))) {
		if (!strcmp(table, t->table) &&
		    nftnl_trace_get_u32(tr, NFTNL_TRACE_TYPE) == NFT_TRACETYPE_RULE)
			id_mark(t, nftnl_trace_get_u32(tr, NFTNL_TRACE_ID));
		goto out;
	}
	memset(ev, 0, sizeof(*ev));
	headers_decode(tr, ev);
	/* The id comes from the skb: where the packet is copied (a bridged
	 * frame handed to IP by br_netfilter) the rest of its way has another
	 * id. A traced packet of the probe's flow is ours under any id. */
	if (!id_marked(t, nftnl_trace_get_u32(tr, NFTNL_TRACE_ID))) {
		if (!event_matches(t, ev))
			goto out;
		id_mark(t, nftnl_trace_get_u32(tr, NFTNL_TRACE_ID));
	}

	clock_gettime(CLOCK_REALTIME, &ts);
	ev->ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	ev->id = nftnl_trace_get_u32(tr, NFTNL_TRACE_ID);
	snprintf(ev->table, sizeof(ev->table), "%s", table);
	snprintf(ev->chain, sizeof(ev->chain), "%s", chain);
	ev->family = (uint8_t)nftnl_trace_get_u32(tr, NFTNL_TRACE_FAMILY);
	switch (nftnl_trace_get_u32(tr, NFTNL_TRACE_TYPE)) {
	case NFT_TRACETYPE_RULE:	ev->kind = NFTRACE_RULE; break;
	case NFT_TRACETYPE_RETURN:	ev->kind = NFTRACE_RETURN; break;
	case NFT_TRACETYPE_POLICY:	ev->kind = NFTRACE_POLICY; break;
	default:			ev->kind = NFTRACE_OTHER; break;
	}
	/* The end of a chain reached without a verdict: older kernels say
	 * return, newer ones (6.18 here) a rule event without a rule. */
	if (ev->kind == NFTRACE_RULE && !nftnl_trace_is_set(tr, NFTNL_TRACE_RULE_HANDLE))
		ev->kind = NFTRACE_RETURN;
	/* Policy events carry the chain's policy instead of a verdict. */
	ev->verdict = NFT_CONTINUE;
	if (nftnl_trace_is_set(tr, NFTNL_TRACE_POLICY))
		ev->verdict = (int)nftnl_trace_get_u32(tr, NFTNL_TRACE_POLICY);
	else if (nftnl_trace_is_set(tr, NFTNL_TRACE_VERDICT))
		ev->verdict = (int)nftnl_trace_get_u32(tr, NFTNL_TRACE_VERDICT);
	/* NF_* verdicts may carry an errno or queue number above the low
	 * byte; callers compare with NF_DROP and friends. */
	if (ev->verdict >= 0)
		ev->verdict &= NF_VERDICT_MASK;
	s = nftnl_trace_get_str(tr, NFTNL_TRACE_JUMP_TARGET);
	if (s)
		snprintf(ev->jump_target, sizeof(ev->jump_target), "%s", s);
	if (nftnl_trace_is_set(tr, NFTNL_TRACE_IIF))
		ifname_get(t, nftnl_trace_get_u32(tr, NFTNL_TRACE_IIF), ev->iif, sizeof(ev->iif));
	if (nftnl_trace_is_set(tr, NFTNL_TRACE_OIF))
		ifname_get(t, nftnl_trace_get_u32(tr, NFTNL_TRACE_OIF), ev->oif, sizeof(ev->oif));
	ev->mark = nftnl_trace_get_u32(tr, NFTNL_TRACE_MARK);
	if (ev->kind == NFTRACE_RULE) {
		ev->handle = nftnl_trace_get_u64(tr, NFTNL_TRACE_RULE_HANDLE);
		rule_fill(t, ev);
	}
	/* The kernel does not say which hook; a base chain has one, and a
	 * regular chain runs inside the hook of the packet's last base chain. */
	ci = chain_get(t, ev->family, table, chain);
	if (ci && ci->base) {
		t->last_id = ev->id;
		t->last_hook = ci->hook;
		ev->hook = ci->hook;
	} else if (t->last_id == ev->id) {
		ev->hook = t->last_hook;
	}
	ret = 1;
out:
	if (tr)
		nftnl_trace_free(tr);
	return ret;
}

/* ---- API ------------------------------------------------------------------- */

/* Say what the errno means at the step of the arm batch that failed. */
static int arm_error(struct pp_err *e, const char *netns, const struct nft_err *ne)
{
	const char *why = strerror(-ne->code);
	enum pp_exit kind = PP_EXIT_FAIL;
	int c = ne->code;

	if (c == -EPERM && ne->tag == TAG_TABLE) {
		/* nfnetlink checked our capability at the batch already:
		 * this is a table owned by another live socket. */
		why = "in use by another running trace";
	} else if (c == -EPERM) {
		kind = PP_EXIT_ENV;
	} else if (ne->tag <= TAG_TABLE && (c == -ENOENT || c == -EOPNOTSUPP ||
					    c == -EPROTONOSUPPORT)) {
		kind = PP_EXIT_ENV;
		why = "the kernel has no nf_tables (CONFIG_NF_TABLES)";
	} else if (c == -ENOENT || c == -EOPNOTSUPP) {
		kind = PP_EXIT_ENV;	/* a chain type or expression not built in */
	}
	return pp_err_set(e, kind, c, "nftables trace in %s: %s: %s%s%s%s", netns,
			  ne->what[0] ? ne->what : "nf_tables batch", why,
			  ne->ext[0] ? " (" : "", ne->ext, ne->ext[0] ? ")" : "");
}

int nftrace_arm(const char *netns, const char *tag, const struct nftrace_match *m,
		struct nftrace **out, struct pp_err *e)
{
	struct nft_err ne = { .code = 0 };
	struct nft_batch *b = NULL;
	struct nftrace *t = NULL;
	const char *what;
	int ret;

	*out = NULL;
	if (!*tag || strlen(TRACE_PREFIX) + strlen(tag) >= sizeof(((struct nftrace_event *)0)->table))
		return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "nftables trace in %s: bad tag \"%s\"",
				  netns, tag);
	t = nftrace_alloc();
	if (!t)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	snprintf(t->table, sizeof(t->table), "%s%s", TRACE_PREFIX, tag);
	t->match = *m;
	t->match.hosts = NULL;
	if (m->nhosts) {
		t->hosts = calloc(m->nhosts, sizeof(*t->hosts));
		if (!t->hosts) {
			ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
			goto out;
		}
		memcpy(t->hosts, m->hosts, m->nhosts * sizeof(*t->hosts));
		t->match.hosts = t->hosts;
	}
	ret = sockets_open_in(t, netns, true, &what);
	if (ret < 0) {
		if (ret == -EPROTONOSUPPORT)
			ret = pp_err_set(e, PP_EXIT_ENV, ret, "nftables trace in %s: %s: %s", netns, what,
					 "the kernel has no nfnetlink (CONFIG_NETFILTER_NETLINK)");
		else
			ret = pp_err_set(e, ret == -EPERM ? PP_EXIT_ENV : PP_EXIT_FAIL, ret,
					 "nftables trace in %s: %s: %s", netns, what, strerror(-ret));
		goto out;
	}
	b = nft_batch_new_sized(NFTRACE_BATCH_PAGE);
	/* Owned by the socket: the kernel deletes the table when the socket
	 * closes, so a crashed podpath leaves nothing behind, and nobody else
	 * (nft flush ruleset, a sweep) removes it under us. */
	ret = b ? nft_batch_table(b, NFT_MSG_NEWTABLE, NFPROTO_INET, t->table, NULL,
				  NFT_TABLE_F_OWNER, TAG_TABLE) : -ENOMEM;
	if (ret == 0)
		ret = chain_add(b, t->table, "pre", NF_INET_PRE_ROUTING);
	if (ret == 0)
		ret = chain_add(b, t->table, "out", NF_INET_LOCAL_OUT);
	if (ret == 0)
		ret = rules_add(b, t->table, "pre", m);
	if (ret == 0)
		ret = rules_add(b, t->table, "out", m);
	if (ret < 0) {
		ret = pp_err_set(e, PP_EXIT_FAIL, ret, "nftables trace in %s: cannot build the batch: %s",
				 netns, strerror(-ret));
		goto out;
	}
	ret = nft_batch_commit_on(b, t->nl, &ne);
	if (ret < 0) {
		ret = arm_error(e, netns, &ne);
		goto out;
	}
	*out = t;
	t = NULL;
out:
	nft_batch_free(b);
	nftrace_free(t);
	return ret;
}

int nftrace_fd(const struct nftrace *t)
{
	return mnl_socket_get_fd(t->mon);
}

int nftrace_read(struct nftrace *t, struct nftrace_event *ev, size_t max)
{
	size_t n = 0;
	int ret = t->pending;

	/* An overflow seen last time, after the events read then. */
	t->pending = 0;
	chains_forget(t);
	while (ret == 0 && n < max) {
		ssize_t len = recv(mnl_socket_get_fd(t->mon), t->buf, TRACE_BUF, MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)t->buf;
		int left = (int)len;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			/* ENOBUFS: events were lost. Hand out what we have
			 * first, the error at the next call. */
			if (n)
				t->pending = -errno;
			else
				ret = -errno;
			break;
		}
		/* The kernel sends one event per datagram; should more come
		 * together, those past max are lost. */
		for (; n < max && mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_TRACE))
				n += (size_t)event_parse(t, nlh, &ev[n]);
		}
	}
	return ret < 0 ? ret : (int)n;
}

void nftrace_disarm(struct nftrace *t)
{
	if (!t)
		return;
	/* Closing the owning socket would delete the table too; deleting it
	 * first makes it gone before we return, whatever else holds nl. The
	 * namespace may be going away: errors do not matter here. */
	table_delete(t, t->table);
	nftrace_free(t);
}

struct names {
	char (*name)[NFT_TABLE_MAXNAMELEN];
	size_t n;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct names *nm = data;
	struct nftnl_table *tb = nftnl_table_alloc();
	const char *name;
	void *nn;
	int ret = 0;

	if (!tb)
		return -ENOMEM;
	if (nftnl_table_nlmsg_parse(nlh, tb) < 0)
		goto out;
	name = nftnl_table_get_str(tb, NFTNL_TABLE_NAME);
	if (!name || strncmp(name, TRACE_PREFIX, strlen(TRACE_PREFIX)))
		goto out;
	nn = realloc(nm->name, (nm->n + 1) * sizeof(*nm->name));
	if (!nn) {
		ret = -ENOMEM;
		goto out;
	}
	nm->name = nn;
	snprintf(nm->name[nm->n++], sizeof(nm->name[0]), "%s", name);
out:
	nftnl_table_free(tb);
	return ret;
}

int nftrace_sweep(const char *netns)
{
	char req[REQ_SIZE];
	struct names nm = { 0 };
	struct nftrace *t;
	const char *what;
	int tries = 0, ret;

	t = nftrace_alloc();
	if (!t)
		return -ENOMEM;
	ret = sockets_open_in(t, netns, false, &what);
	if (ret < 0)
		goto out;
	do {
		struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETTABLE, NFPROTO_INET,
							     NLM_F_DUMP, t->seq++);

		nm.n = 0;
		ret = nft_query(t, nlh, table_cb, &nm);
	} while (ret == -EINTR && ++tries < 3);
	for (size_t i = 0; ret == 0 && i < nm.n; i++) {
		ret = table_delete(t, nm.name[i]);
		/* Owned by a live trace's socket: not a leftover. */
		if (ret == -EPERM)
			ret = 0;
	}
out:
	/* Without nfnetlink or nf_tables there is nothing to sweep. */
	if (ret == -EOPNOTSUPP || ret == -EPROTONOSUPPORT)
		ret = 0;
	free(nm.name);
	nftrace_free(t);
	return ret;
}
