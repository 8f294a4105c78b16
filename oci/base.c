/* base.c — the base image (see base.h). The layout, index and manifest are read by
 * oci/layout.c, the one parser of them; this file checks what a base must be (config for the
 * platform, one diff_id per layer, layer types we can carry) and finds its glibc by reading
 * its layer blobs with libarchive (gzip, zstd or plain tar): a file name libc-X.Y.so (glibc <
 * 2.34) or, in libc.so.6 itself, the banner "GNU C Library (...) stable release version X.Y"
 * that every glibc build carries. */
#include "base_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define LIBC_SCAN_MAX (16u << 20) /* libc.so.6 is ~2 MB; never read a huge file whole */

static int check_config(oci_base_t *b, err_t *err)
{
	const char *arch = json_string_value(json_object_get(b->config, "architecture"));
	const char *os = json_string_value(json_object_get(b->config, "os"));
	size_t n_layers = oci_manifest_count(b->manifest);
	if (!arch || !os || strcmp(arch, b->arch) || strcmp(os, b->os))
		return err_set(err, "%s: base image is %s/%s but the image being built is %s/%s",
			       b->name, os ? os : "?", arch ? arch : "?", b->os, b->arch);
	b->diff_ids = json_object_get(json_object_get(b->config, "rootfs"), "diff_ids");
	if (!json_is_array(b->diff_ids) || json_array_size(b->diff_ids) != n_layers)
		return err_set(err,
			       "%s: base manifest lists %zu layers but its config %zu diff_ids",
			       b->name, n_layers, json_array_size(b->diff_ids));
	for (size_t i = 0; i < n_layers; i++) {
		const oci_desc_t *l = oci_manifest_entry(b->manifest, i);
		if (!oci_mt_layer(l->media_type))
			return err_set(err, "%s: base layer %s has unsupported media type '%s'",
				       b->name, l->digest,
				       l->media_type ? l->media_type : "(none)");
		if (!digest_oci_hex(json_string_value(json_array_get(b->diff_ids, i))))
			return err_set(err, "%s: base config diff_id %zu is not sha256:<64 hex>",
				       b->name, i);
	}
	return 0;
}

oci_base_t *oci_base_open(const char *layout_dir, const char *tag, const char *os, const char *arch,
			  err_t *err)
{
	oci_base_t *b = xcalloc(1, sizeof *b);
	buf_t raw = BUF_INIT;
	json_error_t je;
	b->name = xstrdup(layout_dir);
	b->os = xstrdup(os);
	b->arch = xstrdup(arch);
	if (!(b->layout = oci_layout_open(layout_dir, err)) ||
	    oci_layout_find_image(b->layout, tag, os, arch, &b->manifest, err) ||
	    oci_layout_read_blob(b->layout, oci_manifest_config(b->manifest), OCI_JSON_MAX_BYTES,
				 &raw, err))
		goto fail;
	b->config = json_loadb(buf_cstr(&raw), raw.len, 0, &je);
	if (!json_is_object(b->config)) {
		err_set(err, "%s: base config %s is not a JSON object: %s", layout_dir,
			oci_manifest_config(b->manifest)->digest, b->config ? "" : je.text);
		goto fail;
	}
	if (check_config(b, err))
		goto fail;
	buf_free(&raw);
	return b;
fail:
	buf_free(&raw);
	oci_base_free(b);
	return NULL;
}

void oci_base_free(oci_base_t *b)
{
	if (!b)
		return;
	free(b->name);
	free(b->os);
	free(b->arch);
	oci_layout_free(b->layout);
	oci_manifest_free(b->manifest);
	json_decref(b->config);
	free(b);
}

const char *oci_base_name(const oci_base_t *b)
{
	return b->name;
}

/* ---- glibc ----------------------------------------------------------------------------- */

/* "libc-2.31.so" -> "2.31". */
static int version_from_name(const char *base, buf_t *out)
{
	if (strncmp(base, "libc-", 5) != 0)
		return 0;
	const char *v = base + 5, *end = strstr(v, ".so");
	if (!end || end == v || strcmp(end, ".so") != 0 || !isdigit((unsigned char)*v))
		return 0;
	for (const char *p = v; p < end; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return 0;
	buf_reset(out);
	buf_add(out, v, (size_t)(end - v));
	return 1;
}

/* Finds "release version X.Y" in a libc.so.6 image. */
static int version_from_banner(const char *data, size_t len, buf_t *out)
{
	static const char needle[] = "release version ";
	const size_t nl = sizeof needle - 1;
	for (size_t i = 0; i + nl < len; i++) {
		if (data[i] != 'r' || memcmp(data + i, needle, nl) != 0)
			continue;
		size_t j = i + nl, k = j;
		while (k < len && (isdigit((unsigned char)data[k]) || data[k] == '.'))
			k++;
		while (k > j && data[k - 1] == '.')
			k--;
		if (k > j && memchr(data + j, '.', k - j)) {
			buf_reset(out);
			buf_add(out, data + j, k - j);
			return 1;
		}
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* One layer: 1 = found (out set), 0 = none, -1 = error. */
static int scan_layer(const char *blob_path, buf_t *out, err_t *err)
{
	struct archive *a = xcheck(archive_read_new());
	struct archive_entry *e;
	int found = 0, r;
	char *data = NULL;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, blob_path, 1 << 16) != ARCHIVE_OK) {
		found = -1;
		err_set(err, "%s: cannot read base layer: %s", blob_path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(e);
		if (!path || archive_entry_filetype(e) != AE_IFREG || !strstr(path, "lib"))
			continue;
		const char *b = base_name(path);
		if (version_from_name(b, out)) {
			found = 1;
			continue;
		}
		la_int64_t size = archive_entry_size(e);
		if (strcmp(b, "libc.so.6") != 0 || size <= 0 || size > (la_int64_t)LIBC_SCAN_MAX)
			continue;
		free(data);
		data = xmalloc((size_t)size);
		if (archive_read_data(a, data, (size_t)size) == (la_ssize_t)size &&
		    version_from_banner(data, (size_t)size, out))
			found = 1;
	}
	if (r != ARCHIVE_EOF) {
		found = -1;
		err_set(err, "%s: corrupt base layer: %s", blob_path, archive_error_string(a));
	}
out:
	free(data);
	archive_read_free(a);
	return found;
}

int oci_base_glibc(const oci_base_t *b, buf_t *out, err_t *err)
{
	buf_t path = BUF_INIT, v = BUF_INIT;
	int found = 0;
	for (size_t i = 0; i < oci_manifest_count(b->manifest); i++) {
		const oci_desc_t *l = oci_manifest_entry(b->manifest, i);
		int r = oci_layout_blob_path(b->layout, l->digest, &path, err);
		if (r == 0)
			r = scan_layer(path.data, &v, err);
		if (r < 0) {
			err_prefix(err, "base image %s", b->name);
			found = -1;
			break;
		}
		if (r == 1) { /* a later layer's libc replaces an earlier one */
			buf_setstr(out, v.data);
			found = 1;
		}
	}
	buf_free(&path);
	buf_free(&v);
	return found;
}
