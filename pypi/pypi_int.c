/* pypi_int.c — the module's private helpers (see pypi_int.h). */
#include "pypi_int.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void pypi_strv_push(pypi_strv_t *s, char *owned)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	s->v[s->n++] = owned;
}

void pypi_strv_add(pypi_strv_t *s, const char *str)
{
	pypi_strv_push(s, xstrdup(str));
}

void pypi_strv_addn(pypi_strv_t *s, const char *str, size_t len)
{
	pypi_strv_push(s, xstrndup(str, len));
}

int pypi_strv_contains(const pypi_strv_t *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void pypi_strv_sort(pypi_strv_t *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

void pypi_strv_free(pypi_strv_t *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int pypi_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

const char *pypi_trim(const char *s, size_t *len)
{
	while (*len && pypi_is_space(s[*len - 1]))
		(*len)--;
	while (*len && pypi_is_space(*s)) {
		s++;
		(*len)--;
	}
	return s;
}
