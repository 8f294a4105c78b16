/* basecheck_cache.c — what the ELF scan found in each package, remembered by the package's hash
 * (see basecheck_set_cache), so that the base image decision never depends on which layers
 * came from the layer cache. One small JSON file per package:
 *   <dir>/<sha256>.json  {"format":1,"prefix":"/opt/conda/envs/x","programs":[{"count":1,
 *                         "file":"bin/hello","interp":"/lib64/ld-linux-x86-64.so.2",
 *                         "machine":62}]}
 * keyed by prefix too, since an interpreter under the prefix (rewritten at install) is the
 * environment's own. Written atomically; a file that is missing, unreadable, too large, for
 * another prefix or format reads as "never scanned", which costs one install and scan. */
#include "basecheck_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "fsutil.h"
#include "xalloc.h"

#define CACHE_FORMAT 1
#define CACHE_MAX_BYTES (1u << 20)

int basecheck_cache_path(const char *dir, const pkgrec_t *pkg, buf_t *out)
{
	buf_reset(out);
	if (pkg->sha256 && strlen(pkg->sha256) == 64 && digest_is_hex(pkg->sha256, 64))
		buf_addf(out, "%s/%s.json", dir, pkg->sha256);
	else if (pkg->md5 && strlen(pkg->md5) == 32 && digest_is_hex(pkg->md5, 32))
		buf_addf(out, "%s/md5-%s.json", dir, pkg->md5);
	else
		return -1;
	return 0;
}

/* NULL when a name is not UTF-8 (JSON cannot hold it): such a package is simply not cached. */
static json_t *uses_json(const char *prefix, const basecheck_uses_t *u)
{
	json_t *programs = json_array();
	for (size_t k = 0; k < u->n; k++) {
		json_t *p = json_pack("{s:I,s:s,s:s,s:I}", "count", (json_int_t)u->v[k].n_files,
				      "file", u->v[k].first_file, "interp", u->v[k].interp,
				      "machine", (json_int_t)u->v[k].machine);
		if (!p || json_array_append_new(programs, p)) {
			json_decref(programs);
			return NULL;
		}
	}
	return json_pack("{s:i,s:s,s:o}", "format", CACHE_FORMAT, "prefix", prefix, "programs",
			 programs);
}

void basecheck_cache_store(const char *path, const char *prefix, const basecheck_uses_t *u)
{
	json_t *doc = uses_json(prefix, u);
	char *text = doc ? xcheck(json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)) : NULL;
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	err_t ignored = ERR_INIT;
	if (slash)
		*slash = '\0';
	if (text && fs_mkdir_p(dir, &ignored) == 0)
		(void)fs_write_atomic(path, text, strlen(text), &ignored);
	err_clear(&ignored);
	free(text);
	free(dir);
	json_decref(doc);
}

/* One "programs" element into u; 0, or -1 when malformed. */
static int use_from_json(json_t *p, basecheck_uses_t *u)
{
	json_int_t count, machine;
	const char *file, *interp;
	if (json_unpack(p, "{s:I,s:s,s:s,s:I}", "count", &count, "file", &file, "interp", &interp,
			"machine", &machine) != 0 ||
	    count < 1 || machine < 0 || machine > 0xffff || !*file || !*interp ||
	    u->n == BASECHECK_USES_MAX)
		return -1;
	u->v[u->n++] =
		(basecheck_use_t){(unsigned)machine, xstrdup(interp), xstrdup(file), (size_t)count};
	return 0;
}

/* Parses a findings document (what basecheck_cache_store writes) for prefix into u: 1, or 0
 * when it is malformed, for another prefix or format (u left empty). */
static int uses_from_text(const char *text, size_t len, const char *prefix, basecheck_uses_t *u)
{
	json_t *doc = len <= CACHE_MAX_BYTES ? json_loadb(text, len, 0, NULL) : NULL;
	json_t *programs = NULL, *p;
	const char *stored_prefix;
	int format, found = 0;
	size_t i;
	if (!doc ||
	    json_unpack(doc, "{s:i,s:s,s:o}", "format", &format, "prefix", &stored_prefix,
			"programs", &programs) != 0 ||
	    format != CACHE_FORMAT || strcmp(stored_prefix, prefix) != 0 ||
	    !json_is_array(programs))
		goto out;
	json_array_foreach (programs, i, p) {
		if (use_from_json(p, u))
			goto out;
	}
	found = 1;
out:
	if (!found)
		basecheck_uses_clear(u);
	json_decref(doc);
	return found;
}

int basecheck_cache_load(const char *path, const char *prefix, basecheck_uses_t *u)
{
	buf_t text = BUF_INIT;
	err_t err = ERR_INIT;
	int found = fs_exists(path) && buf_read_file(&text, path, CACHE_MAX_BYTES, &err) == 0 &&
		    uses_from_text(text.data, text.len, prefix, u);
	err_clear(&err);
	buf_free(&text);
	return found;
}

int basecheck_findings_export(const char *dir, const char *prefix, const pkgrec_t *pkg, buf_t *out)
{
	basecheck_uses_t u = {.n = 0};
	buf_t path = BUF_INIT;
	json_t *doc = NULL;
	char *text = NULL;
	buf_reset(out);
	if (basecheck_cache_path(dir, pkg, &path) == 0 &&
	    basecheck_cache_load(path.data, prefix, &u) == 1 && (doc = uses_json(prefix, &u)))
		text = xcheck(json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS));
	if (text)
		buf_addstr(out, text);
	free(text);
	json_decref(doc);
	basecheck_uses_clear(&u);
	buf_free(&path);
	return out->len > 0;
}

int basecheck_findings_import(const char *dir, const char *prefix, const pkgrec_t *pkg,
			      const char *doc, size_t len)
{
	basecheck_uses_t u = {.n = 0}, mine = {.n = 0};
	buf_t path = BUF_INIT;
	int rc = 0;
	/* the file is named by the build's own record, never by what the document says; a valid
	 * entry of our own scan stays */
	if (basecheck_cache_path(dir, pkg, &path) == 0 && uses_from_text(doc, len, prefix, &u) &&
	    !basecheck_cache_load(path.data, prefix, &mine)) {
		basecheck_cache_store(path.data, prefix, &u);
		rc = basecheck_cache_load(path.data, prefix, &mine);
	}
	basecheck_uses_clear(&u);
	basecheck_uses_clear(&mine);
	buf_free(&path);
	return rc;
}
