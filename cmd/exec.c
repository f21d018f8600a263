/* podpath exec — run a command inside a pod or node of a lab. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "lab/enter.h"
#include "lab/lab.h"

int cmd_exec(int argc, char **argv)
{
	const char *target = NULL, *container = NULL;
	struct lab_target t;
	struct pp_err e = { 0 };
	struct lab l;
	char **cmd = NULL;
	int i, ret;

	/* TARGET [-c CONTAINER] [--] CMD...: the first word that is neither
	 * the target nor an option starts CMD, so CMD's own options pass. */
	for (i = 1; i < argc && !cmd; i++) {
		if (!strcmp(argv[i], "--")) {
			cmd = &argv[i + 1];
		} else if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--container")) {
			if (++i >= argc)
				return pp_usage_error("exec", "%s needs a container name", argv[i - 1]);
			container = argv[i];
		} else if (!strncmp(argv[i], "--container=", 12)) {
			container = argv[i] + 12;
		} else if (argv[i][0] == '-') {
			/* CMD's own options go after "--" or after CMD's name. */
			return pp_usage_error("exec", "unknown option \"%s\" (a command that starts "
					      "with '-' goes after --)", argv[i]);
		} else if (!target) {
			target = argv[i];
		} else {
			cmd = &argv[i];
		}
	}
	if (!target)
		return pp_usage_error("exec", "missing TARGET (a pod, node/NAME or internet/NAME)");
	if (!cmd || !cmd[0])
		return pp_usage_error("exec", "missing the command to run after TARGET");
	if (lab_load(&l, opts.lab, &e) < 0)
		return pp_report(&e);
	ret = lab_target_parse(&l, target, container, &t, &e);
	if (ret == 0)
		ret = lab_target_enter(&l, &t, &e);
	lab_free(&l);
	if (ret < 0)
		return pp_report(&e);
	fflush(stdout);
	execvp(cmd[0], cmd);
	/* As a shell reports it: 127 not found, 126 found but not runnable. */
	ret = errno == ENOENT ? 127 : 126;
	pp_err_set(&e, PP_EXIT_FAIL, -errno, "exec: %s: %s", cmd[0], strerror(errno));
	pp_report(&e);
	return ret;
}
