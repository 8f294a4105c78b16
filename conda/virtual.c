/* virtual.c — the target machine's virtual packages (see virtual.h). The base image's glibc is
 * read from its layer blobs with libarchive (gzip, zstd or plain tar): a file name
 * libc-X.Y.so (glibc < 2.34) or, in libc.so.6 itself, the banner "GNU C Library (...) stable
 * release version X.Y" that every glibc build carries. Nothing from the image is executed. */
#include "virtual.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_GLIBC "2.28" /* conda-forge's current baseline */
#define DEFAULT_LINUX "5.10" /* a kernel every supported distribution exceeds */
#define LIBC_SCAN_MAX (16u << 20) /* libc.so.6 is ~2 MB; never read a huge file whole */

static const char *layout_blob(const char *layout_dir, const char *digest, buf_t *path)
{
	buf_setstr(path, layout_dir);
	buf_addstr(path, "/blobs/");
	const char *colon = digest ? strchr(digest, ':') : NULL;
	if (!colon || strchr(colon + 1, '/') || strstr(digest, ".."))
		return NULL;
	buf_add(path, digest, (size_t)(colon - digest));
	buf_addf(path, "/%s", colon + 1);
	return path->data;
}

static json_t *load_blob(const char *layout_dir, const char *digest, err_t *err)
{
	buf_t path = BUF_INIT;
	json_error_t je;
	json_t *j = NULL;
	if (!layout_blob(layout_dir, digest, &path))
		err_set(err, "%s: bad digest '%s' in the base image", layout_dir, digest ? digest : "");
	else if (!(j = json_load_file(path.data, 0, &je)))
		err_set(err, "%s: cannot read %s (%s): is it an OCI image layout?", layout_dir, path.data, je.text);
	buf_free(&path);
	return j;
}

/* The image manifest for tag (or the only one), descending into an image index (linux/amd64
 * first, else its first entry). Caller decrefs. */
static json_t *find_manifest(const char *layout_dir, const char *tag, err_t *err)
{
	buf_t path = BUF_INIT;
	json_error_t je;
	json_t *index = NULL, *m = NULL, *chosen = NULL;
	buf_addf(&path, "%s/index.json", layout_dir);
	index = json_load_file(path.data, 0, &je);
	if (!index) {
		err_set(err, "%s: cannot read index.json (%s): is it an OCI image layout?", layout_dir, je.text);
		goto out;
	}
	json_t *list = json_object_get(index, "manifests"), *d;
	size_t i;
	json_array_foreach(list, i, d) {
		const char *ref = json_string_value(
			json_object_get(json_object_get(d, "annotations"), "org.opencontainers.image.ref.name"));
		if (tag ? (ref && !strcmp(ref, tag)) : json_array_size(list) == 1)
			chosen = d;
	}
	if (!chosen) {
		err_set(err, "%s: no image %s%s in index.json", layout_dir, tag ? "tagged " : "",
			tag ? tag : "(several images: pass a tag)");
		goto out;
	}
	for (int depth = 0; depth < 3; depth++) {
		m = load_blob(layout_dir, json_string_value(json_object_get(chosen, "digest")), err);
		if (!m || !json_object_get(m, "manifests"))
			break;
		json_t *sub = json_object_get(m, "manifests"), *first = json_array_get(sub, 0);
		chosen = NULL;
		json_array_foreach(sub, i, d) {
			const char *arch = json_string_value(json_object_get(json_object_get(d, "platform"), "architecture"));
			if (!chosen && arch && !strcmp(arch, "amd64"))
				chosen = d;
		}
		chosen = json_deep_copy(chosen ? chosen : first);
		json_decref(m);
		m = NULL;
		if (!json_object_get(chosen, "digest")) {
			json_decref(chosen);
			err_set(err, "%s: empty image index", layout_dir);
			goto out;
		}
		json_decref(index);
		index = chosen; /* keeps chosen alive for the next round */
	}
out:
	json_decref(index);
	buf_free(&path);
	return m;
}

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
	struct archive *a = archive_read_new();
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
		data = malloc((size_t)size);
		if (!data)
			abort();
		if (archive_read_data(a, data, (size_t)size) == (la_ssize_t)size && version_from_banner(data, (size_t)size, out))
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

int virtual_glibc_from_layout(const char *layout_dir, const char *tag, buf_t *out, err_t *err)
{
	json_t *m = find_manifest(layout_dir, tag, err), *l;
	buf_t path = BUF_INIT, v = BUF_INIT;
	int found = 0;
	size_t i;
	if (!m)
		return -1;
	json_array_foreach(json_object_get(m, "layers"), i, l) {
		const char *digest = json_string_value(json_object_get(l, "digest"));
		if (!layout_blob(layout_dir, digest, &path)) {
			found = err_set(err, "%s: bad layer digest '%s'", layout_dir, digest ? digest : "");
			break;
		}
		int r = scan_layer(path.data, &v, err);
		if (r < 0) {
			err_prefix(err, "base image %s", layout_dir);
			found = -1;
			break;
		}
		if (r == 1) { /* a later layer's libc replaces an earlier one */
			buf_setstr(out, v.data);
			found = 1;
		}
	}
	json_decref(m);
	buf_free(&path);
	buf_free(&v);
	return found;
}

/* Dotted numeric compare ("2.36" vs "2.28"); enough for glibc versions. */
static int numcmp(const char *a, const char *b)
{
	while (*a || *b) {
		long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a += *a == '.';
		b += *b == '.';
		if (!isdigit((unsigned char)*a) && !isdigit((unsigned char)*b))
			break;
	}
	return 0;
}

static void add(virtual_set_t *set, const char *name, const char *version, const char *build,
		const char *source)
{
	virtual_pkg_t *p = &set->pkgs[set->n++];
	p->name = name;
	snprintf(p->version, sizeof p->version, "%s", version);
	snprintf(p->build, sizeof p->build, "%s", build);
	p->source = source;
}

int virtual_set_fill(virtual_set_t *set, const virtual_opts_t *o, err_t *err)
{
	buf_t base = BUF_INIT;
	const char *glibc = o->glibc ? o->glibc : DEFAULT_GLIBC;
	const char *source = o->glibc ? "--glibc" : "default";
	int rc = -1;
	memset(set, 0, sizeof *set);
	if (o->base_layout) {
		int r = virtual_glibc_from_layout(o->base_layout, o->base_tag, &base, err);
		if (r < 0)
			goto out;
		if (r == 1 && o->glibc && numcmp(o->glibc, base.data) > 0) {
			err_set(err, "--glibc %s is newer than the base image's glibc %s (%s): packages built "
				     "for it would not run there; drop --glibc or use a newer base image",
				o->glibc, base.data, o->base_layout);
			goto out;
		}
		if (r == 1 && !o->glibc) {
			glibc = base.data;
			source = "base image";
		} else if (r == 0) {
			source = o->glibc ? "--glibc; base image has no glibc" : "default; base image has no glibc";
		}
	}
	add(set, "__unix", "0", "0", "linux");
	add(set, "__linux", DEFAULT_LINUX, "0", "default");
	add(set, "__glibc", glibc, "0", source);
	add(set, "__archspec", "1", o->oci_arch && !strcmp(o->oci_arch, "arm64") ? "aarch64" : "x86_64",
	    "image architecture");
	if (o->cuda)
		add(set, "__cuda", o->cuda, "0", "--cuda");
	rc = 0;
out:
	buf_free(&base);
	return rc;
}

void virtual_set_describe(const virtual_set_t *set, buf_t *out)
{
	for (size_t i = 0; i < set->n; i++) {
		const virtual_pkg_t *p = &set->pkgs[i];
		buf_addf(out, "%s%s=%s", i ? ", " : "", p->name, p->version);
		if (strcmp(p->build, "0") != 0)
			buf_addf(out, "=%s", p->build);
		buf_addf(out, " (%s)", p->source);
	}
}
