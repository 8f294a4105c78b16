/* install_int.h — state shared by the files of the install module (install.c installs into a
 * directory, install_stream.c into an entry sink; install_extract.c unpacks safely,
 * install_meta.c reads info/, install_entry.c writes noarch entry points, install_condameta.c
 * writes conda-meta). Not a public header. */
#ifndef IMGBUILD_INSTALL_INT_H
#define IMGBUILD_INSTALL_INT_H

#include <jansson.h>
#include <sys/stat.h>

#include "digest.h"
#include "install.h"
#include "pkg.h"
#include "entrysink.h"

/* Metadata files are small; a cap keeps a hostile paths.json from exhausting memory. */
#define INSTALL_MAX_META_BYTES (64u << 20)
/* conda's default placeholder, used by old info/has_prefix lines that give only a path. */
#define INSTALL_DEFAULT_PLACEHOLDER "/opt/anaconda1anaconda2anaconda3"

typedef struct inst_path {
	char *path;           /* as listed by the package (normalised) */
	char *path_type;      /* "hardlink", "softlink", "directory" or NULL (old format) */
	char *placeholder;    /* NULL when none */
	int is_binary;        /* placeholder file_mode == "binary" */
	char *sha256;         /* from paths.json, or NULL */
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
	int ex_fd;               /* install_package: tmp/extract */
	int px_fd;               /* install_package: tmp/prefix */
	long long max_bytes;     /* extraction + rewriting cap (install_max_extracted_bytes) */
	long long written_bytes; /* file bytes extracted (or streamed) and rewritten */
	json_t *index;
	json_t *link;
	int is_noarch_python;
	inst_path_t *paths;
	size_t n_paths;
	inst_rec_t *recs;
	size_t n_recs;
	const char *listing; /* "info/paths.json" or "info/files", for messages */
	/* install_stream: where the files go (no directory is written), and the info/ files
	 * read before the payload (install_stream.c) */
	const entry_sink_t *sink;
	struct inst_meta *meta;
	size_t n_meta;
} inst_t;

/* install.c's pieces that install_stream.c shares. */
int inst_python_version_is_valid(const char *v);
void inst_installed_path(const inst_t *in, const char *path, buf_t *out);
void inst_release(inst_t *in);
int inst_check_record_names(const pkgrec_t *rec, err_t *err);
/* The checks before anything is read (prefix, record names); sets the byte cap. */
int inst_check_inputs(inst_t *in, const char *archive_path, err_t *err);
char *inst_dist_from_archive(const char *archive_path);
/* install_stream: info/<rel> as read from the archive into b; 1, or 0 when absent. */
int inst_meta_get(const inst_t *in, const char *rel, buf_t *b);
void inst_meta_free(inst_t *in);

/* Streaming placeholder replacement (install_placeholder.c); the sink gets the output. */
typedef int (*ph_sink_fn)(void *ud, const char *data, size_t len, err_t *err);
typedef struct ph_stream {
	const char *ph, *np;
	size_t ph_len, np_len;
	int is_binary;
	int is_in_string; /* binary: inside a C string that had a placeholder */
	size_t deficit;   /* binary: NULs owed at that string's end */
	buf_t carry;      /* unscanned tail: fewer than ph_len bytes between pushes */
	ph_sink_fn sink;
	void *ud;
} ph_stream_t;
void ph_stream_init(ph_stream_t *s, const char *placeholder, const char *new_prefix, int is_binary,
		    ph_sink_fn sink, void *ud);
int ph_stream_push(ph_stream_t *s, const char *data, size_t len, err_t *err);
int ph_stream_finish(ph_stream_t *s, err_t *err);
void ph_stream_free(ph_stream_t *s);
/* Reads up to len bytes of a file's data: the count, 0 at its end, or -1 with err set naming
 * the package and file. */
typedef ssize_t (*inst_read_fn)(void *ud, char *buf, size_t len, err_t *err);
/* Streams a file read through `read` into `out` via the placeholder rewrite of p (none when
 * p->placeholder is NULL: the bytes go out as they are), in bounded memory (issue 10 #9); the
 * original bytes' SHA-256 goes to din when not NULL. *is_sink_error (the sink's own flag)
 * says an error came from `out`, already naming the package; others get "package D file F". */
int inst_pump(inst_t *in, const inst_path_t *p, inst_read_fn read, void *rud, ph_sink_fn out,
	      void *oud, const int *is_sink_error, digest_t *din, err_t *err);

/* Reads dfd/name (not following a symlink) into b, up to max_bytes. 1 read, 0 absent, -1
 * error (errno; EFBIG when larger). */
int inst_read_file_at(int dfd, const char *name, size_t max_bytes, buf_t *b);
/* Counts n more bytes written for the package; -1 naming file when that passes the cap. */
int inst_charge(inst_t *in, const char *file, long long n, err_t *err);

int inst_open_parent(int root, const char *rel, int create, const char **base, const char **why);
int inst_refuse(inst_t *in, err_t *err, const char *member, const char *why);
unsigned inst_normal_file_mode(unsigned mode);
int inst_extract_dir(inst_t *in, int pfd, const char *base, const char *name, err_t *err);
int inst_extract_all(inst_t *in, const char *archive_path, err_t *err);
int inst_load_metadata(inst_t *in, err_t *err);
json_t *inst_add_rec(inst_t *in, const char *path);
int inst_write_new_file(inst_t *in, const char *dst_rel, const char *data, size_t len,
			unsigned mode, err_t *err);
int inst_write_entry_points(inst_t *in, err_t *err);
int inst_write_conda_meta(inst_t *in, err_t *err);

#endif
