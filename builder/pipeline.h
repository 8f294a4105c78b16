/* pipeline.h — the build, stage by stage: environment.yml -> channels/repodata -> solve ->
 * fetch/verify -> install (one staging tree per package) -> layer plan -> layer blobs ->
 * OCI image layout. The CLI fills build_opts_t and prints what comes back; the pipeline
 * never prints, it reports progress through a callback. */
#ifndef IMGBUILD_PIPELINE_H
#define IMGBUILD_PIPELINE_H

#include <stddef.h>

#include "err.h"
#include "layer.h"

struct reg_opts;

typedef struct build_opts {
	const char *env_path;          /* environment.yml */
	const char *const *channels;   /* --channel, in order, before the file's channels */
	size_t n_channels;
	const char *channel_alias;     /* NULL = https://conda.anaconda.org */
	const char *ca_cert;           /* extra PEM CA for channels and packages (http.h), NULL = env */
	const char *prefix;            /* NULL = /opt/conda/envs/<name> */
	const char *name;              /* NULL = name from the file, else "env" */
	const char *cache_dir;         /* NULL = $XDG_CACHE_HOME/imgbuild or ~/.cache/imgbuild */
	const char *output_dir;        /* OCI layout directory to (re)write */
	const char *const *tags;       /* ref names for index.json ("1.0") */
	size_t n_tags;
	const char *base_layout;       /* NULL, or an OCI layout directory */
	const char *base_tag;          /* NULL = the layout's only image */
	const char *recipe_path;       /* NULL = built-in recipes/default.yaml */
	const char *platform_subdir;   /* "linux-64" */
	const char *oci_arch;          /* image architecture: NULL = "amd64"; "arm64" for linux-aarch64 */
	const char *cuda_version;      /* NULL = no __cuda */
	const char *glibc_version;     /* NULL = default */
	const char *lock_path;         /* NULL = solve; else install exactly this lock's packages */
	int channel_priority;          /* SOLVE_PRIORITY_STRICT (0), _FLEXIBLE or _DISABLED */
	int offline;                   /* repodata from the cache only, never the network */
	int ignore_pip;
	int no_layer_cache;            /* neither reuse nor store layers (<cache>/layers) */
	int no_extract_cache;          /* extract every package afresh (no <cache>/extracted) */
	const char *cache_repo;        /* --cache-repo HOST[:PORT]/PATH: shared registry layer cache, or NULL */
	const struct reg_opts *cache_reg; /* registry options for cache_repo (reg.h), NULL = defaults */
	int cache_repo_mount_only;     /* registry-cache hits are not downloaded (their blobs stay out of
	                                  the layout): only when the sole output is a push to cache_repo's
	                                  registry, which mounts them (builder/publish.c decides) */
	int jobs;                      /* <= 0: one per CPU */
	layer_opts_t layer;            /* compression, level, mtime */
	int sbom_format;               /* issue 15: sbom_format_t (builder/sbom.h); 0 = none */
} build_opts_t;

typedef struct build_layer_info {
	char *group;          /* group name, or "base" for base image layers */
	size_t n_packages;
	layer_desc_t desc;
	int is_cached;        /* reused from the layer cache, not built */
	int is_from_registry; /* ... taken from the --cache-repo registry cache */
} build_layer_info_t;

typedef struct build_result {
	char *manifest_digest;
	long long manifest_size;
	char *prefix;
	size_t n_packages;
	build_layer_info_t *layers;
	size_t n_layers;
} build_result_t;

typedef void (*pipeline_log_fn)(void *ud, const char *message);

/* Runs the whole build. On failure nothing is left under output_dir's name that was not
 * there before, and err says what went wrong and where. */
int pipeline_build(const build_opts_t *opts, pipeline_log_fn log, void *ud, build_result_t *out,
		   err_t *err);
void build_result_free(build_result_t *r);

/* Only the solve (environment.yml -> channels -> repodata -> solution), for `imgbuild lock`.
 * On success *out is the solution (caller frees with solution_free). */
struct solution;
int pipeline_solve(const build_opts_t *opts, pipeline_log_fn log, void *ud, struct solution **out,
		   err_t *err);

/* The recipe compiled into the binary (recipes/default.yaml), borrowed. */
const char *pipeline_default_recipe(size_t *len);

#endif
