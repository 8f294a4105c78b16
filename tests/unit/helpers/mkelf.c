/* mkelf.c — see mkelf.h. Offsets come from <elf.h> (offsetof), values are stored byte by byte,
 * so the files are the same on any host. */
#include "mkelf.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mkelf_put(unsigned char *p, uint64_t v, size_t n, int is_be)
{
	for (size_t i = 0; i < n; i++)
		p[is_be ? n - 1 - i : i] = (unsigned char)(v >> (8 * i));
}

size_t mkelf_interp_phdr(int is_64)
{
	return is_64 ? sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr)
		     : sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr);
}

static void put_ehdr(const mkelf_spec_t *s, unsigned char *out, size_t eh, size_t ph, size_t nph)
{
	int be = s->is_be;
	if (s->is_64) {
		MKELF_PUT(out, Elf64_Ehdr, e_type, s->type, be);
		MKELF_PUT(out, Elf64_Ehdr, e_machine, s->machine, be);
		MKELF_PUT(out, Elf64_Ehdr, e_version, EV_CURRENT, be);
		MKELF_PUT(out, Elf64_Ehdr, e_phoff, eh, be);
		MKELF_PUT(out, Elf64_Ehdr, e_ehsize, eh, be);
		MKELF_PUT(out, Elf64_Ehdr, e_phentsize, ph, be);
		MKELF_PUT(out, Elf64_Ehdr, e_phnum, nph, be);
	} else {
		MKELF_PUT(out, Elf32_Ehdr, e_type, s->type, be);
		MKELF_PUT(out, Elf32_Ehdr, e_machine, s->machine, be);
		MKELF_PUT(out, Elf32_Ehdr, e_version, EV_CURRENT, be);
		MKELF_PUT(out, Elf32_Ehdr, e_phoff, eh, be);
		MKELF_PUT(out, Elf32_Ehdr, e_ehsize, eh, be);
		MKELF_PUT(out, Elf32_Ehdr, e_phentsize, ph, be);
		MKELF_PUT(out, Elf32_Ehdr, e_phnum, nph, be);
	}
}

static void put_phdr(const mkelf_spec_t *s, unsigned char *p, unsigned type, uint64_t off,
		     uint64_t size)
{
	if (s->is_64) {
		MKELF_PUT(p, Elf64_Phdr, p_type, type, s->is_be);
		MKELF_PUT(p, Elf64_Phdr, p_offset, off, s->is_be);
		MKELF_PUT(p, Elf64_Phdr, p_filesz, size, s->is_be);
	} else {
		MKELF_PUT(p, Elf32_Phdr, p_type, type, s->is_be);
		MKELF_PUT(p, Elf32_Phdr, p_offset, off, s->is_be);
		MKELF_PUT(p, Elf32_Phdr, p_filesz, size, s->is_be);
	}
}

size_t mkelf(const mkelf_spec_t *s, unsigned char *out)
{
	size_t eh = s->is_64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t ph = s->is_64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t nph = s->interp ? 2 : 1, str_off = eh + nph * ph;
	size_t str_len = s->interp ? strlen(s->interp) + 1 : 0, len = str_off + str_len;
	memset(out, 0, MKELF_MAX);
	memcpy(out, ELFMAG, SELFMAG);
	out[EI_CLASS] = s->is_64 ? ELFCLASS64 : ELFCLASS32;
	out[EI_DATA] = s->is_be ? ELFDATA2MSB : ELFDATA2LSB;
	out[EI_VERSION] = EV_CURRENT;
	put_ehdr(s, out, eh, ph, nph);
	put_phdr(s, out + eh, PT_LOAD, 0, len);
	if (s->interp) {
		put_phdr(s, out + eh + ph, PT_INTERP, str_off, str_len);
		memcpy(out + str_off, s->interp, str_len);
	}
	return len;
}

int mkelf_write(const char *path, const mkelf_spec_t *s, unsigned mode)
{
	unsigned char b[MKELF_MAX];
	size_t n = mkelf(s, b);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc = -1;
	if (fd < 0)
		return -1;
	if (write(fd, b, n) == (ssize_t)n && fchmod(fd, mode) == 0)
		rc = 0;
	close(fd);
	return rc;
}
