/* progress.h — the one progress interface between the libraries and the CLI (CONVENTIONS
 * §1: libraries never print). A library that does long work takes a progress_sink_t
 * (borrowed, may be NULL) and reports events through progress_emit; the CLI's renderer
 * (builder/progress.c) draws them as live lines, plain lines or JSON. Events may come from
 * several threads at once: the sink's function must be thread-safe. */
#ifndef IMGBUILD_PROGRESS_H
#define IMGBUILD_PROGRESS_H

#include <stddef.h>

typedef enum progress_kind {
	PROGRESS_START, /* an item's step begins: total known or < 0 */
	PROGRESS_BYTES, /* done of total so far (bytes; install: packages) */
	PROGRESS_END,   /* the step is over: status says how */
} progress_kind_t;

typedef struct progress_event {
	progress_kind_t kind;
	const char *step;   /* "download", "install", "compress", "upload" */
	const char *item;   /* package file name, layer group, blob digest */
	long long done;     /* bytes (or packages) done; compress: uncompressed bytes in */
	long long total;    /* < 0 when unknown */
	long long out;      /* compress: compressed bytes out so far; else 0 */
	const char *status; /* END: "done", "uploaded", "mounted", "skipped", "cached"; else NULL */
} progress_event_t;

typedef struct progress_sink {
	void (*fn)(void *ud, const progress_event_t *ev);
	void *ud;
} progress_sink_t;

/* One event; out is the compressed bytes so far for "compress", else 0. */
static inline void progress_emit_out(const progress_sink_t *s, progress_kind_t kind,
				     const char *step, const char *item, long long done,
				     long long total, long long out, const char *status)
{
	if (s && s->fn) {
		progress_event_t ev = {kind, step, item, done, total, out, status};
		s->fn(s->ud, &ev);
	}
}

static inline void progress_emit(const progress_sink_t *s, progress_kind_t kind, const char *step,
				 const char *item, long long done, long long total,
				 const char *status)
{
	progress_emit_out(s, kind, step, item, done, total, 0, status);
}

/* A count of things done out of a known total, bumped from several threads (packages
 * installed by a pool of workers): whoever knows the total owns it and emits its START and
 * END; a worker calls progress_count_one per thing done, which emits a BYTES event with the
 * new count (events from two workers may arrive in either order: the renderer keeps the
 * largest count). Borrowed by the workers; NULL is a no-op. */
typedef struct progress_counter {
	const progress_sink_t *sink;
	const char *step, *item; /* borrowed */
	long long total;
	_Atomic long long done;
} progress_counter_t;

static inline void progress_count_one(progress_counter_t *c)
{
	if (c) {
		long long done = ++c->done;
		progress_emit(c->sink, PROGRESS_BYTES, c->step, c->item, done, c->total, NULL);
	}
}

#endif
