/* fuzz_repodata.c — a channel's repodata.json as imgbuild reads it: the checked parse that
 * channel.c runs on every download (repodata_parse), the record index written from it and
 * read back (repoindex), each record made into a pkgrec, then libsolv's own reader and a small
 * solve over the same bytes (solve_add_repodata without a cache dir parses the file again).
 * Properties: a document that passes the check never crashes libsolv; every record of it
 * converts and passes pkgrec_check; the index returns exactly the record jansson read; a
 * solved record is one of the document's. The one-pass scanner (repoindex_scan.h), which is
 * what a download meets first, runs on every input: it accepts exactly what the checked parse
 * accepts, finds every record's name, and the subset of all names parses back to the same
 * records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pkgrec.h"
#include "repodata.h"
#include "repoindex.h"
#include "repoindex_scan.h"
#include "solve.h"

#define WHERE "https://fuzz.example/chan/linux-64/repodata.json"

struct mem_reader {
	const uint8_t *p;
	size_t left;
};

/* jansson's callback reader over memory, in small pieces (as channel.c's file reader). */
static size_t read_mem(void *buffer, size_t len, void *data)
{
	struct mem_reader *r = data;
	size_t n = len < r->left ? len : r->left;
	if (n > 97)
		n = 97;
	memcpy(buffer, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

/* Every record through the index and pkgrec_from_json; returns the first record's name
 * (borrowed from root) for the solve, or NULL. */
static const char *check_records(json_t *root, const repoindex_t *ri)
{
	static const char *const maps[] = {"packages.conda", "packages"};
	const char *first = NULL, *fn;
	json_t *rec;
	for (int m = 0; m < 2; m++) {
		json_object_foreach (json_object_get(root, maps[m]), fn, rec) {
			err_t err = ERR_INIT;
			json_t *back = repoindex_get(ri, fn, &err);
			FUZZ_ASSERT(back && json_equal(back, rec), "index lost record %s: %s", fn,
				    err_msg(&err));
			pkgrec_t *r = pkgrec_from_json(fn, back, "https://fuzz.example/chan",
						       "linux-64", &err);
			FUZZ_ASSERT(r, "checked record %s refused: %s", fn, err_msg(&err));
			FUZZ_ASSERT(pkgrec_check(r, &err) == 0, "%s", err_msg(&err));
			if (!first)
				first = json_string_value(json_object_get(rec, "name"));
			pkgrec_free(r);
			json_decref(back);
		}
	}
	return first;
}

/* libsolv's reader on the same bytes, then a solve for one name. */
static void solve_with(const uint8_t *data, size_t size, const char *name)
{
	err_t err = ERR_INIT;
	buf_t path = BUF_INIT;
	solver_t *s = solve_new(&err);
	FUZZ_ASSERT(s, "%s", err_msg(&err));
	fuzz_write_file("repodata.json", data, size, &path);
	if (solve_add_repodata(s, "fuzz", "https://fuzz.example/chan", "linux-64", path.data, 0,
			       &err) != 0) {
		fuzz_check_message(&err, NULL);
		goto out;
	}
	if (name) {
		const char *specs[] = {name};
		solution_t *sol = solve_run(s, specs, 1, &err);
		for (size_t i = 0; i < solution_count(sol); i++)
			FUZZ_ASSERT(pkgrec_check(solution_get(sol, i), &err) == 0, "%s",
				    err_msg(&err));
		if (!sol)
			fuzz_check_message(&err, NULL);
		solution_free(sol);
	}
out:
	err_clear(&err);
	solve_free(s);
	buf_free(&path);
}

/* The scanner against the checked parse (root, or NULL when it refused). */
static void scan_agrees(const uint8_t *data, size_t size, json_t *root)
{
	static const char *const maps[] = {"packages.conda", "packages"};
	err_t err = ERR_INIT;
	buf_t sub = BUF_INIT;
	nameidx_t *ni = nameidx_scan_mem((const char *)data, size, WHERE, &err);
	if (!ni)
		fuzz_check_message(&err, NULL);
	/* jansson reads a NUL byte inside a number token as its end and goes on ("1.5\0, ...");
	 * the scanner refuses it: stricter is fine, so the other direction is asserted only for
	 * inputs without NUL bytes. */
	FUZZ_ASSERT(!ni || root, "the scanner accepts what the checked parse refuses");
	FUZZ_ASSERT(ni || !root || memchr(data, 0, size),
		    "the scanner refuses what the checked parse accepts: %s", err_msg(&err));
	if (!ni)
		goto out;
	const char *fn;
	json_t *rec;
	for (int m = 0; m < 2; m++)
		json_object_foreach (json_object_get(root, maps[m]), fn, rec) {
			const char *name = json_string_value(json_object_get(rec, "name"));
			long id = nameidx_find(ni, name, strlen(name));
			FUZZ_ASSERT(id >= 0 && nameidx_records_of(ni, (size_t)id) > 0,
				    "the scanner lost the records of %s (%s)", name, fn);
		}
	for (size_t i = 0; i < nameidx_count(ni); i++)
		nameidx_select(ni, i);
	nameidx_subset(ni, &sub);
	json_t *back = repodata_parse_mem(sub.data, sub.len, WHERE, &err);
	FUZZ_ASSERT(back, "the subset of every name does not parse: %s", err_msg(&err));
	for (int m = 0; m < 2; m++) {
		json_t *a = json_object_get(root, maps[m]), *b = json_object_get(back, maps[m]);
		FUZZ_ASSERT((!a && !b) || (a && b && json_equal(a, b)),
			    "the subset of every name lost records of %s", maps[m]);
	}
	json_decref(back);
out:
	nameidx_free(ni);
	err_clear(&err);
	buf_free(&sub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	err_t err = ERR_INIT;
	buf_t idx = BUF_INIT;
	struct mem_reader mr = {data, size};
	json_t *root = repodata_parse(read_mem, &mr, WHERE, &err);
	repoindex_t *ri = NULL;
	scan_agrees(data, size, root);
	if (!root) {
		fuzz_check_message(&err, NULL);
		goto out;
	}
	buf_setstr(&idx, fuzz_scratch());
	buf_addpath(&idx, "records.idx");
	FUZZ_ASSERT(repoindex_write_checked(idx.data, root, &err) == 0, "%s", err_msg(&err));
	ri = repoindex_open(idx.data, &err);
	FUZZ_ASSERT(ri, "%s", err_msg(&err));
	solve_with(data, size, check_records(root, ri));
out:
	repoindex_free(ri);
	json_decref(root);
	err_clear(&err);
	buf_free(&idx);
	return 0;
}
