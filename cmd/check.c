/* podpath check — the kernel's state in every namespace of a lab against
 * what setup built; exit 1 when anything differs. */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "cmd.h"
#include "lab/check.h"
#include "out/check.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = { { 0 } };
	struct lab_check_list list = { 0 };
	struct out_check o = { .color = opts.color };
	struct pp_err e = { 0 };
	struct lab l;
	double t0;
	int ret;

	opterr = 0;
	optind = 0;	/* 0, not 1: glibc re-reads the optstring (main's is "+...") */
	if (getopt_long(argc, argv, "", longopts, NULL) != -1)
		return pp_usage_error("check", "unknown option \"%s\"", argv[optind - 1]);
	if (optind < argc)
		return pp_usage_error("check", "unexpected argument \"%s\"", argv[optind]);
	t0 = now_ms();
	if (lab_load(&l, opts.lab, &e) < 0)
		return pp_report(&e);
	/* Without privilege over the lab every namespace would read as gone. */
	ret = lab_access_check(&l, &e);
	if (ret == 0)
		ret = lab_check_run(&l, NULL, 0, &list, &e);
	if (ret < 0) {
		ret = pp_report(&e);
		goto out;
	}
	o.lab = &l;
	o.list = &list;
	o.elapsed_ms = now_ms() - t0;
	if (opts.json)
		ret = pp_json_out(out_check_json(&o));
	else
		out_check_text(stdout, &o);
	if (ret == PP_EXIT_OK && list.n)
		ret = PP_EXIT_FAIL;
out:
	lab_check_free(&list);
	lab_free(&l);
	return ret;
}
