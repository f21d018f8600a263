/* out/term — the terminal for podpath's TUIs: ncurses started with the
 * colours they share, and given back on return and on a fatal signal. */
#ifndef PODPATH_OUT_TERM_H
#define PODPATH_OUT_TERM_H

#include <signal.h>
#include <stddef.h>

/* Colour pairs. */
enum { OUT_C_TITLE = 1, OUT_C_SEL, OUT_C_HOT, OUT_C_DIM, OUT_C_OK, OUT_C_BAD };

struct out_term {
	struct sigaction old_term, old_int;
};

/* Start ncurses (cbreak, no echo, keypad, no cursor, colours). 0, or -1 if
 * the terminal cannot be used. */
int out_term_start(struct out_term *t);
/* End ncurses and restore the signal handlers. */
void out_term_end(struct out_term *t);

/* How much of s goes on a row room columns wide: all of it if it fits, else
 * up to the last space that fits, so words stay whole; a word wider than
 * the row is cut at room. */
size_t out_term_row_len(const char *s, size_t room);

#endif
