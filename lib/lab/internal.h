/* Private to lib/lab/: state files, the lab lock, container processes. */
#ifndef PODPATH_LAB_INTERNAL_H
#define PODPATH_LAB_INTERNAL_H

#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>

#include "lab/lab.h"

/* /run/podpath/LAB[/file] into buf; -ENAMETOOLONG if it does not fit. */
int lab_path(const char *lab, const char *file, char *buf, size_t len);
/* Modes of what podpath writes under /run/podpath, whatever the caller's
 * umask: directories and files its programs read (dnsmasq and nginx run
 * unprivileged), private keys and the lock for root alone. */
#define LAB_MODE_DIR 0755
#define LAB_MODE_FILE 0644
#define LAB_MODE_SECRET 0600
/* Create or truncate path (never through a symlink) with exactly mode; a
 * stream to write, or NULL with errno set. */
FILE *lab_file_create(const char *path, mode_t mode);
/* mkdir path with exactly mode; an existing directory (exist_ok) is given
 * mode too. 0 or -1 with errno set. */
int lab_dir_create(const char *path, mode_t mode, bool exist_ok);
/* Take the lab's lock (/run/podpath/LAB.lock) for `what` ("setup",
 * "teardown": written into it with our pid), waiting up to timeout_ms or
 * until *interrupted (may be NULL) is set; returns the fd or -errno
 * (-EBUSY on time-out, -EINTR when interrupted, e set). */
int lab_lock(const char *lab, const char *what, int timeout_ms,
	     volatile sig_atomic_t *interrupted, struct pp_err *e);
/* 1 if another process holds the lab's lock now; then *pid and what are the
 * holder's as it wrote them, if it is still alive (else 0 and ""). */
int lab_lock_holder(const char *lab, pid_t *pid, char *what, size_t len);
/* Release; with remove, also delete the lock file (teardown). */
void lab_unlock(const char *lab, int fd, bool remove);
/* Write state.json (topology + pids) atomically. */
int lab_state_write(const struct lab *l, struct pp_err *e);
/* Write the DNS data (dns/): the cluster DNS's hosts file and dnsmasq
 * configuration, and the internet DNS's (internet.hosts, internet.conf). */
int lab_dns_write(const struct lab *l, struct pp_err *e);
/* /run/podpath/LAB/dns/FILE into buf. */
int lab_dns_path(const char *lab, const char *file, char *buf, size_t len);
/* Write the per-namespace resolv.conf files kubelet would give pods, and
 * resolv/_internet.conf for nodes and internet hosts (the internet DNS). */
int lab_resolv_write(const struct lab *l, struct pp_err *e);

/* Start path with argv, stdio on /dev/null and fds[i] as fd 3 + i, in its
 * own session with default signals, in the calling thread's namespace.
 * 0 or a positive errno. */
int lab_spawn(const char *path, char *const argv[], const int *fds, size_t nfds, pid_t *pid);
/* A program from Debian's package, where Debian installs it (/usr/sbin), or
 * a local build's /usr/local/sbin: its path in buf, or NULL if neither is
 * there. (Threads of setup call it at once: no static buffer.) */
const char *lab_program_find(const char *name, char *buf, size_t len);

/* Remove every object of one lab, found by ownership; the caller holds its
 * lock. r may be NULL. */
int lab_remove_objects(const char *lab, struct lab_teardown_report *r);

/* The unprivileged user every container program runs as: the responders,
 * nginx's workers, dnsmasq (its own default). */
#define LAB_RUN_USER "nobody"
/* Find podpath-responder, the container program, next to this podpath
 * binary, and LAB_RUN_USER; fills l->responder, l->run_uid, l->run_gid. */
int lab_responder_find(struct lab *l, struct pp_err *e);
/* Start the processes of every container of pod `pod`. The calling thread
 * must be in the pod's namespace: listening sockets are made here, so the
 * container is ready when this returns. Fills l->pids[pod]. */
int lab_pod_spawn(struct lab *l, size_t pod, struct pp_err *e);
/* Start container ci of pod `pod` as setup starts it (responder, dnsmasq
 * or nginx), the calling thread in the pod's namespace; fills
 * l->pids[pod][ci]. Needs l->responder and l->run_uid (lab_responder_find). */
int lab_container_spawn(struct lab *l, size_t pod, size_t ci, struct pp_err *e);
/* SIGKILL pid if it runs in namespace netns (pinned name) and wait until it
 * is gone. 0; -ESRCH if it is not there, or not in that namespace. */
int lab_proc_kill(pid_t pid, const char *netns);
/* The ingress controller's files (ingress/): nginx.conf rendered from the
 * Ingresses, the lab CA (ca.pem) and the TLS certificate; nothing when no
 * container runs nginx. */
int lab_ingress_write(const struct lab *l, struct pp_err *e);
bool lab_has_ingress_controller(const struct lab *l);
/* Make the lab CA (LAB_CA_FILE) and a server certificate for hosts
 * (ingress/tls.crt, tls.key) signed by it. */
int lab_pki_write(const struct lab *l, const char *const *hosts, size_t nhosts,
		  struct pp_err *e);
/* Start internet host h's program (responder or dnsmasq; none runs
 * nothing). The calling thread must be in the host's namespace. Fills
 * l->inet_pids[h]. */
int lab_host_spawn(struct lab *l, size_t h, struct pp_err *e);
/* A thread that starts pods' containers while setup builds the next pods. */
/* pthread_create with every signal blocked in the new thread. */
int lab_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);
struct lab_spawner;
int lab_spawner_start(struct lab *l, struct lab_spawner **s, struct pp_err *e);
/* Queue pod `pod` (its namespace is pinned) for its containers to start. */
int lab_spawner_push(struct lab_spawner *s, size_t pod);
/* Queue internet host h (its namespace is pinned) for its program to start. */
int lab_spawner_push_host(struct lab_spawner *s, size_t h);
/* Wait for every queued pod; the first error, if any. Frees s. */
int lab_spawner_finish(struct lab_spawner *s, struct pp_err *e);
/* SIGKILL every process whose network namespace has one of the inodes and
 * wait until they are gone. Returns how many were killed. */
int lab_procs_kill(const ino_t *inodes, size_t n);

/* Fill e from a failed kube-proxy batch on node `node`: the Service the
 * refused object belongs to, the object, the kernel's reason. */
struct nft_err;
int lab_proxy_err(struct pp_err *e, const struct topo *t, const char *node,
		  const struct nft_err *ne);
/* The same for a failed network-policy batch: the NetworkPolicy the
 * refused object belongs to (the batch's tag is its index). */
int lab_policy_err(struct pp_err *e, const struct topo *t, const char *node,
		   const struct nft_err *ne);

#endif
