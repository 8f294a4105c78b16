/* repoindex_scan.c — one pass over a repodata.json that checks it as repodata_check does and
 * indexes its records by package name (repoindex_scan.h). Each record is kept as the byte
 * range of `"fn": {...}` in the document, so a subset is the channel's own bytes in the
 * channel's order: libsolv then numbers the records it keeps as it would in the whole
 * document, and picks the same ones (docs/solver-crosscheck.md). */
#include "repoindex_scan.h"
#include "fsutil.h"
#include "pkgrec.h"
#include "repodata.h"
#include "repodata_int.h"
#include "repoindex_json.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define NO_ID UINT32_MAX
#define N_FIELDS_MAX 32

struct srec {
	uint64_t off;    /* the record's key in the document */
	uint64_t len;    /* through the end of its value */
	uint32_t name;   /* strings id */
	uint32_t fn;     /* id in fns[map] */
	uint32_t subdir; /* strings id of its own "subdir", NO_ID without */
	uint8_t map;     /* 0 "packages", 1 "packages.conda" */
	uint8_t is_twin; /* a .tar.bz2 whose .conda is in the document too */
};

struct nameidx {
	char *data; /* mapped (map_len > 0) or malloc'ed copy */
	size_t len, map_len;
	strtab_t strings; /* names and dependency names */
	strtab_t fns[2];  /* file names per map: duplicate and twin checks */
	struct srec *recs;
	size_t n_recs, cap_recs;
	uint32_t *pairs; /* (name, dep) */
	size_t n_pairs, cap_pairs;
	/* per strings id, after the scan */
	uint32_t *n_counted, *dep_start, *deps;
	uint8_t *selected;
	/* the document's parts */
	uint64_t info_off, info_len; /* info_len 0: no info object */
	int map_order[2], n_maps;    /* maps present (objects), in document order */
	char *info_subdir;
	int info_after_maps;
};

/* One record being scanned. */
struct rec_scan {
	const char *fn;
	enum jclass cls[N_FIELDS_MAX];
	buf_t text[N_FIELDS_MAX]; /* decoded strings of the fields kept (name, version, ...) */
	uint32_t *deps;
	size_t n_deps, cap_deps;
	long build_number;
	jkeys_t keys;
};

struct doc_scan {
	jscan_t sc;
	nameidx_t *ni;
	const struct repodata_field *fields;
	size_t n_fields;
	size_t key_len[N_FIELDS_MAX]; /* strlen of each field's key */
	int f_name, f_version, f_build, f_subdir, f_fn, f_build_number;
	struct rec_scan rec;
	buf_t dec;
	err_t shape; /* the first shape or record error: reported once the syntax is known good,
			as jansson parses the whole document before repodata_check looks */
};

/* Keeps the error just set for the end of the scan (the first one only); returns 0. */
static int defer(struct doc_scan *ds)
{
	if (!ds->shape.msg) {
		ds->shape = *ds->sc.err;
		memset(ds->sc.err, 0, sizeof *ds->sc.err);
	} else {
		err_clear(ds->sc.err);
	}
	return 0;
}

static int field_index(const struct doc_scan *ds, const char *key)
{
	for (size_t i = 0; i < ds->n_fields; i++)
		if (!strcmp(ds->fields[i].key, key))
			return (int)i;
	return -1;
}

/* Every key of every record comes here (millions in a conda-forge-size document): the
 * length and first byte decide before any comparison. */
static int field_of(const struct doc_scan *ds, const char *s, size_t len)
{
	for (size_t i = 0; i < ds->n_fields; i++)
		if (ds->key_len[i] == len && len && ds->fields[i].key[0] == s[0] &&
		    !memcmp(ds->fields[i].key, s, len))
			return (int)i;
	return -1;
}

/* The bytes that end a dependency's name: " =<>!~[,|" (shard.c's set), and NUL. */
static int ends_dep_name(unsigned char c)
{
	static const unsigned char stop[256] = {
		[0] = 1,   [' '] = 1, ['='] = 1, ['<'] = 1, ['>'] = 1,
		['!'] = 1, ['~'] = 1, ['['] = 1, [','] = 1, ['|'] = 1};
	return stop[c];
}

/* A dependency string's package name ("python >=3.8" -> python), as shard.c reads it. */
static void add_dep_name(struct doc_scan *ds, const jstr_t *s)
{
	const char *p = s->s;
	size_t len = s->len, n;
	if (s->has_escape) {
		jscan_decode(s, &ds->dec);
		p = ds->dec.data;
		len = ds->dec.len;
	}
	while (len && *p == ' ')
		p++, len--;
	for (n = 0; n < len && !ends_dep_name((unsigned char)p[n]); n++)
		;
	if (!n)
		return;
	struct rec_scan *r = &ds->rec;
	if (r->n_deps == r->cap_deps) {
		r->cap_deps = r->cap_deps ? r->cap_deps * 2 : 32;
		r->deps = xrealloc(r->deps, r->cap_deps * sizeof *r->deps);
	}
	r->deps[r->n_deps++] = strtab_intern(&ds->ni->strings, p, n, s->has_escape, NULL);
}

/* A list of strings whose names feed the closure (depends, constrains, requires). */
static int scan_dep_list(struct doc_scan *ds, enum jclass *cls)
{
	jscan_t *sc = &ds->sc;
	jstr_t s;
	const char *start = sc->p;
	sc->p++;
	jscan_ws(sc);
	*cls = JC_STRLIST;
	if (sc->p < sc->end && *sc->p == ']') {
		sc->p++;
		return 0;
	}
	for (;;) {
		jscan_ws(sc);
		if (sc->p >= sc->end || *sc->p != '"') { /* not a list of strings: type error */
			sc->p = start;
			return jscan_value(sc, 1, cls) == 0 ? (*cls = JC_OTHER, 0) : -1;
		}
		if (jscan_string(sc, &s) != 0)
			return -1;
		if (s.has_nul)
			*cls = JC_OTHER;
		add_dep_name(ds, &s);
		jscan_ws(sc);
		if (sc->p < sc->end && *sc->p == ',') {
			sc->p++;
			continue;
		}
		return jscan_expect(sc, ']', "']' expected");
	}
}

static int is_dep_field(const char *key)
{
	return !strcmp(key, "depends") || !strcmp(key, "constrains") || !strcmp(key, "requires");
}

/* One field's value: classified, its text kept for the fields the grammar reads. */
static int scan_field(struct doc_scan *ds, int f)
{
	jscan_t *sc = &ds->sc;
	struct rec_scan *r = &ds->rec;
	jstr_t s;
	jscan_ws(sc);
	if (sc->p < sc->end && *sc->p == '[' && is_dep_field(ds->fields[f].key))
		return scan_dep_list(ds, &r->cls[f]);
	if (sc->p < sc->end && *sc->p == '"' &&
	    (f == ds->f_name || f == ds->f_version || f == ds->f_build || f == ds->f_subdir ||
	     f == ds->f_fn)) {
		if (jscan_string(sc, &s) != 0)
			return -1;
		r->cls[f] = s.has_nul ? JC_NUL_STRING : JC_STRING;
		if (s.has_escape)
			jscan_decode(&s, &r->text[f]);
		else {
			buf_reset(&r->text[f]);
			buf_add(&r->text[f], s.s, s.len);
		}
		return 0;
	}
	const char *at = sc->p;
	if (jscan_value(sc, 2, &r->cls[f]) != 0)
		return -1;
	if (f == ds->f_build_number && r->cls[f] == JC_INT_NONNEG)
		r->build_number = strtol(at, NULL, 10);
	return 0;
}

static int has_type(enum jclass c, unsigned types)
{
	return ((types & T_STRING) && c == JC_STRING) || ((types & T_UINT) && c == JC_INT_NONNEG) ||
	       ((types & T_NUMBER) && (c == JC_INT_NONNEG || c == JC_REAL_NONNEG)) ||
	       ((types & T_BOOL) && c == JC_BOOL) || ((types & T_STRLIST) && c == JC_STRLIST);
}

static const char *text_or_null(struct rec_scan *r, int f)
{
	return r->cls[f] == JC_STRING ? r->text[f].data : NULL;
}

/* repodata.c's check_record_fields and check_record_grammar, in the same order. */
static int check_record(struct doc_scan *ds)
{
	struct rec_scan *r = &ds->rec;
	nameidx_t *ni = ds->ni;
	for (size_t i = 0; i < ds->n_fields; i++) {
		const struct repodata_field *f = &ds->fields[i];
		if ((!r->cls[i] || r->cls[i] == JC_NULL) && !(f->types & T_REQUIRED))
			continue;
		if (!r->cls[i] || !has_type(r->cls[i], f->types))
			return err_set(ds->sc.err, "record '%.100s': \"%s\" must be %s", r->fn,
				       f->key, repodata_type_words(f->types));
	}
	struct repodata_names n = {
		.fn = r->fn,
		.name = text_or_null(r, ds->f_name),
		.version = text_or_null(r, ds->f_version),
		.build = text_or_null(r, ds->f_build),
		.build_number = r->cls[ds->f_build_number] == JC_INT_NONNEG ? r->build_number : 0,
		.subdir = text_or_null(r, ds->f_subdir),
		.info_subdir = ni->info_subdir,
		.fn_field = text_or_null(r, ds->f_fn),
	};
	return repodata_check_names(&n, ds->sc.err);
}

static void rec_reset(struct doc_scan *ds, const char *fn)
{
	struct rec_scan *r = &ds->rec;
	r->fn = fn;
	memset(r->cls, 0, sizeof r->cls);
	r->n_deps = 0;
	r->build_number = 0;
	jkeys_reset(&r->keys);
}

static int record_member(void *ctx, const jstr_t *key, const char *key_at)
{
	struct doc_scan *ds = ctx;
	enum jclass ignored;
	(void)key_at;
	int f = key->has_escape
			? (jscan_decode(key, &ds->dec), field_of(ds, ds->dec.data, ds->dec.len))
			: field_of(ds, key->s, key->len);
	return f >= 0 ? scan_field(ds, f) : jscan_value(&ds->sc, 2, &ignored);
}

/* The record's members, sc->p at its '{'. */
static int scan_record_members(struct doc_scan *ds)
{
	return jscan_object(&ds->sc, &ds->rec.keys, record_member, ds);
}

static void add_pairs(nameidx_t *ni, uint32_t name, const uint32_t *deps, size_t n)
{
	if (ni->n_pairs + 2 * n > ni->cap_pairs) {
		ni->cap_pairs = (ni->n_pairs + 2 * n) * 2;
		ni->pairs = xrealloc(ni->pairs, ni->cap_pairs * sizeof *ni->pairs);
	}
	for (size_t i = 0; i < n; i++) {
		if (i && deps[i] == deps[i - 1])
			continue;
		ni->pairs[ni->n_pairs++] = name;
		ni->pairs[ni->n_pairs++] = deps[i];
	}
}

/* One record of map, its key just read (fn decoded, key_at its opening quote). */
static int scan_record(struct doc_scan *ds, int map, const char *fn, uint32_t fn_id,
		       const char *key_at)
{
	nameidx_t *ni = ds->ni;
	jscan_t *sc = &ds->sc;
	rec_reset(ds, fn);
	if (scan_record_members(ds) != 0)
		return -1;
	if (check_record(ds) != 0) {
		err_prefix(sc->err, "%s", sc->where);
		return defer(ds);
	}
	struct rec_scan *r = &ds->rec;
	if (ni->n_recs == ni->cap_recs) {
		ni->cap_recs = ni->cap_recs ? ni->cap_recs * 2 : 4096;
		ni->recs = xrealloc(ni->recs, ni->cap_recs * sizeof *ni->recs);
	}
	struct srec *e = &ni->recs[ni->n_recs++];
	buf_t *name = &r->text[ds->f_name], *subdir = &r->text[ds->f_subdir];
	e->off = (uint64_t)(key_at - sc->base);
	e->len = (uint64_t)(sc->p - key_at);
	e->name = strtab_intern(&ni->strings, name->data, name->len, 1, NULL);
	e->fn = fn_id;
	e->subdir = r->cls[ds->f_subdir] == JC_STRING
			    ? strtab_intern(&ni->strings, subdir->data, subdir->len, 1, NULL)
			    : NO_ID;
	e->map = (uint8_t)map;
	e->is_twin = 0;
	add_pairs(ni, e->name, r->deps, r->n_deps);
	return 0;
}

static const char *const map_keys[2] = {"packages", "packages.conda"};
static const char *const map_exts[2] = {".tar.bz2", ".conda"};

/* A record's key: decoded, checked for duplicates and its extension. 1: skip the record (its
 * value consumed, the shape error deferred). */
static int scan_map_key(struct doc_scan *ds, int map, const jstr_t *key, const char *at,
			const char **fn, size_t *fn_len, uint32_t *fn_id)
{
	jscan_t *sc = &ds->sc;
	nameidx_t *ni = ds->ni;
	const char *ext = map_exts[map];
	size_t ext_len = strlen(ext);
	*fn = key->s;
	*fn_len = key->len;
	if (key->has_escape) {
		jscan_decode(key, &ds->dec);
		*fn = ds->dec.data;
		*fn_len = ds->dec.len;
	}
	if (strtab_find(&ni->fns[map], *fn, *fn_len) >= 0)
		return jscan_dup(sc, at, key);
	jscan_ws(sc);
	if (sc->p >= sc->end || *sc->p != '{') {
		enum jclass ignored;
		if (jscan_value(sc, 2, &ignored) != 0)
			return -1;
		err_set(sc->err, "%s: \"%s\": record '%.*s' is not an object", sc->where,
			map_keys[map], (int)(*fn_len > 100 ? 100 : *fn_len), *fn);
		return defer(ds) + 1;
	}
	if (*fn_len <= ext_len || memcmp(*fn + *fn_len - ext_len, ext, ext_len) != 0 ||
	    memchr(*fn, 0, *fn_len)) {
		enum jclass ignored;
		if (jscan_value(sc, 2, &ignored) != 0)
			return -1;
		err_set(sc->err, "%s: \"%s\" holds '%.*s', which is not a %s file name", sc->where,
			map_keys[map], (int)(*fn_len > 100 ? 100 : *fn_len), *fn, ext);
		return defer(ds) + 1;
	}
	/* the key is a file name from here on: kept for the duplicate check of the next ones */
	*fn_id = strtab_intern(&ni->fns[map], *fn, *fn_len, key->has_escape, NULL);
	return 0;
}

struct map_scan {
	struct doc_scan *ds;
	int map;
	buf_t fn; /* NUL-terminated for the messages */
};

static int map_member(void *ctx, const jstr_t *key, const char *key_at)
{
	struct map_scan *ms = ctx;
	const char *fn;
	size_t fn_len;
	uint32_t fn_id = 0;
	int skip = scan_map_key(ms->ds, ms->map, key, key_at, &fn, &fn_len, &fn_id);
	if (skip)
		return skip < 0 ? -1 : 0;
	buf_setstr(&ms->fn, "");
	buf_add(&ms->fn, fn, fn_len);
	return scan_record(ms->ds, ms->map, ms->fn.data, fn_id, key_at);
}

/* "packages" or "packages.conda": null, or an object of records. */
static int scan_map(struct doc_scan *ds, int map)
{
	jscan_t *sc = &ds->sc;
	jscan_ws(sc);
	if (sc->p >= sc->end || *sc->p != '{') {
		enum jclass cls;
		if (jscan_value(sc, 1, &cls) != 0)
			return -1;
		if (cls == JC_NULL)
			return 0;
		err_set(sc->err, "%s: \"%s\" must be an object of records keyed by file name",
			sc->where, map_keys[map]);
		return defer(ds);
	}
	ds->ni->map_order[ds->ni->n_maps++] = map;
	struct map_scan ms = {ds, map, BUF_INIT};
	int rc = jscan_object(sc, NULL, map_member, &ms);
	buf_free(&ms.fn);
	return rc;
}

/* info.subdir: a conda platform (v: its value, cls its class). */
static void info_subdir(struct doc_scan *ds, const char *v, enum jclass cls)
{
	jscan_t *sc = &ds->sc;
	jstr_t s = {0};
	buf_t text = BUF_INIT;
	const char *save = sc->p;
	sc->p = v;
	if (cls == JC_STRING)
		jscan_string(sc, &s);
	sc->p = save;
	jscan_decode(&s, &text);
	free(ds->ni->info_subdir);
	ds->ni->info_subdir = buf_detach(&text);
	if (cls != JC_STRING || !pkgrec_subdir_ok(ds->ni->info_subdir)) {
		err_set(sc->err,
			"%s: info.subdir is not a conda platform (noarch, linux-64, osx-arm64, "
			"...)",
			sc->where);
		defer(ds);
	}
}

static int info_member(void *ctx, const jstr_t *key, const char *key_at)
{
	struct doc_scan *ds = ctx;
	jscan_t *sc = &ds->sc;
	enum jclass cls;
	(void)key_at;
	jscan_decode(key, &ds->dec);
	jscan_ws(sc);
	const char *v = sc->p;
	if (jscan_value(sc, 2, &cls) != 0)
		return -1;
	if (cls == JC_OTHER || cls == JC_STRLIST || cls == JC_NUL_STRING) {
		err_set(sc->err,
			"%s: info.%.100s must be a plain value (string, number, boolean or null)",
			sc->where, ds->dec.data);
		return defer(ds);
	}
	if (!strcmp(ds->dec.data, "subdir") && cls != JC_NULL)
		info_subdir(ds, v, cls);
	return 0;
}

/* "info": null or an object of plain values (libsolv crashes on nested ones); its subdir. */
static int scan_info(struct doc_scan *ds)
{
	jscan_t *sc = &ds->sc;
	nameidx_t *ni = ds->ni;
	jkeys_t keys = {0};
	jscan_ws(sc);
	const char *start = sc->p;
	if (sc->p >= sc->end || *sc->p != '{') {
		enum jclass cls;
		if (jscan_value(sc, 1, &cls) != 0)
			return -1;
		if (cls == JC_NULL)
			return 0;
		err_set(sc->err, "%s: \"info\" must be an object", sc->where);
		return defer(ds);
	}
	int rc = jscan_object(sc, &keys, info_member, ds);
	jkeys_free(&keys);
	ni->info_off = (uint64_t)(start - sc->base);
	ni->info_len = (uint64_t)(sc->p - start);
	ni->info_after_maps = ni->n_recs > 0;
	return rc;
}

static int root_member(void *ctx, const jstr_t *key, const char *key_at)
{
	struct doc_scan *ds = ctx;
	enum jclass cls;
	(void)key_at;
	jscan_decode(key, &ds->dec);
	if (!strcmp(ds->dec.data, map_keys[0]))
		return scan_map(ds, 0);
	if (!strcmp(ds->dec.data, map_keys[1]))
		return scan_map(ds, 1);
	if (!strcmp(ds->dec.data, "info"))
		return scan_info(ds);
	return jscan_value(&ds->sc, 1, &cls);
}

/* The root object's members: info and the two maps checked, anything else only parsed. */
static int scan_root(struct doc_scan *ds)
{
	jscan_t *sc = &ds->sc;
	jkeys_t keys = {0};
	enum jclass cls;
	int rc;
	jscan_ws(sc);
	if (sc->p < sc->end && *sc->p != '{') { /* valid JSON, wrong shape: as repodata_check */
		if (jscan_value(sc, 0, &cls) != 0)
			return -1;
		jscan_ws(sc);
		if (sc->p < sc->end)
			return jscan_fail(sc, sc->p, "end of file expected");
		return err_set(sc->err, "%s: repodata is not a JSON object", sc->where);
	}
	if (sc->p >= sc->end)
		return jscan_fail(sc, sc->p, "'[' or '{' expected near end of file");
	rc = jscan_object(sc, &keys, root_member, ds);
	jkeys_free(&keys);
	jscan_ws(sc);
	if (rc == 0 && sc->p < sc->end)
		rc = jscan_fail(sc, sc->p, "end of file expected");
	return rc;
}

/* Records before "info" met no info.subdir: compared now. */
static int check_late_info(nameidx_t *ni, const char *where, err_t *err)
{
	if (!ni->info_after_maps || !ni->info_subdir)
		return 0;
	for (size_t i = 0; i < ni->n_recs; i++) {
		const struct srec *e = &ni->recs[i];
		const char *subdir = e->subdir == NO_ID ? NULL : nameidx_str(ni, e->subdir, NULL);
		if (subdir && strcmp(subdir, ni->info_subdir) != 0)
			return err_set(err,
				       "%s: record '%.100s': subdir '%.64s' differs from "
				       "info.subdir '%s'",
				       where, ni->fns[e->map].ents[e->fn].s, subdir,
				       ni->info_subdir);
	}
	return 0;
}

/* Twins (counted once, as libsolv keeps the .conda), then repodata_check's caps. */
static int count_records(nameidx_t *ni, const char *where, err_t *err)
{
	buf_t twin = BUF_INIT;
	size_t total = 0;
	int rc = -1;
	ni->n_counted = xcalloc(nameidx_count(ni) + 1, sizeof *ni->n_counted);
	for (size_t i = 0; i < ni->n_recs; i++) {
		struct srec *e = &ni->recs[i];
		if (e->map == 0 && ni->fns[1].n) {
			const struct strtab_ent *fn = &ni->fns[0].ents[e->fn];
			buf_reset(&twin);
			buf_add(&twin, fn->s, fn->len - 8);
			buf_addstr(&twin, ".conda");
			e->is_twin = strtab_find(&ni->fns[1], twin.data, twin.len) >= 0;
		}
		if (e->is_twin)
			continue;
		if (++total > REPODATA_MAX_RECORDS) {
			err_set(err, "%s: more than %d records; refusing the channel", where,
				REPODATA_MAX_RECORDS);
			goto out;
		}
		if (++ni->n_counted[e->name] > REPODATA_MAX_RECORDS_PER_NAME) {
			err_set(err,
				"%s: more than %d records of package '%.100s' (the solver's cost "
				"grows with the square of that number); refusing the channel",
				where, REPODATA_MAX_RECORDS_PER_NAME,
				nameidx_str(ni, e->name, NULL));
			goto out;
		}
	}
	rc = 0;
out:
	buf_free(&twin);
	return rc;
}

/* Each name's dependency ids, contiguous (a counting sort of the pairs). */
static void build_deps(nameidx_t *ni)
{
	size_t n = nameidx_count(ni);
	ni->dep_start = xcalloc(n + 2, sizeof *ni->dep_start);
	ni->deps = xcalloc(ni->n_pairs / 2 + 1, sizeof *ni->deps);
	for (size_t i = 0; i < ni->n_pairs; i += 2)
		ni->dep_start[ni->pairs[i] + 2]++;
	for (size_t id = 0; id < n; id++)
		ni->dep_start[id + 2] += ni->dep_start[id + 1];
	for (size_t i = 0; i < ni->n_pairs; i += 2)
		ni->deps[ni->dep_start[ni->pairs[i] + 1]++] = ni->pairs[i + 1];
	free(ni->pairs);
	ni->pairs = NULL;
	ni->selected = xcalloc(n + 1, 1);
}

static nameidx_t *scan_doc(nameidx_t *ni, const char *where, err_t *err)
{
	err_t local = ERR_INIT;
	if (!err)
		err = &local;
	struct doc_scan ds = {.sc = {ni->data, ni->data, ni->data + ni->len, where, err}, .ni = ni};
	int rc;
	ds.fields = repodata_record_fields(&ds.n_fields);
	for (size_t i = 0; i < ds.n_fields && i < N_FIELDS_MAX; i++)
		ds.key_len[i] = strlen(ds.fields[i].key);
	ds.f_name = field_index(&ds, "name");
	ds.f_version = field_index(&ds, "version");
	ds.f_build = field_index(&ds, "build");
	ds.f_subdir = field_index(&ds, "subdir");
	ds.f_fn = field_index(&ds, "fn");
	ds.f_build_number = field_index(&ds, "build_number");
	rc = scan_root(&ds);
	if (rc == 0 && ds.shape.msg) { /* the syntax is sound: the first shape error */
		*err = ds.shape;
		memset(&ds.shape, 0, sizeof ds.shape);
		rc = -1;
	}
	err_clear(&ds.shape);
	if (rc == 0)
		rc = check_late_info(ni, where, err);
	if (rc == 0)
		rc = count_records(ni, where, err);
	for (size_t i = 0; i < N_FIELDS_MAX; i++)
		buf_free(&ds.rec.text[i]);
	free(ds.rec.deps);
	jkeys_free(&ds.rec.keys);
	buf_free(&ds.dec);
	err_clear(&local);
	if (rc != 0) {
		nameidx_free(ni);
		return NULL;
	}
	build_deps(ni);
	return ni;
}

nameidx_t *nameidx_scan_mem(const char *data, size_t len, const char *where, err_t *err)
{
	nameidx_t *ni = xcalloc(1, sizeof *ni);
	ni->data = xmalloc(len + 1);
	memcpy(ni->data, data, len);
	ni->len = len;
	return scan_doc(ni, where, err);
}

nameidx_t *nameidx_scan_file(const char *path, const char *where, err_t *err)
{
	nameidx_t *ni = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		err_set(err, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size == 0) {
		ni = nameidx_scan_mem("", 0, where, err);
		goto out;
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		err_set(err, "%s: cannot map: %s", path, strerror(errno));
		goto out;
	}
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	ni = xcalloc(1, sizeof *ni);
	ni->data = map;
	ni->len = ni->map_len = (size_t)st.st_size;
	ni = scan_doc(ni, where, err);
out:
	if (fd >= 0)
		close(fd);
	return ni;
}

void nameidx_free(nameidx_t *ni)
{
	if (!ni)
		return;
	if (ni->map_len)
		munmap(ni->data, ni->map_len);
	else
		free(ni->data);
	strtab_free(&ni->strings);
	strtab_free(&ni->fns[0]);
	strtab_free(&ni->fns[1]);
	free(ni->recs);
	free(ni->pairs);
	free(ni->n_counted);
	free(ni->dep_start);
	free(ni->deps);
	free(ni->selected);
	free(ni->info_subdir);
	free(ni);
}

/* ---- queries ---- */

size_t nameidx_count(const nameidx_t *ni)
{
	return ni->strings.n;
}

const char *nameidx_str(const nameidx_t *ni, size_t id, size_t *len)
{
	if (len)
		*len = ni->strings.ents[id].len;
	return ni->strings.ents[id].s;
}

long nameidx_find(const nameidx_t *ni, const char *name, size_t len)
{
	return strtab_find(&ni->strings, name, len);
}

size_t nameidx_records_of(const nameidx_t *ni, size_t id)
{
	return id < nameidx_count(ni) ? ni->n_counted[id] : 0;
}

const uint32_t *nameidx_deps(const nameidx_t *ni, size_t id, size_t *n)
{
	*n = ni->dep_start[id + 1] - ni->dep_start[id];
	return ni->deps + ni->dep_start[id];
}

void nameidx_select(nameidx_t *ni, size_t id)
{
	if (id >= nameidx_count(ni) || ni->selected[id])
		return;
	ni->selected[id] = 1;
}

size_t nameidx_selected(const nameidx_t *ni)
{
	size_t n = 0;
	for (size_t i = 0; i < ni->n_recs; i++) /* twins included: libsolv sees both */
		n += ni->selected[ni->recs[i].name];
	return n;
}

void nameidx_subset(const nameidx_t *ni, buf_t *out)
{
	buf_reset(out);
	buf_addch(out, '{');
	if (ni->info_len) {
		buf_addstr(out, "\"info\": ");
		buf_add(out, ni->data + ni->info_off, ni->info_len);
	}
	for (int m = 0; m < ni->n_maps; m++) {
		int map = ni->map_order[m], first = 1;
		buf_addf(out, "%s\"%s\": {", out->len > 1 ? ", " : "", map_keys[map]);
		for (size_t i = 0; i < ni->n_recs; i++) {
			const struct srec *e = &ni->recs[i];
			if (e->map != map || !ni->selected[e->name])
				continue;
			buf_addstr(out, first ? "\n" : ",\n");
			buf_add(out, ni->data + e->off, e->len);
			first = 0;
		}
		buf_addch(out, '}');
	}
	buf_addstr(out, "}\n");
}

/* ---- the checked marker ---- */

static void checked_path(const char *cache_dir, const char *sha, buf_t *out)
{
	buf_setstr(out, cache_dir);
	buf_addpath(out, "repodata/sparse");
	if (sha)
		buf_addf(out, "/%s.checked", sha);
}

void nameidx_mark_checked(const char *cache_dir, const char *sha)
{
	buf_t p = BUF_INIT;
	err_t ignored = ERR_INIT;
	checked_path(cache_dir, NULL, &p);
	if (fs_mkdir_p(p.data, &ignored) == 0) {
		checked_path(cache_dir, sha, &p);
		fs_write_atomic(p.data, "", 0, &ignored);
	}
	err_clear(&ignored);
	buf_free(&p);
}

int nameidx_is_checked(const char *cache_dir, const char *sha)
{
	buf_t p = BUF_INIT;
	checked_path(cache_dir, sha, &p);
	int yes = fs_exists(p.data);
	buf_free(&p);
	return yes;
}
