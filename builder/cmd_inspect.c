/* cmd_inspect.c — `imgbuild inspect REF|oci:DIR[:TAG] [--format text|json] [--platform P]`:
 * the image's layers (group, size, digest) and each layer's packages, read from the SBOM
 * attached as an OCI 1.1 referrer (builder/image_info.c), never from the layer blobs; one
 * section per platform. Exit 0, or 2 when the image cannot be read (docs/sbom.md). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "cmd_inspect.h"
#include "context.h"
#include "image_info.h"
#include "options.h"

static const char usage[] = "usage: imgbuild inspect REGISTRY/REPO[:TAG|@DIGEST]|oci:DIR[:TAG] "
			    "[options]\n";

json_t *cmd_inspect_pkg_json(const image_pkg_t *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", p->name, "version", p->version,
			 "build", p->build, "channel", p->channel, "kind", p->kind);
}

static json_t *layer_json(const image_layer_t *l)
{
	json_t *pkgs = json_array();
	for (size_t k = 0; k < l->n_pkgs; k++)
		json_array_append_new(pkgs, cmd_inspect_pkg_json(&l->pkgs[k]));
	return json_pack("{s:s, s:s, s:s, s:I, s:o}", "group", l->group, "digest", l->digest,
			 "mediaType", l->media_type, "size", (json_int_t)l->size, "packages", pkgs);
}

static void print_json(const image_info_t *info)
{
	json_t *plats = json_array();
	for (size_t i = 0; i < image_info_count(info); i++) {
		const image_platform_t *p = image_info_platform(info, i);
		json_t *layers = json_array();
		for (size_t j = 0; j < p->n_layers; j++)
			json_array_append_new(layers, layer_json(&p->layers[j]));
		json_array_append_new(plats, json_pack("{s:s, s:s, s:s?, s:o}", "platform",
						       p->platform, "manifest", p->manifest_digest,
						       "sbom", p->sbom, "layers", layers));
	}
	json_t *doc = json_pack("{s:s, s:s, s:o}", "image", image_info_where(info), "digest",
				image_info_digest(info), "platforms", plats);
	json_dumpf(doc, stdout, JSON_SORT_KEYS | JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(doc);
}

void cmd_inspect_pkg_line(const char *mark, const image_pkg_t *p)
{
	printf("    %s%s %s %s %s%s%s\n", mark, p->name, p->version, p->build, p->kind,
	       *p->channel ? " " : "", p->channel);
}

static void print_text(const image_info_t *info)
{
	char size[32];
	printf("image %s  %s\n", image_info_where(info), image_info_digest(info));
	for (size_t i = 0; i < image_info_count(info); i++) {
		const image_platform_t *p = image_info_platform(info, i);
		printf("\nplatform %s  manifest %s\n", p->platform, p->manifest_digest);
		if (!p->sbom)
			printf("  (no SBOM attached: groups from the config's history, packages "
			       "unknown)\n");
		for (size_t j = 0; j < p->n_layers; j++) {
			const image_layer_t *l = &p->layers[j];
			cli_human_size(l->size, size, sizeof size);
			printf("  layer %zu  %-12s %9s  %s  (%zu packages)\n", j + 1, l->group,
			       size, l->digest, l->n_pkgs);
			for (size_t k = 0; k < l->n_pkgs; k++)
				cmd_inspect_pkg_line("", &l->pkgs[k]);
		}
	}
}

int cmd_inspect_args(cmd_bit_t cmd, const char *use, size_t n_refs, int argc, char **argv,
		     cli_args_t *a)
{
	int rc = cli_parse(cmd, use, argc, argv, a);
	if (rc)
		return rc;
	if (a->n_args != n_refs) {
		fprintf(stderr,
			"imgbuild %s: needs %zu image reference%s (see `imgbuild %s --help`)\n",
			cmd_bit_name(cmd), n_refs, n_refs > 1 ? "s" : "", cmd_bit_name(cmd));
		return 2;
	}
	if (a->n_platforms > 1) {
		fprintf(stderr, "imgbuild %s: --platform takes one OS/ARCH\n", cmd_bit_name(cmd));
		return 2;
	}
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	cli_args_t a;
	err_t err = ERR_INIT;
	ctx_t *ctx = NULL;
	image_info_t *info = NULL;
	int rc = cmd_inspect_args(CMD_INSPECT, usage, 1, argc, argv, &a);
	if (rc) {
		rc = rc == 1 ? 0 : 2;
		goto out;
	}
	if (!(ctx = ctx_new(&a.build, 0, cli_log, NULL, &err)) ||
	    !(info = image_info_open(ctx, a.args[0], a.n_platforms ? a.platforms[0] : NULL,
				     &err))) {
		cli_fail(&err);
		rc = 2;
		goto out;
	}
	if (a.format && !strcmp(a.format, "json"))
		print_json(info);
	else
		print_text(info);
out:
	image_info_free(info);
	ctx_free(ctx);
	err_clear(&err);
	cli_args_free(&a);
	return rc;
}
