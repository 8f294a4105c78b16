/* wheel.h — installs one wheel (the "Binary distribution format" specification) into a
 * staging directory that appears at target_prefix inside the image, in the conda prefix
 * scheme: purelib and platlib are lib/python3.X/site-packages, scripts bin/, headers
 * include/python3.X/<name>/, data the prefix itself. Without running Python:
 *  - every member must be listed in RECORD with a sha256/sha384/sha512 hash and size, which
 *    are verified while the member is written; unlisted members (but RECORD's signatures),
 *    listed members that are missing, absolute names, ".." components, symlinks and other
 *    non-regular members are refused, naming the wheel and the member;
 *  - "#!python" scripts get the image's interpreter, console_scripts and gui_scripts
 *    entry points get launchers (the /bin/sh exec trick when the shebang would pass 127
 *    bytes or holds a space, as pip/distlib and conda write it);
 *  - files keep their executable bit (0755, else 0644), directories are 0755;
 *  - the .dist-info gets INSTALLER ("imgbuild"), REQUESTED for a top-level requirement,
 *    direct_url.json (PEP 610) for a URL requirement, and a new RECORD of the installed
 *    files, sorted bytewise;
 *  - no .pyc files are written (Python writes them at first import if it may; docs/pip.md).
 * The output depends only on the wheel's bytes and the options (timestamps are set later by
 * the layer writer: docs/layer-format.md). Nothing is left under dest_dir on failure. */
#ifndef IMGBUILD_WHEEL_H
#define IMGBUILD_WHEEL_H

#include "buf.h"
#include "err.h"

/* Returns the name of the package that already installs rel_path (a path relative to the
 * prefix, "lib/python3.11/site-packages/six.py"), borrowed, or NULL when none does. */
typedef const char *(*pypi_owner_fn)(void *ud, const char *rel_path);

typedef struct pypi_wheel_opts {
	const char *target_prefix;  /* absolute prefix in the image: "/opt/conda/envs/demo" */
	const char *python_version; /* "3.11" (lib/python3.11/site-packages) */
	const char *python_exe;     /* interpreter for scripts; NULL: <target_prefix>/bin/python */
	int is_requested;           /* a top-level requirement: write REQUESTED */
	const char *direct_url;     /* the URL of a "name @ URL" requirement, or NULL */
	const char *sha256;         /* the wheel's sha256 (hex), for direct_url.json; may be NULL */
	pypi_owner_fn owned_by; /* conda packages' files: refuse to overwrite them; may be NULL */
	void *owned_by_ud;
} pypi_wheel_opts_t;

/* Installs the wheel at wheel_path, whose real file name is filename (the name and version
 * in it are checked against the .dist-info and METADATA), into dest_dir, which must not
 * exist yet: it is built in a temporary sibling and renamed at the end. 0 or -1 + err. */
int pypi_wheel_install(const pypi_wheel_opts_t *opts, const char *wheel_path, const char *filename,
		       const char *dest_dir, err_t *err);

/* The shebang line (with its "\n") for interpreter python and arguments args ("" or " -E"):
 * "#!<python><args>\n", or the /bin/sh form when that would be longer than 127 bytes or
 * python holds a space. Exposed for tests. */
void pypi_wheel_shebang(const char *python, const char *args, buf_t *out);

#endif
