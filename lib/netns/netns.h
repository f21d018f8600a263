/* netns — network namespaces exactly as iproute2 keeps them: a bind mount of
 * the namespace on /run/netns/NAME, so `ip netns`, `ip -n`, `nsenter` and
 * tcpdump see every lab namespace. Functions act on the calling thread. */
#ifndef PODPATH_NETNS_H
#define PODPATH_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define NETNS_RUN_DIR "/run/netns"

/* Make /run/netns exist and be a shared mount point, as `ip netns add` does. */
int netns_run_dir_prepare(void);
/* Move the calling thread into a new, empty network namespace. */
int netns_unshare(void);
/* Open the calling thread's current network namespace (O_CLOEXEC fd). */
int netns_self_fd(void);
/* Pin the calling thread's namespace as /run/netns/NAME (must not exist). */
int netns_pin(const char *name);
/* Open /run/netns/NAME, or NAME itself when it is an absolute path such as
 * /proc/PID/ns/net; fd or -errno. */
int netns_open(const char *name);
/* Switch the calling thread to the namespace behind fd. */
int netns_enter(int fd);
/* Unpin /run/netns/NAME: lazy unmount and unlink. -ENOENT if absent. */
int netns_remove(const char *name);
/* True if /run/netns/NAME is a pinned namespace (an nsfs mount). */
bool netns_is_pinned(const char *name);
/* Inode of the namespace pinned at NAME (identifies it in /proc/PID/ns/net). */
int netns_inode(const char *name, ino_t *ino);
/* The host's network namespace, as stat() shows it: pid 1's, not the
 * caller's (podpath may run inside a lab namespace). Where pid 1's is
 * hidden (a sandboxed init), kthreadd's, in the initial pid namespace:
 * kernel threads live in the initial network namespace. 0 or -errno. */
int netns_host_stat(struct stat *st);
/* Call fn for each entry of /run/netns whose name starts with prefix
 * (all if prefix is ""); stops early if fn returns non-zero, which is returned. */
int netns_for_each(const char *prefix, int (*fn)(const char *name, void *arg), void *arg);
/* Run fn(arg) with the calling thread inside namespace NAME (a name under
 * /run/netns or an absolute path) and come back; fn's result, or -errno if
 * entering or coming back failed. */
int netns_run(const char *name, int (*fn)(void *arg), void *arg);
/* A socket(domain, type, protocol) made inside namespace NAME; the calling thread
 * ends where it started. fd or -errno. */
int netns_socket(const char *name, int domain, int type, int protocol);
/* Write val to /proc/sys/<key> of the calling thread's namespace, e.g.
 * "net/ipv4/ip_forward". Only ever called inside lab namespaces. */
int netns_sysctl_set(const char *key, const char *val);
/* Read /proc/sys/<key> of the calling thread's namespace into buf, its
 * first line without the newline. 0 or -errno. */
int netns_sysctl_get(const char *key, char *buf, size_t len);

#endif
