/* prefetch.c — see prefetch.h. One helper thread walks the eligible packages in order; each
 * slot goes PENDING -> READY (recorded), DIRECT (too big: the layer installs it) or FAILED (its
 * error kept for the layer to report in order). */
#include "prefetch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "entrybuf.h"
#include "xalloc.h"

typedef enum { SLOT_PENDING = 0, SLOT_READY, SLOT_DIRECT, SLOT_FAILED } slot_state_t;

typedef struct slot {
	slot_state_t state;
	entrybuf_t *buf;
	err_t err;
} slot_t;

struct prefetch {
	size_t n;
	unsigned char *eligible;
	slot_t *slots;
	prefetch_install_fn fn;
	void *ud;
	size_t budget, cap, held; /* held: bytes of READY slots not yet taken */
	int is_cancelled;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* Waits for room; 0 when cancelled. */
static int wait_room(prefetch_t *p)
{
	pthread_mutex_lock(&p->lock);
	while (!p->is_cancelled && p->held >= p->budget)
		pthread_cond_wait(&p->cond, &p->lock);
	int go = !p->is_cancelled;
	pthread_mutex_unlock(&p->lock);
	return go;
}

static void *helper(void *arg)
{
	prefetch_t *p = arg;
	for (size_t j = 0; j < p->n; j++) {
		if (!p->eligible[j])
			continue;
		if (!wait_room(p))
			break;
		slot_t *s = &p->slots[j];
		entrybuf_t *b = entrybuf_new(p->cap);
		entry_sink_t sink = entrybuf_sink(b);
		int rc = p->fn(p->ud, j, &sink, &s->err);
		pthread_mutex_lock(&p->lock);
		if (rc == 0) {
			s->state = SLOT_READY;
			s->buf = b;
			p->held += entrybuf_bytes(b);
		} else {
			s->state = entrybuf_is_full(b) ? SLOT_DIRECT : SLOT_FAILED;
			entrybuf_free(b);
		}
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	/* what was never reached (cancelled) reads as "install it yourself" */
	pthread_mutex_lock(&p->lock);
	for (size_t j = 0; j < p->n; j++)
		if (p->eligible[j] && p->slots[j].state == SLOT_PENDING)
			p->slots[j].state = SLOT_DIRECT;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

prefetch_t *prefetch_start(size_t n, const unsigned char *eligible, prefetch_install_fn fn,
			   void *ud, size_t budget, size_t cap)
{
	prefetch_t *p = xcalloc(1, sizeof *p);
	p->n = n;
	p->eligible = xmalloc(n ? n : 1);
	memcpy(p->eligible, eligible, n);
	p->slots = xcalloc(n ? n : 1, sizeof *p->slots);
	p->fn = fn;
	p->ud = ud;
	p->budget = budget;
	p->cap = cap;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, helper, p) != 0) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->cond);
		free(p->eligible);
		free(p->slots);
		free(p);
		return NULL;
	}
	return p;
}

int prefetch_take(prefetch_t *p, size_t j, const entry_sink_t *to, err_t *err)
{
	if (!p || j >= p->n || !p->eligible[j])
		return 0;
	slot_t *s = &p->slots[j];
	pthread_mutex_lock(&p->lock);
	while (s->state == SLOT_PENDING)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
	if (s->state == SLOT_DIRECT)
		return 0;
	if (s->state == SLOT_FAILED) {
		err_set(err, "%s", err_msg(&s->err));
		err->hint = s->err.hint;
		return -1;
	}
	int rc = entrybuf_replay(s->buf, to, err);
	pthread_mutex_lock(&p->lock);
	p->held -= entrybuf_bytes(s->buf);
	entrybuf_free(s->buf);
	s->buf = NULL;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return rc == 0 ? 1 : -1;
}

void prefetch_stop(prefetch_t *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->is_cancelled = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	for (size_t j = 0; j < p->n; j++) {
		entrybuf_free(p->slots[j].buf);
		err_clear(&p->slots[j].err);
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->eligible);
	free(p->slots);
	free(p);
}
