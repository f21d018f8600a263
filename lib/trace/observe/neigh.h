/* observe/neigh — the neighbour (ARP) entry a namespace holds for an IP on
 * an interface, and the real owner of an IP in another namespace (the link
 * holding that address), so a check can put the two side by side: "static
 * neighbour 10.244.2.5 -> 02:..:99, but the pod's eth0 is 02:..:11".
 * Addresses are host byte order. */
#ifndef PODPATH_OBS_NEIGH_H
#define PODPATH_OBS_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#ifndef OBS_IFNAMSIZ
#define OBS_IFNAMSIZ 16	/* IFNAMSIZ; net/if.h here would clash with linux/if.h */
#endif

struct obs_neigh {
	uint16_t state;		/* NUD_PERMANENT, NUD_REACHABLE, NUD_FAILED, ... */
	uint8_t flags;		/* NTF_* */
	bool has_lladdr;	/* an incomplete or failed entry has none */
	uint8_t lladdr[6];
};

struct obs_addr_owner {
	int ifindex;
	char ifname[OBS_IFNAMSIZ];
	uint8_t plen;		/* the address's prefix length */
	uint8_t mac[6];		/* the link's own address */
};

/* The entry for ip on ifname in namespace netns. 0, -ENOENT if the table
 * holds none, -ENODEV if there is no such interface, or -errno. */
int obs_neigh_get(const char *netns, const char *ifname, uint32_t ip, struct obs_neigh *n);
/* The link in namespace netns that holds address ip, and its MAC. 0,
 * -ENOENT if no link there holds it, or -errno. */
int obs_neigh_owner(const char *netns, uint32_t ip, struct obs_addr_owner *o);
/* "permanent", "reachable", "stale", "failed", ... for a NUD_* state;
 * "none" for 0; "0x.." in buf (16 bytes) for anything else. */
const char *obs_neigh_state_name(uint16_t state, char *buf);

#endif
