/* lab/bgp_view — a bgp-mode lab's sessions and routes at one moment; see
 * bgp_view.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "lab/bgp_view.h"
#include "netns/netns.h"

const char *lab_bgp_speaker_name(const struct lab *l, size_t s)
{
	return s == BGP_SPEAKER_RR ? LAB_BGP_RR_NAME : l->topo.nodes[s].name;
}

/* The node whose address a next hop is. */
static size_t node_by_addr(const struct topo *t, uint32_t a)
{
	for (size_t k = 0; a && k < t->nnodes; k++)
		if (t->nodes[k].ip == a)
			return k;
	return LAB_BGP_NO_PEER;
}

/* The node's main-table routes that BIRD installed. */
static int kernel_routes_read(const char *netns, struct nl_route_obs **out, size_t *nout)
{
	struct nl_route_obs *v = NULL;
	size_t n = 0, k = 0;
	int ret = lab_bgp_main_routes(netns, &v, &n);

	for (size_t i = 0; ret == 0 && i < n; i++)
		if (v[i].proto == BGP_RTPROT_BIRD)
			v[k++] = v[i];
	*out = v;
	*nout = k;
	return ret;
}

/* Does BIRD's answer to `show route ARGS` hold prefix p? 1, 0, or -errno. */
static int routes_hold(struct bgp_ctl *c, const char *args, const struct cidr *p)
{
	struct bgp_route *rv = NULL;
	size_t nr = 0;
	int ret = bgp_routes(c, args, &rv, &nr);

	for (size_t i = 0; ret == 0 && i < nr; i++)
		if (rv[i].prefix.addr == p->addr && rv[i].prefix.len == p->len)
			ret = 1;
	free(rv);
	return ret;
}

/* Is node sv's pod CIDR announced: does BIRD export it on an established
 * session (`show route export PROTO`)? If not, why: no such session, or
 * the export filter rejects it (`show route noexport PROTO`). */
static enum lab_bgp_announce announce_read(const struct lab *l,
					   const struct lab_bgp_speaker_view *sv, struct bgp_ctl *c)
{
	const struct cidr *p = &l->topo.nodes[sv->s].pod_cidr;
	bool established = false, filtered = false;
	char args[80];
	int ret;

	for (size_t k = 0; k < sv->npeers; k++) {
		if (!sv->peers[k].established)
			continue;
		established = true;
		snprintf(args, sizeof(args), "export %s", sv->peers[k].bird.proto);
		ret = routes_hold(c, args, p);
		if (ret < 0)
			return LAB_BGP_ANN_UNKNOWN;
		if (ret)
			return LAB_BGP_ANN_YES;
		snprintf(args, sizeof(args), "noexport %s", sv->peers[k].bird.proto);
		ret = routes_hold(c, args, p);
		if (ret < 0)
			return LAB_BGP_ANN_UNKNOWN;
		filtered |= ret;
	}
	if (!established)
		return LAB_BGP_ANN_NO_SESSION;
	return filtered ? LAB_BGP_ANN_FILTERED : LAB_BGP_ANN_NOT_EXPORTED;
}

const char *lab_bgp_announce_words(enum lab_bgp_announce a)
{
	switch (a) {
	case LAB_BGP_ANN_YES:
		return "announced (its pod CIDR)";
	case LAB_BGP_ANN_NO_ROUTE:
		return "not announced: BIRD's table holds no pod_cidr route";
	case LAB_BGP_ANN_NO_SESSION:
		return "not announced: no session to announce it on";
	case LAB_BGP_ANN_FILTERED:
		return "not announced: its export filter rejects it";
	case LAB_BGP_ANN_NOT_EXPORTED:
		return "not announced: no established session exports it";
	case LAB_BGP_ANN_UNKNOWN:
		break;
	}
	return "unknown: BIRD could not be asked what it exports";
}

/* BIRD's best BGP routes, each with the session it came over and whether
 * the kernel holds it. */
static int routes_read(const struct lab *l, struct lab_bgp_speaker_view *sv)
{
	struct bgp_route *rv = NULL;
	struct bgp_ctl *c = NULL;
	bool has_pod_cidr = false;
	size_t nr = 0;
	int ret;

	ret = lab_bgp_ctl_open(l, sv->s, &c);
	if (ret == 0)
		ret = bgp_routes(c, "", &rv, &nr);
	if (ret < 0) {
		bgp_ctl_close(c);
		return ret;
	}
	sv->learned = calloc(nr ? nr : 1, sizeof(*sv->learned));
	if (!sv->learned) {
		bgp_ctl_close(c);
		free(rv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nr; i++) {
		struct lab_bgp_learned *x = &sv->learned[sv->nlearned];

		if (!strcmp(rv[i].proto, "pod_cidr"))
			has_pod_cidr = true;
		if (!rv[i].bgp || !rv[i].best)
			continue;
		x->route = rv[i];
		x->from = LAB_BGP_NO_PEER;
		for (size_t p = 0; p < sv->npeers; p++)
			if (!strcmp(sv->peers[p].bird.proto, rv[i].proto))
				x->from = sv->peers[p].peer;
		x->announced_by = node_by_addr(&l->topo, rv[i].bgp_next_hop ? rv[i].bgp_next_hop
									   : rv[i].gateway);
		for (size_t k = 0; k < sv->nkernel; k++)
			if (sv->kernel[k].dst == rv[i].prefix.addr &&
			    sv->kernel[k].plen == rv[i].prefix.len &&
			    sv->kernel[k].gw == rv[i].gateway)
				x->in_kernel = true;
		sv->nlearned++;
	}
	free(rv);
	if (sv->s != BGP_SPEAKER_RR)
		sv->announce = has_pod_cidr ? announce_read(l, sv, c) : LAB_BGP_ANN_NO_ROUTE;
	bgp_ctl_close(c);
	return 0;
}

int lab_bgp_view_read(const struct lab *l, struct lab_bgp_view *out)
{
	size_t n = lab_bgp_nspeakers(l);

	out->n = 0;
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct lab_bgp_speaker_view *sv = &out->v[out->n++];

		sv->s = lab_bgp_speaker(l, i);
		sv->pid = lab_bgp_pid(l, sv->s);
		if (sv->s != BGP_SPEAKER_RR) {
			sv->kernel_err = kernel_routes_read(lab_bgp_netns(l, sv->s), &sv->kernel,
							    &sv->nkernel);
		}
		sv->err = lab_bgp_peers(l, sv->s, &sv->peers, &sv->npeers);
		if (sv->err == 0)
			sv->routes_err = routes_read(l, sv);
	}
	return 0;
}

void lab_bgp_view_free(struct lab_bgp_view *v)
{
	for (size_t i = 0; v->v && i < v->n; i++) {
		free(v->v[i].peers);
		free(v->v[i].learned);
		free(v->v[i].kernel);
	}
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

const struct lab_bgp_speaker_view *lab_bgp_view_find(const struct lab_bgp_view *v, size_t s)
{
	for (size_t i = 0; v && i < v->n; i++)
		if (v->v[i].s == s)
			return &v->v[i];
	return NULL;
}

const char *lab_bgp_view_health(const struct lab_bgp_speaker_view *sv, char *buf, size_t len)
{
	if (sv->err == 0)
		snprintf(buf, len, "running");
	else if (sv->err == -ENOENT)
		snprintf(buf, len, "not running, no control socket");
	else if (sv->err == -ECONNREFUSED)
		snprintf(buf, len, "not running, its control socket refuses connections");
	else
		snprintf(buf, len, "cannot be asked (%s)", strerror(-sv->err));
	return buf;
}

void lab_bgp_peering_words(const struct lab *l, char *buf, size_t len)
{
	const struct topo *t = &l->topo;

	if (!bgp_uses_rr(t))
		snprintf(buf, len, "iBGP full mesh of %zu node%s (a mesh up to %d nodes)",
			 t->nnodes, t->nnodes == 1 ? "" : "s", BGP_FULL_MESH_MAX_NODES);
	else if (t->net.bgp.mesh == 0)
		snprintf(buf, len, "every node peers with a route reflector in the VPC router "
			 "(nodeToNodeMeshEnabled false)");
	else
		snprintf(buf, len, "every node peers with a route reflector in the VPC router "
			 "(%zu nodes: more than a mesh's %d)", t->nnodes, BGP_FULL_MESH_MAX_NODES);
}
