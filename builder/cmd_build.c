/* cmd_build.c — `imgbuild build ENV.yml [options]`: parses options into build_opts_t, runs the
 * pipeline, prints progress to stderr and the layer table to stdout. Nothing else. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pipeline.h"
#include "solve.h"

#define MAX_LIST 64

static const char usage[] =
	"usage: imgbuild build ENV.yml --output oci:DIR -t NAME[:TAG] [options]\n"
	"  -c, --channel URL|NAME   channel searched before the file's channels (repeatable)\n"
	"      --channel-alias URL  base URL for channel names (default https://conda.anaconda.org)\n"
	"  -o, --output oci:DIR     write an OCI image layout to DIR (replaced if it is one)\n"
	"  -t, --tag NAME[:TAG]     image name and tag (repeatable; TAG defaults to latest)\n"
	"      --prefix PATH        environment prefix in the image (default /opt/conda/envs/NAME)\n"
	"      --name NAME          environment name (default: name: in the file)\n"
	"      --base oci:DIR[:TAG] put the layers on top of this base image\n"
	"      --recipe FILE        layer-grouping recipe (default: recipes/default.yaml, built in)\n"
	"      --cuda VERSION       __cuda virtual package (driver version of the target nodes)\n"
	"      --glibc VERSION      __glibc virtual package (default 2.28)\n"
	"      --compression gzip|zstd  layer compression (default gzip)\n"
	"      --cache-dir DIR      cache (default $XDG_CACHE_HOME/imgbuild or ~/.cache/imgbuild)\n"
	"      --ignore-pip         build without the file's pip: dependencies\n"
	"      --lock FILE          install exactly this lock (conda-lock YAML or @EXPLICIT), no solve\n"
	"      --channel-priority strict|flexible|disabled  (default strict)\n"
	"      --offline            use cached repodata only\n"
	"      --no-layer-cache     build every layer; neither reuse nor store layers\n"
	"  -j, --jobs N             parallel installs/layers, and compression threads per layer\n"
	"                           (default: CPUs; the image bytes never depend on it)\n";

static void on_log(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "imgbuild: %s\n", msg);
}

/* "registry/name:tag" -> "tag"; no tag -> "latest". Returns NULL for digests. */
static const char *tag_of(const char *ref)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(ref, ':');
	if (strchr(ref, '@'))
		return NULL;
	if (colon && (!slash || colon > slash))
		return colon + 1;
	return "latest";
}

static void human_size(long long n, char *out, size_t cap)
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

static void print_table(const build_result_t *r, const char *output, const char *const *tags, size_t n_tags)
{
	char size[32];
	printf("%-16s %8s %10s  %s\n", "GROUP", "PACKAGES", "SIZE", "DIGEST");
	for (size_t i = 0; i < r->n_layers; i++) {
		human_size(r->layers[i].desc.size, size, sizeof size);
		printf("%-16s %8zu %10s  %s\n", r->layers[i].group, r->layers[i].n_packages, size,
		       r->layers[i].desc.digest);
	}
	printf("image: %s (", output);
	for (size_t i = 0; i < n_tags; i++)
		printf("%s%s", i ? ", " : "", tags[i]);
	printf(")\nmanifest: %s\n%zu packages in %s\n", r->manifest_digest, r->n_packages, r->prefix);
}

static int parse_long(const char *s, const char *opt, long long *out)
{
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || !end || *end || end == s) {
		fprintf(stderr, "imgbuild: %s: '%s' is not a number\n", opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

int cmd_build(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"channel", required_argument, NULL, 'c'}, {"channel-alias", required_argument, NULL, 'A'},
		{"output", required_argument, NULL, 'o'},  {"tag", required_argument, NULL, 't'},
		{"prefix", required_argument, NULL, 'P'},  {"name", required_argument, NULL, 'n'},
		{"base", required_argument, NULL, 'B'},    {"recipe", required_argument, NULL, 'R'},
		{"cuda", required_argument, NULL, 'U'},    {"glibc", required_argument, NULL, 'G'},
		{"compression", required_argument, NULL, 'Z'}, {"cache-dir", required_argument, NULL, 'C'},
		{"ignore-pip", no_argument, NULL, 'I'}, {"no-layer-cache", no_argument, NULL, 1001},    {"jobs", required_argument, NULL, 'j'},
		{"lock", required_argument, NULL, 'L'},    {"channel-priority", required_argument, NULL, 'p'},
		{"offline", no_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
	const char *channels[MAX_LIST], *tags[MAX_LIST], *refs[MAX_LIST];
	build_opts_t o = {.platform_subdir = "linux-64"};
	build_result_t res;
	err_t err = ERR_INIT;
	char *base_dir = NULL;
	const char *output = NULL;
	size_t n_refs = 0;
	long long num;
	int c, rc = 1;

	o.channels = channels;
	o.tags = tags;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:o:t:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (o.n_channels == MAX_LIST)
				goto too_many;
			channels[o.n_channels++] = optarg;
			break;
		case 'A': o.channel_alias = optarg; break;
		case 'o': output = optarg; break;
		case 't':
			if (n_refs == MAX_LIST)
				goto too_many;
			refs[n_refs++] = optarg;
			break;
		case 'P': o.prefix = optarg; break;
		case 'n': o.name = optarg; break;
		case 'B':
			if (strncmp(optarg, "oci:", 4) != 0) {
				fprintf(stderr, "imgbuild: --base %s: only oci:DIR[:TAG] bases are supported so far\n", optarg);
				return 2;
			}
			free(base_dir);
			base_dir = strdup(optarg + 4);
			char *colon = strrchr(base_dir, ':');
			if (colon && !strchr(colon, '/')) {
				*colon = '\0';
				o.base_tag = optarg + 4 + (colon - base_dir) + 1;
			}
			o.base_layout = base_dir;
			break;
		case 'R': o.recipe_path = optarg; break;
		case 'U': o.cuda_version = optarg; break;
		case 'G': o.glibc_version = optarg; break;
		case 'Z':
			if (!strcmp(optarg, "gzip"))
				o.layer.compression = LAYER_GZIP;
			else if (!strcmp(optarg, "zstd"))
				o.layer.compression = LAYER_ZSTD;
			else {
				fprintf(stderr, "imgbuild: --compression %s: use gzip or zstd\n", optarg);
				goto out;
			}
			break;
		case 'C': o.cache_dir = optarg; break;
		case 'I': o.ignore_pip = 1; break;
		case 'L': o.lock_path = optarg; break;
		case 'O': o.offline = 1; break;
		case 'p':
			if ((o.channel_priority = solve_priority_from_name(optarg)) < 0) {
				fprintf(stderr, "imgbuild: --channel-priority %s: use strict, flexible or disabled\n", optarg);
				goto out;
			}
			break;
		case 1001: o.no_layer_cache = 1; break;
		case 'j':
			if (parse_long(optarg, "--jobs", &num) || num < 1 || num > 256)
				goto out;
			o.jobs = (int)num;
			o.layer.threads = (int)num; /* compression threads per layer */
			break;
		case 'h': fputs(usage, stdout); rc = 0; goto out;
		default: fputs(usage, stderr); rc = 2; goto out;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "imgbuild: build needs exactly one environment file\n%s", usage);
		rc = 2;
		goto out;
	}
	o.env_path = argv[optind];
	if (!output) {
		fprintf(stderr, "imgbuild: pushing to a registry is not implemented yet: pass --output oci:DIR\n");
		rc = 2;
		goto out;
	}
	if (strncmp(output, "oci:", 4) != 0 || !output[4]) {
		fprintf(stderr, "imgbuild: --output %s: expected oci:DIR\n", output);
		rc = 2;
		goto out;
	}
	o.output_dir = output + 4;
	for (size_t i = 0; i < n_refs; i++) {
		tags[i] = tag_of(refs[i]);
		if (!tags[i] || !*tags[i]) {
			fprintf(stderr, "imgbuild: -t %s: expected NAME[:TAG] (digests cannot be written)\n", refs[i]);
			rc = 2;
			goto out;
		}
	}
	o.n_tags = n_refs;
	if (o.n_tags == 0) {
		tags[0] = "latest";
		o.n_tags = 1;
	}
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		if (parse_long(sde, "SOURCE_DATE_EPOCH", &num) || num < 0)
			goto out;
		o.layer.mtime = num;
	}
	if (pipeline_build(&o, on_log, NULL, &res, &err) != 0) {
		fprintf(stderr, "imgbuild: error: %s\n", err_msg(&err));
		goto out;
	}
	print_table(&res, output, tags, o.n_tags);
	build_result_free(&res);
	rc = 0;
out:
	err_clear(&err);
	free(base_dir);
	return rc;
too_many:
	fprintf(stderr, "imgbuild: too many -c/-t options (at most %d)\n", MAX_LIST);
	free(base_dir);
	return 2;
}
