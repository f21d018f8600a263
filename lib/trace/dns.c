/* dns — build a DNS query, read its answer (RFC 1035 4.1); and the stub
 * resolver's search order (resolv.conf(5), glibc's res_search); see dns.h. */
#include <errno.h>
#include <stdio.h>
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
	out->an = an;
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

/* A resolv.conf keyword at the start of line l, followed by a blank: the
 * rest after the blanks, or NULL. */
static const char *keyword(const char *l, const char *kw)
{
	size_t n = strlen(kw);

	if (strncmp(l, kw, n) || (l[n] != ' ' && l[n] != '\t'))
		return NULL;
	return l + n + strspn(l + n, " \t");
}

/* The search list from the words of a "search" (or "domain": one) line. */
static void search_set(struct dns_resolv *r, const char *p, size_t most)
{
	r->nsearch = 0;
	while (*p && r->nsearch < most) {
		size_t n = strcspn(p, " \t");

		if (n && n <= DNS_NAME_MAX) {
			memcpy(r->search[r->nsearch], p, n);
			r->search[r->nsearch][n] = '\0';
			r->nsearch++;
		}
		p += n;
		p += strspn(p, " \t");
	}
}

static void options_set(struct dns_resolv *r, const char *p)
{
	while (*p) {
		size_t n = strcspn(p, " \t");

		if (n > 6 && !strncmp(p, "ndots:", 6)) {
			unsigned v = 0;

			/* Cut to the most glibc takes, digit by digit (no overflow). */
			for (size_t i = 6; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
				v = v * 10 + (unsigned)(p[i] - '0');
				if (v > DNS_NDOTS_MAX)
					v = DNS_NDOTS_MAX;
			}
			r->ndots = v;
		}
		p += n;
		p += strspn(p, " \t");
	}
}

static uint32_t ipv4_parse(const char *p)
{
	unsigned a[4];
	char end;

	if (sscanf(p, "%3u.%3u.%3u.%3u%c", &a[0], &a[1], &a[2], &a[3], &end) < 4 ||
	    a[0] > 255 || a[1] > 255 || a[2] > 255 || a[3] > 255)
		return 0;
	return (uint32_t)a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
}

void dns_resolv_parse(const char *text, struct dns_resolv *r)
{
	memset(r, 0, sizeof(*r));
	r->ndots = 1;
	while (text && *text) {
		char line[1024];
		size_t n = strcspn(text, "\n");
		const char *p;

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1),
			 text);
		line[strcspn(line, "#;\r")] = '\0';
		text += n + (text[n] == '\n');
		if ((p = keyword(line, "search")))
			search_set(r, p, DNS_SEARCH_MAX);
		else if ((p = keyword(line, "domain")))
			search_set(r, p, 1);
		else if ((p = keyword(line, "options")))
			options_set(r, p);
		else if ((p = keyword(line, "nameserver")) && !r->nameserver)
			r->nameserver = ipv4_parse(p);
	}
}

enum dns_result dns_result_of(int rcode, size_t ancount)
{
	switch (rcode) {
	case -1:
		return DNS_TIMEOUT;
	case 0:
		return ancount ? DNS_FOUND : DNS_NODATA;
	case 2:
		return DNS_SERVFAIL;
	case 3:
		return DNS_NXDOMAIN;
	case 4:				/* NOTIMP: res_send treats it as REFUSED */
	case 5:
		return DNS_REFUSED;
	default:
		return DNS_OTHER;
	}
}

/* name.domain (name alone if domain is NULL, "name." for the root "")
 * into q; false if it does not fit in a query. */
static bool qname(char q[DNS_NAME_MAX + 1], const char *name, size_t nlen, const char *domain)
{
	size_t dlen = domain ? strlen(domain) : 0;

	if (domain && dlen && domain[dlen - 1] == '.')
		dlen--;
	if (!nlen || nlen + (dlen ? 1 + dlen : 0) > DNS_NAME_MAX)
		return false;
	memcpy(q, name, nlen);
	if (dlen) {
		q[nlen] = '.';
		memcpy(q + nlen + 1, domain, dlen);
		nlen += 1 + dlen;
	}
	q[nlen] = '\0';
	return true;
}

size_t dns_search_walk(const char *name, const struct dns_resolv *r, dns_ask_fn ask, void *ctx)
{
	size_t nlen = strlen(name), dots = 0, n = 0;
	bool rooted = nlen && name[nlen - 1] == '.', tried_as_is = false, root_on_list = false;
	/* glibc tests errno (ECONNREFUSED) after every failed search-list
	 * query, and nothing resets it: an answered query (NXDOMAIN, NODATA,
	 * FORMERR) leaves an earlier ECONNREFUSED in place; a res_send failure
	 * with a reply or a timeout (ETIMEDOUT), or a name that cannot be
	 * encoded (EMSGSIZE), replace it. */
	bool econnrefused = false;
	char q[DNS_NAME_MAX + 1];
	enum dns_result res;

	for (size_t i = 0; i < nlen; i++)
		dots += name[i] == '.';
	if (rooted)
		nlen--;
	if (dots >= r->ndots || rooted) {
		if (!qname(q, name, nlen, NULL))
			return 0;
		n++;
		res = ask(ctx, q);
		if (res == DNS_FOUND || rooted || res == DNS_NOT_ASKED)
			return n;
		econnrefused = res == DNS_CONNREFUSED;
		tried_as_is = true;
	}
	/* RES_DEFNAMES and RES_DNSRCH are on by default: the list is walked
	 * for every name without a trailing dot. */
	for (size_t i = 0; i < r->nsearch; i++) {
		const char *d = r->search[i];
		bool done = false;

		if (d[0] == '.')
			d++;
		if (!*d)
			root_on_list = true;
		if (!qname(q, name, nlen, *d ? d : NULL)) {
			econnrefused = false;
			break;
		}
		if (!*d && nlen + 1 <= DNS_NAME_MAX)
			strcat(q, ".");	/* "name.": the root domain */
		n++;
		res = ask(ctx, q);
		switch (res) {
		case DNS_FOUND:
		case DNS_NOT_ASKED:
			return n;
		case DNS_CONNREFUSED:
			return n;
		case DNS_NXDOMAIN:
		case DNS_NODATA:
			break;
		case DNS_SERVFAIL:
			econnrefused = false;
			break;
		case DNS_TIMEOUT:
		case DNS_REFUSED:
			econnrefused = false;
			done = true;
			break;
		case DNS_OTHER:
			done = true;
			break;
		}
		if (econnrefused)
			return n;
		if (done)
			break;
	}
	if (!tried_as_is && !root_on_list && qname(q, name, nlen, NULL)) {
		n++;
		ask(ctx, q);
	}
	return n;
}

struct order_ctx {
	char (*out)[DNS_NAME_MAX + 1];
	size_t max, n;
};

static enum dns_result order_ask(void *ctx, const char *q)
{
	struct order_ctx *o = ctx;

	if (o->n < o->max)
		snprintf(o->out[o->n++], DNS_NAME_MAX + 1, "%s", q);
	return DNS_NXDOMAIN;
}

size_t dns_search_order(const char *name, const struct dns_resolv *r,
			char out[][DNS_NAME_MAX + 1], size_t max)
{
	struct order_ctx o = { .out = out, .max = max };

	dns_search_walk(name, r, order_ask, &o);
	return o.n;
}
