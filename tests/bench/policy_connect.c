/* policy_connect — first-packet latency of fresh TCP connections, for
 * tests/bench/policy.sh. Run inside a pod's network namespace:
 *
 *   policy_connect IP PORT N
 *
 * opens N connections to IP:PORT one after the other and prints, one a
 * line, the microseconds from connect() to the completed handshake: the
 * SYN is each connection's first packet, so it is the packet that meets
 * every NetworkPolicy hook on both nodes, while the SYN-ACK passes as a
 * reply (conntrack). Each connection is then aborted (RST, SO_LINGER 0),
 * which leaves no TIME_WAIT behind to exhaust the ports of a long run.
 * A connection that does not complete within 3 s prints "timeout".
 * Exit 1 on any error or timeout. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* One connection: its handshake time in us, -1 on timeout, -2 on error. */
static double one(const struct sockaddr_in *dst)
{
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0, saved;
	socklen_t elen = sizeof(err);
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	double t0, us = -2;

	if (fd < 0)
		return -2;
	t0 = now_us();
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0 && errno != EINPROGRESS)
		goto out;
	switch (poll(&p, 1, 3000)) {
	case 0:
		us = -1;
		goto out;
	case 1:
		break;
	default:
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		goto out;
	if (err) {
		errno = err;
		goto out;
	}
	us = now_us() - t0;
out:
	saved = errno;		/* what failed, for the caller's message */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	close(fd);
	errno = saved;
	return us;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int n, ret = 0;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1 ||
	    atoi(argv[2]) < 1 || atoi(argv[2]) > 65535 || (n = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: policy_connect IP PORT N\n");
		return 2;
	}
	dst.sin_port = htons((uint16_t)atoi(argv[2]));
	for (int i = 0; i < n; i++) {
		double us = one(&dst);

		if (us == -2) {
			fprintf(stderr, "policy_connect: %s:%s: %s\n", argv[1], argv[2], strerror(errno));
			return 1;
		}
		if (us < 0) {
			printf("timeout\n");
			ret = 1;
			continue;
		}
		printf("%.1f\n", us);
	}
	if (fflush(stdout) == EOF)
		return 1;
	return ret;
}
