/* topo_resolve: everything that needs the whole model (network overlaps,
 * duplicates, node references, mode-dependent rules), then IPAM, then the
 * Services (svc.c): their checks, clusterIPs, nodePorts and endpoints; then
 * NetworkPolicies and the namespaces every object implies (netpol.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo_int.h"

/* The model may come from code rather than a document, so the limits the
 * address arithmetic relies on are checked again here. */
int topo_check_prefix(const struct cidr *c, const char *path, unsigned min, unsigned max,
		      struct topo_error *err)
{
	char buf[CIDR_STRLEN], nbuf[CIDR_STRLEN];
	struct cidr net = { c->addr & cidr_mask(c->len), c->len };
	int ret = 0;

	if (c->len < min || c->len > max)
		ret = topo_err_str(err, path, cidr_fmt(c, buf), "prefix length must be %u..%u",
				   min, max);
	else if (net.addr != c->addr)
		ret = topo_err_str(err, path, cidr_fmt(c, buf), "host bits set; did you mean %s?",
				   cidr_fmt(&net, nbuf));
	return ret;
}

/* A prefix a document may leave out, still holding its default value. */
static bool at_default(const char *path, const struct cidr *c)
{
	struct topo_network d;
	struct cidr def;

	topo_network_default(&d);
	if (!strcmp(path, ".network.vpcCIDR"))
		def = d.vpc_cidr;
	else if (!strcmp(path, ".network.clusterCIDR"))
		def = d.cluster_cidr;
	else if (!strcmp(path, ".network.serviceCIDR"))
		def = d.service_cidr;
	else if (!strcmp(path, ".network.publicCIDR"))
		def = d.public_cidr;
	else if (!strcmp(path, ".internet.cidr"))
		def = TOPO_INET_DEFAULT_CIDR;
	else
		return false;
	return c->addr == def.addr && c->len == def.len;
}

/* The later of two overlapping network prefixes is the one reported, unless
 * it still holds its default and the other does not: then the other is what
 * the document wrote, and what to change. */
int topo_check_disjoint(const struct cidr *a, const char *apath, const struct cidr *b,
			const char *bpath, struct topo_error *err)
{
	char ab[CIDR_STRLEN], bb[CIDR_STRLEN];

	if (!cidr_overlaps(a, b))
		return 0;
	cidr_fmt(a, ab);
	cidr_fmt(b, bb);
	if (at_default(bpath, b) && !at_default(apath, a))
		return topo_err_str(err, apath, ab, "overlaps %s %s (its default)", bpath, bb);
	return topo_err_str(err, bpath, bb, "overlaps %s %s", apath, ab);
}

static int check_network(const struct topo_network *net, struct topo_error *err)
{
	char buf[CIDR_STRLEN], val[16];
	int ret;

	ret = topo_check_prefix(&net->vpc_cidr, ".network.vpcCIDR", TOPO_VPC_LEN_MIN,
			   TOPO_VPC_LEN_MAX, err);
	if (!ret)
		ret = topo_check_prefix(&net->cluster_cidr, ".network.clusterCIDR",
				   TOPO_CLUSTER_LEN_MIN, TOPO_CLUSTER_LEN_MAX, err);
	if (!ret)
		ret = topo_check_prefix(&net->service_cidr, ".network.serviceCIDR",
				   TOPO_SERVICE_LEN_MIN, TOPO_SERVICE_LEN_MAX, err);
	if (ret)
		goto out;
	snprintf(val, sizeof(val), "%u", net->node_mask);
	if (net->node_mask < TOPO_NODE_MASK_MIN || net->node_mask > TOPO_NODE_MASK_MAX) {
		ret = topo_err_set(err, ".network.nodeCIDRMaskSize", val, "must be %d..%d",
				   TOPO_NODE_MASK_MIN, TOPO_NODE_MASK_MAX);
		goto out;
	}
	if (net->node_mask < net->cluster_cidr.len) {
		ret = topo_err_set(err, ".network.nodeCIDRMaskSize", val,
				   "must be at least the prefix length of .network.clusterCIDR %s",
				   cidr_fmt(&net->cluster_cidr, buf));
		goto out;
	}
	if (net->mtu < TOPO_MTU_MIN || net->mtu > TOPO_MTU_MAX) {
		snprintf(val, sizeof(val), "%u", net->mtu);
		ret = topo_err_set(err, ".network.mtu", val, "must be %d..%d", TOPO_MTU_MIN,
				   TOPO_MTU_MAX);
		goto out;
	}
	if ((unsigned)net->mode > TOPO_MODE_LAST) {
		ret = topo_err_set(err, ".network.mode", "", "unknown mode");
		goto out;
	}
	if (net->bgp.given && net->mode != TOPO_MODE_BGP) {
		ret = topo_err_set(err, ".network.bgp", "", "is for bgp networking only, and "
				   "this lab's mode is \"%s\"", topo_mode_name(net->mode));
		goto out;
	}
	ret = topo_check_disjoint(&net->vpc_cidr, ".network.vpcCIDR", &net->cluster_cidr,
			     ".network.clusterCIDR", err);
	if (!ret)
		ret = topo_check_disjoint(&net->vpc_cidr, ".network.vpcCIDR", &net->service_cidr,
				     ".network.serviceCIDR", err);
	if (!ret)
		ret = topo_check_disjoint(&net->cluster_cidr, ".network.clusterCIDR",
				     &net->service_cidr, ".network.serviceCIDR", err);
out:
	return ret;
}

static int check_node_ip(const struct topo *t, size_t i, struct topo_error *err)
{
	const struct topo_network *net = &t->net;
	const struct topo_node *n = &t->nodes[i];
	char path[TOPO_PATH_MAX], a[ADDR_STRLEN], c[CIDR_STRLEN];
	struct cidr pool = topo_vpc_pod_pool(net);
	const char *what = NULL;
	size_t j;
	int ret = 0;

	topo_path_fmt(path, sizeof(path), ".nodes[%zu].ip", i);
	addr_fmt(n->ip, a);
	cidr_fmt(&net->vpc_cidr, c);
	if (!cidr_contains(&net->vpc_cidr, n->ip))
		what = "not inside";
	else if (n->ip == net->vpc_cidr.addr)
		what = "is the network address of";
	else if (n->ip == cidr_last(&net->vpc_cidr))
		what = "is the broadcast address of";
	else if (n->ip == net->vpc_cidr.addr + 1)
		what = "is the VPC router address, the first host of";
	if (what) {
		ret = topo_err_str(err, path, a, "%s .network.vpcCIDR %s", what, c);
		goto out;
	}
	if (net->mode == TOPO_MODE_VPC && cidr_contains(&pool, n->ip)) {
		ret = topo_err_str(err, path, a, "collides with the VPC pod pool %s "
				   "(vpc mode gives the upper half of .network.vpcCIDR to pods)",
				   cidr_fmt(&pool, c));
		goto out;
	}
	for (j = 0; j < i; j++) {
		if (t->nodes[j].ip == n->ip) {
			ret = topo_err_str(err, path, a, "already used by .nodes[%zu] \"%s\"", j,
					   t->nodes[j].name);
			goto out;
		}
	}
out:
	return ret;
}

static int check_node_cidr(const struct topo *t, size_t i, struct topo_error *err)
{
	const struct topo_network *net = &t->net;
	const struct cidr *pc = &t->nodes[i].pod_cidr;
	char path[TOPO_PATH_MAX], c[CIDR_STRLEN], o[CIDR_STRLEN];
	size_t j;
	int ret;

	topo_path_fmt(path, sizeof(path), ".nodes[%zu].podCIDR", i);
	cidr_fmt(pc, c);
	if (net->mode == TOPO_MODE_VPC) {
		ret = topo_err_str(err, path, c, TOPO_MSG_PODCIDR_VPC);
		goto out;
	}
	ret = topo_check_prefix(pc, path, TOPO_PODCIDR_LEN_MIN, TOPO_PODCIDR_LEN_MAX, err);
	if (ret)
		goto out;
	if (!cidr_within(pc, &net->cluster_cidr)) {
		ret = topo_err_str(err, path, c, "not inside .network.clusterCIDR %s",
				   cidr_fmt(&net->cluster_cidr, o));
		goto out;
	}
	for (j = 0; j < i; j++) {
		if (t->nodes[j].pod_cidr.len && cidr_overlaps(&t->nodes[j].pod_cidr, pc)) {
			ret = topo_err_str(err, path, c, "overlaps .nodes[%zu].podCIDR %s of node \"%s\"",
					   j, cidr_fmt(&t->nodes[j].pod_cidr, o), t->nodes[j].name);
			goto out;
		}
	}
out:
	return ret;
}

static int check_nodes(const struct topo *t, struct topo_error *err)
{
	char path[TOPO_PATH_MAX];
	size_t i, j;
	int ret = 0;

	if (t->nnodes == 0 || t->nnodes > TOPO_MAX_NODES) {
		ret = topo_err_set(err, ".nodes", "", "must have 1..%d nodes (found %zu)",
				   TOPO_MAX_NODES, t->nnodes);
		goto out;
	}
	for (i = 0; i < t->nnodes; i++) {
		topo_path_fmt(path, sizeof(path), ".nodes[%zu].name", i);
		if (!topo_is_dns1123_label(t->nodes[i].name)) {
			ret = topo_err_str(err, path, t->nodes[i].name, TOPO_MSG_LABEL);
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(t->nodes[j].name, t->nodes[i].name)) {
				ret = topo_err_str(err, path, t->nodes[i].name,
						   "duplicate node name (also .nodes[%zu])", j);
				goto out;
			}
		}
		if (t->nodes[i].ip)
			ret = check_node_ip(t, i, err);
		if (!ret && t->nodes[i].pod_cidr.len)
			ret = check_node_cidr(t, i, err);
		if (ret)
			goto out;
	}
out:
	return ret;
}

/* Pod i's keys for topo_dups. */
static void pod_keys(const struct topo *t, struct topo_key *keys)
{
	for (size_t i = 0; i < t->npods; i++)
		keys[i] = (struct topo_key){ t->pods[i].ns, t->pods[i].name, t->pods[i].ip, i };
}

static int check_pod_ip(const struct topo *t, size_t i, const struct topo_plan *plan,
			struct topo_error *err)
{
	const struct topo_pod *p = &t->pods[i];
	const struct topo_node *n = &t->nodes[p->node];
	const struct cidr *pc = &plan->node_cidr[p->node];
	char path[TOPO_PATH_MAX], a[ADDR_STRLEN], c[CIDR_STRLEN];
	struct cidr pool;
	const char *what = NULL;
	int ret = 0;

	if (t->net.mode == TOPO_MODE_VPC) {
		pool = topo_vpc_pod_pool(&t->net);
		if (!cidr_contains(&pool, p->ip))
			what = "not inside the VPC pod pool";
		else if (p->ip == cidr_last(&pool))
			what = "is the broadcast address of .network.vpcCIDR";
	} else {
		if (!cidr_contains(pc, p->ip))
			what = "not inside";
		else if (p->ip == pc->addr)
			what = "is the network address of";
		else if (p->ip == pc->addr + 1)
			what = "is the gateway (cbr0) address of";
		else if (p->ip == cidr_last(pc))
			what = "is the broadcast address of";
	}
	if (!what)
		goto out;
	/* Formatting waits for an error: this runs for every pod. */
	topo_path_fmt(path, sizeof(path), ".pods[%zu].ip", i);
	addr_fmt(p->ip, a);
	if (t->net.mode == TOPO_MODE_VPC && !cidr_contains(&pool, p->ip))
		ret = topo_err_str(err, path, a, "%s %s (vpc mode takes pod IPs from the upper "
				   "half of .network.vpcCIDR)", what, cidr_fmt(&pool, c));
	else if (t->net.mode == TOPO_MODE_VPC)
		ret = topo_err_str(err, path, a, "%s %s", what, cidr_fmt(&t->net.vpc_cidr, c));
	else
		ret = topo_err_str(err, path, a, "%s the pod CIDR %s of node \"%s\"", what,
				   cidr_fmt(pc, c), n->name);
out:
	return ret;
}

static int check_pods(const struct topo *t, const struct topo_plan *plan, struct topo_error *err)
{
	size_t *dup_name = NULL, *dup_ip = NULL, i, j;
	char path[TOPO_PATH_MAX], v[2 * TOPO_LABEL_MAX];
	struct topo_key *keys = NULL;
	const struct topo_pod *p;
	int ret = 0;

	if (t->npods > TOPO_MAX_PODS) {
		ret = topo_err_set(err, ".pods", "", "at most %d pods are supported (found %zu)",
				   TOPO_MAX_PODS, t->npods);
		goto out;
	}
	if (t->npods == 0)
		goto out;
	keys = calloc(t->npods, sizeof(*keys));
	dup_name = calloc(t->npods, sizeof(*dup_name));
	dup_ip = calloc(t->npods, sizeof(*dup_ip));
	if (!keys || !dup_name || !dup_ip) {
		ret = topo_err_nomem(err);
		goto out;
	}
	pod_keys(t, keys);
	topo_dups(keys, t->npods, dup_name, false);
	pod_keys(t, keys);
	topo_dups(keys, t->npods, dup_ip, true);
	for (i = 0; i < t->npods; i++) {
		p = &t->pods[i];
		if (p->node >= t->nnodes) {
			topo_path_fmt(path, sizeof(path), ".pods[%zu].node", i);
			snprintf(v, sizeof(v), "%zu", p->node);
			ret = topo_err_set(err, path, v, "no such node (the model has %zu)",
					   t->nnodes);
			goto out;
		}
		if ((j = dup_name[i]) != i) {
			topo_path_fmt(path, sizeof(path), ".pods[%zu]", i);
			snprintf(v, sizeof(v), "%s/%s", p->ns, p->name);
			ret = topo_err_str(err, path, v,
					   "duplicate pod: .pods[%zu] has the same namespace and name", j);
			goto out;
		}
		if (!p->ip)
			continue;
		ret = check_pod_ip(t, i, plan, err);
		if (ret)
			goto out;
		if ((j = dup_ip[i]) != i) {
			topo_path_fmt(path, sizeof(path), ".pods[%zu].ip", i);
			ret = topo_err_str(err, path, addr_fmt(p->ip, v),
					   "already used by .pods[%zu] \"%s/%s\"", j,
					   t->pods[j].ns, t->pods[j].name);
			goto out;
		}
	}
out:
	free(keys);
	free(dup_name);
	free(dup_ip);
	return ret;
}

/* routed and vxlan: every pod of a node is a port of the node's bridge,
 * which the kernel fills at TOPO_BRIDGE_PORTS; the pod that would not fit
 * is named before anything is built. */
static int check_bridge_ports(const struct topo *t, struct topo_error *err)
{
	char path[TOPO_PATH_MAX];
	size_t *count = NULL, i;
	int ret = 0;

	if (t->net.mode == TOPO_MODE_VPC || t->npods <= TOPO_BRIDGE_PORTS)
		goto out;
	count = calloc(t->nnodes, sizeof(*count));
	if (!count) {
		ret = topo_err_nomem(err);
		goto out;
	}
	for (i = 0; i < t->npods; i++) {
		const struct topo_node *n = &t->nodes[t->pods[i].node];

		if (++count[t->pods[i].node] <= TOPO_BRIDGE_PORTS)
			continue;
		topo_path_fmt(path, sizeof(path), ".pods[%zu].node", i);
		ret = topo_err_str(err, path, n->name, "pod %zu of node \"%s\" in %s networking: "
				   TOPO_MSG_BRIDGE, count[t->pods[i].node], n->name,
				   topo_mode_name(t->net.mode), TOPO_BRIDGE_PORTS);
		goto out;
	}
out:
	free(count);
	return ret;
}

/* Everything checked: write the plan into the model. */
static void commit(struct topo *t, struct topo_plan *plan)
{
	size_t i;

	t->net.vpc_router = t->net.vpc_cidr.addr + 1;
	for (i = 0; i < t->nnodes; i++) {
		t->nodes[i].ip = plan->node_ip[i];
		t->nodes[i].pod_cidr = plan->node_cidr[i];
		t->nodes[i].gw = t->net.mode == TOPO_MODE_VPC ? TOPO_VPC_POD_GW :
				 plan->node_cidr[i].addr + 1;
		t->nodes[i].npods = 0;
	}
	for (i = 0; i < t->npods; i++) {
		t->pods[i].ip = plan->pod_ip[i];
		t->nodes[t->pods[i].node].npods++;
	}
	topo_svc_commit(t, plan);
	topo_edge_commit(t, plan);
	topo_namespaces_commit(t, plan);
}

int topo_resolve(struct topo *t, struct topo_error *err)
{
	struct topo_plan plan = { 0 };
	int ret;

	topo_err_clear(err);
	ret = check_network(&t->net, err);
	if (!ret)
		ret = check_nodes(t, err);
	if (ret)
		goto out;
	plan.node_ip = calloc(t->nnodes, sizeof(*plan.node_ip));
	plan.node_cidr = calloc(t->nnodes, sizeof(*plan.node_cidr));
	plan.pod_ip = calloc(t->npods ? t->npods : 1, sizeof(*plan.pod_ip));
	if (!plan.node_ip || !plan.node_cidr || !plan.pod_ip) {
		ret = topo_err_nomem(err);
		goto out;
	}
	ret = topo_ipam_nodes(t, &plan, err);
	if (!ret)
		ret = check_pods(t, &plan, err);
	if (!ret)
		ret = check_bridge_ports(t, err);
	if (!ret)
		ret = topo_ipam_pods(t, &plan, err);
	if (!ret)
		ret = topo_svc_plan(t, &plan, err);
	if (!ret)
		ret = topo_edge_plan(t, &plan, err);
	/* topo_ingress_check also notes each path's backend in t: harmless if
	 * a later check fails, as callers free t on failure. */
	if (!ret)
		ret = topo_ingress_check(t, &plan, err);
	if (!ret)
		ret = topo_domain_check(t, err);
	if (!ret)
		ret = topo_policies_check(t, err);
	if (!ret)
		ret = topo_namespaces_plan(t, &plan, err);
	if (!ret)
		commit(t, &plan);
out:
	topo_namespaces_plan_free(t, &plan);
	topo_svc_plan_free(t, &plan);
	topo_edge_plan_free(&plan);
	free(plan.node_ip);
	free(plan.node_cidr);
	free(plan.pod_ip);
	free(plan.used);
	if (ret)
		errno = -ret;
	return ret;
}
