/* legacy — iptables-legacy's rules through libiptc; see legacy.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libiptc/libiptc.h>
#include <netinet/in.h>

#include "lab/legacy.h"

static struct legacy_item *item_add(struct legacy_item **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void *nv = realloc(*v, ncap * sizeof(**v));

		if (!nv)
			return NULL;
		*v = nv;
		*cap = ncap;
	}
	return memset(&(*v)[(*n)++], 0, sizeof(**v));
}

/* Append fmt to buf at *off, as far as it fits. */
__attribute__((format(printf, 4, 5)))
static void put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n < len ? *off + (size_t)n : len;
}

static int mask_len(struct in_addr m)
{
	uint32_t v = ntohl(m.s_addr);
	int n = 0;

	while (v & 0x80000000u) {
		n++;
		v <<= 1;
	}
	return n;
}

/* The rule in iptables-save's words, as far as its fixed part and the
 * names of its matches and target go. */
static void rule_text(const char *chain, const struct ipt_entry *e, struct xtc_handle *h,
		      char *buf, size_t len)
{
	const struct ipt_ip *ip = &e->ip;
	const char *target = iptc_get_target(e, h);
	char a[INET_ADDRSTRLEN];
	size_t off = 0;

	put(buf, len, &off, "-A %s", chain);
	if (ip->smsk.s_addr)
		put(buf, len, &off, " %s-s %s/%d", ip->invflags & IPT_INV_SRCIP ? "! " : "",
		    inet_ntop(AF_INET, &ip->src, a, sizeof(a)), mask_len(ip->smsk));
	if (ip->dmsk.s_addr)
		put(buf, len, &off, " %s-d %s/%d", ip->invflags & IPT_INV_DSTIP ? "! " : "",
		    inet_ntop(AF_INET, &ip->dst, a, sizeof(a)), mask_len(ip->dmsk));
	if (ip->iniface[0])
		put(buf, len, &off, " %s-i %.16s", ip->invflags & IPT_INV_VIA_IN ? "! " : "",
		    ip->iniface);
	if (ip->outiface[0])
		put(buf, len, &off, " %s-o %.16s", ip->invflags & IPT_INV_VIA_OUT ? "! " : "",
		    ip->outiface);
	if (ip->proto)
		put(buf, len, &off, " %s-p %s", ip->invflags & XT_INV_PROTO ? "! " : "",
		    ip->proto == IPPROTO_TCP ? "tcp" : ip->proto == IPPROTO_UDP ? "udp" :
		    ip->proto == IPPROTO_ICMP ? "icmp" : "other");
	for (size_t o = sizeof(*e); o + sizeof(struct xt_entry_match) <= e->target_offset;) {
		const struct xt_entry_match *m = (const void *)((const char *)e + o);

		if (m->u.match_size < sizeof(*m))
			break;
		put(buf, len, &off, " -m %.29s", m->u.user.name);
		o += m->u.match_size;
	}
	if (target && target[0])
		put(buf, len, &off, " -%c %s", ip->flags & IPT_F_GOTO ? 'g' : 'j', target);
}

static int table_read(const char *table, struct legacy_item **v, size_t *n, size_t *cap)
{
	struct xtc_handle *h = iptc_init(table);
	int ret = 0;

	if (!h)
		return errno == ENOENT ? 0 : -(errno ? errno : EIO);
	for (const char *c = iptc_first_chain(h); c && ret == 0; c = iptc_next_chain(h)) {
		struct legacy_item *it;
		unsigned idx = 0;

		if (iptc_builtin(c, h)) {
			struct xt_counters cnt;
			const char *pol = iptc_get_policy(c, &cnt, h);

			if (pol && strcmp(pol, "ACCEPT")) {
				it = item_add(v, n, cap);
				if (!it) {
					ret = -ENOMEM;
					break;
				}
				it->kind = LEGACY_POLICY;
				snprintf(it->text, sizeof(it->text), "%s", pol);
			} else {
				it = NULL;
			}
		} else {
			it = item_add(v, n, cap);
			if (!it) {
				ret = -ENOMEM;
				break;
			}
			it->kind = LEGACY_CHAIN;
			snprintf(it->text, sizeof(it->text), "-N %s", c);
		}
		if (it) {
			snprintf(it->table, sizeof(it->table), "%.31s", table);
			snprintf(it->chain, sizeof(it->chain), "%s", c);
		}
		for (const struct ipt_entry *e = iptc_first_rule(c, h); e && ret == 0;
		     e = iptc_next_rule(e, h)) {
			it = item_add(v, n, cap);
			if (!it) {
				ret = -ENOMEM;
				break;
			}
			it->kind = LEGACY_RULE;
			it->index = ++idx;
			snprintf(it->table, sizeof(it->table), "%.31s", table);
			snprintf(it->chain, sizeof(it->chain), "%s", c);
			rule_text(c, e, h, it->text, sizeof(it->text));
		}
	}
	iptc_free(h);
	return ret;
}

int legacy_ipt_read(pthread_mutex_t *lock, struct legacy_item **v, size_t *n, size_t *ntables)
{
	/* thread-self: /proc/net is the thread group leader's namespace. */
	FILE *f = fopen("/proc/thread-self/net/ip_tables_names", "re");
	char name[64];
	size_t cap = 0;
	int ret = 0;

	*v = NULL;
	*n = *ntables = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;	/* no ip_tables in this kernel */
	while (ret == 0 && fgets(name, sizeof(name), f)) {
		name[strcspn(name, "\n")] = '\0';
		if (!name[0])
			continue;
		pthread_mutex_lock(lock);
		ret = table_read(name, v, n, &cap);
		pthread_mutex_unlock(lock);
		(*ntables)++;
	}
	fclose(f);
	if (ret < 0) {
		free(*v);
		*v = NULL;
		*n = 0;
	}
	return ret;
}
