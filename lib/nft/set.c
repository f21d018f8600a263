/* set — nf_tables sets and verdict maps with their elements; see nft.h.
 *
 * Keys are laid out as nft lays them out, and the key type carries nft's own
 * datatype numbers (concatenations packed 6 bits per component), so
 * `nft list` prints `ipv4_addr . inet_proto . inet_service : verdict`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "nft/nft.h"

/* nft's datatype numbers (nftables include/datatype.h). */
enum { DT_NFPROTO = 2, DT_INTEGER = 4, DT_IPADDR = 7, DT_INETPROTO = 12, DT_INETSERVICE = 13,
       DT_ICMP_TYPE = 14, DT_MARK = 19 };
#define DT_CONCAT(a, b) (((a) << 6) | (b))
/* nft's byte order tag for a set key kept in host order. */
#define BYTEORDER_HOST 1

static void key_type(enum nft_key k, uint32_t *type, uint32_t *len)
{
	switch (k) {
	case NFT_KEY_SADDR:
	case NFT_KEY_DADDR:
		*type = DT_IPADDR, *len = 4;
		break;
	case NFT_KEY_L4PROTO:
		*type = DT_INETPROTO, *len = 1;
		break;
	case NFT_KEY_DPORT:
	case NFT_KEY_SPORT:
		*type = DT_INETSERVICE, *len = 2;
		break;
	case NFT_KEY_NFPROTO:
		*type = DT_NFPROTO, *len = 1;
		break;
	case NFT_KEY_ICMP_TYPE:
		*type = DT_ICMP_TYPE, *len = 1;
		break;
	case NFT_KEY_ICMP_ID:
		*type = DT_INTEGER, *len = 2;
		break;
	case NFT_KEY_DADDR_PROTO_DPORT:
		*type = DT_CONCAT(DT_CONCAT(DT_IPADDR, DT_INETPROTO), DT_INETSERVICE), *len = 12;
		break;
	case NFT_KEY_PROTO_DPORT:
		*type = DT_CONCAT(DT_INETPROTO, DT_INETSERVICE), *len = 8;
		break;
	case NFT_KEY_MARK:
	case NFT_KEY_CT_MARK:
		*type = DT_MARK, *len = 4;
		break;
	case NFT_KEY_CT_DIRECTION:
		*type = DT_INTEGER, *len = 1;
		break;
	case NFT_KEY_CT_STATUS:
		*type = DT_INTEGER, *len = 4;
		break;
	case NFT_KEY_NUMGEN:
		*type = DT_INTEGER, *len = 4;
		break;
	}
}

struct nftnl_set *nft_set_new(const struct nft_set_spec *sp)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 32);
	uint32_t type = 0, len = 0, flags = 0;

	if (!s || !ud)
		goto fail;
	key_type(sp->key, &type, &len);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, sp->family);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, sp->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, sp->name);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, len);
	if (sp->vmap) {
		flags |= NFT_SET_MAP;
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	} else if (sp->addr_map) {
		flags |= NFT_SET_MAP;
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, DT_IPADDR);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 4);
	}
	if (sp->anonymous)
		flags |= NFT_SET_ANONYMOUS | NFT_SET_CONSTANT;
	if (sp->timeout_ms) {
		flags |= NFT_SET_TIMEOUT | NFT_SET_EVAL;	/* nft's "dynamic,timeout" */
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, sp->timeout_ms);
	}
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	if (sp->size)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, sp->size);
	if (sp->id)
		nftnl_set_set_u32(s, NFTNL_SET_ID, sp->id);
	if (sp->key == NFT_KEY_NUMGEN &&
	    !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, BYTEORDER_HOST))
		goto fail;
	if (sp->comment && !nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_COMMENT, sp->comment))
		goto fail;
	if (nftnl_udata_buf_len(ud))
		nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return s;
fail:
	if (ud)
		nftnl_udata_buf_free(ud);
	if (s)
		nftnl_set_free(s);
	return NULL;
}

/* A key as nft lays it out: each component of a concatenation in its own
 * 32-bit register, network order except for numbers numgen produces. */
static uint32_t key_encode(enum nft_key k, uint32_t ip, uint8_t proto, uint16_t port,
			   uint8_t out[16])
{
	uint32_t a = htonl(ip);
	uint16_t p = htons(port);

	memset(out, 0, 16);
	switch (k) {
	case NFT_KEY_SADDR:
	case NFT_KEY_DADDR:
		memcpy(out, &a, 4);
		return 4;
	case NFT_KEY_L4PROTO:
	case NFT_KEY_NFPROTO:
	case NFT_KEY_ICMP_TYPE:
	case NFT_KEY_CT_DIRECTION:
		out[0] = proto;
		return 1;
	case NFT_KEY_DPORT:
	case NFT_KEY_SPORT:
	case NFT_KEY_ICMP_ID:
		memcpy(out, &p, 2);
		return 2;
	case NFT_KEY_DADDR_PROTO_DPORT:
		memcpy(out, &a, 4);
		out[4] = proto;
		memcpy(out + 8, &p, 2);
		return 12;
	case NFT_KEY_PROTO_DPORT:
		out[0] = proto;
		memcpy(out + 4, &p, 2);
		return 8;
	case NFT_KEY_MARK:
	case NFT_KEY_NUMGEN:
	case NFT_KEY_CT_MARK:
	case NFT_KEY_CT_STATUS:
		memcpy(out, &ip, 4);
		return 4;
	}
	return 0;
}

size_t nft_elem_key(enum nft_key k, uint32_t ip, uint8_t proto, uint16_t port, uint8_t *buf)
{
	return key_encode(k, ip, proto, port, buf);
}

/* Give el its comment (if any) and add it to s; el is freed on failure. */
static int elem_finish(struct nftnl_set *s, struct nftnl_set_elem *el, const char *comment)
{
	if (comment) {
		struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
		int ret = 0;

		if (!ud)
			ret = -ENOMEM;
		else if (strlen(comment) > NFT_COMMENT_MAX ||
			 !nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, comment))
			ret = -ENAMETOOLONG;
		if (ret) {
			if (ud)
				nftnl_udata_buf_free(ud);
			nftnl_set_elem_free(el);
			return ret;
		}
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	nftnl_set_elem_add(s, el);
	return 0;
}

int nft_set_elem_add(struct nftnl_set *s, enum nft_key k, uint32_t ip, uint8_t proto,
		     uint16_t port, int verdict, const char *chain, const char *comment)
{
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();
	uint8_t key[16];
	uint32_t len = key_encode(k, ip, proto, port, key);

	if (!el)
		return -ENOMEM;
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, len);
	if (nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_MAP) {
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_VERDICT, (uint32_t)verdict);
		if (chain)
			nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_CHAIN, chain);
	}
	return elem_finish(s, el, comment);
}

int nft_set_elem_add_addr(struct nftnl_set *s, uint32_t key, uint32_t data, const char *comment)
{
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();
	uint32_t k = htonl(key), d = htonl(data);

	if (!el)
		return -ENOMEM;
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, &k, 4);
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, &d, 4);
	return elem_finish(s, el, comment);
}
