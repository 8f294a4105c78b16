/* log.c — formatting in front of the log callback (see log.h). */
#include "log.h"

#include <stdarg.h>

#include "buf.h"

void log_msgf(log_fn log, void *ud, const char *fmt, ...)
{
	buf_t m = BUF_INIT;
	va_list ap;
	if (!log)
		return;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	log(ud, buf_cstr(&m));
	buf_free(&m);
}
