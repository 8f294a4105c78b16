/* image_verify.c — `imgbuild verify`'s comparison (see image_verify.h). The planned side is
 * made as builder/plan_report.c makes `plan`'s (ctx_packages, plan_new, lcache_stage_keys) and
 * shaped as the image side is (an image_platform_t whose image_pkg_t read build, channel and
 * subdir from the record's own purl, sbom_purl, as an SBOM reads back), so one comparison,
 * image_verify_compare, sees two alike platforms. Packages pair by name, layers by group;
 * differences come in a fixed order: platform, then layers in plan order, then packages by
 * name (docs/sbom.md, "Checking an image: verify"). */
#include "image_verify.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "group.h"
#include "lcache_stage.h"
#include "sbom.h"
#include "solve.h"
#include "xalloc.h"

/* A package and the layer group that holds (or is to hold) it. */
typedef struct entry {
	const image_pkg_t *pkg;
	const char *group;
} entry_t;

/* The planned side of one platform: its layers as an image_platform_t (digest "" where the
 * layer cache does not know it), which own their package arrays. */
typedef struct want {
	image_platform_t plat;
	image_layer_t *layers;
} want_t;

struct image_verify {
	const image_info_t *img;
	verify_diff_t *diffs;
	size_t n_diffs;
	verify_platform_t *plats;
	size_t n_plats;
	char **strs; /* every string the diffs own */
	size_t n_strs;
};

static const char *keep(image_verify_t *v, const char *s)
{
	v->strs = xrealloc(v->strs, (v->n_strs + 1) * sizeof *v->strs);
	return v->strs[v->n_strs++] = xstrdup(s ? s : "");
}

static const char *keepf(image_verify_t *v, const char *a, const char *b)
{
	buf_t s = BUF_INIT;
	buf_addf(&s, "%s%s%s", a, *b ? " " : "", b);
	const char *out = keep(v, s.data);
	buf_free(&s);
	return out;
}

static void add_diff(image_verify_t *v, verify_what_t what, const char *plat, const char *name,
		     const char *field, const char *planned, const char *image, const char *group)
{
	v->diffs = xrealloc(v->diffs, (v->n_diffs + 1) * sizeof *v->diffs);
	v->diffs[v->n_diffs++] = (verify_diff_t){what, plat, name, field, planned, image, group};
}

/* ---- the planned side ------------------------------------------------------------------ */

/* The package record r reads back to from imgbuild's SBOM: its purl's qualifiers. */
static image_pkg_t planned_pkg(image_verify_t *v, const pkgrec_t *r)
{
	char *purl = sbom_purl(r);
	buf_t q = BUF_INIT;
	image_pkg_t p = {.name = keep(v, r->name), .version = keep(v, r->version)};
	image_purl_qualifier(purl, "build", &q);
	p.build = keep(v, q.data);
	image_purl_qualifier(purl, "channel", &q);
	p.channel = keep(v, q.data);
	image_purl_qualifier(purl, "subdir", &q);
	p.subdir = keep(v, q.data);
	p.sha256 = keep(v, r->sha256);
	p.kind = group_is_pip(r) ? "pip" : "conda";
	buf_free(&q);
	free(purl);
	return p;
}

static int entry_cmp(const void *a, const void *b)
{
	const entry_t *x = a, *y = b;
	int c = strcmp(x->pkg->name, y->pkg->name);
	return c ? c : strcmp(x->group, y->group);
}

/* want's layers and packages from the plan; a group's digest from the local layer cache. */
static void fill_want(image_verify_t *v, want_t *w, const plan_t *plan, const pkgrec_t *const *pkgs,
		      lcache_stage_t *s)
{
	size_t n = plan_group_count(plan);
	w->layers = xcalloc(n ? n : 1, sizeof *w->layers);
	for (size_t g = 0; g < n; g++) {
		image_layer_t *l = &w->layers[g];
		size_t m = plan_group_size(plan, g);
		image_pkg_t *lp = xcalloc(m ? m : 1, sizeof *lp);
		layer_desc_t d;
		l->group = keep(v, plan_group_name(plan, g));
		l->digest = keep(v, lcache_stage_peek(s, g, &d) ? d.digest : "");
		l->media_type = "";
		for (size_t j = 0; j < m; j++)
			lp[j] = planned_pkg(v, pkgs[plan_group_pkg(plan, g, j)]);
		l->pkgs = lp;
		l->n_pkgs = m;
	}
	w->plat.layers = w->layers;
	w->plat.n_layers = n;
}

/* Platform i's package set, plan and layer keys, exactly as the build gets them. */
static int plan_platform(image_verify_t *v, ctx_t *ctx, size_t i, want_t *w, err_t *err)
{
	const build_opts_t *opts = ctx_opts(ctx);
	solution_t *sol = NULL;
	plan_t *plan = NULL;
	lcache_stage_t *s = NULL;
	const pkgrec_t **pkgs = NULL;
	char *python = NULL;
	void *ud;
	log_fn log = ctx_log_fn(ctx, &ud);
	size_t n = 0;
	int rc = -1;
	if (ctx_packages(ctx, i, &sol, NULL, err))
		goto out;
	python = solution_python_version(sol);
	n = solution_count(sol);
	pkgs = xcalloc(n ? n : 1, sizeof *pkgs);
	for (size_t k = 0; k < n; k++)
		pkgs[k] = solution_get(sol, k);
	if (!(plan = plan_new(ctx_recipe(ctx), pkgs, n, err)) ||
	    !(s = lcache_stage_new(ctx_cache_dir(ctx), &opts->layer, ctx_prefix(ctx), python, err)))
		goto out;
	lcache_stage_keys(s, plan, pkgs, log, ud);
	fill_want(v, w, plan, pkgs, s);
	rc = 0;
out:
	lcache_stage_free(s);
	plan_free(plan);
	free(pkgs);
	free(python);
	solution_free(sol);
	return rc;
}

static void want_free(want_t *w)
{
	for (size_t g = 0; g < w->plat.n_layers; g++)
		free((void *)w->layers[g].pkgs);
	free(w->layers);
}

/* ---- the comparison -------------------------------------------------------------------- */

static int is_outside_plan(const char *group)
{
	return !strcmp(group, "base") || !strcmp(group, "rootfs");
}

/* Planned groups against the image's layers: the first unpaired layer of the same group. */
static void compare_layers(image_verify_t *v, const char *plat, const image_platform_t *w,
			   const image_platform_t *p, verify_platform_t *sum)
{
	char *taken = xcalloc(p->n_layers + 1, 1);
	for (size_t g = 0; g < w->n_layers; g++) {
		const image_layer_t *wl = &w->layers[g];
		size_t j = 0;
		while (j < p->n_layers && (taken[j] || strcmp(p->layers[j].group, wl->group)))
			j++;
		if (j == p->n_layers) {
			add_diff(v, VERIFY_LAYER_MISSING, plat, wl->group, NULL, NULL, NULL, NULL);
			continue;
		}
		taken[j] = 1;
		if (!*wl->digest)
			continue;
		sum->n_digests_compared++;
		if (strcmp(wl->digest, p->layers[j].digest))
			add_diff(v, VERIFY_LAYER_DIGEST, plat, wl->group, "digest", wl->digest,
				 p->layers[j].digest, NULL);
	}
	for (size_t j = 0; j < p->n_layers; j++)
		if (!taken[j] && !is_outside_plan(p->layers[j].group))
			add_diff(v, VERIFY_LAYER_EXTRA, plat, p->layers[j].group, NULL, NULL, NULL,
				 NULL);
	free(taken);
}

/* Every field of a package in both: CHANGED for each that differs (sha256 only where both
 * sides know it), MOVED when it is in another layer. */
static void compare_pkg(image_verify_t *v, const char *plat, const entry_t *w, const entry_t *h)
{
	static const char *const fields[] = {"version", "build",  "channel",
					     "subdir",  "sha256", "kind"};
	const image_pkg_t *a = w->pkg, *b = h->pkg;
	const char *va[] = {a->version, a->build, a->channel, a->subdir, a->sha256, a->kind};
	const char *vb[] = {b->version, b->build, b->channel, b->subdir, b->sha256, b->kind};
	for (size_t f = 0; f < sizeof fields / sizeof *fields; f++) {
		if (!strcmp(fields[f], "sha256") && (!*va[f] || !*vb[f]))
			continue;
		if (strcmp(va[f], vb[f]))
			add_diff(v, VERIFY_PKG_CHANGED, plat, a->name, fields[f], va[f], vb[f],
				 NULL);
	}
	if (strcmp(w->group, h->group))
		add_diff(v, VERIFY_PKG_MOVED, plat, a->name, "layer", w->group, h->group, NULL);
}

/* The image's packages (every layer's), sorted by name. Caller frees. */
static entry_t *image_entries(const image_platform_t *p, size_t *n)
{
	size_t total = 0, k = 0;
	for (size_t j = 0; j < p->n_layers; j++)
		total += p->layers[j].n_pkgs;
	entry_t *e = xcalloc(total ? total : 1, sizeof *e);
	for (size_t j = 0; j < p->n_layers; j++)
		for (size_t i = 0; i < p->layers[j].n_pkgs; i++)
			e[k++] = (entry_t){&p->layers[j].pkgs[i], p->layers[j].group};
	qsort(e, total, sizeof *e, entry_cmp);
	*n = total;
	return e;
}

/* Merges the two sorted package lists. */
static void compare_pkgs(image_verify_t *v, const char *plat, const image_platform_t *w,
			 const image_platform_t *p)
{
	size_t nw = 0, nh = 0, i = 0, j = 0;
	entry_t *want = image_entries(w, &nw), *have = image_entries(p, &nh);
	while (i < nw || j < nh) {
		const entry_t *a = i < nw ? &want[i] : NULL, *b = j < nh ? &have[j] : NULL;
		int c = !a ? 1 : !b ? -1 : strcmp(a->pkg->name, b->pkg->name);
		if (c < 0)
			add_diff(v, VERIFY_PKG_MISSING, plat, a->pkg->name, NULL,
				 keepf(v, a->pkg->version, a->pkg->build), NULL, a->group);
		else if (c > 0)
			add_diff(v, VERIFY_PKG_EXTRA, plat, b->pkg->name, NULL, NULL,
				 keepf(v, b->pkg->version, b->pkg->build), b->group);
		else
			compare_pkg(v, plat, a, b);
		i += c <= 0;
		j += c >= 0;
	}
	free(want);
	free(have);
}

static const image_platform_t *platform_named(const image_info_t *img, const char *name)
{
	for (size_t k = 0; k < image_info_count(img); k++)
		if (!strcmp(image_info_platform(img, k)->platform, name))
			return image_info_platform(img, k);
	return NULL;
}

void image_verify_compare(image_verify_t *v, const image_platform_t *planned,
			  const image_platform_t *image)
{
	const char *plat = planned->platform;
	v->plats = xrealloc(v->plats, (v->n_plats + 1) * sizeof *v->plats);
	verify_platform_t *sum = &v->plats[v->n_plats++];
	*sum = (verify_platform_t){.platform = plat, .n_layers = planned->n_layers};
	for (size_t g = 0; g < planned->n_layers; g++)
		sum->n_packages += planned->layers[g].n_pkgs;
	if (!image) {
		add_diff(v, VERIFY_PLATFORM_MISSING, plat, NULL, NULL, NULL, NULL, NULL);
		return;
	}
	sum->manifest = image->manifest_digest;
	compare_layers(v, plat, planned, image, sum);
	compare_pkgs(v, plat, planned, image);
}

int image_verify_platform(image_verify_t *v, ctx_t *ctx, size_t i, err_t *err)
{
	want_t w = {.plat.platform = ctx_platform(ctx, i)->name};
	const image_platform_t *p = platform_named(v->img, w.plat.platform);
	if (p && !p->sbom)
		return err_set(err,
			       "%s (%s): no SBOM is attached to its manifest %s, so its packages "
			       "are unknown; verify reads them from the SBOM (build with --sbom "
			       "spdx; a push attaches one by default)",
			       image_info_where(v->img), w.plat.platform, p->manifest_digest);
	if (plan_platform(v, ctx, i, &w, err)) /* also for a platform the image lacks: its count */
		return -1;
	image_verify_compare(v, &w.plat, p);
	want_free(&w);
	return 0;
}

image_verify_t *image_verify_new(const image_info_t *img)
{
	image_verify_t *v = xcalloc(1, sizeof *v);
	v->img = img;
	return v;
}

void image_verify_free(image_verify_t *v)
{
	if (!v)
		return;
	for (size_t k = 0; k < v->n_strs; k++)
		free(v->strs[k]);
	free(v->strs);
	free(v->diffs);
	free(v->plats);
	free(v);
}

int image_verify_matches(const image_verify_t *v)
{
	return v->n_diffs == 0;
}

size_t image_verify_count(const image_verify_t *v)
{
	return v->n_diffs;
}

const verify_diff_t *image_verify_diff(const image_verify_t *v, size_t k)
{
	return k < v->n_diffs ? &v->diffs[k] : NULL;
}

size_t image_verify_platform_count(const image_verify_t *v)
{
	return v->n_plats;
}

const verify_platform_t *image_verify_platform_get(const image_verify_t *v, size_t k)
{
	return k < v->n_plats ? &v->plats[k] : NULL;
}

const char *image_verify_what_name(verify_what_t w)
{
	switch (w) {
	case VERIFY_PLATFORM_MISSING: return "platform-missing";
	case VERIFY_PKG_MISSING: return "package-missing";
	case VERIFY_PKG_EXTRA: return "package-extra";
	case VERIFY_PKG_CHANGED: return "package-changed";
	case VERIFY_PKG_MOVED: return "package-layer";
	case VERIFY_LAYER_MISSING: return "layer-missing";
	case VERIFY_LAYER_EXTRA: return "layer-extra";
	case VERIFY_LAYER_DIGEST: return "layer-digest";
	}
	return "?";
}
