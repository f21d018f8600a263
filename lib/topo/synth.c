/* topo_from_synth: generated topologies for scripts and scale tests. The
 * model is built directly (a 65536-pod document would only be parsed back)
 * with CIDRs just large enough for the requested size. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo/topo_int.h"

/* The longest prefix length, at most max_len, with room for need addresses. */
static unsigned prefix_for(uint64_t need, unsigned max_len)
{
	unsigned len = max_len;

	while (len > 0 && ((uint64_t)1 << (32 - len)) < need)
		len--;
	return len;
}

static struct cidr cidr_of(uint32_t base, unsigned len)
{
	return (struct cidr){ base & cidr_mask((uint8_t)len), (uint8_t)len };
}

/* Size the network section for nodes x pods in mode. */
static int synth_network(struct topo_network *net, unsigned nodes, unsigned per_node,
			 enum topo_mode mode, struct topo_error *err)
{
	char val[16];
	unsigned len, blocks;
	uint64_t total = (uint64_t)nodes * per_node;
	int ret = 0;

	topo_network_default(net);
	net->mode = mode;
	snprintf(val, sizeof(val), "%u", per_node);
	if (mode == TOPO_MODE_VPC) {
		/* Lower half: network, router and the nodes; upper half: the pods
		 * and the segment's broadcast address. */
		len = prefix_for(2 * (total + 1 > nodes + 2 ? total + 1 : nodes + 2), 24);
	} else {
		if (per_node > TOPO_BRIDGE_PORTS) {
			ret = topo_err_set(err, "--pods-per-node", val, "at most %d pods per node in "
					   "%s networking: " TOPO_MSG_BRIDGE " (--network vpc)",
					   TOPO_BRIDGE_PORTS, topo_mode_name(mode), TOPO_BRIDGE_PORTS);
			goto out;
		}
		/* Each node's block holds its pods plus network, gateway and
		 * broadcast (a /21 at most, for the bridge's ports); block 0 of
		 * clusterCIDR is not handed out. */
		net->node_mask = prefix_for((uint64_t)per_node + 3, 24);
		for (blocks = 0; (1u << blocks) < nodes + 1; blocks++)
			;
		len = net->node_mask - blocks;
		if (len > 16)
			len = 16;
		if (len < TOPO_CLUSTER_LEN_MIN) {
			ret = topo_err_set(err, "--pods-per-node", val,
					   "%u nodes with %u pods each do not fit in a /8 clusterCIDR",
					   nodes, per_node);
			goto out;
		}
		/* 10.244.0.0/16 widened in place stays clear of 10.96.0.0/12. */
		net->cluster_cidr = cidr_of(0x0af40000u, len);
		len = prefix_for((uint64_t)nodes + 3, 24);
	}
	if (len < TOPO_VPC_LEN_MIN) {
		ret = topo_err_set(err, "--pods-per-node", val, "does not fit in a /8 vpcCIDR");
		goto out;
	}
	net->vpc_cidr = cidr_of(0xac120000u, len);	/* 172.18.0.0/len */
	net->vpc_router = net->vpc_cidr.addr + 1;
out:
	return ret;
}

static int synth_pod(struct topo_pod *p, size_t node, unsigned n, unsigned i)
{
	int ret = -ENOMEM;

	strcpy(p->ns, "default");
	snprintf(p->name, sizeof(p->name), "pod-%u-%u", n, i);
	p->node = node;
	p->labels = calloc(1, sizeof(*p->labels));
	if (!p->labels)
		goto out;
	p->nlabels = 1;
	p->labels[0].key = strdup("app");
	p->labels[0].value = strdup("synth");
	p->containers = calloc(1, sizeof(*p->containers));
	if (!p->labels[0].key || !p->labels[0].value || !p->containers)
		goto out;
	p->ncontainers = 1;
	strcpy(p->containers[0].name, "app");
	p->containers[0].ports = calloc(1, sizeof(*p->containers[0].ports));
	if (!p->containers[0].ports)
		goto out;
	p->containers[0].nports = 1;
	strcpy(p->containers[0].ports[0].name, "http");
	p->containers[0].ports[0].port = 8080;
	p->containers[0].ports[0].proto = TOPO_PROTO_TCP;
	ret = 0;
out:
	return ret;
}

int topo_from_synth(struct topo *t, unsigned nodes, unsigned pods_per_node,
		    enum topo_mode mode, struct topo_error *err)
{
	uint64_t total = (uint64_t)nodes * pods_per_node;
	char val[16];
	unsigned n, i;
	size_t k = 0;
	int ret;

	memset(t, 0, sizeof(*t));
	topo_err_clear(err);
	snprintf(val, sizeof(val), "%u", nodes);
	if (nodes < 1 || nodes > TOPO_MAX_NODES) {
		ret = topo_err_set(err, "--nodes", val, "must be 1..%d", TOPO_MAX_NODES);
		goto out;
	}
	snprintf(val, sizeof(val), "%u", pods_per_node);
	if (total > TOPO_MAX_PODS) {
		ret = topo_err_set(err, "--pods-per-node", val,
				   "%u nodes x %u pods is %llu pods; at most %d are supported",
				   nodes, pods_per_node, (unsigned long long)total, TOPO_MAX_PODS);
		goto out;
	}
	if ((unsigned)mode > TOPO_MODE_LAST) {
		ret = topo_err_set(err, "--network", "", "unknown mode");
		goto out;
	}
	ret = synth_network(&t->net, nodes, pods_per_node, mode, err);
	if (ret)
		goto out;
	if (topo_alloc_nodes(t, nodes) || topo_alloc_pods(t, (size_t)total) ||
	    topo_internet_default(t) < 0) {
		ret = topo_err_nomem(err);
		goto out;
	}
	for (n = 1; n <= nodes; n++) {
		snprintf(t->nodes[n - 1].name, sizeof(t->nodes[n - 1].name), "node-%u", n);
		for (i = 1; i <= pods_per_node; i++) {
			if (synth_pod(&t->pods[k++], n - 1, n, i)) {
				ret = topo_err_nomem(err);
				goto out;
			}
		}
	}
out:
	if (ret) {
		topo_free(t);
		errno = -ret;
	}
	return ret;
}

/* Give pod g a second label svc=svc-<g/2 % k + 1>: two pods per Service
 * while there are enough pods, as a scale test of Services wants. */
static int synth_pod_label(struct topo_pod *p, size_t g, unsigned k)
{
	struct topo_label *nl = realloc(p->labels, (p->nlabels + 1) * sizeof(*nl));
	char val[24];

	if (!nl)
		return -ENOMEM;
	p->labels = nl;
	snprintf(val, sizeof(val), "svc-%zu", (g / 2) % k + 1);
	nl[p->nlabels].key = strdup("svc");
	nl[p->nlabels].value = strdup(val);
	p->nlabels++;
	return nl[p->nlabels - 1].key && nl[p->nlabels - 1].value ? 0 : -ENOMEM;
}

int topo_synth_services(struct topo *t, unsigned k, struct topo_error *err)
{
	char val[16];
	int ret = 0;

	topo_err_clear(err);
	snprintf(val, sizeof(val), "%u", k);
	if (k > TOPO_MAX_SERVICES)
		return topo_err_set(err, "--services", val, "at most %d Services are supported",
				    TOPO_MAX_SERVICES);
	if (!k)
		return 0;
	if (topo_alloc_services(t, k))
		return topo_err_nomem(err);
	for (size_t g = 0; g < t->npods && ret == 0; g++)
		ret = synth_pod_label(&t->pods[g], g, k);
	for (unsigned s = 0; s < k && ret == 0; s++) {
		struct topo_service *sv = &t->services[s];

		strcpy(sv->ns, "default");
		snprintf(sv->name, sizeof(sv->name), "svc-%u", s + 1);
		sv->type = TOPO_SVC_CLUSTERIP;
		sv->selector = calloc(1, sizeof(*sv->selector));
		if (!sv->selector) {
			ret = -ENOMEM;
			break;
		}
		sv->nselector = 1;
		sv->selector[0].key = strdup("svc");
		sv->selector[0].value = strdup(sv->name);
		if (!sv->selector[0].key || !sv->selector[0].value)
			ret = -ENOMEM;
		sv->nports = 1;
		strcpy(sv->ports[0].name, "http");
		sv->ports[0].port = 80;
		strcpy(sv->ports[0].target_name, "http");
		sv->ports[0].proto = TOPO_PROTO_TCP;
	}
	if (ret)
		return topo_err_nomem(err);
	return 0;
}

/* The cluster DNS of a synthetic lab, as the default lab has it: pod
 * kube-system/coredns (dnsmasq; 53/UDP "dns", 53/TCP "dns-tcp", label
 * k8s-app=kube-dns) on the last node, and Service kube-system/kube-dns in
 * front of it at the address every pod's resolv.conf names. */
static int synth_dns_pod(struct topo_pod *p, size_t node)
{
	static const struct topo_port ports[] = {
		{ "dns", TOPO_DNS_PORT, TOPO_PROTO_UDP },
		{ "dns-tcp", TOPO_DNS_PORT, TOPO_PROTO_TCP },
	};

	memset(p, 0, sizeof(*p));
	strcpy(p->ns, "kube-system");
	strcpy(p->name, "coredns");
	p->node = node;
	p->labels = calloc(1, sizeof(*p->labels));
	p->containers = calloc(1, sizeof(*p->containers));
	if (!p->labels || !p->containers)
		return -ENOMEM;
	p->nlabels = 1;
	p->labels[0].key = strdup("k8s-app");
	p->labels[0].value = strdup("kube-dns");
	p->ncontainers = 1;
	strcpy(p->containers[0].name, "coredns");
	p->containers[0].image = TOPO_IMAGE_DNSMASQ;
	p->containers[0].ports = malloc(sizeof(ports));
	if (!p->labels[0].key || !p->labels[0].value || !p->containers[0].ports)
		return -ENOMEM;
	memcpy(p->containers[0].ports, ports, sizeof(ports));
	p->containers[0].nports = 2;
	return 0;
}

static int synth_dns_service(struct topo_service *sv)
{
	memset(sv, 0, sizeof(*sv));
	strcpy(sv->ns, "kube-system");
	strcpy(sv->name, "kube-dns");
	sv->type = TOPO_SVC_CLUSTERIP;	/* its address: kube-dns's, by resolve */
	sv->selector = calloc(1, sizeof(*sv->selector));
	if (!sv->selector)
		return -ENOMEM;
	sv->nselector = 1;
	sv->selector[0].key = strdup("k8s-app");
	sv->selector[0].value = strdup("kube-dns");
	sv->nports = 2;
	sv->ports[0] = (struct topo_svc_port){ .name = "dns", .port = TOPO_DNS_PORT,
					       .target_name = "dns", .proto = TOPO_PROTO_UDP };
	sv->ports[1] = (struct topo_svc_port){ .name = "dns-tcp", .port = TOPO_DNS_PORT,
					       .target_name = "dns-tcp", .proto = TOPO_PROTO_TCP };
	return sv->selector[0].key && sv->selector[0].value ? 0 : -ENOMEM;
}

int topo_synth_dns(struct topo *t, struct topo_error *err)
{
	unsigned nodes = (unsigned)t->nnodes, per_node = nodes ? (unsigned)(t->npods / nodes) : 0;
	enum topo_proxy_mode pmode = t->net.proxy_mode;
	struct topo_service *sv;
	struct topo_pod *pods;
	char val[16];
	int ret;

	topo_err_clear(err);
	snprintf(val, sizeof(val), "%u", per_node);
	if (!nodes)
		return topo_err_set(err, "--nodes", "0", "must be 1..%d", TOPO_MAX_NODES);
	if (t->npods + 1 > TOPO_MAX_PODS)
		return topo_err_set(err, "--pods-per-node", val, "%u nodes x %u pods leave no room "
				    "for the cluster DNS pod kube-system/coredns: at most %d pods "
				    "in all", nodes, per_node, TOPO_MAX_PODS - 1);
	if (t->net.mode != TOPO_MODE_VPC && per_node + 1 > TOPO_BRIDGE_PORTS)
		return topo_err_set(err, "--pods-per-node", val, "at most %d pods per node in %s "
				    "networking: node-%u also runs the cluster DNS pod "
				    "kube-system/coredns, and " TOPO_MSG_BRIDGE " (--network vpc)",
				    TOPO_BRIDGE_PORTS - 1, topo_mode_name(t->net.mode), nodes,
				    TOPO_BRIDGE_PORTS);
	/* Every node's block sized for one pod more (the last node's DNS pod). */
	ret = synth_network(&t->net, nodes, per_node + 1, t->net.mode, err);
	t->net.proxy_mode = pmode;
	if (ret)
		return ret;
	pods = realloc(t->pods, (t->npods + 1) * sizeof(*pods));
	if (!pods)
		return topo_err_nomem(err);
	t->pods = pods;
	ret = synth_dns_pod(&t->pods[t->npods], nodes - 1);
	t->npods++;		/* counted even half-built: topo_free frees it */
	if (ret)
		return topo_err_nomem(err);
	sv = realloc(t->services, (t->nservices + 1) * sizeof(*sv));
	if (!sv)
		return topo_err_nomem(err);
	t->services = sv;
	ret = synth_dns_service(&t->services[t->nservices]);
	t->nservices++;
	return ret ? topo_err_nomem(err) : 0;
}
