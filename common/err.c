/* err.c — formatted error messages carried up the call chain (see err.h). */
#include "err.h"
#include "buf.h"

#include <stdlib.h>

int err_setv(err_t *err, const char *fmt, va_list ap)
{
	buf_t b = BUF_INIT;
	if (!err)
		return -1;
	buf_vaddf(&b, fmt, ap);
	free(err->msg);
	err->msg = buf_detach(&b);
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
	err->msg = buf_detach(&b);
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
