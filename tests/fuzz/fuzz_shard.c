/* fuzz_shard.c — CEP-16 sharded repodata as conda/shard*.c reads it: MessagePack decoded by
 * shard_msgpack.c (our own bounded reader). The first byte picks the document: 'i' a shard
 * index (zstd-compressed here and given to shard_index_parse, as the fetch does), 's' a shard,
 * whose records are merged the way shard.c merges them and checked as a repodata document
 * (repodata_check, what the solver then reads); any other byte picks by its value
 * (fuzz_pick).
 * Properties: the reader never allocates more than the input justifies (ASan's RSS limit
 * catches it), accepted index names all have a 64-hex hash and a shard URL under the index. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "fuzz_util.h"
#include "repodata.h"
#include "shard.h"

#define INDEX_URL "https://fuzz.example/chan/linux-64/repodata_shards.msgpack.zst"

static void index_doc(const uint8_t *data, size_t size)
{
	size_t cap = ZSTD_compressBound(size);
	void *zst = malloc(cap ? cap : 1);
	size_t n = ZSTD_compress(zst, cap, data, size, 1);
	err_t err = ERR_INIT;
	FUZZ_ASSERT(!ZSTD_isError(n), "zstd: %s", ZSTD_getErrorName(n));
	shard_index_t *idx = shard_index_parse(zst, n, INDEX_URL, &err);
	if (!idx) {
		fuzz_check_message(&err, NULL);
	} else {
		for (size_t i = 0; i < shard_index_count(idx); i++) {
			const char *hex = shard_index_hash(idx, shard_index_name(idx, i));
			buf_t url = BUF_INIT;
			FUZZ_ASSERT(hex && strlen(hex) == 64, "name %s without a hash",
				    shard_index_name(idx, i));
			shard_index_shard_url(idx, hex, &url);
			FUZZ_ASSERT(strstr(url.data, hex), "shard URL %s", url.data);
			buf_free(&url);
		}
	}
	shard_index_free(idx);
	err_clear(&err);
	free(zst);
}

static void shard_doc(const uint8_t *data, size_t size)
{
	err_t err = ERR_INIT;
	json_t *shard = shard_msgpack_to_json(data, size, &err);
	if (!shard) {
		fuzz_check_message(&err, NULL);
		goto out;
	}
	json_t *repodata = json_pack("{s:{s:s}}", "info", "subdir", "linux-64"),
	       *deps = json_object();
	for (int k = 0; k < 2; k++) {
		const char *key = k ? "packages.conda" : "packages", *fn;
		json_t *from = json_object_get(shard, key), *rec;
		if (json_is_object(from))
			json_object_set(repodata, key, from);
		json_object_foreach (json_is_object(from) ? from : NULL, fn, rec)
			shard_add_dep_names(json_object_get(rec, "depends"), deps);
	}
	if (repodata_check(repodata, INDEX_URL, &err) != 0)
		fuzz_check_message(&err, NULL);
	json_decref(repodata);
	json_decref(deps);
out:
	json_decref(shard);
	err_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (fuzz_pick(data[0], "si") == 'i')
		index_doc(data + 1, size - 1);
	else
		shard_doc(data + 1, size - 1);
	return 0;
}
