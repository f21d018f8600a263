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
#define SEL1(k, v) \
	((struct topo_selector){ .match = (struct topo_label[]){ LBL(k, v) }, .nmatch = 1 })
#define PEER_PODS(s) ((struct topo_np_peer){ .has_pods = true, .pods = (s) })
#define PEER_NS(s) ((struct topo_np_peer){ .has_namespaces = true, .namespaces = (s) })
#define PEER_BOTH(ps, ns) ((struct topo_np_peer){ .has_pods = true, .pods = (ps), \
						   .has_namespaces = true, .namespaces = (ns) })

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

/* ---- the evaluator: upstream's truth tables ------------------------------- */

/* Expected reachability, from row pod to column pod (self pairs go over
 * the pod's loopback and are left out, as upstream's AllowLoopback). */
struct reach {
	bool v[NPODS][NPODS];
};

static void m_all(struct reach *m, bool v)
{
	for (size_t i = 0; i < NPODS; i++)
		for (size_t j = 0; j < NPODS; j++)
			m->v[i][j] = v;
}

/* Every pod to dst; src to every pod; src to dst; every pod to the pods of
 * namespace ns; the pods of ns to every pod. */
static void m_to(struct reach *m, const char *dst, bool v)
{
	for (size_t i = 0; i < NPODS; i++)
		m->v[i][pod_ix(dst)] = v;
}

static void m_from(struct reach *m, const char *src, bool v)
{
	for (size_t j = 0; j < NPODS; j++)
		m->v[pod_ix(src)][j] = v;
}

static void m_set(struct reach *m, const char *src, const char *dst, bool v)
{
	m->v[pod_ix(src)][pod_ix(dst)] = v;
}

static void m_to_ns(struct reach *m, char ns, bool v)
{
	for (size_t i = 0; i < NPODS; i++)
		for (size_t j = 0; j < NPODS; j++)
			if (j / 3 == (size_t)(ns - 'x'))
				m->v[i][j] = v;
}

static void m_from_ns(struct reach *m, char ns, bool v)
{
	for (size_t i = 0; i < NPODS; i++)
		for (size_t j = 0; j < NPODS; j++)
			if (i / 3 == (size_t)(ns - 'x'))
				m->v[i][j] = v;
}

/* What a side says must hold together: the isolating policies isolate the
 * pod, in order; an admitting policy, rule, peer and port exist and admit
 * the packet; its comment parses back to them. */
static void side_consistent(const struct topo *t, const struct policy_side *s,
			    const struct policy_flow *f)
{
	size_t n = 0, pi, rule, peer, port;
	enum policy_dir dir;
	char c[NFT_COMMENT_MAX + 1];

	for (size_t i = 0; i < t->npolicies; i++) {
		if (!policy_isolates(t, &t->policies[i], s->pod, s->dir))
			continue;
		CHECK(n < s->nisolating && s->isolating[n] == i);
		n++;
	}
	CHECK_EQ_INT(n, s->nisolating);
	CHECK_EQ_INT(s->isolated, n > 0);
	if (!s->isolated || s->exempt || !s->allowed) {
		CHECK(s->policy == POLICY_ANY && s->rule == POLICY_ANY);
		return;
	}
	if (!CHECK(s->policy < t->npolicies))
		return;
	{
		const struct topo_policy *p = &t->policies[s->policy];
		const struct topo_np_rule *r;
		bool in = s->dir == POLICY_INGRESS;

		if (!CHECK(s->rule < (in ? p->nin : p->nout)))
			return;
		r = in ? &p->in[s->rule] : &p->out[s->rule];
		CHECK(s->peer == POLICY_ANY ? !r->npeers : s->peer < r->npeers);
		CHECK(s->port == POLICY_ANY ? !r->nports : s->port < r->nports);
		if (s->peer != POLICY_ANY)
			CHECK(policy_peer_matches_addr(t, p, &r->peers[s->peer],
						       in ? f->saddr : f->daddr));
		policy_rule_comment(c, sizeof(c), p, s->dir, s->rule, s->peer, s->port);
		CHECK(policy_rule_comment_parse(t, c, &pi, &dir, &rule, &peer, &port) == 0);
		CHECK(pi == s->policy && dir == s->dir && rule == s->rule && peer == s->peer &&
		      port == s->port);
	}
}

/* Egress of src and ingress of dst, for a packet between two addresses. */
static bool admits(const struct topo *t, ssize_t src, ssize_t dst, const struct policy_flow *f)
{
	struct policy_side e = { 0 }, i = { 0 };
	bool ok = true;

	if (src >= 0) {
		CHECK(policy_eval(t, POLICY_EGRESS, (size_t)src, f, &e) == 0);
		side_consistent(t, &e, f);
		ok = e.allowed;
		policy_side_free(&e);
	}
	if (dst >= 0) {
		CHECK(policy_eval(t, POLICY_INGRESS, (size_t)dst, f, &i) == 0);
		side_consistent(t, &i, f);
		ok = ok && i.allowed;
		policy_side_free(&i);
	}
	return ok;
}

static bool reach(const struct topo *t, size_t s, size_t d, uint8_t proto, uint16_t port)
{
	struct policy_flow f = { t->pods[s].ip, t->pods[d].ip, proto, port };

	return admits(t, (ssize_t)s, (ssize_t)d, &f);
}

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" :
	       p == IPPROTO_SCTP ? "sctp" : "icmp";
}

static void check_reach(const char *name, const struct topo *t, uint8_t proto, uint16_t port,
			const struct reach *m)
{
	for (size_t i = 0; i < NPODS; i++) {
		for (size_t j = 0; j < NPODS; j++) {
			bool got;

			if (i == j)
				continue;
			got = reach(t, i, j, proto, port);
			CHECKF(got == m->v[i][j], "%s: %s/%s -> %s/%s %s/%u: %s, expected %s",
			       name, t->pods[i].ns, t->pods[i].name, t->pods[j].ns,
			       t->pods[j].name, proto_name(proto), port, got ? "allowed" : "denied",
			       m->v[i][j] ? "allowed" : "denied");
		}
	}
}

/* The same matrix on TCP and UDP, ports 80 and 81. */
static void check_reach_all(const char *name, const struct topo *t, const struct reach *m)
{
	check_reach(name, t, IPPROTO_TCP, 80, m);
	check_reach(name, t, IPPROTO_TCP, 81, m);
	check_reach(name, t, IPPROTO_UDP, 80, m);
	check_reach(name, t, IPPROTO_UDP, 81, m);
}

static void test_no_policy(void)
{
	struct fx f;
	struct reach m;

	fx_init(&f, TOPO_MODE_ROUTED);
	m_all(&m, true);
	check_reach_all("no policy", &f.t, &m);
	check_reach("no policy", &f.t, IPPROTO_ICMP, 0, &m);
	/* A policy of another namespace, or selecting nobody, isolates nobody. */
	pol_add(&f, "x", "nobody", SEL1("pod", "d"), true, true);
	check_reach_all("selects nobody", &f.t, &m);
}

static void test_default_deny(void)
{
	struct fx f;
	struct reach m;

	fx_init(&f, TOPO_MODE_ROUTED);
	pol_add(&f, "x", "deny-ingress", SEL_ALL, true, false);
	m_all(&m, true);
	m_to_ns(&m, 'x', false);
	check_reach_all("default-deny-ingress", &f.t, &m);
	check_reach("default-deny-ingress", &f.t, IPPROTO_ICMP, 0, &m);

	fx_init(&f, TOPO_MODE_ROUTED);
	pol_add(&f, "x", "deny-egress", SEL_ALL, false, true);
	m_all(&m, true);
	m_from_ns(&m, 'x', false);
	check_reach_all("default-deny-egress", &f.t, &m);
	check_reach("default-deny-egress", &f.t, IPPROTO_ICMP, 0, &m);

	fx_init(&f, TOPO_MODE_ROUTED);
	pol_add(&f, "x", "deny-all", SEL_ALL, true, true);
	m_all(&m, true);
	m_to_ns(&m, 'x', false);
	m_from_ns(&m, 'x', false);
	check_reach_all("default-deny-all", &f.t, &m);
}

/* Ingress to x/a from pods b (in x): a bare podSelector is the policy's
 * namespace. */
static void test_pod_selector(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "allow-b", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){
		PEER_PODS(SEL1("pod", "b")) }, .npeers = 1 } };
	p->nin = 1;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	m_set(&m, "x/b", "x/a", true);
	check_reach_all("podSelector", &f.t, &m);
}

static void test_namespace_selector(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "allow-ns-y", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){
		PEER_NS(SEL1("ns", "y")) }, .npeers = 1 } };
	p->nin = 1;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	m_set(&m, "y/a", "x/a", true);
	m_set(&m, "y/b", "x/a", true);
	m_set(&m, "y/c", "x/a", true);
	check_reach_all("namespaceSelector", &f.t, &m);
}

/* matchExpressions, each operator: upstream's "NamespaceSelector with
 * MatchExpressions" (ns In [y]) and "PodSelector with MatchExpressions"
 * (pod In [b]), and their NotIn, Exists and DoesNotExist forms. */
static void test_match_expressions(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;
	char *vy[] = { (char *)"y" }, *vx[] = { (char *)"x" }, *vb[] = { (char *)"b" };
	struct topo_sel_expr e;
	struct topo_np_peer peer;

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "exprs", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ { .peers = &peer, .npeers = 1 } };
	p->nin = 1;

	e = (struct topo_sel_expr){ (char *)"ns", TOPO_SEL_IN, vy, 1 };
	peer = PEER_NS(((struct topo_selector){ .exprs = &e, .nexprs = 1 }));
	m_all(&m, true);
	m_to(&m, "x/a", false);
	m_set(&m, "y/a", "x/a", true);
	m_set(&m, "y/b", "x/a", true);
	m_set(&m, "y/c", "x/a", true);
	check_reach("ns In [y]", &f.t, IPPROTO_TCP, 80, &m);

	e = (struct topo_sel_expr){ (char *)"ns", TOPO_SEL_NOT_IN, vx, 1 };
	m_all(&m, true);
	m_to(&m, "x/a", false);
	for (const char *s = "abc"; *s; s++) {
		char y[] = { 'y', '/', *s, 0 }, z[] = { 'z', '/', *s, 0 };

		m_set(&m, y, "x/a", true);
		m_set(&m, z, "x/a", true);
	}
	check_reach("ns NotIn [x]", &f.t, IPPROTO_TCP, 80, &m);

	/* NotIn holds where the key is missing: every namespace lacks "team". */
	e = (struct topo_sel_expr){ (char *)"team", TOPO_SEL_NOT_IN, vx, 1 };
	m_all(&m, true);
	check_reach("team NotIn [x]", &f.t, IPPROTO_TCP, 80, &m);
	e = (struct topo_sel_expr){ (char *)"team", TOPO_SEL_EXISTS, NULL, 0 };
	m_to(&m, "x/a", false);
	check_reach("team Exists", &f.t, IPPROTO_TCP, 80, &m);
	e = (struct topo_sel_expr){ (char *)"team", TOPO_SEL_DOES_NOT_EXIST, NULL, 0 };
	m_all(&m, true);
	check_reach("team DoesNotExist", &f.t, IPPROTO_TCP, 80, &m);
	e = (struct topo_sel_expr){ (char *)"ns", TOPO_SEL_DOES_NOT_EXIST, NULL, 0 };
	m_to(&m, "x/a", false);
	check_reach("ns DoesNotExist", &f.t, IPPROTO_TCP, 80, &m);

	/* On pods: pod In [b], a bare podSelector, so x's only. */
	e = (struct topo_sel_expr){ (char *)"pod", TOPO_SEL_IN, vb, 1 };
	peer = PEER_PODS(((struct topo_selector){ .exprs = &e, .nexprs = 1 }));
	m_all(&m, true);
	m_to(&m, "x/a", false);
	m_set(&m, "x/b", "x/a", true);
	check_reach("pod In [b]", &f.t, IPPROTO_TCP, 80, &m);
	e.op = TOPO_SEL_NOT_IN;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	m_set(&m, "x/c", "x/a", true);
	check_reach("pod NotIn [b]", &f.t, IPPROTO_TCP, 80, &m);
}

/* Upstream: "PodSelector or NamespaceSelector" (two peers: union) against
 * "PodSelector and NamespaceSelector" (one peer: intersection), and
 * "Multiple PodSelectors and NamespaceSelectors". */
static void test_pods_and_namespaces(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;
	char *vx[] = { (char *)"x" }, *vbc[] = { (char *)"b", (char *)"c" };
	struct topo_sel_expr not_x = { (char *)"ns", TOPO_SEL_NOT_IN, vx, 1 };
	struct topo_sel_expr in_bc = { (char *)"pod", TOPO_SEL_IN, vbc, 2 };

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "or", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){
		PEER_PODS(SEL1("pod", "b")), PEER_NS(SEL1("ns", "y")) }, .npeers = 2 } };
	p->nin = 1;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	m_set(&m, "x/b", "x/a", true);
	m_set(&m, "y/a", "x/a", true);
	m_set(&m, "y/b", "x/a", true);
	m_set(&m, "y/c", "x/a", true);
	check_reach_all("podSelector or namespaceSelector", &f.t, &m);

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "and", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){
		PEER_BOTH(SEL1("pod", "b"), ((struct topo_selector){ .exprs = &not_x,
								     .nexprs = 1 })) },
		.npeers = 1 } };
	p->nin = 1;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	m_set(&m, "y/b", "x/a", true);
	m_set(&m, "z/b", "x/a", true);
	check_reach_all("podSelector and namespaceSelector", &f.t, &m);

	p->in[0].peers[0].pods = (struct topo_selector){ .exprs = &in_bc, .nexprs = 1 };
	m_set(&m, "y/c", "x/a", true);
	m_set(&m, "z/c", "x/a", true);
	check_reach_all("multiple podSelectors and namespaceSelectors", &f.t, &m);

	/* An empty namespaceSelector with a podSelector: those pods anywhere. */
	p->in[0].peers[0].namespaces = SEL_ALL;
	p->in[0].peers[0].pods = SEL1("pod", "b");
	m_all(&m, true);
	m_to(&m, "x/a", false);
	m_set(&m, "x/b", "x/a", true);
	m_set(&m, "y/b", "x/a", true);
	m_set(&m, "z/b", "x/a", true);
	check_reach_all("pods b of every namespace", &f.t, &m);
}

/* Upstream "should enforce policy based on Ports": ingress to x/a from
 * namespace y on port 81 only. */
static void test_numeric_ports(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "allow-81", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ {
		.peers = (struct topo_np_peer[]){ PEER_NS(SEL1("ns", "y")) }, .npeers = 1,
		.ports = (struct topo_np_port[]){ { TOPO_NP_TCP, 81, "", 0 } }, .nports = 1 } };
	p->nin = 1;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	check_reach("port 81: tcp 80", &f.t, IPPROTO_TCP, 80, &m);
	check_reach("port 81: udp 81", &f.t, IPPROTO_UDP, 81, &m);
	check_reach("port 81: icmp", &f.t, IPPROTO_ICMP, 0, &m);
	m_set(&m, "y/a", "x/a", true);
	m_set(&m, "y/b", "x/a", true);
	m_set(&m, "y/c", "x/a", true);
	check_reach("port 81: tcp 81", &f.t, IPPROTO_TCP, 81, &m);
}

/* Upstream "should allow ingress access on one named port" and the egress
 * form: the name resolves on the destination pod. */
static void test_named_ports(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;
	struct topo_port moved_ports[] = { { "serve-81-tcp", 80, TOPO_PROTO_TCP } };
	struct topo_container moved = { "c", TOPO_IMAGE_RESPONDER, moved_ports, 1 };

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "allow-named", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ {
		.ports = (struct topo_np_port[]){ { TOPO_NP_TCP, 0, "serve-81-tcp", 0 } },
		.nports = 1 } };
	p->nin = 1;
	m_all(&m, true);
	check_reach("named ingress: tcp 81", &f.t, IPPROTO_TCP, 81, &m);
	m_to(&m, "x/a", false);
	check_reach("named ingress: tcp 80", &f.t, IPPROTO_TCP, 80, &m);
	check_reach("named ingress: udp 81", &f.t, IPPROTO_UDP, 81, &m);

	/* Egress from x/a to named port serve-81-tcp, where y/b calls 80 so. */
	fx_init(&f, TOPO_MODE_ROUTED);
	f.pods[pod_ix("y/b")].containers = &moved;
	p = pol_add(&f, "x", "egress-named", SEL1("pod", "a"), false, true);
	p->out = (struct topo_np_rule[]){ {
		.ports = (struct topo_np_port[]){ { TOPO_NP_TCP, 0, "serve-81-tcp", 0 } },
		.nports = 1 } };
	p->nout = 1;
	m_all(&m, true);
	m_from(&m, "x/a", false);
	m_set(&m, "x/a", "y/b", true);
	check_reach("named egress: tcp 80", &f.t, IPPROTO_TCP, 80, &m);
	m_from(&m, "x/a", true);
	m_set(&m, "x/a", "y/b", false);
	check_reach("named egress: tcp 81", &f.t, IPPROTO_TCP, 81, &m);
	{
		/* Outside the cluster a named port never resolves. */
		struct policy_flow out = { f.pods[0].ip, 0xcb007105u, IPPROTO_TCP, 81 };

		CHECK(!admits(&f.t, 0, -1, &out));
	}
}

/* endPort: 80..81 over TCP; and a protocol-only rule (every UDP port). */
static void test_end_port_and_protocol(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "range", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ {
		.ports = (struct topo_np_port[]){ { TOPO_NP_TCP, 80, "", 81 } }, .nports = 1 } };
	p->nin = 1;
	m_all(&m, true);
	check_reach("endPort: tcp 80", &f.t, IPPROTO_TCP, 80, &m);
	check_reach("endPort: tcp 81", &f.t, IPPROTO_TCP, 81, &m);
	m_to(&m, "x/a", false);
	check_reach("endPort: tcp 82", &f.t, IPPROTO_TCP, 82, &m);
	check_reach("endPort: tcp 79", &f.t, IPPROTO_TCP, 79, &m);
	check_reach("endPort: udp 80", &f.t, IPPROTO_UDP, 80, &m);

	p->in[0].ports[0] = (struct topo_np_port){ TOPO_NP_UDP, 0, "", 0 };
	m_all(&m, true);
	check_reach("udp only: udp 80", &f.t, IPPROTO_UDP, 80, &m);
	check_reach("udp only: udp 81", &f.t, IPPROTO_UDP, 81, &m);
	m_to(&m, "x/a", false);
	check_reach("udp only: tcp 80", &f.t, IPPROTO_TCP, 80, &m);
	check_reach("udp only: icmp", &f.t, IPPROTO_ICMP, 0, &m);
}

/* Upstream "should not allow access by TCP when a policy specifies only
 * SCTP". */
static void test_sctp(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "sctp-only", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ {
		.ports = (struct topo_np_port[]){ { TOPO_NP_SCTP, 80, "", 0 } }, .nports = 1 } };
	p->nin = 1;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	check_reach_all("sctp only", &f.t, &m);
	m_all(&m, true);
	check_reach("sctp only: sctp 80", &f.t, IPPROTO_SCTP, 80, &m);
}

/* Upstream "should enforce except clause while egress access to server in
 * CIDR block": egress from x/a to its cluster's /16 but not y/b's /32, and
 * the ingress form. */
static void test_ip_block_eval(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;
	struct cidr except;

	fx_init(&f, TOPO_MODE_ROUTED);
	except = (struct cidr){ f.pods[pod_ix("y/b")].ip, 32 };
	p = pol_add(&f, "x", "cidr-except", SEL1("pod", "a"), false, true);
	p->out = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){ {
		.has_block = true, .block = { 0x0af40000u, 16 }, .except = &except,
		.nexcept = 1 } }, .npeers = 1 } };
	p->nout = 1;
	m_all(&m, true);
	m_set(&m, "x/a", "y/b", false);
	check_reach_all("egress ipBlock except", &f.t, &m);
	{
		struct policy_flow out = { f.pods[0].ip, 0xcb007105u, IPPROTO_TCP, 80 };

		CHECK(!admits(&f.t, 0, -1, &out));	/* outside the block */
	}

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "from-node-1-pods", SEL1("pod", "a"), true, false);
	except = (struct cidr){ f.pods[pod_ix("z/a")].ip, 32 };
	p->in = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){ {
		.has_block = true, .block = f.nodes[0].pod_cidr, .except = &except,
		.nexcept = 1 } }, .npeers = 1 } };
	p->nin = 1;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	for (size_t i = 0; i < NPODS; i++)	/* node-1's pods, but z/a */
		if (f.pods[i].node == 0 && i != pod_ix("z/a"))
			m.v[i][pod_ix("x/a")] = true;
	check_reach_all("ingress ipBlock except", &f.t, &m);
	{
		/* The internet, and a Service's SNAT to node-2 (Cluster policy). */
		struct policy_flow in = { 0xcb007105u, f.pods[0].ip, IPPROTO_TCP, 80 };

		CHECK(!admits(&f.t, -1, 0, &in));
		in.saddr = f.nodes[1].ip;
		CHECK(!admits(&f.t, -1, 0, &in));
		p->in[0].peers[0].block = (struct cidr){ 0xac120000u, 24 };	/* the VPC */
		CHECK(admits(&f.t, -1, 0, &in));
	}
}

/* Dual-stack ipBlocks in the IPv4 lab: an IPv6 peer matches no address,
 * even though its unused IPv4 block is all zeros (0.0.0.0/0): a rule of
 * IPv6 peers only admits nothing, never "any peer"; a rule with both
 * families admits what its IPv4 peers admit. */
static void test_ip_block_v6(void)
{
	struct topo_np_peer v6 = { .has_block = true, .block_v6 = true };
	struct policy_flow out;
	struct topo_policy *p;
	struct cidr6 any6;
	struct reach m;
	struct fx f;

	CHECK(cidr6_parse("::/0", &any6) == 0);
	v6.block6 = any6;
	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "p", SEL_ALL, true, false);
	for (size_t i = 0; i < NPODS; i++) {
		CHECK(!policy_peer_matches_addr(&f.t, p, &v6, f.pods[i].ip));
		CHECK(!policy_peer_selects(&f.t, p, &v6, i));
	}
	CHECK(!policy_peer_matches_addr(&f.t, p, &v6, 0xcb007105u));
	CHECK(!policy_peer_matches_addr(&f.t, p, &v6, 0));

	/* egress of x/a allowed to ::/0 only: x/a reaches nobody */
	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "v6-only", SEL1("pod", "a"), false, true);
	p->out = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){ v6 }, .npeers = 1 } };
	p->nout = 1;
	m_all(&m, true);
	m_from(&m, "x/a", false);
	check_reach_all("egress to ::/0 only", &f.t, &m);
	out = (struct policy_flow){ f.pods[pod_ix("x/a")].ip, 0xcb007105u, IPPROTO_TCP, 443 };
	CHECK(!admits(&f.t, (ssize_t)pod_ix("x/a"), -1, &out));	/* nor the internet */

	/* ::/0 and y/b's /32: y/b only */
	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "mixed", SEL1("pod", "a"), false, true);
	p->out = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){ v6,
		{ .has_block = true, .block = { f.pods[pod_ix("y/b")].ip, 32 } } },
		.npeers = 2 } };
	p->nout = 1;
	m_all(&m, true);
	m_from(&m, "x/a", false);
	m_set(&m, "x/a", "y/b", true);
	check_reach_all("egress to ::/0 and y/b", &f.t, &m);
	{
		struct policy_side e = { 0 };
		struct policy_flow fl = { f.pods[pod_ix("x/a")].ip, f.pods[pod_ix("y/b")].ip,
					  IPPROTO_TCP, 80 };

		/* the IPv4 peer (index 1) is the one that admitted it */
		CHECK(policy_eval(&f.t, POLICY_EGRESS, pod_ix("x/a"), &fl, &e) == 0);
		CHECK(e.allowed && e.rule == 0 && e.peer == 1);
		policy_side_free(&e);
	}
	CHECK(!admits(&f.t, (ssize_t)pod_ix("x/a"), -1, &out));

	/* 0.0.0.0/0 and ::/0, the usual dual-stack allow: everything */
	p->out[0].peers[1].block = (struct cidr){ 0, 0 };
	m_all(&m, true);
	check_reach_all("egress to 0.0.0.0/0 and ::/0", &f.t, &m);
	CHECK(admits(&f.t, (ssize_t)pod_ix("x/a"), -1, &out));
}

/* Allows add up: upstream "should enforce multiple ingress policies with
 * ingress allow-all policy taking precedence" and "multiple egress
 * policies"; and both sides needed: egress of x denied, ingress of y open. */
static void test_stacked(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "allow-80", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ {
		.ports = (struct topo_np_port[]){ { TOPO_NP_TCP, 80, "", 0 } }, .nports = 1 } };
	p->nin = 1;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	check_reach("allow 80 only: tcp 81", &f.t, IPPROTO_TCP, 81, &m);
	p = pol_add(&f, "x", "allow-all", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ { 0 } };
	p->nin = 1;
	m_all(&m, true);
	check_reach_all("allow-all added", &f.t, &m);

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "from-b", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){
		PEER_PODS(SEL1("pod", "b")) }, .npeers = 1 } };
	p->nin = 1;
	p = pol_add(&f, "x", "from-y", SEL_ALL, true, false);
	p->in = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){
		PEER_NS(SEL1("ns", "y")) }, .npeers = 1 } };
	p->nin = 1;
	m_all(&m, true);
	m_to_ns(&m, 'x', false);
	m_from_ns(&m, 'y', true);
	m_set(&m, "x/b", "x/a", true);
	check_reach_all("two policies, union", &f.t, &m);
	/* An egress policy isolates no ingress: a deny-all egress on y stops y. */
	pol_add(&f, "y", "deny-egress", SEL_ALL, false, true);
	m_from_ns(&m, 'y', false);
	check_reach_all("egress of y denied too", &f.t, &m);

	/* Both sides: ingress of y/a admits everybody, but x's egress is shut. */
	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "y", "allow-all-in", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ { 0 } };
	p->nin = 1;
	pol_add(&f, "x", "deny-egress", SEL_ALL, false, true);
	m_all(&m, true);
	m_from_ns(&m, 'x', false);
	check_reach_all("egress and ingress both needed", &f.t, &m);

	/* Upstream "should work with Ingress, Egress specified together":
	 * x/a takes from x/b only and sends to x/b only. */
	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "in-out", SEL1("pod", "a"), true, true);
	p->in = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){
		PEER_PODS(SEL1("pod", "b")) }, .npeers = 1 } };
	p->nin = 1;
	p->out = p->in;
	p->nout = 1;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	m_from(&m, "x/a", false);
	m_set(&m, "x/b", "x/a", true);
	m_set(&m, "x/a", "x/b", true);
	check_reach_all("ingress and egress together", &f.t, &m);
}

/* The admitting policy, rule, peer and port are the first that admit, in
 * topology order; the isolating list names every isolating policy. */
static void test_recorded(void)
{
	struct fx f;
	struct topo_policy *p;
	struct policy_side s;
	size_t xa = pod_ix("x/a"), xb = pod_ix("x/b"), yb = pod_ix("y/b");
	struct policy_flow fl;

	fx_init(&f, TOPO_MODE_ROUTED);
	pol_add(&f, "x", "deny", SEL_ALL, true, true);
	pol_add(&f, "y", "elsewhere", SEL_ALL, true, false);
	p = pol_add(&f, "x", "allow", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){
		{ .peers = (struct topo_np_peer[]){ PEER_NS(SEL1("ns", "z")) }, .npeers = 1 },
		{ .peers = (struct topo_np_peer[]){ PEER_NS(SEL1("ns", "z")),
						     PEER_PODS(SEL1("pod", "b")) }, .npeers = 2,
		  .ports = (struct topo_np_port[]){ { TOPO_NP_UDP, 0, "", 0 },
						     { TOPO_NP_TCP, 80, "", 81 } }, .nports = 2 },
		{ 0 },
	};
	p->nin = 3;
	fl = (struct policy_flow){ f.pods[xb].ip, f.pods[xa].ip, IPPROTO_TCP, 81 };
	CHECK(policy_eval(&f.t, POLICY_INGRESS, xa, &fl, &s) == 0);
	CHECK(s.isolated && !s.exempt && s.allowed);
	CHECK(s.nisolating == 2 && s.isolating[0] == 0 && s.isolating[1] == 2);
	CHECK(s.policy == 2 && s.rule == 1 && s.peer == 1 && s.port == 1);
	CHECK(s.dir == POLICY_INGRESS && s.pod == xa);
	policy_side_free(&s);
	CHECK(s.isolating == NULL);
	fl = (struct policy_flow){ f.pods[yb].ip, f.pods[xa].ip, IPPROTO_ICMP, 0 };
	CHECK(policy_eval(&f.t, POLICY_INGRESS, xa, &fl, &s) == 0);
	CHECK(s.allowed && s.policy == 2 && s.rule == 2);	/* the catch-all */
	CHECK(s.peer == POLICY_ANY && s.port == POLICY_ANY);
	policy_side_free(&s);
	/* Not isolated: nothing recorded, nothing allocated. */
	fl = (struct policy_flow){ f.pods[xa].ip, f.pods[yb].ip, IPPROTO_TCP, 80 };
	CHECK(policy_eval(&f.t, POLICY_EGRESS, yb, &fl, &s) == 0);
	CHECK(!s.isolated && s.allowed && !s.nisolating && !s.isolating);
	CHECK(s.policy == POLICY_ANY);
	policy_side_free(&s);
	/* Denied: the isolating list, nothing admitting. */
	fl = (struct policy_flow){ f.pods[xa].ip, f.pods[yb].ip, IPPROTO_TCP, 80 };
	CHECK(policy_eval(&f.t, POLICY_EGRESS, xa, &fl, &s) == 0);
	CHECK(s.isolated && !s.allowed && s.nisolating == 1 && s.isolating[0] == 0);
	CHECK(s.policy == POLICY_ANY && s.rule == POLICY_ANY);
	policy_side_free(&s);
}

/* A pod and its own node are never subject: kubelet probes in, and what a
 * pod sends its node; another node's addresses are subject. */
static void test_node_exempt(void)
{
	static const enum topo_mode modes[] = { TOPO_MODE_ROUTED, TOPO_MODE_VXLAN, TOPO_MODE_VPC };

	for (size_t k = 0; k < 3; k++) {
		struct fx f;
		struct policy_side s;
		size_t xa = pod_ix("x/a");	/* on node-1 */
		const struct topo_node *own, *other;
		struct policy_flow fl;

		fx_init(&f, modes[k]);
		own = &f.nodes[f.pods[xa].node];
		other = &f.nodes[1 - f.pods[xa].node];
		pol_add(&f, "x", "deny-all", SEL_ALL, true, true);

		fl = (struct policy_flow){ own->ip, f.pods[xa].ip, IPPROTO_TCP, 80 };
		CHECK(policy_eval(&f.t, POLICY_INGRESS, xa, &fl, &s) == 0);
		CHECKF(s.exempt && s.allowed && s.isolated && s.nisolating == 1, "mode %zu", k);
		CHECK(s.policy == POLICY_ANY);
		policy_side_free(&s);
		fl.saddr = other->ip;
		CHECK(policy_eval(&f.t, POLICY_INGRESS, xa, &fl, &s) == 0);
		CHECKF(!s.exempt && !s.allowed, "mode %zu", k);
		policy_side_free(&s);
		fl = (struct policy_flow){ f.pods[xa].ip, own->ip, IPPROTO_ICMP, 0 };
		CHECK(policy_eval(&f.t, POLICY_EGRESS, xa, &fl, &s) == 0);
		CHECKF(s.exempt && s.allowed, "mode %zu", k);
		policy_side_free(&s);
		fl.daddr = other->ip;
		CHECK(policy_eval(&f.t, POLICY_EGRESS, xa, &fl, &s) == 0);
		CHECKF(!s.exempt && !s.allowed, "mode %zu", k);
		policy_side_free(&s);
		/* The pod gateway: cbr0's address is the node's; vpc's 169.254.1.1 is not. */
		fl = (struct policy_flow){ own->gw, f.pods[xa].ip, IPPROTO_TCP, 80 };
		CHECK(policy_eval(&f.t, POLICY_INGRESS, xa, &fl, &s) == 0);
		CHECKF(s.exempt == (modes[k] != TOPO_MODE_VPC), "mode %zu", k);
		policy_side_free(&s);
	}
}

/* ICMP passes a rule without ports and never a rule with ports. */
static void test_icmp(void)
{
	struct fx f;
	struct reach m;
	struct topo_policy *p;

	fx_init(&f, TOPO_MODE_ROUTED);
	p = pol_add(&f, "x", "from-b", SEL1("pod", "a"), true, false);
	p->in = (struct topo_np_rule[]){ { .peers = (struct topo_np_peer[]){
		PEER_PODS(SEL1("pod", "b")) }, .npeers = 1 } };
	p->nin = 1;
	m_all(&m, true);
	m_to(&m, "x/a", false);
	m_set(&m, "x/b", "x/a", true);
	check_reach("icmp, rule without ports", &f.t, IPPROTO_ICMP, 0, &m);
	p->in[0].ports = (struct topo_np_port[]){ { TOPO_NP_TCP, 0, "", 0 },
						   { TOPO_NP_UDP, 0, "", 0 } };
	p->in[0].nports = 2;
	m_set(&m, "x/b", "x/a", false);
	check_reach("icmp, rule with ports", &f.t, IPPROTO_ICMP, 0, &m);
	m_set(&m, "x/b", "x/a", true);
	check_reach("tcp, rule with ports", &f.t, IPPROTO_TCP, 80, &m);
}

/* An egress rule with no peers reaches outside the cluster too; a rule
 * naming pods does not. */
static void test_egress_outside(void)
{
	struct fx f;
	struct topo_policy *p;
	struct policy_flow out;

	fx_init(&f, TOPO_MODE_ROUTED);
	out = (struct policy_flow){ f.pods[0].ip, 0xcb007105u, IPPROTO_TCP, 80 };
	p = pol_add(&f, "x", "egress-all", SEL_ALL, false, true);
	p->out = (struct topo_np_rule[]){ { 0 } };
	p->nout = 1;
	CHECK(admits(&f.t, 0, -1, &out));
	p->out[0].peers = (struct topo_np_peer[]){ PEER_NS(SEL_ALL) };
	p->out[0].npeers = 1;
	CHECK(!admits(&f.t, 0, -1, &out));
	CHECK(reach(&f.t, 0, pod_ix("z/c"), IPPROTO_TCP, 80));
	/* An isolating policy without rules in that direction admits nothing. */
	p->nout = 0;
	CHECK(!reach(&f.t, 0, pod_ix("z/c"), IPPROTO_TCP, 80));
}

/* The same evaluator on a topology read and resolved by lib/topo (the
 * namespaces' name labels, addresses, policyTypes defaulted by the parser):
 * tests/topologies/good/network-policy.json, whose pods alternate between
 * node-1 and node-2 in the order x/a, x/b, ... z/c. */
static void test_parsed(void)
{
	static char doc[1 << 16];
	struct topo t = { 0 };
	struct topo_error err = { 0 };
	struct reach m;
	FILE *fp = fopen("tests/topologies/good/network-policy.json", "r");
	size_t n;

	if (!CHECK(fp))
		return;
	n = fread(doc, 1, sizeof(doc), fp);
	fclose(fp);
	if (!CHECKF(topo_from_json(&t, doc, n, &err) == 0 && topo_resolve(&t, &err) == 0,
		    "%s %s: %s", err.path, err.value, err.msg) ||
	    !CHECKF(t.npods == NPODS && t.npolicies == 4, "%zu pods, %zu policies", t.npods,
		    t.npolicies))
		goto out;
	for (size_t i = 0; i < NPODS; i++)
		CHECK(t.pods[i].node == i % 2 && t.pods[i].ns[0] == (char)('x' + i / 3) &&
		      t.pods[i].name[0] == (char)('a' + i % 3));
	CHECK(t.policies[1].ingress && !t.policies[1].egress);	/* defaulted */
	CHECK(!t.policies[2].ingress && t.policies[2].egress);

	/* x: default deny ingress, but x/a takes named port serve-80-tcp from
	 * y. y/a and y/b send to the cluster but node-2's pods, and to port
	 * 53 anywhere. z/c takes TCP 80..81 from labelled pods of x and y. */
	m_all(&m, true);
	m_to_ns(&m, 'x', false);
	m_set(&m, "y/a", "x/a", true);
	m_set(&m, "y/b", "x/a", true);
	m_set(&m, "y/c", "x/a", true);
	m_to(&m, "z/c", false);
	m_from_ns(&m, 'x', true);
	m_from_ns(&m, 'y', true);
	m_to_ns(&m, 'x', false);
	m_set(&m, "y/a", "x/a", true);
	m_set(&m, "y/b", "x/a", true);
	m_set(&m, "y/c", "x/a", true);
	for (size_t j = 0; j < NPODS; j++) {
		if (j % 2 == 1) {	/* node-2's pods */
			m.v[pod_ix("y/a")][j] = false;
			m.v[pod_ix("y/b")][j] = false;
		}
	}
	check_reach("parsed: tcp 80", &t, IPPROTO_TCP, 80, &m);

	m_set(&m, "y/a", "x/a", false);		/* serve-80-tcp is 80 */
	m_set(&m, "y/b", "x/a", false);
	m_set(&m, "y/c", "x/a", false);
	check_reach("parsed: tcp 81", &t, IPPROTO_TCP, 81, &m);

	m_from_ns(&m, 'x', true);		/* z/c takes TCP only */
	m_from_ns(&m, 'y', true);
	m_from_ns(&m, 'z', true);
	m_to_ns(&m, 'x', false);
	m_to(&m, "z/c", false);
	for (size_t j = 0; j < NPODS; j++) {
		if (j % 2 == 1) {
			m.v[pod_ix("y/a")][j] = false;
			m.v[pod_ix("y/b")][j] = false;
		}
	}
	check_reach("parsed: udp 80", &t, IPPROTO_UDP, 80, &m);
	{
		/* y/b (node-1) to node-2's DNS-like port 53: the second rule. */
		struct policy_flow dns = { t.pods[pod_ix("y/b")].ip, t.pods[pod_ix("z/b")].ip,
					   IPPROTO_UDP, 53 };
		struct policy_side side;

		CHECK(policy_eval(&t, POLICY_EGRESS, pod_ix("y/b"), &dns, &side) == 0);
		CHECK(side.allowed && side.policy == 2 && side.rule == 1 &&
		      side.peer == POLICY_ANY && side.port == 0);
		policy_side_free(&side);
		/* A kubelet probe to x/b from node-2 passes; from node-1 not. */
		dns = (struct policy_flow){ t.nodes[1].ip, t.pods[pod_ix("x/b")].ip, IPPROTO_TCP, 80 };
		CHECK(admits(&t, -1, (ssize_t)pod_ix("x/b"), &dns));
		dns.saddr = t.nodes[0].ip;
		CHECK(!admits(&t, -1, (ssize_t)pod_ix("x/b"), &dns));
	}
out:
	topo_free(&t);
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
	RUN(test_no_policy);
	RUN(test_default_deny);
	RUN(test_pod_selector);
	RUN(test_namespace_selector);
	RUN(test_match_expressions);
	RUN(test_pods_and_namespaces);
	RUN(test_numeric_ports);
	RUN(test_named_ports);
	RUN(test_end_port_and_protocol);
	RUN(test_sctp);
	RUN(test_ip_block_eval);
	RUN(test_ip_block_v6);
	RUN(test_stacked);
	RUN(test_recorded);
	RUN(test_node_exempt);
	RUN(test_icmp);
	RUN(test_egress_outside);
	RUN(test_parsed);
	return unit_summary();
}
