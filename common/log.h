/* log.h — the one progress/warning callback type every library reports through (libraries
 * never print: ../shared/CONVENTIONS.md §1). The CLI installs one that writes to stderr; a
 * library that has something to say calls log_msgf, which does nothing when no callback is
 * set. Messages are one line, without a trailing newline. */
#ifndef IMGBUILD_LOG_H
#define IMGBUILD_LOG_H

#include "err.h"

/* ud is the caller's pointer given with the callback; msg is borrowed for the call. */
typedef void (*log_fn)(void *ud, const char *msg);

/* Formats and hands the message to log (nothing when log is NULL). */
void log_msgf(log_fn log, void *ud, const char *fmt, ...) ERR_PRINTF(3, 4);

#endif
