/* err — fill an error record; see err.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "err.h"
#include "utf8.h"

struct sink {
	char *buf;
	size_t len, n;	/* n: bytes written so far, without the NUL */
};

static void sink_put(struct sink *s, const char *p, size_t n)
{
	size_t room = s->len - 1 - s->n;

	if (n > room)
		n = room;
	memcpy(s->buf + s->n, p, n);
	s->n += n;
	s->buf[s->n] = '\0';
}

/* How many bytes of s, at most max, end on a UTF-8 character boundary. */
static size_t utf8_head(const char *s, size_t max)
{
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Where the last (at most) max bytes of s, of length n, start on a boundary. */
static size_t utf8_tail(const char *s, size_t n, size_t max)
{
	size_t start = n - max;

	while (start < n && ((unsigned char)s[start] & 0xc0) == 0x80)
		start++;
	return start;
}

/* A value of n bytes, in at most max: its head, "...", its tail. */
static void sink_value(struct sink *s, const char *v, size_t n, size_t max)
{
	size_t tail = max / 4, start;

	if (n <= max) {
		sink_put(s, v, n);
		return;
	}
	sink_put(s, v, utf8_head(v, max - tail - 3));
	sink_put(s, "...", 3);
	start = utf8_tail(v, n, tail);
	sink_put(s, v + start, n - start);
}

/* Advance ap past one argument of conversion conv with length modifier lm. */
enum lmod { L_NONE, L_HH, L_H, L_L, L_LL, L_Z, L_J, L_T, L_LD };

static void arg_skip(char conv, enum lmod lm, va_list *ap)
{
	switch (conv) {
	case 'c':	/* a char or a wint_t, both passed as int */
		(void)va_arg(*ap, int);
		break;
	case 'd': case 'i': case 'o': case 'u': case 'x': case 'X':
		if (lm == L_L)
			(void)va_arg(*ap, long);
		else if (lm == L_LL)
			(void)va_arg(*ap, long long);
		else if (lm == L_Z)
			(void)va_arg(*ap, size_t);
		else if (lm == L_J)
			(void)va_arg(*ap, intmax_t);
		else if (lm == L_T)
			(void)va_arg(*ap, ptrdiff_t);
		else
			(void)va_arg(*ap, int);
		break;
	case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
		if (lm == L_LD)
			(void)va_arg(*ap, long double);
		else
			(void)va_arg(*ap, double);
		break;
	default:	/* 'p' */
		(void)va_arg(*ap, void *);
		break;
	}
}

/* One conversion: spec[0..len) is "%...c"; its arguments are taken from ap.
 * A string is written whole, a quoted one (a value the user gave) shortened
 * to PP_ERR_VALUE_MAX; anything else as vsnprintf writes it. */
static void sink_conv(struct sink *s, const char *spec, size_t len, bool quoted, va_list *ap)
{
	char fmt[48], piece[128];
	const char *p;
	long prec = -1;
	size_t o = 0;
	char conv = spec[len - 1];
	enum lmod lm = L_NONE;
	va_list one;

	/* The spec again, with each '*' replaced by its argument's value. */
	for (size_t i = 0; i < len && o < sizeof(fmt) - 12; i++) {
		if (spec[i] != '*') {
			fmt[o++] = spec[i];
			continue;
		}
		int v = va_arg(*ap, int);

		if (i > 0 && spec[i - 1] == '.')
			prec = v < 0 ? -1 : v;
		o += (size_t)snprintf(fmt + o, sizeof(fmt) - o, "%d", v);
	}
	fmt[o] = '\0';
	p = strchr(spec, '.');
	if (p && p < spec + len && p[1] >= '0' && p[1] <= '9')
		prec = strtol(p + 1, NULL, 10);
	else if (p && p < spec + len && p[1] != '*')
		prec = 0;
	p = spec + strspn(spec + 1, "-+ #0123456789.*") + 1;
	if (p[0] == 'h')
		lm = p[1] == 'h' ? L_HH : L_H;
	else if (p[0] == 'l')
		lm = p[1] == 'l' ? L_LL : L_L;
	else if (p[0] == 'z')
		lm = L_Z;
	else if (p[0] == 'j')
		lm = L_J;
	else if (p[0] == 't')
		lm = L_T;
	else if (p[0] == 'L')
		lm = L_LD;
	if (conv == 's' && lm == L_NONE) {
		const char *v = va_arg(*ap, const char *);
		size_t n;

		if (!v)
			v = "(null)";
		n = prec >= 0 ? strnlen(v, (size_t)prec) : strlen(v);
		sink_value(s, v, n, quoted ? PP_ERR_VALUE_MAX : PP_ERR_TEXT_MAX);
		return;
	}
	/* vsnprintf reads the conversion's argument from a copy of ap; then
	 * ap is advanced past it by its type. */
	va_copy(one, *ap);
	vsnprintf(piece, sizeof(piece), fmt, one);
	va_end(one);
	arg_skip(conv, lm, ap);
	sink_put(s, piece, strlen(piece));
}

void pp_err_value(char *buf, size_t len, const char *v)
{
	struct sink s = { .buf = buf, .len = len };

	if (!len)
		return;
	buf[0] = '\0';
	sink_value(&s, v, strlen(v), PP_ERR_VALUE_MAX);
}

size_t pp_err_vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .len = len };
	const char *p = fmt;
	int saved_errno = errno;	/* for %m, before anything here changes it */
	va_list aq;

	if (!len)
		return 0;
	buf[0] = '\0';
	va_copy(aq, ap);
	while (*p) {
		const char *pct = strchr(p, '%');
		size_t n;

		if (!pct) {
			sink_put(&s, p, strlen(p));
			break;
		}
		sink_put(&s, p, (size_t)(pct - p));
		if (pct[1] == '%') {
			sink_put(&s, "%", 1);
			p = pct + 2;
			continue;
		}
		n = 1 + strspn(pct + 1, "-+ #'0123456789.*hlzjtL");
		if (!pct[n])
			break;	/* a format ending in a bare '%' */
		n++;
		if (pct[n - 1] == 'm') {	/* glibc's: no argument */
			const char *m = strerror(saved_errno);

			sink_put(&s, m, strlen(m));
			p = pct + n;
			continue;
		}
		/* "...\"%s\"...": a value the user gave, quoted. */
		sink_conv(&s, pct, n, pct > fmt && pct[-1] == '"' && pct[n] == '"', &aq);
		p = pct + n;
	}
	va_end(aq);
	return s.n;
}

size_t pp_err_format(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = pp_err_vformat(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

size_t pp_text_escape(char *dst, size_t len, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	struct sink s = { .buf = dst, .len = len };
	const unsigned char *p = (const unsigned char *)src, *end = p + strlen(src);

	if (!len)
		return 0;
	dst[0] = '\0';
	while (*p) {
		size_t k = utf8_char_len(p, end);

		/* A whole, valid character passes, except the C0 and C1
		 * controls and DEL (U+009B alone is a terminal's CSI); any
		 * other byte is shown as \xNN, never raw. */
		if (k == 1 && *p >= 0x20 && *p != 0x7f) {
			sink_put(&s, (const char *)p, 1);
			p++;
		} else if (k > 1 && !(k == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			sink_put(&s, (const char *)p, k);
			p += k;
		} else {
			char esc[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };

			sink_put(&s, esc, 4);
			p++;
		}
	}
	return s.n;
}

int pp_err_set(struct pp_err *e, enum pp_exit kind, int code, const char *fmt, ...)
{
	va_list ap;

	if (code >= 0)
		code = -EINVAL;
	if (!e)
		return code;
	e->kind = kind;
	e->code = code;
	va_start(ap, fmt);
	pp_err_vformat(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}
