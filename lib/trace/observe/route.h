/* observe/route — ask a namespace's FIB the question a packet asked it.
 *
 * A lookup as `ip route get DST from SRC iif IF mark M` does it: with an
 * input interface the kernel takes the forwarding path (ip_route_input),
 * so reverse-path filtering and the input device's forwarding switch take
 * part, which a plain output lookup never shows. The answer is the kernel's
 * own: its error, or the route it chose and the FIB entry that matched.
 *
 * A refused lookup returns only an error (RTM_F_FIB_MATCH too: the kernel
 * fails before it reports the entry), so obs_route_match finds the entry
 * the packet met by walking the rules and tables the way fib_lookup does:
 * a blackhole, unreachable or prohibit entry, or the route that exists
 * when the source or the input device was refused. Addresses are host
 * byte order. */
#ifndef PODPATH_OBS_ROUTE_H
#define PODPATH_OBS_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#ifndef OBS_IFNAMSIZ
#define OBS_IFNAMSIZ 16	/* IFNAMSIZ; net/if.h here would clash with linux/if.h */
#endif

/* What the packet looked like when it asked. Zero fields are left out. */
struct obs_route_query {
	uint32_t dst;
	uint32_t src;		/* source address; needed with iif */
	const char *iif;	/* input interface: a forwarded or received packet;
				 * NULL: a packet this namespace sends */
	uint32_t mark;		/* fwmark, for policy routing rules */
};

struct obs_route {
	int err;		/* 0: routed. Else the kernel's answer: -ENETUNREACH no
				 * route; -EHOSTUNREACH an unreachable entry, or (iif)
				 * forwarding off on iif; -EACCES prohibit; -EINVAL a
				 * blackhole, a martian, or (kernels since 6.13) the
				 * reverse-path filter; -EXDEV the filter (older kernels) */
	bool rp_filter;		/* the reverse-path filter of iif refused src: the
				 * kernel said -EXDEV, or said -EINVAL where asking
				 * its question again (a way back to src, and by iif
				 * in strict mode) finds none */
	bool forwarding_off;	/* iif lookup refused because iif does not forward
				 * (a route exists: err -EHOSTUNREACH) */
	bool matched;		/* the entry fields below are known */
	uint8_t type;		/* RTN_UNICAST, RTN_LOCAL, RTN_BLACKHOLE, ... */
	uint32_t table;		/* RT_TABLE_MAIN, ...; 0 when a rule decided */
	uint8_t protocol;	/* RTPROT_KERNEL, RTPROT_STATIC, ... */
	uint8_t scope;		/* RT_SCOPE_* */
	uint32_t dst;		/* the matching entry's prefix */
	uint8_t plen;
	uint32_t gw;		/* 0: directly connected */
	int oif;		/* 0: none (an error route) */
	char oif_name[OBS_IFNAMSIZ];
	uint32_t prefsrc;	/* the source the kernel would pick; 0 if none */
	int64_t rule_prio;	/* the FIB rule that led here, when obs_route_match
				 * found the entry; -1: the kernel does not say */
};

/* Look q up in namespace netns (/run/netns name or a path). 0 with r filled,
 * whether the kernel routed it or refused it (r->err); a refused lookup
 * names the entry the packet met (r->matched, from obs_route_match) and
 * why, where the kernel's answer allows (rp_filter, forwarding_off).
 * -errno when the question could not be asked (-ENODEV: no such iif). */
int obs_route_get(const char *netns, const struct obs_route_query *q, struct obs_route *r);
/* The FIB entry q meets, found by walking the rule list and the tables (a
 * dump) as fib_lookup does: longest prefix, then lowest metric; throw goes
 * on to the next rule; a rule's own blackhole/unreachable/prohibit action
 * counts. 0 with r filled (r->err is the error that entry gives), -ENOENT
 * if nothing matches, or -errno. Selectors it does not model (tos, uid,
 * ip_proto, ports, l3mdev) make a rule not match. */
int obs_route_match(const char *netns, const struct obs_route_query *q, struct obs_route *r);

/* The kernel's rules and routes as obs_route_match reads them (host order). */
struct obs_fib_rule {
	uint32_t prio;
	uint8_t action;		/* FR_ACT_TO_TBL, FR_ACT_BLACKHOLE, ... */
	uint32_t table;
	uint32_t src, dst;
	uint8_t src_len, dst_len, tos;
	bool has_mark, invert;
	uint32_t mark, mask;
	char iif[OBS_IFNAMSIZ], oif[OBS_IFNAMSIZ];	/* "" = any */
	int suppress_plen;	/* -1: none */
	bool unmodeled;		/* a selector obs_fib_walk does not evaluate */
};
struct obs_fib_entry {
	uint32_t table;
	uint32_t dst;
	uint8_t plen, type, protocol, scope, tos;
	uint32_t metric;
	uint32_t gw;		/* first next hop's */
	int oif;
	uint32_t prefsrc;
};
/* Pure: the entry q meets among rules (in priority order) and entries, as
 * obs_route_match describes; r->oif_name is left empty. 0 or -ENOENT. */
int obs_fib_walk(const struct obs_fib_rule *rules, size_t nrules,
		 const struct obs_fib_entry *ents, size_t nents,
		 const struct obs_route_query *q, struct obs_route *r);

/* "unicast", "local", "blackhole", ... for RTN_*; "type N" otherwise (buf 16). */
const char *obs_route_type_name(uint8_t type, char *buf);
/* The error a lookup that meets an entry of this type returns (0 for types
 * that route), as the kernel's fib_props table says. */
int obs_route_type_err(uint8_t type);

#endif
