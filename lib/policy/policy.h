/* policy — NetworkPolicy (networking.k8s.io/v1) as Kubernetes specifies it:
 * which pods a policy selects and isolates, whether a packet is admitted in
 * each direction and by which policy and rule (a pure evaluator: trace's
 * explanation and the unit tests' oracle), and the nftables ruleset that
 * enforces it on a node.
 *
 * Enforcement follows Calico's layout (its nftables dataplane), in table
 * "ip network-policy" of every node:
 *   cali-FORWARD      hook forward, priority filter (after kube-proxy's DNAT):
 *                     replies pass (ct state established,related); then
 *                     ip saddr vmap @cali-from-wl-dispatch: the egress side
 *                     of the node's egress-isolated pods;
 *   cali-POSTROUTING  hook postrouting, priority srcnat + 10 (after every
 *                     SNAT, so ipBlock sees the address the pod sees):
 *                     replies pass; packets from this node's own addresses
 *                     pass (@cali-this-host: kubelet probes, and what kube-
 *                     proxy masqueraded to the node); then ip daddr vmap
 *                     @cali-to-wl-dispatch: the ingress side of the node's
 *                     ingress-isolated pods.
 *   cali-fw-NS/POD    from workload: jump to each policy isolating the pod's
 *                     egress, then drop; cali-tw-NS/POD: to workload, the
 *                     same for ingress;
 *   cali-po-NS/NAME   a policy's egress rules, cali-pi-NS/NAME its ingress
 *                     rules: each rule accepts what it admits;
 *   cali-s-...        named sets of the pod addresses a peer selects,
 *   cali-np-NAME      named ports: ip . l4proto . port of every pod that
 *                     declares the port, so a named port resolves per pod.
 * Pods are found by address, not by interface as Calico does, because in
 * routed and vxlan modes pods sit on a bridge: br_netfilter hands bridged
 * frames to these hooks with the bridge, not the pod's veth, as device.
 * Traffic between a pod and its own node is never subject to policy (the
 * forward hook never sees it, and postrouting lets the node's addresses
 * pass), as in Calico and as Kubernetes documents for kubelet probes. */
#ifndef PODPATH_POLICY_H
#define PODPATH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "nft/nft.h"
#include "topo/topo.h"

#define POLICY_TABLE "network-policy"		/* table ip network-policy */
#define POLICY_CHAIN_FORWARD "cali-FORWARD"
#define POLICY_CHAIN_POSTROUTING "cali-POSTROUTING"
#define POLICY_MAP_FROM "cali-from-wl-dispatch"
#define POLICY_MAP_TO "cali-to-wl-dispatch"
#define POLICY_SET_HOST "cali-this-host"
#define POLICY_PRIO_FORWARD 0			/* NF_IP_PRI_FILTER */
#define POLICY_PRIO_POSTROUTING 110		/* NF_IP_PRI_NAT_SRC + 10 */
#define POLICY_NAME_MAX 256			/* chain and set names (NFT_*_MAXNAMELEN) */

enum policy_dir { POLICY_INGRESS, POLICY_EGRESS };

/* "every peer" / "every port": a rule with no from/to, or no ports. */
#define POLICY_ANY ((size_t)-1)

/* ---- selection (select.c) ------------------------------------------------ */

/* Does selector s hold for labels? An empty selector selects everything. */
bool policy_selector_matches(const struct topo_selector *s, const struct topo_label *labels,
			     size_t nlabels);
/* Does policy p select pod (its namespace is p's, its labels match)? */
bool policy_selects(const struct topo *t, const struct topo_policy *p, size_t pod);
/* Does p select pod and isolate it in direction dir (policyTypes)? */
bool policy_isolates(const struct topo *t, const struct topo_policy *p, size_t pod,
		     enum policy_dir dir);
/* Does peer (of policy p) select pod? A bare podSelector means pods of p's
 * namespace; a bare namespaceSelector every pod of the namespaces it
 * selects; both, pods matching both. An ipBlock peer is matched by address
 * (policy_peer_matches_addr), also for pod addresses. */
bool policy_peer_selects(const struct topo *t, const struct topo_policy *p,
			 const struct topo_np_peer *peer, size_t pod);
/* Does peer admit address addr (a pod's, a node's, anyone's)? */
bool policy_peer_matches_addr(const struct topo *t, const struct topo_policy *p,
			      const struct topo_np_peer *peer, uint32_t addr);
/* Does port entry admit l4proto (IPPROTO_TCP/UDP/SCTP) port dport on the
 * destination pod dst_pod (-1: not a pod; a named port then never matches)?
 * A named port matches a container port of that name and protocol. */
bool policy_port_matches(const struct topo *t, const struct topo_np_port *port,
			 uint8_t l4proto, uint16_t dport, ssize_t dst_pod);
/* The pod with address ip, or -1. */
ssize_t policy_pod_by_addr(const struct topo *t, uint32_t ip);
/* Is ip one of node's own addresses (its VPC address, its pod gateway, its
 * VXLAN address)? */
bool policy_node_owns(const struct topo *t, size_t node, uint32_t ip);

/* ---- the evaluator (eval.c) ---------------------------------------------- */

/* A packet as the hook sees it: after DNAT for egress, after SNAT for
 * ingress. l4proto IPPROTO_*; dport 0 for ICMP. */
struct policy_flow {
	uint32_t saddr, daddr;
	uint8_t l4proto;
	uint16_t dport;
};

/* One pod's side of a packet: its egress (it sends to f->daddr) or its
 * ingress (it receives from f->saddr). */
struct policy_side {
	enum policy_dir dir;
	size_t pod;
	bool exempt;		/* the peer is the pod's own node: never subject */
	bool isolated;		/* some policy isolates pod in dir */
	size_t *isolating;	/* those policies (indexes into t->policies), in order */
	size_t nisolating;
	bool allowed;		/* not isolated, exempt, or admitted */
	/* When isolated and allowed: the first policy and rule that admit it
	 * (indexes into t->policies, its in/out rules, the rule's peers and
	 * ports; peer and port POLICY_ANY when the rule has none). */
	size_t policy, rule, peer, port;
};

/* Evaluate direction dir of pod for packet f. 0 or -ENOMEM; free with
 * policy_side_free. */
int policy_eval(const struct topo *t, enum policy_dir dir, size_t pod,
		const struct policy_flow *f, struct policy_side *out);
void policy_side_free(struct policy_side *s);

/* In a policy_side that no rule admitted (not isolated, exempt, or
 * denied), policy, rule, peer and port are all POLICY_ANY. The evaluator
 * does not special-case a pod sending to itself: that goes over the pod's
 * loopback, never through a node, so callers leave it out. */

/* ---- names (names.c) ----------------------------------------------------- */

/* cali-tw-NS/POD (ingress: to workload) or cali-fw-NS/POD (egress). */
void policy_chain_pod(char *buf, size_t len, enum policy_dir dir, const struct topo_pod *p);
/* cali-pi-NS/NAME (ingress rules) or cali-po-NS/NAME (egress rules). */
void policy_chain_policy(char *buf, size_t len, enum policy_dir dir, const struct topo_policy *p);
/* What a chain of the table stands for. */
enum policy_chain_kind { POLICY_CHAIN_BASE, POLICY_CHAIN_POD, POLICY_CHAIN_POLICY };
struct policy_chain_ref {
	enum policy_chain_kind kind;
	enum policy_dir dir;
	size_t index;		/* pod or policy index into t */
};
/* Parse a chain name of table POLICY_TABLE back. 0 or -ENOENT. */
int policy_chain_parse(const struct topo *t, const char *chain, struct policy_chain_ref *ref);

/* Base chains parse as POLICY_CHAIN_BASE with dir POLICY_EGRESS for
 * cali-FORWARD (the from-workload side), POLICY_INGRESS for
 * cali-POSTROUTING, and index 0. */

/* Lengths, with a 63-character namespace and name (the longest the model
 * takes) and rule and peer indexes below 256 (TOPO_MAX_POLICY_RULES, _PEERS):
 * pod and policy chains at most 8 + 63 + 1 + 63 = 135 characters; peer sets
 * at most 7 + 127 + 3 + 3 + 5 + 3 = 148 (".in" and ".from"); named-port
 * sets 8 + 15 = 23: all below POLICY_NAME_MAX. A rule comment is at most 127 + 18 + 10 + 11 = 166,
 * below NFT_COMMENT_MAX (names.c asserts these at compile time). */

/* The set of pod addresses peer `peer` of rule `rule` of p selects:
 * cali-s-NS/NAME.in0.from1 (ingress) or cali-s-NS/NAME.out0.to1 (egress). */
void policy_set_peer(char *buf, size_t len, enum policy_dir dir, const struct topo_policy *p,
		     size_t rule, size_t peer);
/* The set of named port name: cali-np-NAME. */
void policy_set_named_port(char *buf, size_t len, const char *name);
/* What a set of the table stands for (policy_set_parse). */
enum policy_set_kind { POLICY_SET_PEER, POLICY_SET_NAMED_PORT };
struct policy_set_ref {
	enum policy_set_kind kind;
	enum policy_dir dir;	/* peer sets: */
	size_t policy, rule, peer;
	char port[16];		/* named-port sets: the port's name */
};
/* Parse a set name made by policy_set_peer or policy_set_named_port back
 * (a peer set's policy, rule and peer must exist in t). 0 or -ENOENT. */
int policy_set_parse(const struct topo *t, const char *set, struct policy_set_ref *ref);
/* The comment of the rule that stands for rule `rule`, peer `peer` and port
 * `port` of p in direction dir: "x/allow-b spec.ingress[0].from[1] ports[0]";
 * a POLICY_ANY peer or port is left out ("x/allow-b spec.ingress[0]").
 * Both the nftables rules and trace render it here, so they agree. */
void policy_rule_comment(char *buf, size_t len, const struct topo_policy *p,
			 enum policy_dir dir, size_t rule, size_t peer, size_t port);
/* Parse a comment made by policy_rule_comment back into the policy's index
 * and rule, peer and port (POLICY_ANY when left out). 0 or -ENOENT. */
int policy_rule_comment_parse(const struct topo *t, const char *comment, size_t *policy,
			      enum policy_dir *dir, size_t *rule, size_t *peer, size_t *port);

/* ---- enforcement (nft.c) ------------------------------------------------- */

/* Queue node `node`'s table POLICY_TABLE (it must not exist in the batch's
 * namespace; replace = queue a table delete first, see policy_install).
 * Nothing is queued when the topology has no policies. Every rule carries a
 * comment naming its policy and the spec path of the rule, peer and port it
 * stands for ("x/allow-b spec.ingress[0].from[1] ports[0]"); each pod chain's
 * final drop names the pod and the policies isolating it. 0 or -ENOMEM. */
int policy_build(struct nft_batch *b, const struct topo *t, size_t node);
/* Install (or replace, atomically, in one batch) node `node`'s table in the
 * calling thread's namespace; with no policies, remove it. 0 or -errno. */
int policy_install(const struct topo *t, size_t node, struct nft_err *ne);

#endif
