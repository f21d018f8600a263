/* conf — the BIRD 2 configuration of each speaker, shaped as calico-node
 * renders its bird.cfg: the node's pod CIDR as a static route, an export
 * filter that announces only it, a bgp template, one session per peer
 * (Mesh_<ip> in the node-to-node mesh, Node_<ip> with the route reflector)
 * and a kernel protocol that installs what BGP learned as `proto bird`.
 * Differences from Calico, on purpose: 1-second keepalives and short connect
 * timers so a lab converges in about a second, and no graceful restart, so a
 * stopped peer's routes are withdrawn at once rather than kept for 120 s. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bgp/bgp.h"

bool bgp_uses_rr(const struct topo *t)
{
	if (t->net.bgp.mesh >= 0)
		return !t->net.bgp.mesh;
	return t->nnodes > BGP_FULL_MESH_MAX_NODES;
}

uint32_t bgp_speaker_addr(const struct topo *t, size_t s)
{
	return s == BGP_SPEAKER_RR ? t->net.vpc_router : t->nodes[s].ip;
}

void bgp_proto_name(const struct topo *t, size_t from, size_t to, char *buf, size_t len)
{
	uint32_t a = bgp_speaker_addr(t, to);
	bool rr = from == BGP_SPEAKER_RR || to == BGP_SPEAKER_RR;

	snprintf(buf, len, "%s_%u_%u_%u_%u", rr ? "Node" : "Mesh", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
}

int bgp_proto_peer(const struct topo *t, size_t from, const char *proto, size_t *peer)
{
	char name[48];

	if (from != BGP_SPEAKER_RR && bgp_uses_rr(t)) {
		bgp_proto_name(t, from, BGP_SPEAKER_RR, name, sizeof(name));
		if (!strcmp(name, proto)) {
			*peer = BGP_SPEAKER_RR;
			return 0;
		}
		return -ENOENT;
	}
	for (size_t k = 0; k < t->nnodes; k++) {
		if (k == from)
			continue;
		bgp_proto_name(t, from, k, name, sizeof(name));
		if (!strcmp(name, proto)) {
			*peer = k;
			return 0;
		}
	}
	return -ENOENT;
}

static void put_addr(FILE *f, uint32_t a)
{
	fprintf(f, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/* What every speaker shares: identity, logging, interfaces. */
static void conf_head(FILE *f, const struct topo *t, size_t s, const char *logfile)
{
	fputs("router id ", f);
	put_addr(f, bgp_speaker_addr(t, s));
	fputs(";\n", f);
	if (logfile)
		fprintf(f, "log \"%s\" all;\n", logfile);
	/* Session state changes land in the log: what an operator reads first. */
	fputs("debug protocols { states, events };\n\n", f);
	fputs("protocol device {\n\tscan time 10;\n}\n\n", f);
}

/* The timers and behaviour of every session (Calico: template bgp_template). */
static void conf_template(FILE *f, const struct topo *t, size_t s, bool rr)
{
	fprintf(f, "template bgp %s {\n\tlocal ", rr ? "rr_client" : "bgp_template");
	put_addr(f, bgp_speaker_addr(t, s));
	fprintf(f, " as %u;\n", t->net.bgp.asn);
	/* Peers share the VPC subnet: the next hop is the peer itself. */
	fputs("\tdirect;\n", f);
	if (rr)
		fputs("\trr client;\n", f);
	fputs("\tconnect delay time 1;\n\tconnect retry time 2;\n\terror wait time 1, 10;\n"
	      "\thold time 9;\n\tkeepalive time 1;\n\tgraceful restart off;\n", f);
	if (rr)
		/* It reflects, it does not route: no kernel protocol takes these. */
		fputs("\tipv4 {\n\t\timport keep filtered on;\n\t\timport all;\n"
		      "\t\texport all;\n\t};\n}\n\n", f);
	else
		fputs("\tipv4 {\n\t\timport keep filtered on;\n\t\timport all;\n"
		      "\t\texport filter podpath_export_to_bgp_peers;\n\t\tnext hop self;\n"
		      "\t};\n}\n\n", f);
}

static void conf_session(FILE *f, const struct topo *t, size_t s, size_t peer,
			 const struct bgp_fault *fault)
{
	char name[48];
	uint32_t addr = bgp_speaker_addr(t, peer);

	bgp_proto_name(t, s, peer, name, sizeof(name));
	if (fault && fault->kind == BGP_FAULT_WRONG_PEER && fault->peer == peer)
		addr = fault->addr;
	fprintf(f, "protocol bgp %s from %s {\n\tdescription \"%s\";\n\tneighbor ", name,
		s == BGP_SPEAKER_RR ? "rr_client" : "bgp_template",
		peer == BGP_SPEAKER_RR ? "route reflector in the VPC router" : t->nodes[peer].name);
	put_addr(f, addr);
	fprintf(f, " as %u;\n}\n\n", t->net.bgp.asn);
}

/* A node: its pod CIDR, the filter, the kernel protocol, its sessions. */
static void conf_node(FILE *f, const struct topo *t, size_t s, const struct bgp_fault *fault)
{
	const struct topo_node *n = &t->nodes[s];
	char cidr[CIDR_STRLEN];

	cidr_fmt(&n->pod_cidr, cidr);
	fprintf(f, "# The node's pod CIDR, the route it announces (Calico: its IPAM blocks).\n"
		"protocol static pod_cidr {\n\tipv4;\n\troute %s via \"cbr0\";\n}\n\n", cidr);
	fputs("# What BGP learned goes into the kernel's main table as proto bird;\n"
	      "# nothing is read back from it.\nprotocol kernel {\n\tipv4 {\n"
	      "\t\timport none;\n\t\texport where source = RTS_BGP;\n\t};\n}\n\n", f);
	fputs("# Announce the node's own pod CIDR, nothing else.\n"
	      "filter podpath_export_to_bgp_peers {\n", f);
	if (fault && fault->kind == BGP_FAULT_EXPORT_FILTER)
		fprintf(f, "\tif net = %s then reject;\t# podpath break bgp-announcement-filtered\n",
			cidr);
	fputs("\tif proto = \"pod_cidr\" then accept;\n\treject;\n}\n\n", f);
	conf_template(f, t, s, false);
	if (bgp_uses_rr(t)) {
		conf_session(f, t, s, BGP_SPEAKER_RR, fault);
		return;
	}
	for (size_t k = 0; k < t->nnodes; k++)
		if (k != s)
			conf_session(f, t, s, k, fault);
}

int bgp_conf_write(FILE *f, const struct topo *t, size_t s, const struct bgp_fault *fault,
		   const char *logfile)
{
	fprintf(f, "# BIRD for %s%s: Calico-style BGP (AS %u, %s).\n"
		"# Written by podpath; podpath break may rewrite it and ask BIRD to reload.\n",
		s == BGP_SPEAKER_RR ? "the route reflector in the VPC router" : "node ",
		s == BGP_SPEAKER_RR ? "" : t->nodes[s].name, t->net.bgp.asn,
		bgp_uses_rr(t) ? "every node peers with the route reflector"
			       : "node-to-node full mesh");
	conf_head(f, t, s, logfile);
	if (s == BGP_SPEAKER_RR) {
		conf_template(f, t, s, true);
		for (size_t k = 0; k < t->nnodes; k++)
			conf_session(f, t, s, k, fault);
	} else {
		conf_node(f, t, s, fault);
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -errno;
}
