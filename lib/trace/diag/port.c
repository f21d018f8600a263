/* port — the request reached the node of the pod it was going to and never
 * entered the pod: the pod's veth on the node is down, detached from the
 * bridge or blocked by it, or its eth0 is down; or, for a pod reaching its
 * own Service, the bridge port does not hairpin (kubelet's hairpin-veth),
 * so the bridge will not send the frame back out of the port it came in. */
#include <stdio.h>
#include <string.h>

#include "trace/diag/diag.h"
#include "trace/observe/link.h"

/* Was the request seen at place ns: arriving (in), or at all? */
static bool seen_at(const struct trace *t, size_t ns, bool arriving)
{
	for (size_t h = 0; h < t->nhops; h++)
		if (!t->hops[h].reply && t->hops[h].ns == ns && (!arriving || !t->hops[h].pkt->outgoing))
			return true;
	return false;
}

static void link_command(const struct trace *t, struct trace_finding *f, const char *netns,
			 const char *ifname)
{
	snprintf(f->command, sizeof(f->command), "ip -n %s -d link show %s", netns, ifname);
}

int diag_port(const struct trace *t, struct trace_finding *f)
{
	const struct trace_evidence *ev = &t->ev;
	const struct topo_pod *p;
	const char *node_ns, *pod_ns, *node;
	char seen[TRACE_LABEL_MAX + IF_NAMESIZE + 64], pod[2 * TOPO_LABEL_MAX + 2];
	bool bridge, hairpin_case;
	ssize_t pod_place = -1;

	if (t->res.outcome == PROBE_OK || !t->lab || !ev->port_asked || ev->port_pod < 0 ||
	    ev->port_node_ns == SIZE_MAX || !seen_at(t, ev->port_node_ns, false))
		return 0;
	p = &t->lab->topo.pods[ev->port_pod];
	pod_ns = t->lab->plan.pods[ev->port_pod].netns;
	node_ns = t->lab->plan.nodes[p->node].netns;
	node = t->ns_label[ev->port_node_ns];
	for (size_t i = 0; i < t->nns; i++)
		if (!strcmp(t->ns[i], pod_ns))
			pod_place = (ssize_t)i;
	if (pod_place >= 0 && seen_at(t, (size_t)pod_place, true))
		return 0;	/* it got in: the trouble is elsewhere */
	bridge = t->lab->topo.net.mode != TOPO_MODE_VPC;
	hairpin_case = t->src.kind == TRACE_EP_POD && t->src.pod == ev->port_pod;
	snprintf(pod, sizeof(pod), "%s/%s", p->ns, p->name);
	diag_start(f, "port", TRACE_TIMEOUT, (ssize_t)ev->port_node_ns);
	snprintf(f->ifname, sizeof(f->ifname), "%s", ev->port_if);
	snprintf(f->object, sizeof(f->object), "link %s (pod %s's veth) in %s", ev->port_if, pod, node);
	link_command(t, f, node_ns, ev->port_if);
	diag_last_seen(t, seen, sizeof(seen));
	if (!ev->port_exists) {
		f->cause = "veth-missing";
		snprintf(f->expected, sizeof(f->expected), "present");
		snprintf(f->actual, sizeof(f->actual), "absent");
		return diag_say(f, "%s has no link %s, pod %s's veth: nothing can carry it into the "
				"pod; %s", node, ev->port_if, pod, seen);
	}
	if (!ev->port_up) {
		f->cause = "veth-down";
		snprintf(f->expected, sizeof(f->expected), "up");
		snprintf(f->actual, sizeof(f->actual), "down");
		return diag_say(f, "pod %s's veth %s on %s is down (administratively: ip link set "
				"down), so %s cannot deliver to the pod; %s", pod, ev->port_if, node,
				node, seen);
	}
	if (bridge && !ev->port_in_bridge) {
		f->cause = "veth-detached";
		snprintf(f->expected, sizeof(f->expected), "master %s", LAB_BRIDGE_NAME);
		snprintf(f->actual, sizeof(f->actual), "no master");
		return diag_say(f, "pod %s's veth %s on %s is not a port of bridge %s any more, so the "
				"bridge has no way to the pod; %s", pod, ev->port_if, node,
				LAB_BRIDGE_NAME, seen);
	}
	if (ev->eth_exists && !ev->eth_up) {
		f->cause = "veth-down";
		f->ns = pod_place;
		snprintf(f->ifname, sizeof(f->ifname), "eth0");
		snprintf(f->object, sizeof(f->object), "link eth0 of pod %s", pod);
		snprintf(f->expected, sizeof(f->expected), "up");
		snprintf(f->actual, sizeof(f->actual), "down");
		link_command(t, f, pod_ns, "eth0");
		return diag_say(f, "pod %s's eth0 is down, so nothing reaches it; %s", pod, seen);
	}
	if (bridge && !ev->port_forwarding) {
		f->cause = "bridge-port-blocked";
		snprintf(f->expected, sizeof(f->expected), "forwarding");
		snprintf(f->actual, sizeof(f->actual), "%s", obs_link_port_state_name(ev->port_state));
		return diag_say(f, "bridge %s's port %s (pod %s) is in state %s, not forwarding; %s",
				ev->port_master, ev->port_if, pod, f->actual, seen);
	}
	if (bridge && hairpin_case && !ev->port_hairpin) {
		f->cause = "hairpin-off";
		snprintf(f->expected, sizeof(f->expected), "hairpin on");
		snprintf(f->actual, sizeof(f->actual), "hairpin off");
		return diag_say(f, "pod %s reached its own Service and kube-proxy chose the pod itself, "
				"but bridge %s's port %s does not hairpin: a bridge never sends a frame "
				"back out of the port it came in on unless hairpin mode is on (kubelet "
				"sets it, --hairpin-mode hairpin-veth); %s", pod, ev->port_master,
				ev->port_if, seen);
	}
	return 0;
}
