/* cmd_verify.c — `imgbuild verify ENV.yml|LOCK IMAGE [options]`: the drift check CI runs
 * against what is deployed. Solves ENV.yml (or reads LOCK) with the build's options and
 * context, plans the layers, and compares that with the image as `inspect` reads it
 * (builder/image_verify.c). Exit 0 when it matches, 1 naming every difference, 2 on error (as
 * `diff`). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "context.h"
#include "image_info.h"
#include "image_verify.h"
#include "options.h"

#define SNIFF_MAX_BYTES (1u << 20) /* enough to tell a lock from an environment file */

static const char usage[] =
	"usage: imgbuild verify ENV.yml|LOCK IMAGE [options]\n"
	"       imgbuild verify --lock LOCK [ENV.yml] IMAGE [options]\n"
	"Solves ENV.yml (or reads LOCK: conda-lock YAML or @EXPLICIT) as `imgbuild build` with "
	"the\n"
	"same options would, plans its layers, and checks that IMAGE (REGISTRY/REPO[:TAG|@DIGEST] "
	"or\n"
	"oci:DIR[:TAG]) holds exactly those packages in those layers, read from the SBOM attached\n"
	"to it (never its layer blobs). Every platform given (--platform, the config, the lock) "
	"is\n"
	"checked. Exit 0 when it matches, 1 naming every difference, 2 on error.\n";

/* 1 when path reads as a lock: an @EXPLICIT line, or a top-level package(s): list. */
static int looks_like_lock(const char *path)
{
	buf_t b = BUF_INIT;
	err_t err = ERR_INIT;
	int is_lock = 0;
	if (buf_read_file(&b, path, SNIFF_MAX_BYTES, &err) == 0)
		for (const char *l = b.data; l && *l && !is_lock;
		     l = strchr(l, '\n'), l = l ? l + 1 : l)
			is_lock = !strncmp(l, "@EXPLICIT", 9) || !strncmp(l, "package:", 8) ||
				  !strncmp(l, "packages:", 9);
	buf_free(&b);
	err_clear(&err);
	return is_lock;
}

/* SPEC IMAGE, or with --lock [ENV.yml] IMAGE, into a's env/lock paths; *image gets IMAGE.
 * 0, or 2 after a usage error. */
static int take_args(cli_args_t *a, const char **image)
{
	size_t need = a->build.lock_path ? 1 : 2;
	if (a->n_args < need || a->n_args > 2) {
		fprintf(stderr, "imgbuild verify: needs an environment file (or lock) and an image "
				"reference (see `imgbuild verify --help`)\n");
		return 2;
	}
	*image = a->args[a->n_args - 1];
	if (a->n_args == 1)
		return 0;
	if (!a->build.lock_path && looks_like_lock(a->args[0]))
		a->build.lock_path = a->args[0];
	else
		a->build.env_path = a->args[0];
	return 0;
}

static void print_diff(const verify_diff_t *d)
{
	switch (d->what) {
	case VERIFY_PLATFORM_MISSING:
		printf("  platform %s: not in the image\n", d->platform);
		break;
	case VERIFY_PKG_MISSING:
		printf("  %s %s: planned (layer %s), not in the image\n", d->name, d->planned,
		       d->group);
		break;
	case VERIFY_PKG_EXTRA:
		printf("  %s %s: in the image (layer %s), not planned\n", d->name, d->image,
		       d->group);
		break;
	case VERIFY_PKG_CHANGED:
		printf("  %s: %s %s planned, %s in the image\n", d->name, d->field, d->planned,
		       d->image);
		break;
	case VERIFY_PKG_MOVED:
		printf("  %s: planned in layer %s, in layer %s in the image\n", d->name, d->planned,
		       d->image);
		break;
	case VERIFY_LAYER_MISSING:
		printf("  layer %s: planned, not in the image\n", d->name);
		break;
	case VERIFY_LAYER_EXTRA: printf("  layer %s: in the image, not planned\n", d->name); break;
	case VERIFY_LAYER_DIGEST:
		printf("  layer %s: digest %s planned (the layer cache's), %s in the image\n",
		       d->name, d->planned, d->image);
		break;
	}
}

static void print_text(const image_verify_t *v, const image_info_t *img, const char *spec)
{
	for (size_t i = 0; i < image_verify_platform_count(v); i++) {
		const verify_platform_t *p = image_verify_platform_get(v, i);
		size_t n = 0;
		for (size_t k = 0; k < image_verify_count(v); k++)
			n += !strcmp(image_verify_diff(v, k)->platform, p->platform);
		printf("platform %s: %zu packages in %zu layers planned, %zu layer digests "
		       "compared: %s\n",
		       p->platform, p->n_packages, p->n_layers, p->n_digests_compared,
		       n ? "DIFFERS" : "matches");
		for (size_t k = 0; k < image_verify_count(v); k++)
			if (!strcmp(image_verify_diff(v, k)->platform, p->platform))
				print_diff(image_verify_diff(v, k));
	}
	if (image_verify_matches(v))
		printf("%s matches %s\n", image_info_where(img), spec);
	else
		printf("%s does not match %s: %zu difference%s\n", image_info_where(img), spec,
		       image_verify_count(v), image_verify_count(v) == 1 ? "" : "s");
}

static void print_json(const image_verify_t *v, const image_info_t *img, const char *spec)
{
	json_t *plats = json_array(), *diffs = json_array();
	for (size_t i = 0; i < image_verify_platform_count(v); i++) {
		const verify_platform_t *p = image_verify_platform_get(v, i);
		json_array_append_new(plats,
				      json_pack("{s:s, s:s?, s:I, s:I, s:I}", "platform",
						p->platform, "manifest", p->manifest, "packages",
						(json_int_t)p->n_packages, "layers",
						(json_int_t)p->n_layers, "layer_digests_compared",
						(json_int_t)p->n_digests_compared));
	}
	for (size_t k = 0; k < image_verify_count(v); k++) {
		const verify_diff_t *d = image_verify_diff(v, k);
		json_array_append_new(diffs, json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}",
						       "kind", image_verify_what_name(d->what),
						       "platform", d->platform, "name", d->name,
						       "field", d->field, "planned", d->planned,
						       "image", d->image, "layer", d->group));
	}
	json_t *doc =
		json_pack("{s:b, s:s, s:s, s:s, s:o, s:o}", "matches", image_verify_matches(v),
			  "image", image_info_where(img), "digest", image_info_digest(img), "spec",
			  spec, "platforms", plats, "differences", diffs);
	json_dumpf(doc, stdout, JSON_SORT_KEYS | JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(doc);
}

/* Reads the image, then plans and compares every platform of the context. 0 or -1. */
static int run(ctx_t *ctx, const char *image, image_info_t **img, image_verify_t **v, err_t *err)
{
	if (!(*img = image_info_open(ctx, image, NULL, err)))
		return -1;
	*v = image_verify_new(*img);
	for (size_t i = 0; i < ctx_platform_count(ctx); i++)
		if (image_verify_platform(*v, ctx, i, err)) {
			if (ctx_platform_count(ctx) > 1)
				err_prefix(err, "%s", ctx_platform(ctx, i)->name);
			return -1;
		}
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	cli_args_t a;
	err_t err = ERR_INIT;
	ctx_t *ctx = NULL;
	image_info_t *img = NULL;
	image_verify_t *v = NULL;
	const char *image = NULL;
	int rc = cli_parse(CMD_VERIFY, usage, argc, argv, &a);
	if (rc == 0)
		rc = take_args(&a, &image);
	if (rc) {
		rc = rc == 1 ? 0 : 2;
		goto out;
	}
	if (!(ctx = ctx_new(&a.build, CTX_SOLVE | CTX_LAYERS, cli_log, NULL, &err)) ||
	    run(ctx, image, &img, &v, &err)) {
		cli_fail(&err);
		rc = 2;
		goto out;
	}
	const char *spec = a.build.lock_path ? a.build.lock_path : a.build.env_path;
	if (a.format && !strcmp(a.format, "json"))
		print_json(v, img, spec);
	else
		print_text(v, img, spec);
	rc = image_verify_matches(v) ? 0 : 1;
out:
	image_verify_free(v);
	image_info_free(img);
	ctx_free(ctx);
	err_clear(&err);
	cli_args_free(&a);
	return rc;
}
