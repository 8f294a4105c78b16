/* fuzz_util.c — shared harness helpers (see fuzz_util.h). */
#include "fuzz_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

static buf_t scratch = BUF_INIT;

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%d: fuzz property violated: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
	buf_t b = BUF_INIT;
	buf_add(&b, data, size);
	buf_grow(&b, 0);
	return buf_detach(&b);
}

char fuzz_pick(uint8_t first, const char *modes)
{
	const char *m = first ? strchr(modes, (char)first) : NULL;
	return m ? *m : modes[first % strlen(modes)];
}

static void remove_scratch(void)
{
	err_t ignored = ERR_INIT;
	if (scratch.len)
		fs_rm_rf(scratch.data, &ignored);
	err_clear(&ignored);
	buf_free(&scratch);
}

const char *fuzz_scratch(void)
{
	if (!scratch.len) {
		const char *tmp = getenv("TMPDIR");
		buf_addf(&scratch, "%s/imgbuild-fuzz-%ld", tmp && *tmp ? tmp : "/tmp",
			 (long)getpid());
		err_t err = ERR_INIT;
		fs_rm_rf(scratch.data, &err);
		FUZZ_ASSERT(fs_mkdir_p(scratch.data, &err) == 0, "%s", err_msg(&err));
		atexit(remove_scratch);
	}
	return scratch.data;
}

void fuzz_write_file(const char *name, const uint8_t *data, size_t size, buf_t *out)
{
	buf_setstr(out, fuzz_scratch());
	buf_addpath(out, name);
	FILE *fp = fopen(out->data, "wb");
	FUZZ_ASSERT(fp, "cannot create %s", out->data);
	FUZZ_ASSERT(fwrite(data, 1, size, fp) == size && fclose(fp) == 0, "cannot write %s",
		    out->data);
}

/* The number at s (an optional '-' then digits), or 1 when s holds none. */
static long number_at(const char *s)
{
	long v = 0;
	int neg = *s == '-', any = 0;
	for (s += neg; *s >= '0' && *s <= '9' && v < 1000000000L; s++, any = 1)
		v = v * 10 + (*s - '0');
	return !any ? 1 : neg ? -v : v;
}

/* Hand-written scans, and this file is built without coverage instrumentation
 * (CMakeLists.txt): strstr() here would feed the strings it looks for into libFuzzer's
 * dictionary, and the fuzzer would then write them into the inputs it quotes. */
static int starts_with(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix)
		s++, prefix++;
	return !*prefix;
}

void fuzz_check_message(const err_t *err, const char *where)
{
	const char *m = err_msg(err);
	size_t wl = where ? strlen(where) : 0;
	FUZZ_ASSERT(*m, "a failure without a message");
	for (const unsigned char *p = (const unsigned char *)m; *p; p++)
		FUZZ_ASSERT(*p >= 0x20 || *p == '\n' || *p == '\t',
			    "control character 0x%02x in message: %s", *p, m);
	/* "FILE:LINE:" and "line LINE" positions are 1-based */
	if (where && starts_with(m, where) && m[wl] == ':' &&
	    ((m[wl + 1] >= '0' && m[wl + 1] <= '9') || m[wl + 1] == '-'))
		FUZZ_ASSERT(number_at(m + wl + 1) >= 1, "impossible position in message: %s", m);
	for (const char *p = m; *p; p++)
		if (starts_with(p, "line "))
			FUZZ_ASSERT(number_at(p + 5) >= 1, "impossible position in message: %s", m);
}
