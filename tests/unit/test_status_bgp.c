/* Unit tests for status in bgp mode (lib/out/status.c, lib/out/dot.c) with
 * a BGP view made by hand: a session established or down, a BIRD that is
 * not running, the route reflector. The live BIRDs are bgp-status.bats'. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lab/bgp_view.h"
#include "out/dot.h"
#include "out/status.h"
#include "unit.h"

static int lab_make(struct lab *l, int mesh)
{
	struct topo_error err;

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "ut");
	if (topo_from_default(&l->topo, &err) < 0)
		return -1;
	l->topo.net.mode = TOPO_MODE_BGP;
	l->topo.net.bgp.mesh = mesh;
	l->topo.net.bgp.asn = 64512;
	if (topo_resolve(&l->topo, &err) < 0 || lab_plan_make(&l->plan, l->name, &l->topo) < 0)
		return -1;
	return 0;
}

/* Speaker s's session with peer, as BIRD would report it. */
static void peer_set(const struct lab *l, struct lab_bgp_peer *p, size_t s, size_t peer, bool up)
{
	memset(p, 0, sizeof(*p));
	p->peer = peer;
	p->established = up;
	bgp_proto_name(&l->topo, s, peer, p->bird.proto, sizeof(p->bird.proto));
	snprintf(p->bird.state, sizeof(p->bird.state), "%s", up ? "up" : "start");
	snprintf(p->bird.bgp_state, sizeof(p->bird.bgp_state), "%s", up ? "Established" : "Active");
	if (!up)
		snprintf(p->bird.info, sizeof(p->bird.info), "Socket: Connection refused");
	p->bird.neighbor = bgp_speaker_addr(&l->topo, peer);
	p->bird.imported = p->bird.exported = up;
}

static char *text_of(void (*fn)(FILE *, const struct out_status *), const struct out_status *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, s);
	fclose(f);
	return buf;
}

/* node-1's BIRD runs, its session with node-2 is down; node-2's BIRD stopped. */
static void test_down(void)
{
	struct lab l;
	struct lab_bgp_speaker_view v[2] = { 0 };
	struct lab_bgp_peer p;
	struct lab_bgp_view bv = { .v = v, .n = 2 };
	struct out_status s = { .lab = &l, .bgp = &bv };
	json_t *j, *sp;
	char *t, *d;

	if (!CHECK(lab_make(&l, -1) == 0))
		return;
	peer_set(&l, &p, 0, 1, false);
	v[0] = (struct lab_bgp_speaker_view){ .s = 0, .pid = 42, .peers = &p, .npeers = 1,
					      .announce = LAB_BGP_ANN_NO_SESSION };
	v[1] = (struct lab_bgp_speaker_view){ .s = 1, .err = -ENOENT };
	j = out_status_json(&s);
	sp = json_object_get(json_object_get(j, "bgp"), "speakers");
	CHECK(json_array_size(sp) == 2);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(sp, 1), "health")),
		      "not running"));
	CHECK(json_array_size(json_object_get(json_array_get(sp, 1), "sessions")) == 0);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(
		json_object_get(json_array_get(sp, 0), "sessions"), 0), "state")),
		"down (Active, connection refused)"));
	CHECK(json_is_false(json_object_get(json_array_get(json_object_get(json_array_get(sp, 0),
		"sessions"), 0), "established")));
	json_decref(j);
	t = text_of(out_status_text, &s);
	CHECK(t && strstr(t, "BGP: AS 64512, iBGP full mesh of 2 nodes"));
	CHECK(t && strstr(t, "not running, no control socket"));
	CHECK(t && strstr(t, "Mesh_172_18_0_3  0         0         down (Active, connection refused)"));
	CHECK(t && strstr(t, "(no route learned over BGP)"));
	/* Its session is down: its pod CIDR goes nowhere, whatever BIRD's table holds. */
	CHECK(t && strstr(t, "not announced: no session to announce it on"));
	CHECK(t && !strstr(t, "announced (its pod CIDR)"));
	d = text_of(out_status_dot, &s);
	CHECK(d && strstr(d, "\"node/node-1\" -> \"node/node-2\" [label=\"BGP\\nnode-1: down (Active, "
			  "connection refused)\\nnode-2: BIRD not running, no control socket\""));
	CHECK(d && strstr(d, "color=red, fontcolor=red, style=dashed"));
	free(t);
	free(d);
	lab_free(&l);
}

/* Both ends established, a route learned and in the kernel. */
static void test_up(void)
{
	struct lab l;
	struct lab_bgp_speaker_view v[2] = { 0 };
	struct lab_bgp_peer p[2];
	struct lab_bgp_learned x = { 0 };
	struct lab_bgp_view bv = { .v = v, .n = 2 };
	struct out_status s = { .lab = &l, .bgp = &bv };
	json_t *j, *r, *sp;
	char *t, *d;

	if (!CHECK(lab_make(&l, -1) == 0))
		return;
	peer_set(&l, &p[0], 0, 1, true);
	peer_set(&l, &p[1], 1, 0, true);
	x.route.prefix = l.topo.nodes[1].pod_cidr;
	x.route.gateway = l.topo.nodes[1].ip;
	snprintf(x.route.proto, sizeof(x.route.proto), "%s", p[0].bird.proto);
	x.route.bgp = x.route.best = true;
	x.from = x.announced_by = 1;
	x.in_kernel = true;
	v[0] = (struct lab_bgp_speaker_view){ .s = 0, .pid = 42, .peers = &p[0], .npeers = 1,
					      .learned = &x, .nlearned = 1,
					      .announce = LAB_BGP_ANN_YES };
	v[1] = (struct lab_bgp_speaker_view){ .s = 1, .pid = 43, .peers = &p[1], .npeers = 1,
					      .announce = LAB_BGP_ANN_FILTERED };
	j = out_status_json(&s);
	r = json_array_get(json_object_get(json_array_get(json_object_get(json_object_get(j, "bgp"),
		"speakers"), 0), "routes"), 0);
	CHECK(r && !strcmp(json_string_value(json_object_get(r, "prefix")), "10.244.2.0/24"));
	CHECK(r && !strcmp(json_string_value(json_object_get(r, "nextHop")), "172.18.0.3"));
	CHECK(r && !strcmp(json_string_value(json_object_get(r, "from")), "node-2"));
	CHECK(r && json_is_true(json_object_get(r, "inKernel")));
	sp = json_object_get(json_object_get(j, "bgp"), "speakers");
	CHECK(json_array_size(json_object_get(json_array_get(sp, 0), "announces")) == 1);
	CHECK(json_array_size(json_object_get(json_array_get(sp, 1), "announces")) == 0);
	CHECK(!strcmp(json_string_value(json_object_get(json_array_get(sp, 1), "notAnnounced")),
		      "not announced: its export filter rejects it"));
	json_decref(j);
	t = text_of(out_status_text, &s);
	CHECK(t && strstr(t, "running (pid 42)"));
	CHECK(t && strstr(t, "10.244.2.0/24       172.18.0.3       node-2  Mesh_172_18_0_3  proto bird"));
	CHECK(t && strstr(t, "10.244.1.0/24       -                itself  pod_cidr         announced (its pod CIDR)"));
	CHECK(t && strstr(t, "10.244.2.0/24       -                itself  pod_cidr         not announced: its export filter rejects it"));
	d = text_of(out_status_dot, &s);
	CHECK(d && strstr(d, "\"node/node-1\" -> \"node/node-2\" [label=\"BGP established\""));
	CHECK(d && !strstr(d, "\"node/node-2\" -> \"node/node-1\" [label=\"BGP"));	/* once */
	free(t);
	free(d);
	lab_free(&l);
}

/* nodeToNodeMeshEnabled false: an edge from each node to the reflector. */
static void test_rr(void)
{
	struct lab l;
	struct lab_bgp_speaker_view v[3] = { 0 };
	struct lab_bgp_peer p[4];
	struct lab_bgp_view bv = { .v = v, .n = 3 };
	struct out_status s = { .lab = &l, .bgp = &bv };
	char *d;

	if (!CHECK(lab_make(&l, 0) == 0))
		return;
	CHECK(bgp_uses_rr(&l.topo));
	peer_set(&l, &p[0], 0, BGP_SPEAKER_RR, true);
	peer_set(&l, &p[1], 1, BGP_SPEAKER_RR, false);
	peer_set(&l, &p[2], BGP_SPEAKER_RR, 0, true);
	peer_set(&l, &p[3], BGP_SPEAKER_RR, 1, false);
	v[0] = (struct lab_bgp_speaker_view){ .s = 0, .peers = &p[0], .npeers = 1 };
	v[1] = (struct lab_bgp_speaker_view){ .s = 1, .peers = &p[1], .npeers = 1 };
	v[2] = (struct lab_bgp_speaker_view){ .s = BGP_SPEAKER_RR, .peers = &p[2], .npeers = 2 };
	CHECK(!strcmp(p[0].bird.proto, "Node_172_18_0_1"));
	d = text_of(out_status_dot, &s);
	CHECK(d && strstr(d, "\"bgp/route-reflector\" [label=\"BGP route reflector"));
	CHECK(d && strstr(d, "\"node/node-1\" -> \"bgp/route-reflector\" [label=\"BGP established\""));
	CHECK(d && strstr(d, "\"node/node-2\" -> \"bgp/route-reflector\" [label=\"BGP\\nnode-2: down"));
	CHECK(d && !strstr(d, "\"node/node-1\" -> \"node/node-2\" [label=\"BGP"));
	free(d);
	lab_free(&l);
}

/* Outside bgp mode: no "bgp" in JSON, no BGP edge. */
static void test_other_mode(void)
{
	struct lab l;
	struct out_status s = { .lab = &l };
	json_t *j;
	char *d;

	if (!CHECK(lab_make(&l, -1) == 0))
		return;
	l.topo.net.mode = TOPO_MODE_ROUTED;
	j = out_status_json(&s);
	CHECK(j && !json_object_get(j, "bgp"));
	json_decref(j);
	d = text_of(out_status_dot, &s);
	CHECK(d && !strstr(d, "BGP"));
	free(d);
	lab_free(&l);
}

int main(void)
{
	RUN(test_down);
	RUN(test_up);
	RUN(test_rr);
	RUN(test_other_mode);
	return unit_summary();
}
