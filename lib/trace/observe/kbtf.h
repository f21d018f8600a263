/* kbtf — the running kernel's BTF (/sys/kernel/btf/vmlinux), read fast.
 *
 * libbpf parses the whole 5 MB of kernel BTF each time a CO-RE program is
 * loaded (tens to hundreds of ms); a trace arms its observers for every
 * probe. Here the file is mapped, not copied (read where the kernel cannot
 * map it) and indexed in one pass, and only what a BPF program needs is
 * taken from it: a minimal BTF with just the kernel types it reads, for
 * libbpf's btf_custom_path, and the value names of an enum. */
#ifndef PODPATH_KBTF_H
#define PODPATH_KBTF_H

#include <stddef.h>
#include <stdint.h>

struct kbtf;

/* A kernel type a program reads: a struct or union (members: the ones to
 * keep, NULL-terminated, found also inside anonymous members) or an enum
 * (members NULL: every value). */
struct kbtf_want {
	const char *name;
	const char *const *members;
};

/* Map the kernel's BTF (indexed as lookups go). 0 or -errno (-ENOENT: no
 * kernel BTF, -EPROTO: not BTF as known here). */
int kbtf_open(struct kbtf **k);
/* Unmap and free; NULL is fine. */
void kbtf_close(struct kbtf *k);
/* A BTF (raw bytes, malloc'd, *len long) holding the wanted types with
 * the kernel's sizes and offsets: a struct keeps only its listed members,
 * each at its offset in the struct (anonymous members flattened); a type
 * they point to that is not wanted is an empty struct of the kernel's size.
 * 0, or -ENOENT if a type or member is missing, or -errno. */
int kbtf_minimal(struct kbtf *k, const struct kbtf_want *w, size_t n, void **raw,
		 size_t *len);
/* Call fn(value name, value, arg) for each value of enum NAME; stops when
 * fn returns non-zero and returns that. -ENOENT if there is no such enum. */
int kbtf_enum_for_each(struct kbtf *k, const char *name,
		       int (*fn)(const char *vname, int64_t val, void *arg), void *arg);

#endif
