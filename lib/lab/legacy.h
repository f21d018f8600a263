/* legacy — what iptables-legacy holds in the calling thread's network
 * namespace, read with libiptc: every rule, every built-in chain whose
 * policy is not ACCEPT, every user-defined chain. A lab creates none of
 * these (kube-proxy's layouts are nf_tables), so each one is a difference.
 * Only tables the namespace has are read (/proc/thread-self/net/
 * ip_tables_names): reading one would create it. Private to lib/lab/. */
#ifndef PODPATH_LAB_LEGACY_H
#define PODPATH_LAB_LEGACY_H

#include <pthread.h>
#include <stddef.h>

enum legacy_kind { LEGACY_RULE, LEGACY_POLICY, LEGACY_CHAIN };

struct legacy_item {
	enum legacy_kind kind;
	char table[32];		/* XT_TABLE_MAXNAMELEN */
	char chain[32];		/* XT_EXTENSION_MAXNAMELEN */
	unsigned index;		/* LEGACY_RULE: position in its chain, from 1 */
	char text[192];		/* RULE: as iptables-save writes it ("-A FORWARD -s 10.244.2.2/32 -j DROP");
				 * POLICY: the policy ("DROP") */
};

/* Read them into *v (malloc'd; *n of them) and count the tables read in
 * *ntables. lock serialises libiptc, which keeps a global of its own. 0 or
 * -errno. */
int legacy_ipt_read(pthread_mutex_t *lock, struct legacy_item **v, size_t *n, size_t *ntables);

#endif
