/* test_pypi_pep440.c — pypi/pep440.c against the examples of the "Version specifiers"
 * specification (packaging.python.org/specifications/version-specifiers, PEP 440): its
 * normalisation rules, its ordering example, its compatible-release, version-matching and
 * exclusive-comparison examples and its pre-release rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "pep440.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static pep440_ver_t *ver(const char *s)
{
	err_t err = ERR_INIT;
	pep440_ver_t *v = pep440_ver_parse(s, &err);
	if (!v)
		fail_msg("'%s' should parse: %s", s, err_msg(&err));
	return v;
}

static pep440_spec_t *spec(const char *s)
{
	err_t err = ERR_INIT;
	pep440_spec_t *p = pep440_spec_parse(s, &err);
	if (!p)
		fail_msg("'%s' should parse: %s", s, err_msg(&err));
	return p;
}

/* "Normalization" section: every permitted spelling and the form it normalises to. */
static void test_permitted_spellings_normalise_as_the_specification_lists(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"1.1RC1", "1.1rc1"}, /* case sensitivity */
		{"00", "0"},          /* integer normalisation */
		{"09000", "9000"},
		{"1.0+foo0100", "1.0+foo0100"}, /* alphanumeric local segments keep their zeros */
		{"1.1.a1", "1.1a1"},            /* pre-release separators */
		{"1.1-a1", "1.1a1"},
		{"1.0a.1", "1.0a1"},
		{"1.1alpha1", "1.1a1"}, /* pre-release spelling */
		{"1.1beta2", "1.1b2"},
		{"1.1c3", "1.1rc3"},
		{"1.1pre4", "1.1rc4"},
		{"1.1preview5", "1.1rc5"},
		{"1.2a", "1.2a0"},          /* implicit pre-release number */
		{"1.2-post2", "1.2.post2"}, /* post-release separators */
		{"1.2post2", "1.2.post2"},
		{"1.2.post.2", "1.2.post2"},
		{"1.2-post-2", "1.2.post2"},
		{"1.0-r4", "1.0.post4"}, /* post-release spelling */
		{"1.0-rev4", "1.0.post4"},
		{"1.2.post", "1.2.post0"}, /* implicit post-release number */
		{"1.0-1", "1.0.post1"},    /* implicit post releases */
		{"1.2-dev2", "1.2.dev2"},  /* development release separators */
		{"1.2dev2", "1.2.dev2"},
		{"1.2.dev", "1.2.dev0"},          /* implicit development release number */
		{"1.0+ubuntu-1", "1.0+ubuntu.1"}, /* local version segments */
		{"1.0+ubuntu_1", "1.0+ubuntu.1"},
		{"v1.0", "1.0"},     /* preceding v character */
		{"   1.0\n", "1.0"}, /* leading and trailing white space */
		{"1!2.0", "1!2.0"},
		{"0!1.0", "1.0"},
		{"1.0RC1.POST2.DEV3+Local.1", "1.0rc1.post2.dev3+local.1"},
		{"1.0+01", "1.0+1"}, /* numeric local segments compare as numbers */
	};
	for (size_t i = 0; i < N_OF(cases); i++) {
		pep440_ver_t *v = ver(cases[i][0]);
		if (strcmp(pep440_ver_str(v), cases[i][1]))
			fail_msg("'%s' normalised to '%s', want '%s'", cases[i][0],
				 pep440_ver_str(v), cases[i][1]);
		pep440_ver_free(v);
	}
}

static void test_invalid_versions_are_refused_naming_the_text(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"french toast",
		"1.0-",
		"1.0+",
		"1.0+a+",
		"1.0++",
		"1.0+_foobar",
		"1.0+foo&asd",
		"1.0+1+1",
		"1.",
		".1",
		"1..0",
		"1.0a1b1",
		"1!",
		"!1.0",
		"1.0 dev",
		"99999999999999999999999",
	};
	for (size_t i = 0; i < N_OF(bad); i++) {
		err_t err = ERR_INIT;
		pep440_ver_t *v = pep440_ver_parse(bad[i], &err);
		if (v)
			fail_msg("'%s' parsed as '%s'", bad[i], pep440_ver_str(v));
		assert_non_null(strstr(err_msg(&err), "not a valid version"));
		err_clear(&err);
	}
}

/* The specification's "Summary of permitted suffixes and relative ordering" example, with
 * the epoch example ahead of it; every version sorts strictly before the next. */
static void test_ordering_follows_the_specification_example(void **state)
{
	(void)state;
	static const char *const order[] = {
		"1.dev0",
		"1.0.dev456",
		"1.0a1",
		"1.0a2.dev456",
		"1.0a12.dev456",
		"1.0a12",
		"1.0b1.dev456",
		"1.0b2",
		"1.0b2.post345.dev456",
		"1.0b2.post345",
		"1.0rc1.dev456",
		"1.0rc1",
		"1.0",
		"1.0+abc.5",
		"1.0+abc.7",
		"1.0+5",
		"1.0.post456.dev34",
		"1.0.post456",
		"1.0.15",
		"1.1.dev1",
		"2013.10",
		"2014.04",
		"1!1.0",
		"1!1.1",
		"1!2.0",
	};
	for (size_t i = 0; i + 1 < N_OF(order); i++) {
		for (size_t j = i + 1; j < N_OF(order); j++) {
			pep440_ver_t *a = ver(order[i]), *b = ver(order[j]);
			if (pep440_ver_cmp(a, b) >= 0 || pep440_ver_cmp(b, a) <= 0)
				fail_msg("'%s' should sort before '%s'", order[i], order[j]);
			pep440_ver_free(a);
			pep440_ver_free(b);
		}
	}
}

static void test_release_segments_are_zero_padded_for_comparison(void **state)
{
	(void)state;
	static const char *const equal[][2] = {
		{"1.0", "1.0.0"},
		{"1", "1.0.0.0"},
		{"1.0a1", "1.0.0a1"},
		{"0!1.0", "1.0"},
		{"1.0+ubuntu-1", "1.0+ubuntu.1"},
		{"1.0+01", "1.0+1"},
		{"1.1RC1", "1.1c1"},
	};
	for (size_t i = 0; i < N_OF(equal); i++) {
		pep440_ver_t *a = ver(equal[i][0]), *b = ver(equal[i][1]);
		if (pep440_ver_cmp(a, b) != 0)
			fail_msg("'%s' should equal '%s'", equal[i][0], equal[i][1]);
		pep440_ver_free(a);
		pep440_ver_free(b);
	}
}

static void test_prerelease_and_postrelease_predicates(void **state)
{
	(void)state;
	static const struct {
		const char *v;
		int pre, post, local;
	} cases[] = {
		{"1.0", 0, 0, 0},          {"1.0a1", 1, 0, 0},
		{"1.0.dev1", 1, 0, 0},     {"1.0.post1.dev1", 1, 1, 0},
		{"1.0rc1.post1", 1, 1, 0}, {"1.0.post1", 0, 1, 0},
		{"1.0+cu118", 0, 0, 1},
	};
	for (size_t i = 0; i < N_OF(cases); i++) {
		pep440_ver_t *v = ver(cases[i].v);
		if (pep440_ver_is_prerelease(v) != cases[i].pre ||
		    pep440_ver_is_postrelease(v) != cases[i].post ||
		    pep440_ver_has_local(v) != cases[i].local)
			fail_msg("predicates of '%s' wrong", cases[i].v);
		pep440_ver_free(v);
	}
}

typedef struct {
	const char *spec, *version;
	pep440_pre_t pre;
	int expect;
} contains_case_t;

static const contains_case_t contains_cases[] = {
	/* Compatible release: "~= 2.2" is ">= 2.2, == 2.*" and so on for each example. */
	{"~= 2.2", "2.2", PEP440_PRE_IMPLICIT, 1},
	{"~= 2.2", "2.9.1", PEP440_PRE_IMPLICIT, 1},
	{"~= 2.2", "3.0", PEP440_PRE_IMPLICIT, 0},
	{"~= 2.2", "2.1", PEP440_PRE_IMPLICIT, 0},
	{"~= 1.4.5", "1.4.5", PEP440_PRE_IMPLICIT, 1},
	{"~= 1.4.5", "1.4.99", PEP440_PRE_IMPLICIT, 1},
	{"~= 1.4.5", "1.5.0", PEP440_PRE_IMPLICIT, 0},
	{"~= 2.2.post3", "2.2.post3", PEP440_PRE_IMPLICIT, 1},
	{"~= 2.2.post3", "2.2", PEP440_PRE_IMPLICIT, 0},
	{"~= 2.2.post3", "2.5", PEP440_PRE_IMPLICIT, 1},
	{"~= 2.2.post3", "3.0", PEP440_PRE_IMPLICIT, 0},
	{"~= 1.4.5a4", "1.4.5a4", PEP440_PRE_IMPLICIT, 1}, /* names a pre-release: admits them */
	{"~= 1.4.5a4", "1.4.5", PEP440_PRE_IMPLICIT, 1},
	{"~= 1.4.5a4", "1.4.6a1", PEP440_PRE_IMPLICIT, 1},
	{"~= 1.4.5a4", "1.5", PEP440_PRE_IMPLICIT, 0},
	{"~= 2.2.0", "2.2.9", PEP440_PRE_IMPLICIT, 1},
	{"~= 2.2.0", "2.3", PEP440_PRE_IMPLICIT, 0},
	{"~= 1.4.5.0", "1.4.5.7", PEP440_PRE_IMPLICIT, 1},
	{"~= 1.4.5.0", "1.4.6", PEP440_PRE_IMPLICIT, 0},
	/* Version matching, "given version 1.1.post1" */
	{"== 1.1", "1.1.post1", PEP440_PRE_IMPLICIT, 0},
	{"== 1.1.post1", "1.1.post1", PEP440_PRE_IMPLICIT, 1},
	{"== 1.1.*", "1.1.post1", PEP440_PRE_IMPLICIT, 1},
	/* "given the version 1.1a1": the prefix match needs pre-releases requested */
	{"== 1.1", "1.1a1", PEP440_PRE_ALLOW, 0},
	{"== 1.1a1", "1.1a1", PEP440_PRE_IMPLICIT, 1},
	{"== 1.1.*", "1.1a1", PEP440_PRE_ALLOW, 1},
	{"== 1.1.*", "1.1a1", PEP440_PRE_IMPLICIT, 0},
	/* "given the version 1.1" */
	{"== 1.1", "1.1", PEP440_PRE_IMPLICIT, 1},
	{"== 1.1.0", "1.1", PEP440_PRE_IMPLICIT, 1},
	{"== 1.1.dev1", "1.1", PEP440_PRE_IMPLICIT, 0},
	{"== 1.1a1", "1.1", PEP440_PRE_IMPLICIT, 0},
	{"== 1.1.post1", "1.1", PEP440_PRE_IMPLICIT, 0},
	{"== 1.1.*", "1.1", PEP440_PRE_IMPLICIT, 1},
	{"==1.2.*", "1.2", PEP440_PRE_IMPLICIT, 1},
	{"==1.2.*", "1.20", PEP440_PRE_IMPLICIT, 0},
	{"==1.2.*", "1.3", PEP440_PRE_IMPLICIT, 0},
	{"==2.*", "2.7.1+local", PEP440_PRE_IMPLICIT, 1},
	{"==1!1.*", "1.1", PEP440_PRE_IMPLICIT, 0},
	/* local versions: a public specifier ignores the candidate's local label */
	{"==1.0", "1.0+cu118", PEP440_PRE_IMPLICIT, 1},
	{"==1.0+cu118", "1.0+cu118", PEP440_PRE_IMPLICIT, 1},
	{"==1.0+cu118", "1.0+cu121", PEP440_PRE_IMPLICIT, 0},
	{"==1.0+cu118", "1.0", PEP440_PRE_IMPLICIT, 0},
	{"!=1.0", "1.0+cu118", PEP440_PRE_IMPLICIT, 0},
	{"!=1.1.*", "1.1.5", PEP440_PRE_IMPLICIT, 0},
	{"!=1.1.*", "1.2", PEP440_PRE_IMPLICIT, 1},
	{"<=1.0", "1.0+local", PEP440_PRE_IMPLICIT, 1},
	{">=1.0", "1.0+local", PEP440_PRE_IMPLICIT, 1},
	/* Exclusive ordered comparison: ">1.7" allows 1.7.1 but not 1.7.0.post1, and
	 * ">1.7.post2" allows 1.7.1 and 1.7.0.post3 but not 1.7.0 */
	{">1.7", "1.7.1", PEP440_PRE_IMPLICIT, 1},
	{">1.7", "1.7.0.post1", PEP440_PRE_IMPLICIT, 0},
	{">1.7.post2", "1.7.1", PEP440_PRE_IMPLICIT, 1},
	{">1.7.post2", "1.7.0.post3", PEP440_PRE_IMPLICIT, 1},
	{">1.7.post2", "1.7.0", PEP440_PRE_IMPLICIT, 0},
	{">1.7", "1.7+local", PEP440_PRE_IMPLICIT,
	 0}, /* ">V MUST NOT match a local version of V" */
	{">1.7", "1.8+local", PEP440_PRE_IMPLICIT, 1},
	/* "<V MUST NOT allow a pre-release of the specified version unless V is one" */
	{"<3.1", "3.1.dev0", PEP440_PRE_ALLOW, 0},
	{"<3.1", "3.1rc1", PEP440_PRE_ALLOW, 0},
	{"<3.1", "3.0rc1", PEP440_PRE_ALLOW, 1},
	{"<3.1", "3.0.9", PEP440_PRE_IMPLICIT, 1},
	{"<3.1rc1", "3.1b1", PEP440_PRE_IMPLICIT, 0}, /* "<" naming a pre-release admits none */
	{"<3.1rc1", "3.1b1", PEP440_PRE_ALLOW, 1},
	/* Pre-releases are excluded unless requested or named by an inclusive clause */
	{">=1.0", "2.0a1", PEP440_PRE_IMPLICIT, 0},
	{">=1.0", "2.0a1", PEP440_PRE_ALLOW, 1},
	{">=1.0b1", "2.0a1", PEP440_PRE_IMPLICIT, 1},
	{">=1.0,!=2.0a1", "2.0a2", PEP440_PRE_IMPLICIT, 0},
	{"", "2.0a1", PEP440_PRE_IMPLICIT, 0},
	{"", "2.0", PEP440_PRE_IMPLICIT, 1},
	/* Arbitrary equality: string equality of the normalised version, no padding */
	{"===1.0", "1.0", PEP440_PRE_IMPLICIT, 1},
	{"===1.0", "1.0.0", PEP440_PRE_IMPLICIT, 0},
	{"===1.0", "1.0+local", PEP440_PRE_IMPLICIT, 0},
	/* sets: every clause must hold */
	{">=1.0,<2.0,!=1.5", "1.5", PEP440_PRE_IMPLICIT, 0},
	{">=1.0, <2.0 , !=1.5", "1.6", PEP440_PRE_IMPLICIT, 1},
	{">=1.0, !=1.3.4.*, <2.0", "1.3.4.1", PEP440_PRE_IMPLICIT, 0},
	{">=1.0, !=1.3.4.*, <2.0", "1.3.5", PEP440_PRE_IMPLICIT, 1},
	/* the specification's syntax example: ~=0.9 is ==0.*, so nothing >=1.0 is in it */
	{"~=0.9, >=1.0, !=1.3.4.*, <2.0", "1.3.5", PEP440_PRE_IMPLICIT, 0},
};

static void test_specifier_examples_match_as_the_specification_says(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_OF(contains_cases); i++) {
		const contains_case_t *c = &contains_cases[i];
		pep440_spec_t *s = spec(c->spec);
		pep440_ver_t *v = ver(c->version);
		int got = pep440_spec_contains(s, v, c->pre);
		if (got != c->expect)
			fail_msg("'%s' contains '%s' (pre %s): got %d, want %d", c->spec,
				 c->version, c->pre == PEP440_PRE_ALLOW ? "allowed" : "implicit",
				 got, c->expect);
		pep440_spec_free(s);
		pep440_ver_free(v);
	}
}

static void test_invalid_specifiers_say_what_is_wrong(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"~=1", "two release segments"},
		{"~=1.0+local", "local version"},
		{"<=1.0.*", "only allowed with == and !="},
		{">=1.0+local", "local version"},
		{"==1.0a1.*", "wildcard may only follow a release"},
		{"==1.0.*+x", "not a PEP 440 version"},
		{"1.0", "missing operator"},
		{">=", "missing version"},
		{"==foo", "not a PEP 440 version"},
		{"=== a b", "one word"},
	};
	for (size_t i = 0; i < N_OF(cases); i++) {
		err_t err = ERR_INIT;
		pep440_spec_t *s = pep440_spec_parse(cases[i][0], &err);
		if (s)
			fail_msg("'%s' parsed", cases[i][0]);
		if (!strstr(err_msg(&err), cases[i][1]))
			fail_msg("'%s': message '%s' lacks '%s'", cases[i][0], err_msg(&err),
				 cases[i][1]);
		err_clear(&err);
	}
}

static void test_specifier_string_is_normalised_and_round_trips(void **state)
{
	(void)state;
	pep440_spec_t *s = spec(" >= 1.0 , != 1.5.* ,<2.0RC1 ");
	assert_string_equal(pep440_spec_str(s), ">=1.0,!=1.5.*,<2.0rc1");
	assert_int_equal(pep440_spec_count(s), 3);
	pep440_spec_t *d = pep440_spec_dup(s);
	pep440_spec_free(s);
	assert_string_equal(pep440_spec_str(d), ">=1.0,!=1.5.*,<2.0rc1");
	pep440_spec_free(d);
	s = spec(">=3.6, ,<4,"); /* empty clauses are skipped, as packaging does */
	assert_string_equal(pep440_spec_str(s), ">=3.6,<4");
	pep440_spec_free(s);
	s = spec("");
	assert_string_equal(pep440_spec_str(s), "");
	assert_int_equal(pep440_spec_count(s), 0);
	pep440_spec_free(s);
}

static void test_pinned_means_exact_equality(void **state)
{
	(void)state;
	static const struct {
		const char *spec;
		int pinned;
	} cases[] = {{"==1.0", 1}, {"===1.0", 1}, {">=1.0,==1.2", 1}, {"==1.*", 0}, {">=1.0", 0},
		     {"~=1.0", 0}, {"", 0}};
	for (size_t i = 0; i < N_OF(cases); i++) {
		pep440_spec_t *s = spec(cases[i].spec);
		if (pep440_spec_is_pinned(s) != cases[i].pinned)
			fail_msg("'%s' pinned should be %d", cases[i].spec, cases[i].pinned);
		pep440_spec_free(s);
	}
}

/* "...or if the only available version that satisfies the version specifier is a
 * pre-release" (the pre-release rule as a filter over the available versions). */
static void test_filter_falls_back_to_prereleases_only_when_no_final_release_matches(void **state)
{
	(void)state;
	const char *avail[] = {"1.0", "2.0a1", "2.0b2"};
	pep440_ver_t *v[3];
	unsigned char keep[3];
	for (int i = 0; i < 3; i++)
		v[i] = ver(avail[i]);
	pep440_spec_t *any = spec(">=0.5"), *two = spec(">=2.0.dev0,<3"),
		      *two_final = spec(">1.0,<3");
	assert_int_equal(pep440_spec_filter(any, (const pep440_ver_t *const *)v, 3,
					    PEP440_PRE_IMPLICIT, keep),
			 1);
	assert_true(keep[0] && !keep[1] && !keep[2]);
	assert_int_equal(
		pep440_spec_filter(any, (const pep440_ver_t *const *)v, 3, PEP440_PRE_ALLOW, keep),
		3);
	/* the clause names a pre-release: pre-releases are in */
	assert_int_equal(pep440_spec_filter(two, (const pep440_ver_t *const *)v, 3,
					    PEP440_PRE_IMPLICIT, keep),
			 2);
	/* ">1.0,<3": no final release matches, so the matching pre-releases are used */
	assert_int_equal(pep440_spec_filter(two_final, (const pep440_ver_t *const *)v, 3,
					    PEP440_PRE_IMPLICIT, keep),
			 2);
	assert_true(!keep[0] && keep[1] && keep[2]);
	pep440_spec_free(any);
	pep440_spec_free(two);
	pep440_spec_free(two_final);
	for (int i = 0; i < 3; i++)
		pep440_ver_free(v[i]);
}

static void test_free_null_is_noop(void **state)
{
	(void)state;
	pep440_ver_free(NULL);
	pep440_spec_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permitted_spellings_normalise_as_the_specification_lists),
		cmocka_unit_test(test_invalid_versions_are_refused_naming_the_text),
		cmocka_unit_test(test_ordering_follows_the_specification_example),
		cmocka_unit_test(test_release_segments_are_zero_padded_for_comparison),
		cmocka_unit_test(test_prerelease_and_postrelease_predicates),
		cmocka_unit_test(test_specifier_examples_match_as_the_specification_says),
		cmocka_unit_test(test_invalid_specifiers_say_what_is_wrong),
		cmocka_unit_test(test_specifier_string_is_normalised_and_round_trips),
		cmocka_unit_test(test_pinned_means_exact_equality),
		cmocka_unit_test(
			test_filter_falls_back_to_prereleases_only_when_no_final_release_matches),
		cmocka_unit_test(test_free_null_is_noop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
