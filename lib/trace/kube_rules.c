/* kube_rules — a DNAT in a namespace podpath did not build, explained from
 * kube-proxy's own names. Both of kube-proxy's layouts say which Service a
 * chain serves: the nftables one (table kube-proxy) in its chain names
 * ("service-HASH-NS/NAME/PROTO/PORTNAME", "local-HASH-..." for
 * internalTrafficPolicy Local, "endpoint-HASH-...__IP/PORT", "external-HASH-..."
 * for NodePorts and load balancers), the iptables one (table nat) in its rule
 * comments ("NS/NAME:PORTNAME" on KUBE-SEP-*, KUBE-SVC-* and KUBE-SVL-* rules,
 * the chains themselves being hashes). So the trace events of the packet in
 * that namespace are enough to name the Service and the endpoint chosen,
 * with no lab state: on a real node too. */
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "trace/internal.h"

#define NFT_HASH_LEN 8	/* base32 characters kube-proxy keeps of the hash */

/* "PREFIX-HASH-REST": REST, or NULL if name is not such a chain. */
static const char *nft_chain_rest(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(name, prefix, n) || strlen(name) < n + NFT_HASH_LEN + 2 ||
	    name[n + NFT_HASH_LEN] != '-')
		return NULL;
	return name + n + NFT_HASH_LEN + 1;
}

/* "NS/NAME/PROTO/PORTNAME[__IP/PORT]" into v's names. */
static bool nft_names(const char *rest, struct trace_svc *v)
{
	char ns[TOPO_LABEL_MAX], name[TOPO_LABEL_MAX], proto[8], port[TOPO_LABEL_MAX] = "";

	if (sscanf(rest, "%63[^/]/%63[^/]/%7[^/]/%63[^_/]", ns, name, proto, port) < 3)
		return false;
	snprintf(v->ns, sizeof(v->ns), "%s", ns);
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->port_name, sizeof(v->port_name), "%s", port);
	return true;
}

/* "NS/NAME[:PORTNAME][ more words]" (kube-proxy's ServicePortName, how
 * its iptables comments begin) into v's names. */
static bool ipt_names(const char *comment, struct trace_svc *v)
{
	char word[3 * TOPO_LABEL_MAX], *slash, *colon;

	/* A longer word was cut by sscanf: not a ServicePortName (63/63:15). */
	if (sscanf(comment, "%191s", word) != 1 || strlen(word) >= sizeof(word) - 1 ||
	    !(slash = strchr(word, '/')) || slash == word)
		return false;
	*slash = '\0';
	colon = strchr(slash + 1, ':');
	if (colon)
		*colon = '\0';
	if (!slash[1] || strchr(slash + 1, '/'))
		return false;
	/* Names longer than Kubernetes allows are not kube-proxy's. */
	return (size_t)snprintf(v->ns, sizeof(v->ns), "%s", word) < sizeof(v->ns) &&
	       (size_t)snprintf(v->name, sizeof(v->name), "%s", slash + 1) < sizeof(v->name) &&
	       (size_t)snprintf(v->port_name, sizeof(v->port_name), "%s", colon ? colon + 1 : "") <
		       sizeof(v->port_name);
}

/* Event ev is about hop h's packet: before the DNAT (prev) or after it. */
static bool same_packet(const struct nftrace_event *ev, const struct capture_pkt *prev,
			const struct capture_pkt *k)
{
	if (!ev->saddr)
		return true;	/* no network header traced: take the namespace's word */
	return ev->sport == prev->sport && ((ev->daddr == prev->daddr && ev->dport == prev->dport) ||
					    (ev->daddr == k->daddr && ev->dport == k->dport));
}

/* The chain that picked the endpoint (service-/local-, KUBE-SVC-/KUBE-SVL-)
 * wins over the one the packet came through first (external-, KUBE-EXT-). */
static void take(char *dst, size_t len, const char *src, bool picks)
{
	if (!dst[0] || picks)
		snprintf(dst, len, "%s", src);
}

void trace_service_from_rules(const struct trace *t, const struct capture_pkt *prev,
			      struct trace_hop *h)
{
	const struct capture_pkt *k = h->pkt;
	struct trace_svc v = { .svc = -1, .pod = -1 };
	bool svc_named = false;

	if (k->daddr == prev->daddr && k->dport == prev->dport)
		return;
	for (size_t i = 0; i < t->nnft; i++) {
		const struct nftrace_event *ev = &t->nft[i];
		const char *chains[2] = { ev->chain, ev->jump_target }, *rest;
		bool nft = !strcmp(ev->table, "kube-proxy"), ipt = !strcmp(ev->table, "nat");

		if (t->nft_ns[i] != h->ns || (!nft && !ipt) || !same_packet(ev, prev, k))
			continue;
		for (size_t c = 0; c < 2; c++) {
			const char *ch = chains[c];

			if (!ch[0])
				continue;
			if (nft && ((rest = nft_chain_rest(ch, "service-")) ||
				    (rest = nft_chain_rest(ch, "local-")) ||
				    (rest = nft_chain_rest(ch, "external-")))) {
				take(v.chain, sizeof(v.chain), ch, ch[0] != 'e');
				if (!svc_named)
					svc_named = nft_names(rest, &v);
				v.rules_from = "nftables";
			} else if (nft && (rest = nft_chain_rest(ch, "endpoint-"))) {
				take(v.ep_chain, sizeof(v.ep_chain), ch, true);
				if (!svc_named)
					svc_named = nft_names(rest, &v);
				v.rules_from = "nftables";
			} else if (ipt && (!strncmp(ch, "KUBE-SVC-", 9) || !strncmp(ch, "KUBE-SVL-", 9) ||
					   !strncmp(ch, "KUBE-EXT-", 9))) {
				take(v.chain, sizeof(v.chain), ch, ch[5] == 'S');
				v.rules_from = "iptables";
			} else if (ipt && !strncmp(ch, "KUBE-SEP-", 9)) {
				take(v.ep_chain, sizeof(v.ep_chain), ch, true);
				v.rules_from = "iptables";
			}
		}
		/* Reached as a NodePort: kube-proxy's nftables layout looks it up
		 * in service-nodeports, the iptables one jumps to KUBE-NODEPORTS. */
		if ((nft && strstr(ev->rule, "@service-nodeports")) ||
		    (ipt && !strcmp(ev->chain, "KUBE-NODEPORTS")))
			v.nodeport = true;
		/* iptables: the Service is in the comments of its rules. */
		if (ipt && !svc_named && ev->comment[0] && !strncmp(ev->chain, "KUBE-", 5))
			svc_named = ipt_names(ev->comment, &v);
	}
	if (!svc_named || !v.chain[0])
		return;
	v.named = true;
	/* The chains name the port, not its number: a NodePort hides it. */
	if (v.nodeport)
		v.node_port = prev->dport;
	else
		v.port_number = prev->dport;
	v.proto = k->proto;
	/* The DNAT's destination is the endpoint, whether or not the event of
	 * its chain came through (a full buffer may lose some). */
	v.ep_ip = k->daddr;
	v.ep_port = k->dport;
	h->svc = v;
}
