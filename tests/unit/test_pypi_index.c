/* test_pypi_index.c — pypi/index*.c and pypi/pyfetch.c against the real fixture index
 * (tests/fixtures/mkwheels, built once into the build tree) served on loopback by
 * tests/fixtures/pyindex (PEP 691 negotiation, the HTML-only and corrupting views, an access
 * log that shows what was fetched) and read as file:// trees: JSON and HTML agree, yanked
 * and requires-python are kept, .metadata files are used instead of wheels, downloads are
 * verified and cached; then real wheels from it are installed and run with Debian's
 * python3.11 (the binary PyYAML extension with its bundled libyaml, a console script). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fsutil.h"
#include "index.h"
#include "index_int.h" /* index_fetch_buf: the page fetch itself */
#include "index_provider.h"
#include "pyfetch.h"
#include "resolve.h"
#include "tags.h"
#include "wheel.h"

static char *tmpdir;
static buf_t tree = BUF_INIT;         /* the mkwheels output */
static buf_t server_state = BUF_INIT; /* the server's STATEDIR */
static buf_t base = BUF_INIT;         /* http://127.0.0.1:PORT */
static pypi_target_t *t311;
static int counter;

static int run_cmd(const char *cmd, buf_t *out)
{
	FILE *p = popen(cmd, "r");
	char line[512];
	if (!p)
		return -1;
	while (fgets(line, sizeof line, p))
		if (out)
			buf_addstr(out, line);
	return pclose(p);
}

/* The fixture tree, rebuilt when mkwheels is newer than it. */
static int build_tree(const char *src)
{
	buf_t cmd = BUF_INIT, manifest = BUF_INIT, script = BUF_INIT;
	struct stat a, b;
	const char *bin = getenv("IMGBUILD_BIN");
	buf_t dir = BUF_INIT;
	buf_addstr(&dir, bin ? bin : "/tmp/imgbuild");
	buf_truncate(&dir, (size_t)(strrchr(dir.data, '/') - dir.data));
	buf_addf(&tree, "%s/test-fixtures/pyindex", buf_cstr(&dir));
	buf_addf(&manifest, "%s/MANIFEST.json", buf_cstr(&tree));
	buf_addf(&script, "%s/tests/fixtures/mkwheels", src);
	int r = 0;
	if (stat(buf_cstr(&manifest), &a) != 0 || stat(buf_cstr(&script), &b) != 0 ||
	    a.st_mtime < b.st_mtime) {
		buf_addf(&cmd, "'%s' '%s' >&2", buf_cstr(&script), buf_cstr(&tree));
		r = run_cmd(buf_cstr(&cmd), NULL);
	}
	buf_free(&cmd);
	buf_free(&manifest);
	buf_free(&script);
	buf_free(&dir);
	return r;
}

static int setup(void **st)
{
	(void)st;
	const char *src = getenv("IMGBUILD_SRC");
	char tmpl[] = "/tmp/test_pypi_index.XXXXXX";
	buf_t cmd = BUF_INIT, port = BUF_INIT;
	err_t err = ERR_INIT;
	tmpdir = strdup(mkdtemp(tmpl));
	if (!src || build_tree(src) != 0) {
		fprintf(stderr,
			"test_pypi_index: tests/fixtures/mkwheels failed (it needs Debian's "
			"archive once to fill $IMGBUILD_FIXTURE_CACHE)\n");
		return -1;
	}
	buf_addf(&server_state, "%s/server", tmpdir);
	buf_addf(&cmd, "'%s/tests/fixtures/pyindex' start '%s' '%s'", src, buf_cstr(&tree),
		 buf_cstr(&server_state));
	if (run_cmd(buf_cstr(&cmd), &port) != 0)
		return -1;
	buf_truncate(&port, strcspn(port.data, "\n"));
	buf_addf(&base, "http://127.0.0.1:%s", buf_cstr(&port));
	t311 = pypi_target_new("3.11.2", "linux-64", "2.28", &err);
	buf_free(&cmd);
	buf_free(&port);
	return t311 ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	buf_t cmd = BUF_INIT;
	err_t e = ERR_INIT;
	buf_addf(&cmd, "'%s/tests/fixtures/pyindex' stop '%s'", getenv("IMGBUILD_SRC"),
		 buf_cstr(&server_state));
	run_cmd(buf_cstr(&cmd), NULL);
	fs_rm_rf(tmpdir, &e);
	err_clear(&e);
	free(tmpdir);
	pypi_target_free(t311);
	buf_free(&cmd);
	buf_free(&tree);
	buf_free(&server_state);
	buf_free(&base);
	return 0;
}

/* ------------------------------------------------------------------ helpers */

typedef struct ctx {
	pypi_index_t *ix;
	buf_t url, cache;
} ctx_t;

/* An index over one simple root (NULL: none) and one find-links URL (NULL: none), with a
 * fresh cache. */
static void open_index(ctx_t *c, const char *root, const char *find_links, const pypi_target_t *t)
{
	err_t err = ERR_INIT;
	buf_init(&c->url);
	buf_init(&c->cache);
	buf_addf(&c->cache, "%s/cache-%d", tmpdir, counter++);
	const char *roots[] = {root}, *links[] = {find_links};
	pypi_index_opts_t o = {roots,
			       root ? 1 : 0,
			       links,
			       find_links ? 1 : 0,
			       buf_cstr(&c->cache),
			       {pypi_fetch_http, NULL},
			       t ? t : t311,
			       0};
	c->ix = pypi_index_new(&o, &err);
	assert_non_null(c->ix);
}

/* An offline index over root with the cache directory cache (an earlier index's). */
static pypi_index_t *open_offline(const char *root, const char *cache)
{
	err_t err = ERR_INIT;
	const char *roots[] = {root};
	pypi_index_opts_t o = {roots, 1, NULL, 0, cache, {pypi_fetch_http, NULL}, t311, 1};
	pypi_index_t *ix = pypi_index_new(&o, &err);
	assert_non_null(ix);
	return ix;
}

static void close_index(ctx_t *c)
{
	pypi_index_free(c->ix);
	buf_free(&c->url);
	buf_free(&c->cache);
}

static const pypi_file_t *file_named(ctx_t *c, const char *project, const char *filename)
{
	const pypi_file_t *const *files;
	size_t n;
	err_t err = ERR_INIT;
	if (pypi_index_project(c->ix, project, &files, &n, &err) < 0)
		fail_msg("%s: %s", project, err_msg(&err));
	for (size_t i = 0; i < n; i++)
		if (!strcmp(files[i]->filename, filename))
			return files[i];
	fail_msg("%s: no file %s among %zu", project, filename, n);
	return NULL;
}

/* The sha256 MANIFEST.json gives for filename. */
static void manifest_sha256(const char *filename, char out[65])
{
	buf_t cmd = BUF_INIT, got = BUF_INIT;
	buf_addf(&cmd, "jq -r '.[] | select(.filename == \"%s\") | .sha256' '%s/MANIFEST.json'",
		 filename, buf_cstr(&tree));
	assert_int_equal(run_cmd(buf_cstr(&cmd), &got), 0);
	assert_true(got.len >= 64);
	memcpy(out, got.data, 64);
	out[64] = 0;
	buf_free(&cmd);
	buf_free(&got);
}

/* How many requests for a path ending in suffix the server has logged. */
static int served(const char *suffix)
{
	buf_t cmd = BUF_INIT, got = BUF_INIT;
	buf_addf(&cmd, "grep -c -- '%s 200 ' '%s/access.log' || true", suffix,
		 buf_cstr(&server_state));
	run_cmd(buf_cstr(&cmd), &got);
	int n = (int)strtol(buf_cstr(&got), NULL, 10);
	buf_free(&cmd);
	buf_free(&got);
	return n;
}

/* ------------------------------------------------------------------ project pages */

static void assert_six_files(ctx_t *c)
{
	char sha[65];
	const pypi_file_t *ok = file_named(c, "SIX", "six-1.16.0-py2.py3-none-any.whl");
	const pypi_file_t *yanked = file_named(c, "six", "six-1.17.0-py2.py3-none-any.whl");
	manifest_sha256("six-1.16.0-py2.py3-none-any.whl", sha);
	assert_string_equal(ok->sha256, sha);
	assert_false(ok->yanked);
	assert_true(yanked->yanked);
	assert_string_equal(yanked->yank_reason, "fixture: yanked release");
	assert_true(ok->has_metadata && ok->metadata_sha256[0]);
	assert_non_null(ok->requires_python);
	assert_string_equal(pep440_spec_str(ok->requires_python), ">=2.7,!=3.0.*,!=3.1.*,!=3.2.*");
	assert_true(ok->python_ok);
	assert_int_equal(ok->rank, pypi_target_tag_rank(t311, "py3-none-any"));
	assert_non_null(strstr(ok->url, "/files/six-1.16.0-py2.py3-none-any.whl"));
	assert_null(strchr(ok->url, '#'));
}

static void test_json_simple_api_lists_files_with_their_attributes(void **state)
{
	(void)state;
	ctx_t c;
	buf_t root = BUF_INIT;
	buf_addf(&root, "%s/simple/", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	int before = served("/simple/six/");
	assert_six_files(&c);
	assert_int_equal(served("/simple/six/"), before + 1); /* fetched once per project */
	/* the negotiation chose JSON: the log records the content type */
	buf_t cmd = BUF_INIT;
	buf_addf(&cmd,
		 "tail -n 20 '%s/access.log' | grep -q '/simple/six/ 200 "
		 "application/vnd.pypi.simple.v1+json'",
		 buf_cstr(&server_state));
	assert_int_equal(system(buf_cstr(&cmd)), 0);
	close_index(&c);
	buf_free(&root);
	buf_free(&cmd);
}

/* Offline, the pages an online index cached answer (a project the index lacks stays absent),
 * downloads come from the file cache, and nothing reaches the server; what was never cached
 * is an error naming the URL, marked for the CLI's hint; a damaged entry is named. */
static void test_offline_reads_only_the_caches(void **state)
{
	(void)state;
	ctx_t c;
	buf_t root = BUF_INIT, path = BUF_INIT, cmd = BUF_INIT;
	const pypi_file_t *const *files;
	size_t n;
	char sha[65];
	err_t err = ERR_INIT;
	buf_addf(&root, "%s/simple/", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	assert_int_equal(pypi_index_project(c.ix, "no-such-project", &files, &n, &err), 0);
	assert_int_equal(
		pypi_index_download(c.ix, file_named(&c, "six", "six-1.16.0-py2.py3-none-any.whl"),
				    NULL, &path, sha, &err),
		0);
	int pages = served("/simple/six/"),
	    wheels = served("/files/six-1.16.0-py2.py3-none-any.whl");

	pypi_index_t *off = open_offline(buf_cstr(&root), buf_cstr(&c.cache));
	pypi_index_t *keep = c.ix;
	c.ix = off;
	assert_six_files(&c);
	assert_int_equal(pypi_index_project(off, "no-such-project", &files, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(
		pypi_index_download(off, file_named(&c, "six", "six-1.16.0-py2.py3-none-any.whl"),
				    NULL, &path, sha, &err),
		0);
	assert_int_equal(served("/simple/six/"), pages);
	assert_int_equal(served("/files/six-1.16.0-py2.py3-none-any.whl"), wheels);
	/* never cached: the page, and a wheel */
	assert_int_equal(pypi_index_project(off, "markdown", &files, &n, &err), -1);
	assert_non_null(strstr(err_msg(&err), "/simple/markdown/: not in the package index cache"));
	assert_int_equal(err.hint, ERR_HINT_OFFLINE_CACHE);
	err_clear(&err);
	assert_int_equal(
		pypi_index_download(off, file_named(&c, "six", "six-1.17.0-py2.py3-none-any.whl"),
				    NULL, &path, sha, &err),
		-1);
	assert_non_null(strstr(err_msg(&err), "six-1.17.0-py2.py3-none-any.whl: not in the "
					      "download cache; offline"));
	assert_int_equal(err.hint, ERR_HINT_OFFLINE_CACHE);
	err_clear(&err);
	pypi_index_free(off);
	c.ix = keep;

	/* a damaged page entry: named, with the way out */
	buf_addf(&cmd, "for f in '%s'/pypi/pages/*; do printf 'junk' > \"$f\"; done",
		 buf_cstr(&c.cache));
	assert_int_equal(system(buf_cstr(&cmd)), 0);
	off = open_offline(buf_cstr(&root), buf_cstr(&c.cache));
	assert_int_equal(pypi_index_project(off, "six", &files, &n, &err), -1);
	assert_non_null(strstr(err_msg(&err), "a damaged package index cache entry (for "));
	assert_non_null(strstr(err_msg(&err), "delete it"));
	err_clear(&err);
	pypi_index_free(off);
	close_index(&c);
	buf_free(&root);
	buf_free(&path);
	buf_free(&cmd);
}

static void test_html_only_index_gives_the_same_files(void **state)
{
	(void)state;
	ctx_t c;
	buf_t root = BUF_INIT;
	buf_addf(&root, "%s/html/simple", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	assert_six_files(&c);
	/* MarkupSafe's files carry only PEP 658's old attribute name */
	const pypi_file_t *ms = file_named(
		&c, "markupsafe",
		"MarkupSafe-2.1.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
	assert_true(ms->has_metadata && ms->metadata_sha256[0]);
	assert_true(ms->rank >= 0);
	const pypi_file_t *arm = file_named(
		&c, "markupsafe",
		"MarkupSafe-2.1.2-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl");
	assert_int_equal(arm->rank, -1);
	close_index(&c);
	buf_free(&root);
}

static void test_file_index_and_requires_python(void **state)
{
	(void)state;
	ctx_t c, c12;
	buf_t root = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&root, "file://%s/simple/", buf_cstr(&tree));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	assert_six_files(&c);
	const pypi_file_t *idna34 = file_named(&c, "idna", "idna-3.4-py3-none-any.whl");
	assert_false(idna34->python_ok); /* requires-python >=3.12 */
	assert_true(file_named(&c, "idna", "idna-3.3-py3-none-any.whl")->python_ok);
	assert_true(!strncmp(idna34->url, "file:///", 8));
	pypi_target_t *t12 = pypi_target_new("3.12.1", "linux-64", "2.28", &err);
	open_index(&c12, buf_cstr(&root), NULL, t12);
	assert_true(file_named(&c12, "idna", "idna-3.4-py3-none-any.whl")->python_ok);
	close_index(&c12);
	pypi_target_free(t12);
	close_index(&c);
	buf_free(&root);
}

static void test_unknown_project_has_no_files_and_sdist_only_is_listed(void **state)
{
	(void)state;
	ctx_t c;
	buf_t root = BUF_INIT;
	const pypi_file_t *const *files;
	size_t n;
	err_t err = ERR_INIT;
	buf_addf(&root, "%s/simple/", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	assert_int_equal(pypi_index_project(c.ix, "no-such-project", &files, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(pypi_index_project(c.ix, "colorama", &files, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_false(pypi_distfile_is_wheel(files[0]->dist));
	assert_int_equal(files[0]->rank, -1);
	assert_null(pypi_index_metadata(c.ix, files[0], &err));
	assert_non_null(strstr(err_msg(&err), "is an sdist"));
	err_clear(&err);
	close_index(&c);
	buf_free(&root);
}

static void test_find_links_directory_files_are_hashed_locally(void **state)
{
	(void)state;
	ctx_t c;
	buf_t links = BUF_INIT, path = BUF_INIT;
	char sha[65], want[65];
	err_t err = ERR_INIT;
	buf_addf(&links, "file://%s/links", buf_cstr(&tree));
	open_index(&c, NULL, buf_cstr(&links), NULL);
	const pypi_file_t *f =
		file_named(&c, "PyYAML",
			   "PyYAML-6.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
	assert_string_equal(f->sha256, ""); /* a directory has no hashes */
	assert_int_equal(pypi_index_download(c.ix, f, NULL, &path, sha, &err), 0);
	manifest_sha256(f->filename, want);
	assert_string_equal(sha, want);
	assert_non_null(strstr(buf_cstr(&path), "/links/PyYAML-6.0-"));
	/* a pin that disagrees with the file is refused */
	assert_int_equal(pypi_index_download(
				 c.ix, f,
				 "0000000000000000000000000000000000000000000000000000000000000000",
				 &path, sha, &err),
			 -1);
	assert_non_null(strstr(err_msg(&err), "damaged or was altered"));
	err_clear(&err);
	close_index(&c);
	buf_free(&links);
	buf_free(&path);
}

/* ------------------------------------------------------------------ metadata and downloads */

static void test_metadata_comes_from_the_metadata_file_not_the_wheel(void **state)
{
	(void)state;
	ctx_t c;
	buf_t root = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&root, "%s/simple/", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	const pypi_file_t *f = file_named(&c, "jinja2", "Jinja2-3.1.2-py3-none-any.whl");
	int wheels = served("/files/Jinja2-3.1.2-py3-none-any.whl"),
	    md = served("/files/Jinja2-3.1.2-py3-none-any.whl.metadata");
	pypi_metadata_t *m = pypi_index_metadata(c.ix, f, &err);
	if (!m)
		fail_msg("%s", err_msg(&err));
	assert_string_equal(pypi_req_str(pypi_metadata_requires(m, 0)), "MarkupSafe>=2.0");
	assert_string_equal(pypi_metadata_extra(m, 0), "i18n");
	assert_int_equal(served("/files/Jinja2-3.1.2-py3-none-any.whl"), wheels);
	assert_int_equal(served("/files/Jinja2-3.1.2-py3-none-any.whl.metadata"), md + 1);
	pypi_metadata_free(m);
	/* cached by the wheel's hash: a second index on the same cache fetches nothing */
	m = pypi_index_metadata(c.ix, f, &err);
	assert_non_null(m);
	assert_int_equal(served("/files/Jinja2-3.1.2-py3-none-any.whl.metadata"), md + 1);
	pypi_metadata_free(m);
	close_index(&c);
	buf_free(&root);
}

static void test_metadata_falls_back_to_the_wheel(void **state)
{
	(void)state;
	ctx_t c;
	buf_t root = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&root, "%s/simple/", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	const pypi_file_t *f = file_named(&c, "wheel", "wheel-0.38.4-py3-none-any.whl");
	assert_false(f->has_metadata);
	int wheels = served("/files/wheel-0.38.4-py3-none-any.whl");
	pypi_metadata_t *m = pypi_index_metadata(c.ix, f, &err);
	if (!m)
		fail_msg("%s", err_msg(&err));
	assert_string_equal(pypi_metadata_name(m), "wheel");
	assert_int_equal(served("/files/wheel-0.38.4-py3-none-any.whl"), wheels + 1);
	pypi_metadata_free(m);
	close_index(&c);
	buf_free(&root);
}

static void test_downloads_are_verified_and_cached_by_sha256(void **state)
{
	(void)state;
	ctx_t c;
	buf_t root = BUF_INIT, path = BUF_INIT, path2 = BUF_INIT;
	char sha[65];
	err_t err = ERR_INIT;
	buf_addf(&root, "%s/simple/", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	const pypi_file_t *f = file_named(&c, "idna", "idna-3.3-py3-none-any.whl");
	int before = served("/files/idna-3.3-py3-none-any.whl");
	assert_int_equal(pypi_index_download(c.ix, f, NULL, &path, sha, &err), 0);
	assert_string_equal(sha, f->sha256);
	assert_non_null(strstr(buf_cstr(&path), "/pypi/files/"));
	assert_non_null(strstr(buf_cstr(&path), f->sha256));
	assert_int_equal(pypi_index_download(c.ix, f, f->sha256, &path2, sha, &err), 0);
	assert_string_equal(buf_cstr(&path), buf_cstr(&path2));
	assert_int_equal(served("/files/idna-3.3-py3-none-any.whl"), before + 1);
	/* a pin that differs from the index's hash is refused before any download */
	assert_int_equal(pypi_index_download(
				 c.ix, f,
				 "1111111111111111111111111111111111111111111111111111111111111111",
				 &path, sha, &err),
			 -1);
	assert_non_null(strstr(err_msg(&err), "pins --hash=sha256:1111"));
	err_clear(&err);
	close_index(&c);
	buf_free(&root);
	buf_free(&path);
	buf_free(&path2);
}

static void test_corrupted_downloads_are_refused_and_not_cached(void **state)
{
	(void)state;
	ctx_t c;
	buf_t root = BUF_INIT, path = BUF_INIT, cmd = BUF_INIT;
	char sha[65];
	err_t err = ERR_INIT;
	buf_addf(&root, "%s/corrupt/simple/", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	const pypi_file_t *f = file_named(&c, "six", "six-1.16.0-py2.py3-none-any.whl");
	assert_int_equal(pypi_index_download(c.ix, f, NULL, &path, sha, &err), -1);
	assert_non_null(strstr(err_msg(&err), "six-1.16.0-py2.py3-none-any.whl"));
	assert_non_null(strstr(err_msg(&err), "damaged or was altered"));
	err_clear(&err);
	assert_null(pypi_index_metadata(c.ix, f, &err));
	assert_non_null(strstr(err_msg(&err), ".metadata: sha256"));
	err_clear(&err);
	buf_addf(&cmd, "test -z \"$(ls -A '%s/pypi/files' 2>/dev/null)\"", buf_cstr(&c.cache));
	assert_int_equal(system(buf_cstr(&cmd)), 0); /* no file, no temporary left */
	close_index(&c);
	buf_free(&root);
	buf_free(&path);
	buf_free(&cmd);
}

/* The shared HTTP client's retries reach pip downloads: a 503 before any body byte is
 * retried (the /flaky/ view answers 503 to the first request of every path). */
static void test_transient_failures_are_retried(void **state)
{
	(void)state;
	ctx_t c;
	buf_t root = BUF_INIT, path = BUF_INIT;
	char sha[65];
	err_t err = ERR_INIT;
	buf_addf(&root, "%s/flaky/simple/", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	const pypi_file_t *f = file_named(&c, "six", "six-1.16.0-py2.py3-none-any.whl");
	assert_int_equal(served("/flaky/simple/six/"), 1);
	if (pypi_index_download(c.ix, f, NULL, &path, sha, &err) != 0)
		fail_msg("%s", err_msg(&err));
	assert_string_equal(sha, f->sha256);
	assert_int_equal(served("/flaky/files/six-1.16.0-py2.py3-none-any.whl"), 1);
	close_index(&c);
	buf_free(&root);
	buf_free(&path);
}

static void test_unreachable_index_and_bad_api_version_are_errors(void **state)
{
	(void)state;
	ctx_t c;
	const pypi_file_t *const *files;
	size_t n;
	err_t err = ERR_INIT;
	open_index(&c, "http://127.0.0.1:1/simple/", NULL, NULL);
	assert_int_equal(pypi_index_project(c.ix, "six", &files, &n, &err), -1);
	assert_non_null(strstr(err_msg(&err), "http://127.0.0.1:1/simple/six/"));
	err_clear(&err);
	close_index(&c);
	/* a file:// index whose JSON says api-version 2.0 */
	buf_t dir = BUF_INIT, file = BUF_INIT, root = BUF_INIT;
	buf_addf(&dir, "%s/v2/six", tmpdir);
	assert_int_equal(fs_mkdir_p(buf_cstr(&dir), &err), 0);
	buf_addf(&file, "%s/index.json", buf_cstr(&dir));
	const char *doc =
		"{\"meta\": {\"api-version\": \"2.0\"}, \"name\": \"six\", \"files\": []}";
	assert_int_equal(fs_write_atomic(buf_cstr(&file), doc, strlen(doc), &err), 0);
	buf_addf(&root, "file://%s/v2/", tmpdir);
	open_index(&c, buf_cstr(&root), NULL, NULL);
	assert_int_equal(pypi_index_project(c.ix, "six", &files, &n, &err), -1);
	assert_non_null(strstr(err_msg(&err), "simple API version 2.0"));
	err_clear(&err);
	close_index(&c);
	buf_free(&dir);
	buf_free(&file);
	buf_free(&root);
}

/* A hand-written PEP 503 page: character references, a valueless data-yanked, <base href>,
 * comments, links to other projects and to files that are no distributions. */
static void test_html_page_details(void **state)
{
	(void)state;
	const char *page =
		"<!DOCTYPE html><html><head><base href=\"https://mirror.example/pkgs/\">"
		"<meta name=\"pypi:repository-version\" content=\"1.0\"></head><body>\n"
		"<!-- <a href=\"demo-0.1-py3-none-any.whl\">demo-0.1-py3-none-any.whl</a> -->\n"
		"<a "
		"href=\"demo-1.0-py3-none-any.whl#sha256="
		"ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789\" "
		"data-requires-python=\"&gt;=3.8,&lt;4\" "
		"data-yanked>demo-1.0-py3-none-any.whl</a>\n"
		"<A HREF='../other/demo-2.0-py3-none-any.whl' data-yanked='bad &amp; broken' "
		"data-core-metadata=true>demo-2.0-py3-none-any.whl</A>\n"
		"<a href=\"other-1.0-py3-none-any.whl\">other-1.0-py3-none-any.whl</a>\n"
		"<a href=\"demo-1.0.exe\">demo-1.0.exe</a><a>no href</a></body></html>\n";
	buf_t file = BUF_INIT, url = BUF_INIT;
	err_t err = ERR_INIT;
	ctx_t c;
	buf_addf(&file, "%s/links.html", tmpdir);
	assert_int_equal(fs_write_atomic(buf_cstr(&file), page, strlen(page), &err), 0);
	buf_addf(&url, "file://%s", buf_cstr(&file));
	open_index(&c, NULL, buf_cstr(&url), NULL);
	const pypi_file_t *const *files;
	size_t n;
	assert_int_equal(pypi_index_project(c.ix, "demo", &files, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(files[0]->url, "https://mirror.example/pkgs/demo-1.0-py3-none-any.whl");
	assert_string_equal(files[0]->sha256,
			    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	assert_string_equal(pep440_spec_str(files[0]->requires_python), ">=3.8,<4");
	assert_true(files[0]->yanked);
	assert_null(files[0]->yank_reason);
	assert_false(files[0]->has_metadata);
	assert_string_equal(files[1]->url,
			    "https://mirror.example/other/demo-2.0-py3-none-any.whl");
	assert_string_equal(files[1]->yank_reason, "bad & broken");
	assert_true(files[1]->has_metadata);
	assert_string_equal(files[1]->metadata_sha256, "");
	close_index(&c);
	buf_free(&file);
	buf_free(&url);
}

static void test_fetcher_follows_pep503_redirects(void **state)
{
	(void)state;
	buf_t url = BUF_INIT, body = BUF_INIT;
	pypi_fetch_resp_t resp = {BUF_INIT, BUF_INIT};
	err_t err = ERR_INIT;
	buf_addf(&url, "%s/simple/PyYAML", buf_cstr(&base));
	ctx_t c;
	open_index(&c, NULL, NULL, NULL);
	assert_int_equal(
		index_fetch_buf(c.ix, buf_cstr(&url), "text/html", 1 << 20, &body, &resp, &err), 0);
	assert_true(strstr(buf_cstr(&resp.final_url), "/simple/pyyaml/") != NULL);
	assert_string_equal(buf_cstr(&resp.content_type), "text/html");
	assert_non_null(strstr(buf_cstr(&body), "PyYAML-6.0-cp311"));
	close_index(&c);
	buf_free(&url);
	buf_free(&body);
	buf_free(&resp.content_type);
	buf_free(&resp.final_url);
}

/* ------------------------------------------------------------------ wheels that run */

static int have_python311(void)
{
	return access("/usr/bin/python3.11", X_OK) == 0;
}

static void install_from(ctx_t *c, const char *project, const char *filename, const char *dest)
{
	buf_t path = BUF_INIT;
	char sha[65];
	err_t err = ERR_INIT;
	const pypi_file_t *f = file_named(c, project, filename);
	pypi_wheel_opts_t o = {.target_prefix = "/opt/conda/envs/demo",
			       .python_version = "3.11",
			       .python_exe = "/usr/bin/python3.11",
			       .is_requested = 1,
			       .sha256 = sha};
	if (pypi_index_download(c->ix, f, NULL, &path, sha, &err) < 0 ||
	    pypi_wheel_install(&o, buf_cstr(&path), f->filename, dest, &err) < 0)
		fail_msg("%s: %s", filename, err_msg(&err));
	buf_free(&path);
}

static void test_binary_wheel_and_console_script_from_the_index_run(void **state)
{
	(void)state;
	if (!have_python311())
		skip();
	ctx_t c;
	buf_t root = BUF_INIT, yaml = BUF_INIT, md = BUF_INIT, cmd = BUF_INIT, out = BUF_INIT;
	buf_addf(&root, "%s/simple/", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	buf_addf(&yaml, "%s/yaml-%d", tmpdir, counter++);
	buf_addf(&md, "%s/md-%d", tmpdir, counter++);
	install_from(&c, "pyyaml",
		     "PyYAML-6.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		     buf_cstr(&yaml));
	install_from(&c, "markdown", "Markdown-3.4.1-py3-none-any.whl", buf_cstr(&md));
	/* the extension module loads, with the libyaml the wheel bundles */
	buf_addf(&cmd,
		 "PYTHONPATH='%s/lib/python3.11/site-packages' /usr/bin/python3.11 -S -c "
		 "'import yaml, yaml._yaml; assert yaml.__with_libyaml__; print(yaml.dump({\"a\": "
		 "1}), end=\"\")'",
		 buf_cstr(&yaml));
	assert_int_equal(run_cmd(buf_cstr(&cmd), &out), 0);
	assert_string_equal(buf_cstr(&out), "a: 1\n");
	/* the console script runs, and the man page went to share/ */
	buf_reset(&cmd);
	buf_reset(&out);
	buf_addf(&cmd,
		 "echo '*hi*' | PYTHONPATH='%s/lib/python3.11/site-packages' '%s/bin/markdown_py'",
		 buf_cstr(&md), buf_cstr(&md));
	assert_int_equal(run_cmd(buf_cstr(&cmd), &out), 0);
	assert_string_equal(buf_cstr(&out), "<p><em>hi</em></p>");
	buf_reset(&cmd);
	buf_addf(&cmd, "test -f '%s/share/man/man1/markdown_py.1.gz'", buf_cstr(&md));
	assert_int_equal(system(buf_cstr(&cmd)), 0);
	/* importlib.metadata finds the distribution and its installer */
	buf_reset(&cmd);
	buf_reset(&out);
	buf_addf(&cmd,
		 "PYTHONPATH='%s/lib/python3.11/site-packages' /usr/bin/python3.11 -S -c "
		 "'import importlib.metadata as m; d = m.distribution(\"markdown\"); "
		 "print(d.version, d.read_text(\"INSTALLER\"), end=\"\")'",
		 buf_cstr(&md));
	assert_int_equal(run_cmd(buf_cstr(&cmd), &out), 0);
	assert_string_equal(buf_cstr(&out), "3.4.1 imgbuild\n");
	close_index(&c);
	buf_free(&root);
	buf_free(&yaml);
	buf_free(&md);
	buf_free(&cmd);
	buf_free(&out);
}

/* ------------------------------------------------------------------ resolving on the index */

/* Resolves top against the loopback index for target t; want is "key version file, ..." or,
 * when it starts with "!", a text the error must hold. */
static void resolve_on_index(const pypi_target_t *t, const char *const *top, size_t n,
			     const pypi_installed_t *inst, size_t n_inst, const char *want)
{
	ctx_t c;
	buf_t root = BUF_INIT, got = BUF_INIT;
	err_t err = ERR_INIT;
	pypi_req_t *reqs[8];
	buf_addf(&root, "%s/simple/", buf_cstr(&base));
	open_index(&c, buf_cstr(&root), NULL, t);
	pypi_index_provider_t *pv = pypi_index_provider_new(c.ix);
	pypi_resolve_opts_t o = {
		pypi_index_provider_get(pv), pypi_target_marker_env(t), 0, inst, n_inst, 0};
	for (size_t i = 0; i < n; i++)
		reqs[i] = pypi_req_parse(top[i], &err);
	pypi_resolution_t *res =
		pypi_resolve(&o, (const pypi_req_t *const *)reqs, NULL, n, NULL, 0, &err);
	if (want[0] == '!') {
		if (res || !strstr(err_msg(&err), want + 1))
			fail_msg("want an error with '%s', got '%s'", want + 1,
				 res ? "a resolution" : err_msg(&err));
	} else {
		if (!res)
			fail_msg("%s", err_msg(&err));
		for (size_t i = 0; i < pypi_resolution_count(res); i++) {
			const pypi_file_t *f =
				pypi_index_provider_file(pypi_resolution_candidate(res, i));
			buf_addf(&got, "%s%s", i ? ", " : "", f->filename);
		}
		if (strcmp(buf_cstr(&got), want))
			fail_msg("resolved '%s',\nwant '%s'", buf_cstr(&got), want);
	}
	pypi_resolution_free(res);
	for (size_t i = 0; i < n; i++)
		pypi_req_free(reqs[i]);
	pypi_index_provider_free(pv);
	close_index(&c);
	buf_free(&root);
	buf_free(&got);
	err_clear(&err);
}

static void test_resolver_on_the_fixture_index_picks_wheels_per_platform(void **state)
{
	(void)state;
	const char *top[] = {"markdown[testing]", "Jinja2", "six", "idna"};
	err_t err = ERR_INIT;
	resolve_on_index(
		t311, top, 4, NULL, 0,
		"coverage-6.5.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl, "
		"idna-3.3-py3-none-any.whl, Jinja2-3.1.2-py3-none-any.whl, "
		"Markdown-3.4.1-py3-none-any.whl, "
		"MarkupSafe-2.1.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl, "
		"PyYAML-6.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl, "
		"six-1.16.0-py2.py3-none-any.whl");
	pypi_target_t *arm = pypi_target_new("3.11.2", "linux-aarch64", "2.28", &err);
	resolve_on_index(
		arm, top, 4, NULL, 0,
		"coverage-6.5.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl, "
		"idna-3.3-py3-none-any.whl, Jinja2-3.1.2-py3-none-any.whl, "
		"Markdown-3.4.1-py3-none-any.whl, "
		"MarkupSafe-2.1.2-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl, "
		"PyYAML-6.0-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl, "
		"six-1.16.0-py2.py3-none-any.whl");
	pypi_target_free(arm);
}

static void test_resolver_on_the_fixture_index_scenarios(void **state)
{
	(void)state;
	const char *yanked[] = {"six==1.17.0"}, *sdist[] = {"colorama"}, *py[] = {"idna>=3.4"},
		   *with_conda[] = {"markdown[testing]"};
	resolve_on_index(t311, yanked, 1, NULL, 0, "six-1.17.0-py2.py3-none-any.whl");
	resolve_on_index(t311, sdist, 1, NULL, 0,
			 "!0.4.6 has only an sdist (colorama-0.4.6.tar.gz), which needs a build "
			 "from source");
	resolve_on_index(
		t311, py, 1, NULL, 0,
		"!3.4 requires another python (idna-3.4-py3-none-any.whl: Requires-Python >=3.12)");
	/* PyYAML and coverage come from conda: only Markdown is left to install */
	pep440_ver_t *v6 = pep440_ver_parse("6.0", NULL), *v65 = pep440_ver_parse("6.5.0", NULL);
	const pypi_installed_t inst[] = {{"pyyaml", v6, "conda package pyyaml-6.0-py311_0"},
					 {"coverage", v65, "conda package coverage-6.5.0-py311_0"}};
	resolve_on_index(t311, with_conda, 1, inst, 2, "Markdown-3.4.1-py3-none-any.whl");
	pep440_ver_free(v6);
	pep440_ver_free(v65);
}

/* "idna @ file:///.../links/idna-3.3-...whl": the URL's file is the only candidate, though the
 * index has idna too. */
static void test_direct_url_requirement_uses_its_own_file(void **state)
{
	(void)state;
	ctx_t c;
	buf_t root = BUF_INIT, url = BUF_INIT, line = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&root, "%s/simple/", buf_cstr(&base));
	buf_addf(&url, "file://%s/links/idna-3.3-py3-none-any.whl", buf_cstr(&tree));
	buf_addf(&line, "idna @ %s", buf_cstr(&url));
	open_index(&c, buf_cstr(&root), NULL, NULL);
	pypi_index_provider_t *pv = pypi_index_provider_new(c.ix);
	pypi_req_t *req = pypi_req_parse(buf_cstr(&line), &err);
	const pypi_file_t *f = pypi_index_url_file(c.ix, pypi_req_url(req), &err);
	assert_non_null(f);
	assert_int_equal(pypi_index_provider_use_file(pv, pypi_req_key(req), f, &err), 0);
	pypi_resolve_opts_t o = {
		pypi_index_provider_get(pv), pypi_target_marker_env(t311), 0, NULL, 0, 0};
	pypi_resolution_t *res =
		pypi_resolve(&o, (const pypi_req_t *const *)&req, NULL, 1, NULL, 0, &err);
	if (!res)
		fail_msg("%s", err_msg(&err));
	assert_string_equal(pypi_index_provider_file(pypi_resolution_candidate(res, 0))->url,
			    buf_cstr(&url));
	pypi_resolution_free(res);
	pypi_req_free(req);
	pypi_index_provider_free(pv);
	close_index(&c);
	buf_free(&root);
	buf_free(&url);
	buf_free(&line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_simple_api_lists_files_with_their_attributes),
		cmocka_unit_test(test_html_only_index_gives_the_same_files),
		cmocka_unit_test(test_offline_reads_only_the_caches),
		cmocka_unit_test(test_file_index_and_requires_python),
		cmocka_unit_test(test_unknown_project_has_no_files_and_sdist_only_is_listed),
		cmocka_unit_test(test_find_links_directory_files_are_hashed_locally),
		cmocka_unit_test(test_metadata_comes_from_the_metadata_file_not_the_wheel),
		cmocka_unit_test(test_metadata_falls_back_to_the_wheel),
		cmocka_unit_test(test_downloads_are_verified_and_cached_by_sha256),
		cmocka_unit_test(test_corrupted_downloads_are_refused_and_not_cached),
		cmocka_unit_test(test_transient_failures_are_retried),
		cmocka_unit_test(test_unreachable_index_and_bad_api_version_are_errors),
		cmocka_unit_test(test_html_page_details),
		cmocka_unit_test(test_fetcher_follows_pep503_redirects),
		cmocka_unit_test(test_binary_wheel_and_console_script_from_the_index_run),
		cmocka_unit_test(test_resolver_on_the_fixture_index_picks_wheels_per_platform),
		cmocka_unit_test(test_resolver_on_the_fixture_index_scenarios),
		cmocka_unit_test(test_direct_url_requirement_uses_its_own_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
