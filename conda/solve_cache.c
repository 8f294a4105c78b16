/* solve_cache.c — parsed repodata kept as libsolv .solv files (see solve_int.h).
 * <cache>/solv/<sha256 of repodata.json>-v1.solv holds the repo as libsolv wrote it; with the
 * record index of the same repodata (repoindex.h) a warm solve loads the .solv (no JSON
 * parsing at all) and reads back only the records of the packages it chose. Written to a temp
 * name and renamed, so a killed writer never leaves a half cache entry. */
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

/* Bump when what goes into the .solv changes. */
#define SOLV_CACHE_FORMAT "v1"

static void cache_path(const char *cache_dir, const char *sha, buf_t *solv)
{
	buf_setstr(solv, cache_dir);
	buf_addpath(solv, "solv");
	buf_addf(solv, "/%s-" SOLV_CACHE_FORMAT ".solv", sha);
}

int solve_cache_key(const char *repodata_path, char sha[DIGEST_HEX_MAX], err_t *err)
{
	return digest_file_hex(DIGEST_SHA256, repodata_path, sha, err);
}

int solve_cache_load(const char *cache_dir, const char *sha, Repo *repo)
{
	buf_t solv = BUF_INIT;
	int loaded = 0;
	cache_path(cache_dir, sha, &solv);
	FILE *fp = fopen(solv.data, "r");
	if (fp) {
		loaded = repo_add_solv(repo, fp, 0) == 0;
		fclose(fp);
		if (!loaded) /* unreadable (libsolv upgrade, disk error): rebuild it from JSON */
			repo_empty(repo, 1);
	}
	buf_free(&solv);
	return loaded;
}

void solve_cache_store(const char *cache_dir, const char *sha, Repo *repo)
{
	buf_t solv = BUF_INIT, tmp = BUF_INIT, dir = BUF_INIT;
	err_t ignored = ERR_INIT;
	cache_path(cache_dir, sha, &solv);
	buf_setstr(&dir, cache_dir);
	buf_addpath(&dir, "solv");
	/* Best effort: a cache that cannot be written only costs the next solve a JSON parse. */
	if (fs_mkdir_p(dir.data, &ignored) == 0) {
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
	buf_free(&tmp);
	buf_free(&dir);
}
