/* batch — queue nf_tables messages and commit them as one transaction; see nft.h.
 *
 * Only the last message asks for an ack: nfnetlink answers a failed message
 * whether asked or not, so a 100,000-message batch costs one ack, not
 * 100,000, and the last ack tells that everything before it was read. Each
 * message's owner tag is kept by sequence number; on failure the message
 * itself is found again in the batch buffer and named from its attributes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft/internal.h"

/* A page holds many messages. libnftnl fills an element message up to
 * its 16-bit list attribute (64 KiB) and starts a page when a message
 * crosses the page's size, moving the message there: a message longer
 * than a page would be overwritten by the next one (libmnl never counts
 * it in). So pages are never smaller than the longest message, and the
 * overrun past a page's size holds one whole message. */
#define PAGE_SIZE_B	(1 << 20)
#define MSG_MAX		(UINT16_MAX + 4096)	/* elements + headers, names, ids */
#define PAGE_OVERRUN	MSG_MAX
#define RECV_BUF	(64 * 1024)
/* A table, chain or set that exists already is an error, not an update:
 * whatever is there is not what this batch describes. */
#define NEW_FLAGS	(NLM_F_CREATE | NLM_F_EXCL)

struct nft_batch {
	struct nftnl_batch *b;
	uint32_t seq0;			/* BATCH_BEGIN; message i has seq0 + 1 + i */
	long *tags;			/* per message */
	size_t n, cap;
	uint32_t next_set_id;
	uint64_t anon_base, anon_n;	/* names of anonymous sets */
	int err;			/* first queueing failure */
};

struct nft_batch *nft_batch_new(void)
{
	return nft_batch_new_sized(PAGE_SIZE_B);
}

struct nft_batch *nft_batch_new_sized(size_t page)
{
	struct nft_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	if (page < MSG_MAX)
		page = MSG_MAX;
	b->b = nftnl_batch_alloc((uint32_t)page, PAGE_OVERRUN);
	if (!b->b) {
		free(b);
		return NULL;
	}
	/* Quiets memcheck about header padding libnftnl leaves unwritten. */
	memset(nftnl_batch_buffer(b->b), 0, page + PAGE_OVERRUN);
	b->seq0 = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
	b->next_set_id = 1;
	/* Random: names must not meet those of sets made by earlier batches
	 * (an anonymous set's name is never shown, but must be unique). */
	if (getrandom(&b->anon_base, sizeof(b->anon_base), 0) != sizeof(b->anon_base))
		b->anon_base = ((uint64_t)time(NULL) << 32) ^ (uint64_t)getpid() << 48;
	nftnl_batch_begin(nftnl_batch_buffer(b->b), b->seq0);
	nftnl_batch_update(b->b);
	return b;
}

void nft_batch_free(struct nft_batch *b)
{
	if (!b)
		return;
	nftnl_batch_free(b->b);
	free(b->tags);
	free(b);
}

size_t nft_batch_count(const struct nft_batch *b)
{
	return b->n;
}

uint32_t nft_batch_set_id(struct nft_batch *b)
{
	return b->next_set_id++;
}

void nft_batch_anon_name(struct nft_batch *b, char *buf, size_t len)
{
	snprintf(buf, len, "__map%016llx", (unsigned long long)(b->anon_base + b->anon_n++));
}

int nft_batch_for_each(struct nft_batch *b, int (*fn)(const struct nlmsghdr *nlh, void *arg),
		       void *arg)
{
	uint32_t npages = (uint32_t)nftnl_batch_iovec_len(b->b);
	struct iovec *iov = calloc(npages ? npages : 1, sizeof(*iov));
	int ret = 0;

	if (!iov)
		return -ENOMEM;
	nftnl_batch_iovec(b->b, iov, npages);
	for (uint32_t i = 0; ret == 0 && i < npages; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		int left = (int)iov[i].iov_len;

		for (; ret == 0 && mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			if (nlh->nlmsg_type != NFNL_MSG_BATCH_BEGIN &&
			    nlh->nlmsg_type != NFNL_MSG_BATCH_END)
				ret = fn(nlh, arg);
	}
	free(iov);
	return ret;
}

/* Start message n of the batch and remember its owner. */
struct nlmsghdr *nft_batch_msg_start(struct nft_batch *b, uint16_t type, uint32_t family,
				  uint16_t flags, long tag)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		long *t = realloc(b->tags, cap * sizeof(*t));

		if (!t) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->tags = t;
		b->cap = cap;
	}
	b->tags[b->n] = tag;
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->b), type, (uint16_t)family, flags,
				     b->seq0 + 1 + (uint32_t)b->n++);
}

/* Close the message just built; a new page starts when this one is full. */
void nft_batch_msg_end(struct nft_batch *b)
{
	if (nftnl_batch_update(b->b) < 0 && !b->err)
		b->err = -ENOMEM;
}

int nft_batch_table(struct nft_batch *b, uint16_t type, uint32_t family, const char *name,
		    const char *comment, uint32_t flags, long tag)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_udata_buf *ud = NULL;
	struct nlmsghdr *nlh;
	int ret = -ENOMEM;

	if (!t)
		return ret;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	if (flags)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	if (comment && type == NFT_MSG_NEWTABLE) {
		ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);
		if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, comment))
			goto out;
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
				     nftnl_udata_buf_len(ud));
	}
	nlh = nft_batch_msg_start(b, type, family, type == NFT_MSG_NEWTABLE ? NEW_FLAGS : 0, tag);
	if (!nlh)
		goto out;
	nftnl_table_nlmsg_build_payload(nlh, t);
	nft_batch_msg_end(b);
	ret = 0;
out:
	if (ud)
		nftnl_udata_buf_free(ud);
	nftnl_table_free(t);
	return ret;
}

int nft_batch_chain(struct nft_batch *b, uint16_t type, const struct nft_chain_spec *cs,
		    long tag)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nftnl_udata_buf *ud = NULL;
	struct nlmsghdr *nlh = NULL;

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, cs->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, cs->name);
	if (cs->hook >= 0 && type == NFT_MSG_NEWCHAIN) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, cs->kind);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)cs->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, cs->prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	if (cs->comment && type == NFT_MSG_NEWCHAIN) {
		ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);
		if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_CHAIN_COMMENT, cs->comment))
			goto out;
		nftnl_chain_set_data(c, NFTNL_CHAIN_USERDATA, nftnl_udata_buf_data(ud),
				     nftnl_udata_buf_len(ud));
	}
	nlh = nft_batch_msg_start(b, type, cs->family, type == NFT_MSG_NEWCHAIN ? NEW_FLAGS : 0, tag);
	if (nlh) {
		nftnl_chain_nlmsg_build_payload(nlh, c);
		nft_batch_msg_end(b);
	}
out:
	if (ud)
		nftnl_udata_buf_free(ud);
	nftnl_chain_free(c);
	return nlh ? 0 : -ENOMEM;
}

int nft_batch_chain_flush(struct nft_batch *b, uint32_t family, const char *table,
			  const char *chain, long tag)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nlh = nft_batch_msg_start(b, NFT_MSG_DELRULE, family, 0, tag);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nft_batch_msg_end(b);
	}
	nftnl_rule_free(r);
	return nlh ? 0 : -ENOMEM;
}

int nft_batch_rule(struct nft_batch *b, const struct nftnl_rule *r, long tag)
{
	struct nlmsghdr *nlh;

	nlh = nft_batch_msg_start(b, NFT_MSG_NEWRULE,
			nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY), NLM_F_CREATE | NLM_F_APPEND, tag);
	if (!nlh)
		return -ENOMEM;
	nftnl_rule_nlmsg_build_payload(nlh, (struct nftnl_rule *)r);
	nft_batch_msg_end(b);
	return 0;
}

int nft_batch_set(struct nft_batch *b, uint16_t type, struct nftnl_set *s, long tag)
{
	struct nlmsghdr *nlh;

	/* The kernel wants an id on every new set, named or not. */
	if (type == NFT_MSG_NEWSET && !nftnl_set_is_set(s, NFTNL_SET_ID))
		nftnl_set_set_u32(s, NFTNL_SET_ID, nft_batch_set_id(b));

	nlh = nft_batch_msg_start(b, type, nftnl_set_get_u32(s, NFTNL_SET_FAMILY),
			type == NFT_MSG_NEWSET ? NEW_FLAGS : 0, tag);
	if (!nlh)
		return -ENOMEM;
	nftnl_set_nlmsg_build_payload(nlh, s);
	nft_batch_msg_end(b);
	return 0;
}

int nft_batch_elems(struct nft_batch *b, uint16_t type, struct nftnl_set *s, long tag)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
	uint32_t family = nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
	int ret = 0;

	if (!it)
		return -ENOMEM;
	/* The iterator fills a message until its element list's 16-bit
	 * attribute length (64 KiB) would overflow and says whether elements
	 * are left; the next message carries on where it stopped. (Its cursor
	 * is no guide: it never becomes NULL once past the first element.) */
	for (bool more = nftnl_set_elems_iter_cur(it) != NULL; more; ) {
		struct nlmsghdr *nlh = nft_batch_msg_start(b, type, family,
						 type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, tag);

		if (!nlh) {
			ret = -ENOMEM;
			break;
		}
		more = nftnl_set_elems_nlmsg_build_payload_iter(nlh, it) > 0;
		nft_batch_msg_end(b);
	}
	nftnl_set_elems_iter_destroy(it);
	return ret;
}

/* ---- commit ---------------------------------------------------------------- */

static const char *msg_verb(uint16_t type)
{
	switch (type) {
	case NFT_MSG_NEWTABLE: return "add table";
	case NFT_MSG_DELTABLE: return "delete table";
	case NFT_MSG_NEWCHAIN: return "add chain";
	case NFT_MSG_DELCHAIN: return "delete chain";
	case NFT_MSG_NEWRULE: return "add rule to chain";
	case NFT_MSG_DELRULE: return "flush chain";
	case NFT_MSG_NEWSET: return "add set";
	case NFT_MSG_DELSET: return "delete set";
	case NFT_MSG_NEWSETELEM: return "add elements to set";
	case NFT_MSG_DELSETELEM: return "delete elements from set";
	default: return "change";
	}
}

/* The attribute that names a message's object: table, chain or set. */
static int name_attr(uint16_t type)
{
	switch (type) {
	case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE: return NFTA_TABLE_NAME;
	case NFT_MSG_NEWCHAIN: case NFT_MSG_DELCHAIN: return NFTA_CHAIN_NAME;
	case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE: return NFTA_RULE_CHAIN;
	case NFT_MSG_NEWSET: case NFT_MSG_DELSET: return NFTA_SET_NAME;
	case NFT_MSG_NEWSETELEM: case NFT_MSG_DELSETELEM: return NFTA_SET_ELEM_LIST_SET;
	default: return -1;
	}
}

/* Find message seq in the batch pages and say what it did: "add chain X". */
static void msg_describe(const struct iovec *iov, size_t niov, uint32_t seq, char *buf,
			 size_t len)
{
	for (size_t i = 0; i < niov; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		int left = (int)iov[i].iov_len;

		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			uint16_t type = NFNL_MSG_TYPE(nlh->nlmsg_type);
			const struct nlattr *a;
			int want = name_attr(type);

			if (nlh->nlmsg_seq != seq)
				continue;
			snprintf(buf, len, "%s", msg_verb(type));
			mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
				if (mnl_attr_get_type(a) == want &&
				    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0) {
					snprintf(buf, len, "%s %s", msg_verb(type),
						 mnl_attr_get_str(a));
					break;
				}
			}
			return;
		}
	}
}

void nft_ack_ext(const struct nlmsghdr *nlh, char *buf, size_t len)
{
	const struct nlmsgerr *me = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*me);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += me->msg.nlmsg_len - sizeof(me->msg);
	if (off > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(buf, len, "%s", mnl_attr_get_str(attr));
	}
}

static struct mnl_socket *sock_open(size_t sndbuf)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int one = 1, size = sndbuf > (1u << 30) ? 1 << 30 : (int)sndbuf;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	/* The whole batch is one datagram: the send buffer must hold it.
	 * FORCE passes wmem_max; root in the namespace has it. */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return nl;
}

/* Read every answer; they are all queued when sendmsg returns, because
 * nfnetlink runs the batch inside it. */
static int acks_read(struct nft_batch *b, struct mnl_socket *nl, const struct iovec *iov,
		     size_t niov, struct nft_err *e)
{
	uint32_t last = b->seq0 + (uint32_t)b->n;
	bool acked = false;
	char *buf = malloc(RECV_BUF);

	if (!buf)
		return e->code = -ENOMEM;
	while (!acked) {
		ssize_t len = recv(mnl_socket_get_fd(nl), buf, RECV_BUF, MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)buf;
		int left = (int)len;

		if (len < 0 && errno == EINTR)
			continue;
		/* A failed message makes the ones after it fail too; their
		 * errors can overflow the socket. The first ones are still
		 * queued: read on, the first error is the one that matters. */
		if (len < 0 && errno == ENOBUFS)
			continue;
		if (len < 0) {
			if (!e->code)
				e->code = errno == EAGAIN ? -ENOBUFS : -errno;
			if (!e->what[0])
				snprintf(e->what, sizeof(e->what), "%s", errno == EAGAIN ?
					 "read the batch's acknowledgement: missing" :
					 "read the batch's acknowledgement");
			break;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *me = mnl_nlmsg_get_payload(nlh);
			uint32_t i = nlh->nlmsg_seq - b->seq0;

			if (nlh->nlmsg_type != NLMSG_ERROR || i > b->n + 1)
				continue;
			if (nlh->nlmsg_seq == last)
				acked = true;
			if (me->error && !e->code) {
				e->code = me->error;
				e->tag = i >= 1 && i <= b->n ? b->tags[i - 1] : -1;
				nft_ack_ext(nlh, e->ext, sizeof(e->ext));
				msg_describe(iov, niov, nlh->nlmsg_seq, e->what, sizeof(e->what));
			}
		}
	}
	free(buf);
	return e->code;
}

/* Close the batch and ask for an ack on its last real message only (see
 * the top); the iovec of its pages (*niov of them, *total bytes), or NULL. */
static struct iovec *batch_close(struct nft_batch *b, size_t *niov, size_t *total)
{
	struct iovec *iov;

	nftnl_batch_end(nftnl_batch_buffer(b->b), b->seq0 + 1 + (uint32_t)b->n);
	nftnl_batch_update(b->b);
	*niov = (size_t)nftnl_batch_iovec_len(b->b);
	iov = calloc(*niov, sizeof(*iov));
	if (!iov)
		return NULL;
	nftnl_batch_iovec(b->b, iov, (uint32_t)*niov);
	*total = 0;
	for (size_t i = 0; i < *niov; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		int left = (int)iov[i].iov_len;

		*total += iov[i].iov_len;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			if (nlh->nlmsg_seq == b->seq0 + (uint32_t)b->n)
				((struct nlmsghdr *)nlh)->nlmsg_flags |= NLM_F_ACK;
	}
	return iov;
}

/* Commit on nl, or on a socket of its own when nl is NULL. */
static int commit(struct nft_batch *b, struct mnl_socket *nl, struct nft_err *e)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &snl, .msg_namelen = sizeof(snl) };
	struct mnl_socket *own = NULL;
	struct iovec *iov;
	size_t niov, total;

	memset(e, 0, sizeof(*e));
	e->tag = -1;
	if (b->err || b->n == 0)
		return e->code = b->err;
	iov = batch_close(b, &niov, &total);
	if (!iov)
		return e->code = -ENOMEM;
	if (!nl) {
		nl = own = sock_open(total + 4096);
		if (!nl) {
			e->code = -errno;
			snprintf(e->what, sizeof(e->what), "open a netfilter netlink socket");
			goto out;
		}
	}
	msg.msg_iov = iov;
	msg.msg_iovlen = niov;
	if (sendmsg(mnl_socket_get_fd(nl), &msg, 0) < 0) {
		e->code = -errno;
		snprintf(e->what, sizeof(e->what), "send a batch of %zu bytes", total);
		goto out;
	}
	acks_read(b, nl, iov, niov, e);
out:
	if (own)
		mnl_socket_close(own);
	free(iov);
	return e->code;
}

int nft_batch_commit(struct nft_batch *b, struct nft_err *e)
{
	return commit(b, NULL, e);
}

int nft_batch_commit_on(struct nft_batch *b, struct mnl_socket *nl, struct nft_err *e)
{
	return commit(b, nl, e);
}
