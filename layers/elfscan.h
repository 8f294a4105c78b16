/* elfscan.h — reads the one thing the base image policy needs from an ELF file: its program
 * interpreter (PT_INTERP, the dynamic loader the kernel starts it with), plus the file's
 * class, byte order and machine. 32- and 64-bit, both byte orders. Only the ELF header, the
 * program header table and the interpreter string are read, each read bounded by the file
 * size and by the kernel's own limits (binfmt_elf: phentsize exact, at most 64 KiB of program
 * headers, an interpreter of 2..PATH_MAX bytes ending in NUL); anything that breaks them is
 * "not a program", never a crash or an error. Nothing is executed or mapped. */
#ifndef IMGBUILD_ELFSCAN_H
#define IMGBUILD_ELFSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef enum {
	ELFSCAN_NOT_ELF = 0, /* not ELF, truncated, malformed, or not an executable/shared type */
	ELFSCAN_NO_INTERP, /* a well-formed ELF program without PT_INTERP (static, or a library) */
	ELFSCAN_INTERP,    /* has PT_INTERP: interp holds it */
} elfscan_result_t;

typedef struct elfscan_info {
	int is_64;         /* ELFCLASS64 */
	int is_big_endian; /* ELFDATA2MSB */
	unsigned machine;  /* e_machine (EM_X86_64, EM_AARCH64, ...) */
	unsigned type;     /* e_type (ET_EXEC, ET_DYN) */
} elfscan_info_t;

/* Reads len bytes at offset into dst; 0 when all were read, -1 otherwise. */
typedef int (*elfscan_read_fn)(void *ud, uint64_t offset, void *dst, size_t len);

/* Parses an ELF file of file_size bytes read through `read`. info (may be NULL) is filled
 * for NO_INTERP and INTERP; interp (may be NULL) gets the interpreter for INTERP. */
elfscan_result_t elfscan_parse(elfscan_read_fn read, void *ud, uint64_t file_size,
			       elfscan_info_t *info, buf_t *interp);
/* The same over bytes in memory (for tests and fuzzing). */
elfscan_result_t elfscan_mem(const void *data, size_t len, elfscan_info_t *info, buf_t *interp);
/* The same over an open file (pread; the descriptor's offset is not moved). A file that
 * cannot be stat'ed or read reads as NOT_ELF. */
elfscan_result_t elfscan_fd(int fd, elfscan_info_t *info, buf_t *interp);

#endif
