/* Private to lib/trace/. */
#ifndef PODPATH_TRACE_INTERNAL_H
#define PODPATH_TRACE_INTERNAL_H

#include "trace/trace.h"

/* Turn the captured packets and trace events into hops, explain them and
 * reach the verdict. */
int trace_correlate(struct trace *t, struct pp_err *e);

#endif
