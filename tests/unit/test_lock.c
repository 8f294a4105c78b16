/* test_lock.c — lock files (conda/lock.c, lock_write.c): every real conda-lock v1 and
 * @EXPLICIT lock in $IMGBUILD_SHARED/corpus/locks is read (each URL and hash as written),
 * written in both formats, read back and compared; then hand-made bad locks, each refused
 * with a message naming file:line and the problem. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fetch.h"
#include "fsutil.h"
#include "lock.h"

static buf_t tmpdir = BUF_INIT;

static char *write_tmp(const char *name, const char *text)
{
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&p, "%s/%s", tmpdir.data, name);
	assert_int_equal(fs_write_atomic(p.data, text, strlen(text), &err), 0);
	return buf_detach(&p);
}

static void expect_read_error(const char *name, const char *text, const char *want1,
			      const char *want2)
{
	err_t err = ERR_INIT;
	char *path = write_tmp(name, text);
	lockfile_t *l = lock_read(path, "linux-64", &err);
	assert_null(l);
	if (!strstr(err_msg(&err), want1) || (want2 && !strstr(err_msg(&err), want2)))
		fail_msg("error '%s' lacks '%s' / '%s'", err_msg(&err), want1, want2 ? want2 : "");
	err_clear(&err);
	free(path);
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void assert_same_records(const lockfile_t *a, const lockfile_t *b, const char *what)
{
	if (lock_count(a) != lock_count(b))
		fail_msg("%s: %zu records became %zu", what, lock_count(a), lock_count(b));
	/* The writer sorts by name: match by URL, not position. */
	for (size_t i = 0; i < lock_count(a); i++) {
		const pkgrec_t *x = lock_get(a, i), *y = NULL;
		for (size_t j = 0; j < lock_count(b) && !y; j++)
			if (!strcmp(lock_get(b, j)->url, x->url))
				y = lock_get(b, j);
		if (!y)
			fail_msg("%s: %s lost in the round trip", what, x->url);
		if (!str_eq(x->name, y->name) || !str_eq(x->version, y->version) ||
		    !str_eq(x->build, y->build) || !str_eq(x->channel, y->channel) ||
		    !str_eq(x->subdir, y->subdir) || !str_eq(x->fn, y->fn))
			fail_msg("%s: %s changed identity", what, x->url);
		if (!str_eq(x->sha256, y->sha256))
			fail_msg("%s: %s sha256 %s became %s", what, x->url, x->sha256, y->sha256);
	}
}

/* Each record's URL and hash must appear verbatim in the file it came from. */
static void assert_as_written(const lockfile_t *l, const buf_t *text, const char *name)
{
	for (size_t i = 0; i < lock_count(l); i++) {
		const pkgrec_t *r = lock_get(l, i);
		if (!strstr(text->data, r->url))
			fail_msg("%s: URL %s not in the file", name, r->url);
		if (r->md5 && !strstr(text->data, r->md5))
			fail_msg("%s: md5 %s of %s not in the file", name, r->md5, r->fn);
		if (r->sha256 && !strstr(text->data, r->sha256))
			fail_msg("%s: sha256 %s of %s not in the file", name, r->sha256, r->fn);
		assert_non_null(r->name);
		assert_non_null(r->version);
		assert_non_null(r->build);
		assert_non_null(r->channel);
		assert_true(!strcmp(r->subdir, "linux-64") || !strcmp(r->subdir, "noarch") ||
			    !strcmp(r->subdir, LOCK_PIP_SUBDIR));
	}
}

/* Lines of an explicit lock that name packages: what lock_read must return. */
static size_t explicit_url_lines(const char *text)
{
	size_t n = 0;
	const char *p = strstr(text, "@EXPLICIT");
	while (p && (p = strchr(p, '\n')) != NULL) {
		p++;
		if (*p && *p != '#' && *p != '\n' && *p != '\r')
			n++;
	}
	return n;
}

static void round_trip_one(const char *path, const char *name)
{
	err_t err = ERR_INIT;
	buf_t text = BUF_INIT, out = BUF_INIT;
	lockfile_t *l = lock_read(path, "linux-64", &err), *back = NULL;
	if (!l)
		fail_msg("%s: %s", name, err_msg(&err));
	assert_int_equal(buf_read_file(&text, path, 64 << 20, &err), 0);
	assert_as_written(l, &text, name);
	if (strstr(text.data, "@EXPLICIT"))
		assert_int_equal(lock_count(l), explicit_url_lines(text.data));
	const char *sources[] = {"environment.yml"}, *channels[] = {"conda-forge"};
	lock_meta_t meta = {"linux-64", channels, 1, sources, 1, "00ff", NULL};
	const pkgrec_t **recs = calloc(lock_count(l), sizeof *recs);
	for (size_t i = 0; i < lock_count(l); i++)
		recs[i] = lock_get(l, i);
	for (int f = 0; f < 2; f++) {
		lock_format_t fmt = f ? LOCK_FORMAT_EXPLICIT : LOCK_FORMAT_CONDA_LOCK;
		char *outp = write_tmp(f ? "rt.lock" : "rt.yml", "");
		/* explicit needs a hash per line; locks without any cannot be written that way */
		int hashless = 0, has_pip = 0;
		for (size_t i = 0; i < lock_count(l); i++) {
			hashless |= !recs[i]->md5 && !recs[i]->sha256;
			has_pip |= !strcmp(recs[i]->subdir, LOCK_PIP_SUBDIR);
		}
		if (f && has_pip) { /* @EXPLICIT cannot express pip packages */
			assert_int_not_equal(
				lock_write(outp, fmt, &meta, recs, lock_count(l), &err), 0);
			assert_non_null(strstr(err_msg(&err), "cannot hold pip packages"));
			err_clear(&err);
			free(outp);
			continue;
		}
		if (f && hashless) {
			assert_int_not_equal(
				lock_write(outp, fmt, &meta, recs, lock_count(l), &err), 0);
			assert_non_null(strstr(err_msg(&err), "neither sha256 nor md5"));
			err_clear(&err);
			free(outp);
			continue;
		}
		if (lock_write(outp, fmt, &meta, recs, lock_count(l), &err) != 0)
			fail_msg("%s: write: %s", name, err_msg(&err));
		back = lock_read(outp, "linux-64", &err);
		if (!back)
			fail_msg("%s: re-read of %s: %s", name, outp, err_msg(&err));
		assert_same_records(l, back, name);
		if (!f) /* YAML keeps md5 and depends too */
			for (size_t i = 0; i < lock_count(back); i++) {
				const pkgrec_t *y = lock_get(back, i);
				for (size_t j = 0; j < lock_count(l); j++)
					if (!strcmp(lock_get(l, j)->url, y->url)) {
						assert_true(str_eq(lock_get(l, j)->md5, y->md5));
						assert_int_equal(lock_get(l, j)->n_depends,
								 y->n_depends);
					}
			}
		lock_free(back);
		free(outp);
	}
	free(recs);
	lock_free(l);
	buf_free(&text);
	buf_free(&out);
}

static void test_corpus_locks_round_trip_with_urls_and_hashes_as_written(void **state)
{
	(void)state;
	const char *shared = getenv("IMGBUILD_SHARED");
	buf_t dir = BUF_INIT, p = BUF_INIT;
	buf_addf(&dir, "%s/corpus/locks", shared ? shared : "../shared");
	DIR *d = opendir(dir.data);
	if (!d) {
		print_message("skipping: %s absent\n", dir.data);
		buf_free(&dir);
		skip();
	}
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		if (nm[0] == '.' || strstr(nm, "pixi") || !strcmp(nm, "SOURCES.tsv"))
			continue;
		/* rattler-v4/v6 files are rattler's own format; they must be refused, not misread
		 */
		buf_setstr(&p, dir.data);
		buf_addpath(&p, nm);
		if (!strncmp(nm, "rattler-v", 9) &&
		    strcmp(nm, "rattler-v0-numpy-conda-lock.yml") != 0) {
			err_t err = ERR_INIT;
			assert_null(lock_read(p.data, "linux-64", &err));
			assert_non_null(strstr(err_msg(&err), "not supported"));
			err_clear(&err);
			continue;
		}
		round_trip_one(p.data, nm);
		n++;
	}
	closedir(d);
	assert_true(n >= 15);
	buf_free(&dir);
	buf_free(&p);
}

static void test_pixi_lock_is_refused_with_the_reason(void **state)
{
	(void)state;
	expect_read_error("pixi.lock", "version: 6\nenvironments:\n  default: {}\npackages: []\n",
			  "version 6 is not supported", "pixi.lock is a different format");
}

static void test_explicit_md5_and_sha256_fragments_are_told_apart_by_length(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	char *p = write_tmp("e.txt",
			    "# platform: linux-64\n@EXPLICIT\n"
			    "https://h/c/linux-64/zlib-1.3.1-hb9d3cd8_2.conda#"
			    "c9f075ab2f33b3bbee9e62d4ad0a6cd8\n"
			    "https://h/c/noarch/tzdata-2024a-h0c530f3_0.conda#sha256:"
			    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF\n");
	lockfile_t *l = lock_read(p, "linux-64", &err);
	assert_non_null(l);
	assert_int_equal(lock_count(l), 2);
	assert_string_equal(lock_get(l, 0)->md5, "c9f075ab2f33b3bbee9e62d4ad0a6cd8");
	assert_null(lock_get(l, 0)->sha256);
	assert_string_equal(lock_get(l, 0)->name, "zlib");
	assert_string_equal(lock_get(l, 0)->version, "1.3.1");
	assert_string_equal(lock_get(l, 0)->build, "hb9d3cd8_2");
	assert_string_equal(lock_get(l, 0)->channel, "https://h/c");
	assert_string_equal(lock_get(l, 1)->sha256,
			    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_string_equal(lock_get(l, 1)->subdir, "noarch");
	lock_free(l);
	free(p);
}

static void test_explicit_bad_hash_names_file_and_line(void **state)
{
	(void)state;
	expect_read_error("badhash.txt", "@EXPLICIT\nhttps://h/c/linux-64/zlib-1.3-h_0.conda#abc\n",
			  "badhash.txt:2", "neither an MD5");
}

static void test_explicit_line_that_is_not_a_package_url_is_refused(void **state)
{
	(void)state;
	expect_read_error("notpkg.txt", "@EXPLICIT\nhttps://h/c/linux-64/readme.txt\n",
			  "notpkg.txt:2", "not a conda package URL");
}

static void test_explicit_for_another_platform_is_refused(void **state)
{
	(void)state;
	expect_read_error("osx.txt", "# platform: osx-arm64\n@EXPLICIT\n", "osx.txt:1",
			  "platform osx-arm64, not linux-64");
}

static void test_yaml_url_of_another_package_is_refused(void **state)
{
	(void)state;
	expect_read_error("mism.yml",
			  "version: 1\nmetadata: {}\npackage:\n- name: numpy\n  version: '1.0'\n"
			  "  manager: conda\n  platform: linux-64\n"
			  "  url: https://h/c/linux-64/scipy-1.0-h_0.conda\n  hash: {md5: "
			  "c9f075ab2f33b3bbee9e62d4ad0a6cd8}\n",
			  "mism.yml:4", "does not belong to package 'numpy'");
}

static void test_yaml_pip_entries_are_read_as_pip_records_and_other_platforms_skipped(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	char *p = write_tmp(
		"mixed.yml",
		"version: 1\nmetadata: {}\npackage:\n"
		"- {name: zlib, version: '1.3', manager: conda, platform: linux-64, dependencies: "
		"{libgcc: '>=13', __glibc: ''}, url: 'https://h/c/linux-64/zlib-1.3-h_0.conda', "
		"hash: {md5: c9f075ab2f33b3bbee9e62d4ad0a6cd8}, category: main, optional: false}\n"
		"- {name: zlib, version: '1.3', manager: conda, platform: osx-64, url: "
		"'https://h/c/osx-64/zlib-1.3-h_0.conda', hash: {md5: "
		"c9f075ab2f33b3bbee9e62d4ad0a6cd8}}\n"
		"- {name: requests, version: '2.0', manager: pip, platform: linux-64, url: "
		"'https://files/requests-2.0-py3-none-any.whl', hash: {sha256: "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}, "
		"dependencies: {idna: ''}}\n"
		"- {name: pytest, version: '8.0', manager: conda, platform: linux-64, url: "
		"'https://h/c/noarch/pytest-8.0-pyh_0.conda', hash: {md5: "
		"c9f075ab2f33b3bbee9e62d4ad0a6cd8}, category: dev, optional: true}\n");
	lockfile_t *l = lock_read(p, "linux-64", &err);
	if (!l)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(lock_count(l), 2);
	assert_int_equal(lock_pip_count(l), 1);
	assert_string_equal(lock_pip_name(l, 0), "requests");
	const pkgrec_t *pip = lock_get(l, 1);
	assert_string_equal(pip->subdir, LOCK_PIP_SUBDIR);
	assert_string_equal(pip->fn, "requests-2.0-py3-none-any.whl");
	assert_string_equal(pip->sha256,
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(pip->n_depends, 1);
	assert_string_equal(pip->depends[0], "idna");
	assert_int_equal(lock_get(l, 0)->n_depends, 2);
	assert_string_equal(lock_get(l, 0)->depends[0], "libgcc >=13");
	assert_string_equal(lock_get(l, 0)->depends[1], "__glibc");
	lock_free(l);
	free(p);
}

/* A pip entry imgbuild cannot install (no sha256, an sdist) is counted and named, not read. */
static void test_unusable_pip_entries_are_named_not_read(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	char *p =
		write_tmp("pipbad.yml",
			  "version: 1\nmetadata: {}\npackage:\n"
			  "- {name: zlib, version: '1.3', manager: conda, platform: linux-64, url: "
			  "'https://h/c/linux-64/zlib-1.3-h_0.conda', hash: {md5: "
			  "c9f075ab2f33b3bbee9e62d4ad0a6cd8}}\n"
			  "- name: six\n  version: '1.16.0'\n"
			  "  manager: pip\n  platform: linux-64\n"
			  "  url: https://h/six-1.16.0-py3-none-any.whl\n  hash: {md5: "
			  "c9f075ab2f33b3bbee9e62d4ad0a6cd8}\n"
			  "- name: cowsay\n  version: '6.1'\n  manager: pip\n  platform: linux-64\n"
			  "  url: https://h/v6.1.tar.gz\n  hash: {sha256: "
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n");
	lockfile_t *l = lock_read(p, "linux-64", &err);
	if (!l)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(lock_count(l), 1);
	assert_int_equal(lock_pip_count(l), 2);
	assert_non_null(strstr(lock_pip_problem(l),
			       "pipbad.yml:5: pip package six: it needs hash: {sha256"));
	lock_free(l);
	free(p);
	p = write_tmp("pipsdist.yml",
		      "version: 1\nmetadata: {}\npackage:\n"
		      "- {name: zlib, version: '1.3', manager: conda, platform: linux-64, url: "
		      "'https://h/c/linux-64/zlib-1.3-h_0.conda', hash: {md5: "
		      "c9f075ab2f33b3bbee9e62d4ad0a6cd8}}\n"
		      "- name: cowsay\n  version: '6.1'\n"
		      "  manager: pip\n  platform: linux-64\n"
		      "  url: https://h/v6.1.tar.gz\n  hash: {sha256: "
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n");
	l = lock_read(p, "linux-64", &err);
	assert_non_null(l);
	assert_non_null(strstr(lock_pip_problem(l), "must name a wheel"));
	lock_free(l);
	free(p);
}

/* @EXPLICIT lists conda archives only: a pip record is refused with what to write instead. */
static void test_explicit_refuses_pip_records(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	buf_t out = BUF_INIT;
	pkgrec_t *r = pkgrec_new();
	r->name = strdup("six");
	r->version = strdup("1.16.0");
	r->build = strdup("pypi_0");
	r->subdir = strdup(LOCK_PIP_SUBDIR);
	r->url = strdup("https://h/six-1.16.0-py3-none-any.whl");
	r->fn = strdup("six-1.16.0-py3-none-any.whl");
	r->sha256 = strdup("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	const pkgrec_t *recs[1] = {r};
	assert_int_equal(lock_render(LOCK_FORMAT_EXPLICIT, NULL, recs, 1, &out, &err), -1);
	assert_non_null(strstr(err_msg(&err), "an @EXPLICIT lock cannot hold pip packages"));
	err_clear(&err);
	assert_int_equal(lock_render(LOCK_FORMAT_CONDA_LOCK, NULL, recs, 1, &out, &err), 0);
	assert_non_null(strstr(buf_cstr(&out), "manager: pip"));
	buf_free(&out);
	pkgrec_free(r);
}

/* A field that is not UTF-8 (libyaml refuses the scalar): no lock, the value shown escaped. */
static void test_render_refuses_invalid_utf8(void **state)
{
	(void)state;
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	pkgrec_t *r = pkgrec_new();
	r->name = strdup("six");
	r->version = strdup("1.16.0\xff\xfe");
	r->build = strdup("py_0");
	r->subdir = strdup("noarch");
	r->url = strdup("https://h/noarch/six-1.16.0-py_0.tar.bz2");
	r->fn = strdup("six-1.16.0-py_0.tar.bz2");
	r->sha256 = strdup("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	const pkgrec_t *recs[1] = {r};
	assert_int_equal(lock_render(LOCK_FORMAT_CONDA_LOCK, NULL, recs, 1, &out, &err), -1);
	assert_non_null(strstr(err_msg(&err), "\"1.16.0\\xff\\xfe\" is not valid UTF-8"));
	err_clear(&err);
	buf_free(&out);
	pkgrec_free(r);
}

static void test_written_yaml_quotes_numeric_looking_strings(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	buf_t out = BUF_INIT;
	pkgrec_t *r = lock_record_from_url(
		"https://h/c/linux-64/_libgcc_mutex-0.1-conda_forge.tar.bz2", NULL, &err);
	assert_non_null(r);
	r->md5 = strdup("d7c89558ba9fa0495403155b64376d81");
	r->depends = calloc(1, sizeof(char *));
	r->depends[0] = strdup("python >=3.11,<3.12.0a0 *_cpython");
	r->n_depends = 1;
	const pkgrec_t *recs[] = {r};
	lock_meta_t meta = {"linux-64", NULL, 0, NULL, 0, "abc", NULL};
	assert_int_equal(lock_render(LOCK_FORMAT_CONDA_LOCK, &meta, recs, 1, &out, &err), 0);
	assert_non_null(strstr(out.data, "version: '0.1'\n"));
	assert_non_null(strstr(out.data, "version: 1\n"));
	assert_non_null(strstr(out.data, "python: '>=3.11,<3.12.0a0'\n"));
	assert_non_null(strstr(out.data, "optional: false\n"));
	assert_non_null(strstr(out.data, "manager: conda\n"));
	/* YAML 1.1 readers (conda-lock uses PyYAML/ruamel) must read the version back as text */
	buf_reset(&out);
	assert_int_equal(lock_render(LOCK_FORMAT_EXPLICIT, &meta, recs, 1, &out, &err), 0);
	assert_non_null(strstr(out.data,
			       "@EXPLICIT\nhttps://h/c/linux-64/_libgcc_mutex-0.1-conda_forge"
			       ".tar.bz2#d7c89558ba9fa0495403155b64376d81\n"));
	pkgrec_free(r);
	buf_free(&out);
}

static void test_written_lock_is_sorted_and_byte_identical(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	buf_t a = BUF_INIT, b = BUF_INIT;
	pkgrec_t *x = lock_record_from_url("https://h/c/noarch/zz-1-0.conda", NULL, &err);
	pkgrec_t *y = lock_record_from_url("https://h/c/noarch/aa-1-0.conda", NULL, &err);
	x->sha256 = strdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	y->sha256 = strdup(x->sha256);
	const pkgrec_t *r1[] = {x, y}, *r2[] = {y, x};
	assert_int_equal(lock_render(LOCK_FORMAT_CONDA_LOCK, NULL, r1, 2, &a, &err), 0);
	assert_int_equal(lock_render(LOCK_FORMAT_CONDA_LOCK, NULL, r2, 2, &b, &err), 0);
	assert_string_equal(a.data, b.data);
	assert_true(strstr(a.data, "name: aa") < strstr(a.data, "name: zz"));
	pkgrec_free(x);
	pkgrec_free(y);
	buf_free(&a);
	buf_free(&b);
}

/* An empty --lock (or /dev/null) dereferenced NULL in has_explicit_marker (exit 139). */
static void test_empty_lock_file_is_an_error_not_a_crash(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	expect_read_error("empty.lock", "", "empty.lock: empty file, not a lock", NULL);
	assert_null(lock_read("/dev/null", "linux-64", &err));
	assert_non_null(strstr(err_msg(&err), "/dev/null: empty file"));
	err_clear(&err);
}

/* libyaml gives reader errors (bad UTF-8) a byte offset only: the message said 1:1 wherever
 * the bad byte was. */
static void test_yaml_lock_with_bad_utf8_names_its_line(void **state)
{
	(void)state;
	expect_read_error("utf8.yml", "version: 1\npackage:\n  - name: z\xffz\n",
			  "utf8.yml:3:12:", "not valid YAML");
}

/* Two `url:` keys in one entry: this reader took the first, another tool may take the last. */
static void test_yaml_duplicate_key_is_refused_naming_file_and_line(void **state)
{
	(void)state;
	expect_read_error("dup.yml",
			  "version: 1\npackage:\n  - name: zz\n    manager: conda\n"
			  "    url: https://h/c/linux-64/zz-1-0.conda\n"
			  "    url: https://evil.example/c/linux-64/zz-1-0.conda\n"
			  "    hash: {md5: 0123456789abcdef0123456789abcdef}\n",
			  "dup.yml:6:5: duplicate key 'url' (first at line 5)", NULL);
}

/* A lock's URL becomes the record's name, version, build and subdir: the same grammar as a
 * channel's records, or "../" reaches the staging paths. */
static void test_lock_url_with_path_tricks_is_refused(void **state)
{
	(void)state;
	expect_read_error("dotdot.lock", "@EXPLICIT\nhttps://h/c/../zz-1-0.conda\n",
			  "dotdot.lock:2", "subdir '..' is not a conda platform");
	expect_read_error("space.lock", "@EXPLICIT\nhttps://h/c/linux-64/zz-1-a%20b.conda\n",
			  "space.lock:2", "build 'a%20b'");
	expect_read_error("dotname.lock", "@EXPLICIT\nhttps://h/c/linux-64/..-1-0.tar.bz2\n",
			  "dotname.lock:2", "name '..'");
}

/* Found by fuzz_lock: a raw non-ASCII byte in an @EXPLICIT URL was read, and writing the lock
 * back as conda-lock YAML crashed in libyaml's emitter (invalid UTF-8). */
static void test_lock_url_with_a_raw_non_ascii_byte_is_refused(void **state)
{
	(void)state;
	expect_read_error("byte.lock",
			  "@EXPLICIT\nhttps://conda.anaconda.org\xad"
			  "conda-forge/noarch/"
			  "tzdata-2024a-h0c530f3_0.conda#161081fc7cec0bfda0d86d7cb595f8d8\n",
			  "byte.lock:2", "byte 0xad");
}

/* fuzz_lock: a conda-lock url with a '#' and no scheme at its start was read (the "://" of a
 * later part sufficed); written back as @EXPLICIT, the '#' split it into another URL. */
static void test_lock_url_with_a_fragment_or_no_leading_scheme_is_refused(void **state)
{
	(void)state;
	expect_read_error("frag.yml",
			  "version: 1\npackage:\n  - name: zz\n    manager: conda\n"
			  "    url: 'https://h/c/linux-64/a.conda#x/y/linux-64/zz-1-0.conda'\n",
			  "frag.yml:3", "is not a conda package URL");
	expect_read_error("scheme.lock", "@EXPLICIT\nhttinux-64/x://h/c/linux-64/zz-1-0.conda\n",
			  "scheme.lock:2", "is not a conda package URL");
}

/* fuzz_lock: an @EXPLICIT lock listing two builds of one package was read (both installed
 * into one prefix); the conda-lock reader already refused it. Written back as conda-lock
 * YAML, the lock then did not read back. */
static void test_explicit_lock_with_two_builds_of_one_package_is_refused(void **state)
{
	(void)state;
	expect_read_error("twice.lock",
			  "@EXPLICIT\nhttps://h/c/linux-64/libzlib-1.2.13-h166bdaf_4.tar.bz2\n"
			  "https://h/c/linux-64/libzlib-1.2.13-hh0f457ee_0.tar.bz2\n",
			  "twice.lock:3: package libzlib is locked twice", NULL);
	err_t err = ERR_INIT;
	char *path = write_tmp("again.lock", "@EXPLICIT\nhttps://h/c/linux-64/zz-1-0.conda\n"
					     "https://h/c/linux-64/zz-1-0.conda\n");
	lockfile_t *l = lock_read(path, "linux-64", &err);
	assert_non_null(l); /* the same URL twice is one record */
	assert_int_equal(lock_count(l), 1);
	lock_free(l);
	free(path);
}

/* A lock without hashes cannot be verified; the advice was "re-index the channel", which is
 * not what the owner of a lock can or should do. */
static void test_hashless_lock_record_is_told_to_lock_again_not_to_reindex(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	char *path = write_tmp("nohash.lock", "@EXPLICIT\nhttps://h/c/linux-64/zz-1-0.conda\n");
	lockfile_t *l = lock_read(path, "linux-64", &err);
	assert_non_null(l);
	const pkgrec_t *recs[] = {lock_get(l, 0)};
	char *paths[1] = {NULL};
	buf_t cache = BUF_INIT;
	buf_addf(&cache, "%s/cache-nohash", tmpdir.data);
	fetch_opts_t fo = {.cache_dir = cache.data, .max_parallel = 1};
	assert_int_not_equal(fetch_packages(recs, 1, &fo, paths, &err), 0);
	assert_non_null(strstr(err_msg(&err), "nohash.lock:2"));
	assert_non_null(strstr(err_msg(&err), "lock it again with hashes"));
	assert_null(strstr(err_msg(&err), "re-index"));
	err_clear(&err);
	buf_free(&cache);
	lock_free(l);
	free(path);
}

static int group_setup(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	return fs_mkdtemp("/tmp", "test_lock-", &tmpdir, &err);
}

static int group_teardown(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	fs_rm_rf(tmpdir.data, &err);
	buf_free(&tmpdir);
	return 0;
}

/* lock --platform a,b: one conda-lock file, each platform read back on its own, each with its
 * content hash; the environment's name rides along in custom_metadata. */
static void test_multi_platform_lock_round_trips_with_its_name(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	pkgrec_t *amd =
		lock_record_from_url("https://h/c/linux-64/python-3.11.2-h0_0.conda", NULL, &err);
	pkgrec_t *arm = lock_record_from_url("https://h/c/linux-aarch64/python-3.11.2-h0_0.conda",
					     NULL, &err);
	pkgrec_t *na = lock_record_from_url("https://h/c/noarch/demo-data-2.0-0.conda", NULL, &err);
	amd->md5 = strdup("d7c89558ba9fa0495403155b64376d81");
	arm->md5 = strdup("e7c89558ba9fa0495403155b64376d81");
	na->md5 = strdup("f7c89558ba9fa0495403155b64376d81");
	const pkgrec_t *a_recs[] = {na, amd}, *b_recs[] = {arm, na};
	lock_part_t parts[] = {{"linux-64", "aa", a_recs, 2}, {"linux-aarch64", "bb", b_recs, 2}};
	lock_meta_t meta = {NULL, NULL, 0, NULL, 0, NULL, "demo"};
	char *path = write_tmp("multi.yml", "");
	if (lock_write_parts(path, LOCK_FORMAT_CONDA_LOCK, &meta, parts, 2, &err) != 0)
		fail_msg("%s", err_msg(&err));
	for (int i = 0; i < 2; i++) {
		lockfile_t *l = lock_read(path, parts[i].platform, &err);
		if (!l)
			fail_msg("%s: %s", parts[i].platform, err_msg(&err));
		assert_int_equal(lock_count(l), 2);
		assert_string_equal(lock_get(l, 1)->url, i ? arm->url : amd->url);
		assert_string_equal(lock_env_name(l), "demo");
		lock_free(l);
	}
	buf_t text = BUF_INIT;
	assert_int_equal(buf_read_file(&text, path, 1 << 20, &err), 0);
	assert_non_null(
		strstr(text.data, "  content_hash:\n    linux-64: aa\n    linux-aarch64: bb\n"));
	assert_non_null(strstr(text.data, "  platforms:\n  - linux-64\n  - linux-aarch64\n"));
	assert_non_null(strstr(text.data, "  custom_metadata:\n    imgbuild.name: demo\n"));
	/* @EXPLICIT has one "# platform:" line: several platforms cannot go there */
	assert_int_not_equal(lock_write_parts(path, LOCK_FORMAT_EXPLICIT, &meta, parts, 2, &err),
			     0);
	assert_non_null(strstr(err_msg(&err), "@EXPLICIT lock holds one platform"));
	err_clear(&err);
	buf_free(&text);
	free(path);
	pkgrec_free(amd);
	pkgrec_free(arm);
	pkgrec_free(na);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_locks_round_trip_with_urls_and_hashes_as_written),
		cmocka_unit_test(test_pixi_lock_is_refused_with_the_reason),
		cmocka_unit_test(test_explicit_md5_and_sha256_fragments_are_told_apart_by_length),
		cmocka_unit_test(test_explicit_bad_hash_names_file_and_line),
		cmocka_unit_test(test_explicit_line_that_is_not_a_package_url_is_refused),
		cmocka_unit_test(test_explicit_for_another_platform_is_refused),
		cmocka_unit_test(test_yaml_url_of_another_package_is_refused),
		cmocka_unit_test(
			test_yaml_pip_entries_are_read_as_pip_records_and_other_platforms_skipped),
		cmocka_unit_test(test_unusable_pip_entries_are_named_not_read),
		cmocka_unit_test(test_explicit_refuses_pip_records),
		cmocka_unit_test(test_written_yaml_quotes_numeric_looking_strings),
		cmocka_unit_test(test_written_lock_is_sorted_and_byte_identical),
		cmocka_unit_test(test_multi_platform_lock_round_trips_with_its_name),
		cmocka_unit_test(test_empty_lock_file_is_an_error_not_a_crash),
		cmocka_unit_test(test_yaml_duplicate_key_is_refused_naming_file_and_line),
		cmocka_unit_test(test_yaml_lock_with_bad_utf8_names_its_line),
		cmocka_unit_test(test_lock_url_with_path_tricks_is_refused),
		cmocka_unit_test(test_lock_url_with_a_raw_non_ascii_byte_is_refused),
		cmocka_unit_test(test_explicit_lock_with_two_builds_of_one_package_is_refused),
		cmocka_unit_test(test_lock_url_with_a_fragment_or_no_leading_scheme_is_refused),
		cmocka_unit_test(test_hashless_lock_record_is_told_to_lock_again_not_to_reindex),
		cmocka_unit_test(test_render_refuses_invalid_utf8),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
