/* conntrack — fill and flush a namespace's connection table; see conntrack.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "ct/conntrack.h"

#define FILL_SRC 0xc6120000u	/* 198.18.0.0/15: RFC 2544, never a lab's */
#define FILL_DST 0xc613fffeu	/* 198.19.255.254 */
#define FILL_DPORT 9		/* discard */
#define FILL_BATCH 256		/* creations per sendmsg */
#define FILL_MSG 256		/* room for one, with its attributes */

/* The kernel's answers to a batch whose last message is `last`: how many
 * failed, with the first failure's errno in *err. */
static int acks_read(struct mnl_socket *nl, uint32_t first, uint32_t last, size_t *failed,
		     int *err)
{
	char buf[65536];
	bool done = false;

	while (!done) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *me = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq < first ||
			    nlh->nlmsg_seq > last)
				continue;
			if (me->error) {
				(*failed)++;
				if (!*err)
					*err = -me->error;
			}
			if (nlh->nlmsg_seq == last)
				done = true;
		}
	}
	return 0;
}

int ct_fill(uint32_t mark, uint32_t timeout_s, size_t max, size_t *added)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	struct nf_conntrack *ct = nfct_new();
	char *buf = malloc(FILL_BATCH * FILL_MSG);
	uint32_t seq = (uint32_t)time(NULL) << 8;
	int one = 1, ret = 0;

	*added = 0;
	if (!nl || !ct || !buf) {
		ret = errno ? -errno : -ENOMEM;
		goto out;
	}
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout_s);
	nfct_set_attr_u32(ct, ATTR_MARK, mark);
	/* Assured: the kernel's early drop never evicts these for a new flow. */
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_ASSURED | IPS_SEEN_REPLY);
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, htonl(FILL_DST));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, htonl(FILL_DST));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(FILL_DPORT));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(FILL_DPORT));
	/* Many creations per sendmsg; only the last asks for an ack, the
	 * kernel answers every failure anyway. */
	for (size_t i = 0; i < max && ret == 0; ) {
		size_t n = max - i < FILL_BATCH ? max - i : FILL_BATCH, off = 0, failed = 0;
		uint32_t first = seq;
		int err = 0;

		for (size_t k = 0; k < n; k++, i++) {
			/* 2^17 sources times source ports: a tuple of its own each. */
			uint32_t src = FILL_SRC + (uint32_t)(i & 0x1ffff);
			uint16_t sport = (uint16_t)(1024 + (i >> 17));
			struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + off);
			struct nfgenmsg *nfg;

			nfct_set_attr_u32(ct, ATTR_IPV4_SRC, htonl(src));
			nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, htonl(src));
			nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(sport));
			nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(sport));
			nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL |
					   (k == n - 1 ? NLM_F_ACK : 0);
			nlh->nlmsg_seq = seq++;
			nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
			nfg->nfgen_family = AF_INET;
			nfg->version = NFNETLINK_V0;
			nfct_nlmsg_build(nlh, ct);
			off += NLMSG_ALIGN(nlh->nlmsg_len);
		}
		if (mnl_socket_sendto(nl, buf, off) < 0) {
			ret = -errno;
			break;
		}
		ret = acks_read(nl, first, seq - 1, &failed, &err);
		*added += n - failed;
		/* The table is full: what was asked for. */
		if (ret == 0 && err)
			ret = err == ENOMEM ? 1 : -err;
	}
out:
	free(buf);
	if (ct)
		nfct_destroy(ct);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

struct droppable {
	struct nf_conntrack **ct;
	size_t n, cap;
	int err;
};

static bool early_droppable(const struct nf_conntrack *ct)
{
	if (!(nfct_get_attr_u32(ct, ATTR_STATUS) & IPS_ASSURED))
		return true;
	if (nfct_get_attr_u8(ct, ATTR_L4PROTO) != IPPROTO_TCP || !nfct_attr_is_set(ct, ATTR_TCP_STATE))
		return false;
	switch (nfct_get_attr_u8(ct, ATTR_TCP_STATE)) {
	case TCP_CONNTRACK_FIN_WAIT:
	case TCP_CONNTRACK_CLOSE_WAIT:
	case TCP_CONNTRACK_LAST_ACK:
	case TCP_CONNTRACK_TIME_WAIT:
	case TCP_CONNTRACK_CLOSE:
		return true;
	default:
		return false;
	}
}

static int droppable_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *arg)
{
	struct droppable *d = arg;

	(void)type;
	if (d->err || !early_droppable(ct))
		return NFCT_CB_CONTINUE;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct nf_conntrack **v = realloc(d->ct, cap * sizeof(*v));

		if (!v) {
			d->err = -ENOMEM;
			return NFCT_CB_CONTINUE;
		}
		d->ct = v;
		d->cap = cap;
	}
	d->ct[d->n] = nfct_clone(ct);
	if (!d->ct[d->n])
		d->err = -ENOMEM;
	else
		d->n++;
	return NFCT_CB_CONTINUE;
}

int ct_evict_early_droppable(size_t *evicted)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	struct droppable d = { 0 };
	uint32_t family = AF_INET;
	int ret = 0;

	*evicted = 0;
	if (!h)
		return -errno;
	/* Collected first, deleted after: a handle cannot ask while it dumps. */
	nfct_callback_register(h, NFCT_T_ALL, droppable_cb, &d);
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0)
		ret = -errno;
	else
		ret = d.err;
	for (size_t i = 0; i < d.n; i++) {
		/* Gone meanwhile (it expired, or closed) is as good as deleted. */
		if (ret == 0 && nfct_query(h, NFCT_Q_DESTROY, d.ct[i]) < 0 && errno != ENOENT)
			ret = -errno;
		else if (ret == 0)
			(*evicted)++;
		nfct_destroy(d.ct[i]);
	}
	free(d.ct);
	nfct_close(h);
	return ret;
}

int ct_flush_mark(uint32_t mark)
{
	char buf[8192];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t n;
	int ret = 0;

	if (!nl)
		return -errno;
	/* A delete without a tuple is a flush, filtered by the kernel with
	 * the mark (ctnetlink_flush_conntrack): one request, however many. */
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(0xffffffffu));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL) < 0)
		ret = -errno;
out:
	mnl_socket_close(nl);
	return ret;
}
