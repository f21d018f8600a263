/* lab/bgp_view — one look at a bgp-mode lab's BGP, for status and explain:
 * per speaker (every node, and the route reflector when the lab uses one)
 * whether its BIRD runs, its sessions as BIRD reports them, the routes in
 * BIRD's table, and (on a node) the kernel routes `proto bird` that BIRD
 * installed. Read from BIRD's control socket and rtnetlink; nothing is
 * forked. A BIRD that does not answer is a fact of the view (err), not an
 * error of the read. */
#ifndef PODPATH_LAB_BGP_VIEW_H
#define PODPATH_LAB_BGP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lab/bgp.h"
#include "nl/nl.h"

struct lab_bgp_learned {
	struct bgp_route route;	/* BIRD's best route of a prefix, learned over BGP */
	size_t from;		/* the speaker whose session brought it (LAB_BGP_NO_PEER: unknown) */
	size_t announced_by;	/* the node whose pod CIDR it is (by next hop), or LAB_BGP_NO_PEER */
	bool in_kernel;		/* the node's kernel has it as proto bird via the same gateway */
};

/* Whether a node announces its pod CIDR: only what BIRD exports on an
 * established session counts, not the route in its table. */
enum lab_bgp_announce {
	LAB_BGP_ANN_UNKNOWN = 0,	/* BIRD could not be asked what it exports */
	LAB_BGP_ANN_YES,		/* exported on at least one established session */
	LAB_BGP_ANN_NO_ROUTE,		/* BIRD's table holds no pod_cidr route */
	LAB_BGP_ANN_NO_SESSION,		/* no established session to announce it on */
	LAB_BGP_ANN_FILTERED,		/* the export filter rejects it */
	LAB_BGP_ANN_NOT_EXPORTED,	/* established, not rejected, yet not exported */
};

struct lab_bgp_speaker_view {
	size_t s;		/* node index, or BGP_SPEAKER_RR */
	pid_t pid;		/* BIRD's pid if it runs in the speaker's namespace, else 0 */
	int err;		/* 0: BIRD answered; -ENOENT: no control socket (stopped, or
				 * never started); -ECONNREFUSED: a socket but no BIRD
				 * behind it; other -errno: it could not be asked */
	struct lab_bgp_peer *peers;
	size_t npeers;
	int routes_err;		/* BIRD's route table could not be read (0: it was) */
	struct lab_bgp_learned *learned;	/* best BGP routes in BIRD's table */
	size_t nlearned;
	enum lab_bgp_announce announce;	/* whether the node's pod CIDR goes out (nodes) */
	int kernel_err;		/* the kernel's routes could not be read (0: they were) */
	struct nl_route_obs *kernel;	/* the node's main-table routes proto bird */
	size_t nkernel;
};

struct lab_bgp_view {
	struct lab_bgp_speaker_view *v;
	size_t n;
};

/* Look at every speaker of lab l. 0, or -ENOMEM (then nothing to free);
 * per-speaker failures are in the view. Outside bgp mode: n = 0. */
int lab_bgp_view_read(const struct lab *l, struct lab_bgp_view *out);
void lab_bgp_view_free(struct lab_bgp_view *v);
/* The speaker view of speaker s (node index or BGP_SPEAKER_RR), or NULL. */
const struct lab_bgp_speaker_view *lab_bgp_view_find(const struct lab_bgp_view *v, size_t s);
/* "running", or why not: "not running, no control socket", "not running,
 * its control socket refuses connections", "cannot be asked (...)". */
const char *lab_bgp_view_health(const struct lab_bgp_speaker_view *sv, char *buf, size_t len);
/* "announced (its pod CIDR)", or what is true instead: "not announced: its
 * export filter rejects it", "not announced: no session to announce it on"... */
const char *lab_bgp_announce_words(enum lab_bgp_announce a);
/* The JSON name of a speaker: the node's name, or LAB_BGP_RR_NAME. */
const char *lab_bgp_speaker_name(const struct lab *l, size_t s);
/* How the lab peers: "iBGP full mesh of 2 nodes (a mesh up to 16 nodes)",
 * or "every node peers with a route reflector in the VPC router (...)". */
void lab_bgp_peering_words(const struct lab *l, char *buf, size_t len);

#endif
