/* Unit tests for lib/lab/damage, status's part of check: health as measured
 * becomes findings that name the object, its namespace and pid, and the
 * command that shows it. */
#include <errno.h>
#include <stdlib.h>

#include "lab/check.h"
#include "unit.h"

/* The default lab "t" with every container and program healthy. */
static int lab_make(struct lab *l, enum lab_health ***health, enum lab_health **inet)
{
	struct topo_error err;

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "t");
	if (topo_from_default(&l->topo, &err) < 0 || topo_resolve(&l->topo, &err) < 0 ||
	    lab_plan_make(&l->plan, l->name, &l->topo) < 0)
		return -1;
	l->pids = calloc(l->topo.npods, sizeof(*l->pids));
	*health = calloc(l->topo.npods, sizeof(**health));
	*inet = calloc(l->topo.inet.nhosts, sizeof(**inet));
	for (size_t i = 0; i < l->topo.npods; i++) {
		l->pids[i] = calloc(l->topo.pods[i].ncontainers, sizeof(pid_t));
		(*health)[i] = calloc(l->topo.pods[i].ncontainers, sizeof(enum lab_health));
		for (size_t j = 0; j < l->topo.pods[i].ncontainers; j++)
			l->pids[i][j] = (pid_t)(1000 + 10 * i + j);
	}
	return 0;
}

static void lab_drop(struct lab *l, enum lab_health **health, enum lab_health *inet)
{
	for (size_t i = 0; i < l->topo.npods; i++)
		free(health[i]);
	free(health);
	free(inet);
	lab_free(l);
}

static ssize_t pod_index(const struct lab *l, const char *name)
{
	for (size_t i = 0; i < l->topo.npods; i++)
		if (!strcmp(l->topo.pods[i].name, name))
			return (ssize_t)i;
	return -1;
}

static void test_damage_healthy_lab_has_none(void)
{
	struct lab_check_list d = { 0 };
	enum lab_health **h, *inet;
	struct lab l;

	if (!CHECK(lab_make(&l, &h, &inet) == 0))
		return;
	CHECK_EQ_INT(lab_check_procs(&l, h, inet, &d), 0);
	CHECK_EQ_INT(d.n, 0);
	lab_check_free(&d);
	lab_drop(&l, h, inet);
}

static void test_damage_down_and_unpinned(void)
{
	struct lab_check_list d = { 0 };
	enum lab_health **h, *inet;
	char cmd[256];
	struct lab l;
	ssize_t w1, w2;

	if (!CHECK(lab_make(&l, &h, &inet) == 0))
		return;
	w1 = pod_index(&l, "web-1");
	w2 = pod_index(&l, "web-2");
	if (!CHECK(w1 >= 0 && w2 >= 0))
		return;
	h[w1][1] = LAB_HEALTH_DOWN;		/* web-1's sidecar */
	h[w2][0] = LAB_HEALTH_NO_NETNS;		/* web-2's web, its netns unpinned */
	h[w2 == 0 ? 1 : 0][0] = LAB_HEALTH_UNRESPONSIVE;	/* running: not damage */
	CHECK_EQ_INT(lab_check_procs(&l, h, inet, &d), 0);
	CHECK_EQ_INT(d.n, 2);
	if (d.n != 2)
		goto out;
	CHECK_EQ_INT(d.v[0].kind, LAB_CK_PROCESS_DOWN);
	CHECK_EQ_STR(d.v[0].object, "container default/web-1 sidecar");
	CHECK_EQ_STR(d.v[0].netns, "t_pod_default_web-1");
	CHECK_EQ_STR(d.v[0].place, "pod default/web-1");
	CHECK_EQ_INT(d.v[0].pid, l.pids[w1][1]);
	lab_check_command(&d.v[0], cmd, sizeof(cmd));
	CHECKF(!strncmp(cmd, "ps -p ", 6) && atoi(cmd + 6) == l.pids[w1][1], "%s", cmd);
	CHECK_EQ_INT(d.v[1].kind, LAB_CK_PROCESS_UNPINNED);
	CHECK_EQ_STR(d.v[1].object, "container default/web-2 web");
	CHECK_EQ_STR(lab_check_kind_name(d.v[1].kind), "process-unpinned");
	lab_check_command(&d.v[1], cmd, sizeof(cmd));
	CHECK(!strncmp(cmd, "ip netns identify ", 18));
out:
	lab_check_free(&d);
	lab_drop(&l, h, inet);
}

static void test_damage_inet_client_never_down(void)
{
	struct lab_check_list d = { 0 };
	enum lab_health **h, *inet;
	struct lab l;

	if (!CHECK(lab_make(&l, &h, &inet) == 0))
		return;
	/* A client runs nothing: whatever its health says, nothing is lost. */
	for (size_t i = 0; i < l.topo.inet.nhosts; i++)
		inet[i] = l.topo.inet.hosts[i].image == TOPO_IMAGE_NONE ? LAB_HEALTH_DOWN
									: LAB_HEALTH_OK;
	CHECK_EQ_INT(lab_check_procs(&l, h, inet, &d), 0);
	CHECK_EQ_INT(d.n, 0);
	lab_check_free(&d);
	lab_drop(&l, h, inet);
}

static void test_damage_table_command(void)
{
	struct lab_finding f = { .kind = LAB_CK_NFT_TABLE_MISSING, .netns = "t_node_node-2",
				 .key = "ip", .nft_table = "kube-proxy" };
	char cmd[256];

	lab_check_command(&f, cmd, sizeof(cmd));
	CHECK_EQ_STR(cmd, "ip netns exec t_node_node-2 nft list tables");
	CHECK_EQ_STR(lab_check_kind_name(LAB_CK_NETNS_MISSING), "netns-missing");
}

int main(void)
{
	RUN(test_damage_healthy_lab_has_none);
	RUN(test_damage_down_and_unpinned);
	RUN(test_damage_inet_client_never_down);
	RUN(test_damage_table_command);
	return unit_summary();
}
