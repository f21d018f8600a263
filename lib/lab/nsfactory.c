/* nsfactory — pod namespaces made ahead, on a thread of their own.
 *
 * A pod's namespace costs the kernel most of a pod's setup (copy_net_ns,
 * the per-namespace sysctl tables, the pin file), and none of it depends on
 * the node it will sit on. So while setup wires pod i to its node, this
 * thread already creates pod i+1's namespace: sysctls set, netlink socket
 * open inside, lo up with the lab's marker, pinned under its name (marker
 * first, as everywhere: a namespace pinned is always one teardown finds).
 * It stays a bounded number of namespaces ahead, so a big lab does not hold
 * thousands of open descriptors. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/build.h"
#include "lab/nsfactory.h"

#define AHEAD 16	/* namespaces made and not yet taken, at most */

struct made {
	int fd;
	struct nl *nl;
};

struct ns_factory {
	struct build b;		/* a copy: this thread's own errors, never the caller's */
	struct pp_err err;	/* why the factory stopped early */
	size_t n, made, taken;
	int failed;		/* the error of namespace `made`, 0 if none */
	bool cancel;
	struct made *slot;	/* indexed by pod */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
};

static void *factory_main(void *arg)
{
	struct ns_factory *f = arg;

	for (size_t i = 0; i < f->n; i++) {
		const struct topo_pod *tp = &f->b.t->pods[i];
		char obj[2 * TOPO_LABEL_MAX + 16];
		struct nl *nl = NULL;
		int fd = -1, ret;

		pthread_mutex_lock(&f->mu);
		while (!f->cancel && f->made - f->taken >= AHEAD)
			pthread_cond_wait(&f->cv, &f->mu);
		ret = f->cancel;
		pthread_mutex_unlock(&f->mu);
		if (ret)
			break;
		snprintf(obj, sizeof(obj), "pod \"%s/%s\"", tp->ns, tp->name);
		ret = build_ns_begin(&f->b, obj, NS_POD, &fd, &nl);
		if (ret == 0)
			ret = build_ns_finish(&f->b, obj, f->b.p->pods[i].netns, nl);
		pthread_mutex_lock(&f->mu);
		if (ret == 0) {
			f->slot[i] = (struct made){ fd, nl };
			f->made++;
		} else {
			f->failed = ret;
		}
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		if (ret < 0) {
			nl_close(nl);
			if (fd >= 0)
				close(fd);
			break;
		}
	}
	return NULL;
}

int ns_factory_start(const struct build *b, struct ns_factory **out)
{
	struct ns_factory *f = calloc(1, sizeof(*f));
	int ret;

	*out = NULL;
	if (!f)
		return pp_err_set(b->e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	f->b = *b;
	f->b.e = &f->err;
	f->n = b->t->npods;
	f->slot = calloc(f->n ? f->n : 1, sizeof(*f->slot));
	if (!f->slot) {
		free(f);
		return pp_err_set(b->e, PP_EXIT_FAIL, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	/* The thread starts in the caller's namespace: the one to come home to. */
	ret = lab_thread_start(&f->thread, factory_main, f);
	if (ret) {
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		free(f->slot);
		free(f);
		return pp_err_set(b->e, PP_EXIT_ENV, -ret, "cannot start a thread: %s", strerror(ret));
	}
	*out = f;
	return 0;
}

int ns_factory_take(struct ns_factory *f, size_t i, int *fd, struct nl **nl, struct pp_err *e)
{
	int ret = 0;

	pthread_mutex_lock(&f->mu);
	while (f->made <= i && !f->failed)
		pthread_cond_wait(&f->cv, &f->mu);
	if (f->made > i) {
		*fd = f->slot[i].fd;
		*nl = f->slot[i].nl;
		f->slot[i] = (struct made){ -1, NULL };
		f->taken = i + 1;
		pthread_cond_broadcast(&f->cv);
	} else {
		ret = f->failed;
		*e = f->err;
	}
	pthread_mutex_unlock(&f->mu);
	return ret;
}

void ns_factory_stop(struct ns_factory *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->cancel = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	/* Made and never taken (setup failed or was interrupted): the pins
	 * stay for the rollback to remove with everything else. */
	for (size_t i = f->taken; i < f->made; i++) {
		nl_close(f->slot[i].nl);
		if (f->slot[i].fd >= 0)
			close(f->slot[i].fd);
	}
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f->slot);
	free(f);
}
