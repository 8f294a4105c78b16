/* basecheck.c — the base image policy (see basecheck.h, docs/base-images.md). Needs are
 * collected per package (one line per package and reason, counting its programs), sorted
 * once before they are read, so the message never depends on scan order or thread timing. */
#include "basecheck.h"
#include "basecheck_int.h"

#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfscan.h"
#include "fsutil.h"
#include "tree_int.h"
#include "xalloc.h"

/* What a glibc base looks like per architecture (glibc's own loader names, Debian's
 * multiarch triplets). */
typedef struct abi {
	const char *oci_arch;
	unsigned machine;
	const char *loader;
	const char *triplet;
} abi_t;

static const abi_t abis[] = {
	{"amd64", EM_X86_64, "/lib64/ld-linux-x86-64.so.2", "x86_64-linux-gnu"},
	{"arm64", EM_AARCH64, "/lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu"},
	{"ppc64le", EM_PPC64, "/lib64/ld64.so.2", "powerpc64le-linux-gnu"},
	{"s390x", EM_S390, "/lib/ld64.so.1", "s390x-linux-gnu"},
	{"riscv64", EM_RISCV, "/lib/ld-linux-riscv64-lp64d.so.1", "riscv64-linux-gnu"},
	{"386", EM_386, "/lib/ld-linux.so.2", "i386-linux-gnu"},
	{"arm", EM_ARM, "/lib/ld-linux-armhf.so.3", "arm-linux-gnueabihf"},
};

/* The message's suggestion: a pinned glibc image (the digest is the user's to pick). */
struct basecheck {
	char *prefix;    /* without trailing "/"; "" for the root */
	char *cache_dir; /* per-package findings (basecheck_cache.c), or NULL */
	const abi_t *abi;
	pthread_mutex_t lock;
	basecheck_need_t *v; /* strings owned */
	size_t n, cap;
	int is_sorted;
};

static const abi_t *abi_for(const char *oci_arch)
{
	for (size_t i = 0; i < sizeof abis / sizeof abis[0]; i++)
		if (!strcmp(abis[i].oci_arch, oci_arch ? oci_arch : "amd64"))
			return &abis[i];
	return NULL;
}

basecheck_t *basecheck_new(const char *image_prefix, const char *oci_arch)
{
	basecheck_t *bc = xcalloc(1, sizeof *bc);
	size_t len = image_prefix ? strlen(image_prefix) : 0;
	while (len > 0 && image_prefix[len - 1] == '/')
		len--;
	bc->prefix = xstrndup(image_prefix ? image_prefix : "", len);
	bc->abi = abi_for(oci_arch);
	pthread_mutex_init(&bc->lock, NULL);
	return bc;
}

void basecheck_free(basecheck_t *bc)
{
	if (!bc)
		return;
	for (size_t i = 0; i < bc->n; i++) {
		free((char *)bc->v[i].package);
		free((char *)bc->v[i].file);
		free((char *)bc->v[i].what);
	}
	free(bc->v);
	free(bc->prefix);
	free(bc->cache_dir);
	pthread_mutex_destroy(&bc->lock);
	free(bc);
}

static void add_need(basecheck_t *bc, const char *package, basecheck_why_t why, const char *file,
		     const char *what, size_t n_files)
{
	pthread_mutex_lock(&bc->lock);
	if (bc->n == bc->cap) {
		bc->cap = bc->cap ? bc->cap * 2 : 16;
		bc->v = xrealloc(bc->v, bc->cap * sizeof *bc->v);
	}
	bc->v[bc->n++] =
		(basecheck_need_t){xstrdup(package), why, xstrdup(file), xstrdup(what), n_files};
	bc->is_sorted = 0;
	pthread_mutex_unlock(&bc->lock);
}

void basecheck_add_records(basecheck_t *bc, const pkgrec_t *const *pkgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t d = 0; d < pkgs[i]->n_depends; d++) {
			char *name = pkgrec_dep_name(pkgs[i]->depends[d]);
			int is_glibc = !strcmp(name, "__glibc");
			free(name);
			if (is_glibc) {
				add_need(bc, pkgs[i]->name, BASECHECK_GLIBC_DEP, NULL,
					 pkgs[i]->depends[d], 0);
				break;
			}
		}
	}
}

/* "lib/libc.so.6", "x.so": names the dynamic linker loads, not programs the kernel starts. */
static int is_library_name(const char *rel)
{
	const char *base = strrchr(rel, '/');
	const char *so = strstr(base ? base + 1 : rel, ".so");
	while (so && so[3] != '\0' && so[3] != '.')
		so = strstr(so + 3, ".so");
	return so != NULL;
}

/* The environment's own loader lives under its prefix (the fixture python's does). */
static int is_under_prefix(const basecheck_t *bc, const char *interp)
{
	size_t len = strlen(bc->prefix);
	return interp[0] == '/' && !strncmp(interp, bc->prefix, len) && interp[len] == '/';
}

/* Records stage_dir/rel when it is an ELF program asking for a loader outside the prefix.
 * Unreadable files are not programs (the layer writer reports them). */
static void note_program(const basecheck_t *bc, const char *stage_dir, const tree_entry_t *e,
			 buf_t *interp, basecheck_uses_t *u)
{
	buf_t path = BUF_INIT;
	elfscan_info_t info;
	const char *rel = e->rel;
	tree_entry_path(e, stage_dir, &path);
	int fd = open(path.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		if (elfscan_fd(fd, &info, interp) == ELFSCAN_INTERP &&
		    !is_under_prefix(bc, interp->data))
			basecheck_uses_note(u, info.machine, interp->data, rel);
		close(fd);
	}
	buf_free(&path);
}

void basecheck_uses_clear(basecheck_uses_t *u)
{
	for (size_t k = 0; k < u->n; k++) {
		free(u->v[k].interp);
		free(u->v[k].first_file);
	}
	u->n = 0;
}

void basecheck_uses_note(basecheck_uses_t *u, unsigned machine, const char *interp,
			 const char *file)
{
	for (size_t k = 0; k < u->n; k++) {
		if (u->v[k].machine == machine && !strcmp(u->v[k].interp, interp)) {
			u->v[k].n_files++;
			return;
		}
	}
	if (u->n < BASECHECK_USES_MAX)
		u->v[u->n++] = (basecheck_use_t){machine, xstrdup(interp), xstrdup(file), 1};
}

void basecheck_uses_add(basecheck_t *bc, const char *package, const basecheck_uses_t *u)
{
	for (size_t k = 0; k < u->n; k++)
		if (!bc->abi || u->v[k].machine == bc->abi->machine)
			add_need(bc, package, BASECHECK_ELF_INTERP, u->v[k].first_file,
				 u->v[k].interp, u->v[k].n_files);
}

/* Every machine's programs, so that a cached result serves builds for any architecture. */
static int scan_uses(const basecheck_t *bc, const char *package, const char *stage_dir,
		     basecheck_uses_t *u, err_t *err)
{
	tree_t t = {0};
	buf_t interp = BUF_INIT;
	int rc = 0;
	if (tree_add_stage(&t, stage_dir, 0, err)) {
		rc = err_prefix(err, "package %s", package);
		goto out;
	}
	tree_sort(&t); /* path order: the program named first is the same on every host */
	for (size_t i = 0; i < t.n; i++) {
		const tree_entry_t *e = &t.v[i];
		if (S_ISREG(e->mode) && (e->mode & 0111) && !is_library_name(e->rel))
			note_program(bc, stage_dir, e, &interp, u);
	}
out:
	tree_free(&t);
	buf_free(&interp);
	return rc;
}

/* Scans, adds the needs, and remembers them for pkg when a cache is set (pkg may be NULL). */
static int scan_and_add(basecheck_t *bc, const char *package, const pkgrec_t *pkg,
			const char *stage_dir, err_t *err)
{
	basecheck_uses_t u = {.n = 0};
	buf_t path = BUF_INIT;
	int rc = scan_uses(bc, package, stage_dir, &u, err);
	if (rc == 0) {
		basecheck_uses_add(bc, package, &u);
		if (pkg && bc->cache_dir && basecheck_cache_path(bc->cache_dir, pkg, &path) == 0)
			basecheck_cache_store(path.data, bc->prefix, &u);
	}
	basecheck_uses_clear(&u);
	buf_free(&path);
	return rc;
}

int basecheck_scan_tree(basecheck_t *bc, const char *package, const char *stage_dir, err_t *err)
{
	return scan_and_add(bc, package, NULL, stage_dir, err);
}

int basecheck_scan_package(basecheck_t *bc, const pkgrec_t *pkg, const char *stage_dir, err_t *err)
{
	return scan_and_add(bc, pkg->name, pkg, stage_dir, err);
}

int basecheck_load_package(basecheck_t *bc, const pkgrec_t *pkg)
{
	basecheck_uses_t u = {.n = 0};
	buf_t path = BUF_INIT;
	int found = bc->cache_dir && basecheck_cache_path(bc->cache_dir, pkg, &path) == 0 &&
		    basecheck_cache_load(path.data, bc->prefix, &u) == 1;
	if (found)
		basecheck_uses_add(bc, pkg->name, &u);
	basecheck_uses_clear(&u);
	buf_free(&path);
	return found;
}

int basecheck_scan_trees(basecheck_t *bc, const char *const *stages, const pkgrec_t *const *pkgs,
			 size_t n, err_t *err)
{
	for (size_t i = 0; i < n; i++)
		if (stages[i] && fs_is_dir(stages[i]) &&
		    basecheck_scan_package(bc, pkgs[i], stages[i], err))
			return -1;
	return 0;
}

void basecheck_set_cache(basecheck_t *bc, const char *dir)
{
	free(bc->cache_dir);
	bc->cache_dir = xstrdup(dir);
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Programs first (the most concrete reason), then by package, program and interpreter. */
static int cmp_need(const void *a, const void *b)
{
	const basecheck_need_t *x = a, *y = b;
	int c;
	if (x->why != y->why)
		return x->why == BASECHECK_ELF_INTERP ? -1 : 1;
	if ((c = strcmp(x->package, y->package)) || (c = cmp_str(x->file, y->file)))
		return c;
	return cmp_str(x->what, y->what);
}

static void sort_needs(basecheck_t *bc)
{
	pthread_mutex_lock(&bc->lock);
	if (!bc->is_sorted && bc->n > 1) /* qsort wants a non-NULL base even for nothing */
		qsort(bc->v, bc->n, sizeof *bc->v, cmp_need);
	bc->is_sorted = 1;
	pthread_mutex_unlock(&bc->lock);
}

size_t basecheck_count(basecheck_t *bc)
{
	sort_needs(bc);
	return bc->n;
}

const basecheck_need_t *basecheck_get(basecheck_t *bc, size_t i)
{
	sort_needs(bc);
	return i < bc->n ? &bc->v[i] : NULL;
}

/* Untrusted names (file paths, PT_INTERP strings) go into one-line messages: control
 * characters become '?'. */
static void add_printable(buf_t *b, const char *s)
{
	for (; s && *s; s++)
		buf_addch(b, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* The loader and libc.so.6 of abi (NULL: libc.so.6 alone, in the generic directories). */
static int has_libc(const basefs_t *base, const abi_t *abi, buf_t *why_not)
{
	static const char *const generic[] = {"lib64", "usr/lib64", "lib", "usr/lib"};
	buf_t dirs[6] = {BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT};
	buf_t path = BUF_INIT;
	size_t n = 0;
	int found = 0;
	if (abi && basefs_lookup(base, abi->loader, 1, NULL) != BASEFS_FILE) {
		if (why_not) {
			buf_setstr(why_not, "no ");
			buf_addstr(why_not, abi->loader);
		}
		return 0;
	}
	if (abi) {
		buf_addf(&dirs[n++], "lib/%s", abi->triplet);
		buf_addf(&dirs[n++], "usr/lib/%s", abi->triplet);
	}
	for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
		buf_addstr(&dirs[n++], generic[i]);
	for (size_t i = 0; i < n && !found; i++) {
		buf_setstr(&path, dirs[i].data);
		buf_addpath(&path, "libc.so.6");
		found = basefs_lookup(base, path.data, 1, NULL) == BASEFS_FILE;
	}
	if (!found && why_not) {
		buf_setstr(why_not, "no libc.so.6 in ");
		for (size_t i = 0; i < n; i++)
			buf_addf(why_not, "%s/%s", i ? ", " : "", dirs[i].data);
	}
	for (size_t i = 0; i < n; i++)
		buf_free(&dirs[i]);
	buf_free(&path);
	return found;
}

int basecheck_base_has_libc(const basefs_t *base, const char *oci_arch, buf_t *why_not)
{
	return has_libc(base, abi_for(oci_arch), why_not);
}

static int need_met(const basecheck_t *bc, const basefs_t *base, const basecheck_need_t *need,
		    buf_t *why_not)
{
	if (need->why == BASECHECK_GLIBC_DEP)
		return has_libc(base, bc->abi, why_not);
	if (basefs_lookup(base, need->what, 1, NULL) == BASEFS_FILE)
		return 1;
	if (why_not) {
		buf_setstr(why_not, "no ");
		add_printable(why_not, need->what);
	}
	return 0;
}

/* "package hello (bin/hello) needs the system loader /lib64/ld-linux-x86-64.so.2", or the
 * short form for the "also" list: "hello (bin/hello)". */
static void describe(buf_t *b, const basecheck_need_t *need, int is_short)
{
	if (!is_short)
		buf_addstr(b, "package ");
	buf_addstr(b, need->package);
	buf_addstr(b, " (");
	if (need->why == BASECHECK_GLIBC_DEP) {
		add_printable(b, need->what);
		buf_addstr(b, is_short ? ")" : ") depends on the system C library");
		return;
	}
	add_printable(b, need->file);
	if (need->n_files > 1)
		buf_addf(b, " and %zu more program%s", need->n_files - 1,
			 need->n_files > 2 ? "s" : "");
	buf_addstr(b, ")");
	if (!is_short) {
		buf_addstr(b, " needs the system loader ");
		add_printable(b, need->what);
	}
}

/* The first unmet need in full, then up to BASECHECK_MAX_NAMED - 1 more, then a count (one
 * need per package). */
static void describe_unmet(const basecheck_t *bc, const size_t *unmet, size_t n, buf_t *msg)
{
	describe(msg, &bc->v[unmet[0]], 0);
	if (n == 1)
		return;
	buf_addstr(msg, " (also: ");
	for (size_t k = 1; k < n && k < BASECHECK_MAX_NAMED; k++) {
		if (k > 1)
			buf_addstr(msg, ", ");
		describe(msg, &bc->v[unmet[k]], 1);
	}
	if (n > BASECHECK_MAX_NAMED)
		buf_addf(msg, " and %zu more", n - BASECHECK_MAX_NAMED);
	buf_addch(msg, ')');
}

/* Messages name each package once, by its first (most concrete) unmet need. */
static int is_named(const basecheck_t *bc, const size_t *unmet, size_t n, const char *package)
{
	for (size_t k = 0; k < n; k++)
		if (!strcmp(bc->v[unmet[k]].package, package))
			return 1;
	return 0;
}

int basecheck_verify(basecheck_t *bc, const basefs_t *base, const char *base_ref, int is_scratch,
		     log_fn log, void *log_ud, err_t *err)
{
	buf_t msg = BUF_INIT, why_not = BUF_INIT;
	size_t n_unmet = 0, *unmet;
	int rc = 0;
	if (is_scratch)
		base = NULL;
	sort_needs(bc);
	unmet = xcalloc(bc->n + 1, sizeof *unmet);
	for (size_t i = 0; i < bc->n; i++)
		if (!is_named(bc, unmet, n_unmet, bc->v[i].package) &&
		    (!base || !need_met(bc, base, &bc->v[i], n_unmet ? NULL : &why_not)))
			unmet[n_unmet++] = i;
	if (n_unmet == 0)
		goto out;
	describe_unmet(bc, unmet, n_unmet, &msg);
	if (is_scratch)
		log_msgf(log, log_ud,
			 "warning: scratch base: %s; the image has no system C library, so "
			 "these programs will not start in it",
			 msg.data);
	else if (!base)
		rc = err_set(err, "%s, which no base image provides", msg.data);
	else
		rc = err_set(err, "%s, which the base image %s does not have (%s)", msg.data,
			     base_ref ? base_ref : "(unnamed)", why_not.data);
	if (rc)
		err_set_hint(err, ERR_HINT_BASE_NEEDED);
out:
	free(unmet);
	buf_free(&msg);
	buf_free(&why_not);
	return rc;
}

/* ---- scanning a package as it streams (install_stream into a layer, issue 14 #1) ---- */

typedef struct found {
	char *rel, *interp;
	unsigned machine;
} found_t;

struct basecheck_scan {
	basecheck_t *bc;
	const pkgrec_t *pkg;
	entry_sink_t down;
	buf_t head; /* the current program's first BASECHECK_HEAD_BYTES */
	char *rel;  /* the current program, NULL when the current entry is not one */
	long long size;
	found_t *found;
	size_t n_found;
};

static int read_head(void *ud, uint64_t offset, void *dst, size_t len)
{
	const buf_t *h = ud;
	if (offset > h->len || len > h->len - offset)
		return -1; /* past the head: not read (basecheck.h) */
	memcpy(dst, h->data + offset, len);
	return 0;
}

/* The program that just ended, if it asks for a loader outside the prefix. */
static void scan_close_file(basecheck_scan_t *s)
{
	elfscan_info_t info;
	buf_t interp = BUF_INIT;
	if (s->rel &&
	    elfscan_parse(read_head, &s->head, (uint64_t)s->size, &info, &interp) ==
		    ELFSCAN_INTERP &&
	    !is_under_prefix(s->bc, interp.data)) {
		s->found = xrealloc(s->found, (s->n_found + 1) * sizeof *s->found);
		s->found[s->n_found++] = (found_t){s->rel, buf_detach(&interp), info.machine};
		s->rel = NULL;
	}
	free(s->rel);
	s->rel = NULL;
	buf_reset(&s->head);
	buf_free(&interp);
}

static int scan_entry(void *ud, entry_kind_t kind, const char *rel, unsigned mode, long long size,
		      const char *target, err_t *err)
{
	basecheck_scan_t *s = ud;
	scan_close_file(s);
	if (kind == ENTRY_FILE && (mode & 0111) && !is_library_name(rel)) {
		s->rel = xstrdup(rel);
		s->size = size;
	}
	return s->down.entry(s->down.ud, kind, rel, mode, size, target, err);
}

static int scan_data(void *ud, const void *p, size_t n, err_t *err)
{
	basecheck_scan_t *s = ud;
	if (s->rel && s->head.len < BASECHECK_HEAD_BYTES)
		buf_add(&s->head, p,
			n < BASECHECK_HEAD_BYTES - s->head.len
				? n
				: BASECHECK_HEAD_BYTES - s->head.len);
	return s->down.data(s->down.ud, p, n, err);
}

basecheck_scan_t *basecheck_scan_begin(basecheck_t *bc, const pkgrec_t *pkg,
				       const entry_sink_t *down)
{
	basecheck_scan_t *s = xcalloc(1, sizeof *s);
	s->bc = bc;
	s->pkg = pkg;
	s->down = *down;
	return s;
}

entry_sink_t basecheck_scan_sink(basecheck_scan_t *s)
{
	return (entry_sink_t){scan_entry, scan_data, s};
}

static int cmp_found(const void *a, const void *b)
{
	return strcmp(((const found_t *)a)->rel, ((const found_t *)b)->rel);
}

void basecheck_scan_end(basecheck_scan_t *s, int is_complete)
{
	basecheck_uses_t u = {.n = 0};
	buf_t path = BUF_INIT;
	if (!s)
		return;
	scan_close_file(s);
	if (is_complete) {
		/* path order, as scan_uses notes them: the program named first is the same */
		if (s->n_found)
			qsort(s->found, s->n_found, sizeof *s->found, cmp_found);
		for (size_t i = 0; i < s->n_found; i++)
			basecheck_uses_note(&u, s->found[i].machine, s->found[i].interp,
					    s->found[i].rel);
		basecheck_uses_add(s->bc, s->pkg->name, &u);
		if (s->bc->cache_dir && basecheck_cache_path(s->bc->cache_dir, s->pkg, &path) == 0)
			basecheck_cache_store(path.data, s->bc->prefix, &u);
	}
	for (size_t i = 0; i < s->n_found; i++) {
		free(s->found[i].rel);
		free(s->found[i].interp);
	}
	basecheck_uses_clear(&u);
	free(s->found);
	buf_free(&s->head);
	buf_free(&path);
	free(s);
}
