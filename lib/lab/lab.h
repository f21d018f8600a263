/* lab — build, load, inspect and remove a lab: the kernel objects of a
 * resolved topology, its container processes and its state in
 * /run/podpath/LAB/. Teardown finds objects by ownership (netns name prefix
 * plus the "podpath:LAB" marker on each namespace's lo), never by state. */
#ifndef PODPATH_LAB_H
#define PODPATH_LAB_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"
#include "lab/plan.h"
#include "topo/topo.h"

#define LAB_RUN_DIR "/run/podpath"
#define LAB_DEFAULT_NAME "podpath"
#define LAB_CA_FILE "ca.pem"	/* the lab's CA: trust it to verify the ingress's TLS */
/* How nginx's X-Podpath-Ingress response header starts when no Ingress rule
 * matched and the default backend answered (ingress.c writes it, trace
 * reads it); the rest says what did not match: "no Ingress rule matched
 * host H[ path P]". */
#define LAB_INGRESS_DEFAULT_BACKEND "default backend: "
/* The lab's nginx gives up connecting to an endpoint after this long and
 * tries at most this many endpoints for one request (ingress-nginx's
 * proxy-connect-timeout and proxy-next-upstream-tries). */
#define LAB_INGRESS_CONNECT_TIMEOUT_S 5
#define LAB_INGRESS_UPSTREAM_TRIES 3
/* The temporary nftables table a trace arms in every namespace it watches
 * ("podpath-trace-<tag>"): an observer, not part of the lab (check skips it). */
#define LAB_TRACE_TABLE_PREFIX "podpath-trace-"

struct lab {
	char name[LAB_NAME_MAX + 1];
	struct topo topo;		/* resolved */
	struct lab_plan plan;
	pid_t **pids;			/* [pod][container]; 0 = not running */
	pid_t *inet_pids;		/* [internet host]; 0 = runs nothing */
	long long created;		/* unix time of setup */
	char responder[PATH_MAX];	/* the container program (setup only) */
	uid_t run_uid;			/* the user containers run as (setup only) */
	gid_t run_gid;
	long bgp_started_ms;		/* bgp mode, setup only: when BIRD started (lab_bgp_clock_ms) */
	long bgp_converge_ms;		/* ... and how long until every route was in place */
	long bgp_wait_ms;		/* ... of which setup, all else built, only waited */
};

struct lab_setup_opts {
	/* Called after each pod is built (may be NULL). */
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
	/* Set asynchronously (SIGINT/SIGTERM) to stop and roll back. */
	volatile sig_atomic_t *interrupted;
};

struct lab_teardown_report {
	size_t netns, processes, files;	/* what was removed */
};

enum lab_health {
	LAB_HEALTH_OK,
	LAB_HEALTH_DOWN,		/* its process is not running */
	LAB_HEALTH_UNRESPONSIVE,	/* running, but no answer on its first port */
	LAB_HEALTH_NO_NETNS,		/* running, in a namespace no longer pinned */
};

/* Build lab l->name from l->topo (resolved). On failure everything built is
 * removed again. Takes the lab lock. Fills l->plan and l->pids. */
int lab_setup(struct lab *l, const struct lab_setup_opts *o, struct pp_err *e);
/* Remove every object of lab `name` (all labs if all is true), with or
 * without state; idempotent. Takes the lab lock. */
int lab_teardown(const char *name, bool all, struct lab_teardown_report *r, struct pp_err *e);
/* Load a lab's state (topology, plan, pids). -ENOENT with e set if no lab. */
int lab_load(struct lab *l, const char *name, struct pp_err *e);
/* True if any object of lab `name` exists (state or a namespace). */
bool lab_exists(const char *name);
/* Release what lab_load/lab_setup allocated. */
void lab_free(struct lab *l);

/* Health of one container: its process is alive, in the pod's namespace, and
 * answers on its first port from inside the pod (like a kubelet probe). */
enum lab_health lab_container_health(const struct lab *l, size_t pod, size_t container);
/* The same for internet host h's program (a client is always ok). */
enum lab_health lab_host_health(const struct lab *l, size_t h);
const char *lab_health_name(enum lab_health h);
/* Is pid running in netns? OK, DOWN, or NO_NETNS (it runs the image's
 * program in a namespace no longer pinned): health without the probe. */
enum lab_health lab_process_state(const char *netns, pid_t pid, enum topo_image image);

/* Is podpath privileged over lab l's namespaces (it can enter them)? 0; or
 * PP_EXIT_ENV in e, -EPERM, e.g. inside a user namespace that is not the
 * lab's: then every health and kernel check would read as "down". */
int lab_access_check(const struct lab *l, struct pp_err *e);

/* Install lab l's NetworkPolicies (l->topo.policies, resolved) on every
 * node, replacing each node's table "ip network-policy" atomically (one
 * batch per node; with no policies the table goes), then write the lab's
 * state so that trace, status and check see the same policies. Used by
 * setup's last step and by podpath break. Takes no lock: the caller holds
 * the lab's. 0 or -errno with e set, naming the node and the object. */
int lab_policies_apply(struct lab *l, struct pp_err *e);

/* The resolv.conf "namespace" of nodes and internet hosts: not a valid
 * Kubernetes namespace, so it never meets a pod's. */
#define LAB_RESOLV_INTERNET "_internet"
/* Path of the resolv.conf kubelet would write for pods of namespace ns. */
int lab_resolv_conf_path(const struct lab *l, const char *ns, char *buf, size_t len);

#endif
