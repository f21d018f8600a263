/* nft — nf_tables through libnftnl: rules and sets built from small typed
 * pieces, and changes sent as one netlink batch whose kernel error maps back
 * to the object that caused it and to the caller's owner tag (a Service).
 *
 * Everything here acts in the network namespace the calling thread is in
 * when nft_batch_commit() runs. Addresses and ports are host byte order. */
#ifndef PODPATH_NFT_H
#define PODPATH_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct nftnl_rule;
struct nftnl_set;
struct nft_batch;

struct nft_err {
	int code;		/* -errno; 0 if every message was accepted */
	long tag;		/* the failing message's owner tag; -1 if none */
	char what[320];		/* "add chain service-...", "" if unknown */
	char ext[160];		/* kernel extended-ack text, may be empty */
};

/* What a rule matches on or a set is keyed by, loaded into registers. */
enum nft_key {
	NFT_KEY_SADDR,		/* ip saddr */
	NFT_KEY_DADDR,		/* ip daddr */
	NFT_KEY_L4PROTO,	/* meta l4proto */
	NFT_KEY_DPORT,		/* th dport */
	NFT_KEY_DADDR_PROTO_DPORT,	/* ip daddr . meta l4proto . th dport */
	NFT_KEY_PROTO_DPORT,	/* meta l4proto . th dport */
	NFT_KEY_MARK,		/* meta mark */
	NFT_KEY_NUMGEN,		/* integer: numgen's result (set keys only) */
	NFT_KEY_NFPROTO,	/* meta nfproto (inet tables see IPv4 and IPv6) */
	NFT_KEY_SPORT,		/* th sport */
	NFT_KEY_ICMP_TYPE,	/* icmp type */
	NFT_KEY_ICMP_ID,	/* icmp id (echo request and reply only) */
	NFT_KEY_CT_MARK,	/* ct mark (host order, like meta mark) */
	NFT_KEY_CT_DIRECTION,	/* ct direction: IP_CT_DIR_ORIGINAL 0, IP_CT_DIR_REPLY 1 */
	NFT_KEY_CT_STATUS,	/* ct status bits (IPS_*, host order) */
};

/* ---- batches ------------------------------------------------------------ */

struct nft_batch *nft_batch_new(void);
/* The same with pages of `page` bytes (nft_batch_new: 1 MiB): a batch that
 * is only read back (nft_batch_for_each), or small, need not fault in a
 * megabyte. A message never straddles pages either way, and a page is
 * never smaller than the longest message (an element list, 64 KiB). */
struct nft_batch *nft_batch_new_sized(size_t page);
void nft_batch_free(struct nft_batch *b);
/* Messages queued so far (BEGIN/END not counted). */
size_t nft_batch_count(const struct nft_batch *b);
/* Queue a table (NFT_MSG_NEWTABLE or NFT_MSG_DELTABLE), family NFPROTO_*,
 * with NFT_TABLE_F_* flags (NFT_TABLE_F_OWNER: it lives as long as the
 * socket that commits it; see nft_batch_commit_on). comment may be NULL. */
int nft_batch_table(struct nft_batch *b, uint16_t type, uint32_t family, const char *name,
		    const char *comment, uint32_t flags, long tag);
/* A chain: a regular one when hook < 0; otherwise a base chain of kind
 * ("nat"/"filter") on hook NF_INET_* at priority prio. comment may be NULL. */
struct nft_chain_spec {
	uint32_t family;
	const char *table, *name, *comment;
	const char *kind;
	int hook, prio;
};

/* Queue a chain: type NFT_MSG_NEWCHAIN or NFT_MSG_DELCHAIN. */
int nft_batch_chain(struct nft_batch *b, uint16_t type, const struct nft_chain_spec *cs,
		    long tag);
/* Queue the removal of every rule of a chain (NFT_MSG_DELRULE without handle). */
int nft_batch_chain_flush(struct nft_batch *b, uint32_t family, const char *table,
			  const char *chain, long tag);
/* Queue rule r (appended to its chain); r stays the caller's. */
int nft_batch_rule(struct nft_batch *b, const struct nftnl_rule *r, long tag);
/* Queue set s (NFT_MSG_NEWSET/DELSET); a new set without an id gets one. */
int nft_batch_set(struct nft_batch *b, uint16_t type, struct nftnl_set *s, long tag);
/* Queue s's elements (NFT_MSG_NEWSETELEM/DELSETELEM), split into messages
 * that fit. s keeps them. */
int nft_batch_elems(struct nft_batch *b, uint16_t type, struct nftnl_set *s, long tag);
/* Send the batch and collect the kernel's answers. The kernel applies all of
 * it or none of it. New tables, chains and sets must not exist yet (EEXIST).
 * 0, or -errno with e filled from the first failure. */
int nft_batch_commit(struct nft_batch *b, struct nft_err *e);
/* The same on nl, a NETLINK_NETFILTER socket the caller keeps (it owns
 * the tables it commits with NFT_TABLE_F_OWNER). */
struct mnl_socket;
int nft_batch_commit_on(struct nft_batch *b, struct mnl_socket *nl, struct nft_err *e);
/* The kernel's extended-ack text of an NLMSG_ERROR answer into buf (left
 * alone if there is none), with or without NETLINK_CAP_ACK. */
struct nlmsghdr;
void nft_ack_ext(const struct nlmsghdr *nlh, char *buf, size_t len);
/* A name for an anonymous set that no other set of the table has. nft's
 * "__map%d" would make the kernel scan every set of the table for a free
 * number, per set. */
void nft_batch_anon_name(struct nft_batch *b, char *buf, size_t len);
/* Call fn for each message queued so far (not BEGIN/END), in order, until
 * it returns non-zero (returned). Reads the batch: ruleset.c makes the
 * expected ruleset from what setup would send. */
int nft_batch_for_each(struct nft_batch *b, int (*fn)(const struct nlmsghdr *nlh, void *arg),
		       void *arg);
/* A fresh id for a set created in a batch (anonymous sets are referred to
 * by id until the kernel names them). */
uint32_t nft_batch_set_id(struct nft_batch *b);

/* ---- rules ---------------------------------------------------------------- */

/* A rule being built. Piece functions record the first failure (out of
 * memory) in err, so a rule is built without checks and checked once. */
struct nft_rb {
	struct nftnl_rule *r;
	int err;
	uint32_t family;
};

enum nft_op { NFT_EQ, NFT_NE, NFT_LT, NFT_GTE, NFT_LTE };

int nft_rb_start(struct nft_rb *rb, uint32_t family, const char *table, const char *chain);
void nft_rb_free(struct nft_rb *rb);
/* The longest rule or element comment the kernel takes: its user data is at
 * most NFT_USERDATA_MAXLEN (256) bytes, a type-length header, the text and
 * its NUL. (nft's own parser stops at 128; kube-proxy keeps to that.) */
#define NFT_COMMENT_MAX 253

/* comment "..." (as nft stores it, so `nft list` shows it); a comment
 * longer than NFT_COMMENT_MAX fails the rule with -ENAMETOOLONG. */
void nft_rb_comment(struct nft_rb *rb, const char *comment);
/* KEY OP value: addresses (4 bytes), l4proto (1), port (2), mark (4). */
void nft_rb_match(struct nft_rb *rb, enum nft_key k, enum nft_op op, uint32_t value);
/* KEY FROM-TO (a port range: `th dport 80-81`), as nft emits it: one load,
 * then >= FROM and <= TO. Values as in nft_rb_match. */
void nft_rb_match_range(struct nft_rb *rb, enum nft_key k, uint32_t from, uint32_t to);
/* ip saddr/daddr [!=] PREFIX. */
void nft_rb_match_net(struct nft_rb *rb, enum nft_key k, enum nft_op op, struct cidr net);
/* KEY & mask OP value (mask and value laid out as in nft_rb_match). */
void nft_rb_match_bits(struct nft_rb *rb, enum nft_key k, uint32_t mask, enum nft_op op,
		       uint32_t value);
/* conntrack states as `ct state` bits. */
enum { NFT_CTS_INVALID = 1, NFT_CTS_ESTABLISHED = 2, NFT_CTS_RELATED = 4, NFT_CTS_NEW = 8 };
/* ct state { any of bits }. */
void nft_rb_ct_state(struct nft_rb *rb, uint32_t bits);
/* iifname NAME (oifname NAME when out). */
void nft_rb_match_ifname(struct nft_rb *rb, bool out, const char *name);
/* fib saddr type local (daddr: fib daddr type local). */
void nft_rb_fib_local(struct nft_rb *rb, bool daddr);
/* fib saddr type != local (daddr: fib daddr type != local). */
void nft_rb_fib_not_local(struct nft_rb *rb, bool daddr);
/* KEY @set (set named, or in this batch by id), or KEY vmap @map when map. */
void nft_rb_lookup(struct nft_rb *rb, enum nft_key k, const char *set, uint32_t id, bool map);
/* numgen random mod MOD vmap @map (an anonymous map made in this batch). */
void nft_rb_numgen_vmap(struct nft_rb *rb, uint32_t mod, const char *map, uint32_t id);
/* update @set { ip saddr } (a dynamic set with timeout). */
void nft_rb_set_update_saddr(struct nft_rb *rb, const char *set, uint32_t id);
/* meta mark set meta mark & and_mask ^ xor_mask. */
void nft_rb_mark_set(struct nft_rb *rb, uint32_t and_mask, uint32_t xor_mask);
/* ct mark set VALUE. */
void nft_rb_ct_mark_set(struct nft_rb *rb, uint32_t value);
/* Verdicts: NF_ACCEPT, NF_DROP, NFT_RETURN, NFT_JUMP/NFT_GOTO chain. */
void nft_rb_verdict(struct nft_rb *rb, int verdict, const char *chain);
/* meta nftrace set 1: trace events for this packet from here on. */
void nft_rb_nftrace(struct nft_rb *rb);
/* counter. */
void nft_rb_counter(struct nft_rb *rb);
/* masquerade [fully-random]. */
void nft_rb_masquerade(struct nft_rb *rb, bool fully_random);
/* dnat to ip:port. */
void nft_rb_dnat(struct nft_rb *rb, uint32_t ip, uint16_t port);
/* snat to ip saddr map @map / dnat to ip daddr map @map (snat: true for
 * source NAT keyed by saddr; map: a named address-to-address map). */
void nft_rb_nat_map(struct nft_rb *rb, bool snat, const char *map);
/* reject (ICMP port unreachable, as nft's plain `reject` in family ip). */
void nft_rb_reject(struct nft_rb *rb);

/* ---- sets ----------------------------------------------------------------- */

struct nft_set_spec {
	uint32_t family;
	const char *table, *name;	/* an anonymous map: name "__map%d" */
	enum nft_key key;
	bool vmap;			/* map to verdicts */
	bool addr_map;			/* map to IPv4 addresses (NAT maps) */
	bool anonymous;			/* constant, bound to one rule */
	uint64_t timeout_ms;		/* dynamic set with timeout; 0 = none */
	uint32_t size;			/* 0 = kernel default */
	const char *comment;
	uint32_t id;			/* from nft_batch_set_id() */
};

/* A set object for nft_batch_set / nft_batch_elems; NULL if out of memory. */
struct nftnl_set *nft_set_new(const struct nft_set_spec *sp);
/* Add an element: key values per the set's key kind (ip; proto for the
 * one-byte kinds; port for the two-byte ones; a mark or numgen integer goes
 * in ip), and for a vmap the verdict (NFT_GOTO/NFT_JUMP chain, NF_DROP...).
 * comment may be NULL, or at most NFT_COMMENT_MAX long. 0, -ENOMEM or
 * -ENAMETOOLONG. */
int nft_set_elem_add(struct nftnl_set *s, enum nft_key k, uint32_t ip, uint8_t proto,
		     uint16_t port, int verdict, const char *chain, const char *comment);

/* ---- reading back --------------------------------------------------------- */

/* How many rules chain holds in table (family NFPROTO_*), as the kernel of
 * the calling thread's namespace has it. 0, or -ENOENT (no such chain) or
 * another -errno. */
int nft_chain_rule_count(uint32_t family, const char *table, const char *chain, size_t *n);
/* Does table `name` of family exist in the calling thread's namespace? 1, 0,
 * or -errno (-EPERM without CAP_NET_ADMIN over it). */
int nft_table_exists(uint32_t family, const char *name);

/* A NETLINK_NETFILTER socket of the calling thread's namespace, bound, for
 * nft_dump; NULL with errno set. Close it with mnl_socket_close. */
struct mnl_socket *nft_socket_open(void);
/* Send the request in buf (len bytes of room; its header's sequence is seq)
 * on nl and run cb over the answer to its end, reusing buf to receive. 0,
 * or -errno of the socket or the kernel (ENOENT: no such object), also
 * when a receive failed before the end (messages lost). */
int nft_dump(struct mnl_socket *nl, char *buf, size_t len, uint32_t seq,
	     int (*cb)(const struct nlmsghdr *nlh, void *arg), void *arg);

/* Add an element to an address map: key ip -> data ip. 0, -ENOMEM or
 * -ENAMETOOLONG (comment as for nft_set_elem_add). */
int nft_set_elem_add_addr(struct nftnl_set *s, uint32_t key, uint32_t data, const char *comment);

/* ---- saved objects: read back, given back exactly (podpath break) --------- */

/* A rule as the kernel dumped it, and the message itself to give it back. */
enum { NFT_RULE_NAT = 1 << 0, NFT_RULE_MASQ = 1 << 1 };
struct nft_rule_msg {
	uint64_t handle;
	uint64_t position;		/* handle of the rule before it; 0: the chain's first */
	char comment[NFT_COMMENT_MAX + 1];	/* "" if none */
	char target[256];		/* the chain it jumps or goes to, "" if none */
	unsigned flags;			/* NFT_RULE_*: expressions it holds */
	const void *msg;		/* the NFT_MSG_NEWRULE message, header included */
	size_t len;
};
/* Call fn for every rule of chain, in order, in the calling thread's
 * namespace (the message lives during the call only). Stops at fn's first
 * non-zero result, which it returns; else 0 or -errno (-ENOENT: no chain). */
int nft_chain_rules(uint32_t family, const char *table, const char *chain,
		    int (*fn)(void *arg, const struct nft_rule_msg *r), void *arg);
/* Queue the deletion of rule `handle` of chain. */
int nft_batch_rule_del(struct nft_batch *b, uint32_t family, const char *table,
		       const char *chain, uint64_t handle, long tag);
/* Queue a rule given as a message of nft_chain_rules: in place of rule
 * `replace` when it is not 0 (the rule keeps that handle), else inserted
 * after rule `after`, else (both 0) at the head of its chain. */
int nft_batch_rule_msg(struct nft_batch *b, const void *msg, size_t len, uint64_t after,
		       uint64_t replace, long tag);
/* Queue the dumped rule msg again in place of rule `handle`, with every
 * immediate address `from` (a DNAT's) and its dotted form in the comment
 * made `to`. -ENOENT if the rule holds no such address. */
int nft_batch_rule_readdress(struct nft_batch *b, const void *msg, size_t len, uint64_t handle,
			     uint32_t from, uint32_t to, long tag);

/* A set element as the kernel dumped it: its key, and a NEWSETELEM message
 * that adds exactly it (data, verdict, comment) again. */
struct nft_elem_msg {
	const void *key;
	size_t key_len;
	char comment[NFT_COMMENT_MAX + 1];
	const void *msg;
	size_t len;
};
/* Call fn for every element of set (or map) `set`, as nft_chain_rules does. */
int nft_set_elems(uint32_t family, const char *table, const char *set,
		  int (*fn)(void *arg, const struct nft_elem_msg *e), void *arg);
/* Queue a message of nft_set_elems as an addition (NFT_MSG_NEWSETELEM) or,
 * by its key, a removal (NFT_MSG_DELSETELEM). */
int nft_batch_elem_msg(struct nft_batch *b, uint16_t type, const void *msg, size_t len, long tag);
/* The key bytes nft_set_elem_add gives a key of kind k (into buf, 16 bytes
 * at least); returns their length. */
size_t nft_elem_key(enum nft_key k, uint32_t ip, uint8_t proto, uint16_t port, uint8_t *buf);

#endif
