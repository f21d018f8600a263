/* nft-rule — an nftables rule (or a chain's policy) dropped or rejected
 * the probe: the trace events name the table, chain and rule. */
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>

#include "trace/diag/diag.h"

static const struct nftrace_event *nft_drop(const struct trace *t, size_t *ns)
{
	for (size_t i = 0; i < t->nnft; i++)
		if ((t->nft[i].kind == NFTRACE_RULE || t->nft[i].kind == NFTRACE_POLICY) &&
		    t->nft[i].verdict == NF_DROP) {
			*ns = t->nft_ns[i];
			return &t->nft[i];
		}
	return NULL;
}

/* Without a lab, kube-proxy's own rules still say a Service has no
 * endpoints: its nftables layout sends such destinations through the
 * no-endpoint-services (or -nodeports) map before the drop at ns. The
 * rule's text is the kernel's (nftrace), not another module's words. */
static bool no_endpoints_by_rules(const struct trace *t, size_t ns)
{
	for (size_t i = 0; i < t->nnft; i++)
		if (t->nft_ns[i] == ns && strstr(t->nft[i].rule, "@no-endpoint-"))
			return true;
	return false;
}

static const char *family_name(uint8_t family)
{
	switch (family) {
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_NETDEV:
		return "netdev";
	case NFPROTO_ARP:
		return "arp";
	default:
		return "ip6";
	}
}

int diag_nft_rule(const struct trace *t, struct trace_finding *f)
{
	const struct nftrace_event *drop;
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], svc[200] = "";
	bool reject;
	size_t ns;

	drop = nft_drop(t, &ns);
	if (!drop)
		return 0;
	/* A drop of the lab's NetworkPolicy rules: the network-policy check
	 * has named it, with the policies behind it. */
	for (size_t d = 0; d < 2 && !strcmp(drop->table, POLICY_TABLE); d++)
		if (t->policy[d].valid && t->policy[d].nft == TRACE_POLICY_NFT_DROP)
			return 0;
	reject = strcasestr(drop->rule, "reject") != NULL;
	diag_start(f, "nft-rule", TRACE_DROPPED, (ssize_t)ns);
	diag_last_seen(t, seen, sizeof(seen));
	/* kube-proxy refuses a Service without endpoints at once. */
	if (t->svc.svc >= 0 &&
	    !topo_svc_port_endpoints(&t->lab->topo.services[t->svc.svc], t->svc.port)) {
		f->cause = "service-no-endpoints";
		snprintf(svc, sizeof(svc), "Service %s/%s port %u has no endpoints: ",
			 t->lab->topo.services[t->svc.svc].ns, t->lab->topo.services[t->svc.svc].name,
			 t->lab->topo.services[t->svc.svc].ports[t->svc.port].port);
	} else if (no_endpoints_by_rules(t, ns)) {
		/* The rules say so, whatever the lab's plan holds (podpath
		 * check names the difference). */
		f->cause = "service-no-endpoints";
		snprintf(svc, sizeof(svc), "a Service without endpoints in kube-proxy's rules (its "
			 "no-endpoint map sent it to be rejected): ");
	} else if (!strcmp(drop->chain, "cluster-ips-check")) {
		/* kube-proxy's catch-all for its ClusterIP range: reached only by a
		 * ClusterIP and port its service-ips map has no element for. */
		char a[ADDR_STRLEN];

		f->cause = "kube-proxy-element-missing";
		snprintf(svc, sizeof(svc), "kube-proxy's service-ips map has no element for %s port "
			 "%u, so it fell to the rule that rejects ClusterIPs it does not know: ",
			 addr_fmt(t->dst.ip, a), t->probe.dport);
	}
	snprintf(f->object, sizeof(f->object), "nftables table %s chain %s%s%s", drop->table,
		 drop->chain, drop->rule[0] ? " rule " : " policy", drop->rule);
	snprintf(f->actual, sizeof(f->actual), "%s", reject ? "reject" : "drop");
	if (t->lab)
		snprintf(f->command, sizeof(f->command), "ip netns exec %s nft -a list chain %s %s %s",
			 t->ns[ns], family_name(drop->family), drop->table, drop->chain);
	return diag_say(f, "%s%s by nftables in %s: table %s chain %s%s%s%s%s%s; %s", svc,
			reject ? "rejected" : "dropped", t->ns_label[ns], drop->table, drop->chain,
			drop->rule[0] ? ", rule " : " policy", drop->rule,
			drop->comment[0] ? " (comment \"" : "", drop->comment,
			drop->comment[0] ? "\")" : "", seen);
}
