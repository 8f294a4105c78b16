/* envspec.c — reads conda's environment.yml with libyaml's document API.
 * Keeps name, channels, dependencies (MatchSpec strings and the `pip:` sub-list) and
 * variables with their source positions; `prefix` and unknown top-level keys (conda-lock's
 * `platforms`, `category`, ...) are accepted and dropped. Types are checked where conda
 * checks them, and every error reads "file:line:column: what is wrong" (1-based). */
#include "envspec.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "yamlutil.h"
#include "xalloc.h"

/* environment.yml files are a few KiB; anything this big is not one (signify-style cap). */
#define ENVSPEC_MAX_BYTES ((size_t)16 << 20)

typedef struct envspec_item {
	char *text;  /* channel, MatchSpec, pip requirement or variable name */
	char *value; /* variable value; NULL otherwise */
	int line, column;
} envspec_item_t;

typedef struct envspec_list {
	envspec_item_t *v;
	size_t n, cap;
} envspec_list_t;

struct envspec {
	char *path;
	char *name;
	envspec_list_t channels, deps, pip, vars;
};

/* Parsing state shared by the section readers. */
typedef struct envspec_ctx {
	const char *path;
	yaml_document_t *doc;
	envspec_t *env;
	err_t *err;
} envspec_ctx_t;

static char *dup_str(const char *s)
{
	size_t n = strlen(s);
	char *p = xmalloc(n + 1);
	memcpy(p, s, n + 1);
	return p;
}

/* Copy of s without leading/trailing ASCII whitespace (caller frees). */
static char *dup_trimmed(const char *s)
{
	buf_t b = BUF_INIT;
	size_t n;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	buf_add(&b, s, n);
	buf_grow(&b, 0); /* never return NULL for "" */
	return buf_detach(&b);
}

static void list_push(envspec_list_t *l, char *text, char *value, const yaml_node_t *node)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		envspec_item_t *v = xrealloc(l->v, cap * sizeof *v);
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].text = text;
	l->v[l->n].value = value;
	l->v[l->n].line = (int)node->start_mark.line + 1;
	l->v[l->n].column = (int)node->start_mark.column + 1;
	l->n++;
}

static void list_free(envspec_list_t *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].text);
		free(l->v[i].value);
	}
	free(l->v);
}

/* Sets "path:line:col: message" at node's start. Returns -1. */
static int fail_at(envspec_ctx_t *c, const yaml_node_t *node, const char *fmt, ...)
	ERR_PRINTF(3, 4);
static int fail_at(envspec_ctx_t *c, const yaml_node_t *node, const char *fmt, ...)
{
	buf_t b = BUF_INIT;
	va_list ap;
	buf_addf(&b, "%s:%zu:%zu: ", c->path, node->start_mark.line + 1,
		 node->start_mark.column + 1);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	err_set(c->err, "%s", b.data);
	buf_free(&b);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A "\0" escape in a double-quoted scalar: libyaml keeps the bytes after it, every C string
 * reader would silently stop there. */
static int has_nul(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && strlen(scalar(n)) != n->data.scalar.length;
}

/* A control character (CR, ESC, ...) in a channel, MatchSpec or name: never meant, and echoed
 * into messages and URLs. Tabs and newlines of folded scalars are trimmed before this. */
static int control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (unsigned char)*s;
	return 0;
}

/* An environment variable name as POSIX shells and Docker's ENV take it. */
static int is_env_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int is_digits(const char *s, const char *set)
{
	int any = 0;
	for (; *s; s++) {
		if (*s != '_' && !strchr(set, *s))
			return 0;
		any |= *s != '_';
	}
	return any;
}

/* YAML 1.2 core-schema float/int, the resolution ruamel.yaml (conda's loader) applies
 * to plain scalars: "3.8" is a float there, "3.8.1" a string. */
static int looks_numeric(const char *s)
{
	const char *dot, *exp;
	if (*s == '+' || *s == '-')
		s++;
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") || !strcmp(s, ".nan") ||
	    !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return 1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b'))
		return is_digits(s + 2, s[1] == 'x'   ? "0123456789abcdefABCDEF"
					: s[1] == 'o' ? "01234567"
						      : "01");
	if (!*s || !strchr("0123456789.", *s))
		return 0;
	exp = strpbrk(s, "eE");
	if (exp) {
		const char *e = exp + 1;
		if (*e == '+' || *e == '-')
			e++;
		if (!*e || strspn(e, "0123456789") != strlen(e))
			return 0;
	}
	dot = memchr(s, '.', exp ? (size_t)(exp - s) : strlen(s));
	for (const char *p = s; p < (exp ? exp : s + strlen(s)); p++)
		if (p != dot && !(*p >= '0' && *p <= '9') && *p != '_')
			return 0;
	return strpbrk(s, "0123456789") && strpbrk(s, "0123456789") < (exp ? exp : s + strlen(s));
}

/* Names the YAML type of a scalar that a YAML loader would not hand over as a string
 * (plain null/bool/number, or an explicit non-str tag); NULL for a string. */
static const char *non_string_type(const yaml_node_t *n)
{
	const char *v = scalar(n), *tag = (const char *)n->tag;
	if (tag && strcmp(tag, YAML_STR_TAG) != 0)
		return strcmp(tag, YAML_NULL_TAG) == 0   ? "null"
		       : strcmp(tag, YAML_BOOL_TAG) == 0 ? "boolean"
		       : (strcmp(tag, YAML_INT_TAG) == 0 || strcmp(tag, YAML_FLOAT_TAG) == 0)
			       ? "number"
			       : "non-string value";
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return NULL;
	if (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	    !strcmp(v, "NULL"))
		return "null";
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE") || !strcmp(v, "false") ||
	    !strcmp(v, "False") || !strcmp(v, "FALSE"))
		return "boolean";
	return looks_numeric(v) ? "number" : NULL;
}

static int is_null(const yaml_node_t *n)
{
	const char *t;
	if (n->type != YAML_SCALAR_NODE)
		return 0;
	t = non_string_type(n);
	return t && strcmp(t, "null") == 0;
}

static const char *node_kind(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return "a scalar";
}

/* Mapping keys must be strings and unique; conda's YAML loader refuses duplicates. Called for
 * each pair in order; the first call checks the whole map for duplicates (yamlutil.h). */
static int check_key(envspec_ctx_t *c, const yaml_node_t *map, const yaml_node_pair_t *pair,
		     const char *what)
{
	yaml_node_t *key = yaml_document_get_node(c->doc, pair->key), *first = NULL, *dup;
	if (key->type != YAML_SCALAR_NODE)
		return fail_at(c, key, "%s keys must be strings, found %s", what, node_kind(key));
	if (pair == map->data.mapping.pairs.start &&
	    (dup = yamlutil_duplicate_key(c->doc, map, &first)))
		return fail_at(c, dup, "duplicate key '%s' (first at line %zu)", scalar(dup),
			       first->start_mark.line + 1);
	return 0;
}

/* Refuses a NUL or a control character inside a scalar that names something. */
static int check_text(envspec_ctx_t *c, const yaml_node_t *n, const char *what)
{
	char *trimmed;
	int cc;
	if (has_nul(n))
		return fail_at(c, n, "%s holds a NUL character (\\0 or \\u0000)", what);
	trimmed = dup_trimmed(scalar(n));
	cc = control_char(trimmed);
	free(trimmed);
	if (cc)
		return fail_at(c, n, "%s holds a control character (0x%02x)", what, cc);
	return 0;
}

/* A list of non-empty strings (channels, pip requirements). `key:` with no value is an
 * empty list. skip_nulls drops null items: real pip lists comment entries out as
 * `- # pkg==1.0`, which YAML reads as a null item. */
static int read_string_list(envspec_ctx_t *c, const yaml_node_t *seq, const char *what,
			    int skip_nulls, envspec_list_t *out)
{
	if (is_null(seq))
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return fail_at(c, seq, "`%s` must be a list, found %s", what, node_kind(seq));
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(c->doc, *it);
		const char *type;
		char *text;
		if (n->type != YAML_SCALAR_NODE)
			return fail_at(c, n, "`%s` items must be strings, found %s", what,
				       node_kind(n));
		if (skip_nulls && is_null(n))
			continue;
		type = non_string_type(n);
		if (type)
			return fail_at(c, n,
				       "`%s` items must be strings, found a %s '%s' (quote it)",
				       what, type, scalar(n));
		buf_t label = BUF_INIT;
		buf_addf(&label, "a `%s` item", what);
		int bad = check_text(c, n, label.data) < 0;
		buf_free(&label);
		if (bad)
			return -1;
		text = dup_trimmed(scalar(n));
		if (!*text) {
			free(text);
			return fail_at(c, n, "empty `%s` item", what);
		}
		list_push(out, text, NULL, n);
	}
	return 0;
}

/* The `- pip: [...]` item of dependencies. */
static int read_pip_item(envspec_ctx_t *c, const yaml_node_t *map)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = yaml_document_get_node(c->doc, p->key);
		if (check_key(c, map, p, "`pip:` item") < 0)
			return -1;
		if (strcmp(scalar(key), "pip") != 0)
			return fail_at(c, key,
				       "unexpected key '%s' beside `pip:` in a dependencies item",
				       scalar(key));
		if (read_string_list(c, yaml_document_get_node(c->doc, p->value), "pip", 1,
				     &c->env->pip) < 0)
			return -1;
	}
	return 0;
}

static int has_pip_key(envspec_ctx_t *c, const yaml_node_t *map)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = yaml_document_get_node(c->doc, p->key);
		if (key->type == YAML_SCALAR_NODE && strcmp(scalar(key), "pip") == 0)
			return 1;
	}
	return 0;
}

static int read_dependencies(envspec_ctx_t *c, const yaml_node_t *seq)
{
	static const char bad_item[] =
		"dependencies item must be a string MatchSpec or a `pip:` list";
	if (is_null(seq))
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return fail_at(c, seq, "`dependencies` must be a list, found %s", node_kind(seq));
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(c->doc, *it);
		if (n->type == YAML_MAPPING_NODE) {
			yaml_node_t *k0 =
				n->data.mapping.pairs.start < n->data.mapping.pairs.top
					? yaml_document_get_node(c->doc,
								 n->data.mapping.pairs.start->key)
					: NULL;
			if (has_pip_key(c, n)) {
				if (read_pip_item(c, n) < 0)
					return -1;
				continue;
			}
			if (k0 && k0->type == YAML_SCALAR_NODE &&
			    strncmp(scalar(k0), "sel(", 4) == 0)
				return fail_at(
					c, n,
					"%s (mamba's `%s:` selectors are not conda syntax and "
					"not supported)",
					bad_item, scalar(k0));
			return fail_at(c, n, "%s, found a mapping", bad_item);
		}
		if (n->type != YAML_SCALAR_NODE)
			return fail_at(c, n, "%s, found %s", bad_item, node_kind(n));
		{
			const char *type = non_string_type(n);
			char *text;
			if (type)
				return fail_at(c, n,
					       "%s, found a %s '%s' (quote it if it is meant as a "
					       "package name)",
					       bad_item, type, scalar(n));
			if (check_text(c, n, "a dependencies item") < 0)
				return -1;
			text = dup_trimmed(scalar(n));
			if (!*text) {
				free(text);
				return fail_at(c, n, "empty dependencies item");
			}
			list_push(&c->env->deps, text, NULL, n);
		}
	}
	return 0;
}

static int read_variables(envspec_ctx_t *c, const yaml_node_t *map)
{
	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail_at(c, map, "`variables` must be a mapping of NAME: value, found %s",
			       node_kind(map));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(c->doc, p->value);
		if (check_key(c, map, p, "`variables`") < 0)
			return -1;
		if (!*scalar(key))
			return fail_at(c, key, "empty variable name");
		if (has_nul(key) || !is_env_name(scalar(key)))
			return fail_at(c, key,
				       "variable name '%s' is not an environment variable name "
				       "(letters, digits and '_', not starting with a digit)",
				       scalar(key));
		if (val->type != YAML_SCALAR_NODE)
			return fail_at(c, val, "variable '%s' must have a scalar value, found %s",
				       scalar(key), node_kind(val));
		if (is_null(val))
			return fail_at(c, val, "variable '%s' has no value", scalar(key));
		if (has_nul(val))
			return fail_at(c, val,
				       "variable '%s' holds a NUL character (\\0 or \\u0000), "
				       "which an environment value cannot carry",
				       scalar(key));
		list_push(&c->env->vars, dup_str(scalar(key)), dup_str(scalar(val)), key);
	}
	return 0;
}

static int read_name(envspec_ctx_t *c, const yaml_node_t *n)
{
	if (is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(c, n, "`name` must be a string, found %s", node_kind(n));
	if (check_text(c, n, "`name`") < 0)
		return -1;
	free(c->env->name);
	c->env->name = dup_trimmed(scalar(n));
	return 0;
}

static int read_top(envspec_ctx_t *c, const yaml_node_t *root)
{
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(c, root,
			       "the top level must be a mapping (name:, channels:, "
			       "dependencies:), found %s",
			       node_kind(root));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(c->doc, p->value);
		const char *k;
		int rc = 0;
		if (check_key(c, root, p, "top-level") < 0)
			return -1;
		k = scalar(key);
		if (strcmp(k, "name") == 0)
			rc = read_name(c, val);
		else if (strcmp(k, "channels") == 0)
			rc = read_string_list(c, val, "channels", 0, &c->env->channels);
		else if (strcmp(k, "dependencies") == 0)
			rc = read_dependencies(c, val);
		else if (strcmp(k, "variables") == 0)
			rc = read_variables(c, val);
		/* `prefix` and anything else (conda-lock's platforms/category, ...) are ignored,
		 * as conda ignores keys it does not know. */
		if (rc < 0)
			return -1;
	}
	return 0;
}

static void set_yaml_error(const yaml_parser_t *parser, const char *path, const char *data,
			   size_t len, err_t *err)
{
	size_t line, col;
	const char *problem = parser->problem ? parser->problem : "unknown problem";
	yamlutil_error_position(parser, data, len, &line, &col);
	if (parser->error == YAML_MEMORY_ERROR)
		err_set(err, "%s:1:1: out of memory while parsing YAML", path);
	else if (parser->context)
		err_set(err, "%s:%zu:%zu: invalid YAML: %s %s (line %zu)%s", path, line, col,
			problem, parser->context, parser->context_mark.line + 1,
			strchr(data, '\t') ? "; note YAML does not allow tabs for indentation"
					   : "");
	else
		err_set(err, "%s:%zu:%zu: invalid YAML: %s%s", path, line, col, problem,
			parser->error == YAML_READER_ERROR ? " (the file must be UTF-8 text)"
			: strchr(data, '\t') ? "; note YAML does not allow tabs for indentation"
					     : "");
}

envspec_t *envspec_parse(const char *display_name, const char *data, size_t len, err_t *err)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int have_parser = 0, have_doc = 0, have_extra = 0, ok = 0;
	envspec_t *env = NULL;
	envspec_ctx_t c;
	yaml_node_t *root;
	buf_t text = BUF_INIT;

	if (!display_name)
		display_name = "<environment.yml>";
	if (len > ENVSPEC_MAX_BYTES) {
		err_set(err,
			"%s: %zu bytes is larger than the %zu-byte limit for an environment file",
			display_name, len, ENVSPEC_MAX_BYTES);
		goto out;
	}
	buf_add(&text, data, len); /* NUL-terminated copy so messages can look for tabs */
	buf_grow(&text, 0);
	if (!yaml_parser_initialize(&parser)) {
		err_set(err, "%s: cannot initialise the YAML parser", display_name);
		goto out;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text.data, text.len);
	if (!yaml_parser_load(&parser, &doc)) {
		set_yaml_error(&parser, display_name, text.data, text.len, err);
		goto out;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		err_set(err, "%s:1:1: empty file; expected a mapping with `dependencies:`",
			display_name);
		goto out;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		set_yaml_error(&parser, display_name, text.data, text.len, err);
		goto out;
	}
	have_extra = 1;
	if (yaml_document_get_root_node(&extra)) {
		err_set(err,
			"%s:%zu:%zu: a second YAML document; an environment file holds exactly one",
			display_name, extra.start_mark.line + 1, extra.start_mark.column + 1);
		goto out;
	}

	env = xcalloc(1, sizeof *env);
	env->path = dup_str(display_name);
	c.path = display_name;
	c.doc = &doc;
	c.env = env;
	c.err = err;
	ok = read_top(&c, root) == 0;
out:
	if (!ok) {
		envspec_free(env);
		env = NULL;
	}
	if (have_extra)
		yaml_document_delete(&extra);
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	buf_free(&text);
	return env;
}

envspec_t *envspec_load(const char *path, err_t *err)
{
	buf_t data = BUF_INIT;
	envspec_t *env = NULL;
	if (buf_read_file(&data, path, ENVSPEC_MAX_BYTES, err) < 0)
		goto out;
	env = envspec_parse(path, buf_cstr(&data), data.len, err);
out:
	buf_free(&data);
	return env;
}

void envspec_free(envspec_t *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->name);
	list_free(&e->channels);
	list_free(&e->deps);
	list_free(&e->pip);
	list_free(&e->vars);
	free(e);
}

const char *envspec_name(const envspec_t *e)
{
	return e->name;
}
const char *envspec_path(const envspec_t *e)
{
	return e->path;
}
size_t envspec_channel_count(const envspec_t *e)
{
	return e->channels.n;
}
const char *envspec_channel(const envspec_t *e, size_t i)
{
	return e->channels.v[i].text;
}
size_t envspec_dep_count(const envspec_t *e)
{
	return e->deps.n;
}
const char *envspec_dep(const envspec_t *e, size_t i)
{
	return e->deps.v[i].text;
}
int envspec_dep_line(const envspec_t *e, size_t i)
{
	return e->deps.v[i].line;
}
int envspec_dep_column(const envspec_t *e, size_t i)
{
	return e->deps.v[i].column;
}
size_t envspec_pip_count(const envspec_t *e)
{
	return e->pip.n;
}
const char *envspec_pip(const envspec_t *e, size_t i)
{
	return e->pip.v[i].text;
}
int envspec_pip_line(const envspec_t *e, size_t i)
{
	return e->pip.v[i].line;
}
size_t envspec_var_count(const envspec_t *e)
{
	return e->vars.n;
}
const char *envspec_var_name(const envspec_t *e, size_t i)
{
	return e->vars.v[i].text;
}
const char *envspec_var_value(const envspec_t *e, size_t i)
{
	return e->vars.v[i].value;
}
