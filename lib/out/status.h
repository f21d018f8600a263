/* out/status — a lab's status as aligned text, JSON and Graphviz DOT.
 * Health is measured by the caller (lab_container_health) and passed in. */
#ifndef PODPATH_OUT_STATUS_H
#define PODPATH_OUT_STATUS_H

#include <stdbool.h>
#include <stdio.h>

#include "lab/check.h"
#include "lab/break.h"
#include "lab/lab.h"
#include "lab/bgp_view.h"

/* health[pod][container] as measured; NULL pointers mean "not measured". */
struct out_status {
	const struct lab *lab;
	enum lab_health **health;
	enum lab_health *inet_health;	/* per internet host; NULL: not measured */
	const struct lab_check_list *damage;	/* what is missing; NULL: not checked */
	const struct lab_break_state *fault;	/* podpath break's fault present; NULL: none */
	const struct lab_bgp_view *bgp;	/* bgp mode: the BIRDs as read; NULL: not read */
	bool color;
};

/* The damage alone, one line per finding with the command that shows it
 * (nothing if there is none). */
void out_status_damage_text(FILE *f, const struct out_status *s);

/* Text tables: summary line, nodes, pods with containers, Services,
 * Ingresses, NetworkPolicies and namespaces' labels (only when the lab has
 * policies), in bgp mode the BGP sessions and learned routes, the internet. */
void out_status_text(FILE *f, const struct out_status *s);
/* {"schema":1, "lab", "network", "nodes", "pods", ..., "namespaces",
 * "networkPolicies", ..., in bgp mode "bgp": {"speakers": [{"sessions",
 * "routes"}]}}; caller owns the result. */
struct json_t *out_status_json(const struct out_status *s);
/* bgp mode: {"asNumber", "nodeToNodeMesh", "routeReflector", "speakers":
 * [{"name", "health", "sessions": [...], "routes": [...], "announces"}]},
 * as status -j has it under "bgp" (explain cross-node -j too). */
struct json_t *out_status_bgp_json(const struct lab *l, const struct lab_bgp_view *bv);
/* A Graphviz digraph: VPC, nodes as clusters, pods inside, links as edges;
 * Services to their endpoints, NetworkPolicies to the pods they isolate,
 * in bgp mode the BGP sessions between the speakers. */
void out_status_dot(FILE *f, const struct out_status *s);

#endif
