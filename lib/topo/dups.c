/* dups — duplicate names and addresses among pods and Services, found by
 * sorting (key, index) pairs: equal keys become adjacent, and the first in
 * document order is the one a later duplicate is reported against. */
#include <string.h>
#include <stdlib.h>

#include "topo/topo_int.h"

int topo_key_cmp_name(const void *a, const void *b)
{
	const struct topo_key *x = a, *y = b;
	int r = strcmp(x->ns, y->ns);

	if (!r)
		r = strcmp(x->name, y->name);
	if (!r)
		r = x->i < y->i ? -1 : x->i > y->i;
	return r;
}

int topo_key_cmp_ip(const void *a, const void *b)
{
	const struct topo_key *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

void topo_dups(struct topo_key *keys, size_t n, size_t *dup, bool by_ip)
{
	size_t first = 0;

	qsort(keys, n, sizeof(*keys), by_ip ? topo_key_cmp_ip : topo_key_cmp_name);
	for (size_t i = 0; i < n; i++) {
		bool same = i > 0 && (by_ip ? keys[i].ip == keys[first].ip
					    : !strcmp(keys[i].ns, keys[first].ns) &&
					      !strcmp(keys[i].name, keys[first].name));

		if (!same)
			first = i;
		dup[keys[i].i] = keys[first].i;
	}
}
