/* ref.h — image references as Docker reads them: "[REGISTRY/]PATH[:TAG][@sha256:HEX]".
 * A first component with a '.' or ':' or equal to "localhost" is a registry; otherwise the
 * registry is docker.io and a one-component path gets "library/". Without tag and digest the
 * tag is "latest". Names follow the distribution grammar (lower-case path components). */
#ifndef IMGBUILD_REF_H
#define IMGBUILD_REF_H

#include "buf.h"
#include "err.h"

typedef struct oci_ref {
	char *registry;   /* "docker.io", "localhost:5000", "127.0.0.1:5000", "[::1]:5000" */
	char *repository; /* "library/ubuntu", "team/dl-env" */
	char *tag; /* "latest" when neither tag nor digest was written; NULL with a bare digest */
	char *digest; /* "sha256:<64 hex>" or NULL */
} oci_ref_t;

#define OCI_REF_INIT                                                                               \
	{                                                                                          \
		NULL, NULL, NULL, NULL                                                             \
	}

/* Parses s into out (fields owned by out; release with oci_ref_clear). -1 with a message
 * naming s and the rule it breaks. */
int oci_ref_parse(const char *s, oci_ref_t *out, err_t *err);
void oci_ref_clear(oci_ref_t *r);
/* 1 if s names its registry explicitly ("host.tld/x", "host:5000/x", "localhost/x"). */
int oci_ref_names_registry(const char *s);
/* "registry/repository[:tag][@digest]" into out (replacing its content). */
void oci_ref_format(const oci_ref_t *r, buf_t *out);
/* The host the API lives on: docker.io -> registry-1.docker.io; others unchanged. Static or
 * borrowed from registry. */
const char *oci_ref_api_host(const char *registry);
/* 1 for localhost, 127.0.0.0/8 and ::1 (with or without a port): Docker allows plain HTTP. */
int oci_ref_is_loopback(const char *registry);
/* 1 if s is "sha256:" + 64 lower-case hex. */
int oci_ref_is_digest(const char *s);

#endif
