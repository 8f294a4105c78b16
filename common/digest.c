/* digest.c — OpenSSL EVP wrappers (see digest.h). */
#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct digest {
	EVP_MD_CTX *ctx;
};

digest_t *digest_new(digest_kind_t kind)
{
	digest_t *d = xcalloc(1, sizeof *d);
	d->ctx = xcheck(EVP_MD_CTX_new());
	if (EVP_DigestInit_ex(d->ctx, kind == DIGEST_MD5 ? EVP_md5() : EVP_sha256(), NULL) != 1)
		xunreachable("EVP_DigestInit_ex refused SHA-256 or MD5");
	return d;
}

void digest_update(digest_t *d, const void *data, size_t len)
{
	EVP_DigestUpdate(d->ctx, data, len);
}

void digest_final_hex(digest_t *d, char hex[DIGEST_HEX_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	static const char hexdig[] = "0123456789abcdef";
	EVP_DigestFinal_ex(d->ctx, md, &n);
	for (unsigned int i = 0; i < n; i++) {
		hex[2 * i] = hexdig[md[i] >> 4];
		hex[2 * i + 1] = hexdig[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

void digest_free(digest_t *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int digest_file_hex(digest_kind_t kind, const char *path, char hex[DIGEST_HEX_MAX], err_t *err)
{
	FILE *f = fopen(path, "rb");
	unsigned char tmp[1 << 16];
	size_t n;
	int rc = -1;
	digest_t *d = NULL;
	if (!f)
		return err_set(err, "%s: cannot open: %s", path, strerror(errno));
	d = digest_new(kind);
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		digest_update(d, tmp, n);
	if (ferror(f)) {
		err_set(err, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	digest_final_hex(d, hex);
	rc = 0;
out:
	digest_free(d);
	fclose(f);
	return rc;
}

void digest_buf_hex(digest_kind_t kind, const void *data, size_t len, char hex[DIGEST_HEX_MAX])
{
	digest_t *d = digest_new(kind);
	digest_update(d, data, len);
	digest_final_hex(d, hex);
	digest_free(d);
}

int digest_is_hex(const char *s, size_t n_digits)
{
	size_t n = 0;
	if (!s)
		return 0;
	for (; s[n]; n++)
		if (!strchr("0123456789abcdefABCDEF", s[n]))
			return 0;
	return n == n_digits;
}

const char *digest_oci_hex(const char *digest)
{
	static const size_t prefix_len = sizeof DIGEST_OCI_PREFIX - 1;
	if (!digest || strncmp(digest, DIGEST_OCI_PREFIX, prefix_len) != 0)
		return NULL;
	const char *hex = digest + prefix_len;
	for (const char *p = hex; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return NULL;
	return strlen(hex) == 64 ? hex : NULL;
}

void digest_oci_from_hex(const char *hex, char out[DIGEST_OCI_MAX])
{
	snprintf(out, DIGEST_OCI_MAX, DIGEST_OCI_PREFIX "%.64s", hex);
}
