/* filter — the BPF expression every capture of a trace opens with: the
 * probe's own flow, the other ports and hosts it may go on under (Service
 * endpoints' ports, ingress controllers' addresses), ICMP errors about it,
 * ARP and VXLAN. As long as it needs to be, up to the caps in trace.h; what
 * a cap leaves out is counted for the caller to report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "trace/internal.h"

/* Each distinct value of v[0..n) once, in first-seen order, at most max of
 * them written to out; returns how many were written, *left the distinct
 * ones past max. Values compared as numbers: port 80 is not part of 8080. */
static size_t distinct_u32(const uint32_t *v, size_t n, uint32_t skip, size_t max, uint32_t *out,
			   size_t *left)
{
	size_t nout = 0;

	*left = 0;
	for (size_t i = 0; i < n; i++) {
		bool seen = !v[i] || v[i] == skip;

		for (size_t k = 0; k < nout && !seen; k++)
			seen = out[k] == v[i];
		for (size_t k = 0; k < i && !seen && nout == max; k++)
			seen = v[k] == v[i];	/* an earlier one past the cap */
		if (seen)
			continue;
		if (nout < max)
			out[nout++] = v[i];
		else
			(*left)++;
	}
	return nout;
}

int trace_filter_build(const struct trace_filter_in *in, char **filter,
		       struct trace_filter_left *left)
{
	const char *err = "(icmp and icmp[0] != 0 and icmp[0] != 8)";
	const char *l4 = in->proto == PROBE_UDP || in->proto == PROBE_DNS ? "udp" : "tcp";
	uint32_t ports[TRACE_FILTER_MAX_PORTS], hosts[TRACE_FILTER_MAX_HOSTS];
	uint32_t *all = NULL;
	size_t np, nh, size = 0;
	char *buf = NULL;
	FILE *f = NULL;
	int ret = -ENOMEM;

	*filter = NULL;
	all = calloc(in->nports ? in->nports : 1, sizeof(*all));
	if (!all)
		goto out;
	for (size_t i = 0; i < in->nports; i++)
		all[i] = in->ports[i];
	np = distinct_u32(all, in->nports, in->sport, TRACE_FILTER_MAX_PORTS, ports,
			  &left->ports);
	nh = distinct_u32(in->hosts, in->nhosts, 0, TRACE_FILTER_MAX_HOSTS, hosts, &left->hosts);
	f = open_memstream(&buf, &size);
	if (!f)
		goto out;
	if (in->proto == PROBE_ICMP) {
		fprintf(f, "(icmp and (icmp[0] = 8 or icmp[0] = 0) and icmp[4:2] = %u)", in->sport);
	} else {
		fprintf(f, "(%s and (port %u", l4, in->sport);
		/* Behind a Service a masquerade may change the source port
		 * (NodePort traffic): the endpoints' own ports catch the flow's
		 * rewritten form. */
		for (size_t i = 0; i < np; i++)
			fprintf(f, " or port %u", ports[i]);
		/* An HTTP request may end at an ingress controller: its own
		 * connection to the backend is part of the path (upstream.c). */
		for (size_t i = 0; i < nh; i++) {
			char a[ADDR_STRLEN];

			fprintf(f, " or host %s", addr_fmt(hosts[i], a));
		}
		/* Without a lab nothing says where a DNAT may send the flow and
		 * under which port a masquerade goes on: take every handshake
		 * (TCP) or datagram (UDP) while the probe runs; classifying the
		 * packets and the aliases conntrack gives keep only the probe's. */
		if (in->any_flow)
			fputs(!strcmp(l4, "udp") ? " or not port 0"
						 : " or tcp[tcpflags] & (tcp-syn|tcp-rst) != 0", f);
		fputs("))", f);
	}
	fprintf(f, " or %s or arp or udp port 8472 or udp port 4789", err);
	if (ferror(f))
		goto out;
	if (fclose(f) == 0 && buf) {
		*filter = buf;
		buf = NULL;
		ret = 0;
	}
	f = NULL;
out:
	if (f)
		fclose(f);
	free(buf);
	free(all);
	return ret;
}
