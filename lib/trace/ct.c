/* ct — conntrack entries of a probe; see ct.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "netns/netns.h"
#include "trace/ct.h"

struct lookup {
	uint8_t proto;
	const struct ct_tuple *want;
	size_t nwant;
	struct ct_entry *out;
	size_t max, n;
};

static const char *const tcp_states[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
	"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};

static void tuple_get(const struct nf_conntrack *ct, bool reply, uint8_t proto, struct ct_tuple *t)
{
	t->src = ntohl(nfct_get_attr_u32(ct, reply ? ATTR_REPL_IPV4_SRC : ATTR_ORIG_IPV4_SRC));
	t->dst = ntohl(nfct_get_attr_u32(ct, reply ? ATTR_REPL_IPV4_DST : ATTR_ORIG_IPV4_DST));
	if (proto == IPPROTO_ICMP) {
		/* conntrack keeps one echo id for both directions. */
		t->sport = ntohs(nfct_get_attr_u16(ct, ATTR_ICMP_ID));
		t->dport = 0;
	} else {
		t->sport = ntohs(nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_SRC : ATTR_ORIG_PORT_SRC));
		t->dport = ntohs(nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_DST : ATTR_ORIG_PORT_DST));
	}
}

static int entry_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct lookup *lk = data;
	struct ct_entry e = { 0 };
	bool match = false;

	if (nfct_get_attr_u8(ct, ATTR_L3PROTO) != AF_INET ||
	    nfct_get_attr_u8(ct, ATTR_L4PROTO) != lk->proto || lk->n == lk->max)
		return NFCT_CB_CONTINUE;
	e.proto = lk->proto;
	tuple_get(ct, false, lk->proto, &e.orig);
	for (size_t i = 0; i < lk->nwant && !match; i++)
		match = !memcmp(&e.orig, &lk->want[i], sizeof(e.orig));
	if (!match)
		return NFCT_CB_CONTINUE;
	tuple_get(ct, true, lk->proto, &e.reply);
	if (nfct_attr_is_set(ct, ATTR_STATUS) > 0) {
		uint32_t st = nfct_get_attr_u32(ct, ATTR_STATUS);

		e.snat = st & IPS_SRC_NAT;
		e.dnat = st & IPS_DST_NAT;
	}
	if (lk->proto == IPPROTO_TCP && nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0) {
		uint8_t s = nfct_get_attr_u8(ct, ATTR_TCP_STATE);

		snprintf(e.state, sizeof(e.state), "%s",
			 s < sizeof(tcp_states) / sizeof(tcp_states[0]) ? tcp_states[s] : "?");
	}
	if (nfct_attr_is_set(ct, ATTR_MARK) > 0)
		e.mark = nfct_get_attr_u32(ct, ATTR_MARK);
	lk->out[lk->n++] = e;
	return NFCT_CB_CONTINUE;
}

/* A GET by original tuple is a hash lookup; a dump would walk the whole
 * (host-wide) conntrack table, milliseconds per namespace. */
static int get_one(struct nfct_handle *h, uint8_t proto, const struct ct_tuple *t)
{
	struct nf_conntrack *ct = nfct_new();
	int ret = 0;

	if (!ct)
		return -ENOMEM;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, htonl(t->src));
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, htonl(t->dst));
	if (proto == IPPROTO_ICMP) {
		nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, 8);	/* echo request */
		nfct_set_attr_u8(ct, ATTR_ICMP_CODE, 0);
		nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(t->sport));
	} else {
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(t->sport));
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(t->dport));
	}
	/* ENOENT: no such flow here (or no conntrack in this namespace). */
	if (nfct_query(h, NFCT_Q_GET, ct) < 0 && errno != ENOENT)
		ret = -errno;
	nfct_destroy(ct);
	return ret;
}

static int ct_open_here(void *arg)
{
	/* The socket belongs to the namespace it is opened in. */
	*(struct nfct_handle **)arg = nfct_open(CONNTRACK, 0);
	return *(struct nfct_handle **)arg ? 0 : -errno;
}

int ct_lookup(const char *netns, uint8_t proto, const struct ct_tuple *want, size_t nwant,
	      struct ct_entry *out, size_t max)
{
	struct lookup lk = { .proto = proto, .want = want, .nwant = nwant, .out = out, .max = max };
	struct nfct_handle *h = NULL;
	int ret;

	ret = netns_run(netns, ct_open_here, &h);
	if (ret < 0) {
		if (h)
			nfct_close(h);
		return ret;
	}
	nfct_callback_register(h, NFCT_T_ALL, entry_cb, &lk);
	for (size_t i = 0; i < nwant && ret == 0; i++)
		ret = get_one(h, proto, &want[i]);
	nfct_close(h);
	return ret < 0 ? ret : (int)lk.n;
}
