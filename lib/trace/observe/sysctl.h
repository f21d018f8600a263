/* observe/sysctl — a namespace's net.* sysctls, read from /proc/sys/net as
 * opened inside it (that tree belongs to the opener's network namespace).
 * A key the namespace does not have (br_netfilter's bridge-nf-call-* before
 * the module is loaded, nf_conntrack_* before conntrack is) reads as
 * absent, never as 0. */
#ifndef PODPATH_OBS_SYSCTL_H
#define PODPATH_OBS_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

struct obs_sysctl_val {
	bool present;		/* false: no such key in that namespace */
	bool numeric;		/* str is one integer, in num */
	long num;
	char str[64];		/* the value, trailing newline removed */
};

/* The values a forwarding diagnosis asks about. */
struct obs_sysctls {
	struct obs_sysctl_val ip_forward;		/* net.ipv4.ip_forward */
	struct obs_sysctl_val rp_filter_all;		/* net.ipv4.conf.all.rp_filter */
	struct obs_sysctl_val rp_filter;		/* net.ipv4.conf.IF.rp_filter */
	struct obs_sysctl_val forwarding;		/* net.ipv4.conf.IF.forwarding */
	struct obs_sysctl_val bridge_nf_call_iptables;	/* net.bridge.bridge-nf-call-iptables */
	struct obs_sysctl_val conntrack_max;		/* net.netfilter.nf_conntrack_max */
	struct obs_sysctl_val conntrack_count;		/* net.netfilter.nf_conntrack_count */
};

/* Read one key ("net.ipv4.ip_forward" or "net/ipv4/ip_forward"; only net.*)
 * inside namespace netns. 0 with v filled, also when absent; -EINVAL for a
 * key outside net or with "..", or -errno. */
int obs_sysctl_get(const char *netns, const char *key, struct obs_sysctl_val *v);
/* The same in the calling thread's namespace (for a caller that is
 * already inside one, inside netns_run). */
int obs_sysctl_get_here(const char *key, struct obs_sysctl_val *v);
/* Read the whole obs_sysctls set in one visit; ifname (may be NULL: the
 * per-interface values read as absent) is the interface the packet came in on. */
int obs_sysctl_read(const char *netns, const char *ifname, struct obs_sysctls *s);
/* The rp_filter mode the kernel applies on that interface: the larger of
 * conf.all and conf.IF (0 off, 1 strict, 2 loose); -1 if neither is known. */
int obs_sysctl_rp_filter_mode(const struct obs_sysctls *s);
/* Pure: key as a path under /proc/sys ("net/ipv4/ip_forward"); dots become
 * slashes unless the key already has a slash. 0, or -EINVAL. */
int obs_sysctl_path(const char *key, char *buf, size_t len);

#endif
