/* topo_from_json: the topology document, field by field. Each field is
 * checked on its own here; what needs the whole model (duplicates, overlaps,
 * the network mode, IPAM) is topo_resolve's job, because the command line
 * may still change the mode in between. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo_int.h"

#define MSG_SUBDOMAIN "not a valid DNS-1123 subdomain (dot-separated labels of lowercase " \
	"letters, digits and '-', each starting and ending with a letter or digit and at " \
	"most 63 characters, at most 253 characters in all)"
#define MSG_POD_NAME "not a valid pod name (a DNS-1123 subdomain: lowercase letters, " \
	"digits, '-' and '.', starting and ending with a letter or digit; podpath allows " \
	"at most 63 characters)"
#define MSG_LABEL_KEY "not a valid label key (an optional DNS-1123 subdomain prefix and " \
	"'/', then a name of at most 63 letters, digits, '-', '_' or '.', starting and " \
	"ending with a letter or digit)"
#define MSG_LABEL_VALUE "not a valid label value (empty, or at most 63 letters, digits, " \
	"'-', '_' or '.', starting and ending with a letter or digit)"
#define MSG_PORT_NAME "not a valid port name (IANA_SVC_NAME: at most 15 lowercase " \
	"letters, digits and '-', at least one letter, no leading, trailing or double '-')"

struct parse_ctx {
	struct topo *t;
	struct topo_error *err;
	const char **pod_node;	/* each pod's node name, pointing into the document */
	size_t pod;		/* index of the pod being parsed */
};

/* One field of an object: its key and how to parse its value into obj. */
struct field {
	const char *key;
	bool required;
	int (*parse)(struct parse_ctx *c, void *obj, json_t *v, const char *path);
};

static int want_string(struct parse_ctx *c, json_t *v, const char *path, const char **out)
{
	/* Set before the check so that callers never see an unset pointer. */
	*out = json_string_value(v);
	if (!*out)
		return topo_err_json(c->err, path, v, "expected string");
	return 0;
}

static int want_int(struct parse_ctx *c, json_t *v, const char *path,
		    long long min, long long max, long long *out)
{
	*out = json_integer_value(v);
	if (!json_is_integer(v))
		return topo_err_json(c->err, path, v, "expected integer");
	if (*out < min || *out > max)
		return topo_err_json(c->err, path, v, "must be %lld..%lld", min, max);
	return 0;
}

static int want_addr(struct parse_ctx *c, json_t *v, const char *path, uint32_t *out)
{
	const char *s;
	int ret;

	ret = want_string(c, v, path, &s);
	if (ret)
		goto out;
	if (addr_parse(s, out)) {
		ret = topo_err_json(c->err, path, v, "not a valid IPv4 address (expected a.b.c.d)");
		goto out;
	}
	/* 0 means "assign one" in the model, and no lab could use it anyway. */
	if (*out == 0)
		ret = topo_err_json(c->err, path, v, "0.0.0.0 is not a usable address");
out:
	return ret;
}

static int want_cidr(struct parse_ctx *c, json_t *v, const char *path,
		     unsigned min, unsigned max, bool unicast, struct cidr *out)
{
	char buf[CIDR_STRLEN];
	const char *s, *which;
	int ret;

	ret = want_string(c, v, path, &s);
	if (ret)
		goto out;
	ret = cidr_parse(s, out);
	if (ret == -EADDRNOTAVAIL) {
		ret = topo_err_json(c->err, path, v, "host bits set; did you mean %s?",
				    cidr_fmt(out, buf));
		goto out;
	}
	if (ret) {
		ret = topo_err_json(c->err, path, v, "not a valid CIDR (expected a.b.c.d/len)");
		goto out;
	}
	if (out->len < min || out->len > max) {
		ret = topo_err_json(c->err, path, v, "prefix length must be %u..%u", min, max);
		goto out;
	}
	if (unicast && topo_cidr_reserved(out, &which))
		ret = topo_err_json(c->err, path, v, "overlaps the reserved range %s", which);
out:
	return ret;
}

/* Parse the object o at path with the given fields, in document order so
 * that the first error reported is the first one a reader meets. */
static int parse_object(struct parse_ctx *c, json_t *o, const char *path,
			const struct field *fields, size_t nfields, void *obj)
{
	char sub[TOPO_PATH_MAX];
	unsigned long seen = 0;
	const char *key;
	json_t *v;
	size_t i;
	int ret = 0;

	if (!json_is_object(o)) {
		ret = topo_err_json(c->err, *path ? path : ".", o, "expected object");
		goto out;
	}
	json_object_foreach(o, key, v) {
		topo_path_key(sub, sizeof(sub), path, key);
		for (i = 0; i < nfields && strcmp(fields[i].key, key); i++)
			;
		if (i == nfields) {
			ret = topo_err_json(c->err, sub, v, "unknown field");
			goto out;
		}
		seen |= 1ul << i;
		ret = fields[i].parse(c, obj, v, sub);
		if (ret)
			goto out;
	}
	for (i = 0; i < nfields; i++) {
		if (fields[i].required && !(seen & 1ul << i)) {
			ret = topo_err_set(c->err, *path ? path : ".", "", "missing required field \"%s\"",
					   fields[i].key);
			goto out;
		}
	}
out:
	return ret;
}

/* ---- network ---- */

static int net_mode(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_network *net = obj;
	const char *s;
	int ret;

	ret = want_string(c, v, path, &s);
	if (!ret && topo_mode_parse(s, &net->mode))
		ret = topo_err_json(c->err, path, v,
				    "unknown mode (expected \"routed\", \"vxlan\" or \"vpc\")");
	return ret;
}

static int net_vpc(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_network *net = obj;
	int ret;

	ret = want_cidr(c, v, path, TOPO_VPC_LEN_MIN, TOPO_VPC_LEN_MAX, true, &net->vpc_cidr);
	if (!ret)
		net->vpc_router = net->vpc_cidr.addr + 1;
	return ret;
}

static int net_cluster(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_network *net = obj;

	return want_cidr(c, v, path, TOPO_CLUSTER_LEN_MIN, TOPO_CLUSTER_LEN_MAX, true,
			 &net->cluster_cidr);
}

static int net_service(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_network *net = obj;

	return want_cidr(c, v, path, TOPO_SERVICE_LEN_MIN, TOPO_SERVICE_LEN_MAX, true,
			 &net->service_cidr);
}

static int net_node_mask(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_network *net = obj;
	long long n;
	int ret;

	ret = want_int(c, v, path, TOPO_NODE_MASK_MIN, TOPO_NODE_MASK_MAX, &n);
	if (!ret)
		net->node_mask = (unsigned)n;
	return ret;
}

static int net_mtu(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_network *net = obj;
	long long n;
	int ret;

	ret = want_int(c, v, path, TOPO_MTU_MIN, TOPO_MTU_MAX, &n);
	if (!ret)
		net->mtu = (unsigned)n;
	return ret;
}

static int net_domain(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_network *net = obj;
	const char *s;
	int ret;

	ret = want_string(c, v, path, &s);
	if (ret)
		goto out;
	if (!topo_is_dns1123_subdomain(s)) {
		ret = topo_err_json(c->err, path, v, MSG_SUBDOMAIN);
		goto out;
	}
	strcpy(net->domain, s);	/* fits: at most 253 characters */
out:
	return ret;
}

static const struct field network_fields[] = {
	{ "mode", false, net_mode },
	{ "vpcCIDR", false, net_vpc },
	{ "clusterCIDR", false, net_cluster },
	{ "serviceCIDR", false, net_service },
	{ "nodeCIDRMaskSize", false, net_node_mask },
	{ "mtu", false, net_mtu },
	{ "clusterDomain", false, net_domain },
};

/* ---- nodes ---- */

static int node_name(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_node *n = obj;
	const char *s;
	int ret;

	ret = want_string(c, v, path, &s);
	if (ret)
		goto out;
	if (!topo_is_dns1123_label(s)) {
		ret = topo_err_json(c->err, path, v, TOPO_MSG_LABEL);
		goto out;
	}
	strcpy(n->name, s);
out:
	return ret;
}

static int node_ip(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_node *n = obj;

	return want_addr(c, v, path, &n->ip);
}

static int node_pod_cidr(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_node *n = obj;

	return want_cidr(c, v, path, TOPO_PODCIDR_LEN_MIN, TOPO_PODCIDR_LEN_MAX, false,
			 &n->pod_cidr);
}

static const struct field node_fields[] = {
	{ "name", true, node_name },
	{ "ip", false, node_ip },
	{ "podCIDR", false, node_pod_cidr },
};

static int parse_nodes(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	char sub[TOPO_PATH_MAX];
	struct topo *t = obj;
	size_t i, n;
	int ret = 0;

	if (!json_is_array(v)) {
		ret = topo_err_json(c->err, path, v, "expected array");
		goto out;
	}
	n = json_array_size(v);
	if (n == 0) {
		ret = topo_err_set(c->err, path, "[]", "at least one node is required");
		goto out;
	}
	if (n > TOPO_MAX_NODES) {
		ret = topo_err_set(c->err, path, "", "at most %d nodes are supported (found %zu)",
				   TOPO_MAX_NODES, n);
		goto out;
	}
	ret = topo_alloc_nodes(t, n);
	if (ret) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		topo_path_index(sub, sizeof(sub), path, i);
		ret = parse_object(c, json_array_get(v, i), sub, node_fields,
				   sizeof(node_fields) / sizeof(node_fields[0]), &t->nodes[i]);
		if (ret)
			goto out;
	}
out:
	return ret;
}

/* ---- ports and containers ---- */

static int port_name(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_port *p = obj;
	const char *s;
	int ret;

	ret = want_string(c, v, path, &s);
	if (ret)
		goto out;
	if (!topo_is_port_name(s)) {
		ret = topo_err_json(c->err, path, v, MSG_PORT_NAME);
		goto out;
	}
	strcpy(p->name, s);
out:
	return ret;
}

static int port_number(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_port *p = obj;
	long long n;
	int ret;

	ret = want_int(c, v, path, 1, 65535, &n);
	if (!ret)
		p->port = (uint16_t)n;
	return ret;
}

static int port_proto(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_port *p = obj;
	const char *s;
	int ret;

	ret = want_string(c, v, path, &s);
	if (ret)
		goto out;
	/* Kubernetes spells protocols in capitals and so does the schema. */
	if (!strcmp(s, "TCP"))
		p->proto = TOPO_PROTO_TCP;
	else if (!strcmp(s, "UDP"))
		p->proto = TOPO_PROTO_UDP;
	else
		ret = topo_err_json(c->err, path, v, "unknown protocol (expected \"TCP\" or \"UDP\")");
out:
	return ret;
}

static const struct field port_fields[] = {
	{ "name", false, port_name },
	{ "containerPort", true, port_number },
	{ "protocol", false, port_proto },
};

static int container_name(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_container *ct = obj;
	const char *s;
	int ret;

	ret = want_string(c, v, path, &s);
	if (ret)
		goto out;
	if (!topo_is_dns1123_label(s)) {
		ret = topo_err_json(c->err, path, v, TOPO_MSG_LABEL);
		goto out;
	}
	strcpy(ct->name, s);
out:
	return ret;
}

static int container_ports(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_container *ct = obj;
	char sub[TOPO_PATH_MAX];
	size_t i, n;
	int ret = 0;

	if (!json_is_array(v)) {
		ret = topo_err_json(c->err, path, v, "expected array");
		goto out;
	}
	n = json_array_size(v);
	if (n > TOPO_MAX_PORTS) {
		ret = topo_err_set(c->err, path, "", "at most %d ports per container are supported (found %zu)",
				   TOPO_MAX_PORTS, n);
		goto out;
	}
	ct->ports = n ? calloc(n, sizeof(*ct->ports)) : NULL;
	if (n && !ct->ports) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	ct->nports = n;
	for (i = 0; i < n; i++) {
		ct->ports[i].proto = TOPO_PROTO_TCP;
		topo_path_index(sub, sizeof(sub), path, i);
		ret = parse_object(c, json_array_get(v, i), sub, port_fields,
				   sizeof(port_fields) / sizeof(port_fields[0]), &ct->ports[i]);
		if (ret)
			goto out;
	}
out:
	return ret;
}

static const struct field container_fields[] = {
	{ "name", true, container_name },
	{ "ports", false, container_ports },
};

/* Containers of a pod share its network namespace: a port/protocol can be
 * bound once per pod. Names must be unique per pod (containers) and per
 * container (ports), as in Kubernetes. */
static int check_containers(struct parse_ctx *c, const struct topo_pod *p, const char *path)
{
	const struct topo_container *a, *b;
	const struct topo_port *pa, *pb;
	char sub[TOPO_PATH_MAX], val[8];
	size_t i, j, k, l;
	int ret = 0;

	for (i = 0; i < p->ncontainers; i++) {
		a = &p->containers[i];
		for (j = 0; j < i; j++) {
			if (strcmp(p->containers[j].name, a->name))
				continue;
			topo_path_fmt(sub, sizeof(sub), "%s[%zu].name", path, i);
			ret = topo_err_str(c->err, sub, a->name, "duplicate container name in this pod");
			goto out;
		}
		for (k = 0; k < a->nports; k++) {
			pa = &a->ports[k];
			/* Every earlier port of the pod: all of earlier containers',
			 * and this container's up to k. */
			for (j = 0; j <= i; j++) {
				b = &p->containers[j];
				for (l = 0; l < (j == i ? k : b->nports); l++) {
					pb = &b->ports[l];
					if (j == i && pa->name[0] && !strcmp(pa->name, pb->name)) {
						topo_path_fmt(sub, sizeof(sub), "%s[%zu].ports[%zu].name",
							      path, i, k);
						ret = topo_err_str(c->err, sub, pa->name,
								   "duplicate port name in this container");
						goto out;
					}
					if (pa->port != pb->port || pa->proto != pb->proto)
						continue;
					topo_path_fmt(sub, sizeof(sub), "%s[%zu].ports[%zu].containerPort",
						      path, i, k);
					snprintf(val, sizeof(val), "%u", (unsigned)pa->port);
					if (j == i)
						ret = topo_err_set(c->err, sub, val,
								   "port %u/%s is listed twice in this container",
								   (unsigned)pa->port, topo_proto_name(pa->proto));
					else
						ret = topo_err_set(c->err, sub, val,
								   "port %u/%s already used by container \"%s\" in this pod "
								   "(containers share the pod's network namespace)",
								   (unsigned)pa->port, topo_proto_name(pa->proto), b->name);
					goto out;
				}
			}
		}
	}
out:
	return ret;
}

static int pod_containers(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_pod *p = obj;
	char sub[TOPO_PATH_MAX];
	size_t i, n;
	int ret = 0;

	if (!json_is_array(v)) {
		ret = topo_err_json(c->err, path, v, "expected array");
		goto out;
	}
	n = json_array_size(v);
	if (n == 0) {
		ret = topo_err_set(c->err, path, "[]", "at least one container is required");
		goto out;
	}
	if (n > TOPO_MAX_CONTAINERS) {
		ret = topo_err_set(c->err, path, "", "at most %d containers per pod are supported (found %zu)",
				   TOPO_MAX_CONTAINERS, n);
		goto out;
	}
	p->containers = calloc(n, sizeof(*p->containers));
	if (!p->containers) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	p->ncontainers = n;
	for (i = 0; i < n; i++) {
		topo_path_index(sub, sizeof(sub), path, i);
		ret = parse_object(c, json_array_get(v, i), sub, container_fields,
				   sizeof(container_fields) / sizeof(container_fields[0]),
				   &p->containers[i]);
		if (ret)
			goto out;
	}
	ret = check_containers(c, p, path);
out:
	return ret;
}

/* ---- pods ---- */

static int pod_namespace(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_pod *p = obj;
	const char *s;
	int ret;

	ret = want_string(c, v, path, &s);
	if (ret)
		goto out;
	if (!topo_is_dns1123_label(s)) {
		ret = topo_err_json(c->err, path, v, TOPO_MSG_LABEL);
		goto out;
	}
	strcpy(p->ns, s);
out:
	return ret;
}

static int pod_name(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_pod *p = obj;
	const char *s;
	int ret;

	ret = want_string(c, v, path, &s);
	if (ret)
		goto out;
	if (!topo_is_pod_name(s)) {
		ret = topo_err_json(c->err, path, v, MSG_POD_NAME);
		goto out;
	}
	strcpy(p->name, s);
out:
	return ret;
}

static int pod_node(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	/* Only the name is kept here: the nodes may come later in the document,
	 * so the reference is looked up once everything has been read. */
	return want_string(c, v, path, &c->pod_node[c->pod]);
}

static int pod_ip(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_pod *p = obj;

	return want_addr(c, v, path, &p->ip);
}

static int pod_labels(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo_pod *p = obj;
	char sub[TOPO_PATH_MAX];
	const char *key, *s;
	json_t *lv;
	size_t i = 0, n;
	int ret = 0;

	if (!json_is_object(v)) {
		ret = topo_err_json(c->err, path, v, "expected object");
		goto out;
	}
	n = json_object_size(v);
	p->labels = n ? calloc(n, sizeof(*p->labels)) : NULL;
	if (n && !p->labels) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	p->nlabels = n;
	json_object_foreach(v, key, lv) {
		topo_path_key(sub, sizeof(sub), path, key);
		if (!topo_is_label_key(key)) {
			ret = topo_err_str(c->err, sub, key, MSG_LABEL_KEY);
			goto out;
		}
		ret = want_string(c, lv, sub, &s);
		if (ret)
			goto out;
		if (!topo_is_label_value(s)) {
			ret = topo_err_json(c->err, sub, lv, MSG_LABEL_VALUE);
			goto out;
		}
		p->labels[i].key = strdup(key);
		p->labels[i].value = strdup(s);
		if (!p->labels[i].key || !p->labels[i].value) {
			ret = topo_err_nomem(c->err);
			goto out;
		}
		i++;
	}
out:
	return ret;
}

static const struct field pod_fields[] = {
	{ "namespace", false, pod_namespace },
	{ "name", true, pod_name },
	{ "node", true, pod_node },
	{ "ip", false, pod_ip },
	{ "labels", false, pod_labels },
	{ "containers", true, pod_containers },
};

static int parse_pods(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	char sub[TOPO_PATH_MAX];
	struct topo *t = obj;
	size_t i, n;
	int ret = 0;

	if (!json_is_array(v)) {
		ret = topo_err_json(c->err, path, v, "expected array");
		goto out;
	}
	n = json_array_size(v);
	if (n > TOPO_MAX_PODS) {
		ret = topo_err_set(c->err, path, "", "at most %d pods are supported (found %zu)",
				   TOPO_MAX_PODS, n);
		goto out;
	}
	ret = topo_alloc_pods(t, n);
	c->pod_node = n ? calloc(n, sizeof(*c->pod_node)) : NULL;
	if (ret || (n && !c->pod_node)) {
		ret = topo_err_nomem(c->err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		strcpy(t->pods[i].ns, "default");
		c->pod = i;
		topo_path_index(sub, sizeof(sub), path, i);
		ret = parse_object(c, json_array_get(v, i), sub, pod_fields,
				   sizeof(pod_fields) / sizeof(pod_fields[0]), &t->pods[i]);
		if (ret)
			goto out;
	}
out:
	return ret;
}

/* ---- document ---- */

static int parse_schema(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	if (!json_is_integer(v))
		return topo_err_json(c->err, path, v, "expected integer");
	if (json_integer_value(v) != 1)
		return topo_err_json(c->err, path, v,
				     "unsupported schema version (this podpath reads schema 1)");
	return 0;
}

static int parse_network(struct parse_ctx *c, void *obj, json_t *v, const char *path)
{
	struct topo *t = obj;

	return parse_object(c, v, path, network_fields,
			    sizeof(network_fields) / sizeof(network_fields[0]), &t->net);
}

static const struct field doc_fields[] = {
	{ "schema", false, parse_schema },
	{ "network", false, parse_network },
	{ "nodes", true, parse_nodes },
	{ "pods", false, parse_pods },
};

/* Turn each pod's node name into an index, now that all nodes are known. */
static int link_pods(struct parse_ctx *c)
{
	char sub[TOPO_PATH_MAX];
	ssize_t n;
	size_t i;
	int ret = 0;

	for (i = 0; i < c->t->npods; i++) {
		n = topo_node_index(c->t, c->pod_node[i]);
		if (n < 0) {
			topo_path_fmt(sub, sizeof(sub), ".pods[%zu].node", i);
			ret = topo_err_str(c->err, sub, c->pod_node[i], "no such node");
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
	json_error_t jerr;
	json_t *doc;
	int ret;

	memset(t, 0, sizeof(*t));
	topo_network_default(&t->net);
	topo_err_clear(err);
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		ret = topo_err_set(err, "", "", "%s", jerr.text);
		if (err) {
			err->line = jerr.line;
			err->column = jerr.column;
		}
		goto out;
	}
	ret = parse_object(&c, doc, "", doc_fields, sizeof(doc_fields) / sizeof(doc_fields[0]), t);
	if (!ret)
		ret = link_pods(&c);
out:
	free(c.pod_node);
	json_decref(doc);
	if (ret) {
		topo_free(t);
		errno = -ret;
	}
	return ret;
}
