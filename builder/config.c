/* config.c — imgbuild.yaml (see config.h). The file is parsed with libyaml into a document,
 * then each top-level key is looked up in opt_defs[] and its value turned into the flag's
 * argument text (a mapping entry into K=V, a sequence into one argument per element, or for
 * --entrypoint/--cmd a JSON array) and handed to cli_apply_option, so a bad value is refused
 * with the flag's own message. Every error names FILE:LINE:COLUMN of the offending node. */
#include "config.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "xalloc.h"
#include "yamlutil.h"

#define CONFIG_MAX_BYTES (1 << 20) /* a project config is a few lines; cap hostile input */

/* One run over one file. */
typedef struct cfg_run {
	cmd_bit_t cmd;
	cli_args_t *a;
	const char *path; /* as found, for messages */
	char *dir;        /* its directory: relative FILE values are relative to it */
	yaml_document_t doc;
	const yaml_node_t *seen[OPT_HELP + 1 - OPT_CHANNEL]; /* key node per option set */
} cfg_run_t;

static int cfg_error(const cfg_run_t *r, const yaml_node_t *n, const char *fmt, ...)
	ERR_PRINTF(3, 4);
static int cfg_error(const cfg_run_t *r, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "imgbuild %s: %s:%zu:%zu: ", cmd_bit_name(r->cmd), r->path,
		n->start_mark.line + 1, n->start_mark.column + 1);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static const char *node_kind(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE    ? "a mapping"
	       : n->type == YAML_SEQUENCE_NODE ? "a list"
					       : "a value";
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty scalar, ~ or null: the key is written without a value. */
static int is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null"));
}

/* s, kept for a's lifetime (cli_args_t borrows its strings); takes ownership. */
static const char *keep(cli_args_t *a, char *s)
{
	a->owned = xrealloc(a->owned, (a->n_owned + 1) * sizeof *a->owned);
	return a->owned[a->n_owned++] = s;
}

/* Hands value (copied) to the option's parser, with n's position for its messages. */
static int apply_text(cfg_run_t *r, const opt_def_t *d, const yaml_node_t *n, const char *value)
{
	buf_t where = BUF_INIT;
	buf_addf(&where, "%s:%zu:%zu", r->path, n->start_mark.line + 1, n->start_mark.column + 1);
	int rc = cli_apply_option(r->cmd, d, keep(r->a, xstrdup(value)), where.data, r->a);
	buf_free(&where);
	return rc;
}

/* One scalar for d: true/false for an option without argument, a FILE relative to the config
 * file's directory, else the text as the flag would take it. */
static int apply_scalar(cfg_run_t *r, const opt_def_t *d, const yaml_node_t *n)
{
	const char *v;
	if (n->type != YAML_SCALAR_NODE)
		return cfg_error(r, n, "%s: expected %s, not %s", d->name,
				 d->arg ? "a single value" : "true or false", node_kind(n));
	v = scalar(n);
	if (is_null(n))
		return cfg_error(r, n, "%s: has no value", d->name);
	if (!d->arg) {
		if (strcmp(v, "true") && strcmp(v, "false"))
			return cfg_error(r, n, "%s: expected true or false, not '%s'", d->name, v);
		return v[0] == 't' ? apply_text(r, d, n, "") : 0;
	}
	if (!strcmp(d->arg, "FILE") && v[0] != '/' && strcmp(r->dir, ".")) {
		buf_t path = BUF_INIT;
		buf_addf(&path, "%s/%s", r->dir, v);
		int rc = apply_text(r, d, n, path.data);
		buf_free(&path);
		return rc;
	}
	return apply_text(r, d, n, v);
}

/* platforms: [linux/amd64, linux/arm64] or "linux/amd64,linux/arm64". */
static int apply_list(cfg_run_t *r, const opt_def_t *d, const yaml_node_t *n)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return apply_scalar(r, d, n);
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
	     i++) {
		const yaml_node_t *e = yaml_document_get_node(&r->doc, *i);
		if (e->type != YAML_SCALAR_NODE)
			return cfg_error(r, e, "%s: expected a list of values, not %s in it",
					 d->name, node_kind(e));
		if (apply_scalar(r, d, e))
			return 2;
	}
	return 0;
}

/* The flag's list of K=V entries for a MAP option. */
static void map_list(cli_args_t *a, opt_id_t id, const char ****list, size_t **n)
{
	*list = id == OPT_LABEL ? &a->labels : id == OPT_ANNOTATION ? &a->annotations : &a->envs;
	*n = id == OPT_LABEL ? &a->n_labels : id == OPT_ANNOTATION ? &a->n_annotations : &a->n_envs;
}

/* Whether one of the n entries "K=V" has key (keylen bytes). */
static int has_key(const char *const *entries, size_t n, const char *key, size_t keylen)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp(entries[i], key, keylen) && entries[i][keylen] == '=')
			return 1;
	return 0;
}

/* One K: V pair (or a "K=V" list element), unless the flags set K. */
static int apply_entry(cfg_run_t *r, const opt_def_t *d, const yaml_node_t *k, const yaml_node_t *v,
		       const char *const *flags, size_t n_flags)
{
	buf_t kv = BUF_INIT;
	int rc = 0;
	if (k->type != YAML_SCALAR_NODE || (v && v->type != YAML_SCALAR_NODE))
		return cfg_error(r, v && k->type == YAML_SCALAR_NODE ? v : k,
				 "%s: expected KEY: VALUE entries, not %s", d->name,
				 node_kind(v && k->type == YAML_SCALAR_NODE ? v : k));
	if (v)
		buf_addf(&kv, "%s=%s", scalar(k), is_null(v) ? "" : scalar(v));
	else
		buf_addf(&kv, "%s", scalar(k));
	size_t keylen = strcspn(kv.data, "=");
	if (!has_key(flags, n_flags, kv.data, keylen))
		rc = apply_text(r, d, v ? v : k, kv.data);
	buf_free(&kv);
	return rc;
}

/* labels: {K: V} (or [K=V, ...]): the config's entries first, then the flags' (which win). */
static int apply_map(cfg_run_t *r, const opt_def_t *d, const yaml_node_t *n)
{
	const char ***list, **flags;
	size_t *count, n_flags;
	yaml_node_t *dup, *first;
	int rc = 0;
	if (n->type == YAML_SCALAR_NODE)
		return cfg_error(r, n, "%s: expected KEY: VALUE entries, not a single value",
				 d->name);
	if ((dup = yamlutil_duplicate_key(&r->doc, n, &first)) != NULL)
		return cfg_error(r, dup, "%s: duplicate key '%s' (first at line %zu)", d->name,
				 scalar(dup), first->start_mark.line + 1);
	map_list(r->a, d->id, &list, &count);
	flags = *list;
	n_flags = *count;
	*list = NULL;
	*count = 0;
	if (n->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     !rc && p < n->data.mapping.pairs.top; p++)
			rc = apply_entry(r, d, yaml_document_get_node(&r->doc, p->key),
					 yaml_document_get_node(&r->doc, p->value), flags, n_flags);
	else
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     !rc && i < n->data.sequence.items.top; i++)
			rc = apply_entry(r, d, yaml_document_get_node(&r->doc, *i), NULL, flags,
					 n_flags);
	for (size_t i = 0; i < n_flags; i++) {
		*list = xrealloc((void *)*list, (*count + 1) * sizeof **list);
		(*list)[(*count)++] = flags[i];
	}
	free((void *)flags);
	return rc;
}

/* entrypoint: [python, -m, app] becomes the flag's JSON array form. */
static int apply_argv(cfg_run_t *r, const opt_def_t *d, const yaml_node_t *n)
{
	json_t *arr;
	char *text;
	int rc;
	if (n->type != YAML_SEQUENCE_NODE)
		return n->type == YAML_SCALAR_NODE && !is_null(n) ? apply_text(r, d, n, scalar(n))
								  : apply_scalar(r, d, n);
	arr = json_array();
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
	     i++) {
		const yaml_node_t *e = yaml_document_get_node(&r->doc, *i);
		if (e->type != YAML_SCALAR_NODE) {
			json_decref(arr);
			return cfg_error(r, e, "%s: expected a list of strings, not %s in it",
					 d->name, node_kind(e));
		}
		json_array_append_new(arr, json_stringn(scalar(e), e->data.scalar.length));
	}
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	rc = apply_text(r, d, n, text);
	free(text);
	return rc;
}

/* The option key names: its long name, or for a list or map that name with an 's' (labels,
 * platforms). *is_known says whether any command has it; the result is cmd's, or NULL. */
static const opt_def_t *def_for_key(const char *key, cmd_bit_t cmd, int *is_known)
{
	const opt_def_t *found = NULL;
	size_t len = strlen(key);
	*is_known = 0;
	for (size_t i = 0; i < opt_n_defs; i++) {
		const opt_def_t *d = &opt_defs[i];
		size_t n = strlen(d->name);
		int is_plural = (d->config == OPT_CFG_LIST || d->config == OPT_CFG_MAP) &&
				len == n + 1 && !strncmp(key, d->name, n) && key[n] == 's';
		if (d->config == OPT_CFG_NONE || (strcmp(key, d->name) && !is_plural))
			continue;
		*is_known = 1;
		if (d->commands & cmd)
			found = d;
	}
	return found;
}

static int unknown_key(const cfg_run_t *r, const yaml_node_t *k)
{
	const char *names[OPT_HELP + 1 - OPT_CHANNEL + 8];
	size_t n = 0;
	for (size_t i = 0; i < opt_n_defs && n < sizeof names / sizeof names[0]; i++)
		if (opt_defs[i].config != OPT_CFG_NONE)
			names[n++] = opt_defs[i].name;
	const char *near = cli_nearest(scalar(k), names, n);
	if (near)
		return cfg_error(r, k, "unknown key '%s'; did you mean '%s'?", scalar(k), near);
	for (size_t i = 0; i < opt_n_defs; i++)
		if (!strcmp(opt_defs[i].name, scalar(k)))
			return cfg_error(r, k, "'%s' cannot be set in a config file, only as --%s",
					 scalar(k), scalar(k));
	return cfg_error(r, k,
			 "unknown key '%s' (the keys are option names: docs/cli.md, "
			 "\"Project config\")",
			 scalar(k));
}

/* One top-level KEY: VALUE. */
static int apply_key(cfg_run_t *r, const yaml_node_t *k, const yaml_node_t *v)
{
	int is_known;
	const opt_def_t *d;
	if (k->type != YAML_SCALAR_NODE)
		return cfg_error(r, k, "expected an option name as key, not %s", node_kind(k));
	if (!(d = def_for_key(scalar(k), r->cmd, &is_known)))
		return is_known ? 0 : unknown_key(r, k);
	if (r->seen[d->id - OPT_CHANNEL])
		return cfg_error(r, k, "'%s' sets --%s, already set at line %zu", scalar(k),
				 d->name, r->seen[d->id - OPT_CHANNEL]->start_mark.line + 1);
	r->seen[d->id - OPT_CHANNEL] = k;
	/* the command line wins: a value or a list given there replaces the config's */
	if (r->a->given[d->id - OPT_CHANNEL] && d->config != OPT_CFG_MAP)
		return 0;
	switch (d->config) {
	case OPT_CFG_LIST: return apply_list(r, d, v);
	case OPT_CFG_MAP: return apply_map(r, d, v);
	case OPT_CFG_ARGV: return apply_argv(r, d, v);
	default: return apply_scalar(r, d, v);
	}
}

/* Parses data into r->doc. 0, or 2 after the parser's error with its position. */
static int load(cfg_run_t *r, const buf_t *data)
{
	yaml_parser_t parser;
	size_t line, col;
	int rc = 0;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data->data, data->len);
	if (!yaml_parser_load(&parser, &r->doc)) {
		yamlutil_error_position(&parser, data->data, data->len, &line, &col);
		fprintf(stderr, "imgbuild %s: %s:%zu:%zu: invalid YAML: %s\n", cmd_bit_name(r->cmd),
			r->path, line, col, parser.problem ? parser.problem : "unknown problem");
		rc = 2;
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* The keys of the document's top-level mapping, in file order. */
static int apply_document(cfg_run_t *r)
{
	yaml_node_t *root = yaml_document_get_root_node(&r->doc), *dup, *first;
	int rc = 0;
	if (!root || (root->type == YAML_SCALAR_NODE && is_null(root)))
		return 0; /* an empty file says nothing */
	if (root->type != YAML_MAPPING_NODE)
		return cfg_error(r, root, "expected a mapping of option names to values, not %s",
				 node_kind(root));
	if ((dup = yamlutil_duplicate_key(&r->doc, root, &first)) != NULL)
		return cfg_error(r, dup, "duplicate key '%s' (first at line %zu)", scalar(dup),
				 first->start_mark.line + 1);
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     !rc && p < root->data.mapping.pairs.top; p++)
		rc = apply_key(r, yaml_document_get_node(&r->doc, p->key),
			       yaml_document_get_node(&r->doc, p->value));
	return rc;
}

/* The directory of path ("." for a bare name); caller frees. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

char *config_find(cmd_bit_t cmd, const cli_args_t *a)
{
	const char *beside = a->n_args ? a->args[0] : a->build.lock_path;
	buf_t path = BUF_INIT;
	char *dir;
	if (!(cmd & (CMD_BUILD | CMD_PLAN | CMD_LOCK | CMD_VERIFY)))
		return NULL;
	if (a->config_path)
		return strcmp(a->config_path, "none") ? xstrdup(a->config_path) : NULL;
	if (!beside)
		return NULL;
	dir = dir_of(beside);
	if (strcmp(dir, "."))
		buf_addf(&path, "%s/", dir);
	buf_addf(&path, "%s", CONFIG_FILE_NAME);
	free(dir);
	if (access(path.data, F_OK) == 0)
		return buf_detach(&path);
	buf_free(&path);
	return NULL;
}

int config_apply(cmd_bit_t cmd, cli_args_t *a)
{
	cfg_run_t r = {.cmd = cmd, .a = a};
	buf_t data = BUF_INIT;
	err_t err = ERR_INIT;
	char *path = config_find(cmd, a);
	int rc = 0;
	if (!path)
		return 0;
	r.path = path;
	if (buf_read_file(&data, path, CONFIG_MAX_BYTES, &err)) {
		fprintf(stderr, "imgbuild %s: config: %s\n", cmd_bit_name(cmd), err_msg(&err));
		rc = 2;
		goto out;
	}
	r.dir = dir_of(path);
	if ((rc = load(&r, &data)) != 0)
		goto out;
	rc = apply_document(&r);
	yaml_document_delete(&r.doc);
	if (!rc)
		cli_logf("project config: %s", path);
out:
	free(r.dir);
	err_clear(&err);
	buf_free(&data);
	free(path);
	return rc;
}
