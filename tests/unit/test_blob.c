/* test_blob.c — blob_writer (layers/blob.c + chunkgz.c): the compressed bytes do not depend
 * on the thread count or on how the stream is split into writes (gzip and zstd); chunked gzip
 * is a series of complete members that plain zlib gunzips back to the exact input; sizes stay
 * close to zlib -6; bad levels and abandoned writers leave nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "blob.h"
#include "buf.h"
#include "chunkgz.h"
#include "digest.h"
#include "fsutil.h"
#include "progress.h"

/* A bit over 5 chunks: a partial last chunk and several in flight at once. */
#define INPUT_BYTES (5 * CHUNKGZ_CHUNK_BYTES + 12345)

typedef struct fixture {
	buf_t dir;
	unsigned char *input;
} fixture_t;

typedef struct result {
	char digest[DIGEST_HEX_MAX];
	char diff_id[DIGEST_HEX_MAX];
	long long size;
} result_t;

/* Compressible but not trivial: words from a small vocabulary with pseudo-random numbers,
 * and a stretch of incompressible bytes, from a fixed-seed generator. */
static unsigned char *make_input(void)
{
	static const char *const words[] = {"import ",
					    "numpy",
					    " as np\n",
					    "def ",
					    "return ",
					    "self.",
					    "tensor",
					    "(x, y)",
					    "\x7f"
					    "ELF",
					    "\0\0\0\0",
					    "cuda",
					    "_kernel",
					    "0x",
					    "libtorch",
					    "    ",
					    "\n"};
	unsigned char *p = malloc(INPUT_BYTES);
	uint64_t s = 0x9e3779b97f4a7c15ull;
	size_t i = 0;
	while (i < INPUT_BYTES) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		int random_stretch = (i / 65536) % 7 == 3; /* already-compressed data */
		const char *w = words[s % (sizeof words / sizeof words[0])];
		size_t n = random_stretch ? 8 : (w[0] ? strlen(w) : 4);
		for (size_t k = 0; k < n && i < INPUT_BYTES; k++, i++)
			p[i] = random_stretch ? (unsigned char)(s >> (8 * k)) : (unsigned char)w[k];
	}
	return p;
}

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof *f);
	err_t err = ERR_INIT;
	if (fs_mkdtemp("/tmp", "test_blob.", &f->dir, &err))
		return -1;
	f->input = make_input();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	fs_rm_rf(f->dir.data, &err);
	buf_free(&f->dir);
	free(f->input);
	free(f);
	return 0;
}

/* Writes the input in pieces of write_bytes (the last one shorter). */
static result_t compress_input(fixture_t *f, layer_compression_t c, int level, int threads,
			       size_t write_bytes)
{
	result_t r;
	err_t err = ERR_INIT;
	blob_writer_t *w = blob_writer_new(f->dir.data, c, level, threads, &err);
	if (!w)
		fail_msg("blob_writer_new: %s", err_msg(&err));
	for (size_t off = 0; off < INPUT_BYTES; off += write_bytes) {
		size_t n = INPUT_BYTES - off < write_bytes ? INPUT_BYTES - off : write_bytes;
		if (blob_writer_write(w, f->input + off, n, &err))
			fail_msg("blob_writer_write: %s", err_msg(&err));
	}
	if (blob_writer_finish(w, r.digest, r.diff_id, &r.size, &err))
		fail_msg("blob_writer_finish: %s", err_msg(&err));
	blob_writer_free(w);
	return r;
}

static void read_blob(fixture_t *f, const char *hex, buf_t *out)
{
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addstr(&p, f->dir.data);
	buf_addpath(&p, hex);
	assert_int_equal(buf_read_file(out, p.data, 64 << 20, &err), 0);
	buf_free(&p);
}

static void assert_same(const result_t *a, const result_t *b)
{
	assert_string_equal(a->digest, b->digest);
	assert_string_equal(a->diff_id, b->diff_id);
	assert_int_equal(a->size, b->size);
}

static void test_gzip_bytes_do_not_depend_on_threads_or_write_sizes(void **state)
{
	fixture_t *f = *state;
	result_t one = compress_input(f, LAYER_GZIP, 0, 1, INPUT_BYTES);
	result_t two = compress_input(f, LAYER_GZIP, 0, 2, 10240);
	result_t four = compress_input(f, LAYER_GZIP, 0, 4, 7777);
	assert_same(&one, &two);
	assert_same(&one, &four);
}

static void test_zstd_bytes_do_not_depend_on_threads_or_write_sizes(void **state)
{
	fixture_t *f = *state;
	result_t one = compress_input(f, LAYER_ZSTD, 0, 1, INPUT_BYTES);
	result_t two = compress_input(f, LAYER_ZSTD, 0, 2, 10240);
	result_t three = compress_input(f, LAYER_ZSTD, 0, 3, 7777);
	assert_same(&one, &two);
	assert_same(&one, &three);
}

/* zlib's inflate with gzip decoding stops at the end of a member; a multi-member reader
 * (gunzip, Go) starts over at the next one. Returns the member count. */
static int gunzip_all(const buf_t *gz, buf_t *out)
{
	z_stream zs;
	unsigned char tmp[65536];
	int members = 0;
	memset(&zs, 0, sizeof zs);
	assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (Bytef *)gz->data;
	zs.avail_in = (uInt)gz->len;
	while (zs.avail_in > 0) {
		zs.next_out = tmp;
		zs.avail_out = sizeof tmp;
		int zr = inflate(&zs, Z_NO_FLUSH);
		assert_true(zr == Z_OK || zr == Z_STREAM_END);
		buf_add(out, tmp, sizeof tmp - zs.avail_out);
		if (zr == Z_STREAM_END) {
			members++;
			assert_int_equal(inflateReset(&zs), Z_OK);
		}
	}
	inflateEnd(&zs);
	return members;
}

static void test_chunked_gzip_is_members_that_gunzip_to_the_exact_input(void **state)
{
	fixture_t *f = *state;
	result_t r = compress_input(f, LAYER_GZIP, 0, 2, 65536);
	buf_t gz = BUF_INIT, plain = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	read_blob(f, r.digest, &gz);
	assert_int_equal((long long)gz.len, r.size);
	digest_buf_hex(DIGEST_SHA256, gz.data, gz.len, hex);
	assert_string_equal(hex, r.digest);
	assert_int_equal(gunzip_all(&gz, &plain), 6); /* ceil(INPUT_BYTES / 1 MiB) members */
	assert_int_equal(plain.len, INPUT_BYTES);
	assert_memory_equal(plain.data, f->input, INPUT_BYTES);
	digest_buf_hex(DIGEST_SHA256, f->input, INPUT_BYTES, hex);
	assert_string_equal(hex, r.diff_id);
	/* every member carries the same fixed header */
	static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
	assert_memory_equal(gz.data, hdr, sizeof hdr);
	buf_free(&gz);
	buf_free(&plain);
}

/* Chunking into independent 1 MiB members must cost little at equal level. (The default
 * level's size against pigz -6 is measured on realistic data by bench/bench_layers.sh.) */
static void test_chunked_gzip_is_at_most_5_percent_larger_than_zlib_6(void **state)
{
	fixture_t *f = *state;
	result_t r = compress_input(f, LAYER_GZIP, 6, 2, 1 << 20);
	uLongf zlen = compressBound(INPUT_BYTES);
	unsigned char *z = malloc(zlen);
	assert_int_equal(compress2(z, &zlen, f->input, INPUT_BYTES, 6), Z_OK);
	assert_true(r.size * 100 <= (long long)zlen * 105);
	free(z);
}

static void test_empty_stream_is_one_valid_gzip_member(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	result_t r;
	blob_writer_t *w = blob_writer_new(f->dir.data, LAYER_GZIP, 0, 2, &err);
	assert_non_null(w);
	assert_int_equal(blob_writer_finish(w, r.digest, r.diff_id, &r.size, &err), 0);
	blob_writer_free(w);
	buf_t gz = BUF_INIT, plain = BUF_INIT;
	read_blob(f, r.digest, &gz);
	assert_int_equal(gunzip_all(&gz, &plain), 1);
	assert_int_equal(plain.len, 0);
	buf_free(&gz);
	buf_free(&plain);
}

static void test_zstd_layer_is_one_frame_that_decompresses_to_the_input(void **state)
{
	fixture_t *f = *state;
	result_t r = compress_input(f, LAYER_ZSTD, 0, 2, 10240);
	buf_t z = BUF_INIT;
	read_blob(f, r.digest, &z);
	assert_int_equal(ZSTD_findFrameCompressedSize(z.data, z.len), z.len);
	unsigned char *plain = malloc(INPUT_BYTES + 1);
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	ZSTD_inBuffer in = {z.data, z.len, 0};
	ZSTD_outBuffer o = {plain, INPUT_BYTES + 1, 0};
	while (in.pos < in.size)
		assert_false(ZSTD_isError(ZSTD_decompressStream(dc, &o, &in)));
	assert_int_equal(o.pos, INPUT_BYTES);
	assert_memory_equal(plain, f->input, INPUT_BYTES);
	ZSTD_freeDCtx(dc);
	free(plain);
	buf_free(&z);
}

static void test_gzip_level_out_of_range_is_rejected(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	assert_null(blob_writer_new(f->dir.data, LAYER_GZIP, 13, 2, &err));
	assert_non_null(strstr(err_msg(&err), "gzip level 13 out of range 1..12"));
	err_clear(&err);
}

static void test_abandoned_writer_leaves_no_files(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	blob_writer_t *w = blob_writer_new(f->dir.data, LAYER_GZIP, 0, 2, &err);
	assert_non_null(w);
	/* several chunks queued on the workers, then dropped */
	assert_int_equal(blob_writer_write(w, f->input, INPUT_BYTES, &err), 0);
	blob_writer_free(w);
	DIR *d = opendir(f->dir.data);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	assert_int_equal(n, 0);
}

/* "compress" progress: START, BYTES every few MiB with bytes in growing and bytes out
 * following, END with in == total and out == the blob's size; a writer freed before finish
 * ends its item as failed. */
typedef struct compress_events {
	int n_start, n_bytes, n_end;
	long long last_in, last_out;
	const char *end_status;
	long long end_in, end_total, end_out;
} compress_events_t;

static void on_compress(void *ud, const progress_event_t *ev)
{
	compress_events_t *c = ud;
	assert_string_equal(ev->step, "compress");
	assert_string_equal(ev->item, "python");
	if (ev->kind == PROGRESS_START) {
		c->n_start++;
	} else if (ev->kind == PROGRESS_BYTES) {
		assert_true(ev->done > c->last_in);
		assert_true(ev->out >= c->last_out);
		c->n_bytes++;
		c->last_in = ev->done;
		c->last_out = ev->out;
	} else {
		c->n_end++;
		c->end_status = ev->status;
		c->end_in = ev->done;
		c->end_total = ev->total;
		c->end_out = ev->out;
	}
}

static void test_compression_progress_reports_bytes_in_and_out(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	compress_events_t c = {0};
	progress_sink_t sink = {on_compress, &c};
	char digest[DIGEST_HEX_MAX], diff_id[DIGEST_HEX_MAX];
	long long size = 0;
	blob_writer_t *w = blob_writer_new(f->dir.data, LAYER_GZIP, 0, 1, &err);
	assert_non_null(w);
	blob_writer_set_progress(w, &sink, "python");
	for (int i = 0; i < 3; i++) /* 3 x 5 MiB: BYTES at 5, 10 and 15 MiB */
		assert_int_equal(blob_writer_write(w, f->input, INPUT_BYTES, &err), 0);
	assert_int_equal(blob_writer_finish(w, digest, diff_id, &size, &err), 0);
	blob_writer_free(w);
	assert_int_equal(c.n_start, 1);
	assert_int_equal(c.n_bytes, 3);
	assert_int_equal(c.last_in, 3LL * INPUT_BYTES);
	assert_true(c.last_out > 0 && c.last_out < c.last_in);
	assert_int_equal(c.n_end, 1);
	assert_string_equal(c.end_status, "done");
	assert_int_equal(c.end_in, 3LL * INPUT_BYTES);
	assert_int_equal(c.end_total, 3LL * INPUT_BYTES);
	assert_int_equal(c.end_out, size);

	compress_events_t a = {0};
	sink.ud = &a;
	w = blob_writer_new(f->dir.data, LAYER_ZSTD, 0, 1, &err);
	assert_non_null(w);
	blob_writer_set_progress(w, &sink, "python");
	assert_int_equal(blob_writer_write(w, f->input, 1000, &err), 0);
	blob_writer_free(w);
	assert_int_equal(a.n_end, 1);
	assert_string_equal(a.end_status, "failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_gzip_bytes_do_not_depend_on_threads_or_write_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_zstd_bytes_do_not_depend_on_threads_or_write_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_chunked_gzip_is_members_that_gunzip_to_the_exact_input, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_chunked_gzip_is_at_most_5_percent_larger_than_zlib_6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_stream_is_one_valid_gzip_member, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_zstd_layer_is_one_frame_that_decompresses_to_the_input, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_gzip_level_out_of_range_is_rejected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_abandoned_writer_leaves_no_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compression_progress_reports_bytes_in_and_out,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
