/* lcache.h — the local, content-addressed layer cache. A layer's key is the
 * SHA-256 of a canonical JSON document naming everything its bytes depend on
 * (docs/layer-format.md, "Layer cache key"); the value is the compressed blob
 * plus its digest, diff_id, size and media type. Layout under the cache root
 * (by default <cache-dir>/layers): blobs/sha256/<hex>   blobs, stored once
 * whatever the number of keys pointing at them keys/<key>.json      index
 * entries {digest, diff_id, size, media_type, group, packages, records, key_input}
 *   verified/<hex>       "size mtime_ns ino" of the blob file when it was last
 * hashed tmp/<pid>-*          files being written (swept once their process is
 * gone: scratch.h naming) lock                 flock()ed around every change, so concurrent
 * builds cannot interleave Every file appears under its final name by rename(),
 * so a reader never sees a half-written entry and a build killed at any moment
 * leaves the cache valid. A blob whose size, mtime or inode no longer match its
 * verified/ stamp is re-hashed before use; a mismatch evicts the entry and the
 * caller rebuilds the layer. Thread- and process-safe. */
#ifndef IMGBUILD_LCACHE_H
#define IMGBUILD_LCACHE_H

#include <stddef.h>

#include "buf.h"
#include "digest.h"
#include "err.h"
#include "layer.h"
#include "pkgrec.h"

/* docs/layer-format.md's "layer-format version" goes into every key: any change
 * to the bytes a layer gets for the same inputs must change every key. */
#ifdef LAYER_FORMAT_VERSION
#define LCACHE_LAYER_FORMAT LAYER_FORMAT_VERSION
#else
#define LCACHE_LAYER_FORMAT 1
#endif

typedef struct lcache lcache_t;

/* Everything a layer's bytes depend on. */
typedef struct lcache_key_input {
	const layer_opts_t *layer;   /* compression, level (0 = its default), mtime */
	const char *image_prefix;    /* absolute prefix in the image */
	const char *python_version;  /* "3.11"; only keyed when a package is noarch: python */
	const pkgrec_t *const *pkgs; /* the group's packages (borrowed), any order */
	size_t n_pkgs;
} lcache_key_input_t;

/* Computes the key (64 lower-case hex) and, when canonical is not NULL, the
 * canonical JSON it hashes. -1 (and err naming the package) when a package has
 * neither sha256 nor md5: such a layer cannot be keyed and must simply be
 * built. */
int lcache_key(const lcache_key_input_t *in, char key_hex[DIGEST_HEX_MAX], buf_t *canonical,
	       err_t *err);

/* Opens (creating) the cache rooted at root and sweeps temporary files of dead
 * processes. Caller frees. */
lcache_t *lcache_open(const char *root, err_t *err);
void lcache_free(lcache_t *c);

/* What a lookup found. */
typedef enum {
	LCACHE_MISS = 0,    /* no entry */
	LCACHE_HIT = 1,     /* entry and a verified blob */
	LCACHE_EVICTED = 2, /* entry whose blob was missing, truncated or corrupt: removed */
} lcache_status_t;

/* Looks key up without touching the blob (for `imgbuild plan`): HIT when the
 * entry exists and its blob has the recorded size. Fills out on a hit. Never
 * fails: errors read as MISS. */
lcache_status_t lcache_peek(lcache_t *c, const char *key_hex, layer_desc_t *out);

/* Looks key up and, on a hit, places the blob at dest_blobs_dir/<hex>
 * (hardlink, else copy) and verifies it there (stamp or full SHA-256), so the
 * layer is secured before the caller decides not to build it. Fills out
 * (media_type is a static string). A bad blob is removed from dest and from the
 * cache and reported as LCACHE_EVICTED with why in *why (static string, may be
 * NULL). -1 only on I/O errors worth stopping for (dest not writable). */
int lcache_fetch(lcache_t *c, const char *key_hex, const char *dest_blobs_dir, layer_desc_t *out,
		 lcache_status_t *status, const char **why, err_t *err);

/* Records a freshly built layer: blob_path (complete, its digest as in desc) is
 * hardlinked (else copied) into the cache, then the entry is written. group and
 * the package list (dists) are informational; key_input is the canonical JSON
 * (stored for debugging). */
int lcache_store(lcache_t *c, const char *key_hex, const char *blob_path, const layer_desc_t *desc,
		 const char *group, const pkgrec_t *const *pkgs, size_t n_pkgs,
		 const char *key_input, err_t *err);

/* The package records stored with key's entry (common/pkgrec_list.h: what the layer's SBOM
 * is made from) into out: 1 when the entry has them, 0 when it is absent or older than them
 * (out empty). Never fails; the caller checks the document (pkgrec_list_read). */
int lcache_records(lcache_t *c, const char *key_hex, buf_t *out);

#endif
