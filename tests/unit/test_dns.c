/* The DNS messages of trace's DNS probe: the query's bytes as RFC 1035 lays
 * them out, and answers (with name compression, several A records, an
 * NXDOMAIN) read back; malformed answers are refused, never overread. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "trace/dns.h"
#include "unit.h"

static void test_query(void)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		3, 'w', 'e', 'b', 7, 'd', 'e', 'f', 'a', 'u', 'l', 't', 0, 0x00, 0x01, 0x00, 0x01 };
	uint8_t buf[512];
	int n = dns_query_build(0x1234, "web.default", buf, sizeof(buf));

	CHECK_EQ_INT(n, (int)sizeof(want));
	CHECK(n == (int)sizeof(want) && !memcmp(buf, want, sizeof(want)));
	CHECK_EQ_INT(dns_query_build(1, "web.default.", buf, sizeof(buf)), (int)sizeof(want));
	CHECK(dns_query_build(1, "", buf, sizeof(buf)) == -EINVAL);
	CHECK(dns_query_build(1, "a..b", buf, sizeof(buf)) == -EINVAL);
	CHECK(dns_query_build(1, ".a", buf, sizeof(buf)) == -EINVAL);
	CHECK(dns_query_build(1, "web.default", buf, 20) == -ENOSPC);
	{
		char label[70];

		memset(label, 'a', 64);
		label[64] = '\0';
		CHECK(dns_query_build(1, label, buf, sizeof(buf)) == -EINVAL);
	}
}

/* The query for "web" plus answers, as a server sends them. */
static size_t answer(uint8_t *b, uint16_t id, int rcode, int na)
{
	size_t n = 0;

	b[n++] = (uint8_t)(id >> 8), b[n++] = (uint8_t)id;
	b[n++] = 0x81, b[n++] = (uint8_t)(0x80 | rcode);
	b[n++] = 0, b[n++] = 1, b[n++] = 0, b[n++] = (uint8_t)na;
	b[n++] = 0, b[n++] = 0, b[n++] = 0, b[n++] = 0;
	b[n++] = 3, memcpy(b + n, "web", 3), n += 3, b[n++] = 0;
	b[n++] = 0, b[n++] = 1, b[n++] = 0, b[n++] = 1;
	for (int i = 0; i < na; i++) {
		b[n++] = 0xc0, b[n++] = 12;		/* pointer to the question's name */
		b[n++] = 0, b[n++] = 1, b[n++] = 0, b[n++] = 1;
		b[n++] = 0, b[n++] = 0, b[n++] = 0, b[n++] = 30;
		b[n++] = 0, b[n++] = 4;
		b[n++] = 10, b[n++] = 96, b[n++] = 0, b[n++] = (uint8_t)(1 + i);
	}
	return n;
}

static void test_answer(void)
{
	uint8_t b[512];
	struct dns_answer a;
	size_t n = answer(b, 7, 0, 2);

	CHECK(dns_answer_parse(7, b, n, &a) == 0);
	CHECK_EQ_INT(a.rcode, 0);
	CHECK_EQ_INT((int)a.na, 2);
	CHECK(a.a[0] == 0x0a600001u && a.a[1] == 0x0a600002u);
	CHECK(dns_answer_parse(8, b, n, &a) == -EINVAL);		/* another id */
	/* Every truncation is refused, none is read past. */
	for (size_t cut = 0; cut < n; cut++)
		CHECK(dns_answer_parse(7, b, cut, &a) == -EINVAL || a.na < 2);
	n = answer(b, 9, 3, 0);
	CHECK(dns_answer_parse(9, b, n, &a) == 0 && a.rcode == 3 && a.na == 0);
	CHECK(!strcmp(dns_rcode_name(3), "NXDOMAIN") && !strcmp(dns_rcode_name(0), "NOERROR"));
	b[2] = 0x01;	/* a query, not a response */
	CHECK(dns_answer_parse(9, b, n, &a) == -EINVAL);
}

int main(void)
{
	RUN(test_query);
	RUN(test_answer);
	return unit_summary();
}
