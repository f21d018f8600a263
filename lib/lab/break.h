/* break — a catalogue of faults an operator meets, applied to a live lab
 * with the kernel objects a person would touch (sysctls, routes,
 * neighbours, link state, nftables rules and set elements, iptables-legacy
 * rules, processes, conntrack entries), for practising diagnosis.
 *
 * Every change is recorded with what it replaced, read from the kernel just
 * before, and undone from that record in reverse order: an undo restores
 * exactly what was there, and a fault whose second change fails is rolled
 * back the same way. One fault at a time; the record is
 * /run/podpath/LAB/break.json, so it outlives the command and goes with the
 * lab at teardown. */
#ifndef PODPATH_LAB_BREAK_H
#define PODPATH_LAB_BREAK_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "lab/lab.h"

#define LAB_BREAK_FILE "break.json"
/* The NetworkPolicy fault policy-denies adds, in its target's namespace. */
#define LAB_BREAK_POLICY_NAME "podpath-break-deny"

/* Where a fault is applied: what --on names. */
enum lab_break_place {
	LAB_BREAK_NODE,		/* node/NAME (a bare node name is taken too) */
	LAB_BREAK_POD,		/* NAMESPACE/NAME or NAME (namespace default) */
	LAB_BREAK_SVC,		/* svc/NAMESPACE/NAME[:PORT], a Service port */
	LAB_BREAK_VPC,		/* the VPC router: "vpc", the only one */
};

/* The cross-node modes a fault needs, as bits (1 << enum topo_mode). */
#define LAB_BREAK_MODE(m) (1u << (m))
#define LAB_BREAK_ANY_MODE 0u

/* A catalogue entry, as --list shows it. */
struct lab_break_fault {
	const char *name;	/* fixed: scripts and tests name faults by it */
	const char *summary;	/* one line: what goes wrong */
	const char *touches;	/* the kernel object it changes */
	enum lab_break_place place;
	unsigned modes;		/* LAB_BREAK_MODE bits; LAB_BREAK_ANY_MODE: every mode */
};

/* The catalogue, in a fixed order. */
size_t lab_break_count(void);
const struct lab_break_fault *lab_break_get(size_t i);
/* A fault by name, or NULL. */
const struct lab_break_fault *lab_break_find(const char *name);
/* The place's word for --list: "node", "pod", "service", "vpc". */
const char *lab_break_place_name(enum lab_break_place p);
/* The same for sentences: "a node", "a Service port", "the VPC router". */
const char *lab_break_place_noun(enum lab_break_place p);
/* "routed", "routed or vxlan", ... or "any" for f's modes, into buf. */
void lab_break_modes_text(const struct lab_break_fault *f, char *buf, size_t len);

/* A fault's target in one lab. */
struct lab_break_target {
	enum lab_break_place place;
	size_t index;		/* node, pod or Service index (0 for the VPC) */
	size_t port;		/* LAB_BREAK_SVC: the Service port's index */
	char label[3 * TOPO_LABEL_MAX + 16];	/* "node/node-2", "default/web-2", "svc/default/web:80" */
};

/* 0 if fault f can be applied to lab l at all (its mode, what its
 * topology holds); else -EOPNOTSUPP with the reason in why. */
int lab_break_applies(const struct lab *l, const struct lab_break_fault *f, char *why,
		      size_t len);
/* --on TARGET for fault f in lab l: 0, or PP_EXIT_USAGE in e naming --on
 * and the value (no such object, the wrong kind, one f cannot act on). */
int lab_break_target_parse(const struct lab *l, const struct lab_break_fault *f, const char *on,
			   struct lab_break_target *t, struct pp_err *e);
/* The target f takes without --on: the one whose suggested trace fails in
 * the default lab (the default destination pod, its node, Service web...).
 * 0, or PP_EXIT_USAGE in e if the lab has none f can act on. */
int lab_break_target_default(const struct lab *l, const struct lab_break_fault *f,
			     struct lab_break_target *t, struct pp_err *e);
/* Every target f can act on in l, up to max into out; how many there are. */
size_t lab_break_targets(const struct lab *l, const struct lab_break_fault *f,
			 struct lab_break_target *out, size_t max);
/* The podpath command whose probe the fault makes fail, for target t:
 * "trace default/client default/web-2". */
void lab_break_trace(const struct lab *l, const struct lab_break_fault *f,
		     const struct lab_break_target *t, char *buf, size_t len);

/* A fault of the catalogue that applies to l and one of its targets, both
 * drawn at random (getrandom). 0, -ENOENT if none applies, or -ENOMEM. */
int lab_break_pick(const struct lab *l, const struct lab_break_fault **f,
		   struct lab_break_target *t);
/* A number below n drawn at random (0 when n is 0). */
size_t lab_break_random_below(size_t n);

/* One change a fault made, as a report shows it. */
struct lab_break_change {
	char where[2 * TOPO_LABEL_MAX + 16];	/* "node node-2", "pod default/web-2", "VPC router" */
	char what[320];				/* "sysctl net.ipv4.ip_forward", "route 10.244.2.2/32" */
	char before[160], after[160];		/* "1", "0"; "none" when there was nothing */
	char show[512];				/* the command that shows it */
};

/* The fault present in a lab. */
struct lab_break_state {
	char fault[32];
	char target[sizeof(((struct lab_break_target *)0)->label)];
	bool hidden;			/* applied by --random: status does not name it */
	long long applied;		/* unix time */
	char trace[512];		/* the suggested trace, a podpath command */
	struct lab_break_change *changes;
	size_t nchanges;
};

/* Apply fault f to target t of lab l (hidden: for --random), under the
 * lab's lock, and record it in break.json; s receives the record. 0; or
 * -EEXIST (PP_EXIT_USAGE) when a fault is present already; or the failure
 * of a change (everything changed before it undone). */
int lab_break_apply(struct lab *l, const struct lab_break_fault *f,
		    const struct lab_break_target *t, bool hidden, struct lab_break_state *s,
		    struct pp_err *e);
/* Undo the fault present in l: every change reverted, last first, then
 * break.json removed; s receives what was undone. -ENOENT (PP_EXIT_FAIL)
 * when there is none. A change that cannot be reverted stops the undo with
 * the record kept, narrowed to what is left to undo. */
int lab_break_undo(struct lab *l, struct lab_break_state *s, struct pp_err *e);
/* The fault present in lab `lab`: 1 with s filled, 0 if none, or -errno
 * with e set (a damaged record). */
int lab_break_read(const char *lab, struct lab_break_state *s, struct pp_err *e);
void lab_break_state_free(struct lab_break_state *s);

#endif
