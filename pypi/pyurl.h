/* pyurl.h — the little URL handling the index client needs: resolving a link against the
 * page it came from (RFC 3986 §5.2, as browsers and pip do), splitting off a "#sha256=..."
 * fragment, and file:// URLs <-> local paths (percent-encoded). No network parsing beyond
 * that: the HTTP side belongs to the fetch binding. */
#ifndef IMGBUILD_PYURL_H
#define IMGBUILD_PYURL_H

#include "buf.h"

/* Sets out to ref resolved against base (an absolute URL). */
void pypi_url_join(const char *base, const char *ref, buf_t *out);
/* The scheme of url in lower case into out ("https"); 0, or -1 when url has none. */
int pypi_url_scheme(const char *url, buf_t *out);
/* url without its "#fragment" into out; the fragment (without "#", borrowed from url) or
 * NULL. */
const char *pypi_url_split_fragment(const char *url, buf_t *out);
/* The last path segment of url (no query or fragment), percent-decoded, into out. */
void pypi_url_basename(const char *url, buf_t *out);
/* "file://" + the absolute path, percent-encoded. */
void pypi_url_from_path(const char *abs_path, buf_t *out);
/* The local path of a file:// URL (empty or "localhost" host), percent-decoded; 0, or -1 when
 * url is not such a URL or decodes to a NUL. */
int pypi_url_to_path(const char *url, buf_t *out);

/* abs_path with "//", "." and ".." resolved lexically (no symlinks followed): "/a/./b/../c"
 * is "/a/c"; ".." at the root stays at the root. */
void pypi_path_clean(const char *abs_path, buf_t *out);

#endif
