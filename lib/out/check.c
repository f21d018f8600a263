/* out/check — check's findings in words and in JSON; see check.h. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "out/check.h"

#define RED "\033[31m"
#define GREEN "\033[32m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

void out_check_sentence(char *buf, size_t len, const struct lab_finding *f)
{
	switch (f->kind) {
	case LAB_CK_NETNS_MISSING:
		snprintf(buf, len, "%s is missing", f->object);
		return;
	case LAB_CK_PROCESS_DOWN:
		snprintf(buf, len, "%s (pid %d) is not running", f->object, f->pid);
		return;
	case LAB_CK_PROCESS_UNPINNED:
		snprintf(buf, len, "%s (pid %d) runs, but in a namespace no longer pinned",
			 f->object, f->pid);
		return;
	case LAB_CK_LISTENER_MISSING:
		snprintf(buf, len, "nothing listens on %s", f->object);
		return;
	case LAB_CK_BGP_ROUTE_MISSING:
		snprintf(buf, len, "%s is missing", f->object);
		return;
	case LAB_CK_BGP_DAEMON_DOWN:
	case LAB_CK_BGP_SESSION_MISSING:
	case LAB_CK_BGP_SESSION_DOWN:
		/* "node-2's BIRD is not running", "BGP session ... is down (Active, ...)" */
		snprintf(buf, len, "%s is %s", f->object, f->actual);
		return;
	case LAB_CK_BGP_EXPORT_FILTERED:
		snprintf(buf, len, "%s does not announce %s: %s", f->object,
			 f->expected + strlen("announces "), f->actual);
		return;
	case LAB_CK_BGP_EXPORT_UNKNOWN:
		snprintf(buf, len, "%s: whether it announces %s is unknown: %s", f->object,
			 f->expected + strlen("announces "), f->actual);
		return;
	default:
		break;
	}
	switch (lab_check_kind_how(f->kind)) {
	case LAB_CK_HOW_MISSING:
		snprintf(buf, len, "%s is missing%s%s%s", f->object, f->expected[0] ? " (expected: " : "",
			 f->expected, f->expected[0] ? ")" : "");
		break;
	case LAB_CK_HOW_EXTRA:
		snprintf(buf, len, "%s is not in the plan%s%s", f->object, f->actual[0] ? ": " : "",
			 f->actual);
		break;
	case LAB_CK_HOW_CHANGED:
		snprintf(buf, len, "%s: expected %s, found %s", f->object,
			 f->expected[0] ? f->expected : "none", f->actual[0] ? f->actual : "none");
		break;
	}
}

/* "16 namespaces, 130 links, ..." (kinds with nothing compared left out). */
static void counts_text(char *buf, size_t len, const struct lab_check_counts *c)
{
	const struct { size_t n; const char *one, *many; } k[] = {
		{ c->namespaces, "namespace", "namespaces" }, { c->links, "link", "links" },
		{ c->addresses, "address", "addresses" }, { c->routes, "route", "routes" },
		{ c->rules, "policy rule", "policy rules" },
		{ c->neighbours, "neighbour entry", "neighbour entries" },
		{ c->fdb, "FDB entry", "FDB entries" }, { c->sysctls, "sysctl", "sysctls" },
		{ c->nft_tables, "nftables table", "nftables tables" },
		{ c->nft_chains, "chain", "chains" }, { c->nft_rules, "rule", "rules" },
		{ c->nft_sets, "set", "sets" }, { c->nft_elements, "element", "elements" },
		{ c->iptables_tables, "iptables-legacy table", "iptables-legacy tables" },
		{ c->processes, "process", "processes" }, { c->listeners, "port", "ports" },
		{ c->bgp_speakers, "BGP speaker", "BGP speakers" },
		{ c->bgp_sessions, "BGP session", "BGP sessions" },
	};
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]) && o < len; i++) {
		int n;

		if (!k[i].n)
			continue;
		n = snprintf(buf + o, len - o, "%s%zu %s", o ? ", " : "", k[i].n,
			     k[i].n == 1 ? k[i].one : k[i].many);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

void out_check_text(FILE *f, const struct out_check *c)
{
	const struct lab_check_list *d = c->list;
	char counts[640], line[2 * LAB_CHECK_TEXT + 512], cmd[1024];
	const char *last = NULL;

	counts_text(counts, sizeof(counts), &d->checked);
	if (!d->n) {
		fprintf(f, "lab %s: %sno difference from the plan%s (%s compared in %.1f ms)\n",
			c->lab->name, c->color ? GREEN : "", c->color ? RESET : "", counts,
			c->elapsed_ms);
		return;
	}
	fprintf(f, "lab %s: %s%zu difference%s from the plan%s (%s compared in %.1f ms)\n",
		c->lab->name, c->color ? RED : "", d->n, d->n == 1 ? "" : "s",
		c->color ? RESET : "", counts, c->elapsed_ms);
	for (size_t i = 0; i < d->n; i++) {
		const struct lab_finding *x = &d->v[i];

		if (!last || strcmp(last, x->netns)) {
			fprintf(f, "\n%s%s%s (%s)\n", c->color ? BOLD : "", x->place,
				c->color ? RESET : "", x->netns);
			last = x->netns;
		}
		out_check_sentence(line, sizeof(line), x);
		lab_check_command(x, cmd, sizeof(cmd));
		fprintf(f, "  %s\n      see: %s\n", line, cmd);
	}
}

static json_t *str_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *out_check_json(const struct out_check *c)
{
	const struct lab_check_list *d = c->list;
	const struct lab_check_counts *k = &d->checked;
	json_t *a = json_array();
	char cmd[1024];

	for (size_t i = 0; a && i < d->n; i++) {
		const struct lab_finding *x = &d->v[i];

		lab_check_command(x, cmd, sizeof(cmd));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}",
						   "check", lab_check_kind_name(x->kind),
						   "netns", x->netns, "place", x->place,
						   "object", x->object,
						   "expected", str_or_null(x->expected),
						   "actual", str_or_null(x->actual),
						   "command", cmd));
	}
	return json_pack("{s:i, s:s, s:b, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:f}",
			 "schema", 1, "lab", c->lab->name, "clean", d->n == 0, "differences", a,
			 "checked",
			 "namespaces", (json_int_t)k->namespaces, "links", (json_int_t)k->links,
			 "addresses", (json_int_t)k->addresses, "routes", (json_int_t)k->routes,
			 "rules", (json_int_t)k->rules, "neighbours", (json_int_t)k->neighbours,
			 "fdb", (json_int_t)k->fdb, "sysctls", (json_int_t)k->sysctls,
			 "nft_tables", (json_int_t)k->nft_tables,
			 "nft_chains", (json_int_t)k->nft_chains,
			 "nft_rules", (json_int_t)k->nft_rules, "nft_sets", (json_int_t)k->nft_sets,
			 "nft_elements", (json_int_t)k->nft_elements,
			 "iptables_tables", (json_int_t)k->iptables_tables,
			 "processes", (json_int_t)k->processes, "listeners", (json_int_t)k->listeners,
			 "bgp_speakers", (json_int_t)k->bgp_speakers,
			 "bgp_sessions", (json_int_t)k->bgp_sessions,
			 "elapsed_ms", c->elapsed_ms);
}
