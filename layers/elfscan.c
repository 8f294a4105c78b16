/* elfscan.c — PT_INTERP from an ELF file (see elfscan.h). Fields are decoded byte by byte
 * in the file's own byte order from bounded reads, never by casting file bytes to <elf.h>
 * structs (offsetof gives the positions), so alignment, host byte order and hostile sizes
 * cannot matter. The limits follow Linux's fs/binfmt_elf.c, so "not a program" here means the
 * kernel would not start it either. */
#include "elfscan.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define PHDRS_MAX_BYTES (64u << 10) /* binfmt_elf: larger program header tables are refused */

typedef struct reader {
	elfscan_read_fn read;
	void *ud;
	uint64_t size;
	int is_be;
} reader_t;

/* Class-independent view of the ELF header fields the scan needs. */
typedef struct ehdr {
	unsigned type, machine, phentsize, phnum;
	uint64_t phoff;
} ehdr_t;

static uint64_t get_uint(const unsigned char *p, size_t n, int is_be)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[is_be ? i : n - 1 - i];
	return v;
}

#define FIELD(buf, type, member, is_be)                                                            \
	get_uint((buf) + offsetof(type, member), sizeof(((type *)0)->member), is_be)

/* Every read is checked against the file size first, without overflow. */
static int read_at(const reader_t *r, uint64_t off, void *dst, size_t len)
{
	if (off > r->size || len > r->size - off)
		return -1;
	return r->read(r->ud, off, dst, len);
}

static int read_ehdr(reader_t *r, elfscan_info_t *info, ehdr_t *h)
{
	unsigned char b[sizeof(Elf64_Ehdr)];
	if (read_at(r, 0, b, EI_NIDENT) || memcmp(b, ELFMAG, SELFMAG) != 0)
		return -1;
	if ((b[EI_CLASS] != ELFCLASS32 && b[EI_CLASS] != ELFCLASS64) ||
	    (b[EI_DATA] != ELFDATA2LSB && b[EI_DATA] != ELFDATA2MSB) || b[EI_VERSION] != EV_CURRENT)
		return -1;
	int is_64 = b[EI_CLASS] == ELFCLASS64, be = b[EI_DATA] == ELFDATA2MSB;
	r->is_be = be;
	if (read_at(r, 0, b, is_64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return -1;
	if (is_64) {
		*h = (ehdr_t){FIELD(b, Elf64_Ehdr, e_type, be), FIELD(b, Elf64_Ehdr, e_machine, be),
			      FIELD(b, Elf64_Ehdr, e_phentsize, be),
			      FIELD(b, Elf64_Ehdr, e_phnum, be), FIELD(b, Elf64_Ehdr, e_phoff, be)};
	} else {
		*h = (ehdr_t){FIELD(b, Elf32_Ehdr, e_type, be), FIELD(b, Elf32_Ehdr, e_machine, be),
			      FIELD(b, Elf32_Ehdr, e_phentsize, be),
			      FIELD(b, Elf32_Ehdr, e_phnum, be), FIELD(b, Elf32_Ehdr, e_phoff, be)};
	}
	if (h->type != ET_EXEC && h->type != ET_DYN)
		return -1;
	/* binfmt_elf: e_phentsize must be exactly the class's Phdr size, the table non-empty and
	 * at most 64 KiB (which also refuses PN_XNUM's 0xffff entries). */
	if (h->phentsize != (is_64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || h->phnum == 0 ||
	    (uint64_t)h->phnum * h->phentsize > PHDRS_MAX_BYTES)
		return -1;
	if (info)
		*info = (elfscan_info_t){is_64, be, h->machine, h->type};
	return 0;
}

/* The interpreter string: 2..PATH_MAX bytes ending in NUL (binfmt_elf's checks), taken up to
 * its first NUL, which must not be the first byte. */
static int read_interp(const reader_t *r, uint64_t off, uint64_t size, buf_t *interp)
{
	if (size < 2 || size > PATH_MAX)
		return -1;
	char *s = xmalloc((size_t)size);
	int rc = -1;
	if (read_at(r, off, s, (size_t)size) == 0 && s[size - 1] == '\0' && s[0] != '\0') {
		if (interp)
			buf_setstr(interp, s);
		rc = 0;
	}
	free(s);
	return rc;
}

elfscan_result_t elfscan_parse(elfscan_read_fn read, void *ud, uint64_t file_size,
			       elfscan_info_t *info, buf_t *interp)
{
	reader_t r = {read, ud, file_size, 0};
	ehdr_t h;
	if (read_ehdr(&r, info, &h))
		return ELFSCAN_NOT_ELF;
	size_t table_len = (size_t)h.phnum * h.phentsize;
	unsigned char *t = xmalloc(table_len);
	elfscan_result_t res = ELFSCAN_NOT_ELF;
	int is_64 = h.phentsize == sizeof(Elf64_Phdr), be = r.is_be;
	if (read_at(&r, h.phoff, t, table_len))
		goto out;
	res = ELFSCAN_NO_INTERP;
	for (size_t i = 0; i < h.phnum; i++) {
		const unsigned char *p = t + i * h.phentsize;
		uint64_t type =
			is_64 ? FIELD(p, Elf64_Phdr, p_type, be) : FIELD(p, Elf32_Phdr, p_type, be);
		if (type != PT_INTERP)
			continue;
		/* the kernel uses the first PT_INTERP and refuses the file if it is bad */
		uint64_t off = is_64 ? FIELD(p, Elf64_Phdr, p_offset, be)
				     : FIELD(p, Elf32_Phdr, p_offset, be);
		uint64_t size = is_64 ? FIELD(p, Elf64_Phdr, p_filesz, be)
				      : FIELD(p, Elf32_Phdr, p_filesz, be);
		res = read_interp(&r, off, size, interp) == 0 ? ELFSCAN_INTERP : ELFSCAN_NOT_ELF;
		break;
	}
out:
	free(t);
	return res;
}

typedef struct mem_src {
	const unsigned char *data;
	size_t len;
} mem_src_t;

static int mem_read(void *ud, uint64_t off, void *dst, size_t len)
{
	const mem_src_t *m = ud;
	if (off > m->len || len > m->len - off)
		return -1;
	memcpy(dst, m->data + off, len);
	return 0;
}

elfscan_result_t elfscan_mem(const void *data, size_t len, elfscan_info_t *info, buf_t *interp)
{
	mem_src_t m = {data, len};
	return elfscan_parse(mem_read, &m, len, info, interp);
}

static int fd_read(void *ud, uint64_t off, void *dst, size_t len)
{
	int fd = *(const int *)ud;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)dst + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

elfscan_result_t elfscan_fd(int fd, elfscan_info_t *info, buf_t *interp)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
		return ELFSCAN_NOT_ELF;
	return elfscan_parse(fd_read, &fd, (uint64_t)st.st_size, info, interp);
}
