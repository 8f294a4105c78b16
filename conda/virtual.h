/* virtual.h — conda's virtual packages for the target machine: __unix, __linux, __glibc,
 * __archspec and (when the nodes have a GPU driver) __cuda. __glibc comes from the base image's
 * own C library when a base image is given, else from the requested glibc, else
 * conda-forge's baseline.
 * The base image's version is an input (the builder gets it from oci/base.h): conda/ never
 * reads images. Owns: virtual package values. May call: common/ only. */
#ifndef IMGBUILD_VIRTUAL_H
#define IMGBUILD_VIRTUAL_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define VIRTUAL_MAX 5

typedef struct virtual_pkg {
	const char *name; /* "__glibc" */
	char version[64]; /* "2.36" */
	char build[32];   /* "0", or the microarchitecture for __archspec */
	char source[96];  /* why this value: "base image", "default", the caller's label... */
} virtual_pkg_t;

typedef struct virtual_set {
	virtual_pkg_t pkgs[VIRTUAL_MAX];
	size_t n;
} virtual_set_t;

/* Inputs of virtual_set_fill: everything NULL = the defaults (glibc 2.28, x86_64, no CUDA). */
typedef struct virtual_opts {
	const char *base_name;  /* the base image, for messages; NULL = no base image */
	const char *base_glibc; /* the glibc version found in the base image, NULL = none there */
	const char *glibc;      /* --glibc: used when there is no base image */
	const char *cuda;       /* --cuda: driver version of the target nodes, NULL = no __cuda */
	const char *oci_arch;   /* "amd64" (default) or "arm64" */
	/* How the caller names where glibc and cuda came from, shown as their source (the CLI:
	 * "--glibc", "--cuda"); NULL = "requested". */
	const char *glibc_label, *cuda_label;
} virtual_opts_t;

/* Fills set. A base image whose layers hold no GNU libc (musl, distroless static: base_name
 * without base_glibc) falls back to o->glibc / the default and says so in the source. An
 * o->glibc newer than the base image's is an error naming both versions and the base, with
 * ERR_HINT_GLIBC_NEWER_THAN_BASE. */
int virtual_set_fill(virtual_set_t *set, const virtual_opts_t *o, err_t *err);

/* Appends "__glibc=2.36 (base image), __cuda=12.4 (--cuda), ..." for logs and plans. */
void virtual_set_describe(const virtual_set_t *set, buf_t *out);

#endif
