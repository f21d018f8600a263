/* bgp — Calico-style BGP networking: the BIRD 2 configuration each node
 * (and, beyond the full-mesh threshold, the route reflector in the VPC
 * router) runs, and a client for BIRD's control socket, the same line
 * protocol birdc speaks, so podpath reads sessions and routes without
 * forking birdc. Nothing here touches the kernel or prints. */
#ifndef PODPATH_BGP_H
#define PODPATH_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "topo/topo.h"

/* Up to this many nodes every node peers with every other (Calico's
 * node-to-node mesh); beyond it, every node peers only with a route
 * reflector in the VPC router. Calico suggests ~100 nodes for a real mesh;
 * the lab keeps 1-second keepalives (BIRD 2.0 sends queued UPDATEs only
 * when a timer wakes it), so a mesh's cost grows as n*(n-1) packets a second
 * on one machine. The topology's network.bgp.nodeToNodeMesh overrides it. */
#define BGP_FULL_MESH_MAX_NODES 16
/* The protocol BIRD's kernel routes carry (RTPROT_BIRD in rtnetlink.h). */
#define BGP_RTPROT_BIRD 12

/* A speaker: node index 0..nnodes-1, or BGP_SPEAKER_RR, the route reflector. */
#define BGP_SPEAKER_RR ((size_t)-1)

/* ---- configuration ---- */

/* A fault `podpath break` writes into one speaker's configuration. */
enum bgp_fault_kind {
	BGP_FAULT_NONE,
	BGP_FAULT_WRONG_PEER,	/* the session to peer `peer` names address `addr` */
	BGP_FAULT_EXPORT_FILTER,	/* the speaker's export filter rejects its pod CIDR */
};

struct bgp_fault {
	enum bgp_fault_kind kind;
	size_t peer;		/* WRONG_PEER: node index of the peer whose address is wrong */
	uint32_t addr;		/* WRONG_PEER: the address written instead */
};

/* Does this lab peer through the route reflector (no full mesh)? */
bool bgp_uses_rr(const struct topo *t);
/* BIRD's protocol name for speaker `from`'s session with speaker `to`, as
 * Calico names them: "Mesh_172_18_0_3" for a mesh peer, "Node_172_18_0_1"
 * for a session with the route reflector or, in the reflector, a client. */
void bgp_proto_name(const struct topo *t, size_t from, size_t to, char *buf, size_t len);
/* The speaker whose session protocol `proto` is, seen from speaker `from`:
 * 0 and *peer set, or -ENOENT for a protocol that is not a session. */
int bgp_proto_peer(const struct topo *t, size_t from, const char *proto, size_t *peer);
/* The address a speaker speaks BGP from: the node's IP, or the VPC router's. */
uint32_t bgp_speaker_addr(const struct topo *t, size_t s);
/* Write speaker s's bird.conf (f may carry a fault, or be NULL); logfile
 * goes into BIRD's `log` statement. 0 or -errno (a write error). */
int bgp_conf_write(FILE *out, const struct topo *t, size_t s, const struct bgp_fault *f,
		   const char *logfile);

/* ---- the control socket ---- */

/* One line of a reply: BIRD's 4-digit code (continuation lines carry the
 * code of the line they continue) and the text after "NNNN-" or " ". */
struct bgp_line {
	int code;
	char *text;
};

/* A whole reply to one command; code is the last line's (0 = OK, 8xxx
 * runtime error, 9xxx syntax error). Start from a zeroed struct
 * (bgp_ctl_cmd zeroes it itself); the fields after `code` are the reader's
 * state between two bgp_reply_feed calls. */
struct bgp_reply {
	struct bgp_line *lines;
	size_t n;
	int code;
	bool done;		/* the last line arrived */
	size_t cap;		/* lines allocated */
	char *part;		/* an incomplete line fed so far (no newline yet) */
	size_t part_len, part_cap;
};

struct bgp_ctl;

/* Connect to a BIRD control socket and read its greeting. -ENOENT: no
 * socket file (BIRD never started there); -ECONNREFUSED: a socket file but
 * no BIRD behind it (it stopped); -ETIMEDOUT. Replies are waited for at
 * most timeout_ms each. */
int bgp_ctl_open(const char *path, int timeout_ms, struct bgp_ctl **out);
void bgp_ctl_close(struct bgp_ctl *c);
/* Send one command line (no newline) and read its whole reply into r.
 * 0 (r->code tells BIRD's answer) or -errno (the connection failed, r
 * empty; after -ETIMEDOUT a late reply may still come: close c). */
int bgp_ctl_cmd(struct bgp_ctl *c, const char *cmd, struct bgp_reply *r);
void bgp_reply_free(struct bgp_reply *r);
/* Feed raw reply bytes (as read from the socket) into r: for unit tests and
 * for bgp_ctl_cmd itself. Returns 1 when the reply is complete, 0 if more is
 * needed, -EPROTO on a malformed line. */
int bgp_reply_feed(struct bgp_reply *r, const char *data, size_t len);

/* A BGP session as `show protocols all` describes it. */
struct bgp_session {
	char proto[48];		/* "Mesh_172_18_0_3" */
	char state[12];		/* protocol state: "up", "start", "down", "flush" */
	char bgp_state[16];	/* "Established", "Active", "Connect", "Idle", "OpenSent", ... */
	char info[128];		/* the Info column after the BGP state: "Socket: Connection refused" */
	char last_error[128];	/* "Last error:" of show protocols all, "" if none */
	uint32_t neighbor;	/* Neighbor address */
	uint32_t source;	/* Source address, 0 while not established */
	bool rr_client;		/* this side reflects routes to the neighbor */
	unsigned imported, filtered, exported, preferred;	/* Routes: line */
};

/* Every BGP protocol of the speaker (other protocols skipped). *out is
 * malloc'ed (free it). 0 or -errno; -EPROTO if the reply cannot be read. */
int bgp_sessions(struct bgp_ctl *c, struct bgp_session **out, size_t *n);
int bgp_sessions_parse(const struct bgp_reply *r, struct bgp_session **out, size_t *n);

/* A route of BIRD's table, from `show route ... all`. */
struct bgp_route {
	struct cidr prefix;
	char proto[48];		/* the protocol it came from: "Mesh_172_18_0_3", "pod_cidr" */
	uint32_t from;		/* "from A": the BGP peer it was learned from, 0 if not shown */
	uint32_t gateway;	/* "via A", 0 for a device route */
	char dev[16];		/* "on DEV" or "dev DEV" */
	uint32_t bgp_next_hop;	/* BGP.next_hop, 0 if none */
	bool best;		/* marked '*' */
	bool bgp;		/* Type: BGP */
};

/* `show route <args> all`: args e.g. "" (every route), "for 10.244.2.5",
 * "10.244.2.0/24", "filtered", "noexport Mesh_172_18_0_3", "protocol
 * Mesh_172_18_0_3". *out malloc'ed; *n may be 0 (BIRD's 8001 "Network not
 * found" is no error). 0, -EINVAL (BIRD refused the command: a syntax
 * error, an unknown protocol), -EPROTO (a route line it cannot read, e.g.
 * an IPv6 one), or -errno. In `show route filtered` BIRD marks a filtered
 * route '*' too: best means "first of its prefix" there, not "in use". */
int bgp_routes(struct bgp_ctl *c, const char *args, struct bgp_route **out, size_t *n);
int bgp_routes_parse(const struct bgp_reply *r, struct bgp_route **out, size_t *n);
/* `configure`: reload the configuration file. 0, or -EINVAL with BIRD's
 * message in msg (a configuration error). */
int bgp_ctl_configure(struct bgp_ctl *c, char *msg, size_t len);
/* `down`: BIRD closes its sessions (peers withdraw its routes at once) and
 * exits. Returns once BIRD closed the control connection (it exits after
 * its sessions closed): 0, -ETIMEDOUT, or -errno. */
int bgp_ctl_down(struct bgp_ctl *c);

#endif
