/* nftrace_try — exercise lib/trace/nftrace by hand (needs root).
 *
 * Arms nftables tracing in two existing namespaces, sends one TCP SYN and
 * one ICMP echo from SRC_NS to DST_IP (a socket made inside SRC_NS), and
 * prints every trace event read back. -w SECONDS holds each trace armed so
 * `ip netns exec NS nft list ruleset` can be checked from another shell.
 *
 *   cc -std=gnu11 -D_GNU_SOURCE -Ilib -o /tmp/nftrace_try tests/manual/nftrace_try.c \
 *	lib/trace/nftrace.c lib/trace/probe.c lib/netns/netns.c lib/err.c \
 *	$(pkg-config --cflags --libs libmnl libnftnl)
 *   /tmp/nftrace_try [-w SECONDS] SRC_NS DST_NS SRC_IP DST_IP TCP_PORT
 *
 * Exit status: 0 if both probes produced events, 1 if one did not, 2 on
 * bad usage or setup failure. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>

#include "err.h"
#include "netns/netns.h"
#include "trace/nftrace.h"
#include "trace/probe.h"

#define MAX_EVENTS 256

static const char *hook_name(uint32_t hook)
{
	static const char *const names[] = { "prerouting", "input", "forward", "output",
					     "postrouting" };

	return hook < sizeof(names) / sizeof(names[0]) ? names[hook] : "?";
}

static const char *kind_name(enum nftrace_kind k)
{
	switch (k) {
	case NFTRACE_RULE:	return "rule";
	case NFTRACE_RETURN:	return "return";
	case NFTRACE_POLICY:	return "policy";
	default:		return "other";
	}
}

static const char *verdict_name(int v)
{
	switch (v) {
	case NF_DROP:		return "drop";
	case NF_ACCEPT:		return "accept";
	case NFT_CONTINUE:	return "continue";
	case NFT_JUMP:		return "jump";
	case NFT_GOTO:		return "goto";
	case NFT_RETURN:	return "return";
	default:		return "?";
	}
}

static void event_print(const char *ns, const struct nftrace_event *ev)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	uint32_t sa = htonl(ev->saddr), da = htonl(ev->daddr);

	printf("  %-10s id %08x %-11s family %u table %s chain %s: %s %s%s%s",
	       ns, ev->id, hook_name(ev->hook), ev->family, ev->table, ev->chain,
	       kind_name(ev->kind), verdict_name(ev->verdict),
	       ev->jump_target[0] ? " " : "", ev->jump_target);
	if (ev->rule[0])
		printf(" [%s]", ev->rule);
	if (ev->comment[0])
		printf(" comment \"%s\"", ev->comment);
	if (ev->iif[0] || ev->oif[0])
		printf(" iif %s oif %s", ev->iif[0] ? ev->iif : "-", ev->oif[0] ? ev->oif : "-");
	if (ev->proto)
		printf(" | %s:%u > %s:%u proto %u mark %#x",
		       inet_ntop(AF_INET, &sa, s, sizeof(s)), ev->sport,
		       inet_ntop(AF_INET, &da, d, sizeof(d)), ev->dport, ev->proto, ev->mark);
	printf("\n");
}

/* Arm both namespaces, send, print events until 300 ms pass quietly.
 * Returns how many events were seen, or -1. */
static int try_one(char *const ns[2], const struct nftrace_match *tmpl, unsigned hold)
{
	struct nftrace *t[2] = { NULL, NULL };
	struct nftrace_match m = *tmpl;
	struct pollfd pfd[2];
	struct nftrace_event *ev = calloc(MAX_EVENTS, sizeof(*ev));
	struct probe p = { .proto = m.proto == IPPROTO_ICMP ? PROBE_ICMP : PROBE_TCP,
			   .daddr = m.daddr, .dport = m.dport, .fd = -1 };
	struct probe_result res;
	struct pp_err e = { 0 };
	char tag[32];
	int total = -1;

	/* podpath's own probe: the socket is made in ns[0] and its source
	 * port (or echo id) is known before anything is sent. */
	if (!ev || probe_prepare(&p, ns[0], &e) < 0) {
		fprintf(stderr, "nftrace_try: cannot prepare the probe in %s: %s\n", ns[0],
			ev ? e.msg : "out of memory");
		goto out;
	}
	m.sport = p.sport;
	snprintf(tag, sizeof(tag), "try%d", (int)getpid());
	for (int i = 0; i < 2; i++) {
		if (nftrace_arm(ns[i], tag, &m, &t[i], &e) < 0) {
			fprintf(stderr, "nftrace_try: %s (exit kind %d)\n", e.msg, e.kind);
			goto out;
		}
		pfd[i] = (struct pollfd){ .fd = nftrace_fd(t[i]), .events = POLLIN };
	}
	printf("%s probe, source port/echo id %u, armed as podpath-trace-%s\n",
	       m.proto == IPPROTO_ICMP ? "ICMP" : "TCP", m.sport, tag);
	fflush(stdout);
	if (hold)
		sleep(hold);
	probe_run(&p, 300, &res);
	printf("  probe: %s %s\n", probe_outcome_name(res.outcome), res.answer);
	total = 0;
	while (poll(pfd, 2, 300) > 0) {
		for (int i = 0; i < 2; i++) {
			int n = nftrace_read(t[i], ev, MAX_EVENTS);

			if (n < 0)
				fprintf(stderr, "nftrace_try: read in %s: %s\n", ns[i], strerror(-n));
			for (int k = 0; k < n; k++)
				event_print(ns[i], &ev[k]);
			total += n > 0 ? n : 0;
		}
	}
	printf("  %d events\n", total);
out:
	for (int i = 0; i < 2; i++)
		nftrace_disarm(t[i]);
	probe_close(&p);
	free(ev);
	return total;
}

int main(int argc, char **argv)
{
	struct nftrace_match m = { 0 };
	struct in_addr src, dst;
	unsigned hold = 0;
	int opt, ret = 0;

	while ((opt = getopt(argc, argv, "w:")) != -1) {
		if (opt != 'w')
			goto usage;
		hold = (unsigned)atoi(optarg);
	}
	if (argc - optind != 5 || inet_pton(AF_INET, argv[optind + 2], &src) != 1 ||
	    inet_pton(AF_INET, argv[optind + 3], &dst) != 1)
		goto usage;
	for (int i = 0; i < 2; i++) {
		ret = nftrace_sweep(argv[optind + i]);
		if (ret < 0) {
			fprintf(stderr, "nftrace_try: sweep %s: %s\n", argv[optind + i],
				strerror(-ret));
			return 2;
		}
	}
	m.saddr = ntohl(src.s_addr);
	m.daddr = ntohl(dst.s_addr);
	m.dport = (uint16_t)atoi(argv[optind + 4]);
	m.proto = IPPROTO_TCP;
	ret = try_one(&argv[optind], &m, hold);
	if (ret < 0)
		return 2;
	m.proto = IPPROTO_ICMP;
	m.dport = 0;
	opt = try_one(&argv[optind], &m, hold);
	if (opt < 0)
		return 2;
	return ret > 0 && opt > 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: nftrace_try [-w SECONDS] SRC_NS DST_NS SRC_IP DST_IP TCP_PORT\n");
	return 2;
}
