/* lib/policy/describe: NetworkPolicies in words, as status, explain and
 * break print them, from a topology read by the real parser. */
#include <string.h>

#include "policy/describe.h"
#include "unit.h"

static const char doc[] =
	"{ \"nodes\": [ { \"name\": \"node-1\" } ],\n"
	"  \"namespaces\": [ { \"name\": \"x\", \"labels\": { \"team\": \"a\" } } ],\n"
	"  \"pods\": [\n"
	"    { \"namespace\": \"x\", \"name\": \"a\", \"node\": \"node-1\", \"labels\": { \"pod\": \"a\" },\n"
	"      \"containers\": [ { \"name\": \"c\", \"ports\": [ { \"name\": \"http\", \"containerPort\": 80 } ] } ] },\n"
	"    { \"namespace\": \"x\", \"name\": \"b\", \"node\": \"node-1\", \"labels\": { \"pod\": \"b\" },\n"
	"      \"containers\": [ { \"name\": \"c\" } ] },\n"
	"    { \"namespace\": \"y\", \"name\": \"a\", \"node\": \"node-1\", \"labels\": { \"pod\": \"a\" },\n"
	"      \"containers\": [ { \"name\": \"c\" } ] } ],\n"
	"  \"networkPolicies\": [\n"
	"    { \"metadata\": { \"namespace\": \"x\", \"name\": \"deny\" },\n"
	"      \"spec\": { \"podSelector\": {}, \"policyTypes\": [ \"Ingress\", \"Egress\" ] } },\n"
	"    { \"metadata\": { \"namespace\": \"x\", \"name\": \"exprs\" },\n"
	"      \"spec\": { \"podSelector\": { \"matchLabels\": { \"pod\": \"a\" }, \"matchExpressions\": [\n"
	"          { \"key\": \"tier\", \"operator\": \"In\", \"values\": [ \"f\", \"g\" ] },\n"
	"          { \"key\": \"zone\", \"operator\": \"NotIn\", \"values\": [ \"z\" ] },\n"
	"          { \"key\": \"k\", \"operator\": \"Exists\" },\n"
	"          { \"key\": \"d\", \"operator\": \"DoesNotExist\" } ] },\n"
	"        \"ingress\": [ {} ] } },\n"
	"    { \"metadata\": { \"namespace\": \"x\", \"name\": \"peers\" },\n"
	"      \"spec\": { \"podSelector\": { \"matchLabels\": { \"pod\": \"a\" } },\n"
	"        \"ingress\": [ { \"from\": [ { \"podSelector\": { \"matchLabels\": { \"pod\": \"b\" } } },\n"
	"                                    { \"namespaceSelector\": { \"matchLabels\": { \"team\": \"a\" } } },\n"
	"                                    { \"namespaceSelector\": {},\n"
	"                                      \"podSelector\": { \"matchLabels\": { \"pod\": \"a\" } } } ],\n"
	"                         \"ports\": [ { \"port\": \"http\" }, { \"protocol\": \"UDP\", \"port\": 53 },\n"
	"                                    { \"port\": 8000, \"endPort\": 8080 },\n"
	"                                    { \"protocol\": \"SCTP\" } ] } ],\n"
	"        \"egress\": [ { \"to\": [ { \"ipBlock\": { \"cidr\": \"10.0.0.0/8\",\n"
	"                                                  \"except\": [ \"10.1.0.0/16\", \"10.2.0.0/16\" ] } } ] },\n"
	"                      { \"to\": [ { \"ipBlock\": { \"cidr\": \"0.0.0.0/0\" } },\n"
	"                                  { \"ipBlock\": { \"cidr\": \"2001:db8::/32\",\n"
	"                                                \"except\": [ \"2001:db8:1::/48\" ] } } ] },\n"
	"                      { \"to\": [ { \"ipBlock\": { \"cidr\": \"::/0\" } } ],\n"
	"                        \"ports\": [ { \"port\": 443 } ] } ] } }\n"
	"  ] }\n";

static void test_words(void)
{
	struct topo t = { 0 };
	struct topo_error err = { 0 };
	char buf[512];

	if (!CHECKF(topo_from_json(&t, doc, sizeof(doc) - 1, &err) == 0 && topo_resolve(&t, &err) == 0,
		    "%s: %s", err.path, err.msg))
		goto out;
	CHECK_EQ_INT(t.npolicies, 3);
	policy_desc_selector(&t.policies[0].pods, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "");
	CHECK_EQ_STR(policy_desc_types(&t.policies[0]), "Ingress,Egress");
	CHECK_EQ_STR(policy_desc_types(&t.policies[1]), "Ingress");
	policy_desc_selector(&t.policies[1].pods, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "pod=a,tier in (f,g),zone notin (z),k,!d");
	policy_desc_rule(&t.policies[1], POLICY_INGRESS, 0, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "from anywhere, every port");
	policy_desc_rule(&t.policies[2], POLICY_INGRESS, 0, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "from pods pod=b in namespace x or every pod in namespaces team=a or "
		     "pods pod=a in every namespace, ports http/TCP or 53/UDP or 8000-8080/TCP or "
		     "every SCTP port");
	policy_desc_rule(&t.policies[2], POLICY_EGRESS, 0, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "to ipBlock 10.0.0.0/8 except 10.1.0.0/16, 10.2.0.0/16, every port");
	/* IPv6 peers are named as such; a rule of them only admits nothing. */
	policy_desc_rule(&t.policies[2], POLICY_EGRESS, 1, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "to ipBlock 0.0.0.0/0 or ipBlock 2001:db8::/32 except 2001:db8:1::/48 "
		     "(IPv6: never matches in this IPv4 lab), every port");
	policy_desc_rule(&t.policies[2], POLICY_EGRESS, 2, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "to ipBlock ::/0 (IPv6: never matches in this IPv4 lab), port 443/TCP; "
		     "admits nothing here");
	CHECK_EQ_STR(policy_desc_dir(POLICY_EGRESS), "egress");
	/* deny selects x/a and x/b (not y/a); exprs selects nothing (no pod
	 * has tier); peers x/a. */
	CHECK_EQ_INT(policy_desc_selected(&t, &t.policies[0]), 2);
	CHECK_EQ_INT(policy_desc_isolated(&t, &t.policies[0], POLICY_EGRESS), 2);
	CHECK_EQ_INT(policy_desc_selected(&t, &t.policies[1]), 0);
	CHECK_EQ_INT(policy_desc_selected(&t, &t.policies[2]), 1);
	CHECK_EQ_INT(policy_desc_isolated(&t, &t.policies[2], POLICY_EGRESS), 1);
	/* A text cut to the buffer says so, and stays within it. */
	policy_desc_rule(&t.policies[2], POLICY_INGRESS, 0, buf, 24);
	CHECK_EQ_INT(strlen(buf), 23);
	CHECK_EQ_STR(buf + 20, "...");
	policy_desc_selector(&t.policies[1].pods, buf, 4);
	CHECK_EQ_INT(strlen(buf), 3);
out:
	topo_free(&t);
}

int main(void)
{
	RUN(test_words);
	return unit_summary();
}
