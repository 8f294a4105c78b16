/* wheel.c — the wheel installer (see wheel.h). Two passes over the zip (libarchive's
 * seekable reader, which trusts the central directory as Python's zipfile and pip do):
 * the first checks every member name and type and reads the .dist-info files that decide
 * the rest (WHEEL, METADATA, RECORD, entry_points.txt); the second writes each member under
 * a temporary root with openat(O_CREAT|O_EXCL|O_NOFOLLOW), hashing it as it goes and
 * comparing with RECORD. Generated files (launchers, INSTALLER, ...) are written the same
 * way, the new RECORD last. */
#include "wheel.h"
#include "wheel_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "distfile.h"
#include "fsutil.h"
#include "metadata.h"
#include "pypi_int.h"
#include "pyname.h"
#include "xalloc.h"

#define WHEEL_MAX_MEMBERS 200000
#define WHEEL_MAX_META_BYTES (16u << 20)   /* RECORD, METADATA, WHEEL, entry_points.txt */
#define WHEEL_MAX_SCRIPT_BYTES (64u << 20) /* scripts are read whole for the shebang */

/* ------------------------------------------------------------------ pass 1: scan */

static int open_zip(const char *path, struct archive **out, err_t *err)
{
	struct archive *a = xcheck(archive_read_new());
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		err_set(err, "%s: not a readable zip archive: %s", path, archive_error_string(a));
		archive_read_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

/* Member names must be plain relative paths: no "/" at the start, no "", "." or ".."
 * component (a trailing "/" marks a directory), no backslash, no control character. */
static int check_member_name(const wheel_inst_t *in, const char *name, err_t *err)
{
	const char *why = NULL;
	size_t len = strlen(name);
	if (len == 0 || name[0] == '/')
		why = "an absolute or empty name";
	for (const char *p = name; !why && *p; p++)
		if (*p == '\\' || (unsigned char)*p < 0x20)
			why = "a backslash or control character in the name";
	for (const char *p = name; !why && *p;) {
		size_t n = strcspn(p, "/");
		if ((n == 0 && p[n]) || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			why = "a '.', '..' or empty path component";
		p += n + (p[n] == '/');
	}
	if (why)
		return err_set(err, "wheel %s: member '%.300s' refused: %s", in->wheel, name, why);
	return 0;
}

static int read_member(struct archive *a, const wheel_inst_t *in, const char *name, buf_t *out,
		       size_t max, err_t *err)
{
	char block[65536];
	la_ssize_t n;
	buf_reset(out);
	while ((n = archive_read_data(a, block, sizeof block)) > 0) {
		if (out->len + (size_t)n > max)
			return err_set(err, "wheel %s: %s is larger than %zu bytes", in->wheel,
				       name, max);
		buf_add(out, block, (size_t)n);
	}
	if (n < 0)
		return err_set(err, "wheel %s: cannot read %s: %s", in->wheel, name,
			       archive_error_string(a));
	return 0;
}

/* Notes the .dist-info directory of name and reads the files of it that matter. */
static int scan_dist_info(struct archive *a, wheel_inst_t *in, const char *name, err_t *err)
{
	static const char *const wanted[] = {"WHEEL", "METADATA", "RECORD", "entry_points.txt"};
	size_t top = strcspn(name, "/");
	if (top < 11 || strncmp(name + top - 10, ".dist-info", 10))
		return 0;
	if (!in->dist_info)
		in->dist_info = xstrndup(name, top);
	else if (strlen(in->dist_info) != top || strncmp(in->dist_info, name, top))
		return err_set(err, "wheel %s: two .dist-info directories (%s and %.*s)", in->wheel,
			       in->dist_info, (int)top, name);
	for (int k = 0; k < 4; k++)
		if (name[top] == '/' && !strcmp(name + top + 1, wanted[k]))
			return read_member(a, in, name, &in->meta[k], WHEEL_MAX_META_BYTES, err);
	return 0;
}

static int scan_member(struct archive *a, struct archive_entry *ae, wheel_inst_t *in, err_t *err)
{
	const char *name = archive_entry_pathname(ae);
	mode_t type = archive_entry_filetype(ae);
	if (!name)
		return err_set(err, "wheel %s: a member name cannot be read", in->wheel);
	if (check_member_name(in, name, err) < 0)
		return -1;
	if (archive_entry_is_encrypted(ae))
		return err_set(err, "wheel %s: member %s is encrypted", in->wheel, name);
	if (type != AE_IFREG && type != AE_IFDIR)
		return err_set(err, "wheel %s: member %s refused: %s", in->wheel, name,
			       type == AE_IFLNK ? "a symlink (wheels hold regular files only)"
						: "not a regular file");
	if (type == AE_IFDIR)
		return 0;
	if (in->names.n == WHEEL_MAX_MEMBERS)
		return err_set(err, "wheel %s: more than %d members", in->wheel, WHEEL_MAX_MEMBERS);
	pypi_strv_add(&in->names, name);
	return scan_dist_info(a, in, name, err);
}

static int scan_archive(wheel_inst_t *in, const char *path, err_t *err)
{
	struct archive *a;
	struct archive_entry *ae;
	int r = 0, ar;
	if (open_zip(path, &a, err) < 0)
		return err_prefix(err, "wheel %s", in->wheel);
	while (r == 0 && (ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK)
		r = scan_member(a, ae, in, err);
	if (r == 0 && ar != ARCHIVE_EOF)
		r = err_set(err, "wheel %s: %s", in->wheel, archive_error_string(a));
	archive_read_free(a);
	if (r < 0)
		return -1;
	pypi_strv_sort(&in->names);
	for (size_t i = 1; i < in->names.n; i++)
		if (!strcmp(in->names.v[i - 1], in->names.v[i]))
			return err_set(err, "wheel %s: member %s appears twice", in->wheel,
				       in->names.v[i]);
	return 0;
}

/* ------------------------------------------------------------------ .dist-info checks */

static int check_wheel_file(wheel_inst_t *in, err_t *err)
{
	const char *text = buf_cstr(&in->meta[META_WHEEL]);
	const char *v = strstr(text, "Wheel-Version:");
	const char *purelib = strstr(text, "Root-Is-Purelib:");
	if (!in->meta[META_WHEEL].len || !v)
		return err_set(err, "wheel %s: %s/WHEEL is missing or has no Wheel-Version",
			       in->wheel, in->dist_info);
	v += 14;
	while (*v == ' ' || *v == '\t')
		v++;
	if (strtol(v, NULL, 10) != 1)
		return err_set(err,
			       "wheel %s: Wheel-Version %.20s is not 1.x, which imgbuild installs",
			       in->wheel, v);
	if (purelib) {
		purelib += 16;
		while (*purelib == ' ' || *purelib == '\t')
			purelib++;
		in->root_is_purelib = !strncasecmp(purelib, "true", 4);
	}
	return 0;
}

/* The .dist-info and METADATA must name the project and version the file name says. */
static int check_identity(wheel_inst_t *in, err_t *err)
{
	pypi_distfile_t *f = pypi_distfile_parse(in->wheel, err);
	pypi_metadata_t *m = NULL;
	buf_t key = BUF_INIT, origin = BUF_INIT;
	char *stem = NULL;
	int r = -1;
	if (!f)
		goto out;
	if (!in->dist_info) {
		err_set(err, "wheel %s: no .dist-info directory", in->wheel);
		goto out;
	}
	stem = xstrndup(in->dist_info, strlen(in->dist_info) - 10); /* "-<version>" is last */
	const char *dash = strrchr(stem, '-');
	buf_addf(&origin, "wheel %s: %s/METADATA", in->wheel, in->dist_info);
	if (!(m = pypi_metadata_parse(in->meta[META_METADATA].data ? in->meta[META_METADATA].data
								   : "",
				      in->meta[META_METADATA].len, buf_cstr(&origin), err)))
		goto out;
	if (dash)
		pypi_name_normalize(stem, (size_t)(dash - stem), &key);
	pep440_ver_t *dv = dash ? pep440_ver_parse(dash + 1, NULL) : NULL;
	int same = dv && !strcmp(buf_cstr(&key), pypi_distfile_key(f)) &&
		   !pep440_ver_cmp(dv, pypi_distfile_version(f)) &&
		   pypi_name_eq(pypi_metadata_name(m), pypi_distfile_key(f)) &&
		   !pep440_ver_cmp(pypi_metadata_version(m), pypi_distfile_version(f));
	pep440_ver_free(dv);
	if (!same) {
		err_set(err, "wheel %s: its %s and METADATA (%s %s) do not match the file name",
			in->wheel, in->dist_info, pypi_metadata_name(m),
			pep440_ver_str(pypi_metadata_version(m)));
		goto out;
	}
	in->project = xstrdup(pypi_metadata_name(m));
	r = 0;
out:
	free(stem);
	pypi_distfile_free(f);
	pypi_metadata_free(m);
	buf_free(&key);
	buf_free(&origin);
	return r;
}

static int check_dist_info(wheel_inst_t *in, err_t *err)
{
	buf_t d = BUF_INIT;
	if (check_identity(in, err) < 0 || check_wheel_file(in, err) < 0)
		return -1;
	if (!in->meta[META_RECORD].len)
		return err_set(err, "wheel %s: %s/RECORD is missing", in->wheel, in->dist_info);
	if (wheel_record_parse(in->meta[META_RECORD].data, in->meta[META_RECORD].len, in->wheel,
			       &in->record, err) < 0)
		return -1;
	buf_add(&d, in->dist_info, strlen(in->dist_info) - 10);
	buf_addstr(&d, ".data");
	in->data_dir = buf_detach(&d);
	if (in->meta[META_ENTRY_POINTS].len &&
	    wheel_entry_points_parse(in->meta[META_ENTRY_POINTS].data,
				     in->meta[META_ENTRY_POINTS].len, in->wheel, &in->eps,
				     &in->n_eps, err) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ driver */

static int make_temp_root(wheel_inst_t *in, const char *dest_dir, err_t *err)
{
	buf_t parent = BUF_INIT, prefix = BUF_INIT;
	const char *slash = strrchr(dest_dir, '/');
	struct stat st;
	int r = -1;
	if (lstat(dest_dir, &st) == 0) {
		err_set(err, "%s already exists (a wheel installs into a new directory)", dest_dir);
		goto out;
	}
	buf_add(&parent, dest_dir, slash ? (size_t)(slash - dest_dir) : 0);
	if (!parent.len)
		buf_addstr(&parent, slash ? "/" : ".");
	buf_addf(&prefix, "%s.tmp-", slash ? slash + 1 : dest_dir);
	if (fs_mkdtemp(buf_cstr(&parent), buf_cstr(&prefix), &in->tmp, err) < 0)
		goto out;
	if (chmod(buf_cstr(&in->tmp), 0755) < 0 ||
	    (in->rootfd = open(buf_cstr(&in->tmp),
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		err_set(err, "%s: %s", buf_cstr(&in->tmp), strerror(errno));
		goto out;
	}
	r = 0;
out:
	buf_free(&parent);
	buf_free(&prefix);
	return r;
}

static void inst_free(wheel_inst_t *in)
{
	if (in->rootfd >= 0)
		close(in->rootfd);
	free(in->dist_info);
	free(in->data_dir);
	free(in->project);
	for (int k = 0; k < META_COUNT; k++)
		buf_free(&in->meta[k]);
	wheel_record_free(&in->record);
	wheel_entry_points_free(in->eps, in->n_eps);
	pypi_strv_free(&in->names);
	pypi_strv_free(&in->installed);
	buf_free(&in->site);
	buf_free(&in->python);
	buf_free(&in->tmp);
}

int pypi_wheel_install(const pypi_wheel_opts_t *opts, const char *wheel_path, const char *filename,
		       const char *dest_dir, err_t *err)
{
	wheel_inst_t in;
	err_t cleanup = ERR_INIT;
	int r = -1;
	memset(&in, 0, sizeof in);
	in.rootfd = -1;
	in.o = opts;
	in.wheel = filename;
	buf_addf(&in.site, "lib/python%s/site-packages", opts->python_version);
	if (opts->python_exe)
		buf_addstr(&in.python, opts->python_exe);
	else
		buf_addf(&in.python, "%s/bin/python", opts->target_prefix);
	if (scan_archive(&in, wheel_path, err) < 0 || check_dist_info(&in, err) < 0 ||
	    make_temp_root(&in, dest_dir, err) < 0)
		goto out;
	if (wheel_extract(&in, wheel_path, err) < 0 || wheel_write_generated(&in, err) < 0)
		goto out;
	if (rename(buf_cstr(&in.tmp), dest_dir) < 0) {
		err_set(err, "cannot rename %s to %s: %s", buf_cstr(&in.tmp), dest_dir,
			strerror(errno));
		goto out;
	}
	buf_reset(&in.tmp);
	r = 0;
out:
	if (in.tmp.len)
		fs_rm_rf(buf_cstr(&in.tmp), &cleanup);
	err_clear(&cleanup);
	inst_free(&in);
	return r;
}
