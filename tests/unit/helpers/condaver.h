/* condaver.h — a small, independent conda version / dependency-spec checker used only by tests
 * to verify solver output without trusting libsolv: conda version ordering (epochs, '.', '_',
 * '-' separators, number/letter runs, dev < a < rc < release < post) and spec matching
 * (==, !=, >=, <=, >, <, ~=, 1.2.*, `,` and, `|` or, build-string globs). Written from conda's
 * documented rules, deliberately not sharing code with conda/matchspec.c. */
#ifndef IMGBUILD_TEST_CONDAVER_H
#define IMGBUILD_TEST_CONDAVER_H

/* <0, 0, >0 as a is older, equal, newer than b (conda ordering: 1.0 == 1.0.0). */
int condaver_cmp(const char *a, const char *b);

/* 1 if version satisfies the version spec (as written in a dependency string, where a bare
 * "1.2" means exactly 1.2 and "1.2.*" a prefix), 0 if not, -1 if the spec is unreadable. */
int condaver_version_matches(const char *spec, const char *version);

/* Dependency string "name [version-spec [build-glob]]". Name into name_out (size cap),
 * returns 0 or -1 when unreadable. */
int condaver_dep_name(const char *dep, char *name_out, unsigned cap);

/* 1 if the package (name, version, build) satisfies the dependency string, 0 if not (also when
 * the names differ), -1 if the string is unreadable. */
int condaver_dep_matches(const char *dep, const char *name, const char *version, const char *build);

/* Same for a user request in environment.yml style: "python=3.12" (= prefix), "x=1.2=*mkl",
 * "x >=1", "x". */
int condaver_request_matches(const char *req, const char *name, const char *version,
			     const char *build);

#endif
