/* publish.c — the steps around pipeline_build (see publish.h): one build per platform, index
 * assembly, and delivery (layout, docker archive or registry push). Work happens in the
 * context's scratch directory (swept if killed, removed at the end); an oci:DIR output appears
 * by rename only once complete, and a push writes tags only after all content is in. */
#include "publish.h"
#include "referrers.h" /* issue 15 */
#include "sign.h"      /* issue 15 */
#include "spread.h"    /* issue 14 part 4: --layers */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "docker_archive.h"
#include "fsutil.h"
#include "layout.h"
#include "pipeline_config.h"
#include "metadata.h"
#include "push.h"
#include "ref.h"
#include "xalloc.h"

typedef struct pub {
	const publish_opts_t *po;
	ctx_t *ctx;
	const char *work; /* the context's scratch directory */
	buf_t final_layout;
	size_t n_plats;
	oci_ref_t *refs;     /* parsed -t (push and docker-archive) */
	const char **tags;   /* tag part of each -t for oci:DIR */
	char *mount_src;     /* --cache-repo's repository when registry-cache hits are mounted, not
				pulled */
	oci_sign_key_t *key; /* issue 15: --sign-key, loaded before the build; or NULL */
} pub_t;

/* "registry/name:tag" -> "tag"; no tag -> "latest"; a digest cannot be a layout tag. */
static const char *tag_of(const char *ref)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(ref, ':');
	if (strchr(ref, '@'))
		return NULL;
	if (colon && (!slash || colon > slash))
		return colon + 1;
	return "latest";
}

static int check_refs(pub_t *p, err_t *err)
{
	const publish_opts_t *po = p->po;
	int is_push = !po->output;
	p->refs = xcalloc(po->n_refs ? po->n_refs : 1, sizeof *p->refs);
	p->tags = xcalloc(po->n_refs ? po->n_refs : 1, sizeof *p->tags);
	if (is_push && po->n_refs == 0)
		return err_set(err, "nothing to do: pass -t REGISTRY/NAME:TAG to push, or --output "
				    "oci:DIR / docker-archive:FILE");
	for (size_t i = 0; i < po->n_refs; i++) {
		const char *r = po->refs[i];
		if (is_push && !oci_ref_names_registry(r))
			return err_set(
				err,
				"-t %s names no registry, so there is nowhere to push it: use "
				"HOST/NAME:TAG "
				"(e.g. docker.io/%s) or write it locally with --output oci:DIR",
				r, r);
		if (oci_ref_parse(r, &p->refs[i], err))
			return err_prefix(err, "-t");
		if (p->refs[i].digest)
			return err_set(err, "-t %s: a digest cannot be assigned; use a tag", r);
		p->tags[i] = tag_of(r);
	}
	if (po->output && strncmp(po->output, "oci:", 4) &&
	    strncmp(po->output, "docker-archive:", 15))
		return err_set(err, "--output %s: expected oci:DIR or docker-archive:FILE",
			       po->output);
	if (po->output && !strchr(po->output, ':')[1])
		return err_set(err, "--output %s: the path is missing", po->output);
	if (po->output && !strncmp(po->output, "docker-archive:", 15) && p->n_plats > 1)
		return err_set(
			err,
			"--output docker-archive: holds one platform (docker load has no index); "
			"use --output oci:DIR or push for several --platform values");
	return 0;
}

/* An unchanged group is never re-pulled: when the only output is a push and every -t is on
 * the --cache-repo's registry, the build leaves registry-cache hits in the registry and the
 * push mounts them from the cache repository. Any local output (oci:, docker-archive:) or a
 * tag on another registry needs the bytes, so they are downloaded as before. */
static void choose_mount_only(pub_t *p)
{
	oci_ref_t cr = OCI_REF_INIT;
	err_t ignored = ERR_INIT;
	int all_same = p->po->n_refs > 0;
	const char *cache_repo = ctx_opts(p->ctx)->cache_repo;
	if (p->po->output || !cache_repo || oci_ref_parse(cache_repo, &cr, &ignored))
		goto out;
	for (size_t i = 0; i < p->po->n_refs; i++)
		all_same &= !strcmp(p->refs[i].registry, cr.registry);
	if (all_same)
		p->mount_src = xstrdup(cr.repository);
out:
	oci_ref_clear(&cr);
	err_clear(&ignored);
}

static int build_platforms(pub_t *p, publish_result_t *out, err_t *err)
{
	const publish_opts_t *po = p->po;
	int is_oci = po->output && !strncmp(po->output, "oci:", 4),
	    direct = is_oci && p->n_plats == 1;
	static const char *const latest[] = {"latest"};
	buf_t outdir = BUF_INIT;
	int rc = -1;
	out->builds = xcalloc(p->n_plats, sizeof *out->builds);
	out->platforms = xcalloc(p->n_plats, sizeof *out->platforms);
	for (size_t i = 0; i < p->n_plats; i++) {
		const ctx_platform_t *pl = ctx_platform(p->ctx, i);
		pipeline_target_t t = {.platform = i,
				       .cache_repo_mount_only = p->mount_src != NULL};
		if (is_oci) {
			t.tags = po->n_refs ? p->tags : latest;
			t.n_tags = po->n_refs ? po->n_refs : 1;
		}
		if (direct) {
			buf_setstr(&outdir, po->output + 4);
		} else {
			buf_setstr(&outdir, p->work);
			buf_addf(&outdir, "/image-%s.oci", pl->arch);
		}
		t.output_dir = outdir.data;
		if (p->n_plats > 1)
			ctx_log(p->ctx, "building %s (conda subdir %s)", pl->name, pl->subdir);
		if (pipeline_build(p->ctx, &t, &out->builds[i], err)) {
			if (p->n_plats > 1)
				err_prefix(err, "%s", pl->name);
			goto out;
		}
		out->platforms[i] = xstrdup(pl->name);
		out->n_builds++;
		buf_setstr(&p->final_layout, outdir.data);
	}
	rc = 0;
out:
	buf_free(&outdir);
	return rc;
}

/* Links each platform's image into the layout l and writes their image index blob there. */
static int join_platforms(pub_t *p, const publish_result_t *res, oci_layout_t *l, oci_desc_t *top,
			  char digest[DIGEST_OCI_MAX], err_t *err)
{
	oci_desc_t *ms = xcalloc(p->n_plats, sizeof *ms);
	buf_t src = BUF_INIT;
	int rc = -1;
	for (size_t i = 0; i < p->n_plats; i++) {
		const char *arch = ctx_platform(p->ctx, i)->arch;
		buf_setstr(&src, p->work);
		buf_addf(&src, "/image-%s.oci", arch);
		oci_layout_t *from = oci_layout_open(src.data, err);
		/* platform order is the --platform order: same flags, same index bytes */
		ms[i] = (oci_desc_t){.media_type = OCI_MT_MANIFEST,
				     .digest = res->builds[i].manifest_digest,
				     .size = res->builds[i].manifest_size,
				     .os = "linux",
				     .arch = arch};
		int irc = from ? oci_layout_import(l, from, &ms[i], p->mount_src != NULL, err) : -1;
		oci_layout_free(from);
		if (irc)
			goto out;
	}
	*top = (oci_desc_t){.media_type = OCI_MT_INDEX, .digest = digest};
	rc = pipeline_config_write_index(ctx_opts(p->ctx), l, ms, p->n_plats, digest, &top->size,
					 err); /* --annotation on the index too */
out:
	free(ms);
	buf_free(&src);
	return rc;
}

/* Joins the per-platform layouts under one image index in dir (its digest into res); for an
 * oci:DIR output the other tags DIR already holds are kept. */
static int write_index_layout(pub_t *p, publish_result_t *res, const char *dir, err_t *err)
{
	const publish_opts_t *po = p->po;
	int is_oci = po->output && !strncmp(po->output, "oci:", 4);
	char digest[DIGEST_OCI_MAX];
	oci_desc_t top;
	oci_layout_t *l = oci_layout_create(dir, err);
	int rc = -1;
	if (!l || join_platforms(p, res, l, &top, digest, err) ||
	    oci_layout_set_refs(l, &top, is_oci ? p->tags : NULL, is_oci ? po->n_refs : 0, err) ||
	    (is_oci && oci_layout_keep_refs(l, po->output + 4, err)) ||
	    oci_layout_write_index(l, err))
		goto out;
	res->digest = xstrdup(digest);
	res->media_type = xstrdup(OCI_MT_INDEX);
	rc = 0;
out:
	oci_layout_free(l);
	return rc;
}

/* Moves a finished layout to the user's oci:DIR, replacing only an earlier OCI layout. */
static int move_layout(const char *from, const char *dir, err_t *err)
{
	buf_t old = BUF_INIT;
	int rc = -1;
	if (fs_exists(dir) && !oci_layout_is_layout(dir) && rmdir(dir) != 0) {
		err_set(err,
			"--output %s exists and is not an OCI image layout; remove it or choose "
			"another path",
			dir);
		goto out;
	}
	if (fs_exists(dir)) {
		buf_addf(&old, "%s.old-%ld", dir, (long)getpid());
		if (rename(dir, old.data) != 0) {
			err_set(err, "cannot move the previous %s aside: %s", dir, strerror(errno));
			goto out;
		}
	}
	if (fs_rename(from, dir, err)) {
		if (old.len)
			rename(old.data, dir);
		goto out;
	}
	if (old.len && fs_rm_rf(old.data, err))
		goto out;
	rc = 0;
out:
	buf_free(&old);
	return rc;
}

/* issue 15: the referrers of each platform's image (its layout holds them, oci/referrers.h),
 * by the tag schema where the registry lacks the referrers API. */
static int push_referrers(pub_t *p, reg_t *r, const char *repo, const publish_result_t *out,
			  err_t *err)
{
	buf_t dir = BUF_INIT;
	int rc = 0;
	for (size_t k = 0; rc == 0 && k < out->n_builds; k++) {
		buf_setstr(&dir, p->final_layout.data);
		if (p->n_plats > 1) {
			buf_setstr(&dir, p->work);
			buf_addf(&dir, "/image-%s.oci", ctx_platform(p->ctx, k)->arch);
		}
		rc = oci_referrers_push(r, dir.data, out->builds[k].manifest_digest, repo,
					ctx_cache_dir(p->ctx), NULL, err);
	}
	buf_free(&dir);
	return rc;
}

/* Pushes to every -t; tags of one repository share one blob pass. */
static int push_all(pub_t *p, publish_result_t *out, err_t *err)
{
	const publish_opts_t *po = p->po;
	const char **tags = xcalloc(po->n_refs, sizeof *tags);
	char *done = xcalloc(po->n_refs, 1);
	buf_t s = BUF_INIT;
	int rc = -1;
	out->pushed = xcalloc(po->n_refs, sizeof *out->pushed);
	for (size_t i = 0; i < po->n_refs; i++) {
		size_t n = 0;
		if (done[i])
			continue;
		for (size_t j = i; j < po->n_refs; j++)
			if (!done[j] && !strcmp(p->refs[j].registry, p->refs[i].registry) &&
			    !strcmp(p->refs[j].repository, p->refs[i].repository)) {
				tags[n++] = p->refs[j].tag;
				done[j] = 1;
			}
		reg_t *r = ctx_registry(p->ctx, p->refs[i].registry, err);
		if (!r)
			goto out;
		ctx_log(p->ctx, "pushing to %s/%s (%zu tag%s)", p->refs[i].registry,
			p->refs[i].repository, n, n == 1 ? "" : "s");
		if (oci_push_layout_from(r, p->final_layout.data, p->refs[i].repository, tags, n,
					 ctx_cache_dir(p->ctx), p->mount_src, err))
			goto out;
		/* issue 15: the artifacts attached to each image (SBOM, provenance) after it */
		if (push_referrers(p, r, p->refs[i].repository, out, err))
			goto out;
		/* issue 15: then its signature, in the repository's sha256-<hex>.sig tag */
		if (p->key && oci_sign_push(r, p->key, p->refs[i].registry, p->refs[i].repository,
					    tags, n, out->digest, p->work, err))
			goto out;
		for (size_t k = 0; k < n; k++) {
			buf_reset(&s);
			buf_addf(&s, "%s/%s:%s@%s", p->refs[i].registry, p->refs[i].repository,
				 tags[k], out->digest);
			out->pushed[out->n_pushed++] = buf_detach(&s);
		}
	}
	rc = 0;
out:
	ctx_registry_stats(p->ctx, &out->stats);
	free(tags);
	free(done);
	buf_free(&s);
	return rc;
}

/* docker-archive:FILE, its tags named as Docker names them: as written, :latest when none. */
static int write_docker_archive(pub_t *p, err_t *err)
{
	const publish_opts_t *po = p->po;
	const char **names = xcalloc(po->n_refs ? po->n_refs : 1, sizeof *names);
	buf_t *bufs = xcalloc(po->n_refs ? po->n_refs : 1, sizeof *bufs);
	for (size_t i = 0; i < po->n_refs; i++) {
		const char *slash = strrchr(po->refs[i], '/');
		buf_addstr(&bufs[i], po->refs[i]);
		if (!strchr(slash ? slash : po->refs[i], ':'))
			buf_addstr(&bufs[i], ":latest");
		names[i] = bufs[i].data;
	}
	int rc = oci_docker_archive_write(p->final_layout.data, po->output + 15, names, po->n_refs,
					  ctx_opts(p->ctx)->layer.mtime, err);
	if (rc)
		err_prefix(err, "--output docker-archive");
	for (size_t i = 0; i < po->n_refs; i++)
		buf_free(&bufs[i]);
	free(bufs);
	free(names);
	return rc;
}

static int deliver(pub_t *p, publish_result_t *out, err_t *err)
{
	const publish_opts_t *po = p->po;
	if (p->n_plats > 1) {
		buf_t dir = BUF_INIT;
		buf_setstr(&dir, p->work);
		buf_addpath(&dir, "index.oci");
		int rc = write_index_layout(p, out, dir.data, err);
		if (rc == 0 && po->output && !strncmp(po->output, "oci:", 4)) {
			rc = move_layout(dir.data, po->output + 4, err);
			buf_setstr(&p->final_layout, po->output + 4);
		} else {
			buf_setstr(&p->final_layout, dir.data);
		}
		buf_free(&dir);
		if (rc)
			return -1;
	}
	if (p->n_plats == 1) {
		out->digest = xstrdup(out->builds[0].manifest_digest);
		out->media_type = xstrdup(OCI_MT_MANIFEST);
	}
	if (po->output && !strncmp(po->output, "docker-archive:", 15)) {
		if (write_docker_archive(p, err))
			return -1;
	} else if (!po->output && push_all(p, out, err)) {
		return -1;
	}
	if (po->metadata_file && metadata_write(po, p->final_layout.data, out, err))
		return -1;
	return 0;
}

int publish_run(const publish_opts_t *po, ctx_t *ctx, publish_result_t *out, err_t *err)
{
	pub_t p = {.po = po, .ctx = ctx, .n_plats = ctx_platform_count(ctx)};
	int rc = -1;
	if (ctx_opts(ctx)->only_groups) /* layers into the registry cache, no image */
		return spread_run(ctx, out, err);
	memset(out, 0, sizeof *out);
	if (check_refs(&p, err))
		goto out;
	choose_mount_only(&p);
	/* issue 15: a key that cannot sign fails the run before anything is built */
	if (po->sign_key && po->output) {
		err_set(err,
			"--sign-key signs pushed images, and --output %s pushes none: push "
			"with -t REGISTRY/NAME:TAG",
			po->output);
		goto out;
	}
	if (po->sign_key && !(p.key = oci_sign_key_load(po->sign_key, err))) {
		err_prefix(err, "--sign-key");
		goto out;
	}
	if (ctx_scratch(ctx, &p.work, err) || build_platforms(&p, out, err) ||
	    deliver(&p, out, err))
		goto out;
	rc = 0;
out:
	for (size_t i = 0; p.refs && i < po->n_refs; i++)
		oci_ref_clear(&p.refs[i]);
	free(p.refs);
	free(p.tags);
	free(p.mount_src);
	oci_sign_key_free(p.key);
	buf_free(&p.final_layout);
	if (rc)
		publish_result_free(out);
	return rc;
}

void publish_result_free(publish_result_t *r)
{
	if (!r)
		return;
	free(r->digest);
	free(r->media_type);
	for (size_t i = 0; i < r->n_builds; i++) {
		build_result_free(&r->builds[i]);
		free(r->platforms[i]);
	}
	free(r->builds);
	free(r->platforms);
	for (size_t i = 0; i < r->n_pushed; i++)
		free(r->pushed[i]);
	free(r->pushed);
	memset(r, 0, sizeof *r);
}
