/* fuzz_envspec.c — environment.yml through conda/envspec.c (libyaml's document API and the
 * type checks conda applies), then every dependency through matchspec_parse. Properties:
 * errors read "FILE:LINE:COLUMN: ..." with 1-based positions and no control characters;
 * accepted channels, specs and names hold no control characters; variable names are
 * environment variable names; every position is 1-based. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envspec.h"
#include "fuzz_util.h"
#include "matchspec.h"

#define NAME "fuzz-env.yml"

static void is_clean(const char *s, const char *what)
{
	FUZZ_ASSERT(s, "%s is NULL", what);
	for (; *s; s++)
		FUZZ_ASSERT((unsigned char)*s >= 0x20 && *s != 0x7f, "%s holds 0x%02x", what,
			    (unsigned char)*s);
}

static void check_env(const envspec_t *e)
{
	if (envspec_name(e))
		is_clean(envspec_name(e), "name");
	for (size_t i = 0; i < envspec_channel_count(e); i++)
		is_clean(envspec_channel(e, i), "channel");
	for (size_t i = 0; i < envspec_dep_count(e); i++) {
		err_t err = ERR_INIT;
		is_clean(envspec_dep(e, i), "dependency");
		FUZZ_ASSERT(envspec_dep_line(e, i) >= 1 && envspec_dep_column(e, i) >= 1,
			    "dependency at %d:%d", envspec_dep_line(e, i),
			    envspec_dep_column(e, i));
		matchspec_t *m = matchspec_parse(envspec_dep(e, i), &err);
		if (!m)
			fuzz_check_message(&err, NULL);
		matchspec_free(m);
		err_clear(&err);
	}
	for (size_t i = 0; i < envspec_pip_count(e); i++) {
		is_clean(envspec_pip(e, i), "pip requirement");
		FUZZ_ASSERT(envspec_pip_line(e, i) >= 1, "pip line %d", envspec_pip_line(e, i));
	}
	for (size_t i = 0; i < envspec_var_count(e); i++) {
		const char *n = envspec_var_name(e, i);
		FUZZ_ASSERT(
			strspn(n,
			       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
					strlen(n) &&
				!(n[0] >= '0' && n[0] <= '9') && *n,
			"variable name '%s'", n);
		FUZZ_ASSERT(envspec_var_value(e, i), "variable %s without a value", n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	err_t err = ERR_INIT;
	envspec_t *e = envspec_parse(NAME, (const char *)data, size, &err);
	if (e)
		check_env(e);
	else
		fuzz_check_message(&err, NAME);
	envspec_free(e);
	err_clear(&err);
	return 0;
}
