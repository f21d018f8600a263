/* Kubernetes name and label syntax, and the names of topo's enums. */
#include <errno.h>
#include <string.h>

#include "topo/topo_int.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* One DNS-1123 label of exactly len characters at s. */
static bool is_label_n(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63)
		return false;
	if (!is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (i = 1; i + 1 < len; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

/* A subdomain of exactly len characters at s. Unlike Kubernetes, each label
 * is held to 63 characters: the cluster domain ends up in real DNS names. */
static bool is_subdomain_n(const char *s, size_t len)
{
	const char *dot;
	size_t rest = len;

	if (len == 0 || len > 253)
		return false;
	for (;;) {
		dot = memchr(s, '.', rest);
		if (!dot)
			return is_label_n(s, rest);
		if (!is_label_n(s, (size_t)(dot - s)))
			return false;
		rest -= (size_t)(dot - s) + 1;
		s = dot + 1;
	}
}

/* The name part of a label key and a non-empty label value share a rule:
 * at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends. */
static bool is_qualified_name_n(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63)
		return false;
	if (!is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (i = 1; i + 1 < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	}
	return true;
}

bool topo_is_dns1123_label(const char *s)
{
	return s && is_label_n(s, strlen(s));
}

bool topo_is_dns1123_subdomain(const char *s)
{
	return s && is_subdomain_n(s, strlen(s));
}

bool topo_is_pod_name(const char *s)
{
	/* podpath keeps pod names in fixed 64-byte fields (they also name
	 * network namespaces), so the subdomain is capped at 63. */
	return topo_is_dns1123_subdomain(s) && strlen(s) <= 63;
}

bool topo_is_label_key(const char *s)
{
	const char *slash;

	if (!s)
		return false;
	slash = strchr(s, '/');
	if (!slash)
		return is_qualified_name_n(s, strlen(s));
	return is_subdomain_n(s, (size_t)(slash - s)) &&
	       is_qualified_name_n(slash + 1, strlen(slash + 1));
}

bool topo_is_label_value(const char *s)
{
	return s && (!*s || is_qualified_name_n(s, strlen(s)));
}

bool topo_is_port_name(const char *s)
{
	bool letter = false;
	size_t i, len;

	if (!s)
		return false;
	len = strlen(s);
	if (len == 0 || len > 15 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (s[i] == '-' && s[i + 1] == '-')
			return false;
		else if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return letter;
}

bool topo_cidr_reserved(const struct cidr *c, const char **which)
{
	/* Ranges whose addresses a lab network cannot route like unicast; the
	 * link-local one also holds the vpc mode pod gateway 169.254.1.1. */
	static const struct {
		struct cidr c;
		const char *name;
	} reserved[] = {
		{ { 0x00000000u, 8 }, "0.0.0.0/8 (\"this network\")" },
		{ { 0x7f000000u, 8 }, "127.0.0.0/8 (loopback)" },
		{ { 0xa9fe0000u, 16 }, "169.254.0.0/16 (link-local)" },
		{ { 0xe0000000u, 3 }, "224.0.0.0/3 (multicast and reserved)" },
	};
	size_t i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if (cidr_overlaps(c, &reserved[i].c)) {
			if (which)
				*which = reserved[i].name;
			return true;
		}
	}
	return false;
}

static const char *const mode_names[] = {
	[TOPO_MODE_ROUTED] = "routed",
	[TOPO_MODE_VXLAN] = "vxlan",
	[TOPO_MODE_VPC] = "vpc",
	[TOPO_MODE_BGP] = "bgp",
};

/* Name i of a table, or "?". */
static const char *name_of(const char *const *names, size_t n, unsigned i)
{
	return i < n ? names[i] : "?";
}

/* Index of s in a table of names; -EINVAL (errno set) if absent. */
static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	errno = EINVAL;
	return -EINVAL;
}

#define NAMES(a) a, sizeof(a) / sizeof(a[0])

const char *topo_mode_name(enum topo_mode m)
{
	return name_of(NAMES(mode_names), (unsigned)m);
}

int topo_mode_parse(const char *s, enum topo_mode *out)
{
	int i = name_index(NAMES(mode_names), s);

	if (i >= 0)
		*out = (enum topo_mode)i;
	return i < 0 ? i : 0;
}

static const char *const proxy_mode_names[] = {
	[TOPO_PROXY_NFTABLES] = "nftables",
	[TOPO_PROXY_IPTABLES] = "iptables",
	[TOPO_PROXY_IPVS] = "ipvs",
};

const char *topo_proxy_mode_name(enum topo_proxy_mode m)
{
	return name_of(NAMES(proxy_mode_names), (unsigned)m);
}

int topo_proxy_mode_parse(const char *s, enum topo_proxy_mode *out)
{
	int i = name_index(NAMES(proxy_mode_names), s);

	if (i >= 0)
		*out = (enum topo_proxy_mode)i;
	return i < 0 ? i : 0;
}

static const char *const image_names[] = {
	[TOPO_IMAGE_RESPONDER] = "responder",
	[TOPO_IMAGE_DNSMASQ] = "dnsmasq",
	[TOPO_IMAGE_NONE] = "none",
	[TOPO_IMAGE_NGINX] = "nginx",
};

const char *topo_image_name(enum topo_image i)
{
	return name_of(NAMES(image_names), (unsigned)i);
}

int topo_image_parse(const char *s, enum topo_image *out)
{
	int i = name_index(NAMES(image_names), s);

	if (i >= 0)
		*out = (enum topo_image)i;
	return i < 0 ? i : 0;
}

const char *topo_proto_name(enum topo_proto p)
{
	switch (p) {
	case TOPO_PROTO_TCP:
		return "TCP";
	case TOPO_PROTO_UDP:
		return "UDP";
	}
	return "?";
}

const char *topo_svc_type_name(enum topo_svc_type ty)
{
	switch (ty) {
	case TOPO_SVC_CLUSTERIP:
	case TOPO_SVC_HEADLESS:	/* Kubernetes: type ClusterIP, clusterIP "None" */
		return "ClusterIP";
	case TOPO_SVC_NODEPORT:
		return "NodePort";
	case TOPO_SVC_LOADBALANCER:
		return "LoadBalancer";
	}
	return "?";
}

static const char *const np_proto_names[] = {
	[TOPO_NP_TCP] = "TCP",
	[TOPO_NP_UDP] = "UDP",
	[TOPO_NP_SCTP] = "SCTP",
};

const char *topo_np_proto_name(enum topo_np_proto p)
{
	return name_of(NAMES(np_proto_names), (unsigned)p);
}

static const char *const sel_op_names[] = {
	[TOPO_SEL_IN] = "In",
	[TOPO_SEL_NOT_IN] = "NotIn",
	[TOPO_SEL_EXISTS] = "Exists",
	[TOPO_SEL_DOES_NOT_EXIST] = "DoesNotExist",
};

const char *topo_sel_op_name(enum topo_sel_op op)
{
	return name_of(NAMES(sel_op_names), (unsigned)op);
}
