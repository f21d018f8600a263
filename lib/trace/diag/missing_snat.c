/* missing-snat — the request reached the internet with a private source
 * address: nobody there can answer it (the internet router has no route
 * back to a private range). A pod's address means the node did not
 * masquerade it (ip-masq-agent); a node's VPC address means the cloud
 * gateway did not translate it to the node's public address. */
#include <stdio.h>
#include <string.h>

#include "edge/edge.h"
#include "trace/diag/diag.h"

static bool is_private(uint32_t a)
{
	return (a >> 24) == 10 || (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168);
}

/* Is place ns on the internet side of the cloud's gateway? */
static bool on_internet(const struct trace *t, size_t ns)
{
	const struct lab_plan *p = &t->lab->plan;

	if (!strcmp(t->ns[ns], p->inet_netns))
		return true;
	return t->dst.kind == TRACE_EP_INTERNET && t->dst.netns && !strcmp(t->ns[ns], t->dst.netns);
}

int diag_missing_snat(const struct trace *t, struct trace_finding *f)
{
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], a[ADDR_STRLEN];
	const struct topo *topo;

	if (t->res.outcome == PROBE_OK || !t->lab || t->src.kind == TRACE_EP_INTERNET)
		return 0;
	topo = &t->lab->topo;
	for (size_t i = 0; i < t->nhops; i++) {
		const struct trace_hop *h = &t->hops[i];
		uint32_t s = h->pkt->saddr;
		bool node = false;
		ssize_t which = -1;

		if (h->reply || !on_internet(t, h->ns) || !is_private(s))
			continue;
		for (size_t n = 0; n < topo->nnodes && which < 0; n++)
			if (topo->nodes[n].ip == s)
				which = (ssize_t)n;
		node = which >= 0;
		diag_start(f, node ? "gateway-nat-missing" : "masquerade-missing", TRACE_TIMEOUT,
			   (ssize_t)h->ns);
		f->check = "missing-snat";
		f->hop = (ssize_t)i;
		snprintf(f->ifname, sizeof(f->ifname), "%s", h->pkt->ifname);
		snprintf(f->actual, sizeof(f->actual), "source %s", addr_fmt(s, a));
		snprintf(f->expected, sizeof(f->expected), "a public source address");
		diag_last_seen(t, seen, sizeof(seen));
		if (node) {
			snprintf(f->object, sizeof(f->object), "cloud gateway NAT for node %s",
				 topo->nodes[which].name);
			snprintf(f->command, sizeof(f->command), "ip netns exec %s nft list table ip %s",
				 t->lab->plan.gw_netns, EDGE_GW_TABLE);
			return diag_say(f, "the request reached %s from %s, node %s's private VPC "
					"address: the cloud gateway did not translate it to the node's "
					"public address, so no answer can find its way back; %s",
					t->ns_label[h->ns], a, topo->nodes[which].name, seen);
		}
		snprintf(f->object, sizeof(f->object), "masquerade of %s on its node", a);
		if (t->src.node >= 0)
			snprintf(f->command, sizeof(f->command), "ip netns exec %s nft list table ip %s",
				 t->lab->plan.nodes[t->src.node].netns, EDGE_MASQ_TABLE);
		return diag_say(f, "the request reached %s from %s, a private pod address: its node "
				"did not masquerade it (ip-masq-agent), so no answer can find its way "
				"back; %s", t->ns_label[h->ns], a, seen);
	}
	return 0;
}
