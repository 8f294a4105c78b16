/* install_placeholder.c — prefix-placeholder replacement, text and binary (see install.h):
 * the byte-level rules conda applies when it links a package into a new prefix, as a stream
 * (issue 10 #9: a 200 MB file used to be read whole, 3.7 GB RSS). Input arrives in chunks;
 * a window keeps at most placeholder length - 1 unmatched bytes between chunks, so memory is
 * one chunk plus the placeholder whatever the file size, and the output is byte-identical to
 * a scan of the whole buffer (matches are leftmost and non-overlapping either way). */
#include <errno.h>
#include <string.h>

#include "install_int.h"

void ph_stream_init(ph_stream_t *s, const char *placeholder, const char *new_prefix, int is_binary,
		    ph_sink_fn sink, void *ud)
{
	memset(s, 0, sizeof *s);
	s->ph = placeholder;
	s->ph_len = strlen(placeholder);
	s->np = new_prefix;
	s->np_len = strlen(new_prefix);
	s->is_binary = is_binary;
	s->sink = sink;
	s->ud = ud;
}

void ph_stream_free(ph_stream_t *s)
{
	buf_free(&s->carry);
}

static int emit(ph_stream_t *s, const char *p, size_t n, err_t *err)
{
	return n ? s->sink(s->ud, p, n, err) : 0;
}

/* Binary mode: the NULs that pad a rewritten C string back to its original length. */
static int emit_padding(ph_stream_t *s, err_t *err)
{
	static const char zeros[256];
	while (s->deficit > 0) {
		size_t n = s->deficit < sizeof zeros ? s->deficit : sizeof zeros;
		if (emit(s, zeros, n, err))
			return -1;
		s->deficit -= n;
	}
	return 0;
}

static int replace_hit(ph_stream_t *s, err_t *err)
{
	if (s->is_binary && s->np_len > s->ph_len) {
		err_set(err,
			"target prefix %s (%zu bytes) is longer than the package's binary "
			"placeholder (%zu bytes)",
			s->np, s->np_len, s->ph_len);
		return err_set_hint(err, ERR_HINT_SHORTER_PREFIX);
	}
	if (s->is_binary) {
		s->is_in_string = 1; /* the string runs on to the next NUL */
		s->deficit += s->ph_len - s->np_len;
	}
	return emit(s, s->np, s->np_len, err);
}

/* Scans w[0..n); returns how many bytes were consumed (the rest may begin a match, or is
 * everything when is_last), or (size_t)-1 on error. As conda and rattler do in binary mode,
 * the C string runs from a placeholder to the next NUL (or the end of the data); all
 * placeholders inside it are replaced and it is padded with NULs to its original length. */
static size_t scan(ph_stream_t *s, const char *w, size_t n, int is_last, err_t *err)
{
	size_t pos = 0;
	for (;;) {
		const char *nul = s->is_in_string ? memchr(w + pos, '\0', n - pos) : NULL;
		size_t lim = nul ? (size_t)(nul - w) : n;
		const char *hit = memmem(w + pos, lim - pos, s->ph, s->ph_len);
		if (hit) {
			if (emit(s, w + pos, (size_t)(hit - (w + pos)), err) || replace_hit(s, err))
				return (size_t)-1;
			pos = (size_t)(hit - w) + s->ph_len;
			continue;
		}
		if (nul) { /* end of the rewritten string: pad, then scan on from the NUL */
			if (emit(s, w + pos, lim - pos, err) || emit_padding(s, err))
				return (size_t)-1;
			s->is_in_string = 0;
			pos = lim;
			continue;
		}
		size_t keep = is_last ? 0 : (n - pos < s->ph_len - 1 ? n - pos : s->ph_len - 1);
		if (emit(s, w + pos, n - pos - keep, err))
			return (size_t)-1;
		return n - keep;
	}
}

int ph_stream_push(ph_stream_t *s, const char *data, size_t len, err_t *err)
{
	if (s->ph_len == 0)
		return emit(s, data, len, err);
	buf_add(&s->carry, data, len);
	size_t used = scan(s, s->carry.data, s->carry.len, 0, err);
	if (used == (size_t)-1)
		return -1;
	memmove(s->carry.data, s->carry.data + used, s->carry.len - used);
	buf_truncate(&s->carry, s->carry.len - used);
	return 0;
}

int ph_stream_finish(ph_stream_t *s, err_t *err)
{
	if (s->ph_len &&
	    scan(s, s->carry.data ? s->carry.data : "", s->carry.len, 1, err) == (size_t)-1)
		return -1;
	buf_reset(&s->carry);
	return s->is_binary ? emit_padding(s, err) : 0;
}

/* ---- whole-buffer forms (install.h), over the stream ---- */

static int sink_to_buf(void *ud, const char *data, size_t len, err_t *err)
{
	(void)err;
	buf_add(ud, data, len);
	return 0;
}

static int replace_all(const char *data, size_t len, const char *placeholder,
		       const char *new_prefix, int is_binary, buf_t *out, err_t *err)
{
	ph_stream_t s;
	buf_reset(out);
	buf_grow(out, len);
	ph_stream_init(&s, placeholder, new_prefix, is_binary, sink_to_buf, out);
	int rc = ph_stream_push(&s, data, len, err) || ph_stream_finish(&s, err) ? -1 : 0;
	ph_stream_free(&s);
	return rc;
}

int install_replace_text(const char *data, size_t len, const char *placeholder,
			 const char *new_prefix, buf_t *out)
{
	return replace_all(data, len, placeholder, new_prefix, 0, out, NULL);
}

int install_replace_binary(char *data, size_t len, const char *placeholder, const char *new_prefix,
			   err_t *err)
{
	buf_t out = BUF_INIT;
	int rc = replace_all(data, len, placeholder, new_prefix, 1, &out, err);
	if (rc == 0) /* same length by construction: the data is changed only on success */
		memcpy(data, out.data, len);
	buf_free(&out);
	return rc;
}

int inst_pump(inst_t *in, const inst_path_t *p, inst_read_fn read, void *rud, ph_sink_fn out,
	      void *oud, const int *is_sink_error, digest_t *din, err_t *err)
{
	char chunk[1 << 16];
	ph_stream_t ps;
	ssize_t n;
	int rc = -1;
	ph_stream_init(&ps, p->placeholder ? p->placeholder : "", in->opts->target_prefix,
		       p->is_binary, out, oud);
	while ((n = read(rud, chunk, sizeof chunk, err)) > 0) {
		if (din)
			digest_update(din, chunk, (size_t)n);
		if (ph_stream_push(&ps, chunk, (size_t)n, err))
			goto fail;
	}
	if (n < 0)
		goto out;
	if (ph_stream_finish(&ps, err))
		goto fail;
	rc = 0;
	goto out;
fail:
	if (!*is_sink_error)
		err_prefix(err, "package %s file %s", in->dist, p->path);
out:
	ph_stream_free(&ps);
	return rc;
}
