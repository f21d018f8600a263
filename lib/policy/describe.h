/* policy/describe — NetworkPolicies in words, for status, explain and
 * break: selectors as kubectl prints them ("app=web,tier in (a,b)"), peers,
 * ports and rules as short phrases. Pure functions of the topology; every
 * text is cut to the buffer given (never past it), and a cut one ends in
 * "...". */
#ifndef PODPATH_POLICY_DESCRIBE_H
#define PODPATH_POLICY_DESCRIBE_H

#include <stddef.h>

#include "policy/policy.h"
#include "topo/topo.h"

/* A label selector as kubectl writes one (metav1.FormatLabelSelector):
 * "app=web,tier in (a,b),tier notin (c),x,!y"; "" for the empty selector,
 * which selects everything. */
void policy_desc_selector(const struct topo_selector *s, char *buf, size_t len);
/* spec.policyTypes: "Ingress", "Egress", "Ingress,Egress" (or "" if none). */
const char *policy_desc_types(const struct topo_policy *p);
/* "ingress" or "egress". */
const char *policy_desc_dir(enum policy_dir dir);
/* One from/to entry of policy p: "pods app=client in namespace default",
 * "every pod in namespaces team=x", "pods a=b in namespaces c=d",
 * "ipBlock 10.0.0.0/8 except 10.1.0.0/16". */
void policy_desc_peer(const struct topo_policy *p, const struct topo_np_peer *peer, char *buf,
		     size_t len);
/* One ports entry: "8080/TCP", "http/TCP" (named), "8000-8080/TCP",
 * "every TCP port". */
void policy_desc_port(const struct topo_np_port *port, char *buf, size_t len);
/* Rule r of p's direction dir: "from pods app=client in namespace
 * default, port http/TCP" (egress: "to ..."); no peers "from anywhere", no
 * ports ", every port"; several of each joined by " or ". */
void policy_desc_rule(const struct topo_policy *p, enum policy_dir dir, size_t r, char *buf,
		     size_t len);

/* How many pods of t policy p selects, and isolates in direction dir. */
size_t policy_desc_selected(const struct topo *t, const struct topo_policy *p);
size_t policy_desc_isolated(const struct topo *t, const struct topo_policy *p,
			     enum policy_dir dir);

#endif
