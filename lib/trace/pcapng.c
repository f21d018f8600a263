/* pcapng — every packet the trace captured, from every namespace, in one
 * file. pcapng rather than pcap: each capture point gets its own interface
 * block named "<place>:<ifname>", and each packet its direction, so
 * Wireshark shows where a packet was seen. Frames are Linux cooked v2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

#define LINKTYPE_LINUX_SLL2 276
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u

struct writer {
	FILE *f;
	bool failed;
};

static void put(struct writer *w, const void *p, size_t n)
{
	if (!w->failed && fwrite(p, 1, n, w->f) != n)
		w->failed = true;
}

static void put32(struct writer *w, uint32_t v)
{
	put(w, &v, 4);
}

static void put16(struct writer *w, uint16_t v)
{
	put(w, &v, 2);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void put_padded(struct writer *w, const void *p, size_t n)
{
	static const uint8_t zero[4];

	put(w, p, n);
	put(w, zero, pad4(n) - n);
}

/* An option: code, length, value padded to 4 bytes. */
static void put_opt(struct writer *w, uint16_t code, const void *v, size_t n)
{
	put16(w, code);
	put16(w, (uint16_t)n);
	put_padded(w, v, n);
}

static size_t opt_len(size_t n)
{
	return 4 + pad4(n);
}

static void write_shb(struct writer *w)
{
	static const char app[] = "podpath " PODPATH_VERSION;
	uint32_t len = (uint32_t)(28 + opt_len(sizeof(app) - 1) + 4);

	put32(w, BT_SHB);
	put32(w, len);
	put32(w, 0x1A2B3C4D);	/* byte-order magic: host order */
	put16(w, 1);
	put16(w, 0);
	put32(w, 0xffffffffu);	/* section length unknown */
	put32(w, 0xffffffffu);
	put_opt(w, 4, app, sizeof(app) - 1);	/* shb_userappl */
	put32(w, 0);		/* opt_endofopt */
	put32(w, len);
}

static void write_idb(struct writer *w, const char *name)
{
	const uint8_t tsresol = 9;	/* nanoseconds */
	size_t nl = strlen(name);
	uint32_t len = (uint32_t)(20 + opt_len(nl) + opt_len(1) + 4);

	put32(w, BT_IDB);
	put32(w, len);
	put16(w, LINKTYPE_LINUX_SLL2);
	put16(w, 0);
	put32(w, CAPTURE_SNAPLEN);
	put_opt(w, 2, name, nl);	/* if_name */
	put_opt(w, 9, &tsresol, 1);	/* if_tsresol */
	put32(w, 0);
	put32(w, len);
}

static void write_epb(struct writer *w, uint32_t ifid, const struct capture_pkt *k, const char *comment)
{
	uint32_t flags = k->outgoing ? 2 : 1;	/* epb_flags: outbound / inbound */
	size_t cl = strlen(comment);
	uint32_t len = (uint32_t)(32 + pad4(k->caplen) + opt_len(4) + (cl ? opt_len(cl) : 0) + 4);

	put32(w, BT_EPB);
	put32(w, len);
	put32(w, ifid);
	put32(w, (uint32_t)(k->ts_ns >> 32));
	put32(w, (uint32_t)k->ts_ns);
	put32(w, k->caplen);
	put32(w, k->wirelen);
	put_padded(w, k->data, k->caplen);
	put_opt(w, 2, &flags, 4);
	if (cl)
		put_opt(w, 1, comment, cl);	/* opt_comment */
	put32(w, 0);
	put32(w, len);
}

/* In time, and at one time in capture order (qsort is not stable). */
static int by_time(const void *a, const void *b, void *pkts)
{
	const struct capture_pkt *all = pkts;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	uint64_t x = all[i].ts_ns, y = all[j].ts_ns;

	return x != y ? (x < y ? -1 : 1) : (i > j) - (i < j);
}

/* A capture point: its namespace and interface index, which two traces
 * (the DNS query's, the connection's) share. A namespace's name is at most
 * NAME_MAX (trace_ns_add() holds its label to that); a key cut short could
 * make two capture points one. */
#define IF_KEY_MAX (NAME_MAX + 16)

/* The packets of one trace; ifs holds the capture points given interface
 * blocks so far, so a point both traces saw is one interface. 0,
 * -ENAMETOOLONG (a namespace name past NAME_MAX) or -ENOMEM. */
static int write_trace(struct writer *w, const struct trace *t, const char *phase,
		       char (**ifs)[IF_KEY_MAX], size_t *nifs, size_t *cap)
{
	const struct capture_pkt *all;
	size_t n, *order;

	if (!t->cap)
		return 0;
	all = capture_packets(t->cap, &n);
	/* The captures come per namespace; the file is read as a timeline. */
	order = malloc((n ? n : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_time, (void *)all);
	for (size_t k = 0; k < n; k++) {
		char name[TRACE_LABEL_MAX + IF_NAMESIZE + 1], key[IF_KEY_MAX], comment[96] = "";
		size_t i = order[k], id;
		int kl = snprintf(key, sizeof(key), "%s/%d", t->ns[all[i].ns] ? t->ns[all[i].ns] : "",
				  all[i].ifindex);

		if (kl < 0 || (size_t)kl >= sizeof(key)) {
			free(order);
			return -ENAMETOOLONG;
		}
		for (id = 0; id < *nifs && strcmp((*ifs)[id], key); id++)
			;
		if (id == *nifs) {
			if (*nifs == *cap) {
				size_t ncap = *cap ? *cap * 2 : 16;
				void *ni = realloc(*ifs, ncap * sizeof(**ifs));

				if (!ni) {
					free(order);
					return -ENOMEM;
				}
				*ifs = ni;
				*cap = ncap;
			}
			memcpy((*ifs)[(*nifs)++], key, sizeof(key));
			snprintf(name, sizeof(name), "%s:%s", t->ns_label[all[i].ns], all[i].ifname);
			write_idb(w, name);
		}
		for (size_t h = 0; h < t->nhops; h++)
			if (t->hops[h].pkt == &all[i])
				snprintf(comment, sizeof(comment), "podpath %shop %zu%s", phase, h + 1,
					 t->hops[h].reply ? " (reply)" : "");
		write_epb(w, (uint32_t)id, &all[i], comment);
	}
	free(order);
	return 0;
}

int trace_pcapng_write(const struct trace *const *tr, const char *const *phase, size_t ntr,
		       const char *path, struct pp_err *e)
{
	struct writer w = { 0 };
	char (*ifs)[IF_KEY_MAX] = NULL;
	size_t nifs = 0, cap = 0;
	int ret = 0;

	w.f = strcmp(path, "-") ? fopen(path, "we") : stdout;
	if (!w.f)
		return pp_err_set(e, PP_EXIT_USAGE, -errno, "pcapng file \"%s\": %s", path, strerror(errno));
	write_shb(&w);
	for (size_t i = 0; i < ntr && ret == 0; i++) {
		ret = write_trace(&w, tr[i], phase[i], &ifs, &nifs, &cap);
		if (ret < 0)
			ret = pp_err_set(e, PP_EXIT_FAIL, ret, "pcapng file \"%s\": %s", path,
					 strerror(-ret));
	}
	if (ret == 0 && w.failed)
		ret = pp_err_set(e, PP_EXIT_FAIL, -EIO, "pcapng file \"%s\": write failed", path);
	free(ifs);
	if (w.f && w.f != stdout && fclose(w.f) != 0 && ret == 0)
		ret = pp_err_set(e, PP_EXIT_FAIL, -errno, "pcapng file \"%s\": %s", path, strerror(errno));
	return ret;
}
