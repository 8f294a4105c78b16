/* cmd_plan.c — `imgbuild plan ENV.yml [options]`: the layer plan of each platform (groups,
 * packages, estimated sizes, cache keys, "cached locally", "in registry" or "to build")
 * without building. The options and the context are the build's, so the keys are the build's.
 * Parses options, calls plan_report_make per platform, prints. */
#include <stdio.h>

#include "cmd.h"
#include "context.h"
#include "options.h"
#include "plan_report.h"

static const char usage[] =
	"usage: imgbuild plan ENV.yml [options]\n"
	"       imgbuild plan --lock LOCK [ENV.yml] [options]\n"
	"Solves ENV.yml (or reads LOCK) as `imgbuild build` with the same options would, and "
	"prints\n"
	"the layers it would make, without downloading packages: per layer its packages, an\n"
	"estimated size (sum of the packages' compressed archive sizes from repodata), its cache\n"
	"key and whether it is cached locally, in the registry cache (--cache-repo) or must be\n"
	"built. With --lock, archives not yet in the package cache are downloaded: a lock does "
	"not\n"
	"carry the package records the keys hash.\n";

static const char *status_name(plan_status_t s)
{
	switch (s) {
	case PLAN_CACHED_LOCALLY: return "cached locally";
	case PLAN_IN_REGISTRY: return "in registry";
	default: return "to build";
	}
}

static void print_report(const plan_report_t *r, int is_verbose)
{
	char size[32];
	size_t n_cached = 0, n_registry = 0;
	long long to_build = 0;
	printf("%-20s %8s %12s  %-14s  %s\n", "LAYER", "PACKAGES", "EST. SIZE", "STATUS", "KEY");
	for (size_t g = 0; g < r->n_rows; g++) {
		const plan_row_t *row = &r->rows[g];
		cli_human_size(row->est_bytes, size, sizeof size);
		printf("%-20s %8zu %12s  %-14s  %.16s\n", row->group, row->n_packages, size,
		       status_name(row->status), row->key[0] ? row->key : "(not cacheable)");
		for (size_t j = 0; is_verbose && j < row->n_packages; j++)
			printf("    %s\n", row->packages[j]);
		if (row->status == PLAN_TO_BUILD)
			to_build += row->est_bytes;
		else
			n_cached++;
		n_registry += row->status == PLAN_IN_REGISTRY;
	}
	cli_human_size(to_build, size, sizeof size);
	printf("%zu layers, %zu cached", r->n_rows, n_cached);
	if (n_registry)
		printf(" (%zu in the registry cache)", n_registry);
	printf(", est. %s to build; %zu packages in %s", size, r->n_packages, r->prefix);
	if (r->python_version)
		printf(" (python %s)", r->python_version);
	printf("\nEST. SIZE: sum of the packages' compressed archive sizes from repodata\n");
}

int cmd_plan(int argc, char **argv)
{
	cli_args_t a;
	plan_report_t rep;
	err_t err = ERR_INIT;
	ctx_t *ctx = NULL;
	int rc = cli_parse(CMD_PLAN, usage, argc, argv, &a);
	if (rc == 0)
		rc = cli_take_env_file(CMD_PLAN, &a);
	if (rc) {
		rc = rc == 1 ? 0 : 2;
		goto out;
	}
	if (!(ctx = ctx_new(&a.build, CTX_SOLVE | CTX_LAYERS, cli_log, NULL, &err))) {
		rc = cli_fail(&err);
		goto out;
	}
	for (size_t i = 0; i < ctx_platform_count(ctx); i++) {
		if (plan_report_make(ctx, i, &rep, &err) != 0) {
			if (ctx_platform_count(ctx) > 1)
				err_prefix(&err, "%s", ctx_platform(ctx, i)->name);
			rc = cli_fail(&err);
			goto out;
		}
		if (ctx_platform_count(ctx) > 1)
			printf("platform: %s\n", ctx_platform(ctx, i)->name);
		print_report(&rep, a.is_verbose);
		plan_report_free(&rep);
	}
out:
	ctx_free(ctx);
	err_clear(&err);
	cli_args_free(&a);
	return rc;
}
