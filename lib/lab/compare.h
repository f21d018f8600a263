/* compare — one namespace's plan (lab_expect) against what was read from
 * its kernel (lab_observed), as a table of small pure checks, each adding
 * findings. Nothing here reads the kernel: the unit tests give both sides.
 * Private to lib/lab/. */
#ifndef PODPATH_LAB_COMPARE_H
#define PODPATH_LAB_COMPARE_H

#include "lab/bgp.h"
#include "lab/check.h"
#include "lab/expect.h"
#include "lab/legacy.h"
#include "nft/ruleset.h"
#include "nl/nl.h"

/* The sysctl value read for expected sysctl i; absent when the file is not
 * there (its interface is gone: a finding of its own). */
struct lab_sysctl_obs {
	char value[24];
	bool absent;
};

struct lab_observed {
	struct nl_link_obs *links;
	size_t nlinks;
	struct nl_addr_obs *addrs;
	size_t naddrs;
	struct nl_route_obs *routes;
	size_t nroutes;
	struct nl_rule_obs *rules;
	size_t nrules;
	struct nl_neigh_obs *neighs, *proxies, *fdb;
	size_t nneighs, nproxies, nfdb;
	struct lab_sysctl_obs *sysctls;		/* one per expected sysctl */
	struct lab_sysctl_obs ct_count;		/* nf_conntrack_count, where _max is expected */
	struct nft_ruleset nft;
	struct legacy_item *ipt;
	size_t nipt, ipt_tables;
	bool *listening;			/* one per port of each expected process, in order */
	enum lab_health *procs;			/* one per expected process */
	/* bgp networking, from BIRD's control socket: why it could not be
	 * asked (0: it answered; -ENOENT no socket, -ECONNREFUSED nobody
	 * behind it: not running), its sessions, and for each expected
	 * session whether its export filter rejects the CIDR x announces. */
	int bird_err;
	struct lab_bgp_peer *bgp_peers;
	size_t nbgp_peers;
	bool *bgp_filtered;
	int *bgp_filter_err;			/* per session: 0, or why the filter was not asked */
};

/* Every difference of o from x (nft_want: the ruleset x should hold) into
 * out, counted in out->checked. 0 or -ENOMEM. */
int lab_compare(const struct lab_expect *x, const struct lab_observed *o,
		const struct nft_ruleset *nft_want, struct lab_check_list *out);
void lab_observed_free(struct lab_observed *o);

#endif
