/* pyname.c — project name syntax and normalisation (see pyname.h). */
#include "pyname.h"

#include <ctype.h>
#include <string.h>

static int is_name_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

int pypi_name_is_valid(const char *name, size_t len)
{
	if (len == 0 || len > PYPI_NAME_MAX)
		return 0;
	if (!isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[len - 1]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !is_name_sep(name[i]))
			return 0;
	return 1;
}

void pypi_name_normalize(const char *name, size_t len, buf_t *out)
{
	buf_reset(out);
	for (size_t i = 0; i < len; i++) {
		if (is_name_sep(name[i])) {
			while (i + 1 < len && is_name_sep(name[i + 1]))
				i++;
			buf_addch(out, '-');
		} else {
			buf_addch(out, (char)tolower((unsigned char)name[i]));
		}
	}
	buf_grow(out, 0);
}

int pypi_name_eq(const char *a, const char *b)
{
	buf_t x = BUF_INIT, y = BUF_INIT;
	pypi_name_normalize(a, strlen(a), &x);
	pypi_name_normalize(b, strlen(b), &y);
	int eq = strcmp(buf_cstr(&x), buf_cstr(&y)) == 0;
	buf_free(&x);
	buf_free(&y);
	return eq;
}
