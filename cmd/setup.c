/* podpath setup — build a lab from a topology file, the embedded default,
 * or a synthetic topology. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "lab/bgp.h"
#include "lab/lab.h"
#include "proxy/proxy.h"

struct setup_args {
	const char *file;
	long nodes, pods_per_node, services;
	const char *network;
	const char *proxy_mode;
};

/* The signal that asked setup to stop (SIGINT, SIGTERM), 0 if none. lib/
 * only reads it: every step of setup checks it and rolls back. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* Setup stopped by a signal: what was built has been removed. */
static int interrupted_report(const char *lab)
{
	struct pp_err e;
	int sig = interrupted;

	pp_err_set(&e, sig == SIGTERM ? PP_EXIT_SIGTERM : PP_EXIT_SIGINT, -EINTR,
		   "lab \"%s\": setup interrupted by %s; nothing of it is left", lab,
		   sig == SIGTERM ? "SIGTERM" : "SIGINT");
	return pp_report(&e);
}

static void progress(void *arg, size_t done, size_t total)
{
	fprintf(stderr, "\rsetup: %zu/%zu pods", done, total);
	if (done == total)
		fprintf(stderr, "\r\033[K");
}

/* The whole of path ("-": stdin), or NULL with errno set; EFBIG past
 * TOPO_DOC_MAX, found by reading one byte more, as a pipe or /dev/zero has
 * no size to ask for. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n > TOPO_DOC_MAX) {
			free(buf);
			buf = NULL;
			errno = EFBIG;
			break;
		}
		if (cap - n < 4096) {
			/* Room past the limit for one more read, and no more. */
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb;

			if (ncap > TOPO_DOC_MAX + 4096)
				ncap = TOPO_DOC_MAX + 4096;
			nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (r == 0) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

static int topo_report(const char *file, const struct topo_error *te)
{
	struct pp_err e = { .kind = PP_EXIT_USAGE, .code = -EINVAL };
	char source[PP_ERR_VALUE_MAX + 1];

	pp_err_value(source, sizeof(source), file);	/* a long name leaves the reason whole */

	if (te->line)
		pp_err_format(e.msg, sizeof(e.msg), "topology %s: line %d column %d: %s", source,
			      te->line, te->column, te->msg);
	else if (te->value[0])
		pp_err_format(e.msg, sizeof(e.msg), "topology %s: %s: %s: %s", source,
			      te->path[0] ? te->path : ".", te->value, te->msg);
	else
		pp_err_format(e.msg, sizeof(e.msg), "topology %s: %s: %s", source,
			      te->path[0] ? te->path : ".", te->msg);
	return pp_report(&e);
}

static int parse_args(int argc, char **argv, struct setup_args *a)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "pods-per-node", required_argument, NULL, 'm' },
		{ "network", required_argument, NULL, 'N' },
		{ "services", required_argument, NULL, 'S' },
		{ "proxy-mode", required_argument, NULL, 'P' },
		{ 0 },
	};
	int opt;

	a->nodes = a->pods_per_node = a->services = -1;
	opterr = 0;
	optind = 0;	/* 0, not 1: glibc re-reads the optstring (main's is "+...") */
	while ((opt = getopt_long(argc, argv, ":f:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			a->file = optarg;
			break;
		case 'n':
			a->nodes = pp_parse_uint(optarg, 1, TOPO_MAX_NODES);
			if (a->nodes < 0)
				return pp_usage_error("setup", "--nodes \"%s\": expected a number from 1 to %d",
						      optarg, TOPO_MAX_NODES);
			break;
		case 'm':
			a->pods_per_node = pp_parse_uint(optarg, 0, TOPO_MAX_PODS);
			if (a->pods_per_node < 0)
				return pp_usage_error("setup", "--pods-per-node \"%s\": expected a number "
						      "from 0 to %d", optarg, TOPO_MAX_PODS);
			break;
		case 'N':
			a->network = optarg;
			break;
		case 'P':
			a->proxy_mode = optarg;
			break;
		case 'S':
			a->services = pp_parse_uint(optarg, 0, TOPO_MAX_SERVICES);
			if (a->services < 0)
				return pp_usage_error("setup", "--services \"%s\": expected a number from 0 to %d",
						      optarg, TOPO_MAX_SERVICES);
			break;
		case ':':
			return pp_usage_error("setup", "%s needs a value", argv[optind - 1]);
		default:
			return pp_usage_error("setup", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return pp_usage_error("setup", "unexpected argument \"%s\"", argv[optind]);
	if (a->file && (a->nodes >= 0 || a->pods_per_node >= 0))
		return pp_usage_error("setup", "-f and --nodes/--pods-per-node exclude each other");
	if ((a->nodes >= 0) != (a->pods_per_node >= 0))
		return pp_usage_error("setup", "--nodes and --pods-per-node go together");
	if (a->services >= 0 && a->nodes < 0)
		return pp_usage_error("setup", "--services adds Services to a synthetic topology: "
				      "use it with --nodes and --pods-per-node");
	return 0;
}

static int load_topology(const struct setup_args *a, struct topo *t)
{
	struct topo_error te = { 0 };
	enum topo_mode mode = TOPO_MODE_ROUTED;
	enum topo_proxy_mode pmode = TOPO_PROXY_NFTABLES;
	const char *source = a->file ? a->file : "(default)";
	char *buf;
	size_t len;
	int ret;

	if (a->network && topo_mode_parse(a->network, &mode) < 0)
		return pp_usage_error("setup", "--network \"%s\": expected routed, vxlan, vpc or bgp",
				      a->network);
	if (a->proxy_mode && topo_proxy_mode_parse(a->proxy_mode, &pmode) < 0)
		return pp_usage_error("setup", "--proxy-mode \"%s\": expected nftables or "
				      "iptables", a->proxy_mode);
	/* Refused either way; the kernel's gap is said too, as a fact. */
	if (a->proxy_mode && pmode == TOPO_PROXY_IPVS)
		return pp_usage_error("setup", "--proxy-mode \"%s\": %s%s", a->proxy_mode,
				      TOPO_MSG_IPVS, !proxy_kernel_has_ipvs() ?
				      "; nor has this kernel IP_VS (CONFIG_IP_VS; module ip_vs not "
				      "loaded)" : "");
	if (a->nodes >= 0) {
		source = "(synthetic)";
		ret = topo_from_synth(t, (unsigned)a->nodes, (unsigned)a->pods_per_node, mode, &te);
		if (ret == 0 && a->services > 0)
			ret = topo_synth_services(t, (unsigned)a->services, &te);
		if (ret == 0)
			ret = topo_synth_dns(t, &te);
	} else if (a->file) {
		buf = slurp(a->file, &len);
		if (!buf) {
			char file[PP_ERR_VALUE_MAX + 1];
			struct pp_err e;

			pp_err_value(file, sizeof(file), a->file);

			if (errno == EFBIG)
				pp_err_set(&e, PP_EXIT_USAGE, -errno, "topology %s: larger than %zu MiB, "
					   "the most podpath reads", file, TOPO_DOC_MAX >> 20);
			else
				pp_err_set(&e, PP_EXIT_USAGE, -errno, "topology %s: cannot read: %s",
					   file, strerror(errno));
			return pp_report(&e);
		}
		ret = topo_from_json(t, buf, len, &te);
		free(buf);
	} else {
		ret = topo_from_default(t, &te);
	}
	if (ret == 0 && a->network)
		t->net.mode = mode;
	if (ret == 0 && a->proxy_mode)
		t->net.proxy_mode = pmode;
	if (ret == 0)
		ret = topo_resolve(t, &te);
	return ret < 0 ? topo_report(source, &te) : 0;
}

/* bgp mode: the sessions setup configured and the routes it waited for. */
static size_t bgp_sessions_count(const struct lab *l)
{
	size_t n = l->topo.nnodes;

	return bgp_uses_rr(&l->topo) ? n : n * (n - 1) / 2;
}

static json_t *bgp_json(const struct lab *l)
{
	size_t n = l->topo.nnodes;

	return json_pack("{s:s, s:I, s:i, s:i, s:i, s:f, s:f}", "peering",
			 bgp_uses_rr(&l->topo) ? "route-reflector" : "full-mesh",
			 "asNumber", (json_int_t)l->topo.net.bgp.asn,
			 "speakers", (int)lab_bgp_nspeakers(l), "sessions", (int)bgp_sessions_count(l),
			 "routes", (int)(n * (n - 1)), "convergedSeconds",
			 (double)l->bgp_converge_ms / 1e3, "waitedSeconds",
			 (double)l->bgp_wait_ms / 1e3);
}

static void bgp_print(const struct lab *l)
{
	size_t n = l->topo.nnodes, s = bgp_sessions_count(l);

	printf("BGP converged in %.2f s: %zu route%s proto bird over %zu iBGP session%s (AS %u, "
	       "%s)\n", (double)l->bgp_converge_ms / 1e3, n * (n - 1), n * (n - 1) == 1 ? "" : "s",
	       s, s == 1 ? "" : "s", l->topo.net.bgp.asn,
	       bgp_uses_rr(&l->topo) ? "every node peers with the route reflector in the VPC router"
				     : "node-to-node full mesh");
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int cmd_setup(int argc, char **argv)
{
	struct setup_args a = { 0 };
	struct lab l = { 0 };
	struct lab_setup_opts o = { .interrupted = &interrupted };
	struct sigaction sa = { .sa_handler = on_signal };
	struct pp_err e = { 0 };
	long long t0 = now_us();
	size_t ncontainers = 0;
	int ret;

	/* Ctrl-C rolls back instead of leaving half a lab: caught from the
	 * start, so that one during the topology's parsing counts too. No
	 * SA_RESTART: a signal cuts a wait short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret;
	snprintf(l.name, sizeof(l.name), "%s", opts.lab);
	ret = load_topology(&a, &l.topo);
	if (ret)
		goto out;
	if (isatty(STDERR_FILENO) && !opts.json) {
		o.progress = progress;
	}
	ret = lab_setup(&l, &o, &e);
	/* Stopped by the signal and rolled back (-EINTR), or finished before
	 * it was seen: then the lab is whole, and undone here. Any other
	 * error (a busy lab, a failed rollback) is reported as itself. */
	if (interrupted && (ret == -EINTR || ret == 0)) {
		if (ret == 0 && lab_teardown(l.name, false, NULL, &e) < 0)
			ret = pp_report(&e);
		else
			ret = interrupted_report(l.name);
		goto out;
	}
	if (ret < 0) {
		ret = pp_report(&e);
		goto out;
	}
	for (size_t i = 0; i < l.topo.npods; i++)
		ncontainers += l.topo.pods[i].ncontainers;
	if (opts.json) {
		json_t *doc = json_pack("{s:i, s:s, s:s, s:s, s:i, s:i, s:i, s:f}", "schema", 1,
					"lab", l.name, "mode", topo_mode_name(l.topo.net.mode),
					"proxyMode", topo_proxy_mode_name(l.topo.net.proxy_mode),
					"nodes", (int)l.topo.nnodes, "pods", (int)l.topo.npods,
					"containers", (int)ncontainers,
					"seconds", (double)(now_us() - t0) / 1e6);

		if (doc && lab_bgp_mode(&l))
			json_object_set_new(doc, "bgp", bgp_json(&l));
		ret = pp_json_out(doc);
	} else {
		printf("lab \"%s\" ready: %zu node%s, %zu pod%s, %zu container%s, %zu service%s, "
		       "%s networking, %s proxy, %.0f ms\n",
		       l.name, l.topo.nnodes, l.topo.nnodes == 1 ? "" : "s", l.topo.npods,
		       l.topo.npods == 1 ? "" : "s", ncontainers, ncontainers == 1 ? "" : "s",
		       l.topo.nservices, l.topo.nservices == 1 ? "" : "s",
		       topo_mode_name(l.topo.net.mode), topo_proxy_mode_name(l.topo.net.proxy_mode),
		       (double)(now_us() - t0) / 1e3);
		if (lab_bgp_mode(&l))
			bgp_print(&l);
		ret = PP_EXIT_OK;
	}
out:
	lab_free(&l);
	return ret;
}
