/* basecheck.h — the base image policy (docs/base-images.md). Does the solved environment need
 * a system C library — a package depends on __glibc, or one of its programs asks the kernel
 * for a loader (PT_INTERP) outside the environment's prefix — and does the base image provide
 * it? The answer is deterministic (packages by name, programs by path) and explicit: an error
 * naming the first packages and what to pass, or with --base scratch one warning. */
#ifndef IMGBUILD_BASECHECK_H
#define IMGBUILD_BASECHECK_H

#include <stddef.h>

#include "basefs.h"
#include "buf.h"
#include "entrysink.h"
#include "err.h"
#include "log.h"
#include "pkgrec.h"

/* At most this many needs are spelled out in a message; the rest are counted. */
#define BASECHECK_MAX_NAMED 3

typedef enum {
	BASECHECK_ELF_INTERP = 0, /* a program's PT_INTERP lies outside the prefix */
	BASECHECK_GLIBC_DEP,      /* the package's record depends on __glibc */
} basecheck_why_t;

/* One package's need (strings borrowed from the basecheck_t). */
typedef struct basecheck_need {
	const char *package; /* package name */
	basecheck_why_t why;
	const char *file; /* ELF_INTERP: its first such program in path order, prefix-relative
			   * ("bin/hello"); GLIBC_DEP: NULL */
	const char *what; /* ELF_INTERP: the interpreter; GLIBC_DEP: the depends string */
	size_t n_files;   /* ELF_INTERP: how many of the package's programs ask for it */
} basecheck_need_t;

typedef struct basecheck basecheck_t;

/* image_prefix: the environment's absolute prefix; an interpreter under it is the
 * environment's own loader, not a system one. oci_arch ("amd64", "arm64", "ppc64le", ...;
 * NULL = "amd64") picks the machine whose programs count (an ELF file for another machine is
 * data, e.g. a test fixture) and the loader a base image must have. Caller frees. */
basecheck_t *basecheck_new(const char *image_prefix, const char *oci_arch);
void basecheck_free(basecheck_t *bc); /* NULL is a no-op */

/* Notes every package whose depends name __glibc (call once; pkgs borrowed for the call). */
void basecheck_add_records(basecheck_t *bc, const pkgrec_t *const *pkgs, size_t n);
/* Scans one package's installed tree (the prefix's contents, as install_package leaves it)
 * for programs asking for a loader outside the prefix: regular files with an execute bit,
 * not named like a shared library (*.so, *.so.N: their PT_INTERP only matters when run, as
 * libc.so.6's), for oci_arch's machine. Never follows symlinks. Must run before layer_build
 * consumes the tree. Thread-safe. -1 only when the tree cannot be listed. */
int basecheck_scan_tree(basecheck_t *bc, const char *package, const char *stage_dir, err_t *err);
/* Remembers every package scanned with basecheck_scan_package under dir (created on first
 * use; <cache>/basecheck: <sha256>.json per package and prefix), so that a build whose layers
 * come from the layer cache, and whose packages are therefore not installed, decides exactly
 * as a fresh one (basecheck_load_package). dir is copied. */
void basecheck_set_cache(basecheck_t *bc, const char *dir);
/* basecheck_scan_tree for pkg, and remembers the result when a cache is set. Thread-safe. */
int basecheck_scan_package(basecheck_t *bc, const pkgrec_t *pkg, const char *stage_dir, err_t *err);
/* Adds what an earlier scan of this very package (same hash, same prefix) found: 1, or 0 when
 * nothing is remembered; then the package must be installed and scanned, or the decision would
 * depend on the state of the caches. Thread-safe. */
int basecheck_load_package(basecheck_t *bc, const pkgrec_t *pkg);
/* The findings remembered for pkg under dir (basecheck_set_cache's layout) for prefix, as the
 * canonical JSON document of that entry ({"format","prefix","programs"}: sorted keys, compact,
 * so the same scan gives the same bytes) into out (replaced): 1, or 0 with out empty when
 * nothing valid is remembered. So that findings can travel with a cached layer. */
int basecheck_findings_export(const char *dir, const char *prefix, const pkgrec_t *pkg, buf_t *out);
/* Remembers doc (len bytes, e.g. from a registry cache entry: untrusted) as pkg's findings
 * under dir when it is a valid document of the current format for prefix and dir has no valid
 * entry for pkg yet (the file is named by pkg's own hash, never by the document). 1 when
 * written, else 0 (nothing changed). */
int basecheck_findings_import(const char *dir, const char *prefix, const pkgrec_t *pkg,
			      const char *doc, size_t len);
/* basecheck_scan_package for stages[i] of pkgs[i], i < n, skipping trees that do not exist
 * (packages not installed because their layer came from a cache: basecheck_load_package). */
int basecheck_scan_trees(basecheck_t *bc, const char *const *stages, const pkgrec_t *const *pkgs,
			 size_t n, err_t *err);

/* The same scan over a package streamed into a layer (pkg/install_stream): the sink passes
 * every entry on to down and keeps the first BASECHECK_HEAD_BYTES of each program (what the
 * kernel reads to find PT_INTERP: the ELF header, program headers and interpreter string sit
 * in the first page of every real program; one whose interpreter lies past the head reads as
 * no program). basecheck_scan_end(s, 1) adds the needs and remembers them (as
 * basecheck_scan_package); with 0 (the install failed) it only frees. Thread-safe across
 * scans; one scan belongs to one thread. */
#define BASECHECK_HEAD_BYTES (64u << 10)
typedef struct basecheck_scan basecheck_scan_t;
basecheck_scan_t *basecheck_scan_begin(basecheck_t *bc, const pkgrec_t *pkg,
				       const entry_sink_t *down);
entry_sink_t basecheck_scan_sink(basecheck_scan_t *s);
void basecheck_scan_end(basecheck_scan_t *s, int is_complete); /* frees s; NULL is a no-op */

/* The needs found so far, sorted: programs first (by package, then path), then __glibc
 * dependencies (by package). */
size_t basecheck_count(basecheck_t *bc);
const basecheck_need_t *basecheck_get(basecheck_t *bc, size_t i); /* borrowed; NULL past end */

/* The decision. base: the base image's stacked files, NULL when there is none; base_ref: how
 * the user named it (messages only); is_scratch: --base scratch (base is ignored). 0 when
 * nothing is needed or the base provides it; with is_scratch, unmet needs are one warning
 * through log and 0. Otherwise -1 and err says which packages need what, marked
 * ERR_HINT_BASE_NEEDED (the CLI says which base to pass, or scratch to build anyway). */
int basecheck_verify(basecheck_t *bc, const basefs_t *base, const char *base_ref, int is_scratch,
		     log_fn log, void *log_ud, err_t *err);

/* 1 if base has oci_arch's glibc loader (e.g. /lib64/ld-linux-x86-64.so.2, symlinks
 * followed) and a libc.so.6 in one of the usual directories (lib/<triplet>, usr/lib/<triplet>,
 * lib64, usr/lib64, lib, usr/lib), else 0 with why_not (may be NULL) saying what is missing. */
int basecheck_base_has_libc(const basefs_t *base, const char *oci_arch, buf_t *why_not);

#endif
