/* preflight.h — what a build checks before it solves, pulls or builds anything, so that a run
 * that cannot finish fails in seconds, not after the whole build (issue 11, parts 6 and 7):
 * every --platform has its conda subdir in some channel (a channel lacking it is named up
 * front), and every registry the build will push to (-t, --cache-repo) answers and accepts
 * the credentials for a push, the error naming where those credentials came from.
 * Owns: those checks. May call: the context, conda/channel.h, oci/reg.h, oci/ref.h. Never
 * prints: notes go to the context's log. */
#ifndef IMGBUILD_PREFLIGHT_H
#define IMGBUILD_PREFLIGHT_H

#include "context.h"
#include "err.h"
#include "publish.h"

/* For each platform (not with --lock: a lock lists its platforms' packages): the channels that
 * lack its subdir are logged; when none has it, that platform is solved now, and a failed
 * solve names the subdir and the channels. 0 or -1 with err. */
int preflight_platforms(ctx_t *c, err_t *err);

/* What preflight_registries found out about --cache-repo. */
enum preflight_cache {
	PREFLIGHT_CACHE_OFF = 0,        /* not reachable or not readable: build without it */
	PREFLIGHT_CACHE_READ_WRITE = 1, /* (also: no --cache-repo) */
	PREFLIGHT_CACHE_READ_ONLY = 2,  /* push refused, reads work: use its hits, store nothing */
};

/* Push access to each -t repository (when pushing): 0 or -1 with err. And to --cache-repo,
 * which is best effort: a refused push is a warning, then a read is tried (a pull-only token,
 * a read-only registry: *cache_usable = PREFLIGHT_CACHE_READ_ONLY); when that fails too, a
 * warning and PREFLIGHT_CACHE_OFF (the caller builds without the registry cache). With
 * --layers, whose only output is the cache, a refused push is an error. */
int preflight_registries(ctx_t *c, const publish_opts_t *po, int *cache_usable, err_t *err);

#endif
