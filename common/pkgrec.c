/* pkgrec.c — package records (see pkgrec.h). */
#include "pkgrec.h"
#include "xalloc.h"
#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

pkgrec_t *pkgrec_new(void)
{
	pkgrec_t *r = xcalloc(1, sizeof *r);
	return r;
}

static char *json_str_dup(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static int str_array(json_t *arr, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!arr || json_is_null(arr)) /* real repodata has "depends": null */
		return 0;
	if (!json_is_array(arr))
		return -1;
	size_t count = json_array_size(arr);
	*out = xcalloc(count ? count : 1, sizeof(char *));
	for (size_t i = 0; i < count; i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_string(v))
			return -1;
		(*out)[(*n)++] = xstrdup(json_string_value(v));
	}
	return 0;
}

pkgrec_t *pkgrec_from_json(const char *fn, json_t *entry, const char *channel, const char *subdir,
			   err_t *err)
{
	pkgrec_t *r = pkgrec_new();
	buf_t url = BUF_INIT;
	if (!json_is_object(entry)) {
		err_set(err, "repodata record %s is not an object", fn);
		goto fail;
	}
	r->name = json_str_dup(entry, "name");
	r->version = json_str_dup(entry, "version");
	r->build = json_str_dup(entry, "build");
	if (!r->name || !r->version || !r->build) {
		err_set(err, "repodata record %s lacks name, version or build", fn);
		goto fail;
	}
	json_t *bn = json_object_get(entry, "build_number");
	r->build_number = json_is_integer(bn) ? (long)json_integer_value(bn) : 0;
	r->fn = xstrdup(fn);
	r->subdir = json_str_dup(entry, "subdir");
	if (!r->subdir)
		r->subdir = xstrdup(subdir);
	r->channel = xstrdup(channel);
	r->sha256 = json_str_dup(entry, "sha256");
	r->md5 = json_str_dup(entry, "md5");
	json_t *sz = json_object_get(entry, "size");
	r->size = json_is_integer(sz) ? (long long)json_integer_value(sz) : 0;
	json_t *na = json_object_get(entry, "noarch");
	if (json_is_string(na))
		r->noarch = xstrdup(json_string_value(na));
	else if (json_is_true(na))
		r->noarch = xstrdup("generic"); /* old-style boolean noarch */
	if (str_array(json_object_get(entry, "depends"), &r->depends, &r->n_depends) != 0 ||
	    str_array(json_object_get(entry, "constrains"), &r->constrains, &r->n_constrains) !=
		    0) {
		err_set(err, "repodata record %s: depends/constrains must be lists of strings", fn);
		goto fail;
	}
	json_t *u = json_object_get(entry, "url");
	if (json_is_string(u)) {
		buf_addstr(&url, json_string_value(u));
	} else {
		buf_addstr(&url, channel);
		buf_addpath(&url, subdir);
		buf_addpath(&url, fn);
	}
	r->url = buf_detach(&url);
	/* libsolv locates a record by its "fn" field when it has one, the index by the key:
	 * they must agree or the solver's choice and the record read back could differ. */
	json_t *fn_field = json_object_get(entry, "fn");
	if (fn_field && !json_is_null(fn_field) &&
	    (!json_is_string(fn_field) || strcmp(json_string_value(fn_field), fn) != 0)) {
		err_set(err, "repodata record '%.100s': its \"fn\" field differs from its key", fn);
		goto fail;
	}
	if (pkgrec_check(r, err) != 0)
		goto fail;
	r->raw = json_incref(entry);
	return r;
fail:
	buf_free(&url);
	pkgrec_free(r);
	return NULL;
}

static char **dup_array(char **a, size_t n)
{
	char **out = xcalloc(n ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(a[i]);
	return out;
}

pkgrec_t *pkgrec_dup(const pkgrec_t *s)
{
	pkgrec_t *r = pkgrec_new();
	r->name = xstrdup(s->name);
	r->version = xstrdup(s->version);
	r->build = xstrdup(s->build);
	r->build_number = s->build_number;
	r->subdir = xstrdup(s->subdir);
	r->fn = xstrdup(s->fn);
	r->url = xstrdup(s->url);
	r->channel = xstrdup(s->channel);
	r->sha256 = xstrdup(s->sha256);
	r->md5 = xstrdup(s->md5);
	r->size = s->size;
	r->noarch = xstrdup(s->noarch);
	r->depends = dup_array(s->depends, s->n_depends);
	r->n_depends = s->n_depends;
	r->constrains = dup_array(s->constrains, s->n_constrains);
	r->n_constrains = s->n_constrains;
	r->raw = s->raw ? json_incref(s->raw) : NULL;
	r->origin = xstrdup(s->origin);
	return r;
}

void pkgrec_free(pkgrec_t *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->version);
	free(r->build);
	free(r->subdir);
	free(r->fn);
	free(r->url);
	free(r->channel);
	free(r->sha256);
	free(r->md5);
	free(r->noarch);
	for (size_t i = 0; i < r->n_depends; i++)
		free(r->depends[i]);
	free(r->depends);
	for (size_t i = 0; i < r->n_constrains; i++)
		free(r->constrains[i]);
	free(r->constrains);
	json_decref(r->raw);
	free(r->origin);
	free(r);
}

const char *pkgrec_origin(const pkgrec_t *r)
{
	return r->origin ? r->origin : "its channel's repodata";
}

char *pkgrec_dist(const pkgrec_t *r)
{
	buf_t b = BUF_INIT;
	buf_addf(&b, "%s-%s-%s", r->name, r->version, r->build);
	return buf_detach(&b);
}

char *pkgrec_dep_name(const char *dep)
{
	buf_t b = BUF_INIT;
	while (*dep && isspace((unsigned char)*dep))
		dep++;
	/* "channel::name" -> name */
	const char *colons = strstr(dep, "::");
	if (colons)
		dep = colons + 2;
	while (*dep && !isspace((unsigned char)*dep) && !strchr("=<>!~[", *dep))
		buf_addch(&b, *dep++);
	return buf_detach(&b);
}

int pkgrec_cmp_name(const void *a, const void *b)
{
	const pkgrec_t *x = *(pkgrec_t *const *)a, *y = *(pkgrec_t *const *)b;
	int c = strcmp(x->name, y->name);
	if (!c)
		c = strcmp(x->version, y->version);
	if (!c)
		c = strcmp(x->build, y->build);
	return c;
}

/* ---- field grammar (see pkgrec.h) ---- */

/* 1 when s is non-empty and every byte is an ASCII letter/digit (lower-case only when
 * lower_only) or in extra. */
static int is_made_of(const char *s, int lower_only, const char *extra)
{
	if (!s || !*s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int alnum = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			    (!lower_only && *p >= 'A' && *p <= 'Z');
		if (!alnum && !strchr(extra, *p))
			return 0;
	}
	return 1;
}

int pkgrec_name_ok(const char *s)
{
	return is_made_of(s, 1, "._-") && s[0] != '.' && s[0] != '-';
}

int pkgrec_version_ok(const char *s)
{
	return is_made_of(s, 0, "._+!");
}

int pkgrec_build_ok(const char *s)
{
	return is_made_of(s, 0, "_.+");
}

/* The subdirs conda's Channel() recognises as the last path element of a channel. */
static const char *const known_subdirs[] = {
	"noarch",        "linux-32",
	"linux-64",      "linux-aarch64",
	"linux-armv6l",  "linux-armv7l",
	"linux-ppc64",   "linux-ppc64le",
	"linux-riscv64", "linux-s390x",
	"osx-64",        "osx-arm64",
	"win-32",        "win-64",
	"win-arm64",     "zos-z",
	"freebsd-64",    "emscripten-wasm32",
	"wasi-wasm32",   NULL,
};

int pkgrec_subdir_is_known(const char *s)
{
	for (size_t i = 0; s && known_subdirs[i]; i++)
		if (strcmp(s, known_subdirs[i]) == 0)
			return 1;
	return 0;
}

int pkgrec_subdir_ok(const char *s)
{
	const char *dash = s ? strchr(s, '-') : NULL;
	if (pkgrec_subdir_is_known(s))
		return 1;
	if (!dash || dash == s || strlen(s) > 32 || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	char os[33];
	memcpy(os, s, (size_t)(dash - s));
	os[dash - s] = '\0';
	return is_made_of(os, 1, "") && is_made_of(dash + 1, 1, "_");
}

/* 1 when r->fn is exactly "name-version-build" + ".conda" or ".tar.bz2" (no allocation: this
 * runs on every record of a channel). */
static int fn_is_dist(const pkgrec_t *r)
{
	const char *parts[3] = {r->name, r->version, r->build}, *f = r->fn;
	if (!f || strlen(f) > PKGREC_FN_MAX)
		return 0;
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(parts[i]);
		if (strncmp(f, parts[i], n) != 0 || (i < 2 && f[n] != '-'))
			return 0;
		f += n + (i < 2);
	}
	return !strcmp(f, ".conda") || !strcmp(f, ".tar.bz2");
}

int pkgrec_check(const pkgrec_t *r, err_t *err)
{
	const char *fn = r->fn ? r->fn : "?";
	if (!pkgrec_name_ok(r->name))
		return err_set(err,
			       "record '%.100s': name '%.100s' is not a conda package name "
			       "(lower-case letters, digits, '.', '_', '-')",
			       fn, r->name ? r->name : "");
	if (!pkgrec_version_ok(r->version))
		return err_set(err,
			       "record '%.100s': version '%.100s' has characters conda versions "
			       "never have (letters, digits, '.', '_', '+', '!')",
			       fn, r->version ? r->version : "");
	if (!pkgrec_build_ok(r->build))
		return err_set(err,
			       "record '%.100s': build '%.100s' has characters conda build "
			       "strings never have (letters, digits, '_', '.', '+')",
			       fn, r->build ? r->build : "");
	if (r->subdir && !pkgrec_subdir_ok(r->subdir))
		return err_set(err,
			       "record '%.100s': subdir '%.100s' is not a conda platform "
			       "(noarch, linux-64, osx-arm64, ...)",
			       fn, r->subdir);
	if (r->build_number < 0)
		return err_set(err, "record '%.100s': negative build_number %ld", fn,
			       r->build_number);
	if (!fn_is_dist(r))
		return err_set(err,
			       "record '%.100s': the file name must be %.64s-%.64s-%.64s.conda or "
			       ".tar.bz2 (at most %d bytes)",
			       fn, r->name, r->version, r->build, PKGREC_FN_MAX);
	return 0;
}
