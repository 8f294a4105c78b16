/* fuzz_lock.c — lock files through conda/lock.c: conda-lock v1 YAML or @EXPLICIT (chosen by
 * content, as lock_read does), read for linux-64 and for any platform. Properties: errors
 * name the file with a 1-based line and carry no control characters; every record read passes
 * pkgrec_check and remembers its lock file and line; a lock written back in conda-lock form
 * (and in @EXPLICIT form when every record has a hash) reads back to the same records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "lock.h"

static void write_and_reread(const lockfile_t *l, lock_format_t fmt, const char *name)
{
	size_t n = lock_count(l);
	const pkgrec_t **recs = calloc(n ? n : 1, sizeof *recs);
	buf_t text = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	for (size_t i = 0; i < n; i++)
		recs[i] = lock_get(l, i);
	if (lock_render(fmt, NULL, recs, n, &text, &err) == 0) {
		fuzz_write_file(name, (const uint8_t *)text.data, text.len, &path);
		lockfile_t *back = lock_read(path.data, NULL, &err);
		FUZZ_ASSERT(back, "written lock does not read back: %s\n%s", err_msg(&err),
			    text.data);
		FUZZ_ASSERT(lock_count(back) == n, "%zu records became %zu", n, lock_count(back));
		for (size_t i = 0; i < n; i++) {
			const pkgrec_t *x = lock_get(l, i), *y = NULL;
			for (size_t j = 0; j < n && !y; j++)
				if (!strcmp(lock_get(back, j)->url, x->url))
					y = lock_get(back, j);
			FUZZ_ASSERT(y && !strcmp(x->fn, y->fn) && !strcmp(x->name, y->name),
				    "record %s changed", x->url);
		}
		lock_free(back);
	} else {
		FUZZ_ASSERT(fmt == LOCK_FORMAT_EXPLICIT, "conda-lock render failed: %s",
			    err_msg(&err));
	}
	err_clear(&err);
	free(recs);
	buf_free(&text);
	buf_free(&path);
}

static void read_for(const char *path, const char *platform)
{
	err_t err = ERR_INIT;
	lockfile_t *l = lock_read(path, platform, &err);
	if (!l) {
		fuzz_check_message(&err, path);
		err_clear(&err);
		return;
	}
	for (size_t i = 0; i < lock_count(l); i++) {
		const pkgrec_t *r = lock_get(l, i);
		/* pip entries are records too (subdir LOCK_PIP_SUBDIR, a wheel's file name),
		 * checked by lock_read against the wheel grammar, not conda's */
		FUZZ_ASSERT((r->subdir && !strcmp(r->subdir, LOCK_PIP_SUBDIR)) ||
				    pkgrec_check(r, &err) == 0,
			    "%s", err_msg(&err));
		FUZZ_ASSERT(r->origin && strstr(r->origin, path), "record %s has no origin", r->fn);
	}
	write_and_reread(l, LOCK_FORMAT_CONDA_LOCK, "back.yml");
	write_and_reread(l, LOCK_FORMAT_EXPLICIT, "back.txt");
	lock_free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	buf_t path = BUF_INIT;
	fuzz_write_file("fuzz.lock", data, size, &path);
	read_for(path.data, "linux-64");
	read_for(path.data, NULL);
	buf_free(&path);
	return 0;
}
