/* docker_archive.c — OCI layout -> docker-archive tar (see docker_archive.h). Entries are
 * written in a fixed order (oci-layout, index.json, manifest.json, then blobs sorted by
 * digest), uid/gid 0, one mtime, so the same image gives the same archive bytes. Blobs are
 * streamed from the layout through libarchive, never held in memory. The layout is read and
 * the archive's index.json written through oci/layout.h. */
#include "docker_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "layout.h"
#include "ref.h"
#include "xalloc.h"

/* What goes into the archive besides the blobs' bytes. */
typedef struct archive_plan {
	oci_layout_t *layout;
	oci_manifest_t *manifest;
	const oci_desc_t *top; /* the layout's image */
	const char **blobs;    /* digest of every blob, sorted (layers may repeat) */
	size_t n_blobs;
	buf_t index_json, manifest_json;
} archive_plan_t;

static int add_entry(struct archive *a, const char *name, long long size, long long mtime,
		     const char *path_for_errors, err_t *err)
{
	struct archive_entry *e = xcheck(archive_entry_new());
	int rc = 0;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		rc = err_set(err, "%s: writing %s: %s", path_for_errors, name,
			     archive_error_string(a));
	archive_entry_free(e);
	return rc;
}

static int add_mem(struct archive *a, const char *name, const char *data, size_t len,
		   long long mtime, const char *path, err_t *err)
{
	if (add_entry(a, name, (long long)len, mtime, path, err))
		return -1;
	if (len && archive_write_data(a, data, len) != (la_ssize_t)len)
		return err_set(err, "%s: writing %s: %s", path, name, archive_error_string(a));
	return 0;
}

static int add_file(struct archive *a, const char *name, const char *src, long long mtime,
		    const char *path, err_t *err)
{
	char chunk[1 << 16];
	struct stat st;
	int fd = open(src, O_RDONLY | O_CLOEXEC), rc = -1;
	ssize_t got;
	if (fd < 0 || fstat(fd, &st) != 0) {
		err_set(err, "%s: cannot read: %s", src, strerror(errno));
		goto out;
	}
	if (add_entry(a, name, (long long)st.st_size, mtime, path, err))
		goto out;
	while ((got = read(fd, chunk, sizeof chunk)) > 0)
		if (archive_write_data(a, chunk, (size_t)got) != got) {
			err_set(err, "%s: writing %s: %s", path, name, archive_error_string(a));
			goto out;
		}
	if (got < 0) {
		err_set(err, "%s: read error: %s", src, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The layout's one image manifest and the digests of its blobs. */
static int plan_read(archive_plan_t *ap, const char *layout_dir, err_t *err)
{
	if (!(ap->layout = oci_layout_open(layout_dir, err)) ||
	    !(ap->top = oci_layout_find(ap->layout, NULL, err)) ||
	    oci_layout_read_manifest(ap->layout, ap->top, &ap->manifest, err))
		return -1;
	if (oci_manifest_is_index(ap->manifest))
		return err_set(err,
			       "%s: the image is an image index; a docker archive holds one "
			       "platform's image",
			       layout_dir);
	size_t n = oci_manifest_count(ap->manifest);
	ap->blobs = xcalloc(n + 2, sizeof *ap->blobs);
	for (size_t i = 0; i < n; i++)
		ap->blobs[ap->n_blobs++] = oci_manifest_entry(ap->manifest, i)->digest;
	ap->blobs[ap->n_blobs++] = oci_manifest_config(ap->manifest)->digest;
	ap->blobs[ap->n_blobs++] = ap->top->digest;
	qsort(ap->blobs, ap->n_blobs, sizeof *ap->blobs, cmp_str);
	return 0;
}

/* A blob's name inside the archive: the layout's own name for it. */
static void member_name(const char *digest, buf_t *out)
{
	buf_setstr(out, "blobs/sha256/");
	buf_addstr(out, digest_oci_hex(digest));
}

static json_t *blob_name(const char *digest)
{
	buf_t name = BUF_INIT;
	member_name(digest, &name);
	json_t *j = json_string(name.data);
	buf_free(&name);
	return j;
}

/* Docker's manifest.json: [{Config, RepoTags, Layers}] (what `docker load` reads). */
static void plan_docker_manifest(archive_plan_t *ap, const char *const *repo_tags, size_t n_tags)
{
	json_t *layers = json_array(), *tags = json_array();
	for (size_t i = 0; i < oci_manifest_count(ap->manifest); i++)
		json_array_append_new(layers,
				      blob_name(oci_manifest_entry(ap->manifest, i)->digest));
	for (size_t i = 0; i < n_tags; i++)
		json_array_append_new(tags, json_string(repo_tags[i]));
	json_t *dm = xcheck(json_pack("[{s:o, s:o, s:o}]", "Config",
				      blob_name(oci_manifest_config(ap->manifest)->digest),
				      "RepoTags", tags, "Layers", layers));
	char *s = xcheck(json_dumps(dm, JSON_SORT_KEYS | JSON_COMPACT));
	buf_setstr(&ap->manifest_json, s);
	free(s);
	json_decref(dm);
}

/* index.json as `docker save` writes it (Docker >= 25): one entry per tag naming the image in
 * full (io.containerd.image.name, "docker.io/team/env:1.0") and by tag (ref.name, "1.0"). podman
 * load tries the archive as an OCI archive first and names the image from these (a lone
 * untagged entry loads untagged); with several tags it falls back to manifest.json. */
static int plan_index(archive_plan_t *ap, const char *const *repo_tags, size_t n_tags, err_t *err)
{
	oci_desc_t *entries = xcalloc(n_tags ? n_tags : 1, sizeof *entries);
	oci_ref_t *refs = xcalloc(n_tags ? n_tags : 1, sizeof *refs);
	buf_t *names = xcalloc(n_tags ? n_tags : 1, sizeof *names);
	int rc = -1;
	for (size_t i = 0; i < (n_tags ? n_tags : 1); i++) {
		entries[i] = (oci_desc_t){.media_type = OCI_MT_MANIFEST,
					  .digest = ap->top->digest,
					  .size = ap->top->size};
		if (!n_tags)
			break;
		if (oci_ref_parse(repo_tags[i], &refs[i], err))
			goto out;
		oci_ref_format(&refs[i], &names[i]);
		entries[i].image_name = names[i].data;
		entries[i].ref_name = refs[i].tag;
	}
	oci_index_dump(entries, n_tags ? n_tags : 1, &ap->index_json);
	rc = 0;
out:
	for (size_t i = 0; i < n_tags; i++) {
		oci_ref_clear(&refs[i]);
		buf_free(&names[i]);
	}
	free(entries);
	free(refs);
	free(names);
	return rc;
}

static int plan_write(const archive_plan_t *ap, struct archive *a, const char *path,
		      long long mtime, err_t *err)
{
	static const char layout[] = OCI_LAYOUT_FILE;
	buf_t src = BUF_INIT, name = BUF_INIT;
	int rc = -1;
	if (add_mem(a, "oci-layout", layout, sizeof layout - 1, mtime, path, err) ||
	    add_mem(a, "index.json", ap->index_json.data, ap->index_json.len, mtime, path, err) ||
	    add_mem(a, "manifest.json", ap->manifest_json.data, ap->manifest_json.len, mtime, path,
		    err))
		goto out;
	for (size_t i = 0; i < ap->n_blobs; i++) {
		if (i && !strcmp(ap->blobs[i], ap->blobs[i - 1]))
			continue; /* a layer listed twice is stored once */
		member_name(ap->blobs[i], &name);
		if (oci_layout_blob_path(ap->layout, ap->blobs[i], &src, err) ||
		    add_file(a, name.data, src.data, mtime, path, err))
			goto out;
	}
	rc = 0;
out:
	buf_free(&src);
	buf_free(&name);
	return rc;
}

int oci_docker_archive_write(const char *layout_dir, const char *path, const char *const *repo_tags,
			     size_t n_tags, long long mtime, err_t *err)
{
	archive_plan_t ap = {0};
	struct archive *a = NULL;
	buf_t tmp = BUF_INIT;
	int rc = -1;
	if (plan_read(&ap, layout_dir, err) || plan_index(&ap, repo_tags, n_tags, err))
		goto out;
	plan_docker_manifest(&ap, repo_tags, n_tags);
	buf_addf(&tmp, "%s.tmp-%ld", path, (long)getpid());
	a = xcheck(archive_write_new());
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, tmp.data) != ARCHIVE_OK) {
		err_set(err, "%s: cannot create: %s", path, archive_error_string(a));
		goto out;
	}
	if (plan_write(&ap, a, path, mtime, err))
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		err_set(err, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	if (rename(tmp.data, path) != 0) {
		err_set(err, "%s: cannot rename into place: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (a)
		archive_write_free(a);
	if (rc && tmp.len)
		unlink(tmp.data);
	free(ap.blobs);
	oci_manifest_free(ap.manifest);
	oci_layout_free(ap.layout);
	buf_free(&ap.index_json);
	buf_free(&ap.manifest_json);
	buf_free(&tmp);
	return rc;
}
