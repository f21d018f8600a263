/* drops — kernel drop reasons of a probe's packets; see drops.h.
 *
 * The BPF object (drops.bpf.c) is embedded in the binary by bpftool's
 * skeleton. Arming is kept cheap because a trace arms for every probe:
 * - CO-RE: libbpf would parse all of the kernel's BTF (5 MB, 100+ ms on a
 *   busy machine); instead kbtf maps it and extracts just the types the
 *   program reads, and libbpf relocates against that (btf_custom_path, a
 *   memfd). Where that fails, libbpf parses the kernel's BTF itself.
 * - Reason names come from the same mapped BTF: a table of ~130 names.
 * - The function that dropped is named in the kernel by the program
 *   itself (bpf_snprintf "%ps", the kernel's own symbol lookup), so no
 *   /proc/kallsyms (~200k lines, generated as it is read) is read. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/mman.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "trace/observe/drops.h"
#include "trace/observe/drops_wire.h"
#include "trace/observe/kbtf.h"
#include "drops.skel.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define REASON_PREFIX "SKB_DROP_REASON_"
/* Events read from the ring but not yet handed out: a probe's drops are a
 * handful; beyond this they are counted as lost. */
#define QUEUE_MAX 4096
/* The verifier's log of a program the kernel refused, for its last line. */
#define LOG_SIZE (16 * 1024)

/* The kernel types drops.bpf.c reads: what its CO-RE relocations need. */
static const char *const skb_members[] = { "sk", "dev", "head", "network_header", "protocol", NULL };
static const char *const dev_members[] = { "name", "ifindex", "nd_net", NULL };
static const char *const sock_members[] = { "__sk_common", NULL };
static const char *const skc_members[] = { "skc_net", NULL };
static const char *const net_members[] = { "ns", NULL };
static const char *const ns_members[] = { "inum", NULL };
static const struct kbtf_want core_types[] = {
	{ "sk_buff", skb_members },
	{ "net_device", dev_members },
	{ "sock", sock_members },
	{ "sock_common", skc_members },
	{ "net", net_members },
	{ "ns_common", ns_members },
	{ "skb_drop_reason", NULL },
};

struct reason_name {
	uint32_t val;
	char name[64];
};

struct drops {
	struct drops_bpf *skel;
	struct ring_buffer *rb;
	bool all_netns;
	/* read from the ring, not yet returned: q[qhead..qlen) */
	struct drops_wire_event *q;
	size_t qhead, qlen, qcap;
	size_t lost;
	/* enum skb_drop_reason: from kbtf when armed; where that failed,
	 * from libbpf's parse at the first event (tried once) */
	struct reason_name *reasons;
	size_t nreasons;
	bool reasons_tried;
	struct drops_times times;
	char log[LOG_SIZE];
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* libbpf writes warnings and errors to stderr unless told otherwise; lib/
 * never prints, and what went wrong reaches the caller as errno and the
 * verifier's log. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

struct reasons {
	struct reason_name *r;
	size_t n, cap;
};

static int reason_add(const char *name, int64_t val, void *arg)
{
	struct reasons *rs = arg;
	size_t plen = strlen(REASON_PREFIX);

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 256;
		struct reason_name *r = realloc(rs->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		rs->r = r;
		rs->cap = cap;
	}
	if (!strncmp(name, REASON_PREFIX, plen))
		name += plen;
	rs->r[rs->n].val = (uint32_t)val;
	snprintf(rs->r[rs->n].name, sizeof(rs->r[rs->n].name), "%s", name);
	rs->n++;
	return 0;
}

/* The enum skb_drop_reason of the running kernel, from the mapped BTF. */
static int reasons_from_kbtf(struct kbtf *kb, struct reason_name **out, size_t *n)
{
	struct reasons rs = { 0 };
	int ret;

	ret = kbtf_enum_for_each(kb, "skb_drop_reason", reason_add, &rs);
	if (ret < 0) {
		free(rs.r);
		return ret;
	}
	*out = rs.r;
	*n = rs.n;
	return 0;
}

/* The same through libbpf's parser, where kbtf could not read the BTF. */
static int reasons_load(struct reason_name **out, size_t *n)
{
	struct reasons rs = { 0 };
	const struct btf_type *t;
	const struct btf_enum *m;
	struct btf *btf;
	int id, ret = 0;

	*out = NULL;
	*n = 0;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0) {
		ret = -ENOENT;
		goto out;
	}
	t = btf__type_by_id(btf, id);
	m = btf_enum(t);
	for (unsigned i = 0; i < btf_vlen(t) && ret == 0; i++, m++)
		ret = reason_add(btf__name_by_offset(btf, m->name_off) ?: "", (uint32_t)m->val, &rs);
	if (ret < 0)
		goto out;
	*out = rs.r;
	*n = rs.n;
	rs.r = NULL;
out:
	free(rs.r);
	btf__free(btf);
	return ret;
}

static const char *reason_find(const struct reason_name *r, size_t n, uint32_t val)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].val == val)
			return r[i].name;
	return NULL;
}

int drops_reason_name(uint32_t reason, char *buf, size_t len)
{
	struct reason_name *r = NULL;
	struct kbtf *kb;
	const char *name;
	size_t n = 0;
	int ret;

	ret = kbtf_open(&kb);
	if (ret == 0) {
		ret = reasons_from_kbtf(kb, &r, &n);
		kbtf_close(kb);
	}
	if (ret < 0)
		ret = reasons_load(&r, &n);
	if (ret < 0)
		return ret;
	name = reason_find(r, n, reason);
	if (name)
		snprintf(buf, len, "%s", name);
	else
		ret = -ENOENT;
	free(r);
	return ret;
}

static int queue_push(void *ctx, void *data, size_t size)
{
	struct drops *d = ctx;

	if (size < sizeof(struct drops_wire_event))
		return 0;
	if (d->qlen == d->qcap) {
		size_t cap = d->qcap ? d->qcap * 2 : 16;
		struct drops_wire_event *q;

		if (cap > QUEUE_MAX || !(q = realloc(d->q, cap * sizeof(*q)))) {
			d->lost++;
			return 0;
		}
		d->q = q;
		d->qcap = cap;
	}
	memcpy(&d->q[d->qlen++], data, sizeof(struct drops_wire_event));
	return 0;
}

/* "%ps" gives "name" or "name [module]". */
static void func_split(const char *ps, struct drop_event *ev)
{
	const char *sp = strchr(ps, ' ');
	size_t n = sp ? (size_t)(sp - ps) : strlen(ps);

	snprintf(ev->func, sizeof(ev->func), "%.*s", (int)n, ps);
	ev->module[0] = '\0';
	if (sp && sp[1] == '[') {
		const char *end = strchr(sp + 2, ']');

		if (end)
			snprintf(ev->module, sizeof(ev->module), "%.*s", (int)(end - sp - 2), sp + 2);
	}
}

static void event_convert(struct drops *d, const struct drops_wire_event *w, struct drop_event *ev)
{
	const char *name;
	char ps[DROPS_FUNC_MAX + 1];

	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = w->ts_ns;
	ev->netns_ino = w->netns_ino;
	ev->ifindex = w->ifindex;
	snprintf(ev->ifname, sizeof(ev->ifname), "%.*s", DROPS_IFNAME_MAX, w->ifname);
	ev->reason = w->reason;
	if (!d->reasons_tried) {
		d->reasons_tried = true;
		reasons_load(&d->reasons, &d->nreasons);
	}
	name = reason_find(d->reasons, d->nreasons, w->reason);
	snprintf(ev->reason_name, sizeof(ev->reason_name), "%s", name ? name : "");
	ev->location = w->location;
	memcpy(ps, w->func, DROPS_FUNC_MAX);
	ps[DROPS_FUNC_MAX] = '\0';
	func_split(ps, ev);
	ev->proto = w->proto;
	ev->saddr = ntohl(w->saddr);
	ev->daddr = ntohl(w->daddr);
	ev->sport = ntohs(w->sport);
	ev->dport = ntohs(w->dport);
	ev->tcp_flags = w->tcp_flags;
	ev->icmp_type = w->icmp_type;
	ev->icmp_code = w->icmp_code;
	ev->ttl = w->ttl;
	ev->ip_len = ntohs(w->ip_len);
	ev->ip_id = ntohs(w->ip_id);
	ev->icmp_err = w->icmp_err;
	ev->err_proto = w->err_proto;
	ev->err_saddr = ntohl(w->err_saddr);
	ev->err_daddr = ntohl(w->err_daddr);
	ev->err_sport = ntohs(w->err_sport);
	ev->err_dport = ntohs(w->err_dport);
}

int drops_read(struct drops *d, struct drop_event *ev, size_t max)
{
	size_t n = 0;

	while (n < max) {
		if (d->qhead == d->qlen) {
			int ret;

			d->qhead = d->qlen = 0;
			ret = ring_buffer__consume(d->rb);
			if (ret < 0)
				return ret;
			if (d->qlen == 0)
				break;
		}
		event_convert(d, &d->q[d->qhead++], &ev[n++]);
	}
	return (int)n;
}

int drops_key_add(struct drops *d, const struct drop_key *k)
{
	struct drops_wire_key w = {
		.proto = k->proto,
		.port = htons(k->port),
		.addr = htonl(k->addr),
	};
	uint8_t one = 1;

	if (bpf_map_update_elem(bpf_map__fd(d->skel->maps.keys), &w, &one, BPF_ANY))
		return -errno;
	return 0;
}

int drops_netns_add(struct drops *d, uint64_t ino)
{
	uint32_t k = (uint32_t)ino;
	uint8_t one = 1;

	/* Namespace inodes are the kernel's 32-bit ns.inum. */
	if (d->all_netns || ino > UINT32_MAX)
		return -EINVAL;
	if (bpf_map_update_elem(bpf_map__fd(d->skel->maps.netns), &k, &one, BPF_ANY))
		return -errno;
	return 0;
}

int drops_fd(const struct drops *d)
{
	return ring_buffer__epoll_fd(d->rb);
}

size_t drops_lost(const struct drops *d)
{
	return d->lost + (size_t)__atomic_load_n(&d->skel->bss->lost, __ATOMIC_RELAXED);
}

void drops_timing(const struct drops *d, struct drops_times *t)
{
	*t = d->times;
}

void drops_close(struct drops *d)
{
	if (!d)
		return;
	ring_buffer__free(d->rb);
	drops_bpf__destroy(d->skel);
	free(d->q);
	free(d->reasons);
	free(d);
}

/* The last non-empty line of the verifier's log: the reason it refused. */
static const char *log_last_line(char *log)
{
	size_t n = strnlen(log, LOG_SIZE - 1);
	char *p;

	log[n] = '\0';
	while (n > 0 && (log[n - 1] == '\n' || log[n - 1] == ' '))
		log[--n] = '\0';
	p = strrchr(log, '\n');
	return p ? p + 1 : log;
}

static int load_error(struct drops *d, int err, struct pp_err *e)
{
	const char *line = log_last_line(d->log);

	if (err == -EPERM)
		return pp_err_set(e, PP_EXIT_ENV, err,
				  "kernel drop reasons: not permitted to load a BPF program "
				  "(needs root, or CAP_BPF and CAP_PERFMON)");
	if (*line)
		return pp_err_set(e, PP_EXIT_ENV, err,
				  "kernel drop reasons: the kernel refused the BPF program: %s", line);
	return pp_err_set(e, PP_EXIT_ENV, err,
			  "kernel drop reasons: cannot load the BPF program: %s", strerror(-err));
}

static int attach_error(int err, struct pp_err *e)
{
	if (err == -ENOENT)
		return pp_err_set(e, PP_EXIT_ENV, err,
				  "kernel drop reasons: this kernel has no kfree_skb tracepoint");
	if (err == -EINVAL)
		return pp_err_set(e, PP_EXIT_ENV, err,
				  "kernel drop reasons: the kfree_skb tracepoint has no reason "
				  "argument (kernel older than 5.17?)");
	if (err == -EPERM)
		return pp_err_set(e, PP_EXIT_ENV, err,
				  "kernel drop reasons: not permitted to attach to kfree_skb "
				  "(needs root, or CAP_BPF and CAP_PERFMON)");
	return pp_err_set(e, PP_EXIT_ENV, err,
			  "kernel drop reasons: cannot attach to kfree_skb: %s", strerror(-err));
}

/* The kernel types the program reads, in a memfd for btf_custom_path,
 * and the reason names; -errno if the kernel's BTF could not be read here
 * (libbpf then parses it itself). */
static int core_btf_prepare(struct drops *d, int *memfd)
{
	struct kbtf *kb = NULL;
	void *raw = NULL;
	size_t len, done = 0;
	int fd = -1, ret;

	*memfd = -1;
	ret = kbtf_open(&kb);
	if (ret < 0)
		goto out;
	ret = kbtf_minimal(kb, core_types, sizeof(core_types) / sizeof(core_types[0]), &raw, &len);
	if (ret < 0)
		goto out;
	ret = reasons_from_kbtf(kb, &d->reasons, &d->nreasons);
	if (ret < 0)
		goto out;
	d->reasons_tried = true;
	fd = memfd_create("podpath-drops-btf", MFD_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	while (done < len) {
		ssize_t w = write(fd, (char *)raw + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			ret = -errno;
			goto out;
		}
		done += (size_t)w;
	}
	*memfd = fd;
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(raw);
	kbtf_close(kb);
	return ret;
}

int drops_open(struct drops **out, const uint64_t *netns_ino, size_t nns,
	       const struct drop_key *keys, size_t nkeys, struct pp_err *e)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct drops *d;
	uint64_t t0 = now_us(), t;
	char btf_path[64];
	int memfd = -1, ret;

	*out = NULL;
	for (size_t i = 0; i < nns; i++)
		if (netns_ino[i] > UINT32_MAX)
			return pp_err_set(e, PP_EXIT_USAGE, -EINVAL,
					  "kernel drop reasons: namespace inode %llu is not a namespace's",
					  (unsigned long long)netns_ino[i]);
	if (access(VMLINUX_BTF, R_OK))
		return pp_err_set(e, PP_EXIT_ENV, -errno,
				  "kernel drop reasons: the kernel has no BTF (%s: %m; "
				  "it needs CONFIG_DEBUG_INFO_BTF)", VMLINUX_BTF);
	d = calloc(1, sizeof(*d));
	if (!d)
		return pp_err_set(e, PP_EXIT_FAIL, -ENOMEM, "kernel drop reasons: %m");
	libbpf_set_print(libbpf_quiet);
	/* libbpf takes the minimal BTF by path: the memfd's, where /proc is. */
	if (core_btf_prepare(d, &memfd) == 0) {
		snprintf(btf_path, sizeof(btf_path), "/proc/self/fd/%d", memfd);
		if (access(btf_path, R_OK) == 0)
			opts.btf_custom_path = btf_path;
	}
	t = now_us();
	d->times.btf_us = t - t0;
	opts.kernel_log_buf = d->log;
	opts.kernel_log_size = sizeof(d->log);
	d->skel = drops_bpf__open_opts(&opts);
	if (!d->skel) {
		ret = pp_err_set(e, PP_EXIT_ENV, -errno,
				 "kernel drop reasons: cannot open the BPF object: %m");
		goto out;
	}
	d->all_netns = nns == 0;
	d->skel->rodata->filter_netns = !d->all_netns;
	d->times.open_us = now_us() - t;
	t = now_us();
	ret = drops_bpf__load(d->skel);
	if (ret) {
		ret = load_error(d, ret < 0 ? ret : -errno, e);
		goto out;
	}
	d->times.load_us = now_us() - t;
	for (size_t i = 0; i < nns; i++) {
		ret = drops_netns_add(d, netns_ino[i]);
		if (ret < 0) {
			pp_err_set(e, PP_EXIT_FAIL, ret, "kernel drop reasons: namespace %llu: %s",
				   (unsigned long long)netns_ino[i], strerror(-ret));
			goto out;
		}
	}
	for (size_t i = 0; i < nkeys; i++) {
		ret = drops_key_add(d, &keys[i]);
		if (ret < 0) {
			pp_err_set(e, PP_EXIT_FAIL, ret, "kernel drop reasons: key %u/%u: %s",
				   keys[i].proto, keys[i].port, strerror(-ret));
			goto out;
		}
	}
	t = now_us();
	ret = drops_bpf__attach(d->skel);
	if (ret) {
		ret = attach_error(ret < 0 ? ret : -errno, e);
		goto out;
	}
	d->times.attach_us = now_us() - t;
	d->rb = ring_buffer__new(bpf_map__fd(d->skel->maps.events), queue_push, d, NULL);
	if (!d->rb) {
		ret = pp_err_set(e, PP_EXIT_FAIL, -errno,
				 "kernel drop reasons: cannot read the ring buffer: %m");
		goto out;
	}
	d->times.total_us = now_us() - t0;
	*out = d;
	d = NULL;
	ret = 0;
out:
	if (memfd >= 0)
		close(memfd);
	drops_close(d);
	return ret;
}
