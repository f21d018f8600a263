/* query — read back what nf_tables holds, for reports that must show the
 * kernel's state rather than what podpath meant to install; see nft.h. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>

#include "nft/internal.h"

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(size_t *)data)++;
	return MNL_CB_OK;
}

struct mnl_socket *nft_socket_open(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int saved;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		saved = errno;
		mnl_socket_close(nl);
		errno = saved;
		return NULL;
	}
	return nl;
}

int nft_dump(struct mnl_socket *nl, char *buf, size_t len, uint32_t seq,
	     int (*cb)(const struct nlmsghdr *nlh, void *arg), void *arg)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	uint32_t portid = mnl_socket_get_portid(nl);
	int ret = MNL_CB_OK;
	ssize_t got = 0;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (ret > MNL_CB_STOP) {
		got = mnl_socket_recvfrom(nl, buf, len);
		if (got < 0 && errno == EINTR)
			continue;
		/* A receive that failed (ENOBUFS: messages lost) before the
		 * dump's end is an error, never a shorter answer taken for
		 * the whole. */
		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		ret = mnl_cb_run(buf, (size_t)got, seq, portid, cb, arg);
	}
	return ret < 0 ? (errno ? -errno : -EIO) : 0;
}

/* One question on a socket of its own; see nft_dump. */
int nft_query_run(char *buf, size_t len, uint32_t seq, mnl_cb_t cb, void *data)
{
	struct mnl_socket *nl = nft_socket_open();
	int ret;

	if (!nl)
		return -errno;
	ret = nft_dump(nl, buf, len, seq, cb, data);
	mnl_socket_close(nl);
	return ret;
}

int nft_chain_rule_count(uint32_t family, const char *table, const char *chain, size_t *n)
{
	char buf[32768];	/* MNL_SOCKET_DUMP_SIZE */
	struct nftnl_rule *r = nftnl_rule_alloc();
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	int ret;

	*n = 0;
	if (!r)
		return -ENOMEM;
	/* The kernel filters the dump by table and chain. */
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, (uint16_t)family, NLM_F_DUMP, seq);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	ret = nft_query_run(buf, sizeof(buf), seq, count_cb, n);
	return ret;
}

int nft_table_exists(uint32_t family, const char *name)
{
	char buf[8192];	/* a table message and an ack */
	uint32_t seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh;
	int ret;

	/* One table by name: the kernel answers it, or ENOENT. */
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, (uint16_t)family, NLM_F_ACK, seq);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
	ret = nft_query_run(buf, sizeof(buf), seq, NULL, NULL);
	if (ret == -ENOENT)
		return 0;
	return ret < 0 ? ret : 1;
}
