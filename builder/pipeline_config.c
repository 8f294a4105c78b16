/* pipeline_config.c — the image config flags applied to a build's image (see
 * pipeline_config.h). The created timestamp is SOURCE_DATE_EPOCH's, formatted like the
 * config's own "created" (RFC 3339, UTC, seconds: docs/layer-format.md, "Image JSON"). */
#include "pipeline_config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

char *pipeline_config_split(const char *kv, const char **value)
{
	const char *eq = strchr(kv, '=');
	*value = eq ? eq + 1 : "";
	return xstrndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));
}

typedef void (*set_kv_fn)(oci_image_t *img, const char *key, const char *value);

static void set_each(oci_image_t *img, const char *const *kvs, size_t n, set_kv_fn set)
{
	for (size_t i = 0; i < n; i++) {
		const char *value;
		char *key = pipeline_config_split(kvs[i], &value);
		set(img, key, value);
		free(key);
	}
}

/* A standard key as a label (what registries' UIs and `docker inspect` show) and as a
 * manifest annotation (what the OCI spec defines it for). An explicit --label or
 * --annotation of the same key wins: those are applied afterwards. */
static void set_standard(oci_image_t *img, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	oci_image_set_label(img, key, value);
	oci_image_set_annotation(img, key, value);
}

static void set_created(const build_opts_t *o, oci_image_t *img)
{
	time_t t = (time_t)o->layer.mtime;
	struct tm tm;
	char s[64];
	if (!o->image.has_created || !gmtime_r(&t, &tm) ||
	    !strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return;
	set_standard(img, PIPELINE_ANN_CREATED, s);
}

void pipeline_config_apply(const build_opts_t *o, const char *user, oci_image_t *img)
{
	const image_config_opts_t *c = &o->image;
	set_created(o, img);
	set_standard(img, PIPELINE_ANN_SOURCE, c->source);
	set_standard(img, PIPELINE_ANN_REVISION, c->revision);
	set_each(img, c->labels, c->n_labels, oci_image_set_label);
	set_each(img, c->annotations, c->n_annotations, oci_image_set_annotation);
	set_each(img, c->env, c->n_env, oci_image_set_env);
	if (c->has_entrypoint) {
		oci_image_set_entrypoint(img, c->n_entrypoint ? c->entrypoint : NULL,
					 c->n_entrypoint);
		if (!c->has_cmd)
			oci_image_set_cmd(img, NULL, 0);
	}
	if (c->has_cmd)
		oci_image_set_cmd(img, c->n_cmd ? c->cmd : NULL, c->n_cmd);
	if (c->workdir)
		oci_image_set_workdir(img, c->workdir);
	if (user)
		oci_image_set_user(img, user);
}

/* The annotations of a platform's manifest (pipeline_config_apply on an empty image), so
 * the two can never disagree. */
int pipeline_config_write_index(const build_opts_t *o, oci_layout_t *l, const oci_desc_t *entries,
				size_t n, char digest[DIGEST_OCI_MAX], long long *size, err_t *err)
{
	oci_image_t *img = oci_image_new("linux", "amd64");
	size_t n_ann;
	const char **keys, **values;
	int rc;
	pipeline_config_apply(o, NULL, img);
	n_ann = oci_image_annotation_count(img);
	keys = xcalloc(n_ann + 1, sizeof *keys);
	values = xcalloc(n_ann + 1, sizeof *values);
	for (size_t i = 0; i < n_ann; i++)
		keys[i] = oci_image_annotation(img, i, &values[i]);
	rc = oci_image_write_index(l, entries, n, keys, values, n_ann, digest, size, err);
	free(keys);
	free(values);
	oci_image_free(img);
	return rc;
}
