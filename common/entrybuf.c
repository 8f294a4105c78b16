/* entrybuf.c — see entrybuf.h. Entries in one array, names, targets and file data in one
 * growing byte buffer (offsets, so that growth may move it). */
#include "entrybuf.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

typedef struct rec {
	entry_kind_t kind;
	unsigned mode;
	long long size;
	size_t rel, target; /* offsets into bytes; target SIZE_MAX = none */
	size_t data;        /* offset of the file's data (size bytes) */
} rec_t;

struct entrybuf {
	size_t cap;
	int is_full;
	rec_t *v;
	size_t n, cap_v;
	buf_t bytes;
};

entrybuf_t *entrybuf_new(size_t cap)
{
	entrybuf_t *b = xcalloc(1, sizeof *b);
	b->cap = cap;
	return b;
}

void entrybuf_free(entrybuf_t *b)
{
	if (!b)
		return;
	free(b->v);
	buf_free(&b->bytes);
	free(b);
}

int entrybuf_is_full(const entrybuf_t *b)
{
	return b->is_full;
}

size_t entrybuf_bytes(const entrybuf_t *b)
{
	return b->bytes.len + b->n * sizeof *b->v;
}

static int take(entrybuf_t *b, size_t n, err_t *err)
{
	if (!b->is_full && entrybuf_bytes(b) + n + sizeof *b->v <= b->cap)
		return 0;
	b->is_full = 1;
	return err_set(err, "entry buffer: more than %zu bytes", b->cap);
}

/* s with its NUL into bytes; its offset. */
static size_t add_str(entrybuf_t *b, const char *s)
{
	size_t at = b->bytes.len;
	buf_add(&b->bytes, s, strlen(s) + 1);
	return at;
}

static int rec_entry(void *ud, entry_kind_t kind, const char *rel, unsigned mode, long long size,
		     const char *target, err_t *err)
{
	entrybuf_t *b = ud;
	if (take(b, strlen(rel) + (target ? strlen(target) : 0) + 2, err))
		return -1;
	if (b->n == b->cap_v) {
		b->cap_v = b->cap_v ? b->cap_v * 2 : 64;
		b->v = xrealloc(b->v, b->cap_v * sizeof *b->v);
	}
	rec_t *r = &b->v[b->n++];
	r->kind = kind;
	r->mode = mode;
	r->size = kind == ENTRY_FILE ? size : 0;
	r->rel = add_str(b, rel);
	r->target = target ? add_str(b, target) : (size_t)-1;
	r->data = b->bytes.len;
	return 0;
}

static int rec_data(void *ud, const void *p, size_t n, err_t *err)
{
	entrybuf_t *b = ud;
	if (take(b, n, err))
		return -1;
	buf_add(&b->bytes, p, n);
	return 0;
}

entry_sink_t entrybuf_sink(entrybuf_t *b)
{
	return (entry_sink_t){rec_entry, rec_data, b};
}

int entrybuf_replay(const entrybuf_t *b, const entry_sink_t *to, err_t *err)
{
	const char *base = b->bytes.data;
	for (size_t i = 0; i < b->n; i++) {
		const rec_t *r = &b->v[i];
		const char *target = r->target == (size_t)-1 ? NULL : base + r->target;
		if (to->entry(to->ud, r->kind, base + r->rel, r->mode, r->size, target, err))
			return -1;
		/* a file's data is everything recorded up to the next entry (or the end) */
		size_t end = i + 1 < b->n ? b->v[i + 1].rel : b->bytes.len;
		if (r->kind == ENTRY_FILE && end > r->data &&
		    to->data(to->ud, base + r->data, end - r->data, err))
			return -1;
	}
	return 0;
}
