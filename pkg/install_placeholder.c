/* install_placeholder.c — prefix-placeholder replacement, text and binary (see install.h):
 * the byte-level rules conda applies when it links a package into a new prefix. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "install_int.h"

/* ---- prefix replacement primitives ---- */

int install_replace_text(const char *data, size_t len, const char *placeholder,
			 const char *new_prefix, buf_t *out)
{
	size_t ph_len = strlen(placeholder), np_len = strlen(new_prefix);
	buf_reset(out);
	buf_grow(out, len);
	if (ph_len == 0) {
		buf_add(out, data, len);
		return 0;
	}
	const char *p = data, *end = data + len;
	for (;;) {
		const char *hit = memmem(p, (size_t)(end - p), placeholder, ph_len);
		if (!hit) {
			buf_add(out, p, (size_t)(end - p));
			return 0;
		}
		buf_add(out, p, (size_t)(hit - p));
		buf_add(out, new_prefix, np_len);
		p = hit + ph_len;
	}
}

/* As conda and rattler do: the C string runs from the placeholder to the next NUL (or the end
 * of the data); all placeholders inside it are replaced and the string is padded with NULs
 * back to its original length, so offsets in the binary do not move. */
int install_replace_binary(char *data, size_t len, const char *placeholder,
			   const char *new_prefix, err_t *err)
{
	size_t ph_len = strlen(placeholder), np_len = strlen(new_prefix);
	buf_t seg = BUF_INIT;
	int rc = -1;
	if (ph_len == 0)
		return 0;
	char *p = data, *end = data + len;
	for (;;) {
		char *hit = memmem(p, (size_t)(end - p), placeholder, ph_len);
		if (!hit)
			break;
		if (np_len > ph_len) {
			err_set(err,
				"target prefix %s (%zu bytes) is longer than the package's binary "
				"placeholder (%zu bytes); use a shorter --prefix",
				new_prefix, np_len, ph_len);
			goto out;
		}
		char *nul = memchr(hit, '\0', (size_t)(end - hit));
		char *str_end = nul ? nul : end;
		size_t str_len = (size_t)(str_end - hit);
		if (install_replace_text(hit, str_len, placeholder, new_prefix, &seg) != 0)
			goto out;
		/* seg.len <= str_len because np_len <= ph_len. */
		memcpy(hit, seg.data, seg.len);
		memset(hit + seg.len, 0, str_len - seg.len);
		p = str_end;
	}
	rc = 0;
out:
	buf_free(&seg);
	return rc;
}

/* ---- path safety ---- */
