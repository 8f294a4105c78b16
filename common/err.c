/* err.c — formatted error messages carried up the call chain (see err.h). */
#include "err.h"
#include "buf.h"

#include <stdlib.h>

/* Messages quote what channels, registries and files said: control characters in them
 * (a CR that rewrites the terminal line, an escape sequence) become "\xHH". Newlines stay, as
 * the solver's explanations span lines; tabs stay. */
static char *detach_printable(buf_t *b)
{
	buf_t out = BUF_INIT;
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			buf_addf(&out, "\\x%02x", c);
		else
			buf_addch(&out, (char)c);
	}
	buf_grow(&out, 0);
	buf_free(b);
	return buf_detach(&out);
}

int err_setv(err_t *err, const char *fmt, va_list ap)
{
	buf_t b = BUF_INIT;
	if (!err)
		return -1;
	buf_vaddf(&b, fmt, ap);
	free(err->msg);
	err->msg = detach_printable(&b);
	err->hint = ERR_HINT_NONE;
	return -1;
}

int err_set(err_t *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_setv(err, fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(err_t *err, const char *fmt, ...)
{
	buf_t b = BUF_INIT;
	va_list ap;
	if (!err)
		return -1;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	buf_addf(&b, ": %s", err->msg ? err->msg : "unknown error");
	free(err->msg);
	err->msg = detach_printable(&b);
	return -1;
}

int err_set_hint(err_t *err, int hint)
{
	if (err)
		err->hint = hint;
	return -1;
}

const char *err_msg(const err_t *err)
{
	return (err && err->msg) ? err->msg : "";
}

void err_clear(err_t *err)
{
	if (!err)
		return;
	free(err->msg);
	err->msg = NULL;
	err->hint = ERR_HINT_NONE;
}
