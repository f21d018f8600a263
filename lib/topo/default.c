/* topo_from_default: the lab podpath builds when no -f is given. It is a
 * document in the user schema, read by the same parser, so that the default
 * can never hold something a user's file could not. Addresses are left to
 * IPAM, which also lets --network vpc reuse it unchanged. */
#include "topo/topo_int.h"

static const char default_topology[] =
	"{\n"
	"  \"schema\": 1,\n"
	"  \"network\": {\n"
	"    \"mode\": \"routed\",\n"
	"    \"vpcCIDR\": \"172.18.0.0/24\",\n"
	"    \"clusterCIDR\": \"10.244.0.0/16\",\n"
	"    \"serviceCIDR\": \"10.96.0.0/12\",\n"
	"    \"nodeCIDRMaskSize\": 24,\n"
	"    \"mtu\": 1500,\n"
	"    \"clusterDomain\": \"cluster.local\"\n"
	"  },\n"
	"  \"nodes\": [\n"
	"    { \"name\": \"node-1\" },\n"
	"    { \"name\": \"node-2\" }\n"
	"  ],\n"
	"  \"pods\": [\n"
	"    { \"namespace\": \"default\", \"name\": \"client\", \"node\": \"node-1\",\n"
	"      \"labels\": { \"app\": \"client\" },\n"
	"      \"containers\": [ { \"name\": \"client\" } ] },\n"
	"    { \"namespace\": \"default\", \"name\": \"web-1\", \"node\": \"node-1\",\n"
	"      \"labels\": { \"app\": \"web\" },\n"
	"      \"containers\": [\n"
	"        { \"name\": \"web\", \"ports\": [\n"
	"          { \"name\": \"http\", \"containerPort\": 8080, \"protocol\": \"TCP\" },\n"
	"          { \"name\": \"echo\", \"containerPort\": 9000, \"protocol\": \"UDP\" } ] },\n"
	"        { \"name\": \"sidecar\", \"ports\": [\n"
	"          { \"name\": \"metrics\", \"containerPort\": 9090, \"protocol\": \"TCP\" } ] } ] },\n"
	"    { \"namespace\": \"default\", \"name\": \"web-2\", \"node\": \"node-2\",\n"
	"      \"labels\": { \"app\": \"web\" },\n"
	"      \"containers\": [\n"
	"        { \"name\": \"web\", \"ports\": [\n"
	"          { \"name\": \"http\", \"containerPort\": 8080, \"protocol\": \"TCP\" },\n"
	"          { \"name\": \"echo\", \"containerPort\": 9000, \"protocol\": \"UDP\" } ] } ] }\n"
	"  ],\n"
	"  \"services\": [\n"
	"    { \"namespace\": \"default\", \"name\": \"web\", \"type\": \"ClusterIP\",\n"
	"      \"selector\": { \"app\": \"web\" },\n"
	"      \"ports\": [ { \"name\": \"http\", \"port\": 80, \"targetPort\": \"http\","
	" \"protocol\": \"TCP\" } ] }\n"
	"  ]\n"
	"}\n";

int topo_from_default(struct topo *t, struct topo_error *err)
{
	return topo_from_json(t, default_topology, sizeof(default_topology) - 1, err);
}
