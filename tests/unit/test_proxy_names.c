/* Ground truth: every chain name in the real kube-proxy rulesets of
 * tests/fixtures/kube-proxy must come out of proxy/names the same. */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "proxy/names.h"
#include "unit.h"

#define FIXTURES "tests/fixtures/kube-proxy/"

/* True if the file contains s. */
static int file_has(const char *path, const char *s)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

int main(void)
{
	static const struct { const char *ns, *name, *ip; } svc[] = {
		{ "ns1", "svc1", "10.180.0.1" }, { "ns2", "svc2", "10.180.0.2" },
		{ "ns3", "svc3", "10.180.0.3" }, { "ns4", "svc4", "10.180.0.4" },
		{ "ns4", "svc4", "10.180.0.5" }, { "ns5", "svc5", "10.180.0.3" },
	};
	char name[PROXY_NAME_MAX], h[53];
	int nft, ipt;

	/* Known vectors, computed independently (Python hashlib + base64). */
	proxy_hash("ns1/svc1/tcp/p80", 8, h);
	CHECK(!strcmp(h, "ULMVA6XW"));
	proxy_hash("ns1/svc1:p80tcp", 16, h);
	CHECK(!strcmp(h, "XPGD46QRK7WJZT7O"));
	proxy_hash("", 52, h);	/* sha256("") = e3b0c442... */
	CHECK(!strncmp(h, "4OYMIQUY7QOBJGX36TEJS35ZEQT24QPEMSNZGTFESWMRW6CSXBKQ", 52));

	for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++) {
		struct proxy_svc_port sp = { svc[i].ns, svc[i].name, "p80", "tcp" };
		uint32_t ip;

		CHECK(addr_parse(svc[i].ip, &ip) == 0);
		proxy_nft_service_chain(name, sizeof(name), "service", &sp);
		nft = file_has(FIXTURES "nftables-expected-1.nft", name);
		CHECK(nft == 1);	/* -1: the fixtures are missing, and that fails too */
		proxy_nft_endpoint_chain(name, sizeof(name), "endpoint", &sp, ip, 80);
		CHECK(file_has(FIXTURES "nftables-expected-1.nft", name) == 1);
		proxy_ipt_endpoint_chain(name, sizeof(name), &sp, ip, 80);
		ipt = file_has(FIXTURES "iptables-expected-1.txt", name);
		CHECK(ipt == 1);
		proxy_ipt_service_chain(name, sizeof(name), "KUBE-SVC", &sp);
		CHECK(file_has(FIXTURES "iptables-expected-1.txt", name) == 1);
	}
	{
		/* svc5 has session affinity: its affinity set is named like an endpoint chain. */
		struct proxy_svc_port sp = { "ns5", "svc5", "p80", "tcp" };

		proxy_nft_endpoint_chain(name, sizeof(name), "affinity", &sp, 0x0ab40003, 80);
		CHECK(file_has(FIXTURES "nftables-expected-1.nft", name) == 1);
		proxy_nft_service_chain(name, sizeof(name), "external", &sp);
		CHECK(file_has(FIXTURES "nftables-expected-1.nft", name) == 1);
		proxy_ipt_service_chain(name, sizeof(name), "KUBE-EXT", &sp);
		CHECK(file_has(FIXTURES "iptables-expected-1.txt", name) == 1);
		proxy_ipt_service_chain(name, sizeof(name), "KUBE-FW", &sp);
		CHECK(file_has(FIXTURES "iptables-expected-1.txt", name) == 1);
	}
	return unit_summary();
}
