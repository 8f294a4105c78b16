/* test_elfscan.c — layers/elfscan: PT_INTERP from ELF files of both classes and byte orders,
 * built here byte by byte; a real host program and a static one; and hostile input: every
 * truncation of a valid file, each header field broken alone, sizes and offsets that overflow,
 * and random and mutated bytes (run under ASan by tests/run.sh), which must never crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "elfscan.h"
#include "mkelf.h"

#define LOADER "/lib64/ld-linux-x86-64.so.2"

static void test_interp_read_in_all_four_classes_and_byte_orders(void **state)
{
	(void)state;
	const mkelf_spec_t specs[] = {
		{1, 0, EM_X86_64, ET_DYN, LOADER},
		{1, 1, EM_PPC64, ET_EXEC, "/lib64/ld64.so.1"},
		{0, 0, EM_386, ET_EXEC, "/lib/ld-linux.so.2"},
		{0, 1, EM_MIPS, ET_DYN, "/lib/ld.so.1"},
	};
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		unsigned char b[MKELF_MAX];
		buf_t interp = BUF_INIT;
		elfscan_info_t info;
		size_t n = mkelf(&specs[i], b);
		assert_int_equal(elfscan_mem(b, n, &info, &interp), ELFSCAN_INTERP);
		assert_string_equal(interp.data, specs[i].interp);
		assert_int_equal(info.is_64, specs[i].is_64);
		assert_int_equal(info.is_big_endian, specs[i].is_be);
		assert_int_equal(info.machine, specs[i].machine);
		assert_int_equal(info.type, specs[i].type);
		buf_free(&interp);
	}
}

static void test_program_without_interp_is_no_interp(void **state)
{
	(void)state;
	unsigned char b[MKELF_MAX];
	mkelf_spec_t s = {1, 0, EM_X86_64, ET_EXEC, NULL};
	size_t n = mkelf(&s, b);
	assert_int_equal(elfscan_mem(b, n, NULL, NULL), ELFSCAN_NO_INTERP);
}

static void test_relocatable_and_core_files_are_not_programs(void **state)
{
	(void)state;
	unsigned char b[MKELF_MAX];
	unsigned types[] = {ET_REL, ET_CORE, ET_NONE};
	for (size_t i = 0; i < 3; i++) {
		mkelf_spec_t s = {1, 0, EM_X86_64, types[i], LOADER};
		size_t n = mkelf(&s, b);
		assert_int_equal(elfscan_mem(b, n, NULL, NULL), ELFSCAN_NOT_ELF);
	}
}

static void test_every_truncation_is_not_elf(void **state)
{
	(void)state;
	for (int is_64 = 0; is_64 < 2; is_64++) {
		unsigned char b[MKELF_MAX];
		mkelf_spec_t s = {is_64, 0, EM_X86_64, ET_DYN, LOADER};
		size_t n = mkelf(&s, b);
		for (size_t len = 0; len < n; len++) {
			/* a fresh copy of exactly len bytes, so ASan sees any read past it */
			unsigned char *cut = malloc(len ? len : 1);
			memcpy(cut, b, len);
			assert_int_equal(elfscan_mem(cut, len, NULL, NULL), ELFSCAN_NOT_ELF);
			free(cut);
		}
		assert_int_equal(elfscan_mem(b, n, NULL, NULL), ELFSCAN_INTERP);
	}
}

/* Each change alone turns a valid file into one the kernel would refuse. */
static void test_each_broken_header_field_is_not_elf(void **state)
{
	(void)state;
	enum {
		MAGIC,
		CLASS,
		DATA,
		VERSION,
		PHENTSIZE,
		PHNUM_ZERO,
		PHNUM_HUGE,
		PHOFF_HUGE,
		N_CASES
	};
	for (int c = 0; c < N_CASES; c++) {
		unsigned char b[MKELF_MAX];
		mkelf_spec_t s = {1, 0, EM_X86_64, ET_DYN, LOADER};
		size_t n = mkelf(&s, b);
		switch (c) {
		case MAGIC: b[1] = 'e'; break;
		case CLASS: b[EI_CLASS] = 3; break;
		case DATA: b[EI_DATA] = 0; break;
		case VERSION: b[EI_VERSION] = 2; break;
		case PHENTSIZE:
			MKELF_PUT(b, Elf64_Ehdr, e_phentsize, sizeof(Elf64_Phdr) + 8, 0);
			break;
		case PHNUM_ZERO: MKELF_PUT(b, Elf64_Ehdr, e_phnum, 0, 0); break;
		case PHNUM_HUGE: MKELF_PUT(b, Elf64_Ehdr, e_phnum, PN_XNUM, 0); break;
		case PHOFF_HUGE: MKELF_PUT(b, Elf64_Ehdr, e_phoff, UINT64_MAX - 8, 0); break;
		}
		assert_int_equal(elfscan_mem(b, n, NULL, NULL), ELFSCAN_NOT_ELF);
	}
}

static void test_bad_interp_segments_are_not_elf(void **state)
{
	(void)state;
	enum { NO_NUL, EMPTY, TOO_BIG, OFFSET_PAST_END, OFFSET_WRAPS, N_CASES };
	for (int c = 0; c < N_CASES; c++) {
		unsigned char b[MKELF_MAX];
		mkelf_spec_t s = {1, 0, EM_X86_64, ET_DYN, LOADER};
		size_t n = mkelf(&s, b), ph = mkelf_interp_phdr(1);
		size_t str = ph + sizeof(Elf64_Phdr);
		switch (c) {
		case NO_NUL: b[str + strlen(LOADER)] = 'X'; break;
		case EMPTY: b[str] = '\0'; break;
		case TOO_BIG: MKELF_PUT(b + ph, Elf64_Phdr, p_filesz, 1u << 20, 0); break;
		case OFFSET_PAST_END: MKELF_PUT(b + ph, Elf64_Phdr, p_offset, n, 0); break;
		case OFFSET_WRAPS:
			MKELF_PUT(b + ph, Elf64_Phdr, p_offset, UINT64_MAX - 4, 0);
			break;
		}
		assert_int_equal(elfscan_mem(b, n, NULL, NULL), ELFSCAN_NOT_ELF);
	}
}

static void test_interp_stops_at_its_first_nul(void **state)
{
	(void)state;
	unsigned char b[MKELF_MAX];
	buf_t interp = BUF_INIT;
	mkelf_spec_t s = {1, 0, EM_X86_64, ET_DYN, "/lib/ld.so\1extra"};
	size_t n = mkelf(&s, b);
	b[mkelf_interp_phdr(1) + sizeof(Elf64_Phdr) + strlen("/lib/ld.so")] = '\0';
	assert_int_equal(elfscan_mem(b, n, NULL, &interp), ELFSCAN_INTERP);
	assert_string_equal(interp.data, "/lib/ld.so");
	buf_free(&interp);
}

static elfscan_result_t scan_path(const char *path, buf_t *interp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (elfscan_result_t)-1;
	elfscan_result_t r = elfscan_fd(fd, NULL, interp);
	close(fd);
	return r;
}

/* Debian's own programs: /bin/sh asks for the system loader, busybox-static for none. */
static void test_real_host_programs(void **state)
{
	(void)state;
	buf_t interp = BUF_INIT;
	assert_int_equal(scan_path("/bin/sh", &interp), ELFSCAN_INTERP);
	assert_string_equal(interp.data, LOADER);
	if (access("/bin/busybox", R_OK) == 0) {
		assert_int_equal(scan_path("/bin/busybox", NULL), ELFSCAN_NO_INTERP);
	}
	assert_int_equal(scan_path("/etc/passwd", NULL), ELFSCAN_NOT_ELF);
	buf_free(&interp);
}

/* xorshift: the fuzz cases are the same on every run. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random bytes behind a valid ident, and a real program's first 4 KiB with a few bytes
 * changed: whatever comes out, nothing is read out of bounds and any interp is a C string. */
static void test_random_and_mutated_input_never_crashes(void **state)
{
	(void)state;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned char real[4096];
	int fd = open("/bin/sh", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t real_len = read(fd, real, sizeof real);
	close(fd);
	assert_true(real_len > 64);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(next_rand(&seed) % 600);
		unsigned char *b = malloc(len ? len : 1);
		int is_mutant = round % 2;
		if (is_mutant) {
			len = (size_t)real_len;
			free(b);
			b = malloc(len);
			memcpy(b, real, len);
			for (int k = 0; k < 1 + round % 8; k++)
				b[next_rand(&seed) % 128] = (unsigned char)next_rand(&seed);
		} else {
			for (size_t i = 0; i < len; i++)
				b[i] = (unsigned char)next_rand(&seed);
			if (len >= EI_NIDENT) {
				memcpy(b, ELFMAG, SELFMAG);
				b[EI_CLASS] = 1 + round % 2;
				b[EI_DATA] = 1 + (round / 2) % 2;
				b[EI_VERSION] = EV_CURRENT;
			}
		}
		buf_t interp = BUF_INIT;
		elfscan_result_t r = elfscan_mem(b, len, NULL, &interp);
		assert_true(r == ELFSCAN_NOT_ELF || r == ELFSCAN_NO_INTERP || r == ELFSCAN_INTERP);
		if (r == ELFSCAN_INTERP)
			assert_true(interp.len > 0 && strlen(interp.data) == interp.len);
		buf_free(&interp);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interp_read_in_all_four_classes_and_byte_orders),
		cmocka_unit_test(test_program_without_interp_is_no_interp),
		cmocka_unit_test(test_relocatable_and_core_files_are_not_programs),
		cmocka_unit_test(test_every_truncation_is_not_elf),
		cmocka_unit_test(test_each_broken_header_field_is_not_elf),
		cmocka_unit_test(test_bad_interp_segments_are_not_elf),
		cmocka_unit_test(test_interp_stops_at_its_first_nul),
		cmocka_unit_test(test_real_host_programs),
		cmocka_unit_test(test_random_and_mutated_input_never_crashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
