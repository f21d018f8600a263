/* out/trace — text and JSON views of a trace; see trace.h. */
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <net/if_arp.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "out/check.h"
#include "out/trace.h"
#include "policy/describe.h"

#define BOLD "\033[1m"
#define GREEN "\033[32m"
#define RED "\033[31m"
#define DIM "\033[2m"
#define RESET "\033[0m"
#define MAC_STRLEN sizeof("00:00:00:00:00:00")

static const char *tcp_flags_fmt(uint8_t f, char *buf, size_t len)
{
	static const char *const names[] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG" };
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < 6; i++)
		if (f & (1 << i))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "-" : "", names[i]);
	return buf;
}

static const char *icmp_name(uint8_t type, uint8_t code)
{
	switch (type) {
	case 0:
		return "echo reply";
	case 8:
		return "echo request";
	case 11:
		return "time exceeded";
	case 3:
		switch (code) {
		case 0:
			return "net unreachable";
		case 1:
			return "host unreachable";
		case 3:
			return "port unreachable";
		case 13:
			return "administratively prohibited";
		default:
			return "destination unreachable";
		}
	default:
		return "icmp";
	}
}

void out_packet_fmt(const struct capture_pkt *k, char *buf, size_t len)
{
	char s[ADDR_STRLEN], d[ADDR_STRLEN], fl[32];
	size_t n = 0;

	addr_fmt(k->saddr, s);
	addr_fmt(k->daddr, d);
	if (k->vxlan) {
		char os[ADDR_STRLEN], od[ADDR_STRLEN];

		n = (size_t)snprintf(buf, len, "[vxlan %s > %s] ", addr_fmt(k->outer_saddr, os),
				     addr_fmt(k->outer_daddr, od));
	}
	switch (k->proto) {
	case IPPROTO_TCP:
		snprintf(buf + n, len - n, "%s:%u > %s:%u %s ttl %u", s, k->sport, d, k->dport,
			 tcp_flags_fmt(k->tcp_flags, fl, sizeof(fl)), k->ttl);
		break;
	case IPPROTO_UDP:
		snprintf(buf + n, len - n, "%s:%u > %s:%u udp ttl %u", s, k->sport, d, k->dport, k->ttl);
		break;
	case IPPROTO_ICMP:
		if (k->has_inner_err) {
			char es[ADDR_STRLEN], ed[ADDR_STRLEN];

			snprintf(buf + n, len - n, "%s > %s icmp %s (about %s:%u > %s:%u) ttl %u", s, d,
				 icmp_name(k->icmp_type, k->icmp_code), addr_fmt(k->err_saddr, es),
				 k->err_sport, addr_fmt(k->err_daddr, ed), k->err_dport, k->ttl);
		} else {
			snprintf(buf + n, len - n, "%s > %s icmp %s id %u ttl %u", s, d,
				 icmp_name(k->icmp_type, k->icmp_code), k->sport, k->ttl);
		}
		break;
	default:
		snprintf(buf + n, len - n, "%s > %s proto %u ttl %u", s, d, k->proto, k->ttl);
	}
}

static const char *mac_fmt(const uint8_t *m, char *buf)
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
		 m[5]);
	return buf;
}

/* The frame's link layer into packet object o: "l2" "ethernet" with
 * src_mac and dst_mac (null where not observed), or "none" (a device
 * without an Ethernet header: no MACs, none invented). */
static void l2_json(json_t *o, const struct capture_pkt *k)
{
	char m[MAC_STRLEN];
	bool eth = k->hatype == ARPHRD_ETHER;

	json_object_set_new(o, "l2", json_string(eth ? "ethernet" : "none"));
	json_object_set_new(o, "src_mac", eth && k->has_src_mac ? json_string(mac_fmt(k->src_mac, m))
								: json_null());
	json_object_set_new(o, "dst_mac", eth && k->has_dst_mac ? json_string(mac_fmt(k->dst_mac, m))
								: json_null());
}

/* "02:50:01:01:00:01 > 02:50:01:01:00:03", "no Ethernet header". */
static void l2_text(const struct capture_pkt *k, char *buf, size_t len)
{
	char a[MAC_STRLEN], b[MAC_STRLEN];

	if (k->hatype != ARPHRD_ETHER)
		snprintf(buf, len, "no Ethernet header (MACs: none)");
	else
		snprintf(buf, len, "%s > %s", k->has_src_mac ? mac_fmt(k->src_mac, a) : "?",
			 k->has_dst_mac ? mac_fmt(k->dst_mac, b) : "? (frame not seen)");
}

static const char *nft_verdict_name(int v)
{
	switch (v) {
	case NF_ACCEPT:
		return "accept";
	case NF_DROP:
		return "drop";
	case NFT_CONTINUE:
		return "continue";
	case NFT_RETURN:
		return "return";
	case NFT_JUMP:
		return "jump";
	case NFT_GOTO:
		return "goto";
	case NFT_BREAK:
		return "break";
	default:
		return "other";
	}
}

static const char *nft_kind_name(enum nftrace_kind k)
{
	static const char *const names[] = { "rule", "return", "policy", "other" };

	return names[k];
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "UDP" : "TCP";
}

/* "Service default/web port http (80/TCP): kube-proxy chain service-...
 * chose endpoint pod default/web-1 10.244.1.3:8080 (chain endpoint-...)". */
static void svc_text(FILE *f, const struct trace *t, const struct trace_svc *v, bool color)
{
	char a[ADDR_STRLEN];

	/* "port http 80/TCP"; from the rules behind a NodePort the number is
	 * unknown ("port http/TCP"), and an unnamed port may have neither. */
	fprintf(f, "%16s%sService %s/%s", "", color ? BOLD : "", v->ns, v->name);
	if (v->port_name[0] || v->port_number)
		fprintf(f, " port %s", v->port_name);
	if (v->port_number)
		fprintf(f, "%s%u", v->port_name[0] ? " " : "", v->port_number);
	fprintf(f, "%s%s", v->port_name[0] || v->port_number ? "/" : " ", proto_name(v->proto));
	if (v->nodeport)
		fprintf(f, " via NodePort %u", v->node_port);
	fprintf(f, ": kube-proxy chain %s chose ", v->chain);
	if (t->lab && v->pod >= 0)
		fprintf(f, "endpoint pod %s/%s %s:%u (chain %s)", t->lab->topo.pods[v->pod].ns,
			t->lab->topo.pods[v->pod].name, addr_fmt(v->ep_ip, a), v->ep_port, v->ep_chain);
	else if (!t->lab)
		fprintf(f, "endpoint %s:%u%s%s%s", addr_fmt(v->ep_ip, a), v->ep_port,
			v->ep_chain[0] ? " (chain " : "", v->ep_chain, v->ep_chain[0] ? ")" : "");
	else
		fprintf(f, "%s:%u, which is not one of its endpoints", addr_fmt(v->ep_ip, a),
			v->ep_port);
	if (v->rules_from && v->rules_from[0])
		fprintf(f, " [read from kube-proxy's %s rules]", v->rules_from);
	fprintf(f, "%s\n", color ? RESET : "");
}

/* The same for JSON; null when there is no Service. */
static json_t *svc_json(const struct trace *t, const struct trace_svc *v)
{
	const struct topo_pod *pod = t->lab && v->pod >= 0 ? &t->lab->topo.pods[v->pod] : NULL;
	char a[ADDR_STRLEN];
	json_t *o;

	if (!v->named)
		return json_null();
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "namespace", v->ns, "name", v->name,
		      "port_name", v->port_name, "protocol", proto_name(v->proto), "nodeport",
		      v->nodeport, "chain", v->chain, "source",
		      v->rules_from && v->rules_from[0] ? "rules" : "lab");
	/* Left out, not null, when the rules do not say it (behind a NodePort). */
	if (o && v->port_number)
		json_object_set_new(o, "port", json_integer(v->port_number));
	if (o && v->nodeport)
		json_object_set_new(o, "node_port", json_integer(v->node_port));
	if (o && v->ep_ip)
		json_object_set_new(o, "endpoint",
				    json_pack("{s:s?, s:s, s:i, s:s}", "pod", pod ? pod->name : NULL,
					      "ip", addr_fmt(v->ep_ip, a), "port", v->ep_port, "chain",
					      v->ep_chain));
	if (o && v->ep_ip && pod)
		json_object_set_new(json_object_get(o, "endpoint"), "pod_namespace",
				    json_string(pod->ns));
	return o;
}

/* Events i and j are the same step (place, chain, rule, verdict). */
static bool nft_same(const struct trace *t, size_t i, size_t j)
{
	const struct nftrace_event *a = &t->nft[i], *b = &t->nft[j];

	return t->nft_ns[i] == t->nft_ns[j] && a->kind == b->kind && a->handle == b->handle &&
	       a->verdict == b->verdict && !strcmp(a->table, b->table) &&
	       !strcmp(a->chain, b->chain) && !strcmp(a->jump_target, b->jump_target);
}

static bool nft_seen(const struct trace *t, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (nft_same(t, j, i))
			return true;
	return false;
}

/* Does word w (a statement or an xtables target) occur in the rule's text,
 * in any case, as a word of its own? */
static bool rule_has_word(const char *text, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = text; (p = strcasestr(p, w)); p += n) {
		bool start = p == text || !isalnum((unsigned char)p[-1]);
		bool end = !isalnum((unsigned char)p[n]);

		if (start && end)
			return true;
	}
	return false;
}

/* The chains kube-proxy chooses a Service and an endpoint with (nftables
 * and iptables layouts): a jump there is the choice itself. */
static bool kube_choice_chain(const char *c)
{
	static const char *const nft[] = { "service-", "endpoint-", "external-" };
	static const char *const ipt[] = { "KUBE-SVC-", "KUBE-SEP-", "KUBE-EXT-", "KUBE-FW-",
					   "KUBE-XLB-" };

	for (size_t i = 0; i < sizeof(ipt) / sizeof(ipt[0]); i++)
		if (!strncmp(c, ipt[i], strlen(ipt[i])))
			return true;
	/* nftables: the prefix, a hash of eight, a dash ("service-SUSTUHLJ-
	 * default/web/tcp/http"), not a fixed chain ("service-endpoints-check"). */
	for (size_t i = 0; i < sizeof(nft) / sizeof(nft[0]); i++) {
		const char *h = c + strlen(nft[i]);
		size_t n = 0;

		if (strncmp(c, nft[i], strlen(nft[i])))
			continue;
		while (n < 8 && (isupper((unsigned char)h[n]) || isdigit((unsigned char)h[n])))
			n++;
		if (n == 8 && h[8] == '-')
			return true;
	}
	return false;
}

/* Did event ev change the packet or decide its fate, so that a reader
 * without -v needs it: a NAT or a mark set, a drop or reject, an accept
 * by a rule (it ends the base chain's evaluation), kube-proxy choosing a
 * Service or an endpoint, any rule of the NetworkPolicy table. Jumps,
 * returns and a chain's policy accept only pass it on. */
static bool nft_decides(const struct nftrace_event *ev)
{
	static const char *const changes[] = { "dnat", "snat", "masquerade", "redirect", "DNAT",
					       "SNAT", "MASQUERADE", "REDIRECT", "mark set", "MARK",
					       "reject", "REJECT", "drop", "DROP" };

	if (ev->verdict == NF_DROP)
		return true;
	if (ev->kind != NFTRACE_RULE)
		return false;
	if (!strcmp(ev->table, POLICY_TABLE) || ev->verdict == NF_ACCEPT)
		return true;
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++)
		if (rule_has_word(ev->rule, changes[i]))
			return true;
	return (ev->verdict == NFT_JUMP || ev->verdict == NFT_GOTO) &&
	       kube_choice_chain(ev->jump_target);
}

/* t's nftables trace events under heading, each step once; without
 * verbose only those that decided (nft_decides), and a count of the rest. */
static void nft_text(FILE *f, const struct trace *t, const char *heading, bool verbose)
{
	size_t hidden = 0;

	for (size_t i = 0; i < t->nnft; i++) {
		const struct nftrace_event *ev = &t->nft[i];
		int again = 0;

		/* Later packets of the flow take the same way: say it once, with
		 * how many more times (JSON keeps every event). */
		if (nft_seen(t, i))
			continue;
		if (!i)
			fputs(heading, f);
		if (!verbose && !nft_decides(ev)) {
			hidden++;
			continue;
		}
		for (size_t j = i + 1; j < t->nnft; j++)
			again += nft_same(t, i, j);
		fprintf(f, "  %-26s %-6s %s/%s %s -> %s%s%s", t->ns_label[t->nft_ns[i]],
			nft_kind_name(ev->kind), ev->table, ev->chain, ev->rule,
			nft_verdict_name(ev->verdict), ev->jump_target[0] ? " " : "", ev->jump_target);
		if (again)
			fprintf(f, "  (and %d more packet%s)", again, again > 1 ? "s" : "");
		if (ev->comment[0])
			fprintf(f, "  comment \"%s\"", ev->comment);
		fputc('\n', f);
	}
	if (hidden)
		fprintf(f, "  %zu more rule evaluation%s (jumps, returns, chain policies that "
			"accept): -v shows all\n", hidden, hidden > 1 ? "s" : "");
}

static void hop_text(FILE *f, const struct trace *t, size_t i, bool color, bool verbose)
{
	const struct trace_hop *h = &t->hops[i];
	char pkt[256];

	out_packet_fmt(h->pkt, pkt, sizeof(pkt));
	fprintf(f, "%3zu %9.3f  %-26s %-12s %-3s  %s", i + 1, (double)h->dt_ns / 1e6,
		t->ns_label[h->ns], h->pkt->ifname, h->pkt->outgoing ? "out" : "in", pkt);
	if (h->repeats)
		fprintf(f, "  (seen %d more times)", h->repeats);
	fputc('\n', f);
	if (verbose) {
		l2_text(h->pkt, pkt, sizeof(pkt));
		fprintf(f, "%16sframe %s\n", "", pkt);
	}
	if (h->change[0])
		fprintf(f, "%16s%s%s%s\n", "", color ? BOLD : "", h->change, color ? RESET : "");
	if (h->svc.named)
		svc_text(f, t, &h->svc, color);
	if (h->why[0])
		fprintf(f, "%16s%s%s%s\n", "", color ? DIM : "", h->why, color ? RESET : "");
}

static const char *arp_kind_name(enum trace_arp_kind k)
{
	return k == TRACE_ARP_WHO_HAS ? "who-has" : k == TRACE_ARP_IS_AT ? "is-at" : "neighbour";
}

/* "reachable", "stale", ... as ip neigh says them. */
static const char *nud_name(uint16_t s)
{
	static const struct { uint16_t bit; const char *name; } nud[] = {
		{ NUD_INCOMPLETE, "INCOMPLETE" }, { NUD_REACHABLE, "REACHABLE" }, { NUD_STALE, "STALE" },
		{ NUD_DELAY, "DELAY" }, { NUD_PROBE, "PROBE" }, { NUD_FAILED, "FAILED" },
		{ NUD_NOARP, "NOARP" }, { NUD_PERMANENT, "PERMANENT" },
	};

	for (size_t i = 0; i < sizeof(nud) / sizeof(nud[0]); i++)
		if (s & nud[i].bit)
			return nud[i].name;
	return "NONE";
}

/* Time of an ARP observation, like a hop's: since the first hop (before
 * it, negative: the probe's first packet waited for this); with no hop,
 * since the first ARP observation. */
static double arp_ms(const struct trace *t, const struct trace_arp *a)
{
	uint64_t first = t->nhops ? t->hops[0].pkt->ts_ns : t->arp[0].ts_ns;

	return ((double)a->ts_ns - (double)first) / 1e6;
}

/* The places a flooded request reached, for the line of the bridge that
 * flooded it: ", also flooded to vethX, cbr0". */
static void flood_list(const struct trace *t, const struct trace_arp *a, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->narp && n < len; i++) {
		const struct trace_arp *b = &t->arp[i];

		if (b->exchange != a->exchange || !b->flooded || b->ns != a->ns)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", b->pkt->ifname);
	}
}

/* Whether the capture saw an answer (is-at) in the exchange of x. */
static bool arp_answered(const struct trace *t, const struct trace_arp *x)
{
	for (size_t i = 0; i < t->narp; i++)
		if (t->arp[i].exchange == x->exchange && t->arp[i].kind == TRACE_ARP_IS_AT)
			return true;
	return false;
}

/* What the neighbour entry of x says about its exchange: only what was
 * seen. "The answer made it" needs both an answer captured and an entry
 * read that holds a resolved MAC. */
static const char *neigh_note(const struct trace *t, const struct trace_arp *x)
{
	bool answered = arp_answered(t, x);
	bool unresolved = x->state & (NUD_INCOMPLETE | NUD_FAILED);

	if (answered && !x->neigh_err && x->state && !unresolved)
		return "the entry the answer made: the kernel sends to this MAC now";
	if (answered)
		return x->neigh_err ? "the answer came; what the entry holds now is not known"
		       : !x->state  ? "the answer came, but the entry is gone now (expired or deleted)"
				    : "the answer came, yet the entry is still unresolved";
	if (x->neigh_err)
		return "no answer seen; what the entry holds now is not known";
	if (!x->state)
		return "no answer seen, and the entry is gone already: the packets waiting on it "
		       "were dropped with it";
	if (unresolved)
		return "no answer came: the entry stays unresolved, and the packets waiting on it "
		       "are dropped";
	return "no answer seen by the capture, yet the entry holds a MAC: it was resolved by "
	       "something not captured";
}

/* The ARP observations that come before hop h (nhops: after the last). */
static void arp_text(FILE *f, const struct trace *t, size_t h, bool color, bool verbose)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN], m[MAC_STRLEN], l2[64], flood[160];

	for (size_t i = 0; i < t->narp; i++) {
		const struct trace_arp *x = &t->arp[i];
		const struct capture_pkt *k = x->pkt;

		if (x->before_hop != h || (x->flooded && !verbose))
			continue;
		if (x->kind == TRACE_ARP_NEIGH) {
			fprintf(f, "  - %9.3f  %-26s %-12s      neighbour ", arp_ms(t, x),
				t->ns_label[x->ns], x->ifname);
			if (x->neigh_err)
				fprintf(f, "%s: cannot ask (%s)\n", addr_fmt(x->ip, a), strerror(-x->neigh_err));
			else if (!x->state)
				fprintf(f, "%s: no entry any more\n", addr_fmt(x->ip, a));
			else
				fprintf(f, "%s lladdr %s %s\n", addr_fmt(x->ip, a),
					x->has_mac ? mac_fmt(x->mac, m) : "(none)", nud_name(x->state));
			fprintf(f, "%16s%s%s%s\n", "", color ? DIM : "", neigh_note(t, x),
				color ? RESET : "");
			continue;
		}
		fprintf(f, "  - %9.3f  %-26s %-12s %-3s  ", arp_ms(t, x), t->ns_label[x->ns], k->ifname,
			k->outgoing ? "out" : "in");
		if (x->kind == TRACE_ARP_WHO_HAS)
			fprintf(f, "ARP who-has %s tell %s", addr_fmt(k->arp_tpa, a), addr_fmt(k->arp_spa, b));
		else
			fprintf(f, "ARP %s is-at %s", addr_fmt(k->arp_spa, a), mac_fmt(k->arp_sha, m));
		if (x->repeats)
			fprintf(f, "  (seen %d more times)", x->repeats);
		fputc('\n', f);
		if (verbose) {
			l2_text(k, l2, sizeof(l2));
			fprintf(f, "%16sframe %s\n", "", l2);
		}
		if (x->flooded) {
			fprintf(f, "%16s%sa copy of the broadcast: not the way to %s%s\n", "",
				color ? DIM : "", addr_fmt(k->arp_tpa, a), color ? RESET : "");
			continue;
		}
		flood_list(t, x, flood, sizeof(flood));
		if (x->kind == TRACE_ARP_WHO_HAS && k->outgoing && i && t->arp[i - 1].kind == x->kind &&
		    t->arp[i - 1].ns == x->ns && flood[0] && !verbose)
			fprintf(f, "%16s%sbroadcast (ff:ff:ff:ff:ff:ff): the bridge floods it to every "
				"port; also to %s%s\n", "", color ? DIM : "", flood, color ? RESET : "");
		else if (x->kind == TRACE_ARP_WHO_HAS && k->outgoing &&
			 (!i || t->arp[i - 1].exchange != x->exchange))	/* the asker's */
			fprintf(f, "%16s%sno neighbour entry for %s on %s: the packet waits while the "
				"kernel asks%s\n", "", color ? DIM : "", a, k->ifname, color ? RESET : "");
		else if (x->kind == TRACE_ARP_IS_AT && k->outgoing && (!i || t->arp[i - 1].kind != x->kind ||
								      t->arp[i - 1].exchange != x->exchange))
			fprintf(f, "%16s%sthe owner of %s answers, to the asker's MAC only%s\n", "",
				color ? DIM : "", a, color ? RESET : "");
	}
}

/* The second connection behind the ingress controller, and what joins the
 * two: the request that ended at nginx went on from nginx. */
static void policy_text(FILE *f, const struct trace *t, const char *heading);

static void upstream_text(FILE *f, const struct trace *t, bool color, bool verbose)
{
	const struct trace *u = t->upstream;
	const struct topo_pod *p = &t->lab->topo.pods[t->proxy_pod];
	char a[ADDR_STRLEN], b[ADDR_STRLEN];
	bool reply_started = false;

	fprintf(f, "\n%sconnection 2:%s nginx in pod %s/%s ended connection 1%s and sent the request "
		"on in a connection of its own, %s:%u > %s:%u\n", color ? BOLD : "", color ? RESET : "",
		p->ns, p->name, t->probe.proto == PROBE_HTTPS ? " (TLS terminated there)" : "",
		addr_fmt(u->probe.saddr, a), u->probe.sport, addr_fmt(u->probe.daddr, b),
		u->probe.dport);
	if (t->res.via[0])
		fprintf(f, "%16sIngress rule: %s\n", "", t->res.via);
	for (size_t i = 0; i < u->nhops; i++) {
		if (u->hops[i].reply && !reply_started) {
			fprintf(f, "    reply:\n");
			reply_started = true;
		}
		hop_text(f, u, i, color, verbose);
	}
	nft_text(f, u, "  nftables of connection 2:\n", verbose);
	for (size_t i = 0; i < u->nct; i++) {
		const struct ct_entry *c = &u->ct[i];
		char os[ADDR_STRLEN], od[ADDR_STRLEN], rs[ADDR_STRLEN], rd[ADDR_STRLEN];

		fprintf(f, "%s  %-26s %s:%u > %s:%u, reply %s:%u > %s:%u%s\n",
			i ? "" : "  conntrack of connection 2:\n", u->ns_label[u->ct_ns[i]],
			addr_fmt(c->orig.src, os), c->orig.sport, addr_fmt(c->orig.dst, od),
			c->orig.dport, addr_fmt(c->reply.src, rs), c->reply.sport,
			addr_fmt(c->reply.dst, rd), c->reply.dport, c->dnat ? " [DNAT]" : "");
	}
	policy_text(f, u, "  network policy of connection 2:\n");
	if (u->div.kind != TRACE_DIV_NONE && u->div.kind != TRACE_DIV_NO_PREDICTION)
		fprintf(f, "  first divergence of connection 2 from its expected path: %s\n",
			u->divergence);
}

/* What the observers could not see or keep: a cap that was hit, a buffer
 * that overflowed. The verdict may rest on what they left out. */
static void losses_text(FILE *f, const struct trace *t, const char *heading)
{
	for (size_t i = 0; i < t->nloss; i++) {
		const struct trace_loss *l = &t->loss[i];

		if (!i)
			fprintf(f, "%s\n", heading);
		fprintf(f, "  %s %s%s%s: ", l->observer, l->what, l->ns >= 0 ? " in " : "",
			l->ns >= 0 ? t->ns_label[l->ns] : "");
		if (l->left_out)
			fprintf(f, "%zu left out", l->left_out);
		else
			fprintf(f, "some lost");
		if (l->limit)
			fprintf(f, " past the limit of %zu", l->limit);
		fputc('\n', f);
	}
}

static json_t *losses_json(const struct trace *t)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < t->nloss; i++) {
		const struct trace_loss *l = &t->loss[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:o}", "observer", l->observer,
						   "what", l->what, "netns",
						   l->ns >= 0 ? json_string(t->ns[l->ns]) : json_null(),
						   "left_out", l->left_out ? json_integer((json_int_t)l->left_out)
									   : json_null(),
						   "limit", l->limit ? json_integer((json_int_t)l->limit)
								     : json_null()));
	}
	return a;
}

/* The verdict's evidence: the command that shows its cause, the kernel's
 * own drop reason, and the notes (findings after the verdict). */
static void findings_text(FILE *f, const struct trace *t)
{
	for (size_t i = 0; i < t->nfindings; i++) {
		const struct trace_finding *x = &t->findings[i];

		if (i)
			fprintf(f, "%s  %s\n", i == 1 ? "also found:\n" : "", x->text);
		if (x->drop_reason[0])
			fprintf(f, "%skernel drop reason: %s in %s\n", i ? "    " : "", x->drop_reason,
				x->drop_func[0] ? x->drop_func : "?");
		if (x->command[0])
			fprintf(f, "%sshown by: %s\n", i ? "    " : "", x->command);
	}
}

/* The kernel's drops of the flow's packets, or why they were not watched:
 * said once, as the diagnosis then rests on asking the kernel alone. */
static void drops_text(FILE *f, const struct trace *t)
{
	if (t->drops_off[0]) {
		fprintf(f, "kernel drops: %s; the diagnosis asked the kernel's state instead\n",
			t->drops_off);
		return;
	}
	for (size_t i = 0; i < t->ndrops; i++) {
		const struct trace_drop *d = &t->drops[i];

		fprintf(f, "%s  %-26s %-12s %s %s in %s\n", i ? "" : "kernel drops of the flow:\n",
			d->ns >= 0 ? t->ns_label[d->ns] : "?", d->ifname[0] ? d->ifname : "-",
			d->reply ? "answer " : "request", d->reason, d->func[0] ? d->func : "?");
	}
}

static json_t *drops_json(const struct trace *t)
{
	json_t *a = json_array(), *o;
	char s[ADDR_STRLEN], d[ADDR_STRLEN];

	for (size_t i = 0; a && i < t->ndrops; i++) {
		const struct trace_drop *x = &t->drops[i];

		json_array_append_new(a, json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i}",
						   "netns", x->ns >= 0 ? json_string(t->ns[x->ns]) : json_null(),
						   "place", x->ns >= 0 ? json_string(t->ns_label[x->ns]) : json_null(),
						   "interface", x->ifname, "direction", x->reply ? "reply" : "request",
						   "reason", x->reason, "function", x->func,
						   "src", addr_fmt(x->saddr, s), "dst", addr_fmt(x->daddr, d),
						   "protocol", x->proto, "sport", x->sport, "dport", x->dport));
	}
	o = json_pack("{s:b, s:o, s:o}", "watched", !t->drops_off[0], "why_not",
		      t->drops_off[0] ? json_string(t->drops_off) : json_null(), "drops", a);
	return o;
}

/* How the kernel differs from the lab's plan on the path (a failed trace). */
static void plan_text(FILE *f, const struct trace *t)
{
	char s[2 * LAB_CHECK_TEXT + 256], cmd[512];

	for (size_t i = 0; i < t->plan.n; i++) {
		out_check_sentence(s, sizeof(s), &t->plan.v[i]);
		lab_check_command(&t->plan.v[i], cmd, sizeof(cmd));
		fprintf(f, "%s  %s: %s\n      see: %s\n",
			i ? "" : "differences from the lab's plan on this path (as podpath check finds them):\n",
			t->plan.v[i].place, s, cmd);
	}
}

static json_t *plan_json(const struct trace *t)
{
	json_t *a = json_array();
	char cmd[512];

	for (size_t i = 0; a && i < t->plan.n; i++) {
		const struct lab_finding *x = &t->plan.v[i];

		lab_check_command(x, cmd, sizeof(cmd));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "check",
						   lab_check_kind_name(x->kind), "netns", x->netns,
						   "place", x->place, "object", x->object, "expected",
						   x->expected, "actual", x->actual, "command", cmd));
	}
	return a;
}

static json_t *findings_json(const struct trace *t)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < t->nfindings; i++) {
		const struct trace_finding *x = &t->findings[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:o, s:o, s:s}",
						   "check", x->check, "cause", x->cause,
						   "verdict", trace_verdict_name(x->verdict),
						   "netns", x->ns >= 0 ? json_string(t->ns[x->ns]) : json_null(),
						   "place", x->ns >= 0 ? json_string(t->ns_label[x->ns]) : json_null(),
						   "hop", x->hop >= 0 ? json_integer(x->hop + 1) : json_null(),
						   "interface", x->ifname, "object", x->object,
						   "expected", x->expected, "actual", x->actual,
						   "drop_reason", x->drop_reason[0] ? json_string(x->drop_reason) : json_null(),
						   "drop_function", x->drop_func[0] ? json_string(x->drop_func) : json_null(),
						   "command", x->command));
		json_object_set_new(json_array_get(a, i), "policy",
				    x->policy_dir >= 0 ? json_string(trace_policy_dir_name((enum policy_dir)x->policy_dir))
						       : json_null());
		/* Which connection it is about, so that a reader finds its
		 * policy details: connection 2's are in upstream.policy. */
		json_object_set_new(json_array_get(a, i), "connection", json_integer(x->upstream ? 2 : 1));
		json_object_set_new(json_array_get(a, i), "text", json_string(x->text ? x->text : ""));
	}
	return a;
}

/* bgp networking: what the BIRDs said of a route a node did not have. */
static json_t *bgp_end_json(const struct trace_bgp_end *e)
{
	char a[ADDR_STRLEN];

	return json_pack("{s:s, s:b, s:s, s:o, s:s, s:b, s:b, s:b, s:o, s:o, s:o}",
			 "speaker", e->speaker, "route_reflector", e->rr, "control_socket", e->ctl,
			 "bird_error", e->ctl_err ? json_string(strerror(-e->ctl_err)) : json_null(),
			 "protocol", e->proto, "has_session", e->has_session,
			 "established", e->established, "wrong_address", e->wrong_address,
			 "state", e->has_session ? json_string(e->state) : json_null(),
			 "neighbor", e->has_session ? json_string(addr_fmt(e->neighbor, a)) : json_null(),
			 "words", e->has_session ? json_string(e->words) : json_null());
}

static json_t *bgp_evidence_json(const struct trace *t)
{
	const struct trace_bgp_evidence *b = &t->ev.bgp;
	char p[CIDR_STRLEN], d[ADDR_STRLEN];
	json_t *o, *links;

	if (!b->asked)
		return json_null();
	links = json_array();
	for (size_t i = 0; links && i < b->nlinks; i++)
		json_array_append_new(links, json_pack("{s:o, s:o}", "near", bgp_end_json(&b->link[i].near),
						       "far", bgp_end_json(&b->link[i].far)));
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:o}", "node", b->node, "netns", b->netns,
		      "owner", b->owner, "prefix", cidr_fmt(&b->prefix, p),
		      "hop", b->hop >= 0 ? json_integer(b->hop + 1) : json_null(),
		      "reply", b->reply,
		      "bird_error", b->local_err ? json_string(strerror(-b->local_err)) : json_null(),
		      "sessions", links);
	if (o) {
		json_object_set_new(o, "dst", json_string(addr_fmt(b->dst, d)));
		json_object_set_new(o, "bird_has_route", json_boolean(b->bird_has_route));
		json_object_set_new(o, "not_exported", b->noexport_asked ? json_boolean(b->not_exported)
								  : json_null());
		json_object_set_new(o, "noexport_protocol", json_string(b->noexport_proto));
	}
	return o;
}

/* ---- NetworkPolicy ------------------------------------------------------ */

static void pol_name(const struct trace *t, size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->lab->topo.policies[i].ns, t->lab->topo.policies[i].name);
}

/* What the admitting peer and port entry say, in words: "pods app=client
 * in namespace default, port http/TCP"; "anywhere" / "every port" for a
 * rule without them. */
static void admitting_words(const struct trace *t, const struct policy_side *s, char *buf,
			    size_t len)
{
	const struct topo_policy *p = &t->lab->topo.policies[s->policy];
	const struct topo_np_rule *r = s->dir == POLICY_INGRESS ? &p->in[s->rule] : &p->out[s->rule];
	char peer[256], port[64];

	if (s->peer == POLICY_ANY)
		snprintf(peer, sizeof(peer), "anywhere");
	else
		policy_desc_peer(p, &r->peers[s->peer], peer, sizeof(peer));
	if (s->port == POLICY_ANY)
		snprintf(port, sizeof(port), "every port");
	else
		policy_desc_port(&r->ports[s->port], port, sizeof(port));
	snprintf(buf, len, "%s %s, %s%s", s->dir == POLICY_INGRESS ? "from" : "to", peer,
		 s->port == POLICY_ANY ? "" : "port ", port);
}

static const char *pol_nft_verdict(enum trace_policy_nft v)
{
	return v == TRACE_POLICY_NFT_DROP ? "drop" : "accept";
}

/* One direction: the lab's policies on the packet the hook saw, and the
 * kernel's rule that decided. */
static void policy_side_text(FILE *f, const struct trace *t, const struct trace_policy *p)
{
	const struct topo_pod *pod = &t->lab->topo.pods[p->pod];
	const struct policy_side *s = &p->side;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], name[2 * TOPO_LABEL_MAX + 2];
	char rule[2 * TOPO_LABEL_MAX + 96], words[384];

	fprintf(f, "  %s %s %s/%s (%s > %s", trace_policy_dir_name(p->dir),
		p->dir == POLICY_INGRESS ? "to" : "from", pod->ns, pod->name,
		addr_fmt(p->flow.saddr, a), addr_fmt(p->flow.daddr, b));
	if (p->flow.l4proto == IPPROTO_ICMP)
		fprintf(f, " icmp");
	else
		fprintf(f, ":%u %s", p->flow.dport, p->flow.l4proto == IPPROTO_UDP ? "udp"
						     : p->flow.l4proto == IPPROTO_SCTP ? "sctp" : "tcp");
	fprintf(f, "%s): ", p->flow_seen ? "" : p->flow_sent ? ", as sent: not seen there"
								: ", from the captures");
	if (s->exempt) {
		fprintf(f, "its own node, never subject to policy\n");
	} else if (!s->isolated) {
		fprintf(f, "not isolated\n");
	} else {
		fprintf(f, "isolated by ");
		for (size_t i = 0; i < s->nisolating; i++) {
			pol_name(t, s->isolating[i], name, sizeof(name));
			fprintf(f, "%s%s", i ? ", " : "", name);
		}
		if (s->allowed) {
			policy_rule_comment(rule, sizeof(rule), &t->lab->topo.policies[s->policy],
					    p->dir, s->rule, s->peer, s->port);
			admitting_words(t, s, words, sizeof(words));
			fprintf(f, "; admitted by %s (%s)\n", rule, words);
		} else {
			fprintf(f, "; no rule admits it\n");
		}
	}
	/* The rule's text ends in its verdict; a chain's policy says it. */
	if (p->nft != TRACE_POLICY_NFT_NONE)
		fprintf(f, "      nftables in %s: table %s chain %s, %s%s%s%s%s%s\n",
			t->ns_label[p->ns], POLICY_TABLE, p->chain, p->nft_policy ? "policy " : "rule ",
			p->nft_policy ? pol_nft_verdict(p->nft) : p->rule,
			p->comment[0] ? " (comment \"" : "", p->comment, p->comment[0] ? "\")" : "",
			trace_policy_kernel_agrees(p) ? "" : "; not what the lab's policies decide");
}

/* Both directions, when the lab has policies or the kernel's table acted,
 * under heading. */
static void policy_text(FILE *f, const struct trace *t, const char *heading)
{
	bool any = t->lab && t->lab->topo.npolicies;

	for (size_t d = 0; d < 2; d++)
		any |= t->policy[d].valid && t->policy[d].nft != TRACE_POLICY_NFT_NONE;
	if (!any || (!t->policy[POLICY_EGRESS].valid && !t->policy[POLICY_INGRESS].valid))
		return;
	fputs(heading, f);
	if (t->policy[POLICY_EGRESS].valid)
		policy_side_text(f, t, &t->policy[POLICY_EGRESS]);
	if (t->policy[POLICY_INGRESS].valid)
		policy_side_text(f, t, &t->policy[POLICY_INGRESS]);
}

static json_t *policy_side_json(const struct trace *t, const struct trace_policy *p)
{
	const struct topo_pod *pod = &t->lab->topo.pods[p->pod];
	const struct policy_side *s = &p->side;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], name[2 * TOPO_LABEL_MAX + 2], path[96];
	json_t *o, *by = json_array(), *adm = json_null(), *nft = json_null();

	for (size_t i = 0; by && i < s->nisolating; i++) {
		pol_name(t, s->isolating[i], name, sizeof(name));
		json_array_append_new(by, json_string(name));
	}
	if (s->isolated && s->allowed && !s->exempt) {
		pol_name(t, s->policy, name, sizeof(name));
		trace_policy_rule_path(p, path, sizeof(path));
		adm = json_pack("{s:s, s:I, s:o, s:o, s:s}", "policy", name, "rule", (json_int_t)s->rule,
				"peer", s->peer == POLICY_ANY ? json_null() : json_integer((json_int_t)s->peer),
				"port", s->port == POLICY_ANY ? json_null() : json_integer((json_int_t)s->port),
				"path", path);
	}
	if (p->nft != TRACE_POLICY_NFT_NONE)
		nft = json_pack("{s:s?, s:s?, s:s, s:s, s:I, s:s, s:s, s:s?, s:b}", "netns", t->ns[p->ns],
				"place", t->ns_label[p->ns], "table", POLICY_TABLE, "chain", p->chain,
				"handle", (json_int_t)p->handle, "rule", p->rule, "comment", p->comment,
				"verdict", pol_nft_verdict(p->nft), "agrees",
				trace_policy_kernel_agrees(p));
	snprintf(name, sizeof(name), "%s/%s", pod->ns, pod->name);
	/* A piece that could not be built is null, never the whole trace's
	 * document lost (`o?`, `s?`). */
	o = json_pack("{s:s?, s:s, s:s, s:{s:s, s:s, s:i, s:i}, s:s, s:b, s:b, s:o?, s:b, s:o?, s:o?}",
		      "direction", trace_policy_dir_name(p->dir), "pod", name, "node",
		      t->lab->topo.nodes[pod->node].name,
		      "packet", "src", addr_fmt(p->flow.saddr, a), "dst", addr_fmt(p->flow.daddr, b),
		      "protocol", p->flow.l4proto, "port", p->flow.dport,
		      "packet_from", p->flow_seen ? "nftables" : p->flow_sent ? "probe" : "capture",
		      "exempt", s->exempt, "isolated", s->isolated, "isolated_by", by,
		      "allowed", s->allowed, "admitted_by", adm, "nftables", nft);
	return o;
}

/* {"egress": ..., "ingress": ...}, each null where no pod of the lab is
 * on that side. */
static json_t *policy_json(const struct trace *t)
{
	const struct trace_policy *e = &t->policy[POLICY_EGRESS], *i = &t->policy[POLICY_INGRESS];

	return json_pack("{s:o?, s:o?}", "egress", e->valid ? policy_side_json(t, e) : json_null(),
			 "ingress", i->valid ? policy_side_json(t, i) : json_null());
}

void out_trace_policy_text(FILE *f, const struct trace *t)
{
	/* For a caller that prints the hops its own way (explain --live). */
	policy_text(f, t, "\nnetwork policy:\n");
}

json_t *out_trace_policy_json(const struct trace *t)
{
	return policy_json(t);
}

void out_trace_text(FILE *f, const struct trace *t, bool color)
{
	out_trace_text_verbose(f, t, color, false);
}

void out_trace_text_verbose(FILE *f, const struct trace *t, bool color, bool verbose)
{
	bool ok = t->verdict == TRACE_DELIVERED, reply_started = false;
	char dst[ADDR_STRLEN + 8];

	addr_fmt(t->dst.ip, dst);
	if (t->probe.dport)
		snprintf(dst + strlen(dst), sizeof(dst) - strlen(dst), ":%u", t->probe.dport);
	fprintf(f, "trace %s %s -> %s (%s), %s%s\n\n", probe_proto_name(t->probe.proto),
		t->src.label, t->dst.label, dst,
		t->lab ? topo_mode_name(t->lab->topo.net.mode) : "namespaces as the kernel shows them",
		t->lab ? " networking" : "");
	fprintf(f, "%3s %9s  %-26s %-12s %-3s  %s\n", "#", "TIME ms", "WHERE", "IF", "DIR", "PACKET");
	for (size_t i = 0; i < t->nhops; i++) {
		if (t->hops[i].reply && !reply_started) {
			fprintf(f, "    reply:\n");
			reply_started = true;
		}
		arp_text(f, t, i, color, verbose);
		hop_text(f, t, i, color, verbose);
	}
	arp_text(f, t, t->nhops, color, verbose);
	if (!t->nhops)
		fprintf(f, "    (no packet of the probe was seen)\n");
	if (t->upstream)
		upstream_text(f, t, color, verbose);
	nft_text(f, t, "\nnftables:\n", verbose);
	for (size_t i = 0; i < t->nct; i++) {
		const struct ct_entry *c = &t->ct[i];
		char os[ADDR_STRLEN], od[ADDR_STRLEN], rs[ADDR_STRLEN], rd[ADDR_STRLEN];

		if (!i)
			fprintf(f, "\nconntrack:\n");
		if (c->proto == IPPROTO_ICMP)
			fprintf(f, "  %-26s icmp %s > %s id %u, reply %s > %s%s%s\n",
				t->ns_label[t->ct_ns[i]], addr_fmt(c->orig.src, os),
				addr_fmt(c->orig.dst, od), c->orig.sport, addr_fmt(c->reply.src, rs),
				addr_fmt(c->reply.dst, rd), c->dnat ? " [DNAT]" : "", c->snat ? " [SNAT]" : "");
		else
			fprintf(f, "  %-26s %s:%u > %s:%u, reply %s:%u > %s:%u%s%s%s%s\n",
				t->ns_label[t->ct_ns[i]], addr_fmt(c->orig.src, os), c->orig.sport,
				addr_fmt(c->orig.dst, od), c->orig.dport, addr_fmt(c->reply.src, rs),
				c->reply.sport, addr_fmt(c->reply.dst, rd), c->reply.dport,
				c->dnat ? " [DNAT]" : "", c->snat ? " [SNAT]" : "", c->state[0] ? " " : "",
				c->state);
	}
	policy_text(f, t, "\nnetwork policy:\n");
	fprintf(f, "\nverdict: %s%s%s: %s\n", color ? (ok ? GREEN : RED) : "",
		trace_verdict_name(t->verdict), color ? RESET : "", t->reason);
	if (!ok)
		findings_text(f, t);
	if (!ok || t->drops_off[0])
		drops_text(f, t);
	if (!ok)
		plan_text(f, t);
	if (t->res.tls[0])
		fprintf(f, "tls: %s\n", t->res.tls);
	/* A delivered answer says its path only when the path was not the
	 * predicted one: then the answer alone would hide it. */
	if (t->divergence[0] && (!ok || (t->div.kind != TRACE_DIV_NONE &&
					 t->div.kind != TRACE_DIV_NO_PREDICTION)))
		fprintf(f, "first divergence from the expected path: %s\n", t->divergence);
	losses_text(f, t, "observer losses (the trace may miss what they left out):");
	if (t->upstream)
		losses_text(f, t->upstream, "observer losses of connection 2 (the trace may miss "
			    "what they left out):");
	fprintf(f, "timing: arming observers %.1f ms, waiting for packets %.1f ms, total %.1f ms\n",
		(double)t->arm_ns / 1e6, (double)t->wait_ns / 1e6, (double)t->total_ns / 1e6);
}

static json_t *packet_json(const struct capture_pkt *k)
{
	char s[ADDR_STRLEN], d[ADDR_STRLEN], fl[32];
	json_t *o = json_pack("{s:s, s:s, s:i, s:i}", "src", addr_fmt(k->saddr, s), "dst",
			      addr_fmt(k->daddr, d), "protocol", k->proto, "ttl", k->ttl);

	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP) {
		json_object_set_new(o, "sport", json_integer(k->sport));
		json_object_set_new(o, "dport", json_integer(k->dport));
	}
	if (k->proto == IPPROTO_TCP)
		json_object_set_new(o, "flags", json_string(tcp_flags_fmt(k->tcp_flags, fl, sizeof(fl))));
	if (k->proto == IPPROTO_ICMP)
		json_object_set_new(o, "icmp", json_pack("{s:i, s:i, s:s}", "type", k->icmp_type, "code",
							 k->icmp_code, "name",
							 icmp_name(k->icmp_type, k->icmp_code)));
	if (k->vxlan)
		json_object_set_new(o, "vxlan", json_pack("{s:i, s:s, s:s}", "vni", (int)k->vni, "src",
							  addr_fmt(k->outer_saddr, s), "dst",
							  addr_fmt(k->outer_daddr, d)));
	l2_json(o, k);
	return o;
}

/* The path the topology predicts, each step with the hop that showed it. */
static json_t *expected_json(const struct trace *t)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < t->nexpect; i++) {
		const struct trace_expect *x = &t->expect[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "kind",
				      x->kind == TRACE_EXPECT_DNAT ? "dnat"
				      : x->kind == TRACE_EXPECT_POLICY ? "policy" : "hop", "netns",
				      t->ns[x->ns], "place", t->ns_label[x->ns], "seen_at_hop",
				      x->seen >= 0 ? json_integer(x->seen + 1) : json_null());

		if (o && x->kind == TRACE_EXPECT_HOP) {
			json_object_set_new(o, "interface", json_string(x->ifname));
			json_object_set_new(o, "io", json_string(x->outgoing ? "out" : "in"));
		}
		if (o && x->kind == TRACE_EXPECT_POLICY) {
			const struct topo_pod *pod = &t->lab->topo.pods[x->pod];
			char name[2 * TOPO_LABEL_MAX + 2];

			snprintf(name, sizeof(name), "%s/%s", pod->ns, pod->name);
			json_object_set_new(o, "direction", json_string(trace_policy_dir_name(x->dir)));
			json_object_set_new(o, "pod", json_string(name));
		}
		json_array_append_new(a, o);
	}
	return a;
}

/* The first divergence as a record: its kind, the step not met and the
 * hop that showed it; null without a prediction. */
static json_t *divergence_json(const struct trace *t)
{
	const struct trace_divergence *d = &t->div;
	json_t *o;

	if (d->kind == TRACE_DIV_NO_PREDICTION)
		return json_null();
	o = json_pack("{s:s, s:o, s:o}", "kind", trace_div_kind_name(d->kind), "expected_step",
		      d->expect >= 0 ? json_integer(d->expect + 1) : json_null(), "hop",
		      d->hop >= 0 ? json_integer(d->hop + 1) : json_null());
	if (o && d->expect < 0 && d->hop < 0 && t->expect_unobserved) {
		/* A step in a namespace nobody observed: named, not placed. */
		json_object_set_new(o, "netns", json_string(t->expect_unobserved));
		json_object_set_new(o, "place", json_null());
		json_object_set_new(o, "interface", json_null());
		json_object_set_new(o, "io", json_null());
	} else if (o && d->kind != TRACE_DIV_NONE) {
		bool dnat = d->hop < 0 && d->expect >= 0 &&
			    t->expect[d->expect].kind != TRACE_EXPECT_HOP;

		json_object_set_new(o, "netns", json_string(t->ns[d->ns]));
		json_object_set_new(o, "place", json_string(t->ns_label[d->ns]));
		json_object_set_new(o, "interface", dnat ? json_null() : json_string(d->ifname));
		json_object_set_new(o, "io", dnat ? json_null()
						  : json_string(d->outgoing ? "out" : "in"));
	}
	return o;
}

/* Every namespace the trace armed its observers in, in path order: what
 * it could have seen, so that what it did not see means something. */
static json_t *observed_json(const struct trace *t)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < t->nns; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "netns", t->ns[i], "place",
						   t->ns_label[i]));
	return a;
}

/* The FDB entry that chose a bridged hop's port; null where not asked. */
static json_t *fdb_json(const struct trace_fdb *f)
{
	char m[MAC_STRLEN];

	if (!f->asked)
		return json_null();
	return json_pack("{s:s, s:s, s:b, s:o, s:o}", "mac", mac_fmt(f->mac, m), "bridge", f->bridge,
			 "found", f->found, "port", f->found ? json_string(f->port) : json_null(),
			 "kind", f->found ? json_string(f->kind) : json_null());
}

/* iproute2's names for the route protocols a lab meets (rt_protos). */
static json_t *route_proto_json(uint8_t p)
{
	static const char *const names[] = {
		[RTPROT_UNSPEC] = "unspec", [RTPROT_REDIRECT] = "redirect",
		[RTPROT_KERNEL] = "kernel", [RTPROT_BOOT] = "boot", [RTPROT_STATIC] = "static",
		[RTPROT_BIRD] = "bird", [RTPROT_DHCP] = "dhcp",
	};

	if (p < sizeof(names) / sizeof(names[0]) && names[p])
		return json_string(names[p]);
	return json_integer(p);
}

/* Where a proto bird route came from, as the node's BIRD said. */
static json_t *hop_bgp_json(const struct trace_hop_bgp *b)
{
	if (!b->asked)
		return json_null();
	return json_pack("{s:o, s:b, s:o, s:o, s:o, s:b, s:o, s:o}",
			 "learned_from", b->learned_from[0] ? json_string(b->learned_from) : json_null(),
			 "via_route_reflector", b->via_rr,
			 "announced_by", b->announced_by[0] ? json_string(b->announced_by) : json_null(),
			 "session", b->err ? json_null() : json_string(b->session),
			 "state", b->state[0] ? json_string(b->state) : json_null(),
			 "established", b->established,
			 "session_words", b->words[0] ? json_string(b->words) : json_null(),
			 "error", b->err ? json_string(strerror(-b->err)) : json_null());
}

/* The route the kernel picked at a routed hop; null elsewhere. */
static json_t *hop_route_json(const struct trace_hop *h)
{
	struct cidr c = { h->route_dst, h->route_plen };
	char g[ADDR_STRLEN], p[CIDR_STRLEN];

	if (!h->route_set)
		return json_null();
	return json_pack("{s:s, s:o, s:o, s:o}", "dst", h->route_plen ? cidr_fmt(&c, p) : "default",
			 "gateway", h->route_gw ? json_string(addr_fmt(h->route_gw, g)) : json_null(),
			 "proto", route_proto_json(h->route_proto), "bgp", hop_bgp_json(&h->bgp));
}

/* Every ARP observation, in time order (docs/trace-json.md). */
static json_t *arp_json(const struct trace *t)
{
	json_t *a = json_array();
	char s[ADDR_STRLEN], d[ADDR_STRLEN], m[MAC_STRLEN];

	for (size_t i = 0; a && i < t->narp; i++) {
		const struct trace_arp *x = &t->arp[i];
		const struct capture_pkt *k = x->pkt;
		json_t *o = json_pack("{s:s, s:i, s:f, s:s, s:s, s:o}", "kind", arp_kind_name(x->kind),
				      "exchange", (int)x->exchange + 1, "time_ms", arp_ms(t, x),
				      "netns", t->ns[x->ns], "place", t->ns_label[x->ns], "before_hop",
				      x->before_hop < t->nhops ? json_integer((json_int_t)x->before_hop + 1)
							       : json_null());

		if (!o)
			continue;
		if (k) {
			json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s}", "op",
					      k->arp_op == 1 ? "request" : "reply", "sender_ip",
					      addr_fmt(k->arp_spa, s), "sender_mac", mac_fmt(k->arp_sha, m),
					      "target_ip", addr_fmt(k->arp_tpa, d), "target_mac", "");

			json_object_set_new(p, "target_mac", json_string(mac_fmt(k->arp_tha, m)));
			l2_json(p, k);
			json_object_set_new(o, "interface", json_string(k->ifname));
			json_object_set_new(o, "io", json_string(k->outgoing ? "out" : "in"));
			json_object_set_new(o, "repeats", json_integer(x->repeats));
			json_object_set_new(o, "flooded", json_boolean(x->flooded));
			json_object_set_new(o, "packet", p);
		} else {
			json_object_set_new(o, "interface", json_string(x->ifname));
			json_object_set_new(o, "answer_seen", json_boolean(arp_answered(t, x)));
			json_object_set_new(o, "error", x->neigh_err ? json_string(strerror(-x->neigh_err))
								     : json_null());
			json_object_set_new(o, "neighbour",
					    x->neigh_err ? json_null()
					    : json_pack("{s:s, s:o, s:s}", "ip", addr_fmt(x->ip, s),
							"lladdr", x->state && x->has_mac
							? json_string(mac_fmt(x->mac, m)) : json_null(),
							"state", x->state ? nud_name(x->state) : "NONE"));
		}
		json_array_append_new(a, o);
	}
	return a;
}

/* A JSON string of s: a sentence cut at its buffer's end may end inside
 * a UTF-8 sequence, which jansson refuses; the cut tail is dropped then,
 * so the verdict is never lost with it. */
static json_t *utf8_string(const char *s)
{
	size_t n = strlen(s);
	json_t *j = json_string(s);

	for (size_t cut = 1; !j && cut <= 3 && cut <= n; cut++)
		j = json_stringn(s, n - cut);
	return j ? j : json_string("(not valid UTF-8)");
}

json_t *out_trace_json(const struct trace *t)
{
	json_t *o;
	json_t *hops = json_array(), *nft = json_array(), *ct = json_array(), *v;
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	for (size_t i = 0; i < t->nhops; i++) {
		const struct trace_hop *h = &t->hops[i];

		json_array_append_new(hops, json_pack("{s:i, s:s, s:f, s:s, s:s, s:s, s:s, s:o, s:i, s:s, s:s}",
						      "hop", (int)i + 1, "direction",
						      h->reply ? "reply" : "request", "time_ms",
						      (double)h->dt_ns / 1e6, "netns", t->ns[h->ns],
						      "place", t->ns_label[h->ns], "interface",
						      h->pkt->ifname, "io", h->pkt->outgoing ? "out" : "in",
						      "packet", packet_json(h->pkt), "repeats", h->repeats,
						      "change", h->change, "why", h->why));
		json_object_set_new(json_array_get(hops, i), "service", svc_json(t, &h->svc));
		json_object_set_new(json_array_get(hops, i), "fdb", fdb_json(&h->fdb));
		json_object_set_new(json_array_get(hops, i), "route", hop_route_json(h));
		json_object_set_new(json_array_get(hops, i), "moved", trace_moved_name(h->moved) ?
				    json_string(trace_moved_name(h->moved)) : json_null());
	}
	for (size_t i = 0; i < t->nnft; i++) {
		const struct nftrace_event *ev = &t->nft[i];

		json_array_append_new(nft, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}",
						     "netns", t->ns[t->nft_ns[i]], "kind",
						     nft_kind_name(ev->kind), "table", ev->table, "chain",
						     ev->chain, "handle", (json_int_t)ev->handle, "verdict",
						     nft_verdict_name(ev->verdict), "target", ev->jump_target,
						     "rule", ev->rule, "comment", ev->comment));
	}
	for (size_t i = 0; i < t->nct; i++) {
		const struct ct_entry *c = &t->ct[i];
		char os[ADDR_STRLEN], od[ADDR_STRLEN], rs[ADDR_STRLEN], rd[ADDR_STRLEN];

		json_array_append_new(ct, json_pack("{s:s, s:{s:s, s:s, s:i, s:i}, s:{s:s, s:s, s:i, s:i}, s:b, s:b, s:s}",
						    "netns", t->ns[t->ct_ns[i]],
						    "original", "src", addr_fmt(c->orig.src, os), "dst",
						    addr_fmt(c->orig.dst, od), "sport", c->orig.sport, "dport",
						    c->orig.dport,
						    "reply", "src", addr_fmt(c->reply.src, rs), "dst",
						    addr_fmt(c->reply.dst, rd), "sport", c->reply.sport, "dport",
						    c->reply.dport,
						    "dnat", c->dnat, "snat", c->snat, "state", c->state));
	}
	v = json_pack("{s:s, s:o, s:o, s:o, s:b}", "result", trace_verdict_name(t->verdict), "reason",
		      utf8_string(t->reason), "divergence", utf8_string(t->divergence), "answer",
		      utf8_string(t->res.answer), "events_lost", t->nft_lost);
	json_object_set_new(v, "last_hop", t->last_hop >= 0 ? json_integer(t->last_hop + 1) : json_null());
	json_object_set_new(v, "cause", t->cause ? json_string(t->cause) : json_null());
	/* What ended the wait: the answer (or an error) came back, an observer
	 * saw the probe dropped, or the time ran out. */
	json_object_set_new(v, "wait_ended_by", json_string(t->res.stopped ? "kernel-drop"
							    : t->res.outcome == PROBE_TIMEOUT ? "timeout"
							    : "answer"));
	json_object_set_new(v, "findings", findings_json(t));
	json_object_set_new(v, "bgp", bgp_evidence_json(t));
	json_object_set_new(v, "divergence_at", divergence_json(t));
	if (t->res.http_status)
		json_object_set_new(v, "http_status", json_integer(t->res.http_status));
	if (t->res.tls[0])
		json_object_set_new(v, "tls", json_string(t->res.tls));
	if (t->res.via[0])
		json_object_set_new(v, "ingress_rule", json_string(t->res.via));
	o = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:s*}, s:{s:s, s:s, s:i, s:s*}, s:o?, s:o?, s:o?, s:o?, s:o?, s:{s:f, s:f, s:f}}",
			 "schema", 1, "protocol", probe_proto_name(t->probe.proto), "mode",
			 t->lab ? topo_mode_name(t->lab->topo.net.mode) : "kernel",
			 "src", "name", t->src.label, "ip",
			 t->probe.saddr ? addr_fmt(t->probe.saddr, a) : addr_fmt(t->src.ip, a),
			 "netns", t->src.netns,
			 "dst", "name", t->dst.label, "ip", addr_fmt(t->dst.ip, b), "port", t->probe.dport,
			 "netns", t->dst.netns,
			 "service", svc_json(t, &t->svc), "hops", hops, "nftables", nft, "conntrack", ct, "verdict", v,
			 "timing", "arm_ms", (double)t->arm_ns / 1e6, "wait_ms", (double)t->wait_ns / 1e6,
			 "total_ms", (double)t->total_ns / 1e6);
	if (o) {
		json_object_set_new(o, "arp", arp_json(t));
		json_object_set_new(o, "observed", observed_json(t));
		json_object_set_new(o, "expected_path", expected_json(t));
		json_object_set_new(o, "observer_losses", losses_json(t));
		json_object_set_new(o, "kernel_drops", drops_json(t));
		json_object_set_new(o, "plan_differences", plan_json(t));
		json_object_set_new(o, "policy", policy_json(t));
	}
	/* Behind the ingress: the second connection, as a trace of its own. */
	if (o && t->proxy_pod >= 0) {
		const struct topo_pod *p = &t->lab->topo.pods[t->proxy_pod];
		char name[2 * TOPO_LABEL_MAX + 2];

		snprintf(name, sizeof(name), "%s/%s", p->ns, p->name);
		json_object_set_new(o, "proxy", json_string(name));
	}
	if (o && t->upstream)
		json_object_set_new(o, "upstream", out_trace_json(t->upstream));
	return o;
}
