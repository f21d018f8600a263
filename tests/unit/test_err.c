/* Unit tests for lib/err: a long value never cuts the reason out of a
 * message, and no control character reaches a terminal raw. */
#include <errno.h>
#include <stdlib.h>
#include <jansson.h>

#include "err.h"

#include "unit.h"

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_err_long_value_keeps_reason(void)
{
	char *v = repeat('a', 5000);
	struct pp_err e;

	pp_err_set(&e, PP_EXIT_USAGE, -EINVAL, "trace: DST \"%s\": the path is longer than %d bytes",
		   v, 255);
	CHECK_HAS_STR(e.msg, "the path is longer than 255 bytes");
	CHECK_HAS_STR(e.msg, "DST \"aaaa");
	CHECK_HAS_STR(e.msg, "...");
	/* The value is shortened to PP_ERR_VALUE_MAX, quotes and all. */
	CHECKF(strlen(e.msg) < PP_ERR_VALUE_MAX + 60, "%zu bytes: %s", strlen(e.msg), e.msg);
	free(v);
}

static void test_err_value_head_and_tail(void)
{
	char v[300], buf[256];

	memset(v, 'x', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	memcpy(v, "HEAD", 4);
	memcpy(v + sizeof(v) - 5, "TAIL", 4);
	pp_err_format(buf, sizeof(buf), "\"%s\": bad", v);
	CHECK(!strncmp(buf, "\"HEAD", 5));
	CHECK_HAS_STR(buf, "TAIL\": bad");
	/* The same for a value shown unquoted. */
	pp_err_value(buf, PP_ERR_VALUE_MAX + 1, v);
	CHECK_EQ_INT(strlen(buf), PP_ERR_VALUE_MAX);
	CHECK(!strncmp(buf, "HEAD", 4) && strstr(buf, "...") && strstr(buf, "TAIL"));
	/* A short value is untouched. */
	pp_err_format(buf, sizeof(buf), "pod \"%s\": no such pod", "default/web-9");
	CHECK_EQ_STR(buf, "pod \"default/web-9\": no such pod");
}

static void test_err_utf8_not_split(void)
{
	char v[400] = "", buf[256];

	/* 2-byte characters: a cut at any byte must fall between them. */
	for (size_t i = 0; i < 150; i++)
		strcat(v, "\xc3\xa9");
	pp_err_format(buf, sizeof(buf), "\"%s\"", v);
	for (size_t i = 1; buf[i] && buf[i] != '.'; i += 2)
		CHECKF((unsigned char)buf[i] == 0xc3, "byte %zu is %02x", i, (unsigned char)buf[i]);
}

static void test_err_other_conversions(void)
{
	char buf[256];

	pp_err_format(buf, sizeof(buf), "%d %u %zu %ld %lld %x %c %% %5s|%-3d|%.*s|%.2s|%s",
		      -3, 7u, (size_t)42, -5L, 1LL << 40, 255u, 'q', "ab", 9, 3, "abcdef", "xyz",
		      "end");
	CHECK_EQ_STR(buf, "-3 7 42 -5 1099511627776 ff q % ab|9  |abc|xy|end");
	/* A %.*s value quoted is bounded by its precision first. */
	pp_err_format(buf, sizeof(buf), "\"%.*s\" %s", 4, "hostname:80", "ok");
	CHECK_EQ_STR(buf, "\"host\" ok");
}

static void test_err_unquoted_reason_whole(void)
{
	char reason[200], buf[640];

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	pp_err_format(buf, sizeof(buf), "x: %s", reason);
	CHECK_EQ_INT(strlen(buf), 3 + sizeof(reason) - 1);
}

/* %m takes no argument: the arguments after it stay in step. */
static void test_err_format_m(void)
{
	char buf[128];

	errno = ENOENT;
	pp_err_format(buf, sizeof(buf), "a %m b \"%s\" %d %c", "v", 7, 'z');
	CHECK_EQ_STR(buf, "a No such file or directory b \"v\" 7 z");
}

static void test_err_escape_controls(void)
{
	char buf[128];

	pp_text_escape(buf, sizeof(buf), "a\x1b[31mb\x07\r\nc\x7f");
	CHECK_EQ_STR(buf, "a\\x1b[31mb\\x07\\x0d\\x0ac\\x7f");
	/* Valid UTF-8 passes; a stray byte and an overlong form do not. */
	pp_text_escape(buf, sizeof(buf), "caf\xc3\xa9 \xff \xc0\xaf");
	CHECK_EQ_STR(buf, "caf\xc3\xa9 \\xff \\xc0\\xaf");
	/* Escaping twice changes nothing more. */
	/* What jansson refuses never passes: an overlong form, a surrogate,
	 * a code point past U+10FFFF, a lead byte past F4; nor does a C1
	 * control (U+009B is a one-byte CSI); U+00A0 and up do. */
	pp_text_escape(buf, sizeof(buf), "\xe0\x80\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xf5|"
		       "\xc2\x9b|\xc2\xa0|\xf0\x9f\x98\x80");
	CHECK_EQ_STR(buf, "\\xe0\\x80\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\\xf5|"
		     "\\xc2\\x9b|\xc2\xa0|\xf0\x9f\x98\x80");
	{
		/* and the result always packs as a JSON string */
		json_t *j = json_string(buf);

		CHECK(j != NULL);
		json_decref(j);
	}
	pp_text_escape(buf, sizeof(buf), "\\x1b");
	CHECK_EQ_STR(buf, "\\x1b");
	/* Never past the buffer. */
	pp_text_escape(buf, 6, "\x1b\x1b\x1b");
	CHECK_EQ_STR(buf, "\\x1b\\");
}

int main(void)
{
	RUN(test_err_long_value_keeps_reason);
	RUN(test_err_value_head_and_tail);
	RUN(test_err_utf8_not_split);
	RUN(test_err_other_conversions);
	RUN(test_err_unquoted_reason_whole);
	RUN(test_err_escape_controls);
	RUN(test_err_format_m);
	return unit_summary();
}
