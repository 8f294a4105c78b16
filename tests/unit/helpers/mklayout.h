/* mklayout.h — test helper: writes OCI image layouts by hand (blobs, index.json, oci-layout),
 * so tests can build exactly the odd or broken layout they need, independently of the code
 * under test (oci/layout.c never writes these). */
#ifndef IMGBUILD_TEST_MKLAYOUT_H
#define IMGBUILD_TEST_MKLAYOUT_H

#include <stddef.h>

/* Stores data as layout/blobs/sha256/<hex> (directories created); returns "sha256:<hex>"
 * (caller frees). Aborts the test on failure. */
char *mklayout_blob(const char *layout, const void *data, size_t len);
/* The same for a NUL-terminated string. */
char *mklayout_text_blob(const char *layout, const char *text);
/* Writes layout/oci-layout and layout/index.json (index_json as given; layout created). */
void mklayout_index(const char *layout, const char *index_json);

#endif
