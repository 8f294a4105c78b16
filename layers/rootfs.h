/* rootfs.h — the root filesystem basics an environment needs when the base image lacks them
 * (docs/base-images.md, "Root filesystem layer"): /etc/passwd and /etc/group with root and the
 * --user account, /etc/nsswitch.conf, /tmp (1777), /root, the account's home, and
 * /etc/ssl/certs/ca-certificates.crt pointing into the environment's ca-certificates. Each path
 * is written only where the base image has nothing (a base file is never replaced, a base
 * directory never re-stated, nothing is written through a base symlink), in one small layer
 * whose bytes follow docs/layer-format.md ("Root filesystem layer"). */
#ifndef IMGBUILD_ROOTFS_H
#define IMGBUILD_ROOTFS_H

#include <stddef.h>

#include "basefs.h"
#include "buf.h"
#include "err.h"
#include "layer.h"
#include "log.h"
#include "pkgrec.h"

/* The uid (and gid) an account given by name gets: the first regular user on Debian. */
#define ROOTFS_NAMED_UID 1000
/* Ids above this are refused (ids are signed 32-bit in much software; (uid_t)-1 is "none"). */
#define ROOTFS_ID_MAX 2147483647u

/* --user, parsed. */
typedef struct rootfs_user {
	char *name; /* the account name: NAME, "root" for uid 0, "user" for another UID */
	unsigned uid, gid;
	int is_named; /* given as NAME (ids chosen here) rather than UID[:GID] */
} rootfs_user_t;

/* Parses "UID", "UID:GID" or "NAME" (a portable user name: [a-z_][a-z0-9_-]*, at most 32
 * bytes; "root" is uid 0, any other NAME uid and gid ROOTFS_NAMED_UID). UID alone means
 * gid = uid. Fills out (free with rootfs_user_clear); -1 and err saying what is accepted. */
int rootfs_user_parse(const char *spec, rootfs_user_t *out, err_t *err);
void rootfs_user_clear(rootfs_user_t *u);

typedef struct rootfs_opts {
	const char *image_prefix;    /* the environment's absolute prefix (the CA link target) */
	const char *user;            /* --user as given; NULL = root only */
	const basefs_t *base;        /* the base image's files; NULL = none (no --base, scratch) */
	const pkgrec_t *const *pkgs; /* the solved environment (borrowed for the call) */
	size_t n_pkgs;
	log_fn log; /* notes about what the base decides for us; may be NULL */
	void *log_ud;
} rootfs_opts_t;

typedef struct rootfs rootfs_t;

/* Decides the layer's entries (nothing is written yet). NULL and err on a bad --user.
 * Caller frees with rootfs_free. */
rootfs_t *rootfs_plan(const rootfs_opts_t *opts, err_t *err);
void rootfs_free(rootfs_t *rf); /* NULL is a no-op */

/* Entries planned; 0 when the base already has everything: then no layer is made. */
size_t rootfs_entry_count(const rootfs_t *rf);
/* The planned entry names, space-separated in layer order ("etc/ etc/group ... tmp/"),
 * directories with a trailing "/" (for log lines and the history entry). Borrowed. */
const char *rootfs_summary(const rootfs_t *rf);
/* The image config's User for --user: "UID:GID" (numeric, so that Kubernetes' runAsNonRoot
 * can check it), or NAME when the base image's own /etc/passwd must define the account (it
 * has one, so this layer wrote none). NULL without --user. Borrowed. */
const char *rootfs_config_user(const rootfs_t *rf);

/* Writes the layer into blobs_dir (compression, level and mtime from opts; see layer_build).
 * An error when rootfs_entry_count is 0. */
int rootfs_build(const rootfs_t *rf, const layer_opts_t *opts, const char *blobs_dir,
		 layer_desc_t *out, err_t *err);

#endif
