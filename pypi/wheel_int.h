/* wheel_int.h — the parts of the wheel installer (wheel.c) that live in their own files:
 * RECORD (CSV rows, hashes as urlsafe base64 without padding) and scripts (shebangs,
 * entry-point launchers). Private to pypi/. */
#ifndef IMGBUILD_WHEEL_INT_H
#define IMGBUILD_WHEEL_INT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

typedef struct wheel_record_row {
	char *path;
	char *algo;     /* "sha256", "sha384", "sha512"; NULL for a row without hash (RECORD) */
	char *hash;     /* urlsafe base64, no padding */
	long long size; /* -1 when empty */
	int seen;
} wheel_record_row_t;

typedef struct wheel_record {
	wheel_record_row_t *rows; /* sorted by path */
	size_t n;
} wheel_record_t;

/* Parses RECORD text; wheel names the wheel in messages. Duplicate paths, hashes other than
 * sha256/384/512 and hashed rows without a size are errors. */
int wheel_record_parse(const char *text, size_t len, const char *wheel, wheel_record_t *out,
		       err_t *err);
wheel_record_row_t *wheel_record_find(const wheel_record_t *r, const char *path);
void wheel_record_free(wheel_record_t *r);
/* Appends one CSV field (quoted when it holds a comma, quote or line break). */
void wheel_csv_add_field(buf_t *b, const char *field);

/* A streaming hash of a RECORD algorithm (OpenSSL EVP). */
typedef struct wheel_hash wheel_hash_t;
wheel_hash_t *wheel_hash_new(const char *algo); /* NULL for an unknown algorithm */
void wheel_hash_update(wheel_hash_t *h, const void *data, size_t len);
/* Writes the digest as urlsafe base64 without padding into out and frees h. */
void wheel_hash_final(wheel_hash_t *h, buf_t *out);

/* One console_scripts / gui_scripts entry point. */
typedef struct wheel_entry_point {
	char *name, *module, *attr; /* "markdown_py", "markdown.__main__", "run" */
} wheel_entry_point_t;

/* Reads the script entry points of entry_points.txt (INI). Names must be plain file names and
 * references dotted Python identifiers ("module:object.attr"), since they are written into
 * Python source and file names. */
int wheel_entry_points_parse(const char *text, size_t len, const char *wheel,
			     wheel_entry_point_t **out, size_t *n, err_t *err);
void wheel_entry_points_free(wheel_entry_point_t *eps, size_t n);
/* The launcher script for ep, run by python. */
void wheel_launcher(const char *python, const wheel_entry_point_t *ep, buf_t *out);

/* ------------------------------------------------------------------ one installation */

#include "pypi_int.h"
#include "wheel.h"

enum { META_WHEEL, META_METADATA, META_RECORD, META_ENTRY_POINTS, META_COUNT };

typedef struct wheel_inst {
	const pypi_wheel_opts_t *o;
	const char *wheel;   /* the file name, for messages (borrowed) */
	char *dist_info;     /* "six-1.16.0.dist-info" */
	char *data_dir;      /* "six-1.16.0.data" */
	char *project;       /* METADATA's Name (the headers directory) */
	int root_is_purelib; /* both map to site-packages in the conda scheme */
	buf_t meta[META_COUNT];
	wheel_record_t record;
	wheel_entry_point_t *eps;
	size_t n_eps;
	pypi_strv_t names;     /* every regular member, sorted */
	pypi_strv_t installed; /* rows of the new RECORD */
	buf_t site;            /* "lib/python3.11/site-packages" */
	buf_t python;          /* the interpreter scripts run with */
	buf_t tmp;             /* the temporary root, renamed to dest_dir at the end */
	int rootfd;
} wheel_inst_t;

/* Pass 2 (wheel_extract.c): writes every member, verified against RECORD. */
int wheel_extract(wheel_inst_t *in, const char *wheel_path, err_t *err);
/* Launchers, INSTALLER, REQUESTED, direct_url.json and the new RECORD. */
int wheel_write_generated(wheel_inst_t *in, err_t *err);

#endif
