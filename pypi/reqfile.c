/* reqfile.c — pip requirement lines (see reqfile.h). Each line is stripped of its comment
 * (a "#" at the start or after white space, as pip does), then read as an option line
 * ("-..."), or as a requirement followed by per-requirement options (pip's rule: the
 * requirement is every word before the first one starting with "-"). Requirement files named
 * with -r/-c are read the same way, capped in size and nesting depth. */
#include "reqfile.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "distfile.h"
#include "pypi_int.h"
#include "pyurl.h"
#include "xalloc.h"

#define REQFILE_MAX_BYTES (1u << 20)
#define REQFILE_MAX_DEPTH 8
#define REQFILE_MAX_ENTRIES 10000

#define SOURCE_BUILD_HINT                                                                          \
	"imgbuild installs wheels only and never builds from source: build a wheel (`pip wheel "   \
	"--no-deps -w wheels/ ...`), add '--find-links wheels' to the pip list and name the "      \
	"project there instead"

typedef struct entry {
	pypi_req_t *req;
	char *origin;
	pypi_strv_t hashes;
} entry_t;

typedef struct entries {
	entry_t *v;
	size_t n;
} entries_t;

struct pypi_reqset {
	entries_t reqs, constraints;
	char *index_url;
	int no_index, pre;
	pypi_strv_t extra_index, find_links;
};

/* Where a line is read: its origin for messages, the directory relative paths start at. */
typedef struct line_ctx {
	pypi_reqset_t *rs;
	const char *origin; /* "file:line" */
	const char *dir;    /* absolute */
	int is_constraint;
	int depth;
} line_ctx_t;

static int line_error(const line_ctx_t *c, err_t *err, const char *fmt, const char *text,
		      const char *detail)
{
	buf_t msg = BUF_INIT;
	buf_addf(&msg, "%s: ", c->origin);
	buf_addf(&msg, fmt, text, detail);
	err_set(err, "%s", buf_cstr(&msg));
	buf_free(&msg);
	return -1;
}

static int source_build_error(const line_ctx_t *c, const char *text, const char *what, err_t *err)
{
	return line_error(c, err, "'%.300s' %s; " SOURCE_BUILD_HINT, text, what);
}

/* ------------------------------------------------------------------ paths */

/* The absolute form of path (relative to dir). */
static void absolute_path(const char *dir, const char *path, buf_t *out)
{
	buf_t joined = BUF_INIT;
	if (path[0] != '/')
		buf_addstr(&joined, dir);
	buf_addpath(&joined, path);
	pypi_path_clean(buf_cstr(&joined), out);
	buf_free(&joined);
}

/* The absolute directory holding path (the environment file or a requirements file). */
static char *dir_of(const char *path)
{
	buf_t b = BUF_INIT;
	const char *slash = strrchr(path, '/');
	char *real;
	if (!slash)
		buf_addstr(&b, ".");
	else
		buf_add(&b, path, slash == path ? 1 : (size_t)(slash - path));
	if ((real = realpath(buf_cstr(&b), NULL)) != NULL) {
		buf_free(&b);
		return real;
	}
	if (b.data[0] != '/') {
		char cwd[PATH_MAX];
		buf_t abs = BUF_INIT;
		buf_addstr(&abs, getcwd(cwd, sizeof cwd) ? cwd : "/");
		buf_addpath(&abs, buf_cstr(&b));
		buf_free(&b);
		return buf_detach(&abs);
	}
	return buf_detach(&b);
}

/* ------------------------------------------------------------------ requirement lines */

static entry_t *add_entry(line_ctx_t *c, pypi_req_t *req)
{
	entries_t *es = c->is_constraint ? &c->rs->constraints : &c->rs->reqs;
	es->v = xrealloc(es->v, (es->n + 1) * sizeof *es->v);
	entry_t *e = &es->v[es->n++];
	memset(e, 0, sizeof *e);
	e->req = req;
	e->origin = xstrdup(c->origin);
	return e;
}

static int is_vcs(const char *s)
{
	static const char *const vcs[] = {"git+", "hg+", "svn+", "bzr+"};
	for (size_t i = 0; i < sizeof vcs / sizeof vcs[0]; i++)
		if (!strncmp(s, vcs[i], strlen(vcs[i])))
			return 1;
	return 0;
}

/* A wheel named by URL or path: the project comes from the file name. Takes url. */
static pypi_req_t *wheel_url_req(const line_ctx_t *c, const char *text, char *url, err_t *err)
{
	buf_t base = BUF_INIT;
	pypi_distfile_t *f;
	pypi_req_t *req = NULL;
	pypi_url_basename(url, &base);
	if (!(f = pypi_distfile_parse(buf_cstr(&base), err)))
		line_error(c, err, "'%.300s': %s", text, err_msg(err));
	else
		req = pypi_req_new(pypi_distfile_name(f), NULL, 0, NULL, url);
	pypi_distfile_free(f);
	buf_free(&base);
	free(url);
	return req;
}

/* Text that is a URL or a path rather than a PEP 508 name: resolves it to a requirement, or
 * an error. Returns 1 when it handled text, 0 when text should be read as PEP 508. */
static int path_or_url_req(const line_ctx_t *c, const char *text, pypi_req_t **out, err_t *err)
{
	buf_t scheme = BUF_INIT, path = BUF_INIT, word = BUF_INIT;
	int is_url, looks_like_path, r = 1;
	/* pip's tests on the first word: a URL has "scheme://", a path holds a "/" or starts with
	 * "." or "~", a wheel file name ends in ".whl"; "name@URL" and "name @ URL" are PEP 508 */
	buf_add(&word, text, strcspn(text, " \t;"));
	is_url = pypi_url_scheme(buf_cstr(&word), &scheme) == 0 && strstr(buf_cstr(&word), "://");
	looks_like_path = text[0] == '.' || text[0] == '/' || text[0] == '~' ||
			  strpbrk(buf_cstr(&word), "/\\");
	buf_free(&scheme);
	if (is_vcs(text)) {
		r = source_build_error(c, text, "is a version-control URL", err);
	} else if (!is_url &&
		   (strchr(buf_cstr(&word), '@') || strstr(text, " @") ||
		    (!looks_like_path && !pypi_distfile_has_wheel_suffix(buf_cstr(&word))))) {
		r = 0;
	} else if (strpbrk(text, " \t;[")) {
		r = line_error(
			c, err, "'%.300s': %s", text,
			"extras and markers are not supported on a wheel URL or path; name the "
			"project with 'name[extra] @ URL ; marker'");
	} else if (!pypi_distfile_has_wheel_suffix(text)) {
		r = source_build_error(c, text,
				       is_url ? "is not a wheel URL (an sdist or a project page)"
					      : "is a local project or sdist path",
				       err);
	} else if (is_url) {
		*out = wheel_url_req(c, text, xstrdup(text), err);
	} else {
		absolute_path(c->dir, text, &path);
		buf_t url = BUF_INIT;
		pypi_url_from_path(buf_cstr(&path), &url);
		*out = wheel_url_req(c, text, buf_detach(&url), err);
	}
	buf_free(&path);
	buf_free(&word);
	return r < 0 || (r == 1 && !*out) ? -1 : r;
}

/* Checks what a parsed PEP 508 requirement's URL points at. */
static int check_direct_url(const line_ctx_t *c, const char *text, const pypi_req_t *req,
			    err_t *err)
{
	const char *url = pypi_req_url(req);
	buf_t base = BUF_INIT;
	int r = 0;
	if (!url)
		return 0;
	pypi_url_basename(url, &base);
	if (is_vcs(url))
		r = source_build_error(c, text, "is a version-control URL", err);
	else if (!pypi_distfile_has_wheel_suffix(buf_cstr(&base)))
		r = source_build_error(c, text, "does not point at a wheel (.whl)", err);
	buf_free(&base);
	return r;
}

static int add_hash(const line_ctx_t *c, entry_t *e, const char *value, err_t *err)
{
	buf_t hex = BUF_INIT;
	if (strncmp(value, "sha256:", 7) || !digest_is_hex(value + 7, 64))
		return line_error(
			c, err, "--hash=%.200s: %s", value,
			"expected sha256:<64 hex digits> (imgbuild verifies sha256 only)");
	for (const char *p = value + 7; *p; p++)
		buf_addch(&hex, (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p));
	if (!pypi_strv_contains(&e->hashes, buf_cstr(&hex)))
		pypi_strv_push(&e->hashes, buf_detach(&hex));
	buf_free(&hex);
	return 0;
}

/* Per-requirement options after the requirement: only --hash. */
static int parse_req_options(const line_ctx_t *c, entry_t *e, pypi_strv_t *words, size_t i,
			     err_t *err)
{
	for (; i < words->n; i++) {
		const char *w = words->v[i];
		if (!strncmp(w, "--hash=", 7)) {
			if (add_hash(c, e, w + 7, err) < 0)
				return -1;
		} else if (!strcmp(w, "--hash") && i + 1 < words->n) {
			if (add_hash(c, e, words->v[++i], err) < 0)
				return -1;
		} else {
			return line_error(
				c, err, "option '%.100s' %s", w,
				"is not supported after a requirement (only --hash=sha256:...)");
		}
	}
	if (e->hashes.n && c->is_constraint)
		return line_error(c, err, "%s%s", "--hash",
				  " is not allowed in a constraints file");
	return 0;
}

static void split_words(const char *s, pypi_strv_t *out)
{
	while (*s) {
		while (pypi_is_space(*s))
			s++;
		size_t n = 0;
		while (s[n] && !pypi_is_space(s[n]))
			n++;
		if (n)
			pypi_strv_addn(out, s, n);
		s += n;
	}
}

static int requirement_line(line_ctx_t *c, const char *line, err_t *err)
{
	pypi_strv_t words = PYPI_STRV_INIT;
	buf_t text = BUF_INIT;
	pypi_req_t *req = NULL;
	size_t i;
	int r = -1, handled;
	split_words(line, &words);
	for (i = 0; i < words.n && words.v[i][0] != '-'; i++)
		buf_addf(&text, "%s%s", i ? " " : "", words.v[i]);
	if ((handled = path_or_url_req(c, buf_cstr(&text), &req, err)) < 0)
		goto out;
	if (!handled && !(req = pypi_req_parse(buf_cstr(&text), err))) {
		line_error(c, err, "%s%s", "", err_msg(err));
		goto out;
	}
	if (check_direct_url(c, buf_cstr(&text), req, err) < 0)
		goto out;
	if (c->is_constraint && (pypi_req_url(req) || pypi_req_extra_count(req))) {
		line_error(c, err, "'%.300s' %s", buf_cstr(&text),
			   "in a constraints file may only be a name, a version and a marker");
		goto out;
	}
	if (c->rs->reqs.n + c->rs->constraints.n >= REQFILE_MAX_ENTRIES) {
		line_error(c, err, "%s%s", "", "too many requirements");
		goto out;
	}
	entry_t *e = add_entry(c, req);
	req = NULL;
	r = parse_req_options(c, e, &words, i, err);
out:
	pypi_req_free(req);
	pypi_strv_free(&words);
	buf_free(&text);
	return r;
}

/* ------------------------------------------------------------------ option lines */

static int read_requirements_file(line_ctx_t *c, const char *path, int is_constraint, err_t *err);

typedef enum {
	OPT_INDEX,
	OPT_EXTRA_INDEX,
	OPT_FIND_LINKS,
	OPT_NO_INDEX,
	OPT_PRE,
	OPT_REQUIREMENT,
	OPT_CONSTRAINT,
	OPT_NOOP,
	OPT_NOOP_VALUE,
	OPT_SOURCE_BUILD,
} opt_kind_t;

static const struct {
	const char *long_name;
	char short_name;
	opt_kind_t kind;
	int takes_value;
} options[] = {
	{"--index-url", 'i', OPT_INDEX, 1},
	{"--extra-index-url", 0, OPT_EXTRA_INDEX, 1},
	{"--find-links", 'f', OPT_FIND_LINKS, 1},
	{"--no-index", 0, OPT_NO_INDEX, 0},
	{"--pre", 0, OPT_PRE, 0},
	{"--requirement", 'r', OPT_REQUIREMENT, 1},
	{"--constraint", 'c', OPT_CONSTRAINT, 1},
	{"--prefer-binary", 0, OPT_NOOP, 0},
	{"--only-binary", 0, OPT_NOOP_VALUE, 1},
	{"--editable", 'e', OPT_SOURCE_BUILD, 1},
	{"--no-binary", 0, OPT_SOURCE_BUILD, 1},
};

/* Finds the option word names and its value (inline "=v" / "-Xv", or the rest of the line). */
static int match_option(const char *line, size_t *which, buf_t *value)
{
	size_t wl = strcspn(line, " \t=");
	for (size_t k = 0; k < sizeof options / sizeof options[0]; k++) {
		const char *rest = NULL;
		if (wl == strlen(options[k].long_name) && !strncmp(line, options[k].long_name, wl))
			rest = line + wl + (line[wl] == '=');
		else if (options[k].short_name && line[1] == options[k].short_name &&
			 line[0] == '-')
			rest = line + 2;
		if (!rest)
			continue;
		size_t len = strlen(rest);
		rest = pypi_trim(rest, &len);
		buf_reset(value);
		buf_add(value, rest, len);
		*which = k;
		return 0;
	}
	return -1;
}

static void add_find_links(line_ctx_t *c, const char *value)
{
	buf_t scheme = BUF_INIT, path = BUF_INIT, url = BUF_INIT;
	if (pypi_url_scheme(value, &scheme) == 0 && strstr(value, "://")) {
		pypi_strv_add(&c->rs->find_links, value);
	} else {
		absolute_path(c->dir, value, &path);
		pypi_url_from_path(buf_cstr(&path), &url);
		pypi_strv_push(&c->rs->find_links, buf_detach(&url));
	}
	buf_free(&scheme);
	buf_free(&path);
	buf_free(&url);
}

static int apply_option(line_ctx_t *c, const char *line, opt_kind_t kind, const char *value,
			err_t *err)
{
	switch (kind) {
	case OPT_INDEX:
		free(c->rs->index_url);
		c->rs->index_url = xstrdup(value);
		return 0;
	case OPT_EXTRA_INDEX: pypi_strv_add(&c->rs->extra_index, value); return 0;
	case OPT_FIND_LINKS: add_find_links(c, value); return 0;
	case OPT_NO_INDEX: c->rs->no_index = 1; return 0;
	case OPT_PRE: c->rs->pre = 1; return 0;
	case OPT_REQUIREMENT: return read_requirements_file(c, value, c->is_constraint, err);
	case OPT_CONSTRAINT: return read_requirements_file(c, value, 1, err);
	case OPT_NOOP:
	case OPT_NOOP_VALUE: return 0;
	case OPT_SOURCE_BUILD:
		return source_build_error(c, line,
					  !strncmp(line, "--no-binary", 11)
						  ? "asks for installs from source"
						  : "is an editable install (a build from source)",
					  err);
	}
	return 0;
}

static int option_line(line_ctx_t *c, const char *line, err_t *err)
{
	buf_t value = BUF_INIT;
	size_t k;
	int r;
	if (match_option(line, &k, &value) < 0) {
		size_t wl = strcspn(line, " \t=");
		buf_add(&value, line, wl);
		r = line_error(
			c, err, "pip option '%s' %s", buf_cstr(&value),
			"is not supported (imgbuild reads -i/--index-url, --extra-index-url, "
			"-f/--find-links, --no-index, --pre, -r, -c, --prefer-binary, "
			"--only-binary)");
	} else if (options[k].takes_value && value.len == 0) {
		r = line_error(c, err, "%s %s", options[k].long_name, "needs a value");
	} else if (!options[k].takes_value && value.len) {
		r = line_error(c, err, "%s %s", options[k].long_name, "takes no value");
	} else {
		r = apply_option(c, line, options[k].kind, buf_cstr(&value), err);
	}
	buf_free(&value);
	return r;
}

/* One logical line: comment stripped, then an option or a requirement. */
static int parse_line(line_ctx_t *c, const char *raw, err_t *err)
{
	buf_t line = BUF_INIT;
	size_t len = strlen(raw);
	int r = 0;
	for (size_t i = 0; i < len; i++)
		if (raw[i] == '#' && (i == 0 || pypi_is_space(raw[i - 1])))
			len = i;
	const char *s = pypi_trim(raw, &len);
	buf_add(&line, s, len);
	if (len == 0)
		goto out;
	if (strstr(buf_cstr(&line), "${")) {
		r = line_error(c, err, "'%.300s': %s", buf_cstr(&line),
			       "environment variables (${NAME}) are not expanded; write the value");
		goto out;
	}
	r = line.data[0] == '-' ? option_line(c, buf_cstr(&line), err)
				: requirement_line(c, buf_cstr(&line), err);
out:
	buf_free(&line);
	return r;
}

/* Splits a requirements file into logical lines (a trailing "\" joins the next line, as
 * pip) and parses each with its own origin and the file's directory. */
static int parse_file_lines(line_ctx_t *c, const char *display, const char *text, err_t *err)
{
	buf_t logical = BUF_INIT, origin = BUF_INIT;
	int lineno = 0, first = 0, r = 0;
	for (const char *p = text; *p && r == 0;) {
		size_t n = strcspn(p, "\n");
		lineno++;
		if (!logical.len)
			first = lineno;
		buf_add(&logical, p, n && p[n - 1] == '\r' ? n - 1 : n);
		p += n + (p[n] == '\n');
		if (logical.len && logical.data[logical.len - 1] == '\\' && *p) {
			buf_truncate(&logical, logical.len - 1);
			continue;
		}
		buf_reset(&origin);
		buf_addf(&origin, "%s:%d", display, first);
		c->origin = buf_cstr(&origin);
		r = parse_line(c, buf_cstr(&logical), err);
		buf_reset(&logical);
	}
	buf_free(&logical);
	buf_free(&origin);
	return r;
}

static int read_requirements_file(line_ctx_t *c, const char *path, int is_constraint, err_t *err)
{
	buf_t abs = BUF_INIT, text = BUF_INIT, scheme = BUF_INIT;
	line_ctx_t sub = *c;
	int r = -1;
	if (pypi_url_scheme(path, &scheme) == 0 && strstr(path, "://")) {
		line_error(c, err, "-r/-c %.300s: %s", path,
			   "requirement files are read from local paths only");
		goto out;
	}
	if (c->depth >= REQFILE_MAX_DEPTH) {
		line_error(c, err, "-r/-c %.300s: %s", path, "requirement files nested too deeply");
		goto out;
	}
	absolute_path(c->dir, path, &abs);
	if (buf_read_file(&text, buf_cstr(&abs), REQFILE_MAX_BYTES, err) < 0) {
		line_error(c, err, "-r/-c %.300s: %s", path, err_msg(err));
		goto out;
	}
	if (memchr(text.data, 0, text.len)) {
		line_error(c, err, "-r/-c %.300s: %s", path, "holds a NUL byte (not a text file)");
		goto out;
	}
	sub.dir = dir_of(buf_cstr(&abs));
	sub.is_constraint = is_constraint;
	sub.depth = c->depth + 1;
	r = parse_file_lines(&sub, buf_cstr(&abs), buf_cstr(&text), err);
	free((char *)sub.dir);
out:
	buf_free(&abs);
	buf_free(&text);
	buf_free(&scheme);
	return r;
}

/* ------------------------------------------------------------------ API */

pypi_reqset_t *pypi_reqset_parse(const char *env_path, const char *const *lines,
				 const int *line_numbers, size_t n, err_t *err)
{
	pypi_reqset_t *rs = xcalloc(1, sizeof *rs);
	buf_t origin = BUF_INIT;
	char *dir = dir_of(env_path);
	line_ctx_t c = {rs, NULL, dir, 0, 0};
	for (size_t i = 0; i < n; i++) {
		if (!lines[i])
			continue;
		buf_reset(&origin);
		buf_addf(&origin, "%s:%d", env_path, line_numbers ? line_numbers[i] : (int)i + 1);
		c.origin = buf_cstr(&origin);
		if (strchr(lines[i], '\n')) {
			line_error(&c, err, "'%.300s': %s", lines[i],
				   "one requirement per list item");
			goto fail;
		}
		if (parse_line(&c, lines[i], err) < 0)
			goto fail;
	}
	buf_free(&origin);
	free(dir);
	return rs;
fail:
	buf_free(&origin);
	free(dir);
	pypi_reqset_free(rs);
	return NULL;
}

static void entries_free(entries_t *es)
{
	for (size_t i = 0; i < es->n; i++) {
		pypi_req_free(es->v[i].req);
		free(es->v[i].origin);
		pypi_strv_free(&es->v[i].hashes);
	}
	free(es->v);
}

void pypi_reqset_free(pypi_reqset_t *rs)
{
	if (!rs)
		return;
	entries_free(&rs->reqs);
	entries_free(&rs->constraints);
	free(rs->index_url);
	pypi_strv_free(&rs->extra_index);
	pypi_strv_free(&rs->find_links);
	free(rs);
}

size_t pypi_reqset_count(const pypi_reqset_t *rs)
{
	return rs->reqs.n;
}

const pypi_req_t *pypi_reqset_req(const pypi_reqset_t *rs, size_t i)
{
	return rs->reqs.v[i].req;
}

const char *pypi_reqset_origin(const pypi_reqset_t *rs, size_t i)
{
	return rs->reqs.v[i].origin;
}

size_t pypi_reqset_hash_count(const pypi_reqset_t *rs, size_t i)
{
	return rs->reqs.v[i].hashes.n;
}

const char *pypi_reqset_hash(const pypi_reqset_t *rs, size_t i, size_t k)
{
	return rs->reqs.v[i].hashes.v[k];
}

size_t pypi_reqset_constraint_count(const pypi_reqset_t *rs)
{
	return rs->constraints.n;
}

const pypi_req_t *pypi_reqset_constraint(const pypi_reqset_t *rs, size_t i)
{
	return rs->constraints.v[i].req;
}

const char *pypi_reqset_constraint_origin(const pypi_reqset_t *rs, size_t i)
{
	return rs->constraints.v[i].origin;
}

const char *pypi_reqset_index_url(const pypi_reqset_t *rs)
{
	return rs->index_url;
}

int pypi_reqset_no_index(const pypi_reqset_t *rs)
{
	return rs->no_index;
}

size_t pypi_reqset_extra_index_count(const pypi_reqset_t *rs)
{
	return rs->extra_index.n;
}

const char *pypi_reqset_extra_index(const pypi_reqset_t *rs, size_t i)
{
	return rs->extra_index.v[i];
}

size_t pypi_reqset_find_links_count(const pypi_reqset_t *rs)
{
	return rs->find_links.n;
}

const char *pypi_reqset_find_links(const pypi_reqset_t *rs, size_t i)
{
	return rs->find_links.v[i];
}

int pypi_reqset_pre(const pypi_reqset_t *rs)
{
	return rs->pre;
}
