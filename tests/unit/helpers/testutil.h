/* testutil.h — the unit tests' shared helpers: a fresh temporary directory per test (cmocka
 * setup/teardown whose state is a testdir_t) or per group, files written and read back, a
 * log callback that collects, a loopback file server, and running the real tools that check
 * our output (Debian's tar, python, umoci). */
#ifndef IMGBUILD_TEST_TESTUTIL_H
#define IMGBUILD_TEST_TESTUTIL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "buf.h"

typedef struct testdir {
	buf_t root; /* /tmp/imgbuild-test.XXXXXX, removed by testdir_teardown */
} testdir_t;

/* cmocka group/test setup and teardown: *state becomes a testdir_t *. */
int testdir_setup(void **state);
int testdir_teardown(void **state);

/* A package record name-1.0-0 (fn = name) with repodata size size_bytes, for plans (caller
 * frees with pkgrec_free). */
struct pkgrec;
struct pkgrec *testutil_pkgrec(const char *name, long long size_bytes);

/* 1 when `name` is on PATH. */
int testutil_have_tool(const char *name);
/* Runs a shell command (printf-style) and returns its stdout + stderr (caller frees); fails
 * the test with the output when the command fails. */
char *testutil_run_out(const char *fmt, ...) ERR_PRINTF(1, 2);

/* A fresh /tmp/<prefix>.XXXXXX for a test group's global state (caller removes it with
 * testutil_tmpdir_remove), or NULL. */
char *testutil_tmpdir_new(const char *prefix);
/* Removes dir and everything below it, then frees the string; NULL is a no-op. */
void testutil_tmpdir_remove(char *dir);

/* a/b (caller frees). */
char *testutil_join(const char *a, const char *b);
/* Writes len bytes to path, creating its parent directories; fails the test on error. */
void testutil_write_file(const char *path, const void *data, size_t len);
/* testutil_write_file of a NUL-terminated text. */
void testutil_write_text(const char *path, const char *text);
/* The whole file (up to 64 MiB; caller frees); *len gets its size when len is not NULL. Fails
 * the test when it cannot be read. */
char *testutil_read_file(const char *path, size_t *len);

/* What a library logged through testutil_log_collect (a log_fn; ud is a testutil_log_t *):
 * each message and a newline, and how many there were. */
typedef struct testutil_log {
	buf_t text;
	int n;
} testutil_log_t;
void testutil_log_collect(void *ud, const char *msg);

/* Sends stderr (where the CLI prints) to a temporary file until testutil_stderr_restore, which
 * puts it back and returns what was written meanwhile (caller frees). */
FILE *testutil_stderr_capture(int *saved);
char *testutil_stderr_restore(FILE *f, int saved);

/* qsort comparator for an array of strings. */
int testutil_cmp_str(const void *a, const void *b);

/* Serves the files under dir on 127.0.0.1 (a small Python server, port chosen by the OS) with
 * a content-hash ETag and 304 on a matching If-None-Match, appending "path status" per
 * request to work_dir/server.log before answering (so the client never outruns the log).
 * Fills *log with that log's path, *pid and *port. Returns 0, or -1 when it did not start. */
int testutil_serve_dir(const char *dir, const char *work_dir, buf_t *log, pid_t *pid, int *port);
/* Stops a server testutil_serve_dir started (pid <= 0: nothing). */
void testutil_serve_stop(pid_t pid);

#endif
