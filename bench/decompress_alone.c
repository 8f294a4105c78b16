/* decompress_alone.c — the other half of a cold layer build's floor: reading every member of
 * the package archives through imgbuild's own reader (pkg/pkg.c: libarchive, zstd inside the
 * .conda zip, bzip2 for .tar.bz2), all data read and dropped, nothing written. A cold build
 * must decompress its packages and compress its layers, so on a machine whose cores both work
 * on each, compressor alone + decompressor alone is a floor no layout of the install can
 * beat. Used by bench/bench_layers.sh on the archives of the very environment it builds.
 *
 *   decompress_alone THREADS ARCHIVE...
 * THREADS <= 0 = one per online CPU; the threads take the archives in the order given, each
 * the next one free. Prints "decompressed BYTES MEMBERS" (the members' data summed). Exit 0,
 * or 1 with the error on stderr. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkg.h"

#define READ_BYTES (1024 * 1024)

typedef struct {
	char **paths;
	int n_paths;
	atomic_int next;
	atomic_llong bytes, members;
	atomic_int failed;
	pthread_mutex_t lock;
	err_t err; /* the first failure, under lock */
} work_t;

/* Reads all data of one archive; adds to the totals. */
static int read_archive(work_t *w, const char *path, char *chunk, err_t *err)
{
	pkg_t *p = pkg_open(path, err);
	const pkg_entry_t *e;
	long long bytes = 0, members = 0;
	int rc;
	if (!p)
		return -1;
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
	pkg_free(p);
	atomic_fetch_add(&w->bytes, bytes);
	atomic_fetch_add(&w->members, members);
	return rc < 0 ? -1 : 0;
}

static void *worker(void *arg)
{
	work_t *w = arg;
	char *chunk = malloc(READ_BYTES);
	err_t err = ERR_INIT;
	int i;
	while (chunk && !atomic_load(&w->failed) &&
	       (i = atomic_fetch_add(&w->next, 1)) < w->n_paths) {
		if (read_archive(w, w->paths[i], chunk, &err) == 0)
			continue;
		pthread_mutex_lock(&w->lock);
		if (!atomic_exchange(&w->failed, 1))
			err_set(&w->err, "%s", err_msg(&err));
		pthread_mutex_unlock(&w->lock);
		err_clear(&err);
	}
	if (!chunk)
		atomic_store(&w->failed, 1);
	free(chunk);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: decompress_alone THREADS ARCHIVE...\n");
		return 2;
	}
	int threads = (int)strtol(argv[1], NULL, 10);
	if (threads <= 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads <= 0)
		threads = 1;
	work_t w = {.paths = argv + 2, .n_paths = argc - 2, .err = ERR_INIT};
	pthread_mutex_init(&w.lock, NULL);
	pthread_t *tid = calloc((size_t)threads, sizeof *tid);
	int started = 0;
	for (; tid && started < threads; started++)
		if (pthread_create(&tid[started], NULL, worker, &w) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	free(tid);
	if (!started || atomic_load(&w.failed)) {
		fprintf(stderr, "decompress_alone: %s\n",
			started ? err_msg(&w.err) : "cannot start a thread");
		return 1;
	}
	printf("decompressed %lld %lld\n", (long long)atomic_load(&w.bytes),
	       (long long)atomic_load(&w.members));
	return 0;
}
