/* podpath trace — send a real probe from SRC to DST and report every hop. */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "lab/lab.h"
#include "out/dns_search.h"
#include "out/dot.h"
#include "out/trace.h"
#include "out/tui.h"
#include "trace/trace.h"

static int parse_args(int argc, char **argv, struct trace_args *a)
{
	static const struct option longopts[] = {
		{ "protocol", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "timeout", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 'S' },
		{ "pcap", required_argument, NULL, 'w' },
		{ "tui", no_argument, NULL, 'T' },
		{ "dot", no_argument, NULL, 'D' },
		{ "netns", required_argument, NULL, 'N' },
		{ "no-kernel-drops", no_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "arp", no_argument, NULL, 'A' },
		{ 0 },
	};
	char *end;
	double sec;
	int opt;

	a->timeout_ms = CMD_TRACE_TIMEOUT_MS;
	a->port = -1;
	opterr = 0;
	optind = 0;	/* 0, not 1: glibc re-reads the optstring (main's is "+...") */
	while ((opt = getopt_long(argc, argv, ":p:v", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			a->proto = optarg;
			break;
		case 'P':
			a->port = pp_parse_uint(optarg, 1, 65535);
			if (a->port < 0)
				return pp_usage_error("trace", "--port \"%s\": expected 1 to 65535", optarg);
			break;
		case 't':
			sec = strtod(optarg, &end);
			if (end == optarg || *end || !(sec >= 0.05 && sec <= 60))	/* NaN too */
				return pp_usage_error("trace", "--timeout \"%s\": expected seconds from 0.05 to 60",
						      optarg);
			a->timeout_ms = (int)(sec * 1000);
			break;
		case 'S':
			a->size = pp_parse_uint(optarg, PROBE_SIZE_MIN, PROBE_SIZE_MAX);
			if (a->size < 0)
				return pp_usage_error("trace", "--size \"%s\": expected bytes from %d to %d "
						      "(the whole IP packet)", optarg, PROBE_SIZE_MIN,
						      PROBE_SIZE_MAX);
			break;
		case 'w':
			a->pcap = optarg;
			break;
		case 'T':
			a->tui = true;
			break;
		case 'D':
			a->dot = true;
			break;
		case 'N':
			a->netns = optarg;
			break;
		case 'K':
			a->no_drops = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'A':
			a->arp = true;
			break;
		case ':':
			return pp_usage_error("trace", "%s needs a value", argv[optind - 1]);
		default:
			return pp_usage_error("trace", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	/* With --netns the namespace is the source: only DST remains. */
	if (a->netns && argc - optind != 1)
		return pp_usage_error("trace", argc - optind < 1 ? "--netns needs DST (an IP[:PORT] or URL)"
								 : "with --netns, only DST: unexpected \"%s\"",
				      argv[argc - 1]);
	if (!a->netns && argc - optind != 2)
		return pp_usage_error("trace", argc - optind < 2 ? "needs SRC and DST"
								 : "unexpected argument \"%s\"",
				      argv[argc - 1]);
	a->src = a->netns ? NULL : argv[optind];
	a->dst = argv[a->netns ? optind : optind + 1];
	if (a->tui && opts.json)
		return pp_usage_error("trace", "--tui and --json exclude each other");
	/* --dot prints the graph on stdout: nothing else may. */
	if (a->dot && (opts.json || a->tui || (a->pcap && !strcmp(a->pcap, "-")) || a->netns))
		return pp_usage_error("trace", "--dot prints a Graphviz graph on stdout: not with %s",
				      opts.json ? "--json" : a->tui ? "--tui" : a->netns ?
				      "--netns (there is no lab to draw)" : "--pcap - (give --pcap a file)");
	if (a->tui && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return pp_usage_error("trace", "--tui needs a terminal on stdin and stdout");
	/* --pcap - makes stdout the pcapng stream: the text report moves to
	 * stderr; a JSON document or a terminal view would corrupt it. */
	if (a->pcap && !strcmp(a->pcap, "-")) {
		if (opts.json)
			return pp_usage_error("trace", "--pcap - and --json both want stdout: give "
					      "--pcap a file");
		if (a->tui)
			return pp_usage_error("trace", "--pcap - and --tui both want stdout: give "
					      "--pcap a file");
		if (isatty(STDOUT_FILENO))
			return pp_usage_error("trace", "--pcap -: stdout is a terminal; pipe it "
					      "(| tcpdump -r -) or give a file");
	}
	return 0;
}

bool cmd_trace_is_url(const char *dst)
{
	return strstr(dst, "://") != NULL;
}

/* The path (and query) as it goes on the request line: up to n bytes of
 * path, a leading '/' added, the bytes a URL may not hold as they are
 * (space, quotes, controls, non-ASCII) percent-encoded. */
static int url_path_encode(const char *path, size_t n, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (*path != '/') {
		if (len < 2)
			return -1;
		out[o++] = '/';
	}
	for (const unsigned char *p = (const unsigned char *)path; p < (const unsigned char *)path + n;
	     p++) {
		bool plain = *p > 0x20 && *p < 0x7f && !strchr("\"<>\\^`{|}", *p);

		if (o + (plain ? 1 : 3) >= len)
			return -1;
		if (plain) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

/* "http[s]://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]" -> proto http[s], DST
 * HOST[:PORT], the path and query (the fragment stays with the client, as
 * a browser keeps it). */
int cmd_trace_url_split(struct trace_args *a, char *buf, size_t len)
{
	const char *sep = strstr(a->dst, "://"), *rest = sep + 3;
	size_t scheme = (size_t)(sep - a->dst), hlen = strcspn(rest, "/?#");
	bool tls = scheme == 5 && !strncasecmp(a->dst, "https", 5);
	const char *colon;

	if (!tls && !(scheme == 4 && !strncasecmp(a->dst, "http", 4)))
		return pp_usage_error("trace", "DST \"%s\": scheme \"%.*s\" is not one trace speaks "
				      "(http or https)", a->dst, (int)scheme, a->dst);
	if (hlen >= len)
		return pp_usage_error("trace", "DST \"%s\": the host and port are longer than %zu "
				      "bytes", a->dst, len - 1);
	snprintf(buf, len, "%.*s", (int)hlen, rest);
	if (!buf[0] || buf[0] == ':')
		return pp_usage_error("trace", "DST \"%s\": the URL has no host", a->dst);
	if (strchr(buf, '@'))
		return pp_usage_error("trace", "DST \"%s\": credentials in a URL are not supported",
				      a->dst);
	if (buf[0] == '[')
		return pp_usage_error("trace", "DST \"%s\": IPv6 is not supported (podpath's labs are "
				      "IPv4)", a->dst);
	colon = strrchr(buf, ':');
	if (colon && pp_parse_uint(colon + 1, 1, 65535) < 0)
		return pp_usage_error("trace", "DST \"%s\": bad port \"%s\" (1-65535)", a->dst,
				      colon + 1);
	if (url_path_encode(rest + hlen, strcspn(rest + hlen, "#"), a->url_path,
			    sizeof(a->url_path)) < 0)
		return pp_usage_error("trace", "DST \"%s\": the path, percent-encoded, is longer "
				      "than %zu bytes", a->dst, sizeof(a->url_path) - 1);
	/* The scheme is the protocol; -p may repeat it, not contradict it. */
	if (a->proto && strcmp(a->proto, tls ? "https" : "http"))
		return pp_usage_error("trace", "DST \"%s\" is an %s URL and -p says \"%s\": give the "
				      "protocol once", a->dst, tls ? "https" : "http", a->proto);
	a->url = a->dst;
	a->dst = buf;
	a->proto = tls ? "https" : "http";
	return 0;
}

/* The first port of the destination pod's containers (or internet host)
 * with this protocol. */
static uint16_t pod_port(const struct lab *l, const struct trace_endpoint *ep, enum topo_proto p)
{
	if (ep->host >= 0) {	/* by its address or name, as internet/NAME */
		const struct topo_inet_host *h = &l->topo.inet.hosts[ep->host];

		for (size_t k = 0; k < h->nports; k++)
			if (h->ports[k].proto == p)
				return h->ports[k].port;
		return 0;
	}
	if (ep->pod < 0)
		return 0;
	for (size_t i = 0; i < l->topo.pods[ep->pod].ncontainers; i++) {
		const struct topo_container *c = &l->topo.pods[ep->pod].containers[i];

		for (size_t k = 0; k < c->nports; k++)
			if (c->ports[k].proto == p)
				return c->ports[k].port;
	}
	return 0;
}

/* The port DST names itself after its last '/' (IP:PORT, POD:PORT,
 * svc/NS/NAME:PORT, internet/NAME:PORT, a URL's HOST:PORT), else NULL. */
static const char *dst_port(const char *dst)
{
	const char *slash = strrchr(dst, '/');

	return strchr(slash ? slash : dst, ':');
}

/* --port with a port in DST is said once or it is an error; with a
 * Service, --port picks the Service port, as svc/NS/NAME:PORT does. */
static int port_once(struct trace_args *a, const struct lab *l, struct trace *t)
{
	const char *own = dst_port(a->dst);
	char buf[320];
	struct pp_err e = { 0 };

	if (a->port <= 0)
		return 0;
	/* DST's own port, named (svc/NS/NAME:http) or not, is resolved by now. */
	if (own && t->dst.port != a->port)
		return pp_usage_error("trace", "DST \"%s\" names port %s and --port %ld: give it "
				      "once", a->url ? a->url : a->dst, own + 1, a->port);
	if (own || !l->name[0])
		return 0;
	if (!strncmp(a->dst, "svc/", 4)) {
		snprintf(buf, sizeof(buf), "%s:%ld", a->dst, a->port);
		if (trace_endpoint_parse(l, buf, false, &t->dst, &e) < 0)
			return pp_report(&e);
	} else if (t->dst.svc_port) {
		/* A Service's address or name: the port's protocol, as for
		 * ADDRESS:PORT (53 on kube-dns is a DNS query); the name kept. */
		char label[sizeof(t->dst.label)], ip[ADDR_STRLEN];

		memcpy(label, t->dst.label, sizeof(label));
		snprintf(buf, sizeof(buf), "%s:%ld", addr_fmt(t->dst.ip, ip), a->port);
		if (trace_endpoint_parse(l, buf, false, &t->dst, &e) < 0)
			return pp_report(&e);
		memcpy(t->dst.label, label, sizeof(label));
	}
	return 0;
}

static int choose_probe(struct trace_args *a, const struct lab *l, struct trace *t)
{
	uint16_t tcp = pod_port(l, &t->dst, TOPO_PROTO_TCP);
	uint16_t udp = pod_port(l, &t->dst, TOPO_PROTO_UDP);
	int ret = port_once(a, l, t);

	if (ret)
		return ret;

	/* A Service's address: its ports, as for svc/NS/NAME; with neither
	 * protocol nor port given, its first port and that port's protocol. */
	tcp = tcp ? tcp : t->dst.svc_tcp_port;
	udp = udp ? udp : t->dst.svc_udp_port;
	if (!a->proto && a->port <= 0 && !t->dst.port && t->dst.svc_port) {
		t->dst.port = t->dst.svc_port;
		t->dst.proto_hint = t->dst.svc_proto;
	}
	if (a->proto && probe_proto_parse(a->proto, &t->probe.proto) < 0)
		return pp_usage_error("trace", "-p \"%s\": expected icmp, udp, tcp, http, https or dns",
				      a->proto);
	if (!a->proto && t->dst.proto_hint == IPPROTO_UDP)	/* a UDP Service port */
		t->probe.proto = t->dst.port == 53 ? PROBE_DNS : PROBE_UDP;
	else if (!a->proto && a->size)	/* a DF probe of a size: an echo, as ping -M do -s */
		t->probe.proto = PROBE_ICMP;
	else if (!a->proto)
		t->probe.proto = (a->port > 0 || t->dst.port || tcp) ? PROBE_TCP : PROBE_ICMP;
	/* A packet of a given size with DF set is one datagram: an echo or a
	 * UDP datagram, not a connection the kernel segments as it likes. */
	if (a->size && t->probe.proto != PROBE_ICMP && t->probe.proto != PROBE_UDP)
		return pp_usage_error("trace", "--size %ld: a DF probe of a given size is -p icmp or "
				      "-p udp, not %s", a->size, probe_proto_name(t->probe.proto));
	t->probe.size = (uint16_t)a->size;
	if (t->probe.proto == PROBE_ICMP)
		return 0;
	t->probe.dport = a->port > 0 ? (uint16_t)a->port
			: t->dst.port ? t->dst.port
			: t->probe.proto == PROBE_DNS ? 53
			: t->probe.proto == PROBE_UDP ? udp
			: t->probe.proto == PROBE_HTTPS ? 443
			: tcp ? tcp : (t->probe.proto == PROBE_HTTP ? 80 : 0);
	if (!t->probe.dport)
		return pp_usage_error("trace", "DST \"%s\" has no %s port: give one with --port",
				      t->dst.label, probe_ipproto(t->probe.proto) == IPPROTO_UDP ? "UDP" : "TCP");
	/* DNS asks for a name the cluster DNS has. */
	if (t->probe.proto == PROBE_DNS) {
		if (!t->probe.dport)
			t->probe.dport = 53;
		const char *dom = l->topo.net.domain[0] ? l->topo.net.domain : "cluster.local";
		int n = snprintf(t->probe.host, sizeof(t->probe.host), "kube-dns.kube-system.svc.%s",
				 dom);

		/* A DNS name is at most 253 characters; a long cluster domain
		 * can leave no room for the Service's name in front of it. */
		if (n < 0 || (size_t)n >= TOPO_SUBDOMAIN_MAX)
			return pp_usage_error("trace", "-p dns: \"kube-dns.kube-system.svc.%s\" is longer "
					      "than a DNS name may be (%d): the lab's cluster domain "
					      "is too long to ask for", dom, TOPO_SUBDOMAIN_MAX - 1);
		return 0;
	}
	/* The Host header names the destination as HTTP would: the URL's
	 * host, or the address. */
	if (a->url_path[0] || a->by_name)
		snprintf(t->probe.host, sizeof(t->probe.host), "%.*s", (int)strcspn(a->dst, ":"),
			 a->dst);
	else
		addr_fmt(t->dst.ip, t->probe.host);
	snprintf(t->probe.path, sizeof(t->probe.path), "%s", a->url_path[0] ? a->url_path : "/");
	/* HTTPS trusts the lab's CA, as a user told to would. */
	if (t->probe.proto == PROBE_HTTPS && l->name[0])
		snprintf(t->probe.ca_file, sizeof(t->probe.ca_file), "%s/%s/%s", LAB_RUN_DIR, l->name,
			 LAB_CA_FILE);
	return 0;
}

/* DST is a DNS name (not a pod of the lab): trace the pod's query for it
 * to the cluster DNS into dt, then make the answered address DST. 1 when
 * the name did not resolve (dt holds why), 0, or an exit code. */
static int resolve_name(struct trace_args *a, const struct lab *l, struct trace *t,
			struct trace *dt, char *addr, size_t len, struct pp_err *e)
{
	char name[256];
	const char *colon = strrchr(a->dst, ':');
	char ip[ADDR_STRLEN];

	snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - a->dst) : (int)strlen(a->dst),
		 a->dst);
	if (trace_dns_setup(l, &t->src, name, dt, e) < 0 || trace_run(dt, e) < 0)
		return -1;
	/* Resolved only if the lookup found it (a traced query that failed
	 * in the lookup and answered on its retrace is no resolution). */
	if (!dt->res.dns_a || (dt->search.done && dt->search.answered < 0))
		return 1;
	snprintf(addr, len, "%s%s", addr_fmt(dt->res.dns_a, ip), colon ? colon : "");
	if (trace_endpoint_parse(l, addr, false, &t->dst, e) < 0)
		return -1;
	/* The name stays what the user asked for; HTTP's Host header too. */
	snprintf(t->dst.label, sizeof(t->dst.label), "%s", a->dst);
	return 0;
}

int cmd_trace_lab(struct trace_args *a, struct lab *l, struct trace *t, struct trace *dt,
		  bool *dns)
{
	struct pp_err e = { 0 };
	char addr[64];
	int ret;

	t->lab = l;
	t->timeout_ms = a->timeout_ms ? a->timeout_ms : CMD_TRACE_TIMEOUT_MS;	/* explain's */
	if (trace_endpoint_parse(l, a->src, true, &t->src, &e) < 0)
		return pp_report(&e);
	if (trace_endpoint_parse(l, a->dst, false, &t->dst, &e) < 0) {
		char host[CMD_URL_HOST_MAX];

		snprintf(host, sizeof(host), "%.*s", (int)strcspn(a->dst, ":"), a->dst);
		if (e.code == -ENOENT && strchr(host, '.') && !trace_is_dns_name(host))
			pp_err_set(&e, PP_EXIT_USAGE, -EINVAL, "DST \"%s\": \"%s\" is neither a pod "
				   "of lab \"%s\" nor a DNS name", a->dst, host, l->name);
		if (e.code != -ENOENT || !trace_is_dns_name(host))
			return pp_report(&e);
		*dns = true;
		ret = resolve_name(a, l, t, dt, addr, sizeof(addr), &e);
		if (ret < 0)
			return pp_report(&e);
		if (ret > 0)
			return -1;	/* no address: dt says why */
		a->by_name = true;
	}
	ret = choose_probe(a, l, t);
	if (ret)
		return ret;
	if (trace_run(t, &e) < 0)
		return pp_report(&e);
	return 0;
}

/* A trace holds a capture handle and a trace socket for every namespace
 * on the way, and a node's pods are as many as its bridge takes: allow as
 * many descriptors as the hard limit does, not the 1024 a shell starts
 * with. Where it cannot, a descriptor that is refused is an error said. */
static void nofile_raise(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

int cmd_trace(int argc, char **argv)
{
	struct trace_args a = { 0 };
	struct trace t = { 0 }, dt = { 0 };
	const struct trace *both[] = { &dt, &t };
	const char *const phase[] = { "DNS query ", "" };
	bool dns = false;
	struct pp_err e = { 0 };
	char url_host[CMD_URL_HOST_MAX];
	FILE *rep = stdout;	/* the text report */
	bool color = opts.color;
	struct lab l;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret)
		return ret;
	nofile_raise();
	if (a.pcap && !strcmp(a.pcap, "-")) {	/* stdout carries the pcapng */
		rep = stderr;
		color = isatty(STDERR_FILENO) && !getenv("NO_COLOR");
	}
	if (cmd_trace_is_url(a.dst) &&
	    (ret = cmd_trace_url_split(&a, url_host, sizeof(url_host))) != 0)
		return ret;
	memset(&l, 0, sizeof(l));
	t.timeout_ms = a.timeout_ms;
	t.no_drops = a.no_drops;
	t.flush_arp = a.arp;
	if (a.netns) {
		/* Namespaces podpath did not build: no lab, the kernel's view. */
		if (trace_discover(&t, a.netns, &e) < 0 ||
		    trace_endpoint_parse(NULL, a.dst, false, &t.dst, &e) < 0) {
			ret = pp_report(&e);
			goto out;
		}
		ret = choose_probe(&a, &l, &t);
		if (ret)
			goto out;
		if (trace_run(&t, &e) < 0) {
			ret = pp_report(&e);
			goto out;
		}
	} else {
		if (lab_load(&l, opts.lab, &e) < 0)
			return pp_report(&e);
		ret = cmd_trace_lab(&a, &l, &t, &dt, &dns);
		if (ret < 0 && a.pcap &&
		    trace_pcapng_write(both, phase, 1, a.pcap, &e) < 0) {
			ret = pp_report(&e);
			goto out;
		}
		if (ret < 0) {	/* the name did not resolve: the DNS trace says why */
			char why[sizeof(e.msg)], shown[4 * sizeof(e.msg)];

			/* A long name is shortened, never the reason after it;
			 * nothing of it reaches a terminal or JSON raw. */
			char names[sizeof(e.msg)];

			out_dns_search_names(names, sizeof(names), &dt.search);
			pp_err_format(why, sizeof(why), "\"%s\" did not resolve: %s%s%s", a.dst,
				      dt.res.answer[0] ? dt.res.answer : "no answer from the DNS",
				      names[0] ? "; names asked, in order: " : "", names);
			pp_text_escape(shown, sizeof(shown), why);
			if (opts.json) {
				json_t *o = out_trace_json(&dt);
				json_t *v = json_object_get(o, "verdict");

				if (o && dt.search.done)
					json_object_set_new(o, "search", out_dns_search_json(&dt.search));
				size_t n = 4 * strlen(a.dst) + 1;
				char *dst = malloc(n);

				/* The query was delivered; the trace was not. */
				if (dst)
					pp_text_escape(dst, n, a.dst);
				json_object_set_new(v, "result", json_string("unresolved"));
				json_object_set_new(v, "reason", json_string(shown));
				json_object_set_new(o, "unresolved", dst ? json_string(dst) : json_null());
				free(dst);
				pp_json_out(o);
			} else if (a.dot) {	/* the query's path, its answer said in the title */
				out_dot(stdout, &(struct out_dot){ .lab = &l, .trace = &dt, .note = shown });
				fprintf(stderr, "%s\n", shown);
			} else {
				out_dns_search_text(rep, &dt.search);
				out_trace_text_verbose(rep, &dt, color, a.verbose);
				fprintf(rep, "\n%s\n", shown);
			}
			ret = PP_EXIT_FAIL;
			goto out;
		}
		if (ret)
			goto out;
	}
	/* The DNS query's packets first, when there was one. */
	if (a.pcap && trace_pcapng_write(both + !dns, phase + !dns, 1 + dns, a.pcap, &e) < 0) {
		ret = pp_report(&e);
		goto out;
	}
	if (opts.json) {
		json_t *o = out_trace_json(&t);

		if (o && dns) {
			json_t *d = out_trace_json(&dt);

			if (d && dt.search.done)
				json_object_set_new(d, "search", out_dns_search_json(&dt.search));
			json_object_set_new(o, "dns", d);
		}
		pp_json_out(o);
	} else if (a.dot) {
		out_dot(stdout, &(struct out_dot){ .lab = &l, .trace = &t });
	} else if (!a.tui || out_trace_tui(&t) < 0) {
		if (dns) {
			out_dns_search_text(rep, &dt.search);
			out_trace_text_verbose(rep, &dt, color, a.verbose);
			fputs("\n", rep);
		}
		out_trace_text_verbose(rep, &t, color, a.verbose);
	}
	ret = t.verdict == TRACE_DELIVERED ? PP_EXIT_OK : PP_EXIT_FAIL;
out:
	trace_free(&t);
	trace_free(&dt);
	if (l.name[0])
		lab_free(&l);
	return ret;
}
