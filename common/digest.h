/* digest.h — streaming SHA-256 (and MD5 for old repodata) over OpenSSL EVP.
 * Used wherever bytes flow: downloads, layer blobs, diff_ids. Hex output is lower-case. */
#ifndef IMGBUILD_DIGEST_H
#define IMGBUILD_DIGEST_H

#include <stddef.h>

#include "err.h"

typedef struct digest digest_t;

typedef enum { DIGEST_SHA256, DIGEST_MD5 } digest_kind_t;

#define DIGEST_HEX_MAX 65 /* 64 hex chars + NUL */

/* Caller frees with digest_free. Never NULL (out of memory aborts: xalloc.h). */
digest_t *digest_new(digest_kind_t kind);
void digest_update(digest_t *d, const void *data, size_t len);
/* Writes lower-case hex + NUL into hex (DIGEST_HEX_MAX bytes). May be called once. */
void digest_final_hex(digest_t *d, char hex[DIGEST_HEX_MAX]);
void digest_free(digest_t *d);

/* Digest of a whole file, streamed. 0 or -1 with err naming the file. */
int digest_file_hex(digest_kind_t kind, const char *path, char hex[DIGEST_HEX_MAX], err_t *err);
void digest_buf_hex(digest_kind_t kind, const void *data, size_t len, char hex[DIGEST_HEX_MAX]);
/* 1 when s is exactly n_digits hex digits (either case), else 0; NULL gives 0. */
int digest_is_hex(const char *s, size_t n_digits);

/* OCI content digests ("sha256:<64 lower-case hex>"), the only algorithm imgbuild writes or
 * accepts. digest_oci_hex returns the hex part of such a digest (borrowed, inside digest), or
 * NULL when digest is anything else: a NULL return is the check that it can safely name a
 * file (blobs/sha256/<hex>) or a cache entry. */
#define DIGEST_OCI_PREFIX "sha256:"
#define DIGEST_OCI_MAX 72 /* "sha256:" + 64 hex + NUL */
const char *digest_oci_hex(const char *digest);
/* Writes "sha256:<hex>" into out (DIGEST_OCI_MAX bytes) from a 64-digit hex string. */
void digest_oci_from_hex(const char *hex, char out[DIGEST_OCI_MAX]);

#endif
