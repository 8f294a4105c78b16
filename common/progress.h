/* progress.h — the one progress interface between the libraries and the CLI (CONVENTIONS
 * §1: libraries never print). A library that does long work takes a progress_sink_t
 * (borrowed, may be NULL) and reports events through progress_emit; the CLI's renderer
 * (builder/progress.c) draws them as live lines, plain lines or JSON. Events may come from
 * several threads at once: the sink's function must be thread-safe. */
#ifndef IMGBUILD_PROGRESS_H
#define IMGBUILD_PROGRESS_H

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

static inline void progress_emit(const progress_sink_t *s, progress_kind_t kind, const char *step,
				 const char *item, long long done, long long total,
				 const char *status)
{
	if (s && s->fn) {
		progress_event_t ev = {kind, step, item, done, total, 0, status};
		s->fn(s->ud, &ev);
	}
}

#endif
