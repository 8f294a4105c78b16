/* test_install_stream.c — pkg/install_stream.c into layers/lstream.c (issue 14 #1): a package
 * streamed from its archive into a layer must hold exactly what install_package writes into a
 * staging tree (every path, type, mode, symlink target and byte of content, conda-meta
 * included), for hand-made packages in both formats (placeholders text and binary, noarch
 * relocation and entry points, symlinks, hardlinks with and without a placeholder) and for
 * every real package of the corpus; what install_package refuses, it refuses too. Entry order
 * is the archive's (layer-format 4), so layers are compared as sorted listings. */
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
#include "digest.h"
#include "err.h"
#include "fsutil.h"
#include "install.h"
#include "layer.h"
#include "lstream.h"
#include "mkpkg.h"
#include "pkgrec.h"
#include "testutil.h"

#define TARGET "/opt/conda/envs/demo"

static char *tmpdir;
static int counter;
static long long cap_bytes; /* install_opts.max_extracted_bytes of both ways (0: default) */

static int setup(void **state)
{
	(void)state;
	tmpdir = testutil_tmpdir_new("test_install_stream");
	return tmpdir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	testutil_tmpdir_remove(tmpdir);
	return 0;
}

static void fresh_path(buf_t *b, const char *what)
{
	buf_reset(b);
	buf_addf(b, "%s/%s-%d", tmpdir, what, counter++);
}

static pkgrec_t *rec_for(const char *fn, const char *noarch)
{
	err_t err = ERR_INIT;
	char *dist = strdup(fn);
	char *dot = strstr(dist, ".tar.bz2");
	if (!dot)
		dot = strstr(dist, ".conda");
	*dot = '\0';
	char *b = strrchr(dist, '-');
	*b = '\0';
	char *v = strrchr(dist, '-');
	*v = '\0';
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "name", dist, "version", v + 1, "build",
			      b + 1, "build_number", 0, "subdir", noarch ? "noarch" : "linux-64");
	if (noarch)
		json_object_set_new(j, "noarch", json_string(noarch));
	pkgrec_t *r = pkgrec_from_json(fn, j, "https://example.invalid/c",
				       noarch ? "noarch" : "linux-64", &err);
	json_decref(j);
	free(dist);
	assert_non_null(r);
	return r;
}

/* "path type mode sha256-or-target" per entry, sorted; hardlinks read as their target. */
static char *listing_of(const char *blob)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	buf_t out = BUF_INIT;
	char **lines = NULL, hex[DIGEST_HEX_MAX], buf[1 << 14];
	size_t n = 0;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, blob, 1 << 16), ARCHIVE_OK);
	char **names = NULL, **hashes = NULL;
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae), *hl = archive_entry_hardlink(ae);
		buf_t line = BUF_INIT;
		mode_t m = archive_entry_mode(ae);
		if (hl) {
			for (size_t i = 0; i < n; i++)
				if (!strcmp(names[i], hl))
					buf_addf(&line, "%s f %s", name, hashes[i]);
			/* a hardlink in one layer and a copy in the other read the same */
			assert_true(line.len > 0);
		} else if (S_ISREG(m)) {
			digest_t *d = digest_new(DIGEST_SHA256);
			la_ssize_t k;
			while ((k = archive_read_data(a, buf, sizeof buf)) > 0)
				digest_update(d, buf, (size_t)k);
			digest_final_hex(d, hex);
			digest_free(d);
			buf_addf(&line, "%s f %o %s", name, (unsigned)(m & 07777), hex);
		} else if (S_ISLNK(m)) {
			buf_addf(&line, "%s l %s", name, archive_entry_symlink(ae));
		} else {
			buf_addf(&line, "%s d %o", name, (unsigned)(m & 07777));
		}
		names = realloc(names, (n + 1) * sizeof *names);
		hashes = realloc(hashes, (n + 1) * sizeof *hashes);
		lines = realloc(lines, (n + 1) * sizeof *lines);
		names[n] = strdup(name);
		hashes[n] = strdup(strchr(line.data, ' ') + 3); /* "<mode> <sha256>" of a file */
		lines[n++] = buf_detach(&line);
	}
	archive_read_free(a);
	qsort(lines, n, sizeof *lines, testutil_cmp_str);
	for (size_t i = 0; i < n; i++) {
		buf_addf(&out, "%s\n", lines[i]);
		free(lines[i]);
		free(names[i]);
		free(hashes[i]);
	}
	free(lines);
	free(names);
	free(hashes);
	return buf_detach(&out);
}

static char *blob_path(const char *blobs, const layer_desc_t *d)
{
	buf_t p = BUF_INIT;
	buf_addf(&p, "%s/%s", blobs, d->digest + strlen("sha256:"));
	return buf_detach(&p);
}

/* The staged way: install_package into a tree, layer_build over it. NULL when refused. */
static char *staged(const char *archive, const pkgrec_t *rec, const char *py, buf_t *msg)
{
	install_opts_t o = {
		.target_prefix = TARGET, .python_version = py, .max_extracted_bytes = cap_bytes};
	err_t err = ERR_INIT;
	buf_t dest = BUF_INIT, blobs = BUF_INIT;
	layer_desc_t d;
	char *listing = NULL;
	fresh_path(&dest, "stage");
	fresh_path(&blobs, "blobs");
	assert_int_equal(mkdir(blobs.data, 0755), 0);
	if (install_package(&o, rec, archive, dest.data, &err) == 0) {
		const char *dirs[] = {dest.data};
		if (layer_build(dirs, 1, TARGET, NULL, blobs.data, &d, &err))
			fail_msg("layer_build: %s", err_msg(&err));
		char *p = blob_path(blobs.data, &d);
		listing = listing_of(p);
		free(p);
	} else {
		buf_setstr(msg, err_msg(&err));
	}
	err_clear(&err);
	buf_free(&dest);
	buf_free(&blobs);
	return listing;
}

/* The streaming way. NULL when refused (msg gets why). */
static char *streamed(const char *archive, const pkgrec_t *rec, const char *py, buf_t *msg)
{
	install_opts_t o = {.target_prefix = TARGET,
			    .python_version = py,
			    .spool_dir = tmpdir,
			    .max_extracted_bytes = cap_bytes};
	err_t err = ERR_INIT;
	buf_t blobs = BUF_INIT;
	layer_desc_t d;
	char *listing = NULL;
	fresh_path(&blobs, "blobs");
	assert_int_equal(mkdir(blobs.data, 0755), 0);
	lstream_t *s = lstream_new(TARGET, NULL, blobs.data, &err);
	assert_non_null(s);
	entry_sink_t sink = lstream_sink(s);
	char *dist = pkgrec_dist(rec);
	lstream_begin(s, 0, dist); /* as builder/pipeline.c names packages */
	free(dist);
	if (install_stream(&o, rec, archive, &sink, &err) == 0) {
		if (lstream_finish(s, &d, &err))
			fail_msg("lstream_finish: %s", err_msg(&err));
		char *p = blob_path(blobs.data, &d);
		listing = listing_of(p);
		free(p);
	} else {
		buf_setstr(msg, err_msg(&err));
	}
	lstream_free(s);
	err_clear(&err);
	buf_free(&blobs);
	return listing;
}

/* Both ways agree on archive: the same listing, or both refuse (with the same message when
 * same_msg). Returns 1 when installed. */
static int assert_same_msg(const char *archive, const char *noarch, const char *py, int same_msg)
{
	const char *base = strrchr(archive, '/');
	pkgrec_t *rec = rec_for(base ? base + 1 : archive, noarch);
	buf_t m1 = BUF_INIT, m2 = BUF_INIT;
	char *a = staged(archive, rec, py, &m1), *b = streamed(archive, rec, py, &m2);
	if (!a != !b)
		fail_msg("%s: staged %s, streamed %s", archive, a ? "installs" : m1.data,
			 b ? "installs" : m2.data);
	if (!a && same_msg)
		assert_string_equal(m2.data, m1.data);
	if (a && strcmp(a, b)) {
		fprintf(stderr, "%s: listings differ\nstaged:\n%s\nstreamed:\n%s", archive, a, b);
		fail_msg("%s: listings differ (above)", archive);
	}
	int ok = a != NULL;
	free(a);
	free(b);
	pkgrec_free(rec);
	buf_free(&m1);
	buf_free(&m2);
	return ok;
}

#define PJ(list) "{\"paths_version\": 1, \"paths\": [" list "]}"
#define P(path) "{\"_path\": \"" path "\", \"path_type\": \"hardlink\"}"
#define PT(path)                                                                                   \
	"{\"_path\": \"" path "\", \"path_type\": \"hardlink\", \"file_mode\": \"text\", "         \
	"\"prefix_placeholder\": \"/opt/anaconda1anaconda2anaconda3\"}"
#define PB(path)                                                                                   \
	"{\"_path\": \"" path "\", \"path_type\": \"hardlink\", \"file_mode\": \"binary\", "       \
	"\"prefix_placeholder\": \"/opt/anaconda1anaconda2anaconda3\"}"
#define PH "/opt/anaconda1anaconda2anaconda3"

static const mkpkg_member_t demo[] = {
	{"info/index.json", MKPKG_FILE, "{\"name\": \"demo\", \"version\": \"1.0\"}", 0},
	{"info/paths.json", MKPKG_FILE,
	 PJ(P("bin/tool") "," P("bin/tool-hard") "," PT("bin/tool-ph") "," PT(
		 "bin/ph-hard") ","
				"{\"_path\": \"bin/alias\", \"path_type\": "
				"\"softlink\"}," PT("lib/pkgconfig/demo.pc") "," PB(
					"lib/libdemo.so") "," P("lib/a/b/"
								"deep."
								"txt") ","
								       "{\"_path\": "
								       "\"share/"
								       "unhashed\"}"),
	 0},
	{"lib/a/b/deep.txt", MKPKG_FILE, "deep\n", 0},
	{"bin/tool", MKPKG_FILE, "#!/bin/sh\necho tool\n", 0755},
	{"bin/tool-hard", MKPKG_HARDLINK, "bin/tool", 0},
	{"bin/tool-ph", MKPKG_FILE, "#!" PH "/bin/sh\n", 0755},
	{"bin/ph-hard", MKPKG_HARDLINK, "bin/tool-ph", 0},
	{"bin/alias", MKPKG_SYMLINK, "tool", 0},
	{"lib/pkgconfig/demo.pc", MKPKG_FILE, "prefix=" PH "\nlibdir=" PH "/lib\n", 0},
	{"lib/libdemo.so", MKPKG_FILE, "\177ELF" PH "/lib\0rest\0", 0755},
	{"share/unhashed", MKPKG_FILE, "no hash in the listing\n", 0},
	{"share/unlisted", MKPKG_FILE, "not installed\n", 0},
};

static const mkpkg_member_t noarch_pkg[] = {
	{"info/index.json", MKPKG_FILE,
	 "{\"name\": \"demo\", \"version\": \"1.0\", \"noarch\": \"python\"}", 0},
	{"info/link.json", MKPKG_FILE,
	 "{\"noarch\": {\"type\": \"python\", \"entry_points\": [\"demo = demo.cli:main\"]}}", 0},
	{"info/paths.json", MKPKG_FILE,
	 PJ(P("site-packages/demo/__init__.py") "," P("site-packages/demo/cli.py") "," P(
		 "python-scripts/demo-tool")),
	 0},
	{"site-packages/demo/__init__.py", MKPKG_FILE, "", 0},
	{"site-packages/demo/cli.py", MKPKG_FILE, "def main():\n    return 0\n", 0},
	{"python-scripts/demo-tool", MKPKG_FILE, "#!/usr/bin/env python\n", 0755},
};

static int assert_same(const char *archive, const char *noarch, const char *py)
{
	return assert_same_msg(archive, noarch, py, 0);
}

static void both_formats(const mkpkg_member_t *m, size_t n, const char *noarch, const char *py)
{
	buf_t p = BUF_INIT;
	fresh_path(&p, "x");
	buf_addstr(&p, "/demo-1.0-0.tar.bz2");
	assert_int_equal(fs_mkdir_p(p.data, NULL) == 0 && rmdir(p.data) == 0, 1);
	assert_int_equal(mkpkg_write_tar_bz2(p.data, m, n), 0);
	assert_true(assert_same(p.data, noarch, py));
	buf_truncate(&p, p.len - strlen(".tar.bz2"));
	buf_addstr(&p, ".conda");
	assert_int_equal(mkpkg_write_conda(p.data, "demo-1.0-0", NULL, m, n), 0);
	assert_true(assert_same(p.data, noarch, py));
	buf_free(&p);
}

/* Refused by both ways, the streamed message holding want, in both formats; with
 * install_package's very message unless is_own_msg (the streamed one says it better). */
static void refused_as(const mkpkg_member_t *m, size_t n, const char *noarch, const char *want,
		       int is_own_msg)
{
	buf_t p = BUF_INIT, msg = BUF_INIT;
	const char *fmts[] = {".tar.bz2", ".conda"};
	for (size_t f = 0; f < 2; f++) {
		fresh_path(&p, "h");
		assert_int_equal(mkdir(p.data, 0755), 0);
		buf_addf(&p, "/demo-1.0-0%s", fmts[f]);
		assert_int_equal(f ? mkpkg_write_conda(p.data, "demo-1.0-0", NULL, m, n)
				   : mkpkg_write_tar_bz2(p.data, m, n),
				 0);
		pkgrec_t *rec = rec_for("demo-1.0-0.tar.bz2", noarch);
		char *got = streamed(p.data, rec, "3.11", &msg);
		assert_null(got);
		if (!strstr(msg.data, want))
			fail_msg("%s: streamed refusal \"%s\" lacks \"%s\"", p.data, msg.data,
				 want);
		assert_false(assert_same_msg(p.data, noarch, "3.11", !is_own_msg));
		pkgrec_free(rec);
	}
	buf_free(&p);
	buf_free(&msg);
}

static void refused(const mkpkg_member_t *m, size_t n, const char *noarch, const char *want)
{
	refused_as(m, n, noarch, want, 0);
}

#define IDX                                                                                        \
	{                                                                                          \
		"info/index.json", MKPKG_FILE, "{\"name\": \"demo\"}", 0                           \
	}
/* an empty listing: the hostile member is what is refused */
#define IDX_PJ                                                                                     \
	IDX,                                                                                       \
	{                                                                                          \
		"info/paths.json", MKPKG_FILE, PJ(""), 0                                           \
	}
#define N(a) (sizeof a / sizeof a[0])

/* Every refusal of install_package, with its message: names, symlinks, parents, devices,
 * listings, the byte cap. */
static void test_hostile_packages_are_refused_with_the_staged_messages(void **state)
{
	(void)state;
	const mkpkg_member_t dotdot[] = {IDX_PJ, {"lib/../../escaped", MKPKG_FILE, "x", 0}};
	refused(dotdot, N(dotdot), NULL, "lib/../../escaped: member name contains a \"..\"");
	const mkpkg_member_t absolute[] = {IDX_PJ, {"/etc/evil", MKPKG_FILE, "x", 0}};
	refused(absolute, N(absolute), NULL, "absolute member name");
	const mkpkg_member_t escape[] = {IDX_PJ,
					 {"lib/evil", MKPKG_SYMLINK, "../../../etc/passwd", 0}};
	refused(escape, N(escape), NULL, "lib/evil: symlink target points outside the prefix");
	const mkpkg_member_t through[] = {
		IDX,
		{"info/paths.json", MKPKG_FILE,
		 PJ("{\"_path\": \"lib\", \"path_type\": \"softlink\"}," P("lib/x")), 0},
		{"share", MKPKG_DIR, NULL, 0},
		{"lib", MKPKG_SYMLINK, "share", 0},
		{"lib/x", MKPKG_FILE, "x", 0}};
	refused(through, N(through), NULL,
		"lib/x: a parent directory is a symlink or not a directory");
	const mkpkg_member_t under[] = {
		{"info/index.json", MKPKG_FILE, "{\"name\": \"demo\", \"noarch\": \"python\"}", 0},
		{"info/paths.json", MKPKG_FILE,
		 PJ("{\"_path\": \"bin\", \"path_type\": \"softlink\"}," P("python-scripts/x")), 0},
		{"share", MKPKG_DIR, NULL, 0},
		{"bin", MKPKG_SYMLINK, "share", 0},
		{"python-scripts/x", MKPKG_FILE, "x\n", 0}};
	refused(under, N(under), "python",
		"bin/x: a parent directory is a symlink or not a directory");
	const mkpkg_member_t twice[] = {
		IDX,
		{"info/paths.json", MKPKG_FILE, PJ(P("bin/a") "," P("bin/a")), 0},
		{"bin/a", MKPKG_FILE, "a\n", 0}};
	/* install_package finds the second bin/a gone (moved): "is not in the archive" */
	refused_as(twice, N(twice), NULL, "bin/a: installed twice (path collision)", 1);
	const mkpkg_member_t missing[] = {
		IDX,
		{"info/paths.json", MKPKG_FILE, PJ(P("bin/a") "," P("bin/gone")), 0},
		{"bin/a", MKPKG_FILE, "a\n", 0}};
	refused(missing, N(missing), NULL,
		"bin/gone is listed in info/paths.json but is not in the archive");
	const mkpkg_member_t dev[] = {IDX_PJ, {"dev/null", MKPKG_CHARDEV, NULL, 0}};
	refused(dev, N(dev), NULL, "entries are not allowed in a package");
	const mkpkg_member_t fifo[] = {IDX_PJ, {"tmp/fifo", MKPKG_FIFO, NULL, 0}};
	refused(fifo, N(fifo), NULL, "entries are not allowed in a package");
	const mkpkg_member_t badlink[] = {IDX,
					  {"info/paths.json", MKPKG_FILE, PJ(P("bin/b")), 0},
					  {"bin/b", MKPKG_HARDLINK, "bin/nothing", 0}};
	refused(badlink, N(badlink), NULL, "which is not a regular file earlier in the archive");
	const mkpkg_member_t nolisting[] = {IDX, {"bin/a", MKPKG_FILE, "a\n", 0}};
	refused(nolisting, N(nolisting), NULL, "has neither info/paths.json nor info/files");
	const mkpkg_member_t shorter[] = {
		IDX,
		{"info/paths.json", MKPKG_FILE,
		 PJ("{\"_path\": \"lib/libx.so\", \"file_mode\": \"binary\", "
		    "\"prefix_placeholder\": \"/pfx\"}"),
		 0},
		{"lib/libx.so", MKPKG_FILE, "\177ELF /pfx/lib", 0}};
	refused(shorter, N(shorter), NULL, "is longer than the package's binary placeholder");
}

/* The byte cap holds for streamed files (plain and rewritten) as for extracted ones. */
static void test_decompression_bomb_is_refused_both_ways(void **state)
{
	(void)state;
	char *big = malloc(3 << 20);
	memset(big, 'a', 3 << 20);
	big[(3 << 20) - 1] = '\0';
	const mkpkg_member_t bomb[] = {IDX,
				       {"info/paths.json", MKPKG_FILE, PJ(P("share/big")), 0},
				       {"share/big", MKPKG_FILE, big, 0}};
	cap_bytes = 1 << 20;
	refused_as(bomb, N(bomb), NULL, "a decompression bomb?", 1);
	const mkpkg_member_t bomb_ph[] = {IDX,
					  {"info/paths.json", MKPKG_FILE, PJ(PT("share/big")), 0},
					  {"share/big", MKPKG_FILE, big, 0}};
	refused_as(bomb_ph, N(bomb_ph), NULL, "a decompression bomb?", 1);
	cap_bytes = 0;
	free(big);
}

/* A text file with a placeholder larger than INSTALL_SPOOL_MEM_BYTES is rewritten through a
 * temporary file: the same bytes as the staged rewrite. */
static void test_large_text_rewrite_spills_and_matches(void **state)
{
	(void)state;
	size_t n = INSTALL_SPOOL_MEM_BYTES + (1 << 20);
	char *big = malloc(n + 1);
	for (size_t i = 0; i < n; i += 64)
		memcpy(big + i,
		       i % 4096
			       ? "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n"
			       : PH "/lib/x/y/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n",
		       n - i < 64 ? n - i : 64);
	big[n] = '\0';
	const mkpkg_member_t m[] = {IDX,
				    {"info/paths.json", MKPKG_FILE, PJ(PT("share/big.txt")), 0},
				    {"share/big.txt", MKPKG_FILE, big, 0}};
	both_formats(m, N(m), NULL, NULL);
	free(big);
}

static void test_demo_package_streams_what_the_staged_install_writes(void **state)
{
	(void)state;
	both_formats(demo, sizeof demo / sizeof demo[0], NULL, NULL);
}

/* conda-build writes info/ first; other tools (and bench/gen_env) write it last or sorted
 * among the payload: such a .tar.bz2 is decompressed once into a temporary file that both
 * passes read, with the same result. */
static void test_info_after_the_payload_gives_the_same_install(void **state)
{
	(void)state;
	const size_t n = sizeof demo / sizeof demo[0];
	mkpkg_member_t last[sizeof demo / sizeof demo[0]];
	for (size_t i = 0; i < n - 2; i++)
		last[i] = demo[i + 2];
	last[n - 2] = demo[1];
	last[n - 1] = demo[0];
	both_formats(last, n, NULL, NULL);
}

/* info/ first but one listing file after the payload began: refused, never installed from
 * half its metadata. */
static void test_metadata_after_the_payload_began_is_refused(void **state)
{
	(void)state;
	const mkpkg_member_t m[] = {
		{"info/index.json", MKPKG_FILE, "{\"name\": \"demo\"}", 0},
		{"info/paths.json", MKPKG_FILE, PJ(P("site-packages/a.py")), 0},
		{"site-packages/a.py", MKPKG_FILE, "a = 1\n", 0},
		{"info/link.json", MKPKG_FILE, "{\"noarch\": {\"type\": \"python\"}}", 0}};
	buf_t p = BUF_INIT, msg = BUF_INIT;
	fresh_path(&p, "late");
	assert_int_equal(mkdir(p.data, 0755), 0);
	buf_addstr(&p, "/demo-1.0-0.tar.bz2");
	assert_int_equal(mkpkg_write_tar_bz2(p.data, m, 4), 0);
	pkgrec_t *rec = rec_for("demo-1.0-0.tar.bz2", NULL);
	assert_null(streamed(p.data, rec, "3.11", &msg));
	assert_string_equal(msg.data, "refusing to install demo-1.0-0: info/link.json: metadata "
				      "after the package's files (a .tar.bz2 not written by "
				      "conda-build?); repackage it with info/ first");
	pkgrec_free(rec);
	buf_free(&p);
	buf_free(&msg);
}

static void test_noarch_python_relocates_and_writes_entry_points(void **state)
{
	(void)state;
	both_formats(noarch_pkg, sizeof noarch_pkg / sizeof noarch_pkg[0], "python", "3.11");
}

static void test_every_corpus_package_agrees(void **state)
{
	(void)state;
	const char *shared = getenv("IMGBUILD_SHARED");
	buf_t dir = BUF_INIT, p = BUF_INIT;
	buf_addf(&dir, "%s/corpus/packages", shared ? shared : "../shared");
	DIR *d = opendir(dir.data);
	if (!d) {
		print_message("%s absent; skipping\n", dir.data);
		buf_free(&dir);
		skip();
	}
	struct dirent *de;
	int n = 0, installed = 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (!(len > 6 && !strcmp(de->d_name + len - 6, ".conda")) &&
		    !(len > 8 && !strcmp(de->d_name + len - 8, ".tar.bz2")))
			continue;
		buf_setstr(&p, dir.data);
		buf_addpath(&p, de->d_name);
		/* noarch: python packages need a python version; others ignore it */
		installed += assert_same(
			p.data,
			strstr(de->d_name, "py_") || strstr(de->d_name, "pyh") ? "python" : NULL,
			"3.11");
		n++;
	}
	closedir(d);
	print_message("%d corpus packages, %d installed both ways, the rest refused both ways\n", n,
		      installed);
	assert_true(n > 10 && installed > 5);
	buf_free(&dir);
	buf_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_package_streams_what_the_staged_install_writes),
		cmocka_unit_test(test_noarch_python_relocates_and_writes_entry_points),
		cmocka_unit_test(test_info_after_the_payload_gives_the_same_install),
		cmocka_unit_test(test_metadata_after_the_payload_began_is_refused),
		cmocka_unit_test(test_every_corpus_package_agrees),
		cmocka_unit_test(test_hostile_packages_are_refused_with_the_staged_messages),
		cmocka_unit_test(test_decompression_bomb_is_refused_both_ways),
		cmocka_unit_test(test_large_text_rewrite_spills_and_matches),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
