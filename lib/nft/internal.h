/* Private to lib/nft/: what the batch gives the other files that queue
 * messages on it. */
#ifndef PODPATH_NFT_INTERNAL_H
#define PODPATH_NFT_INTERNAL_H

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

#endif
