/* utf8 — strict UTF-8 (RFC 3629), shared by every reader and escaper, so
 * that what one accepts the other never refuses (jansson refuses overlong
 * forms, surrogates and code points past U+10FFFF). */
#ifndef PODPATH_UTF8_H
#define PODPATH_UTF8_H

#include <stddef.h>

/* Bytes in the valid UTF-8 character at p (at most end - p), or 0 when p
 * does not start one: a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF, a sequence cut by end. */
size_t utf8_char_len(const unsigned char *p, const unsigned char *end);

#endif
