/* The DNS messages of trace's DNS probe: the query's bytes as RFC 1035 lays
 * them out, and answers (with name compression, several A records, an
 * NXDOMAIN) read back; malformed answers are refused, never overread.
 * And the stub resolver's side: resolv.conf read as glibc reads it, the
 * names a lookup asks in glibc's res_search order, and when it stops. */
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

static const char kubelet[] = "search default.svc.cluster.local svc.cluster.local cluster.local\n"
			      "nameserver 10.96.0.10\noptions ndots:5\n";

static void test_resolv_parse(void)
{
	struct dns_resolv r;

	dns_resolv_parse(kubelet, &r);
	CHECK_EQ_INT(r.nsearch, 3);
	CHECK_EQ_STR(r.search[0], "default.svc.cluster.local");
	CHECK_EQ_STR(r.search[2], "cluster.local");
	CHECK_EQ_INT(r.ndots, 5);
	CHECK_EQ_INT(r.nameserver, 0x0a60000a);
	/* Defaults: ndots 1, no search list, no server. */
	dns_resolv_parse("", &r);
	CHECK(r.ndots == 1 && r.nsearch == 0 && r.nameserver == 0);
	/* The last search/domain line wins; domain is one entry; comments,
	 * tabs and CRLF; the first IPv4 nameserver; ndots capped at 15. */
	dns_resolv_parse("search a b\r\n# search x\ndomain d.example ; c\n"
			 "nameserver fe80::1\nnameserver\t192.0.2.1\nnameserver 192.0.2.2\n"
			 "options rotate ndots:99 timeout:1\n", &r);
	CHECK_EQ_INT(r.nsearch, 1);
	CHECK_EQ_STR(r.search[0], "d.example");
	CHECK_EQ_INT(r.nameserver, 0xc0000201);
	CHECK_EQ_INT(r.ndots, 15);
	dns_resolv_parse("domain d\nsearch  a\tb  c d e f g h\nsearchx z\noptions ndots:0\n", &r);
	CHECK_EQ_INT(r.nsearch, DNS_SEARCH_MAX);	/* glibc ignores the rest */
	CHECK_EQ_STR(r.search[1], "b");
	CHECK_EQ_STR(r.search[5], "f");
	CHECK_EQ_INT(r.ndots, 0);
}

/* The names asked for name, joined by spaces. */
static const char *order(const char *conf, const char *name)
{
	static char out[DNS_TRIES_MAX * (DNS_NAME_MAX + 2)];
	char cand[DNS_TRIES_MAX][DNS_NAME_MAX + 1];
	struct dns_resolv r;
	size_t n;

	dns_resolv_parse(conf, &r);
	n = dns_search_order(name, &r, cand, DNS_TRIES_MAX);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, cand[i]);
	}
	return out;
}

static void test_search_order(void)
{
	char name[300];

	/* Fewer dots than ndots: every search domain in order, then as is. */
	CHECK_EQ_STR(order(kubelet, "web"), "web.default.svc.cluster.local web.svc.cluster.local "
		     "web.cluster.local web");
	CHECK_EQ_STR(order(kubelet, "web.other"), "web.other.default.svc.cluster.local "
		     "web.other.svc.cluster.local web.other.cluster.local web.other");
	CHECK_EQ_STR(order(kubelet, "example.com"), "example.com.default.svc.cluster.local "
		     "example.com.svc.cluster.local example.com.cluster.local example.com");
	/* ndots dots or more: as is first, then the search list. */
	CHECK_EQ_STR(order(kubelet, "a.b.c.d.e.f"), "a.b.c.d.e.f a.b.c.d.e.f.default.svc.cluster.local "
		     "a.b.c.d.e.f.svc.cluster.local a.b.c.d.e.f.cluster.local");
	CHECK_EQ_STR(order("search s.example\n", "web.x"), "web.x web.x.s.example");
	CHECK_EQ_STR(order("search s.example\n", "web"), "web.s.example web");
	CHECK_EQ_STR(order("search s.example\noptions ndots:0\n", "web"), "web web.s.example");
	/* A trailing dot: absolute, asked as is and only so. */
	CHECK_EQ_STR(order(kubelet, "web.default.svc.cluster.local."),
		     "web.default.svc.cluster.local");
	CHECK_EQ_STR(order(kubelet, "web."), "web");
	/* No search list: the name alone. */
	CHECK_EQ_STR(order("", "web"), "web");
	/* A search domain written with its root dot joins without a second one. */
	CHECK_EQ_STR(order("search a.example.\n", "w"), "w.a.example w");
	/* A candidate longer than a DNS name cannot be put in a query: glibc
	 * (res_mkquery fails, NO_RECOVERY) never sends it and ends the search
	 * list there; the name as it is is still asked. */
	memset(name, 'a', 240);
	name[240] = '\0';
	{
		const char *o = order("search x svc.cluster.local y\n", name);

		/* name.x (242) asked, name.svc.cluster.local (258) ends the
		 * list (name.y never asked), then name (240). */
		CHECK_EQ_INT(strlen(o), 242 + 1 + 240);
		CHECK(!strncmp(o + 240, ".x ", 3));
	}
	/* "." on the list: "name." is asked in its place, and the name is
	 * not asked again after the list (root_on_list). */
	CHECK_EQ_STR(order("search a.example .\n", "w"), "w.a.example w.");
}

/* A scripted server: each name's result (DNS_NXDOMAIN when not listed);
 * the walk's calls recorded as "name=RESULT" joined by spaces. */
struct script {
	const char *name[8];
	enum dns_result res[8];
	char log[2048];
};

static const char *const res_names[] = { "FOUND", "NXDOMAIN", "NODATA", "SERVFAIL", "TIMEOUT",
					 "REFUSED", "OTHER", "CONNREFUSED", "NOTASKED" };

static enum dns_result scripted(void *ctx, const char *q)
{
	struct script *sc = ctx;
	enum dns_result r = DNS_NXDOMAIN;

	for (size_t i = 0; i < 8 && sc->name[i]; i++)
		if (!strcmp(sc->name[i], q))
			r = sc->res[i];
	snprintf(sc->log + strlen(sc->log), sizeof(sc->log) - strlen(sc->log), "%s%s=%s",
		 sc->log[0] ? " " : "", q, res_names[r]);
	return r;
}

static const char *walk(const char *conf, const char *name, struct script *sc)
{
	struct dns_resolv r;

	dns_resolv_parse(conf, &r);
	sc->log[0] = '\0';
	dns_search_walk(name, &r, scripted, sc);
	return sc->log;
}

static const char *const k3 = "search ns.svc.cl svc.cl cl\noptions ndots:5\n";

static void test_search_walk(void)
{
	/* NXDOMAIN all along: every name, the bare one last. */
	struct script a = { { NULL }, { DNS_NXDOMAIN }, "" };
	/* Found on the second search domain: the lookup ends there. */
	struct script b = { { "web.svc.cl" }, { DNS_FOUND }, "" };
	/* NODATA and SERVFAIL go on to the next domain. */
	struct script c = { { "web.ns.svc.cl", "web.svc.cl" }, { DNS_NODATA, DNS_SERVFAIL }, "" };
	/* A timeout ends the list, the bare name is still asked. */
	struct script d = { { "web.ns.svc.cl" }, { DNS_TIMEOUT }, "" };
	/* REFUSED, FORMERR: the same. */
	struct script e = { { "web.svc.cl" }, { DNS_REFUSED }, "" };
	struct script f = { { "web.ns.svc.cl" }, { DNS_OTHER }, "" };
	/* ECONNREFUSED in the list: the lookup ends at once. */
	struct script g = { { "web.svc.cl" }, { DNS_CONNREFUSED }, "" };
	/* At least ndots: as is first; whatever its failure, the list is
	 * walked, and the name is not asked again at the end. */
	struct script h = { { "a.b" }, { DNS_TIMEOUT }, "" };
	struct script i = { { "a.b" }, { DNS_REFUSED }, "" };
	struct script j = { { "a.b", "a.b.x" }, { DNS_NXDOMAIN, DNS_TIMEOUT }, "" };
	/* ECONNREFUSED on the as-is query does not stop the list, but glibc's
	 * errno stays ECONNREFUSED through answered (NXDOMAIN) queries... */
	struct script k = { { "a.b" }, { DNS_CONNREFUSED }, "" };
	/* ...and a SERVFAIL (res_send: ETIMEDOUT) clears it. */
	struct script l = { { "a.b", "a.b.x" }, { DNS_CONNREFUSED, DNS_SERVFAIL }, "" };
	/* A trailing dot: asked once, whatever the answer. */
	struct script m = { { "web" }, { DNS_TIMEOUT }, "" };
	struct script n = { { "web" }, { DNS_NXDOMAIN }, "" };
	/* Found as is (at least ndots): nothing else. */
	struct script o = { { "a.b" }, { DNS_FOUND }, "" };
	/* Found bare, after the list. */
	struct script p = { { "web" }, { DNS_FOUND }, "" };
	/* podpath could not send a query: nothing after it is asked. */
	struct script q = { { "web.svc.cl" }, { DNS_NOT_ASKED }, "" };

	CHECK_EQ_STR(walk(k3, "web", &a), "web.ns.svc.cl=NXDOMAIN web.svc.cl=NXDOMAIN "
		     "web.cl=NXDOMAIN web=NXDOMAIN");
	CHECK_EQ_STR(walk(k3, "web", &b), "web.ns.svc.cl=NXDOMAIN web.svc.cl=FOUND");
	CHECK_EQ_STR(walk(k3, "web", &c), "web.ns.svc.cl=NODATA web.svc.cl=SERVFAIL "
		     "web.cl=NXDOMAIN web=NXDOMAIN");
	CHECK_EQ_STR(walk(k3, "web", &d), "web.ns.svc.cl=TIMEOUT web=NXDOMAIN");
	CHECK_EQ_STR(walk(k3, "web", &e), "web.ns.svc.cl=NXDOMAIN web.svc.cl=REFUSED web=NXDOMAIN");
	CHECK_EQ_STR(walk(k3, "web", &f), "web.ns.svc.cl=OTHER web=NXDOMAIN");
	CHECK_EQ_STR(walk(k3, "web", &g), "web.ns.svc.cl=NXDOMAIN web.svc.cl=CONNREFUSED");
	CHECK_EQ_STR(walk("search x y\n", "a.b", &h), "a.b=TIMEOUT a.b.x=NXDOMAIN a.b.y=NXDOMAIN");
	CHECK_EQ_STR(walk("search x y\n", "a.b", &i), "a.b=REFUSED a.b.x=NXDOMAIN a.b.y=NXDOMAIN");
	CHECK_EQ_STR(walk("search x y\n", "a.b", &j), "a.b=NXDOMAIN a.b.x=TIMEOUT");
	CHECK_EQ_STR(walk("search x y\n", "a.b", &k), "a.b=CONNREFUSED a.b.x=NXDOMAIN");
	CHECK_EQ_STR(walk("search x y\n", "a.b", &l), "a.b=CONNREFUSED a.b.x=SERVFAIL "
		     "a.b.y=NXDOMAIN");
	CHECK_EQ_STR(walk(k3, "web.", &m), "web=TIMEOUT");
	CHECK_EQ_STR(walk(k3, "web.", &n), "web=NXDOMAIN");
	CHECK_EQ_STR(walk("search x y\n", "a.b", &o), "a.b=FOUND");
	CHECK_EQ_STR(walk(k3, "web", &p), "web.ns.svc.cl=NXDOMAIN web.svc.cl=NXDOMAIN "
		     "web.cl=NXDOMAIN web=FOUND");
	CHECK_EQ_STR(walk(k3, "web", &q), "web.ns.svc.cl=NXDOMAIN web.svc.cl=NOTASKED");
}

static void test_search_results(void)
{
	CHECK_EQ_INT(dns_result_of(3, 0), DNS_NXDOMAIN);
	CHECK_EQ_INT(dns_result_of(0, 0), DNS_NODATA);
	CHECK_EQ_INT(dns_result_of(2, 0), DNS_SERVFAIL);
	/* Found: answer records, an A or not (a CNAME alone stops glibc too). */
	CHECK_EQ_INT(dns_result_of(0, 1), DNS_FOUND);
	CHECK_EQ_INT(dns_result_of(-1, 0), DNS_TIMEOUT);
	CHECK_EQ_INT(dns_result_of(5, 0), DNS_REFUSED);
	CHECK_EQ_INT(dns_result_of(4, 0), DNS_REFUSED);	/* NOTIMP: res_send alike */
	CHECK_EQ_INT(dns_result_of(1, 0), DNS_OTHER);	/* FORMERR: NO_RECOVERY */
	/* An rcode on an answer with records is still that rcode. */
	CHECK_EQ_INT(dns_result_of(3, 1), DNS_NXDOMAIN);
}

int main(void)
{
	RUN(test_query);
	RUN(test_answer);
	RUN(test_resolv_parse);
	RUN(test_search_order);
	RUN(test_search_walk);
	RUN(test_search_results);
	return unit_summary();
}
