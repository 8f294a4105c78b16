/* cmd_lock.c — `imgbuild lock ENV.yml -o FILE`: solves the environment as a build would and
 * writes the exact package set as a lock (conda-lock v1 YAML for .yml/.yaml, else or with
 * --format explicit an @EXPLICIT list with sha256), for `imgbuild build --lock FILE`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "digest.h"
#include "envspec.h"
#include "fsutil.h"
#include "lock.h"
#include "pipeline.h"
#include "solve.h"

#define MAX_LIST 64

static const char usage[] =
	"usage: imgbuild lock ENV.yml -o FILE [options]\n"
	"  -o, --output FILE        lock file to write (.yml/.yaml: conda-lock v1; else @EXPLICIT)\n"
	"      --format conda-lock|explicit|json  override the format chosen by the file name\n"
	"                           (json: the solved repodata records, for cross-checks)\n"
	"  -c, --channel URL|NAME   channel searched before the file's channels (repeatable)\n"
	"      --channel-alias URL  base URL for channel names (default https://conda.anaconda.org)\n"
	"      --channel-priority strict|flexible|disabled  (default strict)\n"
	"      --cuda VERSION       __cuda virtual package (driver version of the target nodes)\n"
	"      --glibc VERSION      __glibc virtual package (default: the base image's glibc, else 2.28)\n"
	"      --offline            use cached repodata only\n"
	"      --cache-dir DIR      cache (default $XDG_CACHE_HOME/imgbuild or ~/.cache/imgbuild)\n"
	"      --ca-cert FILE       also trust this PEM CA for channels\n"
	"      --ignore-pip         lock without the file's pip: dependencies\n";

static void on_log(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "imgbuild: %s\n", msg);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* conda-lock's content_hash plays the same role: it changes when any input of the solve does
 * (the environment file's bytes, extra channels, virtual packages, priority). */
static int content_hash(const build_opts_t *o, char hex[DIGEST_HEX_MAX], err_t *err)
{
	buf_t text = BUF_INIT;
	int rc = buf_read_file(&text, o->env_path, 16 << 20, err);
	if (rc == 0) {
		for (size_t i = 0; i < o->n_channels; i++)
			buf_addf(&text, "\n--channel %s", o->channels[i]);
		buf_addf(&text, "\n--cuda %s\n--glibc %s\n--channel-priority %d\n--alias %s\n",
			 o->cuda_version ? o->cuda_version : "", o->glibc_version ? o->glibc_version : "",
			 o->channel_priority, o->channel_alias ? o->channel_alias : "");
		digest_buf_hex(DIGEST_SHA256, text.data, text.len, hex);
	}
	buf_free(&text);
	return rc;
}

/* --format json: {"packages": [repodata record + fn, url, channel, subdir]...} sorted by
 * name, so another program can check the solution against its specs without a YAML reader. */
static int write_json(const char *out_path, const solution_t *sol, err_t *err)
{
	json_t *root = json_object(), *arr = json_array();
	json_object_set_new(root, "packages", arr);
	for (size_t i = 0; i < solution_count(sol); i++) {
		const pkgrec_t *r = solution_get(sol, i);
		json_t *o = r->raw ? json_deep_copy(r->raw) : json_object();
		json_object_set_new(o, "name", json_string(r->name));
		json_object_set_new(o, "version", json_string(r->version));
		json_object_set_new(o, "build", json_string(r->build));
		json_object_set_new(o, "fn", json_string(r->fn));
		json_object_set_new(o, "url", json_string(r->url ? r->url : ""));
		json_object_set_new(o, "channel", json_string(r->channel ? r->channel : ""));
		json_object_set_new(o, "subdir", json_string(r->subdir ? r->subdir : ""));
		json_array_append_new(arr, o);
	}
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (!text)
		return err_set(err, "%s: cannot serialise the solution", out_path);
	buf_t b = BUF_INIT;
	buf_addf(&b, "%s\n", text);
	free(text);
	int rc = fs_write_atomic(out_path, b.data, b.len, err);
	buf_free(&b);
	return rc;
}

static int write_lock(const build_opts_t *o, const char *out_path, lock_format_t fmt,
		      const solution_t *sol, err_t *err)
{
	const char *channels[2 * MAX_LIST];
	size_t n_ch = 0;
	char hex[DIGEST_HEX_MAX];
	int rc = -1;
	envspec_t *env = envspec_load(o->env_path, err);
	const pkgrec_t **recs = calloc(solution_count(sol) + 1, sizeof *recs);
	if (!recs)
		abort();
	if (!env || content_hash(o, hex, err))
		goto out;
	for (size_t i = 0; i < o->n_channels; i++)
		channels[n_ch++] = o->channels[i];
	for (size_t i = 0; i < envspec_channel_count(env) && n_ch < 2 * MAX_LIST; i++)
		if (strcmp(envspec_channel(env, i), "nodefaults") != 0)
			channels[n_ch++] = envspec_channel(env, i);
	for (size_t i = 0; i < solution_count(sol); i++)
		recs[i] = solution_get(sol, i);
	const char *sources[1] = {o->env_path};
	lock_meta_t meta = {o->platform_subdir, channels, n_ch, sources, 1, hex};
	rc = lock_write(out_path, fmt, &meta, recs, solution_count(sol), err);
out:
	free(recs);
	envspec_free(env);
	return rc;
}

int cmd_lock(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},   {"format", required_argument, NULL, 'F'},
		{"channel", required_argument, NULL, 'c'},  {"channel-alias", required_argument, NULL, 'A'},
		{"channel-priority", required_argument, NULL, 'p'},
		{"cuda", required_argument, NULL, 'U'},     {"glibc", required_argument, NULL, 'G'},
		{"offline", no_argument, NULL, 'O'},        {"cache-dir", required_argument, NULL, 'C'},
		{"ignore-pip", no_argument, NULL, 'I'},     {"help", no_argument, NULL, 'h'},
		{"ca-cert", required_argument, NULL, 'E'},
		{NULL, 0, NULL, 0}};
	const char *channels[MAX_LIST];
	build_opts_t o = {.platform_subdir = "linux-64"};
	const char *out_path = NULL, *format = NULL;
	solution_t *sol = NULL;
	err_t err = ERR_INIT;
	int c, rc = 2;

	o.channels = channels;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': out_path = optarg; break;
		case 'F': format = optarg; break;
		case 'c':
			if (o.n_channels == MAX_LIST) {
				fprintf(stderr, "imgbuild: too many -c options (at most %d)\n", MAX_LIST);
				return 2;
			}
			channels[o.n_channels++] = optarg;
			break;
		case 'A': o.channel_alias = optarg; break;
		case 'p':
			if ((o.channel_priority = solve_priority_from_name(optarg)) < 0) {
				fprintf(stderr, "imgbuild: --channel-priority %s: use strict, flexible or disabled\n", optarg);
				return 2;
			}
			break;
		case 'U': o.cuda_version = optarg; break;
		case 'G': o.glibc_version = optarg; break;
		case 'O': o.offline = 1; break;
		case 'C': o.cache_dir = optarg; break;
		case 'I': o.ignore_pip = 1; break;
		case 'E': o.ca_cert = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc - 1 || !out_path) {
		fprintf(stderr, "imgbuild: lock needs one environment file and -o FILE\n%s", usage);
		return 2;
	}
	lock_format_t fmt = ends_with(out_path, ".yml") || ends_with(out_path, ".yaml")
				    ? LOCK_FORMAT_CONDA_LOCK
				    : LOCK_FORMAT_EXPLICIT;
	int as_json = format && !strcmp(format, "json");
	if (format && !strcmp(format, "explicit"))
		fmt = LOCK_FORMAT_EXPLICIT;
	else if (format && !strcmp(format, "conda-lock"))
		fmt = LOCK_FORMAT_CONDA_LOCK;
	else if (format && !as_json) {
		fprintf(stderr, "imgbuild: --format %s: use conda-lock, explicit or json\n", format);
		return 2;
	}
	o.env_path = argv[optind];
	rc = 1;
	if (pipeline_solve(&o, on_log, NULL, &sol, &err) != 0 ||
	    (as_json ? write_json(out_path, sol, &err) : write_lock(&o, out_path, fmt, sol, &err)) != 0) {
		cmd_print_error(&err);
		goto out;
	}
	printf("locked %zu packages into %s (%s)\n", solution_count(sol), out_path,
	       as_json ? "JSON" : fmt == LOCK_FORMAT_EXPLICIT ? "@EXPLICIT" : "conda-lock v1");
	rc = 0;
out:
	solution_free(sol);
	err_clear(&err);
	return rc;
}
