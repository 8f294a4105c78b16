/* repodata.c — repodata.json parsed once with duplicate keys refused, and its shape checked
 * before libsolv sees it (see repodata.h). libsolv 0.7.23's reader (ext/repo_conda.c) walks
 * "info" without skipping nested values and compares keys that are NULL inside them, so an
 * object or array there crashes it: info may hold plain values only. */
#include "repodata.h"
#include "buf.h"
#include "repodata_int.h"
#include "pkgrec.h"

#include <stdio.h>
#include <string.h>

#define REPODATA_JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* "URL: not valid JSON (line 2, column 7: ...)"; a duplicate key says why it matters. */
static int parse_failed(const json_error_t *jerr, const char *where, err_t *err)
{
	if (!strncmp(jerr->text, "duplicate object key", 20))
		return err_set(err,
			       "%s: duplicate key (line %d, column %d: %s): refused, as libsolv "
			       "would read the first value and imgbuild the last; the channel's "
			       "repodata is malformed",
			       where, jerr->line, jerr->column, jerr->text);
	if (jerr->line < 1) /* no position: jansson could not read the input at all */
		return err_set(err, "%s: not valid JSON (%s)", where, jerr->text);
	return err_set(err, "%s: not valid JSON (line %d, column %d: %s)", where, jerr->line,
		       jerr->column, jerr->text);
}

/* Wraps a finished parse: the error or the shape check. */
static json_t *checked(json_t *root, const json_error_t *jerr, const char *where, err_t *err)
{
	if (!root) {
		parse_failed(jerr, where, err);
		return NULL;
	}
	if (repodata_check(root, where, err) != 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}

json_t *repodata_parse(json_load_callback_t cb, void *data, const char *where, err_t *err)
{
	json_error_t jerr;
	json_t *root = json_load_callback(cb, data, REPODATA_JSON_FLAGS, &jerr);
	return checked(root, &jerr, where, err);
}

json_t *repodata_parse_file(const char *path, const char *where, err_t *err)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, REPODATA_JSON_FLAGS, &jerr);
	return checked(root, &jerr, where, err);
}

json_t *repodata_parse_mem(const char *data, size_t len, const char *where, err_t *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, REPODATA_JSON_FLAGS, &jerr);
	return checked(root, &jerr, where, err);
}

/* ---- shape ---- */

/* The record fields libsolv's reader or imgbuild's (pkgrec.c) look at; null is "absent".
 * Others are kept as they are (conda-meta copies the record). */
static const struct repodata_field record_fields[] = {
	{"name", T_STRING | T_REQUIRED},
	{"version", T_STRING | T_REQUIRED},
	{"build", T_STRING | T_REQUIRED},
	{"build_number", T_UINT},
	{"depends", T_STRLIST},
	{"requires", T_STRLIST},
	{"constrains", T_STRLIST},
	{"track_features", T_STRING | T_STRLIST},
	{"license", T_STRING},
	{"md5", T_STRING},
	{"sha256", T_STRING},
	{"fn", T_STRING},
	{"subdir", T_STRING},
	{"size", T_UINT},
	{"timestamp", T_NUMBER},
	{"noarch", T_STRING | T_BOOL},
	{"url", T_STRING},
	{"channel", T_STRING},
};

/* A string with no NUL inside (jansson keeps "\u0000", libsolv's reader would cut there). */
static int is_clean_string(json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static int has_type(json_t *v, unsigned types)
{
	if ((types & T_STRING) && is_clean_string(v))
		return 1;
	if ((types & T_UINT) && json_is_integer(v) && json_integer_value(v) >= 0)
		return 1;
	if ((types & T_NUMBER) && json_is_number(v) && json_number_value(v) >= 0)
		return 1;
	if ((types & T_BOOL) && json_is_boolean(v))
		return 1;
	if ((types & T_STRLIST) && json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!is_clean_string(json_array_get(v, i)))
				return 0;
		return 1;
	}
	return 0;
}

const struct repodata_field *repodata_record_fields(size_t *n)
{
	*n = sizeof record_fields / sizeof record_fields[0];
	return record_fields;
}

const char *repodata_type_words(unsigned types)
{
	if (types & T_STRLIST)
		return types & T_STRING ? "a string or a list of strings" : "a list of strings";
	if (types & T_UINT)
		return "a non-negative integer";
	if (types & T_NUMBER)
		return "a non-negative number";
	return types & T_BOOL ? "a string or a boolean" : "a string without NUL characters";
}

static int check_record_fields(json_t *rec, const char *fn, err_t *err)
{
	for (size_t i = 0; i < sizeof record_fields / sizeof record_fields[0]; i++) {
		const struct repodata_field *f = &record_fields[i];
		json_t *v = json_object_get(rec, f->key);
		if ((!v || json_is_null(v)) && !(f->types & T_REQUIRED))
			continue;
		if (!v || !has_type(v, f->types))
			return err_set(err, "record '%.100s': \"%s\" must be %s", fn, f->key,
				       repodata_type_words(f->types));
	}
	return 0;
}

int repodata_check_names(const struct repodata_names *n, err_t *err)
{
	pkgrec_t r = {
		.name = (char *)n->name,
		.version = (char *)n->version,
		.build = (char *)n->build,
		.build_number = n->build_number,
		.subdir = (char *)(n->subdir ? n->subdir : n->info_subdir),
		.fn = (char *)n->fn,
	};
	if (n->fn_field && strcmp(n->fn_field, n->fn) != 0)
		return err_set(err, "record '%.100s': its \"fn\" field names another file", n->fn);
	/* libsolv 0.7.23 refuses the whole document then (and leaks on that path): say which. */
	if (n->subdir && n->info_subdir && strcmp(n->subdir, n->info_subdir) != 0)
		return err_set(err, "record '%.100s': subdir '%.64s' differs from info.subdir '%s'",
			       n->fn, n->subdir, n->info_subdir);
	return pkgrec_check(&r, err);
}

/* pkgrec_check's grammar on the record's borrowed strings (no copies: this runs on every
 * record of a channel). */
static int check_record_grammar(json_t *rec, const char *fn, const char *info_subdir, err_t *err)
{
	json_t *bn = json_object_get(rec, "build_number");
	struct repodata_names n = {
		.fn = fn,
		.name = json_string_value(json_object_get(rec, "name")),
		.version = json_string_value(json_object_get(rec, "version")),
		.build = json_string_value(json_object_get(rec, "build")),
		.build_number = json_is_integer(bn) ? (long)json_integer_value(bn) : 0,
		.subdir = json_string_value(json_object_get(rec, "subdir")),
		.info_subdir = info_subdir,
		.fn_field = json_string_value(json_object_get(rec, "fn")),
	};
	return repodata_check_names(&n, err);
}

/* Counts a record of name in counts; -1 past the per-name cap. */
static int count_name(json_t *counts, const char *name, const char *where, err_t *err)
{
	json_t *c = json_object_get(counts, name);
	json_int_t n = c ? json_integer_value(c) + 1 : 1;
	if (n > REPODATA_MAX_RECORDS_PER_NAME)
		return err_set(err,
			       "%s: more than %d records of package '%.100s' (the solver's cost "
			       "grows with the square of that number); refusing the channel",
			       where, REPODATA_MAX_RECORDS_PER_NAME, name);
	if (c)
		json_integer_set(c, n);
	else
		json_object_set_new(counts, name, json_integer(n));
	return 0;
}

/* 1 when fn is "<dist>.tar.bz2" and packages_conda also holds "<dist>.conda". */
static int has_conda_twin(const char *fn, json_t *packages_conda)
{
	size_t n = strlen(fn);
	buf_t twin = BUF_INIT;
	if (!packages_conda || n < 8 || strcmp(fn + n - 8, ".tar.bz2") != 0)
		return 0;
	buf_add(&twin, fn, n - 8);
	buf_addstr(&twin, ".conda");
	int found = json_object_get(packages_conda, twin.data) != NULL;
	buf_free(&twin);
	return found;
}

/* One of "packages" (ext ".tar.bz2") or "packages.conda" (".conda"). */
static int check_map(json_t *root, const char *key, const char *ext, const char *info_subdir,
		     json_t *counts, size_t *total, const char *where, err_t *err)
{
	json_t *map = json_object_get(root, key), *rec,
	       *conda = json_object_get(root, "packages.conda");
	const char *fn;
	size_t ext_len = strlen(ext);
	if (!map || json_is_null(map))
		return 0;
	if (!json_is_object(map))
		return err_set(err, "%s: \"%s\" must be an object of records keyed by file name",
			       where, key);
	json_object_foreach (map, fn, rec) {
		size_t n = strlen(fn);
		if (!json_is_object(rec))
			return err_set(err, "%s: \"%s\": record '%.100s' is not an object", where,
				       key, fn);
		if (n <= ext_len || strcmp(fn + n - ext_len, ext) != 0)
			return err_set(err,
				       "%s: \"%s\" holds '%.100s', which is not a %s file name",
				       where, key, fn, ext);
		if (check_record_fields(rec, fn, err) != 0 ||
		    check_record_grammar(rec, fn, info_subdir, err) != 0)
			return err_prefix(err, "%s", where);
		if (has_conda_twin(fn, json_is_object(conda) ? conda : NULL))
			continue;
		if (++*total > REPODATA_MAX_RECORDS)
			return err_set(err, "%s: more than %d records; refusing the channel", where,
				       REPODATA_MAX_RECORDS);
		if (count_name(counts, json_string_value(json_object_get(rec, "name")), where,
			       err) != 0)
			return -1;
	}
	return 0;
}

static int check_info(json_t *info, const char **subdir, const char *where, err_t *err)
{
	const char *key;
	json_t *v;
	*subdir = NULL;
	if (!info || json_is_null(info))
		return 0;
	if (!json_is_object(info))
		return err_set(err, "%s: \"info\" must be an object", where);
	json_object_foreach (info, key, v) {
		if (json_is_object(v) || json_is_array(v) ||
		    (json_is_string(v) && !is_clean_string(v)))
			return err_set(err,
				       "%s: info.%.100s must be a plain value (string, number, "
				       "boolean or null)",
				       where, key);
	}
	v = json_object_get(info, "subdir");
	if (v && !json_is_null(v)) {
		*subdir = json_string_value(v);
		if (!*subdir || !pkgrec_subdir_ok(*subdir))
			return err_set(err,
				       "%s: info.subdir is not a conda platform (noarch, linux-64, "
				       "osx-arm64, ...)",
				       where);
	}
	return 0;
}

int repodata_check(json_t *root, const char *where, err_t *err)
{
	const char *info_subdir;
	size_t total = 0;
	int rc = -1;
	json_t *counts = json_object();
	if (!json_is_object(root)) {
		err_set(err, "%s: repodata is not a JSON object", where);
		goto out;
	}
	if (check_info(json_object_get(root, "info"), &info_subdir, where, err) != 0 ||
	    check_map(root, "packages.conda", ".conda", info_subdir, counts, &total, where, err) !=
		    0 ||
	    check_map(root, "packages", ".tar.bz2", info_subdir, counts, &total, where, err) != 0)
		goto out;
	rc = 0;
out:
	json_decref(counts);
	return rc;
}
