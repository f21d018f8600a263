/* out/status — text, JSON and DOT views of a lab; see status.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "out/dot.h"
#include "out/status.h"
#include "policy/describe.h"
#include "self.h"

#define GREEN "\033[32m"
#define RED "\033[31m"
#define RESET "\033[0m"

static bool pod_ready(const struct out_status *s, size_t i)
{
	const struct topo_pod *p = &s->lab->topo.pods[i];

	for (size_t j = 0; j < p->ncontainers; j++)
		if (!s->health || s->health[i][j] != LAB_HEALTH_OK)
			return false;
	return true;
}

static size_t width(size_t cur, const char *s)
{
	size_t l = strlen(s);

	return l > cur ? l : cur;
}

/* Ingresses as kubectl lists them: hosts, the load balancer's address, ports. */
static void ingress_text(FILE *f, const struct topo *t)
{
	const struct topo_service *lb = topo_ingress_lb(t);
	char a[ADDR_STRLEN];

	for (size_t i = 0; i < t->ningresses; i++) {
		const struct topo_ingress *g = &t->ingresses[i];
		char hosts[256] = "";
		size_t n = 0;

		if (!i)
			fprintf(f, "\n%-14s %-16s %-36s %-15s %s\n", "NAMESPACE", "INGRESS", "HOSTS",
				"ADDRESS", "PORTS");
		for (size_t r = 0; r < g->nrules && n < sizeof(hosts); r++)
			n += (size_t)snprintf(hosts + n, sizeof(hosts) - n, "%s%s", r ? "," : "",
					      g->rules[r].host);
		fprintf(f, "%-14s %-16s %-36s %-15s %s\n", g->ns, g->name, hosts,
			lb && lb->lb_ip ? addr_fmt(lb->lb_ip, a) : "<none>", g->ntls ? "80, 443" : "80");
	}
}

/* A direction's column: "3 pods, 1 rule", or "-" when the policy's
 * policyTypes leave that direction alone. */
static void dir_cell(const struct topo *t, const struct topo_policy *p, enum policy_dir dir,
		     char *buf, size_t len)
{
	size_t n = policy_desc_isolated(t, p, dir);
	size_t r = dir == POLICY_INGRESS ? p->nin : p->nout;

	if (!(dir == POLICY_INGRESS ? p->ingress : p->egress))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%zu pod%s, %zu rule%s", n, n == 1 ? "" : "s", r, r == 1 ? "" : "s");
}

/* The pods policy p selects, by name (all are in p's namespace):
 * "client,web-1,web-2", cut to the buffer with "... (N more)". */
static void selects_cell(const struct topo *t, const struct topo_policy *p, char *buf,
			 size_t len)
{
	/* room kept for ",... (N more)" */
	const size_t more = 24;
	size_t n = 0, total = policy_desc_selected(t, p), shown = 0;

	buf[0] = '\0';
	if (!total) {
		snprintf(buf, len, "<none>");
		return;
	}
	for (size_t i = 0; i < t->npods; i++) {
		const char *name = t->pods[i].name;

		if (!policy_selects(t, p, i))
			continue;
		/* room for this name and the tail that says how many are left */
		if (n + strlen(name) + 1 + more >= len)
			break;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", shown ? "," : "", name);
		shown++;
	}
	if (shown < total)
		snprintf(buf + n, len - n, "%s... (%zu more)", shown ? "," : "", total - shown);
}

/* NetworkPolicies as kubectl lists them, with what each isolates, then the
 * namespaces' labels their namespaceSelectors match; nothing at all in a
 * lab without policies. */
static void policies_text(FILE *f, const struct topo *t)
{
	size_t wns = 9, wp = 6, wsel = 12;
	char sel[512], in[48], out[48], pods[96];

	if (!t->npolicies)
		return;
	for (size_t i = 0; i < t->npolicies; i++) {
		wns = width(wns, t->policies[i].ns);
		wp = width(wp, t->policies[i].name);
		policy_desc_selector(&t->policies[i].pods, sel, sizeof(sel));
		wsel = width(wsel, sel);
	}
	fprintf(f, "\n%-*s  %-*s  %-*s  %-14s  %-4s  %-16s  %-16s  %s\n", (int)wns, "NAMESPACE",
		(int)wp, "POLICY", (int)wsel, "POD-SELECTOR", "POLICY-TYPES", "PODS", "INGRESS",
		"EGRESS", "SELECTS");
	for (size_t i = 0; i < t->npolicies; i++) {
		const struct topo_policy *p = &t->policies[i];

		policy_desc_selector(&p->pods, sel, sizeof(sel));
		dir_cell(t, p, POLICY_INGRESS, in, sizeof(in));
		dir_cell(t, p, POLICY_EGRESS, out, sizeof(out));
		selects_cell(t, p, pods, sizeof(pods));
		fprintf(f, "%-*s  %-*s  %-*s  %-14s  %-4zu  %-16s  %-16s  %s\n", (int)wns, p->ns,
			(int)wp, p->name, (int)wsel, sel[0] ? sel : "<none>", policy_desc_types(p),
			policy_desc_selected(t, p), in, out, pods);
	}
	wns = 9;
	for (size_t i = 0; i < t->nnamespaces; i++)
		wns = width(wns, t->namespaces[i].name);
	fprintf(f, "\n%-*s  %s\n", (int)wns, "NAMESPACE", "LABELS");
	for (size_t i = 0; i < t->nnamespaces; i++) {
		const struct topo_namespace *n = &t->namespaces[i];

		fprintf(f, "%-*s ", (int)wns, n->name);
		for (size_t k = 0; k < n->nlabels; k++)
			fprintf(f, "%s%s=%s", k ? "," : " ", n->labels[k].key, n->labels[k].value);
		fputc('\n', f);
	}
}

/* The edge: the cloud gateway and the internet's hosts. */
static void internet_text(FILE *f, const struct out_status *s)
{
	const struct lab *l = s->lab;
	const struct topo *t = &l->topo;
	char a[ADDR_STRLEN], c[CIDR_STRLEN], g[ADDR_STRLEN], pc[CIDR_STRLEN];
	size_t wh = 4, wnet = 5;

	fprintf(f, "\ninternet %s (router %s), cloud public range %s (gateway %s, netns %s)\n",
		cidr_fmt(&t->inet.cidr, c), addr_fmt(t->inet.router, a),
		cidr_fmt(&t->net.public_cidr, pc), addr_fmt(t->net.gateway_ip, g), l->plan.gw_netns);
	if (!t->inet.nhosts)
		return;
	for (size_t i = 0; i < t->inet.nhosts; i++) {
		wh = width(wh, t->inet.hosts[i].name);
		wnet = width(wnet, l->plan.hosts[i].netns);
	}
	fprintf(f, "%-*s  %-15s  %-*s  %s\n", (int)wh, "HOST", "IP", (int)wnet, "NETNS", "PROGRAM");
	for (size_t i = 0; i < t->inet.nhosts; i++) {
		const struct topo_inet_host *h = &t->inet.hosts[i];
		enum lab_health hl = s->inet_health ? s->inet_health[i] : LAB_HEALTH_DOWN;
		bool ok = hl == LAB_HEALTH_OK;

		fprintf(f, "%-*s  %-15s  %-*s  ", (int)wh, h->name, addr_fmt(h->ip, a), (int)wnet,
			l->plan.hosts[i].netns);
		if (h->image == TOPO_IMAGE_NONE)
			fprintf(f, "none (a client)\n");
		else
			fprintf(f, "%s(pid %d, %s%s%s)\n", topo_image_name(h->image),
				l->inet_pids ? (int)l->inet_pids[i] : 0, s->color ? (ok ? GREEN : RED) : "",
				lab_health_name(hl), s->color ? RESET : "");
	}
}

/* ---- bgp mode: the BIRDs, their sessions, what they learned ---- */

static const char *peer_name(const struct lab *l, size_t peer)
{
	return peer == LAB_BGP_NO_PEER ? "?" : lab_bgp_speaker_name(l, peer);
}

static void bgp_text(FILE *f, const struct out_status *s)
{
	const struct lab *l = s->lab;
	const struct lab_bgp_view *bv = s->bgp;
	size_t wsp = 7, wh = 4, wpeer = 4, wproto = 8;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], c[CIDR_STRLEN], h[96], w[256], mesh[128];
	bool color = s->color;

	if (!bv || !lab_bgp_mode(l))
		return;
	lab_bgp_peering_words(l, mesh, sizeof(mesh));
	fprintf(f, "\nBGP: AS %u, %s\n", l->topo.net.bgp.asn, mesh);
	for (size_t i = 0; i < bv->n; i++) {
		const struct lab_bgp_speaker_view *sv = &bv->v[i];
		char pid[160];

		wsp = width(wsp, lab_bgp_speaker_name(l, sv->s));
		lab_bgp_view_health(sv, h, sizeof(h));
		if (sv->pid && sv->err == 0)
			snprintf(pid, sizeof(pid), "%s (pid %d)", h, (int)sv->pid);
		else
			snprintf(pid, sizeof(pid), "%s", h);
		wh = width(wh, pid);
		for (size_t k = 0; k < sv->npeers; k++) {
			wpeer = width(wpeer, peer_name(l, sv->peers[k].peer));
			wproto = width(wproto, sv->peers[k].bird.proto);
		}
	}
	fprintf(f, "%-*s  %-15s  %-*s  %-*s  %-15s  %-*s  %-8s  %-8s  %s\n", (int)wsp, "SPEAKER",
		"ADDRESS", (int)wh, "BIRD", (int)wpeer, "PEER", "NEIGHBOR", (int)wproto, "PROTOCOL",
		"IMPORTED", "EXPORTED", "STATE");
	for (size_t i = 0; i < bv->n; i++) {
		const struct lab_bgp_speaker_view *sv = &bv->v[i];
		char bird[160];

		lab_bgp_view_health(sv, h, sizeof(h));
		if (sv->pid && sv->err == 0)
			snprintf(bird, sizeof(bird), "%s (pid %d)", h, (int)sv->pid);
		else
			snprintf(bird, sizeof(bird), "%s%s%s", color ? RED : "", h, color ? RESET : "");
		fprintf(f, "%-*s  %-15s  %-*s", (int)wsp, lab_bgp_speaker_name(l, sv->s),
			addr_fmt(bgp_speaker_addr(&l->topo, sv->s), a),
			(int)(wh + (color && !(sv->pid && sv->err == 0) ? strlen(RED RESET) : 0)), bird);
		if (sv->err == 0 && !sv->npeers)
			fprintf(f, "  (no BGP sessions)");
		for (size_t k = 0; k < sv->npeers; k++) {
			const struct lab_bgp_peer *p = &sv->peers[k];

			lab_bgp_session_words(l, p, w, sizeof(w));
			if (k)
				fprintf(f, "\n%-*s  %-15s  %-*s", (int)wsp, "", "", (int)wh, "");
			fprintf(f, "  %-*s  %-15s  %-*s  %-8u  %-8u  %s%s%s", (int)wpeer,
				peer_name(l, p->peer), addr_fmt(p->bird.neighbor, b), (int)wproto,
				p->bird.proto, p->bird.imported, p->bird.exported,
				color ? (p->established ? GREEN : RED) : "", w, color ? RESET : "");
		}
		fputc('\n', f);
	}
	fprintf(f, "\n%-*s  %-18s  %-15s  %-*s  %-*s  %s\n", (int)wsp, "SPEAKER", "ROUTE", "NEXT-HOP",
		(int)wpeer, "FROM", (int)wproto, "PROTOCOL", "KERNEL");
	for (size_t i = 0; i < bv->n; i++) {
		const struct lab_bgp_speaker_view *sv = &bv->v[i];
		const char *name = lab_bgp_speaker_name(l, sv->s);

		if (sv->err) {
			fprintf(f, "%-*s  (its BIRD is %s)\n", (int)wsp, name, lab_bgp_view_health(sv, h, sizeof(h)));
			continue;
		}
		if (sv->routes_err) {
			fprintf(f, "%-*s  (its routes cannot be read: %s)\n", (int)wsp, name,
				strerror(-sv->routes_err));
			continue;
		}
		if (sv->s != BGP_SPEAKER_RR)
			fprintf(f, "%-*s  %-18s  %-15s  %-*s  %-*s  %s\n", (int)wsp, name,
				cidr_fmt(&l->topo.nodes[sv->s].pod_cidr, c), "-", (int)wpeer,
				"itself", (int)wproto, "pod_cidr", lab_bgp_announce_words(sv->announce));
		for (size_t k = 0; k < sv->nlearned; k++) {
			const struct lab_bgp_learned *x = &sv->learned[k];
			const char *kern = sv->s == BGP_SPEAKER_RR ? "- (the reflector has no kernel protocol)"
					   : sv->kernel_err ? "cannot be read"
					   : x->in_kernel ? "proto bird" : "MISSING";

			fprintf(f, "%-*s  %-18s  %-15s  %-*s  %-*s  %s\n", (int)wsp, name,
				cidr_fmt(&x->route.prefix, c),
				x->route.gateway ? addr_fmt(x->route.gateway, a) : "-", (int)wpeer,
				peer_name(l, x->from), (int)wproto, x->route.proto, kern);
		}
		if (!sv->nlearned && sv->s != BGP_SPEAKER_RR)
			fprintf(f, "%-*s  (no route learned over BGP)\n", (int)wsp, name);
	}
}

static json_t *bgp_session_json(const struct lab *l, const struct lab_bgp_peer *p)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN], w[256];
	json_t *o;

	lab_bgp_session_words(l, p, w, sizeof(w));
	o = json_pack("{s:s?, s:s?, s:s, s:s, s:s, s:s, s:b, s:s, s:i, s:i, s:i}",
		      "peer", p->peer == LAB_BGP_NO_PEER ? NULL : lab_bgp_speaker_name(l, p->peer),
		      "peerAddress", p->peer == LAB_BGP_NO_PEER ? NULL
		      : addr_fmt(bgp_speaker_addr(&l->topo, p->peer), b),
		      "neighbor", addr_fmt(p->bird.neighbor, a), "protocol", p->bird.proto,
		      "protocolState", p->bird.state, "bgpState", p->bird.bgp_state,
		      "established", p->established, "state", w,
		      "routesImported", (int)p->bird.imported,
		      "routesExported", (int)p->bird.exported,
		      "routesFiltered", (int)p->bird.filtered);
	if (o && p->bird.info[0])
		json_object_set_new(o, "info", json_string(p->bird.info));
	if (o && p->bird.last_error[0])
		json_object_set_new(o, "lastError", json_string(p->bird.last_error));
	if (o && p->wrong_address)
		json_object_set_new(o, "wrongAddress", json_true());
	return o;
}

static json_t *bgp_speaker_json(const struct lab *l, const struct lab_bgp_speaker_view *sv)
{
	char a[ADDR_STRLEN], c[CIDR_STRLEN], h[96], ctl[300] = "";
	json_t *sessions = json_array(), *routes = json_array(), *o;

	lab_bgp_file(l, sv->s, "ctl", ctl, sizeof(ctl));
	for (size_t k = 0; k < sv->npeers; k++)
		json_array_append_new(sessions, bgp_session_json(l, &sv->peers[k]));
	for (size_t k = 0; k < sv->nlearned; k++) {
		const struct lab_bgp_learned *x = &sv->learned[k];
		char g[ADDR_STRLEN];
		json_t *r = json_pack("{s:s, s:s?, s:s?, s:s, s:s?}", "prefix",
				      cidr_fmt(&x->route.prefix, c), "nextHop",
				      x->route.gateway ? addr_fmt(x->route.gateway, g) : NULL,
				      "from", x->from == LAB_BGP_NO_PEER ? NULL
				      : lab_bgp_speaker_name(l, x->from), "protocol", x->route.proto,
				      "announcedBy", x->announced_by == LAB_BGP_NO_PEER ? NULL
				      : l->topo.nodes[x->announced_by].name);

		if (r && sv->s != BGP_SPEAKER_RR && !sv->kernel_err)
			json_object_set_new(r, "inKernel", json_boolean(x->in_kernel));
		json_array_append_new(routes, r);
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:o, s:o}", "name",
		      lab_bgp_speaker_name(l, sv->s), "kind",
		      sv->s == BGP_SPEAKER_RR ? "route-reflector" : "node", "address",
		      addr_fmt(bgp_speaker_addr(&l->topo, sv->s), a), "netns", lab_bgp_netns(l, sv->s),
		      "socket", ctl, "pid", (int)sv->pid, "health", sv->err == 0 ? "running"
		      : sv->err == -ENOENT || sv->err == -ECONNREFUSED ? "not running" : "unknown",
		      "sessions", sessions, "routes", routes);
	if (o && sv->err)
		json_object_set_new(o, "error", json_string(lab_bgp_view_health(sv, h, sizeof(h))));
	if (o && sv->err == 0 && sv->routes_err)
		json_object_set_new(o, "routesError", json_string(strerror(-sv->routes_err)));
	if (o && sv->s != BGP_SPEAKER_RR) {
		json_t *ann = json_array();

		if (sv->err == 0 && sv->announce == LAB_BGP_ANN_YES)
			json_array_append_new(ann, json_string(cidr_fmt(&l->topo.nodes[sv->s].pod_cidr, c)));
		json_object_set_new(o, "announces", ann);
		/* Why not, in words, when BIRD answered and it is not. */
		if (sv->err == 0 && !sv->routes_err && sv->announce != LAB_BGP_ANN_YES)
			json_object_set_new(o, "notAnnounced",
					    json_string(lab_bgp_announce_words(sv->announce)));
	}
	return o;
}

json_t *out_status_bgp_json(const struct lab *l, const struct lab_bgp_view *bv)
{
	json_t *speakers = json_array();
	char mesh[128];

	for (size_t i = 0; bv && i < bv->n; i++)
		json_array_append_new(speakers, bgp_speaker_json(l, &bv->v[i]));
	lab_bgp_peering_words(l, mesh, sizeof(mesh));
	return json_pack("{s:I, s:b, s:b, s:i, s:s, s:o}", "asNumber",
			 (json_int_t)l->topo.net.bgp.asn, "nodeToNodeMesh", !bgp_uses_rr(&l->topo),
			 "routeReflector", bgp_uses_rr(&l->topo), "meshMaxNodes",
			 BGP_FULL_MESH_MAX_NODES, "peering", mesh, "speakers", speakers);
}

void out_status_damage_text(FILE *f, const struct out_status *s)
{
	const struct lab_check_list *d = s->damage;
	char cmd[LAB_NETNS_MAX + 512];

	if (!d || !d->n)
		return;
	fprintf(f, "\n%sdamage%s: %zu thing%s missing from lab %s\n", s->color ? RED : "",
		s->color ? RESET : "", d->n, d->n == 1 ? "" : "s", s->lab->name);
	for (size_t i = 0; i < d->n; i++) {
		const struct lab_finding *x = &d->v[i];

		lab_check_command(x, cmd, sizeof(cmd));
		switch (x->kind) {
		case LAB_CK_NETNS_MISSING:
			fprintf(f, "  %s: namespace %s is missing", x->place, x->netns);
			break;
		case LAB_CK_PROCESS_DOWN:
			fprintf(f, "  %s: process %d is not running", x->object, x->pid);
			break;
		case LAB_CK_PROCESS_UNPINNED:
			fprintf(f, "  %s: process %d runs, but its namespace %s is no longer pinned",
				x->object, x->pid, x->netns);
			break;
		case LAB_CK_NFT_TABLE_MISSING:
			fprintf(f, "  %s: nftables %s is missing from %s", x->place, x->object,
				x->netns);
			break;
		default:	/* status runs the cheap checks only */
			fprintf(f, "  %s: %s", x->place, x->object);
			break;
		}
		fprintf(f, " (see: %s)\n", cmd);
	}
}

/* The fault podpath break injected: named, unless --random hid it. */
static void fault_text(FILE *f, const struct out_status *s)
{
	const struct lab_break_state *b = s->fault;

	if (!b)
		return;
	if (b->hidden)
		fprintf(f, "\nfault: one injected by podpath break --random (%s --lab %s break --reveal "
			"names it)\n", pp_self(), s->lab->name);
	else
		fprintf(f, "\nfault: %s on %s, injected by podpath break (%s --lab %s break --undo "
			"removes it)\n", b->fault, b->target, pp_self(), s->lab->name);
}

static json_t *fault_json(const struct lab_break_state *b)
{
	if (!b)
		return json_null();
	if (b->hidden)
		return json_pack("{s:b}", "hidden", true);
	return json_pack("{s:b, s:s, s:s}", "hidden", false, "name", b->fault, "target", b->target);
}

/* Each finding as status has always listed it: the namespace's or table's
 * owner, or the process, as its object. */
static json_t *damage_json(const struct lab_check_list *d)
{
	json_t *a = json_array();
	char cmd[LAB_NETNS_MAX + 512], table[300];

	for (size_t i = 0; a && d && i < d->n; i++) {
		const struct lab_finding *x = &d->v[i];
		bool proc = x->kind == LAB_CK_PROCESS_DOWN || x->kind == LAB_CK_PROCESS_UNPINNED;
		json_t *o = json_pack("{s:s, s:s, s:s}", "kind", lab_check_kind_name(x->kind),
				      "object", proc ? x->object : x->place, "netns", x->netns);

		if (proc)
			json_object_set_new(o, "pid", json_integer(x->pid));
		if (x->kind == LAB_CK_NFT_TABLE_MISSING) {
			snprintf(table, sizeof(table), "%s %s", x->key, x->nft_table);
			json_object_set_new(o, "table", json_string(table));
		}
		lab_check_command(x, cmd, sizeof(cmd));
		json_object_set_new(o, "command", json_string(cmd));
		json_array_append_new(a, o);
	}
	return a;
}

void out_status_text(FILE *f, const struct out_status *s)
{
	const struct lab *l = s->lab;
	const struct topo *t = &l->topo;
	size_t ready = 0, wn = 4, wns = 9, wp = 3, wnet = 5, wsv = 7;
	char a[ADDR_STRLEN], c[CIDR_STRLEN];

	for (size_t i = 0; i < t->npods; i++)
		ready += pod_ready(s, i);
	fprintf(f, "lab %s: %s networking, VPC %s (router %s), %zu node%s, %zu/%zu pods ready\n\n",
		l->name, topo_mode_name(t->net.mode), cidr_fmt(&t->net.vpc_cidr, c),
		addr_fmt(t->net.vpc_router, a), t->nnodes, t->nnodes == 1 ? "" : "s", ready, t->npods);
	for (size_t i = 0; i < t->nnodes; i++) {
		wn = width(wn, t->nodes[i].name);
		wnet = width(wnet, l->plan.nodes[i].netns);
	}
	fprintf(f, "%-*s  %-15s  %-15s  %-18s  %s\n", (int)wn, "NODE", "IP", "PUBLIC IP",
		"POD CIDR", "NETNS");
	for (size_t i = 0; i < t->nnodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		char pub[ADDR_STRLEN];

		fprintf(f, "%-*s  %-15s  %-15s  %-18s  %s\n", (int)wn, n->name, addr_fmt(n->ip, a),
			n->public_ip ? addr_fmt(n->public_ip, pub) : "<none>",
			t->net.mode == TOPO_MODE_VPC ? "(VPC subnet)" : cidr_fmt(&n->pod_cidr, c),
			l->plan.nodes[i].netns);
	}
	wnet = 5;
	for (size_t i = 0; i < t->npods; i++) {
		wns = width(wns, t->pods[i].ns);
		wp = width(wp, t->pods[i].name);
		wnet = width(wnet, l->plan.pods[i].netns);
	}
	fprintf(f, "\n%-*s  %-*s  %-*s  %-15s  %-*s  %s\n", (int)wns, "NAMESPACE", (int)wp, "POD",
		(int)wn, "NODE", "IP", (int)wnet, "NETNS", "CONTAINERS");
	for (size_t i = 0; i < t->npods; i++) {
		const struct topo_pod *p = &t->pods[i];

		fprintf(f, "%-*s  %-*s  %-*s  %-15s  %-*s ", (int)wns, p->ns, (int)wp, p->name,
			(int)wn, t->nodes[p->node].name, addr_fmt(p->ip, a), (int)wnet,
			l->plan.pods[i].netns);
		for (size_t j = 0; j < p->ncontainers; j++) {
			enum lab_health h = s->health ? s->health[i][j] : LAB_HEALTH_DOWN;
			bool ok = h == LAB_HEALTH_OK;

			fprintf(f, " %s(pid %d, %s%s%s)", p->containers[j].name,
				l->pids ? (int)l->pids[i][j] : 0, s->color ? (ok ? GREEN : RED) : "",
				lab_health_name(h), s->color ? RESET : "");
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *sv = &t->services[i];
		char ports[160] = "", ext[ADDR_STRLEN];
		size_t n = 0;

		if (!i) {
			for (size_t k = 0; k < t->nservices; k++) {
				wns = width(wns, t->services[k].ns);
				wsv = width(wsv, t->services[k].name);
			}
			fprintf(f, "\n%-*s  %-*s  %-13s %-15s  %-15s  %-26s %s\n", (int)wns, "NAMESPACE",
				(int)wsv, "SERVICE", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORTS",
				"ENDPOINTS");
		}
		/* As kubectl shows them: port[:nodePort]/protocol. */
		for (size_t k = 0; k < sv->nports && n < sizeof(ports); k++) {
			const struct topo_svc_port *p = &sv->ports[k];

			n += (size_t)snprintf(ports + n, sizeof(ports) - n, "%s%u", k ? "," : "", p->port);
			if (p->node_port && n < sizeof(ports))
				n += (size_t)snprintf(ports + n, sizeof(ports) - n, ":%u", p->node_port);
			if (n < sizeof(ports))
				n += (size_t)snprintf(ports + n, sizeof(ports) - n, "/%s",
						      topo_proto_name(p->proto));
		}
		fprintf(f, "%-*s  %-*s  %-13s %-15s  %-15s  %-26s", (int)wns, sv->ns, (int)wsv, sv->name,
			topo_svc_type_name(sv->type), sv->cluster_ip ? addr_fmt(sv->cluster_ip, a) : "None",
			sv->lb_ip ? addr_fmt(sv->lb_ip, ext) : "<none>", ports);
		/* Every address:port that serves it, as kubectl get endpoints
		 * shows them; 53/UDP and 53/TCP to one pod's 53 once. */
		for (size_t e = 0, shown = 0; e < sv->nendpoints; e++)
			for (size_t k = 0; k < sv->nports; k++) {
				bool again = false;

				for (size_t j = 0; j < k && !again; j++)
					again = sv->endpoints[e].port[j] == sv->endpoints[e].port[k];
				/* 0: the pod lacks that port's name; kubectl leaves it out. */
				if (!again && sv->endpoints[e].port[k])
					fprintf(f, "%s%s:%u", shown++ ? "," : " ",
						addr_fmt(t->pods[sv->endpoints[e].pod].ip, a),
						sv->endpoints[e].port[k]);
			}
		if (!sv->nendpoints)
			fprintf(f, " <none>");
		fputc('\n', f);
	}
	ingress_text(f, t);
	policies_text(f, t);
	bgp_text(f, s);
	internet_text(f, s);
	out_status_damage_text(f, s);
	fault_text(f, s);
}

/* Service ports and the EndpointSlice-like list of who serves them. */
static json_t *service_json(const struct topo *t, const struct topo_service *sv)
{
	json_t *ports = json_array(), *eps = json_array();
	char a[ADDR_STRLEN];

	for (size_t k = 0; k < sv->nports; k++) {
		const struct topo_svc_port *p = &sv->ports[k];
		json_t *o = json_pack("{s:s, s:i, s:s}", "name", p->name, "port", p->port, "protocol",
				      topo_proto_name(p->proto));

		if (p->target_name[0])
			json_object_set_new(o, "targetPort", json_string(p->target_name));
		else
			json_object_set_new(o, "targetPort", json_integer(p->target_port));
		if (p->node_port)
			json_object_set_new(o, "nodePort", json_integer(p->node_port));
		json_array_append_new(ports, o);
	}
	for (size_t i = 0; i < sv->nendpoints; i++) {
		const struct topo_endpoint *ep = &sv->endpoints[i];
		const struct topo_pod *p = &t->pods[ep->pod];
		json_t *eport = json_array();
		char pod[2 * TOPO_LABEL_MAX + 2];

		for (size_t k = 0; k < sv->nports; k++)
			json_array_append_new(eport, json_integer(ep->port[k]));
		snprintf(pod, sizeof(pod), "%s/%s", p->ns, p->name);
		json_array_append_new(eps, json_pack("{s:s, s:s, s:s, s:o}", "pod", pod, "ip",
						     addr_fmt(p->ip, a), "node",
						     t->nodes[p->node].name, "ports", eport));
	}
	json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:o, s:o}", "namespace", sv->ns, "name",
			      sv->name, "type", topo_svc_type_name(sv->type), "clusterIP",
			      sv->cluster_ip ? addr_fmt(sv->cluster_ip, a) : NULL, "sessionAffinity",
			      sv->affinity ? "ClientIP" : "None", "ports", ports, "endpoints", eps);

	if (o && (sv->type == TOPO_SVC_NODEPORT || sv->type == TOPO_SVC_LOADBALANCER))
		json_object_set_new(o, "externalTrafficPolicy",
				    json_string(sv->ext_local ? "Local" : "Cluster"));
	/* As status.loadBalancer.ingress of a real Service. */
	if (o && sv->lb_ip)
		json_object_set_new(o, "loadBalancer", json_pack("{s:[{s:s}]}", "ingress", "ip",
								 addr_fmt(sv->lb_ip, a)));
	return o;
}

static json_t *ports_json(const struct topo_container *c)
{
	json_t *a = json_array();

	for (size_t k = 0; k < c->nports; k++)
		json_array_append_new(a, json_pack("{s:s, s:i, s:s}", "name", c->ports[k].name,
						   "port", c->ports[k].port, "protocol",
						   topo_proto_name(c->ports[k].proto)));
	return a;
}

static json_t *internet_json(const struct out_status *s)
{
	const struct lab *l = s->lab;
	const struct topo *t = &l->topo;
	char a[ADDR_STRLEN], c[CIDR_STRLEN], g[ADDR_STRLEN], pc[CIDR_STRLEN];
	json_t *hosts = json_array();

	for (size_t i = 0; i < t->inet.nhosts; i++) {
		const struct topo_inet_host *h = &t->inet.hosts[i];
		json_t *ports = json_array();

		for (size_t k = 0; k < h->nports; k++)
			json_array_append_new(ports, json_pack("{s:i, s:s}", "port", h->ports[k].port,
							       "protocol",
							       topo_proto_name(h->ports[k].proto)));
		json_array_append_new(hosts, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:o}", "name",
						       h->name, "ip", addr_fmt(h->ip, a), "netns",
						       l->plan.hosts[i].netns, "image",
						       topo_image_name(h->image), "pid",
						       l->inet_pids ? (int)l->inet_pids[i] : 0, "health",
						       lab_health_name(s->inet_health ? s->inet_health[i]
										      : LAB_HEALTH_DOWN),
						       "ports", ports));
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "cidr",
			 cidr_fmt(&t->inet.cidr, c), "router", addr_fmt(t->inet.router, a),
			 "publicCIDR", cidr_fmt(&t->net.public_cidr, pc), "gateway",
			 addr_fmt(t->net.gateway_ip, g), "gatewayNetns", l->plan.gw_netns,
			 "loadBalancerNetns", l->plan.lb_netns, "routerNetns", l->plan.inet_netns,
			 "hosts", hosts);
}

/* Ingresses, their load balancer's address and the CA that signs their TLS. */
static json_t *ingresses_json(const struct out_status *s)
{
	const struct topo *t = &s->lab->topo;
	const struct topo_service *lb = topo_ingress_lb(t);
	json_t *a = json_array();
	char ip[ADDR_STRLEN], ca[LAB_NAME_MAX + 64];

	snprintf(ca, sizeof(ca), "%s/%s/%s", LAB_RUN_DIR, s->lab->name, LAB_CA_FILE);
	for (size_t i = 0; a && i < t->ningresses; i++) {
		const struct topo_ingress *g = &t->ingresses[i];
		json_t *hosts = json_array(), *tls = json_array();

		for (size_t r = 0; r < g->nrules; r++)
			json_array_append_new(hosts, json_string(g->rules[r].host));
		for (size_t h = 0; h < g->ntls; h++)
			json_array_append_new(tls, json_string(g->tls_hosts[h]));
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s?}", "namespace",
						   g->ns, "name", g->name, "hosts", hosts, "tls", tls,
						   "address", lb && lb->lb_ip ? addr_fmt(lb->lb_ip, ip) : NULL,
						   "caFile", g->ntls ? ca : NULL));
	}
	return a;
}

static json_t *labels_json(const struct topo_label *l, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++)
		json_object_set_new(o, l[i].key, json_string(l[i].value));
	return o;
}

static json_t *namespaces_json(const struct topo *t)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < t->nnamespaces; i++)
		json_array_append_new(a, json_pack("{s:s, s:o, s:b}", "name", t->namespaces[i].name,
						   "labels", labels_json(t->namespaces[i].labels,
									 t->namespaces[i].nlabels),
						   "declared", t->namespaces[i].declared));
	return a;
}

/* A label selector in Kubernetes' own shape; {} selects everything. */
static json_t *selector_json(const struct topo_selector *sel)
{
	json_t *o = json_object(), *exprs;

	if (sel->nmatch)
		json_object_set_new(o, "matchLabels", labels_json(sel->match, sel->nmatch));
	if (!sel->nexprs)
		return o;
	exprs = json_array();
	for (size_t i = 0; i < sel->nexprs; i++) {
		const struct topo_sel_expr *x = &sel->exprs[i];
		json_t *e = json_pack("{s:s, s:s}", "key", x->key, "operator", topo_sel_op_name(x->op));

		if (x->op == TOPO_SEL_IN || x->op == TOPO_SEL_NOT_IN) {
			json_t *v = json_array();

			for (size_t k = 0; k < x->nvalues; k++)
				json_array_append_new(v, json_string(x->values[k]));
			json_object_set_new(e, "values", v);
		}
		json_array_append_new(exprs, e);
	}
	json_object_set_new(o, "matchExpressions", exprs);
	return o;
}

/* The pods policy p isolates in direction dir, as NAMESPACE/NAME. */
static json_t *isolated_json(const struct topo *t, const struct topo_policy *p,
			     enum policy_dir dir)
{
	json_t *a = json_array();
	char pod[2 * TOPO_LABEL_MAX + 2];

	for (size_t i = 0; a && i < t->npods; i++)
		if (policy_isolates(t, p, i, dir)) {
			snprintf(pod, sizeof(pod), "%s/%s", t->pods[i].ns, t->pods[i].name);
			json_array_append_new(a, json_string(pod));
		}
	return a;
}

/* Each NetworkPolicy: what it selects, what it isolates in which
 * direction, how many rules it has (the rules themselves are in the lab's
 * state, as the topology gave them). */
static json_t *policies_json(const struct topo *t)
{
	json_t *a = json_array();
	char pod[2 * TOPO_LABEL_MAX + 2];

	for (size_t i = 0; a && i < t->npolicies; i++) {
		const struct topo_policy *p = &t->policies[i];
		json_t *types = json_array(), *sel = json_array();

		if (p->ingress)
			json_array_append_new(types, json_string("Ingress"));
		if (p->egress)
			json_array_append_new(types, json_string("Egress"));
		for (size_t k = 0; k < t->npods; k++)
			if (policy_selects(t, p, k)) {
				snprintf(pod, sizeof(pod), "%s/%s", t->pods[k].ns, t->pods[k].name);
				json_array_append_new(sel, json_string(pod));
			}
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:o, s:o}, s:{s:I, s:I}}",
						   "namespace", p->ns, "name", p->name,
						   "podSelector", selector_json(&p->pods),
						   "policyTypes", types, "selects", sel, "isolates",
						   "ingress", isolated_json(t, p, POLICY_INGRESS),
						   "egress", isolated_json(t, p, POLICY_EGRESS), "rules",
						   "ingress", (json_int_t)p->nin, "egress",
						   (json_int_t)p->nout));
	}
	return a;
}

json_t *out_status_json(const struct out_status *s)
{
	const struct lab *l = s->lab;
	const struct topo *t = &l->topo;
	json_t *nodes = json_array(), *pods = json_array();
	char a[ADDR_STRLEN], c[CIDR_STRLEN], c2[CIDR_STRLEN], c3[CIDR_STRLEN], r[ADDR_STRLEN];

	for (size_t i = 0; i < t->nnodes; i++) {
		const struct topo_node *n = &t->nodes[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "name", n->name, "ip", addr_fmt(n->ip, a),
				      "netns", l->plan.nodes[i].netns);

		if (t->net.mode != TOPO_MODE_VPC)
			json_object_set_new(o, "podCIDR", json_string(cidr_fmt(&n->pod_cidr, c)));
		json_object_set_new(o, "pods", json_integer((json_int_t)n->npods));
		if (n->public_ip)
			json_object_set_new(o, "publicIP", json_string(addr_fmt(n->public_ip, a)));
		json_array_append_new(nodes, o);
	}
	for (size_t i = 0; i < t->npods; i++) {
		const struct topo_pod *p = &t->pods[i];
		json_t *cs = json_array(), *labels = json_object();

		for (size_t j = 0; j < p->nlabels; j++)
			json_object_set_new(labels, p->labels[j].key, json_string(p->labels[j].value));
		for (size_t j = 0; j < p->ncontainers; j++)
			json_array_append_new(cs, json_pack("{s:s, s:i, s:s, s:o}", "name",
							    p->containers[j].name, "pid",
							    l->pids ? (int)l->pids[i][j] : 0, "health",
							    lab_health_name(s->health ? s->health[i][j]
										      : LAB_HEALTH_DOWN),
							    "ports", ports_json(&p->containers[j])));
		json_array_append_new(pods, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o}",
						      "namespace", p->ns, "name", p->name, "node",
						      t->nodes[p->node].name, "ip", addr_fmt(p->ip, a),
						      "netns", l->plan.pods[i].netns, "hostVeth",
						      l->plan.pods[i].host_if, "ready", pod_ready(s, i),
						      "labels", labels, "containers", cs));
	}
	json_t *services = json_array(), *o;

	for (size_t i = 0; i < t->nservices; i++)
		json_array_append_new(services, service_json(t, &t->services[i]));
	o = json_pack("{s:i, s:s, s:I, s:{s:s, s:s, s:s, s:s, s:s, s:i, s:s}, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "schema", 1, "lab", l->name, "created", (json_int_t)l->created,
			 "network", "mode", topo_mode_name(t->net.mode), "vpcCIDR",
			 cidr_fmt(&t->net.vpc_cidr, c), "vpcRouter", addr_fmt(t->net.vpc_router, r),
			 "clusterCIDR", cidr_fmt(&t->net.cluster_cidr, c2), "serviceCIDR",
			 cidr_fmt(&t->net.service_cidr, c3), "mtu", (int)t->net.mtu,
			 "clusterDomain", t->net.domain, "nodes", nodes, "pods", pods,
			 "services", services, "internet", internet_json(s), "ingresses",
			 ingresses_json(s), "namespaces", namespaces_json(t), "networkPolicies",
			 policies_json(t), "damage", damage_json(s->damage), "fault",
			 fault_json(s->fault));
	if (o && lab_bgp_mode(l))
		json_object_set_new(o, "bgp", out_status_bgp_json(l, s->bgp));
	return o;
}

/* The graph is out/dot's, shared with trace --dot; status adds each pod's
 * health as its colour. */
void out_status_dot(FILE *f, const struct out_status *s)
{
	size_t n = s->lab->topo.npods;
	bool *ok = calloc(n ? n : 1, sizeof(*ok));

	for (size_t i = 0; ok && i < n; i++)
		ok[i] = pod_ready(s, i);
	out_dot(f, &(struct out_dot){ .lab = s->lab, .pod_ok = ok, .bgp = s->bgp });
	free(ok);
}
