/* policy/names — the names of table POLICY_TABLE's chains and sets and the
 * comments of its rules, made and parsed back in one place, so that the
 * ruleset builder and trace agree on them. Calico's prefixes: cali-tw-
 * (to workload), cali-fw- (from workload), cali-pi-/cali-po- (policy
 * ingress/egress); with the pod's or policy's NS/NAME in place of
 * Calico's hashes, so `nft list` reads without a key. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

#define NAME_LEN (2 * (TOPO_LABEL_MAX - 1) + 1)	/* "NS/NAME" at its longest */
#define INDEX_LEN 3				/* indexes below 256 */

_Static_assert(TOPO_MAX_POLICY_RULES <= 256 && TOPO_MAX_POLICY_PEERS <= 256 &&
	       TOPO_MAX_POLICY_PORTS <= 256, "indexes take 3 digits");
_Static_assert(sizeof("cali-tw-") - 1 + NAME_LEN < POLICY_NAME_MAX, "chain names fit");
_Static_assert(sizeof("cali-s-") - 1 + NAME_LEN + sizeof(".out") - 1 + INDEX_LEN +
	       sizeof(".from") - 1 + INDEX_LEN < POLICY_NAME_MAX, "peer set names fit");
_Static_assert(sizeof("cali-np-") - 1 + sizeof(((struct topo_np_port *)0)->name) - 1 <
	       POLICY_NAME_MAX, "named-port set names fit");
_Static_assert(NAME_LEN + sizeof(" spec.ingress[]") - 1 + INDEX_LEN + sizeof(".from[]") - 1 +
	       INDEX_LEN + sizeof(" ports[]") - 1 + INDEX_LEN <= NFT_COMMENT_MAX,
	       "rule comments fit");

#define PFX_TW "cali-tw-"
#define PFX_FW "cali-fw-"
#define PFX_PI "cali-pi-"
#define PFX_PO "cali-po-"
#define PFX_SET "cali-s-"
#define PFX_NP "cali-np-"

void policy_chain_pod(char *buf, size_t len, enum policy_dir dir, const struct topo_pod *p)
{
	snprintf(buf, len, "%s%s/%s", dir == POLICY_INGRESS ? PFX_TW : PFX_FW, p->ns, p->name);
}

void policy_chain_policy(char *buf, size_t len, enum policy_dir dir, const struct topo_policy *p)
{
	snprintf(buf, len, "%s%s/%s", dir == POLICY_INGRESS ? PFX_PI : PFX_PO, p->ns, p->name);
}

void policy_set_peer(char *buf, size_t len, enum policy_dir dir, const struct topo_policy *p,
		     size_t rule, size_t peer)
{
	bool in = dir == POLICY_INGRESS;

	snprintf(buf, len, PFX_SET "%s/%s.%s%zu.%s%zu", p->ns, p->name, in ? "in" : "out", rule,
		 in ? "from" : "to", peer);
}

void policy_set_named_port(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, PFX_NP "%s", name);
}

void policy_rule_comment(char *buf, size_t len, const struct topo_policy *p,
			 enum policy_dir dir, size_t rule, size_t peer, size_t port)
{
	bool in = dir == POLICY_INGRESS;
	char speer[32] = "", sport[32] = "";

	if (peer != POLICY_ANY)
		snprintf(speer, sizeof(speer), ".%s[%zu]", in ? "from" : "to", peer);
	if (port != POLICY_ANY)
		snprintf(sport, sizeof(sport), " ports[%zu]", port);
	snprintf(buf, len, "%s/%s spec.%s[%zu]%s%s", p->ns, p->name, in ? "ingress" : "egress",
		 rule, speer, sport);
}

/* ---- parsing back -------------------------------------------------------- */

static bool has_prefix(const char **s, const char *pfx)
{
	size_t n = strlen(pfx);

	if (strncmp(*s, pfx, n))
		return false;
	*s += n;
	return true;
}

/* A decimal index without sign or leading zeros, below 100000. */
static bool parse_index(const char **s, size_t *out)
{
	const char *p = *s;
	size_t v = 0, n = 0;

	while (*p >= '0' && *p <= '9' && n < 6) {
		v = v * 10 + (size_t)(*p - '0');
		p++, n++;
	}
	if (!n || n > 5 || (n > 1 && **s == '0'))
		return false;
	*out = v;
	*s = p;
	return true;
}

/* "[N]" */
static bool parse_bracket(const char **s, size_t *out)
{
	const char *p = *s;

	if (*p++ != '[' || !parse_index(&p, out) || *p++ != ']')
		return false;
	*s = p;
	return true;
}

/* "NS/NAME" in [s, end): the namespace (no '/') and the name, each shorter
 * than TOPO_LABEL_MAX and not empty. */
static bool split_ns_name(const char *s, const char *end, char ns[TOPO_LABEL_MAX],
			  char name[TOPO_LABEL_MAX])
{
	const char *slash = memchr(s, '/', (size_t)(end - s));
	size_t nl, ml;

	if (!slash)
		return false;
	nl = (size_t)(slash - s);
	ml = (size_t)(end - slash - 1);
	if (!nl || !ml || nl >= TOPO_LABEL_MAX || ml >= TOPO_LABEL_MAX)
		return false;
	memcpy(ns, s, nl);
	ns[nl] = '\0';
	memcpy(name, slash + 1, ml);
	name[ml] = '\0';
	return true;
}

int policy_chain_parse(const struct topo *t, const char *chain, struct policy_chain_ref *ref)
{
	char ns[TOPO_LABEL_MAX], name[TOPO_LABEL_MAX];
	const char *s = chain;
	bool pod, in;

	memset(ref, 0, sizeof(*ref));
	if (!strcmp(chain, POLICY_CHAIN_FORWARD) || !strcmp(chain, POLICY_CHAIN_POSTROUTING)) {
		ref->kind = POLICY_CHAIN_BASE;
		ref->dir = !strcmp(chain, POLICY_CHAIN_FORWARD) ? POLICY_EGRESS : POLICY_INGRESS;
		return 0;
	}
	if (has_prefix(&s, PFX_TW))
		pod = true, in = true;
	else if (has_prefix(&s, PFX_FW))
		pod = true, in = false;
	else if (has_prefix(&s, PFX_PI))
		pod = false, in = true;
	else if (has_prefix(&s, PFX_PO))
		pod = false, in = false;
	else
		return -ENOENT;
	if (!split_ns_name(s, s + strlen(s), ns, name))
		return -ENOENT;
	ref->dir = in ? POLICY_INGRESS : POLICY_EGRESS;
	if (pod) {
		const struct topo_pod *p = topo_pod_find(t, ns, name);

		if (!p)
			return -ENOENT;
		ref->kind = POLICY_CHAIN_POD;
		ref->index = (size_t)(p - t->pods);
	} else {
		ssize_t i = topo_policy_index(t, ns, name);

		if (i < 0)
			return -ENOENT;
		ref->kind = POLICY_CHAIN_POLICY;
		ref->index = (size_t)i;
	}
	return 0;
}

int policy_set_parse(const struct topo *t, const char *set, struct policy_set_ref *ref)
{
	char ns[TOPO_LABEL_MAX], name[TOPO_LABEL_MAX];
	const struct topo_np_rule *rules;
	const char *s = set, *last, *dot;
	size_t nrules;
	ssize_t pi;
	bool in;

	memset(ref, 0, sizeof(*ref));
	if (has_prefix(&s, PFX_NP)) {
		if (!*s || strlen(s) >= sizeof(ref->port))
			return -ENOENT;
		ref->kind = POLICY_SET_NAMED_PORT;
		strcpy(ref->port, s);
		return 0;
	}
	/* A policy's name may hold dots: the rule and peer are the last two
	 * dot-separated parts. */
	if (!has_prefix(&s, PFX_SET))
		return -ENOENT;
	last = strrchr(s, '.');
	dot = last ? memrchr(s, '.', (size_t)(last - s)) : NULL;
	if (!dot || !split_ns_name(s, dot, ns, name))
		return -ENOENT;
	s = dot + 1;
	if (has_prefix(&s, "in"))
		in = true;
	else if (has_prefix(&s, "out"))
		in = false;
	else
		return -ENOENT;
	if (!parse_index(&s, &ref->rule) || !has_prefix(&s, in ? ".from" : ".to") ||
	    !parse_index(&s, &ref->peer) || *s)
		return -ENOENT;
	pi = topo_policy_index(t, ns, name);
	if (pi < 0)
		return -ENOENT;
	rules = in ? t->policies[pi].in : t->policies[pi].out;
	nrules = in ? t->policies[pi].nin : t->policies[pi].nout;
	if (ref->rule >= nrules || ref->peer >= rules[ref->rule].npeers)
		return -ENOENT;
	ref->kind = POLICY_SET_PEER;
	ref->dir = in ? POLICY_INGRESS : POLICY_EGRESS;
	ref->policy = (size_t)pi;
	return 0;
}

int policy_rule_comment_parse(const struct topo *t, const char *comment, size_t *policy,
			      enum policy_dir *dir, size_t *rule, size_t *peer, size_t *port)
{
	char ns[TOPO_LABEL_MAX], name[TOPO_LABEL_MAX];
	const struct topo_np_rule *r;
	const char *s = comment, *sp = strchr(comment, ' ');
	ssize_t pi;
	bool in;

	if (!sp || !split_ns_name(s, sp, ns, name))
		return -ENOENT;
	s = sp;
	if (!has_prefix(&s, " spec."))
		return -ENOENT;
	if (has_prefix(&s, "ingress"))
		in = true;
	else if (has_prefix(&s, "egress"))
		in = false;
	else
		return -ENOENT;
	if (!parse_bracket(&s, rule))
		return -ENOENT;
	*peer = *port = POLICY_ANY;
	if (has_prefix(&s, in ? ".from" : ".to") && !parse_bracket(&s, peer))
		return -ENOENT;
	if (has_prefix(&s, " ports") && !parse_bracket(&s, port))
		return -ENOENT;
	if (*s)
		return -ENOENT;
	pi = topo_policy_index(t, ns, name);
	if (pi < 0)
		return -ENOENT;
	if (*rule >= (in ? t->policies[pi].nin : t->policies[pi].nout))
		return -ENOENT;
	r = in ? &t->policies[pi].in[*rule] : &t->policies[pi].out[*rule];
	if ((*peer != POLICY_ANY && *peer >= r->npeers) ||
	    (*port != POLICY_ANY && *port >= r->nports))
		return -ENOENT;
	*policy = (size_t)pi;
	*dir = in ? POLICY_INGRESS : POLICY_EGRESS;
	return 0;
}
