/* addr6 — IPv6 prefixes for ipBlock; see addr6.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr6.h"

/* The prefix length after the '/': decimal 0..128, no sign, no leading
 * zero (as addr.c refuses them: "/064" is a typo, not a length). */
static int parse_len(const char *s, unsigned *out)
{
	unsigned v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1]))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 128)
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Keep the first len bits of a, clear the rest; true if any were set. */
static bool mask_bits(uint8_t a[16], unsigned len)
{
	bool host = false;

	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
		uint8_t m = keep ? (uint8_t)(0xff << (8 - keep)) : 0;

		host |= (a[i] & (uint8_t)~m) != 0;
		a[i] &= m;
	}
	return host;
}

int cidr6_parse(const char *s, struct cidr6 *out)
{
	char text[INET6_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t n = slash ? (size_t)(slash - s) : 0;
	uint8_t a[16];
	unsigned len;
	int ret = -EINVAL;

	if (!slash || !n || n >= sizeof(text))
		goto out;
	memcpy(text, s, n);
	text[n] = '\0';
	/* inet_pton(AF_INET6) takes exactly an address: no zone ("%eth0"),
	 * no spaces, no IPv4 dotted quad alone. */
	if (!strchr(text, ':') || inet_pton(AF_INET6, text, a) != 1 || parse_len(slash + 1, &len))
		goto out;
	ret = mask_bits(a, len) ? -EADDRNOTAVAIL : 0;
	memcpy(out->addr, a, sizeof(a));
	out->len = (uint8_t)len;
out:
	if (ret)
		errno = -ret;
	return ret;
}

char *cidr6_fmt(const struct cidr6 *c, char *buf)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(AF_INET6, c->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, CIDR6_STRLEN, "%s/%u", a, c->len > 128 ? 128u : (unsigned)c->len);
	return buf;
}

bool cidr6_within(const struct cidr6 *inner, const struct cidr6 *outer)
{
	uint8_t a[16];

	if (inner->len < outer->len)
		return false;
	memcpy(a, inner->addr, sizeof(a));
	mask_bits(a, outer->len);
	return !memcmp(a, outer->addr, sizeof(a));
}

bool cidr6_eq(const struct cidr6 *a, const struct cidr6 *b)
{
	return a->len == b->len && !memcmp(a->addr, b->addr, sizeof(a->addr));
}
