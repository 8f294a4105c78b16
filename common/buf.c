/* buf.c — growable NUL-terminated buffer (see buf.h). */
#include "buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static char buf_empty[1];

void buf_init(buf_t *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_free(buf_t *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(buf_t *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_grow(buf_t *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = xrealloc(b->data, cap);
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
}

void buf_add(buf_t *b, const void *data, size_t len)
{
	buf_grow(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void buf_addstr(buf_t *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(buf_t *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vaddf(buf_t *b, const char *fmt, va_list ap)
{
	va_list cp;
	/* try in the spare room first, grow once if it did not fit (as git's strbuf_vaddf) */
	buf_grow(b, 64);
	va_copy(cp, ap);
	int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0) /* only an invalid format does this, and every format is a literal */
		xunreachable("vsnprintf: bad format");
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		if (n < 0)
			xunreachable("vsnprintf: bad format");
	}
	b->len += (size_t)n;
}

void buf_addf(buf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_setstr(buf_t *b, const char *s)
{
	buf_reset(b);
	buf_addstr(b, s);
}

void buf_truncate(buf_t *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

void buf_addpath(buf_t *b, const char *component)
{
	while (b->len > 1 && b->data[b->len - 1] == '/')
		buf_truncate(b, b->len - 1);
	while (*component == '/' && b->len > 0)
		component++;
	if (b->len > 0 && b->data[b->len - 1] != '/')
		buf_addch(b, '/');
	buf_addstr(b, component);
}

const char *buf_cstr(const buf_t *b)
{
	return b->data ? b->data : buf_empty;
}

char *buf_detach(buf_t *b)
{
	char *p = b->data;
	if (!p) {
		p = xmalloc(1);
		p[0] = '\0';
	}
	buf_init(b);
	return p;
}

int buf_read_file(buf_t *b, const char *path, size_t max_bytes, err_t *err)
{
	FILE *f = fopen(path, "rb");
	char tmp[65536];
	size_t n;
	int rc = -1;
	if (!f)
		return err_set(err, "%s: cannot open: %s", path, strerror(errno));
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		if (b->len + n > max_bytes) {
			err_set(err, "%s: larger than the %zu-byte limit for this kind of file",
				path, max_bytes);
			goto out;
		}
		buf_add(b, tmp, n);
	}
	if (ferror(f)) {
		err_set(err, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}
