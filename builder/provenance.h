/* provenance.h — who built an image and from what, as an in-toto Statement v1 carrying a SLSA
 * Provenance v1 predicate (issue 15 part 3): the builder and its version, the environment
 * file's and lock's sha256, the channels, the recipe, the platform, SOURCE_DATE_EPOCH and every
 * resolved package by digest. The document is deterministic: no start/finish times, packages
 * by name, jansson's sorted keys without whitespace (docs/sbom.md, "Provenance"). Never
 * prints. */
#ifndef IMGBUILD_PROVENANCE_H
#define IMGBUILD_PROVENANCE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "pkgrec.h"

typedef enum { PROVENANCE_NONE = 0, PROVENANCE_SLSA } provenance_format_t;

/* The artifact type and the blob's media type of an in-toto statement. */
#define PROVENANCE_MT "application/vnd.in-toto+json"
#define PROVENANCE_PREDICATE_TYPE "https://slsa.dev/provenance/v1"
#define PROVENANCE_BUILDER_ID "urn:imgbuild:builder:cli"
#define PROVENANCE_BUILD_TYPE "urn:imgbuild:build-type:conda-environment:v1"

/* A named input and the sha256 (64 lower-case hex) of its bytes. Borrowed. */
typedef struct provenance_file {
	const char *name; /* file name as given on the command line, without its directory */
	const char *sha256;
} provenance_file_t;

/* Everything the statement says. Strings and records borrowed. */
typedef struct provenance_input {
	const char *name;                  /* image (environment) name: the subject's name */
	const char *manifest_digest;       /* the subject, "sha256:<64 hex>" */
	const provenance_file_t *env_file; /* NULL: --lock without an environment file */
	const provenance_file_t *lock;     /* NULL: solved */
	provenance_file_t recipe;          /* --recipe, or the built-in one */
	const char *const *channels;       /* as written, search order */
	size_t n_channels;
	const char *platform; /* "linux/amd64" */
	const char *prefix;   /* the environment's prefix in the image */
	long long source_date_epoch;
	const pkgrec_t *const *pkgs; /* resolved packages, any order (written sorted by name) */
	size_t n_pkgs;
} provenance_input_t;

/* "none" or "slsa" into *out; anything else is an error naming it. */
int provenance_format_parse(const char *s, provenance_format_t *out, err_t *err);

/* The statement as JSON into out (replaced). -1 with err for a subject digest that is not
 * sha256:<64 hex> or a package without a sha256 (a digest is what provenance is for). */
int provenance_write(const provenance_input_t *in, buf_t *out, err_t *err);

#endif
