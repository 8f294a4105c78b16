/* overlap.h — paths that packages in two different layers of one plan both install. Inside
 * one layer that is an error (layer_build); across layers the image silently shows the later
 * layer's copy (overlay filesystems stack layers), so the earlier package's file is shadowed.
 * This reports each such path through the log callback, naming both packages. */
#ifndef IMGBUILD_OVERLAP_H
#define IMGBUILD_OVERLAP_H

#include "group.h"
#include "log.h"
#include "pkgrec.h"

/* At most this many paths are named; the rest are counted in one last line. */
#define OVERLAP_MAX_REPORTED 20

/* stages[i] is the staging tree of pkgs[i] (pkgs is the array the plan indexes). Trees that
 * do not exist (their layer came from a cache) or cannot be read are skipped: this is a
 * warning, never an error, and layer_build reports unreadable trees. The trees must still be
 * whole: after the layers only when they were built without layer_opts.consume_sources (the
 * pipeline calls it once every layer is written). */
void overlap_warn(const plan_t *plan, const char *const *stages, const pkgrec_t *const *pkgs,
		  log_fn log, void *ud);

/* The same over the paths of the layers written with lstream (paths[g] for plan group g, NULL
 * for a layer that came from a cache). */
struct layer_paths;
void overlap_warn_layers(const plan_t *plan, struct layer_paths *const *paths,
			 const pkgrec_t *const *pkgs, log_fn log, void *ud);

#endif
