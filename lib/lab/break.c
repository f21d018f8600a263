/* break — the catalogue's public face: faults by name, their targets,
 * applying one under the lab's lock with its record kept in break.json,
 * undoing it from that record; see break.h. The faults themselves are
 * break_faults.c, the changes they are made of break_{net,nft,proc,ipt,ct}.c. */
#include <errno.h>
#include <unistd.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab/break_int.h"
#include "self.h"

#define LOCK_WAIT_MS 30000

static const struct brk_fault *fault_of(const struct lab_break_fault *f)
{
	return (const struct brk_fault *)f;	/* info is its first member */
}

size_t lab_break_count(void)
{
	return brk_nfaults;
}

const struct lab_break_fault *lab_break_get(size_t i)
{
	return i < brk_nfaults ? &brk_faults[i].info : NULL;
}

const struct lab_break_fault *lab_break_find(const char *name)
{
	for (size_t i = 0; name && i < brk_nfaults; i++)
		if (!strcmp(brk_faults[i].info.name, name))
			return &brk_faults[i].info;
	return NULL;
}

const char *lab_break_place_name(enum lab_break_place p)
{
	static const char *const names[] = { [LAB_BREAK_NODE] = "node", [LAB_BREAK_POD] = "pod",
					     [LAB_BREAK_SVC] = "service", [LAB_BREAK_VPC] = "vpc" };

	return p <= LAB_BREAK_VPC ? names[p] : "?";
}

const char *lab_break_place_noun(enum lab_break_place p)
{
	static const char *const nouns[] = { [LAB_BREAK_NODE] = "a node", [LAB_BREAK_POD] = "a pod",
					     [LAB_BREAK_SVC] = "a Service port",
					     [LAB_BREAK_VPC] = "the VPC router" };

	return p <= LAB_BREAK_VPC ? nouns[p] : "?";
}

void lab_break_modes_text(const struct lab_break_fault *f, char *buf, size_t len)
{
	static const enum topo_mode modes[] = { TOPO_MODE_ROUTED, TOPO_MODE_VXLAN, TOPO_MODE_VPC,
						TOPO_MODE_BGP };
	size_t o = 0, count = 0, k = 0;

	buf[0] = '\0';
	if (f->modes == LAB_BREAK_ANY_MODE) {
		snprintf(buf, len, "any");
		return;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		count += !!(f->modes & LAB_BREAK_MODE(modes[i]));
	/* "routed", "routed or vxlan", "routed, vxlan or bgp" */
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]) && o < len; i++) {
		if (!(f->modes & LAB_BREAK_MODE(modes[i])))
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", !k ? "" : k + 1 == count ? " or " :
				      ", ", topo_mode_name(modes[i]));
		k++;
	}
}

/* ---- targets ------------------------------------------------------------------ */

int lab_break_applies(const struct lab *l, const struct lab_break_fault *f, char *why,
		      size_t len)
{
	const struct brk_fault *bf = fault_of(f);
	char modes[64];

	if (f->modes != LAB_BREAK_ANY_MODE && !(f->modes & LAB_BREAK_MODE(l->topo.net.mode))) {
		lab_break_modes_text(f, modes, sizeof(modes));
		snprintf(why, len, "it needs %s networking, and lab \"%s\" uses %s", modes, l->name,
			 topo_mode_name(l->topo.net.mode));
		return -EOPNOTSUPP;
	}
	return bf->applies ? bf->applies(l, why, len) : 0;
}

void brk_svc_port_ref(const struct topo_service *s, size_t pi, char *buf, size_t len)
{
	const struct topo_svc_port *p = &s->ports[pi];
	bool shared = false;

	/* kube-dns's 53/UDP and 53/TCP: a number alone would name the first. */
	for (size_t i = 0; i < s->nports; i++)
		shared |= i != pi && s->ports[i].port == p->port;
	if (shared && p->name[0])
		snprintf(buf, len, "svc/%s/%s:%s", s->ns, s->name, p->name);
	else
		snprintf(buf, len, "svc/%s/%s:%u", s->ns, s->name, p->port);
}

static void label_make(const struct lab *l, struct lab_break_target *t)
{
	const struct topo *tp = &l->topo;

	switch (t->place) {
	case LAB_BREAK_NODE:
		snprintf(t->label, sizeof(t->label), "node/%s", tp->nodes[t->index].name);
		break;
	case LAB_BREAK_POD:
		snprintf(t->label, sizeof(t->label), "%s/%s", tp->pods[t->index].ns,
			 tp->pods[t->index].name);
		break;
	case LAB_BREAK_SVC:
		brk_svc_port_ref(&tp->services[t->index], t->port, t->label, sizeof(t->label));
		break;
	case LAB_BREAK_VPC:
		snprintf(t->label, sizeof(t->label), "vpc");
		break;
	}
}

/* "svc/NS/NAME[:PORT]": PORT a number or a port's name; the first port by
 * default. -ENOENT no such Service, -ERANGE no such port. */
static int svc_parse(const struct topo *t, const char *s, size_t *svc, size_t *port)
{
	char ns[TOPO_LABEL_MAX], name[TOPO_LABEL_MAX], p[32] = "";
	const char *slash = strchr(s, '/'), *colon;
	const struct topo_service *sv;
	size_t nlen;

	if (!slash || (size_t)(slash - s) >= sizeof(ns))
		return -ENOENT;
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - s), s);
	colon = strchr(slash + 1, ':');
	if (colon && strlen(colon + 1) < sizeof(p))
		snprintf(p, sizeof(p), "%s", colon + 1);
	else if (colon)
		return -ERANGE;
	nlen = colon ? (size_t)(colon - slash - 1) : strlen(slash + 1);
	if (nlen >= sizeof(name))
		return -ENOENT;
	snprintf(name, sizeof(name), "%.*s", (int)nlen, slash + 1);
	sv = topo_service_find(t, ns, name);
	if (!sv)
		return -ENOENT;
	*svc = (size_t)(sv - t->services);
	*port = 0;
	if (!colon)
		return sv->nports ? 0 : -ERANGE;
	for (size_t i = 0; i < sv->nports; i++) {
		char num[8];

		snprintf(num, sizeof(num), "%u", sv->ports[i].port);
		if (!strcmp(p, num) || (sv->ports[i].name[0] && !strcmp(p, sv->ports[i].name))) {
			*port = i;
			return 0;
		}
	}
	return -ERANGE;
}

static const char *place_syntax(enum lab_break_place p)
{
	switch (p) {
	case LAB_BREAK_NODE: return "node/NAME";
	case LAB_BREAK_POD: return "NAMESPACE/NAME or NAME";
	case LAB_BREAK_SVC: return "svc/NAMESPACE/NAME[:PORT]";
	case LAB_BREAK_VPC: return "vpc";
	}
	return "?";
}

/* Find `on` among the objects of the fault's place: 0, or -ENOENT. */
static int target_find(const struct lab *l, enum lab_break_place place, const char *on,
		       struct lab_break_target *t, const char **what)
{
	const struct topo *tp = &l->topo;
	const struct topo_pod *p;
	ssize_t n;
	int ret;

	memset(t, 0, sizeof(*t));
	t->place = place;
	switch (place) {
	case LAB_BREAK_NODE:
		*what = "node";
		n = topo_node_index(tp, !strncmp(on, "node/", 5) ? on + 5 : on);
		if (n < 0)
			return -ENOENT;
		t->index = (size_t)n;
		break;
	case LAB_BREAK_POD: {
		const char *slash = strchr(on, '/');
		char ns[TOPO_LABEL_MAX];

		*what = "pod";
		if (slash && (size_t)(slash - on) < sizeof(ns)) {
			snprintf(ns, sizeof(ns), "%.*s", (int)(slash - on), on);
			p = topo_pod_find(tp, ns, slash + 1);
		} else {
			p = slash ? NULL : topo_pod_find(tp, NULL, on);
		}
		if (!p)
			return -ENOENT;
		t->index = (size_t)(p - tp->pods);
		break;
	}
	case LAB_BREAK_SVC:
		*what = "Service port";
		if (strncmp(on, "svc/", 4))
			return -ENOENT;
		ret = svc_parse(tp, on + 4, &t->index, &t->port);
		if (ret < 0)
			return ret;
		break;
	case LAB_BREAK_VPC:
		*what = "place";	/* only the VPC router is */
		if (strcmp(on, "vpc"))
			return -ENOENT;
		break;
	}
	label_make(l, t);
	return 0;
}

static bool target_ok(const struct lab *l, const struct lab_break_fault *f,
		      const struct lab_break_target *t, char *why, size_t len)
{
	const struct brk_fault *bf = fault_of(f);

	return !bf->target_ok || bf->target_ok(l, t, why, len);
}

int lab_break_target_parse(const struct lab *l, const struct lab_break_fault *f, const char *on,
			   struct lab_break_target *t, struct pp_err *e)
{
	const char *what = "target";
	char why[256];
	int ret = target_find(l, f->place, on, t, &what);

	if (ret < 0)
		return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "--on \"%s\": no such %s in lab \"%s\" "
				  "(fault %s acts on %s: %s)", on, what, l->name, f->name,
				  lab_break_place_noun(f->place), place_syntax(f->place));
	if (!target_ok(l, f, t, why, sizeof(why)))
		return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "--on \"%s\": fault %s cannot act on "
				  "%s: %s", on, f->name, t->label, why);
	return 0;
}

static void target_at(const struct lab *l, const struct lab_break_fault *f, size_t index,
		      size_t port, struct lab_break_target *t)
{
	memset(t, 0, sizeof(*t));
	t->place = f->place;
	t->index = index;
	t->port = port;
	label_make(l, t);
}

int lab_break_target_default(const struct lab *l, const struct lab_break_fault *f,
			     struct lab_break_target *t, struct pp_err *e)
{
	ssize_t i = fault_of(f)->target_default(l);
	char why[256] = "";

	if (i >= 0) {
		target_at(l, f, (size_t)i, 0, t);
		if (target_ok(l, f, t, why, sizeof(why)))
			return 0;
	}
	/* The default does not fit this lab: the first target that does. */
	if (lab_break_targets(l, f, t, 1))
		return 0;
	return pp_err_set(e, PP_EXIT_USAGE, -EINVAL, "lab \"%s\" has no %s fault %s can act "
			  "on%s%s", l->name, lab_break_place_name(f->place), f->name,
			  why[0] ? ": " : "", why);
}

size_t lab_break_targets(const struct lab *l, const struct lab_break_fault *f,
			 struct lab_break_target *out, size_t max)
{
	const struct topo *tp = &l->topo;
	size_t count = 0, n = 0;
	char why[256];

	switch (f->place) {
	case LAB_BREAK_NODE:
		n = tp->nnodes;
		break;
	case LAB_BREAK_POD:
		n = tp->npods;
		break;
	case LAB_BREAK_SVC:
		n = tp->nservices;
		break;
	case LAB_BREAK_VPC:
		n = 1;
		break;
	}
	for (size_t i = 0; i < n; i++) {
		size_t nports = f->place == LAB_BREAK_SVC ? tp->services[i].nports : 1;

		for (size_t pi = 0; pi < nports; pi++) {
			struct lab_break_target t;

			target_at(l, f, i, pi, &t);
			if (!target_ok(l, f, &t, why, sizeof(why)))
				continue;
			if (count < max)
				out[count] = t;
			count++;
		}
	}
	return count;
}

void lab_break_trace(const struct lab *l, const struct lab_break_fault *f,
		     const struct lab_break_target *t, char *buf, size_t len)
{
	fault_of(f)->trace(l, t, buf, len);
}

size_t lab_break_random_below(size_t n)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned long long)getpid() * 2654435761u ^ (unsigned long long)time(NULL);
	return n ? (size_t)(r % n) : 0;
}

int lab_break_pick(const struct lab *l, const struct lab_break_fault **f,
		   struct lab_break_target *t)
{
	const struct lab_break_fault *cand[64];
	struct lab_break_target *targets;
	size_t n = 0, nt;
	char why[256];

	for (size_t i = 0; i < lab_break_count() && n < sizeof(cand) / sizeof(cand[0]); i++) {
		const struct lab_break_fault *c = lab_break_get(i);

		if (lab_break_applies(l, c, why, sizeof(why)) == 0 && lab_break_targets(l, c, NULL, 0))
			cand[n++] = c;
	}
	if (!n)
		return -ENOENT;
	*f = cand[lab_break_random_below(n)];
	nt = lab_break_targets(l, *f, NULL, 0);
	targets = calloc(nt, sizeof(*targets));
	if (!targets)
		return -ENOMEM;
	lab_break_targets(l, *f, targets, nt);
	*t = targets[lab_break_random_below(nt)];
	free(targets);
	return 0;
}

/* ---- apply, undo, read ----------------------------------------------------------- */

static int state_fill(const struct brk_file *bf, struct lab_break_state *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->fault, sizeof(s->fault), "%s", bf->fault);
	snprintf(s->target, sizeof(s->target), "%s", bf->target);
	snprintf(s->trace, sizeof(s->trace), "%s", bf->trace);
	s->hidden = bf->hidden;
	s->applied = bf->applied;
	s->changes = calloc(bf->n + 1, sizeof(*s->changes));
	if (!s->changes)
		return -ENOMEM;
	for (size_t i = 0; i < bf->n; i++)
		s->changes[i] = bf->v[i].shown;
	s->nchanges = bf->n;
	return 0;
}

/* Revert v[0..n) last first; on a failure, *left is how many remain (the
 * failed one included). */
static int revert_all(struct lab *l, struct brk_change *v, size_t n, size_t *left,
		      struct pp_err *e)
{
	int ret = 0;

	while (n && ret == 0) {
		ret = brk_revert(l, &v[n - 1], e);
		if (ret == 0)
			n--;
	}
	*left = n;
	return ret;
}

/* A fault that failed half-way: what it changed is undone; if that fails
 * too, what is left stays recorded so that --undo can finish it. */
static void roll_back(struct brk_ctx *c, struct brk_file *bf)
{
	struct pp_err why = *c->e, re;
	size_t left;

	if (revert_all(c->l, c->v, c->n, &left, &re) == 0)
		return;
	bf->v = c->v;
	bf->n = left;
	brk_file_write(c->l->name, bf, &re);
	pp_err_set(c->e, why.kind, why.code, "%s; undoing what it changed failed too: %s (podpath "
		   "--lab %s break --undo retries it)", why.msg, re.msg, c->l->name);
}

int lab_break_apply(struct lab *l, const struct lab_break_fault *f,
		    const struct lab_break_target *t, bool hidden, struct lab_break_state *s,
		    struct pp_err *e)
{
	struct brk_ctx c = { .l = l, .t = t, .e = e };
	struct brk_file bf = { .hidden = hidden, .applied = (long long)time(NULL) };
	struct brk_file present;
	int lock, ret;

	memset(s, 0, sizeof(*s));
	lock = lab_lock(l->name, "break", LOCK_WAIT_MS, NULL, e);
	if (lock < 0)
		return lock;
	ret = brk_file_read(l->name, &present, e);
	if (ret > 0) {
		ret = pp_err_set(e, PP_EXIT_USAGE, -EEXIST, "lab \"%s\" has a fault already%s%s%s: "
				 "one at a time (%s --lab %s break --undo removes it)", l->name,
				 present.hidden ? "" : " (", present.hidden ? "" : present.fault,
				 present.hidden ? "" : ")", pp_self(), l->name);
		brk_file_free(&present);
		goto out;
	}
	if (ret < 0)
		goto out;
	snprintf(bf.fault, sizeof(bf.fault), "%s", f->name);
	snprintf(bf.target, sizeof(bf.target), "%s", t->label);
	lab_break_trace(l, f, t, bf.trace, sizeof(bf.trace));
	ret = fault_of(f)->apply(&c);
	if (ret == 0) {
		bf.v = c.v;
		bf.n = c.n;
		ret = brk_file_write(l->name, &bf, e);
	}
	if (ret < 0) {
		roll_back(&c, &bf);
		goto out;
	}
	bf.v = c.v;
	bf.n = c.n;
	if (state_fill(&bf, s) < 0)
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
out:
	for (size_t i = 0; i < c.n; i++)
		brk_change_free(&c.v[i]);
	free(c.v);
	lab_unlock(l->name, lock, false);
	return ret;
}

int lab_break_undo(struct lab *l, struct lab_break_state *s, struct pp_err *e)
{
	struct brk_file bf;
	size_t left, all;
	int lock, ret;

	memset(s, 0, sizeof(*s));
	lock = lab_lock(l->name, "break", LOCK_WAIT_MS, NULL, e);
	if (lock < 0)
		return lock;
	ret = brk_file_read(l->name, &bf, e);
	if (ret == 0)
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOENT, "lab \"%s\" has no fault to undo",
				 l->name);
	if (ret < 0)
		goto out;
	all = bf.n;
	if (state_fill(&bf, s) < 0) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	} else if ((ret = revert_all(l, bf.v, bf.n, &left, e)) == 0) {
		ret = brk_file_remove(l->name, e);
	} else {
		struct pp_err we;

		/* What was reverted is gone from the record; the rest stays. */
		bf.n = left;
		brk_file_write(l->name, &bf, &we);
		bf.n = all;
	}
	brk_file_free(&bf);
out:
	lab_unlock(l->name, lock, false);
	return ret;
}

int lab_break_read(const char *lab, struct lab_break_state *s, struct pp_err *e)
{
	struct brk_file bf;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = brk_file_read(lab, &bf, e);
	if (ret <= 0)
		return ret;
	if (state_fill(&bf, s) < 0)
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	brk_file_free(&bf);
	return ret;
}

void lab_break_state_free(struct lab_break_state *s)
{
	free(s->changes);
	s->changes = NULL;
	s->nchanges = 0;
}
