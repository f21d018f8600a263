/* out/quiz — questions on a trace's path; see quiz.h. */
#include <stdio.h>
#include <string.h>

#include "out/quiz.h"

/* The name after a place label's kind: "node node-1" -> "node-1". */
static const char *after(const char *label, const char *kind)
{
	size_t n = strlen(kind);

	return strncmp(label, kind, n) ? NULL : label + n;
}

static bool vpc_mode(const struct trace *t)
{
	return t->lab && t->lab->topo.net.mode == TOPO_MODE_VPC;
}

/* How the VPC moved hop i's packet: as its first hop leaving the VPC in
 * the same direction says (hops.c decided it from TTLs and the bridge
 * device, never from prose); NONE if it was not seen leaving. */
static enum trace_moved vpc_moved(const struct trace *t, size_t i)
{
	for (size_t j = i; j < t->nhops; j++) {
		const struct trace_hop *h = &t->hops[j];

		if (h->reply != t->hops[i].reply)
			continue;
		if (h->ns != t->hops[i].ns)
			break;
		if (h->pkt->outgoing)
			return h->moved;
	}
	return TRACE_MOVED_NONE;
}

/* The place hop i was seen at, as a learner names it. */
static void place(const struct trace *t, size_t i, char *buf, size_t len)
{
	const struct trace_hop *h = &t->hops[i];
	const char *label = t->ns_label[h->ns], *ifn = h->pkt->ifname, *name;
	bool out = h->pkt->outgoing;

	if ((name = after(label, "pod ")) && !strcmp(ifn, "lo")) {
		snprintf(buf, len, "pod %s's loopback lo (localhost: %s)", name,
			 h->reply ? "the answer, inside the pod" : "the request, inside the pod");
	} else if (name) {
		if (out)
			snprintf(buf, len, "pod %s's eth0, %s", name, h->reply ? "answering"
				 : "by its default route");
		else
			snprintf(buf, len, "pod %s's eth0, %s", name, h->reply ? "the answer back home"
				 : "the destination");
	} else if ((name = after(label, "node "))) {
		if (!strcmp(ifn, LAB_BRIDGE_NAME))
			snprintf(buf, len, out ? "%s routes it onto its bridge " LAB_BRIDGE_NAME
				 " (the pod CIDR is local)" : "%s's bridge " LAB_BRIDGE_NAME
				 " hands it up to the node's IP layer", name);
		else if (!strcmp(ifn, "eth0"))
			snprintf(buf, len, out ? "%s's route table sends it out eth0 to the VPC"
				 : "%s's eth0, in from the VPC", name);
		else if (!strcmp(ifn, LAB_VXLAN_NAME))
			snprintf(buf, len, "%s's VXLAN device " LAB_VXLAN_NAME, name);
		else if (out)
			snprintf(buf, len, vpc_mode(t) ? "%s's /32 route to the pod's veth"
				 : "%s's bridge " LAB_BRIDGE_NAME " forwards it to the pod's port", name);
		else
			snprintf(buf, len, "the pod's veth pair, into %s", name);
	} else if (!strcmp(label, "VPC")) {
		enum trace_moved m = vpc_moved(t, i);

		/* Routed out of the bridge device, then switched to the port:
		 * the route table is what decided. */
		snprintf(buf, len, "%s", m == TRACE_MOVED_BRIDGED ? "the VPC's bridge "
			 LAB_VPC_BRIDGE_NAME " (one subnet)" : m == TRACE_MOVED_ROUTED ||
			 m == TRACE_MOVED_ROUTED_BRIDGED ? "the VPC route table" : "the VPC");
	} else if (!strcmp(label, "gateway")) {
		snprintf(buf, len, "the cloud gateway");
	} else if (!strcmp(label, "load balancer")) {
		snprintf(buf, len, "the cloud load balancer");
	} else if (!strcmp(label, "internet")) {
		snprintf(buf, len, "the internet's router");
	} else {
		snprintf(buf, len, "%s", label);
	}
}

/* A rewrite seen at hop i (what changed since the hop before), as a
 * mechanism; false if none. */
static bool rewrite(const struct trace *t, size_t i, char *buf, size_t len)
{
	const struct trace_hop *h = &t->hops[i];
	const char *label = t->ns_label[h->ns], *node = after(label, "node ");
	const char *where = node ? node : label;

	/* On the way back a changed source is the request's DNAT reversed
	 * (the endpoint answers as the Service), a changed destination its SNAT. */
	if (h->reply && (h->changed & (TRACE_CHG_DST | TRACE_CHG_SRC)))
		snprintf(buf, len, "conntrack reverses the %s in %s",
			 h->changed & TRACE_CHG_SRC ? "DNAT" : "SNAT", where);
	else if (h->changed & TRACE_CHG_DST)
		snprintf(buf, len, node ? "kube-proxy's DNAT in %s" : "the DNAT in %s", where);
	else if (h->changed & TRACE_CHG_SRC)
		snprintf(buf, len, !strcmp(label, "gateway") ? "the cloud gateway's 1:1 NAT"
			 : node ? "SNAT (masquerade) in %s" : "the SNAT in %s", where);
	else if (h->changed & TRACE_CHG_DECAP)
		snprintf(buf, len, "VXLAN decapsulation in %s", where);
	else if (h->changed & TRACE_CHG_ENCAP)
		snprintf(buf, len, "VXLAN encapsulation in %s", where);
	else
		return false;
	return true;
}

static void step_add(struct quiz_step *s, size_t *n, size_t max, const char *what, const char *why,
		     size_t hop, bool reply, bool nat)
{
	if (*n && !strcmp(s[*n - 1].what, what) && s[*n - 1].reply == reply)
		return;	/* the same place again (in and out): one step */
	if (*n >= max)
		return;
	snprintf(s[*n].what, sizeof(s[*n].what), "%s", what);
	snprintf(s[*n].why, sizeof(s[*n].why), "%s", why);
	s[*n].hop = hop;
	s[*n].reply = reply;
	s[*n].nat = nat;
	(*n)++;
}

size_t quiz_steps(const struct trace *t, struct quiz_step *s, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nhops; i++) {
		const struct trace_hop *h = &t->hops[i];
		char what[QUIZ_TEXT_MAX];

		if (rewrite(t, i, what, sizeof(what)))
			step_add(s, &n, max, what, h->change, i, h->reply, true);
		place(t, i, what, sizeof(what));
		step_add(s, &n, max, what, h->why[0] ? h->why : h->change, i, h->reply, false);
	}
	return n;
}

/* Mechanisms a learner might pick that this path does not have, each
 * with the reason it is not here; those the path has are skipped. */
static size_t generic(const struct trace *t, const struct quiz_step *s, size_t ns,
		      char what[][QUIZ_TEXT_MAX], char why[][QUIZ_WHY_MAX], size_t max)
{
	const char *node = "the node";
	bool local = true, named = false, vpc = false, gw = false, dnat = false, nat = false;
	size_t n = 0;
	char a[ADDR_STRLEN];

	for (size_t i = 0; i < t->nhops; i++) {
		const char *label = t->ns_label[t->hops[i].ns];

		vpc |= !strcmp(label, "VPC");
		local &= !strcmp(t->hops[i].pkt->ifname, "lo");
		gw |= !strcmp(label, "gateway");
		dnat |= !t->hops[i].reply && (t->hops[i].changed & TRACE_CHG_DST);
		nat |= (t->hops[i].changed & (TRACE_CHG_DST | TRACE_CHG_SRC)) != 0;
		if (after(label, "node ") && !named) {
			node = after(label, "node ");
			named = true;
		}
	}
#define G(w, ...)                                                                   \
	do {                                                                       \
		bool dup = false;                                                  \
		if (n >= max)                                                      \
			break;                                                     \
		snprintf(what[n], QUIZ_TEXT_MAX, "%s", w);                         \
		for (size_t k = 0; k < ns; k++)                                    \
			dup |= !strcmp(s[k].what, what[n]);                        \
		if (dup)                                                           \
			break;                                                     \
		snprintf(why[n], QUIZ_WHY_MAX, __VA_ARGS__);                       \
		n++;                                                               \
	} while (0)
	if (!dnat) {
		char w[QUIZ_TEXT_MAX];

		snprintf(w, sizeof(w), "kube-proxy's DNAT in %s", node);
		G(w, "no: %s is no Service's address, so kube-proxy's rules leave it as it is",
		  addr_fmt(t->dst.ip, a));
	}
	if (!nat)
		G("conntrack reverses the DNAT", "no: nothing on this path was NATed, so there is "
		  "nothing for conntrack to undo");
	if (!vpc)
		G("the VPC route table", "no: the packet never leaves %s, so the VPC never sees it",
		  node);
	/* bgp: the packet crosses the VPC's bridge; no VPC route decides. */
	if (vpc && t->lab && t->lab->topo.net.mode == TOPO_MODE_BGP)
		G("the VPC router's route to the pod CIDR", "no: in bgp mode the VPC router holds no "
		  "pod routes; each node learned the others' pod CIDRs over BGP from their BIRDs "
		  "(proto bird) and sends straight to the peer node on the shared subnet");
	if (!gw)
		G("the cloud gateway's 1:1 NAT", "no: only traffic between the cluster and the "
		  "internet passes the cloud gateway");
	if (!t->lab || t->lab->topo.net.mode != TOPO_MODE_VXLAN)
		G("VXLAN encapsulation (flannel.1)", "no: this lab's pod network is %s, without an "
		  "overlay", t->lab ? topo_mode_name(t->lab->topo.net.mode) : "not an overlay");
	if (vpc_mode(t)) {
		char w[QUIZ_TEXT_MAX];

		snprintf(w, sizeof(w), "%s's bridge " LAB_BRIDGE_NAME, node);
		G(w, "no: in vpc mode there is no bridge: each pod has a /32 route to its veth");
	}
	G("the packet is dropped here", "no: the trace saw it go on");
	if (local)
		G("the pod's veth pair, to its node", "no: the containers of one pod share its "
		  "network namespace; localhost never leaves it");
#undef G
	return n;
}

/* dst = src, cut to len - 1 bytes. */
static void text_set(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Options i and j of q swapped, with their reasons. */
static void swap(struct quiz_question *q, int i, int j)
{
	char w[QUIZ_TEXT_MAX], y[QUIZ_WHY_MAX];

	memcpy(w, q->opt[i], sizeof(w));
	memcpy(q->opt[i], q->opt[j], sizeof(w));
	memcpy(q->opt[j], w, sizeof(w));
	memcpy(y, q->why[i], sizeof(y));
	memcpy(q->why[i], q->why[j], sizeof(y));
	memcpy(q->why[j], y, sizeof(y));
	if (q->right == i)
		q->right = j;
	else if (q->right == j)
		q->right = i;
}

/* The question after step k of s: what comes next. false when it cannot
 * have three options that read apart. */
static bool ask(const struct trace *t, const struct quiz_step *s, size_t ns, size_t k,
		struct quiz_question *q, int (*rnd)(void))
{
	char gw[8][QUIZ_TEXT_MAX], gy[8][QUIZ_WHY_MAX];
	size_t ng = generic(t, s, ns, gw, gy, 8), got = 1, later = SIZE_MAX;

	memset(q, 0, sizeof(*q));
	q->answer = -1;
	q->hop = s[k].hop;
	snprintf(q->text, sizeof(q->text), "Hop %zu of %zu, %s: the packet has just been through: "
		 "%s. What comes next?", s[k].hop + 1, t->nhops, s[k].reply ? "the answer"
		 : "the request", s[k].what);
	snprintf(q->opt[0], sizeof(q->opt[0]), "%s", s[k + 1].what);
	snprintf(q->why[0], sizeof(q->why[0]), "right: seen next, at hop %zu%s%s", s[k + 1].hop + 1,
		 s[k + 1].why[0] ? ": " : "", s[k + 1].why);
	/* One wrong option from the path itself, further along (the order is
	 * what is asked), when there is one; the rest from what is not here. */
	for (size_t j = k + 2; j < ns && later == SIZE_MAX; j++)
		if (strcmp(s[j].what, s[k + 1].what) && strcmp(s[j].what, s[k].what))
			later = j;
	if (later != SIZE_MAX) {
		snprintf(q->opt[got], sizeof(q->opt[got]), "%s", s[later].what);
		snprintf(q->why[got++], sizeof(q->why[0]), "not yet: that comes later, at hop %zu, "
			 "after %s", s[later].hop + 1, s[k + 1].what);
	}
	for (size_t off = ng ? (size_t)rnd() % ng : 0, i = 0; i < ng && got < QUIZ_OPTS; i++) {
		size_t g = (off + i) % ng;

		if (!strcmp(gw[g], q->opt[0]) || (got > 1 && !strcmp(gw[g], q->opt[1])))
			continue;
		snprintf(q->opt[got], sizeof(q->opt[got]), "%s", gw[g]);
		snprintf(q->why[got++], sizeof(q->why[0]), "%s", gy[g]);
	}
	/* Still short: an earlier step of the path. */
	for (size_t j = 0; j < k && got < QUIZ_OPTS; j++)
		if (strcmp(s[j].what, q->opt[0]) && strcmp(s[j].what, q->opt[1]) &&
		    strcmp(s[j].what, s[k].what)) {
			text_set(q->opt[got], sizeof(q->opt[got]), s[j].what);
			snprintf(q->why[got++], sizeof(q->why[0]), "no: that was earlier, at hop %zu",
				 s[j].hop + 1);
		}
	if (got < QUIZ_OPTS)
		return false;
	q->right = 0;
	for (int i = QUIZ_OPTS - 1; i > 0; i--)
		swap(q, i, rnd() % (i + 1));
	return true;
}

size_t quiz_make(const struct trace *t, struct quiz_question *q, int (*rnd)(void))
{
	struct quiz_step s[QUIZ_STEPS_MAX];
	size_t ns = quiz_steps(t, s, QUIZ_STEPS_MAX), n = 0, nk;

	if (ns < 2)
		return 0;
	/* Steps 0..ns-2 can be asked about; spread QUIZ_MAX of them evenly
	 * along the path, in its order. */
	nk = ns - 1;
	for (size_t i = 0; i < nk && n < QUIZ_MAX; i++) {
		size_t k = nk <= QUIZ_MAX ? i : i * nk / QUIZ_MAX;

		if (nk > QUIZ_MAX && i >= QUIZ_MAX)
			break;
		if (ask(t, s, ns, k, &q[n], rnd))
			n++;
	}
	return n;
}
