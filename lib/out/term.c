/* out/term — see term.h. */
#include <locale.h>
#include <ncurses.h>
#include <string.h>

#include "out/term.h"

/* Let ncurses put the terminal back before a signal ends the process. */
static void on_fatal(int sig)
{
	endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

int out_term_start(struct out_term *t)
{
	struct sigaction fatal = { .sa_handler = on_fatal };

	setlocale(LC_ALL, "");
	if (!initscr())
		return -1;
	sigaction(SIGTERM, &fatal, &t->old_term);
	sigaction(SIGINT, &fatal, &t->old_int);
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(OUT_C_TITLE, COLOR_BLACK, COLOR_CYAN);
		init_pair(OUT_C_SEL, COLOR_BLACK, COLOR_YELLOW);
		init_pair(OUT_C_HOT, COLOR_MAGENTA, -1);
		init_pair(OUT_C_DIM, COLOR_BLUE, -1);
		init_pair(OUT_C_OK, COLOR_GREEN, -1);
		init_pair(OUT_C_BAD, COLOR_RED, -1);
	}
	return 0;
}

void out_term_end(struct out_term *t)
{
	endwin();
	sigaction(SIGTERM, &t->old_term, NULL);
	sigaction(SIGINT, &t->old_int, NULL);
}

size_t out_term_row_len(const char *s, size_t room)
{
	size_t n = strlen(s);

	if (n <= room)
		return n;
	for (n = room; n > 0; n--)
		if (s[n] == ' ')
			return n;
	return room ? room : 1;	/* never 0: the caller's loop must advance */
}
