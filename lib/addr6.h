/* addr6 — IPv6 prefixes, as far as a NetworkPolicy ipBlock needs them:
 * parse, format, containment. The lab itself is IPv4-only (addr.h); these
 * exist so that dual-stack policies from `kubectl get -o json` can be read,
 * validated as the API server does and written back unchanged. */
#ifndef PODPATH_ADDR6_H
#define PODPATH_ADDR6_H

#include <stdbool.h>
#include <stdint.h>

#define CIDR6_STRLEN 51 /* INET6_ADDRSTRLEN (46, with NUL) + "/128" + spare */

struct cidr6 {
	uint8_t addr[16]; /* network address, network order */
	uint8_t len;      /* prefix length 0..128 */
};

/* Parse "x:y::z/len"; -EINVAL if malformed, -EADDRNOTAVAIL if host bits are
 * set (out then holds the network, for a "did you mean" hint). */
int cidr6_parse(const char *s, struct cidr6 *out);
/* Format canonically (RFC 5952, as inet_ntop) into buf (CIDR6_STRLEN); returns buf. */
char *cidr6_fmt(const struct cidr6 *c, char *buf);
/* True if inner lies wholly inside outer. */
bool cidr6_within(const struct cidr6 *inner, const struct cidr6 *outer);
/* True if the two prefixes are the same. */
bool cidr6_eq(const struct cidr6 *a, const struct cidr6 *b);

#endif
