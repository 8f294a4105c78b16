/* docker_archive.c — OCI layout -> docker-archive tar (see docker_archive.h). Entries are
 * written in a fixed order (oci-layout, index.json, manifest.json, then blobs sorted by
 * digest), uid/gid 0, one mtime, so the same image gives the same archive bytes. Blobs are
 * streamed from the layout through libarchive, never held in memory. */
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
#include "fsutil.h"
#include "ref.h"

#define DA_JSON_MAX_BYTES (4u << 20)

static int add_entry(struct archive *a, const char *name, long long size, long long mtime,
		     const char *path_for_errors, err_t *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		rc = err_set(err, "%s: writing %s: %s", path_for_errors, name, archive_error_string(a));
	archive_entry_free(e);
	return rc;
}

static int add_mem(struct archive *a, const char *name, const char *data, size_t len, long long mtime,
		   const char *path, err_t *err)
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

int oci_docker_archive_write(const char *layout_dir, const char *path, const char *const *repo_tags,
			     size_t n_tags, long long mtime, err_t *err)
{
	buf_t p = BUF_INIT, idx_raw = BUF_INIT, man_raw = BUF_INIT, tmp = BUF_INIT, name = BUF_INIT;
	json_t *idx = NULL, *man = NULL, *dm = NULL;
	struct archive *a = NULL;
	const char **blobs = NULL;
	size_t n_blobs = 0;
	char *dm_s = NULL;
	int rc = -1;
	buf_setstr(&p, layout_dir);
	buf_addpath(&p, "index.json");
	if (buf_read_file(&idx_raw, p.data, DA_JSON_MAX_BYTES, err))
		goto out;
	idx = json_loadb(idx_raw.data, idx_raw.len, 0, NULL);
	json_t *desc = json_array_get(json_object_get(idx, "manifests"), 0);
	const char *mdigest = json_string_value(json_object_get(desc, "digest"));
	if (!oci_ref_is_digest(mdigest)) {
		err_set(err, "%s: no image manifest", p.data);
		goto out;
	}
	buf_setstr(&p, layout_dir);
	buf_addpath(&p, "blobs/sha256");
	buf_addpath(&p, mdigest + 7);
	if (buf_read_file(&man_raw, p.data, DA_JSON_MAX_BYTES, err))
		goto out;
	man = json_loadb(man_raw.data, man_raw.len, 0, NULL);
	json_t *layers = json_object_get(man, "layers");
	const char *cdigest = json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
	if (!oci_ref_is_digest(cdigest) || !json_is_array(layers)) {
		err_set(err, "%s: not an image manifest (an index? docker-archive holds one platform)", p.data);
		goto out;
	}
	blobs = calloc(json_array_size(layers) + 2, sizeof *blobs);
	if (!blobs)
		abort();
	json_t *dl = json_array(), *tags = json_array();
	for (size_t i = 0; i < json_array_size(layers); i++) {
		const char *d = json_string_value(json_object_get(json_array_get(layers, i), "digest"));
		if (!oci_ref_is_digest(d)) {
			json_decref(dl);
			json_decref(tags);
			err_set(err, "%s: layer %zu has no sha256 digest", p.data, i);
			goto out;
		}
		buf_setstr(&name, "blobs/sha256/");
		buf_addstr(&name, d + 7);
		json_array_append_new(dl, json_string(name.data));
		blobs[n_blobs++] = d + 7;
	}
	blobs[n_blobs++] = cdigest + 7;
	blobs[n_blobs++] = mdigest + 7;
	for (size_t i = 0; i < n_tags; i++)
		json_array_append_new(tags, json_string(repo_tags[i]));
	buf_setstr(&name, "blobs/sha256/");
	buf_addstr(&name, cdigest + 7);
	dm = json_pack("[{s:s, s:o, s:o}]", "Config", name.data, "RepoTags", tags, "Layers", dl);
	dm_s = json_dumps(dm, JSON_SORT_KEYS | JSON_COMPACT);
	qsort(blobs, n_blobs, sizeof *blobs, cmp_str);

	buf_addf(&tmp, "%s.tmp-%ld", path, (long)getpid());
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, tmp.data) != ARCHIVE_OK) {
		err_set(err, "--output docker-archive:%s: %s", path, archive_error_string(a));
		goto out;
	}
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	if (add_mem(a, "oci-layout", layout, sizeof layout - 1, mtime, path, err) ||
	    add_mem(a, "index.json", idx_raw.data, idx_raw.len, mtime, path, err) ||
	    add_mem(a, "manifest.json", dm_s, strlen(dm_s), mtime, path, err))
		goto out;
	for (size_t i = 0; i < n_blobs; i++) {
		if (i && !strcmp(blobs[i], blobs[i - 1]))
			continue; /* a layer listed twice is stored once */
		buf_setstr(&p, layout_dir);
		buf_addpath(&p, "blobs/sha256");
		buf_addpath(&p, blobs[i]);
		buf_setstr(&name, "blobs/sha256/");
		buf_addstr(&name, blobs[i]);
		if (add_file(a, name.data, p.data, mtime, path, err))
			goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		err_set(err, "--output docker-archive:%s: %s", path, archive_error_string(a));
		goto out;
	}
	if (rename(tmp.data, path) != 0) {
		err_set(err, "--output docker-archive:%s: cannot rename into place: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (a)
		archive_write_free(a);
	if (rc && tmp.len)
		unlink(tmp.data);
	free(blobs);
	free(dm_s);
	json_decref(idx);
	json_decref(man);
	json_decref(dm);
	buf_free(&p);
	buf_free(&idx_raw);
	buf_free(&man_raw);
	buf_free(&tmp);
	buf_free(&name);
	return rc;
}
