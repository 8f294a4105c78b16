/* cache_records.c — a layer's package records in and out of the registry cache repository
 * (see cache_records.h). A small blob under its digest, so two builders of one key store it
 * once and a reader gets exactly the bytes the artifact names. */
#include "cache_records.h"

#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "pkgrec_list.h"

static void records_path(const char *scratch_dir, const char *hex, buf_t *out)
{
	buf_setstr(out, scratch_dir);
	buf_addpath(out, "records-");
	buf_addstr(out, hex);
	buf_addstr(out, ".json");
}

int oci_cache_records_push(reg_t *r, const char *repo, const char *data, size_t len,
			   const char *scratch_dir, err_t *err)
{
	char hex[DIGEST_HEX_MAX], digest[DIGEST_OCI_MAX];
	buf_t path = BUF_INIT;
	int rc = -1;
	digest_buf_hex(DIGEST_SHA256, data, len, hex);
	digest_oci_from_hex(hex, digest);
	records_path(scratch_dir, hex, &path);
	if (fs_write_atomic(path.data, data, len, err) ||
	    reg_blob_push(r, repo, digest, path.data, (long long)len, NULL, err))
		goto out;
	rc = 0;
out:
	if (path.len)
		unlink(path.data);
	buf_free(&path);
	return rc;
}

int oci_cache_records_fetch(reg_t *r, const char *repo, const oci_cache_layer_t *cl,
			    const char *scratch_dir, buf_t *out, err_t *err)
{
	buf_t path = BUF_INIT;
	int rc = -1;
	buf_reset(out);
	if (!cl->records_digest[0] || !digest_oci_hex(cl->records_digest))
		return 0;
	records_path(scratch_dir, digest_oci_hex(cl->records_digest), &path);
	if (reg_blob_fetch(r, repo, cl->records_digest, cl->records_size, path.data, err) ||
	    buf_read_file(out, path.data, PKGREC_LIST_MAX_BYTES, err))
		goto out;
	rc = 0;
out:
	unlink(path.data);
	buf_free(&path);
	return rc;
}
