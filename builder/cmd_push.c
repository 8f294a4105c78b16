/* cmd_push.c — `imgbuild push oci:DIR[:TAG] REF [REF...]`: pushes an image layout that is already
 * built (by `imgbuild build --output oci:DIR` or any OCI tool) to registry references, as
 * `crane push` does; the same client, auth, TLS and retry rules as build's push (oci/push.h).
 * All REFs must name one registry and repository; each tag is PUT once the blobs are in. Then
 * the artifacts the layout lists for the image (its `sha256-<hex>` referrers: SBOM, provenance)
 * and, with --sign-key, its signature, as `build` does (issue 15, docs/sbom.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "context.h"
#include "digest.h"
#include "layout.h"
#include "options.h"
#include "push.h"
#include "ref.h"
#include "referrers.h"
#include "reg.h"
#include "sign.h"
#include "xalloc.h"

#define MAX_REFS 32

static const char usage[] = "usage: imgbuild push oci:DIR[:TAG] REGISTRY/REPO[:TAG] [more tags of "
			    "the same repo] [options]\n";

/* Parses every REF; all must share refs[0]'s registry and repository. Tags into tags[]. */
static int parse_refs(char **args, int n, oci_ref_t *first, char **tags, size_t *n_tags, err_t *err)
{
	for (int i = 0; i < n; i++) {
		oci_ref_t r = OCI_REF_INIT;
		if (!oci_ref_names_registry(args[i]))
			return err_set(err,
				       "push: '%s' names no registry (write HOST[:PORT]/REPO:TAG)",
				       args[i]);
		if (oci_ref_parse(args[i], i ? &r : first, err))
			return -1;
		oci_ref_t *cur = i ? &r : first;
		int same = !strcmp(cur->registry, first->registry) &&
			   !strcmp(cur->repository, first->repository);
		if (same && cur->tag)
			tags[(*n_tags)++] = xstrdup(cur->tag);
		if (!same || cur->digest)
			err_set(err, "push: '%s': every reference must be a tag of %s/%s", args[i],
				first->registry, first->repository);
		oci_ref_clear(&r);
		if (!same || cur->digest)
			return -1;
	}
	return 0;
}

/* The digest of the image that was pushed (the layout's entry), into out. */
static int pushed_digest(const char *layout, const char *tag, buf_t *out, err_t *err)
{
	oci_layout_t *l = oci_layout_open(layout, err);
	const oci_desc_t *d = l ? oci_layout_find(l, tag, err) : NULL;
	if (d)
		buf_setstr(out, d->digest);
	oci_layout_free(l);
	return d ? 0 : -1;
}

/* stdout: each tag as REF:TAG@DIGEST, then the digest; -q: REF@DIGEST only (docs/cli.md). */
static void print_pushed(const cli_args_t *a, const oci_ref_t *ref, char **tags, size_t n_tags,
			 const char *digest)
{
	if (a->is_quiet) {
		printf("%s/%s@%s\n", ref->registry, ref->repository, digest);
		return;
	}
	for (size_t i = 0; i < n_tags; i++)
		printf("pushed: %s/%s:%s@%s\n", ref->registry, ref->repository, tags[i], digest);
	printf("digest: %s\n", digest);
}

/* issue 15: after the image, the artifacts the layout attaches to it, then its signature. */
static int push_attached(ctx_t *ctx, reg_t *reg, const oci_ref_t *ref, char **tags, size_t n_tags,
			 const char *layout, const char *digest, const oci_sign_key_t *key,
			 err_t *err)
{
	const char *work = NULL;
	size_t n = 0;
	if (oci_referrers_push(reg, layout, digest, ref->repository, ctx_cache_dir(ctx), &n, err))
		return -1;
	if (n)
		ctx_log(ctx, "pushed %zu artifact%s attached to %s", n, n == 1 ? "" : "s", digest);
	if (!key)
		return 0;
	if (ctx_scratch(ctx, &work, err) ||
	    oci_sign_push(reg, key, ref->registry, ref->repository, (const char *const *)tags,
			  n_tags, digest, work, err))
		return -1;
	ctx_log(ctx, "signed %s (%s/%s: sha256-%s.sig)", digest, ref->registry, ref->repository,
		digest_oci_hex(digest));
	return 0;
}

int cmd_push(int argc, char **argv)
{
	cli_args_t a;
	char *tags[MAX_REFS];
	oci_ref_t ref = OCI_REF_INIT;
	err_t err = ERR_INIT;
	ctx_t *ctx = NULL;
	reg_t *reg = NULL;
	oci_sign_key_t *key = NULL;
	buf_t layout = BUF_INIT, layout_tag = BUF_INIT, digest = BUF_INIT;
	size_t n_tags = 0;
	int rc = cli_parse(CMD_PUSH, usage, argc, argv, &a);
	if (rc == 0 && (a.n_args < 2 || a.n_args - 1 > MAX_REFS || strncmp(a.args[0], "oci:", 4))) {
		fprintf(stderr,
			"imgbuild push: needs oci:DIR and 1 to %d references (see `imgbuild push "
			"--help`)\n",
			MAX_REFS);
		rc = 2;
	}
	if (rc) {
		rc = rc == 1 ? 0 : 2;
		goto out;
	}
	rc = 1;
	oci_layout_ref_split(a.args[0] + 4, &layout, &layout_tag);
	/* a key that cannot sign fails the run before anything is pushed */
	if (a.publish.sign_key && !(key = oci_sign_key_load(a.publish.sign_key, &err))) {
		err_prefix(&err, "--sign-key");
		rc = cli_fail(&err);
		goto out;
	}
	if (parse_refs(a.args + 1, (int)a.n_args - 1, &ref, tags, &n_tags, &err) ||
	    !(ctx = ctx_new(&a.build, 0, cli_log, NULL, &err)) ||
	    !(reg = ctx_registry(ctx, ref.registry, &err)) ||
	    oci_push_layout(reg, layout.data, layout_tag.len ? layout_tag.data : NULL,
			    ref.repository, (const char *const *)tags, n_tags, ctx_cache_dir(ctx),
			    &err) ||
	    pushed_digest(layout.data, layout_tag.len ? layout_tag.data : NULL, &digest, &err) ||
	    push_attached(ctx, reg, &ref, tags, n_tags, layout.data, digest.data, key, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	const reg_stats_t *st = reg_get_stats(reg);
	if (!a.is_quiet)
		cli_logf("blobs: %ld uploaded, %ld mounted, %ld already there", st->blobs_uploaded,
			 st->blobs_mounted, st->blobs_skipped);
	print_pushed(&a, &ref, tags, n_tags, digest.data);
	rc = 0;
out:
	for (size_t i = 0; i < n_tags; i++)
		free(tags[i]);
	ctx_free(ctx);
	oci_sign_key_free(key);
	buf_free(&layout);
	buf_free(&layout_tag);
	buf_free(&digest);
	oci_ref_clear(&ref);
	err_clear(&err);
	cli_args_free(&a);
	return rc;
}
