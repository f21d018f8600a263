/* out/dot — a lab as a Graphviz digraph: the VPC, nodes as clusters with
 * their bridge and pods, the veth pairs and links as edges labelled with
 * both ends' interface names, the cloud's edge and the internet, Services
 * and NetworkPolicies. With a trace, the probe's path drawn on it: every
 * hop numbered at the place it was seen, the edges it crossed highlighted
 * (request red, answer blue), and where a failed probe ended marked. In
 * bgp mode, given the BIRDs' view, an edge per BGP session between its
 * speakers (nodes, and the route reflector in the VPC router), labelled
 * with its state: green when established, red and dashed when not. */
#ifndef PODPATH_OUT_DOT_H
#define PODPATH_OUT_DOT_H

#include <stdbool.h>
#include <stdio.h>

#include "lab/lab.h"

struct trace;
struct lab_bgp_view;

struct out_dot {
	const struct lab *lab;
	const bool *pod_ok;		/* per pod: ready (green) or not (red); NULL: not measured */
	const struct trace *trace;	/* NULL: the lab alone */
	const char *note;		/* a line under the title ("" or NULL: none) */
	const struct lab_bgp_view *bgp;	/* bgp mode: the sessions to draw; NULL: none */
};

void out_dot(FILE *f, const struct out_dot *d);

#endif
