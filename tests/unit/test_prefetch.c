/* test_prefetch.c — common/entrybuf.c (an entry stream recorded and replayed) and
 * builder/prefetch.c (packages installed ahead on a helper thread): a replay gives exactly the
 * calls and bytes of the original stream; past its cap a recording says so and is never
 * replayed; the layer takes packages in order, gets each failure as the package's own error,
 * installs itself what was too big or not eligible, and can stop early without a hang. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "entrybuf.h"
#include "err.h"
#include "prefetch.h"

/* A sink that writes every call as a line (data as its bytes). */
static int log_entry(void *ud, entry_kind_t kind, const char *rel, unsigned mode, long long size,
		     const char *target, err_t *err)
{
	(void)err;
	buf_addf(ud, "E %d %s %o %lld %s\n", (int)kind, rel, mode, size, target ? target : "-");
	return 0;
}

static int log_data(void *ud, const void *p, size_t n, err_t *err)
{
	(void)err;
	buf_addstr(ud, "D ");
	buf_add(ud, p, n);
	buf_addch(ud, '\n');
	return 0;
}

/* Package j: a directory, a file of j+1 chunks of j+1 bytes, a symlink and a hardlink. */
static int emit(const entry_sink_t *k, size_t j, err_t *err)
{
	char name[64], data[64];
	snprintf(name, sizeof name, "pkg%zu/file", j);
	memset(data, 'a' + (int)(j % 26), sizeof data);
	if (k->entry(k->ud, ENTRY_DIR, "pkg", 0755, 0, NULL, err) ||
	    k->entry(k->ud, ENTRY_FILE, name, 0644, (long long)((j + 1) * (j + 1)), NULL, err))
		return -1;
	for (size_t c = 0; c <= j; c++)
		if (k->data(k->ud, data, j + 1, err))
			return -1;
	return k->entry(k->ud, ENTRY_SYMLINK, "pkg/link", 0777, 0, "file", err) ||
	       k->entry(k->ud, ENTRY_HARDLINK, "pkg/hard", 0644, 0, name, err);
}

/* The log with data lines joined: replays merge a file's chunks (same bytes, fewer calls). */
static char *flatten(const buf_t *log)
{
	buf_t out = BUF_INIT;
	for (const char *p = log->data ? log->data : ""; *p; p = strchr(p, '\n') + 1)
		if (p[0] == 'D')
			buf_add(&out, p + 2, (size_t)(strchr(p, '\n') - p - 2));
		else
			buf_add(&out, p, (size_t)(strchr(p, '\n') - p + 1));
	return buf_detach(&out);
}

static void test_replay_gives_the_same_calls_and_bytes(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	buf_t direct = BUF_INIT, replayed = BUF_INIT;
	entry_sink_t to_direct = {log_entry, log_data, &direct};
	entry_sink_t to_replayed = {log_entry, log_data, &replayed};
	entrybuf_t *b = entrybuf_new(1 << 20);
	entry_sink_t rec = entrybuf_sink(b);
	for (size_t j = 0; j < 5; j++) {
		assert_int_equal(emit(&to_direct, j, &err), 0);
		assert_int_equal(emit(&rec, j, &err), 0);
	}
	assert_false(entrybuf_is_full(b));
	assert_int_equal(entrybuf_replay(b, &to_replayed, &err), 0);
	char *a = flatten(&direct), *c = flatten(&replayed);
	assert_string_equal(c, a);
	free(a), free(c);
	entrybuf_free(b);
	buf_free(&direct), buf_free(&replayed);
}

static void test_past_the_cap_the_recording_is_full(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	entrybuf_t *b = entrybuf_new(100);
	entry_sink_t rec = entrybuf_sink(b);
	assert_int_equal(emit(&rec, 20, &err), -1); /* 441 bytes of data */
	assert_true(entrybuf_is_full(b));
	assert_non_null(strstr(err_msg(&err), "more than 100 bytes"));
	err_clear(&err);
	entrybuf_free(b);
}

/* The fake installer: package 3 fails, package 5 is too big for the cap. */
static int fake_install(void *ud, size_t j, const entry_sink_t *sink, err_t *err)
{
	(void)ud;
	if (j == 3)
		return err_set(err, "package %zu is broken", j);
	return emit(sink, j == 5 ? 40 : j, err);
}

static void test_layer_takes_packages_in_order_with_their_errors(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	unsigned char eligible[8] = {1, 1, 0, 1, 1, 1, 1, 1};
	prefetch_t *p = prefetch_start(8, eligible, fake_install, NULL, 64, 1024);
	assert_non_null(p);
	buf_t got = BUF_INIT, want = BUF_INIT;
	entry_sink_t to = {log_entry, log_data, &got}, to_want = {log_entry, log_data, &want};
	assert_int_equal(prefetch_take(p, 0, &to, &err), 1);
	assert_int_equal(emit(&to_want, 0, &err), 0);
	assert_int_equal(prefetch_take(p, 1, &to, &err), 1);
	assert_int_equal(emit(&to_want, 1, &err), 0);
	assert_int_equal(prefetch_take(p, 2, &to, &err), 0); /* not eligible: the layer's own */
	assert_int_equal(prefetch_take(p, 3, &to, &err), -1);
	assert_string_equal(err_msg(&err), "package 3 is broken");
	err_clear(&err);
	assert_int_equal(prefetch_take(p, 4, &to, &err), 1);
	assert_int_equal(emit(&to_want, 4, &err), 0);
	assert_int_equal(prefetch_take(p, 5, &to, &err), 0); /* past the cap: the layer's own */
	char *g = flatten(&got), *w = flatten(&want);
	assert_string_equal(g, w);
	free(g), free(w);
	prefetch_stop(p); /* packages 6 and 7 never taken: no hang, no leak */
	buf_free(&got), buf_free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_gives_the_same_calls_and_bytes),
		cmocka_unit_test(test_past_the_cap_the_recording_is_full),
		cmocka_unit_test(test_layer_takes_packages_in_order_with_their_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
