/* install.h — installs one conda package archive (.conda or .tar.bz2, read with libarchive)
 * into a staging directory that appears at `target_prefix` inside the image:
 * info/paths.json (or old info/files + info/has_prefix), text and binary prefix-placeholder
 * replacement, noarch: python relocation (site-packages, python-scripts/, entry points),
 * symlinks, hardlinks, modes, and conda-meta/<dist>.json. Hostile archives (absolute names,
 * "..", symlinks leaving the prefix, devices, fifos) are refused with an error naming the
 * package and member; nothing is left under dest_dir's final name on failure. */
#ifndef IMGBUILD_INSTALL_H
#define IMGBUILD_INSTALL_H

#include "buf.h"
#include "entrysink.h"
#include "err.h"
#include "log.h"
#include "pkgrec.h"

typedef struct install_opts {
	const char *target_prefix;  /* absolute path in the image, e.g. "/opt/conda/envs/demo" */
	const char *python_version; /* "major.minor" of the solved python, NULL when none */
	/* Cap on the bytes one package may write (its files as extracted plus the files
	 * rewritten for a prefix placeholder); 0 = install_max_extracted_bytes(). */
	long long max_extracted_bytes;
	/* Counted once per package installed (an "install" count of packages, common/progress.h),
	 * or NULL. Borrowed. */
	struct progress_counter *progress;
	/* install_stream: where a text file with a placeholder larger than
	 * INSTALL_SPOOL_MEM_BYTES is rewritten (an unnamed temporary file); NULL = $TMPDIR or
	 * /tmp. */
	const char *spool_dir;
} install_opts_t;

/* Decompression bombs (issue 10 #9): a package may write at most INSTALL_EXPANSION_RATIO
 * times its archive's size (repodata `size`, else the file's), but never less than
 * INSTALL_MIN_EXTRACT_BYTES (small packages of highly compressible text stay well inside)
 * and never more than INSTALL_MAX_EXTRACT_BYTES (the largest real packages, CUDA and
 * framework builds, install a few GiB). Real packages stay below 35x (the most compressible
 * in the test corpus: repodata patches, 30x). README, "Caches". */
#define INSTALL_EXPANSION_RATIO 200
#define INSTALL_MIN_EXTRACT_BYTES (256LL << 20)
#define INSTALL_MAX_EXTRACT_BYTES (64LL << 30)
long long install_max_extracted_bytes(long long archive_bytes);

/* Extracts and transforms archive_path (rec describes it) into dest_dir, which must not
 * exist yet; it is created via a temporary sibling and renamed at the end. */
int install_package(const install_opts_t *opts, const pkgrec_t *rec, const char *archive_path,
		    const char *dest_dir, err_t *err);

/* Streaming install (issue 14 #1, layer-format 4): the package's files go to sink as they come
 * out of archive_path, in the archive's member order, at their installed paths (noarch:
 * python relocated), placeholders rewritten (binary mode in flight, text mode through memory or
 * a temporary file in opts->spool_dir above INSTALL_SPOOL_MEM_BYTES), then the noarch entry
 * points and conda-meta/<dist>.json: the same files, modes and conda-meta bytes as
 * install_package writes into a tree. Nothing is written to disk but a spooled text file.
 * Two reads of the archive: its info/ first (for a .conda the info tar alone; for a .tar.bz2
 * up to its first payload member when info/paths.json came before it, else the whole file),
 * then every member. Same refusals as install_package, each naming the package and member;
 * the sink may already have entries when one comes (the caller drops what it made). The
 * directories a file needs are the sink's to make (lstream.h): only listed ones are given. */
#define INSTALL_SPOOL_MEM_BYTES (16u << 20)
int install_stream(const install_opts_t *opts, const pkgrec_t *rec, const char *archive_path,
		   const entry_sink_t *sink, err_t *err);

/* Prefix replacement primitives, exposed for tests.
 * Text mode: every occurrence of placeholder becomes new_prefix (lengths may differ).
 * Binary mode: each NUL-terminated string containing placeholder is rewritten with the
 * placeholder replaced and padded with NULs to its original length; a new_prefix longer
 * than placeholder is an error. */
int install_replace_text(const char *data, size_t len, const char *placeholder,
			 const char *new_prefix, buf_t *out);
int install_replace_binary(char *data, size_t len, const char *placeholder, const char *new_prefix,
			   err_t *err);

/* Path-safety checks applied to every archive member, exposed for tests.
 * install_check_member_name: 0 and the normalised name ("./a//b" -> "a/b") in normalized,
 * or -1 and *why (static string) for absolute names, ".." components, empty names.
 * install_check_symlink: 0 if a symlink at link_rel (normalised, relative to the prefix)
 * pointing at target stays inside the prefix, else -1 and *why. Absolute and empty targets
 * are refused; ".." may only lead the target (a ".." after a name could climb out through a
 * symlinked directory) and may not climb above the prefix. */
int install_check_member_name(const char *name, buf_t *normalized, const char **why);
int install_check_symlink(const char *link_rel, const char *target, const char **why);

#endif
