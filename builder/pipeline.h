/* pipeline.h — one platform's build, stage by stage, after the build context (context.h) has
 * resolved its inputs: package set (solve or lock) -> layer plan -> layer cache lookups ->
 * fetch/verify -> install (one staging tree per package) -> layer blobs -> OCI image layout.
 * Also the option struct every command fills (build_opts_t) and the context is made from.
 * Owns: staging trees, the temporary layout, layer reuse and publishing to the caches.
 * May call: the context, conda/ (solutions), pkg/ (fetch, install), layers/, oci/ (image),
 * common/. Never prints: progress goes to the log callback. */
#ifndef IMGBUILD_PIPELINE_H
#define IMGBUILD_PIPELINE_H

#include <stddef.h>

#include "err.h"
#include "layer.h"
#include "log.h"

struct reg_opts;
struct ctx;

/* The image config and manifest flags (issue 11 part 3; builder/pipeline_config.c applies
 * them). "K=V" entries were checked by the CLI (a non-empty K); lists and strings borrowed. */
typedef struct image_config_opts {
	const char *const *labels; /* --label K=V: config Labels, after the built-in ones */
	size_t n_labels;
	const char *const *annotations; /* --annotation K=V: manifest (and image index) */
	size_t n_annotations;
	const char *const *env; /* --env K=V: config Env, after the environment's */
	size_t n_env;
	const char *const *entrypoint; /* --entrypoint, as an argv; has_entrypoint: given */
	size_t n_entrypoint;
	int has_entrypoint;
	const char *const *cmd; /* --cmd, as an argv; has_cmd: given */
	size_t n_cmd;
	int has_cmd;
	const char *workdir;  /* --workdir (absolute) or NULL */
	const char *source;   /* org.opencontainers.image.source: --source or the CI's, or NULL */
	const char *revision; /* org.opencontainers.image.revision: --revision or the CI's */
	int has_created;      /* SOURCE_DATE_EPOCH was set: org.opencontainers.image.created */
} image_config_opts_t;

/* What the user asked for, for any command (builder/options.c fills it; the context reads it).
 * Strings and lists are borrowed. */
typedef struct build_opts {
	const char *env_path;        /* environment.yml; NULL only with lock_path */
	const char *const *channels; /* --channel, in order, before the file's channels */
	size_t n_channels;
	const char *channel_alias; /* NULL = https://conda.anaconda.org */
	const char *ca_cert;       /* extra PEM CA for channels and packages (http.h), NULL = env */
	const char *prefix;        /* NULL = /opt/conda/envs/<name> */
	const char *name;          /* NULL = the file's name:, else the lock's, else "env" */
	const char *cache_dir;     /* NULL = $XDG_CACHE_HOME/imgbuild or ~/.cache/imgbuild */
	const char *base;          /* --base: "oci:DIR[:TAG]", a registry reference, or NULL */
	const char *base_ref;      /* --base as written (messages), "scratch" too; or NULL */
	int base_is_scratch;       /* --base scratch: no base image, and no C library check */
	const char *user;          /* --user UID[:GID]|NAME (checked by rootfs_user_parse) */
	const char *const *platforms; /* "linux/amd64", "linux/arm64"; none = linux/amd64 */
	size_t n_platforms;
	const char *recipe_path;   /* NULL = built-in recipes/default.yaml */
	const char *cuda_version;  /* NULL = no __cuda */
	const char *glibc_version; /* NULL = the base image's, else the default */
	const char *lock_path;     /* NULL = solve; else install exactly this lock's packages */
	int channel_priority;      /* SOLVE_PRIORITY_STRICT (0), _FLEXIBLE or _DISABLED */
	int offline;               /* repodata from the cache only, never the network */
	int ignore_pip;
	const char *pypi_index; /* --pypi-index: the pip section's index, NULL = env/default */
	int no_layer_cache;     /* neither reuse nor store layers (<cache>/layers) */
	int no_extract_cache;   /* no effect since layer-format 4 (nothing is extracted) */
	const char *cache_repo; /* --cache-repo HOST[:PORT]/PATH: shared registry layer cache, or
				   NULL */
	const struct reg_opts
		*reg;       /* registry access (base pulls, cache repo, pushes); NULL = defaults */
	int jobs;           /* <= 0: one per CPU */
	layer_opts_t layer; /* compression, level, mtime */
	/* issue 15: what is attached to the image (builder/sbom_attach.c). -1 = not given:
	 * spdx / slsa on a push, none for --output (docs/sbom.md) */
	int sbom_format;                      /* sbom_format_t (builder/sbom.h) */
	int provenance;                       /* provenance_format_t (builder/provenance.h) */
	image_config_opts_t image;            /* --label, --env, --entrypoint, ... */
	const struct progress_sink *progress; /* downloads (common/progress.h), or NULL */

	/* issue 14 part 4: builds spread over machines (builder/spread.c) */
	const char *only_groups;  /* --layers G1,G2: only these groups, into cache_repo; no image */
	int cache_repo_read_only; /* cache_repo refused a push: read it, store nothing */
} build_opts_t;

/* Where one platform's build goes. */
typedef struct pipeline_target {
	size_t platform;         /* index into the context's platforms */
	const char *output_dir;  /* OCI layout directory to (re)write */
	const char *const *tags; /* ref names for index.json ("1.0") */
	size_t n_tags;
	int cache_repo_mount_only; /* registry-cache hits are not downloaded (their blobs stay out
				      of the layout): only when the sole output is a push to
				      cache_repo's registry, which mounts them (builder/publish.c
				      decides) */
} pipeline_target_t;

typedef struct build_layer_info {
	char *group; /* group name, "rootfs" for the root filesystem layer (no packages) */
	size_t n_packages;
	layer_desc_t desc;
	int is_cached;        /* reused from the layer cache, not built */
	int is_from_registry; /* ... taken from the --cache-repo registry cache */
	int is_generated;     /* made by every build (the root filesystem layer), not a package
			       * layer: counted neither built nor reused */
} build_layer_info_t;

typedef struct build_result {
	char *manifest_digest;
	long long manifest_size;
	char *prefix;
	size_t n_packages;
	build_layer_info_t *layers;
	size_t n_layers;
} build_result_t;

/* Builds platform t->platform of the context. On failure nothing is left under output_dir's
 * name that was not there before, and err says what went wrong and where. */
int pipeline_build(struct ctx *ctx, const pipeline_target_t *t, build_result_t *out, err_t *err);
void build_result_free(build_result_t *r);

/* The recipe compiled into the binary (recipes/default.yaml), borrowed. */
const char *pipeline_default_recipe(size_t *len);

#endif
