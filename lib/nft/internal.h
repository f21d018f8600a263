/* Private to lib/nft/: what the batch gives the other files that queue
 * messages on it. */
#ifndef PODPATH_NFT_INTERNAL_H
#define PODPATH_NFT_INTERNAL_H

#include <stdbool.h>

#include <libmnl/libmnl.h>

#include "nft/nft.h"

struct nlmsghdr;

/* Start the batch's next message (type, family, flags), owned by tag; NULL
 * when out of memory (the batch remembers the failure). */
struct nlmsghdr *nft_batch_msg_start(struct nft_batch *b, uint16_t type, uint32_t family,
				     uint16_t flags, long tag);
/* Close the message just built. */
void nft_batch_msg_end(struct nft_batch *b);

/* Send the request in buf (its header's sequence is seq) on a socket of
 * its own and run cb over the answer to the end: 0, or -errno of the socket
 * or of the kernel's error. buf (len bytes) receives the answers too. */
int nft_query_run(char *buf, size_t len, uint32_t seq, mnl_cb_t cb, void *data);

/* ---- iptables-nft rules read back (compat.c) ---- */
struct nftnl_expr;
struct nftnl_rule;
/* e is `-m comment`: its text into buf. */
bool nft_xt_comment_of(const struct nftnl_expr *e, char *buf, size_t len);
/* The text of r's first `-m comment` into buf; false if it has none. */
bool nft_xt_rule_comment(struct nftnl_rule *r, char *buf, size_t len);
/* NFT_RULE_NAT for a DNAT/SNAT target, NFT_RULE_MASQ for MASQUERADE, else 0. */
unsigned nft_xt_rule_flags(const struct nftnl_expr *e);
/* e is `-j DNAT` (revision 2): its first address and port (0: none). */
bool nft_xt_dnat_of(const struct nftnl_expr *e, uint32_t *ip, uint16_t *port);
/* A dumped rule holding matches or targets gets back the NFTA_RULE_COMPAT
 * the kernel does not dump (its -p, read from its l4proto match), without
 * which x_tables refuses a tcp match when the rule is sent again. */
void nft_xt_rule_compat(struct nftnl_rule *r);
/* Every DNAT target's address `from` made `to` (network order both), and
 * the dotted form in `-m comment` texts: how many DNATs changed, or -ENOMEM. */
int nft_xt_readdress(struct nftnl_rule *r, uint32_t from, uint32_t to);
/* text into out (olen bytes) with every dotted address `from` (network
 * order) written as `to`, where it stands as a whole address (no digit
 * on either side): a rule comment that names an endpoint follows it. */
void nft_text_readdress(const char *text, char *out, size_t olen, uint32_t from, uint32_t to);

#endif
