/* Diagnosis without a lab: each check of lib/trace/diag/ is a pure
 * function of the evidence, so fixtures (captured packets, hops, nftables
 * events, kernel drops, the sysctls asked afterwards) decide the verdict
 * here exactly as a live trace would. The table's order is tested too: an
 * nftables drop outranks the kernel's own account of it, a kernel drop
 * outranks a bare timeout, a copy's drop followed by the packet's later
 * hops is not the end. */
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>

#include <linux/neighbour.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>

#include <jansson.h>

#include "out/trace.h"
#include "trace/diag/diag.h"
#include "trace/internal.h"
#include "unit.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const uint32_t CLIENT = IP(10, 244, 1, 2), WEB2 = IP(10, 244, 2, 2);

/* Three places: the client pod, node-1, node-2; the client's SYN seen
 * leaving the pod (t=1000), entering node-1 (t=2000), entering node-2
 * (t=3000), plus any extra packets. */
static void fixture(struct trace *t, const struct capture_pkt *extra, size_t nextra)
{
	static const char *const labels[] = { "pod default/client", "node node-1", "node node-2" };
	static const char *const names[] = { "pp_pod_client", "pp_node_1", "pp_node_2" };
	struct capture_pkt p[8] = { 0 };
	size_t n = 0;

	memset(t, 0, sizeof(*t));
	t->nns = 3;
	t->ns = calloc(3, sizeof(*t->ns));
	t->ns_label = calloc(3, sizeof(*t->ns_label));
	for (size_t i = 0; i < 3; i++) {
		t->ns[i] = strdup(names[i]);
		strcpy(t->ns_label[i], labels[i]);
	}
	t->src.netns = names[0];
	strcpy(t->src.label, "default/client");
	t->dst.ip = WEB2;
	t->probe.proto = PROBE_TCP;
	t->probe.sport = 40000;
	t->probe.dport = 8080;
	t->timeout_ms = 2000;
	t->svc.svc = -1;
	t->last_hop = -1;
	for (size_t i = 0; i < 3; i++) {
		p[n] = (struct capture_pkt){ .ts_ns = 1000 * (i + 1), .ns = i, .outgoing = i == 0,
					     .ethertype = 0x0800, .saddr = CLIENT, .daddr = WEB2,
					     .proto = IPPROTO_TCP, .sport = 40000, .dport = 8080,
					     .tcp_flags = 0x02 };
		strcpy(p[n++].ifname, "eth0");
	}
	for (size_t i = 0; i < nextra; i++)
		p[n++] = extra[i];
	t->cap = capture_from_packets(p, n);
	for (size_t i = 0; i < 3; i++) {
		t->hops[i] = (struct trace_hop){ .pkt = &capture_packets(t->cap, &n)[i], .ns = i,
						 .svc.svc = -1 };
	}
	t->nhops = 3;
	t->last_hop = 2;
	t->res.outcome = PROBE_TIMEOUT;
	t->ev.ip_forward = t->ev.rp_filter = t->ev.ct_count = t->ev.ct_max = -1;
}

static void drop_add(struct trace *t, uint64_t ts, ssize_t ns, const char *ifname,
		     const char *reason, const char *func)
{
	struct trace_drop *d = realloc(t->drops, (t->ndrops + 1) * sizeof(*d));

	if (!d)
		abort();
	t->drops = d;
	d = &t->drops[t->ndrops++];
	*d = (struct trace_drop){ .ts_ns = ts, .ns = ns, .proto = IPPROTO_TCP, .saddr = CLIENT,
				  .daddr = WEB2, .sport = 40000, .dport = 8080 };
	strcpy(d->ifname, ifname);
	strcpy(d->reason, reason);
	strcpy(d->func, func);
}

static void release(struct trace *t)
{
	trace_free(t);
}

static void test_delivered(void)
{
	struct trace t;

	fixture(&t, NULL, 0);
	t.res.outcome = PROBE_OK;
	strcpy(t.res.answer, "pod=default/web-2");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "delivered");
	CHECK_EQ_STR(t.cause, "delivered");
	CHECK_EQ_STR(t.reason, "pod=default/web-2");
	release(&t);
}

/* Through the ingress, nginx's default backend answered: delivered, but the
 * reason says no Ingress rule matched (nginx's header), not the page. */
static void test_default_backend(void)
{
	struct trace t;

	fixture(&t, NULL, 0);
	t.res.outcome = PROBE_OK;
	t.res.http_status = 404;
	strcpy(t.res.answer, "HTTP 404 Not Found");
	strcpy(t.res.via, LAB_INGRESS_DEFAULT_BACKEND "no Ingress rule matched host x.test");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "delivered");
	CHECK_EQ_STR(t.cause, "default-backend");
	CHECK_EQ_STR(t.reason, "no Ingress rule matched host x.test: the default backend answered 404");
	release(&t);
}

static void test_timeout_names_last_hop(void)
{
	struct trace t;

	fixture(&t, NULL, 0);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "timeout");
	CHECKF(strstr(t.reason, "last seen at hop 3, node node-2 eth0 (in)"), "%s", t.reason);
	CHECK_EQ_INT((int)t.findings[0].hop, 2);
	release(&t);
}

/* The issue's own example: forwarding off on node-2. */
static void test_forwarding_off(void)
{
	struct trace t;
	const struct trace_finding *f;

	fixture(&t, NULL, 0);
	drop_add(&t, 3500, 2, "eth0", "IP_INADDRERRORS", "ip_error");
	t.ev.sys_asked = true;
	t.ev.sys_at = 2;
	t.ev.ip_forward = 0;
	CHECK_EQ_INT(diag_run(&t), 0);
	f = &t.findings[0];
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "dropped");
	CHECK_EQ_STR(t.cause, "forwarding-off");
	CHECK_EQ_STR(f->check, "kernel-drop");
	CHECK_EQ_INT((int)f->ns, 2);
	CHECK_EQ_STR(f->object, "sysctl net.ipv4.ip_forward");
	CHECK_EQ_STR(f->expected, "1");
	CHECK_EQ_STR(f->actual, "0");
	CHECK_EQ_STR(f->drop_reason, "IP_INADDRERRORS");
	CHECK_EQ_STR(f->drop_func, "ip_error");
	CHECKF(strstr(t.reason, "node node-2 did not forward it: IPv4 forwarding is off "
		       "(net.ipv4.ip_forward=0); kernel drop reason IP_INADDRERRORS in ip_error"),
	       "%s", t.reason);
	release(&t);
}

/* Without the sysctl (asked elsewhere, or not at all) the reason alone. */
static void test_kernel_drop_unexplained(void)
{
	struct trace t;

	fixture(&t, NULL, 0);
	drop_add(&t, 3500, 2, "eth0", "IP_INADDRERRORS", "ip_error");
	t.ev.sys_asked = true;
	t.ev.sys_at = 1;	/* not where it dropped */
	t.ev.ip_forward = 0;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "kernel-drop");
	CHECKF(strstr(t.reason, "drop reason IP_INADDRERRORS in ip_error"), "%s", t.reason);
	release(&t);
}

/* A drop of a copy (a flooded frame) that the packet outlived is no end. */
static void test_copy_drop_is_not_the_end(void)
{
	struct trace t;

	fixture(&t, NULL, 0);
	drop_add(&t, 1500, 1, "cbr0", "OTHERHOST", "ip_rcv_core");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "timeout");
	CHECK(diag_terminal_drop(&t) == NULL);
	release(&t);
}

static void test_rp_filter(void)
{
	struct trace t;

	fixture(&t, NULL, 0);
	drop_add(&t, 3500, 2, "eth0", "IP_RPFILTER", "ip_rcv_finish_core");
	t.ev.sys_asked = true;
	t.ev.sys_at = 2;
	t.ev.rp_filter = 1;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "rp-filter");
	CHECK_EQ_STR(t.findings[0].object, "sysctl net.ipv4.conf.eth0.rp_filter");
	CHECK_EQ_STR(t.findings[0].actual, "1");
	release(&t);
}

static void test_conntrack_full(void)
{
	struct trace t;

	fixture(&t, NULL, 0);
	drop_add(&t, 3500, 2, "eth0", "NETFILTER_DROP", "nf_hook_slow");
	t.ev.sys_asked = true;
	t.ev.sys_at = 2;
	t.ev.ct_count = 8;
	t.ev.ct_max = 8;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "conntrack-full");
	t.ev.ct_count = 3;	/* room left: another hook dropped it */
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "netfilter-hook");
	release(&t);
}

/* An nftables rule that dropped it is the verdict; the kernel's account
 * of the same drop (NETFILTER_DROP, same place) joins it as its reason. */
static void test_nft_outranks_kernel(void)
{
	struct trace t;
	struct nftrace_event ev = { .kind = NFTRACE_RULE, .verdict = NF_DROP, .family = NFPROTO_INET };

	fixture(&t, NULL, 0);
	strcpy(ev.table, "filter");
	strcpy(ev.chain, "forward");
	strcpy(ev.rule, "handle 3: ip daddr 10.244.2.2 drop");
	t.nft = calloc(1, sizeof(*t.nft));
	t.nft_ns = calloc(1, sizeof(*t.nft_ns));
	t.nft[0] = ev;
	t.nft_ns[0] = 2;
	t.nnft = 1;
	drop_add(&t, 3500, 2, "eth0", "NETFILTER_DROP", "nf_hook_slow");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "nft-rule");
	CHECK_EQ_INT((int)t.nfindings, 1);
	CHECK_EQ_STR(t.findings[0].drop_reason, "NETFILTER_DROP");
	CHECKF(strstr(t.reason, "dropped by nftables in node node-2: table filter chain forward, "
		       "rule handle 3"), "%s", t.reason);
	release(&t);
}

/* ARP for the next hop went unanswered where the probe was last seen. */
static void test_arp_unanswered(void)
{
	struct capture_pkt arp = { .ts_ns = 3100, .ns = 2, .outgoing = true, .ethertype = 0x0806,
				   .arp_op = 1, .arp_spa = IP(10, 244, 2, 1), .arp_tpa = WEB2 };
	struct trace t;

	strcpy(arp.ifname, "cbr0");
	fixture(&t, &arp, 1);
	t.ev.asked = true;
	t.ev.at = 2;
	t.ev.next_hop = WEB2;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "no-neighbour");
	CHECK_EQ_STR(t.findings[0].ifname, "cbr0");
	CHECKF(strstr(t.reason, "neighbour 10.244.2.2 not resolved: ARP on node node-2 cbr0 "
		       "unanswered"), "%s", t.reason);
	release(&t);
}

/* The neighbour was already FAILED before this trace: the host
 * unreachable came from there, and it is named. */
static void test_neigh_failed(void)
{
	struct trace t;

	fixture(&t, NULL, 0);
	t.res.outcome = PROBE_UNREACHABLE;
	t.ev.asked = true;
	t.ev.at = 2;
	t.ev.next_hop = WEB2;
	t.ev.neigh_state = NUD_FAILED;
	strcpy(t.ev.route_oif, "cbr0");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "no-neighbour");
	CHECK_EQ_STR(t.findings[0].actual, "FAILED");
	release(&t);
}

/* kube-proxy DNATed to an address no pod of the Service holds: named as
 * a stale endpoint at the hop where the DNAT showed, before the ARP that
 * then went unanswered. */
static void test_stale_endpoint(void)
{
	static struct topo_service svc = { .ns = "default", .name = "web" };
	static struct lab lab;
	struct trace t;

	fixture(&t, NULL, 0);
	lab.topo.services = &svc;
	lab.topo.nservices = 1;
	t.lab = &lab;
	t.hops[1].svc = (struct trace_svc){ .svc = 0, .named = true, .pod = -1,
					    .ep_ip = IP(10, 244, 2, 99), .ep_port = 8080 };
	strcpy(t.hops[1].svc.ns, "default");
	strcpy(t.hops[1].svc.name, "web");
	strcpy(t.hops[1].svc.ep_chain, "endpoint-ABC-default/web/tcp/http__10.244.2.99/8080");
	t.ev.asked = true;
	t.ev.at = 2;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "stale-endpoint");
	CHECK_EQ_INT((int)t.findings[0].hop, 1);
	CHECK_EQ_STR(t.findings[0].object, "endpoint 10.244.2.99:8080 of Service default/web");
	CHECK_EQ_STR(t.findings[0].command, "ip netns exec pp_node_1 nft list chain ip kube-proxy "
		     "endpoint-ABC-default/web/tcp/http__10.244.2.99/8080");
	t.lab = NULL;	/* static: not the trace's to free */
	release(&t);
}

/* A blackhole route where it was last seen: the route check names it,
 * and the kernel's bare drop at the same place only adds its reason. */
static void test_blackhole_route(void)
{
	struct trace t;

	fixture(&t, NULL, 0);
	drop_add(&t, 3500, 2, "eth0", "NOT_SPECIFIED", "ip_error");
	t.ev.asked = true;
	t.ev.at = 2;
	t.ev.route_err = -EINVAL;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "no-route");
	CHECK_EQ_STR(t.cause, "blackhole-route");
	CHECK_EQ_INT((int)t.nfindings, 1);
	CHECK_EQ_STR(t.findings[0].drop_reason, "NOT_SPECIFIED");
	CHECK_EQ_STR(t.findings[0].drop_func, "ip_error");
	CHECK_EQ_STR(t.findings[0].object, "route to 10.244.2.2");
	t.ev.route_err = -EACCES;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "prohibit-route");
	release(&t);
}

/* iptables-legacy's counters named the rule: it outranks the kernel's
 * NETFILTER_DROP, which joins it as its drop reason. */
static void test_iptables_legacy(void)
{
	struct trace t;
	struct trace_ipt_hit h = { .ns = 2, .num = 1, .pkts = 1 };

	fixture(&t, NULL, 0);
	strcpy(h.table, "filter");
	strcpy(h.chain, "FORWARD");
	strcpy(h.text, "-A FORWARD -s 10.244.1.2/32 -j DROP");
	strcpy(h.target, "DROP");
	t.ipt = malloc(sizeof(h));
	t.ipt[0] = h;
	t.nipt = 1;
	drop_add(&t, 3500, 2, "eth0", "NETFILTER_DROP", "nf_hook_slow");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "iptables-legacy-rule");
	CHECK_EQ_INT((int)t.nfindings, 1);
	CHECK_EQ_STR(t.findings[0].drop_reason, "NETFILTER_DROP");
	CHECK_EQ_STR(t.findings[0].command, "");	/* no lab: no command to give */
	CHECKF(strstr(t.reason, "rule 1, \"-A FORWARD -s 10.244.1.2/32 -j DROP\""), "%s", t.reason);
	/* An ACCEPT that counted it says nothing. */
	strcpy(t.ipt[0].target, "ACCEPT");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "netfilter-hook");
	release(&t);
}

/* A frame for another MAC: the sender's entry against the owner's MAC. */
static void test_wrong_neighbour(void)
{
	static const uint8_t bad[6] = { 2, 0, 0, 0, 0, 0x99 }, good[6] = { 2, 0x50, 1, 2, 0, 1 };
	struct trace t;

	fixture(&t, NULL, 0);
	drop_add(&t, 3500, 2, "eth0", "OTHERHOST", "ip_rcv_core");
	t.ev.neigh_asked = true;
	t.ev.neigh_at = 1;
	t.ev.neigh_ip = WEB2;
	t.ev.neigh_nud = NUD_PERMANENT;
	strcpy(t.ev.neigh_if, "cbr0");
	t.ev.neigh_has_mac = t.ev.owner_known = true;
	memcpy(t.ev.neigh_mac, bad, 6);
	memcpy(t.ev.owner_mac, good, 6);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "wrong-neighbour");
	CHECK_EQ_INT((int)t.findings[0].ns, 1);
	CHECK_EQ_STR(t.findings[0].expected, "02:50:01:02:00:01");
	CHECK_EQ_STR(t.findings[0].actual, "02:00:00:00:00:99");
	/* The entry is right after all: a frame for another MAC, said so. */
	memcpy(t.ev.neigh_mac, good, 6);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "wrong-mac");
	release(&t);
}

/* ---- NetworkPolicy -------------------------------------------------------- */

/* The lab behind the policy fixtures: default/client (app=client, and
 * role=frontend when admitted) on node-1, default/web-2 (app=web) on
 * node-2; default/deny-all isolates every pod's ingress with no rule,
 * default/allow-frontend admits role=frontend to web's 8080/TCP, and with
 * egress default/deny-egress isolates client's egress with no rule. Its
 * namespaces are the fixture's: pp_node_1, pp_node_2. */
struct np_lab {
	struct lab lab;
	struct topo_node nodes[2];
	struct topo_pod pods[2];
	struct topo_label client_labels[2], web_labels[1], ns_labels[1];
	struct topo_label sel_web[1], sel_frontend[1], sel_client[1];
	struct topo_namespace ns;
	struct topo_policy pol[3];
	struct topo_np_peer peer;
	struct topo_np_port port;
	struct topo_np_rule rule;
	struct lab_plan_node pnodes[2];
	struct lab_plan_pod ppods[2];
};

static void np_label(struct topo_label *l, const char *k, const char *v)
{
	l->key = (char *)k;
	l->value = (char *)v;
}

static void np_lab_make(struct np_lab *x, bool frontend, bool egress)
{
	static const char *const pods[] = { "client", "web-2" };

	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < 2; i++) {
		struct topo_node *n = &x->nodes[i];

		snprintf(n->name, sizeof(n->name), "node-%zu", i + 1);
		n->ip = IP(172, 18, 0, 11 + i);
		n->pod_cidr = (struct cidr){ .addr = IP(10, 244, 1 + i, 0), .len = 24 };
		n->gw = IP(10, 244, 1 + i, 1);
		snprintf(x->pnodes[i].netns, sizeof(x->pnodes[i].netns), "pp_node_%zu", i + 1);
		snprintf(x->pods[i].ns, sizeof(x->pods[i].ns), "default");
		snprintf(x->pods[i].name, sizeof(x->pods[i].name), "%s", pods[i]);
		x->pods[i].node = i;
		snprintf(x->ppods[i].netns, sizeof(x->ppods[i].netns), "pp_pod_%s", pods[i]);
		snprintf(x->ppods[i].host_if, sizeof(x->ppods[i].host_if), "veth%zu", i);
	}
	x->pods[0].ip = CLIENT;
	x->pods[1].ip = WEB2;
	np_label(&x->client_labels[0], "app", "client");
	np_label(&x->client_labels[1], "role", "frontend");
	x->pods[0].labels = x->client_labels;
	x->pods[0].nlabels = frontend ? 2 : 1;
	np_label(&x->web_labels[0], "app", "web");
	x->pods[1].labels = x->web_labels;
	x->pods[1].nlabels = 1;
	snprintf(x->ns.name, sizeof(x->ns.name), "default");
	np_label(&x->ns_labels[0], TOPO_NS_NAME_LABEL, "default");
	x->ns.labels = x->ns_labels;
	x->ns.nlabels = 1;
	x->ns.declared = true;

	np_label(&x->sel_web[0], "app", "web");
	np_label(&x->sel_frontend[0], "role", "frontend");
	np_label(&x->sel_client[0], "app", "client");
	for (size_t i = 0; i < 3; i++)
		snprintf(x->pol[i].ns, sizeof(x->pol[i].ns), "default");
	snprintf(x->pol[0].name, sizeof(x->pol[0].name), "deny-all");
	x->pol[0].ingress = true;
	snprintf(x->pol[1].name, sizeof(x->pol[1].name), "allow-frontend");
	x->pol[1].pods = (struct topo_selector){ .match = x->sel_web, .nmatch = 1 };
	x->pol[1].ingress = true;
	x->peer = (struct topo_np_peer){ .has_pods = true,
					 .pods = { .match = x->sel_frontend, .nmatch = 1 } };
	x->port = (struct topo_np_port){ .proto = TOPO_NP_TCP, .port = 8080 };
	x->rule = (struct topo_np_rule){ .peers = &x->peer, .npeers = 1, .ports = &x->port,
					 .nports = 1 };
	x->pol[1].in = &x->rule;
	x->pol[1].nin = 1;
	snprintf(x->pol[2].name, sizeof(x->pol[2].name), "deny-egress");
	x->pol[2].pods = (struct topo_selector){ .match = x->sel_client, .nmatch = 1 };
	x->pol[2].egress = true;

	snprintf(x->lab.name, sizeof(x->lab.name), "pp");
	x->lab.topo.nodes = x->nodes;
	x->lab.topo.nnodes = 2;
	x->lab.topo.pods = x->pods;
	x->lab.topo.npods = 2;
	x->lab.topo.namespaces = &x->ns;
	x->lab.topo.nnamespaces = 1;
	x->lab.topo.policies = x->pol;
	x->lab.topo.npolicies = egress ? 3 : 2;
	x->lab.plan.nodes = x->pnodes;
	x->lab.plan.pods = x->ppods;
}

/* The fixture's trace from default/client to default/web-2 in lab x. */
static void np_fixture(struct trace *t, struct np_lab *x)
{
	fixture(t, NULL, 0);
	t->lab = &x->lab;
	t->src.kind = TRACE_EP_POD;
	t->src.pod = 0;
	t->src.node = 0;
	t->dst.kind = TRACE_EP_POD;
	t->dst.pod = 1;
	t->dst.node = 1;
	strcpy(t->dst.label, "default/web-2");
	t->probe.saddr = CLIENT;
	t->proxy_pod = -1;
}

/* The JSON of trace t at path a.b.c (objects only), NULL if absent. */
static json_t *json_at(json_t *o, const char *a, const char *b, const char *c)
{
	o = json_object_get(o, a);
	if (o && b)
		o = json_object_get(o, b);
	if (o && c)
		o = json_object_get(o, c);
	return o;
}

/* A trace event of table network-policy at place ns for the request. The
 * kernel dumps the packet's headers with the first event of each base
 * chain only, as here: the others carry none. */
static void np_event(struct trace *t, size_t ns, enum nftrace_kind kind, const char *chain,
		     uint64_t handle, int verdict, const char *target, const char *comment)
{
	struct nftrace_event *ev = realloc(t->nft, (t->nnft + 1) * sizeof(*ev));
	size_t *evns = realloc(t->nft_ns, (t->nnft + 1) * sizeof(*evns));

	if (!ev || !evns)
		abort();
	t->nft = ev;
	t->nft_ns = evns;
	ev = &t->nft[t->nnft];
	*ev = (struct nftrace_event){ .id = 1, .kind = kind, .family = NFPROTO_IPV4,
				      .handle = handle, .verdict = verdict };
	if (!strncmp(chain, "cali-", 5) && chain[5] >= 'A' && chain[5] <= 'Z') {
		ev->saddr = CLIENT;
		ev->daddr = WEB2;
		ev->proto = IPPROTO_TCP;
		ev->sport = 40000;
		ev->dport = 8080;
	}
	snprintf(ev->table, sizeof(ev->table), "%s", POLICY_TABLE);
	snprintf(ev->chain, sizeof(ev->chain), "%s", chain);
	snprintf(ev->jump_target, sizeof(ev->jump_target), "%s", target);
	snprintf(ev->comment, sizeof(ev->comment), "%s", comment);
	if (kind == NFTRACE_RULE)
		snprintf(ev->rule, sizeof(ev->rule), "handle %llu", (unsigned long long)handle);
	t->nft_ns[t->nnft++] = ns;
}

/* web-2's ingress chain on node-2: both policies' chains, then the drop. */
static void np_ingress_drop(struct trace *t)
{
	np_event(t, 2, NFTRACE_RULE, "cali-POSTROUTING", 3, NFT_JUMP, "cali-tw-default/web-2", "");
	np_event(t, 2, NFTRACE_RULE, "cali-tw-default/web-2", 7, NFT_JUMP,
		 "cali-pi-default/deny-all", "");
	np_event(t, 2, NFTRACE_RETURN, "cali-pi-default/deny-all", 0, NFT_CONTINUE, "", "");
	np_event(t, 2, NFTRACE_RULE, "cali-tw-default/web-2", 8, NFT_JUMP,
		 "cali-pi-default/allow-frontend", "");
	np_event(t, 2, NFTRACE_RETURN, "cali-pi-default/allow-frontend", 0, NFT_CONTINUE, "", "");
	np_event(t, 2, NFTRACE_RULE, "cali-tw-default/web-2", 9, NF_DROP, "",
		 "default/web-2 isolated by default/deny-all default/allow-frontend");
}

/* The issue's own example: ingress isolated by two policies, neither
 * admits the client; the verdict names them all and the rule. */
static void test_policy_denied_ingress(void)
{
	struct np_lab x;
	struct trace t;
	const struct trace_finding *f;

	np_lab_make(&x, false, false);
	np_fixture(&t, &x);
	np_ingress_drop(&t);
	drop_add(&t, 3500, 2, "cbr0", "NETFILTER_DROP", "nf_hook_slow");
	CHECK_EQ_INT(trace_policy_collect(&t), 0);
	CHECK(t.policy[POLICY_INGRESS].valid && t.policy[POLICY_INGRESS].flow_seen);
	CHECK(!t.policy[POLICY_INGRESS].side.allowed);
	CHECK(t.policy[POLICY_EGRESS].valid && t.policy[POLICY_EGRESS].side.allowed);
	CHECK_EQ_INT(diag_run(&t), 0);
	f = &t.findings[0];
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "dropped");
	CHECK_EQ_STR(t.cause, "denied-by-policy");
	CHECK_EQ_STR(f->check, "network-policy");
	CHECK_EQ_INT((int)f->policy_dir, POLICY_INGRESS);
	CHECK_EQ_INT((int)f->ns, 2);
	/* The kernel's account joins it; nft-rule adds nothing. */
	CHECK_EQ_INT((int)t.nfindings, 1);
	CHECK_EQ_STR(f->drop_reason, "NETFILTER_DROP");
	CHECK_EQ_STR(f->object, "nftables table ip network-policy chain cali-tw-default/web-2 "
		     "rule handle 9");
	CHECK_EQ_STR(f->command, "ip netns exec pp_node_2 nft -a list chain ip network-policy "
		     "cali-tw-default/web-2");
	CHECKF(strstr(t.reason, "ingress to default/web-2 is isolated by default/deny-all and "
		       "default/allow-frontend; no rule admits default/client to port 8080/TCP; "
		       "dropped by nftables in node node-2: table network-policy chain "
		       "cali-tw-default/web-2, rule handle 9 (comment \"default/web-2 isolated by "
		       "default/deny-all default/allow-frontend\")"), "%s", t.reason);
	/* The same, structured: the policy object and the finding's direction. */
	{
		json_t *o = out_trace_json(&t), *by = json_at(o, "policy", "ingress", "isolated_by");

		CHECK(json_is_array(by) && json_array_size(by) == 2);
		CHECK_EQ_STR(json_string_value(json_array_get(by, 1)), "default/allow-frontend");
		CHECK(json_is_false(json_at(o, "policy", "ingress", "allowed")));
		CHECK(json_is_null(json_at(o, "policy", "ingress", "admitted_by")));
		CHECK_EQ_STR(json_string_value(json_at(o, "policy", "ingress", "packet_from")),
			     "nftables");
		CHECK_EQ_STR(json_string_value(json_at(json_at(o, "policy", "ingress", "nftables"),
						       "chain", NULL, NULL)), "cali-tw-default/web-2");
		CHECK(json_is_true(json_at(json_at(o, "policy", "ingress", "nftables"), "agrees",
					   NULL, NULL)));
		CHECK_EQ_STR(json_string_value(json_at(json_array_get(json_at(o, "verdict", "findings",
									      NULL), 0),
						       "policy", NULL, NULL)), "ingress");
		CHECK_EQ_STR(json_string_value(json_at(o, "verdict", "cause", NULL)),
			     "denied-by-policy");
		/* The trace's own connection: the details are in "policy". */
		CHECK_EQ_INT((int)json_integer_value(json_at(json_array_get(json_at(o, "verdict",
			"findings", NULL), 0), "connection", NULL, NULL)), 1);
		json_decref(o);
	}
	release(&t);
}

/* Egress denied on the source's node, before DNAT's endpoint could be
 * reached; the other end would deny it too, and says so. */
static void test_policy_denied_egress(void)
{
	struct np_lab x;
	struct trace t;

	np_lab_make(&x, false, true);
	np_fixture(&t, &x);
	t.nhops = 2;		/* seen entering node-1, no further */
	t.last_hop = 1;
	np_event(&t, 1, NFTRACE_RULE, "cali-FORWARD", 4, NFT_JUMP, "cali-fw-default/client", "");
	np_event(&t, 1, NFTRACE_RULE, "cali-fw-default/client", 5, NFT_JUMP,
		 "cali-po-default/deny-egress", "");
	np_event(&t, 1, NFTRACE_RETURN, "cali-po-default/deny-egress", 0, NFT_CONTINUE, "", "");
	np_event(&t, 1, NFTRACE_RULE, "cali-fw-default/client", 6, NF_DROP, "", "");
	CHECK_EQ_INT(trace_policy_collect(&t), 0);
	/* No event on node-2: the ingress side from the request as sent. */
	CHECK(t.policy[POLICY_INGRESS].valid && !t.policy[POLICY_INGRESS].flow_seen &&
	      t.policy[POLICY_INGRESS].flow_sent);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "denied-by-policy");
	CHECK_EQ_INT((int)t.findings[0].policy_dir, POLICY_EGRESS);
	CHECK_EQ_INT((int)t.findings[0].ns, 1);
	CHECK_EQ_STR(t.findings[0].command, "ip netns exec pp_node_1 nft -a list chain ip "
		     "network-policy cali-fw-default/client");
	CHECKF(strstr(t.reason, "egress from default/client is isolated by default/deny-egress; "
		       "no rule admits it to default/web-2 port 8080/TCP (ingress to default/web-2 "
		       "would deny it too); dropped by nftables in node node-1: table network-policy "
		       "chain cali-fw-default/client, rule handle 6"), "%s", t.reason);
	release(&t);
}

/* Dropped in the policy table although the lab's policies admit it: the
 * kernel differs from the plan, and nothing is invented. */
static void test_policy_kernel_differs(void)
{
	struct np_lab x;
	struct trace t;

	np_lab_make(&x, true, false);
	np_fixture(&t, &x);
	np_ingress_drop(&t);
	CHECK_EQ_INT(trace_policy_collect(&t), 0);
	CHECK(t.policy[POLICY_INGRESS].side.allowed);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "dropped");
	CHECK_EQ_STR(t.cause, "policy-rules-differ");
	CHECK_EQ_STR(t.findings[0].expected, "accept");
	CHECK_EQ_STR(t.findings[0].actual, "drop");
	/* The command names the binary as invoked: this test's, here. */
	{
		char want[4096];

		snprintf(want, sizeof(want), "%s --lab pp check", program_invocation_name);
		CHECK_EQ_STR(t.findings[0].command, want);
	}
	CHECKF(strstr(t.reason, "but the lab's NetworkPolicies admit it (ingress to default/web-2 "
		       "admitted by default/allow-frontend spec.ingress[0].from[0] ports[0]): the "
		       "kernel decided otherwise than the lab's policies"), "%s", t.reason);
	release(&t);
}

/* No trace event of the table (lost), but the kernel dropped it in a
 * netfilter hook on the node whose pod the lab's policies isolate: named
 * from the plan's chain. A drop elsewhere is not the policies'. */
static void test_policy_by_kernel_drop(void)
{
	struct np_lab x;
	struct trace t;

	np_lab_make(&x, false, false);
	np_fixture(&t, &x);
	drop_add(&t, 3500, 2, "cbr0", "NETFILTER_DROP", "nf_hook_slow");
	CHECK_EQ_INT(trace_policy_collect(&t), 0);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "denied-by-policy");
	CHECK_EQ_STR(t.findings[0].drop_reason, "NETFILTER_DROP");
	CHECKF(strstr(t.findings[0].object, "chain cali-tw-default/web-2"), "%s",
	       t.findings[0].object);
	CHECKF(strstr(t.reason, "the kernel dropped it in node node-2 (NETFILTER_DROP) where the "
		       "lab's plan puts chain cali-tw-default/web-2"), "%s", t.reason);
	t.drops[0].ns = 1;	/* on the other node: another hook's */
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "netfilter-hook");
	release(&t);
}

/* Kernel drops unwatched (--no-kernel-drops) and no trace event of the
 * table: a request the lab's policies deny that vanished on the isolated
 * pod's node is still named, as the plan's account; one that vanished
 * elsewhere, or while drops were watched and none was seen, is not. */
static void test_policy_unwatched(void)
{
	struct np_lab x;
	struct trace t;

	np_lab_make(&x, false, false);
	np_fixture(&t, &x);
	t.no_drops = true;
	CHECK_EQ_INT(trace_policy_collect(&t), 0);
	/* The ingress side from the request arriving in node-2. */
	CHECK(t.policy[POLICY_INGRESS].valid && !t.policy[POLICY_INGRESS].flow_sent);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "denied-by-policy");
	CHECK_EQ_INT((int)t.findings[0].policy_dir, POLICY_INGRESS);
	CHECK_EQ_INT((int)t.findings[0].ns, 2);
	CHECK_EQ_STR(t.findings[0].command, "ip netns exec pp_node_2 nft -a list chain ip "
		     "network-policy cali-tw-default/web-2");
	CHECKF(strstr(t.reason, "ingress to default/web-2 is isolated by default/deny-all and "
		       "default/allow-frontend; no rule admits default/client to port 8080/TCP; no "
		       "trace event of table network-policy saw it, and kernel drops were not "
		       "watched (--no-kernel-drops): it vanished in node node-2"), "%s", t.reason);
	/* Vanished on node-1: not the ingress side's to explain. */
	t.nhops = 2;
	t.last_hop = 1;
	CHECK_EQ_INT(trace_policy_collect(&t), 0);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK(strcmp(t.cause, "denied-by-policy"));
	/* Drops watched, none seen: the policies do not guess either. */
	t.nhops = 3;
	t.last_hop = 2;
	t.no_drops = false;
	CHECK_EQ_INT(trace_policy_collect(&t), 0);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK(strcmp(t.cause, "denied-by-policy"));
	release(&t);
}

/* Behind an ingress controller: its own connection (the upstream trace)
 * denied by policy is the client's verdict, said as connection 2's, in
 * the client's places; not where the places differ. */
static void test_policy_upstream(void)
{
	struct np_lab x;
	struct trace t, *u = calloc(1, sizeof(*u));

	if (!CHECK(u))
		return;
	np_lab_make(&x, false, false);
	np_fixture(u, &x);
	strcpy(u->src.label, "ingress-nginx/controller");
	np_ingress_drop(u);
	CHECK_EQ_INT(trace_policy_collect(u), 0);
	CHECK_EQ_INT(diag_run(u), 0);
	CHECK_EQ_STR(u->cause, "denied-by-policy");
	np_fixture(&t, &x);
	t.upstream = u;
	CHECK_EQ_INT(trace_policy_collect(&t), 0);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "denied-by-policy");
	CHECK_EQ_INT((int)t.findings[0].ns, 2);
	CHECK_EQ_INT((int)t.findings[0].policy_dir, POLICY_INGRESS);
	CHECKF(!strncmp(t.reason, "connection 2, ingress-nginx/controller's own to the endpoint (see "
			"upstream): ingress to default/web-2 is isolated by default/deny-all and "
			"default/allow-frontend;", 161), "%s", t.reason);
	/* It says whose it is: its policy details are upstream.policy's. */
	CHECK(t.findings[0].upstream);
	{
		json_t *o = out_trace_json(&t);
		json_t *f0 = json_array_get(json_at(o, "verdict", "findings", NULL), 0);

		CHECK_EQ_INT((int)json_integer_value(json_at(f0, "connection", NULL, NULL)), 2);
		CHECK_EQ_INT((int)json_integer_value(json_at(json_array_get(json_at(o, "upstream",
			"verdict", "findings"), 0), "connection", NULL, NULL)), 1);
		json_decref(o);
	}
	/* nginx gave up on its connection and answered 504: still the
	 * denial, not a delivery; and it says what nginx answered. */
	t.res.outcome = PROBE_OK;
	t.res.http_status = 504;
	strcpy(t.res.answer, "HTTP 504 Gateway Time-out");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "dropped");
	CHECK_EQ_STR(t.cause, "denied-by-policy");
	CHECK(t.findings[0].upstream);
	CHECKF(strstr(t.reason, "connection 2, ingress-nginx/controller's own to the endpoint (see "
		      "upstream), for which it answered HTTP 504 Gateway Time-out: ingress to "
		      "default/web-2 is isolated by") == t.reason, "%s", t.reason);
	/* Whatever else ended connection 2, nginx's 504 for it is no
	 * delivery either: connection 2's verdict is the client's. */
	{
		const char *cause = u->findings[0].cause, *check = u->findings[0].check;
		char *text = u->findings[0].text;

		u->findings[0].cause = u->findings[0].check = "nft-rule";
		u->findings[0].text = strdup("dropped by nftables in pod default/web-2");
		CHECK_EQ_INT(diag_run(&t), 0);
		CHECK_EQ_STR(trace_verdict_name(t.verdict), "dropped");
		CHECK_EQ_STR(t.cause, "nft-rule");
		CHECK(t.findings[0].upstream);
		CHECK_EQ_STR(t.reason, "connection 2, ingress-nginx/controller's own to the endpoint (see "
			     "upstream), for which it answered HTTP 504 Gateway Time-out: dropped by "
			     "nftables in pod default/web-2");
		/* nginx's 502 for a connection 2 the endpoint refused. */
		t.res.http_status = 502;
		strcpy(t.res.answer, "HTTP 502 Bad Gateway");
		u->res.outcome = PROBE_REFUSED;
		CHECK_EQ_INT(diag_run(&t), 0);
		CHECK_EQ_STR(trace_verdict_name(t.verdict), "dropped");
		CHECKF(strstr(t.reason, "for which it answered HTTP 502 Bad Gateway: dropped by") != NULL,
		       "%s", t.reason);
		t.res.http_status = 504;
		strcpy(t.res.answer, "HTTP 504 Gateway Time-out");
		u->res.outcome = PROBE_TIMEOUT;
		/* A 504 the backend itself sent (connection 2 answered) is its
		 * answer, delivered. */
		u->res.outcome = PROBE_OK;
		CHECK_EQ_INT(diag_run(&t), 0);
		CHECK_EQ_STR(t.cause, "delivered");
		u->res.outcome = PROBE_TIMEOUT;
		free(u->findings[0].text);
		u->findings[0].text = text;
		u->findings[0].cause = cause;
		u->findings[0].check = check;
	}
	/* The backend's own answer is a delivery, whatever connection 2 was. */
	t.res.http_status = 200;
	strcpy(t.res.answer, "pod=default/web-2");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "delivered");
	CHECK(!t.findings[0].upstream);
	t.res.outcome = PROBE_TIMEOUT;
	t.res.http_status = 0;
	t.res.answer[0] = '\0';
	free((char *)u->ns[2]);
	u->ns[2] = strdup("elsewhere");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK(strcmp(t.cause, "denied-by-policy"));
	release(&t);
}

/* Delivered to an isolated pod: the note names the policy and rule that
 * admitted it, and the kernel's rule agrees. */
static void test_policy_admitted(void)
{
	struct np_lab x;
	struct trace t;

	np_lab_make(&x, true, false);
	np_fixture(&t, &x);
	t.res.outcome = PROBE_OK;
	np_event(&t, 2, NFTRACE_RULE, "cali-POSTROUTING", 3, NFT_JUMP, "cali-tw-default/web-2", "");
	np_event(&t, 2, NFTRACE_RULE, "cali-pi-default/allow-frontend", 12, NF_ACCEPT, "",
		 "default/allow-frontend spec.ingress[0].from[0] ports[0]");
	CHECK_EQ_INT(trace_policy_collect(&t), 0);
	CHECK_EQ_INT(t.policy[POLICY_INGRESS].nft, TRACE_POLICY_NFT_ACCEPT);
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "delivered");
	CHECK_EQ_INT((int)t.nfindings, 2);
	if (t.nfindings == 2) {
		CHECK_EQ_STR(t.findings[1].cause, "admitted-by-policy");
		CHECK_EQ_STR(t.findings[1].command, "ip netns exec pp_node_2 nft -a list chain ip "
			     "network-policy cali-pi-default/allow-frontend");
		CHECKF(!strcmp(t.findings[1].text, "ingress to default/web-2 admitted by "
			       "default/allow-frontend spec.ingress[0].from[0] ports[0] (nftables in "
			       "node node-2: chain cali-pi-default/allow-frontend, rule handle 12)"),
		       "%s", t.findings[1].text);
	}
	{
		json_t *o = out_trace_json(&t), *a = json_at(o, "policy", "ingress", "admitted_by");

		CHECK_EQ_STR(json_string_value(json_object_get(a, "policy")), "default/allow-frontend");
		CHECK_EQ_INT(json_integer_value(json_object_get(a, "rule")), 0);
		CHECK_EQ_INT(json_integer_value(json_object_get(a, "port")), 0);
		CHECK_EQ_STR(json_string_value(json_object_get(a, "path")),
			     "spec.ingress[0].from[0] ports[0]");
		CHECK(json_is_false(json_at(o, "policy", "egress", "isolated")));
		json_decref(o);
	}
	release(&t);
}

/* ---- bgp networking: the BGP cause of a route a node did not have ---- */

static void bgp_end(struct trace_bgp_end *e, const char *speaker, const char *proto,
		    bool established, const char *state, const char *words)
{
	memset(e, 0, sizeof(*e));
	strcpy(e->speaker, speaker);
	e->rr = !strcmp(speaker, "vpc.route-reflector");
	snprintf(e->ctl, sizeof(e->ctl), "/run/podpath/pp/bgp/%s.ctl", speaker);
	strcpy(e->proto, proto);
	e->has_session = true;
	e->established = established;
	strcpy(e->state, state);
	strcpy(e->words, words);
}

/* node-1 sent the request by its default route (hop 2) instead of to
 * node-2, whose pod CIDR 10.244.2.0/24 it never learned; full mesh, every
 * BIRD running and every session established unless a test says other. */
static void bgp_fixture(struct trace *t)
{
	struct trace_bgp_evidence *b = &t->ev.bgp;

	fixture(t, NULL, 0);
	t->nhops = 2;
	t->last_hop = 1;
	b->asked = true;
	b->hop = 1;
	b->ns = 1;
	strcpy(b->node, "node-1");
	strcpy(b->netns, "pp_node_1");
	strcpy(b->owner, "node-2");
	b->owner_ip = IP(172, 18, 0, 3);
	b->dst = WEB2;
	b->prefix = (struct cidr){ IP(10, 244, 2, 0), 24 };
	b->took_gw = IP(172, 18, 0, 1);
	strcpy(b->local_ctl, "/run/podpath/pp/bgp/node-1.ctl");
	b->nlinks = 1;
	bgp_end(&b->link[0].near, "node-1", "Mesh_172_18_0_3", true, "Established", "established");
	bgp_end(&b->link[0].far, "node-2", "Mesh_172_18_0_2", true, "Established", "established");
	b->noexport_asked = true;
	strcpy(b->noexport_proto, "Mesh_172_18_0_2");
	strcpy(b->noexport_ctl, "/run/podpath/pp/bgp/node-2.ctl");
}

/* The peer's BIRD stopped: its session is down, its socket gone. The BGP
 * cause outranks the kernel's drop of the packet beyond the VPC router. */
static void test_bgp_peer_down(void)
{
	struct trace_bgp_link *k;
	struct trace t;
	json_t *j;

	bgp_fixture(&t);
	k = &t.ev.bgp.link[0];
	bgp_end(&k->near, "node-1", "Mesh_172_18_0_3", false, "Active",
		"down (Active, connection refused)");
	memset(&k->far, 0, sizeof(k->far));
	strcpy(k->far.speaker, "node-2");
	k->far.ctl_err = -ENOENT;
	drop_add(&t, 3500, 2, "eth0", "IP_INADDRERRORS", "ip_error");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(trace_verdict_name(t.verdict), "no-route");
	CHECK_EQ_STR(t.cause, "bgp-peer-down");
	CHECK_EQ_STR(t.findings[0].check, "bgp");
	CHECKF(!strncmp(t.reason, "no route to 10.244.2.0/24 on node-1: its BGP session with "
			"node-2 is down (Active, connection refused): node-2's BIRD is not running",
			strlen("no route to 10.244.2.0/24 on node-1: its BGP session with node-2 is "
			       "down (Active, connection refused): node-2's BIRD is not running")),
	       "%s", t.reason);
	CHECKF(strstr(t.reason, "sent it by its default route via 172.18.0.1 (hop 2), not to node-2"),
	       "%s", t.reason);
	CHECK_EQ_STR(t.findings[0].command, "birdc -s /run/podpath/pp/bgp/node-1.ctl show protocols "
		     "all Mesh_172_18_0_3; ip -n pp_node_1 route show proto bird");
	CHECK_EQ_STR(t.findings[0].object, "route 10.244.2.0/24");
	CHECK_EQ_INT((int)t.findings[0].ns, 1);
	t.proxy_pod = -1;
	j = out_trace_json(&t);
	CHECK_EQ_STR(json_string_value(json_at(j, "verdict", "cause", NULL)), "bgp-peer-down");
	CHECK_EQ_STR(json_string_value(json_at(j, "verdict", "bgp", "prefix")), "10.244.2.0/24");
	{
		json_t *far = json_object_get(json_array_get(json_at(j, "verdict", "bgp", "sessions"), 0),
					      "far");

		CHECK_EQ_STR(json_string_value(json_object_get(far, "bird_error")),
			     "No such file or directory");
		CHECK(json_is_false(json_object_get(far, "has_session")));
	}
	json_decref(j);
	release(&t);
}

/* A neighbor address that is not the peer's, on either end. */
static void test_bgp_wrong_neighbor(void)
{
	struct trace_bgp_link *k;
	struct trace t;

	bgp_fixture(&t);
	k = &t.ev.bgp.link[0];
	bgp_end(&k->near, "node-1", "Mesh_172_18_0_3", false, "Connect",
		"down (Connect; its neighbor address is 172.18.0.254, not node-2's 172.18.0.3)");
	k->near.wrong_address = true;
	bgp_end(&k->far, "node-2", "Mesh_172_18_0_2", false, "Active", "down (Active)");
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "bgp-wrong-neighbor");
	CHECKF(strstr(t.reason, "its BGP session with node-2 is down (Connect; its neighbor address "
			       "is 172.18.0.254, not node-2's 172.18.0.3)"), "%s", t.reason);
	/* The far end's: the command shows that end. */
	bgp_end(&k->near, "node-1", "Mesh_172_18_0_3", false, "Active",
		"down (Active, connection reset by peer)");
	bgp_end(&k->far, "node-2", "Mesh_172_18_0_2", false, "Connect",
		"down (Connect; its neighbor address is 172.18.0.254, not node-1's 172.18.0.2)");
	k->far.wrong_address = true;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "bgp-wrong-neighbor");
	CHECKF(strstr(t.reason, "because node-2's end of the session is down (Connect; its neighbor"),
	       "%s", t.reason);
	CHECKF(!strncmp(t.findings[0].command, "birdc -s /run/podpath/pp/bgp/node-2.ctl show "
			"protocols all Mesh_172_18_0_2;", 60), "%s", t.findings[0].command);
	/* Down for no reason BIRD gives: said as it is. */
	k->far.wrong_address = false;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "bgp-session-down");
	release(&t);
}

/* Every session up, the owner's export filter rejects its own CIDR. */
static void test_bgp_not_exported(void)
{
	struct trace t;

	bgp_fixture(&t);
	t.ev.bgp.not_exported = true;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "bgp-not-exported");
	CHECKF(strstr(t.reason, "its BGP session with node-2 is established, but node-2 does not "
			       "announce 10.244.2.0/24: its export filter rejects it"), "%s", t.reason);
	CHECK_EQ_STR(t.findings[0].command, "birdc -s /run/podpath/pp/bgp/node-2.ctl show route "
		     "noexport Mesh_172_18_0_2; ip -n pp_node_1 route show proto bird");
	/* Exported and established, still missing: no cause invented. */
	t.ev.bgp.not_exported = false;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "bgp-route-missing");
	CHECKF(strstr(t.reason, "node-1's BIRD has not learned it"), "%s", t.reason);
	release(&t);
}

/* The node's own BIRD is not running: said before any session. */
static void test_bgp_local_down(void)
{
	struct trace t;

	bgp_fixture(&t);
	t.ev.bgp.local_err = -ECONNREFUSED;
	t.ev.bgp.link[0].near.has_session = false;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "bgp-local-down");
	CHECKF(strstr(t.reason, "on node-1: node-1's own BIRD is not running (its control socket "
			       "refuses connections)"), "%s", t.reason);
	/* No route at all there (not even a default): no hop left by another
	 * route, so none is named; where it was last seen is. */
	t.ev.bgp.hop = -1;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECKF(strstr(t.reason, "refuses connections); last seen at hop 2, node node-1 eth0 (in)"),
	       "%s", t.reason);
	CHECKF(!strstr(t.reason, "sent it"), "%s", t.reason);
	CHECK_EQ_INT((int)t.findings[0].hop, 1);
	release(&t);
}

/* Through the route reflector: node-1's session with it is up, the
 * reflector's with node-2 is down; then the reflector itself is down. */
static void test_bgp_route_reflector(void)
{
	struct trace_bgp_evidence *b;
	struct trace t;

	bgp_fixture(&t);
	b = &t.ev.bgp;
	b->nlinks = 2;
	bgp_end(&b->link[0].near, "node-1", "Node_172_18_0_1", true, "Established", "established");
	bgp_end(&b->link[0].far, "vpc.route-reflector", "Node_172_18_0_2", true, "Established",
		"established");
	bgp_end(&b->link[1].near, "vpc.route-reflector", "Node_172_18_0_3", false, "Active",
		"down (Active, connection refused)");
	memset(&b->link[1].far, 0, sizeof(b->link[1].far));
	strcpy(b->link[1].far.speaker, "node-2");
	b->link[1].far.ctl_err = -ENOENT;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "bgp-peer-down");
	CHECKF(strstr(t.reason, "its BGP session with the route reflector is established, but the "
			       "route reflector's session with node-2 is down (Active, connection "
			       "refused): node-2's BIRD is not running"), "%s", t.reason);
	CHECKF(!strncmp(t.findings[0].command, "birdc -s /run/podpath/pp/bgp/vpc.route-reflector.ctl "
			"show protocols all Node_172_18_0_3;", 80), "%s", t.findings[0].command);
	bgp_end(&b->link[0].near, "node-1", "Node_172_18_0_1", false, "Active",
		"down (Active, connection refused)");
	memset(&b->link[0].far, 0, sizeof(b->link[0].far));
	strcpy(b->link[0].far.speaker, "vpc.route-reflector");
	b->link[0].far.rr = true;
	b->link[0].far.ctl_err = -ENOENT;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECKF(strstr(t.reason, "its BGP session with the route reflector is down (Active, "
			       "connection refused): the route reflector's BIRD is not running"),
	       "%s", t.reason);
	release(&t);
}

/* A delivered probe never gets a BGP verdict, whatever was asked. */
static void test_bgp_silent_when_delivered(void)
{
	struct trace t;

	bgp_fixture(&t);
	t.ev.bgp.local_err = -ENOENT;
	t.res.outcome = PROBE_OK;
	CHECK_EQ_INT(diag_run(&t), 0);
	CHECK_EQ_STR(t.cause, "delivered");
	CHECK_EQ_INT((int)t.nfindings, 1);
	release(&t);
}

/* Every check in the table has a name and a function, and the last one
 * always finds: a trace never ends without a verdict. */
static void test_table(void)
{
	struct trace t;
	struct trace_finding f = { 0 };

	CHECK(diag_nchecks > 3);
	for (size_t i = 0; i < diag_nchecks; i++)
		CHECK(diag_checks[i].name && diag_checks[i].fn);
	fixture(&t, NULL, 0);
	CHECK_EQ_INT(diag_checks[diag_nchecks - 1].fn(&t, &f), 1);
	free(f.text);
	release(&t);
	for (int v = 0; v < TRACE_VERDICT_COUNT; v++)
		CHECK(strcmp(trace_verdict_name(v), "?"));
}

int main(void)
{
	RUN(test_delivered);
	RUN(test_default_backend);
	RUN(test_timeout_names_last_hop);
	RUN(test_forwarding_off);
	RUN(test_kernel_drop_unexplained);
	RUN(test_copy_drop_is_not_the_end);
	RUN(test_rp_filter);
	RUN(test_conntrack_full);
	RUN(test_nft_outranks_kernel);
	RUN(test_arp_unanswered);
	RUN(test_neigh_failed);
	RUN(test_stale_endpoint);
	RUN(test_blackhole_route);
	RUN(test_iptables_legacy);
	RUN(test_wrong_neighbour);
	RUN(test_policy_denied_ingress);
	RUN(test_policy_denied_egress);
	RUN(test_policy_kernel_differs);
	RUN(test_policy_by_kernel_drop);
	RUN(test_policy_unwatched);
	RUN(test_policy_upstream);
	RUN(test_policy_admitted);
	RUN(test_bgp_peer_down);
	RUN(test_bgp_wrong_neighbor);
	RUN(test_bgp_not_exported);
	RUN(test_bgp_local_down);
	RUN(test_bgp_route_reflector);
	RUN(test_bgp_silent_when_delivered);
	RUN(test_table);
	return unit_summary();
}
