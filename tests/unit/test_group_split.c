/* test_group_split.c — the size budget of layer groups (max_layer_bytes): large groups are
 * cut into name-ordered parts deterministically, budgets parse with units and per-group
 * overrides, and plans over the 127-layer limit (alone or with a base) are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "group.h"
#include "testutil.h"

typedef struct pkgset {
	pkgrec_t *p[200];
	size_t n;
} pkgset_t;

static void add(pkgset_t *s, const char *name, long long size)
{
	s->p[s->n++] = testutil_pkgrec(name, size);
}

static void pkgset_free(pkgset_t *s)
{
	for (size_t i = 0; i < s->n; i++)
		pkgrec_free(s->p[i]);
	s->n = 0;
}

static recipe_t *parse(const char *yaml)
{
	err_t err = ERR_INIT;
	recipe_t *r = recipe_parse("test.yaml", yaml, strlen(yaml), &err);
	if (!r)
		fail_msg("%s", err_msg(&err));
	return r;
}

static plan_t *plan_of(const recipe_t *r, pkgset_t *s)
{
	err_t err = ERR_INIT;
	plan_t *p = plan_new(r, (const pkgrec_t *const *)s->p, s->n, &err);
	if (!p)
		fail_msg("%s", err_msg(&err));
	return p;
}

/* "name:a,b|name2:c" */
static void render(const plan_t *p, pkgset_t *s, buf_t *out)
{
	buf_reset(out);
	for (size_t g = 0; g < plan_group_count(p); g++) {
		buf_addf(out, "%s%s:", g ? "|" : "", plan_group_name(p, g));
		for (size_t j = 0; j < plan_group_size(p, g); j++)
			buf_addf(out, "%s%s", j ? "," : "", s->p[plan_group_pkg(p, g, j)]->name);
	}
}

static void test_group_under_budget_keeps_its_name(void **state)
{
	(void)state;
	pkgset_t s = {0};
	buf_t b = BUF_INIT;
	add(&s, "a", 4), add(&s, "b", 4);
	recipe_t *r = parse("max_layer_bytes: 8\ngroups:\n  - {name: rest, rest: true}\n");
	plan_t *p = plan_of(r, &s);
	render(p, &s, &b);
	assert_string_equal(b.data, "rest:a,b");
	assert_int_equal(plan_group_est_bytes(p, 0), 8);
	plan_free(p), recipe_free(r), pkgset_free(&s), buf_free(&b);
}

static void test_group_over_budget_is_cut_greedily_in_name_order(void **state)
{
	(void)state;
	pkgset_t s = {0};
	buf_t b = BUF_INIT;
	add(&s, "d", 1), add(&s, "b", 4), add(&s, "c", 4), add(&s, "a", 4), add(&s, "e", 9);
	recipe_t *r = parse("max_layer_bytes: 8\ngroups:\n  - {name: rest, rest: true}\n");
	plan_t *p = plan_of(r, &s);
	render(p, &s, &b);
	/* e (9) is above the budget: a part of its own */
	assert_string_equal(b.data, "rest-1:a,b|rest-2:c,d|rest-3:e");
	assert_int_equal(plan_group_est_bytes(p, 1), 5);
	assert_string_equal(plan_group_description(p, 2), "");
	plan_free(p), recipe_free(r), pkgset_free(&s), buf_free(&b);
}

static void test_split_does_not_depend_on_input_order(void **state)
{
	(void)state;
	pkgset_t s = {0}, t = {0};
	buf_t b1 = BUF_INIT, b2 = BUF_INIT;
	char name[16];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "pkg%02d", i);
		add(&s, name, 100 + (i * 37) % 300);
	}
	for (int i = 39; i >= 0; i--) {
		snprintf(name, sizeof name, "pkg%02d", (i * 7) % 40);
		add(&t, name, 100 + (((i * 7) % 40) * 37) % 300);
	}
	recipe_t *r = parse("max_layer_bytes: 1000\ngroups:\n  - {name: rest, rest: true}\n");
	plan_t *p1 = plan_of(r, &s), *p2 = plan_of(r, &t);
	render(p1, &s, &b1);
	render(p2, &t, &b2);
	assert_true(plan_group_count(p1) > 5);
	assert_string_equal(b1.data, b2.data);
	plan_free(p1), plan_free(p2), recipe_free(r), pkgset_free(&s), pkgset_free(&t);
	buf_free(&b1), buf_free(&b2);
}

static void test_group_budget_overrides_recipe_budget(void **state)
{
	(void)state;
	pkgset_t s = {0};
	buf_t b = BUF_INIT;
	add(&s, "big1", 3), add(&s, "big2", 3), add(&s, "x", 3), add(&s, "y", 3);
	recipe_t *r = parse("max_layer_bytes: 100\ngroups:\n"
			    "  - {name: big, match: ['big*'], max_layer_bytes: 5}\n"
			    "  - {name: rest, rest: true}\n");
	plan_t *p = plan_of(r, &s);
	render(p, &s, &b);
	assert_string_equal(b.data, "big-1:big1|big-2:big2|rest:x,y");
	plan_free(p), recipe_free(r), pkgset_free(&s), buf_free(&b);
}

static void test_default_budget_is_two_gib(void **state)
{
	(void)state;
	pkgset_t s = {0};
	buf_t b = BUF_INIT;
	add(&s, "a", 1LL << 30), add(&s, "b", 1LL << 30), add(&s, "c", 1);
	recipe_t *r = parse("groups:\n  - {name: rest, rest: true}\n");
	plan_t *p = plan_of(r, &s);
	render(p, &s, &b);
	assert_string_equal(b.data, "rest-1:a,b|rest-2:c");
	plan_free(p), recipe_free(r), pkgset_free(&s), buf_free(&b);
}

static void test_budget_units_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		long long bytes;
	} cases[] = {{"3", 3},
		     {"3B", 3},
		     {"2KB", 2000},
		     {"2 MiB", 2LL << 20},
		     {"1GiB", 1LL << 30},
		     {"5GB", 5000000000LL}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pkgset_t s = {0};
		buf_t y = BUF_INIT;
		add(&s, "a", cases[i].bytes), add(&s, "b", 1);
		buf_addf(&y, "max_layer_bytes: %s\ngroups:\n  - {name: rest, rest: true}\n",
			 cases[i].text);
		recipe_t *r = parse(y.data);
		plan_t *p = plan_of(r, &s);
		assert_int_equal(plan_group_count(p),
				 2); /* a fills the budget exactly; b goes next */
		plan_free(p), recipe_free(r), pkgset_free(&s), buf_free(&y);
	}
}

static void test_bad_budget_names_file_and_line(void **state)
{
	(void)state;
	static const char *const bad[] = {"0", "-5", "2XB", "lots", "1.5GiB", "99999999999TiB"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf_t y = BUF_INIT;
		err_t err = ERR_INIT;
		buf_addf(&y, "groups:\n  - name: rest\n    rest: true\n    max_layer_bytes: %s\n",
			 bad[i]);
		assert_null(recipe_parse("test.yaml", y.data, y.len, &err));
		assert_non_null(strstr(err_msg(&err),
				       "test.yaml:4: `max_layer_bytes` must be a positive size"));
		err_clear(&err), buf_free(&y);
	}
}

/* Issue 10 #12: repodata sizes near INT64_MAX made the running estimate overflow (signed
 * overflow, caught by UBSan; wrapped, the huge second package joined the first's part). The
 * sum saturates: each huge package is a part of its own and the estimate reads INT64_MAX. */
static void test_sizes_near_int64_max_saturate_instead_of_overflowing(void **state)
{
	(void)state;
	pkgset_t s = {0};
	buf_t b = BUF_INIT;
	add(&s, "a", LLONG_MAX - 1), add(&s, "b", LLONG_MAX / 2 + 2), add(&s, "c", LLONG_MAX);
	recipe_t *r = parse("groups:\n  - {name: rest, rest: true}\n");
	plan_t *p = plan_of(r, &s);
	render(p, &s, &b);
	assert_string_equal(b.data, "rest-1:a|rest-2:b|rest-3:c");
	assert_true(plan_group_est_bytes(p, 0) == LLONG_MAX - 1);
	plan_free(p), recipe_free(r), pkgset_free(&s), buf_free(&b);
}

static void test_more_than_127_layers_is_refused(void **state)
{
	(void)state;
	pkgset_t s = {0};
	err_t err = ERR_INIT;
	char name[16];
	for (int i = 0; i < 128; i++) {
		snprintf(name, sizeof name, "p%03d", i);
		add(&s, name, 10);
	}
	recipe_t *r = parse("max_layer_bytes: 10\ngroups:\n  - {name: rest, rest: true}\n");
	assert_null(plan_new(r, (const pkgrec_t *const *)s.p, s.n, &err));
	assert_non_null(strstr(err_msg(&err), "128 layers"));
	assert_non_null(strstr(err_msg(&err), "max_layer_bytes"));
	err_clear(&err);
	s.n--;
	pkgrec_free(s.p[s.n]);
	plan_t *p = plan_of(r, &s); /* 127: fits alone */
	assert_int_equal(plan_check_layer_limit(p, 0, &err), 0);
	assert_int_equal(plan_check_layer_limit(p, 1, &err), -1);
	assert_non_null(strstr(err_msg(&err),
			       "128 layers (1 from the base image, 127 from the layer plan)"));
	err_clear(&err);
	plan_free(p), recipe_free(r), pkgset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_under_budget_keeps_its_name),
		cmocka_unit_test(test_group_over_budget_is_cut_greedily_in_name_order),
		cmocka_unit_test(test_split_does_not_depend_on_input_order),
		cmocka_unit_test(test_group_budget_overrides_recipe_budget),
		cmocka_unit_test(test_default_budget_is_two_gib),
		cmocka_unit_test(test_budget_units_parse),
		cmocka_unit_test(test_bad_budget_names_file_and_line),
		cmocka_unit_test(test_sizes_near_int64_max_saturate_instead_of_overflowing),
		cmocka_unit_test(test_more_than_127_layers_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
