/* Unit tests for lib/addr6: IPv6 prefixes as ipBlock reads them. */
#include <errno.h>
#include <string.h>

#include "addr6.h"
#include "unit.h"

static void test_cidr6_parse_good(void)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "::/0", "::/0" },
		{ "2001:db8::/32", "2001:db8::/32" },
		{ "2001:DB8:0:0::/64", "2001:db8::/64" },
		{ "fd00:10:244::/48", "fd00:10:244::/48" },
		{ "::1/128", "::1/128" },
		{ "fe80::/10", "fe80::/10" },
		{ "2001:db8::1:0/112", "2001:db8::1:0/112" },
		{ "::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104" },
	};
	char buf[CIDR6_STRLEN];
	struct cidr6 c;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(&c, 0xaa, sizeof(c));
		CHECKF(cidr6_parse(ok[i].in, &c) == 0, "%s", ok[i].in);
		CHECKF(!strcmp(cidr6_fmt(&c, buf), ok[i].out), "%s -> %s", ok[i].in, buf);
	}
}

static void test_cidr6_parse_bad(void)
{
	static const char *const bad[] = {
		"", "::", "/64", "2001:db8::", "2001:db8::/", "2001:db8::/129", "2001:db8::/064",
		"2001:db8::/-1", "2001:db8::/+64", "2001:db8::/64 ", " 2001:db8::/64",
		"2001:db8:::/64", "2001:db8::g/64", "fe80::1%eth0/64", "10.0.0.0/8",
		"1:2:3:4:5:6:7:8:9/64", "2001:db8::/64/64", "2001:db8::/6x",
	};
	struct cidr6 c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(cidr6_parse(bad[i], &c) == -EINVAL, "%s", bad[i]);
	CHECK(cidr6_parse(NULL, &c) == -EINVAL);
}

/* Host bits: refused, but the network is stored for the hint. */
static void test_cidr6_host_bits(void)
{
	char buf[CIDR6_STRLEN];
	struct cidr6 c;

	CHECK(cidr6_parse("2001:db8::1/64", &c) == -EADDRNOTAVAIL);
	CHECK(!strcmp(cidr6_fmt(&c, buf), "2001:db8::/64"));
	CHECK(cidr6_parse("2001:db8:0:ff::/60", &c) == -EADDRNOTAVAIL);
	CHECK(!strcmp(cidr6_fmt(&c, buf), "2001:db8:0:f0::/60"));
	CHECK(cidr6_parse("::1/0", &c) == -EADDRNOTAVAIL);
	CHECK(!strcmp(cidr6_fmt(&c, buf), "::/0"));
	CHECK(cidr6_parse("2001:db8::1/128", &c) == 0);
}

static void test_cidr6_within(void)
{
	struct cidr6 all, a, b;

	cidr6_parse("::/0", &all);
	cidr6_parse("2001:db8::/32", &a);
	cidr6_parse("2001:db8:1::/48", &b);
	CHECK(cidr6_within(&a, &all) && cidr6_within(&b, &a) && cidr6_within(&b, &all));
	CHECK(!cidr6_within(&a, &b) && !cidr6_within(&all, &a));
	CHECK(cidr6_within(&a, &a) && cidr6_eq(&a, &a) && !cidr6_eq(&a, &b));
	cidr6_parse("2001:db9::/48", &b);
	CHECK(!cidr6_within(&b, &a));
	/* a prefix length that is not a multiple of 8 */
	cidr6_parse("2001:db8::/29", &a);
	cidr6_parse("2001:dbf::/32", &b);
	CHECK(cidr6_within(&b, &a));
	cidr6_parse("2001:dc0::/32", &b);
	CHECK(!cidr6_within(&b, &a));
}

int main(void)
{
	RUN(test_cidr6_parse_good);
	RUN(test_cidr6_parse_bad);
	RUN(test_cidr6_host_bits);
	RUN(test_cidr6_within);
	return unit_summary();
}
