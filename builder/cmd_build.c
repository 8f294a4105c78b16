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
#include "publish.h"
#include "sbom.h" /* issue 15 */
#include "solve.h"

#define MAX_LIST 64

static const char usage[] =
	"usage: imgbuild build ENV.yml -t REGISTRY/NAME[:TAG]... [options]   (build and push)\n"
	"       imgbuild build ENV.yml --output oci:DIR|docker-archive:FILE [-t NAME[:TAG]] [options]\n"
	"  -c, --channel URL|NAME   channel searched before the file's channels (repeatable)\n"
	"      --channel-alias URL  base URL for channel names (default https://conda.anaconda.org)\n"
	"  -o, --output oci:DIR     write an OCI image layout to DIR (replaced if it is one)\n"
	"  -o, --output docker-archive:FILE  write a tar for `docker load` instead\n"
	"  -t, --tag REF            image name and tag (repeatable; TAG defaults to latest); without\n"
	"                           --output each REF must name a registry and is pushed there\n"
	"      --platform LIST      linux/amd64,linux/arm64: one image each, joined by an index\n"
	"      --metadata-file F    write JSON (digest, tags, layers) for CI\n"
	"      --creds USER:PASS    registry credentials (else $IMGBUILD_REGISTRY_USER/_PASSWORD,\n"
	"                           then ~/.docker/config.json or $DOCKER_CONFIG: auths, credHelpers)\n"
	"      --ca-cert FILE       also trust this PEM CA (channels, packages, registries)\n"
	"      --insecure-registry HOST[:PORT]  allow plain HTTP / unverified TLS (repeatable)\n"
	"      --prefix PATH        environment prefix in the image (default /opt/conda/envs/NAME)\n"
	"      --name NAME          environment name (default: name: in the file)\n"
	"      --base oci:DIR[:TAG]|REF  put the layers on top of this base image (REF is pulled)\n"
	"      --recipe FILE        layer-grouping recipe (default: recipes/default.yaml, built in)\n"
	"      --cuda VERSION       __cuda virtual package (driver version of the target nodes)\n"
	"      --glibc VERSION      __glibc virtual package (default: the base image's glibc, else 2.28)\n"
	"      --compression gzip|zstd  layer compression (default gzip)\n"
	"      --sbom none|spdx|cyclonedx  SBOM of the image and of each layer, attached as an\n"
	"                           OCI 1.1 referrer (default: spdx on a push, none for --output)\n"
	"      --compression-level N  gzip 1..12 (libdeflate; default 4), zstd 1..19 (default 3)\n"
	"      --cache-dir DIR      cache (default $XDG_CACHE_HOME/imgbuild or ~/.cache/imgbuild)\n"
	"      --ignore-pip         build without the file's pip: dependencies\n"
	"      --lock FILE          install exactly this lock (conda-lock YAML or @EXPLICIT), no solve\n"
	"      --channel-priority strict|flexible|disabled  (default strict)\n"
	"      --offline            use cached repodata only\n"
	"      --no-layer-cache     build every layer; neither reuse nor store layers\n"
	"      --no-extract-cache   extract every package afresh; neither reuse nor keep extracted\n"
	"                           packages (<cache>/extracted, hardlinked into the staging trees)\n"
	"      --cache-repo HOST[:PORT]/PATH  shared layer cache in a registry repository (also\n"
	"                           $IMGBUILD_CACHE_REPO): layers found there are not built, and\n"
	"                           pushed to the same registry by mount; new layers are stored there\n"
	"  -j, --jobs N             parallel installs/layers, and compression threads per layer\n"
	"                           (default: CPUs; the image bytes never depend on it)\n";

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

static void print_table(const build_result_t *r)
{
	char size[32];
	printf("%-16s %8s %10s  %s\n", "GROUP", "PACKAGES", "SIZE", "DIGEST");
	for (size_t i = 0; i < r->n_layers; i++) {
		human_size(r->layers[i].desc.size, size, sizeof size);
		printf("%-16s %8zu %10s  %s\n", r->layers[i].group, r->layers[i].n_packages, size,
		       r->layers[i].desc.digest);
	}
	printf("manifest: %s\n%zu packages in %s\n", r->manifest_digest, r->n_packages, r->prefix);
}

/* Per platform its layer table, then where the image went and its digest. */
static void print_result(const publish_result_t *r, const char *output)
{
	for (size_t i = 0; i < r->n_builds; i++) {
		if (r->n_builds > 1)
			printf("platform: %s\n", r->platforms[i]);
		print_table(&r->builds[i]);
	}
	if (output)
		printf("image: %s\n", output);
	for (size_t i = 0; i < r->n_pushed; i++)
		printf("pushed: %s\n", r->pushed[i]);
	if (r->n_pushed)
		fprintf(stderr, "imgbuild: blobs: %ld uploaded, %ld mounted, %ld already there\n",
			r->stats.blobs_uploaded, r->stats.blobs_mounted, r->stats.blobs_skipped);
	printf("digest: %s\n", r->digest);
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
		{"compression", required_argument, NULL, 'Z'}, {"compression-level", required_argument, NULL, 1010}, {"cache-dir", required_argument, NULL, 'C'},
		{"ignore-pip", no_argument, NULL, 'I'}, {"no-layer-cache", no_argument, NULL, 1001},
		{"no-extract-cache", no_argument, NULL, 1011},
		{"sbom", required_argument, NULL, 1015}, /* issue 15 */
		{"cache-repo", required_argument, NULL, 1002},    {"jobs", required_argument, NULL, 'j'},
		{"lock", required_argument, NULL, 'L'},    {"channel-priority", required_argument, NULL, 'p'},
		{"offline", no_argument, NULL, 'O'},
		{"platform", required_argument, NULL, 'T'}, {"metadata-file", required_argument, NULL, 'M'},
		{"creds", required_argument, NULL, 'K'},   {"ca-cert", required_argument, NULL, 'E'},
		{"insecure-registry", required_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
	const char *channels[MAX_LIST], *refs[MAX_LIST];
	const char *platforms[MAX_LIST], *insecure[MAX_LIST];
	build_opts_t o = {.platform_subdir = "linux-64", .sbom_format = SBOM_SPDX}; /* issue 15 */
	int sbom_given = 0; /* issue 15 */
	publish_opts_t po = {.refs = refs, .platforms = platforms, .reg.insecure = insecure};
	publish_result_t res;
	char *plat_list = NULL;
	err_t err = ERR_INIT;
	const char *output = NULL;
	size_t n_refs = 0;
	long long num;
	int c, rc = 1;

	o.channels = channels;
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
		case 'B': po.base = optarg; break;
		case 'T':
			/* "linux/amd64,linux/arm64": split a copy at the commas */
			free(plat_list);
			plat_list = strdup(optarg);
			po.n_platforms = 0;
			for (char *p = plat_list; p && *p && po.n_platforms < MAX_LIST;) {
				char *comma = strchr(p, ',');
				if (comma)
					*comma = '\0';
				platforms[po.n_platforms++] = p;
				p = comma ? comma + 1 : NULL;
			}
			break;
		case 'M': po.metadata_file = optarg; break;
		case 'K': po.reg.auth.creds = optarg; break;
		case 'E': po.reg.ca_cert = optarg; break;
		case 'N':
			if (po.reg.n_insecure == MAX_LIST)
				goto too_many;
			insecure[po.reg.n_insecure++] = optarg;
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
		case 1010:
			if (layer_level_parse(optarg, &o.layer.level) != 0) {
				fprintf(stderr, "imgbuild: --compression-level %s: expected 1..12 for gzip, 1..19 for zstd\n", optarg);
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
		case 1011: o.no_extract_cache = 1; break;
		case 1015: /* issue 15 */
			sbom_given = 1;
			if (sbom_format_parse(optarg, (sbom_format_t *)&o.sbom_format, &err)) {
				fprintf(stderr, "imgbuild: %s\n", err_msg(&err));
				goto out;
			}
			break;
		case 1002: o.cache_repo = optarg; break;
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
	po.output = output;
	po.n_refs = n_refs;
	/* issue 15: a local output gets an SBOM only when asked: tools before OCI 1.1 (Debian's
	 * oci-image-tool) refuse a layout holding artifacts (docs/sbom.md) */
	if (output && !sbom_given)
		o.sbom_format = SBOM_NONE;
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		if (parse_long(sde, "SOURCE_DATE_EPOCH", &num) || num < 0)
			goto out;
		o.layer.mtime = num;
	}
	po.reg.log = on_log;
	if (!o.cache_repo && getenv("IMGBUILD_CACHE_REPO") && *getenv("IMGBUILD_CACHE_REPO"))
		o.cache_repo = getenv("IMGBUILD_CACHE_REPO");
	o.cache_reg = &po.reg; /* same credentials, CA and insecure hosts as the push */
	o.ca_cert = po.reg.ca_cert; /* and the same CA for channels and packages */
	if (o.cache_repo && o.no_layer_cache) {
		fprintf(stderr, "imgbuild: --no-layer-cache: the registry cache (--cache-repo) is not used either\n");
		o.cache_repo = NULL;
	}
	if (publish_run(&po, &o, on_log, NULL, &res, &err) != 0) {
		cmd_print_error(&err);
		goto out;
	}
	print_result(&res, output);
	publish_result_free(&res);
	rc = 0;
out:
	err_clear(&err);
	free(plat_list);
	return rc;
too_many:
	fprintf(stderr, "imgbuild: too many -c/-t/--insecure-registry options (at most %d)\n", MAX_LIST);
	free(plat_list);
	return 2;
}
