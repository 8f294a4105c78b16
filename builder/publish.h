/* publish.h — what happens around the pipeline for `imgbuild build`: one pipeline build per
 * platform of the context (base images, platforms and registry clients are the context's),
 * several platforms joined under an image index, and the result delivered: an OCI layout
 * (oci:DIR), a `docker load`-able archive (docker-archive:FILE) or a push of every -t
 * reference that names a registry. Optionally writes --metadata-file JSON.
 * Owns: the per-platform layouts, the index and the delivery. May call: the context, the
 * pipeline, oci/ (push, docker archive, refs). Never prints;
 * progress goes to the context's log callback. */
#ifndef IMGBUILD_PUBLISH_H
#define IMGBUILD_PUBLISH_H

#include <stddef.h>

#include "context.h"
#include "err.h"
#include "pipeline.h"
#include "reg.h"

typedef struct publish_opts {
	const char *output;      /* "oci:DIR", "docker-archive:FILE", or NULL = push */
	const char *const *refs; /* -t as written */
	size_t n_refs;
	const char *metadata_file; /* NULL = none */
	const char *sign_key;      /* issue 15: --sign-key PEM file (oci/sign.h), or NULL */
} publish_opts_t;

typedef struct publish_result {
	char *digest; /* the manifest (one platform) or index digest */
	char *media_type;
	char **platforms;       /* "linux/amd64" per build */
	build_result_t *builds; /* one per platform, same order */
	size_t n_builds;
	char **pushed; /* "registry/repo:tag@digest" per pushed reference */
	size_t n_pushed;
	reg_stats_t stats; /* summed over registries */
} publish_result_t;

/* Builds every platform of ctx (made with CTX_SOLVE | CTX_LAYERS) and delivers the image. On
 * failure nothing is left at the output and no tag was pushed for an incomplete image. */
int publish_run(const publish_opts_t *po, ctx_t *ctx, publish_result_t *out, err_t *err);
void publish_result_free(publish_result_t *r);

#endif
