/* trace_loop — run trace_run() N times in one process against a lab and
 * report open fds and resident memory after the first and the last, so a
 * leak of handles, sockets or memory shows as growth. Run it under valgrind
 * for the memcheck verdict. Usage: trace_loop LAB SRC DST N */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lab.h"
#include "trace/trace.h"

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n - 1;	/* the directory's own fd */
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	struct pp_err e = { 0 };
	struct lab l;
	int n, fds0 = 0, delivered = 0;
	long rss0 = 0;

	if (argc != 5 || (n = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: trace_loop LAB SRC DST N\n");
		return 2;
	}
	if (lab_load(&l, argv[1], &e) < 0) {
		fprintf(stderr, "trace_loop: %s\n", e.msg);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		/* Under valgrind, which does not model the bpf syscall's memory,
		 * the kernel-drop observer is left out (test_drops covers it
		 * under ASan). */
		struct trace t = { .lab = &l, .timeout_ms = 2000,
				   .no_drops = getenv("PP_NO_KERNEL_DROPS") != NULL };

		if (trace_endpoint_parse(&l, argv[2], true, &t.src, &e) < 0 ||
		    trace_endpoint_parse(&l, argv[3], false, &t.dst, &e) < 0) {
			fprintf(stderr, "trace_loop: %s\n", e.msg);
			return 1;
		}
		t.probe.proto = PROBE_TCP;
		t.probe.dport = 8080;
		if (trace_run(&t, &e) < 0) {
			fprintf(stderr, "trace_loop: %s\n", e.msg);
			return 1;
		}
		delivered += t.verdict == TRACE_DELIVERED;
		trace_free(&t);
		if (i == 0) {
			fds0 = fd_count();
			rss0 = rss_kb();
		}
	}
	printf("traces %d, delivered %d; open fds after the first %d, after the last %d; "
	       "RSS after the first %ld KiB, after the last %ld KiB\n",
	       n, delivered, fds0, fd_count(), rss0, rss_kb());
	lab_free(&l);
	return fds0 == fd_count() && delivered == n ? 0 : 1;
}
