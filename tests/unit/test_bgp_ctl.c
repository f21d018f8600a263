/* Unit tests for lib/bgp ctl.c + show.c: BIRD 2's control-socket replies,
 * captured byte for byte from BIRD 2.0.12 running in three scratch
 * namespaces (two mesh nodes 172.31.0.2/.3 and a route reflector .4 with
 * `rr client`), framed and parsed. */
#include <errno.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include "unit.h"
#include "bgp/bgp.h"

/* Node .2: `show protocols all` (both sessions Established). */
static const char S1_PROTOCOLS_ALL[] =
	"2002-Name       Proto      Table      State  Since         Info\n"
	"1002-device1    Device     ---        up     22:07:10.628  \n"
	"1006-\n"
	"1002-kernel1    Kernel     master4    up     22:07:10.628  \n"
	"1006-  Channel ipv4\n"
	"     State:          UP\n"
	"     Table:          master4\n"
	"     Preference:     10\n"
	"     Input filter:   REJECT\n"
	"     Output filter:  (unnamed)\n"
	"     Routes:         0 imported, 3 exported, 0 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              0          0          0          0          0\n"
	"       Import withdraws:            0          0        ---          0          0\n"
	"       Export updates:              9          0          4        ---          5\n"
	"       Export withdraws:            1        ---        ---        ---          1\n"
	" \n"
	"1002-pod_cidr   Static     master4    up     22:07:10.628  \n"
	"1006-  Channel ipv4\n"
	"     State:          UP\n"
	"     Table:          master4\n"
	"     Preference:     200\n"
	"     Input filter:   ACCEPT\n"
	"     Output filter:  REJECT\n"
	"     Routes:         1 imported, 0 exported, 1 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              1          0          0          0          1\n"
	"       Import withdraws:            0          0        ---          0          0\n"
	"       Export updates:              0          0          0        ---          0\n"
	"       Export withdraws:            0        ---        ---        ---          0\n"
	" \n"
	"1002-other_static Static     master4    up     22:07:10.628  \n"
	"1006-  Channel ipv4\n"
	"     State:          UP\n"
	"     Table:          master4\n"
	"     Preference:     200\n"
	"     Input filter:   ACCEPT\n"
	"     Output filter:  REJECT\n"
	"     Routes:         1 imported, 0 exported, 1 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              1          0          0          0          1\n"
	"       Import withdraws:            0          0        ---          0          0\n"
	"       Export updates:              0          0          0        ---          0\n"
	"       Export withdraws:            0        ---        ---        ---          0\n"
	" \n"
	"1002-Mesh_172_31_0_3 BGP        ---        up     22:10:41.554  Established   \n"
	"1006-  BGP state:          Established\n"
	"     Neighbor address: 172.31.0.3\n"
	"     Neighbor AS:      64512\n"
	"     Local AS:         64512\n"
	"     Neighbor ID:      172.31.0.3\n"
	"     Local capabilities\n"
	"       Multiprotocol\n"
	"         AF announced: ipv4\n"
	"       Route refresh\n"
	"       Graceful restart\n"
	"       4-octet AS numbers\n"
	"       Enhanced refresh\n"
	"       Long-lived graceful restart\n"
	"     Neighbor capabilities\n"
	"       Multiprotocol\n"
	"         AF announced: ipv4\n"
	"       Route refresh\n"
	"       Graceful restart\n"
	"       4-octet AS numbers\n"
	"       Enhanced refresh\n"
	"       Long-lived graceful restart\n"
	"     Session:          internal AS4\n"
	"     Source address:   172.31.0.2\n"
	"     Hold timer:       8.144/9\n"
	"     Keepalive timer:  0.807/1\n"
	"   Channel ipv4\n"
	"     State:          UP\n"
	"     Table:          master4\n"
	"     Preference:     100\n"
	"     Input filter:   ACCEPT\n"
	"     Output filter:  (unnamed)\n"
	"     Routes:         1 imported, 0 filtered, 1 exported, 1 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              1          0          0          0          1\n"
	"       Import withdraws:            0          0        ---          0          0\n"
	"       Export updates:              5          3          1        ---          1\n"
	"       Export withdraws:            0        ---        ---        ---          0\n"
	"     BGP Next hop:   172.31.0.2\n"
	" \n"
	"1002-Node_172_31_0_4 BGP        ---        up     22:07:11.540  Established   \n"
	"1006-  BGP state:          Established\n"
	"     Neighbor address: 172.31.0.4\n"
	"     Neighbor AS:      64512\n"
	"     Local AS:         64512\n"
	"     Neighbor ID:      172.31.0.4\n"
	"     Local capabilities\n"
	"       Multiprotocol\n"
	"         AF announced: ipv4\n"
	"       Route refresh\n"
	"       Graceful restart\n"
	"       4-octet AS numbers\n"
	"       Enhanced refresh\n"
	"       Long-lived graceful restart\n"
	"     Neighbor capabilities\n"
	"       Multiprotocol\n"
	"         AF announced: ipv4\n"
	"       Route refresh\n"
	"       Graceful restart\n"
	"       4-octet AS numbers\n"
	"       Enhanced refresh\n"
	"       Long-lived graceful restart\n"
	"     Session:          internal AS4\n"
	"     Source address:   172.31.0.2\n"
	"     Hold timer:       7.388/9\n"
	"     Keepalive timer:  0.624/1\n"
	"   Channel ipv4\n"
	"     State:          UP\n"
	"     Table:          master4\n"
	"     Preference:     100\n"
	"     Input filter:   ACCEPT\n"
	"     Output filter:  (unnamed)\n"
	"     Routes:         3 imported, 0 filtered, 1 exported, 2 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              5          0          0          1          4\n"
	"       Import withdraws:            1          0        ---          0          1\n"
	"       Export updates:              7          5          1        ---          1\n"
	"       Export withdraws:            1        ---        ---        ---          0\n"
	"     BGP Next hop:   172.31.0.2\n"
	" \n"
	"0000 \n"
;

/* The route reflector .4: `show protocols all` (both clients `rr client`). */
static const char RR_PROTOCOLS_ALL[] =
	"2002-Name       Proto      Table      State  Since         Info\n"
	"1002-device1    Device     ---        up     22:07:10.670  \n"
	"1006-\n"
	"1002-kernel1    Kernel     master4    up     22:07:10.670  \n"
	"1006-  Channel ipv4\n"
	"     State:          UP\n"
	"     Table:          master4\n"
	"     Preference:     10\n"
	"     Input filter:   REJECT\n"
	"     Output filter:  (unnamed)\n"
	"     Routes:         0 imported, 2 exported, 0 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              0          0          0          0          0\n"
	"       Import withdraws:            0          0        ---          0          0\n"
	"       Export updates:              7          0          4        ---          3\n"
	"       Export withdraws:            1        ---        ---        ---          1\n"
	" \n"
	"1002-pod_cidr   Static     master4    up     22:07:10.670  \n"
	"1006-  Channel ipv4\n"
	"     State:          UP\n"
	"     Table:          master4\n"
	"     Preference:     200\n"
	"     Input filter:   ACCEPT\n"
	"     Output filter:  REJECT\n"
	"     Routes:         1 imported, 0 exported, 1 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              1          0          0          0          1\n"
	"       Import withdraws:            0          0        ---          0          0\n"
	"       Export updates:              0          0          0        ---          0\n"
	"       Export withdraws:            0        ---        ---        ---          0\n"
	" \n"
	"1002-other_static Static     master4    up     22:07:10.670  \n"
	"1006-  Channel ipv4\n"
	"     State:          UP\n"
	"     Table:          master4\n"
	"     Preference:     200\n"
	"     Input filter:   ACCEPT\n"
	"     Output filter:  REJECT\n"
	"     Routes:         1 imported, 0 exported, 1 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              1          0          0          0          1\n"
	"       Import withdraws:            0          0        ---          0          0\n"
	"       Export updates:              0          0          0        ---          0\n"
	"       Export withdraws:            0        ---        ---        ---          0\n"
	" \n"
	"1002-Node_172_31_0_2 BGP        ---        up     22:07:11.540  Established   \n"
	"1006-  BGP state:          Established\n"
	"     Neighbor address: 172.31.0.2\n"
	"     Neighbor AS:      64512\n"
	"     Local AS:         64512\n"
	"     Neighbor ID:      172.31.0.2\n"
	"     Local capabilities\n"
	"       Multiprotocol\n"
	"         AF announced: ipv4\n"
	"       Route refresh\n"
	"       Graceful restart\n"
	"       4-octet AS numbers\n"
	"       Enhanced refresh\n"
	"       Long-lived graceful restart\n"
	"     Neighbor capabilities\n"
	"       Multiprotocol\n"
	"         AF announced: ipv4\n"
	"       Route refresh\n"
	"       Graceful restart\n"
	"       4-octet AS numbers\n"
	"       Enhanced refresh\n"
	"       Long-lived graceful restart\n"
	"     Session:          internal route-reflector AS4\n"
	"     Source address:   172.31.0.4\n"
	"     Hold timer:       8.558/9\n"
	"     Keepalive timer:  0.386/1\n"
	"   Channel ipv4\n"
	"     State:          UP\n"
	"     Table:          master4\n"
	"     Preference:     100\n"
	"     Input filter:   ACCEPT\n"
	"     Output filter:  ACCEPT\n"
	"     Routes:         1 imported, 0 filtered, 3 exported, 1 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              1          0          0          0          1\n"
	"       Import withdraws:            0          0        ---          0          0\n"
	"       Export updates:              9          2          2        ---          5\n"
	"       Export withdraws:            1        ---        ---        ---          1\n"
	"     BGP Next hop:   172.31.0.4\n"
	" \n"
	"1002-Node_172_31_0_3 BGP        ---        up     22:10:41.876  Established   \n"
	"1006-  BGP state:          Established\n"
	"     Neighbor address: 172.31.0.3\n"
	"     Neighbor AS:      64512\n"
	"     Local AS:         64512\n"
	"     Neighbor ID:      172.31.0.3\n"
	"     Local capabilities\n"
	"       Multiprotocol\n"
	"         AF announced: ipv4\n"
	"       Route refresh\n"
	"       Graceful restart\n"
	"       4-octet AS numbers\n"
	"       Enhanced refresh\n"
	"       Long-lived graceful restart\n"
	"     Neighbor capabilities\n"
	"       Multiprotocol\n"
	"         AF announced: ipv4\n"
	"       Route refresh\n"
	"       Graceful restart\n"
	"       4-octet AS numbers\n"
	"       Enhanced refresh\n"
	"       Long-lived graceful restart\n"
	"     Session:          internal route-reflector AS4\n"
	"     Source address:   172.31.0.4\n"
	"     Hold timer:       6.761/9\n"
	"     Keepalive timer:  0.367/1\n"
	"   Channel ipv4\n"
	"     State:          UP\n"
	"     Table:          master4\n"
	"     Preference:     100\n"
	"     Input filter:   ACCEPT\n"
	"     Output filter:  ACCEPT\n"
	"     Routes:         1 imported, 0 filtered, 3 exported, 1 preferred\n"
	"     Route change stats:     received   rejected   filtered    ignored   accepted\n"
	"       Import updates:              1          0          0          0          1\n"
	"       Import withdraws:            0          0        ---          0          0\n"
	"       Export updates:              4          1          0        ---          3\n"
	"       Export withdraws:            0        ---        ---        ---          0\n"
	"     BGP Next hop:   172.31.0.4\n"
	" \n"
	"0000 \n"
;

/* Node .2 after node .3's BIRD was killed: `show protocols all Mesh_172_31_0_3`. */
static const char S1_ACTIVE[] =
	"2002-Name       Proto      Table      State  Since         Info\n"
	"1002-Mesh_172_31_0_3 BGP        ---        start  22:11:05.172  Active        Socket: Connection refused\n"
	"1006-  BGP state:          Active\n"
	"     Neighbor address: 172.31.0.3\n"
	"     Neighbor AS:      64512\n"
	"     Local AS:         64512\n"
	"     Connect delay:    0.868/1\n"
	"     Last error:       Socket: Connection refused\n"
	"   Channel ipv4\n"
	"     State:          DOWN\n"
	"     Table:          master4\n"
	"     Preference:     100\n"
	"     Input filter:   ACCEPT\n"
	"     Output filter:  (unnamed)\n"
	" \n"
	"0000 \n"
;

/* Node .2: `show route all`; 10.251.2.0/24 twice (the mesh peer, and the
 * reflector's copy "from 172.31.0.4" with a blank prefix column). */
static const char S1_ROUTE_ALL[] =
	"1007-Table master4:\n"
	" 10.251.91.0/24       unicast [other_static 22:07:10.627] * (200)\n"
	" \tdev cbr0\n"
	"1008-\tType: static univ\n"
	"1007-10.251.1.0/24        unicast [pod_cidr 22:07:10.627] * (200)\n"
	" \tdev cbr0\n"
	"1008-\tType: static univ\n"
	"1007-10.251.2.0/24        unicast [Mesh_172_31_0_3 22:10:41.740] * (100) [i]\n"
	" \tvia 172.31.0.3 on eth0\n"
	"1008-\tType: BGP univ\n"
	"1012-\tBGP.origin: IGP\n"
	" \tBGP.as_path: \n"
	" \tBGP.next_hop: 172.31.0.3\n"
	" \tBGP.local_pref: 100\n"
	"1007-                     unicast [Node_172_31_0_4 22:10:42.148 from 172.31.0.4] (100) [i]\n"
	" \tvia 172.31.0.3 on eth0\n"
	"1008-\tType: BGP univ\n"
	"1012-\tBGP.origin: IGP\n"
	" \tBGP.as_path: \n"
	" \tBGP.next_hop: 172.31.0.3\n"
	" \tBGP.local_pref: 100\n"
	" \tBGP.originator_id: 172.31.0.3\n"
	" \tBGP.cluster_list: 172.31.0.4\n"
	"1007-10.251.3.0/24        unicast [Node_172_31_0_4 22:07:11.581] * (100) [i]\n"
	" \tvia 172.31.0.4 on eth0\n"
	"1008-\tType: BGP univ\n"
	"1012-\tBGP.origin: IGP\n"
	" \tBGP.as_path: \n"
	" \tBGP.next_hop: 172.31.0.4\n"
	" \tBGP.local_pref: 100\n"
	"1007-10.251.93.0/24       unicast [Node_172_31_0_4 22:07:41.107] * (100) [i]\n"
	" \tvia 172.31.0.4 on eth0\n"
	"1008-\tType: BGP univ\n"
	"1012-\tBGP.origin: IGP\n"
	" \tBGP.as_path: \n"
	" \tBGP.next_hop: 172.31.0.4\n"
	" \tBGP.local_pref: 100\n"
	"0000 \n"
;

/* Node .2: `show route noexport Mesh_172_31_0_3 all` (the export filter
 * takes only pod_cidr's route). */
static const char S1_NOEXPORT[] =
	"1007-Table master4:\n"
	" 10.251.91.0/24       unicast [other_static 22:07:10.627] * (200)\n"
	" \tdev cbr0\n"
	"1008-\tType: static univ\n"
	"0000 \n"
;

static const char GREETING[] = "0001 BIRD 2.0.12 ready.\n";
static const char NOT_FOUND[] = "8001 Network not found\n";
static const char SYNTAX[] = "9001 syntax error, unexpected CF_SYM_UNDEFINED\n";
static const char CONF_BAD[] =
	"0002-Reading configuration from /tmp/bxc/b1.conf\n"
	"8002 /tmp/bxc/b1.conf:21:10 syntax error, unexpected CF_SYM_UNDEFINED\n";
/* `show protocols` without `all`: the later protocols are continuations. */
static const char PROTOCOLS_SHORT[] =
	"2002-Name       Proto      Table      State  Since         Info\n"
	"1002-device1    Device     ---        up     22:07:10.627  \n"
	" kernel1    Kernel     master4    up     22:07:10.627  \n"
	" Mesh_172_31_0_3 BGP        ---        start  22:08:07.699  Active        Socket: Connection refused\n"
	" Node_172_31_0_4 BGP        ---        up     22:07:11.540  Established   \n"
	"0000 \n";

/* CHECK that two counts agree; true if they do, so a test can stop. */
#define CHECK_N(a, b) CHECKF((size_t)(a) == (size_t)(b), "%zu != %zu", (size_t)(a), (size_t)(b))

/* Feed text in chunks of `step` bytes (0: all at once) into a fresh r. */
static int feed(struct bgp_reply *r, const char *text, size_t step)
{
	size_t len = strlen(text), off = 0;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (!step)
		return bgp_reply_feed(r, text, len);
	while (off < len) {
		size_t n = len - off < step ? len - off : step;

		ret = bgp_reply_feed(r, text + off, n);
		if (ret < 0)
			return ret;
		if (ret == 1 && off + n != len)
			return -999;	/* said complete before the end */
		off += n;
	}
	return ret;
}

static void test_framing_chunks(void)
{
	static const size_t steps[] = { 0, 1, 2, 3, 7, 64, 4096 };
	struct bgp_reply whole, r;
	size_t i, j;

	CHECK_EQ_INT(feed(&whole, S1_ROUTE_ALL, 0), 1);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		CHECKF(feed(&r, S1_ROUTE_ALL, steps[i]) == 1, "step %zu", steps[i]);
		CHECK_EQ_INT(r.n, whole.n);
		for (j = 0; j < r.n && j < whole.n; j++) {
			CHECK_EQ_INT(r.lines[j].code, whole.lines[j].code);
			CHECK_EQ_STR(r.lines[j].text, whole.lines[j].text);
		}
		bgp_reply_free(&r);
	}
	CHECK_EQ_INT(whole.code, 0);
	/* "1007-Table master4:", " 10.251.91.0/24 ...", " \tdev cbr0", ... */
	CHECK_EQ_INT(whole.lines[0].code, 1007);
	CHECK_EQ_STR(whole.lines[0].text, "Table master4:");
	CHECK_EQ_INT(whole.lines[1].code, 1007);
	CHECK_EQ_STR(whole.lines[2].text, "\tdev cbr0");
	CHECK_EQ_INT(whole.lines[3].code, 1008);
	CHECK_EQ_STR(whole.lines[3].text, "\tType: static univ");
	/* A continuation of a 1012 line keeps 1012. */
	CHECK_EQ_INT(whole.lines[11].code, 1012);
	CHECK_EQ_STR(whole.lines[11].text, "\tBGP.as_path: ");
	CHECK_EQ_STR(whole.lines[whole.n - 1].text, "");
	bgp_reply_free(&whole);
}

static void test_framing_partial_and_codes(void)
{
	struct bgp_reply r;

	memset(&r, 0, sizeof(r));
	CHECK_EQ_INT(bgp_reply_feed(&r, "2002-Name\n1002-x BGP", 20), 0);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(bgp_reply_feed(&r, " --- up\n", 8), 0);
	CHECK_EQ_STR(r.lines[1].text, "x BGP --- up");
	CHECK_EQ_INT(bgp_reply_feed(&r, "0000 ", 5), 0);
	CHECK(!r.done);
	CHECK_EQ_INT(bgp_reply_feed(&r, "\n", 1), 1);
	CHECK_EQ_INT(r.code, 0);
	/* Nothing may follow the last line. */
	CHECK_EQ_INT(bgp_reply_feed(&r, "1002-y\n", 7), -EPROTO);
	bgp_reply_free(&r);

	CHECK_EQ_INT(feed(&r, GREETING, 1), 1);
	CHECK_EQ_INT(r.code, 1);
	CHECK_EQ_STR(r.lines[0].text, "BIRD 2.0.12 ready.");
	bgp_reply_free(&r);

	CHECK_EQ_INT(feed(&r, SYNTAX, 3), 1);
	CHECK_EQ_INT(r.code, 9001);
	CHECK_EQ_INT(r.n, 1);
	CHECK_HAS_STR(r.lines[0].text, "syntax error");
	bgp_reply_free(&r);

	CHECK_EQ_INT(feed(&r, CONF_BAD, 0), 1);
	CHECK_EQ_INT(r.code, 8002);
	CHECK_EQ_INT(r.n, 2);
	bgp_reply_free(&r);
}

static void test_framing_malformed(void)
{
	static const char *bad[] = {
		" orphan continuation\n",
		"12a4-x\n",
		"1234x\n",
		"123\n",
		"\n",
		"abcd text\n",
		"1002-ok\n\n",
		"1002-ok\nnot a line\n",
	};
	struct bgp_reply r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECKF(feed(&r, bad[i], 0) == -EPROTO, "%s", bad[i]);
		bgp_reply_free(&r);
		CHECKF(feed(&r, bad[i], 1) == -EPROTO, "%s bytewise", bad[i]);
		bgp_reply_free(&r);
	}
	/* An embedded NUL is not text. */
	memset(&r, 0, sizeof(r));
	CHECK_EQ_INT(bgp_reply_feed(&r, "1002-a\0b\n", 9), -EPROTO);
	bgp_reply_free(&r);
}

/* A line longer than any fixed buffer: read whole while sane, refused
 * (never overflowed) past the bound, fed at once or in pieces. */
static void test_framing_long_lines(void)
{
	size_t big = 200 * 1024, ok = 20000, i;
	char *s = malloc(big + 16);
	struct bgp_reply r;

	if (!CHECK(s))
		return;
	memcpy(s, "1002-", 5);
	memset(s + 5, 'x', ok);
	memcpy(s + 5 + ok, "\n0000 \n", 8);
	CHECK_EQ_INT(feed(&r, s, 0), 1);
	CHECK_EQ_INT(strlen(r.lines[0].text), ok);
	bgp_reply_free(&r);
	CHECK_EQ_INT(feed(&r, s, 1000), 1);
	CHECK_EQ_INT(strlen(r.lines[0].text), ok);
	bgp_reply_free(&r);

	memset(s + 5, 'x', big);
	memcpy(s + 5 + big, "\n0000 \n", 8);
	CHECK_EQ_INT(feed(&r, s, 0), -EPROTO);
	bgp_reply_free(&r);
	memset(&r, 0, sizeof(r));
	for (i = 0; i < big; i += 4096)
		if (bgp_reply_feed(&r, s + i, 4096) < 0)
			break;
	CHECK(i < big);
	bgp_reply_free(&r);
	free(s);
}

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	CHECK_EQ_INT(addr_parse(s, &a), 0);
	return a;
}

static void test_sessions_up(void)
{
	struct bgp_session *s = NULL;
	struct bgp_reply r;
	size_t n = 0;

	CHECK_EQ_INT(feed(&r, S1_PROTOCOLS_ALL, 5), 1);
	CHECK_EQ_INT(bgp_sessions_parse(&r, &s, &n), 0);
	bgp_reply_free(&r);
	if (!CHECK_N(n, 2))
		goto out;
	CHECK_EQ_STR(s[0].proto, "Mesh_172_31_0_3");
	CHECK_EQ_STR(s[0].state, "up");
	CHECK_EQ_STR(s[0].bgp_state, "Established");
	CHECK_EQ_STR(s[0].info, "");
	CHECK_EQ_STR(s[0].last_error, "");
	CHECK_EQ_INT(s[0].neighbor, ip("172.31.0.3"));
	CHECK_EQ_INT(s[0].source, ip("172.31.0.2"));
	CHECK(!s[0].rr_client);
	CHECK_EQ_INT(s[0].imported, 1);
	CHECK_EQ_INT(s[0].filtered, 0);
	CHECK_EQ_INT(s[0].exported, 1);
	CHECK_EQ_INT(s[0].preferred, 1);
	CHECK_EQ_STR(s[1].proto, "Node_172_31_0_4");
	CHECK_EQ_INT(s[1].neighbor, ip("172.31.0.4"));
	/* the reflector sends .3's route (not preferred: the mesh copy is),
	 * its own pod_cidr and other_static routes */
	CHECK_EQ_INT(s[1].imported, 3);
	CHECK_EQ_INT(s[1].exported, 1);
	CHECK_EQ_INT(s[1].preferred, 2);
out:
	free(s);
}

static void test_sessions_rr(void)
{
	struct bgp_session *s = NULL;
	struct bgp_reply r;
	size_t n = 0;

	CHECK_EQ_INT(feed(&r, RR_PROTOCOLS_ALL, 1), 1);
	CHECK_EQ_INT(bgp_sessions_parse(&r, &s, &n), 0);
	bgp_reply_free(&r);
	if (!CHECK_N(n, 2))
		goto out;
	CHECK_EQ_STR(s[0].proto, "Node_172_31_0_2");
	CHECK(s[0].rr_client);
	CHECK(s[1].rr_client);
	CHECK_EQ_INT(s[0].source, ip("172.31.0.4"));
	CHECK_EQ_INT(s[1].neighbor, ip("172.31.0.3"));
	CHECK_EQ_INT(s[0].exported, 3);
out:
	free(s);
}

static void test_sessions_active(void)
{
	struct bgp_session *s = NULL;
	struct bgp_reply r;
	size_t n = 0;

	CHECK_EQ_INT(feed(&r, S1_ACTIVE, 2), 1);
	CHECK_EQ_INT(bgp_sessions_parse(&r, &s, &n), 0);
	bgp_reply_free(&r);
	if (!CHECK_N(n, 1))
		goto out;
	CHECK_EQ_STR(s[0].state, "start");
	CHECK_EQ_STR(s[0].bgp_state, "Active");
	CHECK_EQ_STR(s[0].info, "Socket: Connection refused");
	CHECK_EQ_STR(s[0].last_error, "Socket: Connection refused");
	CHECK_EQ_INT(s[0].neighbor, ip("172.31.0.3"));
	CHECK_EQ_INT(s[0].source, 0);
	CHECK_EQ_INT(s[0].imported, 0);
out:
	free(s);

	/* Without `all`: the summary lines alone, as continuations. */
	CHECK_EQ_INT(feed(&r, PROTOCOLS_SHORT, 0), 1);
	CHECK_EQ_INT(bgp_sessions_parse(&r, &s, &n), 0);
	bgp_reply_free(&r);
	if (CHECK_N(n, 2)) {
		CHECK_EQ_STR(s[0].proto, "Mesh_172_31_0_3");
		CHECK_EQ_STR(s[0].info, "Socket: Connection refused");
		CHECK_EQ_STR(s[1].bgp_state, "Established");
	}
	free(s);
}

static void test_sessions_errors(void)
{
	static const char *bad[] = {
		/* a BGP line without its columns */
		"1002-Mesh_1 BGP\n0000 \n",
		/* a neighbor that is no address */
		"1002-Mesh_1 BGP --- up 22:00:00.000 Established\n"
		"1006-  BGP state: Established\n     Neighbor address: nowhere\n0000 \n",
		/* a route count that is no number */
		"1002-Mesh_1 BGP --- up 22:00:00.000 Established\n"
		"1006-  BGP state: Established\n     Routes: x imported\n0000 \n",
		/* a name longer than any BIRD protocol's */
		"1002-Mesh_1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx BGP --- up 22:00:00.000 Established\n0000 \n",
	};
	struct bgp_session *s;
	struct bgp_reply r;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECKF(feed(&r, bad[i], 0) == 1, "%zu", i);
		CHECKF(bgp_sessions_parse(&r, &s, &n) == -EPROTO, "%zu", i);
		CHECK(s == NULL && n == 0);
		bgp_reply_free(&r);
	}
	CHECK_EQ_INT(feed(&r, SYNTAX, 0), 1);
	CHECK_EQ_INT(bgp_sessions_parse(&r, &s, &n), -EINVAL);
	bgp_reply_free(&r);
	/* An unfinished reply is not read. */
	memset(&r, 0, sizeof(r));
	CHECK_EQ_INT(bgp_reply_feed(&r, "1002-x BGP\n", 11), 0);
	CHECK_EQ_INT(bgp_sessions_parse(&r, &s, &n), -EPROTO);
	bgp_reply_free(&r);
}

static void test_routes_all(void)
{
	struct bgp_route *rt = NULL;
	struct bgp_reply r;
	char buf[CIDR_STRLEN];
	size_t n = 0;

	CHECK_EQ_INT(feed(&r, S1_ROUTE_ALL, 1), 1);
	CHECK_EQ_INT(bgp_routes_parse(&r, &rt, &n), 0);
	bgp_reply_free(&r);
	if (!CHECK_N(n, 6))
		goto out;
	/* static device route */
	CHECK_EQ_STR(cidr_fmt(&rt[0].prefix, buf), "10.251.91.0/24");
	CHECK_EQ_STR(rt[0].proto, "other_static");
	CHECK_EQ_STR(rt[0].dev, "cbr0");
	CHECK_EQ_INT(rt[0].gateway, 0);
	CHECK(rt[0].best && !rt[0].bgp);
	CHECK_EQ_STR(rt[1].proto, "pod_cidr");
	/* the mesh peer's route: best, via/on, BGP.next_hop, no from */
	CHECK_EQ_STR(cidr_fmt(&rt[2].prefix, buf), "10.251.2.0/24");
	CHECK_EQ_STR(rt[2].proto, "Mesh_172_31_0_3");
	CHECK(rt[2].best && rt[2].bgp);
	CHECK_EQ_INT(rt[2].gateway, ip("172.31.0.3"));
	CHECK_EQ_STR(rt[2].dev, "eth0");
	CHECK_EQ_INT(rt[2].bgp_next_hop, ip("172.31.0.3"));
	CHECK_EQ_INT(rt[2].from, 0);
	/* the reflected copy: blank prefix column, not best, from .4 */
	CHECK_EQ_STR(cidr_fmt(&rt[3].prefix, buf), "10.251.2.0/24");
	CHECK_EQ_STR(rt[3].proto, "Node_172_31_0_4");
	CHECK(!rt[3].best && rt[3].bgp);
	CHECK_EQ_INT(rt[3].from, ip("172.31.0.4"));
	CHECK_EQ_INT(rt[3].gateway, ip("172.31.0.3"));
	CHECK_EQ_INT(rt[3].bgp_next_hop, ip("172.31.0.3"));
	/* the reflector's own route */
	CHECK_EQ_STR(cidr_fmt(&rt[4].prefix, buf), "10.251.3.0/24");
	CHECK_EQ_INT(rt[4].gateway, ip("172.31.0.4"));
	CHECK_EQ_INT(rt[4].from, 0);
	CHECK_EQ_STR(cidr_fmt(&rt[5].prefix, buf), "10.251.93.0/24");
out:
	free(rt);
}

static void test_routes_other(void)
{
	struct bgp_route *rt = NULL;
	struct bgp_reply r;
	char buf[CIDR_STRLEN];
	size_t n = 9;

	CHECK_EQ_INT(feed(&r, S1_NOEXPORT, 0), 1);
	CHECK_EQ_INT(bgp_routes_parse(&r, &rt, &n), 0);
	bgp_reply_free(&r);
	if (CHECK_N(n, 1)) {
		CHECK_EQ_STR(cidr_fmt(&rt[0].prefix, buf), "10.251.91.0/24");
		CHECK_EQ_STR(rt[0].proto, "other_static");
	}
	free(rt);

	/* 8001 is an empty answer, not an error */
	CHECK_EQ_INT(feed(&r, NOT_FOUND, 0), 1);
	CHECK_EQ_INT(bgp_routes_parse(&r, &rt, &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK(rt == NULL);
	bgp_reply_free(&r);

	CHECK_EQ_INT(feed(&r, SYNTAX, 0), 1);
	CHECK_EQ_INT(bgp_routes_parse(&r, &rt, &n), -EINVAL);
	bgp_reply_free(&r);
}

static void test_routes_malformed(void)
{
	static const char *bad[] = {
		/* an attribute before any route */
		"1007-Table master4:\n \tvia 1.2.3.4 on eth0\n0000 \n",
		/* a blank prefix with no route before it */
		"1007-Table master4:\n      unicast [p 1:2:3] * (100)\n0000 \n",
		/* no bracket */
		"1007-10.0.0.0/8 unicast p * (100)\n0000 \n",
		"1007-10.0.0.0/8 unicast [p 1:2:3\n0000 \n",
		/* a prefix that is none */
		"1007-10.0.0.300/8 unicast [p 1:2:3] *\n0000 \n",
		"1007-10.0.0.0/8\n0000 \n",
		"1007-10.0.0.0/8 unicast [p 1:2:3 from] *\n0000 \n",
		"1007-10.0.0.0/8 unicast [p 1:2:3 from x] *\n0000 \n",
		"1007-10.0.0.0/8 unicast [p 1:2:3] *\n \tvia nowhere on eth0\n0000 \n",
		"1007-10.0.0.0/8 unicast [p 1:2:3] *\n \tvia 1.2.3.4 on\n0000 \n",
		"1007-10.0.0.0/8 unicast [p 1:2:3] *\n \tdev a-name-far-too-long-for-ifnamsiz\n0000 \n",
		"1007-10.0.0.0/8 unicast [p 1:2:3] *\n1012-\tBGP.next_hop: 1.2.3\n0000 \n",
		"1007-10.0.0.0/8 unicast []\n0000 \n",
	};
	struct bgp_route *rt;
	struct bgp_reply r;
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECKF(feed(&r, bad[i], 0) == 1, "%zu", i);
		CHECKF(bgp_routes_parse(&r, &rt, &n) == -EPROTO, "%zu: %s", i, bad[i]);
		CHECK(rt == NULL && n == 0);
		bgp_reply_free(&r);
	}
}

/* A small deterministic fuzz: every captured reply, cut, with bytes
 * flipped, newlines and blanks inserted, fed in random chunks, through
 * framing and both parsers. It passes if nothing crashes or leaks (the
 * ASan build runs it) and every result is a complete parse or an error. */
static unsigned next_rand(unsigned long long *st)
{
	*st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(*st >> 33);
}

static void test_mutations(void)
{
	static const char *seeds[] = {
		S1_PROTOCOLS_ALL, RR_PROTOCOLS_ALL, S1_ACTIVE, S1_ROUTE_ALL,
		S1_NOEXPORT, PROTOCOLS_SHORT, NOT_FOUND, SYNTAX,
	};
	static const char alphabet[] = " \t\n-0189[]*/.:abBGP";
	unsigned long long st = 15;
	size_t iter, nseeds = sizeof(seeds) / sizeof(seeds[0]);
	unsigned ok = 0, bad = 0;

	for (iter = 0; iter < 20000; iter++) {
		const char *seed = seeds[iter % nseeds];
		size_t len = strlen(seed), off = 0, k, nmut;
		char *m = malloc(len + 1);
		struct bgp_session *s;
		struct bgp_route *rt;
		struct bgp_reply r;
		size_t n;
		int ret = 0;

		if (!m)
			return;
		memcpy(m, seed, len + 1);
		nmut = 1 + next_rand(&st) % 4;
		for (k = 0; k < nmut; k++) {
			size_t at = next_rand(&st) % len;

			switch (next_rand(&st) % 3) {
			case 0:
				m[at] = alphabet[next_rand(&st) % (sizeof(alphabet) - 1)];
				break;
			case 1:
				m[at] = (char)(next_rand(&st) & 0xff);
				break;
			default:
				len = at + 1;	/* cut short */
				break;
			}
		}
		memset(&r, 0, sizeof(r));
		while (off < len && ret == 0) {
			size_t step = 1 + next_rand(&st) % 97;

			if (step > len - off)
				step = len - off;
			ret = bgp_reply_feed(&r, m + off, step);
			off += step;
		}
		if (ret == 1) {
			if (bgp_sessions_parse(&r, &s, &n) == 0)
				free(s);
			else
				CHECK(s == NULL && n == 0);
			if (bgp_routes_parse(&r, &rt, &n) == 0)
				free(rt);
			else
				CHECK(rt == NULL && n == 0);
			ok++;
		} else {
			bad++;
		}
		bgp_reply_free(&r);
		free(m);
	}
	/* both outcomes were exercised */
	CHECK(ok > 1000 && bad > 1000);
}

/* The socket side where no BIRD runs: no file, and a file nobody serves. */
static void test_open_errors(void)
{
	struct bgp_ctl *c = (struct bgp_ctl *)1;
	char path[] = "/tmp/pp-bgpctl-XXXXXX";
	char sock[64];

	CHECK_EQ_INT(bgp_ctl_open("/nonexistent/bird.ctl", 100, &c), -ENOENT);
	CHECK(c == NULL);
	if (!CHECK(mkdtemp(path)))
		return;
	snprintf(sock, sizeof(sock), "%s/s", path);
	/* a socket file left by a BIRD that died: bound, nobody listening */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		close(fd);
	}
	CHECK_EQ_INT(bgp_ctl_open(sock, 100, &c), -ECONNREFUSED);
	CHECK(c == NULL);
	unlink(sock);
	rmdir(path);
}

/* ---- a scripted stand-in for BIRD on a real unix socket ---- */

/* One exchange: the command line expected, then the reply to write (in
 * 7-byte pieces), or HANG (never answer) or CUT (half a reply, then close). */
struct step {
	const char *expect;
	const char *reply;
};

#define HANG "<hang>"
#define CUT "<cut>"

static void put_all(int fd, const char *s, size_t len, size_t piece)
{
	while (len > 0) {
		size_t n = len < piece ? len : piece;
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			_exit(3);
		s += w;
		len -= (size_t)w;
	}
}

/* The child: greet, then play the steps; exit 0 if every command was the
 * one expected, after the client closed (or at once after a down). */
static void fake_bird_run(int lfd, const struct step *steps, size_t n, bool close_after)
{
	char line[512], c;
	size_t i, len;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		_exit(2);
	put_all(fd, GREETING, strlen(GREETING), 3);
	for (i = 0; i < n; i++) {
		len = 0;
		while (read(fd, &c, 1) == 1 && c != '\n')
			if (len < sizeof(line) - 1)
				line[len++] = c;
		line[len] = '\0';
		if (strcmp(line, steps[i].expect))
			_exit(10 + (int)i);
		if (!strcmp(steps[i].reply, HANG))
			break;
		if (!strcmp(steps[i].reply, CUT)) {
			put_all(fd, S1_ROUTE_ALL, 100, 7);
			_exit(0);
		}
		put_all(fd, steps[i].reply, strlen(steps[i].reply), 7);
	}
	if (close_after)
		_exit(0);
	while (read(fd, &c, 1) > 0)
		;
	_exit(0);
}

/* Listen on dir/s and fork the stand-in; its pid, or -1. */
static pid_t fake_bird(const char *sock, const struct step *steps, size_t n, bool close_after)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	unlink(sock);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0)
		return -1;
	pid = fork();
	if (pid == 0)
		fake_bird_run(lfd, steps, n, close_after);
	close(lfd);
	return pid;
}

static int fake_bird_status(pid_t pid)
{
	int st = -1;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static void test_ctl_conversation(void)
{
	static const struct step steps[] = {
		{ "show route for 10.251.2.7 all", S1_ROUTE_ALL },
		{ "show protocols all", RR_PROTOCOLS_ALL },
		{ "show route 10.251.9.0/24 all", NOT_FOUND },
		{ "configure", CONF_BAD },
		{ "configure", "0002-Reading configuration from /tmp/bxc/b1.conf\n0003 Reconfigured\n" },
		{ "bogus", SYNTAX },
	};
	char dir[] = "/tmp/pp-bgpctl-XXXXXX", sock[64], msg[128];
	struct bgp_session *s = NULL;
	struct bgp_route *rt = NULL;
	struct bgp_reply r;
	struct bgp_ctl *c;
	size_t n = 0;
	pid_t pid;

	if (!CHECK(mkdtemp(dir)))
		return;
	snprintf(sock, sizeof(sock), "%s/s", dir);
	pid = fake_bird(sock, steps, sizeof(steps) / sizeof(steps[0]), false);
	if (!CHECK(pid > 0) || !CHECK(bgp_ctl_open(sock, 3000, &c) == 0))
		goto out;
	CHECK_EQ_INT(bgp_routes(c, "for 10.251.2.7", &rt, &n), 0);
	CHECK_EQ_INT(n, 6);
	free(rt);
	CHECK_EQ_INT(bgp_sessions(c, &s, &n), 0);
	CHECK_EQ_INT(n, 2);
	free(s);
	CHECK_EQ_INT(bgp_routes(c, "10.251.9.0/24", &rt, &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(bgp_ctl_configure(c, msg, sizeof(msg)), -EINVAL);
	CHECK_EQ_STR(msg, "/tmp/bxc/b1.conf:21:10 syntax error, unexpected CF_SYM_UNDEFINED");
	CHECK_EQ_INT(bgp_ctl_configure(c, msg, sizeof(msg)), 0);
	CHECK_EQ_STR(msg, "");
	CHECK_EQ_INT(bgp_ctl_cmd(c, "bogus", &r), 0);
	CHECK_EQ_INT(r.code, 9001);
	bgp_reply_free(&r);
	/* a command is one line */
	CHECK_EQ_INT(bgp_ctl_cmd(c, "show status\ndown", &r), -EINVAL);
	bgp_ctl_close(c);
out:
	/* the stand-in saw every command it expected */
	CHECK_EQ_INT(fake_bird_status(pid), 0);
	unlink(sock);
	rmdir(dir);
}

static void test_ctl_hang_cut_down(void)
{
	static const struct step hang[] = { { "show status", HANG } };
	static const struct step cut[] = { { "show route all", CUT } };
	static const struct step down[] = { { "down", "0007 Shutdown requested\n" } };
	char dir[] = "/tmp/pp-bgpctl-XXXXXX", sock[64];
	struct bgp_route *rt;
	struct bgp_reply r;
	struct bgp_ctl *c;
	size_t n;
	pid_t pid;

	if (!CHECK(mkdtemp(dir)))
		return;
	snprintf(sock, sizeof(sock), "%s/s", dir);

	pid = fake_bird(sock, hang, 1, false);
	if (CHECK(bgp_ctl_open(sock, 200, &c) == 0)) {
		CHECK_EQ_INT(bgp_ctl_cmd(c, "show status", &r), -ETIMEDOUT);
		CHECK(r.n == 0 && r.lines == NULL);
		bgp_ctl_close(c);
	}
	CHECK_EQ_INT(fake_bird_status(pid), 0);

	pid = fake_bird(sock, cut, 1, true);
	if (CHECK(bgp_ctl_open(sock, 3000, &c) == 0)) {
		CHECK_EQ_INT(bgp_routes(c, "", &rt, &n), -ECONNRESET);
		bgp_ctl_close(c);
	}
	CHECK_EQ_INT(fake_bird_status(pid), 0);

	/* down returns once BIRD closed the connection... */
	pid = fake_bird(sock, down, 1, true);
	if (CHECK(bgp_ctl_open(sock, 3000, &c) == 0)) {
		CHECK_EQ_INT(bgp_ctl_down(c), 0);
		bgp_ctl_close(c);
	}
	CHECK_EQ_INT(fake_bird_status(pid), 0);
	/* ...and says so when it did not */
	pid = fake_bird(sock, down, 1, false);
	if (CHECK(bgp_ctl_open(sock, 200, &c) == 0)) {
		CHECK_EQ_INT(bgp_ctl_down(c), -ETIMEDOUT);
		bgp_ctl_close(c);
	}
	CHECK_EQ_INT(fake_bird_status(pid), 0);
	unlink(sock);
	rmdir(dir);
}

int main(void)
{
	RUN(test_framing_chunks);
	RUN(test_framing_partial_and_codes);
	RUN(test_framing_malformed);
	RUN(test_framing_long_lines);
	RUN(test_sessions_up);
	RUN(test_sessions_rr);
	RUN(test_sessions_active);
	RUN(test_sessions_errors);
	RUN(test_routes_all);
	RUN(test_routes_other);
	RUN(test_routes_malformed);
	RUN(test_mutations);
	RUN(test_open_errors);
	RUN(test_ctl_conversation);
	RUN(test_ctl_hang_cut_down);
	return unit_summary();
}
