/* Private to lib/lab/break*.c: the record of a change and how to revert
 * it, the context a fault is applied in, and the changes faults are made of.
 *
 * A fault's apply() is a few calls to the brk_* changes below; each change
 * reads what it replaces from the kernel, makes its change and, only once
 * the kernel has accepted it, appends a struct brk_change to the context.
 * Undo is the same for every fault: the record reverted, last change first. */
#ifndef PODPATH_LAB_BREAK_INT_H
#define PODPATH_LAB_BREAK_INT_H

#include <stdint.h>

#include "lab/break.h"
#include "lab/internal.h"
#include "nft/nft.h"

enum brk_kind {
	BRK_SYSCTL,		/* key: the value old was replaced */
	BRK_ROUTE_ADDED,	/* msg: the route as the kernel holds it */
	BRK_ROUTE_DELETED,	/* msg: the route as the kernel held it */
	BRK_LINK_MTU,		/* ifindex: MTU num was replaced */
	BRK_LINK_UP,		/* ifindex: administrative state num (1 up) was replaced */
	BRK_LINK_MASTER,	/* ifindex: bridge num (its hairpin num2) was left */
	BRK_HAIRPIN,		/* ifindex: hairpin num was replaced */
	BRK_NEIGH,		/* ifindex, num2 the address: entry (state, mac) replaced */
	BRK_PROCESS,		/* container num2 of pod num was killed */
	BRK_NFT_TABLE,		/* table key of family was added */
	BRK_NFT_RULE_DELETED,	/* msg: rule of chain name in table key, after rule position */
	BRK_NFT_RULE_REPLACED,	/* msg: rule handle as it was */
	BRK_NFT_RULE_ADDED,	/* rule handle was added to chain name */
	BRK_NFT_ELEM_DELETED,	/* msg: the element as it was */
	BRK_NFT_ELEM_ADDED,	/* msg: the element added */
	BRK_IPT_RULE,		/* msg: ipt_entry appended to chain name of table key */
	BRK_CT_FILL,		/* num conntrack entries with mark num2 were added */
	BRK_POLICY_ADDED,	/* NetworkPolicy key/name was added to the lab's policies */
	BRK_BGP_STOPPED,	/* node num's BIRD was stopped */
	BRK_BGP_CONF,		/* node num's BIRD configuration got fault kind num2, reloaded */
	BRK_KIND_COUNT
};

struct brk_change {
	struct lab_break_change shown;
	enum brk_kind kind;
	char netns[LAB_NETNS_MAX];
	char key[128];		/* sysctl key ("net/ipv4/ip_forward"); table */
	char name[256];		/* chain or set */
	char old[64];		/* sysctl: the value replaced */
	uint32_t family;	/* NFPROTO_* */
	int ifindex;
	long long num, num2;
	uint64_t handle, position;
	uint16_t state;		/* NEIGH: the entry replaced (0: none) */
	uint8_t mac[6];
	uint8_t *msg;		/* a kernel message (owned) */
	size_t len;
};

/* Where a change is made: the namespace and its name in reports. */
struct brk_where {
	char netns[LAB_NETNS_MAX];
	char name[2 * TOPO_LABEL_MAX + 16];	/* "node node-2" */
};

struct brk_ctx {
	struct lab *l;
	const struct lab_break_target *t;
	struct brk_change *v;		/* the record, in the order made */
	size_t n, cap;
	struct pp_err *e;
};

/* A row of the catalogue (break_faults.c). */
struct brk_fault {
	struct lab_break_fault info;	/* first: what the public API hands out */
	/* What the lab must hold beyond the mode (NULL: nothing): 0, or
	 * -EOPNOTSUPP with the reason in why. */
	int (*applies)(const struct lab *l, char *why, size_t len);
	/* Can the fault act on t (of info.place)? NULL: on every one. */
	bool (*target_ok)(const struct lab *l, const struct lab_break_target *t, char *why,
			  size_t len);
	/* The index of the default target, -1 if none. */
	ssize_t (*target_default)(const struct lab *l);
	/* Make the changes, on c->t. */
	int (*apply)(struct brk_ctx *c);
	/* The trace whose probe fails, for target t. */
	void (*trace)(const struct lab *l, const struct lab_break_target *t, char *buf, size_t len);
};

extern const struct brk_fault brk_faults[];
extern const size_t brk_nfaults;

/* "svc/NS/NAME:PORT" for port pi of s, as --on and trace take it: by
 * number, or by name when another port of s has the same number. */
void brk_svc_port_ref(const struct topo_service *s, size_t pi, char *buf, size_t len);

void brk_where_node(const struct lab *l, size_t node, struct brk_where *w);
void brk_where_pod(const struct lab *l, size_t pod, struct brk_where *w);
void brk_where_vpc(const struct lab *l, struct brk_where *w);
void brk_where_gateway(const struct lab *l, struct brk_where *w);

/* Append a change of kind to the record, its report fields filled from w;
 * NULL (e set) if out of memory. */
struct brk_change *brk_record(struct brk_ctx *c, enum brk_kind kind, const struct brk_where *w);
/* Revert one change (break_undo.c); 0 or -errno with e set. */
int brk_revert(struct lab *l, struct brk_change *ch, struct pp_err *e);
/* The kind's name in break.json, and back (-1 if unknown). */
const char *brk_kind_name(enum brk_kind k);
int brk_kind_parse(const char *s);
void brk_change_free(struct brk_change *ch);

/* ---- the changes faults are made of (break_net.c, break_nft.c, break_proc.c,
 * break_ipt.c, break_ct.c); each 0 or -errno with c->e set ---- */

/* sysctl key (as under /proc/sys: "net/ipv4/ip_forward") := value. */
int brk_sysctl(struct brk_ctx *c, const struct brk_where *w, const char *key, const char *value);
/* A route of type RTN_BLACKHOLE/PROHIBIT/UNREACHABLE to dst/plen. */
int brk_route_add(struct brk_ctx *c, const struct brk_where *w, uint8_t type, uint32_t dst,
		  uint8_t plen);
/* Remove every main-table route to exactly dst/plen; *n: how many there were. */
int brk_route_del(struct brk_ctx *c, const struct brk_where *w, uint32_t dst, uint8_t plen,
		  size_t *n);
int brk_link_mtu(struct brk_ctx *c, const struct brk_where *w, int ifindex, unsigned mtu);
int brk_link_down(struct brk_ctx *c, const struct brk_where *w, int ifindex);
/* Take link ifindex off its bridge (`ip link set X nomaster`). */
int brk_link_nomaster(struct brk_ctx *c, const struct brk_where *w, int ifindex);
int brk_hairpin_off(struct brk_ctx *c, const struct brk_where *w, int ifindex);
/* A permanent neighbour entry ip -> mac on ifindex, replacing whatever was. */
int brk_neigh(struct brk_ctx *c, const struct brk_where *w, int ifindex, uint32_t ip,
	      const uint8_t *mac);
/* Kill container ci of pod `pod` (its process, found by the lab's pid). */
int brk_process_kill(struct brk_ctx *c, size_t pod, size_t ci);
/* A table of its own: `table ip NAME { chain CHAIN { type filter hook HOOK
 * priority 0; policy accept; [iifname IIF] [ip daddr NET] counter drop
 * comment COMMENT } }` (iif NULL or net.len 0: no such match). */
int brk_nft_drop_table(struct brk_ctx *c, const struct brk_where *w, const char *table,
		       const char *chain, int hook, const char *iif, struct cidr net,
		       const char *comment);
/* Delete the rules of chain for which match() is true; *n: how many. */
int brk_nft_rule_del(struct brk_ctx *c, const struct brk_where *w, uint32_t family,
		     const char *table, const char *chain,
		     bool (*match)(const struct nft_rule_msg *r, const void *arg), const void *arg,
		     size_t *n);
/* Every rule of chain with a DNAT to `from`: now to `to`, in place. */
int brk_nft_rule_readdress(struct brk_ctx *c, const struct brk_where *w, uint32_t family,
			   const char *table, const char *chain, uint32_t from, uint32_t to);
/* Append rule rb (freed) to its chain. */
int brk_nft_rule_add(struct brk_ctx *c, const struct brk_where *w, struct nft_rb *rb);
/* Delete the element of set whose key is key[klen]; -ENOENT if none. */
int brk_nft_elem_del(struct brk_ctx *c, const struct brk_where *w, uint32_t family,
		     const char *table, const char *set, const uint8_t *key, size_t klen);
/* Add the elements of s (one, built by nft_set_elem_add; s is the caller's). */
struct nftnl_set;
int brk_nft_elem_add(struct brk_ctx *c, const struct brk_where *w, struct nftnl_set *s,
		     const uint8_t *key, size_t klen);
/* iptables-legacy: append `-d net -j DROP` to chain of table (libiptc). */
int brk_ipt_drop(struct brk_ctx *c, const struct brk_where *w, const char *table,
		 const char *chain, struct cidr net);
/* Fill the conntrack table of w to its limit with assured entries. */
int brk_ct_fill(struct brk_ctx *c, const struct brk_where *w);
/* NetworkPolicy LAB_BREAK_POLICY_NAME in pod's namespace, isolating the
 * ingress of the pods with pod's labels and admitting nothing, added to
 * the lab's policies and installed on every node (break_policy.c). */
int brk_policy_deny(struct brk_ctx *c, size_t pod);

/* bgp networking (break_bgp.c). A route a fault takes away: node's to dst. */
struct brk_bgp_gone {
	size_t node;
	struct cidr dst;
};
/* Wait (bounded) until none of the n routes g is in its node's kernel as
 * proto bird any more: the fault is real then. */
int brk_bgp_routes_gone(struct brk_ctx *c, const struct brk_bgp_gone *g, size_t n);
/* Stop node's BIRD (birdc down); watcher: a peer whose session shows it. */
int brk_bgp_stop(struct brk_ctx *c, size_t node, size_t watcher);
/* Rewrite node's BIRD configuration with fault f and have BIRD reload it. */
struct bgp_fault;
int brk_bgp_conf_fault(struct brk_ctx *c, size_t node, const struct bgp_fault *f);

/* Reverting (break_undo.c calls these; each runs in ch->netns). */
int brk_net_revert(struct lab *l, struct brk_change *ch, struct pp_err *e);
int brk_nft_revert(struct lab *l, struct brk_change *ch, struct pp_err *e);
int brk_process_revert(struct lab *l, struct brk_change *ch, struct pp_err *e);
int brk_ipt_revert(struct lab *l, struct brk_change *ch, struct pp_err *e);
int brk_ct_revert(struct lab *l, struct brk_change *ch, struct pp_err *e);
int brk_policy_revert(struct lab *l, struct brk_change *ch, struct pp_err *e);
/* BIRD started again, or its configuration written clean and reloaded;
 * then BGP's convergence waited for. */
int brk_bgp_revert(struct lab *l, struct brk_change *ch, struct pp_err *e);

/* The fault present, as break.json holds it (break_state.c). */
struct brk_file {
	char fault[32];
	char target[sizeof(((struct lab_break_target *)0)->label)];
	bool hidden;
	long long applied;
	char trace[512];
	struct brk_change *v;	/* the record, in the order made */
	size_t n;
};

/* Write f as /run/podpath/LAB/break.json, atomically. */
int brk_file_write(const char *lab, const struct brk_file *f, struct pp_err *e);
/* Read it: 1, 0 if there is none, or -errno with e set (damaged). */
int brk_file_read(const char *lab, struct brk_file *f, struct pp_err *e);
/* Remove it; none there is no error. */
int brk_file_remove(const char *lab, struct pp_err *e);
void brk_file_free(struct brk_file *f);

#endif
