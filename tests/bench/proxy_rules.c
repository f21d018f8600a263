/* proxy_rules — kube-proxy rules for K synthetic Services (two endpoints
 * each), for tests/bench/proxy.sh. Everything happens in a network namespace
 * of its own (a fresh one, or NETNS from /run/netns), never the host's.
 *
 *   proxy_rules install MODE K [NETNS]   build + commit; then change one
 *                                        Service; print the timings
 *   proxy_rules latency MODE K CONNS     install, then time CONNS TCP
 *                                        connects to the last Service
 *   proxy_rules ipt-restore K            the same rules as iptables-restore
 *                                        input (the baseline's input)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "netns/netns.h"
#include "nft/nft.h"
#include "nl/nl.h"
#include "proxy/names.h"
#include "proxy/proxy.h"
#include "topo/topo.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int die(const char *what, int err)
{
	fprintf(stderr, "proxy_rules: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* K Services over 2K pods, 200 pods a node. */
static void model(struct topo *t, unsigned k, enum topo_proxy_mode mode)
{
	unsigned pods = 2 * k, nodes = (pods + 199) / 200, ppn = (pods + nodes - 1) / nodes;
	struct topo_error te;

	if (topo_from_synth(t, nodes, ppn, TOPO_MODE_ROUTED, &te) ||
	    topo_synth_services(t, k, &te) || topo_resolve(t, &te)) {
		fprintf(stderr, "proxy_rules: model: %s %s %s\n", te.path, te.value, te.msg);
		exit(1);
	}
	t->net.proxy_mode = mode;
}

static void enter_netns(const char *name)
{
	int ret, fd;

	if (!name) {
		if (unshare(CLONE_NEWNET) < 0)
			die("unshare", errno);
	} else {
		fd = netns_open(name);
		if (fd < 0)
			die(name, fd);
		ret = netns_enter(fd);
		close(fd);
		if (ret < 0)
			die(name, ret);
	}
}

static void commit(struct nft_batch *b, const char *what)
{
	struct nft_err ne;

	if (nft_batch_commit(b, &ne) < 0) {
		fprintf(stderr, "proxy_rules: %s: %s: %s (%s) tag %ld\n", what, ne.what,
			strerror(-ne.code), ne.ext, ne.tag);
		exit(1);
	}
}

static void install(struct topo *t, size_t part)
{
	struct nft_err ne;
	double t0 = now_ms();

	if (proxy_install(t, 0, part, &ne) < 0) {
		fprintf(stderr, "proxy_rules: install: %s: %s (%s) tag %ld\n", ne.what,
			strerror(-ne.code), ne.ext, ne.tag);
		exit(1);
	}
	printf("install: %zu Services in parts of %zu: %.1f ms\n", t->nservices,
	       part ? part : (size_t)PROXY_PART, now_ms() - t0);
}

/* Change the Service in the middle: it loses its second endpoint, or gets
 * it back (each call flips it; the model follows what is installed). */
static void change_one(struct topo *t)
{
	size_t svc = t->nservices / 2;
	struct topo_service *s = &t->services[svc];
	struct nft_batch *b = nft_batch_new();
	double t0, t1;

	t0 = now_ms();
	if (!b || proxy_service_del(b, t, 0, svc) < 0)
		die("change", ENOMEM);
	s->nendpoints = s->nendpoints == 2 ? 1 : 2;
	if (proxy_service_add(b, t, 0, svc) < 0)
		die("change", ENOMEM);
	commit(b, "change");
	t1 = now_ms();
	printf("change one Service: %zu messages, %.2f ms\n", nft_batch_count(b), t1 - t0);
	nft_batch_free(b);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Connects from this namespace to the last Service's ClusterIP: the first
 * packet of each goes through nat output, i.e. through the Service rules;
 * the endpoints are addresses of lo with a listener. */
static void latency(struct topo *t, int conns)
{
	const struct topo_service *s = &t->services[t->nservices - 1];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(80),
				   .sin_addr.s_addr = htonl(s->cluster_ip) };
	struct nl *nl = nl_open();
	struct nl_link lo = { .index = 1, .up = true, .netns_fd = -1 };
	struct nl_err ne;
	double *ms = calloc((size_t)conns, sizeof(*ms));
	int one = 1, lfd;

	if (!nl || !ms || nl_link_set(nl, &lo) < 0 ||
	    nl_route_add(nl, t->net.service_cidr.addr, t->net.service_cidr.len, 0, 1, 0,
			 RT_SCOPE_LINK) < 0)
		die("netlink", ENOMEM);
	for (size_t e = 0; e < s->nendpoints; e++)
		if (nl_addr_add(nl, 1, t->pods[s->endpoints[e].pod].ip, 32) < 0)
			die("netlink", ENOMEM);
	if (nl_commit(nl, &ne) < 0)
		die(ne.what, ne.code);
	nl_close(nl);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(lfd, 4096) < 0)
		die("listen", errno);
	for (int i = 0; i < conns; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), afd;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		double t0 = now_ms();

		if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS)
			die("connect", errno);
		if (poll(&p, 1, 2000) != 1)
			die("connect timed out", ETIMEDOUT);
		ms[i] = now_ms() - t0;
		afd = accept(lfd, NULL, NULL);
		if (afd >= 0)
			close(afd);
		close(fd);
	}
	qsort(ms, (size_t)conns, sizeof(*ms), cmp_double);
	printf("connect: p50 %.1f us p99 %.1f us (%d connections)\n",
	       ms[conns / 2] * 1e3, ms[(conns * 99) / 100] * 1e3, conns);
	close(lfd);
	free(ms);
}

/* What kube-proxy's iptables proxier would restore for the same Services. */
static void ipt_restore(struct topo *t)
{
	char svc[PROXY_NAME_MAX], sep[PROXY_NAME_MAX], a[16], b[16];

	printf("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n"
	       ":KUBE-POSTROUTING - [0:0]\n:KUBE-NODEPORTS - [0:0]\n");
	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *s = &t->services[i];
		struct proxy_svc_port id = { s->ns, s->name, s->ports[0].name, "tcp" };

		proxy_ipt_service_chain(svc, sizeof(svc), "KUBE-SVC", &id);
		printf(":%s - [0:0]\n", svc);
		for (size_t e = 0; e < s->nendpoints; e++) {
			proxy_ipt_endpoint_chain(sep, sizeof(sep), &id, t->pods[s->endpoints[e].pod].ip,
						 s->endpoints[e].port[0]);
			printf(":%s - [0:0]\n", sep);
		}
	}
	printf("-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n"
	       "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n"
	       "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000\n"
	       "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring "
	       "SNAT\" -j MASQUERADE --random-fully\n");
	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *s = &t->services[i];
		struct proxy_svc_port id = { s->ns, s->name, s->ports[0].name, "tcp" };
		char label[160];

		snprintf(label, sizeof(label), "%s/%s:%s", s->ns, s->name, s->ports[0].name);
		proxy_ipt_service_chain(svc, sizeof(svc), "KUBE-SVC", &id);
		printf("-A KUBE-SERVICES -m comment --comment \"%s cluster IP\" -m tcp -p tcp "
		       "-d %s --dport 80 -j %s\n", label, addr_fmt(s->cluster_ip, a), svc);
		printf("-A %s -m comment --comment \"%s cluster IP\" -m tcp -p tcp -d %s --dport 80 "
		       "! -s %s/%u -j KUBE-MARK-MASQ\n", svc, label, a,
		       addr_fmt(t->net.cluster_cidr.addr, b), t->net.cluster_cidr.len);
		for (size_t e = 0; e < s->nendpoints; e++) {
			uint32_t ip = t->pods[s->endpoints[e].pod].ip;
			uint16_t port = s->endpoints[e].port[0];

			proxy_ipt_endpoint_chain(sep, sizeof(sep), &id, ip, port);
			if (e + 1 < s->nendpoints)
				printf("-A %s -m comment --comment \"%s -> %s:%u\" -m statistic --mode "
				       "random --probability %.10f -j %s\n", svc, label,
				       addr_fmt(ip, a), port, 1.0 / (double)(s->nendpoints - e), sep);
			else
				printf("-A %s -m comment --comment \"%s -> %s:%u\" -j %s\n", svc, label,
				       addr_fmt(ip, a), port, sep);
			printf("-A %s -m comment --comment %s -s %s -j KUBE-MARK-MASQ\n", sep, label, a);
			printf("-A %s -m comment --comment %s -m tcp -p tcp -j DNAT --to-destination "
			       "%s:%u\n", sep, label, a, port);
		}
	}
	printf("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this "
	       "must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j "
	       "KUBE-NODEPORTS\nCOMMIT\n");
}

int main(int argc, char **argv)
{
	struct topo t = { 0 };
	enum topo_proxy_mode mode = TOPO_PROXY_NFTABLES;

	if (argc < 3 || (strcmp(argv[1], "ipt-restore") &&
			 (argc < 4 || topo_proxy_mode_parse(argv[2], &mode) < 0))) {
		fprintf(stderr, "usage: proxy_rules install|latency MODE K [NETNS|CONNS] | "
			"ipt-restore K\n");
		return 2;
	}
	if (!strcmp(argv[1], "ipt-restore")) {
		model(&t, (unsigned)atoi(argv[2]), mode);
		ipt_restore(&t);
	} else if (!strcmp(argv[1], "install")) {
		model(&t, (unsigned)atoi(argv[3]), mode);
		enter_netns(argc > 4 ? argv[4] : NULL);
		install(&t, getenv("PART") ? (size_t)atoi(getenv("PART")) : 0);
		for (int i = getenv("CHANGES") ? atoi(getenv("CHANGES")) : 1; i > 0; i--)
			change_one(&t);
	} else if (!strcmp(argv[1], "latency")) {
		model(&t, (unsigned)atoi(argv[3]), mode);
		enter_netns(NULL);
		install(&t, 0);
		latency(&t, argc > 4 ? atoi(argv[4]) : 500);
	} else {
		return 2;
	}
	topo_free(&t);
	return 0;
}
