/* pipeline.c — runs a build from environment.yml to an OCI layout (see pipeline.h).
 * Work happens in a private directory under the cache (staging trees) and in a temporary
 * sibling of the output layout; the output appears under its final name only by rename once
 * everything succeeded, so an error or a kill never leaves half an image behind. */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "buf.h"
#include "channel.h"
#include "envspec.h"
#include "fetch.h"
#include "fsutil.h"
#include "group.h"
#include "http.h"
#include "image.h"
#include "install.h"
#include "layout.h"
#include "lcache_stage.h"
#include "lock.h"
#include "overlap.h"
#include "pkg.h"
#include "pkgrec.h"
#include "rcache_stage.h"
#include "sbom.h" /* issue 15 */
#include "scratch.h"
#include "solve.h"
#include "virtual.h"
#include "workpool.h"
#include "xalloc.h" /* issue 15 */


typedef struct build {
	const build_opts_t *opts;
	pipeline_log_fn log;
	void *ud;
	envspec_t *env;
	buf_t name, prefix, cache, work, layout_tmp, blobs;
	buf_t extract_cache; /* <cache>/extracted (install.h), empty with no_extract_cache */
	char **channel_urls;
	char **channel_names;
	size_t n_channels;
	solution_t *solution;
	const pkgrec_t **pkgs; /* borrowed from solution, sorted by name */
	size_t n_pkgs;
	char **archives;       /* cached archive per package */
	char **stages;         /* staging tree per package */
	char *python_version;
	recipe_t *recipe; /* the plan borrows group definitions from it */
	plan_t *plan;
	build_layer_info_t *layers;
	size_t n_layers;
	lcache_stage_t *lcache;   /* layer cache (builder/lcache_stage.c); NULL with no_layer_cache */
	unsigned char *is_needed; /* per package: its layer must be built; NULL = all */
	rcache_stage_t *rcache;   /* --cache-repo (builder/rcache_stage.c); NULL without it */
	oci_base_t *base;         /* --base, read once (oci/base.h); NULL without one */
	oci_layout_t *out;        /* the layout being written (layout_tmp) */
	http_client_t *http;      /* channels, shards and packages (http.h) */
} build_t;

static void logf_(build_t *b, const char *fmt, ...) ERR_PRINTF(2, 3);
static void logf_(build_t *b, const char *fmt, ...)
{
	buf_t m = BUF_INIT;
	va_list ap;
	if (!b->log)
		return;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	b->log(b->ud, m.data);
	buf_free(&m);
}

static void add_channel(build_t *b, const char *written, const char *url)
{
	for (size_t i = 0; i < b->n_channels; i++)
		if (!strcmp(b->channel_urls[i], url))
			return; /* first mention keeps its priority */
	b->channel_urls = realloc(b->channel_urls, (b->n_channels + 1) * sizeof(char *));
	b->channel_names = realloc(b->channel_names, (b->n_channels + 1) * sizeof(char *));
	if (!b->channel_urls || !b->channel_names)
		abort();
	b->channel_urls[b->n_channels] = strdup(url);
	b->channel_names[b->n_channels] = strdup(written);
	b->n_channels++;
}

/* --channel entries first, then the file's, in order; "nodefaults" is accepted and, since
 * imgbuild never adds `defaults` implicitly, has nothing to remove. */
static int resolve_channels(build_t *b, err_t *err)
{
	const build_opts_t *o = b->opts;
	buf_t url = BUF_INIT;
	int rc = -1;
	size_t n_file = envspec_channel_count(b->env);
	for (size_t i = 0; i < o->n_channels + n_file; i++) {
		const char *w = i < o->n_channels ? o->channels[i] : envspec_channel(b->env, i - o->n_channels);
		if (!strcmp(w, "nodefaults"))
			continue;
		if (channel_resolve(w, o->channel_alias, &url, err) != 0) {
			err_prefix(err, "%s: channel '%s'", i < o->n_channels ? "--channel" : envspec_path(b->env), w);
			goto out;
		}
		add_channel(b, w, url.data);
	}
	if (b->n_channels == 0) {
		err_set(err, "%s: no channels: add a `channels:` list to the file or pass --channel",
			envspec_path(b->env));
		goto out;
	}
	rc = 0;
out:
	buf_free(&url);
	return rc;
}

/* The base image, opened (and its manifest and config checked) on first use. */
static int open_base(build_t *b, err_t *err)
{
	const build_opts_t *o = b->opts;
	if (!o->base_layout || b->base)
		return 0;
	b->base = oci_base_open(o->base_layout, o->base_tag, "linux",
				o->oci_arch ? o->oci_arch : "amd64", err);
	return b->base ? 0 : err_prefix(err, "base image %s", o->base_layout);
}

/* __glibc from the base image's libc when there is one (oci/base.h), else --glibc. */
static int add_virtuals(build_t *b, solver_t *s, err_t *err)
{
	const build_opts_t *o = b->opts;
	buf_t glibc = BUF_INIT;
	int found = 0;
	if (open_base(b, err) || (b->base && (found = oci_base_glibc(b->base, &glibc, err)) < 0)) {
		buf_free(&glibc);
		return -1;
	}
	virtual_opts_t vo = {o->base_layout, found ? glibc.data : NULL, o->glibc_version,
			     o->cuda_version, o->oci_arch};
	virtual_set_t vs;
	buf_t desc = BUF_INIT;
	int rc = virtual_set_fill(&vs, &vo, err);
	buf_free(&glibc);
	if (rc)
		return -1;
	for (size_t i = 0; i < vs.n; i++)
		if (solve_add_virtual(s, vs.pkgs[i].name, vs.pkgs[i].version, vs.pkgs[i].build, err))
			return -1;
	virtual_set_describe(&vs, &desc);
	logf_(b, "virtual packages: %s", desc.data);
	buf_free(&desc);
	return 0;
}

static int use_solution(build_t *b)
{
	b->n_pkgs = solution_count(b->solution);
	b->pkgs = calloc(b->n_pkgs ? b->n_pkgs : 1, sizeof *b->pkgs);
	if (!b->pkgs)
		abort();
	for (size_t i = 0; i < b->n_pkgs; i++)
		b->pkgs[i] = solution_get(b->solution, i);
	return 0;
}

static void on_fetched(void *ud, const pkgrec_t *rec, int from_cache);

/* Package downloads: the build's client; records may point at the channel alias's host too. */
static fetch_opts_t fetch_opts(const build_t *b)
{
	const build_opts_t *o = b->opts;
	fetch_opts_t fo = {.cache_dir = b->cache.data,
			   .max_parallel = o->jobs > 0 ? o->jobs * 2 : 4,
			   .progress = on_fetched,
			   .ud = (void *)b,
			   .http = b->http,
			   .mirrors = &o->channel_alias,
			   .n_mirrors = o->channel_alias ? 1 : 0};
	return fo;
}

static int make_http(build_t *b, err_t *err)
{
	http_opts_t ho = {.ca_cert = b->opts->ca_cert};
	b->http = http_client_new(&ho, err);
	return b->http ? 0 : -1;
}

/* Lock records completed from their verified archives (pkg_complete_record); archives[i]
 * belongs to solution record i, NULL for packages whose layer came from a cache. */
static int complete_lock_records(build_t *b, char *const *archives, err_t *err)
{
	for (size_t i = 0; i < b->n_pkgs; i++)
		if (archives[i] && pkg_complete_record(solution_record(b->solution, i), archives[i], err))
			return -1;
	return 0;
}

/* --lock: the lock's records replace the solve; URLs and hashes are used as written. */
static int lock_env(build_t *b, err_t *err)
{
	b->solution = lock_read_solution(b->opts->lock_path, b->opts->platform_subdir, b->opts->ignore_pip, err);
	if (!b->solution)
		return -1;
	logf_(b, "using the %zu packages of %s (no solve)", solution_count(b->solution), b->opts->lock_path);
	if (use_solution(b) || !solution_lacks_depends(b->solution))
		return 0;
	/* @EXPLICIT records carry no dependencies and the layer plan needs them: fetch first */
	char **paths = calloc(b->n_pkgs ? b->n_pkgs : 1, sizeof *paths);
	fetch_opts_t fo = fetch_opts(b);
	int rc = fetch_packages(b->pkgs, b->n_pkgs, &fo, paths, err) ||
		 complete_lock_records(b, paths, err);
	for (size_t i = 0; i < b->n_pkgs; i++)
		free(paths[i]);
	free(paths);
	return rc ? -1 : 0;
}

static int solve_env(build_t *b, err_t *err)
{
	const char *subdirs[2] = {b->opts->platform_subdir, "noarch"};
	solver_t *s = solve_new(err);
	buf_t repodir = BUF_INIT;
	const char **specs = NULL;
	size_t n_specs = envspec_dep_count(b->env), n_sd = b->n_channels * 2;
	channel_subdir_t *sd = calloc(n_sd ? n_sd : 1, sizeof *sd);
	int rc = -1;
	if (!s)
		goto out;
	solve_set_channel_priority(s, b->opts->channel_priority);
	solve_set_cache_dir(s, b->cache.data);
	buf_addstr(&repodir, b->cache.data);
	specs = calloc(n_specs ? n_specs : 1, sizeof *specs);
	if (!specs || !sd)
		abort();
	for (size_t i = 0; i < n_specs; i++)
		specs[i] = envspec_dep(b->env, i);
	for (size_t i = 0; i < n_sd; i++) {
		sd[i].base_url = b->channel_urls[i / 2];
		sd[i].subdir = subdirs[i % 2];
		/* conda requires noarch/ in every channel; a platform subdir may be absent */
		sd[i].flags = (i % 2 == 0 ? CHANNEL_MISSING_OK : 0) | (b->opts->offline ? CHANNEL_OFFLINE : 0);
		logf_(b, "fetching %s/%s/repodata", sd[i].base_url, sd[i].subdir);
	}
	/* CEP-16 shards, where offered, for only the names these specs can reach */
	if (channel_fetch_for_specs(b->http, sd, n_sd, b->cache.data, specs, n_specs, err))
		goto out;
	for (size_t i = 0; i < n_sd; i++) {
		if (sd[i].is_sharded)
			logf_(b, "%s/%s: %zu shards (%zu downloaded)", sd[i].base_url, sd[i].subdir,
			      sd[i].n_shards, sd[i].n_downloaded);
		if (solve_add_repodata(s, b->channel_names[i / 2], sd[i].base_url, sd[i].subdir, sd[i].path.data,
					(int)(i / 2), err))
			goto out;
	}
	if (add_virtuals(b, s, err))
		goto out;
	logf_(b, "solving %zu specs against %zu channel(s)", n_specs, b->n_channels);
	b->solution = solve_run(s, specs, n_specs, err);
	if (!b->solution) {
		err_prefix(err, "%s", envspec_path(b->env));
		goto out;
	}
	rc = use_solution(b);
out:
	free(specs);
	for (size_t i = 0; sd && i < n_sd; i++)
		buf_free(&sd[i].path);
	free(sd);
	buf_free(&repodir);
	solve_free(s);
	return rc;
}

static void on_fetched(void *ud, const pkgrec_t *rec, int from_cache)
{
	build_t *b = ud;
	logf_(b, "%s %s", from_cache ? "cached " : "fetched", rec->fn);
}

/* fetch_packages for the packages whose layer is not cached (all when is_needed is NULL);
 * paths_out stays NULL for the others: a reused layer never reads its packages. */
static int fetch_needed(build_t *b, char **paths_out, err_t *err)
{
	const pkgrec_t *const *recs = b->pkgs;
	size_t n = b->n_pkgs;
	fetch_opts_t fo = fetch_opts(b);
	const pkgrec_t **sub = calloc(n ? n : 1, sizeof *sub);
	char **sub_paths = calloc(n ? n : 1, sizeof *sub_paths);
	size_t k = 0;
	int rc;
	if (!sub || !sub_paths)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!b->is_needed || b->is_needed[i])
			sub[k++] = recs[i];
	rc = fetch_packages(sub, k, &fo, sub_paths, err);
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (!b->is_needed || b->is_needed[i])
			paths_out[i] = sub_paths[k++];
	free(sub);
	free(sub_paths);
	return rc;
}

static int fetch_all(build_t *b, err_t *err)
{
	b->archives = calloc(b->n_pkgs ? b->n_pkgs : 1, sizeof(char *));
	if (!b->archives)
		abort();
	if (fetch_needed(b, b->archives, err))
		return -1;
	/* lock records carry no size: record the archive's, as a solve's repodata would */
	return b->opts->lock_path ? complete_lock_records(b, b->archives, err) : 0;
}

static int find_python_version(build_t *b)
{
	const pkgrec_t *py = solution_find(b->solution, "python");
	if (!py)
		return 0;
	/* "3.11.9" -> "3.11" */
	const char *v = py->version;
	const char *dot = strchr(v, '.');
	const char *end = dot ? strchr(dot + 1, '.') : NULL;
	size_t n = end ? (size_t)(end - v) : strlen(v);
	b->python_version = strndup(v, n);
	return 0;
}

static int install_one(void *ctx, size_t i, err_t *err)
{
	build_t *b = ctx;
	if (b->is_needed && !b->is_needed[i])
		return 0; /* its layer comes from the layer cache */
	install_opts_t io = {.target_prefix = b->prefix.data,
			     .python_version = b->python_version,
			     .extract_cache = b->extract_cache.len ? b->extract_cache.data : NULL,
			     .log = b->log, .log_ud = b->ud};
	return install_package(&io, b->pkgs[i], b->archives[i], b->stages[i], err);
}

static int install_all(build_t *b, err_t *err)
{
	buf_t p = BUF_INIT;
	b->stages = calloc(b->n_pkgs ? b->n_pkgs : 1, sizeof(char *));
	if (!b->stages)
		abort();
	for (size_t i = 0; i < b->n_pkgs; i++) {
		char *dist = pkgrec_dist(b->pkgs[i]);
		buf_setstr(&p, b->work.data);
		buf_addpath(&p, "stage");
		buf_addpath(&p, dist);
		b->stages[i] = strdup(p.data);
		free(dist);
	}
	buf_setstr(&p, b->work.data);
	buf_addpath(&p, "stage");
	int rc = fs_mkdir_p(p.data, err);
	buf_free(&p);
	if (rc)
		return -1;
	logf_(b, "installing %zu packages into %s", b->n_pkgs, b->prefix.data);
	return workpool_run(b->n_pkgs, b->opts->jobs, install_one, b, err);
}

static int make_plan(build_t *b, err_t *err)
{
	recipe_t *r;
	size_t len = 0;
	if (b->opts->recipe_path) {
		r = recipe_load(b->opts->recipe_path, err);
	} else {
		const char *data = pipeline_default_recipe(&len);
		r = recipe_parse("recipes/default.yaml (built in)", data, len, err);
	}
	if (!r)
		return -1;
	b->recipe = r;
	b->plan = plan_new(r, b->pkgs, b->n_pkgs, err);
	return b->plan ? 0 : -1;
}

static int layer_one(void *ctx, size_t g, err_t *err)
{
	build_t *b = ctx;
	if (b->layers[g].is_cached)
		return 0;
	size_t n = plan_group_size(b->plan, g);
	const char **dirs = calloc(n ? n : 1, sizeof *dirs);
	int rc;
	if (!dirs)
		abort();
	for (size_t j = 0; j < n; j++)
		dirs[j] = b->stages[plan_group_pkg(b->plan, g, j)];
	layer_opts_t lo = b->opts->layer;
	lo.consume_sources = 1; /* the staging trees are this build's scratch */
	rc = layer_build(dirs, n, b->prefix.data, &lo, b->blobs.data, &b->layers[g].desc, err);
	if (rc)
		err_prefix(err, "layer for group '%s'", plan_group_name(b->plan, g));
	else if (b->lcache)
		rc = lcache_stage_store(b->lcache, b->plan, g, b->pkgs, b->blobs.data, &b->layers[g].desc, err);
	free(dirs);
	return rc;
}

/* The layer table from the plan; then every layer the layer cache holds is taken from it
 * (issue 4) and only the other groups' packages are marked for fetch and install. */
static int reuse_layers(build_t *b, err_t *err)
{
	layer_desc_t *descs = NULL;
	unsigned char *is_cached = NULL, *from_registry = NULL;
	size_t n_reused = 0, n_needed = 0;
	int rc = -1;
	b->n_layers = plan_group_count(b->plan);
	b->layers = calloc(b->n_layers ? b->n_layers : 1, sizeof *b->layers);
	if (!b->layers)
		abort();
	for (size_t g = 0; g < b->n_layers; g++) {
		b->layers[g].group = strdup(plan_group_name(b->plan, g));
		b->layers[g].n_packages = plan_group_size(b->plan, g);
	}
	if (b->opts->no_layer_cache)
		return 0;
	b->lcache = lcache_stage_new(b->cache.data, &b->opts->layer, b->prefix.data, b->python_version, err);
	descs = calloc(b->n_layers ? b->n_layers : 1, sizeof *descs);
	is_cached = calloc(b->n_layers ? b->n_layers : 1, 1);
	from_registry = calloc(b->n_layers ? b->n_layers : 1, 1);
	b->is_needed = calloc(b->n_pkgs ? b->n_pkgs : 1, 1);
	if (!descs || !is_cached || !from_registry || !b->is_needed)
		abort();
	if (!b->lcache || lcache_stage_lookup(b->lcache, b->plan, b->pkgs, b->blobs.data, descs, is_cached,
					      b->log, b->ud, err))
		goto out;
	if (b->opts->cache_repo) { /* the shared registry cache: misses there mean "build it" */
		b->rcache = rcache_stage_new(b->opts->cache_repo, b->opts->cache_reg, b->cache.data, b->work.data, err);
		if (!b->rcache)
			goto out;
		rcache_stage_set_mount_only(b->rcache, b->opts->cache_repo_mount_only);
		rcache_stage_lookup(b->rcache, b->lcache, b->plan, b->pkgs, &b->opts->layer, b->blobs.data, descs,
				    is_cached, from_registry, b->log, b->ud);
	}
	for (size_t g = 0; g < b->n_layers; g++) {
		b->layers[g].is_cached = is_cached[g];
		b->layers[g].is_from_registry = from_registry[g];
		n_reused += is_cached[g];
		if (is_cached[g])
			b->layers[g].desc = descs[g];
		for (size_t j = 0; !is_cached[g] && j < plan_group_size(b->plan, g); j++)
			b->is_needed[plan_group_pkg(b->plan, g, j)] = 1;
	}
	for (size_t i = 0; i < b->n_pkgs; i++)
		n_needed += b->is_needed[i];
	logf_(b, "layer cache: %zu of %zu layers reused; %zu of %zu packages to fetch and install", n_reused,
	      b->n_layers, n_needed, b->n_pkgs);
	rc = 0;
out:
	free(descs);
	free(is_cached);
	free(from_registry);
	return rc;
}

static int build_layers(build_t *b, err_t *err)
{
	for (size_t g = 0; g < b->n_layers; g++)
		logf_(b, "layer %zu: %s (%zu packages)%s", g + 1, b->layers[g].group, b->layers[g].n_packages,
		      b->layers[g].is_from_registry ? ", from the registry cache"
		      : b->layers[g].is_cached    ? ", from the layer cache"
						  : "");
	overlap_warn(b->plan, (const char *const *)b->stages, b->pkgs, b->log, b->ud);
	/* Layers are independent: each one's bytes depend only on its own packages. */
	return workpool_run(b->n_layers, b->opts->jobs, layer_one, b, err);
}

/* --cache-repo: publishes the layers the registry cache lacks. Best effort, never fails. */
static int share_layers(build_t *b)
{
	layer_desc_t *descs;
	if (!b->rcache)
		return 0;
	descs = calloc(b->n_layers ? b->n_layers : 1, sizeof *descs);
	if (!descs)
		abort();
	for (size_t g = 0; g < b->n_layers; g++)
		descs[g] = b->layers[g].desc;
	rcache_stage_publish(b->rcache, b->lcache, b->plan, b->pkgs, b->blobs.data, descs, b->log, b->ud);
	free(descs);
	return 0;
}

/* PATH puts the environment first, then the base image's PATH or the usual default. */
static void set_env(build_t *b, oci_image_t *img)
{
	buf_t path = BUF_INIT;
	const char *base_path = oci_image_get_env(img, "PATH");
	buf_addf(&path, "%s/bin:%s", b->prefix.data,
		 base_path ? base_path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	oci_image_set_env(img, "PATH", path.data);
	oci_image_set_env(img, "CONDA_PREFIX", b->prefix.data);
	oci_image_set_env(img, "CONDA_DEFAULT_ENV", b->name.data);
	for (size_t i = 0; i < envspec_var_count(b->env); i++)
		oci_image_set_env(img, envspec_var_name(b->env, i), envspec_var_value(b->env, i));
	buf_free(&path);
}

/* issue 15: the SBOM of the image and of each of its own layers, attached to the manifest. */
static int attach_sbom(build_t *b, const oci_desc_t *top, err_t *err)
{
	const char **digests = xcalloc(b->n_layers ? b->n_layers : 1, sizeof *digests);
	char digest[DIGEST_OCI_MAX];
	size_t n = 0;
	for (size_t g = 0; g < b->n_layers; g++)
		digests[g] = b->layers[g].desc.digest;
	sbom_layer_t *layers = sbom_layers_from_plan(b->plan, b->pkgs, digests, &n);
	sbom_image_t img = {b->name.data, top->digest, b->opts->layer.mtime, layers, n};
	int rc = sbom_attach(b->out, &img, (sbom_format_t)b->opts->sbom_format, top, digest, err);
	sbom_layers_free(layers, n);
	free(digests);
	return rc;
}

static int write_image(build_t *b, build_result_t *res, err_t *err)
{
	const build_opts_t *o = b->opts;
	oci_image_t *img = oci_image_new("linux", o->oci_arch ? o->oci_arch : "amd64");
	buf_t msg = BUF_INIT, digest = BUF_INIT, p = BUF_INIT;
	long long msize = 0;
	int rc = -1;
	if (open_base(b, err))
		goto out;
	if (b->base && oci_image_load_base(img, b->base, b->out, err)) {
		err_prefix(err, "base image %s", o->base_layout);
		goto out;
	}
	if (plan_check_layer_limit(b->plan, oci_image_layer_count(img), err))
		goto out;
	for (size_t g = 0; g < b->n_layers; g++) {
		buf_reset(&msg);
		buf_addf(&msg, "imgbuild: layer group %s (%zu packages)", b->layers[g].group, b->layers[g].n_packages);
		layer_desc_t *d = &b->layers[g].desc;
		oci_image_add_layer(img, d->digest, d->diff_id, d->size, d->media_type, msg.data);
	}
	set_env(b, img);
	if (solution_find(b->solution, "python")) {
		buf_setstr(&p, b->prefix.data);
		buf_addpath(&p, "bin/python");
		const char *cmd[1] = {p.data};
		oci_image_set_cmd(img, cmd, 1);
	}
	oci_image_set_label(img, "org.opencontainers.image.title", b->name.data);
	oci_image_set_label(img, "io.imgbuild.prefix", b->prefix.data);
	oci_image_set_label(img, "io.imgbuild.layer-format", LAYER_FORMAT_VERSION_STRING);
	oci_image_set_created(img, o->layer.mtime);
	if (oci_image_write_blobs(img, b->out, &digest, &msize, err))
		goto out;
	oci_desc_t top = {.media_type = OCI_MT_MANIFEST, .digest = digest.data, .size = msize};
	/* a tag added to an existing layout keeps the tags it already holds; the SBOM's
	 * referrers entry (issue 15) comes after the image's tags */
	if (oci_layout_set_refs(b->out, &top, o->tags, o->n_tags, err) ||
	    (o->sbom_format && attach_sbom(b, &top, err)) ||
	    oci_layout_keep_refs(b->out, o->output_dir, err) || oci_layout_write_index(b->out, err))
		goto out;
	res->manifest_digest = buf_detach(&digest);
	res->manifest_size = msize;
	rc = 0;
out:
	oci_image_free(img);
	buf_free(&msg);
	buf_free(&digest);
	buf_free(&p);
	return rc;
}

/* The output directory is replaced only if it is absent, empty, or an OCI layout we can
 * recognise; anything else is refused so a typo cannot remove someone's files. */
static int check_output(const char *dir, err_t *err)
{
	int rc = 0;
	if (!fs_exists(dir))
		return 0;
	if (!fs_is_dir(dir))
		return err_set(err, "--output %s exists and is not a directory; remove it or choose another path", dir);
	if (!oci_layout_is_layout(dir) && rmdir(dir) != 0 && errno != ENOENT)
		rc = err_set(err, "--output %s exists and is not an OCI image layout; remove it or choose another path", dir);
	return rc;
}

static int publish_output(build_t *b, err_t *err)
{
	const char *dir = b->opts->output_dir;
	buf_t old = BUF_INIT;
	int rc = -1;
	if (fs_exists(dir)) {
		buf_addf(&old, "%s.old-%ld", dir, (long)getpid());
		if (rename(dir, old.data) != 0) {
			err_set(err, "cannot move the previous %s aside: %s", dir, strerror(errno));
			goto out;
		}
	}
	if (rename(b->layout_tmp.data, dir) != 0) {
		err_set(err, "cannot move the new image into %s: %s", dir, strerror(errno));
		if (old.len)
			rename(old.data, dir);
		goto out;
	}
	buf_reset(&b->layout_tmp);
	if (old.len && fs_rm_rf(old.data, err) != 0)
		goto out;
	rc = 0;
out:
	buf_free(&old);
	return rc;
}

static int setup_dirs(build_t *b, err_t *err)
{
	const build_opts_t *o = b->opts;
	buf_t parent = BUF_INIT, base = BUF_INIT;
	int rc = -1;
	if (o->cache_dir)
		buf_addstr(&b->cache, o->cache_dir);
	else
		fs_default_cache_dir(&b->cache);
	buf_setstr(&parent, b->cache.data);
	buf_addpath(&parent, "tmp");
	/* pid-named scratch: a build killed with -9 is cleaned up by the next one */
	scratch_sweep(parent.data, "build-");
	if (scratch_mkdtemp(parent.data, "build-", &b->work, err))
		goto out;
	if (!o->no_extract_cache) {
		buf_setstr(&b->extract_cache, b->cache.data);
		buf_addpath(&b->extract_cache, "extracted");
	}
	if (check_output(o->output_dir, err))
		goto out;
	/* temp layout beside the output so the final rename stays on one filesystem */
	buf_setstr(&parent, o->output_dir);
	while (parent.len > 1 && parent.data[parent.len - 1] == '/')
		buf_truncate(&parent, parent.len - 1);
	char *slash = strrchr(parent.data, '/');
	buf_setstr(&base, slash ? slash + 1 : parent.data);
	buf_addstr(&base, ".tmp-");
	if (slash)
		buf_truncate(&parent, slash == parent.data ? 1 : (size_t)(slash - parent.data));
	else
		buf_setstr(&parent, ".");
	scratch_sweep(parent.data, base.data);
	if (scratch_mkdtemp(parent.data, base.data, &b->layout_tmp, err))
		goto out;
	if (!(b->out = oci_layout_create(b->layout_tmp.data, err)))
		goto out;
	buf_setstr(&b->blobs, oci_layout_blobs_dir(b->out));
	rc = 0;
out:
	buf_free(&parent);
	buf_free(&base);
	return rc;
}

static int check_env(build_t *b, err_t *err)
{
	const build_opts_t *o = b->opts;
	if (envspec_pip_count(b->env) > 0 && !o->ignore_pip)
		return err_set(err,
			       "%s:%d: the environment has pip dependencies (%s, ...), which imgbuild cannot "
			       "install yet; remove them or pass --ignore-pip to build without them",
			       envspec_path(b->env), envspec_pip_line(b->env, 0), envspec_pip(b->env, 0));
	if (envspec_pip_count(b->env) > 0)
		logf_(b, "%s: ignoring %zu pip dependencies (--ignore-pip)", envspec_path(b->env),
		      envspec_pip_count(b->env));
	if (envspec_dep_count(b->env) == 0)
		return err_set(err, "%s: no conda dependencies to install", envspec_path(b->env));
	buf_setstr(&b->name, o->name ? o->name : envspec_name(b->env) ? envspec_name(b->env) : "env");
	if (!fs_path_is_safe_relative(b->name.data) || strchr(b->name.data, '/'))
		return err_set(err, "%s: environment name '%s' cannot be used as a directory name",
			       envspec_path(b->env), b->name.data);
	if (o->prefix) {
		if (o->prefix[0] != '/' || strstr(o->prefix, "/../") || strlen(o->prefix) < 2)
			return err_set(err, "--prefix %s: must be an absolute path inside the image", o->prefix);
		buf_setstr(&b->prefix, o->prefix);
		while (b->prefix.len > 1 && b->prefix.data[b->prefix.len - 1] == '/')
			buf_truncate(&b->prefix, b->prefix.len - 1);
	} else {
		buf_setstr(&b->prefix, "/opt/conda/envs/");
		buf_addstr(&b->prefix, b->name.data);
	}
	return 0;
}

static void build_cleanup(build_t *b)
{
	err_t ignored = ERR_INIT;
	if (b->work.len)
		fs_rm_rf(b->work.data, &ignored);
	if (b->layout_tmp.len)
		fs_rm_rf(b->layout_tmp.data, &ignored);
	err_clear(&ignored);
	for (size_t i = 0; i < b->n_pkgs; i++) {
		if (b->archives)
			free(b->archives[i]);
		if (b->stages)
			free(b->stages[i]);
	}
	free(b->archives);
	free(b->stages);
	for (size_t i = 0; i < b->n_channels; i++) {
		free(b->channel_urls[i]);
		free(b->channel_names[i]);
	}
	free(b->channel_urls);
	free(b->channel_names);
	free(b->pkgs);
	free(b->python_version);
	oci_layout_free(b->out);
	oci_base_free(b->base);
	rcache_stage_free(b->rcache);
	lcache_stage_free(b->lcache);
	http_client_free(b->http);
	free(b->is_needed);
	plan_free(b->plan);
	recipe_free(b->recipe);
	solution_free(b->solution);
	envspec_free(b->env);
	buf_free(&b->name);
	buf_free(&b->prefix);
	buf_free(&b->cache);
	buf_free(&b->work);
	buf_free(&b->extract_cache);
	buf_free(&b->layout_tmp);
	buf_free(&b->blobs);
}

int pipeline_build(const build_opts_t *opts, pipeline_log_fn log, void *ud, build_result_t *out,
		   err_t *err)
{
	build_t b = {.opts = opts, .log = log, .ud = ud};
	int rc = -1;
	memset(out, 0, sizeof *out);
	b.env = envspec_load(opts->env_path, err);
	if (!b.env || check_env(&b, err) || (!opts->lock_path && resolve_channels(&b, err)) || setup_dirs(&b, err) || make_http(&b, err) ||
	    (opts->lock_path ? lock_env(&b, err) : solve_env(&b, err)) || find_python_version(&b) || make_plan(&b, err) || reuse_layers(&b, err) ||
	    fetch_all(&b, err) || install_all(&b, err) || build_layers(&b, err) || share_layers(&b) || write_image(&b, out, err) || publish_output(&b, err))
		goto out;
	out->prefix = strdup(b.prefix.data);
	out->n_packages = b.n_pkgs;
	out->layers = b.layers;
	out->n_layers = b.n_layers;
	b.layers = NULL;
	rc = 0;
out:
	if (b.layers) {
		for (size_t g = 0; g < b.n_layers; g++)
			free(b.layers[g].group);
		free(b.layers);
	}
	if (rc)
		build_result_free(out);
	build_cleanup(&b);
	return rc;
}

int pipeline_solve(const build_opts_t *opts, pipeline_log_fn log, void *ud, solution_t **out, err_t *err)
{
	build_t b = {.opts = opts, .log = log, .ud = ud};
	int rc = -1;
	*out = NULL;
	b.env = envspec_load(opts->env_path, err);
	if (!b.env || check_env(&b, err) || resolve_channels(&b, err) || make_http(&b, err))
		goto out;
	if (opts->cache_dir)
		buf_addstr(&b.cache, opts->cache_dir);
	else
		fs_default_cache_dir(&b.cache);
	if (solve_env(&b, err))
		goto out;
	*out = b.solution;
	b.solution = NULL;
	rc = 0;
out:
	build_cleanup(&b);
	return rc;
}

void build_result_free(build_result_t *r)
{
	if (!r)
		return;
	free(r->manifest_digest);
	free(r->prefix);
	for (size_t i = 0; i < r->n_layers; i++)
		free(r->layers[i].group);
	free(r->layers);
	memset(r, 0, sizeof *r);
}
