/* index.h — the package index client: a project's files from PEP 691 JSON simple APIs (with
 * the PEP 503 HTML fallback a server answers with when it has no JSON), from find-links
 * pages and file:// find-links directories; each file's requires-python, yanked state (PEP
 * 592) and core-metadata file (PEP 658, under its PEP 714 name or the old one) kept; the
 * file's rank among the target's wheel tags (tags.h). Core metadata is read from the
 * .metadata file when the index has one (no wheel download), else from the wheel's own
 * METADATA. Every download is verified by sha256 and cached content-addressed under
 * <cache_dir>/pypi/ (files/<sha256>, metadata/<sha256 of the wheel>), written by atomic
 * rename, so a cache entry present is complete. All bytes come through opts.fetcher. */
#ifndef IMGBUILD_INDEX_H
#define IMGBUILD_INDEX_H

#include <stddef.h>

#include "distfile.h"
#include "err.h"
#include "metadata.h"
#include "pyfetch.h"
#include "tags.h"

typedef struct pypi_index pypi_index_t;

typedef struct pypi_index_opts {
	const char *const *index_urls; /* simple API roots, the primary first; none: --no-index */
	size_t n_index_urls;
	const char *const *find_links; /* URLs: file:// directories, or HTML pages of links */
	size_t n_find_links;
	const char *cache_dir;       /* required */
	pypi_fetcher_t fetcher;      /* required */
	const pypi_target_t *target; /* required: requires-python and tag ranks */
	int offline; /* fetch nothing: pages, metadata and files from the cache only */
} pypi_index_opts_t;

/* One distribution file of a project (all fields owned by the index; read-only). */
typedef struct pypi_file {
	char *filename;
	char *url;                      /* absolute, without fragment */
	char *source;                   /* the index or find-links URL it was listed by */
	char sha256[65];                /* lower-case hex; "" when the source gave none */
	pypi_distfile_t *dist;          /* name, version and tags from the file name */
	pep440_spec_t *requires_python; /* NULL: none, or invalid (ignored, as pip does) */
	int python_ok;                  /* requires_python admits the target's python */
	int yanked;
	char *yank_reason;        /* NULL when not yanked or no reason given */
	int has_metadata;         /* PEP 658/714: <url>.metadata exists */
	char metadata_sha256[65]; /* its sha256 when the index gave one, else "" */
	long long size;           /* -1 when unknown */
	long rank;                /* pypi_target_wheel_rank: -1 for sdists and foreign wheels */
} pypi_file_t;

/* Caller frees with pypi_index_free. NULL + err when an option is missing. Copies the URL
 * lists; borrows cache_dir, the fetcher and the target for its lifetime. */
pypi_index_t *pypi_index_new(const pypi_index_opts_t *opts, err_t *err);
void pypi_index_free(pypi_index_t *ix);

/* The files of project name (any spelling) from every source, in source order (indexes
 * first, then find-links), each source's files in its order. Fetched once per project;
 * *files is borrowed from ix. A project no source has gives 0 files, not an error; a source
 * that fails (unreachable, a malformed page, an api-version 2) is an error naming its URL. */
int pypi_index_project(pypi_index_t *ix, const char *name, const pypi_file_t *const **files,
		       size_t *n, err_t *err);

/* A file named by a direct URL ("name @ https://.../x.whl#sha256=..."): not listed anywhere,
 * its hash from the URL's #sha256= fragment if any. Borrowed from ix. */
const pypi_file_t *pypi_index_url_file(pypi_index_t *ix, const char *url, err_t *err);

/* The core metadata of f (a wheel): its .metadata file, verified against the index's hash,
 * or, when there is none, the METADATA in the downloaded wheel. Checked to name f's project
 * and version. Caller frees. */
pypi_metadata_t *pypi_index_metadata(pypi_index_t *ix, const pypi_file_t *f, err_t *err);

/* Makes f available locally: its cached copy, or a download verified against f->sha256 and
 * expected_sha256 (a --hash pin, or NULL). A file without any hash is only accepted from
 * https or file:// (its hash is computed then). Sets path to the local file (inside the
 * cache, or the find-links file itself) and sha256_hex to its sha256. */
int pypi_index_download(pypi_index_t *ix, const pypi_file_t *f, const char *expected_sha256,
			buf_t *path, char sha256_hex[65], err_t *err);

#endif
