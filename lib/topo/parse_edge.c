/* The document's "internet" section: the simulated internet's segment and
 * its hosts. Cross-checks (duplicates, addresses, overlaps) are in edge.c,
 * run by topo_resolve. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topo/jparse.h"

#define MSG_HOST_NAME "not a valid host name (a DNS-1123 subdomain such as \"example.com\": " \
	"lowercase letters, digits, '-' and '.', starting and ending with a letter or digit; " \
	"podpath allows at most 63 characters)"

static bool host_name_ok(const char *s)
{
	return strlen(s) < TOPO_LABEL_MAX && topo_is_dns1123_subdomain(s);
}

/* A name, and not one a resolver reads as an IPv4 address: getaddrinfo and
 * curl take "203.0.113.9", "10" and "0x7f.1" (inet_aton's forms) as
 * addresses, so a host named so could not be reached by its name. */
static int host_name(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_inet_host *h = obj;
	char a[ADDR_STRLEN];
	struct in_addr in;
	int ret = jp_want_name(c, v, at, host_name_ok, MSG_HOST_NAME, h->name, sizeof(h->name));

	if (!ret && inet_aton(h->name, &in))
		ret = jp_fail(c, at, v, "must be a DNS name, not an IPv4 address (resolvers read "
			      "it as %s, so the host could not be reached by name)",
			      addr_fmt(ntohl(in.s_addr), a));
	return ret;
}

static int host_image(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_inet_host *h = obj;

	int ret = topo_parse_image(c, v, at, true, &h->image);

	if (!ret && h->image == TOPO_IMAGE_NGINX)
		ret = jp_fail(c, at, v, "an internet host runs \"responder\", \"dnsmasq\" or "
			      "\"none\" (nginx is the cluster's ingress controller)");
	return ret;
}

static int host_ports(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_inet_host *h = obj;

	return topo_parse_ports(c, v, at, &h->ports, &h->nports);
}

static const struct field host_fields[] = {
	FIELD_FN("name", true, host_name),
	FIELD_AT("ip", false, F_ADDR, struct topo_inet_host, ip),
	FIELD_FN("image", false, host_image),
	FIELD_FN("ports", false, host_ports),
};

/* What a host serves when the document does not say: HTTP on 80 for the
 * responder, DNS on 53 over UDP and TCP for dnsmasq. */
static int host_default_ports(struct topo_inet_host *h)
{
	static const struct topo_port http = { "http", 80, TOPO_PROTO_TCP };
	static const struct topo_port dns[2] = { { "dns", 53, TOPO_PROTO_UDP },
						 { "dns-tcp", 53, TOPO_PROTO_TCP } };
	size_t n = h->image == TOPO_IMAGE_DNSMASQ ? 2 : 1;

	h->ports = calloc(n, sizeof(*h->ports));
	if (!h->ports)
		return -ENOMEM;
	memcpy(h->ports, h->image == TOPO_IMAGE_DNSMASQ ? dns : &http, n * sizeof(*h->ports));
	h->nports = n;
	return 0;
}

static int finish_host(struct parse_ctx *c, struct topo_inet_host *h, const struct jv *o,
		       const struct topo_jpath *at)
{
	struct topo_jpath ports = { at, "ports", 0 }, port = { &ports, NULL, 0 };
	struct topo_jpath leaf = { &port, NULL, 0 };

	if (h->image == TOPO_IMAGE_NONE && h->nports)
		return jp_fail(c, &ports, jv_object_get(c->doc, o, "ports"),
			       "a host with image \"none\" runs nothing and serves no port");
	if (h->image != TOPO_IMAGE_NONE && !h->nports)
		return host_default_ports(h) < 0 ? topo_err_nomem(c->err) : 0;
	for (size_t k = 0; k < h->nports; k++) {
		/* The getters take NULL, so a missing part yields NULL. */
		const struct jv *pv = jv_object_get(c->doc, jv_array_get(jv_object_get(c->doc, o,
						    "ports"), k), "containerPort");

		port.index = k;
		leaf.key = "containerPort";
		if (h->image == TOPO_IMAGE_DNSMASQ && h->ports[k].port != TOPO_DNS_PORT)
			return jp_fail(c, &leaf, pv, "dnsmasq serves DNS on port 53 only");
		for (size_t j = 0; j < k; j++)
			if (h->ports[j].port == h->ports[k].port &&
			    h->ports[j].proto == h->ports[k].proto)
				return jp_fail(c, &leaf, pv, "port %u/%s is already served by "
					       ".ports[%zu]", h->ports[k].port,
					       topo_proto_name(h->ports[k].proto), j);
	}
	return 0;
}

static int inet_cidr(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_internet *inet = obj;
	int ret;

	ret = jp_want_cidr(c, v, at, TOPO_EDGE_LEN_MIN, TOPO_EDGE_LEN_MAX, true, &inet->cidr);
	if (!ret && !topo_is_testnet(&inet->cidr))
		ret = jp_fail(c, at, v, "%s", TOPO_MSG_TESTNET);
	if (!ret)
		inet->router = inet->cidr.addr + 1;
	return ret;
}

static int inet_hosts(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_internet *inet = obj;
	struct topo_jpath sub = { .up = at };
	size_t n;
	int ret;

	ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_INET_HOSTS, "internet hosts", &n);
	if (ret)
		return ret;
	inet->hosts = n ? calloc(n, sizeof(*inet->hosts)) : NULL;
	if (n && !inet->hosts)
		return topo_err_nomem(c->err);
	inet->nhosts = n;
	for (size_t i = 0; i < n && !ret; i++) {
		const struct jv *o = jv_array_get(v, i);

		sub.index = i;
		ret = jp_parse_object(c, o, &sub, host_fields, NFIELDS(host_fields),
				      &inet->hosts[i]);
		if (!ret)
			ret = finish_host(c, &inet->hosts[i], o, &sub);
	}
	return ret;
}

static const struct field inet_fields[] = {
	FIELD_FN("cidr", false, inet_cidr),
	FIELD_FN("hosts", false, inet_hosts),
};

int topo_parse_internet(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at)
{
	struct topo *t = obj;

	c->inet_seen = true;
	t->inet.cidr = TOPO_INET_DEFAULT_CIDR;
	t->inet.router = t->inet.cidr.addr + 1;
	return jp_parse_object(c, v, at, inet_fields, NFIELDS(inet_fields), &t->inet);
}
