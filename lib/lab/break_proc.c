/* break_proc — a container's process killed, and started again the way
 * setup starts it (same program, arguments, user and sockets), its new pid
 * written to the lab's state; see break_int.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lab/break_int.h"
#include "netns/netns.h"

int brk_process_kill(struct brk_ctx *c, size_t pod, size_t ci)
{
	struct lab *l = c->l;
	const struct topo_pod *p = &l->topo.pods[pod];
	pid_t pid = l->pids ? l->pids[pod][ci] : 0;
	struct brk_change *ch;
	struct brk_where w;
	int ret;

	brk_where_pod(l, pod, &w);
	ret = lab_proc_kill(pid, w.netns);
	if (ret < 0)
		return pp_err_set(c->e, PP_EXIT_FAIL, ret, "%s: container \"%s\" (pid %d) %s", w.name,
				  p->containers[ci].name, (int)pid, ret == -ESRCH ?
				  "is not running (podpath status shows it)" : strerror(-ret));
	ch = brk_record(c, BRK_PROCESS, &w);
	if (!ch)
		return -ENOMEM;
	ch->num = (long long)pod;
	ch->num2 = (long long)ci;
	snprintf(ch->shown.what, sizeof(ch->shown.what), "container %s (%s)", p->containers[ci].name,
		 topo_image_name(p->containers[ci].image));
	snprintf(ch->shown.before, sizeof(ch->shown.before), "running (pid %d)", (int)pid);
	snprintf(ch->shown.after, sizeof(ch->shown.after), "killed");
	snprintf(ch->shown.show, sizeof(ch->shown.show), "ip netns exec %s ss -lntup", w.netns);
	return 0;
}

struct spawn_op {
	struct lab *l;
	size_t pod, ci;
	struct pp_err *e;
};

static int spawn_here(void *arg)
{
	struct spawn_op *o = arg;

	return lab_container_spawn(o->l, o->pod, o->ci, o->e);
}

int brk_process_revert(struct lab *l, struct brk_change *ch, struct pp_err *e)
{
	struct spawn_op o = { l, (size_t)ch->num, (size_t)ch->num2, e };
	int ret;

	if (o.pod >= l->topo.npods || o.ci >= l->topo.pods[o.pod].ncontainers)
		return pp_err_set(e, PP_EXIT_FAIL, -EINVAL, "%s: no container %lld in the lab's "
				  "state", ch->shown.where, ch->num2);
	ret = lab_responder_find(l, e);
	if (ret == 0) {
		e->msg[0] = '\0';
		ret = netns_run(ch->netns, spawn_here, &o);
		/* A failure to enter says nothing in e; the spawn's own does. */
		if (ret < 0 && !e->msg[0])
			pp_err_set(e, PP_EXIT_FAIL, ret, "%s: cannot enter %s: %s", ch->shown.where,
				   ch->netns, strerror(-ret));
	}
	/* Status and the next break find it by the pid in the state. */
	if (ret == 0)
		ret = lab_state_write(l, e);
	return ret;
}
