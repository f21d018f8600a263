/* ct — conntrack's view of a probe: the entries of one namespace's
 * connection table whose original direction is one of the probe's packets,
 * with the reply tuple that shows any NAT. Read with libnetfilter_conntrack. */
#ifndef PODPATH_CT_H
#define PODPATH_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ct_tuple {
	uint32_t src, dst;	/* host byte order */
	uint16_t sport, dport;	/* ICMP: sport = echo id */
};

struct ct_entry {
	uint8_t proto;
	struct ct_tuple orig, reply;
	bool snat, dnat;	/* IPS_SRC_NAT / IPS_DST_NAT */
	char state[16];		/* TCP state, "" for others */
	uint32_t mark;
};

/* Entries in /run/netns/NETNS (or a path) whose original tuple equals one of
 * want[] (proto plus tuple). Up to max into out; returns how many, or -errno. */
int ct_lookup(const char *netns, uint8_t proto, const struct ct_tuple *want, size_t nwant,
	      struct ct_entry *out, size_t max);

#endif
