/* req.h — one PEP 508 dependency specification: a project name, extras, a version specifier
 * set or a direct URL ("name @ https://.../x.whl"), and an environment marker, as written in
 * Requires-Dist and in pip requirement lines ("pydantic[email,dotenv]==1.10.10",
 * "tomli>=1.1; python_version < '3.11'"). Immutable once parsed. */
#ifndef IMGBUILD_REQ_H
#define IMGBUILD_REQ_H

#include <stddef.h>

#include "err.h"
#include "marker.h"
#include "pep440.h"

typedef struct pypi_req pypi_req_t;

/* Parses s. Caller frees with pypi_req_free; NULL + err ("invalid requirement '<s>': ...")
 * naming what is wrong. */
pypi_req_t *pypi_req_parse(const char *s, err_t *err);
pypi_req_t *pypi_req_dup(const pypi_req_t *r); /* caller frees */
void pypi_req_free(pypi_req_t *r);

/* All returned pointers are borrowed from r. */
const char *pypi_req_name(const pypi_req_t *r); /* as written: "Flask_SocketIO" */
const char *pypi_req_key(const pypi_req_t *r);  /* PEP 503 normalised: "flask-socketio" */
size_t pypi_req_extra_count(const pypi_req_t *r);
const char *pypi_req_extra(const pypi_req_t *r, size_t i); /* normalised, sorted, unique */
const pep440_spec_t *pypi_req_spec(const pypi_req_t *r);   /* never NULL; empty: any version */
const char *pypi_req_url(const pypi_req_t *r);             /* direct URL, or NULL */
const pypi_marker_t *pypi_req_marker(const pypi_req_t *r); /* NULL when none */
/* The requirement in normal form: 'name[a,b]>=1.0; python_version < "3.10"'. */
const char *pypi_req_str(const pypi_req_t *r);

/* 1 when r applies to env (no marker, or its marker is true with "extra" = extra, NULL
 * meaning none), 0 when not, -1 + err when its marker cannot be evaluated. */
int pypi_req_applies(const pypi_req_t *r, const pypi_marker_env_t *env, const char *extra,
		     err_t *err);

/* Builds a requirement from parts (a resolver's extra node, a wheel named by its file): key
 * is normalised again, spec may be NULL (any version). Caller frees. */
pypi_req_t *pypi_req_new(const char *name, const char *const *extras, size_t n_extras,
			 const pep440_spec_t *spec, const char *url);

#endif
