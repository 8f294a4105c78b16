/* context.h — the build context: what every command resolves from its options before doing
 * its own work, resolved once and the same way for build, plan, lock and push, so that a plan
 * or a lock cannot solve differently from the build it stands for: the cache directory
 * (checked to be the user's own, cachedir.h), the environment file and/or lock, the
 * environment's name and image prefix, the recipe, the channels (--channel-alias, priority,
 * offline), the platforms (conda subdir + OCI architecture each), the base image per platform
 * (a registry reference is pulled once), the virtual packages per platform (__glibc from the
 * base) and the package set per platform (the lock's, or a solve).
 * Owns: those resolutions, a scratch directory for pulled bases, and the registry clients that
 * base pulls and pushes share. May call: conda/ (envspec, channel, solve, virtual, lock),
 * pkg/ (fetch, completing lock records), layers/ (recipes), oci/ (ref, reg, pull), common/.
 * Never prints: progress goes to the log callback; errors name the flag that fixes them. */
#ifndef IMGBUILD_CONTEXT_H
#define IMGBUILD_CONTEXT_H

#include <stddef.h>

#include "envspec.h"
#include "err.h"
#include "group.h"
#include "pipeline.h"
#include "reg.h"
#include "solve.h"
#include "virtual.h"

typedef struct ctx ctx_t;

typedef struct ctx_platform {
	const char *name;   /* "linux/amd64", "linux/arm64" */
	const char *subdir; /* conda subdir: "linux-64", "linux-aarch64" */
	const char *arch;   /* OCI architecture: "amd64", "arm64" */
} ctx_platform_t;

/* What a command needs beyond the cache directory and registry access (push needs nothing
 * else). */
#define CTX_SOLVE 1u  /* environment file or lock, channels, platforms, virtual packages */
#define CTX_LAYERS 2u /* name, prefix, recipe: build and plan */

/* o (and what it points to) is borrowed and must outlive the context. Errors name the file
 * or flag at fault. Caller frees. */
ctx_t *ctx_new(const build_opts_t *o, unsigned needs, log_fn log, void *ud, err_t *err);
void ctx_free(ctx_t *c); /* NULL is a no-op; removes the scratch directory */

const build_opts_t *ctx_opts(const ctx_t *c);
void ctx_log(const ctx_t *c, const char *fmt, ...) ERR_PRINTF(2, 3);
log_fn ctx_log_fn(const ctx_t *c, void **ud);

/* Borrowed strings, valid for the context's life. */
const char *ctx_cache_dir(const ctx_t *c);
const envspec_t *ctx_env(const ctx_t *c); /* NULL: --lock without an environment file */
const char *ctx_name(const ctx_t *c);     /* --name, the file's name:, the lock's, or "env" */
const char *ctx_prefix(const ctx_t *c);   /* --prefix or /opt/conda/envs/<name> (CTX_LAYERS) */
const recipe_t *ctx_recipe(const ctx_t *c);

size_t ctx_platform_count(const ctx_t *c); /* >= 1 with CTX_SOLVE */
const ctx_platform_t *ctx_platform(const ctx_t *c, size_t i);

/* Channels as written (--channel first, then the file's; "nodefaults" dropped; one entry per
 * URL) and their base URLs. None with --lock: a lock names its URLs. */
size_t ctx_channel_count(const ctx_t *c);
const char *ctx_channel(const ctx_t *c, size_t i);
const char *ctx_channel_url(const ctx_t *c, size_t i);

/* The base image of platform i as an OCI layout: *layout is NULL without --base; oci:DIR[:TAG]
 * is used in place (*tag NULL = its only image); a registry reference is pulled for the
 * platform's architecture into the scratch directory on the first call. */
int ctx_base(ctx_t *c, size_t i, const char **layout, const char **tag, err_t *err);
/* Platform i's base image, opened and checked once (oci/base.h; borrowed): *out is NULL
 * without --base. 0 or -1 with err. */
struct oci_base;
int ctx_base_image(ctx_t *c, size_t i, struct oci_base **out, err_t *err);
/* The run's HTTP client (borrowed). */
struct http_client;
const struct http_client *ctx_http(const ctx_t *c);

/* The virtual packages of platform i (__glibc from its base image, --glibc, --cuda, ...). */
int ctx_virtuals(ctx_t *c, size_t i, virtual_set_t *out, err_t *err);

/* The package set of platform i, as a solution (caller frees): with --lock the lock's records
 * for the platform's subdir, completed from their archives (fetched into the package cache;
 * *archives, when not NULL, gets each record's archive path, caller frees each and the
 * array); else a solve of the environment against the channels. *archives is NULL after a
 * solve: nothing was fetched. */
int ctx_packages(ctx_t *c, size_t i, solution_t **out, char ***archives, err_t *err);

/* The context's scratch directory (<cache>/tmp/build-<pid>-XXXXXX: swept by a later run when
 * this one is killed), made on first use and removed by ctx_free. Borrowed. */
int ctx_scratch(ctx_t *c, const char **dir, err_t *err);

/* fetch_packages (pkg/fetch.h) into the context's package cache, with its parallelism and a
 * "fetched"/"cached" progress line per package. */
int ctx_fetch(ctx_t *c, const pkgrec_t *const *recs, size_t n, char **paths_out, err_t *err);

/* One client per registry name, shared by every use in the context (caller must not free). */
reg_t *ctx_registry(ctx_t *c, const char *registry, err_t *err);
/* The push statistics of every client, summed. */
void ctx_registry_stats(const ctx_t *c, reg_stats_t *sum);

#endif
