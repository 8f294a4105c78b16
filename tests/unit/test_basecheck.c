/* test_basecheck.c — layers/basecheck, the base image policy: which packages need a system C
 * library (a __glibc dependency; a program whose PT_INTERP lies outside the prefix), which
 * files are not programs of the image (libraries, data, other machines, the environment's own
 * loader), the exact error without a base and with a base that lacks the loader or libc, the
 * --base scratch warning, deterministic order whatever the scan order, and hostile names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "basecheck.h"
#include "buf.h"
#include "fsutil.h"
#include "mkelf.h"
#include "pkgrec.h"
#include "testutil.h"
#include "xalloc.h"

#define PREFIX "/opt/conda/envs/x"
#define LOADER "/lib64/ld-linux-x86-64.so.2"

static const mkelf_spec_t x86_prog = {1, 0, EM_X86_64, ET_DYN, LOADER};

/* root/<stage>/<rel>, parents created. Caller frees. */
static char *stage_path(const testdir_t *f, const char *stage, const char *rel)
{
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addstr(&p, f->root.data);
	buf_addpath(&p, stage);
	if (rel) {
		buf_addpath(&p, rel);
		char *dir = xstrdup(p.data);
		*strrchr(dir, '/') = '\0';
		assert_int_equal(fs_mkdir_p(dir, &err), 0);
		free(dir);
	} else {
		assert_int_equal(fs_mkdir_p(p.data, &err), 0);
	}
	return buf_detach(&p);
}

static void put_elf(const testdir_t *f, const char *stage, const char *rel,
		    const mkelf_spec_t *spec, unsigned mode)
{
	char *p = stage_path(f, stage, rel);
	assert_int_equal(mkelf_write(p, spec, mode), 0);
	free(p);
}

static void scan_ok(basecheck_t *bc, const testdir_t *f, const char *stage)
{
	char *p = stage_path(f, stage, NULL);
	err_t err = ERR_INIT;
	if (basecheck_scan_tree(bc, stage, p, &err))
		fail_msg("scan %s: %s", stage, err_msg(&err));
	free(p);
}

static pkgrec_t *rec(const char *name, const char *dep)
{
	pkgrec_t *r = pkgrec_new();
	r->name = xstrdup(name);
	r->version = xstrdup("1.0");
	r->build = xstrdup("0");
	if (dep) {
		r->depends = xcalloc(2, sizeof *r->depends);
		r->depends[0] = xstrdup("_openmp_mutex >=4.5");
		r->depends[1] = xstrdup(dep);
		r->n_depends = 2;
	}
	return r;
}

static basefs_t *base_of(const basefs_entry_t *e, size_t n)
{
	basefs_t *fs = basefs_new();
	err_t err = ERR_INIT;
	assert_int_equal(basefs_add_listing(fs, e, n, &err), 0);
	return fs;
}

static const basefs_entry_t bookworm[] = {
	{"lib", BASEFS_SYMLINK, "usr/lib"},
	{"lib64", BASEFS_SYMLINK, "usr/lib64"},
	{"usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", BASEFS_FILE, NULL},
	{"usr/lib/x86_64-linux-gnu/libc.so.6", BASEFS_FILE, NULL},
	{"usr/lib64/ld-linux-x86-64.so.2", BASEFS_SYMLINK,
	 "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
};

static void test_glibc_dependency_without_base_is_an_error_naming_the_package(void **state)
{
	(void)state;
	pkgrec_t *p[] = {rec("zlib", "libgcc >=13"), rec("libgcc", "__glibc >=2.17,<3.0.a0"),
			 rec("python", NULL)};
	basecheck_t *bc = basecheck_new(PREFIX, "amd64");
	err_t err = ERR_INIT;
	basecheck_add_records(bc, (const pkgrec_t *const *)p, 3);
	assert_int_equal(basecheck_count(bc), 1);
	const basecheck_need_t *n = basecheck_get(bc, 0);
	assert_string_equal(n->package, "libgcc");
	assert_int_equal(n->why, BASECHECK_GLIBC_DEP);
	assert_string_equal(n->what, "__glibc >=2.17,<3.0.a0");
	assert_null(n->file);
	assert_null(basecheck_get(bc, 1));
	assert_int_equal(basecheck_verify(bc, NULL, NULL, 0, NULL, NULL, &err), -1);
	assert_string_equal(err_msg(&err), "package libgcc (__glibc >=2.17,<3.0.a0) depends on the "
					   "system C library, which no base image provides");
	assert_int_equal(err.hint, ERR_HINT_BASE_NEEDED); /* the CLI says which --base */
	err_clear(&err);
	basecheck_free(bc);
	for (int i = 0; i < 3; i++)
		pkgrec_free(p[i]);
}

static void test_program_asking_for_the_system_loader_is_named(void **state)
{
	testdir_t *f = *state;
	err_t err = ERR_INIT;
	put_elf(f, "hello", "bin/hello", &x86_prog, 0755);
	put_elf(f, "hello", "bin/hello-again", &x86_prog, 0700);
	/* and a real Debian program, copied as a package would ship it */
	char *real = stage_path(f, "hello", "libexec/true");
	assert_int_equal(fs_copy_file("/bin/true", real, &err), 0);
	assert_int_equal(chmod(real, 0755), 0);
	basecheck_t *bc = basecheck_new(PREFIX, NULL);
	pkgrec_t *r[] = {rec("hello", "__glibc >=2.17")};
	scan_ok(bc, f, "hello");
	basecheck_add_records(bc, (const pkgrec_t *const *)r, 1);
	assert_int_equal(basecheck_count(bc), 2); /* the program first, then the dependency */
	assert_int_equal(basecheck_get(bc, 1)->why, BASECHECK_GLIBC_DEP);
	const basecheck_need_t *n = basecheck_get(bc, 0);
	assert_string_equal(n->package, "hello");
	assert_int_equal(n->why, BASECHECK_ELF_INTERP);
	assert_string_equal(n->file, "bin/hello");
	assert_string_equal(n->what, LOADER);
	assert_int_equal(n->n_files, 3);
	assert_int_equal(basecheck_verify(bc, NULL, NULL, 0, NULL, NULL, &err), -1);
	assert_string_equal(
		err_msg(&err),
		"package hello (bin/hello and 2 more programs) needs the system loader " LOADER
		", which no base image provides"); /* one package, named once */
	err_clear(&err);
	basecheck_free(bc);
	pkgrec_free(r[0]);
	free(real);
}

/* Libraries (even libc.so.6 with its PT_INTERP), data, scripts, symlinks, static programs,
 * other machines' programs and the environment's own loader are not needs; a path that only
 * starts like the prefix is. */
static void test_files_that_are_not_programs_needing_a_system_loader_are_ignored(void **state)
{
	testdir_t *f = *state;
	mkelf_spec_t arm = {1, 0, EM_AARCH64, ET_DYN, "/lib/ld-linux-aarch64.so.1"};
	mkelf_spec_t own = {1, 0, EM_X86_64, ET_DYN, PREFIX "/lib/ld-linux-x86-64.so.2"};
	mkelf_spec_t near = {1, 0, EM_X86_64, ET_EXEC, PREFIX "y/lib/ld.so"};
	mkelf_spec_t stat = {1, 0, EM_X86_64, ET_EXEC, NULL};
	put_elf(f, "mix", "lib/libc.so.6", &x86_prog, 0755);
	put_elf(f, "mix", "lib/libfoo.so", &x86_prog, 0755);
	put_elf(f, "mix", "lib/python3.11/x.cpython-311-x86_64-linux-gnu.so", &x86_prog, 0755);
	put_elf(f, "mix", "share/test-data.elf", &x86_prog, 0644);
	put_elf(f, "mix", "bin/arm", &arm, 0755);
	put_elf(f, "mix", "bin/own", &own, 0755);
	put_elf(f, "mix", "bin/static", &stat, 0755);
	put_elf(f, "mix", "bin/zz-near", &near, 0755);
	char *lnk = stage_path(f, "mix", "bin/link");
	assert_int_equal(symlink("../lib/libc.so.6", lnk), 0);
	basecheck_t *bc = basecheck_new(PREFIX "/", "amd64");
	scan_ok(bc, f, "mix");
	assert_int_equal(basecheck_count(bc), 1);
	assert_string_equal(basecheck_get(bc, 0)->file, "bin/zz-near");
	basecheck_free(bc);
	/* built for arm64, the aarch64 program is the one that counts */
	bc = basecheck_new(PREFIX, "arm64");
	scan_ok(bc, f, "mix");
	assert_int_equal(basecheck_count(bc), 1);
	assert_string_equal(basecheck_get(bc, 0)->file, "bin/arm");
	assert_string_equal(basecheck_get(bc, 0)->what, "/lib/ld-linux-aarch64.so.1");
	basecheck_free(bc);
	free(lnk);
}

static void test_glibc_base_satisfies_every_need(void **state)
{
	testdir_t *f = *state;
	err_t err = ERR_INIT;
	pkgrec_t *p[] = {rec("libgcc", "__glibc >=2.17")};
	put_elf(f, "hello", "bin/hello", &x86_prog, 0755);
	basecheck_t *bc = basecheck_new(PREFIX, "amd64");
	basecheck_add_records(bc, (const pkgrec_t *const *)p, 1);
	scan_ok(bc, f, "hello");
	assert_int_equal(basecheck_count(bc), 2);
	basefs_t *base = base_of(bookworm, sizeof bookworm / sizeof bookworm[0]);
	assert_int_equal(basecheck_base_has_libc(base, "amd64", NULL), 1);
	assert_int_equal(basecheck_verify(bc, base, "debian", 0, NULL, NULL, &err), 0);
	assert_null(err.msg);
	basefs_free(base);
	basecheck_free(bc);
	pkgrec_free(p[0]);
}

static void test_base_lacking_loader_or_libc_is_an_error_saying_what_is_missing(void **state)
{
	(void)state;
	const basefs_entry_t busybox[] = {{"bin/busybox", BASEFS_FILE, NULL},
					  {"bin/sh", BASEFS_SYMLINK, "busybox"}};
	const basefs_entry_t no_libc[] = {{"lib64/ld-linux-x86-64.so.2", BASEFS_FILE, NULL}};
	pkgrec_t *p[] = {rec("libgcc", "__glibc >=2.17")};
	basecheck_t *bc = basecheck_new(PREFIX, "amd64");
	err_t err = ERR_INIT;
	buf_t why = BUF_INIT;
	basecheck_add_records(bc, (const pkgrec_t *const *)p, 1);
	basefs_t *base = base_of(busybox, 2);
	assert_int_equal(basecheck_base_has_libc(base, "amd64", &why), 0);
	assert_string_equal(why.data, "no " LOADER);
	assert_int_equal(basecheck_verify(bc, base, "oci:/b:busybox", 0, NULL, NULL, &err), -1);
	assert_string_equal(
		err_msg(&err),
		"package libgcc (__glibc >=2.17) depends on the system C library, which the "
		"base image oci:/b:busybox does not have (no " LOADER ")");
	assert_int_equal(err.hint, ERR_HINT_BASE_NEEDED);
	err_clear(&err);
	basefs_free(base);
	base = base_of(no_libc, 1);
	assert_int_equal(basecheck_base_has_libc(base, "amd64", &why), 0);
	assert_string_equal(why.data,
			    "no libc.so.6 in /lib/x86_64-linux-gnu, "
			    "/usr/lib/x86_64-linux-gnu, /lib64, /usr/lib64, /lib, /usr/lib");
	assert_int_equal(basecheck_verify(bc, base, "b", 0, NULL, NULL, &err), -1);
	assert_non_null(strstr(err_msg(&err), "(no libc.so.6 in /lib/x86_64-linux-gnu,"));
	err_clear(&err);
	basefs_free(base);
	basecheck_free(bc);
	pkgrec_free(p[0]);
	buf_free(&why);
}

/* A program's own interpreter is what the base must have: a musl program on a base with
 * musl's loader is fine, a glibc one is not. */
static void test_program_need_is_met_by_its_own_interpreter(void **state)
{
	testdir_t *f = *state;
	const basefs_entry_t alpine[] = {{"lib/ld-musl-x86_64.so.1", BASEFS_FILE, NULL}};
	mkelf_spec_t musl = {1, 0, EM_X86_64, ET_DYN, "/lib/ld-musl-x86_64.so.1"};
	err_t err = ERR_INIT;
	put_elf(f, "m", "bin/m", &musl, 0755);
	put_elf(f, "g", "bin/g", &x86_prog, 0755);
	basefs_t *base = base_of(alpine, 1);
	basecheck_t *bc = basecheck_new(PREFIX, "amd64");
	scan_ok(bc, f, "m");
	assert_int_equal(basecheck_verify(bc, base, "alpine", 0, NULL, NULL, &err), 0);
	scan_ok(bc, f, "g");
	assert_int_equal(basecheck_verify(bc, base, "alpine", 0, NULL, NULL, &err), -1);
	assert_non_null(strstr(err_msg(&err),
			       "package g (bin/g) needs the system loader " LOADER
			       ", which the base image alpine does not have (no " LOADER ")"));
	err_clear(&err);
	basecheck_free(bc);
	basefs_free(base);
}

static void test_scratch_is_one_warning_and_no_error(void **state)
{
	testdir_t *f = *state;
	err_t err = ERR_INIT;
	testutil_log_t log = {BUF_INIT, 0};
	put_elf(f, "hello", "bin/hello", &x86_prog, 0755);
	basecheck_t *bc = basecheck_new(PREFIX, "amd64");
	scan_ok(bc, f, "hello");
	basefs_t *ignored = base_of(bookworm, 1); /* with scratch a base is not consulted */
	assert_int_equal(basecheck_verify(bc, ignored, "x", 1, testutil_log_collect, &log, &err),
			 0);
	assert_null(err.msg);
	assert_string_equal(log.text.data,
			    "warning: scratch base: package hello (bin/hello) needs the "
			    "system loader " LOADER "; the image has no system C library, "
			    "so these programs will not start in it\n");
	basefs_free(ignored);
	basecheck_free(bc);
	buf_free(&log.text);
}

static char *verify_message(basecheck_t *bc)
{
	err_t err = ERR_INIT;
	assert_int_equal(basecheck_verify(bc, NULL, NULL, 0, NULL, NULL, &err), -1);
	char *m = xstrdup(err_msg(&err));
	err_clear(&err);
	return m;
}

/* Scan order (as threads would give it) does not change the needs or the message, and a long
 * list is cut after BASECHECK_MAX_NAMED with a count. */
static void test_order_and_message_do_not_depend_on_scan_order(void **state)
{
	testdir_t *f = *state;
	const char *names[] = {"e-tool", "a-tool", "d-tool", "c-tool", "b-tool"};
	pkgrec_t *p[] = {rec("zz-glibc", "__glibc >=2.28"), rec("aa-glibc", "__glibc")};
	for (int i = 0; i < 5; i++)
		put_elf(f, names[i], "bin/t", &x86_prog, 0755);
	char *msgs[2];
	for (int pass = 0; pass < 2; pass++) {
		basecheck_t *bc = basecheck_new(PREFIX, "amd64");
		if (pass)
			basecheck_add_records(bc, (const pkgrec_t *const *)p, 2);
		for (int i = 0; i < 5; i++)
			scan_ok(bc, f, names[pass ? 4 - i : i]);
		if (!pass)
			basecheck_add_records(bc, (const pkgrec_t *const *)p, 2);
		assert_int_equal(basecheck_count(bc), 7);
		assert_string_equal(basecheck_get(bc, 0)->package, "a-tool");
		assert_string_equal(basecheck_get(bc, 4)->package, "e-tool");
		assert_string_equal(basecheck_get(bc, 5)->package, "aa-glibc");
		assert_string_equal(basecheck_get(bc, 6)->package, "zz-glibc");
		msgs[pass] = verify_message(bc);
		basecheck_free(bc);
	}
	assert_string_equal(msgs[0], msgs[1]);
	assert_string_equal(msgs[0], "package a-tool (bin/t) needs the system loader " LOADER
				     " (also: b-tool (bin/t), c-tool (bin/t) and 4 more), which no "
				     "base image provides");
	free(msgs[0]);
	free(msgs[1]);
	pkgrec_free(p[0]);
	pkgrec_free(p[1]);
}

static void test_hostile_names_cannot_break_the_message_line(void **state)
{
	testdir_t *f = *state;
	mkelf_spec_t evil = {1, 0, EM_X86_64, ET_DYN, "/lib64/ld\nimgbuild: fake line"};
	put_elf(f, "evil", "bin/a\rb\nc", &evil, 0755);
	basecheck_t *bc = basecheck_new(PREFIX, "amd64");
	scan_ok(bc, f, "evil");
	char *m = verify_message(bc);
	assert_null(strchr(m, '\n'));
	assert_null(strchr(m, '\r'));
	assert_non_null(strstr(m, "package evil (bin/a?b?c) needs the system loader "
				  "/lib64/ld?imgbuild: fake line,"));
	free(m);
	basecheck_free(bc);
}

/* Trees of packages whose layer came from the cache do not exist: skipped. */
static void test_scan_trees_skips_missing_trees(void **state)
{
	testdir_t *f = *state;
	err_t err = ERR_INIT;
	put_elf(f, "present", "bin/p", &x86_prog, 0755);
	char *present = stage_path(f, "present", NULL);
	buf_t missing = BUF_INIT;
	buf_addf(&missing, "%s/not-installed", f->root.data);
	pkgrec_t *p[] = {rec("cached", NULL), rec("present", NULL)};
	const char *stages[] = {missing.data, present};
	basecheck_t *bc = basecheck_new(PREFIX, "amd64");
	assert_int_equal(basecheck_scan_trees(bc, stages, (const pkgrec_t *const *)p, 2, &err), 0);
	assert_int_equal(basecheck_count(bc), 1);
	assert_string_equal(basecheck_get(bc, 0)->package, "present");
	basecheck_free(bc);
	pkgrec_free(p[0]);
	pkgrec_free(p[1]);
	buf_free(&missing);
	free(present);
}

static void set_hash(pkgrec_t *r, char c)
{
	r->sha256 = xmalloc(65);
	memset(r->sha256, c, 64);
	r->sha256[64] = '\0';
}

/* What a scan found comes back for the same package and prefix (a layer-cache hit decides as a
 * fresh build), filtered by machine; another prefix, a corrupt entry or a package without a
 * hash read as "never scanned". */
static void test_findings_are_remembered_per_package_and_prefix(void **state)
{
	testdir_t *f = *state;
	err_t err = ERR_INIT;
	buf_t cache = BUF_INIT, entry = BUF_INIT;
	buf_addf(&cache, "%s/cache/basecheck", f->root.data);
	put_elf(f, "hello", "bin/hello", &x86_prog, 0755);
	put_elf(f, "hello", "bin/hello2", &x86_prog, 0755);
	char *stage = stage_path(f, "hello", NULL);
	pkgrec_t *hello = rec("hello", NULL), *nohash = rec("nohash", NULL);
	set_hash(hello, 'a');
	basecheck_t *bc = basecheck_new(PREFIX, "amd64");
	basecheck_set_cache(bc, cache.data);
	assert_int_equal(basecheck_scan_package(bc, hello, stage, &err), 0);
	assert_int_equal(basecheck_scan_package(bc, nohash, stage, &err), 0);
	char *fresh = verify_message(bc);
	basecheck_free(bc);
	buf_addf(&entry, "%s/%s.json", cache.data, hello->sha256);
	assert_true(fs_exists(entry.data));
	/* a new build: hello's layer is cached, its tree absent */
	bc = basecheck_new(PREFIX, "amd64");
	basecheck_set_cache(bc, cache.data);
	assert_int_equal(basecheck_load_package(bc, hello), 1);
	assert_int_equal(basecheck_load_package(bc, nohash), 0);
	assert_int_equal(basecheck_count(bc), 1);
	assert_string_equal(basecheck_get(bc, 0)->file, "bin/hello");
	assert_int_equal(basecheck_get(bc, 0)->n_files, 2);
	char *again = verify_message(bc);
	assert_string_equal(again, "package hello (bin/hello and 1 more program) needs the system "
				   "loader " LOADER ", which no base image provides");
	assert_non_null(strstr(fresh,
			       "package hello (bin/hello and 1 more program) needs the system "
			       "loader " LOADER " (also: nohash (bin/hello and 1 more program)),"));
	basecheck_free(bc);
	/* arm64 build: remembered, but these programs are not its machine's */
	bc = basecheck_new(PREFIX, "arm64");
	basecheck_set_cache(bc, cache.data);
	assert_int_equal(basecheck_load_package(bc, hello), 1);
	assert_int_equal(basecheck_count(bc), 0);
	basecheck_free(bc);
	/* another prefix, then a damaged entry: never scanned */
	bc = basecheck_new("/srv/env", "amd64");
	basecheck_set_cache(bc, cache.data);
	assert_int_equal(basecheck_load_package(bc, hello), 0);
	basecheck_free(bc);
	assert_int_equal(fs_write_atomic(entry.data, "{\"format\":1,", 12, &err), 0);
	bc = basecheck_new(PREFIX, "amd64");
	basecheck_set_cache(bc, cache.data);
	assert_int_equal(basecheck_load_package(bc, hello), 0);
	assert_int_equal(basecheck_count(bc), 0);
	basecheck_free(bc);
	free(fresh);
	free(again);
	free(stage);
	pkgrec_free(hello);
	pkgrec_free(nohash);
	buf_free(&cache);
	buf_free(&entry);
}

/* A new build with findings under dir: loading p gives found, then count needs. */
static void assert_loads(const char *dir, const pkgrec_t *p, int found, size_t count)
{
	basecheck_t *bc = basecheck_new(PREFIX, "amd64");
	basecheck_set_cache(bc, dir);
	assert_int_equal(basecheck_load_package(bc, p), found);
	assert_int_equal(basecheck_count(bc), count);
	basecheck_free(bc);
}

/* Findings travel with a cached layer (builder/scan_share.h): exported as the entry's canonical
 * document, imported on another machine only when valid for its prefix and format, under the
 * importing build's own package hash, never over a valid entry of its own; the imported entry
 * then decides as the scan would. */
static void test_findings_export_and_import_between_machines(void **state)
{
	testdir_t *f = *state;
	err_t err = ERR_INIT;
	buf_t a = BUF_INIT, b = BUF_INIT, doc = BUF_INIT, again = BUF_INIT, entry = BUF_INIT;
	buf_addf(&a, "%s/machine-a/basecheck", f->root.data);
	buf_addf(&b, "%s/machine-b/basecheck", f->root.data);
	put_elf(f, "hello", "bin/hello", &x86_prog, 0755);
	char *stage = stage_path(f, "hello", NULL);
	pkgrec_t *hello = rec("hello", NULL), *other = rec("other", NULL);
	set_hash(hello, 'a');
	set_hash(other, 'b');
	basecheck_t *bc = basecheck_new(PREFIX, "amd64");
	basecheck_set_cache(bc, a.data);
	assert_int_equal(basecheck_scan_package(bc, hello, stage, &err), 0);
	basecheck_free(bc);
	assert_int_equal(basecheck_findings_export(a.data, PREFIX, hello, &doc), 1);
	assert_string_equal(doc.data, "{\"format\":1,\"prefix\":\"" PREFIX "\",\"programs\":["
				      "{\"count\":1,\"file\":\"bin/hello\",\"interp\":\"" LOADER
				      "\",\"machine\":62}]}");
	assert_int_equal(basecheck_findings_export(a.data, "/srv/env", hello, &again), 0);
	assert_int_equal(again.len, 0);
	assert_int_equal(basecheck_findings_export(a.data, PREFIX, other, &again), 0);
	/* refused: another prefix, another format, malformed, a program without a file */
	static const char *const bad[] = {
		"{\"format\":1,\"prefix\":\"/srv/env\",\"programs\":[]}",
		"{\"format\":2,\"prefix\":\"" PREFIX "\",\"programs\":[]}",
		"{\"format\":1,\"prefix\":\"" PREFIX "\",\"programs\":[",
		"{\"format\":1,\"prefix\":\"" PREFIX "\",\"programs\":[{\"count\":1,\"file\":\"\","
		"\"interp\":\"/x\",\"machine\":62}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(
			basecheck_findings_import(b.data, PREFIX, hello, bad[i], strlen(bad[i])),
			0);
	assert_loads(b.data, hello, 0, 0);
	/* taken: machine b now decides for hello as machine a's scan did, without the tree */
	assert_int_equal(basecheck_findings_import(b.data, PREFIX, hello, doc.data, doc.len), 1);
	buf_addf(&entry, "%s/%s.json", b.data, hello->sha256);
	assert_true(fs_exists(entry.data));
	bc = basecheck_new(PREFIX, "amd64");
	basecheck_set_cache(bc, b.data);
	assert_int_equal(basecheck_load_package(bc, hello), 1);
	assert_int_equal(basecheck_count(bc), 1);
	assert_string_equal(basecheck_get(bc, 0)->file, "bin/hello");
	assert_string_equal(basecheck_get(bc, 0)->what, LOADER);
	basecheck_free(bc);
	/* a valid entry of its own stays: "no programs" for other is not replaced */
	static const char none[] = "{\"format\":1,\"prefix\":\"" PREFIX "\",\"programs\":[]}";
	assert_int_equal(basecheck_findings_import(b.data, PREFIX, other, none, strlen(none)), 1);
	assert_int_equal(basecheck_findings_import(b.data, PREFIX, other, doc.data, doc.len), 0);
	assert_loads(b.data, other, 1, 0);
	free(stage);
	pkgrec_free(hello);
	pkgrec_free(other);
	buf_free(&a);
	buf_free(&b);
	buf_free(&doc);
	buf_free(&again);
	buf_free(&entry);
}

/* The real thing, when tests/e2e/test_base_policy.sh runs this program: the fixture channel's
 * conda-forge-style hello package as installed (IMGBUILD_E2E_GLIBC_APP_TREE) needs the system
 * loader, and the layers of tests/fixtures/mkbase's image (IMGBUILD_E2E_BASE_LAYERS, blob
 * paths separated by ':') provide it. Skipped in plain unit runs. */
static void test_fixture_package_and_fixture_base(void **state)
{
	(void)state;
	const char *tree = getenv("IMGBUILD_E2E_GLIBC_APP_TREE");
	const char *layers = getenv("IMGBUILD_E2E_BASE_LAYERS");
	if (!tree || !layers)
		skip();
	pkgrec_t *r[] = {rec("hello", "__glibc >=2.17")};
	basecheck_t *bc = basecheck_new("/opt/conda/envs/e", "amd64");
	basefs_t *base = basefs_new();
	err_t err = ERR_INIT;
	basecheck_add_records(bc, (const pkgrec_t *const *)r, 1);
	assert_int_equal(basecheck_scan_tree(bc, "hello", tree, &err), 0);
	assert_int_equal(basecheck_count(bc), 2);
	assert_string_equal(basecheck_get(bc, 0)->file, "bin/hello");
	assert_string_equal(basecheck_get(bc, 0)->what, LOADER);
	assert_int_equal(basecheck_verify(bc, NULL, NULL, 0, NULL, NULL, &err), -1);
	assert_string_equal(err_msg(&err),
			    "package hello (bin/hello) needs the system loader " LOADER
			    ", which no base image provides");
	err_clear(&err);
	char *list = xstrdup(layers);
	for (char *p = list, *colon; p; p = colon ? colon + 1 : NULL) {
		if ((colon = strchr(p, ':')))
			*colon = '\0';
		if (*p && basefs_add_layer(base, p, &err))
			fail_msg("%s", err_msg(&err));
	}
	assert_int_equal(basecheck_base_has_libc(base, "amd64", NULL), 1);
	assert_int_equal(basecheck_verify(bc, base, "mkbase", 0, NULL, NULL, &err), 0);
	free(list);
	basefs_free(base);
	basecheck_free(bc);
	pkgrec_free(r[0]);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdir_setup, testdir_teardown)
	const struct CMUnitTest tests[] = {
		T(test_glibc_dependency_without_base_is_an_error_naming_the_package),
		T(test_program_asking_for_the_system_loader_is_named),
		T(test_files_that_are_not_programs_needing_a_system_loader_are_ignored),
		T(test_glibc_base_satisfies_every_need),
		T(test_base_lacking_loader_or_libc_is_an_error_saying_what_is_missing),
		T(test_program_need_is_met_by_its_own_interpreter),
		T(test_scratch_is_one_warning_and_no_error),
		T(test_order_and_message_do_not_depend_on_scan_order),
		T(test_hostile_names_cannot_break_the_message_line),
		T(test_scan_trees_skips_missing_trees),
		T(test_findings_are_remembered_per_package_and_prefix),
		T(test_findings_export_and_import_between_machines),
		T(test_fixture_package_and_fixture_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
