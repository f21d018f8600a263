/* What a trace says about itself: the backend's own word on which
 * connection carried the request (the responder's server= and client=,
 * read off an HTTP answer as fields); observer losses of both connections
 * printed, in text and JSON, each with its namespace; and a delivered
 * trace whose path diverged says so instead of a bare "delivered". The
 * renderer is fed a fixture trace: no lab, no packets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "addr.h"
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

int main(void)
{
	RUN(test_answer_fields);
	RUN(test_losses_rendered);
	RUN(test_delivered_divergence);
	RUN(test_no_prediction);
	return unit_summary();
}
