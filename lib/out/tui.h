/* out/tui — an ncurses view that steps through a trace hop by hop. */
#ifndef PODPATH_OUT_TUI_H
#define PODPATH_OUT_TUI_H

#include "trace/trace.h"

/* Run the view on the terminal until the user quits; the terminal is
 * restored on return. 0, or -1 if the terminal cannot be used. */
int out_trace_tui(const struct trace *t);

#endif
