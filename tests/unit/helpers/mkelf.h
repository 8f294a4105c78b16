/* mkelf.h — test helper: small ELF files built byte by byte (either class, either byte
 * order), with or without a PT_INTERP, for the ELF reader and the base image policy tests. */
#ifndef IMGBUILD_TEST_MKELF_H
#define IMGBUILD_TEST_MKELF_H

#include <stddef.h>
#include <stdint.h>

#define MKELF_MAX 512 /* bytes make_elf may write */

typedef struct mkelf_spec {
	int is_64, is_be;
	unsigned machine, type; /* EM_*, ET_* */
	const char *interp;     /* NULL: no PT_INTERP */
} mkelf_spec_t;

/* Writes the ELF header, a PT_LOAD and (with interp) a PT_INTERP program header, then the
 * interpreter string with its NUL into out (MKELF_MAX bytes). Returns the file size. */
size_t mkelf(const mkelf_spec_t *s, unsigned char *out);
/* Offset of the PT_INTERP program header (the second one). */
size_t mkelf_interp_phdr(int is_64);
/* Stores v in n bytes at p in the given byte order. */
void mkelf_put(unsigned char *p, uint64_t v, size_t n, int is_be);
/* Writes mkelf(s) to path with mode. 0 or -1. */
int mkelf_write(const char *path, const mkelf_spec_t *s, unsigned mode);

#define MKELF_PUT(buf, type, member, v, be)                                                        \
	mkelf_put((buf) + offsetof(type, member), (v), sizeof(((type *)0)->member), (be))

#endif
