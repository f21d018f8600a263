/* unit — a tiny test harness for podpath's C unit tests.
 *
 * Each tests/unit/test_*.c is one program that includes this header once:
 *
 *	static void test_parse(void) { CHECK(addr_parse("1.2.3.4", &a) == 0); }
 *	int main(void) { RUN(test_parse); return unit_summary(); }
 *
 * A failed check prints file:line, the expression and, for the _EQ forms,
 * both values, then the test goes on, so that one run shows every failure.
 * The last line is always "unit: N passed, M failed"; the exit status is
 * non-zero when anything failed. */
#ifndef PODPATH_UNIT_H
#define PODPATH_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One test program is one translation unit, so the counters can live here. */
static unsigned unit_npassed, unit_nfailed;
static const char *unit_current = "";

__attribute__((format(printf, 4, 5), unused))
static int unit_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s:%d: %s%s: ", file, line, unit_current,
		*unit_current ? "()" : "");
	fputs(expr, stderr);
	fputs(": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	unit_nfailed++;
	return 0;
}

__attribute__((unused))
static int unit_fail_plain(const char *file, int line, const char *expr)
{
	fprintf(stderr, "FAIL %s:%d: %s%s: %s\n", file, line, unit_current,
		*unit_current ? "()" : "", expr);
	unit_nfailed++;
	return 0;
}

/* CHECK(cond): record a pass, or a failure at this file:line. Evaluates to
 * the truth of cond so a test can skip what cannot work after a failure. */
#define CHECK(cond) \
	((cond) ? (unit_npassed++, 1) : unit_fail_plain(__FILE__, __LINE__, #cond))

/* CHECKF(cond, fmt, ...): the same with context, e.g. the input's name. */
#define CHECKF(cond, ...) \
	((cond) ? (unit_npassed++, 1) : unit_fail(__FILE__, __LINE__, #cond, __VA_ARGS__))

#define CHECK_EQ_INT(a, b) do {						\
	long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);	\
	CHECKF(unit_a_ == unit_b_, "%lld != %lld", unit_a_, unit_b_);	\
} while (0)

#define CHECK_EQ_STR(a, b) do {						\
	const char *unit_a_ = (a), *unit_b_ = (b);			\
	CHECKF(unit_a_ && unit_b_ && !strcmp(unit_a_, unit_b_),		\
	       "\"%s\" != \"%s\"", unit_a_ ? unit_a_ : "(null)",		\
	       unit_b_ ? unit_b_ : "(null)");				\
} while (0)

/* CHECK_HAS_STR(haystack, needle): haystack contains needle. */
#define CHECK_HAS_STR(h, n) do {					\
	const char *unit_h_ = (h), *unit_n_ = (n);			\
	CHECKF(unit_h_ && unit_n_ && strstr(unit_h_, unit_n_),		\
	       "\"%s\" does not contain \"%s\"", unit_h_ ? unit_h_ : "(null)", \
	       unit_n_ ? unit_n_ : "(null)");				\
} while (0)

/* RUN(fn): run one test function, naming it in failure reports. */
#define RUN(fn) do {		\
	unit_current = #fn;	\
	fn();			\
	unit_current = "";	\
} while (0)

__attribute__((unused))
static int unit_summary(void)
{
	fflush(stderr);
	printf("unit: %u passed, %u failed\n", unit_npassed, unit_nfailed);
	fflush(stdout);
	return unit_nfailed ? 1 : 0;
}


/* Run a shell command, for a test's set-up only (the product never forks
 * ip or nft; a test may); its exit status, said on stderr when not 0. */
__attribute__((format(printf, 1, 2), unused))
static int unit_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st != 0)
		fprintf(stderr, "command failed (%d): %s\n", st, cmd);
	return st;
}

#endif
