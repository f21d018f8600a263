/* responder — podpath's container process: a tiny HTTP/TCP/UDP server that
 * answers every request with who it is (pod, container, node) and the client
 * address it saw, so tests and traces can see NAT from the far end. */
#ifndef PODPATH_RESPONDER_H
#define PODPATH_RESPONDER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define RESPONDER_MAX_PORTS 32

struct responder_port {
	int fd;			/* bound socket: listening TCP or UDP */
	int udp;		/* 1 for UDP */
};

struct responder_cfg {
	const char *pod;	/* "ns/name" */
	const char *container;
	const char *node;
	const char *host;	/* an internet host's name instead of pod/container/node */
	struct responder_port ports[RESPONDER_MAX_PORTS];
	size_t nports;
};

/* Serve until *stop becomes non-zero (a signal handler sets it). With no
 * ports it just waits, like a pause container. 0, or -errno on a fatal error. */
int responder_run(const struct responder_cfg *cfg, volatile sig_atomic_t *stop);
/* Format the identity line for a client/server pair into buf. */
int responder_identity(const struct responder_cfg *cfg, const char *proto,
		       const char *server, const char *client, char *buf, size_t len);

#endif
