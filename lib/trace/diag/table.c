/* table — the checks in precedence order, and the run that turns their
 * findings into a verdict. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace/diag/diag.h"

const struct diag_check diag_checks[] = {
	/* Before delivered: the ingress controller's 504 for a connection
	 * of its own that died is no delivery. */
	{ "upstream", diag_upstream, false },
	{ "delivered", diag_delivered, true },
	/* bgp networking: a node that sent the packet away from the node
	 * owning its destination never learned the route; what ended the
	 * packet beyond the VPC router follows from that. */
	{ "bgp", diag_bgp, false },
	/* Before nft-rule: a drop in table network-policy is the lab's
	 * NetworkPolicies speaking (or the kernel differing from them). */
	{ "network-policy", diag_policy, false },
	{ "nft-rule", diag_nft_rule, false },
	{ "iptables-legacy-rule", diag_ipt_legacy, false },
	{ "ttl-exceeded", diag_ttl_exceeded, true },
	{ "refused", diag_refused, true },
	{ "mtu", diag_mtu, true },
	{ "route", diag_route, false },
	{ "stale-endpoint", diag_stale_endpoint, false },
	{ "missing-snat", diag_missing_snat, false },
	{ "port", diag_port, false },
	{ "kernel-drop", diag_kernel_drop, false },
	{ "forward", diag_forward, false },
	{ "arp-unanswered", diag_arp_unanswered, true },
	{ "neigh-failed", diag_neigh_failed, true },
	{ "unreachable", diag_unreachable, true },
	{ "tls-failed", diag_tls_failed, true },
	{ "no-route", diag_no_route, true },
	{ "asymmetric-return", diag_asymmetric, true },
	{ "plan", diag_plan, false },
	{ "timeout", diag_timeout, true },
};
const size_t diag_nchecks = sizeof(diag_checks) / sizeof(diag_checks[0]);

static void findings_free(struct trace *t)
{
	for (size_t i = 0; i < t->nfindings; i++)
		free(t->findings[i].text);
	free(t->findings);
	t->findings = NULL;
	t->nfindings = 0;
}

int diag_run(struct trace *t)
{
	struct trace_finding f = { 0 };
	int ret = 0;

	findings_free(t);
	for (size_t i = 0; i < diag_nchecks && ret >= 0; i++) {
		struct trace_finding *nf;

		ret = diag_checks[i].fn(t, &f);
		if (ret <= 0)
			continue;
		ret = 0;
		/* After the verdict, only what adds evidence is worth a note. */
		if (t->nfindings && diag_checks[i].verdict_only)
			continue;
		/* The kernel's account of the drop the verdict already
		 * explains, at the same place: its reason joins the verdict. */
		if (t->nfindings && !strcmp(f.check, "kernel-drop") && f.ns == t->findings[0].ns &&
		    !t->findings[0].drop_reason[0]) {
			memcpy(t->findings[0].drop_reason, f.drop_reason, sizeof(f.drop_reason));
			memcpy(t->findings[0].drop_func, f.drop_func, sizeof(f.drop_func));
			continue;
		}
		nf = realloc(t->findings, (t->nfindings + 1) * sizeof(*nf));
		if (!nf) {
			ret = -ENOMEM;
			break;
		}
		t->findings = nf;
		t->findings[t->nfindings++] = f;
		f.text = NULL;	/* now the finding's */
	}
	free(f.text);
	if (ret < 0 || !t->nfindings) {
		findings_free(t);
		return -ENOMEM;
	}
	t->verdict = t->findings[0].verdict;
	t->cause = t->findings[0].cause;
	free(t->reason);
	t->reason = strdup(t->findings[0].text);
	return t->reason ? 0 : -ENOMEM;
}

void diag_free(struct trace *t)
{
	findings_free(t);
}
