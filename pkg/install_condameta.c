/* install_condameta.c — conda-meta/<dist>.json, the record `conda list -p` reads:
 * repodata fields, sorted files and paths_data; no host paths, sorted keys. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "install_int.h"

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const inst_rec_t *)a)->path, ((const inst_rec_t *)b)->path);
}

static void set_str_if(json_t *o, const char *key, const char *value)
{
	if (value)
		json_object_set_new(o, key, json_string(value));
}

int inst_write_conda_meta(inst_t *in, err_t *err)
{
	json_t *meta = in->rec && in->rec->raw ? json_deep_copy(in->rec->raw) : json_object();
	buf_t path = BUF_INIT;
	char *text = NULL;
	int rc = -1;
	/* Fields the repodata record lacks come from info/index.json (e.g. tests without raw). */
	const char *key;
	json_t *value;
	json_object_foreach (in->index, key, value) {
		if (!json_object_get(meta, key))
			json_object_set(meta, key, value);
	}
	if (in->rec) {
		set_str_if(meta, "name", in->rec->name);
		set_str_if(meta, "version", in->rec->version);
		set_str_if(meta, "build", in->rec->build);
		/* A file:// channel is a path on the build host: it would leak into the image and
		 * make the layer depend on where the channel sits. Record it as conda-build's
		 * "local". */
		if (in->rec->channel && !strncmp(in->rec->channel, "file://", 7)) {
			buf_t local = BUF_INIT;
			buf_addf(&local, "local/%s/%s",
				 in->rec->subdir ? in->rec->subdir : "noarch",
				 in->rec->fn ? in->rec->fn : "");
			set_str_if(meta, "channel", "local");
			set_str_if(meta, "url", local.data);
			buf_free(&local);
		} else {
			set_str_if(meta, "channel", in->rec->channel);
			set_str_if(meta, "url", in->rec->url);
		}
		set_str_if(meta, "fn", in->rec->fn);
		set_str_if(meta, "md5", in->rec->md5);
		set_str_if(meta, "sha256", in->rec->sha256);
	}
	/* Sorted by path so the record is byte-identical across runs (docs/layer-format.md). */
	if (in->n_recs)
		qsort(in->recs, in->n_recs, sizeof *in->recs, cmp_rec);
	json_t *files = json_array(), *paths = json_array(), *pd = json_object(),
	       *link = json_object();
	for (size_t i = 0; i < in->n_recs; i++) {
		json_array_append_new(files, json_string(in->recs[i].path));
		json_array_append(paths, in->recs[i].obj);
	}
	json_object_set_new(pd, "paths_version", json_integer(1));
	json_object_set_new(pd, "paths", paths);
	json_object_set_new(meta, "files", files);
	json_object_set_new(meta, "paths_data", pd);
	/* No "source"/"extracted_package_dir": those would be host paths. */
	json_object_set_new(link, "type", json_integer(1));
	json_object_set_new(meta, "link", link);
	json_object_set_new(meta, "requested_spec", json_string(""));
	text = json_dumps(meta, JSON_SORT_KEYS | JSON_INDENT(2));
	if (!text) {
		err_set(err, "package %s: cannot serialise conda-meta record", in->dist);
		goto out;
	}
	buf_addf(&path, "conda-meta/%s.json", in->dist);
	buf_t body = BUF_INIT;
	buf_addstr(&body, text);
	buf_addch(&body, '\n');
	rc = inst_write_new_file(in, path.data, body.data, body.len, 0644, err);
	buf_free(&body);
out:
	free(text);
	json_decref(meta);
	buf_free(&path);
	return rc;
}

/* ---- driver ---- */
