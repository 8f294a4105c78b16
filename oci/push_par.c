/* push_par.c — a push's independent registry operations on a few threads (push_par.h). Each
 * thread borrows a registry client from a small stack: the caller's own for the first, fresh
 * ones (same options, so the same credentials, CA and retry policy) for the others, each with
 * its own libcurl handle and token. A fresh client takes the caller's settled scheme (no
 * second /v2/ ping, no TLS try on a plain-HTTP registry) and, on a registry with tokens, costs
 * one token request: paid once per thread, not per blob. */
#include "push_par.h"
#include "reg_internal.h"
#include "workpool.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct par {
	pthread_mutex_t lock;
	reg_t **free_regs; /* a stack of idle clients */
	size_t n_free;
	oci_push_job_fn fn;
	void *ctx;
} par_t;

int oci_push_threads(void)
{
	const char *v = getenv("IMGBUILD_PUSH_THREADS");
	char *end = NULL;
	long n = v && *v ? strtol(v, &end, 10) : 0;
	return n >= 1 && n <= 64 && end && !*end ? (int)n : OCI_PUSH_DEFAULT_THREADS;
}

static int par_job(void *ctx, size_t i, err_t *err)
{
	par_t *p = ctx;
	pthread_mutex_lock(&p->lock);
	reg_t *reg = p->free_regs[--p->n_free]; /* never empty: one client per thread */
	pthread_mutex_unlock(&p->lock);
	int rc = p->fn(p->ctx, reg, i, err);
	pthread_mutex_lock(&p->lock);
	p->free_regs[p->n_free++] = reg;
	pthread_mutex_unlock(&p->lock);
	return rc;
}

static void add_stats(reg_stats_t *to, const reg_stats_t *from)
{
	to->blobs_skipped += from->blobs_skipped;
	to->blobs_mounted += from->blobs_mounted;
	to->blobs_uploaded += from->blobs_uploaded;
	to->bytes_uploaded += from->bytes_uploaded;
	to->retries += from->retries;
	to->resumes += from->resumes;
}

int oci_push_par_run(reg_t *reg, const char *repo, size_t n, oci_push_job_fn fn, void *ctx,
		     err_t *err)
{
	int threads = oci_push_threads(), rc = -1;
	if ((size_t)threads > n)
		threads = (int)n;
	if (threads <= 1) {
		for (size_t i = 0; i < n; i++)
			if (fn(ctx, reg, i, err) != 0)
				return -1;
		return 0;
	}
	par_t p = {.fn = fn, .ctx = ctx};
	reg_t **made = xcalloc((size_t)threads, sizeof *made);
	p.free_regs = xcalloc((size_t)threads, sizeof *p.free_regs);
	p.free_regs[p.n_free++] = reg;
	for (int t = 1; t < threads; t++) {
		if (!(made[t] = reg_new(reg->name, &reg->opts, err)))
			goto out;
		reg_inherit_connection(made[t], reg);
		reg_add_scope(made[t], repo, "pull,push");
		p.free_regs[p.n_free++] = made[t];
	}
	pthread_mutex_init(&p.lock, NULL);
	rc = workpool_run(n, threads, par_job, &p, err);
	pthread_mutex_destroy(&p.lock);
out:
	for (int t = 1; t < threads; t++) {
		if (made[t])
			add_stats(&reg->stats, &made[t]->stats);
		reg_free(made[t]);
	}
	free(made);
	free(p.free_regs);
	return rc;
}
