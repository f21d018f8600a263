/* addr — IPv4 addresses and CIDR prefixes: parse, format, arithmetic.
 * Addresses are uint32_t in host byte order throughout podpath; conversion
 * to network order happens only at the netlink/socket boundary. */
#ifndef PODPATH_ADDR_H
#define PODPATH_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_STRLEN 16 /* "255.255.255.255" + NUL */
#define CIDR_STRLEN 19 /* "255.255.255.255/32" + NUL */

struct cidr {
	uint32_t addr; /* network address, host order */
	uint8_t len;   /* prefix length 0..32 */
};

/* Parse dotted-quad "a.b.c.d" (no leading zeros, no extra text); 0 or -EINVAL. */
int addr_parse(const char *s, uint32_t *out);
/* Format into buf (ADDR_STRLEN bytes); returns buf. */
char *addr_fmt(uint32_t a, char *buf);
/* Parse "a.b.c.d/len"; -EINVAL if malformed, -EADDRNOTAVAIL if host bits are set. */
int cidr_parse(const char *s, struct cidr *out);
/* Format into buf (CIDR_STRLEN bytes); returns buf. */
char *cidr_fmt(const struct cidr *c, char *buf);
/* Netmask of a prefix length, host order. */
uint32_t cidr_mask(uint8_t len);
/* Number of addresses in the prefix (2^(32-len)), as 64-bit. */
uint64_t cidr_size(const struct cidr *c);
/* True if a lies inside c. */
bool cidr_contains(const struct cidr *c, uint32_t a);
/* True if the two prefixes share any address. */
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);
/* True if inner lies wholly inside outer. */
bool cidr_within(const struct cidr *inner, const struct cidr *outer);
/* Broadcast (last) address of the prefix. */
uint32_t cidr_last(const struct cidr *c);

#endif
