/* ruleset — a namespace's nf_tables objects as records that compare: read
 * from the kernel (every table of every family), or made from batches the
 * way they would be sent; and the differences between the two.
 *
 * A rule is compared by a digest of its expressions and comment, with what
 * the kernel adds or counts left out (counter values, set ids); a lookup in
 * an anonymous set (a numgen vmap's endpoints) is compared by that set's
 * elements, whose random names never match. Named sets are compared
 * element by element, except dynamic ones (timeouts: filled by packets). */
#ifndef PODPATH_NFT_RULESET_H
#define PODPATH_NFT_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nft_batch;
struct mnl_socket;

struct nft_rs_table {
	uint32_t family;
	char *name;
	uint32_t flags;		/* NFT_TABLE_F_DORMANT matters */
};

struct nft_rs_rule {
	uint64_t digest;
	uint64_t handle;	/* read from the kernel; 0 from a batch */
	char *comment;		/* may be NULL */
	char *what;		/* what it does, short: "jump services", "dnat", "drop" */
};

struct nft_rs_chain {
	uint32_t family;
	char *table, *name;
	bool base;
	uint32_t hook;
	int32_t prio;
	char *type;		/* "nat", "filter", "route"; NULL for a regular chain */
	uint32_t policy;	/* base chains: NF_ACCEPT unless set */
	struct nft_rs_rule *rules;
	size_t nrules, cap;
};

struct nft_rs_elem {
	uint8_t key[64];	/* key, then key_end for intervals */
	uint8_t klen;
	uint64_t value;		/* digest of data, verdict, flags, comment */
	char *data;		/* what it maps to, short ("goto chain X", "172.18.0.2"); may be NULL */
};

struct nft_rs_set {
	uint32_t family;
	char *table, *name;
	uint32_t flags, key_type, key_len, data_type, data_len;
	struct nft_rs_elem *elems;
	size_t nelems, cap;
	uint64_t content;	/* digest of the sorted elements */
};

struct nft_ruleset {
	struct nft_rs_table *tables;
	size_t ntables, tcap;
	struct nft_rs_chain *chains;
	size_t nchains, ccap;
	struct nft_rs_set *sets;
	size_t nsets, scap;
	size_t nrules, nelems;	/* totals, for counts */
};

/* Read every table, chain, set, element and rule of the namespace nl lives
 * in (nl from nft_socket_open; NULL opens one here). rs starts zeroed. 0 or
 * -errno; on failure rs holds what was read (free it). */
int nft_ruleset_read(struct nft_ruleset *rs, struct mnl_socket *nl);
/* Add what batch b would create (NEWTABLE/CHAIN/SET/SETELEM/RULE), as the
 * kernel would hold it. Batches may be added one after another, as they
 * would be committed. 0 or -errno. */
int nft_ruleset_add_batch(struct nft_ruleset *rs, struct nft_batch *b);
void nft_ruleset_free(struct nft_ruleset *rs);

enum nft_diff_what { NFT_DIFF_TABLE, NFT_DIFF_CHAIN, NFT_DIFF_RULE, NFT_DIFF_SET, NFT_DIFF_ELEM };
enum nft_diff_how {
	NFT_DIFF_MISSING,	/* wanted, not there */
	NFT_DIFF_EXTRA,		/* there, not wanted */
	NFT_DIFF_CHANGED,	/* both, different (expected vs actual) */
	NFT_DIFF_ORDER,		/* rules: the same ones, in another order */
};

/* One difference; pointers are valid during the callback only. */
struct nft_diff {
	enum nft_diff_what what;
	enum nft_diff_how how;
	uint32_t family;
	const char *table;
	const char *name;	/* chain or set; NULL for a table */
	bool map;		/* a set that is a map (`nft list map`) */
	const char *item;	/* RULE: its comment or what it does; ELEM: the key */
	uint64_t handle;	/* RULE extra: the kernel's handle */
	size_t index;		/* RULE: position in its chain (from 1) */
	const char *expected, *actual;	/* CHANGED/ORDER: the two values */
};

/* Call fn for each difference of have from want, tables first, then chains,
 * sets, elements and rules, each in name order; stops when fn returns
 * non-zero (returned). Counts what was compared into *compared (tables,
 * chains, rules, sets, elements of want), if not NULL. */
struct nft_rs_counts {
	size_t tables, chains, rules, sets, elems;
};
int nft_ruleset_diff(const struct nft_ruleset *want, const struct nft_ruleset *have,
		     int (*fn)(const struct nft_diff *d, void *arg), void *arg,
		     struct nft_rs_counts *compared);
/* "ip", "inet", "ip6", "arp", "bridge", "netdev" (as nft spells it). */
const char *nft_family_name(uint32_t family);

#endif
