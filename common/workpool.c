/* workpool.c — a minimal pthread job runner (see workpool.h). */
#include "workpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "xalloc.h"

typedef struct pool {
	pthread_mutex_t lock;
	size_t next, n_jobs;
	size_t failed_index; /* lowest failing index so far, n_jobs when none */
	err_t failed_err;
	workpool_fn fn;
	void *ctx;
} pool_t;

static void *worker(void *arg)
{
	pool_t *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->next >= p->n_jobs || p->failed_index < p->n_jobs) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		size_t i = p->next++;
		pthread_mutex_unlock(&p->lock);
		err_t e = ERR_INIT;
		if (p->fn(p->ctx, i, &e) != 0) {
			pthread_mutex_lock(&p->lock);
			if (i < p->failed_index) {
				err_clear(&p->failed_err);
				p->failed_err = e;
				e.msg = NULL;
				p->failed_index = i;
			}
			pthread_mutex_unlock(&p->lock);
		}
		err_clear(&e);
	}
}

int workpool_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

int workpool_run(size_t n_jobs, int threads, workpool_fn fn, void *ctx, err_t *err)
{
	pool_t p = {.next = 0, .n_jobs = n_jobs, .failed_index = n_jobs, .fn = fn, .ctx = ctx};
	pthread_t *tids;
	int started = 0;
	if (threads <= 0)
		threads = workpool_default_threads();
	if ((size_t)threads > n_jobs)
		threads = (int)n_jobs;
	if (threads <= 1) {
		for (size_t i = 0; i < n_jobs; i++)
			if (fn(ctx, i, err) != 0)
				return -1;
		return 0;
	}
	pthread_mutex_init(&p.lock, NULL);
	tids = xcalloc((size_t)threads, sizeof *tids);
	for (int t = 0; t < threads; t++)
		if (pthread_create(&tids[t], NULL, worker, &p) == 0)
			started++;
	if (started == 0)
		worker(&p);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	pthread_mutex_destroy(&p.lock);
	if (p.failed_index < n_jobs) {
		err_set(err, "%s", err_msg(&p.failed_err));
		err_set_hint(err, p.failed_err.hint); /* the CLI names the flag that fixes it */
		err_clear(&p.failed_err);
		return -1;
	}
	return 0;
}
