/* enter — resolve a TARGET of the command line against a lab, and move the
 * calling process into it the way a container runtime would: the pod's
 * network namespace, its hostname and kubelet's resolv.conf. */
#ifndef PODPATH_LAB_ENTER_H
#define PODPATH_LAB_ENTER_H

#include <sys/types.h>

#include "lab/lab.h"

enum lab_target_kind { LAB_TARGET_POD, LAB_TARGET_NODE, LAB_TARGET_INTERNET };

struct lab_target {
	enum lab_target_kind kind;
	size_t index;		/* into topo.pods, topo.nodes or topo.inet.hosts */
	ssize_t container;	/* -1: none chosen */
};

/* Parse "NS/NAME", "NAME" (namespace default), "node/NAME" or "internet/NAME", with an optional
 * container; errors name the target and the lab (PP_EXIT_USAGE). */
int lab_target_parse(const struct lab *l, const char *s, const char *container,
		     struct lab_target *t, struct pp_err *e);
/* Move the calling (single-threaded) process into the target: network
 * namespace, a private mount namespace with its resolv.conf (a pod's from
 * kubelet; a node's or internet host's names the internet DNS) over
 * /etc/resolv.conf and a fresh /sys, a UTS namespace with its hostname, and
 * POD_NAME/POD_NAMESPACE/NODE_NAME/CONTAINER_NAME in the environment. */
int lab_target_enter(const struct lab *l, const struct lab_target *t, struct pp_err *e);

#endif
