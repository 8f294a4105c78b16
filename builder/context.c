/* context.c — the build context's lifecycle and what it resolves without solving: cache
 * directory, environment file, name and prefix, recipe, platforms, base images and registry
 * clients (see context.h). The solve side is context_solve.c. */
#include "context_int.h"
#include "base.h"
#include "http.h"
#include "layout.h"
#include "lock.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cachedir.h"
#include "context_pip.h"
#include "fetch.h"
#include "fsutil.h"
#include "pull.h"
#include "ref.h"
#include "scratch.h"
#include "xalloc.h"

void ctx_log(const ctx_t *c, const char *fmt, ...)
{
	buf_t m = BUF_INIT;
	va_list ap;
	if (!c->log)
		return;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	c->log(c->ud, m.data);
	buf_free(&m);
}

log_fn ctx_log_fn(const ctx_t *c, void **ud)
{
	*ud = c->ud;
	return c->log;
}

/* Without --platform, a lock's platforms (those it has packages for, amd64 first); a lock
 * with none of them keeps linux/amd64, whose read then names the problem. */
static size_t lock_platforms(const char *lock_path, const char **names)
{
	static const char *const subdirs[] = {"linux-64", "linux-aarch64"};
	static const char *const platforms[] = {"linux/amd64", "linux/arm64"};
	size_t n = 0;
	for (size_t i = 0; i < 2; i++) {
		err_t ignored = ERR_INIT;
		lockfile_t *l = lock_read(lock_path, subdirs[i], &ignored);
		if (l)
			names[n++] = platforms[i];
		lock_free(l);
		err_clear(&ignored);
	}
	if (n == 0)
		names[n++] = platforms[0];
	return n;
}

/* --platform names -> conda subdir and OCI architecture; none = the lock's platforms, or
 * linux/amd64. */
static int resolve_platforms(ctx_t *c, err_t *err)
{
	const build_opts_t *o = c->o;
	const char *implied[2] = {"linux/amd64", NULL};
	size_t n = o->n_platforms ? o->n_platforms : 1;
	if (!o->n_platforms && o->lock_path)
		n = lock_platforms(o->lock_path, implied);
	c->plats = xcalloc(n, sizeof *c->plats);
	c->plat_names = xcalloc(n, sizeof *c->plat_names);
	c->bases = xcalloc(n, sizeof *c->bases);
	for (size_t i = 0; i < n; i++) {
		const char *s = o->n_platforms ? o->platforms[i] : implied[i];
		ctx_platform_t *pl = &c->plats[c->n_plats];
		if (!strcmp(s, "linux/amd64") || !strcmp(s, "linux/x86_64")) {
			pl->subdir = "linux-64";
			pl->arch = "amd64";
		} else if (!strcmp(s, "linux/arm64") || !strcmp(s, "linux/arm64/v8") ||
			   !strcmp(s, "linux/aarch64")) {
			pl->subdir = "linux-aarch64";
			pl->arch = "arm64";
		} else {
			return err_set(err,
				       "--platform %s: supported platforms are linux/amd64 and "
				       "linux/arm64",
				       s);
		}
		for (size_t j = 0; j < c->n_plats; j++)
			if (!strcmp(c->plats[j].arch, pl->arch))
				return err_set(err, "--platform %s: listed twice", s);
		buf_t name = BUF_INIT;
		buf_addf(&name, "linux/%s", pl->arch);
		pl->name = c->plat_names[c->n_plats] = buf_detach(&name);
		c->n_plats++;
	}
	return 0;
}

/* The environment file (its pip: list read, or with --ignore-pip left out); a solve needs at
 * least one conda dependency. */
static int load_env(ctx_t *c, err_t *err)
{
	const build_opts_t *o = c->o;
	if (!o->env_path)
		return o->lock_path
			       ? 0
			       : err_set(err, "no environment file: name one, or pass --lock FILE");
	if (!(c->env = envspec_load(o->env_path, err)))
		return -1;
	if (ctx_pip_load(c, err)) /* the pip: list (context_pip.c) */
		return -1;
	if (!o->lock_path && envspec_dep_count(c->env) == 0)
		return err_set(err, "%s: no conda dependencies to install", envspec_path(c->env));
	return 0;
}

/* Name: --name, else the file's, else the lock's, else "env". Prefix: --prefix without
 * trailing slashes, else /opt/conda/envs/<name>. */
static int resolve_name_and_prefix(ctx_t *c, err_t *err)
{
	const build_opts_t *o = c->o;
	char *from_lock = NULL;
	const char *name = o->name, *where = "--name";
	if (!name && c->env && envspec_name(c->env)) {
		name = envspec_name(c->env);
		where = envspec_path(c->env);
	} else if (!name && o->lock_path) {
		if (ctx_lock_env_name(c, &from_lock, err))
			return -1;
		name = from_lock;
		where = o->lock_path;
	}
	buf_setstr(&c->name, name ? name : "env");
	free(from_lock);
	if (!fs_path_is_safe_relative(c->name.data) || strchr(c->name.data, '/'))
		return err_set(err, "%s: environment name '%s' cannot be used as a directory name",
			       where, c->name.data);
	if (o->prefix) {
		if (o->prefix[0] != '/' || strstr(o->prefix, "/../") || strlen(o->prefix) < 2)
			return err_set(err,
				       "--prefix %s: must be an absolute path inside the image",
				       o->prefix);
		buf_setstr(&c->prefix, o->prefix);
		while (c->prefix.len > 1 && c->prefix.data[c->prefix.len - 1] == '/')
			buf_truncate(&c->prefix, c->prefix.len - 1);
	} else {
		buf_setstr(&c->prefix, "/opt/conda/envs/");
		buf_addstr(&c->prefix, c->name.data);
	}
	return 0;
}

static int load_recipe(ctx_t *c, err_t *err)
{
	size_t len = 0;
	if (c->o->recipe_path) {
		c->recipe = recipe_load(c->o->recipe_path, err);
	} else {
		const char *data = pipeline_default_recipe(&len);
		c->recipe = recipe_parse("recipes/default.yaml (built in)", data, len, err);
	}
	return c->recipe ? 0 : -1;
}

/* One HTTP client for every channel, shard and package download of this run; --ca-cert
 * also reaches the registry clients through o->reg. */
static int make_http(ctx_t *c, err_t *err)
{
	http_opts_t ho = {.ca_cert = c->o->ca_cert ? c->o->ca_cert
				     : c->o->reg   ? c->o->reg->ca_cert
						   : NULL};
	c->http = http_client_new(&ho, err);
	return c->http ? 0 : -1;
}

ctx_t *ctx_new(const build_opts_t *o, unsigned needs, log_fn log, void *ud, err_t *err)
{
	ctx_t *c = xcalloc(1, sizeof *c);
	c->o = o;
	c->log = log;
	c->ud = ud;
	if (cachedir_resolve(o->cache_dir, &c->cache, err) || make_http(c, err))
		goto fail;
	if ((needs & (CTX_SOLVE | CTX_LAYERS)) && (resolve_platforms(c, err) || load_env(c, err) ||
						   (!o->lock_path && ctx_resolve_channels(c, err))))
		goto fail;
	if ((needs & CTX_LAYERS) && (resolve_name_and_prefix(c, err) || load_recipe(c, err)))
		goto fail;
	return c;
fail:
	ctx_free(c);
	return NULL;
}

void ctx_free(ctx_t *c)
{
	err_t ignored = ERR_INIT;
	if (!c)
		return;
	if (c->scratch.len)
		fs_rm_rf(c->scratch.data, &ignored);
	err_clear(&ignored);
	for (size_t i = 0; i < c->n_regs; i++)
		reg_free(c->regs[i]);
	free(c->regs);
	for (size_t i = 0; i < c->n_ch; i++) {
		free(c->ch_written[i]);
		free(c->ch_urls[i]);
	}
	free(c->ch_written);
	free(c->ch_urls);
	ctx_pip_free_all(c);
	http_client_free(c->http);
	for (size_t i = 0; c->bases && i < c->n_plats; i++) {
		oci_base_free(c->bases[i].image);
		buf_free(&c->bases[i].layout);
		buf_free(&c->bases[i].tag);
	}
	for (size_t i = 0; c->plat_names && i < c->n_plats; i++)
		free(c->plat_names[i]);
	free(c->bases);
	free(c->plat_names);
	free(c->plats);
	recipe_free(c->recipe);
	envspec_free(c->env);
	buf_free(&c->name);
	buf_free(&c->prefix);
	buf_free(&c->cache);
	buf_free(&c->scratch);
	free(c);
}

const build_opts_t *ctx_opts(const ctx_t *c)
{
	return c->o;
}
const char *ctx_cache_dir(const ctx_t *c)
{
	return c->cache.data;
}
const envspec_t *ctx_env(const ctx_t *c)
{
	return c->env;
}
const char *ctx_name(const ctx_t *c)
{
	return c->name.data;
}
const char *ctx_prefix(const ctx_t *c)
{
	return c->prefix.data;
}
const recipe_t *ctx_recipe(const ctx_t *c)
{
	return c->recipe;
}
size_t ctx_platform_count(const ctx_t *c)
{
	return c->n_plats;
}
size_t ctx_channel_count(const ctx_t *c)
{
	return c->n_ch;
}

const ctx_platform_t *ctx_platform(const ctx_t *c, size_t i)
{
	return i < c->n_plats ? &c->plats[i] : NULL;
}

const char *ctx_channel(const ctx_t *c, size_t i)
{
	return i < c->n_ch ? c->ch_written[i] : NULL;
}

const char *ctx_channel_url(const ctx_t *c, size_t i)
{
	return i < c->n_ch ? c->ch_urls[i] : NULL;
}

int ctx_scratch(ctx_t *c, const char **dir, err_t *err)
{
	buf_t parent = BUF_INIT;
	int rc = 0;
	if (!c->scratch.len) {
		buf_setstr(&parent, c->cache.data);
		buf_addpath(&parent, "tmp");
		/* pid-named scratch (common/scratch.h): a run killed with -9 is cleaned up by the
		 * next */
		scratch_sweep(parent.data, "build-");
		rc = scratch_mkdtemp(parent.data, "build-", &c->scratch, err);
		buf_free(&parent);
	}
	*dir = c->scratch.data;
	return rc;
}

static void on_fetched(void *ud, const pkgrec_t *rec, int from_cache)
{
	ctx_log(ud, "%s %s", from_cache ? "cached " : "fetched", rec->fn);
}

int ctx_fetch(ctx_t *c, const pkgrec_t *const *recs, size_t n, char **paths_out, err_t *err)
{
	/* records may point at the channel alias's host too (a configured mirror) */
	fetch_opts_t fo = {.cache_dir = c->cache.data,
			   .max_parallel = c->o->jobs > 0 ? c->o->jobs * 2 : 4,
			   .progress = on_fetched,
			   .ud = c,
			   .http = c->http,
			   .mirrors = &c->o->channel_alias,
			   .n_mirrors = c->o->channel_alias ? 1 : 0,
			   .sink = c->o->progress,
			   .offline = c->o->offline};
	return fetch_packages(recs, n, &fo, paths_out, err);
}

reg_t *ctx_registry(ctx_t *c, const char *registry, err_t *err)
{
	static const reg_opts_t defaults;
	for (size_t i = 0; i < c->n_regs; i++)
		if (!strcmp(reg_name(c->regs[i]), registry))
			return c->regs[i];
	reg_t *r = reg_new(registry, c->o->reg ? c->o->reg : &defaults, err);
	if (!r)
		return NULL;
	c->regs = xrealloc(c->regs, (c->n_regs + 1) * sizeof *c->regs);
	c->regs[c->n_regs++] = r;
	return r;
}

void ctx_registry_stats(const ctx_t *c, reg_stats_t *sum)
{
	memset(sum, 0, sizeof *sum);
	for (size_t i = 0; i < c->n_regs; i++) {
		const reg_stats_t *st = reg_get_stats(c->regs[i]);
		sum->blobs_skipped += st->blobs_skipped;
		sum->blobs_mounted += st->blobs_mounted;
		sum->blobs_uploaded += st->blobs_uploaded;
		sum->bytes_uploaded += st->bytes_uploaded;
		sum->retries += st->retries;
		sum->resumes += st->resumes;
	}
}

/* --base REF: pulled once for platform i into the scratch directory. */
static int pull_base(ctx_t *c, size_t i, ctx_base_t *b, err_t *err)
{
	const char *ref_text = c->o->base, *scratch;
	oci_ref_t ref = OCI_REF_INIT;
	buf_t digest = BUF_INIT;
	int rc = -1;
	if (oci_ref_parse(ref_text, &ref, err)) {
		err_prefix(err, "--base");
		goto out;
	}
	reg_t *r = ctx_registry(c, ref.registry, err);
	if (!r || ctx_scratch(c, &scratch, err))
		goto out;
	buf_setstr(&b->layout, scratch);
	buf_addf(&b->layout, "/base-%s", c->plats[i].arch);
	ctx_log(c, "pulling base image %s for %s", ref_text, c->plats[i].name);
	if (oci_pull_layout(r, &ref, "linux", c->plats[i].arch, c->cache.data, b->layout.data,
			    &digest, err)) {
		err_prefix(err, "--base %s", ref_text);
		goto out;
	}
	ctx_log(c, "base image %s is %s", ref_text, digest.data);
	rc = 0;
out:
	oci_ref_clear(&ref);
	buf_free(&digest);
	return rc;
}

int ctx_base(ctx_t *c, size_t i, const char **layout, const char **tag, err_t *err)
{
	const char *b = c->o->base;
	ctx_base_t *cb = &c->bases[i];
	*layout = *tag = NULL;
	if (!b)
		return 0;
	if (!cb->is_resolved && !strncmp(b, "oci:", 4)) {
		/* oci:DIR[:TAG] is used in place, for every platform */
		oci_layout_ref_split(b + 4, &cb->layout, &cb->tag);
	} else if (!cb->is_resolved && pull_base(c, i, cb, err)) {
		return -1;
	}
	cb->is_resolved = 1;
	*layout = cb->layout.data;
	*tag = cb->tag.len ? cb->tag.data : NULL;
	return 0;
}

int ctx_base_image(ctx_t *c, size_t i, struct oci_base **out, err_t *err)
{
	const char *layout, *tag;
	*out = NULL;
	if (ctx_base(c, i, &layout, &tag, err))
		return -1;
	if (!layout)
		return 0;
	if (!c->bases[i].image) {
		c->bases[i].image = oci_base_open(layout, tag, "linux", c->plats[i].arch, err);
		if (!c->bases[i].image)
			return err_prefix(err, "base image %s", c->o->base);
	}
	*out = c->bases[i].image;
	return 0;
}

const http_client_t *ctx_http(const ctx_t *c)
{
	return c->http;
}
