/* options.c — the option table and its parser (see options.h). getopt_long's tables are made
 * from opt_defs for the one command being run, so a command cannot take an option it does
 * not list, and its --help is printed from the same entries. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "progress_render.h"
#include "provenance.h"
#include "rootfs.h"
#include "sbom.h"
#include "solve.h"
#include "xalloc.h"

#define B CMD_BUILD
#define P CMD_PLAN
#define L CMD_LOCK
#define U CMD_PUSH
#define I CMD_INSPECT
#define D CMD_DIFF
#define V CMD_VERIFY

/* Order = order in --help. */
const opt_def_t opt_defs[] = {
	{OPT_CHANNEL, "channel", 'c', "URL|NAME", B | P | L | V,
	 "channel searched before the file's channels (repeatable)", OPT_CFG_LIST},
	{OPT_CHANNEL_ALIAS, "channel-alias", 0, "URL", B | P | L | V,
	 "base URL for channel names, also in name::pkg specs (default "
	 "https://conda.anaconda.org)",
	 OPT_CFG_VALUE},
	{OPT_CHANNEL_PRIORITY, "channel-priority", 0, "strict|flexible|disabled", B | P | L | V,
	 "(default strict)", OPT_CFG_VALUE},
	{OPT_OFFLINE, "offline", 0, NULL, B | P | L | V,
	 "fetch nothing: cached repodata, pip pages and wheels only", OPT_CFG_NONE},
	{OPT_PLATFORM, "platform", 0, "LIST", B | P | L | V,
	 "linux/amd64,linux/arm64: one solve each (build: one image each, joined by an index; "
	 "lock: one "
	 "lock listing each; default linux/amd64)",
	 OPT_CFG_LIST},
	{OPT_BASE, "base", 0, "oci:DIR[:TAG]|REF|scratch", B | P | L | V,
	 "base image (REF is pulled): its glibc sets __glibc; build puts the layers on top of it. "
	 "Required when a package needs the system C library (docs/base-images.md); scratch: "
	 "none, build anyway",
	 OPT_CFG_VALUE},
	{OPT_CUDA, "cuda", 0, "VERSION", B | P | L | V,
	 "__cuda virtual package (driver version of the target nodes)", OPT_CFG_VALUE},
	{OPT_GLIBC, "glibc", 0, "VERSION", B | P | L | V,
	 "__glibc virtual package (default: the base image's glibc, else 2.28)", OPT_CFG_VALUE},
	{OPT_LOCK, "lock", 0, "FILE", B | P | V,
	 "exactly this lock's packages (conda-lock YAML or @EXPLICIT), no solve; ENV.yml is then "
	 "optional. Archives not in the package cache are downloaded first: a lock lacks the "
	 "package records that layer keys hash",
	 OPT_CFG_VALUE},
	{OPT_IGNORE_PIP, "ignore-pip", 0, NULL, B | P | L | V,
	 "leave out the file's (or lock's) pip: dependencies", OPT_CFG_VALUE},
	{OPT_PYPI_INDEX, "pypi-index", 0, "URL", B | P | L | V,
	 "the pip: section's package index (PEP 503/691 simple API root) when the list sets no "
	 "--index-url (default: $PIP_INDEX_URL, else https://pypi.org/simple/)",
	 OPT_CFG_VALUE},
	{OPT_NAME, "name", 0, "NAME", B | P | V,
	 "environment name (default: the file's name:, else the lock's, else env)", OPT_CFG_VALUE},
	{OPT_PREFIX, "prefix", 0, "PATH", B | P | V,
	 "environment prefix in the image (default /opt/conda/envs/NAME)", OPT_CFG_VALUE},
	{OPT_RECIPE, "recipe", 0, "FILE", B | P | V,
	 "layer-grouping recipe (default: recipes/default.yaml, built in)", OPT_CFG_VALUE},
	{OPT_COMPRESSION, "compression", 0, "gzip|zstd", B | P | V,
	 "layer compression (default gzip; part of every layer key)", OPT_CFG_VALUE},
	{OPT_COMPRESSION_LEVEL, "compression-level", 0, "N", B | P | V,
	 "gzip 1..12 (libdeflate; default 4), zstd 1..19 (default 3)", OPT_CFG_VALUE},
	{OPT_OUTPUT, "output", 'o', "oci:DIR", B,
	 "write an OCI image layout to DIR (replaced if it is one); or docker-archive:FILE: a tar "
	 "for "
	 "`docker load`",
	 OPT_CFG_NONE},
	{OPT_LOCK_OUTPUT, "output", 'o', "FILE", L,
	 "lock file to write (.yml/.yaml: conda-lock v1; else @EXPLICIT)", OPT_CFG_NONE},
	{OPT_FORMAT, "format", 0, "conda-lock|explicit|json", L,
	 "override the format chosen by the file name (json: the solved repodata records, for "
	 "cross-checks)",
	 OPT_CFG_NONE},
	{OPT_TAG, "tag", 't', "REF", B,
	 "image name and tag (repeatable; TAG defaults to latest); without --output each REF must "
	 "name a "
	 "registry and is pushed there",
	 OPT_CFG_NONE},
	{OPT_METADATA_FILE, "metadata-file", 0, "F", B, "write JSON (digest, tags, layers) for CI",
	 OPT_CFG_NONE},
	/* the image config (issue 11 part 3; README "Image config"), spelled as buildx/ko/apko */
	{OPT_USER, "user", 0, "UID[:GID]|NAME", B,
	 "the image's user: added to /etc/passwd when the base has none (NAME gets uid 1000 and "
	 "/home/NAME); config User is numeric for Kubernetes' runAsNonRoot",
	 OPT_CFG_VALUE},
	{OPT_ENTRYPOINT, "entrypoint", 0, "JSON|PROG", B,
	 "config Entrypoint: a JSON array of strings ('[\"python\",\"-m\",\"app\"]') or one "
	 "program; '' or '[]' for none. Drops the default Cmd unless --cmd is given",
	 OPT_CFG_ARGV},
	{OPT_CMD, "cmd", 0, "JSON|ARG", B,
	 "config Cmd (default: the environment's python): a JSON array of strings or one "
	 "argument; '' or '[]' for none",
	 OPT_CFG_ARGV},
	{OPT_WORKDIR, "workdir", 0, "DIR", B, "config WorkingDir (an absolute path)",
	 OPT_CFG_VALUE},
	{OPT_ENV, "env", 0, "K=V", B,
	 "config Env variable, after the environment's own (repeatable)", OPT_CFG_MAP},
	{OPT_LABEL, "label", 0, "K=V", B, "config label (repeatable)", OPT_CFG_MAP},
	{OPT_ANNOTATION, "annotation", 0, "K=V", B,
	 "manifest annotation, also on the image index of a multi-platform build (repeatable)",
	 OPT_CFG_MAP},
	{OPT_SOURCE, "source", 0, "URL", B,
	 "org.opencontainers.image.source label and annotation (default: "
	 "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY, else $CI_PROJECT_URL)",
	 OPT_CFG_VALUE},
	{OPT_REVISION, "revision", 0, "REV", B,
	 "org.opencontainers.image.revision (default: $GITHUB_SHA, else $CI_COMMIT_SHA); "
	 "org.opencontainers.image.created comes from $SOURCE_DATE_EPOCH",
	 OPT_CFG_NONE},
	{OPT_CACHE_DIR, "cache-dir", 0, "DIR", B | P | L | U | I | D | V,
	 "cache (default $XDG_CACHE_HOME/imgbuild or ~/.cache/imgbuild); it and its parents must "
	 "not be "
	 "writable by other users",
	 OPT_CFG_NONE},
	{OPT_CACHE_REPO, "cache-repo", 0, "HOST[:PORT]/PATH", B | P,
	 "shared layer cache in a registry repository (also $IMGBUILD_CACHE_REPO): layers found "
	 "there are "
	 "not built (plan: shown \"in registry\"), and pushed to the same registry by mount; new "
	 "layers "
	 "are stored there",
	 OPT_CFG_VALUE},
	{OPT_LAYERS, "layers", 0, "GROUP[,GROUP...]", B,
	 "build only these layer groups of the recipe and store them in --cache-repo; writes no "
	 "image and takes no -t (a final build with --cache-repo assembles the image: "
	 "docs/distributed-builds.md)",
	 OPT_CFG_NONE},
	{OPT_NO_LAYER_CACHE, "no-layer-cache", 0, NULL, B,
	 "build every layer; neither reuse nor store layers", OPT_CFG_NONE},
	{OPT_NO_EXTRACT_CACHE, "no-extract-cache", 0, NULL, B,
	 "no effect (kept for old scripts and configs): packages stream from their archives "
	 "into the layers, nothing is extracted",
	 OPT_CFG_NONE},
	{OPT_JOBS, "jobs", 'j', "N", B,
	 "parallel installs/layers, and compression threads per layer (default: CPUs; the image "
	 "bytes never "
	 "depend on it)",
	 OPT_CFG_NONE},
	{OPT_VERBOSE, "verbose", 'v', NULL, P, "list every package of every layer", OPT_CFG_NONE},
	{OPT_CREDS, "creds", 0, "USER:PASS", B | P | L | U | I | D | V,
	 "registry credentials (else $IMGBUILD_REGISTRY_USER/_PASSWORD, then ~/.docker/config.json "
	 "or "
	 "$DOCKER_CONFIG: auths, credHelpers)",
	 OPT_CFG_NONE},
	{OPT_CA_CERT, "ca-cert", 0, "FILE", B | P | L | U | I | D | V,
	 "also trust this PEM CA (channels, packages, registries)", OPT_CFG_VALUE},
	{OPT_INSECURE_REGISTRY, "insecure-registry", 0, "HOST[:PORT]", B | P | L | U | I | D | V,
	 "allow plain HTTP / unverified TLS (repeatable)", OPT_CFG_LIST},
	/* issue 15: what is attached to a built image, and its signature */
	{OPT_SBOM, "sbom", 0, "none|spdx|cyclonedx", B,
	 "SBOM of the image and of each layer, attached as an OCI 1.1 referrer (default: spdx on "
	 "a push, none for --output)",
	 OPT_CFG_VALUE},
	{OPT_PROVENANCE, "provenance", 0, "none|slsa", B,
	 "in-toto statement with a SLSA v1 provenance predicate (builder, inputs by sha256, "
	 "packages by digest), attached as an OCI 1.1 referrer (default: slsa on a push, none for "
	 "--output)",
	 OPT_CFG_VALUE},
	{OPT_SIGN_KEY, "sign-key", 0, "FILE", B | U,
	 "sign each pushed image with this ECDSA P-256 private key (PEM), laid out as cosign's "
	 "sigstore attachments (a sha256-<hex>.sig tag)",
	 OPT_CFG_NONE},
	/* issue 15 parts 5-6: reading an image's layers and packages */
	{OPT_REPORT_FORMAT, "format", 0, "text|json", I | D | V,
	 "text (default) or json: the layers with group, size, digest and packages (verify: "
	 "every difference)",
	 OPT_CFG_NONE},
	{OPT_ONE_PLATFORM, "platform", 0, "OS/ARCH", I | D,
	 "of a multi-platform image only this platform (default: each, one section each)",
	 OPT_CFG_NONE},
	{OPT_QUIET, "quiet", 'q', NULL, B | U,
	 "stdout gets only the pushed references HOST/REPO@sha256:... (one per repository; the "
	 "digest for --output); stderr only warnings and errors",
	 OPT_CFG_NONE},
	{OPT_PROGRESS, "progress", 0, "auto|tty|plain|json", B | P | L | U,
	 "progress on stderr: tty = lines redrawn in place, plain = a line per step (and every "
	 "5 s on long ones), json = one object per event (default auto: tty on a terminal)",
	 OPT_CFG_NONE},
	{OPT_CONFIG, "config", 0, "FILE|none", B | P | L | V,
	 "project config (default: imgbuild.yaml beside ENV.yml, else beside --lock; none: no "
	 "file). Flags override it (docs/cli.md, \"Project config\")",
	 OPT_CFG_NONE},
	{OPT_HELP, "help", 'h', NULL, B | P | L | U | I | D | V, "show this help", OPT_CFG_NONE},
};
const size_t opt_n_defs = sizeof opt_defs / sizeof opt_defs[0];

#undef B
#undef P
#undef L
#undef U
#undef I
#undef D
#undef V

/* -q: cli_log keeps only warnings (the run's one output mode, set by cli_parse). */
static int cli_is_quiet;
/* Where the value being applied comes from, when not argv (cli_apply_option): "FILE:L:C". */
static const char *usage_origin;

#define HELP_COLUMN 27 /* where help text starts */
#define HELP_WIDTH 96  /* and where it wraps */

const char *cmd_bit_name(cmd_bit_t cmd)
{
	switch (cmd) {
	case CMD_BUILD: return "build";
	case CMD_PLAN: return "plan";
	case CMD_LOCK: return "lock";
	case CMD_PUSH: return "push";
	case CMD_INSPECT: return "inspect";
	case CMD_DIFF: return "diff";
	case CMD_VERIFY: return "verify";
	}
	return "?";
}

static void push_str(const char ***v, size_t *n, const char *s)
{
	*v = xrealloc((void *)*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = s;
}

static int usage_error(cmd_bit_t cmd, const char *fmt, ...) ERR_PRINTF(2, 3);
static int usage_error(cmd_bit_t cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "imgbuild %s: %s%s", cmd_bit_name(cmd), usage_origin ? usage_origin : "",
		usage_origin ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int parse_number(const char *s, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || !end || *end || end == s)
		return -1;
	*out = v;
	return 0;
}

/* "linux/amd64,linux/arm64": a copy split at the commas, appended to the platform list. */
static void add_platforms(cli_args_t *a, const char *list)
{
	char *copy = xstrdup(list);
	a->owned = xrealloc(a->owned, (a->n_owned + 1) * sizeof *a->owned);
	a->owned[a->n_owned++] = copy;
	for (char *p = copy; p;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p)
			push_str(&a->platforms, &a->n_platforms, p);
		p = comma ? comma + 1 : NULL;
	}
}

/* issue 15: --sbom and --provenance. 0, or 2 after a usage error. */
static int attach_option(cmd_bit_t cmd, opt_id_t id, const char *v, build_opts_t *o)
{
	err_t err = ERR_INIT;
	sbom_format_t f;
	provenance_format_t p;
	int rc = 0;
	if (id == OPT_SBOM ? sbom_format_parse(v, &f, &err) : provenance_format_parse(v, &p, &err))
		rc = usage_error(cmd, "%s", err_msg(&err));
	else if (id == OPT_SBOM)
		o->sbom_format = (int)f;
	else
		o->provenance = (int)p;
	err_clear(&err);
	return rc;
}

/* Values checked here, once for every command. 0, or 2 after a usage error. */
static int apply_value(cmd_bit_t cmd, opt_id_t id, const char *v, cli_args_t *a)
{
	build_opts_t *o = &a->build;
	long long num;
	switch (id) {
	case OPT_CHANNEL_PRIORITY:
		if ((o->channel_priority = solve_priority_from_name(v)) < 0)
			return usage_error(
				cmd, "--channel-priority %s: use strict, flexible or disabled", v);
		return 0;
	case OPT_COMPRESSION:
		if (strcmp(v, "gzip") && strcmp(v, "zstd"))
			return usage_error(cmd, "--compression %s: use gzip or zstd", v);
		o->layer.compression = v[0] == 'z' ? LAYER_ZSTD : LAYER_GZIP;
		return 0;
	case OPT_COMPRESSION_LEVEL:
		if (layer_level_parse(v, &o->layer.level) != 0)
			return usage_error(
				cmd,
				"--compression-level %s: expected 1..12 for gzip, 1..19 for zstd",
				v);
		return 0;
	case OPT_JOBS:
		if (parse_number(v, &num) || num < 1 || num > 256)
			return usage_error(cmd, "--jobs %s: expected a number from 1 to 256", v);
		o->jobs = (int)num;
		o->layer.threads = (int)num; /* compression threads per layer */
		return 0;
	case OPT_SBOM:
	case OPT_PROVENANCE: return attach_option(cmd, id, v, o);
	case OPT_SIGN_KEY: a->publish.sign_key = v; return 0;
	case OPT_PROGRESS:
		if (strcmp(v, "auto") && strcmp(v, "tty") && strcmp(v, "plain") &&
		    strcmp(v, "json"))
			return usage_error(cmd, "--progress %s: use auto, tty, plain or json", v);
		a->progress = v;
		return 0;
	case OPT_REPORT_FORMAT:
		if (strcmp(v, "text") && strcmp(v, "json"))
			return usage_error(cmd, "--format %s: use text or json", v);
		a->format = v;
		return 0;
	case OPT_FORMAT:
		if (strcmp(v, "conda-lock") && strcmp(v, "explicit") && strcmp(v, "json"))
			return usage_error(cmd, "--format %s: use conda-lock, explicit or json", v);
		a->format = v;
		return 0;
	default: return 0;
	}
}

static void free_argv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* --entrypoint/--cmd: a JSON array of strings (the exec form of Dockerfile's ENTRYPOINT
 * ["a", "b"]), "" for none, any other text one argument (as `docker run --entrypoint`).
 * Replaces an earlier value. 0, or 2 after a usage error. */
static int parse_argv_flag(cmd_bit_t cmd, const char *flag, const char *v, char ***out, size_t *n)
{
	json_error_t je;
	json_t *a = NULL, *e;
	size_t i;
	free_argv(*out, *n);
	*out = NULL;
	*n = 0;
	if (v[0] != '[') {
		if (*v) {
			*out = xcalloc(1, sizeof **out);
			(*out)[(*n)++] = xstrdup(v);
		}
		return 0;
	}
	if (!(a = json_loads(v, JSON_REJECT_DUPLICATES, &je)))
		return usage_error(cmd, "--%s %s: not a JSON array (column %d: %s)", flag, v,
				   je.column, je.text);
	*out = xcalloc(json_array_size(a) + 1, sizeof **out);
	json_array_foreach (a, i, e) {
		if (!json_is_string(e) || memchr(json_string_value(e), 0, json_string_length(e))) {
			json_decref(a);
			return usage_error(cmd,
					   "--%s %s: element %zu is not a string; expected a JSON "
					   "array of strings such as [\"python\", \"-m\", \"app\"]",
					   flag, v, i + 1);
		}
		(*out)[(*n)++] = xstrdup(json_string_value(e));
	}
	json_decref(a);
	return 0;
}

/* --label/--annotation/--env: KEY=VALUE with a non-empty KEY (VALUE may be empty). */
static int check_kv(cmd_bit_t cmd, const char *flag, const char *v)
{
	const char *eq = strchr(v, '=');
	if (!eq)
		return usage_error(cmd, "--%s %s: expected KEY=VALUE", flag, v);
	if (eq == v)
		return usage_error(cmd, "--%s %s: the key before '=' is empty", flag, v);
	return 0;
}

/* The image config flags, checked here so that a typo fails before anything is solved. */
static int apply_image_config(cmd_bit_t cmd, opt_id_t id, const char *v, cli_args_t *a)
{
	err_t err = ERR_INIT;
	rootfs_user_t user;
	switch (id) {
	case OPT_USER:
		if (rootfs_user_parse(v, &user, &err)) {
			usage_error(cmd, "--user: %s", err_msg(&err));
			err_clear(&err);
			return 2;
		}
		rootfs_user_clear(&user);
		a->build.user = v;
		return 0;
	case OPT_ENTRYPOINT:
		a->build.image.has_entrypoint = 1;
		return parse_argv_flag(cmd, "entrypoint", v, &a->entrypoint, &a->n_entrypoint);
	case OPT_CMD:
		a->build.image.has_cmd = 1;
		return parse_argv_flag(cmd, "cmd", v, &a->cmd, &a->n_cmd);
	case OPT_WORKDIR:
		if (v[0] != '/')
			return usage_error(cmd, "--workdir %s: must be an absolute path (as /app)",
					   v);
		a->build.image.workdir = v;
		return 0;
	case OPT_ENV:
		if (check_kv(cmd, "env", v))
			return 2;
		push_str(&a->envs, &a->n_envs, v);
		return 0;
	case OPT_LABEL:
		if (check_kv(cmd, "label", v))
			return 2;
		push_str(&a->labels, &a->n_labels, v);
		return 0;
	default:
		if (check_kv(cmd, "annotation", v))
			return 2;
		push_str(&a->annotations, &a->n_annotations, v);
		return 0;
	}
}

/* Stores one parsed option. 0, 1 for --help, or 2 after a usage error. */
static int apply(cmd_bit_t cmd, opt_id_t id, const char *v, cli_args_t *a)
{
	build_opts_t *o = &a->build;
	switch (id) {
	case OPT_CHANNEL: push_str(&a->channels, &a->n_channels, v); break;
	case OPT_CHANNEL_ALIAS: o->channel_alias = v; break;
	case OPT_OFFLINE: o->offline = 1; break;
	case OPT_PLATFORM:
	case OPT_ONE_PLATFORM: add_platforms(a, v); break;
	case OPT_BASE:
		o->base_ref = v;
		o->base_is_scratch = !strcmp(v, "scratch"); /* Docker's name for the empty image */
		o->base = o->base_is_scratch ? NULL : v;
		break;
	case OPT_CUDA: o->cuda_version = v; break;
	case OPT_GLIBC: o->glibc_version = v; break;
	case OPT_LOCK: o->lock_path = v; break;
	case OPT_IGNORE_PIP: o->ignore_pip = 1; break;
	case OPT_PYPI_INDEX: o->pypi_index = v; break;
	case OPT_NAME: o->name = v; break;
	case OPT_PREFIX: o->prefix = v; break;
	case OPT_RECIPE: o->recipe_path = v; break;
	case OPT_OUTPUT:
	case OPT_LOCK_OUTPUT: a->output = v; break;
	case OPT_TAG: push_str(&a->tags, &a->n_tags, v); break;
	case OPT_METADATA_FILE: a->publish.metadata_file = v; break;
	case OPT_CACHE_DIR: o->cache_dir = v; break;
	case OPT_CACHE_REPO: o->cache_repo = v; break;
	case OPT_LAYERS: o->only_groups = v; break;
	case OPT_NO_LAYER_CACHE: o->no_layer_cache = 1; break;
	case OPT_NO_EXTRACT_CACHE: o->no_extract_cache = 1; break;
	case OPT_VERBOSE: a->is_verbose = 1; break;
	case OPT_QUIET: a->is_quiet = 1; break;
	case OPT_CREDS: a->reg.auth.creds = v; break;
	case OPT_CA_CERT: a->reg.ca_cert = v; break;
	case OPT_INSECURE_REGISTRY: push_str(&a->insecure, &a->n_insecure, v); break;
	case OPT_SOURCE: o->image.source = v; break;
	case OPT_REVISION: o->image.revision = v; break;
	case OPT_CONFIG: a->config_path = v; break;
	case OPT_HELP: return 1;
	case OPT_USER:
	case OPT_ENTRYPOINT:
	case OPT_CMD:
	case OPT_WORKDIR:
	case OPT_ENV:
	case OPT_LABEL:
	case OPT_ANNOTATION: return apply_image_config(cmd, id, v, a);
	default: return apply_value(cmd, id, v, a);
	}
	return 0;
}

static const opt_def_t *def_by_id(opt_id_t id, cmd_bit_t cmd)
{
	for (size_t i = 0; i < opt_n_defs; i++)
		if (opt_defs[i].id == id && (opt_defs[i].commands & cmd))
			return &opt_defs[i];
	return NULL;
}

static const opt_def_t *def_by_short(char c, unsigned commands)
{
	for (size_t i = 0; i < opt_n_defs; i++)
		if (opt_defs[i].short_name == c && (opt_defs[i].commands & commands))
			return &opt_defs[i];
	return NULL;
}

static const opt_def_t *def_by_name(const char *name, size_t len, unsigned commands)
{
	for (size_t i = 0; i < opt_n_defs; i++)
		if (!strncmp(opt_defs[i].name, name, len) && !opt_defs[i].name[len] &&
		    (opt_defs[i].commands & commands))
			return &opt_defs[i];
	return NULL;
}

/* The commands other than cmd that take def's option, as "build, plan". */
static void other_commands(const opt_def_t *d, cmd_bit_t cmd, char *out, size_t cap)
{
	size_t len = 0;
	unsigned commands = 0;
	for (size_t i = 0; i < opt_n_defs; i++) /* -o/--output is build's and lock's */
		if (!strcmp(opt_defs[i].name, d->name))
			commands |= opt_defs[i].commands;
	out[0] = '\0';
	for (unsigned bit = CMD_BUILD; bit <= CMD_LAST; bit <<= 1) {
		int n;
		if (!(commands & bit) || bit == cmd)
			continue;
		n = snprintf(out + len, cap - len, "%s%s", len ? ", " : "",
			     cmd_bit_name((cmd_bit_t)bit));
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
}

/* "--chan" starts several of cmd's names: list them. 1 when it did. */
static int ambiguous_option(cmd_bit_t cmd, const char *written, const char *name, size_t len)
{
	char list[256];
	size_t n = 0, used = 0;
	for (size_t i = 0; i < opt_n_defs && len; i++) {
		const opt_def_t *d = &opt_defs[i];
		int k;
		if (!(d->commands & cmd) || strncmp(d->name, name, len))
			continue;
		k = snprintf(list + used, sizeof list - used, "%s--%s", n++ ? ", " : "", d->name);
		if (k > 0 && (size_t)k < sizeof list - used)
			used += (size_t)k;
	}
	if (n < 2)
		return 0;
	usage_error(cmd, "option %s is ambiguous: %s", written, list);
	return 1;
}

/* An option cmd does not take: say whose it is, or the nearest one cmd takes. */
static int unknown_option(cmd_bit_t cmd, const char *written)
{
	const char *names[sizeof opt_defs / sizeof opt_defs[0]];
	size_t n = 0, len;
	char whose[64];
	int is_long = written[0] == '-' && written[1] == '-';
	const char *name = written + (is_long ? 2 : 1);
	len = is_long ? strcspn(name, "=") : 1;
	const opt_def_t *d = is_long ? def_by_name(name, len, ~0u) : def_by_short(name[0], ~0u);
	if (d && !(d->commands & cmd)) {
		other_commands(d, cmd, whose, sizeof whose);
		return usage_error(cmd, "%s is not a %s option (--%s is for %s)", written,
				   cmd_bit_name(cmd), d->name, whose);
	}
	if (is_long && ambiguous_option(cmd, written, name, len))
		return 2;
	for (size_t i = 0; i < opt_n_defs; i++)
		if (opt_defs[i].commands & cmd)
			names[n++] = opt_defs[i].name;
	char *word = xstrndup(name, len);
	const char *near = is_long ? cli_nearest(word, names, n) : NULL;
	free(word);
	if (near)
		return usage_error(cmd, "unknown option %s; did you mean --%s?", written, near);
	return usage_error(cmd, "unknown option %s (see `imgbuild %s --help`)", written,
			   cmd_bit_name(cmd));
}

/* getopt said '?': an unknown or ambiguous option, or an argument given to a flag. */
static int bad_option(cmd_bit_t cmd, int which, const char *last_arg)
{
	char short_form[3] = {'-', (char)which, '\0'};
	if (which >= OPT_CHANNEL) {
		const opt_def_t *d = def_by_id((opt_id_t)which, cmd);
		return usage_error(cmd, "--%s takes no argument", d ? d->name : "?");
	}
	return unknown_option(cmd, which ? short_form : last_arg);
}

/* getopt's tables for cmd: long options (val = id) and the short letters (":" first, so a
 * missing argument is told from an unknown option). */
static struct option *make_longopts(cmd_bit_t cmd, char *shortopts, size_t cap)
{
	struct option *lo = xcalloc(opt_n_defs + 1, sizeof *lo);
	size_t n = 0, k = 0;
	shortopts[k++] = ':';
	for (size_t i = 0; i < opt_n_defs; i++) {
		const opt_def_t *d = &opt_defs[i];
		if (!(d->commands & cmd))
			continue;
		lo[n++] = (struct option){d->name, d->arg ? required_argument : no_argument, NULL,
					  (int)d->id};
		if (d->short_name && k + 3 < cap) {
			shortopts[k++] = d->short_name;
			if (d->arg)
				shortopts[k++] = ':';
		}
	}
	shortopts[k] = '\0';
	return lo;
}

static int missing_argument(cmd_bit_t cmd, int which)
{
	const opt_def_t *d = which >= OPT_CHANNEL ? def_by_id((opt_id_t)which, cmd)
						  : def_by_short((char)which, cmd);
	if (!d)
		return usage_error(cmd, "an option needs an argument");
	return usage_error(cmd, "--%s needs an argument (%s)", d->name, d->arg);
}

/* org.opencontainers.image.source/revision from the CI's standard variables, unless --source
 * and --revision were given: GitHub Actions, then GitLab CI. */
static void ci_source_revision(cli_args_t *a)
{
	image_config_opts_t *c = &a->build.image;
	const char *server = getenv("GITHUB_SERVER_URL"), *repo = getenv("GITHUB_REPOSITORY");
	const char *gh_sha = getenv("GITHUB_SHA"), *gl_url = getenv("CI_PROJECT_URL");
	const char *gl_sha = getenv("CI_COMMIT_SHA");
	if (!c->source && server && *server && repo && *repo) {
		buf_t url = BUF_INIT;
		buf_addf(&url, "%s/%s", server, repo);
		a->owned = xrealloc(a->owned, (a->n_owned + 1) * sizeof *a->owned);
		c->source = a->owned[a->n_owned++] = buf_detach(&url);
	} else if (!c->source && gl_url && *gl_url) {
		c->source = gl_url;
	}
	if (!c->revision)
		c->revision = gh_sha && *gh_sha ? gh_sha : gl_sha && *gl_sha ? gl_sha : NULL;
}

/* The environment, for the commands that key layers (SOURCE_DATE_EPOCH is in every key). */
static int apply_environment(cmd_bit_t cmd, cli_args_t *a)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH"), *repo = getenv("IMGBUILD_CACHE_REPO");
	long long num;
	if (!(cmd & (CMD_BUILD | CMD_PLAN | CMD_VERIFY)))
		return 0;
	if (sde && *sde) {
		if (parse_number(sde, &num) || num < 0)
			return usage_error(
				cmd, "SOURCE_DATE_EPOCH: '%s' is not a number of seconds", sde);
		a->build.layer.mtime = num;
		a->build.image.has_created = 1;
	}
	ci_source_revision(a);
	if (!a->build.cache_repo && repo && *repo)
		a->build.cache_repo = repo;
	if (a->build.cache_repo && a->build.no_layer_cache) {
		fprintf(stderr, "imgbuild: --no-layer-cache: the registry cache (--cache-repo) is "
				"not used either\n");
		a->build.cache_repo = NULL;
	}
	return 0;
}

/* Points the option structs at the lists gathered while parsing. */
static void link_lists(cli_args_t *a)
{
	a->build.channels = a->channels;
	a->build.n_channels = a->n_channels;
	a->build.platforms = a->platforms;
	a->build.n_platforms = a->n_platforms;
	a->build.reg = &a->reg;
	a->reg.log = cli_log;
	a->reg.insecure = a->insecure;
	a->reg.n_insecure = a->n_insecure;
	a->build.image.labels = a->labels;
	a->build.image.n_labels = a->n_labels;
	a->build.image.annotations = a->annotations;
	a->build.image.n_annotations = a->n_annotations;
	a->build.image.env = a->envs;
	a->build.image.n_env = a->n_envs;
	a->build.image.entrypoint = (const char *const *)a->entrypoint;
	a->build.image.n_entrypoint = a->n_entrypoint;
	a->build.image.cmd = (const char *const *)a->cmd;
	a->build.image.n_cmd = a->n_cmd;
	a->publish.refs = a->tags;
	a->publish.n_refs = a->n_tags;
	a->publish.output = a->output;
}

int cli_parse(cmd_bit_t cmd, const char *usage, int argc, char **argv, cli_args_t *out)
{
	char shortopts[64];
	struct option *lo = make_longopts(cmd, shortopts, sizeof shortopts);
	int c, rc = 0;
	memset(out, 0, sizeof *out);
	out->build.sbom_format = out->build.provenance = -1; /* not given (sbom_attach.h) */
	opterr = 0;
	optind = 0; /* glibc: 0 also resets its internal state, for a second parse in one process */
	while (rc == 0 && (c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		if (c == '?')
			rc = bad_option(cmd, optopt, argv[optind - 1]);
		else if (c == ':')
			rc = missing_argument(cmd, optopt);
		else {
			opt_id_t id =
				c < OPT_CHANNEL ? def_by_short((char)c, cmd)->id : (opt_id_t)c;
			out->given[id - OPT_CHANNEL] = 1;
			rc = apply(cmd, id, optarg, out);
		}
	}
	free(lo);
	if (rc == 1)
		cli_print_help(stdout, cmd, usage);
	if (rc)
		return rc;
	cli_is_quiet = out->is_quiet;
	progress_setup(out->progress, out->is_quiet);
	out->reg.progress = out->build.progress = progress_cli_sink();
	out->build.layer.progress = progress_cli_sink(); /* each layer's compression */
	out->args = argv + optind;
	out->n_args = (size_t)(argc - optind);
	if ((rc = config_apply(cmd, out)) != 0) /* imgbuild.yaml, under the flags (config.h) */
		return rc;
	link_lists(out);
	return apply_environment(cmd, out);
}

int cli_apply_option(cmd_bit_t cmd, const opt_def_t *d, const char *value, const char *origin,
		     cli_args_t *a)
{
	usage_origin = origin;
	int rc = apply(cmd, d->id, value, a);
	usage_origin = NULL;
	return rc == 1 ? 0 : rc;
}

int cli_take_env_file(cmd_bit_t cmd, cli_args_t *a)
{
	if (a->n_args > 1)
		return usage_error(cmd, "takes one environment file, not %zu (%s, %s%s)", a->n_args,
				   a->args[0], a->args[1], a->n_args > 2 ? ", ..." : "");
	if (a->n_args == 0 && !(a->build.lock_path && (cmd & (CMD_BUILD | CMD_PLAN))))
		return usage_error(cmd, "needs an environment file%s (see `imgbuild %s --help`)",
				   cmd & (CMD_BUILD | CMD_PLAN) ? " (or --lock FILE)" : "",
				   cmd_bit_name(cmd));
	a->build.env_path = a->n_args ? a->args[0] : NULL;
	return 0;
}

void cli_args_free(cli_args_t *a)
{
	if (!a)
		return;
	free((void *)a->channels);
	free((void *)a->tags);
	free((void *)a->insecure);
	free((void *)a->platforms);
	free((void *)a->labels);
	free((void *)a->annotations);
	free((void *)a->envs);
	free_argv(a->entrypoint, a->n_entrypoint);
	free_argv(a->cmd, a->n_cmd);
	for (size_t i = 0; i < a->n_owned; i++)
		free(a->owned[i]);
	free(a->owned);
	memset(a, 0, sizeof *a);
}

/* Prints text, the cursor being at column col: words wrapped at HELP_WIDTH, continuation
 * lines (and '\n' breaks) indented to HELP_COLUMN. */
static void print_wrapped(FILE *f, const char *text, size_t col)
{
	int at_start = 1;
	for (const char *w = text; *w;) {
		size_t len = strcspn(w, " \n");
		if (!at_start && col + 1 + len > HELP_WIDTH) {
			fprintf(f, "\n%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
			at_start = 1;
		}
		fprintf(f, "%s%.*s", at_start ? "" : " ", (int)len, w);
		col += !at_start + len;
		at_start = 0;
		w += len;
		if (*w == '\n') {
			fprintf(f, "\n%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
			at_start = 1;
		}
		while (*w == ' ' || *w == '\n')
			w++;
	}
	fputc('\n', f);
}

void cli_print_help(FILE *f, cmd_bit_t cmd, const char *usage)
{
	fputs(usage, f);
	for (size_t i = 0; i < opt_n_defs; i++) {
		const opt_def_t *d = &opt_defs[i];
		char left[64];
		if (!(d->commands & cmd))
			continue;
		int n = snprintf(left, sizeof left, "  %c%c%s--%s%s%s", d->short_name ? '-' : ' ',
				 d->short_name ? d->short_name : ' ', d->short_name ? ", " : "  ",
				 d->name, d->arg ? " " : "", d->arg ? d->arg : "");
		size_t len = n < 0 ? 0 : (size_t)n < sizeof left ? (size_t)n : sizeof left - 1;
		/* the help starts at HELP_COLUMN, or two spaces after a long option */
		if (len + 1 < HELP_COLUMN) {
			fprintf(f, "%-*s", HELP_COLUMN, left);
			len = HELP_COLUMN;
		} else {
			fprintf(f, "%s  ", left);
			len += 2;
		}
		print_wrapped(f, d->help, len);
	}
}

void cli_log(void *ud, const char *msg)
{
	(void)ud;
	if (cli_is_quiet && strncmp(msg, "warning", 7) != 0)
		return;
	progress_log_line(msg);
}

/* The library says what went wrong and where; only the CLI knows its flags (CONVENTIONS §1),
 * so the hint a library attaches (err_t.hint) is spelled out here with the flag that fixes it. */
static void print_hint(const err_t *err)
{
	switch (err ? err->hint : ERR_HINT_NONE) {
	case ERR_HINT_TLS_UNTRUSTED:
		progress_text_line("hint",
				   "trust the server's CA with --ca-cert FILE (a PEM file), "
				   "or $SSL_CERT_FILE");
		break;
	case ERR_HINT_REGISTRY_TLS:
		progress_text_line("hint", "trust the registry's CA with --ca-cert FILE (or "
					   "--insecure-registry HOST[:PORT] for a test registry)");
		break;
	case ERR_HINT_REGISTRY_CREDS:
		progress_text_line("hint", "give credentials with --creds USER:PASSWORD, "
					   "$IMGBUILD_REGISTRY_USER/$IMGBUILD_REGISTRY_PASSWORD or "
					   "`docker login`");
		break;
	case ERR_HINT_GLIBC_NEWER_THAN_BASE:
		fprintf(stderr, "imgbuild: hint: drop --glibc or use a newer --base image\n");
		break;
	case ERR_HINT_VIRTUAL_PACKAGES:
		fprintf(stderr, "imgbuild: hint: the target's virtual packages come from --base "
				"(its glibc), --glibc VERSION and --cuda DRIVER_VERSION (for GPU "
				"nodes)\n");
		break;
	case ERR_HINT_STRICT_PRIORITY:
		fprintf(stderr, "imgbuild: hint: relax the priority with --channel-priority "
				"flexible\n");
		break;
	case ERR_HINT_SHORTER_PREFIX:
		fprintf(stderr, "imgbuild: hint: use a shorter --prefix\n");
		break;
	case ERR_HINT_BASE_NEEDED:
		fprintf(stderr,
			"imgbuild: hint: pass a glibc-based --base such as "
			"docker.io/library/debian:bookworm-slim@sha256:<digest> (or "
			"nvidia/cuda:<version>-base-ubuntu22.04 for CUDA), or --base scratch to "
			"build anyway\n");
		break;
	case ERR_HINT_USER_SPEC:
		fprintf(stderr, "imgbuild: hint: --user takes UID, UID:GID or NAME\n");
		break;
	case ERR_HINT_OFFLINE_CACHE:
		fprintf(stderr, "imgbuild: hint: run once without --offline to fill the cache\n");
		break;
	default: break;
	}
}

void cli_logf(const char *fmt, ...)
{
	buf_t m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	cli_log(NULL, m.data);
	buf_free(&m);
}

int cli_fail(const err_t *err)
{
	progress_text_line("error", err_msg(err));
	print_hint(err);
	return 1;
}

void cli_human_size(long long n, char *out, size_t cap)
{
	const char *units[] = {"B", "KB", "MB", "GB", "TB"};
	double v = (double)n;
	int u = 0;
	while (v >= 1000.0 && u < 4) {
		v /= 1000.0;
		u++;
	}
	if (snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", v, units[u]) >= (int)cap)
		out[cap - 1] = '\0';
}

/* Levenshtein distance, capped inputs (option and command names are short). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
	if (la >= 64 || lb >= 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof *prev);
	}
	return prev[lb];
}

const char *cli_nearest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, limit = strlen(word) > 6 ? 3 : 2;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, candidates[i]);
		/* a word that is the start of one candidate ("--chan") is nearest to it */
		if (!strncmp(candidates[i], word, strlen(word)) && *word)
			d = d < 1 ? d : 1;
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
