/* network-policy — the request met the lab's NetworkPolicies (t->policy,
 * netpol.c): the lab's policies evaluated on the packet as each hook saw
 * it, and the rule of table network-policy that decided in the kernel.
 *
 * - Dropped in that table (its trace events, or, when they say nothing,
 *   the kernel's NETFILTER_DROP on the isolated pod's node): if the lab's
 *   policies deny it, "denied-by-policy", naming the direction, the pod,
 *   every policy isolating it, what no rule admits, and the nftables rule
 *   that dropped it; if they admit it, the kernel differs from the lab's
 *   plan ("policy-rules-differ"), said as such, not guessed at.
 * - Not seen dropped there, and kernel drops not watched: a request the
 *   lab's policies deny that vanished on the isolated pod's node is
 *   "denied-by-policy" too, said to rest on the plan and where it vanished.
 * - Behind an ingress controller: the denial of the controller's own
 *   connection to the endpoint (t->upstream) is the client's verdict.
 * - Delivered to (or from) an isolated pod: a note naming the policy and
 *   the rule that admitted it in each direction, checked against the
 *   rule the kernel accepted it by. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>

#include "trace/diag/diag.h"
#include "self.h"

/* How many isolating policies the words name before "and N more" (the
 * JSON's policy.*.isolated_by lists them all). */
#define NAMES_MAX 8

/* "default/client", "node/node-1 (172.18.0.11)", the probe's own end as
 * given ("internet/laptop (203.0.113.20)") or the address. */
static void addr_name(const struct trace *t, uint32_t a, char *buf, size_t len)
{
	const struct topo *topo = &t->lab->topo;
	ssize_t pod = policy_pod_by_addr(topo, a);
	char ip[ADDR_STRLEN];

	addr_fmt(a, ip);
	if (pod >= 0) {
		snprintf(buf, len, "%s/%s", topo->pods[pod].ns, topo->pods[pod].name);
		return;
	}
	for (size_t n = 0; n < topo->nnodes; n++)
		if (policy_node_owns(topo, n, a)) {
			snprintf(buf, len, "node/%s (%s)", topo->nodes[n].name, ip);
			return;
		}
	if (a == t->probe.saddr && t->src.label[0] && strcmp(t->src.label, ip))
		snprintf(buf, len, "%s (%s)", t->src.label, ip);
	else if (a == t->dst.ip && t->dst.label[0] && strcmp(t->dst.label, ip))
		snprintf(buf, len, "%s (%s)", t->dst.label, ip);
	else
		snprintf(buf, len, "%s", ip);
}

static void pod_name(const struct trace *t, size_t pod, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->lab->topo.pods[pod].ns, t->lab->topo.pods[pod].name);
}

/* "port 8080/TCP" or "ICMP": what a rule would have to admit. */
static void what_words(const struct policy_flow *f, char *buf, size_t len)
{
	switch (f->l4proto) {
	case IPPROTO_TCP:
		snprintf(buf, len, "port %u/TCP", f->dport);
		break;
	case IPPROTO_UDP:
		snprintf(buf, len, "port %u/UDP", f->dport);
		break;
	case IPPROTO_SCTP:
		snprintf(buf, len, "port %u/SCTP", f->dport);
		break;
	case IPPROTO_ICMP:
		snprintf(buf, len, "ICMP");
		break;
	default:
		snprintf(buf, len, "protocol %u", f->l4proto);
	}
}

/* "a", "a and b", "a, b and c", past NAMES_MAX "..., h and 3 more". */
static void isolating_words(const struct trace *t, const struct policy_side *s, char *buf,
			    size_t len)
{
	size_t shown = s->nisolating > NAMES_MAX ? NAMES_MAX : s->nisolating, n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < shown && n < len; i++) {
		const struct topo_policy *p = &t->lab->topo.policies[s->isolating[i]];
		bool last = i + 1 == shown && shown == s->nisolating;

		n += (size_t)snprintf(buf + n, len - n, "%s%s/%s", !i ? "" : last ? " and " : ", ",
				      p->ns, p->name);
	}
	if (shown < s->nisolating && n < len)
		snprintf(buf + n, len - n, " and %zu more", s->nisolating - shown);
}

/* "ingress to default/web-2 is isolated by A and B; no rule admits
 * default/client to port 8080/TCP", or the egress form. */
static void denial_words(const struct trace *t, const struct trace_policy *p, char *buf, size_t len)
{
	char pod[2 * TOPO_LABEL_MAX + 2];
	char peer[sizeof(((struct trace_endpoint *)0)->label) + ADDR_STRLEN + 4];
	char what[32], names[NAMES_MAX * 2 * TOPO_LABEL_MAX + 64];
	bool ports = p->flow.l4proto != IPPROTO_ICMP;

	pod_name(t, p->pod, pod, sizeof(pod));
	isolating_words(t, &p->side, names, sizeof(names));
	what_words(&p->flow, what, sizeof(what));
	if (p->dir == POLICY_INGRESS) {
		addr_name(t, p->flow.saddr, peer, sizeof(peer));
		snprintf(buf, len, "ingress to %s is isolated by %s; no rule admits %s %s %s", pod,
			 names, peer, ports ? "to" : "over", what);
	} else {
		addr_name(t, p->flow.daddr, peer, sizeof(peer));
		snprintf(buf, len, "egress from %s is isolated by %s; no rule admits it to %s%s%s",
			 pod, names, peer, ports ? " " : " over ", what);
	}
}

/* "ingress to x/a admitted by x/allow-b spec.ingress[0].from[1] ports[0]". */
static void admission_words(const struct trace *t, const struct trace_policy *p, char *buf,
			    size_t len)
{
	const struct policy_side *s = &p->side;
	char pod[2 * TOPO_LABEL_MAX + 2], rule[2 * TOPO_LABEL_MAX + 96];

	pod_name(t, p->pod, pod, sizeof(pod));
	/* As the rule's comment in the kernel says it (lib/policy renders both). */
	policy_rule_comment(rule, sizeof(rule), &t->lab->topo.policies[s->policy], p->dir, s->rule,
			    s->peer, s->port);
	snprintf(buf, len, "%s %s %s admitted by %s", trace_policy_dir_name(p->dir),
		 p->dir == POLICY_INGRESS ? "to" : "from", pod, rule);
}

/* "table network-policy chain C, rule handle 12: ... (comment "...")". */
static void rule_words(const struct trace_policy *p, char *buf, size_t len)
{
	snprintf(buf, len, "table %s chain %s%s%s%s%s%s", POLICY_TABLE, p->chain,
		 p->nft_policy ? " policy" : ", rule ", p->nft_policy ? "" : p->rule,
		 p->comment[0] ? " (comment \"" : "", p->comment, p->comment[0] ? "\")" : "");
}

static void rule_fields(const struct trace *t, const struct trace_policy *p,
			struct trace_finding *f)
{
	snprintf(f->object, sizeof(f->object), "nftables table ip %s chain %s%s%s", POLICY_TABLE,
		 p->chain, p->nft_policy ? " policy" : " rule ", p->nft_policy ? "" : p->rule);
	snprintf(f->command, sizeof(f->command), "ip netns exec %s nft -a list chain ip %s %s",
		 t->ns[p->ns], POLICY_TABLE, p->chain);
}

/* The first drop of the request in any table: the policy table's, or
 * another's (then the nft-rule check speaks). */
static const struct nftrace_event *first_drop(const struct trace *t)
{
	for (size_t i = 0; i < t->nnft; i++)
		if ((t->nft[i].kind == NFTRACE_RULE || t->nft[i].kind == NFTRACE_POLICY) &&
		    t->nft[i].verdict == NF_DROP)
			return &t->nft[i];
	return NULL;
}

/* What showed the drop of a denied request. */
enum drop_seen {
	SEEN_EVENT,		/* a trace event of table network-policy */
	SEEN_KERNEL_DROP,	/* the kernel's NETFILTER_DROP on the pod's node */
	SEEN_LAST,		/* kernel drops unwatched: it vanished on that node */
};

/* The denied side whose node the request was last seen in, when kernel
 * drops were not watched (--no-kernel-drops, or BPF could not run) and
 * no trace event of the table saw it (nftrace marks the probe by its
 * source port, which a masquerade on another node may have changed). */
static const struct trace_policy *vanished_side(const struct trace *t)
{
	if ((!t->no_drops && !t->drops_off[0]) || t->last_hop < 0)
		return NULL;
	for (size_t i = 0; i < 2; i++) {
		const struct trace_policy *p = &t->policy[i == 0 ? POLICY_EGRESS : POLICY_INGRESS];

		if (p->valid && p->ns >= 0 && t->hops[t->last_hop].ns == (size_t)p->ns &&
		    p->nft == TRACE_POLICY_NFT_NONE && !p->side.allowed)
			return p;
	}
	return NULL;
}

/* The side the kernel dropped the request on, by the table's events, or
 * by the kernel's own NETFILTER_DROP on an isolated pod's node that the
 * lab's policies deny (the events said nothing: lost, or not armed), or,
 * with kernel drops unwatched, by where it vanished. */
static const struct trace_policy *dropped_side(const struct trace *t, enum drop_seen *seen)
{
	const struct nftrace_event *drop = first_drop(t);
	const struct trace_drop *d;

	*seen = SEEN_EVENT;
	if (drop && strcmp(drop->table, POLICY_TABLE))
		return NULL;
	for (size_t i = 0; drop && i < 2; i++) {
		const struct trace_policy *p = &t->policy[i == 0 ? POLICY_EGRESS : POLICY_INGRESS];

		if (p->valid && p->nft == TRACE_POLICY_NFT_DROP)
			return p;
	}
	if (drop)
		return NULL;
	d = diag_terminal_drop(t);
	if (!d && !t->ndrops) {
		*seen = SEEN_LAST;
		return vanished_side(t);
	}
	*seen = SEEN_KERNEL_DROP;
	if (!d || strcmp(d->reason, "NETFILTER_DROP") || d->ns < 0)
		return NULL;
	for (size_t i = 0; i < 2; i++) {
		const struct trace_policy *p = &t->policy[i == 0 ? POLICY_EGRESS : POLICY_INGRESS];

		if (p->valid && p->ns == d->ns && p->nft == TRACE_POLICY_NFT_NONE && !p->side.allowed)
			return p;
	}
	return NULL;
}

static int denied(const struct trace *t, const struct trace_policy *p, enum drop_seen seen,
		  struct trace_finding *f)
{
	const struct trace_policy *o = &t->policy[p->dir == POLICY_INGRESS ? POLICY_EGRESS
									     : POLICY_INGRESS];
	char seen_words[TRACE_LABEL_MAX + IF_NAMESIZE + 64];
	char words[NAMES_MAX * 2 * TOPO_LABEL_MAX + 512];
	char rule[3 * 256 + 64], also[2 * TOPO_LABEL_MAX + 64] = "", pod[2 * TOPO_LABEL_MAX + 2];
	struct trace_policy planned = *p;

	diag_start(f, "network-policy", TRACE_DROPPED, p->ns);
	f->cause = "denied-by-policy";
	f->policy_dir = p->dir;
	f->hop = t->last_hop;
	snprintf(f->actual, sizeof(f->actual), "drop");
	diag_last_seen(t, seen_words, sizeof(seen_words));
	denial_words(t, p, words, sizeof(words));
	/* Where the other direction would deny it too, say so: both ends must
	 * admit a connection. */
	if (o->valid && !o->side.allowed) {
		pod_name(t, o->pod, pod, sizeof(pod));
		snprintf(also, sizeof(also), " (%s %s %s would deny it too)",
			 trace_policy_dir_name(o->dir), o->dir == POLICY_INGRESS ? "to" : "from", pod);
	}
	if (seen != SEEN_EVENT) {
		/* No trace event names the rule: the chain the lab's plan puts
		 * there, whose final rule drops what no policy admits. */
		policy_chain_pod(planned.chain, sizeof(planned.chain), p->dir,
				 &t->lab->topo.pods[p->pod]);
		planned.nft_policy = false;
		snprintf(planned.rule, sizeof(planned.rule), "(its final drop)");
		rule_fields(t, &planned, f);
		if (seen == SEEN_LAST)
			return diag_say(f, "%s%s; no trace event of table %s saw it, and kernel drops "
					"were not watched (%s): it vanished in %s, where the lab's plan "
					"puts chain %s, whose final rule drops what no policy admits; %s",
					words, also, POLICY_TABLE, t->no_drops ? "--no-kernel-drops" :
					t->drops_off, t->ns_label[p->ns], planned.chain, seen_words);
		return diag_say(f, "%s%s; the kernel dropped it in %s (NETFILTER_DROP) where the "
				"lab's plan puts chain %s of table %s, whose trace events were not "
				"seen; %s", words, also, t->ns_label[p->ns], planned.chain,
				POLICY_TABLE, seen_words);
	}
	rule_fields(t, p, f);
	rule_words(p, rule, sizeof(rule));
	return diag_say(f, "%s%s; dropped by nftables in %s: %s; %s", words, also,
			t->ns_label[p->ns], rule, seen_words);
}

/* The kernel dropped it in the policy table, but the lab's policies admit
 * it. */
static int differs(const struct trace *t, const struct trace_policy *p, struct trace_finding *f)
{
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], rule[3 * 256 + 64], pod[2 * TOPO_LABEL_MAX + 2];
	char why[NAMES_MAX * 2 * TOPO_LABEL_MAX + 512];

	diag_start(f, "network-policy", TRACE_DROPPED, p->ns);
	f->cause = "policy-rules-differ";
	f->policy_dir = p->dir;
	f->hop = t->last_hop;
	/* The sentence ends with it: never an unwritten buffer (it once put
	 * stack garbage into the verdict, under load). */
	diag_last_seen(t, seen, sizeof(seen));
	pod_name(t, p->pod, pod, sizeof(pod));
	if (p->side.exempt)
		snprintf(why, sizeof(why), "traffic between %s and its own node is never subject to "
			 "policy", pod);
	else if (!p->side.isolated)
		snprintf(why, sizeof(why), "no policy of the lab isolates %s of %s",
			 trace_policy_dir_name(p->dir), pod);
	else
		admission_words(t, p, why, sizeof(why));
	rule_fields(t, p, f);
	snprintf(f->expected, sizeof(f->expected), "accept");
	snprintf(f->actual, sizeof(f->actual), "drop");
	snprintf(f->command, sizeof(f->command), "%s --lab %s check", pp_self(), t->lab->name);
	rule_words(p, rule, sizeof(rule));
	/* Observed: the kernel's drop; evaluated: the lab's policies admit it.
	 * Which side is wrong (a rule changed in the kernel, or podpath's own
	 * rules or evaluator) is check's to say, not this verdict's. */
	return diag_say(f, "dropped by nftables in %s: %s; but the lab's NetworkPolicies admit it "
			"(%s): the kernel decided otherwise than the lab's policies (podpath check "
			"compares the kernel's rules with the plan); %s", t->ns_label[p->ns], rule,
			why, seen);
}

/* A delivered request that isolated pods admitted: which policy and rule
 * did, per direction, against the rule the kernel accepted it by. */
static int admitted(const struct trace *t, struct trace_finding *f)
{
	char words[2][3 * 256 + 2 * NAMES_MAX * TOPO_LABEL_MAX + 256];
	const struct trace_policy *first = NULL;
	bool differ = false;

	for (size_t i = 0; i < 2; i++) {
		const struct trace_policy *p = &t->policy[i == 0 ? POLICY_EGRESS : POLICY_INGRESS];
		char rule[3 * 256 + 64];
		size_t n;

		words[i][0] = '\0';
		if (!p->valid || p->side.exempt || (!p->side.isolated && p->nft == TRACE_POLICY_NFT_NONE))
			continue;
		if (!first)
			first = p;
		if (!p->side.allowed) {
			/* Delivered, though the lab's policies deny it. */
			differ = true;
			denial_words(t, p, words[i], sizeof(words[i]));
			n = strlen(words[i]);
			snprintf(words[i] + n, sizeof(words[i]) - n, ", yet it passed");
		} else if (p->side.isolated) {
			admission_words(t, p, words[i], sizeof(words[i]));
		} else {
			continue;
		}
		n = strlen(words[i]);
		if (p->nft != TRACE_POLICY_NFT_ACCEPT) {
			continue;
		} else if (trace_policy_kernel_agrees(p)) {
			snprintf(words[i] + n, sizeof(words[i]) - n, " (nftables in %s: chain %s, rule "
				 "handle %llu)", t->ns_label[p->ns], p->chain,
				 (unsigned long long)p->handle);
		} else {
			rule_words(p, rule, sizeof(rule));
			snprintf(words[i] + n, sizeof(words[i]) - n, " (the kernel accepted it by %s "
				 "in %s)", rule, t->ns_label[p->ns]);
		}
	}
	if (!first || (!words[0][0] && !words[1][0]))
		return 0;
	diag_start(f, "network-policy", TRACE_DELIVERED, first->ns);
	f->cause = differ ? "policy-rules-differ" : "admitted-by-policy";
	f->policy_dir = first->dir;
	if (first->nft == TRACE_POLICY_NFT_ACCEPT)
		rule_fields(t, first, f);
	if (differ)
		snprintf(f->command, sizeof(f->command), "%s --lab %s check", pp_self(), t->lab->name);
	return diag_say(f, "%s%s%s%s", words[0], words[0][0] && words[1][0] ? "; " : "", words[1],
			differ ? ": the kernel decided otherwise than the lab's policies (podpath "
				 "check compares the kernel's rules with the plan)" : "");
}

bool diag_upstream_denied(const struct trace *t)
{
	const struct trace *u = t->upstream;

	return u && t->res.outcome != PROBE_OK && u->nfindings && u->findings[0].text &&
	       !strcmp(u->findings[0].cause, "denied-by-policy");
}

/* Behind an ingress controller, the second connection (the controller's
 * own to an endpoint pod: t->upstream) was denied by policy and the client
 * got no answer: that is the client's verdict too, said as the second
 * connection's, with its details in t->upstream (f->upstream). When nginx
 * gave up and answered 504, the upstream check said so already. */
static int upstream_denied(const struct trace *t, struct trace_finding *f)
{
	return diag_upstream_denied(t) ? diag_from_upstream(t, f) : 0;
}

int diag_policy(const struct trace *t, struct trace_finding *f)
{
	const struct trace_policy *p;
	enum drop_seen seen;

	if (!t->lab)
		return 0;
	if (t->res.outcome == PROBE_OK)
		return diag_upstream_gave_up(t) ? 0 : admitted(t, f);
	p = dropped_side(t, &seen);
	if (!p)
		return upstream_denied(t, f);
	return p->side.allowed ? differs(t, p, f) : denied(t, p, seen, f);
}
