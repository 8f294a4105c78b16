/* test_pypi_wheel.c — pypi/wheel*.c: Debian's real upstream pip wheel installed and its new
 * RECORD checked file by file, the .data scheme mapping, shebangs and launchers, and small
 * wheels written here with libarchive that break one rule each (hashes, sizes, unlisted and
 * missing members, traversal, absolute names, symlinks, duplicates, identity, entry points,
 * conda-owned files): every one must fail with its reason and leave nothing behind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fsutil.h"
#include "testutil.h"
#include "wheel.h"
#include "wheel_int.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define PREFIX "/opt/conda/envs/demo"
#define PIP_WHEEL "/usr/share/python-wheels/pip-23.0.1-py3-none-any.whl"
#define META "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n"
#define WHEEL_TXT "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"

static char *tmpdir;
static int counter;

static int setup(void **state)
{
	(void)state;
	tmpdir = testutil_tmpdir_new("test_pypi_wheel");
	return tmpdir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	testutil_tmpdir_remove(tmpdir);
	return 0;
}

static void fresh(buf_t *b, const char *what)
{
	buf_reset(b);
	buf_addf(b, "%s/%s-%d", tmpdir, what, counter++);
}

static void record_hash(const char *data, size_t len, buf_t *out)
{
	wheel_hash_t *h = wheel_hash_new("sha256");
	wheel_hash_update(h, data, len);
	wheel_hash_final(h, out);
}

/* ------------------------------------------------------------------ writing test wheels */

typedef enum { M_FILE, M_DIR, M_SYMLINK } mtype_t;

typedef struct member {
	const char *name, *data;
	unsigned mode; /* 0: 0644 */
	mtype_t type;
	int unlisted; /* leave it out of RECORD */
	int bad_hash; /* list a hash of other bytes */
	int bad_size; /* list a size one byte short */
} member_t;

static void add_entry(struct archive *a, const char *name, const char *data, unsigned mode,
		      mtype_t type)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_mtime(e, 1700000000, 0);
	if (type == M_SYMLINK) {
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, data);
		archive_entry_set_perm(e, 0777);
	} else if (type == M_DIR) {
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
	} else {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, mode ? mode : 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(data));
	}
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (type == M_FILE && *data)
		assert_int_equal(archive_write_data(a, data, strlen(data)),
				 (la_ssize_t)strlen(data));
	archive_entry_free(e);
}

/* Writes a wheel of m[0..n) plus dist_info/RECORD (every listed file's hash and size, then
 * extra_rows); dist_info NULL writes no RECORD. */
static void write_wheel(const char *path, const char *dist_info, const member_t *m, size_t n,
			const char *extra_rows)
{
	struct archive *a = archive_write_new();
	buf_t record = BUF_INIT, h = BUF_INIT, name = BUF_INIT;
	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		add_entry(a, m[i].name, m[i].data, m[i].mode, m[i].type);
		if (m[i].type != M_FILE || m[i].unlisted)
			continue;
		buf_t other = BUF_INIT;
		buf_addf(&other, "%s%s", m[i].data, m[i].bad_hash ? "x" : "");
		record_hash(other.data, other.len, &h);
		buf_addf(&record, "%s,sha256=%s,%zu\n", m[i].name, buf_cstr(&h),
			 strlen(m[i].data) - (m[i].bad_size ? 1 : 0));
		buf_free(&other);
	}
	if (dist_info) {
		buf_addf(&record, "%s%s/RECORD,,\n", extra_rows ? extra_rows : "", dist_info);
		buf_addf(&name, "%s/RECORD", dist_info);
		add_entry(a, buf_cstr(&name), buf_cstr(&record), 0644, M_FILE);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	buf_free(&record);
	buf_free(&h);
	buf_free(&name);
}

static const pypi_wheel_opts_t default_opts = {
	.target_prefix = PREFIX,
	.python_version = "3.11",
};

static int install(const pypi_wheel_opts_t *o, const char *wheel, const char *filename, buf_t *dest,
		   err_t *err)
{
	fresh(dest, "dest");
	return pypi_wheel_install(o, wheel, filename, buf_cstr(dest), err);
}

/* dir holds nothing but keep (no destination, no temporary sibling). */
static void assert_only(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, keep))
			fail_msg("%s/%s left behind", dir, de->d_name);
	closedir(d);
}

static mode_t mode_of(const char *dest, const char *rel)
{
	buf_t p = BUF_INIT;
	struct stat st;
	buf_addf(&p, "%s/%s", dest, rel);
	if (lstat(buf_cstr(&p), &st) < 0)
		fail_msg("%s missing", buf_cstr(&p));
	buf_free(&p);
	return st.st_mode & 07777;
}

static char *read_rel(const char *dest, const char *rel)
{
	buf_t p = BUF_INIT;
	buf_addf(&p, "%s/%s", dest, rel);
	char *s = testutil_read_file(buf_cstr(&p), NULL);
	buf_free(&p);
	return s;
}

/* ------------------------------------------------------------------ a real wheel */

/* Every row of the new RECORD names an installed file with its real hash and size, rows are
 * sorted, and every installed file has a row. */
static void assert_record_describes_tree(const char *dest, const char *record_rel)
{
	char *record = read_rel(dest, record_rel);
	size_t rows = 0;
	char *prev = NULL;
	for (char *line = record; *line;) {
		char *nl = strchr(line, '\n');
		*nl = 0;
		if (prev && strcmp(prev, line) >= 0)
			fail_msg("RECORD not sorted at '%s'", line);
		char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
		assert_non_null(c2);
		*c1 = 0;
		buf_t rel = BUF_INIT, h = BUF_INIT;
		if (!strncmp(line, "../../../", 9))
			buf_addstr(&rel, line + 9);
		else
			buf_addf(&rel, "lib/python3.11/site-packages/%s", line);
		if (c2 > c1 + 1) {
			size_t len;
			buf_t path = BUF_INIT;
			buf_addf(&path, "%s/%s", dest, buf_cstr(&rel));
			char *data = testutil_read_file(buf_cstr(&path), &len);
			record_hash(data, len, &h);
			*c2 = 0;
			if (strncmp(c1 + 1, "sha256=", 7) || strcmp(c1 + 8, buf_cstr(&h)) ||
			    strtoull(c2 + 1, NULL, 10) != len)
				fail_msg("RECORD row for %s is wrong", line);
			free(data);
			buf_free(&path);
		}
		rows++;
		buf_free(&rel);
		buf_free(&h);
		prev = line;
		line = nl + 1;
	}
	/* every regular file in the tree has its row */
	buf_t cmd = BUF_INIT;
	buf_addf(&cmd, "find '%s' -type f | wc -l", dest);
	FILE *f = popen(buf_cstr(&cmd), "r");
	size_t files = 0;
	assert_int_equal(fscanf(f, "%zu", &files), 1);
	pclose(f);
	assert_int_equal(files, rows);
	free(record);
	buf_free(&cmd);
}

static void test_debian_pip_wheel_installs_with_launchers_and_a_true_record(void **state)
{
	(void)state;
	if (access(PIP_WHEEL, R_OK) != 0)
		skip(); /* python3-pip-whl (.ci/bootstrap) */
	pypi_wheel_opts_t o = default_opts;
	o.is_requested = 1;
	buf_t dest = BUF_INIT;
	err_t err = ERR_INIT;
	if (install(&o, PIP_WHEEL, "pip-23.0.1-py3-none-any.whl", &dest, &err) < 0)
		fail_msg("%s", err_msg(&err));
	const char *d = buf_cstr(&dest);
	assert_int_equal(mode_of(d, "lib/python3.11/site-packages/pip/__init__.py"), 0644);
	assert_int_equal(mode_of(d, "lib/python3.11/site-packages"), 0755);
	assert_int_equal(mode_of(d, "bin/pip3.11"), 0755);
	char *launcher = read_rel(d, "bin/pip");
	assert_true(!strncmp(launcher, "#!" PREFIX "/bin/python\n",
			     strlen("#!" PREFIX "/bin/python\n")));
	assert_non_null(strstr(launcher, "from pip._internal.cli.main import main\n"));
	assert_non_null(strstr(launcher, "sys.exit(main())"));
	free(launcher);
	char *installer =
		read_rel(d, "lib/python3.11/site-packages/pip-23.0.1.dist-info/INSTALLER");
	assert_string_equal(installer, "imgbuild\n");
	free(installer);
	assert_int_equal(mode_of(d, "lib/python3.11/site-packages/pip-23.0.1.dist-info/REQUESTED"),
			 0644);
	assert_record_describes_tree(d, "lib/python3.11/site-packages/pip-23.0.1.dist-info/RECORD");
	char *record = read_rel(d, "lib/python3.11/site-packages/pip-23.0.1.dist-info/RECORD");
	assert_non_null(strstr(record, "../../../bin/pip,sha256="));
	assert_non_null(strstr(record, "\npip-23.0.1.dist-info/RECORD,,\n"));
	free(record);
	buf_free(&dest);
}

static void test_same_wheel_installs_to_identical_bytes(void **state)
{
	(void)state;
	if (access(PIP_WHEEL, R_OK) != 0)
		skip();
	buf_t a = BUF_INIT, b = BUF_INIT, cmd = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(install(&default_opts, PIP_WHEEL, "pip-23.0.1-py3-none-any.whl", &a, &err),
			 0);
	assert_int_equal(install(&default_opts, PIP_WHEEL, "pip-23.0.1-py3-none-any.whl", &b, &err),
			 0);
	buf_addf(&cmd, "diff -r '%s' '%s' >/dev/null", buf_cstr(&a), buf_cstr(&b));
	assert_int_equal(system(buf_cstr(&cmd)), 0);
	buf_free(&a);
	buf_free(&b);
	buf_free(&cmd);
}

/* ------------------------------------------------------------------ schemes and scripts */

static void test_data_schemes_map_to_the_conda_prefix(void **state)
{
	(void)state;
	const member_t m[] = {
		{"demo/__init__.py", "x = 1\n", 0, M_FILE, 0, 0, 0},
		{"demo/tool.so", "ELF", 0755, M_FILE, 0, 0, 0},
		{"demo-1.0.data/purelib/demo_pure.py", "p = 1\n", 0, M_FILE, 0, 0, 0},
		{"demo-1.0.data/platlib/demo_plat.py", "q = 1\n", 0, M_FILE, 0, 0, 0},
		{"demo-1.0.data/scripts/demo-run", "#!python\nprint('hi')\n", 0, M_FILE, 0, 0, 0},
		{"demo-1.0.data/scripts/demo-gui", "#!pythonw -E\nprint('gui')\n", 0, M_FILE, 0, 0,
		 0},
		{"demo-1.0.data/scripts/demo-sh", "#!/bin/sh\necho sh\n", 0755, M_FILE, 0, 0, 0},
		{"demo-1.0.data/headers/demo.h", "#define DEMO 1\n", 0, M_FILE, 0, 0, 0},
		{"demo-1.0.data/data/share/demo/readme.txt", "data\n", 0, M_FILE, 0, 0, 0},
		{"demo-1.0.dist-info/METADATA", META, 0, M_FILE, 0, 0, 0},
		{"demo-1.0.dist-info/WHEEL", WHEEL_TXT, 0, M_FILE, 0, 0, 0},
		{"demo-1.0.dist-info/entry_points.txt",
		 "[console_scripts]\ndemo = demo.cli:main.run [extra]\n[gui_scripts]\ndemo-win = "
		 "demo:gui\n"
		 "[other.group]\nnot-a-script = os:system\n",
		 0, M_FILE, 0, 0, 0},
	};
	buf_t whl = BUF_INIT, dest = BUF_INIT;
	err_t err = ERR_INIT;
	fresh(&whl, "demo.whl");
	write_wheel(buf_cstr(&whl), "demo-1.0.dist-info", m, N_OF(m), NULL);
	if (install(&default_opts, buf_cstr(&whl), "demo-1.0-py3-none-any.whl", &dest, &err) < 0)
		fail_msg("%s", err_msg(&err));
	const char *d = buf_cstr(&dest);
	assert_int_equal(mode_of(d, "lib/python3.11/site-packages/demo/tool.so"), 0755);
	assert_int_equal(mode_of(d, "lib/python3.11/site-packages/demo_pure.py"), 0644);
	assert_int_equal(mode_of(d, "lib/python3.11/site-packages/demo_plat.py"), 0644);
	assert_int_equal(mode_of(d, "include/python3.11/demo/demo.h"), 0644);
	assert_int_equal(mode_of(d, "share/demo/readme.txt"), 0644);
	char *run = read_rel(d, "bin/demo-run"), *gui = read_rel(d, "bin/demo-gui"),
	     *sh = read_rel(d, "bin/demo-sh"), *ep = read_rel(d, "bin/demo");
	assert_string_equal(run, "#!" PREFIX "/bin/python\nprint('hi')\n");
	assert_string_equal(gui, "#!" PREFIX "/bin/python -E\nprint('gui')\n");
	assert_string_equal(sh, "#!/bin/sh\necho sh\n"); /* only "#!python" is rewritten */
	assert_non_null(strstr(ep, "from demo.cli import main\n"));
	assert_non_null(strstr(ep, "sys.exit(main.run())\n"));
	assert_int_equal(mode_of(d, "bin/demo-run"), 0755);
	assert_int_equal(mode_of(d, "bin/demo-win"), 0755);
	buf_t nope = BUF_INIT;
	buf_addf(&nope, "%s/bin/not-a-script", d);
	assert_false(fs_exists(buf_cstr(&nope))); /* other entry-point groups make no scripts */
	buf_free(&nope);
	assert_record_describes_tree(d, "lib/python3.11/site-packages/demo-1.0.dist-info/RECORD");
	free(run);
	free(gui);
	free(sh);
	free(ep);
	buf_free(&whl);
	buf_free(&dest);
}

static void test_shebang_past_127_bytes_or_with_space_uses_sh_exec(void **state)
{
	(void)state;
	buf_t out = BUF_INIT, py = BUF_INIT;
	/* "#!" + 124 bytes + "\n" = 127: still a plain shebang */
	buf_addch(&py, '/');
	while (py.len < 124)
		buf_addch(&py, 'p');
	pypi_wheel_shebang(buf_cstr(&py), "", &out);
	assert_int_equal(out.len, 127);
	assert_true(!strncmp(out.data, "#!/ppp", 6));
	buf_addch(&py, 'p'); /* 128 */
	pypi_wheel_shebang(buf_cstr(&py), "", &out);
	assert_true(!strncmp(out.data, "#!/bin/sh\n'''exec' \"/ppp", 24));
	assert_non_null(strstr(out.data, "\" \"$0\" \"$@\"\n' '''\n"));
	pypi_wheel_shebang("/opt/my env/bin/python", " -E", &out);
	assert_string_equal(
		out.data,
		"#!/bin/sh\n'''exec' \"/opt/my env/bin/python\" -E \"$0\" \"$@\"\n' '''\n");
	buf_free(&out);
	buf_free(&py);
}

static void test_long_prefix_launchers_run_through_sh(void **state)
{
	(void)state;
	const member_t m[] = {
		{"demo/__init__.py", "def main():\n    return 0\n", 0, M_FILE, 0, 0, 0},
		{"demo-1.0.dist-info/METADATA", META, 0, M_FILE, 0, 0, 0},
		{"demo-1.0.dist-info/WHEEL", WHEEL_TXT, 0, M_FILE, 0, 0, 0},
		{"demo-1.0.dist-info/entry_points.txt", "[console_scripts]\ndemo=demo:main\n", 0,
		 M_FILE, 0, 0, 0},
	};
	buf_t whl = BUF_INIT, dest = BUF_INIT, prefix = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addstr(&prefix, "/opt/conda/envs/");
	while (prefix.len < 140)
		buf_addch(&prefix, 'x');
	pypi_wheel_opts_t o = default_opts;
	o.target_prefix = buf_cstr(&prefix);
	fresh(&whl, "demo.whl");
	write_wheel(buf_cstr(&whl), "demo-1.0.dist-info", m, N_OF(m), NULL);
	assert_int_equal(install(&o, buf_cstr(&whl), "demo-1.0-py3-none-any.whl", &dest, &err), 0);
	char *ep = read_rel(buf_cstr(&dest), "bin/demo");
	assert_true(!strncmp(ep, "#!/bin/sh\n'''exec' \"/opt/conda/envs/xxx", 38));
	assert_non_null(
		strstr(ep, "/bin/python\" \"$0\" \"$@\"\n' '''\n# -*- coding: utf-8 -*-\n"));
	free(ep);
	buf_free(&whl);
	buf_free(&dest);
	buf_free(&prefix);
}

static void test_direct_url_json_names_the_url_and_hash(void **state)
{
	(void)state;
	const member_t m[] = {
		{"demo.py", "x = 1\n", 0, M_FILE, 0, 0, 0},
		{"demo-1.0.dist-info/METADATA", META, 0, M_FILE, 0, 0, 0},
		{"demo-1.0.dist-info/WHEEL", WHEEL_TXT, 0, M_FILE, 0, 0, 0},
	};
	buf_t whl = BUF_INIT, dest = BUF_INIT;
	err_t err = ERR_INIT;
	pypi_wheel_opts_t o = default_opts;
	o.direct_url = "https://files.example/demo-1.0-py3-none-any.whl";
	o.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	fresh(&whl, "demo.whl");
	write_wheel(buf_cstr(&whl), "demo-1.0.dist-info", m, N_OF(m), NULL);
	assert_int_equal(install(&o, buf_cstr(&whl), "demo-1.0-py3-none-any.whl", &dest, &err), 0);
	char *j = read_rel(buf_cstr(&dest),
			   "lib/python3.11/site-packages/demo-1.0.dist-info/direct_url.json");
	assert_string_equal(
		j, "{\"archive_info\":{\"hash\":\"sha256="
		   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
		   "\"hashes\":{\"sha256\":"
		   "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}},"
		   "\"url\":\"https://files.example/demo-1.0-py3-none-any.whl\"}");
	free(j);
	/* not requested: no REQUESTED */
	buf_t p = BUF_INIT;
	buf_addf(&p, "%s/lib/python3.11/site-packages/demo-1.0.dist-info/REQUESTED",
		 buf_cstr(&dest));
	assert_false(fs_exists(buf_cstr(&p)));
	buf_free(&p);
	buf_free(&whl);
	buf_free(&dest);
}

/* ------------------------------------------------------------------ refusals */

static const char *conda_owner(void *ud, const char *rel)
{
	(void)ud;
	return !strcmp(rel, "lib/python3.11/site-packages/demo.py") ? "demo-conda-1.0-py_0" : NULL;
}

typedef struct bad_case {
	const char *why, *expect;
	member_t extra[2]; /* added to the base members */
	const char *extra_rows;
	const char *filename;  /* NULL: demo-1.0-py3-none-any.whl */
	const char *metadata;  /* NULL: META */
	const char *wheel_txt; /* NULL: WHEEL_TXT */
	int owned;             /* use conda_owner */
} bad_case_t;

#define F(name, data)                                                                              \
	{                                                                                          \
		name, data, 0, M_FILE, 0, 0, 0                                                     \
	}
static const bad_case_t bad_cases[] = {
	{.why = "wrong hash",
	 .expect = "does not match its RECORD entry",
	 .extra = {{"demo.py", "x = 1\n", 0, M_FILE, 0, 1, 0}}},
	{.why = "wrong size",
	 .expect = "does not match its RECORD entry",
	 .extra = {{"demo.py", "x = 1\n", 0, M_FILE, 0, 0, 1}}},
	{.why = "unlisted",
	 .expect = "is not listed in RECORD",
	 .extra = {{"evil.py", "x\n", 0, M_FILE, 1, 0, 0}}},
	{.why = "missing member",
	 .expect = "which the wheel does not contain",
	 .extra_rows = "ghost.py,sha256=AAAA,4\n"},
	{.why = "no hash",
	 .expect = "without a hash",
	 .extra = {{"demo.py", "x\n", 0, M_FILE, 1, 0, 0}},
	 .extra_rows = "demo.py,,\n"},
	{.why = "md5 hash", .expect = "sha256 or stronger", .extra_rows = "demo.py,md5=AAAA,4\n"},
	{.why = "traversal",
	 .expect = "'.', '..' or empty path component",
	 .extra = {F("../../etc/passwd", "x\n")}},
	{.why = "dot-dot inside",
	 .expect = "'.', '..' or empty path component",
	 .extra = {F("demo/../../x.py", "x\n")}},
	{.why = "absolute",
	 .expect = "an absolute or empty name",
	 .extra = {F("/etc/cron.d/x", "x\n")}},
	{.why = "symlink",
	 .expect = "a symlink",
	 .extra = {{"demo-link", "/etc/passwd", 0, M_SYMLINK, 1, 0, 0}}},
	/* libarchive reads "demo\x.py" as "demo/x.py", which RECORD does not list */
	{.why = "backslash",
	 .expect = "demo/x.py is not listed in RECORD",
	 .extra = {F("demo\\x.py", "x\n")}},
	{.why = "duplicate",
	 .expect = "appears twice",
	 .extra = {{"demo.py", "x = 1\n", 0, M_FILE, 1, 0, 0}, F("demo.py", "x = 1\n")}},
	{.why = "two dist-info",
	 .expect = "two .dist-info directories",
	 .extra = {F("other-2.0.dist-info/METADATA", META)}},
	{.why = "unknown scheme",
	 .expect = "unknown install scheme",
	 .extra = {F("demo-1.0.data/config/x.cfg", "x\n")}},
	{.why = "name mismatch",
	 .expect = "do not match the file name",
	 .filename = "other-1.0-py3-none-any.whl"},
	{.why = "version mismatch",
	 .expect = "do not match the file name",
	 .metadata = "Metadata-Version: 2.1\nName: demo\nVersion: 2.0\n\n"},
	{.why = "wheel 2.0",
	 .expect = "is not 1.x",
	 .wheel_txt = "Wheel-Version: 2.0\nRoot-Is-Purelib: true\n"},
	{.why = "hostile entry point",
	 .expect = "dotted Python names",
	 .extra = {F("demo-1.0.dist-info/entry_points.txt",
		     "[console_scripts]\nx = os:system('id')\n")}},
	{.why = "entry point path",
	 .expect = "plain file name",
	 .extra = {F("demo-1.0.dist-info/entry_points.txt",
		     "[console_scripts]\n../../etc/x = demo:main\n")}},
	{.why = "script twice",
	 .expect = "would be installed twice",
	 .extra = {F("demo-1.0.data/scripts/demo", "#!python\n"),
		   F("demo-1.0.dist-info/entry_points.txt",
		     "[console_scripts]\ndemo = demo:main\n")}},
	{.why = "conda owns the file",
	 .expect = "which conda package demo-conda-1.0-py_0 installs",
	 .owned = 1},
};
#undef F

static void test_broken_and_hostile_wheels_are_refused_leaving_nothing(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_OF(bad_cases); i++) {
		const bad_case_t *c = &bad_cases[i];
		member_t m[6] = {
			{"demo-1.0.dist-info/METADATA", c->metadata ? c->metadata : META, 0, M_FILE,
			 0, 0, 0},
			{"demo-1.0.dist-info/WHEEL", c->wheel_txt ? c->wheel_txt : WHEEL_TXT, 0,
			 M_FILE, 0, 0, 0},
		};
		size_t n = 2;
		int has_demo = 0;
		for (int k = 0; k < 2; k++)
			if (c->extra[k].name) {
				m[n++] = c->extra[k];
				has_demo |= !strcmp(c->extra[k].name, "demo.py");
			}
		if (!has_demo)
			m[n++] = (member_t){"demo.py", "x = 1\n", 0, M_FILE, 0, 0, 0};
		buf_t dir = BUF_INIT, whl = BUF_INIT, dest = BUF_INIT;
		err_t err = ERR_INIT;
		pypi_wheel_opts_t o = default_opts;
		if (c->owned)
			o.owned_by = conda_owner;
		fresh(&dir, "case");
		assert_int_equal(fs_mkdir_p(buf_cstr(&dir), &err), 0);
		buf_addf(&whl, "%s/bad.whl", buf_cstr(&dir));
		buf_addf(&dest, "%s/dest", buf_cstr(&dir));
		write_wheel(buf_cstr(&whl), "demo-1.0.dist-info", m, n, c->extra_rows);
		if (pypi_wheel_install(&o, buf_cstr(&whl),
				       c->filename ? c->filename : "demo-1.0-py3-none-any.whl",
				       buf_cstr(&dest), &err) == 0)
			fail_msg("%s: installed", c->why);
		if (!strstr(err_msg(&err), c->expect))
			fail_msg("%s: '%s' lacks '%s'", c->why, err_msg(&err), c->expect);
		if (!strstr(err_msg(&err), "wheel "))
			fail_msg("%s: '%s' does not name the wheel", c->why, err_msg(&err));
		err_clear(&err);
		assert_only(buf_cstr(&dir), "bad.whl");
		buf_free(&dir);
		buf_free(&whl);
		buf_free(&dest);
	}
}

static void test_wheel_without_record_or_dist_info_is_refused(void **state)
{
	(void)state;
	const member_t m[] = {
		{"demo.py", "x\n", 0, M_FILE, 1, 0, 0},
		{"demo-1.0.dist-info/METADATA", META, 0, M_FILE, 1, 0, 0},
		{"demo-1.0.dist-info/WHEEL", WHEEL_TXT, 0, M_FILE, 1, 0, 0},
	};
	buf_t whl = BUF_INIT, dest = BUF_INIT;
	err_t err = ERR_INIT;
	fresh(&whl, "norecord.whl");
	write_wheel(buf_cstr(&whl), NULL, m, N_OF(m), NULL);
	assert_int_equal(
		install(&default_opts, buf_cstr(&whl), "demo-1.0-py3-none-any.whl", &dest, &err),
		-1);
	assert_non_null(strstr(err_msg(&err), "RECORD is missing"));
	err_clear(&err);
	fresh(&whl, "nodistinfo.whl");
	write_wheel(buf_cstr(&whl), NULL, m, 1, NULL);
	assert_int_equal(
		install(&default_opts, buf_cstr(&whl), "demo-1.0-py3-none-any.whl", &dest, &err),
		-1);
	assert_non_null(strstr(err_msg(&err), "no .dist-info directory"));
	err_clear(&err);
	assert_int_equal(install(&default_opts, "/nonexistent.whl", "demo-1.0-py3-none-any.whl",
				 &dest, &err),
			 -1);
	assert_non_null(strstr(err_msg(&err), "not a readable zip archive"));
	err_clear(&err);
	buf_free(&whl);
	buf_free(&dest);
}

static void test_existing_destination_is_refused(void **state)
{
	(void)state;
	buf_t dest = BUF_INIT;
	err_t err = ERR_INIT;
	fresh(&dest, "exists");
	assert_int_equal(fs_mkdir_p(buf_cstr(&dest), &err), 0);
	if (access(PIP_WHEEL, R_OK) != 0)
		skip();
	assert_int_equal(pypi_wheel_install(&default_opts, PIP_WHEEL, "pip-23.0.1-py3-none-any.whl",
					    buf_cstr(&dest), &err),
			 -1);
	assert_non_null(strstr(err_msg(&err), "already exists"));
	err_clear(&err);
	buf_free(&dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_pip_wheel_installs_with_launchers_and_a_true_record),
		cmocka_unit_test(test_same_wheel_installs_to_identical_bytes),
		cmocka_unit_test(test_data_schemes_map_to_the_conda_prefix),
		cmocka_unit_test(test_shebang_past_127_bytes_or_with_space_uses_sh_exec),
		cmocka_unit_test(test_long_prefix_launchers_run_through_sh),
		cmocka_unit_test(test_direct_url_json_names_the_url_and_hash),
		cmocka_unit_test(test_broken_and_hostile_wheels_are_refused_leaving_nothing),
		cmocka_unit_test(test_wheel_without_record_or_dist_info_is_refused),
		cmocka_unit_test(test_existing_destination_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
