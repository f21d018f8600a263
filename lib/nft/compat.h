/* compat — iptables rules as iptables-nft (1.8.x) writes them into
 * nf_tables, so that `iptables-save` and `iptables -L` read them back.
 *
 * iptables-nft turns the parts it can into native expressions (-p, -s, -d,
 * -m tcp/udp --dport, -m mark) and hands every other match and target to
 * the kernel's xtables code unchanged, through nft_compat: an expression
 * "match" or "target" holding the extension's name, revision and its info
 * struct, byte for byte as iptables would give it to x_tables. A rule that
 * holds anything else (numgen, fib, ct, nat, dynset...) is one iptables
 * calls "incompatible" and refuses to list.
 *
 * The pieces below emit exactly what iptables-nft emits for the same
 * option (compare `nft --debug=netlink list table ip nat` after an
 * `iptables-nft-restore`). Order matters, and is the caller's: -p first,
 * then -s, then -d, then each -m in the order it was written, a counter,
 * and the verdict or target. */
#ifndef PODPATH_NFT_COMPAT_H
#define PODPATH_NFT_COMPAT_H

#include <stdbool.h>
#include <stdint.h>

#include "nft/nft.h"

/* `-m comment` holds at most 255 characters (struct xt_comment_info). */
#define NFT_XT_COMMENT_MAX 255

/* The rule's protocol for x_tables' checks (NFTA_RULE_COMPAT: a tcp match
 * needs -p tcp), and `[!] -p proto` when proto is not 0. Call first, on
 * every iptables rule. */
void nft_rb_ipt_proto(struct nft_rb *rb, uint8_t proto, bool inv);
/* `[!] -s NET` (dst: -d): the prefix's whole bytes loaded and compared, or
 * all four masked when the prefix ends inside a byte. */
void nft_rb_ipt_addr(struct nft_rb *rb, bool dst, struct cidr net, bool inv);

/* -m comment --comment TEXT (longer than NFT_XT_COMMENT_MAX: -ENAMETOOLONG). */
void nft_rb_xt_comment(struct nft_rb *rb, const char *text);
/* -m tcp / -m udp with no options (as kube-proxy writes `-m tcp -p tcp`
 * before a DNAT); with --dport iptables-nft loads the port instead: use
 * nft_rb_match(NFT_KEY_DPORT). */
void nft_rb_xt_tcpudp(struct nft_rb *rb, uint8_t proto);
/* -m statistic --mode random --probability P (0 < P <= 1). */
void nft_rb_xt_statistic(struct nft_rb *rb, double p);
/* -m recent --name NAME --set (set), or --rcheck --seconds S --reap, on the
 * source address with a full mask (iptables' defaults). */
void nft_rb_xt_recent(struct nft_rb *rb, const char *name, bool set, uint32_t seconds);
/* -m addrtype --src-type TYPE (dst: --dst-type), TYPE an XT_ADDRTYPE_* bit. */
void nft_rb_xt_addrtype(struct nft_rb *rb, bool dst, uint16_t type);
/* -m conntrack --ctstate S: bits NFT_CTS_* (the same bits x_tables uses). */
void nft_rb_xt_conntrack(struct nft_rb *rb, uint32_t states);

/* -j MARK --set-xmark VALUE/MASK: --or-mark M is M/M, --xor-mark M is M/0. */
void nft_rb_xt_mark(struct nft_rb *rb, uint32_t value, uint32_t mask);
/* -j DNAT --to-destination IP:PORT. */
void nft_rb_xt_dnat(struct nft_rb *rb, uint32_t ip, uint16_t port);
/* -j MASQUERADE [--random-fully]. */
void nft_rb_xt_masquerade(struct nft_rb *rb, bool fully_random);
/* -j REJECT (--reject-with icmp-port-unreachable, iptables' default). */
void nft_rb_xt_reject(struct nft_rb *rb);

#endif
