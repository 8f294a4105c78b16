/* install_meta.c — reads a package's info/: paths.json, or the old info/files +
 * info/has_prefix listing, index.json and link.json, capped in size. */
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
#include "xalloc.h"

int inst_read_file_at(int dfd, const char *name, size_t max_bytes, buf_t *b)
{
	char chunk[1 << 14];
	int rc = -1, fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	buf_reset(b);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (b->len + (size_t)n > max_bytes) {
			errno = EFBIG;
			goto out;
		}
		buf_add(b, chunk, (size_t)n);
	}
	rc = 1;
out:
	if (rc < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	} else {
		close(fd);
	}
	return rc;
}

/* Reads tmp/extract/<rel> into b. Returns 1 if read, 0 if absent, -1 on error. */
static int read_meta(inst_t *in, const char *rel, buf_t *b, err_t *err)
{
	const char *base = NULL, *why = NULL;
	if (in->sink) /* install_stream: info/ was read into memory */
		return inst_meta_get(in, rel, b);
	int pfd = inst_open_parent(in->ex_fd, rel, 0, &base, &why);
	buf_reset(b);
	if (pfd < 0)
		return 0; /* no info/ directory at all */
	int rc = inst_read_file_at(pfd, base, INSTALL_MAX_META_BYTES, b);
	if (rc < 0 && errno == EFBIG)
		err_set(err, "package %s: %s is larger than %u bytes", in->dist, rel,
			INSTALL_MAX_META_BYTES);
	else if (rc < 0)
		err_set(err, "package %s: %s: %s", in->dist, rel, strerror(errno));
	close(pfd);
	return rc;
}

static json_t *load_meta_json(inst_t *in, const char *rel, err_t *err, int *status)
{
	buf_t b = BUF_INIT;
	json_error_t jerr;
	json_t *j = NULL;
	*status = read_meta(in, rel, &b, err);
	if (*status == 1) {
		j = b.len ? json_loadb(b.data, b.len, 0, &jerr) : NULL;
		if (!b.len) {
			err_set(err,
				"package %s: %s is empty (a JSON object was expected); the "
				"archive is damaged or not a conda package",
				in->dist, rel);
		} else if (!j) {
			err_set(err, "package %s: %s line %d: invalid JSON: %s", in->dist, rel,
				jerr.line, jerr.text);
		} else if (!json_is_object(j)) {
			err_set(err, "package %s: %s: a JSON object was expected", in->dist, rel);
			json_decref(j);
			j = NULL;
		}
		if (!j)
			*status = -1;
	}
	buf_free(&b);
	return j;
}

static char *json_strdup(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? xstrdup(s) : NULL;
}

static inst_path_t *add_path(inst_t *in, const char *path)
{
	inst_path_t *np = xrealloc(in->paths, (in->n_paths + 1) * sizeof *np);
	in->paths = np;
	inst_path_t *p = &in->paths[in->n_paths++];
	memset(p, 0, sizeof *p);
	p->path = xstrdup(path);
	p->size_bytes = -1;
	return p;
}

static int load_paths_json(inst_t *in, json_t *pj, err_t *err)
{
	json_t *arr = json_object_get(pj, "paths");
	if (!json_is_array(arr))
		return err_set(err, "package %s: info/paths.json has no \"paths\" array", in->dist);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *it = json_array_get(arr, i);
		const char *path = json_string_value(json_object_get(it, "_path"));
		if (!path)
			return err_set(err,
				       "package %s: info/paths.json entry %zu has no \"_path\"",
				       in->dist, i);
		inst_path_t *p = add_path(in, path);
		p->path_type = json_strdup(it, "path_type");
		p->placeholder = json_strdup(it, "prefix_placeholder");
		const char *mode = json_string_value(json_object_get(it, "file_mode"));
		p->is_binary = mode && !strcmp(mode, "binary");
		p->sha256 = json_strdup(it, "sha256");
		json_t *size = json_object_get(it, "size_in_bytes");
		if (json_is_integer(size))
			p->size_bytes = json_integer_value(size);
	}
	return 0;
}

/* Splits an info/has_prefix line into up to 4 tokens; quotes ('...' or "...") group a path
 * with spaces, as conda's shlex.split(posix=False) + strip-quotes does. */
static size_t split_has_prefix_line(char *line, char *tok[4])
{
	size_t n = 0;
	char *p = line;
	while (*p && n < 4) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		char q = (*p == '"' || *p == '\'') ? *p : 0;
		if (q)
			p++;
		tok[n++] = p;
		while (*p && (q ? *p != q : (*p != ' ' && *p != '\t')))
			p++;
		if (*p)
			*p++ = '\0';
	}
	while (*p == ' ' || *p == '\t')
		p++;
	return *p ? 5 : n; /* 5: too many tokens */
}

/* Next line of *cursor (NUL-terminated in place, trailing "\r" removed), or NULL at the end. */
static char *next_line(char **cursor)
{
	char *line = *cursor;
	if (!line || !*line)
		return NULL;
	char *nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = line + strlen(line);
	}
	size_t n = strlen(line);
	if (n && line[n - 1] == '\r')
		line[n - 1] = '\0';
	return line;
}

static inst_path_t *find_path(inst_t *in, const char *path)
{
	for (size_t i = 0; i < in->n_paths; i++)
		if (!strcmp(in->paths[i].path, path))
			return &in->paths[i];
	return NULL;
}

/* Old packages: info/files lists paths, info/has_prefix lists `placeholder mode path` (or
 * only `path`, meaning the default placeholder in text mode). */
static int load_old_listing(inst_t *in, buf_t *files, err_t *err)
{
	buf_t hp = BUF_INIT;
	int rc = -1, st;
	char *cursor = files->data;
	for (char *line; (line = next_line(&cursor)) != NULL;) {
		size_t n = strlen(line);
		while (n && line[n - 1] == ' ')
			line[--n] = '\0';
		if (n)
			add_path(in, line);
	}
	if ((st = read_meta(in, "info/has_prefix", &hp, err)) < 0)
		goto out;
	long lineno = 0;
	cursor = st ? hp.data : NULL;
	for (char *line; (line = next_line(&cursor)) != NULL;) {
		char *tok[4];
		lineno++;
		size_t nt = split_has_prefix_line(line, tok);
		if (nt == 0)
			continue;
		if (nt != 1 && nt != 3) {
			err_set(err,
				"package %s: info/has_prefix line %ld: expected `placeholder mode "
				"path` or `path`",
				in->dist, lineno);
			goto out;
		}
		const char *path = nt == 1 ? tok[0] : tok[2];
		const char *mode = nt == 1 ? "text" : tok[1];
		if (strcmp(mode, "text") && strcmp(mode, "binary")) {
			err_set(err,
				"package %s: info/has_prefix line %ld: unknown mode \"%s\" (text "
				"or binary)",
				in->dist, lineno, mode);
			goto out;
		}
		inst_path_t *p = find_path(in, path);
		if (!p) {
			err_set(err,
				"package %s: info/has_prefix line %ld: %s is not listed in "
				"info/files",
				in->dist, lineno, path);
			goto out;
		}
		free(p->placeholder);
		p->placeholder = xstrdup(nt == 1 ? INSTALL_DEFAULT_PLACEHOLDER : tok[0]);
		p->is_binary = !strcmp(mode, "binary");
	}
	rc = 0;
out:
	buf_free(&hp);
	return rc;
}

int inst_load_metadata(inst_t *in, err_t *err)
{
	buf_t files = BUF_INIT;
	int st, rc = -1;
	in->index = load_meta_json(in, "info/index.json", err, &st);
	if (st < 0)
		goto out;
	in->link = load_meta_json(in, "info/link.json", err, &st);
	if (st < 0)
		goto out;
	json_t *pj = load_meta_json(in, "info/paths.json", err, &st);
	if (st < 0)
		goto out;
	if (st == 1) {
		in->listing = "info/paths.json";
		rc = load_paths_json(in, pj, err);
		json_decref(pj);
		if (rc != 0)
			goto out;
	} else {
		if ((st = read_meta(in, "info/files", &files, err)) < 0)
			goto out;
		if (st == 0) {
			err_set(err,
				"package %s has neither info/paths.json nor info/files; not a "
				"conda package?",
				in->dist);
			goto out;
		}
		in->listing = "info/files";
		if (load_old_listing(in, &files, err) != 0)
			goto out;
	}
	const char *noarch = in->rec ? in->rec->noarch : NULL;
	const char *idx_noarch = json_string_value(json_object_get(in->index, "noarch"));
	const char *link_type =
		json_string_value(json_object_get(json_object_get(in->link, "noarch"), "type"));
	in->is_noarch_python = (noarch && !strcmp(noarch, "python")) ||
			       (idx_noarch && !strcmp(idx_noarch, "python")) ||
			       (link_type && !strcmp(link_type, "python")) ||
			       json_is_true(json_object_get(in->index, "noarch_python"));
	rc = 0;
out:
	buf_free(&files);
	return rc;
}

/* ---- pass 2: moving listed paths into the prefix ---- */
