/* marker.c — PEP 508 environment markers (see marker.h): a recursive-descent parser over the
 * specification's grammar (marker_or := marker_and ("or" marker_and)*, marker_and :=
 * marker_expr ("and" marker_expr)*, marker_expr := var op var | "(" marker ")") and its
 * evaluation rules. Input is capped (MARKER_MAX_TEXT, MARKER_MAX_DEPTH). */
#include "marker.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pep440.h"
#include "pyname.h"
#include "xalloc.h"

#define MARKER_MAX_TEXT 4096
#define MARKER_MAX_DEPTH 32

typedef enum { OP_LT, OP_LE, OP_NE, OP_EQ, OP_GE, OP_GT, OP_COMPAT, OP_ARB, OP_IN, OP_NOT_IN } op_t;
static const char *const op_names[] = {
	"<", "<=", "!=", "==", ">=", ">", "~=", "===", "in", "not in"};

/* Variables with the spellings packaging still accepts; VAR_EXTRA is not in the env. */
enum { VAR_NONE = -1, VAR_EXTRA = -2 };
static const struct {
	const char *name;
	int offset; /* into pypi_marker_env_t, or VAR_EXTRA */
	const char *canonical;
} variables[] = {
#define V(n, field)                                                                                \
	{                                                                                          \
		n, (int)offsetof(pypi_marker_env_t, field), #field                                 \
	}
	V("os_name", os_name),
	V("os.name", os_name),
	V("sys_platform", sys_platform),
	V("sys.platform", sys_platform),
	V("platform_machine", platform_machine),
	V("platform.machine", platform_machine),
	V("platform_python_implementation", platform_python_implementation),
	V("platform.python_implementation", platform_python_implementation),
	V("python_implementation", platform_python_implementation),
	V("platform_release", platform_release),
	V("platform_system", platform_system),
	V("platform_version", platform_version),
	V("platform.version", platform_version),
	V("python_version", python_version),
	V("python_full_version", python_full_version),
	V("implementation_name", implementation_name),
	V("implementation_version", implementation_version),
#undef V
	{"extra", VAR_EXTRA, "extra"},
};
#define N_VARIABLES (sizeof variables / sizeof variables[0])

typedef enum { NODE_AND, NODE_OR, NODE_CMP } node_kind_t;

typedef struct node {
	node_kind_t kind;
	struct node *l, *r;   /* AND / OR */
	op_t op;              /* CMP */
	int lhs_var, rhs_var; /* index into variables, or VAR_NONE for a string */
	char *lhs, *rhs;      /* the strings (NULL for a variable) */
} node_t;

struct pypi_marker {
	node_t *root;
	char *str;
	int uses_extra;
};

/* ------------------------------------------------------------------ parser */

typedef struct parser {
	const char *s;
	size_t i;
	int depth;
	err_t *err;
} parser_t;

static void skip_ws(parser_t *p)
{
	while (p->s[p->i] == ' ' || p->s[p->i] == '\t')
		p->i++;
}

static int fail(parser_t *p, const char *expected)
{
	return err_set(p->err, "invalid marker '%.300s': expected %s at column %zu", p->s, expected,
		       p->i + 1);
}

/* Reads an identifier-like word ([A-Za-z0-9_.]+) without consuming it; returns its length. */
static size_t peek_word(const parser_t *p)
{
	size_t n = 0;
	while (isalnum((unsigned char)p->s[p->i + n]) || p->s[p->i + n] == '_' ||
	       p->s[p->i + n] == '.')
		n++;
	return n;
}

static int peek_keyword(parser_t *p, const char *kw)
{
	skip_ws(p);
	size_t n = peek_word(p);
	return n == strlen(kw) && !memcmp(p->s + p->i, kw, n);
}

/* marker_var: a quoted string (no escapes, as PEP 508) or a variable name. */
static int parse_value(parser_t *p, int *var, char **str)
{
	skip_ws(p);
	char q = p->s[p->i];
	if (q == '"' || q == '\'') {
		const char *end = strchr(p->s + p->i + 1, q);
		if (!end)
			return fail(p, "a closing quote");
		*str = xstrndup(p->s + p->i + 1, (size_t)(end - (p->s + p->i + 1)));
		*var = VAR_NONE;
		p->i = (size_t)(end - p->s) + 1;
		return 0;
	}
	size_t n = peek_word(p);
	for (size_t k = 0; n && k < N_VARIABLES; k++) {
		if (strlen(variables[k].name) == n && !memcmp(p->s + p->i, variables[k].name, n)) {
			*var = (int)k;
			*str = NULL;
			p->i += n;
			return 0;
		}
	}
	return fail(p, "a quoted string or a marker variable (python_version, sys_platform, ...)");
}

static int parse_op(parser_t *p, op_t *op)
{
	static const struct {
		const char *text;
		op_t op;
	} ops[] = {{"===", OP_ARB}, {"==", OP_EQ},     {"!=", OP_NE}, {"<=", OP_LE},
		   {">=", OP_GE},   {"~=", OP_COMPAT}, {"<", OP_LT},  {">", OP_GT}};
	skip_ws(p);
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
		size_t n = strlen(ops[k].text);
		if (!strncmp(p->s + p->i, ops[k].text, n)) {
			*op = ops[k].op;
			p->i += n;
			return 0;
		}
	}
	if (peek_keyword(p, "in")) {
		p->i += 2;
		*op = OP_IN;
		return 0;
	}
	if (peek_keyword(p, "not")) {
		p->i += 3;
		if (!peek_keyword(p, "in"))
			return fail(p, "'in' after 'not'");
		p->i += 2;
		*op = OP_NOT_IN;
		return 0;
	}
	return fail(p, "a comparison operator (< <= != == >= > ~= === in, not in)");
}

static void node_free(node_t *n)
{
	if (!n)
		return;
	node_free(n->l);
	node_free(n->r);
	free(n->lhs);
	free(n->rhs);
	free(n);
}

static node_t *parse_or(parser_t *p);

static node_t *parse_expr(parser_t *p)
{
	node_t *n;
	skip_ws(p);
	if (p->s[p->i] == '(') {
		p->i++;
		if (!(n = parse_or(p)))
			return NULL;
		skip_ws(p);
		if (p->s[p->i] != ')') {
			fail(p, "')'");
			node_free(n);
			return NULL;
		}
		p->i++;
		return n;
	}
	n = xcalloc(1, sizeof *n);
	n->kind = NODE_CMP;
	if (parse_value(p, &n->lhs_var, &n->lhs) < 0 || parse_op(p, &n->op) < 0 ||
	    parse_value(p, &n->rhs_var, &n->rhs) < 0) {
		node_free(n);
		return NULL;
	}
	if (n->lhs_var == VAR_NONE && n->rhs_var == VAR_NONE) {
		fail(p, "a marker variable on one side of the comparison");
		node_free(n);
		return NULL;
	}
	return n;
}

/* One level of binary operator: operand (kw operand)*, left-associative. */
static node_t *parse_binary(parser_t *p, const char *kw, node_kind_t kind,
			    node_t *(*operand)(parser_t *))
{
	node_t *l;
	if (++p->depth > MARKER_MAX_DEPTH) {
		fail(p, "less nesting");
		return NULL;
	}
	l = operand(p);
	while (l && peek_keyword(p, kw)) {
		p->i += strlen(kw);
		node_t *r = operand(p), *n;
		if (!r) {
			node_free(l);
			return NULL;
		}
		n = xcalloc(1, sizeof *n);
		n->kind = kind;
		n->l = l;
		n->r = r;
		l = n;
	}
	p->depth--;
	return l;
}

static node_t *parse_and(parser_t *p)
{
	return parse_binary(p, "and", NODE_AND, parse_expr);
}

static node_t *parse_or(parser_t *p)
{
	return parse_binary(p, "or", NODE_OR, parse_and);
}

/* ------------------------------------------------------------------ normal form */

static void format_value(buf_t *b, int var, const char *str)
{
	if (var != VAR_NONE) {
		buf_addstr(b, variables[var].canonical);
		return;
	}
	char q = strchr(str, '"') ? '\'' : '"';
	buf_addf(b, "%c%s%c", q, str, q);
}

static void format_node(buf_t *b, const node_t *n, int *uses_extra)
{
	if (n->kind == NODE_CMP) {
		format_value(b, n->lhs_var, n->lhs);
		buf_addf(b, " %s ", op_names[n->op]);
		format_value(b, n->rhs_var, n->rhs);
		if ((n->lhs_var >= 0 && variables[n->lhs_var].offset == VAR_EXTRA) ||
		    (n->rhs_var >= 0 && variables[n->rhs_var].offset == VAR_EXTRA))
			*uses_extra = 1;
		return;
	}
	for (int side = 0; side < 2; side++) {
		const node_t *c = side ? n->r : n->l;
		int paren = n->kind == NODE_AND && c->kind == NODE_OR; /* "or" binds looser */
		if (side)
			buf_addstr(b, n->kind == NODE_AND ? " and " : " or ");
		buf_addstr(b, paren ? "(" : "");
		format_node(b, c, uses_extra);
		buf_addstr(b, paren ? ")" : "");
	}
}

pypi_marker_t *pypi_marker_parse(const char *s, err_t *err)
{
	parser_t p = {s, 0, 0, err};
	pypi_marker_t *m;
	buf_t b = BUF_INIT;
	node_t *root;
	if (strlen(s) > MARKER_MAX_TEXT) {
		err_set(err, "marker longer than %d bytes", MARKER_MAX_TEXT);
		return NULL;
	}
	if (!(root = parse_or(&p)))
		return NULL;
	skip_ws(&p);
	if (p.s[p.i]) {
		fail(&p, "'and', 'or' or the end of the marker");
		node_free(root);
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	m->root = root;
	format_node(&b, root, &m->uses_extra);
	m->str = buf_detach(&b);
	return m;
}

void pypi_marker_free(pypi_marker_t *m)
{
	if (!m)
		return;
	node_free(m->root);
	free(m->str);
	free(m);
}

const char *pypi_marker_str(const pypi_marker_t *m)
{
	return m->str;
}

int pypi_marker_uses_extra(const pypi_marker_t *m)
{
	return m->uses_extra;
}

/* ------------------------------------------------------------------ evaluation */

static const char *env_value(const pypi_marker_env_t *env, int var, const char *extra)
{
	if (variables[var].offset == VAR_EXTRA)
		return extra ? extra : "";
	const char *v = *(const char *const *)((const char *)env + variables[var].offset);
	return v ? v : "";
}

/* A version comparison when both sides are versions ("python_version >= '3.8'"), else -2. */
static int compare_as_versions(op_t op, const char *lhs, const char *rhs)
{
	buf_t text = BUF_INIT;
	pep440_spec_t *spec;
	pep440_ver_t *v = NULL;
	int r = -2;
	buf_addf(&text, "%s%s", op_names[op], rhs);
	if ((spec = pep440_spec_parse(buf_cstr(&text), NULL)) && (v = pep440_ver_parse(lhs, NULL)))
		r = pep440_spec_contains(spec, v, PEP440_PRE_ALLOW);
	pep440_ver_free(v);
	pep440_spec_free(spec);
	buf_free(&text);
	return r;
}

static int compare_values(op_t op, const char *lhs, const char *rhs, err_t *err)
{
	int r;
	if (op == OP_IN)
		return strstr(rhs, lhs) != NULL;
	if (op == OP_NOT_IN)
		return strstr(rhs, lhs) == NULL;
	if ((r = compare_as_versions(op, lhs, rhs)) != -2)
		return r;
	r = strcmp(lhs, rhs);
	switch (op) {
	case OP_LT: return r < 0;
	case OP_LE: return r <= 0;
	case OP_NE: return r != 0;
	case OP_EQ:
	case OP_ARB: return r == 0;
	case OP_GE: return r >= 0;
	case OP_GT: return r > 0;
	default:
		return err_set(
			err, "marker comparison '\"%s\" %s \"%s\"' is undefined: ~= needs versions",
			lhs, op_names[op], rhs);
	}
}

static int eval_cmp(const node_t *n, const pypi_marker_env_t *env, const char *extra, err_t *err)
{
	const char *lhs = n->lhs_var != VAR_NONE ? env_value(env, n->lhs_var, extra) : n->lhs;
	const char *rhs = n->rhs_var != VAR_NONE ? env_value(env, n->rhs_var, extra) : n->rhs;
	int key = n->lhs_var != VAR_NONE ? n->lhs_var : n->rhs_var;
	if (variables[key].offset == VAR_EXTRA) {
		/* PEP 685: extras compare as normalised names */
		buf_t a = BUF_INIT, b = BUF_INIT;
		pypi_name_normalize(lhs, strlen(lhs), &a);
		pypi_name_normalize(rhs, strlen(rhs), &b);
		int r = compare_values(n->op, buf_cstr(&a), buf_cstr(&b), err);
		buf_free(&a);
		buf_free(&b);
		return r;
	}
	return compare_values(n->op, lhs, rhs, err);
}

static int eval_node(const node_t *n, const pypi_marker_env_t *env, const char *extra, err_t *err)
{
	int l;
	if (n->kind == NODE_CMP)
		return eval_cmp(n, env, extra, err);
	if ((l = eval_node(n->l, env, extra, err)) < 0)
		return -1;
	if (n->kind == NODE_AND ? !l : l)
		return l;
	return eval_node(n->r, env, extra, err);
}

int pypi_marker_eval(const pypi_marker_t *m, const pypi_marker_env_t *env, const char *extra,
		     err_t *err)
{
	int r = eval_node(m->root, env, extra, err);
	return r < 0 ? err_prefix(err, "marker '%s'", m->str) : r;
}
