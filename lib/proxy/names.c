/* proxy/names — kube-proxy's chain names; see names.h. */
#include <stdio.h>
#include <string.h>

#include <nettle/sha2.h>

#include "addr.h"
#include "proxy/names.h"

/* RFC 4648 base32 of a SHA-256 digest, as Go's base32.StdEncoding. */
void proxy_hash(const char *s, size_t n, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	unsigned bits = 0, acc = 0;
	size_t o = 0;

	sha256_init(&ctx);
	sha256_update(&ctx, strlen(s), (const uint8_t *)s);
	sha256_digest(&ctx, sizeof(digest), digest);
	for (size_t i = 0; i < sizeof(digest) && o < n; i++) {
		acc = (acc << 8) | digest[i];
		bits += 8;
		while (bits >= 5 && o < n) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits && o < n)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

/* "ns/name/proto/port": kube-proxy's nftables servicePortChainNameBase. */
static void nft_base(char *buf, size_t len, const struct proxy_svc_port *sp)
{
	snprintf(buf, len, "%s/%s/%s/%s", sp->ns, sp->name, sp->proto, sp->port_name);
}

static void nft_name(char *buf, size_t len, const char *prefix, const char *base)
{
	char h[9];

	proxy_hash(base, 8, h);
	snprintf(buf, len, "%s-%s-%s", prefix, h, base);
}

void proxy_nft_service_chain(char *buf, size_t len, const char *prefix,
			     const struct proxy_svc_port *sp)
{
	char base[PROXY_NAME_MAX];

	nft_base(base, sizeof(base), sp);
	nft_name(buf, len, prefix, base);
}

void proxy_nft_endpoint_chain(char *buf, size_t len, const char *prefix,
			      const struct proxy_svc_port *sp, uint32_t ip, uint16_t port)
{
	char base[PROXY_NAME_MAX], a[ADDR_STRLEN];
	size_t n;

	nft_base(base, sizeof(base), sp);
	n = strlen(base);
	snprintf(base + n, sizeof(base) - n, "__%s/%u", addr_fmt(ip, a), port);
	nft_name(buf, len, prefix, base);
}

/* "ns/name:port" + proto: kube-proxy's iptables portProtoHash input. */
static void ipt_base(char *buf, size_t len, const struct proxy_svc_port *sp)
{
	snprintf(buf, len, "%s/%s:%s%s", sp->ns, sp->name, sp->port_name, sp->proto);
}

void proxy_ipt_service_chain(char *buf, size_t len, const char *kind,
			     const struct proxy_svc_port *sp)
{
	char base[PROXY_NAME_MAX], h[17];

	ipt_base(base, sizeof(base), sp);
	proxy_hash(base, 16, h);
	snprintf(buf, len, "%s-%s", kind, h);
}

void proxy_ipt_endpoint_chain(char *buf, size_t len, const struct proxy_svc_port *sp,
			      uint32_t ip, uint16_t port)
{
	char base[PROXY_NAME_MAX], h[17], a[ADDR_STRLEN];
	size_t n;

	ipt_base(base, sizeof(base), sp);
	n = strlen(base);
	snprintf(base + n, sizeof(base) - n, "%s:%u", addr_fmt(ip, a), port);
	proxy_hash(base, 16, h);
	snprintf(buf, len, "KUBE-SEP-%s", h);
}
