/* solve_cache.c — parsed repodata kept as libsolv .solv files (see solve_int.h).
 * <cache>/solv/<sha256 of repodata.json>-v1.solv holds the repo as libsolv wrote it;
 * <...>.idx holds each solvable's repodata record as compact JSON, in the repo's solvable
 * order, behind a table of offsets: a warm solve loads the .solv (no JSON parsing at all) and
 * reads back only the records of the packages it chose. Files are written to a temp name and
 * renamed, so a killed writer never leaves a half cache entry; a record whose file name does
 * not match its solvable is reported as a stale cache, never silently used. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#pragma GCC diagnostic pop

#include "digest.h"
#include "fsutil.h"
#include "solve_int.h"

/* Bump when the .idx layout or what goes into the .solv changes. */
#define SOLV_CACHE_FORMAT "v1"
#define IDX_MAGIC "imgbuild-solv-idx-1\n"

static void cache_paths(const char *cache_dir, const char *sha, buf_t *solv, buf_t *idx)
{
	buf_setstr(solv, cache_dir);
	buf_addpath(solv, "solv");
	buf_setstr(idx, solv->data);
	buf_addf(solv, "/%s-" SOLV_CACHE_FORMAT ".solv", sha);
	buf_addf(idx, "/%s-" SOLV_CACHE_FORMAT ".idx", sha);
}

int solve_cache_key(const char *repodata_path, char sha[DIGEST_HEX_MAX], err_t *err)
{
	return digest_file_hex(DIGEST_SHA256, repodata_path, sha, err);
}

int solve_cache_load(const char *cache_dir, const char *sha, Repo *repo, char **idx_path_out)
{
	buf_t solv = BUF_INIT, idx = BUF_INIT;
	int loaded = 0;
	cache_paths(cache_dir, sha, &solv, &idx);
	FILE *fp = fs_exists(idx.data) ? fopen(solv.data, "r") : NULL;
	if (fp) {
		loaded = repo_add_solv(repo, fp, 0) == 0;
		fclose(fp);
		if (!loaded) /* unreadable (libsolv upgrade, disk error): rebuild it from JSON */
			repo_empty(repo, 1);
	}
	if (loaded)
		*idx_path_out = buf_detach(&idx);
	buf_free(&solv);
	buf_free(&idx);
	return loaded;
}

/* The repodata entry of a solvable, by its file name (.conda first: libsolv keeps that one
 * when both formats exist). */
static json_t *entry_for(json_t *root, Solvable *sv)
{
	const char *fn = solvable_lookup_location(sv, NULL);
	if (fn && strrchr(fn, '/'))
		fn = strrchr(fn, '/') + 1;
	if (!fn)
		return NULL;
	json_t *e = json_object_get(json_object_get(root, "packages.conda"), fn);
	return e ? e : json_object_get(json_object_get(root, "packages"), fn);
}

/* Writes the index: magic, count, (count + 1) little-endian u64 offsets, then per solvable
 * "fn\n" + compact JSON. */
static int write_index(const char *path, Repo *repo, json_t *root)
{
	buf_t body = BUF_INIT, out = BUF_INIT;
	uint64_t *offs = NULL;
	Id p;
	Solvable *sv;
	size_t n = 0, k = 0;
	int rc = -1;
	FOR_REPO_SOLVABLES(repo, p, sv)
	n++;
	offs = calloc(n + 1, sizeof *offs);
	if (!offs)
		abort();
	FOR_REPO_SOLVABLES(repo, p, sv)
	{
		json_t *e = entry_for(root, sv);
		const char *fn = solvable_lookup_location(sv, NULL);
		offs[k++] = body.len;
		if (!e || !fn)
			continue; /* an empty slot: record_for reports it */
		char *text = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
		if (!text)
			goto out;
		buf_addf(&body, "%s\n%s", strrchr(fn, '/') ? strrchr(fn, '/') + 1 : fn, text);
		free(text);
	}
	offs[n] = body.len;
	buf_addstr(&out, IDX_MAGIC);
	uint64_t count = n;
	buf_add(&out, &count, sizeof count); /* native order: the cache never leaves this host */
	buf_add(&out, offs, (n + 1) * sizeof *offs);
	buf_add(&out, body.data ? body.data : "", body.len);
	err_t ignored = ERR_INIT;
	rc = fs_write_atomic(path, out.data, out.len, &ignored);
	err_clear(&ignored);
out:
	free(offs);
	buf_free(&body);
	buf_free(&out);
	return rc;
}

void solve_cache_store(const char *cache_dir, const char *sha, Repo *repo, json_t *root)
{
	buf_t solv = BUF_INIT, idx = BUF_INIT, tmp = BUF_INIT, dir = BUF_INIT;
	err_t ignored = ERR_INIT;
	cache_paths(cache_dir, sha, &solv, &idx);
	buf_setstr(&dir, cache_dir);
	buf_addpath(&dir, "solv");
	/* Best effort: a cache that cannot be written only costs the next solve a JSON parse. */
	if (fs_mkdir_p(dir.data, &ignored) == 0 && write_index(idx.data, repo, root) == 0) {
		buf_addf(&tmp, "%s.tmp.%ld", solv.data, (long)getpid());
		FILE *fp = fopen(tmp.data, "w");
		int ok = fp && repo_write(repo, fp) == 0;
		if (fp && fclose(fp) != 0)
			ok = 0;
		if (!ok || rename(tmp.data, solv.data) != 0)
			unlink(tmp.data);
	}
	err_clear(&ignored);
	buf_free(&solv);
	buf_free(&idx);
	buf_free(&tmp);
	buf_free(&dir);
}

json_t *solve_cache_record(const char *idx_path, Repo *repo, Id p, const char *fn, err_t *err)
{
	FILE *fp = fopen(idx_path, "rb");
	char magic[sizeof IDX_MAGIC - 1];
	uint64_t count = 0, range[2];
	json_t *entry = NULL;
	char *blob = NULL;
	size_t k = (size_t)(p - repo->start);
	if (!fp) {
		err_set(err, "%s: cannot open the repodata index: %s", idx_path, strerror(errno));
		return NULL;
	}
	if (fread(magic, 1, sizeof magic, fp) != sizeof magic || memcmp(magic, IDX_MAGIC, sizeof magic) ||
	    fread(&count, sizeof count, 1, fp) != 1 || k >= count ||
	    fseek(fp, (long)(sizeof magic + sizeof count + k * sizeof(uint64_t)), SEEK_SET) != 0 ||
	    fread(range, sizeof range[0], 2, fp) != 2 || range[1] < range[0] ||
	    range[1] - range[0] > (64u << 20)) {
		err_set(err, "%s: repodata index is damaged; delete it and solve again", idx_path);
		goto out;
	}
	size_t len = (size_t)(range[1] - range[0]);
	long base = (long)(sizeof magic + sizeof count + (count + 1) * sizeof(uint64_t));
	blob = malloc(len + 1);
	if (!blob)
		abort();
	if (fseek(fp, base + (long)range[0], SEEK_SET) != 0 || fread(blob, 1, len, fp) != len) {
		err_set(err, "%s: repodata index is truncated; delete it and solve again", idx_path);
		goto out;
	}
	blob[len] = '\0';
	char *nl = strchr(blob, '\n');
	if (!nl || strncmp(blob, fn, (size_t)(nl - blob)) != 0 || strlen(fn) != (size_t)(nl - blob)) {
		err_set(err, "%s: index entry %zu is not %s (stale cache); delete %s and solve again",
			idx_path, k, fn, idx_path);
		goto out;
	}
	entry = json_loads(nl + 1, 0, NULL);
	if (!entry)
		err_set(err, "%s: index entry for %s is not JSON; delete it and solve again", idx_path, fn);
out:
	free(blob);
	fclose(fp);
	return entry;
}
