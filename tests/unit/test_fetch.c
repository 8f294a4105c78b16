/* test_fetch.c — package downloads: verified files land in the content-addressed cache,
 * anything that fails verification never does, and the errors name package and URL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "fetch.h"
#include "fsutil.h"
#include "pkgrec.h"

typedef struct fixture {
	buf_t dir, cache;
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof *f);
	err_t e = ERR_INIT;
	if (fs_mkdtemp("/tmp", "imgbuild-fetch-", &f->dir, &e))
		return -1;
	buf_addstr(&f->cache, f->dir.data);
	buf_addpath(&f->cache, "cache");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	err_t e = ERR_INIT;
	fs_rm_rf(f->dir.data, &e);
	buf_free(&f->dir);
	buf_free(&f->cache);
	free(f);
	return 0;
}

/* Writes a fake archive file and returns a record for it (caller frees). */
static pkgrec_t *make_pkg(fixture_t *f, const char *fn, const char *content,
			  const char *sha_override)
{
	buf_t p = BUF_INIT;
	err_t e = ERR_INIT;
	char hex[DIGEST_HEX_MAX];
	pkgrec_t *r = pkgrec_new();
	buf_addstr(&p, f->dir.data);
	buf_addpath(&p, fn);
	assert_int_equal(fs_write_atomic(p.data, content, strlen(content), &e), 0);
	digest_buf_hex(DIGEST_SHA256, content, strlen(content), hex);
	r->name = strdup("demo");
	r->version = strdup("1");
	r->build = strdup("0");
	r->fn = strdup(fn);
	r->sha256 = strdup(sha_override ? sha_override : hex);
	buf_reset(&p);
	buf_addf(&p, "file://%s/%s", f->dir.data, fn);
	r->url = buf_detach(&p);
	return r;
}

/* fetch_packages with the default HTTP client and no mirrors. */
static int fetch(const pkgrec_t *const *recs, size_t n, const char *cache_dir, int max_parallel,
		 fetch_progress_fn progress, void *ud, char **paths, err_t *err)
{
	fetch_opts_t o = {.cache_dir = cache_dir,
			  .max_parallel = max_parallel,
			  .progress = progress,
			  .ud = ud};
	return fetch_packages(recs, n, &o, paths, err);
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void count_cached(void *ud, const pkgrec_t *rec, int from_cache)
{
	(void)rec;
	if (from_cache)
		(*(int *)ud)++;
}

static void test_verified_packages_enter_cache_and_are_reused(void **state)
{
	fixture_t *f = *state;
	pkgrec_t *recs[8];
	char *paths[8];
	err_t e = ERR_INIT;
	char name[32], content[64];
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "p%d-1-0.tar.bz2", i);
		snprintf(content, sizeof content, "package body %d", i);
		recs[i] = make_pkg(f, name, content, NULL);
	}
	assert_int_equal(
		fetch((const pkgrec_t *const *)recs, 8, f->cache.data, 3, NULL, NULL, paths, &e),
		0);
	for (int i = 0; i < 8; i++) {
		char hex[DIGEST_HEX_MAX];
		err_t e2 = ERR_INIT;
		assert_int_equal(digest_file_hex(DIGEST_SHA256, paths[i], hex, &e2), 0);
		assert_string_equal(hex, recs[i]->sha256);
		assert_non_null(strstr(paths[i], recs[i]->sha256));
		assert_non_null(strstr(paths[i], ".tar.bz2"));
		free(paths[i]);
	}
	int cached = 0;
	assert_int_equal(fetch((const pkgrec_t *const *)recs, 8, f->cache.data, 3, count_cached,
			       &cached, paths, &e),
			 0);
	assert_int_equal(cached, 8);
	for (int i = 0; i < 8; i++) {
		free(paths[i]);
		pkgrec_free(recs[i]);
	}
}

static void test_checksum_mismatch_names_package_and_url_and_caches_nothing(void **state)
{
	fixture_t *f = *state;
	const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";
	pkgrec_t *r = make_pkg(f, "bad-1-0.conda", "tampered", wrong);
	char *path = NULL;
	err_t e = ERR_INIT;
	buf_t dir = BUF_INIT;
	assert_int_equal(
		fetch((const pkgrec_t *const *)&r, 1, f->cache.data, 1, NULL, NULL, &path, &e), -1);
	assert_non_null(strstr(err_msg(&e), "checksum mismatch for package bad-1-0.conda"));
	assert_non_null(strstr(err_msg(&e), r->url));
	assert_null(path);
	buf_addstr(&dir, f->cache.data);
	buf_addpath(&dir, "pkgs/sha256");
	assert_int_equal(count_files(dir.data), 0);
	buf_setstr(&dir, f->cache.data);
	buf_addpath(&dir, "pkgs/tmp");
	assert_int_equal(count_files(dir.data), 0);
	buf_free(&dir);
	err_clear(&e);
	pkgrec_free(r);
}

static void test_missing_file_names_url(void **state)
{
	fixture_t *f = *state;
	pkgrec_t *r = make_pkg(f, "gone-1-0.conda", "x", NULL);
	char *path = NULL;
	err_t e = ERR_INIT;
	free(r->url);
	r->url = strdup("file:///nonexistent/imgbuild/gone-1-0.conda");
	assert_int_equal(
		fetch((const pkgrec_t *const *)&r, 1, f->cache.data, 1, NULL, NULL, &path, &e), -1);
	assert_non_null(strstr(err_msg(&e), "cannot download package gone-1-0.conda from "
					    "file:///nonexistent/imgbuild/gone-1-0.conda"));
	err_clear(&e);
	pkgrec_free(r);
}

static void test_record_without_hash_is_refused(void **state)
{
	fixture_t *f = *state;
	pkgrec_t *r = make_pkg(f, "nohash-1-0.conda", "x", NULL);
	char *path = NULL;
	err_t e = ERR_INIT;
	free(r->sha256);
	r->sha256 = NULL;
	assert_int_equal(
		fetch((const pkgrec_t *const *)&r, 1, f->cache.data, 1, NULL, NULL, &path, &e), -1);
	assert_non_null(strstr(err_msg(&e), "neither sha256 nor md5"));
	err_clear(&e);
	pkgrec_free(r);
}

static void test_md5_only_record_is_verified_with_md5(void **state)
{
	fixture_t *f = *state;
	pkgrec_t *r = make_pkg(f, "old-1-0.tar.bz2", "old style", NULL);
	char hex[DIGEST_HEX_MAX], *path = NULL;
	err_t e = ERR_INIT;
	free(r->sha256);
	r->sha256 = NULL;
	digest_buf_hex(DIGEST_MD5, "old style", 9, hex);
	r->md5 = strdup(hex);
	assert_int_equal(
		fetch((const pkgrec_t *const *)&r, 1, f->cache.data, 1, NULL, NULL, &path, &e), 0);
	assert_non_null(strstr(path, "/pkgs/md5/"));
	free(path);
	free(r->md5);
	r->md5 = strdup("ffffffffffffffffffffffffffffffff");
	free(r->fn);
	r->fn = strdup("old2-1-0.tar.bz2");
	assert_int_equal(
		fetch((const pkgrec_t *const *)&r, 1, f->cache.data, 1, NULL, NULL, &path, &e), -1);
	assert_non_null(strstr(err_msg(&e), "md5"));
	err_clear(&e);
	pkgrec_free(r);
}

static void test_downloads_of_dead_builds_are_swept_live_ones_kept(void **state)
{
	fixture_t *f = *state;
	pkgrec_t *r = make_pkg(f, "s-1-0.conda", "sweep", NULL);
	buf_t dead = BUF_INIT, live = BUF_INIT;
	err_t e = ERR_INIT;
	char *path = NULL;
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0); /* a pid that is certainly gone */
	buf_addf(&dead, "%s/pkgs/tmp/dl-%ld-AAAAAA", f->cache.data, (long)child);
	buf_addf(&live, "%s/pkgs/tmp/dl-%ld-BBBBBB", f->cache.data, (long)getppid());
	buf_t tmp = BUF_INIT;
	buf_addf(&tmp, "%s/pkgs/tmp", f->cache.data);
	assert_int_equal(fs_mkdir_p(tmp.data, &e), 0);
	assert_int_equal(fs_write_atomic(dead.data, "x", 1, &e), 0);
	assert_int_equal(fs_write_atomic(live.data, "y", 1, &e), 0);
	assert_int_equal(
		fetch((const pkgrec_t *const *)&r, 1, f->cache.data, 1, NULL, NULL, &path, &e), 0);
	assert_false(fs_exists(dead.data));
	assert_true(fs_exists(live.data));
	free(path);
	buf_free(&dead);
	buf_free(&live);
	buf_free(&tmp);
	pkgrec_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verified_packages_enter_cache_and_are_reused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_checksum_mismatch_names_package_and_url_and_caches_nothing, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_names_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_without_hash_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_md5_only_record_is_verified_with_md5, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_downloads_of_dead_builds_are_swept_live_ones_kept, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
