/* pipeline.c — one platform's build from its package set to an OCI layout (see pipeline.h).
 * Work happens in a directory under the context's scratch (staging trees) and in a temporary
 * sibling of the output layout; the output appears under its final name only by rename once
 * everything succeeded, so an error or a kill never leaves half an image behind. */
#include "pipeline.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "buf.h"
#include "context.h"
#include "context_pip.h"
#include "fsutil.h"
#include "group.h"
#include "image.h"
#include "install.h"
#include "layout.h"
#include "lstream.h"
#include "lcache_stage.h"
#include "overlap.h"
#include "pipeline_base.h"
#include "pipeline_config.h"
#include "pkgrec.h"
#include "prefetch.h"
#include "progress.h"
#include "rcache_stage.h"
#include "sbom_attach.h" /* issue 15 */
#include "scan_share.h"
#include "scratch.h"
#include "spread.h" /* issue 14 part 4: --layers */
#include "solve.h"
#include "workpool.h"
#include "xalloc.h"

typedef struct build {
	ctx_t *ctx;
	const build_opts_t *opts;
	const pipeline_target_t *target;
	const ctx_platform_t *plat;
	log_fn log;
	void *ud;
	const char *prefix, *cache; /* the context's */
	oci_base_t *base;  /* --base for this platform (borrowed from the context), or NULL */
	oci_layout_t *out; /* the layout being written (layout_tmp) */
	buf_t work, layout_tmp, blobs;
	solution_t *solution;
	const pkgrec_t **pkgs; /* borrowed from solution, sorted by name */
	size_t n_pkgs;
	char **archives;       /* cached archive per package */
	char **stages;         /* staging tree per package (pip packages: conda ones stream) */
	size_t *group_of;      /* per package: its plan group */
	layer_paths_t **paths; /* per group: what its layer holds (overlap.h); NULL when cached */
	char *python_version;
	plan_t *plan;
	build_layer_info_t *layers;
	size_t n_layers;
	lcache_stage_t *lcache; /* layer cache (builder/lcache_stage.c); NULL with no_layer_cache */
	unsigned char *is_needed; /* per package: its layer must be built; NULL = all */
	rcache_stage_t *rcache;   /* --cache-repo (builder/rcache_stage.c); NULL without it */
	pipeline_base_t *pbase;   /* base image policy, root filesystem layer (pipeline_base.c) */
	progress_counter_t installed; /* "install" progress: packages installed of those needed */
	_Atomic size_t installs_left; /* install jobs not finished; the last one ends "install" */
	_Atomic int install_ended;    /* the "install" END event went out */

	/* --layers: per group, built and stored (spread.c); NULL = every group, and an image */
	unsigned char *is_selected;
} build_t;

/* The platform's package set: a solve, or a lock's records (already fetched: their archives
 * come back too). */
static int get_packages(build_t *b, err_t *err)
{
	if (ctx_packages(b->ctx, b->target->platform, &b->solution, &b->archives, err))
		return -1;
	b->n_pkgs = solution_count(b->solution);
	b->pkgs = xcalloc(b->n_pkgs ? b->n_pkgs : 1, sizeof *b->pkgs);
	for (size_t i = 0; i < b->n_pkgs; i++)
		b->pkgs[i] = solution_get(b->solution, i);
	b->python_version = solution_python_version(b->solution);
	return 0;
}

/* Fetches the packages whose layer is not cached (all when is_needed is NULL); archives[i]
 * stays NULL for the others: a reused layer never reads its packages. A lock's archives were
 * fetched with its records (context_solve.c). */
static int fetch_conda(build_t *b, err_t *err)
{
	const pkgrec_t **sub;
	char **sub_paths;
	size_t k = 0;
	int rc;
	if (b->archives)
		return 0;
	b->archives = xcalloc(b->n_pkgs ? b->n_pkgs : 1, sizeof *b->archives);
	sub = xcalloc(b->n_pkgs ? b->n_pkgs : 1, sizeof *sub);
	sub_paths = xcalloc(b->n_pkgs ? b->n_pkgs : 1, sizeof *sub_paths);
	for (size_t i = 0; i < b->n_pkgs; i++)
		if ((!b->is_needed || b->is_needed[i]) && !group_is_pip(b->pkgs[i]))
			sub[k++] = b->pkgs[i];
	rc = ctx_fetch(b->ctx, sub, k, sub_paths, err);
	k = 0;
	for (size_t i = 0; i < b->n_pkgs; i++)
		if ((!b->is_needed || b->is_needed[i]) && !group_is_pip(b->pkgs[i]))
			b->archives[i] = sub_paths[k++];
	free(sub);
	free(sub_paths);
	return rc;
}

/* Conda archives, then the wheels of pip packages (context_pip.c). */
static int fetch_all(build_t *b, err_t *err)
{
	return fetch_conda(b, err) || ctx_pip_fetch_all(b->ctx, b->target->platform, b->pkgs,
							b->n_pkgs, b->is_needed, b->archives, err);
}

/* The layer of package i's group is built by this build (else it came from a cache). */
static int is_layered(const build_t *b, size_t i);

/* Streams conda package i into down (the group's layer, or nothing for a package only to be
 * scanned), through the base image scan when there is one. */
static int stream_pkg(build_t *b, size_t i, const entry_sink_t *down, int is_counted, err_t *err)
{
	install_opts_t io = {.progress = is_counted ? &b->installed : NULL,
			     .target_prefix = b->prefix,
			     .python_version = b->python_version,
			     .spool_dir = b->work.data};
	entry_sink_t sink = *down;
	struct basecheck_scan *scan =
		b->pbase ? pipeline_base_stream(b->pbase, i, down, &sink) : NULL;
	int rc = install_stream(&io, b->pkgs[i], b->archives[i], &sink, err);
	pipeline_base_stream_end(scan, rc == 0);
	return rc;
}

static int drop_entry(void *ud, entry_kind_t kind, const char *rel, unsigned mode, long long size,
		      const char *target, err_t *err)
{
	(void)ud, (void)kind, (void)rel, (void)mode, (void)size, (void)target, (void)err;
	return 0;
}

static int drop_data(void *ud, const void *p, size_t n, err_t *err)
{
	(void)ud, (void)p, (void)n, (void)err;
	return 0;
}

/* The install job of package i: a wheel into its staging tree (scanned for the base image
 * policy at once, while its files are fresh in the page cache); a conda package of a cached
 * layer that must still be scanned, into the scan alone. Conda packages of the layers being
 * built are streamed by their layer's job (layer_one). */
static int install_pkg(build_t *b, size_t i, err_t *err)
{
	static const entry_sink_t nowhere = {drop_entry, drop_data, NULL};
	int rc;
	if (b->is_needed && !b->is_needed[i])
		return 0; /* its layer comes from the layer cache */
	if (!group_is_pip(b->pkgs[i]))
		return is_layered(b, i) ? 0 : stream_pkg(b, i, &nowhere, 1, err);
	rc = ctx_pip_install(b->ctx, b->target->platform, b->pkgs[i], b->archives[i], b->stages[i],
			     err);
	if (rc == 0) /* conda packages are counted by install_stream */
		progress_count_one(&b->installed);
	if (rc == 0 && b->pbase)
		rc = pipeline_base_scan(b->pbase, i, b->stages[i], err);
	return rc;
}

/* The "install" progress END: from the last install job, or after a failure from
 * install_and_layer (whichever comes first: exactly one). */
static void end_install_progress(build_t *b, const char *status)
{
	progress_counter_t *c = &b->installed;
	if (atomic_exchange(&b->install_ended, 1) == 0)
		progress_emit(c->sink, PROGRESS_END, c->step, c->item, c->done, c->total, status);
}

/* One package installed (or streamed): the last one ends the "install" progress. */
static void install_done(build_t *b)
{
	if (atomic_fetch_sub(&b->installs_left, 1) == 1)
		end_install_progress(b, "done");
}

static int install_one(build_t *b, size_t i, err_t *err)
{
	int rc = install_pkg(b, i, err);
	if (rc == 0 && (!group_is_pip(b->pkgs[i]) ? !is_layered(b, i) : 1) &&
	    (!b->is_needed || b->is_needed[i]))
		install_done(b);
	return rc;
}

/* Each package's staging tree path (created by its install). */
static int make_stages(build_t *b, err_t *err)
{
	buf_t p = BUF_INIT;
	b->stages = xcalloc(b->n_pkgs ? b->n_pkgs : 1, sizeof(char *));
	for (size_t i = 0; i < b->n_pkgs; i++) {
		char *dist = pkgrec_dist(b->pkgs[i]);
		buf_setstr(&p, b->work.data);
		buf_addpath(&p, "stage");
		buf_addpath(&p, dist);
		b->stages[i] = xstrdup(p.data);
		free(dist);
	}
	buf_setstr(&p, b->work.data);
	buf_addpath(&p, "stage");
	int rc = fs_mkdir_p(p.data, err);
	buf_free(&p);
	return rc;
}

static int make_plan(build_t *b, err_t *err)
{
	b->plan = plan_new(ctx_recipe(b->ctx), b->pkgs, b->n_pkgs, err);
	if (!b->plan)
		return -1;
	if (!b->opts->only_groups)
		return 0;
	b->is_selected = xcalloc(plan_group_count(b->plan) ? plan_group_count(b->plan) : 1, 1);
	return spread_select(b->ctx, b->plan, b->is_selected, err);
}

/* Group g is this build's to make (--layers leaves the others alone: not fetched, not built). */
static int is_wanted(const build_t *b, size_t g)
{
	return !b->is_selected || b->is_selected[g];
}

static int is_layered(const build_t *b, size_t i)
{
	size_t g = b->group_of[i];
	return g != SIZE_MAX && !b->layers[g].is_cached && is_wanted(b, g);
}

/* Prefetch (builder/prefetch.h): packages whose archive is at most PREFETCH_ARCHIVE_BYTES
 * are installed ahead into memory, up to PREFETCH_BUDGET bytes waiting plus one recording of
 * at most PREFETCH_CAP; larger ones stream straight from their archive on the layer's thread
 * while the helper goes on with the next small ones. Two layer jobs at once: < 100 MB. */
#define PREFETCH_ARCHIVE_BYTES (4LL << 20)
#define PREFETCH_BUDGET (24u << 20)
#define PREFETCH_CAP (24u << 20)

typedef struct layer_run {
	build_t *b;
	size_t g;
} layer_run_t;

static int prefetch_one(void *ud, size_t j, const entry_sink_t *sink, err_t *err)
{
	const layer_run_t *lr = ud;
	return stream_pkg(lr->b, plan_group_pkg(lr->b->plan, lr->g, j), sink, 0, err);
}

static prefetch_t *start_prefetch(build_t *b, size_t g, layer_run_t *lr)
{
	size_t n = plan_group_size(b->plan, g), n_eligible = 0;
	unsigned char *is_small = xcalloc(n ? n : 1, 1);
	prefetch_t *pf = NULL;
	for (size_t j = 0; j < n; j++) {
		const pkgrec_t *r = b->pkgs[plan_group_pkg(b->plan, g, j)];
		is_small[j] = !group_is_pip(r) && r->size > 0 && r->size <= PREFETCH_ARCHIVE_BYTES;
		n_eligible += is_small[j];
	}
	*lr = (layer_run_t){b, g};
	if (n_eligible > 1)
		pf = prefetch_start(n, is_small, prefetch_one, lr, PREFETCH_BUDGET, PREFETCH_CAP);
	free(is_small);
	return pf;
}

/* Group g's layer (layer-format 4): its packages in name order, each streamed from its
 * archive (conda: prefetched, or on this thread) or its staging tree (pip), into the blob. */
static int write_layer(build_t *b, size_t g, lstream_t *s, err_t *err)
{
	entry_sink_t sink = lstream_sink(s);
	layer_run_t lr;
	prefetch_t *pf = start_prefetch(b, g, &lr);
	int rc = 0;
	for (size_t j = 0; rc == 0 && j < plan_group_size(b->plan, g); j++) {
		size_t i = plan_group_pkg(b->plan, g, j);
		char *dist = pkgrec_dist(b->pkgs[i]);
		lstream_begin(s, i, dist);
		free(dist);
		if (group_is_pip(b->pkgs[i])) {
			rc = lstream_add_tree(s, b->stages[i], err);
			continue;
		}
		int taken = prefetch_take(pf, j, &sink, err);
		if (taken == 1)
			progress_count_one(&b->installed);
		rc = taken < 0 ? -1 : taken == 0 ? stream_pkg(b, i, &sink, 1, err) : 0;
		if (rc == 0)
			install_done(b);
	}
	prefetch_stop(pf);
	return rc ? -1 : lstream_finish(s, &b->layers[g].desc, err);
}

static int layer_one(build_t *b, size_t g, err_t *err)
{
	if (b->layers[g].is_cached || !is_wanted(b, g))
		return 0;
	layer_opts_t lo = b->opts->layer;
	lo.consume_sources = 0;
	lo.progress_item = plan_group_name(b->plan, g); /* "compress" progress */
	lstream_t *s = lstream_new(b->prefix, &lo, b->blobs.data, err);
	int rc = s ? write_layer(b, g, s, err) : -1;
	if (rc == 0)
		b->paths[g] = lstream_take_paths(s);
	lstream_free(s);
	if (rc)
		err_prefix(err, "layer for group '%s'", plan_group_name(b->plan, g));
	else if (b->lcache)
		rc = lcache_stage_store(b->lcache, b->plan, g, b->pkgs, b->blobs.data,
					&b->layers[g].desc, err);
	return rc;
}

/* A cached layer's packages bring the scan findings stored with it (a registry cache entry of
 * another machine's: builder/scan_share.h), so they need no install just to be scanned. */
static void take_findings(build_t *b, size_t g)
{
	size_t len = 0;
	const char *recs = lcache_stage_records(b->lcache, g, &len);
	if (recs)
		scan_share_take(b->cache, b->prefix, b->plan, g, b->pkgs, recs, len);
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
	b->layers = xcalloc(b->n_layers ? b->n_layers : 1, sizeof *b->layers);
	for (size_t g = 0; g < b->n_layers; g++) {
		b->layers[g].group = xstrdup(plan_group_name(b->plan, g));
		b->layers[g].n_packages = plan_group_size(b->plan, g);
	}
	if (b->opts->no_layer_cache)
		return 0;
	b->lcache = lcache_stage_new(b->cache, &b->opts->layer, b->prefix, b->python_version, err);
	descs = xcalloc(b->n_layers ? b->n_layers : 1, sizeof *descs);
	is_cached = xcalloc(b->n_layers ? b->n_layers : 1, 1);
	from_registry = xcalloc(b->n_layers ? b->n_layers : 1, 1);
	b->is_needed = xcalloc(b->n_pkgs ? b->n_pkgs : 1, 1);
	if (!b->lcache || lcache_stage_lookup(b->lcache, b->plan, b->pkgs, b->blobs.data, descs,
					      is_cached, b->log, b->ud, err))
		goto out;
	if (b->opts->cache_repo) { /* the shared registry cache: misses there mean "build it" */
		b->rcache = rcache_stage_new(b->opts->cache_repo, b->opts->reg, b->cache,
					     b->work.data, err);
		if (!b->rcache)
			goto out;
		/* --layers: a group already stored there is done, its blob is not downloaded */
		rcache_stage_set_mount_only(b->rcache,
					    b->target->cache_repo_mount_only || b->is_selected);
		rcache_stage_set_selection(b->rcache, b->is_selected);
		rcache_stage_set_read_only(b->rcache, b->opts->cache_repo_read_only);
		rcache_stage_lookup(b->rcache, b->lcache, b->plan, b->pkgs, &b->opts->layer,
				    b->blobs.data, descs, is_cached, from_registry, b->log, b->ud);
	}
	for (size_t g = 0; g < b->n_layers; g++) {
		b->layers[g].is_cached = is_cached[g];
		b->layers[g].is_from_registry = from_registry[g];
		n_reused += is_cached[g];
		if (is_cached[g]) {
			b->layers[g].desc = descs[g];
			take_findings(b, g);
		}
		for (size_t j = 0;
		     !is_cached[g] && is_wanted(b, g) && j < plan_group_size(b->plan, g); j++)
			b->is_needed[plan_group_pkg(b->plan, g, j)] = 1;
	}
	for (size_t i = 0; i < b->n_pkgs; i++)
		n_needed += b->is_needed[i];
	ctx_log(b->ctx,
		"layer cache: %zu of %zu layers reused; %zu of %zu packages to fetch and install",
		n_reused, b->n_layers, n_needed, b->n_pkgs);
	rc = 0;
out:
	free(descs);
	free(is_cached);
	free(from_registry);
	return rc;
}

/* The job graph of install_and_layer: group by group in plan order, the group's installs
 * and then its layer, which waits for them. Packages in no group (none today) go first. */
typedef struct job_graph {
	size_t n;
	size_t *pkg;   /* per job: package index, or SIZE_MAX for a layer job */
	size_t *group; /* per job: the layer's group (layer jobs) */
	size_t *n_after;
	size_t **after;
} job_graph_t;

static void graph_add(job_graph_t *jg, size_t pkg, size_t group)
{
	jg->pkg[jg->n] = pkg;
	jg->group[jg->n] = group;
	jg->n++;
}

typedef struct group_est {
	long long est;
	size_t g;
} group_est_t;

static int cmp_est(const void *x, const void *y)
{
	const group_est_t *a = x, *c = y;
	if (a->est != c->est)
		return a->est > c->est ? -1 : 1;
	return (a->g > c->g) - (a->g < c->g);
}

/* The groups, largest estimate first: a layer job is one thread of decompression feeding the
 * compressor, so the longest ones start first and the short ones fill the gaps (a build whose
 * largest layer started last would end on it alone). Bytes never depend on the order. */
static size_t *largest_first(const build_t *b)
{
	size_t n = plan_group_count(b->plan), *order = xcalloc(n ? n : 1, sizeof *order);
	group_est_t *v = xcalloc(n ? n : 1, sizeof *v);
	for (size_t g = 0; g < n; g++)
		v[g] = (group_est_t){plan_group_est_bytes(b->plan, g), g};
	if (n)
		qsort(v, n, sizeof *v, cmp_est);
	for (size_t k = 0; k < n; k++)
		order[k] = v[k].g;
	free(v);
	return order;
}

static void graph_build(const build_t *b, job_graph_t *jg)
{
	size_t n_groups = plan_group_count(b->plan), cap = b->n_pkgs + n_groups + 1;
	unsigned char *placed = xcalloc(b->n_pkgs ? b->n_pkgs : 1, 1);
	jg->pkg = xcalloc(cap, sizeof *jg->pkg);
	jg->group = xcalloc(cap, sizeof *jg->group);
	jg->n_after = xcalloc(cap, sizeof *jg->n_after);
	jg->after = xcalloc(cap, sizeof *jg->after);
	for (size_t g = 0; g < n_groups; g++)
		for (size_t j = 0; j < plan_group_size(b->plan, g); j++)
			placed[plan_group_pkg(b->plan, g, j)] = 1;
	for (size_t i = 0; i < b->n_pkgs; i++)
		if (!placed[i])
			graph_add(jg, i, 0);
	size_t *order = largest_first(b);
	for (size_t k = 0; k < n_groups; k++) {
		size_t g = order[k], first = jg->n, n = plan_group_size(b->plan, g);
		for (size_t j = 0; j < n; j++)
			graph_add(jg, plan_group_pkg(b->plan, g, j), 0);
		jg->n_after[jg->n] = n;
		jg->after[jg->n] = xcalloc(n ? n : 1, sizeof **jg->after);
		for (size_t j = 0; j < n; j++)
			jg->after[jg->n][j] = first + j;
		graph_add(jg, SIZE_MAX, g);
	}
	free(order);
	free(placed);
}

static void graph_free(job_graph_t *jg)
{
	for (size_t k = 0; k < jg->n; k++)
		free(jg->after[k]);
	free(jg->after);
	free(jg->n_after);
	free(jg->pkg);
	free(jg->group);
}

typedef struct graph_run {
	build_t *b;
	const job_graph_t *jg;
} graph_run_t;

static int graph_job(void *ctx, size_t k, err_t *err)
{
	graph_run_t *r = ctx;
	if (r->jg->pkg[k] != SIZE_MAX)
		return install_one(r->b, r->jg->pkg[k], err);
	return layer_one(r->b, r->jg->group[k], err);
}

static void log_layers(build_t *b)
{
	for (size_t g = 0; g < b->n_layers; g++)
		ctx_log(b->ctx, "layer %zu: %s (%zu packages)%s", g + 1, b->layers[g].group,
			b->layers[g].n_packages,
			!is_wanted(b, g)                ? ", not selected (--layers)"
			: b->layers[g].is_from_registry ? ", from the registry cache"
			: b->layers[g].is_cached        ? ", from the layer cache"
							: "");
}

/* Installs and layers as one job graph (issue 14 #1): a layer is written as soon as its own
 * packages are in, while the next group's install, so decompression and installing overlap
 * compression. Layers are independent (each one's bytes depend only on its own packages), and
 * a job's bytes never depend on when it ran. The "install" progress (common/progress.h) spans
 * the installs; then the base image policy decides and the cross-layer overlaps are reported,
 * both over every tree. */
static int install_and_layer(build_t *b, err_t *err)
{
	progress_counter_t *c = &b->installed;
	job_graph_t jg = {0};
	int rc;
	if (make_stages(b, err))
		return -1;
	c->sink = b->opts->progress;
	c->step = "install";
	c->item = b->plat->subdir; /* "linux-64" */
	c->total = 0;
	for (size_t i = 0; i < b->n_pkgs; i++)
		c->total += !b->is_needed || b->is_needed[i];
	ctx_log(b->ctx, "installing %zu packages into %s", b->n_pkgs, b->prefix);
	log_layers(b);
	progress_emit(c->sink, PROGRESS_START, c->step, c->item, 0, c->total, NULL);
	b->group_of = xmalloc((b->n_pkgs ? b->n_pkgs : 1) * sizeof *b->group_of);
	for (size_t i = 0; i < b->n_pkgs; i++)
		b->group_of[i] = SIZE_MAX;
	for (size_t g = 0; g < plan_group_count(b->plan); g++)
		for (size_t j = 0; j < plan_group_size(b->plan, g); j++)
			b->group_of[plan_group_pkg(b->plan, g, j)] = g;
	b->paths = xcalloc(b->n_layers ? b->n_layers : 1, sizeof *b->paths);
	graph_build(b, &jg);
	b->installs_left = c->total; /* packages, whichever job installs them */
	if (b->installs_left == 0)
		end_install_progress(b, "done");
	graph_run_t r = {b, &jg};
	rc = workpool_run_after(jg.n, b->opts->jobs, jg.n_after, (const size_t *const *)jg.after,
				graph_job, &r, err);
	graph_free(&jg);
	end_install_progress(b, rc ? "failed" : "done");
	if (rc)
		return -1;
	overlap_warn_layers(b->plan, b->paths, b->pkgs, b->log, b->ud);
	return 0;
}

/* --cache-repo: publishes the layers the registry cache lacks. Best effort for an image build;
 * with --layers storing them is the whole point, so a layer not stored fails the build. */
static int share_layers(build_t *b, err_t *err)
{
	layer_desc_t *descs;
	size_t n_failed;
	if (!b->rcache)
		return 0;
	descs = xcalloc(b->n_layers ? b->n_layers : 1, sizeof *descs);
	for (size_t g = 0; g < b->n_layers; g++)
		descs[g] = b->layers[g].desc;
	rcache_stage_publish(b->rcache, b->lcache, b->plan, b->pkgs, b->prefix, b->blobs.data,
			     descs, b->log, b->ud);
	free(descs);
	n_failed = rcache_stage_n_failed(b->rcache);
	if (b->is_selected && n_failed)
		return err_set(err,
			       "--layers: %zu layer%s could not be stored in the registry cache %s "
			       "(see the warnings above)",
			       n_failed, n_failed == 1 ? "" : "s", rcache_stage_repo(b->rcache));
	return 0;
}

/* --layers: the result lists the selected layers only (what this build made or found). */
static void keep_selected(build_t *b)
{
	size_t k = 0;
	for (size_t g = 0; g < b->n_layers; g++) {
		if (is_wanted(b, g))
			b->layers[k++] = b->layers[g];
		else
			free(b->layers[g].group);
	}
	b->n_layers = k;
}

/* PATH puts the environment first, then the base image's PATH or the usual default. */
static void set_env(build_t *b, oci_image_t *img)
{
	buf_t path = BUF_INIT;
	const envspec_t *env = ctx_env(b->ctx);
	const char *base_path = oci_image_get_env(img, "PATH");
	buf_addf(&path, "%s/bin:%s", b->prefix,
		 base_path ? base_path
			   : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	oci_image_set_env(img, "PATH", path.data);
	oci_image_set_env(img, "CONDA_PREFIX", b->prefix);
	oci_image_set_env(img, "CONDA_DEFAULT_ENV", ctx_name(b->ctx));
	for (size_t i = 0; env && i < envspec_var_count(env); i++)
		oci_image_set_env(img, envspec_var_name(env, i), envspec_var_value(env, i));
	buf_free(&path);
}

/* issue 15: the SBOM and provenance of the image, attached to its manifest. */
static int attach_all(build_t *b, const oci_desc_t *top, err_t *err)
{
	const char **digests = xcalloc(b->n_layers ? b->n_layers : 1, sizeof *digests);
	for (size_t g = 0; g < b->n_layers; g++)
		digests[g] = b->layers[g].desc.digest;
	/* lcache: the SBOM records stored with reused layers (issue 15) */
	attach_input_t in = {
		b->ctx,   b->target->platform, b->plan, b->pkgs, b->n_pkgs, digests, b->out,
		b->lcache};
	int rc = attach_image_artifacts(&in, top, err);
	free(digests);
	return rc;
}

static int write_image(build_t *b, build_result_t *res, err_t *err)
{
	const build_opts_t *o = b->opts;
	oci_image_t *img = oci_image_new("linux", b->plat->arch);
	buf_t msg = BUF_INIT, digest = BUF_INIT, p = BUF_INIT;
	long long msize = 0;
	int rc = -1;
	if (b->base && oci_image_load_base(img, b->base, b->out, err)) {
		err_prefix(err, "base image %s", b->opts->base);
		goto out;
	}
	pipeline_base_add_layer(b->pbase, img);
	if (plan_check_layer_limit(b->plan, oci_image_layer_count(img), err))
		goto out;
	for (size_t g = 0; g < b->n_layers; g++) {
		buf_reset(&msg);
		buf_addf(&msg, "imgbuild: layer group %s (%zu packages)", b->layers[g].group,
			 b->layers[g].n_packages);
		layer_desc_t *d = &b->layers[g].desc;
		oci_image_add_layer(img, d->digest, d->diff_id, d->size, d->media_type, msg.data);
	}
	set_env(b, img);
	if (solution_find(b->solution, "python")) {
		buf_setstr(&p, b->prefix);
		buf_addpath(&p, "bin/python");
		const char *cmd[1] = {p.data};
		oci_image_set_cmd(img, cmd, 1);
	}
	oci_image_set_label(img, "org.opencontainers.image.title", ctx_name(b->ctx));
	oci_image_set_label(img, "io.imgbuild.prefix", b->prefix);
	oci_image_set_label(img, "io.imgbuild.layer-format", LAYER_FORMAT_VERSION_STRING);
	oci_image_set_created(img, o->layer.mtime);
	pipeline_config_apply(o, pipeline_base_user(b->pbase), img);
	if (oci_image_write_blobs(img, b->out, &digest, &msize, err))
		goto out;
	oci_desc_t top = {.media_type = OCI_MT_MANIFEST, .digest = digest.data, .size = msize};
	/* a tag added to an existing layout keeps the tags it already holds; the referrers entry
	 * of the SBOM and provenance (issue 15) comes after the image's tags */
	if (oci_layout_set_refs(b->out, &top, b->target->tags, b->target->n_tags, err) ||
	    attach_all(b, &top, err) || oci_layout_keep_refs(b->out, b->target->output_dir, err) ||
	    oci_layout_write_index(b->out, err))
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
		return err_set(err,
			       "--output %s exists and is not a directory; remove it or choose "
			       "another path",
			       dir);
	if (!oci_layout_is_layout(dir) && rmdir(dir) != 0 && errno != ENOENT)
		rc = err_set(err,
			     "--output %s exists and is not an OCI image layout; remove it or "
			     "choose another path",
			     dir);
	return rc;
}

static int publish_output(build_t *b, err_t *err)
{
	const char *dir = b->target->output_dir;
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

/* <cache>/extracted held the extract cache of layer-format 3 (packages extracted once and
 * linked into staging trees); nothing reads it any more, and it may hold gigabytes. */
static void note_old_extract_cache(build_t *b)
{
	buf_t p = BUF_INIT;
	buf_setstr(&p, b->cache);
	buf_addpath(&p, "extracted");
	if (fs_is_dir(p.data))
		ctx_log(b->ctx,
			"note: %s (extracted packages of imgbuild before layer-format 4) is no "
			"longer used; remove it to free its space",
			p.data);
	buf_free(&p);
}

/* The staging directory (in the context's scratch, so a killed build's is swept) and a
 * temporary layout beside the output, so the final rename stays on one filesystem. */
static int setup_dirs(build_t *b, err_t *err)
{
	const char *scratch, *out = b->target->output_dir;
	buf_t parent = BUF_INIT, base = BUF_INIT;
	int rc = -1;
	if (ctx_scratch(b->ctx, &scratch, err) || scratch_mkdtemp(scratch, "stage-", &b->work, err))
		goto out;
	note_old_extract_cache(b);
	if (check_output(out, err))
		goto out;
	buf_setstr(&parent, out);
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
	if (b->layers)
		for (size_t g = 0; g < b->n_layers; g++)
			free(b->layers[g].group);
	free(b->layers);
	for (size_t g = 0; b->paths && b->plan && g < plan_group_count(b->plan); g++)
		layer_paths_free(b->paths[g]);
	free(b->paths);
	free(b->group_of);
	free(b->pkgs);
	free(b->python_version);
	rcache_stage_free(b->rcache);
	lcache_stage_free(b->lcache);
	pipeline_base_free(b->pbase);
	free(b->is_needed);
	free(b->is_selected);
	plan_free(b->plan);
	solution_free(b->solution);
	buf_free(&b->work);
	oci_layout_free(b->out);
	buf_free(&b->layout_tmp);
	buf_free(&b->blobs);
}

/* The result's layers in image order: the root filesystem layer (group "rootfs", no packages)
 * when there is one, then the groups' (b->layers, moved). */
static void take_layers(build_t *b, build_result_t *out)
{
	layer_desc_t rootfs;
	size_t k = (size_t)pipeline_base_layer(b->pbase, &rootfs);
	out->n_layers = b->n_layers + k;
	out->layers = xcalloc(out->n_layers ? out->n_layers : 1, sizeof *out->layers);
	if (k)
		out->layers[0] = (build_layer_info_t){
			.group = xstrdup("rootfs"), .desc = rootfs, .is_generated = 1};
	for (size_t g = 0; g < b->n_layers; g++)
		out->layers[k + g] = b->layers[g];
	free(b->layers);
	b->layers = NULL;
}

int pipeline_build(ctx_t *ctx, const pipeline_target_t *t, build_result_t *out, err_t *err)
{
	build_t b = {.ctx = ctx,
		     .opts = ctx_opts(ctx),
		     .target = t,
		     .plat = ctx_platform(ctx, t->platform)};
	int rc = -1;
	memset(out, 0, sizeof *out);
	b.log = ctx_log_fn(ctx, &b.ud);
	b.prefix = ctx_prefix(ctx);
	b.cache = ctx_cache_dir(ctx);
	/* --layers (is_layers_only) builds no image: neither the base image policy, which decides
	 * about the whole image and is applied by the build that assembles it (its installs are
	 * only scanned, so that the findings go with the layers), nor the output */
	int is_layers_only = b.opts->only_groups != NULL;
	if (ctx_base_image(ctx, t->platform, &b.base, err) || setup_dirs(&b, err) ||
	    get_packages(&b, err) || make_plan(&b, err) || reuse_layers(&b, err) ||
	    !(b.pbase = is_layers_only ? pipeline_base_scanner(ctx, t->platform, b.pkgs, b.n_pkgs)
				       : pipeline_base_new(ctx, t->platform, b.pkgs, b.n_pkgs,
							   b.is_needed, err)) ||
	    fetch_all(&b, err) || install_and_layer(&b, err) ||
	    (!is_layers_only && pipeline_base_check(b.pbase, b.blobs.data, err)) ||
	    share_layers(&b, err) ||
	    (!is_layers_only && (write_image(&b, out, err) || publish_output(&b, err))))
		goto out;
	if (is_layers_only)
		keep_selected(&b);
	out->prefix = xstrdup(b.prefix);
	out->n_packages = b.n_pkgs;
	take_layers(&b, out);
	rc = 0;
out:
	if (rc)
		build_result_free(out);
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
