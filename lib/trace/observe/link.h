/* observe/link — one interface's state as the kernel holds it: admin and
 * operational state, carrier, MTU, its master, and for a bridge port the
 * port's STP state and hairpin mode (IFLA_BRPORT_* in the slave data of one
 * RTM_GETLINK answer); for a veth, where its peer is. */
#ifndef PODPATH_OBS_LINK_H
#define PODPATH_OBS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef OBS_IFNAMSIZ
#define OBS_IFNAMSIZ 16	/* IFNAMSIZ; net/if.h here would clash with linux/if.h */
#endif

struct obs_link {
	int ifindex;
	char name[OBS_IFNAMSIZ];
	char kind[16];		/* IFLA_INFO_KIND: "veth", "bridge", "vxlan", "" */
	bool admin_up;		/* IFF_UP: `ip link set up` */
	bool lower_up;		/* IFF_LOWER_UP */
	uint8_t operstate;	/* IF_OPER_* */
	bool carrier;		/* IFLA_CARRIER */
	unsigned mtu;
	uint8_t mac[6];
	int master;		/* ifindex of the master (bridge, VRF, bond); 0 none */
	char master_name[OBS_IFNAMSIZ];
	bool bridge_port;	/* a bridge's port: the two fields below are known */
	uint8_t port_state;	/* BR_STATE_DISABLED, _BLOCKING, _FORWARDING, ... */
	bool hairpin;		/* IFLA_BRPORT_MODE */
	int peer_ifindex;	/* veth: the peer's ifindex (IFLA_LINK); 0 unknown */
	int peer_nsid;		/* the peer's namespace as this one numbers it; -1: same */
};

/* The link named ifname in namespace netns. 0, -ENODEV if there is none,
 * or -errno. */
int obs_link_get(const char *netns, const char *ifname, struct obs_link *l);
/* The name under /run/netns (entries starting with prefix; "" = all) of the
 * namespace netns calls nsid, e.g. a veth's peer_nsid. Costs one open and
 * one RTM_GETNSID per entry. 0, -ENOENT if none is, or -errno. */
int obs_link_nsid_name(const char *netns, int nsid, const char *prefix, char *name, size_t len);
/* "up", "down", "lowerlayerdown", ... for IF_OPER_*; "unknown" otherwise. */
const char *obs_link_operstate_name(uint8_t operstate);
/* "disabled", "listening", "learning", "forwarding", "blocking"; "?" otherwise. */
const char *obs_link_port_state_name(uint8_t state);

#endif
