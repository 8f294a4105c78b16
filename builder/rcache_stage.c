/* rcache_stage.c — lookups and stores of layers in the shared registry cache for the pipeline
 * and `imgbuild plan` (see rcache_stage.h). The artifact format and the registry calls are
 * oci/cache_artifact.c; this file decides what to ask, verifies what comes back before the
 * build relies on it, and turns every failure into a warning and a layer built locally. */
#include "rcache_stage.h"

#include <archive.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "buf.h"
#include "cache_artifact.h"
#include "digest.h"
#include "layout.h"
#include "push.h"
#include "ref.h"
#include "sbom_cache.h"
#include "scan_share.h"
#include "log.h"
#include "xalloc.h"

struct rcache_stage {
	char *registry; /* "host[:port]" */
	char *repo;     /* "path/cache" */
	char *display;  /* "host[:port]/path/cache" */
	const reg_opts_t *reg_opts;
	reg_t *reg; /* connected on first use */
	char *cache_dir;
	char *scratch_dir;
	int is_disabled;            /* the registry failed once: stop asking for this build */
	int is_mount_only;          /* hits stay in the registry: the push mounts them */
	unsigned char *in_registry; /* per group, filled by lookup */
	size_t n_groups;
	const unsigned char *is_selected; /* per group (--layers), borrowed; NULL = all */
	int is_read_only;                 /* the repository refused a push: never publish */
	size_t n_failed;                  /* layers the last publish could not store */
};

rcache_stage_t *rcache_stage_new(const char *cache_repo, const reg_opts_t *reg_opts,
				 const char *cache_dir, const char *scratch_dir, err_t *err)
{
	oci_ref_t ref = OCI_REF_INIT;
	rcache_stage_t *s = NULL;
	const char *slash = cache_repo ? strrchr(cache_repo, '/') : NULL;
	if (!cache_repo || !oci_ref_names_registry(cache_repo) || !slash) {
		err_set(err,
			"--cache-repo '%s': expected HOST[:PORT]/PATH (a repository in a registry, "
			"e.g. registry.example.com/team/cache)",
			cache_repo ? cache_repo : "");
		return NULL;
	}
	if (strchr(slash, ':') || strchr(cache_repo, '@')) {
		err_set(err,
			"--cache-repo '%s': names a repository, not an image: drop the :TAG or "
			"@DIGEST "
			"(imgbuild tags the cache entries itself)",
			cache_repo);
		return NULL;
	}
	if (oci_ref_parse(cache_repo, &ref, err)) {
		err_prefix(err, "--cache-repo");
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	buf_t d = BUF_INIT;
	buf_addf(&d, "%s/%s", ref.registry, ref.repository);
	s->display = buf_detach(&d);
	s->registry = xstrdup(ref.registry);
	s->repo = xstrdup(ref.repository);
	s->cache_dir = xstrdup(cache_dir);
	s->scratch_dir = scratch_dir ? xstrdup(scratch_dir) : NULL;
	s->reg_opts = reg_opts;
	oci_ref_clear(&ref);
	return s;
}

void rcache_stage_free(rcache_stage_t *s)
{
	if (!s)
		return;
	reg_free(s->reg);
	free(s->registry);
	free(s->repo);
	free(s->display);
	free(s->cache_dir);
	free(s->scratch_dir);
	free(s->in_registry);
	free(s);
}

void rcache_stage_set_mount_only(rcache_stage_t *s, int on)
{
	s->is_mount_only = on;
}

void rcache_stage_set_selection(rcache_stage_t *s, const unsigned char *is_selected)
{
	s->is_selected = is_selected;
}

void rcache_stage_set_read_only(rcache_stage_t *s, int on)
{
	s->is_read_only = on;
}

size_t rcache_stage_n_failed(const rcache_stage_t *s)
{
	return s->n_failed;
}

/* A keyed group this build deals with (--layers leaves the others alone). */
static int is_in_scope(const rcache_stage_t *s, lcache_stage_t *ls, size_t g)
{
	return lcache_stage_key(ls, g)[0] && (!s->is_selected || s->is_selected[g]);
}

const char *rcache_stage_repo(const rcache_stage_t *s)
{
	return s->display;
}

static reg_t *get_reg(rcache_stage_t *s, err_t *err)
{
	static const reg_opts_t defaults;
	if (!s->reg) {
		s->reg = reg_new(s->registry, s->reg_opts ? s->reg_opts : &defaults, err);
		if (s->reg)
			reg_add_scope(s->reg, s->repo, "pull,push");
	}
	return s->reg;
}

/* The uncompressed stream's sha256 (libarchive's raw format undoes gzip, including the
 * concatenated members imgbuild writes, and zstd). */
static int tar_digest(const char *path, char hex[DIGEST_HEX_MAX], err_t *err)
{
	struct archive *a = xcheck(archive_read_new());
	struct archive_entry *e;
	digest_t *d = digest_new(DIGEST_SHA256);
	char chunk[65536];
	la_ssize_t n;
	int rc = -1;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 1 << 20) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		err_set(err, "%s: cannot decompress: %s", path, archive_error_string(a));
		goto out;
	}
	while ((n = archive_read_data(a, chunk, sizeof chunk)) > 0)
		digest_update(d, chunk, (size_t)n);
	if (n < 0) {
		err_set(err, "%s: cannot decompress: %s", path, archive_error_string(a));
		goto out;
	}
	digest_final_hex(d, hex);
	rc = 0;
out:
	digest_free(d);
	archive_read_free(a);
	return rc;
}

/* Downloads a hit's blob into blobs_dir (reg_blob_fetch checks size and digest while it
 * streams) and checks the diff_id the annotation claims: a wrong one would make an image
 * umoci and containerd refuse. */
static int fetch_verified(rcache_stage_t *s, const oci_cache_layer_t *cl, const layer_opts_t *layer,
			  const char *blobs_dir, layer_desc_t *out, err_t *err)
{
	const char *want_mt = blob_media_type(layer->compression);
	buf_t path = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	int rc = -1;
	if (strcmp(cl->media_type, want_mt) != 0) {
		err_set(err, "its layer is %s, this build writes %s", cl->media_type, want_mt);
		goto out;
	}
	if (oci_blob_path(blobs_dir, cl->digest, &path, err) || !get_reg(s, err) ||
	    reg_blob_fetch(s->reg, s->repo, cl->digest, cl->size, path.data, err))
		goto out;
	if (tar_digest(path.data, hex, err))
		goto out;
	if (!digest_oci_hex(cl->diff_id) || strcmp(hex, digest_oci_hex(cl->diff_id)) != 0) {
		err_set(err, "its blob uncompresses to sha256:%s, the artifact says %s", hex,
			cl->diff_id);
		goto out;
	}
	memset(out, 0, sizeof *out);
	memcpy(out->digest, cl->digest, strlen(cl->digest) + 1);
	memcpy(out->diff_id, cl->diff_id, strlen(cl->diff_id) + 1);
	out->size = cl->size;
	out->media_type = want_mt;
	rc = 0;
out:
	if (rc && path.len)
		unlink(path.data);
	buf_free(&path);
	return rc;
}

/* Mount-only mode: the hit's descriptor as the artifact gives it, after checking the media
 * type and that the repository still holds the blob (a missing one means "build it", as in
 * the download path; one deleted after this check makes the push's fallback fail loudly).
 * The blob's bytes and its diff_id are not checked here: see docs/layer-format.md. */
static int take_remote(rcache_stage_t *s, const oci_cache_layer_t *cl, const layer_opts_t *layer,
		       layer_desc_t *out, err_t *err)
{
	const char *want_mt = blob_media_type(layer->compression);
	int exists = 0;
	if (strcmp(cl->media_type, want_mt) != 0)
		return err_set(err, "its layer is %s, this build writes %s", cl->media_type,
			       want_mt);
	if (!get_reg(s, err) || reg_blob_exists(s->reg, s->repo, cl->digest, &exists, err))
		return -1;
	if (!exists)
		return err_set(err, "its blob %s is not in the repository (HTTP 404 on HEAD)",
			       cl->digest);
	memset(out, 0, sizeof *out);
	memcpy(out->digest, cl->digest, strlen(cl->digest) + 1);
	memcpy(out->diff_id, cl->diff_id, strlen(cl->diff_id) + 1);
	out->size = cl->size;
	out->media_type = want_mt;
	return 0;
}

/* Tells the push (oci/push.c reads this record) that the cache repository holds digest, so
 * pushing the image to the same registry mounts it from there instead of uploading it. */
static void record_mountable(rcache_stage_t *s, const char *digest)
{
	buf_t seen = BUF_INIT;
	oci_seen_path(s->cache_dir, s->registry, &seen);
	oci_seen_add(seen.data, digest, s->repo);
	buf_free(&seen);
}

static void lookup_one(rcache_stage_t *s, lcache_stage_t *ls, const plan_t *plan, size_t g,
		       const pkgrec_t *const *pkgs, const layer_opts_t *layer,
		       const char *blobs_dir, layer_desc_t *desc, unsigned char *is_cached,
		       unsigned char *from_registry, log_fn log, void *ud)
{
	const char *key = lcache_stage_key(ls, g), *name = plan_group_name(plan, g);
	oci_cache_layer_t cl;
	err_t why = ERR_INIT;
	int found = 0;
	if (!get_reg(s, &why) || oci_cache_lookup(s->reg, s->repo, key, &cl, &found, &why)) {
		if (strstr(err_msg(&why), "cache artifact ")) {
			log_msgf(log, ud,
				 "warning: layer %s: registry cache %s: unusable entry (%s); "
				 "building the layer",
				 name, s->display, err_msg(&why));
		} else {
			s->is_disabled = 1;
			log_msgf(log, ud,
				 "warning: registry cache %s cannot be read (%s); building without "
				 "it",
				 s->display, err_msg(&why));
		}
		goto out;
	}
	if (!found)
		goto out;
	s->in_registry[g] = 1;
	if (is_cached[g]) {
		record_mountable(s, cl.digest);
		goto out;
	}
	if (s->is_mount_only ? take_remote(s, &cl, layer, desc, &why)
			     : fetch_verified(s, &cl, layer, blobs_dir, desc, &why)) {
		s->in_registry[g] = 0; /* publish what we build in its place */
		log_msgf(log, ud,
			 "warning: layer %s: registry cache %s entry %s%.12s is unusable (%s); "
			 "building the layer",
			 name, s->display, OCI_CACHE_TAG_PREFIX, key, err_msg(&why));
		goto out;
	}
	is_cached[g] = from_registry[g] = 1;
	record_mountable(s, cl.digest);
	sbom_cache_take_records(s->reg, s->repo, &cl, s->scratch_dir, ls, g, name, log, ud);
	if (s->is_mount_only) {
		/* nothing local to keep: the local layer cache stores blobs, not pointers */
		log_msgf(log, ud,
			 "layer %s: from the registry cache %s (key %.12s, %s), not downloaded: "
			 "the push "
			 "mounts it",
			 name, s->display, key, cl.digest);
		goto out;
	}
	log_msgf(log, ud,
		 "layer %s: from the registry cache %s (key %.12s, %s), downloaded and verified",
		 name, s->display, key, cl.digest);
	/* the next build on this machine finds it locally */
	err_clear(&why);
	if (lcache_stage_store(ls, plan, g, pkgs, blobs_dir, desc, &why))
		log_msgf(log, ud, "warning: %s", err_msg(&why));
out:
	err_clear(&why);
}

void rcache_stage_lookup(rcache_stage_t *s, lcache_stage_t *ls, const plan_t *plan,
			 const pkgrec_t *const *pkgs, const layer_opts_t *layer,
			 const char *blobs_dir, layer_desc_t *descs, unsigned char *is_cached,
			 unsigned char *from_registry, log_fn log, void *ud)
{
	size_t n_hits = 0;
	free(s->in_registry);
	s->n_groups = plan_group_count(plan);
	s->in_registry = xcalloc(s->n_groups ? s->n_groups : 1, 1);
	memset(from_registry, 0, s->n_groups);
	for (size_t g = 0; g < s->n_groups && !s->is_disabled; g++) {
		if (!is_in_scope(s, ls, g))
			continue;
		lookup_one(s, ls, plan, g, pkgs, layer, blobs_dir, &descs[g], is_cached,
			   from_registry, log, ud);
		n_hits += from_registry[g];
	}
	if (!s->is_disabled)
		log_msgf(log, ud, "registry cache %s: %zu layer%s taken from it", s->display,
			 n_hits, n_hits == 1 ? "" : "s");
}

/* Read-only: says how many layers this build would have stored (preflight warned why). */
static int skip_read_only(rcache_stage_t *s, lcache_stage_t *ls, log_fn log, void *ud)
{
	size_t n = 0;
	if (!s->is_read_only)
		return 0;
	for (size_t g = 0; g < s->n_groups; g++)
		n += is_in_scope(s, ls, g) && !s->in_registry[g];
	log_msgf(log, ud,
		 "registry cache %s is read-only for this build: %zu layer%s not stored there",
		 s->display, n, n == 1 ? "" : "s");
	return 1;
}

void rcache_stage_publish(rcache_stage_t *s, lcache_stage_t *ls, const plan_t *plan,
			  const pkgrec_t *const *pkgs, const char *prefix, const char *blobs_dir,
			  const layer_desc_t *descs, log_fn log, void *ud)
{
	buf_t blob = BUF_INIT, recs = BUF_INIT;
	err_t why = ERR_INIT;
	size_t n_stored = 0, n_failed = 0;
	s->n_failed = 0;
	if (s->is_disabled || !s->in_registry || skip_read_only(s, ls, log, ud))
		return;
	for (size_t g = 0; g < s->n_groups; g++) {
		const char *key = lcache_stage_key(ls, g);
		if (!is_in_scope(s, ls, g) || s->in_registry[g])
			continue;
		size_t n = plan_group_size(plan, g);
		char **dists = xcalloc(n ? n : 1, sizeof *dists);
		for (size_t j = 0; j < n; j++)
			dists[j] = pkgrec_dist(pkgs[plan_group_pkg(plan, g, j)]);
		sbom_cache_group_records(plan, g, pkgs, &recs); /* issue 15: its SBOM's data */
		scan_share_add(s->cache_dir, prefix, plan, g, pkgs, &recs); /* and its scans */
		oci_cache_info_t info = {plan_group_name(plan, g), (const char *const *)dists, n,
					 recs.data, recs.len};
		oci_cache_layer_t cl = {.size = descs[g].size};
		memcpy(cl.digest, descs[g].digest, strlen(descs[g].digest) + 1);
		memcpy(cl.diff_id, descs[g].diff_id, strlen(descs[g].diff_id) + 1);
		if (snprintf(cl.media_type, sizeof cl.media_type, "%s", descs[g].media_type) >=
		    (int)sizeof cl.media_type)
			cl.media_type[0] = '\0';
		err_clear(&why);
		if (oci_blob_path(blobs_dir, descs[g].digest, &blob, &why) || !get_reg(s, &why) ||
		    !s->scratch_dir ||
		    oci_cache_publish(s->reg, s->repo, key, blob.data, &cl, &info, s->scratch_dir,
				      &why)) {
			n_failed++;
			log_msgf(log, ud,
				 "warning: layer %s could not be stored in the registry cache %s "
				 "(%s); the image is "
				 "fine, other builds will just not find this layer there",
				 plan_group_name(plan, g), s->display,
				 err_msg(&why)[0] ? err_msg(&why) : "no scratch dir");
		} else {
			n_stored++;
			record_mountable(s, cl.digest);
		}
		for (size_t j = 0; j < n; j++)
			free(dists[j]);
		free(dists);
	}
	s->n_failed = n_failed;
	if (n_stored || n_failed)
		log_msgf(log, ud, "registry cache %s: %zu layer%s stored%s", s->display, n_stored,
			 n_stored == 1 ? "" : "s",
			 n_failed ? " (some could not be: see the warnings above)" : "");
	err_clear(&why);
	buf_free(&blob);
	buf_free(&recs);
}

int rcache_stage_peek(rcache_stage_t *s, const char *key_hex, long long *size, err_t *err)
{
	oci_cache_layer_t cl;
	int found = 0;
	if (!get_reg(s, err) || oci_cache_lookup(s->reg, s->repo, key_hex, &cl, &found, err))
		return -1;
	if (found)
		*size = cl.size;
	return found;
}
