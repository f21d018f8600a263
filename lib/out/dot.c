/* out/dot — the lab (and a probe's path on it) as Graphviz; see dot.h.
 * The graph is built as a small model first (vertices with the namespace
 * and interfaces they stand for, edges with both ends' interface names),
 * so that a trace's hops can be placed on it before anything is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/bgp_view.h"
#include "out/dot.h"
#include "policy/describe.h"
#include "trace/trace.h"

/* A vertex: a namespace, or a node's bridge (the bridge and the veths
 * plugged into it, in the node's namespace). */
struct vtx {
	char id[2 * TOPO_LABEL_MAX + 16];
	char label[2 * TOPO_LABEL_MAX + 4 * CIDR_STRLEN + 64];
	char attrs[64];
	ssize_t cluster;	/* the node whose box holds it, -1: none */
	const char *netns;	/* NULL: no namespace of its own (a Service) */
	bool bridge;		/* the node's bridge: its ports and cbr0 */
	ssize_t node;		/* bridge: the node it is in */
};

struct edge {
	size_t a, b;
	char label[2 * IF_NAMESIZE + 40];
	char attrs[48];
	/* The path over it: "1->2, 11->12" and whether request/answer used it. */
	char hops[160];
	bool req, rep;
};

struct graph {
	const struct lab *lab;
	struct vtx *v;
	size_t nv, capv;
	struct edge *e;
	size_t ne, cape;
};

static ssize_t vtx_add(struct graph *g, const char *id, const char *label, const char *attrs,
		       ssize_t cluster, const char *netns)
{
	struct vtx *v;

	if (g->nv == g->capv) {
		size_t cap = g->capv ? 2 * g->capv : 32;
		struct vtx *n = realloc(g->v, cap * sizeof(*n));

		if (!n)
			return -1;
		g->v = n;
		g->capv = cap;
	}
	v = &g->v[g->nv];
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id);
	snprintf(v->label, sizeof(v->label), "%s", label);
	snprintf(v->attrs, sizeof(v->attrs), "%s", attrs);
	v->cluster = cluster;
	v->netns = netns;
	v->node = -1;
	return (ssize_t)g->nv++;
}

/* The new edge, or NULL (an end missing, or out of memory: the edge is
 * then left out of the drawing). */
static struct edge *edge_add(struct graph *g, ssize_t a, ssize_t b, const char *label,
			     const char *attrs)
{
	struct edge *e;

	if (a < 0 || b < 0)
		return NULL;
	if (g->ne == g->cape) {
		size_t cap = g->cape ? 2 * g->cape : 32;
		struct edge *n = realloc(g->e, cap * sizeof(*n));

		if (!n)
			return NULL;
		g->e = n;
		g->cape = cap;
	}
	e = &g->e[g->ne++];
	memset(e, 0, sizeof(*e));
	e->a = (size_t)a;
	e->b = (size_t)b;
	snprintf(e->label, sizeof(e->label), "%s", label);
	snprintf(e->attrs, sizeof(e->attrs), "%s", attrs);
	return e;
}

static ssize_t vtx_find(const struct graph *g, const char *id)
{
	for (size_t i = 0; i < g->nv; i++)
		if (!strcmp(g->v[i].id, id))
			return (ssize_t)i;
	return -1;
}

/* The lab's places and wires. */
static void build(struct graph *g, const bool *pod_ok)
{
	const struct lab *l = g->lab;
	const struct topo *t = &l->topo;
	const struct lab_plan *p = &l->plan;
	char id[sizeof(g->v->id)], lb[sizeof(g->v->label)], el[sizeof(g->e->label)];
	char a[ADDR_STRLEN], c[CIDR_STRLEN], c2[CIDR_STRLEN];
	bool vpc_mode = t->net.mode == TOPO_MODE_VPC, haslb = false;
	ssize_t vpc, gw, inet;

	snprintf(lb, sizeof(lb), "VPC %s\\nrouter %s\\n(bridge %s)", cidr_fmt(&t->net.vpc_cidr, c),
		 addr_fmt(t->net.vpc_router, a), LAB_VPC_BRIDGE_NAME);
	vpc = vtx_add(g, "vpc", lb, "shape=ellipse", -1, p->vpc_netns);
	for (size_t i = 0; i < t->nnodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		ssize_t nv, br = -1;

		snprintf(id, sizeof(id), "node/%s", n->name);
		if (vpc_mode)
			snprintf(lb, sizeof(lb), "%s\\neth0 %s\\nno bridge (vpc): /32 routes, proxy ARP",
				 n->name, addr_fmt(n->ip, a));
		else
			snprintf(lb, sizeof(lb), "%s\\neth0 %s\\npod CIDR %s%s", n->name,
				 addr_fmt(n->ip, a), cidr_fmt(&n->pod_cidr, c),
				 t->net.mode == TOPO_MODE_VXLAN ? "\\nVTEP " LAB_VXLAN_NAME : "");
		nv = vtx_add(g, id, lb, "", (ssize_t)i, p->nodes[i].netns);
		snprintf(el, sizeof(el), "%s <-> eth0", p->nodes[i].vpc_port);
		edge_add(g, vpc, nv, el, "dir=both");
		if (!vpc_mode) {
			struct cidr gwc = { .addr = n->gw, .len = n->pod_cidr.len };

			snprintf(id, sizeof(id), "node/%s/%s", n->name, LAB_BRIDGE_NAME);
			snprintf(lb, sizeof(lb), "bridge %s\\n%s", LAB_BRIDGE_NAME, cidr_fmt(&gwc, c2));
			br = vtx_add(g, id, lb, "shape=box3d", (ssize_t)i, p->nodes[i].netns);
			if (br >= 0) {
				g->v[br].bridge = true;
				g->v[br].node = (ssize_t)i;
			}
			edge_add(g, nv, br, "IP layer <-> " LAB_BRIDGE_NAME, "dir=both");
		}
		for (size_t k = 0; k < t->npods; k++) {
			const struct topo_pod *pd = &t->pods[k];
			ssize_t pv;

			if (pd->node != i)
				continue;
			snprintf(id, sizeof(id), "%s/%s", pd->ns, pd->name);
			snprintf(lb, sizeof(lb), "%s/%s\\n%s", pd->ns, pd->name, addr_fmt(pd->ip, a));
			pv = vtx_add(g, id, lb, !pod_ok ? "shape=component"
				     : pod_ok[k] ? "shape=component, color=darkgreen"
				     : "shape=component, color=red", (ssize_t)i, p->pods[k].netns);
			snprintf(el, sizeof(el), "%s <-> eth0 (veth)", p->pods[k].host_if);
			edge_add(g, vpc_mode ? nv : br, pv, el, "dir=both");
		}
	}
	/* The cloud's edge: the gateway (1:1 NAT), the internet, its hosts,
	 * the load balancer beside the VPC. */
	snprintf(lb, sizeof(lb), "internet %s\\nrouter %s", cidr_fmt(&t->inet.cidr, c),
		 addr_fmt(t->inet.router, a));
	inet = vtx_add(g, "internet", lb, "shape=ellipse", -1, p->inet_netns);
	for (size_t i = 0; i < t->inet.nhosts; i++) {
		ssize_t hv;

		snprintf(id, sizeof(id), "internet/%s", t->inet.hosts[i].name);
		snprintf(lb, sizeof(lb), "%s\\n%s", t->inet.hosts[i].name, addr_fmt(t->inet.hosts[i].ip, a));
		hv = vtx_add(g, id, lb, "", -1, p->hosts[i].netns);
		snprintf(el, sizeof(el), "eth0 <-> %s", p->hosts[i].host_if);
		edge_add(g, hv, inet, el, "dir=both");
	}
	snprintf(lb, sizeof(lb), "cloud gateway %s\\n1:1 NAT node <-> public (%s)",
		 addr_fmt(t->net.gateway_ip, a), cidr_fmt(&t->net.public_cidr, c));
	gw = vtx_add(g, "gateway", lb, "shape=octagon", -1, p->gw_netns);
	edge_add(g, inet, gw, "", "dir=both");
	edge_add(g, gw, vpc, "", "dir=both");
	for (size_t i = 0; i < t->nservices; i++)
		haslb |= t->services[i].lb_ip != 0;
	if (haslb)
		edge_add(g, vpc, vtx_add(g, "lb", "cloud L4 load balancer\\nLB IPs -> NodePorts",
					 "shape=octagon", -1, p->lb_netns), "lb", "dir=both");
	/* Services: to each endpoint pod, with the target port. */
	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *sv = &t->services[i];
		ssize_t s;

		snprintf(id, sizeof(id), "svc/%s/%s", sv->ns, sv->name);
		snprintf(lb, sizeof(lb), "svc %s/%s\\n%s", sv->ns, sv->name,
			 sv->cluster_ip ? addr_fmt(sv->cluster_ip, a) : "None");
		s = vtx_add(g, id, lb, "shape=hexagon", -1, NULL);
		for (size_t e = 0; e < sv->nendpoints; e++) {
			char pid[sizeof(id)];

			el[0] = '\0';	/* none where the pod lacks the port */
			if (sv->nports && sv->endpoints[e].port[0])
				snprintf(el, sizeof(el), ":%u", sv->endpoints[e].port[0]);
			snprintf(pid, sizeof(pid), "%s/%s", t->pods[sv->endpoints[e].pod].ns,
				 t->pods[sv->endpoints[e].pod].name);
			edge_add(g, s, vtx_find(g, pid), el, "style=dashed");
		}
		if (sv->lb_ip)
			edge_add(g, vtx_find(g, "lb"), s, addr_fmt(sv->lb_ip, a), "style=dotted");
	}
}

/* The vertex a hop was seen at: its namespace's, or in a node, the bridge
 * when the interface is the bridge or one of its ports. -1: not the lab's. */
static ssize_t hop_vtx(const struct graph *g, const char *netns, const char *ifname)
{
	const struct lab_plan *p = &g->lab->plan;
	ssize_t found = -1;

	if (!netns)
		return -1;
	for (size_t i = 0; i < g->nv; i++) {
		const struct vtx *v = &g->v[i];
		bool port = false;

		if (!v->netns || strcmp(v->netns, netns))
			continue;
		if (!v->bridge) {
			if (found < 0)
				found = (ssize_t)i;
			continue;
		}
		port = !strcmp(ifname, LAB_BRIDGE_NAME);
		for (size_t k = 0; k < g->lab->topo.npods && !port; k++)
			port = g->lab->topo.pods[k].node == (size_t)v->node &&
			       !strcmp(p->pods[k].host_if, ifname);
		if (port)
			return (ssize_t)i;
	}
	return found;
}

static struct edge *edge_between(struct graph *g, size_t a, size_t b)
{
	for (size_t i = 0; i < g->ne; i++)
		if ((g->e[i].a == a && g->e[i].b == b) || (g->e[i].a == b && g->e[i].b == a))
			if (!strstr(g->e[i].attrs, "dashed") && !strstr(g->e[i].attrs, "dotted"))
				return &g->e[i];
	return NULL;
}

/* A DOT string's text: quotes and backslashes escaped, control bytes
 * dropped, at most len - 1 bytes. */
static void dot_escape(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 2 < len; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		if ((unsigned char)*s >= 0x20)
			out[o++] = *s;
	}
	out[o] = '\0';
}

/* s escaped as dot_escape does, in lines of about w characters broken at
 * spaces, for a label. */
static void dot_wrapped(FILE *f, const char *s, size_t w)
{
	size_t col = 0;

	for (; *s; s++) {
		if (*s == ' ' && col >= w) {
			fputs("\\n", f);
			col = 0;
			continue;
		}
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20) {
			fputc(*s, f);
			col++;
		}
	}
}

/* A trace's hops placed on the graph: hv[i], the vertex of hop i. */
struct path {
	const struct trace *t;
	const char *prefix;	/* "" for the probe, "c2." for nginx's connection */
	ssize_t hv[TRACE_MAX_HOPS];
};

static void path_place(struct graph *g, struct path *pa)
{
	const struct trace *t = pa->t;

	for (size_t i = 0; i < t->nhops; i++) {
		const struct trace_hop *h = &t->hops[i];

		pa->hv[i] = hop_vtx(g, h->ns < t->nns ? t->ns[h->ns] : NULL, h->pkt->ifname);
		if (pa->hv[i] < 0 && h->ns < t->nns) {	/* a place the lab does not draw */
			char id[sizeof(g->v->id)];

			snprintf(id, sizeof(id), "netns/%s", t->ns[h->ns]);
			pa->hv[i] = vtx_find(g, id);
			if (pa->hv[i] < 0)
				pa->hv[i] = vtx_add(g, id, t->ns_label[h->ns], "shape=ellipse, style=dashed",
						    -1, t->ns[h->ns]);
		}
	}
	for (size_t i = 1; i < t->nhops; i++) {
		struct edge *e;
		size_t len;

		if (pa->hv[i - 1] < 0 || pa->hv[i] < 0 || pa->hv[i - 1] == pa->hv[i])
			continue;
		e = edge_between(g, (size_t)pa->hv[i - 1], (size_t)pa->hv[i]);
		if (!e)		/* the probe went where the lab has no wire */
			e = edge_add(g, pa->hv[i - 1], pa->hv[i], "", "style=dashed, constraint=false");
		if (!e)
			continue;
		len = strlen(e->hops);
		snprintf(e->hops + len, sizeof(e->hops) - len, "%s%s%zu->%s%zu", len ? ", " : "",
			 pa->prefix, i, pa->prefix, i + 1);
		if (t->hops[i].reply)
			e->rep = true;
		else
			e->req = true;
	}
}

/* A vertex's id as DOT takes it: bare when it is a plain word ("vpc"),
 * else quoted (ids are pod and node names: no quotes in them). */
static const char *id_fmt(const char *id, char *buf, size_t len)
{
	if (id[strspn(id, "abcdefghijklmnopqrstuvwxyz_")] == '\0')
		return id;
	snprintf(buf, len, "\"%s\"", id);
	return buf;
}

/* A vertex's label with the hops seen there: "#3 cbr0 in". */
static void vtx_print(FILE *f, const struct graph *g, size_t i, const struct path *pa, size_t npa,
		      const char *indent)
{
	const struct vtx *v = &g->v[i];
	bool req = false, rep = false;

	char q[sizeof(v->id) + 2];

	fprintf(f, "%s%s [label=\"%s", indent, id_fmt(v->id, q, sizeof(q)), v->label);
	for (size_t k = 0; k < npa; k++)
		for (size_t h = 0; h < pa[k].t->nhops; h++) {
			const struct trace_hop *hp = &pa[k].t->hops[h];

			if (pa[k].hv[h] != (ssize_t)i)
				continue;
			fprintf(f, "\\n#%s%zu %s %s", pa[k].prefix, h + 1, hp->pkt->ifname,
				hp->pkt->outgoing ? "out" : "in");
			if (hp->svc.svc >= 0 && hp->svc.ep_ip) {
				char a[ADDR_STRLEN];

				fprintf(f, " (DNAT to %s:%u)", addr_fmt(hp->svc.ep_ip, a), hp->svc.ep_port);
			}
			if (hp->reply)
				rep = true;
			else
				req = true;
		}
	fprintf(f, "\"%s%s", v->attrs[0] ? ", " : "", v->attrs);
	if (req || rep)
		fprintf(f, ", penwidth=2.5, color=%s", req ? "red" : "blue");
	fprintf(f, "];\n");
}

/* Where a failed probe ended: the place of the verdict's finding, else
 * the last place the request was seen, else the source. */
static ssize_t drop_vtx(struct graph *g, const struct path *pa)
{
	const struct trace *t = pa->t;

	if (t->nfindings && t->findings[0].ns >= 0 && (size_t)t->findings[0].ns < t->nns) {
		ssize_t v = hop_vtx(g, t->ns[t->findings[0].ns], t->findings[0].ifname);

		if (v >= 0)
			return v;
	}
	if (t->last_hop >= 0 && (size_t)t->last_hop < t->nhops)
		return pa->hv[t->last_hop];
	return t->src.netns ? hop_vtx(g, t->src.netns, "") : -1;
}

/* One end of a BGP session, seen from speaker s towards speaker peer:
 * its state in words, or why s cannot tell. Returns whether established. */
static bool bgp_side(const struct lab *l, const struct lab_bgp_view *bv, size_t s, size_t peer,
		     char *buf, size_t len)
{
	const struct lab_bgp_speaker_view *sv = lab_bgp_view_find(bv, s);
	char h[96];

	if (!sv) {
		snprintf(buf, len, "not read");
		return false;
	}
	if (sv->err) {
		snprintf(buf, len, "BIRD %s", lab_bgp_view_health(sv, h, sizeof(h)));
		return false;
	}
	for (size_t k = 0; k < sv->npeers; k++)
		if (sv->peers[k].peer == peer) {
			lab_bgp_session_words(l, &sv->peers[k], buf, len);
			return sv->peers[k].established;
		}
	snprintf(buf, len, "no session");
	return false;
}

/* The session between speakers a and b (b may be the reflector): one
 * undirected edge, its state from both ends. */
static void bgp_edge(FILE *f, const struct lab *l, const struct lab_bgp_view *bv, size_t a,
		     size_t b)
{
	char wa[320], wb[320], ea[sizeof(wa) * 2], eb[sizeof(wb) * 2], ida[2 * TOPO_LABEL_MAX + 16];
	char idb[sizeof(ida)];
	bool up_a = bgp_side(l, bv, a, b, wa, sizeof(wa));
	bool up_b = bgp_side(l, bv, b, a, wb, sizeof(wb));	/* both ends' words, always */
	bool up = up_a && up_b;

	snprintf(ida, sizeof(ida), "node/%s", l->topo.nodes[a].name);
	if (b == BGP_SPEAKER_RR)
		snprintf(idb, sizeof(idb), "bgp/route-reflector");
	else
		snprintf(idb, sizeof(idb), "node/%s", l->topo.nodes[b].name);
	dot_escape(ea, sizeof(ea), wa);
	dot_escape(eb, sizeof(eb), wb);
	if (up)
		fprintf(f, "\t\"%s\" -> \"%s\" [label=\"BGP established\", dir=none, "
			"constraint=false, color=darkgreen, fontcolor=darkgreen, style=bold];\n",
			ida, idb);
	else
		fprintf(f, "\t\"%s\" -> \"%s\" [label=\"BGP\\n%s: %s\\n%s: %s\", dir=none, "
			"constraint=false, color=red, fontcolor=red, style=dashed];\n", ida, idb,
			lab_bgp_speaker_name(l, a), ea, lab_bgp_speaker_name(l, b), eb);
}

/* bgp mode: every session the lab is meant to have, as an edge. */
static void bgp_sessions_dot(FILE *f, const struct lab *l, const struct lab_bgp_view *bv)
{
	const struct topo *t = &l->topo;
	char a[ADDR_STRLEN];

	if (!bv || !lab_bgp_mode(l))
		return;
	if (bgp_uses_rr(t)) {
		fprintf(f, "\t\"bgp/route-reflector\" [label=\"BGP route reflector\\nBIRD in the VPC "
			"router\\n%s, AS %u\", shape=doubleoctagon];\n"
			"\t\"bgp/route-reflector\" -> vpc [label=\"runs in\", style=dotted, "
			"dir=none];\n", addr_fmt(t->net.vpc_router, a), t->net.bgp.asn);
		for (size_t i = 0; i < t->nnodes; i++)
			bgp_edge(f, l, bv, i, BGP_SPEAKER_RR);
		return;
	}
	for (size_t i = 0; i < t->nnodes; i++)
		for (size_t j = i + 1; j < t->nnodes; j++)
			bgp_edge(f, l, bv, i, j);
}

void out_dot(FILE *f, const struct out_dot *d)
{
	const struct lab *l = d->lab;
	const struct topo *t = &l->topo;
	struct graph g = { .lab = l };
	struct path pa[2];
	size_t npa = 0;
	ssize_t drop = -1;

	build(&g, d->pod_ok);
	if (d->trace) {
		pa[npa++] = (struct path){ .t = d->trace, .prefix = "" };
		if (d->trace->upstream && d->trace->upstream->nhops)
			pa[npa++] = (struct path){ .t = d->trace->upstream, .prefix = "c2." };
		for (size_t k = 0; k < npa; k++)
			path_place(&g, &pa[k]);
		if (d->trace->verdict != TRACE_DELIVERED)
			drop = drop_vtx(&g, &pa[0]);
	}
	fprintf(f, "digraph \"%s\" {\n\trankdir=TB;\n\tnode [shape=box, fontname=\"monospace\"];\n",
		l->name);
	if (d->trace) {
		char title[2 * sizeof(d->trace->src.label) + 128], esc[2 * sizeof(title)];

		snprintf(title, sizeof(title), "trace %s %s -> %s: %s (red: request, blue: answer; "
			 "#N: hop N%s)", probe_proto_name(d->trace->probe.proto), d->trace->src.label,
			 d->trace->dst.label, trace_verdict_name(d->trace->verdict),
			 npa > 1 ? "; #c2.N: hop N of nginx's own connection to the backend" : "");
		dot_escape(esc, sizeof(esc), title);
		fprintf(f, "\tlabel=\"%s", esc);
		if (d->note && d->note[0]) {
			fputs("\\n", f);
			dot_wrapped(f, d->note, 100);
		}
		fprintf(f, "\";\n\tlabelloc=t;\n");
	}
	for (size_t i = 0; i < g.nv; i++)
		if (g.v[i].cluster < 0)
			vtx_print(f, &g, i, pa, npa, "\t");
	for (size_t n = 0; n < t->nnodes; n++) {
		char a[ADDR_STRLEN];

		fprintf(f, "\tsubgraph \"cluster_%s\" {\n\t\tlabel=\"node %s\\n%s\";\n", t->nodes[n].name,
			t->nodes[n].name, addr_fmt(t->nodes[n].ip, a));
		for (size_t i = 0; i < g.nv; i++)
			if (g.v[i].cluster == (ssize_t)n)
				vtx_print(f, &g, i, pa, npa, "\t\t");
		fprintf(f, "\t}\n");
	}
	for (size_t i = 0; i < g.ne; i++) {
		const struct edge *e = &g.e[i];
		bool on = e->req || e->rep;

		char qa[sizeof(g.v->id) + 2], qb[sizeof(qa)];

		fprintf(f, "\t%s -> %s [label=\"%s%s%s%s\"%s%s", id_fmt(g.v[e->a].id, qa, sizeof(qa)),
			id_fmt(g.v[e->b].id, qb, sizeof(qb)),
			e->label, on && e->label[0] ? "\\n" : "", on ? "hops " : "", e->hops,
			e->attrs[0] ? ", " : "", e->attrs);
		if (on)
			fprintf(f, ", color=\"%s\", penwidth=3, fontcolor=%s",
				e->req && e->rep ? "red:blue" : e->req ? "red" : "blue",
				e->req ? "red" : "blue");
		fprintf(f, "];\n");
	}
	if (drop >= 0) {
		const struct trace *tr = d->trace;
		char *why = NULL, q[sizeof(g.v->id) + 2];

		if (asprintf(&why, "%s%s%s", trace_verdict_name(tr->verdict), tr->reason ? ": " : "",
			     tr->reason ? tr->reason : "") < 0)
			why = NULL;
		fprintf(f, "\tdrop [label=\"the probe ended here\\n");
		dot_wrapped(f, why ? why : trace_verdict_name(tr->verdict), 56);
		fprintf(f, "\", shape=octagon, style=filled, fillcolor=mistyrose, color=red];\n"
			"\t%s -> drop [color=red, penwidth=3, style=bold, arrowhead=tee];\n",
			id_fmt(g.v[drop].id, q, sizeof(q)));
		free(why);
	}
	bgp_sessions_dot(f, l, d->bgp);
	/* NetworkPolicies: a note per policy, an edge to each pod it isolates. */
	for (size_t i = 0; i < t->npolicies; i++) {
		static const enum policy_dir dirs[] = { POLICY_INGRESS, POLICY_EGRESS };
		const struct topo_policy *p = &t->policies[i];
		char sel[256];

		policy_desc_selector(&p->pods, sel, sizeof(sel));
		fprintf(f, "\t\"netpol/%s/%s\" [label=\"netpol %s/%s\\npodSelector %s\\n%s\", "
			"shape=note, color=orange];\n", p->ns, p->name, p->ns, p->name,
			sel[0] ? sel : "{} (every pod)", policy_desc_types(p));
		for (size_t dd = 0; dd < 2; dd++)
			for (size_t k = 0; k < t->npods; k++)
				if (policy_isolates(t, p, k, dirs[dd]))
					fprintf(f, "\t\"netpol/%s/%s\" -> \"%s/%s\" [label=\"%s\", "
						"color=orange, style=bold];\n", p->ns, p->name,
						t->pods[k].ns, t->pods[k].name,
						policy_desc_dir(dirs[dd]));
	}
	fprintf(f, "}\n");
	free(g.v);
	free(g.e);
}
