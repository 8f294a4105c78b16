/* compress_alone.c — the physical limit of a layer build: imgbuild's own compress + hash +
 * store sink (layers/blob.c: chunked libdeflate gzip or zstd, diff_id and digest hashing, the
 * blob file written and fsynced) fed with tar bytes that already exist, so nothing but the
 * compressor and its hashing is timed. Used by bench/bench_layers.sh on the uncompressed tars
 * of imgbuild's own layers (the very same bytes a build compresses).
 *
 *   compress_alone gzip|zstd LEVEL THREADS BLOBS_DIR TAR...
 * LEVEL 0 = imgbuild's default; THREADS <= 0 = one per online CPU. Each TAR becomes one blob;
 * prints "compressed BYTES" (the sum) and one "DIGEST DIFF_ID" line per TAR. Exit 0, or 1 with
 * the error on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"

#define READ_BYTES (1024 * 1024)

/* Streams one file into a new blob; adds its compressed size to *total. */
static int compress_one(const char *tar, const char *blobs_dir, layer_compression_t comp, int level,
			int threads, long long *total, err_t *err)
{
	FILE *f = fopen(tar, "rb");
	char *chunk = malloc(READ_BYTES);
	blob_writer_t *w = NULL;
	char digest[DIGEST_HEX_MAX], diff_id[DIGEST_HEX_MAX];
	long long bytes = 0;
	int rc = -1;
	if (!f || !chunk) {
		err_set(err, "%s: cannot open", tar);
		goto out;
	}
	w = blob_writer_new(blobs_dir, comp, level, threads, err);
	if (!w)
		goto out;
	size_t n;
	while ((n = fread(chunk, 1, READ_BYTES, f)) > 0)
		if (blob_writer_write(w, chunk, n, err) != 0)
			goto out;
	if (ferror(f)) {
		err_set(err, "%s: read error", tar);
		goto out;
	}
	if (blob_writer_finish(w, digest, diff_id, &bytes, err) != 0)
		goto out;
	printf("%s %s\n", digest, diff_id);
	*total += bytes;
	rc = 0;
out:
	blob_writer_free(w);
	free(chunk);
	if (f)
		fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 6 || (strcmp(argv[1], "gzip") != 0 && strcmp(argv[1], "zstd") != 0)) {
		fprintf(stderr, "usage: compress_alone gzip|zstd LEVEL THREADS BLOBS_DIR TAR...\n");
		return 2;
	}
	layer_compression_t comp = strcmp(argv[1], "gzip") == 0 ? LAYER_GZIP : LAYER_ZSTD;
	int level = (int)strtol(argv[2], NULL, 10), threads = (int)strtol(argv[3], NULL, 10);
	long long total = 0;
	err_t err = ERR_INIT;
	for (int i = 5; i < argc; i++) {
		if (compress_one(argv[i], argv[4], comp, level, threads, &total, &err) != 0) {
			fprintf(stderr, "compress_alone: %s\n", err_msg(&err));
			err_clear(&err);
			return 1;
		}
	}
	printf("compressed %lld\n", total);
	return 0;
}
