/* overlap.c — the cross-layer path check (see overlap.h). All trees are listed together and
 * sorted by path (tree.c), so paths held by several packages sit side by side; the
 * directories that every package shares (lib/, bin/) are not overlaps. */
#include "overlap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "lstream.h"
#include "tree_int.h"
#include "xalloc.h"

typedef struct owner_map {
	size_t *layer_of; /* per package index: its plan group */
	size_t n;
} owner_map_t;

static size_t plan_pkg_count(const plan_t *plan)
{
	size_t n = 0;
	for (size_t g = 0; g < plan_group_count(plan); g++)
		for (size_t j = 0; j < plan_group_size(plan, g); j++)
			if (plan_group_pkg(plan, g, j) + 1 > n)
				n = plan_group_pkg(plan, g, j) + 1;
	return n;
}

/* Lists every present tree, its entries tagged with the package index. */
static void list_trees(const plan_t *plan, const char *const *stages, tree_t *t, owner_map_t *m)
{
	m->n = plan_pkg_count(plan);
	m->layer_of = xcalloc(m->n ? m->n : 1, sizeof *m->layer_of);
	for (size_t g = 0; g < plan_group_count(plan); g++) {
		for (size_t j = 0; j < plan_group_size(plan, g); j++) {
			size_t i = plan_group_pkg(plan, g, j);
			err_t ignored = ERR_INIT;
			m->layer_of[i] = g;
			if (stages && stages[i] && fs_is_dir(stages[i]))
				(void)tree_add_stage(t, stages[i], i, &ignored);
			err_clear(&ignored);
		}
	}
	if (t->n)
		tree_sort(t);
}

/* The run t->v[first..end) holds one path: warns for every package whose copy a later layer
 * hides. Returns the number of warnings it would give (logged while *budget lasts). */
static size_t report_run(const tree_t *t, size_t first, size_t end, const owner_map_t *m,
			 const plan_t *plan, const pkgrec_t *const *pkgs, log_fn log, void *ud,
			 size_t *budget)
{
	size_t top = first, n = 0;
	for (size_t k = first; k < end; k++)
		if (m->layer_of[t->v[k].stage] > m->layer_of[t->v[top].stage])
			top = k;
	const tree_entry_t *w = &t->v[top];
	for (size_t k = first; k < end; k++) {
		const tree_entry_t *e = &t->v[k];
		if (m->layer_of[e->stage] == m->layer_of[w->stage] ||
		    (S_ISDIR(e->mode) && S_ISDIR(w->mode)))
			continue;
		n++;
		if (*budget == 0)
			continue;
		(*budget)--;
		char *hidden = pkgrec_dist(pkgs[e->stage]), *shown = pkgrec_dist(pkgs[w->stage]);
		log_msgf(log, ud,
			 "warning: %s is installed by both %s (layer %s) and %s (layer %s); the "
			 "image has %s's copy (the later layer wins)",
			 e->rel, hidden, plan_group_name(plan, m->layer_of[e->stage]), shown,
			 plan_group_name(plan, m->layer_of[w->stage]), shown);
		free(hidden);
		free(shown);
	}
	return n;
}

static void report_all(const tree_t *tt, const owner_map_t *mm, const plan_t *plan,
		       const pkgrec_t *const *pkgs, log_fn log, void *ud)
{
	const tree_t t = *tt;
	const owner_map_t m = *mm;
	size_t budget = OVERLAP_MAX_REPORTED, total = 0;
	for (size_t first = 0, end; first < t.n; first = end) {
		for (end = first + 1; end < t.n && !strcmp(t.v[end].rel, t.v[first].rel); end++)
			;
		if (end - first > 1)
			total += report_run(&t, first, end, &m, plan, pkgs, log, ud, &budget);
	}
	if (total > OVERLAP_MAX_REPORTED)
		log_msgf(log, ud,
			 "warning: ... and %zu more paths installed by packages in two layers",
			 total - OVERLAP_MAX_REPORTED);
}

void overlap_warn(const plan_t *plan, const char *const *stages, const pkgrec_t *const *pkgs,
		  log_fn log, void *ud)
{
	tree_t t = {0};
	owner_map_t m = {0};
	if (!log)
		return;
	list_trees(plan, stages, &t, &m);
	report_all(&t, &m, plan, pkgs, log, ud);
	tree_free(&t);
	free(m.layer_of);
}

void overlap_warn_layers(const plan_t *plan, layer_paths_t *const *paths,
			 const pkgrec_t *const *pkgs, log_fn log, void *ud)
{
	tree_t t = {0};
	owner_map_t m = {0};
	size_t n = 0;
	if (!log)
		return;
	list_trees(plan, NULL, &t, &m); /* the owner map only */
	for (size_t g = 0; g < plan_group_count(plan); g++)
		n += paths[g] ? layer_paths_tree(paths[g])->n : 0;
	t.v = xcalloc(n ? n : 1, sizeof *t.v);
	for (size_t g = 0; g < plan_group_count(plan); g++)
		for (size_t k = 0; paths[g] && k < layer_paths_tree(paths[g])->n; k++)
			t.v[t.n++] = layer_paths_tree(paths[g])->v[k]; /* borrowed names */
	tree_sort(&t);
	report_all(&t, &m, plan, pkgs, log, ud);
	free(t.v);
	free(m.layer_of);
}
