/* topo_from_json: the topology document, field by field. Each field is
 * checked on its own here; what needs the whole model (duplicates, overlaps,
 * the network mode, IPAM) is topo_resolve's job, because the command line
 * may still change the mode in between. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "topo/jparse.h"

#define MSG_SUBDOMAIN "not a valid DNS-1123 subdomain (dot-separated labels of lowercase " \
	"letters, digits and '-', each starting and ending with a letter or digit and at " \
	"most 63 characters, at most 253 characters in all)"


/* ---- network ---- */

static int net_mode(struct parse_ctx *c, void *obj, const struct jv *v, const struct topo_jpath *at)
{
	struct topo_network *net = obj;
	const char *s;
	int ret;

	ret = jp_want_string(c, v, at, &s);
	if (!ret && topo_mode_parse(s, &net->mode))
		ret = jp_fail(c, at, v, "unknown mode (expected \"routed\", \"vxlan\", \"vpc\" or \"bgp\")");
	return ret;
}

static int net_proxy_mode(struct parse_ctx *c, void *obj, const struct jv *v,
			  const struct topo_jpath *at)
{
	struct topo_network *net = obj;
	const char *s;
	int ret;

	ret = jp_want_string(c, v, at, &s);
	if (!ret && topo_proxy_mode_parse(s, &net->proxy_mode))
		ret = jp_fail(c, at, v,
			   "unknown proxy mode (expected \"nftables\", \"iptables\" or \"ipvs\")");
	/* Bad input, not a missing kernel feature: with IP_VS or without,
	 * there is no ipvs layout for podpath to build. */
	else if (!ret && net->proxy_mode == TOPO_PROXY_IPVS)
		ret = jp_fail(c, at, v, "%s", TOPO_MSG_IPVS);
	return ret;
}

static int net_vpc(struct parse_ctx *c, void *obj, const struct jv *v, const struct topo_jpath *at)
{
	struct topo_network *net = obj;
	int ret;

	ret = jp_want_cidr(c, v, at, TOPO_VPC_LEN_MIN, TOPO_VPC_LEN_MAX, true, &net->vpc_cidr);
	if (!ret)
		net->vpc_router = net->vpc_cidr.addr + 1;
	return ret;
}

static int net_cluster(struct parse_ctx *c, void *obj, const struct jv *v,
		       const struct topo_jpath *at)
{
	struct topo_network *net = obj;

	return jp_want_cidr(c, v, at, TOPO_CLUSTER_LEN_MIN, TOPO_CLUSTER_LEN_MAX, true,
			 &net->cluster_cidr);
}

static int net_service(struct parse_ctx *c, void *obj, const struct jv *v,
		       const struct topo_jpath *at)
{
	struct topo_network *net = obj;

	return jp_want_cidr(c, v, at, TOPO_SERVICE_LEN_MIN, TOPO_SERVICE_LEN_MAX, true,
			 &net->service_cidr);
}

static int net_node_mask(struct parse_ctx *c, void *obj, const struct jv *v,
			 const struct topo_jpath *at)
{
	struct topo_network *net = obj;
	long long n;
	int ret;

	ret = jp_want_int(c, v, at, TOPO_NODE_MASK_MIN, TOPO_NODE_MASK_MAX, &n);
	if (!ret)
		net->node_mask = (unsigned)n;
	return ret;
}

static int net_mtu(struct parse_ctx *c, void *obj, const struct jv *v, const struct topo_jpath *at)
{
	struct topo_network *net = obj;
	long long n;
	int ret;

	ret = jp_want_int(c, v, at, TOPO_MTU_MIN, TOPO_MTU_MAX, &n);
	if (!ret)
		net->mtu = (unsigned)n;
	return ret;
}

static int net_domain(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_network *net = obj;

	return jp_want_name(c, v, at, topo_is_dns1123_subdomain, MSG_SUBDOMAIN, net->domain,
			 sizeof(net->domain));
}

static int net_public(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_network *net = obj;
	int ret;

	ret = jp_want_cidr(c, v, at, TOPO_EDGE_LEN_MIN, TOPO_EDGE_LEN_MAX, true, &net->public_cidr);
	if (!ret && !topo_is_testnet(&net->public_cidr))
		ret = jp_fail(c, at, v, "%s", TOPO_MSG_TESTNET);
	if (!ret)
		net->gateway_ip = net->public_cidr.addr + 1;
	return ret;
}

static int bgp_mesh(struct parse_ctx *c, void *obj, const struct jv *v, const struct topo_jpath *at)
{
	struct topo_bgp *bgp = obj;

	if (v->type != JV_TRUE && v->type != JV_FALSE)
		return jp_fail(c, at, v, "must be true or false");
	bgp->mesh = v->type == JV_TRUE;
	return 0;
}

static int bgp_asn(struct parse_ctx *c, void *obj, const struct jv *v, const struct topo_jpath *at)
{
	struct topo_bgp *bgp = obj;
	long long n;
	int ret;

	/* 0 and 65535 / 4294967295 are reserved (RFC 7607, RFC 7300). */
	ret = jp_want_int(c, v, at, 1, 4294967294LL, &n);
	if (!ret && n == 65535)
		ret = jp_fail(c, at, v, "is reserved (RFC 7300)");
	if (!ret)
		bgp->asn = (uint32_t)n;
	return ret;
}

static const struct field bgp_fields[] = {
	FIELD_FN("nodeToNodeMeshEnabled", false, bgp_mesh),
	FIELD_FN("asNumber", false, bgp_asn),
};

static int net_bgp(struct parse_ctx *c, void *obj, const struct jv *v, const struct topo_jpath *at)
{
	struct topo_network *net = obj;

	net->bgp.given = true;
	return jp_parse_object(c, v, at, bgp_fields, NFIELDS(bgp_fields), &net->bgp);
}

static const struct field network_fields[] = {
	FIELD_FN("mode", false, net_mode),
	FIELD_FN("proxyMode", false, net_proxy_mode),
	FIELD_FN("vpcCIDR", false, net_vpc),
	FIELD_FN("clusterCIDR", false, net_cluster),
	FIELD_FN("serviceCIDR", false, net_service),
	FIELD_FN("nodeCIDRMaskSize", false, net_node_mask),
	FIELD_FN("mtu", false, net_mtu),
	FIELD_FN("clusterDomain", false, net_domain),
	FIELD_FN("publicCIDR", false, net_public),
	FIELD_FN("bgp", false, net_bgp),
};

/* ---- nodes ---- */

/* A DNS-1123 label into a 64-byte name field (nodes, namespaces, containers). */
static int node_pod_cidr(struct parse_ctx *c, void *obj, const struct jv *v,
			 const struct topo_jpath *at)
{
	struct topo_node *n = obj;

	return jp_want_cidr(c, v, at, TOPO_PODCIDR_LEN_MIN, TOPO_PODCIDR_LEN_MAX, false,
			 &n->pod_cidr);
}

static const struct field node_fields[] = {
	FIELD_AT("name", true, F_LABEL, struct topo_node, name),
	FIELD_AT("ip", false, F_ADDR, struct topo_node, ip),
	FIELD_FN("podCIDR", false, node_pod_cidr),
	FIELD_AT("publicIP", false, F_ADDR, struct topo_node, public_ip),
};

static int parse_nodes(struct parse_ctx *c, void *obj, const struct jv *v,
		       const struct topo_jpath *at)
{
	struct topo *t = obj;
	size_t n;
	int ret;

	ret = jp_want_array_len(c, v, at, "node", TOPO_MAX_NODES, "nodes", &n);
	if (ret)
		goto out;
	if (topo_alloc_nodes(t, n)) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	ret = jp_parse_elements(c, v, at, node_fields, NFIELDS(node_fields), t->nodes,
			     sizeof(*t->nodes));
out:
	return ret;
}

/* ---- ports and containers ---- */

static const struct field port_fields[] = {
	FIELD_AT("name", false, F_PORT_NAME, struct topo_port, name),
	FIELD_AT("containerPort", true, F_PORT, struct topo_port, port),
	FIELD_AT("protocol", false, F_PROTO, struct topo_port, proto),
};

int topo_parse_ports(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		     struct topo_port **ports, size_t *nports)
{
	size_t i, n;
	int ret;

	ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_PORTS, "ports per container", &n);
	if (ret)
		goto out;
	*ports = n ? calloc(n, sizeof(**ports)) : NULL;
	if (n && !*ports) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	*nports = n;
	for (i = 0; i < n; i++)
		(*ports)[i].proto = TOPO_PROTO_TCP;
	ret = jp_parse_elements(c, v, at, port_fields, NFIELDS(port_fields), *ports,
				sizeof(**ports));
out:
	return ret;
}

static int container_ports(struct parse_ctx *c, void *obj, const struct jv *v,
			   const struct topo_jpath *at)
{
	struct topo_container *ct = obj;

	return topo_parse_ports(c, v, at, &ct->ports, &ct->nports);
}

int topo_parse_image(struct parse_ctx *c, const struct jv *v, const struct topo_jpath *at,
		     bool none, enum topo_image *out)
{
	const char *s;
	int ret;

	ret = jp_want_string(c, v, at, &s);
	if (!ret && (topo_image_parse(s, out) || (!none && *out == TOPO_IMAGE_NONE)))
		ret = jp_fail(c, at, v, none ? "unknown image (expected \"responder\", \"dnsmasq\" "
			      "or \"none\")" : "unknown image (expected \"responder\", \"dnsmasq\" or "
			      "\"nginx\"; \"none\" is for internet hosts only)");
	return ret;
}

static int container_image(struct parse_ctx *c, void *obj, const struct jv *v,
			   const struct topo_jpath *at)
{
	struct topo_container *ct = obj;

	return topo_parse_image(c, v, at, false, &ct->image);
}

static const struct field container_fields[] = {
	FIELD_AT("name", true, F_LABEL, struct topo_container, name),
	FIELD_FN("image", false, container_image),
	FIELD_FN("ports", false, container_ports),
};

/* Report a clash at .containers[i].ports[k].<field>, below at. */
__attribute__((format(printf, 7, 8)))
static int fail_port(struct parse_ctx *c, const struct topo_jpath *at, size_t i, size_t k,
		     const char *field, const char *value, const char *fmt, ...)
{
	struct topo_jpath ct = { at, NULL, i }, ports = { &ct, "ports", 0 };
	struct topo_jpath port = { &ports, NULL, k }, leaf = { &port, field, 0 };
	char path[TOPO_PATH_MAX];
	va_list ap;
	int ret;

	topo_jpath_fmt(path, sizeof(path), &leaf);
	va_start(ap, fmt);
	ret = topo_err_vset(c->err, path, value, fmt, ap);
	va_end(ap);
	return ret;
}

/* The ports an image listens on whether or not the document lists them:
 * dnsmasq serves DNS over UDP and TCP, nginx HTTP and HTTPS. */
static const struct topo_port dnsmasq_ports[] = {
	{ "", TOPO_DNS_PORT, TOPO_PROTO_UDP }, { "", TOPO_DNS_PORT, TOPO_PROTO_TCP } };
static const struct topo_port nginx_ports[] = {
	{ "", TOPO_HTTP_PORT, TOPO_PROTO_TCP }, { "", TOPO_HTTPS_PORT, TOPO_PROTO_TCP } };

static size_t image_ports(enum topo_image img, const struct topo_port **out)
{
	*out = img == TOPO_IMAGE_DNSMASQ ? dnsmasq_ports : nginx_ports;
	return img == TOPO_IMAGE_DNSMASQ ? NFIELDS(dnsmasq_ports) :
	       img == TOPO_IMAGE_NGINX ? NFIELDS(nginx_ports) : 0;
}

/* Does container b use port/proto, listed or by its image? */
static bool container_uses(const struct topo_container *b, uint16_t port, enum topo_proto proto,
			   bool *by_image)
{
	const struct topo_port *ip;
	size_t n = image_ports(b->image, &ip);

	*by_image = false;
	for (size_t l = 0; l < b->nports; l++)
		if (b->ports[l].port == port && b->ports[l].proto == proto)
			return true;
	for (size_t l = 0; l < n; l++)
		if (ip[l].port == port && ip[l].proto == proto)
			return *by_image = true;
	return false;
}

/* The first of containers 0..i-1 of p that uses port/proto, or NULL. */
static const struct topo_container *port_user(const struct topo_pod *p, size_t i, uint16_t port,
					      enum topo_proto proto, bool *by_image)
{
	for (size_t j = 0; j < i; j++)
		if (container_uses(&p->containers[j], port, proto, by_image))
			return &p->containers[j];
	return NULL;
}

/* The first of containers 0..i-1 of p with a port called name, or NULL. */
static const struct topo_container *port_named(const struct topo_pod *p, size_t i,
					       const char *name)
{
	for (size_t j = 0; j < i; j++)
		for (size_t l = 0; l < p->containers[j].nports; l++)
			if (!strcmp(p->containers[j].ports[l].name, name))
				return &p->containers[j];
	return NULL;
}

/* The ports container i's image listens on, against earlier containers. */
static int check_image_ports(struct parse_ctx *c, const struct topo_pod *p, size_t i,
			     const struct topo_jpath *at)
{
	const struct topo_container *a = &p->containers[i], *b;
	struct topo_jpath ct = { at, NULL, i }, image = { &ct, "image", 0 };
	const struct topo_port *ip;
	size_t n = image_ports(a->image, &ip);
	bool by_image;

	for (size_t k = 0; k < n; k++) {
		b = port_user(p, i, ip[k].port, ip[k].proto, &by_image);
		if (b)
			return jp_fail_str(c, &image, topo_image_name(a->image), "%s listens on "
					   "%u/%s, already used by container \"%s\" in this pod "
					   "(containers share the pod's network namespace)",
					   topo_image_name(a->image), (unsigned)ip[k].port,
					   topo_proto_name(ip[k].proto), b->name);
	}
	return 0;
}

/* Containers of a pod share its network namespace: a port/protocol can be
 * bound once per pod, whether the document lists it or the container's
 * image listens on it unlisted. Names must be unique per pod (containers,
 * ports), as in Kubernetes. */
static int check_containers(struct parse_ctx *c, const struct topo_pod *p,
			    const struct topo_jpath *at)
{
	const struct topo_container *a, *b;
	const struct topo_port *pa, *pb;
	struct topo_jpath ct = { at, NULL, 0 }, name = { &ct, "name", 0 };
	char val[TOPO_PATH_MAX];
	bool by_image;
	size_t i, j, k, l;
	int ret = 0;

	for (i = 0; i < p->ncontainers; i++) {
		a = &p->containers[i];
		for (j = 0; j < i; j++) {
			if (strcmp(p->containers[j].name, a->name))
				continue;
			ct.index = i;
			ret = jp_fail_str(c, &name, a->name, "duplicate container name in this pod");
			goto out;
		}
		ret = check_image_ports(c, p, i, at);
		if (ret)
			goto out;
		for (k = 0; k < a->nports; k++) {
			pa = &a->ports[k];
			/* dnsmasq listens where DNS is served, nowhere else. */
			if (a->image == TOPO_IMAGE_DNSMASQ && pa->port != TOPO_DNS_PORT) {
				snprintf(val, sizeof(val), "%u", (unsigned)pa->port);
				ret = fail_port(c, at, i, k, "containerPort", val,
						"a dnsmasq container serves port %d only",
						TOPO_DNS_PORT);
				goto out;
			}
			/* nginx serves HTTP and HTTPS, as the ingress controller. */
			if (a->image == TOPO_IMAGE_NGINX &&
			    ((pa->port != TOPO_HTTP_PORT && pa->port != TOPO_HTTPS_PORT) ||
			     pa->proto != TOPO_PROTO_TCP)) {
				snprintf(val, sizeof(val), "%u", (unsigned)pa->port);
				ret = fail_port(c, at, i, k, "containerPort", val,
						"an nginx container serves %d/TCP and %d/TCP only",
						TOPO_HTTP_PORT, TOPO_HTTPS_PORT);
				goto out;
			}
			/* This container's earlier ports, then every earlier
			 * container's, listed or by its image. */
			for (l = 0; l < k; l++) {
				pb = &a->ports[l];
				if (pa->name[0] && !strcmp(pa->name, pb->name)) {
					topo_value_str(val, sizeof(val), pa->name);
					ret = fail_port(c, at, i, k, "name", val,
							"duplicate port name in this container");
					goto out;
				}
				if (pa->port != pb->port || pa->proto != pb->proto)
					continue;
				snprintf(val, sizeof(val), "%u", (unsigned)pa->port);
				ret = fail_port(c, at, i, k, "containerPort", val,
						"port %u/%s is listed twice in this container",
						(unsigned)pa->port, topo_proto_name(pa->proto));
				goto out;
			}
			/* A named targetPort picks a port by name in the whole pod. */
			b = pa->name[0] ? port_named(p, i, pa->name) : NULL;
			if (b) {
				topo_value_str(val, sizeof(val), pa->name);
				ret = fail_port(c, at, i, k, "name", val, "duplicate port name in "
						"this pod (also in container \"%s\"; a pod's port names "
						"are unique, as Kubernetes requires)", b->name);
				goto out;
			}
			b = port_user(p, i, pa->port, pa->proto, &by_image);
			if (b) {
				snprintf(val, sizeof(val), "%u", (unsigned)pa->port);
				ret = fail_port(c, at, i, k, "containerPort", val,
						"port %u/%s already used by container \"%s\" in this pod "
						"(%s%scontainers share the pod's network namespace)",
						(unsigned)pa->port, topo_proto_name(pa->proto), b->name,
						by_image ? topo_image_name(b->image) : "",
						by_image ? " listens on it unlisted; " : "");
				goto out;
			}
		}
	}
out:
	return ret;
}

static int pod_containers(struct parse_ctx *c, void *obj, const struct jv *v,
			  const struct topo_jpath *at)
{
	struct topo_pod *p = obj;
	size_t n;
	int ret;

	ret = jp_want_array_len(c, v, at, "container", TOPO_MAX_CONTAINERS, "containers per pod", &n);
	if (ret)
		goto out;
	p->containers = calloc(n, sizeof(*p->containers));
	if (!p->containers) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	p->ncontainers = n;
	ret = jp_parse_elements(c, v, at, container_fields, NFIELDS(container_fields),
			     p->containers, sizeof(*p->containers));
	if (!ret)
		ret = check_containers(c, p, at);
out:
	return ret;
}

/* ---- pods ---- */

static int pod_name(struct parse_ctx *c, void *obj, const struct jv *v, const struct topo_jpath *at)
{
	struct topo_pod *p = obj;

	return jp_want_name(c, v, at, topo_is_pod_name, TOPO_MSG_POD_NAME, p->name, sizeof(p->name));
}

static int pod_node(struct parse_ctx *c, void *obj, const struct jv *v, const struct topo_jpath *at)
{
	struct topo_pod *p = obj;

	/* Only the name is kept here: the nodes may come later in the document,
	 * so the reference is looked up once everything has been read. */
	return jp_want_string(c, v, at, &c->pod_node[p - c->t->pods]);
}

static int pod_labels(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo_pod *p = obj;

	return jp_want_labels(c, v, at, &p->labels, &p->nlabels);
}

static const struct field pod_fields[] = {
	FIELD_AT("namespace", false, F_LABEL, struct topo_pod, ns),
	FIELD_FN("name", true, pod_name),
	FIELD_FN("node", true, pod_node),
	FIELD_AT("ip", false, F_ADDR, struct topo_pod, ip),
	FIELD_FN("labels", false, pod_labels),
	FIELD_FN("containers", true, pod_containers),
};

static int parse_pods(struct parse_ctx *c, void *obj, const struct jv *v,
		      const struct topo_jpath *at)
{
	struct topo *t = obj;
	size_t i, n;
	int ret;

	ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_PODS, "pods", &n);
	if (ret)
		goto out;
	ret = topo_alloc_pods(t, n);
	c->pod_node = n ? calloc(n, sizeof(*c->pod_node)) : NULL;
	if (ret || (n && !c->pod_node)) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	for (i = 0; i < n; i++)
		strcpy(t->pods[i].ns, "default");
	ret = jp_parse_elements(c, v, at, pod_fields, NFIELDS(pod_fields), t->pods,
			     sizeof(*t->pods));
out:
	return ret;
}

/* ---- services ---- */

/* A number, or the name of a container port (Kubernetes' IntOrString). */
static int sport_target(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at)
{
	struct topo_svc_port *p = obj;

	if (jv_is(v, JV_STRING))
		return jp_want_name(c, v, at, topo_is_port_name, TOPO_MSG_PORT_NAME, p->target_name,
				 sizeof(p->target_name));
	if (!jv_is(v, JV_INTEGER))
		return jp_fail(c, at, v, "expected integer or string (a container port's name)");
	return jp_want_port(c, v, at, &p->target_port);
}

static int sport_node_port(struct parse_ctx *c, void *obj, const struct jv *v,
			   const struct topo_jpath *at)
{
	struct topo_svc_port *p = obj;
	long long n;
	int ret;

	ret = jp_want_int(c, v, at, TOPO_NODEPORT_MIN, TOPO_NODEPORT_MAX, &n);
	if (!ret)
		p->node_port = (uint16_t)n;
	return ret;
}

static const struct field svc_port_fields[] = {
	FIELD_AT("name", false, F_PORT_NAME, struct topo_svc_port, name),
	FIELD_AT("port", true, F_PORT, struct topo_svc_port, port),
	FIELD_FN("targetPort", false, sport_target),
	FIELD_AT("protocol", false, F_PROTO, struct topo_svc_port, proto),
	FIELD_FN("nodePort", false, sport_node_port),
};

static int svc_type(struct parse_ctx *c, void *obj, const struct jv *v, const struct topo_jpath *at)
{
	static const char *const names[] = { "ClusterIP", "NodePort", "LoadBalancer" };
	static const enum topo_svc_type types[] = { TOPO_SVC_CLUSTERIP, TOPO_SVC_NODEPORT,
						    TOPO_SVC_LOADBALANCER };
	struct topo_service *s = obj;
	size_t i;

	if (jv_is(v, JV_STRING) && !strcmp(jv_str(c->doc, v), "ExternalName"))
		return jp_fail(c, at, v, "not supported by podpath (expected \"ClusterIP\", "
			       "\"NodePort\" or \"LoadBalancer\")");
	if (jp_want_choice(c, v, at, "type", names, NFIELDS(names), &i))
		return -EINVAL;
	s->type = types[i];
	return 0;
}

static int svc_cluster_ip(struct parse_ctx *c, void *obj, const struct jv *v,
			  const struct topo_jpath *at)
{
	struct topo_service *s = obj;
	const char *str;
	int ret;

	ret = jp_want_string(c, v, at, &str);
	if (ret)
		goto out;
	/* Whether "None" fits the type is known once the whole Service is read. */
	if (!strcmp(str, "None"))
		c->svc[s - c->t->services].headless = true;
	else if (addr_parse(str, &s->cluster_ip))
		ret = jp_fail(c, at, v, "not a valid IPv4 address (expected a.b.c.d, or \"None\" "
			   "for a headless Service)");
	else if (!s->cluster_ip)
		ret = jp_fail(c, at, v, "0.0.0.0 is not a usable address");
out:
	return ret;
}

static int svc_selector(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at)
{
	struct topo_service *s = obj;

	return jp_want_labels(c, v, at, &s->selector, &s->nselector);
}

static int svc_ports(struct parse_ctx *c, void *obj, const struct jv *v,
		     const struct topo_jpath *at)
{
	struct topo_service *s = obj;
	size_t n;
	int ret;

	ret = jp_want_array_len(c, v, at, "port", TOPO_MAX_SVC_PORTS, "ports per Service", &n);
	if (ret)
		goto out;
	s->nports = n;
	ret = jp_parse_elements(c, v, at, svc_port_fields, NFIELDS(svc_port_fields), s->ports,
			     sizeof(*s->ports));
out:
	return ret;
}

static int svc_affinity(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at)
{
	static const char *const names[] = { "None", "ClientIP" };
	struct topo_service *s = obj;
	size_t i;

	if (jp_want_choice(c, v, at, "sessionAffinity", names, NFIELDS(names), &i))
		return -EINVAL;
	s->affinity = i == 1;
	return 0;
}

static int svc_affinity_timeout(struct parse_ctx *c, void *obj, const struct jv *v,
				const struct topo_jpath *at)
{
	struct topo_service *s = obj;
	long long n;
	int ret;

	ret = jp_want_int(c, v, at, 1, TOPO_AFFINITY_MAX, &n);
	if (!ret)
		s->affinity_timeout = (unsigned)n;
	return ret;
}

static const struct field svc_client_ip_fields[] = {
	FIELD_FN("timeoutSeconds", false, svc_affinity_timeout),
};

static int svc_client_ip(struct parse_ctx *c, void *obj, const struct jv *v,
			 const struct topo_jpath *at)
{
	return jp_parse_object(c, v, at, svc_client_ip_fields, NFIELDS(svc_client_ip_fields), obj);
}

static const struct field svc_affinity_config_fields[] = {
	FIELD_FN("clientIP", false, svc_client_ip),
};

static int svc_affinity_config(struct parse_ctx *c, void *obj, const struct jv *v,
			       const struct topo_jpath *at)
{
	struct topo_service *s = obj;

	c->svc[s - c->t->services].affinity_config = true;
	return jp_parse_object(c, v, at, svc_affinity_config_fields,
			    NFIELDS(svc_affinity_config_fields), obj);
}

static int svc_ext_policy(struct parse_ctx *c, void *obj, const struct jv *v,
			  const struct topo_jpath *at)
{
	static const char *const names[] = { "Cluster", "Local" };
	struct topo_service *s = obj;
	size_t i;

	if (jp_want_choice(c, v, at, "externalTrafficPolicy", names, NFIELDS(names), &i))
		return -EINVAL;
	c->svc[s - c->t->services].ext_policy = true;
	s->ext_local = i == 1;
	return 0;
}

static const struct field svc_fields[] = {
	FIELD_AT("namespace", false, F_LABEL, struct topo_service, ns),
	FIELD_AT("name", true, F_LABEL, struct topo_service, name),
	FIELD_FN("type", false, svc_type),
	FIELD_FN("clusterIP", false, svc_cluster_ip),
	FIELD_FN("selector", false, svc_selector),
	FIELD_FN("ports", true, svc_ports),
	FIELD_FN("sessionAffinity", false, svc_affinity),
	FIELD_FN("sessionAffinityConfig", false, svc_affinity_config),
	FIELD_AT("loadBalancerIP", false, F_ADDR, struct topo_service, lb_ip),
	FIELD_FN("externalTrafficPolicy", false, svc_ext_policy),
};

/* What needs the whole Service, and its defaults; o is its object. */
static int finish_service(struct parse_ctx *c, size_t i, const struct jv *o,
			  const struct topo_jpath *at)
{
	struct topo_service *s = &c->t->services[i];
	struct topo_jpath sub = { .up = at };
	size_t k;
	int ret = 0;

	if (c->svc[i].headless) {
		if (s->type != TOPO_SVC_CLUSTERIP) {
			sub.key = "type";
			ret = jp_fail(c, &sub, jv_object_get(c->doc, o, "type"),
				      "a headless Service (clusterIP \"None\") must be of type "
				      "ClusterIP");
			goto out;
		}
		s->type = TOPO_SVC_HEADLESS;
	}
	if (c->svc[i].affinity_config && !s->affinity) {
		sub.key = "sessionAffinityConfig";
		ret = jp_fail(c, &sub, jv_object_get(c->doc, o, sub.key),
			   "only allowed with sessionAffinity \"ClientIP\"");
		goto out;
	}
	if (s->lb_ip && s->type != TOPO_SVC_LOADBALANCER) {
		sub.key = "loadBalancerIP";
		ret = jp_fail(c, &sub, jv_object_get(c->doc, o, sub.key),
			      "only allowed for type LoadBalancer");
		goto out;
	}
	/* As the API server: only a Service reachable from outside has one. */
	if (c->svc[i].ext_policy && s->type != TOPO_SVC_LOADBALANCER &&
	    s->type != TOPO_SVC_NODEPORT) {
		sub.key = "externalTrafficPolicy";
		ret = jp_fail(c, &sub, jv_object_get(c->doc, o, sub.key),
			      "only allowed for type NodePort or LoadBalancer");
		goto out;
	}
	if (s->affinity && !s->affinity_timeout)
		s->affinity_timeout = TOPO_AFFINITY_DEFAULT;
	for (k = 0; k < s->nports; k++) {
		if (!s->ports[k].target_name[0] && !s->ports[k].target_port)
			s->ports[k].target_port = s->ports[k].port;
	}
	ret = topo_svc_check(s, i, c->err);
out:
	return ret;
}

static int parse_services(struct parse_ctx *c, void *obj, const struct jv *v,
			  const struct topo_jpath *at)
{
	struct topo_jpath sub = { .up = at };
	struct topo *t = obj;
	const struct jv *o;
	size_t i, n;
	int ret;

	ret = jp_want_array_len(c, v, at, NULL, TOPO_MAX_SERVICES, "Services", &n);
	if (ret)
		goto out;
	ret = topo_alloc_services(t, n);
	c->svc = n ? calloc(n, sizeof(*c->svc)) : NULL;
	if (ret || (n && !c->svc)) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	jv_array_foreach(v, i, o) {
		strcpy(t->services[i].ns, "default");
		sub.index = i;
		ret = jp_parse_object(c, o, &sub, svc_fields, NFIELDS(svc_fields), &t->services[i]);
		if (!ret)
			ret = finish_service(c, i, o, &sub);
		if (ret)
			break;
	}
out:
	return ret;
}

/* ---- document ---- */

static int parse_schema(struct parse_ctx *c, void *obj, const struct jv *v,
			const struct topo_jpath *at)
{
	int ret = 0;

	if (!jv_is(v, JV_INTEGER))
		ret = jp_fail(c, at, v, "expected integer");
	else if (jv_int(c->doc, v) != 1)
		ret = jp_fail(c, at, v, "unsupported schema version (this podpath reads schema 1)");
	return ret;
}

static int parse_network(struct parse_ctx *c, void *obj, const struct jv *v,
			 const struct topo_jpath *at)
{
	struct topo *t = obj;

	return jp_parse_object(c, v, at, network_fields, NFIELDS(network_fields), &t->net);
}

static const struct field doc_fields[] = {
	FIELD_FN("schema", false, parse_schema),
	FIELD_FN("network", false, parse_network),
	FIELD_FN("nodes", true, parse_nodes),
	FIELD_FN("pods", false, parse_pods),
	FIELD_FN("services", false, parse_services),
	FIELD_FN("internet", false, topo_parse_internet),
	FIELD_FN("ingresses", false, topo_parse_ingresses),
	FIELD_FN("namespaces", false, topo_parse_namespaces),
	FIELD_FN("networkPolicies", false, topo_parse_policies),
};

/* Turn each pod's node name into an index, now that all nodes are known. */
static int link_pods(struct parse_ctx *c)
{
	struct topo_jpath pods = { NULL, "pods", 0 }, pod = { &pods, NULL, 0 };
	struct topo_jpath node = { &pod, "node", 0 };
	ssize_t n;
	size_t i;
	int ret = 0;

	for (i = 0; i < c->t->npods; i++) {
		n = topo_node_index(c->t, c->pod_node[i]);
		if (n < 0) {
			pod.index = i;
			ret = jp_fail_str(c, &node, c->pod_node[i], "no such node");
			goto out;
		}
		c->t->pods[i].node = (size_t)n;
	}
out:
	return ret;
}

int topo_from_json(struct topo *t, const char *buf, size_t len, struct topo_error *err)
{
	struct parse_ctx c = { .t = t, .err = err };
	struct jdoc doc = { 0 };
	int ret;

	memset(t, 0, sizeof(*t));
	topo_network_default(&t->net);
	topo_err_clear(err);
	if (len > TOPO_DOC_MAX) {
		ret = topo_err_set(err, ".", "", "the document is larger than %zu MiB, the most "
				   "podpath reads", TOPO_DOC_MAX >> 20);
		goto out;
	}
	/* Not a general JSON library's tree, which takes 20 to 80 times the
	 * text: a compact one, at most about 7 times (jdoc.h). */
	ret = jdoc_load(&doc, buf, len, err);
	if (ret)
		goto out;
	c.doc = &doc;
	ret = jp_parse_object(&c, doc.v, NULL, doc_fields, NFIELDS(doc_fields), t);
	if (!ret)
		ret = link_pods(&c);
	/* Without an "internet" section the lab gets the default internet. */
	if (!ret && !c.inet_seen && topo_internet_default(t) < 0)
		ret = topo_err_nomem(err);
out:
	free(c.pod_node);
	free(c.svc);
	jdoc_free(&doc);
	if (ret) {
		topo_free(t);
		errno = -ret;
	}
	return ret;
}
