/* sbom_attach.c — the SBOM and provenance of one built image, attached to its manifest (see
 * sbom_attach.h). Both documents are deterministic (docs/sbom.md), so a rebuild attaches the
 * same artifact manifests. */
#include "sbom_attach.h"

#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "provenance.h"
#include "referrers.h"

#include "sbom.h"
#include "sbom_cache.h"
#include "xalloc.h"

void attach_resolve_defaults(build_opts_t *o, int is_local_output)
{
	if (o->sbom_format < 0)
		o->sbom_format = is_local_output ? SBOM_NONE : SBOM_SPDX;
	if (o->provenance < 0)
		o->provenance = is_local_output ? PROVENANCE_NONE : PROVENANCE_SLSA;
}

static int attach_sbom(const attach_input_t *in, sbom_format_t f, const oci_desc_t *subject,
		       err_t *err)
{
	char digest[DIGEST_OCI_MAX];
	size_t n = 0;
	void *ud;
	log_fn log = ctx_log_fn(in->ctx, &ud);
	sbom_layer_t *layers = sbom_layers_from_plan(in->plan, in->pkgs, in->layer_digests, &n);
	/* a reused layer's SBOM is made from the records stored with it (issue 15) */
	sbom_cache_use_t *use = sbom_cache_apply(in->lcache, layers, n, log, ud);
	sbom_image_t img = {ctx_name(in->ctx), subject->digest, ctx_opts(in->ctx)->layer.mtime,
			    layers, n};
	int rc = sbom_attach(in->out, &img, f, subject, digest, err);
	sbom_layers_free(layers, n);
	sbom_cache_use_free(use);
	return rc;
}

/* The file's name without its directory (the same inputs built elsewhere give the same
 * statement) and the sha256 of its bytes. */
static int input_file(const char *path, provenance_file_t *f, char hex[DIGEST_HEX_MAX], err_t *err)
{
	const char *slash = strrchr(path, '/');
	f->name = slash ? slash + 1 : path;
	f->sha256 = hex;
	return digest_file_hex(DIGEST_SHA256, path, hex, err);
}

static int attach_provenance(const attach_input_t *in, const oci_desc_t *subject, err_t *err)
{
	const build_opts_t *o = ctx_opts(in->ctx);
	char env_hex[DIGEST_HEX_MAX], lock_hex[DIGEST_HEX_MAX], recipe_hex[DIGEST_HEX_MAX];
	char digest[DIGEST_OCI_MAX];
	provenance_file_t env, lock;
	size_t n = ctx_channel_count(in->ctx), len;
	const char **chans = xcalloc(n ? n : 1, sizeof *chans);
	buf_t doc = BUF_INIT;
	int rc = -1;
	provenance_input_t p = {.name = ctx_name(in->ctx),
				.manifest_digest = subject->digest,
				.channels = chans,
				.n_channels = n,
				.platform = ctx_platform(in->ctx, in->platform)->name,
				.prefix = ctx_prefix(in->ctx),
				.source_date_epoch = o->layer.mtime,
				.pkgs = in->pkgs,
				.n_pkgs = in->n_pkgs};
	for (size_t i = 0; i < n; i++)
		chans[i] = ctx_channel(in->ctx, i);
	if (o->recipe_path) {
		if (input_file(o->recipe_path, &p.recipe, recipe_hex, err))
			goto out;
	} else {
		const char *data = pipeline_default_recipe(&len);
		digest_buf_hex(DIGEST_SHA256, data, len, recipe_hex);
		p.recipe = (provenance_file_t){"(built-in default.yaml)", recipe_hex};
	}
	if ((o->env_path && input_file(o->env_path, &env, env_hex, err)) ||
	    (o->lock_path && input_file(o->lock_path, &lock, lock_hex, err)))
		goto out;
	p.env_file = o->env_path ? &env : NULL;
	p.lock = o->lock_path ? &lock : NULL;
	if (provenance_write(&p, &doc, err))
		goto out;
	oci_artifact_part_t part = {.media_type = PROVENANCE_MT, .data = doc.data, .len = doc.len};
	rc = oci_referrers_attach(in->out, subject, PROVENANCE_MT, &part, 1, digest, err);
out:
	free(chans);
	buf_free(&doc);
	return rc;
}

int attach_image_artifacts(const attach_input_t *in, const oci_desc_t *subject, err_t *err)
{
	const build_opts_t *o = ctx_opts(in->ctx);
	if (o->sbom_format > 0 && attach_sbom(in, (sbom_format_t)o->sbom_format, subject, err))
		return -1;
	if (o->provenance > 0 && attach_provenance(in, subject, err))
		return -1;
	return 0;
}
