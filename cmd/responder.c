/* podpath __responder — the process of one container (internal; started by
 * setup inside the pod, with its listening sockets as fds 3, 4, ...). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "cmd.h"
#include "lab/responder.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

int cmd_responder(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pod", required_argument, NULL, 'p' },
		{ "container", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ 0 },
	};
	struct responder_cfg cfg = { .pod = "", .container = "", .node = "" };
	struct sigaction sa = { .sa_handler = on_term };
	int opt;

	opterr = 0;
	optind = 0;	/* 0, not 1: glibc re-reads the optstring (main's is "+...") */
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char proto[8];
		int fd;
		unsigned port;

		switch (opt) {
		case 'p':
			cfg.pod = optarg;
			break;
		case 'c':
			cfg.container = optarg;
			break;
		case 'n':
			cfg.node = optarg;
			break;
		case 'l':
			if (cfg.nports == RESPONDER_MAX_PORTS ||
			    sscanf(optarg, "%d:%7[A-Z]:%u", &fd, proto, &port) != 3 || fd < 3)
				return pp_usage_error("__responder", "--listen \"%s\": expected FD:PROTO:PORT",
						      optarg);
			cfg.ports[cfg.nports].fd = fd;
			cfg.ports[cfg.nports].udp = !strcmp(proto, "UDP");
			cfg.nports++;
			break;
		default:
			return pp_usage_error("__responder", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	/* The process shows as its container, as in `ps` on a real node. */
	prctl(PR_SET_NAME, cfg.container, 0, 0, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return responder_run(&cfg, &stop) < 0 ? 1 : 0;
}
