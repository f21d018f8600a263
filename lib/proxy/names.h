/* proxy/names — the names kube-proxy gives its chains and sets, computed
 * the way kube-proxy computes them (a base32 SHA-256 prefix of the
 * Service port's identity), so that a podpath node reads like a real one.
 *
 * nftables mode: "service-HASH8-ns/name/proto/port",
 * "endpoint-HASH8-ns/name/proto/port__IP/PORT" (and external-, firewall-,
 * local-, affinity- alike). iptables mode: "KUBE-SVC-HASH16" over
 * "ns/name:port" + proto, "KUBE-SEP-HASH16" over that + "IP:PORT". */
#ifndef PODPATH_PROXY_NAMES_H
#define PODPATH_PROXY_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define PROXY_NAME_MAX 256	/* nftables chain names go up to 255 */

/* The identity of one Service port: namespace, name, port name ("" for an
 * unnamed port), protocol "tcp"/"udp". */
struct proxy_svc_port {
	const char *ns, *name, *port_name, *proto;
};

/* nftables: PREFIX-HASH8-ns/name/proto/port, PREFIX one of "service",
 * "external", "firewall", "local". */
void proxy_nft_service_chain(char *buf, size_t len, const char *prefix,
			     const struct proxy_svc_port *sp);
/* nftables: PREFIX-HASH8-ns/name/proto/port__IP/PORT, PREFIX "endpoint" or
 * "affinity". ip in host byte order. */
void proxy_nft_endpoint_chain(char *buf, size_t len, const char *prefix,
			      const struct proxy_svc_port *sp, uint32_t ip, uint16_t port);
/* iptables: KIND-HASH16, KIND one of "KUBE-SVC", "KUBE-EXT", "KUBE-FW". */
void proxy_ipt_service_chain(char *buf, size_t len, const char *kind,
			     const struct proxy_svc_port *sp);
/* iptables: KUBE-SEP-HASH16 for one endpoint of the Service port. */
void proxy_ipt_endpoint_chain(char *buf, size_t len, const struct proxy_svc_port *sp,
			      uint32_t ip, uint16_t port);
/* First n characters (n <= 52) of base32(sha256(s)), NUL-terminated into out. */
void proxy_hash(const char *s, size_t n, char *out);

#endif
