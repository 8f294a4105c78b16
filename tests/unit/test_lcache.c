/* test_lcache.c — the layer cache: the key changes with every input a layer's
 * bytes depend on and with nothing else; store/fetch round trip; missing,
 * truncated and corrupt blobs are evicted, never served; killed writers'
 * temporaries are swept; concurrent processes storing and fetching one key
 * through one cache directory always see a complete, correct entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blob.h"
#include "buf.h"
#include "digest.h"
#include "fsutil.h"
#include "lcache.h"

/* ---- helpers
 * ----------------------------------------------------------------------------
 */

static pkgrec_t *mkpkg(const char *name, const char *version, const char *sha)
{
	pkgrec_t *r = pkgrec_new();
	r->name = strdup(name);
	r->version = strdup(version);
	r->build = strdup("h0_0");
	r->subdir = strdup("linux-64");
	r->fn = strdup(name);
	r->channel = strdup("https://conda.example/chan");
	r->url = strdup("https://conda.example/chan/linux-64/x.conda");
	r->sha256 = strdup(sha);
	r->raw = json_pack("{s:s,s:[s]}", "name", name, "depends", "libc");
	return r;
}

typedef struct fixture {
	pkgrec_t *p[3];
	layer_opts_t opts;
	lcache_key_input_t in;
} fixture_t;

static void fixture_init(fixture_t *f)
{
	memset(f, 0, sizeof *f);
	f->p[0] = mkpkg("numpy", "1.26", "aa");
	f->p[1] = mkpkg("libblas", "3.9", "bb");
	f->p[2] = mkpkg("zlib", "1.3", "cc");
	f->opts.compression = LAYER_GZIP;
	f->in.layer = &f->opts;
	f->in.image_prefix = "/opt/conda/envs/x";
	f->in.python_version = "3.11";
	f->in.pkgs = (const pkgrec_t *const *)f->p;
	f->in.n_pkgs = 3;
}

static void fixture_free(fixture_t *f)
{
	for (int i = 0; i < 3; i++)
		pkgrec_free(f->p[i]);
}

static void key_of(const fixture_t *f, char hex[DIGEST_HEX_MAX])
{
	err_t err = ERR_INIT;
	assert_int_equal(lcache_key(&f->in, hex, NULL, &err), 0);
}

static void assert_key_changes(fixture_t *f, const char *before)
{
	char after[DIGEST_HEX_MAX];
	key_of(f, after);
	assert_string_not_equal(before, after);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/test_lcache.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

/* Writes a blob of n pseudo-random bytes at dir/<hex> and fills desc like the
 * blob writer. */
static void make_blob(const char *dir, size_t n, unsigned seed, layer_desc_t *desc, buf_t *path)
{
	char *data = malloc(n);
	char hex[DIGEST_HEX_MAX];
	err_t err = ERR_INIT;
	for (size_t i = 0; i < n; i++)
		data[i] = (char)((seed * 2654435761u + i * 40503u) >> 7);
	digest_buf_hex(DIGEST_SHA256, data, n, hex);
	buf_setstr(path, dir);
	buf_addpath(path, hex);
	assert_int_equal(fs_write_atomic(path->data, data, n, &err), 0);
	memset(desc, 0, sizeof *desc);
	snprintf(desc->digest, sizeof desc->digest, "sha256:%s", hex);
	digest_buf_hex(DIGEST_SHA256, "tar", 3, hex);
	snprintf(desc->diff_id, sizeof desc->diff_id, "sha256:%s", hex);
	desc->size = (long long)n;
	desc->media_type = blob_media_type(LAYER_GZIP);
	desc->files = 7;
	free(data);
}

typedef struct cachefix {
	char *dir;
	buf_t root, src, dest, blob;
	lcache_t *c;
	layer_desc_t desc;
	char key[DIGEST_HEX_MAX];
} cachefix_t;

static void cachefix_init(cachefix_t *t)
{
	err_t err = ERR_INIT;
	memset(t, 0, sizeof *t);
	t->dir = tmpdir();
	buf_setstr(&t->root, t->dir);
	buf_addpath(&t->root, "cache/layers");
	buf_setstr(&t->src, t->dir);
	buf_addpath(&t->src, "build1");
	buf_setstr(&t->dest, t->dir);
	buf_addpath(&t->dest, "build2");
	assert_int_equal(fs_mkdir_p(t->src.data, &err), 0);
	assert_int_equal(fs_mkdir_p(t->dest.data, &err), 0);
	t->c = lcache_open(t->root.data, &err);
	assert_non_null(t->c);
	make_blob(t->src.data, 100000, 1, &t->desc, &t->blob);
	digest_buf_hex(DIGEST_SHA256, "some key", 8, t->key);
}

static void cachefix_store(cachefix_t *t)
{
	err_t err = ERR_INIT;
	int rc = lcache_store(t->c, t->key, t->blob.data, &t->desc, "grp", NULL, 0, "{\"a\":1}",
			      &err);
	if (rc)
		fail_msg("%s", err_msg(&err));
}

static void cachefix_free(cachefix_t *t)
{
	err_t err = ERR_INIT;
	lcache_free(t->c);
	fs_rm_rf(t->dir, &err);
	err_clear(&err);
	free(t->dir);
	buf_free(&t->root);
	buf_free(&t->src);
	buf_free(&t->dest);
	buf_free(&t->blob);
}

static void cache_path(cachefix_t *t, buf_t *p, const char *dir, const char *name)
{
	buf_setstr(p, t->root.data);
	buf_addpath(p, dir);
	buf_addpath(p, name);
}

static lcache_status_t fetch(cachefix_t *t, layer_desc_t *got, const char **why)
{
	err_t err = ERR_INIT;
	lcache_status_t st;
	if (lcache_fetch(t->c, t->key, t->dest.data, got, &st, why, &err) != 0)
		fail_msg("%s", err_msg(&err));
	return st;
}

/* ---- key
 * -------------------------------------------------------------------------------
 */

static void test_key_ignores_package_order(void **state)
{
	(void)state;
	fixture_t f;
	char a[DIGEST_HEX_MAX], b[DIGEST_HEX_MAX];
	fixture_init(&f);
	key_of(&f, a);
	pkgrec_t *t = f.p[0];
	f.p[0] = f.p[2];
	f.p[2] = t;
	key_of(&f, b);
	assert_string_equal(a, b);
	fixture_free(&f);
}

static void test_key_changes_with_every_byte_input(void **state)
{
	(void)state;
	fixture_t f;
	char base[DIGEST_HEX_MAX];
	fixture_init(&f);
	key_of(&f, base);
	free(f.p[1]->version), f.p[1]->version = strdup("3.10");
	assert_key_changes(&f, base);
	fixture_free(&f), fixture_init(&f);
	free(f.p[1]->build), f.p[1]->build = strdup("h1_1");
	assert_key_changes(&f, base);
	fixture_free(&f), fixture_init(&f);
	free(f.p[1]->sha256), f.p[1]->sha256 = strdup("bc");
	assert_key_changes(&f, base);
	fixture_free(&f), fixture_init(&f);
	json_object_set_new(f.p[1]->raw, "depends",
			    json_pack("[s]", "libc >=2")); /* repodata patch */
	assert_key_changes(&f, base);
	fixture_free(&f), fixture_init(&f);
	free(f.p[1]->url), f.p[1]->url = strdup("https://mirror.example/chan/linux-64/x.conda");
	assert_key_changes(&f, base);
	fixture_free(&f), fixture_init(&f);
	f.in.image_prefix = "/opt/conda/envs/y";
	assert_key_changes(&f, base);
	f.in.image_prefix = "/opt/conda/envs/x";
	f.opts.mtime = 1700000000;
	assert_key_changes(&f, base);
	f.opts.mtime = 0;
	f.opts.compression = LAYER_ZSTD;
	assert_key_changes(&f, base);
	f.opts.compression = LAYER_GZIP;
	f.opts.level = 9;
	assert_key_changes(&f, base);
	f.in.n_pkgs = 2;
	f.opts.level = 0;
	assert_key_changes(&f, base);
	fixture_free(&f);
}

static void test_key_default_level_equals_explicit_default(void **state)
{
	(void)state;
	fixture_t f;
	char a[DIGEST_HEX_MAX], b[DIGEST_HEX_MAX];
	fixture_init(&f);
	key_of(&f, a);
	f.opts.level = LAYER_GZIP_DEFAULT_LEVEL;
	key_of(&f, b);
	assert_string_equal(a, b);
	fixture_free(&f);
}

static void test_key_python_version_only_for_noarch_python(void **state)
{
	(void)state;
	fixture_t f;
	char a[DIGEST_HEX_MAX], b[DIGEST_HEX_MAX];
	fixture_init(&f);
	key_of(&f, a);
	f.in.python_version = "3.12";
	key_of(&f, b);
	assert_string_equal(a, b); /* no noarch: python package: the version is irrelevant */
	f.p[0]->noarch = strdup("python");
	key_of(&f, a);
	f.in.python_version = "3.11";
	key_of(&f, b);
	assert_string_not_equal(a, b);
	fixture_free(&f);
}

static void test_key_file_channel_location_is_irrelevant(void **state)
{
	(void)state;
	fixture_t f;
	char a[DIGEST_HEX_MAX], b[DIGEST_HEX_MAX];
	buf_t canon = BUF_INIT;
	err_t err = ERR_INIT;
	fixture_init(&f);
	for (int i = 0; i < 3; i++) {
		free(f.p[i]->channel), f.p[i]->channel = strdup("file:///home/a/chan");
		free(f.p[i]->url), f.p[i]->url = strdup("file:///home/a/chan/linux-64/x.conda");
	}
	key_of(&f, a);
	for (int i = 0; i < 3; i++) {
		free(f.p[i]->channel), f.p[i]->channel = strdup("file:///srv/b/copy");
		free(f.p[i]->url), f.p[i]->url = strdup("file:///srv/b/copy/linux-64/x.conda");
	}
	assert_int_equal(lcache_key(&f.in, b, &canon, &err), 0);
	assert_string_equal(a, b);
	assert_null(strstr(canon.data, "/srv/b"));
	assert_non_null(strstr(canon.data, "\"channel\":\"local\""));
	buf_free(&canon);
	fixture_free(&f);
}

static void test_key_without_archive_digest_is_an_error_naming_the_package(void **state)
{
	(void)state;
	fixture_t f;
	char a[DIGEST_HEX_MAX];
	err_t err = ERR_INIT;
	fixture_init(&f);
	free(f.p[1]->sha256), f.p[1]->sha256 = NULL;
	assert_int_equal(lcache_key(&f.in, a, NULL, &err), -1);
	assert_non_null(strstr(err_msg(&err), "libblas-3.9-h0_0"));
	assert_non_null(strstr(err_msg(&err), "neither sha256 nor md5"));
	err_clear(&err);
	f.p[1]->md5 = strdup("0123");
	assert_int_equal(lcache_key(&f.in, a, NULL, &err), 0);
	fixture_free(&f);
}

/* ---- store / fetch
 * ---------------------------------------------------------------------- */

static void test_store_then_fetch_hits_and_links_the_blob(void **state)
{
	(void)state;
	cachefix_t t;
	layer_desc_t got;
	buf_t p = BUF_INIT;
	struct stat a, b;
	cachefix_init(&t);
	cachefix_store(&t);
	assert_int_equal(fetch(&t, &got, NULL), LCACHE_HIT);
	assert_string_equal(got.digest, t.desc.digest);
	assert_string_equal(got.diff_id, t.desc.diff_id);
	assert_int_equal(got.size, t.desc.size);
	assert_int_equal(got.files, 7);
	assert_ptr_equal(got.media_type, blob_media_type(LAYER_GZIP));
	buf_setstr(&p, t.dest.data);
	buf_addpath(&p, t.desc.digest + 7);
	assert_int_equal(stat(p.data, &a), 0);
	assert_int_equal(stat(t.blob.data, &b), 0);
	assert_true(a.st_ino == b.st_ino); /* stored once, hardlinked out */
	assert_int_equal(lcache_peek(t.c, t.key, &got), LCACHE_HIT);
	buf_free(&p);
	cachefix_free(&t);
}

static void test_unknown_key_is_a_miss(void **state)
{
	(void)state;
	cachefix_t t;
	layer_desc_t got;
	cachefix_init(&t);
	assert_int_equal(fetch(&t, &got, NULL), LCACHE_MISS);
	assert_int_equal(lcache_peek(t.c, t.key, &got), LCACHE_MISS);
	cachefix_free(&t);
}

static void assert_evicted_and_not_served(cachefix_t *t, const char *why_part)
{
	layer_desc_t got;
	const char *why = NULL;
	buf_t p = BUF_INIT;
	assert_int_equal(fetch(t, &got, &why), LCACHE_EVICTED);
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
	buf_setstr(&p, t->dest.data);
	buf_addpath(&p, t->desc.digest + 7);
	assert_false(fs_exists(p.data)); /* nothing bad left in the output */
	cache_path(t, &p, "keys", t->key);
	buf_addstr(&p, ".json");
	assert_false(fs_exists(p.data)); /* the entry is gone: next lookup is a plain miss */
	assert_int_equal(fetch(t, &got, NULL), LCACHE_MISS);
	buf_free(&p);
}

static void test_truncated_blob_is_evicted_not_served(void **state)
{
	(void)state;
	cachefix_t t;
	buf_t p = BUF_INIT;
	cachefix_init(&t);
	cachefix_store(&t);
	cache_path(&t, &p, "blobs/sha256", t.desc.digest + 7);
	assert_int_equal(truncate(p.data, 5000), 0);
	assert_evicted_and_not_served(&t, "wrong size");
	buf_free(&p);
	cachefix_free(&t);
}

static void test_corrupt_blob_of_the_right_size_is_evicted_not_served(void **state)
{
	(void)state;
	cachefix_t t;
	buf_t p = BUF_INIT;
	cachefix_init(&t);
	cachefix_store(&t);
	cache_path(&t, &p, "blobs/sha256", t.desc.digest + 7);
	int fd = open(p.data, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "XXXX", 4, 500), 4);
	close(fd);
	assert_evicted_and_not_served(&t, "does not match");
	buf_free(&p);
	cachefix_free(&t);
}

static void test_missing_blob_is_evicted(void **state)
{
	(void)state;
	cachefix_t t;
	buf_t p = BUF_INIT;
	cachefix_init(&t);
	cachefix_store(&t);
	cache_path(&t, &p, "blobs/sha256", t.desc.digest + 7);
	assert_int_equal(unlink(p.data), 0);
	assert_evicted_and_not_served(&t, "missing");
	buf_free(&p);
	cachefix_free(&t);
}

static void test_unstamped_blob_is_rehashed_and_served_when_good(void **state)
{
	(void)state;
	cachefix_t t;
	layer_desc_t got;
	buf_t p = BUF_INIT;
	cachefix_init(&t);
	cachefix_store(&t);
	cache_path(&t, &p, "verified", t.desc.digest + 7);
	assert_int_equal(unlink(p.data), 0);
	assert_int_equal(fetch(&t, &got, NULL), LCACHE_HIT);
	assert_true(fs_exists(p.data)); /* re-stamped after the hash matched */
	buf_free(&p);
	cachefix_free(&t);
}

/* Issue 10 #8: an empty verified/<hex> stamp (a full disk, a kill between create and write)
 * used to crash every later lookup (NULL strcmp). It is a plain mismatch: the blob is hashed
 * again, served, and the stamp rewritten. */
static void test_empty_stamp_is_rehashed_not_a_crash(void **state)
{
	(void)state;
	cachefix_t t;
	layer_desc_t got;
	buf_t p = BUF_INIT, text = BUF_INIT;
	err_t err = ERR_INIT;
	cachefix_init(&t);
	cachefix_store(&t);
	cache_path(&t, &p, "verified", t.desc.digest + 7);
	assert_int_equal(truncate(p.data, 0), 0);
	assert_int_equal(fetch(&t, &got, NULL), LCACHE_HIT);
	assert_string_equal(got.digest, t.desc.digest);
	assert_int_equal(buf_read_file(&text, p.data, 256, &err), 0);
	assert_true(text.len > 0); /* re-stamped */
	assert_int_equal(fetch(&t, &got, NULL), LCACHE_HIT);
	buf_free(&p);
	buf_free(&text);
	cachefix_free(&t);
}

static void test_malformed_entry_is_a_miss(void **state)
{
	(void)state;
	cachefix_t t;
	layer_desc_t got;
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	cachefix_init(&t);
	cachefix_store(&t);
	cache_path(&t, &p, "keys", t.key);
	buf_addstr(&p, ".json");
	assert_int_equal(fs_write_atomic(p.data, "{\"digest\":\"sha256:12\"", 21, &err), 0);
	assert_int_equal(fetch(&t, &got, NULL), LCACHE_MISS);
	assert_int_equal(lcache_peek(t.c, t.key, &got), LCACHE_MISS);
	buf_free(&p);
	cachefix_free(&t);
}

static void test_temporaries_of_dead_processes_are_swept(void **state)
{
	(void)state;
	cachefix_t t;
	buf_t dead = BUF_INIT, mine = BUF_INIT;
	err_t err = ERR_INIT;
	cachefix_init(&t);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0); /* pid is now (almost certainly) unused */
	buf_setstr(&dead, t.root.data);
	buf_addf(&dead, "/tmp/%ld-3", (long)pid);
	buf_setstr(&mine, t.root.data);
	buf_addf(&mine, "/tmp/%ld-99", (long)getpid());
	assert_int_equal(fs_write_atomic(dead.data, "half", 4, &err), 0);
	assert_int_equal(fs_write_atomic(mine.data, "busy", 4, &err), 0);
	lcache_free(t.c);
	t.c = lcache_open(t.root.data, &err);
	assert_non_null(t.c);
	assert_false(fs_exists(dead.data));
	assert_true(fs_exists(mine.data)); /* a live writer's file is left alone */
	buf_free(&dead);
	buf_free(&mine);
	cachefix_free(&t);
}

/* Eight processes race to store and fetch the same key (each from its own build
 * dir and blob file, same bytes) while one more keeps corrupting nothing: every
 * fetch that hits must hand over a blob whose sha256 is the recorded digest. */
static void test_concurrent_processes_share_one_cache_safely(void **state)
{
	(void)state;
	cachefix_t t;
	enum { N = 8, ROUNDS = 30 };
	cachefix_init(&t);
	for (int k = 0; k < N; k++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid != 0)
			continue;
		err_t err = ERR_INIT;
		buf_t own = BUF_INIT, blob = BUF_INIT, dest = BUF_INIT;
		layer_desc_t d, got;
		lcache_t *c = lcache_open(t.root.data, &err);
		int bad = !c;
		buf_addf(&own, "%s/w%d", t.dir, k);
		fs_mkdir_p(own.data, &err);
		make_blob(own.data, 100000, 1, &d, &blob);
		for (int r = 0; r < ROUNDS && !bad; r++) {
			lcache_status_t st;
			char hex[DIGEST_HEX_MAX];
			buf_setstr(&dest, own.data);
			buf_addf(&dest, "/out%d", r);
			fs_mkdir_p(dest.data, &err);
			if ((r + k) % 2 == 0) {
				bad |= lcache_store(c, t.key, blob.data, &d, "g", NULL, 0, NULL,
						    &err) != 0;
				continue;
			}
			bad |= lcache_fetch(c, t.key, dest.data, &got, &st, NULL, &err) != 0;
			if (!bad && st == LCACHE_HIT) {
				buf_addpath(&dest, got.digest + 7);
				bad |= digest_file_hex(DIGEST_SHA256, dest.data, hex, &err) != 0;
				bad |= strcmp(hex, d.digest + 7) != 0 ||
				       strcmp(got.digest, d.digest) != 0;
			}
			bad |= st == LCACHE_EVICTED;
		}
		_exit(bad);
	}
	for (int k = 0; k < N; k++) {
		int status = 0;
		wait(&status);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	layer_desc_t got;
	assert_int_equal(fetch(&t, &got, NULL), LCACHE_HIT);
	cachefix_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_ignores_package_order),
		cmocka_unit_test(test_key_changes_with_every_byte_input),
		cmocka_unit_test(test_key_default_level_equals_explicit_default),
		cmocka_unit_test(test_key_python_version_only_for_noarch_python),
		cmocka_unit_test(test_key_file_channel_location_is_irrelevant),
		cmocka_unit_test(test_key_without_archive_digest_is_an_error_naming_the_package),
		cmocka_unit_test(test_store_then_fetch_hits_and_links_the_blob),
		cmocka_unit_test(test_unknown_key_is_a_miss),
		cmocka_unit_test(test_truncated_blob_is_evicted_not_served),
		cmocka_unit_test(test_corrupt_blob_of_the_right_size_is_evicted_not_served),
		cmocka_unit_test(test_missing_blob_is_evicted),
		cmocka_unit_test(test_unstamped_blob_is_rehashed_and_served_when_good),
		cmocka_unit_test(test_empty_stamp_is_rehashed_not_a_crash),
		cmocka_unit_test(test_malformed_entry_is_a_miss),
		cmocka_unit_test(test_temporaries_of_dead_processes_are_swept),
		cmocka_unit_test(test_concurrent_processes_share_one_cache_safely),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
