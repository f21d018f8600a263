/* err — fill an error record; see err.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

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
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}
