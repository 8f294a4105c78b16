/* scan_share.c — scan findings stored with the layers of the registry cache (see
 * scan_share.h). The findings themselves, their format and their checks are
 * layers/basecheck_cache.c; this file only carries them in and out of the records document. */
#include "scan_share.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "basecheck.h"
#include "pkgrec_list.h"
#include "xalloc.h"

#define SCAN_SHARE_KEY "basecheck"

void scan_share_dir(const char *cache_dir, buf_t *out)
{
	buf_setstr(out, cache_dir);
	buf_addpath(out, "basecheck");
}

/* {dist: findings} of group g's packages, or NULL when one of them has none. */
static json_t *group_findings(const char *dir, const char *prefix, const plan_t *plan, size_t g,
			      const pkgrec_t *const *pkgs)
{
	json_t *map = json_object();
	buf_t one = BUF_INIT;
	for (size_t j = 0; map && j < plan_group_size(plan, g); j++) {
		const pkgrec_t *p = pkgs[plan_group_pkg(plan, g, j)];
		char *dist = pkgrec_dist(p);
		json_t *f = basecheck_findings_export(dir, prefix, p, &one)
				    ? json_loadb(one.data, one.len, 0, NULL)
				    : NULL;
		if (!f || json_object_set_new(map, dist, f) != 0) {
			json_decref(map);
			map = NULL;
		}
		free(dist);
	}
	buf_free(&one);
	return map;
}

void scan_share_add(const char *cache_dir, const char *prefix, const plan_t *plan, size_t g,
		    const pkgrec_t *const *pkgs, buf_t *records)
{
	buf_t dir = BUF_INIT;
	scan_share_dir(cache_dir, &dir);
	json_t *map =
		plan_group_size(plan, g) ? group_findings(dir.data, prefix, plan, g, pkgs) : NULL;
	json_t *doc = map ? json_loadb(records->data, records->len, 0, NULL) : NULL;
	if (json_is_object(doc) && json_object_set(doc, SCAN_SHARE_KEY, map) == 0) {
		char *text = xcheck(json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT));
		buf_setstr(records, text);
		free(text);
	}
	json_decref(doc);
	json_decref(map);
	buf_free(&dir);
}

size_t scan_share_take(const char *cache_dir, const char *prefix, const plan_t *plan, size_t g,
		       const pkgrec_t *const *pkgs, const char *records, size_t len)
{
	json_t *doc =
		records && len <= PKGREC_LIST_MAX_BYTES ? json_loadb(records, len, 0, NULL) : NULL;
	json_t *map = json_object_get(doc, SCAN_SHARE_KEY);
	buf_t dir = BUF_INIT;
	size_t taken = 0;
	scan_share_dir(cache_dir, &dir);
	for (size_t j = 0; json_is_object(map) && j < plan_group_size(plan, g); j++) {
		const pkgrec_t *p = pkgs[plan_group_pkg(plan, g, j)];
		char *dist = pkgrec_dist(p);
		json_t *f = json_object_get(map, dist);
		char *text =
			json_is_object(f) ? json_dumps(f, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
		taken += text && basecheck_findings_import(dir.data, prefix, p, text, strlen(text));
		free(text);
		free(dist);
	}
	json_decref(doc);
	buf_free(&dir);
	return taken;
}
