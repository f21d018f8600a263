/* The explain TUI's quiz on a pod-to-Service trace built by hand: steps in
 * hop order named as places and mechanisms (no veth names), the DNAT and
 * conntrack's undoing among them, questions in hop order with three
 * distinct options, exactly one right, and a reason for each. */
#include "out/quiz.h"
#include "unit.h"

static int zero(void)
{
	return 0;
}

static int seq_state;
static int seq(void)
{
	return seq_state++;
}

/* client -> node-1 (DNAT to web-2) -> VPC -> node-2 -> web-2, and back. */
struct hopdef {
	size_t ns;
	const char *ifname;
	bool out, reply;
	const char *change, *why;
	enum trace_moved moved;
	unsigned changed;
};

static const struct hopdef path[] = {
	{ 0, "eth0", true, false, "", "route default via 10.244.1.1 dev eth0", TRACE_MOVED_ROUTED, 0 },
	{ 1, "vethaaaa1111", false, false, "", "over the link from pod default/client eth0", TRACE_MOVED_LINK, 0 },
	{ 1, "cbr0", false, false, "", "bridge cbr0 hands it to the IP layer", TRACE_MOVED_UP, 0 },
	{ 1, "eth0", true, false, "destination NAT: 10.96.0.1:80 -> 10.244.2.2:8080",
	  "route 10.244.2.0/24 via 172.18.0.3 dev eth0", TRACE_MOVED_ROUTED, TRACE_CHG_DST },
	{ 2, "n-node-1", false, false, "", "over the link from node node-1 eth0", TRACE_MOVED_LINK, 0 },
	{ 2, "n-node-2", true, false, "", "bridged to n-node-2 by its bridge's forwarding table", TRACE_MOVED_BRIDGED, 0 },
	{ 3, "eth0", false, false, "", "over the link from VPC n-node-2", TRACE_MOVED_LINK, 0 },
	{ 3, "cbr0", true, false, "", "route 10.244.2.0/24 dev cbr0 (connected)", TRACE_MOVED_ROUTED, 0 },
	{ 3, "vethbbbb2222", true, false, "", "bridge cbr0 forwards to port vethbbbb2222", TRACE_MOVED_ROUTED_BRIDGED, 0 },
	{ 4, "eth0", false, false, "", "over the link from node node-2 vethbbbb2222", TRACE_MOVED_LINK, 0 },
	{ 4, "eth0", true, true, "", "route default via 10.244.2.1 dev eth0", TRACE_MOVED_ROUTED, 0 },
	{ 3, "vethbbbb2222", false, true, "", "over the link from pod default/web-2 eth0", TRACE_MOVED_LINK, 0 },
	{ 3, "cbr0", false, true, "", "bridge cbr0 hands it to the IP layer", TRACE_MOVED_UP, 0 },
	{ 3, "eth0", true, true, "", "route 10.244.1.0/24 via 172.18.0.2 dev eth0", TRACE_MOVED_ROUTED, 0 },
	{ 2, "n-node-2", false, true, "", "over the link from node node-2 eth0", TRACE_MOVED_LINK, 0 },
	{ 2, "n-node-1", true, true, "", "bridged to n-node-1 by its bridge's forwarding table", TRACE_MOVED_BRIDGED, 0 },
	{ 1, "eth0", false, true, "", "over the link from VPC n-node-1", TRACE_MOVED_LINK, 0 },
	{ 1, "cbr0", true, true, "NAT undone (conntrack), source: 10.244.2.2:8080 -> 10.96.0.1:80",
	  "route 10.244.1.0/24 dev cbr0 (connected)", TRACE_MOVED_ROUTED, TRACE_CHG_SRC },
	{ 1, "vethaaaa1111", true, true, "", "bridge cbr0 forwards to port vethaaaa1111", TRACE_MOVED_ROUTED_BRIDGED, 0 },
	{ 0, "eth0", false, true, "", "over the link from node node-1 vethaaaa1111", TRACE_MOVED_LINK, 0 },
};
#define NHOPS (sizeof(path) / sizeof(path[0]))

static char labels[5][TRACE_LABEL_MAX] = {
	"pod default/client", "node node-1", "VPC", "node node-2", "pod default/web-2",
};
static struct capture_pkt pkts[NHOPS];
static struct trace t;

static void build(void)
{
	t.ns_label = labels;
	t.nns = 5;
	t.nhops = NHOPS;
	t.dst.ip = 0x0a600001;
	for (size_t i = 0; i < NHOPS; i++) {
		snprintf(pkts[i].ifname, sizeof(pkts[i].ifname), "%s", path[i].ifname);
		pkts[i].outgoing = path[i].out;
		t.hops[i].pkt = &pkts[i];
		t.hops[i].ns = path[i].ns;
		t.hops[i].reply = path[i].reply;
		snprintf(t.hops[i].change, sizeof(t.hops[i].change), "%s", path[i].change);
		snprintf(t.hops[i].why, sizeof(t.hops[i].why), "%s", path[i].why);
		t.hops[i].moved = path[i].moved;
		t.hops[i].changed = path[i].changed;
		t.hops[i].svc.svc = -1;
	}
}

static bool names_a_veth(const char *s)
{
	return strstr(s, "vethaaaa1111") || strstr(s, "vethbbbb2222") || strstr(s, "n-node-");
}

static void test_steps(void)
{
	struct quiz_step s[QUIZ_STEPS_MAX];
	size_t n = quiz_steps(&t, s, QUIZ_STEPS_MAX), dnat = SIZE_MAX, undo = SIZE_MAX;

	CHECK(n >= 10);
	for (size_t i = 0; i < n; i++) {
		CHECKF(!names_a_veth(s[i].what), "step %zu: %s", i, s[i].what);
		if (i)
			CHECKF(s[i].hop >= s[i - 1].hop, "step %zu at hop %zu after hop %zu", i, s[i].hop,
			       s[i - 1].hop);
		if (!strcmp(s[i].what, "kube-proxy's DNAT in node-1"))
			dnat = i;
		if (!strcmp(s[i].what, "conntrack reverses the DNAT in node-1"))
			undo = i;
	}
	CHECK(dnat != SIZE_MAX && s[dnat].hop == 3 && !s[dnat].reply && s[dnat].nat);
	CHECK(undo != SIZE_MAX && s[undo].hop == 17 && s[undo].reply);
	CHECK(!strcmp(s[0].what, "pod default/client's eth0, by its default route"));
	/* the veth's in and out hops in node-1: one place, not the interface */
	CHECK(!strcmp(s[1].what, "the pod's veth pair, into node-1"));
}

static void test_questions(int (*rnd)(void))
{
	struct quiz_question q[QUIZ_MAX];
	size_t n = quiz_make(&t, q, rnd), last = 0;

	CHECK(n == QUIZ_MAX);
	for (size_t i = 0; i < n; i++) {
		int right = 0;

		CHECKF(q[i].hop >= last, "question %zu at hop %zu after hop %zu", i, q[i].hop, last);
		last = q[i].hop;
		CHECK(q[i].answer == -1);
		CHECK(q[i].right >= 0 && q[i].right < QUIZ_OPTS);
		for (int o = 0; o < QUIZ_OPTS; o++) {
			CHECKF(!names_a_veth(q[i].opt[o]), "question %zu option %d: %s", i, o, q[i].opt[o]);
			CHECKF(q[i].why[o][0], "question %zu option %d has no reason", i, o);
			right += !strncmp(q[i].why[o], "right:", 6);
			for (int p = 0; p < o; p++)
				CHECKF(strcmp(q[i].opt[o], q[i].opt[p]), "question %zu: %s twice", i,
				       q[i].opt[o]);
		}
		CHECKF(right == 1 && !strncmp(q[i].why[q[i].right], "right:", 6),
		       "question %zu: %d right reasons", i, right);
	}
}

static size_t step_at(const struct quiz_step *s, size_t n, const char *what, bool reply)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += !strcmp(s[i].what, what) && s[i].reply == reply;
	return k;
}

/* The VPC is named by how hops.c says it moved the packet, never by its
 * prose: the hop leaving it bridged -> its bridge, once per direction
 * (the hop arriving, over a link, is the same place); routed out of its
 * bridge device, then switched to the port -> its route table. */
static void test_vpc_moved(void)
{
	struct quiz_step s[QUIZ_STEPS_MAX];
	const char *br = "the VPC's bridge " LAB_VPC_BRIDGE_NAME " (one subnet)";
	size_t n;

	build();
	n = quiz_steps(&t, s, QUIZ_STEPS_MAX);
	CHECK_EQ_INT(step_at(s, n, br, false), 1);
	CHECK_EQ_INT(step_at(s, n, br, true), 1);
	CHECK_EQ_INT(step_at(s, n, "the VPC route table", false), 0);
	/* Routed: the request leaves the VPC's bridge device, TTL cut, then
	 * the bridge picks node-2's port; the text still says "bridge". */
	t.hops[5].moved = TRACE_MOVED_ROUTED_BRIDGED;
	snprintf(t.hops[5].why, sizeof(t.hops[5].why), "bridged to n-node-2: the bridge forwards");
	n = quiz_steps(&t, s, QUIZ_STEPS_MAX);
	CHECK_EQ_INT(step_at(s, n, br, false), 0);
	CHECK_EQ_INT(step_at(s, n, "the VPC route table", false), 1);
	CHECK_EQ_INT(step_at(s, n, br, true), 1);
	/* The NAT steps come from the change bits, whatever the text says. */
	for (size_t i = 0; i < NHOPS; i++)
		t.hops[i].change[0] = '\0';
	CHECK_EQ_INT(step_at(s, quiz_steps(&t, s, QUIZ_STEPS_MAX), "kube-proxy's DNAT in node-1",
			     false), 1);
	CHECK_EQ_INT(step_at(s, quiz_steps(&t, s, QUIZ_STEPS_MAX),
			     "conntrack reverses the DNAT in node-1", true), 1);
	build();
}

static void test_zero(void) { test_questions(zero); }
static void test_seq(void) { test_questions(seq); }

/* bgp mode: the VPC router's pod route, when offered, is never right (it
 * holds none), and the questions keep their shape. */
static void test_bgp(void)
{
	static struct lab l;
	struct quiz_question q[QUIZ_MAX];
	size_t n, offered = 0;

	l.topo.net.mode = TOPO_MODE_BGP;
	t.lab = &l;
	test_questions(zero);
	seq_state = 0;
	for (int r = 0; r < 2; r++) {
		n = quiz_make(&t, q, r ? seq : zero);
		for (size_t i = 0; i < n; i++)
			for (int o = 0; o < QUIZ_OPTS; o++)
				if (!strcmp(q[i].opt[o], "the VPC router's route to the pod CIDR")) {
					offered++;
					CHECKF(!strncmp(q[i].why[o], "no: in bgp mode the VPC router holds "
							"no pod routes", 40), "%s", q[i].why[o]);
				}
	}
	CHECK(offered > 0);
	t.lab = NULL;
}

int main(void)
{
	build();
	RUN(test_steps);
	RUN(test_vpc_moved);
	RUN(test_zero);
	RUN(test_seq);
	RUN(test_bgp);
	return unit_summary();
}
