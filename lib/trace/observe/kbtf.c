/* kbtf — the running kernel's BTF read fast; see kbtf.h.
 *
 * The raw BTF format (linux/btf.h): a header, then the type records one
 * after the other (type ids count from 1), then the string section. The
 * index is each record's offset, built only as far as a lookup needs:
 * the core types (sk_buff, net_device, the drop reasons) come early in
 * the kernel's BTF, so most of the 5 MB is never touched (each page
 * touched costs a fault, 1-5 us here). The minimal BTF is written with
 * libbpf's BTF writer. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/stat.h>

#include <bpf/btf.h>
#include <linux/btf.h>

#include "trace/observe/kbtf.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
/* Types copied into one minimal BTF: a handful per wanted type. */
#define COPY_MAX 256
/* Nesting of anonymous members (and of types copied through members). */
#define DEPTH_MAX 16

struct kbtf {
	const uint8_t *data;
	size_t size;
	bool mapped;
	const uint8_t *types;	/* type section */
	const char *strs;	/* string section */
	uint32_t types_len, strs_len;
	uint32_t *off;		/* off[id]: offset of type id in types (id >= 1) */
	uint32_t cap;		/* room in off: more than there can be types */
	uint32_t ntypes;	/* ids indexed so far */
	uint32_t pos;		/* offset of the first record not yet indexed */
	bool bad;		/* a record could not be read: the index ends there */
};

/* Size of the record of t, or 0 for a kind not known here. */
static size_t rec_size(const struct btf_type *t)
{
	size_t base = sizeof(*t);
	uint16_t vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_FWD: case BTF_KIND_CONST: case BTF_KIND_VOLATILE: case BTF_KIND_RESTRICT:
	case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_FUNC: case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return base;
	case BTF_KIND_INT:
		return base + sizeof(uint32_t);
	case BTF_KIND_ENUM:
		return base + vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return base + vlen * sizeof(struct btf_enum64);
	case BTF_KIND_ARRAY:
		return base + sizeof(struct btf_array);
	case BTF_KIND_STRUCT: case BTF_KIND_UNION:
		return base + vlen * sizeof(struct btf_member);
	case BTF_KIND_FUNC_PROTO:
		return base + vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return base + sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return base + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return base + sizeof(struct btf_decl_tag);
	default:
		return 0;
	}
}

/* Index one more record; false at the end of the section or a bad record. */
static bool index_next(struct kbtf *k)
{
	const struct btf_type *t = (const void *)(k->types + k->pos);
	size_t sz;

	if (k->bad || k->pos >= k->types_len)
		return false;
	if (k->types_len - k->pos < sizeof(*t) || !(sz = rec_size(t)) ||
	    sz > k->types_len - k->pos || k->ntypes + 1 >= k->cap) {
		k->bad = true;
		return false;
	}
	k->off[++k->ntypes] = k->pos;
	k->pos += (uint32_t)sz;
	return true;
}

static const struct btf_type *type_at(struct kbtf *k, uint32_t id)
{
	if (id == 0)
		return NULL;
	while (id > k->ntypes)
		if (!index_next(k))
			return NULL;
	return (const struct btf_type *)(k->types + k->off[id]);
}

static const char *name_at(const struct kbtf *k, uint32_t off)
{
	return off < k->strs_len ? k->strs + off : "";
}

/* The whole file, mapped where the kernel allows it (6.16 and later). */
static int file_load(struct kbtf *k)
{
	struct stat st;
	uint8_t *buf;
	size_t cap, n = 0;
	int fd, ret;

	fd = open(VMLINUX_BTF, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			k->data = m;
			k->size = (size_t)st.st_size;
			k->mapped = true;
			ret = 0;
			goto out;
		}
	}
	cap = st.st_size > 0 ? (size_t)st.st_size : 8u << 20;
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			free(buf);
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			uint8_t *b = realloc(buf, cap * 2);

			if (!b) {
				ret = -ENOMEM;
				free(buf);
				goto out;
			}
			buf = b;
			cap *= 2;
		}
	}
	k->data = buf;
	k->size = n;
	ret = 0;
out:
	close(fd);
	return ret;
}

/* Check the header and make room for the index. */
static int index_prepare(struct kbtf *k)
{
	const struct btf_header *h = (const void *)k->data;

	if (k->size < sizeof(*h) || h->magic != BTF_MAGIC || h->version != BTF_VERSION ||
	    h->hdr_len < sizeof(*h) || h->hdr_len > k->size ||
	    (uint64_t)h->hdr_len + h->type_off + h->type_len > k->size ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > k->size || h->str_len == 0)
		return -EPROTO;
	k->types = k->data + h->hdr_len + h->type_off;
	k->types_len = h->type_len;
	k->strs = (const char *)k->data + h->hdr_len + h->str_off;
	k->strs_len = h->str_len;
	if (k->strs[k->strs_len - 1] != '\0')
		return -EPROTO;
	/* A record is at least 12 bytes: a bound on the count. malloc's
	 * pages are only faulted in as far as the index grows. */
	k->cap = k->types_len / sizeof(struct btf_type) + 2;
	k->off = malloc(k->cap * sizeof(*k->off));
	if (!k->off)
		return -ENOMEM;
	return 0;
}

int kbtf_open(struct kbtf **out)
{
	struct kbtf *k = calloc(1, sizeof(*k));
	int ret;

	*out = NULL;
	if (!k)
		return -ENOMEM;
	ret = file_load(k);
	if (ret < 0)
		goto out;
	ret = index_prepare(k);
	if (ret < 0)
		goto out;
	*out = k;
	k = NULL;
out:
	kbtf_close(k);
	return ret;
}

void kbtf_close(struct kbtf *k)
{
	if (!k)
		return;
	if (k->mapped)
		munmap((void *)k->data, k->size);
	else
		free((void *)k->data);
	free(k->off);
	free(k);
}

#define KINDS_ENUM (1u << BTF_KIND_ENUM | 1u << BTF_KIND_ENUM64)
#define KINDS_TYPE (1u << BTF_KIND_STRUCT | 1u << BTF_KIND_UNION | KINDS_ENUM)

/* The first type named name of one of kinds (a mask of 1 << BTF_KIND_*):
 * its id, or 0. (A forward declaration is of another kind.) */
static uint32_t find_named(struct kbtf *k, const char *name, uint32_t kinds)
{
	const struct btf_type *t;

	for (uint32_t id = 1; (t = type_at(k, id)); id++)
		if ((kinds & 1u << btf_kind(t)) && !strcmp(name_at(k, t->name_off), name))
			return id;
	return 0;
}

int kbtf_enum_for_each(struct kbtf *k, const char *name,
		       int (*fn)(const char *vname, int64_t val, void *arg), void *arg)
{
	uint32_t id = find_named(k, name, KINDS_ENUM);
	const struct btf_type *t = type_at(k, id);
	int ret = 0;

	if (!t)
		return k->bad ? -EPROTO : -ENOENT;
	for (uint16_t i = 0; i < btf_vlen(t) && !ret; i++) {
		if (btf_kind(t) == BTF_KIND_ENUM) {
			const struct btf_enum *e = btf_enum(t) + i;
			int64_t v = btf_kflag(t) ? e->val : (int64_t)(uint32_t)e->val;

			ret = fn(name_at(k, e->name_off), v, arg);
		} else {
			const struct btf_enum64 *e = btf_enum64(t) + i;

			ret = fn(name_at(k, e->name_off), (int64_t)btf_enum64_value(e), arg);
		}
	}
	return ret;
}

/* Copying kernel types into the minimal BTF. */
struct copy {
	struct kbtf *k;
	const struct kbtf_want *w;
	size_t nw;
	struct btf *out;
	struct { uint32_t from; int to; } map[COPY_MAX];
	size_t nmap;
	uint32_t busy[DEPTH_MAX];	/* named structs being copied (for cycles) */
	size_t nbusy;
};

static int copy_type(struct copy *c, uint32_t id, int depth);

static const struct kbtf_want *want_find(const struct copy *c, const char *name)
{
	for (size_t i = 0; i < c->nw; i++)
		if (!strcmp(c->w[i].name, name))
			return &c->w[i];
	return NULL;
}

/* Member name of struct/union id, looked for also in its anonymous
 * members: its record, bit offset from the start of id and bitfield size. */
static int member_find(struct kbtf *k, uint32_t id, const char *name, uint32_t base,
		       int depth, const struct btf_member **mout, uint32_t *off, uint32_t *bits)
{
	const struct btf_type *t = type_at(k, id);
	const struct btf_member *m;

	if (!t || depth > DEPTH_MAX)
		return -ENOENT;
	m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = name_at(k, m->name_off);

		if (!strcmp(mn, name)) {
			*mout = m;
			*off = base + btf_member_bit_offset(t, i);
			*bits = btf_member_bitfield_size(t, i);
			return 0;
		}
		if (!*mn) {
			uint32_t mid = m->type;
			const struct btf_type *mt = type_at(k, mid);

			while (mt && (btf_is_mod(mt) || btf_is_typedef(mt)))
				mt = type_at(k, mid = mt->type);
			if (mt && btf_is_composite(mt) &&
			    !member_find(k, mid, name, base + btf_member_bit_offset(t, i), depth + 1,
					 mout, off, bits))
				return 0;
		}
	}
	return -ENOENT;
}

/* A struct or union: a wanted one with its listed members, an anonymous
 * one (reached through a member) whole, any other empty. */
static int copy_composite(struct copy *c, uint32_t id, const struct btf_type *t, int depth)
{
	const char *name = name_at(c->k, t->name_off);
	const struct kbtf_want *w = *name ? want_find(c, name) : NULL;
	const struct btf_member *ms[64];
	uint32_t offs[64], bits[64];
	int types[64];
	size_t n = 0;
	int ret, sid;

	if (w && w->members) {
		for (const char *const *mn = w->members; *mn; mn++) {
			if (n == 64)
				return -E2BIG;
			if (member_find(c->k, id, *mn, 0, 0, &ms[n], &offs[n], &bits[n]))
				return -ENOENT;
			n++;
		}
	} else if (!*name) {
		const struct btf_member *m = btf_members(t);

		for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
			if (n == 64)
				return -E2BIG;
			ms[n] = m;
			offs[n] = btf_member_bit_offset(t, i);
			bits[n] = btf_member_bitfield_size(t, i);
			n++;
		}
	}
	/* Member types first: a struct's fields follow its record. */
	if (*name) {
		if (c->nbusy == DEPTH_MAX)
			return -ELOOP;
		c->busy[c->nbusy++] = id;
	}
	for (size_t i = 0; i < n; i++) {
		types[i] = copy_type(c, ms[i]->type, depth + 1);
		if (types[i] < 0) {
			ret = types[i];
			goto out;
		}
	}
	sid = btf_is_struct(t) ? btf__add_struct(c->out, name, t->size)
			       : btf__add_union(c->out, name, t->size);
	if (sid < 0) {
		ret = sid;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		ret = btf__add_field(c->out, name_at(c->k, ms[i]->name_off), types[i], offs[i], bits[i]);
		if (ret < 0)
			goto out;
	}
	ret = sid;
out:
	if (*name)
		c->nbusy--;
	return ret;
}

static int copy_enum(struct copy *c, const struct btf_type *t)
{
	int id = btf__add_enum(c->out, name_at(c->k, t->name_off), t->size);

	if (id < 0 || btf_kind(t) != BTF_KIND_ENUM)
		return id < 0 ? id : -EOPNOTSUPP;
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		const struct btf_enum *e = btf_enum(t) + i;
		int ret = btf__add_enum_value(c->out, name_at(c->k, e->name_off), e->val);

		if (ret < 0)
			return ret;
	}
	return id;
}

static int copy_kind(struct copy *c, uint32_t id, const struct btf_type *t, int depth)
{
	const char *name = name_at(c->k, t->name_off);
	int ref, idx;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return btf__add_int(c->out, name, t->size, btf_int_encoding(t));
	case BTF_KIND_PTR:
		ref = copy_type(c, t->type, depth + 1);
		return ref < 0 ? ref : btf__add_ptr(c->out, ref);
	case BTF_KIND_TYPEDEF:
		ref = copy_type(c, t->type, depth + 1);
		return ref < 0 ? ref : btf__add_typedef(c->out, name, ref);
	case BTF_KIND_ARRAY:
		idx = copy_type(c, btf_array(t)->index_type, depth + 1);
		ref = copy_type(c, btf_array(t)->type, depth + 1);
		if (idx < 0 || ref < 0)
			return idx < 0 ? idx : ref;
		return btf__add_array(c->out, idx, ref, btf_array(t)->nelems);
	case BTF_KIND_STRUCT: case BTF_KIND_UNION:
		for (size_t i = 0; i < c->nbusy; i++)
			if (c->busy[i] == id)	/* a struct pointing to itself */
				return btf__add_fwd(c->out, name, btf_is_struct(t) ?
						    BTF_FWD_STRUCT : BTF_FWD_UNION);
		return copy_composite(c, id, t, depth);
	case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
		return copy_enum(c, t);
	case BTF_KIND_FWD:
		return btf__add_fwd(c->out, name, btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
	default:
		return -EOPNOTSUPP;
	}
}

/* The id in c->out of kernel type id (void is 0); modifiers (const,
 * volatile, ...) are left out: CO-RE skips them anyway. */
static int copy_type(struct copy *c, uint32_t id, int depth)
{
	const struct btf_type *t = type_at(c->k, id);
	int to;

	while (t && (btf_is_mod(t) || btf_kind(t) == BTF_KIND_TYPE_TAG))
		t = type_at(c->k, id = t->type);
	if (!t)
		return 0;
	if (depth > DEPTH_MAX)
		return -ELOOP;
	for (size_t i = 0; i < c->nmap; i++)
		if (c->map[i].from == id)
			return c->map[i].to;
	to = copy_kind(c, id, t, depth);
	if (to < 0)
		return to;
	if (c->nmap == COPY_MAX)
		return -E2BIG;
	c->map[c->nmap].from = id;
	c->map[c->nmap++].to = to;
	return to;
}

int kbtf_minimal(struct kbtf *k, const struct kbtf_want *w, size_t n, void **raw,
		 size_t *len)
{
	struct copy *c = calloc(1, sizeof(*c));
	const void *data;
	uint32_t size;
	int ret = 0;

	*raw = NULL;
	*len = 0;
	if (!c)
		return -ENOMEM;
	c->k = k;
	c->w = w;
	c->nw = n;
	c->out = btf__new_empty();
	if (!c->out) {
		ret = -errno;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t id = find_named(k, w[i].name, KINDS_TYPE);

		if (!id) {
			ret = k->bad ? -EPROTO : -ENOENT;
			goto out;
		}
		ret = copy_type(c, id, 0);
		if (ret < 0)
			goto out;
	}
	data = btf__raw_data(c->out, &size);
	if (!data) {
		ret = -errno;
		goto out;
	}
	*raw = malloc(size);
	if (!*raw) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(*raw, data, size);
	*len = size;
	ret = 0;
out:
	btf__free(c->out);
	free(c);
	return ret;
}
