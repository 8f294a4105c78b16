/* pkg.h — reads a conda package archive as a stream of members, without unpacking it:
 * `.tar.bz2` (whatever compression libarchive detects: some old ".tar.bz2" files are gzip)
 * and `.conda` (an uncompressed zip holding info-<dist>.tar.zst and pkg-<dist>.tar.zst, whose
 * inner tars are streamed through a second libarchive reader fed from the outer one).
 * Member sizes, name lengths and counts are capped; names are returned as stored (the caller
 * decides what is safe: see install.c). */
#ifndef IMGBUILD_PKG_H
#define IMGBUILD_PKG_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "pkgrec.h"

typedef struct pkg pkg_t;

typedef enum {
	PKG_ENTRY_FILE, /* regular file; data via pkg_read_data / pkg_extract_to_fd */
	PKG_ENTRY_DIR,
	PKG_ENTRY_SYMLINK,  /* symlink_target set */
	PKG_ENTRY_HARDLINK, /* hardlink_target set (another member's name) */
	PKG_ENTRY_OTHER,    /* device, fifo, socket: never installed; other_kind names it */
} pkg_entry_type_t;

typedef enum {
	PKG_PART_INFO, /* metadata: info-*.tar.zst, or info/... in a .tar.bz2 */
	PKG_PART_PKG,  /* payload */
} pkg_part_t;

typedef struct pkg_entry {
	const char *name; /* as stored in the archive */
	pkg_entry_type_t type;
	unsigned mode;               /* permission bits (07777) as stored */
	long long size_bytes;        /* data size for PKG_ENTRY_FILE, else 0 */
	const char *symlink_target;  /* PKG_ENTRY_SYMLINK only, else NULL */
	const char *hardlink_target; /* PKG_ENTRY_HARDLINK only, else NULL */
	const char *other_kind;      /* PKG_ENTRY_OTHER: "character device", "fifo", ... */
	pkg_part_t part;
} pkg_entry_t;

/* Caps on untrusted archives. A member larger than this is refused (CUDA libraries reach
 * about 1.5 GiB, so the cap is generous). */
#define PKG_MAX_MEMBER_BYTES (8LL << 30)
#define PKG_MAX_MEMBERS 500000
#define PKG_MAX_NAME_BYTES 4096

/* Opens path (format detected from its first bytes: "PK" is .conda, anything else is a
 * compressed tar). Caller frees with pkg_free. NULL + err naming the file on failure. */
pkg_t *pkg_open(const char *path, err_t *err);
/* A .tar.bz2's tar, decompressed once into fd (a temporary file), read again as often as
 * needed without decompressing (pkg/install_stream.c, when info/ comes after the payload):
 * pkg_decompress_to_fd writes the decompressed bytes (at most max_bytes when > 0: more is an
 * error naming the archive; fd stays the caller's), pkg_open_tar_fd reads fd from its start
 * as an uncompressed tar whose messages name shown_as (the archive); fd becomes the reader's
 * (closed by pkg_free, also on failure), so give each reader its own open file. */
int pkg_decompress_to_fd(const char *path, int fd, long long max_bytes, err_t *err);
pkg_t *pkg_open_tar_fd(int fd, const char *shown_as, err_t *err);
/* Caps the total data of the file members at max_bytes (<= 0: no cap beyond the per-member
 * one): the sizes their headers declare are summed as headers are read, so a bomb fails
 * before its data is written, and the bytes actually read are counted too. Exceeding it is an
 * error naming the archive, the member and the cap. */
void pkg_set_max_total_bytes(pkg_t *p, long long max_bytes);
/* A .conda's payload tar (pkg-*.tar.zst) is skipped whole, never decompressed: pkg_next gives
 * the info members only. No effect on a .tar.bz2 (one stream: the caller stops reading). */
void pkg_skip_payload(pkg_t *p);
/* Advances to the next member. Returns 1 and points *e at it (borrowed; valid until the next
 * pkg_next or pkg_free), 0 at the end, -1 with err naming the archive and member. Unread
 * data of the previous member is skipped. */
int pkg_next(pkg_t *p, const pkg_entry_t **e, err_t *err);
/* Reads up to len bytes of the current file member's data. Returns the byte count
 * (0 at its end) or -1 with err. */
ssize_t pkg_read_data(pkg_t *p, void *buf, size_t len, err_t *err);
/* Streams the rest of the current member's data into fd. 0 or -1 with err. */
int pkg_extract_to_fd(pkg_t *p, int fd, err_t *err);
/* "zlib-1.2.13-h166bdaf_4" from the archive's file name (borrowed). */
const char *pkg_dist(const pkg_t *p);
/* 1 when the archive is a .conda (zip) package. */
int pkg_is_conda(const pkg_t *p);
void pkg_free(pkg_t *p);

/* Completes a record read from a lock (r->raw NULL) from its downloaded, verified archive:
 * size, the md5/sha256 the lock lacked, depends/constrains when the lock had none (@EXPLICIT),
 * and r->raw = the repodata record a channel index writes for the archive (info/index.json +
 * md5, sha256, size). So a build from a lock writes the same conda-meta bytes, and gets the
 * same layer-cache keys, as one that solved against the channel. A record that already has
 * raw (from repodata) is left as it is. */
int pkg_complete_record(pkgrec_t *r, const char *archive, err_t *err);

#endif
