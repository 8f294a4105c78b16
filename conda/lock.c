/* lock.c — reading lock files (see lock.h): conda-lock v1 YAML through libyaml's document
 * API, @EXPLICIT text line by line. Every record keeps its URL and hash exactly as written;
 * name, version and build come from the file name (conda's dist string), which is what
 * conda itself trusts for explicit installs. Writing lives in lock_write.c. */
#include "lock.h"
#include "xalloc.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yamlutil.h"

/* Real locks are a few MB (the 800-package PyTorch lock is ~0.5 MB): cap untrusted input. */
#define LOCK_MAX_BYTES ((size_t)256 << 20)

struct lockfile {
	pkgrec_t **recs;
	size_t n, cap;
	json_t *by_name; /* name -> index in recs */
	char **pip;
	size_t n_pip;
	char *env_name;    /* metadata.custom_metadata[LOCK_META_ENV_NAME] */
	char *pip_problem; /* why the first unusable pip entry cannot be installed, or NULL */
};

static int is_hex_of_len(const char *s, size_t len)
{
	size_t i = 0;
	for (; s[i]; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return i == len;
}

static char *lower_dup(const char *s)
{
	char *p = xstrdup(s);
	for (char *q = p; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return p;
}

pkgrec_t *lock_record_from_url(const char *url, const char *name, err_t *err)
{
	pkgrec_t *r = NULL;
	size_t ext_len = 0;
	const char *slash = strrchr(url, '/');
	/* a scheme first (not "://" anywhere), and no '#': @EXPLICIT splits the hash off there,
	 * so a lock written back would read as another URL (fuzz_lock) */
	if (!slash || !slash[1] || strchr(url, '#') ||
	    (strncmp(url, "https://", 8) && strncmp(url, "http://", 7) &&
	     strncmp(url, "file://", 7)))
		goto bad;
	/* URLs are ASCII (RFC 3986): a raw byte here would reach messages, curl and the lock
	 * writer (libyaml's emitter crashes on invalid UTF-8) */
	for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f) {
			err_set(err,
				"'%.200s' is not a package URL: byte 0x%02x (spaces, control "
				"characters and non-ASCII must be percent-encoded)",
				url, *p);
			return NULL;
		}
	}
	const char *fn = slash + 1;
	size_t fn_len = strlen(fn);
	if (fn_len > 6 && !strcmp(fn + fn_len - 6, ".conda"))
		ext_len = 6;
	else if (fn_len > 8 && !strcmp(fn + fn_len - 8, ".tar.bz2"))
		ext_len = 8;
	else
		goto bad;
	/* <channel>/<subdir>/<fn>: the subdir is the component before the file name. */
	const char *sub_start = slash;
	while (sub_start > url && sub_start[-1] != '/')
		sub_start--;
	if (sub_start == slash || sub_start - 1 <= strstr(url, "://") + 2)
		goto bad;
	char *dist = xstrndup(fn, fn_len - ext_len);
	char *last = strrchr(dist, '-');
	if (!last || last == dist) {
		free(dist);
		goto bad;
	}
	*last = '\0';
	char *mid = name ? NULL : strrchr(dist, '-');
	if (name) {
		size_t nl = strlen(name);
		/* The file name must start with "<name>-": a lock naming one package but pointing
		 * at another is refused rather than installed under the wrong name. */
		if (strncasecmp(dist, name, nl) != 0 || dist[nl] != '-' || !dist[nl + 1]) {
			err_set(err, "%s: the file name does not belong to package '%s'", url,
				name);
			free(dist);
			return NULL;
		}
		mid = dist + nl;
	}
	if (!mid || mid == dist || !mid[1]) {
		free(dist);
		goto bad;
	}
	*mid = '\0';
	r = pkgrec_new();
	r->name = lower_dup(dist);
	r->version = xstrdup(mid + 1);
	r->build = xstrdup(last + 1);
	free(dist);
	r->fn = xstrdup(fn);
	r->url = xstrdup(url);
	r->subdir = xstrndup(sub_start, (size_t)(slash - sub_start));
	r->channel = xstrndup(url, (size_t)(sub_start - 1 - url));
	if (pkgrec_check(r, err) != 0) { /* the same grammar as a channel's records */
		pkgrec_free(r);
		return NULL;
	}
	return r;
bad:
	err_set(err,
		"'%s' is not a conda package URL (expected CHANNEL/SUBDIR/NAME-VERSION-BUILD.conda "
		"or .tar.bz2)",
		url);
	return NULL;
}

static void push_rec(lockfile_t *l, pkgrec_t *r)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->recs = xrealloc(l->recs, l->cap * sizeof *l->recs);
	}
	l->recs[l->n++] = r;
}

/* Adds r (taken) unless its name is there already: the same URL again is dropped (several
 * conda-lock categories list one package); another URL is refused, in both formats (two
 * builds of one package would install into one prefix). */
static int add_record(lockfile_t *l, pkgrec_t *r, const char *path, int line, err_t *err)
{
	json_t *at = json_object_get(l->by_name, r->name);
	if (at) {
		const pkgrec_t *prev = l->recs[json_integer_value(at)];
		int same = !strcmp(prev->url, r->url);
		if (!same)
			err_set(err, "%s:%d: package %s is locked twice, as %s and %s", path, line,
				r->name, prev->url, r->url);
		pkgrec_free(r);
		return same ? 0 : -1;
	}
	json_object_set_new(l->by_name, r->name, json_integer((json_int_t)l->n));
	push_rec(l, r);
	return 0;
}

static void push_pip(lockfile_t *l, const char *name)
{
	l->pip = xrealloc(l->pip, (l->n_pip + 1) * sizeof *l->pip);
	l->pip[l->n_pip++] = xstrdup(name);
}

/* Sets md5 or sha256 from a hex string by its length. */
static int set_hash(pkgrec_t *r, const char *hex)
{
	if (is_hex_of_len(hex, 32)) {
		free(r->md5);
		r->md5 = lower_dup(hex);
		return 0;
	}
	if (is_hex_of_len(hex, 64)) {
		free(r->sha256);
		r->sha256 = lower_dup(hex);
		return 0;
	}
	return -1;
}

/* Where the record's hashes come from, for fetch's messages (pkgrec_origin). */
static void set_origin(pkgrec_t *r, const char *path, int line)
{
	buf_t b = BUF_INIT;
	buf_addf(&b, "lock file %s:%d", path, line);
	free(r->origin);
	r->origin = buf_detach(&b);
}

/* ---- @EXPLICIT ---- */

static int read_explicit(lockfile_t *l, const char *path, const char *text, const char *platform,
			 err_t *err)
{
	int line_no = 0, seen_marker = 0;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len);
		p += len + (nl ? 1 : 0);
		line_no++;
		char *s = line, *e = line + strlen(line);
		while (*s == ' ' || *s == '\t')
			s++;
		while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		int rc = 0;
		if (!strncmp(s, "# platform:", 11)) {
			const char *plat = s + 11;
			while (*plat == ' ')
				plat++;
			if (platform && strcmp(plat, platform) != 0)
				rc = err_set(err, "%s:%d: lock is for platform %s, not %s", path,
					     line_no, plat, platform);
		} else if (!strcmp(s, "@EXPLICIT")) {
			seen_marker = 1;
		} else if (*s && *s != '#') {
			if (!seen_marker)
				rc = err_set(err, "%s:%d: package URL before the @EXPLICIT line",
					     path, line_no);
			char *hash = rc ? NULL : strchr(s, '#');
			if (hash) {
				*hash++ = '\0';
				/* conda writes bare hex; some tools prefix the algorithm */
				if (!strncmp(hash, "sha256:", 7) || !strncmp(hash, "md5:", 4))
					hash = strchr(hash, ':') + 1;
			}
			pkgrec_t *r = rc ? NULL : lock_record_from_url(s, NULL, err);
			if (!rc && !r)
				rc = err_prefix(err, "%s:%d", path, line_no);
			if (r && hash && set_hash(r, hash) != 0) {
				rc = err_set(err,
					     "%s:%d: '#%s' is neither an MD5 (32 hex digits) nor a "
					     "SHA-256 "
					     "(64) of %s",
					     path, line_no, hash, r->fn);
				pkgrec_free(r);
				r = NULL;
			}
			if (r) {
				set_origin(r, path, line_no);
				if (add_record(l, r, path, line_no, err) != 0)
					rc = -1;
			}
		}
		free(line);
		if (rc)
			return -1;
	}
	if (!seen_marker)
		return err_set(err, "%s: no @EXPLICIT line: not an explicit lock", path);
	return 0;
}

/* ---- conda-lock YAML ---- */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(doc, pr->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *map_str(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	return scalar(map_get(doc, map, key));
}

/* "dependencies: {python: '>=3.11', pip: ''}" -> depends "python >=3.11", "pip". */
static int read_dependencies(yaml_document_t *doc, yaml_node_t *deps, pkgrec_t *r)
{
	if (!deps)
		return 0;
	if (deps->type != YAML_MAPPING_NODE)
		return -1;
	size_t n = (size_t)(deps->data.mapping.pairs.top - deps->data.mapping.pairs.start);
	r->depends = xcalloc(n ? n : 1, sizeof *r->depends);
	for (yaml_node_pair_t *pr = deps->data.mapping.pairs.start;
	     pr < deps->data.mapping.pairs.top; pr++) {
		const char *k = scalar(yaml_document_get_node(doc, pr->key));
		const char *v = scalar(yaml_document_get_node(doc, pr->value));
		if (!k || !v)
			return -1;
		buf_t d = BUF_INIT;
		buf_addstr(&d, k);
		if (*v) {
			buf_addch(&d, ' ');
			buf_addstr(&d, v);
		}
		r->depends[r->n_depends++] = buf_detach(&d);
	}
	return 0;
}

/* A `manager: pip` entry: a wheel by https/http/file URL with its sha256 (the build
 * verifies the download against it). */
static int read_pip_package(lockfile_t *l, yaml_document_t *doc, yaml_node_t *pkg, const char *path,
			    int line, err_t *err)
{
	const char *name = map_str(doc, pkg, "name"), *url = map_str(doc, pkg, "url");
	const char *version = map_str(doc, pkg, "version");
	const char *sha = map_str(doc, map_get(doc, pkg, "hash"), "sha256");
	const char *fn = strrchr(url, '/'), *why = NULL;
	size_t fn_len = fn ? strcspn(fn + 1, "#?") : 0;
	if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7) && strncmp(url, "file://", 7))
		why = "its url must be https://, http:// or file://";
	else if (!fn || fn_len < 5 || fn_len > PKGREC_FN_MAX ||
		 strncmp(fn + 1 + fn_len - 4, ".whl", 4))
		why = "its url must name a wheel (.whl)";
	else if (!version || !*version)
		why = "it has no version";
	else if (!sha || !is_hex_of_len(sha, 64))
		why = "it needs hash: {sha256: <64 hex digits>} to verify the wheel";
	if (why) { /* reading goes on: --ignore-pip may drop them (lock_pip_problem) */
		if (!l->pip_problem) {
			buf_t m = BUF_INIT;
			buf_addf(&m, "%s:%d: pip package %s: %s", path, line, name, why);
			l->pip_problem = buf_detach(&m);
		}
		push_pip(l, name);
		return 0;
	}
	pkgrec_t *r = pkgrec_new();
	r->name = lower_dup(name);
	r->version = xstrdup(version);
	r->build = xstrdup("pypi_0");
	r->subdir = xstrdup(LOCK_PIP_SUBDIR);
	r->channel = xstrdup(LOCK_PIP_SUBDIR);
	r->fn = xstrndup(fn + 1, fn_len);
	r->url = xstrdup(url);
	r->sha256 = lower_dup(sha);
	if (read_dependencies(doc, map_get(doc, pkg, "dependencies"), r) != 0) {
		err_set(err, "%s:%d: pip package %s: dependencies must map names to specifiers",
			path, line, name);
		pkgrec_free(r);
		return -1;
	}
	set_origin(r, path, line);
	push_pip(l, name);
	return add_record(l, r, path, line, err);
}

/* One `package:` entry; returns 0 (taken or skipped) or -1 with err set. */
static int read_yaml_package(lockfile_t *l, yaml_document_t *doc, yaml_node_t *pkg,
			     const char *path, const char *platform, err_t *err)
{
	int line = (int)pkg->start_mark.line + 1;
	const char *name = map_str(doc, pkg, "name");
	const char *manager = map_str(doc, pkg, "manager");
	const char *plat = map_str(doc, pkg, "platform");
	const char *url = map_str(doc, pkg, "url");
	const char *optional = map_str(doc, pkg, "optional");
	if (pkg->type != YAML_MAPPING_NODE || !name || !url)
		return err_set(err, "%s:%d: package entry without name or url", path, line);
	if (platform && plat && strcmp(plat, platform) != 0)
		return 0;
	/* conda-lock installs optional (dev/extra category) packages only on request. */
	if (optional && !strcmp(optional, "true"))
		return 0;
	if (manager && !strcmp(manager, "pip"))
		return read_pip_package(l, doc, pkg, path, line, err);
	if (manager && strcmp(manager, "conda") != 0)
		return err_set(err,
			       "%s:%d: package %s: unknown manager '%s' (expected conda or pip)",
			       path, line, name, manager);
	pkgrec_t *r = lock_record_from_url(url, name, err);
	if (!r)
		return err_prefix(err, "%s:%d", path, line);
	const char *version = map_str(doc, pkg, "version");
	if (version && strcmp(version, r->version) != 0) {
		err_set(err, "%s:%d: package %s: version %s does not match its URL %s", path, line,
			name, version, url);
		pkgrec_free(r);
		return -1;
	}
	yaml_node_t *hash = map_get(doc, pkg, "hash");
	const char *md5 = map_str(doc, hash, "md5"), *sha = map_str(doc, hash, "sha256");
	if ((md5 && set_hash(r, md5) != 0) || (sha && set_hash(r, sha) != 0) || (md5 && !r->md5) ||
	    (sha && !r->sha256)) {
		err_set(err, "%s:%d: package %s: malformed hash (md5 is 32 hex digits, sha256 64)",
			path, line, name);
		pkgrec_free(r);
		return -1;
	}
	if (read_dependencies(doc, map_get(doc, pkg, "dependencies"), r) != 0) {
		err_set(err, "%s:%d: package %s: dependencies must map names to version specs",
			path, line, name);
		pkgrec_free(r);
		return -1;
	}
	set_origin(r, path, line);
	return add_record(l, r, path, line, err);
}

static int read_yaml(lockfile_t *l, const char *path, const char *text, size_t len,
		     const char *platform, err_t *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int have_doc = 0, rc = -1;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		size_t at_line, at_col; /* reader errors (bad UTF-8) carry only an offset */
		yamlutil_error_position(&parser, text, len, &at_line, &at_col);
		err_set(err, "%s:%zu:%zu: not valid YAML: %s", path, at_line, at_col,
			parser.problem ? parser.problem : "parse error");
		goto out;
	}
	have_doc = 1;
	for (yaml_node_t *n = doc.nodes.start; n < doc.nodes.top; n++) {
		yaml_node_t *first, *dup = yamlutil_duplicate_key(&doc, n, &first);
		if (dup) { /* map_get would read the first, another reader the last */
			err_set(err, "%s:%zu:%zu: duplicate key '%s' (first at line %zu)", path,
				dup->start_mark.line + 1, dup->start_mark.column + 1,
				(const char *)dup->data.scalar.value, first->start_mark.line + 1);
			goto out;
		}
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	const char *version = map_str(&doc, root, "version");
	yaml_node_t *pkgs = map_get(&doc, root, "package");
	if (version && strcmp(version, "1") != 0) {
		err_set(err,
			"%s: lock format version %s is not supported (imgbuild reads conda-lock "
			"version 1 and @EXPLICIT files; pixi.lock is a different format)",
			path, version);
		goto out;
	}
	yaml_node_t *custom = map_get(&doc, map_get(&doc, root, "metadata"), "custom_metadata");
	const char *env_name = map_str(&doc, custom, LOCK_META_ENV_NAME);
	if (env_name && *env_name)
		l->env_name = xstrdup(env_name);
	if (!pkgs || pkgs->type != YAML_SEQUENCE_NODE) {
		err_set(err, "%s: not a conda-lock file (no `package:` list) and not @EXPLICIT",
			path);
		goto out;
	}
	for (yaml_node_item_t *it = pkgs->data.sequence.items.start;
	     it < pkgs->data.sequence.items.top; it++)
		if (read_yaml_package(l, &doc, yaml_document_get_node(&doc, *it), path, platform,
				      err) != 0)
			goto out;
	rc = 0;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

static int has_explicit_marker(const char *text)
{
	for (const char *p = text; (p = strstr(p, "@EXPLICIT")) != NULL; p++) {
		int at_line_start = p == text || p[-1] == '\n';
		char after = p[9];
		if (at_line_start &&
		    (after == '\0' || after == '\n' || after == '\r' || after == ' '))
			return 1;
	}
	return 0;
}

lockfile_t *lock_read(const char *path, const char *platform, err_t *err)
{
	lockfile_t *l = xcalloc(1, sizeof *l);
	buf_t text = BUF_INIT;
	int rc;
	l->by_name = json_object();
	if (buf_read_file(&text, path, LOCK_MAX_BYTES, err) != 0) {
		rc = -1;
	} else if (!text.len) { /* text.data is NULL: this crashed (/dev/null, exit 139) */
		rc = err_set(err, "%s: empty file, not a lock (conda-lock YAML or @EXPLICIT)",
			     path);
	} else if (has_explicit_marker(text.data)) {
		rc = read_explicit(l, path, text.data, platform, err);
	} else {
		rc = read_yaml(l, path, text.data, text.len, platform, err);
	}
	if (rc == 0 && l->n == 0)
		rc = err_set(err, "%s: no conda packages for platform %s in the lock", path,
			     platform ? platform : "(any)");
	buf_free(&text);
	if (rc != 0) {
		lock_free(l);
		return NULL;
	}
	return l;
}

void lock_free(lockfile_t *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		pkgrec_free(l->recs[i]);
	free(l->recs);
	json_decref(l->by_name);
	for (size_t i = 0; i < l->n_pip; i++)
		free(l->pip[i]);
	free(l->pip);
	free(l->pip_problem);
	free(l->env_name);
	free(l);
}

size_t lock_count(const lockfile_t *l)
{
	return l ? l->n : 0;
}

const pkgrec_t *lock_get(const lockfile_t *l, size_t i)
{
	return l && i < l->n ? l->recs[i] : NULL;
}

const char *lock_pip_problem(const lockfile_t *l)
{
	return l ? l->pip_problem : NULL;
}

size_t lock_pip_count(const lockfile_t *l)
{
	return l ? l->n_pip : 0;
}

const char *lock_pip_name(const lockfile_t *l, size_t i)
{
	return l && i < l->n_pip ? l->pip[i] : NULL;
}

pkgrec_t **lock_take_records(lockfile_t *l, size_t *n_out)
{
	pkgrec_t **recs = l->recs;
	*n_out = l->n;
	l->recs = NULL;
	l->n = l->cap = 0;
	json_object_clear(l->by_name);
	return recs;
}

const char *lock_env_name(const lockfile_t *l)
{
	return l ? l->env_name : NULL;
}
