/* Unit tests for lib/lab/break: the catalogue's decisions, without a
 * kernel: which faults apply to which lab, which targets each can act on,
 * the default target and suggested trace in the default lab, and --on
 * parsed or refused with the value named. */
#include <errno.h>
#include <stdlib.h>

#include "lab/break.h"
#include "unit.h"

static const char *const names[] = {
	"forwarding-off", "blackhole-route", "prohibit-route", "unreachable-route",
	"missing-pod-cidr-route", "rp-filter-strict", "wrong-neighbour", "veth-down",
	"veth-detached", "no-listener", "pod-firewall", "node-nft-drop", "iptables-legacy-drop",
	"mtu-mismatch", "service-no-endpoints", "stale-endpoint", "kube-proxy-element-missing",
	"dns-down", "masquerade-missing", "gateway-nat-missing", "hairpin-off", "conntrack-full",
	"policy-denies", "bgp-peer-down", "bgp-wrong-peer", "bgp-announcement-filtered",
};

/* The default lab "t" in networking mode m. */
static int lab_make(struct lab *l, enum topo_mode m)
{
	struct topo_error err;

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "t");
	if (topo_from_default(&l->topo, &err) < 0)
		return -1;
	l->topo.net.mode = m;
	if (topo_resolve(&l->topo, &err) < 0 || lab_plan_make(&l->plan, l->name, &l->topo) < 0)
		return -1;
	return 0;
}

static bool bgp_only(const struct lab_break_fault *f)
{
	return f->modes == LAB_BREAK_MODE(TOPO_MODE_BGP);
}

static void test_break_catalogue_names(void)
{
	CHECK_EQ_INT(lab_break_count(), sizeof(names) / sizeof(names[0]));
	for (size_t i = 0; i < lab_break_count(); i++) {
		const struct lab_break_fault *f = lab_break_get(i);

		CHECK_EQ_STR(f->name, names[i]);
		CHECK(lab_break_find(names[i]) == f);
		CHECK(f->summary[0] && f->touches[0]);
	}
	CHECK(lab_break_find("no-such-fault") == NULL);
	CHECK(lab_break_get(lab_break_count()) == NULL);
}

/* Default lab, routed: every fault applies, with the target and trace
 * that the default lab's `trace client web-2` family shows failing. */
static void test_break_defaults_in_the_default_lab(void)
{
	static const struct { const char *fault, *target, *trace; } want[] = {
		{ "forwarding-off", "node/node-2", "trace default/client default/web-2" },
		{ "blackhole-route", "default/web-2", "trace default/client default/web-2" },
		{ "missing-pod-cidr-route", "node/node-2", "trace default/client default/web-2" },
		{ "rp-filter-strict", "vpc", "trace internet/laptop 198.51.100.4:80" },
		{ "mtu-mismatch", "node/node-1", "trace internet/laptop https://web.example.test/" },
		{ "service-no-endpoints", "svc/default/web:80", "trace default/client svc/default/web:80" },
		{ "dns-down", "kube-system/coredns", "trace default/client svc/kube-system/kube-dns" },
		{ "masquerade-missing", "node/node-1", "trace default/client internet/example.com" },
		{ "gateway-nat-missing", "node/node-1", "trace internet/laptop 198.51.100.2 -p icmp" },
		{ "hairpin-off", "kube-system/coredns",
		  "trace kube-system/coredns svc/kube-system/kube-dns:dns" },
		{ "conntrack-full", "node/node-2", "trace default/client default/web-2" },
		{ "policy-denies", "default/web-2", "trace default/client default/web-2" },
	};
	struct lab_break_target t;
	struct pp_err e;
	char why[256], trace[512];
	struct lab l;

	if (!CHECK(lab_make(&l, TOPO_MODE_ROUTED) == 0))
		return;
	for (size_t i = 0; i < lab_break_count(); i++) {
		const struct lab_break_fault *f = lab_break_get(i);

		if (bgp_only(f)) {
			CHECKF(lab_break_applies(&l, f, why, sizeof(why)) == -EOPNOTSUPP, "%s", f->name);
			CHECK_HAS_STR(why, "needs bgp networking, and lab \"t\" uses routed");
			continue;
		}
		CHECKF(lab_break_applies(&l, f, why, sizeof(why)) == 0, "%s: %s", f->name, why);
		CHECKF(lab_break_target_default(&l, f, &t, &e) == 0, "%s: %s", f->name, e.msg);
		CHECKF(lab_break_targets(&l, f, NULL, 0) > 0, "%s", f->name);
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct lab_break_fault *f = lab_break_find(want[i].fault);

		if (!CHECK(f && lab_break_target_default(&l, f, &t, &e) == 0))
			continue;
		CHECK_EQ_STR(t.label, want[i].target);
		lab_break_trace(&l, f, &t, trace, sizeof(trace));
		CHECK_EQ_STR(trace, want[i].trace);
	}
	lab_free(&l);
}

/* policy-denies acts only on a pod no policy isolates for ingress: beside
 * a policy that does, a deny-all would deny nothing its allows admit. */
static void test_break_policy_targets(void)
{
	const struct lab_break_fault *f = lab_break_find("policy-denies");
	struct lab_break_target t;
	struct topo_policy *p;
	struct pp_err e;
	char trace[512];
	struct lab l;

	if (!CHECK(f && lab_make(&l, TOPO_MODE_ROUTED) == 0))
		return;
	p = l.topo.policies = calloc(1, sizeof(*p));
	if (!CHECK(p))
		goto out;
	l.topo.npolicies = 1;
	snprintf(p->ns, sizeof(p->ns), "default");
	snprintf(p->name, sizeof(p->name), "web-only");
	p->ingress = true;
	p->pods.match = calloc(1, sizeof(*p->pods.match));
	if (!CHECK(p->pods.match))
		goto out;
	p->pods.nmatch = 1;
	p->pods.match[0].key = strdup("app");
	p->pods.match[0].value = strdup("web");
	CHECK(lab_break_target_parse(&l, f, "default/web-2", &t, &e) < 0 && e.kind == PP_EXIT_USAGE);
	CHECK_HAS_STR(e.msg, "fault policy-denies cannot act on default/web-2: NetworkPolicy "
		      "default/web-only isolates its ingress already");
	CHECK(lab_break_target_parse(&l, f, "default/client", &t, &e) == 0);
	/* The default falls back to the first pod it can act on. */
	if (CHECK(lab_break_target_default(&l, f, &t, &e) == 0)) {
		CHECK_EQ_STR(t.label, "default/client");
		lab_break_trace(&l, f, &t, trace, sizeof(trace));
		CHECK_EQ_STR(trace, "trace default/web-2 default/client");
	}
	CHECK_EQ_INT(lab_break_targets(&l, f, NULL, 0), 4);	/* client, coredns, controller, api-1 */
out:
	lab_free(&l);
}

static void test_break_modes(void)
{
	struct lab l;
	char why[256];

	if (!CHECK(lab_make(&l, TOPO_MODE_VPC) == 0))
		return;
	for (size_t i = 0; i < lab_break_count(); i++) {
		const struct lab_break_fault *f = lab_break_get(i);
		bool routed_only = !strcmp(f->name, "missing-pod-cidr-route");
		bool bridged = routed_only || !strcmp(f->name, "veth-detached") ||
			       !strcmp(f->name, "hairpin-off") || !strcmp(f->name, "masquerade-missing");
		int ret = lab_break_applies(&l, f, why, sizeof(why));

		if (bgp_only(f)) {
			CHECKF(ret == -EOPNOTSUPP, "%s: %d", f->name, ret);
			continue;
		}
		CHECKF(bridged ? ret == -EOPNOTSUPP : ret == 0, "%s: %d", f->name, ret);
		if (bridged)
			CHECK_HAS_STR(why, routed_only ? "needs routed or vxlan networking, and lab "
				      "\"t\" uses vpc" : "needs routed, vxlan or bgp networking, and "
				      "lab \"t\" uses vpc");
	}
	lab_free(&l);
}

/* bgp networking: the BGP faults apply, on the node whose broken BGP the
 * default lab's `trace client web-2` runs into; --on takes a node only. */
static void test_break_bgp_defaults(void)
{
	static const struct { const char *fault, *target, *trace; } want[] = {
		{ "bgp-peer-down", "node/node-2", "trace default/client default/web-2" },
		{ "bgp-wrong-peer", "node/node-1", "trace default/client default/web-2" },
		{ "bgp-announcement-filtered", "node/node-2", "trace default/client default/web-2" },
	};
	struct lab_break_target t;
	struct pp_err e;
	char why[256], trace[512];
	struct lab l;

	if (!CHECK(lab_make(&l, TOPO_MODE_BGP) == 0))
		return;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct lab_break_fault *f = lab_break_find(want[i].fault);

		if (!CHECK(f))
			continue;
		CHECKF(lab_break_applies(&l, f, why, sizeof(why)) == 0, "%s: %s", f->name, why);
		if (!CHECK(lab_break_target_default(&l, f, &t, &e) == 0))
			continue;
		CHECK_EQ_STR(t.label, want[i].target);
		lab_break_trace(&l, f, &t, trace, sizeof(trace));
		CHECK_EQ_STR(trace, want[i].trace);
		CHECK_EQ_INT(lab_break_targets(&l, f, NULL, 0), 2);
		CHECK(lab_break_target_parse(&l, f, "default/web-2", &t, &e) < 0);
		CHECK_HAS_STR(e.msg, "no such node");
	}
	/* The wrong peer, seen from node-2: node-1's pods are the ones cut off. */
	if (CHECK(lab_break_target_parse(&l, lab_break_find("bgp-wrong-peer"), "node-2", &t, &e) ==
		  0)) {
		lab_break_trace(&l, lab_break_find("bgp-wrong-peer"), &t, trace, sizeof(trace));
		CHECK_EQ_STR(trace, "trace default/web-2 default/web-1");
	}
	lab_free(&l);
}

static void test_break_on_parsed(void)
{
	const struct lab_break_fault *node = lab_break_find("forwarding-off");
	const struct lab_break_fault *svc = lab_break_find("stale-endpoint");
	const struct lab_break_fault *pod = lab_break_find("no-listener");
	struct lab_break_target t;
	struct pp_err e;
	struct lab l;

	if (!CHECK(lab_make(&l, TOPO_MODE_ROUTED) == 0))
		return;
	CHECK(lab_break_target_parse(&l, node, "node/node-1", &t, &e) == 0);
	CHECK_EQ_STR(t.label, "node/node-1");
	CHECK(lab_break_target_parse(&l, node, "node-1", &t, &e) == 0);	/* a bare node name */
	CHECK(lab_break_target_parse(&l, pod, "web-1", &t, &e) == 0);	/* namespace default */
	CHECK_EQ_STR(t.label, "default/web-1");
	CHECK(lab_break_target_parse(&l, svc, "svc/kube-system/kube-dns:dns-tcp", &t, &e) == 0);
	CHECK_EQ_INT(t.port, 1);
	CHECK_EQ_STR(t.label, "svc/kube-system/kube-dns:dns-tcp");
	CHECK(lab_break_target_parse(&l, svc, "svc/kube-system/kube-dns:53", &t, &e) == 0);
	CHECK_EQ_INT(t.port, 0);
	CHECK_EQ_STR(t.label, "svc/kube-system/kube-dns:dns");
	CHECK(lab_break_target_parse(&l, svc, "svc/default/web", &t, &e) == 0);
	CHECK_EQ_STR(t.label, "svc/default/web:80");

	/* Refused, exit 2, naming --on and the value. */
	CHECK(lab_break_target_parse(&l, node, "node/node-9", &t, &e) < 0);
	CHECK_EQ_INT(e.kind, PP_EXIT_USAGE);
	CHECK_HAS_STR(e.msg, "--on \"node/node-9\": no such node in lab \"t\"");
	CHECK(lab_break_target_parse(&l, svc, "svc/default/web:81", &t, &e) < 0);
	CHECK_HAS_STR(e.msg, "no such Service port");
	CHECK(lab_break_target_parse(&l, svc, "default/web", &t, &e) < 0);
	CHECK(lab_break_target_parse(&l, pod, "kube-system/coredns", &t, &e) < 0);
	CHECK_HAS_STR(e.msg, "fault no-listener cannot act on kube-system/coredns");
	CHECK(lab_break_target_parse(&l, lab_break_find("hairpin-off"), "default/web-2", &t, &e) < 0);
	CHECK(lab_break_target_parse(&l, lab_break_find("rp-filter-strict"), "vpc", &t, &e) == 0);
	CHECK(lab_break_target_parse(&l, lab_break_find("rp-filter-strict"), "node/node-1", &t,
				     &e) < 0);
	lab_free(&l);
}

/* What --random chooses from: exactly the targets each fault can act on. */
static void test_break_targets(void)
{
	struct lab_break_target t[64];
	struct lab l;

	if (!CHECK(lab_make(&l, TOPO_MODE_ROUTED) == 0))
		return;
	/* the pods with a responder serving TCP: web-1, web-2, api-1 (client serves nothing) */
	CHECK_EQ_INT(lab_break_targets(&l, lab_break_find("no-listener"), t, 64), 3);
	CHECK_EQ_INT(lab_break_targets(&l, lab_break_find("dns-down"), t, 64), 1);
	CHECK_EQ_STR(t[0].label, "kube-system/coredns");
	/* the sole endpoints: coredns (kube-dns, both ports), the ingress controller, api-1 */
	CHECK_EQ_INT(lab_break_targets(&l, lab_break_find("hairpin-off"), t, 64), 3);
	CHECK_EQ_INT(lab_break_targets(&l, lab_break_find("mtu-mismatch"), t, 64), 1);
	CHECK_EQ_STR(t[0].label, "node/node-1");
	CHECK_EQ_INT(lab_break_targets(&l, lab_break_find("rp-filter-strict"), t, 64), 1);
	lab_free(&l);
}

int main(void)
{
	RUN(test_break_catalogue_names);
	RUN(test_break_defaults_in_the_default_lab);
	RUN(test_break_policy_targets);
	RUN(test_break_modes);
	RUN(test_break_bgp_defaults);
	RUN(test_break_on_parsed);
	RUN(test_break_targets);
	return unit_summary();
}
