/* layout.h — the one reader and writer of OCI image layouts (image-spec "image-layout"):
 * the oci-layout file, index.json and its ref names, blobs/sha256/<hex>, and the JSON of the
 * manifests and image indexes (Docker schema 2 and manifest lists too) that a layout or a
 * registry holds; every media type and annotation name imgbuild reads or writes is here.
 * Rules (docs/layer-format.md, "Image JSON" and "Image layouts"): a digest names a file only
 * after digest_oci_hex accepted it; a blob read for use is checked against its descriptor
 * (size and SHA-256); every file is written atomically and index.json last; JSON is written
 * with sorted keys and no whitespace. Owns: layout files and manifest/index JSON. May call:
 * common/ (buf, digest, fsutil, xalloc) and jansson. Never prints. */
#ifndef IMGBUILD_LAYOUT_H
#define IMGBUILD_LAYOUT_H

#include <stddef.h>

#include "buf.h"
#include "digest.h"
#include "err.h"

#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_EMPTY "application/vnd.oci.empty.v1+json"
#define OCI_MT_LAYER "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define OCI_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
/* The tag of an index.json entry (what skopeo's oci:DIR:TAG and umoci's DIR:TAG name). */
#define OCI_ANN_REF_NAME "org.opencontainers.image.ref.name"
/* The full image name containerd, Docker >= 25 and podman read first from an index entry. */
#define OCI_ANN_IMAGE_NAME "io.containerd.image.name"
#define OCI_JSON_MAX_BYTES (4u << 20) /* manifests, indexes, configs: never larger */
/* The whole oci-layout file. */
#define OCI_LAYOUT_FILE "{\"imageLayoutVersion\":\"1.0.0\"}"

/* 1 for an OCI image index or a Docker manifest list. */
int oci_mt_is_index(const char *media_type);
/* 1 for an OCI image manifest or a Docker schema 2 manifest. */
int oci_mt_is_manifest(const char *media_type);
/* The OCI layer media type of a layer we can carry unchanged (Docker's gzip type is the same
 * bytes as OCI's tar+gzip), or NULL. Static string. */
const char *oci_mt_layer(const char *media_type);

/* A descriptor. Its strings are borrowed from whatever holds it (a layout, a manifest, or the
 * caller's own strings when it is passed in to be written). */
typedef struct oci_desc {
	const char *media_type; /* NULL when the document does not say */
	const char *digest;     /* "sha256:<64 hex>" (checked wherever one is read) */
	long long size;
	const char *ref_name;   /* OCI_ANN_REF_NAME, or NULL */
	const char *image_name; /* OCI_ANN_IMAGE_NAME, or NULL */
	const char *os, *arch;  /* platform (entries of an image index), or NULL */
} oci_desc_t;

/* ---- blobs by path ------------------------------------------------------------------ */

/* blobs_dir/<hex> into out. -1 (err says which digest) unless digest is "sha256:<64 hex>":
 * the one check before a digest names a file. */
int oci_blob_path(const char *blobs_dir, const char *digest, buf_t *out, err_t *err);

/* ---- manifests and image indexes ----------------------------------------------------- */

typedef struct oci_manifest oci_manifest_t;

/* Parses a manifest or index document (from a layout or a registry). type_hint (the
 * descriptor's media type or a Content-Type, may be NULL) is used when the document has no
 * mediaType; failing both, its shape decides ("manifests": index; "config" + "layers": OCI
 * manifest). Every descriptor in it must have a sha256 digest and a size. where names the
 * document in messages. Caller frees. */
oci_manifest_t *oci_manifest_parse(const void *data, size_t len, const char *type_hint,
				   const char *where, err_t *err);
void oci_manifest_free(oci_manifest_t *m);
const char *oci_manifest_media_type(const oci_manifest_t *m); /* one of the four above */
int oci_manifest_is_index(const oci_manifest_t *m);
const void *oci_manifest_bytes(const oci_manifest_t *m, size_t *len); /* borrowed */
/* An image manifest's config descriptor; NULL for an index. Borrowed. */
const oci_desc_t *oci_manifest_config(const oci_manifest_t *m);
/* Layers of an image manifest, or the manifests an index lists. Borrowed. */
size_t oci_manifest_count(const oci_manifest_t *m);
const oci_desc_t *oci_manifest_entry(const oci_manifest_t *m, size_t i);
/* The entry of index m for os/arch (arm64 entries may carry variant v8), or NULL with err
 * listing the platforms it has. Borrowed. */
const oci_desc_t *oci_manifest_platform(const oci_manifest_t *m, const char *os, const char *arch,
					err_t *err);
/* The canonical bytes of an image index listing entries (with their platforms), as written
 * to a layout's index.json or pushed as a multi-platform image. */
void oci_index_dump(const oci_desc_t *entries, size_t n, buf_t *out);

/* ---- layouts -------------------------------------------------------------------------- */

typedef struct oci_layout oci_layout_t;

/* Splits "DIR[:TAG]" (what follows oci: in skopeo's and imgbuild's references) into dir and
 * ref_name: the last ':' separates a tag when no '/' follows it. ref_name is emptied when
 * there is none. */
void oci_layout_ref_split(const char *s, buf_t *dir, buf_t *ref_name);
/* 1 when dir holds an oci-layout file (an OCI image layout, possibly one being written). */
int oci_layout_is_layout(const char *dir);
/* Reads an existing layout's index.json (every entry checked as a descriptor). Caller frees. */
oci_layout_t *oci_layout_open(const char *dir, err_t *err);
/* A new layout in dir (created with blobs/sha256 if absent), with an empty index until
 * oci_layout_set_ref; nothing but the directories is written before oci_layout_write_index.
 * Caller frees. */
oci_layout_t *oci_layout_create(const char *dir, err_t *err);
void oci_layout_free(oci_layout_t *l);
const char *oci_layout_dir(const oci_layout_t *l);       /* borrowed */
const char *oci_layout_blobs_dir(const oci_layout_t *l); /* dir/blobs/sha256, borrowed */
/* oci_blob_path in l's blobs. */
int oci_layout_blob_path(const oci_layout_t *l, const char *digest, buf_t *out, err_t *err);

/* Stores data as a blob; its digest ("sha256:<hex>") goes into digest. */
int oci_layout_write_blob(oci_layout_t *l, const void *data, size_t len,
			  char digest[DIGEST_OCI_MAX], err_t *err);
/* Reads blob d (at most max_bytes) into out, checking its size and SHA-256 against d. */
int oci_layout_read_blob(const oci_layout_t *l, const oci_desc_t *d, size_t max_bytes, buf_t *out,
			 err_t *err);
/* Checks blob d's size and SHA-256 (streamed). Messages name the layout and the digest. */
int oci_layout_verify_blob(const oci_layout_t *l, const oci_desc_t *d, err_t *err);
/* Hardlinks (or copies) the file src, which must have d's size, into l as blob d. */
int oci_layout_link_blob(oci_layout_t *l, const char *src, const oci_desc_t *d, err_t *err);
/* Links every blob reachable from d in from (d itself, and for a manifest its config and
 * layers, for an index each manifest it lists) into to. JSON blobs are verified. With
 * absent_ok, layer blobs from lacks are skipped (a build that left its registry-cache hits in
 * the registry: oci_push_layout_from mounts them); otherwise a missing one is an error. */
int oci_layout_import(oci_layout_t *to, const oci_layout_t *from, const oci_desc_t *d,
		      int absent_ok, err_t *err);
/* Reads and verifies the manifest or index d points at. Caller frees *out. */
int oci_layout_read_manifest(const oci_layout_t *l, const oci_desc_t *d, oci_manifest_t **out,
			     err_t *err);

/* index.json entries, in file order. Borrowed; valid until the index changes. */
size_t oci_layout_count(const oci_layout_t *l);
const oci_desc_t *oci_layout_entry(const oci_layout_t *l, size_t i);
/* The entry tagged ref_name, or with ref_name NULL the only entry. NULL with err naming the
 * layout and the tags it has. Borrowed. */
const oci_desc_t *oci_layout_find(const oci_layout_t *l, const char *ref_name, err_t *err);
/* The image manifest for ref_name (as oci_layout_find), following an image index to its
 * os/arch entry. Caller frees *out. */
int oci_layout_find_image(const oci_layout_t *l, const char *ref_name, const char *os,
			  const char *arch, oci_manifest_t **out, err_t *err);
/* Points ref_name at d (its fields other than ref_name are copied; d must not be one of l's
 * own entries): the entry of that name is replaced in place, else one is appended. ref_name
 * NULL: the untagged entry. -1 only for a digest that is not sha256:<64 hex>. */
int oci_layout_set_ref(oci_layout_t *l, const oci_desc_t *d, const char *ref_name, err_t *err);
/* set_ref for each of tags, or one untagged entry when n_tags is 0. */
int oci_layout_set_refs(oci_layout_t *l, const oci_desc_t *d, const char *const *tags,
			size_t n_tags, err_t *err);
/* Adding a tag to an existing layout keeps its other tags. Call it after setting l's own
 * tags: every tagged entry of the layout in old_dir whose name l does not set is kept, with
 * the blobs it reaches (linked into l), in old_dir's order, l's own entries replacing those
 * of the same name in place and the rest appended. Untagged entries of old_dir, and the
 * images l's tags replace, are dropped with their blobs. No-op when old_dir is not a layout. */
int oci_layout_keep_refs(oci_layout_t *l, const char *old_dir, err_t *err);
/* Writes oci-layout, then index.json (atomically each). */
int oci_layout_write_index(oci_layout_t *l, err_t *err);
/* Writes an image index blob (media type OCI_MT_INDEX) listing entries with their platforms,
 * and returns its digest and size. */
int oci_layout_write_image_index(oci_layout_t *l, const oci_desc_t *entries, size_t n,
				 char digest[DIGEST_OCI_MAX], long long *size, err_t *err);

#endif
