/* push.c — image layout -> registry repository (see push.h). Blobs are streamed from the
 * layout's files by reg_blob_push; this file only decides the order (blobs, manifests, index,
 * tags last so a failed push never leaves a tag pointing at a missing blob) and the mount
 * source of each blob. A blob the layout lacks (a registry-cache hit that was never
 * downloaded) is mounted from the repository the caller names, or, when the registry refuses
 * the mount, downloaded (verified) from there and uploaded. */
#include "push.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "ref.h"
#include "reg_mount.h"

#define PUSH_JSON_MAX_BYTES (4u << 20)
#define SEEN_MAX_BYTES (8u << 20) /* the record is a hint; beyond this it is ignored */
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

void oci_seen_path(const char *cache_dir, const char *registry, buf_t *out)
{
	buf_setstr(out, cache_dir);
	buf_addpath(out, "images/registries");
	buf_addch(out, '/');
	for (const char *p = registry; *p; p++)
		buf_addch(out, (*p == '/' || *p == ':') ? '_' : *p);
	buf_addstr(out, ".seen");
}

void oci_seen_add(const char *seen_path, const char *digest, const char *repo)
{
	buf_t line = BUF_INIT, dir = BUF_INIT;
	err_t ignored = ERR_INIT;
	const char *slash = strrchr(seen_path, '/');
	if (slash) {
		buf_add(&dir, seen_path, (size_t)(slash - seen_path));
		fs_mkdir_p(dir.data, &ignored);
	}
	/* one short write with O_APPEND: concurrent builds interleave whole lines */
	int fd = open(seen_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd >= 0) {
		buf_addf(&line, "%s %s\n", digest, repo);
		if (write(fd, line.data, line.len) < 0) {
			/* a hint only */
		}
		close(fd);
	}
	err_clear(&ignored);
	buf_free(&line);
	buf_free(&dir);
}

/* The most recently recorded repository other than repo holding digest, or NULL. */
static char *seen_find(const char *seen_path, const char *digest, const char *repo)
{
	buf_t data = BUF_INIT;
	err_t ignored = ERR_INIT;
	char *found = NULL;
	size_t dlen = strlen(digest);
	if (seen_path && buf_read_file(&data, seen_path, SEEN_MAX_BYTES, &ignored) == 0) {
		char *line = data.data;
		while (line && *line) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (!strncmp(line, digest, dlen) && line[dlen] == ' ' && strcmp(line + dlen + 1, repo) != 0) {
				free(found);
				found = strdup(line + dlen + 1);
			}
			line = nl ? nl + 1 : NULL;
		}
	}
	err_clear(&ignored);
	buf_free(&data);
	return found;
}

typedef struct push {
	reg_t *reg;
	const char *layout, *repo;
	const char *absent_from; /* where blobs missing from the layout are, or NULL */
	buf_t seen;
} push_t;

static void blob_file(const push_t *p, const char *digest, buf_t *out)
{
	buf_setstr(out, p->layout);
	buf_addpath(out, "blobs/sha256");
	buf_addpath(out, digest + 7);
}

/* A blob the layout does not hold: mount it from p->absent_from; a refused mount (202) is
 * reported as a warning and the blob is fetched from there (size and digest verified) into
 * the layout and uploaded, so the push still completes. */
static int push_absent(push_t *p, const char *digest, long long size, const char *path, err_t *err)
{
	buf_t msg = BUF_INIT;
	int placed = 0, rc = -1;
	reg_add_scope(p->reg, p->absent_from, "pull");
	if (reg_blob_mount(p->reg, p->repo, digest, p->absent_from, &placed, err))
		goto out;
	if (!placed) {
		buf_addf(&msg, "warning: registry %s: blob %s is neither local nor mountable from %s (the "
			 "registry refused the mount); downloading it from there and uploading it",
			 reg_name(p->reg), digest, p->absent_from);
		reg_log(p->reg, msg.data);
		if (reg_blob_fetch(p->reg, p->absent_from, digest, size, path, err) ||
		    reg_blob_push(p->reg, p->repo, digest, path, size, NULL, err)) {
			err_prefix(err, "registry %s: blob %s is neither local nor mountable from %s, and the "
				   "fallback failed", reg_name(p->reg), digest, p->absent_from);
			goto out;
		}
	}
	rc = 0;
out:
	buf_free(&msg);
	return rc;
}

static int push_blob(push_t *p, json_t *desc, err_t *err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	json_int_t size = json_integer_value(json_object_get(desc, "size"));
	buf_t path = BUF_INIT;
	struct stat st;
	char *from = NULL;
	int rc = -1;
	if (!oci_ref_is_digest(digest)) {
		err_set(err, "%s: descriptor with unsupported digest '%s'", p->layout, digest ? digest : "(none)");
		goto out;
	}
	blob_file(p, digest, &path);
	if (stat(path.data, &st) != 0 && errno == ENOENT && p->absent_from && size > 0) {
		if (push_absent(p, digest, size, path.data, err))
			goto out;
	} else if (stat(path.data, &st) != 0 || st.st_size != size) {
		err_set(err, "%s: blob %s is missing or not %lld bytes", p->layout, digest, (long long)size);
		goto out;
	} else {
		from = p->seen.len ? seen_find(p->seen.data, digest, p->repo) : NULL;
		if (from)
			reg_add_scope(p->reg, from, "pull");
		if (reg_blob_push(p->reg, p->repo, digest, path.data, size, from, err))
			goto out;
	}
	if (p->seen.len)
		oci_seen_add(p->seen.data, digest, p->repo);
	rc = 0;
out:
	free(from);
	buf_free(&path);
	return rc;
}

/* Reads a JSON blob of the layout (size-capped) into raw and parses it. Caller decrefs. */
static json_t *load_blob(push_t *p, const char *digest, buf_t *raw, err_t *err)
{
	buf_t path = BUF_INIT;
	json_t *j = NULL;
	json_error_t je;
	if (!oci_ref_is_digest(digest)) {
		err_set(err, "%s: unsupported digest '%s'", p->layout, digest ? digest : "(none)");
		goto out;
	}
	blob_file(p, digest, &path);
	if (buf_read_file(raw, path.data, PUSH_JSON_MAX_BYTES, err))
		goto out;
	j = json_loadb(raw->data, raw->len, 0, &je);
	if (!j)
		err_set(err, "%s: not JSON: %s", path.data, je.text);
out:
	buf_free(&path);
	return j;
}

/* Pushes one manifest's blobs, then the manifest under ref (a digest or a tag). */
static int push_manifest(push_t *p, json_t *desc, const char *const *tags, size_t n_tags, err_t *err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	buf_t raw = BUF_INIT;
	json_t *m = load_blob(p, digest, &raw, err);
	int rc = -1;
	if (!m)
		goto out;
	if (!mt)
		mt = json_string_value(json_object_get(m, "mediaType"));
	if (!mt) {
		err_set(err, "%s: manifest %s has no mediaType", p->layout, digest);
		goto out;
	}
	int is_index = !strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST);
	if (is_index) {
		json_t *ms = json_object_get(m, "manifests");
		for (size_t i = 0; i < json_array_size(ms); i++)
			if (push_manifest(p, json_array_get(ms, i), NULL, 0, err))
				goto out;
	} else {
		if (push_blob(p, json_object_get(m, "config"), err))
			goto out;
		json_t *layers = json_object_get(m, "layers");
		for (size_t i = 0; i < json_array_size(layers); i++)
			if (push_blob(p, json_array_get(layers, i), err))
				goto out;
	}
	/* tags only once every blob (and child manifest) is in: no tag points at a gap */
	if (n_tags == 0 && reg_manifest_put(p->reg, p->repo, digest, mt, raw.data, raw.len, err))
		goto out;
	for (size_t i = 0; i < n_tags; i++)
		if (reg_manifest_put(p->reg, p->repo, tags[i], mt, raw.data, raw.len, err))
			goto out;
	rc = 0;
out:
	json_decref(m);
	buf_free(&raw);
	return rc;
}

int oci_push_layout(reg_t *reg, const char *layout_dir, const char *repo,
		    const char *const *tags, size_t n_tags, const char *cache_dir, err_t *err)
{
	return oci_push_layout_from(reg, layout_dir, repo, tags, n_tags, cache_dir, NULL, err);
}

int oci_push_layout_from(reg_t *reg, const char *layout_dir, const char *repo, const char *const *tags,
			 size_t n_tags, const char *cache_dir, const char *absent_from, err_t *err)
{
	push_t p = {.reg = reg, .layout = layout_dir, .repo = repo, .absent_from = absent_from};
	buf_t path = BUF_INIT;
	json_t *index = NULL;
	json_error_t je;
	int rc = -1;
	if (cache_dir)
		oci_seen_path(cache_dir, reg_name(reg), &p.seen);
	reg_add_scope(reg, repo, "pull,push");
	buf_addstr(&path, layout_dir);
	buf_addpath(&path, "index.json");
	index = json_load_file(path.data, 0, &je);
	json_t *desc = json_array_get(json_object_get(index, "manifests"), 0);
	if (!desc) {
		err_set(err, "%s: no image in the layout (%s)", path.data, index ? "empty manifests" : je.text);
		goto out;
	}
	rc = push_manifest(&p, desc, tags, n_tags, err);
out:
	json_decref(index);
	buf_free(&path);
	buf_free(&p.seen);
	return rc;
}
