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

/* How long a trace waits for its answer unless --timeout says. */
#define CMD_TRACE_TIMEOUT_MS 2000

/* A trace as its command line asks for it (trace.c; explain --live too). */
struct trace_args {
	const char *src, *dst, *proto, *pcap, *netns;
	bool tui;
	bool dot;		/* --dot: the lab's graph with the path, for Graphviz */
	bool no_drops;		/* --no-kernel-drops */
	bool verbose;		/* -v: MACs and every nftables event in the text */
	bool arp;		/* --arp: flush the neighbour entries first */
	long port;
	long size;		/* --size: 0 when not given */
	int timeout_ms;
	char url_path[256];
	const char *url;	/* DST as given, when it was a URL */
	bool by_name;		/* DST was a DNS name, resolved by the DNS */
};

struct lab;
struct trace;
/* Room for a URL's HOST[:PORT]: a 253-byte name, ':', five digits. */
#define CMD_URL_HOST_MAX 264
/* DST has a scheme ("...://"): a URL, for cmd_trace_url_split. */
bool cmd_trace_is_url(const char *dst);
/* "http[s]://HOST[:PORT][/PATH]" (scheme in any case): DST becomes
 * HOST[:PORT] (in buf), the path (unsafe bytes percent-encoded, as a browser
 * sends them) and the protocol are kept. PP_EXIT_USAGE (reported) for
 * another scheme, no host, a bad port or credentials. */
int cmd_trace_url_split(struct trace_args *a, char *buf, size_t len);
/* Resolve a's SRC and DST in lab l (a DNS name is traced into dt first,
 * *dns set), choose the probe and run it into t. 0; -1 when the name did not
 * resolve (dt says why); or an exit code, reported. */
int cmd_trace_lab(struct trace_args *a, struct lab *l, struct trace *t, struct trace *dt,
		  bool *dns);

int cmd_setup(int argc, char **argv);
int cmd_teardown(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_break(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_explain(int argc, char **argv);

#endif
