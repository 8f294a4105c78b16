/* fuzz_matchspec.c — MatchSpec strings through conda/matchspec.c. The round-trip property
 * (issue 10): whatever matchspec_parse accepts, matchspec_to_string writes a spec that parses
 * again to the same parts (the version may be rewritten to libsolv's equivalent, "=1.2" ->
 * "1.2.*": compared through matchspec_to_solv), and writing that again gives the same text.
 * Also: matchspec_to_solv and the build-number matcher never fail on an accepted spec. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "matchspec.h"

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void round_trip(const matchspec_t *m, const char *input)
{
	buf_t text = BUF_INIT, again = BUF_INIT, solv1 = BUF_INIT, solv2 = BUF_INIT;
	err_t err = ERR_INIT;
	matchspec_to_string(m, &text);
	matchspec_t *b = matchspec_parse(text.data, &err);
	FUZZ_ASSERT(b, "'%s' -> '%s', which does not parse: %s", input, text.data, err_msg(&err));
	FUZZ_ASSERT(same(m->name, b->name) && same(m->channel, b->channel) &&
			    same(m->subdir, b->subdir) && same(m->build, b->build) &&
			    same(m->build_number, b->build_number),
		    "'%s' -> '%s' reads back with other parts", input, text.data);
	matchspec_to_solv(m, &solv1);
	matchspec_to_solv(b, &solv2);
	FUZZ_ASSERT(!strcmp(solv1.data, solv2.data), "'%s' -> '%s': version '%s' became '%s'",
		    input, text.data, solv1.data, solv2.data);
	matchspec_to_string(b, &again);
	FUZZ_ASSERT(!strcmp(text.data, again.data), "'%s' -> '%s' -> '%s'", input, text.data,
		    again.data);
	matchspec_free(b);
	buf_free(&text);
	buf_free(&again);
	buf_free(&solv1);
	buf_free(&solv2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = fuzz_cstr(data, size);
	err_t err = ERR_INIT;
	matchspec_t *m = matchspec_parse(spec, &err);
	if (m) {
		FUZZ_ASSERT(m->name && *m->name, "accepted '%s' without a name", spec);
		if (m->build_number)
			FUZZ_ASSERT(matchspec_build_number_matches(m->build_number, 3) >= 0,
				    "build_number '%s' accepted but unreadable", m->build_number);
		round_trip(m, spec);
	} else {
		fuzz_check_message(&err, NULL);
	}
	matchspec_free(m);
	err_clear(&err);
	free(spec);
	return 0;
}
