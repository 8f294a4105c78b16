/* pkgrec_list.c — a layer's package records as JSON and back (see pkgrec_list.h). Written
 * with JSON_SORT_KEYS | JSON_COMPACT (docs/layer-format.md, "Layer package records"); read
 * back from a cache, so every field is type-checked; the reader (builder/sbom_cache.c) uses a
 * record only where its name, version and build are those of the build's own, checked record. */
#include "pkgrec_list.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define PKGREC_LIST_VERSION 1

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

static json_t *record_json(const pkgrec_t *r)
{
	json_t *o = json_object();
	const char *lic = r->raw ? json_string_value(json_object_get(r->raw, "license")) : NULL;
	set_str(o, "name", r->name);
	set_str(o, "version", r->version);
	set_str(o, "build", r->build);
	json_object_set_new(o, "build_number", json_integer(r->build_number));
	set_str(o, "subdir", r->subdir);
	set_str(o, "fn", r->fn);
	set_str(o, "url", r->url);
	set_str(o, "channel", r->channel);
	set_str(o, "sha256", r->sha256);
	set_str(o, "md5", r->md5);
	json_object_set_new(o, "size", json_integer(r->size));
	set_str(o, "noarch", r->noarch);
	set_str(o, "license", lic);
	return o;
}

void pkgrec_list_write(const pkgrec_t *const *pkgs, size_t n, buf_t *out)
{
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, record_json(pkgs[i]));
	json_t *doc = json_pack("{s:s, s:i, s:o}", "mediaType", PKGREC_LIST_MT, "version",
				PKGREC_LIST_VERSION, "packages", list);
	/* sorted keys, no whitespace: docs/layer-format.md, "Layer package records" */
	char *s = xcheck(json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT));
	json_decref(doc);
	buf_setstr(out, s);
	free(s);
}

/* Copies the string field key into *dst. -1 when present but not a string, or absent and
 * required. */
static int get_str(json_t *o, const char *key, int is_required, char **dst)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return is_required ? -1 : 0;
	if (!json_is_string(v))
		return -1;
	*dst = xstrdup(json_string_value(v));
	return 0;
}

static pkgrec_t *record_read(json_t *o, size_t i, err_t *err)
{
	static const char *const required[] = {"name", "version", "build", "subdir", "fn"};
	pkgrec_t *r = pkgrec_new();
	char *lic = NULL;
	char **req[] = {&r->name, &r->version, &r->build, &r->subdir, &r->fn};
	int bad = !json_is_object(o);
	for (size_t k = 0; !bad && k < sizeof required / sizeof required[0]; k++)
		bad = get_str(o, required[k], 1, req[k]);
	bad = bad || get_str(o, "url", 0, &r->url) || get_str(o, "channel", 0, &r->channel) ||
	      get_str(o, "sha256", 0, &r->sha256) || get_str(o, "md5", 0, &r->md5) ||
	      get_str(o, "noarch", 0, &r->noarch) || get_str(o, "license", 0, &lic);
	if (bad) {
		err_set(err, "package record %zu: a field is missing or not a string", i + 1);
		goto fail;
	}
	r->build_number = (long)json_integer_value(json_object_get(o, "build_number"));
	r->size = (long long)json_integer_value(json_object_get(o, "size"));
	r->raw = lic ? json_pack("{s:s}", "license", lic) : json_object();
	free(lic);
	return r;
fail:
	pkgrec_free(r);
	return NULL;
}

int pkgrec_list_read(const char *data, size_t len, pkgrec_t ***out, size_t *n, err_t *err)
{
	json_error_t je;
	json_t *doc = NULL, *list;
	pkgrec_t **recs = NULL;
	size_t count = 0;
	int rc = -1;
	*out = NULL;
	*n = 0;
	if (len > PKGREC_LIST_MAX_BYTES) {
		err_set(err, "layer package records: %zu bytes, more than the %u allowed", len,
			PKGREC_LIST_MAX_BYTES);
		goto out;
	}
	doc = json_loadb(data, len, 0, &je);
	const char *mt = json_string_value(json_object_get(doc, "mediaType"));
	list = json_object_get(doc, "packages");
	if (!doc || !mt || strcmp(mt, PKGREC_LIST_MT) ||
	    json_integer_value(json_object_get(doc, "version")) != PKGREC_LIST_VERSION ||
	    !json_is_array(list)) {
		err_set(err, "layer package records: not a %s version %d document", PKGREC_LIST_MT,
			PKGREC_LIST_VERSION);
		goto out;
	}
	recs = xcalloc(json_array_size(list) + 1, sizeof *recs);
	for (; count < json_array_size(list); count++)
		if (!(recs[count] = record_read(json_array_get(list, count), count, err))) {
			err_prefix(err, "layer package records");
			goto out;
		}
	*out = recs;
	*n = count;
	recs = NULL;
	rc = 0;
out:
	pkgrec_list_free(recs, count);
	json_decref(doc);
	return rc;
}

void pkgrec_list_free(pkgrec_t **recs, size_t n)
{
	if (!recs)
		return;
	for (size_t i = 0; i < n; i++)
		pkgrec_free(recs[i]);
	free(recs);
}
