/* pipeline_config.h — the image config and manifest flags of a build (issue 11 part 3:
 * --label, --annotation, --env, --entrypoint, --cmd, --workdir, --user, and the OCI standard
 * created/source/revision keys), applied on top of what the base image and the environment
 * set. Deterministic: every value comes from the flags, SOURCE_DATE_EPOCH and the CI's
 * variables, all read once by the CLI. */
#ifndef IMGBUILD_PIPELINE_CONFIG_H
#define IMGBUILD_PIPELINE_CONFIG_H

#include "image.h"
#include "pipeline.h"

/* OCI image-spec annotations.md, "Pre-Defined Annotation Keys". */
#define PIPELINE_ANN_CREATED "org.opencontainers.image.created"
#define PIPELINE_ANN_SOURCE "org.opencontainers.image.source"
#define PIPELINE_ANN_REVISION "org.opencontainers.image.revision"

/* Applies o->image to img: labels and the standard keys to the config Labels (the standard
 * keys also to the manifest's annotations), --annotation to the manifest, --env after the
 * environment's variables, then Entrypoint (an --entrypoint without --cmd drops the Cmd, as
 * Docker's ENTRYPOINT does), Cmd, WorkingDir, and user (the config User for --user, or NULL
 * to keep the base's). */
void pipeline_config_apply(const build_opts_t *o, const char *user, oci_image_t *img);

/* The image index of a multi-platform build (into l, as oci_image_write_index): its
 * annotations are the standard keys and --annotation, as on each platform's manifest. */
int pipeline_config_write_index(const build_opts_t *o, oci_layout_t *l, const oci_desc_t *entries,
				size_t n, char digest[DIGEST_OCI_MAX], long long *size, err_t *err);

/* Splits "K=V" at its first '=' into a copy of K (caller frees) and V (borrowed from kv). */
char *pipeline_config_split(const char *kv, const char **value);

#endif
