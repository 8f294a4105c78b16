/* testutil.c — see testutil.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "fsutil.h"
#include "testutil.h"

int testdir_setup(void **state)
{
	testdir_t *t = calloc(1, sizeof *t);
	err_t err = ERR_INIT;
	if (!t || fs_mkdtemp("/tmp", "imgbuild-test.", &t->root, &err)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

int testdir_teardown(void **state)
{
	testdir_t *t = *state;
	err_t err = ERR_INIT;
	fs_rm_rf(t->root.data, &err);
	err_clear(&err);
	buf_free(&t->root);
	free(t);
	return 0;
}

int testutil_have_tool(const char *name)
{
	buf_t cmd = BUF_INIT;
	buf_addf(&cmd, "command -v %s >/dev/null 2>&1", name);
	int ok = system(cmd.data) == 0;
	buf_free(&cmd);
	return ok;
}

char *testutil_run_out(const char *fmt, ...)
{
	buf_t cmd = BUF_INIT, out = BUF_INIT;
	char chunk[4096];
	size_t n;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	buf_addstr(&cmd, " 2>&1");
	FILE *p = popen(cmd.data, "r");
	if (!p)
		fail_msg("popen: %s", cmd.data);
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		buf_add(&out, chunk, n);
	if (pclose(p) != 0)
		fail_msg("%s\n%s", cmd.data, buf_cstr(&out));
	buf_free(&cmd);
	return buf_detach(&out);
}
