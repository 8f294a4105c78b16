/* pyname.h — Python project names: the PEP 508 syntax (letters, digits, "-", "_", ".",
 * starting and ending with a letter or digit) and the PEP 503 normalised form (lower case,
 * every run of "-", "_", "." as one "-"), under which "Flask_SocketIO", "flask-socketio" and
 * "flask.socketio" are one project. Extras compare the same way (PEP 685). */
#ifndef IMGBUILD_PYNAME_H
#define IMGBUILD_PYNAME_H

#include <stddef.h>

#include "buf.h"

#define PYPI_NAME_MAX 200 /* longer names are refused */

/* 1 when name[0..len) is a valid project name (PEP 508), else 0. */
int pypi_name_is_valid(const char *name, size_t len);
/* Sets out to the normalised form of name[0..len). */
void pypi_name_normalize(const char *name, size_t len, buf_t *out);
/* 1 when a and b normalise to the same name. */
int pypi_name_eq(const char *a, const char *b);

#endif
