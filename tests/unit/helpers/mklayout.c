/* mklayout.c — see mklayout.h. Plain files and the digest helper only. */
#include "mklayout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "fsutil.h"

static void must(int rc, const char *what, err_t *err)
{
	if (rc == 0)
		return;
	fprintf(stderr, "mklayout: %s: %s\n", what, err_msg(err));
	abort();
}

char *mklayout_blob(const char *layout, const void *data, size_t len)
{
	char hex[DIGEST_HEX_MAX];
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&p, "%s/blobs/sha256", layout);
	must(fs_mkdir_p(p.data, &err), p.data, &err);
	digest_buf_hex(DIGEST_SHA256, data, len, hex);
	buf_addpath(&p, hex);
	must(fs_write_atomic(p.data, data, len, &err), p.data, &err);
	buf_reset(&p);
	buf_addf(&p, "sha256:%s", hex);
	return buf_detach(&p);
}

char *mklayout_text_blob(const char *layout, const char *text)
{
	return mklayout_blob(layout, text, strlen(text));
}

void mklayout_index(const char *layout, const char *index_json)
{
	static const char version[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	must(fs_mkdir_p(layout, &err), layout, &err);
	buf_addf(&p, "%s/oci-layout", layout);
	must(fs_write_atomic(p.data, version, sizeof version - 1, &err), p.data, &err);
	buf_reset(&p);
	buf_addf(&p, "%s/index.json", layout);
	must(fs_write_atomic(p.data, index_json, strlen(index_json), &err), p.data, &err);
	buf_free(&p);
}
