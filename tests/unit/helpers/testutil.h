/* testutil.h — test helper: a fresh temporary directory per test (cmocka setup/teardown whose
 * state is a testdir_t), and running the real tools that check our output (Debian's tar,
 * python, umoci). */
#ifndef IMGBUILD_TEST_TESTUTIL_H
#define IMGBUILD_TEST_TESTUTIL_H

#include "buf.h"

typedef struct testdir {
	buf_t root; /* /tmp/imgbuild-test.XXXXXX, removed by testdir_teardown */
} testdir_t;

/* cmocka group/test setup and teardown: *state becomes a testdir_t *. */
int testdir_setup(void **state);
int testdir_teardown(void **state);

/* 1 when `name` is on PATH. */
int testutil_have_tool(const char *name);
/* Runs a shell command (printf-style) and returns its stdout + stderr (caller frees); fails
 * the test with the output when the command fails. */
char *testutil_run_out(const char *fmt, ...) ERR_PRINTF(1, 2);

#endif
