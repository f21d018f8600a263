/* policies — NetworkPolicy enforcement in the nodes: each node's table "ip
 * network-policy" (lib/policy), errors named after their policy. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lab/internal.h"
#include "netns/netns.h"
#include "nft/nft.h"
#include "policy/policy.h"

int lab_policy_err(struct pp_err *e, const struct topo *t, const char *node,
		   const struct nft_err *ne)
{
	enum pp_exit kind = PP_EXIT_FAIL;
	char who[2 * TOPO_LABEL_MAX + 24] = "";

	if (ne->tag >= 0 && (size_t)ne->tag < t->npolicies)
		snprintf(who, sizeof(who), "NetworkPolicy \"%s/%s\": ", t->policies[ne->tag].ns,
			 t->policies[ne->tag].name);
	/* An expression or object type the kernel lacks is the environment. */
	if (ne->code == -EOPNOTSUPP || ne->code == -EAFNOSUPPORT ||
	    ne->code == -EPROTONOSUPPORT)
		kind = PP_EXIT_ENV;
	return pp_err_set(e, kind, ne->code, "%snode \"%s\": network-policy rules: %s: %s%s%s%s",
			  who, node, ne->what[0] ? ne->what : "nf_tables batch",
			  strerror(-ne->code), ne->ext[0] ? " (kernel: " : "", ne->ext,
			  ne->ext[0] ? ")" : "");
}

struct install {
	const struct topo *t;
	size_t node;
	struct nft_err ne;
};

static int install_here(void *arg)
{
	struct install *in = arg;

	return policy_install(in->t, in->node, &in->ne);
}

int lab_policies_apply(struct lab *l, struct pp_err *e)
{
	const struct topo *t = &l->topo;

	for (size_t i = 0; i < t->nnodes; i++) {
		struct install in = { .t = t, .node = i, .ne = { .tag = -1 } };
		int ret = netns_run(l->plan.nodes[i].netns, install_here, &in);

		if (ret < 0 && !in.ne.code) {	/* entering or leaving failed */
			in.ne.code = ret;
			snprintf(in.ne.what, sizeof(in.ne.what), "enter namespace %s",
				 l->plan.nodes[i].netns);
		}
		if (ret < 0)
			return lab_policy_err(e, t, t->nodes[i].name, &in.ne);
	}
	return lab_state_write(l, e);
}
