/* podpath break — inject a known fault into a lab, hide it, reveal it,
 * undo it exactly. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "lab/break.h"
#include "lab/lab.h"
#include "self.h"

enum action { ACT_NONE, ACT_LIST, ACT_APPLY, ACT_RANDOM, ACT_REVEAL, ACT_UNDO };

static const char *const action_flag[] = {
	[ACT_LIST] = "--list", [ACT_APPLY] = "NAME", [ACT_RANDOM] = "--random",
	[ACT_REVEAL] = "--reveal", [ACT_UNDO] = "--undo",
};

/* ---- output --------------------------------------------------------------------- */

static json_t *changes_json(const struct lab_break_state *s)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->nchanges; i++) {
		const struct lab_break_change *c = &s->changes[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "where", c->where,
						   "what", c->what, "before", c->before, "after",
						   c->after, "show", c->show));
	}
	return a;
}

/* verb: what was done ("applied", "present" for --reveal, "undone"). */
static json_t *state_json(const char *verb, const struct lab_break_state *s, bool named)
{
	if (!named)
		return json_pack("{s:i, s:s, s:s, s:b}", "schema", 1, "lab", opts.lab, "action", verb,
				 "hidden", true);
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:b, s:s, s:I, s:o}", "schema", 1, "lab",
			 opts.lab, "action", verb, "fault", s->fault, "target", s->target, "hidden",
			 s->hidden, "trace", s->trace, "applied_at", (json_int_t)s->applied,
			 "changes", changes_json(s));
}

static void changes_text(const struct lab_break_state *s, bool undone)
{
	for (size_t i = 0; i < s->nchanges; i++) {
		const struct lab_break_change *c = &s->changes[i];

		printf("  %s: %s: %s -> %s\n", c->where, c->what, undone ? c->after : c->before,
		       undone ? c->before : c->after);
		printf("      see: %s\n", c->show);
	}
}

static void lab_opt(char *buf, size_t len)
{
	if (strcmp(opts.lab, LAB_DEFAULT_NAME))
		snprintf(buf, len, " --lab %s", opts.lab);
	else
		buf[0] = '\0';
}

static int applied_out(const struct lab_break_state *s, bool hidden)
{
	char lab[LAB_NAME_MAX + 8];

	if (opts.json)
		return pp_json_out(state_json("applied", s, !hidden));
	lab_opt(lab, sizeof(lab));
	if (hidden) {
		printf("a fault was injected into lab \"%s\": find it with traces, podpath status and "
		       "the kernel's own tools\n(%s%s break --reveal names it, %s%s break "
		       "--undo removes it)\n", opts.lab, pp_self(), lab, pp_self(), lab);
		return PP_EXIT_OK;
	}
	printf("fault %s applied to %s in lab \"%s\":\n", s->fault, s->target, opts.lab);
	changes_text(s, false);
	printf("try:  %s%s %s\nundo: %s%s break --undo\n", pp_self(), lab, s->trace, pp_self(), lab);
	return PP_EXIT_OK;
}

/* ---- --list ------------------------------------------------------------------------ */

static json_t *list_entry_json(const struct lab *l, const struct lab_break_fault *f)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", f->name, "summary", f->summary,
			      "touches", f->touches, "place", lab_break_place_name(f->place));
	static const enum topo_mode all[] = { TOPO_MODE_ROUTED, TOPO_MODE_VXLAN, TOPO_MODE_VPC,
					      TOPO_MODE_BGP };
	json_t *modes = json_array();
	char why[256], trace[512];
	struct lab_break_target t;
	struct pp_err e;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (f->modes == LAB_BREAK_ANY_MODE || (f->modes & LAB_BREAK_MODE(all[i])))
			json_array_append_new(modes, json_string(topo_mode_name(all[i])));
	json_object_set_new(o, "modes", modes);
	if (!l)
		return o;
	if (lab_break_applies(l, f, why, sizeof(why)) < 0) {
		json_object_set_new(o, "applies", json_false());
		json_object_set_new(o, "why", json_string(why));
	} else if (lab_break_target_default(l, f, &t, &e) < 0) {
		json_object_set_new(o, "applies", json_false());
		json_object_set_new(o, "why", json_string(e.msg));
	} else {
		lab_break_trace(l, f, &t, trace, sizeof(trace));
		json_object_set_new(o, "applies", json_true());
		json_object_set_new(o, "default_target", json_string(t.label));
		json_object_set_new(o, "trace", json_string(trace));
	}
	return o;
}

static void list_entry_text(const struct lab *l, const struct lab_break_fault *f)
{
	char modes[64], why[256], trace[512], lab[LAB_NAME_MAX + 8];
	struct lab_break_target t;
	struct pp_err e;

	lab_break_modes_text(f, modes, sizeof(modes));
	printf("%s (on %s; %s networking)\n    %s\n    touches: %s\n", f->name,
	       lab_break_place_noun(f->place), modes, f->summary, f->touches);
	if (!l)
		return;
	lab_opt(lab, sizeof(lab));
	if (lab_break_applies(l, f, why, sizeof(why)) < 0) {
		printf("    not for lab \"%s\": %s\n", l->name, why);
	} else if (lab_break_target_default(l, f, &t, &e) < 0) {
		printf("    not for lab \"%s\": %s\n", l->name, e.msg);
	} else {
		lab_break_trace(l, f, &t, trace, sizeof(trace));
		printf("    default: --on %s; try: %s%s %s\n", t.label, pp_self(), lab, trace);
	}
}

static int list(void)
{
	struct lab l;
	struct pp_err e;
	bool have = lab_load(&l, opts.lab, &e) == 0;
	json_t *faults = opts.json ? json_array() : NULL;

	for (size_t i = 0; i < lab_break_count(); i++) {
		if (faults)
			json_array_append_new(faults, list_entry_json(have ? &l : NULL,
								      lab_break_get(i)));
		else
			list_entry_text(have ? &l : NULL, lab_break_get(i));
	}
	if (!faults && !have)
		printf("\n(lab \"%s\" is not set up: its default targets and traces are not "
		       "shown)\n", opts.lab);
	if (have)
		lab_free(&l);
	if (faults)
		return pp_json_out(json_pack("{s:i, s:s, s:b, s:o}", "schema", 1, "lab", opts.lab,
					     "lab_exists", have, "faults", faults));
	return PP_EXIT_OK;
}

/* ---- apply, random, reveal, undo --------------------------------------------------- */

static int apply(struct lab *l, const char *name, const char *on)
{
	const struct lab_break_fault *f = lab_break_find(name);
	struct lab_break_state s;
	struct lab_break_target t;
	struct pp_err e = { 0 };
	char why[256];
	int ret;

	if (!f)
		return pp_usage_error("break", "fault \"%s\": no such fault (%s break --list "
				      "lists them)", name, pp_self());
	if (lab_break_applies(l, f, why, sizeof(why)) < 0)
		return pp_usage_error("break", "fault \"%s\" does not apply to lab \"%s\": %s", name,
				      l->name, why);
	ret = on ? lab_break_target_parse(l, f, on, &t, &e) : lab_break_target_default(l, f, &t, &e);
	if (ret == 0)
		ret = lab_access_check(l, &e);
	if (ret == 0)
		ret = lab_break_apply(l, f, &t, false, &s, &e);
	if (ret < 0)
		return pp_report(&e);
	ret = applied_out(&s, false);
	lab_break_state_free(&s);
	return ret;
}

static int random_fault(struct lab *l)
{
	const struct lab_break_fault *f;
	struct lab_break_target t;
	struct lab_break_state s;
	struct pp_err e = { 0 };
	int ret;

	ret = lab_break_pick(l, &f, &t);
	if (ret == -ENOENT)
		return pp_usage_error("break", "no fault of the catalogue applies to lab \"%s\"",
				      l->name);
	if (ret < 0)
		return pp_report(&(struct pp_err){ PP_EXIT_FAIL, -ENOMEM, "out of memory" });
	ret = lab_access_check(l, &e);
	if (ret < 0)
		return pp_report(&e);
	ret = lab_break_apply(l, f, &t, true, &s, &e);
	if (ret < 0) {
		/* Its message may name the fault: say only that it failed. */
		if (e.code != -EEXIST)
			pp_err_set(&e, e.kind, e.code, "the random fault could not be applied: %s "
				   "(%s --lab %s break --reveal shows what is left of it, if anything)",
				   strerror(-e.code), pp_self(), opts.lab);
		return pp_report(&e);
	}
	ret = applied_out(&s, true);
	lab_break_state_free(&s);
	return ret;
}

static int reveal(struct lab *l)
{
	struct lab_break_state s;
	struct pp_err e = { 0 };
	char lab[LAB_NAME_MAX + 8];
	int ret = lab_break_read(l->name, &s, &e);

	if (ret == 0)
		pp_err_set(&e, PP_EXIT_FAIL, -ENOENT, "lab \"%s\" has no fault to reveal", l->name);
	if (ret <= 0)
		return pp_report(&e);
	if (opts.json) {
		ret = pp_json_out(state_json("present", &s, true));
	} else {
		lab_opt(lab, sizeof(lab));
		printf("fault %s on %s in lab \"%s\"%s:\n", s.fault, s.target, l->name,
		       s.hidden ? " (injected by --random)" : "");
		changes_text(&s, false);
		printf("try:  %s%s %s\nundo: %s%s break --undo\n", pp_self(), lab, s.trace, pp_self(), lab);
		ret = PP_EXIT_OK;
	}
	lab_break_state_free(&s);
	return ret;
}

static int undo(struct lab *l)
{
	struct lab_break_state s = { 0 };
	struct pp_err e = { 0 };
	int ret = lab_access_check(l, &e);

	if (ret == 0)
		ret = lab_break_undo(l, &s, &e);
	if (ret < 0) {
		lab_break_state_free(&s);
		return pp_report(&e);
	}
	if (opts.json) {
		ret = pp_json_out(state_json("undone", &s, true));
	} else {
		printf("fault %s on %s undone in lab \"%s\":\n", s.fault, s.target, l->name);
		changes_text(&s, true);
	}
	lab_break_state_free(&s);
	return ret;
}

static int set_action(enum action *a, enum action want, const char *flag)
{
	if (*a != ACT_NONE && *a != want)
		return pp_usage_error("break", "%s and %s exclude each other", action_flag[*a], flag);
	*a = want;
	return 0;
}

int cmd_break(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "on", required_argument, NULL, 'o' },
		{ "random", no_argument, NULL, 'r' },
		{ "reveal", no_argument, NULL, 'R' },
		{ "undo", no_argument, NULL, 'u' },
		{ 0 },
	};
	enum action a = ACT_NONE;
	const char *on = NULL, *name = NULL;
	struct pp_err e = { 0 };
	struct lab l;
	int opt, ret = 0;

	opterr = 0;
	optind = 0;	/* 0, not 1: glibc re-reads the optstring (main's is "+...") */
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			ret = set_action(&a, ACT_LIST, "--list");
			break;
		case 'o':
			on = optarg;
			break;
		case 'r':
			ret = set_action(&a, ACT_RANDOM, "--random");
			break;
		case 'R':
			ret = set_action(&a, ACT_REVEAL, "--reveal");
			break;
		case 'u':
			ret = set_action(&a, ACT_UNDO, "--undo");
			break;
		case ':':
			return pp_usage_error("break", "--on needs a TARGET");
		default:
			return pp_usage_error("break", "unknown option \"%s\"", argv[optind - 1]);
		}
		if (ret)
			return ret;
	}
	if (optind < argc) {
		name = argv[optind++];
		ret = set_action(&a, ACT_APPLY, name);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return pp_usage_error("break", "unexpected argument \"%s\"", argv[optind]);
	if (a == ACT_NONE)
		return pp_usage_error("break", "say what to do: --list, a fault's NAME, --random, "
				      "--reveal or --undo");
	if (on && a != ACT_APPLY)
		return pp_usage_error("break", "--on goes with a fault's NAME, not %s", action_flag[a]);
	if (a == ACT_LIST)
		return list();
	if (lab_load(&l, opts.lab, &e) < 0)
		return pp_report(&e);
	switch (a) {
	case ACT_APPLY:
		ret = apply(&l, name, on);
		break;
	case ACT_RANDOM:
		ret = random_fault(&l);
		break;
	case ACT_REVEAL:
		ret = reveal(&l);
		break;
	default:
		ret = undo(&l);
		break;
	}
	lab_free(&l);
	return ret;
}
