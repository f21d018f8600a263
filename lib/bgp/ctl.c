/* ctl — BIRD 2's control socket: connect, send one command line, and frame
 * the reply exactly as birdc does.
 *
 * A reply is a run of lines: "NNNN-text" (more follows), " text" (a
 * continuation of the previous line's code) and one "NNNN text", the last
 * line (0xxx success, 8xxx runtime error, 9xxx syntax error). Every wait is
 * bounded (poll, and a connect that is retried, not waited on), so a hung
 * BIRD never hangs podpath. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bgp/bgp.h"

/* BIRD's own lines are < 1 KiB (its CLI line buffer); anything far longer
 * is not BIRD talking, and must not make us allocate without bound. */
#define BGP_LINE_MAX (64 * 1024)

struct bgp_ctl {
	int fd;
	int timeout_ms;
};

void bgp_reply_free(struct bgp_reply *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		free(r->lines[i].text);
	free(r->lines);
	free(r->part);
	memset(r, 0, sizeof(*r));
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Append one complete line (without its newline) to r. */
static int reply_add_line(struct bgp_reply *r, const char *s, size_t len)
{
	const char *text;
	size_t tlen;
	bool last = false;
	int code;

	if (len >= 1 && s[0] == ' ') {
		/* A continuation: same code as the line before it. */
		if (r->n == 0)
			return -EPROTO;
		code = r->lines[r->n - 1].code;
		text = s + 1;
		tlen = len - 1;
	} else {
		if (len < 5 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) ||
		    !is_digit(s[3]) || (s[4] != '-' && s[4] != ' '))
			return -EPROTO;
		code = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		last = s[4] == ' ';
		text = s + 5;
		tlen = len - 5;
	}
	if (memchr(text, '\0', tlen))
		return -EPROTO;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct bgp_line *l = realloc(r->lines, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		r->lines = l;
		r->cap = cap;
	}
	r->lines[r->n].text = strndup(text, tlen);
	if (!r->lines[r->n].text)
		return -ENOMEM;
	r->lines[r->n].code = code;
	r->n++;
	r->code = code;
	r->done = last;
	return 0;
}

/* Keep the start of a line whose newline has not arrived yet. */
static int reply_keep_part(struct bgp_reply *r, const char *s, size_t len)
{
	if (r->part_len + len > BGP_LINE_MAX)
		return -EPROTO;
	if (r->part_len + len > r->part_cap) {
		size_t cap = r->part_cap ? r->part_cap : 256;
		char *p;

		while (cap < r->part_len + len)
			cap *= 2;
		p = realloc(r->part, cap);
		if (!p)
			return -ENOMEM;
		r->part = p;
		r->part_cap = cap;
	}
	memcpy(r->part + r->part_len, s, len);
	r->part_len += len;
	return 0;
}

int bgp_reply_feed(struct bgp_reply *r, const char *data, size_t len)
{
	int ret;

	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;

		/* BIRD sends nothing after a reply's last line until it is
		 * asked again: more bytes are not its protocol. */
		if (r->done)
			return -EPROTO;
		if (!nl)
			return reply_keep_part(r, data, take);
		if (r->part_len) {
			ret = reply_keep_part(r, data, take);
			if (ret < 0)
				return ret;
			ret = reply_add_line(r, r->part, r->part_len);
			r->part_len = 0;
		} else {
			if (take > BGP_LINE_MAX)
				return -EPROTO;
			ret = reply_add_line(r, data, take);
		}
		if (ret < 0)
			return ret;
		data += take + 1;
		len -= take + 1;
	}
	return r->done ? 1 : 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for `events` until the deadline: 0, -ETIMEDOUT
 * or -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int ret;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		ret = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (ret > 0)
			return 0;
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

/* Read one whole reply into a zeroed r, within timeout_ms. */
static int ctl_read_reply(struct bgp_ctl *c, struct bgp_reply *r)
{
	long long deadline = now_ms() + c->timeout_ms;
	char buf[4096];
	ssize_t got;
	int ret;

	for (;;) {
		ret = wait_fd(c->fd, POLLIN, deadline);
		if (ret < 0)
			return ret;
		got = recv(c->fd, buf, sizeof(buf), 0);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (got == 0)
			return -ECONNRESET;	/* BIRD went away mid-reply */
		ret = bgp_reply_feed(r, buf, (size_t)got);
		if (ret != 0)
			return ret < 0 ? ret : 0;
	}
}

int bgp_ctl_open(const char *path, int timeout_ms, struct bgp_ctl **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct bgp_reply greeting = { 0 };
	struct bgp_ctl *c;
	int ret;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		ret = -errno;
		free(c);
		return ret;
	}
	/* A local stream connect fails at once without a listener: ENOENT
	 * (no file), ECONNREFUSED (a file nobody listens on). A listener that
	 * stopped accepting (a hung BIRD) fills its backlog, and a blocking
	 * connect would then wait for ever: non-blocking, it says EAGAIN,
	 * which is retried until the deadline, then it is a time-out. */
	{
		long long deadline = now_ms() + c->timeout_ms;

		while (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			ret = -errno;
			if (ret == -EINTR)
				continue;
			if (ret != -EAGAIN)
				goto err;
			if (now_ms() >= deadline) {
				ret = -ETIMEDOUT;
				goto err;
			}
			usleep(5000);
		}
	}
	/* The greeting, "0001 BIRD 2.0.12 ready.", is a one-line reply. */
	ret = ctl_read_reply(c, &greeting);
	if (ret == 0 && greeting.code != 1)
		ret = -EPROTO;
	bgp_reply_free(&greeting);
	if (ret < 0)
		goto err;
	*out = c;
	return 0;
err:
	close(c->fd);
	free(c);
	return ret;
}

void bgp_ctl_close(struct bgp_ctl *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

/* Send the command line and its newline, within the deadline. */
static int ctl_send(struct bgp_ctl *c, const char *cmd)
{
	long long deadline = now_ms() + c->timeout_ms;
	size_t len = strlen(cmd), off = 0;
	char *line;
	ssize_t put;
	int ret = 0;

	line = malloc(len + 1);
	if (!line)
		return -ENOMEM;
	memcpy(line, cmd, len);
	line[len++] = '\n';
	while (off < len) {
		ret = wait_fd(c->fd, POLLOUT, deadline);
		if (ret < 0)
			break;
		put = send(c->fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (put < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ret = -errno;
			break;
		}
		off += (size_t)put;
	}
	free(line);
	return ret;
}

int bgp_ctl_cmd(struct bgp_ctl *c, const char *cmd, struct bgp_reply *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	/* One command is one line: a newline inside would be a second one,
	 * whose reply nobody reads. */
	if (strchr(cmd, '\n'))
		return -EINVAL;
	ret = ctl_send(c, cmd);
	if (ret == 0)
		ret = ctl_read_reply(c, r);
	if (ret < 0)
		bgp_reply_free(r);
	return ret;
}

int bgp_ctl_configure(struct bgp_ctl *c, char *msg, size_t len)
{
	struct bgp_reply r;
	int ret;

	if (msg && len)
		msg[0] = '\0';
	ret = bgp_ctl_cmd(c, "configure", &r);
	if (ret < 0)
		return ret;
	/* 0002-Reading configuration from F, then 0003 Reconfigured, 0004
	 * Reconfiguration in progress, 0019 Nothing to do..., or 8002 with
	 * the parse error ("F:21:10 syntax error, ..."). */
	if (r.code >= 1000) {
		if (msg && len)
			snprintf(msg, len, "%s", r.lines[r.n - 1].text);
		ret = -EINVAL;
	}
	bgp_reply_free(&r);
	return ret;
}

int bgp_ctl_down(struct bgp_ctl *c)
{
	long long deadline;
	struct bgp_reply r;
	char buf[256];
	ssize_t got;
	int ret;

	ret = bgp_ctl_cmd(c, "down", &r);
	if (ret < 0)
		return ret;
	/* "0007 Shutdown requested" */
	ret = r.code >= 1000 ? -EINVAL : 0;
	bgp_reply_free(&r);
	if (ret < 0)
		return ret;
	/* BIRD stops its protocols (each session sends its Cease), then
	 * exits, and only its exit closes this connection: wait for that. */
	deadline = now_ms() + c->timeout_ms;
	for (;;) {
		ret = wait_fd(c->fd, POLLIN, deadline);
		if (ret < 0)
			return ret;
		got = recv(c->fd, buf, sizeof(buf), 0);
		if (got == 0)
			return 0;
		if (got < 0 && errno != EINTR && errno != EAGAIN)
			return errno == ECONNRESET ? 0 : -errno;
	}
}
