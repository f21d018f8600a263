/* Unit tests for lib/addr: parsing, formatting and prefix arithmetic. */
#include <errno.h>

#include "addr.h"
#include "unit.h"

static void test_addr_parse_good(void)
{
	static const struct {
		const char *s;
		uint32_t a;
	} ok[] = {
		{ "0.0.0.0", 0 },
		{ "1.2.3.4", 0x01020304u },
		{ "10.244.1.3", 0x0af40103u },
		{ "172.18.0.1", 0xac120001u },
		{ "255.255.255.255", 0xffffffffu },
		{ "192.0.2.100", 0xc0000264u },
		{ "0.0.0.10", 10 },
	};
	uint32_t a;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		a = 0xdeadbeef;
		CHECKF(addr_parse(ok[i].s, &a) == 0, "%s", ok[i].s);
		CHECKF(a == ok[i].a, "%s -> %08x", ok[i].s, a);
	}
}

static void test_addr_parse_bad(void)
{
	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "1.2.3.999",
		"01.2.3.4", "1.2.3.04", "1.02.3.4", "00.0.0.0", "1.2.3.4 ", " 1.2.3.4",
		"1.2.3.4x", "1.2.3.4\n", "1..2.3", ".1.2.3", "1.2.3.", "-1.2.3.4",
		"+1.2.3.4", "1.2.3.4/24", "0x1.2.3.4", "1.2.3.-4", "4294967296.0.0.0",
		"99999999999999999999.1.1.1", "1,2,3,4", "a.b.c.d", "1.2.3.4.",
	};
	uint32_t a;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = 0x5a5a5a5a;
		errno = 0;
		CHECKF(addr_parse(bad[i], &a) == -EINVAL, "\"%s\" accepted", bad[i]);
		CHECKF(errno == EINVAL, "\"%s\" errno %d", bad[i], errno);
		CHECKF(a == 0x5a5a5a5a, "\"%s\" wrote the output", bad[i]);
	}
	CHECK(addr_parse(NULL, &a) == -EINVAL);
}

static void test_addr_fmt(void)
{
	char buf[ADDR_STRLEN];
	uint32_t a = 0;
	unsigned i;

	CHECK_EQ_STR(addr_fmt(0, buf), "0.0.0.0");
	CHECK_EQ_STR(addr_fmt(0xffffffffu, buf), "255.255.255.255");
	CHECK_EQ_STR(addr_fmt(0x0af40103u, buf), "10.244.1.3");
	CHECK(addr_fmt(0x01020304u, buf) == buf);
	/* Round trip through text for a spread of addresses. */
	for (i = 0; i < 1000; i++, a = a * 2654435761u + 0x9e3779b9u) {
		uint32_t b = 0;

		addr_fmt(a, buf);
		if (!CHECKF(addr_parse(buf, &b) == 0 && a == b, "%s", buf))
			break;
	}
}

static void test_cidr_parse(void)
{
	struct cidr c;
	char buf[CIDR_STRLEN];

	CHECK(cidr_parse("10.244.0.0/16", &c) == 0);
	CHECK_EQ_INT(c.addr, 0x0af40000u);
	CHECK_EQ_INT(c.len, 16);
	CHECK(cidr_parse("0.0.0.0/0", &c) == 0 && c.addr == 0 && c.len == 0);
	CHECK(cidr_parse("1.2.3.4/32", &c) == 0 && c.addr == 0x01020304u && c.len == 32);
	CHECK(cidr_parse("172.18.0.128/25", &c) == 0 && c.len == 25);

	/* Host bits: refused with its own code, and the network is suggested. */
	errno = 0;
	CHECK(cidr_parse("10.244.1.5/24", &c) == -EADDRNOTAVAIL);
	CHECK(errno == EADDRNOTAVAIL);
	CHECK_EQ_STR(cidr_fmt(&c, buf), "10.244.1.0/24");
	CHECK(cidr_parse("10.244.0.0/8", &c) == -EADDRNOTAVAIL);
	CHECK_EQ_STR(cidr_fmt(&c, buf), "10.0.0.0/8");
	CHECK(cidr_parse("1.2.3.4/0", &c) == -EADDRNOTAVAIL);
	CHECK(cidr_parse("1.2.3.5/31", &c) == -EADDRNOTAVAIL);

	static const char *const bad[] = {
		"10.0.0.0/33", "10.0.0.0/99", "10.0.0.0/08", "10.0.0.0/", "10.0.0.0",
		"10.0.0.0/24x", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 24", "10.0.0.0//24",
		"10.0.0/24", "256.0.0.0/8", "010.0.0.0/8", "/24", "", "10.0.0.0/24 ",
		"10.0.0.0/4294967320", "10.0.0.0/24/24",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		CHECKF(cidr_parse(bad[i], &c) == -EINVAL, "\"%s\"", bad[i]);
		CHECKF(errno == EINVAL, "\"%s\"", bad[i]);
	}
	CHECK(cidr_parse(NULL, &c) == -EINVAL);
}

static void test_cidr_fmt(void)
{
	struct cidr c = { 0xffffffffu, 32 };
	char buf[CIDR_STRLEN];

	CHECK_EQ_STR(cidr_fmt(&c, buf), "255.255.255.255/32");
	c = (struct cidr){ 0, 0 };
	CHECK_EQ_STR(cidr_fmt(&c, buf), "0.0.0.0/0");
	c = (struct cidr){ 0x0a600000u, 12 };
	CHECK_EQ_STR(cidr_fmt(&c, buf), "10.96.0.0/12");
}

static void test_cidr_math(void)
{
	struct cidr all = { 0, 0 }, h = { 0x01020304u, 32 }, c24 = { 0xac120000u, 24 };

	CHECK_EQ_INT(cidr_mask(0), 0);
	CHECK_EQ_INT(cidr_mask(1), 0x80000000u);
	CHECK_EQ_INT(cidr_mask(24), 0xffffff00u);
	CHECK_EQ_INT(cidr_mask(31), 0xfffffffeu);
	CHECK_EQ_INT(cidr_mask(32), 0xffffffffu);
	CHECK_EQ_INT(cidr_size(&all), 4294967296ull);
	CHECK_EQ_INT(cidr_size(&h), 1);
	CHECK_EQ_INT(cidr_size(&c24), 256);
	CHECK_EQ_INT(cidr_last(&c24), 0xac1200ffu);
	CHECK_EQ_INT(cidr_last(&all), 0xffffffffu);
	CHECK_EQ_INT(cidr_last(&h), 0x01020304u);

	CHECK(cidr_contains(&c24, 0xac120000u));
	CHECK(cidr_contains(&c24, 0xac1200ffu));
	CHECK(!cidr_contains(&c24, 0xac120100u));
	CHECK(!cidr_contains(&c24, 0xac11ffffu));
	CHECK(cidr_contains(&all, 0x7f000001u));
	CHECK(cidr_contains(&h, 0x01020304u));
	CHECK(!cidr_contains(&h, 0x01020305u));
}

static void test_cidr_overlaps(void)
{
	struct cidr a, b;

	cidr_parse("10.244.0.0/16", &a);
	cidr_parse("10.244.1.0/24", &b);
	CHECK(cidr_overlaps(&a, &b) && cidr_overlaps(&b, &a));
	CHECK(cidr_within(&b, &a) && !cidr_within(&a, &b));
	CHECK(cidr_within(&a, &a) && cidr_overlaps(&a, &a));
	cidr_parse("10.245.0.0/16", &b);
	CHECK(!cidr_overlaps(&a, &b) && !cidr_within(&b, &a));
	cidr_parse("10.0.0.0/8", &b);
	CHECK(cidr_overlaps(&a, &b) && cidr_within(&a, &b));
	cidr_parse("10.96.0.0/12", &b);
	CHECK(!cidr_overlaps(&a, &b));
	/* adjacent prefixes do not overlap */
	cidr_parse("172.18.0.0/25", &a);
	cidr_parse("172.18.0.128/25", &b);
	CHECK(!cidr_overlaps(&a, &b));
	cidr_parse("0.0.0.0/0", &a);
	CHECK(cidr_overlaps(&a, &b) && cidr_within(&b, &a));
	cidr_parse("172.18.0.255/32", &a);
	CHECK(cidr_overlaps(&a, &b) && cidr_within(&a, &b));
	cidr_parse("172.18.1.0/32", &a);
	CHECK(!cidr_overlaps(&a, &b));
}

int main(void)
{
	RUN(test_addr_parse_good);
	RUN(test_addr_parse_bad);
	RUN(test_addr_fmt);
	RUN(test_cidr_parse);
	RUN(test_cidr_fmt);
	RUN(test_cidr_math);
	RUN(test_cidr_overlaps);
	return unit_summary();
}
