/* lock_write.c — writing lock files (see lock.h). conda-lock v1 YAML goes through libyaml's
 * emitter (it quotes what must be quoted); we only force quotes on strings a YAML 1.1 reader
 * would otherwise turn into numbers, booleans or null ("0.1", "2024.2.2", "yes"), as
 * conda-lock's own PyYAML output does. Records are sorted by name: same set, same bytes. */
#include "lock.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "fsutil.h"
#include "xalloc.h"

typedef struct emit {
	yaml_emitter_t em;
	int failed;
	buf_t bad; /* the first value libyaml refused (not UTF-8), bytes >= 0x80 as \xHH */
} emit_t;

static int on_output(void *data, unsigned char *buffer, size_t size)
{
	buf_add(data, buffer, size);
	return 1;
}

/* Would a YAML 1.1 resolver read s as something other than a string? */
static int resolves_to_non_string(const char *s)
{
	static const char *const words[] = {"y",   "n",    "yes", "no",   "true", "false", "on",
					    "off", "null", "~",   ".inf", ".nan", "-.inf", "+.inf"};
	if (!*s)
		return 1;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (!strcasecmp(s, words[i]))
			return 1;
	/* ints, floats (incl. exponent), sexagesimal numbers and dates are all made of these. */
	int digits = 0;
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr(".+-_eE:xX", *p))
			return 0;
	}
	return digits > 0;
}

/* The emitter frees ev, even when it fails; after a failure ev is freed here. */
static void emit_event(emit_t *e, yaml_event_t *ev)
{
	if (e->failed)
		yaml_event_delete(ev);
	else if (!yaml_emitter_emit(&e->em, ev))
		e->failed = 1;
}

/* libyaml refuses a scalar that is not UTF-8 (a record's field from a broken package): the
 * lock is not written, and the message shows the value. */
static void refuse_scalar(emit_t *e, const char *s)
{
	if (e->failed)
		return;
	e->failed = 1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80)
			buf_addf(&e->bad, "\\x%02x", *p);
		else
			buf_addch(&e->bad, (char)*p);
	buf_grow(&e->bad, 0);
}

static void emit_str(emit_t *e, const char *s)
{
	yaml_event_t ev;
	int quote = resolves_to_non_string(s);
	if (!yaml_scalar_event_initialize(
		    &ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), !quote, 1,
		    quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE)) {
		refuse_scalar(e, s);
		return;
	}
	emit_event(e, &ev);
}

/* A scalar meant as a number or boolean (`version: 1`, `optional: false`). */
static void emit_plain(emit_t *e, const char *s)
{
	yaml_event_t ev;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 0,
					  YAML_PLAIN_SCALAR_STYLE)) {
		refuse_scalar(e, s);
		return;
	}
	emit_event(e, &ev);
}

static void emit_kv(emit_t *e, const char *key, const char *value)
{
	emit_str(e, key);
	emit_str(e, value);
}

static void map_start(emit_t *e, int flow)
{
	yaml_event_t ev;
	yaml_mapping_start_event_initialize(
		&ev, NULL, NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
	emit_event(e, &ev);
}

static void map_end(emit_t *e)
{
	yaml_event_t ev;
	yaml_mapping_end_event_initialize(&ev);
	emit_event(e, &ev);
}

static void seq_start(emit_t *e, int flow)
{
	yaml_event_t ev;
	yaml_sequence_start_event_initialize(
		&ev, NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
	emit_event(e, &ev);
}

static void seq_end(emit_t *e)
{
	yaml_event_t ev;
	yaml_sequence_end_event_initialize(&ev);
	emit_event(e, &ev);
}

static int cmp_rec_ptr(const void *a, const void *b)
{
	const pkgrec_t *x = *(const pkgrec_t *const *)a, *y = *(const pkgrec_t *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->url ? x->url : "", y->url ? y->url : "");
}

/* Repodata "python >=3.11,<3.12.0a0 *_cpython" -> key python, value ">=3.11,<3.12.0a0": the
 * version part only, as conda-lock writes its dependencies map. */
static void emit_dependencies(emit_t *e, const pkgrec_t *r)
{
	map_start(e, r->n_depends == 0);
	for (size_t i = 0; i < r->n_depends; i++) {
		const char *d = r->depends[i];
		size_t nl = strcspn(d, " ");
		const char *v = d + nl;
		while (*v == ' ')
			v++;
		size_t vl = strcspn(v, " ");
		char *name = xstrndup(d, nl), *ver = xstrndup(v, vl);
		emit_kv(e, name, ver);
		free(name);
		free(ver);
	}
	map_end(e);
}

static int is_pip(const pkgrec_t *r)
{
	return r->subdir && !strcmp(r->subdir, LOCK_PIP_SUBDIR);
}

/* conda-lock's pip entries: the wheel's URL and sha256; dependencies name the projects
 * (conda-lock writes their specifiers; the resolved versions are the entries themselves). */
static void emit_package(emit_t *e, const pkgrec_t *r, const char *platform)
{
	map_start(e, 0);
	emit_kv(e, "name", r->name);
	emit_kv(e, "version", r->version);
	emit_kv(e, "manager", is_pip(r) ? "pip" : "conda");
	emit_kv(e, "platform", platform);
	emit_str(e, "dependencies");
	emit_dependencies(e, r);
	emit_kv(e, "url", r->url);
	emit_str(e, "hash");
	map_start(e, 0);
	if (r->md5)
		emit_kv(e, "md5", r->md5);
	if (r->sha256)
		emit_kv(e, "sha256", r->sha256);
	map_end(e);
	emit_kv(e, "category", "main");
	emit_str(e, "optional");
	emit_plain(e, "false");
	map_end(e);
}

static void emit_metadata(emit_t *e, const lock_meta_t *meta, const lock_part_t *parts,
			  size_t n_parts)
{
	emit_str(e, "metadata");
	map_start(e, 0);
	emit_str(e, "content_hash");
	map_start(e, 0);
	for (size_t i = 0; i < n_parts; i++)
		emit_kv(e, parts[i].platform, parts[i].content_hash ? parts[i].content_hash : "");
	map_end(e);
	emit_str(e, "channels");
	seq_start(e, 0);
	for (size_t i = 0; i < meta->n_channels; i++) {
		map_start(e, 0);
		emit_kv(e, "url", meta->channels[i]);
		emit_str(e, "used_env_vars");
		seq_start(e, 1);
		seq_end(e);
		map_end(e);
	}
	seq_end(e);
	emit_str(e, "platforms");
	seq_start(e, 0);
	for (size_t i = 0; i < n_parts; i++)
		emit_str(e, parts[i].platform);
	seq_end(e);
	emit_str(e, "sources");
	seq_start(e, 0);
	for (size_t i = 0; i < meta->n_sources; i++)
		emit_str(e, meta->sources[i]);
	seq_end(e);
	/* conda-lock's own key for tool metadata (LockMeta.custom_metadata: str -> str) */
	if (meta->env_name) {
		emit_str(e, "custom_metadata");
		map_start(e, 0);
		emit_kv(e, LOCK_META_ENV_NAME, meta->env_name);
		map_end(e);
	}
	map_end(e);
}

static void emit_document_start(emit_t *e, buf_t *out)
{
	yaml_event_t ev;
	yaml_emitter_initialize(&e->em);
	yaml_emitter_set_output(&e->em, on_output, out);
	yaml_emitter_set_unicode(&e->em, 1);
	yaml_emitter_set_width(&e->em, -1); /* never fold long URLs */
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit_event(e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit_event(e, &ev);
}

/* Platforms in the order given, each one's records sorted (lock_render_parts). */
static int render_conda_lock(const lock_meta_t *meta, const lock_part_t *parts, size_t n_parts,
			     buf_t *out, err_t *err)
{
	emit_t e = {.failed = 0, .bad = BUF_INIT};
	yaml_event_t ev;
	buf_addstr(out,
		   "# This lock file was generated by imgbuild (conda-lock format version 1).\n"
		   "# Build exactly this set with: imgbuild build ENV.yml --lock THIS_FILE ...\n");
	emit_document_start(&e, out);
	map_start(&e, 0);
	emit_str(&e, "version");
	emit_plain(&e, "1");
	emit_metadata(&e, meta, parts, n_parts);
	emit_str(&e, "package");
	seq_start(&e, 0);
	for (size_t p = 0; p < n_parts; p++)
		for (size_t i = 0; i < parts[p].n; i++)
			emit_package(&e, parts[p].recs[i], parts[p].platform);
	seq_end(&e);
	map_end(&e);
	yaml_document_end_event_initialize(&ev, 1);
	emit_event(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit_event(&e, &ev);
	int failed = e.failed;
	const char *problem = e.em.problem;
	if (failed && e.bad.len)
		err_set(err,
			"cannot write the lock: \"%s\" is not valid UTF-8 (a package record's "
			"field; the channel or package that gave it is broken)",
			buf_cstr(&e.bad));
	else if (failed)
		err_set(err, "cannot write the lock as YAML: %s",
			problem ? problem : "emitter error");
	buf_free(&e.bad);
	yaml_emitter_delete(&e.em);
	return failed ? -1 : 0;
}

static int render_explicit(const lock_part_t *part, buf_t *out, err_t *err)
{
	buf_addstr(out,
		   "# This file was generated by imgbuild; create an environment from it with:\n"
		   "#   conda create --name ENV --file THIS_FILE\n");
	buf_addf(out, "# platform: %s\n", part->platform);
	if (part->content_hash)
		buf_addf(out, "# input_hash: %s\n", part->content_hash);
	buf_addstr(out, "@EXPLICIT\n");
	for (size_t i = 0; i < part->n; i++)
		if (is_pip(part->recs[i]))
			return err_set(err,
				       "pip package %s: an @EXPLICIT lock cannot hold pip packages "
				       "(it lists conda archives only); write conda-lock YAML "
				       "instead (-o FILE.yml or --format conda-lock)",
				       part->recs[i]->name);
	for (size_t i = 0; i < part->n; i++) {
		const pkgrec_t *r = part->recs[i];
		const char *hash = r->sha256 ? r->sha256 : r->md5;
		if (!hash)
			return err_set(
				err,
				"package %s (%s) has neither sha256 nor md5: an explicit lock "
				"needs one to verify the download",
				r->name, r->url);
		buf_addf(out, "%s#%s\n", r->url, hash);
	}
	return 0;
}

/* part's records, checked and sorted by name into a new array (caller frees), or NULL. */
static const pkgrec_t **sorted_records(const lock_part_t *part, err_t *err)
{
	const pkgrec_t **sorted = xcalloc(part->n ? part->n : 1, sizeof *sorted);
	for (size_t i = 0; i < part->n; i++) {
		const pkgrec_t *r = part->recs[i];
		if (!r->url || !r->name || !r->version) {
			err_set(err, "package %s has no URL: cannot lock it",
				r->name ? r->name : "?");
			free(sorted);
			return NULL;
		}
		sorted[i] = r;
	}
	/* Deterministic order (docs/layer-format.md's rule: same inputs, same bytes). */
	if (part->n)
		qsort(sorted, part->n, sizeof *sorted, cmp_rec_ptr);
	return sorted;
}

int lock_render_parts(lock_format_t format, const lock_meta_t *meta, const lock_part_t *parts,
		      size_t n_parts, buf_t *out, err_t *err)
{
	static const lock_meta_t no_meta;
	lock_part_t *sorted = xcalloc(n_parts ? n_parts : 1, sizeof *sorted);
	int rc = -1;
	size_t done = 0;
	if (format == LOCK_FORMAT_EXPLICIT && n_parts != 1) {
		err_set(err,
			"an @EXPLICIT lock holds one platform, not %zu: write conda-lock YAML for "
			"several",
			n_parts);
		goto out;
	}
	for (; done < n_parts; done++) {
		sorted[done] = parts[done];
		if (!sorted[done].platform)
			sorted[done].platform = "linux-64";
		if (!(sorted[done].recs = sorted_records(&parts[done], err)))
			goto out;
	}
	if (!meta)
		meta = &no_meta;
	rc = format == LOCK_FORMAT_EXPLICIT ? render_explicit(&sorted[0], out, err)
					    : render_conda_lock(meta, sorted, n_parts, out, err);
out:
	for (size_t i = 0; i < done; i++)
		free((void *)sorted[i].recs);
	free(sorted);
	return rc;
}

int lock_render(lock_format_t format, const lock_meta_t *meta, const pkgrec_t *const *recs,
		size_t n, buf_t *out, err_t *err)
{
	lock_part_t part = {meta ? meta->platform : NULL, meta ? meta->content_hash : NULL, recs,
			    n};
	return lock_render_parts(format, meta, &part, 1, out, err);
}

int lock_write_parts(const char *path, lock_format_t format, const lock_meta_t *meta,
		     const lock_part_t *parts, size_t n_parts, err_t *err)
{
	buf_t text = BUF_INIT;
	int rc = lock_render_parts(format, meta, parts, n_parts, &text, err);
	if (rc == 0)
		rc = fs_write_atomic(path, text.data, text.len, err);
	if (rc != 0)
		err_prefix(err, "lock %s", path);
	buf_free(&text);
	return rc;
}

int lock_write(const char *path, lock_format_t format, const lock_meta_t *meta,
	       const pkgrec_t *const *recs, size_t n, err_t *err)
{
	lock_part_t part = {meta ? meta->platform : NULL, meta ? meta->content_hash : NULL, recs,
			    n};
	return lock_write_parts(path, format, meta, &part, 1, err);
}
