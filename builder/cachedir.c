/* cachedir.c — resolving and checking the cache directory (see cachedir.h for the rules). The
 * check walks the resolved path from the cache directory up to "/" with lstat on each
 * component: after realpath none is a symlink, so what is checked is what is used. */
#include "cachedir.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* A group of the user's own name with no other members (Debian's user private group). */
static int is_private_group(gid_t gid)
{
	struct passwd *pw = getpwuid(geteuid());
	struct group *gr = getgrgid(gid);
	if (!pw || !gr || strcmp(gr->gr_name, pw->pw_name) != 0)
		return 0;
	for (char **m = gr->gr_mem; m && *m; m++)
		if (strcmp(*m, pw->pw_name) != 0)
			return 0;
	return 1;
}

static void owner_name(uid_t uid, buf_t *out)
{
	struct passwd *pw = getpwuid(uid);
	buf_addf(out, "uid %ld", (long)uid);
	if (pw)
		buf_addf(out, " (%s)", pw->pw_name);
}

/* One component: 0, or -1 with err naming it, cache the cache directory it belongs to. */
static int check_one(const char *path, const char *cache, int is_parent, err_t *err)
{
	struct stat st;
	buf_t who = BUF_INIT;
	int rc = -1;
	if (lstat(path, &st) != 0) {
		err_set(err, "cache directory %s: cannot check %s: %s", cache, path,
			strerror(errno));
		goto out;
	}
	int is_sticky = is_parent && (st.st_mode & S_ISVTX);
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		owner_name(st.st_uid, &who);
		err_set(err,
			"cache directory %s: %s belongs to %s, not to you, so that user could put "
			"packages "
			"and layers into your images; use --cache-dir with a directory of your "
			"own%s",
			cache, path, who.data, is_parent ? "" : ", or remove it");
	} else if ((st.st_mode & S_IWOTH) && !is_sticky) {
		err_set(err,
			"cache directory %s: %s is writable by every user (mode %04o), so anyone "
			"could put "
			"packages and layers into your images; chmod o-w %s, or use --cache-dir "
			"elsewhere",
			cache, path, (unsigned)(st.st_mode & 07777), path);
	} else if ((st.st_mode & S_IWGRP) && !is_sticky && st.st_gid != 0 &&
		   !is_private_group(st.st_gid)) {
		err_set(err,
			"cache directory %s: %s is writable by group %ld (mode %04o), so its "
			"members could "
			"put packages and layers into your images; chmod g-w %s, or use "
			"--cache-dir elsewhere",
			cache, path, (long)st.st_gid, (unsigned)(st.st_mode & 07777), path);
	} else {
		rc = 0;
	}
out:
	buf_free(&who);
	return rc;
}

/* p = its parent ("/" stays "/", "a" becomes "."); 0 when there is none left. */
static int to_parent(buf_t *p)
{
	char *slash = strrchr(p->data, '/');
	if (!strcmp(p->data, "/") || !strcmp(p->data, "."))
		return 0;
	if (!slash)
		buf_setstr(p, ".");
	else
		buf_truncate(p, slash == p->data ? 1 : (size_t)(slash - p->data));
	return 1;
}

/* The rules for dir and its parents; messages name `cache`, the directory wanted. */
static int check_path(const char *dir, const char *cache, err_t *err)
{
	char *real = realpath(dir, NULL);
	buf_t p = BUF_INIT;
	int rc = -1;
	if (!real)
		return err_set(err, "cache directory %s: %s", cache, strerror(errno));
	buf_addstr(&p, real);
	for (int is_parent = 0;; is_parent = 1) {
		if (check_one(p.data, cache, is_parent, err) != 0)
			goto out;
		if (!to_parent(&p))
			break;
	}
	rc = 0;
out:
	free(real);
	buf_free(&p);
	return rc;
}

int cachedir_resolve(const char *given, buf_t *out, err_t *err)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CACHE_HOME");
	buf_t up = BUF_INIT;
	int rc = -1;
	if (given && *given)
		buf_setstr(out, given);
	else
		fs_default_cache_dir(out);
	if (fs_mkdir_p(out->data, err) != 0) {
		/* a parent we could not create in may be someone else's: say so, that is the cause
		 */
		buf_setstr(&up, out->data);
		while (!fs_exists(up.data) && to_parent(&up))
			;
		if (check_path(up.data, out->data, err) == 0)
			err_prefix(err, "cache directory");
		goto out;
	}
	if (check_path(out->data, out->data, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc && !(given && *given) && !(xdg && *xdg) && !(home && *home))
		err_prefix(err, "HOME is not set, so the cache defaults to /tmp/.cache/imgbuild");
	buf_free(&up);
	return rc;
}
