/* topo_to_json: the model as a document topo_from_json reads back to the
 * same model, with every default and assigned address written out. */
#include <jansson.h>

#include "topo/topo_int.h"

/* json_object_set_new() takes v, NULL too, and fails for NULL, so one check
 * at the end catches every allocation failure on the way. */
static bool set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) == 0;
}

static json_t *jaddr(uint32_t a)
{
	char buf[ADDR_STRLEN];

	return json_string(addr_fmt(a, buf));
}

static json_t *jcidr(const struct cidr *c)
{
	char buf[CIDR_STRLEN];

	return json_string(cidr_fmt(c, buf));
}

static json_t *network_json(const struct topo_network *net)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	ok = ok && set(o, "mode", json_string(topo_mode_name(net->mode)));
	ok = ok && set(o, "proxyMode", json_string(topo_proxy_mode_name(net->proxy_mode)));
	ok = ok && set(o, "vpcCIDR", jcidr(&net->vpc_cidr));
	ok = ok && set(o, "clusterCIDR", jcidr(&net->cluster_cidr));
	ok = ok && set(o, "serviceCIDR", jcidr(&net->service_cidr));
	ok = ok && set(o, "nodeCIDRMaskSize", json_integer(net->node_mask));
	ok = ok && set(o, "mtu", json_integer(net->mtu));
	ok = ok && set(o, "clusterDomain", json_string(net->domain));
	ok = ok && set(o, "publicCIDR", jcidr(&net->public_cidr));
	if (ok && net->mode == TOPO_MODE_BGP) {
		json_t *b = json_object();

		ok = b && set(o, "bgp", b);
		ok = ok && set(b, "asNumber", json_integer(net->bgp.asn));
		if (net->bgp.mesh >= 0)
			ok = ok && set(b, "nodeToNodeMeshEnabled", json_boolean(net->bgp.mesh));
	}
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *node_json(const struct topo *t, const struct topo_node *n)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	ok = ok && set(o, "name", json_string(n->name));
	if (n->ip)
		ok = ok && set(o, "ip", jaddr(n->ip));
	/* vpc mode has no per-node pod CIDR and would refuse one. */
	if (n->pod_cidr.len && t->net.mode != TOPO_MODE_VPC)
		ok = ok && set(o, "podCIDR", jcidr(&n->pod_cidr));
	if (n->public_ip)
		ok = ok && set(o, "publicIP", jaddr(n->public_ip));
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *port_json(const struct topo_port *p)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (p->name[0])
		ok = ok && set(o, "name", json_string(p->name));
	ok = ok && set(o, "containerPort", json_integer(p->port));
	ok = ok && set(o, "protocol", json_string(topo_proto_name(p->proto)));
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *ports_json(const struct topo_port *p, size_t n)
{
	json_t *a = json_array();
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < n; i++)
		ok = json_array_append_new(a, port_json(&p[i])) == 0;
	if (!ok) {
		json_decref(a);
		a = NULL;
	}
	return a;
}

static json_t *container_json(const struct topo_container *c)
{
	json_t *o = json_object(), *ports = ports_json(c->ports, c->nports);
	bool ok = o && ports;

	ok = ok && set(o, "name", json_string(c->name));
	if (c->image != TOPO_IMAGE_RESPONDER)
		ok = ok && set(o, "image", json_string(topo_image_name(c->image)));
	if (ok) {
		ok = set(o, "ports", ports);
		ports = NULL;
	}
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	json_decref(ports);
	return o;
}

static json_t *pod_json(const struct topo *t, const struct topo_pod *p)
{
	json_t *o = json_object(), *labels = json_object(), *cts = json_array();
	bool ok = o && labels && cts;
	size_t i;

	for (i = 0; ok && i < p->nlabels; i++)
		ok = set(labels, p->labels[i].key, json_string(p->labels[i].value));
	for (i = 0; ok && i < p->ncontainers; i++)
		ok = json_array_append_new(cts, container_json(&p->containers[i])) == 0;
	ok = ok && set(o, "namespace", json_string(p->ns));
	ok = ok && set(o, "name", json_string(p->name));
	ok = ok && set(o, "node", json_string(p->node < t->nnodes ? t->nodes[p->node].name : ""));
	if (p->ip)
		ok = ok && set(o, "ip", jaddr(p->ip));
	if (ok) {
		ok = set(o, "labels", labels);
		labels = NULL;
	}
	if (ok) {
		ok = set(o, "containers", cts);
		cts = NULL;
	}
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	json_decref(labels);
	json_decref(cts);
	return o;
}

static json_t *svc_port_json(const struct topo_svc_port *p)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (p->name[0])
		ok = ok && set(o, "name", json_string(p->name));
	ok = ok && set(o, "port", json_integer(p->port));
	if (p->target_name[0])
		ok = ok && set(o, "targetPort", json_string(p->target_name));
	else if (p->target_port)
		ok = ok && set(o, "targetPort", json_integer(p->target_port));
	ok = ok && set(o, "protocol", json_string(topo_proto_name(p->proto)));
	if (p->node_port)
		ok = ok && set(o, "nodePort", json_integer(p->node_port));
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *affinity_config_json(unsigned timeout)
{
	json_t *client = json_object(), *cfg = json_object();
	bool ok = client && cfg && set(client, "timeoutSeconds", json_integer(timeout));

	if (ok) {
		ok = set(cfg, "clientIP", client);
		client = NULL;
	}
	if (!ok) {
		json_decref(cfg);
		cfg = NULL;
	}
	json_decref(client);
	return cfg;
}

static json_t *service_json(const struct topo_service *s)
{
	json_t *o = json_object(), *sel = json_object(), *ports = json_array();
	bool ok = o && sel && ports;
	size_t i;

	for (i = 0; ok && i < s->nselector; i++)
		ok = set(sel, s->selector[i].key, json_string(s->selector[i].value));
	for (i = 0; ok && i < s->nports; i++)
		ok = json_array_append_new(ports, svc_port_json(&s->ports[i])) == 0;
	ok = ok && set(o, "namespace", json_string(s->ns));
	ok = ok && set(o, "name", json_string(s->name));
	ok = ok && set(o, "type", json_string(topo_svc_type_name(s->type)));
	if (s->type == TOPO_SVC_HEADLESS)
		ok = ok && set(o, "clusterIP", json_string("None"));
	else if (s->cluster_ip)
		ok = ok && set(o, "clusterIP", jaddr(s->cluster_ip));
	if (ok) {
		ok = set(o, "selector", sel);
		sel = NULL;
	}
	if (ok) {
		ok = set(o, "ports", ports);
		ports = NULL;
	}
	ok = ok && set(o, "sessionAffinity", json_string(s->affinity ? "ClientIP" : "None"));
	if (s->lb_ip)
		ok = ok && set(o, "loadBalancerIP", jaddr(s->lb_ip));
	if (s->type == TOPO_SVC_NODEPORT || s->type == TOPO_SVC_LOADBALANCER)
		ok = ok && set(o, "externalTrafficPolicy",
			       json_string(s->ext_local ? "Local" : "Cluster"));
	if (s->affinity && s->affinity_timeout)
		ok = ok && set(o, "sessionAffinityConfig", affinity_config_json(s->affinity_timeout));
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	json_decref(sel);
	json_decref(ports);
	return o;
}

static json_t *host_json(const struct topo_inet_host *h)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	ok = ok && set(o, "name", json_string(h->name));
	if (h->ip)
		ok = ok && set(o, "ip", jaddr(h->ip));
	ok = ok && set(o, "image", json_string(topo_image_name(h->image)));
	if (h->nports)
		ok = ok && set(o, "ports", ports_json(h->ports, h->nports));
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *internet_json(const struct topo_internet *inet)
{
	json_t *o = json_object(), *hosts = json_array();
	bool ok = o && hosts;

	for (size_t i = 0; ok && i < inet->nhosts; i++)
		ok = json_array_append_new(hosts, host_json(&inet->hosts[i])) == 0;
	ok = ok && set(o, "cidr", jcidr(&inet->cidr));
	if (ok) {
		ok = set(o, "hosts", hosts);
		hosts = NULL;
	}
	if (!ok) {
		json_decref(o);
		o = NULL;
	}
	json_decref(hosts);
	return o;
}

static json_t *ingress_path_json(const struct topo_ingress_path *p)
{
	json_t *port = p->port_number ? json_pack("{s:i}", "number", p->port_number)
				      : json_pack("{s:s}", "name", p->port_name);

	return json_pack("{s:s, s:s, s:{s:{s:s, s:o}}}", "path", p->path, "pathType",
			 p->type == TOPO_PATH_EXACT ? "Exact" : "Prefix", "backend", "service",
			 "name", p->svc_name, "port", port);
}

static json_t *ingress_json(const struct topo_ingress *g)
{
	json_t *rules = json_array(), *tls = json_array();
	json_t *o;

	for (size_t r = 0; rules && r < g->nrules; r++) {
		json_t *paths = json_array();

		for (size_t k = 0; paths && k < g->rules[r].npaths; k++)
			json_array_append_new(paths, ingress_path_json(&g->rules[r].paths[k]));
		json_array_append_new(rules, json_pack("{s:s, s:{s:o}}", "host", g->rules[r].host,
						       "http", "paths", paths));
	}
	/* The parser takes at most TOPO_MAX_INGRESS_RULES hosts per tls entry:
	 * write them in entries that size so the file reads back. */
	for (size_t h = 0; tls && h < g->ntls; h += TOPO_MAX_INGRESS_RULES) {
		json_t *hosts = json_array();

		for (size_t k = h; hosts && k < g->ntls && k < h + TOPO_MAX_INGRESS_RULES; k++)
			json_array_append_new(hosts, json_string(g->tls_hosts[k]));
		json_array_append_new(tls, json_pack("{s:o}", "hosts", hosts));
	}
	o = json_pack("{s:s, s:s, s:o}", "namespace", g->ns, "name", g->name, "rules", rules);
	if (o && g->ntls)
		json_object_set_new(o, "tls", tls);
	else
		json_decref(tls);
	return o;
}

struct json_t *topo_to_json(const struct topo *t)
{
	json_t *doc = json_object(), *nodes = json_array(), *pods = json_array();
	json_t *svcs = json_array();
	bool ok = doc && nodes && pods && svcs;
	size_t i;

	for (i = 0; ok && i < t->nnodes; i++)
		ok = json_array_append_new(nodes, node_json(t, &t->nodes[i])) == 0;
	for (i = 0; ok && i < t->npods; i++)
		ok = json_array_append_new(pods, pod_json(t, &t->pods[i])) == 0;
	for (i = 0; ok && i < t->nservices; i++)
		ok = json_array_append_new(svcs, service_json(&t->services[i])) == 0;
	ok = ok && set(doc, "schema", json_integer(1));
	ok = ok && set(doc, "network", network_json(&t->net));
	if (ok) {
		ok = set(doc, "nodes", nodes);
		nodes = NULL;
	}
	if (ok) {
		ok = set(doc, "pods", pods);
		pods = NULL;
	}
	if (ok) {
		ok = set(doc, "services", svcs);
		svcs = NULL;
	}
	ok = ok && set(doc, "internet", internet_json(&t->inet));
	if (ok && t->ningresses) {
		json_t *ings = json_array();

		for (size_t g = 0; ings && g < t->ningresses; g++)
			ok = ok && json_array_append_new(ings, ingress_json(&t->ingresses[g])) == 0;
		ok = ok && set(doc, "ingresses", ings);
	}
	for (i = 0; i < t->nnamespaces && !t->namespaces[i].declared; i++)
		;
	if (ok && i < t->nnamespaces)
		ok = set(doc, "namespaces", topo_namespaces_json(t));
	if (ok && t->npolicies)
		ok = set(doc, "networkPolicies", topo_policies_json(t));
	if (!ok) {
		json_decref(doc);
		doc = NULL;
	}
	json_decref(nodes);
	json_decref(pods);
	json_decref(svcs);
	return doc;
}
