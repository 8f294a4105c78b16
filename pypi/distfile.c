/* distfile.c — wheel and sdist file names (see distfile.h). A wheel name has five or six
 * "-"-separated fields (the build tag starts with a digit); each tag field may be a
 * "."-joined set, expanded here into every python-abi-platform combination. */
#include "distfile.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pypi_int.h"
#include "pyname.h"
#include "xalloc.h"

#define DISTFILE_MAX_NAME 512
#define DISTFILE_MAX_TAGS 256 /* expanded combinations */

struct pypi_distfile {
	int is_wheel;
	char *name, *key, *build;
	pep440_ver_t *version;
	pypi_strv_t tags;
};

static const char *const sdist_suffixes[] = {".tar.gz", ".zip", ".tar.bz2",
					     ".tar.xz", ".tgz", ".tar"};

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcmp(s + n - k, suffix);
}

int pypi_distfile_has_wheel_suffix(const char *name)
{
	return has_suffix(name, ".whl");
}

static int set_name_version(pypi_distfile_t *f, const char *name, size_t name_len,
			    const char *version)
{
	buf_t key = BUF_INIT;
	if (!pypi_name_is_valid(name, name_len))
		return -1;
	f->name = xstrndup(name, name_len);
	pypi_name_normalize(name, name_len, &key);
	f->key = buf_detach(&key);
	f->version = pep440_ver_parse(version, NULL);
	return f->version ? 0 : -1;
}

/* Expands "py2.py3", "none", "any" into every python-abi-platform combination. */
static int expand_tags(pypi_distfile_t *f, char *py, char *abi, char *plat)
{
	size_t n_py = 1, n_abi = 1, n_plat = 1;
	for (char *p = py; *p; p++)
		n_py += *p == '.';
	for (char *p = abi; *p; p++)
		n_abi += *p == '.';
	for (char *p = plat; *p; p++)
		n_plat += *p == '.';
	if (n_py * n_abi * n_plat > DISTFILE_MAX_TAGS)
		return -1;
	for (const char *a = py; a; a = strchr(a, '.') ? strchr(a, '.') + 1 : NULL) {
		for (const char *b = abi; b; b = strchr(b, '.') ? strchr(b, '.') + 1 : NULL) {
			for (const char *c = plat; c;
			     c = strchr(c, '.') ? strchr(c, '.') + 1 : NULL) {
				buf_t t = BUF_INIT;
				size_t la = strcspn(a, "."), lb = strcspn(b, "."),
				       lc = strcspn(c, ".");
				if (!la || !lb || !lc)
					return -1;
				buf_addf(&t, "%.*s-%.*s-%.*s", (int)la, a, (int)lb, b, (int)lc, c);
				pypi_strv_push(&f->tags, buf_detach(&t));
			}
		}
	}
	return 0;
}

static int parse_wheel(pypi_distfile_t *f, const char *filename)
{
	char *stem = xstrndup(filename, strlen(filename) - 4), *field[7];
	size_t n = 0;
	int r = -1;
	for (char *p = stem; n < 7; n++) {
		field[n] = p;
		if (!(p = strchr(p, '-'))) {
			n++;
			break;
		}
		*p++ = 0;
	}
	if (n != 5 && n != 6)
		goto out;
	if (n == 6) {
		if (!isdigit((unsigned char)field[2][0]))
			goto out;
		f->build = xstrdup(field[2]);
	}
	f->is_wheel = 1;
	if (set_name_version(f, field[0], strlen(field[0]), field[1]) < 0 ||
	    expand_tags(f, field[n - 3], field[n - 2], field[n - 1]) < 0)
		goto out;
	r = 0;
out:
	free(stem);
	return r;
}

static int parse_sdist(pypi_distfile_t *f, const char *filename)
{
	for (size_t k = 0; k < sizeof sdist_suffixes / sizeof sdist_suffixes[0]; k++) {
		if (!has_suffix(filename, sdist_suffixes[k]))
			continue;
		size_t stem = strlen(filename) - strlen(sdist_suffixes[k]);
		const char *dash = NULL;
		for (size_t i = 0; i < stem; i++)
			dash = filename[i] == '-' ? filename + i : dash;
		if (!dash)
			return -1;
		char *version = xstrndup(dash + 1, stem - (size_t)(dash + 1 - filename));
		int r = set_name_version(f, filename, (size_t)(dash - filename), version);
		free(version);
		return r;
	}
	return -1;
}

pypi_distfile_t *pypi_distfile_parse(const char *filename, err_t *err)
{
	pypi_distfile_t *f = xcalloc(1, sizeof *f);
	int wheel = pypi_distfile_has_wheel_suffix(filename);
	if (strlen(filename) > DISTFILE_MAX_NAME || strchr(filename, '/') ||
	    (wheel ? parse_wheel(f, filename) : parse_sdist(f, filename)) < 0) {
		err_set(err, "'%.300s' is not a %s file name (%s)", filename,
			wheel ? "wheel" : "distribution",
			wheel ? "name-version[-build]-python-abi-platform.whl"
			      : "a wheel, or an sdist name-version.tar.gz / .zip");
		pypi_distfile_free(f);
		return NULL;
	}
	return f;
}

void pypi_distfile_free(pypi_distfile_t *f)
{
	if (!f)
		return;
	free(f->name);
	free(f->key);
	free(f->build);
	pep440_ver_free(f->version);
	pypi_strv_free(&f->tags);
	free(f);
}

int pypi_distfile_is_wheel(const pypi_distfile_t *f)
{
	return f->is_wheel;
}

const char *pypi_distfile_name(const pypi_distfile_t *f)
{
	return f->name;
}

const char *pypi_distfile_key(const pypi_distfile_t *f)
{
	return f->key;
}

const pep440_ver_t *pypi_distfile_version(const pypi_distfile_t *f)
{
	return f->version;
}

const char *pypi_distfile_build_tag(const pypi_distfile_t *f)
{
	return f->build;
}

size_t pypi_distfile_tag_count(const pypi_distfile_t *f)
{
	return f->tags.n;
}

const char *pypi_distfile_tag(const pypi_distfile_t *f, size_t i)
{
	return f->tags.v[i];
}
