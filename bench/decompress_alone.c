/* decompress_alone.c — the other half of a cold layer build's floor: reading every member of
 * the package archives through imgbuild's own reader (pkg/pkg.c: libarchive, zstd inside the
 * .conda zip, bzip2 for .tar.bz2), all data read and dropped, nothing written. A cold build
 * must decompress its packages and compress its layers, so on a machine whose cores both work
 * on each, compressor alone + decompressor alone is a floor no layout of the install can
 * beat. Used by bench/bench_layers.sh on the archives of the very environment it builds.
 *
 *   decompress_alone THREADS ARCHIVE...
 * THREADS <= 0 = one per online CPU; the threads (common/workpool.h) take the archives in
 * the order given, each the next one free. Prints "decompressed BYTES MEMBERS" (the members' data
 * summed). Exit 0, or 1 with the error on stderr. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "pkg.h"
#include "workpool.h"

#define READ_BYTES (1024 * 1024)

typedef struct {
	char **paths;
	atomic_llong bytes, members;
} work_t;

/* workpool job: reads all data of archive i; adds to the totals. */
static int read_archive(void *ctx, size_t i, err_t *err)
{
	work_t *w = ctx;
	pkg_t *p = pkg_open(w->paths[i], err);
	char *chunk = malloc(READ_BYTES);
	const pkg_entry_t *e;
	long long bytes = 0, members = 0;
	int rc = -1;
	if (!p || !chunk) {
		if (p)
			err_set(err, "%s: out of memory", w->paths[i]);
		goto out;
	}
	while ((rc = pkg_next(p, &e, err)) == 1) {
		ssize_t n;
		members++;
		while ((n = pkg_read_data(p, chunk, READ_BYTES, err)) > 0)
			bytes += n;
		if (n < 0) {
			rc = -1;
			break;
		}
	}
	atomic_fetch_add(&w->bytes, bytes);
	atomic_fetch_add(&w->members, members);
out:
	free(chunk);
	pkg_free(p);
	return rc < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: decompress_alone THREADS ARCHIVE...\n");
		return 2;
	}
	work_t w = {.paths = argv + 2};
	err_t err = ERR_INIT;
	if (workpool_run((size_t)(argc - 2), (int)strtol(argv[1], NULL, 10), read_archive, &w,
			 &err)) {
		fprintf(stderr, "decompress_alone: %s\n", err_msg(&err));
		err_clear(&err);
		return 1;
	}
	printf("decompressed %lld %lld\n", (long long)atomic_load(&w.bytes),
	       (long long)atomic_load(&w.members));
	return 0;
}
