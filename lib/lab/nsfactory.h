/* nsfactory — pod namespaces made ahead on a thread of their own, pinned
 * and marked, each with a netlink socket open inside. Private to lib/lab/. */
#ifndef PODPATH_LAB_NSFACTORY_H
#define PODPATH_LAB_NSFACTORY_H

#include <stddef.h>

#include "err.h"
#include "nl/nl.h"

struct build;
struct ns_factory;

/* Start making the namespaces of b's pods, in order (b is copied; the
 * caller must be in its home namespace). */
int ns_factory_start(const struct build *b, struct ns_factory **f);
/* Pod i's namespace (taken in order): its fd and socket, now the caller's
 * to close. A failure to make it is returned with the factory's error in e. */
int ns_factory_take(struct ns_factory *f, size_t i, int *fd, struct nl **nl, struct pp_err *e);
/* Stop and free; namespaces made but not taken stay pinned (for rollback). */
void ns_factory_stop(struct ns_factory *f);

#endif
