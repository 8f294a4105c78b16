/* install.c — installs one conda package into a fresh directory (see install.h).
 * Two passes over a temporary sibling of dest_dir: (1) every member is extracted under
 * tmp/extract with openat() relative to directory fds and O_NOFOLLOW, refusing hostile
 * names; (2) the paths the package lists (info/paths.json, or info/files + info/has_prefix)
 * are moved into tmp/prefix, with placeholder replacement and noarch: python relocation,
 * then conda-meta/<dist>.json is written and tmp/prefix is renamed to dest_dir. Nothing is
 * executed: noarch python .pyc files are not compiled (python does that lazily). */
#include "install.h"

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
#include "pkg.h"

/* Metadata files are small; a cap keeps a hostile paths.json from exhausting memory. */
#define INSTALL_MAX_META_BYTES (64u << 20)
/* Files with a prefix placeholder are rewritten in memory (streaming is a later issue). */
#define INSTALL_MAX_PLACEHOLDER_FILE_BYTES (1u << 30)
/* conda's default placeholder, used by old info/has_prefix lines that give only a path. */
#define INSTALL_DEFAULT_PLACEHOLDER "/opt/anaconda1anaconda2anaconda3"

typedef struct inst_path {
	char *path;        /* as listed by the package (normalised) */
	char *path_type;   /* "hardlink", "softlink", "directory" or NULL (old format) */
	char *placeholder; /* NULL when none */
	int is_binary;     /* placeholder file_mode == "binary" */
	char *sha256;      /* from paths.json, or NULL */
	long long size_bytes; /* from paths.json, -1 when unknown */
} inst_path_t;

typedef struct inst_rec {
	char *path;  /* installed relative path */
	json_t *obj; /* its paths_data entry */
} inst_rec_t;

typedef struct inst {
	const install_opts_t *opts;
	const pkgrec_t *rec;
	char *dist;
	int ex_fd; /* tmp/extract */
	int px_fd; /* tmp/prefix */
	json_t *index;
	json_t *link;
	int is_noarch_python;
	inst_path_t *paths;
	size_t n_paths;
	inst_rec_t *recs;
	size_t n_recs;
	const char *listing; /* "info/paths.json" or "info/files", for messages */
} inst_t;

/* ---- prefix replacement primitives ---- */

int install_replace_text(const char *data, size_t len, const char *placeholder,
			 const char *new_prefix, buf_t *out)
{
	size_t ph_len = strlen(placeholder), np_len = strlen(new_prefix);
	buf_reset(out);
	buf_grow(out, len);
	if (ph_len == 0) {
		buf_add(out, data, len);
		return 0;
	}
	const char *p = data, *end = data + len;
	for (;;) {
		const char *hit = memmem(p, (size_t)(end - p), placeholder, ph_len);
		if (!hit) {
			buf_add(out, p, (size_t)(end - p));
			return 0;
		}
		buf_add(out, p, (size_t)(hit - p));
		buf_add(out, new_prefix, np_len);
		p = hit + ph_len;
	}
}

/* As conda and rattler do: the C string runs from the placeholder to the next NUL (or the end
 * of the data); all placeholders inside it are replaced and the string is padded with NULs
 * back to its original length, so offsets in the binary do not move. */
int install_replace_binary(char *data, size_t len, const char *placeholder,
			   const char *new_prefix, err_t *err)
{
	size_t ph_len = strlen(placeholder), np_len = strlen(new_prefix);
	buf_t seg = BUF_INIT;
	int rc = -1;
	if (ph_len == 0)
		return 0;
	char *p = data, *end = data + len;
	for (;;) {
		char *hit = memmem(p, (size_t)(end - p), placeholder, ph_len);
		if (!hit)
			break;
		if (np_len > ph_len) {
			err_set(err,
				"target prefix %s (%zu bytes) is longer than the package's binary "
				"placeholder (%zu bytes); use a shorter --prefix",
				new_prefix, np_len, ph_len);
			goto out;
		}
		char *nul = memchr(hit, '\0', (size_t)(end - hit));
		char *str_end = nul ? nul : end;
		size_t str_len = (size_t)(str_end - hit);
		if (install_replace_text(hit, str_len, placeholder, new_prefix, &seg) != 0)
			goto out;
		/* seg.len <= str_len because np_len <= ph_len. */
		memcpy(hit, seg.data, seg.len);
		memset(hit + seg.len, 0, str_len - seg.len);
		p = str_end;
	}
	rc = 0;
out:
	buf_free(&seg);
	return rc;
}

/* ---- path safety ---- */

int install_check_member_name(const char *name, buf_t *normalized, const char **why)
{
	buf_reset(normalized);
	if (!name || !*name) {
		*why = "empty member name";
		return -1;
	}
	if (name[0] == '/') {
		*why = "absolute member name";
		return -1;
	}
	for (const char *p = name; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			*why = "member name contains a \"..\" component";
			return -1;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	if (fs_path_normalize(name, normalized) != 0) {
		*why = "member name is empty after normalisation";
		return -1;
	}
	return 0;
}

int install_check_symlink(const char *link_rel, const char *target, const char **why)
{
	if (!target || !*target) {
		*why = "symlink has an empty target (damaged archive)";
		return -1;
	}
	if (target[0] == '/') {
		*why = "symlink has an absolute target; conda packages must use relative links";
		return -1;
	}
	/* Depth of the directory holding the link: the number of '/' in its normalised path. */
	long depth = 0;
	for (const char *c = link_rel; *c; c++)
		depth += *c == '/';
	int seen_name = 0;
	for (const char *p = target; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (seen_name) {
				*why = "symlink target has \"..\" after a name (could climb out "
				       "through another symlink)";
				return -1;
			}
			if (--depth < 0) {
				*why = "symlink target points outside the prefix";
				return -1;
			}
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			seen_name = 1;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}

/* ---- directory-fd helpers: never follow a symlink ---- */

/* Opens the directory that holds rel's last component under root, creating missing
 * directories (0755) when create is set. Returns a new fd (caller closes) and points *base
 * at the last component, or -1 and sets *why. O_NOFOLLOW on each step means a symlink the
 * archive created can never redirect a later write. */
static int open_parent(int root, const char *rel, int create, const char **base, const char **why)
{
	buf_t comp = BUF_INIT;
	int fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const char *p = rel;
	if (fd < 0) {
		*why = strerror(errno);
		goto out;
	}
	for (;;) {
		const char *slash = strchr(p, '/');
		if (!slash) {
			*base = p;
			goto out;
		}
		buf_reset(&comp);
		buf_add(&comp, p, (size_t)(slash - p));
		int next = openat(fd, comp.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp.data, 0755) != 0 && errno != EEXIST) {
				*why = strerror(errno);
				goto fail;
			}
			fchmodat(fd, comp.data, 0755, 0); /* do not let the umask decide */
			next = openat(fd, comp.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			*why = (errno == ELOOP || errno == ENOTDIR)
				       ? "a parent directory is a symlink or not a directory"
				       : errno == ENOENT ? "parent directory does not exist"
							 : strerror(errno);
			goto fail;
		}
		close(fd);
		fd = next;
		p = slash + 1;
	}
fail:
	close(fd);
	fd = -1;
out:
	buf_free(&comp);
	return fd;
}

static int refuse(inst_t *in, err_t *err, const char *member, const char *why)
{
	return err_set(err, "refusing to install %s: %s: %s", in->dist, member, why);
}

static unsigned normal_file_mode(unsigned mode)
{
	/* Only two modes survive (docs/layer-format.md): stored modes vary with the packager's
	 * umask (0666 in re-created tars) and must not leak into the image. */
	return (mode & 0111) ? 0755 : 0644;
}

/* ---- pass 1: extraction ---- */

static int extract_file(inst_t *in, pkg_t *pkg, const pkg_entry_t *e, int pfd, const char *base,
			const char *name, err_t *err)
{
	int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? refuse(in, err, name, "duplicate member")
				       : refuse(in, err, name, strerror(errno));
	int rc = pkg_extract_to_fd(pkg, fd, err);
	if (rc == 0 && fchmod(fd, normal_file_mode(e->mode)) != 0)
		rc = err_set(err, "package %s: %s: chmod failed: %s", in->dist, name, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = err_set(err, "package %s: %s: write failed: %s", in->dist, name, strerror(errno));
	return rc;
}

static int extract_dir(inst_t *in, int pfd, const char *base, const char *name, err_t *err)
{
	struct stat st;
	if (mkdirat(pfd, base, 0755) != 0) {
		if (errno != EEXIST)
			return refuse(in, err, name, strerror(errno));
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
			return refuse(in, err, name, "duplicate member");
	}
	fchmodat(pfd, base, 0755, 0);
	return 0;
}

static int extract_hardlink(inst_t *in, const pkg_entry_t *e, int pfd, const char *base,
			    const char *name, err_t *err)
{
	buf_t target = BUF_INIT;
	const char *why = NULL, *tbase = NULL;
	int tfd = -1, rc = -1;
	struct stat st;
	if (install_check_member_name(e->hardlink_target, &target, &why) != 0) {
		refuse(in, err, name, "hardlink target is outside the package");
		goto out;
	}
	tfd = open_parent(in->ex_fd, target.data, 0, &tbase, &why);
	if (tfd < 0 || fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
		buf_t msg = BUF_INIT;
		buf_addf(&msg, "hardlink to %s, which is not a regular file earlier in the archive",
			 target.data);
		refuse(in, err, name, msg.data);
		buf_free(&msg);
		goto out;
	}
	if (linkat(tfd, tbase, pfd, base, 0) != 0) {
		refuse(in, err, name, errno == EEXIST ? "duplicate member" : strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (tfd >= 0)
		close(tfd);
	buf_free(&target);
	return rc;
}

static int extract_entry(inst_t *in, pkg_t *pkg, const pkg_entry_t *e, err_t *err)
{
	buf_t name = BUF_INIT;
	const char *why = NULL, *base = NULL;
	int pfd = -1, rc = -1;
	if (install_check_member_name(e->name, &name, &why) != 0) {
		/* A "./" directory entry is the archive root itself: harmless, skip it. */
		if (e->type == PKG_ENTRY_DIR && e->name[0] != '/' && !strstr(e->name, ".."))
			rc = 0;
		else
			refuse(in, err, e->name, why);
		goto out;
	}
	if (e->type == PKG_ENTRY_OTHER) {
		buf_t msg = BUF_INIT;
		buf_addf(&msg, "%s entries are not allowed in a package", e->other_kind);
		refuse(in, err, name.data, msg.data);
		buf_free(&msg);
		goto out;
	}
	if (e->type == PKG_ENTRY_SYMLINK && install_check_symlink(name.data, e->symlink_target, &why) != 0) {
		buf_t msg = BUF_INIT;
		buf_addf(&msg, "%s (-> %s)", why, e->symlink_target);
		refuse(in, err, name.data, msg.data);
		buf_free(&msg);
		goto out;
	}
	pfd = open_parent(in->ex_fd, name.data, 1, &base, &why);
	if (pfd < 0) {
		refuse(in, err, name.data, why);
		goto out;
	}
	switch (e->type) {
	case PKG_ENTRY_FILE:
		rc = extract_file(in, pkg, e, pfd, base, name.data, err);
		break;
	case PKG_ENTRY_DIR:
		rc = extract_dir(in, pfd, base, name.data, err);
		break;
	case PKG_ENTRY_SYMLINK:
		if (symlinkat(e->symlink_target, pfd, base) != 0)
			refuse(in, err, name.data, errno == EEXIST ? "duplicate member" : strerror(errno));
		else
			rc = 0;
		break;
	case PKG_ENTRY_HARDLINK:
		rc = extract_hardlink(in, e, pfd, base, name.data, err);
		break;
	case PKG_ENTRY_OTHER:
		break;
	}
out:
	if (pfd >= 0)
		close(pfd);
	buf_free(&name);
	return rc;
}

static int extract_all(inst_t *in, const char *archive_path, err_t *err)
{
	pkg_t *pkg = pkg_open(archive_path, err);
	const pkg_entry_t *e;
	int r, rc = -1;
	if (!pkg)
		return -1;
	while ((r = pkg_next(pkg, &e, err)) == 1) {
		if (extract_entry(in, pkg, e, err) != 0)
			goto out;
	}
	rc = r;
out:
	pkg_free(pkg);
	return rc;
}

/* ---- pass 2: metadata ---- */

/* Reads tmp/extract/<rel> into b. Returns 1 if read, 0 if absent, -1 on error. */
static int read_meta(inst_t *in, const char *rel, buf_t *b, err_t *err)
{
	const char *base = NULL, *why = NULL;
	char chunk[1 << 14];
	int fd = -1, rc = -1;
	int pfd = open_parent(in->ex_fd, rel, 0, &base, &why);
	buf_reset(b);
	if (pfd < 0)
		return 0; /* no info/ directory at all */
	fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : err_set(err, "package %s: %s: %s", in->dist, rel, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, "package %s: %s: %s", in->dist, rel, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (b->len + (size_t)n > INSTALL_MAX_META_BYTES) {
			err_set(err, "package %s: %s is larger than %u bytes", in->dist, rel,
				INSTALL_MAX_META_BYTES);
			goto out;
		}
		buf_add(b, chunk, (size_t)n);
	}
	rc = 1;
out:
	if (fd >= 0)
		close(fd);
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
		j = json_loadb(b.data, b.len, 0, &jerr);
		if (!j || !json_is_object(j)) {
			err_set(err, "package %s: %s line %d: invalid JSON: %s", in->dist, rel, jerr.line,
				j ? "not an object" : jerr.text);
			json_decref(j);
			j = NULL;
			*status = -1;
		}
	}
	buf_free(&b);
	return j;
}

static char *json_strdup(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? strdup(s) : NULL;
}

static inst_path_t *add_path(inst_t *in, const char *path)
{
	inst_path_t *np = realloc(in->paths, (in->n_paths + 1) * sizeof *np);
	if (!np)
		abort();
	in->paths = np;
	inst_path_t *p = &in->paths[in->n_paths++];
	memset(p, 0, sizeof *p);
	p->path = strdup(path);
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
			return err_set(err, "package %s: info/paths.json entry %zu has no \"_path\"",
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
			err_set(err, "package %s: info/has_prefix line %ld: expected `placeholder mode path` or `path`",
				in->dist, lineno);
			goto out;
		}
		const char *path = nt == 1 ? tok[0] : tok[2];
		const char *mode = nt == 1 ? "text" : tok[1];
		if (strcmp(mode, "text") && strcmp(mode, "binary")) {
			err_set(err, "package %s: info/has_prefix line %ld: unknown mode \"%s\" (text or binary)",
				in->dist, lineno, mode);
			goto out;
		}
		inst_path_t *p = find_path(in, path);
		if (!p) {
			err_set(err, "package %s: info/has_prefix line %ld: %s is not listed in info/files",
				in->dist, lineno, path);
			goto out;
		}
		free(p->placeholder);
		p->placeholder = strdup(nt == 1 ? INSTALL_DEFAULT_PLACEHOLDER : tok[0]);
		p->is_binary = !strcmp(mode, "binary");
	}
	rc = 0;
out:
	buf_free(&hp);
	return rc;
}

static int load_metadata(inst_t *in, err_t *err)
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
			err_set(err, "package %s has neither info/paths.json nor info/files; not a conda package?",
				in->dist);
			goto out;
		}
		in->listing = "info/files";
		if (load_old_listing(in, &files, err) != 0)
			goto out;
	}
	const char *noarch = in->rec ? in->rec->noarch : NULL;
	const char *idx_noarch = json_string_value(json_object_get(in->index, "noarch"));
	const char *link_type = json_string_value(
		json_object_get(json_object_get(in->link, "noarch"), "type"));
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

static int python_version_is_valid(const char *v)
{
	int dots = 0;
	if (!v || !isdigit((unsigned char)v[0]))
		return 0;
	for (; *v; v++) {
		if (*v == '.')
			dots++;
		else if (!isdigit((unsigned char)*v))
			return 0;
	}
	return dots == 1 && v[-1] != '.';
}

/* noarch: python packages ship site-packages/ and python-scripts/; conda puts them at
 * lib/pythonX.Y/site-packages/ and bin/ of the target environment. */
static void installed_path(inst_t *in, const char *path, buf_t *out)
{
	buf_reset(out);
	if (in->is_noarch_python && !strncmp(path, "site-packages/", 14))
		buf_addf(out, "lib/python%s/site-packages/%s", in->opts->python_version, path + 14);
	else if (in->is_noarch_python && !strncmp(path, "python-scripts/", 15))
		buf_addf(out, "bin/%s", path + 15);
	else
		buf_addstr(out, path);
}

static json_t *add_rec(inst_t *in, const char *path)
{
	inst_rec_t *nr = realloc(in->recs, (in->n_recs + 1) * sizeof *nr);
	if (!nr)
		abort();
	in->recs = nr;
	inst_rec_t *r = &in->recs[in->n_recs++];
	r->path = strdup(path);
	r->obj = json_object();
	json_object_set_new(r->obj, "_path", json_string(path));
	return r->obj;
}

static int digest_fd(int fd, char hex[DIGEST_HEX_MAX], long long *size)
{
	char chunk[1 << 16];
	digest_t *d = digest_new(DIGEST_SHA256);
	*size = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			digest_free(d);
			return -1;
		}
		if (n == 0)
			break;
		digest_update(d, chunk, (size_t)n);
		*size += n;
	}
	digest_final_hex(d, hex);
	digest_free(d);
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Writes data as a new file dst_rel in the prefix (must not exist). */
static int write_new_file(inst_t *in, const char *dst_rel, const char *data, size_t len,
			  unsigned mode, err_t *err)
{
	const char *base = NULL, *why = NULL;
	int pfd = open_parent(in->px_fd, dst_rel, 1, &base, &why);
	if (pfd < 0)
		return refuse(in, err, dst_rel, why);
	int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = -1;
	if (fd < 0) {
		refuse(in, err, dst_rel, errno == EEXIST ? "installed twice (path collision)" : strerror(errno));
		goto out;
	}
	if (write_all(fd, data, len) != 0 || fchmod(fd, mode) != 0) {
		err_set(err, "package %s: %s: write failed: %s", in->dist, dst_rel, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0)
		rc = err_set(err, "package %s: %s: write failed: %s", in->dist, dst_rel, strerror(errno));
	close(pfd);
	return rc;
}

/* Reads the extracted file, replaces its placeholder and writes it at dst_rel. */
static int install_with_placeholder(inst_t *in, const inst_path_t *p, int src_pfd,
				    const char *src_base, const struct stat *st, const char *dst_rel,
				    json_t *obj, err_t *err)
{
	buf_t data = BUF_INIT, out = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	int rc = -1;
	int fd = openat(src_pfd, src_base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || st->st_size > (off_t)INSTALL_MAX_PLACEHOLDER_FILE_BYTES) {
		err_set(err, "package %s: %s: cannot rewrite prefix: %s", in->dist, p->path,
			fd < 0 ? strerror(errno) : "file too large");
		goto out;
	}
	for (;;) {
		buf_grow(&data, 1 << 16);
		ssize_t n = read(fd, data.data + data.len, 1 << 16);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, "package %s: %s: %s", in->dist, p->path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		data.len += (size_t)n;
		if (data.len > INSTALL_MAX_PLACEHOLDER_FILE_BYTES) {
			err_set(err, "package %s: %s: cannot rewrite prefix: file too large", in->dist,
				p->path);
			goto out;
		}
	}
	buf_grow(&data, 1);
	data.data[data.len] = '\0';
	if (!p->sha256) {
		digest_buf_hex(DIGEST_SHA256, data.data, data.len, hex);
		json_object_set_new(obj, "sha256", json_string(hex));
	}
	const char *target = in->opts->target_prefix;
	if (p->is_binary) {
		if (install_replace_binary(data.data, data.len, p->placeholder, target, err) != 0) {
			err_prefix(err, "package %s file %s", in->dist, p->path);
			goto out;
		}
		buf_add(&out, data.data, data.len);
	} else {
		install_replace_text(data.data, data.len, p->placeholder, target, &out);
	}
	if (write_new_file(in, dst_rel, out.data, out.len, normal_file_mode(st->st_mode), err) != 0)
		goto out;
	digest_buf_hex(DIGEST_SHA256, out.data, out.len, hex);
	json_object_set_new(obj, "sha256_in_prefix", json_string(hex));
	json_object_set_new(obj, "size_in_bytes", json_integer((json_int_t)out.len));
	json_object_set_new(obj, "prefix_placeholder", json_string(p->placeholder));
	json_object_set_new(obj, "file_mode", json_string(p->is_binary ? "binary" : "text"));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&data);
	buf_free(&out);
	return rc;
}

/* Moves (rename, so hardlinks and symlinks stay what they are) src to dst_rel. */
static int move_into_prefix(inst_t *in, const inst_path_t *p, int src_pfd, const char *src_base,
			    const struct stat *st, const char *dst_rel, json_t *obj, err_t *err)
{
	const char *base = NULL, *why = NULL;
	char hex[DIGEST_HEX_MAX];
	int rc = -1, fd = -1;
	int pfd = open_parent(in->px_fd, dst_rel, 1, &base, &why);
	if (pfd < 0)
		return refuse(in, err, dst_rel, why);
	if (S_ISLNK(st->st_mode)) {
		/* Re-check at the installed location: noarch relocation changes its depth. */
		char *target = malloc((size_t)st->st_size + 2);
		if (!target)
			abort();
		ssize_t n = readlinkat(src_pfd, src_base, target, (size_t)st->st_size + 1);
		if (n >= 0)
			target[n] = '\0';
		int bad = n < 0 || install_check_symlink(dst_rel, target, &why) != 0;
		free(target);
		if (bad) {
			refuse(in, err, dst_rel, n < 0 ? strerror(errno) : why);
			goto out;
		}
	}
	if (renameat2(src_pfd, src_base, pfd, base, RENAME_NOREPLACE) != 0) {
		refuse(in, err, dst_rel, errno == EEXIST ? "installed twice (path collision)" : strerror(errno));
		goto out;
	}
	if (S_ISREG(st->st_mode)) {
		long long size = 0;
		fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || digest_fd(fd, hex, &size) != 0) {
			err_set(err, "package %s: %s: cannot read back: %s", in->dist, dst_rel, strerror(errno));
			goto out;
		}
		if (!p->sha256)
			json_object_set_new(obj, "sha256", json_string(hex));
		json_object_set_new(obj, "size_in_bytes", json_integer(size));
	} else if (p->size_bytes >= 0) {
		json_object_set_new(obj, "size_in_bytes", json_integer(p->size_bytes));
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	close(pfd);
	return rc;
}

static int install_one_path(inst_t *in, const inst_path_t *p, err_t *err)
{
	buf_t name = BUF_INIT, dst = BUF_INIT;
	const char *why = NULL, *base = NULL;
	int pfd = -1, rc = -1;
	struct stat st;
	if (install_check_member_name(p->path, &name, &why) != 0) {
		refuse(in, err, p->path, why);
		goto out;
	}
	installed_path(in, name.data, &dst);
	pfd = open_parent(in->ex_fd, name.data, 0, &base, &why);
	if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		err_set(err, "package %s is damaged: %s is listed in %s but is not in the archive",
			in->dist, name.data, in->listing);
		goto out;
	}
	json_t *obj = add_rec(in, dst.data);
	const char *type = p->path_type ? p->path_type
			   : S_ISLNK(st.st_mode) ? "softlink"
			   : S_ISDIR(st.st_mode) ? "directory"
						 : "hardlink";
	json_object_set_new(obj, "path_type", json_string(type));
	if (p->sha256)
		json_object_set_new(obj, "sha256", json_string(p->sha256));
	if (S_ISDIR(st.st_mode)) {
		int dfd = open_parent(in->px_fd, dst.data, 1, &base, &why);
		rc = dfd < 0 ? refuse(in, err, dst.data, why) : extract_dir(in, dfd, base, dst.data, err);
		if (dfd >= 0)
			close(dfd);
	} else if (p->placeholder && S_ISREG(st.st_mode)) {
		rc = install_with_placeholder(in, p, pfd, base, &st, dst.data, obj, err);
	} else {
		rc = move_into_prefix(in, p, pfd, base, &st, dst.data, obj, err);
	}
out:
	if (pfd >= 0)
		close(pfd);
	buf_free(&name);
	buf_free(&dst);
	return rc;
}

/* ---- noarch python entry points ---- */

static int is_identifier_path(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
			return 0;
	return 1;
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

/* "name = module:func" -> bin/name, from conda's python_entry_point_template. */
static int write_entry_point(inst_t *in, const char *spec, err_t *err)
{
	buf_t script = BUF_INIT, dst = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	char *copy = strdup(spec);
	int rc = -1;
	char *eq = strchr(copy, '=');
	char *colon = eq ? strchr(eq, ':') : NULL;
	if (!eq || !colon) {
		err_set(err, "package %s: info/link.json: entry point \"%s\" is not `name = module:func`",
			in->dist, spec);
		goto out;
	}
	*eq = '\0';
	*colon = '\0';
	char *name = copy, *module = eq + 1, *func = colon + 1;
	trim(name);
	trim(module);
	trim(func);
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strpbrk(name, " \t\"'\\") || !is_identifier_path(module) || !is_identifier_path(func)) {
		refuse(in, err, "info/link.json", "entry point with an unsafe name, module or function");
		goto out;
	}
	size_t import_len = strcspn(func, ".");
	buf_addf(&script,
		 "#!%s/bin/python\n"
		 "# -*- coding: utf-8 -*-\n"
		 "import re\n"
		 "import sys\n"
		 "\n"
		 "from %s import %.*s\n"
		 "\n"
		 "if __name__ == '__main__':\n"
		 "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n"
		 "    sys.exit(%s())\n",
		 in->opts->target_prefix, module, (int)import_len, func, func);
	buf_addf(&dst, "bin/%s", name);
	if (write_new_file(in, dst.data, script.data, script.len, 0755, err) != 0)
		goto out;
	json_t *obj = add_rec(in, dst.data);
	digest_buf_hex(DIGEST_SHA256, script.data, script.len, hex);
	json_object_set_new(obj, "path_type", json_string("unix_python_entry_point"));
	json_object_set_new(obj, "sha256_in_prefix", json_string(hex));
	json_object_set_new(obj, "size_in_bytes", json_integer((json_int_t)script.len));
	rc = 0;
out:
	free(copy);
	buf_free(&script);
	buf_free(&dst);
	return rc;
}

static int write_entry_points(inst_t *in, err_t *err)
{
	json_t *eps = json_object_get(json_object_get(in->link, "noarch"), "entry_points");
	for (size_t i = 0; i < json_array_size(eps); i++) {
		const char *spec = json_string_value(json_array_get(eps, i));
		if (!spec)
			return err_set(err, "package %s: info/link.json: entry_points[%zu] is not a string",
				       in->dist, i);
		if (write_entry_point(in, spec, err) != 0)
			return -1;
	}
	return 0;
}

/* ---- conda-meta/<dist>.json ---- */

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const inst_rec_t *)a)->path, ((const inst_rec_t *)b)->path);
}

static void set_str_if(json_t *o, const char *key, const char *value)
{
	if (value)
		json_object_set_new(o, key, json_string(value));
}

static int write_conda_meta(inst_t *in, err_t *err)
{
	json_t *meta = in->rec && in->rec->raw ? json_deep_copy(in->rec->raw) : json_object();
	buf_t path = BUF_INIT;
	char *text = NULL;
	int rc = -1;
	/* Fields the repodata record lacks come from info/index.json (e.g. tests without raw). */
	const char *key;
	json_t *value;
	json_object_foreach(in->index, key, value)
	{
		if (!json_object_get(meta, key))
			json_object_set(meta, key, value);
	}
	if (in->rec) {
		set_str_if(meta, "name", in->rec->name);
		set_str_if(meta, "version", in->rec->version);
		set_str_if(meta, "build", in->rec->build);
		/* A file:// channel is a path on the build host: it would leak into the image and make
		 * the layer depend on where the channel sits. Record it as conda-build's "local". */
		if (in->rec->channel && !strncmp(in->rec->channel, "file://", 7)) {
			buf_t local = BUF_INIT;
			buf_addf(&local, "local/%s/%s", in->rec->subdir ? in->rec->subdir : "noarch",
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
	json_t *files = json_array(), *paths = json_array(), *pd = json_object(), *link = json_object();
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
	rc = write_new_file(in, path.data, body.data, body.len, 0644, err);
	buf_free(&body);
out:
	free(text);
	json_decref(meta);
	buf_free(&path);
	return rc;
}

/* ---- driver ---- */

static int make_workdirs(inst_t *in, const char *dest_dir, buf_t *tmp, err_t *err)
{
	buf_t parent = BUF_INIT, prefix = BUF_INIT;
	int rc = -1;
	const char *slash = strrchr(dest_dir, '/');
	if (slash) {
		buf_add(&parent, dest_dir, (size_t)(slash - dest_dir));
		if (!parent.len)
			buf_addch(&parent, '/');
	} else {
		buf_addch(&parent, '.');
	}
	buf_addf(&prefix, "%s.tmp-", slash ? slash + 1 : dest_dir);
	if (fs_mkdtemp(parent.data, prefix.data, tmp, err) != 0)
		goto out;
	int root = open(tmp->data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0 || mkdirat(root, "extract", 0700) != 0 || mkdirat(root, "prefix", 0755) != 0 ||
	    fchmodat(root, "prefix", 0755, 0) != 0 ||
	    (in->ex_fd = openat(root, "extract", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (in->px_fd = openat(root, "prefix", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_set(err, "%s: cannot set up: %s", tmp->data, strerror(errno));
		if (root >= 0)
			close(root);
		goto out;
	}
	close(root);
	rc = 0;
out:
	buf_free(&parent);
	buf_free(&prefix);
	return rc;
}

static void inst_release(inst_t *in)
{
	if (in->ex_fd >= 0)
		close(in->ex_fd);
	if (in->px_fd >= 0)
		close(in->px_fd);
	for (size_t i = 0; i < in->n_paths; i++) {
		free(in->paths[i].path);
		free(in->paths[i].path_type);
		free(in->paths[i].placeholder);
		free(in->paths[i].sha256);
	}
	for (size_t i = 0; i < in->n_recs; i++) {
		free(in->recs[i].path);
		json_decref(in->recs[i].obj);
	}
	free(in->paths);
	free(in->recs);
	json_decref(in->index);
	json_decref(in->link);
	free(in->dist);
}

static char *dist_from_archive(const char *archive_path)
{
	err_t e = ERR_INIT;
	pkg_t *p = pkg_open(archive_path, &e);
	char *d = strdup(p ? pkg_dist(p) : archive_path);
	pkg_free(p);
	err_clear(&e);
	return d;
}

int install_package(const install_opts_t *opts, const pkgrec_t *rec, const char *archive_path,
		    const char *dest_dir, err_t *err)
{
	inst_t in = {.opts = opts, .rec = rec, .ex_fd = -1, .px_fd = -1};
	buf_t tmp = BUF_INIT, tmp_prefix = BUF_INIT;
	int rc = -1;
	in.dist = rec && rec->name ? pkgrec_dist(rec) : dist_from_archive(archive_path);
	if (!opts || !opts->target_prefix || opts->target_prefix[0] != '/') {
		err_set(err, "package %s: the target prefix must be an absolute path", in.dist);
		goto out;
	}
	if (fs_exists(dest_dir)) {
		err_set(err, "package %s: %s already exists; remove it first", in.dist, dest_dir);
		goto out;
	}
	if (make_workdirs(&in, dest_dir, &tmp, err) != 0)
		goto out;
	if (extract_all(&in, archive_path, err) != 0 || load_metadata(&in, err) != 0)
		goto out;
	if (in.is_noarch_python && !python_version_is_valid(opts->python_version)) {
		err_set(err, "noarch python package %s needs python in the environment%s", in.dist,
			opts->python_version ? " (python version is not major.minor)" : "");
		goto out;
	}
	for (size_t i = 0; i < in.n_paths; i++)
		if (install_one_path(&in, &in.paths[i], err) != 0)
			goto out;
	if (in.is_noarch_python && write_entry_points(&in, err) != 0)
		goto out;
	if (write_conda_meta(&in, err) != 0)
		goto out;
	buf_addf(&tmp_prefix, "%s/prefix", tmp.data);
	if (rename(tmp_prefix.data, dest_dir) != 0) {
		err_set(err, "package %s: cannot rename %s to %s: %s", in.dist, tmp_prefix.data, dest_dir,
			strerror(errno));
		goto out;
	}
	rc = 0;
out:
	inst_release(&in);
	if (tmp.len) {
		err_t ignored = ERR_INIT;
		fs_rm_rf(tmp.data, &ignored); /* leftover extract/ on success, everything on failure */
		err_clear(&ignored);
	}
	buf_free(&tmp);
	buf_free(&tmp_prefix);
	return rc;
}
