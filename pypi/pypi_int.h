/* pypi_int.h — small helpers shared by the files of pypi/ (private to the module): a
 * growable list of owned strings and white-space trimming. */
#ifndef IMGBUILD_PYPI_INT_H
#define IMGBUILD_PYPI_INT_H

#include <stddef.h>

typedef struct pypi_strv {
	char **v;
	size_t n;
} pypi_strv_t;

#define PYPI_STRV_INIT                                                                             \
	{                                                                                          \
		NULL, 0                                                                            \
	}

void pypi_strv_push(pypi_strv_t *s, char *owned);    /* takes ownership */
void pypi_strv_add(pypi_strv_t *s, const char *str); /* copies */
void pypi_strv_addn(pypi_strv_t *s, const char *str, size_t len);
int pypi_strv_contains(const pypi_strv_t *s, const char *str);
void pypi_strv_sort(pypi_strv_t *s); /* bytewise strcmp order */
void pypi_strv_free(pypi_strv_t *s);

/* s[0..*len) with white space removed at both ends: returns the new start, updates *len. */
const char *pypi_trim(const char *s, size_t *len);
int pypi_is_space(char c);

#endif
