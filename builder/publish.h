/* publish.h — what happens around the pipeline for `imgbuild build`: pulls a registry --base
 * per platform, runs one pipeline build per --platform, joins several platforms under an
 * image index, and delivers the result: an OCI layout (oci:DIR), a `docker load`-able
 * archive (docker-archive:FILE) or a push of every -t reference that names a registry.
 * Optionally writes --metadata-file JSON. Never prints; progress goes to the log callback. */
#ifndef IMGBUILD_PUBLISH_H
#define IMGBUILD_PUBLISH_H

#include <stddef.h>

#include "err.h"
#include "pipeline.h"
#include "reg.h"

typedef struct publish_opts {
	const char *output;                 /* "oci:DIR", "docker-archive:FILE", or NULL = push */
	const char *const *refs;            /* -t as written */
	size_t n_refs;
	const char *base;                   /* "oci:DIR[:TAG]", a registry reference, or NULL */
	const char *const *platforms;       /* "linux/amd64", "linux/arm64"; none = linux/amd64 */
	size_t n_platforms;
	const char *metadata_file;          /* NULL = none */
	reg_opts_t reg;                     /* TLS, insecure hosts, credentials, retries */
} publish_opts_t;

typedef struct publish_result {
	char *digest;            /* the manifest (one platform) or index digest */
	char *media_type;
	char **platforms;        /* "linux/amd64" per build */
	build_result_t *builds;  /* one per platform, same order */
	size_t n_builds;
	char **pushed;           /* "registry/repo:tag@digest" per pushed reference */
	size_t n_pushed;
	reg_stats_t stats;       /* summed over registries */
} publish_result_t;

/* bo is the per-build template (platform_subdir, oci_arch, output_dir, tags and base are
 * filled in here). On failure nothing is left at the output and no tag was pushed for an
 * incomplete image. */
int publish_run(const publish_opts_t *po, const build_opts_t *bo, pipeline_log_fn log, void *ud,
		publish_result_t *out, err_t *err);
void publish_result_free(publish_result_t *r);

#endif
