/* lcache_stage.c — keys, lookups and stores of layers for the pipeline, and the dry-run plan
 * (see lcache_stage.h). The layer cache itself (layout, locking, verification) is
 * layers/lcache.c; this file only decides what to ask it and what to tell the user. */
#include "lcache_stage.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "layout.h"
#include "lcache.h"
#include "log.h"
#include "xalloc.h"

typedef struct stage_key {
	char hex[DIGEST_HEX_MAX]; /* "" when the group cannot be keyed */
	char *canonical;
	buf_t records; /* a reused layer's stored package records (pkgrec_list.h), or empty */
} stage_key_t;

struct lcache_stage {
	lcache_t *cache;
	const layer_opts_t *layer;
	const char *prefix;
	const char *python_version;
	stage_key_t *keys; /* per plan group, filled by compute_keys */
	size_t n_keys;
};

lcache_stage_t *lcache_stage_new(const char *cache_dir, const layer_opts_t *layer,
				 const char *prefix, const char *python_version, err_t *err)
{
	lcache_stage_t *s = xcalloc(1, sizeof *s);
	buf_t root = BUF_INIT;
	buf_addstr(&root, cache_dir);
	buf_addpath(&root, "layers");
	s->cache = lcache_open(root.data, err);
	buf_free(&root);
	if (!s->cache) {
		free(s);
		return NULL;
	}
	s->layer = layer;
	s->prefix = prefix;
	s->python_version = python_version;
	return s;
}

static void free_keys(lcache_stage_t *s)
{
	for (size_t i = 0; i < s->n_keys; i++) {
		free(s->keys[i].canonical);
		buf_free(&s->keys[i].records);
	}
	free(s->keys);
	s->keys = NULL;
	s->n_keys = 0;
}

void lcache_stage_free(lcache_stage_t *s)
{
	if (!s)
		return;
	free_keys(s);
	lcache_free(s->cache);
	free(s);
}

/* The group's packages as a fresh array (caller frees). */
static const pkgrec_t **group_pkgs(const plan_t *plan, size_t g, const pkgrec_t *const *pkgs)
{
	size_t n = plan_group_size(plan, g);
	const pkgrec_t **v = xcalloc(n ? n : 1, sizeof *v);
	for (size_t j = 0; j < n; j++)
		v[j] = pkgs[plan_group_pkg(plan, g, j)];
	return v;
}

/* A group that cannot be keyed (a package without any digest) is simply built every time. */
void lcache_stage_keys(lcache_stage_t *s, const plan_t *plan, const pkgrec_t *const *pkgs,
		       log_fn log, void *ud)
{
	buf_t canon = BUF_INIT;
	free_keys(s);
	s->n_keys = plan_group_count(plan);
	s->keys = xcalloc(s->n_keys ? s->n_keys : 1, sizeof *s->keys);
	for (size_t g = 0; g < s->n_keys; g++) {
		const pkgrec_t **v = group_pkgs(plan, g, pkgs);
		lcache_key_input_t in = {.layer = s->layer,
					 .image_prefix = s->prefix,
					 .python_version = s->python_version,
					 .pkgs = v,
					 .n_pkgs = plan_group_size(plan, g)};
		err_t why = ERR_INIT;
		if (lcache_key(&in, s->keys[g].hex, &canon, &why) == 0) {
			s->keys[g].canonical = buf_detach(&canon);
		} else {
			s->keys[g].hex[0] = '\0';
			log_msgf(log, ud, "layer %s is not cached: %s", plan_group_name(plan, g),
				 err_msg(&why));
		}
		err_clear(&why);
		free(v);
	}
	buf_free(&canon);
}

int lcache_stage_lookup(lcache_stage_t *s, const plan_t *plan, const pkgrec_t *const *pkgs,
			const char *blobs_dir, layer_desc_t *descs, unsigned char *is_cached,
			log_fn log, void *ud, err_t *err)
{
	lcache_stage_keys(s, plan, pkgs, log, ud);
	for (size_t g = 0; g < s->n_keys; g++) {
		lcache_status_t st = LCACHE_MISS;
		const char *why = NULL;
		is_cached[g] = 0;
		if (!s->keys[g].hex[0])
			continue;
		if (lcache_fetch(s->cache, s->keys[g].hex, blobs_dir, &descs[g], &st, &why, err) !=
		    0)
			return err_prefix(err, "layer cache, group '%s'", plan_group_name(plan, g));
		if (st == LCACHE_HIT) {
			is_cached[g] = 1;
			lcache_records(s->cache, s->keys[g].hex, &s->keys[g].records);
			log_msgf(log, ud, "layer %s: reused from the layer cache (key %.12s, %s)",
				 plan_group_name(plan, g), s->keys[g].hex, descs[g].digest);
		} else if (st == LCACHE_EVICTED) {
			log_msgf(log, ud, "layer %s: cached copy dropped (%s); rebuilding it",
				 plan_group_name(plan, g), why ? why : "bad entry");
		}
	}
	return 0;
}

int lcache_stage_store(lcache_stage_t *s, const plan_t *plan, size_t g, const pkgrec_t *const *pkgs,
		       const char *blobs_dir, const layer_desc_t *desc, err_t *err)
{
	buf_t blob = BUF_INIT;
	int rc = 0;
	if (g >= s->n_keys || !s->keys[g].hex[0])
		return 0;
	if (oci_blob_path(blobs_dir, desc->digest, &blob, err))
		return err_prefix(err, "storing layer '%s' in the layer cache",
				  plan_group_name(plan, g));
	const pkgrec_t **v = group_pkgs(plan, g, pkgs);
	rc = lcache_store(s->cache, s->keys[g].hex, blob.data, desc, plan_group_name(plan, g), v,
			  plan_group_size(plan, g), s->keys[g].canonical, err);
	if (rc)
		err_prefix(err, "storing layer '%s' in the layer cache", plan_group_name(plan, g));
	free(v);
	buf_free(&blob);
	return rc;
}

const char *lcache_stage_key(const lcache_stage_t *s, size_t g)
{
	return g < s->n_keys ? s->keys[g].hex : "";
}

int lcache_stage_peek(lcache_stage_t *s, size_t g, layer_desc_t *out)
{
	if (g >= s->n_keys || !s->keys[g].hex[0])
		return 0;
	return lcache_peek(s->cache, s->keys[g].hex, out) == LCACHE_HIT;
}

const char *lcache_stage_records(const lcache_stage_t *s, size_t g, size_t *len)
{
	if (!s || g >= s->n_keys || !s->keys[g].records.len)
		return NULL;
	*len = s->keys[g].records.len;
	return s->keys[g].records.data;
}

void lcache_stage_set_records(lcache_stage_t *s, size_t g, const char *data, size_t len)
{
	if (g >= s->n_keys)
		return;
	buf_reset(&s->keys[g].records);
	buf_add(&s->keys[g].records, data, len);
}
