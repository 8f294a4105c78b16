/* test_pypi_corpus.c — pypi/reqfile.c on the pip sections of the real environment files in
 * ../shared/corpus/envs (read with conda/envspec, as the pipeline will): every one is read
 * whole or refused with a message naming the file and line; the version-control, editable
 * and local-path lines of the corpus are among the refusals, each saying how to proceed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envspec.h"
#include "err.h"
#include "reqfile.h"

typedef struct counts {
	int files, with_pip, read, refused, source_builds, requirements;
} counts_t;

static void check_env(const char *path, counts_t *c)
{
	err_t err = ERR_INIT;
	envspec_t *e = envspec_load(path, &err);
	c->files++;
	if (!e || envspec_pip_count(e) == 0) {
		envspec_free(e);
		err_clear(&err);
		return;
	}
	size_t n = envspec_pip_count(e);
	const char **lines = calloc(n, sizeof *lines);
	int *numbers = calloc(n, sizeof *numbers);
	for (size_t i = 0; i < n; i++) {
		lines[i] = envspec_pip(e, i);
		numbers[i] = envspec_pip_line(e, i);
	}
	c->with_pip++;
	pypi_reqset_t *rs = pypi_reqset_parse(path, lines, numbers, n, &err);
	if (rs) {
		c->read++;
		c->requirements += (int)pypi_reqset_count(rs);
	} else {
		buf_t where = BUF_INIT;
		buf_addf(&where, "%s:", path);
		c->refused++;
		if (strncmp(err_msg(&err), buf_cstr(&where), where.len))
			fail_msg("%s: refusal does not name the file and line: %s", path,
				 err_msg(&err));
		if (strstr(err_msg(&err), "never builds from source"))
			c->source_builds++;
		print_message("refused: %s\n", err_msg(&err));
		buf_free(&where);
	}
	pypi_reqset_free(rs);
	envspec_free(e);
	free(lines);
	free(numbers);
	err_clear(&err);
}

static void walk(const char *dir, counts_t *c)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n < 5 ||
		    (strcmp(de->d_name + n - 4, ".yml") && strcmp(de->d_name + n - 5, ".yaml")))
			continue;
		buf_t p = BUF_INIT;
		buf_addf(&p, "%s/%s", dir, de->d_name);
		check_env(buf_cstr(&p), c);
		buf_free(&p);
	}
	closedir(d);
}

static void test_every_corpus_pip_section_is_read_or_refused_by_line(void **state)
{
	(void)state;
	const char *shared = getenv("IMGBUILD_SHARED");
	buf_t top = BUF_INIT, ext = BUF_INIT;
	counts_t c = {0};
	if (!shared)
		skip();
	buf_addf(&top, "%s/corpus/envs", shared);
	buf_addf(&ext, "%s/corpus/envs/ext", shared);
	walk(buf_cstr(&top), &c);
	walk(buf_cstr(&ext), &c);
	if (c.files == 0)
		skip();
	print_message("corpus: %d files, %d with a pip section: %d read (%d requirements), %d "
		      "refused (%d needing a source build)\n",
		      c.files, c.with_pip, c.read, c.requirements, c.refused, c.source_builds);
	assert_true(c.with_pip >= 10);
	assert_true(c.read > c.refused);
	assert_true(c.source_builds >= 3); /* git+, -e and local paths are in the corpus */
	buf_free(&top);
	buf_free(&ext);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_corpus_pip_section_is_read_or_refused_by_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
