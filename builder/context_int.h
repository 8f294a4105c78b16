/* context_int.h — the build context's private parts, shared by context.c (lifecycle, names,
 * platforms, base images, registries) and context_solve.c (channels, virtual packages,
 * solves, locks). */
#ifndef IMGBUILD_CONTEXT_INT_H
#define IMGBUILD_CONTEXT_INT_H

#include "buf.h"
#include "context.h"

struct oci_base;
typedef struct ctx_base {
	buf_t layout, tag; /* layout empty until resolved */
	int is_resolved;
	struct oci_base *image; /* opened once (oci/base.h), NULL until first use */
} ctx_base_t;

struct ctx {
	const build_opts_t *o;
	log_fn log;
	void *ud;
	buf_t cache;
	buf_t scratch; /* <cache>/tmp/build-<pid>-XXXXXX, made on first use */
	envspec_t *env;
	buf_t name, prefix;
	recipe_t *recipe;
	ctx_platform_t *plats;
	char **plat_names;
	ctx_base_t *bases; /* per platform */
	size_t n_plats;
	char **ch_written, **ch_urls;
	size_t n_ch;
	reg_t **regs;
	size_t n_regs;
	struct http_client *http; /* channels, shards and packages (common/http.h) */
	struct pypi_reqset
		*pip_reqs;    /* the pip: list (context_pip.c), NULL: none or --ignore-pip */
	struct ctx_pip **pip; /* per platform: its pip resolution (context_pip.c) or NULL */
};

/* context_solve.c: --channel entries, then the file's, resolved (CTX_SOLVE without --lock). */
int ctx_resolve_channels(ctx_t *c, err_t *err);
/* context_solve.c: the name a lock records (NULL when none; caller frees). */
int ctx_lock_env_name(ctx_t *c, char **out, err_t *err);

#endif
