/* cmd_diff.c — `imgbuild diff A B [--format text|json] [--platform P]`: per platform, each
 * layer shared (same digest) or changed, added or removed, and the packages that were added,
 * removed or changed version/build (builder/image_diff.c), read as `inspect` reads them.
 * Exit 0 when the images are identical, 1 when they differ, 2 on error (as diff(1)). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "cmd_inspect.h"
#include "context.h"
#include "image_info.h"
#include "options.h"

static const char usage[] = "usage: imgbuild diff IMAGE_A IMAGE_B [options]\n"
			    "  each IMAGE is REGISTRY/REPO[:TAG|@DIGEST] or oci:DIR[:TAG]\n";

static const char *change_name(image_change_t c, int is_layer)
{
	switch (c) {
	case IMAGE_SAME: return is_layer ? "shared" : "same";
	case IMAGE_ADDED: return "added";
	case IMAGE_REMOVED: return "removed";
	case IMAGE_CHANGED: return "changed";
	}
	return "?";
}

static json_t *pkg_or_null(const image_pkg_t *p)
{
	return p ? cmd_inspect_pkg_json(p) : json_null();
}

static json_t *layer_json(const image_layer_diff_t *ld)
{
	json_t *pkgs = json_array();
	const image_layer_t *any = ld->a ? ld->a : ld->b;
	for (size_t k = 0; k < ld->n_pkgs; k++) {
		const image_pkg_diff_t *pd = &ld->pkgs[k];
		json_array_append_new(pkgs, json_pack("{s:s, s:s, s:o, s:o}", "change",
						      change_name(pd->change, 0), "name",
						      (pd->a ? pd->a : pd->b)->name, "a",
						      pkg_or_null(pd->a), "b", pkg_or_null(pd->b)));
	}
	return json_pack("{s:s, s:s, s:s?, s:s?, s:o}", "change", change_name(ld->change, 1),
			 "group", any->group, "a", ld->a ? ld->a->digest : NULL, "b",
			 ld->b ? ld->b->digest : NULL, "packages", pkgs);
}

static void print_json(const image_diff_t *d)
{
	json_t *plats = json_array();
	for (size_t i = 0; i < image_diff_count(d); i++) {
		const image_platform_diff_t *pd = image_diff_platform(d, i);
		json_t *layers = json_array();
		for (size_t j = 0; j < pd->n_layers; j++)
			json_array_append_new(layers, layer_json(&pd->layers[j]));
		json_array_append_new(plats, json_pack("{s:s, s:s, s:s?, s:s?, s:o}", "platform",
						       (pd->a ? pd->a : pd->b)->platform, "change",
						       change_name(pd->change, 0), "a",
						       pd->a ? pd->a->manifest_digest : NULL, "b",
						       pd->b ? pd->b->manifest_digest : NULL,
						       "layers", layers));
	}
	json_t *doc =
		json_pack("{s:b, s:o}", "identical", image_diff_is_same(d), "platforms", plats);
	json_dumpf(doc, stdout, JSON_SORT_KEYS | JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(doc);
}

static void print_layer(const image_layer_diff_t *ld)
{
	const image_layer_t *any = ld->a ? ld->a : ld->b;
	if (ld->change == IMAGE_CHANGED)
		printf("  changed  layer %-12s %s -> %s\n", any->group, ld->a->digest,
		       ld->b->digest);
	else
		printf("  %-8s layer %-12s %s\n", change_name(ld->change, 1), any->group,
		       any->digest);
	for (size_t k = 0; k < ld->n_pkgs; k++) {
		const image_pkg_diff_t *pd = &ld->pkgs[k];
		if (pd->change == IMAGE_CHANGED)
			printf("    ~ %s %s %s -> %s %s\n", pd->a->name, pd->a->version,
			       pd->a->build, pd->b->version, pd->b->build);
		else
			cmd_inspect_pkg_line(pd->change == IMAGE_ADDED ? "+ " : "- ",
					     pd->a ? pd->a : pd->b);
	}
}

static void print_text(const image_diff_t *d)
{
	for (size_t i = 0; i < image_diff_count(d); i++) {
		const image_platform_diff_t *pd = image_diff_platform(d, i);
		const image_platform_t *any = pd->a ? pd->a : pd->b;
		printf("%splatform %s: %s\n", i ? "\n" : "", any->platform,
		       pd->change == IMAGE_SAME ? "identical" : change_name(pd->change, 0));
		for (size_t j = 0; pd->change != IMAGE_SAME && j < pd->n_layers; j++)
			print_layer(&pd->layers[j]);
	}
}

int cmd_diff(int argc, char **argv)
{
	cli_args_t a;
	err_t err = ERR_INIT;
	ctx_t *ctx = NULL;
	image_info_t *ia = NULL, *ib = NULL;
	image_diff_t *d = NULL;
	int rc = cmd_inspect_args(CMD_DIFF, usage, 2, argc, argv, &a);
	const char *plat = a.n_platforms ? a.platforms[0] : NULL;
	if (rc) {
		rc = rc == 1 ? 0 : 2;
		goto out;
	}
	if (!(ctx = ctx_new(&a.build, 0, cli_log, NULL, &err)) ||
	    !(ia = image_info_open(ctx, a.args[0], plat, &err)) ||
	    !(ib = image_info_open(ctx, a.args[1], plat, &err))) {
		cli_fail(&err);
		rc = 2;
		goto out;
	}
	d = image_diff_new(ia, ib);
	if (a.format && !strcmp(a.format, "json"))
		print_json(d);
	else
		print_text(d);
	rc = image_diff_is_same(d) ? 0 : 1;
out:
	image_diff_free(d);
	image_info_free(ia);
	image_info_free(ib);
	ctx_free(ctx);
	err_clear(&err);
	cli_args_free(&a);
	return rc;
}
