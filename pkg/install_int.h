/* install_int.h — state shared by the files of the install module (install.c drives;
 * install_extract.c unpacks safely, install_meta.c reads info/, install_entry.c writes
 * noarch entry points, install_condameta.c writes conda-meta). Not a public header. */
#ifndef IMGBUILD_INSTALL_INT_H
#define IMGBUILD_INSTALL_INT_H

#include <jansson.h>

#include "install.h"
#include "pkg.h"

/* Metadata files are small; a cap keeps a hostile paths.json from exhausting memory. */
#define INSTALL_MAX_META_BYTES (64u << 20)
/* Files with a prefix placeholder are rewritten in memory (streaming is a later issue). */
#define INSTALL_MAX_PLACEHOLDER_FILE_BYTES (1u << 30)
/* conda's default placeholder, used by old info/has_prefix lines that give only a path. */
#define INSTALL_DEFAULT_PLACEHOLDER "/opt/anaconda1anaconda2anaconda3"

typedef struct inst_path {
	char *path;        /* as listed by the package (normalised) */
	char *path_type;   /* "hardlink", "softlink", "directory" or NULL (old format) */
	char *placeholder; /* NULL when none */
	int is_binary;     /* placeholder file_mode == "binary" */
	char *sha256;      /* from paths.json, or NULL */
	long long size_bytes; /* from paths.json, -1 when unknown */
} inst_path_t;

typedef struct inst_rec {
	char *path;  /* installed relative path */
	json_t *obj; /* its paths_data entry */
} inst_rec_t;

typedef struct inst {
	const install_opts_t *opts;
	const pkgrec_t *rec;
	char *dist;
	int ex_fd; /* tmp/extract, or the package's directory in the extract cache */
	int is_shared_extract; /* ex_fd is in the extract cache: link members, never move them */
	char *shared_extract_dir; /* its path, for messages */
	int px_fd; /* tmp/prefix */
	json_t *index;
	json_t *link;
	int is_noarch_python;
	inst_path_t *paths;
	size_t n_paths;
	inst_rec_t *recs;
	size_t n_recs;
	const char *listing; /* "info/paths.json" or "info/files", for messages */
} inst_t;

int inst_open_parent(int root, const char *rel, int create, const char **base, const char **why);
int inst_refuse(inst_t *in, err_t *err, const char *member, const char *why);
unsigned inst_normal_file_mode(unsigned mode);
int inst_extract_dir(inst_t *in, int pfd, const char *base, const char *name, err_t *err);
int inst_extract_all(inst_t *in, const char *archive_path, err_t *err);
int inst_load_metadata(inst_t *in, err_t *err);
json_t *inst_add_rec(inst_t *in, const char *path);
int inst_write_new_file(inst_t *in, const char *dst_rel, const char *data, size_t len, unsigned mode, err_t *err);
int inst_write_entry_points(inst_t *in, err_t *err);
int inst_write_conda_meta(inst_t *in, err_t *err);

#endif
