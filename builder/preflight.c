/* preflight.c — checks made before any solve or build (see preflight.h). */
#include "preflight.h"

#include <string.h>

#include "buf.h"
#include "channel.h"
#include "ref.h"
#include "solve.h"

/* Channels (base URLs) of c lacking subdir, comma-separated, into missing; their count. */
static size_t channels_lacking(ctx_t *c, const char *subdir, buf_t *missing)
{
	size_t n = 0;
	for (size_t k = 0; k < ctx_channel_count(c); k++) {
		if (channel_subdir_exists(ctx_http(c), ctx_channel_url(c, k), subdir,
					  ctx_opts(c)->offline))
			continue;
		buf_addf(missing, "%s%s", n++ ? ", " : "", ctx_channel_url(c, k));
	}
	return n;
}

int preflight_platforms(ctx_t *c, err_t *err)
{
	buf_t missing = BUF_INIT;
	int rc = 0;
	if (ctx_opts(c)->lock_path)
		return 0;
	for (size_t i = 0; rc == 0 && i < ctx_platform_count(c); i++) {
		const ctx_platform_t *pl = ctx_platform(c, i);
		solution_t *sol = NULL;
		buf_reset(&missing);
		size_t n = channels_lacking(c, pl->subdir, &missing);
		if (n == 0)
			continue;
		ctx_log(c, "%s: no %s/ in %s: only noarch/ packages come from %s", pl->name,
			pl->subdir, missing.data, n == 1 ? "it" : "them");
		if (n < ctx_channel_count(c))
			continue;
		/* no channel has the subdir: only a noarch-only environment can solve; find out
		 * now, before another platform is built */
		if (ctx_packages(c, i, &sol, NULL, err) != 0) {
			err_prefix(err, "%s: no channel has a %s/ subdir (%s)", pl->name,
				   pl->subdir, missing.data);
			rc = -1;
		}
		solution_free(sol);
	}
	buf_free(&missing);
	return rc;
}

int preflight_registries(ctx_t *c, const publish_opts_t *po, err_t *err)
{
	(void)c;
	(void)po;
	(void)err;
	return 0;
}
