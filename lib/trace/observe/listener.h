/* observe/listener — is anything in a namespace listening where a probe
 * goes: a TCP socket in LISTEN, or an unconnected bound UDP socket, on
 * proto/ip/port, asked of the kernel's socket tables (NETLINK_SOCK_DIAG,
 * inet_diag). A wildcard bind (0.0.0.0, or :: without IPV6_V6ONLY) counts
 * for every address. Addresses host order, port host order. */
#ifndef PODPATH_OBS_LISTENER_H
#define PODPATH_OBS_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct obs_listener {
	bool found;
	uint32_t addr;		/* the socket's bound address; 0 = wildcard */
	bool v6;		/* an AF_INET6 socket (:: or ::ffff:a.b.c.d) */
	int bound_if;		/* SO_BINDTODEVICE ifindex; 0 none */
	uint32_t inode;		/* the socket's inode (for obs_listener_process) */
	uint32_t uid;
	/* Not found, yet a socket listens on that port at another address
	 * (127.0.0.1 only, say): the usual reason for a refused connection. */
	bool elsewhere;
	uint32_t elsewhere_addr;
};

/* Look for a listener on proto (IPPROTO_TCP or IPPROTO_UDP) ip:port in
 * namespace netns; ip 0 = on any address. 0 with l filled (found or not),
 * -EPROTONOSUPPORT for another proto, or -errno. */
int obs_listener_find(const char *netns, uint8_t proto, uint32_t ip, uint16_t port,
		      struct obs_listener *l);
/* The process holding socket inode: looked for among the processes in
 * namespace netns (one stat per process on the host, one readdir of the
 * fds of each in netns), then among the others. 0 with pid and comm,
 * -ENOENT if none holds it, or -errno. */
int obs_listener_process(const char *netns, uint32_t inode, int *pid, char *comm, size_t len);

#endif
