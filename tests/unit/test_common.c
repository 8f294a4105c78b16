/* test_common.c — the shared bottom layer: buffers, errors, path safety, atomic writes, the
 * thread pool's deterministic error choice. */
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "channel.h"
#include "digest.h"
#include "err.h"
#include "fsutil.h"
#include "scratch.h"
#include "workpool.h"

static void test_buf_grows_and_formats(void **state)
{
	(void)state;
	buf_t b = BUF_INIT;
	assert_string_equal(buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.data));
	assert_true(strncmp(b.data, "0,1,2,", 6) == 0);
	buf_truncate(&b, 2);
	assert_string_equal(b.data, "0,");
	buf_free(&b);
}

static void test_buf_addpath_joins_with_one_slash(void **state)
{
	(void)state;
	buf_t b = BUF_INIT;
	buf_addstr(&b, "file:///a/");
	buf_addpath(&b, "/noarch");
	buf_addpath(&b, "repodata.json");
	assert_string_equal(b.data, "file:///a/noarch/repodata.json");
	buf_free(&b);
}

static void test_err_prefix_keeps_the_cause(void **state)
{
	(void)state;
	err_t e = ERR_INIT;
	assert_int_equal(err_set(&e, "%s: bad", "x.yml"), -1);
	err_prefix(&e, "loading %s", "env");
	assert_string_equal(err_msg(&e), "loading env: x.yml: bad");
	err_clear(&e);
	assert_string_equal(err_msg(&e), "");
}

/* A channel URL with a CRLF (or an escape sequence from a registry) is quoted in messages:
 * the terminal never sees it raw. Newlines stay for the solver's multi-line explanations. */
static void test_crlf_and_escapes_in_a_message_are_not_echoed_raw(void **state)
{
	(void)state;
	err_t e = ERR_INIT;
	buf_t url = BUF_INIT;
	assert_int_equal(channel_resolve("ftp://evil\r\n\x1b[2Jimgbuild: ok", NULL, &url, &e), -1);
	buf_free(&url);
	assert_null(strchr(err_msg(&e), '\r'));
	assert_null(strchr(err_msg(&e), '\x1b'));
	assert_non_null(strstr(err_msg(&e), "ftp://evil\\x0d\n\\x1b[2J"));
	err_prefix(&e, "in %s", "a\rb");
	assert_non_null(strstr(err_msg(&e), "in a\\x0db: "));
	err_clear(&e);
}

static void test_path_safety_table(void **state)
{
	(void)state;
	const char *ok[] = {"a",     "a/b",  "lib/python3.11/site-packages/x.py", "a/b/", "..a",
			    "a/..b", "a/./b"};
	const char *bad[] = {"", "/etc/passwd", "..", "../x", "a/../../x", "a/..", "a//b"};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		assert_true(fs_path_is_safe_relative(ok[i]));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (fs_path_is_safe_relative(bad[i]))
			fail_msg("accepted unsafe path '%s'", bad[i]);
	}
	assert_false(fs_path_is_safe_relative(NULL));
}

static void test_path_normalize(void **state)
{
	(void)state;
	buf_t b = BUF_INIT;
	assert_int_equal(fs_path_normalize("a/./b//c/", &b), 0);
	assert_string_equal(b.data, "a/b/c");
	assert_int_equal(fs_path_normalize("a/../b", &b), -1);
	assert_int_equal(fs_path_normalize("/a", &b), -1);
	buf_free(&b);
}

static void test_atomic_write_replaces_whole_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/imgbuild-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	buf_t p = BUF_INIT, got = BUF_INIT;
	err_t e = ERR_INIT;
	buf_addstr(&p, dir);
	buf_addpath(&p, "f");
	assert_int_equal(fs_write_atomic(p.data, "first", 5, &e), 0);
	assert_int_equal(fs_write_atomic(p.data, "2nd", 3, &e), 0);
	assert_int_equal(buf_read_file(&got, p.data, 100, &e), 0);
	assert_string_equal(got.data, "2nd");
	buf_reset(&got);
	assert_int_equal(buf_read_file(&got, p.data, 2, &e), -1);
	assert_non_null(strstr(err_msg(&e), "limit"));
	assert_int_equal(fs_rm_rf(dir, &e), 0);
	assert_false(fs_exists(dir));
	buf_free(&p);
	buf_free(&got);
	err_clear(&e);
}

struct atomic_writer {
	const char *path;
	char byte;
	int failures;
};

static void *write_many(void *arg)
{
	struct atomic_writer *w = arg;
	char text[4096];
	memset(text, w->byte, sizeof text);
	for (int i = 0; i < 200; i++) {
		err_t e = ERR_INIT;
		if (fs_write_atomic(w->path, text, sizeof text, &e) != 0)
			w->failures++;
		err_clear(&e);
	}
	return NULL;
}

/* Two threads of one process replacing one file (parallel layers writing one cache entry):
 * every write succeeds, the file is always one writer's whole text, nothing is left
 * beside it. */
static void test_atomic_write_from_two_threads(void **state)
{
	(void)state;
	char dir[] = "/tmp/imgbuild-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	buf_t p = BUF_INIT, got = BUF_INIT;
	err_t e = ERR_INIT;
	buf_addstr(&p, dir);
	buf_addpath(&p, "entry.json");
	struct atomic_writer w[2] = {{p.data, 'a', 0}, {p.data, 'b', 0}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w[0].failures + w[1].failures, 0);
	assert_int_equal(buf_read_file(&got, p.data, 8192, &e), 0);
	assert_int_equal(got.len, 4096);
	for (size_t i = 1; i < got.len; i++)
		assert_int_equal(got.data[i], got.data[0]);
	DIR *d = opendir(dir);
	struct dirent *de;
	int entries = 0;
	while ((de = readdir(d)) != NULL)
		entries += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(entries, 1);
	assert_int_equal(fs_rm_rf(dir, &e), 0);
	buf_free(&p);
	buf_free(&got);
	err_clear(&e);
}

static void test_sha256_known_vector(void **state)
{
	(void)state;
	char hex[DIGEST_HEX_MAX];
	digest_buf_hex(DIGEST_SHA256, "abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	digest_buf_hex(DIGEST_MD5, "abc", 3, hex);
	assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
}

static int fail_on_odd(void *ctx, size_t i, err_t *err)
{
	int *ran = ctx;
	__atomic_add_fetch(ran, 1, __ATOMIC_SEQ_CST);
	if (i % 2 == 1 && i >= 5) {
		err_set(err, "job %zu failed", i);
		return err_set_hint(err, ERR_HINT_SHORTER_PREFIX);
	}
	return 0;
}

/* Only "sha256:" + 64 lower-case hex names a blob file; everything else is refused. */
static void test_oci_digest_hex_part_is_strict(void **state)
{
	(void)state;
	const char *hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	char d[DIGEST_OCI_MAX];
	digest_oci_from_hex(hex, d);
	assert_string_equal(
		d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_ptr_equal(digest_oci_hex(d), d + 7);
	const char *bad[] = {
		NULL,
		"",
		"sha256:",
		"sha512:e3b0",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
		"sha256:../../../etc/passwd/c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_null(digest_oci_hex(bad[i]));
}

static void test_workpool_reports_lowest_failing_job(void **state)
{
	(void)state;
	for (int threads = 1; threads <= 4; threads++) {
		int ran = 0;
		err_t e = ERR_INIT;
		assert_int_equal(workpool_run(20, threads, fail_on_odd, &ran, &e), -1);
		assert_string_equal(err_msg(&e), "job 5 failed");
		assert_int_equal(e.hint, ERR_HINT_SHORTER_PREFIX); /* the CLI's hint survives */
		assert_true(ran >= 6);
		err_clear(&e);
	}
}

/* A diamond and a chain: 0 -> {1, 2} -> 3, and 4 -> 5 with 6 free. Each job notes when it
 * starts and ends (one clock for all), so every prerequisite must have ended before its
 * dependent started, whatever the thread count. */
typedef struct after_log {
	pthread_mutex_t lock;
	int clock;
	int start[7], end[7];
	int fail_job; /* -1: none */
} after_log_t;

static int note_job(void *ctx, size_t i, err_t *err)
{
	after_log_t *l = ctx;
	pthread_mutex_lock(&l->lock);
	l->start[i] = ++l->clock;
	pthread_mutex_unlock(&l->lock);
	usleep(2000 * (unsigned)(7 - i)); /* early jobs run longest: the order must not matter */
	pthread_mutex_lock(&l->lock);
	l->end[i] = ++l->clock;
	pthread_mutex_unlock(&l->lock);
	return (int)i == l->fail_job ? err_set(err, "job %zu failed", i) : 0;
}

static const size_t after0[] = {0}, after12[] = {1, 2}, after4[] = {4};
static const size_t *const diamond_after[7] = {NULL, after0, after0, after12, NULL, after4, NULL};
static const size_t diamond_n_after[7] = {0, 1, 1, 2, 0, 1, 0};

static void test_workpool_after_waits_for_prerequisites(void **state)
{
	(void)state;
	for (int threads = 1; threads <= 4; threads++) {
		after_log_t l = {.fail_job = -1};
		err_t e = ERR_INIT;
		pthread_mutex_init(&l.lock, NULL);
		assert_int_equal(workpool_run_after(7, threads, diamond_n_after, diamond_after,
						    note_job, &l, &e),
				 0);
		for (size_t i = 0; i < 7; i++) {
			assert_true(l.end[i] > l.start[i] && l.start[i] > 0);
			for (size_t k = 0; k < diamond_n_after[i]; k++)
				assert_true(l.start[i] > l.end[diamond_after[i][k]]);
		}
		if (threads == 1) { /* lowest ready index first: 0 1 2 3 4 5 6 */
			for (size_t i = 1; i < 7; i++)
				assert_true(l.start[i] > l.end[i - 1]);
		}
		pthread_mutex_destroy(&l.lock);
	}
}

static void test_workpool_after_stops_dependents_of_a_failure(void **state)
{
	(void)state;
	for (int threads = 1; threads <= 4; threads++) {
		after_log_t l = {.fail_job = 1};
		err_t e = ERR_INIT;
		pthread_mutex_init(&l.lock, NULL);
		assert_int_equal(workpool_run_after(7, threads, diamond_n_after, diamond_after,
						    note_job, &l, &e),
				 -1);
		assert_string_equal(err_msg(&e), "job 1 failed");
		assert_int_equal(l.start[3], 0); /* waited for job 1: never started */
		err_clear(&e);
		pthread_mutex_destroy(&l.lock);
	}
}

static void test_workpool_after_refuses_cycles_and_bad_indexes(void **state)
{
	(void)state;
	static const size_t a1[] = {1}, a2[] = {2}, a0[] = {0}, a9[] = {9};
	const size_t *const cycle[3] = {a1, a2, a0}, *const bad[3] = {NULL, a9, NULL};
	const size_t n_cycle[3] = {1, 1, 1}, n_bad[3] = {0, 1, 0};
	after_log_t l = {.fail_job = -1};
	err_t e = ERR_INIT;
	pthread_mutex_init(&l.lock, NULL);
	assert_int_equal(workpool_run_after(3, 2, n_cycle, cycle, note_job, &l, &e), -1);
	assert_string_equal(err_msg(&e), "3 of 3 jobs wait for each other in a cycle");
	err_clear(&e);
	assert_int_equal(workpool_run_after(3, 2, n_bad, bad, note_job, &l, &e), -1);
	assert_string_equal(err_msg(&e), "job 1 waits for job 9 of 3");
	assert_int_equal(l.clock, 0); /* nothing ran */
	err_clear(&e);
	pthread_mutex_destroy(&l.lock);
}

static void test_scratch_sweep_removes_only_dead_owners(void **state)
{
	(void)state;
	buf_t root = BUF_INIT, mine = BUF_INIT, dead = BUF_INIT, other = BUF_INIT;
	err_t e = ERR_INIT;
	assert_int_equal(fs_mkdtemp("/tmp", "imgbuild-scratch-", &root, &e), 0);
	assert_int_equal(scratch_mkdtemp(root.data, "build-", &mine, &e), 0);
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0); /* a pid that is certainly gone */
	buf_addf(&dead, "%s/build-%ld-abcdef", root.data, (long)child);
	assert_int_equal(fs_mkdir_p(dead.data, &e), 0);
	buf_addstr(&dead, "/inner");
	assert_int_equal(fs_write_atomic(dead.data, "x", 1, &e), 0);
	buf_truncate(&dead, dead.len - strlen("/inner"));
	buf_addf(&other, "%s/build-notapid", root.data); /* not ours: never touched */
	assert_int_equal(fs_mkdir_p(other.data, &e), 0);
	scratch_sweep(root.data, "build-");
	assert_true(fs_is_dir(mine.data));
	assert_false(fs_exists(dead.data));
	assert_true(fs_is_dir(other.data));
	assert_int_equal(fs_rm_rf(root.data, &e), 0);
	buf_free(&root);
	buf_free(&mine);
	buf_free(&dead);
	buf_free(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_grows_and_formats),
		cmocka_unit_test(test_buf_addpath_joins_with_one_slash),
		cmocka_unit_test(test_err_prefix_keeps_the_cause),
		cmocka_unit_test(test_crlf_and_escapes_in_a_message_are_not_echoed_raw),
		cmocka_unit_test(test_path_safety_table),
		cmocka_unit_test(test_atomic_write_from_two_threads),
		cmocka_unit_test(test_path_normalize),
		cmocka_unit_test(test_atomic_write_replaces_whole_file),
		cmocka_unit_test(test_sha256_known_vector),
		cmocka_unit_test(test_oci_digest_hex_part_is_strict),
		cmocka_unit_test(test_workpool_reports_lowest_failing_job),
		cmocka_unit_test(test_workpool_after_waits_for_prerequisites),
		cmocka_unit_test(test_workpool_after_stops_dependents_of_a_failure),
		cmocka_unit_test(test_workpool_after_refuses_cycles_and_bad_indexes),
		cmocka_unit_test(test_scratch_sweep_removes_only_dead_owners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
