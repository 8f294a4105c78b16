/* index_meta.c — core metadata for the resolver (see index.h): the PEP 658 ".metadata" file
 * when the index offers one (a few KB instead of the wheel), verified against the hash the
 * index gives for it; else the .dist-info/METADATA inside the wheel, read with libarchive
 * after the wheel's own verified download. Cached by the wheel's sha256. */
#include "index_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "fsutil.h"
#include "pyname.h"
#include "xalloc.h"

/* METADATA of the one top-level *.dist-info directory of the wheel at path. */
static int metadata_from_wheel(const pypi_file_t *f, const char *path, buf_t *out, err_t *err)
{
	struct archive *a = xcheck(archive_read_new());
	struct archive_entry *ae;
	int r = -1, ar, found = 0;
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		err_set(err, "%s: not a zip archive: %s", f->filename, archive_error_string(a));
		goto out;
	}
	while (!found && (ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae),
			   *slash = name ? strchr(name, '/') : NULL;
		if (!slash || strcmp(slash, "/METADATA") || slash - name < 11 ||
		    strncmp(slash - 10, ".dist-info", 10))
			continue;
		char block[65536];
		la_ssize_t n;
		while ((n = archive_read_data(a, block, sizeof block)) > 0 &&
		       out->len + (size_t)n <= INDEX_MAX_METADATA_BYTES)
			buf_add(out, block, (size_t)n);
		if (n != 0) {
			err_set(err, "%s: cannot read %s (or larger than %u bytes)", f->filename,
				name, INDEX_MAX_METADATA_BYTES);
			goto out;
		}
		found = 1;
	}
	if (!found)
		err_set(err, "%s: no .dist-info/METADATA in the wheel", f->filename);
	else
		r = 0;
out:
	archive_read_free(a);
	return r;
}

/* The .metadata file: 0, PYPI_FETCH_NOT_FOUND (fall back to the wheel) or -1. */
static int metadata_file(pypi_index_t *ix, const pypi_file_t *f, buf_t *out, err_t *err)
{
	buf_t url = BUF_INIT;
	pypi_fetch_resp_t resp = {BUF_INIT, BUF_INIT};
	char hex[DIGEST_HEX_MAX];
	int r;
	buf_addf(&url, "%s.metadata", f->url);
	r = index_fetch_buf(ix, buf_cstr(&url), NULL, INDEX_MAX_METADATA_BYTES, out, &resp, err);
	if (r == 0 && f->metadata_sha256[0]) {
		digest_buf_hex(DIGEST_SHA256, out->data, out->len, hex);
		if (strcmp(hex, f->metadata_sha256))
			r = err_set(err,
				    "%s: sha256 %s, the index gives %s: the metadata is damaged or "
				    "was altered",
				    buf_cstr(&url), hex, f->metadata_sha256);
	}
	buf_free(&url);
	buf_free(&resp.content_type);
	buf_free(&resp.final_url);
	return r;
}

/* Reads the metadata text of f into out, from the cache when it is there. */
static int metadata_text(pypi_index_t *ix, const pypi_file_t *f, buf_t *out, err_t *err)
{
	buf_t cached = BUF_INIT, wheel = BUF_INIT;
	char hex[65];
	const char *key = f->sha256[0] ? f->sha256 : NULL;
	int r = PYPI_FETCH_NOT_FOUND;
	if (key) {
		index_cache_path(ix, "metadata", key, &cached);
		if (fs_exists(buf_cstr(&cached)) &&
		    buf_read_file(out, buf_cstr(&cached), INDEX_MAX_METADATA_BYTES, err) == 0) {
			r = 0;
			goto done;
		}
	}
	if (f->has_metadata && (r = metadata_file(ix, f, out, err)) < 0)
		goto done;
	if (r == PYPI_FETCH_NOT_FOUND) {
		buf_reset(out);
		if ((r = pypi_index_download(ix, f, NULL, &wheel, hex, err)) < 0 ||
		    (r = metadata_from_wheel(f, buf_cstr(&wheel), out, err)) < 0)
			goto done;
		if (!key) {
			key = hex;
			index_cache_path(ix, "metadata", key, &cached);
		}
	}
	if (key) {
		buf_t dir = BUF_INIT;
		index_cache_path(ix, "metadata", NULL, &dir);
		err_t ignore = ERR_INIT; /* a cache that cannot be written only costs time */
		if (fs_mkdir_p(buf_cstr(&dir), &ignore) == 0)
			fs_write_atomic(buf_cstr(&cached), out->data, out->len, &ignore);
		err_clear(&ignore);
		buf_free(&dir);
	}
	r = 0;
done:
	buf_free(&cached);
	buf_free(&wheel);
	return r;
}

pypi_metadata_t *pypi_index_metadata(pypi_index_t *ix, const pypi_file_t *f, err_t *err)
{
	buf_t text = BUF_INIT, origin = BUF_INIT;
	pypi_metadata_t *m = NULL;
	if (!pypi_distfile_is_wheel(f->dist)) {
		err_set(err, "%s is an sdist: its metadata needs a build from source", f->filename);
		goto out;
	}
	if (metadata_text(ix, f, &text, err) < 0)
		goto out;
	buf_addf(&origin, "%s METADATA", f->filename);
	if (!(m = pypi_metadata_parse(buf_cstr(&text), text.len, buf_cstr(&origin), err)))
		goto out;
	if (!pypi_name_eq(pypi_metadata_name(m), pypi_distfile_key(f->dist)) ||
	    pep440_ver_cmp(pypi_metadata_version(m), pypi_distfile_version(f->dist))) {
		err_set(err, "%s: its metadata describes %s %s, not the file's project and version",
			f->filename, pypi_metadata_name(m),
			pep440_ver_str(pypi_metadata_version(m)));
		pypi_metadata_free(m);
		m = NULL;
	}
out:
	buf_free(&text);
	buf_free(&origin);
	return m;
}
