/* observe/iptrule — one iptables-legacy rule (the kernel's struct
 * ipt_entry) as iptables-save prints it:
 *   -A FORWARD -s 10.244.1.0/24 -i eth0 -p tcp -m tcp --dport 80 -j DROP
 * Addresses, masks, interfaces, protocol, fragments, goto, and these
 * matches and targets in full: tcp, udp, icmp, comment, mark, state,
 * conntrack (--ctstate), statistic, addrtype, multiport; DNAT, SNAT,
 * MASQUERADE, MARK (--set-xmark), REJECT. Any other match or target is
 * named (`-m NAME`, `-j NAME`) without its options, never left out. Pure. */
#ifndef PODPATH_OBS_IPTRULE_H
#define PODPATH_OBS_IPTRULE_H

#include <stddef.h>

struct ipt_entry;

/* Write rule e of chain into buf (len bytes, cut if short); target is the
 * verdict's name as libiptc's iptc_get_target gives it ("" falls through,
 * "DROP", a chain's name, an extension such as "DNAT"). Returns the length
 * the whole text needs, as snprintf does. */
size_t obs_iptrule_render(const char *chain, const struct ipt_entry *e, const char *target,
			  char *buf, size_t len);

#endif
