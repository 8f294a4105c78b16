/* lcache.c — the local layer cache (see lcache.h for the layout and the
 * promises). The one idea: every file is made complete under tmp/ and then
 * renamed into place while holding the cache's flock, and a blob is only ever
 * trusted through a stamp taken when it was hashed; so concurrent builds and
 * kill -9 can leave garbage in tmp/ but never a wrong entry. */
#include "lcache.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "fsutil.h"
#include "pkgrec_list.h"
#include "scratch.h"
#include "xalloc.h"

#define LCACHE_KEY_VERSION 1
#define LCACHE_ENTRY_MAX_BYTES (16u << 20)
#define LCACHE_STAMP_MAX_BYTES 256
#define LCACHE_BLOB_MTIME_SEC 1 /* 1970-01-01T00:00:01Z, see pin_mtime */

struct lcache {
	buf_t root;
};

static atomic_ulong g_tmp_counter;

/* ---- key
 * -------------------------------------------------------------------------------
 */

static int cmp_pkg_name(const void *a, const void *b)
{
	const pkgrec_t *x = *(const pkgrec_t *const *)a, *y = *(const pkgrec_t *const *)b;
	int c = strcmp(x->name, y->name);
	if (!c)
		c = strcmp(x->version ? x->version : "", y->version ? y->version : "");
	if (!c)
		c = strcmp(x->build ? x->build : "", y->build ? y->build : "");
	return c;
}

static json_t *key_package(const pkgrec_t *p, err_t *err)
{
	json_t *o = NULL;
	buf_t tmp = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	if (!p->sha256 && !p->md5) {
		err_set(err,
			"package %s-%s-%s has neither sha256 nor md5 in its repodata: its "
			"layer "
			"cannot be cached",
			p->name, p->version ? p->version : "?", p->build ? p->build : "?");
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "version", json_string(p->version ? p->version : ""));
	json_object_set_new(o, "build", json_string(p->build ? p->build : ""));
	buf_addf(&tmp, "%s:%s", p->sha256 ? "sha256" : "md5", p->sha256 ? p->sha256 : p->md5);
	json_object_set_new(o, "archive", json_string(tmp.data));
	/* conda-meta/<dist>.json copies the whole repodata record
	 * (install_condameta.c), so a patched record (new depends, say) changes the
	 * layer even with the same archive. */
	if (p->raw) {
		char *text = xcheck(json_dumps(p->raw, JSON_SORT_KEYS | JSON_COMPACT));
		digest_buf_hex(DIGEST_SHA256, text, strlen(text), hex);
		free(text);
		buf_setstr(&tmp, "sha256:");
		buf_addstr(&tmp, hex);
		json_object_set_new(o, "record", json_string(tmp.data));
	} else {
		json_object_set_new(o, "record", json_null());
	}
	/* channel and url as conda-meta records them: a file:// channel becomes
	 * "local" there (no host paths in images), so it must here too or a moved
	 * channel would miss. */
	if (p->channel && !strncmp(p->channel, "file://", 7)) {
		buf_reset(&tmp);
		buf_addf(&tmp, "local/%s/%s", p->subdir ? p->subdir : "noarch", p->fn ? p->fn : "");
		json_object_set_new(o, "channel", json_string("local"));
		json_object_set_new(o, "url", json_string(tmp.data));
	} else {
		json_object_set_new(o, "channel",
				    p->channel ? json_string(p->channel) : json_null());
		json_object_set_new(o, "url", p->url ? json_string(p->url) : json_null());
	}
	json_object_set_new(o, "fn", p->fn ? json_string(p->fn) : json_null());
	buf_free(&tmp);
	return o;
}

static int default_level(const layer_opts_t *o)
{
	if (o->level > 0)
		return o->level;
	return o->compression == LAYER_ZSTD ? LAYER_ZSTD_DEFAULT_LEVEL : LAYER_GZIP_DEFAULT_LEVEL;
}

int lcache_key(const lcache_key_input_t *in, char key_hex[DIGEST_HEX_MAX], buf_t *canonical,
	       err_t *err)
{
	const pkgrec_t **sorted = xcalloc(in->n_pkgs ? in->n_pkgs : 1, sizeof *sorted);
	json_t *doc = json_object(), *pkgs = json_array();
	char *text = NULL;
	int is_noarch_python = 0, rc = -1;
	memcpy(sorted, in->pkgs, in->n_pkgs * sizeof *sorted);
	/* Sorted by (name, version, build): the key must not depend on the solver's
	 * order. */
	if (in->n_pkgs)
		qsort(sorted, in->n_pkgs, sizeof *sorted, cmp_pkg_name);
	for (size_t i = 0; i < in->n_pkgs; i++) {
		json_t *p = key_package(sorted[i], err);
		if (!p)
			goto out;
		json_array_append_new(pkgs, p);
		if (sorted[i]->noarch && !strcmp(sorted[i]->noarch, "python"))
			is_noarch_python = 1;
	}
	json_object_set_new(doc, "key_version", json_integer(LCACHE_KEY_VERSION));
	json_object_set_new(doc, "layer_format", json_integer(LCACHE_LAYER_FORMAT));
	json_object_set_new(doc, "compression",
			    json_string(in->layer->compression == LAYER_ZSTD ? "zstd" : "gzip"));
	json_object_set_new(doc, "level", json_integer(default_level(in->layer)));
	json_object_set_new(doc, "mtime", json_integer(in->layer->mtime));
	json_object_set_new(doc, "prefix", json_string(in->image_prefix));
	/* noarch: python files land under lib/pythonX.Y: only then does the version
	 * matter. */
	json_object_set_new(doc, "python",
			    is_noarch_python && in->python_version ? json_string(in->python_version)
								   : json_null());
	json_object_set(doc, "packages", pkgs);
	text = xcheck(json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT));
	digest_buf_hex(DIGEST_SHA256, text, strlen(text), key_hex);
	if (canonical)
		buf_setstr(canonical, text);
	rc = 0;
out:
	free(text);
	free(sorted);
	json_decref(pkgs);
	json_decref(doc);
	return rc;
}

/* ---- paths, lock, temporary files
 * ------------------------------------------------------- */

static void path_of(const lcache_t *c, buf_t *out, const char *dir, const char *name,
		    const char *ext)
{
	buf_setstr(out, c->root.data);
	buf_addpath(out, dir);
	buf_addpath(out, name);
	if (ext)
		buf_addstr(out, ext);
}

/* tmp/<pid>-<n>, scratch.h's naming: the pid lets lcache_open sweep (scratch_sweep) what a
 * killed build left. */
static void tmp_name(const lcache_t *c, buf_t *out)
{
	buf_setstr(out, c->root.data);
	buf_addpath(out, "tmp");
	buf_addf(out, "/%ld-%lu", (long)getpid(),
		 (unsigned long)atomic_fetch_add(&g_tmp_counter, 1));
}

/* Entries and stamps are made complete in tmp/ (which lcache_open sweeps), never beside
 * their final name, so a killed build leaves nothing in keys/ or verified/. */
static int write_small(const lcache_t *c, const char *path, const void *data, size_t len,
		       err_t *err)
{
	buf_t dir = BUF_INIT;
	buf_setstr(&dir, c->root.data);
	buf_addpath(&dir, "tmp");
	int rc = fs_write_atomic_via(path, dir.data, data, len, err);
	buf_free(&dir);
	return rc;
}

static int lock_cache(const lcache_t *c, err_t *err)
{
	buf_t p = BUF_INIT;
	int fd;
	buf_setstr(&p, c->root.data);
	buf_addpath(&p, "lock");
	fd = open(p.data, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		err_set(err, "layer cache %s: cannot open its lock file: %s", p.data,
			strerror(errno));
		goto out;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		err_set(err, "layer cache %s: cannot lock: %s", p.data, strerror(errno));
		close(fd);
		fd = -1;
		goto out;
	}
out:
	buf_free(&p);
	return fd;
}

static void unlock_cache(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* ---- open / free
 * ------------------------------------------------------------------------ */

lcache_t *lcache_open(const char *root, err_t *err)
{
	static const char *const dirs[] = {"blobs/sha256", "keys", "verified", "tmp"};
	lcache_t *c = xcalloc(1, sizeof *c);
	buf_t p = BUF_INIT;
	buf_setstr(&c->root, root);
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		buf_setstr(&p, root);
		buf_addpath(&p, dirs[i]);
		if (fs_mkdir_p(p.data, err)) {
			err_prefix(err, "layer cache");
			lcache_free(c);
			c = NULL;
			goto out;
		}
	}
	buf_setstr(&p, root);
	buf_addpath(&p, "tmp");
	scratch_sweep(p.data, "");
out:
	buf_free(&p);
	return c;
}

void lcache_free(lcache_t *c)
{
	if (!c)
		return;
	buf_free(&c->root);
	free(c);
}

/* ---- entries and stamps
 * ----------------------------------------------------------------- */

/* The parsed entry of key_hex, or NULL when it is absent or not JSON. Caller decrefs. */
static json_t *load_entry(const lcache_t *c, const char *key_hex)
{
	buf_t p = BUF_INIT, text = BUF_INIT;
	err_t ignored = ERR_INIT;
	json_t *j = NULL;
	if (digest_is_hex(key_hex, 64)) {
		path_of(c, &p, "keys", key_hex, ".json");
		if (buf_read_file(&text, p.data, LCACHE_ENTRY_MAX_BYTES, &ignored) == 0)
			j = json_loadb(text.data, text.len, 0, NULL);
	}
	err_clear(&ignored);
	buf_free(&p);
	buf_free(&text);
	return j;
}

/* 0 and out filled, or -1 when the entry is absent or malformed (both read as a
 * miss). */
static int read_entry(const lcache_t *c, const char *key_hex, layer_desc_t *out)
{
	json_t *j = load_entry(c, key_hex);
	int rc = -1;
	if (!j)
		goto out;
	const char *digest = json_string_value(json_object_get(j, "digest"));
	const char *diff_id = json_string_value(json_object_get(j, "diff_id"));
	const char *mt = json_string_value(json_object_get(j, "media_type"));
	json_int_t size = json_integer_value(json_object_get(j, "size"));
	if (!digest_oci_hex(digest) || !digest_oci_hex(diff_id) || !mt || size <= 0)
		goto out;
	memset(out, 0, sizeof *out);
	if (!strcmp(mt, blob_media_type(LAYER_GZIP)))
		out->media_type = blob_media_type(LAYER_GZIP);
	else if (!strcmp(mt, blob_media_type(LAYER_ZSTD)))
		out->media_type = blob_media_type(LAYER_ZSTD);
	else
		goto out;
	memcpy(out->digest, digest, strlen(digest) + 1);
	memcpy(out->diff_id, diff_id, strlen(diff_id) + 1);
	out->size = (long long)size;
	out->files = (long long)json_integer_value(json_object_get(j, "files"));
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static void stamp_of(const struct stat *st, buf_t *out)
{
	buf_reset(out);
	buf_addf(out, "%lld %lld.%09ld %llu\n", (long long)st->st_size,
		 (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
		 (unsigned long long)st->st_ino);
}

/* 1 when the file behind st was hashed (and matched) since it last changed. */
static int stamp_matches(const lcache_t *c, const char *hex, const struct stat *st)
{
	buf_t p = BUF_INIT, want = BUF_INIT, have = BUF_INIT;
	err_t ignored = ERR_INIT;
	int ok = 0;
	path_of(c, &p, "verified", hex, NULL);
	/* An empty or damaged stamp is just a mismatch: the blob is hashed again and the stamp
	 * rewritten (buf_cstr: an empty file leaves have.data NULL). */
	if (buf_read_file(&have, p.data, LCACHE_STAMP_MAX_BYTES, &ignored) == 0) {
		stamp_of(st, &want);
		ok = !strcmp(buf_cstr(&want), buf_cstr(&have));
	}
	err_clear(&ignored);
	buf_free(&p);
	buf_free(&want);
	buf_free(&have);
	return ok;
}

/* Stamps trust mtime, whose clock ticks only every few ms: a write in the same
 * tick as the stamp would go unnoticed. So a verified blob's mtime is first set
 * to a fixed instant long past (LCACHE_BLOB_MTIME_SEC); any later write moves
 * it to "now" and the stamp fails. 0 once the file at path has that mtime (st
 * refreshed), -1 if it cannot be set (not our file). */
static int pin_mtime(const char *path, struct stat *st)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {LCACHE_BLOB_MTIME_SEC, 0}};
	if (st->st_mtim.tv_sec == LCACHE_BLOB_MTIME_SEC && st->st_mtim.tv_nsec == 0)
		return 0;
	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) != 0 || lstat(path, st) != 0)
		return -1;
	return st->st_mtim.tv_sec == LCACHE_BLOB_MTIME_SEC ? 0 : -1;
}

static int write_stamp(const lcache_t *c, const char *hex, const struct stat *st, err_t *err)
{
	buf_t p = BUF_INIT, s = BUF_INIT;
	path_of(c, &p, "verified", hex, NULL);
	stamp_of(st, &s);
	int rc = write_small(c, p.data, s.data, s.len, err);
	buf_free(&p);
	buf_free(&s);
	return rc;
}

lcache_status_t lcache_peek(lcache_t *c, const char *key_hex, layer_desc_t *out)
{
	buf_t p = BUF_INIT;
	struct stat st;
	lcache_status_t s = LCACHE_MISS;
	if (read_entry(c, key_hex, out) != 0)
		goto out;
	path_of(c, &p, "blobs/sha256", digest_oci_hex(out->digest), NULL);
	if (stat(p.data, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == out->size)
		s = LCACHE_HIT;
out:
	buf_free(&p);
	return s;
}

/* Removes a bad blob (only if the cache still holds that very inode: a
 * concurrent build may have put a good copy in its place) and the entry
 * pointing at it. */
static void evict(lcache_t *c, const char *key_hex, const char *hex, ino_t bad_ino, int is_missing)
{
	buf_t p = BUF_INIT;
	err_t ignored = ERR_INIT;
	struct stat st;
	int fd = lock_cache(c, &ignored);
	if (fd < 0)
		goto out;
	path_of(c, &p, "blobs/sha256", hex, NULL);
	int is_gone = stat(p.data, &st) != 0;
	if (!is_gone && !is_missing && st.st_ino == bad_ino) {
		unlink(p.data);
		is_gone = 1;
	}
	if (is_gone) {
		path_of(c, &p, "verified", hex, NULL);
		unlink(p.data);
		path_of(c, &p, "keys", key_hex, ".json");
		unlink(p.data);
	}
	unlock_cache(fd);
out:
	err_clear(&ignored);
	buf_free(&p);
}

/* dest := cache blob. 0 placed (or already there), 1 cache blob missing, -1
 * error. */
static int place_blob(const char *src, const char *dest, err_t *err)
{
	if (link(src, dest) == 0 || errno == EEXIST)
		return 0;
	if (errno == ENOENT && !fs_exists(src))
		return 1;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK)
		return err_set(err, "cannot link cached layer %s to %s: %s", src, dest,
			       strerror(errno));
	if (fs_copy_file(src, dest, err) != 0)
		return fs_exists(src) ? -1 : (err_clear(err), 1);
	return 0;
}

int lcache_fetch(lcache_t *c, const char *key_hex, const char *dest_blobs_dir, layer_desc_t *out,
		 lcache_status_t *status, const char **why, err_t *err)
{
	buf_t src = BUF_INIT, dest = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	struct stat st;
	int rc = -1;
	*status = LCACHE_MISS;
	if (why)
		*why = NULL;
	if (read_entry(c, key_hex, out) != 0) {
		rc = 0;
		goto out;
	}
	const char *want = digest_oci_hex(out->digest); /* read_entry checked it */
	path_of(c, &src, "blobs/sha256", want, NULL);
	buf_setstr(&dest, dest_blobs_dir);
	buf_addpath(&dest, want);
	int placed = place_blob(src.data, dest.data, err);
	if (placed < 0)
		goto out;
	if (placed == 1) {
		evict(c, key_hex, want, 0, 1);
		*status = LCACHE_EVICTED;
		if (why)
			*why = "its blob is missing";
		rc = 0;
		goto out;
	}
	/* Verify what we hold now (our own link): nothing can change it under us
	 * after this. */
	if (lstat(dest.data, &st) != 0 || !S_ISREG(st.st_mode)) {
		err_set(err, "cannot stat %s: %s", dest.data, strerror(errno));
		goto out;
	}
	if (st.st_size != out->size) {
		if (why)
			*why = "its blob has the wrong size (truncated?)";
	} else if (stamp_matches(c, want, &st)) {
		*status = LCACHE_HIT;
	} else if (digest_file_hex(DIGEST_SHA256, dest.data, hex, err) != 0) {
		goto out;
	} else if (strcmp(hex, want) != 0) {
		if (why)
			*why = "its blob's sha256 does not match (corrupt)";
	} else {
		struct stat cst;
		*status = LCACHE_HIT;
		/* Stamp only the cache's own inode (not a copy); a failed stamp costs a
		 * re-hash. */
		if (stat(src.data, &cst) == 0 && cst.st_ino == st.st_ino &&
		    cst.st_dev == st.st_dev && pin_mtime(src.data, &st) == 0) {
			err_t ignored = ERR_INIT;
			int fd = lock_cache(c,
					    &ignored); /* one writer of verified/<hex> at a time */
			if (fd >= 0)
				write_stamp(c, want, &st, &ignored);
			unlock_cache(fd);
			err_clear(&ignored);
		}
	}
	if (*status != LCACHE_HIT) {
		unlink(dest.data);
		evict(c, key_hex, want, st.st_ino, 0);
		*status = LCACHE_EVICTED;
	}
	rc = 0;
out:
	buf_free(&src);
	buf_free(&dest);
	return rc;
}

/* ---- store
 * ------------------------------------------------------------------------------
 */

/* The layer's package records (common/pkgrec_list.h): the data its SBOM is made from, kept
 * with the entry so a reused layer's SBOM is the one of the build that made it (issue 15). */
static json_t *records_json(const pkgrec_t *const *pkgs, size_t n_pkgs)
{
	buf_t b = BUF_INIT;
	pkgrec_list_write(pkgs, n_pkgs, &b);
	json_t *j = xcheck(json_loadb(b.data, b.len, 0, NULL));
	buf_free(&b);
	return j;
}

static char *entry_json(const layer_desc_t *d, const char *group, const pkgrec_t *const *pkgs,
			size_t n_pkgs, const char *key_input)
{
	json_t *e = json_object(), *list = json_array();
	for (size_t i = 0; i < n_pkgs; i++) {
		char *dist = pkgrec_dist(pkgs[i]);
		json_array_append_new(list, json_string(dist));
		free(dist);
	}
	json_object_set_new(e, "digest", json_string(d->digest));
	json_object_set_new(e, "diff_id", json_string(d->diff_id));
	json_object_set_new(e, "size", json_integer(d->size));
	json_object_set_new(e, "media_type", json_string(d->media_type));
	json_object_set_new(e, "files", json_integer(d->files));
	json_object_set_new(e, "group", json_string(group ? group : ""));
	json_object_set_new(e, "packages", list);
	json_object_set_new(e, "records", records_json(pkgs, n_pkgs));
	json_t *ki = key_input ? json_loads(key_input, 0, NULL) : NULL;
	json_object_set_new(e, "key_input", ki ? ki : json_null());
	char *text = xcheck(json_dumps(e, JSON_SORT_KEYS | JSON_INDENT(1)));
	json_decref(e);
	return text;
}

/* Puts blob_path into blobs/sha256/<hex> unless a verified copy is there. Lock
 * held. */
static int store_blob(lcache_t *c, const char *blob_path, const char *hex, err_t *err)
{
	buf_t final = BUF_INIT, tmp = BUF_INIT;
	struct stat st;
	int rc = -1;
	path_of(c, &final, "blobs/sha256", hex, NULL);
	if (stat(final.data, &st) == 0 && stamp_matches(c, hex, &st)) {
		rc = 0;
		goto out;
	}
	tmp_name(c, &tmp);
	if (link(blob_path, tmp.data) != 0 && fs_copy_file(blob_path, tmp.data, err) != 0) {
		err_prefix(err, "layer cache: storing %s", blob_path);
		goto out;
	}
	if (rename(tmp.data, final.data) != 0) {
		err_set(err, "layer cache: cannot rename %s to %s: %s", tmp.data, final.data,
			strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	/* The blob writer hashed these bytes as it wrote them: stamp without
	 * re-reading. */
	if (lstat(final.data, &st) != 0) {
		err_set(err, "layer cache: cannot stat %s: %s", final.data, strerror(errno));
		goto out;
	}
	rc = pin_mtime(final.data, &st) == 0 ? write_stamp(c, hex, &st, err) : 0;
out:
	buf_free(&final);
	buf_free(&tmp);
	return rc;
}

int lcache_store(lcache_t *c, const char *key_hex, const char *blob_path, const layer_desc_t *desc,
		 const char *group, const pkgrec_t *const *pkgs, size_t n_pkgs,
		 const char *key_input, err_t *err)
{
	buf_t p = BUF_INIT;
	char *text = NULL;
	int fd = -1, rc = -1;
	if (!digest_is_hex(key_hex, 64) || !digest_oci_hex(desc->digest) ||
	    !digest_oci_hex(desc->diff_id)) {
		err_set(err, "layer cache: bad key '%s' or digest '%s'", key_hex, desc->digest);
		goto out;
	}
	text = entry_json(desc, group, pkgs, n_pkgs, key_input);
	fd = lock_cache(c, err);
	if (fd < 0)
		goto out;
	if (store_blob(c, blob_path, digest_oci_hex(desc->digest), err) != 0)
		goto out;
	/* The entry goes last: it is what makes the blob findable. */
	path_of(c, &p, "keys", key_hex, ".json");
	if (write_small(c, p.data, text, strlen(text), err) != 0)
		goto out;
	rc = 0;
out:
	unlock_cache(fd);
	free(text);
	buf_free(&p);
	return rc;
}

int lcache_records(lcache_t *c, const char *key_hex, buf_t *out)
{
	json_t *j = load_entry(c, key_hex);
	json_t *rec = json_object_get(j, "records");
	int found = json_is_object(rec);
	buf_reset(out);
	if (found) {
		/* written back as pkgrec_list_write wrote it: sorted keys, compact */
		char *s = xcheck(json_dumps(rec, JSON_SORT_KEYS | JSON_COMPACT));
		buf_setstr(out, s);
		free(s);
	}
	json_decref(j);
	return found;
}
