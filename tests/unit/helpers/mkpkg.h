/* mkpkg.h — test helper: writes small, real conda package archives with libarchive, in both
 * formats (.tar.bz2, and .conda = stored zip of metadata.json + info/pkg .tar.zst), so tests
 * can build exactly the hostile or odd package they need. Members whose name starts with
 * "info/" go to the info tar of a .conda, everything else to the pkg tar. */
#ifndef IMGBUILD_TEST_MKPKG_H
#define IMGBUILD_TEST_MKPKG_H

#include <stddef.h>

typedef enum {
	MKPKG_FILE, /* data = contents */
	MKPKG_DIR,
	MKPKG_SYMLINK,  /* data = target */
	MKPKG_HARDLINK, /* data = target member name */
	MKPKG_CHARDEV,
	MKPKG_FIFO,
} mkpkg_type_t;

typedef struct mkpkg_member {
	const char *name;
	mkpkg_type_t type;
	const char *data;
	unsigned mode; /* 0 means 0644 (0755 for directories) */
} mkpkg_member_t;

/* Writes a .tar.bz2 at path. 0 or -1 (message on stderr: test helper). */
int mkpkg_write_tar_bz2(const char *path, const mkpkg_member_t *m, size_t n);
/* Writes a .conda at path; dist names the inner tars; zip_folder, when not NULL, nests the
 * zip members under that folder (as a real re-zipped package does). dist NULL writes a
 * zip holding only metadata.json (a broken .conda). */
int mkpkg_write_conda(const char *path, const char *dist, const char *zip_folder,
		      const mkpkg_member_t *m, size_t n);

#endif
