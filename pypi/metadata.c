/* metadata.c — core metadata headers (see metadata.h). Header lines are "Name: value";
 * a line starting with white space continues the previous one; the first empty line ends
 * the headers (the body is the description). Only the fields a resolver needs are kept. */
#include "metadata.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "pypi_int.h"
#include "pyname.h"
#include "xalloc.h"

#define METADATA_MAX_REQUIRES 2000

struct pypi_metadata {
	char *name;
	pep440_ver_t *version;
	pep440_spec_t *requires_python;
	pypi_req_t **requires;
	size_t n_requires;
	pypi_strv_t extras;
};

static int set_field(pypi_metadata_t *m, const char *key, const char *value, const char *origin,
		     err_t *err)
{
	buf_t norm = BUF_INIT;
	if (!strcasecmp(key, "Metadata-Version")) {
		if (strtol(value, NULL, 10) > 2)
			return err_set(
				err,
				"%s: Metadata-Version %.50s is newer than imgbuild reads (2.x)",
				origin, value);
	} else if (!strcasecmp(key, "Name")) {
		free(m->name);
		m->name = xstrdup(value);
	} else if (!strcasecmp(key, "Version")) {
		pep440_ver_free(m->version);
		if (!(m->version = pep440_ver_parse(value, err)))
			return err_prefix(err, "%s: Version", origin);
	} else if (!strcasecmp(key, "Requires-Python")) {
		/* an invalid Requires-Python is ignored, as pip does ("Package has an invalid
		 * Requires-Python"): the index's own attribute decides, or nothing */
		pep440_spec_free(m->requires_python);
		m->requires_python = pep440_spec_parse(value, NULL);
	} else if (!strcasecmp(key, "Requires-Dist")) {
		pypi_req_t *r;
		if (m->n_requires == METADATA_MAX_REQUIRES)
			return err_set(err, "%s: more than %d Requires-Dist", origin,
				       METADATA_MAX_REQUIRES);
		if (!(r = pypi_req_parse(value, err)))
			return err_prefix(err, "%s: Requires-Dist", origin);
		m->requires = xrealloc(m->requires, (m->n_requires + 1) * sizeof *m->requires);
		m->requires[m->n_requires++] = r;
	} else if (!strcasecmp(key, "Provides-Extra")) {
		pypi_name_normalize(value, strlen(value), &norm);
		if (!pypi_strv_contains(&m->extras, buf_cstr(&norm)))
			pypi_strv_add(&m->extras, buf_cstr(&norm));
	}
	buf_free(&norm);
	return 0;
}

/* Reads the next header (with its continuation lines) at *p; 1 = got one, 0 = end of the
 * headers. */
static int next_header(const char **p, const char *end, buf_t *line)
{
	buf_reset(line);
	while (*p < end) {
		const char *nl = memchr(*p, '\n', (size_t)(end - *p));
		const char *stop = nl ? nl : end;
		size_t n = (size_t)(stop - *p);
		if (n && (*p)[n - 1] == '\r')
			n--;
		if (line->len && (n == 0 || !pypi_is_space(**p)))
			return 1; /* the next line starts a new header (or ends them) */
		if (n == 0) {
			*p = end;
			return 0;
		}
		if (line->len)
			buf_addch(line, ' ');
		buf_add(line, *p, n);
		*p = nl ? nl + 1 : end;
	}
	return line->len > 0;
}

static int parse_headers(pypi_metadata_t *m, const char *text, size_t len, const char *origin,
			 err_t *err)
{
	const char *p = text, *end = text + len;
	buf_t line = BUF_INIT;
	int r = 0;
	while (r == 0 && next_header(&p, end, &line)) {
		char *colon = strchr(line.data, ':');
		if (!colon)
			continue; /* not a header; as the email parser, skip it */
		*colon = 0;
		size_t vlen = strlen(colon + 1);
		char *value = xstrndup(pypi_trim(colon + 1, &vlen), vlen);
		r = set_field(m, line.data, value, origin, err);
		free(value);
	}
	buf_free(&line);
	return r;
}

pypi_metadata_t *pypi_metadata_parse(const char *text, size_t len, const char *origin, err_t *err)
{
	pypi_metadata_t *m = xcalloc(1, sizeof *m);
	if (memchr(text, 0, len)) {
		err_set(err, "%s: holds a NUL byte (not a metadata file)", origin);
		goto fail;
	}
	if (parse_headers(m, text, len, origin, err) < 0)
		goto fail;
	if (!m->name || !pypi_name_is_valid(m->name, strlen(m->name)) || !m->version) {
		err_set(err, "%s: no valid Name and Version (not a core metadata file?)", origin);
		goto fail;
	}
	pypi_strv_sort(&m->extras);
	return m;
fail:
	pypi_metadata_free(m);
	return NULL;
}

void pypi_metadata_free(pypi_metadata_t *m)
{
	if (!m)
		return;
	free(m->name);
	pep440_ver_free(m->version);
	pep440_spec_free(m->requires_python);
	for (size_t i = 0; i < m->n_requires; i++)
		pypi_req_free(m->requires[i]);
	free(m->requires);
	pypi_strv_free(&m->extras);
	free(m);
}

const char *pypi_metadata_name(const pypi_metadata_t *m)
{
	return m->name;
}

const pep440_ver_t *pypi_metadata_version(const pypi_metadata_t *m)
{
	return m->version;
}

const pep440_spec_t *pypi_metadata_requires_python(const pypi_metadata_t *m)
{
	return m->requires_python;
}

size_t pypi_metadata_requires_count(const pypi_metadata_t *m)
{
	return m->n_requires;
}

const pypi_req_t *pypi_metadata_requires(const pypi_metadata_t *m, size_t i)
{
	return m->requires[i];
}

size_t pypi_metadata_extra_count(const pypi_metadata_t *m)
{
	return m->extras.n;
}

const char *pypi_metadata_extra(const pypi_metadata_t *m, size_t i)
{
	return m->extras.v[i];
}
