/* Unit tests for the NetworkPolicy table builder (lib/policy/nft.c), without
 * a kernel: what policy_build queues is read back as the records check
 * compares (nft_ruleset_add_batch), and its chains, rules, comments and set
 * elements are checked against the topology. */
#include <errno.h>
#include <stdlib.h>

#include <linux/netfilter.h>

#include "nft/nft.h"
#include "nft/ruleset.h"
#include "policy/policy.h"
#include "unit.h"

/* x/a, x/c, y/a on node-1; x/b on node-2 (bats/policy-nft.bats's lab). */
static const char doc[] =
	"{ \"nodes\": [ { \"name\": \"node-1\" }, { \"name\": \"node-2\" } ],"
	"  \"namespaces\": [ { \"name\": \"x\", \"labels\": { \"team\": \"blue\" } } ],"
	"  \"pods\": ["
	"    { \"namespace\": \"x\", \"name\": \"a\", \"node\": \"node-1\", \"labels\": { \"pod\": \"a\" },"
	"      \"containers\": [ { \"name\": \"c\", \"ports\": [ { \"name\": \"serve-80-tcp\", \"containerPort\": 80 },"
	"        { \"name\": \"serve-80-udp\", \"containerPort\": 80, \"protocol\": \"UDP\" } ] } ] },"
	"    { \"namespace\": \"x\", \"name\": \"b\", \"node\": \"node-2\", \"labels\": { \"pod\": \"b\" },"
	"      \"containers\": [ { \"name\": \"c\", \"ports\": [ { \"name\": \"serve-80-tcp\", \"containerPort\": 80 } ] } ] },"
	"    { \"namespace\": \"x\", \"name\": \"c\", \"node\": \"node-1\", \"labels\": { \"pod\": \"c\" },"
	"      \"containers\": [ { \"name\": \"c\", \"ports\": [ { \"name\": \"serve-80-tcp\", \"containerPort\": 80 } ] } ] },"
	"    { \"namespace\": \"y\", \"name\": \"a\", \"node\": \"node-1\", \"labels\": { \"pod\": \"a\" },"
	"      \"containers\": [ { \"name\": \"c\" } ] } ],"
	"  \"networkPolicies\": ["
	"    { \"metadata\": { \"namespace\": \"x\", \"name\": \"deny\" },"
	"      \"spec\": { \"podSelector\": {}, \"policyTypes\": [ \"Ingress\" ] } },"
	"    { \"metadata\": { \"namespace\": \"x\", \"name\": \"allow-b\" },"
	"      \"spec\": { \"podSelector\": { \"matchLabels\": { \"pod\": \"a\" } },"
	"        \"ingress\": [ { \"from\": [ { \"podSelector\": { \"matchLabels\": { \"pod\": \"b\" } } },"
	"                                     { \"ipBlock\": { \"cidr\": \"192.0.2.0/24\", \"except\": [ \"192.0.2.0/28\" ] } } ],"
	"                         \"ports\": [ { \"port\": 80 }, { \"port\": \"serve-80-tcp\" } ] } ] } },"
	"    { \"metadata\": { \"namespace\": \"x\", \"name\": \"same-peer\" },"
	"      \"spec\": { \"podSelector\": { \"matchLabels\": { \"pod\": \"c\" } },"
	"        \"ingress\": [ { \"from\": [ { \"podSelector\": { \"matchLabels\": { \"pod\": \"b\" } } } ] } ] } },"
	"    { \"metadata\": { \"namespace\": \"y\", \"name\": \"egress\" },"
	"      \"spec\": { \"podSelector\": {}, \"policyTypes\": [ \"Egress\" ],"
	"        \"egress\": [ { \"ports\": [ { \"protocol\": \"UDP\", \"port\": 53 } ] } ] } } ] }";

static int topo_load(struct topo *t, const char *json)
{
	struct topo_error err;

	memset(t, 0, sizeof(*t));
	if (topo_from_json(t, json, strlen(json), &err) < 0 || topo_resolve(t, &err) < 0) {
		fprintf(stderr, "topology: %s %s: %s\n", err.path, err.value, err.msg);
		return -1;
	}
	return 0;
}

/* What policy_build queues for node, as records. */
static int build(const struct topo *t, size_t node, struct nft_ruleset *rs, size_t *nmsgs)
{
	struct nft_batch *b = nft_batch_new_sized(16 * 1024);
	int ret = b ? policy_build(b, t, node) : -ENOMEM;

	memset(rs, 0, sizeof(*rs));
	if (nmsgs)
		*nmsgs = b ? nft_batch_count(b) : 0;
	if (ret == 0)
		ret = nft_ruleset_add_batch(rs, b);
	nft_batch_free(b);
	return ret;
}

static const struct nft_rs_chain *chain(const struct nft_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nchains; i++)
		if (!strcmp(rs->chains[i].table, POLICY_TABLE) && !strcmp(rs->chains[i].name, name))
			return &rs->chains[i];
	return NULL;
}

static const struct nft_rs_set *set(const struct nft_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nsets; i++)
		if (!strcmp(rs->sets[i].table, POLICY_TABLE) && !strcmp(rs->sets[i].name, name))
			return &rs->sets[i];
	return NULL;
}

static bool has_comment(const struct nft_rs_chain *c, const char *comment)
{
	for (size_t i = 0; c && i < c->nrules; i++)
		if (c->rules[i].comment && !strcmp(c->rules[i].comment, comment))
			return true;
	return false;
}

static void test_skeleton(void)
{
	struct nft_ruleset rs;
	const struct nft_rs_chain *c;
	struct topo t;

	if (!CHECK(topo_load(&t, doc) == 0))
		return;
	CHECK(build(&t, 0, &rs, NULL) == 0);
	CHECK_EQ_INT(rs.ntables, 1);
	CHECK(rs.ntables && rs.tables[0].family == NFPROTO_IPV4 &&
	      !strcmp(rs.tables[0].name, POLICY_TABLE));
	c = chain(&rs, POLICY_CHAIN_FORWARD);
	if (CHECK(c)) {
		CHECK(c->base && c->hook == NF_INET_FORWARD && c->prio == POLICY_PRIO_FORWARD);
		CHECK_EQ_STR(c->type, "filter");
		CHECK_EQ_INT(c->nrules, 2);
		/* Replies of allowed connections pass before any policy (the
		 * kernel's listing: policy-nft.bats). */
		if (c->nrules == 2)
			CHECK_EQ_STR(c->rules[0].comment, "replies of allowed connections");
		CHECK(c->nrules == 2 && !strcmp(c->rules[1].what, "vmap @" POLICY_MAP_FROM));
	}
	c = chain(&rs, POLICY_CHAIN_POSTROUTING);
	if (CHECK(c)) {
		CHECK(c->base && c->hook == NF_INET_POST_ROUTING &&
		      c->prio == POLICY_PRIO_POSTROUTING);
		CHECK_EQ_INT(c->nrules, 3);
		if (c->nrules == 3)
			CHECK_EQ_STR(c->rules[0].comment, "replies of allowed connections");
		CHECK(c->nrules == 3 && !strcmp(c->rules[1].what, "@" POLICY_SET_HOST " accept"));
		CHECK(c->nrules == 3 && !strcmp(c->rules[2].what, "vmap @" POLICY_MAP_TO));
	}
	/* node-1 (routed): its VPC address and its cbr0 address. */
	CHECK(set(&rs, POLICY_SET_HOST) && set(&rs, POLICY_SET_HOST)->nelems == 2);
	nft_ruleset_free(&rs);
	topo_free(&t);
}

static void test_pod_chains(void)
{
	struct nft_ruleset rs;
	const struct nft_rs_chain *c;
	const struct nft_rs_set *s;
	struct topo t;

	if (!CHECK(topo_load(&t, doc) == 0))
		return;
	CHECK(build(&t, 0, &rs, NULL) == 0);
	/* x/a: deny and allow-b isolate it, in policy order, then drop. */
	c = chain(&rs, "cali-tw-x/a");
	CHECK(c);
	if (c)
		CHECK_EQ_INT(c->nrules, 3);
	if (c && c->nrules == 3) {
		CHECK_EQ_STR(c->rules[0].what, "jump cali-pi-x/deny");
		CHECK_EQ_STR(c->rules[0].comment, "x/deny");
		CHECK_EQ_STR(c->rules[1].what, "jump cali-pi-x/allow-b");
		CHECK_EQ_STR(c->rules[2].what, "drop");
		CHECK_EQ_STR(c->rules[2].comment, "ingress to x/a isolated by x/deny, x/allow-b");
	}
	c = chain(&rs, "cali-fw-y/a");
	if (CHECK(c) && c->nrules == 2)
		CHECK_EQ_STR(c->rules[1].comment, "egress from y/a isolated by y/egress");
	/* Not isolated here, or not in this direction, or not on this node. */
	CHECK(!chain(&rs, "cali-tw-y/a"));
	CHECK(!chain(&rs, "cali-fw-x/a"));
	CHECK(!chain(&rs, "cali-tw-x/b"));
	/* The dispatch maps: x/a and x/c in, y/a out. */
	s = set(&rs, POLICY_MAP_TO);
	CHECK(s && s->nelems == 2);
	s = set(&rs, POLICY_MAP_FROM);
	CHECK(s && s->nelems == 1);
	if (s && s->nelems == 1)
		CHECK_EQ_STR(s->elems[0].data, "jump cali-fw-y/a");
	nft_ruleset_free(&rs);

	/* node-2: only x/b, and only the policy isolating it. */
	CHECK(build(&t, 1, &rs, NULL) == 0);
	CHECK(chain(&rs, "cali-tw-x/b"));
	CHECK(chain(&rs, "cali-pi-x/deny"));
	CHECK(!chain(&rs, "cali-pi-x/allow-b"));
	CHECK(!chain(&rs, "cali-tw-x/a"));
	CHECK(!set(&rs, "cali-s-x/allow-b.in0.from0"));
	s = set(&rs, POLICY_MAP_TO);
	CHECK(s && s->nelems == 1);
	nft_ruleset_free(&rs);
	topo_free(&t);
}

static void test_policy_chains(void)
{
	struct nft_ruleset rs;
	const struct nft_rs_chain *c;
	const struct nft_rs_set *s;
	struct topo t;

	if (!CHECK(topo_load(&t, doc) == 0))
		return;
	CHECK(build(&t, 0, &rs, NULL) == 0);
	/* No rules: an empty chain, the pod's drop decides. */
	c = chain(&rs, "cali-pi-x/deny");
	CHECK(c && c->nrules == 0);
	/* 2 peers x 2 ports, each an accept named by its spec path. */
	c = chain(&rs, "cali-pi-x/allow-b");
	CHECK(c);
	if (c)
		CHECK_EQ_INT(c->nrules, 4);
	if (c && c->nrules == 4) {
		CHECK_EQ_STR(c->rules[0].comment, "x/allow-b spec.ingress[0].from[0] ports[0]");
		CHECK_EQ_STR(c->rules[0].what, "@cali-s-x/allow-b.in0.from0 accept");
		CHECK_EQ_STR(c->rules[1].comment, "x/allow-b spec.ingress[0].from[0] ports[1]");
		CHECK_EQ_STR(c->rules[1].what,
			     "@cali-s-x/allow-b.in0.from0 @cali-np-serve-80-tcp accept");
		CHECK_EQ_STR(c->rules[2].comment, "x/allow-b spec.ingress[0].from[1] ports[0]");
		CHECK_EQ_STR(c->rules[2].what, "accept");
		CHECK(has_comment(c, "x/allow-b spec.ingress[0].from[1] ports[1]"));
	}
	/* The peer set holds x/b's address, the only pod it selects. */
	s = set(&rs, "cali-s-x/allow-b.in0.from0");
	CHECK(s);
	if (s)
		CHECK_EQ_INT(s->nelems, 1);
	if (s && s->nelems == 1) {
		uint32_t ip = t.pods[1].ip;
		uint8_t want[4] = { ip >> 24, ip >> 16 & 0xff, ip >> 8 & 0xff, ip & 0xff };

		CHECK(s->elems[0].klen == 4 && !memcmp(s->elems[0].key, want, 4));
	}
	/* x/same-peer selects the same pods: it looks up the same set. */
	c = chain(&rs, "cali-pi-x/same-peer");
	if (CHECK(c) && c->nrules == 1)
		CHECK_EQ_STR(c->rules[0].what, "@cali-s-x/allow-b.in0.from0 accept");
	CHECK(!set(&rs, "cali-s-x/same-peer.in0.from0"));
	/* The named port: every pod declaring it, whichever node. */
	s = set(&rs, "cali-np-serve-80-tcp");
	CHECK(s && s->nelems == 3);
	CHECK(!set(&rs, "cali-np-serve-80-udp"));
	/* Egress with ports only: any destination. */
	c = chain(&rs, "cali-po-y/egress");
	if (CHECK(c) && c->nrules == 1)
		CHECK_EQ_STR(c->rules[0].comment, "y/egress spec.egress[0] ports[0]");
	nft_ruleset_free(&rs);
	topo_free(&t);
}

/* Dual-stack ipBlocks: table ip gets no IPv6 text and no rule for an
 * IPv6 peer; a rule whose peers are all IPv6 accepts nothing (no rule at
 * all, not an unconditional accept, with or without ports); a mixed rule
 * keeps its IPv4 peers' rules. */
static void test_ipv6_blocks(void)
{
	static const char dual[] =
		"{ \"nodes\": [ { \"name\": \"node-1\" } ],"
		"  \"pods\": [ { \"namespace\": \"x\", \"name\": \"a\", \"node\": \"node-1\","
		"    \"labels\": { \"pod\": \"a\" }, \"containers\": [ { \"name\": \"c\" } ] } ],"
		"  \"networkPolicies\": ["
		"    { \"metadata\": { \"namespace\": \"x\", \"name\": \"v6-only\" },"
		"      \"spec\": { \"podSelector\": {}, \"policyTypes\": [ \"Egress\" ],"
		"        \"egress\": [ { \"to\": [ { \"ipBlock\": { \"cidr\": \"::/0\" } } ] } ] } },"
		"    { \"metadata\": { \"namespace\": \"x\", \"name\": \"v6-ports\" },"
		"      \"spec\": { \"podSelector\": {}, \"policyTypes\": [ \"Egress\" ],"
		"        \"egress\": [ { \"to\": [ { \"ipBlock\": { \"cidr\": \"fd00::/8\","
		"          \"except\": [ \"fd00:1::/32\" ] } } ],"
		"          \"ports\": [ { \"protocol\": \"UDP\", \"port\": 53 } ] } ] } },"
		"    { \"metadata\": { \"namespace\": \"x\", \"name\": \"dual\" },"
		"      \"spec\": { \"podSelector\": {},"
		"        \"ingress\": [ { \"from\": [ { \"ipBlock\": { \"cidr\": \"2001:db8::/32\" } },"
		"          { \"ipBlock\": { \"cidr\": \"10.0.0.0/8\" } } ] } ] } } ] }";
	const struct nft_rs_chain *c;
	struct nft_ruleset rs;
	struct topo t;

	if (!CHECK(topo_load(&t, dual) == 0))
		return;
	CHECK(build(&t, 0, &rs, NULL) == 0);
	c = chain(&rs, "cali-po-x/v6-only");
	CHECK(c && c->nrules == 0);
	c = chain(&rs, "cali-po-x/v6-ports");
	CHECK(c && c->nrules == 0);
	c = chain(&rs, "cali-pi-x/dual");
	if (CHECK(c) && CHECKF(c->nrules == 1, "%zu rules", c->nrules))
		CHECKF(c->rules[0].comment && strstr(c->rules[0].comment, "from[1]") &&
		       !strstr(c->rules[0].comment, "from[0]"), "%s", c->rules[0].comment);
	/* The pod's egress chain still jumps to the isolating policies, then drops. */
	c = chain(&rs, "cali-fw-x/a");
	CHECKF(c && c->nrules == 3, "%zu rules", c ? c->nrules : 0);
	if (c && c->nrules == 3)
		CHECK_EQ_STR(c->rules[2].what, "drop");
	for (size_t i = 0; i < rs.nsets; i++) {
		CHECKF(rs.sets[i].key_len != 16, "set %s has a 16-byte key", rs.sets[i].name);
		for (size_t k = 0; k < rs.sets[i].nelems; k++)
			CHECK(rs.sets[i].elems[k].klen != 16 && rs.sets[i].elems[k].klen != 32);
	}
	for (size_t i = 0; i < rs.nchains; i++)
		for (size_t k = 0; k < rs.chains[i].nrules; k++)
			CHECKF(!rs.chains[i].rules[k].what ||
			       !strchr(rs.chains[i].rules[k].what, ':'), "%s: %s", rs.chains[i].name,
			       rs.chains[i].rules[k].what);
	nft_ruleset_free(&rs);
	topo_free(&t);
}

static void test_no_policies(void)
{
	struct nft_ruleset rs;
	struct topo t;
	size_t n = 1;
	const char *none = "{ \"nodes\": [ { \"name\": \"node-1\" } ],"
			   "  \"pods\": [ { \"name\": \"a\", \"node\": \"node-1\","
			   "    \"containers\": [ { \"name\": \"c\" } ] } ] }";

	if (!CHECK(topo_load(&t, none) == 0))
		return;
	CHECK(build(&t, 0, &rs, &n) == 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(rs.ntables, 0);
	nft_ruleset_free(&rs);
	topo_free(&t);
}

/* A pod isolated by many long-named policies: its drop comment fits and
 * says how many it left out. */
static void test_long_drop_comment(void)
{
	char json[16384], name[64];
	struct nft_ruleset rs;
	const struct nft_rs_chain *c;
	struct topo t;
	size_t o;

	o = (size_t)snprintf(json, sizeof(json),
			     "{ \"nodes\": [ { \"name\": \"node-1\" } ],"
			     "  \"pods\": [ { \"namespace\": \"%s\", \"name\": \"p\", \"node\": \"node-1\","
			     "    \"containers\": [ { \"name\": \"c\" } ] } ],"
			     "  \"networkPolicies\": [",
			     "n123456789012345678901234567890123456789012345678901234567890ab");
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "policy-%02d-%0*d", i, 50, 0);
		o += (size_t)snprintf(json + o, sizeof(json) - o,
				      "%s{ \"metadata\": { \"namespace\": \"%s\", \"name\": \"%s\" },"
				      "  \"spec\": { \"podSelector\": {} } }", i ? "," : "",
				      "n123456789012345678901234567890123456789012345678901234567890ab",
				      name);
	}
	snprintf(json + o, sizeof(json) - o, "] }");
	if (!CHECK(topo_load(&t, json) == 0))
		return;
	CHECK(build(&t, 0, &rs, NULL) == 0);
	c = chain(&rs, "cali-tw-n123456789012345678901234567890123456789012345678901234567890ab/p");
	CHECK(c);
	if (c)
		CHECK_EQ_INT(c->nrules, 21);
	if (c && c->nrules == 21) {
		const char *d = c->rules[20].comment;

		CHECK(d && strlen(d) <= NFT_COMMENT_MAX);
		CHECK(d && strstr(d, " more"));
		CHECK_HAS_STR(d, "policy-00-");
	}
	nft_ruleset_free(&rs);
	topo_free(&t);
}

/* Hundreds of pods: elements spread over many messages and pages are all
 * read back (check compares every one). */
static void test_many_pods(void)
{
	size_t len = 1 << 20, o;
	char *json = malloc(len);
	struct nft_ruleset rs;
	const struct nft_rs_chain *c;
	const struct nft_rs_set *s;
	struct topo t;

	if (!CHECK(json))
		return;
	o = (size_t)snprintf(json, len, "{ \"network\": { \"nodeCIDRMaskSize\": 22 },"
			     "  \"nodes\": [ { \"name\": \"node-1\" } ], \"pods\": [");
	for (int i = 0; i < 600; i++)
		o += (size_t)snprintf(json + o, len - o,
				      "%s{ \"name\": \"p%d\", \"node\": \"node-1\","
				      "  \"containers\": [ { \"name\": \"c\", \"ports\": ["
				      "    { \"name\": \"http\", \"containerPort\": 8080 } ] } ] }",
				      i ? "," : "", i);
	snprintf(json + o, len - o,
		 "], \"networkPolicies\": [ { \"metadata\": { \"name\": \"web\" },"
		 "  \"spec\": { \"podSelector\": {}, \"policyTypes\": [ \"Ingress\", \"Egress\" ],"
		 "    \"ingress\": [ { \"from\": [ { \"podSelector\": {} } ],"
		 "                     \"ports\": [ { \"port\": \"http\" } ] } ] } } ] }");
	if (!CHECK(topo_load(&t, json) == 0)) {
		free(json);
		return;
	}
	CHECK(build(&t, 0, &rs, NULL) == 0);
	s = set(&rs, POLICY_MAP_TO);
	CHECK(s && s->nelems == 600);
	s = set(&rs, POLICY_MAP_FROM);
	CHECK(s && s->nelems == 600);
	s = set(&rs, "cali-np-http");
	CHECK(s && s->nelems == 600);
	s = set(&rs, "cali-s-default/web.in0.from0");
	CHECK(s && s->nelems == 600);
	CHECK_EQ_INT(rs.nelems, 4 * 600 + 2);
	/* A packet's cost does not grow with the pods: the policy's chain is
	 * one rule whatever its peer selects (a set look-up), and each pod's
	 * chain a jump and a drop, reached by one map look-up. */
	c = chain(&rs, "cali-pi-default/web");
	if (CHECK(c))
		CHECK_EQ_INT(c->nrules, 1);
	c = chain(&rs, "cali-po-default/web");
	if (CHECK(c))
		CHECK_EQ_INT(c->nrules, 0);
	c = chain(&rs, "cali-tw-default/p599");
	if (CHECK(c))
		CHECK_EQ_INT(c->nrules, 2);
	c = chain(&rs, POLICY_CHAIN_POSTROUTING);
	if (CHECK(c))
		CHECK_EQ_INT(c->nrules, 3);
	nft_ruleset_free(&rs);
	topo_free(&t);
	free(json);
}

int main(void)
{
	RUN(test_skeleton);
	RUN(test_pod_chains);
	RUN(test_policy_chains);
	RUN(test_no_policies);
	RUN(test_ipv6_blocks);
	RUN(test_long_drop_comment);
	RUN(test_many_pods);
	return unit_summary();
}
