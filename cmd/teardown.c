/* podpath teardown — remove a lab (or every lab) by ownership. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "lab/lab.h"

int cmd_teardown(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ 0 },
	};
	struct lab_teardown_report r;
	struct pp_err e = { 0 };
	bool all = false;
	int opt;

	opterr = 0;
	optind = 0;	/* 0, not 1: glibc re-reads the optstring (main's is "+...") */
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt != 'a')
			return pp_usage_error("teardown", "unknown option \"%s\"", argv[optind - 1]);
		all = true;
	}
	if (optind < argc)
		return pp_usage_error("teardown", "unexpected argument \"%s\"", argv[optind]);
	if (lab_teardown(opts.lab, all, &r, &e) < 0)
		return pp_report(&e);
	if (opts.json)
		return pp_json_out(json_pack("{s:i, s:s?, s:b, s:i, s:i}", "schema", 1, "lab",
					     all ? NULL : opts.lab, "all", all,
					     "namespaces", (int)r.netns, "processes", (int)r.processes));
	if (!r.netns && !r.processes && !r.files)
		printf("%s%s%s: nothing to remove\n", all ? "all labs" : "lab \"",
		       all ? "" : opts.lab, all ? "" : "\"");
	else
		printf("%s%s%s: removed %zu namespaces and %zu processes\n",
		       all ? "all labs" : "lab \"", all ? "" : opts.lab, all ? "" : "\"",
		       r.netns, r.processes);
	return 0;
}
