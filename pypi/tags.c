/* tags.c — a target's marker environment and ranked wheel tags (see tags.h). The order is
 * the one pypa/packaging's cpython_tags() + compatible_tags() yield (what pip's sys_tags()
 * gives on such a machine); tests/fixtures/pytags holds lists generated with packaging
 * itself that the unit test compares against. Tag lookup is a binary search over a sorted
 * copy, since a resolver ranks every file of every candidate. */
#include "tags.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pypi_int.h"
#include "xalloc.h"

typedef struct tag_entry {
	const char *tag; /* borrowed from tags */
	size_t rank;
} tag_entry_t;

struct pypi_target {
	int major, minor;
	char *py_short, *py_full, *machine;
	pypi_marker_env_t env;
	pypi_strv_t tags;
	struct tag_entry *by_name; /* the tags sorted by string, for lookup */
};

/* Oldest glibc a manylinux tag is generated for: packaging's too_old_glibc2 + 1. */
static int min_glibc_minor(const char *machine)
{
	return !strcmp(machine, "x86_64") ? 5 : 17;
}

static const char *machine_of(const char *platform)
{
	static const char *const x86_64[] = {"linux-64", "linux/amd64", "x86_64", "amd64"};
	static const char *const aarch64[] = {"linux-aarch64", "linux/arm64", "linux/arm64/v8",
					      "aarch64", "arm64"};
	for (size_t i = 0; i < sizeof x86_64 / sizeof x86_64[0]; i++)
		if (!strcmp(platform, x86_64[i]))
			return "x86_64";
	for (size_t i = 0; i < sizeof aarch64 / sizeof aarch64[0]; i++)
		if (!strcmp(platform, aarch64[i]))
			return "aarch64";
	return NULL;
}

/* Reads "<major>.<minor>" at the start of s; the rest is anything. 0 or -1. */
static int read_major_minor(const char *s, int *major, int *minor, const char **rest)
{
	char *end;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	long a = strtol(s, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]) || a > 1000)
		return -1;
	long b = strtol(end + 1, &end, 10);
	if (b > 1000)
		return -1;
	*major = (int)a;
	*minor = (int)b;
	*rest = end;
	return 0;
}

/* manylinux_2_N from the glibc version down, PEP 600's legacy aliases after their glibc,
 * then linux_<arch>. */
static void linux_platforms(const char *machine, int glibc_minor, pypi_strv_t *out)
{
	buf_t b = BUF_INIT;
	for (int m = glibc_minor; m >= min_glibc_minor(machine); m--) {
		buf_reset(&b);
		buf_addf(&b, "manylinux_2_%d_%s", m, machine);
		pypi_strv_add(out, buf_cstr(&b));
		const char *legacy = m == 17   ? "manylinux2014"
				     : m == 12 ? "manylinux2010"
				     : m == 5  ? "manylinux1"
					       : NULL;
		if (legacy) {
			buf_reset(&b);
			buf_addf(&b, "%s_%s", legacy, machine);
			pypi_strv_add(out, buf_cstr(&b));
		}
	}
	buf_reset(&b);
	buf_addf(&b, "linux_%s", machine);
	pypi_strv_add(out, buf_cstr(&b));
	buf_free(&b);
}

static void add_tag(pypi_target_t *t, const char *py, const char *abi, const char *plat)
{
	buf_t b = BUF_INIT;
	buf_addf(&b, "%s-%s-%s", py, abi, plat);
	pypi_strv_push(&t->tags, buf_detach(&b));
}

static void add_for_platforms(pypi_target_t *t, const char *py, const char *abi,
			      const pypi_strv_t *plats)
{
	for (size_t i = 0; i < plats->n; i++)
		add_tag(t, py, abi, plats->v[i]);
}

static void build_tags(pypi_target_t *t, const pypi_strv_t *plats)
{
	buf_t interp = BUF_INIT, py = BUF_INIT;
	pypi_strv_t pys = PYPI_STRV_INIT;
	int abi3 = t->major > 3 || (t->major == 3 && t->minor >= 2);
	buf_addf(&interp, "cp%d%d", t->major, t->minor);
	/* cpython_tags(): the interpreter's own ABI, abi3, none, then older abi3 */
	add_for_platforms(t, buf_cstr(&interp), buf_cstr(&interp), plats);
	if (abi3)
		add_for_platforms(t, buf_cstr(&interp), "abi3", plats);
	add_for_platforms(t, buf_cstr(&interp), "none", plats);
	for (int m = t->minor - 1; abi3 && m > 1; m--) {
		buf_reset(&py);
		buf_addf(&py, "cp%d%d", t->major, m);
		add_for_platforms(t, buf_cstr(&py), "abi3", plats);
	}
	/* compatible_tags(): py3Y, py3, py3(Y-1) ... py30 with none-<platform>, then any */
	buf_reset(&py);
	buf_addf(&py, "py%d%d", t->major, t->minor);
	pypi_strv_add(&pys, buf_cstr(&py));
	buf_reset(&py);
	buf_addf(&py, "py%d", t->major);
	pypi_strv_add(&pys, buf_cstr(&py));
	for (int m = t->minor - 1; m >= 0; m--) {
		buf_reset(&py);
		buf_addf(&py, "py%d%d", t->major, m);
		pypi_strv_add(&pys, buf_cstr(&py));
	}
	for (size_t i = 0; i < pys.n; i++)
		add_for_platforms(t, pys.v[i], "none", plats);
	add_tag(t, buf_cstr(&interp), "none", "any");
	for (size_t i = 0; i < pys.n; i++)
		add_tag(t, pys.v[i], "none", "any");
	pypi_strv_free(&pys);
	buf_free(&interp);
	buf_free(&py);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const tag_entry_t *)a)->tag, ((const tag_entry_t *)b)->tag);
}

static void index_tags(pypi_target_t *t)
{
	t->by_name = xcalloc(t->tags.n ? t->tags.n : 1, sizeof *t->by_name);
	for (size_t i = 0; i < t->tags.n; i++) {
		t->by_name[i].tag = t->tags.v[i];
		t->by_name[i].rank = i;
	}
	qsort(t->by_name, t->tags.n, sizeof *t->by_name, cmp_entry);
}

static void fill_marker_env(pypi_target_t *t)
{
	t->env.os_name = "posix";
	t->env.sys_platform = "linux";
	t->env.platform_machine = t->machine;
	t->env.platform_python_implementation = "CPython";
	t->env.platform_release = ""; /* the image's kernel is not known at build time */
	t->env.platform_system = "Linux";
	t->env.platform_version = "";
	t->env.python_version = t->py_short;
	t->env.python_full_version = t->py_full;
	t->env.implementation_name = "cpython";
	t->env.implementation_version = t->py_full;
}

pypi_target_t *pypi_target_new(const char *python_version, const char *platform, const char *glibc,
			       err_t *err)
{
	pypi_target_t *t = xcalloc(1, sizeof *t);
	pypi_strv_t plats = PYPI_STRV_INIT;
	const char *py_rest, *g_rest, *machine = machine_of(platform);
	buf_t b = BUF_INIT;
	int gmaj, gmin;
	if (read_major_minor(python_version, &t->major, &t->minor, &py_rest) < 0 || t->major != 3) {
		err_set(err, "python %.100s: pip packages need CPython 3 ('3.X' or '3.X.Y')",
			python_version);
		goto fail;
	}
	if (!machine) {
		err_set(err,
			"platform %.100s: wheels are selected for linux x86_64 (linux-64) and "
			"aarch64 (linux-aarch64) only",
			platform);
		goto fail;
	}
	if (read_major_minor(glibc, &gmaj, &gmin, &g_rest) < 0 || *g_rest || gmaj != 2) {
		err_set(err, "glibc %.100s: expected a version 2.N", glibc);
		goto fail;
	}
	t->machine = xstrdup(machine);
	buf_addf(&b, "%d.%d", t->major, t->minor);
	t->py_short = buf_detach(&b);
	/* python_full_version is "X.Y.Z" as platform.python_version() gives it */
	buf_addf(&b, "%s%s", python_version, *py_rest ? "" : ".0");
	t->py_full = buf_detach(&b);
	fill_marker_env(t);
	linux_platforms(machine, gmin, &plats);
	build_tags(t, &plats);
	index_tags(t);
	pypi_strv_free(&plats);
	return t;
fail:
	pypi_target_free(t);
	return NULL;
}

void pypi_target_free(pypi_target_t *t)
{
	if (!t)
		return;
	free(t->py_short);
	free(t->py_full);
	free(t->machine);
	pypi_strv_free(&t->tags);
	free(t->by_name);
	free(t);
}

const pypi_marker_env_t *pypi_target_marker_env(const pypi_target_t *t)
{
	return &t->env;
}

const char *pypi_target_python_version(const pypi_target_t *t)
{
	return t->py_short;
}

const char *pypi_target_python_full_version(const pypi_target_t *t)
{
	return t->py_full;
}

const char *pypi_target_machine(const pypi_target_t *t)
{
	return t->machine;
}

size_t pypi_target_tag_count(const pypi_target_t *t)
{
	return t->tags.n;
}

const char *pypi_target_tag(const pypi_target_t *t, size_t i)
{
	return t->tags.v[i];
}

long pypi_target_tag_rank(const pypi_target_t *t, const char *tag)
{
	size_t lo = 0, hi = t->tags.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->by_name[mid].tag, tag);
		if (c == 0)
			return (long)t->by_name[mid].rank;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

long pypi_target_wheel_rank(const pypi_target_t *t, const pypi_distfile_t *f)
{
	long best = -1;
	for (size_t i = 0; i < pypi_distfile_tag_count(f); i++) {
		long r = pypi_target_tag_rank(t, pypi_distfile_tag(f, i));
		if (r >= 0 && (best < 0 || r < best))
			best = r;
	}
	return best;
}
