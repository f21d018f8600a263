/* dropwatch — the kernel-drop observer in a trace: armed with the trace's
 * namespaces and the probe's flow keys, it turns the kernel's drop events
 * into trace_drop records (place, time on the captures' clock), and ends
 * the probe's wait as soon as the request was dropped for a reason that
 * is final. Where BPF cannot run it says why once, and the diagnosis falls
 * back to asking the kernel. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "netns/netns.h"
#include "trace/internal.h"
#include "trace/observe/drops.h"

struct dropwatch {
	struct trace *t;
	struct drops *d;
	uint64_t *ino;		/* t->ns[i]'s inode */
	int64_t mono_to_real;	/* add to a CLOCK_MONOTONIC time for CLOCK_REALTIME */
	bool final;		/* a final drop of the request was seen */
};

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Drops after which nothing of the request goes on: the wait can end.
 * Others (a frame for another host's MAC, which a flooded copy also gets;
 * no socket, which the answer's RST says anyway; unnamed reasons) may be
 * of a copy, or are said by the answer: the wait goes on. */
static bool reason_final(const char *r)
{
	static const char *const final[] = {
		"IP_INADDRERRORS", "IP_INNOROUTES", "IP_OUTNOROUTES", "IP_RPFILTER",
		"NETFILTER_DROP", "NEIGH_FAILED", "NEIGH_QUEUEFULL", "NEIGH_DEAD",
		"NEIGH_CREATEFAIL", "PKT_TOO_BIG", "IP_BLACKHOLE", "BLACKHOLE",
		"IPV4_BLACKHOLE", "DEV_READY", "DEV_HDR", "FIB_LOOKUP_FAILED",
		"NO_TX_TARGET", "BRIDGE_INGRESS_STP_STATE", "QDISC_DROP", "IP_INHDR",
	};

	for (size_t i = 0; i < sizeof(final) / sizeof(final[0]); i++)
		if (!strcmp(r, final[i]))
			return true;
	return false;
}

/* Does place ns hold address a (a pod's, host's or node's own)? Without a
 * lab, assume it does: the drop is then taken as it comes. */
static bool holds(const struct trace *t, ssize_t ns, uint32_t a)
{
	const struct lab *l = t->lab;

	if (!l || ns < 0)
		return true;
	for (size_t i = 0; i < l->topo.npods; i++)
		if (l->topo.pods[i].ip == a)
			return !strcmp(t->ns[ns], l->plan.pods[i].netns);
	for (size_t i = 0; i < l->topo.nnodes; i++)
		if (l->topo.nodes[i].ip == a)
			return !strcmp(t->ns[ns], l->plan.nodes[i].netns);
	return true;
}

/* A frame for another MAC that reached the destination's own namespace:
 * no better copy will come (what is flooded elsewhere is dropped there). */
static bool at_destination(const struct trace *t, const struct trace_drop *d)
{
	return !strcmp(d->reason, "OTHERHOST") && d->ns >= 0 && t->dst.netns &&
	       !strcmp(t->ns[d->ns], t->dst.netns);
}

/* Is ev the request (rather than the answer, or an ICMP error about it)? */
static bool is_request(const struct trace *t, const struct drop_event *ev)
{
	if (ev->icmp_err)
		return false;
	if (t->probe.proto == PROBE_ICMP)
		return ev->proto == IPPROTO_ICMP && ev->icmp_type == 8;
	/* The path of a TCP probe is its handshake's SYN: the source's RST
	 * to a stray answer, freed by the receiver, is not the probe dying. */
	if (ev->proto == IPPROTO_TCP && (ev->tcp_flags & 0x12) != 0x02)
		return false;
	/* Replies come back to the probe's port; what goes out leaves from
	 * it, or from a NAT's new port towards the destination's. */
	return ev->dport != t->probe.sport;
}

static int collect(struct dropwatch *w)
{
	struct drop_event ev[16];
	struct trace *t = w->t;
	int n;

	while ((n = drops_read(w->d, ev, 16)) > 0) {
		struct trace_drop *nd = realloc(t->drops, (t->ndrops + (size_t)n) * sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		t->drops = nd;
		for (int i = 0; i < n; i++) {
			struct trace_drop *d = &t->drops[t->ndrops++];

			memset(d, 0, sizeof(*d));
			d->ts_ns = (uint64_t)((int64_t)ev[i].ts_ns + w->mono_to_real);
			d->ns = -1;
			for (size_t k = 0; k < t->nns; k++)
				if (w->ino[k] == ev[i].netns_ino)
					d->ns = (ssize_t)k;
			snprintf(d->ifname, sizeof(d->ifname), "%s", ev[i].ifname);
			if (ev[i].reason_name[0])
				snprintf(d->reason, sizeof(d->reason), "%s", ev[i].reason_name);
			else
				snprintf(d->reason, sizeof(d->reason), "%u", ev[i].reason);
			snprintf(d->func, sizeof(d->func), "%s", ev[i].func);
			d->reply = !is_request(t, &ev[i]);
			d->ip_len = ev[i].ip_len;
			d->copy = !strcmp(d->reason, "OTHERHOST") && !holds(t, d->ns, d->daddr);
			d->proto = ev[i].proto;
			d->saddr = ev[i].saddr;
			d->daddr = ev[i].daddr;
			d->sport = ev[i].sport;
			d->dport = ev[i].dport;
			/* ip_error is the input route's error handler: whatever
			 * the reason, the packet went no further. */
			if (!d->reply && (reason_final(d->reason) || !strcmp(d->func, "ip_error") ||
					  at_destination(t, d)))
				w->final = true;
		}
		if ((size_t)n < 16)
			break;
	}
	return n < 0 ? n : 0;
}

/* probe's stop hook: read what waits; end the wait on a final drop. */
static bool stop(void *arg)
{
	struct dropwatch *w = arg;

	collect(w);
	return w->final;
}

/* The keys of the probe's flow: its source port (echo id) as either port,
 * and where it is going, before and after a Service's DNAT (a masquerade
 * may give it another source port on the way). */
static int keys_make(const struct trace *t, struct drop_key **out, size_t *n)
{
	uint8_t proto = probe_ipproto(t->probe.proto);
	const struct topo_service *s = t->svc.svc >= 0 ? &t->lab->topo.services[t->svc.svc] : NULL;
	size_t max = 2 + (s ? s->nendpoints : 0);
	struct drop_key *k = calloc(max, sizeof(*k));

	if (!k)
		return -ENOMEM;
	*n = 0;
	k[(*n)++] = (struct drop_key){ proto, 0, t->probe.sport };
	if (proto != IPPROTO_ICMP && t->probe.dport)
		k[(*n)++] = (struct drop_key){ proto, t->dst.ip, t->probe.dport };
	for (size_t e = 0; s && e < s->nendpoints; e++)
		if (s->endpoints[e].port[t->svc.port])
			k[(*n)++] = (struct drop_key){ proto, t->lab->topo.pods[s->endpoints[e].pod].ip,
						       s->endpoints[e].port[t->svc.port] };
	*out = k;
	return 0;
}

struct dropwatch *trace_dropwatch_arm(struct trace *t)
{
	struct dropwatch *w = calloc(1, sizeof(*w));
	struct drop_key *keys = NULL;
	struct pp_err e = { 0 };
	size_t nkeys = 0;

	t->drops_off[0] = '\0';
	if (!w || !(w->ino = calloc(t->nns ? t->nns : 1, sizeof(*w->ino))) ||
	    keys_make(t, &keys, &nkeys) < 0) {
		snprintf(t->drops_off, sizeof(t->drops_off), "out of memory");
		goto fail;
	}
	w->t = t;
	for (size_t i = 0; i < t->nns; i++) {
		char path[sizeof(NETNS_RUN_DIR) + NAME_MAX + 2];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, t->ns[i]);
		w->ino[i] = stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
	}
	if (drops_open(&w->d, w->ino, t->nns, keys, nkeys, &e) < 0) {
		snprintf(t->drops_off, sizeof(t->drops_off), "%s", e.msg);
		goto fail;
	}
	free(keys);
	w->mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	t->probe.stop_fd = drops_fd(w->d);
	t->probe.stop = stop;
	t->probe.stop_arg = w;
	return w;
fail:
	free(keys);
	if (w)
		free(w->ino);
	free(w);
	return NULL;
}

int trace_dropwatch_collect(struct dropwatch *w)
{
	size_t lost;
	int ret;

	if (!w)
		return 0;
	ret = collect(w);
	lost = drops_lost(w->d);
	if (ret == 0 && lost)
		ret = trace_loss_set(w->t, "drops", "events", -1, lost, 0);
	return ret;
}

void trace_dropwatch_close(struct dropwatch *w)
{
	if (!w)
		return;
	if (w->t->probe.stop_arg == w) {
		w->t->probe.stop = NULL;
		w->t->probe.stop_arg = NULL;
		w->t->probe.stop_fd = -1;
	}
	drops_close(w->d);
	free(w->ino);
	free(w);
}
