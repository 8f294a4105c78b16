/* cmd_lock.c — `imgbuild lock ENV.yml -o FILE`: solves the environment for each platform as a
 * build with the same options would (the same context) and writes the exact package sets as a
 * lock: conda-lock v1 YAML for .yml/.yaml (every platform in one file), else or with --format
 * explicit an @EXPLICIT list with sha256 (one platform), for `imgbuild build --lock FILE`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "context.h"
#include "digest.h"
#include "fsutil.h"
#include "lock.h"
#include "options.h"
#include "xalloc.h"

static const char usage[] = "usage: imgbuild lock ENV.yml -o FILE [options]\n";

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* conda-lock's content_hash plays the same role: it changes when any input of platform i's
 * solve does (the environment file's bytes, the channels, priority, virtual packages). */
static int content_hash(ctx_t *c, size_t i, char hex[DIGEST_HEX_MAX], err_t *err)
{
	const build_opts_t *o = ctx_opts(c);
	virtual_set_t vs;
	buf_t text = BUF_INIT;
	int rc = buf_read_file(&text, o->env_path, 16 << 20, err);
	if (rc == 0)
		rc = ctx_virtuals(c, i, &vs, err);
	if (rc == 0) {
		for (size_t k = 0; k < ctx_channel_count(c); k++)
			buf_addf(&text, "\n--channel %s", ctx_channel_url(c, k));
		buf_addf(&text, "\n--platform %s\n--channel-priority %d\nvirtual packages: ",
			 ctx_platform(c, i)->subdir, o->channel_priority);
		virtual_set_describe(&vs, &text);
		digest_buf_hex(DIGEST_SHA256, text.data, text.len, hex);
	}
	buf_free(&text);
	return rc;
}

/* --format json: {"packages": [repodata record + fn, url, channel, subdir]...} sorted by
 * name, so another program can check the solution against its specs without a YAML reader. */
static int write_json(const char *out_path, const solution_t *sol, err_t *err)
{
	json_t *root = json_object(), *arr = json_array();
	json_object_set_new(root, "packages", arr);
	for (size_t i = 0; i < solution_count(sol); i++) {
		const pkgrec_t *r = solution_get(sol, i);
		json_t *o = r->raw ? json_deep_copy(r->raw) : json_object();
		json_object_set_new(o, "name", json_string(r->name));
		json_object_set_new(o, "version", json_string(r->version));
		json_object_set_new(o, "build", json_string(r->build));
		json_object_set_new(o, "fn", json_string(r->fn));
		json_object_set_new(o, "url", json_string(r->url ? r->url : ""));
		json_object_set_new(o, "channel", json_string(r->channel ? r->channel : ""));
		json_object_set_new(o, "subdir", json_string(r->subdir ? r->subdir : ""));
		json_array_append_new(arr, o);
	}
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (!text)
		return err_set(err, "%s: cannot serialise the solution", out_path);
	buf_t b = BUF_INIT;
	buf_addf(&b, "%s\n", text);
	free(text);
	int rc = fs_write_atomic(out_path, b.data, b.len, err);
	buf_free(&b);
	return rc;
}

/* One part per platform, in --platform order; channels as written, the name for builds from
 * the lock alone (lock.h, LOCK_META_ENV_NAME). */
static int write_lock(ctx_t *c, const char *out_path, lock_format_t fmt, solution_t *const *sols,
		      err_t *err)
{
	size_t n = ctx_platform_count(c), n_ch = ctx_channel_count(c);
	lock_part_t *parts = xcalloc(n, sizeof *parts);
	char(*hex)[DIGEST_HEX_MAX] = xcalloc(n, sizeof *hex);
	const char **channels = xcalloc(n_ch ? n_ch : 1, sizeof *channels);
	int rc = -1;
	for (size_t k = 0; k < n_ch; k++)
		channels[k] = ctx_channel(c, k);
	for (size_t i = 0; i < n; i++) {
		size_t count = solution_count(sols[i]);
		const pkgrec_t **recs = xcalloc(count ? count : 1, sizeof *recs);
		for (size_t k = 0; k < count; k++)
			recs[k] = solution_get(sols[i], k);
		parts[i] = (lock_part_t){ctx_platform(c, i)->subdir, hex[i], recs, count};
		if (content_hash(c, i, hex[i], err))
			goto out;
	}
	const char *sources[1] = {ctx_opts(c)->env_path};
	lock_meta_t meta = {NULL, channels, n_ch, sources, 1, NULL, envspec_name(ctx_env(c))};
	rc = lock_write_parts(out_path, fmt, &meta, parts, n, err);
out:
	for (size_t i = 0; i < n; i++)
		free((void *)parts[i].recs);
	free(parts);
	free(hex);
	free(channels);
	return rc;
}

static int solve_all(ctx_t *c, solution_t **sols, err_t *err)
{
	for (size_t i = 0; i < ctx_platform_count(c); i++) {
		if (ctx_packages(c, i, &sols[i], NULL, err)) {
			if (ctx_platform_count(c) > 1)
				err_prefix(err, "%s", ctx_platform(c, i)->name);
			return -1;
		}
	}
	return 0;
}

static void print_done(ctx_t *c, solution_t *const *sols, const char *path, const char *what)
{
	printf("locked ");
	for (size_t i = 0; i < ctx_platform_count(c); i++)
		printf("%s%zu packages%s%s", i ? ", " : "", solution_count(sols[i]),
		       ctx_platform_count(c) > 1 ? " for " : "",
		       ctx_platform_count(c) > 1 ? ctx_platform(c, i)->name : "");
	printf(" into %s (%s)\n", path, what);
}

int cmd_lock(int argc, char **argv)
{
	cli_args_t a;
	err_t err = ERR_INIT;
	ctx_t *ctx = NULL;
	solution_t **sols = NULL;
	int rc = cli_parse(CMD_LOCK, usage, argc, argv, &a);
	if (rc == 0)
		rc = cli_take_env_file(CMD_LOCK, &a);
	if (rc == 0 && !a.output) {
		fprintf(stderr, "imgbuild lock: needs -o FILE, the lock to write (see `imgbuild "
				"lock --help`)\n");
		rc = 2;
	}
	if (rc) {
		rc = rc == 1 ? 0 : 2;
		goto out;
	}
	int as_json = a.format && !strcmp(a.format, "json");
	lock_format_t fmt = a.format ? (!strcmp(a.format, "explicit") ? LOCK_FORMAT_EXPLICIT
								      : LOCK_FORMAT_CONDA_LOCK)
			    : ends_with(a.output, ".yml") || ends_with(a.output, ".yaml")
				    ? LOCK_FORMAT_CONDA_LOCK
				    : LOCK_FORMAT_EXPLICIT;
	rc = 1;
	if (!(ctx = ctx_new(&a.build, CTX_SOLVE, cli_log, NULL, &err)))
		goto fail;
	if (as_json && ctx_platform_count(ctx) > 1) {
		err_set(&err, "--format json holds one platform: run it once per --platform");
		goto fail;
	}
	sols = xcalloc(ctx_platform_count(ctx), sizeof *sols);
	if (solve_all(ctx, sols, &err) || (as_json ? write_json(a.output, sols[0], &err)
						   : write_lock(ctx, a.output, fmt, sols, &err)))
		goto fail;
	print_done(ctx, sols, a.output,
		   as_json                       ? "JSON"
		   : fmt == LOCK_FORMAT_EXPLICIT ? "@EXPLICIT"
						 : "conda-lock v1");
	rc = 0;
	goto out;
fail:
	rc = cli_fail(&err);
out:
	for (size_t i = 0; sols && i < ctx_platform_count(ctx); i++)
		solution_free(sols[i]);
	free(sols);
	ctx_free(ctx);
	err_clear(&err);
	cli_args_free(&a);
	return rc;
}
