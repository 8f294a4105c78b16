/* sbom_cache.c — package records stored with cached layers and the SBOMs made from them (see
 * sbom_cache.h). The layer cache key names every input of a layer's SBOM (docs/layer-format.md,
 * "Layer cache key"), so the stored records describe the build's own packages; they are matched
 * by name, version and build all the same, so a damaged or foreign entry cannot put another
 * package into an SBOM. */
#include "sbom_cache.h"

#include <stdlib.h>
#include <string.h>

#include "cache_records.h"
#include "pkgrec_list.h"
#include "xalloc.h"

struct sbom_cache_use {
	pkgrec_t ***recs; /* per layer: the parsed stored records, or NULL */
	size_t *n_recs;
	size_t n;
};

void sbom_cache_group_records(const plan_t *plan, size_t g, const pkgrec_t *const *pkgs, buf_t *out)
{
	size_t n = plan_group_size(plan, g);
	const pkgrec_t **v = xcalloc(n ? n : 1, sizeof *v);
	for (size_t j = 0; j < n; j++)
		v[j] = pkgs[plan_group_pkg(plan, g, j)];
	pkgrec_list_write(v, n, out);
	free(v);
}

void sbom_cache_take_records(reg_t *r, const char *repo, const oci_cache_layer_t *cl,
			     const char *scratch_dir, lcache_stage_t *ls, size_t g,
			     const char *group, log_fn log, void *ud)
{
	buf_t data = BUF_INIT;
	err_t why = ERR_INIT;
	if (!scratch_dir || !cl->records_digest[0])
		goto out;
	if (oci_cache_records_fetch(r, repo, cl, scratch_dir, &data, &why)) {
		log_msgf(log, ud,
			 "warning: layer %s: its package records (%s) could not be read from the "
			 "registry cache (%s); its SBOM is made from this build's records",
			 group, cl->records_digest, err_msg(&why));
		goto out;
	}
	lcache_stage_set_records(ls, g, data.data, data.len);
out:
	err_clear(&why);
	buf_free(&data);
}

static int same_package(const pkgrec_t *a, const pkgrec_t *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->version, b->version) &&
	       !strcmp(a->build ? a->build : "", b->build ? b->build : "");
}

/* Points layer l's packages at the stored records recs (n of them), each matched by name,
 * version and build; 0, or -1 (nothing changed) when they are not exactly l's packages. */
static int use_records(sbom_layer_t *l, pkgrec_t **recs, size_t n)
{
	const pkgrec_t **pick;
	if (n != l->n_pkgs)
		return -1;
	pick = xcalloc(n ? n : 1, sizeof *pick);
	for (size_t j = 0; j < n; j++) {
		for (size_t k = 0; k < n && !pick[j]; k++)
			if (same_package(l->pkgs[j], recs[k]))
				pick[j] = recs[k];
		if (!pick[j]) {
			free(pick);
			return -1;
		}
	}
	/* sbom_layers_from_plan allocated this array: its entries are ours to replace */
	memcpy((void *)l->pkgs, pick, n * sizeof *pick);
	free(pick);
	return 0;
}

sbom_cache_use_t *sbom_cache_apply(const lcache_stage_t *ls, sbom_layer_t *layers, size_t n,
				   log_fn log, void *ud)
{
	sbom_cache_use_t *u = xcalloc(1, sizeof *u);
	u->n = n;
	u->recs = xcalloc(n ? n : 1, sizeof *u->recs);
	u->n_recs = xcalloc(n ? n : 1, sizeof *u->n_recs);
	for (size_t g = 0; ls && g < n; g++) {
		size_t len = 0;
		const char *data = lcache_stage_records(ls, g, &len);
		err_t why = ERR_INIT;
		if (!data)
			continue;
		if (pkgrec_list_read(data, len, &u->recs[g], &u->n_recs[g], &why) == 0 &&
		    use_records(&layers[g], u->recs[g], u->n_recs[g]) != 0)
			err_set(&why, "they do not name the layer's %zu packages",
				layers[g].n_pkgs);
		if (err_msg(&why)[0])
			log_msgf(log, ud,
				 "warning: layer %s: the package records stored with its cache "
				 "entry "
				 "are not used (%s); its SBOM is made from this build's records",
				 layers[g].group, err_msg(&why));
		err_clear(&why);
	}
	return u;
}

void sbom_cache_use_free(sbom_cache_use_t *u)
{
	if (!u)
		return;
	for (size_t g = 0; g < u->n; g++)
		pkgrec_list_free(u->recs[g], u->n_recs[g]);
	free(u->recs);
	free(u->n_recs);
	free(u);
}
