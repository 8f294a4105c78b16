/* cmd_plan.c — `imgbuild plan ENV.yml [-t REF] [options]`: solves the environment and prints
 * its layer plan (groups, packages, estimated sizes, cache keys, "cached locally" or
 * "to build") without downloading a single package. Parses options, calls plan_report_make,
 * prints. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pipeline.h"
#include "plan_report.h"
#include "reg.h"

#define MAX_LIST 64

static const char usage[] =
	"usage: imgbuild plan ENV.yml [-t REF] [options]\n"
	"Solves ENV.yml and prints the layers a build would make, without downloading packages:\n"
	"per layer its packages, an estimated size (sum of the packages' compressed archive sizes\n"
	"from repodata), its cache key and whether it is cached locally, in the registry cache\n"
	"(--cache-repo) or must be built.\n"
	"  -c, --channel URL|NAME   channel searched before the file's channels (repeatable)\n"
	"      --channel-alias URL  base URL for channel names (default https://conda.anaconda.org)\n"
	"  -t, --tag REF            the image the build would make (informational for now)\n"
	"      --prefix PATH        environment prefix in the image (default /opt/conda/envs/NAME)\n"
	"      --name NAME          environment name (default: name: in the file)\n"
	"      --recipe FILE        layer-grouping recipe (default: recipes/default.yaml, built in)\n"
	"      --cuda VERSION       __cuda virtual package (driver version of the target nodes)\n"
	"      --glibc VERSION      __glibc virtual package (default: the base image's glibc, else 2.28)\n"
	"      --compression gzip|zstd  layer compression (part of every cache key; default gzip)\n"
	"      --compression-level N  compressor level (part of every cache key; gzip default 4)\n"
	"      --cache-dir DIR      cache (default $XDG_CACHE_HOME/imgbuild or ~/.cache/imgbuild)\n"
	"      --cache-repo HOST[:PORT]/PATH  also ask this registry cache (else $IMGBUILD_CACHE_REPO):\n"
	"                           layers it holds are shown \"in registry\"\n"
	"      --creds USER:PASS    registry credentials (else $IMGBUILD_REGISTRY_USER/_PASSWORD,\n"
	"                           then ~/.docker/config.json or $DOCKER_CONFIG)\n"
	"      --ca-cert FILE       also trust this PEM CA (channels, registries)\n"
	"      --insecure-registry HOST[:PORT]  allow plain HTTP / unverified TLS (repeatable)\n"
	"      --ignore-pip         plan without the file's pip: dependencies\n"
	"      --verbose            list every package of every layer\n";

static void on_log(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "imgbuild: %s\n", msg);
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

static const char *status_name(plan_status_t s)
{
	switch (s) {
	case PLAN_CACHED_LOCALLY: return "cached locally";
	case PLAN_IN_REGISTRY: return "in registry";
	default: return "to build";
	}
}

static void print_report(const plan_report_t *r, int is_verbose)
{
	char size[32];
	size_t n_cached = 0, n_registry = 0;
	long long to_build = 0;
	printf("%-20s %8s %12s  %-14s  %s\n", "LAYER", "PACKAGES", "EST. SIZE", "STATUS", "KEY");
	for (size_t g = 0; g < r->n_rows; g++) {
		const plan_row_t *row = &r->rows[g];
		human_size(row->est_bytes, size, sizeof size);
		printf("%-20s %8zu %12s  %-14s  %.16s\n", row->group, row->n_packages, size,
		       status_name(row->status), row->key[0] ? row->key : "(not cacheable)");
		for (size_t j = 0; is_verbose && j < row->n_packages; j++)
			printf("    %s\n", row->packages[j]);
		if (row->status == PLAN_TO_BUILD)
			to_build += row->est_bytes;
		else
			n_cached++;
		n_registry += row->status == PLAN_IN_REGISTRY;
	}
	human_size(to_build, size, sizeof size);
	printf("%zu layers, %zu cached", r->n_rows, n_cached);
	if (n_registry)
		printf(" (%zu in the registry cache)", n_registry);
	printf(", est. %s to build; %zu packages in %s", size, r->n_packages, r->prefix);
	if (r->python_version)
		printf(" (python %s)", r->python_version);
	printf("\nEST. SIZE: sum of the packages' compressed archive sizes from repodata\n");
}

int cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"channel", required_argument, NULL, 'c'}, {"channel-alias", required_argument, NULL, 'A'},
		{"tag", required_argument, NULL, 't'},     {"prefix", required_argument, NULL, 'P'},
		{"name", required_argument, NULL, 'n'},    {"recipe", required_argument, NULL, 'R'},
		{"cuda", required_argument, NULL, 'U'},    {"glibc", required_argument, NULL, 'G'},
		{"compression", required_argument, NULL, 'Z'}, {"compression-level", required_argument, NULL, 1010}, {"cache-dir", required_argument, NULL, 'C'},
		{"ignore-pip", no_argument, NULL, 'I'},    {"verbose", no_argument, NULL, 'v'},
		{"cache-repo", required_argument, NULL, 1002}, {"creds", required_argument, NULL, 'K'},
		{"ca-cert", required_argument, NULL, 'E'}, {"insecure-registry", required_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
	const char *channels[MAX_LIST], *insecure[MAX_LIST];
	build_opts_t o = {.platform_subdir = "linux-64"};
	reg_opts_t ro = {.insecure = insecure, .log = on_log};
	plan_report_t rep;
	err_t err = ERR_INIT;
	int c, rc = 2, is_verbose = 0;
	o.channels = channels;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (o.n_channels == MAX_LIST) {
				fprintf(stderr, "imgbuild: too many -c options (at most %d)\n", MAX_LIST);
				return 2;
			}
			channels[o.n_channels++] = optarg;
			break;
		case 'A': o.channel_alias = optarg; break;
		case 't': break; /* the image name plays no part in the plan: accepted, unused */
		case 'P': o.prefix = optarg; break;
		case 'n': o.name = optarg; break;
		case 'R': o.recipe_path = optarg; break;
		case 'U': o.cuda_version = optarg; break;
		case 'G': o.glibc_version = optarg; break;
		case 'Z':
			if (!strcmp(optarg, "gzip") || !strcmp(optarg, "zstd")) {
				o.layer.compression = optarg[0] == 'z' ? LAYER_ZSTD : LAYER_GZIP;
				break;
			}
			fprintf(stderr, "imgbuild: --compression %s: use gzip or zstd\n", optarg);
			return 2;
		case 1010:
			if (layer_level_parse(optarg, &o.layer.level) != 0) {
				fprintf(stderr, "imgbuild: --compression-level %s: expected 1..12 for gzip, 1..19 for zstd\n", optarg);
				return 2;
			}
			break;
		case 'C': o.cache_dir = optarg; break;
		case 1002: o.cache_repo = optarg; break;
		case 'K': ro.auth.creds = optarg; break;
		case 'E': ro.ca_cert = optarg; break;
		case 'N':
			if (ro.n_insecure == MAX_LIST) {
				fprintf(stderr, "imgbuild: too many --insecure-registry options (at most %d)\n", MAX_LIST);
				return 2;
			}
			insecure[ro.n_insecure++] = optarg;
			break;
		case 'I': o.ignore_pip = 1; break;
		case 'v': is_verbose = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "imgbuild: plan needs exactly one environment file\n%s", usage);
		return 2;
	}
	o.env_path = argv[optind];
	if (!o.cache_repo && getenv("IMGBUILD_CACHE_REPO") && *getenv("IMGBUILD_CACHE_REPO"))
		o.cache_repo = getenv("IMGBUILD_CACHE_REPO");
	o.cache_reg = &ro;
	o.ca_cert = ro.ca_cert; /* channels too, not only the cache registry */
	const char *sde = getenv("SOURCE_DATE_EPOCH"); /* part of every key, as in build */
	if (sde && *sde) {
		char *end = NULL;
		errno = 0;
		long long v = strtoll(sde, &end, 10);
		if (errno || !end || *end || v < 0) {
			fprintf(stderr, "imgbuild: SOURCE_DATE_EPOCH: '%s' is not a number\n", sde);
			return 2;
		}
		o.layer.mtime = v;
	}
	if (plan_report_make(&o, on_log, NULL, &rep, &err) != 0) {
		cmd_print_error(&err);
		rc = 1;
		goto out;
	}
	print_report(&rep, is_verbose);
	plan_report_free(&rep);
	rc = 0;
out:
	err_clear(&err);
	return rc;
}
