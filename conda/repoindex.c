/* repoindex.c — records of a repodata.json by file name (see repoindex.h). Layout: magic,
 * u64 count, (count + 1) u64 offsets into the body, then per record "fn\n" + compact JSON
 * with sorted keys, records sorted by fn (byte order) so a lookup is a binary search over
 * the mapped file. Native byte order: the cache never leaves this host. */
#include "repoindex.h"
#include "fsutil.h"
#include "repodata.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* 16 bytes, so the u64 count and offsets that follow are aligned in the mapping */
#define REPOINDEX_MAGIC "imgbuild-recs-3\n"
#define MAGIC_LEN (sizeof REPOINDEX_MAGIC - 1)
_Static_assert(MAGIC_LEN % 8 == 0, "offsets must stay 8-aligned");

struct repoindex {
	char *path;
	const unsigned char *map;
	size_t size;
	uint64_t count;
	const uint64_t *offs; /* count + 1 */
	const char *body;
	size_t body_len;
};

struct entry {
	const char *fn;
	char *text;
	size_t order; /* the .conda map's records first */
};

void repoindex_path(const char *cache_dir, const char *sha, buf_t *out)
{
	buf_setstr(out, cache_dir);
	buf_addpath(out, "repodata/records");
	buf_addf(out, "/%s-v3.idx", sha);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->fn, y->fn);
	/* equal names: the .conda map's entry (added first) first */
	return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

int repoindex_write(const char *path, json_t *root, err_t *err)
{
	if (repodata_check(root, path, err) != 0)
		return -1;
	return repoindex_write_checked(path, root, err);
}

int repoindex_write_checked(const char *path, json_t *root, err_t *err)
{
	json_t *maps[2] = {json_object_get(root, "packages.conda"),
			   json_object_get(root, "packages")};
	size_t n = json_object_size(maps[0]) + json_object_size(maps[1]), k = 0, kept = 0;
	struct entry *e = xcalloc(n + 1, sizeof *e);
	uint64_t *offs = xcalloc(n + 1, sizeof *offs);
	buf_t dir = BUF_INIT, tmp = BUF_INIT;
	FILE *fp = NULL;
	int rc = -1;
	for (int m = 0; m < 2; m++) {
		const char *fn;
		json_t *rec;
		json_object_foreach (maps[m], fn, rec) {
			if (strchr(fn, '\n'))
				continue; /* cannot be a package file name; never chosen */
			e[k].fn = fn;
			e[k].order = k;
			e[k].text =
				json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
			if (!e[k].text) {
				err_set(err, "%s: cannot serialise record %s", path, fn);
				goto out;
			}
			k++;
		}
	}
	qsort(e, k, sizeof *e, cmp_entry);
	uint64_t at = 0;
	for (size_t i = 0; i < k; i++) {
		if (kept && !strcmp(e[kept - 1].fn, e[i].fn)) {
			free(e[i].text);
			continue;
		}
		e[kept] = e[i];
		offs[kept++] = at;
		at += strlen(e[i].fn) + 1 + strlen(e[i].text);
	}
	offs[kept] = at;
	buf_add(&dir, path, (size_t)(strrchr(path, '/') - path));
	if (fs_mkdir_p(dir.data, err) != 0)
		goto out;
	buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fp = fopen(tmp.data, "wb");
	if (!fp) {
		err_set(err, "%s: cannot create: %s", tmp.data, strerror(errno));
		goto out;
	}
	uint64_t count = kept;
	fwrite(REPOINDEX_MAGIC, 1, MAGIC_LEN, fp);
	fwrite(&count, sizeof count, 1, fp);
	fwrite(offs, sizeof *offs, kept + 1, fp);
	for (size_t i = 0; i < kept; i++) {
		fputs(e[i].fn, fp);
		fputc('\n', fp);
		fputs(e[i].text, fp);
	}
	int bad = ferror(fp);
	if (fclose(fp) != 0 || bad) {
		fp = NULL;
		err_set(err, "%s: write failed: %s", tmp.data, strerror(errno));
		goto out;
	}
	fp = NULL;
	if (fs_rename(tmp.data, path, err) != 0)
		goto out;
	rc = 0;
out:
	if (fp)
		fclose(fp);
	if (rc != 0 && tmp.len)
		unlink(tmp.data);
	for (size_t i = 0; i < (kept ? kept : k); i++)
		free(e[i].text);
	free(e);
	free(offs);
	buf_free(&dir);
	buf_free(&tmp);
	return rc;
}

repoindex_t *repoindex_open(const char *path, err_t *err)
{
	repoindex_t *ri = xcalloc(1, sizeof *ri);
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ri->path = xstrdup(path);
	if (fd < 0 || fstat(fd, &st) != 0) {
		err_set(err, "%s: cannot open the record index: %s", path, strerror(errno));
		goto fail;
	}
	ri->size = (size_t)st.st_size;
	if (ri->size < MAGIC_LEN + 2 * sizeof(uint64_t))
		goto damaged;
	ri->map = mmap(NULL, ri->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (ri->map == MAP_FAILED) {
		ri->map = NULL;
		err_set(err, "%s: cannot map the record index: %s", path, strerror(errno));
		goto fail;
	}
	if (memcmp(ri->map, REPOINDEX_MAGIC, MAGIC_LEN) != 0)
		goto damaged;
	memcpy(&ri->count, ri->map + MAGIC_LEN, sizeof ri->count);
	size_t head = MAGIC_LEN + sizeof ri->count;
	if (ri->count > (ri->size - head) / sizeof(uint64_t) - 1)
		goto damaged;
	ri->offs = (const uint64_t *)(ri->map + head);
	ri->body = (const char *)ri->map + head + (ri->count + 1) * sizeof(uint64_t);
	ri->body_len = ri->size - (size_t)(ri->body - (const char *)ri->map);
	if (ri->offs[ri->count] != ri->body_len)
		goto damaged;
	for (uint64_t i = 0; i < ri->count; i++)
		if (ri->offs[i] > ri->offs[i + 1])
			goto damaged;
	close(fd);
	return ri;
damaged:
	err_set(err, "%s: record index is damaged; delete it and solve again", path);
fail:
	if (fd >= 0)
		close(fd);
	repoindex_free(ri);
	return NULL;
}

void repoindex_free(repoindex_t *ri)
{
	if (!ri)
		return;
	if (ri->map)
		munmap((void *)ri->map, ri->size);
	free(ri->path);
	free(ri);
}

/* Entry i's name (not NUL-terminated; length in *len) and JSON text. */
static const char *entry_at(const repoindex_t *ri, uint64_t i, size_t *fn_len, const char **json,
			    size_t *json_len)
{
	const char *s = ri->body + ri->offs[i], *end = ri->body + ri->offs[i + 1];
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	if (!nl)
		return NULL;
	*fn_len = (size_t)(nl - s);
	*json = nl + 1;
	*json_len = (size_t)(end - nl - 1);
	return s;
}

json_t *repoindex_get(const repoindex_t *ri, const char *fn, err_t *err)
{
	uint64_t lo = 0, hi = ri->count;
	size_t want = strlen(fn);
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		size_t len, json_len;
		const char *json;
		const char *name = entry_at(ri, mid, &len, &json, &json_len);
		if (!name) {
			err_set(err, "%s: record index is damaged; delete it and solve again",
				ri->path);
			return NULL;
		}
		int c = memcmp(name, fn, len < want ? len : want);
		if (!c)
			c = len < want ? -1 : len > want;
		if (c < 0) {
			lo = mid + 1;
		} else if (c > 0) {
			hi = mid;
		} else {
			json_t *rec = json_loadb(json, json_len, 0, NULL);
			if (!rec)
				err_set(err,
					"%s: entry for %s is not JSON; delete the index and solve "
					"again",
					ri->path, fn);
			return rec;
		}
	}
	if (strchr(fn, '/') || strchr(fn, '\n'))
		err_set(err,
			"'%.100s' is not a package file name: the repodata record it came from is "
			"malformed",
			fn);
	else
		err_set(err, "%s: no record %.100s (stale index); delete it and solve again",
			ri->path, fn);
	return NULL;
}
