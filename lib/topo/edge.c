/* The edge of the model: the simulated internet (hosts behind one router)
 * and the cloud's public addresses (the gateway's own, each node's 1:1 NAT
 * address, each LoadBalancer's IP).
 *
 * Every one of them lies in TEST-NET-2 or TEST-NET-3 (RFC 5737), ranges
 * reserved for documentation that no real host uses: whatever a document
 * says, a lab can never address the real internet. Both ranges are /24s, so
 * an address in use is one bit of a 256-bit map. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo_int.h"

static const struct cidr testnets[] = {
	{ 0xc6336400u, 24 },	/* TEST-NET-2 198.51.100.0/24 */
	{ 0xcb007100u, 24 },	/* TEST-NET-3 203.0.113.0/24 */
};

#define EDGE_ADDRS 256		/* addresses of the largest edge prefix, a /24 */

bool topo_is_testnet(const struct cidr *c)
{
	for (size_t i = 0; i < sizeof(testnets) / sizeof(testnets[0]); i++)
		if (cidr_within(c, &testnets[i]))
			return true;
	return false;
}

/* ---- the default internet ---- */

struct host_default {
	const char *name;
	uint32_t ip;
	enum topo_image image;
	struct topo_port ports[2];
	size_t nports;
};

/* example.com serves HTTP, laptop is a client, dns answers for the internet
 * (and for the cluster's DNS, which forwards to it). */
static const struct host_default default_hosts[] = {
	{ "example.com", 0xcb00710au, TOPO_IMAGE_RESPONDER,
	  { { "http", 80, TOPO_PROTO_TCP } }, 1 },
	{ "laptop", 0xcb007114u, TOPO_IMAGE_NONE, { { "", 0, 0 } }, 0 },
	{ "dns", 0xcb007135u, TOPO_IMAGE_DNSMASQ,
	  { { "dns", 53, TOPO_PROTO_UDP }, { "dns-tcp", 53, TOPO_PROTO_TCP } }, 2 },
};

int topo_internet_default(struct topo *t)
{
	size_t n = sizeof(default_hosts) / sizeof(default_hosts[0]);
	struct topo_internet *inet = &t->inet;

	topo_internet_free(inet);
	inet->cidr = TOPO_INET_DEFAULT_CIDR;
	inet->router = inet->cidr.addr + 1;
	inet->hosts = calloc(n, sizeof(*inet->hosts));
	if (!inet->hosts)
		return -ENOMEM;
	inet->nhosts = n;
	for (size_t i = 0; i < n; i++) {
		const struct host_default *d = &default_hosts[i];
		struct topo_inet_host *h = &inet->hosts[i];

		strcpy(h->name, d->name);
		h->ip = d->ip;
		h->image = d->image;
		if (!d->nports)
			continue;
		h->ports = calloc(d->nports, sizeof(*h->ports));
		if (!h->ports)
			return -ENOMEM;
		memcpy(h->ports, d->ports, d->nports * sizeof(*h->ports));
		h->nports = d->nports;
	}
	return 0;
}

void topo_internet_free(struct topo_internet *inet)
{
	for (size_t i = 0; inet->hosts && i < inet->nhosts; i++)
		free(inet->hosts[i].ports);
	free(inet->hosts);
	inet->hosts = NULL;
	inet->nhosts = 0;
}

/* ---- look-ups ---- */

const struct topo_inet_host *topo_inet_find(const struct topo *t, const char *name)
{
	for (size_t i = 0; name && i < t->inet.nhosts; i++)
		if (!strcmp(t->inet.hosts[i].name, name))
			return &t->inet.hosts[i];
	return NULL;
}

const struct topo_inet_host *topo_inet_dns(const struct topo *t)
{
	for (size_t i = 0; i < t->inet.nhosts; i++)
		if (t->inet.hosts[i].image == TOPO_IMAGE_DNSMASQ)
			return &t->inet.hosts[i];
	return NULL;
}

size_t topo_svc_port_local_endpoints(const struct topo *t, const struct topo_service *s,
				     size_t pi, size_t n)
{
	size_t k = 0;

	for (size_t e = 0; e < s->nendpoints; e++)
		if (s->endpoints[e].port[pi] && t->pods[s->endpoints[e].pod].node == n)
			k++;
	return k;
}

bool topo_lb_targets_node(const struct topo *t, const struct topo_service *s, size_t pi,
			  size_t n)
{
	return !s->ext_local || topo_svc_port_local_endpoints(t, s, pi, n) > 0;
}

/* ---- checks and assignment ---- */

static int check_edge_cidr(const struct cidr *c, const char *path, struct topo_error *err)
{
	char buf[CIDR_STRLEN];
	int ret = topo_check_prefix(c, path, TOPO_EDGE_LEN_MIN, TOPO_EDGE_LEN_MAX, err);

	if (!ret && !topo_is_testnet(c))
		ret = topo_err_str(err, path, cidr_fmt(c, buf), "%s", TOPO_MSG_TESTNET);
	return ret;
}

static int check_networks(const struct topo *t, struct topo_error *err)
{
	const struct topo_network *net = &t->net;
	static const char pub[] = ".network.publicCIDR", inet[] = ".internet.cidr";
	int ret;

	ret = check_edge_cidr(&net->public_cidr, pub, err);
	if (!ret)
		ret = check_edge_cidr(&t->inet.cidr, inet, err);
	if (!ret)
		ret = topo_check_disjoint(&net->public_cidr, pub, &t->inet.cidr, inet, err);
	/* A cluster range may be put in a TEST-NET; it must not meet the edge. */
	if (!ret)
		ret = topo_check_disjoint(&net->vpc_cidr, ".network.vpcCIDR", &net->public_cidr,
					  pub, err);
	if (!ret)
		ret = topo_check_disjoint(&net->cluster_cidr, ".network.clusterCIDR",
					  &net->public_cidr, pub, err);
	if (!ret)
		ret = topo_check_disjoint(&net->service_cidr, ".network.serviceCIDR",
					  &net->public_cidr, pub, err);
	if (!ret)
		ret = topo_check_disjoint(&net->vpc_cidr, ".network.vpcCIDR", &t->inet.cidr, inet,
					  err);
	if (!ret)
		ret = topo_check_disjoint(&net->cluster_cidr, ".network.clusterCIDR", &t->inet.cidr,
					  inet, err);
	if (!ret)
		ret = topo_check_disjoint(&net->service_cidr, ".network.serviceCIDR",
					  &t->inet.cidr, inet, err);
	return ret;
}

/* An address given for something on segment c, whose first host first is
 * taken (by the gateway or the router): it must be a free host address.
 * used[] records who has each address (index + 1), owner names it. */
static int take_addr(const struct cidr *c, const char *cname, const char *first, uint32_t a,
		     const char *path, size_t *used, size_t owner, const char *const *owners,
		     struct topo_error *err)
{
	char ab[ADDR_STRLEN], cb[CIDR_STRLEN];
	const char *what = NULL;
	uint32_t off = a - c->addr;

	addr_fmt(a, ab);
	cidr_fmt(c, cb);
	if (!cidr_contains(c, a))
		what = "not inside";
	else if (a == c->addr)
		what = "is the network address of";
	else if (a == cidr_last(c))
		what = "is the broadcast address of";
	else if (a == c->addr + 1)
		return topo_err_str(err, path, ab, "is %s, the first host of %s %s", first, cname,
				    cb);
	if (what)
		return topo_err_str(err, path, ab, "%s %s %s", what, cname, cb);
	if (used[off])
		return topo_err_str(err, path, ab, "already used by %s", owners[used[off] - 1]);
	used[off] = owner + 1;
	return 0;
}

/* The next free host address of c after *next, or 0 if none is left. */
static uint32_t next_free(const struct cidr *c, uint32_t *next, const size_t *used)
{
	while (*next < cidr_last(c) && used[*next - c->addr])
		(*next)++;
	return *next < cidr_last(c) ? (*next)++ : 0;
}

static int plan_hosts(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	const struct topo_internet *inet = &t->inet;
	size_t used[EDGE_ADDRS] = { 0 }, dns = SIZE_MAX;
	const char *owners[TOPO_MAX_INET_HOSTS];
	char path[TOPO_PATH_MAX], cb[CIDR_STRLEN];
	uint32_t next = inet->router + 1;
	int ret = 0;

	if (inet->nhosts > TOPO_MAX_INET_HOSTS)
		return topo_err_set(err, ".internet.hosts", "", "at most %d hosts are supported "
				    "(found %zu)", TOPO_MAX_INET_HOSTS, inet->nhosts);
	for (size_t i = 0; i < inet->nhosts && !ret; i++) {
		const struct topo_inet_host *h = &inet->hosts[i];

		owners[i] = h->name;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(inet->hosts[j].name, h->name)) {
				topo_path_fmt(path, sizeof(path), ".internet.hosts[%zu].name", i);
				return topo_err_str(err, path, h->name, "duplicate host: "
						    ".internet.hosts[%zu] has the same name", j);
			}
		if (h->image == TOPO_IMAGE_DNSMASQ) {
			if (dns != SIZE_MAX) {
				topo_path_fmt(path, sizeof(path), ".internet.hosts[%zu].image", i);
				return topo_err_str(err, path, "dnsmasq", "the internet has one DNS "
						    "server, .internet.hosts[%zu] \"%s\"", dns,
						    inet->hosts[dns].name);
			}
			dns = i;
		}
		topo_path_fmt(path, sizeof(path), ".internet.hosts[%zu].ip", i);
		if (h->ip)
			ret = take_addr(&inet->cidr, ".internet.cidr", "the internet router", h->ip,
					path, used, i, owners, err);
	}
	for (size_t i = 0; i < inet->nhosts && !ret; i++) {
		plan->host_ip[i] = inet->hosts[i].ip;
		if (!plan->host_ip[i] && !(plan->host_ip[i] = next_free(&inet->cidr, &next, used))) {
			topo_path_fmt(path, sizeof(path), ".internet.hosts[%zu]", i);
			ret = topo_err_str(err, path, inet->hosts[i].name, "no free address left in "
					   ".internet.cidr %s", cidr_fmt(&inet->cidr, cb));
		}
	}
	return ret;
}

/* Public addresses: the gateway has the first; nodes, then LoadBalancers,
 * get the next free ones in document order. A LoadBalancer must have one;
 * a node goes without when the range runs short (a large synthetic lab):
 * it then reaches the internet through the gateway's own address, as
 * private instances do behind a NAT gateway. */
static int plan_public(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	const struct cidr *pub = &t->net.public_cidr;
	size_t used[EDGE_ADDRS] = { 0 }, nown = t->nnodes, lbs = 0, given = 0, free_n;
	char path[TOPO_PATH_MAX], cb[CIDR_STRLEN], (*names)[2 * TOPO_LABEL_MAX + 24] = NULL;
	const char **owners = NULL;
	uint32_t next = pub->addr + 2;	/* after the gateway's own */
	int ret = 0;

	for (size_t i = 0; i < t->nservices; i++)
		nown += t->services[i].type == TOPO_SVC_LOADBALANCER;
	owners = calloc(nown ? nown : 1, sizeof(*owners));
	names = calloc(nown ? nown : 1, sizeof(*names));
	if (!owners || !names) {
		ret = topo_err_nomem(err);
		goto out;
	}
	nown = 0;
	for (size_t i = 0; i < t->nnodes && !ret; i++, nown++) {
		snprintf(names[nown], sizeof(names[0]), "node \"%s\"", t->nodes[i].name);
		owners[nown] = names[nown];
		topo_path_fmt(path, sizeof(path), ".nodes[%zu].publicIP", i);
		if (t->nodes[i].public_ip && ++given)
			ret = take_addr(pub, ".network.publicCIDR", "the cloud gateway",
					t->nodes[i].public_ip, path, used, nown, owners, err);
	}
	for (size_t i = 0; i < t->nservices && !ret; i++) {
		const struct topo_service *s = &t->services[i];

		if (s->type != TOPO_SVC_LOADBALANCER)
			continue;
		snprintf(names[nown], sizeof(names[0]), "Service \"%s/%s\"", s->ns, s->name);
		owners[nown] = names[nown];
		topo_path_fmt(path, sizeof(path), ".services[%zu].loadBalancerIP", i);
		if (s->lb_ip && ++given)
			ret = take_addr(pub, ".network.publicCIDR", "the cloud gateway", s->lb_ip,
					path, used, nown, owners, err);
		lbs += !s->lb_ip;
		nown++;
	}
	if (ret)
		goto out;
	free_n = (size_t)cidr_size(pub) - 3 - given;
	if (lbs > free_n) {
		ret = topo_err_str(err, ".network.publicCIDR", cidr_fmt(pub, cb),
				   "no free address left for %zu LoadBalancer Services", lbs);
		goto out;
	}
	/* Nodes take addresses only while the LoadBalancers still fit. */
	for (size_t i = 0; i < t->nnodes; i++) {
		plan->node_public[i] = t->nodes[i].public_ip;
		if (!plan->node_public[i] && free_n > lbs) {
			plan->node_public[i] = next_free(pub, &next, used);
			free_n--;
		}
	}
	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *s = &t->services[i];

		if (s->type == TOPO_SVC_LOADBALANCER)
			plan->lb_ip[i] = s->lb_ip ? s->lb_ip : next_free(pub, &next, used);
	}
out:
	free(owners);
	free(names);
	return ret;
}

int topo_edge_plan(const struct topo *t, struct topo_plan *plan, struct topo_error *err)
{
	int ret = check_networks(t, err);

	if (ret)
		return ret;
	plan->node_public = calloc(t->nnodes ? t->nnodes : 1, sizeof(*plan->node_public));
	plan->lb_ip = calloc(t->nservices ? t->nservices : 1, sizeof(*plan->lb_ip));
	plan->host_ip = calloc(t->inet.nhosts ? t->inet.nhosts : 1, sizeof(*plan->host_ip));
	if (!plan->node_public || !plan->lb_ip || !plan->host_ip)
		return topo_err_nomem(err);
	ret = plan_hosts(t, plan, err);
	if (!ret)
		ret = plan_public(t, plan, err);
	return ret;
}

void topo_edge_commit(struct topo *t, const struct topo_plan *plan)
{
	t->net.gateway_ip = t->net.public_cidr.addr + 1;
	t->inet.router = t->inet.cidr.addr + 1;
	for (size_t i = 0; i < t->nnodes; i++)
		t->nodes[i].public_ip = plan->node_public[i];
	for (size_t i = 0; i < t->nservices; i++)
		t->services[i].lb_ip = plan->lb_ip[i];
	for (size_t i = 0; i < t->inet.nhosts; i++)
		t->inet.hosts[i].ip = plan->host_ip[i];
}

void topo_edge_plan_free(struct topo_plan *plan)
{
	free(plan->node_public);
	free(plan->lb_ip);
	free(plan->host_ip);
	plan->node_public = plan->lb_ip = plan->host_ip = NULL;
}
