/* chunkgz.c — the chunked parallel gzip behind blob.c (see chunkgz.h). A ring of 2 x threads
 * slots: the caller fills slot `filled % n`, workers compress slots in sequence order, and
 * the caller drains finished slots strictly in order before reusing one. Every member is a
 * full RFC 1952 member, so any gzip reader that handles multi-member files (zlib's gunzip,
 * Go's compress/gzip, containerd, skopeo, umoci, Python) reads the whole stream. */
#include "chunkgz.h"
#include "xalloc.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GZ_HEADER_BYTES 10
#define GZ_TRAILER_BYTES 8

typedef enum { SLOT_FREE = 0, SLOT_QUEUED, SLOT_DONE } slot_state_t;

typedef struct slot {
	unsigned char *in;
	size_t in_len;
	unsigned char *out;
	size_t out_cap, out_len;
	slot_state_t state;
	int is_failed;
} slot_t;

struct chunkgz {
	int level;
	size_t n_slots;
	slot_t *slots;
	unsigned long long filled;   /* chunks handed to the workers (or compressed inline) */
	unsigned long long next_job; /* next chunk a worker takes */
	unsigned long long drained;  /* chunks passed to the sink */
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	pthread_t *workers;
	int n_workers;
	int is_stopping;
	int has_failed;
	struct libdeflate_compressor *inline_c; /* threads <= 1 */
	chunkgz_sink_fn sink;
	void *ud;
};

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* One gzip member. Header: ID1 ID2, CM 8, FLG 0, MTIME 0, XFL 0, OS 255 (unknown) — the same
 * for every member and every level, so nothing about the host or time leaks in. */
static int compress_member(struct libdeflate_compressor *c, slot_t *s)
{
	static const unsigned char hdr[GZ_HEADER_BYTES] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
	memcpy(s->out, hdr, sizeof hdr);
	size_t n = libdeflate_deflate_compress(c, s->in, s->in_len, s->out + GZ_HEADER_BYTES,
					       s->out_cap - GZ_HEADER_BYTES - GZ_TRAILER_BYTES);
	if (n == 0)
		return -1; /* cannot happen with the bound-sized buffer */
	unsigned char *t = s->out + GZ_HEADER_BYTES + n;
	put_le32(t, libdeflate_crc32(0, s->in, s->in_len));
	put_le32(t + 4, (uint32_t)s->in_len); /* ISIZE: input size mod 2^32 */
	s->out_len = GZ_HEADER_BYTES + n + GZ_TRAILER_BYTES;
	return 0;
}

static void *worker_main(void *arg)
{
	chunkgz_t *c = arg;
	struct libdeflate_compressor *dc = xcheck(libdeflate_alloc_compressor(c->level));
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->is_stopping && c->next_job >= c->filled)
			pthread_cond_wait(&c->cv_work, &c->mu);
		if (c->next_job >= c->filled)
			break; /* stopping and nothing left */
		slot_t *s = &c->slots[c->next_job++ % c->n_slots];
		pthread_mutex_unlock(&c->mu);
		int failed = !dc || compress_member(dc, s) != 0;
		pthread_mutex_lock(&c->mu);
		s->is_failed = failed;
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&c->cv_done);
	}
	pthread_mutex_unlock(&c->mu);
	libdeflate_free_compressor(dc);
	return NULL;
}

void chunkgz_free(chunkgz_t *c)
{
	if (!c)
		return;
	if (c->n_workers > 0) {
		pthread_mutex_lock(&c->mu);
		c->is_stopping = 1;
		/* drop queued work nobody will drain */
		c->filled = c->next_job;
		pthread_cond_broadcast(&c->cv_work);
		pthread_mutex_unlock(&c->mu);
		for (int i = 0; i < c->n_workers; i++)
			pthread_join(c->workers[i], NULL);
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv_work);
	pthread_cond_destroy(&c->cv_done);
	for (size_t i = 0; c->slots && i < c->n_slots; i++) {
		free(c->slots[i].in);
		free(c->slots[i].out);
	}
	free(c->slots);
	free(c->workers);
	libdeflate_free_compressor(c->inline_c);
	free(c);
}

chunkgz_t *chunkgz_new(int level, int threads, chunkgz_sink_fn sink, void *ud, err_t *err)
{
	chunkgz_t *c = NULL;
	struct libdeflate_compressor *probe = NULL;
	if (level < 1 || level > 12) {
		err_set(err, "gzip level %d out of range 1..12", level);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	probe = xcheck(libdeflate_alloc_compressor(level)); /* the level is in range: NULL is OOM */
	c->level = level;
	c->sink = sink;
	c->ud = ud;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv_work, NULL);
	pthread_cond_init(&c->cv_done, NULL);
	/* Two slots per worker keep every worker busy while the caller drains and refills. */
	c->n_slots = threads > 1 ? 2 * (size_t)threads : 1;
	c->slots = xcalloc(c->n_slots, sizeof *c->slots);
	size_t out_cap = GZ_HEADER_BYTES + GZ_TRAILER_BYTES +
			 libdeflate_deflate_compress_bound(probe, CHUNKGZ_CHUNK_BYTES);
	for (size_t i = 0; i < c->n_slots; i++) {
		c->slots[i].in = xmalloc(CHUNKGZ_CHUNK_BYTES);
		c->slots[i].out = xmalloc(out_cap);
		c->slots[i].out_cap = out_cap;
	}
	if (threads <= 1) {
		c->inline_c = probe;
		return c;
	}
	libdeflate_free_compressor(probe);
	probe = NULL;
	c->workers = xcalloc((size_t)threads, sizeof *c->workers);
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&c->workers[i], NULL, worker_main, c) != 0) {
			err_set(err, "cannot start gzip compression thread %d of %d", i + 1,
				threads);
			chunkgz_free(c);
			return NULL;
		}
		c->n_workers++;
	}
	return c;
}

static int fail(chunkgz_t *c, err_t *err, const char *what)
{
	c->has_failed = 1;
	return err_set(err, "gzip: %s", what);
}

/* Waits for the oldest chunk, passes it to the sink and frees its slot. */
static int drain_one(chunkgz_t *c, err_t *err)
{
	slot_t *s = &c->slots[c->drained % c->n_slots];
	if (c->n_workers > 0) {
		pthread_mutex_lock(&c->mu);
		while (s->state != SLOT_DONE)
			pthread_cond_wait(&c->cv_done, &c->mu);
		pthread_mutex_unlock(&c->mu);
	}
	if (s->is_failed)
		return fail(c, err, "libdeflate could not compress a chunk");
	if (c->sink(c->ud, s->out, s->out_len, err)) {
		c->has_failed = 1;
		return -1;
	}
	s->state = SLOT_FREE;
	s->in_len = 0;
	c->drained++;
	return 0;
}

/* Hands the slot being filled to a worker (or compresses it here). */
static int submit(chunkgz_t *c, err_t *err)
{
	slot_t *s = &c->slots[c->filled % c->n_slots];
	if (c->n_workers == 0) {
		s->is_failed = compress_member(c->inline_c, s) != 0;
		s->state = SLOT_DONE;
		c->filled++;
		return drain_one(c, err);
	}
	pthread_mutex_lock(&c->mu);
	s->state = SLOT_QUEUED;
	c->filled++;
	pthread_cond_signal(&c->cv_work);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

int chunkgz_write(chunkgz_t *c, const void *data, size_t len, err_t *err)
{
	const unsigned char *p = data;
	if (c->has_failed)
		return fail(c, err, "write after an earlier error");
	while (len > 0) {
		/* the slot to fill must have been drained: free it by draining the oldest */
		if (c->filled - c->drained == c->n_slots && drain_one(c, err))
			return -1;
		slot_t *s = &c->slots[c->filled % c->n_slots];
		size_t n = CHUNKGZ_CHUNK_BYTES - s->in_len;
		if (n > len)
			n = len;
		memcpy(s->in + s->in_len, p, n);
		s->in_len += n;
		p += n;
		len -= n;
		if (s->in_len == CHUNKGZ_CHUNK_BYTES && submit(c, err))
			return -1;
	}
	return 0;
}

int chunkgz_finish(chunkgz_t *c, err_t *err)
{
	if (c->has_failed)
		return fail(c, err, "finish after an earlier error");
	if (c->filled - c->drained == c->n_slots && drain_one(c, err))
		return -1;
	/* a partial last chunk; or, for an empty stream, one empty member so the blob is
	 * still a valid gzip file */
	if ((c->slots[c->filled % c->n_slots].in_len > 0 || c->filled == 0) && submit(c, err))
		return -1;
	while (c->drained < c->filled)
		if (drain_one(c, err))
			return -1;
	return 0;
}
