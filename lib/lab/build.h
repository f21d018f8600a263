/* build — what setup's steps share while a lab is being built: the
 * namespaces and netlink sockets made so far, and entering, committing to
 * and pinning a new namespace. Private to lib/lab/. */
#ifndef PODPATH_LAB_BUILD_H
#define PODPATH_LAB_BUILD_H

#include "lab/internal.h"
#include "nl/nl.h"

struct build {
	struct lab *l;
	const struct lab_plan *p;
	const struct topo *t;
	int origin_fd;		/* the namespace podpath runs in; always returned to */
	int vpc_fd;
	struct nl *vpc_nl;
	int *node_fd;
	struct nl **node_nl;
	struct lab_spawner *spawner;	/* starts containers of finished pods */
	int gw_fd, lb_fd, inet_fd;	/* the edge's namespaces */
	struct nl *gw_nl, *lb_nl, *inet_nl;
	struct pp_err *e;
	volatile sig_atomic_t *interrupted;	/* set by a signal: stop, roll back */
};

enum ns_role { NS_POD, NS_NODE, NS_ROUTER };

/* -EINTR with b->e set if a signal asked setup to stop; 0 otherwise. Every
 * step of setup calls it before it starts. */
int build_interrupted(struct build *b);

/* Send what nl has queued; a kernel error is reported against obj. */
int build_commit(struct build *b, struct nl *nl, const char *obj);
/* Enter a new namespace for obj, set its sysctls for role, open its socket
 * and fd, and queue lo up with the lab's marker. The thread stays inside
 * until build_ns_finish() or a failure (then it is back home). */
int build_ns_begin(struct build *b, const char *obj, enum ns_role role, int *fd, struct nl **nl);
/* Commit what was queued on nl, pin the namespace as netns, return home. */
int build_ns_finish(struct build *b, const char *obj, const char *netns, struct nl *nl);

/* The edge (edge.c): the cloud gateway, the load balancer, the internet
 * router and the VPC router's links to them, after the nodes exist. */
int build_edge(struct build *b);
/* The internet's hosts; their programs are queued on b->spawner. */
int build_inet_hosts(struct build *b);
/* Release the edge's sockets and fds. */
void build_edge_release(struct build *b);

#endif
