/* install_extract.c — pass 1 of an install: every archive member extracted under
 * tmp/extract with openat() relative to directory fds and O_NOFOLLOW, so a hostile name,
 * symlink or device is refused before anything is written through it. */
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
int inst_open_parent(int root, const char *rel, int create, const char **base, const char **why)
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
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		/* Confinement does not rest on the callers having normalised rel: a "..", "." or
		 * empty component (conda-meta/<dist>.json of a hostile dist, say) is refused. */
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			*why = "path has an empty, \".\" or \"..\" component (it would leave the "
			       "staging tree)";
			goto fail;
		}
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
			next = openat(fd, comp.data,
				      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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

int inst_refuse(inst_t *in, err_t *err, const char *member, const char *why)
{
	return err_set(err, "refusing to install %s: %s: %s", in->dist, member, why);
}

unsigned inst_normal_file_mode(unsigned mode)
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
		return errno == EEXIST ? inst_refuse(in, err, name, "duplicate member")
				       : inst_refuse(in, err, name, strerror(errno));
	int rc = inst_charge(in, name, e->size_bytes, err);
	if (rc == 0)
		rc = pkg_extract_to_fd(pkg, fd, err);
	if (rc == 0 && fchmod(fd, inst_normal_file_mode(e->mode)) != 0)
		rc = err_set(err, "package %s: %s: chmod failed: %s", in->dist, name,
			     strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = err_set(err, "package %s: %s: write failed: %s", in->dist, name,
			     strerror(errno));
	return rc;
}

int inst_extract_dir(inst_t *in, int pfd, const char *base, const char *name, err_t *err)
{
	struct stat st;
	if (mkdirat(pfd, base, 0755) != 0) {
		if (errno != EEXIST)
			return inst_refuse(in, err, name, strerror(errno));
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
			return inst_refuse(in, err, name, "duplicate member");
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
		inst_refuse(in, err, name, "hardlink target is outside the package");
		goto out;
	}
	tfd = inst_open_parent(in->ex_fd, target.data, 0, &tbase, &why);
	if (tfd < 0 || fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
		buf_t msg = BUF_INIT;
		buf_addf(&msg, "hardlink to %s, which is not a regular file earlier in the archive",
			 target.data);
		inst_refuse(in, err, name, msg.data);
		buf_free(&msg);
		goto out;
	}
	if (linkat(tfd, tbase, pfd, base, 0) != 0) {
		inst_refuse(in, err, name, errno == EEXIST ? "duplicate member" : strerror(errno));
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
			inst_refuse(in, err, e->name, why);
		goto out;
	}
	if (e->type == PKG_ENTRY_OTHER) {
		buf_t msg = BUF_INIT;
		buf_addf(&msg, "%s entries are not allowed in a package", e->other_kind);
		inst_refuse(in, err, name.data, msg.data);
		buf_free(&msg);
		goto out;
	}
	if (e->type == PKG_ENTRY_SYMLINK &&
	    install_check_symlink(name.data, e->symlink_target, &why) != 0) {
		buf_t msg = BUF_INIT;
		buf_addf(&msg, "%s (-> %s)", why, e->symlink_target);
		inst_refuse(in, err, name.data, msg.data);
		buf_free(&msg);
		goto out;
	}
	pfd = inst_open_parent(in->ex_fd, name.data, 1, &base, &why);
	if (pfd < 0) {
		inst_refuse(in, err, name.data, why);
		goto out;
	}
	switch (e->type) {
	case PKG_ENTRY_FILE: rc = extract_file(in, pkg, e, pfd, base, name.data, err); break;
	case PKG_ENTRY_DIR: rc = inst_extract_dir(in, pfd, base, name.data, err); break;
	case PKG_ENTRY_SYMLINK:
		if (symlinkat(e->symlink_target, pfd, base) != 0)
			inst_refuse(in, err, name.data,
				    errno == EEXIST ? "duplicate member" : strerror(errno));
		else
			rc = 0;
		break;
	case PKG_ENTRY_HARDLINK: rc = extract_hardlink(in, e, pfd, base, name.data, err); break;
	case PKG_ENTRY_OTHER: break;
	}
out:
	if (pfd >= 0)
		close(pfd);
	buf_free(&name);
	return rc;
}

int inst_extract_all(inst_t *in, const char *archive_path, err_t *err)
{
	pkg_t *pkg = pkg_open(archive_path, err);
	const pkg_entry_t *e;
	int r, rc = -1;
	if (!pkg)
		return -1;
	pkg_set_max_total_bytes(pkg, in->max_bytes);
	while ((r = pkg_next(pkg, &e, err)) == 1) {
		if (extract_entry(in, pkg, e, err) != 0)
			goto out;
	}
	rc = r;
	if (rc < 0)
		err_prefix(err, "package %s", in->dist);
out:
	pkg_free(pkg);
	return rc;
}

/* ---- pass 2: metadata ---- */
