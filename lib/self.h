/* self — the name podpath was invoked by, for the commands it suggests
 * ("try:  ./podpath --lab x trace ..."), so that a hint copied into the
 * same shell runs the same binary: `podpath` is not on PATH after `make`.
 *
 * Why no parameter or field: argv[0] is a property of the process, fixed
 * before main() runs; glibc already keeps it (program_invocation_name).
 * Hints are built deep in lib (error messages of lab_load before any lab
 * exists, trace findings, explain topics), so passing it down would change
 * a dozen signatures for a value that never varies within one process.
 * Nothing here writes it: there is no mutable state of podpath's own. */
#ifndef PODPATH_SELF_H
#define PODPATH_SELF_H

#include <errno.h>
#include <string.h>

/* argv[0] verbatim when a shell reads it back as one word; else (empty, or
 * a byte a shell would split or expand) the plain name "podpath". */
static inline const char *pp_self(void)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				   "0123456789/._+-,:@%";
	const char *s = program_invocation_name;

	if (!s || !*s || s[strspn(s, safe)] || *s == '-')
		return "podpath";
	return s;
}

#endif
