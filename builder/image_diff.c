/* image_diff.c — the comparison of two images read by image_info.c (`imgbuild diff`).
 * Platforms pair up by name ("linux/amd64"; two single-platform images pair whatever they
 * are), layers by group (the n-th layer of a group with the n-th of the same group on the
 * other side, so a base image's layers pair in order), packages by name. Output order: A's
 * layers in manifest order, then B's unpaired ones; packages sorted by name. */
#include <stdlib.h>
#include <string.h>

#include "image_info.h"
#include "xalloc.h"

struct image_diff {
	image_platform_diff_t *plats;
	size_t n_plats;
	int is_same;
};

static int pkg_same(const image_pkg_t *a, const image_pkg_t *b)
{
	return !strcmp(a->version, b->version) && !strcmp(a->build, b->build) &&
	       !strcmp(a->kind, b->kind);
}

static void add_pkg_diff(image_layer_diff_t *ld, image_change_t c, const image_pkg_t *a,
			 const image_pkg_t *b)
{
	ld->pkgs = xrealloc(ld->pkgs, (ld->n_pkgs + 1) * sizeof *ld->pkgs);
	ld->pkgs[ld->n_pkgs++] = (image_pkg_diff_t){c, a, b};
}

/* Merges the two sorted package lists (either side may be NULL: an added/removed layer). */
static void diff_packages(image_layer_diff_t *ld)
{
	size_t i = 0, j = 0;
	size_t na = ld->a ? ld->a->n_pkgs : 0, nb = ld->b ? ld->b->n_pkgs : 0;
	while (i < na || j < nb) {
		const image_pkg_t *a = i < na ? &ld->a->pkgs[i] : NULL;
		const image_pkg_t *b = j < nb ? &ld->b->pkgs[j] : NULL;
		int c = !a ? 1 : !b ? -1 : strcmp(a->name, b->name);
		if (c < 0) {
			add_pkg_diff(ld, IMAGE_REMOVED, a, NULL);
			i++;
		} else if (c > 0) {
			add_pkg_diff(ld, IMAGE_ADDED, NULL, b);
			j++;
		} else {
			if (!pkg_same(a, b))
				add_pkg_diff(ld, IMAGE_CHANGED, a, b);
			i++;
			j++;
		}
	}
}

/* How many layers of layer k's group come before it in p. */
static size_t group_rank(const image_platform_t *p, size_t k)
{
	size_t rank = 0;
	for (size_t i = 0; i < k; i++)
		rank += !strcmp(p->layers[i].group, p->layers[k].group);
	return rank;
}

/* p's rank-th layer of group (its index into *index), or NULL. */
static const image_layer_t *partner(const image_platform_t *p, const char *group, size_t rank,
				    size_t *index)
{
	for (size_t i = 0; i < p->n_layers; i++)
		if (!strcmp(p->layers[i].group, group) && rank-- == 0) {
			*index = i;
			return &p->layers[i];
		}
	return NULL;
}

static void add_layer_diff(image_platform_diff_t *pd, const image_layer_t *a,
			   const image_layer_t *b)
{
	pd->layers = xrealloc(pd->layers, (pd->n_layers + 1) * sizeof *pd->layers);
	image_layer_diff_t *ld = &pd->layers[pd->n_layers++];
	memset(ld, 0, sizeof *ld);
	ld->a = a;
	ld->b = b;
	ld->change = !a                             ? IMAGE_ADDED
		     : !b                           ? IMAGE_REMOVED
		     : strcmp(a->digest, b->digest) ? IMAGE_CHANGED
						    : IMAGE_SAME;
	if (ld->change != IMAGE_SAME)
		diff_packages(ld);
}

static void diff_platform(image_platform_diff_t *pd)
{
	const image_platform_t *a = pd->a, *b = pd->b;
	size_t nb = b ? b->n_layers : 0, idx = 0;
	char *taken = xcalloc(nb + 1, 1);
	for (size_t i = 0; a && i < a->n_layers; i++) {
		const image_layer_t *m =
			b ? partner(b, a->layers[i].group, group_rank(a, i), &idx) : NULL;
		if (m)
			taken[idx] = 1;
		add_layer_diff(pd, &a->layers[i], m);
	}
	for (size_t j = 0; j < nb; j++)
		if (!taken[j])
			add_layer_diff(pd, NULL, &b->layers[j]);
	free(taken);
	pd->change = !a                                               ? IMAGE_ADDED
		     : !b                                             ? IMAGE_REMOVED
		     : strcmp(a->manifest_digest, b->manifest_digest) ? IMAGE_CHANGED
								      : IMAGE_SAME;
}

static const image_platform_t *platform_named(const image_info_t *info, const char *name)
{
	for (size_t i = 0; i < image_info_count(info); i++)
		if (!strcmp(image_info_platform(info, i)->platform, name))
			return image_info_platform(info, i);
	return NULL;
}

static void add_platform_diff(image_diff_t *d, const image_platform_t *a, const image_platform_t *b)
{
	d->plats = xrealloc(d->plats, (d->n_plats + 1) * sizeof *d->plats);
	image_platform_diff_t *pd = &d->plats[d->n_plats++];
	memset(pd, 0, sizeof *pd);
	pd->a = a;
	pd->b = b;
	diff_platform(pd);
	if (pd->change != IMAGE_SAME)
		d->is_same = 0;
}

image_diff_t *image_diff_new(const image_info_t *a, const image_info_t *b)
{
	image_diff_t *d = xcalloc(1, sizeof *d);
	size_t na = image_info_count(a), nb = image_info_count(b);
	d->is_same = 1;
	if (na == 1 && nb == 1) {
		add_platform_diff(d, image_info_platform(a, 0), image_info_platform(b, 0));
		return d;
	}
	for (size_t i = 0; i < na; i++) {
		const image_platform_t *pa = image_info_platform(a, i);
		add_platform_diff(d, pa, platform_named(b, pa->platform));
	}
	for (size_t j = 0; j < nb; j++) {
		const image_platform_t *pb = image_info_platform(b, j);
		if (!platform_named(a, pb->platform))
			add_platform_diff(d, NULL, pb);
	}
	return d;
}

void image_diff_free(image_diff_t *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_plats; i++) {
		for (size_t j = 0; j < d->plats[i].n_layers; j++)
			free(d->plats[i].layers[j].pkgs);
		free(d->plats[i].layers);
	}
	free(d->plats);
	free(d);
}

int image_diff_is_same(const image_diff_t *d)
{
	return d->is_same;
}

size_t image_diff_count(const image_diff_t *d)
{
	return d->n_plats;
}

const image_platform_diff_t *image_diff_platform(const image_diff_t *d, size_t i)
{
	return i < d->n_plats ? &d->plats[i] : NULL;
}
