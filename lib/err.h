/* err — podpath's exit codes and the error record lib/ hands back to cmd/.
 * lib/ never prints: it fills a struct pp_err naming the object and the value,
 * and cmd/ prints it once (text on stderr, or {"error": ...} in JSON mode). */
#ifndef PODPATH_ERR_H
#define PODPATH_ERR_H

/* Exit codes, documented in podpath(8). */
enum pp_exit {
	PP_EXIT_OK = 0,		/* success */
	PP_EXIT_FAIL = 1,	/* the thing asked for failed (e.g. packet dropped) */
	PP_EXIT_USAGE = 2,	/* bad usage or bad input; nothing was changed */
	PP_EXIT_ENV = 3,	/* environment: not root, kernel feature or dependency missing */
	/* Stopped by a signal after rolling back, as a shell reports a
	 * process killed by it: 128 + the signal's number. */
	PP_EXIT_SIGINT = 128 + 2,
	PP_EXIT_SIGTERM = 128 + 15,
};

struct pp_err {
	enum pp_exit kind;	/* which exit code this error means */
	int code;		/* negative errno, 0 if none */
	char msg[640];		/* "pod \"default/x\": no such pod in lab \"podpath\"" */
};

/* A value the user gave (a "%s" quoted in the format) is shortened to this
 * many bytes, head "..." tail, so that it never cuts the reason out of a
 * message; any other string (a reason, an object's name) to PP_ERR_TEXT_MAX. */
#define PP_ERR_VALUE_MAX 96
#define PP_ERR_TEXT_MAX 320

#include <stdarg.h>
#include <stddef.h>

/* vsnprintf for messages: strings as PP_ERR_VALUE_MAX says (a string's
 * width is ignored: messages are not aligned), the rest as vsnprintf;
 * returns the length written. */
size_t pp_err_vformat(char *buf, size_t len, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
size_t pp_err_format(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* v shortened as a quoted value would be, for a value a message shows
 * unquoted (a file's name); buf should hold PP_ERR_VALUE_MAX + 1 bytes. */
void pp_err_value(char *buf, size_t len, const char *v);
/* src with every control character (ESC, BEL, CR, LF, ...) and every byte
 * that is not part of valid UTF-8 written as \xNN, so that no value from
 * an argument or a file reaches a terminal raw. Returns the length. */
size_t pp_text_escape(char *dst, size_t len, const char *src);

/* Fill e (if not NULL) and return code (negative errno, or -EINVAL if code is 0).
 * The message is made by pp_err_vformat. */
int pp_err_set(struct pp_err *e, enum pp_exit kind, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
