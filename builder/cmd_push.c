/* cmd_push.c — `imgbuild push oci:DIR[:TAG] REF [REF...]`: pushes an image layout that is already
 * built (by `imgbuild build --output oci:DIR` or any OCI tool) to registry references, as
 * `crane push` does; the same client, auth, TLS and retry rules as build's push (oci/push.h).
 * All REFs must name one registry and repository; each tag is PUT once the blobs are in. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fsutil.h"
#include "layout.h"
#include "push.h"
#include "ref.h"
#include "reg.h"

#define MAX_REFS 32

static const char *const push_usage =
	"usage: imgbuild push oci:DIR[:TAG] REGISTRY/REPO[:TAG] [more tags of the same repo] [options]\n"
	"      --creds USER:PASS    registry credentials (else $IMGBUILD_REGISTRY_USER/_PASSWORD,\n"
	"                           then the Docker config)\n"
	"      --ca-cert FILE       also trust this PEM CA\n"
	"      --insecure-registry HOST[:PORT]  allow plain HTTP / unverified TLS (repeatable)\n"
	"      --cache-dir DIR      where mount hints are kept (default as build)\n";

static void on_log(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "imgbuild: %s\n", msg);
}

/* Parses every REF; all must share refs[0]'s registry and repository. Tags into tags[]. */
static int parse_refs(char **args, int n, oci_ref_t *first, char **tags, size_t *n_tags,
		      err_t *err)
{
	for (int i = 0; i < n; i++) {
		oci_ref_t r = OCI_REF_INIT;
		if (!oci_ref_names_registry(args[i]))
			return err_set(err, "push: '%s' names no registry (write HOST[:PORT]/REPO:TAG)", args[i]);
		if (oci_ref_parse(args[i], i ? &r : first, err))
			return -1;
		oci_ref_t *cur = i ? &r : first;
		int same = !strcmp(cur->registry, first->registry) && !strcmp(cur->repository, first->repository);
		if (same && cur->tag && !(tags[*n_tags] = strdup(cur->tag)))
			abort();
		if (same && cur->tag)
			(*n_tags)++;
		if (!same || cur->digest)
			err_set(err, "push: '%s': every reference must be a tag of %s/%s", args[i],
				first->registry, first->repository);
		oci_ref_clear(&r);
		if (!same || cur->digest)
			return -1;
	}
	return 0;
}

int cmd_push(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"creds", required_argument, NULL, 'K'},   {"ca-cert", required_argument, NULL, 'E'},
		{"insecure-registry", required_argument, NULL, 'N'},
		{"cache-dir", required_argument, NULL, 'C'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *insecure[MAX_REFS], *cache_dir = NULL;
	char *tags[MAX_REFS];
	reg_opts_t ro = {.insecure = insecure, .log = on_log};
	oci_ref_t ref = OCI_REF_INIT;
	buf_t cache = BUF_INIT, layout = BUF_INIT, layout_tag = BUF_INIT;
	err_t err = ERR_INIT;
	reg_t *reg = NULL;
	size_t n_tags = 0;
	int c, rc = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'K': ro.auth.creds = optarg; break;
		case 'E': ro.ca_cert = optarg; break;
		case 'C': cache_dir = optarg; break;
		case 'N':
			if (ro.n_insecure == MAX_REFS)
				goto usage;
			insecure[ro.n_insecure++] = optarg;
			break;
		case 'h': fputs(push_usage, stdout); return 0;
		default: goto usage;
		}
	}
	if (argc - optind < 2 || argc - optind - 1 > MAX_REFS || strncmp(argv[optind], "oci:", 4))
		goto usage;
	oci_layout_ref_split(argv[optind] + 4, &layout, &layout_tag);
	if (parse_refs(argv + optind + 1, argc - optind - 1, &ref, tags, &n_tags, &err))
		goto fail;
	if (cache_dir)
		buf_setstr(&cache, cache_dir);
	else
		fs_default_cache_dir(&cache);
	reg = reg_new(ref.registry, &ro, &err);
	if (!reg || oci_push_layout(reg, layout.data, layout_tag.len ? layout_tag.data : NULL,
				    ref.repository, (const char *const *)tags, n_tags, cache.data, &err))
		goto fail;
	const reg_stats_t *st = reg_get_stats(reg);
	fprintf(stderr, "imgbuild: blobs: %ld uploaded, %ld mounted, %ld already there\n",
		st->blobs_uploaded, st->blobs_mounted, st->blobs_skipped);
	for (size_t i = 0; i < n_tags; i++)
		printf("pushed: %s/%s:%s\n", ref.registry, ref.repository, tags[i]);
	rc = 0;
	goto out;
usage:
	fputs(push_usage, stderr);
	rc = 2;
	goto out;
fail:
	cmd_print_error(&err);
out:
	for (size_t i = 0; i < n_tags; i++)
		free(tags[i]);
	reg_free(reg);
	oci_ref_clear(&ref);
	buf_free(&cache);
	buf_free(&layout);
	buf_free(&layout_tag);
	err_clear(&err);
	return rc;
}
