/* conntrack — a namespace's connection tracking table as a whole: filled
 * with entries of one mark, and those entries flushed again. Acts in the
 * calling thread's network namespace, through libnetfilter_conntrack. */
#ifndef PODPATH_CT_CONNTRACK_H
#define PODPATH_CT_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

/* Add assured UDP entries with mark `mark` and a timeout of timeout_s
 * seconds (flows between RFC 2544 benchmarking addresses, which no lab
 * uses) until the kernel refuses one because the table is full, or max
 * were added. *added: how many. 1 (the table is full), 0 (max were
 * added) or -errno. */
int ct_fill(uint32_t mark, uint32_t timeout_s, size_t max, size_t *added);
/* Delete every entry the kernel's garbage collector would evict anyway
 * once the table is 95% full (gc_worker_can_early_drop): entries not yet
 * assured, and TCP entries of a closing connection (FIN_WAIT, CLOSE_WAIT,
 * LAST_ACK, TIME_WAIT, CLOSE). *evicted: how many. 0 or -errno. */
int ct_evict_early_droppable(size_t *evicted);
/* Delete every entry with mark `mark`. 0 or -errno. */
int ct_flush_mark(uint32_t mark);

#endif
