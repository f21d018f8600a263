/* What a trace says about itself: the backend's own word on which
 * connection carried the request (the responder's server= and client=,
 * read off an HTTP answer as fields); observer losses of both connections
 * printed, in text and JSON, each with its namespace; and a delivered
 * trace whose path diverged says so instead of a bare "delivered". The
 * renderer is fed a fixture trace: no lab, no packets. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "addr.h"
#include "lab/lab.h"
#include "out/trace.h"
#include "trace/internal.h"
#include "unit.h"

static void answer(const char *body, struct probe_result *r)
{
	char buf[1024];

	memset(r, 0, sizeof(*r));
	snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n%s", body);
	probe_http_answer(buf, strlen(buf), r);
}

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	CHECK(addr_parse(s, &a) == 0);
	return a;
}

static void test_answer_fields(void)
{
	struct probe_result r;

	answer("pod=default/web-1 container=web node=node-1 proto=http server=10.244.1.3:8080 "
	       "client=10.244.1.4:34010 path=/ host=web.example.test xff=203.0.113.20\n", &r);
	CHECK_EQ_INT(r.outcome, PROBE_OK);
	CHECK_EQ_INT(r.seen_server, ip("10.244.1.3"));
	CHECK_EQ_INT(r.seen_server_port, 8080);
	CHECK_EQ_INT(r.seen_client, ip("10.244.1.4"));
	CHECK_EQ_INT(r.seen_client_port, 34010);
	/* An internet host's answer has the same fields. */
	answer("internet-host=example.com proto=http server=203.0.113.10:80 "
	       "client=198.51.100.2:40000 path=/ host=example.com\n", &r);
	CHECK_EQ_INT(r.seen_client, ip("198.51.100.2"));
	CHECK_EQ_INT(r.seen_client_port, 40000);
	/* Another server's page says nothing: no guess. */
	answer("<html>hello, client=you</html>\n", &r);
	CHECK_EQ_INT(r.seen_client, 0);
	CHECK_EQ_INT(r.seen_server, 0);
	/* A port out of range, or a field cut short, is no field. */
	answer("pod=a/b container=c node=n proto=http server=10.0.0.1:80 client=10.0.0.2:70000\n", &r);
	CHECK_EQ_INT(r.seen_client, 0);
	answer("pod=a/b container=c node=n proto=http server=10.0.0.1:80 client=10.0.0.2\n", &r);
	CHECK_EQ_INT(r.seen_client, 0);
	/* "xclient=" is not "client=". */
	answer("pod=a/b proto=http server=10.0.0.1:80 xclient=10.0.0.9:1\n", &r);
	CHECK_EQ_INT(r.seen_client, 0);
}

/* A trace through the ingress with losses in both connections. */
struct fixture {
	struct lab lab;
	struct topo_pod pod;
	struct trace t, u;
};

static void fixture_make(struct fixture *x)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->pod.ns, sizeof(x->pod.ns), "ingress-nginx");
	snprintf(x->pod.name, sizeof(x->pod.name), "controller");
	x->lab.topo.pods = &x->pod;
	x->lab.topo.npods = 1;
	for (int i = 0; i < 2; i++) {
		struct trace *t = i ? &x->u : &x->t;

		t->lab = &x->lab;
		t->last_hop = -1;
		t->proxy_pod = -1;
		t->svc.svc = t->svc.pod = -1;
		t->probe.proto = i ? PROBE_HTTP : PROBE_HTTPS;
		t->div.kind = TRACE_DIV_NONE;
		t->div.expect = t->div.hop = -1;
		CHECK(trace_ns_add(t, "lab_node_node-1", "node node-1") == 0);
		CHECK(trace_ns_add(t, "lab_pod_web-1", "pod default/web-1") == 1);
		snprintf(t->src.label, sizeof(t->src.label), "%s", i ? "ingress-nginx/controller"
								      : "internet/laptop");
		snprintf(t->dst.label, sizeof(t->dst.label), "%s", i ? "10.96.0.1:80" : "web.example.test");
		t->reason = strdup("pod=default/web-1 ...");
	}
	x->t.proxy_pod = 0;
	x->t.upstream = &x->u;
	x->u.shares_capture = true;
}

static void fixture_free(struct fixture *x)
{
	x->t.upstream = NULL;	/* not malloc'd: freed here, not by trace_free */
	trace_free(&x->u);
	trace_free(&x->t);
}

static char *render(const struct trace *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	out_trace_text(f, t, false);
	fclose(f);
	return buf;
}

static void test_losses_rendered(void)
{
	struct fixture x;
	char *text = NULL;
	json_t *j = NULL, *l;

	fixture_make(&x);
	CHECK_EQ_INT(trace_loss_set(&x.t, "pcap", "packets", 0, 1234, 0), 0);
	CHECK_EQ_INT(trace_loss_set(&x.t, "nftrace", "events", 1, 0, 0), 0);
	CHECK_EQ_INT(trace_loss_set(&x.u, "nftrace", "events", 1, 0, 0), 0);
	CHECK_EQ_INT(trace_loss_set(&x.u, "correlate", "upstream-connection", -1, 2, 0), 0);
	text = render(&x.t);
	if (!CHECK(text))
		goto out;
	CHECKF(strstr(text, "observer losses (the trace may miss what they left out):\n"
			    "  pcap packets in node node-1: 1234 left out\n"
			    "  nftrace events in pod default/web-1: some lost\n"), "%s", text);
	CHECKF(strstr(text, "observer losses of connection 2 (the trace may miss what they left "
			    "out):\n  nftrace events in pod default/web-1: some lost\n"
			    "  correlate upstream-connection: 2 left out\n"), "%s", text);
	j = out_trace_json(&x.t);
	if (!CHECK(j))
		goto out;
	l = json_object_get(j, "observer_losses");
	CHECK_EQ_INT(json_array_size(l), 2);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(l, 0), "netns")),
		     "lab_node_node-1");
	CHECK_EQ_INT(json_integer_value(json_object_get(json_array_get(l, 0), "left_out")), 1234);
	CHECK(json_is_null(json_object_get(json_array_get(l, 1), "left_out")));
	l = json_object_get(json_object_get(j, "upstream"), "observer_losses");
	CHECK_EQ_INT(json_array_size(l), 2);
	CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(l, 1), "what")),
		     "upstream-connection");
out:
	json_decref(j);
	free(text);
	fixture_free(&x);
}

/* A delivered trace whose predicted hops were not all seen prints its
 * divergence; one that took the predicted way prints none. */
static void test_delivered_divergence(void)
{
	struct fixture x;
	char *text = NULL;
	json_t *j = NULL, *d;

	fixture_make(&x);
	x.t.upstream = NULL;
	x.t.proxy_pod = -1;
	x.t.verdict = TRACE_DELIVERED;
	text = render(&x.t);
	if (CHECK(text))
		CHECKF(!strstr(text, "divergence"), "%s", text);
	free(text);
	x.t.expect[0] = (struct trace_expect){ .kind = TRACE_EXPECT_HOP, .ns = 0, .ifname = "eth0",
					       .outgoing = false, .seen = -1 };
	x.t.nexpect = 1;
	x.t.div = (struct trace_divergence){ .kind = TRACE_DIV_MISSING_HOP, .expect = 0, .hop = -1,
					     .ns = 0, .ifname = "eth0", .outgoing = false };
	snprintf(x.t.divergence, sizeof(x.t.divergence), "expected next at node node-1 eth0 (in), "
		 "never seen there, yet the answer came back");
	text = render(&x.t);
	if (CHECK(text))
		CHECKF(strstr(text, "\nverdict: delivered: pod=default/web-1 ...\nfirst divergence from "
				    "the expected path: expected next at node node-1 eth0 (in), never "
				    "seen there"), "%s", text);
	j = out_trace_json(&x.t);
	if (!CHECK(j))
		goto out;
	d = json_object_get(json_object_get(j, "verdict"), "divergence_at");
	CHECK_EQ_STR(json_string_value(json_object_get(d, "kind")), "missing-hop");
	CHECK_EQ_INT(json_integer_value(json_object_get(d, "expected_step")), 1);
	CHECK(json_is_null(json_object_get(d, "hop")));
	CHECK_EQ_STR(json_string_value(json_object_get(d, "place")), "node node-1");
	CHECK_EQ_STR(json_string_value(json_object_get(d, "interface")), "eth0");
	CHECK_EQ_STR(json_string_value(json_object_get(d, "io")), "in");
	d = json_array_get(json_object_get(j, "expected_path"), 0);
	CHECK(json_is_null(json_object_get(d, "seen_at_hop")));
	CHECK_EQ_STR(json_string_value(json_object_get(d, "kind")), "hop");
out:
	json_decref(j);
	free(text);
	fixture_free(&x);
}

/* Without a topology nothing is predicted: no divergence, not "none". */
static void test_no_prediction(void)
{
	struct trace t = { 0 };

	t.last_hop = -1;
	t.verdict = TRACE_TIMEOUT;
	CHECK_EQ_INT(trace_divergence_find(&t), 0);
	CHECK_EQ_INT(t.div.kind, TRACE_DIV_NO_PREDICTION);
	CHECK_EQ_STR(t.divergence, "");
	CHECK_EQ_INT(t.nexpect, 0);
	CHECK_EQ_INT(t.nloss, 0);
	CHECK_EQ_STR(trace_div_kind_name(TRACE_DIV_NO_DNAT), "no-dnat");
	trace_free(&t);
}

/* ---- the walk against the prediction, in the default lab "t" ---------- */

struct walk {
	struct lab lab;
	struct trace t;
	struct capture_pkt pkt[TRACE_MAX_HOPS];
	size_t npkt;
};

static ssize_t pod_of(const struct lab *l, const char *name)
{
	for (size_t i = 0; i < l->topo.npods; i++)
		if (!strcmp(l->topo.pods[i].name, name))
			return (ssize_t)i;
	return -1;
}

/* The default lab, planned but never built: the prediction is a pure
 * function of it (the kernel is asked only about unused addresses). The
 * observed namespaces: the client, both nodes, the VPC, web-1, web-2. */
static int walk_make(struct walk *w, const char *dst, uint16_t dport)
{
	struct topo_error err;
	struct pp_err e = { 0 };
	struct lab *l = &w->lab;
	const char *pods[] = { "client", "web-1", "web-2" };

	memset(w, 0, sizeof(*w));
	snprintf(l->name, sizeof(l->name), "t");
	if (topo_from_default(&l->topo, &err) < 0 || topo_resolve(&l->topo, &err) < 0 ||
	    lab_plan_make(&l->plan, l->name, &l->topo) < 0)
		return -1;
	w->t.lab = l;
	w->t.last_hop = -1;
	w->t.proxy_pod = -1;
	w->t.probe.proto = PROBE_TCP;
	w->t.probe.sport = 40000;
	w->t.probe.dport = dport;
	if (trace_endpoint_parse(l, "default/client", true, &w->t.src, &e) < 0 ||
	    trace_endpoint_parse(l, dst, false, &w->t.dst, &e) < 0)
		return -1;
	trace_service_match(&w->t);
	for (size_t i = 0; i < 3; i++) {
		ssize_t p = pod_of(l, pods[i]);
		char label[TRACE_LABEL_MAX];

		if (p < 0)
			return -1;
		snprintf(label, sizeof(label), "pod default/%s", pods[i]);
		if (trace_ns_add(&w->t, l->plan.pods[p].netns, label) < 0 ||
		    (i == 0 && trace_ns_add(&w->t, l->plan.nodes[0].netns, "node node-1") < 0) ||
		    (i == 0 && trace_ns_add(&w->t, l->plan.vpc_netns, "VPC") < 0) ||
		    (i == 0 && trace_ns_add(&w->t, l->plan.nodes[1].netns, "node node-2") < 0))
			return -1;
	}
	return 0;
}

static void walk_free(struct walk *w)
{
	w->t.nhops = 0;
	trace_free(&w->t);
	lab_free(&w->lab);
}

/* A request hop in namespace netns on ifname, to daddr:dport. */
static void hop(struct walk *w, const char *netns, const char *ifname, bool out, uint32_t daddr,
		uint16_t dport)
{
	struct capture_pkt *k = &w->pkt[w->npkt];
	ssize_t ns = -1;

	for (size_t i = 0; i < w->t.nns; i++)
		if (!strcmp(w->t.ns[i], netns))
			ns = (ssize_t)i;
	if (!CHECKF(ns >= 0, "%s", netns))
		return;
	*k = (struct capture_pkt){ .ts_ns = 1000 * (w->npkt + 1), .ns = (size_t)ns, .outgoing = out,
				   .ethertype = 0x0800, .saddr = w->lab.topo.pods[pod_of(&w->lab, "client")].ip,
				   .daddr = daddr, .proto = IPPROTO_TCP, .sport = 40000, .dport = dport,
				   .tcp_flags = 0x02, .ttl = 64 };
	snprintf(k->ifname, sizeof(k->ifname), "%s", ifname);
	w->t.hops[w->t.nhops++] = (struct trace_hop){ .pkt = k, .ns = (size_t)ns, .svc.svc = -1 };
	w->npkt++;
}

/* client -> web-2 across nodes (routed): the hops the kernel shows. */
static void path_to_web2(struct walk *w, uint32_t ip, uint16_t port, const char *skip)
{
	const struct lab_plan *p = &w->lab.plan;
	ssize_t c = pod_of(&w->lab, "client"), d = pod_of(&w->lab, "web-2");
	struct { const char *ns, *ifname; bool out; } h[] = {
		{ p->pods[c].netns, "eth0", true },
		{ p->nodes[0].netns, p->pods[c].host_if, false },
		{ p->nodes[0].netns, "cbr0", false },
		{ p->nodes[0].netns, "eth0", true },
		{ p->vpc_netns, p->nodes[0].vpc_port, false },
		{ p->vpc_netns, p->nodes[1].vpc_port, true },
		{ p->nodes[1].netns, "eth0", false },
		{ p->nodes[1].netns, "cbr0", true },
		{ p->nodes[1].netns, p->pods[d].host_if, true },
		{ p->pods[d].netns, "eth0", false },
	};

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		if (!skip || strcmp(h[i].ifname, skip) || !h[i].out)
			/* Before kube-proxy's DNAT (the first three) the
			 * Service's address, after it the endpoint's. */
			hop(w, h[i].ns, h[i].ifname, h[i].out, i < 2 ? ip : w->lab.topo.pods[d].ip,
			    i < 2 ? port : 8080);
}

static void test_walk_pod_to_pod(void)
{
	struct walk w;
	uint32_t web2;

	if (!CHECK(walk_make(&w, "default/web-2", 8080) == 0))
		goto out;
	web2 = w.lab.topo.pods[pod_of(&w.lab, "web-2")].ip;
	path_to_web2(&w, web2, 8080, NULL);
	w.t.verdict = TRACE_TIMEOUT;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECKF(w.t.div.kind == TRACE_DIV_NONE, "%s", w.t.divergence);
	CHECK(w.t.nexpect >= 8);
	for (size_t i = 0; i < w.t.nexpect; i++)
		CHECK(w.t.expect[i].seen >= 0);
	CHECKF(strstr(w.t.divergence, "none: the request was seen at every hop the topology "
				      "predicts, in order and nowhere else, the last at pod "
				      "default/web-2 eth0 (in)"), "%s", w.t.divergence);
	/* Delivered the way predicted: nothing to say. */
	w.t.verdict = TRACE_DELIVERED;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECK_EQ_STR(w.t.divergence, "");
	CHECK_EQ_INT(w.t.nloss, 0);
	/* The hop entering node-2 seen before the VPC sent it there: out of
	 * order, so the VPC's hop was missed in its turn. */
	{
		struct trace_hop tmp = w.t.hops[5];

		w.t.hops[5] = w.t.hops[6];
		w.t.hops[6] = tmp;
	}
	w.t.verdict = TRACE_TIMEOUT;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECK_EQ_INT(w.t.div.kind, TRACE_DIV_MISSING_HOP);
	CHECK_EQ_STR(w.t.ns_label[w.t.div.ns], "VPC");
	CHECK(w.t.div.outgoing);
out:
	walk_free(&w);
}

static void test_walk_delivered_unseen(void)
{
	struct walk w;
	uint32_t web2;

	if (!CHECK(walk_make(&w, "default/web-2", 8080) == 0))
		goto out;
	web2 = w.lab.topo.pods[pod_of(&w.lab, "web-2")].ip;
	path_to_web2(&w, web2, 8080, NULL);
	w.t.nhops -= 2;		/* nothing seen past node-2's bridge */
	w.t.verdict = TRACE_DELIVERED;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECK_EQ_INT(w.t.div.kind, TRACE_DIV_MISSING_HOP);
	CHECKF(strstr(w.t.divergence, ", yet the answer came back: it passed there unseen (an "
				      "observer loss)"), "%s", w.t.divergence);
	CHECK_EQ_INT(w.t.nloss, 1);
	if (w.t.nloss == 1) {
		CHECK_EQ_STR(w.t.loss[0].observer, "pcap");
		CHECK_EQ_STR(w.t.loss[0].what, "path");
		CHECK_EQ_INT(w.t.loss[0].left_out, 2);
		CHECK_EQ_STR(w.t.ns_label[w.t.loss[0].ns], "node node-2");
	}
	/* A recount that sees them all drops the record. */
	w.t.nhops += 2;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECK_EQ_INT(w.t.nloss, 0);
out:
	walk_free(&w);
}

static void test_walk_unexpected(void)
{
	struct walk w;
	uint32_t web2;

	if (!CHECK(walk_make(&w, "default/web-2", 8080) == 0))
		goto out;
	web2 = w.lab.topo.pods[pod_of(&w.lab, "web-2")].ip;
	if (!CHECK(trace_ns_add(&w.t, w.lab.plan.gw_netns, "gateway") >= 0))
		goto out;
	path_to_web2(&w, web2, 8080, NULL);
	/* After leaving node-1 it turns up at the gateway first. */
	w.npkt = 4;
	w.t.nhops = 4;
	hop(&w, w.lab.plan.gw_netns, "vpc", false, web2, 8080);
	w.t.verdict = TRACE_TIMEOUT;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECK_EQ_INT(w.t.div.kind, TRACE_DIV_UNEXPECTED_HOP);
	CHECK_EQ_INT(w.t.div.hop, 4);
	CHECK_EQ_STR(w.t.div.ifname, "vpc");
	CHECKF(strstr(w.t.divergence, "but it went to gateway vpc (in) (hop 5), where the topology "
				      "does not predict it"), "%s", w.t.divergence);
out:
	walk_free(&w);
}

static void test_walk_service(void)
{
	struct walk w;
	uint32_t cip;

	if (!CHECK(walk_make(&w, "svc/default/web", 80) == 0) || !CHECK(w.t.svc.svc >= 0))
		goto out;
	cip = w.t.dst.ip;
	/* DNATed on node-1 to web-2, and delivered the way predicted. */
	path_to_web2(&w, cip, 80, NULL);
	w.t.verdict = TRACE_DELIVERED;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECKF(w.t.div.kind == TRACE_DIV_NONE, "%s", w.t.divergence);
	CHECK_EQ_INT(w.t.expect[2].kind, TRACE_EXPECT_DNAT);
	CHECK_EQ_STR(w.t.ns_label[w.t.expect[2].ns], "node node-1");
	CHECK_EQ_INT(w.t.expect[2].seen, 2);	/* cbr0 in shows the endpoint */
	CHECK_EQ_STR(w.t.ns_label[w.t.expect[w.t.nexpect - 1].ns], "pod default/web-2");
	/* kube-proxy's table gone: it leaves node-1 still for the ClusterIP. */
	w.t.nhops = w.npkt = 0;
	hop(&w, w.t.ns[0], "eth0", true, cip, 80);
	hop(&w, w.t.ns[1], w.lab.plan.pods[pod_of(&w.lab, "client")].host_if, false, cip, 80);
	hop(&w, w.t.ns[1], "cbr0", false, cip, 80);
	hop(&w, w.t.ns[1], "eth0", true, cip, 80);
	hop(&w, w.lab.plan.vpc_netns, w.lab.plan.nodes[0].vpc_port, false, cip, 80);
	w.t.verdict = TRACE_UNREACHABLE;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECK_EQ_INT(w.t.div.kind, TRACE_DIV_NO_DNAT);
	CHECK_EQ_INT(w.t.div.hop, 3);
	CHECKF(strstr(w.t.divergence, "expected DNAT to an endpoint of Service default/web at node "
				      "node-1, but it left node node-1 on eth0 for 10.96."),
	       "%s", w.t.divergence);
	/* Never left, never rewritten: said too. */
	w.t.nhops = 3;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECK_EQ_INT(w.t.div.kind, TRACE_DIV_NO_DNAT);
	CHECK_EQ_INT(w.t.div.hop, -1);
	CHECKF(strstr(w.t.divergence, "at node node-1, never seen"), "%s", w.t.divergence);
out:
	walk_free(&w);
}

/* The lab's policies deny side dir of pod (as netpol.c would find them on
 * the packets): the prediction ends there. */
static void deny(struct walk *w, enum policy_dir dir, const char *pod)
{
	struct trace_policy *p = &w->t.policy[dir];

	*p = (struct trace_policy){ .valid = true, .dir = dir, .pod = (size_t)pod_of(&w->lab, pod),
				    .ns = -1 };
	p->side = (struct policy_side){ .dir = dir, .pod = p->pod, .isolated = true };
}

/* Ingress to web-2 denied: the request is predicted up to node-2, where
 * postrouting drops it; seen going on is where the prediction does not go. */
static void test_walk_policy_ingress(void)
{
	struct walk w;
	uint32_t web2;

	if (!CHECK(walk_make(&w, "default/web-2", 8080) == 0))
		goto out;
	web2 = w.lab.topo.pods[pod_of(&w.lab, "web-2")].ip;
	deny(&w, POLICY_INGRESS, "web-2");
	path_to_web2(&w, web2, 8080, NULL);
	w.t.nhops = 7;		/* last seen entering node-2 */
	w.t.verdict = TRACE_DROPPED;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECKF(w.t.div.kind == TRACE_DIV_NONE, "%s", w.t.divergence);
	CHECK_EQ_INT(w.t.expect[w.t.nexpect - 1].kind, TRACE_EXPECT_POLICY);
	CHECK_EQ_INT(w.t.expect[w.t.nexpect - 1].seen, 6);
	CHECKF(strstr(w.t.divergence, "none: the request was seen at every hop the topology "
		       "predicts, in order and nowhere else, up to where the lab's NetworkPolicies "
		       "deny it: ingress to default/web-2 at node node-2"), "%s", w.t.divergence);
	/* Delivered all the same: it went where the policies deny it. */
	w.t.nhops = 10;
	w.t.verdict = TRACE_DELIVERED;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECK_EQ_INT(w.t.div.kind, TRACE_DIV_UNEXPECTED_HOP);
	CHECK_EQ_INT(w.t.div.hop, 7);
	CHECKF(strstr(w.t.divergence, "expected next its denial by the lab's NetworkPolicies "
		       "(ingress to default/web-2 at node node-2), but it went to node node-2 cbr0 "
		       "(out) (hop 8)"), "%s", w.t.divergence);
out:
	walk_free(&w);
}

/* Egress from client to a Service denied: after kube-proxy's DNAT on
 * node-1, before it leaves. Without a capture of the DNAT, the policy
 * table's trace events (the endpoint its hook saw) meet the DNAT step. */
static void test_walk_policy_egress_service(void)
{
	struct walk w;
	struct trace_policy *p;
	uint32_t cip, web2;

	if (!CHECK(walk_make(&w, "svc/default/web", 80) == 0) || !CHECK(w.t.svc.svc >= 0))
		goto out;
	cip = w.t.dst.ip;
	web2 = w.lab.topo.pods[pod_of(&w.lab, "web-2")].ip;
	deny(&w, POLICY_EGRESS, "client");
	path_to_web2(&w, cip, 80, NULL);
	w.t.nhops = 3;		/* cbr0 in shows the endpoint, then nothing */
	w.t.verdict = TRACE_DROPPED;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECKF(w.t.div.kind == TRACE_DIV_NONE, "%s", w.t.divergence);
	CHECK_EQ_INT(w.t.nexpect, 4);
	CHECK_EQ_INT(w.t.expect[2].kind, TRACE_EXPECT_DNAT);
	CHECK_EQ_INT(w.t.expect[3].kind, TRACE_EXPECT_POLICY);
	CHECK_EQ_INT(w.t.expect[3].dir, POLICY_EGRESS);
	CHECK_EQ_STR(w.t.ns_label[w.t.expect[3].ns], "node node-1");
	/* Only the way in captured: the DNAT is met by the events. */
	w.t.nhops = 2;
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECK_EQ_INT(w.t.div.kind, TRACE_DIV_NO_DNAT);
	p = &w.t.policy[POLICY_EGRESS];
	p->flow_seen = true;
	p->flow = (struct policy_flow){ .saddr = w.t.hops[0].pkt->saddr, .daddr = web2,
					.l4proto = IPPROTO_TCP, .dport = 8080 };
	CHECK_EQ_INT(trace_divergence_find(&w.t), 0);
	CHECKF(w.t.div.kind == TRACE_DIV_NONE, "%s", w.t.divergence);
	CHECK_EQ_INT(w.t.expect[2].seen, 1);
	CHECK_EQ_INT(w.t.expect[3].seen, 1);
out:
	walk_free(&w);
}

/* How each hop moved, from the packets alone: the VPC that switches a
 * frame port to port (TTL kept) is "bridged"; one that routes it out of its
 * bridge device (TTL cut there) is "routed" and then "bridged-after-route",
 * never "bridged", though a bridge chose the port. */
static void test_walk_moved(void)
{
	static const enum trace_moved want[] = {
		TRACE_MOVED_ROUTED, TRACE_MOVED_LINK, TRACE_MOVED_UP, TRACE_MOVED_ROUTED,
		TRACE_MOVED_LINK, TRACE_MOVED_BRIDGED, TRACE_MOVED_LINK, TRACE_MOVED_ROUTED,
		TRACE_MOVED_ROUTED_BRIDGED, TRACE_MOVED_LINK,
	};
	/* A router decrements when it sends: node-1 and node-2. */
	static const uint8_t ttl[] = { 64, 64, 64, 63, 63, 63, 63, 62, 62, 62 };
	struct walk w;
	uint32_t web2;

	if (!CHECK(walk_make(&w, "default/web-2", 8080) == 0))
		return;
	web2 = w.lab.topo.pods[pod_of(&w.lab, "web-2")].ip;
	path_to_web2(&w, web2, 8080, NULL);
	CHECK_EQ_INT(w.t.nhops, 10);
	for (size_t i = 0; i < w.t.nhops && i < 10; i++)
		w.pkt[i].ttl = ttl[i];
	for (size_t i = 0; i < w.t.nhops && i < 10; i++)
		CHECKF(trace_moved_seen(&w.t, i) == want[i], "hop %zu: %s, not %s", i,
		       trace_moved_name(trace_moved_seen(&w.t, i)), trace_moved_name(want[i]));
	CHECK_EQ_INT(trace_changed(&w.pkt[2], &w.pkt[3]), TRACE_CHG_TTL);
	CHECK_EQ_INT(trace_changed(&w.pkt[4], &w.pkt[5]), 0);
	CHECK_EQ_INT(trace_changed(NULL, &w.pkt[0]), 0);
	walk_free(&w);

	/* The VPC routes: in on node-1's port, out of its bridge device with
	 * the TTL cut, then to node-2's port. */
	if (!CHECK(walk_make(&w, "default/web-2", 8080) == 0))
		return;
	hop(&w, w.lab.plan.nodes[0].netns, "eth0", true, web2, 8080);
	hop(&w, w.lab.plan.vpc_netns, w.lab.plan.nodes[0].vpc_port, false, web2, 8080);
	hop(&w, w.lab.plan.vpc_netns, LAB_VPC_BRIDGE_NAME, true, web2, 8080);
	hop(&w, w.lab.plan.vpc_netns, w.lab.plan.nodes[1].vpc_port, true, web2, 8080);
	w.pkt[2].ttl = w.pkt[3].ttl = 63;
	CHECK(trace_moved_seen(&w.t, 1) == TRACE_MOVED_LINK);
	CHECK(trace_moved_seen(&w.t, 2) == TRACE_MOVED_ROUTED);
	CHECK(trace_moved_seen(&w.t, 3) == TRACE_MOVED_ROUTED_BRIDGED);
	CHECK_EQ_INT(trace_changed(&w.pkt[1], &w.pkt[2]), TRACE_CHG_TTL);
	/* Port to port with the TTL cut (no bridge device seen): routed. */
	w.t.hops[2] = w.t.hops[3];
	w.t.nhops = 3;
	CHECK(trace_moved_seen(&w.t, 2) == TRACE_MOVED_ROUTED);
	/* A DNAT on the way, and conntrack's undoing on a reply: the bits. */
	w.pkt[3].daddr = web2 + 1;
	w.pkt[3].sport = 1;
	CHECK_EQ_INT(trace_changed(&w.pkt[2], &w.pkt[3]), TRACE_CHG_DST | TRACE_CHG_SRC);
	w.pkt[3].vxlan = true;
	CHECK(trace_changed(&w.pkt[2], &w.pkt[3]) & TRACE_CHG_ENCAP);
	CHECK(trace_changed(&w.pkt[3], &w.pkt[2]) & TRACE_CHG_DECAP);
	walk_free(&w);
}

int main(void)
{
	RUN(test_walk_moved);
	RUN(test_walk_pod_to_pod);
	RUN(test_walk_delivered_unseen);
	RUN(test_walk_unexpected);
	RUN(test_walk_service);
	RUN(test_walk_policy_ingress);
	RUN(test_walk_policy_egress_service);
	RUN(test_answer_fields);
	RUN(test_losses_rendered);
	RUN(test_delivered_divergence);
	RUN(test_no_prediction);
	return unit_summary();
}
