/* test_spread.c — `build --layers` group names (builder/spread.c): a recipe group selects all
 * its parts, a part selects itself, an unknown name is an error naming the recipe's groups, a
 * group without packages is only a note, and the flag checks refuse what --layers cannot do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "group.h"
#include "testutil.h"
#include "spread.h"

#define RECIPE                                                                                     \
	"groups:\n"                                                                                \
	"  - {name: base, match: [python]}\n"                                                      \
	"  - {name: big, match: ['big*'], max_layer_bytes: 5}\n"                                   \
	"  - {name: empty, match: [nothing-matches]}\n"                                            \
	"  - {name: rest, rest: true}\n"

typedef struct fixture {
	pkgrec_t *p[8];
	size_t n;
	recipe_t *recipe;
	plan_t *plan;
	unsigned char sel[8];
	buf_t log;
} fixture_t;

static void add(fixture_t *f, const char *name, long long size)
{
	f->p[f->n++] = testutil_pkgrec(name, size);
}

static void on_log(void *ud, const char *msg)
{
	buf_addf(ud, "%s\n", msg);
}

/* plan: base | big-1 | big-2 | rest (big1 and big2 are 4 bytes each, over big's budget of 5) */
static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof *f);
	err_t err = ERR_INIT;
	add(f, "python", 10), add(f, "big1", 4), add(f, "big2", 4), add(f, "zlib", 1);
	f->recipe = recipe_parse("r.yaml", RECIPE, strlen(RECIPE), &err);
	assert_non_null(f->recipe);
	f->plan = plan_new(f->recipe, (const pkgrec_t *const *)f->p, f->n, &err);
	assert_non_null(f->plan);
	assert_int_equal(plan_group_count(f->plan), 4);
	assert_string_equal(plan_group_name(f->plan, 1), "big-1");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	plan_free(f->plan);
	recipe_free(f->recipe);
	for (size_t i = 0; i < f->n; i++)
		pkgrec_free(f->p[i]);
	buf_free(&f->log);
	free(f);
	return 0;
}

static int select_list(fixture_t *f, const char *list, err_t *err)
{
	buf_reset(&f->log);
	return spread_select_groups(list, f->recipe, "r.yaml", f->plan, f->sel, on_log, &f->log,
				    err);
}

static void test_recipe_group_selects_all_its_parts(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	assert_int_equal(select_list(f, "big", &err), 0);
	assert_memory_equal(f->sel, ((unsigned char[]){0, 1, 1, 0}), 4);
}

static void test_part_selects_itself_and_lists_add_up(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	assert_int_equal(select_list(f, "big-2,,rest", &err), 0);
	assert_memory_equal(f->sel, ((unsigned char[]){0, 0, 1, 1}), 4);
}

static void test_unknown_name_names_the_recipe_groups(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	assert_int_equal(select_list(f, "base,frameworks", &err), -1);
	assert_string_equal(err_msg(&err), "--layers: the recipe (r.yaml) has no group "
					   "'frameworks'; its groups: base, big, empty, rest");
	err_clear(&err);
	/* "base-1" is no part: base is not split */
	assert_int_equal(select_list(f, "base-1", &err), -1);
	err_clear(&err);
}

static void test_group_without_packages_is_a_note(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	assert_int_equal(select_list(f, "empty", &err), 0);
	assert_memory_equal(f->sel, ((unsigned char[]){0, 0, 0, 0}), 4);
	assert_non_null(strstr(f->log.data, "group empty has no package in this environment"));
}

static void test_empty_list_is_refused(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	assert_int_equal(select_list(f, ",", &err), -1);
	assert_non_null(strstr(err_msg(&err), "expected GROUP[,GROUP...]"));
	err_clear(&err);
}

static void test_flags_layers_cannot_use_are_refused(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	build_opts_t o = {.only_groups = "app"};
	const char *refs[] = {"r.example/x:1"};
	publish_opts_t po = {0};
	assert_int_equal(spread_check_args(&o, &po, &err), -1);
	assert_non_null(strstr(err_msg(&err), "needs --cache-repo"));
	err_clear(&err);
	o.cache_repo = "r.example/cache";
	assert_int_equal(spread_check_args(&o, &po, &err), 0);
	po.refs = refs, po.n_refs = 1;
	assert_int_equal(spread_check_args(&o, &po, &err), -1);
	assert_non_null(strstr(err_msg(&err), "so -t has nothing to act on"));
	err_clear(&err);
	po.n_refs = 0, po.metadata_file = "m.json";
	assert_int_equal(spread_check_args(&o, &po, &err), -1);
	assert_non_null(strstr(err_msg(&err), "--metadata-file"));
	err_clear(&err);
	o.only_groups = NULL; /* without --layers nothing is checked */
	assert_int_equal(spread_check_args(&o, &po, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recipe_group_selects_all_its_parts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_part_selects_itself_and_lists_add_up, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_name_names_the_recipe_groups, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_group_without_packages_is_a_note, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_empty_list_is_refused, setup, teardown),
		cmocka_unit_test(test_flags_layers_cannot_use_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
