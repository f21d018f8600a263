/* observe/iptlegacy — iptables-legacy (x_tables) rules and their counters
 * in a namespace, read with libiptc, and the difference between two
 * readings: the rules whose packet counters grew while a probe passed name
 * the rule that counted it.
 *
 * Only tables that already exist in the namespace are read (its
 * /proc/net/ip_tables_names): opening a table that does not exist would
 * create it there, and an observer changes nothing. libiptc keeps some
 * static state: call these from one thread at a time. */
#ifndef PODPATH_OBS_IPTLEGACY_H
#define PODPATH_OBS_IPTLEGACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OBS_IPT_NAME_MAX 32	/* XT_TABLE_MAXNAMELEN, XT_EXTENSION_MAXNAMELEN */

/* One rule, or (num 0) a built-in chain's policy. */
struct obs_ipt_rule {
	char table[OBS_IPT_NAME_MAX];
	char chain[OBS_IPT_NAME_MAX];
	unsigned num;		/* 1-based position in its chain; 0: the chain's policy */
	uint64_t pkts, bytes;
	char target[OBS_IPT_NAME_MAX];	/* the verdict: "DROP", "REJECT", a chain; a policy's */
	char *text;		/* "-A FORWARD -s 10.244.1.0/24 -i eth0 -j DROP", or
				 * "-P FORWARD DROP" for a policy */
};

/* Every rule of every existing table, in table, chain and rule order (a
 * built-in chain's policy first, as num 0). */
struct obs_ipt_snapshot {
	struct obs_ipt_rule *rules;
	size_t n, cap;
	unsigned ntables;	/* how many tables existed */
};

/* A rule (or policy) whose packet counter grew between two snapshots. */
struct obs_ipt_delta {
	const struct obs_ipt_rule *rule;	/* in the later snapshot */
	uint64_t pkts, bytes;			/* how much it grew */
	bool new_rule;				/* absent from the earlier: counted from 0 */
};

/* Read every existing iptables-legacy table of namespace netns into s (free
 * with obs_ipt_snapshot_free; no tables: 0 rules). 0 or -errno. */
int obs_ipt_snapshot_take(const char *netns, struct obs_ipt_snapshot *s);
/* Free what a snapshot holds; s is empty after. */
void obs_ipt_snapshot_free(struct obs_ipt_snapshot *s);
/* Append one rule (text copied); for building snapshots. 0 or -ENOMEM. */
int obs_ipt_snapshot_add(struct obs_ipt_snapshot *s, const char *table, const char *chain,
			 unsigned num, uint64_t pkts, uint64_t bytes, const char *text);
/* The rules of after whose packet counter grew since before, in after's
 * order. A rule is the same rule when table, chain and text agree (the
 * k-th of identical rules of a chain pairs with the k-th), so rules
 * inserted in between shift no counts. *out is malloc'd (free it); it
 * points into after. 0 or -ENOMEM. */
int obs_ipt_diff(const struct obs_ipt_snapshot *before, const struct obs_ipt_snapshot *after,
		 struct obs_ipt_delta **out, size_t *n);

#endif
