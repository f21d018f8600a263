/* services — kube-proxy's rules in the nodes: errors named after their
 * Service. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lab/internal.h"
#include "nft/nft.h"

int lab_proxy_err(struct pp_err *e, const struct topo *t, const char *node,
		  const struct nft_err *ne)
{
	enum pp_exit kind = PP_EXIT_FAIL;
	char who[2 * TOPO_LABEL_MAX + 16] = "";

	if (ne->tag >= 0 && (size_t)ne->tag < t->nservices)
		snprintf(who, sizeof(who), "Service \"%s/%s\": ", t->services[ne->tag].ns,
			 t->services[ne->tag].name);
	/* An expression or object type the kernel lacks is the environment. */
	if (ne->code == -EOPNOTSUPP || ne->code == -EAFNOSUPPORT ||
	    ne->code == -EPROTONOSUPPORT)
		kind = PP_EXIT_ENV;
	return pp_err_set(e, kind, ne->code, "%snode \"%s\": kube-proxy rules: %s: %s%s%s%s",
			  who, node, ne->what[0] ? ne->what : "nf_tables batch",
			  strerror(-ne->code), ne->ext[0] ? " (kernel: " : "", ne->ext,
			  ne->ext[0] ? ")" : "");
}
