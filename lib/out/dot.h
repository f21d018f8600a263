/* out/dot — a lab as a Graphviz digraph: the VPC, nodes as clusters with
 * their bridge and pods, the veth pairs and links as edges labelled with
 * both ends' interface names, the cloud's edge and the internet, Services
 * and NetworkPolicies. With a trace, the probe's path drawn on it: every
 * hop numbered at the place it was seen, the edges it crossed highlighted
 * (request red, answer blue), and where a failed probe ended marked. */
#ifndef PODPATH_OUT_DOT_H
#define PODPATH_OUT_DOT_H

#include <stdbool.h>
#include <stdio.h>

#include "lab/lab.h"

struct trace;

struct out_dot {
	const struct lab *lab;
	const bool *pod_ok;		/* per pod: ready (green) or not (red); NULL: not measured */
	const struct trace *trace;	/* NULL: the lab alone */
	const char *note;		/* a line under the title ("" or NULL: none) */
};

void out_dot(FILE *f, const struct out_dot *d);

#endif
