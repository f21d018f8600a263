/* ingress — the ingress controller's configuration: what ingress-nginx would
 * render from the lab's Ingresses, written to /run/podpath/LAB/ingress/ with
 * the lab CA and the TLS certificate before the controller starts.
 *
 * One server per host. A TLS host is served on 443 and redirected there
 * from 80 (308, ingress-nginx's ssl-redirect). Exact paths are `location =`;
 * a Prefix path matches by path element as Kubernetes defines it, so /foo
 * becomes `location = /foo` and `location /foo/` (never /foobar). Each
 * location passes the client address in X-Forwarded-For and names the
 * Ingress rule that matched in X-Podpath-Ingress (request and response;
 * the response also names the endpoint nginx used). Anything else gets the
 * default backend's 404, and its X-Podpath-Ingress says no rule matched.
 *
 * Upstreams are the Service's endpoints, never its ClusterIP: ingress-nginx
 * watches EndpointSlices and its Lua balancer connects to a pod IP and
 * targetPort itself (for session affinity, retries on another endpoint and
 * its load-balancing algorithms, and to spare a second NAT), so the
 * controller's connection to the backend bypasses kube-proxy. Here one
 * upstream block per Service port, named as ingress-nginx names them
 * (NAMESPACE-SERVICE-PORT), lists the endpoints the lab's API objects
 * select. A Service port without endpoints gets 503, as ingress-nginx
 * answers. The endpoints are the API's, not kube-proxy's rules: a fault
 * that breaks only kube-proxy's copy (break stale-endpoint,
 * service-no-endpoints) leaves nginx's upstreams, and the Ingress path,
 * working, as it would in a cluster. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lab/internal.h"

struct route {
	const struct topo_ingress *g;
	const struct topo_ingress_path *p;
};

/* A path as Kubernetes compares it: without a trailing slash (but "/"). */
static void path_norm(const char *p, char *buf, size_t len)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	snprintf(buf, len, "%.*s", (int)n, p);
}

/* ingress-nginx's upstream name: NAMESPACE-SERVICE-PORT. Dashes are legal
 * in both names, so "a-b"/"c" and "a"/"b-c" would share one, and nginx
 * refuses a duplicate upstream: then the Service's index makes it unique. */
static void upstream_name(const struct topo *t, size_t svc, size_t port, char *buf, size_t len)
{
	const struct topo_service *s = &t->services[svc];
	size_t n = strlen(s->ns) + strlen(s->name);

	snprintf(buf, len, "%s-%s-%u", s->ns, s->name, s->ports[port].port);
	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *o = &t->services[i];

		if (i != svc && strlen(o->ns) + strlen(o->name) == n &&
		    !strncmp(buf, o->ns, strlen(o->ns)) && buf[strlen(o->ns)] == '-' &&
		    !strncmp(buf + strlen(o->ns) + 1, o->name, strlen(o->name))) {
			snprintf(buf, len, "%s-%s-%u-%zu", s->ns, s->name, s->ports[port].port, svc);
			return;
		}
	}
}

static void location_body(FILE *f, const struct topo *t, const struct route *r, const char *host)
{
	const struct topo_service *s = &t->services[r->p->svc];
	char up[2 * TOPO_LABEL_MAX + 32], rule[1024];

	snprintf(rule, sizeof(rule), "%s/%s host=%s path=%s (%s) -> %s/%s:%u", r->g->ns, r->g->name,
		 host, r->p->path, r->p->type == TOPO_PATH_EXACT ? "Exact" : "Prefix", s->ns, s->name,
		 s->ports[r->p->svc_port].port);
	/* Every proxy_set_header here: a location that sets one inherits none. */
	fprintf(f, "\t\t\tproxy_set_header Host $host;\n"
		"\t\t\tproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
		"\t\t\tproxy_set_header X-Real-IP $remote_addr;\n"
		"\t\t\tproxy_set_header X-Forwarded-Proto $scheme;\n"
		"\t\t\tproxy_set_header X-Forwarded-Host $host;\n"
		"\t\t\tproxy_set_header X-Podpath-Ingress \"%s\";\n", rule);
	if (!topo_svc_port_endpoints(s, r->p->svc_port)) {
		/* ingress-nginx's answer for a backend without endpoints. */
		fprintf(f, "\t\t\tadd_header X-Podpath-Ingress \"%s: no endpoints\" always;\n"
			"\t\t\treturn 503;\n", rule);
		return;
	}
	upstream_name(t, r->p->svc, r->p->svc_port, up, sizeof(up));
	fprintf(f, "\t\t\tadd_header X-Podpath-Ingress \"%s endpoint=$upstream_addr\" always;\n"
		"\t\t\tproxy_pass http://%s;\n", rule, up);
}

/* Is (svc, port) the backend of an Ingress path before Ingress i, rule r,
 * path k? Each upstream block is written once. */
static bool backend_seen(const struct topo *t, size_t i, size_t r, size_t k)
{
	const struct topo_ingress_path *p = &t->ingresses[i].rules[r].paths[k];

	for (size_t i2 = 0; i2 <= i; i2++)
		for (size_t r2 = 0; r2 < t->ingresses[i2].nrules && (i2 < i || r2 <= r); r2++)
			for (size_t k2 = 0; k2 < t->ingresses[i2].rules[r2].npaths; k2++) {
				const struct topo_ingress_path *q = &t->ingresses[i2].rules[r2].paths[k2];

				if (i2 == i && r2 == r && k2 >= k)
					break;
				if (q->svc == p->svc && q->svc_port == p->svc_port)
					return true;
			}
	return false;
}

/* One upstream per backend Service port: its endpoints' pod IPs and target
 * ports, as ingress-nginx's balancer gets them from the EndpointSlices. */
static void upstreams(FILE *f, const struct topo *t)
{
	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++)
			for (size_t k = 0; k < t->ingresses[i].rules[r].npaths; k++) {
				const struct topo_ingress_path *p = &t->ingresses[i].rules[r].paths[k];
				const struct topo_service *s = &t->services[p->svc];
				char up[2 * TOPO_LABEL_MAX + 32], a[ADDR_STRLEN];

				if (backend_seen(t, i, r, k) || !topo_svc_port_endpoints(s, p->svc_port))
					continue;
				upstream_name(t, p->svc, p->svc_port, up, sizeof(up));
				fprintf(f, "\t# Service %s/%s port %u: its endpoints, not its ClusterIP\n"
					"\tupstream %s {\n", s->ns, s->name, s->ports[p->svc_port].port, up);
				for (size_t e = 0; e < s->nendpoints; e++) {
					const struct topo_endpoint *ep = &s->endpoints[e];
					const struct topo_pod *pod = &t->pods[ep->pod];

					/* max_fails=0: ingress-nginx's balancer never
					 * rests an endpoint after a failure (its
					 * upstream-max-fails is 0); nginx's default
					 * would answer 502 without connecting. */
					if (ep->port[p->svc_port])
						fprintf(f, "\t\tserver %s:%u max_fails=0;\t# pod %s/%s\n",
							addr_fmt(pod->ip, a), ep->port[p->svc_port],
							pod->ns, pod->name);
				}
				fprintf(f, "\t}\n");
			}
}

/* The default backend's 404, and the header that says why it answered:
 * no Ingress rule matched the host, or none of the host's paths. */
static void default_backend(FILE *f, const char *open, const char *what, const char *close)
{
	fprintf(f, "%s\t\t\tadd_header X-Podpath-Ingress \"" LAB_INGRESS_DEFAULT_BACKEND
		"no Ingress rule matched %s\" always;\n"
		"\t\t\treturn 404 \"default backend - 404\\n\";\n%s", open, what, close);
}

/* location [= ]PATH { ... } for route rt. */
static void location(FILE *f, const struct topo *t, const struct route *rt, const char *host,
		     const char *modifier, const char *path)
{
	fprintf(f, "\t\tlocation %s%s {\n", modifier, path);
	location_body(f, t, rt, host);
	fprintf(f, "\t\t}\n");
}

/* Does any Ingress have an Exact rule for host and path? */
static bool exact_exists(const struct topo *t, const char *host, const char *path)
{
	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++) {
			const struct topo_ingress_rule *rule = &t->ingresses[i].rules[r];

			if (strcmp(rule->host, host))
				continue;
			for (size_t k = 0; k < rule->npaths; k++)
				if (rule->paths[k].type == TOPO_PATH_EXACT &&
				    !strcmp(rule->paths[k].path, path))
					return true;
		}
	return false;
}

/* The locations of one host, from every Ingress rule for it. */
static void host_locations(FILE *f, const struct topo *t, const char *host)
{
	bool root = false;

	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++) {
			const struct topo_ingress_rule *rule = &t->ingresses[i].rules[r];

			if (strcmp(rule->host, host))
				continue;
			for (size_t k = 0; k < rule->npaths; k++) {
				struct route rt = { &t->ingresses[i], &rule->paths[k] };
				char p[TOPO_INGRESS_PATH_MAX], sub[TOPO_INGRESS_PATH_MAX + 1];

				path_norm(rt.p->path, p, sizeof(p));
				if (rt.p->type == TOPO_PATH_EXACT) {
					location(f, t, &rt, host, "= ", rt.p->path);
					continue;
				}
				if (!strcmp(p, "/")) {
					root = true;
					location(f, t, &rt, host, "", "/");
					continue;
				}
				/* An Exact rule for the same path wins over this Prefix one. */
				if (!exact_exists(t, host, p))
					location(f, t, &rt, host, "= ", p);
				snprintf(sub, sizeof(sub), "%s/", p);
				location(f, t, &rt, host, "", sub);
			}
		}
	if (!root)
		default_backend(f, "\t\tlocation / {\n", "host $host path $uri", "\t\t}\n");
}

/* Each host once, in the order the Ingresses name them. */
static bool host_seen(const struct topo *t, size_t i, size_t r)
{
	const char *host = t->ingresses[i].rules[r].host;

	for (size_t i2 = 0; i2 <= i; i2++)
		for (size_t r2 = 0; r2 < t->ingresses[i2].nrules && (i2 < i || r2 < r); r2++)
			if (!strcmp(t->ingresses[i2].rules[r2].host, host))
				return true;
	return false;
}

/* nginx keeps server names in a hash of fixed-size buckets and refuses to
 * start when the longest name does not fit one ("could not build
 * server_names_hash"). An entry is a pointer, a length and the name, padded
 * to a pointer: 264 bytes for the longest host (253), so a bucket of 1024
 * holds three of them. Eight slots per host keeps the chance that more than
 * three land in one bucket small at every size nginx tries. */
#define NGINX_NAMES_BUCKET 1024
#define NGINX_NAMES_MIN 512		/* nginx's own default */

static size_t names_hash_max(const struct topo *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++)
			n += !host_seen(t, i, r);
	return n * 8 > NGINX_NAMES_MIN ? n * 8 : NGINX_NAMES_MIN;
}

/* The master stays root (it binds 80 and 443 and reads the key); the
 * worker, which handles the traffic, runs as LAB_RUN_USER and its group. */
static void conf_write(FILE *f, const struct lab *l, const char *dir, const char *group)
{
	const struct topo *t = &l->topo;

	fprintf(f, "# podpath: the ingress controller of lab \"%s\", rendered from its Ingresses\n"
		"worker_processes 1;\ndaemon off;\nuser %s %s;\n"
		"events { worker_connections 256; }\n"
		"http {\n"
		"\tserver_names_hash_bucket_size %d;\n\tserver_names_hash_max_size %zu;\n"
		"\tlog_format ingress '$remote_addr $scheme \"$host\" \"$request\" $status "
		"upstream=$upstream_addr';\n"
		"\taccess_log %s/access.log ingress;\n"
		"\tclient_body_temp_path %s/tmp/body;\n\tproxy_temp_path %s/tmp/proxy;\n"
		"\tfastcgi_temp_path %s/tmp/fastcgi;\n\tuwsgi_temp_path %s/tmp/uwsgi;\n"
		"\tscgi_temp_path %s/tmp/scgi;\n"
		"\tssl_protocols TLSv1.2 TLSv1.3;\n"
		"\tssl_certificate %s/tls.crt;\n\tssl_certificate_key %s/tls.key;\n"
		"\tproxy_http_version 1.1;\n"
		/* ingress-nginx's proxy-connect-timeout and
		 * proxy-next-upstream-tries: a connection to an endpoint that
		 * nothing answers (a NetworkPolicy or a rule dropping it) ends
		 * in its 504 after 5 s a try, not nginx's 60, the longest
		 * trace --timeout; trace tells that 504 (trace/upstream.c). */
		"\tproxy_connect_timeout %ds;\n"
		"\tproxy_next_upstream_tries %d;\n"
		"\t# The default backend: hosts no Ingress names.\n"
		"\tserver {\n\t\tlisten %d default_server;\n\t\tlisten %d ssl default_server;\n",
		l->name, LAB_RUN_USER, group, NGINX_NAMES_BUCKET, names_hash_max(t), dir, dir, dir, dir, dir, dir, dir, dir,
		LAB_INGRESS_CONNECT_TIMEOUT_S, LAB_INGRESS_UPSTREAM_TRIES, TOPO_HTTP_PORT, TOPO_HTTPS_PORT);
	default_backend(f, "\t\tlocation / {\n", "host $host", "\t\t}\n\t}\n");
	upstreams(f, t);
	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t r = 0; r < t->ingresses[i].nrules; r++) {
			const char *host = t->ingresses[i].rules[r].host;
			bool tls = topo_ingress_tls(t, host);

			if (host_seen(t, i, r))
				continue;
			fprintf(f, "\tserver {\n\t\tserver_name %s;\n", host);
			if (tls) {
				fprintf(f, "\t\tlisten %d;\n\t\treturn 308 https://$host$request_uri;\n"
					"\t}\n\tserver {\n\t\tserver_name %s;\n\t\tlisten %d ssl;\n",
					TOPO_HTTP_PORT, host, TOPO_HTTPS_PORT);
			} else {
				fprintf(f, "\t\tlisten %d;\n", TOPO_HTTP_PORT);
			}
			host_locations(f, t, host);
			fprintf(f, "\t}\n");
		}
	fprintf(f, "}\n");
}

/* The TLS hosts of every Ingress, each once. */
/* The distinct TLS hosts of every Ingress, in an array the caller frees
 * (NULL with *n 0 when there are none or memory ran out). */
static const char **tls_hosts(const struct topo *t, size_t *n)
{
	const char **out;
	size_t max = 0;

	*n = 0;
	for (size_t i = 0; i < t->ningresses; i++)
		max += t->ingresses[i].ntls;
	out = max ? calloc(max, sizeof(*out)) : NULL;
	if (!out)
		return NULL;
	for (size_t i = 0; i < t->ningresses; i++)
		for (size_t h = 0; h < t->ingresses[i].ntls; h++) {
			bool dup = false;

			for (size_t k = 0; k < *n && !dup; k++)
				dup = !strcmp(out[k], t->ingresses[i].tls_hosts[h]);
			if (!dup)
				out[(*n)++] = t->ingresses[i].tls_hosts[h];
		}
	return out;
}

bool lab_has_ingress_controller(const struct lab *l)
{
	for (size_t i = 0; i < l->topo.npods; i++)
		for (size_t c = 0; c < l->topo.pods[i].ncontainers; c++)
			if (l->topo.pods[i].containers[c].image == TOPO_IMAGE_NGINX)
				return true;
	return false;
}

int lab_ingress_write(const struct lab *l, struct pp_err *e)
{
	static const char *const tmps[] = { "tmp", "tmp/body", "tmp/proxy", "tmp/fastcgi",
					    "tmp/uwsgi", "tmp/scgi" };
	const struct group *grp;
	const char **hosts;
	char dir[256], path[300], conf[256];
	size_t nhosts;
	FILE *f;
	int ret;

	if (!lab_has_ingress_controller(l))
		return 0;
	if (lab_path(l->name, "ingress", dir, sizeof(dir)) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -ENAMETOOLONG, "lab %s: run directory name too long",
				  l->name);
	if (lab_dir_create(dir, LAB_MODE_DIR, true) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot create %s: %s", dir, strerror(errno));
	/* nginx gives its temporary directories to its workers' user. */
	for (size_t i = 0; i < sizeof(tmps) / sizeof(tmps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, tmps[i]);
		if (lab_dir_create(path, i ? 0700 : LAB_MODE_DIR, true) < 0)
			return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot create %s: %s", path,
					  strerror(errno));
	}
	hosts = tls_hosts(&l->topo, &nhosts);
	for (size_t i = 0; !hosts && i < l->topo.ningresses; i++)
		if (l->topo.ingresses[i].ntls)
			return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	ret = lab_pki_write(l, hosts, nhosts, e);
	free(hosts);
	if (ret < 0)
		return ret;
	errno = 0;
	grp = getgrgid(l->run_gid);
	if (!grp)
		return pp_err_set(e, PP_EXIT_ENV, errno ? -errno : -ENOENT, "group %u of user "
				  "\"%s\", whom nginx's workers run as, has no name", (unsigned)l->run_gid,
				  LAB_RUN_USER);
	lab_path(l->name, "ingress/nginx.conf", conf, sizeof(conf));
	f = lab_file_create(conf, LAB_MODE_FILE);
	if (!f)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot write %s: %s", conf, strerror(errno));
	conf_write(f, l, dir, grp->gr_name);
	if (fclose(f) != 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot write %s: %s", conf, strerror(errno));
	return 0;
}
