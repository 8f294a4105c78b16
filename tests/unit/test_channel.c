/* test_channel.c — channel name resolution and repodata fetching (conda/channel.c):
 * file:// from a temp-dir channel, and http:// from a tiny loopback server (Python, started
 * and stopped by this test) that speaks ETag / If-None-Match so the 304 path is exercised. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "channel.h"
#include "digest.h"
#include "fsutil.h"
#include "repoindex.h"
#include "repoindex_scan.h"
#include "testutil.h"

static const char *GOOD_REPODATA =
	"{\"info\": {\"subdir\": \"linux-64\"}, \"packages\": {}, \"packages.conda\": {\n"
	"  \"zlib-1.2.13-h0_0.conda\": {\"name\": \"zlib\", \"version\": \"1.2.13\", \"build\": "
	"\"h0_0\"}}}\n";
static const char *BAD_REPODATA = "{\"info\": {\"subdir\": \"osx-64\"},\n  \"packages\": {oops}}\n";

struct fixture {
	buf_t root;  /* temp dir */
	buf_t chan;  /* <root>/chan: linux-64 good, osx-64 bad, no noarch */
	buf_t cache; /* <root>/cache */
	buf_t log;   /* server request log */
	pid_t server;
	int port;
};

static void make_channel(struct fixture *f)
{
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&p, "%s/linux-64", f->chan.data);
	assert_int_equal(fs_mkdir_p(p.data, &err), 0);
	buf_addstr(&p, "/repodata.json");
	testutil_write_text(p.data, GOOD_REPODATA);
	buf_reset(&p);
	buf_addf(&p, "%s/osx-64", f->chan.data);
	assert_int_equal(fs_mkdir_p(p.data, &err), 0);
	buf_addstr(&p, "/repodata.json");
	testutil_write_text(p.data, BAD_REPODATA);
	buf_free(&p);
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	err_t err = ERR_INIT;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	if (fs_mkdtemp(tmp, "test_channel.", &f->root, &err) != 0)
		return -1;
	buf_addf(&f->chan, "%s/chan", f->root.data);
	buf_addf(&f->cache, "%s/cache", f->root.data);
	make_channel(f);
	if (testutil_serve_dir(f->chan.data, f->root.data, &f->log, &f->server, &f->port) != 0)
		return -1;
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	err_t err = ERR_INIT;
	testutil_serve_stop(f->server);
	fs_rm_rf(f->root.data, &err);
	buf_free(&f->root);
	buf_free(&f->chan);
	buf_free(&f->cache);
	buf_free(&f->log);
	free(f);
	return 0;
}

/* Fresh cache dir per test. */
static int test_setup(void **state)
{
	struct fixture *f = *state;
	err_t err = ERR_INIT;
	fs_rm_rf(f->cache.data, &err);
	make_channel(f);
	return 0;
}

/* Counts files in <cache>/repodata (any name: entries, metas and stray temp files). */
static int cache_files(struct fixture *f, const char *suffix)
{
	buf_t dir = BUF_INIT;
	buf_addf(&dir, "%s/repodata", f->cache.data);
	DIR *d = opendir(dir.data);
	int n = 0;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			size_t l = strlen(e->d_name), sl = strlen(suffix);
			if (e->d_name[0] != '.' && l >= sl &&
			    strcmp(e->d_name + l - sl, suffix) == 0)
				n++;
		}
		closedir(d);
	}
	buf_free(&dir);
	return n;
}

static void http_base(struct fixture *f, buf_t *out)
{
	buf_reset(out);
	buf_addf(out, "http://127.0.0.1:%d", f->port);
}

/* ---- resolve ---- */

static void expect_resolve(const char *written, const char *alias, const char *want)
{
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	int rc = channel_resolve(written, alias, &out, &err);
	if (rc != 0)
		fail_msg("channel_resolve(%s): %s", written, err_msg(&err));
	assert_string_equal(out.data, want);
	buf_free(&out);
}

static void expect_resolve_error(const char *written, const char *needle)
{
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(channel_resolve(written, NULL, &out, &err), -1);
	if (!strstr(err_msg(&err), needle))
		fail_msg("error for '%s' is '%s', expected it to contain '%s'", written,
			 err_msg(&err), needle);
	err_clear(&err);
	buf_free(&out);
}

static void test_resolve_name_uses_default_alias(void **state)
{
	(void)state;
	expect_resolve("conda-forge", NULL, "https://conda.anaconda.org/conda-forge");
	expect_resolve("pytorch/label/nightly", "",
		       "https://conda.anaconda.org/pytorch/label/nightly");
}

static void test_resolve_name_uses_given_alias(void **state)
{
	(void)state;
	expect_resolve("bioconda", "https://mirror.example/conda/",
		       "https://mirror.example/conda/bioconda");
}

static void test_resolve_defaults_is_anaconda_main(void **state)
{
	(void)state;
	expect_resolve("defaults", NULL, "https://repo.anaconda.com/pkgs/main");
}

static void test_resolve_urls_are_kept_without_trailing_slash(void **state)
{
	(void)state;
	expect_resolve("https://host.example/chan/", NULL, "https://host.example/chan");
	expect_resolve("http://127.0.0.1:8080/c//", NULL, "http://127.0.0.1:8080/c");
	expect_resolve("file:///srv/chan/", NULL, "file:///srv/chan");
}

static void test_resolve_absolute_path_becomes_file_url(void **state)
{
	(void)state;
	expect_resolve("/srv/my chan/", NULL, "file:///srv/my%20chan");
	expect_resolve_error("/srv/../etc", "not a usable local path");
	expect_resolve("/srv/./a//b", NULL, "file:///srv/a/b");
}

static void test_resolve_rejects_bad_names(void **state)
{
	(void)state;
	expect_resolve_error("conda forge", "'conda forge': not a channel name");
	expect_resolve_error("chan;rm", "not a channel name");
	expect_resolve_error("../up", "not a channel name");
	expect_resolve_error("", "empty channel name");
	expect_resolve_error("nodefaults", "not a channel");
	expect_resolve_error("ftp://host/chan", "unsupported URL scheme");
}

/* ---- fetch: file:// ---- */

static void file_base(struct fixture *f, buf_t *out)
{
	buf_reset(out);
	buf_addf(out, "file://%s", f->chan.data);
}

static void test_fetch_file_copies_repodata_into_cache(void **state)
{
	struct fixture *f = *state;
	buf_t base = BUF_INIT, path = BUF_INIT, text = BUF_INIT;
	err_t err = ERR_INIT;
	file_base(f, &base);
	if (channel_fetch_repodata(NULL, base.data, "linux-64", f->cache.data, 0, &path, &err) != 0)
		fail_msg("%s", err_msg(&err));
	assert_non_null(strstr(path.data, f->cache.data));
	buf_reset(&text);
	assert_int_equal(buf_read_file(&text, path.data, 1 << 20, &err), 0);
	assert_string_equal(text.data, GOOD_REPODATA);
	assert_int_equal(cache_files(f, ".json"), 1);
	/* file:// revalidates by the source file's size, mtime and inode */
	assert_int_equal(cache_files(f, ".meta"), 1);
	buf_free(&base);
	buf_free(&path);
	buf_free(&text);
}

/* The validation scan records that the content (by sha256) passed, so the solver need not
 * scan it again before it knows which names it wants (repoindex_scan.h). */
static void test_fetch_marks_the_checked_content(void **state)
{
	struct fixture *f = *state;
	buf_t base = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	char sha[DIGEST_HEX_MAX];
	file_base(f, &base);
	digest_buf_hex(DIGEST_SHA256, GOOD_REPODATA, strlen(GOOD_REPODATA), sha);
	assert_false(nameidx_is_checked(f->cache.data, sha));
	if (channel_fetch_repodata(NULL, base.data, "linux-64", f->cache.data, 0, &path, &err) != 0)
		fail_msg("%s", err_msg(&err));
	assert_true(nameidx_is_checked(f->cache.data, sha));
	buf_free(&base);
	buf_free(&path);
}

/* A warm solve must not copy and re-parse a large local channel: an unchanged source is served
 * from the cache entry as it stands. */
static void test_fetch_file_unchanged_channel_is_not_reread(void **state)
{
	struct fixture *f = *state;
	buf_t base = BUF_INIT, path = BUF_INIT, text = BUF_INIT;
	err_t err = ERR_INIT;
	const char *marker = "{\"packages\": {}, \"marker\": 1}";
	file_base(f, &base);
	assert_int_equal(
		channel_fetch_repodata(NULL, base.data, "linux-64", f->cache.data, 0, &path, &err),
		0);
	testutil_write_text(path.data, marker); /* only a re-read would replace this */
	assert_int_equal(
		channel_fetch_repodata(NULL, base.data, "linux-64", f->cache.data, 0, &path, &err),
		0);
	assert_int_equal(buf_read_file(&text, path.data, 1 << 20, &err), 0);
	assert_string_equal(text.data, marker);
	buf_free(&base);
	buf_free(&path);
	buf_free(&text);
}

static void test_fetch_file_rereads_a_changed_channel(void **state)
{
	struct fixture *f = *state;
	buf_t base = BUF_INIT, path = BUF_INIT, text = BUF_INIT, src = BUF_INIT;
	err_t err = ERR_INIT;
	const char *changed = "{\"packages\": {}, \"changed\": true}";
	file_base(f, &base);
	assert_int_equal(
		channel_fetch_repodata(NULL, base.data, "linux-64", f->cache.data, 0, &path, &err),
		0);
	buf_addf(&src, "%s/linux-64/repodata.json", f->chan.data);
	testutil_write_text(src.data, changed);
	assert_int_equal(
		channel_fetch_repodata(NULL, base.data, "linux-64", f->cache.data, 0, &path, &err),
		0);
	buf_reset(&text);
	assert_int_equal(buf_read_file(&text, path.data, 1 << 20, &err), 0);
	assert_string_equal(text.data, changed);
	buf_free(&base);
	buf_free(&path);
	buf_free(&text);
	buf_free(&src);
}

static void test_fetch_file_missing_subdir_names_channel_and_url(void **state)
{
	struct fixture *f = *state;
	buf_t base = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	file_base(f, &base);
	assert_int_equal(
		channel_fetch_repodata(NULL, base.data, "noarch", f->cache.data, 0, &path, &err),
		-1);
	assert_non_null(strstr(err_msg(&err), "has no noarch/repodata.json"));
	assert_non_null(strstr(err_msg(&err), "/chan/noarch/repodata.json"));
	assert_non_null(strstr(err_msg(&err), "check the channel name/URL"));
	assert_int_equal(cache_files(f, ""), 0);
	err_clear(&err);
	buf_free(&base);
	buf_free(&path);
}

static void test_fetch_file_missing_ok_gives_empty_repodata(void **state)
{
	struct fixture *f = *state;
	buf_t base = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	file_base(f, &base);
	if (channel_fetch_repodata(NULL, base.data, "noarch", f->cache.data, CHANNEL_MISSING_OK,
				   &path, &err) != 0)
		fail_msg("%s", err_msg(&err));
	json_t *root = json_load_file(path.data, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_object_size(json_object_get(root, "packages")), 0);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(root, "info"), "subdir")),
		"noarch");
	json_decref(root);
	buf_free(&base);
	buf_free(&path);
}

static void test_fetch_file_bad_json_names_url_and_line_and_caches_nothing(void **state)
{
	struct fixture *f = *state;
	buf_t base = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	file_base(f, &base);
	assert_int_equal(
		channel_fetch_repodata(NULL, base.data, "osx-64", f->cache.data, 0, &path, &err),
		-1);
	assert_non_null(strstr(err_msg(&err), "/chan/osx-64/repodata.json"));
	assert_non_null(strstr(err_msg(&err), "not valid JSON (line 2"));
	assert_int_equal(cache_files(f, ""), 0);
	err_clear(&err);
	buf_free(&base);
	buf_free(&path);
}

/* ---- fetch: http:// ---- */

static int log_count(struct fixture *f, const char *line)
{
	buf_t text = BUF_INIT;
	err_t err = ERR_INIT;
	int n = 0;
	if (buf_read_file(&text, f->log.data, 1 << 20, &err) == 0)
		for (const char *p = text.data; (p = strstr(p, line)) != NULL; p++)
			n++;
	err_clear(&err);
	buf_free(&text);
	return n;
}

static void test_fetch_http_downloads_and_revalidates_with_etag(void **state)
{
	struct fixture *f = *state;
	buf_t base = BUF_INIT, path = BUF_INIT, path2 = BUF_INIT, text = BUF_INIT, src = BUF_INIT;
	err_t err = ERR_INIT;
	http_base(f, &base);
	int before200 = log_count(f, "/linux-64/repodata.json 200");
	int before304 = log_count(f, "/linux-64/repodata.json 304");
	if (channel_fetch_repodata(NULL, base.data, "linux-64", f->cache.data, 0, &path, &err) != 0)
		fail_msg("%s", err_msg(&err));
	buf_reset(&text);
	assert_int_equal(buf_read_file(&text, path.data, 1 << 20, &err), 0);
	assert_string_equal(text.data, GOOD_REPODATA);
	assert_int_equal(cache_files(f, ".meta"), 1);
	assert_int_equal(log_count(f, "/linux-64/repodata.json 200"), before200 + 1);

	/* Second fetch: conditional request, 304, the cached file is reused. */
	if (channel_fetch_repodata(NULL, base.data, "linux-64", f->cache.data, 0, &path2, &err) !=
	    0)
		fail_msg("%s", err_msg(&err));
	assert_string_equal(path2.data, path.data);
	assert_int_equal(log_count(f, "/linux-64/repodata.json 304"), before304 + 1);
	buf_reset(&text);
	assert_int_equal(buf_read_file(&text, path2.data, 1 << 20, &err), 0);
	assert_string_equal(text.data, GOOD_REPODATA);

	/* Changed upstream: the ETag no longer matches and the new body replaces the entry. */
	buf_addf(&src, "%s/linux-64/repodata.json", f->chan.data);
	testutil_write_text(src.data, "{\"packages\": {}, \"v\": 2}");
	assert_int_equal(
		channel_fetch_repodata(NULL, base.data, "linux-64", f->cache.data, 0, &path2, &err),
		0);
	buf_reset(&text);
	assert_int_equal(buf_read_file(&text, path2.data, 1 << 20, &err), 0);
	assert_string_equal(text.data, "{\"packages\": {}, \"v\": 2}");
	assert_int_equal(cache_files(f, ".json"), 1);
	buf_free(&base);
	buf_free(&path);
	buf_free(&path2);
	buf_free(&text);
	buf_free(&src);
}

static void test_fetch_http_404_names_channel_and_caches_nothing(void **state)
{
	struct fixture *f = *state;
	buf_t base = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	http_base(f, &base);
	assert_int_equal(
		channel_fetch_repodata(NULL, base.data, "win-64", f->cache.data, 0, &path, &err),
		-1);
	assert_non_null(strstr(err_msg(&err), "has no win-64/repodata.json"));
	assert_non_null(strstr(err_msg(&err), base.data));
	assert_int_equal(cache_files(f, ""), 0);
	err_clear(&err);
	/* ... unless missing is acceptable. */
	assert_int_equal(channel_fetch_repodata(NULL, base.data, "win-64", f->cache.data,
						CHANNEL_MISSING_OK, &path, &err),
			 0);
	assert_int_equal(cache_files(f, ".json"), 1);
	buf_free(&base);
	buf_free(&path);
}

static void test_fetch_http_bad_json_caches_nothing(void **state)
{
	struct fixture *f = *state;
	buf_t base = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	http_base(f, &base);
	assert_int_equal(
		channel_fetch_repodata(NULL, base.data, "osx-64", f->cache.data, 0, &path, &err),
		-1);
	assert_non_null(strstr(err_msg(&err), "osx-64/repodata.json: not valid JSON (line 2"));
	assert_int_equal(cache_files(f, ""), 0);
	err_clear(&err);
	buf_free(&base);
	buf_free(&path);
}

static void test_fetch_connection_refused_names_url(void **state)
{
	struct fixture *f = *state;
	buf_t path = BUF_INIT;
	err_t err = ERR_INIT;
	/* Port 1 on loopback: nothing listens there (and we are not allowed to bind it). */
	assert_int_equal(channel_fetch_repodata(NULL, "http://127.0.0.1:1/chan", "linux-64",
						f->cache.data, 0, &path, &err),
			 -1);
	assert_non_null(strstr(err_msg(&err),
			       "cannot fetch http://127.0.0.1:1/chan/linux-64/repodata.json"));
	assert_int_equal(cache_files(f, ""), 0);
	err_clear(&err);
	buf_free(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_name_uses_default_alias),
		cmocka_unit_test(test_resolve_name_uses_given_alias),
		cmocka_unit_test(test_resolve_defaults_is_anaconda_main),
		cmocka_unit_test(test_resolve_urls_are_kept_without_trailing_slash),
		cmocka_unit_test(test_resolve_absolute_path_becomes_file_url),
		cmocka_unit_test(test_resolve_rejects_bad_names),
		cmocka_unit_test_setup(test_fetch_file_copies_repodata_into_cache, test_setup),
		cmocka_unit_test_setup(test_fetch_marks_the_checked_content, test_setup),
		cmocka_unit_test_setup(test_fetch_file_unchanged_channel_is_not_reread, test_setup),
		cmocka_unit_test_setup(test_fetch_file_rereads_a_changed_channel, test_setup),
		cmocka_unit_test_setup(test_fetch_file_missing_subdir_names_channel_and_url,
				       test_setup),
		cmocka_unit_test_setup(test_fetch_file_missing_ok_gives_empty_repodata, test_setup),
		cmocka_unit_test_setup(
			test_fetch_file_bad_json_names_url_and_line_and_caches_nothing, test_setup),
		cmocka_unit_test_setup(test_fetch_http_downloads_and_revalidates_with_etag,
				       test_setup),
		cmocka_unit_test_setup(test_fetch_http_404_names_channel_and_caches_nothing,
				       test_setup),
		cmocka_unit_test_setup(test_fetch_http_bad_json_caches_nothing, test_setup),
		cmocka_unit_test_setup(test_fetch_connection_refused_names_url, test_setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
