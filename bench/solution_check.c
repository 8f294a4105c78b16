/* solution_check.c — judges a solved environment without trusting any solver: each chosen
 * record is looked up in the channel's own repodata (by subdir/fn), and every requested spec,
 * every dependency and every constraint is checked with tests/unit/helpers/condaver (written
 * from conda's documented rules, sharing no code with imgbuild's matchspec.c or libsolv).
 * Used by bench/crosscheck.sh on imgbuild's and rattler's answers alike.
 *
 *   solution_check --solution FILE --channel DIR... [--virtual NAME=VERSION...] SPEC...
 * FILE: {"packages": [{"subdir": ..., "fn": ...}...]}. Prints "ok N" or one line per
 * violation; exit 0 = consistent, 1 = violations, 2 = usage/input error. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "condaver.h"

#define MAX_ITEMS 4096

typedef struct pkg {
	const char *name, *version, *build, *fn;
	json_t *rec;
} pkg_t;

static json_t *channels[16];
static size_t n_channels;

static json_t *load_repodata(const char *dir, const char *subdir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s/repodata.json", dir, subdir);
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		fprintf(stderr, "solution_check: %s: %s\n", path, e.text);
	return j;
}

static json_t *find_record(const char *subdir, const char *fn)
{
	for (size_t c = 0; c < n_channels; c++) {
		json_t *root = channels[c];
		json_t *sd = json_object_get(root, subdir);
		json_t *r = json_object_get(json_object_get(sd, "packages.conda"), fn);
		if (!r)
			r = json_object_get(json_object_get(sd, "packages"), fn);
		if (r)
			return r;
	}
	return NULL;
}

/* The name part of a request or dependency ("python=3.11", "numpy >=1", "ch::x"). */
static void spec_name(const char *spec, char *out, size_t cap)
{
	const char *s = strstr(spec, "::") ? strstr(spec, "::") + 2 : spec;
	size_t n = strcspn(s, " =<>!~[");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* "scipy   >=    1.5.0,  < 2.0.0" -> "scipy >=1.5.0,<2.0.0": conda drops blanks around
 * operators and commas in a request (micromamba's env-extra-white-space test relies on it). */
static void squeeze_request(const char *req, char *out, size_t cap)
{
	const char *ops = "<>=!~,|";
	size_t n = 0, len = strlen(req);
	out[0] = '\0';
	for (size_t i = 0; i < len && n + 1 < cap; i++) {
		if (req[i] == ' ') {
			size_t j = i;
			while (j < len && req[j] == ' ')
				j++;
			char prev = n ? out[n - 1] : ' ', next = j < len ? req[j] : ' ';
			int name_done = strcspn(out, " <>=!~") < n; /* the name has ended already */
			if ((name_done && (strchr(ops, prev) || strchr(ops, next))) ||
			    next == ' ' || j == len) {
				i = j - 1;
				continue;
			}
			out[n++] = ' ';
			i = j - 1;
			continue;
		}
		out[n++] = req[i];
		out[n] = '\0';
	}
	out[n] = '\0';
}

static const pkg_t *by_name(const pkg_t *pkgs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(pkgs[i].name, name))
			return &pkgs[i];
	return NULL;
}

static int check_deps(const pkg_t *pkgs, size_t n, const pkg_t *p, const char *key, int required)
{
	json_t *arr = json_object_get(p->rec, key), *d;
	size_t i;
	int bad = 0;
	json_array_foreach (arr, i, d) {
		const char *dep = json_string_value(d);
		char name[256];
		if (!dep || condaver_dep_name(dep, name, sizeof name) != 0) {
			printf("unreadable %s of %s: %s\n", key, p->fn, dep ? dep : "?");
			bad = 1;
			continue;
		}
		const pkg_t *q = by_name(pkgs, n, name);
		if (!q) {
			if (required) {
				printf("%s requires %s: no %s installed\n", p->fn, dep, name);
				bad = 1;
			}
			continue;
		}
		int m = condaver_dep_matches(dep, q->name, q->version, q->build);
		if (m != 1) {
			printf("%s %s %s: %s %s %s does not match%s\n", p->fn,
			       required ? "requires" : "constrains", dep, q->name, q->version,
			       q->build, m < 0 ? " (unreadable spec)" : "");
			bad = 1;
		}
	}
	return bad;
}

int main(int argc, char **argv)
{
	static pkg_t pkgs[MAX_ITEMS];
	const char *solution = NULL, *specs[MAX_ITEMS];
	size_t n = 0, n_specs = 0;
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--solution") && i + 1 < argc) {
			solution = argv[++i];
		} else if (!strcmp(argv[i], "--channel") && i + 1 < argc && n_channels < 16) {
			json_t *root = json_object();
			const char *dir = argv[++i];
			json_object_set_new(root, "linux-64", load_repodata(dir, "linux-64"));
			json_object_set_new(root, "noarch", load_repodata(dir, "noarch"));
			channels[n_channels++] = root;
		} else if (!strcmp(argv[i], "--virtual") && i + 1 < argc && n < MAX_ITEMS) {
			char *nv = argv[++i], *eq = strchr(nv, '=');
			if (!eq)
				return 2;
			*eq = '\0';
			json_t *rec = json_object();
			pkgs[n++] = (pkg_t){nv, eq + 1, "0", nv, rec};
		} else if (n_specs < MAX_ITEMS) {
			specs[n_specs++] = argv[i];
		}
	}
	if (!solution || !n_channels) {
		fprintf(stderr, "usage: solution_check --solution FILE --channel DIR... [--virtual "
				"N=V] SPEC...\n");
		return 2;
	}
	json_error_t e;
	json_t *sol = json_load_file(solution, 0, &e), *item;
	size_t i, n_virtual = n;
	if (!sol) {
		fprintf(stderr, "solution_check: %s: %s\n", solution, e.text);
		return 2;
	}
	json_array_foreach (json_object_get(sol, "packages"), i, item) {
		const char *sd = json_string_value(json_object_get(item, "subdir"));
		const char *fn = json_string_value(json_object_get(item, "fn"));
		json_t *rec = sd && fn ? find_record(sd, fn) : NULL;
		if (!rec) {
			printf("%s/%s: not a record of the channel\n", sd ? sd : "?",
			       fn ? fn : "?");
			bad = 1;
			continue;
		}
		if (n == MAX_ITEMS)
			return 2;
		pkgs[n++] = (pkg_t){json_string_value(json_object_get(rec, "name")),
				    json_string_value(json_object_get(rec, "version")),
				    json_string_value(json_object_get(rec, "build")), fn, rec};
	}
	for (size_t a = n_virtual; a < n; a++)
		for (size_t b = a + 1; b < n; b++)
			if (!strcmp(pkgs[a].name, pkgs[b].name)) {
				printf("two records of %s: %s and %s\n", pkgs[a].name, pkgs[a].fn,
				       pkgs[b].fn);
				bad = 1;
			}
	for (size_t s = 0; s < n_specs; s++) {
		char name[256];
		spec_name(specs[s], name, sizeof name);
		const pkg_t *p = by_name(pkgs, n, name);
		char req[1024];
		squeeze_request(strstr(specs[s], "::") ? strstr(specs[s], "::") + 2 : specs[s], req,
				sizeof req);
		int m = p ? condaver_request_matches(req, p->name, p->version, p->build) : 0;
		if (m != 1) {
			printf("requested %s: %s%s\n", specs[s],
			       p ? "chosen record does not match: " : "not installed",
			       p ? p->fn : "");
			bad = 1;
		}
	}
	for (size_t a = n_virtual; a < n; a++)
		bad |= check_deps(pkgs, n, &pkgs[a], "depends", 1) |
		       check_deps(pkgs, n, &pkgs[a], "constrains", 0);
	if (!bad)
		printf("ok %zu\n", n - n_virtual);
	return bad;
}
