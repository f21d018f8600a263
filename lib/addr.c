/* addr — IPv4 addresses and CIDR prefixes; see addr.h. */
#include <errno.h>
#include <stdio.h>

#include "addr.h"

/* Parse one decimal field of at most max, at s; store its end in *end.
 * Leading zeros are refused because inet_aton() would read "010" as octal
 * and a user who wrote it meant something we cannot guess. */
static int parse_dec(const char *s, unsigned max, unsigned *out, const char **end)
{
	unsigned v = 0;
	const char *p = s;
	int ret = -EINVAL;

	if (*p < '0' || *p > '9')
		goto out;
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		goto out;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > max)
			goto out;
		p++;
	}
	*out = v;
	*end = p;
	ret = 0;
out:
	return ret;
}

/* Parse "a.b.c.d" at s, stopping at the first character after it. */
static int parse_quad(const char *s, uint32_t *out, const char **end)
{
	uint32_t a = 0;
	unsigned v;
	int i, ret = -EINVAL;

	for (i = 0; i < 4; i++) {
		if (i > 0) {
			if (*s != '.')
				goto out;
			s++;
		}
		if (parse_dec(s, 255, &v, &s))
			goto out;
		a = a << 8 | v;
	}
	*out = a;
	*end = s;
	ret = 0;
out:
	return ret;
}

int addr_parse(const char *s, uint32_t *out)
{
	const char *end;
	uint32_t a;
	int ret = -EINVAL;

	if (!s || parse_quad(s, &a, &end) || *end)
		goto out;
	*out = a;
	ret = 0;
out:
	if (ret)
		errno = -ret;
	return ret;
}

char *addr_fmt(uint32_t a, char *buf)
{
	snprintf(buf, ADDR_STRLEN, "%u.%u.%u.%u", (a >> 24) & 0xffu,
		 (a >> 16) & 0xffu, (a >> 8) & 0xffu, a & 0xffu);
	return buf;
}

int cidr_parse(const char *s, struct cidr *out)
{
	const char *p;
	uint32_t a;
	unsigned len;
	int ret = -EINVAL;

	if (!s || parse_quad(s, &a, &p) || *p != '/')
		goto out;
	if (parse_dec(p + 1, 32, &len, &p) || *p)
		goto out;
	/* The prefix is stored even when host bits are set so that the
	 * caller can suggest the network the user probably meant. */
	out->addr = a & cidr_mask((uint8_t)len);
	out->len = (uint8_t)len;
	ret = out->addr == a ? 0 : -EADDRNOTAVAIL;
out:
	if (ret)
		errno = -ret;
	return ret;
}

char *cidr_fmt(const struct cidr *c, char *buf)
{
	char a[ADDR_STRLEN];

	snprintf(buf, CIDR_STRLEN, "%s/%u", addr_fmt(c->addr, a),
		 c->len > 32 ? 32u : (unsigned)c->len);
	return buf;
}

uint32_t cidr_mask(uint8_t len)
{
	/* A shift by 32 is undefined in C, so /0 is its own case. */
	if (len == 0)
		return 0;
	if (len >= 32)
		return 0xffffffffu;
	return 0xffffffffu << (32 - len);
}

uint64_t cidr_size(const struct cidr *c)
{
	return (uint64_t)1 << (32 - (c->len > 32 ? 32 : c->len));
}

bool cidr_contains(const struct cidr *c, uint32_t a)
{
	uint32_t m = cidr_mask(c->len);

	return (a & m) == (c->addr & m);
}

bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	/* Two aligned prefixes overlap exactly when the shorter contains the
	 * other's network address. */
	uint32_t m = cidr_mask(a->len < b->len ? a->len : b->len);

	return ((a->addr ^ b->addr) & m) == 0;
}

bool cidr_within(const struct cidr *inner, const struct cidr *outer)
{
	return inner->len >= outer->len && cidr_contains(outer, inner->addr);
}

uint32_t cidr_last(const struct cidr *c)
{
	return c->addr | ~cidr_mask(c->len);
}
