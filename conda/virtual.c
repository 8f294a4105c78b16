/* virtual.c — the target machine's virtual packages (see virtual.h). The base image's glibc
 * arrives as a version string (oci/base.c reads it from the image's layers); this file only
 * decides which version wins and says why. */
#include "virtual.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_GLIBC "2.28" /* conda-forge's current baseline */
#define DEFAULT_LINUX "5.10" /* a kernel every supported distribution exceeds */

/* Dotted numeric compare ("2.36" vs "2.28"); enough for glibc versions. */
static int numcmp(const char *a, const char *b)
{
	while (*a || *b) {
		long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a += *a == '.';
		b += *b == '.';
		if (!isdigit((unsigned char)*a) && !isdigit((unsigned char)*b))
			break;
	}
	return 0;
}

static void add(virtual_set_t *set, const char *name, const char *version, const char *build,
		const char *source)
{
	virtual_pkg_t *p = &set->pkgs[set->n++];
	p->name = name;
	snprintf(p->version, sizeof p->version, "%s", version);
	snprintf(p->build, sizeof p->build, "%s", build);
	snprintf(p->source, sizeof p->source, "%s", source);
}

int virtual_set_fill(virtual_set_t *set, const virtual_opts_t *o, err_t *err)
{
	const char *glibc = o->glibc ? o->glibc : DEFAULT_GLIBC;
	const char *glibc_label = o->glibc_label ? o->glibc_label : "requested";
	const char *source = o->glibc ? glibc_label : "default";
	buf_t no_glibc = BUF_INIT;
	memset(set, 0, sizeof *set);
	if (o->base_glibc && o->glibc && numcmp(o->glibc, o->base_glibc) > 0) {
		err_set(err,
			"the requested glibc %s is newer than the base image's glibc %s (%s): "
			"packages built for it would not run there",
			o->glibc, o->base_glibc, o->base_name ? o->base_name : "base image");
		return err_set_hint(err, ERR_HINT_GLIBC_NEWER_THAN_BASE);
	}
	if (o->base_glibc && !o->glibc) {
		glibc = o->base_glibc;
		source = "base image";
	} else if (o->base_name && !o->base_glibc) {
		buf_addf(&no_glibc, "%s; base image has no glibc", source);
		source = no_glibc.data;
	}
	add(set, "__unix", "0", "0", "linux");
	add(set, "__linux", DEFAULT_LINUX, "0", "default");
	add(set, "__glibc", glibc, "0", source);
	buf_free(&no_glibc);
	add(set, "__archspec", "1",
	    o->oci_arch && !strcmp(o->oci_arch, "arm64") ? "aarch64" : "x86_64",
	    "image architecture");
	if (o->cuda)
		add(set, "__cuda", o->cuda, "0", o->cuda_label ? o->cuda_label : "requested");
	return 0;
}

void virtual_set_describe(const virtual_set_t *set, buf_t *out)
{
	for (size_t i = 0; i < set->n; i++) {
		const virtual_pkg_t *p = &set->pkgs[i];
		buf_addf(out, "%s%s=%s", i ? ", " : "", p->name, p->version);
		if (strcmp(p->build, "0") != 0)
			buf_addf(out, "=%s", p->build);
		buf_addf(out, " (%s)", p->source);
	}
}
