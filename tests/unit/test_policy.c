/* lib/policy's pure part: selection, names and the evaluator, against the
 * truth tables of the upstream NetworkPolicy e2e suite
 * (test/e2e/network/netpol): namespaces x, y, z labelled ns=<name>; pods a,
 * b, c in each, labelled pod=<name>, each serving 80 and 81 over TCP and
 * UDP with named ports serve-80-tcp and so on; spread over two nodes. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "policy/policy.h"
#include "unit.h"

#define NNS 3
#define NPODS 9		/* x/a x/b x/c y/a ... z/c */

static struct topo_port serve_ports[] = {
	{ "serve-80-tcp", 80, TOPO_PROTO_TCP }, { "serve-80-udp", 80, TOPO_PROTO_UDP },
	{ "serve-81-tcp", 81, TOPO_PROTO_TCP }, { "serve-81-udp", 81, TOPO_PROTO_UDP },
};
static struct topo_container serve = { "cont-80-81", TOPO_IMAGE_RESPONDER, serve_ports, 4 };

/* The model, built by hand (no parser): pod i is namespace i / 3, name
 * "abc"[i % 3], on node i % 2. */
struct fx {
	struct topo t;
	struct topo_node nodes[2];
	struct topo_pod pods[NPODS];
	struct topo_label pod_labels[NPODS][1];
	struct topo_namespace ns[NNS];
	struct topo_label ns_labels[NNS][2];
	char ns_names[NNS][2], pod_names[NPODS][2];
	struct topo_policy pol[16];
};

static void fx_init(struct fx *f, enum topo_mode mode)
{
	memset(f, 0, sizeof(*f));
	f->t.net.mode = mode;
	for (size_t n = 0; n < 2; n++) {
		struct topo_node *tn = &f->nodes[n];

		snprintf(tn->name, sizeof(tn->name), "node-%zu", n + 1);
		tn->ip = 0xac120002u + (uint32_t)n;		/* 172.18.0.2, .3 */
		if (mode == TOPO_MODE_VPC) {
			tn->gw = 0xa9fe0101u;			/* 169.254.1.1 */
		} else {
			tn->pod_cidr.addr = 0x0af40000u | (uint32_t)(n + 1) << 8;
			tn->pod_cidr.len = 24;
			tn->gw = tn->pod_cidr.addr + 1;
		}
	}
	for (size_t i = 0; i < NNS; i++) {
		f->ns_names[i][0] = (char)('x' + i);
		snprintf(f->ns[i].name, sizeof(f->ns[i].name), "%s", f->ns_names[i]);
		f->ns_labels[i][0] = (struct topo_label){ (char *)"ns", f->ns_names[i] };
		f->ns_labels[i][1] = (struct topo_label){ (char *)TOPO_NS_NAME_LABEL, f->ns_names[i] };
		f->ns[i].labels = f->ns_labels[i];
		f->ns[i].nlabels = 2;
	}
	for (size_t i = 0; i < NPODS; i++) {
		struct topo_pod *p = &f->pods[i];

		f->pod_names[i][0] = (char)('a' + i % 3);
		snprintf(p->ns, sizeof(p->ns), "%s", f->ns_names[i / 3]);
		snprintf(p->name, sizeof(p->name), "%s", f->pod_names[i]);
		p->node = i % 2;
		if (mode == TOPO_MODE_VPC)
			p->ip = 0xac120010u + (uint32_t)i;	/* 172.18.0.16.. */
		else
			p->ip = f->nodes[p->node].pod_cidr.addr + 10 + (uint32_t)i;
		f->pod_labels[i][0] = (struct topo_label){ (char *)"pod", f->pod_names[i] };
		p->labels = f->pod_labels[i];
		p->nlabels = 1;
		p->containers = &serve;
		p->ncontainers = 1;
	}
	f->t.nodes = f->nodes;
	f->t.nnodes = 2;
	f->t.pods = f->pods;
	f->t.npods = NPODS;
	f->t.namespaces = f->ns;
	f->t.nnamespaces = NNS;
	f->t.policies = f->pol;
	f->t.npolicies = 0;
}

static size_t pod_ix(const char *s)	/* "x/a" */
{
	return (size_t)(s[0] - 'x') * 3 + (size_t)(s[2] - 'a');
}

/* Selectors and peers, as compound literals (they live as long as the
 * enclosing block, which is each test). */
#define LBL(k, v) ((struct topo_label){ (char *)(k), (char *)(v) })
#define SEL_ALL ((struct topo_selector){ 0 })
#define SEL1(k, v) ((struct topo_selector){ .match = (struct topo_label[]){ LBL(k, v) }, .nmatch = 1 })
#define PEER_PODS(s) ((struct topo_np_peer){ .has_pods = true, .pods = (s) })
#define PEER_NS(s) ((struct topo_np_peer){ .has_namespaces = true, .namespaces = (s) })
#define PEER_BOTH(ps, ns) \
	((struct topo_np_peer){ .has_pods = true, .pods = (ps), .has_namespaces = true, .namespaces = (ns) })

static struct topo_policy *pol_add(struct fx *f, const char *ns, const char *name,
				   struct topo_selector pods, bool in, bool out)
{
	struct topo_policy *p = &f->pol[f->t.npolicies++];

	memset(p, 0, sizeof(*p));
	snprintf(p->ns, sizeof(p->ns), "%s", ns);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->pods = pods;
	p->ingress = in;
	p->egress = out;
	return p;
}

/* ---- selection ------------------------------------------------------------ */

static void test_selector(void)
{
	struct topo_label l[] = { LBL("app", "web"), LBL("tier", "front") };
	char *vals_web[] = { (char *)"web", (char *)"db" }, *vals_x[] = { (char *)"x" };
	struct topo_sel_expr e;
	struct topo_selector s = { .exprs = &e, .nexprs = 1 };

	CHECK(policy_selector_matches(&SEL_ALL, l, 2));
	CHECK(policy_selector_matches(&SEL_ALL, NULL, 0));
	CHECK(policy_selector_matches(&SEL1("app", "web"), l, 2));
	CHECK(!policy_selector_matches(&SEL1("app", "db"), l, 2));
	CHECK(!policy_selector_matches(&SEL1("zone", "a"), l, 2));
	{
		struct topo_label two[] = { LBL("app", "web"), LBL("tier", "back") };
		struct topo_selector s2 = { .match = two, .nmatch = 2 };

		CHECK(!policy_selector_matches(&s2, l, 2));	/* every pair must hold */
		two[1].value = (char *)"front";
		CHECK(policy_selector_matches(&s2, l, 2));
	}
	e = (struct topo_sel_expr){ (char *)"app", TOPO_SEL_IN, vals_web, 2 };
	CHECK(policy_selector_matches(&s, l, 2));
	e.values = vals_x, e.nvalues = 1;
	CHECK(!policy_selector_matches(&s, l, 2));
	e.key = (char *)"zone";
	CHECK(!policy_selector_matches(&s, l, 2));	/* In: the key must be there */
	e.op = TOPO_SEL_NOT_IN;
	CHECK(policy_selector_matches(&s, l, 2));	/* NotIn holds for an absent key */
	e.key = (char *)"app";
	CHECK(policy_selector_matches(&s, l, 2));	/* web not in {x} */
	e.values = vals_web, e.nvalues = 2;
	CHECK(!policy_selector_matches(&s, l, 2));
	e = (struct topo_sel_expr){ (char *)"tier", TOPO_SEL_EXISTS, NULL, 0 };
	CHECK(policy_selector_matches(&s, l, 2));
	e.key = (char *)"zone";
	CHECK(!policy_selector_matches(&s, l, 2));
	e.op = TOPO_SEL_DOES_NOT_EXIST;
	CHECK(policy_selector_matches(&s, l, 2));
	e.key = (char *)"tier";
	CHECK(!policy_selector_matches(&s, l, 2));
	/* matchLabels and expressions together: both must hold. */
	s.match = (struct topo_label[]){ LBL("app", "web") };
	s.nmatch = 1;
	e = (struct topo_sel_expr){ (char *)"tier", TOPO_SEL_EXISTS, NULL, 0 };
	CHECK(policy_selector_matches(&s, l, 2));
	s.match[0].value = (char *)"db";
	CHECK(!policy_selector_matches(&s, l, 2));
}

static void test_selects(void)
{
	struct fx f;
	struct topo_policy *p;

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "sel-a", SEL1("pod", "a"), true, false);
	CHECK(policy_selects(&f.t, p, pod_ix("x/a")));
	CHECK(!policy_selects(&f.t, p, pod_ix("x/b")));
	CHECK(!policy_selects(&f.t, p, pod_ix("y/a")));	/* its namespace only */
	CHECK(policy_isolates(&f.t, p, pod_ix("x/a"), POLICY_INGRESS));
	CHECK(!policy_isolates(&f.t, p, pod_ix("x/a"), POLICY_EGRESS));
	p = pol_add(&f, "y", "all", SEL_ALL, false, true);
	for (size_t i = 0; i < NPODS; i++) {
		CHECK_EQ_INT(policy_selects(&f.t, p, i), i / 3 == 1);
		CHECK_EQ_INT(policy_isolates(&f.t, p, i, POLICY_EGRESS), i / 3 == 1);
		CHECK(!policy_isolates(&f.t, p, i, POLICY_INGRESS));
	}
}

static void test_peer_selects(void)
{
	struct fx f;
	struct topo_policy *p;
	struct topo_np_peer pods_b = PEER_PODS(SEL1("pod", "b"));
	struct topo_np_peer ns_y = PEER_NS(SEL1("ns", "y"));
	struct topo_np_peer both = PEER_BOTH(SEL1("pod", "b"), SEL1("ns", "y"));
	struct topo_np_peer all_ns = PEER_NS(SEL_ALL);
	struct topo_np_peer by_name = PEER_NS(SEL1(TOPO_NS_NAME_LABEL, "z"));
	struct topo_np_peer block = { .has_block = true, .block = { 0x0af40000u, 16 } };

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "p", SEL_ALL, true, false);
	for (size_t i = 0; i < NPODS; i++) {
		bool b = i % 3 == 1, x = i / 3 == 0, y = i / 3 == 1, z = i / 3 == 2;

		CHECK_EQ_INT(policy_peer_selects(&f.t, p, &pods_b, i), b && x);
		CHECK_EQ_INT(policy_peer_selects(&f.t, p, &ns_y, i), y);
		CHECK_EQ_INT(policy_peer_selects(&f.t, p, &both, i), b && y);
		CHECK(policy_peer_selects(&f.t, p, &all_ns, i));
		CHECK_EQ_INT(policy_peer_selects(&f.t, p, &by_name, i), z);
		CHECK(!policy_peer_selects(&f.t, p, &block, i));	/* by address only */
		CHECK_EQ_INT(policy_peer_matches_addr(&f.t, p, &pods_b, f.pods[i].ip), b && x);
		CHECK(policy_peer_matches_addr(&f.t, p, &block, f.pods[i].ip));
	}
	/* A namespace the model lacks still has its name label. */
	f.t.nnamespaces = 0;
	CHECK(policy_peer_selects(&f.t, p, &by_name, pod_ix("z/a")));
	CHECK(!policy_peer_selects(&f.t, p, &ns_y, pod_ix("y/a")));
	f.t.nnamespaces = NNS;
	/* Addresses of no pod: selector peers never match them. */
	CHECK(!policy_peer_matches_addr(&f.t, p, &all_ns, 0xac120002u));
	CHECK(!policy_peer_matches_addr(&f.t, p, &all_ns, 0));
}

static void test_ip_block(void)
{
	struct fx f;
	struct topo_policy *p;
	struct cidr except[] = { { 0x0af40100u, 24 }, { 0x0af40280u, 25 } };
	struct topo_np_peer b = { .has_block = true, .block = { 0x0af40000u, 16 },
				  .except = except, .nexcept = 2 };

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "p", SEL_ALL, true, false);
	CHECK(policy_peer_matches_addr(&f.t, p, &b, 0x0af40001u));	/* 10.244.0.1 */
	CHECK(!policy_peer_matches_addr(&f.t, p, &b, 0x0af40105u));	/* 10.244.1.5: except */
	CHECK(policy_peer_matches_addr(&f.t, p, &b, 0x0af4027fu));	/* 10.244.2.127 */
	CHECK(!policy_peer_matches_addr(&f.t, p, &b, 0x0af40280u));	/* 10.244.2.128 */
	CHECK(!policy_peer_matches_addr(&f.t, p, &b, 0x0af50000u));	/* outside */
	b.nexcept = 0;
	b.block = (struct cidr){ 0, 0 };
	CHECK(policy_peer_matches_addr(&f.t, p, &b, 0xcb007105u));	/* 0.0.0.0/0 */
}

static void test_ports(void)
{
	struct fx f;
	struct topo_np_port tcp80 = { TOPO_NP_TCP, 80, "", 0 };
	struct topo_np_port udp_all = { TOPO_NP_UDP, 0, "", 0 };
	struct topo_np_port range = { TOPO_NP_TCP, 80, "", 90 };
	struct topo_np_port sctp80 = { TOPO_NP_SCTP, 80, "", 0 };
	struct topo_np_port named = { TOPO_NP_TCP, 0, "serve-81-tcp", 0 };
	struct topo_np_port named_udp = { TOPO_NP_UDP, 0, "serve-81-tcp", 0 };
	struct topo_np_port named_sctp = { TOPO_NP_SCTP, 0, "serve-81-tcp", 0 };

	fx_init(&f, TOPO_MODE_ROUTED);
	CHECK(policy_port_matches(&f.t, &tcp80, IPPROTO_TCP, 80, -1));
	CHECK(!policy_port_matches(&f.t, &tcp80, IPPROTO_TCP, 81, -1));
	CHECK(!policy_port_matches(&f.t, &tcp80, IPPROTO_UDP, 80, -1));
	CHECK(!policy_port_matches(&f.t, &tcp80, IPPROTO_ICMP, 0, -1));
	CHECK(policy_port_matches(&f.t, &udp_all, IPPROTO_UDP, 5353, -1));
	CHECK(!policy_port_matches(&f.t, &udp_all, IPPROTO_TCP, 80, -1));
	CHECK(!policy_port_matches(&f.t, &udp_all, IPPROTO_ICMP, 0, -1));
	CHECK(policy_port_matches(&f.t, &range, IPPROTO_TCP, 80, -1));
	CHECK(policy_port_matches(&f.t, &range, IPPROTO_TCP, 85, -1));
	CHECK(policy_port_matches(&f.t, &range, IPPROTO_TCP, 90, -1));
	CHECK(!policy_port_matches(&f.t, &range, IPPROTO_TCP, 91, -1));
	CHECK(!policy_port_matches(&f.t, &range, IPPROTO_TCP, 79, -1));
	CHECK(!policy_port_matches(&f.t, &sctp80, IPPROTO_TCP, 80, -1));
	CHECK(!policy_port_matches(&f.t, &sctp80, IPPROTO_UDP, 80, -1));
	CHECK(policy_port_matches(&f.t, &sctp80, IPPROTO_SCTP, 80, -1));
	CHECK(policy_port_matches(&f.t, &named, IPPROTO_TCP, 81, 0));
	CHECK(!policy_port_matches(&f.t, &named, IPPROTO_TCP, 80, 0));
	CHECK(!policy_port_matches(&f.t, &named, IPPROTO_TCP, 81, -1));	/* no pod */
	CHECK(!policy_port_matches(&f.t, &named, IPPROTO_UDP, 81, 0));
	CHECK(!policy_port_matches(&f.t, &named_udp, IPPROTO_UDP, 81, 0));	/* name is TCP's */
	CHECK(!policy_port_matches(&f.t, &named_sctp, IPPROTO_SCTP, 81, 0));
	/* Per destination pod: a pod that names 81 otherwise. */
	{
		struct topo_port other_ports[] = { { "serve-81-tcp", 8081, TOPO_PROTO_TCP } };
		struct topo_container other = { "c", TOPO_IMAGE_RESPONDER, other_ports, 1 };

		f.pods[1].containers = &other;
		CHECK(policy_port_matches(&f.t, &named, IPPROTO_TCP, 8081, 1));
		CHECK(!policy_port_matches(&f.t, &named, IPPROTO_TCP, 81, 1));
		CHECK(policy_port_matches(&f.t, &named, IPPROTO_TCP, 81, 0));
		f.pods[1].containers = &serve;
	}
}

static void test_node_owns(void)
{
	struct fx f;

	fx_init(&f, TOPO_MODE_ROUTED);
	CHECK(policy_node_owns(&f.t, 0, 0xac120002u));
	CHECK(!policy_node_owns(&f.t, 0, 0xac120003u));		/* the other node */
	CHECK(policy_node_owns(&f.t, 0, 0x0af40101u));		/* cbr0 */
	CHECK(!policy_node_owns(&f.t, 0, 0x0af40100u));		/* no flannel.1 */
	CHECK(!policy_node_owns(&f.t, 0, 0x0af40201u));		/* node-2's cbr0 */
	CHECK(!policy_node_owns(&f.t, 0, 0));
	fx_init(&f, TOPO_MODE_VXLAN);
	CHECK(policy_node_owns(&f.t, 1, 0x0af40201u));
	CHECK(policy_node_owns(&f.t, 1, 0x0af40200u));		/* flannel.1 */
	CHECK(!policy_node_owns(&f.t, 1, 0x0af40100u));
	fx_init(&f, TOPO_MODE_VPC);
	CHECK(policy_node_owns(&f.t, 0, 0xac120002u));
	CHECK(!policy_node_owns(&f.t, 0, 0xa9fe0101u));		/* a proxy-ARP next hop */
	CHECK_EQ_INT(policy_pod_by_addr(&f.t, 0xac120011u), 1);
	CHECK_EQ_INT(policy_pod_by_addr(&f.t, 0xac120002u), -1);
}

/* ---- names ---------------------------------------------------------------- */

static void test_names(void)
{
	struct fx f;
	struct topo_policy *p;
	struct policy_chain_ref ref;
	struct policy_set_ref sr;
	char buf[POLICY_NAME_MAX];

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "y", "allow.b", SEL_ALL, true, true);
	p->in = (struct topo_np_rule[]){ { .npeers = 2, .peers = (struct topo_np_peer[2]){ { 0 } } } };
	p->nin = 1;
	policy_chain_pod(buf, sizeof(buf), POLICY_INGRESS, &f.pods[pod_ix("y/b")]);
	CHECK_EQ_STR(buf, "cali-tw-y/b");
	CHECK(policy_chain_parse(&f.t, buf, &ref) == 0);
	CHECK(ref.kind == POLICY_CHAIN_POD && ref.dir == POLICY_INGRESS);
	CHECK_EQ_INT(ref.index, pod_ix("y/b"));
	policy_chain_pod(buf, sizeof(buf), POLICY_EGRESS, &f.pods[pod_ix("z/c")]);
	CHECK_EQ_STR(buf, "cali-fw-z/c");
	CHECK(policy_chain_parse(&f.t, buf, &ref) == 0);
	CHECK(ref.kind == POLICY_CHAIN_POD && ref.dir == POLICY_EGRESS);
	CHECK_EQ_INT(ref.index, pod_ix("z/c"));
	policy_chain_policy(buf, sizeof(buf), POLICY_INGRESS, p);
	CHECK_EQ_STR(buf, "cali-pi-y/allow.b");
	CHECK(policy_chain_parse(&f.t, buf, &ref) == 0);
	CHECK(ref.kind == POLICY_CHAIN_POLICY && ref.dir == POLICY_INGRESS && ref.index == 0);
	policy_chain_policy(buf, sizeof(buf), POLICY_EGRESS, p);
	CHECK_EQ_STR(buf, "cali-po-y/allow.b");
	CHECK(policy_chain_parse(&f.t, buf, &ref) == 0);
	CHECK(ref.kind == POLICY_CHAIN_POLICY && ref.dir == POLICY_EGRESS && ref.index == 0);
	CHECK(policy_chain_parse(&f.t, "cali-FORWARD", &ref) == 0);
	CHECK(ref.kind == POLICY_CHAIN_BASE && ref.dir == POLICY_EGRESS);
	CHECK(policy_chain_parse(&f.t, "cali-POSTROUTING", &ref) == 0);
	CHECK(ref.kind == POLICY_CHAIN_BASE && ref.dir == POLICY_INGRESS);
	CHECK(policy_chain_parse(&f.t, "cali-tw-y/nope", &ref) == -ENOENT);
	CHECK(policy_chain_parse(&f.t, "cali-pi-x/allow.b", &ref) == -ENOENT);
	CHECK(policy_chain_parse(&f.t, "cali-tw-yb", &ref) == -ENOENT);
	CHECK(policy_chain_parse(&f.t, "cali-tw-/b", &ref) == -ENOENT);
	CHECK(policy_chain_parse(&f.t, "cali-tw-y/", &ref) == -ENOENT);
	CHECK(policy_chain_parse(&f.t, "KUBE-SERVICES", &ref) == -ENOENT);

	policy_set_peer(buf, sizeof(buf), POLICY_INGRESS, p, 0, 1);
	CHECK_EQ_STR(buf, "cali-s-y/allow.b.in0.from1");
	CHECK(policy_set_parse(&f.t, buf, &sr) == 0);
	CHECK(sr.kind == POLICY_SET_PEER && sr.dir == POLICY_INGRESS && sr.policy == 0 &&
	      sr.rule == 0 && sr.peer == 1);
	policy_set_peer(buf, sizeof(buf), POLICY_EGRESS, p, 3, 12);
	CHECK_EQ_STR(buf, "cali-s-y/allow.b.out3.to12");
	CHECK(policy_set_parse(&f.t, buf, &sr) == -ENOENT);	/* no egress rule 3 */
	CHECK(policy_set_parse(&f.t, "cali-s-y/allow.b.in0.from2", &sr) == -ENOENT);
	CHECK(policy_set_parse(&f.t, "cali-s-y/allow.b.in0.to1", &sr) == -ENOENT);
	CHECK(policy_set_parse(&f.t, "cali-s-y/allow.b.in00.from1", &sr) == -ENOENT);
	CHECK(policy_set_parse(&f.t, "cali-s-y/allow.b.in0.from1x", &sr) == -ENOENT);
	CHECK(policy_set_parse(&f.t, "cali-s-allow.b.in0.from1", &sr) == -ENOENT);
	policy_set_named_port(buf, sizeof(buf), "serve-80-tcp");
	CHECK_EQ_STR(buf, "cali-np-serve-80-tcp");
	CHECK(policy_set_parse(&f.t, buf, &sr) == 0);
	CHECK(sr.kind == POLICY_SET_NAMED_PORT);
	CHECK_EQ_STR(sr.port, "serve-80-tcp");
	CHECK(policy_set_parse(&f.t, "cali-np-", &sr) == -ENOENT);
	CHECK(policy_set_parse(&f.t, "cali-np-0123456789abcdef", &sr) == -ENOENT);
}

static void test_comments(void)
{
	struct fx f;
	struct topo_policy *p;
	char buf[NFT_COMMENT_MAX + 1];
	size_t pi, rule, peer, port;
	enum policy_dir dir;

	fx_init(&f, TOPO_MODE_ROUTED);
	pol_add(&f, "x", "other", SEL_ALL, true, false);
	p = pol_add(&f, "x", "allow-b", SEL_ALL, true, true);
	p->in = (struct topo_np_rule[]){
		{ 0 },
		{ .npeers = 2, .peers = (struct topo_np_peer[2]){ { 0 } },
		  .nports = 1, .ports = (struct topo_np_port[1]){ { 0 } } },
	};
	p->nin = 2;
	p->out = (struct topo_np_rule[]){ { .npeers = 1, .peers = (struct topo_np_peer[1]){ { 0 } } } };
	p->nout = 1;
	policy_rule_comment(buf, sizeof(buf), p, POLICY_INGRESS, 1, 1, 0);
	CHECK_EQ_STR(buf, "x/allow-b spec.ingress[1].from[1] ports[0]");
	CHECK(policy_rule_comment_parse(&f.t, buf, &pi, &dir, &rule, &peer, &port) == 0);
	CHECK(pi == 1 && dir == POLICY_INGRESS && rule == 1 && peer == 1 && port == 0);
	policy_rule_comment(buf, sizeof(buf), p, POLICY_INGRESS, 0, POLICY_ANY, POLICY_ANY);
	CHECK_EQ_STR(buf, "x/allow-b spec.ingress[0]");
	CHECK(policy_rule_comment_parse(&f.t, buf, &pi, &dir, &rule, &peer, &port) == 0);
	CHECK(pi == 1 && rule == 0 && peer == POLICY_ANY && port == POLICY_ANY);
	policy_rule_comment(buf, sizeof(buf), p, POLICY_INGRESS, 1, POLICY_ANY, 0);
	CHECK_EQ_STR(buf, "x/allow-b spec.ingress[1] ports[0]");
	CHECK(policy_rule_comment_parse(&f.t, buf, &pi, &dir, &rule, &peer, &port) == 0);
	CHECK(peer == POLICY_ANY && port == 0);
	policy_rule_comment(buf, sizeof(buf), p, POLICY_EGRESS, 0, 0, POLICY_ANY);
	CHECK_EQ_STR(buf, "x/allow-b spec.egress[0].to[0]");
	CHECK(policy_rule_comment_parse(&f.t, buf, &pi, &dir, &rule, &peer, &port) == 0);
	CHECK(dir == POLICY_EGRESS && rule == 0 && peer == 0 && port == POLICY_ANY);
	CHECK(policy_rule_comment_parse(&f.t, "x/allow-b spec.ingress[2]", &pi, &dir, &rule,
					&peer, &port) == -ENOENT);
	CHECK(policy_rule_comment_parse(&f.t, "x/allow-b spec.ingress[1].from[2]", &pi, &dir,
					&rule, &peer, &port) == -ENOENT);
	CHECK(policy_rule_comment_parse(&f.t, "x/allow-b spec.egress[0].from[0]", &pi, &dir,
					&rule, &peer, &port) == -ENOENT);
	CHECK(policy_rule_comment_parse(&f.t, "y/allow-b spec.ingress[0]", &pi, &dir, &rule,
					&peer, &port) == -ENOENT);
	CHECK(policy_rule_comment_parse(&f.t, "x/allow-b spec.ingress[0] ", &pi, &dir, &rule,
					&peer, &port) == -ENOENT);
	CHECK(policy_rule_comment_parse(&f.t, "a kube-proxy comment", &pi, &dir, &rule,
					&peer, &port) == -ENOENT);
}

/* The longest names the model allows fit, and parse back. */
static void test_name_limits(void)
{
	struct fx f;
	struct topo_policy *p;
	char buf[POLICY_NAME_MAX], comment[NFT_COMMENT_MAX + 1];
	char ns[TOPO_LABEL_MAX], name[TOPO_LABEL_MAX];
	struct topo_np_peer peers[256];
	struct topo_np_port ports[256];
	struct topo_np_rule *rules = calloc(256, sizeof(*rules));
	struct policy_set_ref sr;
	size_t pi, rule, peer, port;
	enum policy_dir dir;
	int n;

	if (!CHECK(rules))
		return;
	memset(ns, 'n', sizeof(ns) - 1);
	ns[sizeof(ns) - 1] = '\0';
	memset(name, 'p', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(peers, 0, sizeof(peers));
	memset(ports, 0, sizeof(ports));
	for (size_t i = 0; i < 256; i++)
		rules[i] = (struct topo_np_rule){ peers, 256, ports, 256 };
	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, ns, name, SEL_ALL, true, true);
	p->in = p->out = rules;
	p->nin = p->nout = 256;
	policy_chain_policy(buf, sizeof(buf), POLICY_EGRESS, p);
	CHECK_EQ_INT(strlen(buf), 135);
	policy_set_peer(buf, sizeof(buf), POLICY_EGRESS, p, 255, 255);
	n = (int)strlen(buf);
	CHECKF(n <= 148 && n < POLICY_NAME_MAX, "%d", n);
	CHECK(policy_set_parse(&f.t, buf, &sr) == 0 && sr.rule == 255 && sr.peer == 255);
	policy_set_peer(buf, sizeof(buf), POLICY_INGRESS, p, 255, 255);
	CHECK_EQ_INT(strlen(buf), 148);
	policy_rule_comment(comment, sizeof(comment), p, POLICY_INGRESS, 255, 255, 255);
	CHECK_EQ_INT(strlen(comment), 166);
	CHECK(policy_rule_comment_parse(&f.t, comment, &pi, &dir, &rule, &peer, &port) == 0);
	CHECK(rule == 255 && peer == 255 && port == 255);
	free(rules);
}

int main(void)
{
	RUN(test_selector);
	RUN(test_selects);
	RUN(test_peer_selects);
	RUN(test_ip_block);
	RUN(test_ports);
	RUN(test_node_owns);
	RUN(test_names);
	RUN(test_comments);
	RUN(test_name_limits);
	return unit_summary();
}
