/* nftrace — nftables trace events for one probe in one network namespace.
 *
 * Arming adds a temporary table (family inet, named "podpath-trace-<tag>")
 * whose chains at prerouting and output (priority -350, before conntrack and
 * NAT) set `meta nftrace 1` for packets of the probe only, and opens a
 * NFNLGRP_NFTRACE listener in the same namespace. Every base chain the
 * packet then passes in that namespace reports rule, verdict and policy
 * events, decoded with libnftnl's trace API. Disarming deletes the table
 * and closes the sockets. Nothing else in the namespace is touched. */
#ifndef PODPATH_NFTRACE_H
#define PODPATH_NFTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Which packets to trace: both directions of one flow are matched, i.e. a
 * packet matches if (saddr,sport,daddr,dport) or the swapped tuple fits.
 * Zero fields are wildcards. proto is IPPROTO_TCP, IPPROTO_UDP or
 * IPPROTO_ICMP (ICMP: sport is the echo id, dport unused). */
struct nftrace_match {
	uint8_t proto;
	uint32_t saddr, daddr;	/* host byte order */
	uint16_t sport, dport;
	/* And every packet of proto from or to one of these addresses (a
	 * proxy's: the connections it opens on the probe's behalf have ports
	 * nobody knows before they exist). Copied at arming. */
	const uint32_t *hosts;
	size_t nhosts;
};

enum nftrace_kind { NFTRACE_RULE, NFTRACE_RETURN, NFTRACE_POLICY, NFTRACE_OTHER };

struct nftrace_event {
	uint32_t id;			/* NFTA_TRACE_ID: same for one packet's events */
	enum nftrace_kind kind;
	char table[64];
	char chain[256];
	uint8_t family;			/* NFPROTO_* */
	uint32_t hook;			/* NF_INET_* of the base chain reached */
	uint64_t handle;		/* rule handle (kind RULE), else 0 */
	int verdict;			/* NF_ACCEPT, NF_DROP, NFT_JUMP, NFT_GOTO, NFT_CONTINUE, NFT_RETURN ... */
	char jump_target[256];		/* chain of a jump/goto verdict */
	char comment[256];		/* the rule's comment (userdata, or an xtables comment match) */
	char rule[256];			/* short text of the rule: "handle 4: ... drop" best effort */
	char iif[16], oif[16];		/* interface names, "" if absent */
	uint32_t mark;
	/* Network header of the packet as traced (IPv4), when present. */
	uint32_t saddr, daddr;
	uint8_t proto;
	uint16_t sport, dport;
	uint64_t ts_ns;			/* CLOCK_REALTIME when received (the kernel sends no time) */
};

struct nftrace;

/* Arm tracing in /run/netns/NETNS (tag makes the table name unique per
 * trace, e.g. the podpath pid). PP_EXIT_ENV if nf_tables is missing. */
int nftrace_arm(const char *netns, const char *tag, const struct nftrace_match *m,
		struct nftrace **out, struct pp_err *e);
/* The listener's fd, readable when events wait (for poll). */
int nftrace_fd(const struct nftrace *t);
/* Read every waiting event (non-blocking) into ev (up to max); returns how
 * many, or -errno. Rule comments and text are looked up for RULE events. */
int nftrace_read(struct nftrace *t, struct nftrace_event *ev, size_t max);
/* Delete the table, close the sockets, free t. Safe with NULL. */
void nftrace_disarm(struct nftrace *t);
/* Remove leftover podpath-trace-* tables in NETNS (after a crash). */
int nftrace_sweep(const char *netns);

#endif
