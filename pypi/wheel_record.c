/* wheel_record.c — a wheel's RECORD (see wheel_int.h): CSV as Python's csv module writes it
 * (fields quoted with '"' when needed, '""' inside quotes), one row per file:
 * path,algorithm=urlsafe-base64-digest,size. Hashes are computed with OpenSSL EVP. */
#include "wheel_int.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define RECORD_MAX_ROWS 200000

struct wheel_hash {
	EVP_MD_CTX *ctx;
};

wheel_hash_t *wheel_hash_new(const char *algo)
{
	const EVP_MD *md = !strcmp(algo, "sha256")   ? EVP_sha256()
			   : !strcmp(algo, "sha384") ? EVP_sha384()
			   : !strcmp(algo, "sha512") ? EVP_sha512()
						     : NULL;
	wheel_hash_t *h;
	if (!md)
		return NULL;
	h = xcalloc(1, sizeof *h);
	h->ctx = xcheck(EVP_MD_CTX_new());
	if (EVP_DigestInit_ex(h->ctx, md, NULL) != 1) /* a digest OpenSSL just named */
		xunreachable("EVP_DigestInit_ex refused a built-in digest");
	return h;
}

void wheel_hash_update(wheel_hash_t *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void wheel_hash_final(wheel_hash_t *h, buf_t *out)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[(EVP_MAX_MD_SIZE + 2) / 3 * 4 + 1];
	unsigned n = 0;
	EVP_DigestFinal_ex(h->ctx, md, &n);
	EVP_MD_CTX_free(h->ctx);
	free(h);
	int len = EVP_EncodeBlock(b64, md, (int)n);
	buf_reset(out);
	for (int i = 0; i < len && b64[i] != '='; i++)
		buf_addch(out, b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i]);
}

/* Reads one CSV field at *p (up to ',' or the end of the line); 0, or -1 on a bad quote. */
static int read_field(const char **p, const char *end, buf_t *out)
{
	buf_reset(out);
	if (*p < end && **p == '"') {
		for ((*p)++;; (*p)++) {
			if (*p >= end)
				return -1;
			if (**p == '"') {
				if (*p + 1 < end && (*p)[1] == '"') {
					buf_addch(out, '"');
					(*p)++;
					continue;
				}
				(*p)++;
				break;
			}
			buf_addch(out, **p);
		}
		return *p == end || **p == ',' || **p == '\n' || **p == '\r' ? 0 : -1;
	}
	while (*p < end && **p != ',' && **p != '\n' && **p != '\r')
		buf_addch(out, *(*p)++);
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	return strcmp(((const wheel_record_row_t *)a)->path, ((const wheel_record_row_t *)b)->path);
}

/* Fills row from its three fields. */
static int set_row(wheel_record_row_t *row, buf_t *f, const char *wheel, err_t *err)
{
	char *eq = strchr(f[1].data ? f[1].data : "", '=');
	char *end;
	row->path = xstrdup(buf_cstr(&f[0]));
	row->size = -1;
	if (f[1].len) {
		if (!eq || eq == f[1].data || !eq[1])
			return err_set(err, "wheel %s: RECORD row '%s' has a malformed hash '%s'",
				       wheel, row->path, f[1].data);
		row->algo = xstrndup(f[1].data, (size_t)(eq - f[1].data));
		row->hash = xstrdup(eq + 1);
		if (strcmp(row->algo, "sha256") && strcmp(row->algo, "sha384") &&
		    strcmp(row->algo, "sha512"))
			return err_set(err,
				       "wheel %s: RECORD row '%s' uses hash %s (sha256 or stronger "
				       "needed)",
				       wheel, row->path, row->algo);
	}
	if (f[2].len) {
		row->size = strtoll(f[2].data, &end, 10);
		if (*end || row->size < 0)
			return err_set(err, "wheel %s: RECORD row '%s' has a bad size '%s'", wheel,
				       row->path, f[2].data);
	}
	if (row->algo && row->size < 0)
		return err_set(err, "wheel %s: RECORD row '%s' has a hash but no size", wheel,
			       row->path);
	return 0;
}

static int parse_rows(const char *text, size_t len, const char *wheel, wheel_record_t *out,
		      err_t *err)
{
	const char *p = text, *end = text + len;
	buf_t f[3] = {BUF_INIT, BUF_INIT, BUF_INIT};
	int r = 0;
	while (p < end && r == 0) {
		int k = 0;
		if (*p == '\n' || *p == '\r') {
			p++;
			continue;
		}
		for (; k < 3; k++) {
			if (read_field(&p, end, &f[k]) < 0)
				break;
			if (p < end && *p == ',' && k < 2)
				p++;
			else if (k < 2)
				break;
		}
		if (k != 3 || (p < end && *p != '\n' && *p != '\r') || f[0].len == 0) {
			r = err_set(err, "wheel %s: RECORD row %zu is not path,hash,size", wheel,
				    out->n + 1);
			break;
		}
		if (out->n == RECORD_MAX_ROWS) {
			r = err_set(err, "wheel %s: RECORD has more than %d rows", wheel,
				    RECORD_MAX_ROWS);
			break;
		}
		out->rows = xrealloc(out->rows, (out->n + 1) * sizeof *out->rows);
		memset(&out->rows[out->n], 0, sizeof out->rows[0]);
		r = set_row(&out->rows[out->n++], f, wheel, err);
	}
	for (int k = 0; k < 3; k++)
		buf_free(&f[k]);
	return r;
}

int wheel_record_parse(const char *text, size_t len, const char *wheel, wheel_record_t *out,
		       err_t *err)
{
	out->rows = NULL;
	out->n = 0;
	if (parse_rows(text, len, wheel, out, err) < 0)
		return -1;
	if (out->n > 1)
		qsort(out->rows, out->n, sizeof *out->rows, cmp_row);
	for (size_t i = 1; i < out->n; i++)
		if (!strcmp(out->rows[i - 1].path, out->rows[i].path))
			return err_set(err, "wheel %s: RECORD lists '%s' twice", wheel,
				       out->rows[i].path);
	return 0;
}

wheel_record_row_t *wheel_record_find(const wheel_record_t *r, const char *path)
{
	wheel_record_row_t key = {0};
	key.path = (char *)path;
	return r->n ? bsearch(&key, r->rows, r->n, sizeof *r->rows, cmp_row) : NULL;
}

void wheel_record_free(wheel_record_t *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->rows[i].path);
		free(r->rows[i].algo);
		free(r->rows[i].hash);
	}
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}

void wheel_csv_add_field(buf_t *b, const char *field)
{
	if (!strpbrk(field, ",\"\r\n")) {
		buf_addstr(b, field);
		return;
	}
	buf_addch(b, '"');
	for (const char *p = field; *p; p++) {
		if (*p == '"')
			buf_addch(b, '"');
		buf_addch(b, *p);
	}
	buf_addch(b, '"');
}
