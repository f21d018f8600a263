/* Unit tests for the BIRD configuration (lib/bgp/conf.c): sessions per
 * peering mode, Calico's protocol names, the faults break writes, and the
 * topology's network.bgp. BIRD itself checks the syntax in bgp.bats. */
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "unit.h"

static int load(struct topo *t, const char *doc)
{
	struct topo_error err;
	int ret = topo_from_json(t, doc, strlen(doc), &err);

	if (ret == 0)
		ret = topo_resolve(t, &err);
	if (ret)
		fprintf(stderr, "topology: %s %s: %s\n", err.path, err.value, err.msg);
	return ret;
}

static char *render(const struct topo *t, size_t s, const struct bgp_fault *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return NULL;
	bgp_conf_write(out, t, s, f, "/run/podpath/x/bgp/n.log");
	fclose(out);
	return buf;
}

static const char three[] =
	"{ \"network\": { \"mode\": \"bgp\" },"
	"  \"nodes\": [ { \"name\": \"node-1\" }, { \"name\": \"node-2\" }, { \"name\": \"node-3\" } ] }";

static void test_mesh(void)
{
	struct topo t = { 0 };
	char *c;
	size_t peer = 99;

	if (!CHECK(load(&t, three) == 0))
		return;
	CHECK(!bgp_uses_rr(&t));
	c = render(&t, 0, NULL);
	CHECK(c && strstr(c, "router id 172.18.0.2;"));
	CHECK(c && strstr(c, "route 10.244.1.0/24 via \"cbr0\";"));
	CHECK(c && strstr(c, "protocol bgp Mesh_172_18_0_3 from bgp_template"));
	CHECK(c && strstr(c, "neighbor 172.18.0.4 as 64512;"));
	CHECK(c && !strstr(c, "Mesh_172_18_0_2"));	/* not itself */
	CHECK(c && !strstr(c, "rr client"));
	CHECK(c && strstr(c, "export where source = RTS_BGP;"));
	CHECK(c && !strstr(c, "then reject;\t#"));
	CHECK(bgp_proto_peer(&t, 0, "Mesh_172_18_0_4", &peer) == 0 && peer == 2);
	CHECK(bgp_proto_peer(&t, 0, "Mesh_172_18_0_2", &peer) < 0);
	CHECK(bgp_proto_peer(&t, 0, "kernel1", &peer) < 0);
	free(c);
	topo_free(&t);
}

static void test_route_reflector(void)
{
	static const char doc[] =
		"{ \"network\": { \"mode\": \"bgp\", \"bgp\": { \"nodeToNodeMeshEnabled\": false,"
		"  \"asNumber\": 65001 } },"
		"  \"nodes\": [ { \"name\": \"node-1\" }, { \"name\": \"node-2\" } ] }";
	struct topo t = { 0 };
	char *c;
	size_t peer = 0;

	if (!CHECK(load(&t, doc) == 0))
		return;
	CHECK(bgp_uses_rr(&t));
	c = render(&t, 1, NULL);
	CHECK(c && strstr(c, "protocol bgp Node_172_18_0_1 from bgp_template"));
	CHECK(c && strstr(c, "neighbor 172.18.0.1 as 65001;"));
	CHECK(c && !strstr(c, "Mesh_"));
	free(c);
	c = render(&t, BGP_SPEAKER_RR, NULL);
	CHECK(c && strstr(c, "router id 172.18.0.1;"));
	CHECK(c && strstr(c, "rr client;"));
	CHECK(c && strstr(c, "protocol bgp Node_172_18_0_2 from rr_client"));
	CHECK(c && strstr(c, "protocol bgp Node_172_18_0_3 from rr_client"));
	/* The VPC router holds no pod routes: no kernel protocol there. */
	CHECK(c && !strstr(c, "protocol kernel"));
	CHECK(c && !strstr(c, "protocol static"));
	CHECK(bgp_proto_peer(&t, 0, "Node_172_18_0_1", &peer) == 0 && peer == BGP_SPEAKER_RR);
	CHECK(bgp_proto_peer(&t, BGP_SPEAKER_RR, "Node_172_18_0_3", &peer) == 0 && peer == 1);
	free(c);
	topo_free(&t);
}

/* Beyond the threshold the reflector takes over unless the topology says. */
static void test_threshold(void)
{
	struct topo t = { 0 };
	struct topo_error err;

	if (!CHECK(topo_from_synth(&t, BGP_FULL_MESH_MAX_NODES, 1, TOPO_MODE_BGP, &err) == 0))
		return;
	CHECK(topo_resolve(&t, &err) == 0);
	CHECK(!bgp_uses_rr(&t));
	topo_free(&t);
	memset(&t, 0, sizeof(t));
	if (!CHECK(topo_from_synth(&t, BGP_FULL_MESH_MAX_NODES + 1, 1, TOPO_MODE_BGP, &err) == 0))
		return;
	CHECK(topo_resolve(&t, &err) == 0);
	CHECK(bgp_uses_rr(&t));
	t.net.bgp.mesh = 1;
	CHECK(!bgp_uses_rr(&t));
	topo_free(&t);
}

static void test_faults(void)
{
	struct topo t = { 0 };
	struct bgp_fault wrong = { .kind = BGP_FAULT_WRONG_PEER, .peer = 1, .addr = 0xac1200feu };
	struct bgp_fault filt = { .kind = BGP_FAULT_EXPORT_FILTER };
	char *c;

	if (!CHECK(load(&t, three) == 0))
		return;
	c = render(&t, 0, &wrong);
	/* The session keeps its name and description; only the address lies. */
	CHECK(c && strstr(c, "protocol bgp Mesh_172_18_0_3 from bgp_template {\n"
			     "\tdescription \"node-2\";\n\tneighbor 172.18.0.254 as 64512;"));
	CHECK(c && strstr(c, "neighbor 172.18.0.4 as 64512;"));
	free(c);
	c = render(&t, 1, &filt);
	CHECK(c && strstr(c, "if net = 10.244.2.0/24 then reject;"));
	free(c);
	topo_free(&t);
}

static void test_topology_field(void)
{
	static const char routed[] =
		"{ \"network\": { \"bgp\": { \"asNumber\": 65001 } },"
		"  \"nodes\": [ { \"name\": \"node-1\" } ] }";
	static const char bad_asn[] =
		"{ \"network\": { \"mode\": \"bgp\", \"bgp\": { \"asNumber\": 0 } },"
		"  \"nodes\": [ { \"name\": \"node-1\" } ] }";
	static const char bad_mesh[] =
		"{ \"network\": { \"mode\": \"bgp\", \"bgp\": { \"nodeToNodeMeshEnabled\": \"yes\" } },"
		"  \"nodes\": [ { \"name\": \"node-1\" } ] }";
	struct topo t = { 0 };
	struct topo_error err;

	CHECK(topo_from_json(&t, routed, strlen(routed), &err) == 0 &&
	      topo_resolve(&t, &err) != 0 && !strcmp(err.path, ".network.bgp"));
	topo_free(&t);
	memset(&t, 0, sizeof(t));
	CHECK(topo_from_json(&t, bad_asn, strlen(bad_asn), &err) != 0 &&
	      !strcmp(err.path, ".network.bgp.asNumber"));
	topo_free(&t);
	memset(&t, 0, sizeof(t));
	CHECK(topo_from_json(&t, bad_mesh, strlen(bad_mesh), &err) != 0 &&
	      !strcmp(err.path, ".network.bgp.nodeToNodeMeshEnabled"));
	topo_free(&t);
}

int main(void)
{
	RUN(test_mesh);
	RUN(test_route_reflector);
	RUN(test_threshold);
	RUN(test_faults);
	RUN(test_topology_field);
	return unit_summary();
}
