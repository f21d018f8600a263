/* lab/bgp — the BIRD daemons of a bgp-mode lab: one per node, plus the
 * route reflector in the VPC router when the lab peers through one. Their
 * files live in /run/podpath/LAB/bgp/ (NAME.conf, NAME.ctl the control
 * socket, NAME.log, NAME.pid; NAME is the node's, or LAB_BGP_RR_NAME).
 * BIRD runs in the speaker's namespace, so teardown's sweep of the lab's
 * namespaces stops it like any container process. */
#ifndef PODPATH_LAB_BGP_H
#define PODPATH_LAB_BGP_H

#include <stdbool.h>
#include <stddef.h>

#include "bgp/bgp.h"
#include "err.h"
#include "lab/lab.h"

/* The route reflector's file name: a dot, so that no node (a DNS label) has it. */
#define LAB_BGP_RR_NAME "vpc.route-reflector"
/* How long setup waits for every node to learn every route. */
#define LAB_BGP_CONVERGE_MS 60000

/* Is lab l in bgp mode? */
bool lab_bgp_mode(const struct lab *l);
/* How many speakers run BIRD (the nodes, and the reflector if used); the
 * speaker of index i (node index, or BGP_SPEAKER_RR last). */
size_t lab_bgp_nspeakers(const struct lab *l);
size_t lab_bgp_speaker(const struct lab *l, size_t i);
/* "node-1", or "the route reflector" (for sentences). */
const char *lab_bgp_speaker_label(const struct lab *l, size_t s);
/* The namespace speaker s runs in. */
const char *lab_bgp_netns(const struct lab *l, size_t s);
/* /run/podpath/LAB/bgp/NAME.EXT into buf (ext: "conf", "ctl", "log",
 * "pid"); -ENAMETOOLONG if it does not fit (a socket path: 107 bytes). */
int lab_bgp_file(const struct lab *l, size_t s, const char *ext, char *buf, size_t len);
/* Does every speaker's control socket path fit? Checked before setup builds
 * anything: a name too long is bad input (exit 2), not a half-built lab. */
int lab_bgp_paths_check(const struct lab *l, struct pp_err *e);
/* Write speaker s's configuration, with fault f (NULL: none). */
int lab_bgp_conf_write(const struct lab *l, size_t s, const struct bgp_fault *f,
		       struct pp_err *e);
/* Start speaker s's BIRD in its namespace; ready when its control socket
 * answers. The calling thread may be anywhere (it returns where it was). */
int lab_bgp_start(const struct lab *l, size_t s, struct pp_err *e);
/* Stop speaker s's BIRD as an operator would (birdc down: it closes its
 * sessions, so peers withdraw its routes at once) and wait until it is gone. */
int lab_bgp_stop(const struct lab *l, size_t s, struct pp_err *e);
/* Ask speaker s's BIRD to reload its configuration file (birdc configure). */
int lab_bgp_reload(const struct lab *l, size_t s, struct pp_err *e);
/* Open speaker s's control socket (bgp_ctl_open's errors: -ENOENT no
 * socket, -ECONNREFUSED BIRD is not running). */
int lab_bgp_ctl_open(const struct lab *l, size_t s, struct bgp_ctl **c);
/* The pid in speaker s's pid file if that process runs BIRD in s's
 * namespace; 0 if not. */
pid_t lab_bgp_pid(const struct lab *l, size_t s);

/* A session of a speaker, with the speaker it is meant to reach. */
struct lab_bgp_peer {
	size_t peer;			/* node index or BGP_SPEAKER_RR; LAB_BGP_NO_PEER if
					 * the protocol's name maps to no speaker */
	bool established;		/* bird.bgp_state is "Established" */
	bool wrong_address;		/* its neighbor address is not the peer's address */
	struct bgp_session bird;	/* as BIRD reports it */
};
#define LAB_BGP_NO_PEER ((size_t)-2)

/* Every BGP session speaker s's BIRD reports, *out malloc'ed. -ENOENT: no
 * control socket (BIRD never ran); -ECONNREFUSED: BIRD is not running. */
int lab_bgp_peers(const struct lab *l, size_t s, struct lab_bgp_peer **out, size_t *n);

/* A session's state in words, for every sentence podpath says about one:
 * "established", or "down (Active, connection refused)", "down (Connect)",
 * and for a wrong neighbor "down (Active, no route to host; its neighbor
 * address is 172.18.0.254, not node-2's 172.18.0.3)". */
void lab_bgp_session_words(const struct lab *l, const struct lab_bgp_peer *p, char *buf,
			   size_t len);

/* Where node `node`'s route to dst came from, as its BIRD tells it. */
struct lab_bgp_origin {
	struct bgp_route route;		/* BIRD's best route for dst */
	size_t learned_from;		/* the session's peer (a node or the reflector) */
	size_t announced_by;		/* the node whose pod CIDR it is (by BGP next hop),
					 * LAB_BGP_NO_PEER if none */
	struct lab_bgp_peer session;	/* the session it was learned over */
	bool have_session;
};
/* 0; -ENOENT when BIRD has no route for dst; -ECONNREFUSED etc. as above. */
int lab_bgp_origin(const struct lab *l, size_t node, uint32_t dst, struct lab_bgp_origin *o);

/* Convergence: every node has a `proto bird` route to every other node's
 * pod CIDR via that node. Wait for it up to timeout_ms; *elapsed_ms is the
 * time from since_ms (lab_bgp_clock_ms() when the BIRDs started; 0: now)
 * until then. On time-out, e names a missing route and its session's state. */
int lab_bgp_converge(const struct lab *l, long since_ms, int timeout_ms, long *elapsed_ms,
		     struct pp_err *e);
/* The same, stopping with -EINTR (e set) once *interrupted is set (a
 * signal: setup rolls back). */
int lab_bgp_converge_until(const struct lab *l, long since_ms, int timeout_ms, long *elapsed_ms,
			   volatile sig_atomic_t *interrupted, struct pp_err *e);
/* A monotonic clock in milliseconds, for since_ms. */
long lab_bgp_clock_ms(void);
/* The main table's IPv4 routes of namespace netns (what BIRD's kernel
 * protocol writes to; callers filter proto BGP_RTPROT_BIRD): *v malloc'ed.
 * 0 or -errno. */
struct nl_route_obs;
int lab_bgp_main_routes(const char *netns, struct nl_route_obs **v, size_t *n);
/* One look: how many of the expected routes are in place (of *want). */
int lab_bgp_routes_present(const struct lab *l, size_t *have, size_t *want);

#endif
