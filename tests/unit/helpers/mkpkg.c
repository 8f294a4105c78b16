/* mkpkg.c — writes small conda package archives for tests (see mkpkg.h). The inner tars of
 * a .conda are built in memory (they are tiny) and stored uncompressed in the zip, as conda's
 * own writer does. */
#include "mkpkg.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"

static int add_member(struct archive *a, const mkpkg_member_t *m)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = 0;
	int rc = -1;
	archive_entry_set_pathname(e, m->name);
	archive_entry_set_mtime(e, 0, 0);
	switch (m->type) {
	case MKPKG_FILE:
		len = m->data ? strlen(m->data) : 0;
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, m->mode ? m->mode : 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		break;
	case MKPKG_DIR:
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, m->mode ? m->mode : 0755);
		break;
	case MKPKG_SYMLINK:
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_perm(e, 0777);
		archive_entry_set_symlink(e, m->data);
		break;
	case MKPKG_HARDLINK:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_hardlink(e, m->data);
		archive_entry_set_size(e, 0);
		break;
	case MKPKG_CHARDEV:
		archive_entry_set_filetype(e, AE_IFCHR);
		archive_entry_set_perm(e, 0666);
		archive_entry_set_rdevmajor(e, 1);
		archive_entry_set_rdevminor(e, 3);
		break;
	case MKPKG_FIFO:
		archive_entry_set_filetype(e, AE_IFIFO);
		archive_entry_set_perm(e, 0644);
		break;
	}
	if (archive_write_header(a, e) != ARCHIVE_OK)
		goto out;
	if (len && archive_write_data(a, m->data, len) != (la_ssize_t)len)
		goto out;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "mkpkg: %s: %s\n", m->name, archive_error_string(a));
	archive_entry_free(e);
	return rc;
}

static int write_tar(struct archive *a, const mkpkg_member_t *m, size_t n, int want_info, int all)
{
	for (size_t i = 0; i < n; i++) {
		int is_info = strncmp(m[i].name, "info/", 5) == 0;
		if (!all && is_info != want_info)
			continue;
		if (add_member(a, &m[i]) != 0)
			return -1;
	}
	return 0;
}

int mkpkg_write_tar_bz2(const char *path, const mkpkg_member_t *m, size_t n)
{
	struct archive *a = archive_write_new();
	int rc = -1;
	archive_write_add_filter_bzip2(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
		fprintf(stderr, "mkpkg: %s: %s\n", path, archive_error_string(a));
		goto out;
	}
	rc = write_tar(a, m, n, 0, 1);
	if (archive_write_close(a) != ARCHIVE_OK)
		rc = -1;
out:
	archive_write_free(a);
	return rc;
}

/* Builds one zstd-compressed tar in memory; *out is malloc'd (caller frees). */
static int tar_zst_in_memory(const mkpkg_member_t *m, size_t n, int want_info, char **out,
			     size_t *out_len)
{
	size_t cap = 1 << 20;
	char *mem = malloc(cap);
	struct archive *a = archive_write_new();
	int rc = -1;
	archive_write_add_filter_zstd(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_memory(a, mem, cap, out_len) != ARCHIVE_OK ||
	    write_tar(a, m, n, want_info, 0) != 0 || archive_write_close(a) != ARCHIVE_OK) {
		fprintf(stderr, "mkpkg: inner tar: %s\n", archive_error_string(a));
		goto out;
	}
	*out = mem;
	mem = NULL;
	rc = 0;
out:
	archive_write_free(a);
	free(mem);
	return rc;
}

static int add_blob(struct archive *zip, const char *folder, const char *name, const char *data,
		    size_t len)
{
	buf_t full = BUF_INIT;
	if (folder)
		buf_addf(&full, "%s/", folder);
	buf_addstr(&full, name);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, full.data);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, 0, 0);
	int rc = archive_write_header(zip, e) == ARCHIVE_OK &&
				 archive_write_data(zip, data, len) == (la_ssize_t)len
			 ? 0
			 : -1;
	if (rc)
		fprintf(stderr, "mkpkg: zip %s: %s\n", full.data, archive_error_string(zip));
	archive_entry_free(e);
	buf_free(&full);
	return rc;
}

int mkpkg_write_conda(const char *path, const char *dist, const char *zip_folder,
		      const mkpkg_member_t *m, size_t n)
{
	char *info = NULL, *pkg = NULL;
	size_t info_len = 0, pkg_len = 0;
	buf_t name = BUF_INIT;
	struct archive *zip = archive_write_new();
	int rc = -1;
	static const char metadata[] = "{\"conda_pkg_format_version\": 2}";
	if (tar_zst_in_memory(m, n, 1, &info, &info_len) != 0 ||
	    tar_zst_in_memory(m, n, 0, &pkg, &pkg_len) != 0)
		goto out;
	archive_write_set_format_zip(zip);
	archive_write_zip_set_compression_store(zip);
	if (archive_write_open_filename(zip, path) != ARCHIVE_OK)
		goto out;
	if (add_blob(zip, zip_folder, "metadata.json", metadata, sizeof metadata - 1) != 0)
		goto out;
	if (!dist) {
		rc = archive_write_close(zip) == ARCHIVE_OK ? 0 : -1;
		goto out;
	}
	buf_addf(&name, "info-%s.tar.zst", dist);
	if (add_blob(zip, zip_folder, name.data, info, info_len) != 0)
		goto out;
	buf_setstr(&name, "");
	buf_addf(&name, "pkg-%s.tar.zst", dist);
	if (add_blob(zip, zip_folder, name.data, pkg, pkg_len) != 0)
		goto out;
	rc = archive_write_close(zip) == ARCHIVE_OK ? 0 : -1;
out:
	if (rc)
		fprintf(stderr, "mkpkg: %s: %s\n", path, archive_error_string(zip));
	archive_write_free(zip);
	buf_free(&name);
	free(info);
	free(pkg);
	return rc;
}
