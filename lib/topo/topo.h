/* topo — the lab's topology model: JSON schema parse and validation, the
 * embedded default, synthetic generation, and address assignment (IPAM).
 * Every error names the JSON path and the offending value (struct topo_error).
 * Schema: docs/topology.md. */
#ifndef PODPATH_TOPO_H
#define PODPATH_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "addr6.h"

#define TOPO_LABEL_MAX 64	/* DNS-1123 label: 63 + NUL */
#define TOPO_SUBDOMAIN_MAX 254	/* DNS-1123 subdomain: 253 + NUL */
#define TOPO_MAX_NODES 256
#define TOPO_MAX_PODS 65536
#define TOPO_MAX_CONTAINERS 16
#define TOPO_MAX_PORTS 32
/* The ports a Linux bridge takes: BR_MAX_PORTS (1 << 10) port numbers, of
 * which 0 is never used (net/bridge/br_if.c, find_portno); the next one is
 * refused with EXFULL. In routed and vxlan networking each pod's host veth is
 * a port of its node's cbr0, so this bounds a node's pods; vpc networking
 * has no bridge. */
#define TOPO_BRIDGE_PORTS 1023

/* bgp is last so that every older mode keeps its number; it routes like
 * routed, but the nodes learn each other's pod CIDRs from BIRD over BGP and
 * the VPC holds no pod routes (Calico's native routing). */
enum topo_mode { TOPO_MODE_ROUTED, TOPO_MODE_VXLAN, TOPO_MODE_VPC, TOPO_MODE_BGP };
#define TOPO_MODE_LAST TOPO_MODE_BGP
enum topo_proto { TOPO_PROTO_TCP, TOPO_PROTO_UDP };
/* kube-proxy's mode: its nftables layout, or its iptables layout (built as
 * nftables rules). ipvs is recognised only to be refused, as bad input: there
 * is no ipvs layout to build, whether the kernel has IP_VS or not. */
enum topo_proxy_mode { TOPO_PROXY_NFTABLES, TOPO_PROXY_IPTABLES, TOPO_PROXY_IPVS };
/* Why ipvs is refused, for .network.proxyMode and --proxy-mode alike. */
#define TOPO_MSG_IPVS "not supported by podpath: it builds kube-proxy's nftables and " \
	"iptables layouts (expected \"nftables\" or \"iptables\")"

struct topo_port {
	char name[16];		/* IANA_SVC_NAME, may be empty */
	uint16_t port;		/* containerPort */
	enum topo_proto proto;
};

/* The program a container runs: podpath's responder (HTTP/TCP/UDP answers
 * naming the pod), dnsmasq serving DNS on port 53, or nginx as the ingress
 * controller (HTTP 80, HTTPS 443); `none` (internet hosts only) runs
 * nothing: a client. */
enum topo_image { TOPO_IMAGE_RESPONDER, TOPO_IMAGE_DNSMASQ, TOPO_IMAGE_NONE, TOPO_IMAGE_NGINX };
#define TOPO_DNS_PORT 53
#define TOPO_HTTP_PORT 80
#define TOPO_HTTPS_PORT 443

struct topo_container {
	char name[TOPO_LABEL_MAX];
	enum topo_image image;
	struct topo_port *ports;
	size_t nports;
};

struct topo_label {
	char *key;
	char *value;
};

struct topo_node {
	char name[TOPO_LABEL_MAX];	/* DNS-1123 label (podpath limit: 63) */
	uint32_t ip;			/* address on the VPC segment; 0 = assign */
	struct cidr pod_cidr;		/* routed/vxlan; len 0 = assign; unused in vpc */
	uint32_t gw;			/* pod gateway: cbr0 address (first host of pod_cidr); vpc: 169.254.1.1 */
	uint32_t public_ip;		/* the cloud gateway's 1:1 NAT address; 0 = assign */
	size_t npods;			/* pods scheduled here (filled by topo_resolve) */
};

struct topo_pod {
	char ns[TOPO_LABEL_MAX];	/* namespace, DNS-1123 label */
	char name[TOPO_LABEL_MAX];	/* DNS-1123 subdomain, podpath limit 63 */
	size_t node;			/* index into topo.nodes */
	uint32_t ip;			/* 0 = assign */
	struct topo_label *labels;
	size_t nlabels;
	struct topo_container *containers;
	size_t ncontainers;
};

enum topo_svc_type {
	TOPO_SVC_CLUSTERIP,
	TOPO_SVC_NODEPORT,
	TOPO_SVC_LOADBALANCER,
	TOPO_SVC_HEADLESS,		/* clusterIP "None": DNS returns the pod IPs */
};

#define TOPO_MAX_SERVICES 65536
#define TOPO_MAX_SVC_PORTS 16
#define TOPO_NODEPORT_MIN 30000
#define TOPO_NODEPORT_MAX 32767
#define TOPO_AFFINITY_DEFAULT 10800	/* seconds, as Kubernetes */

struct topo_svc_port {
	char name[16];			/* IANA_SVC_NAME; required when the Service has several ports */
	uint16_t port;			/* the Service's port */
	uint16_t target_port;		/* numeric targetPort; 0 when target_name is used */
	char target_name[16];		/* named targetPort (a container port's name), "" if numeric */
	enum topo_proto proto;
	uint16_t node_port;		/* NodePort/LoadBalancer; 0 = assign (resolve) */
};

struct topo_endpoint {
	size_t pod;			/* index into topo.pods */
	uint16_t port[TOPO_MAX_SVC_PORTS];	/* resolved target port per Service port; 0 = pod lacks it */
};

struct topo_service {
	char ns[TOPO_LABEL_MAX];
	char name[TOPO_LABEL_MAX];
	enum topo_svc_type type;
	struct topo_label *selector;	/* empty selector: no endpoints (as Kubernetes) */
	size_t nselector;
	struct topo_svc_port ports[TOPO_MAX_SVC_PORTS];
	size_t nports;
	uint32_t cluster_ip;		/* 0 = assign; always 0 for headless */
	uint32_t lb_ip;			/* LoadBalancer: the cloud LB's public IP; 0 = assign */
	bool ext_local;			/* externalTrafficPolicy Local (NodePort/LoadBalancer) */
	bool affinity;			/* sessionAffinity ClientIP */
	unsigned affinity_timeout;	/* seconds */
	struct topo_endpoint *endpoints;	/* filled by topo_resolve */
	size_t nendpoints;
};

/* bgp mode: the part of Calico's BGPConfiguration the lab uses. */
#define TOPO_BGP_DEFAULT_ASN 64512	/* Calico's default asNumber */
struct topo_bgp {
	int mesh;		/* nodeToNodeMeshEnabled: 1, 0, or -1: by node count (lib/bgp) */
	uint32_t asn;		/* asNumber */
	bool given;		/* the document has .network.bgp (refused outside bgp mode) */
};

struct topo_network {
	enum topo_mode mode;
	enum topo_proxy_mode proxy_mode;	/* default nftables */
	struct cidr vpc_cidr;		/* node segment; default 172.18.0.0/24 */
	uint32_t vpc_router;		/* first host of vpc_cidr */
	struct cidr cluster_cidr;	/* default 10.244.0.0/16 (not used for pod IPs in vpc mode) */
	struct cidr service_cidr;	/* default 10.96.0.0/12 */
	unsigned node_mask;		/* nodeCIDRMaskSize, default 24 */
	unsigned mtu;			/* underlay MTU of the VPC segment, default 1500 */
	char domain[TOPO_SUBDOMAIN_MAX];	/* clusterDomain, default cluster.local */
	struct cidr public_cidr;	/* the cloud's public addresses; default 198.51.100.0/24 */
	uint32_t gateway_ip;		/* first host of public_cidr: the cloud gateway itself */
	struct topo_bgp bgp;
};

/* The simulated internet: hosts on one segment behind a router, reaching
 * the cluster only through the cloud's public addresses. TEST-NET-2 and
 * TEST-NET-3 (RFC 5737) only, so nothing can ever be a real address. */
#define TOPO_MAX_INET_HOSTS 64

struct topo_inet_host {
	char name[TOPO_LABEL_MAX];	/* DNS-1123 subdomain, at most 63: "example.com" */
	uint32_t ip;			/* 0 = assign */
	enum topo_image image;
	struct topo_port *ports;	/* what it serves (responder, dnsmasq) */
	size_t nports;
};

struct topo_internet {
	struct cidr cidr;		/* default 203.0.113.0/24 */
	uint32_t router;		/* first host: the hosts' default gateway */
	struct topo_inet_host *hosts;
	size_t nhosts;
};

/* Ingress (networking.k8s.io/v1): host and path rules to Services, served
 * by the lab's nginx. Paths are Prefix (by path element, as Kubernetes
 * defines it) or Exact. */
#define TOPO_MAX_INGRESSES 256
#define TOPO_MAX_INGRESS_RULES 64
#define TOPO_MAX_INGRESS_PATHS 64
#define TOPO_INGRESS_PATH_MAX 256
enum topo_path_type { TOPO_PATH_PREFIX, TOPO_PATH_EXACT };

struct topo_ingress_path {
	char path[TOPO_INGRESS_PATH_MAX];	/* starts with '/' */
	enum topo_path_type type;
	char svc_name[TOPO_LABEL_MAX];		/* backend Service, in the Ingress's namespace */
	uint16_t port_number;			/* the Service port by number... */
	char port_name[16];			/* ...or by name */
	size_t svc, svc_port;			/* resolved: indexes into services and its ports */
};

struct topo_ingress_rule {
	char host[TOPO_SUBDOMAIN_MAX];
	struct topo_ingress_path *paths;
	size_t npaths;
};

struct topo_ingress {
	char ns[TOPO_LABEL_MAX];
	char name[TOPO_LABEL_MAX];
	struct topo_ingress_rule *rules;
	size_t nrules;
	char (*tls_hosts)[TOPO_SUBDOMAIN_MAX];	/* hosts served over HTTPS */
	size_t ntls;
};

/* Namespaces (v1 Namespace: name and labels). Every namespace a pod,
 * Service, Ingress or NetworkPolicy names exists even if not declared, and
 * every namespace carries kubernetes.io/metadata.name=<name>, as the API
 * server sets it (topo_resolve adds both). */
#define TOPO_MAX_NAMESPACES 4096
#define TOPO_NS_NAME_LABEL "kubernetes.io/metadata.name"

struct topo_namespace {
	char name[TOPO_LABEL_MAX];
	struct topo_label *labels;	/* includes TOPO_NS_NAME_LABEL once resolved */
	size_t nlabels;
	bool declared;			/* listed in .namespaces (else implied) */
};

/* NetworkPolicy (networking.k8s.io/v1). A label selector: every matchLabels
 * pair and every expression must hold; an empty selector selects all. */
#define TOPO_MAX_POLICIES 65536
#define TOPO_MAX_POLICY_RULES 256	/* ingress or egress rules of one policy */
#define TOPO_MAX_POLICY_PEERS 256	/* from/to entries of one rule */
#define TOPO_MAX_POLICY_PORTS 256	/* ports of one rule */
#define TOPO_MAX_SEL_EXPRS 64
#define TOPO_MAX_SEL_VALUES 256
#define TOPO_MAX_EXCEPT 64		/* ipBlock.except entries */

enum topo_sel_op { TOPO_SEL_IN, TOPO_SEL_NOT_IN, TOPO_SEL_EXISTS, TOPO_SEL_DOES_NOT_EXIST };

struct topo_sel_expr {
	char *key;
	enum topo_sel_op op;
	char **values;			/* In/NotIn: at least one; Exists/DoesNotExist: none */
	size_t nvalues;
};

struct topo_selector {
	struct topo_label *match;	/* matchLabels */
	size_t nmatch;
	struct topo_sel_expr *exprs;	/* matchExpressions */
	size_t nexprs;
};

/* A NetworkPolicy port's protocol: SCTP too, which no container here
 * serves, so that a rule for SCTP is seen never to admit TCP or UDP. */
enum topo_np_proto { TOPO_NP_TCP, TOPO_NP_UDP, TOPO_NP_SCTP };

struct topo_np_port {
	enum topo_np_proto proto;	/* default TCP */
	uint16_t port;			/* 0 with name "": every port of proto */
	char name[16];			/* a named port (IANA_SVC_NAME), resolved per destination pod */
	uint16_t end_port;		/* 0, or the last port of the range port..end_port */
};

/* A from/to entry: pod and/or namespace selectors, or an ipBlock.
 * An IPv6 ipBlock (block_v6) is kept so the document round-trips, but the
 * lab is IPv4-only: such a peer matches no packet, and block/except are
 * then unused (0.0.0.0/0 and NULL): every consumer checks block_v6 first. */
struct topo_np_peer {
	bool has_pods, has_namespaces, has_block;	/* which of the three are given */
	bool block_v6;			/* the ipBlock is IPv6: block6/except6 hold it */
	struct topo_selector pods;	/* podSelector */
	struct topo_selector namespaces;	/* namespaceSelector */
	struct cidr block;		/* ipBlock.cidr (IPv4) */
	struct cidr *except;		/* ipBlock.except (IPv4): strict subsets of block */
	struct cidr6 block6;		/* ipBlock.cidr (IPv6) */
	struct cidr6 *except6;		/* ipBlock.except (IPv6): strict subsets of block6 */
	size_t nexcept;			/* entries of except or except6 */
};

/* One ingress or egress rule: no peers = every peer, no ports = every port. */
struct topo_np_rule {
	struct topo_np_peer *peers;
	size_t npeers;
	struct topo_np_port *ports;
	size_t nports;
};

struct topo_policy {
	char ns[TOPO_LABEL_MAX];	/* metadata.namespace, default "default" */
	char name[TOPO_LABEL_MAX];	/* metadata.name: a DNS-1123 subdomain, podpath limit 63 */
	struct topo_selector pods;	/* spec.podSelector: pods of ns it selects */
	bool ingress, egress;		/* spec.policyTypes, defaulted as the API server does */
	struct topo_np_rule *in;	/* spec.ingress */
	size_t nin;
	struct topo_np_rule *out;	/* spec.egress */
	size_t nout;
};

struct topo {
	struct topo_network net;
	struct topo_node *nodes;
	size_t nnodes;
	struct topo_pod *pods;
	size_t npods;
	struct topo_service *services;
	size_t nservices;
	struct topo_internet inet;
	struct topo_ingress *ingresses;
	size_t ningresses;
	struct topo_namespace *namespaces;	/* declared, then implied (topo_resolve) */
	size_t nnamespaces;
	struct topo_policy *policies;
	size_t npolicies;
};

struct topo_error {
	char path[160];		/* JSON path, e.g. ".pods[2].node"; "" if none */
	char value[160];	/* offending value as text (quoted if string); "" if none */
	char msg[256];		/* what is wrong, e.g. "no such node" */
	int line;		/* JSON syntax errors: 1-based line, else 0 */
	int column;
};

/* The largest topology document podpath reads: far above the largest lab
 * (65536 pods and Services), and a bound on the memory a document takes,
 * also when it is a pipe or /dev/zero. */
#define TOPO_DOC_MAX ((size_t)64 << 20)

/* Parse a topology JSON document into t. t is overwritten, not freed: pass an
 * empty model (topo_free a used one first); after an error the caller still
 * owns t and must topo_free it.
 * Checks syntax, types, unknown fields and each field's own validity; a
 * document longer than TOPO_DOC_MAX is refused unread. 0 or -EINVAL. */
int topo_from_json(struct topo *t, const char *buf, size_t len, struct topo_error *err);
/* Fill t with the embedded default topology (docs/topology.md, "The default topology"). */
int topo_from_default(struct topo *t, struct topo_error *err);
/* Fill t with a synthetic topology for scripts and scale tests: nodes
 * node-1..N, M pods on each named default/pod-<n>-<i>, one container "app"
 * serving http 8080/TCP, label app=synth; CIDRs sized so that it fits in mode. */
int topo_from_synth(struct topo *t, unsigned nodes, unsigned pods_per_node,
		    enum topo_mode mode, struct topo_error *err);
/* Add k synthetic Services to a synthetic topology: default/svc-1..k, port
 * 80 -> the pods' "http" port, svc-i selecting svc=svc-i, a label given to
 * pods two by two (so each Service has two endpoints while pods last). */
int topo_synth_services(struct topo *t, unsigned k, struct topo_error *err);
/* Give a synthetic topology (after topo_synth_services) its cluster DNS, as
 * the default topology has it: pod kube-system/coredns (dnsmasq) on the last
 * node and Service kube-system/kube-dns, the server pods' resolv.conf names;
 * the CIDRs are widened for the one more pod. -EINVAL (err names the flag)
 * when a node's bridge or the pod limit has no room for it. */
int topo_synth_dns(struct topo *t, struct topo_error *err);
/* Cross-check (duplicates, references, overlaps) and assign every unset address:
 * node IPs, pod CIDRs, gateways, pod IPs, Service clusterIPs and nodePorts; then
 * compute each Service's endpoints. Idempotent. 0 or -EINVAL with err set. */
int topo_resolve(struct topo *t, struct topo_error *err);
/* The fully resolved topology as a JSON document topo_from_json accepts
 * (every address explicit), so it round-trips. Caller json_decref()s. */
struct json_t *topo_to_json(const struct topo *t);
/* Release everything t owns; t is left zeroed. */
void topo_free(struct topo *t);
/* Release what one policy owns (as the parser allocates it); p is left
 * zeroed. podpath break takes the policy it added out with it. */
void topo_policy_free(struct topo_policy *p);

/* Look-ups; NULL/-1 when absent. ns NULL means "default". */
const struct topo_pod *topo_pod_find(const struct topo *t, const char *ns, const char *name);
ssize_t topo_node_index(const struct topo *t, const char *name);

/* kube-dns's ClusterIP, what pods' resolv.conf names: the clusterIP of
 * Service kube-system/kube-dns, else (none given, or no such Service) the
 * tenth address of the Service CIDR, which is kept for it. */
uint32_t topo_dns_ip(const struct topo *t);
const struct topo_service *topo_service_find(const struct topo *t, const char *ns, const char *name);
/* How many endpoints of s serve its port pi (a pod may lack a named port). */
size_t topo_svc_port_endpoints(const struct topo_service *s, size_t pi);
const char *topo_svc_type_name(enum topo_svc_type ty);
/* An internet host by name, or NULL. */
const struct topo_inet_host *topo_inet_find(const struct topo *t, const char *name);
/* The internet's DNS server (the host running dnsmasq), or NULL. */
const struct topo_inet_host *topo_inet_dns(const struct topo *t);
/* True if a LoadBalancer Service's port pi is served through node n by the
 * cloud LB: every node (Cluster policy), or only nodes with a local endpoint
 * of that port (Local), as the LB's health checks find them. */
bool topo_lb_targets_node(const struct topo *t, const struct topo_service *s, size_t pi,
			  size_t n);
/* The LoadBalancer Service in front of the ingress controller (the first
 * one whose endpoints run nginx), or NULL: its IP is what ingress hosts
 * resolve to on the internet. */
const struct topo_service *topo_ingress_lb(const struct topo *t);
/* True if host is served over HTTPS by some Ingress. */
bool topo_ingress_tls(const struct topo *t, const char *host);
/* Endpoints of s's port pi on node n. */
size_t topo_svc_port_local_endpoints(const struct topo *t, const struct topo_service *s,
				     size_t pi, size_t n);

/* The index of NetworkPolicy ns/name, or -1. */
ssize_t topo_policy_index(const struct topo *t, const char *ns, const char *name);
/* A namespace by name, or NULL. */
const struct topo_namespace *topo_namespace_find(const struct topo *t, const char *name);
const char *topo_np_proto_name(enum topo_np_proto p);
const char *topo_sel_op_name(enum topo_sel_op op);

/* Names of enums as used in JSON and on the command line. */
const char *topo_mode_name(enum topo_mode m);
int topo_mode_parse(const char *s, enum topo_mode *out);
const char *topo_proto_name(enum topo_proto p);
const char *topo_proxy_mode_name(enum topo_proxy_mode m);
const char *topo_image_name(enum topo_image i);
int topo_image_parse(const char *s, enum topo_image *out);
int topo_proxy_mode_parse(const char *s, enum topo_proxy_mode *out);

/* Kubernetes name rules: DNS-1123 label (<=63, [a-z0-9-], alnum ends) and
 * subdomain (<=253, labels joined by '.'). */
bool topo_is_dns1123_label(const char *s);
bool topo_is_dns1123_subdomain(const char *s);

#endif
