/* test_repodata.c — hostile repodata (conda/repodata.c, the checks channel.c, solve.c and the
 * record index run before libsolv or the installer read a document): each test is one attack
 * from issue 10, played through the public entry points (a file:// channel fetch, the solver,
 * pkgrec_from_json) and refused with a message naming the channel and the record. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "channel.h"
#include "fsutil.h"
#include "pkgrec.h"
#include "repodata.h"
#include "repoindex.h"
#include "repoindex_scan.h"
#include "solve.h"

static buf_t tmpdir = BUF_INIT;

/* <tmp>/<chan>/<subdir>/repodata.json holding text; its path (caller frees). */
static char *write_repodata(const char *chan, const char *subdir, const char *text)
{
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&p, "%s/%s/%s", tmpdir.data, chan, subdir);
	assert_int_equal(fs_mkdir_p(p.data, &err), 0);
	buf_addstr(&p, "/repodata.json");
	assert_int_equal(fs_write_atomic(p.data, text, strlen(text), &err), 0);
	return buf_detach(&p);
}

static void channel_url(const char *chan, buf_t *out)
{
	buf_reset(out);
	buf_addf(out, "file://%s/%s", tmpdir.data, chan);
}

/* channel_fetch_repodata of <chan>/linux-64 must fail with each of the needles. */
static void expect_fetch_refused(const char *chan, const char *text, const char *want1,
				 const char *want2)
{
	buf_t url = BUF_INIT, path = BUF_INIT, cache = BUF_INIT;
	err_t err = ERR_INIT;
	free(write_repodata(chan, "linux-64", text));
	channel_url(chan, &url);
	buf_addf(&cache, "%s/cache-%s", tmpdir.data, chan);
	assert_int_equal(
		channel_fetch_repodata(NULL, url.data, "linux-64", cache.data, 0, &path, &err), -1);
	if (!strstr(err_msg(&err), url.data) || !strstr(err_msg(&err), want1) ||
	    (want2 && !strstr(err_msg(&err), want2)))
		fail_msg("error '%s' lacks the URL, '%s' or '%s'", err_msg(&err), want1,
			 want2 ? want2 : "");
	err_clear(&err);
	buf_free(&url);
	buf_free(&path);
	buf_free(&cache);
}

/* solve_add_repodata of <chan>/<subdir> (no cache: the solver parses it itself); returns its
 * result and leaves the message in err. */
static int add_to_solver(solver_t *s, const char *chan, const char *subdir, const char *text,
			 err_t *err)
{
	buf_t url = BUF_INIT;
	char *path = write_repodata(chan, subdir, text);
	channel_url(chan, &url);
	int rc = solve_add_repodata(s, chan, url.data, subdir, path, 0, err);
	free(path);
	buf_free(&url);
	return rc;
}

static solver_t *new_solver(void)
{
	err_t err = ERR_INIT;
	solver_t *s = solve_new(&err);
	if (!s)
		fail_msg("%s", err_msg(&err));
	return s;
}

static void assert_contains(const err_t *err, const char *needle)
{
	if (!strstr(err_msg(err), needle))
		fail_msg("error '%s' does not contain '%s'", err_msg(err), needle);
}

#define REC(fn, name, ver, build)                                                                  \
	"\"" fn "\": {\"name\": \"" name "\", \"version\": \"" ver "\", \"build\": \"" build       \
	"\", \"build_number\": 0, \"depends\": [], \"subdir\": \"linux-64\"}"

/* ---- shape: what crashed libsolv ---- */

static void test_info_holding_an_object_with_package_fields_is_refused_before_libsolv(void **state)
{
	(void)state;
	static const char doc[] = "{\"info\": {\"x\": {\"depends\": [\"a\"]}}, \"packages\": {}}";
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	/* libsolv 0.7.23's repo_add_conda dereferenced a NULL key here (exit 139) */
	assert_int_equal(add_to_solver(s, "info-object", "linux-64", doc, &err), -1);
	assert_contains(&err, "info.x must be a plain value");
	assert_contains(&err, "info-object/linux-64");
	err_clear(&err);
	solve_free(s);
	expect_fetch_refused("info-object-fetch", doc, "info.x must be a plain value", NULL);
}

static void test_info_holding_an_array_is_refused_before_libsolv(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	assert_int_equal(
		add_to_solver(s, "info-array", "linux-64",
			      "{\"info\": {\"subdir\": \"linux-64\", \"y\": [\"subdir\"]}}", &err),
		-1);
	assert_contains(&err, "info.y must be a plain value");
	err_clear(&err);
	solve_free(s);
}

static void test_records_that_are_not_objects_or_of_wrong_types_are_refused(void **state)
{
	(void)state;
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{"{\"packages.conda\": [1, 2]}", "\"packages.conda\" must be an object"},
		{"{\"packages.conda\": {\"x-1-0.conda\": 5}}",
		 "record 'x-1-0.conda' is not an object"},
		{"{\"packages.conda\": {\"x-1-0.conda\": {\"name\": \"x\", \"version\": \"1\", "
		 "\"build\": \"0\", \"depends\": \"a\"}}}",
		 "\"depends\" must be a list of strings"},
		{"{\"packages.conda\": {\"x-1-0.conda\": {\"name\": \"x\", \"version\": 1, "
		 "\"build\": "
		 "\"0\"}}}",
		 "\"version\" must be a string"},
		{"{\"packages.conda\": {\"x-1-0.conda\": {\"name\": \"x\", \"version\": \"1\", "
		 "\"build\": \"0\", \"size\": -5}}}",
		 "\"size\" must be a non-negative integer"},
		{"{\"packages\": {\"x-1-0.conda\": {\"name\": \"x\", \"version\": \"1\", "
		 "\"build\": "
		 "\"0\"}}}",
		 "not a .tar.bz2 file name"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err_t err = ERR_INIT;
		solver_t *s = new_solver();
		if (add_to_solver(s, "wrong-types", "linux-64", cases[i].doc, &err) == 0)
			fail_msg("accepted %s", cases[i].doc);
		assert_contains(&err, cases[i].want);
		err_clear(&err);
		solve_free(s);
	}
}

/* fuzz_repodata: real repodata has "depends": null; the check took it but the record reader
 * refused the solver's choice ("depends/constrains must be lists of strings"). */
static void test_record_with_null_depends_is_installable(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	const char *specs[] = {"x"};
	if (add_to_solver(
		    s, "null-depends", "linux-64",
		    "{\"packages.conda\": {\"x-1-0.conda\": {\"name\": \"x\", \"version\": \"1\", "
		    "\"build\": \"0\", \"depends\": null, \"constrains\": null}}}",
		    &err) != 0)
		fail_msg("%s", err_msg(&err));
	solution_t *sol = solve_run(s, specs, 1, &err);
	if (!sol)
		fail_msg("%s", err_msg(&err));
	assert_non_null(solution_find(sol, "x"));
	solution_free(sol);
	solve_free(s);
}

/* fuzz_repodata (LeakSanitizer): libsolv refused a record whose subdir differs from
 * info.subdir with "subdir mismatch" and leaked; it is refused first, naming the record. */
static void test_record_subdir_other_than_the_documents_is_refused_naming_it(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	assert_int_equal(
		add_to_solver(s, "subdir-mismatch", "linux-64",
			      "{\"info\": {\"subdir\": \"linux-64\"}, \"packages.conda\": {"
			      "\"x-1-0.conda\": {\"name\": \"x\", \"version\": \"1\", "
			      "\"build\": \"0\", \"subdir\": \"osx-64\"}}}",
			      &err),
		-1);
	assert_contains(&err, "record 'x-1-0.conda': subdir 'osx-64' differs from info.subdir");
	err_clear(&err);
	solve_free(s);
}

/* ---- duplicate keys (issue 10, #5) ---- */

static void test_duplicate_key_in_a_record_is_refused_naming_the_url_and_key(void **state)
{
	(void)state;
	expect_fetch_refused(
		"dup-field",
		"{\"packages.conda\": {\"x-1-0.conda\": {\"name\": \"x\", \"version\": "
		"\"1\",\n \"version\": \"2\", \"build\": \"0\"}}}",
		"duplicate key (line 2", "\"version\"");
}

/* libsolv kept the first of two same-named records and jansson the last: a `>=2` pin solved
 * to 2.0 and installed the 1.0 record. */
static void test_duplicate_record_key_cannot_install_another_version_than_solved(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	const char *specs[] = {"x >=2"};
	int rc =
		add_to_solver(s, "dup-record", "linux-64",
			      "{\"info\": {\"subdir\": \"linux-64\"}, \"packages.conda\": {"
			      "\"x-1-0.conda\": {\"name\": \"x\", \"version\": \"2.0\", \"build\": "
			      "\"0\"},\n\"x-1-0.conda\": {\"name\": \"x\", \"version\": \"1.0\", "
			      "\"build\": \"0\"}}}",
			      &err);
	if (rc == 0) {
		solution_t *sol = solve_run(s, specs, 1, &err);
		const pkgrec_t *x = solution_find(sol, "x");
		fail_msg("accepted; the solve of 'x >=2' gives x %s", x ? x->version : "(none)");
	}
	assert_contains(&err, "duplicate key (line 2");
	assert_contains(&err, "x-1-0.conda");
	err_clear(&err);
	solve_free(s);
}

/* ---- file-name fields (issue 10, #1) ---- */

static void test_record_fields_that_would_leave_the_staging_tree_are_refused(void **state)
{
	(void)state;
	static const struct {
		const char *fn, *name, *version, *build, *want;
	} cases[] = {
		{"x-1-..%2F..%2Fetc.conda", "x", "1", "../../etc", "build '../../etc'"},
		{"x-..%2F1-0.conda", "x", "../1", "0", "version '../1'"},
		{"..-1-0.conda", "..", "1", "0", "name '..'"},
		{"a%2Fb-1-0.conda", "a/b", "1", "0", "name 'a/b'"},
		{"X-1-0.conda", "X", "1", "0", "name 'X'"},
		{"x-1-0 1.conda", "x", "1", "0 1", "build '0 1'"},
		{"y-1-0.conda", "x", "1", "0", "the file name must be x-1-0.conda"},
		{"x-1-0.zip", "x", "1", "0", "the file name must be x-1-0.conda"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err_t err = ERR_INIT;
		json_t *rec = json_pack("{s:s, s:s, s:s}", "name", cases[i].name, "version",
					cases[i].version, "build", cases[i].build);
		pkgrec_t *r = pkgrec_from_json(cases[i].fn, rec, "file:///chan", "linux-64", &err);
		if (r)
			fail_msg("record %s accepted", cases[i].fn);
		assert_contains(&err, cases[i].want);
		err_clear(&err);
		json_decref(rec);
	}
}

static void test_record_with_dotdot_build_is_refused_by_the_channel_fetch(void **state)
{
	(void)state;
	expect_fetch_refused(
		"dotdot",
		"{\"packages.conda\": {\"x-1-..%2Fx.conda\": {\"name\": \"x\", \"version\": "
		"\"1\", \"build\": \"../x\"}}}",
		"record 'x-1-..%2Fx.conda'", "build '../x'");
}

static void test_subdir_that_is_not_a_platform_is_refused(void **state)
{
	(void)state;
	expect_fetch_refused("bad-subdir",
			     "{\"info\": {\"subdir\": \"../..\"}, \"packages.conda\": {}}",
			     "info.subdir is not a conda platform", NULL);
	expect_fetch_refused(
		"bad-record-subdir",
		"{\"packages.conda\": {\"x-1-0.conda\": {\"name\": \"x\", \"version\": "
		"\"1\", \"build\": \"0\", \"subdir\": \"a/b\"}}}",
		"subdir 'a/b' is not a conda platform", NULL);
}

/* libsolv names a record's file by its "fn" field, the index by its key: two records could
 * swap places between what was solved and what is installed. */
static void test_fn_field_naming_another_record_is_refused(void **state)
{
	(void)state;
	expect_fetch_refused(
		"fn-field",
		"{\"packages.conda\": {" REC("a-1-0.conda", "a", "1",
					     "0") ", "
						  "\"b-2-0.conda\": {\"name\": \"b\", \"version\": "
						  "\"2\", \"build\": \"0\", "
						  "\"fn\": \"a-1-0.conda\"}}}",
		"record 'b-2-0.conda': its \"fn\" field names another file", NULL);
}

/* The message for a file name that cannot be in any index is not "stale index; delete it". */
static void test_a_file_name_with_a_slash_is_not_blamed_on_a_stale_index(void **state)
{
	(void)state;
	buf_t idx = BUF_INIT;
	err_t err = ERR_INIT;
	json_t *root = json_loads("{\"packages.conda\": {" REC("a-1-0.conda", "a", "1", "0") "}}",
				  0, NULL);
	buf_addf(&idx, "%s/slash.idx", tmpdir.data);
	assert_int_equal(repoindex_write(idx.data, root, &err), 0);
	repoindex_t *ri = repoindex_open(idx.data, &err);
	assert_non_null(ri);
	assert_null(repoindex_get(ri, "x/a-1-0.conda", &err));
	assert_null(strstr(err_msg(&err), "stale"));
	assert_contains(&err, "not a package file name");
	err_clear(&err);
	repoindex_free(ri);
	json_decref(root);
	buf_free(&idx);
}

/* The record index is written only for a document that passes the check, so a solver that
 * finds an index never hands an unchecked document to libsolv. */
static void test_record_index_is_not_written_for_an_unchecked_document(void **state)
{
	(void)state;
	buf_t idx = BUF_INIT;
	err_t err = ERR_INIT;
	json_t *root = json_loads("{\"info\": {\"x\": {\"depends\": [\"a\"]}}}", 0, NULL);
	buf_addf(&idx, "%s/unchecked.idx", tmpdir.data);
	assert_int_equal(repoindex_write(idx.data, root, &err), -1);
	assert_false(fs_exists(idx.data));
	assert_contains(&err, "info.x must be a plain value");
	err_clear(&err);
	json_decref(root);
	buf_free(&idx);
}

/* ---- caps (issue 10, #10) ---- */

/* n records of package "x" in packages.conda (and, when twins, the same dists as .tar.bz2). */
static void many_records(buf_t *out, int n, int twins)
{
	buf_setstr(out, "{\"info\": {\"subdir\": \"linux-64\"}, \"packages.conda\": {");
	for (int pass = 0; pass < (twins ? 2 : 1); pass++) {
		if (pass)
			buf_addstr(out, "}, \"packages\": {");
		for (int i = 0; i < n; i++)
			buf_addf(out,
				 "%s\"x-1.%d-0%s\": {\"name\": \"x\", \"version\": \"1.%d\", "
				 "\"build\": \"0\"}",
				 i ? ", " : "", i, pass ? ".tar.bz2" : ".conda", i);
	}
	buf_addstr(out, "}}");
}

static void test_more_records_of_one_name_than_the_cap_are_refused(void **state)
{
	(void)state;
	buf_t doc = BUF_INIT;
	many_records(&doc, REPODATA_MAX_RECORDS_PER_NAME + 1, 0);
	expect_fetch_refused("per-name-cap", doc.data, "more than 8000 records of package 'x'",
			     NULL);
	/* at the cap, and with each record also as a .tar.bz2 twin, the channel is fine */
	buf_t url = BUF_INIT, path = BUF_INIT, cache = BUF_INIT;
	err_t err = ERR_INIT;
	many_records(&doc, REPODATA_MAX_RECORDS_PER_NAME, 1);
	free(write_repodata("at-cap", "linux-64", doc.data));
	channel_url("at-cap", &url);
	buf_addf(&cache, "%s/cache-at-cap", tmpdir.data);
	if (channel_fetch_repodata(NULL, url.data, "linux-64", cache.data, 0, &path, &err) != 0)
		fail_msg("%s", err_msg(&err));
	buf_free(&doc);
	buf_free(&url);
	buf_free(&path);
	buf_free(&cache);
}

/* Each subdir under the cap, the solve over both above it: refused before libsolv builds its
 * quadratic rules, even for a request that does not name the package. */
static void test_records_of_one_name_are_capped_across_a_whole_solve(void **state)
{
	(void)state;
	buf_t doc = BUF_INIT;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	const char *specs[] = {"y"};
	many_records(&doc, REPODATA_MAX_RECORDS_PER_NAME / 2 + 1, 0);
	if (add_to_solver(s, "cap-a", "linux-64", doc.data, &err) != 0 ||
	    add_to_solver(s, "cap-b", "linux-64", doc.data, &err) != 0 ||
	    add_to_solver(s, "cap-b", "noarch",
			  "{\"packages.conda\": {\"y-1-0.conda\": {\"name\": \"y\", \"version\": "
			  "\"1\", \"build\": \"0\"}}}",
			  &err) != 0)
		fail_msg("%s", err_msg(&err));
	solution_t *sol = solve_run(s, specs, 1, &err);
	assert_null(sol);
	assert_contains(&err, "more than 8000 records of package 'x'");
	err_clear(&err);
	solve_free(s);
	buf_free(&doc);
}

/* ---- sparse loading (issue 14, part 2) ---- */

#define DEP(fn, name, deps, cons)                                                                  \
	"\"" fn "\": {\"name\": \"" name "\", \"version\": \"1\", \"build\": \"0\", \"depends\": " \
	"[" deps "], \"constrains\": [" cons "]}"

/* a -> b -> d (a dependency of a dependency), a constrains c, e unreachable, f only named
 * by e; each name has two records (a .conda and its .tar.bz2 twin for a). */
static const char sparse_doc[] =
	"{\"info\": {\"subdir\": \"linux-64\"}, \"packages\": {" DEP(
		"a-1-0.tar.bz2", "a", "\"b >=1\"",
		"\"c <2\"") "}, "
			    "\"packages.conda\": {" DEP("a-1-0.conda", "a", "\"b >=1\"", "\"c <2\"") ", " DEP(
				    "b-1-0.conda", "b", "\"d\"",
				    "") ", " DEP("c-1-0.conda", "c", "",
						 "") ", " DEP("d-1-0.conda", "d", "",
							      "") ", " DEP("e-1-0.conda", "e",
									   "\"f\"",
									   "") ", " DEP("f-1-0."
											"conda",
											"f", "",
											"") "}}";

static void test_records_of_unreachable_names_are_not_loaded(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	const char *specs[] = {"a"};
	if (add_to_solver(s, "sparse", "linux-64", sparse_doc, &err) != 0)
		fail_msg("%s", err_msg(&err));
	solution_t *sol = solve_run(s, specs, 1, &err);
	if (!sol)
		fail_msg("%s", err_msg(&err));
	/* a (its twins merged by libsolv), b, c (only constrained), d (b's dependency); not e
	 * nor f */
	assert_int_equal(solve_records_loaded(s), 4);
	assert_non_null(solution_find(sol, "d"));
	assert_null(solution_find(sol, "c"));
	solution_free(sol);
	solve_free(s);
}

/* The closure crosses documents: a noarch record's dependency is a linux-64 name. */
static void test_a_name_reached_through_another_subdir_is_loaded(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	const char *specs[] = {"n"};
	if (add_to_solver(s, "sparse2", "linux-64", sparse_doc, &err) != 0 ||
	    add_to_solver(s, "sparse2", "noarch",
			  "{\"packages.conda\": {" DEP("n-1-0.conda", "n", "\"e\"", "") "}}",
			  &err) != 0)
		fail_msg("%s", err_msg(&err));
	solution_t *sol = solve_run(s, specs, 1, &err);
	if (!sol)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(solve_records_loaded(s), 3); /* n, e, f */
	assert_non_null(solution_find(sol, "f"));
	solution_free(sol);
	solve_free(s);
}

/* A record no solve would load is still checked: the document is refused as a whole. */
static void test_a_malformed_unreachable_record_still_refuses_the_document(void **state)
{
	(void)state;
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{"{\"packages.conda\": {" DEP("a-1-0.conda", "a", "", "") ",\n\"e-1-0.conda\": "
									  "{\"name\": \"e\",}}}",
		 "not valid JSON (line 2"},
		{"{\"packages.conda\": {" DEP("a-1-0.conda", "a", "",
					      "") ",\n\"e-1-0.conda\": "
						  "{\"name\": \"e\", \"x\": "
						  "{\"k\": 1, \"k\": 2}}}}",
		 "duplicate key (line 2"},
		{"{\"packages.conda\": {" DEP("a-1-0.conda", "a", "",
					      "") ", " DEP("e-1-0.conda", "e", "1", "") "}}",
		 "\"depends\" must be a list of strings"},
		{"{\"packages.conda\": {" DEP("a-1-0.conda", "a", "",
					      "") ", " DEP("e-1-0.conda", "..", "", "") "}}",
		 "name '..'"},
		{"{\"packages.conda\": {" DEP("a-1-0.conda", "a", "", "") "}} x",
		 "end of file expected"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err_t err = ERR_INIT;
		solver_t *s = new_solver();
		if (add_to_solver(s, "unreachable-bad", "linux-64", cases[i].doc, &err) == 0)
			fail_msg("accepted %s", cases[i].doc);
		assert_contains(&err, cases[i].want);
		assert_contains(&err, "unreachable-bad/linux-64");
		err_clear(&err);
		/* jansson + repodata_check refuse the same documents */
		json_t *root = repodata_parse_mem(cases[i].doc, strlen(cases[i].doc), "doc", &err);
		assert_null(root);
		assert_contains(&err, cases[i].want);
		err_clear(&err);
		solve_free(s);
	}
}

/* Fuzz finds in the one-pass scanner: a key or value that is not UTF-8, and a lone surrogate
 * escape, passed the scan although jansson refuses them; a syntax error right after
 * "subdir": decoded a string that was never read (UBSan: offset on a null pointer). The
 * scanner and the checked parse refuse each, and accept what is valid. */
static void test_the_scanner_refuses_what_jansson_refuses(void **state)
{
	(void)state;
	static const struct {
		const char *doc, *want; /* want NULL: both accept */
	} cases[] = {
		{"{\"info\": {\"subdir\": \"linux-64\"}, \"pa\xff\xff"
		 "ckages\": {}}",
		 "UTF-8"},
		{"{\"info\": {\"x\": \"\xed\xa0\x80\"}}", "UTF-8"}, /* a surrogate, as UTF-8 */
		{"{\"info\": {\"x\": \"\xc0\xaf\"}}", "UTF-8"},     /* overlong '/' */
		{"{\"info\": {\"x\": \"\\udc00\"}}", "surrogate"},  /* lone low */
		{"{\"info\": {\"x\": \"\\ud800x\"}}", "surrogate"}, /* lone high */
		{"{\"info\": {\"subdir\": 2\"win-64\"}, \"packages\": {}}", ""},
		{"{\"info\": {\"x\": \"\xc3\xa9 \xf0\x9f\x90\x8d \\ud83d\\udc0d\"}}", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err_t err = ERR_INIT;
		const char *doc = cases[i].doc;
		nameidx_t *ni = nameidx_scan_mem(doc, strlen(doc), "doc", &err);
		json_t *root = repodata_parse_mem(doc, strlen(doc), "doc", &err);
		if (cases[i].want) {
			if (ni)
				fail_msg("the scanner accepted case %zu", i);
			assert_null(root);
		} else {
			if (!ni || !root)
				fail_msg("case %zu refused: %s", i, err_msg(&err));
		}
		nameidx_free(ni);
		json_decref(root);
		err_clear(&err);
	}
	err_t err = ERR_INIT;
	assert_null(nameidx_scan_mem(cases[0].doc, strlen(cases[0].doc), "doc", &err));
	assert_contains(&err, "invalid UTF-8");
	err_clear(&err);
	assert_null(nameidx_scan_mem(cases[3].doc, strlen(cases[3].doc), "doc", &err));
	assert_contains(&err, "lone surrogate");
	err_clear(&err);
}

/* With a cache: the second solve of the same inputs finds its subsets and gives the same
 * answer (the warm path: .solv and record index of each subset, no JSON parsed). */
static void test_a_warm_solve_reuses_the_subsets(void **state)
{
	(void)state;
	buf_t cache = BUF_INIT, url = BUF_INIT;
	err_t err = ERR_INIT;
	const char *specs[] = {"a"};
	char *path = write_repodata("sparse-warm", "linux-64", sparse_doc);
	buf_addf(&cache, "%s/cache-sparse-warm", tmpdir.data);
	channel_url("sparse-warm", &url);
	for (int pass = 0; pass < 2; pass++) {
		solver_t *s = new_solver();
		solve_set_cache_dir(s, cache.data);
		if (solve_add_repodata(s, "c", url.data, "linux-64", path, 0, &err) != 0)
			fail_msg("%s", err_msg(&err));
		solution_t *sol = solve_run(s, specs, 1, &err);
		if (!sol)
			fail_msg("%s", err_msg(&err));
		assert_int_equal(solve_records_loaded(s), 4);
		assert_string_equal(solution_find(sol, "b")->fn, "b-1-0.conda");
		solution_free(sol);
		solve_free(s);
	}
	free(path);
	buf_free(&cache);
	buf_free(&url);
}

static int group_setup(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	const char *t = getenv("TMPDIR");
	return fs_mkdtemp(t && *t ? t : "/tmp", "test_repodata.", &tmpdir, &err);
}

static int group_teardown(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	fs_rm_rf(tmpdir.data, &err);
	buf_free(&tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_info_holding_an_object_with_package_fields_is_refused_before_libsolv),
		cmocka_unit_test(test_info_holding_an_array_is_refused_before_libsolv),
		cmocka_unit_test(test_records_that_are_not_objects_or_of_wrong_types_are_refused),
		cmocka_unit_test(test_record_with_null_depends_is_installable),
		cmocka_unit_test(test_record_subdir_other_than_the_documents_is_refused_naming_it),
		cmocka_unit_test(test_duplicate_key_in_a_record_is_refused_naming_the_url_and_key),
		cmocka_unit_test(
			test_duplicate_record_key_cannot_install_another_version_than_solved),
		cmocka_unit_test(test_record_fields_that_would_leave_the_staging_tree_are_refused),
		cmocka_unit_test(test_record_with_dotdot_build_is_refused_by_the_channel_fetch),
		cmocka_unit_test(test_subdir_that_is_not_a_platform_is_refused),
		cmocka_unit_test(test_fn_field_naming_another_record_is_refused),
		cmocka_unit_test(test_a_file_name_with_a_slash_is_not_blamed_on_a_stale_index),
		cmocka_unit_test(test_record_index_is_not_written_for_an_unchecked_document),
		cmocka_unit_test(test_more_records_of_one_name_than_the_cap_are_refused),
		cmocka_unit_test(test_records_of_one_name_are_capped_across_a_whole_solve),
		cmocka_unit_test(test_records_of_unreachable_names_are_not_loaded),
		cmocka_unit_test(test_a_name_reached_through_another_subdir_is_loaded),
		cmocka_unit_test(test_a_malformed_unreachable_record_still_refuses_the_document),
		cmocka_unit_test(test_a_warm_solve_reuses_the_subsets),
		cmocka_unit_test(test_the_scanner_refuses_what_jansson_refuses),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
