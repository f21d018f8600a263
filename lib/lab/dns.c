/* dns — the cluster DNS's data: a hosts file and a dnsmasq configuration in
 * /run/podpath/LAB/dns/, written from the resolved topology before any
 * container starts, with the records kube-dns serves:
 *   <svc>.<ns>.svc.<domain>            A: the ClusterIP; headless: the pods
 *   <a-b-c-d>.<svc>.<ns>.svc.<domain>  A: each pod behind a headless Service
 *   _<port>._<proto>.<svc>.<ns>.svc... SRV for each named port
 *   <a-b-c-d>.<ns>.pod.<domain>        A: every pod
 * Other names under the domain are NXDOMAIN (dnsmasq's local=). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/internal.h"

/* 10.244.1.2 -> "10-244-1-2", as Kubernetes names pod records. */
static void dashed(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u-%u-%u-%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void hosts_write(FILE *f, const struct topo *t)
{
	const char *dom = t->net.domain;
	char a[ADDR_STRLEN], d[20];

	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *s = &t->services[i];

		if (s->type != TOPO_SVC_HEADLESS) {
			fprintf(f, "%s %s.%s.svc.%s\n", addr_fmt(s->cluster_ip, a), s->name, s->ns, dom);
			continue;
		}
		for (size_t e = 0; e < s->nendpoints; e++) {
			uint32_t ip = t->pods[s->endpoints[e].pod].ip;

			dashed(ip, d, sizeof(d));
			fprintf(f, "%s %s.%s.svc.%s %s.%s.%s.svc.%s\n", addr_fmt(ip, a), s->name, s->ns,
				dom, d, s->name, s->ns, dom);
		}
	}
	for (size_t i = 0; i < t->npods; i++) {
		dashed(t->pods[i].ip, d, sizeof(d));
		fprintf(f, "%s %s.%s.pod.%s\n", addr_fmt(t->pods[i].ip, a), d, t->pods[i].ns, dom);
	}
}

static void srv_write(FILE *f, const struct topo *t)
{
	const char *dom = t->net.domain;
	char d[20];

	for (size_t i = 0; i < t->nservices; i++) {
		const struct topo_service *s = &t->services[i];

		for (size_t pi = 0; pi < s->nports; pi++) {
			const struct topo_svc_port *p = &s->ports[pi];
			const char *proto = p->proto == TOPO_PROTO_UDP ? "udp" : "tcp";

			if (!p->name[0])
				continue;
			if (s->type != TOPO_SVC_HEADLESS) {
				fprintf(f, "srv-host=_%s._%s.%s.%s.svc.%s,%s.%s.svc.%s,%u\n", p->name, proto,
					s->name, s->ns, dom, s->name, s->ns, dom, p->port);
				continue;
			}
			/* Headless: one target per pod, on the pod's own port. */
			for (size_t e = 0; e < s->nendpoints; e++) {
				if (!s->endpoints[e].port[pi])
					continue;
				dashed(t->pods[s->endpoints[e].pod].ip, d, sizeof(d));
				fprintf(f, "srv-host=_%s._%s.%s.%s.svc.%s,%s.%s.%s.svc.%s,%u\n", p->name,
					proto, s->name, s->ns, dom, d, s->name, s->ns, dom,
					s->endpoints[e].port[pi]);
			}
		}
	}
}

int lab_dns_path(const char *lab, const char *file, char *buf, size_t len)
{
	char name[64];

	snprintf(name, sizeof(name), "dns/%s", file);
	return lab_path(lab, name, buf, len);
}

/* The internet's DNS: every internet host and ingress host by name, and nothing else
 * (local=/#/: any other name is NXDOMAIN; nothing is forwarded, so the lab
 * never asks a real DNS server). */
static int internet_write(const struct lab *l, const char *dir, struct pp_err *e)
{
	char hosts[256], conf[256], log[256], a[ADDR_STRLEN];
	FILE *f;

	lab_dns_path(l->name, "internet.hosts", hosts, sizeof(hosts));
	lab_dns_path(l->name, "internet.conf", conf, sizeof(conf));
	lab_dns_path(l->name, "internet.log", log, sizeof(log));
	f = lab_file_create(hosts, LAB_MODE_FILE);
	if (!f)
		goto fail;
	for (size_t i = 0; i < l->topo.inet.nhosts; i++)
		fprintf(f, "%s %s\n", addr_fmt(l->topo.inet.hosts[i].ip, a), l->topo.inet.hosts[i].name);
	/* Ingress hosts: the public IP of the load balancer in front of the
	 * ingress controller, as external-dns would publish them. */
	if (topo_ingress_lb(&l->topo))
		for (size_t i = 0; i < l->topo.ningresses; i++)
			for (size_t r = 0; r < l->topo.ingresses[i].nrules; r++)
				fprintf(f, "%s %s\n", addr_fmt(topo_ingress_lb(&l->topo)->lb_ip, a),
					l->topo.ingresses[i].rules[r].host);
	if (fclose(f) != 0)
		goto fail;
	f = lab_file_create(conf, LAB_MODE_FILE);
	if (!f)
		goto fail;
	fprintf(f, "# podpath: the internet's DNS of lab \"%s\"\n"
		"port=%d\nno-resolv\nno-hosts\nno-poll\naddn-hosts=%s\nlocal=/#/\n"
		"local-ttl=300\npid-file=\nlog-facility=%s\n", l->name, TOPO_DNS_PORT, hosts, log);
	if (fclose(f) != 0)
		goto fail;
	return 0;
fail:	/* f is closed: fclose closes it even when it fails */
	return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot write the internet DNS data in %s: %s",
			  dir, strerror(errno));
}

int lab_dns_write(const struct lab *l, struct pp_err *e)
{
	char dir[256], hosts[256], conf[256], log[256];
	FILE *f = NULL;
	int ret = 0;

	if (lab_path(l->name, "dns", dir, sizeof(dir)) < 0 ||
	    lab_dir_create(dir, LAB_MODE_DIR, true) < 0)
		return pp_err_set(e, PP_EXIT_ENV, -errno, "cannot create %s: %s", dir, strerror(errno));
	lab_dns_path(l->name, "hosts", hosts, sizeof(hosts));
	lab_dns_path(l->name, "dnsmasq.conf", conf, sizeof(conf));
	lab_dns_path(l->name, "dnsmasq.log", log, sizeof(log));
	f = lab_file_create(hosts, LAB_MODE_FILE);
	if (!f)
		goto fail;
	hosts_write(f, &l->topo);
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = lab_file_create(conf, LAB_MODE_FILE);
	if (!f)
		goto fail;
	fprintf(f, "# podpath: the cluster DNS of lab \"%s\" (kube-dns)\n"
		"port=%d\n"
		"no-resolv\n"		/* upstream: the internet's DNS below, never the host's */
		"no-hosts\n"		/* not the host's /etc/hosts either */
		"no-poll\n"
		"addn-hosts=%s\n"
		"local=/%s/\n"		/* unknown cluster names: NXDOMAIN */
		"local-ttl=30\n"	/* kube-dns's TTL */
		"pid-file=\n"
		"log-facility=%s\n",
		l->name, TOPO_DNS_PORT, hosts, l->topo.net.domain, log);
	srv_write(f, &l->topo);
	/* Names outside the cluster go on to the internet, as CoreDNS's
	 * forward plugin does (through the node's SNAT and the gateway). */
	if (topo_inet_dns(&l->topo))
		fprintf(f, "server=%s\n", addr_fmt(topo_inet_dns(&l->topo)->ip,
						    (char[ADDR_STRLEN]){ 0 }));
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	return internet_write(l, dir, e);
fail:
	ret = pp_err_set(e, PP_EXIT_ENV, -errno, "cannot write the cluster DNS data in %s: %s",
			 dir, strerror(errno));
	if (f)
		fclose(f);
	return ret;
}
