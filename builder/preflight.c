/* preflight.c — checks made before any solve or build (see preflight.h). */
#include "preflight.h"

#include <string.h>

#include "buf.h"
#include "cache_artifact.h"
#include "channel.h"
#include "ref.h"
#include "reg.h"
#include "solve.h"

/* Channels (base URLs) of c lacking subdir, comma-separated, into missing; their count. */
static size_t channels_lacking(ctx_t *c, const char *subdir, buf_t *missing)
{
	size_t n = 0;
	for (size_t k = 0; k < ctx_channel_count(c); k++) {
		if (channel_subdir_exists(ctx_http(c), ctx_channel_url(c, k), subdir,
					  ctx_opts(c)->offline))
			continue;
		buf_addf(missing, "%s%s", n++ ? ", " : "", ctx_channel_url(c, k));
	}
	return n;
}

int preflight_platforms(ctx_t *c, err_t *err)
{
	buf_t missing = BUF_INIT;
	int rc = 0;
	if (ctx_opts(c)->lock_path)
		return 0;
	for (size_t i = 0; rc == 0 && i < ctx_platform_count(c); i++) {
		const ctx_platform_t *pl = ctx_platform(c, i);
		solution_t *sol = NULL;
		buf_reset(&missing);
		size_t n = channels_lacking(c, pl->subdir, &missing);
		if (n == 0)
			continue;
		ctx_log(c, "%s: no %s/ in %s: only noarch/ packages come from %s", pl->name,
			pl->subdir, missing.data, n == 1 ? "it" : "them");
		if (n < ctx_channel_count(c))
			continue;
		/* no channel has the subdir: only a noarch-only environment can solve; find out
		 * now, before another platform is built */
		if (ctx_packages(c, i, &sol, NULL, err) != 0) {
			err_prefix(err, "%s: no channel has a %s/ subdir (%s)", pl->name,
				   pl->subdir, missing.data);
			rc = -1;
		}
		solution_free(sol);
	}
	buf_free(&missing);
	return rc;
}

/* One repository: parsed, its registry's client, push access. what names the flag. */
static int check_repo(ctx_t *c, const char *what, const char *ref_text, err_t *err)
{
	oci_ref_t ref = OCI_REF_INIT;
	reg_t *r;
	int rc = -1;
	if (oci_ref_parse(ref_text, &ref, err)) {
		err_prefix(err, "%s", what);
		goto out;
	}
	if (!(r = ctx_registry(c, ref.registry, err)))
		goto out;
	ctx_log(c, "checking push access to %s/%s", ref.registry, ref.repository);
	if (reg_check_push(r, ref.repository, err)) {
		err_prefix(err, "%s %s", what, ref_text);
		goto out;
	}
	rc = 0;
out:
	oci_ref_clear(&ref);
	return rc;
}

/* A read of the cache repository (a tag no build writes: 404 is the answer that proves it),
 * after its push was refused: a pull-only token or a read-only registry still serves hits. */
static int check_cache_read(ctx_t *c, const char *cache_repo, err_t *err)
{
	static const char no_key[] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	oci_ref_t ref = OCI_REF_INIT;
	oci_cache_layer_t ignored;
	reg_t *r;
	int found = 0, rc = -1;
	if (oci_ref_parse(cache_repo, &ref, err) || !(r = ctx_registry(c, ref.registry, err)))
		goto out;
	rc = oci_cache_lookup(r, ref.repository, no_key, &ignored, &found, err);
out:
	oci_ref_clear(&ref);
	return rc;
}

/* --cache-repo: read-write, read-only or off (warnings say which and why). --layers stores
 * into it and nothing else, so there a refused push is the run's error. */
static int check_cache(ctx_t *c, const char *cache_repo, int *cache_usable, err_t *err)
{
	err_t why = ERR_INIT, why_read = ERR_INIT;
	if (!check_repo(c, "--cache-repo", cache_repo, &why))
		goto out;
	if (ctx_opts(c)->only_groups) {
		err_set(err, "--layers stores layers in the registry cache, and it refused: %s",
			err_msg(&why));
		err_set_hint(err, why.hint);
		err_clear(&why);
		return -1;
	}
	if (check_cache_read(c, cache_repo, &why_read)) {
		ctx_log(c,
			"warning: registry cache %s cannot be read (%s); building without it and "
			"storing nothing there",
			cache_repo, err_msg(&why));
		*cache_usable = PREFLIGHT_CACHE_OFF;
	} else {
		ctx_log(c,
			"warning: registry cache %s takes no pushes (%s); it is read-only for this "
			"build: layers found there are used, new ones are not stored",
			cache_repo, err_msg(&why));
		*cache_usable = PREFLIGHT_CACHE_READ_ONLY;
	}
out:
	err_clear(&why);
	err_clear(&why_read);
	return 0;
}

int preflight_registries(ctx_t *c, const publish_opts_t *po, int *cache_usable, err_t *err)
{
	const char *cache_repo = ctx_opts(c)->cache_repo;
	*cache_usable = PREFLIGHT_CACHE_READ_WRITE;
	/* -t without --output pushes; publish_run refuses a -t naming no registry, later */
	for (size_t i = 0; !po->output && i < po->n_refs; i++) {
		int is_repeat = 0;
		for (size_t j = 0; j < i; j++) /* the same -t twice: one check */
			is_repeat |= !strcmp(po->refs[i], po->refs[j]);
		if (!is_repeat && oci_ref_names_registry(po->refs[i]) &&
		    check_repo(c, "-t", po->refs[i], err))
			return -1;
	}
	/* the registry cache is best effort (docs/layer-format.md): a refusal is the one
	 * warning the build gives about it, and the build goes on with what it can do there */
	return cache_repo ? check_cache(c, cache_repo, cache_usable, err) : 0;
}
