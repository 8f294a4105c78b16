/* cmd_build.c — `imgbuild build ENV.yml [options]`: options (builder/options.c) into a build
 * context, publish_run (one pipeline build per platform, then the output), progress on
 * stderr and the result on stdout: the layer table and the image's digest, or with -q only
 * the pushed references (docs/cli.md, "What goes to stdout"). Nothing else. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "context.h"
#include "metadata.h"
#include "options.h"
#include "preflight.h"
#include "publish.h"
#include "sbom_attach.h" /* issue 15 */
#include "spread.h"      /* issue 14 part 4: --layers */

static const char usage[] =
	"usage: imgbuild build ENV.yml -t REGISTRY/NAME[:TAG]... [options]   (build and push)\n"
	"       imgbuild build ENV.yml --output oci:DIR|docker-archive:FILE [-t NAME[:TAG]] "
	"[options]\n"
	"       imgbuild build --lock LOCK [ENV.yml] ...   (exactly the lock's packages, no "
	"solve)\n";

/* SOURCE: built here, or reused from the local layer cache or the registry cache (so "0
 * layers built" can be checked; the same words as --metadata-file's "source"). */
static void print_table(FILE *f, const build_result_t *r)
{
	char size[32];
	fprintf(f, "%-16s %8s %10s  %-71s  %s\n", "GROUP", "PACKAGES", "SIZE", "DIGEST", "SOURCE");
	for (size_t i = 0; i < r->n_layers; i++) {
		cli_human_size(r->layers[i].desc.size, size, sizeof size);
		fprintf(f, "%-16s %8zu %10s  %-71s  %s\n", r->layers[i].group,
			r->layers[i].n_packages, size, r->layers[i].desc.digest,
			metadata_layer_source(&r->layers[i]));
	}
	if (r->manifest_digest) /* --layers writes no image */
		fprintf(f, "manifest: %s\n", r->manifest_digest);
	fprintf(f, "%zu packages in %s\n", r->n_packages, r->prefix);
}

/* -q: each pushed repository once as HOST/REPO@DIGEST (what `docker pull` and a pod spec
 * take), in -t order; with no push, the digest. */
static void print_refs(const publish_result_t *r)
{
	if (!r->n_pushed) {
		if (r->digest) /* --layers: no image */
			printf("%s\n", r->digest);
		return;
	}
	for (size_t i = 0; i < r->n_pushed; i++) {
		const char *at = strrchr(r->pushed[i], '@'), *slash = strrchr(r->pushed[i], '/');
		const char *colon = slash ? strchr(slash, ':') : NULL;
		size_t len = colon && colon < at ? (size_t)(colon - r->pushed[i])
						 : (size_t)(at - r->pushed[i]);
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strncmp(r->pushed[j], r->pushed[i], len) && r->pushed[j][len] &&
			       strchr(":@", r->pushed[j][len]);
		if (!seen)
			printf("%.*s%s\n", (int)len, r->pushed[i], at);
	}
}

/* Per platform its layer table, then where the image went and its digest; with -q only
 * print_refs. */
static void print_result(const publish_result_t *r, const char *output, int is_quiet)
{
	FILE *f = stdout;
	if (is_quiet) {
		print_refs(r);
		fflush(stdout);
		return;
	}
	for (size_t i = 0; i < r->n_builds; i++) {
		if (r->n_builds > 1)
			fprintf(f, "platform: %s\n", r->platforms[i]);
		print_table(f, &r->builds[i]);
	}
	if (!r->digest) /* --layers: stored in the registry cache, no image */
		return;
	if (output)
		printf("image: %s\n", output);
	for (size_t i = 0; i < r->n_pushed; i++)
		printf("pushed: %s\n", r->pushed[i]);
	if (r->n_pushed)
		cli_logf("blobs: %ld uploaded, %ld mounted, %ld already there",
			 r->stats.blobs_uploaded, r->stats.blobs_mounted, r->stats.blobs_skipped);
	printf("digest: %s\n", r->digest);
}

/* Registries and platforms, before anything is solved or built (preflight.h). A registry
 * cache that refused is left out of the run (the context borrows a->build). */
static int checks_before_build(ctx_t *ctx, cli_args_t *a, err_t *err)
{
	int cache_usable = PREFLIGHT_CACHE_READ_WRITE;
	if (spread_check_args(&a->build, &a->publish, err) ||
	    preflight_registries(ctx, &a->publish, &cache_usable, err))
		return -1;
	if (cache_usable == PREFLIGHT_CACHE_OFF)
		a->build.cache_repo = NULL;
	a->build.cache_repo_read_only = cache_usable == PREFLIGHT_CACHE_READ_ONLY;
	return preflight_platforms(ctx, err);
}

int cmd_build(int argc, char **argv)
{
	cli_args_t a;
	publish_result_t res;
	err_t err = ERR_INIT;
	ctx_t *ctx = NULL;
	int rc = cli_parse(CMD_BUILD, usage, argc, argv, &a);
	if (rc == 0)
		rc = cli_take_env_file(CMD_BUILD, &a);
	if (rc) {
		rc = rc == 1 ? 0 : 2;
		goto out;
	}
	attach_resolve_defaults(&a.build, a.output != NULL); /* issue 15 */
	if (!(ctx = ctx_new(&a.build, CTX_SOLVE | CTX_LAYERS, cli_log, NULL, &err)) ||
	    checks_before_build(ctx, &a, &err) || publish_run(&a.publish, ctx, &res, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	print_result(&res, a.output, a.is_quiet);
	publish_result_free(&res);
out:
	ctx_free(ctx);
	err_clear(&err);
	cli_args_free(&a);
	return rc;
}
