/* drops_watch — arm lib/trace/observe/drops by hand: print what arming
 * cost, then every drop event until a timeout (or a count of events).
 *
 *   drops_watch [-n NETNS]... [-k PROTO:PORT | -k PROTO:ADDR:PORT]... [-t SEC] [-c COUNT]
 *   drops_watch -b RUNS          arm and disarm RUNS times: open/load/attach
 *                                percentiles; and what drops.c avoids: libbpf
 *                                parsing all of vmlinux BTF (CO-RE's default),
 *                                reading all of /proc/kallsyms
 *
 * NETNS is a name under /run/netns; PROTO udp, tcp or icmp. Not part of
 * the product: a tool for benchmarks and for finding out which reason the
 * kernel gives for a fault. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "trace/observe/drops.h"

#define MAX_NS 64
#define MAX_KEYS 64

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int proto_parse(const char *s, uint8_t *p)
{
	if (!strcmp(s, "udp"))
		*p = IPPROTO_UDP;
	else if (!strcmp(s, "tcp"))
		*p = IPPROTO_TCP;
	else if (!strcmp(s, "icmp"))
		*p = IPPROTO_ICMP;
	else
		return -1;
	return 0;
}

/* PROTO:PORT or PROTO:ADDR:PORT */
static int key_parse(char *s, struct drop_key *k)
{
	char *a = strchr(s, ':'), *b;
	struct in_addr in;

	if (!a)
		return -1;
	*a++ = '\0';
	memset(k, 0, sizeof(*k));
	if (proto_parse(s, &k->proto))
		return -1;
	b = strchr(a, ':');
	if (b) {
		*b++ = '\0';
		if (inet_pton(AF_INET, a, &in) != 1)
			return -1;
		k->addr = ntohl(in.s_addr);
		a = b;
	}
	k->port = (uint16_t)atoi(a);
	return 0;
}

static const char *ip(uint32_t a, char *buf)
{
	struct in_addr in = { .s_addr = htonl(a) };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static void event_print(const struct drop_event *ev)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN], es[INET_ADDRSTRLEN], ed[INET_ADDRSTRLEN];

	printf("%.6f netns=%" PRIu64 " if=%s(%d) reason=%s(%u) func=%s%s%s%s loc=%#" PRIx64 " proto=%u %s:%u > %s:%u "
	       "ttl=%u len=%u tcp_flags=0x%02x icmp=%u/%u",
	       ev->ts_ns / 1e9, ev->netns_ino, ev->ifname, ev->ifindex, ev->reason_name, ev->reason,
	       ev->func, *ev->module ? "[" : "", ev->module, *ev->module ? "]" : "", ev->location, ev->proto,
	       ip(ev->saddr, s), ev->sport, ip(ev->daddr, d), ev->dport, ev->ttl, ev->ip_len,
	       ev->tcp_flags, ev->icmp_type, ev->icmp_code);
	if (ev->icmp_err)
		printf(" quoting proto=%u %s:%u > %s:%u", ev->err_proto, ip(ev->err_saddr, es),
		       ev->err_sport, ip(ev->err_daddr, ed), ev->err_dport);
	putchar('\n');
	fflush(stdout);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, int p)
{
	return v[(n - 1) * p / 100];
}

static int bench(int runs)
{
	double *tot = calloc((size_t)runs, sizeof(double)), *load = calloc((size_t)runs, sizeof(double));
	double *att = calloc((size_t)runs, sizeof(double)), *opn = calloc((size_t)runs, sizeof(double));
	double *cls = calloc((size_t)runs, sizeof(double)), *btf = calloc((size_t)runs, sizeof(double));
	struct drop_key k = { .proto = IPPROTO_UDP, .port = 9 };
	uint64_t ino = 1;
	struct pp_err e;
	char name[64];
	double t0;
	int ret = 1;

	if (!tot || !load || !att || !opn || !cls || !btf)
		goto out;
	for (int i = 0; i < runs; i++) {
		struct drops *d;
		struct drops_times t;

		t0 = now_ms();
		if (drops_open(&d, &ino, 1, &k, 1, &e) < 0) {
			fprintf(stderr, "drops_watch: %s\n", e.msg);
			goto out;
		}
		tot[i] = now_ms() - t0;
		drops_timing(d, &t);
		btf[i] = t.btf_us / 1e3;
		opn[i] = t.open_us / 1e3;
		load[i] = t.load_us / 1e3;
		att[i] = t.attach_us / 1e3;
		t0 = now_ms();
		drops_close(d);
		cls[i] = now_ms() - t0;
	}
	qsort(tot, (size_t)runs, sizeof(double), cmp_dbl);
	qsort(opn, (size_t)runs, sizeof(double), cmp_dbl);
	qsort(load, (size_t)runs, sizeof(double), cmp_dbl);
	qsort(att, (size_t)runs, sizeof(double), cmp_dbl);
	qsort(cls, (size_t)runs, sizeof(double), cmp_dbl);
	qsort(btf, (size_t)runs, sizeof(double), cmp_dbl);
	printf("drops_open x%d (ms, p50/p90/max): total %.2f/%.2f/%.2f  btf %.2f/%.2f/%.2f  open %.2f/%.2f/%.2f  "
	       "load %.2f/%.2f/%.2f  attach %.2f/%.2f/%.2f  close %.2f/%.2f/%.2f\n", runs,
	       pct(tot, runs, 50), pct(tot, runs, 90), tot[runs - 1],
	       pct(btf, runs, 50), pct(btf, runs, 90), btf[runs - 1],
	       pct(opn, runs, 50), pct(opn, runs, 90), opn[runs - 1],
	       pct(load, runs, 50), pct(load, runs, 90), load[runs - 1],
	       pct(att, runs, 50), pct(att, runs, 90), att[runs - 1],
	       pct(cls, runs, 50), pct(cls, runs, 90), cls[runs - 1]);
	t0 = now_ms();
	if (drops_reason_name(2, name, sizeof(name)) < 0)
		goto out;
	printf("drops_reason_name alone (maps and indexes the BTF again): %.2f ms (2 = %s)\n",
	       now_ms() - t0, name);
	/* Baselines: what arming would cost the usual way. */
	for (int i = 0; i < 3; i++) {
		struct btf *b;

		t0 = now_ms();
		b = btf__load_vmlinux_btf();
		printf("baseline: libbpf parses vmlinux BTF (CO-RE without kbtf): %.2f ms\n",
		       now_ms() - t0);
		btf__free(b);
	}
	for (int i = 0; i < 3; i++) {
		FILE *f = fopen("/proc/kallsyms", "r");
		char line[512];
		size_t n = 0;

		t0 = now_ms();
		while (f && fgets(line, sizeof(line), f))
			n++;
		printf("baseline: read all of /proc/kallsyms (%zu symbols): %.2f ms\n", n,
		       now_ms() - t0);
		if (f)
			fclose(f);
	}
	ret = 0;
out:
	free(tot);
	free(load);
	free(att);
	free(opn);
	free(cls);
	free(btf);
	return ret;
}

int main(int argc, char **argv)
{
	uint64_t ns[MAX_NS];
	struct drop_key keys[MAX_KEYS];
	struct drop_event ev[16];
	size_t nns = 0, nkeys = 0;
	struct drops_times t;
	struct drops *d;
	struct pp_err e;
	struct stat st;
	double timeout = 10, end;
	long count = -1, seen = 0;
	int opt;

	while ((opt = getopt(argc, argv, "n:k:t:c:b:")) != -1) {
		char path[256];

		switch (opt) {
		case 'n':
			snprintf(path, sizeof(path), "/run/netns/%s", optarg);
			if (nns == MAX_NS || stat(path, &st)) {
				fprintf(stderr, "drops_watch: %s: %m\n", path);
				return 2;
			}
			ns[nns++] = st.st_ino;
			break;
		case 'k':
			if (nkeys == MAX_KEYS || key_parse(optarg, &keys[nkeys])) {
				fprintf(stderr, "drops_watch: bad key\n");
				return 2;
			}
			nkeys++;
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'c':
			count = atol(optarg);
			break;
		case 'b':
			return bench(atoi(optarg) > 0 ? atoi(optarg) : 1);
		default:
			return 2;
		}
	}
	if (drops_open(&d, ns, nns, keys, nkeys, &e) < 0) {
		fprintf(stderr, "drops_watch: %s\n", e.msg);
		return e.kind;
	}
	drops_timing(d, &t);
	printf("armed in %.2f ms (btf %.2f, open %.2f, load %.2f, attach %.2f)\n", t.total_us / 1e3,
	       t.btf_us / 1e3, t.open_us / 1e3, t.load_us / 1e3, t.attach_us / 1e3);
	fflush(stdout);
	end = now_ms() + timeout * 1000;
	while (count < 0 || seen < count) {
		struct pollfd p = { .fd = drops_fd(d), .events = POLLIN };
		double left = end - now_ms();
		int n;

		if (left <= 0 || poll(&p, 1, (int)left + 1) < 0)
			break;
		while ((n = drops_read(d, ev, 16)) > 0) {
			for (int i = 0; i < n; i++)
				event_print(&ev[i]);
			seen += n;
			if (n < 16)
				break;
		}
	}
	printf("lost %zu\n", drops_lost(d));
	drops_close(d);
	return 0;
}
