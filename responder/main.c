/* podpath-responder — the process of one container. setup starts it inside
 * the pod's network namespace with the container's listening sockets as fds
 * 3, 4, ...; it answers every request with who it is and whom it saw (see
 * lib/lab/responder.h). A program of its own, linked with libc alone, so
 * that starting thousands of containers costs little. */
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lab/responder.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static int usage(const char *what, const char *value)
{
	fprintf(stderr, "podpath-responder: %s \"%s\" (usage: podpath-responder --lab LAB "
		"{--pod NS/NAME --container NAME --node NAME | --host NAME} [--user UID:GID] "
		"[--listen FD:PROTO:PORT]...)\n",
		what, value);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "lab", required_argument, NULL, 'L' },
		{ "pod", required_argument, NULL, 'p' },
		{ "container", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "host", required_argument, NULL, 'h' },
		{ "listen", required_argument, NULL, 'l' },
		{ "user", required_argument, NULL, 'u' },
		{ 0 },
	};
	struct responder_cfg cfg = { .pod = "", .container = "", .node = "", .host = "" };
	struct sigaction sa = { .sa_handler = on_term };
	unsigned uid, gid;
	bool drop = false;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char proto[8];
		int fd;
		unsigned port;

		switch (opt) {
		case 'L':
			break;	/* only for ps and pgrep: which lab this belongs to */
		case 'p':
			cfg.pod = optarg;
			break;
		case 'c':
			cfg.container = optarg;
			break;
		case 'n':
			cfg.node = optarg;
			break;
		case 'h':
			cfg.host = optarg;	/* an internet host: it is its own container */
			cfg.container = optarg;
			break;
		case 'u':
			if (sscanf(optarg, "%u:%u", &uid, &gid) != 2)
				return usage("--user: expected UID:GID, got", optarg);
			drop = true;
			break;
		case 'l':
			if (cfg.nports == RESPONDER_MAX_PORTS ||
			    sscanf(optarg, "%d:%7[A-Z]:%u", &fd, proto, &port) != 3 || fd < 3)
				return usage("--listen: expected FD:PROTO:PORT, got", optarg);
			cfg.ports[cfg.nports].fd = fd;
			cfg.ports[cfg.nports].udp = !strcmp(proto, "UDP");
			cfg.nports++;
			break;
		default:
			return usage("unknown option", argv[optind - 1]);
		}
	}
	/* Its sockets came bound: from here on it needs no privilege at all. */
	if (drop && (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0 ||
		     prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)) {
		perror("podpath-responder: cannot drop privileges");
		return 1;
	}
	/* The process shows as its container, as in `ps` on a real node. */
	prctl(PR_SET_NAME, cfg.container, 0, 0, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return responder_run(&cfg, &stop) < 0 ? 1 : 0;
}
