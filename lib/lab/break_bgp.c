/* break_bgp — the changes of bgp networking's faults: a node's BIRD stopped
 * as an operator stops it, or its configuration rewritten with a fault and
 * reloaded. Each waits until the fault is real (the routes it takes away
 * are gone from the kernels that held them), so that a trace right after
 * sees it; undone by starting BIRD again or writing its configuration
 * clean, then waiting for BGP to converge; see break_int.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include "lab/bgp.h"
#include "lab/break_int.h"
#include "netns/netns.h"
#include "nl/nl.h"

/* How long a fault may take to show in the peers' kernels: a session's
 * close is at once, an export filter's withdrawal waits for BIRD's next
 * timer tick (1 s). */
#define BGP_BREAK_WAIT_MS 20000

struct bird_route_query {
	struct cidr dst;
	bool found;
};

/* Does namespace netns route q->dst as proto bird? */
static int bird_route_find(const char *netns, struct bird_route_query *q)
{
	struct nl_route_obs *v = NULL;
	size_t n = 0;
	int ret = lab_bgp_main_routes(netns, &v, &n);

	q->found = false;
	for (size_t i = 0; ret == 0 && i < n; i++)
		q->found |= v[i].proto == BGP_RTPROT_BIRD && v[i].dst == q->dst.addr &&
			    v[i].plen == q->dst.len;
	free(v);
	return ret;
}

int brk_bgp_routes_gone(struct brk_ctx *c, const struct brk_bgp_gone *g, size_t n)
{
	const struct topo *t = &c->l->topo;
	long start = lab_bgp_clock_ms();

	for (;;) {
		size_t left = n;

		for (size_t i = 0; i < n; i++) {
			struct bird_route_query q = { .dst = g[i].dst };
			int ret = bird_route_find(c->l->plan.nodes[g[i].node].netns, &q);

			if (ret < 0)
				return pp_err_set(c->e, PP_EXIT_FAIL, ret, "node %s: cannot read its "
						  "routes: %s", t->nodes[g[i].node].name,
						  strerror(-ret));
			if (!q.found) {
				left--;
				continue;
			}
			if (lab_bgp_clock_ms() - start > BGP_BREAK_WAIT_MS) {
				char d[CIDR_STRLEN];

				return pp_err_set(c->e, PP_EXIT_FAIL, -ETIMEDOUT, "node %s still routes "
						  "%s proto bird %d s after the fault: BIRD did not "
						  "withdraw it", t->nodes[g[i].node].name,
						  cidr_fmt(&g[i].dst, d), BGP_BREAK_WAIT_MS / 1000);
			}
		}
		if (!left)
			return 0;
		usleep(20000);
	}
}

/* "birdc -s /run/podpath/LAB/bgp/node-1.ctl show protocols all Mesh_172_18_0_3" */
static void birdc_show(const struct lab *l, size_t s, const char *what, char *buf, size_t len)
{
	char ctl[128];

	if (lab_bgp_file(l, s, "ctl", ctl, sizeof(ctl)) < 0)
		snprintf(ctl, sizeof(ctl), "?");
	snprintf(buf, len, "birdc -s %s %s", ctl, what);
}

int brk_bgp_stop(struct brk_ctx *c, size_t node, size_t watcher)
{
	const struct lab *l = c->l;
	pid_t pid = lab_bgp_pid(l, node);
	char proto[48], what[96], show[300];
	size_t peer;
	struct brk_change *ch;
	struct brk_where w;
	int ret;

	brk_where_node(l, node, &w);
	if (!pid)
		return pp_err_set(c->e, PP_EXIT_FAIL, -ESRCH, "%s: BIRD is not running (podpath "
				  "check shows it)", w.name);
	ret = lab_bgp_stop(l, node, c->e);
	if (ret < 0)
		return ret;
	ch = brk_record(c, BRK_BGP_STOPPED, &w);
	if (!ch)
		return -ENOMEM;
	ch->num = (long long)node;
	snprintf(ch->shown.what, sizeof(ch->shown.what), "BIRD, the node's BGP daemon");
	snprintf(ch->shown.before, sizeof(ch->shown.before), "running");
	snprintf(ch->shown.after, sizeof(ch->shown.after), "stopped (pid %d, after birdc down: "
		 "its sessions closed, its peers withdrew its routes)", (int)pid);
	/* Seen from a peer: the session down (the reflector's, when the lab
	 * peers through it), the route gone. */
	peer = bgp_uses_rr(&l->topo) ? BGP_SPEAKER_RR : watcher;
	bgp_proto_name(&l->topo, peer, node, proto, sizeof(proto));
	snprintf(what, sizeof(what), "show protocols all %s", proto);
	birdc_show(l, peer, what, show, sizeof(show));
	snprintf(ch->shown.show, sizeof(ch->shown.show), "%s; ip -n %s route show proto bird",
		 show, l->plan.nodes[watcher].netns);
	return 0;
}

int brk_bgp_conf_fault(struct brk_ctx *c, size_t node, const struct bgp_fault *f)
{
	const struct lab *l = c->l;
	const struct topo *t = &l->topo;
	char proto[48], a[ADDR_STRLEN], b[ADDR_STRLEN], cidr[CIDR_STRLEN], what[96], show[300];
	struct brk_change *ch;
	struct brk_where w;
	struct pp_err re;
	int ret;

	brk_where_node(l, node, &w);
	ret = lab_bgp_conf_write(l, node, f, c->e);
	if (ret == 0)
		ret = lab_bgp_reload(l, node, c->e);
	if (ret < 0) {
		/* Nothing recorded yet: put the clean file back ourselves, and
		 * reload it: a `configure` that timed out may have left BIRD
		 * running the faulty file, a fault live but unrecorded. */
		bool clean = lab_bgp_conf_write(l, node, NULL, &re) == 0 &&
			     lab_bgp_reload(l, node, &re) == 0;
		size_t len = strlen(c->e->msg);

		if (clean)
			snprintf(c->e->msg + len, sizeof(c->e->msg) - len, "; the clean "
				 "configuration was written back and reloaded");
		else
			snprintf(c->e->msg + len, sizeof(c->e->msg) - len, "; the clean "
				 "configuration could not be put back and reloaded either (%s): "
				 "if BIRD took the fault, it still runs it (podpath check shows it)",
				 re.msg);
		return ret;
	}
	ch = brk_record(c, BRK_BGP_CONF, &w);
	if (!ch)
		return -ENOMEM;
	ch->num = (long long)node;
	ch->num2 = (long long)f->kind;
	cidr_fmt(&t->nodes[node].pod_cidr, cidr);
	if (f->kind == BGP_FAULT_WRONG_PEER) {
		bgp_proto_name(t, node, f->peer, proto, sizeof(proto));
		snprintf(ch->shown.what, sizeof(ch->shown.what), "BIRD's configuration: the neighbor "
			 "address of session %s (with %s)", proto, lab_bgp_speaker_label(l, f->peer));
		snprintf(ch->shown.before, sizeof(ch->shown.before), "%s",
			 addr_fmt(bgp_speaker_addr(t, f->peer), a));
		snprintf(ch->shown.after, sizeof(ch->shown.after), "%s (nobody's), reloaded",
			 addr_fmt(f->addr, b));
		snprintf(what, sizeof(what), "show protocols all %s", proto);
	} else {
		/* Its session with the route reflector, or with its first peer. */
		bgp_proto_name(t, node, bgp_uses_rr(t) ? BGP_SPEAKER_RR : (node ? 0 : 1), proto,
			       sizeof(proto));
		snprintf(ch->shown.what, sizeof(ch->shown.what), "BIRD's configuration: export filter "
			 "podpath_export_to_bgp_peers");
		snprintf(ch->shown.before, sizeof(ch->shown.before), "announces %s", cidr);
		snprintf(ch->shown.after, sizeof(ch->shown.after), "rejects %s, reloaded", cidr);
		snprintf(what, sizeof(what), "show route noexport %s", proto);
	}
	birdc_show(l, node, what, show, sizeof(show));
	/* Where the route went missing: the node itself (its session is
	 * down), or a peer (nothing announced to it). */
	snprintf(ch->shown.show, sizeof(ch->shown.show), "%s; ip -n %s route show proto bird", show,
		 l->plan.nodes[f->kind == BGP_FAULT_WRONG_PEER ? node : (node ? 0 : 1)].netns);
	return 0;
}

int brk_bgp_revert(struct lab *l, struct brk_change *ch, struct pp_err *e)
{
	size_t node = (size_t)ch->num;
	long elapsed = 0;
	int ret = 0;

	if (ch->num < 0 || node >= l->topo.nnodes || !lab_bgp_mode(l))
		return pp_err_set(e, PP_EXIT_FAIL, -EINVAL, "%s: no BGP speaker %lld in lab \"%s\"",
				  ch->shown.where, ch->num, l->name);
	if (ch->kind == BRK_BGP_CONF) {
		/* A BIRD that died since the fault is started on the clean
		 * file; a running one reloads it. */
		ret = lab_bgp_conf_write(l, node, NULL, e);
		if (ret == 0)
			ret = lab_bgp_pid(l, node) ? lab_bgp_reload(l, node, e)
						   : lab_bgp_start(l, node, e);
	} else if (!lab_bgp_pid(l, node)) {
		ret = lab_bgp_start(l, node, e);
	}
	/* Undone once every route is back where setup had it. */
	if (ret == 0)
		ret = lab_bgp_converge(l, 0, LAB_BGP_CONVERGE_MS, &elapsed, e);
	return ret;
}
