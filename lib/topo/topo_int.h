/* topo_int — helpers shared by the topo module's files; not a public API. */
#ifndef PODPATH_TOPO_INT_H
#define PODPATH_TOPO_INT_H

#include <stdarg.h>

#include <jansson.h>

#include "topo/topo.h"

#define TOPO_PATH_MAX sizeof(((struct topo_error *)0)->path)

/* Limits of the network section (docs/topology.md). */
#define TOPO_VPC_LEN_MIN 8
#define TOPO_VPC_LEN_MAX 29
#define TOPO_CLUSTER_LEN_MIN 8
#define TOPO_CLUSTER_LEN_MAX 28
#define TOPO_SERVICE_LEN_MIN 12
#define TOPO_SERVICE_LEN_MAX 30
#define TOPO_PODCIDR_LEN_MIN 8
#define TOPO_PODCIDR_LEN_MAX 30
#define TOPO_NODE_MASK_MIN 16
#define TOPO_NODE_MASK_MAX 30
#define TOPO_MTU_MIN 1280
#define TOPO_MTU_MAX 9000
#define TOPO_AFFINITY_MAX 86400	/* sessionAffinityConfig timeoutSeconds, as Kubernetes */
/* Endpoints of all Services together: each is a pod index plus a port per
 * Service port, so this bounds topo_resolve's memory (about 40 MB). */
#define TOPO_MAX_ENDPOINTS (1 << 20)
#define TOPO_NODEPORTS (TOPO_NODEPORT_MAX - TOPO_NODEPORT_MIN + 1)

/* 169.254.1.1: the link-local next hop of every pod in vpc mode, as the
 * AWS VPC CNI and Calico configure it. */
#define TOPO_VPC_POD_GW 0xa9fe0101u

/* Messages used by more than one file, so that they read the same. */
#define TOPO_MSG_LABEL "not a valid DNS-1123 label (lowercase letters, digits and '-', " \
	"starting and ending with a letter or digit, at most 63 characters)"
#define TOPO_MSG_PORT_NAME "not a valid port name (IANA_SVC_NAME: at most 15 lowercase " \
	"letters, digits and '-', at least one letter, no leading, trailing or double '-')"
#define TOPO_MSG_POD_NAME "not a valid pod name (a DNS-1123 subdomain: lowercase letters, " \
	"digits, '-' and '.', starting and ending with a letter or digit; podpath allows " \
	"at most 63 characters)"
#define TOPO_MSG_LABEL_KEY "not a valid label key (an optional DNS-1123 subdomain prefix and " \
	"'/', then a name of at most 63 letters, digits, '-', '_' or '.', starting and " \
	"ending with a letter or digit)"
#define TOPO_MSG_LABEL_VALUE "not a valid label value (empty, or at most 63 letters, digits, " \
	"'-', '_' or '.', starting and ending with a letter or digit)"
#define TOPO_MSG_TESTNET "must lie inside TEST-NET-2 198.51.100.0/24 or TEST-NET-3 " \
	"203.0.113.0/24 (RFC 5737): a lab never uses a real internet address"
/* A format: its %d is TOPO_BRIDGE_PORTS. */
#define TOPO_MSG_BRIDGE "a node's bridge cbr0 holds at most %d ports, one per pod " \
	"(the Linux bridge's limit); vpc networking has no bridge"
#define TOPO_MSG_PODCIDR_VPC "podCIDR is not used in vpc mode: pod IPs come from the VPC subnet"

/* Where a value sits in the document, as a chain of steps up to the root
 * (NULL). Rendered to text such as ".pods[2].labels.app" only when an error
 * is reported, so that the happy path does no formatting at all. */
struct topo_jpath {
	const struct topo_jpath *up;
	const char *key;	/* object member, or NULL for an array element */
	size_t index;
};

#define TOPO_JPATH_DEPTH 16	/* deeper than any path of the schema */

/* Errors: each sets *err (which may be NULL) and returns -EINVAL so that a
 * caller can write `ret = topo_err_set(...); goto out;`. */
void topo_err_clear(struct topo_error *err);
/* value is copied as given ("" for none). */
int topo_err_set(struct topo_error *err, const char *path, const char *value,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* value is s in double quotes. */
int topo_err_str(struct topo_error *err, const char *path, const char *s,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same as topo_err_set with a va_list. */
int topo_err_vset(struct topo_error *err, const char *path, const char *value,
		  const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* Sets "out of memory" and returns -ENOMEM. */
int topo_err_nomem(struct topo_error *err);

/* Copy src into dst of size n; if it does not fit, end dst with "...". */
void topo_strtrunc(char *dst, size_t n, const char *src);
/* A value as error text: s quoted as a JSON string. */
void topo_value_str(char *dst, size_t n, const char *s);
/* Render a document path; NULL (the root itself) is ".". */
void topo_jpath_fmt(char *dst, size_t n, const struct topo_jpath *p);
/* A path from a format, e.g. ".pods[%zu].ip"; truncated with "..." if long. */
void topo_path_fmt(char *dst, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Name rules beyond the public DNS-1123 ones. */
bool topo_is_pod_name(const char *s);
bool topo_is_label_key(const char *s);
bool topo_is_label_value(const char *s);
bool topo_is_port_name(const char *s);
/* Addresses a lab cannot use: 0/8, loopback, link-local, multicast and above. */
bool topo_cidr_reserved(const struct cidr *c, const char **which);

/* What topo_resolve works out, kept apart from the model until everything
 * has been checked, so that a failed resolve leaves the model untouched. */
struct topo_plan {
	uint32_t *node_ip;		/* per node */
	struct cidr *node_cidr;		/* per node; len 0 in vpc mode */
	uint32_t *pod_ip;		/* per pod */
	uint32_t *used;			/* pod IPs given in the document, sorted */
	size_t nused;
	uint32_t *svc_ip;		/* per Service; 0 for headless */
	uint16_t (*node_port)[TOPO_MAX_SVC_PORTS];	/* per Service and port */
	struct topo_endpoint **endpoints;	/* per Service; owned until committed */
	size_t *nendpoints;
	uint32_t *node_public;		/* per node: its public (1:1 NAT) address */
	uint32_t *lb_ip;		/* per Service: the LB's public IP, 0 if none */
	uint32_t *host_ip;		/* per internet host */
	/* Every namespace once resolved, or NULL when the model's list is
	 * already complete; shares the model's label strings (netpol.c). */
	struct topo_namespace *ns;
	size_t nns;
};

/* The edge (edge.c): the internet and the cloud's public addresses. */
#define TOPO_EDGE_LEN_MIN 24		/* a TEST-NET is a /24 */
#define TOPO_EDGE_LEN_MAX 29
/* The internet podpath builds when a document has no "internet" section. */
int topo_internet_default(struct topo *t);
/* True if c lies inside TEST-NET-2 or TEST-NET-3 (RFC 5737). */
bool topo_is_testnet(const struct cidr *c);
/* Check the internet and the public addresses against the rest of the model
 * and assign the unset ones into plan. */
int topo_edge_plan(const struct topo *t, struct topo_plan *plan, struct topo_error *err);
void topo_edge_commit(struct topo *t, const struct topo_plan *plan);
void topo_edge_plan_free(struct topo_plan *plan);
/* Ingresses (ingress.c): backends, duplicates, a controller behind a
 * LoadBalancer Service (by plan's endpoints); then each path's Service and
 * port indexes are written. */
int topo_ingress_check(struct topo *t, const struct topo_plan *plan, struct topo_error *err);
void topo_ingress_free(struct topo_ingress *g);
/* NetworkPolicies and namespaces (netpol.c): no two policies with one
 * namespace and name, no two namespaces with one name; then the complete
 * namespace list (every namespace an object names, each labelled
 * kubernetes.io/metadata.name) into plan, written by the commit. */
int topo_policies_check(const struct topo *t, struct topo_error *err);
int topo_namespaces_plan(const struct topo *t, struct topo_plan *plan, struct topo_error *err);
void topo_namespaces_commit(struct topo *t, struct topo_plan *plan);
void topo_namespaces_plan_free(const struct topo *t, struct topo_plan *plan);
/* The model's namespaces and policies as document sections (tojson_policy.c):
 * the declared namespaces, with their labels; every policy, in the
 * networking.k8s.io/v1 shape. NULL when out of memory. */
json_t *topo_namespaces_json(const struct topo *t);
json_t *topo_policies_json(const struct topo *t);
/* The cluster domain (domain.c): short enough for every name the cluster
 * DNS may serve, and hiding no internet or Ingress host. */
int topo_domain_check(const struct topo *t, struct topo_error *err);
/* Free the internet's hosts (model.c's topo_free). */
void topo_internet_free(struct topo_internet *inet);

/* A prefix's length is min..max and it has no host bits set. */
int topo_check_prefix(const struct cidr *c, const char *path, unsigned min, unsigned max,
		      struct topo_error *err);
/* a and b do not overlap; else the error is reported at b's path. */
int topo_check_disjoint(const struct cidr *a, const char *apath, const struct cidr *b,
			const char *bpath, struct topo_error *err);

/* The VPC pod pool of vpc mode: the upper half of vpcCIDR. */
struct cidr topo_vpc_pod_pool(const struct topo_network *net);
/* Fill plan->node_ip and plan->node_cidr where the model leaves them unset. */
int topo_ipam_nodes(const struct topo *t, struct topo_plan *plan, struct topo_error *err);
/* Fill plan->pod_ip where the model leaves it unset. */
int topo_ipam_pods(const struct topo *t, struct topo_plan *plan, struct topo_error *err);

/* Services (svc.c). The rules one Service must follow on its own, for a
 * model from a document or from code; i is its index for error paths. */
int topo_svc_check(const struct topo_service *s, size_t i, struct topo_error *err);
/* Cross-check the Services (duplicates, clusterIPs, nodePorts), assign
 * clusterIPs and nodePorts and compute endpoints, all into plan. */
int topo_svc_plan(const struct topo *t, struct topo_plan *plan, struct topo_error *err);
/* Write the Services' part of plan into the model; the model takes the
 * endpoint arrays and frees the ones it had. */
void topo_svc_commit(struct topo *t, struct topo_plan *plan);
/* Free what plan still owns of the Services' part. */
void topo_svc_plan_free(const struct topo *t, struct topo_plan *plan);
/* Free a Service's selector and endpoints, not s itself (model.c). */
void topo_svc_free(struct topo_service *s);

/* Allocation of a model's parts; zeroed so that topo_free() can always run. */
int topo_alloc_nodes(struct topo *t, size_t n);
int topo_alloc_pods(struct topo *t, size_t n);
int topo_alloc_services(struct topo *t, size_t n);
/* The default network section (docs/topology.md, "The default topology"). */
void topo_network_default(struct topo_network *net);
/* The internet's segment when the document does not give one. */
#define TOPO_INET_DEFAULT_CIDR ((struct cidr){ 0xcb007100u, 24 })	/* 203.0.113.0/24 */
#define TOPO_DEFAULT_DOMAIN "cluster.local"

/* A pod's or Service's identity for finding duplicates (dups.c). */
struct topo_key {
	const char *ns, *name;
	uint32_t ip;
	size_t i;		/* index in the document */
};

/* qsort order by ns/name, or by address; ties by document order. */
int topo_key_cmp_name(const void *a, const void *b);
int topo_key_cmp_ip(const void *a, const void *b);
/* Sort keys by name (or address) and set dup[keys[k].i] to the index of
 * the first key equal to it in document order (itself if unique). */
void topo_dups(struct topo_key *keys, size_t n, size_t *dup, bool by_ip);

#endif
