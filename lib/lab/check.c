/* check — read each namespace of a lab and compare it with the plan; see
 * check.h. Namespaces are read in parallel: a worker thread enters one
 * (setns is per thread), asks the kernel one dump per kind of object, comes
 * back, and compares; findings are kept per namespace and joined in order. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>

#include "lab/compare.h"
#include "lab/internal.h"
#include "netns/netns.h"

/* Workers at most: more than the CPUs only queue on them, and each holds
 * its namespace's sockets. */
#define CHECK_THREADS_MAX 8

/* ---- findings ---------------------------------------------------------------- */

struct lab_finding *lab_check_add(struct lab_check_list *out, enum lab_check_kind k,
				  const char *netns, const char *place)
{
	struct lab_finding *f;

	if (out->n == out->cap) {
		size_t ncap = out->cap ? out->cap * 2 : 16;
		void *nv = realloc(out->v, ncap * sizeof(*out->v));

		if (!nv)
			return NULL;
		out->v = nv;
		out->cap = ncap;
	}
	f = &out->v[out->n++];
	memset(f, 0, sizeof(*f));
	f->kind = k;
	snprintf(f->netns, sizeof(f->netns), "%s", netns);
	snprintf(f->place, sizeof(f->place), "%s", place);
	return f;
}

void lab_check_free(struct lab_check_list *out)
{
	free(out->v);
	memset(out, 0, sizeof(*out));
}

static const struct {
	const char *name;
	enum lab_check_how how;
} kinds[LAB_CK_NKINDS] = {
	[LAB_CK_NETNS_MISSING] = { "netns-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_PROCESS_DOWN] = { "process-down", LAB_CK_HOW_MISSING },
	[LAB_CK_PROCESS_UNPINNED] = { "process-unpinned", LAB_CK_HOW_CHANGED },
	[LAB_CK_NFT_TABLE_MISSING] = { "nft-table-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_LISTENER_MISSING] = { "listener-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_LINK_MISSING] = { "link-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_LINK_EXTRA] = { "link-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_LINK_KIND] = { "link-kind", LAB_CK_HOW_CHANGED },
	[LAB_CK_LINK_DOWN] = { "link-down", LAB_CK_HOW_CHANGED },
	[LAB_CK_LINK_MTU] = { "link-mtu", LAB_CK_HOW_CHANGED },
	[LAB_CK_LINK_MAC] = { "link-mac", LAB_CK_HOW_CHANGED },
	[LAB_CK_LINK_MASTER] = { "link-master", LAB_CK_HOW_CHANGED },
	[LAB_CK_LINK_ALIAS] = { "link-alias", LAB_CK_HOW_CHANGED },
	[LAB_CK_HAIRPIN] = { "hairpin", LAB_CK_HOW_CHANGED },
	[LAB_CK_ADDR_MISSING] = { "address-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_ADDR_EXTRA] = { "address-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_ROUTE_MISSING] = { "route-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_ROUTE_EXTRA] = { "route-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_ROUTE_CHANGED] = { "route-changed", LAB_CK_HOW_CHANGED },
	[LAB_CK_RULE_MISSING] = { "rule-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_RULE_EXTRA] = { "rule-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_NEIGH_MISSING] = { "neighbour-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_NEIGH_CHANGED] = { "neighbour-changed", LAB_CK_HOW_CHANGED },
	[LAB_CK_NEIGH_EXTRA] = { "neighbour-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_PROXY_MISSING] = { "proxy-arp-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_PROXY_EXTRA] = { "proxy-arp-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_FDB_MISSING] = { "fdb-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_FDB_CHANGED] = { "fdb-changed", LAB_CK_HOW_CHANGED },
	[LAB_CK_FDB_EXTRA] = { "fdb-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_SYSCTL] = { "sysctl", LAB_CK_HOW_CHANGED },
	[LAB_CK_CONNTRACK_FULL] = { "conntrack-full", LAB_CK_HOW_CHANGED },
	[LAB_CK_NFT_TABLE_EXTRA] = { "nft-table-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_NFT_TABLE_CHANGED] = { "nft-table-changed", LAB_CK_HOW_CHANGED },
	[LAB_CK_NFT_CHAIN_MISSING] = { "nft-chain-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_NFT_CHAIN_EXTRA] = { "nft-chain-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_NFT_CHAIN_CHANGED] = { "nft-chain-changed", LAB_CK_HOW_CHANGED },
	[LAB_CK_NFT_RULE_MISSING] = { "nft-rule-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_NFT_RULE_EXTRA] = { "nft-rule-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_NFT_RULE_ORDER] = { "nft-rule-order", LAB_CK_HOW_CHANGED },
	[LAB_CK_NFT_SET_MISSING] = { "nft-set-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_NFT_SET_EXTRA] = { "nft-set-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_NFT_SET_CHANGED] = { "nft-set-changed", LAB_CK_HOW_CHANGED },
	[LAB_CK_NFT_ELEM_MISSING] = { "nft-element-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_NFT_ELEM_EXTRA] = { "nft-element-extra", LAB_CK_HOW_EXTRA },
	[LAB_CK_NFT_ELEM_CHANGED] = { "nft-element-changed", LAB_CK_HOW_CHANGED },
	[LAB_CK_IPT_LEGACY_RULE] = { "iptables-legacy-rule", LAB_CK_HOW_EXTRA },
	[LAB_CK_IPT_LEGACY_POLICY] = { "iptables-legacy-policy", LAB_CK_HOW_CHANGED },
	[LAB_CK_IPT_LEGACY_CHAIN] = { "iptables-legacy-chain", LAB_CK_HOW_EXTRA },
	[LAB_CK_BGP_ROUTE_MISSING] = { "bgp-route-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_BGP_DAEMON_DOWN] = { "bgp-daemon-down", LAB_CK_HOW_MISSING },
	[LAB_CK_BGP_SESSION_MISSING] = { "bgp-session-missing", LAB_CK_HOW_MISSING },
	[LAB_CK_BGP_SESSION_DOWN] = { "bgp-session-down", LAB_CK_HOW_CHANGED },
	[LAB_CK_BGP_EXPORT_FILTERED] = { "bgp-export-filtered", LAB_CK_HOW_CHANGED },
	[LAB_CK_BGP_EXPORT_UNKNOWN] = { "bgp-export-unknown", LAB_CK_HOW_CHANGED },
};

const char *lab_check_kind_name(enum lab_check_kind k)
{
	return (unsigned)k < LAB_CK_NKINDS && kinds[k].name ? kinds[k].name : "unknown";
}

enum lab_check_how lab_check_kind_how(enum lab_check_kind k)
{
	return (unsigned)k < LAB_CK_NKINDS ? kinds[k].how : LAB_CK_HOW_CHANGED;
}

/* ---- commands ---------------------------------------------------------------- */

/* s as one shell word: as it is when nothing in it is special, else in
 * single quotes. */
static const char *sh_word(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			 "_-./:@%+=,") == strlen(s))
		return s;
	buf[o++] = '\'';
	for (; *s && o + 5 < len; s++) {
		if (*s == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

static void cmd_nft(const struct lab_finding *f, char *buf, size_t len)
{
	char t[300], n[600];

	switch (f->kind) {
	case LAB_CK_NFT_TABLE_MISSING:
	case LAB_CK_NFT_TABLE_EXTRA:
		snprintf(buf, len, "ip netns exec %s nft list tables", f->netns);
		break;
	case LAB_CK_NFT_TABLE_CHANGED:
		snprintf(buf, len, "ip netns exec %s nft list table %s %s", f->netns, f->key,
			 sh_word(f->nft_table, t, sizeof(t)));
		break;
	case LAB_CK_NFT_SET_MISSING:
	case LAB_CK_NFT_SET_EXTRA:
	case LAB_CK_NFT_SET_CHANGED:
	case LAB_CK_NFT_ELEM_MISSING:
	case LAB_CK_NFT_ELEM_EXTRA:
	case LAB_CK_NFT_ELEM_CHANGED:
		snprintf(buf, len, "ip netns exec %s nft list %s %s %s %s", f->netns,
			 f->nft_map ? "map" : "set", f->key, sh_word(f->nft_table, t, sizeof(t)),
			 sh_word(f->nft_name, n, sizeof(n)));
		break;
	default:	/* chains and rules: with handles, to delete or insert by */
		/* iptables' own tables (kube-proxy's iptables mode, written as
		 * iptables-nft writes them): iptables shows their rules as
		 * kube-proxy wrote them, and deletes them by number. */
		if (!strcmp(f->key, "ip") && (!strcmp(f->nft_table, "nat") ||
					      !strcmp(f->nft_table, "filter"))) {
			snprintf(buf, len, "ip netns exec %s iptables -t %s -S %s", f->netns,
				 f->nft_table, sh_word(f->nft_name, n, sizeof(n)));
			break;
		}
		snprintf(buf, len, "ip netns exec %s nft -a list chain %s %s %s", f->netns, f->key,
			 sh_word(f->nft_table, t, sizeof(t)), sh_word(f->nft_name, n, sizeof(n)));
		break;
	}
}

static const char *table_name(uint32_t table, char *buf, size_t len)
{
	if (table == 254)
		return "main";
	if (table == 255)
		return "local";
	if (table == 253)
		return "default";
	snprintf(buf, len, "%u", table);
	return buf;
}

void lab_check_command(const struct lab_finding *f, char *buf, size_t len)
{
	char t[16];

	switch (f->kind) {
	case LAB_CK_NETNS_MISSING:
		snprintf(buf, len, "ip netns list");
		break;
	case LAB_CK_PROCESS_DOWN:
		snprintf(buf, len, "ps -p %d", f->pid);
		break;
	case LAB_CK_PROCESS_UNPINNED:
		snprintf(buf, len, "ip netns identify %d", f->pid);
		break;
	case LAB_CK_LISTENER_MISSING:
		snprintf(buf, len, "ip netns exec %s ss -%snp sport = :%u", f->netns,
			 f->proto == IPPROTO_UDP ? "lu" : "lt", f->port);
		break;
	case LAB_CK_LINK_MISSING:
	case LAB_CK_LINK_EXTRA:
	case LAB_CK_LINK_KIND:
	case LAB_CK_LINK_DOWN:
	case LAB_CK_LINK_MTU:
	case LAB_CK_LINK_MAC:
	case LAB_CK_LINK_MASTER:
	case LAB_CK_LINK_ALIAS:
	case LAB_CK_HAIRPIN:
		snprintf(buf, len, "ip -n %s -d link show dev %s", f->netns, f->dev);
		break;
	case LAB_CK_ADDR_MISSING:
	case LAB_CK_ADDR_EXTRA:
		snprintf(buf, len, "ip -n %s -4 addr show dev %s", f->netns, f->dev);
		break;
	case LAB_CK_ROUTE_MISSING:
	case LAB_CK_ROUTE_EXTRA:
	case LAB_CK_ROUTE_CHANGED:
		snprintf(buf, len, "ip -n %s route show table %s exact %s", f->netns,
			 table_name(f->rt_table, t, sizeof(t)), f->key);
		break;
	case LAB_CK_RULE_MISSING:
	case LAB_CK_RULE_EXTRA:
		snprintf(buf, len, "ip -n %s rule show", f->netns);
		break;
	case LAB_CK_NEIGH_MISSING:
	case LAB_CK_NEIGH_CHANGED:
	case LAB_CK_NEIGH_EXTRA:
		snprintf(buf, len, "ip -n %s neigh show %s dev %s", f->netns, f->key, f->dev);
		break;
	case LAB_CK_PROXY_MISSING:
	case LAB_CK_PROXY_EXTRA:
		snprintf(buf, len, "ip -n %s neigh show proxy dev %s", f->netns, f->dev);
		break;
	case LAB_CK_FDB_MISSING:
	case LAB_CK_FDB_CHANGED:
	case LAB_CK_FDB_EXTRA:
		snprintf(buf, len, "bridge -n %s fdb show dev %s", f->netns, f->dev);
		break;
	case LAB_CK_SYSCTL:
		snprintf(buf, len, "ip netns exec %s sysctl %s", f->netns, f->key);
		break;
	case LAB_CK_CONNTRACK_FULL:
		snprintf(buf, len, "ip netns exec %s sysctl net.netfilter.nf_conntrack_count "
			 "net.netfilter.nf_conntrack_max", f->netns);
		break;
	case LAB_CK_IPT_LEGACY_RULE:
	case LAB_CK_IPT_LEGACY_POLICY:
	case LAB_CK_IPT_LEGACY_CHAIN:
		snprintf(buf, len, "ip netns exec %s iptables-legacy-save -t %s", f->netns, f->key);
		break;
	case LAB_CK_BGP_ROUTE_MISSING:
		snprintf(buf, len, "ip -n %s route show proto bird", f->netns);
		break;
	case LAB_CK_BGP_DAEMON_DOWN:
		snprintf(buf, len, "birdc -s %s show status", f->bird_ctl);
		break;
	case LAB_CK_BGP_SESSION_MISSING:
		snprintf(buf, len, "birdc -s %s show protocols", f->bird_ctl);
		break;
	case LAB_CK_BGP_SESSION_DOWN:
		snprintf(buf, len, "birdc -s %s show protocols all %s", f->bird_ctl, f->bgp_proto);
		break;
	case LAB_CK_BGP_EXPORT_FILTERED:
	case LAB_CK_BGP_EXPORT_UNKNOWN:
		snprintf(buf, len, "birdc -s %s show route noexport %s", f->bird_ctl, f->bgp_proto);
		break;
	default:
		cmd_nft(f, buf, len);
		break;
	}
}

/* ---- reading a namespace ------------------------------------------------------- */

/* /proc/sys/KEY of the calling thread's namespace, first line. */
static void sysctl_read(const char *key, struct lab_sysctl_obs *s)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		s->absent = true;
		return;
	}
	n = read(fd, s->value, sizeof(s->value) - 1);
	close(fd);
	s->value[n > 0 ? n : 0] = '\0';
	s->value[strcspn(s->value, "\n")] = '\0';
}

struct check_run {
	const struct lab *l;
	const size_t *which;		/* namespace indexes to check */
	size_t n;
	atomic_size_t next;
	struct lab_check_list *lists;	/* one per entry of which */
	int *errs;
	char conntrack_max[24];		/* the host's, read before entering any namespace */
	pthread_mutex_t ipt_lock;
};

/* The namespace's own address: where its listeners are looked up (one
 * bound to any address answers there too). */
static uint32_t own_addr(const struct lab_expect *x)
{
	for (size_t i = 0; i < x->naddrs; i++)
		if (!strcmp(x->addrs[i].dev, "eth0"))
			return x->addrs[i].addr;
	return 0;
}

/* Each port of each process: is something bound to it? */
static int listeners_read(const struct lab_expect *x, struct lab_observed *o)
{
	struct nl_diag *d;
	size_t n = 0, k = 0;
	int ret = 0;

	for (size_t i = 0; i < x->nprocs; i++)
		n += x->procs[i].nports;
	o->listening = calloc(n + 1, sizeof(*o->listening));
	if (!o->listening)
		return -ENOMEM;
	if (!n)
		return 0;
	d = nl_diag_open();
	if (!d)
		return -errno;
	for (size_t i = 0; ret >= 0 && i < x->nprocs; i++)
		for (size_t j = 0; ret >= 0 && j < x->procs[i].nports; j++) {
			const struct topo_port *p = &x->procs[i].ports[j];

			ret = nl_listener_find(d, p->proto == TOPO_PROTO_UDP ? IPPROTO_UDP :
					       IPPROTO_TCP, own_addr(x), p->port);
			o->listening[k++] = ret > 0;
		}
	nl_diag_close(d);
	return ret < 0 ? ret : 0;
}

/* Everything x's kinds of objects hold, read inside the namespace. */
static int observe(const struct check_run *r, const struct lab_expect *x, struct lab_observed *o)
{
	struct nl *nl = nl_open();
	int ret;

	if (!nl)
		return -errno;
	ret = nl_links_dump(nl, &o->links, &o->nlinks);
	if (ret == 0)
		ret = nl_addrs_dump(nl, &o->addrs, &o->naddrs);
	if (ret == 0)
		ret = nl_routes_dump(nl, &o->routes, &o->nroutes);
	if (ret == 0)
		ret = nl_rules_dump(nl, &o->rules, &o->nrules);
	if (ret == 0)
		ret = nl_neighs_dump(nl, false, &o->neighs, &o->nneighs);
	if (ret == 0 && x->read_proxies)
		ret = nl_neighs_dump(nl, true, &o->proxies, &o->nproxies);
	if (ret == 0 && x->read_fdb)
		ret = nl_fdb_dump(nl, &o->fdb, &o->nfdb);
	nl_close(nl);
	if (ret == 0)
		ret = nft_ruleset_read(&o->nft, NULL);
	o->sysctls = calloc(x->nsysctls + 1, sizeof(*o->sysctls));
	if (ret == 0 && !o->sysctls)
		ret = -ENOMEM;
	o->ct_count.absent = true;
	for (size_t i = 0; ret == 0 && i < x->nsysctls; i++) {
		sysctl_read(x->sysctls[i].key, &o->sysctls[i]);
		/* Conntrack's limit is planned here: how full is its table? */
		if (!strcmp(x->sysctls[i].key, "net/netfilter/nf_conntrack_max")) {
			o->ct_count.absent = false;	/* sysctl_read says when it is */
			sysctl_read("net/netfilter/nf_conntrack_count", &o->ct_count);
		}
	}
	if (ret == 0)
		ret = legacy_ipt_read((pthread_mutex_t *)&r->ipt_lock, &o->ipt, &o->nipt,
				      &o->ipt_tables);
	if (ret == 0 && x->nprocs)
		ret = listeners_read(x, o);
	return ret;
}

/* bgp networking: what the speaker's BIRD says, over its control socket
 * (a path: asked from anywhere). A BIRD that cannot be asked is a finding,
 * not a failure of check. */
static int bgp_observe(const struct lab_expect *x, struct lab_observed *o)
{
	struct bgp_ctl *c = NULL;
	char args[80];
	int ret;

	if (!x->bgp)
		return 0;
	ret = lab_bgp_peers(x->lab, x->bgp_speaker, &o->bgp_peers, &o->nbgp_peers);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		o->bird_err = ret;
		return 0;
	}
	o->bgp_filtered = calloc(x->nsessions + 1, sizeof(*o->bgp_filtered));
	if (!o->bgp_filtered)
		return -ENOMEM;
	o->bgp_filter_err = calloc(x->nsessions + 1, sizeof(*o->bgp_filter_err));
	if (!o->bgp_filter_err)
		return -ENOMEM;
	if (!x->announces)
		return 0;
	/* A second connection: lab_bgp_peers closed its own. One that fails
	 * leaves every session's filter unasked, a finding, never clean. */
	ret = lab_bgp_ctl_open(x->lab, x->bgp_speaker, &c);
	if (ret < 0) {
		for (size_t i = 0; i < x->nsessions; i++)
			o->bgp_filter_err[i] = ret;
		return 0;
	}
	/* Routes the export filter rejects, per session: the speaker's own
	 * pod CIDR must not be one. */
	for (size_t i = 0; i < x->nsessions; i++) {
		struct bgp_route *rv = NULL;
		size_t nr = 0;

		snprintf(args, sizeof(args), "noexport %s", x->sessions[i].proto);
		ret = bgp_routes(c, args, &rv, &nr);
		if (ret < 0) {
			o->bgp_filter_err[i] = ret;
			continue;
		}
		for (size_t k = 0; k < nr; k++)
			o->bgp_filtered[i] |= rv[k].prefix.addr == x->announce.addr &&
					      rv[k].prefix.len == x->announce.len;
		free(rv);
	}
	bgp_ctl_close(c);
	return 0;
}

/* Each process's state, seen from outside (by pid and namespace inode). */
static int procs_state(const struct lab_expect *x, struct lab_observed *o)
{
	o->procs = calloc(x->nprocs + 1, sizeof(*o->procs));
	if (!o->procs)
		return -ENOMEM;
	for (size_t i = 0; i < x->nprocs; i++)
		o->procs[i] = lab_process_state(x->netns, x->procs[i].pid, x->procs[i].image);
	return 0;
}

/* A namespace that is not there: that, and what became of its processes. */
static int check_gone(const struct lab_expect *x, struct lab_check_list *out)
{
	struct lab_observed o = { 0 };
	struct lab_finding *f = lab_check_add(out, LAB_CK_NETNS_MISSING, x->netns, x->place);
	int ret = -ENOMEM;

	if (!f)
		return ret;
	snprintf(f->object, sizeof(f->object), "namespace %s", x->netns);
	ret = procs_state(x, &o);
	for (size_t i = 0; ret == 0 && i < x->nprocs; i++) {
		if (o.procs[i] == LAB_HEALTH_OK)
			continue;
		f = lab_check_add(out, o.procs[i] == LAB_HEALTH_DOWN ? LAB_CK_PROCESS_DOWN :
				  LAB_CK_PROCESS_UNPINNED, x->netns, x->place);
		if (!f) {
			ret = -ENOMEM;
			break;
		}
		snprintf(f->object, sizeof(f->object), "%s", x->procs[i].what);
		f->pid = x->procs[i].pid;
		snprintf(f->expected, sizeof(f->expected), "running");
		snprintf(f->actual, sizeof(f->actual), "%s", o.procs[i] == LAB_HEALTH_DOWN ?
			 "not running" : "running in a namespace no longer pinned");
	}
	out->checked.processes += x->nprocs;
	lab_observed_free(&o);
	return ret;
}

static int check_ns(const struct check_run *r, size_t k, int origin, struct lab_check_list *out)
{
	struct nft_ruleset want = { 0 };
	struct lab_observed o = { 0 };
	struct lab_expect x;
	int fd = -1, ret;

	ret = lab_expect_make(r->l, k, r->conntrack_max, &x);
	if (ret < 0)
		return ret;
	out->checked.namespaces++;
	fd = netns_open(x.netns);
	if (fd == -ENOENT || (fd >= 0 && !netns_is_pinned(x.netns))) {
		ret = check_gone(&x, out);
		goto out;
	}
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	ret = lab_expect_nft(r->l, &x, &want);
	if (ret == 0)
		ret = procs_state(&x, &o);
	if (ret == 0)
		ret = bgp_observe(&x, &o);
	if (ret == 0)
		ret = netns_enter(fd);
	if (ret == 0) {
		ret = observe(r, &x, &o);
		if (netns_enter(origin) < 0 && ret == 0)
			ret = -EIO;	/* stranded in a lab namespace: stop */
	}
	if (ret == 0)
		ret = lab_compare(&x, &o, &want, out);
out:
	if (fd >= 0)
		close(fd);
	nft_ruleset_free(&want);
	lab_observed_free(&o);
	lab_expect_free(&x);
	return ret;
}

static void *worker(void *arg)
{
	struct check_run *r = arg;
	int origin = netns_self_fd();

	for (;;) {
		size_t i = atomic_fetch_add(&r->next, 1);

		if (i >= r->n)
			break;
		r->errs[i] = origin < 0 ? origin : check_ns(r, r->which[i], origin, &r->lists[i]);
	}
	if (origin >= 0)
		close(origin);
	return NULL;
}

/* Namespace indexes for the names asked about (all when names is NULL). */
static int pick(const struct lab *l, const char *const *names, size_t n, size_t **which,
		size_t *nwhich, struct pp_err *e)
{
	size_t total = lab_expect_count(l);

	*nwhich = names ? n : total;
	*which = calloc(*nwhich ? *nwhich : 1, sizeof(**which));
	if (!*which)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	for (size_t i = 0; i < *nwhich; i++) {
		size_t k = 0;

		if (!names) {
			(*which)[i] = i;
			continue;
		}
		while (k < total && strcmp(lab_expect_netns(l, k), names[i]))
			k++;
		if (k == total)
			return pp_err_set(e, PP_EXIT_USAGE, -ENOENT, "namespace \"%s\": not one of "
					  "lab \"%s\"'s", names[i], l->name);
		(*which)[i] = k;
	}
	return 0;
}

static int threads_for(size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t t = cpus > 0 ? (size_t)cpus : 1;

	if (t > CHECK_THREADS_MAX)
		t = CHECK_THREADS_MAX;
	return (int)(t < n ? t : n);
}

int lab_check_run(const struct lab *l, const char *const *netns, size_t n,
		  struct lab_check_list *out, struct pp_err *e)
{
	struct check_run r = { .l = l };
	struct lab_sysctl_obs ct = { .value = "" };
	pthread_t th[CHECK_THREADS_MAX];
	size_t *which = NULL;
	int nth = 0, ret;

	ret = pick(l, netns, n, &which, &r.n, e);
	if (ret < 0)
		goto out;
	r.which = which;
	r.lists = calloc(r.n + 1, sizeof(*r.lists));
	r.errs = calloc(r.n + 1, sizeof(*r.errs));
	if (!r.lists || !r.errs) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
		goto out;
	}
	/* The host's conntrack limit, which a node's namespace shows too. */
	sysctl_read("net/netfilter/nf_conntrack_max", &ct);
	if (!ct.absent)
		snprintf(r.conntrack_max, sizeof(r.conntrack_max), "%s", ct.value);
	pthread_mutex_init(&r.ipt_lock, NULL);
	atomic_init(&r.next, 0);
	/* This thread is a worker too: a lab of one namespace needs no other. */
	for (int want = threads_for(r.n) - 1; nth < want; nth++)
		if (lab_thread_start(&th[nth], worker, &r) != 0)
			break;
	worker(&r);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&r.ipt_lock);
	for (size_t i = 0; i < r.n; i++) {
		if (r.errs[i] < 0 && ret == 0)
			ret = pp_err_set(e, r.errs[i] == -EPERM || r.errs[i] == -EACCES ?
					 PP_EXIT_ENV : PP_EXIT_FAIL, r.errs[i],
					 "lab \"%s\": cannot read namespace %s: %s", l->name,
					 lab_expect_netns(l, which[i]), strerror(-r.errs[i]));
	}
	for (size_t i = 0; ret == 0 && i < r.n; i++) {
		const struct lab_check_counts *c = &r.lists[i].checked;
		struct lab_check_counts *t = &out->checked;

		for (size_t k = 0; k < r.lists[i].n; k++) {
			struct lab_finding *f = lab_check_add(out, r.lists[i].v[k].kind, "", "");

			if (!f) {
				ret = pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
				break;
			}
			*f = r.lists[i].v[k];
		}
		t->namespaces += c->namespaces;
		t->links += c->links;
		t->addresses += c->addresses;
		t->routes += c->routes;
		t->rules += c->rules;
		t->neighbours += c->neighbours;
		t->fdb += c->fdb;
		t->sysctls += c->sysctls;
		t->nft_tables += c->nft_tables;
		t->nft_chains += c->nft_chains;
		t->nft_rules += c->nft_rules;
		t->nft_sets += c->nft_sets;
		t->nft_elements += c->nft_elements;
		t->iptables_tables += c->iptables_tables;
		t->processes += c->processes;
		t->listeners += c->listeners;
		t->bgp_speakers += c->bgp_speakers;
		t->bgp_sessions += c->bgp_sessions;
	}
out:
	for (size_t i = 0; r.lists && i < r.n; i++)
		lab_check_free(&r.lists[i]);
	free(r.lists);
	free(r.errs);
	free(which);
	return ret;
}
