/* digest.h — streaming SHA-256 (and MD5 for old repodata) over OpenSSL EVP.
 * Used wherever bytes flow: downloads, layer blobs, diff_ids. Hex output is lower-case. */
#ifndef IMGBUILD_DIGEST_H
#define IMGBUILD_DIGEST_H

#include <stddef.h>

#include "err.h"

typedef struct digest digest_t;

typedef enum { DIGEST_SHA256, DIGEST_MD5 } digest_kind_t;

#define DIGEST_HEX_MAX 65 /* 64 hex chars + NUL */

/* Caller frees with digest_free. Returns NULL only on allocation failure. */
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

#endif
