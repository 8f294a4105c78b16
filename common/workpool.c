/* workpool.c — a minimal pthread job runner with prerequisites (see workpool.h). One picker
 * serves both entry points: workpool_run is workpool_run_after with no prerequisites. */
#include "workpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "xalloc.h"

enum { JOB_WAITING = 0, JOB_RUNNING, JOB_DONE };

typedef struct pool {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a job finished: another may start, or all are done */
	size_t n_jobs;
	size_t *blocking;     /* per job: prerequisites not yet done */
	unsigned char *state; /* JOB_* */
	size_t *dep_first;    /* dependents of job i: deps[dep_first[i] .. dep_first[i + 1]) */
	size_t *deps;
	size_t low; /* every job below it has started */
	size_t running;
	size_t failed_index; /* lowest failing index so far, n_jobs when none */
	err_t failed_err;
	workpool_fn fn;
	void *ctx;
} pool_t;

/* The lowest job that may start, or n_jobs. Caller holds the lock. */
static size_t pick(pool_t *p)
{
	while (p->low < p->n_jobs && p->state[p->low] != JOB_WAITING)
		p->low++;
	for (size_t i = p->low; i < p->n_jobs; i++)
		if (p->state[i] == JOB_WAITING && p->blocking[i] == 0)
			return i;
	return p->n_jobs;
}

/* Job i returned rc (e holds its error). Caller holds the lock. */
static void finish(pool_t *p, size_t i, int rc, err_t *e)
{
	p->running--;
	p->state[i] = JOB_DONE;
	if (rc != 0 && i < p->failed_index) {
		err_clear(&p->failed_err);
		p->failed_err = *e;
		e->msg = NULL;
		p->failed_index = i;
	}
	for (size_t k = p->dep_first[i]; rc == 0 && k < p->dep_first[i + 1]; k++)
		p->blocking[p->deps[k]]--;
	pthread_cond_broadcast(&p->changed);
}

static void *worker(void *arg)
{
	pool_t *p = arg;
	pthread_mutex_lock(&p->lock);
	while (p->failed_index == p->n_jobs) {
		size_t i = pick(p);
		if (i == p->n_jobs) {
			if (p->running == 0)
				break; /* all done (the cycle check rules out a stuck rest) */
			pthread_cond_wait(&p->changed, &p->lock);
			continue;
		}
		p->state[i] = JOB_RUNNING;
		p->running++;
		pthread_mutex_unlock(&p->lock);
		err_t e = ERR_INIT;
		int rc = p->fn(p->ctx, i, &e);
		pthread_mutex_lock(&p->lock);
		finish(p, i, rc, &e);
		err_clear(&e);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int workpool_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* The dependents lists (the prerequisites inverted) and each job's count; then Kahn's order
 * on a copy of the counts proves there is no cycle. */
static int link_jobs(pool_t *p, const size_t *n_after, const size_t *const *after, err_t *err)
{
	size_t n = p->n_jobs, total = 0, *fill, *left, *queue, n_queued = 0;
	p->dep_first = xcalloc(n + 1, sizeof *p->dep_first);
	for (size_t i = 0; n_after && i < n; i++)
		for (size_t k = 0; k < n_after[i]; k++) {
			if (after[i][k] >= n)
				return err_set(err, "job %zu waits for job %zu of %zu", i,
					       after[i][k], n);
			p->dep_first[after[i][k] + 1]++;
			p->blocking[i]++;
			total++;
		}
	for (size_t i = 0; i < n; i++)
		p->dep_first[i + 1] += p->dep_first[i];
	p->deps = xcalloc(total ? total : 1, sizeof *p->deps);
	fill = xcalloc(n ? n : 1, sizeof *fill);
	for (size_t i = 0; n_after && i < n; i++)
		for (size_t k = 0; k < n_after[i]; k++) {
			size_t d = after[i][k];
			p->deps[p->dep_first[d] + fill[d]++] = i;
		}
	left = xcalloc(n ? n : 1, sizeof *left);
	queue = fill; /* reused: every job enters the queue at most once */
	for (size_t i = 0; i < n; i++)
		if ((left[i] = p->blocking[i]) == 0)
			queue[n_queued++] = i;
	for (size_t q = 0; q < n_queued; q++)
		for (size_t k = p->dep_first[queue[q]]; k < p->dep_first[queue[q] + 1]; k++)
			if (--left[p->deps[k]] == 0)
				queue[n_queued++] = p->deps[k];
	free(fill);
	free(left);
	if (n_queued < n)
		return err_set(err, "%zu of %zu jobs wait for each other in a cycle", n - n_queued,
			       n);
	return 0;
}

static void pool_free(pool_t *p)
{
	free(p->blocking);
	free(p->state);
	free(p->dep_first);
	free(p->deps);
	err_clear(&p->failed_err);
}

int workpool_run_after(size_t n_jobs, int threads, const size_t *n_after,
		       const size_t *const *after, workpool_fn fn, void *ctx, err_t *err)
{
	pool_t p = {.n_jobs = n_jobs, .failed_index = n_jobs, .fn = fn, .ctx = ctx};
	pthread_t *tids;
	int started = 0, rc = 0;
	p.blocking = xcalloc(n_jobs ? n_jobs : 1, sizeof *p.blocking);
	p.state = xcalloc(n_jobs ? n_jobs : 1, 1);
	if (link_jobs(&p, n_after, after, err)) {
		pool_free(&p);
		return -1;
	}
	if (threads <= 0)
		threads = workpool_default_threads();
	if ((size_t)threads > n_jobs)
		threads = (int)n_jobs;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.changed, NULL);
	tids = xcalloc(threads > 1 ? (size_t)threads : 1, sizeof *tids);
	for (int t = 0; threads > 1 && t < threads; t++)
		if (pthread_create(&tids[t], NULL, worker, &p) == 0)
			started++;
	if (started == 0)
		worker(&p); /* one thread, or none could be made: this one runs them all */
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	pthread_cond_destroy(&p.changed);
	pthread_mutex_destroy(&p.lock);
	if (p.failed_index < n_jobs) {
		err_set(err, "%s", err_msg(&p.failed_err));
		err_set_hint(err, p.failed_err.hint); /* the CLI names the flag that fixes it */
		rc = -1;
	}
	pool_free(&p);
	return rc;
}

int workpool_run(size_t n_jobs, int threads, workpool_fn fn, void *ctx, err_t *err)
{
	return workpool_run_after(n_jobs, threads, NULL, NULL, fn, ctx, err);
}
