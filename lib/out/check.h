/* out/check — the differences `podpath check` found, as text (grouped by
 * namespace, each with the command that shows it) and as JSON
 * ({"schema":1, "clean", "differences":[...], "checked":{...}}). The one
 * place their English is made. */
#ifndef PODPATH_OUT_CHECK_H
#define PODPATH_OUT_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "lab/check.h"

struct out_check {
	const struct lab *lab;
	const struct lab_check_list *list;
	double elapsed_ms;
	bool color;
};

/* One finding as a sentence (no place, no newline): "route 10.244.2.2/32
 * is not in the plan: blackhole". */
void out_check_sentence(char *buf, size_t len, const struct lab_finding *f);
/* The summary line, then per namespace its findings and their commands. */
void out_check_text(FILE *f, const struct out_check *c);
/* The JSON document; the caller owns it. */
struct json_t *out_check_json(const struct out_check *c);

#endif
