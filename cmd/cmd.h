/* cmd — what the command files share: the options chosen in main.c, the
 * one error printer, and the entry points of the dispatch table. */
#ifndef PODPATH_CMD_H
#define PODPATH_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"

struct json_t;

struct options {
	bool json;		/* -j: one JSON document on stdout */
	bool pretty;		/* -p: indent JSON */
	bool color;		/* stdout is a TTY and NO_COLOR is unset */
	const char *lab;	/* --lab NAME, default "podpath" */
};

extern struct options opts;

/* Print e once (text on stderr, or {"error": ...} on stdout in JSON mode) and
 * return its exit code. */
int pp_report(const struct pp_err *e);
/* Report a usage error for command cmd (exit 2), with a hint to --help. */
int pp_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write a JSON document to stdout honouring -p; returns an exit code. */
int pp_json_out(struct json_t *doc);
/* Print the usage text of command name (stdout) and return 0. */
int pp_help(const char *name);
/* Parse an unsigned decimal in [min, max]; -1 if not a number or out of range. */
long pp_parse_uint(const char *s, long min, long max);

int cmd_setup(int argc, char **argv);
int cmd_teardown(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_help(int argc, char **argv);

#endif
