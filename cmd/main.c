/* podpath — global options, the dispatch table, and the one error printer. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "lab/lab.h"
#include "self.h"

struct options opts = { .lab = LAB_DEFAULT_NAME };

enum {
	NEED_ROOT = 1 << 0,	/* netlink changes, setns, mounts */
};

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	unsigned flags;
	const char *summary;
	const char *usage;	/* options, one per line, after "podpath NAME" */
};

static const struct command commands[] = {
	{ "setup", cmd_setup, NEED_ROOT, "build a lab (default: the embedded topology)",
	  "[-f FILE] [--nodes N --pods-per-node M [--services K]] [--network routed|vxlan|vpc|bgp]\n"
	  "      [--proxy-mode nftables|iptables]\n"
	  "  -f, --file FILE          topology JSON (docs/topology.md); - reads stdin\n"
	  "      --nodes N            a synthetic topology of N nodes (1-256)\n"
	  "      --pods-per-node M    its pods: M on each node (default/pod-1-1 .. pod-N-M)\n"
	  "      --services K         its Services: svc-1..K, the pods dealt out over\n"
	  "                           them two at a time\n"
	  "      --network MODE       cross-node networking: routed (default), vxlan, vpc\n"
	  "      --proxy-mode MODE    kube-proxy's rules: nftables (default), iptables;\n"
	  "                           ipvs is refused (podpath does not build it)\n" },
	{ "teardown", cmd_teardown, NEED_ROOT, "remove a lab, also after a crash",
	  "[--all]\n"
	  "      --all                remove every podpath lab on this host\n" },
	{ "status", cmd_status, NEED_ROOT, "nodes, pods, IPs, policies and container health",
	  "[--dot]\n"
	  "      --dot                print the lab as a Graphviz graph (with the pods each\n"
	  "                           NetworkPolicy isolates)\n" },
	{ "check", cmd_check, NEED_ROOT, "compare the kernel's state with the lab's plan",
	  "\n"
	  "  every namespace's links, addresses, routes, neighbours, FDB, sysctls, nftables\n"
	  "  and iptables-legacy rules and processes against what setup built; each\n"
	  "  difference with the command that shows it; exit 1 if there is any\n" },
	{ "break", cmd_break, NEED_ROOT, "inject a known fault, hide it, reveal it, undo it",
	  "--list | NAME [--on TARGET] | --random | --reveal | --undo\n"
	  "      --list               the catalogue: each fault, what it touches, where it\n"
	  "                           applies, its default target and the trace to try\n"
	  "  NAME                     apply that fault (one at a time)\n"
	  "      --on TARGET          where: node/NAME, a pod (NAMESPACE/NAME or NAME),\n"
	  "                           svc/NAMESPACE/NAME[:PORT] or vpc, as the fault takes;\n"
	  "                           default: the one the suggested trace shows failing\n"
	  "      --random             apply a fault of the catalogue without naming it\n"
	  "      --reveal             name the fault present and what it changed\n"
	  "      --undo               restore exactly what the fault changed\n" },
	{ "exec", cmd_exec, NEED_ROOT, "run a command inside a pod, node or internet host",
	  "TARGET [-c CONTAINER] -- CMD...\n"
	  "  TARGET is POD (NAMESPACE/NAME or NAME in default), node/NAME or internet/NAME\n"
	  "  -c, --container NAME     run as that container of the pod\n" },
	{ "trace", cmd_trace, NEED_ROOT, "send a real probe and report every hop",
	  "SRC DST [-p icmp|udp|tcp|http|https|dns] [--port N] [--timeout SEC] [--size BYTES]\n"
	  "       [--no-kernel-drops] [--pcap FILE] [--dot] [--tui] [--arp] [-v]\n"
	  "       podpath trace --netns NAME|PID DST [options]\n"
	  "  SRC is a pod (NS/NAME[:CONTAINER]), node/NAME or internet/NAME; DST a pod\n"
	  "  (NS/NAME[:PORT]), node/NAME, internet/NAME[:PORT], a Service (svc/NS/NAME[:PORT]),\n"
	  "  an IP[:PORT] (LoadBalancer IPs and nodes' public addresses too), a DNS name[:PORT]\n"
	  "  (its query to the DNS is traced first) or http[s]://HOST[:PORT]/PATH\n"
	  "  -p, --protocol PROTO     icmp, udp, tcp, http, https or dns (default: tcp to the first\n"
	  "                           TCP port of DST, dns to a Service's port 53/UDP,\n"
	  "                           udp to its other UDP ports, else icmp; a Service's\n"
	  "                           address or name: its first port)\n"
	  "      --port N             destination port (with svc/NS/NAME: the Service port)\n"
	  "      --timeout SEC        how long to wait for the answer (default 2)\n"
	  "      --size BYTES         one DF packet of BYTES (icmp, or udp): where does the\n"
	  "                           path need fragmenting?\n"
	  "      --no-kernel-drops    do not watch the kernel's drops (the diagnosis then asks\n"
	  "                           the kernel's state alone, as where BPF cannot run)\n"
	  "      --pcap FILE          write every captured packet as pcapng, in time order\n"
	  "                           (- : to stdout, the report then to stderr)\n"
	  "      --dot                print the lab as a Graphviz graph with the probe's path on\n"
	  "                           it, its hops numbered (| dot -Tsvg > path.svg)\n"
	  "      --tui                step through the hops in a terminal view\n"
	  "      --arp                flush the source's and its next hop's neighbour entries\n"
	  "                           first: the trace shows the ARP exchange\n"
	  "  -v, --verbose            each hop's MACs and every nftables event\n"
	  "      --netns NAME|PID     no lab: trace from this namespace (under /run/netns,\n"
	  "                           or a process's) through every namespace its veths reach\n" },
	{ "explain", cmd_explain, 0, "teach a layer of the networking model against the lab",
	  "[TOPIC] [--list] [--live] | --tui\n"
	  "  TOPIC is one of: model, basics, container-to-container, pod-to-pod, cross-node,\n"
	  "  pod-to-service, dns, egress, ingress, network-policy, summary (the default)\n"
	  "      --list               list the topics\n"
	  "      --live               run the topic's trace and explain each hop (root, a lab)\n"
	  "      --tui                a walkthrough: topics, the lab as boxes, traces stepped\n"
	  "                           hop by hop, a quiz\n" },
	{ "help", cmd_help, 0, "show help for podpath or a command", "[COMMAND]\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void main_usage(FILE *f)
{
	fprintf(f, "usage: podpath [-j|--json] [-p|--pretty] [--lab NAME] <command> [args]\n\n"
		   "Build Kubernetes-shaped networks from real kernel objects.\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nglobal options:\n"
		   "  -j, --json     one JSON document on stdout (errors too)\n"
		   "  -p, --pretty   indent JSON output\n"
		   "      --lab NAME lab to act on (default \"%s\"); several labs coexist\n"
		   "  -h, --help     this help; podpath help COMMAND or COMMAND --help for one\n"
		   "  -V, --version  print the version\n"
		   "\nexit codes: 0 ok, 1 failed (e.g. packet dropped), 2 bad usage or input,\n"
		   "3 environment (not root, kernel feature or dependency missing)\n",
		LAB_DEFAULT_NAME);
}

int pp_help(const char *name)
{
	const struct command *c = command_find(name);

	if (!c) {
		struct pp_err e;

		pp_err_set(&e, PP_EXIT_USAGE, -EINVAL,
			   "help: unknown command \"%s\" (%s help lists them)", name, pp_self());
		return pp_report(&e);
	}
	if (opts.json)
		return pp_json_out(json_pack("{s:s, s:s, s:s}", "command", c->name, "usage", c->usage,
					     "summary", c->summary));
	printf("usage: podpath %s %s\n%s\n", c->name, c->usage, c->summary);
	return PP_EXIT_OK;
}

/* podpath --help / help with -j: the commands, for scripts and completions. */
static int main_usage_json(void)
{
	json_t *cmds = json_array();

	for (size_t i = 0; i < NCOMMANDS; i++)
		json_array_append_new(cmds, json_pack("{s:s, s:s, s:s}", "name", commands[i].name,
						      "usage", commands[i].usage, "summary",
						      commands[i].summary));
	return pp_json_out(json_pack("{s:s, s:s, s:o, s:{s:i, s:i, s:i, s:i}}", "version",
				     PODPATH_VERSION, "default_lab", LAB_DEFAULT_NAME, "commands", cmds,
				     "exit_codes", "ok", PP_EXIT_OK, "failed", PP_EXIT_FAIL, "usage",
				     PP_EXIT_USAGE, "environment", PP_EXIT_ENV));
}

int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return pp_usage_error("help", "takes at most one command name");
	if (argc == 2)
		return pp_help(argv[1]);
	if (opts.json)
		return main_usage_json();
	main_usage(stdout);
	return PP_EXIT_OK;
}

int pp_json_out(json_t *doc)
{
	size_t flags = opts.pretty ? JSON_INDENT(2) : JSON_COMPACT;
	int ret = PP_EXIT_OK;

	/* Never an empty line where a document was promised: a document
	 * that could not be built says so (a script reading it then fails
	 * loudly, not on a blank). */
	if (!doc)
		fputs("{\"error\":{\"message\":\"the JSON document could not be built\",\"exit\":1}}",
		      stdout);
	if (!doc || json_dumpf(doc, stdout, flags | JSON_PRESERVE_ORDER) < 0)
		ret = PP_EXIT_FAIL;
	putchar('\n');
	json_decref(doc);
	return ret;
}

int pp_report(const struct pp_err *e)
{
	/* Values from arguments and files may hold ESC, BEL, CR, LF: never
	 * raw to a terminal, and never invalid UTF-8 into JSON. */
	char msg[4 * sizeof(e->msg)];

	pp_text_escape(msg, sizeof(msg), e->msg);
	if (opts.json) {
		json_t *doc = json_pack("{s:{s:s, s:i, s:s}}", "error", "message", msg,
					"exit", (int)e->kind, "errno",
					e->code ? strerror(-e->code) : "");

		/* The escaped message is valid UTF-8: only a failed allocation
		 * leaves no document, and an error is never an empty line. */
		if (doc)
			pp_json_out(doc);
		else
			printf("{\"error\":{\"message\":\"out of memory\",\"exit\":%d}}\n",
			       (int)e->kind);
	} else {
		fprintf(stderr, "podpath: %s\n", msg);
	}
	return e->kind ? (int)e->kind : PP_EXIT_FAIL;
}

int pp_usage_error(const char *cmd, const char *fmt, ...)
{
	struct pp_err e = { .kind = PP_EXIT_USAGE, .code = -EINVAL };
	char msg[sizeof(e.msg)], hint[sizeof(e.msg) / 2];
	size_t used;
	va_list ap;

	va_start(ap, fmt);
	pp_err_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* The hint is a command to copy: the message gives way to it, never
	 * the other way round (the invoked path may be long). */
	snprintf(hint, sizeof(hint), " (see: %s%s%s --help)", pp_self(), cmd ? " " : "",
		 cmd ? cmd : "");
	used = strlen(hint) + (cmd ? strlen(cmd) + 2 : 0);
	snprintf(e.msg, sizeof(e.msg), "%s%s%.*s%s", cmd ? cmd : "", cmd ? ": " : "",
		 used < sizeof(e.msg) ? (int)(sizeof(e.msg) - 1 - used) : 0, msg, hint);
	return pp_report(&e);
}

long pp_parse_uint(const char *s, long min, long max)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	return v;
}

static bool wants_help(int argc, char **argv)
{
	/* Only before "--": exec's command may have its own --help. */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

static int run(const struct command *c, int argc, char **argv)
{
	struct pp_err e;

	/* exec's CMD may have a --help of its own: only its first word counts. */
	if (!strcmp(c->name, "exec") ? wants_help(argc > 1 ? 2 : 1, argv) : wants_help(argc, argv))
		return pp_help(c->name);
	if ((c->flags & NEED_ROOT) && geteuid() != 0) {
		pp_err_set(&e, PP_EXIT_ENV, -EPERM,
			   "%s needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for namespaces and netlink)",
			   c->name);
		return pp_report(&e);
	}
	return c->fn(argc, argv);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "lab", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const struct command *c;
	bool help = false, version = false;
	int opt, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+jphV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			opts.json = true;
			break;
		case 'p':
			opts.pretty = true;
			break;
		case 'L':
			opts.lab = optarg;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			version = true;
			break;
		default:
			if (optopt == 'L' || (optind > 0 && !strcmp(argv[optind - 1], "--lab")))
				return pp_usage_error(NULL, "--lab needs a NAME");
			return pp_usage_error(NULL, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	/* After the loop: -j counts wherever it stands. */
	if (help)
		return cmd_help(1, argv);
	if (version) {
		if (opts.json)
			return pp_json_out(json_pack("{s:s}", "version", PODPATH_VERSION));
		printf("podpath %s\n", PODPATH_VERSION);
		return PP_EXIT_OK;
	}
	opts.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (!lab_name_valid(opts.lab))
		return pp_usage_error(NULL, "--lab \"%s\": not a valid lab name (lowercase letters, "
				      "digits and '-', starting and ending with a letter or digit, "
				      "at most %d characters)", opts.lab, LAB_NAME_MAX);
	if (optind >= argc) {
		if (opts.json)
			return pp_usage_error(NULL, "no command given");
		main_usage(stderr);
		return PP_EXIT_USAGE;
	}
	c = command_find(argv[optind]);
	if (!c)
		return pp_usage_error(NULL, "unknown command \"%s\"", argv[optind]);
	ret = run(c, argc - optind, argv + optind);
	/* A full disk or closed pipe must not pass for success. */
	if (fflush(stdout) != 0 && ret == PP_EXIT_OK)
		ret = PP_EXIT_FAIL;
	return ret;
}
