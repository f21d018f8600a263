/* podpath status — what a lab is made of and whether its containers answer. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "lab/bgp_view.h"
#include "lab/check.h"
#include "lab/break.h"
#include "lab/lab.h"
#include "out/status.h"

static enum lab_health **health_measure(const struct lab *l)
{
	enum lab_health **h = calloc(l->topo.npods + 1, sizeof(*h));

	for (size_t i = 0; h && i < l->topo.npods; i++) {
		h[i] = calloc(l->topo.pods[i].ncontainers + 1, sizeof(**h));
		for (size_t j = 0; h[i] && j < l->topo.pods[i].ncontainers; j++)
			h[i][j] = lab_container_health(l, i, j);
	}
	return h;
}

static void health_free(enum lab_health **h, size_t n)
{
	for (size_t i = 0; h && i < n; i++)
		free(h[i]);
	free(h);
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dot", no_argument, NULL, 'd' },
		{ 0 },
	};
	struct out_status s = { .color = opts.color };
	struct lab_check_list damage = { 0 };
	struct lab_break_state fault = { 0 };
	struct lab_bgp_view bgp = { 0 };
	struct pp_err e = { 0 };
	struct lab l;
	bool dot = false;
	int opt, ret = 0;

	opterr = 0;
	optind = 0;	/* 0, not 1: glibc re-reads the optstring (main's is "+...") */
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt != 'd')
			return pp_usage_error("status", "unknown option \"%s\"", argv[optind - 1]);
		dot = true;
	}
	if (optind < argc)
		return pp_usage_error("status", "unexpected argument \"%s\"", argv[optind]);
	if (dot && opts.json)
		return pp_usage_error("status", "--dot and --json exclude each other");
	if (lab_load(&l, opts.lab, &e) < 0)
		return pp_report(&e);
	/* Without privilege over the lab every check below reads "down". */
	if (lab_access_check(&l, &e) < 0) {
		ret = pp_report(&e);
		goto out;
	}
	s.lab = &l;
	s.health = health_measure(&l);
	s.inet_health = calloc(l.topo.inet.nhosts + 1, sizeof(*s.inet_health));
	for (size_t i = 0; s.inet_health && i < l.topo.inet.nhosts; i++)
		s.inet_health[i] = lab_host_health(&l, i);
	/* check's cheap part: what setup built that is gone. */
	ret = lab_check_netns(&l, &damage);
	if (ret == 0)
		ret = lab_check_procs(&l, s.health, s.inet_health, &damage);
	if (ret == 0)
		ret = lab_check_tables(&l, &damage);
	if (ret < 0) {
		pp_err_set(&e, ret == -EPERM ? PP_EXIT_ENV : PP_EXIT_FAIL, ret,
			   "lab \"%s\": cannot check its objects: %s", l.name, strerror(-ret));
		ret = pp_report(&e);
		goto out;
	}
	s.damage = &damage;
	/* A damaged record is no reason to hide the rest of the status. */
	if (lab_break_read(l.name, &fault, &e) > 0)
		s.fault = &fault;
	/* A BIRD that does not answer is part of the view, not a failure. */
	if (lab_bgp_mode(&l) && lab_bgp_view_read(&l, &bgp) == 0)
		s.bgp = &bgp;
	if (opts.json) {
		ret = pp_json_out(out_status_json(&s));
	} else if (dot) {
		out_status_dot(stdout, &s);
		out_status_damage_text(stderr, &s);
	} else {
		out_status_text(stdout, &s);
	}
	/* Something setup built is gone: say so in the exit code too. */
	if (ret == PP_EXIT_OK && damage.n)
		ret = PP_EXIT_FAIL;
out:
	lab_check_free(&damage);
	lab_bgp_view_free(&bgp);
	lab_break_state_free(&fault);
	health_free(s.health, l.topo.npods);
	free(s.inet_health);
	lab_free(&l);
	return ret;
}
