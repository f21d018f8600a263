/* libFuzzer harness for the topology parser and resolver.
 *
 * Any input: topo_from_json either fails with a well-formed error record or
 * succeeds; then topo_resolve, in the document's mode and in each other
 * mode (the command line may switch it), either fails cleanly or yields a
 * model whose JSON reads back and resolves to the very same JSON, and which
 * a second topo_resolve leaves unchanged. The document reader (jdoc)
 * accepts exactly what jansson's json_loadb accepts. Any breach aborts, so that
 * libFuzzer records the input; ASan/UBSan catch the rest.
 *
 *   make fuzz FUZZ_SECONDS=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "topo/jdoc.h"
#include "topo/topo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const struct topo_error *e)
{
	if (!memchr(e->path, 0, sizeof(e->path)) || !memchr(e->value, 0, sizeof(e->value)) ||
	    !memchr(e->msg, 0, sizeof(e->msg)) || !e->msg[0])
		abort();
}

static char *dump(const struct topo *t)
{
	json_t *j = topo_to_json(t);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!s)
		abort();
	return s;
}

/* t is resolved: its JSON must come back as the same JSON. */
static void check_roundtrip(struct topo *t)
{
	struct topo back;
	struct topo_error err;
	char *s = dump(t), *s2, *s3;

	if (topo_from_json(&back, s, strlen(s), &err) || topo_resolve(&back, &err))
		abort();
	s2 = dump(&back);
	if (strcmp(s, s2))
		abort();
	if (topo_resolve(t, &err))
		abort();
	s3 = dump(t);
	if (strcmp(s, s3))
		abort();
	topo_free(&back);
	free(s);
	free(s2);
	free(s3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int modes[] = { -1, TOPO_MODE_ROUTED, TOPO_MODE_VXLAN, TOPO_MODE_VPC };
	struct topo_error err;
	struct jdoc doc;
	json_error_t jerr;
	json_t *j;
	struct topo t;
	size_t i;

	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if ((jdoc_load(&doc, (const char *)data, size, &err) == 0) != (j != NULL))
		abort();
	jdoc_free(&doc);
	json_decref(j);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (topo_from_json(&t, (const char *)data, size, &err)) {
			check_error(&err);
			if (t.nodes || t.pods || t.nnodes || t.npods)
				abort();
			break;
		}
		if (modes[i] >= 0) {
			if ((int)t.net.mode == modes[i]) {
				topo_free(&t);
				continue;
			}
			t.net.mode = (enum topo_mode)modes[i];
		}
		if (topo_resolve(&t, &err))
			check_error(&err);
		else
			check_roundtrip(&t);
		topo_free(&t);
	}
	return 0;
}
