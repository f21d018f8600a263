/* dns — build a DNS query, read its answer; see dns.h (RFC 1035 4.1). */
#include <errno.h>
#include <string.h>

#include "trace/dns.h"

#define HDR 12
#define TYPE_A 1
#define CLASS_IN 1

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int dns_query_build(uint16_t id, const char *name, uint8_t *buf, size_t len)
{
	size_t n = HDR, nlen = strlen(name);

	if (nlen && name[nlen - 1] == '.')
		nlen--;
	if (!nlen || nlen > 253)
		return -EINVAL;
	if (len < HDR + nlen + 2 + 4)
		return -ENOSPC;
	memset(buf, 0, HDR);
	put16(buf, id);
	buf[2] = 0x01;			/* RD: the server may recurse */
	put16(buf + 4, 1);		/* one question */
	for (size_t i = 0; i < nlen;) {
		size_t l = strcspn(name + i, ".");

		if (l == 0 || l > 63 || i + l > nlen)
			return -EINVAL;
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, name + i, l);
		n += l;
		i += l + 1;
	}
	buf[n++] = 0;
	put16(buf + n, TYPE_A);
	put16(buf + n + 2, CLASS_IN);
	return (int)(n + 4);
}

/* Skip a (possibly compressed) name at off; the offset after it or -1. */
static long skip_name(const uint8_t *buf, size_t len, size_t off)
{
	while (off < len) {
		uint8_t l = buf[off];

		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? (long)off + 2 : -1;
		if (l & 0xc0)
			return -1;
		off += 1u + l;
		if (l == 0)
			return (long)off;
	}
	return -1;
}

int dns_answer_parse(uint16_t id, const uint8_t *buf, size_t len, struct dns_answer *out)
{
	size_t qd, an;
	long off = HDR;

	memset(out, 0, sizeof(*out));
	if (len < HDR || get16(buf) != id || !(buf[2] & 0x80))
		return -EINVAL;
	out->rcode = buf[3] & 0x0f;
	qd = get16(buf + 4);
	an = get16(buf + 6);
	for (size_t i = 0; i < qd; i++) {
		off = skip_name(buf, len, (size_t)off);
		if (off < 0 || (size_t)off + 4 > len)
			return -EINVAL;
		off += 4;
	}
	for (size_t i = 0; i < an; i++) {
		uint16_t type, rdlen;

		off = skip_name(buf, len, (size_t)off);
		if (off < 0 || (size_t)off + 10 > len)
			return -EINVAL;
		type = get16(buf + off);
		rdlen = get16(buf + off + 8);
		off += 10;
		if ((size_t)off + rdlen > len)
			return -EINVAL;
		if (type == TYPE_A && rdlen == 4 && out->na < DNS_MAX_A)
			out->a[out->na++] = (uint32_t)buf[off] << 24 | (uint32_t)buf[off + 1] << 16 |
					    (uint32_t)buf[off + 2] << 8 | buf[off + 3];
		off += rdlen;
	}
	return 0;
}

const char *dns_rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMP", "REFUSED" };

	return rcode >= 0 && rcode < 6 ? names[rcode] : "RCODE?";
}
