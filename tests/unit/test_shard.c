/* test_shard.c — CEP-16 sharded repodata (conda/shard.c, channel_fetch_for_specs): the real
 * sample from conda's test data (../shared/corpus/repodata/sharded-sample, laid out as a
 * channel in a temp dir) served over loopback HTTP (a small Python server that logs each
 * request, so shard fetches can be counted) and over file://; hand-made MessagePack for the
 * reader's edge cases. Skips when the corpus is absent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

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
#include "shard.h"
#include "solve.h"
#include "testutil.h"

#define ZLIB_SHARD "56a0c19b47ba1a2d0f1390eda489b1c49a00d35814571057e6d81e0c93dfd157"
#define LIBGCC_SHARD "2dcdacf7009b4f1c21f452c5079384340257e0e1cbecb8ec484984d1fa85b115"

struct fixture {
	buf_t sample; /* the corpus directory */
	buf_t root;   /* temp dir */
	buf_t www;    /* <root>/www: served; holds the channels "good", "bad", "plain" */
	buf_t cache;
	buf_t log;
	pid_t server;
	int port;
};

static struct fixture *F;

static void copy(const char *from_name, const char *to_rel)
{
	buf_t src = BUF_INIT, dst = BUF_INIT, dir = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&src, "%s/%s", F->sample.data, from_name);
	buf_addf(&dst, "%s/%s", F->www.data, to_rel);
	buf_add(&dir, dst.data, (size_t)(strrchr(dst.data, '/') - dst.data));
	assert_int_equal(fs_mkdir_p(dir.data, &err), 0);
	if (fs_copy_file(src.data, dst.data, &err) != 0)
		fail_msg("%s", err_msg(&err));
	buf_free(&src);
	buf_free(&dst);
	buf_free(&dir);
}

static void write_text(const char *rel, const char *text)
{
	char *p = testutil_join(F->www.data, rel);
	testutil_write_text(p, text);
	free(p);
}

/* The sample as a channel: <chan>/linux-64/{repodata_shards.msgpack.zst, <sha>.msgpack.zst},
 * <chan>/noarch/repodata.json (the sample's noarch has no shard index). */
static void lay_out_channel(const char *chan)
{
	buf_t rel = BUF_INIT;
	buf_addf(&rel, "%s/linux-64/repodata_shards.msgpack.zst", chan);
	copy("linux-64_repodata_shards.msgpack.zst", rel.data);
	buf_setstr(&rel, "");
	buf_addf(&rel, "%s/linux-64/" ZLIB_SHARD ".msgpack.zst", chan);
	copy("linux-64_" ZLIB_SHARD ".msgpack.zst", rel.data);
	buf_setstr(&rel, "");
	buf_addf(&rel, "%s/linux-64/" LIBGCC_SHARD ".msgpack.zst", chan);
	copy("linux-64_" LIBGCC_SHARD ".msgpack.zst", rel.data);
	buf_setstr(&rel, "");
	buf_addf(&rel, "%s/noarch/repodata.json", chan);
	copy("noarch_repodata.json", rel.data);
	buf_free(&rel);
}

static int group_setup(void **state)
{
	(void)state;
	const char *shared = getenv("IMGBUILD_SHARED");
	F = calloc(1, sizeof *F);
	err_t err = ERR_INIT;
	buf_addf(&F->sample, "%s/corpus/repodata/sharded-sample", shared ? shared : "../shared");
	if (!fs_is_dir(F->sample.data))
		return 0; /* each test skips */
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	if (fs_mkdtemp(tmp, "test_shard.", &F->root, &err) != 0)
		return -1;
	buf_addf(&F->www, "%s/www", F->root.data);
	buf_addf(&F->cache, "%s/cache", F->root.data);
	return testutil_serve_dir(F->www.data, F->root.data, &F->log, &F->server, &F->port);
}

static int group_teardown(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	testutil_serve_stop(F->server);
	if (F->root.len)
		fs_rm_rf(F->root.data, &err);
	buf_free(&F->sample);
	buf_free(&F->root);
	buf_free(&F->www);
	buf_free(&F->cache);
	buf_free(&F->log);
	free(F);
	return 0;
}

/* Fresh channel, cache and request log per test. */
static int test_setup(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	if (!F->root.len)
		return 0;
	fs_rm_rf(F->cache.data, &err);
	fs_rm_rf(F->www.data, &err);
	unlink(F->log.data);
	lay_out_channel("good");
	return 0;
}

#define SKIP_WITHOUT_CORPUS()                                                                      \
	do {                                                                                       \
		if (!F->root.len)                                                                  \
			skip();                                                                    \
	} while (0)

/* Requests the server saw whose path contains needle. */
static int requests(const char *needle)
{
	buf_t text = BUF_INIT;
	int n = 0;
	if (buf_read_file(&text, F->log.data, 1 << 20, NULL) == 0)
		for (const char *p = text.data; (p = strstr(p, needle)) != NULL; p++)
			n++;
	buf_free(&text);
	return n;
}

static void http_chan(const char *chan, buf_t *out)
{
	buf_reset(out);
	buf_addf(out, "http://127.0.0.1:%d/%s", F->port, chan);
}

/* Fetches linux-64 + noarch of base for specs; returns the linux-64 repodata (caller decrefs). */
static json_t *fetch_linux(const char *base, const char *const *specs, size_t n_specs,
			   channel_subdir_t sd[2])
{
	err_t err = ERR_INIT;
	memset(sd, 0, 2 * sizeof *sd);
	sd[0].base_url = base;
	sd[0].subdir = "linux-64";
	sd[0].flags = CHANNEL_MISSING_OK;
	sd[1].base_url = base;
	sd[1].subdir = "noarch";
	if (channel_fetch_for_specs(NULL, sd, 2, F->cache.data, specs, n_specs, &err) != 0)
		fail_msg("%s", err_msg(&err));
	json_t *root = json_load_file(sd[0].path.data, 0, NULL);
	assert_non_null(root);
	return root;
}

static void free_sd(channel_subdir_t sd[2])
{
	channel_subdir_clear(&sd[0]);
	channel_subdir_clear(&sd[1]);
}

/* ---- MessagePack reader ---- */

static void test_msgpack_bin_becomes_lowercase_hex(void **state)
{
	(void)state;
	/* {"sha256": bin8 of 4 bytes, "n": -3, "ok": true, "v": nil} */
	const unsigned char mp[] = {0x84, 0xa6, 's',  'h',  'a',  '2',  '5',  '6',
				    0xc4, 4,    0xde, 0xad, 0xbe, 0xef, 0xa1, 'n',
				    0xfd, 0xa2, 'o',  'k',  0xc3, 0xa1, 'v',  0xc0};
	err_t err = ERR_INIT;
	json_t *v = shard_msgpack_to_json(mp, sizeof mp, &err);
	if (!v)
		fail_msg("%s", err_msg(&err));
	assert_string_equal(json_string_value(json_object_get(v, "sha256")), "deadbeef");
	assert_int_equal(json_integer_value(json_object_get(v, "n")), -3);
	assert_true(json_is_true(json_object_get(v, "ok")));
	assert_true(json_is_null(json_object_get(v, "v")));
	json_decref(v);
}

static void test_msgpack_wide_integers_and_strings(void **state)
{
	(void)state;
	/* [uint64 1534516107109, int16 -300, str8 "abc", float64 0.5] */
	const unsigned char mp[] = {0x94, 0xcf, 0,    0,    0x01, 0x65, 0x48, 0x49, 0x97,
				    0x65, 0xd1, 0xfe, 0xd4, 0xd9, 3,    'a',  'b',  'c',
				    0xcb, 0x3f, 0xe0, 0,    0,    0,    0,    0,    0};
	err_t err = ERR_INIT;
	json_t *v = shard_msgpack_to_json(mp, sizeof mp, &err);
	if (!v)
		fail_msg("%s", err_msg(&err));
	assert_true(json_integer_value(json_array_get(v, 0)) == 1534516107109LL);
	assert_int_equal(json_integer_value(json_array_get(v, 1)), -300);
	assert_string_equal(json_string_value(json_array_get(v, 2)), "abc");
	assert_true(json_real_value(json_array_get(v, 3)) == 0.5);
	json_decref(v);
}

static void expect_msgpack_error(const unsigned char *mp, size_t len, const char *needle)
{
	err_t err = ERR_INIT;
	json_t *v = shard_msgpack_to_json(mp, len, &err);
	assert_null(v);
	if (!strstr(err_msg(&err), needle))
		fail_msg("error '%s' lacks '%s'", err_msg(&err), needle);
	err_clear(&err);
}

/* A header may claim 4 billion elements in 5 bytes: refused before any allocation. */
static void test_msgpack_counts_beyond_the_data_are_refused(void **state)
{
	(void)state;
	const unsigned char arr[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0};
	const unsigned char map[] = {0xdf, 0x10, 0, 0, 0, 0xa1, 'k'};
	const unsigned char str[] = {0xdb, 0x7f, 0xff, 0xff, 0xff, 'x'};
	const unsigned char bin[] = {0xc6, 0, 0, 1, 0, 1, 2};
	expect_msgpack_error(arr, sizeof arr, "claims 4294967295 elements");
	expect_msgpack_error(map, sizeof map, "claims 268435456 entries");
	expect_msgpack_error(str, sizeof str, "runs past the end");
	expect_msgpack_error(bin, sizeof bin, "runs past the end");
}

static void test_msgpack_truncated_nested_and_trailing_are_errors(void **state)
{
	(void)state;
	unsigned char deep[40];
	memset(deep, 0x91, sizeof deep); /* [[[[...]]]] 40 deep */
	const unsigned char trunc[] = {0xcd, 0x01};
	const unsigned char trailing[] = {0xc0, 0xc0};
	const unsigned char intkey[] = {0x81, 0x01, 0x02};
	const unsigned char ext[] = {0xd4, 0x01, 0x02};
	expect_msgpack_error(deep, sizeof deep, "deeper than");
	expect_msgpack_error(trunc, sizeof trunc, "truncated");
	expect_msgpack_error(trailing, sizeof trailing, "trailing");
	expect_msgpack_error(intkey, sizeof intkey, "key is not a string");
	expect_msgpack_error(ext, sizeof ext, "unsupported MessagePack type 0xd4");
}

/* A shard whose record repeats a key (or whose keys differ only after a NUL) would be read one
 * way here and another by whoever takes the other value: refused, as in repodata.json. */
static void test_msgpack_duplicate_and_nul_keys_are_refused(void **state)
{
	(void)state;
	const unsigned char dup[] = {0x82, 0xa1, 'v', 0x01, 0xa1, 'v', 0x02};
	const unsigned char nul[] = {0x82, 0xa3, 'a', 0, 'x', 0x01, 0xa3, 'a', 0, 'y', 0x02};
	expect_msgpack_error(dup, sizeof dup, "duplicate MessagePack map key 'v'");
	expect_msgpack_error(nul, sizeof nul, "key with a NUL byte");
}

/* A NaN float made the reader fail without saying why ("unknown error"). */
static void test_msgpack_nan_float_says_why(void **state)
{
	(void)state;
	const unsigned char nan[] = {0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
	expect_msgpack_error(nan, sizeof nan, "not a finite number");
}

/* ---- the index ---- */

static void test_index_of_the_real_sample_names_both_shards(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t path = BUF_INIT, data = BUF_INIT, url = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&path, "%s/linux-64_repodata_shards.msgpack.zst", F->sample.data);
	assert_int_equal(buf_read_file(&data, path.data, 1 << 20, &err), 0);
	shard_index_t *idx = shard_index_parse(
		data.data, data.len,
		"https://example.org/chan/linux-64/repodata_shards.msgpack.zst", &err);
	if (!idx)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(shard_index_count(idx), 2);
	assert_string_equal(shard_index_name(idx, 0), "libgcc-ng");
	assert_string_equal(shard_index_name(idx, 1), "zlib");
	assert_string_equal(shard_index_hash(idx, "zlib"), ZLIB_SHARD);
	assert_null(shard_index_hash(idx, "python"));
	/* an empty shards_base_url means "beside the index" */
	shard_index_shard_url(idx, ZLIB_SHARD, &url);
	assert_string_equal(url.data,
			    "https://example.org/chan/linux-64/" ZLIB_SHARD ".msgpack.zst");
	shard_index_free(idx);
	buf_free(&path);
	buf_free(&data);
	buf_free(&url);
}

static void test_index_that_is_not_zstd_names_the_url(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	assert_null(shard_index_parse("hello", 5, "https://x/linux-64/repodata_shards.msgpack.zst",
				      &err));
	assert_non_null(strstr(err_msg(&err), "https://x/linux-64/repodata_shards.msgpack.zst"));
	assert_non_null(strstr(err_msg(&err), "zstd"));
	err_clear(&err);
}

/* ---- the closure ---- */

static void test_closure_fetches_only_the_requested_names_shard(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t base = BUF_INIT;
	channel_subdir_t sd[2];
	const char *specs[] = {"libgcc-ng >=7"};
	http_chan("good", &base);
	json_t *rd = fetch_linux(base.data, specs, 1, sd);
	assert_int_equal(sd[0].is_sharded, 1);
	assert_int_equal(sd[0].n_shards, 1);
	assert_int_equal(sd[0].n_downloaded, 1);
	assert_int_equal(requests(LIBGCC_SHARD), 1);
	assert_int_equal(requests(ZLIB_SHARD), 0);
	assert_int_equal(json_object_size(json_object_get(rd, "packages")), 1);
	assert_non_null(json_object_get(json_object_get(rd, "packages"),
					"libgcc-ng-8.2.0-hdf63c60_1.tar.bz2"));
	/* noarch has no shard index: the plain repodata.json (after probing for shards) */
	assert_int_equal(sd[1].is_sharded, 0);
	assert_int_equal(requests("/good/noarch/repodata_shards.msgpack.zst 404"), 1);
	json_decref(rd);
	free_sd(sd);
	buf_free(&base);
}

static void test_closure_follows_dependencies_into_other_shards(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t base = BUF_INIT, plain = BUF_INIT;
	channel_subdir_t sd[2];
	const char *specs[] = {"zlib"};
	err_t err = ERR_INIT;
	http_chan("good", &base);
	json_t *rd = fetch_linux(base.data, specs, 1, sd);
	assert_int_equal(sd[0].n_shards, 2);
	assert_int_equal(requests(LIBGCC_SHARD), 1);
	assert_int_equal(requests(ZLIB_SHARD), 1);
	/* the records equal the channel's own repodata.json, field for field */
	buf_addf(&plain, "%s/linux-64_repodata.json", F->sample.data);
	json_t *want = json_load_file(plain.data, 0, NULL);
	assert_non_null(want);
	assert_true(json_equal(json_object_get(rd, "packages"), json_object_get(want, "packages")));
	assert_true(json_equal(json_object_get(rd, "packages.conda"),
			       json_object_get(want, "packages.conda")));
	(void)err;
	json_decref(want);
	json_decref(rd);
	free_sd(sd);
	buf_free(&base);
	buf_free(&plain);
}

static void test_second_fetch_takes_shards_from_the_cache(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t base = BUF_INIT, p = BUF_INIT;
	channel_subdir_t sd[2];
	const char *specs[] = {"zlib"};
	http_chan("good", &base);
	json_decref(fetch_linux(base.data, specs, 1, sd));
	free_sd(sd);
	buf_addf(&p, "%s/shards/" ZLIB_SHARD, F->cache.data);
	assert_true(fs_exists(p.data));
	json_decref(fetch_linux(base.data, specs, 1, sd));
	assert_int_equal(sd[0].n_shards, 2);
	assert_int_equal(sd[0].n_downloaded, 0);
	assert_int_equal(requests(ZLIB_SHARD), 1);
	/* the index was revalidated, not downloaded again */
	assert_int_equal(requests("/good/linux-64/repodata_shards.msgpack.zst 304"), 1);
	free_sd(sd);
	buf_free(&base);
	buf_free(&p);
}

static void test_offline_uses_cached_index_and_shards(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t base = BUF_INIT;
	channel_subdir_t sd[2];
	const char *specs[] = {"zlib"};
	err_t err = ERR_INIT;
	http_chan("good", &base);
	json_decref(fetch_linux(base.data, specs, 1, sd));
	free_sd(sd);
	unlink(F->log.data);
	memset(sd, 0, sizeof sd);
	sd[0].base_url = sd[1].base_url = base.data;
	sd[0].subdir = "linux-64";
	sd[1].subdir = "noarch";
	sd[0].flags = sd[1].flags = CHANNEL_OFFLINE;
	if (channel_fetch_for_specs(NULL, sd, 2, F->cache.data, specs, 1, &err) != 0)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(sd[0].n_shards, 2);
	assert_false(fs_exists(F->log.data)); /* no request at all */
	free_sd(sd);
	buf_free(&base);
}

static void test_file_channel_works_the_same(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t base = BUF_INIT;
	channel_subdir_t sd[2];
	const char *specs[] = {"zlib=1.2"};
	buf_addf(&base, "file://%s/good", F->www.data);
	json_t *rd = fetch_linux(base.data, specs, 1, sd);
	assert_int_equal(sd[0].is_sharded, 1);
	assert_int_equal(sd[0].n_shards, 2);
	assert_int_equal(json_object_size(json_object_get(rd, "packages.conda")), 1);
	json_decref(rd);
	free_sd(sd);
	buf_free(&base);
}

static void expect_fetch_error(const char *const *specs, const char *needle1, const char *needle2)
{
	buf_t base = BUF_INIT;
	channel_subdir_t sd[2];
	err_t err = ERR_INIT;
	http_chan("good", &base);
	memset(sd, 0, sizeof sd);
	sd[0].base_url = sd[1].base_url = base.data;
	sd[0].subdir = "linux-64";
	sd[1].subdir = "noarch";
	assert_int_equal(channel_fetch_for_specs(NULL, sd, 2, F->cache.data, specs, 1, &err), -1);
	if (!strstr(err_msg(&err), needle1) || !strstr(err_msg(&err), needle2))
		fail_msg("error '%s' lacks '%s' or '%s'", err_msg(&err), needle1, needle2);
	err_clear(&err);
	free_sd(sd);
	buf_free(&base);
}

static void test_shard_hash_mismatch_names_the_shard_url_and_caches_nothing(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t url = BUF_INIT, p = BUF_INIT;
	const char *specs[] = {"zlib"};
	/* a shard whose bytes are not the ones the index hashes (here: the other shard's) */
	copy("linux-64_" LIBGCC_SHARD ".msgpack.zst", "good/linux-64/" ZLIB_SHARD ".msgpack.zst");
	buf_addf(&url, "http://127.0.0.1:%d/good/linux-64/" ZLIB_SHARD ".msgpack.zst", F->port);
	expect_fetch_error(specs, url.data, "but the index says " ZLIB_SHARD);
	buf_addf(&p, "%s/shards/" ZLIB_SHARD, F->cache.data);
	assert_false(fs_exists(p.data));
	buf_free(&url);
	buf_free(&p);
}

static void test_missing_shard_names_the_shard_url(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t url = BUF_INIT, p = BUF_INIT;
	const char *specs[] = {"zlib"};
	buf_addf(&p, "%s/good/linux-64/" LIBGCC_SHARD ".msgpack.zst", F->www.data);
	unlink(p.data);
	buf_addf(&url, "http://127.0.0.1:%d/good/linux-64/" LIBGCC_SHARD ".msgpack.zst", F->port);
	expect_fetch_error(specs, url.data, "shard of 'libgcc-ng' is missing");
	buf_free(&url);
	buf_free(&p);
}

/* A channel without shards (listed first) whose package needs a name only the sharded channel
 * has: the closure crosses channels. */
static void test_closure_crosses_from_a_plain_channel_into_a_sharded_one(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t plain = BUF_INIT, sharded = BUF_INIT;
	channel_subdir_t sd[4];
	const char *specs[] = {"app"};
	err_t err = ERR_INIT;
	write_text("plain/linux-64/repodata.json",
		   "{\"info\": {\"subdir\": \"linux-64\"}, \"packages\": {}, \"packages.conda\": {"
		   "\"app-1-0.conda\": {\"name\": \"app\", \"version\": \"1\", \"build\": \"0\", "
		   "\"build_number\": 0, \"depends\": [\"zlib >=1.2\"]}}}");
	write_text("plain/noarch/repodata.json", "{\"packages\": {}}");
	http_chan("plain", &plain);
	http_chan("good", &sharded);
	memset(sd, 0, sizeof sd);
	const char *subdirs[] = {"linux-64", "noarch"};
	for (int i = 0; i < 4; i++) {
		sd[i].base_url = i < 2 ? plain.data : sharded.data;
		sd[i].subdir = subdirs[i % 2];
	}
	if (channel_fetch_for_specs(NULL, sd, 4, F->cache.data, specs, 1, &err) != 0)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(sd[0].is_sharded, 0);
	assert_int_equal(sd[2].is_sharded, 1);
	assert_int_equal(sd[2].n_shards, 2); /* zlib, then libgcc-ng */
	for (int i = 0; i < 4; i++)
		channel_subdir_clear(&sd[i]);
	buf_free(&plain);
	buf_free(&sharded);
}

/* A document the fetch validated goes to the solver with its sha256, so a cold solve reads it
 * once (issue 14 #2); the next fetch of the unchanged file scans nothing. The solve with the
 * handed-over scan picks what a solve that scans by itself picks. */
static void test_fetch_hands_its_scan_to_the_solver(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t base = BUF_INIT;
	channel_subdir_t sd[2];
	const char *specs[] = {"app"};
	char sha[DIGEST_HEX_MAX];
	err_t err = ERR_INIT;
	write_text("handoff/linux-64/repodata.json",
		   "{\"info\": {\"subdir\": \"linux-64\"}, \"packages\": {}, \"packages.conda\": {"
		   "\"app-1-0.conda\": {\"name\": \"app\", \"version\": \"1\", \"build\": \"0\", "
		   "\"build_number\": 0, \"depends\": [\"lib >=2\"]},"
		   "\"lib-2-0.conda\": {\"name\": \"lib\", \"version\": \"2\", \"build\": \"0\", "
		   "\"build_number\": 0, \"depends\": []}}}");
	write_text("handoff/noarch/repodata.json", "{\"packages\": {}}");
	buf_addf(&base, "file://%s/handoff", F->www.data);
	for (int round = 0; round < 2; round++) {
		memset(sd, 0, sizeof sd);
		sd[0].base_url = sd[1].base_url = base.data;
		sd[0].subdir = "linux-64";
		sd[1].subdir = "noarch";
		if (channel_fetch_for_specs(NULL, sd, 2, F->cache.data, specs, 1, &err) != 0)
			fail_msg("%s", err_msg(&err));
		if (round == 1) { /* unchanged: neither copied nor scanned again */
			assert_null(sd[0].names);
			assert_string_equal(sd[0].sha, "");
			channel_subdir_clear(&sd[0]);
			channel_subdir_clear(&sd[1]);
			break;
		}
		assert_non_null(sd[0].names);
		assert_non_null(sd[1].names);
		assert_int_equal(digest_file_hex(DIGEST_SHA256, sd[0].path.data, sha, &err), 0);
		assert_string_equal(sd[0].sha, sha);
		solver_t *s = solve_new(&err);
		assert_non_null(s);
		solve_set_cache_dir(s, F->cache.data);
		for (int i = 0; i < 2; i++) {
			struct nameidx *names = sd[i].names;
			sd[i].names = NULL; /* taken over */
			if (solve_add_repodata_scanned(s, "handoff", base.data, sd[i].subdir,
						       sd[i].path.data, 0, names, sd[i].sha, &err))
				fail_msg("%s", err_msg(&err));
		}
		solution_t *sol = solve_run(s, specs, 1, &err);
		if (!sol)
			fail_msg("%s", err_msg(&err));
		assert_int_equal(solution_count(sol), 2);
		assert_string_equal(solution_find(sol, "lib")->version, "2");
		solution_free(sol);
		solve_free(s);
		channel_subdir_clear(&sd[0]);
		channel_subdir_clear(&sd[1]);
	}
	buf_free(&base);
}

/* The assembled repodata solves like the channel's own: same choice, same URL and hashes. */
static void test_solve_from_shards_gives_the_channels_records(void **state)
{
	(void)state;
	SKIP_WITHOUT_CORPUS();
	buf_t base = BUF_INIT;
	channel_subdir_t sd[2];
	const char *specs[] = {"zlib"};
	err_t err = ERR_INIT;
	http_chan("good", &base);
	json_decref(fetch_linux(base.data, specs, 1, sd));
	solver_t *s = solve_new(&err);
	assert_non_null(s);
	for (int i = 0; i < 2; i++)
		if (solve_add_repodata(s, "good", base.data, sd[i].subdir, sd[i].path.data, 0,
				       &err) != 0)
			fail_msg("%s", err_msg(&err));
	solution_t *sol = solve_run(s, specs, 1, &err);
	if (!sol)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(solution_count(sol), 2);
	const pkgrec_t *z = solution_find(sol, "zlib");
	assert_non_null(z);
	assert_string_equal(z->fn, "zlib-1.2.11-h7b6447c_3.conda");
	assert_string_equal(z->sha256,
			    "f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b");
	buf_t want = BUF_INIT;
	buf_addf(&want, "%s/linux-64/zlib-1.2.11-h7b6447c_3.conda", base.data);
	assert_string_equal(z->url, want.data);
	assert_non_null(solution_find(sol, "libgcc-ng"));
	solution_free(sol);
	solve_free(s);
	free_sd(sd);
	buf_free(&base);
	buf_free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msgpack_bin_becomes_lowercase_hex),
		cmocka_unit_test(test_msgpack_wide_integers_and_strings),
		cmocka_unit_test(test_msgpack_counts_beyond_the_data_are_refused),
		cmocka_unit_test(test_msgpack_truncated_nested_and_trailing_are_errors),
		cmocka_unit_test(test_msgpack_duplicate_and_nul_keys_are_refused),
		cmocka_unit_test(test_msgpack_nan_float_says_why),
		cmocka_unit_test(test_index_of_the_real_sample_names_both_shards),
		cmocka_unit_test(test_index_that_is_not_zstd_names_the_url),
		cmocka_unit_test_setup(test_closure_fetches_only_the_requested_names_shard,
				       test_setup),
		cmocka_unit_test_setup(test_closure_follows_dependencies_into_other_shards,
				       test_setup),
		cmocka_unit_test_setup(test_second_fetch_takes_shards_from_the_cache, test_setup),
		cmocka_unit_test_setup(test_offline_uses_cached_index_and_shards, test_setup),
		cmocka_unit_test_setup(test_file_channel_works_the_same, test_setup),
		cmocka_unit_test_setup(
			test_shard_hash_mismatch_names_the_shard_url_and_caches_nothing,
			test_setup),
		cmocka_unit_test_setup(test_missing_shard_names_the_shard_url, test_setup),
		cmocka_unit_test_setup(test_closure_crosses_from_a_plain_channel_into_a_sharded_one,
				       test_setup),
		cmocka_unit_test_setup(test_fetch_hands_its_scan_to_the_solver, test_setup),
		cmocka_unit_test_setup(test_solve_from_shards_gives_the_channels_records,
				       test_setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
